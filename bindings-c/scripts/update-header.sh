#!/usr/bin/env bash
# Regenerates the committed include/yunxiao_appstack.h from bindings-c/src with cbindgen (run by
# the crate's build script) and checks the result. Commit the header afterwards.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
YX_BLESS_HEADER=1 cargo test -p yunxiao-appstack-c --test header the_committed_header_is_a_fresh_generation
cargo test -p yunxiao-appstack-c --test header
