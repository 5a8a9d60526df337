#!/usr/bin/env bash
# The lwIP port (ports/lwip/henge_lwip.c) built as a Pico W builds it: Cortex-M0+, -Os,
# NO_SYS with the Pico W's lwipopts.h (altcp, DNS; plain TCP), against Debian's lwIP
# headers and picolibc, warnings as errors. Prints its .text and the deepest stack
# henge's own frames take in a callback (the core's included; each call into lwIP or
# the C library counted as 64 B, lwIP's own depth being lwIP's). Fails on state of its
# own (.data/.bss: everything is in struct henge_lwip) or on a call outside lwIP, the
# core and <string.h>.
#
#   clients/c/ports/lwip/mcu/check.sh [output-dir]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
c=$(cd "$here/../../.." && pwd)
out=${1:-$c/../../build/mcu-lwip}
rm -rf "$out" && mkdir -p "$out"
out=$(cd "$out" && pwd)

flags=(-mcpu=cortex-m0plus -mthumb -std=c99 -Os -ffunction-sections -fdata-sections
  -Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  --specs=picolibc.specs -fstack-usage -fcallgraph-info=su
  -I"$c/ports/pico-w" -I"$here" -I"$c/ports/lwip" -I"$c/core" -I/usr/include/lwip)
for src in "$c/ports/lwip/henge_lwip.c" "$c"/core/hc_*.c; do
  (cd "$out" && arm-none-eabi-gcc "${flags[@]}" -c "$src" -o "$(basename "${src%.c}").o")
done
read -r text data bss < <(arm-none-eabi-size "$out/henge_lwip.o" | awk 'NR == 2 {print $1, $2, $3}')
outside=$(arm-none-eabi-nm -u "$out/henge_lwip.o" | awk '/ U / {print $2}' | sort -u |
  grep -v -x -E '(hc|altcp|pbuf|sys|dns)_[a-z0-9_]+|memcpy|memset|strlen|__gnu_thumb1_case_[a-z]+|__aeabi_[a-z0-9]+' || true)
read -r stack path < <(node "$c/core/mcu/stack_depth.mjs" 64 "$out"/*.ci)
echo "lwIP port, Cortex-M0+ -Os (NO_SYS, Pico W options): .text $text B, .data $data B, .bss $bss B; henge's stack in a callback $stack B at most ($path)"
fail=0
if (( data != 0 || bss != 0 )); then echo "lwIP port: state of its own (.data $data B, .bss $bss B)" >&2; fail=1; fi
if [[ -n "$outside" ]]; then echo "lwIP port: calls outside lwIP, the core and <string.h>: $(echo $outside)" >&2; fail=1; fi
(( fail == 0 ))
