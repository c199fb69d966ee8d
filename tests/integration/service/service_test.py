#!/usr/bin/python3
"""waitlistd as a system service: the systemd notification protocol on a real unix datagram
socket (READY=1 only once every port accepts, WATCHDOG=1 at the pace asked, STOPPING=1 on
SIGTERM), --migrate, the refusal of a schema newer than the binary, and waitlistctl backup
while the server writes, restored into a fresh server.

Prints "RESULT: P passed, F failed"; exits non-zero on any failure.
Usage: service_test.py --waitlistd PATH --waitlistctl PATH --migrations DIR
"""
import argparse
import glob
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from results import Results  # noqa: E402
from waitlistd import Waitlistd, port_answers  # noqa: E402

DOMAIN = 'sp.example'


class NotifySocket:
    """The socket systemd would listen on: an abstract-free path in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='wl-notify-')
        self.path = os.path.join(self.dir, 'notify')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def receive(self, timeout):
        """The next datagram as {KEY: value}, or None after `timeout` seconds."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        return dict(line.split('=', 1) for line in data.decode().splitlines() if '=' in line)

    def wait_for(self, key, timeout):
        """Datagrams until one carries `key`: (that message, the ones before it)."""
        deadline = time.monotonic() + timeout
        before = []
        while time.monotonic() < deadline:
            msg = self.receive(max(0.01, deadline - time.monotonic()))
            if msg is None:
                break
            if key in msg:
                return msg, before
            before.append(msg)
        return None, before

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_raw(wl, env_extra):
    """Starts waitlistd without the harness's readiness wait: the notification is the wait."""
    wl.write_config()
    wl._log = open(wl.log_path, 'a')
    env = dict(os.environ, **env_extra)
    wl.proc = subprocess.Popen([wl.binary, '--config', wl.config], stdout=wl._log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env)


def ready_comes_after_the_ports_and_stopping_on_sigterm(binary):
    notify = NotifySocket()
    wl = Waitlistd(binary, DOMAIN, {'limits': {'shutdown_grace': '1s'}}, name='notify', direct_tls=True, s2s=True)
    wl.settings['s2s']['dialback_secret'] = 'notify-test-secret'
    try:
        # WATCHDOG_USEC as systemd sets it for WatchdogSec=0.4s: pings every 0.2 s.
        start_raw(wl, {'NOTIFY_SOCKET': notify.path, 'WATCHDOG_USEC': '400000'})
        ready, before = notify.wait_for('READY', 30)
        assert ready is not None, 'no READY=1 within 30 s; log:\n' + wl.log_text(3000)
        assert ready['READY'] == '1', ready
        # At the moment READY arrives every listener must already accept.
        ports = [wl.c2s_port, wl.direct_tls_port, wl.s2s_port, wl.http_port]
        closed = [p for p in ports if not port_answers(p)]
        assert not closed, 'READY=1 sent while ports %s did not accept' % closed
        assert re.search(r'schema version \d+', ready.get('STATUS', '')), ready
        assert all('WATCHDOG' not in m for m in before), 'watchdog pings before READY: %r' % before
        pings = 0
        deadline = time.monotonic() + 5
        while pings < 3 and time.monotonic() < deadline:
            msg = notify.receive(1)
            if msg and msg.get('WATCHDOG') == '1':
                pings += 1
        assert pings >= 3, 'only %d WATCHDOG=1 in 5 s with WatchdogSec=0.4s' % pings
        wl.proc.send_signal(signal.SIGTERM)
        stopping, _ = notify.wait_for('STOPPING', 10)
        assert stopping is not None and stopping['STOPPING'] == '1', 'no STOPPING=1 after SIGTERM'
        assert wl.proc.wait(20) == 0, 'exit status %s' % wl.proc.returncode
    finally:
        wl.cleanup()
        notify.close()


def without_notify_socket_it_runs_the_same(binary):
    with Waitlistd(binary, DOMAIN, name='nonotify') as wl:
        assert wl.running()
        assert wl.stop() == 0


def latest_version(migrations_dir):
    return len(glob.glob(os.path.join(migrations_dir, 'sqlite', '[0-9][0-9][0-9][0-9]_*.sql')))


