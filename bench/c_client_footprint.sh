#!/usr/bin/env bash
# The C client's footprint: steady-state memory of henge-pi (x86-64, and arm64 under
# qemu-user) after 50 config pushes of ~2 KiB each, and the binaries' sizes.
# Needs the release build (scripts/start.sh or scripts/test.sh builds it) and, for
# arm64, the test dependencies (scripts/install-deps.sh --test).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null
cmake -S clients/c -B build/pi-x86 -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/pi-x86 >/dev/null
cmake -S clients/c -B build/arm64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" >/dev/null
cmake --build build/arm64 >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(( 20000 + RANDOM % 20000 ))
build/release/src/henged/henged --listen 127.0.0.1:$port --data-dir "$work/data" --admin-token bench \
  --keepalive 1 >/dev/null 2>"$work/henged.log" &
pids+=($!)
export HENGE_SERVER=http://127.0.0.1:$port HENGE_TOKEN=bench XDG_CONFIG_HOME="$work/cfg"
henge=build/release/src/cli/henge
for _ in $(seq 1 100); do "$henge" status >/dev/null 2>&1 && break; sleep 0.1; done

started=0
start_pi() {  # name, then the command that runs henge-pi; sets $started to its pid
  local name=$1; shift
  "$henge" device add "$name" --token-file "$work/$name.token" >/dev/null
  mkdir -p "$work/$name"
  "$@" --server "$HENGE_SERVER" --token-file "$work/$name.token" --output "$work/$name/config.json" \
    --state-dir "$work/$name/state" --keepalive 1 >/dev/null 2>"$work/$name.log" &
  started=$!
  pids+=("$started")
}
start_pi native build/pi-x86/henge-pi
native=$started
start_pi arm64 qemu-aarch64 -L /usr/aarch64-linux-gnu build/arm64/henge-pi
arm64=$started

pad=$(head -c 2000 /dev/zero | tr '\0' x)
for i in $(seq 1 50); do
  for name in native arm64; do "$henge" config set "$name" "i=$i" "pad=$pad" >/dev/null; done
done
for name in native arm64; do "$henge" --timeout 30 config set "$name" done=true --wait >/dev/null; done

echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
report() {  # label, pid
  local rss hwm dirty
  rss=$(awk '/^VmRSS/{print $2}' "/proc/$2/status")
  hwm=$(awk '/^VmHWM/{print $2}' "/proc/$2/status")
  dirty=$(awk '/^Private_Dirty/{print $2}' "/proc/$2/smaps_rollup")
  printf '%-34s RSS %6d KiB  peak %6d KiB  private dirty %6d KiB\n' "$1" "$rss" "$hwm" "$dirty"
}
report "henge-pi x86-64" "$native"
# The floor: a program that only links, initialises libcurl and holds one easy handle.
cc -O2 -o "$work/libcurl_floor" bench/libcurl_floor.c -lcurl
"$work/libcurl_floor" >"$work/floor.out" &
floor=$!
pids+=("$floor")
for _ in $(seq 1 100); do grep -q ready "$work/floor.out" && break; sleep 0.05; done
report "libcurl alone x86-64 (the floor)" "$floor"
report "henge-pi arm64 (qemu, with qemu)" "$arm64"
echo "shared objects mapped (x86-64): $(awk '$6 ~ /\.so/ {print $6}' "/proc/$native/maps" | sort -u | wc -l)"
strip -o "$work/x86" build/pi-x86/henge-pi
aarch64-linux-gnu-strip -o "$work/arm" build/arm64/henge-pi
printf 'binary, stripped: x86-64 %d bytes, arm64 %d bytes\n' "$(stat -c %s "$work/x86")" "$(stat -c %s "$work/arm")"
