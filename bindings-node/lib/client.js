'use strict';

// The public Client: argument types checked in ./args, everything else done by the core through
// the native addon. Calls run on the addon's tokio runtime, so the event loop never waits on the
// network; a pending call holds the process open only until it settles.

const { inspect } = require('node:util');
const native = require('../native.js');
const args = require('./args.js');
const { AbortError, fromNative } = require('./errors.js');

/**
 * @typedef {import('../native').ExecuteReleaseStageResponse} ExecuteReleaseStageResponse
 * @typedef {import('../native').ResolvedConfig} ResolvedConfig
 * @typedef {import('../native').NativeError} NativeError
 */

/**
 * The response as a plain object with every field present (absent ones `undefined`), in a
 * fixed order, so that logging and `assert.deepEqual` see a stable shape.
 * @param {ExecuteReleaseStageResponse} response
 * @returns {ExecuteReleaseStageResponse}
 */
function shapeResponse(response) {
  return {
    runId: response.runId ?? undefined,
    object: response.object ?? undefined,
    pipelineId: response.pipelineId ?? undefined,
    pipelineRunId: response.pipelineRunId ?? undefined,
    requestId: response.requestId ?? undefined,
    httpStatus: response.httpStatus,
    raw: response.raw,
  };
}

/**
 * Throws the error for a native error record. Its stack starts at the public method that
 * called this (plus V8's `async` frames of the caller), without this file's helper frames.
 * @param {NativeError} record
 * @returns {never}
 */
function raise(record) {
  const error = fromNative(record);
  Error.captureStackTrace(error, raise);
  throw error;
}

/**
 * A client of the Yunxiao AppStack OpenAPI. Options left out are read from the environment
 * (`YUNXIAO_ACCESS_TOKEN`, `YUNXIAO_API_BASE_URL`, …) and then from the core's defaults.
 * One client holds one connection pool: create it once and share it.
 */
class Client {
  /** @type {import('../native').NativeClient} */
  #native;

  /**
   * @param {import('../index').ClientOptions} [options]
   * @throws {TypeError} an option has the wrong type
   * @throws {import('./errors.js').ConfigurationError} the core refused the settings (no token, bad URL…)
   */
  constructor(options) {
    const made = native.createClient(args.clientOptions(options));
    if (!(made instanceof native.NativeClient)) raise(made);
    this.#native = made;
  }

  /**
   * The resolved settings (never the token).
   * @returns {ResolvedConfig}
   */
  get config() {
    const c = this.#native.config();
    return Object.freeze({
      baseUrl: c.baseUrl,
      edition: c.edition,
      organizationId: c.organizationId ?? undefined,
      timeoutMs: c.timeoutMs,
      connectTimeoutMs: c.connectTimeoutMs,
      maxRetries: c.maxRetries,
      maxResponseBytes: c.maxResponseBytes,
      userAgent: c.userAgent,
    });
  }

  /**
   * Starts one run of a release stage (ExecuteChangeRequestReleaseStage). Sent once, and again
   * only when the server certainly did not act on the attempt. Rejects with a `YunxiaoError`
   * subclass (check `mayHaveExecuted` before retrying yourself), a `TypeError` for a wrong
   * argument type, or an `AbortError` when `signal` fires first.
   * @param {import('../index').ExecuteReleaseStageRequest} request
   * @returns {Promise<ExecuteReleaseStageResponse>}
   */
  async executeReleaseStage(request) {
    const { request: nativeRequest, signal } = args.requestArgs(request);
    if (signal === undefined) {
      const outcome = await this.#native.execute(nativeRequest);
      if (outcome.error) raise(outcome.error);
      return shapeResponse(/** @type {ExecuteReleaseStageResponse} */ (outcome.response));
    }
    if (signal.aborted) {
      throw new AbortError(undefined, { cause: signal.reason, mayHaveExecuted: false });
    }
    const handle = new native.AbortHandle();
    const onAbort = () => handle.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await this.#native.execute(nativeRequest, handle);
      if (outcome.aborted) {
        throw new AbortError(undefined, { cause: signal.reason, mayHaveExecuted: true });
      }
      if (outcome.error) raise(outcome.error);
      return shapeResponse(/** @type {ExecuteReleaseStageResponse} */ (outcome.response));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * What `console.log(client)` and `util.inspect(client)` show: the resolved settings, never
   * the token.
   * @param {number} depth
   * @param {import('node:util').InspectOptionsStylized} options
   * @param {typeof inspect} [inspectFn]
   * @returns {string}
   */
  [inspect.custom](depth, options, inspectFn = inspect) {
    if (depth < 0) return options.stylize('[Client]', 'special');
    return `Client ${inspectFn(this.config, { ...options, depth: options.depth == null ? null : options.depth - 1 })}`;
  }

  /** @returns {string} */
  get [Symbol.toStringTag]() {
    return 'Client';
  }
}

/**
 * One call with a client configured from the environment (and `clientOptions`, if given). For
 * several calls, create one `Client` and reuse it: it keeps connections open.
 * @param {import('../index').ExecuteReleaseStageRequest} request
 * @param {import('../index').ClientOptions} [clientOptions]
 * @returns {Promise<ExecuteReleaseStageResponse>}
 */
async function executeReleaseStage(request, clientOptions) {
  // Types first, so a wrong request is a TypeError even when the environment has no token.
  args.requestArgs(request);
  return new Client(clientOptions).executeReleaseStage(request);
}

module.exports = { Client, executeReleaseStage };
