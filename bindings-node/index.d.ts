// Types of the JavaScript wrapper. This half is hand-written (scripts/templates/index.d.ts); the
// half after the "generated" line is written by scripts/generate.mjs from core/catalog.json.
// The response and resolved-settings types come from ./native.d.ts, which napi-rs generates from
// the Rust side at build time.

import type { ExecuteReleaseStageResponse, ResolvedConfig } from './native';

export type { ExecuteReleaseStageResponse };

/** The resolved, non-secret settings of a client (`client.config`). */
export type ClientConfig = Readonly<ResolvedConfig>;

/**
 * An id from an answer (`runId`, `object`, `pipelineId`, `pipelineRunId`): a `number` up to
 * `Number.MAX_SAFE_INTEGER`, a `bigint` beyond it — never rounded.
 */
export type Id = number | bigint;

/** Which Yunxiao edition the client talks to: exactly `'central'` or `'region'`; any other string is a `ConfigurationError`. */
export type Edition = 'central' | 'region' | (string & {});

/**
 * The part of `AbortSignal` this library uses. Any `AbortSignal` (Node's, the DOM's, a
 * polyfill's) fits, without requiring `@types/node` or the DOM library.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * Settings of a client. Every one left out (or `undefined`/`null`) resolves from the
 * environment (`env`, default `process.env`), then from the core's defaults.
 */
export interface ClientOptions {
  /** Personal access token (`x-yunxiao-token`); else `YUNXIAO_ACCESS_TOKEN`. Required one way or the other. */
  token?: string | null;
  /** OpenAPI base URL; else `YUNXIAO_API_BASE_URL`, else `https://openapi-rdc.aliyuncs.com`. */
  baseUrl?: string | null;
  /** `central` (default) or `region`; else `YUNXIAO_EDITION`. */
  edition?: Edition | null;
  /** Default organization of every call; else `YUNXIAO_ORGANIZATION_ID`. */
  organizationId?: string | null;
  /** Time allowed for one attempt, in milliseconds; else `YUNXIAO_TIMEOUT` (seconds), else 60 000. */
  timeoutMs?: number | null;
  /** Time allowed to open a connection, in milliseconds; else `YUNXIAO_CONNECT_TIMEOUT` (seconds), else 10 000. */
  connectTimeoutMs?: number | null;
  /** Retries where the server certainly did not act (0–10); else `YUNXIAO_MAX_RETRIES`, else 2. */
  maxRetries?: number | null;
  /** Largest answer body read, in bytes (default 8 MiB). */
  maxResponseBytes?: number | null;
  /** Allow plain `http://` to a host other than loopback (the token would travel in clear text). */
  allowInsecureHttp?: boolean | null;
  /** A PEM file of CA certificates to trust besides the system's; else `YUNXIAO_CA_BUNDLE`. */
  caBundle?: string | null;
  /** A proxy URL (`http://user:pass@host:port`); a secret, never shown in `config` or errors. */
  proxy?: string | null;
  /** The longest one call may take, retries included, in milliseconds (default: no limit but `timeoutMs` per attempt). */
  deadlineMs?: number | null;
  /** The most requests per second this client sends (default: no limit). */
  maxRps?: number | null;
  /** Where to read `YUNXIAO_*` variables from; default `process.env`. Pass `{}` to ignore the environment. */
  env?: Readonly<Record<string, string | undefined>> | null;
}

/**
 * An ordered map of strings: a plain object, a `Map`, or `[name, value]` pairs. Plain objects
 * list integer-like keys first (a JavaScript rule); use a `Map` or pairs to control the order.
 */
export type StringPairs =
  | Readonly<Record<string, string | undefined>>
  | ReadonlyMap<string, string>
  | Iterable<readonly [string, string]>;

/** A branch, by name. */
export interface Branch {
  branchName: string;
}

/** A change request's branch. */
export interface FeatureBranch {
  branchName: string;
  /** The change request's serial number. */
  changeRequestSn: string;
}

interface ReleaseBranchRepoInfoFields {
  /** The repository's git URL. */
  repo: string;
  /** The branch a new release branch is cut from (needed when `needCreateBranch`). */
  baseBranch?: Branch;
  /** Cut a new release branch from `baseBranch` (true) or use `releaseBranch` (false, default). */
  needCreateBranch?: boolean;
  /** The release branch to use (needed when not `needCreateBranch`). */
  releaseBranch?: Branch;
}

/**
 * Run with change requests instead of a branch (`params.releaseBranchRepoInfo`), in the wire
 * form. The wire spells the list `featureBranchs`; `featureBranches` is accepted too.
 */
export type ReleaseBranchRepoInfo = ReleaseBranchRepoInfoFields &
  ({ featureBranchs: FeatureBranch[]; featureBranches?: never } | { featureBranches: FeatureBranch[]; featureBranchs?: never });

/** One execution of a release stage. */
export interface ExecuteReleaseStageRequest {
  /** The application name. */
  appName: string;
  /** The release workflow serial number. */
  releaseWorkflowSn: string;
  /** The release stage serial number. */
  releaseStageSn: string;
  /** The organization; else the client's default. Required for the central edition. */
  organizationId?: string | null;
  /** The run comment shown in the console (`FLOW_INST_RUNNING_COMMENT`). */
  comment?: string | null;
  /** Pipeline variables, sent as `"name": "value"` in `params`. */
  variables?: StringPairs | null;
  /** The branch each pipeline source builds: `{ sourceId: branch }`. */
  branches?: StringPairs | null;
  /** Run with change requests instead of a branch. */
  releaseBranchRepoInfo?: ReleaseBranchRepoInfo | null;
  /** Raw extra entries of `params` for anything newer than this library; must not repeat a key given above. */
  params?: Record<string, unknown> | null;
  /** Aborts the call: it rejects with an `AbortError`. */
  signal?: AbortSignalLike | null;
}

