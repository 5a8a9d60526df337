#!/usr/bin/env bash
# A longer fuzzing campaign than CI's minute per target: each target in turn for
# SECONDS (default 720), from the seed corpus plus what earlier targets' runs found,
# one process at a time. Prints each target's executions, coverage and corpus size;
# exits non-zero if any target found a crash (its input is kept in OUT/crashes).
#   fuzz/campaign.sh [SECONDS] [OUT]    (build first: cmake --preset fuzz && cmake --build --preset fuzz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-720}
out=${2:-$(mktemp -d)}
mkdir -p "$out/crashes"
failed=0
for target in http round_trip merge_patch json_pointer schema sse_parser; do
  corpus="$out/corpus/$target"
  mkdir -p "$corpus"
  log="$out/$target.log"
  started=$(date +%s)
  if ! ASAN_OPTIONS=detect_leaks=1 "$root/build/fuzz/fuzz/henge_fuzz_$target" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/crashes/$target-" \
      "$corpus" "$root/fuzz/corpus/$target" >"$log" 2>&1; then
    failed=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  echo "$target: $(( $(date +%s) - started )) s, ${runs:-?} executions, coverage ${cov:-?} edges, corpus $(ls "$corpus" | wc -l) inputs, $(ls "$out/crashes" | grep -c "^$target-" || true) crashes"
done
echo "logs and corpora in $out"
exit $failed
