// Replays every conformance vector in tests/vectors/ (found at run time, so new files are picked
// up) against the sandbox, through the public API, and compares what reached the sandbox and
// what came back with the vector's expectations (format: tests/README.md).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Client, YunxiaoError } from '../index.js';
import { EXPECTED_CLASS } from './helpers/kinds.mjs';
import { REPO_DIR, SANDBOX_TOKEN, Sandbox } from './helpers/sandbox.mjs';

const VECTOR_DIR = join(REPO_DIR, 'tests', 'vectors');
// The execute vectors; the other operations' vectors are replayed by the Rust runner until this
// binding's generic bridge lands.
const EXECUTE = 'ExecuteChangeRequestReleaseStage';
const files = readdirSync(VECTOR_DIR)
  .filter((name) => name.endsWith('.json'))
  .filter(
    (name) =>
      (JSON.parse(readFileSync(join(VECTOR_DIR, name), 'utf8')).operation ?? EXECUTE) === EXECUTE,
  )
  .sort();

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
  try {
    return { response: await client.executeReleaseStage(requestArgs(vector.input)) };
  } catch (error) {
    return { error, from: 'call' };
  }
}

describe('conformance vectors', () => {
  /** @type {Sandbox} */
  let sandbox;
  before(async () => {
    sandbox = await Sandbox.start();
  });
  after(() => sandbox?.stop());

  test('the vector folder is not empty', () => {
    assert.ok(files.length > 0, `no vectors in ${VECTOR_DIR}`);
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

      if (expect.request) {
        const sent = recorded.requests[0];
        const want = expect.request;
        if (want.method !== undefined) assert.equal(sent.method, want.method);
        if (want.path !== undefined) assert.equal(sent.path, want.path);
        for (const [name, value] of Object.entries(want.headers ?? {})) {
          assert.equal(sent.headers[name.toLowerCase()], value, `header ${name}`);
        }
        if (want.user_agent_prefix !== undefined) {
          assert.ok(sent.headers['user-agent'].startsWith(want.user_agent_prefix), sent.headers['user-agent']);
          assert.ok(sent.headers['user-agent'].endsWith(`(node/${process.versions.node})`), sent.headers['user-agent']);
        }
        if (want.token !== undefined) assert.equal(sent.token, want.token);
        if ('body' in want) assert.deepEqual(sent.json, want.body);
      }

      if (expect.result) {
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
