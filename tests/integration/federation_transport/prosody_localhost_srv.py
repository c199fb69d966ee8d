#!/usr/bin/python3
"""Federation when the SRV records point at `localhost`, as test and private-peering set-ups do.

A private dnsmasq holds SRV records only: _xmpp-server._tcp.<domain> -> localhost:<port> for
a.test (a real Prosody 0.12), sp.test and waitlist.sp.test (waitlistd), directory.test and
lists.directory.test (a second waitlistd, the third party of XEP-0130 implementation note 3).
It has no address for any name, `localhost` included, so the targets resolve only where the
resolver itself knows `localhost` is the loopback address (RFC 6761 §6.3). Both waitlistds
have s2s.nameserver set to the dnsmasq and no static routes; Prosody resolves through it with
lua-unbound.

Checks, with real clients:
  1. The dnsmasq has no address for localhost (else this test would prove nothing).
  2. alice@a.test (Prosody) sends disco#info to waitlist.sp.test and gets waitlistd's answer:
     Prosody connects to localhost, and waitlistd verifies Prosody's dialback key by
     connecting back to a.test's SRV target, localhost.
  3. bob@sp.test pings a.test and gets Prosody's answer, not remote-server-not-found.
  4. XEP-0130 across all three: sp.test has a.test as a partner by domain; a.test's
     disco#items names lists.directory.test; dave@sp.test adds a number held there and gets
     the JID push naming carol@directory.test.
Prints "RESULT: P passed, F failed"; exits 1 if anything failed.
"""
import argparse
import os
import shutil
import socket
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from prosody import Dnsmasq, Prosody  # noqa: E402
from prosody_waitlistd import add_and_wait_for_push, answers, run, s2s_lines, show  # noqa: E402
from results import Results  # noqa: E402
from waitlistd import Waitlistd  # noqa: E402

DISCO_INFO = 'http://jabber.org/protocol/disco#info'
WAITINGLIST = 'http://jabber.org/protocol/waitinglist'


def srv_to_localhost(domain, port):
    return f'srv-host=_xmpp-server._tcp.{domain},localhost,{port},0,5'


def address_answers(dns_port, name):
    """(rcode, number of answers) for an A query of NAME to the dnsmasq, over UDP."""
    query_id = int.from_bytes(os.urandom(2), 'big')
    question = b''.join(bytes([len(label)]) + label.encode() for label in name.split('.')) + b'\0'
    packet = struct.pack('>HHHHHH', query_id, 0x0100, 1, 0, 0, 0) + question + struct.pack('>HH', 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(packet, ('127.0.0.1', dns_port))
        reply, _ = s.recvfrom(4096)
    _, flags, _, answer_count, _, _ = struct.unpack('>HHHHHH', reply[:12])
    return flags & 0x000f, answer_count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix='wl-localhost-srv.')
    os.chmod(work, 0o755)
    results = Results()
    check = results.check
    dns = Dnsmasq(work)
    prosody = Prosody(work, 'a.test', {'alice': 'secret'},
                      extra_config='disco_items = { { "lists.directory.test", "Waiting List Service" } }\n')
    sp = Waitlistd(args.waitlistd, 'sp.test', {
        's2s': {'dialback_secret': 'localhost dialback secret', 'nameserver': f'127.0.0.1:{dns.port}'},
        'waitlist': {'serves': {'tel': ['+1']}, 'partner_timeout': '3s'},
        'partners': [{'domain': 'a.test'}],
        'log': {'level': 'debug'},
    }, name='localhost-sp', s2s=True)
    directory = Waitlistd(args.waitlistd, 'directory.test', {
        's2s': {'dialback_secret': 'localhost directory secret', 'nameserver': f'127.0.0.1:{dns.port}'},
        'waitlist': {'jid': 'lists.directory.test', 'serves': {'tel': ['+33']}},
        'partners': [{'jid': 'waitlist.sp.test'}],
        'log': {'level': 'debug'},
    }, name='localhost-directory', s2s=True)
    try:
        records = [srv_to_localhost('a.test', prosody.s2s_port), srv_to_localhost('sp.test', sp.s2s_port),
                   srv_to_localhost('waitlist.sp.test', sp.s2s_port),
                   srv_to_localhost('directory.test', directory.s2s_port),
                   srv_to_localhost('lists.directory.test', directory.s2s_port)]
        if not dns.start(records):
            check('dnsmasq starts', False)
            return results.finish()
        rcode, count = address_answers(dns.port, 'localhost')
        check('the private DNS has no address for localhost', count == 0, f'rcode {rcode}, {count} answers')
        if not prosody.start(dns.port):
            check('prosody starts', False)
            return results.finish()
        try:
            sp.start()
            directory.start()
            started = ''
        except RuntimeError as e:
            started = str(e)
        check('waitlistd starts (sp.test and the third party)', not started, started)
        if started:
            return results.finish()
        sp.create_account('bob@sp.test', 'secret')
        sp.create_account('dave@sp.test', 'secret')
        number = '+33612345002'
        status, j = directory.api('POST', '/v1/accounts', {'jid': 'carol@directory.test', 'password': 'secret',
                                                           'uris': ['tel:' + number]})
        check('carol@directory.test owns tel:' + number, status == 201, str(j))

        (info,) = run(answers('alice@a.test/localhost', prosody.c2s_port,
                              [('waitlist.sp.test', f"<query xmlns='{DISCO_INFO}'/>")]))
        features = [f.get('var') for f in info.iter(f'{{{DISCO_INFO}}}feature')] if info is not None else []
        check("alice's disco#info to waitlist.sp.test is answered by waitlistd",
              info is not None and info.get('type') == 'result' and info.get('from') == 'waitlist.sp.test' and
              WAITINGLIST in features, show(info))

        (pong,) = run(answers('bob@sp.test/localhost', sp.c2s_port, [('a.test', "<ping xmlns='urn:xmpp:ping'/>")]))
        check("bob's ping to a.test is answered by Prosody",
              pong is not None and pong.get('type') == 'result' and pong.get('from') == 'a.test', show(pong))

        added, push = run(add_and_wait_for_push('dave@sp.test/localhost', sp.c2s_port, 'waitlist.sp.test', number))
        check("dave's add is acknowledged", added is not None and added.get('type') == 'result', show(added))
        item = push.find(f'{{{WAITINGLIST}}}waitlist/{{{WAITINGLIST}}}item') if push is not None else None
        check('the JID push names carol@directory.test, found through Prosody\'s disco#items',
              item is not None and item.get('jid') == 'carol@directory.test', show(push))

        plog = prosody.log_text()
        check('Prosody authenticated its stream to waitlist.sp.test',
              'connection a.test->waitlist.sp.test is now authenticated for waitlist.sp.test' in plog,
              'see prosody.log')
        check('Prosody accepted the stream sp.test opened to it',
              'connection sp.test->a.test is now authenticated for sp.test' in plog, 'see prosody.log')
    finally:
        for wl in (directory, sp):
            wl.stop()
        prosody.stop()
        dns.stop()
        if results.failed:
            for name, text in (('sp.test waitlistd', sp.log_text()), ('directory.test waitlistd', directory.log_text()),
                               ('prosody', prosody.log_text())):
                print(f'--- {name} log (s2s lines, last 40) ---')
                print(''.join(s2s_lines(text)[-40:]))
        for wl in (directory, sp):
            wl.cleanup(keep=args.keep)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print('work directories kept:', work, sp.dir, directory.dir)
    return results.finish()


if __name__ == '__main__':
    sys.exit(main())
