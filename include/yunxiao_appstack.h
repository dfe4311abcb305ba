/*
 * yunxiao_appstack.h: the C interface of yunxiao-appstack, a client for Alibaba Cloud Yunxiao
 * (云效) AppStack release stages: execute one, watch its runs, pass a gate, wait for the end.
 *
 * Link with `pkg-config --cflags --libs yunxiao-appstack` (add --static for the static
 * library). SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * CONVENTIONS
 *
 * Names. Everything is prefixed `yx_` (macros and enumerators `YX_`); functions are named
 * yx_<noun>_<verb>: yx_client_new, yx_client_free, yx_options_set_token, yx_error_get_kind.
 *
 * Calls. yx_client_call runs any operation or lifecycle helper by name (the YX_OP_* macros),
 * JSON arguments in, JSON result out. Typed functions cover what C programs need most:
 * yx_client_execute (with a yx_request), yx_client_get_run_status and yx_client_wait_for_run
 * (progress callback, yx_cancel handle).
 *
 * Handles. yx_options, yx_client, yx_request, yx_response, yx_error and yx_cancel are opaque.
 * Each is created by the library (a `_new` function, or as the output of a call) and released
 * by its own `_free` function, which accepts NULL and does nothing then. Strings handed out
 * through `char **` outputs (JSON results) are released with yx_string_free. Never pass any of
 * them to free(), never free one twice, never use one after freeing it.
 *
 * Results. Every function that can fail returns a yx_result, whose values are stable: they
 * never change meaning between versions. YX_RESULT_OK is 0.
 *
 * Outputs. Every output parameter (the ones named `*_out`) that is not NULL is written on
 * every return: the value on YX_RESULT_OK, NULL (or 0, false, the enum's 0) otherwise. So a
 * loop that frees the outputs after each call without resetting them never frees one twice.
 *
 * Errors. The functions whose failures have details to tell take a `yx_error **error_out` as
 * their last parameter. It may be NULL when the details are not wanted. When it is not NULL,
 * *error_out is NULL after YX_RESULT_OK (and YX_RESULT_NOT_PRESENT), and a new yx_error after
 * any failure — YX_RESULT_PANIC included — that the caller frees with yx_error_free.
 * yx_error_describe(error) gives the line to print. Before retrying a failed mutating call on
 * your own, check yx_error_get_may_have_executed: executing a stage is not idempotent.
 *
 * Arguments. Every pointer argument is checked: NULL where a value is required gives
 * YX_RESULT_NULL_ARGUMENT (pointers documented as optional accept NULL). Input strings are
 * NUL-terminated UTF-8 and are copied: the caller may free or reuse them as soon as the call
 * returns. A string that is not UTF-8 gives YX_RESULT_INVALID_ARGUMENT. Values that are well
 * formed but wrong (an empty app name, a bad base URL, a timeout of 0) are judged by the
 * library's core and reported as YX_RESULT_ERROR with an error of kind
 * YX_ERROR_KIND_INVALID_REQUEST or YX_ERROR_KIND_CONFIGURATION. Enumeration arguments are
 * taken as `int`, so that any value is safe to pass; an unknown one is
 * YX_RESULT_INVALID_ARGUMENT.
 *
 * Output strings. Strings returned through `const char **` outputs are NUL-terminated UTF-8,
 * owned by the handle they were read from, and valid until that handle is freed (e.g. "valid
 * until yx_response_free"). Copy them to keep them longer. Strings that would hold U+0000
 * show it as U+FFFD. Static strings (yx_version, yx_result_name, yx_error_kind_name) live for
 * the whole program.
 *
 * Absent values. Accessors of values the server may leave out (a run id, a request id, an
 * HTTP status) return YX_RESULT_NOT_PRESENT and set their output to NULL or 0 when the value
 * is absent.
 *
 * Threads. A yx_client may be shared by any number of threads: calls on one client may run at
 * the same time and share its connection pool. Free it only once no call on it is running.
 * yx_response and yx_error are immutable: any thread may read them, one thread frees them.
 * yx_options and yx_request are not synchronized: change one from one thread at a time (it
 * may move between threads); reading one in yx_client_new or yx_client_execute from several
 * threads at once is fine. A yx_cancel may be triggered from any thread (and, with
 * yx_cancel_trigger_from_signal, from a signal handler). The other functions are safe from any
 * thread.
 *
 * Blocking. The calls block the calling thread until the answer: for at most (max retries +
 * 1) request timeouts plus the waits between attempts (yx_options_set_deadline_ms caps the
 * whole), and a wait until the run ends, its deadline_ms passes or its yx_cancel is triggered.
 * Progress callbacks run on the calling thread, during the call, between the library's polls:
 * a slow callback delays its own call only, never other threads' calls on the same client.
 * A client has no thread of its own: a call drives its I/O on the calling thread (while
 * several threads call one client, one of them drives the I/O of every call in flight). Name
 * resolution runs on a helper thread the client starts when needed; yx_client_free joins it.
 *
 * Processes and signals. The library installs no signal handler and changes no process-wide
 * setting. It never kills the program with SIGPIPE: its helper threads run with SIGPIPE blocked,
 * and a call blocks it on the calling thread while it runs (discarding a SIGPIPE raised by the
 * library's own writes, then restoring the thread's mask). Do not use a client in the child
 * of a fork(): the child would share the parent's sockets and event queue; create clients
 * after forking.
 * yx_client_new reads YUNXIAO_* variables with getenv: do not change the environment from
 * another thread while it runs.
 *
 * Secrets. The access token is never included in any string the library returns or prints.
 *
 * Crashes. No Rust panic crosses this interface: an internal bug is caught and returned as
 * YX_RESULT_PANIC, with an error object (whose kind is not present). The library aborts on
 * out-of-memory, like any Rust program.
 */

#ifndef YUNXIAO_APPSTACK_H
#define YUNXIAO_APPSTACK_H

/*
 * Generated by cbindgen from bindings-c/src; do not edit. Regenerate with
 * bindings-c/scripts/update-header.sh (the tests fail while this copy is stale).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The version of this header, as text: "MAJOR.MINOR.PATCH" (with a "-pre" suffix on
 * pre-releases). Compare with yx_version(), the version of the library linked at run time.
 */
#define YX_VERSION "0.1.0"

/** The major version of this header. */
#define YX_VERSION_MAJOR 0

/** The minor version of this header. */
#define YX_VERSION_MINOR 1

/** The patch version of this header. */
#define YX_VERSION_PATCH 0

/**
 * The version of this header packed as 0xXXYYZZ (major, minor, patch; 8 bits each), like
 * LIBCURL_VERSION_NUM: version checks become integer comparisons. yx_version_number()
 * returns the same packing for the library linked at run time.
 */
#define YX_VERSION_NUM 0x000100

/**
 * Whether this header is at least version X.Y.Z, for conditional compilation:
 * `#if YX_VERSION_AT_LEAST(0, 2, 0)`.
 */
#define YX_VERSION_AT_LEAST(x, y, z) \
  (YX_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))

/* Generated by bindings-c/scripts/generate.py from core/catalog.json; do not edit. */

