// Replays every conformance vector in tests/vectors/ (found at run time, so new files are picked
// up) against the sandbox, through the public API — execute through its fast path, every other
// operation through the generated method of its catalog name — and compares every request that
// reached the sandbox and what came back with the vector's expectations (format:
// tests/README.md). Vectors spell arguments and results canonically (snake_case); the runner
// spells them as Node does (the core's ArgStyle::Node) before calling and comparing.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { Client, YunxiaoError } from '../index.js';
import { CALLS } from '../lib/catalog.js';
import { EXPECTED_CLASS } from './helpers/kinds.mjs';
import { REPO_DIR, SANDBOX_TOKEN, Sandbox } from './helpers/sandbox.mjs';

const VECTOR_DIR = join(REPO_DIR, 'tests', 'vectors');
const EXECUTE = 'ExecuteChangeRequestReleaseStage';
const CANCEL = 'CancelExecutionReleaseStage';
const files = readdirSync(VECTOR_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();
/** The method of each operation, from the generated table (execute has its fast path). */
const METHOD = new Map(CALLS.filter(([, , kind]) => kind === 'call').map(([method, name]) => [name, method]));
METHOD.set(EXECUTE, 'executeReleaseStage');

const camel = (name) => name.replace(/_(.)/g, (_, c) => c.toUpperCase());
/** Keys whose values are server data, never renamed (the core's bridge::VERBATIM_KEYS). */
const VERBATIM = new Set(['raw', 'params', 'result', 'pipeline', 'variables', 'branches']);
/** A canonical result as Node sees it: camelCase keys but under the verbatim ones. */
function nodeResult(value) {
  if (Array.isArray(value)) return value.map(nodeResult);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), VERBATIM.has(k) ? v : nodeResult(v)]));
}
/** Canonical arguments as Node spells them (top-level names only; none of these is a duration). */
const nodeArgs = (args) => Object.fromEntries(Object.entries(args ?? {}).map(([k, v]) => [camel(k), v]));

/** `want` is contained in `got`, as the Rust runner's `contains`. */
function contains(want, got) {
  if (Array.isArray(want)) {
    return Array.isArray(got) && want.length <= got.length && want.every((w, i) => contains(w, got[i]));
  }
  if (want !== null && typeof want === 'object') {
    return got !== null && typeof got === 'object' && !Array.isArray(got) && Object.entries(want).every(([k, w]) => Object.hasOwn(got, k) && contains(w, got[k]));
  }
  // bigint ids compare with the vector's numbers by value.
  return typeof got === 'bigint' ? BigInt(want) === got : want === got;
}

/** Client options for a vector's `client` block. */
function clientOptions(sandbox, spec = {}) {
  const options = {
    token: spec.token ?? SANDBOX_TOKEN,
    baseUrl: (spec.base_url ?? sandbox.url) + (spec.base_path ?? ''),
    timeoutMs: (spec.timeout ?? 10) * 1000,
    // Hermetic: no YUNXIAO_* variable of the machine running the tests leaks in.
    env: {},
  };
  if (spec.edition !== undefined) options.edition = spec.edition;
  if (spec.organization_id !== undefined) options.organizationId = spec.organization_id;
  if (spec.max_retries !== undefined) options.maxRetries = spec.max_retries;
  if (sandbox.caPath !== undefined) options.caBundle = sandbox.caPath;
  const known = ['token', 'base_url', 'base_path', 'timeout', 'edition', 'organization_id', 'max_retries'];
  for (const key of Object.keys(spec)) assert.ok(known.includes(key), `unknown client field ${key}`);
  return options;
}

/** The call's arguments for a vector's `input` block. */
function requestArgs(input) {
  const names = {
    organization_id: 'organizationId',
    app_name: 'appName',
    release_workflow_sn: 'releaseWorkflowSn',
    release_stage_sn: 'releaseStageSn',
    comment: 'comment',
    variables: 'variables',
    branches: 'branches',
    release_branch_repo_info: 'releaseBranchRepoInfo',
    params: 'params',
  };
  const request = {};
  for (const [key, value] of Object.entries(input)) {
    assert.ok(key in names, `unknown input field ${key}`);
    request[names[key]] = value;
  }
  return request;
}

/** Builds the client and makes the call; returns the response or the error. */
async function run(sandbox, vector) {
  let client;
  try {
    client = new Client(clientOptions(sandbox, vector.client));
  } catch (error) {
    return { error, from: 'client' };
  }
  const operation = vector.operation ?? EXECUTE;
  const method = METHOD.get(operation);
  assert.ok(method, `no method for ${operation}`);
  try {
    const args = vector.input ? requestArgs(vector.input) : nodeArgs(vector.args);
    return { response: await client[method](args) };
  } catch (error) {
    return { error, from: 'call' };
  }
}

