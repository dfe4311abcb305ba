/*
 * test_api.c: the C interface against a running sandbox (YX_SANDBOX_URL): versions and names,
 * NULL for every pointer argument, bad UTF-8 for every string argument, empty strings,
 * configuration, successful calls through both execute functions, every fault kind, the
 * environment, output discipline, and the token kept out of every string.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yunxiao_appstack.h>

#include "harness.h"

#define TOKEN "pt-sandbox-token"
#define ORG "sandbox-org"
#define APP "my-web-service"
#define WORKFLOW "wf-main"
#define STAGE "stage-deploy"
#define BAD_UTF8 "bad\xff\xfeutf8"

/* The ABI's values never change: pin them. */
_Static_assert(YX_RESULT_OK == 0, "stable value");
_Static_assert(YX_RESULT_ERROR == 1, "stable value");
_Static_assert(YX_RESULT_NULL_ARGUMENT == 2, "stable value");
_Static_assert(YX_RESULT_INVALID_ARGUMENT == 3, "stable value");
_Static_assert(YX_RESULT_NOT_PRESENT == 4, "stable value");
_Static_assert(YX_RESULT_PANIC == 5, "stable value");
_Static_assert(YX_ERROR_KIND_INVALID_REQUEST == 1, "the core's code");
_Static_assert(YX_ERROR_KIND_RESPONSE_TOO_LARGE == 13, "the core's code");
_Static_assert(YX_EDITION_CENTRAL == 1 && YX_EDITION_REGION == 2, "stable value");
_Static_assert(YX_VERSION_NUM == ((YX_VERSION_MAJOR << 16) | (YX_VERSION_MINOR << 8) | YX_VERSION_PATCH),
               "the packed version packs the parts");

/* A recognisable address for "this output was not written". */
static char sentinel_storage;
#define SENTINEL ((void *)&sentinel_storage)

/* Options for the sandbox, independent of the environment. */
static yx_options *sandbox_options(void) {
  yx_options *options = yx_options_new();
  CHECK(options != NULL);
  CHECK_RESULT(yx_options_set_ignore_environment(options, true), YX_RESULT_OK);
  CHECK_RESULT(yx_options_set_token(options, TOKEN), YX_RESULT_OK);
  CHECK_RESULT(yx_options_set_base_url(options, sb_url()), YX_RESULT_OK);
  CHECK_RESULT(yx_options_set_organization_id(options, ORG), YX_RESULT_OK);
  CHECK_RESULT(yx_options_set_request_timeout_ms(options, 10000), YX_RESULT_OK);
  return options;
}

static yx_client *sandbox_client(void) {
  yx_options *options = sandbox_options();
  yx_client *client = NULL;
  yx_error *error = NULL;
  CHECK_RESULT(yx_client_new(options, &client, &error), YX_RESULT_OK);
  CHECK(error == NULL);
  yx_options_free(options);
  return client;
}

/* One execution named by its ids, with raw params: yx_request + yx_client_execute (the
 * one execute function). */
static yx_result execute_ids(const yx_client *client, const char *org, const char *app,
                             const char *workflow, const char *stage, const char *params,
                             yx_response **response, yx_error **error) {
  yx_request *request = NULL;
  yx_result rc = yx_request_new(app, workflow, stage, &request);
  if (rc == YX_RESULT_OK && org != NULL) {
    rc = yx_request_set_organization_id(request, org);
  }
  if (rc == YX_RESULT_OK && params != NULL) {
    rc = yx_request_set_params_json(request, params, error);
  }
  if (rc == YX_RESULT_OK) {
    rc = yx_client_execute(client, request, response, error);
  } else if (response != NULL) {
    *response = NULL;
  }
  yx_request_free(request);
  return rc;
}

/* The message of an error (borrowed from it), or "" when there is none. */
static const char *message_of(const yx_error *error) {
  const char *message = "";
  if (error != NULL) {
    CHECK_RESULT(yx_error_get_message(error, &message), YX_RESULT_OK);
  }
  return message;
}

static yx_error_kind kind_of(const yx_error *error) {
  yx_error_kind kind = (yx_error_kind)0;
  CHECK_RESULT(yx_error_get_kind(error, &kind), YX_RESULT_OK);
  return kind;
}

/* Checks that a failed call handed out an argument error naming `argument`, then frees it. */
static void check_argument_error(yx_error *error, const char *argument) {
  if (!CHECK(error != NULL)) {
    return;
  }
  CHECK(kind_of(error) == YX_ERROR_KIND_INVALID_REQUEST);
  bool may = true;
  CHECK_RESULT(yx_error_get_may_have_executed(error, &may), YX_RESULT_OK);
  CHECK(!may);
  if (!CHECK(strstr(message_of(error), argument) != NULL)) {
    fprintf(stderr, "  message \"%s\" does not name %s\n", message_of(error), argument);
  }
  yx_error_free(error);
}

static void test_versions_and_names(void) {
  CHECK_STR(yx_version(), YX_VERSION);
  CHECK(yx_version_number() == YX_VERSION_NUM);
  char parts[64];
  snprintf(parts, sizeof parts, "%d.%d.%d", YX_VERSION_MAJOR, YX_VERSION_MINOR, YX_VERSION_PATCH);
  CHECK(strncmp(YX_VERSION, parts, strlen(parts)) == 0);
#if !YX_VERSION_AT_LEAST(0, 0, 0) || YX_VERSION_AT_LEAST(YX_VERSION_MAJOR, YX_VERSION_MINOR, YX_VERSION_PATCH + 1)
#error "YX_VERSION_AT_LEAST compares with the header's version"
#endif
  CHECK(YX_VERSION_AT_LEAST(YX_VERSION_MAJOR, YX_VERSION_MINOR, YX_VERSION_PATCH));

#define NAME_OF(value) CHECK_STR(yx_result_name(value), #value)
  NAME_OF(YX_RESULT_OK);
  NAME_OF(YX_RESULT_ERROR);
  NAME_OF(YX_RESULT_NULL_ARGUMENT);
  NAME_OF(YX_RESULT_INVALID_ARGUMENT);
  NAME_OF(YX_RESULT_NOT_PRESENT);
  NAME_OF(YX_RESULT_PANIC);
#undef NAME_OF
  CHECK_STR(yx_result_name(-1), "YX_RESULT_UNKNOWN");
  CHECK_STR(yx_result_name(6), "YX_RESULT_UNKNOWN");

  /* The conformance vectors' kind names, by the core's codes. */
  static const char *const kinds[] = {
      "invalid_request", "configuration", "bad_request", "authentication", "permission_denied",
      "not_found", "rate_limited", "api_status", "server", "timeout", "connection", "decode",
      "response_too_large"};
  for (int code = 1; code <= 13; code++) {
    CHECK_STR(yx_error_kind_name(code), kinds[code - 1]);
  }
  CHECK_STR(yx_error_kind_name(YX_ERROR_KIND_RATE_LIMITED), "rate_limited");
  CHECK_STR(yx_error_kind_name(0), "unknown");
  CHECK_STR(yx_error_kind_name(14), "unknown");
}

