#!/usr/bin/python3
"""The admin API, /healthz, /readyz and /metrics of a running waitlistd, over real HTTP.

Every route with its success (and the OpenAPI document it serves) and every refusal (each 4xx names its field), authentication,
404/409, the Prometheus text format, keep-alive, body limits, graceful stop; then "the contact
registers": a slixmpp user waits for a number, the operator creates the account that owns it,
and the user receives the JID push at once; the new account logs in with SCRAM-SHA-256 and
SCRAM-SHA-1 (proof that the API stored the right keys).

Prints "RESULT: P passed, F failed"; exits non-zero on any failure.
Usage: admin_api_test.py --waitlistd PATH
"""
import argparse
import asyncio
import json
import os
import logging
import re
import socket
import sys
import time
import urllib.parse

from admin_waitlistd import DOMAIN, admin_waitlistd  # also puts tests/support on the path
from results import Results
from slixmpp.xmlstream import ET
from xmpp_client import login as xmpp_login, logout

logging.basicConfig(level=logging.CRITICAL)

NS_WL = 'http://jabber.org/protocol/waitinglist'
OPENAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'server', 'http', 'openapi.json')
WAITLIST_JID = 'waitlist.' + DOMAIN


def q(text):
    return urllib.parse.quote(text, safe='')


def expect(got, want, what=''):
    assert got == want, f'{what}: expected {want!r}, got {got!r}'


def expect_error(s, method, path, body, status, field, error_re=None, **kw):
    code, j = s.api(method, path, body, **kw)
    expect(code, status, f'{method} {path} {body!r} status ({j})')
    assert isinstance(j, dict) and isinstance(j.get('error'), str), f'no JSON error: {j!r}'
    if field is None:
        assert 'field' not in j, f'unexpected field in {j!r}'
    else:
        expect(j.get('field'), field, f'{method} {path} {body!r} field')
    if error_re:
        assert re.search(error_re, j['error']), f'error {j["error"]!r} does not match {error_re!r}'
    return j


# ---------------------------------------------------------------------------------------
# probes

def healthz_answers_ok(s):
    status, headers, body = s.request('GET', '/healthz', token=None)
    expect(status, 200, 'status')
    expect(body, b'ok\n', 'body')


def readyz_answers_ready(s):
    status, _, body = s.request('GET', '/readyz', token=None)
    expect(status, 200, f'status ({body!r})')


def unknown_path_is_404_and_wrong_method_is_405(s):
    expect_error(s, 'GET', '/nowhere', None, 404, None)
    status, headers, _ = s.request('PUT', '/v1/accounts', raw=b'{}')
    expect(status, 405, 'PUT /v1/accounts')
    assert 'POST' in headers.get('allow', '') and 'GET' in headers.get('allow', ''), headers


def websocket_upgrade_elsewhere_than_xmpp_websocket_is_404(s):
    status, _, _ = s.request('GET', '/other-websocket', token=None, headers={
        'Connection': 'Upgrade', 'Upgrade': 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'xmpp'})
    expect(status, 404, 'upgrade status')


# ---------------------------------------------------------------------------------------
# authentication

def v1_without_token_is_401_with_a_json_error(s):
    status, headers, body = s.request('GET', '/v1/accounts', token=None)
    expect(status, 401, 'status')
    assert headers.get('www-authenticate', '').startswith('Bearer'), headers
    assert b'"error"' in body, body


def v1_with_a_wrong_token_or_scheme_is_401(s):
    expect_error(s, 'GET', '/v1/accounts', None, 401, None, token='wrong')
    expect_error(s, 'GET', '/v1/partners', None, 401, None, token=s.token + 'x')
    status, _, _ = s.request('GET', '/v1/accounts', token=None, headers={'Authorization': 'Basic ' + s.token})
    expect(status, 401, 'Basic scheme')
    # Nothing was created by a refused request.
    expect_error(s, 'POST', '/v1/accounts', {'jid': 'sneaky@' + DOMAIN, 'password': 'x'}, 401, None, token='wrong')
    code, j = s.api('GET', '/v1/accounts')
    assert all(a['jid'] != 'sneaky@' + DOMAIN for a in j['accounts']), j


