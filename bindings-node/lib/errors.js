'use strict';

// The error classes of the package. Each class stands for one or more of the core's stable
// error kinds (core/src/error.rs, `ErrorKind::as_str`); the kind code is every error's `code`,
// and the core decides it and `mayHaveExecuted` — this file only maps kinds to classes.

const { KINDS } = require('./catalog.js');

/**
 * @typedef {import('../native').NativeError} NativeError
 */

/**
 * Fields every error of this package carries, as a constructor argument.
 * @typedef {object} ErrorFields
 * @property {string} [code]
 * @property {boolean} [mayHaveExecuted]
 * @property {number} [status]
 * @property {string} [requestId]
 * @property {string} [errorCode]
 * @property {string} [errorMessage]
 * @property {string} [traceId]
 * @property {string} [body]
 * @property {number} [retryAfter]
 * @property {string} [timeoutPhase]
 * @property {number} [timeoutMs]
 * @property {number} [limitBytes]
 * @property {boolean} [deadline]
 * @property {string} [certificateProblem]
 * @property {string} [operation]
 * @property {string} [effect]
 * @property {string} [action]
 * @property {number} [startedAtMs]
 * @property {unknown} [cause]
 */

/**
 * Sets the class name on the prototype (not on instances), so that stacks read
 * `RateLimitError: …` and `util.inspect` does not list `name` as a field.
 * @param {Function} cls
 * @param {string} name
 */
function nameClass(cls, name) {
  Object.defineProperty(cls.prototype, 'name', {
    value: name,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

/** The base class of every error this package raises on purpose, except `AbortError`. */
class YunxiaoError extends Error {
  /**
   * @param {string} message
   * @param {ErrorFields} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    /** The core's stable error kind code, e.g. `rate_limited`. */
    this.code = fields.code ?? /** @type {typeof YunxiaoError} */ (new.target).defaultCode;
    /**
     * Whether the release stage may have started despite the error. When true, check the
     * stage's runs before retrying: executing a stage is not idempotent.
     */
    this.mayHaveExecuted = fields.mayHaveExecuted ?? false;
    /** The HTTP status of the answer, when there was one. */
    this.status = fields.status;
    /** The request id of the answer, when there was one. */
    this.requestId = fields.requestId;
    /** The OpenAPI name of the call, once it was sent. */
    this.operation = fields.operation;
    /** Its effect: `read_only`, `idempotent` or `mutating`. */
    this.effect = fields.effect;
    /** What the call was doing, in words. */
    this.action = fields.action;
    /** When its first attempt was sent, in milliseconds since the Unix epoch. */
    this.startedAtMs = fields.startedAtMs;
  }

  /** The kind code used when a constructor is not given one. */
  static get defaultCode() {
    return 'unknown';
  }
}
nameClass(YunxiaoError, 'YunxiaoError');

/** The server answered with a non-2xx status (a status without a class of its own). */
class APIStatusError extends YunxiaoError {
  /**
   * @param {string} message
   * @param {ErrorFields} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields);
    /** @type {number} The HTTP status. */
    this.status = fields.status ?? 0;
    /** `errorCode` from the answer's body, e.g. `InvalidTokenError`. */
    this.errorCode = fields.errorCode;
    /** `errorMessage` from the answer's body, as sent. */
    this.errorMessage = fields.errorMessage;
    /** `traceId` from the answer's body. */
    this.traceId = fields.traceId;
    /** The server's `Retry-After`, in seconds, when it sent one. */
    this.retryAfter = fields.retryAfter;
    /** The answer's body, cut to a few KiB, with the token scrubbed out. */
    this.body = fields.body ?? '';
  }

  static get defaultCode() {
    return 'api_status';
  }
}
nameClass(APIStatusError, 'APIStatusError');

/** HTTP 400: the server refused the request. Nothing was started. */
class BadRequestError extends APIStatusError {
  static get defaultCode() {
    return 'bad_request';
  }
}
nameClass(BadRequestError, 'BadRequestError');

/** HTTP 401: the token is missing, expired or invalid. Nothing was started. */
class AuthenticationError extends APIStatusError {
  static get defaultCode() {
    return 'authentication';
  }
}
nameClass(AuthenticationError, 'AuthenticationError');

/** HTTP 403: the token may not run this stage. Nothing was started. */
class PermissionDeniedError extends APIStatusError {
  static get defaultCode() {
    return 'permission_denied';
  }
}
nameClass(PermissionDeniedError, 'PermissionDeniedError');

/** HTTP 404: no such organization, app, workflow or stage. Nothing was started. */
class NotFoundError extends APIStatusError {
  static get defaultCode() {
    return 'not_found';
  }
}
nameClass(NotFoundError, 'NotFoundError');

/** HTTP 429, after the client's own retries ran out. Nothing was started. */
class RateLimitError extends APIStatusError {
  static get defaultCode() {
    return 'rate_limited';
  }
}
nameClass(RateLimitError, 'RateLimitError');

/** HTTP 500 and above. The stage may have started, unless the server sent `Retry-After` with a 503. */
class InternalServerError extends APIStatusError {
  static get defaultCode() {
    return 'server';
  }
}
nameClass(InternalServerError, 'InternalServerError');

/** No complete answer: the connection could not be opened, or broke after the request was sent. */
class APIConnectionError extends YunxiaoError {
  /**
   * @param {string} message
   * @param {ErrorFields} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields);
    /** When the server's certificate was refused: why (e.g. `unknown_issuer`). */
    this.certificateProblem = fields.certificateProblem;
  }

  static get defaultCode() {
    return 'connection';
  }
}
nameClass(APIConnectionError, 'APIConnectionError');

