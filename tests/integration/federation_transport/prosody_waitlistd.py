#!/usr/bin/python3
"""waitlistd itself (not only federation/) against a real Prosody 0.12, the user side.

sp.test is a waitlistd with its WaitingListService at waitlist.sp.test; a.test is Prosody.
Both resolve each other through a private dnsmasq (SRV records on free ports): Prosody with
lua-unbound, waitlistd with c-ares (s2s.nameserver). Certificates are self-signed, so both
directions use STARTTLS and then dialback.

Checks:
  1. alice@a.test (slixmpp, logged in to Prosody) sends disco#info to waitlist.sp.test and
     gets waitlistd's answer (identity directory/waitinglist, the waitinglist feature) over S2S.
  2. jabber:iq:agents to sp.test from alice names waitlist.sp.test as a waitinglist agent.
  3. bob@sp.test (slixmpp, logged in to waitlistd) pings a.test: Prosody's answer comes back.
  4. Prosody's log: both streams with sp.test's names were encrypted and dialback-authenticated.
Prints "RESULT: P passed, F failed"; exits 1 if anything failed.
"""
import argparse
import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

logging.getLogger('slixmpp.stringprep').setLevel(logging.ERROR)
import slixmpp  # noqa: E402
from slixmpp.exceptions import IqError, IqTimeout  # noqa: E402
from slixmpp.xmlstream import ET  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prosody_interop import free_port, self_signed, wait_port  # noqa: E402

passed = 0
failed = 0
DISCO_INFO = 'http://jabber.org/protocol/disco#info'
WAITINGLIST = 'http://jabber.org/protocol/waitinglist'


def check(name, ok, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print(f'PASS {name}', flush=True)
    else:
        failed += 1
        print(f'FAIL {name} {detail}', flush=True)


class Client(slixmpp.ClientXMPP):
    """Logs in, sends each (to, payload) get in turn, keeps the answers, disconnects."""

    def __init__(self, jid, password, requests):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.requests = requests
        self.answers = []
        self.add_event_handler('session_start', self.on_start)

    async def on_start(self, _):
        self.send_presence()
        for to, payload in self.requests:
            iq = self.make_iq_get(ito=to)
            iq.append(ET.fromstring(payload))
            try:
                self.answers.append((await iq.send(timeout=30)).xml)
            except IqError as e:
                self.answers.append(e.iq.xml)
            except IqTimeout:
                self.answers.append(None)
        self.disconnect()


def run_client(jid, password, port, requests):
    c = Client(jid, password, requests)
    c.connect(address=('127.0.0.1', port), force_starttls=True)
    loop = asyncio.get_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(c.disconnected, 90))
    except asyncio.TimeoutError:
        pass
    return c.answers + [None] * (len(requests) - len(c.answers))


