#!/usr/bin/env bash
# Runs henge's benchmarks against a release build and prints the machine they ran on:
# the push channel (push_bench.mjs), then storage and replicas (replica_bench.mjs).
#   bench/run.sh [push_bench.mjs options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
cd "$root"
cmake --preset release >/dev/null
cmake --build --preset release --target henged >/dev/null
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "kernel: $(uname -sr); open files: soft $(ulimit -Sn), hard $(ulimit -Hn); ports: $(cat /proc/sys/net/ipv4/ip_local_port_range | tr '\t' '-')"
node bench/push_bench.mjs --henged build/release/src/henged/henged "$@"
node bench/replica_bench.mjs --henged build/release/src/henged/henged
