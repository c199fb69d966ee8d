#!/usr/bin/python3
"""waitlistctl against a running waitlistd: every command, its output, and its errors as
sentences with a non-zero exit status.

Prints "RESULT: P passed, F failed"; exits non-zero on any failure.
Usage: waitlistctl_test.py --waitlistd PATH --waitlistctl PATH
"""
import argparse
import os
import re
import subprocess
import sys

from admin_waitlistd import DOMAIN, admin_waitlistd  # also puts tests/support on the path
from results import Results
from waitlistd import free_port


class Ctl:
    """waitlistctl against the server, or with another configuration: (status, stdout, stderr)."""

    def __init__(self, binary, server):
        self.binary = server.waitlistctl = binary
        self.s = server

    def __call__(self, *words, config=None, stdin=None):
        return self.s.ctl(*words, config=config, stdin=stdin)


def expect_ok(result, stdout_re):
    code, out, err = result
    assert code == 0, f'exit {code}, stderr {err!r}'
    assert re.search(stdout_re, out, re.M), f'stdout {out!r} does not match {stdout_re!r}'


def expect_fail(result, stderr_re, code=1):
    got, out, err = result
    assert got == code, f'exit {got} (want {code}); stdout {out!r} stderr {err!r}'
    assert re.search(stderr_re, err, re.M), f'stderr {err!r} does not match {stderr_re!r}'


def account_add_and_del(ctl, s):
    expect_ok(ctl('account', 'add', 'ctl-alice@' + DOMAIN, '--password', 'pw', '--uri', 'tel:+1 303 555 0700',
                  '--uri', 'mailto:ctl-alice@sp.example'),
              r'^created account ctl-alice@sp\.example with 2 uris$')
    code, j = s.api('GET', '/v1/accounts')
    alice = [a for a in j['accounts'] if a['jid'] == 'ctl-alice@' + DOMAIN]
    assert alice and sorted(alice[0]['uris']) == ['mailto:ctl-alice@sp.example', 'tel:+13035550700'], alice
    expect_ok(ctl('account', 'list'), r'^ctl-alice@sp\.example\s+\S+\s+.*tel:\+13035550700')
    expect_ok(ctl('account', 'del', 'ctl-alice@' + DOMAIN), r'^deleted account ctl-alice@sp\.example$')
    expect_fail(ctl('account', 'del', 'ctl-alice@' + DOMAIN), r'unknown account \(field "jid"; HTTP 404 Not Found\)')


def account_add_reads_the_password_from_stdin(ctl, s):
    expect_ok(ctl('account', 'add', 'ctl-stdin@' + DOMAIN, '--password', '-', stdin='from-stdin\n'),
              r'^created account ctl-stdin@sp\.example with 0 uris$')


def account_add_errors_are_sentences(ctl, s):
    ctl('account', 'add', 'ctl-bob@' + DOMAIN, '--password', 'pw', '--uri', 'tel:+13035550701')
    expect_fail(ctl('account', 'add', 'ctl-bob@' + DOMAIN, '--password', 'pw'),
                r'^waitlistctl: the account already exists \(field "jid"; HTTP 409 Conflict\)$')
    expect_fail(ctl('account', 'add', 'ctl-carol@' + DOMAIN, '--password', 'pw', '--uri', 'tel:+13035550701'),
                r'the uri belongs to another account \(field "uris\[0\]"; HTTP 409 Conflict\)')
    expect_fail(ctl('account', 'add', 'ctl-carol@' + DOMAIN, '--password', 'pw', '--uri', 'mailto:x@sp.example',
                    '--uri', 'tel:+1234563033083283'),
                r'invalid uri: .*\(field "uris\[1\]"; HTTP 400 Bad Request\)')
    expect_fail(ctl('account', 'add', 'ctl-carol@other.example', '--password', 'pw'),
                r'the jid must be in the domain sp\.example \(field "jid"; HTTP 400')
    expect_fail(ctl('account', 'add', 'ctl-carol@' + DOMAIN), r'--password is required', code=2)


