// The generic bridge and the lifecycle helpers against the sandbox's fast clock
// (`--clock-scale 1000`: a 10 s job takes 10 ms): every call by its generated method, paging,
// argument errors named by the core in Node's spelling, and the lifecycle scenarios — success,
// failure, cancel, gate, deadline, abort via AbortSignal — through waitForRun, executeAndWait,
// followJobLog and watchRun.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import * as y from '../index.js';
import native from '../native.js';
import { CALLS } from '../lib/catalog.js';
import { PACKAGE_DIR, SANDBOX_TOKEN, Sandbox } from './helpers/sandbox.mjs';

const { AbortError, Client, InvalidRequestError } = y;
const APP = Object.freeze({ organizationId: 'sandbox-org', appName: 'my-web-service', releaseWorkflowSn: 'wf-main' });
const stage = (releaseStageSn) => ({ ...APP, releaseStageSn });
// Poll fast: the sandbox's clock runs 1000 times faster than the client's.
const FAST = Object.freeze({ pollInitialMs: 5, pollMaxMs: 20, deadlineMs: 20_000 });

/** @type {Sandbox} */
let sandbox;
/** @type {Client} */
let client;
before(async () => {
  sandbox = await Sandbox.start(['--clock-scale', '1000']);
  client = new Client(sandbox.clientOptions());
});
after(() => sandbox?.stop());

describe('the generated surface', () => {
  test('every call of the table is a method of Client, named as the catalog spells it', () => {
    assert.ok(CALLS.length > 20);
    for (const [method] of CALLS) assert.equal(typeof client[method], 'function', method);
    assert.equal(Client.prototype.getReleaseStagePipelineRun.name, 'getReleaseStagePipelineRun');
  });

  test('the generator spells every argument as the core does (ArgStyle::Node)', async () => {
    await sandbox.reset();
    for (const [method, name, kind, argNames] of CALLS) {
      if (kind === 'items' || kind === 'watch') continue;
      // The core refuses an unknown argument, listing the ones it knows in Node's spelling.
      const error = await client[method]({ probe: 1 }).then(() => assert.fail(`${method} took probe`), (e) => e);
      assert.ok(error instanceof InvalidRequestError, `${method}: ${error.stack}`);
      const known = /\(known: ([^)]*)\)/.exec(error.message)?.[1].split(', ');
      assert.deepEqual(known?.slice().sort(), [...argNames].sort(), `${method} (${name}): ${error.message}`);
    }
    assert.equal(await sandbox.requestCount(), 0, 'nothing was sent');
  });

  test('the defaults the docs restate are the core\'s', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const d = native.coreDefaults();
    const dts = readFileSync(join(PACKAGE_DIR, 'index.d.ts'), 'utf8');
    const readme = readFileSync(join(PACKAGE_DIR, '..', 'README.md'), 'utf8');
    const node = readme.slice(readme.indexOf('## Node.js'), readme.indexOf('\n## C\n'));
    /** The doc comment of a ClientOptions member in index.d.ts. */
    const docOf = (name) => {
      const options = dts.slice(dts.indexOf('export interface ClientOptions'));
      const at = options.indexOf(`\n  ${name}?:`);
      assert.ok(at > 0, `ClientOptions.${name}`);
      return options.slice(options.lastIndexOf('/**', at), at);
    };
    /** The README's configuration-table row of an option. */
    const rowOf = (name) => node.split('\n').find((line) => line.startsWith(`| \`${name}\``)) ?? assert.fail(`README row ${name}`);
    const group = (n) => n.toLocaleString('en-US').replace(/,/g, ' ');
    const mib = `${d.maxResponseBytes / 1024 / 1024} MiB`;
    const expected = {
      baseUrl: [d.baseUrl],
      timeoutMs: [group(d.timeoutMs)],
      connectTimeoutMs: [group(d.connectTimeoutMs)],
      maxRetries: [`0–${d.maxRetriesLimit}`, `${d.maxRetries}`],
      maxResponseBytes: [mib],
    };
    for (const [name, texts] of Object.entries(expected)) {
      for (const text of texts) {
        assert.ok(docOf(name).includes(text), `index.d.ts ClientOptions.${name} says ${text}: ${docOf(name)}`);
        assert.ok(rowOf(name).includes(text), `README's ${name} row says ${text}: ${rowOf(name)}`);
      }
    }
    // The wait's defaults, in the generated argument docs (from the catalog) and the README.
    assert.ok(node.includes(`${d.deadlineMs / 60_000} min`), 'README: the wait deadline');
    assert.ok(dts.includes(`(default ${d.deadlineMs / 60_000} min)`), 'index.d.ts: the wait deadline');
    assert.ok(dts.includes(`(default ${d.pollInitialMs / 1000} s)`) && dts.includes(`(default ${d.pollMaxMs / 1000} s)`), 'index.d.ts: poll pauses');
  });
});