/*
 * Names for yx_client_call: every operation of the Yunxiao AppStack OpenAPI this library
 * knows, then the lifecycle helpers. yx_client_call also takes the method names
 * ("get_release_stage_pipeline_run"); these are the OpenAPI names. Arguments are a JSON
 * object spelled as listed (durations in milliseconds, suffixed _ms); results are JSON
 * with snake_case keys.
 */

/**
 * Start one run of a release stage's pipeline (a deployment). POST, effect mutating. Method
 * name execute_release_stage. Arguments: organization_id, app_name, release_workflow_sn,
 * release_stage_sn, comment, variables, branches, release_branch_repo_info, params.
 */
#define YX_OP_EXECUTE_CHANGE_REQUEST_RELEASE_STAGE "ExecuteChangeRequestReleaseStage"

/**
 * Get one run of a release stage: its status, stages and jobs. GET, effect read_only. Method
 * name get_release_stage_pipeline_run. Arguments: organization_id, app_name,
 * release_workflow_sn, release_stage_sn, execution_number.
 */
#define YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN "GetReleaseStagePipelineRun"

/**
 * Cancel a run of a release stage (harmless to repeat). POST, effect idempotent. Method name
 * cancel_release_stage_execution. Arguments: organization_id, app_name, release_workflow_sn,
 * release_stage_sn, execution_number.
 */
#define YX_OP_CANCEL_EXECUTION_RELEASE_STAGE "CancelExecutionReleaseStage"

/**
 * List a release stage's runs, newest first by default, a page at a time. GET, effect
 * read_only. A list call: the result's next_args are the next page's arguments (null after the
 * last page). Method name list_release_stage_runs. Arguments: organization_id, app_name,
 * release_workflow_sn, release_stage_sn, page, per_page, order_by, sort, keyset, next_token.
 */
#define YX_OP_LIST_APP_RELEASE_STAGE_RUNS "ListAppReleaseStageRuns"

/**
 * List an app's release workflows, each with its stages. GET, effect read_only. Method name
 * list_release_workflows. Arguments: organization_id, app_name.
 */
#define YX_OP_LIST_ALL_RELEASE_WORKFLOWS "ListAllReleaseWorkflows"

/**
 * List an app's release workflows: serial numbers and names. GET, effect read_only. Method name
 * list_release_workflow_briefs. Arguments: organization_id, app_name.
 */
#define YX_OP_LIST_ALL_RELEASE_WORKFLOW_BRIEFS "ListAllReleaseWorkflowBriefs"

/**
 * List a release workflow's stages: serial numbers and names. GET, effect read_only. Method
 * name list_release_stage_briefs. Arguments: organization_id, app_name, release_workflow_sn.
 */
#define YX_OP_LIST_ALL_RELEASE_STAGE_BRIEFS "ListAllReleaseStageBriefs"

/**
 * Get one release stage: name, order, labels, variable groups, pipeline. GET, effect read_only.
 * Method name get_release_stage. Arguments: organization_id, app_name, release_workflow_sn,
 * release_stage_sn.
 */
#define YX_OP_GET_RELEASE_WORKFLOW_STAGE "GetReleaseWorkflowStage"

/**
 * Search an app's change requests by state, owner and name, a page at a time. POST, effect
 * read_only. Method name search_change_requests. Arguments: organization_id, app_name, current,
 * page_size, owner, name, state.
 */
#define YX_OP_LIST_APP_CHANGE_REQUESTS "ListAppChangeRequests"

/**
 * Approve the manual gate at a job of a run POST, effect mutating. Method name
 * pass_pipeline_validate. Arguments: organization_id, app_name, release_workflow_sn,
 * release_stage_sn, execution_number, job_id.
 */
#define YX_OP_PASS_RELEASE_STAGE_PIPELINE_VALIDATE "PassReleaseStagePipelineValidate"

/**
 * Reject the manual gate at a job of a run POST, effect mutating. Method name
 * refuse_pipeline_validate. Arguments: organization_id, app_name, release_workflow_sn,
 * release_stage_sn, execution_number, job_id.
 */
#define YX_OP_REFUSE_RELEASE_STAGE_PIPELINE_VALIDATE "RefuseReleaseStagePipelineValidate"

/**
 * Run a failed job of a run again POST, effect mutating. Method name retry_pipeline_job.
 * Arguments: organization_id, app_name, release_workflow_sn, release_stage_sn,
 * execution_number, job_id.
 */
#define YX_OP_RETRY_CHANGE_REQUEST_STAGE_PIPELINE "RetryChangeRequestStagePipeline"

/**
 * Skip a job of a run and go on with the next POST, effect mutating. Method name
 * skip_pipeline_job. Arguments: organization_id, app_name, release_workflow_sn,
 * release_stage_sn, execution_number, job_id.
 */
#define YX_OP_SKIP_CHANGE_REQUEST_STAGE_PIPELINE "SkipChangeRequestStagePipeline"

/**
 * Get the log of a job of a run. GET, effect read_only. Method name get_pipeline_job_log.
 * Arguments: organization_id, app_name, release_workflow_sn, release_stage_sn,
 * execution_number, job_id.
 */
#define YX_OP_GET_APP_RELEASE_STAGE_EXECUTION_PIPELINE_JOB_LOG "GetAppReleaseStageExecutionPipelineJobLog"

/**
 * List what a run integrated: release branches and change requests. GET, effect read_only.
 * Method name list_integrated_metadata. Arguments: organization_id, app_name,
 * release_workflow_sn, release_stage_sn, execution_number.
 */
#define YX_OP_LIST_APP_RELEASE_STAGE_EXECUTION_INTEGRATED_METADATA "ListAppReleaseStageExecutionIntegratedMetadata"

/**
 * Get the integration metadata of a stage's newest run, or of run build_num. GET, effect
 * read_only. Method name find_release_integrated_metadata. Arguments: organization_id,
 * app_name, release_workflow_sn, release_stage_sn, build_num.
 */
#define YX_OP_LIST_RELEASE_STAGE_FLOW_CHANGE_REQUESTS "ListReleaseStageFlowChangeRequests"

/**
 * Lifecycle helper: Wait for a run to end, sending progress events; a failed run is an outcome,
 * not an error. Sends progress events (YX_EVENT_*) to yx_client_call_with_events' callback.
 * Arguments: organization_id, app_name, release_workflow_sn, release_stage_sn,
 * execution_number, deadline_ms, on_approval, follow_logs, cancel_on_abort, poll_initial_ms,
 * poll_max_ms.
 */
#define YX_OP_WAIT_FOR_RUN "wait_for_run"

/**
 * Lifecycle helper: Start a run and wait for it. Sends progress events (YX_EVENT_*) to
 * yx_client_call_with_events' callback. Arguments: organization_id, app_name,
 * release_workflow_sn, release_stage_sn, comment, variables, branches,
 * release_branch_repo_info, params, deadline_ms, on_approval, follow_logs, cancel_on_abort,
 * poll_initial_ms, poll_max_ms.
 */
#define YX_OP_EXECUTE_AND_WAIT "execute_and_wait"

