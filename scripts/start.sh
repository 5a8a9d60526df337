#!/usr/bin/env bash
# Builds henged, the henge CLI and henge-agent (release, under build/release/src/) and
# starts henged on its embedded default: SQLite under ./henge-data, listening on :8080.
# Extra arguments go to henged (see --help).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cd "$root"
# Let ccache share results between checkouts in different folders.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release
exec "$root/build/release/src/henged/henged" "$@"
