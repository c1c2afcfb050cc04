/*
 * When many notices at once make a storm, and when it is over.
 */
#include "config.h"

#include "storm.h"
#include "test.h"

static int
feed(struct storm *s, time_t at, int n)
{
	int held = 0;

	for (int i = 0; i < n; i++)
		held += storm_notice(s, at);
	return held;
}

/* The first `after` in a minute go; the next waits. */
DEF_TEST(begins_after_the_first_few)
{
	struct storm s;
	time_t t = 1000000;

	storm_init(&s, 5, 30);
	EXPECT_EQ_INT(0, feed(&s, t, 5));
	EXPECT_TRUE(!storm_active(&s));
	EXPECT_EQ_INT(1, storm_notice(&s, t + 59));
	EXPECT_TRUE(storm_active(&s));
	EXPECT_EQ_INT(994, feed(&s, t + 60, 994));
	EXPECT_EQ_INT(995, (int)s.held);
	return 0;
}

/* Notices spread wider than the window never make one. */
DEF_TEST(slow_notices_go_alone)
{
	struct storm s;
	time_t t = 1000000;

	storm_init(&s, 3, 30);
	for (int i = 0; i < 100; i++)
		EXPECT_EQ_INT(0, storm_notice(&s, t + i * 21));
	EXPECT_TRUE(!storm_active(&s));
	return 0;
}

/* Quiet for `wait`, or STORM_LONGEST: over. */
DEF_TEST(ends_when_quiet_or_long)
{
	struct storm s;
	time_t t = 1000000;

	storm_init(&s, 2, 30);
	feed(&s, t, 3);
	EXPECT_TRUE(storm_active(&s));
	EXPECT_TRUE(!storm_over(&s, t + 29));
	EXPECT_TRUE(storm_over(&s, t + 30));
	storm_end(&s);
	EXPECT_TRUE(!storm_active(&s));
	EXPECT_TRUE(!storm_over(&s, t + 31));

	/* a notice every 10 s: never quiet, over after STORM_LONGEST */
	feed(&s, t + 100, 3);
	EXPECT_TRUE(storm_active(&s));
	for (time_t a = t + 110; a < t + 100 + STORM_LONGEST; a += 10) {
		EXPECT_EQ_INT(1, storm_notice(&s, a));
		EXPECT_TRUE(!storm_over(&s, a));
	}
	EXPECT_TRUE(storm_over(&s, t + 100 + STORM_LONGEST));
	storm_end(&s);
	/* still coming fast: the next storm at once */
	EXPECT_EQ_INT(1, storm_notice(&s, t + 100 + STORM_LONGEST));
	return 0;
}

DEF_TEST(off_and_clock)
{
	struct storm s;
	time_t t = 1000000;

	storm_init(&s, 0, 30);
	EXPECT_EQ_INT(0, feed(&s, t, 1000));
	EXPECT_TRUE(!storm_active(&s));

	/* turned off during a storm: over at the next look */
	storm_init(&s, 1, 30);
	feed(&s, t, 2);
	EXPECT_TRUE(storm_active(&s));
	storm_configure(&s, 0, 30);
	EXPECT_TRUE(storm_over(&s, t));
	storm_end(&s);

	/* the wall clock went back an hour: not held for an hour */
	storm_init(&s, 1, 30);
	feed(&s, t, 2);
	EXPECT_TRUE(storm_over(&s, t - 3600));
	storm_end(&s);
	/* and notices from "the future" in the ring do not count */
	EXPECT_EQ_INT(0, storm_notice(&s, t - 3600));

	/* out of range */
	storm_init(&s, 1000, 0);
	EXPECT_EQ_INT(STORM_AFTER_MAX, s.after);
	EXPECT_EQ_INT(1, s.wait);
	return 0;
}

int
main(void)
{
	RUN_TEST(begins_after_the_first_few);
	RUN_TEST(slow_notices_go_alone);
	RUN_TEST(ends_when_quiet_or_long);
	RUN_TEST(off_and_clock);
	END_TEST;
}
