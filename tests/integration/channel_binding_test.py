"""SCRAM-*-PLUS channel binding, end to end: a real waitlistd, a real TLS client (pyOpenSSL,
python3-openssl) and two real SASL libraries' SCRAM and SCRAM-PLUS (aiosasl, python3-aiosasl;
GNU SASL, libgsasl, in gsasl_client.cpp over OpenSSL),
over STARTTLS and direct TLS, on TLS 1.3 (the server's own record layer after the hand-over)
and TLS 1.2 (OpenSSL's):

- the stream features offer the -PLUS mechanisms and list the binding types (XEP-0440):
  tls-exporter and tls-server-end-point on TLS 1.3, tls-server-end-point on TLS 1.2;
- aiosasl binds with tls-exporter (the client's exporter value from OpenSSL) and with
  tls-server-end-point (aiosasl's own provider on an RSA/SHA-384 certificate, and the RFC 5929
  hash of waitlistd's ECDSA certificate), logs in, binds a resource and is answered;
- the binding data of another connection, a type not offered, 'p' with a mechanism without
  -PLUS, and 'y' (aiosasl's SCRAM after SCRAM-PLUS: the downgrade case) are refused with the
  condition and the RFC 5802 error name in the text; slixmpp 1.8.3 as it comes (tls-unique,
  then 'y') is refused the same way, while 'n' still logs in;
- a WebSocket stream (TLS, if any, ends at a proxy) offers no -PLUS, nor does a server with
  c2s.channel_binding = false, which lets slixmpp's 'y' log in.
"""

import argparse
import asyncio
import base64
import hashlib
import logging
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'support'))
logging.getLogger('slixmpp.stringprep').setLevel(logging.ERROR)
import aiosasl  # noqa: E402
import aiosasl.channel_binding  # noqa: E402
import slixmpp  # noqa: E402
from OpenSSL import SSL, crypto  # noqa: E402

from results import Results  # noqa: E402
from waitlistd import Waitlistd  # noqa: E402

logging.basicConfig(level=logging.CRITICAL)

DOMAIN = 'cb.example'
NS_STREAM = 'http://etherx.jabber.org/streams'
NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl'
NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls'
NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind'
NS_CB = 'urn:xmpp:sasl-cb:0'
PASSWORD = 'cb-secret'
VERSIONS = {'1.3': SSL.TLS1_3_VERSION, '1.2': SSL.TLS1_2_VERSION}


class SaslRefused(Exception):
    def __init__(self, condition, text):
        super().__init__(f'{condition}: {text}')
        self.condition, self.text = condition, text


