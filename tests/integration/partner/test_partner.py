#!/usr/bin/python3
"""End-to-end tests of the inter-domain half of XEP-0130 (§3.2 alternate flows, §4.2): real
waitlistd instances federating on loopback (sp.test asks, partner.test answers, third.test
is a service partner.test does not permit, and waitlist.ghost.test a permitted partner whose
server never answers), real clients (python3-slixmpp), accounts through the admin API.

    test_partner.py --waitlistd PATH [--only SUBSTRING] [--verbose]

Prints "RESULT: P passed, F failed" and exits non-zero when anything failed."""

import argparse
import asyncio
import logging
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from partner_harness import Instance, issue_cert, make_ca  # noqa: E402 - puts tests/support on the path
from results import Results  # noqa: E402
from scenarios import Failure, Scenarios, check, show  # noqa: E402
from xmpp_client import login, logout  # noqa: E402

NS = 'http://jabber.org/protocol/waitinglist'
STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas'
CLIENT = 'jabber:client'
PASSWORD = 'correct horse battery staple'
PUSH_TIMEOUT = 30


def q(tag, ns=NS):
    return '{%s}%s' % (ns, tag)


def add_xml(value, scheme='tel'):
    return "<query xmlns='%s'><item><uri scheme='%s'>%s</uri></item></query>" % (NS, scheme, value)


def remove_xml(item_id):
    return "<query xmlns='%s'><item id='%s'><remove/></item></query>" % (NS, item_id)


def error_condition(el):
    err = el.find('{%s}error' % CLIENT)
    if err is None:
        return None, None, None
    conds = [c.tag.split('}')[1] for c in err if c.tag.startswith('{%s}' % STANZAS_NS) and not c.tag.endswith('}text')]
    return (conds[0] if conds else None), err.get('code'), err.get('type')


class World:
    """sp.test, partner.test, third.test, and a ghost partner nobody runs."""

    def __init__(self, waitlistd):
        self.waitlistd = waitlistd
        self.sp = Instance(waitlistd, 'sp.test', serves_tel=['+1'], partner_timeout='1s', retry_attempts=5,
                           retry_period='60s')
        self.partner = Instance(waitlistd, 'partner.test', serves_tel=['+33'], partner_timeout='1s')
        self.third = Instance(waitlistd, 'third.test', serves_tel=['+34'], partner_timeout='1s', retry_attempts=2,
                              retry_period='10s')
        # sp asks partner.test about anything it does not serve, and the ghost about +49 only.
        self.sp.add_partner(self.partner.service)
        self.sp.add_partner('waitlist.ghost.test', serves_tel=['+49'])
        self.sp.route_to(self.partner)
        self.sp.route_nowhere('waitlist.ghost.test')
        self.partner.add_partner(self.sp.service)
        self.partner.route_to(self.sp)
        self.partner.route_to(self.third)
        # third believes partner.test is its partner; partner.test does not permit it.
        self.third.add_partner(self.partner.service)
        self.third.route_to(self.partner)
        self.clients = []
        self.counter = 0

    def instances(self):
        return [self.sp, self.partner, self.third]

    def start(self):
        for i in self.instances():
            i.start()

    def cleanup(self):
        for i in self.instances():
            i.cleanup()

    def number(self, prefix):
        """A fresh valid number: +33 6 12 34 5x xx, +44 20 7946 0xxx, +49 30 1234 5xxx."""
        self.counter += 1
        n = self.counter
        return {'+33': '+3361234%04d' % (5000 + n), '+44': '+44207946%04d' % n, '+49': '+49301234%04d' % (5000 + n),
                '+1': '+1303555%04d' % (100 + n)}[prefix]

    async def user(self, inst, stem):
        self.counter += 1
        jid = '%s%d@%s' % (stem, self.counter, inst.domain)
        inst.create_account(jid, PASSWORD)
        return await self.login(inst, jid)

    async def login(self, inst, jid):
        try:
            u = await login(jid, PASSWORD, inst.c2s_port, service=inst.service)
        except asyncio.TimeoutError:
            raise Failure('%s did not log in' % jid)
        self.clients.append(u)
        return u

    async def close_all(self):
        await logout(*self.clients)
        self.clients = []


