#!/usr/bin/env node
// One source of truth for the version: the workspace manifest (Cargo.toml). package.json must
// say the same, or the build and `npm pack` stop here. With --require-addon, also refuse to pack
// a tarball without the compiled addon, or with an addon built from another version.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** The `version` of `[workspace.package]` in the workspace's Cargo.toml. */
export function workspaceVersion() {
  const manifest = readFileSync(join(root, '..', 'Cargo.toml'), 'utf8');
  const section = manifest.split(/^\[/m).find((s) => s.startsWith('workspace.package]'));
  const match = section && /^version\s*=\s*"([^"]+)"/m.exec(section);
  if (!match) throw new Error('no version in [workspace.package] of ../Cargo.toml');
  return match[1];
}

/** The `version` of bindings-node/package.json. */
export function packageVersion() {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cargo = workspaceVersion();
  const npm = packageVersion();
  if (cargo !== npm) {
    console.error(
      `version mismatch: Cargo.toml [workspace.package] says ${cargo}, bindings-node/package.json says ${npm}; ` +
        'set package.json\'s "version" to the workspace version',
    );
    process.exit(1);
  }
  if (process.argv.includes('--require-addon')) {
    if (!existsSync(join(root, 'yunxiao-appstack.linux-x64-gnu.node')) || !existsSync(join(root, 'native.js'))) {
      console.error('the native addon is not built: run `npm run build` before packing');
      process.exit(1);
    }
    const native = createRequire(import.meta.url)('../native.js');
    if (native.coreVersion() !== cargo) {
      console.error(`the built addon is version ${native.coreVersion()}, not ${cargo}: rebuild it`);
      process.exit(1);
    }
  }
}
