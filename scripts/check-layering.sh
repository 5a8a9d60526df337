#!/usr/bin/env bash
# Fails when a folder of src/ includes from one its README does not allow, or when the
# folders' allowed dependencies form a cycle. Each src/<folder>/README.md says what the
# folder may use in one line, "Depends on: a, b" (or "Depends on: (nothing of henge's)");
# an include of "<folder>/..." is a use. Prints the folders bottom to top when all is well.
# Usage: scripts/check-layering.sh [the directory holding the folders; default src]
set -euo pipefail
src=${1:-"$(cd "$(dirname "$0")/.." && pwd)/src"}
declare -A allowed
folders=()
failed=0
for dir in "$src"/*/; do
  name=$(basename "$dir")
  folders+=("$name")
  readme="$dir/README.md"
  line=$(grep -m1 '^Depends on:' "$readme" 2>/dev/null || true)
  if [[ -z $line ]]; then
    echo "src/$name: its README.md has no \"Depends on:\" line" >&2
    failed=1
    continue
  fi
  list=${line#Depends on:}
  list=${list//\`/}
  [[ $list == *"nothing"* ]] && list=""
  allowed[$name]=" $(echo "$list" | tr ',' ' ' | xargs) "
done
[[ $failed -eq 0 ]] || exit 1

for name in "${folders[@]}"; do
  for dep in ${allowed[$name]}; do
    if [[ ! -d $src/$dep ]]; then
      echo "src/$name: its README allows \"$dep\", which is not a folder of src" >&2
      failed=1
    fi
  done
  # Every include of another folder's header, as file:line:folder.
  while IFS=: read -r file line used; do
    [[ $used == "$name" || ! -d $src/$used ]] && continue
    if [[ ${allowed[$name]} != *" $used "* ]]; then
      echo "${file#"$src"/}:$line: includes from $used/, which src/$name/README.md does not allow (it allows:${allowed[$name]})" >&2
      failed=1
    fi
  done < <(grep -rnoE '^#include "[a-z0-9_]+/' --include='*.cpp' --include='*.hpp' --include='*.h' "$src/$name" |
    sed -E 's/#include "([a-z0-9_]+)\/$/\1/')
done
[[ $failed -eq 0 ]] || exit 1

# The allowed graph must have an order: repeatedly take the folders whose dependencies
# are all taken.
order=()
declare -A placed
while (( ${#order[@]} < ${#folders[@]} )); do
  progress=0
  for name in "${folders[@]}"; do
    [[ -n ${placed[$name]:-} ]] && continue
    ready=1
    for dep in ${allowed[$name]}; do [[ -n ${placed[$dep]:-} ]] || ready=0; done
    if (( ready )); then
      order+=("$name")
      placed[$name]=1
      progress=1
    fi
  done
  if (( !progress )); then
    left=()
    for name in "${folders[@]}"; do [[ -n ${placed[$name]:-} ]] || left+=("$name"); done
    echo "the allowed dependencies of these folders form a cycle: ${left[*]}" >&2
    exit 1
  fi
done
echo "layering holds, bottom to top: ${order[*]}"