async def add_ok(u, value):
    resp = await u.iq('set', add_xml(value))
    check(resp.get('type') == 'result', 'add: expected a result, got ' + show(resp))
    items = resp.findall('%s/%s' % (q('query'), q('item')))
    check(len(items) == 1 and items[0].get('id'), 'add: expected one item with an id: ' + show(resp))
    return items[0].get('id')


def check_jid_push(msg, item_id, jid, value):
    item = msg.find('%s/%s' % (q('waitlist'), q('item')))
    check(item is not None, 'push without an item: ' + show(msg))
    check(item.get('id') == item_id and item.get('jid') == jid,
          'expected item %s with jid %s, got %s' % (item_id, jid, show(msg)))
    check(item.get('type') != 'error', 'an error push: ' + show(msg))
    uri = item.find(q('uri'))
    check(uri is not None and uri.text == value, 'push uri: ' + show(item))


def check_error_push(msg, item_id, condition):
    item = msg.find('%s/%s' % (q('waitlist'), q('item')))
    text = show(msg)
    check(item is not None and item.get('id') == item_id, 'expected a push for item %s: %s' % (item_id, text))
    check(msg.get('type') == 'error' or item.get('type') == 'error', 'not an error push: ' + text)
    check('{%s}%s' % (STANZAS_NS, condition) in [e.tag for e in msg.iter()], 'expected %s in %s' % (condition, text))


async def wait_until(what, predicate, timeout=PUSH_TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.2)
    raise Failure('timed out waiting until ' + what)


SCENARIOS = Scenarios()
test = SCENARIOS.add


