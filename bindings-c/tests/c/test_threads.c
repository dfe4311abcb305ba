/*
 * test_threads.c: 8 threads × 50 calls on one shared client (YX_SANDBOX_URL). Every call
 * succeeds, the sandbox sees exactly 400 requests, and the 400 run ids are 1..400, each once.
 * YX_THREAD_CALLS overrides the calls per thread (the valgrind pass uses fewer).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yunxiao_appstack.h>

#include "harness.h"

#define THREADS 8
#define DEFAULT_CALLS 50

struct worker {
  pthread_t thread;
  const yx_client *client;
  int calls;
  int ok;
  uint64_t *run_ids; /* `calls` slots */
};

static void *work(void *argument) {
  struct worker *w = argument;
  /* The outputs are not reset between calls: every call sets every output. */
  yx_response *response = NULL;
  yx_error *error = NULL;
  char *result = NULL;
  for (int i = 0; i < w->calls; i++) {
    /* Half the calls through yx_client_execute, half through yx_client_call. */
    yx_result rc;
    uint64_t run_id = 0;
    bool got = false;
    if (i % 2 == 0) {
      rc = yx_client_call(w->client, YX_OP_EXECUTE_CHANGE_REQUEST_RELEASE_STAGE,
                          "{\"app_name\":\"my-web-service\",\"release_workflow_sn\":\"wf-main\","
                          "\"release_stage_sn\":\"stage-deploy\",\"variables\":{\"K\":\"V\"}}",
                          &result, &error);
      const char *field = result ? strstr(result, "\"pipeline_run_id\":") : NULL;
      if (rc == YX_RESULT_OK && field != NULL) {
        run_id = strtoull(field + strlen("\"pipeline_run_id\":"), NULL, 10);
        got = run_id > 0;
      }
    } else {
      yx_request *request = NULL;
      rc = yx_request_new("my-web-service", "wf-main", "stage-deploy", &request);
      if (rc == YX_RESULT_OK) {
        rc = yx_request_add_variable(request, "K", "V");
      }
      if (rc == YX_RESULT_OK) {
        rc = yx_client_execute(w->client, request, &response, &error);
      }
      yx_request_free(request);
      got = rc == YX_RESULT_OK && yx_response_get_run_id(response, &run_id) == YX_RESULT_OK;
    }
    if (got) {
      w->run_ids[w->ok++] = run_id;
    } else {
      fprintf(stderr, "call failed: %s: %s\n", yx_result_name(rc), yx_error_describe(error));
    }
    /* Free what this call wrote (the other call's outputs were freed, and not reset, before). */
    if (i % 2 == 0) {
      yx_string_free(result);
    } else {
      yx_response_free(response);
    }
    yx_error_free(error);
  }
  return NULL;
}

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a;
  uint64_t y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

int main(void) {
  const char *override = getenv("YX_THREAD_CALLS");
  int calls = override ? atoi(override) : DEFAULT_CALLS;
  if (calls <= 0) {
    calls = DEFAULT_CALLS;
  }

  yx_options *options = yx_options_new();
  yx_options_set_ignore_environment(options, true);
  yx_options_set_token(options, "pt-sandbox-token");
  yx_options_set_base_url(options, sb_url());
  yx_options_set_organization_id(options, "sandbox-org");
  yx_options_set_request_timeout_ms(options, 30000);
  yx_client *client = NULL;
  yx_error *error = NULL;
  if (!CHECK_RESULT(yx_client_new(options, &client, &error), YX_RESULT_OK)) {
    yx_error_free(error);
    yx_options_free(options);
    return th_finish("test_threads");
  }
  yx_options_free(options);
  sb_reset();

  uint64_t *all = calloc((size_t)(THREADS * calls), sizeof *all);
  struct worker workers[THREADS];
  for (int t = 0; t < THREADS; t++) {
    workers[t] = (struct worker){.client = client, .calls = calls, .ok = 0, .run_ids = all + t * calls};
    CHECK(pthread_create(&workers[t].thread, NULL, work, &workers[t]) == 0);
  }
  int ok = 0;
  for (int t = 0; t < THREADS; t++) {
    CHECK(pthread_join(workers[t].thread, NULL) == 0);
    CHECK(workers[t].ok == calls);
    ok += workers[t].ok;
  }
  yx_client_free(client);

  int total = THREADS * calls;
  CHECK(ok == total);
  CHECK(sb_request_count() == total);
  /* Each call started its own run: the sandbox numbers runs of a stage from 1. */
  qsort(all, (size_t)ok, sizeof *all, compare);
  bool distinct = true;
  for (int i = 0; i < ok; i++) {
    distinct = distinct && all[i] == (uint64_t)(i + 1);
  }
  CHECK(distinct);
  free(all);
  printf("%d threads x %d calls on one client\n", THREADS, calls);
  return th_finish("test_threads");
}
