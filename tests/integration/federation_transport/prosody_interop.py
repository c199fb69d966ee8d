#!/usr/bin/python3
"""federation/ against a real Prosody 0.12: both directions over STARTTLS + dialback.

Everything is throwaway and on loopback: a dnsmasq with SRV records for a.test (Prosody)
and sp.test (fed_peer, our Federation), both on free ports; Prosody resolves through it
with lua-unbound (the `test.` zone made transparent, see the recipes), fed_peer through
c-ares with --nameserver. Certificates are self-signed, so both sides fall back to
dialback and each verifies the other by connecting back through DNS.

Checks:
  1. fed_peer pings a.test: Prosody answers (we are the initiating server).
  2. alice@a.test pings sp.test with a real client: fed_peer answers (Prosody initiates).
  3. alice's message to bob@sp.test arrives at fed_peer with its body and her full JID.
  4. A message from sp.test to alice reaches her client.
  5. Both directions were authenticated by dialback (our counters, Prosody's log).
Prints "RESULT: P passed, F failed"; exits 1 if anything failed.
"""
import argparse
import asyncio
import logging
import os
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

logging.getLogger('slixmpp.stringprep').setLevel(logging.ERROR)
import slixmpp  # noqa: E402

passed = 0
failed = 0


def check(name, ok, detail=''):
    global passed, failed
    if ok:
        passed += 1
        print(f'PASS {name}', flush=True)
    else:
        failed += 1
        print(f'FAIL {name} {detail}', flush=True)


