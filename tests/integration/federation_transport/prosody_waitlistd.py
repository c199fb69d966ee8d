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
  5. Implementation note 3 with a real third party: Prosody's a.test advertises, in its
     disco#items, a waitlistd at lists.directory.test as its WaitingListService. sp.test has
     a.test as a partner by domain alone; Prosody has no jabber:iq:agents, so sp.test finds the
     service through disco#items and disco#info, and bob's add for a number registered at
     directory.test ends in the JID push.
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


class Adder(slixmpp.ClientXMPP):
    """Logs in, adds a tel: URI to its waiting list, waits for the JID push."""

    def __init__(self, jid, password, service, number):
        super().__init__(jid, password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.service, self.number = service, number
        self.added = None
        self.push = None
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('message', self.on_message)

    def on_message(self, msg):
        if msg.xml.find(f'{{{WAITINGLIST}}}waitlist') is not None:
            self.push = msg.xml

    async def on_start(self, _):
        self.send_presence()
        iq = self.make_iq_set(ito=self.service)
        iq.append(ET.fromstring(f"<query xmlns='{WAITINGLIST}'><item><uri scheme='tel'>{self.number}</uri>"
                                f"</item></query>"))
        try:
            self.added = (await iq.send(timeout=30)).xml
        except (IqError, IqTimeout):
            self.disconnect()
            return
        for _ in range(600):
            if self.push is not None:
                break
            await asyncio.sleep(0.1)
        self.disconnect()


def start_waitlistd(waitlistd, work, name, config):
    with open(f'{work}/{name}.toml', 'w') as f:
        f.write(config)
    log = open(f'{work}/{name}.log', 'w')
    proc = subprocess.Popen([waitlistd, '--config', f'{work}/{name}.toml'], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    return proc, log


def create_account(http_port, token, jid, uris=()):
    req = urllib.request.Request(f'http://127.0.0.1:{http_port}/v1/accounts', method='POST',
                                 data=json.dumps({'jid': jid, 'password': 'secret', 'uris': list(uris)}).encode(),
                                 headers={'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status


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
    dir_c2s, dir_s2s, dir_http = free_port(), free_port(), free_port()
    procs = []
    logs = []
    try:
        with open(f'{work}/dnsmasq.conf', 'w') as f:
            f.write(f'port={dns_port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nno-poll\n'
                    f'local=/test/\nuser=root\nhost-record=a.test,127.0.0.1\nhost-record=sp.test,127.0.0.1\n'
                    f'host-record=waitlist.sp.test,127.0.0.1\n'
                    f'srv-host=_xmpp-server._tcp.a.test,a.test,{prosody_s2s},0,5\n'
                    f'srv-host=_xmpp-server._tcp.sp.test,sp.test,{wl_s2s},0,5\n'
                    f'srv-host=_xmpp-server._tcp.waitlist.sp.test,waitlist.sp.test,{wl_s2s},0,5\n'
                    f'host-record=directory.test,127.0.0.1\nhost-record=lists.directory.test,127.0.0.1\n'
                    f'srv-host=_xmpp-server._tcp.directory.test,directory.test,{dir_s2s},0,5\n'
                    f'srv-host=_xmpp-server._tcp.lists.directory.test,lists.directory.test,{dir_s2s},0,5\n')
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
-- a.test's WaitingListService is run by a third party (XEP-0130 implementation note 3).
disco_items = {{ {{ "lists.directory.test", "Waiting List Service" }} }}
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
        # a.test is its partner by domain alone.
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
[waitlist]
serves = {{ tel = ["+1"] }}
partner_timeout = "3s"
[[partners]]
domain = "a.test"
[log]
level = "debug"
''')
        wl_log = open(f'{work}/waitlistd.log', 'w')
        logs.append(wl_log)
        wl = subprocess.Popen([args.waitlistd, '--config', f'{work}/waitlistd.toml'], stdout=wl_log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        procs.append(wl)
        # The third party: a waitlistd for directory.test whose service is lists.directory.test,
        # serving +33 for a.test's users, permitting sp.test's service.
        directory, dir_log = start_waitlistd(args.waitlistd, work, 'directory', f'''domain = "directory.test"
[tls]
cert = "{work}/dir-cert.pem"
key = "{work}/dir-key.pem"
[storage]
backend = "sqlite"
path = "{work}/directory.db"
[c2s]
listen = ["127.0.0.1:{dir_c2s}"]
direct_tls = []
[s2s]
listen = ["127.0.0.1:{dir_s2s}"]
dialback_secret = "directory dialback secret"
nameserver = "127.0.0.1:{dns_port}"
[http]
listen = ["127.0.0.1:{dir_http}"]
admin_token = "{token}"
[waitlist]
jid = "lists.directory.test"
serves = {{ tel = ["+33"] }}
[[partners]]
jid = "waitlist.sp.test"
[log]
level = "debug"
''')
        procs.append(directory)
        logs.append(dir_log)
        ok = all(wait_port(p, 30) for p in (wl_c2s, wl_s2s, wl_http, dir_c2s, dir_s2s, dir_http))
        check('waitlistd starts (sp.test and the third party)', ok)
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

        # 5. A partner by domain whose service is a third party's, found by disco#items.
        number = '+33612345001'
        check('carol@directory.test owns tel:' + number,
              create_account(dir_http, token, 'carol@directory.test', ['tel:' + number]) == 201)
        create_account(wl_http, token, 'dave@sp.test')
        dave = Adder('dave@sp.test/interop', 'secret', 'waitlist.sp.test', number)
        dave.connect(address=('127.0.0.1', wl_c2s), force_starttls=True)
        try:
            asyncio.get_event_loop().run_until_complete(asyncio.wait_for(dave.disconnected, 90))
        except asyncio.TimeoutError:
            pass
        check("dave's add is acknowledged", dave.added is not None and dave.added.get('type') == 'result',
              show(dave.added))
        item = dave.push.find(f'{{{WAITINGLIST}}}waitlist/{{{WAITINGLIST}}}item') if dave.push is not None else None
        check('the JID push names carol@directory.test', item is not None and
              item.get('jid') == 'carol@directory.test', show(dave.push))
        with open(f'{work}/waitlistd.log', errors='replace') as f:
            wlog = f.read()
        check('sp.test found a.test\'s service through disco#items (Prosody has no jabber:iq:agents)',
              'the waiting list service of partner a.test is lists.directory.test' in wlog, 'see waitlistd.log')

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
        for log in logs:
            log.close()
        if failed:
            for name in ('waitlistd.log', 'directory.log', 'prosody/prosody.log'):
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