describe('bridge calls', () => {
  test('a read, paging through nextArgs, and the iterator over every page', async () => {
    for (let i = 0; i < 3; i += 1) await client.executeReleaseStage(stage('stage-deploy'));
    const first = await client.listReleaseStageRuns({ ...stage('stage-deploy'), perPage: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.nextArgs, 'a next page');
    assert.equal(first.nextArgs.perPage, 2);
    const numbers = [];
    for await (const run of client.iterReleaseStageRuns({ ...stage('stage-deploy'), perPage: 2 })) numbers.push(run.number);
    assert.ok(numbers.length >= 3);
    assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a), 'newest first');
    const newest = await client.newestRunNumber(stage('stage-deploy'));
    assert.equal(newest, numbers[0]);
    const run = await client.getReleaseStagePipelineRun({ ...stage('stage-deploy'), executionNumber: newest });
    assert.equal(typeof run.status, 'string');
    assert.equal(typeof run.raw, 'object');
    const found = await client.findReleaseStage({ organizationId: APP.organizationId, appName: APP.appName, workflow: 'wf-main', stage: 'stage-deploy' });
    assert.equal(found.releaseStageSn, 'stage-deploy');
  });

  test('argument errors are the core\'s, naming the argument as Node spells it', async () => {
    await sandbox.reset();
    const cases = [
      [{ ...stage('s'), execution_number: 1 }, /"execution_number"/],
      [{ ...stage('s') }, /missing argument executionNumber/],
      [{ ...stage('s'), executionNumber: 'x' }, /executionNumber/],
    ];
    for (const [args, message] of cases) {
      await assert.rejects(client.getReleaseStagePipelineRun(args), (e) => {
        assert.ok(e instanceof InvalidRequestError, e.stack);
        assert.equal(e.code, 'invalid_request');
        assert.match(e.message, message);
        return true;
      });
    }
    await assert.rejects(client.waitForRun({ ...stage('s'), executionNumber: 1, deadlineMs: -1 }), /deadlineMs must be above 0/);
    await assert.rejects(client.waitForRun({ ...stage('s'), executionNumber: 1, deadline: 5 }), /unknown argument "deadline"/);
    await assert.rejects(client.getReleaseStagePipelineRun('nope'), InvalidRequestError);
    assert.equal(await sandbox.requestCount(), 0, 'nothing was sent');
  });

  test('a signal aborts any call in flight at once', async () => {
    await sandbox.reset();
    await sandbox.faults({ delay_ms: 3000 });
    const started = performance.now();
    await assert.rejects(
      client.getReleaseStagePipelineRun({ ...stage('stage-deploy'), executionNumber: 1, signal: AbortSignal.timeout(100) }),
      (e) => e instanceof AbortError && e.cause?.name === 'TimeoutError',
    );
    assert.ok(performance.now() - started < 1500, 'did not wait for the answer');
    await sandbox.reset();
  });

  test('an error after sending carries the call and when it started', async () => {
    const before = Date.now();
    await assert.rejects(client.getReleaseStagePipelineRun({ ...stage('stage-deploy'), executionNumber: 99_999 }), (e) => {
      assert.ok(e instanceof y.NotFoundError, e.stack);
      assert.equal(e.operation, 'GetReleaseStagePipelineRun');
      assert.equal(e.effect, 'read_only');
      assert.ok(e.startedAtMs >= before - 5 && e.startedAtMs <= Date.now() + 5, `${e.startedAtMs}`);
      return true;
    });
  });
});

