#!/usr/bin/env bash
# Builds the Python binding as a wheel, checks it, and runs its whole test suite against the
# sandbox. Works on a fresh machine with a Rust toolchain and python3 (with venv); CI-safe
# (no prompts). Honours CARGO_TARGET_DIR (default: <workspace>/target).
#
#   bindings-python/scripts/test.sh [extra pytest arguments]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$ROOT/$CARGO_TARGET_DIR" ;; esac
VENV="$ROOT/.venv"
DIST="$CARGO_TARGET_DIR/python-wheels"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
# The wheel is built with the dev profile: the tests check behaviour, not speed, and the dev
# profile reuses what the debug build of the workspace already compiled.
export MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS:---profile dev}"

step() { printf '\n==> %s\n' "$*"; }

step "Python environment ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
# The build backend runs the `maturin` command: it must be found on PATH.
export PATH="$VENV/bin:$PATH"
"$PY" -m pip install --quiet -r "$HERE/requirements-dev.txt"

step "Sandbox"
cargo build --quiet -p yunxiao-sandbox

step "Rust lints"
cargo fmt -p yunxiao-appstack-python -- --check
cargo clippy --quiet -p yunxiao-appstack-python --all-targets -- -D warnings

step "Generated layer is fresh (scripts/generate.py --check, from core/catalog.json)"
"$PY" "$HERE/scripts/generate.py" --check

step "Python lints"
"$VENV/bin/ruff" check --cache-dir "$CARGO_TARGET_DIR/ruff-cache" "$HERE/python" "$HERE/tests" "$HERE/scripts"
"$VENV/bin/ruff" format --check --cache-dir "$CARGO_TARGET_DIR/ruff-cache" "$HERE/python" "$HERE/tests" "$HERE/scripts"

# With the artefact toolchain in .venv (`make dist-tools`, which `make test` runs first), the
# wheel is the manylinux_2_17 one `make dist` makes: linked by zig against glibc 2.17, in the
# target directory scripts/dist.sh uses for maturin, so `make test`'s dist build reuses it.
WHEEL_ENV=()
if [ -x "$VENV/bin/cargo-zigbuild" ] && "$PY" -c "import ziglang" 2>/dev/null; then
    WHEEL_ENV=(CARGO_TARGET_DIR="$CARGO_TARGET_DIR/zig-maturin"
        MATURIN_PEP517_ARGS="$MATURIN_PEP517_ARGS --target x86_64-unknown-linux-gnu --zig --compatibility manylinux_2_17")
fi
step "Wheel (pip wheel ./bindings-python${WHEEL_ENV:+, zig, manylinux_2_17})"
rm -rf "$DIST"
mkdir -p "$DIST"
(cd "$ROOT" && env "${WHEEL_ENV[@]}" "$PY" -m pip wheel --quiet --no-deps --no-build-isolation -w "$DIST" ./bindings-python)
WHEEL="$(ls "$DIST"/yunxiao_appstack-*.whl)"
case "$(basename "$WHEEL")" in
    *-cp39-abi3-*) echo "built $(basename "$WHEEL")" ;;
    *) echo "not an abi3 wheel for CPython >= 3.9: $WHEEL" >&2; exit 1 ;;
esac
"$PY" -m pip install --quiet --no-deps --force-reinstall "$WHEEL"

step "The wheel installs offline into a fresh venv"
FRESH="$(mktemp -d)"
trap 'rm -rf "$FRESH"' EXIT
python3 -m venv "$FRESH/venv"
"$FRESH/venv/bin/python" -m pip install --quiet --no-index --no-deps "$WHEEL"
(cd "$FRESH" && "$FRESH/venv/bin/python" - <<'PYEOF'
import yunxiao_appstack as yx
client = yx.Client(token="pt-offline-check", organization_id="org")
assert "pt-offline-check" not in repr(client), repr(client)
print("imported yunxiao_appstack", yx.__version__, "from", yx.__file__)
PYEOF
)

step "Type checks (stubtest against the compiled module, mypy --strict)"
(cd "$FRESH" && "$PY" -m mypy.stubtest yunxiao_appstack)
"$PY" -m mypy --strict --cache-dir "$CARGO_TARGET_DIR/mypy-cache" "$HERE/python/yunxiao_appstack" "$HERE/tests"

step "pytest"
cd "$HERE"
"$PY" -m pytest -p no:cacheprovider "$@"
