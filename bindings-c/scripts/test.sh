#!/usr/bin/env bash
# The whole test suite of the C interface; exits non-zero on any failure. Works on a fresh
# machine (installs what is missing with apt-get), with CI=true and no stdin.
#
#  1. tools: a C compiler, pkg-config, valgrind, python3, readelf
#  2. cargo fmt --check, clippy -D warnings, the crate's Rust tests (header is a fresh
#     generation, version macros, documented defaults, conversions)
#  3. the sandbox; the library installed into a temporary prefix (bindings-c/scripts/install.sh)
#  4. the C programs compiled with -std=c11 -Wall -Wextra -Werror -pedantic through pkg-config:
#     shared, static (yunxiao-appstack-static.pc, and -static with pkg-config --static), and
#     with -fsanitize=address,undefined; the header alone as C and as C++
#  5. against the sandbox: the API test, 8 threads x 50 calls, every conformance vector of every
#     operation (through yx_client_call, and execute's through yx_client_execute too), the
#     lifecycle scenarios (a second sandbox with --clock-scale 1000), the README's example —
#     shared, static, sanitized, and under valgrind
#
# Honours CARGO_TARGET_DIR (default: the workspace's target/).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
tests=$root/bindings-c/tests
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -g)

# --- 1. tools ---------------------------------------------------------------------------------
need=()
command -v cc >/dev/null || need+=(gcc libc6-dev)
command -v c++ >/dev/null || need+=(g++)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v valgrind >/dev/null || need+=(valgrind)
command -v python3 >/dev/null || need+=(python3)
command -v readelf >/dev/null || need+=(binutils)
if ((${#need[@]})); then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null
fi

work=$(mktemp -d)
sandbox_pid=
fast_pid=
tls_pid=
cleanup() {
  local pid
  for pid in $sandbox_pid $fast_pid ${tls_pid:-}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Every step runs through `step`: its output is shown, and the counts of its "N passed, M failed"
# lines (cargo's "N passed; M failed" too) are added to the totals; a step without any counts as
# one check.
passed=0
failed=0
failed_steps=()
step() {
  local name=$1
  shift
  echo "== $name"
  local log=$work/step.log status=0
  "$@" </dev/null 2>&1 | tee "$log" || status=$?
  local counts line
  counts=$(grep -Eo '[0-9]+ passed[;,] [0-9]+ failed' "$log" || true)
  while read -r line; do
    [[ -n $line ]] || continue
    passed=$((passed + $(cut -d' ' -f1 <<<"$line")))
    failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
  done <<<"$counts"
  if [[ -z $counts ]] && ((status == 0)); then
    passed=$((passed + 1))
  fi
  if ((status != 0)); then
    [[ -n $counts ]] || failed=$((failed + 1))
    failed_steps+=("$name")
    echo "!! $name failed (exit status $status)"
  fi
}

# --- 2. Rust side -----------------------------------------------------------------------------
step "cargo fmt --check" cargo fmt -p yunxiao-appstack-c -- --check
step "cargo clippy -D warnings" cargo clippy -p yunxiao-appstack-c --all-targets -- -D warnings
step "cargo test (unit tests, header freshness, version macros)" cargo test -p yunxiao-appstack-c
step "generated files are fresh (scripts/generate.py --check)" python3 "$root/bindings-c/scripts/generate.py" --check
step "python harness parses" python3 -c "import ast, sys; ast.parse(open(sys.argv[1], encoding='utf-8').read())" "$tests/run_vectors.py"

# --- 3. sandbox and installation ---------------------------------------------------------------
cargo build -p yunxiao-sandbox
prefix=$work/prefix
step "install into a temporary prefix" env YX_PROFILE=dev "$root/bindings-c/scripts/install.sh" "$prefix"
if [[ ! -f $prefix/lib/pkgconfig/yunxiao-appstack.pc ]]; then
  echo "the installation failed; nothing else can run"
  exit 1
fi
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
libdir=$(pkg-config --variable=libdir yunxiao-appstack)

"$CARGO_TARGET_DIR/debug/yunxiao-sandbox" --port 0 --log-level info >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 100); do
  [[ -s $work/sandbox.out ]] && break
  sleep 0.1
done
export YX_SANDBOX_URL
YX_SANDBOX_URL=$(head -n 1 "$work/sandbox.out")
if [[ $YX_SANDBOX_URL != http://* ]]; then
  echo "the sandbox did not start:"
  cat "$work/sandbox.err"
  exit 1
fi
echo "sandbox at $YX_SANDBOX_URL"
# The lifecycle scenarios run against their own sandbox with a fast clock (a 10 s job: 10 ms).
"$CARGO_TARGET_DIR/debug/yunxiao-sandbox" --port 0 --clock-scale 1000 >"$work/fast.out" 2>"$work/fast.err" &
fast_pid=$!
for _ in $(seq 100); do
  [[ -s $work/fast.out ]] && break
  sleep 0.1
done
fast_url=$(head -n 1 "$work/fast.out")
if [[ $fast_url != http://* ]]; then
  echo "the fast-clock sandbox did not start:"
  cat "$work/fast.err"
  exit 1
fi
# Its stderr is a file here, not a terminal: plain text, no ANSI colour codes.
# The vectors once more over HTTPS: a third sandbox with --tls, its CA (first stderr line) trusted
# through ca_bundle.
"$CARGO_TARGET_DIR/debug/yunxiao-sandbox" --port 0 --tls --tls-dir "$work/tls" --log-level warn \
  >"$work/tls.out" 2>"$work/tls.err" &
tls_pid=$!
for _ in $(seq 100); do
  [[ -s $work/tls.out ]] && break
  sleep 0.1
done
tls_url=$(head -n 1 "$work/tls.out")
tls_ca=$(sed -n 's/^ca_path: //p' "$work/tls.err" | head -n 1)
if [[ $tls_url != https://* || ! -s $tls_ca ]]; then
  echo "the https sandbox did not start:"
  cat "$work/tls.err"
  exit 1
fi

sandbox_log_is_plain() {
  grep -q 'listening' "$work/sandbox.err" || { echo "no 'listening' line in the sandbox's log"; return 1; }
  if grep -q $'\x1b' "$work/sandbox.err"; then
    echo "the sandbox wrote colour codes to a file:"
    cat -v "$work/sandbox.err"
    return 1
  fi
}
step "the sandbox logs plain text to a non-terminal stderr" sandbox_log_is_plain

# --- 4. compile ---------------------------------------------------------------------------------
# The README's example: every ```c block with a main() in the project README's C section (and in
# the package README, should it grow one).
mkdir -p "$work/src"
extract_examples() {
  local n=0 readme
  for readme in "$root/bindings-c/README.md" "$root/README.md"; do
    [[ -f $readme ]] || continue
    python3 - "$readme" "$work/src" "$n" <<'EOF'
import re, sys
readme, out, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
blocks = re.findall(r"^```c\n(.*?)^```", open(readme, encoding="utf-8").read(), re.S | re.M)
for i, block in enumerate(b for b in blocks if "int main" in b and "yunxiao_appstack.h" in b):
    open(f"{out}/example{start + i}.c", "w", encoding="utf-8").write(block)
EOF
    n=$(ls "$work/src"/example*.c 2>/dev/null | wc -l)
  done
  ((n > 0))
}
step "extract the README's C example" extract_examples

programs=(test_api test_threads test_lifecycle vector_runner)
sources() {
  case $1 in
    test_api | test_threads | test_lifecycle) echo "$tests/c/$1.c $tests/c/harness.c" ;;
    vector_runner) echo "$tests/c/$1.c" ;;
    *) echo "$work/src/$1.c" ;;
  esac
}
examples=()
for example in "$work/src"/example*.c; do
  examples+=("$(basename "$example" .c)")
done

# The header on its own, included twice, as C11, C99 and C++.
printf '#include <yunxiao_appstack.h>\n#include <yunxiao_appstack.h>\nint main(void) { return yx_version() == 0; }\n' >"$work/src/header_only.c"
step "the header alone (C11, C99)" bash -c "cc ${cflags[*]} $(pkg-config --cflags yunxiao-appstack) -c '$work/src/header_only.c' -o '$work/header_c11.o' &&
  cc -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags yunxiao-appstack) -c '$work/src/header_only.c' -o '$work/header_c99.o'"
step "the header alone (C++11)" c++ -std=c++11 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags yunxiao-appstack) -x c++ -c "$work/src/header_only.c" -o "$work/header_cpp.o"

mkdir -p "$work/bin"
build() { # build MODE PROGRAM: shared | static | fullstatic | asan
  local mode=$1 program=$2 out=$work/bin/$1-$2
  # shellcheck disable=SC2046
  case $mode in
    shared) cc "${cflags[@]}" $(sources "$program") $(pkg-config --cflags --libs yunxiao-appstack) \
      -Wl,-rpath,"$libdir" -pthread -o "$out" ;;
    static) cc "${cflags[@]}" $(sources "$program") $(pkg-config --cflags --libs yunxiao-appstack-static) \
      -pthread -o "$out" ;;
    fullstatic) cc "${cflags[@]}" -static $(sources "$program") \
      $(pkg-config --static --cflags --libs yunxiao-appstack) -pthread -o "$out" 2>"$work/link.log" ||
      { cat "$work/link.log"; return 1; } ;;
    asan) cc "${cflags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
      $(sources "$program") $(pkg-config --cflags --libs yunxiao-appstack) -Wl,-rpath,"$libdir" -pthread -o "$out" ;;
  esac
  # A static build must not need the shared library.
  if [[ $mode == static || $mode == fullstatic ]] && readelf -d "$out" | grep -q 'libyunxiao_appstack'; then
    echo "$out depends on the shared library"
    return 1
  fi
}
build_all() {
  local mode=$1 program
  shift
  for program in "$@"; do
    build "$mode" "$program" || return 1
  done
}
step "compile against the shared library" build_all shared "${programs[@]}" "${examples[@]}"
step "compile against the static library" build_all static "${programs[@]}" "${examples[@]}"
step "compile fully static (pkg-config --static, cc -static)" build_all fullstatic test_api "${examples[@]}"
step "compile with -fsanitize=address,undefined" build_all asan "${programs[@]}" "${examples[@]}"