/** A client of the Yunxiao AppStack OpenAPI. One client keeps one connection pool: reuse it. */
export declare class Client {
  /**
   * @throws {TypeError} an option has the wrong type, or is not an option
   * @throws {ConfigurationError} the settings were refused (no token, bad URL…)
   */
  constructor(options?: ClientOptions);
  /** The resolved settings; never the token. */
  readonly config: ClientConfig;
  /**
   * Starts one run of a release stage (ExecuteChangeRequestReleaseStage). Sent once, and again
   * only when the server certainly did not act on it. Rejects with a `YunxiaoError` subclass,
   * a `TypeError` for a wrong argument type, or an `AbortError`.
   */
  executeReleaseStage(request: ExecuteReleaseStageRequest): Promise<ExecuteReleaseStageResponse>;
}

/**
 * One call with a client configured from the environment (plus `clientOptions`). For several
 * calls, reuse one `Client`.
 */
export declare function executeReleaseStage(
  request: ExecuteReleaseStageRequest,
  clientOptions?: ClientOptions,
): Promise<ExecuteReleaseStageResponse>;

/** The library's version (the Rust workspace's version). */
export declare const VERSION: string;

/** Fields an error can be constructed with (for tests that build errors of their own). */
export interface ErrorFields {
  code?: ErrorCode;
  mayHaveExecuted?: boolean;
  status?: number;
  requestId?: string;
  errorCode?: string;
  errorMessage?: string;
  traceId?: string;
  body?: string;
  retryAfter?: number;
  timeoutPhase?: 'connect' | 'response' | 'body' | 'waiting';
  timeoutMs?: number;
  limitBytes?: number;
  deadline?: boolean;
  certificateProblem?: string;
  operation?: string;
  effect?: string;
  action?: string;
  startedAtMs?: number;
  cause?: unknown;
}

/** Base class of every error the library raises on purpose (except `AbortError`). */
export declare class YunxiaoError extends Error {
  constructor(message: string, fields?: ErrorFields);
  /** The core's stable kind code, e.g. `'rate_limited'`. */
  readonly code: ErrorCode;
  /**
   * Whether the release stage may have started despite the error. When `true`, check the
   * stage's runs before retrying: executing a stage is not idempotent.
   */
  readonly mayHaveExecuted: boolean;
  /** The HTTP status of the answer, when there was one. */
  readonly status: number | undefined;
  /** The request id of the answer, when there was one. */
  readonly requestId: string | undefined;
  /** The OpenAPI name of the call, once it was sent (e.g. `'GetReleaseStagePipelineRun'`). */
  readonly operation: string | undefined;
  /** Its effect: `'read_only'`, `'idempotent'` or `'mutating'`. */
  readonly effect: string | undefined;
  /** What the call was doing, in words. */
  readonly action: string | undefined;
  /**
   * When the call's first attempt was sent, in milliseconds since the Unix epoch. After an
   * ambiguous execute, `client.findRunsStartedSince({ ..., sinceEpochMs: error.startedAtMs })`
   * tells whether it started a run.
   */
  readonly startedAtMs: number | undefined;
}

/** A non-2xx answer (`code` `'api_status'` for statuses without a class of their own, such as 409 or 3xx). */
export declare class APIStatusError extends YunxiaoError {
  readonly status: number;
  /** `errorCode` from the body, e.g. `'InvalidTokenError'`. */
  readonly errorCode: string | undefined;
  /** `errorMessage` from the body. */
  readonly errorMessage: string | undefined;
  /** `traceId` from the body. */
  readonly traceId: string | undefined;
  /** The server's `Retry-After`, in seconds. */
  readonly retryAfter: number | undefined;
  /** The body, cut to a few KiB, token scrubbed. */
  readonly body: string;
}
/** HTTP 400. Nothing was started. */
export declare class BadRequestError extends APIStatusError {}
/** HTTP 401. Nothing was started. */
export declare class AuthenticationError extends APIStatusError {}
/** HTTP 403. Nothing was started. */
export declare class PermissionDeniedError extends APIStatusError {}
/** HTTP 404. Nothing was started. */
export declare class NotFoundError extends APIStatusError {}
/** HTTP 429 after the client's retries. Nothing was started; see `retryAfter`. */
export declare class RateLimitError extends APIStatusError {}
/** HTTP 500 and above. May have started, unless a 503 carried `Retry-After`. */
export declare class InternalServerError extends APIStatusError {}
/** No complete answer: could not connect (nothing sent) or the connection broke after sending. */
export declare class APIConnectionError extends YunxiaoError {
  /** When the server's certificate was refused: why (e.g. `'unknown_issuer'`). */
  readonly certificateProblem: string | undefined;
}
/** An attempt ran out of time. */
export declare class APITimeoutError extends APIConnectionError {
  /** `'connect'` (nothing was sent), `'response'`, `'body'` or `'waiting'` (for a retry, when the deadline came first). */
  readonly timeoutPhase: 'connect' | 'response' | 'body' | 'waiting' | undefined;
  /** The limit that was reached, in milliseconds. */
  readonly timeoutMs: number | undefined;
  /** Whether that limit was the call's whole `deadlineMs` (else one attempt's `timeoutMs`). */
  readonly deadline: boolean | undefined;
}
/** Refused before anything was sent: an empty or malformed id, conflicting parameters… */
export declare class InvalidRequestError extends YunxiaoError {}
/** The client could not be configured: no token, a bad base URL, a bad environment value… */
export declare class ConfigurationError extends YunxiaoError {}
/**
 * A 2xx answer that is not the expected JSON object (`code` `'decode'`). The stage has most
 * likely started.
 */
export declare class ResponseDecodeError extends YunxiaoError {
  /** For `'response_too_large'`: the cap, in bytes. */
  readonly limitBytes: number | undefined;
}
/** A 2xx answer larger than `maxResponseBytes` (`code` `'response_too_large'`), as in Python. */
export declare class ResponseTooLargeError extends ResponseDecodeError {}