def uri_add_and_del(ctl, s):
    ctl('account', 'add', 'ctl-dave@' + DOMAIN, '--password', 'pw')
    expect_ok(ctl('uri', 'add', 'ctl-dave@' + DOMAIN, 'tel:+1-303-555-0702'),
              r'^added tel:\+13035550702 to ctl-dave@sp\.example$')
    expect_ok(ctl('uri', 'add', 'ctl-dave@' + DOMAIN, 'tel:+13035550702'),
              r'already has tel:\+13035550702')
    expect_fail(ctl('uri', 'add', 'ctl-dave@' + DOMAIN, 'tel:+13035550701'),
                r'the uri belongs to another account \(field "uri"; HTTP 409')
    expect_fail(ctl('uri', 'add', 'ctl-nobody@' + DOMAIN, 'tel:+13035550703'), r'unknown account \(field "jid"')
    expect_fail(ctl('uri', 'add', 'ctl-dave@' + DOMAIN, 'gopher:x'), r'unsupported uri scheme.*\(field "uri"')
    expect_ok(ctl('uri', 'del', 'ctl-dave@' + DOMAIN, 'tel:+1 (303) 555-0702'),
              r'^removed tel:\+1 \(303\) 555-0702 from ctl-dave@sp\.example$')
    expect_fail(ctl('uri', 'del', 'ctl-dave@' + DOMAIN, 'tel:+13035550702'),
                r'the account has no such uri \(field "uri"; HTTP 404')


def waitlist_prints_a_table(ctl, s):
    expect_ok(ctl('waitlist', 'ctl-dave@' + DOMAIN), r'^ctl-dave@sp\.example is waiting for nobody$')
    expect_fail(ctl('waitlist', 'ctl-nobody@' + DOMAIN), r'unknown account \(field "jid"; HTTP 404')


def partners_prints_a_table(ctl, s):
    expect_ok(ctl('partners'), r'^PARTNER\s+SERVES\s+THEIR REQUESTS\n'
                               r'waitlist\.partner\.example\s+tel:\+33\s+0$')


def usage_errors_exit_2(ctl, s):
    expect_fail(ctl(), r'no command given', code=2)
    expect_fail(ctl('account', 'rename', 'x'), r"unknown command 'account rename'", code=2)
    expect_fail(ctl('uri', 'add', 'only-jid@' + DOMAIN), r'expected JID URI', code=2)
    p = subprocess.run([ctl.binary, 'partners'], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and '--config FILE is required' in p.stderr, p


def a_wrong_token_and_an_unreachable_server_are_explained(ctl, s):
    wrong = os.path.join(s.dir, 'wrong-token.toml')
    with open(s.config) as f:
        text = f.read()
    with open(wrong, 'w') as f:
        f.write(text.replace(f'admin_token = "{s.token}"', 'admin_token = "not-the-token"'))
    expect_fail(ctl('partners', config=wrong), r'wrong admin token \(HTTP 401 Unauthorized\)')
    dead = os.path.join(s.dir, 'dead.toml')
    with open(dead, 'w') as f:
        f.write(text.replace(f'127.0.0.1:{s.http_port}', f'127.0.0.1:{free_port()}'))
    expect_fail(ctl('partners', config=dead), r'cannot reach the admin API at 127\.0\.0\.1:\d+: .*is waitlistd running')
    broken = os.path.join(s.dir, 'broken.toml')
    with open(broken, 'w') as f:
        f.write(text.replace('[http]', '[http]\nbogus = 1'))
    expect_fail(ctl('partners', config=broken), r'http\.bogus')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--waitlistctl', required=True)
    args = ap.parse_args()
    results = Results()
    s = admin_waitlistd(args.waitlistd)
    try:
        s.start()
    except Exception as e:  # noqa: BLE001
        results.failed_one('waitlistd starts', e)
        return results.finish()
    ctl = Ctl(args.waitlistctl, s)
    try:
        for fn in (account_add_and_del, account_add_reads_the_password_from_stdin, account_add_errors_are_sentences,
                   uri_add_and_del, waitlist_prints_a_table, partners_prints_a_table, usage_errors_exit_2,
                   a_wrong_token_and_an_unreachable_server_are_explained):
            results.run('waitlistctl ' + fn.__name__.replace('_', ' '), fn, ctl, s)
    finally:
        if s.stop() != 0:
            results.failed_one('waitlistd exits 0 on SIGTERM')
            s.print_log()
        s.cleanup()
    return results.finish()


if __name__ == '__main__':
    sys.exit(main())
