// Starts the real sandbox binary (`yunxiao-sandbox --port 0`) for a test file and talks to its
// control API. No mocks: the addon sends real HTTP to this process on 127.0.0.1.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** bindings-node/ */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The workspace root. */
export const REPO_DIR = resolve(PACKAGE_DIR, '..');
/** The token the built-in fixture accepts. */
export const SANDBOX_TOKEN = 'pt-sandbox-token';
/** The stage most tests run. */
export const STAGE = Object.freeze({
  organizationId: 'sandbox-org',
  appName: 'my-web-service',
  releaseWorkflowSn: 'wf-main',
  releaseStageSn: 'stage-deploy',
});

/** The sandbox binary: $YUNXIAO_SANDBOX_BIN, else $CARGO_TARGET_DIR (default <repo>/target)/debug. */
export function sandboxBinary() {
  if (process.env.YUNXIAO_SANDBOX_BIN) return process.env.YUNXIAO_SANDBOX_BIN;
  const targetDir = process.env.CARGO_TARGET_DIR || join(REPO_DIR, 'target');
  return join(resolve(REPO_DIR, targetDir), 'debug', 'yunxiao-sandbox');
}

/**
 * A running sandbox. `await Sandbox.start()`, then `stop()` in `after()`.
 */
export class Sandbox {
  /** @param {import('node:child_process').ChildProcess} child @param {string} url */
  constructor(child, url) {
    this.child = child;
    this.url = url;
    this.port = Number(new URL(url).port);
  }

  /** @param {string[]} [extraArgs] */
  static async start(extraArgs = []) {
    const binary = sandboxBinary();
    if (!existsSync(binary)) {
      throw new Error(`sandbox binary not found at ${binary}: run \`cargo build -p yunxiao-sandbox\``);
    }
    const child = spawn(binary, ['--port', '0', '--log-level', 'warn', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) });
    const url = await new Promise((resolveUrl, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sandbox exited with ${code} before printing its URL`)));
      lines.once('line', (line) => resolveUrl(line.trim()));
    });
    lines.close();
    child.stdout?.resume();
    return new Sandbox(child, url);
  }

  async stop() {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }

  /** @param {string} method @param {string} path @param {unknown} [body] raw JSON text or a value */
  async control(method, path, body) {
    const init = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const response = await fetch(`${this.url}/_sandbox/${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }

  reset() {
    return this.control('POST', 'reset');
  }

  /** @param {unknown} faults one fault, an array of them, or raw JSON text */
  faults(faults) {
    return this.control('POST', 'faults', faults);
  }

  /** @returns {Promise<{count: number, requests: any[]}>} */
  requests() {
    return this.control('GET', 'requests');
  }

  async requestCount() {
    return (await this.requests()).count;
  }

  /** Client options for this sandbox, isolated from the runner's YUNXIAO_* environment. */
  clientOptions(extra = {}) {
    return { token: SANDBOX_TOKEN, baseUrl: this.url, env: {}, ...extra };
  }
}
