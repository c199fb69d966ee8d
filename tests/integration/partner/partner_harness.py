"""waitlistd instances that federate on loopback, for the partner (XEP-0130 §4.2) tests and
the inter-domain benchmark: each instance has its own directory, free ports, its own
self-signed certificate (made by waitlistd at first start; peers cannot validate it, so the
streams authenticate by dialback), SQLite, and static s2s routes to its peers.

Accounts are created through the admin API (POST /v1/accounts), which is "the contact
registers" and wakes the dispatcher. inbound_requests() reads the instance's database
(read-only) to show what it holds for requesting services."""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def toml_table(d):
    return '{ %s }' % ', '.join('"%s" = %s' % (k, v) for k, v in d.items())


def toml_list(xs):
    return '[%s]' % ', '.join('"%s"' % x for x in xs)


class Instance:
    def __init__(self, waitlistd, domain, serves_tel=(), secret='dialback-secret', partner_timeout='1s',
                 retry_attempts=5, retry_period='60s', log_level='debug', ca=None, service=None,
                 reconcile_interval=None):
        self.waitlistd, self.domain = waitlistd, domain
        self.waitlistctl = os.path.join(os.path.dirname(os.path.abspath(waitlistd)), 'waitlistctl')
        # The service may live anywhere, a third party's domain included (XEP-0130 impl. note 3).
        self.service = service or 'waitlist.' + domain
        self.reconcile_interval = reconcile_interval
        self.dir = tempfile.mkdtemp(prefix='wl-partner-%s-' % domain.split('.')[0], dir='/tmp')
        os.chmod(self.dir, 0o755)
        self.c2s_port, self.s2s_port, self.http_port = free_port(), free_port(), free_port()
        self.token = 'tok-' + os.urandom(8).hex()
        self.serves_tel = list(serves_tel)
        self.secret = secret
        self.partner_timeout, self.retry_attempts, self.retry_period = partner_timeout, retry_attempts, retry_period
        self.log_level = log_level
        self.ca = ca
        self.partners = []   # (service jid, [tel prefixes])
        self.routes = {}     # domain -> "127.0.0.1:port"
        self.proc = None
        self.log = None

    # ---- configuration ----
    def add_partner(self, service, serves_tel=(), require_cert=False, domain=None):
        """A partner by its service's JID or, with service None, by its domain alone."""
        self.partners.append((service, list(serves_tel), require_cert, domain))

    def route_to(self, other, extra=()):
        """Both of the other's domains (its own and its service's) reach its s2s port."""
        for d in (other.domain, other.service) + tuple(extra):
            self.routes[d] = '127.0.0.1:%d' % other.s2s_port

    def route_nowhere(self, domain):
        self.routes[domain] = '127.0.0.1:%d' % free_port()   # nothing listens there

    def write_config(self):
        partners = ''.join('[[partners]]\n%s%s%s' % (
            'jid = "%s"\n' % jid if jid else 'domain = "%s"\n' % domain,
            'serves = { tel = %s }\n' % toml_list(tel) if tel else '',
            'require_valid_cert = true\n' if strict else '') for jid, tel, strict, domain in self.partners)
        routes = toml_table({k: '"%s"' % v for k, v in self.routes.items()})
        with open(os.path.join(self.dir, 'waitlistd.toml'), 'w') as f:
            f.write('''domain = "%(domain)s"
[tls]
cert = "%(dir)s/cert.pem"
key = "%(dir)s/key.pem"
%(ca)s
[storage]
backend = "sqlite"
path = "%(dir)s/waitlistd.db"
[c2s]
listen = ["127.0.0.1:%(c2s)d"]
direct_tls = []
[s2s]
listen = ["127.0.0.1:%(s2s)d"]
dialback_secret = "%(secret)s"
routes = %(routes)s
[http]
listen = ["127.0.0.1:%(http)d"]
admin_token = "%(token)s"
[waitlist]
jid = "%(service)s"
%(reconcile)s
schemes = ["tel", "mailto"]
default_region = "US"
serves = { tel = %(tel)s, mailto = [] }
partner_timeout = "%(timeout)s"
retry_attempts = %(attempts)d
retry_period = "%(period)s"
%(partners)s
[limits]
rate_stanzas = 100000
rate_stanzas_burst = 100000
rate_bytes = 100000000
rate_bytes_burst = 100000000
[log]
level = "%(level)s"
''' % dict(domain=self.domain, dir=self.dir, ca='ca = "%s"' % self.ca if self.ca else '', c2s=self.c2s_port,
                s2s=self.s2s_port, secret=self.secret, routes=routes, http=self.http_port, token=self.token,
                tel=toml_list(self.serves_tel), timeout=self.partner_timeout, attempts=self.retry_attempts,
                period=self.retry_period, partners=partners, level=self.log_level, service=self.service,
                reconcile='reconcile_interval = "%s"' % self.reconcile_interval if self.reconcile_interval else ''))

    # ---- the process ----
    def start(self):
        self.write_config()
        self.log = open(os.path.join(self.dir, 'waitlistd.log'), 'a')
        self.proc = subprocess.Popen([self.waitlistd, '--config', os.path.join(self.dir, 'waitlistd.toml')],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        for port in (self.c2s_port, self.s2s_port, self.http_port):
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError('%s exited with %s; log:\n%s' % (self.domain, self.proc.returncode,
                                                                        self.log_text()))
                try:
                    socket.create_connection(('127.0.0.1', port), timeout=1).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise RuntimeError('%s did not listen on %d; log:\n%s' % (self.domain, port, self.log_text()))
                    time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def pause(self):
        """SIGSTOP: the process holds its sockets open but answers nothing."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def kill(self):
        """SIGKILL: no goodbye on any stream, nothing flushed beyond what was committed."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log_text(self, tail=6000):
        try:
            with open(os.path.join(self.dir, 'waitlistd.log')) as f:
                return f.read()[-tail:]
        except OSError:
            return ''

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- the operator ----
    def admin(self, method, path, body=None):
        req = urllib.request.Request('http://127.0.0.1:%d%s' % (self.http_port, path), method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={'Authorization': 'Bearer ' + self.token,
                                              'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def create_account(self, jid, password, uris=()):
        status, body = self.admin('POST', '/v1/accounts', {'jid': jid, 'password': password, 'uris': list(uris)})
        if status != 201:
            raise RuntimeError('%s: POST /v1/accounts: %s %s' % (self.domain, status, body))

    def ctl(self, *args):
        """waitlistctl against this instance; (exit status, output)."""
        r = subprocess.run([self.waitlistctl, '--config', os.path.join(self.dir, 'waitlistd.toml')] + list(args),
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr

    # ---- backups ----
    def backup(self, path):
        """An online copy of the database, as an operator's backup would take it."""
        src = sqlite3.connect('file:%s/waitlistd.db?mode=ro' % self.dir, uri=True, timeout=10)
        dst = sqlite3.connect(path)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()

    def restore(self, path):
        """Puts a backup in place of the database; the instance must be stopped."""
        assert self.proc is None
        for suffix in ('', '-wal', '-shm'):
            try:
                os.remove(os.path.join(self.dir, 'waitlistd.db' + suffix))
            except FileNotFoundError:
                pass
        shutil.copyfile(path, os.path.join(self.dir, 'waitlistd.db'))

    # ---- what the database holds (read-only) ----
    def query_db(self, sql, args=()):
        db = sqlite3.connect('file:%s/waitlistd.db?mode=ro' % self.dir, uri=True, timeout=10)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def inbound_requests(self, service=None, uri=None):
        rows = self.query_db('SELECT service, id, uri, pushed FROM inbound_requests')
        return [r for r in rows if (service is None or r[0] == service) and (uri is None or r[2] == uri)]


def make_ca(directory):
    """A throwaway CA (PEM key and certificate) for the certificate-mode tests."""
    key, crt = os.path.join(directory, 'ca.key'), os.path.join(directory, 'ca.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt,
                    '-days', '2', '-subj', '/CN=waitlistd test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
                    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
                   check=True, capture_output=True)
    return key, crt


def issue_cert(ca, inst):
    """A certificate for the instance's domain and its subdomains (the service), signed by the
    CA, written where the instance's configuration expects its own."""
    ca_key, ca_crt = ca
    key, csr, crt = (os.path.join(inst.dir, n) for n in ('key.pem', 'req.csr', 'cert.pem'))
    ext = os.path.join(inst.dir, 'ext.cnf')
    with open(ext, 'w') as f:
        f.write('subjectAltName=DNS:%s,DNS:waitlist.%s,DNS:*.%s\nextendedKeyUsage=serverAuth,clientAuth\n'
                % (inst.domain, inst.domain, inst.domain))
    subprocess.run(['openssl', 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr,
                    '-subj', '/CN=%s' % inst.domain], check=True, capture_output=True)
    subprocess.run(['openssl', 'x509', '-req', '-in', csr, '-CA', ca_crt, '-CAkey', ca_key, '-CAcreateserial',
                    '-out', crt, '-days', '2', '-extfile', ext], check=True, capture_output=True)