@test('a partner answers disco#info about its service, and jabber:iq:agents names it (examples 22-27)')
async def t_discovery(w):
    # The service itself asks through federation from waitlist.sp.test in the XEP; a user of
    # sp.test asking the same addresses exercises the same remote answers.
    u = await w.user(w.sp, 'disco')
    resp = await u.iq('get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", to=w.partner.service)
    check(resp.get('type') == 'result', 'disco#info: ' + show(resp))
    info = '{http://jabber.org/protocol/disco#info}'
    check(('directory', 'waitinglist') in [(i.get('category'), i.get('type')) for i in resp.iter(info + 'identity')],
          'identity: ' + show(resp))
    check(NS in {f.get('var') for f in resp.iter(info + 'feature')}, 'feature: ' + show(resp))
    resp = await u.iq('get', "<query xmlns='jabber:iq:agents'/>", to=w.partner.domain)
    check(resp.get('type') == 'result', 'agents: ' + show(resp))
    agents = [a for a in resp.iter('{jabber:iq:agents}agent') if a.get('jid') == w.partner.service]
    check(len(agents) == 1 and agents[0].findtext('{jabber:iq:agents}service') == 'waitinglist', show(resp))


@test('contact registered at the partner: ack to the user, then the JID push from the partner (examples 28, 31-33)')
async def t_registered(w):
    number = w.number('+33')
    w.partner.create_account('bob%d@partner.test' % w.counter, PASSWORD, ['tel:' + number])
    bob = 'bob%d@partner.test' % w.counter
    u = await w.user(w.sp, 'alice')
    item_id = await add_ok(u, number)
    check_jid_push(await u.next_push(PUSH_TIMEOUT), item_id, bob, number)
    # The partner deleted its record once sp.test acknowledged the push (example 33).
    await wait_until('the partner forgot the acknowledged request',
                     lambda: not w.partner.inbound_requests(w.sp.service, 'tel:' + number))


@test('contact registers at the partner later: the push arrives then (§3.2 alternate flow 5)')
async def t_registers_later(w):
    number = w.number('+33')
    u = await w.user(w.sp, 'alice')
    item_id = await add_ok(u, number)
    await wait_until('the partner recorded the request for the service',
                     lambda: w.partner.inbound_requests(w.sp.service, 'tel:' + number))
    check(u.pushes.empty(), 'a push before the contact registered')
    carol = 'carol%d@partner.test' % w.counter
    w.partner.create_account(carol, PASSWORD, ['tel:' + number])
    check_jid_push(await u.next_push(PUSH_TIMEOUT), item_id, carol, number)


@test('two local users waiting for one URI: one request at the partner, one push each')
async def t_two_users(w):
    number = w.number('+33')
    u1 = await w.user(w.sp, 'alice')
    u2 = await w.user(w.sp, 'amy')
    id1 = await add_ok(u1, number)
    id2 = await add_ok(u2, number)
    await wait_until('the partner recorded the request',
                     lambda: w.partner.inbound_requests(w.sp.service, 'tel:' + number))
    check(len(w.partner.inbound_requests(w.sp.service, 'tel:' + number)) == 1,
          'the partner holds one request per requesting service, not per user')
    dan = 'dan%d@partner.test' % w.counter
    w.partner.create_account(dan, PASSWORD, ['tel:' + number])
    check_jid_push(await u1.next_push(PUSH_TIMEOUT), id1, dan, number)
    check_jid_push(await u2.next_push(PUSH_TIMEOUT), id2, dan, number)


@test('URI not served by the partner: item-not-found from it, the not-found push to the user (examples 30, 12)')
async def t_not_served(w):
    number = w.number('+44')
    u = await w.user(w.sp, 'alice')
    item_id = await add_ok(u, number)
    check_error_push(await u.next_push(PUSH_TIMEOUT), item_id, 'item-not-found')


@test('a remote user asking a partner service gets not-authorized and no data (example 29)')
async def t_remote_user(w):
    u = await w.user(w.sp, 'mallory')
    resp = await u.iq('get', "<query xmlns='%s'/>" % NS, to=w.partner.service)
    cond, code, etype = error_condition(resp)
    check(resp.get('type') == 'error' and cond == 'not-authorized' and code == '401' and etype == 'cancel',
          'expected not-authorized (401, cancel): ' + show(resp))
    check(resp.find('%s/%s' % (q('query'), q('item'))) is None, 'items leaked: ' + show(resp))
    resp = await u.iq('set', add_xml(w.number('+33')), to=w.partner.service)
    check(error_condition(resp)[0] == 'not-authorized', 'add by a remote user: ' + show(resp))


@test('a service the partner does not permit gets not-authorized; its user learns not-found (§3.2 flow 6)')
async def t_not_permitted_service(w):
    number = w.number('+33')
    w.partner.create_account('erin%d@partner.test' % w.counter, PASSWORD, ['tel:' + number])
    u = await w.user(w.third, 'tom')
    item_id = await add_ok(u, number)
    check_error_push(await u.next_push(PUSH_TIMEOUT), item_id, 'item-not-found')
    check(not w.partner.inbound_requests(w.third.service), 'the partner recorded a request of a refused service')


@test('remove by the last local user propagates to the partner (examples 34-35)')
async def t_remove(w):
    number = w.number('+33')
    u1 = await w.user(w.sp, 'alice')
    u2 = await w.user(w.sp, 'amy')
    id1 = await add_ok(u1, number)
    id2 = await add_ok(u2, number)
    await wait_until('the partner recorded the request',
                     lambda: w.partner.inbound_requests(w.sp.service, 'tel:' + number))
    resp = await u1.iq('set', remove_xml(id1))
    check(resp.get('type') == 'result', 'remove: ' + show(resp))
    await asyncio.sleep(2.5)
    check(w.partner.inbound_requests(w.sp.service, 'tel:' + number),
          'the partner dropped the request while a local user still waits')
    resp = await u2.iq('set', remove_xml(id2))
    check(resp.get('type') == 'result', 'remove: ' + show(resp))
    await wait_until('the partner dropped the request',
                     lambda: not w.partner.inbound_requests(w.sp.service, 'tel:' + number))


@test('the partner stopped during the add and started later: the push still arrives (impl. note 10)')
async def t_partner_down(w):
    number = w.number('+33')
    frank = 'frank%d@partner.test' % w.counter
    w.partner.create_account(frank, PASSWORD, ['tel:' + number])
    u = await w.user(w.sp, 'alice')
    w.partner.stop()
    try:
        item_id = await add_ok(u, number)   # the user has the IQ result at once
        await asyncio.sleep(2)
        check(u.pushes.empty(), 'a push (item-not-found?) while the partner was down: ' +
              (show(u.pushes.get_nowait()) if not u.pushes.empty() else ''))
    finally:
        w.partner.start()
    check_jid_push(await u.next_push(timeout=40), item_id, frank, number)


@test('a permitted partner that never answers: retried with back-off, then the remote-server-timeout push')
async def t_ghost(w):
    number = w.number('+49')   # asked of partner.test (item-not-found) and of the ghost (silence)
    u = await w.user(w.sp, 'alice')
    started = time.time()
    item_id = await add_ok(u, number)
    msg = await u.next_push(timeout=60)
    check_error_push(msg, item_id, 'remote-server-timeout')
    # Five attempts with back-off from 1 s: not before 1+2+4+8 s.
    check(time.time() - started >= 10, 'the timeout push came after %.1f s, before the retries'
          % (time.time() - started))


@test('the partner deletes its record only after the ack: the requester down at the push gets it later')
async def t_requester_down(w):
    number = w.number('+33')
    u = await w.user(w.sp, 'alice')
    alice = u.boundjid.bare
    item_id = await add_ok(u, number)
    await wait_until('the partner recorded the request',
                     lambda: w.partner.inbound_requests(w.sp.service, 'tel:' + number))
    await w.close_all()
    w.sp.kill()
    grace = 'grace%d@partner.test' % w.counter
    try:
        w.partner.create_account(grace, PASSWORD, ['tel:' + number])
        await wait_until('the partner tried the push', lambda: w.partner.inbound_requests(
            w.sp.service, 'tel:' + number) and w.partner.inbound_requests(w.sp.service, 'tel:' + number)[0][3] == 1)
        await asyncio.sleep(3)   # pushes bounced meanwhile (sp.test is down)
        check(w.partner.inbound_requests(w.sp.service, 'tel:' + number),
              'the partner deleted the request without an acknowledgement')
    finally:
        w.sp.start()
    u = await w.login(w.sp, alice)
    check_jid_push(await u.next_push(timeout=60), item_id, grace, number)
    await wait_until('the partner forgot the acknowledged request',
                     lambda: not w.partner.inbound_requests(w.sp.service, 'tel:' + number))


@test('the requester stopped between the JID push and its ack: the partner keeps the record, pushes again after '
      'the restart, and deletes it only after the ack (§4.2, example 33)')
async def t_ack_exactly(w):
    number = w.number('+33')
    u = await w.user(w.sp, 'alice')
    alice = u.boundjid.bare
    item_id = await add_ok(u, number)
    uri = 'tel:' + number
    await wait_until('the partner recorded the request', lambda: w.partner.inbound_requests(w.sp.service, uri))
    await w.close_all()
    unacked = 'JID push to %s not acknowledged' % w.sp.service
    before = w.partner.log_text(10 ** 8).count(unacked)
    # Streams stay open (the kernel still takes the bytes) but sp.test cannot ack.
    w.sp.pause()
    try:
        hope = 'hope%d@partner.test' % w.counter
        w.partner.create_account(hope, PASSWORD, [uri])
        await wait_until('the partner sent the push and saw no ack',
                         lambda: w.partner.log_text(10 ** 8).count(unacked) > before)
        held = w.partner.inbound_requests(w.sp.service, uri)
        check(held and held[0][3] == 1, 'the partner deleted the request pushed but not acknowledged: %s' % held)
    finally:
        w.sp.kill()   # SIGKILL works on a stopped process: no goodbye on any stream
    check(w.partner.inbound_requests(w.sp.service, uri), 'the record went with the requester')
    w.sp.start()
    u = await w.login(w.sp, alice)
    check_jid_push(await u.next_push(timeout=90), item_id, hope, number)
    await wait_until('the partner deleted the acknowledged request',
                     lambda: not w.partner.inbound_requests(w.sp.service, uri))


@test('reconciliation: the partner restored a backup older than the request; waitlistctl partners reconcile '
      'sends it again, and the contact registering there reaches the user')
async def t_reconcile_after_restore(w):
    number = w.number('+33')
    uri = 'tel:' + number
    backup = os.path.join(w.partner.dir, 'before-add.db')
    w.partner.backup(backup)
    u = await w.user(w.sp, 'alice')
    item_id = await add_ok(u, number)
    await wait_until('the partner recorded the request', lambda: w.partner.inbound_requests(w.sp.service, uri))
    w.partner.stop()
    w.partner.restore(backup)
    w.partner.start()
    check(not w.partner.inbound_requests(w.sp.service, uri), 'the restored partner still holds the request')
    status, out, err = w.sp.ctl('partners', 'reconcile', w.partner.service)
    out += err
    check(status == 0 and ('reconciling with ' + w.partner.service) in out, 'waitlistctl: %s %s' % (status, out))
    await wait_until('the partner holds the request again', lambda: w.partner.inbound_requests(w.sp.service, uri))
    check('asked again' in w.sp.log_text(10 ** 8), 'no reconciliation report in the log')
    status, out, err = w.sp.ctl('partners', 'reconcile', 'nobody.test')
    out += err
    check(status != 0, 'reconciling with an unknown partner succeeded: ' + out)
    ivy = 'ivy%d@partner.test' % w.counter
    w.partner.create_account(ivy, PASSWORD, [uri])
    check_jid_push(await u.next_push(PUSH_TIMEOUT), item_id, ivy, number)


@test('reconciliation runs by itself every reconcile_interval: a request the partner lost is sent again')
async def t_reconcile_periodic(w):
    sp = Instance(w.waitlistd, 'rsp.test', serves_tel=['+1'], reconcile_interval='2s')
    partner = Instance(w.waitlistd, 'rpartner.test', serves_tel=['+33'])
    try:
        sp.add_partner(partner.service)
        sp.route_to(partner)
        partner.add_partner(sp.service)
        partner.route_to(sp)
        sp.start()
        partner.start()
        number = w.number('+33')
        uri = 'tel:' + number
        u = await w.user(sp, 'alice')
        item_id = await add_ok(u, number)
        await wait_until('the partner recorded the request', lambda: partner.inbound_requests(sp.service, uri))
        # Lost the hard way: the row deleted while the partner is down.
        partner.stop()
        db = sqlite3.connect(os.path.join(partner.dir, 'waitlistd.db'))
        db.execute('DELETE FROM inbound_requests WHERE service = ? AND uri = ?', (sp.service, uri))
        db.commit()
        db.close()
        partner.start()
        check(not partner.inbound_requests(sp.service, uri), 'the row is still there')
        await wait_until('the partner holds the request again', lambda: partner.inbound_requests(sp.service, uri))
        joe = 'joe%d@rpartner.test' % w.counter
        partner.create_account(joe, PASSWORD, [uri])
        check_jid_push(await u.next_push(PUSH_TIMEOUT), item_id, joe, number)
    finally:
        await w.close_all()
        sp.cleanup()
        partner.cleanup()


@test('reconciliation when a partner comes back: its restored backup lost the request, and the first stream '
      'with it after its restart makes the request go again, with no operator and no timer')
async def t_reconcile_on_stream(w):
    sp = Instance(w.waitlistd, 'ssp.test', serves_tel=['+1'])                  # reconcile_interval: 1h
    partner = Instance(w.waitlistd, 'spartner.test', serves_tel=['+33'])
    try:
        sp.add_partner(partner.service)
        sp.route_to(partner)
        partner.add_partner(sp.service)   # so the partner talks to sp.test soon after its start
        partner.route_to(sp)
        sp.start()
        partner.start()
        await asyncio.sleep(6)   # both startup reconciliations are over
        number = w.number('+33')
        uri = 'tel:' + number
        backup = os.path.join(partner.dir, 'before-add.db')
        partner.backup(backup)
        u = await w.user(sp, 'alice')
        item_id = await add_ok(u, number)
        await wait_until('the partner recorded the request', lambda: partner.inbound_requests(sp.service, uri))
        partner.stop()
        partner.restore(backup)
        partner.start()
        check(not partner.inbound_requests(sp.service, uri), 'the restored partner still holds the request')
        await wait_until('the partner holds the request again', lambda: partner.inbound_requests(sp.service, uri),
                         timeout=30)
        check('came up; reconciling with %s' % partner.service in sp.log_text(10 ** 8),
              'not triggered by the stream:\n' + sp.log_text())
        max_ = 'max%d@spartner.test' % w.counter
        partner.create_account(max_, PASSWORD, [uri])
        check_jid_push(await u.next_push(PUSH_TIMEOUT), item_id, max_, number)
    finally:
        await w.close_all()
        sp.cleanup()
        partner.cleanup()


@test('a partner configured by its domain alone: its service, on a third party\'s domain, is discovered, '
      'and discovered again once it moved (§4.2, implementation note 3); the admin API counts its requests')
async def t_discovered_partner(w):
    sp = Instance(w.waitlistd, 'dsp.test', serves_tel=['+1'])
    partner = Instance(w.waitlistd, 'dpartner.test', serves_tel=['+33'], service='lists.neutral-directory.test')
    moved = 'wl2.neutral-directory.test'
    try:
        sp.add_partner(None, domain=partner.domain)   # nothing says where its service lives
        sp.route_to(partner, extra=(moved,))
        partner.add_partner(None, domain=sp.domain)   # both ways: sp's requests come from a discovered service
        partner.route_to(sp)
        sp.start()
        partner.start()
        number = w.number('+33')
        u = await w.user(sp, 'alice')
        item_id = await add_ok(u, number)
        await wait_until('the partner recorded the request at its discovered service',
                         lambda: partner.inbound_requests(sp.service, 'tel:' + number))
        check('the waiting list service of partner dpartner.test is lists.neutral-directory.test' in
              sp.log_text(10 ** 8), 'discovery not reported:\n' + sp.log_text())
        status, listed = partner.api('GET', '/v1/partners')
        entry = next((p for p in (listed or {}).get('partners', []) if p.get('domain') == sp.domain), None)
        check(status == 200 and entry is not None and entry.get('service') == sp.service
              and entry.get('inbound_requests') == 1,
              'GET /v1/partners does not show the discovered service and its request: %s %s' % (status, listed))
        status, out, err = partner.ctl('partners')
        check(status == 0 and re.search(r'^dsp\.test via waitlist\.dsp\.test\s+any URI not served here\s+1$', out, re.M),
              'waitlistctl partners: %s %s %s' % (status, out, err))
        kim = 'kim%d@dpartner.test' % w.counter
        partner.create_account(kim, PASSWORD, ['tel:' + number])
        check_jid_push(await u.next_push(PUSH_TIMEOUT), item_id, kim, number)
        # The partner moves its service; the old address stops answering.
        partner.stop()
        partner.service = moved
        partner.start()
        number2 = w.number('+33')
        lee = 'lee%d@dpartner.test' % w.counter
        partner.create_account(lee, PASSWORD, ['tel:' + number2])
        item2 = await add_ok(u, number2)
        check_jid_push(await u.next_push(timeout=60), item2, lee, number2)
        check('the waiting list service of partner dpartner.test is ' + moved in sp.log_text(10 ** 8),
              'not rediscovered:\n' + sp.log_text())
    finally:
        await w.close_all()
        sp.cleanup()
        partner.cleanup()


@test('certificate mode: CA-signed certificates, SASL EXTERNAL both ways, partners that refuse dialback')
async def t_certificates(w):
    sp = Instance(w.waitlistd, 'certsp.test', serves_tel=['+1'])
    partner = Instance(w.waitlistd, 'certpartner.test', serves_tel=['+33'])
    try:
        ca = make_ca(sp.dir)
        for inst in (sp, partner):
            issue_cert(ca, inst)
            inst.ca = os.path.join(sp.dir, 'ca.pem')
        sp.add_partner(partner.service, require_cert=True)
        sp.route_to(partner)
        partner.add_partner(sp.service, require_cert=True)
        partner.route_to(sp)
        sp.start()
        partner.start()
        number = w.number('+33')
        partner.create_account('cert%d@certpartner.test' % w.counter, PASSWORD, ['tel:' + number])
        contact = 'cert%d@certpartner.test' % w.counter
        u = await w.user(sp, 'alice')
        item_id = await add_ok(u, number)
        check_jid_push(await u.next_push(PUSH_TIMEOUT), item_id, contact, number)
        for inst in (sp, partner):
            check('SASL EXTERNAL' in inst.log_text(200000) and 'dialback)' not in inst.log_text(200000),
                  '%s did not authenticate its streams by certificate only:\n%s' % (inst.domain, inst.log_text()))
    finally:
        await w.close_all()
        sp.cleanup()
        partner.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--only', default='')
    ap.add_argument('--verbose', action='store_true')
    ap.add_argument('--keep', action='store_true', help='keep the instances\' directories')
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL)
    world = World(args.waitlistd)
    results = Results()
    try:
        world.start()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(SCENARIOS.run(world, args.only, timeout=150, results=results))
    except Exception as e:  # noqa: BLE001
        results.failed_one('setup', e, trace=True)
    finally:
        if results.failed:
            for i in world.instances():
                print('--- %s log (tail) ---\n%s' % (i.domain, i.log_text()))
        if args.keep:
            for i in world.instances():
                i.stop()
                print('kept', i.dir)
        else:
            world.cleanup()
    sys.exit(results.finish())


if __name__ == '__main__':
    main()
