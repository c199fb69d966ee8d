#!/bin/bash
# Storage benchmark, both backends, with PostgreSQL's own pgbench in the same run.
#
#   tests/bench/storage/run_storage_bench.sh [BUILD_DIR] [SCALE]
#
# SQLite: a file in a fresh directory under /var/tmp (on disk, not tmpfs), WAL,
# synchronous=NORMAL. PostgreSQL: a throwaway cluster from tests/support/pg/pg_throwaway.sh
# with fsync=on, synchronous_commit=on, full_page_writes=on (WL_PG_DURABLE=1), so the
# figures include real WAL flushes. pgbench: TPC-B-like, scale 10, 1 and 4 clients.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/build}
scale=${2:-1}
bench=$build/tests/bench/storage/store_bench
[ -x "$bench" ] || { echo "no $bench; build it first (ninja -C $build tests/bench/storage/store_bench)" >&2; exit 1; }

echo "== machine: $(nproc) CPUs, $(uname -r); load: $(cut -d' ' -f1-3 /proc/loadavg)"
sqlite_dir=$(mktemp -d /var/tmp/wl-bench.XXXXXX)
trap 'rm -rf "$sqlite_dir"' EXIT
echo "== SQLite ($(df -T "$sqlite_dir" | awk 'NR==2 {print $2}') filesystem)"
"$bench" sqlite "$sqlite_dir/bench.db" "$scale"

echo "== PostgreSQL (throwaway cluster, durable settings)"
WL_PG_DURABLE=1 "$root/tests/support/pg/pg_throwaway.sh" run bash -c '
  set -euo pipefail
  echo "   data directory filesystem: $(df -T "$WL_PG_DIR" | awk "NR==2 {print \$2}")"
  "$0" postgresql "host=127.0.0.1 port=$PGPORT user=$PGUSER password=$PGPASSWORD dbname=$PGDATABASE" "$1"
  echo "== pgbench (same cluster, same run): TPC-B-like, scale 10, 15 s each"
  pgbench=/usr/lib/postgresql/15/bin/pgbench
  $pgbench -i -q -s 10 -h 127.0.0.1 >/dev/null 2>&1
  for clients in 1 4; do
    printf "pgbench -c %s: " "$clients"
    $pgbench -h 127.0.0.1 -c "$clients" -j "$clients" -T 15 -n 2>/dev/null | grep -E "^tps" | sed "s/ (without initial connection time)//"
  done
' "$bench" "$scale"
