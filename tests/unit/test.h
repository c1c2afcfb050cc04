/*
 * A tiny TAP test harness (after collectd's testing.h).
 *
 *	DEF_TEST(name) { EXPECT_EQ_INT(1, f()); return 0; }
 *	int main(void) { RUN_TEST(name); END_TEST; }
 *
 * Each failed expectation prints "not ok" with file:line and the values;
 * the program exits 1 if anything failed, 77 (automake: skipped) via
 * SKIP_ALL(), 0 otherwise.
 */
#ifndef TRAMON_TEST_H
#define TRAMON_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

#define DEF_TEST(func) static int test_##func(void)

#define RUN_TEST(func)                                                   \
	do {                                                             \
		int _before = tap_failed;                                \
		int _rc = test_##func();                                 \
		printf("%s %d - %s\n",                                   \
		    (_rc == 0 && tap_failed == _before) ? "ok" : "not ok", \
		    ++tap_count, #func);                                 \
		if (_rc != 0 && tap_failed == _before)                   \
			tap_failed++;                                    \
	} while (0)

#define END_TEST                                                         \
	do {                                                             \
		printf("1..%d\n", tap_count);                            \
		return tap_failed ? 1 : 0;                               \
	} while (0)

#define SKIP_ALL(why)                                                    \
	do {                                                             \
		printf("1..0 # SKIP %s\n", why);                         \
		exit(77);                                                \
	} while (0)

#define FAIL_HERE(fmt, ...)                                              \
	do {                                                             \
		printf("# %s:%d: " fmt "\n", __FILE__, __LINE__,         \
		    __VA_ARGS__);                                        \
		tap_failed++;                                            \
	} while (0)

#define EXPECT_TRUE(c)                                                   \
	do {                                                             \
		if (!(c))                                                \
			FAIL_HERE("expected true: %s", #c);              \
	} while (0)

#define EXPECT_EQ_INT(expect, actual)                                    \
	do {                                                             \
		long long _e = (long long)(expect);                      \
		long long _a = (long long)(actual);                      \
		if (_e != _a)                                            \
			FAIL_HERE("%s: expected %lld, got %lld", #actual, \
			    _e, _a);                                     \
	} while (0)

#define EXPECT_EQ_STR(expect, actual)                                    \
	do {                                                             \
		const char *_e = (expect), *_a = (actual);               \
		if (_a == NULL || strcmp(_e, _a) != 0)                   \
			FAIL_HERE("%s: expected \"%s\", got \"%s\"",     \
			    #actual, _e, _a ? _a : "(null)");            \
	} while (0)

#define EXPECT_CONTAINS(haystack, needle)                                \
	do {                                                             \
		const char *_h = (haystack), *_n = (needle);             \
		if (_h == NULL || strstr(_h, _n) == NULL)                \
			FAIL_HERE("%s: \"%s\" not found", #haystack, _n); \
	} while (0)

#define EXPECT_NEAR(expect, actual, tol)                                 \
	do {                                                             \
		double _e = (expect), _a = (actual);                     \
		if (!(fabs(_e - _a) <= (tol)))                           \
			FAIL_HERE("%s: expected %g, got %g (tol %g)",    \
			    #actual, _e, _a, (double)(tol));             \
	} while (0)

#define EXPECT_NAN(actual)                                               \
	do {                                                             \
		if (!isnan(actual))                                      \
			FAIL_HERE("%s: expected NaN, got %g", #actual,   \
			    (double)(actual));                           \
	} while (0)

#endif /* TRAMON_TEST_H */