# --- 5. run --------------------------------------------------------------------------------------
valgrind_cmd=(valgrind --quiet --leak-check=full --error-exitcode=1 --suppressions="$tests/valgrind.supp")
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

run_example() { # run_example WRAPPER... -- BINARY: success, then a failure with its message
  local wrapper=() binary
  while [[ $1 != -- ]]; do wrapper+=("$1"); shift; done
  binary=$2
  curl_like_reset
  local out
  out=$(env YUNXIAO_ACCESS_TOKEN=pt-sandbox-token YUNXIAO_API_BASE_URL="$YX_SANDBOX_URL" \
    YUNXIAO_ORGANIZATION_ID=sandbox-org "${wrapper[@]}" "$binary" my-web-service wf-main stage-deploy \
    '{"IMAGE_TAG":"1.4.2"}') || { echo "the example failed: $out"; return 1; }
  echo "$out"
  [[ $out == "started run 1 (request id "* ]] || { echo "unexpected output"; return 1; }
  local status=0
  out=$(env YUNXIAO_ACCESS_TOKEN=pt-sandbox-token YUNXIAO_API_BASE_URL="$YX_SANDBOX_URL" \
    YUNXIAO_ORGANIZATION_ID=sandbox-org "${wrapper[@]}" "$binary" my-web-service wf-main no-such-stage 2>&1) || status=$?
  echo "$out"
  [[ $status == 1 && $out == "not_found: starting a run of stage no-such-stage "*": HTTP 404 NotFound"* ]] || { echo "unexpected failure report"; return 1; }
}
curl_like_reset() {
  python3 -c "import urllib.request,sys; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + '/_sandbox/reset', data=b'', method='POST'), timeout=30)" "$YX_SANDBOX_URL"
}
run_examples() {
  local mode=$1 example
  shift
  for example in "${examples[@]}"; do
    run_example "$@" -- "$work/bin/$mode-$example" || return 1
  done
}