/**
 * The call was aborted through its `signal` (`name` `'AbortError'`, `code` `'ABORT_ERR'`,
 * `cause` the signal's reason), like Node's own abort errors.
 */
export declare class AbortError extends Error {
  constructor(message?: string, options?: { cause?: unknown; mayHaveExecuted?: boolean; result?: unknown });
  readonly code: 'ABORT_ERR';
  /**
   * For an aborted wait: what the wait had seen (a `RunOutcome` with `state` `'aborted'`, and
   * `cancel` when it was told to `cancelOnAbort`; for `executeAndWait`, `{ execute, outcome }`).
   */
  readonly result: unknown;
  /** `false` when the signal fired before the call began; `true` when the request may have been sent. */
  readonly mayHaveExecuted: boolean;
}

// ---- generated by scripts/generate.mjs from core/catalog.json: do not edit below ----

/** The core's stable error kind codes, shared by every binding and the CLI. */
export type ErrorCode =
  | 'invalid_request'
  | 'configuration'
  | 'bad_request'
  | 'authentication'
  | 'permission_denied'
  | 'not_found'
  | 'rate_limited'
  | 'api_status'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'decode'
  | 'response_too_large';

/** What every call takes besides its arguments. */
export interface CallOptions {
  /** Aborts the call: it rejects with an `AbortError`. A wait stops at once and the run goes on (unless `cancelOnAbort`). */
  signal?: AbortSignalLike | null;
}

/** What the lifecycle helpers that report progress take besides their arguments. */
export interface EventOptions extends CallOptions {
  /** Receives every progress event, in order, before the call settles. A throw stops the wait and rejects the call with it. */
  onEvent?: ((event: RunEvent) => void) | null;
}

/** The arguments of `getReleaseStagePipelineRun`. */
export type GetReleaseStagePipelineRunArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
};

/** What `getReleaseStagePipelineRun` resolves with. */
export type GetReleaseStagePipelineRunResult = PipelineRun;

/** The arguments of `cancelReleaseStageExecution`. */
export type CancelReleaseStageExecutionArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
};

/** What `cancelReleaseStageExecution` resolves with. */
export type CancelReleaseStageExecutionResult = CancelOutcome;

/** The arguments of `listReleaseStageRuns`. */
export type ListReleaseStageRunsArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The page number, from 1 (page-number mode). */
  page?: number | null;
  /** Runs per page, 1–100. */
  perPage?: number | null;
  /** The order (`orderBy`). */
  orderBy?: "id" | "gmtCreate" | null;
  /** The direction (`sort`). */
  sort?: "asc" | "desc" | null;
  /** Keyset paging (`pagination=keyset`) instead of page numbers. */
  keyset?: boolean | null;
  /** The keyset token of the page to get (from the previous page's `next_token`). */
  nextToken?: string | null;
};

/** One page of `listReleaseStageRuns`; `nextArgs` are the next page's arguments, `null` after the last page. */
export type ListReleaseStageRunsResult = Page & { nextArgs: ListReleaseStageRunsArgs | null };

/** The arguments of `listReleaseWorkflows`. */
export type ListReleaseWorkflowsArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
};

/** What `listReleaseWorkflows` resolves with. */
export type ListReleaseWorkflowsResult = Array<ReleaseWorkflow>;

/** The arguments of `listReleaseWorkflowBriefs`. */
export type ListReleaseWorkflowBriefsArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
};

/** What `listReleaseWorkflowBriefs` resolves with. */
export type ListReleaseWorkflowBriefsResult = Array<ReleaseWorkflowBrief>;

/** The arguments of `listReleaseStageBriefs`. */
export type ListReleaseStageBriefsArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
};

/** What `listReleaseStageBriefs` resolves with. */
export type ListReleaseStageBriefsResult = Array<ReleaseStageBrief>;

/** The arguments of `getReleaseStage`. */
export type GetReleaseStageArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
};

/** What `getReleaseStage` resolves with. */
export type GetReleaseStageResult = ReleaseStageDetail;

/** The arguments of `searchChangeRequests`. */
export type SearchChangeRequestsArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The page number, from 1 (`current`). */
  current?: number | null;
  /** Change requests per page, 1–30 (`pageSize`; the server's default is 10). */
  pageSize?: number | null;
  /** Only these owners' (user ids). */
  owner?: Array<string> | null;
  /** Only names containing this text. */
  name?: string | null;
  /** Only these states. */
  state?: Array<"DEVELOPING" | "INTEGRATING" | "RELEASED" | "CLOSED" | "INIT" | (string & {})> | null;
};

/** What `searchChangeRequests` resolves with. */
export type SearchChangeRequestsResult = Page2;

/** The arguments of `passPipelineValidate`. */
export type PassPipelineValidateArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
  /** The job's id (`pipelineRun.stages[].stageInfo.jobs[].id`). */
  jobId: Id;
};

/** What `passPipelineValidate` resolves with. */
export type PassPipelineValidateResult = ActionOutcome;

/** The arguments of `refusePipelineValidate`. */
export type RefusePipelineValidateArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
  /** The job's id (`pipelineRun.stages[].stageInfo.jobs[].id`). */
  jobId: Id;
};

/** What `refusePipelineValidate` resolves with. */
export type RefusePipelineValidateResult = ActionOutcome;

/** The arguments of `retryPipelineJob`. */
export type RetryPipelineJobArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
  /** The job's id (`pipelineRun.stages[].stageInfo.jobs[].id`). */
  jobId: Id;
};

/** What `retryPipelineJob` resolves with. */
export type RetryPipelineJobResult = ActionOutcome;

/** The arguments of `skipPipelineJob`. */
export type SkipPipelineJobArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
  /** The job's id (`pipelineRun.stages[].stageInfo.jobs[].id`). */
  jobId: Id;
};

/** What `skipPipelineJob` resolves with. */
export type SkipPipelineJobResult = ActionOutcome;

