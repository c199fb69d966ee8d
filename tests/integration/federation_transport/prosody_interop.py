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
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'support'))
from prosody import Dnsmasq, Prosody, self_signed, xmpp_server_records  # noqa: E402
from results import Results  # noqa: E402
from waitlistd import free_port  # noqa: E402
from xmpp_client import login, logout  # noqa: E402

logging.basicConfig(level=logging.CRITICAL)


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


async def alice_session(port, when_online):
    """alice@a.test pings sp.test, writes to bob@sp.test, calls when_online, and waits for a
    message with a body: (the ping's answer, (from, body) of that message)."""
    try:
        alice = await login('alice@a.test/interop', 'secret', port)
    except (AssertionError, asyncio.TimeoutError) as e:
        return 'no login: %r' % e, None
    try:
        reply = await alice.iq('get', "<ping xmlns='urn:xmpp:ping'/>", to='sp.test')
        ping = 'timeout' if reply is None else reply.get('type')
        alice.send_message(mto='bob@sp.test', mbody='hello from prosody', mtype='chat')
        when_online()
        # fed_peer's message comes over the stream it opened to a.test.
        try:
            while True:
                m = await asyncio.wait_for(alice.inbox.get(), 20)
                if m['body']:
                    return ping, (str(m['from']), m['body'])
        except asyncio.TimeoutError:
            return ping, None
    finally:
        await logout(alice)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fed-peer', required=True)
    ap.add_argument('--keep', action='store_true', help='keep the work directory')
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix='wl-prosody-interop.')
    results = Results()
    check = results.check
    dns = Dnsmasq(work)
    prosody = Prosody(work, 'a.test', {'alice': 'secret'})
    our_s2s = free_port()
    peer = None
    try:
        # DNS: what a deployment publishes, on a private port.
        if not dns.start(xmpp_server_records('a.test', prosody.s2s_port) + xmpp_server_records('sp.test', our_s2s)):
            check('dnsmasq starts', False)
            return results.finish()

        # Prosody for a.test: STARTTLS required, self-signed certificate, so dialback.
        if not prosody.start(dns.port):
            check('prosody starts', False)
            return results.finish()

        # Our side: fed_peer for sp.test, resolving through the same DNS.
        self_signed(work, 'sp.test')
        peer = FedPeer([args.fed_peer, '--domain', 'sp.test', '--listen', f'127.0.0.1:{our_s2s}',
                        '--nameserver', f'127.0.0.1:{dns.port}', '--cert', f'{work}/sp.test.crt',
                        '--key', f'{work}/sp.test.key', '--secret', 'interop dialback secret'])
        check('fed_peer starts', peer.wait_for(lambda l: l == 'READY', 10) is not None)

        # 1. We initiate: our ping to Prosody's domain gets Prosody's answer.
        peer.send('ping a.test wl-ping-1')
        answer = peer.wait_for(lambda l: l.startswith('RECV') and "wl-ping-1" in l, 20)
        check('our ping to a.test is answered by Prosody',
              answer is not None and ("type='result'" in answer or 'type="result"' in answer), answer or 'no answer')

        # 2-4. Prosody initiates, with a real client behind it; once she is online, we
        # send her a message over the stream we opened in 1.
        ping, got_message = asyncio.get_event_loop().run_until_complete(alice_session(
            prosody.c2s_port,
            lambda: peer.send('message bob@sp.test alice@a.test/interop wl-msg-1 hello from waitlistd')))
        check("alice's ping to sp.test is answered by our side", ping == 'result', str(ping))
        got = peer.wait_for(lambda l: l.startswith('RECV') and 'hello from prosody' in l, 10)
        check("alice's message reaches sp.test with her full JID", got is not None and 'alice@a.test/interop' in got,
              got or 'nothing received')
        check('our message reaches the Prosody user', got_message is not None and
              got_message[1] == 'hello from waitlistd', str(got_message))

        # 5. How the two directions were authenticated.
        peer.send('stats')
        stats = peer.wait_for(lambda l: l.startswith('STATS'), 10) or ''
        check('Prosody authenticated to us by dialback', 'dialback_ok=' in stats and ' dialback_ok=0' not in stats,
              stats)
        check('nothing was refused or bounced', ' bounced=0' in stats and ' rejected_in=0' in stats, stats)
        plog = prosody.log_text()
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
            if results.failed:
                print('--- fed_peer output ---')
                print('\n'.join(peer.seen))
        prosody.stop()
        dns.stop()
        if results.failed:
            print('--- prosody.log (s2s lines, last 60) ---')
            lines = [l for l in prosody.log_text().splitlines(True) if 's2s' in l or 'dialback' in l]
            print(''.join(lines[-60:]))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print('work directory kept:', work)
    return results.finish()


if __name__ == '__main__':
    sys.exit(main())
