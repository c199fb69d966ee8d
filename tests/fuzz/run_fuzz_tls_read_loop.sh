#!/bin/bash
# Builds the TlsEngine read loop fuzz target with clang++-14 (libFuzzer + ASan + UBSan, outside
# meson's g++ build), seeds it with a few scripts (see tls_read_loop_fuzz.cpp), and fuzzes for
# a bounded time. Usage: run_fuzz_tls_read_loop.sh <source root> <work dir> [seconds]
set -u
src=$1
work=$2
seconds=${3:-30}
. "$(dirname "$0")/fuzz_common.sh"

bin="$work/fuzz_tls_read_loop"
build_fuzzer "$bin" "$src/server/c2s/tls13_keys.cpp" "$src/server/c2s/tls13_records.cpp" \
    "$src/server/c2s/tls_engine.cpp" "$src/server/c2s/tls_channel_binding.cpp" \
    "$src/proto/sasl/channel_binding.cpp" "$src/proto/base64.cpp" "$src/tests/fuzz/tls_read_loop_fuzz.cpp" -lssl -lcrypto

# Seeds, as scripts: path (0 TLS 1.3 own, 1 TLS 1.3 OpenSSL, 2 TLS 1.2), step count, steps,
# then the sizes of the socket's reads. On each path: 1000 bytes cut after 100 (a record held
# in part); 40 KB in reads of 1 byte then 64; a KeyUpdate and close_notify; a flipped bit.
for path in 0 1 2; do
    printf "\\00$path\\001\\000\\372\\002\\144" >"$work/seeds/partial-$path"
    printf "\\00$path\\001\\000\\240\\010\\001\\001\\001\\100" >"$work/seeds/large-$path"
    printf "\\00$path\\003\\002\\001\\000\\020\\000\\003\\007\\005" >"$work/seeds/update-close-$path"
    printf "\\00$path\\002\\000\\020\\004\\005\\000\\040\\003\\011" >"$work/seeds/flip-$path"
done
run_fuzzer "$bin" "$seconds" 4096 "$work/corpus" "$work/seeds"
