// Runtime behaviour: the event loop keeps running during a call, one client carries hundreds of
// concurrent calls over reused connections, AbortSignal cancels an in-flight call, and a process
// exits as soon as its last call has settled.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getEventListeners, once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

import { AbortError, Client } from '../index.mjs';
import { PACKAGE_DIR, SANDBOX_TOKEN, STAGE, Sandbox } from './helpers/sandbox.mjs';

/** @type {Sandbox} */
let sandbox;
before(async () => {
  sandbox = await Sandbox.start();
});
after(() => sandbox?.stop());

/**
 * This process's TCP connections to `port` (client side), from /proc/net/tcp: local ports and
 * states. Each connection appears once with the remote port equal to `port`.
 */
function connectionsTo(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const rows = readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  return rows
    .map((row) => row.trim().split(/\s+/))
    .filter((cols) => cols[2].endsWith(`:${hexPort}`))
    .map((cols) => ({ local: cols[1], state: cols[3] }));
}

describe('event loop', () => {
  test('a timer keeps ticking while a call waits on a slow answer', async () => {
    await sandbox.reset();
    await sandbox.faults({ delay_ms: 1500 });
    const client = new Client(sandbox.clientOptions());
    let ticks = 0;
    let last = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks += 1;
    }, 10);
    try {
      const started = performance.now();
      const r = await client.executeReleaseStage(STAGE);
      const elapsed = performance.now() - started;
      assert.equal(r.runId, 1);
      assert.ok(elapsed >= 1400, `the answer was delayed (${elapsed} ms)`);
      assert.ok(ticks >= 50, `only ${ticks} ticks of 10 ms in ${elapsed} ms`);
      assert.ok(longestGap < 250, `the event loop stalled for ${longestGap} ms`);
    } finally {
      clearInterval(timer);
    }
  });
});

describe('concurrency', () => {
  test('500 concurrent calls on one client all complete, then connections are reused', async () => {
    await sandbox.reset();
    const client = new Client(sandbox.clientOptions({ timeoutMs: 60_000 }));
    const results = await Promise.all(Array.from({ length: 500 }, () => client.executeReleaseStage(STAGE)));
    const runIds = results.map((r) => r.runId).sort((a, b) => a - b);
    assert.deepEqual(runIds, Array.from({ length: 500 }, (_, i) => i + 1));
    assert.equal(await sandbox.requestCount(), 500);

    // Sequential calls now must ride the pooled connections: no new connection per call.
    const before = new Set(connectionsTo(sandbox.port).map((c) => c.local));
    for (let i = 0; i < 30; i += 1) await client.executeReleaseStage(STAGE);
    const afterCalls = connectionsTo(sandbox.port);
    const fresh = afterCalls.filter((c) => !before.has(c.local));
    assert.ok(fresh.length <= 1, `${fresh.length} new connections for 30 sequential calls`);
    assert.equal(await sandbox.requestCount(), 530);
  });

  test('sequential calls on a fresh client share one connection', async () => {
    const probe = await Sandbox.start();
    try {
      const client = new Client(probe.clientOptions());
      for (let i = 0; i < 20; i += 1) await client.executeReleaseStage(STAGE);
      const mine = connectionsTo(probe.port);
      assert.equal(mine.length, 1, JSON.stringify(mine));
    } finally {
      await probe.stop();
    }
  });
});

describe('worker threads', () => {
  test('the addon loads and calls in several workers at once, and they terminate cleanly', async () => {
    await sandbox.reset();
    const code = `
      const { Client } = require(${JSON.stringify(PACKAGE_DIR)});
      const { parentPort, workerData } = require('node:worker_threads');
      new Client({ token: ${JSON.stringify(SANDBOX_TOKEN)}, baseUrl: workerData, env: {} })
        .executeReleaseStage(${JSON.stringify(STAGE)})
        .then((r) => parentPort.postMessage(r.runId), (e) => parentPort.postMessage(String(e)));
    `;
    const runIds = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const worker = new Worker(code, { eval: true, workerData: sandbox.url });
        // Listen for both at once: a worker that posts and ends at once can emit 'message' and
        // 'exit' in the same tick, and a listener added after the first await would miss 'exit'.
        const message = once(worker, 'message');
        const exit = once(worker, 'exit');
        const [runId] = await message;
        const [exitCode] = await exit;
        assert.equal(exitCode, 0);
        return runId;
      }),
    );
    assert.deepEqual(runIds.sort(), [1, 2, 3]);
  });
});

describe('worker threads, torn down mid-call', () => {
  test('a worker terminated with calls in flight leaves the process and other threads working', async () => {
    await sandbox.reset();
    // One delayed answer per call (a fault is used up by one request).
    await sandbox.faults(Array.from({ length: 20 }, () => ({ delay_ms: 400 })));
    const code = `
      const { Client } = require(${JSON.stringify(PACKAGE_DIR)});
      const { parentPort, workerData } = require('node:worker_threads');
      const client = new Client({ token: ${JSON.stringify(SANDBOX_TOKEN)}, baseUrl: workerData, env: {} });
      for (let i = 0; i < 20; i += 1) client.executeReleaseStage(${JSON.stringify(STAGE)}).catch(() => {});
      parentPort.postMessage('started');
    `;
    const worker = new Worker(code, { eval: true, workerData: sandbox.url });
    const exit = once(worker, 'exit');
    await once(worker, 'message');
    await sleep(100);
    // The answers arrive after the worker's environment is gone: they must be dropped quietly.
    await worker.terminate();
    await exit;
    await sleep(600);
    assert.equal(await sandbox.requestCount(), 20, 'every call of the worker was sent');
    await sandbox.reset();
    const client = new Client(sandbox.clientOptions());
    const r = await client.executeReleaseStage(STAGE);
    assert.equal(r.runId, 1);
  });
});

