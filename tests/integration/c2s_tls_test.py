#!/usr/bin/python3
"""The c2s TLS read loop against a client that stops in the middle of a record, on each path
a connection can take: TLS 1.3 with waitlistd's own record layer, TLS 1.3 kept on OpenSSL
(c2s.tls_record_layer = "openssl"), and TLS 1.2 (always OpenSSL).

A client that sends the first 100 bytes of a ~1 KB record and then waits must leave the
server idle: its CPU time (utime + stime from /proc/PID/stat) may grow by no more than a
busy loop's few percent over the seconds the record is held, the authentication timeout must
still close the connection, and SIGTERM must make the process exit within
limits.shutdown_grace while such a client is connected. The same client then sends the rest
of the record and must be read. /metrics must count each connection under its TLS version
and record layer (waitlistd_c2s_tls_connections_total).

Prints "RESULT: P passed, F failed" and exits non-zero on any failure.
Usage: c2s_tls_test.py --waitlistd PATH
"""
import argparse
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'support'))
from results import Results  # noqa: E402
from waitlistd import Waitlistd  # noqa: E402

DOMAIN = 'example.test'
NS_STREAM = 'http://etherx.jabber.org/streams'
AUTH_TIMEOUT_S = 4
SHUTDOWN_GRACE_S = 2
HOLD_S = 3.0
# A spinning I/O thread burns HOLD_S of CPU; an idle server well under a tenth of a second.
MAX_CPU_WHILE_HELD_S = 0.3
TICKS = os.sysconf('SC_CLK_TCK')

PATHS = [
    # (name, record layer setting, maximum TLS version, the counter's labels)
    ('TLS 1.3, own record layer', 'own', ssl.TLSVersion.TLSv1_3, 'version="1.3",record_layer="own"'),
    ('TLS 1.3, kept on OpenSSL', 'openssl', ssl.TLSVersion.TLSv1_3, 'version="1.3",record_layer="openssl"'),
    ('TLS 1.2', 'own', ssl.TLSVersion.TLSv1_2, 'version="1.2",record_layer="openssl"'),
]


def running_threads(pid):
    """The process's threads in state R (running or runnable): a spinning thread is R whether
    or not a busy machine gives it a core, an idle one S."""
    out = []
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/stat') as f:
                if f.read().rsplit(')', 1)[1].split()[0] == 'R':
                    out.append(tid)
        except OSError:
            pass
    return out


def hold(pid, seconds):
    """CPU seconds the process used over `seconds`, and the largest share of 50 ms samples
    in which one thread was running or runnable."""
    before = cpu_seconds(pid)
    counts, samples = {}, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for tid in running_threads(pid):
            counts[tid] = counts.get(tid, 0) + 1
        samples += 1
        time.sleep(0.05)
    return cpu_seconds(pid) - before, max(counts.values(), default=0) / max(samples, 1)


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15


