// FUZZ_REQUIRE: an invariant of the code under test. A violation prints the
// condition and where it failed, then aborts, which libFuzzer reports as a
// crash and saves the input as the reproducer.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_REQUIRE(cond)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);      \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)
