/*
 * fuzz.h — what every harness under tests/fuzz/ shares. A harness is one
 * LLVMFuzzerTestOneInput(): linked with libFuzzer (-DCASA_FUZZ=ON, clang)
 * it is fuzzed; linked with replay.c it replays a corpus in the suite.
 *
 * A harness checks properties of what the code under test returns, not
 * only that it does not crash: FUZZ_CHECK aborts on a broken property, and
 * libFuzzer (or the replay test) reports it like a crash.
 */
#ifndef CASA_FUZZ_H
#define CASA_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(condition)                                                                      \
	do {                                                                                       \
		if (!(condition)) {                                                                \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,        \
			        #condition);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
