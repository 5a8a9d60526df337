#!/usr/bin/env bash
# Installs the build dependencies and builds henged, the henge CLI and henge-agent
# (release, under build/release/src/). The start command, the test suite and the
# container image's build stage all build through this script.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cd "$root"
# Let ccache share results between checkouts in different folders.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release
