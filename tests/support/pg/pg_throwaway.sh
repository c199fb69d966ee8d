#!/bin/bash
# A throwaway PostgreSQL 15 cluster for tests and benchmarks: initdb into a fresh directory,
# a free TCP port on 127.0.0.1 (SCRAM passwords, as in production) plus a unix socket in
# the directory (trust), one role and database "waitlist". Nothing outside DIR is touched.
#
#   pg_throwaway.sh start DIR     create and start a cluster in DIR (absent or empty);
#                                 prints "export NAME=value" lines (PGHOST PGPORT PGUSER
#                                 PGPASSWORD PGDATABASE DATABASE_URL WL_PG_DIR)
#   pg_throwaway.sh stop DIR      stop it and delete DIR
#   pg_throwaway.sh restart DIR   stop and start it again on the same port, data kept
#   pg_throwaway.sh down DIR      stop the server only (data and port kept); "up DIR" again
#   pg_throwaway.sh run CMD...    start one in a fresh directory under /tmp, run CMD with the
#                                 variables above (and WL_PG_HARNESS, this script) set, stop
#                                 and delete it whatever happens; exits with CMD's status
#
# WL_PG_DURABLE=1 keeps fsync and synchronous_commit on (benchmarks); by default they are
# off, because a test cluster's data is thrown away anyway.
#
# As root, initdb and postgres run as the unprivileged user "postgres" (they refuse root);
# as any other user they run as that user.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DB=waitlist
ROLE=waitlist
PASSWORD=waitlist

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {  # below the ephemeral range: see tests/support/free_port.py
  /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../free_port.py"
}

server_options() {  # server_options DIR PORT
  local opts="-c listen_addresses=127.0.0.1 -p $2 -k $1 -c max_connections=60"
  if [ "${WL_PG_DURABLE:-0}" = 1 ]; then
    opts+=" -c fsync=on -c synchronous_commit=on -c full_page_writes=on"
  else
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  echo "$opts"
}

pg_up() {  # pg_up DIR PORT
  as_pg "$PGBIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 -o "$(server_options "$1" "$2")" start \
    >/dev/null || { echo "pg_throwaway: server did not start; its log:" >&2; cat "$1/server.log" >&2; return 1; }
}

pg_down() {  # pg_down DIR
  [ -f "$1/data/postmaster.pid" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

start() {
  local dir=$1 port
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -n "$(ls -A "$dir")" ]; then echo "pg_throwaway: $dir is not empty" >&2; return 1; fi
  # The socket "$dir/.s.PGSQL.<port>" must fit in sun_path (108 bytes).
  if [ ${#dir} -gt 90 ]; then echo "pg_throwaway: $dir is too long for a unix socket path" >&2; return 1; fi
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
    runuser -u postgres -- test -w "$dir" ||
      { echo "pg_throwaway: user postgres cannot reach $dir; every parent needs o+x" >&2; return 1; }
  fi
  # initdb reads the superuser password from a file (process substitution is not readable
  # by the postgres user when we are root).
  as_pg sh -c "umask 077; echo postgres > '$dir/superuser.pw'"
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust --auth-host=scram-sha-256 \
      --pwfile="$dir/superuser.pw" -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  # The free port is only free until someone else binds it: try a few.
  local tries=0
  until port=$(free_port) && echo "$port" > "$dir/port" && pg_up "$dir" "$port" 2>"$dir/start.err"; do
    tries=$((tries + 1))
    if [ $tries -ge 3 ]; then cat "$dir/start.err" >&2; return 1; fi
  done
  # One statement per -c: CREATE DATABASE cannot run inside a transaction block.
  "$PGBIN/psql" -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" \
      -c "CREATE DATABASE $DB OWNER $ROLE" >/dev/null
  printf 'export PGHOST=%q\n' "$dir"
  printf 'export PGPORT=%q\n' "$port"
  printf 'export PGUSER=%q\n' "$ROLE"
  printf 'export PGPASSWORD=%q\n' "$PASSWORD"
  printf 'export PGDATABASE=%q\n' "$DB"
  printf 'export DATABASE_URL=%q\n' "postgresql://$ROLE:$PASSWORD@127.0.0.1:$port/$DB"
  printf 'export WL_PG_DIR=%q\n' "$dir"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  pg_down "$dir"
  rm -rf "$dir"
}

restart() {
  local dir=$1
  pg_down "$dir"
  pg_up "$dir" "$(cat "$dir/port")"
}

case "${1:-}" in
  start) start "${2:?DIR}" ;;
  stop) stop "${2:?DIR}" ;;
  restart) restart "${2:?DIR}" ;;
  down) pg_down "${2:?DIR}" ;;
  up) pg_up "${2:?DIR}" "$(cat "${2:?DIR}/port")" ;;
  run)
    shift
    [ $# -gt 0 ] || { echo "usage: $0 run CMD..." >&2; exit 2; }
    dir=$(mktemp -d /tmp/wlpg.XXXXXX)
    trap 'stop "$dir"' EXIT
    trap 'exit 130' INT TERM
    env_lines=$(start "$dir") || exit 1
    eval "$env_lines"
    export WL_PG_HARNESS
    WL_PG_HARNESS=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    set +e
    "$@"
    exit $?
    ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
