#!/usr/bin/env bash
# scripts/check-layering.sh on small trees made here: it passes a tree that keeps its
# READMEs' word and fails, naming the file and the folder, each way one can break it.
set -euo pipefail
check=${1:?usage: check_layering_test.sh path/to/check-layering.sh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

tree() {  # a fresh tree: core (nothing), store (core), api (core, store)
  rm -rf "$work/src" && mkdir -p "$work/src"/{core,store,api}
  printf '# core\n\nDepends on: (nothing of henge'"'"'s)\n' >"$work/src/core/README.md"
  printf '# store\n\nDepends on: core\n' >"$work/src/store/README.md"
  printf '# api\n\nDepends on: `core`, `store`\n' >"$work/src/api/README.md"
  printf '#include "core/x.hpp"\n' >"$work/src/store/s.cpp"
  printf '#include "store/s.hpp"\n#include "core/x.hpp"\n#include <vector>\n' >"$work/src/api/a.cpp"
}

expect() {  # what (pass|fail), a text the output must hold, the case's name
  local want=$1 text=$2 name=$3 out rc=0
  out=$("$check" "$work/src" 2>&1) || rc=$?
  if [[ $want == pass && $rc -ne 0 ]] || [[ $want == fail && $rc -eq 0 ]] || [[ $out != *"$text"* ]]; then
    echo "FAIL: $name (exit $rc): $out"
    failures=$((failures + 1))
  else
    echo "ok: $name"
  fi
}

tree
expect pass "bottom to top: core store api" "a tree that keeps its word passes, in order"

tree
printf '#include "api/a.hpp"\n' >>"$work/src/store/s.cpp"
expect fail "store/s.cpp:2: includes from api/" "an include from a folder above fails"

tree
printf '#include "store/s.hpp"\n' >"$work/src/core/c.hpp"
expect fail "core/c.hpp:1: includes from store/" "core including anything fails"

tree
printf '# store\n\nDepends on: core, api\n' >"$work/src/store/README.md"
expect fail "form a cycle: api store" "allowed dependencies in a cycle fail"

tree
printf '# store\n\nno line\n' >"$work/src/store/README.md"
expect fail 'src/store: its README.md has no "Depends on:" line' "a README without the line fails"

tree
printf '# store\n\nDepends on: core, nosuch\n' >"$work/src/store/README.md"
expect fail 'allows "nosuch", which is not a folder' "a README naming no folder fails"

exit $((failures > 0))