/**
 * Lifecycle helper: Follow a job's log until it is complete, each line once (as log_line
 * events). Sends progress events (YX_EVENT_*) to yx_client_call_with_events' callback.
 * Arguments: organization_id, app_name, release_workflow_sn, release_stage_sn,
 * execution_number, job_id, deadline_ms, on_approval, follow_logs, cancel_on_abort,
 * poll_initial_ms, poll_max_ms.
 */
#define YX_OP_FOLLOW_JOB_LOG "follow_job_log"

/**
 * Lifecycle helper: Find a release workflow by its console name. Arguments: organization_id,
 * app_name, name.
 */
#define YX_OP_FIND_RELEASE_WORKFLOW "find_release_workflow"

/**
 * Lifecycle helper: Find a release stage by workflow and stage names. Arguments:
 * organization_id, app_name, workflow, stage.
 */
#define YX_OP_FIND_RELEASE_STAGE "find_release_stage"

/**
 * Lifecycle helper: The runs of a stage that started since an instant: did an ambiguous execute
 * start one? Arguments: organization_id, app_name, release_workflow_sn, release_stage_sn,
 * since_epoch_ms, clock_skew_ms, naive_offset_minutes, after_number.
 */
#define YX_OP_FIND_RUNS_STARTED_SINCE "find_runs_started_since"

/**
 * Lifecycle helper: The number of a stage's newest run, if any. Arguments: organization_id,
 * app_name, release_workflow_sn, release_stage_sn.
 */
#define YX_OP_NEWEST_RUN_NUMBER "newest_run_number"

/** How many names there are: every YX_OP_* above. */
#define YX_OP_COUNT 23

/**
 * Every YX_OP_* name, as an array initializer: `const char *const names[YX_OP_COUNT] =
 * YX_OP_NAMES;`
 */
#define YX_OP_NAMES \
  { \
    YX_OP_EXECUTE_CHANGE_REQUEST_RELEASE_STAGE, \
    YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN, \
    YX_OP_CANCEL_EXECUTION_RELEASE_STAGE, \
    YX_OP_LIST_APP_RELEASE_STAGE_RUNS, \
    YX_OP_LIST_ALL_RELEASE_WORKFLOWS, \
    YX_OP_LIST_ALL_RELEASE_WORKFLOW_BRIEFS, \
    YX_OP_LIST_ALL_RELEASE_STAGE_BRIEFS, \
    YX_OP_GET_RELEASE_WORKFLOW_STAGE, \
    YX_OP_LIST_APP_CHANGE_REQUESTS, \
    YX_OP_PASS_RELEASE_STAGE_PIPELINE_VALIDATE, \
    YX_OP_REFUSE_RELEASE_STAGE_PIPELINE_VALIDATE, \
    YX_OP_RETRY_CHANGE_REQUEST_STAGE_PIPELINE, \
    YX_OP_SKIP_CHANGE_REQUEST_STAGE_PIPELINE, \
    YX_OP_GET_APP_RELEASE_STAGE_EXECUTION_PIPELINE_JOB_LOG, \
    YX_OP_LIST_APP_RELEASE_STAGE_EXECUTION_INTEGRATED_METADATA, \
    YX_OP_LIST_RELEASE_STAGE_FLOW_CHANGE_REQUESTS, \
    YX_OP_WAIT_FOR_RUN, \
    YX_OP_EXECUTE_AND_WAIT, \
    YX_OP_FOLLOW_JOB_LOG, \
    YX_OP_FIND_RELEASE_WORKFLOW, \
    YX_OP_FIND_RELEASE_STAGE, \
    YX_OP_FIND_RUNS_STARTED_SINCE, \
    YX_OP_NEWEST_RUN_NUMBER \
  }

/**
 * The "event" of a progress event: The run's status changed (the first poll reports the first
 * status). Fields: status, previous.
 */
#define YX_EVENT_RUN_STATUS_CHANGED "run_status_changed"

/**
 * The "event" of a progress event: A stage of the run started. Fields: stage.
 */
#define YX_EVENT_STAGE_STARTED "stage_started"

/**
 * The "event" of a progress event: A stage of the run ended. Fields: stage, status,
 * duration_ms.
 */
#define YX_EVENT_STAGE_FINISHED "stage_finished"

/**
 * The "event" of a progress event: A job started. Fields: stage, job_id, job.
 */
#define YX_EVENT_JOB_STARTED "job_started"

/**
 * The "event" of a progress event: A job ended. Fields: stage, job_id, job, status,
 * duration_ms.
 */
#define YX_EVENT_JOB_FINISHED "job_finished"

/**
 * The "event" of a progress event: A job waits at a manual gate for PassPipelineValidate or
 * RefusePipelineValidate. Fields: stage, job_id, job.
 */
#define YX_EVENT_WAITING_FOR_APPROVAL "waiting_for_approval"

/**
 * The "event" of a progress event: A new line of a job's log. Fields: job_id, job, line.
 */
#define YX_EVENT_LOG_LINE "log_line"

/**
 * The "event" of a progress event: The server rate-limited the polls; the next one comes after
 * this pause. Fields: delay_ms.
 */
#define YX_EVENT_THROTTLED "throttled"



/**
 * The outcome of a call. The values are stable: they never change meaning between versions,
 * and new values are only ever added at the end.
 */
typedef enum yx_result {
  /**
   * Success: the outputs are written.
   */
  YX_RESULT_OK = 0,
  /**
   * The operation failed: the server answered with an error, the connection failed, or the
   * core refused an argument or a setting. `*error_out` (when given) says which, with
   * yx_error_get_kind and yx_error_get_may_have_executed.
   */
  YX_RESULT_ERROR = 1,
  /**
   * A required pointer argument was NULL. Nothing was done; `*error_out` (when given) names
   * the argument.
   */
  YX_RESULT_NULL_ARGUMENT = 2,
  /**
   * An argument could not be read: a string that is not UTF-8, text that is not the JSON
   * expected, an unknown enumeration value. Nothing was done; `*error_out` (when given)
   * names the argument.
   */
  YX_RESULT_INVALID_ARGUMENT = 3,
  /**
   * The value asked for is absent (the server did not send it): not an error. The output is
   * set to NULL or 0, and `*error_out` to NULL.
   */
  YX_RESULT_NOT_PRESENT = 4,
  /**
   * A bug in the library was caught before it could cross into C. The outputs are NULL;
   * `*error_out` (when given) holds an error saying so. Please report it.
   */
  YX_RESULT_PANIC = 5,
} yx_result;

/**
 * The status of a pipeline run, as yx_client_get_run_status reads it. The server's set is
 * open: a status this library does not know, or none, is YX_RUN_STATUS_OTHER (the text is in
 * the GetReleaseStagePipelineRun result of yx_client_call).
 */
