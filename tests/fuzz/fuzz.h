/*
 * Shared by the libFuzzer harnesses of tests/fuzz/: an invariant that
 * does not hold is a finding like a sanitizer report, so it aborts with
 * the reason (libFuzzer then saves the input as crash-*).
 */
#ifndef TRAMON_FUZZ_H
#define TRAMON_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif /* TRAMON_FUZZ_H */