def migrate_alone_brings_the_schema_up_and_exits(binary, migrations_dir):
    latest = latest_version(migrations_dir)
    wl = Waitlistd(binary, DOMAIN, name='migrate')
    try:
        wl.write_config()
        p = subprocess.run([binary, '--migrate', '--config', wl.config], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        assert p.stdout.strip() == 'database schema at version %d' % latest, p.stdout
        with sqlite3.connect(wl.db_path) as db:
            versions = [v for (v,) in db.execute('SELECT version FROM schema_migrations ORDER BY version')]
        assert versions == list(range(1, latest + 1)), versions
        assert not port_answers(wl.c2s_port), '--migrate must not serve'
        # Again: nothing to do, same answer.
        p = subprocess.run([binary, '--migrate', '--config', wl.config], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stdout.strip() == 'database schema at version %d' % latest, p
    finally:
        wl.cleanup()


def a_database_newer_than_the_binary_is_refused_naming_both_versions(binary, migrations_dir):
    latest = latest_version(migrations_dir)
    wl = Waitlistd(binary, DOMAIN, name='newer')
    try:
        wl.start()
        wl.create_account('kept@' + DOMAIN, 'pw', ['tel:+13035550900'])
        assert wl.stop() == 0
        with sqlite3.connect(wl.db_path) as db:
            db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from_the_future', 0)",
                       (latest + 1,))
        want = r'schema version %d is newer than this program knows \(%d\)' % (latest + 1, latest)
        for extra in ([], ['--migrate']):
            p = subprocess.run([binary, '--config', wl.config] + extra, capture_output=True, text=True, timeout=60)
            assert p.returncode == 1, (extra, p.returncode, p.stdout, p.stderr)
            assert re.search(want, p.stderr), (extra, p.stderr)
        with sqlite3.connect(wl.db_path) as db:
            assert db.execute('SELECT COUNT(*) FROM accounts').fetchone()[0] == 1, 'the refusal changed the data'
            assert db.execute('SELECT MAX(version) FROM schema_migrations').fetchone()[0] == latest + 1
    finally:
        wl.cleanup()


def account_jids(wl):
    status, j = wl.api('GET', '/v1/accounts')
    assert status == 200, (status, j)
    return {a['jid']: sorted(a['uris']) for a in j['accounts']}


def backup_while_running_restores_into_a_fresh_server(binary, waitlistctl):
    src = Waitlistd(binary, DOMAIN, name='backup-src', waitlistctl=waitlistctl)
    dst = None
    try:
        src.start()
        for i in range(20):
            src.create_account('before%02d@%s' % (i, DOMAIN), 'pw', ['tel:+1303555%04d' % i])
        # Writers keep going through the backup: it must neither block them nor copy half a write.
        stop_writing = threading.Event()
        written = []

        def writer():
            n = 0
            while not stop_writing.is_set():
                jid = 'during%03d@%s' % (n, DOMAIN)
                src.create_account(jid, 'pw', ['mailto:during%03d@%s' % (n, DOMAIN)])
                written.append(jid)
                n += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            while len(written) < 5:
                time.sleep(0.01)
            backup_path = os.path.join(src.dir, 'copy.db')
            code, out, err = src.ctl('backup', backup_path)
            written_before_end = len(written)
            time.sleep(0.2)
        finally:
            stop_writing.set()
            t.join(30)
        assert code == 0, (code, out, err)
        assert re.match(r'^backed up .* to %s \(\d+ pages, \d+ bytes\)$' % re.escape(backup_path), out), out
        assert not os.path.exists(backup_path + '.partial')
        assert not os.path.exists(backup_path + '-wal'), 'the copy is one file'
        src_accounts = account_jids(src)

        dst = Waitlistd(binary, DOMAIN, name='backup-dst', waitlistctl=waitlistctl)
        shutil.copy(backup_path, dst.db_path)
        dst.start()
        restored = account_jids(dst)
        for i in range(20):
            jid = 'before%02d@%s' % (i, DOMAIN)
            assert restored.get(jid) == ['tel:+1303555%04d' % i], (jid, restored.get(jid))
        during = sorted(j for j in restored if j.startswith('during'))
        # A consistent snapshot: a prefix of the accounts written during the copy, each whole.
        assert during == sorted(written[:len(during)]), during
        assert 5 <= len(during) <= written_before_end + 1, (len(during), written_before_end)
        for jid in during:
            assert restored[jid] == src_accounts[jid], jid
        # The restored server works on: a new account, and the old ones log in (their credentials came along).
        dst.create_account('after@' + DOMAIN, 'pw', ['tel:+13035559999'])
        code, out, err = dst.ctl('account', 'list')
        assert code == 0 and 'after@' + DOMAIN in out and 'before00@' + DOMAIN in out, (code, out, err)
    finally:
        src.cleanup()
        if dst:
            dst.cleanup()


def backup_refuses_clearly(binary, waitlistctl):
    wl = Waitlistd(binary, DOMAIN, name='backup-errors', waitlistctl=waitlistctl)
    try:
        wl.write_config()
        code, out, err = wl.ctl('backup', os.path.join(wl.dir, 'x.db'))
        assert code == 1 and 'no database file at ' + wl.db_path in err, (code, err)
        assert not os.path.exists(wl.db_path), 'backup created the database it was asked to copy'
        wl.settings['storage'] = {'backend': 'postgresql', 'dsn': 'host=127.0.0.1 dbname=waitlist'}
        wl.write_config()
        code, out, err = wl.ctl('backup', os.path.join(wl.dir, 'x.db'))
        assert code == 1 and 'pg_dump' in err, (code, err)
        code, out, err = wl.ctl('backup')
        assert code == 2 and 'backup: expected exactly one FILE' in err, (code, err)
    finally:
        wl.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--waitlistctl', required=True)
    ap.add_argument('--migrations', required=True)
    a = ap.parse_args()
    r = Results()
    r.run('READY=1 comes only once every port accepts, WATCHDOG=1 at the pace asked, STOPPING=1 on SIGTERM',
          ready_comes_after_the_ports_and_stopping_on_sigterm, a.waitlistd)
    r.run('without NOTIFY_SOCKET waitlistd starts and stops the same', without_notify_socket_it_runs_the_same,
          a.waitlistd)
    r.run('--migrate brings the schema up to date and exits without serving',
          migrate_alone_brings_the_schema_up_and_exits, a.waitlistd, a.migrations)
    r.run('a database newer than the binary is refused, naming both versions, and left as it was',
          a_database_newer_than_the_binary_is_refused_naming_both_versions, a.waitlistd, a.migrations)
    r.run('waitlistctl backup while waitlistd writes gives a consistent copy a fresh server runs on',
          backup_while_running_restores_into_a_fresh_server, a.waitlistd, a.waitlistctl)
    r.run('waitlistctl backup explains what it cannot do', backup_refuses_clearly, a.waitlistd, a.waitlistctl)
    return r.finish()


if __name__ == '__main__':
    sys.exit(main())