def free_port():
    while True:
        t = socket.socket()
        t.bind(('127.0.0.1', 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(('127.0.0.1', port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()


def wait_port(port, limit=10.0):
    end = time.time() + limit
    while time.time() < end:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def self_signed(directory, domain):
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                    '-nodes', '-days', '2', '-subj', f'/CN={domain}',
                    '-addext', f'subjectAltName=DNS:{domain},DNS:*.{domain}',
                    '-keyout', f'{directory}/{domain}.key', '-out', f'{directory}/{domain}.crt'],
                   check=True, capture_output=True)


class FedPeer:
    """fed_peer as a child process; its stdout lines are collected by a thread."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip('\n'))

    def send(self, command):
        self.proc.stdin.write(command + '\n')
        self.proc.stdin.flush()

    def wait_for(self, predicate, limit=20.0):
        for line in self.seen:
            if predicate(line):
                return line
        end = time.time() + limit
        while time.time() < end:
            try:
                line = self.lines.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                break
            self.seen.append(line)
            if predicate(line):
                return line
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        while not self.lines.empty():
            self.seen.append(self.lines.get())


class Alice(slixmpp.ClientXMPP):
    def __init__(self, jid, password, when_online):
        super().__init__(jid, password)
        self.when_online = when_online
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.ping_result = None
        self.got_message = None
        self.add_event_handler('session_start', self.on_start)
        self.add_event_handler('message', self.on_message)

    def on_message(self, msg):
        if msg['body']:
            self.got_message = (str(msg['from']), msg['body'])

    async def on_start(self, _):
        self.send_presence()
        iq = self.make_iq_get(ito='sp.test')
        iq.append(slixmpp.xmlstream.ET.Element('{urn:xmpp:ping}ping'))
        try:
            reply = await iq.send(timeout=20)
            self.ping_result = reply['type']
        except slixmpp.exceptions.IqError as e:
            self.ping_result = 'error: ' + str(e.iq['error']['condition'])
        except slixmpp.exceptions.IqTimeout:
            self.ping_result = 'timeout'
        self.send_message(mto='bob@sp.test', mbody='hello from prosody', mtype='chat')
        self.when_online()
        # Wait for fed_peer's message to come over its outgoing stream.
        for _ in range(200):
            if self.got_message:
                break
            await asyncio.sleep(0.1)
        self.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fed-peer', required=True)
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix='wl-prosody-interop.')
    dns_port, c2s_port, prosody_s2s, our_s2s = free_port(), free_port(), free_port(), free_port()
    procs = []
    peer = None
    try:
        # DNS: what a deployment publishes, on a private port.
        with open(f'{work}/dnsmasq.conf', 'w') as f:
            f.write(f'port={dns_port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\nno-poll\n'
                    f'local=/test/\nuser=root\nhost-record=a.test,127.0.0.1\nhost-record=sp.test,127.0.0.1\n'
                    f'srv-host=_xmpp-server._tcp.a.test,a.test,{prosody_s2s},0,5\n'
                    f'srv-host=_xmpp-server._tcp.sp.test,sp.test,{our_s2s},0,5\n')
        dns = subprocess.Popen(['dnsmasq', '--keep-in-foreground', f'--conf-file={work}/dnsmasq.conf',
                                f'--pid-file={work}/dnsmasq.pid', f'--log-facility={work}/dnsmasq.log',
                                '--log-queries'])
        procs.append(dns)
        if not wait_port(dns_port):
            check('dnsmasq starts', False)
            return

        # Prosody for a.test: STARTTLS required, self-signed certificate, so dialback.
        os.makedirs(f'{work}/prosody/data')
        os.makedirs(f'{work}/prosody/certs')
        self_signed(f'{work}/prosody/certs', 'a.test')
        pdir = f'{work}/prosody'
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

        # Our side: fed_peer for sp.test, resolving through the same DNS.
        self_signed(work, 'sp.test')
        peer = FedPeer([args.fed_peer, '--domain', 'sp.test', '--listen', f'127.0.0.1:{our_s2s}',
                        '--nameserver', f'127.0.0.1:{dns_port}', '--cert', f'{work}/sp.test.crt',
                        '--key', f'{work}/sp.test.key', '--secret', 'interop dialback secret'])
        check('fed_peer starts', peer.wait_for(lambda l: l == 'READY', 10) is not None)

        # 1. We initiate: our ping to Prosody's domain gets Prosody's answer.
        peer.send('ping a.test wl-ping-1')
        answer = peer.wait_for(lambda l: l.startswith('RECV') and "wl-ping-1" in l, 20)
        check('our ping to a.test is answered by Prosody',
              answer is not None and ("type='result'" in answer or 'type="result"' in answer), answer or 'no answer')

        # 2-4. Prosody initiates, with a real client behind it; once she is online, we
        # send her a message over the stream we opened in 1.
        alice = Alice('alice@a.test/interop', 'secret',
                      lambda: peer.send('message bob@sp.test alice@a.test/interop wl-msg-1 hello from waitlistd'))
        alice.connect(address=('127.0.0.1', c2s_port), force_starttls=True)
        loop = asyncio.get_event_loop()
        try:
            loop.run_until_complete(asyncio.wait_for(alice.disconnected, 60))
        except asyncio.TimeoutError:
            pass
        check("alice's ping to sp.test is answered by our side", alice.ping_result == 'result',
              str(alice.ping_result))
        got = peer.wait_for(lambda l: l.startswith('RECV') and 'hello from prosody' in l, 10)
        check("alice's message reaches sp.test with her full JID", got is not None and 'alice@a.test/interop' in got,
              got or 'nothing received')
        check('our message reaches the Prosody user', alice.got_message is not None and
              alice.got_message[1] == 'hello from waitlistd', str(alice.got_message))

        # 5. How the two directions were authenticated.
        peer.send('stats')
        stats = peer.wait_for(lambda l: l.startswith('STATS'), 10) or ''
        check('Prosody authenticated to us by dialback', 'dialback_ok=' in stats and ' dialback_ok=0' not in stats,
              stats)
        check('nothing was refused or bounced', ' bounced=0' in stats and ' rejected_in=0' in stats, stats)
        with open(f'{pdir}/prosody.log', errors='replace') as f:
            plog = f.read()
        check('Prosody accepted our dialback key (its incoming stream from sp.test)',
              'connection sp.test->a.test is now authenticated for sp.test' in plog, 'see prosody.log')
        check('we accepted Prosody\'s dialback key (its outgoing stream to sp.test)',
              'connection a.test->sp.test is now authenticated for sp.test' in plog, 'see prosody.log')
        encrypted = [l for l in plog.splitlines() if 'Stream encrypted (TLSv1.' in l]
        check('both s2s directions were encrypted with STARTTLS',
              any('s2sin' in l for l in encrypted) and any('s2sout' in l for l in encrypted), str(encrypted))
    finally:
        if peer:
            peer.stop()
            if failed:
                print('--- fed_peer output ---')
                print('\n'.join(peer.seen))
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if failed and os.path.exists(f'{work}/prosody/prosody.log'):
            print('--- prosody.log (s2s lines, last 60) ---')
            with open(f'{work}/prosody/prosody.log', errors='replace') as f:
                lines = [l for l in f if 's2s' in l or 'dialback' in l]
            print(''.join(lines[-60:]))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print('work directory kept:', work)
        print(f'RESULT: {passed} passed, {failed} failed', flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
