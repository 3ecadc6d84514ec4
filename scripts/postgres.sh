#!/usr/bin/env bash
# A throwaway PostgreSQL for tests, the bench, the cluster and CI: Debian's server binaries,
# a fresh cluster in a folder of the caller's, on a free loopback port.
#
#   scripts/postgres.sh start DIR [--same-port]
#                                   initdb DIR/data (once), start it, print its URL on stdout; with
#                                   --same-port on the port it had last time (a restart under
#                                   clients configured with that port), else on a free one
#   scripts/postgres.sh stop DIR    stop it (fast: open connections are cut)
#   scripts/postgres.sh url DIR     print the URL of a running one
#
# Starting one that runs already prints its URL and changes nothing.
#
# PostgreSQL refuses to run as root: when the caller is root, the server runs as the `postgres`
# user, which then owns DIR/data. Authentication is `trust` on loopback only.
set -euo pipefail

cmd="${1:-}"
dir="${2:-}"
same_port=0
[ "${3:-}" = "--same-port" ] && same_port=1
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|url DIR [--same-port]" >&2
  exit 64
fi

bin="${PG_BIN:-}"
if [ -z "$bin" ]; then
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/pg_ctl" ] && bin="$candidate"
  done
fi
if [ -z "$bin" ] && command -v pg_ctl >/dev/null 2>&1; then bin="$(dirname "$(command -v pg_ctl)")"; fi
if [ -z "$bin" ]; then
  echo "PostgreSQL's server binaries were not found: apt-get install postgresql (or set PG_BIN)" >&2
  exit 1
fi

mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
data="$dir/data"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

url_of() {
  local port
  port="$(cat "$dir/port")"
  echo "postgres://postgres@127.0.0.1:${port}/postgres"
}

case "$cmd" in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      [ "$(id -u)" -eq 0 ] && chown postgres: "$dir" "$data"
      as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      url_of
      exit 0
    fi
    if [ "$same_port" -eq 1 ] && [ -f "$dir/port" ]; then
      port="$(cat "$dir/port")"
    else
      port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    fi
    echo "$port" >"$dir/port"
    # The socket goes in the data folder, which the server's user owns; clients use TCP on loopback.
    as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
      || { tail -n 40 "$data/server.log" >&2; exit 1; }
    url_of
    ;;
  stop)
    [ -f "$data/postmaster.pid" ] || exit 0
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    ;;
  url)
    url_of
    ;;
  *)
    echo "usage: $0 start|stop|url DIR [--same-port]" >&2
    exit 64
    ;;
esac
