#!/usr/bin/python3
"""Inter-domain add-to-push latency and throughput between two waitlistd instances on
loopback (sp.test asks partner.test over a dialback-authenticated s2s stream).

    bench_partner.py --waitlistd PATH [--items 500] [--window 50]

N contacts are registered at partner.test first; one sp.test user then adds their N
numbers, at most `window` adds outstanding at a time. For each item the time from sending
the add to receiving the JID push is one latency sample (user -> sp.test -> s2s IQ-set ->
partner.test records the request and queues a push -> s2s IQ-set back -> sp.test records
the JID, queues and delivers the user's push). Prints percentiles and pushes per second."""

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'integration', 'partner'))

from partner_harness import Instance  # noqa: E402 - puts tests/support on the path
from slixmpp.xmlstream.handler import Callback  # noqa: E402
from slixmpp.xmlstream.matcher import MatchXPath  # noqa: E402
import xmpp_client  # noqa: E402

NS = 'http://jabber.org/protocol/waitinglist'
PASSWORD = 'bench password'


class Client(xmpp_client.Client):
    """Notes when each JID push arrives: the end of one latency sample."""

    def __init__(self, jid, service):
        super().__init__(jid, PASSWORD, service=service)
        self.pushed = {}     # item id -> arrival time
        self.waiters = {}
        self.register_handler(Callback('push time', MatchXPath('{jabber:client}message/{%s}waitlist' % NS),
                                       self._push))

    def _push(self, msg):
        item = msg.xml.find('{%s}waitlist/{%s}item' % (NS, NS))
        if item is None or not item.get('jid'):
            return
        now = time.monotonic()
        self.pushed[item.get('id')] = now
        fut = self.waiters.pop(item.get('id'), None)
        if fut and not fut.done():
            fut.set_result(now)

    async def add(self, number):
        resp = await self.iq('set', "<query xmlns='%s'><item><uri scheme='tel'>%s</uri></item></query>" % (NS, number),
                             timeout=60)
        return resp.find('{%s}query/{%s}item' % (NS, NS)).get('id')


async def run(sp, partner, items, window):
    numbers = ['+336%08d' % (10000000 + i) for i in range(items)]
    t0 = time.monotonic()
    for i, n in enumerate(numbers):
        partner.create_account('contact%d@partner.test' % i, PASSWORD, ['tel:' + n])
    print('registered %d contacts at partner.test in %.1f s' % (items, time.monotonic() - t0), flush=True)
    sp.create_account('bench@sp.test', PASSWORD)
    c = Client('bench@sp.test', sp.service)
    c.connect(address=('127.0.0.1', sp.c2s_port), force_starttls=True)
    await asyncio.wait_for(c.started, 20)
    # One warm-up add opens the s2s streams both ways (dialback) outside the measurement.
    warm = '+33699999999'
    partner.create_account('warm@partner.test', PASSWORD, ['tel:' + warm])
    wid = await c.add(warm)
    while wid not in c.pushed:
        await asyncio.sleep(0.05)

    latencies = []
    sem = asyncio.Semaphore(window)

    async def one(number):
        async with sem:
            start = time.monotonic()
            item_id = await c.add(number)
            if item_id in c.pushed:
                done = c.pushed[item_id]
            else:
                fut = asyncio.get_running_loop().create_future()
                c.waiters[item_id] = fut
                done = await asyncio.wait_for(fut, 120)
            latencies.append(done - start)

    start = time.monotonic()
    await asyncio.gather(*(one(n) for n in numbers))
    elapsed = time.monotonic() - start
    c.disconnect()
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    print('items=%d window=%d elapsed=%.2f s throughput=%.1f pushes/s' % (items, window, elapsed, items / elapsed))
    print('add-to-push latency ms: p50=%.1f p90=%.1f p99=%.1f max=%.1f mean=%.1f' % (
        pct(50), pct(90), pct(99), latencies[-1] * 1000, statistics.mean(latencies) * 1000))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--waitlistd', required=True)
    ap.add_argument('--items', type=int, default=500)
    ap.add_argument('--window', type=int, default=50)
    args = ap.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    sp = Instance(args.waitlistd, 'sp.test', serves_tel=['+1'], partner_timeout='10s', log_level='warn')
    partner = Instance(args.waitlistd, 'partner.test', serves_tel=['+33'], partner_timeout='10s', log_level='warn')
    sp.add_partner(partner.service)
    sp.route_to(partner)
    partner.add_partner(sp.service)
    partner.route_to(sp)
    try:
        sp.start()
        partner.start()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(run(sp, partner, args.items, args.window))
    finally:
        sp.cleanup()
        partner.cleanup()


if __name__ == '__main__':
    main()
