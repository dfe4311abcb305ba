#!/usr/bin/env bash
# Builds the C contenders against the release library (cargo build --release -p yunxiao-appstack-c).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
lib="${CARGO_TARGET_DIR:-$root/target}/release"
mkdir -p "$here/build"
# Linked statically: the release .so carries a SONAME that only `make install` links up.
cc -O2 -std=c11 -Wall -Wextra -Werror -pedantic -I"$root/include" "$here/bench_yx.c" \
   "$lib/libyunxiao_appstack.a" -lpthread -ldl -lm -o "$here/build/bench-yx"
cc -O2 -std=c11 -Wall -Wextra -Werror "$here/bench_curl.c" -lcurl -o "$here/build/bench-curl"