describe('abort', () => {
  test('a signal that already fired: AbortError, nothing sent', async () => {
    await sandbox.reset();
    const client = new Client(sandbox.clientOptions());
    const reason = new Error('changed my mind');
    const error = await client.executeReleaseStage({ ...STAGE, signal: AbortSignal.abort(reason) }).catch((e) => e);
    assert.ok(error instanceof AbortError);
    assert.equal(error.name, 'AbortError');
    assert.equal(error.code, 'ABORT_ERR');
    assert.equal(error.cause, reason);
    assert.equal(error.mayHaveExecuted, false);
    assert.equal(await sandbox.requestCount(), 0);
  });

  test('aborting in flight rejects at once and drops the request', async () => {
    await sandbox.reset();
    await sandbox.faults({ delay_ms: 5000 });
    const client = new Client(sandbox.clientOptions());
    const controller = new AbortController();
    const pending = client.executeReleaseStage({ ...STAGE, signal: controller.signal });
    await sleep(200);
    const abortedAt = performance.now();
    controller.abort();
    const error = await pending.catch((e) => e);
    const latency = performance.now() - abortedAt;
    assert.ok(error instanceof AbortError, error?.stack);
    assert.equal(error.name, 'AbortError');
    assert.ok(error.cause instanceof DOMException && error.cause.name === 'AbortError');
    assert.equal(error.mayHaveExecuted, true);
    assert.ok(latency < 500, `took ${latency} ms to reject after abort`);
    assert.equal(await sandbox.requestCount(), 1);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'listener removed');
  });

  test('AbortSignal.timeout() works, with a TimeoutError as the cause', async () => {
    await sandbox.reset();
    await sandbox.faults({ delay_ms: 5000 });
    const client = new Client(sandbox.clientOptions());
    const started = performance.now();
    const error = await client.executeReleaseStage({ ...STAGE, signal: AbortSignal.timeout(150) }).catch((e) => e);
    assert.ok(error instanceof AbortError);
    assert.equal(error.cause?.name, 'TimeoutError');
    assert.ok(performance.now() - started < 1500);
  });

  test('a signal reused across many calls leaves no listener behind', async () => {
    await sandbox.reset();
    const client = new Client(sandbox.clientOptions());
    const controller = new AbortController();
    for (let i = 0; i < 20; i += 1) await client.executeReleaseStage({ ...STAGE, signal: controller.signal });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    // Aborting after the calls finished changes nothing.
    controller.abort();
  });

  test('an abort after the answer arrived does not turn the success into an error', async () => {
    await sandbox.reset();
    const client = new Client(sandbox.clientOptions());
    const controller = new AbortController();
    const r = await client.executeReleaseStage({ ...STAGE, signal: controller.signal });
    controller.abort();
    assert.equal(r.runId, 1);
  });
});

/**
 * Runs `script` (an ES module) in a fresh node process with the package importable; resolves
 * with its output and how long it lived after printing `SETTLED`.
 */
function runChild(script, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let settledAt;
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (settledAt === undefined && stdout.includes('SETTLED')) settledAt = performance.now();
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      const exitedAt = performance.now();
      resolve({ code, signal, stdout, stderr, lingerMs: settledAt === undefined ? undefined : exitedAt - settledAt });
    });
  });
}

describe('process exit', () => {
  const preamble = (url) => `
    import { Client } from 'yunxiao-appstack';
    const client = new Client({ token: ${JSON.stringify(SANDBOX_TOKEN)}, baseUrl: ${JSON.stringify(url)}, env: {} });
    const stage = ${JSON.stringify(STAGE)};
  `;

  for (const [name, body, faults] of [
    ['after a successful call', `const r = await client.executeReleaseStage(stage); console.log('SETTLED', r.runId);`],
    [
      'after a failed call',
      `const e = await client.executeReleaseStage({ ...stage, releaseStageSn: 'nope' }).catch((e) => e); console.log('SETTLED', e.code);`,
    ],
    [
      'after aborting a call whose answer would take 10 s',
      `const c = new AbortController(); const p = client.executeReleaseStage({ ...stage, signal: c.signal });
       setTimeout(() => c.abort(), 100); const e = await p.catch((e) => e); console.log('SETTLED', e.name);`,
      { delay_ms: 10_000 },
    ],
    ['with a client that never made a call', `console.log('SETTLED', client.config.edition);`],
    [
      'after a call that was never awaited (it still completes first)',
      `client.executeReleaseStage(stage).then((r) => console.log('DONE', r.runId)); console.log('SETTLED');`,
    ],
  ]) {
    test(`exits promptly ${name}`, async () => {
      await sandbox.reset();
      if (faults) await sandbox.faults(faults);
      const { code, signal, stdout, stderr, lingerMs } = await runChild(preamble(sandbox.url) + body);
      assert.equal(signal, null, `killed: ${stdout} ${stderr}`);
      assert.equal(code, 0, stderr);
      assert.ok(stdout.includes('SETTLED'), stdout);
      assert.ok(lingerMs < 1000, `lived ${lingerMs} ms after the last call settled`);
    });
  }

  test('the never-awaited call did complete before exit', async () => {
    await sandbox.reset();
    await sandbox.faults({ delay_ms: 500 });
    const { code, stdout } = await runChild(
      preamble(sandbox.url) + `client.executeReleaseStage(stage).then((r) => console.log('DONE', r.runId));`,
    );
    assert.equal(code, 0);
    assert.match(stdout, /DONE 1/);
  });
});