typedef enum yx_run_status {
  /**
   * A status not listed here, or none in the answer.
   */
  YX_RUN_STATUS_OTHER = 0,
  /**
   * `SUCCESS`.
   */
  YX_RUN_STATUS_SUCCESS = 1,
  /**
   * `FAIL`.
   */
  YX_RUN_STATUS_FAIL = 2,
  /**
   * `FAILED`.
   */
  YX_RUN_STATUS_FAILED = 3,
  /**
   * `CANCELED`.
   */
  YX_RUN_STATUS_CANCELED = 4,
  /**
   * `RUNNING`.
   */
  YX_RUN_STATUS_RUNNING = 5,
  /**
   * `WAITING`.
   */
  YX_RUN_STATUS_WAITING = 6,
  /**
   * `INIT`.
   */
  YX_RUN_STATUS_INIT = 7,
  /**
   * `SKIPPED`.
   */
  YX_RUN_STATUS_SKIPPED = 8,
} yx_run_status;

/**
 * How yx_client_wait_for_run ended (the outcome's "state"). A failed run is an outcome, not an
 * error.
 */
typedef enum yx_wait_state {
  /**
   * Not a state: what yx_client_wait_for_run's state_out holds when it fails.
   */
  YX_WAIT_STATE_UNKNOWN = 0,
  /**
   * `succeeded`: The run succeeded.
   */
  YX_WAIT_STATE_SUCCEEDED = 1,
  /**
   * `failed`: The run failed (`FAIL`/`FAILED`): see `RunOutcome::failed_jobs`.
   */
  YX_WAIT_STATE_FAILED = 2,
  /**
   * `canceled`: The run was canceled.
   */
  YX_WAIT_STATE_CANCELED = 3,
  /**
   * `waiting_for_approval`: The run waits at a manual gate and the wait was told to stop there.
   */
  YX_WAIT_STATE_WAITING_FOR_APPROVAL = 4,
  /**
   * `deadline_exceeded`: The wait's deadline passed; the run goes on.
   */
  YX_WAIT_STATE_DEADLINE_EXCEEDED = 5,
  /**
   * `aborted`: The wait was aborted; the run goes on unless `RunOutcome::cancel` says otherwise.
   */
  YX_WAIT_STATE_ABORTED = 6,
} yx_wait_state;

/**
 * The kind of a yx_error: what went wrong, with the same codes and names in every binding of
 * yunxiao-appstack (yx_error_kind_name gives the name, e.g. "rate_limited").
 */
typedef enum yx_error_kind {
  /**
   * `invalid_request`: Rejected before sending: a bad id, argument or parameter.
   */
  YX_ERROR_KIND_INVALID_REQUEST = 1,
  /**
   * `configuration`: The client could not be configured.
   */
  YX_ERROR_KIND_CONFIGURATION = 2,
  /**
   * `bad_request`: HTTP 400.
   */
  YX_ERROR_KIND_BAD_REQUEST = 3,
  /**
   * `authentication`: HTTP 401: no, invalid or expired token.
   */
  YX_ERROR_KIND_AUTHENTICATION = 4,
  /**
   * `permission_denied`: HTTP 403.
   */
  YX_ERROR_KIND_PERMISSION_DENIED = 5,
  /**
   * `not_found`: HTTP 404.
   */
  YX_ERROR_KIND_NOT_FOUND = 6,
  /**
   * `rate_limited`: HTTP 429, after the retries.
   */
  YX_ERROR_KIND_RATE_LIMITED = 7,
  /**
   * `api_status`: Another status that is not a success (3xx, 409, a 2xx with success: false).
   */
  YX_ERROR_KIND_API_STATUS = 8,
  /**
   * `server`: HTTP 500 and above.
   */
  YX_ERROR_KIND_SERVER = 9,
  /**
   * `timeout`: An attempt ran out of time, or the call's deadline passed.
   */
  YX_ERROR_KIND_TIMEOUT = 10,
  /**
   * `connection`: Could not connect, the certificate was refused, or the connection broke.
   */
  YX_ERROR_KIND_CONNECTION = 11,
  /**
   * `decode`: A 2xx answer that could not be read.
   */
  YX_ERROR_KIND_DECODE = 12,
  /**
   * `response_too_large`: An answer over the size cap.
   */
  YX_ERROR_KIND_RESPONSE_TOO_LARGE = 13,
} yx_error_kind;

/**
 * Which Yunxiao edition a client talks to; it decides the shape of the request paths.
 * Environment: `YUNXIAO_EDITION` ("central" or "region"); default central.
 */
typedef enum yx_edition {
  /**
   * The centre edition (中心版) at openapi-rdc.aliyuncs.com: paths name the organization.
   */
  YX_EDITION_CENTRAL = 1,
  /**
   * The region edition, on the organization's own domain: paths omit the organization.
   */
  YX_EDITION_REGION = 2,
} yx_edition;

/**
 * Stops the waits it is given to (yx_client_wait_for_run, yx_client_call_with_events) — never
 * the run, unless the wait's "cancel_on_abort" is true. One-shot: once triggered it stays
 * triggered, and stops every wait it is given to later at once; make a new one per wait that
 * may be stopped. Thread-safe: any thread may trigger it while another waits with it. Create
 * with yx_cancel_new; free with yx_cancel_free once no wait uses it and no thread or signal
 * handler can trigger it any more.
 */
typedef struct yx_cancel yx_cancel;

/**
 * A client of the Yunxiao AppStack OpenAPI: resolved settings and a connection pool; each call
 * drives its I/O on the calling thread. Thread-safe: share one client between all threads of a
 * program.
 * Create with yx_client_new, free with yx_client_free.
 */
typedef struct yx_client yx_client;

/**
 * A failure: its kind, a message, and what the server said. Immutable: any thread may read
 * it. Free it with yx_error_free; the strings read from it are valid until then.
 */
typedef struct yx_error yx_error;

/**
 * Settings for yx_client_new. Create with yx_options_new, free with yx_options_free (any time
 * after yx_client_new: the client keeps a copy). Not synchronized: set from one thread at a
 * time.
 */
typedef struct yx_options yx_options;

/**
 * One execution of a release stage: which stage, and the run's parameters. Create with
 * yx_request_new, free with yx_request_free. Not synchronized: change it from one thread at a
 * time; executing it only reads it.
 */
typedef struct yx_request yx_request;

/**
 * The answer to a successful execution. Immutable: any thread may read it. Free it with
 * yx_response_free; the strings read from it are valid until then.
 */
typedef struct yx_response yx_response;

/**
 * Receives a progress event: `event_json` is a JSON object whose `"event"` is one of the
 * YX_EVENT_* names (its other fields are listed there), valid only during the callback (copy
 * it to keep it); `user_data` is the pointer given with the callback. Called on the thread
 * that made the call, while the call runs: keep it short (the wait does not poll meanwhile),
 * and do not free the client from it. It may trigger a yx_cancel.
 */
typedef void (*yx_event_callback)(const char *event_json, void *user_data);

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The version of the library linked at run time, e.g. "0.1.0": compare with YX_VERSION, the
 * version of the header compiled against. The string is static: never free it.
 */
const char *yx_version(void);

/**
 * The version of the library linked at run time, packed as YX_VERSION_NUM: 0xXXYYZZ for
 * major XX, minor YY, patch ZZ. `yx_version_number() >= YX_VERSION_NUM` checks that the
 * library is at least as new as the header.
 */
