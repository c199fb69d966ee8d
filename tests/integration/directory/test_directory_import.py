#!/usr/bin/python3
"""Bulk provisioning end to end: waitlistctl directory import/export against a real
waitlistd on SQLite or a throwaway PostgreSQL, with slixmpp users waiting for contacts.

    test_directory_import.py --waitlistd PATH --provision PATH --backend sqlite|postgresql [--pg-harness PATH]

A 100 000-row CSV with malformed rows, repeated rows and national-format numbers mixed in:
the summary and the refusal report are exact, a second run reports everything unchanged,
waiting users get one push per contact, an import whose client is killed halfway (and one
whose server is killed halfway) ends, when run again, in exactly the expected directory, and
a --sync run removes exactly the URIs its file lacks (its dry run only lists them).
Prints "RESULT: P passed, F failed" and exits non-zero when anything failed."""

import argparse
import asyncio
import csv
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'waitlist'))

from harness import DOMAIN, NS, SERVICE, Server  # noqa: E402 - puts tests/support on the path
from results import Results  # noqa: E402
from xmpp_client import login, logout  # noqa: E402

PASSWORD = 'pw-directory'
ROWS = 100_000


def number(i):
    """A valid NANP number in Denver, one per i (i < 800 000)."""
    return '+1303%03d%04d' % (200 + i // 10000, i % 10000)


def valid_row(i):
    """(jid, uri as written in the file, canonical uri) of the i-th valid row."""
    jid = 'sub%d@%s' % (i // 3, DOMAIN)
    if i % 10 == 9:
        return jid, 'mailto:User%d@SP.Example' % i, 'mailto:User%d@sp.example' % i
    n = number(i)
    written = [
        'tel:' + n,
        '+1 (%s) %s-%s' % (n[2:5], n[5:8], n[8:]),   # international, without the scheme
        '(%s) %s-%s' % (n[2:5], n[5:8], n[8:]),       # national: the server's default region
        'tel:+1-%s-%s-%s' % (n[2:5], n[5:8], n[8:]),
    ][i % 4]
    return jid, written, 'tel:' + n


MALFORMED = [
    # (raw CSV line, the reason in the report, matched as a prefix)
    ('sub1@sp.example,tel:+13035550000,extra', 'expected 2 fields (jid,uri)'),
    ('someone@other.example,tel:+13035550001', 'the jid must be in the domain sp.example'),
    ('sub2@sp.example,tel:+1234', 'invalid uri: '),
    ('sub3@sp.example,xmpp:sub3@sp.example', 'unsupported uri scheme: '),
    ('"sub4@sp.example,tel:+13035550002', 'a quoted field is not closed'),
    ('@sp.example,tel:+13035550003', 'invalid jid'),
]


def write_file_a(path):
    """The mixed file; returns (expected summary, expected refusals {line: reason prefix}, {uri: jid})."""
    refusals, directory, accounts = {}, {}, set()
    unchanged = 0
    with open(path, 'w') as f:
        f.write('jid,uri\n')
        for i in range(ROWS):
            line = i + 2
            if i % 50 == 7:
                raw, reason = MALFORMED[(i // 50) % len(MALFORMED)]
                f.write(raw + '\n')
                refusals[line] = reason
            elif i % 50 == 13:
                jid, _, canonical = valid_row(i - 1)   # the previous row again, written canonically
                f.write('%s,%s\n' % (jid, canonical))
                unchanged += 1
            else:
                jid, written, canonical = valid_row(i)
                f.write('%s,"%s"\n' % (jid, written) if ',' in written or i % 7 == 0 else '%s,%s\n' % (jid, written))
                directory[canonical] = jid
                accounts.add(jid)
    summary = {'rows read': ROWS, 'added': len(directory), 'changed': 0, 'unchanged': unchanged,
               'refused': len(refusals), 'accounts created': len(accounts)}
    return summary, refusals, directory


def write_file_b(path, first, count):
    directory = {}
    with open(path, 'w') as f:
        f.write('jid,uri\n')
        for i in range(first, first + count):
            jid, canonical = 'late%d@%s' % (i // 2, DOMAIN), 'tel:' + number(i)
            f.write('%s,%s\n' % (jid, canonical))
            directory[canonical] = jid
    return directory


def summary_of(stdout):
    out = {}
    for line in stdout.splitlines():
        key, _, value = line.partition(':')
        if value.strip():
            out[key.strip()] = int(value.split()[0])
    return out


def report_of(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['line', 'reason'], rows[:1]
    return {int(r[0]): r[1] for r in rows[1:]}


def check_report(got, want):
    assert len(got) == len(want), 'report has %d refusals, want %d' % (len(got), len(want))
    for line, prefix in want.items():
        assert line in got, 'line %d is not in the report' % line
        assert got[line].startswith(prefix), 'line %d: %r does not start with %r' % (line, got[line], prefix)


class Run:
    def __init__(self, server, tmp):
        self.server, self.tmp = server, tmp

    def ctl_args(self, path, report):
        return [self.server.waitlistctl, '--config', self.server.config, 'directory', 'import', path,
                '--report', report, '--progress', '0.2']

    def import_file(self, path, report):
        p = subprocess.run(self.ctl_args(path, report), capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, 'exit %d: %s' % (p.returncode, p.stderr[-2000:])
        return summary_of(p.stdout), p.stderr

    def import_until(self, path, report, rows, on_reached):
        """Starts an import and calls on_reached(proc) once its progress shows `rows` rows."""
        p = subprocess.Popen(self.ctl_args(path, report), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in p.stderr:
            if line.startswith('import: ') and int(line.split()[1]) >= rows:
                on_reached(p)
                break
        p.wait(timeout=120)
        return p.returncode

    def ctl(self, *words):
        return subprocess.run([self.server.waitlistctl, '--config', self.server.config, *words],
                              capture_output=True, text=True, timeout=300)

    def export(self):
        out = os.path.join(self.tmp, 'export.csv')
        p = subprocess.run([self.server.waitlistctl, '--config', self.server.config, 'directory', 'export', out],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        with open(out) as f:
            rows = list(csv.reader(f))
        assert rows[0] == ['jid', 'uri'], rows[:1]
        return {r[1]: r[0] for r in rows[1:]}


async def waiting_user(server, name, uris):
    jid = '%s@%s' % (name, DOMAIN)
    server.create_account(jid, PASSWORD)
    u = await login(jid, PASSWORD, server.c2s_port, service=SERVICE)
    for uri in uris:
        scheme, value = uri.split(':', 1)
        resp = await u.iq('set', "<query xmlns='%s'><item><uri scheme='%s'>%s</uri></item></query>"
                          % (NS, scheme, value))
        assert resp is not None and resp.get('type') == 'result', 'add of %s: %s' % (uri, resp)
    return u


async def pushes_named(u, count):
    got = []
    for _ in range(count):
        msg = await u.next_push(timeout=30)
        item = msg.find('{%s}waitlist/{%s}item' % (NS, NS))
        assert item is not None, 'push without an item'
        got.append(item.get('jid'))
    return sorted(got)


def sync_scenario(run, results, tmp):
    """--sync: the file is the whole truth; its dry run lists, its real run removes."""
    rows = {'tel:' + number(700_000 + i): 'early%d@%s' % (i // 2, DOMAIN) for i in range(1000)}
    full, short = os.path.join(tmp, 's.csv'), os.path.join(tmp, 's-short.csv')
    ported = sorted(rows)[::100]   # ten numbers ported out
    for path, keep in ((full, rows), (short, {u: j for u, j in rows.items() if u not in ported})):
        with open(path, 'w') as f:
            f.write('jid,uri\n' + ''.join('%s,%s\n' % (j, u) for u, j in keep.items()))
    run.import_file(full, os.path.join(tmp, 's.refused.csv'))

    p = run.ctl('directory', 'import', short, '--sync', '--dry-run', '--report', os.path.join(tmp, 's.refused.csv'))
    listed = [line.strip().split(',')[1] for line in p.stdout.splitlines() if line.startswith('  ')]
    results.check('a sync dry run lists exactly the URIs missing from the file and removes nothing',
                  p.returncode == 0 and 'would remove: 10' in p.stdout and listed == ported and
                  run.export() == rows, p.stdout[-500:] + p.stderr[-500:])

    bad = os.path.join(tmp, 's-bad.csv')
    with open(short) as f, open(bad, 'w') as out:
        out.write(f.read() + 'nobody@other.example,tel:+13035550009\n')
    p = run.ctl('directory', 'import', bad, '--sync', '--report', os.path.join(tmp, 's.refused.csv'))
    results.check('a sync whose file has refused rows removes nothing',
                  p.returncode == 1 and 'sync skipped' in p.stderr and run.export() == rows, p.stderr[-500:])

    p = run.ctl('directory', 'import', short, '--sync', '--report', os.path.join(tmp, 's.refused.csv'))
    kept = {u: j for u, j in rows.items() if u not in ported}
    results.check('a sync removes the URIs missing from the file, ported-out numbers',
                  p.returncode == 0 and 'removed: 10' in p.stdout and run.export() == kept,
                  p.stdout[-500:] + p.stderr[-500:])
    return kept


async def scenario(server, results, tmp):
    run = Run(server, tmp)
    early = await asyncio.to_thread(sync_scenario, run, results, tmp)
    file_a = os.path.join(tmp, 'a.csv')
    want, want_refusals, directory = write_file_a(file_a)
    # Contacts of rows 1 (international without scheme), 2 (national) and 9 (mail).
    awaited = {i: valid_row(i) for i in (1, 2, 9)}
    w1 = await waiting_user(server, 'waiter1', [awaited[1][2], awaited[2][2]])
    w2 = await waiting_user(server, 'waiter2', [awaited[2][2], awaited[9][2]])

    report = os.path.join(tmp, 'a.refused.csv')
    started = time.monotonic()
    got, progress = await asyncio.to_thread(run.import_file, file_a, report)
    print('first import of %d rows: %.1f s' % (ROWS, time.monotonic() - started), flush=True)
    want_first = dict(want, **{'waiting users told': 4, 'partners told': 0})
    results.check('the first import reports exact counts', got == want_first, 'got %s want %s' % (got, want_first))
    results.run('the refusal report names every malformed row with its line and reason',
                check_report, report_of(report), want_refusals)
    results.check('progress lines are printed when not on a terminal', 'rows/s' in progress, progress[-300:])

    try:
        p1 = await pushes_named(w1, 2)
        p2 = await pushes_named(w2, 2)
        results.check('waiting users get a push naming the imported account, national formats matched',
                      p1 == sorted([awaited[1][0], awaited[2][0]]) and p2 == sorted([awaited[2][0], awaited[9][0]]),
                      '%s %s' % (p1, p2))
    except AssertionError as e:
        results.failed_one('waiting users get a push naming the imported account, national formats matched', e)

    got, _ = await asyncio.to_thread(run.import_file, file_a, report)
    want_again = dict(want, **{'added': 0, 'unchanged': want['added'] + want['unchanged'], 'accounts created': 0,
                               'waiting users told': 0, 'partners told': 0})
    results.check('a second run reports everything unchanged', got == want_again, 'got %s want %s' % (got, want_again))
    results.run('the second run refuses the same rows', check_report, report_of(report), want_refusals)
    try:
        await w1.no_push(2.5)
        await w2.no_push(0.1)
        results.passed_one('waiting users get their pushes once')
    except AssertionError as e:
        results.failed_one('waiting users get their pushes once', e)
    await logout(w1, w2)

    # The client killed halfway, then the same command again.
    file_b = os.path.join(tmp, 'b.csv')
    directory.update(write_file_b(file_b, ROWS, 50_000))
    code = await asyncio.to_thread(run.import_until, file_b, os.path.join(tmp, 'b.refused.csv'), 20_000,
                                   lambda p: p.send_signal(signal.SIGKILL))
    results.check('the client was killed halfway', code == -signal.SIGKILL, 'exit %s' % code)
    got, _ = await asyncio.to_thread(run.import_file, file_b, os.path.join(tmp, 'b.refused.csv'))
    results.check('after a killed client the run again reads every row and adds the rest',
                  got['rows read'] == 50_000 and got['refused'] == 0 and got['changed'] == 0 and
                  got['added'] + got['unchanged'] == 50_000 and 0 < got['added'] < 50_000, str(got))

    # The server killed halfway (SIGKILL, no shutdown), started again, the same command again.
    file_c = os.path.join(tmp, 'c.csv')
    directory.update(write_file_b(file_c, ROWS + 50_000, 50_000))

    def kill_server(_):
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
    code = await asyncio.to_thread(run.import_until, file_c, os.path.join(tmp, 'c.refused.csv'), 20_000, kill_server)
    results.check('an import whose server died stops with an error', code == 1, 'exit %s' % code)
    server.start()
    got, _ = await asyncio.to_thread(run.import_file, file_c, os.path.join(tmp, 'c.refused.csv'))
    results.check('after a server restart the run again reads every row and adds the rest',
                  got['rows read'] == 50_000 and got['refused'] == 0 and got['added'] + got['unchanged'] == 50_000 and
                  0 < got['added'] < 50_000, str(got))

    directory.update(early)
    exported = await asyncio.to_thread(run.export)
    missing = [u for u in directory if exported.get(u) != directory[u]]
    extra = [u for u in exported if u not in directory]
    results.check('the directory exported is exactly the rows imported, interrupted runs included',
                  not missing and not extra, '%d missing or wrong (%s), %d extra (%s)'
                  % (len(missing), missing[:3], len(extra), extra[:3]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--provision', required=True)
    ap.add_argument('--backend', choices=['sqlite', 'postgresql'], default='sqlite')
    ap.add_argument('--pg-harness')
    args = ap.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    server = Server(args.waitlistd, args.provision, args.backend, args.pg_harness)
    results = Results()
    tmp = tempfile.mkdtemp(prefix='wl-import-', dir='/tmp')
    try:
        server.start()
        print('waitlistd on 127.0.0.1:%d (%s)' % (server.c2s_port, args.backend), flush=True)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(asyncio.wait_for(scenario(server, results, tmp), 600))
    except Exception as e:  # noqa: BLE001
        results.failed_one('the scenario ran to its end', repr(e), trace=True)
    finally:
        if results.failed:
            server.print_log()
        server.cleanup()
        subprocess.run(['rm', '-rf', tmp])
    sys.exit(results.finish())


if __name__ == '__main__':
    main()