# ---------------------------------------------------------------------------------------
# accounts

def creating_an_account_is_201_with_canonical_uris(s):
    code, j = s.api('POST', '/v1/accounts', {'jid': 'Alice@SP.example', 'password': 'alice-pw',
                                             'uris': ['tel:+1 (303) 555-0100', 'mailto:alice@SP.Example']})
    expect(code, 201, f'status ({j})')
    expect(j['jid'], 'alice@sp.example', 'normalised jid')
    expect(j['uris'], ['tel:+13035550100', 'mailto:alice@sp.example'], 'canonical uris')
    status, headers, _ = s.request('GET', '/v1/accounts')
    expect(status, 200, 'list')
    code, j = s.api('GET', '/v1/accounts')
    alice = [a for a in j['accounts'] if a['jid'] == 'alice@sp.example']
    expect(len(alice), 1, 'alice listed once')
    expect(sorted(alice[0]['uris']), ['mailto:alice@sp.example', 'tel:+13035550100'], 'listed uris')


def create_account_location_header_names_the_account(s):
    status, headers, _ = s.request('POST', '/v1/accounts', {'jid': 'loc@' + DOMAIN, 'password': 'pw'})
    expect(status, 201, 'status')
    expect(headers.get('location'), '/v1/accounts/loc%40sp.example', 'Location')


def create_account_refusals_name_their_field(s):
    p = '/v1/accounts'
    ok = {'jid': 'new@' + DOMAIN, 'password': 'pw'}
    expect_error(s, 'POST', p, None, 400, None, 'JSON', raw=b'{"jid": ')
    expect_error(s, 'POST', p, None, 400, None, 'JSON', raw=b'')
    expect_error(s, 'POST', p, ['new@sp.example'], 400, None, 'object')
    expect_error(s, 'POST', p, {'password': 'pw'}, 400, 'jid', 'missing')
    expect_error(s, 'POST', p, {'jid': 7, 'password': 'pw'}, 400, 'jid', 'string')
    expect_error(s, 'POST', p, {'jid': 'a@b@c', 'password': 'pw'}, 400, 'jid', 'invalid jid')
    expect_error(s, 'POST', p, {'jid': 'new@other.example', 'password': 'pw'}, 400, 'jid', 'domain')
    expect_error(s, 'POST', p, {'jid': 'new@sp.example/res', 'password': 'pw'}, 400, 'jid', 'bare')
    expect_error(s, 'POST', p, {'jid': DOMAIN, 'password': 'pw'}, 400, 'jid', 'local part')
    expect_error(s, 'POST', p, {'jid': 'new@' + DOMAIN}, 400, 'password', 'missing')
    expect_error(s, 'POST', p, {'jid': 'new@' + DOMAIN, 'password': None}, 400, 'password', 'string')
    expect_error(s, 'POST', p, {'jid': 'new@' + DOMAIN, 'password': ''}, 400, 'password', 'empty')
    expect_error(s, 'POST', p, {'jid': 'new@' + DOMAIN, 'password': 'bell\u0007'}, 400, 'password', 'SASLprep')
    expect_error(s, 'POST', p, {**ok, 'uris': 'tel:+13035550101'}, 400, 'uris', 'array')
    expect_error(s, 'POST', p, {**ok, 'uris': ['tel:+13035550101', 5]}, 400, 'uris[1]', 'string')
    j = expect_error(s, 'POST', p, {**ok, 'uris': ['tel:+13035550101', 'tel:+1234563033083283']}, 400, 'uris[1]',
                     '^invalid uri$')
    assert '3033083283' not in j.get('reason', ''), 'the reason repeats the number'
    expect_error(s, 'POST', p, {**ok, 'uris': ['mailto:no-at-sign']}, 400, 'uris[0]', '^invalid uri$')
    expect_error(s, 'POST', p, {**ok, 'uris': ['+13035550101']}, 400, 'uris[0]', '^invalid uri$')
    expect_error(s, 'POST', p, {**ok, 'uris': ['xmpp:bob@example.org']}, 400, 'uris[0]', '^unsupported uri scheme$')
    expect_error(s, 'POST', p, {**ok, 'nickname': 'x'}, 400, 'nickname', 'unknown field')
    # None of these created the account.
    code, j = s.api('GET', '/v1/accounts')
    assert all(a['jid'] != 'new@' + DOMAIN for a in j['accounts']), j