uint32_t yx_version_number(void);

/**
 * The enumerator name of a yx_result value, e.g. "YX_RESULT_NULL_ARGUMENT", or
 * "YX_RESULT_UNKNOWN" for a value that is not one. `result` is an `int` so that any value is
 * safe to pass. The string is static: never free it.
 */
const char *yx_result_name(int result);

/**
 * The stable name of an error kind, e.g. "rate_limited" for YX_ERROR_KIND_RATE_LIMITED: the
 * same string in every binding of yunxiao-appstack and in its conformance vectors. Returns
 * "unknown" for a value that is not a kind. `kind` is an `int` so that any value is safe to
 * pass. The string is static: never free it.
 */
const char *yx_error_kind_name(int kind);

/**
 * Creates options with nothing set: every setting comes from the environment (`YUNXIAO_*`)
 * or the default. Free with yx_options_free. Never returns NULL.
 */
struct yx_options *yx_options_new(void);

/**
 * Frees options made by yx_options_new. NULL is a no-op.
 *
 * # Safety
 * `options` is NULL or a yx_options from yx_options_new that was not freed before.
 */
void yx_options_free(struct yx_options *options);

/**
 * Sets the personal access token, sent in the `x-yunxiao-token` header; copied. Environment:
 * `YUNXIAO_ACCESS_TOKEN`. Checked by yx_client_new (non-empty printable ASCII). The token never
 * appears in any message of the library.
 *
 * # Safety
 * `options` is NULL or a live yx_options; `token` is NULL or a NUL-terminated string.
 */
enum yx_result yx_options_set_token(struct yx_options *options, const char *token);

/**
 * Sets the API base URL, optionally with a path prefix; copied. Environment:
 * `YUNXIAO_API_BASE_URL`; default https://openapi-rdc.aliyuncs.com. Must be https unless the
 * host is loopback or yx_options_set_allow_insecure_http is set.
 *
 * # Safety
 * `options` is NULL or a live yx_options; `base_url` is NULL or a NUL-terminated string.
 */
enum yx_result yx_options_set_base_url(struct yx_options *options, const char *base_url);

/**
 * Sets the edition: a yx_edition value. Environment: `YUNXIAO_EDITION`; default central.
 * Any other value is YX_RESULT_INVALID_ARGUMENT.
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_edition(struct yx_options *options, int edition);

/**
 * Sets the organization used when a call names none; copied. Environment:
 * `YUNXIAO_ORGANIZATION_ID`. The central edition needs one, here or on each call.
 *
 * # Safety
 * `options` is NULL or a live yx_options; `organization_id` is NULL or a NUL-terminated
 * string.
 */
enum yx_result yx_options_set_organization_id(struct yx_options *options,
                                              const char *organization_id);

/**
 * Sets the time allowed for one attempt, from connecting to the last byte of the answer, in
 * milliseconds. Environment: `YUNXIAO_TIMEOUT` (seconds); default 60 s. Must be above 0 and at
 * most 24 hours (checked by yx_client_new).
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_request_timeout_ms(struct yx_options *options, uint64_t timeout_ms);

/**
 * Sets the time allowed to open a connection (TCP and TLS), in milliseconds. Environment:
 * `YUNXIAO_CONNECT_TIMEOUT` (seconds); default 10 s. Must be above 0 and at most 24 hours.
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_connect_timeout_ms(struct yx_options *options, uint64_t timeout_ms);

/**
 * Sets how many times a failed attempt is retried — only failures where the server certainly
 * did not act (no connection, a 429…). Environment: `YUNXIAO_MAX_RETRIES`;
 * default 2; at most 10.
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_max_retries(struct yx_options *options, uint32_t max_retries);

/**
 * Sets the largest answer body read, in bytes; a larger answer is a
 * YX_ERROR_KIND_RESPONSE_TOO_LARGE error. Default 8 MiB; must be above 0.
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_max_response_bytes(struct yx_options *options, size_t max_bytes);

/**
 * Allows a plain `http://` base URL on a host that is not loopback. Off by default: the token
 * would cross the network in clear text.
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_allow_insecure_http(struct yx_options *options, bool allow);

/**
 * With `ignore` true, yx_client_new reads no `YUNXIAO_*` environment variable: only the
 * values set on these options and the defaults count. Off by default.
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_ignore_environment(struct yx_options *options, bool ignore);

/**
 * Sets a file of PEM certificates to trust, in addition to the built-in roots, for a server
 * whose certificate a private CA signed; copied. Environment: `YUNXIAO_CA_BUNDLE`; default
 * none. Read and checked by yx_client_new (a missing or unreadable file is a configuration
 * error); a server certificate refused is a YX_ERROR_KIND_CONNECTION error.
 *
 * # Safety
 * `options` is NULL or a live yx_options; `path` is NULL or a NUL-terminated string.
 */
enum yx_result yx_options_set_ca_bundle(struct yx_options *options, const char *path);

/**
 * Sets the proxy for every request, e.g. `http://user:password@proxy:3128`; copied, and kept
 * as secret as the token (never in a message). Default: `HTTPS_PROXY` / `ALL_PROXY` from the
 * environment. Checked by yx_client_new.
 *
 * # Safety
 * `options` is NULL or a live yx_options; `proxy_url` is NULL or a NUL-terminated string.
 */
enum yx_result yx_options_set_proxy(struct yx_options *options, const char *proxy_url);

/**
 * Sets the longest one call may take across all its attempts and waits (backoff,
 * Retry-After, the rate cap), in milliseconds; a call over it fails with
 * YX_ERROR_KIND_TIMEOUT. Environment: `YUNXIAO_DEADLINE` (seconds); default none. Must be
 * above 0 (checked by yx_client_new). A lifecycle wait has its own "deadline_ms" argument.
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_deadline_ms(struct yx_options *options, uint64_t deadline_ms);

/**
 * Sets the most requests per second this client sends (all its calls and threads together):
 * requests are delayed, never dropped. Environment: `YUNXIAO_MAX_RPS`; default none. Must be
 * a finite number above 0 (checked by yx_client_new).
 *
 * # Safety
 * `options` is NULL or a live yx_options.
 */
enum yx_result yx_options_set_max_rps(struct yx_options *options, double max_rps);

/**
 * Creates a client from `options`: each setting not set there comes from its `YUNXIAO_*`
 * environment variable (unless yx_options_set_ignore_environment), else the default. The
 * options are copied: free them whenever convenient. NULL `options` means options with nothing
 * set: every setting from the environment or the default.
 *
 * Returns YX_RESULT_OK and stores the client in `*client_out` (free it with yx_client_free),
 * or YX_RESULT_ERROR with an error of kind YX_ERROR_KIND_CONFIGURATION when a setting is
 * missing or invalid (no token, a bad base URL, a timeout of 0…). Sends nothing.
 *
 * # Safety
 * `options` is NULL or a live yx_options; `client_out` is NULL or writable; `error_out` is
 * NULL or writable.
 */
enum yx_result yx_client_new(const struct yx_options *options,
                             struct yx_client **client_out,
                             struct yx_error **error_out);

