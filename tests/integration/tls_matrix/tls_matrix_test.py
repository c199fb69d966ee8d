#!/usr/bin/python3
"""The c2s TLS interoperability matrix: real TLS stacks from Debian against both client ports.

Stacks: OpenSSL (s_client), GnuTLS (gnutls-cli), NSS (tstclnt), Python's ssl (tls_pipe.py),
Go's crypto/tls (go-sendxmpp). Ports: STARTTLS (c2s.listen) and direct TLS (c2s.direct_tls).
Versions: TLS 1.2, and TLS 1.3 with each of its three suites. Each cell logs in with SASL
PLAIN, binds, sends 40 KB to its own full JID and reads the same 40 KB back, pings, sends a
KeyUpdate where the stack can (and then 40 KB and a ping again), and closes: </stream:stream>
both ways and close_notify where the stack reports it. The server's log must show that the
client closed its stream, and /metrics which record layer the connection got: TLS 1.3 is
handed over to waitlistd's own ("own"), TLS 1.2 stays with OpenSSL ("openssl").

The hand-over's preconditions are checked too, so that a change in OpenSSL that breaks them
fails here: a plain TLS 1.3 connection must be handed over, the server must send no
NewSessionTicket (s_client shows every record), a client that negotiates max_fragment_length
must stay with OpenSSL and still work, and with c2s.tls_record_layer = "openssl" TLS 1.3
connections stay with OpenSSL and pass the same conversation.

Each stack has its own server, so that a cell's /metrics difference is its own; the stacks
run side by side. Prints "PASS/FAIL cell" lines and "RESULT: P passed, F failed".
Usage: tls_matrix_test.py --waitlistd PATH
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'support'))
sys.path.insert(0, HERE)

import go_client  # noqa: E402
from conversation import Conversation  # noqa: E402
from results import Results  # noqa: E402
from stacks import TLS13_SUITES, VARIANTS, GnuTLS, Nss, OpenSSL, PythonSsl, openssl_conf  # noqa: E402
from waitlistd import Waitlistd  # noqa: E402

# A name that resolves to the loopback address: gnutls-cli's STARTTLS puts the host it
# connects to in the stream header.
DOMAIN = 'localhost'
USER, PASSWORD = 'matrix', 'matrix-secret'
PROGRAMS = ['openssl', 'gnutls-cli', 'tstclnt', 'go-sendxmpp']
RECORD_LAYER_METRIC = 'waitlistd_c2s_tls_connections_total'
SETTINGS = {
    'c2s': {'allow_plain': True},
    # 80 KB in about a second per cell, and the cells of a stack one after another.
    'limits': {'rate_bytes': 1 << 20, 'rate_bytes_burst': 1 << 20, 'max_connections_per_ip': 64},
    'log': {'level': 'debug'},   # "the client closed the stream" is a debug line
}


def record_layers(server):
    """{(record layer, TLS version): connections} from /metrics, or None while the counter is
    missing (it shows from the server's first TLS connection on)."""
    counts, found = {}, False
    for key, value in server.metrics().items():
        if key.startswith(RECORD_LAYER_METRIC + '{'):
            found = True
            labels = dict(re.findall(r'(\w+)="([^"]*)"', key))
            k = (labels.get('record_layer'), labels.get('version'))
            counts[k] = counts.get(k, 0) + value
    return counts if found else None


def check_record_layer(server, before, layer, connections, version):
    after = record_layers(server)
    if after is None:
        raise AssertionError('no %s{version=...,record_layer=...} in /metrics' % RECORD_LAYER_METRIC)
    before = before or {}
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    delta = {'record_layer="%s",version="%s"' % k: v for k, v in delta.items() if v}
    expected = {'record_layer="%s",version="%s"' % (layer, version): connections}
    if delta != expected:
        raise AssertionError('this cell\'s connections by record layer: %r, expected %r' % (delta, expected))


def session_ended(server, resource, stream_closed=True, timeout=5):
    """The server's log: the session ended (after the client's </stream:stream>, if
    `stream_closed`) and without an error on the way."""
    jid = re.escape('%s@%s/%s' % (USER, DOMAIN, resource))
    if stream_closed and not server.wait_log(jid + r': the client closed the stream', timeout):
        raise AssertionError('the server did not see %s close its stream' % jid)
    if not server.wait_log(jid + r': closed', timeout):
        raise AssertionError('the server did not end the session of %s' % jid)
    errors = re.findall(r'^.*' + jid + r': (?:connection ended|stream error|write failed).*$', server.log_text(), re.M)
    if errors:
        raise AssertionError('the session of %s ended with an error: %s' % (jid, errors))


class Group:
    """One stack's cells against one server (or, for Go, a server per TLS variant)."""

    def __init__(self, binary, name, settings=None):
        self.binary, self.name = binary, name
        self.settings = settings
        self.dir = tempfile.mkdtemp(prefix='tls-matrix-', dir='/tmp')
        self.results = []   # (cell name, None or the failure)
        self.servers = {}
        self.kept_logs = []

    def server(self, key='default', env=None):
        if key not in self.servers:
            slug = re.sub(r'\W+', '-', '%s-%s' % (self.name, key)).strip('-')
            wl = Waitlistd(self.binary, DOMAIN, dict(SETTINGS, **(self.settings or {})), name=slug,
                           direct_tls=True, env=env)
            try:
                wl.start()
                wl.create_account('%s@%s' % (USER, DOMAIN), PASSWORD)
            except Exception:
                wl.cleanup()
                raise
            self.servers[key] = wl
        return self.servers[key]

    def cell(self, name, fn, *args):
        try:
            fn(*args)
            self.results.append((name, None))
        except Exception as e:  # noqa: BLE001 - every failure is reported with its cell
            self.results.append((name, e))
            # A server a cell left in a bad state would fail the cells after it too: the
            # next cell gets a new one. This one is killed at once (a stuck one may spin and
            # not stop in time), its log kept for the failure report.
            for wl in self.servers.values():
                wl.kill()
                wl.cleanup(keep=True)
                self.kept_logs.append(wl.log_path)
            self.servers.clear()

    def workdir(self):
        return tempfile.mkdtemp(dir=self.dir)

    def close(self):
        for wl in self.servers.values():
            wl.cleanup()
        for path in self.kept_logs:
            print('--- %s: the log of a server a cell failed on: %s' % (self.name, path), flush=True)
        if not self.kept_logs:
            shutil.rmtree(self.dir, ignore_errors=True)


def port_name(starttls):
    return 'STARTTLS' if starttls else 'direct TLS'


def pipe_cell(group, stack, starttls, variant, expected_layer, server_key='default'):
    label, suite = variant
    resource = 'cell%d' % len(group.results)
    key_updates = stack.key_updates if suite else ()
    name = '%s over %s with %s: 40 KB both ways%s and a clean close, on the %s record layer' % (
        stack.name, port_name(starttls), label,
        ', two KeyUpdates (the second update_requested)' if key_updates else '', expected_layer)

    def run():
        server = group.server(server_key)
        before = record_layers(server)
        cell = stack.client(server, starttls, suite, group.workdir())
        try:
            taken = stack.key_update_taken and (lambda n: stack.key_update_taken(cell, n))
            Conversation(cell.tool, DOMAIN, USER, PASSWORD, resource, key_updates, taken, stack.line_end).run()
            # Where the program ends by itself at the server's close_notify, it must: ending
            # its input first would make it send its close_notify before it reads the server's.
            if not stack.exits_at_server_close:
                cell.tool.close_input()
            status = cell.tool.wait_exit(10)
            if status != 0:
                raise cell.tool.failure('exit status %s after the close' % status)
        finally:
            cell.stop()
        stack.verify(cell, suite, bool(key_updates))
        session_ended(server, resource)
        check_record_layer(server, before, expected_layer, 1, '1.3' if suite else '1.2')

    group.cell(name, run)


def go_cell(group, starttls, variant):
    label, suite = variant
    # The server is held to the cell's version or suite; Go offers all.
    key = suite or 'tls12'
    lines = ['Ciphersuites = %s' % suite] if suite else ['MaxProtocol = TLSv1.2']
    expected = 'own' if suite else 'openssl'
    name = 'go-sendxmpp (Go crypto/tls) over %s with %s: 40 KB in and out and a clean close, on the %s record layer' % (
        port_name(starttls), label, expected)

    def run():
        server = group.server(key, env=dict(os.environ, OPENSSL_CONF=openssl_conf(group.dir, key, lines)))
        resource = 'go%d' % len(group.results)
        before = record_layers(server)
        connections = go_client.run(server, USER, PASSWORD, starttls, group.workdir(), resource)
        # go-sendxmpp ends with Go's close_notify, without </stream:stream>.
        session_ended(server, resource + '-out', stream_closed=False)
        check_record_layer(server, before, expected, connections, '1.3' if suite else '1.2')

    group.cell(name, run)


def stack_group(binary, stack):
    group = Group(binary, stack.name)
    for starttls in (True, False):
        for variant in VARIANTS:
            pipe_cell(group, stack, starttls, variant, 'own' if variant[1] else 'openssl')
    if isinstance(stack, OpenSSL):
        # max_fragment_length binds the record size: such a connection must stay with OpenSSL.
        small = OpenSSL(['-maxfraglen', '512'])
        small.name = 'openssl s_client -maxfraglen 512'
        for starttls in (True, False):
            pipe_cell(group, small, starttls, TLS13_SUITES[0], 'openssl')
    return group


def go_group(binary):
    group = Group(binary, 'go-sendxmpp')
    for starttls in (True, False):
        for variant in VARIANTS:
            go_cell(group, starttls, variant)
    return group


def openssl_layer_group(binary):
    """c2s.tls_record_layer = "openssl": TLS 1.3 on OpenSSL's record layer, same conversation."""
    group = Group(binary, 'tls_record_layer openssl', {'c2s': dict(SETTINGS['c2s'], tls_record_layer='openssl')})
    stack = OpenSSL()
    stack.name = 'openssl s_client (server: c2s.tls_record_layer = "openssl")'
    for starttls in (True, False):
        for variant in TLS13_SUITES:
            pipe_cell(group, stack, starttls, variant, 'openssl')
    return group


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--jobs', type=int, default=3)
    args = ap.parse_args()
    started = time.monotonic()
    results = Results()
    missing = [p for p in PROGRAMS if not shutil.which(p)]
    results.check('the TLS client programs of every stack are installed', not missing,
                  'missing %s: deploy/install-deps interop' % ' '.join(missing))
    plans = [lambda: stack_group(args.waitlistd, OpenSSL()),
             lambda: stack_group(args.waitlistd, GnuTLS()),
             lambda: stack_group(args.waitlistd, Nss()),
             lambda: stack_group(args.waitlistd, PythonSsl()),
             lambda: go_group(args.waitlistd),
             lambda: openssl_layer_group(args.waitlistd)]

    def run_plan(plan):
        try:
            return plan(), None
        except Exception as e:  # noqa: BLE001 - a server that does not start fails its group
            return None, e

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for group, error in pool.map(run_plan, plans):
            if error is not None:
                results.failed_one('a stack group starts its server', repr(error))
                continue
            for name, e in group.results:
                if e is None:
                    results.passed_one(name)
                else:
                    results.failed_one(name, str(e))
            group.close()
    print('matrix wall time: %.1f s' % (time.monotonic() - started), flush=True)
    return results.finish()


if __name__ == '__main__':
    sys.exit(main())
