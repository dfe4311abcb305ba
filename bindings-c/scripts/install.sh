#!/usr/bin/env bash
# Builds the C library of yunxiao-appstack and installs it under PREFIX:
#
#   PREFIX/include/yunxiao_appstack.h
#   PREFIX/lib/libyunxiao_appstack.so.X.Y.Z   (+ the SONAME link and the libyunxiao_appstack.so link)
#   PREFIX/lib/libyunxiao_appstack.a
#   PREFIX/lib/pkgconfig/yunxiao-appstack.pc, yunxiao-appstack-static.pc
#
# Usage: bindings-c/scripts/install.sh PREFIX
# Environment: DESTDIR (staged installs, as in `make install DESTDIR=…`), LIBDIR (default
# PREFIX/lib), YX_PROFILE (the Cargo profile to build: release by default; the test suite
# installs its dev build), CARGO_TARGET_DIR (default: the workspace's target/), YX_ZIG_TARGET
# (e.g. x86_64-unknown-linux-gnu.2.17: build with cargo-zigbuild against that glibc, as
# `make dist` does; cargo-zigbuild must be on PATH).
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
prefix=$1
if [[ $prefix != /* ]]; then
  prefix="$(pwd)/$prefix" # the .pc file needs an absolute prefix
fi
prefix=${prefix%/}
libdir=${LIBDIR:-$prefix/lib}
includedir=$prefix/include
destdir=${DESTDIR:-}
profile=${YX_PROFILE:-release}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
zig_target=${YX_ZIG_TARGET:-}
case $profile in
  dev | test) profile_dir=debug ;;
  bench) profile_dir=release ;;
  *) profile_dir=$profile ;;
esac
if [[ -n $zig_target ]]; then
  # cargo-zigbuild builds under the triple without the glibc suffix.
  out_dir=$target_dir/${zig_target%%.*}/$profile_dir
  rustc_cmd=(cargo-zigbuild rustc --target "$zig_target")
else
  out_dir=$target_dir/$profile_dir
  rustc_cmd=(cargo rustc)
fi

# Build with rustc's list of the system libraries a static link needs. Cargo replays the note
# when nothing was rebuilt, so this is also how a fresh build reports it.
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
if ! (cd "$root" && "${rustc_cmd[@]}" -p yunxiao-appstack-c --lib --profile "$profile" -- --print native-static-libs) \
  2>"$build_log"; then
  cat "$build_log" >&2
  exit 1
fi
grep -v 'native-static-libs\|link against the following native artifacts' "$build_log" | grep -v '^$' >&2 || true
native_libs=$(sed -n 's/.*native-static-libs: //p' "$build_log" | tail -n 1)
if [[ -z $native_libs ]]; then
  echo "install.sh: rustc did not report the native libraries of the static library" >&2
  exit 1
fi
# The compiler driver links the unwinder itself (libgcc_s, or libgcc_eh under -static, where
# there is no libgcc_s.a); naming libgcc_s would only break `cc -static`.
libs_private=$(printf '%s\n' $native_libs | grep -vx -- '-lgcc_s' | tr '\n' ' ' | sed 's/ $//')

# The header installed is the committed one; refuse to install it when it is not what this
# build generates (it would describe another library).
generated=$(ls -t "$out_dir"/build/yunxiao-appstack-c-*/out/yunxiao_appstack.h 2>/dev/null | head -n 1 || true)
committed=$root/include/yunxiao_appstack.h
if [[ -z $generated ]] || ! cmp -s "$generated" "$committed"; then
  echo "install.sh: include/yunxiao_appstack.h is stale; run bindings-c/scripts/update-header.sh" >&2
  exit 1
fi

version=$(sed -n 's/^#define YX_VERSION "\(.*\)"$/\1/p' "$committed")
shared=$out_dir/libyunxiao_appstack.so
static=$out_dir/libyunxiao_appstack.a
soname=$(readelf -d "$shared" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [[ -z $version || -z $soname ]]; then
  echo "install.sh: cannot read the version or the SONAME of the build" >&2
  exit 1
fi

install -d "$destdir$includedir" "$destdir$libdir/pkgconfig"
install -m 0644 "$committed" "$destdir$includedir/yunxiao_appstack.h"
install -m 0755 "$shared" "$destdir$libdir/libyunxiao_appstack.so.$version"
if [[ $soname != "libyunxiao_appstack.so.$version" ]]; then
  ln -sfn "libyunxiao_appstack.so.$version" "$destdir$libdir/$soname"
fi
ln -sfn "$soname" "$destdir$libdir/libyunxiao_appstack.so"
install -m 0644 "$static" "$destdir$libdir/libyunxiao_appstack.a"
for name in yunxiao-appstack yunxiao-appstack-static; do
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@INCLUDEDIR@|$includedir|g" \
    -e "s|@VERSION@|$version|g" -e "s|@LIBS_PRIVATE@|$libs_private|g" \
    "$root/bindings-c/pkgconfig/$name.pc.in" >"$destdir$libdir/pkgconfig/$name.pc"
  chmod 0644 "$destdir$libdir/pkgconfig/$name.pc"
done
echo "installed yunxiao-appstack $version (C) under $destdir$prefix"
