'use strict';

// Argument *type* checks and conversion into what the native side takes. Values are never
// judged here (empty ids, timeouts out of range, conflicting parameters…): that is the core's
// job, and its errors come back as InvalidRequestError / ConfigurationError. A wrong type is a
// TypeError naming the field, with Node's `ERR_INVALID_ARG_TYPE` code; it never quotes the value,
// which might be the token.

/**
 * @typedef {import('../native').ClientOptions} NativeClientOptions
 * @typedef {import('../native').NativeRequest} NativeRequest
 * @typedef {import('../native').NativePair} NativePair
 */

/** Keys a caller may give to `new Client()`; anything else is refused (a typo must not be ignored). */
const CLIENT_KEYS = new Set([
  'token',
  'baseUrl',
  'edition',
  'organizationId',
  'timeoutMs',
  'connectTimeoutMs',
  'maxRetries',
  'maxResponseBytes',
  'allowInsecureHttp',
  'caBundle',
  'proxy',
  'deadlineMs',
  'maxRps',
  'env',
]);

/** Keys a caller may give to `executeReleaseStage()`. */
const REQUEST_KEYS = new Set([
  'appName',
  'releaseWorkflowSn',
  'releaseStageSn',
  'organizationId',
  'comment',
  'variables',
  'branches',
  'releaseBranchRepoInfo',
  'params',
  'signal',
]);

/** Largest and smallest integers the core's JSON keeps exactly (u64 and i64). */
const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);

/**
 * A short description of a value's type for messages — never the value itself.
 * @param {unknown} value
 * @returns {string}
 */
function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' || typeof value === 'function') {
    const name = typeof value === 'function' ? 'function' : value.constructor?.name;
    return name && name !== 'Object' ? `an instance of ${name}` : `type ${typeof value}`;
  }
  return `type ${typeof value}`;
}

/**
 * A TypeError in Node's style: `The "appName" option must be of type string. Received type number`.
 * @param {string} field
 * @param {string} expected
 * @param {unknown} value
 * @returns {TypeError & { code: string }}
 */
function typeError(field, expected, value) {
  const error = /** @type {TypeError & { code: string }} */ (
    new TypeError(`The "${field}" option must be ${expected}. Received ${describe(value)}`)
  );
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

/**
 * Whether `value` is a plain object (`{}` or `Object.create(null)`).
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isPlainObject(value) {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Refuses keys that are not options, naming them.
 * @param {Record<string, unknown>} object
 * @param {Set<string>} known
 * @param {string} what
 */
function checkKeys(object, known, what) {
  const unknown = Object.keys(object).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    const error = /** @type {TypeError & { code: string }} */ (
      new TypeError(
        `Unknown ${what} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected one of ${[...known].join(', ')}`,
      )
    );
    error.code = 'ERR_INVALID_ARG_VALUE';
    throw error;
  }
}

/**
 * A string the native side can carry unchanged: a lone UTF-16 surrogate has no UTF-8 form and
 * would be replaced silently, so it is refused as a wrong type.
 * @param {string} field
 * @param {unknown} value
 * @returns {string}
 */
function string(field, value) {
  if (typeof value !== 'string') throw typeError(field, 'of type string', value);
  if (!value.isWellFormed()) throw typeError(field, 'a well-formed string (no lone surrogates)', value);
  return value;
}

/**
 * An optional string: `undefined` and `null` mean "not given".
 * @param {string} field
 * @param {unknown} value
 * @returns {string | undefined}
 */
function optionalString(field, value) {
  return value == null ? undefined : string(field, value);
}

/**
 * An optional finite number.
 * @param {string} field
 * @param {unknown} value
 * @returns {number | undefined}
 */
function optionalNumber(field, value) {
  if (value == null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(field, 'a finite number', value);
  return value;
}

/**
 * An optional non-negative integer (a count).
 * @param {string} field
 * @param {unknown} value
 * @returns {number | undefined}
 */
function optionalCount(field, value) {
  if (value == null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw typeError(field, 'a non-negative integer', value);
  }
  return value;
}

/**
 * An optional boolean.
 * @param {string} field
 * @param {unknown} value
 * @returns {boolean | undefined}
 */
function optionalBoolean(field, value) {
  if (value == null) return undefined;
  if (typeof value !== 'boolean') throw typeError(field, 'of type boolean', value);
  return value;
}

/**
 * An ordered string map: a plain object, a `Map`, or an iterable of `[name, value]` pairs.
 * Pairs keep their order and repeats (the core refuses a name given twice).
 * @param {string} field
 * @param {unknown} value
 * @returns {NativePair[] | undefined}
 */
function pairs(field, value) {
  if (value == null) return undefined;
  /** @type {Iterable<unknown>} */
  let entries;
  if (isPlainObject(value)) {
    // `undefined` values mean "not given", as elsewhere.
    entries = Object.entries(value).filter(([, v]) => v !== undefined);
  } else if (typeof value === 'object' && typeof (/** @type {any} */ (value)[Symbol.iterator]) === 'function') {
    entries = /** @type {Iterable<unknown>} */ (value);
  } else {
    throw typeError(field, 'a plain object, a Map or an iterable of [name, value] pairs', value);
  }
  /** @type {NativePair[]} */
  const out = [];
  let index = 0;
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw typeError(`${field}[${index}]`, 'a [name, value] pair', entry);
    }
    const name = string(`${field}[${index}][0]`, entry[0]);
    out.push({ name, value: string(`${field}.${name}`, entry[1]) });
    index += 1;
  }
  return out;
}

