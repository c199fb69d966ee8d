"""Async scenario suites (the waiting list and partner tests): scenarios registered by name,
run in order against one context, each one's failure reported and counted without stopping
the others, the context's clients logged out after each.

    SCENARIOS = Scenarios()

    @SCENARIOS.add('a user adds a number')
    async def t_add(ctx):
        check(cond, 'what went wrong')

    results = await SCENARIOS.run(ctx, only=args.only)

check() raises Failure, a failure already explained: it is reported without a traceback."""

import asyncio
import time
import xml.etree.ElementTree as ET

from results import Results


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def show(el):
    return ET.tostring(el, encoding='unicode') if el is not None else 'None'


class Scenarios:
    def __init__(self):
        self.scenarios = []

    def add(self, name):
        def register(fn):
            self.scenarios.append((name, fn))
            return fn
        return register

    async def run(self, ctx, only='', timeout=None, results=None):
        """Every scenario whose name contains `only`, each bounded by `timeout` seconds; after
        each, ctx.close_all(). The counts go into `results` (a new Results by default)."""
        results = results or Results()
        for name, fn in self.scenarios:
            if only and only not in name:
                continue
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(fn(ctx), timeout)
                results.passed_one('%s (%.1f s)' % (name, time.monotonic() - t0))
            except Exception as e:  # noqa: BLE001 - a failed check or anything unexpected: report, go on
                results.failed_one(name, e, trace=not isinstance(e, Failure))
            finally:
                await ctx.close_all()
        return results
