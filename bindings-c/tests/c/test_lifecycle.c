/*
 * test_lifecycle.c: the lifecycle scenarios against a sandbox with a fast clock
 * (`--clock-scale 1000`, YX_SANDBOX_URL): success, failure, cancel, a manual gate, the wait's
 * deadline, and aborts through a yx_cancel — from another thread, from a signal handler, from
 * the progress callback, and with cancel_on_abort — through yx_client_wait_for_run,
 * yx_client_get_run_status and yx_client_call(_with_events).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <yunxiao_appstack.h>

#include "harness.h"

#define ORG "sandbox-org"
#define APP "my-web-service"
#define WORKFLOW "wf-main"
#define FAST "{\"poll_initial_ms\":5,\"poll_max_ms\":20,\"deadline_ms\":60000}"

static yx_client *client;

/* The events a wait sent, as one text (each event's JSON on its own line). */
struct events {
  char text[65536];
  size_t length;
  int count;
  yx_cancel *cancel_on_first; /* triggered from the callback, when set */
};

static void on_event(const char *event_json, void *user_data) {
  struct events *events = user_data;
  size_t length = strlen(event_json);
  if (events->length + length + 2 < sizeof events->text) {
    memcpy(events->text + events->length, event_json, length);
    events->length += length;
    events->text[events->length++] = '\n';
    events->text[events->length] = '\0';
  }
  events->count++;
  if (events->cancel_on_first != NULL) {
    yx_cancel_trigger(events->cancel_on_first);
  }
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

/* Starts a run of `stage` through yx_client_call; returns its number (0 on failure). */
static uint64_t start(const char *stage) {
  char args[256];
  snprintf(args, sizeof args,
           "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW "\",\"release_stage_sn\":\"%s\"}",
           stage);
  char *result = NULL;
  yx_error *error = NULL;
  uint64_t number = 0;
  if (CHECK_RESULT(yx_client_call(client, YX_OP_EXECUTE_CHANGE_REQUEST_RELEASE_STAGE, args, &result, &error),
                   YX_RESULT_OK)) {
    const char *field = strstr(result, "\"pipeline_run_id\":");
    if (CHECK(field != NULL)) {
      number = strtoull(field + strlen("\"pipeline_run_id\":"), NULL, 10);
    }
  } else {
    fprintf(stderr, "  %s\n", yx_error_describe(error));
  }
  yx_string_free(result);
  yx_error_free(error);
  return number;
}

/* Waits for run `number` of `stage`; returns the state, and the outcome in *outcome (free it). */
static yx_wait_state wait_for(const char *stage, uint64_t number, const char *options, struct events *events,
                              const yx_cancel *cancel, char **outcome) {
  yx_wait_state state = YX_WAIT_STATE_UNKNOWN;
  yx_error *error = NULL;
  if (!CHECK_RESULT(yx_client_wait_for_run(client, ORG, APP, WORKFLOW, stage, number, options,
                                           events ? on_event : NULL, events, cancel, &state, outcome, &error),
                    YX_RESULT_OK)) {
    fprintf(stderr, "  %s\n", yx_error_describe(error));
  }
  CHECK(error == NULL);
  yx_error_free(error);
  return state;
}

static yx_run_status status_of(const char *stage, uint64_t number) {
  yx_run_status status = YX_RUN_STATUS_OTHER;
  yx_error *error = NULL;
  if (!CHECK_RESULT(yx_client_get_run_status(client, NULL, APP, WORKFLOW, stage, number, &status, &error),
                    YX_RESULT_OK)) {
    fprintf(stderr, "  %s\n", yx_error_describe(error));
  }
  yx_error_free(error);
  return status;
}

static void test_success(void) {
  uint64_t number = start("stage-deploy");
  struct events events = {0};
  char *outcome = NULL;
  CHECK(wait_for("stage-deploy", number, FAST, &events, NULL, &outcome) == YX_WAIT_STATE_SUCCEEDED);
  CHECK(outcome != NULL && strstr(outcome, "\"state\":\"succeeded\"") != NULL);
  CHECK(events.count >= 2);
  CHECK(strstr(events.text, "\"event\":\"" YX_EVENT_RUN_STATUS_CHANGED "\"") != NULL);
  CHECK(strstr(events.text, "\"event\":\"" YX_EVENT_JOB_FINISHED "\"") != NULL);
  CHECK(status_of("stage-deploy", number) == YX_RUN_STATUS_SUCCESS);
  /* The token appears in no event and no outcome. */
  CHECK(strstr(events.text, "pt-sandbox-token") == NULL);
  CHECK(outcome == NULL || strstr(outcome, "pt-sandbox-token") == NULL);
  yx_string_free(outcome);
  /* outcome_json_out is optional. */
  CHECK(wait_for("stage-deploy", number, FAST, NULL, NULL, NULL) == YX_WAIT_STATE_SUCCEEDED);
}

static void test_failure(void) {
  uint64_t number = start("stage-fail");
  char *outcome = NULL;
  CHECK(wait_for("stage-fail", number, FAST, NULL, NULL, &outcome) == YX_WAIT_STATE_FAILED);
  CHECK(outcome != NULL && strstr(outcome, "\"job\":\"Test\"") != NULL);
  /* The failed job's log, through follow_job_log, its lines as log_line events. */
  const char *failed = outcome ? strstr(outcome, "\"failed_jobs\":[") : NULL;
  const char *job = failed ? strstr(failed, "\"job_id\":") : NULL;
  if (CHECK(job != NULL)) {
    char args[320];
    snprintf(args, sizeof args,
             "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW
             "\",\"release_stage_sn\":\"stage-fail\",\"execution_number\":%llu,\"job_id\":%llu,"
             "\"poll_initial_ms\":5,\"poll_max_ms\":20,\"deadline_ms\":60000}",
             (unsigned long long)number, strtoull(job + strlen("\"job_id\":"), NULL, 10));
    struct events events = {0};
    char *result = NULL;
    yx_error *error = NULL;
    if (!CHECK_RESULT(yx_client_call_with_events(client, YX_OP_FOLLOW_JOB_LOG, args, on_event, &events, NULL,
                                                 &result, &error),
                      YX_RESULT_OK)) {
      fprintf(stderr, "  %s\n", yx_error_describe(error));
    }
    const char *lines = result ? strstr(result, "\"lines\":") : NULL;
    if (CHECK(lines != NULL)) {
      long count = strtol(lines + strlen("\"lines\":"), NULL, 10);
      CHECK(count > 0);
      CHECK(count == 0 || strstr(events.text, "\"event\":\"" YX_EVENT_LOG_LINE "\"") != NULL);
    }
    yx_string_free(result);
    yx_error_free(error);
  }
  yx_string_free(outcome);
  yx_run_status status = status_of("stage-fail", number);
  CHECK(status == YX_RUN_STATUS_FAIL || status == YX_RUN_STATUS_FAILED);
}

static void test_cancel(void) {
  uint64_t number = start("stage-long");
  char args[256];
  snprintf(args, sizeof args,
           "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW
           "\",\"release_stage_sn\":\"stage-long\",\"execution_number\":%llu}",
           (unsigned long long)number);
  char *result = NULL;
  yx_error *error = NULL;
  CHECK_RESULT(yx_client_call(client, YX_OP_CANCEL_EXECUTION_RELEASE_STAGE, args, &result, &error), YX_RESULT_OK);
  CHECK(result != NULL && strstr(result, "\"canceled\":true") != NULL);
  yx_string_free(result);
  yx_error_free(error);
  CHECK(wait_for("stage-long", number, FAST, NULL, NULL, NULL) == YX_WAIT_STATE_CANCELED);
  CHECK(status_of("stage-long", number) == YX_RUN_STATUS_CANCELED);
}

static void test_gate(void) {
  uint64_t number = start("stage-gate");
  char *outcome = NULL;
  CHECK(wait_for("stage-gate", number,
                 "{\"poll_initial_ms\":5,\"poll_max_ms\":20,\"deadline_ms\":60000,\"on_approval\":\"stop\"}", NULL,
                 NULL, &outcome) == YX_WAIT_STATE_WAITING_FOR_APPROVAL);
  const char *gate = outcome ? strstr(outcome, "\"gate\":{") : NULL;
  const char *job = gate ? strstr(gate, "\"job_id\":") : NULL;
  if (CHECK(job != NULL)) {
    unsigned long long job_id = strtoull(job + strlen("\"job_id\":"), NULL, 10);
    char args[320];
    snprintf(args, sizeof args,
             "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW
             "\",\"release_stage_sn\":\"stage-gate\",\"execution_number\":%llu,\"job_id\":%llu}",
             (unsigned long long)number, job_id);
    char *result = NULL;
    yx_error *error = NULL;
    CHECK_RESULT(yx_client_call(client, "pass_pipeline_validate", args, &result, &error), YX_RESULT_OK);
    yx_string_free(result);
    yx_error_free(error);
    CHECK(wait_for("stage-gate", number, FAST, NULL, NULL, NULL) == YX_WAIT_STATE_SUCCEEDED);
  }
  yx_string_free(outcome);
}

static void test_deadline(void) {
  uint64_t number = start("stage-long");
  double before = now_ms();
  CHECK(wait_for("stage-long", number, "{\"poll_initial_ms\":5,\"poll_max_ms\":20,\"deadline_ms\":100}", NULL,
                 NULL, NULL) == YX_WAIT_STATE_DEADLINE_EXCEEDED);
  CHECK(now_ms() - before < 5000);
  CHECK(status_of("stage-long", number) != YX_RUN_STATUS_CANCELED); /* the run goes on */
}

struct trigger {
  yx_cancel *cancel;
  int after_ms;
};

static void *trigger_later(void *argument) {
  struct trigger *t = argument;
  struct timespec pause = {0, (long)t->after_ms * 1000000L};
  nanosleep(&pause, NULL);
  CHECK_RESULT(yx_cancel_trigger(t->cancel), YX_RESULT_OK);
  return NULL;
}

static void test_abort_from_another_thread(void) {
  uint64_t number = start("stage-long");
  yx_cancel *cancel = yx_cancel_new();
  CHECK(cancel != NULL && !yx_cancel_is_triggered(cancel));
  struct trigger t = {cancel, 50};
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, trigger_later, &t) == 0);
  double before = now_ms();
  char *outcome = NULL;
  CHECK(wait_for("stage-long", number, FAST, NULL, cancel, &outcome) == YX_WAIT_STATE_ABORTED);
  CHECK(now_ms() - before < 5000);
  pthread_join(thread, NULL);
  CHECK(yx_cancel_is_triggered(cancel));
  CHECK(outcome != NULL && strstr(outcome, "\"cancel\":null") != NULL); /* nothing was canceled */
  yx_string_free(outcome);
  CHECK(status_of("stage-long", number) != YX_RUN_STATUS_CANCELED);
  /* One-shot: a triggered handle stops the next wait at once. */
  CHECK(wait_for("stage-long", number, FAST, NULL, cancel, NULL) == YX_WAIT_STATE_ABORTED);
  yx_cancel_free(cancel);
}

