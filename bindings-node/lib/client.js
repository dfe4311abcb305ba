'use strict';

// The public Client: argument types checked in ./args, everything else done by the core through
// the native addon. Calls run on the addon's tokio runtime, so the event loop never waits on the
// network; a pending call holds the process open only until it settles.

const { inspect } = require('node:util');
const native = require('../native.js');
const args = require('./args.js');
const { AbortError, fromNative } = require('./errors.js');
const { CALLS } = require('./catalog.js');

/** The generic entry, a private method of every Client. */
const CALL = Symbol('call');
const ITEMS = Symbol('items');
const WATCH = Symbol('watch');

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
      caBundle: c.caBundle ?? undefined,
      proxy: c.proxy,
      deadlineMs: c.deadlineMs ?? undefined,
      maxRps: c.maxRps ?? undefined,
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
   * Runs the operation or helper `name` through the core's bridge. The arguments go to the
   * core as they are (it names any that is unknown, missing or of the wrong type, in this
   * spelling); only `signal`, and `onEvent` for the helpers that report progress, are the
   * wrapper's.
   * @param {string} name the bridge name (OpenAPI name or helper name)
   * @param {unknown} input the caller's argument object
   * @param {boolean} events whether the call reports progress events
   * @returns {Promise<any>}
   */
  async [CALL](name, input, events) {
    const { rest, signal, onEvent } = args.callOptions(input, events);
    const argsJson = args.bridgeJson(rest);
    if (signal?.aborted) {
      throw new AbortError(undefined, { cause: signal.reason, mayHaveExecuted: false });
    }
    const handle = signal || onEvent ? new native.AbortHandle() : undefined;
    const onAbort = () => handle?.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let received = 0;
    /** @type {unknown} */
    let thrown;
    let thrownSet = false;
    /** @type {(() => void) | undefined} */
    let caughtUp;
    /** @param {unknown} event */
    const deliver = (event) => {
      received += 1;
      if (!thrownSet && onEvent) {
        try {
          onEvent(event);
        } catch (error) {
          // A throwing callback stops the wait (never the run) and rejects the call with it.
          thrown = error;
          thrownSet = true;
          handle?.abort();
        }
      }
      caughtUp?.();
    };
    try {
      const outcome = await this.#native.call(name, argsJson, onEvent ? deliver : undefined, handle);
      // Every event comes before the result: wait for the ones still on their way.
      if (received < outcome.events) {
        await new Promise((resolve) => {
          caughtUp = () => {
            if (received >= outcome.events) resolve(undefined);
          };
        });
      }
      if (thrownSet) throw thrown;
      if (outcome.aborted && signal?.aborted) {
        throw new AbortError(undefined, { cause: signal.reason, mayHaveExecuted: true, result: outcome.value });
      }
      if (outcome.error) raise(outcome.error);
      return outcome.value;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Every item of every page of a list call: each page's `nextArgs` are the next call's.
   * @param {string} name
   * @param {unknown} input
   * @returns {AsyncGenerator<unknown, void, undefined>}
   */
  async *[ITEMS](name, input) {
    const signal = args.isPlainObject(input) ? input.signal : undefined;
    /** @type {unknown} */
    let next = input;
    while (next != null) {
      const page = await this[CALL](name, next, false);
      yield* page.items;
      next = page.nextArgs == null ? null : { ...page.nextArgs, signal };
    }
  }

  /**
   * The events of a wait as an async iterator; its return value is the wait's result. Leaving
   * the loop early aborts the wait (the run goes on, unless `cancelOnAbort`).
   * @param {string} name
   * @param {unknown} input
   * @returns {AsyncGenerator<unknown, unknown, undefined>}
   */
  async *[WATCH](name, input) {
    const { rest, signal } = args.callOptions(input, false);
    const stop = new AbortController();
    const forward = () => stop.abort(signal?.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward, { once: true });
    /** @type {unknown[]} */
    const queue = [];
    /** @type {(() => void) | undefined} */
    let wake;
    let settled = false;
    /** @param {unknown} event */
    const onEvent = (event) => {
      queue.push(event);
      wake?.();
    };
    // A non-object goes to the core as it is, which says what is wrong with it.
    const payload = args.isPlainObject(rest) ? { ...rest, signal: stop.signal, onEvent } : rest;
    const call = this[CALL](name, payload, true).finally(() => {
      settled = true;
      wake?.();
    });
    // Handled below; this keeps an early `return()` from leaving a rejection unobserved.
    call.catch(() => {});
    try {
      for (;;) {
        if (queue.length > 0) {
          yield queue.shift();
          continue;
        }
        if (settled) return await call;
        await new Promise((resolve) => {
          wake = () => resolve(undefined);
        });
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', forward);
      if (!settled) {
        stop.abort();
        await call.catch(() => {});
      }
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

// Every call of the catalog as a method (the table is generated from core/catalog.json).
for (const [method, name, kind] of CALLS) {
  /** @type {(this: Client, input: unknown) => unknown} */
  let fn;
  switch (kind) {
    case 'items':
      fn = function (input) {
        return this[ITEMS](name, input);
      };
      break;
    case 'watch':
      fn = function (input) {
        return this[WATCH](name, input);
      };
      break;
    default: {
      const events = kind === 'events';
      fn = function (input) {
        return this[CALL](name, input, events);
      };
    }
  }
  Object.defineProperty(fn, 'name', { value: method });
  Object.defineProperty(Client.prototype, method, { value: fn, writable: true, configurable: true, enumerable: false });
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
