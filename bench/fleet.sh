#!/usr/bin/env bash
# The fleet-scale benchmarks against a release build, one command per scenario:
#   bench/fleet.sh one [--streams 19000] [--writes 1000] [--fanouts 5] [--idle 30]
#   bench/fleet.sh replicas [--streams 100000] [--replicas 6] [--fanouts 3]
#   bench/fleet.sh storm [--streams 19000]
#   bench/fleet.sh side [--sizes 1000,10000,19000] [--writes 1000] [--fanouts 5] [--idle 30]
# (the first three: bench/fleet_bench.mjs; side, henge beside Mosquitto at QoS 0 and at
# QoS 1 with persistence, etcd and NATS key-value: bench/side_by_side.mjs, for which this
# installs Debian's mosquitto, etcd-server and nats-server).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
if [[ "${1:-}" == side ]] && ! { command -v mosquitto && command -v etcd && command -v nats-server; } >/dev/null; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends mosquitto etcd-server nats-server >/dev/null
fi
cd "$root"
cmake --preset release >/dev/null
cmake --build --preset release --target henged henge-loadgen >/dev/null
if [[ "${1:-}" == side ]]; then
  shift
  exec node bench/side_by_side.mjs "$@"
fi
exec node bench/fleet_bench.mjs "$@"
