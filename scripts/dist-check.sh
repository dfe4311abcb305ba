#!/usr/bin/env bash
# `make dist-check`: uses the artefacts in dist/ as a user would, offline, against the sandbox,
# and checks that every binary in them runs on the glibc baseline:
#
#  1. SHA256SUMS matches; every expected artefact is there
#  2. the glibc symbol-version ceiling of every binary (the wheel's .so, the npm package's .node,
#     the CLI, the C library's .so) is at most DIST_GLIBC (objdump -T), and the wheel's tag is
#     the manylinux one auditwheel confirms
#  3. the wheel into a fresh venv with pip --no-index, the npm tarball into an empty npm project
#     with npm --offline; one call each against the sandbox
#  4. the CLI from its tarball, and a C program built with the tarball's relocatable pkg-config
#     file, one call each against the sandbox
#  5. `make install PREFIX=<tmp>` (INSTALL_PROFILE=dev: what the suites built already) puts the
#     CLI beside the C library, and both work from there
#
# Needs the sandbox binary ($CARGO_TARGET_DIR/debug/yunxiao-sandbox; built when missing).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
glibc=${DIST_GLIBC:-2.17}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
case $CARGO_TARGET_DIR in /*) ;; *) CARGO_TARGET_DIR=$root/$CARGO_TARGET_DIR ;; esac
dist=$root/dist
venv=$root/.venv
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
token=pt-sandbox-token
org=sandbox-org

work=$(mktemp -d)
sandbox_pid=
cleanup() {
  if [[ -n $sandbox_pid ]]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() { # check NAME COMMAND...: runs it, counts it
  local name=$1
  shift
  printf '\n== %s\n' "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "!! FAILED: $name"
  fi
}

wheel=$(ls "$dist"/yunxiao_appstack-"$version"-*.whl 2>/dev/null | head -n 1 || true)
sdist=$dist/yunxiao_appstack-$version.tar.gz
npm_tgz=$dist/yunxiao-appstack-$version.tgz
cli_tgz=$dist/yunxiao-appstack-cli-$version-x86_64-linux-gnu.tar.gz
c_tgz=$dist/libyunxiao_appstack-$version-x86_64-linux-gnu.tar.gz

# --- 1. the artefacts ---------------------------------------------------------------------------
artefacts_present() {
  local f ok=0
  for f in "$wheel" "$sdist" "$npm_tgz" "$cli_tgz" "$c_tgz" "$dist/SHA256SUMS"; do
    if [[ -n $f && -f $f ]]; then printf '%8s  %s\n' "$(du -k "$f" | cut -f1)K" "${f#"$dist"/}"; else
      echo "missing: ${f:-the wheel}"
      ok=1
    fi
  done
  return $ok
}
check "every artefact is in dist/" artefacts_present
check "SHA256SUMS matches" bash -c "cd '$dist' && sha256sum --quiet -c SHA256SUMS"

# --- 2. glibc ceiling ---------------------------------------------------------------------------
mkdir -p "$work/unpacked"
(cd "$work/unpacked" && mkdir wheel npm cli c &&
  python3 -m zipfile -e "$wheel" wheel &&
  tar -xzf "$npm_tgz" -C npm && tar -xzf "$cli_tgz" -C cli && tar -xzf "$c_tgz" -C c)
binaries=(
  "$(ls "$work"/unpacked/wheel/yunxiao_appstack/_native*.so)"
  "$(ls "$work"/unpacked/npm/package/*.node)"
  "$work/unpacked/cli/yunxiao-appstack-cli-$version-x86_64-linux-gnu/bin/yunxiao-appstack"
  "$(ls "$work"/unpacked/c/libyunxiao_appstack-*/lib/libyunxiao_appstack.so.*.*.*)"
)
glibc_ceiling() { # the highest GLIBC_x.y version a binary needs
  objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -u -V | tail -n 1
}
ceilings_ok() {
  local binary ceiling ok=0
  for binary in "${binaries[@]}"; do
    ceiling=$(glibc_ceiling "$binary")
    printf '  GLIBC_%-6s %s\n' "$ceiling" "${binary#"$work"/unpacked/}"
    if [[ -z $ceiling ]] || [[ $(printf '%s\n%s\n' "$ceiling" "$glibc" | sort -V | tail -n 1) != "$glibc" ]]; then
      echo "  ^ needs a glibc newer than $glibc"
      ok=1
    fi
  done
  return $ok
}
check "every binary needs at most GLIBC_$glibc (objdump -T)" ceilings_ok
wheel_tag_ok() {
  local tag=manylinux_${glibc/./_}_x86_64
  [[ $(basename "$wheel") == *-cp39-abi3-*"$tag"*.whl ]] || { echo "wheel name: $(basename "$wheel")"; return 1; }
  "$venv/bin/auditwheel" show "$wheel" | tee "$work/auditwheel.txt"
  grep -q "$tag" "$work/auditwheel.txt"
}
check "the wheel is tagged manylinux (auditwheel show)" wheel_tag_ok
stripped() {
  local binary=${binaries[2]}
  file -b "$binary" 2>/dev/null || true
  # .debug_gdb_scripts (a pretty-printer hint rustc always emits) is no debug information.
  ! readelf -S --wide "$binary" | grep -q '\.symtab\|\.debug_info\|\.debug_line'
}
check "the CLI binary is stripped" stripped

