// The shape of the public API: entry points, argument type checks, conversions of inputs and
// outputs (ordered maps, JSON params, ids beyond 2^53), and what a client shows of itself.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';

import * as esm from '../index.mjs';
import { Client, InvalidRequestError } from '../index.mjs';
import { STAGE, Sandbox } from './helpers/sandbox.mjs';

const require = createRequire(import.meta.url);

/** @type {Sandbox} */
let sandbox;
before(async () => {
  sandbox = await Sandbox.start();
});
after(() => sandbox?.stop());

/** Makes one call and returns the response and the body the sandbox received. */
async function call(request, clientOptions = {}) {
  await sandbox.reset();
  const client = new Client(sandbox.clientOptions(clientOptions));
  const response = await client.executeReleaseStage({ ...STAGE, ...request });
  const { requests } = await sandbox.requests();
  return { response, sent: requests[0] };
}

describe('entry points', () => {
  test('CommonJS and ESM expose the same objects', () => {
    const cjs = require('../index.js');
    assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
    for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
    assert.equal(typeof cjs.Client, 'function');
    assert.equal(typeof cjs.executeReleaseStage, 'function');
  });

  test('the declarations describe exactly the runtime exports', () => {
    const declared = [...readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8').matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map(
      (m) => m[1],
    );
    assert.deepEqual(declared.sort(), Object.keys(require('../index.js')).sort());
  });

  test('the package resolves by name through its exports map, both ways', async () => {
    const byName = await import('yunxiao-appstack');
    assert.equal(byName.Client, require('yunxiao-appstack').Client);
    assert.equal(byName.Client, esm.Client);
  });
});

describe('responses', () => {
  test('a success has every field, ids as numbers', async () => {
    const { response } = await call({});
    assert.deepEqual(Object.keys(response), ['runId', 'object', 'pipelineId', 'pipelineRunId', 'requestId', 'httpStatus', 'raw']);
    assert.equal(response.runId, 1);
    assert.equal(response.object, 1);
    assert.equal(response.pipelineRunId, 1);
    assert.equal(typeof response.pipelineId, 'number');
    assert.equal(response.httpStatus, 200);
    assert.equal('status' in response, false, 'renamed to httpStatus in 0.1: no alias');
    assert.match(response.requestId, /^[0-9A-F-]{36}$/i);
    assert.deepEqual(response.raw, { object: 1, pipelineId: response.pipelineId, pipelineRunId: 1 });
  });

  test('ids beyond Number.MAX_SAFE_INTEGER arrive as exact bigints, safe ones as numbers', async () => {
    await sandbox.reset();
    // Hand-written JSON: JSON.stringify cannot write these numbers exactly.
    await sandbox.faults(
      '{"status": 200, "body": {"object": 9007199254740991, "pipelineId": 9007199254740993, "pipelineRunId": 18446744073709551615, "nested": {"big": 12345678901234567890}}}',
    );
    const client = new Client(sandbox.clientOptions());
    const r = await client.executeReleaseStage(STAGE);
    assert.equal(r.object, Number.MAX_SAFE_INTEGER);
    assert.equal(r.pipelineId, 9007199254740993n);
    assert.equal(r.pipelineRunId, 18446744073709551615n);
    assert.equal(r.runId, 18446744073709551615n);
    assert.equal(r.raw.pipelineRunId, 18446744073709551615n);
    assert.equal(r.raw.object, Number.MAX_SAFE_INTEGER);
    assert.equal(r.raw.nested.big, 12345678901234567890n);
  });

  test('ids sent as strings are read as ids; absent ones are undefined', async () => {
    await sandbox.reset();
    await sandbox.faults({ status: 200, body: { object: '7', requestId: 'rid-1' } });
    const r = await new Client(sandbox.clientOptions()).executeReleaseStage(STAGE);
    assert.equal(r.object, 7);
    assert.equal(r.runId, 7);
    assert.equal(r.pipelineId, undefined);
    assert.equal(r.pipelineRunId, undefined);
    assert.equal(r.requestId, 'rid-1');
  });
});

