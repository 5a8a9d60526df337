#!/usr/bin/env bash
# The C client's footprint: steady-state memory of henge-pi after 50 config pushes of
# ~2 KiB each over TLS (x86-64; and arm64 under qemu-user, where qemu's own translator is
# part of the figure), one over plain HTTP for comparison, and the binaries' sizes.
# Fails when henge-pi x86-64 over TLS is above the target (3.5 MiB of RSS).
#   bench/c_client_footprint.sh
# Needs the release build of henged and the test dependencies (both installed and built
# here) and openssl, which makes the CA and henged's certificate.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" --test
cd "$root"
limit_kib=3584
cmake --preset release >/dev/null && cmake --build --preset release --target henged >/dev/null
cmake -S clients/c -B build/pi-x86 -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/pi-x86 >/dev/null
cmake -S clients/c -B build/arm64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" >/dev/null
cmake --build build/arm64 >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# A CA and a certificate for 127.0.0.1 that it signed.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
  -days 1 -subj "/CN=footprint CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/server.key" -out "$work/server.csr" \
  -subj "/CN=henged" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$work/ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -out "$work/server.pem" -days 1 -extfile "$work/ext" 2>/dev/null

start_henged() {  # scheme, port, extra arguments...
  local scheme=$1 port=$2; shift 2
  build/release/src/henged/henged --listen "127.0.0.1:$port" --data-dir "$work/data-$scheme" --admin-token bench-footprint-admin \
    --keepalive 1 "$@" >/dev/null 2>"$work/henged-$scheme.log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -sf --cacert "$work/ca.pem" "$scheme://127.0.0.1:$port/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "henged ($scheme) did not start:" >&2; cat "$work/henged-$scheme.log" >&2; exit 1
}
port=$(( 20000 + RANDOM % 20000 ))
start_henged https "$port" --tls-cert "$work/server.pem" --tls-key "$work/server.key"
start_henged http $(( port + 1 ))
tls_server=https://127.0.0.1:$port
plain_server=http://127.0.0.1:$(( port + 1 ))

api() {  # server, method, path, [body]
  curl -sS --fail-with-body --cacert "$work/ca.pem" -H 'authorization: Bearer bench-footprint-admin' \
    -H 'content-type: application/json' -X "$2" "$1$3" ${4:+--data "$4"}
}

started=0
start_pi() {  # server, name, then the command that runs henge-pi; sets $started to its pid
  local server=$1 name=$2; shift 2
  api "$server" POST /v1/devices "{\"id\":\"$name\"}" | jq -r .token > "$work/$name.token"
  mkdir -p "$work/$name"
  "$@" --server "$server" --token-file "$work/$name.token" --ca-file "$work/ca.pem" \
    --output "$work/$name/config.json" --state-dir "$work/$name/state" --keepalive 1 >/dev/null 2>"$work/$name.log" &
  started=$!
  pids+=("$started")
}
start_pi "$tls_server" native build/pi-x86/henge-pi
native=$started
start_pi "$plain_server" plain build/pi-x86/henge-pi
plain=$started
start_pi "$tls_server" arm64 qemu-aarch64 -L /usr/aarch64-linux-gnu build/arm64/henge-pi
arm64=$started

pad=$(head -c 2000 /dev/zero | tr '\0' x)
push() {  # server, name, i
  api "$1" PUT "/v1/devices/$2/config" "{\"i\":$3,\"pad\":\"$pad\"}" | jq -r .revision
}
wait_in_sync() {  # server, name, revision
  for _ in $(seq 1 600); do
    api "$1" GET "/v1/devices/$2" | jq -e --argjson r "$3" '.status == "in_sync" and .applied_revision == $r' \
      >/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not apply revision $3:" >&2; tail -5 "$work/$2.log" >&2; exit 1
}
declare -A last # revisions are henged's, across devices: each device's own last one
for i in $(seq 1 50); do
  for name in native arm64; do last[$name]=$(push "$tls_server" "$name" "$i"); done
  last[plain]=$(push "$plain_server" plain "$i")
done
for name in native arm64; do wait_in_sync "$tls_server" "$name" "${last[$name]}"; done
wait_in_sync "$plain_server" plain "${last[plain]}"

echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
report() {  # label, pid
  local rss hwm dirty
  rss=$(awk '/^VmRSS/{print $2}' "/proc/$2/status")
  hwm=$(awk '/^VmHWM/{print $2}' "/proc/$2/status")
  dirty=$(awk '/^Private_Dirty/{print $2}' "/proc/$2/smaps_rollup")
  printf '%-36s RSS %6d KiB  peak %6d KiB  private dirty %6d KiB\n' "$1" "$rss" "$hwm" "$dirty"
}
report "henge-pi x86-64, TLS" "$native"
report "henge-pi x86-64, plain HTTP" "$plain"
report "henge-pi arm64, TLS (qemu, with qemu)" "$arm64"
# qemu's own share: a do-nothing arm64 program under the same qemu.
aarch64-linux-gnu-gcc -O2 -o "$work/idle_arm64" bench/idle_floor.c
qemu-aarch64 -L /usr/aarch64-linux-gnu "$work/idle_arm64" >"$work/idle.out" &
idle=$!
pids+=("$idle")
for _ in $(seq 1 100); do grep -q ready "$work/idle.out" && break; sleep 0.05; done
report "do-nothing arm64 program (qemu alone)" "$idle"
echo "shared objects mapped (x86-64): $(awk '$6 ~ /\.so/ {print $6}' "/proc/$native/maps" | sort -u | wc -l)"
strip -o "$work/x86" build/pi-x86/henge-pi
aarch64-linux-gnu-strip -o "$work/arm" build/arm64/henge-pi
printf 'binary, stripped: x86-64 %d bytes, arm64 %d bytes\n' "$(stat -c %s "$work/x86")" "$(stat -c %s "$work/arm")"
rss=$(awk '/^VmRSS/{print $2}' "/proc/$native/status")
if (( rss > limit_kib )); then
  echo "henge-pi over TLS holds $rss KiB: over the target of $limit_kib KiB" >&2
  exit 1
fi
