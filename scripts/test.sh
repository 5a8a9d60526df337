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
