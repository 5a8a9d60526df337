#!/usr/bin/env bash
# The fleet-scale benchmarks (bench/fleet_bench.mjs) against a release build, one
# command per scenario:
#   bench/fleet.sh one [--streams 19000] [--writes 1000] [--fanouts 5] [--idle 30]
#   bench/fleet.sh replicas [--streams 100000] [--replicas 6] [--fanouts 3]
#   bench/fleet.sh storm [--streams 19000]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
cd "$root"
cmake --preset release >/dev/null
cmake --build --preset release --target henged henge-loadgen >/dev/null
exec node bench/fleet_bench.mjs "$@"
