"""A real waitlistd for the integration tests and benchmarks: its own temporary directory,
free loopback ports, a configuration written from defaults and the caller's overrides, a
readiness wait, the operator's side through the admin API, and its log for failure reports.

    with Waitlistd(binary, 'sp.example', {'limits': {'rate_stanzas': 20}}) as wl:
        wl.create_account('alice@sp.example', 'pw', ['tel:+13035550100'])

Overrides merge table by table into the defaults; a value None removes the key. A list of
tables (partners) becomes [[partners]]. The configuration is written at each start(), so a
harness may change `settings` (routes to a peer's port, say) between construction and start.
The certificate is waitlistd's own self-signed pair, made at its first start."""

import copy
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

from free_port import free_port  # noqa: F401 - also for the harnesses that import it from here


def archive_log(log_path, name):
    """Keeps a copy of a server's log in $WL_TEST_LOG_DIR (meson sets it for every test), where
    the last integration test reads the logs of the whole run for personal data."""
    target = os.environ.get('WL_TEST_LOG_DIR')
    if not target or not os.path.exists(log_path):
        return
    os.makedirs(target, exist_ok=True)
    shutil.copyfile(log_path, os.path.join(target, name + '.log'))


def port_answers(port, timeout=1.0):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=timeout).close()
        return True
    except OSError:
        return False


def toml_value(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)   # a TOML basic string is JSON's string, escapes included
    if isinstance(v, (list, tuple)):
        return '[%s]' % ', '.join(toml_value(x) for x in v)
    if isinstance(v, dict):
        return '{ %s }' % ', '.join('%s = %s' % (json.dumps(k), toml_value(x)) for k, x in v.items())
    raise TypeError('no TOML for %r' % (v,))


def render_toml(settings):
    """Top-level keys, then [tables], then [[arrays of tables]]: TOML wants them in this order."""
    def is_table_list(v):
        return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)

    lines = ['%s = %s' % (k, toml_value(v)) for k, v in settings.items()
             if not isinstance(v, dict) and not is_table_list(v)]
    for name, table in settings.items():
        if isinstance(table, dict):
            lines.append('[%s]' % name)
            lines += ['%s = %s' % (k, toml_value(v)) for k, v in table.items()]
    for name, tables in settings.items():
        if is_table_list(tables):
            for table in tables:
                lines.append('[[%s]]' % name)
                lines += ['%s = %s' % (k, toml_value(v)) for k, v in table.items()]
    return '\n'.join(lines) + '\n'


