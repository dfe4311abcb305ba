// The token never appears in anything a program can print: messages, stacks, util.inspect and
// console output of the client and of every kind of error, JSON of errors, Node's own report of
// an unhandled rejection — even when the server echoes the token back.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';

import { PACKAGE_DIR, STAGE, Sandbox } from './helpers/sandbox.mjs';

const SECRET = 'pt-node-secret-7f3a9c21e4b84d0c';
const WRONG_SECRET = 'pt-node-wrong-secret-0b7e4a1c8000';

/** @type {Sandbox} */
let sandbox;
before(async () => {
  sandbox = await Sandbox.start(['--token', SECRET]);
});
after(() => sandbox?.stop());

test('no output of a program using the library contains the token', async () => {
  await sandbox.reset();
  // The server echoes the token back in an error body, in a header, and in a success body.
  await sandbox.faults([
    { status: 500, body: { errorCode: 'Echo', errorMessage: `you sent ${SECRET}`, requestId: SECRET } },
    { status: 502, body: `<html>${SECRET}</html>` },
    { status: 200, body: `not json ${SECRET}` },
  ]);
  const script = `
    import { inspect } from 'node:util';
    import * as y from 'yunxiao-appstack';
    const stage = ${JSON.stringify(STAGE)};
    const base = { baseUrl: ${JSON.stringify(sandbox.url)}, env: {}, maxRetries: 0 };
    const show = (label, value) => {
      console.log(label, value);
      console.log(inspect(value, { showHidden: true, depth: Infinity, getters: true }));
      if (value instanceof Error) {
        console.error(value.stack);
        console.log(JSON.stringify(value), JSON.stringify(Object.getOwnPropertyDescriptors(value)));
        console.log(String(value), value.message, Object.entries(value));
      }
    };
    const client = new y.Client({ ...base, token: ${JSON.stringify(SECRET)} });
    show('client', client);
    show('config', client.config);
    for (let i = 0; i < 3; i += 1) {
      show('echo', await client.executeReleaseStage(stage).catch((e) => e));
    }
    show('ok', await client.executeReleaseStage(stage));
    const wrong = new y.Client({ ...base, token: ${JSON.stringify(WRONG_SECRET)} });
    show('wrong client', wrong);
    show('auth', await wrong.executeReleaseStage(stage).catch((e) => e));
    show('newline', (() => { try { new y.Client({ ...base, token: ${JSON.stringify(SECRET + '\n')} }); } catch (e) { return e; } })());
    show('space', (() => { try { new y.Client({ ...base, token: ${JSON.stringify('pt secret ' + SECRET)} }); } catch (e) { return e; } })());
    show('type', (() => { try { new y.Client({ ...base, token: [${JSON.stringify(SECRET)}] }); } catch (e) { return e; } })());
    show('invalid', await client.executeReleaseStage({ ...stage, appName: '' }).catch((e) => e));
    show('abort', await client.executeReleaseStage({ ...stage, signal: AbortSignal.abort() }).catch((e) => e));
    show('env client', new y.Client({ baseUrl: ${JSON.stringify(sandbox.url)}, env: { YUNXIAO_ACCESS_TOKEN: ${JSON.stringify(SECRET)} } }));
    console.log('FINISHED');
    // Let Node itself report an error with all its fields.
    await wrong.executeReleaseStage(stage);
  `;
  const { code, stdout, stderr } = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
  });
  assert.ok(stdout.includes('FINISHED'), `${stdout}\n${stderr}`);
  assert.equal(code, 1, 'the final unhandled rejection ends the program');
  assert.match(stderr, /AuthenticationError/);
  // What the program printed covers every path: sanity-check a few of them.
  assert.match(stdout, /InternalServerError/);
  assert.match(stdout, /ResponseDecodeError/);
  assert.match(stdout, /ConfigurationError/);
  assert.match(stdout, /runId: 1/);
  for (const secret of [SECRET, WRONG_SECRET, SECRET.slice(3)]) {
    assert.ok(!stdout.includes(secret), `the token appears on stdout:\n${stdout}`);
    assert.ok(!stderr.includes(secret), `the token appears on stderr:\n${stderr}`);
  }
  assert.equal(await sandbox.requestCount(), 6);
});

test('the generic path and the proxy setting show neither the token nor the proxy password', async () => {
  await sandbox.reset();
  await sandbox.faults([{ status: 500, body: { errorCode: 'Echo', errorMessage: `you sent ${SECRET}` } }]);
  const { Client } = await import('../index.js');
  const { inspect } = await import('node:util');
  const proxyPassword = 'proxy-pass-5d1e9a';
  const client = new Client({ token: SECRET, baseUrl: sandbox.url, env: {}, maxRetries: 0 });
  const proxied = new Client({ token: SECRET, baseUrl: sandbox.url, env: {}, proxy: `http://user:${proxyPassword}@127.0.0.1:9` });
  const shown = [inspect(proxied, { depth: Infinity, showHidden: true }), JSON.stringify(proxied.config)];
  assert.equal(proxied.config.proxy, true);
  for (const call of [
    () => client.getReleaseStagePipelineRun({ ...STAGE, executionNumber: 1 }),
    () => client.waitForRun({ ...STAGE, executionNumber: 1, deadlineMs: 1000, pollInitialMs: 5 }),
    () => proxied.getReleaseStagePipelineRun({ ...STAGE, executionNumber: 1 }),
  ]) {
    const error = await call().then(() => assert.fail('expected an error'), (e) => e);
    shown.push(error.stack, inspect(error, { depth: Infinity, showHidden: true }), JSON.stringify(error));
  }
  for (const text of shown) {
    assert.ok(!text.includes(SECRET), `the token appears: ${text}`);
    assert.ok(!text.includes(proxyPassword), `the proxy password appears: ${text}`);
  }
});
