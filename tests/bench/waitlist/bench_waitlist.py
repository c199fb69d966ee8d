#!/usr/bin/python3
"""Waiting list benchmark: a real waitlistd on loopback, driven by many client sessions.

    bench_waitlist.py --waitlistd PATH --provision PATH --client PATH
                      [--backend sqlite|postgresql|both] [--users 50] [--ops 40]
                      [--fanout 1,1000,10000] [--pg-harness PATH]

Measures, per backend:
  add        IQ-sets adding distinct numbers, N users at once, each waiting for its result
             before the next (like a client): adds per second over the whole run;
  retrieve   IQ-gets of a 10-item list, same load: retrieves per second;
  fan-out    K users wait for one contact (items written straight into the Store, each user
             then logged in with initial presence); the contact registers through the admin
             API; time from sending that request until the K-th push has been read by its
             client. The clients are wl_load (C++, one thread, --client): Python cannot hold
             ten thousand sessions on the two cores that also run the server.
The add/retrieve clients are lite_client.py (asyncio, one thread) on the same two cores as the
server, so those figures are a lower bound of the server's own capacity. The load average is
printed before each figure: other work on the machine shows there. Not a test: never in
deploy/test."""

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'integration', 'waitlist'))

from harness import DOMAIN, NS, SERVICE, Server  # noqa: E402
from lite_client import LiteClient  # noqa: E402

PASSWORD = 'bench-password'


async def login_all(server, prefix, first, count, concurrency=64):
    sem = asyncio.Semaphore(concurrency)
    clients = [LiteClient('127.0.0.1', server.c2s_port, DOMAIN, '%s%d' % (prefix, i), PASSWORD)
               for i in range(first, first + count)]

    async def one(c):
        async with sem:
            await c.login()

    await asyncio.gather(*(one(c) for c in clients))
    return clients


async def close_all(clients):
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def throughput(server, users, ops):
    server.bulk_accounts('tp', 1, users, PASSWORD)
    clients = await login_all(server, 'tp', 1, users)

    async def adds(idx, c, n):
        for k in range(n):
            # A valid NANP exchange (2XX-8XX, no N11) per user, a line per add.
            exchange = 200 + idx % 600
            exchange += 1 if exchange % 100 == 11 else 0
            number = '+1303%03d%04d' % (exchange, k)
            resp = await c.iq('set', SERVICE, "<query xmlns='%s'><item><uri scheme='tel'>%s</uri></item></query>"
                              % (NS, number))
            if resp.get('type') != 'result':
                raise RuntimeError('add failed')

    async def retrieves(c, n):
        for _ in range(n):
            resp = await c.iq('get', SERVICE, "<query xmlns='%s'/>" % NS)
            if resp.get('type') != 'result':
                raise RuntimeError('retrieve failed')

    # Warm-up: every user gets a 10-item list (this also creates their list rows).
    await asyncio.gather(*(adds(i, c, 10) for i, c in enumerate(clients)))
    t0 = time.perf_counter()
    await asyncio.gather(*(adds(i + 1000, c, ops) for i, c in enumerate(clients)))
    add_rate = users * ops / (time.perf_counter() - t0)
    # The retrieve list is now 10 + ops items; measure it on a fresh set of 10-item lists.
    await close_all(clients)
    server.bulk_accounts('rt', 1, users, PASSWORD)
    clients = await login_all(server, 'rt', 1, users)
    await asyncio.gather(*(adds(i, c, 10) for i, c in enumerate(clients)))
    t0 = time.perf_counter()
    await asyncio.gather(*(retrieves(c, ops) for c in clients))
    retrieve_rate = users * ops / (time.perf_counter() - t0)
    await close_all(clients)
    return add_rate, retrieve_rate