// Every vector over http, then again over https (the sandbox's --tls, its CA through caBundle).
for (const [label, args] of [['conformance vectors', []], ['conformance vectors over https', ['--tls']]]) describe(label, () => {
  /** @type {Sandbox} */
  let sandbox;
  before(async () => {
    sandbox = await Sandbox.start(args);
  });
  after(() => sandbox?.stop());

  test('the vector folder is not empty, and every operation of the catalog has vectors', () => {
    assert.ok(files.length > 0, `no vectors in ${VECTOR_DIR}`);
    const seen = new Set(files.map((f) => JSON.parse(readFileSync(join(VECTOR_DIR, f), 'utf8')).operation ?? EXECUTE));
    const operations = [...METHOD.keys()].filter((name) => /^[A-Z]/.test(name));
    assert.deepEqual([...seen].sort(), operations.sort());
  });

  for (const file of files) {
    const vector = JSON.parse(readFileSync(join(VECTOR_DIR, file), 'utf8'));
    test(`${vector.name}: ${vector.description ?? ''}`, async () => {
      await sandbox.reset();
      if (vector.faults) await sandbox.faults(vector.faults);

      const outcome = await run(sandbox, vector);
      const recorded = await sandbox.requests();
      const expect = vector.expect;

      assert.equal(recorded.count, expect.requests, 'requests that reached the sandbox');

      if (vector.operation !== undefined && vector.operation !== EXECUTE && expect.requests > 0) {
        assert.ok(expect.request, 'an operation vector that sends says what it sends');
      }
      if (expect.request) {
        const want = expect.request;
        // Every recorded request: a retry must resend exactly the same one.
        recorded.requests.forEach((sent, index) => {
          const which = `request ${index + 1}`;
          if (want.method !== undefined) assert.equal(sent.method, want.method, which);
          if (want.path !== undefined) assert.equal(sent.path, want.path, which);
          for (const [name, value] of Object.entries(want.headers ?? {})) {
            assert.equal(sent.headers[name.toLowerCase()], value, `${which}: header ${name}`);
          }
          if (want.user_agent_prefix !== undefined) {
            assert.ok(sent.headers['user-agent'].startsWith(want.user_agent_prefix), sent.headers['user-agent']);
            assert.ok(sent.headers['user-agent'].endsWith(`(node/${process.versions.node})`), sent.headers['user-agent']);
          }
          if (want.token !== undefined) assert.equal(sent.token, want.token, `${which}: token`);
          if ('body' in want) {
            if (want.body === null && vector.operation !== undefined) {
              assert.equal(sent.body ?? '', '', `${which}: no body`);
              assert.equal(sent.headers['content-type'], undefined, `${which}: no content-type`);
            } else {
              assert.deepEqual(sent.json, want.body, `${which}: body`);
            }
          }
        });
      }

      if (expect.result && vector.operation !== undefined && vector.operation !== EXECUTE) {
        assert.ok(!outcome.error, `expected a result, got ${outcome.error?.stack}`);
        let want = nodeResult(expect.result);
        if (vector.operation === CANCEL) {
          // The catalog (and so the vectors) describe cancel's wire answer, `{ success }`; the
          // bridge answers a CancelOutcome, where an answer that is not `success: false`
          // (an empty body included) is `canceled`. Check what the vector's answer means there.
          want = { canceled: want.success !== false, alreadyFinished: false };
        }
        assert.ok(contains(want, outcome.response), `expected ${JSON.stringify(want)} within ${inspect(outcome.response, { depth: 8 })}`);
      } else if (expect.result) {
        assert.ok(outcome.response, `expected a result, got ${outcome.error?.stack}`);
        const r = outcome.response;
        const want = expect.result;
        if ('run_id' in want) assert.equal(r.runId, want.run_id ?? undefined);
        if ('object' in want) assert.equal(r.object, want.object ?? undefined);
        if ('pipeline_id' in want) assert.equal(r.pipelineId, want.pipeline_id ?? undefined);
        if ('pipeline_run_id' in want) assert.equal(r.pipelineRunId, want.pipeline_run_id ?? undefined);
        if (want.request_id === true) assert.ok(typeof r.requestId === 'string' && r.requestId.length > 0);
        assert.equal(typeof r.raw, 'object');
        assert.ok(r.httpStatus >= 200 && r.httpStatus < 300);
      }

      if (expect.error) {
        const want = expect.error;
        assert.ok(outcome.error, `expected a ${want.kind} error, got ${JSON.stringify(outcome.response)}`);
        const e = outcome.error;
        assert.ok(e instanceof YunxiaoError, `not a YunxiaoError: ${e?.stack}`);
        assert.equal(e.code, want.kind, e.message);
        assert.equal(Object.getPrototypeOf(e), EXPECTED_CLASS[want.kind].prototype, `class of ${want.kind}`);
        assert.equal(e.name, EXPECTED_CLASS[want.kind].name);
        if (outcome.from === 'client') {
          assert.ok(['configuration', 'invalid_request'].includes(want.kind), `${want.kind} from the constructor`);
        }
        if ('status' in want) assert.equal(e.status, want.status ?? undefined);
        if ('error_code' in want) assert.equal(e.errorCode, want.error_code ?? undefined);
        if ('retry_after' in want) assert.equal(e.retryAfter, want.retry_after ?? undefined);
        assert.equal(e.mayHaveExecuted, want.may_have_executed);
        assert.ok(e.message.length > 0);
        // One message format everywhere (the core's Display): what the answer said is in it.
        if (e.status !== undefined) assert.ok(e.message.includes(`HTTP ${e.status}`), e.message);
        if (e.errorCode) assert.ok(e.message.includes(e.errorCode), e.message);
        if (e.requestId) assert.ok(e.message.includes(`(request id ${e.requestId})`), e.message);
      }
    });
  }
});
