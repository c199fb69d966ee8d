#!/usr/bin/python3
"""Sums the test cases of every suite meson ran and prints the one line CI reads.

Each suite reports its own count: doctest's "[doctest] test cases: N | P passed | F failed"
line, or a line "RESULT: P passed, F failed" from the suites written in other languages.
A suite that printed neither counts as one test, passed or failed by its exit status,
so a crash before any output still counts as a failure.
"""
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
PLAIN = re.compile(r"^RESULT: (\d+) passed, (\d+) failed", re.M)


def count(entry):
    out = entry.get("stdout") or ""
    result = entry.get("result")
    ok = result in ("OK", "EXPECTEDFAIL")
    if result == "SKIP":
        return 0, 0
    found = False
    passed = failed = 0
    for m in DOCTEST.finditer(out):
        found = True
        passed += int(m.group(2)); failed += int(m.group(3))
    for m in PLAIN.finditer(out):
        found = True
        passed += int(m.group(1)); failed += int(m.group(2))
    if not found:
        return (1, 0) if ok else (0, 1)
    if not ok and failed == 0:
        failed = 1   # it claimed success but exited non-zero, or timed out
    return passed, failed


def main(path):
    passed = failed = 0
    try:
        with open(path) as f:
            entries = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        print(f"summarize: cannot read {path}: {e}", file=sys.stderr)
        entries = []
    for e in entries:
        p, f = count(e)
        if f:
            print(f"FAILED suite: {e.get('name')} ({e.get('result')})")
        passed += p; failed += f
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"))
