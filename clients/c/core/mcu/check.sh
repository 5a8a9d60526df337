#!/usr/bin/env bash
# libhenge-core on microcontrollers, with Debian's gcc-arm-none-eabi, picolibc and
# qemu-system-arm:
#   1. the size gate: the core at -Os for a Cortex-M0+ has at most 16 KB of .text, no
#      .data or .bss, calls nothing outside <string.h> and libgcc's arithmetic, and
#      needs at most 1 KiB of stack (the deepest path of its call graph);
#   2. the core's unit tests on a Cortex-M0 (qemu's microbit: 256 KiB flash, 16 KiB RAM)
#      and a Cortex-M3 (mps2-an385), printing "N passed, N failed" over semihosting.
#
#   clients/c/core/mcu/check.sh [output-dir]
set -euo pipefail

core=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$core/../../../build/mcu}
mkdir -p "$out"
out=$(cd "$out" && pwd)

text_limit=16384
stack_limit=1024
libc_allowance=64 # bytes of stack granted each call into memcpy, memcmp, … (leaf functions)

sources=("$core"/hc_*.c)
warnings=(-Wall -Wextra -Werror -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes)
common=(-std=c99 -Os -mthumb -ffunction-sections -fdata-sections "${warnings[@]}")

# 1. The size gate.
gate="$out/gate"
rm -rf "$gate" && mkdir -p "$gate"
for src in "${sources[@]}"; do
  (cd "$gate" && arm-none-eabi-gcc -mcpu=cortex-m0plus "${common[@]}" -ffreestanding --specs=picolibc.specs \
      -fstack-usage -fcallgraph-info=su -c "$src" -o "$(basename "${src%.c}").o")
done
arm-none-eabi-ar rcs "$gate/libhenge_core.a" "$gate"/*.o
read -r text data bss < <(arm-none-eabi-size -t "$gate/libhenge_core.a" | awk '/TOTALS/ {print $1, $2, $3}')
undefined=$(arm-none-eabi-nm -u "$gate/libhenge_core.a" | awk '/ U / {print $2}' | sort -u |
  grep -v -x -E 'hc_[a-z0-9_]+|memchr|memcmp|memcpy|memmove|memset|strcmp|strlen|__aeabi_[a-z0-9]+|__gnu_thumb1_case_[a-z]+' || true)
read -r stack path < <(node "$core/mcu/stack_depth.mjs" "$libc_allowance" "$gate"/*.ci)
echo "libhenge-core, Cortex-M0+ -Os: .text $text B (limit $text_limit), .data $data B, .bss $bss B; stack $stack B at most (limit $stack_limit: $path)"
fail=0
if (( text > text_limit )); then echo "size gate: .text $text B is over $text_limit B" >&2; fail=1; fi
if (( data != 0 || bss != 0 )); then echo "size gate: the core has state of its own (.data $data B, .bss $bss B)" >&2; fail=1; fi
if [[ -n "$undefined" ]]; then echo "size gate: the core calls outside <string.h>: $(echo $undefined)" >&2; fail=1; fi
if (( stack > stack_limit )); then echo "size gate: $stack B of stack is over $stack_limit B" >&2; fail=1; fi
(( fail == 0 ))

# 2. The unit tests on two Cortex-M machines.
run_tests() { # machine cpu flash flash-size ram ram-size
  local machine=$1 cpu=$2 elf="$out/core_tests-$1.elf" log="$out/core_tests-$1.log"
  arm-none-eabi-gcc -mcpu="$cpu" "${common[@]}" --specs=picolibc.specs --oslib=semihost --crt0=semihost \
    -DPICOLIBC_INTEGER_PRINTF_SCANF -I"$core" -I"$core/tests" \
    -Wl,--defsym=__flash="$3" -Wl,--defsym=__flash_size="$4" -Wl,--defsym=__ram="$5" -Wl,--defsym=__ram_size="$6" \
    -Wl,--defsym=__stack_size=4096 -Wl,--gc-sections \
    "${sources[@]}" "$core"/tests/*.c -o "$elf"
  local rc=0
  timeout 120 qemu-system-arm -M "$machine" -cpu "$cpu" -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$elf" > "$log" 2>&1 || rc=$?
  if (( rc != 0 )) || ! tail -n 1 "$log" | grep -q -E '^[0-9]+ passed, 0 failed$'; then
    cat "$log" >&2
    echo "core tests on $machine ($cpu) failed (exit $rc)" >&2
    return 1
  fi
  echo "core tests on $machine ($cpu, qemu): $(tail -n 1 "$log"); $(grep -m1 '^sizes:' "$log")"
}
run_tests microbit cortex-m0 0x0 256K 0x20000000 16K
run_tests mps2-an385 cortex-m3 0x0 4M 0x20000000 4M
