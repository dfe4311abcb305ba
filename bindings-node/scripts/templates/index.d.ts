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
