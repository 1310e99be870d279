#!/usr/bin/env bash
# The production profile's services for tests: a throw-away PostgreSQL 15 and a Debian
# redis-server, on loopback only, with their data under a fresh temporary directory.
#
# As a command:
#   bash .ci/services.sh run CMD [ARGS...]   start both, run CMD with DATABASE_URL and
#                                            REDIS_URL exported, stop both (whatever CMD
#                                            did); exits with CMD's status
#   bash .ci/services.sh start               start both and keep them running; prints the
#                                            export lines (eval "$(bash .ci/services.sh env)")
#   bash .ci/services.sh env                 print the export lines of the running pair
#   bash .ci/services.sh stop                stop the pair that `start` left running
#   bash .ci/services.sh install             install postgresql-15 and redis-server where missing
# Sourced (as .ci/run does): services_install, services_start, services_stop,
# services_describe; services_start exports DATABASE_URL and REDIS_URL.
#
# Ports: IFIXIT_PG_PORT (default 25432) and IFIXIT_REDIS_PORT (default 26379); when one is
# taken the next free port above it is used. The defaults sit below Linux's ephemeral range
# (32768-60999): a port in it can be held, unlistened, by any outgoing connection, which a
# connect() probe cannot see and which makes the server's bind fail. Run as root, PostgreSQL runs as the `postgres`
# user (it refuses to run as root); otherwise both run as the calling user.

IFIXIT_PG_BIN="${IFIXIT_PG_BIN:-/usr/lib/postgresql/15/bin}"
_SERVICES_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where `start` records the running pair for a later `env` / `stop`.
_SERVICES_STATE_FILE="${IFIXIT_SERVICES_STATE_FILE:-$_SERVICES_REPO/var/test-services.env}"

_svc_log() { echo "== services: $*" >&2; }
_svc_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Run a PostgreSQL command as the user PostgreSQL runs as, from a directory it can read.
_svc_as_pg() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

_svc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

_svc_free_port() {
  local port=$1 tries=0
  while _svc_port_busy "$port"; do
    port=$((port + 1)); tries=$((tries + 1))
    if [ "$tries" -ge 50 ]; then _svc_log "no free port near $1"; return 1; fi
  done
  echo "$port"
}

services_install() {
  local need=()
  if [ ! -x "$IFIXIT_PG_BIN/postgres" ]; then need+=(postgresql-15); fi
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then need+=(redis-server); fi
  if [ "${#need[@]}" -eq 0 ]; then return 0; fi
  _svc_log "installing ${need[*]} (Debian packages)"
  # The packages would start their own system-wide services; keep them from doing so
  # (Docker images already ship this policy; add it only for the install if it is missing).
  local policy=/usr/sbin/policy-rc.d added_policy=""
  if [ ! -e "$policy" ]; then
    _svc_as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    added_policy=1
  fi
  local rc=0
  { _svc_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    _svc_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; } || rc=$?
  if [ -n "$added_policy" ]; then _svc_as_root rm -f "$policy"; fi
  if [ "$rc" -ne 0 ]; then _svc_log "apt-get install ${need[*]} failed (exit $rc)"; return "$rc"; fi
  [ -x "$IFIXIT_PG_BIN/postgres" ] || { _svc_log "no PostgreSQL 15 at $IFIXIT_PG_BIN after install"; return 1; }
  command -v redis-server >/dev/null 2>&1 || { _svc_log "no redis-server after install"; return 1; }
}