class Stream:
    """A client stream over pyOpenSSL, far enough for SASL and a bound resource."""

    def __init__(self, port, tls_version, direct_tls):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.tls = None
        self.buf = ''
        self.tls_version = tls_version
        if direct_tls:
            self._wrap()
        else:
            features = self.open()
            assert '<starttls' in features, features
            self.send(f"<starttls xmlns='{NS_TLS}'/>")
            self.expect(r'<proceed[^>]*/>')
            self._wrap()
        self.features = self.open()

    def _wrap(self):
        # pyOpenSSL wants a blocking socket; the kernel's receive timeout keeps every wait bounded.
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('ll', 10, 0))
        ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
        ctx.set_min_proto_version(VERSIONS[self.tls_version])
        ctx.set_max_proto_version(VERSIONS[self.tls_version])
        ctx.set_verify(SSL.VERIFY_NONE, lambda *a: True)  # loopback, self-signed
        conn = SSL.Connection(ctx, self.sock)
        conn.set_tlsext_host_name(DOMAIN.encode())
        conn.set_connect_state()
        conn.do_handshake()
        assert conn.get_protocol_version_name() == 'TLSv' + self.tls_version, conn.get_protocol_version_name()
        self.tls = conn
        self.buf = ''

    def send(self, text):
        (self.tls or self.sock).sendall(text.encode())

    def expect(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.buf, re.S)
            if m:
                self.buf = self.buf[m.end():]
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f'timed out waiting for {pattern!r}; got {self.buf[-400:]!r}')
            try:
                chunk = (self.tls or self.sock).recv(65536)
            except (SSL.ZeroReturnError, SSL.SysCallError):
                chunk = b''
            except SSL.WantReadError:
                continue
            if not chunk:
                raise AssertionError(f'closed waiting for {pattern!r}; got {self.buf[-400:]!r}')
            self.buf += chunk.decode(errors='replace')

    def open(self):
        self.send(f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='{NS_STREAM}' "
                  f"to='{DOMAIN}' version='1.0'>")
        return self.expect(r'<stream:features.*?</stream:features>').group(0)

    def mechanisms(self):
        return re.findall(r'<mechanism>([^<]+)</mechanism>', self.features)

    def binding_types(self):
        m = re.search(r"<sasl-channel-binding xmlns=['\"]" + re.escape(NS_CB) + r"['\"]>(.*?)</sasl-channel-binding>",
                      self.features, re.S)
        return re.findall(r"<channel-binding type=['\"]([^'\"]+)['\"]", m.group(1)) if m else []

    def exporter(self):
        return self.tls.export_keying_material(b'EXPORTER-Channel-Binding', 32, b'')

    def bind_and_ping(self):
        self.buf = ''
        features = self.open()
        assert '<bind' in features, features
        self.send(f"<iq type='set' id='b1'><bind xmlns='{NS_BIND}'><resource>cb</resource></bind></iq>")
        jid = self.expect(r'<jid>([^<]+)</jid>').group(1)
        self.send(f"<iq type='get' id='p1' to='{DOMAIN}'><ping xmlns='urn:xmpp:ping'/></iq>")
        self.expect(r"<iq[^>]*id=['\"]p1['\"][^>]*type=['\"]result['\"]|<iq[^>]*type=['\"]result['\"][^>]*id=['\"]p1")
        return jid

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class XmppSasl(aiosasl.SASLInterface):
    """aiosasl's view of the stream: <auth/>, <response/>, and what the server answers."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream

    def _reply(self):
        m = self.stream.expect(r'<(challenge|success|failure)[^>]*?(?:/>|>(.*?)</\1>)')
        kind, body = m.group(1), m.group(2) or ''
        if kind == 'failure':
            condition = re.search(r'<([a-z-]+)[^>]*/>', body)
            text = re.search(r'<text[^>]*>([^<]*)</text>', body)
            raise SaslRefused(condition.group(1) if condition else '?', text.group(1) if text else '')
        payload = base64.b64decode(body) if body and body != '=' else None
        return (aiosasl.SASLState.CHALLENGE if kind == 'challenge' else aiosasl.SASLState.SUCCESS), payload

    async def initiate(self, mechanism, payload=None):
        data = base64.b64encode(payload).decode() if payload else '='
        self.stream.send(f"<auth xmlns='{NS_SASL}' mechanism='{mechanism}'>{data}</auth>")
        return self._reply()

    async def respond(self, payload):
        self.stream.send(f"<response xmlns='{NS_SASL}'>{base64.b64encode(payload).decode()}</response>")
        return self._reply()

    async def abort(self):
        self.stream.send(f"<abort xmlns='{NS_SASL}'/>")
        return self._reply()


class Provider(aiosasl.channel_binding.ChannelBindingProvider):
    """Binding data the test supplies: the client's own tls-exporter value from OpenSSL, the
    RFC 5929 hash of the certificate it received, or another connection's data."""

    def __init__(self, name, data):
        super().__init__()
        self.name, self.data = name, data

    @property
    def cb_name(self):
        return self.name

    def extract_cb_data(self):
        return self.data


def login(stream, user, mechanism_class, mechanism, **kw):
    """Runs aiosasl's `mechanism_class` for `mechanism` over the stream; raises SaslRefused."""
    async def credentials():
        return user, PASSWORD

    async def go():
        mech = mechanism_class(credentials, **kw)
        token = mech.any_supported([mechanism])
        assert token is not None and token[0] == mechanism, (mechanism, token)
        await mech.authenticate(aiosasl.SASLStateMachine(XmppSasl(stream)), token)
    asyncio.new_event_loop().run_until_complete(go())


def server_end_point(stream):
    """RFC 5929 for a certificate signed with SHA-256 (waitlistd's own ECDSA one)."""
    der = crypto.dump_certificate(crypto.FILETYPE_ASN1, stream.tls.get_peer_certificate())
    return hashlib.sha256(der).digest()


def make_rsa_sha384_certificate(directory):
    cert, key = os.path.join(directory, 'rsa-cert.pem'), os.path.join(directory, 'rsa-key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-sha384', '-nodes', '-days', '2',
                    '-subj', f'/CN={DOMAIN}', '-addext', f'subjectAltName=DNS:{DOMAIN}',
                    '-keyout', key, '-out', cert], check=True, capture_output=True)
    return cert, key


