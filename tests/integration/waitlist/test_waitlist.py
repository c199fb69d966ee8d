#!/usr/bin/python3
"""End-to-end tests of the WaitingListService for IM users (XEP-0130 §§3, 4.1): a real
waitlistd, real clients (python3-slixmpp; a small asyncio client for the thousand-user
run), the operator's side through the admin API (and, for a registration while the server is
down and for a thousand accounts at once, wl_provision on the same database).

    test_waitlist.py --waitlistd PATH --provision PATH --backend sqlite|postgresql [--pg-harness PATH]

One test per IM-user example of the XEP, plus: a push to an offline user at next login, a
restart between the add and the registration, formatted and national numbers matching
their E.164 registration, and a thousand users pushed on one registration.
Prints "RESULT: P passed, F failed" and exits non-zero when anything failed."""

import argparse
import asyncio
import logging
import os
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import DOMAIN, NS, SERVICE, STANZAS_NS, Server  # noqa: E402 - puts tests/support on the path
from lite_client import LiteClient  # noqa: E402
from results import Results  # noqa: E402
from scenarios import Failure, Scenarios, check, show  # noqa: E402
from xmpp_client import login, logout  # noqa: E402

CLIENT = 'jabber:client'
PASSWORD = 'correct horse battery staple'
PUSH_TIMEOUT = 20     # generous: a registration made while the server was down waits for its start
QUIET_PERIOD = 2.5    # how long "no further push" is watched (more than two dispatcher polls)


def q(tag, ns=NS):
    return '{%s}%s' % (ns, tag)


class Context:
    def __init__(self, server):
        self.server = server
        self.counter = 0
        self.clients = []

    def new_name(self, stem):
        self.counter += 1
        return '%s%d@%s' % (stem, self.counter, DOMAIN)

    async def user(self, stem='user'):
        """A new account, logged in (with initial presence)."""
        jid = self.new_name(stem)
        self.server.create_account(jid, PASSWORD)
        return await self.login(jid)

    async def login(self, jid):
        try:
            u = await login(jid, PASSWORD, self.server.c2s_port, service=SERVICE)
        except asyncio.TimeoutError:
            raise Failure('%s did not log in' % jid)
        self.clients.append(u)
        return u

    async def logout(self, u):
        await logout(u)
        if u in self.clients:
            self.clients.remove(u)

    async def close_all(self):
        for u in list(self.clients):
            await self.logout(u)


# ---- payload helpers ----

def add_xml(scheme, value, name=None, jid=None):
    return ("<query xmlns='%s'><item%s><uri scheme='%s'>%s</uri>%s</item></query>"
            % (NS, " jid='%s'" % jid if jid else '', scheme, value, '<name>%s</name>' % name if name else ''))


def remove_xml(item_id):
    return "<query xmlns='%s'><item id='%s'><remove/></item></query>" % (NS, item_id)


RETRIEVE = "<query xmlns='%s'/>" % NS


def expect_error(resp, condition, code, etype, echo=None):
    check(resp.get('type') == 'error', 'expected an error, got ' + show(resp))
    err = resp.find('{%s}error' % CLIENT)
    check(err is not None, 'no <error/> in ' + show(resp))
    check(err.find('{%s}%s' % (STANZAS_NS, condition)) is not None, 'expected %s in %s' % (condition, show(resp)))
    check(err.get('code') == str(code), 'expected legacy code %s in %s' % (code, show(resp)))
    check(err.get('type') == etype, 'expected type %s in %s' % (etype, show(resp)))
    if echo is not None:
        query = resp.find(q('query'))
        check(query is not None, 'the error does not echo the <query/>: ' + show(resp))
        check(ET.tostring(query, encoding='unicode').replace(' ', '') ==
              ET.tostring(ET.fromstring(echo), encoding='unicode').replace(' ', ''),
              'echoed query differs: %s vs %s' % (show(query), echo))


def result_items(resp):
    check(resp.get('type') == 'result', 'expected a result, got ' + show(resp))
    query = resp.find(q('query'))
    check(query is not None, 'no <query/> in ' + show(resp))
    return query.findall(q('item'))


async def add_ok(u, scheme, value, name=None):
    resp = await u.iq('set', add_xml(scheme, value, name))
    items = result_items(resp)
    check(len(items) == 1 and items[0].get('id'), 'expected one item with an id: ' + show(resp))
    return items[0]


