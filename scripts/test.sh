#!/usr/bin/env bash
# Builds henge with AddressSanitizer and UndefinedBehaviorSanitizer and runs the whole
# test suite: unit tests, the store contract suite, and the integration tests that
# start real henged processes. Exits non-zero when anything fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
cd "$root"
cmake --preset asan >/dev/null
cmake --build --preset asan
ctest --preset asan --parallel "$(nproc)"
