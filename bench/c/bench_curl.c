/* The libcurl peer of the C contender: one reused easy handle posting the same request and
 * reading the answer's run id, as a C program without this library would. With `read`, a GET
 * of GetReleaseStagePipelineRun (run 1 of the same stage) instead. Prints one JSON line;
 * cpu_s is the process's user + system time over the measured calls.
 *
 *   bench-curl BASE_URL TOKEN CALLS [read]                 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PATH "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute"
#define READ_PATH "/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/releaseWorkflows/wf-main/releaseStages/stage-deploy/executions/1:getPipelineRun"
#define BODY "{\"params\":{\"FLOW_INST_RUNNING_COMMENT\":\"bench\",\"IMAGE_TAG\":\"1.4.2\"}}"

struct buffer { char data[65536]; size_t len; };

static size_t collect(char *ptr, size_t size, size_t n, void *user) {
  struct buffer *b = user;
  size_t bytes = size * n;
  if (b->len + bytes >= sizeof b->data) return 0;
  memcpy(b->data + b->len, ptr, bytes);
  b->len += bytes;
  b->data[b->len] = '\0';
  return bytes;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
         (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 4 && !(argc == 5 && strcmp(argv[4], "read") == 0)) return 2;
  int read = argc == 5;
  long calls = atol(argv[3]);
  char url[1024], token[512];
  snprintf(url, sizeof url, "%s%s", argv[1], read ? READ_PATH : PATH);
  snprintf(token, sizeof token, "x-yunxiao-token: %s", argv[2]);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL *curl = curl_easy_init();
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, token);
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  struct buffer body;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!read) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, BODY);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  double *latencies = calloc((size_t)calls, sizeof *latencies);
  double started = 0, cpu_started = 0;
  for (long i = -200; i < calls; i++) {
    if (i == 0) {
      started = now();
      cpu_started = cpu_seconds();
    }
    double t = now();
    body.len = 0;
    long status = 0;
    if (curl_easy_perform(curl) != CURLE_OK) return 1;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (read) {
      if (status != 200 || !strstr(body.data, "\"stages\"")) return 1;
    } else {
      const char *id = strstr(body.data, "\"pipelineRunId\":");
      if (status != 200 || !id || strtoull(id + 16, NULL, 10) == 0) return 1;
    }
    if (i >= 0) latencies[i] = now() - t;
  }
  double seconds = now() - started, cpu = cpu_seconds() - cpu_started;
  qsort(latencies, (size_t)calls, sizeof *latencies, compare);
  printf("{\"contender\":\"c-libcurl\",\"calls\":%ld,\"concurrency\":1,\"seconds\":%f,\"cpu_s\":%f,\"p50_ms\":%f,\"p99_ms\":%f}\n",
         calls, seconds, cpu, latencies[(long)((calls - 1) * 0.5)] * 1000, latencies[(long)((calls - 1) * 0.99)] * 1000);
  free(latencies);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  return 0;
}