# Start both servers and export DATABASE_URL and REDIS_URL. On failure it stops whatever
# it started and returns non-zero.
services_start() {
  services_install || return 1
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    _svc_log "running as root but there is no 'postgres' user to run PostgreSQL as"; return 1
  fi

  IFIXIT_SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ifixit-services.XXXXXX")" || return 1
  export IFIXIT_SERVICES_DIR
  chmod 755 "$IFIXIT_SERVICES_DIR"   # the postgres user must reach its data dir inside
  local dir=$IFIXIT_SERVICES_DIR
  mkdir -p "$dir/pg" "$dir/redis"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/pg"; fi
  chmod 700 "$dir/pg"

  local pg_port redis_port
  pg_port="$(_svc_free_port "${IFIXIT_PG_PORT:-25432}")" || { services_stop; return 1; }
  redis_port="$(_svc_free_port "${IFIXIT_REDIS_PORT:-26379}")" || { services_stop; return 1; }
  local password
  password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

  # --- PostgreSQL: peer auth on its own socket (for the superuser set-up below),
  #     password auth on 127.0.0.1 only, listening on nothing else.
  if ! _svc_as_pg "$IFIXIT_PG_BIN/initdb" -D "$dir/pg/data" -U postgres -E UTF8 --locale=C.UTF-8 \
         --auth-local=peer --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1; then
    _svc_log "initdb failed:"; cat "$dir/initdb.log" >&2; services_stop; return 1
  fi
  cat > "$dir/pg/data/pg_hba.conf" <<EOF
local all postgres peer
host  all all 127.0.0.1/32 scram-sha-256
EOF
  cat >> "$dir/pg/data/postgresql.conf" <<EOF

# ifixit test services
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$dir/pg'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  # Started as a child of this shell (not daemonized by pg_ctl), so that services_stop can
  # wait for it to be gone and reaped.
  if [ "$(id -u)" = 0 ]; then
    (cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
       "$IFIXIT_PG_BIN/postgres" -D "$dir/pg/data") >"$dir/pg/postgresql.log" 2>&1 </dev/null &
  else
    (cd / && exec "$IFIXIT_PG_BIN/postgres" -D "$dir/pg/data") >"$dir/pg/postgresql.log" 2>&1 </dev/null &
  fi
  _SVC_PG_PID=$!
  echo "$_SVC_PG_PID" > "$dir/postgres.pid"
  local i
  for i in $(seq 1 120); do
    "$IFIXIT_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
    kill -0 "$_SVC_PG_PID" 2>/dev/null || break
    sleep 0.5
  done
  if ! "$IFIXIT_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
    _svc_log "PostgreSQL does not answer on 127.0.0.1:$pg_port:"; tail -n 30 "$dir/pg/postgresql.log" >&2
    services_stop; return 1
  fi
  # The app's role: owns its database and may create test databases (pytest-django).
  if ! _svc_as_pg "$IFIXIT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/pg" -p "$pg_port" -U postgres -d postgres \
         -c "CREATE ROLE ifixit LOGIN CREATEDB PASSWORD '$password'" \
         -c "CREATE DATABASE ifixit OWNER ifixit" >/dev/null; then
    _svc_log "could not create the ifixit role and database"; services_stop; return 1
  fi

  # --- Redis: loopback only, no persistence.
  (cd "$dir/redis" && exec redis-server --bind 127.0.0.1 --port "$redis_port" --protected-mode yes \
     --daemonize no --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
     --dir "$dir/redis" --save '' --appendonly no) >/dev/null 2>&1 </dev/null &
  _SVC_REDIS_PID=$!
  echo "$_SVC_REDIS_PID" > "$dir/redis-server.pid"
  for i in $(seq 1 60); do
    [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    kill -0 "$_SVC_REDIS_PID" 2>/dev/null || break
    sleep 0.25
  done
  if [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" != PONG ]; then
    _svc_log "Redis does not answer on 127.0.0.1:$redis_port:"; tail -n 30 "$dir/redis/redis.log" >&2
    services_stop; return 1
  fi

  export DATABASE_URL="postgres://ifixit:$password@127.0.0.1:$pg_port/ifixit"
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export IFIXIT_PG_PORT_USED="$pg_port" IFIXIT_REDIS_PORT_USED="$redis_port"
}

# One line naming the running servers and their versions, as the servers report them.
services_describe() {
  local pg_version redis_version
  pg_version="$("$IFIXIT_PG_BIN/psql" -X -At "$DATABASE_URL" -c 'SHOW server_version' 2>/dev/null | cut -d' ' -f1)"
  redis_version="$(redis-cli -u "$REDIS_URL" info server 2>/dev/null | tr -d '\r' | sed -n 's/^redis_version://p')"
  echo "PostgreSQL ${pg_version:-?} at 127.0.0.1:$IFIXIT_PG_PORT_USED (database ifixit, user ifixit), Redis ${redis_version:-?} at 127.0.0.1:$IFIXIT_REDIS_PORT_USED (db 0)"
}

# _svc_stop_pid PIDFILE SIGNAL [LAST_RESORT_SIGNAL]: stop that server, wait until it is
# gone (and reap it when it is this shell's child).
_svc_stop_pid() {
  local pidfile=$1 sig=$2 last=${3:-KILL} pid i
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -"$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -"$last" "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  wait "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# Stop both servers and remove their data. Safe to call twice, or after a partial start.
services_stop() {
  local dir=${1:-${IFIXIT_SERVICES_DIR:-}}
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  # Redis: SIGTERM (shutdown without saving: --save ''), then SIGKILL if it lingers.
  _svc_stop_pid "$dir/redis-server.pid" TERM
  # PostgreSQL: SIGINT is its "fast" shutdown; SIGQUIT its "immediate" one.
  _svc_stop_pid "$dir/postgres.pid" INT QUIT
  rm -rf "$dir"
  if [ "$dir" = "${IFIXIT_SERVICES_DIR:-}" ]; then unset IFIXIT_SERVICES_DIR; fi
  return 0
}

_svc_main() {
  set -euo pipefail
  local cmd=${1:-}
  shift || true
  case "$cmd" in
    install)
      services_install ;;
    run)
      [ "$#" -gt 0 ] || { echo "usage: $0 run CMD [ARGS...]" >&2; return 2; }
      trap 'services_stop' EXIT
      trap 'exit 130' INT
      trap 'exit 143' TERM
      services_start
      echo "== production profile: $(services_describe)"
      local rc=0
      "$@" || rc=$?
      return "$rc" ;;
    start)
      if [ -f "$_SERVICES_STATE_FILE" ]; then
        echo "already started (see $_SERVICES_STATE_FILE); run '$0 stop' first" >&2; return 1
      fi
      services_start
      mkdir -p "$(dirname "$_SERVICES_STATE_FILE")"
      ( umask 077
        { echo "export IFIXIT_SERVICES_DIR='$IFIXIT_SERVICES_DIR'"
          echo "export IFIXIT_PG_PORT_USED='$IFIXIT_PG_PORT_USED' IFIXIT_REDIS_PORT_USED='$IFIXIT_REDIS_PORT_USED'"
          echo "export DATABASE_URL='$DATABASE_URL'"
          echo "export REDIS_URL='$REDIS_URL'"; } > "$_SERVICES_STATE_FILE" )
      echo "== production profile: $(services_describe)" >&2
      echo "== stop them with: bash .ci/services.sh stop" >&2
      grep -E '^export (DATABASE_URL|REDIS_URL)=' "$_SERVICES_STATE_FILE" ;;
    env)
      [ -f "$_SERVICES_STATE_FILE" ] || { echo "not started; run '$0 start'" >&2; return 1; }
      grep -E '^export (DATABASE_URL|REDIS_URL)=' "$_SERVICES_STATE_FILE" ;;
    stop)
      [ -f "$_SERVICES_STATE_FILE" ] || { echo "not started" >&2; return 0; }
      # shellcheck disable=SC1090
      . "$_SERVICES_STATE_FILE"
      services_stop "$IFIXIT_SERVICES_DIR"
      rm -f "$_SERVICES_STATE_FILE"
      echo "== services stopped" >&2 ;;
    *)
      echo "usage: $0 run CMD [ARGS...] | start | env | stop | install" >&2; return 2 ;;
  esac
}

# Executed (not sourced): dispatch the subcommand.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  _svc_main "$@"
fi
