#!/usr/bin/python3
"""Bulk provisioning benchmark: `waitlistctl directory import` of N rows into a real waitlistd,
on durable PostgreSQL (fsync and synchronous_commit on) and on SQLite, with users retrieving
and adding to their waiting lists during the import.

    bench_import.py --waitlistd PATH --provision PATH --pg-harness PATH [--rows 1000000]
                    [--backend postgresql|sqlite|both]

Per backend:
  import     rows/s of the whole command (read, send, canonicalise, write, commit);
  ceiling    (PostgreSQL) psql's COPY of the same rows, canonical, into a bare table with a
             primary key on uri, in the same cluster in the same run: what the disk and the
             server can take at best;
  latency    retrieve and add IQ round trips of 4 logged-in users, p50/p99, for 10 s without an
             import, then during the import.
A quarter of the numbers are written in national format, so canonicalisation is paid for.
The load average is printed with every figure. Not a test: never in deploy/test."""

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'integration', 'waitlist'))

from harness import DOMAIN, NS, SERVICE, Server  # noqa: E402
from lite_client import LiteClient  # noqa: E402

PASSWORD = 'bench-password'
USERS = 4


def number(i):
    return '+1%03d%03d%04d' % (303 + (i // 8_000_000) * 17, 200 + (i // 10000) % 800, i % 10000)


def write_files(rows, tmp):
    """The import file (mixed formats) and the same rows canonical, for COPY."""
    mixed, canonical = os.path.join(tmp, 'rows.csv'), os.path.join(tmp, 'canonical.csv')
    with open(mixed, 'w') as m, open(canonical, 'w') as c:
        m.write('jid,uri\n')
        for i in range(rows):
            jid = 'sub%d@%s' % (i // 2, DOMAIN)
            n = number(i)
            m.write('%s,%s\n' % (jid, '(%s) %s-%s' % (n[2:5], n[5:8], n[8:]) if i % 4 == 1 else 'tel:' + n))
            c.write('%s,tel:%s\n' % (jid, n))
    return mixed, canonical


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))] * 1000 if s else float('nan')


async def measure_latency(server, stop_event, seconds=None):
    clients = [LiteClient('127.0.0.1', server.c2s_port, DOMAIN, 'lat%d' % i, PASSWORD) for i in range(USERS)]
    for c in clients:
        await c.login()
    retrieve, add = [], []
    counter = [0]

    async def loop(idx, c):
        k = 0
        while not stop_event.is_set():
            # An add first: a user who never had a list gets item-not-found on retrieve.
            counter[0] += 1
            t = time.perf_counter()
            r = await c.iq('set', SERVICE, "<query xmlns='%s'><item><uri scheme='tel'>+1720%03d%04d</uri></item></query>"
                           % (NS, 200 + idx, (counter[0] * 7) % 10000))
            add.append(time.perf_counter() - t)
            if r.get('type') != 'result':
                raise RuntimeError('add failed')
            t = time.perf_counter()
            r = await c.iq('get', SERVICE, "<query xmlns='%s'/>" % NS)
            retrieve.append(time.perf_counter() - t)
            if r.get('type') != 'result':
                raise RuntimeError('retrieve failed')
            k += 1
            await asyncio.sleep(0.01)

    tasks = [asyncio.create_task(loop(i, c)) for i, c in enumerate(clients)]
    if seconds:
        await asyncio.sleep(seconds)
        stop_event.set()
    await asyncio.gather(*tasks)
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return retrieve, add


def run_import(server, path, tmp):
    t = time.perf_counter()
    p = subprocess.run([server.waitlistctl, '--config', server.config, 'directory', 'import', path,
                        '--report', os.path.join(tmp, 'refused.csv'), '--progress', '30'],
                       capture_output=True, text=True, timeout=7200)
    if p.returncode != 0:
        raise RuntimeError('import failed: %s' % p.stderr[-2000:])
    return time.perf_counter() - t, p.stdout


def copy_ceiling(dsn, canonical):
    psql = '/usr/lib/postgresql/15/bin/psql'
    subprocess.run([psql, '-X', '-q', dsn, '-c', 'DROP TABLE IF EXISTS bench_bare',
                    '-c', 'CREATE TABLE bench_bare (jid TEXT NOT NULL, uri TEXT PRIMARY KEY)'], check=True)
    t = time.perf_counter()
    subprocess.run([psql, '-X', '-q', dsn, '-c', "\\copy bench_bare (jid, uri) FROM '%s' WITH (FORMAT csv)" % canonical],
                   check=True)
    return time.perf_counter() - t


async def bench(server, backend, rows, mixed, canonical, tmp):
    for i in range(USERS):
        server.create_account('lat%d@%s' % (i, DOMAIN), PASSWORD)
    load = os.getloadavg()[0]
    quiet_retrieve, quiet_add = await measure_latency(server, asyncio.Event(), seconds=10)
    print('  without import: retrieve p50 %.1f ms p99 %.1f ms, add p50 %.1f ms p99 %.1f ms (%d round trips; load %.2f)'
          % (percentile(quiet_retrieve, .5), percentile(quiet_retrieve, .99), percentile(quiet_add, .5),
             percentile(quiet_add, .99), len(quiet_retrieve) + len(quiet_add), load), flush=True)
    stop = asyncio.Event()
    load = os.getloadavg()[0]
    latency = asyncio.create_task(measure_latency(server, stop))
    seconds, summary = await asyncio.to_thread(run_import, server, mixed, tmp)
    stop.set()
    busy_retrieve, busy_add = await latency
    load_after = os.getloadavg()[0]
    print('  import: %d rows in %.1f s = %.0f rows/s (load %.2f before, %.2f after)'
          % (rows, seconds, rows / seconds, load, load_after), flush=True)
    print('    ' + summary.replace('\n', '; '), flush=True)
    print('  during import:  retrieve p50 %.1f ms p99 %.1f ms, add p50 %.1f ms p99 %.1f ms (%d round trips)'
          % (percentile(busy_retrieve, .5), percentile(busy_retrieve, .99), percentile(busy_add, .5),
             percentile(busy_add, .99), len(busy_retrieve) + len(busy_add)), flush=True)
    if backend == 'postgresql':
        load = os.getloadavg()[0]
        copy_s = await asyncio.to_thread(copy_ceiling, server.dsn, canonical)
        print('  ceiling: psql COPY of the same %d rows into a bare table: %.1f s = %.0f rows/s (load %.2f); '
              'import / COPY = %.2f' % (rows, copy_s, rows / copy_s, load, (rows / seconds) / (rows / copy_s)),
              flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--provision', required=True)
    ap.add_argument('--pg-harness', required=True)
    ap.add_argument('--rows', type=int, default=1_000_000)
    ap.add_argument('--backend', choices=['postgresql', 'sqlite', 'both'], default='both')
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='wl-bench-import-', dir='/tmp')
    os.chmod(tmp, 0o755)
    mixed, canonical = write_files(args.rows, tmp)
    backends = ['postgresql', 'sqlite'] if args.backend == 'both' else [args.backend]
    os.environ['WL_PG_DURABLE'] = '1'
    for backend in backends:
        print('%s%s:' % (backend, ' (durable: fsync, synchronous_commit on)' if backend == 'postgresql' else
                         ' (WAL, synchronous=NORMAL)'), flush=True)
        server = Server(args.waitlistd, args.provision, backend, args.pg_harness, log_level='warn')
        try:
            server.start()
            asyncio.run(bench(server, backend, args.rows, mixed, canonical, tmp))
        finally:
            server.cleanup()
    subprocess.run(['rm', '-rf', tmp])


if __name__ == '__main__':
    main()
