#!/usr/bin/python3
"""Waiting list retrieve against Prosody's roster get: the same client load on both servers,
in the same run, on the same machine.

    bench_retrieve_vs_prosody.py --waitlistd PATH --provision PATH --client PATH
        [--backend sqlite|postgresql|both] [--users 50] [--items 10] [--concurrency 50]
        [--seconds 10] [--pg-harness PATH]

Each of USERS users has ITEMS entries: in waitlistd ITEMS waiting list items (distinct
numbers, written through the Store by wl_provision), in Prosody 0.12 ITEMS roster contacts
(its internal storage's roster files, written here in the format mod_roster itself writes).
wl_load (C++, one thread) logs every user in with STARTTLS + SCRAM-SHA-1, then sends
<iq type='get'><query xmlns='...'/></iq> back to back, CONCURRENCY at once, for SECONDS
after one second of warm-up; every answer must list exactly ITEMS items. The figure is
answers per second; the ratio is waitlistd / Prosody, higher is better for waitlistd.

What differs, by design of each server: Prosody answers a roster get from the roster it
loaded into memory at login; waitlistd reads the list from its database at each request
(a transaction on a database thread), since a waiting list changes under the user (pushes,
another node of the cluster). Prosody runs one Lua thread; waitlistd its io and database
threads; both share the two cores with the client. Prosody runs with Nagle off, as in
tests/bench/c2s/bench_vs_prosody.sh. Not a test: never in deploy/test."""

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'integration', 'waitlist'))

from harness import DOMAIN, NS, SERVICE, Server, free_port  # noqa: E402

PASSWORD = 'bench-password'
PROSODY_DOMAIN = 'bench.test'
PREFIX = 'rt'


def lua_string(s):
    return '"%s"' % s.replace('\\', '\\\\').replace('"', '\\"')


