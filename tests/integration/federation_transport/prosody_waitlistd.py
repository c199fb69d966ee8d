#!/usr/bin/python3
"""waitlistd itself (not only federation/) against a real Prosody 0.12, the user side.

sp.test is a waitlistd with its WaitingListService at waitlist.sp.test; a.test is Prosody.
Both resolve each other through a private dnsmasq (SRV records on free ports): Prosody with
lua-unbound, waitlistd with c-ares (s2s.nameserver). Certificates are self-signed, so both
directions use STARTTLS and then dialback.

With --srv-targets localhost, the dnsmasq holds the SRV records alone, each pointing at
`localhost`, as many test and private-peering set-ups publish them, and no address for any
name, `localhost` included: every check then also shows that waitlistd resolves a target of
localhost to the loopback address itself (RFC 6761 §6.3) with a private nameserver set, for
the streams it opens and for the dialback checks of the streams it accepts.

Checks:
  1. alice@a.test (slixmpp, logged in to Prosody) sends disco#info to waitlist.sp.test and
     gets waitlistd's answer (identity directory/waitinglist, the waitinglist feature) over S2S.
  2. jabber:iq:agents to sp.test from alice names waitlist.sp.test as a waitinglist agent.
  3. bob@sp.test (slixmpp, logged in to waitlistd) pings a.test: Prosody's answer comes back.
  4. Prosody's log: both streams with sp.test's names were encrypted and dialback-authenticated.
  5. Implementation note 3 with a real third party: Prosody's a.test advertises, in its
     disco#items, a waitlistd at lists.directory.test as its WaitingListService. sp.test has
     a.test as a partner by domain alone; Prosody has no jabber:iq:agents, so sp.test finds the
     service through disco#items and disco#info, and bob's add for a number registered at
     directory.test ends in the JID push.
Prints "RESULT: P passed, F failed"; exits 1 if anything failed.
"""
import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from prosody import Dnsmasq, Prosody, srv_to_localhost, xmpp_server_records  # noqa: E402
from results import Results  # noqa: E402
from waitlistd import Waitlistd  # noqa: E402
from xmpp_client import login, logout  # noqa: E402

logging.basicConfig(level=logging.CRITICAL)

DISCO_INFO = 'http://jabber.org/protocol/disco#info'
WAITINGLIST = 'http://jabber.org/protocol/waitinglist'


def run(coro):
    return asyncio.get_event_loop().run_until_complete(coro)


async def answers(jid, port, requests):
    """Logs in, sends each (to, payload) get in turn; the answers, None for each one missing."""
    got = []
    try:
        c = await login(jid, 'secret', port)
    except (AssertionError, asyncio.TimeoutError):
        return [None] * len(requests)
    for to, payload in requests:
        got.append(await c.iq('get', payload, to=to, timeout=30))
    await logout(c)
    return got


async def add_and_wait_for_push(jid, port, service, number):
    """Logs in, adds a tel: URI to its waiting list, waits for the JID push: (the add's answer, the push)."""
    c = await login(jid, 'secret', port, service=service)
    push = None
    added = await c.iq('set', f"<query xmlns='{WAITINGLIST}'><item><uri scheme='tel'>{number}</uri></item></query>",
                       timeout=30)
    if added is not None and added.get('type') == 'result':
        try:
            push = await c.next_push(60)
        except AssertionError:
            pass
    await logout(c)
    return added, push


def show(el):
    return ET.tostring(el, encoding='unicode') if el is not None else 'no answer'