/** The arguments of `getPipelineJobLog`. */
export type GetPipelineJobLogArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
  /** The job's id (`pipelineRun.stages[].stageInfo.jobs[].id`). */
  jobId: Id;
};

/** What `getPipelineJobLog` resolves with. */
export type GetPipelineJobLogResult = JobLog;

/** The arguments of `listIntegratedMetadata`. */
export type ListIntegratedMetadataArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
};

/** What `listIntegratedMetadata` resolves with. */
export type ListIntegratedMetadataResult = Array<IntegratedMetadata>;

/** The arguments of `findReleaseIntegratedMetadata`. */
export type FindReleaseIntegratedMetadataArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The run number (`buildNum`); the newest run when absent. */
  buildNum?: Id | null;
};

/** What `findReleaseIntegratedMetadata` resolves with. */
export type FindReleaseIntegratedMetadataResult = ReleaseStageIntegratedMetadata;

/** The arguments of `waitForRun`. */
export type WaitForRunArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
  /** The longest the whole wait may take (default 60 min). In milliseconds. */
  deadlineMs?: number | null;
  /** What to do at a manual gate: `wait` (default) or `stop`. */
  onApproval?: "wait" | "stop" | null;
  /** Also follow the logs of running jobs (events `log_line`). */
  followLogs?: boolean | null;
  /** Cancel the run when the wait is aborted. */
  cancelOnAbort?: boolean | null;
  /** The first pause between polls (default 1.5 s). In milliseconds. */
  pollInitialMs?: number | null;
  /** The longest pause between polls (default 12 s). In milliseconds. */
  pollMaxMs?: number | null;
};

/** What `waitForRun` resolves with. */
export type WaitForRunResult = RunOutcome;

/** The arguments of `executeAndWait`. */
export type ExecuteAndWaitArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The run comment (`FLOW_INST_RUNNING_COMMENT`). */
  comment?: string | null;
  /** Pipeline variables, `name → value`. */
  variables?: Record<string, string> | null;
  /** Source branches, `sourceId → branch`. */
  branches?: Record<string, string> | null;
  /** Run with change requests instead of a branch (`releaseBranchRepoInfo`). */
  releaseBranchRepoInfo?: ReleaseBranchRepoInfo | null;
  /** Raw extra entries of `params`, for anything newer than this crate. */
  params?: unknown | null;
  /** The longest the whole wait may take (default 60 min). In milliseconds. */
  deadlineMs?: number | null;
  /** What to do at a manual gate: `wait` (default) or `stop`. */
  onApproval?: "wait" | "stop" | null;
  /** Also follow the logs of running jobs (events `log_line`). */
  followLogs?: boolean | null;
  /** Cancel the run when the wait is aborted. */
  cancelOnAbort?: boolean | null;
  /** The first pause between polls (default 1.5 s). In milliseconds. */
  pollInitialMs?: number | null;
  /** The longest pause between polls (default 12 s). In milliseconds. */
  pollMaxMs?: number | null;
};

/** The arguments of `followJobLog`. */
export type FollowJobLogArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
  /** The job's id (`pipelineRun.stages[].stageInfo.jobs[].id`). */
  jobId: Id;
  /** The longest the whole wait may take (default 60 min). In milliseconds. */
  deadlineMs?: number | null;
  /** What to do at a manual gate: `wait` (default) or `stop`. */
  onApproval?: "wait" | "stop" | null;
  /** Also follow the logs of running jobs (events `log_line`). */
  followLogs?: boolean | null;
  /** Cancel the run when the wait is aborted. */
  cancelOnAbort?: boolean | null;
  /** The first pause between polls (default 1.5 s). In milliseconds. */
  pollInitialMs?: number | null;
  /** The longest pause between polls (default 12 s). In milliseconds. */
  pollMaxMs?: number | null;
};

/** The arguments of `findReleaseWorkflow`. */
export type FindReleaseWorkflowArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The workflow's name (or serial number). */
  name: string;
};

/** What `findReleaseWorkflow` resolves with. */
export type FindReleaseWorkflowResult = ReleaseWorkflowBrief;

/** The arguments of `findReleaseStage`. */
export type FindReleaseStageArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The workflow's name or serial number. */
  workflow: string;
  /** The stage's name (or serial number). */
  stage: string;
};

/** What `findReleaseStage` resolves with. */
export type FindReleaseStageResult = StageRef;

/** The arguments of `findRunsStartedSince`. */
export type FindRunsStartedSinceArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The instant, in milliseconds since the Unix epoch (an error's `started_at`). */
  sinceEpochMs: Id;
  /** Clock skew allowed (default 120 s). In milliseconds. */
  clockSkewMs?: number | null;
  /** The zone of start times sent without one, in minutes east of UTC (default 480). */
  naiveOffsetMinutes?: number | null;
  /** The stage's newest run number before the execute, when recorded. */
  afterNumber?: Id | null;
};

/** What `findRunsStartedSince` resolves with. */
export type FindRunsStartedSinceResult = Array<StageRun>;

/** The arguments of `newestRunNumber`. */
export type NewestRunNumberArgs = {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
};

/** What `newestRunNumber` resolves with. */
export type NewestRunNumberResult = Id | null;

/** A pipeline run of a release stage (`pipelineRun`). */
export interface PipelineRun {
  /** The run's status: `RUNNING`, `SUCCESS`, `FAIL`, `CANCELED`… (absent: unknown). */
  status?: RunStatus | null;
  /** `pipelineId`. */
  pipelineId?: Id | null;
  /** `pipelineRunId`. */
  pipelineRunId?: Id | null;
  /** `createTime`. */
  createTime?: Timestamp | null;
  /** `updateTime`. */
  updateTime?: Timestamp | null;
  /** `creator`: the creator's account id. */
  creator?: string | null;
  /** `modifier`. */
  modifier?: string | null;
  /** `triggerMode`: `1` manual, `2` scheduled, `3` code commit, `5` pipeline, `6` webhook. */
  triggerMode?: string | null;
  /** `sources`: what the run built. */
  sources: Array<RunSource>;
  /** `stageTopo`: groups of stage indexes; a group runs in parallel, groups one after another. */
  stageTopo: Array<Array<string>>;
  /** `stages`, in order. */
  stages: Array<PipelineStage>;
  /** The whole answer, as received. */
  raw: unknown;
}