static yx_cancel *signal_cancel;

static void on_alarm(int signal_number) {
  (void)signal_number;
  yx_cancel_trigger_from_signal(signal_cancel);
}

static void test_abort_from_a_signal_handler(void) {
  uint64_t number = start("stage-long");
  signal_cancel = yx_cancel_new();
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_alarm;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  CHECK(sigaction(SIGALRM, &action, NULL) == 0);
  struct itimerval timer = {{0, 0}, {0, 50000}};
  CHECK(setitimer(ITIMER_REAL, &timer, NULL) == 0);
  double before = now_ms();
  CHECK(wait_for("stage-long", number, FAST, NULL, signal_cancel, NULL) == YX_WAIT_STATE_ABORTED);
  CHECK(now_ms() - before < 5000);
  CHECK(status_of("stage-long", number) != YX_RUN_STATUS_CANCELED);
  signal(SIGALRM, SIG_DFL);
  yx_cancel_free(signal_cancel);
  signal_cancel = NULL;
}

static void test_abort_from_the_callback_and_cancel_on_abort(void) {
  /* The callback triggers the handle on the first event: the wait stops, the run goes on. */
  uint64_t number = start("stage-long");
  yx_cancel *cancel = yx_cancel_new();
  struct events events = {0};
  events.cancel_on_first = cancel;
  CHECK(wait_for("stage-long", number, FAST, &events, cancel, NULL) == YX_WAIT_STATE_ABORTED);
  CHECK(events.count >= 1);
  CHECK(status_of("stage-long", number) != YX_RUN_STATUS_CANCELED);
  yx_cancel_free(cancel);

  /* With cancel_on_abort the abort cancels the run. */
  number = start("stage-long");
  cancel = yx_cancel_new();
  CHECK_RESULT(yx_cancel_trigger(cancel), YX_RESULT_OK);
  char *outcome = NULL;
  CHECK(wait_for("stage-long", number,
                 "{\"poll_initial_ms\":5,\"poll_max_ms\":20,\"deadline_ms\":60000,\"cancel_on_abort\":true}", NULL,
                 cancel, &outcome) == YX_WAIT_STATE_ABORTED);
  CHECK(outcome != NULL && strstr(outcome, "\"cancel\":{") != NULL);
  yx_string_free(outcome);
  CHECK(status_of("stage-long", number) == YX_RUN_STATUS_CANCELED);
  yx_cancel_free(cancel);
}

