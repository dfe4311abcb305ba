/*
 * vector_runner.c: one call described on the command line, its outcome printed as one JSON
 * object on stdout. tests/run_vectors.py translates each conformance vector into these
 * arguments and checks the output and the sandbox's log.
 *
 *   vector_runner --base-url URL --token TOKEN [--edition central|region] [--organization ID]
 *                 [--timeout-ms N] [--max-retries N]
 *                 ( --call NAME [--args JSON]
 *                 | [--input-organization ID] --app NAME --workflow SN --stage SN
 *                   [--comment TEXT] [--variable NAME VALUE]... [--branch SOURCE BRANCH]...
 *                   [--repo-info JSON] [--params JSON] )
 *
 * --call runs yx_client_call(NAME, JSON) and prints {"outcome":"ok","result":RESULT}; the other
 * form builds a yx_request and runs yx_client_execute. The exit status is 0 whenever an outcome
 * was printed, success or error; 2 on bad usage.
 *
 *   vector_runner --batch
 *
 * runs one call per record read from stdin, printing one outcome line each (flushed), until end
 * of input: one process for the whole replay, which keeps the valgrind pass fast. A record is
 * the argument count on a line, then each argument as its byte length on a line followed by
 * the bytes and a newline (arguments may hold newlines).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yunxiao_appstack.h>

#define MAX_PAIRS 64

struct arguments {
  const char *base_url, *token, *edition, *organization, *call, *call_args, *ca_bundle;
  long long timeout_ms, max_retries;
  const char *input_organization, *app, *workflow, *stage, *comment, *repo_info, *params;
  const char *variables[MAX_PAIRS][2];
  const char *branches[MAX_PAIRS][2];
  int variable_count, branch_count;
};

static void usage(const char *problem) {
  fprintf(stderr, "vector_runner: %s\n", problem);
  exit(2);
}

static void parse(int argc, char **argv, struct arguments *a) {
  memset(a, 0, sizeof *a);
  a->timeout_ms = -1;
  a->max_retries = -1;
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i];
    const char *one = i + 1 < argc ? argv[i + 1] : NULL;
    const char *two = i + 2 < argc ? argv[i + 2] : NULL;
#define TAKE(name, field)                 \
  if (strcmp(flag, name) == 0) {          \
    if (one == NULL) usage("missing value"); \
    a->field = one;                       \
    i++;                                  \
    continue;                             \
  }
    TAKE("--base-url", base_url)
    TAKE("--ca-bundle", ca_bundle)
    TAKE("--token", token)
    TAKE("--edition", edition)
    TAKE("--organization", organization)
    TAKE("--call", call)
    TAKE("--args", call_args)
    TAKE("--input-organization", input_organization)
    TAKE("--app", app)
    TAKE("--workflow", workflow)
    TAKE("--stage", stage)
    TAKE("--comment", comment)
    TAKE("--repo-info", repo_info)
    TAKE("--params", params)
#undef TAKE
    if (strcmp(flag, "--timeout-ms") == 0 && one != NULL) {
      a->timeout_ms = atoll(one);
      i++;
    } else if (strcmp(flag, "--max-retries") == 0 && one != NULL) {
      a->max_retries = atoll(one);
      i++;
    } else if (strcmp(flag, "--variable") == 0 && two != NULL && a->variable_count < MAX_PAIRS) {
      a->variables[a->variable_count][0] = one;
      a->variables[a->variable_count++][1] = two;
      i += 2;
    } else if (strcmp(flag, "--branch") == 0 && two != NULL && a->branch_count < MAX_PAIRS) {
      a->branches[a->branch_count][0] = one;
      a->branches[a->branch_count++][1] = two;
      i += 2;
    } else {
      usage(flag);
    }
  }
  if (a->base_url == NULL || a->token == NULL ||
      (a->call == NULL && (a->app == NULL || a->workflow == NULL || a->stage == NULL))) {
    usage("--base-url, --token, and --call or --app, --workflow and --stage are required");
  }
}

/* Prints `text` as a JSON string (or null). */
static void json_string(const char *text) {
  if (text == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    if (*p == '"' || *p == '\\') {
      printf("\\%c", *p);
    } else if (*p < 0x20) {
      printf("\\u%04x", *p);
    } else {
      putchar(*p);
    }
  }
  putchar('"');
}