# The README's pkg-config block for a non-system prefix, as written (PREFIX replaced by the
# temporary one, deploy.c by the README's example), run with no LD_LIBRARY_PATH: it fails when
# the block stops telling the program where the .so is.
readme_link_block() {
  local dir=$work/link-block
  mkdir -p "$dir"
  cp "$work/src/example0.c" "$dir/deploy.c"
  python3 - "$root/README.md" "$prefix" "$dir/block.sh" <<'EOF'
import re, sys
readme, prefix, out = sys.argv[1:]
text = open(readme, encoding="utf-8").read()
section = text.split("### Link with pkg-config", 1)[1]
block = re.search(r"^```sh\n(.*?)^```", section, re.S | re.M).group(1)
lines = block.splitlines()
assert lines[0].startswith("PREFIX="), lines[0]
lines[0] = f"PREFIX={prefix}"
open(out, "w", encoding="utf-8").write("set -euo pipefail\n" + "\n".join(lines) + "\n")
EOF
  curl_like_reset
  (cd "$dir" && env -u LD_LIBRARY_PATH -u PKG_CONFIG_PATH YUNXIAO_ACCESS_TOKEN=pt-sandbox-token \
    YUNXIAO_API_BASE_URL="$YX_SANDBOX_URL" YUNXIAO_ORGANIZATION_ID=sandbox-org bash block.sh) >"$dir/out" 2>&1 ||
    { cat "$dir/out"; return 1; }
  cat "$dir/out"
  grep -q '^started run 1 ' "$dir/out"
}
step "README pkg-config block for a non-system prefix (rpath, no LD_LIBRARY_PATH)" readme_link_block