def an_existing_account_or_a_taken_uri_is_409(s):
    s.api('POST', '/v1/accounts', {'jid': 'owner@' + DOMAIN, 'password': 'pw', 'uris': ['tel:+13035550200']})
    expect_error(s, 'POST', '/v1/accounts', {'jid': 'Owner@' + DOMAIN, 'password': 'other'}, 409, 'jid', 'exists')
    expect_error(s, 'POST', '/v1/accounts',
                 {'jid': 'thief@' + DOMAIN, 'password': 'pw', 'uris': ['mailto:thief@sp.example', '+1-303-555-0200']},
                 400, 'uris[1]')
    expect_error(s, 'POST', '/v1/accounts',
                 {'jid': 'thief@' + DOMAIN, 'password': 'pw', 'uris': ['mailto:thief@sp.example', 'tel:+1-303-555-0200']},
                 409, 'uris[1]', 'another account')
    # All or nothing: the thief's account and its first URI were not created.
    expect_error(s, 'GET', '/v1/accounts/' + q('thief@' + DOMAIN) + '/waitlist', None, 404, 'jid')


def deleting_an_account_is_204_then_404(s):
    s.api('POST', '/v1/accounts', {'jid': 'gone@' + DOMAIN, 'password': 'pw', 'uris': ['tel:+13035550300']})
    status, _, body = s.request('DELETE', '/v1/accounts/' + q('gone@' + DOMAIN))
    expect(status, 204, 'status')
    expect(body, b'', 'body')
    expect_error(s, 'DELETE', '/v1/accounts/' + q('gone@' + DOMAIN), None, 404, 'jid', 'unknown account')
    expect_error(s, 'DELETE', '/v1/accounts/' + q('nobody@other.example'), None, 400, 'jid', 'domain')
    # Its URI is free again.
    code, j = s.api('POST', '/v1/accounts', {'jid': 'heir@' + DOMAIN, 'password': 'pw', 'uris': ['tel:+13035550300']})
    expect(code, 201, f'reuse of a freed uri ({j})')


# ---------------------------------------------------------------------------------------
# URIs

def adding_a_uri_is_201_and_again_200(s):
    s.api('POST', '/v1/accounts', {'jid': 'uri-user@' + DOMAIN, 'password': 'pw'})
    path = '/v1/accounts/' + q('uri-user@' + DOMAIN) + '/uris'
    code, j = s.api('POST', path, {'uri': 'tel:+1.303.555.0400'})
    expect(code, 201, f'status ({j})')
    expect(j['uri'], 'tel:+13035550400', 'canonical')
    code, j = s.api('POST', path, {'uri': 'tel:+13035550400'})
    expect(code, 200, f'second add ({j})')
    expect(j['added'], False, 'added')


def add_uri_refusals_name_their_field(s):
    path = '/v1/accounts/' + q('uri-user@' + DOMAIN) + '/uris'
    expect_error(s, 'POST', path, None, 400, None, 'JSON', raw=b'uri=tel:+1')
    expect_error(s, 'POST', path, {}, 400, 'uri', 'missing')
    expect_error(s, 'POST', path, {'uri': ['tel:+13035550401']}, 400, 'uri', 'string')
    expect_error(s, 'POST', path, {'uri': 'tel:+1234563033083283'}, 400, 'uri', '^invalid uri$')
    expect_error(s, 'POST', path, {'uri': 'sip:bob@example.org'}, 400, 'uri', '^unsupported uri scheme$')
    expect_error(s, 'POST', path, {'uri': 'tel:+13035550401', 'x': 1}, 400, 'x', 'unknown field')
    expect_error(s, 'POST', '/v1/accounts/' + q('ghost@' + DOMAIN) + '/uris', {'uri': 'tel:+13035550401'},
                 404, 'jid', 'unknown account')
    expect_error(s, 'POST', '/v1/accounts/' + q('ghost@elsewhere.example') + '/uris', {'uri': 'tel:+13035550401'},
                 400, 'jid')
    expect_error(s, 'POST', path, {'uri': 'tel:+13035550200'}, 409, 'uri', 'another account')
    expect_error(s, 'POST', '/v1/accounts/bad%zzjid/uris', {'uri': 'tel:+13035550401'}, 400, 'jid', 'percent')


