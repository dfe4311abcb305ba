// The package as users get it: the version comes from the one source (Cargo.toml), `npm pack`
// gives a tarball carrying the compiled addon that installs into an empty project with no
// network and works from CommonJS and ESM, `npm install <folder>` works, and the README's
// TypeScript example compiles with `tsc --strict` against the shipped declarations.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { VERSION } from '../index.mjs';
import { coreVersion } from '../native.js';
import { packageVersion, workspaceVersion } from '../scripts/check-version.mjs';
import { PACKAGE_DIR, REPO_DIR, SANDBOX_TOKEN, STAGE, Sandbox } from './helpers/sandbox.mjs';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(PACKAGE_DIR, 'node_modules', 'typescript', 'bin', 'tsc');

/** npm with no way to reach a registry: an unreachable one, a fresh cache, offline mode. */
function npmEnv(cache) {
  return {
    ...process.env,
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_cache: cache,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/** The README's TypeScript example: the ```ts block after the marker comment. */
function readmeTypeScriptExample() {
  const marker = '<!-- node-typescript-example -->';
  for (const readme of [join(PACKAGE_DIR, 'README.md'), join(REPO_DIR, 'README.md')]) {
    if (!existsSync(readme)) continue;
    const text = readFileSync(readme, 'utf8');
    const at = text.indexOf(marker);
    if (at < 0) continue;
    const block = /```ts\n([\s\S]*?)\n```/.exec(text.slice(at));
    assert.ok(block, `no \`\`\`ts block after ${marker} in ${readme}`);
    return block[1];
  }
  assert.fail(`no ${marker} in bindings-node/README.md or README.md`);
}

describe('version', () => {
  test('package.json, Cargo.toml and the compiled addon agree', () => {
    assert.equal(packageVersion(), workspaceVersion(), 'package.json version must equal [workspace.package] version');
    assert.equal(coreVersion(), workspaceVersion(), 'the addon was built from another version: rebuild it');
    assert.equal(VERSION, workspaceVersion());
  });
});

describe('installed from the npm pack tarball, offline', () => {
  /** @type {Sandbox} */
  let sandbox;
  let work;
  let project;
  let tarball;

  before(async () => {
    sandbox = await Sandbox.start();
    work = mkdtempSync(join(tmpdir(), 'yunxiao-node-pack-'));
    const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', work], {
      cwd: PACKAGE_DIR,
      env: npmEnv(join(work, 'cache')),
    });
    const [info] = JSON.parse(stdout.slice(stdout.indexOf('[')));
    tarball = join(work, info.filename);
    project = join(work, 'project');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', private: true }));
    await run(NPM, ['install', tarball], { cwd: project, env: npmEnv(join(work, 'cache')) });
    // The pack info, for the contents test.
    writeFileSync(join(work, 'pack.json'), JSON.stringify(info));
  });

  after(async () => {
    await sandbox?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the tarball carries the addon, the wrapper and the types, and no sources', () => {
    const info = JSON.parse(readFileSync(join(work, 'pack.json'), 'utf8'));
    const files = info.files.map((f) => f.path).sort();
    for (const needed of [
      'yunxiao-appstack.linux-x64-gnu.node',
      'native.js',
      'native.d.ts',
      'index.js',
      'index.mjs',
      'index.d.ts',
      'index.d.mts',
      'lib/client.js',
      'lib/errors.js',
      'lib/args.js',
      'lib/catalog.js',
      'package.json',
      'README.md',
    ]) {
      assert.ok(files.includes(needed), `${needed} missing from ${files.join(', ')}`);
    }
    for (const file of files) assert.ok(!/^(src|test|scripts|node_modules)\/|Cargo\.toml|build\.rs/.test(file), `${file} shipped`);
    assert.equal(info.version, workspaceVersion());
  });

  const script = (url, form) => {
    const load =
      form === 'cjs'
        ? `const y = require('yunxiao-appstack');`
        : `import * as y from 'yunxiao-appstack';`;
    const body = `
      const client = new y.Client({ token: ${JSON.stringify(SANDBOX_TOKEN)}, baseUrl: ${JSON.stringify(url)}, env: {} });
      const main = async () => {
        const r = await client.executeReleaseStage(${JSON.stringify(STAGE)});
        const e = await client.executeReleaseStage({ ...${JSON.stringify(STAGE)}, releaseStageSn: 'missing' }).catch((e) => e);
        console.log(JSON.stringify({ runId: r.runId, notFound: e instanceof y.NotFoundError, version: y.VERSION }));
      };
      main();
    `;
    return load + body;
  };

  for (const form of ['cjs', 'esm']) {
    test(`works from ${form === 'cjs' ? 'CommonJS' : 'an ES module'} in the empty project`, async () => {
      await sandbox.reset();
      const file = join(project, form === 'cjs' ? 'check.cjs' : 'check.mjs');
      writeFileSync(file, script(sandbox.url, form));
      const { stdout } = await run(process.execPath, [file], { cwd: project });
      assert.deepEqual(JSON.parse(stdout), { runId: 1, notFound: true, version: workspaceVersion() });
      // The copy in the project was used, not this checkout.
      const resolved = await run(process.execPath, ['-p', "require.resolve('yunxiao-appstack')"], { cwd: project });
      assert.ok(resolved.stdout.startsWith(join(project, 'node_modules')), resolved.stdout);
    });
  }

  /** Runs tsc --strict (through a tsconfig) over one file of the project; returns its result. */
  async function typeCheck(file) {
    const config = `tsconfig.${file}.json`;
    writeFileSync(
      join(project, config),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022'],
          types: ['node'],
          typeRoots: [join(PACKAGE_DIR, 'node_modules', '@types')],
          skipLibCheck: false,
        },
        files: [file],
      }),
    );
    const result = await run(process.execPath, [TSC, '-p', config], { cwd: project }).catch((e) => e);
    return { code: result.code ?? 0, output: `${result.stdout}${result.stderr}` };
  }

  test("the README's TypeScript example compiles with tsc --strict against the shipped types", async () => {
    writeFileSync(join(project, 'example.mts'), readmeTypeScriptExample());
    const { code, output } = await typeCheck('example.mts');
    assert.equal(code, 0, output);
  });

  test('tsc rejects misuse of the shipped types (the check has teeth)', async () => {
    writeFileSync(
      join(project, 'wrong.mts'),
      `import { Client } from 'yunxiao-appstack';\n` +
        `const c = new Client({ timeoutMs: '5s' });\n` +
        `const r = await c.executeReleaseStage({ appName: 'a', releaseWorkflowSn: 'w' });\n` +
        `const n: number = r.runId;\n` +
        `export { n };\n`,
    );
    const { code, output } = await typeCheck('wrong.mts');
    assert.notEqual(code, 0);
    assert.match(output, /wrong\.mts\(2,\d+\): error TS2322/, 'timeoutMs must be a number');
    assert.match(output, /releaseStageSn' is missing/);
    assert.match(output, /wrong\.mts\(4,\d+\): error TS2322: Type 'number \| bigint \| undefined'/);
  });
});

describe('installed from the folder', () => {
  test('npm install <bindings-node> in an empty project works', async () => {
    const sandbox = await Sandbox.start();
    const work = mkdtempSync(join(tmpdir(), 'yunxiao-node-dir-'));
    try {
      writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', private: true }));
      await run(NPM, ['install', PACKAGE_DIR], { cwd: work, env: npmEnv(join(work, 'cache')) });
      assert.ok(readdirSync(join(work, 'node_modules')).includes('yunxiao-appstack'));
      writeFileSync(
        join(work, 'check.cjs'),
        `const { Client } = require('yunxiao-appstack');
         new Client({ token: ${JSON.stringify(SANDBOX_TOKEN)}, baseUrl: ${JSON.stringify(sandbox.url)}, env: {} })
           .executeReleaseStage(${JSON.stringify(STAGE)}).then((r) => console.log(r.runId));`,
      );
      const { stdout } = await run(process.execPath, ['check.cjs'], { cwd: work });
      assert.equal(stdout.trim(), '1');
    } finally {
      await sandbox.stop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
