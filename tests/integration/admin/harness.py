"""A waitlistd process on free loopback ports in a temporary directory, and a small HTTP client.

Shared by the admin API tests: start() writes a config, runs build/server/waitlistd, and waits
until /healthz answers; stop() sends SIGTERM and returns the exit status.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

DOMAIN = 'sp.example'
TOKEN = 'test-admin-token-7f3a'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Waitlistd:
    def __init__(self, binary, token=TOKEN, extra_toml=''):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix='wl-admin-')
        self.c2s_port = free_port()
        self.http_port = free_port()
        self.token = token
        self.config = os.path.join(self.dir, 'waitlistd.toml')
        with open(self.config, 'w') as f:
            f.write(f'''domain = "{DOMAIN}"
[tls]
cert = "var/cert.pem"
key = "var/key.pem"
[storage]
backend = "sqlite"
path = "var/waitlistd.db"
[c2s]
listen = ["127.0.0.1:{self.c2s_port}"]
[http]
listen = ["127.0.0.1:{self.http_port}"]
admin_token = "{token}"
[waitlist]
serves = {{ tel = ["+1"], mailto = ["{DOMAIN}"] }}
[[partners]]
jid = "waitlist.partner.example"
serves = {{ tel = ["+33"] }}
[limits]
shutdown_grace = "2s"
[log]
level = "info"
{extra_toml}''')
        self.db_path = os.path.join(self.dir, 'var', 'waitlistd.db')
        self.log_path = os.path.join(self.dir, 'waitlistd.log')
        self.proc = None

    def start(self, timeout=20):
        self.log = open(self.log_path, 'a')
        self.proc = subprocess.Popen([self.binary, '--config', self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('waitlistd exited at start:\n' + self.log_text())
            try:
                status, _, _ = self.request('GET', '/healthz', token=None, timeout=1)
                if status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError('waitlistd does not answer /healthz:\n' + self.log_text())
            time.sleep(0.05)

    def stop(self, timeout=15):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def log_text(self):
        self.log.flush()
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def connection(self, timeout=30):
        return http.client.HTTPConnection('127.0.0.1', self.http_port, timeout=timeout)

    def request(self, method, path, body=None, token='default', raw=None, headers=None, conn=None, timeout=30):
        """(status, headers dict with lower-case names, body bytes). body: JSON-encoded; raw: bytes as given."""
        hdrs = dict(headers or {})
        if token == 'default':
            token = self.token
        if token is not None:
            hdrs['Authorization'] = f'Bearer {token}'
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs['Content-Type'] = 'application/json'
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            payload = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, payload
        finally:
            if own:
                c.close()

    def api(self, method, path, body=None, **kw):
        """(status, parsed JSON or None)."""
        status, _, payload = self.request(method, path, body, **kw)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn, *args):
        try:
            fn(*args)
            self.passed += 1
            print(f'PASS {name}', flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported and counted
            self.failed += 1
            import traceback
            print(f'FAIL {name}: {e!r}', flush=True)
            traceback.print_exc()

    def finish(self):
        print(f'RESULT: {self.passed} passed, {self.failed} failed', flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1
