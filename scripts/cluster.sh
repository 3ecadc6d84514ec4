#!/usr/bin/env bash
# A production-shaped Temporal cluster on this machine (`npm run cluster`): the multi-service
# server from go.temporal.io/server, PostgreSQL persistence and PostgreSQL visibility (SQL
# visibility, as a cluster of your own would have), 4 history shards, the `default` namespace.
# The dev server of `npm start` is one process on SQLite; this is the shape the service meets in
# production, so the scaled-out topology (N API and M worker processes) can be run and checked.
#
#   scripts/cluster.sh [start] [DIR] [--port N] [--background]
#       build or reuse the server binaries, start PostgreSQL (scripts/postgres.sh) in DIR/postgres,
#       set up or update the schemas, start the server, create the namespace, print the address.
#       In the foreground until SIGINT/SIGTERM, which stop the server and PostgreSQL; with
#       --background it returns once the cluster answers (stop it with `stop DIR`).
#   scripts/cluster.sh stop [DIR] [--server-only]
#                                     stop a cluster started with --background; --server-only stops
#                                     the Temporal server and leaves PostgreSQL running, so a later
#                                     `start DIR --background --port N` restarts the server alone on
#                                     the same databases and address (a server restart under load)
#   scripts/cluster.sh url [DIR]      print the address of a running one
#
# DIR defaults to $DATA_DIR/cluster ($DATA_DIR: ./.data). The frontend's gRPC port is --port
# (default 7233, what TEMPORAL_ADDRESS names); the server's internal ports are free ones.
# The binaries are built once into $CLUSTER_CACHE_DIR (default ~/.cache/callback-events), one
# folder per server version; the first build takes about 8 minutes on 2 cores (Go >= 1.26.10,
# fetched by the go command as a toolchain when the installed one is older).
set -euo pipefail

SERVER_VERSION="v1.32.2"
GO_TOOLCHAIN="go1.26.10"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

cmd="start"
case "${1:-}" in start|stop|url) cmd="$1"; shift ;; esac
dir=""
port="7233"
background=0
server_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:?--port needs a number}"; shift 2 ;;
    --background) background=1; shift ;;
    --server-only) server_only=1; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 64 ;;
    *) dir="$1"; shift ;;
  esac
done
dir="${dir:-${DATA_DIR:-./.data}/cluster}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
temporal_cli="${TEMPORAL_CLI_PATH:-temporal}"

log() { echo "[cluster] $*" >&2; }

stop_server() {
  local pid
  pid="$(cat "$dir/server.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    # The server drains for a few seconds; after 30 it is killed.
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/server.pid" "$dir/address"
  [ "$server_only" -eq 1 ] || bash "$HERE/postgres.sh" stop "$dir/postgres" || true
}

case "$cmd" in
  stop) stop_server; exit 0 ;;
  url) cat "$dir/address"; exit 0 ;;
esac

