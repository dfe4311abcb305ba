// Every fault the sandbox can inject, and every error kind of the core, lands in the right class
// with the right fields — and the sandbox saw exactly as many requests as the core's retry policy
// allows.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as y from '../index.mjs';
import { errorKinds } from '../native.js';
import { EXPECTED_CLASS } from './helpers/kinds.mjs';
import { STAGE, Sandbox } from './helpers/sandbox.mjs';

/** @type {Sandbox} */
let sandbox;
before(async () => {
  sandbox = await Sandbox.start();
});
after(() => sandbox?.stop());

/** Runs one call with `faults` queued; returns the rejection and the sandbox's request count. */
async function failWith(faults, { client = {}, request = {} } = {}) {
  await sandbox.reset();
  if (faults) await sandbox.faults(faults);
  const c = new y.Client(sandbox.clientOptions({ timeoutMs: 10_000, ...client }));
  const error = await c.executeReleaseStage({ ...STAGE, ...request }).then(
    (r) => assert.fail(`expected an error, got ${JSON.stringify(r)}`),
    (e) => e,
  );
  return { error, count: await sandbox.requestCount() };
}

/** Checks the class (exactly), the code and the common fields. */
function assertError(error, code, { mayHaveExecuted, status }) {
  const Cls = EXPECTED_CLASS[code];
  assert.equal(Object.getPrototypeOf(error), Cls.prototype, `${error.name} for ${code}: ${error.message}`);
  assert.ok(error instanceof y.YunxiaoError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, Cls.name);
  assert.equal(error.code, code);
  assert.equal(error.mayHaveExecuted, mayHaveExecuted);
  assert.equal(error.status, status);
  assert.ok(error.stack.startsWith(`${Cls.name}: `), error.stack);
  assert.ok(error.message.length > 0);
}

describe('classes', () => {
  test('the hierarchy is the documented one', () => {
    const parent = (Cls) => Object.getPrototypeOf(Cls);
    assert.equal(parent(y.YunxiaoError), Error);
    assert.equal(parent(y.APIStatusError), y.YunxiaoError);
    for (const Cls of [
      y.BadRequestError,
      y.AuthenticationError,
      y.PermissionDeniedError,
      y.NotFoundError,
      y.RateLimitError,
      y.InternalServerError,
    ]) {
      assert.equal(parent(Cls), y.APIStatusError, Cls.name);
    }
    assert.equal(parent(y.APIConnectionError), y.YunxiaoError);
    assert.equal(parent(y.APITimeoutError), y.APIConnectionError);
    for (const Cls of [y.InvalidRequestError, y.ConfigurationError, y.ResponseDecodeError]) {
      assert.equal(parent(Cls), y.YunxiaoError, Cls.name);
    }
    assert.equal(parent(y.AbortError), Error);
  });

  test("every kind of the core has a class, and the code is the core's", () => {
    assert.deepEqual([...errorKinds()].sort(), Object.keys(EXPECTED_CLASS).sort());
  });

  test('errors can be constructed by users, with sensible defaults', () => {
    const e = new y.RateLimitError('slow down', { status: 429, retryAfter: 3 });
    assert.equal(e.code, 'rate_limited');
    assert.equal(e.retryAfter, 3);
    assert.equal(e.mayHaveExecuted, false);
    assert.equal(e.body, '');
    assert.equal(new y.InternalServerError('x').code, 'server');
    assert.equal(new y.APITimeoutError('x').code, 'timeout');
    assert.equal(new y.ResponseDecodeError('x', { code: 'response_too_large' }).code, 'response_too_large');
    assert.equal(Object.keys(e).includes('name'), false, 'name lives on the prototype');
  });
});