/** What cancelling a run did. */
export interface CancelOutcome {
  /** The server accepted the cancel. */
  canceled: boolean;
  /**
   * The run had already finished (the server answered `success: false`, and the run's status
   * is terminal): nothing was canceled, and nothing needed to be.
   */
  alreadyFinished: boolean;
  /** The run's status, when it was read (after an `already_finished`). */
  runStatus?: RunStatus | null;
  /** The cancel call's answer. */
  raw: unknown;
}

/** One page of a list answer. */
export interface Page {
  /** The items of this page. */
  items: Array<StageRun>;
  /** `total`: items in all pages (page-number mode). */
  total?: Id | null;
  /** `current`: this page's number (page-number mode). */
  current?: Id | null;
  /** `pages`: how many pages there are (page-number mode). */
  pages?: Id | null;
  /** `perPage` / `pageSize`: the page size the server used. */
  perPage?: Id | null;
  /** `nextToken`: the token of the next page (keyset mode); absent on the last. */
  nextToken?: string | null;
  /** The whole answer, as received. */
  raw: unknown;
}

/** A release workflow with its stages. */
export interface ReleaseWorkflow {
  /** `sn`: the workflow's serial number. */
  sn?: string | null;
  /** `name`: the name shown in the console. */
  name?: string | null;
  /** `appName`. */
  appName?: string | null;
  /** `note`. */
  note?: string | null;
  /** `order`. */
  order?: string | null;
  /** `type`: `CR` or `APP_RELEASE`. */
  workflowType?: string | null;
  /** `releaseStages`. */
  releaseStages: Array<ReleaseStage>;
  /** The workflow as received. */
  raw: unknown;
}

/** A release workflow's summary. */
export interface ReleaseWorkflowBrief {
  /** `sn`: the serial number the stage calls take. */
  sn?: string | null;
  /** `name`: the name shown in the console. */
  name?: string | null;
  /** `appName`. */
  appName?: string | null;
  /** `note`. */
  note?: string | null;
  /** `order`. */
  order?: string | null;
  /** `type`: `CR` or `APP_RELEASE`. */
  workflowType?: string | null;
}

/** A release stage's summary, in the union of its documented shapes. */
export interface ReleaseStageBrief {
  /** `sn` (help and one spec) else `releaseStageSn` (the other spec). */
  sn?: string | null;
  /** `name`: the name shown in the console. */
  name?: string | null;
  /** `releaseWorkflowSn`. */
  releaseWorkflowSn?: string | null;
  /** `appName`. */
  appName?: string | null;
  /** `order`. */
  order?: string | null;
  /** `processEngineType`: `FlowV1`, `FlowV2` or `FlowAny`. */
  processEngineType?: string | null;
  /** `processEngineSn`: the Flow pipeline's id. */
  processEngineSn?: string | null;
  /** `labels`. */
  labels: Array<Label>;
}

/** A release stage, with the whole answer. */
export interface ReleaseStageDetail {
  /** `sn` (else `releaseStageSn`): the stage's serial number. */
  sn?: string | null;
  /** `name`: the name shown in the console. */
  name?: string | null;
  /** `appName`. */
  appName?: string | null;
  /** `releaseWorkflowSn`. */
  releaseWorkflowSn?: string | null;
  /** `order`, e.g. `"1"`. */
  order?: string | null;
  /** `labels`. */
  labels: Array<Label>;
  /** `variableGroups`. */
  variableGroups: Array<VariableGroup>;
  /** `pipeline` (`engineType`, `engineSn`, `pipelineYaml`, …), as sent. */
  pipeline?: unknown;
  /** The whole answer, as received. */
  raw: unknown;
}

/** One page of a list answer. */
export interface Page2 {
  /** The items of this page. */
  items: Array<ChangeRequest>;
  /** `total`: items in all pages (page-number mode). */
  total?: Id | null;
  /** `current`: this page's number (page-number mode). */
  current?: Id | null;
  /** `pages`: how many pages there are (page-number mode). */
  pages?: Id | null;
  /** `perPage` / `pageSize`: the page size the server used. */
  perPage?: Id | null;
  /** `nextToken`: the token of the next page (keyset mode); absent on the last. */
  nextToken?: string | null;
  /** The whole answer, as received. */
  raw: unknown;
}

/**
 * The answer of a call that acts on a job (pass, refuse, retry, skip): `{"success": true}`, a
 * bare `true`, or an empty body, which the sources disagree on.
 */
export interface ActionOutcome {
  /** `success`, when the answer said (an empty body says nothing: it counts as accepted). */
  success?: boolean | null;
  /** The request id of the answer. */
  requestId?: string | null;
  /** The whole answer (`null` for an empty body). */
  raw: unknown;
}

/** A job's log. */
export interface JobLog {
  /** `content`: the log text. */
  content: string;
  /** `more` (one spec) or `hasMore` (the other): whether more is to come. */
  more: boolean;
  /** The whole answer, as received. */
  raw: unknown;
}

/** What a run integrated from one repository. */
export interface IntegratedMetadata {
  /** `releaseBranch`. */
  releaseBranch?: string | null;
  /** `releaseRevision`: the release branch's git revision. */
  releaseRevision?: string | null;
  /** `repoType`, e.g. `CODEUP`. */
  repoType?: string | null;
  /** `repoUrl`. */
  repoUrl?: string | null;
  /** `changeRequests`. */
  changeRequests: Array<IntegratedChangeRequest>;
}