/** An attempt ran out of time (`timeoutPhase` says while doing what). */
class APITimeoutError extends APIConnectionError {
  /**
   * @param {string} message
   * @param {ErrorFields} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields);
    /** `connect` (nothing was sent), `response` or `body`. */
    this.timeoutPhase = fields.timeoutPhase;
    /** The limit that was reached, in milliseconds. */
    this.timeoutMs = fields.timeoutMs;
    /** Whether that limit was the call's whole `deadlineMs`. */
    this.deadline = fields.deadline;
  }

  static get defaultCode() {
    return 'timeout';
  }
}
nameClass(APITimeoutError, 'APITimeoutError');

/** The request was refused before anything was sent (an empty id, conflicting parameters…). */
class InvalidRequestError extends YunxiaoError {
  static get defaultCode() {
    return 'invalid_request';
  }
}
nameClass(InvalidRequestError, 'InvalidRequestError');

/** The client could not be configured (no token, a bad base URL, a bad environment value…). */
class ConfigurationError extends YunxiaoError {
  static get defaultCode() {
    return 'configuration';
  }
}
nameClass(ConfigurationError, 'ConfigurationError');

/** A 2xx answer that is not the JSON object this call returns. The stage has most likely started. */
class ResponseDecodeError extends YunxiaoError {
  /**
   * @param {string} message
   * @param {ErrorFields} [fields]
   */
  constructor(message, fields = {}) {
    super(message, fields);
    /** For `response_too_large`: the size cap that was exceeded, in bytes. */
    this.limitBytes = fields.limitBytes;
  }

  static get defaultCode() {
    return 'decode';
  }
}
nameClass(ResponseDecodeError, 'ResponseDecodeError');

/** A 2xx answer larger than `maxResponseBytes` (as in Python, a kind of `ResponseDecodeError`). */
class ResponseTooLargeError extends ResponseDecodeError {
  static get defaultCode() {
    return 'response_too_large';
  }
}
nameClass(ResponseTooLargeError, 'ResponseTooLargeError');