describe('HTTP answers', () => {
  test('400 → BadRequestError with the documented body fields', async () => {
    const { error, count } = await failWith({ status: 400 });
    assertError(error, 'bad_request', { mayHaveExecuted: false, status: 400 });
    assert.equal(error.errorCode, 'BadRequest');
    assert.equal(typeof error.errorMessage, 'string');
    assert.match(error.requestId, /^[0-9A-F-]{36}$/i);
    assert.equal(typeof error.traceId, 'string');
    assert.ok(error.body.includes('"errorCode"'));
    assert.equal(error.retryAfter, undefined);
    assert.equal(count, 1);
  });

  test('401 (a wrong token) → AuthenticationError', async () => {
    const { error, count } = await failWith(null, { client: { token: 'pt-not-the-token' } });
    assertError(error, 'authentication', { mayHaveExecuted: false, status: 401 });
    assert.equal(error.errorCode, 'InvalidTokenError');
    assert.equal(count, 1);
  });

  test('403 → PermissionDeniedError', async () => {
    const { error, count } = await failWith({ status: 403 });
    assertError(error, 'permission_denied', { mayHaveExecuted: false, status: 403 });
    assert.equal(error.errorCode, 'Forbidden');
    assert.equal(count, 1);
  });

  test('404 (an unknown stage) → NotFoundError', async () => {
    const { error, count } = await failWith(null, { request: { releaseStageSn: 'no-such-stage' } });
    assertError(error, 'not_found', { mayHaveExecuted: false, status: 404 });
    assert.equal(count, 1);
  });

  test('409 → APIStatusError itself', async () => {
    const { error, count } = await failWith({ status: 409, body: { errorCode: 'Conflict', errorMessage: 'busy' } });
    assertError(error, 'api_status', { mayHaveExecuted: false, status: 409 });
    assert.equal(error.errorCode, 'Conflict');
    assert.equal(error.errorMessage, 'busy');
    // The core's Display, as Python's str(e) and the CLI show it.
    assert.ok(error.requestId);
    assert.match(error.message, /^starting a run of stage /);
    assert.ok(
      error.message.endsWith(`: HTTP 409 Conflict: busy (request id ${error.requestId})`),
      error.message,
    );
    assert.equal(count, 1);
  });

  test('429 with a long Retry-After → RateLimitError, not waited for', async () => {
    const { error, count } = await failWith({ status: 429, headers: { 'Retry-After': '120' } });
    assertError(error, 'rate_limited', { mayHaveExecuted: false, status: 429 });
    assert.equal(error.retryAfter, 120);
    assert.equal(error.errorCode, 'TooManyRequests');
    assert.equal(count, 1);
  });

  test('429 every time → RateLimitError after maxRetries retries', async () => {
    const { error, count } = await failWith({ status: 429, times: 5, headers: { 'Retry-After': '0' } });
    assertError(error, 'rate_limited', { mayHaveExecuted: false, status: 429 });
    assert.equal(error.retryAfter, 0);
    assert.equal(count, 3);
  });

  test('500 → InternalServerError that may have executed, never retried', async () => {
    const { error, count } = await failWith({ status: 500, times: 3 });
    assertError(error, 'server', { mayHaveExecuted: true, status: 500 });
    assert.equal(error.errorCode, 'InternalServerError');
    assert.equal(count, 1);
  });

  test('502 with an HTML body → InternalServerError keeping the body', async () => {
    const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    const { error, count } = await failWith({ status: 502, body: html });
    assertError(error, 'server', { mayHaveExecuted: true, status: 502 });
    assert.equal(error.errorCode, undefined);
    assert.equal(error.body, html);
    assert.equal(count, 1);
  });

  test('503 with Retry-After every time → retried, and nothing ran', async () => {
    const { error, count } = await failWith({ status: 503, times: 5, headers: { 'Retry-After': '0' } });
    assertError(error, 'server', { mayHaveExecuted: false, status: 503 });
    assert.equal(error.retryAfter, 0);
    assert.equal(count, 3);
  });

  test('a 2xx that carries an error code is an error, not a run', async () => {
    const { error, count } = await failWith({ status: 200, body: { errorCode: 'Oops', errorMessage: 'wrapped' } });
    // Which kind is the core's call (the vectors pin it); the class must follow the kind.
    assertError(error, error.code, { mayHaveExecuted: true, status: 200 });
    assert.match(error.message, /wrapped/);
    assert.equal(count, 1);
  });
});

describe('broken answers and connections', () => {
  test('close → APIConnectionError (connection lost after sending)', async () => {
    const { error, count } = await failWith({ action: 'close' });
    assertError(error, 'connection', { mayHaveExecuted: true, status: undefined });
    assert.equal(count, 1);
  });

  test('cut_body → APIConnectionError', async () => {
    const { error, count } = await failWith({ action: 'cut_body' });
    assertError(error, 'connection', { mayHaveExecuted: true, status: undefined });
    assert.equal(count, 1);
  });

  test('malformed_json → ResponseDecodeError (decode)', async () => {
    const { error, count } = await failWith({ action: 'malformed_json' });
    assertError(error, 'decode', { mayHaveExecuted: true, status: 200 });
    assert.match(error.requestId, /^[0-9A-F-]{36}$/i);
    assert.equal(count, 1);
  });

  test('oversized → ResponseDecodeError (response_too_large) with the cap', async () => {
    const { error, count } = await failWith({ action: 'oversized', size: 4096 }, { client: { maxResponseBytes: 1024 } });
    assertError(error, 'response_too_large', { mayHaveExecuted: true, status: 200 });
    assert.equal(error.limitBytes, 1024);
    assert.equal(count, 1);
  });

  test('a slow answer → APITimeoutError in the response phase', async () => {
    const { error, count } = await failWith({ delay_ms: 3000 }, { client: { timeoutMs: 300 } });
    assertError(error, 'timeout', { mayHaveExecuted: true, status: undefined });
    assert.ok(error instanceof y.APIConnectionError);
    assert.equal(error.timeoutPhase, 'response');
    assert.equal(error.timeoutMs, 300);
    assert.equal(count, 1);
  });

  test('nothing listening → APIConnectionError that certainly did not run', async () => {
    const c = new y.Client(sandbox.clientOptions({ baseUrl: 'http://127.0.0.1:9', maxRetries: 0 }));
    const error = await c.executeReleaseStage(STAGE).catch((e) => e);
    assertError(error, 'connection', { mayHaveExecuted: false, status: undefined });
  });
});