/** A stage run's integration metadata. */
export interface ReleaseStageIntegratedMetadata {
  /** `releaseStageSn`. */
  releaseStageSn?: string | null;
  /** `releaseBranch`. */
  releaseBranch?: string | null;
  /** `releaseRevision`. */
  releaseRevision?: string | null;
  /** `repoUrl`. */
  repoUrl?: string | null;
  /** `repoType`. */
  repoType?: string | null;
  /** `runNumber`. */
  runNumber?: Id | null;
  /** `crDetailList`: the change requests, with their states. */
  changeRequests: Array<IntegratedChangeRequest>;
  /** The whole answer, as received. */
  raw: unknown;
}

/** How a wait ended, and the run as last seen. */
export interface RunOutcome {
  /** The run. */
  run: RunRef;
  /** How the wait ended. */
  state: WaitState;
  /** The run's last status seen. */
  status?: RunStatus | null;
  /** The failed jobs, with their ids (for a failed run). */
  failedJobs: Array<JobSummary>;
  /** The job waiting at a manual gate (for [`WaitState::WaitingForApproval`]). */
  gate?: JobSummary | null;
  /** Polls sent. */
  polls: number;
  /** How long the wait took. */
  elapsedMs: Id;
  /** The cancel sent because the wait was aborted with `cancel_on_abort`. */
  cancel?: CancelOutcome | null;
  /** The run as last seen. */
  last?: PipelineRun | null;
}

/** The answer of `execute_and_wait`. */
export interface ExecuteAndWaitResult {
  /** The execute call's answer. */
  execute: ExecuteReleaseStageResponseData;
  /** How the wait ended. */
  outcome: RunOutcome;
}

/** The answer of `follow_job_log`. */
export interface FollowJobLogResult {
  /** How many lines were emitted (as `log_line` events). */
  lines: number;
}

/** A release stage: app + workflow serial number + stage serial number. */
export interface StageRef {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
}

/** One run in a stage's list (`data[]`). */
export interface StageRun {
  /** `number`: the execution number the run calls take. */
  number?: Id | null;
  /** `state`. */
  state?: RunStatus | null;
  /** `triggerMode`. */
  triggerMode?: string | null;
  /** `startTime` (often `2024-01-01 00:00:00`, no zone). */
  startTime?: Timestamp | null;
  /** `endTime` (absent while running). */
  endTime?: Timestamp | null;
}

/** A progress event of a wait. */
export type RunEvent = {
  event: "run_status_changed";
  /** The new status. */
  status: RunStatus;
  /** The one before, if any was seen. */
  previous?: RunStatus | null;
} | {
  event: "stage_started";
  /** Its name. */
  stage: string;
} | {
  event: "stage_finished";
  /** Its name. */
  stage: string;
  /** How it ended. */
  status: RunStatus;
  /** How long it ran, when the answer had both times. */
  durationMs?: Id | null;
} | {
  event: "job_started";
  /** Its stage's name. */
  stage: string;
  /** Its id. */
  jobId?: Id | null;
  /** Its name. */
  job: string;
} | {
  event: "job_finished";
  /** Its stage's name. */
  stage: string;
  /** Its id. */
  jobId?: Id | null;
  /** Its name. */
  job: string;
  /** How it ended. */
  status: RunStatus;
  /** How long it ran, when the answer had both times. */
  durationMs?: Id | null;
} | {
  event: "waiting_for_approval";
  /** Its stage's name. */
  stage: string;
  /** The job id that pass/refuse take. */
  jobId?: Id | null;
  /** Its name. */
  job: string;
} | {
  event: "log_line";
  /** The job's id. */
  jobId: Id;
  /** Its name. */
  job: string;
  /** The line, without its newline. */
  line: string;
} | {
  event: "throttled";
  /** The pause before the next poll. */
  delayMs: Id;
};

/** An open set: other values may appear and are kept as sent. */
export type RunStatus = "SUCCESS" | "FAIL" | "FAILED" | "CANCELED" | "RUNNING" | "WAITING" | "INIT" | "SKIPPED" | (string & {});

/**
 * A time as the server sent it, with its instant when the text could be read.
 *
 * The sources send epoch milliseconds (numbers or numeric strings), ISO 8601 with an offset,
 * and `2024-01-01 00:00:00` with no zone; the last is read in
 * [`policy::DEFAULT_NAIVE_TIME_OFFSET_MINUTES`] (UTC+8, the zone of the Yunxiao service) unless
 * [`Timestamp::with_offset_minutes`] says otherwise.
 */
export interface Timestamp {
  /** The value as sent (a number written out). */
  text: string;
  /** Milliseconds since the Unix epoch, when the text could be read. */
  epochMillis?: Id | null;
  /** Whether the text carried no zone (the default offset was assumed). */
  zoneAssumed: boolean;
}

/** One input source of a run (`sources[]`). */
export interface RunSource {
  /** `type`, e.g. `CODEUP`. */
  sourceType?: string | null;
  /** `sign`: the source's identifier. */
  sign?: string | null;
  /** `data.repo`. */
  repo?: string | null;
  /** `data.branch`. */
  branch?: string | null;
  /** `data.commit`. */
  commit?: string | null;
}

/** One stage of a pipeline run (`stages[]`, flattened with its `stageInfo`). */
export interface PipelineStage {
  /** `name` (else `stageInfo.name`). */
  name?: string | null;
  /** `index`: its place in `stageTopo`, e.g. `Group0-Stage0`. */
  index?: string | null;
  /** `stageInfo.status`. */
  status?: RunStatus | null;
  /** `stageInfo.startTime`. */
  startTime?: Timestamp | null;
  /** `stageInfo.endTime`. */
  endTime?: Timestamp | null;
  /** `stageInfo.jobs`. */
  jobs: Array<Job>;
}

