#!/usr/bin/env bash
# `make dist`: every artefact of the project, built against an old glibc so that it runs on the
# Linux machines users have, into dist/ with a SHA256SUMS file:
#
#   yunxiao_appstack-V-cp39-abi3-manylinux_2_17_x86_64.whl   the Python wheel (maturin --zig)
#   yunxiao_appstack-V.tar.gz                                   the Python sdist
#   yunxiao-appstack-V.tgz                                      the npm package, with its .node
#   yunxiao-appstack-cli-V-x86_64-linux-gnu.tar.gz              bin/yunxiao-appstack, stripped
#   libyunxiao_appstack-V-x86_64-linux-gnu.tar.gz               include/, lib/ (.so, .a, .pc)
#
# The two tarballs share one layout (bin/, include/, lib/): unpacked into the same prefix, the
# CLI lands beside the C library. Their .pc files are relocatable (prefix=${pcfiledir}/../..).
#
# Every binary is linked by zig (the `ziglang` wheel from PyPI) through cargo-zigbuild, for
# x86_64-unknown-linux-gnu with glibc DIST_GLIBC (default 2.17, the manylinux2014 baseline).
# `make dist-check` (scripts/dist-check.sh) checks the result.
#
# Environment: DIST_PROFILE (Cargo profile, default `dist`: thin LTO; `make test` uses `dev`,
# which builds in a fraction of the time and reuses the Node suite's zig-linked addon build),
# DIST_GLIBC, CARGO_TARGET_DIR. The tools come from .venv (`make dist-tools`).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
profile=${DIST_PROFILE:-dist}
glibc=${DIST_GLIBC:-2.17}
triple=x86_64-unknown-linux-gnu
zig_target=$triple.$glibc
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
case $CARGO_TARGET_DIR in /*) ;; *) CARGO_TARGET_DIR=$root/$CARGO_TARGET_DIR ;; esac
case $profile in
  dev | test) profile_dir=debug ;;
  bench) profile_dir=release ;;
  *) profile_dir=$profile ;;
esac
build_dir=$CARGO_TARGET_DIR/$triple/$profile_dir
venv=$root/.venv
for tool in cargo-zigbuild maturin auditwheel; do
  [[ -x $venv/bin/$tool ]] || { echo "dist.sh: $tool is not in .venv: run make dist-tools" >&2; exit 1; }
done
# cargo-zigbuild finds zig as `python3 -m ziglang` from the venv.
export PATH="$venv/bin:$PATH"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
out=$root/dist
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
rm -rf "$out"
mkdir -p "$out"
step() { printf '\n==> %s\n' "$*"; }
start=$SECONDS

step "CLI ($zig_target, profile $profile)"
cargo-zigbuild zigbuild --target "$zig_target" --profile "$profile" -p yunxiao-appstack-cli
cli_root=yunxiao-appstack-cli-$version-x86_64-linux-gnu
mkdir -p "$stage/$cli_root/bin"
cp "$build_dir/yunxiao-appstack" "$stage/$cli_root/bin/yunxiao-appstack"
strip "$stage/$cli_root/bin/yunxiao-appstack"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$cli_root.tar.gz" "$cli_root"

step "C library ($zig_target, profile $profile)"
c_root=libyunxiao_appstack-$version-x86_64-linux-gnu
DESTDIR="$stage/c" YX_ZIG_TARGET="$zig_target" YX_PROFILE="$profile" \
  bindings-c/scripts/install.sh /usr/local
mv "$stage/c/usr/local" "$stage/$c_root"
# Relocatable pkg-config files: the prefix is wherever the tarball was unpacked.
for pc in "$stage/$c_root"/lib/pkgconfig/*.pc; do
  sed -i -e 's|^prefix=.*|prefix=${pcfiledir}/../..|' -e 's|^libdir=.*|libdir=${prefix}/lib|' \
    -e 's|^includedir=.*|includedir=${prefix}/include|' "$pc"
done
strip --strip-unneeded "$stage/$c_root"/lib/libyunxiao_appstack.so.*.*.*
strip --strip-debug "$stage/$c_root/lib/libyunxiao_appstack.a"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$c_root.tar.gz" "$c_root"

step "Python wheel (maturin --zig, manylinux_2_17) and sdist"
# maturin drives zig with its own wrappers and flags: in the shared target directory it would
# rebuild, and undo, what cargo-zigbuild built there (and the other way round). It gets its own.
# In the dev profile these are the very settings of bindings-python/scripts/test.sh's wheel, so
# that `make test` builds the wheel once. Other profiles strip it.
strip_args=()
[[ $profile == dev ]] || strip_args=(--strip)
CARGO_TARGET_DIR=$CARGO_TARGET_DIR/zig-maturin \
  maturin build --quiet -m bindings-python/Cargo.toml --profile "$profile" --target "$triple" --zig \
  --compatibility "manylinux_${glibc/./_}" "${strip_args[@]}" -o "$out"
maturin sdist -m bindings-python/Cargo.toml -o "$out"
wheel=$(ls "$out"/yunxiao_appstack-*.whl)
auditwheel show "$wheel" | tee "$stage/auditwheel.txt"
grep -q "manylinux_${glibc/./_}_x86_64" "$stage/auditwheel.txt" ||
  { echo "dist.sh: auditwheel does not confirm manylinux_${glibc/./_}_x86_64" >&2; exit 1; }

step "npm package (napi build -x: cargo-zigbuild, $zig_target)"
(
  cd bindings-node
  [[ -d node_modules/@napi-rs/cli ]] || npm ci --ignore-scripts --no-audit --no-fund
  node scripts/check-version.mjs
  # The dev profile is napi's default: no --profile then, so that this is the very build
  # bindings-node/scripts/test.sh made (and Cargo has nothing to do).
  napi_profile=()
  [[ $profile == dev ]] || napi_profile=(--profile "$profile")
  npx --no-install napi build --platform "${napi_profile[@]}" --cross-compile --target "$zig_target" \
    --js native.js --dts native.d.ts
  npm pack --silent --pack-destination "$out" >/dev/null
)

step "SHA256SUMS"
(cd "$out" && sha256sum -- * >SHA256SUMS && cat SHA256SUMS)
echo
ls -l "$out"
echo "dist: built in $((SECONDS - start)) s into $out"