describe('refused before sending', () => {
  test('an invalid value → InvalidRequestError (a rejection), nothing sent', async () => {
    const { error, count } = await failWith(null, { request: { appName: '' } });
    assertError(error, 'invalid_request', { mayHaveExecuted: false, status: undefined });
    assert.match(error.message, /app_name/);
    assert.equal(count, 0);
  });

  test('conflicting parameters → InvalidRequestError', async () => {
    const { error, count } = await failWith(null, {
      request: { comment: 'c', params: { FLOW_INST_RUNNING_COMMENT: 'd' } },
    });
    assertError(error, 'invalid_request', { mayHaveExecuted: false, status: undefined });
    assert.equal(count, 0);
  });

  test('a bad releaseBranchRepoInfo member → InvalidRequestError naming it', async () => {
    const { error } = await failWith(null, {
      request: { releaseBranchRepoInfo: { featureBranchs: [], repo: 'r', typo: 1 } },
    });
    assertError(error, 'invalid_request', { mayHaveExecuted: false, status: undefined });
    assert.match(error.message, /typo/);
  });

  test('bad settings → ConfigurationError thrown by the constructor', () => {
    for (const options of [
      { baseUrl: 'ftp://example.com' },
      { baseUrl: 'http://example.com' },
      { token: 'pt-a\nb' },
      { maxRetries: 11 },
      { timeoutMs: 0 },
      { timeoutMs: -5 },
      { edition: 'moon' },
      { maxResponseBytes: 0 },
    ]) {
      assert.throws(
        () => new y.Client(sandbox.clientOptions(options)),
        (e) => {
          assertError(e, 'configuration', { mayHaveExecuted: false, status: undefined });
          return true;
        },
        JSON.stringify(options),
      );
    }
  });

  test('no token anywhere → ConfigurationError naming the variable', () => {
    assert.throws(() => new y.Client({ env: {} }), (e) => e instanceof y.ConfigurationError && /YUNXIAO_ACCESS_TOKEN/.test(e.message));
  });

  test('a bad environment value → ConfigurationError naming the variable', () => {
    assert.throws(
      () => new y.Client({ env: { YUNXIAO_ACCESS_TOKEN: 'pt-env-token-1234', YUNXIAO_MAX_RETRIES: 'many' } }),
      (e) => e instanceof y.ConfigurationError && /YUNXIAO_MAX_RETRIES/.test(e.message),
    );
  });

  test('undocumented spellings are refused, not guessed at (edition, white space)', () => {
    const env = { YUNXIAO_ACCESS_TOKEN: 'pt-env-token-1234' };
    for (const [name, value] of [
      ['YUNXIAO_EDITION', 'centre'],
      ['YUNXIAO_EDITION', 'Region'],
      ['YUNXIAO_API_BASE_URL', 'http://127.0.0.1:1 '],
    ]) {
      assert.throws(
        () => new y.Client({ env: { ...env, [name]: value } }),
        (e) => e instanceof y.ConfigurationError && e.message.includes(name),
        `${name}=${JSON.stringify(value)}`,
      );
    }
    for (const options of [{ edition: 'centre' }, { baseUrl: 'http://127.0.0.1:1/ ' }]) {
      assert.throws(() => new y.Client({ env, ...options }), y.ConfigurationError, JSON.stringify(options));
    }
  });

  test('the one-shot function rejects (never throws) on configuration errors', async () => {
    const pending = y.executeReleaseStage(STAGE, { env: {} });
    assert.ok(pending instanceof Promise);
    await assert.rejects(pending, y.ConfigurationError);
  });
});
