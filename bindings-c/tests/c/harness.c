/* harness.c: see harness.h. */
#define _POSIX_C_SOURCE 200809L

#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <yunxiao_appstack.h>

static int passed;
static int failed;

bool th_check(bool ok, const char *what, const char *file, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
  }
  return ok;
}

bool th_check_str(const char *got, const char *want, const char *what, const char *file,
                  int line) {
  bool ok = (got == NULL && want == NULL) || (got != NULL && want != NULL && strcmp(got, want) == 0);
  if (!ok) {
    fprintf(stderr, "FAIL %s:%d: %s is \"%s\", expected \"%s\"\n", file, line, what,
            got ? got : "(null)", want ? want : "(null)");
  }
  return th_check(ok, what, file, line);
}

bool th_check_result(int got, int want, const char *what, const char *file, int line) {
  if (got != want) {
    fprintf(stderr, "FAIL %s:%d: %s gave %s, expected %s\n", file, line, what,
            yx_result_name(got), yx_result_name(want));
  }
  return th_check(got == want, what, file, line);
}

int th_finish(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, passed, failed);
  fflush(stdout);
  return failed == 0 && passed > 0 ? 0 : 1;
}

const char *sb_url(void) {
  const char *url = getenv("YX_SANDBOX_URL");
  if (url == NULL || strncmp(url, "http://", 7) != 0) {
    fprintf(stderr, "set YX_SANDBOX_URL to the sandbox's http:// URL\n");
    exit(2);
  }
  return url;
}

/* Host (an IPv4 literal) and port of the sandbox URL. */
static bool sb_address(struct sockaddr_in *address) {
  const char *rest = sb_url() + 7;
  const char *colon = strchr(rest, ':');
  char host[64];
  size_t host_len = colon ? (size_t)(colon - rest) : 0;
  if (colon == NULL || host_len == 0 || host_len >= sizeof host) {
    return false;
  }
  memcpy(host, rest, host_len);
  host[host_len] = '\0';
  memset(address, 0, sizeof *address);
  address->sin_family = AF_INET;
  address->sin_port = htons((unsigned short)atoi(colon + 1));
  return inet_pton(AF_INET, host, &address->sin_addr) == 1;
}

/* Decodes a chunked body in place; returns false when it is malformed. */
static bool dechunk(char *body) {
  char *in = body;
  char *out = body;
  for (;;) {
    char *end = NULL;
    unsigned long size = strtoul(in, &end, 16);
    char *data = strstr(in, "\r\n");
    if (end == in || data == NULL) {
      return false;
    }
    data += 2;
    if (size == 0) {
      *out = '\0';
      return true;
    }
    if (strlen(data) < size) {
      return false;
    }
    memmove(out, data, size);
    out += size;
    in = data + size + 2;
  }
}

char *sb_http(const char *method, const char *path, const char *body) {
  struct sockaddr_in address;
  if (!sb_address(&address)) {
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return NULL;
  }
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    close(fd);
    return NULL;
  }
  size_t body_len = body ? strlen(body) : 0;
  size_t head_cap = strlen(method) + strlen(path) + 200;
  char *request = malloc(head_cap + body_len);
  if (request == NULL) {
    close(fd);
    return NULL;
  }
  int head_len = snprintf(request, head_cap,
                          "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          method, path, body_len);
  if (body_len > 0) {
    memcpy(request + head_len, body, body_len);
  }
  size_t total = (size_t)head_len + body_len;
  size_t sent = 0;
  while (sent < total) {
    ssize_t n = send(fd, request + sent, total - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    sent += (size_t)n;
  }
  free(request);

  size_t cap = 8192;
  size_t len = 0;
  char *answer = malloc(cap);
  for (;;) {
    if (answer == NULL) {
      close(fd);
      return NULL;
    }
    if (len + 4096 + 1 > cap) {
      char *bigger = realloc(answer, cap * 2);
      if (bigger == NULL) {
        free(answer);
        answer = NULL;
        continue;
      }
      answer = bigger;
      cap *= 2;
    }
    ssize_t n = recv(fd, answer + len, 4096, 0);
    if (n <= 0) {
      break;
    }
    len += (size_t)n;
  }
  close(fd);
  answer[len] = '\0';

  char *separator = strstr(answer, "\r\n\r\n");
  if (sent < total || separator == NULL || strncmp(answer, "HTTP/1.1 2", 10) != 0) {
    free(answer);
    return NULL;
  }
  *separator = '\0';
  bool chunked = false;
  for (char *line = strstr(answer, "\r\n"); line != NULL; line = strstr(line + 2, "\r\n")) {
    if (strncasecmp(line + 2, "transfer-encoding: chunked", 26) == 0) {
      chunked = true;
    }
  }
  char *content = separator + 4;
  memmove(answer, content, strlen(content) + 1);
  if (chunked && !dechunk(answer)) {
    free(answer);
    return NULL;
  }
  return answer;
}

static void sb_post_or_exit(const char *path, const char *body) {
  char *answer = sb_http("POST", path, body);
  if (answer == NULL) {
    fprintf(stderr, "the sandbox refused POST %s %s\n", path, body ? body : "");
    exit(2);
  }
  free(answer);
}

void sb_reset(void) { sb_post_or_exit("/_sandbox/reset", NULL); }

void sb_faults(const char *json) { sb_post_or_exit("/_sandbox/faults", json); }

char *sb_requests(void) { return sb_http("GET", "/_sandbox/requests", NULL); }

long sb_connections_accepted(void) {
  char *health = sb_http("GET", "/_sandbox/health", NULL);
  long accepted = -1;
  const char *field = health ? strstr(health, "\"connections_accepted\":") : NULL;
  if (field != NULL) {
    accepted = strtol(field + strlen("\"connections_accepted\":"), NULL, 10);
  }
  free(health);
  return accepted;
}

long sb_request_count(void) {
  char *log = sb_requests();
  long count = -1;
  const char *field = log ? strstr(log, "\"count\":") : NULL;
  if (field != NULL) {
    count = strtol(field + 8, NULL, 10);
  }
  free(log);
  return count;
}
