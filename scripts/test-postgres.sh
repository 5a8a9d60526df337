#!/usr/bin/env bash
# A throwaway PostgreSQL for the test suite, from Debian's postgresql package: not a
# system service. Usage:
#   test-postgres.sh start DIR    initdb into DIR (first time), serve on a free
#                                 loopback port with fsync on; DIR/url names it
#   test-postgres.sh stop DIR     stop it, keep the data (start again reuses the port)
#   test-postgres.sh destroy DIR  stop it and remove DIR
# As root, the server runs as the package's `postgres` user (initdb refuses root).
set -euo pipefail
cmd=${1:?usage: test-postgres.sh start|stop|destroy DIR}
dir=${2:?usage: test-postgres.sh start|stop|destroy DIR}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "test-postgres.sh: no PostgreSQL under /usr/lib/postgresql (install postgresql)" >&2; exit 1; }
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi

pg_ctl() { "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" "$@"; }

case $cmd in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      # --no-sync only skips flushing initdb's own files; the server runs with fsync on.
      "${as[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U henge -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    pg_ctl status >/dev/null 2>&1 && exit 0
    for _ in 1 2 3 4 5; do
      port=$(cat "$dir/port" 2>/dev/null || echo $(( 30000 + RANDOM % 20000 )))
      if pg_ctl -l "$dir/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=on -c max_connections=300" \
        start >/dev/null; then
        echo "$port" >"$dir/port"
        echo "postgresql://henge@127.0.0.1:$port/postgres" >"$dir/url"
        exit 0
      fi
      rm -f "$dir/port"  # most likely the port was taken: try another
    done
    echo "test-postgres.sh: PostgreSQL did not start; see $dir/server.log" >&2
    tail -5 "$dir/server.log" >&2 || true
    exit 1
    ;;
  stop)
    [ -d "$dir/data" ] && pg_ctl -m fast -w stop >/dev/null 2>&1 || true
    ;;
  destroy)
    [ -d "$dir/data" ] && pg_ctl -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "test-postgres.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
