"""waitlistd instances that federate on loopback, for the partner (XEP-0130 §4.2) tests and
the inter-domain benchmark: each is a tests/support/waitlistd.py instance with an s2s port,
its own self-signed certificate (made by waitlistd at first start; peers cannot validate it,
so the streams authenticate by dialback), SQLite, its permitted partners and static s2s
routes to its peers. inbound_requests() reads the instance's database (read-only) to show
what it holds for requesting services."""

import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from waitlistd import Waitlistd, free_port  # noqa: E402


class Instance(Waitlistd):
    def __init__(self, waitlistd, domain, serves_tel=(), secret='dialback-secret', partner_timeout='1s',
                 retry_attempts=5, retry_period='60s', log_level='debug', ca=None, service=None,
                 reconcile_interval=None):
        # The service may live anywhere, a third party's domain included (XEP-0130 impl. note 3).
        self.service = service or 'waitlist.' + domain
        self.ca = ca
        self.partners = []   # tables of [[partners]]
        self.routes = {}     # domain -> "127.0.0.1:port"
        super().__init__(waitlistd, domain, {
            's2s': {'dialback_secret': secret},
            'waitlist': {'reconcile_interval': reconcile_interval,
                         'schemes': ['tel', 'mailto'], 'default_region': 'US',
                         'serves': {'tel': list(serves_tel), 'mailto': []}, 'partner_timeout': partner_timeout,
                         'retry_attempts': retry_attempts, 'retry_period': retry_period},
            'limits': {'rate_stanzas': 100000, 'rate_stanzas_burst': 100000, 'rate_bytes': 100000000,
                       'rate_bytes_burst': 100000000},
            'log': {'level': log_level},
        }, name='partner-' + domain.split('.')[0], s2s=True)

    # ---- configuration, written at each start ----
    def add_partner(self, service, serves_tel=(), require_cert=False, domain=None):
        """A partner by its service's JID or, with service None, by its domain alone."""
        partner = {'jid': service} if service else {'domain': domain}
        if serves_tel:
            partner['serves'] = {'tel': list(serves_tel)}
        if require_cert:
            partner['require_valid_cert'] = True
        self.partners.append(partner)

    def route_to(self, other, extra=()):
        """Both of the other's domains (its own and its service's) reach its s2s port."""
        for d in (other.domain, other.service) + tuple(extra):
            self.routes[d] = '127.0.0.1:%d' % other.s2s_port

    def route_nowhere(self, domain):
        self.routes[domain] = '127.0.0.1:%d' % free_port()   # nothing listens there

    def write_config(self):
        # A test may move the service, give a CA or add a peer between starts.
        self.settings['waitlist']['jid'] = self.service
        self.settings['s2s']['routes'] = dict(self.routes)
        if self.ca:
            self.settings['tls']['ca'] = self.ca
        if self.partners:
            self.settings['partners'] = list(self.partners)
        super().write_config()

    def log_text(self, tail=6000):
        return super().log_text(tail)

    # ---- backups ----
    def backup(self, path):
        """An online copy of the database, as an operator's backup would take it."""
        src = sqlite3.connect('file:%s?mode=ro' % self.db_path, uri=True, timeout=10)
        dst = sqlite3.connect(path)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()

    def restore(self, path):
        """Puts a backup in place of the database; the instance must be stopped."""
        assert not self.running()
        for suffix in ('', '-wal', '-shm'):
            try:
                os.remove(self.db_path + suffix)
            except FileNotFoundError:
                pass
        shutil.copyfile(path, self.db_path)

    # ---- what the database holds (read-only) ----
    def query_db(self, sql, args=()):
        db = sqlite3.connect('file:%s?mode=ro' % self.db_path, uri=True, timeout=10)
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
