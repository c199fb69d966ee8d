"""Counts the checks of a script suite and prints the lines tests/summarize.py reads:
"PASS name" / "FAIL name: why" as they happen, and at the end "RESULT: P passed, F failed"."""

import traceback


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def passed_one(self, name):
        self.passed += 1
        print('PASS %s' % name, flush=True)

    def failed_one(self, name, why='', trace=False):
        self.failed += 1
        print('FAIL %s%s' % (name, ': %s' % why if why else ''), flush=True)
        if trace:
            traceback.print_exc()

    def check(self, name, ok, detail=''):
        """One check that is a condition already evaluated."""
        if ok:
            self.passed_one(name)
        else:
            self.failed_one(name, detail)
        return ok

    def run(self, name, fn, *args):
        """One check that is a function: it passes unless it raises."""
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - every failure is reported and counted
            self.failed_one(name, repr(e), trace=True)
            return False
        self.passed_one(name)
        return True

    def finish(self):
        """Prints the RESULT line; the exit status: 0 only when something ran and nothing failed."""
        print('RESULT: %d passed, %d failed' % (self.passed, self.failed), flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1