class Prosody:
    """A throwaway Prosody 0.12 (Debian) with USERS accounts and rosters, in a temporary dir."""

    def __init__(self, users, items):
        self.dir = tempfile.mkdtemp(prefix='wl-prosody-', dir='/tmp')
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.proc = None
        certs = os.path.join(self.dir, 'certs')
        os.mkdir(certs)
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                        '-nodes', '-days', '30', '-subj', '/CN=' + PROSODY_DOMAIN,
                        '-addext', 'subjectAltName=DNS:' + PROSODY_DOMAIN,
                        '-keyout', os.path.join(certs, PROSODY_DOMAIN + '.key'),
                        '-out', os.path.join(certs, PROSODY_DOMAIN + '.crt')], check=True, capture_output=True)
        self.config = os.path.join(self.dir, 'prosody.cfg.lua')
        with open(self.config, 'w') as f:
            f.write('''-- throwaway instance of bench_retrieve_vs_prosody.py
pidfile = "%(dir)s/prosody.pid"
data_path = "%(dir)s/data"
certificates = "%(dir)s/certs"
log = { warn = "%(dir)s/prosody.log"; }
run_as_root = true
network_settings = { nagle = false; }
interfaces = { "127.0.0.1" }
c2s_ports = { %(port)d }
s2s_ports = {}
c2s_direct_tls_ports = {}
s2s_direct_tls_ports = {}
http_ports = {}
https_ports = {}
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix"; }
modules_disabled = { "offline"; "s2s"; }
authentication = "internal_hashed"
storage = "internal"
allow_registration = false
c2s_require_encryption = true
VirtualHost "%(domain)s"
''' % dict(dir=self.dir, port=self.port, domain=PROSODY_DOMAIN))
        host_dir = os.path.join(self.dir, 'data', PROSODY_DOMAIN.replace('.', '%2e'))
        os.makedirs(os.path.join(host_dir, 'roster'))
        for i in range(1, users + 1):
            # prosodyctl register: Prosody's own code derives and stores the SCRAM credentials.
            subprocess.run(['prosodyctl', '--config', self.config, 'register', '%s%d' % (PREFIX, i),
                            PROSODY_DOMAIN, PASSWORD], check=True, capture_output=True)
            # The roster as rostermanager's save_roster stores it: contact JID -> item, and
            # [false] -> metadata (version, pending subscriptions).
            with open(os.path.join(host_dir, 'roster', '%s%d.dat' % (PREFIX, i)), 'w') as f:
                f.write('return {\n\t[false] = {\n\t\t["version"] = 1;\n\t\t["pending"] = {};\n\t};\n')
                for k in range(items):
                    f.write('\t[%s] = {\n\t\t["subscription"] = "none";\n\t\t["groups"] = {};\n\t};\n'
                            % lua_string('contact%d@%s' % (k, PROSODY_DOMAIN)))
                f.write('};\n')

    def start(self):
        self.log = open(os.path.join(self.dir, 'stdout.log'), 'w')
        self.proc = subprocess.Popen(['prosody', '-F', '--config', self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 15
        import socket
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('prosody exited: %s' % open(os.path.join(self.dir, 'stdout.log')).read())
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('prosody did not listen')

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_client(args, label, port, domain, query_ns, to, pid):
    cmd = [args.client, 'iq', '--port', str(port), '--domain', domain, '--users', str(args.users),
           '--password', PASSWORD, '--prefix', PREFIX, '--query-ns', query_ns, '--expect-items', str(args.items),
           '--concurrency', str(args.concurrency), '--seconds', str(args.seconds), '--server-pid', str(pid),
           '--label', label]
    if to:
        cmd += ['--to', to]
    load = os.getloadavg()[0]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600 + args.seconds)
    print(r.stdout, end='', flush=True)
    result = [line for line in r.stdout.splitlines() if line.startswith('RESULT ')]
    if r.returncode != 0 or not result:
        raise RuntimeError('%s: wl_load failed (%d): %s' % (label, r.returncode, r.stderr[-2000:]))
    fields = dict(kv.split('=', 1) for kv in result[0].split()[1:])
    fields['load'] = '%.2f' % load
    return fields


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--provision', required=True)
    ap.add_argument('--client', required=True, help='wl_load (tests/bench/waitlist)')
    ap.add_argument('--backend', default='both', choices=['sqlite', 'postgresql', 'both'])
    ap.add_argument('--pg-harness', default=os.path.join(HERE, '..', '..', 'support', 'pg', 'pg_throwaway.sh'))
    ap.add_argument('--users', type=int, default=50)
    ap.add_argument('--items', type=int, default=10)
    ap.add_argument('--concurrency', type=int, default=50)
    ap.add_argument('--seconds', type=float, default=10)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.users + 1024)), hard))
    print('retrieve vs roster get: %d users x %d items, concurrency %d, %.0f s measured, %d cores'
          % (args.users, args.items, args.concurrency, args.seconds, os.cpu_count()), flush=True)

    results = []
    prosody = Prosody(args.users, args.items)
    try:
        prosody.start()
        results.append(run_client(args, 'prosody', prosody.port, PROSODY_DOMAIN, 'jabber:iq:roster', None,
                                  prosody.proc.pid))
    finally:
        prosody.cleanup()

    backends = ['sqlite', 'postgresql'] if args.backend == 'both' else [args.backend]
    for backend in backends:
        if backend == 'postgresql':
            os.environ['WL_PG_DURABLE'] = '1'  # fsync on: the figures of a real deployment
        server = Server(args.waitlistd, args.provision, backend, args.pg_harness, log_level='warn',
                        max_conn=args.users + 200)
        try:
            server.start()
            server.bulk_accounts(PREFIX, 1, args.users, PASSWORD)
            server.bulk_items(PREFIX, 1, args.users, args.items)
            results.append(run_client(args, 'waitlistd-' + backend, server.c2s_port, DOMAIN, NS, SERVICE,
                                      server.proc.pid))
        finally:
            server.cleanup()

    base = results[0]
    print()
    print('%-22s %10s %9s %9s %12s %7s %7s %6s %9s' % ('server', 'answers/s', 'p50 us', 'p99 us', 'srv CPU us/q',
                                                       'items', 'bytes', 'load', 'vs prosody'))
    for r in results:
        ratio = float(r['per_s']) / float(base['per_s']) if float(base['per_s']) > 0 else float('nan')
        print('%-22s %10s %9s %9s %12s %7s %7s %6s %9.2f' % (r['label'], r['per_s'], r['p50_us'], r['p99_us'],
                                                             r['server_cpu_us'], r['items'], r['answer_bytes'],
                                                             r['load'], ratio))


if __name__ == '__main__':
    main()
