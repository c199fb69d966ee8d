#!/bin/sh
# Builds the StreamParser fuzz target with clang++-14 (libFuzzer + ASan + UBSan, outside meson's
# g++ build), seeds it with the examples of XEP-0130 (tests/spec/xep-0130.xml) and fuzzes
# for a bounded time. Usage: run_fuzz.sh <xep-0130.xml> <source root> <work dir> [seconds]
set -u
spec=$1
src=$2
work=$3
seconds=${4:-30}

. "$(dirname "$0")/fuzz_common.sh"

bin="$work/fuzz_stream_parser"
build_fuzzer "$bin" "$src"/proto/xml/*.cpp "$src/tests/fuzz/stream_parser_fuzz.cpp" -lexpat

# One seed per example, wrapped in a stream header as a client would send it, and one framed
# the RFC 7395 way.
python3 - "$spec" "$work/seeds" <<'PY' || fail "cannot build the seed corpus from $spec"
import re, sys, pathlib
spec, out = sys.argv[1], pathlib.Path(sys.argv[2])
text = open(spec, encoding="utf-8").read()
examples = re.findall(r"<example\b[^>]*>.*?<!\[CDATA\[(.*?)\]\]>.*?</example>", text, re.S)
if len(examples) != 37:
    sys.exit(f"expected 37 examples, found {len(examples)}")
header = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>")
for i, ex in enumerate(examples, 1):
    (out / f"xep0130-{i:02}.xml").write_text(header + ex + "</stream:stream>", encoding="utf-8")
    framed = ex.replace("<iq ", "<iq xmlns='jabber:client' ", 1).replace("<message", "<message xmlns='jabber:client'", 1)
    (out / f"xep0130-{i:02}-ws.xml").write_text(
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>" + framed,
        encoding="utf-8")
PY

run_fuzzer "$bin" "$seconds" 8192 "$work/corpus" "$work/seeds"