/** A release stage, in the union of its two documented shapes. */
export interface ReleaseStage {
  /** `sn` (else `releaseStageSn`): the stage's serial number. */
  sn?: string | null;
  /** `name`: the name shown in the console. */
  name?: string | null;
  /** `appName`. */
  appName?: string | null;
  /** `releaseWorkflowSn`. */
  releaseWorkflowSn?: string | null;
  /** `order`, e.g. `"1"`. */
  order?: string | null;
  /** `labels`. */
  labels: Array<Label>;
  /** `variableGroups`. */
  variableGroups: Array<VariableGroup>;
  /** `pipeline` (`engineType`, `engineSn`, `pipelineYaml`, …), as sent. */
  pipeline?: unknown;
}

/** A label, in either documented shape (`{key, value}` or `{name, value, namespace, …}`). */
export interface Label {
  /** `name` (else `key`). */
  name?: string | null;
  /** `value`. */
  value?: string | null;
  /** `namespace`, e.g. `default`. */
  namespace?: string | null;
  /** `displayName`. */
  displayName?: string | null;
  /** `displayValue`. */
  displayValue?: string | null;
}

/** A variable group of a stage. */
export interface VariableGroup {
  /** `name`, e.g. `dev`. */
  name?: string | null;
  /** `displayName`. */
  displayName?: string | null;
  /** `type`: `GLOBAL`, `TEMPLATE` or `APP`. */
  groupType?: string | null;
}

/** A change request (`records[]`). */
export interface ChangeRequest {
  /** `sn`: what `releaseBranchRepoInfo.featureBranchs[].changeRequestSn` takes. */
  sn?: string | null;
  /** `name`. */
  name?: string | null;
  /** `appName`. */
  appName?: string | null;
  /** `type`, e.g. `APP`. */
  changeType?: string | null;
  /** `state`. */
  state?: ChangeRequestState | null;
  /** `branch`: the change's branch. */
  branch?: string | null;
  /** `originBranch`: the branch it was cut from. */
  originBranch?: string | null;
  /** `originBranchRevision`. */
  originBranchRevision?: string | null;
  /** `ownerId`. */
  ownerId?: string | null;
  /** `creatorId`. */
  creatorId?: string | null;
  /** `gmtCreate`. */
  gmtCreate?: Timestamp | null;
  /** `gmtModified`. */
  gmtModified?: Timestamp | null;
  /** `appCodeRepoSn`. */
  appCodeRepoSn?: string | null;
  /** `appCodeRepo.repoUrl` (else `appCodeRepo.repoContext.repoUrl`). */
  repoUrl?: string | null;
  /** The record as received. */
  raw: unknown;
}

/** A change request a run integrated. */
export interface IntegratedChangeRequest {
  /** `sn`. */
  sn?: string | null;
  /** `name`. */
  name?: string | null;
  /** `branchName`. */
  branchName?: string | null;
  /** `commitId`. */
  commitId?: string | null;
  /** `ownerId`. */
  ownerId?: string | null;
  /** `ownerAccountId`. */
  ownerAccountId?: string | null;
  /** `state` (only in the stage-level call). */
  state?: string | null;
  /**
   * `branchState`: `DELETED`, `NEW_COMMIT`, `UNKNOWN` or `LATEST` (only in the stage-level
   * call).
   */
  branchState?: string | null;
}

/**
 * One run of a release stage: the stage and its execution number.
 *
 * The execution number is the `pipelineRunId` that ExecuteChangeRequestReleaseStage answers
 * (else its `object`), as the help center says; the specs call it the stage's "execution
 * record number", which is `number` in ListAppReleaseStageRuns. One type serves all three.
 */
export interface RunRef {
  /**
   * The organization id; when absent, the client's (`YUNXIAO_ORGANIZATION_ID`). Ignored by
   * the region edition.
   */
  organizationId?: string | null;
  /** The application name, e.g. `my-web-service`. */
  appName: string;
  /** The release workflow's serial number. */
  releaseWorkflowSn: string;
  /** The release stage's serial number. */
  releaseStageSn: string;
  /** The execution number. */
  executionNumber: Id;
}

/** How a wait ended. */
export type WaitState = "succeeded" | "failed" | "canceled" | "waiting_for_approval" | "deadline_exceeded" | "aborted";

/** A job named in an outcome. */
export interface JobSummary {
  /** Its stage's name. */
  stage?: string | null;
  /** Its id. */
  jobId?: Id | null;
  /** Its name. */
  job?: string | null;
  /** Its status. */
  status?: RunStatus | null;
}

/** The answer to a successful execute call. */
export interface ExecuteReleaseStageResponseData {
  /** `object`: the run number in older answers, `1` in the current documentation. */
  object?: Id | null;
  /** `pipelineId`: the pipeline the stage ran. */
  pipelineId?: Id | null;
  /** `pipelineRunId`: the execution number the follow-up calls take. */
  pipelineRunId?: Id | null;
  /** `requestId` from the body, else the `x-acs-request-id` / `x-request-id` header. */
  requestId?: string | null;
  /** The HTTP status of the answer (200), not the run's status. */
  httpStatus: number;
  /** The whole JSON body, as received. */
  raw: unknown;
}

/** One job of a stage (`stageInfo.jobs[]`). */
export interface Job {
  /** `id`: what pass, refuse, retry, skip and the job log take as `jobId`. */
  id?: Id | null;
  /** `name`. */
  name?: string | null;
  /** `jobSign`, e.g. `job-1`. */
  jobSign?: string | null;
  /** `status`. */
  status?: RunStatus | null;
  /** `startTime`. */
  startTime?: Timestamp | null;
  /** `endTime`. */
  endTime?: Timestamp | null;
  /** `params`: JSON text, parsed when valid. */
  params?: unknown;
  /** `result`: JSON text, parsed when valid. */
  result?: unknown;
  /** `actions`: what can be done on the job now (e.g. `PassPipelineValidate`). */
  actions: Array<JobAction>;
}

/** An open set: other values may appear and are kept as sent. */
export type ChangeRequestState = "DEVELOPING" | "INTEGRATING" | "RELEASED" | "CLOSED" | "INIT" | (string & {});

