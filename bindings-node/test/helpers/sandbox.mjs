// Starts the real sandbox binary (`yunxiao-sandbox --port 0`) for a test file and talks to its
// control API. No mocks: the addon sends real HTTP to this process on 127.0.0.1.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
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
  /**
   * @param {import('node:child_process').ChildProcess} child @param {string} url
   * @param {string | undefined} [caPath] the CA of an HTTPS sandbox
   */
  constructor(child, url, caPath) {
    this.child = child;
    this.url = url;
    this.port = Number(new URL(url).port);
    /** The CA file of an HTTPS sandbox (`--tls`), else undefined. */
    this.caPath = caPath;
    this.ca = caPath ? readFileSync(caPath, 'utf8') : undefined;
  }

  /** @param {string[]} [extraArgs] `--tls` serves HTTPS with a CA made at start */
  static async start(extraArgs = []) {
    const binary = sandboxBinary();
    if (!existsSync(binary)) {
      throw new Error(`sandbox binary not found at ${binary}: run \`cargo build -p yunxiao-sandbox\``);
    }
    const tls = extraArgs.includes('--tls');
    const child = spawn(binary, ['--port', '0', '--log-level', 'warn', ...extraArgs], {
      stdio: ['ignore', 'pipe', tls ? 'pipe' : 'inherit'],
    });
    const firstLine = (stream) => {
      const lines = createInterface({ input: stream });
      return new Promise((resolveLine, reject) => {
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`sandbox exited with ${code} before it started`)));
        lines.once('line', (line) => {
          lines.close();
          resolveLine(line.trim());
        });
      });
    };
    const url = await firstLine(/** @type {import('node:stream').Readable} */ (child.stdout));
    child.stdout?.resume();
    let caPath;
    if (tls) {
      // The CA's path is the first line on stderr; the rest goes on to ours.
      const line = await firstLine(/** @type {import('node:stream').Readable} */ (child.stderr));
      if (!line.startsWith('ca_path: ')) throw new Error(`the sandbox named no CA: ${line}`);
      caPath = line.slice('ca_path: '.length);
      child.stderr?.pipe(process.stderr);
    }
    return new Sandbox(child, url, caPath);
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
    if (this.ca) return this.#controlOverHttps(method, path, init);
    const response = await fetch(`${this.url}/_sandbox/${path}`, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }

  /** The control API of an HTTPS sandbox, trusting its CA (fetch cannot be given one). */
  #controlOverHttps(method, path, init) {
    return new Promise((resolveJson, reject) => {
      const req = httpsRequest(`${this.url}/_sandbox/${path}`, { method, headers: init.headers, ca: this.ca }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`sandbox ${method} ${path}: ${res.statusCode} ${text}`));
          else resolveJson(JSON.parse(text));
        });
      });
      req.on('error', reject);
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
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
    const ca = this.caPath ? { caBundle: this.caPath } : {};
    return { token: SANDBOX_TOKEN, baseUrl: this.url, env: {}, ...ca, ...extra };
  }
}