def s2s_lines(text):
    return [l for l in text.splitlines(True) if 's2s' in l or 'dialback' in l or 'error' in l.lower()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    ap.add_argument('--srv-targets', choices=['names', 'localhost'], default='names',
                    help="SRV targets: each domain with its own address record, or localhost")
    args = ap.parse_args()
    records_for = xmpp_server_records if args.srv_targets == 'names' else srv_to_localhost

    work = tempfile.mkdtemp(prefix='wl-prosody-waitlistd.')
    os.chmod(work, 0o755)
    results = Results()
    check = results.check
    dns = Dnsmasq(work)
    # a.test's WaitingListService is run by a third party (XEP-0130 implementation note 3).
    prosody = Prosody(work, 'a.test', {'alice': 'secret'},
                      extra_config='disco_items = { { "lists.directory.test", "Waiting List Service" } }\n')
    # waitlistd for sp.test: no static routes, so a.test is found through DNS (SRV).
    # a.test is its partner by domain alone.
    sp = Waitlistd(args.waitlistd, 'sp.test', {
        's2s': {'dialback_secret': 'interop dialback secret', 'nameserver': f'127.0.0.1:{dns.port}'},
        'waitlist': {'serves': {'tel': ['+1']}, 'partner_timeout': '3s'},
        'partners': [{'domain': 'a.test'}],
        'log': {'level': 'debug'},
    }, name='prosody-sp', s2s=True)
    # The third party: a waitlistd for directory.test whose service is lists.directory.test,
    # serving +33 for a.test's users, permitting sp.test's service.
    directory = Waitlistd(args.waitlistd, 'directory.test', {
        's2s': {'dialback_secret': 'directory dialback secret', 'nameserver': f'127.0.0.1:{dns.port}'},
        'waitlist': {'jid': 'lists.directory.test', 'serves': {'tel': ['+33']}},
        'partners': [{'jid': 'waitlist.sp.test'}],
        'log': {'level': 'debug'},
    }, name='prosody-directory', s2s=True)
    try:
        records = (records_for('a.test', prosody.s2s_port) + records_for('sp.test', sp.s2s_port) +
                   records_for('waitlist.sp.test', sp.s2s_port) +
                   records_for('directory.test', directory.s2s_port) +
                   records_for('lists.directory.test', directory.s2s_port))
        if not dns.start(records):
            check('dnsmasq starts', False)
            return results.finish()
        if args.srv_targets == 'localhost':
            rcode, count = dns.address_answers('localhost')
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
        status, j = sp.api('POST', '/v1/accounts', {'jid': 'bob@sp.test', 'password': 'secret'})
        check('bob@sp.test is created through the admin API', status == 201, str(status))

        # 1-2. A Prosody user asks waitlistd's service, over Prosody's S2S to sp.test's names.
        info, agents = run(answers('alice@a.test/interop', prosody.c2s_port, [
            ('waitlist.sp.test', f"<query xmlns='{DISCO_INFO}'/>"),
            ('sp.test', "<query xmlns='jabber:iq:agents'/>")]))
        identities = [(i.get('category'), i.get('type')) for i in info.iter(f'{{{DISCO_INFO}}}identity')] \
            if info is not None else []
        features = [f.get('var') for f in info.iter(f'{{{DISCO_INFO}}}feature')] if info is not None else []
        check("alice's disco#info to waitlist.sp.test is answered by waitlistd",
              info is not None and info.get('type') == 'result' and info.get('from') == 'waitlist.sp.test' and
              ('directory', 'waitinglist') in identities and WAITINGLIST in features, show(info))
        named = [a.get('jid') for a in agents.iter('{jabber:iq:agents}agent')
                 if a.findtext('{jabber:iq:agents}service') == 'waitinglist'] if agents is not None else []
        check("alice's jabber:iq:agents to sp.test names waitlist.sp.test",
              agents is not None and agents.get('type') == 'result' and named == ['waitlist.sp.test'], show(agents))

        # 3. A waitlistd user pings Prosody's domain: waitlistd initiates this time.
        (pong,) = run(answers('bob@sp.test/interop', sp.c2s_port, [('a.test', "<ping xmlns='urn:xmpp:ping'/>")]))
        check("bob's ping to a.test is answered by Prosody through waitlistd",
              pong is not None and pong.get('type') == 'result' and pong.get('from') == 'a.test', show(pong))

        # 5. A partner by domain whose service is a third party's, found by disco#items.
        number = '+33612345001'
        status, j = directory.api('POST', '/v1/accounts', {'jid': 'carol@directory.test', 'password': 'secret',
                                                           'uris': ['tel:' + number]})
        check('carol@directory.test owns tel:' + number, status == 201, str(j))
        sp.create_account('dave@sp.test', 'secret')
        added, push = run(add_and_wait_for_push('dave@sp.test/interop', sp.c2s_port, 'waitlist.sp.test', number))
        check("dave's add is acknowledged", added is not None and added.get('type') == 'result', show(added))
        item = push.find(f'{{{WAITINGLIST}}}waitlist/{{{WAITINGLIST}}}item') if push is not None else None
        check('the JID push names carol@directory.test', item is not None and
              item.get('jid') == 'carol@directory.test', show(push))
        check('sp.test found a.test\'s service through disco#items (Prosody has no jabber:iq:agents)',
              'the waiting list service of partner a.test is lists.directory.test' in sp.log_text(),
              'see waitlistd.log')

        # 4. How Prosody saw the streams.
        plog = prosody.log_text()
        check('Prosody authenticated waitlist.sp.test by dialback (its outgoing stream)',
              'connection a.test->waitlist.sp.test is now authenticated for waitlist.sp.test' in plog,
              'see prosody.log')
        check('Prosody accepted sp.test\'s dialback key (waitlistd\'s outgoing stream)',
              'connection sp.test->a.test is now authenticated for sp.test' in plog, 'see prosody.log')
        encrypted = [l for l in plog.splitlines() if 'Stream encrypted (TLSv1.' in l]
        check('both s2s directions were encrypted with STARTTLS',
              any('s2sin' in l for l in encrypted) and any('s2sout' in l for l in encrypted), str(encrypted))
    finally:
        for wl in (directory, sp):
            wl.stop()
        prosody.stop()
        dns.stop()
        if results.failed:
            for name, text in (('sp.test waitlistd', sp.log_text()), ('directory.test waitlistd', directory.log_text()),
                               ('prosody', prosody.log_text())):
                print(f'--- {name} log (s2s lines, last 60) ---')
                print(''.join(s2s_lines(text)[-60:]))
        for wl in (directory, sp):
            wl.cleanup(keep=args.keep)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print('work directories kept:', work, sp.dir, directory.dir)
    return results.finish()


if __name__ == '__main__':
    sys.exit(main())