/**
 * Frees a client: closes its connections and joins its helper threads (waiting at most about
 * a second). NULL is a no-op. No call on the client may be running, and none may start after.
 *
 * # Safety
 * `client` is NULL or a yx_client from yx_client_new that was not freed before.
 */
void yx_client_free(struct yx_client *client);

/**
 * Executes a release stage: starts one run of the stage `request` names, and blocks until the
 * answer. The request is only read: it may be executed again (that starts another run) or
 * freed after. (yx_client_call with YX_OP_EXECUTE_CHANGE_REQUEST_RELEASE_STAGE makes the same
 * call from JSON arguments.)
 *
 * Returns YX_RESULT_OK and stores the answer in `*response_out` (free it with
 * yx_response_free). Returns YX_RESULT_ERROR when the call failed — see the error's kind, and
 * yx_error_get_may_have_executed before retrying on your own: the client already retried what
 * was safe to retry. No request is sent unless every argument is valid.
 *
 * # Safety
 * `client` is NULL or a live yx_client; `request` is NULL or a live yx_request not changed
 * during the call; `response_out` and `error_out` are NULL or writable.
 */
enum yx_result yx_client_execute(const struct yx_client *client,
                                 const struct yx_request *request,
                                 struct yx_response **response_out,
                                 struct yx_error **error_out);

/**
 * Runs any operation or lifecycle helper by name — a YX_OP_* name, or its method name
 * ("get_release_stage_pipeline_run") — with the arguments in `args_json`: the text of a JSON
 * object spelled as the YX_OP_* documentation lists them (snake_case; durations in
 * milliseconds, suffixed `_ms`: "deadline_ms"). NULL `args_json` is `{}`. Blocks until the
 * answer (for a helper such as YX_OP_WAIT_FOR_RUN, until the wait ends). The core checks the
 * arguments: an unknown one, a wrong type, a missing one or a bad duration is
 * YX_RESULT_ERROR with an error of kind YX_ERROR_KIND_INVALID_REQUEST naming the argument, and
 * nothing is sent.
 *
 * Returns YX_RESULT_OK and stores the result, compact JSON text with snake_case keys, in
 * `*result_json_out`: free it with yx_string_free. A list call's result has `next_args`, the
 * arguments of the next page (pass them back as `args_json`), or null after the last page.
 * Returns YX_RESULT_ERROR when the call failed (see the error's kind, and
 * yx_error_get_may_have_executed before retrying a mutating call on your own), and
 * YX_RESULT_INVALID_ARGUMENT when `args_json` is not JSON. Progress events of the helpers are
 * dropped here: use yx_client_call_with_events to receive them.
 *
 * # Safety
 * `client` is NULL or a live yx_client; `name` and `args_json` are NULL or NUL-terminated;
 * `result_json_out` and `error_out` are NULL or writable.
 */
enum yx_result yx_client_call(const struct yx_client *client,
                              const char *name,
                              const char *args_json,
                              char **result_json_out,
                              struct yx_error **error_out);

/**
 * yx_client_call, with the progress events of a lifecycle helper (YX_OP_WAIT_FOR_RUN,
 * YX_OP_EXECUTE_AND_WAIT, YX_OP_FOLLOW_JOB_LOG) sent to `on_event` (NULL: none) with
 * `user_data`, and a `cancel` handle (NULL: none) that stops the wait when triggered — from
 * another thread, a signal handler or the callback. A stopped wait answers its outcome with
 * state "aborted"; the run goes on unless the arguments say `"cancel_on_abort": true`.
 *
 * # Safety
 * As yx_client_call; `cancel` is NULL or a live yx_cancel; `on_event` is NULL or a function
 * that may be called with `user_data` during the call.
 */
enum yx_result yx_client_call_with_events(const struct yx_client *client,
                                          const char *name,
                                          const char *args_json,
                                          yx_event_callback on_event,
                                          void *user_data,
                                          const struct yx_cancel *cancel,
                                          char **result_json_out,
                                          struct yx_error **error_out);

/**
 * Gets the status of run `execution_number` of stage `release_stage_sn` (workflow
 * `release_workflow_sn`, app `app_name`; `organization_id` NULL for the client's) with one
 * GetReleaseStagePipelineRun call, and stores it in `*status_out`: YX_RUN_STATUS_RUNNING,
 * YX_RUN_STATUS_SUCCESS… or YX_RUN_STATUS_OTHER for a status this library does not list (or
 * none). The whole run, stages and jobs included, is yx_client_call's
 * YX_OP_GET_RELEASE_STAGE_PIPELINE_RUN. `*status_out` is YX_RUN_STATUS_OTHER on failure.
 *
 * # Safety
 * `client` is NULL or a live yx_client; the strings are NULL or NUL-terminated; `status_out`
 * and `error_out` are NULL or writable.
 */
enum yx_result yx_client_get_run_status(const struct yx_client *client,
                                        const char *organization_id,
                                        const char *app_name,
                                        const char *release_workflow_sn,
                                        const char *release_stage_sn,
                                        uint64_t execution_number,
                                        enum yx_run_status *status_out,
                                        struct yx_error **error_out);

/**
 * Waits for run `execution_number` of a stage (named as for yx_client_get_run_status) to end,
 * polling it, and stores how the wait ended in `*state_out` and the whole outcome (state,
 * status, failed_jobs, gate, polls, elapsed_ms, cancel, last: the run as last seen) as JSON
 * in `*outcome_json_out` (free it with yx_string_free; NULL `outcome_json_out` when only the
 * state is wanted). A failed run is an outcome (YX_WAIT_STATE_FAILED), not an error.
 *
 * `options_json` is NULL or a JSON object with the wait's settings, as YX_OP_WAIT_FOR_RUN
 * lists them: "deadline_ms" (the wait's own deadline; YX_WAIT_STATE_DEADLINE_EXCEEDED when
 * it passes, the run goes on), "on_approval" ("wait" or "stop" at a manual gate:
 * YX_WAIT_STATE_WAITING_FOR_APPROVAL), "follow_logs", "cancel_on_abort", "poll_initial_ms",
 * "poll_max_ms". The core judges them, naming a bad one in the error.
 *
 * Progress events go to `on_event` (NULL: none), on the calling thread. `cancel` (NULL: none)
 * stops the wait when triggered with yx_cancel_trigger from another thread or the callback,
 * or with yx_cancel_trigger_from_signal from a signal handler: the call returns YX_RESULT_OK
 * with YX_WAIT_STATE_ABORTED, and the run goes on (unless "cancel_on_abort" is true).
 *
 * # Safety
 * `client` is NULL or a live yx_client; the strings are NULL or NUL-terminated; `cancel` is
 * NULL or a live yx_cancel; `on_event` is NULL or may be called with `user_data` during the
 * call; `state_out`, `outcome_json_out` and `error_out` are NULL or writable.
 */
