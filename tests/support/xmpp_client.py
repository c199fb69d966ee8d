"""slixmpp users for the integration tests: a real client that no one here wrote, logged in to
a server under test on loopback, with what the tests read from it gathered in queues.

    u = await login('alice@sp.example', 'pw', wl.c2s_port, service='waitlist.sp.example')
    reply = await u.iq('set', "<query xmlns='http://jabber.org/protocol/waitinglist'>...")
    push = await u.next_push()
    await logout(u)
"""

import asyncio
import logging
import ssl
import xml.etree.ElementTree as ET

logging.getLogger('slixmpp.stringprep').setLevel(logging.ERROR)
import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402

NS_WAITINGLIST = 'http://jabber.org/protocol/waitinglist'
_SERVICE = object()   # iq()'s default 'to': the client's waiting list service


def without_channel_binding(client, mech=None):
    """COMPAT(slixmpp): 1.8.3 binds only with tls-unique, which waitlistd does not offer (it
    is undefined for TLS 1.3), and whenever it holds tls-unique data it sends gs2 flag 'y' with
    the SCRAM mechanisms without -PLUS, which RFC 5802 has a server that offers -PLUS refuse
    as a downgrade. Told it has no binding data, and kept off the -PLUS mechanisms, it is a
    client without channel binding (flag 'n'). channel_binding_test.py shows slixmpp as it
    comes refused."""
    mechanisms = client['feature_mechanisms']
    credentials = mechanisms.sasl_callback
    mechanisms.sasl_callback = lambda required, optional: {**credentials(required, optional),
                                                           'channel_binding': None}
    if not mech:
        mechanisms.use_mechs = {'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'}


class Client(slixmpp.ClientXMPP):
    """Sends initial presence once its session starts; every message lands in `inbox`, and a
    XEP-0130 JID push (a message with <waitlist/>) in `pushes` as well, as an XML element."""

    def __init__(self, jid, password, mech=None, service=None, plugins=()):
        super().__init__(jid, password, **({'sasl_mech': mech} if mech else {}))
        # Loopback, and the server under test has a self-signed certificate.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        without_channel_binding(self, mech)
        for plugin in plugins:
            self.register_plugin(plugin)
        self.service = service
        self.started = asyncio.get_event_loop().create_future()
        self.inbox = asyncio.Queue()
        self.pushes = asyncio.Queue()
        self.register_handler(Callback('waitlist push',
                                       MatchXPath('{jabber:client}message/{%s}waitlist' % NS_WAITINGLIST),
                                       lambda msg: self.pushes.put_nowait(msg.xml)))
        self.add_event_handler('session_start', self._on_start)
        self.add_event_handler('failed_auth', lambda *_: self._fail('authentication failed'))
        self.add_event_handler('connection_failed', lambda *_: self._fail('connection failed'))
        self.add_event_handler('message', lambda m: self.inbox.put_nowait(m))

    def _fail(self, why):
        if not self.started.done():
            self.started.set_exception(AssertionError('%s: %s' % (self.boundjid.bare, why)))

    def _on_start(self, _):
        self.send_presence()
        if not self.started.done():
            self.started.set_result(True)

    async def iq(self, type_, payload_xml, to=_SERVICE, timeout=20):
        """The answer to an IQ carrying `payload_xml`, as an XML element, an error answer
        included; None when nothing came in time. to=None sends no 'to' (the user's server)."""
        iq = self.Iq()
        iq['type'] = type_
        to = self.service if to is _SERVICE else to
        if to:
            iq['to'] = to
        iq.append(ET.fromstring(payload_xml))
        try:
            return (await iq.send(timeout=timeout)).xml
        except IqError as e:
            return e.iq.xml
        except IqTimeout:
            return None

    async def next_push(self, timeout=30):
        try:
            return await asyncio.wait_for(self.pushes.get(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError('%s: no JID push within %s s' % (self.boundjid.bare, timeout))

    async def no_push(self, period):
        """Watches for `period` seconds that no push comes."""
        try:
            msg = await asyncio.wait_for(self.pushes.get(), period)
        except asyncio.TimeoutError:
            return
        raise AssertionError('an unexpected push arrived: ' + ET.tostring(msg, encoding='unicode'))


async def login(jid, password, port, mech=None, direct_tls=False, service=None, plugins=(), timeout=20):
    """A Client whose session has started, over STARTTLS (or direct TLS, XEP-0368); raises
    AssertionError when the login fails and asyncio.TimeoutError when it does not end in time."""
    c = Client(jid, password, mech=mech, service=service, plugins=plugins)
    c.connect(address=('127.0.0.1', port), use_ssl=direct_tls, force_starttls=not direct_tls)
    try:
        await asyncio.wait_for(c.started, timeout)
    except BaseException:
        c.disconnect()
        raise
    return c


async def logout(*clients, timeout=10):
    for c in clients:
        c.disconnect()
    for c in clients:
        try:
            await asyncio.wait_for(c.disconnected, timeout)
        except (asyncio.TimeoutError, TypeError):
            pass