describe('lifecycle', () => {
  test('success: executeAndWait reports events in order, before it settles', async () => {
    const events = [];
    const result = await client.executeAndWait({ ...stage('stage-deploy'), ...FAST, onEvent: (e) => events.push(e) });
    assert.equal(result.outcome.state, 'succeeded');
    assert.equal(typeof result.execute.pipelineRunId, 'number');
    assert.ok(events.length > 0);
    assert.ok(events.some((e) => e.event === 'run_status_changed'));
    // The last events say the run ended: nothing arrives after the call has settled.
    assert.equal(events.at(-1).event, 'run_status_changed');
    assert.equal(events.at(-1).status, 'SUCCESS');
    const count = events.length;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(events.length, count, 'no event after the result');
    assert.ok(events.every((e) => typeof e.event === 'string'));
  });

  test('failure: a failed run is an outcome, with the failed job', async () => {
    const result = await client.executeAndWait({ ...stage('stage-fail'), ...FAST });
    assert.equal(result.outcome.state, 'failed');
    assert.equal(result.outcome.failedJobs[0].job, 'Test');
  });

  test('gate: stop at the gate, pass it, and wait for the end', async () => {
    const run = await client.executeReleaseStage(stage('stage-gate'));
    const at = await client.waitForRun({ ...stage('stage-gate'), executionNumber: run.pipelineRunId, ...FAST, onApproval: 'stop' });
    assert.equal(at.state, 'waiting_for_approval');
    assert.equal(at.gate.job, 'Approve');
    await client.passPipelineValidate({ ...stage('stage-gate'), executionNumber: run.pipelineRunId, jobId: at.gate.jobId });
    const end = await client.waitForRun({ ...stage('stage-gate'), executionNumber: run.pipelineRunId, ...FAST });
    assert.equal(end.state, 'succeeded');
  });

  test('cancel: a running run is canceled, and the wait says so', async () => {
    const run = await client.executeReleaseStage(stage('stage-long'));
    const cancel = await client.cancelReleaseStageExecution({ ...stage('stage-long'), executionNumber: run.pipelineRunId });
    assert.equal(cancel.canceled, true);
    const end = await client.waitForRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId, ...FAST });
    assert.equal(end.state, 'canceled');
  });

  test('deadline: the wait ends, the run goes on', async () => {
    const run = await client.executeReleaseStage(stage('stage-long'));
    const end = await client.waitForRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId, ...FAST, deadlineMs: 150 });
    assert.equal(end.state, 'deadline_exceeded');
    const now = await client.getReleaseStagePipelineRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId });
    assert.equal(now.status, 'RUNNING');
  });

  test('abort via AbortSignal: rejects at once with AbortError, never cancels the run', async () => {
    const run = await client.executeReleaseStage(stage('stage-long'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('enough')), 100);
    const started = performance.now();
    await assert.rejects(client.waitForRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId, ...FAST, signal: controller.signal }), (e) => {
      assert.ok(e instanceof AbortError, e.stack);
      assert.equal(e.cause.message, 'enough');
      assert.equal(e.result.state, 'aborted');
      assert.equal(e.result.cancel ?? null, null);
      return true;
    });
    assert.ok(performance.now() - started < 1000, 'stopped at once');
    const now = await client.getReleaseStagePipelineRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId });
    assert.equal(now.status, 'RUNNING', 'the run goes on');
    // An already-aborted signal sends nothing.
    await sandbox.reset();
    await assert.rejects(client.waitForRun({ ...stage('stage-long'), executionNumber: 1, signal: AbortSignal.abort() }), AbortError);
    assert.equal(await sandbox.requestCount(), 0);
  });

  test('abort with cancelOnAbort cancels the run', async () => {
    const run = await client.executeReleaseStage(stage('stage-long'));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(
      client.waitForRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId, ...FAST, cancelOnAbort: true, signal: controller.signal }),
      (e) => e instanceof AbortError && e.result.cancel.canceled === true,
    );
  });

  test('watchRun: events as an async iterator; leaving the loop stops the wait, not the run', async () => {
    const done = await client.executeReleaseStage(stage('stage-deploy'));
    const seen = [];
    for await (const event of client.watchRun({ ...stage('stage-deploy'), executionNumber: done.pipelineRunId, ...FAST })) seen.push(event.event);
    assert.ok(seen.includes('run_status_changed'));
    assert.ok(seen.includes('job_finished'));

    const run = await client.executeReleaseStage(stage('stage-long'));
    const iterator = client.watchRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId, ...FAST });
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(typeof first.value.event, 'string');
    await iterator.return(undefined);
    const now = await client.getReleaseStagePipelineRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId });
    assert.equal(now.status, 'RUNNING');
  });

  test('followJobLog sends each line once as a log_line event', async () => {
    const result = await client.executeAndWait({ ...stage('stage-deploy'), ...FAST });
    const job = result.outcome.last.stages.flatMap((s) => s.jobs).find((j) => j.id != null);
    const lines = [];
    const followed = await client.followJobLog({
      ...stage('stage-deploy'),
      executionNumber: result.execute.pipelineRunId,
      jobId: job.id,
      ...FAST,
      onEvent: (e) => lines.push(e),
    });
    assert.equal(followed.lines, lines.length);
    assert.ok(lines.every((e) => e.event === 'log_line'));
  });

  test('a throwing onEvent stops the wait and rejects with what it threw', async () => {
    const run = await client.executeReleaseStage(stage('stage-long'));
    const boom = new Error('boom');
    await assert.rejects(
      client.waitForRun({ ...stage('stage-long'), executionNumber: run.pipelineRunId, ...FAST, onEvent: () => { throw boom; } }),
      (e) => e === boom,
    );
  });
});