static void test_helpers_through_the_generic_call(void) {
  /* execute_and_wait with events, through yx_client_call_with_events. */
  struct events events = {0};
  char *result = NULL;
  yx_error *error = NULL;
  CHECK_RESULT(yx_client_call_with_events(client, YX_OP_EXECUTE_AND_WAIT,
                                          "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW
                                          "\",\"release_stage_sn\":\"stage-fail\",\"poll_initial_ms\":5,"
                                          "\"poll_max_ms\":20,\"deadline_ms\":60000}",
                                          on_event, &events, NULL, &result, &error),
               YX_RESULT_OK);
  CHECK(result != NULL && strstr(result, "\"state\":\"failed\"") != NULL);
  CHECK(strstr(events.text, "\"event\":\"" YX_EVENT_JOB_FINISHED "\"") != NULL);
  CHECK(strstr(events.text, "pt-sandbox-token") == NULL);
  CHECK(result == NULL || strstr(result, "pt-sandbox-token") == NULL);
  yx_string_free(result);
  /* A bad duration is the core's error, naming the argument as C spells it. */
  CHECK_RESULT(yx_client_call_with_events(client, YX_OP_WAIT_FOR_RUN,
                                          "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW
                                          "\",\"release_stage_sn\":\"stage-fail\",\"execution_number\":1,"
                                          "\"deadline_ms\":-5}",
                                          on_event, &events, NULL, &result, &error),
               YX_RESULT_ERROR);
  CHECK(result == NULL);
  CHECK(strstr(yx_error_describe(error), "deadline_ms") != NULL);
  yx_error_free(error);
  /* Paging through next_args. */
  char *page = NULL;
  CHECK_RESULT(yx_client_call(client, YX_OP_LIST_APP_RELEASE_STAGE_RUNS,
                              "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW
                              "\",\"release_stage_sn\":\"stage-long\",\"per_page\":1}",
                              &page, &error),
               YX_RESULT_OK);
  int pages = 0;
  while (page != NULL && pages < 50) {
    pages++;
    const char *next = strstr(page, "\"next_args\":");
    if (!CHECK(next != NULL)) {
      break;
    }
    next += strlen("\"next_args\":");
    if (strncmp(next, "null", 4) == 0) {
      break;
    }
    /* next_args is the last key: its object runs to the closing brace before the result's. */
    size_t length = strlen(next) - 1;
    char *args = malloc(length + 1);
    memcpy(args, next, length);
    args[length] = '\0';
    yx_string_free(page);
    CHECK_RESULT(yx_client_call(client, YX_OP_LIST_APP_RELEASE_STAGE_RUNS, args, &page, &error), YX_RESULT_OK);
    free(args);
  }
  yx_string_free(page);
  CHECK(pages >= 6); /* stage-long ran at least six times above */
}

int main(void) {
  yx_options *options = yx_options_new();
  yx_options_set_ignore_environment(options, true);
  yx_options_set_token(options, "pt-sandbox-token");
  yx_options_set_base_url(options, sb_url());
  yx_options_set_organization_id(options, ORG);
  yx_options_set_request_timeout_ms(options, 10000);
  yx_error *error = NULL;
  if (!CHECK_RESULT(yx_client_new(options, &client, &error), YX_RESULT_OK)) {
    fprintf(stderr, "%s\n", yx_error_describe(error));
    return th_finish("test_lifecycle");
  }
  yx_options_free(options);
  sb_reset();

  test_success();
  test_failure();
  test_cancel();
  test_gate();
  test_deadline();
  test_abort_from_another_thread();
  test_abort_from_a_signal_handler();
  test_abort_from_the_callback_and_cancel_on_abort();
  test_helpers_through_the_generic_call();

  yx_client_free(client);
  return th_finish("test_lifecycle");
}