def show(el):
    return ET.tostring(el, encoding='unicode') if el is not None else 'no answer'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix='wl-prosody-waitlistd.')
    os.chmod(work, 0o755)
    dns_port, c2s_port, prosody_s2s = free_port(), free_port(), free_port()
    wl_c2s, wl_s2s, wl_http = free_port(), free_port(), free_port()
    procs = []
    wl_log = None
    try:
        with open(f'{work}/dnsmasq.conf', 'w') as f:
            f.write(f'port={dns_port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nno-poll\n'
                    f'local=/test/\nuser=root\nhost-record=a.test,127.0.0.1\nhost-record=sp.test,127.0.0.1\n'
                    f'host-record=waitlist.sp.test,127.0.0.1\n'
                    f'srv-host=_xmpp-server._tcp.a.test,a.test,{prosody_s2s},0,5\n'
                    f'srv-host=_xmpp-server._tcp.sp.test,sp.test,{wl_s2s},0,5\n'
                    f'srv-host=_xmpp-server._tcp.waitlist.sp.test,waitlist.sp.test,{wl_s2s},0,5\n')
        dns = subprocess.Popen(['dnsmasq', '--keep-in-foreground', f'--conf-file={work}/dnsmasq.conf',
                                f'--pid-file={work}/dnsmasq.pid', f'--log-facility={work}/dnsmasq.log',
                                '--log-queries'])
        procs.append(dns)
        if not wait_port(dns_port):
            check('dnsmasq starts', False)
            return

        pdir = f'{work}/prosody'
        os.makedirs(f'{pdir}/data')
        os.makedirs(f'{pdir}/certs')
        self_signed(f'{pdir}/certs', 'a.test')
        cfg = f'{pdir}/prosody.cfg.lua'
        with open(cfg, 'w') as f:
            f.write(f'''pidfile = "{pdir}/prosody.pid"
data_path = "{pdir}/data"
certificates = "{pdir}/certs"
admin_socket = "{pdir}/admin.sock"
log = {{ debug = "{pdir}/prosody.log"; }}
run_as_root = true
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s_port} }}
s2s_ports = {{ {prosody_s2s} }}
c2s_direct_tls_ports = {{}}
s2s_direct_tls_ports = {{}}
https_ports = {{}}
http_ports = {{}}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping"; "posix"; }}
modules_disabled = {{ "offline"; }}
authentication = "internal_hashed"
storage = "internal"
allow_registration = false
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
unbound = {{ resolvconf = false; hoststxt = false; forward = "127.0.0.1@{dns_port}";
  options = {{ ["local-zone:"] = "test. transparent"; ["do-not-query-localhost:"] = "no"; }} }}
VirtualHost "a.test"
''')
        subprocess.run(['prosodyctl', '--config', cfg, 'register', 'alice', 'a.test', 'secret'],
                       check=True, capture_output=True)
        prosody = subprocess.Popen(['prosody', '-F', '--config', cfg], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(prosody)
        if not wait_port(c2s_port):
            check('prosody starts', False)
            return

        # waitlistd for sp.test: no static routes, so a.test is found through DNS (SRV).
        token = 'tok-' + os.urandom(8).hex()
        with open(f'{work}/waitlistd.toml', 'w') as f:
            f.write(f'''domain = "sp.test"
[tls]
cert = "{work}/cert.pem"
key = "{work}/key.pem"
[storage]
backend = "sqlite"
path = "{work}/waitlistd.db"
[c2s]
listen = ["127.0.0.1:{wl_c2s}"]
direct_tls = []
[s2s]
listen = ["127.0.0.1:{wl_s2s}"]
dialback_secret = "interop dialback secret"
nameserver = "127.0.0.1:{dns_port}"
[http]
listen = ["127.0.0.1:{wl_http}"]
admin_token = "{token}"
[log]
level = "debug"
''')
        wl_log = open(f'{work}/waitlistd.log', 'w')
        wl = subprocess.Popen([args.waitlistd, '--config', f'{work}/waitlistd.toml'], stdout=wl_log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        procs.append(wl)
        ok = all(wait_port(p, 30) for p in (wl_c2s, wl_s2s, wl_http))
        check('waitlistd starts', ok)
        if not ok:
            return
        req = urllib.request.Request(f'http://127.0.0.1:{wl_http}/v1/accounts', method='POST',
                                     data=json.dumps({'jid': 'bob@sp.test', 'password': 'secret'}).encode(),
                                     headers={'Authorization': 'Bearer ' + token,
                                              'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=30) as r:
            check('bob@sp.test is created through the admin API', r.status == 201, str(r.status))

        # 1-2. A Prosody user asks waitlistd's service, over Prosody's S2S to sp.test's names.
        info, agents = run_client('alice@a.test/interop', 'secret', c2s_port, [
            ('waitlist.sp.test', f"<query xmlns='{DISCO_INFO}'/>"),
            ('sp.test', "<query xmlns='jabber:iq:agents'/>")])
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
        (pong,) = run_client('bob@sp.test/interop', 'secret', wl_c2s,
                             [('a.test', "<ping xmlns='urn:xmpp:ping'/>")])
        check("bob's ping to a.test is answered by Prosody through waitlistd",
              pong is not None and pong.get('type') == 'result' and pong.get('from') == 'a.test', show(pong))

        # 4. How Prosody saw the streams.
        with open(f'{pdir}/prosody.log', errors='replace') as f:
            plog = f.read()
        check('Prosody authenticated waitlist.sp.test by dialback (its outgoing stream)',
              'connection a.test->waitlist.sp.test is now authenticated for waitlist.sp.test' in plog,
              'see prosody.log')
        check('Prosody accepted sp.test\'s dialback key (waitlistd\'s outgoing stream)',
              'connection sp.test->a.test is now authenticated for sp.test' in plog, 'see prosody.log')
        encrypted = [l for l in plog.splitlines() if 'Stream encrypted (TLSv1.' in l]
        check('both s2s directions were encrypted with STARTTLS',
              any('s2sin' in l for l in encrypted) and any('s2sout' in l for l in encrypted), str(encrypted))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if wl_log:
            wl_log.close()
        if failed:
            for name in ('waitlistd.log', 'prosody/prosody.log'):
                path = f'{work}/{name}'
                if os.path.exists(path):
                    with open(path, errors='replace') as f:
                        lines = [l for l in f if 's2s' in l or 'dialback' in l or 'error' in l.lower()]
                    print(f'--- {name} (s2s lines, last 60) ---')
                    print(''.join(lines[-60:]))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print('work directory kept:', work)
        print(f'RESULT: {passed} passed, {failed} failed', flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
