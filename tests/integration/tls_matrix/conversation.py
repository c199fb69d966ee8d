"""The XMPP conversation every cell of the matrix holds over a PipeTool's TLS connection:
stream header, SASL PLAIN, a stream restart, bind, a 40 KB message to the session's own full
JID (so 40 KB goes in and the same 40 KB comes back), a ping, then for each KeyUpdate the stack
can send one more 40 KB round trip and ping under the new keys, and </stream:stream> both ways."""

import base64
import os
import re
import time

NS_STREAM = 'http://etherx.jabber.org/streams'
LARGE_BYTES = 40 * 1024


def stream_header(domain):
    return ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='%s' to='%s' "
            "version='1.0'>" % (NS_STREAM, domain))


def id_attr(value):
    return rb"""id=['"]""" + re.escape(value.encode()) + rb"""['"]"""


class Conversation:
    """`key_updates`: what to write to the tool's input to make it send each KeyUpdate;
    `key_update_taken(n)`, if not None: whether the tool has taken n of these commands (it
    must have before more is written: s_client drops what follows a command in the same read).
    `line_end`: written after each stanza (gnutls-cli takes an inline command only at the
    start of a line; whitespace between stanzas is allowed)."""

    def __init__(self, tool, domain, user, password, resource, key_updates=(), key_update_taken=None,
                 line_end='', timeout=10.0):
        self.tool, self.domain, self.user, self.password = tool, domain, user, password
        self.resource = resource
        self.key_updates, self.key_update_taken = key_updates, key_update_taken
        self.line_end = line_end
        self.timeout = timeout
        self.at = 0          # how far the output has been read
        self.full_jid = None

    def send(self, xml):
        self.tool.send(xml + self.line_end)

    def expect(self, pattern, what):
        m = self.tool.expect(pattern, self.at, self.timeout, what)
        self.at = m.end()
        return m

    def open_stream(self):
        self.send(stream_header(self.domain))
        return self.expect(rb'<stream:features.*?</stream:features>', 'stream features').group(0)

    def login(self):
        features = self.open_stream()
        if b'>PLAIN<' not in features:
            raise AssertionError('PLAIN not offered: %r' % features)
        token = base64.b64encode(b'\0' + self.user.encode() + b'\0' + self.password.encode()).decode()
        self.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" % token)
        outcome = self.expect(rb'<(success|failure)[ />].*?(/>|</\1>)', 'SASL outcome')
        if outcome.group(1) != b'success':
            raise AssertionError('SASL PLAIN failed: %r' % outcome.group(0))
        self.open_stream()
        self.send("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                       "<resource>%s</resource></bind></iq>" % self.resource)
        self.full_jid = self.expect(id_attr('bind1') + rb'.*?<jid>([^<]+)</jid>', 'bind result').group(1).decode()

    def round_trip(self, tag):
        """40 KB of body to our own full JID; the same body must come back whole."""
        body = '%s-%s-%s' % (tag, os.urandom(LARGE_BYTES // 2).hex(), tag)
        self.send("<message to='%s' type='chat' id='%s'><body>%s</body></message>"
                       % (self.full_jid, tag, body))
        self.expect(rb'<body>' + body.encode() + rb'</body>', '40 KB message %s back whole' % tag)

    def ping(self, ident):
        self.send("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % (ident, self.domain))
        self.expect(rb'<iq[^>]*' + id_attr(ident), 'ping %s answer' % ident)

    def close(self):
        self.send('</stream:stream>')
        self.expect(rb'</stream:stream>', "the server's </stream:stream>")

    def run(self):
        self.login()
        self.round_trip('large1')
        self.ping('ping1')
        for n, command in enumerate(self.key_updates, 1):
            self.tool.send(command)
            deadline = time.monotonic() + self.timeout
            while self.key_update_taken and not self.key_update_taken(n):
                if time.monotonic() > deadline:
                    raise self.tool.failure('KeyUpdate command %r not taken' % command)
                time.sleep(0.02)
            self.round_trip('large%d' % (n + 1))
            self.ping('ping%d' % (n + 1))
        self.close()
