#!/bin/sh
# libhenge installed as a device's own programs would use it:
#   library_install_test.sh BUILD_DIR EXAMPLE_SOURCE VERSION
# installs the "dev" component into a scratch prefix, checks that libhenge.so exports
# henge_* alone, then builds the example with nothing but `pkg-config henge` and runs it
# to its usage line (which needs the library found and loaded).
set -eu
build=$1 example=$2 version=$3
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --component dev --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libhenge.so' | head -n 1)")
test -f "$prefix/include/henge.h"
# Symbols as nm prints them, without their version (henge_new@@HENGE_0).
symbols=$(nm -D --defined-only "$libdir/libhenge.so" | awk '{sub(/@.*/, "", $3); print $3}')
exported=$(echo "$symbols" | grep -v -E '^(henge_[a-z_]+|HENGE_0)$' || true)
if [ -n "$exported" ]; then
  echo "libhenge.so exports more than the public API:" $exported >&2
  exit 1
fi
for name in henge_new henge_free henge_run henge_stop henge_poll henge_report henge_version henge_strerror; do
  echo "$symbols" | grep -q -x "$name" || { echo "libhenge.so lacks $name" >&2; exit 1; }
done
test "$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --modversion henge)" = "$version"
# shellcheck disable=SC2046 # pkg-config's flags are words
cc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -o "$prefix/print_configs" "$example" \
  $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs henge)
status=0
LD_LIBRARY_PATH="$libdir" "$prefix/print_configs" 2>"$prefix/err" || status=$?
test "$status" -eq 2
grep -q '^usage: print_configs SERVER TOKEN_FILE' "$prefix/err"
echo "libhenge $version: installed, exports henge_* only, links and runs through pkg-config"