describe('inputs', () => {
  test('variables and branches keep their order from Maps and pairs', async () => {
    const { sent } = await call({
      comment: 'c',
      variables: new Map([
        ['B', '2'],
        ['A', '1'],
      ]),
      branches: [
        ['repo-z', 'main'],
        ['repo-a', 'dev'],
      ],
    });
    assert.deepEqual(Object.keys(sent.json.params), ['FLOW_INST_RUNNING_COMMENT', 'B', 'A', 'repo-z', 'repo-a']);
  });

  test('a name given twice is the core’s InvalidRequestError, not a silent overwrite', async () => {
    await assert.rejects(
      call({
        variables: [
          ['A', '1'],
          ['A', '2'],
        ],
      }),
      InvalidRequestError,
    );
  });

  test('params: nested JSON, bigints exact, undefined members left out', async () => {
    const { sent } = await call({
      params: { nested: { list: [1, 'two', null, true] }, big: 18446744073709551615n, skip: undefined, when: new Date(0) },
    });
    assert.match(sent.body, /"big":18446744073709551615/);
    assert.deepEqual(Object.keys(sent.json.params), ['nested', 'big', 'when']);
    assert.deepEqual(sent.json.params.nested, { list: [1, 'two', null, true] });
    assert.equal(sent.json.params.when, '1970-01-01T00:00:00.000Z');
  });

  test('featureBranches is accepted for the wire name featureBranchs', async () => {
    const { sent } = await call({
      releaseBranchRepoInfo: {
        featureBranches: [{ branchName: 'f', changeRequestSn: 'c' }],
        repo: 'r',
        releaseBranch: { branchName: 'rb' },
      },
    });
    assert.deepEqual(sent.json.params.releaseBranchRepoInfo.featureBranchs, [{ branchName: 'f', changeRequestSn: 'c' }]);
  });

  test('null and undefined mean "not given"', async () => {
    const { sent } = await call({ comment: null, variables: undefined, params: null, signal: null });
    assert.deepEqual(sent.json, { params: {} });
  });

  test('the client default organization and the environment apply', async () => {
    const { organizationId, ...rest } = STAGE;
    await sandbox.reset();
    const client = new Client({ env: { YUNXIAO_ACCESS_TOKEN: 'pt-sandbox-token', YUNXIAO_API_BASE_URL: sandbox.url, YUNXIAO_ORGANIZATION_ID: organizationId } });
    assert.equal(client.config.organizationId, organizationId);
    const r = await client.executeReleaseStage(rest);
    assert.equal(r.runId, 1);
  });
});

