#!/usr/bin/env bash
# The style gate: every tracked C and C++ file as clang-format writes it (.clang-format),
# and clang-tidy (.clang-tidy) clean, warnings as errors, on the C++ files a change
# touched: those changed since HENGE_STYLE_BASE (default: the parent commit), with the
# compile commands of the build directory given.
# Usage: scripts/check-style.sh build/clang
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: check-style.sh <build directory with compile_commands.json>}
cd "$root"

git ls-files -z '*.c' '*.h' '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run -Werror

base=${HENGE_STYLE_BASE:-HEAD~1}
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
  echo "check-style: no commit $base to compare with; clang-tidy skipped"
  exit 0
fi
# C++ sources of src/ that were changed and still exist; a changed header is checked
# through the sources that include it when they change (HeaderFilterRegex).
mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- 'src/*.cpp' 'fuzz/*.cpp' 'bench/*.cpp')
if ((${#changed[@]} == 0)); then
  echo "check-style: formatted; no C++ source changed since $base"
  exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
# One file per clang-tidy, one per core: each reads its own translation unit whole.
printf '%s\0' "${changed[@]}" |
  xargs -0 -n 1 -P "$(nproc)" clang-tidy -p "$build" --quiet --warnings-as-errors='*' >"$out" 2>&1 || status=$?
grep -v ' warnings\? generated\.$' "$out" || true  # its counts of what it filtered out say nothing
if ((status != 0)); then
  echo "check-style: clang-tidy found problems (above)" >&2
  exit 1
fi
echo "check-style: formatted; clang-tidy clean on ${#changed[@]} changed file(s)"
