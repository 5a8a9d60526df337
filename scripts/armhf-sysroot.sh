#!/usr/bin/env bash
# Makes (once) a sysroot with the armhf libraries henge-pi links against, for the
# 32-bit Raspberry Pi OS cross-build: Debian 12's apt here cannot add the armhf
# architecture beside amd64, so the libraries come from bookworm with mmdebstrap.
#   scripts/armhf-sysroot.sh DIR
set -euo pipefail
dir=${1:?usage: armhf-sysroot.sh DIR}
packages=libc6-dev,libmbedtls-dev,libcjson-dev
stamp="$dir/.henge-sysroot"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$packages" ]]; then exit 0; fi
rm -rf "$dir"
mmdebstrap --quiet --arch=armhf --variant=extract --include="$packages" bookworm "$dir" \
  http://deb.debian.org/debian
echo "$packages" > "$stamp"
