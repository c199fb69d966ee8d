"""The waitlistd of the waiting list tests and benchmarks: sp.example serving +1 and its own
mail domain, on SQLite or on a PostgreSQL started by tests/support/pg/pg_throwaway.sh.

Accounts go through the admin API (tests/support/waitlistd.py). wl_provision writes straight
into the same database for what the API cannot do: thousands of accounts in seconds, and a
registration while the server is down (the push must wait in the database)."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from waitlistd import Waitlistd, free_port  # noqa: E402,F401 - free_port for the benchmarks

DOMAIN = 'sp.example'
SERVICE = 'waitlist.sp.example'
NS = 'http://jabber.org/protocol/waitinglist'
STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas'


class Server(Waitlistd):
    def __init__(self, waitlistd, provision, backend, pg_harness=None, serves_tel=('+1',),
                 serves_mail=(DOMAIN,), push_type='normal', log_level='info', max_conn=20000):
        self.provision_bin, self.backend, self.pg_harness = provision, backend, pg_harness
        self.pg_dir = None
        self.dsn = None
        if backend == 'postgresql':
            self.dsn = os.environ.get('DATABASE_URL') or self._start_pg()
        super().__init__(waitlistd, DOMAIN, {
            'storage': ({} if backend == 'sqlite' else {'backend': 'postgresql', 'path': None, 'dsn': self.dsn}),
            'c2s': {'require_tls': True},
            'waitlist': {'schemes': ['tel', 'mailto'], 'default_region': 'US',
                         'serves': {'tel': list(serves_tel), 'mailto': list(serves_mail)}, 'push_type': push_type},
            # Thousands of users log in from 127.0.0.1 back to back.
            'limits': {'max_connections_per_ip': max_conn, 'rate_stanzas': 100000, 'rate_stanzas_burst': 100000,
                       'rate_bytes': 100000000, 'rate_bytes_burst': 100000000},
            'log': {'level': log_level},
        }, name='waitlist')

    # ---- PostgreSQL, when not run under pg_throwaway.sh run ----
    def _start_pg(self):
        self.pg_dir = tempfile.mkdtemp(prefix='wlpg.', dir='/tmp')
        os.rmdir(self.pg_dir)
        out = subprocess.run([self.pg_harness, 'start', self.pg_dir], check=True, capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            if line.startswith('export DATABASE_URL='):
                return line.split('=', 1)[1].strip("'\"")
        raise RuntimeError('pg_throwaway.sh start printed no DATABASE_URL: ' + out)

    def cleanup(self, keep=False):
        super().cleanup(keep)
        if self.pg_dir:
            subprocess.run([self.pg_harness, 'stop', self.pg_dir], capture_output=True)

    # ---- wl_provision, straight on the database ----
    def db_spec(self):
        return ('sqlite:' + self.db_path) if self.backend == 'sqlite' else 'postgresql:' + self.dsn

    def provision(self, *args):
        r = subprocess.run([self.provision_bin, self.db_spec()] + list(args), capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            raise RuntimeError('wl_provision %s failed: %s%s' % (args[0], r.stdout, r.stderr))
        return r.stdout

    def register_offline(self, jid, password, uris=()):
        """An account made while the server is down, as the admin API would make it."""
        self.provision('account', jid, password, *uris)

    def bulk_accounts(self, prefix, first, count, password):
        """Many accounts at once (seconds instead of minutes through the API)."""
        self.provision('bulk', prefix, DOMAIN, str(first), str(count), password)

    def bulk_wait(self, prefix, first, count, uri):
        self.provision('wait', prefix, DOMAIN, str(first), str(count), uri)

    def bulk_items(self, prefix, first, count, items):
        self.provision('items', prefix, DOMAIN, str(first), str(count), str(items))