/**
 * JSON text for a value, refusing what JSON cannot say instead of dropping it silently as
 * `JSON.stringify` does (functions, symbols, `NaN`, `Map`s, cycles). `bigint`s within the 64-bit
 * range are written as exact integers; `undefined` object members are left out.
 * @param {string} field
 * @param {unknown} value
 * @returns {string}
 */
function jsonText(field, value) {
  /** @type {Set<object>} */
  const seen = new Set();
  /**
   * @param {string} path
   * @param {unknown} v
   * @returns {string}
   */
  const write = (path, v) => {
    if (v !== null && typeof v === 'object' && typeof (/** @type {any} */ (v).toJSON) === 'function') {
      v = /** @type {any} */ (v).toJSON(path);
    }
    switch (typeof v) {
      case 'string':
        return JSON.stringify(string(path, v));
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        if (!Number.isFinite(v)) throw typeError(path, 'a finite number', v);
        return JSON.stringify(v);
      case 'bigint':
        if (v > U64_MAX || v < I64_MIN) throw typeError(path, 'a bigint within the 64-bit range', v);
        return v.toString();
      case 'object': {
        if (v === null) return 'null';
        if (seen.has(v)) throw typeError(path, 'free of cycles', v);
        seen.add(v);
        let text;
        if (Array.isArray(v)) {
          text = `[${v.map((item, i) => write(`${path}[${i}]`, item)).join(',')}]`;
        } else if (isPlainObject(v)) {
          const members = [];
          for (const [key, item] of Object.entries(v)) {
            if (item === undefined) continue;
            members.push(`${JSON.stringify(string(`${path} key`, key))}:${write(`${path}.${key}`, item)}`);
          }
          text = `{${members.join(',')}}`;
        } else {
          throw typeError(path, 'a JSON value (plain object, array, string, number, boolean or null)', v);
        }
        seen.delete(v);
        return text;
      }
      default:
        throw typeError(path, 'a JSON value (plain object, array, string, number, boolean or null)', v);
    }
  };
  return write(field, value);
}

/**
 * Checks the types inside `releaseBranchRepoInfo` that the documentation fixes (the wire form:
 * `featureBranchs`, `repo`, `baseBranch`, `needCreateBranch`, `releaseBranch`), then hands the
 * whole object to the core as JSON; unknown or missing members are the core's to report.
 * @param {unknown} value
 * @returns {string | undefined}
 */
function releaseBranchRepoInfo(value) {
  const field = 'releaseBranchRepoInfo';
  if (value == null) return undefined;
  if (!isPlainObject(value)) throw typeError(field, 'a plain object', value);
  for (const key of ['featureBranchs', 'featureBranches']) {
    const list = value[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw typeError(`${field}.${key}`, 'an array', list);
    list.forEach((item, i) => {
      if (!isPlainObject(item)) throw typeError(`${field}.${key}[${i}]`, 'a plain object', item);
      for (const member of ['branchName', 'changeRequestSn']) {
        if (item[member] !== undefined) string(`${field}.${key}[${i}].${member}`, item[member]);
      }
    });
  }
  if (value.repo !== undefined) string(`${field}.repo`, value.repo);
  for (const key of ['baseBranch', 'releaseBranch']) {
    const branch = value[key];
    if (branch == null) continue;
    if (!isPlainObject(branch)) throw typeError(`${field}.${key}`, 'a plain object', branch);
    if (branch.branchName !== undefined) string(`${field}.${key}.branchName`, branch.branchName);
  }
  if (value.needCreateBranch !== undefined) optionalBoolean(`${field}.needCreateBranch`, value.needCreateBranch);
  return jsonText(field, value);
}

/**
 * Whether `value` looks like an `AbortSignal` (structurally, so signals from other realms and
 * polyfills work too).
 * @param {unknown} value
 * @returns {value is AbortSignal}
 */
function isAbortSignal(value) {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (/** @type {any} */ (value).aborted) === 'boolean' &&
    typeof (/** @type {any} */ (value).addEventListener) === 'function' &&
    typeof (/** @type {any} */ (value).removeEventListener) === 'function'
  );
}

/**
 * The environment to resolve unset settings from, as string pairs.
 * @param {unknown} value
 * @returns {Record<string, string>}
 */