def check_push(msg, item_id, jid, scheme, value, name=None):
    check(msg.get('from') == SERVICE, 'push from %s' % msg.get('from'))
    check(msg.get('type') in (None, 'normal'), 'push type %s' % msg.get('type'))
    body = msg.find('{%s}body' % CLIENT)
    check(body is not None and body.text == 'This message contains a WaitingList item.', 'push body: ' + show(msg))
    item = msg.find('%s/%s' % (q('waitlist'), q('item')))
    check(item is not None, 'push without <waitlist><item/>: ' + show(msg))
    check(item.get('id') == item_id, 'push for item %s, expected %s' % (item.get('id'), item_id))
    check(item.get('jid') == jid, 'push jid %s, expected %s' % (item.get('jid'), jid))
    uri = item.find(q('uri'))
    check(uri is not None and uri.get('scheme') == scheme and uri.text == value, 'push uri: ' + show(item))
    if name:
        check(item.findtext(q('name')) == name, 'push name: ' + show(item))


# ---- the tests (XEP-0130 examples first, in the XEP's order) ----

SCENARIOS = Scenarios()
test = SCENARIOS.add


def check_agents(resp):
    check(resp.get('type') == 'result', show(resp))
    agents = [a for a in resp.iter('{jabber:iq:agents}agent') if a.get('jid') == SERVICE]
    check(len(agents) == 1, 'no agent for the service: ' + show(resp))
    check(agents[0].findtext('{jabber:iq:agents}name') == 'Waiting List Service', show(agents[0]))
    check(agents[0].findtext('{jabber:iq:agents}service') == 'waitinglist', show(agents[0]))


@test('the server lists the waiting list service in jabber:iq:agents sent to the domain')
async def t_agents_domain(ctx):
    u = await ctx.user()
    check_agents(await u.iq('get', "<query xmlns='jabber:iq:agents'/>", to=DOMAIN))


@test("the server answers jabber:iq:agents without a 'to', exactly as example 1 sends it (example 1-2)")
async def t_agents(ctx):
    u = await ctx.user()
    resp = await u.iq('get', "<query xmlns='jabber:iq:agents'/>", to=None)
    check_agents(resp)


@test('the server lists the waiting list service in disco#items (examples 3-4)')
async def t_disco_items(ctx):
    u = await ctx.user()
    resp = await u.iq('get', "<query xmlns='http://jabber.org/protocol/disco#items'/>", to=DOMAIN)
    check(resp.get('type') == 'result', show(resp))
    items = [i for i in resp.iter('{http://jabber.org/protocol/disco#items}item') if i.get('jid') == SERVICE]
    check(len(items) == 1 and items[0].get('name') == 'Waiting List Service', show(resp))


