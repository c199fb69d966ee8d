#!/usr/bin/python3
"""Client streams of waitlistd, end to end.

Starts waitlistd on free loopback ports in a temporary directory, creates accounts through
the admin API, then:
- logs in with slixmpp (a real client no one here wrote) over STARTTLS with SCRAM-SHA-1 and
  SCRAM-SHA-256 and over direct TLS; each binds, pings, runs disco#items, disco#info and
  jabber:iq:agents, and exchanges a message with a second local user;
- drives hostile peers over raw sockets (wrong password then a retry, PLAIN without TLS,
  malformed XML, a DTD, an oversized stanza, a flood, a spoofed 'from', ...) and checks
  each gets its specific error while a well-behaved slixmpp session keeps answering pings;
- reads /metrics around a login and chat to check that the stanza counters count;
- stops the server with SIGTERM and checks <system-shutdown/> and exit status 0.

Prints "RESULT: P passed, F failed" and exits non-zero on any failure.
Usage: c2s_test.py --waitlistd PATH
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import logging
import os
import re
import signal
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'support'))
import slixmpp  # noqa: E402

from results import Results  # noqa: E402
from waitlistd import Waitlistd  # noqa: E402
from xmpp_client import login, logout  # noqa: E402

logging.basicConfig(level=logging.CRITICAL)

DOMAIN = 'example.test'
NS_STREAM = 'http://etherx.jabber.org/streams'
NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl'
NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls'
NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'
AUTH_TIMEOUT_S = int(os.environ.get("WL_AUTH_TIMEOUT", "4"))
MAX_PER_IP = 40
PASSWORDS = {'alice': 'alice-secret', 'bob': 'bob-secret', 'carol': 'carol-secret', 'dave': 'dave-secret'}


def start_server(waitlistd, record_layer):
    """Tight limits, so that the hostile peers reach them quickly; the four users made
    through the admin API."""
    server = Waitlistd(waitlistd, DOMAIN, {
        'c2s': {'tls_record_layer': record_layer},
        'limits': {'max_stanza_bytes': 16384, 'rate_bytes_burst': 65536, 'rate_stanzas': 20,
                   'rate_stanzas_burst': 60, 'auth_timeout': f'{AUTH_TIMEOUT_S}s',
                   'max_connections_per_ip': MAX_PER_IP, 'shutdown_grace': '3s'},
        'log': {'level': os.environ.get('WL_LOG_LEVEL', 'info')},
    }, name='c2s', direct_tls=True)
    server.start(timeout=float(os.environ.get('WL_START_TIMEOUT', '20')))
    for user, pw in PASSWORDS.items():
        server.create_account(f'{user}@{DOMAIN}', pw)
    return server


def tls13_connections_on(server, layer):
    other = 'openssl' if layer == 'own' else 'own'
    assert metric(server, f'waitlistd_c2s_tls_connections_total{{version="1.3",record_layer="{layer}"}}') >= 2
    assert f'waitlistd_c2s_tls_connections_total{{version="1.3",record_layer="{other}"}}' not in server.metrics()


def metric(server, name):
    samples = server.metrics()
    if name not in samples:
        raise AssertionError(f'{name} not in /metrics: {sorted(samples)}')
    return samples[name]


# ---------------------------------------------------------------------------------------
# A raw peer: bytes in, bytes out, with just enough XMPP to reach the state under test.

def header(to=DOMAIN, version='1.0', ns='jabber:client'):
    return (f"<?xml version='1.0'?><stream:stream xmlns='{ns}' xmlns:stream='{NS_STREAM}' "
            f"to='{to}' version='{version}'>")


class Raw:
    def __init__(self, port, direct_tls=False):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.buf = ''
        if direct_tls:
            self._wrap()

    def _wrap(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname=DOMAIN)

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def expect(self, pattern, timeout=10):
        """Reads until `pattern` matches the unread input; returns the match, consuming it."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.buf, re.S)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f'timed out waiting for {pattern!r}; got {self.buf[-400:]!r}')
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
                chunk = b''
            except socket.timeout:
                continue
            if not chunk:
                m = re.search(pattern, self.buf, re.S)
                if m:
                    self.buf = self.buf[m.end():]
                    return m
                raise AssertionError(f'connection closed waiting for {pattern!r}; got {self.buf[-400:]!r}')
            self.buf += chunk.decode(errors='replace')

    def expect_closed(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
                return
            except socket.timeout:
                continue
            if not chunk:
                return
            self.buf += chunk.decode(errors='replace')
        raise AssertionError('the server did not close the connection')

    def stream_error(self, condition, timeout=10):
        self.expect(rf"<stream:error><{condition} xmlns=['\"]urn:ietf:params:xml:ns:xmpp-streams['\"]", timeout)
        self.expect(r'</stream:stream>', timeout)
        self.expect_closed(timeout)

    def open(self, **kw):
        self.send(header(**kw))
        return self.expect(r'<stream:features.*?</stream:features>').group(0)

    def starttls(self):
        features = self.open()
        assert '<starttls' in features, features
        self.send(f"<starttls xmlns='{NS_TLS}'/>")
        self.expect(r'<proceed')
        self._wrap()
        self.buf = ''
        return self.open()

    def scram(self, user, password, mech='SCRAM-SHA-256'):
        """Runs SCRAM; returns True on <success/>, False on <failure><not-authorized/>."""
        h = 'sha256' if mech == 'SCRAM-SHA-256' else 'sha1'
        cnonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f'n={user},r={cnonce}'
        self.send(f"<auth xmlns='{NS_SASL}' mechanism='{mech}'>"
                  f"{base64.b64encode(('n,,' + first_bare).encode()).decode()}</auth>")
        server_first = base64.b64decode(self.expect(r'<challenge[^>]*>([^<]*)</challenge>').group(1)).decode()
        attrs = dict(kv.split('=', 1) for kv in server_first.split(','))
        assert attrs['r'].startswith(cnonce)
        salted = hashlib.pbkdf2_hmac(h, password.encode(), base64.b64decode(attrs['s']), int(attrs['i']))
        client_key = hmac.new(salted, b'Client Key', h).digest()
        stored_key = hashlib.new(h, client_key).digest()
        final_wo_proof = f"c={base64.b64encode(b'n,,').decode()},r={attrs['r']}"
        auth_message = f'{first_bare},{server_first},{final_wo_proof}'
        signature = hmac.new(stored_key, auth_message.encode(), h).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        final = f'{final_wo_proof},p={base64.b64encode(proof).decode()}'
        self.send(f"<response xmlns='{NS_SASL}'>{base64.b64encode(final.encode()).decode()}</response>")
        m = self.expect(r'<success[^>]*?(?:/>|>[^<]*</success>)|<failure[^>]*>.*?</failure>')
        self.last_sasl = m.group(0)
        return m.group(0).startswith('<success')

    def login(self, user, resource=None, direct_tls=False):
        if not direct_tls:
            self.starttls()
        else:
            self.open()
        assert self.scram(user, PASSWORDS[user])
        self.buf = ''
        features = self.open()
        assert '<bind' in features, features
        res = f'<resource>{resource}</resource>' if resource else ''
        self.send(f"<iq type='set' id='b1'><bind xmlns='{NS_BIND}'>{res}</bind></iq>")
        return self.expect(r'<jid>([^<]+)</jid>').group(1)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------
# slixmpp clients

async def connect(user, mech, port, direct_tls=False):
    return await login(f'{user}@{DOMAIN}/{mech.lower()}', PASSWORDS[user], port, mech=mech, direct_tls=direct_tls,
                       plugins=('xep_0030', 'xep_0199', 'xep_0092'))


disconnect = logout


async def check_server_services(c):
    rtt = await c.plugin['xep_0199'].ping(jid=DOMAIN, timeout=10)
    assert rtt is not None and rtt >= 0
    items = await c.plugin['xep_0030'].get_items(jid=DOMAIN, timeout=10)
    assert items['type'] == 'result', items
    info = await c.plugin['xep_0030'].get_info(jid=DOMAIN, timeout=10)
    features = info['disco_info']['features']
    for f in ('http://jabber.org/protocol/disco#items', 'jabber:iq:agents', 'urn:xmpp:ping', 'jabber:iq:version'):
        assert f in features, features
    identities = info['disco_info']['identities']
    assert any(i[0] == 'server' and i[1] == 'im' for i in identities), identities
    iq = c.make_iq_get(queryxmlns='jabber:iq:agents', ito=DOMAIN)
    reply = await iq.send(timeout=10)
    assert reply['type'] == 'result' and reply.xml.find('{jabber:iq:agents}query') is not None, reply
    version = await c.plugin['xep_0092'].get_version(DOMAIN, timeout=10)
    assert version['software_version']['name'] == 'waitlistd', version


async def exchange_message(a, b):
    body = f'hello {os.urandom(4).hex()}'
    a.send_message(mto=f'{b.boundjid.bare}', mbody=body, mtype='chat')
    while True:
        m = await asyncio.wait_for(b.inbox.get(), 10)
        if m['body'] == body:
            assert m['from'] == a.boundjid.full, m['from']
            return


# ---------------------------------------------------------------------------------------
# the tests

class Suite:
    def __init__(self, server, loop, results):
        self.s = server
        self.loop = loop
        self.results = results
        self.watcher = None  # a well-behaved slixmpp session kept open during the hostile tests

    def run(self, name, fn):
        self.results.run(name, fn)

    def arun(self, coro):
        return self.loop.run_until_complete(coro)

    def watcher_still_answers(self):
        rtt = self.arun(self.watcher.plugin['xep_0199'].ping(jid=DOMAIN, timeout=10))
        assert rtt is not None

    # -- real clients --
    def slixmpp_login(self, mech_a, mech_b, direct_tls):
        async def go():
            port = self.s.direct_tls_port if direct_tls else self.s.c2s_port
            a = await connect('alice', mech_a, port, direct_tls)
            b = await connect('bob', mech_b, port, direct_tls)
            assert a.boundjid.full == f'alice@{DOMAIN}/{mech_a.lower()}', a.boundjid
            await check_server_services(a)
            await exchange_message(a, b)
            await exchange_message(b, a)
            await disconnect(a, b)
        self.arun(go())
        for user, mech in (('alice', mech_a), ('bob', mech_b)):
            assert self.s.wait_log(rf'authenticated as {user}@{DOMAIN} \({mech}\)'), f'no {mech} login of {user} in log'

    def stanza_counters_count(self):
        # alice sends 5 IQs to the server and a message, bob a message: at least 7 stanzas
        # in; the 5 replies and the 2 delivered messages: at least 7 out (bind, roster and
        # presence traffic come on top).
        before = (metric(self.s, 'waitlistd_stanzas_in_total'), metric(self.s, 'waitlistd_stanzas_out_total'))
        self.slixmpp_login('SCRAM-SHA-256', 'SCRAM-SHA-256', False)
        after = (metric(self.s, 'waitlistd_stanzas_in_total'), metric(self.s, 'waitlistd_stanzas_out_total'))
        assert after[0] - before[0] >= 7, f'stanzas_in {before[0]} -> {after[0]}'
        assert after[1] - before[1] >= 7, f'stanzas_out {before[1]} -> {after[1]}'

    def start_watcher(self):
        self.watcher = self.arun(connect('carol', 'SCRAM-SHA-256', self.s.c2s_port))

    def unhandled_iq_gets_service_unavailable(self):
        async def go():
            iq = self.watcher.make_iq_get(queryxmlns='urn:example:nothing', ito=DOMAIN)
            try:
                await iq.send(timeout=10)
                raise AssertionError('an unknown IQ was answered with a result')
            except slixmpp.exceptions.IqError as e:
                assert e.iq['error']['condition'] == 'service-unavailable', e.iq
                assert e.iq['error']['type'] == 'cancel', e.iq
        self.arun(go())

    def stanza_to_other_domain_bounces(self):
        async def go():
            iq = self.watcher.make_iq_get(queryxmlns='urn:xmpp:ping', ito='elsewhere.test')
            try:
                await iq.send(timeout=10)
                raise AssertionError('a stanza to another domain got a result')
            except slixmpp.exceptions.IqError as e:
                assert e.iq['error']['condition'] == 'remote-server-not-found', e.iq
        self.arun(go())

    # -- hostile peers (each followed by a ping on the watcher) --
    def wrong_password_then_retry(self):
        r = Raw(self.s.c2s_port)
        r.starttls()
        assert not r.scram('dave', 'wrong-password')
        assert '<not-authorized' in r.last_sasl, r.last_sasl
        assert r.scram('dave', PASSWORDS['dave']), 'the retry with the right password failed'
        r.buf = ''
        assert '<bind' in r.open()
        r.send(f"<iq type='set' id='b1'><bind xmlns='{NS_BIND}'/></iq>")
        jid = r.expect(r'<jid>([^<]+)</jid>').group(1)
        assert jid.startswith(f'dave@{DOMAIN}/'), jid
        r.close()
        self.watcher_still_answers()

    def wrong_password_over_direct_tls(self):
        r = Raw(self.s.direct_tls_port, direct_tls=True)
        r.open()
        assert not r.scram('dave', 'wrong-password', 'SCRAM-SHA-1')
        assert '<not-authorized' in r.last_sasl, r.last_sasl
        assert not r.scram('nosuchuser', 'whatever', 'SCRAM-SHA-1')
        assert '<not-authorized' in r.last_sasl, r.last_sasl
        r.close()

    def too_many_failures_close_the_stream(self):
        r = Raw(self.s.c2s_port)
        r.starttls()
        for _ in range(3):
            assert not r.scram('dave', 'nope')
        r.stream_error('policy-violation')
        self.watcher_still_answers()

    def plain_without_tls_refused(self):
        r = Raw(self.s.c2s_port)
        features = r.open()
        assert '<required' in features and '<mechanisms' not in features, features
        creds = base64.b64encode(b'\0dave\0' + PASSWORDS['dave'].encode()).decode()
        r.send(f"<auth xmlns='{NS_SASL}' mechanism='PLAIN'>{creds}</auth>")
        r.expect(r'<failure[^>]*>\s*<encryption-required')
        r.close()
        # and over TLS, PLAIN is still not offered (c2s.allow_plain is off by default)
        r = Raw(self.s.c2s_port)
        features = r.starttls()
        assert 'SCRAM-SHA-256' in features and 'SCRAM-SHA-1' in features and 'PLAIN' not in features, features
        r.send(f"<auth xmlns='{NS_SASL}' mechanism='PLAIN'>{creds}</auth>")
        r.expect(r'<failure[^>]*>\s*<invalid-mechanism')
        r.close()
        self.watcher_still_answers()

    def malformed_xml(self):
        r = Raw(self.s.c2s_port)
        r.open()
        r.send('<message><body>unclosed</message>')
        r.stream_error('not-well-formed')
        self.watcher_still_answers()

    def dtd(self):
        r = Raw(self.s.c2s_port)
        r.send("<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY lol 'lol'>]>" + header()[len("<?xml version='1.0'?>"):])
        r.stream_error('restricted-xml')
        self.watcher_still_answers()

    def oversized_stanza(self):
        r = Raw(self.s.c2s_port)
        r.login('dave')
        r.send(f"<message to='carol@{DOMAIN}'><body>" + 'a' * 20000 + '</body></message>')
        r.stream_error('policy-violation')
        self.watcher_still_answers()

    def flood(self):
        r = Raw(self.s.c2s_port)
        r.login('dave')
        stanza = f"<message to='nobody@{DOMAIN}' type='headline'/>"
        try:
            r.send(stanza * 300)
        except OSError:
            pass
        r.stream_error('policy-violation')
        assert self.s.wait_log(r'stanza rate limit exceeded'), 'no log line for the flood'
        self.watcher_still_answers()

    def spoofed_from(self):
        r = Raw(self.s.c2s_port)
        r.login('dave')
        r.send(f"<message from='carol@{DOMAIN}/x' to='bob@{DOMAIN}'><body>spoof</body></message>")
        r.stream_error('invalid-from')
        self.watcher_still_answers()

    def own_bare_from_is_accepted(self):
        r = Raw(self.s.c2s_port)
        full = r.login('dave', resource='own')
        r.send(f"<iq type='get' id='p1' from='dave@{DOMAIN}' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>")
        m = r.expect(r"<iq[^>]*id=.p1.[^>]*>|<iq[^>]*id=.p1.[^>]*/>")
        assert "type='result'" in m.group(0) or 'type="result"' in m.group(0), m.group(0)
        assert full in m.group(0), m.group(0)
        r.close()

    def wrong_host(self):
        r = Raw(self.s.c2s_port)
        r.send(header(to='other.test'))
        r.stream_error('host-unknown')

    def wrong_namespace(self):
        r = Raw(self.s.c2s_port)
        r.send(header(ns='jabber:server'))
        r.stream_error('invalid-namespace')

    def old_version(self):
        r = Raw(self.s.c2s_port)
        r.send(header(version='0.9'))
        r.stream_error('unsupported-version')

    def stanza_before_auth(self):
        r = Raw(self.s.c2s_port)
        r.open()
        r.send(f"<message to='carol@{DOMAIN}'><body>x</body></message>")
        r.stream_error('not-authorized')

    def auth_timeout(self):
        r = Raw(self.s.c2s_port)
        started = time.monotonic()
        r.open()
        r.stream_error('connection-timeout', timeout=AUTH_TIMEOUT_S + 10)
        assert time.monotonic() - started >= AUTH_TIMEOUT_S - 0.5
        self.watcher_still_answers()

    def resource_conflict(self):
        first = Raw(self.s.c2s_port)
        first.login('dave', resource='same')
        second = Raw(self.s.c2s_port)
        jid = second.login('dave', resource='same')
        assert jid == f'dave@{DOMAIN}/same', jid
        first.stream_error('conflict')
        second.send(f"<iq type='get' id='p2' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>")
        second.expect(r"id=.p2.")
        second.close()

    def whitespace_keepalive_and_client_close(self):
        r = Raw(self.s.c2s_port)
        r.login('dave')
        r.send(' \n ')
        r.send(f"<iq type='get' id='p3' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>")
        r.expect(r"id=.p3.")
        r.send('</stream:stream>')
        r.expect(r'</stream:stream>')
        r.expect_closed()

    def connection_cap(self):
        socks = []
        try:
            refused = None
            for i in range(MAX_PER_IP + 5):
                r = Raw(self.s.c2s_port)
                socks.append(r)
                r.send(header())
                m = r.expect(r'<stream:features|<stream:error>')
                if m.group(0) == '<stream:error>':
                    refused = r
                    break
            assert refused is not None, 'no connection was refused'
            refused.expect(r"<policy-violation")
            assert self.s.wait_log(r'more than \d+ connections from that address')
        finally:
            for r in socks:
                r.close()
        self.watcher_still_answers()

    def graceful_shutdown(self):
        r = Raw(self.s.c2s_port)
        r.login('dave')
        self.s.proc.send_signal(signal.SIGTERM)
        r.stream_error('system-shutdown')
        rc = self.s.proc.wait(timeout=15)
        assert rc == 0, f'exit status {rc}'
        assert self.s.wait_log(r'waitlistd stopped')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--tls-record-layer', choices=['own', 'openssl'], default='own',
                    help='c2s.tls_record_layer: every TLS 1.3 test below runs on that path')
    args = ap.parse_args()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    results = Results()
    try:
        server = start_server(args.waitlistd, args.tls_record_layer)
    except Exception as e:  # noqa: BLE001
        results.failed_one('waitlistd starts with its four users', e)
        sys.exit(results.finish())
    suite = Suite(server, loop, results)
    try:
        suite.run('slixmpp logs in over STARTTLS with SCRAM-SHA-1 and SCRAM-SHA-256, uses the server and chats',
                  lambda: suite.slixmpp_login('SCRAM-SHA-1', 'SCRAM-SHA-256', False))
        suite.run('slixmpp logs in over direct TLS (XEP-0368), uses the server and chats',
                  lambda: suite.slixmpp_login('SCRAM-SHA-256', 'SCRAM-SHA-1', True))
        suite.run('the stanza counters at /metrics grow with what a client sends and receives',
                  suite.stanza_counters_count)
        suite.run(f'TLS 1.3 connections ran on the configured record layer ({args.tls_record_layer})',
                  lambda: tls13_connections_on(server, args.tls_record_layer))
        suite.run('a well-behaved session stays open beside the hostile ones', suite.start_watcher)
        if suite.watcher is None:
            raise RuntimeError('no watcher session; the hostile tests need one')
        for name, fn in [
            ('an unhandled IQ gets service-unavailable', suite.unhandled_iq_gets_service_unavailable),
            ('a stanza to another domain bounces with remote-server-not-found', suite.stanza_to_other_domain_bounces),
            ('a wrong password fails and the same stream can retry and bind', suite.wrong_password_then_retry),
            ('a wrong password or an unknown user over direct TLS gets not-authorized', suite.wrong_password_over_direct_tls),
            ('three failed logins end the stream with policy-violation', suite.too_many_failures_close_the_stream),
            ('PLAIN is refused without TLS and not offered with it', suite.plain_without_tls_refused),
            ('malformed XML ends the stream with not-well-formed', suite.malformed_xml),
            ('a DTD ends the stream with restricted-xml', suite.dtd),
            ('an oversized stanza ends the stream with policy-violation', suite.oversized_stanza),
            ('a stanza flood ends the stream with policy-violation', suite.flood),
            ("a spoofed 'from' ends the stream with invalid-from", suite.spoofed_from),
            ("the client's own bare JID as 'from' is accepted and stamped", suite.own_bare_from_is_accepted),
            ('a stream to another host gets host-unknown', suite.wrong_host),
            ('a stream in the server namespace gets invalid-namespace', suite.wrong_namespace),
            ('a pre-1.0 stream gets unsupported-version', suite.old_version),
            ('a stanza before authentication gets not-authorized', suite.stanza_before_auth),
            ('a connection that does not authenticate in time gets connection-timeout', suite.auth_timeout),
            ('binding a resource in use replaces the old session with conflict', suite.resource_conflict),
            ('whitespace keepalives are accepted and a client close is answered', suite.whitespace_keepalive_and_client_close),
            ('connections beyond the per-address cap are refused with policy-violation', suite.connection_cap),
        ]:
            suite.run(name, fn)
        loop.run_until_complete(disconnect(suite.watcher))
        suite.run('SIGTERM closes streams with system-shutdown and exits 0', suite.graceful_shutdown)
    except Exception:  # noqa: BLE001 - counted, and the log shown
        results.failed_one('the suite runs to its end', trace=True)
    finally:
        server.kill()
        if results.failed:
            server.print_log(80)
        server.cleanup()
    sys.exit(results.finish())


if __name__ == '__main__':
    main()
