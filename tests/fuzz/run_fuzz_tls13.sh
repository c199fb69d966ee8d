#!/bin/bash
# Builds the Tls13Records fuzz target with clang++-14 (libFuzzer + ASan + UBSan, outside
# meson's g++ build), seeds it with a few scripts (see tls13_records_fuzz.cpp), and fuzzes for
# a bounded time. Usage: run_fuzz_tls13.sh <source root> <work dir> [seconds]
set -u
src=$1
work=$2
seconds=${3:-30}
. "$(dirname "$0")/fuzz_common.sh"

bin="$work/fuzz_tls13_records"
build_fuzzer "$bin" "$src/server/c2s/tls13_keys.cpp" "$src/server/c2s/tls13_records.cpp" \
    "$src/tests/fuzz/tls13_records_fuzz.cpp" -lcrypto

# Seeds, as scripts: suite, room, piece count, pieces, then steps (op, length, content...).
# Data; a KeyUpdate split over two records then data under the next key; padding and
# user_canceled then close_notify; a stray handshake message; a truncated header.
printf '\000\002\001\003\000\005hello' >"$work/seeds/data"
printf '\000\000\000\001\003\030\000\000\026\001\002\001\026\002\000\000\005after' >"$work/seeds/key-update"
printf '\000\001\000\000\004<p/>\027\010\001\001\001\025\000\001\001\000\025\000' >"$work/seeds/alerts"
printf '\000\000\000\001\004\004\000\000\001\026\000' >"$work/seeds/handshake"
printf '\000\000\000\003\003\027\003\003' >"$work/seeds/truncated"
run_fuzzer "$bin" "$seconds" 4096 "$work/corpus" "$work/seeds"