enum yx_result yx_client_wait_for_run(const struct yx_client *client,
                                      const char *organization_id,
                                      const char *app_name,
                                      const char *release_workflow_sn,
                                      const char *release_stage_sn,
                                      uint64_t execution_number,
                                      const char *options_json,
                                      yx_event_callback on_event,
                                      void *user_data,
                                      const struct yx_cancel *cancel,
                                      enum yx_wait_state *state_out,
                                      char **outcome_json_out,
                                      struct yx_error **error_out);

/**
 * Frees a string the library handed out (a result of yx_client_call, an outcome of
 * yx_client_wait_for_run). NULL is a no-op. Never pass it to free().
 *
 * # Safety
 * `text` is NULL or a string from this library's `char **` outputs, not freed before.
 */
void yx_string_free(char *text);

/**
 * Creates a cancel handle, not triggered. Free with yx_cancel_free. Returns NULL only if the
 * library failed internally.
 */
struct yx_cancel *yx_cancel_new(void);

/**
 * Frees a cancel handle. NULL is a no-op.
 *
 * # Safety
 * `cancel` is NULL or a yx_cancel from yx_cancel_new that was not freed before, used by no
 * running wait and no thread or signal handler any more.
 */
void yx_cancel_free(struct yx_cancel *cancel);

/**
 * Triggers the handle: every wait using it stops at once (its call returns the outcome
 * "aborted"). Safe from any thread, including a progress callback; not from a signal handler
 * (it wakes the wait, which takes a lock): use yx_cancel_trigger_from_signal there.
 *
 * # Safety
 * `cancel` is NULL or a live yx_cancel.
 */
enum yx_result yx_cancel_trigger(const struct yx_cancel *cancel);

/**
 * Triggers the handle from a signal handler: async-signal-safe, it only stores an atomic flag
 * (no lock, no allocation, no system call). A wait notices it within 100 ms. Returns
 * YX_RESULT_NULL_ARGUMENT for NULL, else YX_RESULT_OK.
 *
 * # Safety
 * `cancel` is NULL or a live yx_cancel.
 */
enum yx_result yx_cancel_trigger_from_signal(const struct yx_cancel *cancel);

/**
 * Whether the handle was triggered (by either function). false for NULL.
 *
 * # Safety
 * `cancel` is NULL or a live yx_cancel.
 */
bool yx_cancel_is_triggered(const struct yx_cancel *cancel);

/**
 * Creates a request to run stage `release_stage_sn` of workflow `release_workflow_sn` of app
 * `app_name`, with no parameters; the strings are copied. Stores it in `*request_out`; free it
 * with yx_request_free. The ids are checked when the request is executed.
 *
 * # Safety
 * The strings are NULL or NUL-terminated; `request_out` is NULL or writable.
 */
enum yx_result yx_request_new(const char *app_name,
                              const char *release_workflow_sn,
                              const char *release_stage_sn,
                              struct yx_request **request_out);

/**
 * Frees a request. NULL is a no-op.
 *
 * # Safety
 * `request` is NULL or a yx_request from yx_request_new that was not freed before.
 */
void yx_request_free(struct yx_request *request);

/**
 * Sets the organization of this request, overriding the client's; copied.
 *
 * # Safety
 * `request` is NULL or a live yx_request; `organization_id` is NULL or NUL-terminated.
 */
enum yx_result yx_request_set_organization_id(struct yx_request *request,
                                              const char *organization_id);

/**
 * Sets the run comment shown in the Yunxiao console (the `FLOW_INST_RUNNING_COMMENT`
 * parameter), replacing an earlier one; copied.
 *
 * # Safety
 * `request` is NULL or a live yx_request; `comment` is NULL or NUL-terminated.
 */
enum yx_result yx_request_set_comment(struct yx_request *request, const char *comment);

/**
 * Adds a pipeline variable, sent as `"name": "value"` in `params`, after the ones added
 * before; copied. Giving a name twice, or one that another parameter uses, is refused when the
 * request is executed.
 *
 * # Safety
 * `request` is NULL or a live yx_request; `name` and `value` are NULL or NUL-terminated.
 */
enum yx_result yx_request_add_variable(struct yx_request *request,
                                       const char *name,
                                       const char *value);

/**
 * Adds the branch a pipeline source builds, sent as `"<source_id>": "<branch>"` in `params`;
 * copied. The server ignores branches when release-branch information is given.
 *
 * # Safety
 * `request` is NULL or a live yx_request; `source_id` and `branch` are NULL or
 * NUL-terminated.
 */
enum yx_result yx_request_add_branch(struct yx_request *request,
                                     const char *source_id,
                                     const char *branch);

/**
 * Runs with change requests instead of a branch: sets `params.releaseBranchRepoInfo` from its
 * wire form, a JSON object with `featureBranchs` (an array of `{"branchName",
 * "changeRequestSn"}`), `repo`, `baseBranch` and `releaseBranch` (`{"branchName"}`) and
 * `needCreateBranch`. Replaces earlier information.
 *
 * Returns YX_RESULT_INVALID_ARGUMENT, with the reason in `*error_out` when given, when the
 * text is not JSON of that shape (an unknown field included). Whether the information can
 * describe a run (a release branch or a base branch to cut one from…) is checked when the
 * request is executed.
 *
 * # Safety
 * `request` is NULL or a live yx_request; `info_json` is NULL or NUL-terminated; `error_out`
 * is NULL or writable.
 */
enum yx_result yx_request_set_release_branch_repo_info_json(struct yx_request *request,
                                                            const char *info_json,
                                                            struct yx_error **error_out);

/**
 * Adds raw entries of `params` from the text of a JSON object, for parameters newer than this
 * library; they follow the typed ones. Calls add up, they never replace: the entries of every
 * call are sent, in the order given. A key given twice (by two calls, or by a typed setter
 * and a call) is refused when the request is executed, as is a JSON value that is not an
 * object.
 *
 * Returns YX_RESULT_INVALID_ARGUMENT, with the reason in `*error_out` when given, when the
 * text is not JSON.
 *
 * # Safety
 * `request` is NULL or a live yx_request; `params_json` is NULL or NUL-terminated;
 * `error_out` is NULL or writable.
 */
enum yx_result yx_request_set_params_json(struct yx_request *request,
                                          const char *params_json,
                                          struct yx_error **error_out);

/**
 * The run id: `pipelineRunId`, else `object` — the number the follow-up calls take.
 * YX_RESULT_NOT_PRESENT when the answer carries neither.
 *
 * # Safety
 * `response` is NULL or a live yx_response; `run_id_out` is NULL or writable.
 */
enum yx_result yx_response_get_run_id(const struct yx_response *response, uint64_t *run_id_out);

/**
 * The answer's `object` field. YX_RESULT_NOT_PRESENT when absent or not a non-negative
 * integer.
 *
 * # Safety
 * `response` is NULL or a live yx_response; `object_out` is NULL or writable.
 */
enum yx_result yx_response_get_object(const struct yx_response *response, uint64_t *object_out);

/**
 * The answer's `pipelineId` field: the pipeline the stage ran. YX_RESULT_NOT_PRESENT when
 * absent or not a non-negative integer.
 *
 * # Safety
 * `response` is NULL or a live yx_response; `pipeline_id_out` is NULL or writable.
 */