class Suite:
    def __init__(self, ecdsa, rsa, off, gsasl_client, results):
        self.ecdsa, self.rsa, self.off, self.gsasl_client, self.results = ecdsa, rsa, off, gsasl_client, results

    def port(self, server, direct_tls):
        return server.direct_tls_port if direct_tls else server.c2s_port

    def features(self, tls_version, expected_types):
        for direct in (False, True):
            s = Stream(self.port(self.ecdsa, direct), tls_version, direct)
            try:
                mechs = s.mechanisms()
                assert mechs[:4] == ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1'], mechs
                assert s.binding_types() == expected_types, s.features
            finally:
                s.close()

    def plus_login(self, server, user, tls_version, direct, mechanism, provider, cb_name):
        logged = rf'authenticated as {user}@{DOMAIN} \({mechanism} with {cb_name}\)'
        before = len(re.findall(logged, server.log_text()))
        s = Stream(self.port(server, direct), tls_version, direct)
        try:
            login(s, user, aiosasl.SCRAMPLUS, mechanism, cb_provider=provider(s))
            assert s.bind_and_ping() == f'{user}@{DOMAIN}/cb'
        finally:
            s.close()
        deadline = time.monotonic() + 10
        while len(re.findall(logged, server.log_text())) == before:
            assert time.monotonic() < deadline, f'no {mechanism} with {cb_name} login of {user} in the log'
            time.sleep(0.05)

    def exporter_logins(self):
        for direct in (False, True):
            for mechanism in ('SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS'):
                self.plus_login(self.ecdsa, 'alice', '1.3', direct, mechanism,
                                lambda s: Provider(b'tls-exporter', s.exporter()), 'tls-exporter')

    def end_point_logins(self, tls_version):
        for direct in (False, True):
            self.plus_login(self.ecdsa, 'alice', tls_version, direct, 'SCRAM-SHA-256-PLUS',
                            lambda s: Provider(b'tls-server-end-point', server_end_point(s)), 'tls-server-end-point')
            self.plus_login(self.rsa, 'bob', tls_version, direct, 'SCRAM-SHA-1-PLUS',
                            lambda s: aiosasl.channel_binding.TLSServerEndPoint(s.tls), 'tls-server-end-point')

    def refused(self, tls_version, mechanism_class, mechanism, condition, text_start, **kw):
        s = Stream(self.ecdsa.c2s_port, tls_version, False)
        try:
            kw = {k: (v(s) if callable(v) else v) for k, v in kw.items()}
            try:
                login(s, 'alice', mechanism_class, mechanism, **kw)
            except SaslRefused as e:
                assert e.condition == condition and e.text.startswith(text_start), (e.condition, e.text)
                return
            raise AssertionError(f'{mechanism} was not refused')
        finally:
            s.close()

    def other_connections_exporter(self):
        other = Stream(self.ecdsa.c2s_port, '1.3', False)
        stolen = other.exporter()
        other.close()
        self.refused('1.3', aiosasl.SCRAMPLUS, 'SCRAM-SHA-256-PLUS', 'not-authorized', 'channel-bindings-dont-match',
                     cb_provider=Provider(b'tls-exporter', stolen))

    def exporter_on_tls12(self):
        self.refused('1.2', aiosasl.SCRAMPLUS, 'SCRAM-SHA-256-PLUS', 'malformed-request',
                     'unsupported-channel-binding-type: tls-exporter',
                     cb_provider=lambda s: Provider(b'tls-exporter', s.exporter()))

    def tls_unique(self):
        self.refused('1.3', aiosasl.SCRAMPLUS, 'SCRAM-SHA-256-PLUS', 'malformed-request',
                     'unsupported-channel-binding-type: tls-unique',
                     cb_provider=lambda s: aiosasl.channel_binding.TLSUnique(s.tls))

    def downgrade(self):
        for version in ('1.3', '1.2'):
            self.refused(version, aiosasl.SCRAM, 'SCRAM-SHA-256', 'not-authorized',
                         'server-does-support-channel-binding', after_scram_plus=True)
        # 'n' (a client without channel binding) is not a downgrade
        s = Stream(self.ecdsa.c2s_port, '1.3', False)
        try:
            login(s, 'alice', aiosasl.SCRAM, 'SCRAM-SHA-256')
            assert s.bind_and_ping() == f'alice@{DOMAIN}/cb'
        finally:
            s.close()

    def p_without_plus(self):
        s = Stream(self.ecdsa.c2s_port, '1.3', False)
        try:
            first = base64.b64encode(b'p=tls-exporter,,n=alice,r=abcdefgh').decode()
            s.send(f"<auth xmlns='{NS_SASL}' mechanism='SCRAM-SHA-256'>{first}</auth>")
            m = s.expect(r'<failure[^>]*>(.*?)</failure>')
            assert '<malformed-request' in m.group(1) and 'needs a -PLUS mechanism' in m.group(1), m.group(0)
        finally:
            s.close()

    def slixmpp_as_it_comes(self, server=None, expect_login=False):
        server = server or self.ecdsa

        async def go():
            c = slixmpp.ClientXMPP(f'carol@{DOMAIN}', PASSWORD)
            c.ssl_context.check_hostname = False
            c.ssl_context.verify_mode = 0
            outcome = asyncio.get_event_loop().create_future()
            c.add_event_handler('session_start', lambda *_: outcome.done() or outcome.set_result('logged in'))
            c.add_event_handler('failed_all_auth', lambda *_: outcome.done() or outcome.set_result('refused'))
            c.add_event_handler('disconnected', lambda *_: outcome.done() or outcome.set_result('disconnected'))
            c.connect(address=('127.0.0.1', server.c2s_port), force_starttls=True)
            try:
                return await asyncio.wait_for(outcome, 20)
            finally:
                c.disconnect()
        loop = asyncio.new_event_loop()
        result = loop.run_until_complete(go())
        # slixmpp's stream tasks outlive its disconnect; they end here, not at exit.
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()
        if expect_login:
            assert result == 'logged in', result
            return
        assert result != 'logged in', result
        assert self.ecdsa.wait_log(r'authentication failed \(malformed-request\)'), 'no tls-unique refusal logged'
        assert self.ecdsa.wait_log(r'authentication failed \(not-authorized\)'), 'no downgrade refusal logged'

    def gsasl(self, mechanism, mode, version, binding='exporter', user='dave'):
        port = self.ecdsa.direct_tls_port if mode == 'direct' else self.ecdsa.c2s_port
        run = subprocess.run([self.gsasl_client, str(port), DOMAIN, user, PASSWORD, mechanism, mode, version, binding],
                             capture_output=True, text=True, timeout=60)
        return run.returncode, run.stdout + run.stderr

    def gsasl_logins(self):
        for mechanism, mode in (('SCRAM-SHA-256-PLUS', 'starttls'), ('SCRAM-SHA-256-PLUS', 'direct'),
                                ('SCRAM-SHA-1-PLUS', 'starttls'), ('SCRAM-SHA-1-PLUS', 'direct')):
            code, out = self.gsasl(mechanism, mode, '1.3')
            assert code == 0 and f'bound dave@{DOMAIN}/gsasl' in out, (mechanism, mode, code, out)
            assert self.ecdsa.wait_log(rf'authenticated as dave@{DOMAIN} \({mechanism} with tls-exporter\)'), mechanism

    def gsasl_refusals(self):
        # tls-exporter on TLS 1.2, which this server does not offer there
        code, out = self.gsasl('SCRAM-SHA-256-PLUS', 'starttls', '1.2')
        assert code == 2 and '<malformed-request' in out and 'unsupported-channel-binding-type: tls-exporter' in out, out
        # GNU SASL never sends 'y' (given binding data, it refuses a mechanism without -PLUS
        # itself); without binding data it sends 'n', and logs in
        code, out = self.gsasl('SCRAM-SHA-256', 'direct', '1.3', 'no-binding')
        assert code == 0, out

    def channel_binding_off(self):
        for direct in (False, True):
            s = Stream(self.port(self.off, direct), '1.3', direct)
            try:
                assert s.mechanisms()[:2] == ['SCRAM-SHA-256', 'SCRAM-SHA-1'], s.features
                assert '-PLUS' not in s.features and NS_CB not in s.features, s.features
            finally:
                s.close()
        # slixmpp sends 'y' (it holds tls-unique data, and sees no -PLUS), which is no downgrade here
        self.slixmpp_as_it_comes(self.off, expect_login=True)
        assert self.off.wait_log(rf'authenticated as carol@{DOMAIN} \(SCRAM-SHA-256\)'), 'no SCRAM-SHA-256 login logged'

    def websocket_offers_no_plus(self):
        sock = socket.create_connection(('127.0.0.1', self.ecdsa.http_port), timeout=10)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall((f'GET /xmpp-websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
                          f'Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n'
                          f'Sec-WebSocket-Protocol: xmpp\r\n\r\n').encode())
            data = b''
            while b'\r\n\r\n' not in data:
                data += sock.recv(4096)
            head, data = data.split(b'\r\n\r\n', 1)
            assert head.startswith(b'HTTP/1.1 101'), head
            text = f"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{DOMAIN}' version='1.0'/>".encode()
            mask = os.urandom(4)
            sock.sendall(bytes([0x81, 0x80 | len(text)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(text)))
            deadline = time.monotonic() + 10
            while b'</stream:features>' not in data and b'</features>' not in data:
                assert time.monotonic() < deadline, data
                data += sock.recv(4096)
            assert b'SCRAM-SHA-256' in data, data
            assert b'-PLUS' not in data and NS_CB.encode() not in data, data
        finally:
            sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--gsasl-client', required=True)
    args = ap.parse_args()
    results = Results()
    work = tempfile.mkdtemp(prefix='wl-cb-')
    rsa_cert, rsa_key = make_rsa_sha384_certificate(work)
    ecdsa = Waitlistd(args.waitlistd, DOMAIN, {'http': {'websocket_secure': True}}, name='cb-ecdsa', direct_tls=True)
    rsa = Waitlistd(args.waitlistd, DOMAIN, {'tls': {'cert': rsa_cert, 'key': rsa_key}}, name='cb-rsa', direct_tls=True)
    off = Waitlistd(args.waitlistd, DOMAIN, {'c2s': {'channel_binding': False}}, name='cb-off', direct_tls=True)
    try:
        for server in (ecdsa, rsa, off):
            server.start()
            for user in ('alice', 'bob', 'carol', 'dave'):
                server.create_account(f'{user}@{DOMAIN}', PASSWORD)
        suite = Suite(ecdsa, rsa, off, args.gsasl_client, results)
        results.run('over TLS 1.3 the features offer SCRAM-*-PLUS and list tls-exporter and tls-server-end-point',
                    suite.features, '1.3', ['tls-exporter', 'tls-server-end-point'])
        results.run('over TLS 1.2 the features offer SCRAM-*-PLUS and list tls-server-end-point only',
                    suite.features, '1.2', ['tls-server-end-point'])
        results.run('aiosasl logs in with SCRAM-SHA-256-PLUS and SCRAM-SHA-1-PLUS over tls-exporter, '
                    'STARTTLS and direct TLS, TLS 1.3', suite.exporter_logins)
        results.run('aiosasl logs in with tls-server-end-point on ECDSA/SHA-256 and RSA/SHA-384 certificates, TLS 1.3',
                    suite.end_point_logins, '1.3')
        results.run('aiosasl logs in with tls-server-end-point on ECDSA/SHA-256 and RSA/SHA-384 certificates, TLS 1.2',
                    suite.end_point_logins, '1.2')
        results.run("another connection's tls-exporter data is refused as channel-bindings-dont-match",
                    suite.other_connections_exporter)
        results.run('tls-exporter on TLS 1.2 is refused as an unsupported type', suite.exporter_on_tls12)
        results.run("aiosasl's tls-unique is refused as an unsupported type", suite.tls_unique)
        results.run("'y' (SCRAM after SCRAM-PLUS) is refused as a downgrade on TLS 1.3 and 1.2, and 'n' logs in",
                    suite.downgrade)
        results.run("'p' with a mechanism without -PLUS is refused", suite.p_without_plus)
        results.run('slixmpp 1.8.3 as it comes (tls-unique, then y) does not log in, refused for both reasons',
                    suite.slixmpp_as_it_comes)
        results.run('GNU SASL logs in with SCRAM-SHA-256-PLUS and SCRAM-SHA-1-PLUS over tls-exporter, '
                    'STARTTLS and direct TLS, TLS 1.3', suite.gsasl_logins)
        results.run("GNU SASL is refused tls-exporter on TLS 1.2, and logs in with 'n' over TLS 1.3",
                    suite.gsasl_refusals)
        results.run("with c2s.channel_binding = false no -PLUS is offered, and slixmpp's 'y' logs in",
                    suite.channel_binding_off)
        results.run('a WebSocket stream offers no -PLUS and no channel binding types', suite.websocket_offers_no_plus)
    except Exception as e:  # noqa: BLE001 - a harness failure is a failed check with its cause
        results.failed_one('the harness', repr(e), trace=True)
    finally:
        for server in (ecdsa, rsa, off):
            if results.failed:
                server.print_log(60)
            server.cleanup()
    sys.exit(results.finish())


if __name__ == '__main__':
    main()
