#pragma once
// What a fuzz target checks beyond the sanitizers: a broken invariant aborts, which libFuzzer
// reports as a crash and saves the input that caused it.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                               \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            std::fprintf(stderr, "invariant broken: %s (line %d)\n", #cond, __LINE__); \
            std::abort();                                                              \
        }                                                                              \
    } while (0)
