"""Runs a real waitlistd for the waiting list tests and benchmarks: a temporary directory, free
loopback ports, a configuration written here, SQLite or a PostgreSQL started by
tests/support/pg/pg_throwaway.sh, and the operator's side (accounts, URIs).

The operator's side goes through the admin API (POST /v1/accounts, POST .../uris) when the
server answers on it, else through wl_provision on the same database (the admin API was not
built yet when these tests were written; with it, registrations wake the dispatcher at once
instead of at its next poll)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

DOMAIN = 'sp.example'
SERVICE = 'waitlist.sp.example'
NS = 'http://jabber.org/protocol/waitinglist'
STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, waitlistd, provision, backend, pg_harness=None, serves_tel=('+1',),
                 serves_mail=(DOMAIN,), push_type='normal', log_level='info', max_conn=20000):
        self.waitlistd, self.provision_bin, self.backend = waitlistd, provision, backend
        self.pg_harness = pg_harness
        self.dir = tempfile.mkdtemp(prefix='wl-it-', dir='/tmp')
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.http_port = free_port()
        self.token = 'test-' + os.urandom(8).hex()
        self.proc = None
        self.pg_dir = None
        self.dsn = None
        self.use_admin_api = None
        if backend == 'postgresql':
            self.dsn = os.environ.get('DATABASE_URL')
            if not self.dsn:
                self._start_pg()
        self.config_path = os.path.join(self.dir, 'waitlistd.toml')
        storage = ('backend = "sqlite"\npath = "%s/waitlistd.db"\n' % self.dir if backend == 'sqlite'
                   else 'backend = "postgresql"\ndsn = "%s"\n' % self.dsn)
        with open(self.config_path, 'w') as f:
            f.write('''domain = "%(domain)s"
[tls]
cert = "%(dir)s/cert.pem"
key = "%(dir)s/key.pem"
[storage]
%(storage)s
[c2s]
listen = ["127.0.0.1:%(port)d"]
direct_tls = []
require_tls = true
[s2s]
listen = []
[http]
listen = ["127.0.0.1:%(http)d"]
admin_token = "%(token)s"
[waitlist]
schemes = ["tel", "mailto"]
default_region = "US"
serves = { tel = [%(tel)s], mailto = [%(mail)s] }
push_type = "%(push)s"
[limits]
max_connections_per_ip = %(maxconn)d
rate_stanzas = 100000
rate_stanzas_burst = 100000
rate_bytes = 100000000
rate_bytes_burst = 100000000
[log]
level = "%(level)s"
''' % dict(domain=DOMAIN, dir=self.dir, storage=storage, port=self.port, http=self.http_port,
                token=self.token, tel=', '.join('"%s"' % t for t in serves_tel),
                mail=', '.join('"%s"' % m for m in serves_mail), push=push_type, level=log_level,
                maxconn=max_conn))

    # ---- PostgreSQL, when not run under pg_throwaway.sh run ----
    def _start_pg(self):
        self.pg_dir = tempfile.mkdtemp(prefix='wlpg.', dir='/tmp')
        os.rmdir(self.pg_dir)
        out = subprocess.run([self.pg_harness, 'start', self.pg_dir], check=True, capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            if line.startswith('export DATABASE_URL='):
                self.dsn = line.split('=', 1)[1].strip("'\"")

    def db_spec(self):
        return ('sqlite:%s/waitlistd.db' % self.dir) if self.backend == 'sqlite' else 'postgresql:' + self.dsn

    # ---- the process ----
    def start(self):
        self.log = open(os.path.join(self.dir, 'waitlistd.log'), 'a')
        self.proc = subprocess.Popen([self.waitlistd, '--config', self.config_path], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('waitlistd exited with %s; log:\n%s' % (self.proc.returncode, self.log_text()))
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError('waitlistd did not listen; log:\n' + self.log_text())
        if self.use_admin_api is None:
            self.use_admin_api = self._admin_api_answers()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_text(self):
        try:
            with open(os.path.join(self.dir, 'waitlistd.log')) as f:
                return f.read()[-4000:]
        except OSError:
            return ''

    def cleanup(self):
        self.stop()
        if self.pg_dir:
            subprocess.run([self.pg_harness, 'stop', self.pg_dir], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- the operator ----
    def _admin(self, method, path, body=None):
        req = urllib.request.Request('http://127.0.0.1:%d%s' % (self.http_port, path), method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={'Authorization': 'Bearer ' + self.token,
                                              'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def _admin_api_answers(self):
        try:
            status, _ = self._admin('GET', '/v1/partners')
            return status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _provision(self, *args):
        r = subprocess.run([self.provision_bin, self.db_spec()] + list(args), capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise RuntimeError('wl_provision %s failed: %s%s' % (args[0], r.stdout, r.stderr))
        return r.stdout

    def create_account(self, jid, password, uris=()):
        if self.use_admin_api:
            status, body = self._admin('POST', '/v1/accounts', {'jid': jid, 'password': password, 'uris': list(uris)})
            if status != 201:
                raise RuntimeError('POST /v1/accounts: %s %s' % (status, body))
            return
        self._provision('account', jid, password, *uris)

    def add_uri(self, jid, uri):
        if self.use_admin_api:
            status, body = self._admin('POST', '/v1/accounts/%s/uris' % urllib.request.quote(jid, safe=''),
                                       {'uri': uri})
            if status != 201:
                raise RuntimeError('POST uris: %s %s' % (status, body))
            return
        self._provision('uri', jid, uri)

    def bulk_accounts(self, prefix, first, count, password):
        """Many accounts at once, straight on the database (seconds instead of minutes)."""
        self._provision('bulk', prefix, DOMAIN, str(first), str(count), password)

    def bulk_wait(self, prefix, first, count, uri):
        self._provision('wait', prefix, DOMAIN, str(first), str(count), uri)

    def metrics(self):
        """GET /metrics as {'name{labels}': value}; empty when the admin HTTP is not there."""
        try:
            with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % self.http_port, timeout=10) as r:
                text = r.read().decode()
        except (OSError, urllib.error.URLError):
            return {}
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith('#'):
                key, value = line.rsplit(' ', 1)
                samples[key] = float(value)
        return samples

    def jobs(self):
        return [l for l in self._provision('jobs').splitlines() if l.strip()]