# --- the sandbox --------------------------------------------------------------------------------
sandbox=$CARGO_TARGET_DIR/debug/yunxiao-sandbox
[[ -x $sandbox ]] || cargo build --quiet -p yunxiao-sandbox
"$sandbox" --port 0 --log-level warn >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 100); do
  [[ -s $work/sandbox.out ]] && break
  sleep 0.1
done
url=$(head -n 1 "$work/sandbox.out")
[[ $url == http://* ]] || { echo "the sandbox did not start"; cat "$work/sandbox.err"; exit 1; }
echo "sandbox at $url"
# The environment of one call: the sandbox, and nothing of this shell's YUNXIAO_* settings.
user_env=(env -u YUNXIAO_EDITION -u YUNXIAO_TIMEOUT -u YUNXIAO_CONNECT_TIMEOUT -u YUNXIAO_MAX_RETRIES
  -u LD_LIBRARY_PATH -u PKG_CONFIG_PATH
  YUNXIAO_ACCESS_TOKEN=$token YUNXIAO_API_BASE_URL=$url YUNXIAO_ORGANIZATION_ID=$org)
reset() { python3 -c "import urllib.request,sys; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + '/_sandbox/reset', data=b'', method='POST'), timeout=30)" "$url"; }

# --- 3. the wheel and the npm package, offline --------------------------------------------------
python_call() {
  reset
  python3 -m venv "$work/venv"
  "$work/venv/bin/python" -m pip install --quiet --no-index --no-deps --disable-pip-version-check "$wheel"
  (cd "$work" && "${user_env[@]}" "$work/venv/bin/python" -c '
import yunxiao_appstack as yx
run = yx.execute_release_stage("my-web-service", "wf-main", "stage-deploy")
assert (run.run_id, run.http_status) == (1, 200), run
print("python:", yx.__version__, run)
')
}
check "the wheel in a fresh venv (pip --no-index): one call" python_call
node_call() {
  reset
  mkdir -p "$work/npm-project"
  (cd "$work/npm-project" && npm init -y >/dev/null &&
    npm install --offline --no-audit --no-fund --loglevel=error "$npm_tgz" &&
    "${user_env[@]}" node -e '
const { executeReleaseStage, VERSION } = require("yunxiao-appstack");
executeReleaseStage({ appName: "my-web-service", releaseWorkflowSn: "wf-main", releaseStageSn: "stage-deploy" })
  .then((run) => {
    if (run.runId !== 1 || run.httpStatus !== 200) throw new Error(JSON.stringify(run));
    console.log("node:", VERSION, "run", run.runId, "request", run.requestId);
  })
  .catch((e) => { console.error(e); process.exitCode = 1; });
')
}
check "the npm tarball in an empty npm project (npm --offline): one call" node_call

# --- 4. the CLI and the C library tarballs -------------------------------------------------------
cli_call() { # cli_call BINARY
  reset
  local out
  out=$("${user_env[@]}" "$1" release-stage execute --app my-web-service --workflow wf-main \
    --stage stage-deploy --output json) || { echo "$out"; return 1; }
  echo "cli: $out"
  python3 -c 'import json,sys; r = json.loads(sys.argv[1]); assert r.get("runId") == 1, r' "$out"
}
check "the CLI from its tarball: one call" cli_call "${binaries[2]}"
c_call() { # c_call PKG_CONFIG_PATH: the README's example, linked through pkg-config with -rpath
  reset
  local example=$work/deploy.c libdir
  python3 - "$root/README.md" "$example" <<'EOF'
import re, sys
blocks = re.findall(r"^```c\n(.*?)^```", open(sys.argv[1], encoding="utf-8").read(), re.S | re.M)
open(sys.argv[2], "w", encoding="utf-8").write(next(b for b in blocks if "int main" in b))
EOF
  libdir=$(PKG_CONFIG_PATH=$1 pkg-config --variable=libdir yunxiao-appstack)
  # shellcheck disable=SC2046
  cc -std=c11 -Wall -Werror "$example" $(PKG_CONFIG_PATH=$1 pkg-config --cflags --libs yunxiao-appstack) \
    -Wl,-rpath,"$libdir" -o "$work/deploy"
  "${user_env[@]}" "$work/deploy" my-web-service wf-main stage-deploy | tee "$work/deploy.out"
  grep -q '^started run 1 ' "$work/deploy.out"
}
check "the C tarball (relocatable .pc): the README example builds and calls" \
  c_call "$(ls -d "$work"/unpacked/c/libyunxiao_appstack-*/lib/pkgconfig)"

# --- 5. make install ----------------------------------------------------------------------------
make_install() {
  local prefix=$work/prefix
  make --no-print-directory install PREFIX="$prefix" INSTALL_PROFILE=dev >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; return 1; }
  ls "$prefix/bin" "$prefix/lib" "$prefix/include"
  [[ -x $prefix/bin/yunxiao-appstack && -f $prefix/lib/pkgconfig/yunxiao-appstack.pc ]] || return 1
  cli_call "$prefix/bin/yunxiao-appstack" && c_call "$prefix/lib/pkgconfig"
}
check "make install PREFIX=…: the CLI beside the C library, both work" make_install

echo
echo "dist-check: $passed passed, $failed failed"
((failed == 0))