@test('disco#info on the service names its identity and every scheme in both spellings (examples 5-6)')
async def t_disco_info(ctx):
    u = await ctx.user()
    resp = await u.iq('get', "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    check(resp.get('type') == 'result', show(resp))
    info = '{http://jabber.org/protocol/disco#info}'
    ids = [(i.get('category'), i.get('type')) for i in resp.iter(info + 'identity')]
    check(('directory', 'waitinglist') in ids, 'identity: %s' % ids)
    features = {f.get('var') for f in resp.iter(info + 'feature')}
    for var in (NS, NS + '/schemes/tel', NS + '/schemes/mailto',
                'http://jabber.org/protocol/waitlist/schemes/tel', 'http://jabber.org/protocol/waitlist/schemes/mailto'):
        check(var in features, 'missing feature %s in %s' % (var, sorted(features)))
    resp = await u.iq('get', "<query xmlns='http://jabber.org/protocol/disco#items'/>")
    check(resp.get('type') == 'result' and not list(resp.iter('{http://jabber.org/protocol/disco#items}item')),
          'disco#items on the service should be empty: ' + show(resp))


@test('a user who never had a waiting list gets item-not-found on retrieve (§3.1 A2)')
async def t_retrieve_none(ctx):
    u = await ctx.user()
    resp = await u.iq('get', RETRIEVE)
    expect_error(resp, 'item-not-found', 404, 'cancel', echo=RETRIEVE)


@test('an added item carrying a jid gets bad-request, echoed, and nothing is stored (example 10)')
async def t_add_with_jid(ctx):
    u = await ctx.user()
    req = add_xml('tel', '3035550199', 'contact-name', jid='some-jid')
    expect_error(await u.iq('set', req), 'bad-request', 400, 'modify', echo=req)
    expect_error(await u.iq('get', RETRIEVE), 'item-not-found', 404, 'cancel')


@test("an unsupported scheme ('tag') gets bad-request, echoed, and nothing is stored (example 9)")
async def t_add_tag(ctx):
    u = await ctx.user()
    req = add_xml('tag', 'shakespeare.lit,2005-08:waitlist1', 'contact-name')
    expect_error(await u.iq('set', req), 'bad-request', 400, 'modify', echo=req)
    expect_error(await u.iq('get', RETRIEVE), 'item-not-found', 404, 'cancel')


@test('a number with too many digits gets not-acceptable, echoed, and nothing is stored (example 11)')
async def t_add_long_number(ctx):
    u = await ctx.user()
    req = add_xml('tel', '+1234563033083283', 'contact-name')
    expect_error(await u.iq('set', req), 'not-acceptable', 406, 'modify', echo=req)
    expect_error(await u.iq('get', RETRIEVE), 'item-not-found', 404, 'cancel')


@test("an address without '@' gets not-acceptable, echoed, and nothing is stored (example 11)")
async def t_add_no_at(ctx):
    u = await ctx.user()
    req = add_xml('mailto', 'editor.xmpp.org', 'XMPP Extensions Editor')
    expect_error(await u.iq('set', req), 'not-acceptable', 406, 'modify', echo=req)
    expect_error(await u.iq('get', RETRIEVE), 'item-not-found', 404, 'cancel')


@test('the checks run in the XEP\'s order: a jid beats an unsupported scheme and an invalid URI')
async def t_add_order(ctx):
    u = await ctx.user()
    req = add_xml('tag', '+1234563033083283', jid='some-jid')
    expect_error(await u.iq('set', req), 'bad-request', 400, 'modify', echo=req)
    req = add_xml('tag', 'not a number')
    expect_error(await u.iq('set', req), 'bad-request', 400, 'modify', echo=req)


@test('adding a registered local contact returns the item with its jid, then a JID push follows (examples 13, 15)')
async def t_add_registered(ctx):
    contact = ctx.new_name('contact')
    ctx.server.create_account(contact, PASSWORD, ['tel:+13035550101'])
    u = await ctx.user()
    item = await add_ok(u, 'tel', '3035550101', 'PSA')
    check(item.get('jid') == contact, 'the result should carry the jid: ' + show(item))
    check(item.find(q('uri')).get('scheme') == 'tel' and item.find(q('uri')).text == '3035550101', show(item))
    check(item.findtext(q('name')) == 'PSA', show(item))
    check_push(await u.next_push(PUSH_TIMEOUT), item.get('id'), contact, 'tel', '3035550101', 'PSA')
    await u.no_push(QUIET_PERIOD)


@test('adding an unregistered contact returns a new id; the push comes when the contact registers (examples 12, 15)')
async def t_add_then_register(ctx):
    u = await ctx.user()
    item = await add_ok(u, 'mailto', 'editor@sp.example', 'XMPP Extensions Editor')
    check(item.get('jid') is None and len(list(item)) == 0, "the result is <item id='...'/>: " + show(item))
    await u.no_push(QUIET_PERIOD)
    contact = ctx.new_name('editor')
    ctx.server.create_account(contact, PASSWORD, ['mailto:editor@sp.example'])
    check_push(await u.next_push(PUSH_TIMEOUT), item.get('id'), contact, 'mailto', 'editor@sp.example', 'XMPP Extensions Editor')
    await u.no_push(QUIET_PERIOD)


@test('retrieve lists the user\'s items with id, uri, name, and the jid once found (examples 7-8)')
async def t_retrieve(ctx):
    u = await ctx.user()
    found = ctx.new_name('psa')
    ctx.server.create_account(found, PASSWORD, ['tel:+13035550103'])
    a = await add_ok(u, 'tel', '3035550103', 'PSA')
    b = await add_ok(u, 'mailto', 'someone@sp.example', 'XMPP Extensions Editor')
    await u.next_push(PUSH_TIMEOUT)
    items = result_items(await u.iq('get', RETRIEVE))
    by_id = {i.get('id'): i for i in items}
    check(set(by_id) == {a.get('id'), b.get('id')}, 'items: %s' % [show(i) for i in items])
    check(by_id[a.get('id')].get('jid') == found, show(by_id[a.get('id')]))
    check(by_id[b.get('id')].get('jid') is None, show(by_id[b.get('id')]))
    check(by_id[b.get('id')].find(q('uri')).get('scheme') == 'mailto', show(by_id[b.get('id')]))
    check(by_id[b.get('id')].findtext(q('uri')) == 'someone@sp.example', show(by_id[b.get('id')]))
    check(by_id[b.get('id')].findtext(q('name')) == 'XMPP Extensions Editor', show(by_id[b.get('id')]))
    # Privacy: another user sees none of it.
    other = await ctx.user()
    expect_error(await other.iq('get', RETRIEVE), 'item-not-found', 404, 'cancel')


@test('adding a URI already on the list returns the existing item\'s id')
async def t_add_duplicate(ctx):
    u = await ctx.user()
    a = await add_ok(u, 'tel', '+1 303 555 0104')
    b = await add_ok(u, 'tel', '(303) 555-0104')
    check(a.get('id') == b.get('id'), 'ids %s and %s' % (a.get('id'), b.get('id')))
    check(len(result_items(await u.iq('get', RETRIEVE))) == 1, 'duplicate stored')


@test('removing an item returns an empty result and the item is gone (examples 29-30)')
async def t_remove(ctx):
    u = await ctx.user()
    a = await add_ok(u, 'tel', '3035550105', 'contact-name')
    resp = await u.iq('set', remove_xml(a.get('id')))
    check(resp.get('type') == 'result' and len(list(resp)) == 0, 'expected an empty result: ' + show(resp))
    check(result_items(await u.iq('get', RETRIEVE)) == [], 'the item is still listed')
    # The list exists (now empty): a retrieve is an empty result, not item-not-found.


@test('removing an unknown item gets item-not-found with the request echoed (example 31)')
async def t_remove_unknown(ctx):
    u = await ctx.user()
    await add_ok(u, 'tel', '3035550106')
    req = remove_xml('34567')
    expect_error(await u.iq('set', req), 'item-not-found', 404, 'cancel', echo=req)
    # Another user's item id is unknown too.
    other = await ctx.user()
    mine = await add_ok(other, 'tel', '3035550107')
    req = remove_xml(mine.get('id'))
    expect_error(await u.iq('set', req), 'item-not-found', 404, 'cancel', echo=req)
    check(len(result_items(await other.iq('get', RETRIEVE))) == 1, "another user's item was removed")


@test('a URI no one serves (no partners configured) gets the "cannot find this contact" push (example 16)')
async def t_not_found_push(ctx):
    u = await ctx.user()
    item = await add_ok(u, 'tel', '+33 1 23 45 67 89', 'contact-name')
    msg = await u.next_push(PUSH_TIMEOUT)
    check(msg.findtext('{%s}body' % CLIENT) == 'Sorry, we cannot find this contact.', show(msg))
    pushed = msg.find('%s/%s' % (q('waitlist'), q('item')))
    check(pushed.get('id') == item.get('id') and pushed.get('type') == 'error', show(msg))
    err = pushed.find('{%s}error' % CLIENT)
    check(err is not None and err.get('code') == '404' and err.get('type') == 'cancel' and
          err.find('{%s}item-not-found' % STANZAS_NS) is not None, show(msg))
    check(pushed.findtext(q('uri')) == '+33 1 23 45 67 89', show(msg))


IQ_COUNT = 'waitlistd_waitlist_iq_duration_seconds_count'
IQ_FAST = 'waitlistd_waitlist_iq_duration_seconds_bucket{le="10"}'
QUEUED = 'waitlistd_pushes_queued_total'
DELIVERED = 'waitlistd_pushes_delivered_total'
PARKED = 'waitlistd_pushes_parked_total'


async def metrics_reach(ctx, wanted, timeout=10):
    """Polls /metrics until every sample in `wanted` is at least its value; the counters move
    on the server's threads, a moment after the client saw the effect."""
    deadline = time.monotonic() + timeout
    while True:
        now = ctx.server.metrics()
        short = {k: (now.get(k), v) for k, v in wanted.items() if now.get(k, -1) < v}
        if not short:
            return now
        if time.monotonic() > deadline:
            raise Failure('metrics stayed below their expected values (now, wanted): %s' % short)
        await asyncio.sleep(0.1)


@test('the service feeds /metrics: IQ latencies, pushes queued by an add, delivered, parked for an offline user')
async def t_metrics(ctx):
    m0 = ctx.server.metrics()
    missing = [k for k in (IQ_COUNT, QUEUED, DELIVERED, PARKED) if k not in m0]
    check(not missing, 'missing from /metrics before any use: %s' % missing)
    contact = ctx.new_name('counted')
    ctx.server.create_account(contact, PASSWORD, ['tel:+13035550130'])
    u = await ctx.user()
    await add_ok(u, 'tel', '3035550130')  # registered already: the add itself queues the push
    await u.next_push(PUSH_TIMEOUT)
    await expect_retrieve_ok(u)
    m1 = await metrics_reach(ctx, {IQ_COUNT: m0[IQ_COUNT] + 2, QUEUED: m0[QUEUED] + 1,
                                   DELIVERED: m0[DELIVERED] + 1})
    check(m1[IQ_COUNT] == m0[IQ_COUNT] + 2, 'two IQs, %d observations' % (m1[IQ_COUNT] - m0[IQ_COUNT]))
    check(m1[IQ_FAST] - m0.get(IQ_FAST, 0) == 2, 'both IQs fall in the 10 s bucket')
    check(m1[QUEUED] == m0[QUEUED] + 1, 'the add queued %d pushes' % (m1[QUEUED] - m0[QUEUED]))
    check(m1['waitlistd_sessions'] >= 1, 'sessions gauge: %s' % m1['waitlistd_sessions'])

    # Offline: the push is parked (and shown as a parked job), then delivered at login.
    jid = ctx.new_name('away')
    ctx.server.create_account(jid, PASSWORD)
    u = await ctx.login(jid)
    await add_ok(u, 'tel', '3035550131')
    await ctx.logout(u)
    ctx.server.create_account(ctx.new_name('back'), PASSWORD, ['tel:+13035550131'])
    m2 = await metrics_reach(ctx, {PARKED: m1[PARKED] + 1, 'waitlistd_jobs{state="parked"}': 1})
    u = await ctx.login(jid)
    await u.next_push(PUSH_TIMEOUT)
    await metrics_reach(ctx, {DELIVERED: m2[DELIVERED] + 1})


async def expect_retrieve_ok(u):
    resp = await u.iq('get', RETRIEVE)
    check(resp.get('type') == 'result', show(resp))


@test('a decode error of the query is a bad-request carrying the codec\'s sentence')
async def t_decode_error(ctx):
    u = await ctx.user()
    req = "<query xmlns='%s'><item><uri>3035550108</uri></item></query>" % NS
    resp = await u.iq('set', req)
    expect_error(resp, 'bad-request', 400, 'modify', echo=req)
    text = resp.findtext('{%s}error/{%s}text' % (CLIENT, STANZAS_NS)) or ''
    check("'scheme'" in text and '<uri/>' in text, 'the text should name the attribute and tag: %r' % text)


@test('a push to an offline user is delivered at the next login, once')
async def t_offline_push(ctx):
    jid = ctx.new_name('sleeper')
    ctx.server.create_account(jid, PASSWORD)
    u = await ctx.login(jid)
    item = await add_ok(u, 'tel', '3035550110', 'Sleepy')
    await ctx.logout(u)
    contact = ctx.new_name('waker')
    ctx.server.create_account(contact, PASSWORD, ['tel:+13035550110'])
    await asyncio.sleep(QUIET_PERIOD)  # the dispatcher finds nobody and parks the push
    u = await ctx.login(jid)
    check_push(await u.next_push(PUSH_TIMEOUT), item.get('id'), contact, 'tel', '3035550110', 'Sleepy')
    await u.no_push(QUIET_PERIOD)
    await ctx.logout(u)
    u = await ctx.login(jid)
    await u.no_push(QUIET_PERIOD)


@test('a national number with separators matches its E.164 registration')
async def t_formatted_number(ctx):
    u = await ctx.user()
    item = await add_ok(u, 'tel', '+1 (303) 555-0100', 'Formatted')
    contact = ctx.new_name('e164')
    ctx.server.create_account(contact, PASSWORD)
    ctx.server.add_uri(contact, 'tel:+13035550100')
    check_push(await u.next_push(PUSH_TIMEOUT), item.get('id'), contact, 'tel', '+1 (303) 555-0100', 'Formatted')
    v = await ctx.user()
    national = await add_ok(v, 'tel', '(303) 555-0100')
    check(national.get('jid') == contact, 'the national form should be found at once: ' + show(national))
    check_push(await v.next_push(PUSH_TIMEOUT), national.get('id'), contact, 'tel', '(303) 555-0100')


@test('a restart of waitlistd between the add and the registration loses nothing: the push arrives once')
async def t_restart(ctx):
    jid = ctx.new_name('patient')
    ctx.server.create_account(jid, PASSWORD)
    u = await ctx.login(jid)
    item = await add_ok(u, 'mailto', 'late.joiner@sp.example', 'Late')
    await ctx.close_all()
    ctx.server.stop()
    ctx.server.start()
    u = await ctx.login(jid)
    contact = ctx.new_name('late')
    ctx.server.create_account(contact, PASSWORD, ['mailto:late.joiner@sp.example'])
    check_push(await u.next_push(PUSH_TIMEOUT), item.get('id'), contact, 'mailto', 'late.joiner@sp.example', 'Late')
    await u.no_push(QUIET_PERIOD)
    # And a registration while the server is down: the push waits in the database.
    item2 = await add_ok(u, 'tel', '3035550111', 'Down')
    await ctx.close_all()
    ctx.server.stop()
    contact2 = ctx.new_name('down')
    ctx.server.register_offline(contact2, PASSWORD, ['tel:+13035550111'])  # the API is down with the server
    ctx.server.start()
    u = await ctx.login(jid)
    check_push(await u.next_push(PUSH_TIMEOUT), item2.get('id'), contact2, 'tel', '3035550111', 'Down')
    await u.no_push(QUIET_PERIOD)


@test('a thousand users waiting for one contact are all pushed on its registration')
async def t_thousand(ctx):
    n = 1000
    prefix = 'crowd%d_' % ctx.counter
    ctx.counter += 1
    ctx.server.bulk_accounts(prefix, 1, n, PASSWORD)
    clients = [LiteClient('127.0.0.1', ctx.server.c2s_port, DOMAIN, '%s%d' % (prefix, i), PASSWORD)
               for i in range(1, n + 1)]
    sem = asyncio.Semaphore(50)

    async def login_and_add(c):
        async with sem:
            await c.login()
            resp = await c.iq('set', SERVICE, add_xml('tel', '+1 303 555 0120', 'Popular'))
            item = resp.find('%s/%s' % (q('query'), q('item')))
            check(resp.get('type') == 'result' and item is not None and item.get('id'), show(resp))
            return item.get('id')

    try:
        ids = await asyncio.gather(*(login_and_add(c) for c in clients))
        contact = ctx.new_name('popular')
        ctx.server.create_account(contact, PASSWORD, ['tel:+13035550120'])

        async def pushed(c, item_id):
            try:
                msg = await asyncio.wait_for(c.messages.get(), 120)
            except asyncio.TimeoutError:
                return False
            item = msg.find('%s/%s' % (q('waitlist'), q('item')))
            return item is not None and item.get('id') == item_id and item.get('jid') == contact

        got = await asyncio.gather(*(pushed(c, i) for c, i in zip(clients, ids)))
        check(all(got), '%d of %d users got their push' % (sum(got), n))
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--provision', required=True)
    ap.add_argument('--backend', choices=['sqlite', 'postgresql'], default='sqlite')
    ap.add_argument('--pg-harness')
    ap.add_argument('--only', default='')
    ap.add_argument('--verbose', action='store_true')
    args = ap.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL)
    server = Server(args.waitlistd, args.provision, args.backend, args.pg_harness)
    results = Results()
    try:
        server.start()
        print('waitlistd on 127.0.0.1:%d (%s)' % (server.c2s_port, args.backend), flush=True)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(SCENARIOS.run(Context(server), args.only, results=results))
    except Exception as e:  # noqa: BLE001
        results.failed_one('setup', e, trace=True)
    finally:
        if results.failed:
            server.print_log()
        server.cleanup()
    sys.exit(results.finish())


if __name__ == '__main__':
    main()
