#!/usr/bin/env bash
# Makes (once) a sysroot with the armel libraries a static henge-pi links (glibc and
# mbedTLS), for the build that runs on every 32-bit Raspberry Pi, the ARMv6 Pi Zero and
# Pi 1 included: Debian's armhf is ARMv7, armel (ARMv5TE) runs on an ARM1176.
#   scripts/armel-sysroot.sh DIR
set -euo pipefail
dir=${1:?usage: armel-sysroot.sh DIR}
packages=libc6-dev,libmbedtls-dev
stamp="$dir/.henge-sysroot"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$packages" ]]; then exit 0; fi
rm -rf "$dir"
mmdebstrap --quiet --arch=armel --variant=extract --include="$packages" bookworm "$dir" \
  http://deb.debian.org/debian
echo "$packages" > "$stamp"