/** One action of a job (`actions[]`). */
export interface JobAction {
  /** `type`, e.g. `PassPipelineValidate`. */
  actionType?: string | null;
  /** `disable`: whether the action is disabled now. */
  disable?: boolean | null;
  /** `params`: JSON text (or an object), parsed when valid. */
  params?: unknown;
}

/** The progress events of the lifecycle helpers, tagged by `event`. */
export type Event = RunEvent;

/** Every call of the catalog, as methods of `Client`. */
export interface Client {
  /** Get one run of a release stage: its status, stages and jobs. (GetReleaseStagePipelineRun, read-only) */
  getReleaseStagePipelineRun(args: GetReleaseStagePipelineRunArgs & CallOptions): Promise<GetReleaseStagePipelineRunResult>;
  /** Cancel a run of a release stage (harmless to repeat). (CancelExecutionReleaseStage, idempotent) */
  cancelReleaseStageExecution(args: CancelReleaseStageExecutionArgs & CallOptions): Promise<CancelReleaseStageExecutionResult>;
  /** List a release stage's runs, newest first by default, a page at a time. (ListAppReleaseStageRuns, read-only) */
  listReleaseStageRuns(args: ListReleaseStageRunsArgs & CallOptions): Promise<ListReleaseStageRunsResult>;
  /** Every item of every page of listReleaseStageRuns, fetching pages as they are needed. (ListAppReleaseStageRuns, read-only) */
  iterReleaseStageRuns(args: ListReleaseStageRunsArgs & CallOptions): AsyncGenerator<ListReleaseStageRunsResult['items'][number], void, undefined>;
  /** List an app's release workflows, each with its stages. (ListAllReleaseWorkflows, read-only) */
  listReleaseWorkflows(args: ListReleaseWorkflowsArgs & CallOptions): Promise<ListReleaseWorkflowsResult>;
  /** List an app's release workflows: serial numbers and names. (ListAllReleaseWorkflowBriefs, read-only) */
  listReleaseWorkflowBriefs(args: ListReleaseWorkflowBriefsArgs & CallOptions): Promise<ListReleaseWorkflowBriefsResult>;
  /** List a release workflow's stages: serial numbers and names. (ListAllReleaseStageBriefs, read-only) */
  listReleaseStageBriefs(args: ListReleaseStageBriefsArgs & CallOptions): Promise<ListReleaseStageBriefsResult>;
  /** Get one release stage: name, order, labels, variable groups, pipeline. (GetReleaseWorkflowStage, read-only) */
  getReleaseStage(args: GetReleaseStageArgs & CallOptions): Promise<GetReleaseStageResult>;
  /** Search an app's change requests by state, owner and name, a page at a time. (ListAppChangeRequests, read-only) */
  searchChangeRequests(args: SearchChangeRequestsArgs & CallOptions): Promise<SearchChangeRequestsResult>;
  /** Approve the manual gate at a job of a run (PassReleaseStagePipelineValidate, mutating) */
  passPipelineValidate(args: PassPipelineValidateArgs & CallOptions): Promise<PassPipelineValidateResult>;
  /** Reject the manual gate at a job of a run (RefuseReleaseStagePipelineValidate, mutating) */
  refusePipelineValidate(args: RefusePipelineValidateArgs & CallOptions): Promise<RefusePipelineValidateResult>;
  /** Run a failed job of a run again (RetryChangeRequestStagePipeline, mutating) */
  retryPipelineJob(args: RetryPipelineJobArgs & CallOptions): Promise<RetryPipelineJobResult>;
  /** Skip a job of a run and go on with the next (SkipChangeRequestStagePipeline, mutating) */
  skipPipelineJob(args: SkipPipelineJobArgs & CallOptions): Promise<SkipPipelineJobResult>;
  /** Get the log of a job of a run. (GetAppReleaseStageExecutionPipelineJobLog, read-only) */
  getPipelineJobLog(args: GetPipelineJobLogArgs & CallOptions): Promise<GetPipelineJobLogResult>;
  /** List what a run integrated: release branches and change requests. (ListAppReleaseStageExecutionIntegratedMetadata, read-only) */
  listIntegratedMetadata(args: ListIntegratedMetadataArgs & CallOptions): Promise<ListIntegratedMetadataResult>;
  /** Get the integration metadata of a stage's newest run, or of run build_num. (ListReleaseStageFlowChangeRequests, read-only) */
  findReleaseIntegratedMetadata(args: FindReleaseIntegratedMetadataArgs & CallOptions): Promise<FindReleaseIntegratedMetadataResult>;
  /** Wait for a run to end, sending progress events; a failed run is an outcome, not an error. */
  waitForRun(args: WaitForRunArgs & EventOptions): Promise<WaitForRunResult>;
  /** The events of a run as an async iterator, ending when the run does (the iterator's return value is the RunOutcome). Leaving the loop stops the wait, never the run. */
  watchRun(args: WaitForRunArgs & CallOptions): AsyncGenerator<RunEvent, WaitForRunResult, undefined>;
  /** Start a run and wait for it. */
  executeAndWait(args: ExecuteAndWaitArgs & EventOptions): Promise<ExecuteAndWaitResult>;
  /** Follow a job's log until it is complete, each line once (as log_line events). */
  followJobLog(args: FollowJobLogArgs & EventOptions): Promise<FollowJobLogResult>;
  /** Find a release workflow by its console name. */
  findReleaseWorkflow(args: FindReleaseWorkflowArgs & CallOptions): Promise<FindReleaseWorkflowResult>;
  /** Find a release stage by workflow and stage names. */
  findReleaseStage(args: FindReleaseStageArgs & CallOptions): Promise<FindReleaseStageResult>;
  /** The runs of a stage that started since an instant: did an ambiguous execute start one? */
  findRunsStartedSince(args: FindRunsStartedSinceArgs & CallOptions): Promise<FindRunsStartedSinceResult>;
  /** The number of a stage's newest run, if any. */
  newestRunNumber(args: NewestRunNumberArgs & CallOptions): Promise<NewestRunNumberResult>;
}
