#!/usr/bin/env bash
# Builds and tests the Node binding from a fresh clone: npm dependencies, the generated files'
# drift check, Rust lints, the addon, the sandbox, type checks, then the whole node:test suite
# (every conformance vector of every operation, the lifecycle scenarios on the sandbox's fast
# clock, every fault kind, runtime behaviour, token hygiene, and the npm-pack/offline-install
# check in test/package.test.mjs). Exits non-zero on the first failure. Needs no stdin (CI=true is fine).
#
# Environment:
#   CARGO_TARGET_DIR  where Cargo builds (default: <repo>/target); the addon lands in
#                     $CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/<profile>/ (the napi CLI always
#                     passes --target), the sandbox in $CARGO_TARGET_DIR/debug/.
#   NODE_BUILD_PROFILE  debug (default) or release.
#
# Why debug by default: the suite checks behaviour, not speed, and a debug addon builds in about
# half the time of a release one on the 2-core CI machine, which shares its 90 minutes with the
# other bindings. `npm run build` (what users and `npm pack` for distribution use) is release.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$here/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
case "$target_dir" in
  /*) ;;
  *) target_dir="$PWD/$target_dir" ;;
esac
export CARGO_TARGET_DIR="$target_dir"
profile="${NODE_BUILD_PROFILE:-debug}"

step() { printf '\n==> %s\n' "$*"; }

step "checking the toolchain"
command -v node >/dev/null || { echo "node is not installed (Node.js >= 20 is needed)" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is not installed" >&2; exit 1; }
node -e 'const [major] = process.versions.node.split(".").map(Number); if (major < 20) { console.error(`Node.js >= 20 is needed, found ${process.version}`); process.exit(1); }'
echo "node $(node --version), npm $(npm --version), $(cargo --version)"

cd "$here"

step "installing npm dependencies (npm ci --ignore-scripts)"
npm_log="$(mktemp)"
npm ci --ignore-scripts --no-audit --no-fund 2>&1 | tee "$npm_log"
# The README promises Node 20: no dependency may want a newer one (package.json's overrides pin
# the build tools' dependencies that did).
if grep -q EBADENGINE "$npm_log"; then
  echo "npm ci printed EBADENGINE on node $(node --version): a dependency wants a newer Node" >&2
  rm -f "$npm_log"
  exit 1
fi
rm -f "$npm_log"

step "checking that package.json's version is the workspace version"
node scripts/check-version.mjs

step "checking the generated files against core/catalog.json (scripts/generate.mjs --check)"
node scripts/generate.mjs --check

step "Rust lints (cargo fmt, clippy -D warnings)"
(cd "$repo" && cargo fmt -p yunxiao-appstack-node -- --check)
(cd "$repo" && cargo clippy -p yunxiao-appstack-node --all-targets -- -D warnings)

# With the artefact toolchain in .venv (`make dist-tools`, which `make test` runs first), the
# addon is linked by zig against glibc 2.17, exactly as `make dist` links the npm package's, and
# `make test`'s dist build reuses this one. Without it, the host's linker.
zig_args=()
if [ -x "$repo/.venv/bin/cargo-zigbuild" ]; then
  export PATH="$repo/.venv/bin:$PATH"
  zig_args=(--cross-compile --target x86_64-unknown-linux-gnu.2.17)
fi
step "building the addon ($profile${zig_args:+, zig, glibc 2.17})"
case "$profile" in
  debug) npm run build:debug -- "${zig_args[@]}" ;;
  release) npm run build -- "${zig_args[@]}" ;;
  *) echo "NODE_BUILD_PROFILE must be debug or release, not $profile" >&2; exit 1 ;;
esac

step "building the sandbox"
(cd "$repo" && cargo build -p yunxiao-sandbox)

step "type checks (tsc --strict over the wrapper, the declarations and test/consumer.ts, which makes every call)"
npm run typecheck

step "node --test"
export YUNXIAO_SANDBOX_BIN="$CARGO_TARGET_DIR/debug/yunxiao-sandbox"
# A hung test fails after two minutes instead of holding CI until its limit.
node --test --test-concurrency=1 --test-timeout=120000 test/*.test.mjs
