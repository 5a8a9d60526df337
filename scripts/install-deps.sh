#!/usr/bin/env bash
# Installs what henge needs to build and test, from Debian 12's packages (and, for the
# test tools, npm). Idempotent: installs only what is missing, so a second run is
# quick. Needs root (or sudo) only when something is missing.
#
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   build dependencies and the test tools
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

packages=(
  g++ clang cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libsqlite3-dev libpq-dev libssl-dev libcli11-dev libvalijson-dev libre2-dev
  libgtest-dev
  libmbedtls-dev libcjson-dev libgpiod-dev
  liblwip-dev  # the lwIP port (the Pico W's) is tested on this host over Debian's lwIP
  jq  # the README's curl walkthrough reads revisions and tokens from the answers
)
if (( want_test )); then
  packages+=(curl openssl nodejs npm valgrind)
  # The suite damages SQLite rows as another program (or an older henged) might.
  packages+=(sqlite3)
  # The suite starts its own PostgreSQL (scripts/test-postgres.sh) and puts haproxy in
  # front of henged replicas.
  packages+=(postgresql haproxy)
  # promtool checks /metrics.
  packages+=(prometheus)
  # The C client is cross-built for 64- and 32-bit Raspberry Pi OS and run under qemu
  # (the 32-bit build is static, from an armel sysroot: scripts/armel-sysroot.sh).
  packages+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libmbedtls-dev:arm64)
  packages+=(gcc-arm-linux-gnueabi mmdebstrap)
  # libhenge-core is built for Cortex-M microcontrollers and its tests run under qemu.
  packages+=(gcc-arm-none-eabi picolibc-arm-none-eabi qemu-system-arm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# A machine may have node and npm from elsewhere; they will do.
if (( want_test )) && command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if (( ${#missing[@]} )); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if (( want_test )) && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64  # for the arm64 libraries of the cross-build
  fi
  $sudo apt-get update -qq
  # Recommends are skipped: libvalijson-dev already depends on every JSON library
  # it has an adapter for (henge uses the Boost.JSON one), which is plenty.
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if (( want_test )) && ! command -v kubectl >/dev/null; then
  # Debian's kubernetes-client is too old for the suite's kustomize features.
  echo "install-deps: the suite renders deploy/k8s with kubectl 1.32+ (kustomize 5); install it from the Kubernetes or Google Cloud CLI packages" >&2
  exit 1
fi

if (( want_test )); then
  stamp="$root/tests/node_modules/.henge-lock-sha"
  lock_sha=$(sha256sum "$root/tests/package-lock.json" | cut -d' ' -f1)
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sha" ]]; then
    echo "install-deps: installing the npm test tools"
    # The registry sometimes drops a download midway (EIDLETIMEOUT): npm ci starts over
    # from the lock file, so a second and third try are safe.
    for try in 1 2 3; do
      if (cd "$root/tests" && npm ci --no-audit --no-fund --loglevel=error --fetch-retries=4); then break; fi
      if (( try == 3 )); then echo "install-deps: npm ci failed 3 times" >&2; exit 1; fi
      echo "install-deps: npm ci failed; trying again ($((try + 1)) of 3)" >&2
    done
    echo "$lock_sha" > "$stamp"
  fi
fi