if [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
  echo "a cluster already runs in $dir at $(cat "$dir/address" 2>/dev/null) (stop it: $0 stop $dir)" >&2
  exit 1
fi

# --- The binaries: built once per version, into a cache of our own -------------------------------
cache="${CLUSTER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/callback-events}/temporal-server-$SERVER_VERSION"
if [ "$(cat "$cache/.stamp" 2>/dev/null)" != "$SERVER_VERSION" ]; then
  mkdir -p "$cache"
  gobin="$(go env GOPATH 2>/dev/null)/bin"
  if [ -x "$gobin/server" ] && [ -x "$gobin/sql" ] \
    && "$gobin/server" --version 2>/dev/null | grep -q "${SERVER_VERSION#v}$" \
    && "$gobin/sql" --version 2>/dev/null | grep -q "${SERVER_VERSION#v}$"; then
    # A plain `go install` of the same version already built them: no need for minutes more.
    log "reusing the $SERVER_VERSION build in $gobin"
    cp "$gobin/server" "$gobin/sql" "$cache/"
  else
    command -v go >/dev/null || { echo "the Go command is needed to build the Temporal server (apt-get install golang-go)" >&2; exit 1; }
    log "building the Temporal server $SERVER_VERSION into $cache (once; several minutes)"
    started=$SECONDS
    for tool in cmd/server cmd/tools/sql; do
      GOTOOLCHAIN="$GO_TOOLCHAIN" GOBIN="$cache" GOFLAGS="${GOFLAGS:-} -trimpath" \
        go install "go.temporal.io/server/$tool@$SERVER_VERSION"
    done
    log "built in $((SECONDS - started)) s"
  fi
  echo "$SERVER_VERSION" >"$cache/.stamp"
fi
server_bin="$cache/server"
sql_bin="$cache/sql"

# --- PostgreSQL and the schemas -------------------------------------------------------------------
# One left running by `stop --server-only` is used as it is (postgres.sh start changes nothing then).
pg_url="$(bash "$HERE/postgres.sh" start "$dir/postgres")"
pg_port="$(cat "$dir/postgres/port")"
cleanup_pg() { bash "$HERE/postgres.sh" stop "$dir/postgres" || true; }
trap cleanup_pg EXIT

psql_q() { psql "$pg_url" -v ON_ERROR_STOP=1 -qtAc "$1"; }
# scripts/postgres.sh trusts loopback; the server still logs in as a user with a password.
psql_q "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'temporal') THEN CREATE ROLE temporal LOGIN SUPERUSER PASSWORD 'temporal'; END IF; END \$\$" >/dev/null

sql_tool() { "$sql_bin" --ep 127.0.0.1 -p "$pg_port" -u temporal --pw temporal --pl postgres12 --db "$1" "${@:2}"; }
for pair in temporal:postgresql/v12/temporal temporal_visibility:postgresql/v12/visibility; do
  db="${pair%%:*}"
  schema="${pair#*:}"
  if [ "$(psql_q "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
    sql_tool "$db" create >>"$dir/schema.log" 2>&1
  fi
  # setup-schema only on an empty database; update-schema every time: a no-op when up to date,
  # the migration when the server version moved on.
  if [ "$(psql "postgres://temporal:temporal@127.0.0.1:$pg_port/$db" -qtAc "SELECT to_regclass('schema_version') IS NOT NULL")" != "t" ]; then
    sql_tool "$db" setup-schema -v 0.0 >>"$dir/schema.log" 2>&1 || { tail -n 20 "$dir/schema.log" >&2; exit 1; }
  fi
  sql_tool "$db" update-schema --schema-name "$schema" >>"$dir/schema.log" 2>&1 || { tail -n 20 "$dir/schema.log" >&2; exit 1; }
done

# --- Dynamic config --------------------------------------------------------------------------------
# What the dev server of `npm start` is given too (src/temporal/devServer.ts): the new matcher for
# task priority (the priority lane), fairness between tenants, and eager workflow start.
cat >"$dir/dynamicconfig.yaml" <<'YAML'
matching.useNewMatcher:
  - value: true
matching.enableFairness:
  - value: true
system.enableEagerWorkflowStart:
  - value: true
YAML

# --- The server -----------------------------------------------------------------------------------
# Below 32768: the membership table stores ports as smallint, and the kernel's ephemeral ports are
# above it. Random, so two clusters on one machine rarely race for the same one.
free_port() {
  python3 -c '
import random, socket
while True:
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()'
}
# SO_REUSEADDR, as the server's own listener has: after a restart (stop --server-only) the port's
# old connections linger in TIME_WAIT, which would fail a plain bind though nothing listens.
if ! python3 -c "import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
  echo "port $port is taken: pass --port N" >&2
  exit 1
fi
address="127.0.0.1:$port"
# The internal ports are kept per folder (in DIR/ports) while they are free: a restarted server
# then has the addresses its previous run recorded as members in the database, which its ringpop
# bootstrap tries first. With new ports it spent its whole 30 s join timeout on addresses no one
# listened on, and history and matching were out of reach for about 45 s after the restart.
port_free() {
  python3 -c "import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" "$1" 2>/dev/null
}
: >"$dir/ports.new"
internal_port() {
  local p
  p="$(sed -n "s/^$1 //p" "$dir/ports" 2>/dev/null || true)"
  if [ -z "$p" ] || ! port_free "$p"; then p="$(free_port)"; fi
  echo "$1 $p" >>"$dir/ports.new"
  echo "$p"
}
server_env=(
  DB=postgres12 POSTGRES_SEEDS=127.0.0.1 DB_PORT="$pg_port" VISIBILITY_DB_PORT="$pg_port"
  POSTGRES_USER=temporal POSTGRES_PWD=temporal NUM_HISTORY_SHARDS=4
  DYNAMIC_CONFIG_FILE_PATH="$dir/dynamicconfig.yaml" BIND_ON_IP=127.0.0.1 LOG_LEVEL=warn
  FRONTEND_GRPC_PORT="$port" FRONTEND_HTTP_PORT="$(internal_port frontend-http)" FRONTEND_MEMBERSHIP_PORT="$(internal_port frontend-membership)"
  HISTORY_GRPC_PORT="$(internal_port history-grpc)" HISTORY_MEMBERSHIP_PORT="$(internal_port history-membership)"
  MATCHING_GRPC_PORT="$(internal_port matching-grpc)" MATCHING_MEMBERSHIP_PORT="$(internal_port matching-membership)"
  WORKER_GRPC_PORT="$(internal_port worker-grpc)" WORKER_MEMBERSHIP_PORT="$(internal_port worker-membership)"
)
mv "$dir/ports.new" "$dir/ports"
# The embedded config template (no config file given) reads all of it from the environment.
(cd "$dir" && exec env "${server_env[@]}" "$server_bin" --allow-no-auth start) >>"$dir/server.log" 2>&1 &
server_pid=$!
echo "$server_pid" >"$dir/server.pid"
trap 'stop_server' EXIT

started=$SECONDS
until "$temporal_cli" operator cluster health --address "$address" >/dev/null 2>&1; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the Temporal server exited; its log ($dir/server.log) ends:" >&2
    tail -n 30 "$dir/server.log" | cut -c1-400 >&2
    exit 1
  fi
  [ $((SECONDS - started)) -lt 120 ] || { echo "the Temporal server did not answer on $address within 120 s" >&2; exit 1; }
  sleep 0.5
done

if ! "$temporal_cli" operator namespace describe -n default --address "$address" >/dev/null 2>&1; then
  "$temporal_cli" operator namespace create -n default --retention 24h --address "$address" >/dev/null
fi
# A new namespace reaches the frontend's cache within seconds; until then calls to it fail.
until "$temporal_cli" workflow count -n default --address "$address" >/dev/null 2>&1; do
  [ $((SECONDS - started)) -lt 120 ] || { echo "the namespace default did not become usable on $address" >&2; exit 1; }
  sleep 0.5
done
echo "$address" >"$dir/address"

echo "cluster: Temporal $SERVER_VERSION on PostgreSQL at $address (namespace default, 4 history shards; ready in $((SECONDS - started)) s). Point the service at it: TEMPORAL_ADDRESS=$address npm run api / TEMPORAL_ADDRESS=$address npm run worker"

if [ "$background" -eq 1 ]; then
  trap - EXIT
  exit 0
fi
trap 'stop_server; exit 0' INT TERM
log "in the foreground: Ctrl-C stops the server and PostgreSQL (logs: $dir/server.log)"
set +e
wait "$server_pid"
code=$?
set -e
echo "the Temporal server exited ($code); its log ($dir/server.log) ends:" >&2
tail -n 30 "$dir/server.log" | cut -c1-400 >&2
exit 1
