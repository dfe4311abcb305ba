/*
 * harness.h: bookkeeping for the C test programs, and a minimal HTTP/1.1 client for the
 * sandbox's control API (reset, faults, the request log). The calls under test go through
 * libyunxiao_appstack; only the control API is spoken to directly.
 */
#ifndef YX_TEST_HARNESS_H
#define YX_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

/* Records one check; prints it when it fails. Returns `ok`. */
bool th_check(bool ok, const char *what, const char *file, int line);

/* Prints "SUITE: N passed, M failed" (the closing line test runners read) and returns the
 * process exit status: 0 when nothing failed. */
int th_finish(const char *suite);

#define CHECK(cond) th_check((cond), #cond, __FILE__, __LINE__)

/* Compares two strings (NULL-safe) and prints both when they differ. */
bool th_check_str(const char *got, const char *want, const char *what, const char *file,
                  int line);
#define CHECK_STR(got, want) th_check_str((got), (want), #got, __FILE__, __LINE__)

/* Checks a yx_result against the expected one, printing both names when they differ. */
bool th_check_result(int got, int want, const char *what, const char *file, int line);
#define CHECK_RESULT(expr, want) th_check_result((int)(expr), (int)(want), #expr, __FILE__, __LINE__)

/* The sandbox's base URL, from the YX_SANDBOX_URL environment variable (exits if unset). */
const char *sb_url(void);

/* Sends METHOD PATH (with a JSON BODY when not NULL) to the sandbox; returns the answer's body
 * (free it) or NULL when the request failed or the status was not 2xx. */
char *sb_http(const char *method, const char *path, const char *body);

/* POST /_sandbox/reset: clears the request log, the fault queue and the counters. */
void sb_reset(void);

/* POST /_sandbox/faults with one fault object or an array of them. */
void sb_faults(const char *json);

/* The number of requests the sandbox has recorded since the last reset, or -1. */
long sb_request_count(void);

/* GET /_sandbox/health's connections_accepted: the TCP connections the sandbox has accepted
 * since it started, this request's own included (the harness opens one per request), or -1. */
long sb_connections_accepted(void);

/* GET /_sandbox/requests: the log as JSON text (free it), or NULL. */
char *sb_requests(void);

#endif /* YX_TEST_HARNESS_H */