static void print_failure(const char *stage, yx_result rc, const yx_error *error) {
  yx_error_kind kind = (yx_error_kind)0;
  bool may = true;
  uint16_t status = 0;
  uint64_t retry_after = 0;
  const char *code = NULL, *message = NULL, *description = NULL, *request_id = NULL;
  bool has_kind = yx_error_get_kind(error, &kind) == YX_RESULT_OK;
  bool has_may = yx_error_get_may_have_executed(error, &may) == YX_RESULT_OK;
  bool has_status = yx_error_get_status(error, &status) == YX_RESULT_OK;
  bool has_retry = yx_error_get_retry_after_ms(error, &retry_after) == YX_RESULT_OK;
  yx_error_get_error_code(error, &code);
  yx_error_get_message(error, &message);
  yx_error_get_description(error, &description);
  yx_error_get_request_id(error, &request_id);

  printf("{\"outcome\":\"error\",\"stage\":\"%s\",\"result\":\"%s\",\"kind\":", stage, yx_result_name(rc));
  json_string(has_kind ? yx_error_kind_name((int)kind) : NULL);
  printf(",\"may_have_executed\":%s", has_may ? (may ? "true" : "false") : "null");
  if (has_status) {
    printf(",\"status\":%u", (unsigned)status);
  } else {
    fputs(",\"status\":null", stdout);
  }
  if (has_retry) {
    printf(",\"retry_after_ms\":%" PRIu64, retry_after);
  } else {
    fputs(",\"retry_after_ms\":null", stdout);
  }
  fputs(",\"error_code\":", stdout);
  json_string(code);
  fputs(",\"request_id\":", stdout);
  json_string(request_id);
  fputs(",\"message\":", stdout);
  json_string(message);
  fputs(",\"description\":", stdout);
  json_string(description);
  puts("}");
}

static void print_number(const char *name, yx_result (*get)(const yx_response *, uint64_t *),
                         const yx_response *response) {
  uint64_t value = 0;
  if (get(response, &value) == YX_RESULT_OK) {
    printf(",\"%s\":%" PRIu64, name, value);
  } else {
    printf(",\"%s\":null", name);
  }
}

static void print_success(const yx_response *response) {
  uint16_t status = 0;
  const char *request_id = NULL, *raw = NULL;
  yx_response_get_http_status(response, &status);
  yx_response_get_request_id(response, &request_id);
  yx_response_get_raw_json(response, &raw);
  printf("{\"outcome\":\"ok\",\"status\":%u", (unsigned)status);
  print_number("run_id", yx_response_get_run_id, response);
  print_number("object", yx_response_get_object, response);
  print_number("pipeline_id", yx_response_get_pipeline_id, response);
  print_number("pipeline_run_id", yx_response_get_pipeline_run_id, response);
  fputs(",\"request_id\":", stdout);
  json_string(request_id);
  printf(",\"raw\":%s}\n", raw ? raw : "null");
}

/* Builds the yx_request of the arguments; on failure prints it and returns NULL. */
static yx_request *build_request(const struct arguments *a) {
  yx_request *request = NULL;
  yx_error *error = NULL;
  yx_result rc = yx_request_new(a->app, a->workflow, a->stage, &request);
  if (rc == YX_RESULT_OK && a->input_organization) {
    rc = yx_request_set_organization_id(request, a->input_organization);
  }
  if (rc == YX_RESULT_OK && a->comment) {
    rc = yx_request_set_comment(request, a->comment);
  }
  for (int i = 0; rc == YX_RESULT_OK && i < a->variable_count; i++) {
    rc = yx_request_add_variable(request, a->variables[i][0], a->variables[i][1]);
  }
  for (int i = 0; rc == YX_RESULT_OK && i < a->branch_count; i++) {
    rc = yx_request_add_branch(request, a->branches[i][0], a->branches[i][1]);
  }
  if (rc == YX_RESULT_OK && a->repo_info) {
    rc = yx_request_set_release_branch_repo_info_json(request, a->repo_info, &error);
  }
  if (rc == YX_RESULT_OK && a->params) {
    rc = yx_request_set_params_json(request, a->params, &error);
  }
  if (rc != YX_RESULT_OK) {
    print_failure("request", rc, error);
    yx_error_free(error);
    yx_request_free(request);
    return NULL;
  }
  return request;
}

