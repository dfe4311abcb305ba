/* C contender of `make bench`: yx_client_execute on one client and one request, from THREADS threads.
 *
 *   bench-yx BASE_URL TOKEN CALLS THREADS [rss|read]
 *
 * (with `rss`, latencies are not written, so the harness touches no new memory; with `read`,
 * each call is GetReleaseStagePipelineRun of run 1 through the generic yx_client_call)
 * prints one JSON line (contender, calls, concurrency, seconds, cpu_s — the process's user +
 * system time over the measured calls —, p50_ms, p99_ms, rss_kb_half, rss_kb_end). Run by
 * bench/run.py. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yunxiao_appstack.h"

#define PARAMS "{\"FLOW_INST_RUNNING_COMMENT\":\"bench\",\"IMAGE_TAG\":\"1.4.2\"}"

static struct yx_client *client;
/* One request, read by every thread (a yx_request may be read concurrently, not changed). */
static struct yx_request *request;
static long per_thread;
static double *latencies;
static int keep_latencies = 1;
static int read_calls = 0;
#define READ_ARGS \
  "{\"app_name\":\"my-web-service\",\"release_workflow_sn\":\"wf-main\"," \
  "\"release_stage_sn\":\"stage-deploy\",\"execution_number\":1}"
static long done_calls, half_at;
static long rss_half;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb;
}

static double cpu_seconds(void) {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
         (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

static void read_call(void) {
  char *result = NULL;
  struct yx_error *error = NULL;
  if (yx_client_call(client, YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN, READ_ARGS, &result, &error) !=
      YX_RESULT_OK) {
    const char *message = "";
    yx_error_get_description(error, &message);
    fprintf(stderr, "call failed: %s\n", message);
    exit(1);
  }
  if (!strstr(result, "\"stages\"")) exit(1);
  yx_string_free(result);
}

static void call(void) {
  if (read_calls) {
    read_call();
    return;
  }
  struct yx_response *response = NULL;
  struct yx_error *error = NULL;
  uint64_t run_id = 0;
  if (yx_client_execute(client, request, &response, &error) != YX_RESULT_OK) {
    const char *message = "";
    yx_error_get_description(error, &message);
    fprintf(stderr, "call failed: %s\n", message);
    exit(1);
  }
  if (yx_response_get_run_id(response, &run_id) != YX_RESULT_OK) exit(1);
  yx_response_free(response);
}

static void *worker(void *arg) {
  double *mine = arg;
  for (long i = 0; i < per_thread; i++) {
    double t = now();
    call();
    if (keep_latencies) mine[i] = now() - t;
    pthread_mutex_lock(&lock);
    if (++done_calls == half_at) rss_half = rss_kb();
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 5 && !(argc == 6 && (strcmp(argv[5], "rss") == 0 || strcmp(argv[5], "read") == 0))) {
    fprintf(stderr, "usage: bench-yx BASE_URL TOKEN CALLS THREADS [rss|read]\n");
    return 2;
  }
  keep_latencies = argc == 5 || strcmp(argv[5], "read") == 0;
  read_calls = argc == 6 && strcmp(argv[5], "read") == 0;
  long calls = atol(argv[3]), threads = atol(argv[4]);
  struct yx_options *options = yx_options_new();
  struct yx_error *error = NULL;
  yx_options_set_ignore_environment(options, true);
  yx_options_set_base_url(options, argv[1]);
  yx_options_set_token(options, argv[2]);
  yx_options_set_organization_id(options, "sandbox-org");
  if (yx_client_new(options, &client, &error) != YX_RESULT_OK) return 1;
  yx_options_free(options);
  if (yx_request_new("my-web-service", "wf-main", "stage-deploy", &request) != YX_RESULT_OK ||
      yx_request_set_params_json(request, PARAMS, &error) != YX_RESULT_OK)
    return 1;

  for (int i = 0; i < 200; i++) call();
  per_thread = calls / threads;
  half_at = per_thread * threads / 2;
  latencies = calloc((size_t)(per_thread * threads), sizeof *latencies);
  pthread_t *ids = calloc((size_t)threads, sizeof *ids);
  double cpu_started = cpu_seconds();
  double started = now();
  for (long t = 0; t < threads; t++) pthread_create(&ids[t], NULL, worker, latencies + t * per_thread);
  for (long t = 0; t < threads; t++) pthread_join(ids[t], NULL);
  double seconds = now() - started, cpu = cpu_seconds() - cpu_started;
  long n = per_thread * threads;
  qsort(latencies, (size_t)n, sizeof *latencies, compare);
  printf("{\"contender\":\"c-yx\",\"calls\":%ld,\"concurrency\":%ld,\"seconds\":%f,\"cpu_s\":%f,"
         "\"p50_ms\":%f,\"p99_ms\":%f,\"rss_kb_half\":%ld,\"rss_kb_end\":%ld}\n",
         n, threads, seconds, cpu, latencies[(long)((n - 1) * 0.5)] * 1000,
         latencies[(long)((n - 1) * 0.99)] * 1000, rss_half, rss_kb());
  free(ids);
  free(latencies);
  yx_client_free(client);
  return 0;
}