def merge(base, overrides):
    out = copy.deepcopy(base)
    for key, value in (overrides or {}).items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            out[key] = merge(out.get(key) if isinstance(out.get(key), dict) else {}, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class Waitlistd:
    def __init__(self, binary, domain='sp.example', settings=None, name='wl', s2s=False, direct_tls=False,
                 token=None, waitlistctl=None, env=None):
        self.binary, self.domain = binary, domain
        self.env = env   # the process's environment (OPENSSL_CONF, say); None: this one's
        self.waitlistctl = waitlistctl or os.path.join(os.path.dirname(os.path.abspath(binary)), 'waitlistctl')
        self.dir = tempfile.mkdtemp(prefix='wl-%s-' % name, dir='/tmp')
        os.chmod(self.dir, 0o755)   # a PostgreSQL or Prosody run as another user may read in it
        self.c2s_port, self.http_port = free_port(), free_port()
        self.direct_tls_port = free_port() if direct_tls else None
        self.s2s_port = free_port() if s2s else None
        self.token = 'tok-' + os.urandom(8).hex() if token is None else token
        self.config = os.path.join(self.dir, 'waitlistd.toml')
        self.db_path = os.path.join(self.dir, 'waitlistd.db')
        self.log_path = os.path.join(self.dir, 'waitlistd.log')
        self.settings = merge({
            'domain': domain,
            'tls': {'cert': os.path.join(self.dir, 'cert.pem'), 'key': os.path.join(self.dir, 'key.pem')},
            'storage': {'backend': 'sqlite', 'path': self.db_path},
            'c2s': {'listen': ['127.0.0.1:%d' % self.c2s_port],
                    'direct_tls': ['127.0.0.1:%d' % self.direct_tls_port] if direct_tls else []},
            's2s': {'listen': ['127.0.0.1:%d' % self.s2s_port] if s2s else []},
            'http': {'listen': ['127.0.0.1:%d' % self.http_port], 'admin_token': self.token},
            'log': {'level': 'info'},
        }, settings)
        self.proc = None
        self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # ---- the process ----
    def write_config(self):
        with open(self.config, 'w') as f:
            f.write(render_toml(self.settings))

    def start(self, timeout=30):
        """Returns once every listener accepts and /healthz answers; raises with the log if not."""
        self.write_config()
        if self._log:
            self._log.close()
        self._log = open(self.log_path, 'a')   # a restart appends: the log tells the whole run
        self.proc = subprocess.Popen([self.binary, '--config', self.config], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.monotonic() + timeout
        ports = [p for p in (self.c2s_port, self.direct_tls_port, self.s2s_port, self.http_port) if p]
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError('waitlistd %s exited at start with %s; log:\n%s'
                                   % (self.domain, self.proc.returncode, self.log_text(6000)))
            if all(port_answers(p) for p in ports) and self._healthy():
                return self
            if time.monotonic() > deadline:
                raise RuntimeError('waitlistd %s is not ready after %s s; log:\n%s'
                                   % (self.domain, timeout, self.log_text(6000)))
            time.sleep(0.05)

    def _healthy(self):
        try:
            status, _, _ = self.request('GET', '/healthz', token=None, timeout=1)
            return status == 200
        except OSError:
            return False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=20):
        """SIGTERM; the exit status, or None when it had to be killed."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def kill(self):
        """SIGKILL: no goodbye on any stream, nothing flushed beyond what was committed."""
        if self.running():
            self.proc.kill()
            self.proc.wait()

    def pause(self):
        """SIGSTOP: the process holds its sockets open but answers nothing."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def cleanup(self, keep=False):
        self.stop()
        if self._log:
            self._log.close()
        archive_log(self.log_path, os.path.basename(self.dir))
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- its log ----
    def log_text(self, tail=None):
        if self._log:
            self._log.flush()
        try:
            with open(self.log_path, errors='replace') as f:
                text = f.read()
        except OSError:
            return ''
        return text[-tail:] if tail else text

    def print_log(self, lines=80):
        print('--- waitlistd %s log (last %d lines) ---' % (self.domain, lines))
        print('\n'.join(self.log_text().splitlines()[-lines:]), flush=True)

    def wait_log(self, pattern_re, timeout=10):
        """Whether the log shows the pattern within `timeout` (a bound, not a measurement)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern_re, self.log_text()):
                return True
            time.sleep(0.05)
        return False

    # ---- HTTP: the admin API, probes, metrics ----
    def connection(self, timeout=30):
        return http.client.HTTPConnection('127.0.0.1', self.http_port, timeout=timeout)

    def request(self, method, path, body=None, token='default', raw=None, headers=None, conn=None, timeout=30):
        """(status, headers dict with lower-case names, body bytes). body: JSON-encoded; raw: bytes as given;
        token: the admin token by default, None for no Authorization header."""
        hdrs = dict(headers or {})
        if token == 'default':
            token = self.token
        if token is not None:
            hdrs['Authorization'] = 'Bearer %s' % token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs['Content-Type'] = 'application/json'
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            payload = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, payload
        finally:
            if conn is None:
                c.close()

    def api(self, method, path, body=None, **kw):
        """(status, parsed JSON, or the raw body when it is not JSON, or None when empty)."""
        status, _, payload = self.request(method, path, body, **kw)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, payload

    def create_account(self, jid, password, uris=()):
        """POST /v1/accounts: "the contact registers", which wakes the dispatcher at once."""
        status, j = self.api('POST', '/v1/accounts', {'jid': jid, 'password': password, 'uris': list(uris)})
        if status != 201:
            raise RuntimeError('%s: POST /v1/accounts %s: %s %s' % (self.domain, jid, status, j))
        return j

    def add_uri(self, jid, uri):
        status, j = self.api('POST', '/v1/accounts/%s/uris' % urllib.parse.quote(jid, safe=''), {'uri': uri})
        if status != 201:
            raise RuntimeError('%s: POST uris %s: %s %s' % (self.domain, jid, status, j))
        return j

    def metrics(self):
        """GET /metrics as {'name{labels}': value}."""
        status, _, body = self.request('GET', '/metrics', token=None, timeout=10)
        if status != 200:
            raise RuntimeError('GET /metrics: %s %r' % (status, body[:200]))
        samples = {}
        for line in body.decode().splitlines():
            if line and not line.startswith('#'):
                key, value = line.rsplit(' ', 1)
                samples[key] = float(value)
        return samples

    # ---- waitlistctl ----
    def ctl(self, *words, config=None, stdin=None, timeout=60):
        """waitlistctl against this instance: (exit status, stdout, stderr)."""
        p = subprocess.run([self.waitlistctl, '--config', config or self.config, *words], input=stdin,
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
