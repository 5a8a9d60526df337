#!/usr/bin/env bash
# Builds henged (release) and starts it on its embedded default: SQLite under
# ./henge-data, listening on :8080. Extra arguments go to henged (see --help).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cd "$root"
cmake --preset release >/dev/null
cmake --build --preset release --target henged
exec "$root/build/release/src/henged/henged" "$@"