def fanout(server, client, k, tag):
    """One registration, K users online waiting for it; wl_load measures and checks each push."""
    prefix = 'fan%s_' % tag
    uri = 'tel:+1720555%04d' % (int(tag) % 10000)
    t = time.perf_counter()
    server.bulk_accounts(prefix, 1, k, PASSWORD)
    server.bulk_wait(prefix, 1, k, uri)
    setup = time.perf_counter() - t
    load = os.getloadavg()[0]
    r = subprocess.run([client, 'fanout', '--port', str(server.c2s_port), '--domain', DOMAIN, '--users', str(k),
                        '--password', PASSWORD, '--prefix', prefix, '--http-port', str(server.http_port),
                        '--token', server.token, '--contact', 'famous%s@%s' % (tag, DOMAIN), '--uri', uri,
                        '--service', SERVICE, '--login-concurrency', '100', '--push-timeout', '600'],
                       capture_output=True, text=True, timeout=3600)
    result = [line for line in r.stdout.splitlines() if line.startswith('RESULT ')]
    if not result:
        raise RuntimeError('wl_load fanout failed (%d): %s%s' % (r.returncode, r.stdout, r.stderr[-2000:]))
    fields = dict(kv.split('=', 1) for kv in result[0].split()[1:])
    if r.returncode != 0:
        print(r.stdout, end='', flush=True)
    return fields, setup, load


async def run_throughput(server, args):
    if args.ops <= 0:
        return
    load = os.getloadavg()[0]
    add_rate, retrieve_rate = await throughput(server, args.users, args.ops)
    print('  add:      %8.0f /s  (%d users x %d adds; load %.2f)' % (add_rate, args.users, args.ops, load), flush=True)
    print('  retrieve: %8.0f /s  (%d users x %d retrieves of a 10-item list)' % (retrieve_rate, args.users, args.ops),
          flush=True)


def run_fanouts(server, args):
    for i, k in enumerate(args.fanout):
        f, setup, load = fanout(server, args.client, k, '%d%d' % (i, k))
        ok = int(f['received']) == k and f['failures'] == '0'
        figure = ('%.3f s' % float(f['last_push_s'])) if ok else 'FAILED (%s of %d pushes read)' % (f['received'], k)
        print('  fan-out K=%-6d registration -> last push read: %s  (median %.3f s; registration answered in %.3f s; '
              'setup %.1f s, %d logins %s s; load %.2f)'
              % (k, figure, float(f['p50_push_s']), float(f['http_s']), setup, k, f['login_s'], load), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--provision', required=True)
    ap.add_argument('--client', required=True, help='wl_load (tests/bench/waitlist), for the fan-out')
    ap.add_argument('--backend', default='both', choices=['sqlite', 'postgresql', 'both'])
    ap.add_argument('--pg-harness', default=os.path.join(HERE, '..', '..', 'support', 'pg', 'pg_throwaway.sh'))
    ap.add_argument('--users', type=int, default=50)
    ap.add_argument('--ops', type=int, default=40)
    ap.add_argument('--fanout', default='1,1000,10000')
    args = ap.parse_args()
    args.fanout = [int(x) for x in args.fanout.split(',') if x]
    # One descriptor per session in the server and in the client, which inherit this limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max(args.fanout + [args.users]) + 1024
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit('RLIMIT_NOFILE hard limit %d < %d needed for the largest fan-out' % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    backends = ['sqlite', 'postgresql'] if args.backend == 'both' else [args.backend]
    for backend in backends:
        if backend == 'postgresql':
            os.environ['WL_PG_DURABLE'] = '1'  # fsync on: the figures of a real deployment
        server = Server(args.waitlistd, args.provision, backend, args.pg_harness, log_level='warn',
                        max_conn=max(args.fanout + [args.users]) + 200)
        try:
            server.start()
            print('%s (operator via the admin API):' % backend, flush=True)
            asyncio.run(run_throughput(server, args))
            run_fanouts(server, args)
        finally:
            server.cleanup()


if __name__ == '__main__':
    main()
