#!/usr/bin/env bash
# `make bench` / `make bench-quick`: build release artifacts and every contender, install the
# pinned peers, then run bench/run.py, which writes bench/results/latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-quick}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
# The neutral server of the pinned table (bench/run.py starts its own, one worker, on core 0).
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_apt+=(nginx-light)
[[ -e /usr/include/x86_64-linux-gnu/curl/curl.h || -e /usr/include/curl/curl.h ]] || need_apt+=(libcurl4-openssl-dev)
if ((${#need_apt[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "== building release artifacts" >&2
cargo build --release -p yunxiao-sandbox -p yunxiao-bench -p yunxiao-appstack-c -p yunxiao-appstack-cli

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q -r bench/python/requirements.txt -r bindings-python/requirements-dev.txt
rm -rf target/wheels
.venv/bin/maturin build --release -q -m bindings-python/Cargo.toml -o target/wheels
.venv/bin/python -m pip install -q --force-reinstall --no-deps target/wheels/yunxiao_appstack-*.whl

(cd bindings-node && npm ci --ignore-scripts --no-audit --no-fund >/dev/null && npm run --silent build >/dev/null)
(cd bench/node && npm ci --no-audit --no-fund >/dev/null)

bench/c/build.sh

exec .venv/bin/python bench/run.py "$mode"