describe('the process', () => {
  test('exits by itself once a wait has settled, events and all', async () => {
    const script = `
      const { Client } = require(${JSON.stringify(PACKAGE_DIR)});
      const client = new Client({ token: ${JSON.stringify(SANDBOX_TOKEN)}, baseUrl: ${JSON.stringify(sandbox.url)}, env: {} });
      let events = 0;
      client.executeAndWait({ appName: 'my-web-service', organizationId: 'sandbox-org', releaseWorkflowSn: 'wf-main',
        releaseStageSn: 'stage-deploy', pollInitialMs: 5, pollMaxMs: 20, onEvent: () => { events += 1; } })
        .then((r) => console.log('STATE', r.outcome.state, events > 0));
    `;
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.match(out, /STATE succeeded true/);
    assert.ok(performance.now() - started < 10_000, 'it did not hang');
  });

  test('exits by itself after leaving a watchRun loop and after an aborted wait of a long run', async () => {
    const script = `
      const { Client } = require(${JSON.stringify(PACKAGE_DIR)});
      const client = new Client({ token: ${JSON.stringify(SANDBOX_TOKEN)}, baseUrl: ${JSON.stringify(sandbox.url)}, env: {} });
      const stage = { appName: 'my-web-service', organizationId: 'sandbox-org', releaseWorkflowSn: 'wf-main', releaseStageSn: 'stage-long' };
      (async () => {
        const run = await client.executeReleaseStage(stage);
        const args = { ...stage, executionNumber: run.pipelineRunId, pollInitialMs: 5, pollMaxMs: 20 };
        for await (const event of client.watchRun(args)) { void event; break; }
        await client.waitForRun({ ...args, signal: AbortSignal.timeout(50) }).catch((e) => console.log('ABORTED', e.name));
        console.log('DONE');
      })();
    `;
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.match(out, /ABORTED AbortError\nDONE/);
    assert.ok(performance.now() - started < 10_000, 'it did not hang');
  });
});