def removing_a_uri_is_204_then_404(s):
    base = '/v1/accounts/' + q('uri-user@' + DOMAIN) + '/uris/'
    s.api('POST', base[:-1], {'uri': 'mailto:first.last+tag@sp.example'})
    status, _, _ = s.request('DELETE', base + q('mailto:first.last+tag@SP.EXAMPLE'))
    expect(status, 204, 'remove mailto (domain case differs, still canonical)')
    status, _, _ = s.request('DELETE', base + q('tel:+1 303 555 0400'))
    expect(status, 204, 'remove tel by a formatted number')
    expect_error(s, 'DELETE', base + q('tel:+13035550400'), None, 404, 'uri', 'no such uri')
    expect_error(s, 'DELETE', base + q('tel:+1234563033083283'), None, 400, 'uri', 'invalid')
    expect_error(s, 'DELETE', base + q('fax:+13035550400'), None, 400, 'uri', 'unsupported')
    expect_error(s, 'DELETE', '/v1/accounts/' + q('ghost@' + DOMAIN) + '/uris/' + q('tel:+13035550400'), None,
                 404, 'jid', 'unknown account')
    # Another account's URI is not removable through this one.
    expect_error(s, 'DELETE', base + q('tel:+13035550200'), None, 404, 'uri')
    code, j = s.api('GET', '/v1/accounts')
    owner = [a for a in j['accounts'] if a['jid'] == 'owner@' + DOMAIN][0]
    expect(owner['uris'], ['tel:+13035550200'], 'owner keeps its uri')


# ---------------------------------------------------------------------------------------
# waiting lists and partners

def waitlist_of_a_new_account_is_empty_and_of_an_unknown_one_404(s):
    code, j = s.api('GET', '/v1/accounts/' + q('uri-user@' + DOMAIN) + '/waitlist')
    expect(code, 200, 'status')
    expect(j, {'jid': 'uri-user@' + DOMAIN, 'items': []}, 'body')
    expect_error(s, 'GET', '/v1/accounts/' + q('ghost@' + DOMAIN) + '/waitlist', None, 404, 'jid')
    expect_error(s, 'GET', '/v1/accounts/' + q('@@') + '/waitlist', None, 400, 'jid')


def partners_lists_the_configured_partners(s):
    code, j = s.api('GET', '/v1/partners')
    expect(code, 200, 'status')
    expect(j, {'partners': [{'jid': 'waitlist.partner.example', 'service': 'waitlist.partner.example',
                             'serves': {'tel': ['+33']}, 'inbound_requests': 0}]}, 'body')


def openapi_json_is_the_repository_document_and_every_documented_route_is_routed(s):
    code, served = s.api('GET', '/v1/openapi.json')
    expect(code, 200, 'status')
    with open(OPENAPI, encoding='utf-8') as f:
        expect(served, json.load(f), 'the served document against server/http/openapi.json')
    # Each documented operation reaches a handler: whatever it answers, never the router's
    # "no such resource" nor 405. Placeholders fill the path parameters.
    for path, item in served['paths'].items():
        concrete = path.replace('{jid}', q('nobody@' + DOMAIN)).replace('{uri}', q('tel:+13035550199'))
        for method in item:
            if method not in ('get', 'post', 'delete', 'put', 'patch'):
                continue
            token = None if item[method].get('security') == [] else 'default'
            code, j = s.api(method.upper(), concrete, {} if method in ('post', 'put', 'patch') else None, token=token)
            assert code != 405, f'{method} {path}: 405'
            assert not (code == 404 and isinstance(j, dict) and j.get('error') == 'no such resource'), \
                f'{method} {path}: the router has no such route'
    expect_error(s, 'GET', '/v1/undocumented', None, 404, None, 'no such resource')


# ---------------------------------------------------------------------------------------
# HTTP behaviour