for mode in shared static asan; do
  step "[$mode] test_api" "$work/bin/$mode-test_api"
  step "[$mode] test_threads (8 x 50 on one client)" "$work/bin/$mode-test_threads"
  step "[$mode] conformance vectors" python3 "$tests/run_vectors.py" --runner "$work/bin/$mode-vector_runner" \
    --sandbox "$YX_SANDBOX_URL" --label "vectors-$mode"
  step "[$mode] lifecycle scenarios" env YX_SANDBOX_URL="$fast_url" "$work/bin/$mode-test_lifecycle"
  step "[$mode] README example" run_examples "$mode"
done
step "[shared] conformance vectors over https" python3 "$tests/run_vectors.py" \
  --runner "$work/bin/shared-vector_runner" --sandbox "$tls_url" --ca-bundle "$tls_ca" --label vectors-https
step "[fullstatic] test_api" "$work/bin/fullstatic-test_api"
step "[fullstatic] README example" run_examples fullstatic

step "[valgrind] test_api" "${valgrind_cmd[@]}" "$work/bin/shared-test_api"
step "[valgrind] test_threads (8 x 50 on one client)" "${valgrind_cmd[@]}" "$work/bin/shared-test_threads"
step "[valgrind] lifecycle scenarios" env YX_SANDBOX_URL="$fast_url" "${valgrind_cmd[@]}" "$work/bin/shared-test_lifecycle"
step "[valgrind] conformance vectors" python3 "$tests/run_vectors.py" --runner "$work/bin/shared-vector_runner" \
  --sandbox "$YX_SANDBOX_URL" --label vectors-valgrind --wrapper "${valgrind_cmd[*]}"
step "[valgrind] README example" run_examples shared "${valgrind_cmd[@]}"

echo
if ((${#failed_steps[@]})); then
  printf 'failed: %s\n' "${failed_steps[@]}"
fi
echo "c-binding: $passed passed, $failed failed"
((${#failed_steps[@]} == 0 && failed == 0))
