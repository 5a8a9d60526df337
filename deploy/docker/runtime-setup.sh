#!/bin/sh
# Prepares a Debian 12 runtime image for one of henge's programs: only the shared
# libraries it links (the dynamic linker's NEEDED entries, checked by the suite), CA
# certificates for TLS, an unprivileged user and the program's data directory.
#   runtime-setup.sh henged|henge-agent
set -eu
case "${1:-}" in
  henged)
    # SQLite, PostgreSQL's client library, OpenSSL, Boost.JSON, RE2.
    packages="libsqlite3-0 libpq5 libssl3 libboost-json1.81.0 libre2-9"
    data=/var/lib/henge ;;
  henge-agent)
    packages="libssl3 libboost-json1.81.0"
    data=/var/lib/henge-agent ;;
  *) echo "usage: runtime-setup.sh henged|henge-agent" >&2; exit 2 ;;
esac

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # the list is split on purpose
apt-get install -y -qq --no-install-recommends $packages ca-certificates >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/*

# A fixed uid/gid, so Kubernetes' runAsUser and fsGroup can name it.
groupadd --system --gid 10001 henge
useradd --system --uid 10001 --gid henge --home-dir "$data" --no-create-home --shell /usr/sbin/nologin henge
install -d -o henge -g henge -m 0700 "$data"