def a_connection_is_kept_alive_across_requests(s):
    c = s.connection()
    try:
        for path in ('/healthz', '/v1/partners', '/readyz', '/v1/accounts'):
            status, _, _ = s.request('GET', path, conn=c)
            expect(status, 200, path)
        local = c.sock.getsockname()
        status, _, _ = s.request('GET', '/healthz', conn=c)
        expect(c.sock.getsockname(), local, 'same connection')
    finally:
        c.close()


def a_body_over_the_limit_is_413(s):
    big = b'{"jid":"' + b'a' * (70 * 1024) + b'"}'
    status, headers, body = s.request('POST', '/v1/accounts', raw=big, headers={'Content-Type': 'application/json'})
    expect(status, 413, 'status')
    assert b'"error"' in body, body


def malformed_http_is_400(s):
    with socket.create_connection(('127.0.0.1', s.http_port), timeout=10) as sock:
        sock.sendall(b'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n')
        data = sock.recv(4096)
    assert data.startswith(b'HTTP/1.1 400'), data


# ---------------------------------------------------------------------------------------
# /metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? '
                    r'(-?[0-9.e+-]+|NaN|[+-]Inf)$')


def parse_metrics(text):
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            _, _, name, kind = line.split(' ', 3)
            types[name] = kind
        elif line.startswith('# HELP ') or not line:
            continue
        else:
            assert SAMPLE.match(line), f'not a Prometheus sample line: {line!r}'
            key, value = line.rsplit(' ', 1)
            samples[key] = float(value)
    return types, samples


def metrics_are_prometheus_text_with_every_family(s):
    s.request('GET', '/v1/partners')  # at least one timed request
    status, headers, body = s.request('GET', '/metrics', token=None)
    expect(status, 200, 'status')
    assert headers['content-type'].startswith('text/plain; version=0.0.4'), headers['content-type']
    types, samples = parse_metrics(body.decode())
    for name, kind in [('waitlistd_sessions', 'gauge'), ('waitlistd_stanzas_in_total', 'counter'),
                       ('waitlistd_stanzas_out_total', 'counter'), ('waitlistd_waiting_items', 'gauge'),
                       ('waitlistd_jobs', 'gauge'), ('waitlistd_pushes_queued_total', 'counter'),
                       ('waitlistd_pushes_delivered_total', 'counter'),
                       ('waitlistd_http_request_duration_seconds', 'histogram'),
                       ('waitlistd_waitlist_iq_duration_seconds', 'histogram')]:
        expect(types.get(name), kind, f'TYPE of {name}')
    for state in ('waiting', 'found', 'not_found', 'timed_out'):
        assert f'waitlistd_waiting_items{{state="{state}"}}' in samples, state
    for state in ('due', 'parked', 'claimed'):
        assert f'waitlistd_jobs{{state="{state}"}}' in samples, state
    expect(samples.get('waitlistd_store_up'), 1.0, 'store_up')
    # The histogram of the route just used: cumulative buckets, +Inf equal to _count.
    route = 'route="GET /v1/partners"'
    buckets = [(k, v) for k, v in samples.items()
               if k.startswith('waitlistd_http_request_duration_seconds_bucket{' + route)]
    assert len(buckets) >= 2, buckets
    values = [v for _, v in buckets]
    assert values == sorted(values), f'buckets not cumulative: {buckets}'
    count = samples['waitlistd_http_request_duration_seconds_count{' + route + '}']
    assert count >= 1, count
    expect(buckets[-1][0].endswith('le="+Inf"}'), True, 'last bucket is +Inf')
    expect(buckets[-1][1], count, '+Inf bucket equals _count')


# ---------------------------------------------------------------------------------------
# the contact registers, seen by a real client; SCRAM keys from the API

async def login(s, jid, password, mech):
    return await xmpp_login(jid + '/' + mech.lower(), password, s.c2s_port, mech=mech)


def run(coro):
    return asyncio.get_event_loop().run_until_complete(coro)


