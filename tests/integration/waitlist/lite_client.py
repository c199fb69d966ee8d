"""A small asyncio XMPP client for many sessions at once: STARTTLS, SCRAM-SHA-1, resource
binding, initial presence, IQs by id and a queue of received messages. The waiting list
tests use slixmpp for every protocol example; this client is only for the runs that log in
a thousand users or more, where slixmpp's per-session cost would dominate the run.
Every step checks the server's answer and raises LiteError naming the step."""

import asyncio
import base64
import hashlib
import hmac
import os
import ssl
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

STREAM_NS = 'http://etherx.jabber.org/streams'
CLIENT_NS = 'jabber:client'
TLS_NS = 'urn:ietf:params:xml:ns:xmpp-tls'
SASL_NS = 'urn:ietf:params:xml:ns:xmpp-sasl'
BIND_NS = 'urn:ietf:params:xml:ns:xmpp-bind'
SESSION_NS = 'urn:ietf:params:xml:ns:xmpp-session'


class LiteError(Exception):
    pass


def client_tls_context():
    # Loopback tests against the server's self-signed certificate.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class LiteClient:
    def __init__(self, host, port, domain, username, password, tls=None, resource='lite'):
        self.host, self.port, self.domain = host, port, domain
        self.username, self.password, self.resource = username, password, resource
        self.tls = tls or client_tls_context()
        self.jid = None
        self.messages = asyncio.Queue()
        self._pending = {}
        self._next = 0
        self._reader = None
        self._writer = None
        self._parser = None
        self._depth = 0
        self._stanzas = asyncio.Queue()
        self._task = None

    # ---- stream plumbing ----
    def _new_parser(self):
        self._parser = ET.XMLPullParser(events=('start', 'end'))
        self._depth = 0

    def _send(self, data):
        self._writer.write(data.encode())

    async def _open(self):
        self._new_parser()
        self._send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                   "xmlns:stream='http://etherx.jabber.org/streams' to=%s version='1.0'>"
                   % quoteattr(self.domain))
        features = await self._next_element('stream features')
        if features.tag != '{%s}features' % STREAM_NS:
            raise LiteError('expected <stream:features/>, got %s' % features.tag)
        return features

    async def _read_more(self, step):
        data = await self._reader.read(65536)
        if not data:
            raise LiteError('%s: the server closed the stream' % step)
        self._parser.feed(data)

    async def _next_element(self, step):
        """The next top-level element, during negotiation (before the reader task runs)."""
        while True:
            for event, el in self._parser.read_events():
                if event == 'start':
                    self._depth += 1
                else:
                    self._depth -= 1
                    if self._depth == 1:
                        if el.tag == '{%s}error' % STREAM_NS:
                            raise LiteError('%s: stream error %s' % (step, [c.tag for c in el]))
                        return el
            await asyncio.wait_for(self._read_more(step), 120)

    # ---- login ----
    async def login(self, presence=True):
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        features = await self._open()
        if features.find('{%s}starttls' % TLS_NS) is None:
            raise LiteError('no STARTTLS offered')
        self._send("<starttls xmlns='%s'/>" % TLS_NS)
        el = await self._next_element('starttls')
        if el.tag != '{%s}proceed' % TLS_NS:
            raise LiteError('STARTTLS refused')
        await self._writer.start_tls(self.tls, server_hostname=self.domain)
        features = await self._open()
        await self._scram(features)
        features = await self._open()
        if features.find('{%s}bind' % BIND_NS) is None:
            raise LiteError('no resource binding offered')
        self._send("<iq type='set' id='bind'><bind xmlns='%s'><resource>%s</resource></bind></iq>"
                   % (BIND_NS, escape(self.resource)))
        el = await self._next_element('bind')
        jid = el.find('{%s}bind/{%s}jid' % (BIND_NS, BIND_NS))
        if el.get('type') != 'result' or jid is None:
            raise LiteError('bind failed')
        self.jid = jid.text
        session = features.find('{%s}session' % SESSION_NS)
        if session is not None and session.find('{%s}optional' % SESSION_NS) is None:
            self._send("<iq type='set' id='sess'><session xmlns='%s'/></iq>" % SESSION_NS)
            await self._next_element('session')
        self._task = asyncio.get_running_loop().create_task(self._read_loop())
        if presence:
            self._send('<presence/>')

    async def _scram(self, features):
        mechs = [m.text for m in features.findall('{%s}mechanisms/{%s}mechanism' % (SASL_NS, SASL_NS))]
        if 'SCRAM-SHA-1' not in mechs:
            raise LiteError('SCRAM-SHA-1 not offered: %s' % mechs)
        nonce = base64.b64encode(os.urandom(18)).decode()
        bare = 'n=%s,r=%s' % (self.username.replace('=', '=3D').replace(',', '=2C'), nonce)
        self._send("<auth xmlns='%s' mechanism='SCRAM-SHA-1'>%s</auth>"
                   % (SASL_NS, base64.b64encode(('n,,' + bare).encode()).decode()))
        el = await self._next_element('sasl first')
        if el.tag != '{%s}challenge' % SASL_NS:
            raise LiteError('SASL refused at the first message')
        first = base64.b64decode(el.text).decode()
        attrs = dict(kv.split('=', 1) for kv in first.split(','))
        if not attrs['r'].startswith(nonce):
            raise LiteError('the server nonce does not extend ours')
        salted = hashlib.pbkdf2_hmac('sha1', self.password.encode(), base64.b64decode(attrs['s']), int(attrs['i']))
        client_key = hmac.new(salted, b'Client Key', hashlib.sha1).digest()
        stored = hashlib.sha1(client_key).digest()
        without_proof = 'c=biws,r=' + attrs['r']
        auth_message = ','.join([bare, first, without_proof]).encode()
        signature = hmac.new(stored, auth_message, hashlib.sha1).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.new(salted, b'Server Key', hashlib.sha1).digest()
        expected = base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha1).digest()).decode()
        self._send("<response xmlns='%s'>%s</response>" % (
            SASL_NS, base64.b64encode((without_proof + ',p=' + base64.b64encode(proof).decode()).encode()).decode()))
        el = await self._next_element('sasl final')
        if el.tag != '{%s}success' % SASL_NS:
            raise LiteError('authentication failed')
        final = base64.b64decode(el.text or '').decode()
        if final != 'v=' + expected:
            raise LiteError('the server signature does not verify')

    # ---- after login ----
    async def _read_loop(self):
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                self._parser.feed(data)
                for event, el in self._parser.read_events():
                    if event == 'start':
                        self._depth += 1
                        continue
                    self._depth -= 1
                    if self._depth != 1:
                        continue
                    self._dispatch(el)
        except (ConnectionError, OSError, ET.ParseError):
            pass
        finally:
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(LiteError('stream closed'))

    def _dispatch(self, el):
        if el.tag == '{%s}iq' % CLIENT_NS and el.get('type') in ('result', 'error'):
            fut = self._pending.pop(el.get('id'), None)
            if fut and not fut.done():
                fut.set_result(el)
        elif el.tag == '{%s}message' % CLIENT_NS:
            self.messages.put_nowait(el)

    async def iq(self, type_, to, payload_xml, timeout=120):
        self._next += 1
        iq_id = 'q%d' % self._next
        fut = asyncio.get_running_loop().create_future()
        self._pending[iq_id] = fut
        self._send("<iq type='%s' id='%s' to=%s>%s</iq>" % (type_, iq_id, quoteattr(to), payload_xml))
        return await asyncio.wait_for(fut, timeout)

    async def close(self):
        try:
            self._send('</stream:stream>')
            await self._writer.drain()
            self._writer.close()
        except (ConnectionError, OSError):
            pass
        if self._task:
            self._task.cancel()