/* NULL for every pointer argument of every function. */
static void test_null_arguments(void) {
  yx_options *options = sandbox_options();
  yx_client *client = NULL;
  yx_error *error = NULL;
  yx_request *request = NULL;
  yx_response *response = NULL;

  /* Frees accept NULL. */
  yx_options_free(NULL);
  yx_client_free(NULL);
  yx_request_free(NULL);
  yx_response_free(NULL);
  yx_error_free(NULL);

  /* Options. */
  CHECK_RESULT(yx_options_set_token(NULL, TOKEN), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_token(options, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_base_url(NULL, "http://127.0.0.1:1"), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_base_url(options, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_edition(NULL, YX_EDITION_CENTRAL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_organization_id(NULL, ORG), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_organization_id(options, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_request_timeout_ms(NULL, 1000), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_connect_timeout_ms(NULL, 1000), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_max_retries(NULL, 1), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_max_response_bytes(NULL, 1024), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_allow_insecure_http(NULL, true), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_ignore_environment(NULL, true), YX_RESULT_NULL_ARGUMENT);

  /* The client. */
  /* NULL options are allowed (see test_environment); NULL client_out is not. */
  CHECK_RESULT(yx_client_new(options, NULL, &error), YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "client_out");
  error = NULL;
  CHECK_RESULT(yx_client_new(NULL, NULL, NULL), YX_RESULT_NULL_ARGUMENT);
  client = NULL;
  CHECK_RESULT(yx_client_new(options, &client, NULL), YX_RESULT_OK); /* error_out is optional */
  CHECK(client != NULL);

  /* yx_client_call: nothing is sent when an argument is missing; every output is set. */
  sb_reset();
  char *result = SENTINEL;
  error = SENTINEL;
  CHECK_RESULT(yx_client_call(NULL, YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN, "{}", &result, &error),
               YX_RESULT_NULL_ARGUMENT);
  CHECK(result == NULL);
  check_argument_error(error, "client");
  result = SENTINEL;
  error = NULL;
  CHECK_RESULT(yx_client_call(client, NULL, "{}", &result, &error), YX_RESULT_NULL_ARGUMENT);
  CHECK(result == NULL);
  check_argument_error(error, "name");
  error = NULL;
  CHECK_RESULT(yx_client_call(client, YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN, "{}", NULL, &error),
               YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "result_json_out");
  CHECK_RESULT(yx_client_call(client, YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN, "{}", NULL, NULL),
               YX_RESULT_NULL_ARGUMENT);
  CHECK(sb_request_count() == 0);
  /* args_json and error_out are optional: NULL args are {} (the core names what is missing). */
  error = NULL;
  CHECK_RESULT(yx_client_call(client, YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN, NULL, &result, &error),
               YX_RESULT_ERROR);
  CHECK(result == NULL);
  check_argument_error(error, "missing argument");
  CHECK(sb_request_count() == 0);
  CHECK_RESULT(yx_client_call(client, YX_OP_EXECUTE_CHANGE_REQUEST_RELEASE_STAGE,
                              "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW
                              "\",\"release_stage_sn\":\"" STAGE "\"}",
                              &result, NULL),
               YX_RESULT_OK);
  CHECK(result != NULL && strstr(result, "\"pipeline_run_id\":1") != NULL);
  yx_string_free(result);
  yx_string_free(NULL);
  CHECK(sb_request_count() == 1);

  /* The typed calls. */
  yx_run_status run_status = YX_RUN_STATUS_RUNNING;
  error = NULL;
  CHECK_RESULT(yx_client_get_run_status(NULL, NULL, APP, WORKFLOW, STAGE, 1, &run_status, &error),
               YX_RESULT_NULL_ARGUMENT);
  CHECK(run_status == YX_RUN_STATUS_OTHER);
  check_argument_error(error, "client");
  error = NULL;
  CHECK_RESULT(yx_client_get_run_status(client, NULL, NULL, WORKFLOW, STAGE, 1, &run_status, &error),
               YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "app_name");
  error = NULL;
  CHECK_RESULT(yx_client_get_run_status(client, NULL, APP, NULL, STAGE, 1, &run_status, &error),
               YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "release_workflow_sn");
  error = NULL;
  CHECK_RESULT(yx_client_get_run_status(client, NULL, APP, WORKFLOW, NULL, 1, &run_status, &error),
               YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "release_stage_sn");
  error = NULL;
  CHECK_RESULT(yx_client_get_run_status(client, NULL, APP, WORKFLOW, STAGE, 1, NULL, &error),
               YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "status_out");
  yx_wait_state state = YX_WAIT_STATE_SUCCEEDED;
  char *outcome = SENTINEL;
  error = NULL;
  CHECK_RESULT(yx_client_wait_for_run(NULL, NULL, APP, WORKFLOW, STAGE, 1, NULL, NULL, NULL, NULL,
                                      &state, &outcome, &error),
               YX_RESULT_NULL_ARGUMENT);
  CHECK(state == YX_WAIT_STATE_UNKNOWN && outcome == NULL);
  check_argument_error(error, "client");
  error = NULL;
  CHECK_RESULT(yx_client_wait_for_run(client, NULL, APP, WORKFLOW, STAGE, 1, NULL, NULL, NULL, NULL,
                                      NULL, &outcome, &error),
               YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "state_out");
  error = NULL;
  CHECK_RESULT(yx_client_wait_for_run(client, NULL, APP, WORKFLOW, STAGE, 1, "{\"app_name\":\"x\"}",
                                      NULL, NULL, NULL, &state, &outcome, &error),
               YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "app_name");
  error = NULL;
  CHECK_RESULT(yx_client_wait_for_run(client, NULL, APP, WORKFLOW, STAGE, 1, "{\"deadline\":5}",
                                      NULL, NULL, NULL, &state, &outcome, &error),
               YX_RESULT_ERROR);
  check_argument_error(error, "deadline"); /* the core names the unknown argument */
  CHECK(sb_request_count() == 1);
  CHECK_RESULT(yx_cancel_trigger(NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_cancel_trigger_from_signal(NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK(!yx_cancel_is_triggered(NULL));
  yx_cancel_free(NULL);
  CHECK_STR(yx_error_describe(NULL), "no error details");

  /* Requests. */
  request = SENTINEL;
  CHECK_RESULT(yx_request_new(NULL, WORKFLOW, STAGE, &request), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_new(APP, NULL, STAGE, &request), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, NULL, &request), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, STAGE, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK(request == NULL);
  request = NULL;
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, STAGE, &request), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_organization_id(NULL, ORG), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_set_organization_id(request, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_set_comment(NULL, "c"), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_set_comment(request, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_add_variable(NULL, "K", "V"), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_add_variable(request, NULL, "V"), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_add_variable(request, "K", NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_add_branch(NULL, "src", "main"), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_add_branch(request, NULL, "main"), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_add_branch(request, "src", NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_set_params_json(NULL, "{}", &error), YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "request");
  error = NULL;
  CHECK_RESULT(yx_request_set_params_json(request, NULL, &error), YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "params_json");
  error = NULL;
  CHECK_RESULT(yx_request_set_params_json(request, NULL, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_request_set_release_branch_repo_info_json(NULL, "{}", &error),
               YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "request");
  error = NULL;
  CHECK_RESULT(yx_request_set_release_branch_repo_info_json(request, NULL, &error),
               YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "info_json");
  error = NULL;
  CHECK_RESULT(yx_request_set_release_branch_repo_info_json(request, NULL, NULL),
               YX_RESULT_NULL_ARGUMENT);

  /* yx_client_execute. */
  sb_reset();
  response = SENTINEL;
  CHECK_RESULT(yx_client_execute(NULL, request, &response, &error), YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "client");
  error = NULL;
  CHECK_RESULT(yx_client_execute(client, NULL, &response, &error), YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "request");
  error = NULL;
  CHECK_RESULT(yx_client_execute(client, request, NULL, &error), YX_RESULT_NULL_ARGUMENT);
  check_argument_error(error, "response_out");
  error = NULL;
  CHECK(response == NULL);
  CHECK(sb_request_count() == 0);
  response = NULL;
  CHECK_RESULT(yx_client_execute(client, request, &response, NULL), YX_RESULT_OK);

  /* Response accessors. */
  uint64_t number = 42;
  uint16_t status = 42;
  bool flag = true;
  const char *text = SENTINEL;
  yx_error_kind kind = YX_ERROR_KIND_SERVER;
  CHECK_RESULT(yx_response_get_run_id(NULL, &number), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_run_id(response, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_object(NULL, &number), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_object(response, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_pipeline_id(NULL, &number), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_pipeline_id(response, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_pipeline_run_id(NULL, &number), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_pipeline_run_id(response, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_http_status(NULL, &status), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_http_status(response, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_request_id(NULL, &text), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_request_id(response, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_raw_json(NULL, &text), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_response_get_raw_json(response, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK(number == 0 && status == 0 && text == NULL); /* set on every return */
  yx_response_free(response);

  /* Error accessors, on an error with every field present. */
  yx_error *api_error = NULL;
  sb_reset();
  sb_faults("{\"status\":429,\"headers\":{\"Retry-After\":\"120\"}}");
  response = NULL;
  CHECK_RESULT(yx_client_execute(client, request, &response, &api_error), YX_RESULT_ERROR);
  CHECK_RESULT(yx_error_get_kind(NULL, &kind), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_kind(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_may_have_executed(NULL, &flag), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_may_have_executed(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_message(NULL, &text), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_message(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_description(NULL, &text), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_description(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_status(NULL, &status), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_status(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_error_code(NULL, &text), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_error_code(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_request_id(NULL, &text), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_request_id(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_trace_id(NULL, &text), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_trace_id(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_body(NULL, &text), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_body(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_retry_after_ms(NULL, &number), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_error_get_retry_after_ms(api_error, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK(number == 0 && status == 0 && text == NULL && !flag && (int)kind == 0); /* set on every return */
  yx_error_free(api_error);

  yx_request_free(request);
  yx_client_free(client);
  yx_options_free(options);
}

/* Bad UTF-8 in every string argument: YX_RESULT_INVALID_ARGUMENT naming the argument, never
 * quoting the bytes. */
static void test_invalid_utf8(void) {
  yx_options *options = sandbox_options();
  CHECK_RESULT(yx_options_set_token(options, BAD_UTF8), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_options_set_base_url(options, BAD_UTF8), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_options_set_organization_id(options, BAD_UTF8), YX_RESULT_INVALID_ARGUMENT);
  yx_client *client = NULL;
  yx_error *error = NULL;
  /* The options are unchanged by the refused values: the client still builds. */
  CHECK_RESULT(yx_client_new(options, &client, &error), YX_RESULT_OK);

  sb_reset();
  yx_response *response = NULL;
  char *result = SENTINEL;
  error = NULL;
  CHECK_RESULT(yx_client_call(client, BAD_UTF8, "{}", &result, &error), YX_RESULT_INVALID_ARGUMENT);
  CHECK(strstr(message_of(error), "\xff") == NULL);
  check_argument_error(error, "name");
  error = NULL;
  CHECK_RESULT(yx_client_call(client, YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN, BAD_UTF8, &result, &error),
               YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "args_json");
  error = NULL;
  CHECK_RESULT(yx_client_call(client, YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN, "{\"app_name\":", &result,
                              &error),
               YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "args_json");
  CHECK(result == NULL);
  yx_run_status run_status = YX_RUN_STATUS_RUNNING;
  error = NULL;
  CHECK_RESULT(yx_client_get_run_status(client, BAD_UTF8, APP, WORKFLOW, STAGE, 1, &run_status, &error),
               YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "organization_id");
  CHECK(run_status == YX_RUN_STATUS_OTHER);
  CHECK(sb_request_count() == 0);

  yx_request *request = SENTINEL;
  CHECK_RESULT(yx_request_new(BAD_UTF8, WORKFLOW, STAGE, &request), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_request_new(APP, BAD_UTF8, STAGE, &request), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, BAD_UTF8, &request), YX_RESULT_INVALID_ARGUMENT);
  CHECK(request == NULL);
  request = NULL;
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, STAGE, &request), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_organization_id(request, BAD_UTF8), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_request_set_comment(request, BAD_UTF8), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_request_add_variable(request, BAD_UTF8, "V"), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_request_add_variable(request, "K", BAD_UTF8), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_request_add_branch(request, BAD_UTF8, "main"), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_request_add_branch(request, "src", BAD_UTF8), YX_RESULT_INVALID_ARGUMENT);
  error = NULL;
  CHECK_RESULT(yx_request_set_params_json(request, BAD_UTF8, &error), YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "params_json");
  error = NULL;
  CHECK_RESULT(yx_request_set_release_branch_repo_info_json(request, BAD_UTF8, &error),
               YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "info_json");

  /* Unknown enumeration values. */
  CHECK_RESULT(yx_options_set_edition(options, 0), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_options_set_edition(options, 3), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_options_set_edition(options, -1), YX_RESULT_INVALID_ARGUMENT);

  /* Nothing refused above reached the request: it still runs, with no parameters. */
  sb_reset();
  response = NULL;
  CHECK_RESULT(yx_client_execute(client, request, &response, NULL), YX_RESULT_OK);
  char *log = sb_requests();
  CHECK(log != NULL && strstr(log, "\"body\":\"{\\\"params\\\":{}}\"") != NULL);
  free(log);
  yx_response_free(response);
  yx_request_free(request);
  yx_client_free(client);
  yx_options_free(options);
}

/* Builds a client from `options` and checks it fails with a configuration error. */
static void check_configuration_error(yx_options *options, const char *what) {
  yx_client *client = SENTINEL;
  yx_error *error = NULL;
  if (!CHECK_RESULT(yx_client_new(options, &client, &error), YX_RESULT_ERROR)) {
    fprintf(stderr, "  (%s)\n", what);
  }
  CHECK(client == NULL);
  if (CHECK(error != NULL)) {
    CHECK(kind_of(error) == YX_ERROR_KIND_CONFIGURATION);
    CHECK(strstr(message_of(error), TOKEN) == NULL);
  }
  yx_error_free(error);
  yx_options_free(options);
}

/* Empty strings and out-of-range values: the core's errors, nothing sent. */
static void test_empty_strings_and_bad_values(void) {
  yx_options *options;
  options = sandbox_options();
  yx_options_set_token(options, "");
  check_configuration_error(options, "empty token");
  options = sandbox_options();
  yx_options_set_base_url(options, "");
  check_configuration_error(options, "empty base URL");
  options = sandbox_options();
  yx_options_set_organization_id(options, "");
  check_configuration_error(options, "empty organization");
  options = sandbox_options();
  yx_options_set_request_timeout_ms(options, 0);
  check_configuration_error(options, "request timeout 0");
  options = sandbox_options();
  yx_options_set_connect_timeout_ms(options, 0);
  check_configuration_error(options, "connect timeout 0");
  options = sandbox_options();
  yx_options_set_max_retries(options, 11);
  check_configuration_error(options, "11 retries");
  options = sandbox_options();
  yx_options_set_max_response_bytes(options, 0);
  check_configuration_error(options, "0 response bytes");
  options = sandbox_options();
  yx_options_set_base_url(options, "ftp://example.com");
  check_configuration_error(options, "ftp");
  options = sandbox_options();
  yx_options_set_base_url(options, "http://example.com");
  check_configuration_error(options, "plain http");
  options = sandbox_options();
  yx_options_set_token(options, "pt-with\nnewline");
  check_configuration_error(options, "token with a newline");

  /* Plain http elsewhere than loopback, when allowed explicitly. */
  options = sandbox_options();
  yx_options_set_base_url(options, "http://example.com");
  yx_options_set_allow_insecure_http(options, true);
  yx_client *client = NULL;
  CHECK_RESULT(yx_client_new(options, &client, NULL), YX_RESULT_OK);
  yx_client_free(client);
  yx_options_free(options);

  client = sandbox_client();
  sb_reset();
  struct {
    const char *org, *app, *workflow, *stage, *params;
    yx_result result;
  } cases[] = {
      {"", APP, WORKFLOW, STAGE, NULL, YX_RESULT_ERROR},
      {ORG, "", WORKFLOW, STAGE, NULL, YX_RESULT_ERROR},
      {ORG, APP, "", STAGE, NULL, YX_RESULT_ERROR},
      {ORG, APP, WORKFLOW, "", NULL, YX_RESULT_ERROR},
      {ORG, APP, WORKFLOW, " ", NULL, YX_RESULT_ERROR},
      {ORG, APP, WORKFLOW, "..", NULL, YX_RESULT_ERROR},
      {ORG, "a\r\nb", WORKFLOW, STAGE, NULL, YX_RESULT_ERROR},
      {ORG, APP, WORKFLOW, STAGE, "[1]", YX_RESULT_ERROR},
      {ORG, APP, WORKFLOW, STAGE, "null", YX_RESULT_ERROR},
      {ORG, APP, WORKFLOW, STAGE, "{\"\":\"empty key\"}", YX_RESULT_ERROR},
      {ORG, APP, WORKFLOW, STAGE, "", YX_RESULT_INVALID_ARGUMENT},
      {ORG, APP, WORKFLOW, STAGE, "{\"unclosed\": ", YX_RESULT_INVALID_ARGUMENT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    yx_response *response = SENTINEL;
    yx_error *error = NULL;
    if (!CHECK_RESULT(execute_ids(client, cases[i].org, cases[i].app, cases[i].workflow,
                                  cases[i].stage, cases[i].params, &response, &error),
                      cases[i].result)) {
      fprintf(stderr, "  (case %zu)\n", i);
    }
    CHECK(response == NULL);
    if (CHECK(error != NULL)) {
      CHECK(kind_of(error) == YX_ERROR_KIND_INVALID_REQUEST);
      uint16_t status = 0;
      CHECK_RESULT(yx_error_get_status(error, &status), YX_RESULT_NOT_PRESENT);
    }
    yx_error_free(error);
  }

  /* Empty values in a request's helpers. */
  yx_request *request = NULL;
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, STAGE, &request), YX_RESULT_OK);
  yx_request_set_organization_id(request, ORG);
  CHECK_RESULT(yx_request_add_variable(request, "", "v"), YX_RESULT_OK); /* judged at execute */
  yx_response *response = SENTINEL;
  yx_error *error = NULL;
  CHECK_RESULT(yx_client_execute(client, request, &response, &error), YX_RESULT_ERROR);
  CHECK(error != NULL && kind_of(error) == YX_ERROR_KIND_INVALID_REQUEST);
  yx_error_free(error);
  yx_request_free(request);

  error = NULL;
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, STAGE, &request), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_release_branch_repo_info_json(request, "", &error),
               YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "info_json");
  error = NULL;
  CHECK_RESULT(yx_request_set_release_branch_repo_info_json(request, "{\"repo\":\"r\",\"extra\":1}", &error),
               YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "info_json");
  error = NULL;
  CHECK_RESULT(yx_request_set_params_json(request, "", &error), YX_RESULT_INVALID_ARGUMENT);
  check_argument_error(error, "params_json");
  yx_request_free(request);

  CHECK(sb_request_count() == 0);
  yx_client_free(client);
}

/* Finds `"name":` in a JSON log and returns a pointer to its value, or NULL. */
static const char *field(const char *json, const char *name) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\":", name);
  const char *at = json ? strstr(json, key) : NULL;
  return at ? at + strlen(key) : NULL;
}

static void test_success(void) {
  yx_client *client = sandbox_client();

  /* yx_execute_release_stage with raw params. */
  sb_reset();
  yx_response *response = NULL;
  yx_error *error = SENTINEL;
  CHECK_RESULT(execute_ids(client, ORG, APP, WORKFLOW, STAGE,
                                        "{\"IMAGE_TAG\":\"1.4.2\",\"FLOW_INST_RUNNING_COMMENT\":\"c\"}",
                                        &response, &error),
               YX_RESULT_OK);
  CHECK(error == NULL); /* set to NULL on success */
  uint64_t run_id = 0, object = 0, pipeline_id = 0, pipeline_run_id = 0;
  uint16_t status = 0;
  const char *request_id = NULL, *raw = NULL;
  CHECK_RESULT(yx_response_get_run_id(response, &run_id), YX_RESULT_OK);
  CHECK_RESULT(yx_response_get_object(response, &object), YX_RESULT_OK);
  CHECK_RESULT(yx_response_get_pipeline_id(response, &pipeline_id), YX_RESULT_OK);
  CHECK_RESULT(yx_response_get_pipeline_run_id(response, &pipeline_run_id), YX_RESULT_OK);
  CHECK_RESULT(yx_response_get_http_status(response, &status), YX_RESULT_OK);
  CHECK_RESULT(yx_response_get_request_id(response, &request_id), YX_RESULT_OK);
  CHECK_RESULT(yx_response_get_raw_json(response, &raw), YX_RESULT_OK);
  CHECK(run_id == 1 && object == 1 && pipeline_run_id == 1 && pipeline_id > 0);
  CHECK(status == 200);
  CHECK(request_id != NULL && strlen(request_id) > 0);
  char expected_raw[128];
  snprintf(expected_raw, sizeof expected_raw, "{\"object\":1,\"pipelineId\":%" PRIu64 ",\"pipelineRunId\":1}",
           pipeline_id);
  CHECK_STR(raw, expected_raw);
  yx_response_free(response);

  char *log = sb_requests();
  CHECK(field(log, "count") && strncmp(field(log, "count"), "1", 1) == 0);
  CHECK(strstr(log, "\"method\":\"POST\"") != NULL);
  CHECK(strstr(log, "\"path\":\"/oapi/v1/appstack/organizations/sandbox-org/apps/my-web-service/"
                    "releaseWorkflows/wf-main/releaseStages/stage-deploy:execute\"") != NULL);
  CHECK(strstr(log, "\"token\":\"valid\"") != NULL);
  CHECK(strstr(log, "\"json\":{\"params\":{\"IMAGE_TAG\":\"1.4.2\",\"FLOW_INST_RUNNING_COMMENT\":\"c\"}}") !=
        NULL);
  /* The user agent names this binding. */
  char agent[128];
  snprintf(agent, sizeof agent, "\"user-agent\":\"yunxiao-appstack/%s (c)\"", yx_version());
  CHECK(strstr(log, agent) != NULL);
  free(log);

  /* A yx_request with every typed helper, executed twice: two runs. */
  sb_reset();
  yx_request *request = NULL;
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, STAGE, &request), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_organization_id(request, ORG), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_comment(request, "first"), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_comment(request, "运行备注1"), YX_RESULT_OK); /* replaces */
  CHECK_RESULT(yx_request_add_variable(request, "k1", "v1"), YX_RESULT_OK);
  CHECK_RESULT(yx_request_add_variable(request, "k2", ""), YX_RESULT_OK);
  CHECK_RESULT(yx_request_add_branch(request, "${sourceId}", "branch"), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_release_branch_repo_info_json(
                   request,
                   "{\"featureBranchs\":[{\"branchName\":\"feature/a\",\"changeRequestSn\":\"cr-a\"}],"
                   "\"repo\":\"https://codeup.aliyun.com/org/demo.git\","
                   "\"releaseBranch\":{\"branchName\":\"release/1\"}}",
                   NULL),
               YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_params_json(request, "{\"NEW\":{\"a\":[1,2]}}", NULL), YX_RESULT_OK);
  for (uint64_t expected = 1; expected <= 2; expected++) {
    response = NULL;
    CHECK_RESULT(yx_client_execute(client, request, &response, NULL), YX_RESULT_OK);
    run_id = 0;
    CHECK_RESULT(yx_response_get_run_id(response, &run_id), YX_RESULT_OK);
    CHECK(run_id == expected);
    yx_response_free(response);
  }
  yx_request_free(request);
  log = sb_requests();
  CHECK(strstr(log, "\"count\":2") != NULL);
  CHECK(strstr(log, "\"json\":{\"params\":{\"FLOW_INST_RUNNING_COMMENT\":\"运行备注1\",\"k1\":\"v1\","
                    "\"k2\":\"\",\"${sourceId}\":\"branch\",\"releaseBranchRepoInfo\":{\"featureBranchs\":"
                    "[{\"branchName\":\"feature/a\",\"changeRequestSn\":\"cr-a\"}],\"repo\":"
                    "\"https://codeup.aliyun.com/org/demo.git\",\"needCreateBranch\":false,"
                    "\"releaseBranch\":{\"branchName\":\"release/1\"}},\"NEW\":{\"a\":[1,2]}}}") != NULL);
  free(log);

  /* Non-ASCII and reserved characters in ids are encoded by the core. */
  sb_reset();
  response = NULL;
  CHECK_RESULT(execute_ids(client, NULL, "应用服务", WORKFLOW, STAGE, NULL, &response, NULL),
               YX_RESULT_OK);
  yx_response_free(response);
  response = NULL;
  CHECK_RESULT(execute_ids(client, NULL, "a/b c", WORKFLOW, STAGE, NULL, &response, NULL),
               YX_RESULT_OK);
  yx_response_free(response);
  CHECK(sb_request_count() == 2);

  /* A 2xx whose body lacks the run fields: present but absent values. */
  sb_reset();
  sb_faults("{\"status\":200,\"body\":{\"pipelineId\":7}}");
  response = NULL;
  CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, NULL),
               YX_RESULT_OK);
  run_id = 99;
  object = 99;
  pipeline_run_id = 99;
  CHECK_RESULT(yx_response_get_run_id(response, &run_id), YX_RESULT_NOT_PRESENT);
  CHECK_RESULT(yx_response_get_object(response, &object), YX_RESULT_NOT_PRESENT);
  CHECK_RESULT(yx_response_get_pipeline_run_id(response, &pipeline_run_id), YX_RESULT_NOT_PRESENT);
  CHECK(run_id == 0 && object == 0 && pipeline_run_id == 0); /* set to 0 when absent */
  CHECK_RESULT(yx_response_get_pipeline_id(response, &pipeline_id), YX_RESULT_OK);
  CHECK(pipeline_id == 7);
  yx_response_free(response);

  yx_client_free(client);
}

/* The region edition leaves the organization out of the path. */
static void test_region_edition(void) {
  yx_options *options = sandbox_options();
  CHECK_RESULT(yx_options_set_edition(options, YX_EDITION_REGION), YX_RESULT_OK);
  yx_client *client = NULL;
  CHECK_RESULT(yx_client_new(options, &client, NULL), YX_RESULT_OK);
  yx_options_free(options);
  sb_reset();
  yx_response *response = NULL;
  CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, NULL),
               YX_RESULT_OK);
  yx_response_free(response);
  char *log = sb_requests();
  CHECK(strstr(log, "\"path\":\"/oapi/v1/appstack/apps/my-web-service/releaseWorkflows/wf-main/"
                    "releaseStages/stage-deploy:execute\"") != NULL);
  free(log);
  yx_client_free(client);
}

/* One fault kind and what the C caller must see. */
struct fault_case {
  const char *name;
  const char *faults;       /* the sandbox fault queue, JSON */
  const char *base_url;     /* NULL: the sandbox */
  unsigned max_retries;
  uint64_t timeout_ms;
  size_t max_response_bytes; /* 0: the default */
  yx_error_kind kind;
  int status;               /* -1: no HTTP answer */
  const char *error_code;   /* NULL: none */
  long requests;
  bool may_have_executed;
  long long retry_after_ms; /* -1: none */
};

static void run_fault_case(const struct fault_case *c) {
  yx_options *options = sandbox_options();
  yx_options_set_max_retries(options, c->max_retries);
  yx_options_set_request_timeout_ms(options, c->timeout_ms);
  if (c->base_url) {
    yx_options_set_base_url(options, c->base_url);
  }
  if (c->max_response_bytes) {
    yx_options_set_max_response_bytes(options, c->max_response_bytes);
  }
  yx_client *client = NULL;
  CHECK_RESULT(yx_client_new(options, &client, NULL), YX_RESULT_OK);
  yx_options_free(options);

  sb_reset();
  if (c->faults) {
    sb_faults(c->faults);
  }
  yx_response *response = SENTINEL;
  yx_error *error = NULL;
  bool ok = CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, &error),
                         YX_RESULT_ERROR);
  ok &= CHECK(response == NULL);
  if (error != NULL) {
    yx_error_kind kind = kind_of(error);
    ok &= CHECK(kind == c->kind);
    if (kind != c->kind) {
      fprintf(stderr, "  kind %s, expected %s\n", yx_error_kind_name((int)kind), yx_error_kind_name((int)c->kind));
    }
    uint16_t status = 0;
    if (c->status < 0) {
      ok &= CHECK_RESULT(yx_error_get_status(error, &status), YX_RESULT_NOT_PRESENT);
    } else {
      ok &= CHECK_RESULT(yx_error_get_status(error, &status), YX_RESULT_OK);
      ok &= CHECK(status == c->status);
    }
    const char *code = NULL;
    if (c->error_code == NULL) {
      ok &= CHECK_RESULT(yx_error_get_error_code(error, &code), YX_RESULT_NOT_PRESENT);
    } else {
      ok &= CHECK_RESULT(yx_error_get_error_code(error, &code), YX_RESULT_OK);
      ok &= CHECK_STR(code, c->error_code);
    }
    bool may = !c->may_have_executed;
    ok &= CHECK_RESULT(yx_error_get_may_have_executed(error, &may), YX_RESULT_OK);
    ok &= CHECK(may == c->may_have_executed);
    uint64_t retry_after = 0;
    if (c->retry_after_ms < 0) {
      ok &= CHECK_RESULT(yx_error_get_retry_after_ms(error, &retry_after), YX_RESULT_NOT_PRESENT);
    } else {
      ok &= CHECK_RESULT(yx_error_get_retry_after_ms(error, &retry_after), YX_RESULT_OK);
      ok &= CHECK(retry_after == (uint64_t)c->retry_after_ms);
    }
    /* Answers carry request ids; failures without an answer do not. */
    const char *request_id = NULL;
    ok &= CHECK_RESULT(yx_error_get_request_id(error, &request_id),
                       c->status < 0 ? YX_RESULT_NOT_PRESENT : YX_RESULT_OK);
    const char *message = NULL, *description = NULL;
    ok &= CHECK_RESULT(yx_error_get_message(error, &message), YX_RESULT_OK);
    ok &= CHECK_RESULT(yx_error_get_description(error, &description), YX_RESULT_OK);
    ok &= CHECK(message != NULL && strlen(message) > 0 && description != NULL && strlen(description) > 0);
  } else {
    ok &= CHECK(error != NULL);
  }
  long count = sb_request_count();
  ok &= CHECK(count == c->requests);
  if (!ok) {
    fprintf(stderr, "  in fault case %s (%ld requests)\n", c->name, count);
  }
  yx_error_free(error);
  yx_client_free(client);
}

static void test_every_fault_kind(void) {
  const struct fault_case cases[] = {
      {"400", "{\"status\":400}", NULL, 2, 10000, 0, YX_ERROR_KIND_BAD_REQUEST, 400, "BadRequest", 1, false, -1},
      {"401", "{\"status\":401}", NULL, 2, 10000, 0, YX_ERROR_KIND_AUTHENTICATION, 401, "Unauthorized", 1, false, -1},
      {"403", "{\"status\":403}", NULL, 2, 10000, 0, YX_ERROR_KIND_PERMISSION_DENIED, 403, "Forbidden", 1, false, -1},
      {"404", "{\"status\":404}", NULL, 2, 10000, 0, YX_ERROR_KIND_NOT_FOUND, 404, "NotFound", 1, false, -1},
      {"409", "{\"status\":409}", NULL, 2, 10000, 0, YX_ERROR_KIND_API_STATUS, 409, "Conflict", 1, false, -1},
      {"307", "{\"status\":307,\"headers\":{\"Location\":\"http://127.0.0.1:1/x\"},\"body\":\"\"}", NULL, 2,
       10000, 0, YX_ERROR_KIND_API_STATUS, 307, NULL, 1, true, -1},
      {"429 retried until exhausted", "{\"status\":429,\"times\":3,\"headers\":{\"Retry-After\":\"0\"}}", NULL, 2,
       10000, 0, YX_ERROR_KIND_RATE_LIMITED, 429, "TooManyRequests", 3, false, 0},
      {"429 with a long Retry-After", "{\"status\":429,\"headers\":{\"Retry-After\":\"120\"}}", NULL, 2, 10000, 0,
       YX_ERROR_KIND_RATE_LIMITED, 429, "TooManyRequests", 1, false, 120000},
      {"500", "{\"status\":500}", NULL, 2, 10000, 0, YX_ERROR_KIND_SERVER, 500, "InternalServerError", 1, true, -1},
      {"502 html", "{\"status\":502,\"body\":\"<html><h1>502 Bad Gateway</h1></html>\"}", NULL, 2, 10000, 0,
       YX_ERROR_KIND_SERVER, 502, NULL, 1, true, -1},
      {"503 without Retry-After", "{\"status\":503}", NULL, 2, 10000, 0, YX_ERROR_KIND_SERVER, 503,
       "ServiceUnavailable", 1, true, -1},
      {"503 with Retry-After, retried", "{\"status\":503,\"times\":3,\"headers\":{\"Retry-After\":\"0\"}}", NULL, 2,
       10000, 0, YX_ERROR_KIND_SERVER, 503, "ServiceUnavailable", 3, false, 0},
      {"close", "{\"action\":\"close\"}", NULL, 2, 10000, 0, YX_ERROR_KIND_CONNECTION, -1, NULL, 1, true, -1},
      {"cut_body", "{\"action\":\"cut_body\"}", NULL, 2, 10000, 0, YX_ERROR_KIND_CONNECTION, -1, NULL, 1, true, -1},
      {"malformed_json", "{\"action\":\"malformed_json\"}", NULL, 2, 10000, 0, YX_ERROR_KIND_DECODE, 200, NULL, 1,
       true, -1},
      {"oversized", "{\"action\":\"oversized\",\"size\":65536}", NULL, 2, 10000, 1024,
       YX_ERROR_KIND_RESPONSE_TOO_LARGE, 200, NULL, 1, true, -1},
      {"timeout", "{\"action\":\"pass\",\"delay_ms\":3000}", NULL, 2, 300, 0, YX_ERROR_KIND_TIMEOUT, -1, NULL, 1,
       true, -1},
      {"connection refused", NULL, "http://127.0.0.1:9", 1, 10000, 0, YX_ERROR_KIND_CONNECTION, -1, NULL, 0, false,
       -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    run_fault_case(&cases[i]);
  }
}

/* The token never appears in what the library returns, even when the server echoes it. */
static void test_token_never_shown(void) {
  yx_client *client = sandbox_client();
  sb_reset();
  sb_faults("{\"status\":401,\"body\":{\"errorCode\":\"Bad" TOKEN "\",\"errorMessage\":\"token " TOKEN
            " is wrong\",\"requestId\":\"" TOKEN "\",\"traceId\":\"" TOKEN "\"}}");
  yx_error *error = NULL;
  yx_response *response = NULL;
  CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, &error),
               YX_RESULT_ERROR);
  const char *text = NULL;
  CHECK_RESULT(yx_error_get_message(error, &text), YX_RESULT_OK);
  CHECK(strstr(text, TOKEN) == NULL && strstr(text, "wrong") != NULL);
  CHECK_RESULT(yx_error_get_description(error, &text), YX_RESULT_OK);
  CHECK(strstr(text, TOKEN) == NULL);
  CHECK_RESULT(yx_error_get_body(error, &text), YX_RESULT_OK);
  CHECK(strstr(text, TOKEN) == NULL && strstr(text, "****") != NULL);
  CHECK_RESULT(yx_error_get_error_code(error, &text), YX_RESULT_OK);
  CHECK(strstr(text, TOKEN) == NULL);
  CHECK_RESULT(yx_error_get_request_id(error, &text), YX_RESULT_OK);
  CHECK(strstr(text, TOKEN) == NULL);
  CHECK_RESULT(yx_error_get_trace_id(error, &text), YX_RESULT_OK);
  CHECK(strstr(text, TOKEN) == NULL);
  yx_error_free(error);
  /* The sandbox masks the token in its log, and says whether it was right. */
  char *log = sb_requests();
  CHECK(log != NULL && strstr(log, TOKEN) == NULL && strstr(log, "\"token\":\"valid\"") != NULL);
  free(log);
  yx_client_free(client);
}

/* Unset options come from YUNXIAO_* variables; set ones win; ignoring the environment works. */
static void test_environment(void) {
  setenv("YUNXIAO_ACCESS_TOKEN", TOKEN, 1);
  setenv("YUNXIAO_API_BASE_URL", sb_url(), 1);
  setenv("YUNXIAO_ORGANIZATION_ID", ORG, 1);
  setenv("YUNXIAO_MAX_RETRIES", "0", 1);

  yx_options *options = yx_options_new();
  yx_client *client = NULL;
  yx_error *error = NULL;
  CHECK_RESULT(yx_client_new(options, &client, &error), YX_RESULT_OK);
  sb_reset();
  sb_faults("{\"status\":429,\"headers\":{\"Retry-After\":\"0\"}}");
  yx_response *response = NULL;
  CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, &error),
               YX_RESULT_ERROR); /* YUNXIAO_MAX_RETRIES=0: not retried */
  CHECK(sb_request_count() == 1);
  yx_error_free(error);
  yx_client_free(client);

  /* NULL options, as the header allows: everything from the environment. */
  client = NULL;
  error = NULL;
  CHECK_RESULT(yx_client_new(NULL, &client, &error), YX_RESULT_OK);
  CHECK(client != NULL && error == NULL);
  sb_reset();
  response = NULL;
  CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, &error),
               YX_RESULT_OK);
  CHECK(sb_request_count() == 1);
  yx_response_free(response);
  yx_client_free(client);

  /* An explicit token beats the environment's. */
  setenv("YUNXIAO_ACCESS_TOKEN", "pt-wrong-token", 1);
  CHECK_RESULT(yx_options_set_token(options, TOKEN), YX_RESULT_OK);
  client = NULL;
  CHECK_RESULT(yx_client_new(options, &client, NULL), YX_RESULT_OK);
  response = NULL;
  CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, NULL),
               YX_RESULT_OK);
  yx_response_free(response);
  yx_client_free(client);

  /* A bad environment value is a configuration error naming the variable. */
  setenv("YUNXIAO_TIMEOUT", "soon", 1);
  error = NULL;
  client = SENTINEL;
  CHECK_RESULT(yx_client_new(options, &client, &error), YX_RESULT_ERROR);
  CHECK(client == NULL);
  CHECK(error != NULL && kind_of(error) == YX_ERROR_KIND_CONFIGURATION);
  CHECK(strstr(message_of(error), "YUNXIAO_TIMEOUT") != NULL);
  yx_error_free(error);

  /* Ignoring the environment: no base URL but the default, no organization, no bad timeout. */
  CHECK_RESULT(yx_options_set_ignore_environment(options, true), YX_RESULT_OK);
  CHECK_RESULT(yx_options_set_base_url(options, sb_url()), YX_RESULT_OK);
  client = NULL;
  CHECK_RESULT(yx_client_new(options, &client, NULL), YX_RESULT_OK);
  error = NULL;
  response = SENTINEL;
  CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, &error),
               YX_RESULT_ERROR); /* the central edition needs an organization */
  CHECK(error != NULL && kind_of(error) == YX_ERROR_KIND_INVALID_REQUEST);
  yx_error_free(error);
  yx_client_free(client);

  /* Without any token anywhere. */
  unsetenv("YUNXIAO_ACCESS_TOKEN");
  CHECK_RESULT(yx_options_set_ignore_environment(options, false), YX_RESULT_OK);
  yx_options_free(options);
  unsetenv("YUNXIAO_TIMEOUT");
  options = yx_options_new();
  check_configuration_error(options, "no token");
  /* NULL options without a token anywhere: the same configuration error, nothing stored. */
  client = SENTINEL;
  error = NULL;
  CHECK_RESULT(yx_client_new(NULL, &client, &error), YX_RESULT_ERROR);
  CHECK(client == NULL);
  CHECK(error != NULL && kind_of(error) == YX_ERROR_KIND_CONFIGURATION);
  yx_error_free(error);

  unsetenv("YUNXIAO_API_BASE_URL");
  unsetenv("YUNXIAO_ORGANIZATION_ID");
  unsetenv("YUNXIAO_MAX_RETRIES");
}

/* Issue 13's mends: outputs set on every return, raw params add up, one-call printing, the
 * operation and start time of a failure, the newer settings. */
static void test_mends(void) {
  yx_client *client = sandbox_client();

  /* A loop that frees its outputs without resetting them: success, failure, success. Under
   * valgrind and ASan a stale pointer freed twice would be reported. */
  yx_response *response = NULL;
  yx_error *error = NULL;
  for (int i = 0; i < 4; i++) {
    sb_reset();
    if (i % 2 == 1) {
      sb_faults("{\"status\":404}");
    }
    yx_result rc = execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, &error);
    CHECK(rc == (i % 2 == 1 ? YX_RESULT_ERROR : YX_RESULT_OK));
    CHECK((response == NULL) == (rc != YX_RESULT_OK));
    CHECK((error == NULL) == (rc == YX_RESULT_OK));
    if (rc != YX_RESULT_OK) {
      /* Printing takes one call; it is the description. */
      const char *description = NULL;
      CHECK_RESULT(yx_error_get_description(error, &description), YX_RESULT_OK);
      CHECK_STR(yx_error_describe(error), description);
      CHECK(strncmp(yx_error_describe(error), "not_found", 9) == 0 ||
            strstr(yx_error_describe(error), "404") != NULL);
    }
    yx_response_free(response);
    yx_error_free(error);
  }

  /* The operation and the start time of a failed call. */
  sb_reset();
  sb_faults("{\"status\":500}");
  char *result = NULL;
  CHECK_RESULT(yx_client_call(client, YX_OP_PASS_RELEASE_STAGE_PIPELINE_VALIDATE,
                              "{\"app_name\":\"" APP "\",\"release_workflow_sn\":\"" WORKFLOW
                              "\",\"release_stage_sn\":\"" STAGE "\",\"execution_number\":1,\"job_id\":2}",
                              &result, &error),
               YX_RESULT_ERROR);
  CHECK(result == NULL);
  const char *operation = NULL;
  CHECK_RESULT(yx_error_get_operation(error, &operation), YX_RESULT_OK);
  CHECK_STR(operation, "PassReleaseStagePipelineValidate");
  double started_at_ms = 0;
  CHECK_RESULT(yx_error_get_started_at_ms(error, &started_at_ms), YX_RESULT_OK);
  CHECK(started_at_ms > 1.7e12 && started_at_ms < 4.1e12);
  bool may = false;
  CHECK_RESULT(yx_error_get_may_have_executed(error, &may), YX_RESULT_OK);
  CHECK(may); /* a 500 to a mutating call */
  yx_error_free(error);
  /* A refused argument has no operation or start time. */
  CHECK_RESULT(yx_client_call(client, "no_such_call", NULL, &result, &error), YX_RESULT_ERROR);
  operation = SENTINEL;
  CHECK_RESULT(yx_error_get_operation(error, &operation), YX_RESULT_NOT_PRESENT);
  CHECK(operation == NULL);
  CHECK(strstr(yx_error_describe(error), "unknown operation") != NULL);
  yx_error_free(error);

  /* Every generated name is one the core knows: an unknown argument is refused naming the
   * argument, never the operation, and nothing is sent. */
  static const char *const names[YX_OP_COUNT] = YX_OP_NAMES;
  sb_reset();
  for (int i = 0; i < YX_OP_COUNT; i++) {
    result = SENTINEL;
    error = NULL;
    if (!CHECK_RESULT(yx_client_call(client, names[i], "{\"no_such_argument\":1}", &result, &error),
                      YX_RESULT_ERROR)) {
      fprintf(stderr, "  (%s)\n", names[i]);
    }
    CHECK(result == NULL);
    CHECK(strstr(yx_error_describe(error), "unknown operation") == NULL);
    check_argument_error(error, "no_such_argument");
  }
  CHECK(sb_request_count() == 0);

  /* yx_request_set_params_json adds up, as documented: both calls' entries are sent, in order;
   * a key given twice is refused at execute, before sending. */
  yx_request *request = NULL;
  CHECK_RESULT(yx_request_new(APP, WORKFLOW, STAGE, &request), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_params_json(request, "{\"A\":\"1\"}", NULL), YX_RESULT_OK);
  CHECK_RESULT(yx_request_set_params_json(request, "{\"B\":\"2\"}", NULL), YX_RESULT_OK);
  sb_reset();
  CHECK_RESULT(yx_client_execute(client, request, &response, &error), YX_RESULT_OK);
  char *log = sb_requests();
  CHECK(log != NULL && strstr(log, "\"json\":{\"params\":{\"A\":\"1\",\"B\":\"2\"}}") != NULL);
  free(log);
  yx_response_free(response);
  CHECK_RESULT(yx_request_set_params_json(request, "{\"A\":\"3\"}", NULL), YX_RESULT_OK);
  sb_reset();
  CHECK_RESULT(yx_client_execute(client, request, &response, &error), YX_RESULT_ERROR);
  CHECK(response == NULL && error != NULL && kind_of(error) == YX_ERROR_KIND_INVALID_REQUEST);
  CHECK(strstr(message_of(error), "A") != NULL);
  CHECK(sb_request_count() == 0);
  yx_error_free(error);
  yx_request_free(request);
  yx_client_free(client);

  /* The newer settings: NULL checks, and the core's judgement at yx_client_new. */
  CHECK_RESULT(yx_options_set_ca_bundle(NULL, "/x"), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_proxy(NULL, "http://p:1"), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_deadline_ms(NULL, 1000), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_max_rps(NULL, 5.0), YX_RESULT_NULL_ARGUMENT);
  yx_options *options = sandbox_options();
  CHECK_RESULT(yx_options_set_ca_bundle(options, NULL), YX_RESULT_NULL_ARGUMENT);
  CHECK_RESULT(yx_options_set_proxy(options, BAD_UTF8), YX_RESULT_INVALID_ARGUMENT);
  CHECK_RESULT(yx_options_set_deadline_ms(options, 0), YX_RESULT_OK);
  check_configuration_error(options, "deadline 0");
  options = sandbox_options();
  CHECK_RESULT(yx_options_set_max_rps(options, -1.0), YX_RESULT_OK);
  check_configuration_error(options, "max_rps -1");
  options = sandbox_options();
  CHECK_RESULT(yx_options_set_ca_bundle(options, "/nonexistent/ca.pem"), YX_RESULT_OK);
  check_configuration_error(options, "a missing CA bundle");
  /* A proxy's password is as secret as the token. */
  options = sandbox_options();
  CHECK_RESULT(yx_options_set_proxy(options, "ftp://user:pw-hunter2@proxy:3128"), YX_RESULT_OK);
  client = NULL;
  error = NULL;
  if (yx_client_new(options, &client, &error) != YX_RESULT_OK) {
    CHECK(strstr(yx_error_describe(error), "hunter2") == NULL);
  }
  yx_error_free(error);
  yx_client_free(client);
  yx_options_free(options);
  /* Valid ones build a client that works. */
  options = sandbox_options();
  CHECK_RESULT(yx_options_set_deadline_ms(options, 30000), YX_RESULT_OK);
  CHECK_RESULT(yx_options_set_max_rps(options, 1000.0), YX_RESULT_OK);
  client = NULL;
  CHECK_RESULT(yx_client_new(options, &client, &error), YX_RESULT_OK);
  CHECK(error == NULL);
  sb_reset();
  CHECK_RESULT(execute_ids(client, NULL, APP, WORKFLOW, STAGE, NULL, &response, &error), YX_RESULT_OK);
  yx_response_free(response);
  yx_client_free(client);
  yx_options_free(options);
}

/* A strictly sequential caller keeps one connection: executes and reads through the generic
 * call, one after another on one client, open a single connection (counted by the sandbox). */
static void test_sequential_calls_share_one_connection(void) {
  sb_reset();
  yx_client *client = sandbox_client();
  long before = sb_connections_accepted();
  for (int i = 0; i < 5; i++) {
    yx_response *response = NULL;
    yx_error *error = NULL;
    CHECK_RESULT(execute_ids(client, NULL, "my-web-service", "wf-main", "stage-deploy", NULL,
                             &response, &error),
                 YX_RESULT_OK);
    yx_response_free(response);
    yx_error_free(error);
    char *run = NULL;
    CHECK_RESULT(yx_client_call(client, YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN,
                                "{\"app_name\":\"my-web-service\",\"release_workflow_sn\":\"wf-main\","
                                "\"release_stage_sn\":\"stage-deploy\",\"execution_number\":1}",
                                &run, &error),
                 YX_RESULT_OK);
    yx_string_free(run);
    yx_error_free(error);
  }
  /* The client's one connection, and the second health request's own. */
  long opened = sb_connections_accepted() - before;
  if (!CHECK(opened == 2)) {
    fprintf(stderr, "  10 sequential calls opened %ld connections\n", opened - 1);
  }
  yx_client_free(client);
}

int main(void) {
  /* The environment of the caller must not leak into the tests that rely on it. */
  unsetenv("YUNXIAO_ACCESS_TOKEN");
  unsetenv("YUNXIAO_API_BASE_URL");
  unsetenv("YUNXIAO_EDITION");
  unsetenv("YUNXIAO_ORGANIZATION_ID");
  unsetenv("YUNXIAO_TIMEOUT");
  unsetenv("YUNXIAO_CONNECT_TIMEOUT");
  unsetenv("YUNXIAO_MAX_RETRIES");

  test_versions_and_names();
  test_null_arguments();
  test_invalid_utf8();
  test_empty_strings_and_bad_values();
  test_success();
  test_sequential_calls_share_one_connection();
  test_region_edition();
  test_every_fault_kind();
  test_token_never_shown();
  test_environment();
  test_mends();
  return th_finish("test_api");
}