class TlsClient:
    """Python's OpenSSL over memory BIOs on a plain socket, so that the test decides which
    bytes of each record go out and when."""

    def __init__(self, port, max_version):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = max_version
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname=DOMAIN)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                data = self.sock.recv(65536)
                if not data:
                    raise AssertionError('the server closed the connection during the handshake')
                self.incoming.write(data)
        self.flush()
        self.plaintext = b''

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def record(self, plaintext):
        """The records for `plaintext`, not sent."""
        self.tls.write(plaintext)
        return self.outgoing.read()

    def read_until(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle not in self.plaintext:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f'timed out waiting for {needle!r}; got {self.plaintext[-300:]!r}')
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise AssertionError(f'closed waiting for {needle!r}; got {self.plaintext[-300:]!r}')
            self.incoming.write(data)
            self.drain()

    def drain(self):
        try:
            while True:
                data = self.tls.read(65536)
                if not data:  # after the server's close_notify
                    return
                self.plaintext += data
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass

    def closed_within(self, timeout):
        """Reads until the server closes the TCP connection; False if it has not in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return True
            if not data:
                return True
            self.incoming.write(data)
            try:
                self.drain()
            except ssl.SSLError:
                pass
        return False

    def close(self):
        self.sock.close()


def header():
    return (f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='{NS_STREAM}' "
            f"to='{DOMAIN}' version='1.0'>").encode()


def start(binary, record_layer):
    server = Waitlistd(binary, DOMAIN, {
        'c2s': {'tls_record_layer': record_layer},
        'limits': {'auth_timeout': f'{AUTH_TIMEOUT_S}s', 'shutdown_grace': f'{SHUTDOWN_GRACE_S}s'},
        'log': {'level': 'debug'},
    }, name='c2s-tls', direct_tls=True)
    return server.start()


def partial_record_leaves_the_server_idle(binary, record_layer, max_version, labels):
    server = start(binary, record_layer)
    try:
        client = TlsClient(server.direct_tls_port, max_version)
        records = client.record(header() + b' ' * 1000)
        assert len(records) > 1000, len(records)
        client.sock.sendall(records[:100])
        burnt, busiest = hold(server.proc.pid, HOLD_S)
        assert burnt <= MAX_CPU_WHILE_HELD_S and busiest < 0.5, \
            f'waitlistd used {burnt:.2f} s of CPU in {HOLD_S} s while a record was held in part; ' \
            f'a thread was runnable in {busiest:.0%} of the samples'
        # The rest of the record: the header is read and answered.
        client.sock.sendall(records[100:])
        client.read_until(b'</stream:features>')
        counters = server.metrics()
        key = 'waitlistd_c2s_tls_connections_total{%s}' % labels
        assert counters.get(key) == 1, f'{key}: {counters.get(key)}; ' + \
            str({k: v for k, v in counters.items() if k.startswith('c2s_tls')})
        # The authentication deadline runs from the connection, a second or two ago.
        assert client.closed_within(AUTH_TIMEOUT_S + 3), 'the auth timeout did not close the connection'
        assert b'connection-timeout' in client.plaintext, client.plaintext[-300:]
        client.close()

        # A second client stops mid-record before the header and stays; the auth timeout
        # still closes it, so the watchdog is not starved by the read loop.
        client = TlsClient(server.direct_tls_port, max_version)
        records = client.record(header() + b' ' * 1000)
        client.sock.sendall(records[:100])
        assert client.closed_within(AUTH_TIMEOUT_S + 3), 'the auth timeout did not close a held connection'
        client.close()

        # SIGTERM while a third holds a partial record: the process exits within the grace.
        client = TlsClient(server.direct_tls_port, max_version)
        records = client.record(header() + b' ' * 1000)
        client.sock.sendall(records[:100])
        time.sleep(0.3)
        started = time.monotonic()
        status = server.stop(timeout=SHUTDOWN_GRACE_S + 5)
        took = time.monotonic() - started
        assert status == 0, f'exit status {status} after {took:.1f} s'
        assert took <= SHUTDOWN_GRACE_S + 1.5, f'SIGTERM took {took:.1f} s (shutdown_grace {SHUTDOWN_GRACE_S} s)'
        client.close()
        # The held stream is told system-shutdown and, as its client never answers, cut at the
        # grace: what matters is that its thread is free to do so.
        assert server.wait_log(r'record layer', timeout=1), 'no debug line names the record layer'
    except Exception:
        server.print_log(40)
        raise
    finally:
        server.cleanup()


def gnutls_clients_send_large_stanzas(binary):
    """GnuTLS offers RFC 8449's record_size_limit; OpenSSL 3.0 never echoes it, so it is not
    negotiated and a TLS 1.3 connection is handed over all the same. Over TLS 1.3 and TLS 1.2
    a 40 KB stanza (several records) is read, which the spin used to stop."""
    gnutls = shutil.which('gnutls-cli')
    assert gnutls, 'gnutls-cli is missing (Debian package gnutls-bin)'
    server = start(binary, 'own')
    try:
        for priority, labels in [('NORMAL', 'version="1.3",record_layer="own"'),
                                 ('NORMAL:-VERS-TLS1.3', 'version="1.2",record_layer="openssl"')]:
            # 40 KB of whitespace between the header and a stanza sent before authentication:
            # the stanza's not-authorized answer shows everything before it was read.
            stdin = header() + b' ' * 40000 + b"<message to='x@example.test'><body>hi</body></message>"
            p = subprocess.run([gnutls, '--no-ca-verification', '--priority', priority, '--logfile', '/dev/null',
                                '--port', str(server.direct_tls_port), '127.0.0.1'],
                               input=stdin, capture_output=True, timeout=30)
            assert b'not-authorized' in p.stdout, (priority, p.stdout[-500:], p.stderr[-500:])
            key = 'waitlistd_c2s_tls_connections_total{%s}' % labels
            counters = server.metrics()
            assert counters.get(key, 0) >= 1, (key, {k: v for k, v in counters.items() if k.startswith('c2s_tls')})
        assert server.wait_log(r'TLS 1\.3 established; record layer: own \(record_size_limit offered, not negotiated\)',
                               timeout=2), 'GnuTLS did not offer record_size_limit, or the log does not say so'
    except Exception:
        server.print_log(30)
        raise
    finally:
        server.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    args = ap.parse_args()
    results = Results()
    for name, record_layer, max_version, labels in PATHS:
        results.run(f'{name}: a record held in part leaves the server idle, the auth timeout closes it, '
                    'SIGTERM exits within the grace',
                    lambda: partial_record_leaves_the_server_idle(args.waitlistd, record_layer, max_version, labels))
    results.run('gnutls-cli offers record_size_limit, is handed over on TLS 1.3 and sends 40 KB stanzas '
                'over TLS 1.3 and TLS 1.2', lambda: gnutls_clients_send_large_stanzas(args.waitlistd))
    sys.exit(results.finish())


if __name__ == '__main__':
    main()
