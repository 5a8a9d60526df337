#!/usr/bin/env bash
# Builds henge and runs the whole test suite: first the release build (henged, the
# CLI, the agent) and a clang build with its unit tests (both compilers must accept the
# code), then the full suite under AddressSanitizer and UndefinedBehaviorSanitizer (g++):
# unit tests, the store contract suite, the OpenAPI lint and the integration tests that
# start real henged, henge-agent and henge processes. Exits non-zero when anything fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
cd "$root"
jobs=$(nproc)
# Let ccache share results between checkouts in different folders.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

# The README's start command builds these; optimized builds warn differently.
cmake --preset release >/dev/null
cmake --build --preset release

cmake --preset clang >/dev/null
cmake --build --preset clang
ctest --preset clang --parallel "$jobs"

cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan --parallel "$jobs"

# The C client cross-built for 64-bit Raspberry Pi OS, run under qemu against a real
# henged on loopback: config pushed, file written, LED brightness changed, ack recorded.
cmake -S clients/c -B build/arm64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" >/dev/null
cmake --build build/arm64
(cd tests && HENGED_BIN="$root/build/release/src/henged/henged" HENGE_PI_BIN="$root/build/arm64/henge-pi" \
  HENGE_PI_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" node --test --test-reporter=spec integration/henge_pi.test.mjs)
# ... and packaged as a .deb for 64-bit Raspberry Pi OS.
rm -f build/arm64/henge-pi_*.deb
(cd build/arm64 && cpack >/dev/null)
(cd tests && HENGE_DEB="$(ls "$root"/build/arm64/henge-pi_*_arm64.deb)" HENGE_DEB_ARCH=arm64 \
  node --test --test-reporter=spec packaging/)
