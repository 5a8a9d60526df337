#!/usr/bin/env bash
# Builds henged, the henge CLI and henge-agent (scripts/build.sh) and starts henged on
# its embedded default: SQLite under henge-data at the top of the repository (wherever
# it is called from), listening on :8080. Extra arguments go to henged (see --help).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
cd "$root"
exec "$root/build/release/src/henged/henged" "$@"