def an_account_made_by_the_api_logs_in_with_scram_sha_256_and_sha_1(s):
    s.api('POST', '/v1/accounts', {'jid': 'scram@' + DOMAIN, 'password': 'p\u00e4ss w\u00f6rd'})

    async def go():
        for mech in ('SCRAM-SHA-256', 'SCRAM-SHA-1'):
            c = await login(s, 'scram@' + DOMAIN, 'p\u00e4ss w\u00f6rd', mech)
            await logout(c)
        try:
            c = await login(s, 'scram@' + DOMAIN, 'wrong', 'SCRAM-SHA-256')
        except AssertionError:
            return
        await logout(c)
        raise AssertionError('a wrong password logged in')
    run(go())


def registering_a_waited_for_number_pushes_the_jid_at_once(s):
    s.api('POST', '/v1/accounts', {'jid': 'waiter@' + DOMAIN, 'password': 'waiter-pw'})

    async def go():
        c = await login(s, 'waiter@' + DOMAIN, 'waiter-pw', 'SCRAM-SHA-256')
        try:
            iq = c.make_iq_set(ito=WAITLIST_JID)
            query = ET.Element(f'{{{NS_WL}}}query')
            item = ET.SubElement(query, f'{{{NS_WL}}}item')
            uri = ET.SubElement(item, f'{{{NS_WL}}}uri', {'scheme': 'tel'})
            uri.text = '+1 303 555 0500'
            ET.SubElement(item, f'{{{NS_WL}}}name').text = 'Newcomer'
            iq.append(query)
            reply = await iq.send(timeout=15)
            expect(reply['type'], 'result', 'add result')

            code, j = s.api('GET', '/v1/accounts/' + q('waiter@' + DOMAIN) + '/waitlist')
            expect(code, 200, 'waitlist status')
            expect(len(j['items']), 1, f'one item ({j})')
            expect(j['items'][0]['state'], 'waiting', 'state before registration')
            expect(j['items'][0]['uri'], 'tel:+13035550500', 'canonical uri')
            expect(j['items'][0]['name'], 'Newcomer', 'name')
            assert 'jid' not in j['items'][0], j

            queued_before = metric(s, 'waitlistd_pushes_queued_total')
            code, j = s.api('POST', '/v1/accounts', {'jid': 'newcomer@' + DOMAIN, 'password': 'pw',
                                                     'uris': ['tel:+13035550500']})
            expect(code, 201, f'create ({j})')
            expect(j['waiting_users_told'], 1, 'waiting users told')
            started = time.monotonic()
            # The dispatcher is woken at once; its poll interval would be far slower than this.
            msg = await asyncio.wait_for(c.inbox.get(), 5)
            elapsed = time.monotonic() - started
            xml = str(msg)
            assert 'newcomer@sp.example' in xml and NS_WL in xml, xml
            code, j = s.api('GET', '/v1/accounts/' + q('waiter@' + DOMAIN) + '/waitlist')
            expect(j['items'][0]['state'], 'found', 'state after registration')
            expect(j['items'][0]['jid'], 'newcomer@' + DOMAIN, 'jid after registration')
            assert metric(s, 'waitlistd_pushes_queued_total') >= queued_before + 1
            assert metric(s, 'waitlistd_sessions') >= 1
            print(f'  push received {elapsed * 1000:.0f} ms after the account was created')
        finally:
            await logout(c)
    run(go())


def adding_a_waited_for_uri_to_an_account_pushes_too(s):
    s.api('POST', '/v1/accounts', {'jid': 'waiter2@' + DOMAIN, 'password': 'waiter-pw'})
    s.api('POST', '/v1/accounts', {'jid': 'late@' + DOMAIN, 'password': 'pw'})

    async def go():
        c = await login(s, 'waiter2@' + DOMAIN, 'waiter-pw', 'SCRAM-SHA-1')
        try:
            iq = c.make_iq_set(ito=WAITLIST_JID)
            query = ET.Element(f'{{{NS_WL}}}query')
            item = ET.SubElement(query, f'{{{NS_WL}}}item')
            ET.SubElement(item, f'{{{NS_WL}}}uri', {'scheme': 'mailto'}).text = 'late@sp.example'
            iq.append(query)
            reply = await iq.send(timeout=15)
            expect(reply['type'], 'result', 'add result')
            code, j = s.api('POST', '/v1/accounts/' + q('late@' + DOMAIN) + '/uris', {'uri': 'mailto:late@sp.example'})
            expect(code, 201, f'add uri ({j})')
            expect(j['waiting_users_told'], 1, 'told')
            msg = await asyncio.wait_for(c.inbox.get(), 5)
            assert 'late@sp.example' in str(msg), str(msg)
        finally:
            await logout(c)
    run(go())


