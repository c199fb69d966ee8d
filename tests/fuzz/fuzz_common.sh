# Shared by the fuzz runners: failing with the summary line tests/summarize.py reads, the
# target's build, and a bounded libFuzzer run whose findings fail the suite. Sourced; expects
# $src (the source root) and $work.

fail() {
    echo "$1" >&2
    echo "RESULT: 0 passed, 1 failed"
    exit 1
}

# build_fuzzer BINARY SOURCE_OR_FLAG... : clang++-14 with libFuzzer, ASan and UBSan (outside
# meson's g++ build), the source root on the include path; also makes $work/seeds and
# $work/corpus.
build_fuzzer() {
    bin=$1
    shift
    mkdir -p "$work/seeds" "$work/corpus" || fail "cannot create $work"
    # The same expat feature test as proto/meson.build.
    # (POSIX sh: the runners are /bin/sh scripts, so no arrays.)
    expat_define=
    grep -q XML_SetReparseDeferralEnabled /usr/include/expat.h && expat_define=-DWL_HAVE_XML_REPARSE_DEFERRAL
    clang++-14 $expat_define -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -I"$src" "$@" -o "$bin" || fail "building the fuzz target failed"
}

# run_fuzzer BINARY SECONDS MAX_LEN CORPUS_DIR...
run_fuzzer() {
    bin=$1 seconds=$2 max_len=$3
    shift 3
    # Reproducers of an earlier failing run would mislead whoever reads this one.
    rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
    # UBSan findings must fail the run, not just print.
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix="$work/" "$@" >"$work/fuzz.log" 2>&1
    status=$?
    if [ $status -ne 0 ]; then
        tail -n 60 "$work/fuzz.log"
        echo "fuzzing found a failure; reproducer in $work (crash-*/leak-*/timeout-*)" >&2
        echo "RESULT: 0 passed, 1 failed"
        exit 1
    fi
    grep -E '^(Done|stat::)' "$work/fuzz.log"
    echo "RESULT: 1 passed, 0 failed"
}
