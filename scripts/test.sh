#!/usr/bin/env bash
# Builds henge and runs the whole test suite: first the release build (henged, the
# CLI, the agent) and a clang build with its unit tests (both compilers must accept the
# code), then the full suite under AddressSanitizer and UndefinedBehaviorSanitizer (g++):
# unit tests, the store contract suite, the OpenAPI lint and the integration tests that
# start real henged, henge-agent and henge processes; then the fuzz targets and the
# ThreadSanitizer build. Exits non-zero when anything fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
cd "$root"
jobs=$(nproc)
# Let ccache share results between checkouts in different folders.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

# The README's start command and the container image build these; optimized builds warn
# differently.
scripts/build.sh

cmake --preset clang >/dev/null
cmake --build --preset clang
ctest --preset clang --parallel "$jobs"
# The style gate: clang-format on every C and C++ file, clang-tidy on the C++ files the
# last commit changed (scripts/check-style.sh; the include layering is a ctest entry).
scripts/check-style.sh build/clang

cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan --parallel "$jobs"

# libFuzzer (clang, ASan+UBSan) on what takes bytes from the network or from operators:
# an HTTP request through every handler, merge patch, JSON pointer, schema validation,
# the agent's SSE parser; a minute each from the seed corpora in fuzz/corpus.
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
ctest --preset fuzz --parallel "$jobs"

# ThreadSanitizer on the concurrent parts: the push hub and its queues, presence, the
# rate limiter, and every store under concurrent writers.
cmake --preset tsan >/dev/null
cmake --build --preset tsan
ctest --preset tsan --parallel "$jobs"

# The container images, made from deploy/docker/Dockerfile's own steps and run as a pod
# runs them; the Kubernetes manifests and the Terraform module, rendered and validated.
(cd tests && HENGED_BIN="$root/build/release/src/henged/henged" node --test --test-reporter=spec deploy/)

# The C client cross-built for 64- and 32-bit Raspberry Pi OS (the 32-bit build static,
# for ARMv6 boards), run under qemu against a real henged on loopback (config pushed, file written, LED brightness changed, ack
# recorded, and the whole device-client contract), then packaged as a .deb whose
# fields, files and binary are checked.
cross_check() {  # debian-arch, toolchain, qemu command, extra cmake arguments...
  local arch=$1 toolchain=$2 qemu=$3; shift 3
  cmake -S clients/c -B "build/$arch" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/$toolchain.cmake" "$@" >/dev/null
  cmake --build "build/$arch"
  (cd tests && HENGED_BIN="$root/build/release/src/henged/henged" HENGE_PI_BIN="$root/build/$arch/henge-pi" \
    HENGE_PI_RUNNER="$qemu" HENGE_CONTRACT_CLIENTS=pi \
    node --test --test-reporter=spec integration/henge_pi.test.mjs integration/client_contract.test.mjs)
  rm -f "build/$arch"/henge-pi_*.deb
  (cd "build/$arch" && cpack >/dev/null)
  (cd tests && HENGE_DEB="$(ls "$root/build/$arch"/henge-pi_*_"$arch".deb)" HENGE_DEB_ARCH="$arch" \
    node --test --test-reporter=spec packaging/)
}
# libhenge-core on microcontrollers: the size gate (.text, no state of its own, nothing
# called outside <string.h>, the deepest stack) and its unit tests on a Cortex-M0 and a
# Cortex-M3 under qemu.
clients/c/core/mcu/check.sh build/mcu
# The lwIP port as a Pico W builds it (NO_SYS, Cortex-M0+): no state of its own, nothing
# called outside lwIP, the core and <string.h>. (On this host it runs the device-client
# contract suite over Debian's lwIP: henge-lwip-host, in the integration tests.)
clients/c/ports/lwip/mcu/check.sh build/mcu-lwip

cross_check arm64 aarch64-linux-gnu "qemu-aarch64 -L /usr/aarch64-linux-gnu"
# 32-bit Raspberry Pi OS, every board from the ARMv6 Pi Zero on: a static build (armel
# code, which an ARM1176 runs), tested on qemu's ARM1176 and packaged as armhf.
scripts/armel-sysroot.sh "$root/build/armel-sysroot"
cross_check armhf arm-linux-gnueabi-static "qemu-arm -cpu arm1176" \
  -DHENGE_ARMEL_SYSROOT="$root/build/armel-sysroot"