/* Runs the call described by argv and prints its outcome. */
static void run_one(int argc, char **argv) {
  struct arguments a;
  parse(argc, argv, &a);

  yx_options *options = yx_options_new();
  yx_options_set_ignore_environment(options, true);
  yx_options_set_token(options, a.token);
  yx_options_set_base_url(options, a.base_url);
  if (a.edition) {
    int edition = strcmp(a.edition, "central") == 0 ? YX_EDITION_CENTRAL
                  : strcmp(a.edition, "region") == 0 ? YX_EDITION_REGION
                                                     : 0;
    yx_options_set_edition(options, edition);
  }
  if (a.organization) {
    yx_options_set_organization_id(options, a.organization);
  }
  if (a.timeout_ms >= 0) {
    yx_options_set_request_timeout_ms(options, (uint64_t)a.timeout_ms);
  }
  if (a.max_retries >= 0) {
    yx_options_set_max_retries(options, (uint32_t)a.max_retries);
  }
  if (a.ca_bundle) {
    yx_options_set_ca_bundle(options, a.ca_bundle);
  }

  yx_client *client = NULL;
  yx_error *error = NULL;
  yx_result rc = yx_client_new(options, &client, &error);
  yx_options_free(options);
  if (rc != YX_RESULT_OK) {
    print_failure("client", rc, error);
    yx_error_free(error);
    return;
  }

  if (a.call != NULL) {
    char *result = NULL;
    rc = yx_client_call(client, a.call, a.call_args, &result, &error);
    if (rc == YX_RESULT_OK) {
      printf("{\"outcome\":\"ok\",\"result\":%s}\n", result);
    } else {
      print_failure("call", rc, error);
    }
    yx_string_free(result);
    yx_error_free(error);
    yx_client_free(client);
    return;
  }

  yx_response *response = NULL;
  yx_request *request = build_request(&a);
  if (request == NULL) {
    yx_client_free(client);
    return;
  }
  rc = yx_client_execute(client, request, &response, &error);
  yx_request_free(request);
  if (rc == YX_RESULT_OK) {
    print_success(response);
  } else {
    print_failure("execute", rc, error);
  }
  yx_response_free(response);
  yx_error_free(error);
  yx_client_free(client);
}

/* Reads a decimal number on a line of its own; false at end of input. */
static bool read_number(size_t *value) {
  char line[32];
  if (fgets(line, sizeof line, stdin) == NULL) {
    return false;
  }
  char *end = NULL;
  unsigned long long parsed = strtoull(line, &end, 10);
  if (end == line || (*end != '\n' && *end != '\0')) {
    usage("bad batch record");
  }
  *value = (size_t)parsed;
  return true;
}

/* Batch mode: see the top of this file. */
static int run_batch(void) {
  size_t count = 0;
  while (read_number(&count) && count > 0) {
    char **args = calloc(count + 1, sizeof *args);
    if (args == NULL) {
      usage("out of memory");
    }
    args[0] = "vector_runner";
    for (size_t i = 1; i <= count; i++) {
      size_t length = 0;
      if (!read_number(&length)) {
        usage("truncated batch record");
      }
      args[i] = malloc(length + 1);
      if (args[i] == NULL || fread(args[i], 1, length, stdin) != length || getchar() != '\n') {
        usage("truncated batch argument");
      }
      args[i][length] = '\0';
    }
    run_one((int)count + 1, args);
    fflush(stdout);
    for (size_t i = 1; i <= count; i++) {
      free(args[i]);
    }
    free(args);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--batch") == 0) {
    return run_batch();
  }
  run_one(argc, argv);
  return 0;
}