describe('argument types', () => {
  const client = () => new Client(sandbox.clientOptions());

  /** Asserts a TypeError that names `field` and does not quote the value. */
  async function rejectsType(request, field) {
    await sandbox.reset();
    await assert.rejects(client().executeReleaseStage(request), (e) => {
      assert.equal(e.constructor, TypeError, e.stack);
      assert.match(e.code, /^ERR_INVALID_ARG_(TYPE|VALUE)$/);
      assert.ok(e.message.includes(field), `${e.message} names ${field}`);
      return true;
    });
    assert.equal(await sandbox.requestCount(), 0);
  }

  test('required ids must be strings', async () => {
    await rejectsType({ ...STAGE, appName: 42 }, '"appName"');
    await rejectsType({ ...STAGE, releaseWorkflowSn: undefined }, '"releaseWorkflowSn"');
    await rejectsType({ ...STAGE, releaseStageSn: null }, '"releaseStageSn"');
    await rejectsType({ ...STAGE, organizationId: ['x'] }, '"organizationId"');
  });

  test('maps must hold strings', async () => {
    await rejectsType({ ...STAGE, variables: { N: 3 } }, '"variables.N"');
    await rejectsType({ ...STAGE, variables: 'A=1' }, '"variables"');
    await rejectsType({ ...STAGE, branches: [['a']] }, '"branches[0]"');
    await rejectsType({ ...STAGE, branches: new Map([['a', 1]]) }, '"branches.a"');
  });

  test('params must be JSON', async () => {
    await rejectsType({ ...STAGE, params: { f: () => 1 } }, '"params.f"');
    await rejectsType({ ...STAGE, params: { n: Number.NaN } }, '"params.n"');
    await rejectsType({ ...STAGE, params: { m: new Map() } }, '"params.m"');
    await rejectsType({ ...STAGE, params: { b: 2n ** 64n } }, '"params.b"');
    const cyclic = { a: {} };
    cyclic.a.self = cyclic;
    await rejectsType({ ...STAGE, params: cyclic }, '"params.a.self"');
  });

  test('releaseBranchRepoInfo members, signal, lone surrogates, unknown fields', async () => {
    await rejectsType({ ...STAGE, releaseBranchRepoInfo: { featureBranchs: {}, repo: 'r' } }, '"releaseBranchRepoInfo.featureBranchs"');
    await rejectsType({ ...STAGE, releaseBranchRepoInfo: { featureBranchs: [], repo: 1 } }, '"releaseBranchRepoInfo.repo"');
    await rejectsType({ ...STAGE, signal: {} }, '"signal"');
    await rejectsType({ ...STAGE, comment: 'bad \ud800 surrogate' }, '"comment"');
    await rejectsType({ ...STAGE, releaseStageSN: 'x' }, '"releaseStageSN"');
    await rejectsType('my-web-service', '"request"');
  });

  test('client options are type-checked, and an unknown option is refused', () => {
    for (const [options, field] of [
      [{ token: 123 }, '"token"'],
      [{ timeoutMs: '5000' }, '"timeoutMs"'],
      [{ timeoutMs: Number.POSITIVE_INFINITY }, '"timeoutMs"'],
      [{ maxRetries: 1.5 }, '"maxRetries"'],
      [{ maxRetries: -1 }, '"maxRetries"'],
      [{ allowInsecureHttp: 'yes' }, '"allowInsecureHttp"'],
      [{ env: { YUNXIAO_TIMEOUT: 5 } }, '"env.YUNXIAO_TIMEOUT"'],
      [{ organizationID: 'typo' }, '"organizationID"'],
      ['token', '"options"'],
    ]) {
      assert.throws(() => new Client(options), (e) => e.constructor === TypeError && e.message.includes(field), field);
    }
  });

  test('a TypeError never quotes the value (it might be the token)', () => {
    assert.throws(() => new Client({ token: ['pt-secret-in-array'] }), (e) => !e.message.includes('pt-secret'));
  });
});

describe('the client object', () => {
  test('config shows the resolved settings', () => {
    const client = new Client(sandbox.clientOptions({ timeoutMs: 1500, maxRetries: 0, organizationId: 'o' }));
    assert.deepEqual(client.config, {
      baseUrl: `${sandbox.url}/`,
      edition: 'central',
      organizationId: 'o',
      timeoutMs: 1500,
      connectTimeoutMs: 10000,
      maxRetries: 0,
      maxResponseBytes: 8 * 1024 * 1024,
      userAgent: `yunxiao-appstack/${esm.VERSION} (node/${process.versions.node})`,
      caBundle: undefined,
      proxy: false,
      deadlineMs: undefined,
      maxRps: undefined,
    });
    assert.ok(Object.isFrozen(client.config));
  });

  test('inspect shows the settings and no token', () => {
    const client = new Client(sandbox.clientOptions({ token: 'pt-inspect-secret' }));
    const shown = inspect(client, { showHidden: true, depth: Infinity });
    assert.match(shown, /^Client \{/);
    assert.ok(shown.includes(sandbox.url));
    assert.ok(!shown.includes('pt-inspect-secret'), shown);
    assert.equal(inspect({ nested: { deeper: client } }, { depth: 1 }), '{ nested: { deeper: [Client] } }');
    assert.equal(Object.prototype.toString.call(client), '[object Client]');
    assert.ok(!JSON.stringify(client).includes('pt-inspect-secret'));
  });
});