/**
 * The call was aborted through its `signal`. Compatible with Node's own abort errors: `name` is
 * `'AbortError'`, `code` is `'ABORT_ERR'` and `cause` is the signal's `reason`.
 */
class AbortError extends Error {
  /**
   * @param {string} [message]
   * @param {{ cause?: unknown, mayHaveExecuted?: boolean, result?: unknown }} [options]
   */
  constructor(message = 'The operation was aborted', options = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    /** Node's code for abort errors. */
    this.code = 'ABORT_ERR';
    /**
     * False when the signal had fired before the call began (nothing was sent); true when it
     * fired while the request was in flight, since the server may have received it.
     */
    this.mayHaveExecuted = options.mayHaveExecuted ?? false;
    /** For an aborted wait: what it had seen (a RunOutcome with `state` `aborted`). */
    this.result = options.result;
  }
}
nameClass(AbortError, 'AbortError');

/** The hand-written classes, by name (the ones with fields of their own, and their bases). */
/** @type {Record<string, typeof YunxiaoError>} */
const CLASSES = {
  YunxiaoError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APITimeoutError,
  InvalidRequestError,
  ConfigurationError,
  ResponseDecodeError,
  ResponseTooLargeError,
};

// The kind → class table comes from the catalog (lib/catalog.js, generated): a kind without a
// hand-written class gets a plain subclass of the class the table names as its parent.
for (const kind of KINDS) {
  if (Object.hasOwn(CLASSES, kind.className)) continue;
  const Parent = CLASSES[kind.parent] ?? YunxiaoError;
  const Cls = class extends Parent {
    static get defaultCode() {
      return kind.code;
    }
  };
  nameClass(Cls, kind.className);
  CLASSES[kind.className] = Cls;
}

/**
 * The class for each of the core's error kind codes.
 * @type {Readonly<Record<string, typeof YunxiaoError>>}
 */
const CLASS_BY_KIND = Object.freeze(Object.fromEntries(KINDS.map((k) => [k.code, CLASSES[k.className]])));

/**
 * Builds the error for a record from the native side. A kind this file does not know (from a
 * newer core) still becomes a `YunxiaoError` with the core's code.
 * @param {NativeError} record
 * @returns {YunxiaoError}
 */
function fromNative(record) {
  const Cls = Object.hasOwn(CLASS_BY_KIND, record.kind) ? CLASS_BY_KIND[record.kind] : YunxiaoError;
  /** @type {ErrorFields} */
  const fields = {
    code: record.kind,
    mayHaveExecuted: record.mayHaveExecuted,
    status: record.status ?? undefined,
    requestId: record.requestId ?? undefined,
  };
  if (Cls.prototype instanceof APIStatusError || Cls === APIStatusError) {
    fields.errorCode = record.errorCode ?? undefined;
    fields.errorMessage = record.errorMessage ?? undefined;
    fields.traceId = record.traceId ?? undefined;
    fields.retryAfter = record.retryAfter ?? undefined;
    fields.body = record.body ?? '';
  } else if (Cls === APITimeoutError || Cls.prototype instanceof APITimeoutError) {
    fields.timeoutPhase = record.timeoutPhase ?? undefined;
    fields.timeoutMs = record.timeoutMs ?? undefined;
    fields.deadline = record.deadline ?? undefined;
  } else if (Cls === ResponseDecodeError || Cls.prototype instanceof ResponseDecodeError) {
    fields.limitBytes = record.limitBytes ?? undefined;
  }
  if (Cls === APIConnectionError || Cls.prototype instanceof APIConnectionError) {
    fields.certificateProblem = record.certificateProblem ?? undefined;
  }
  fields.operation = record.operation ?? undefined;
  fields.effect = record.effect ?? undefined;
  fields.action = record.action ?? undefined;
  fields.startedAtMs = record.startedAtMs ?? undefined;
  return new Cls(record.message, fields);
}

module.exports = {
  ...CLASSES,
  AbortError,
  CLASS_BY_KIND,
  fromNative,
};
