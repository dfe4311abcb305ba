// Connection reuse, counted by the sandbox: sequential calls on one client keep one connection
// (executes, and reads through the generic bridge), and a pooled connection the server closed
// while idle is replaced, never mistaken for a call that may have executed.

import assert from 'node:assert/strict';
import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { Client } from '../index.mjs';
import { STAGE, Sandbox } from './helpers/sandbox.mjs';

/** @type {Sandbox} */
let sandbox;
/** @type {Sandbox} */
let closing;
before(async () => {
  sandbox = await Sandbox.start();
  // Closes connections idle for 100 ms.
  closing = await Sandbox.start(['--idle-timeout-ms', '100']);
});
after(async () => {
  await sandbox?.stop();
  await closing?.stop();
});

/**
 * The connections the server has accepted, this request's own included: it comes on a fresh
 * connection (no agent), unlike the control API's pooled fetch.
 * @param {Sandbox} server
 * @returns {Promise<number>}
 */
function connectionsAccepted(server) {
  return new Promise((resolve, reject) => {
    get(`${server.url}/_sandbox/health`, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text).connections_accepted));
    }).on('error', reject);
  });
}

describe('connections', () => {
  test('sequential calls share one connection', async () => {
    await sandbox.reset();
    const client = new Client(sandbox.clientOptions());
    const before = await connectionsAccepted(sandbox);
    await client.executeReleaseStage(STAGE); // run 1 of the freshly reset sandbox
    for (let i = 0; i < 5; i++) {
      await client.executeReleaseStage(STAGE);
      await client.getReleaseStagePipelineRun({ ...STAGE, executionNumber: 1 });
    }
    // The client's one connection, and the second health request's own.
    assert.equal((await connectionsAccepted(sandbox)) - before, 2);
  });

  test('a connection the server closed while idle is not used', async () => {
    await closing.reset();
    const client = new Client(closing.clientOptions());
    for (let round = 0; round < 3; round++) {
      const before = await connectionsAccepted(closing);
      // Rejects with a "may have executed" error if sent on the closed connection.
      await client.executeReleaseStage(STAGE);
      assert.equal((await connectionsAccepted(closing)) - before, 2, `round ${round}: a new connection`);
      await sleep(600);
    }
    const { requests } = await closing.requests();
    assert.equal(requests.filter((r) => r.path.endsWith(':execute')).length, 3);
  });
});