enum yx_result yx_response_get_pipeline_id(const struct yx_response *response,
                                           uint64_t *pipeline_id_out);

/**
 * The answer's `pipelineRunId` field. YX_RESULT_NOT_PRESENT when absent or not a
 * non-negative integer.
 *
 * # Safety
 * `response` is NULL or a live yx_response; `pipeline_run_id_out` is NULL or writable.
 */
enum yx_result yx_response_get_pipeline_run_id(const struct yx_response *response,
                                               uint64_t *pipeline_run_id_out);

/**
 * The HTTP status of the answer (a 2xx) — not the status of the run. Always present.
 *
 * # Safety
 * `response` is NULL or a live yx_response; `http_status_out` is NULL or writable.
 */
enum yx_result yx_response_get_http_status(const struct yx_response *response,
                                           uint16_t *http_status_out);

/**
 * The request id, from the body's `requestId` or the `x-acs-request-id` header: quote it to
 * Alibaba Cloud support. Valid until yx_response_free. YX_RESULT_NOT_PRESENT when the answer
 * has none.
 *
 * # Safety
 * `response` is NULL or a live yx_response; `request_id_out` is NULL or writable.
 */
enum yx_result yx_response_get_request_id(const struct yx_response *response,
                                          const char **request_id_out);

/**
 * The whole JSON body of the answer, as compact JSON text (object keys in the order
 * received), for fields this library does not read. Valid until yx_response_free. Always
 * present.
 *
 * # Safety
 * `response` is NULL or a live yx_response; `raw_json_out` is NULL or writable.
 */
enum yx_result yx_response_get_raw_json(const struct yx_response *response,
                                        const char **raw_json_out);

/**
 * Frees a response and the strings read from it. NULL is a no-op.
 *
 * # Safety
 * `response` is NULL or a yx_response that was not freed before.
 */
void yx_response_free(struct yx_response *response);

/**
 * The kind of the error. Present on every error but the one of YX_RESULT_PANIC (a bug in the
 * library has no kind): then YX_RESULT_NOT_PRESENT, and `*kind_out` is 0, which is no kind.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `kind_out` is NULL or writable.
 */
enum yx_result yx_error_get_kind(const struct yx_error *error, enum yx_error_kind *kind_out);

/**
 * Whether the call may have had its effect despite the error (for execute: started a run).
 * False only when it certainly did not: nothing was sent, the call only reads, or the answer
 * says so (a 4xx, say). When true, check the stage's runs before executing again: a blind
 * retry may deploy twice. True for the error of YX_RESULT_PANIC. Always present.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `may_have_executed_out` is NULL or writable.
 */
enum yx_result yx_error_get_may_have_executed(const struct yx_error *error,
                                              bool *may_have_executed_out);

/**
 * A short message without the kind: the server's `errorMessage`, or what went wrong, e.g.
 * "app_name must not be empty". Valid until yx_error_free. Always present.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `message_out` is NULL or writable.
 */
enum yx_result yx_error_get_message(const struct yx_error *error, const char **message_out);

/**
 * A one-line description for logs, with the status, error code and request id when there are
 * some, e.g. "HTTP 401 InvalidTokenError: token expired (request id 5A2B…)". Valid until
 * yx_error_free. Always present.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `description_out` is NULL or writable.
 */
enum yx_result yx_error_get_description(const struct yx_error *error, const char **description_out);

/**
 * The HTTP status of the answer. YX_RESULT_NOT_PRESENT when there was no answer (a refused
 * argument, a connection failure, a timeout).
 *
 * # Safety
 * `error` is NULL or a live yx_error; `status_out` is NULL or writable.
 */
enum yx_result yx_error_get_status(const struct yx_error *error, uint16_t *status_out);

/**
 * The server's error code, e.g. "InvalidTokenError" (`errorCode` of the body). Valid until
 * yx_error_free. YX_RESULT_NOT_PRESENT when the answer has none.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `error_code_out` is NULL or writable.
 */
enum yx_result yx_error_get_error_code(const struct yx_error *error, const char **error_code_out);

/**
 * The request id of the answer (body `requestId`, else the `x-acs-request-id` header): quote
 * it to Alibaba Cloud support. Valid until yx_error_free. YX_RESULT_NOT_PRESENT when there is
 * none.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `request_id_out` is NULL or writable.
 */
enum yx_result yx_error_get_request_id(const struct yx_error *error, const char **request_id_out);

/**
 * The trace id of the answer (`traceId` of the body). Valid until yx_error_free.
 * YX_RESULT_NOT_PRESENT when there is none.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `trace_id_out` is NULL or writable.
 */
enum yx_result yx_error_get_trace_id(const struct yx_error *error, const char **trace_id_out);

/**
 * The body of an error answer, cut to a few KiB, with the token masked: for diagnostics.
 * Valid until yx_error_free. YX_RESULT_NOT_PRESENT when there was no answer or it was empty.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `body_out` is NULL or writable.
 */
enum yx_result yx_error_get_body(const struct yx_error *error, const char **body_out);

/**
 * The Retry-After of the last answer (given in seconds or as an HTTP date), in milliseconds
 * from when that answer arrived, rounded up. The client has already waited and retried where
 * that was safe and the wait short; this is the server's word on when to try again.
 * YX_RESULT_NOT_PRESENT when the server gave none.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `retry_after_ms_out` is NULL or writable.
 */
enum yx_result yx_error_get_retry_after_ms(const struct yx_error *error,
                                           uint64_t *retry_after_ms_out);

/**
 * The OpenAPI name of the operation the failed call made, e.g. "GetReleaseStagePipelineRun"
 * (one of the YX_OP_* names). Valid until yx_error_free. YX_RESULT_NOT_PRESENT when the error
 * came before any operation was chosen (a bad setting, an unknown name).
 *
 * # Safety
 * `error` is NULL or a live yx_error; `operation_out` is NULL or writable.
 */
enum yx_result yx_error_get_operation(const struct yx_error *error, const char **operation_out);

/**
 * When the failed call was made — just before its first attempt was sent — in milliseconds
 * since the Unix epoch (a fraction kept). For the "did it start?" check after an execute that
 * may have executed: a run that started after this instant may be the call's. Not present
 * when no operation was made.
 *
 * # Safety
 * `error` is NULL or a live yx_error; `started_at_ms_out` is NULL or writable.
 */
enum yx_result yx_error_get_started_at_ms(const struct yx_error *error, double *started_at_ms_out);

/**
 * The error in one line, for printing: what yx_error_get_description gives, e.g.
 * `fprintf(stderr, "deploy failed: %s\n", yx_error_describe(error))`. Like strerror, it
 * never fails: a NULL error gives "no error details". The string is owned by the error and
 * valid until yx_error_free (a static one for NULL).
 *
 * # Safety
 * `error` is NULL or a live yx_error.
 */
const char *yx_error_describe(const struct yx_error *error);

/**
 * Frees an error and the strings read from it. NULL is a no-op.
 *
 * # Safety
 * `error` is NULL or a yx_error that was not freed before.
 */
void yx_error_free(struct yx_error *error);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* YUNXIAO_APPSTACK_H */
