#!/usr/bin/python3
"""No phone number or e-mail address of the integration run reaches a waitlistd log at info level.

Runs last (meson priority) over every server log the run's harnesses kept in $WL_TEST_LOG_DIR
(tests/support/waitlistd.py and the WebSocket test copy theirs there when they stop a server).
Looks, in every line at info level or above (text or JSON format), for:
- every tel: and mailto: URI written in the integration tests and their harnesses, as written,
  its number's digits (with and without "+", and the tails of 8 digits or more that a
  national form would show) and its address, unless an account of the run has that address
  as its JID (the logs name accounts; a test may name an account like its mail address);
- any tel: or mailto: not followed by "[redacted]", and any "+" followed by 7 or more digits,
  which catches the URIs the tests build at run time.
Fails when there are no logs (nothing was checked) or any line matches.
Usage: pii_in_logs.py LOG_DIR SOURCE_ROOT
"""
import json
import os
import pathlib
import re
import sys

URI_IN_SOURCE = re.compile(r"\b(tel|mailto):([^\s'\"`<>,;)}\]\\]+)", re.I)
ANY_URI = re.compile(r"\b(tel|mailto):(?!\[redacted\])", re.I)
E164 = re.compile(r"\+\d{7,}")
TEXT_LEVEL = re.compile(r"^\S+ (trace|debug|info|warning|error|critical) ")
QUIET = {"trace", "debug"}
# How the server names an account: its JID, which is not personal data even when a test
# chose one that reads like the account's mail address.
ACCOUNT = re.compile(r"(?:account|authenticated as|bound|registered) ([^\s/@]+@[^\s/]+?)(?=[\s/]|$)")


def needles(source_root):
    """The personal data the tests use: each URI, its number's digits, its address."""
    found = set()
    root = pathlib.Path(source_root) / "tests"
    files = [p for d in ("integration", "support") for p in (root / d).rglob("*")
             if p.suffix in (".py", ".mjs", ".sh", ".cpp") and p.name != pathlib.Path(__file__).name]
    for path in files:
        for scheme, rest in URI_IN_SOURCE.findall(path.read_text(errors="replace")):
            rest = rest.split("?")[0]
            if "{" in rest or "$" in rest:       # a template: the generic patterns cover it
                continue
            if scheme.lower() == "tel":
                digits = re.sub(r"\D", "", rest)
                if len(digits) >= 7:
                    found.update({digits, "+" + digits, scheme + ":" + rest})
                    # The national number is a tail of the E.164 digits ("3035550100").
                    found.update(digits[-n:] for n in range(8, len(digits)))
            elif "@" in rest:
                found.update({rest.lower(), scheme + ":" + rest.lower()})
    return found


def level_of(line):
    if line.startswith("{"):
        try:
            return json.loads(line).get("level", "info")
        except ValueError:
            return "info"
    m = TEXT_LEVEL.match(line)
    return m.group(1) if m else "info"   # a line of unknown shape is checked


def main(log_dir, source_root):
    logs = sorted(pathlib.Path(log_dir).glob("*.log")) if os.path.isdir(log_dir) else []
    if not logs:
        print(f"FAIL no waitlistd logs in {log_dir}: run the integration suite first")
        print("RESULT: 0 passed, 1 failed")
        return 1
    texts = {log: log.read_text(errors="replace") for log in logs}
    accounts = {m.lower() for text in texts.values() for m in ACCOUNT.findall(text)}
    wanted = needles(source_root) - accounts
    digit_needles = {n for n in wanted if n.lstrip("+").isdigit()}
    text_needles = wanted - digit_needles
    hits, lines = [], 0
    for log in logs:
        for number, line in enumerate(texts[log].splitlines(), 1):
            if level_of(line) in QUIET:
                continue
            lines += 1
            low = line.lower()
            why = [n for n in text_needles if n in low]
            # A number counts only as a whole run of digits (not inside a port or a pid).
            why += [n for n in digit_needles if re.search(r"(?<!\d)" + re.escape(n) + r"(?!\d)", line)]
            if ANY_URI.search(line):
                why.append("an unredacted tel:/mailto:")
            if E164.search(line):
                why.append("an E.164 number")
            if why:
                hits.append(f"{log.name}:{number}: {sorted(set(why))}: {line}")
    print(f"checked {lines} lines at info level or above in {len(logs)} server logs "
          f"for {len(wanted)} URIs, numbers and addresses of the tests")
    if hits:
        print("FAIL personal data in the logs at info level:")
        for h in hits[:50]:
            print("  " + h)
        print("RESULT: 0 passed, 1 failed")
        return 1
    print("PASS no phone number or e-mail address of the run is in a server log at info level")
    print("RESULT: 1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