function environment(value) {
  const source = value == null ? process.env : value;
  if (typeof source !== 'object' || source === null) throw typeError('env', 'an object', source);
  /** @type {Record<string, string>} */
  const out = {};
  for (const [name, v] of Object.entries(source)) {
    // As with child_process: undefined means unset; anything else must be a string.
    if (v === undefined) continue;
    if (typeof v !== 'string') throw typeError(`env.${name}`, 'of type string', v);
    // A lone surrogate cannot cross into Rust unchanged; the core treats the variable as unset
    // only when empty, so refuse it as a wrong type like any other string option.
    out[name] = string(`env.${name}`, v);
  }
  return out;
}

/**
 * Checks `new Client()` options and converts them for the native side.
 * @param {unknown} options
 * @returns {NativeClientOptions}
 */
function clientOptions(options) {
  if (options == null) options = {};
  if (!isPlainObject(options)) throw typeError('options', 'a plain object', options);
  checkKeys(options, CLIENT_KEYS, 'client option');
  return {
    token: optionalString('token', options.token),
    baseUrl: optionalString('baseUrl', options.baseUrl),
    edition: optionalString('edition', options.edition),
    organizationId: optionalString('organizationId', options.organizationId),
    timeoutMs: optionalNumber('timeoutMs', options.timeoutMs),
    connectTimeoutMs: optionalNumber('connectTimeoutMs', options.connectTimeoutMs),
    maxRetries: optionalCount('maxRetries', options.maxRetries),
    maxResponseBytes: optionalCount('maxResponseBytes', options.maxResponseBytes),
    allowInsecureHttp: optionalBoolean('allowInsecureHttp', options.allowInsecureHttp),
    caBundle: optionalString('caBundle', options.caBundle),
    proxy: optionalString('proxy', options.proxy),
    deadlineMs: optionalNumber('deadlineMs', options.deadlineMs),
    maxRps: optionalNumber('maxRps', options.maxRps),
    env: environment(options.env),
    userAgentSuffix: `node/${process.versions.node}`,
  };
}

/**
 * Checks `executeReleaseStage()` arguments and converts them for the native side.
 * @param {unknown} request
 * @returns {{ request: NativeRequest, signal: AbortSignal | undefined }}
 */
function requestArgs(request) {
  if (!isPlainObject(request)) throw typeError('request', 'a plain object', request);
  checkKeys(request, REQUEST_KEYS, 'request field');
  const signal = request.signal;
  if (signal != null && !isAbortSignal(signal)) throw typeError('signal', 'an AbortSignal', signal);
  return {
    request: {
      appName: string('appName', request.appName),
      releaseWorkflowSn: string('releaseWorkflowSn', request.releaseWorkflowSn),
      releaseStageSn: string('releaseStageSn', request.releaseStageSn),
      organizationId: optionalString('organizationId', request.organizationId),
      comment: optionalString('comment', request.comment),
      variables: pairs('variables', request.variables),
      branches: pairs('branches', request.branches),
      releaseBranchRepoInfoJson: releaseBranchRepoInfo(request.releaseBranchRepoInfo),
      paramsJson: request.params == null ? undefined : jsonText('params', request.params),
    },
    signal: signal ?? undefined,
  };
}

/**
 * Takes the wrapper's own options out of a generic call's arguments: `signal` always, and
 * `onEvent` for the helpers that report progress. Everything else is the core's to judge, so a
 * non-object is passed on as it is (the core says the arguments must be an object).
 * @param {unknown} input
 * @param {boolean} events
 * @returns {{ rest: unknown, signal: AbortSignal | undefined, onEvent: ((event: unknown) => void) | undefined }}
 */
function callOptions(input, events) {
  if (!isPlainObject(input)) return { rest: input, signal: undefined, onEvent: undefined };
  const { signal, ...rest } = input;
  if (signal != null && !isAbortSignal(signal)) throw typeError('signal', 'an AbortSignal', signal);
  let onEvent;
  if (events) {
    onEvent = rest.onEvent;
    delete rest.onEvent;
    if (onEvent != null && typeof onEvent !== 'function') throw typeError('onEvent', 'a function', onEvent);
  }
  return {
    rest,
    signal: signal ?? undefined,
    onEvent: /** @type {((event: unknown) => void) | undefined} */ (onEvent ?? undefined),
  };
}

/**
 * A generic call's arguments as JSON text for the core: exact for 64-bit integers and `bigint`s;
 * `undefined` (and `null` for the whole object) means "none".
 * @param {unknown} rest
 * @returns {string}
 */
function bridgeJson(rest) {
  return rest === undefined || rest === null ? 'null' : jsonText('arguments', rest);
}

module.exports = { clientOptions, requestArgs, callOptions, bridgeJson, isPlainObject, REQUEST_KEYS, CLIENT_KEYS };