def metric(s, key):
    _, _, body = s.request('GET', '/metrics', token=None)
    _, samples = parse_metrics(body.decode())
    return samples.get(key, 0.0)


# ---------------------------------------------------------------------------------------
# other configurations, and stopping

def an_empty_admin_token_disables_v1_with_403(binary):
    s = admin_waitlistd(binary, token='').start()
    try:
        for method, path in (('GET', '/v1/accounts'), ('POST', '/v1/accounts'), ('GET', '/v1/partners')):
            expect_error(s, method, path, {'jid': 'x@' + DOMAIN, 'password': 'p'} if method == 'POST' else None,
                         403, None, 'disabled', token='')
        status, _, _ = s.request('GET', '/healthz', token=None)
        expect(status, 200, 'healthz still answers')
    finally:
        code = s.stop()
        s.cleanup()
    expect(code, 0, 'exit status')


def sigterm_stops_the_server_with_an_idle_keep_alive_connection_open(binary):
    s = admin_waitlistd(binary).start()
    c = s.connection()
    status, _, _ = s.request('GET', '/healthz', conn=c)
    expect(status, 200, 'healthz')
    started = time.monotonic()
    code = s.stop(timeout=15)
    elapsed = time.monotonic() - started
    c.close()
    s.cleanup()
    expect(code, 0, 'exit status')
    assert elapsed < 10, f'stop took {elapsed:.1f} s'
    try:
        socket.create_connection(('127.0.0.1', s.http_port), timeout=1).close()
        raise AssertionError('still listening after stop')
    except ConnectionRefusedError:
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    args = ap.parse_args()
    asyncio.set_event_loop(asyncio.new_event_loop())
    results = Results()
    s = admin_waitlistd(args.waitlistd)
    try:
        s.start()
    except Exception as e:  # noqa: BLE001
        results.failed_one('waitlistd starts', e)
        return results.finish()
    try:
        for fn in (healthz_answers_ok, readyz_answers_ready, unknown_path_is_404_and_wrong_method_is_405,
                   websocket_upgrade_elsewhere_than_xmpp_websocket_is_404,
                   v1_without_token_is_401_with_a_json_error, v1_with_a_wrong_token_or_scheme_is_401,
                   creating_an_account_is_201_with_canonical_uris, create_account_location_header_names_the_account,
                   create_account_refusals_name_their_field, an_existing_account_or_a_taken_uri_is_409,
                   deleting_an_account_is_204_then_404, adding_a_uri_is_201_and_again_200,
                   add_uri_refusals_name_their_field, removing_a_uri_is_204_then_404,
                   waitlist_of_a_new_account_is_empty_and_of_an_unknown_one_404,
                   partners_lists_the_configured_partners,
                   openapi_json_is_the_repository_document_and_every_documented_route_is_routed,
                   a_connection_is_kept_alive_across_requests,
                   a_body_over_the_limit_is_413, malformed_http_is_400,
                   an_account_made_by_the_api_logs_in_with_scram_sha_256_and_sha_1,
                   registering_a_waited_for_number_pushes_the_jid_at_once,
                   adding_a_waited_for_uri_to_an_account_pushes_too,
                   metrics_are_prometheus_text_with_every_family):
            results.run(fn.__name__.replace('_', ' '), fn, s)
    finally:
        code = s.stop()
        if code != 0:
            print(f'FAIL waitlistd exits 0 on SIGTERM: got {code}')
            results.failed += 1
            s.print_log()
        s.cleanup()
    results.run('an empty admin token disables v1 with 403', an_empty_admin_token_disables_v1_with_403, args.waitlistd)
    results.run('sigterm stops the server with an idle keep alive connection open',
                sigterm_stops_the_server_with_an_idle_keep_alive_connection_open, args.waitlistd)
    return results.finish()


if __name__ == '__main__':
    sys.exit(main())
