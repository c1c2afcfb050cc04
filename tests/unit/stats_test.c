/* Statistics of a round: what the graphs and the state machine see. */
#include "config.h"

#include "stats.h"
#include "test.h"

DEF_TEST(empty_round)
{
	struct tm_result r = { .sent = 20, .received = 0 };
	struct round_stats s;
	double scratch[1];

	stats_compute(&r, scratch, &s);
	EXPECT_NEAR(100, s.loss_pct, 1e-9);
	EXPECT_NAN(s.median);
	EXPECT_NAN(s.min);
	EXPECT_NAN(s.jitter);
	EXPECT_NAN(s.q[0]);
	return 0;
}

DEF_TEST(nothing_sent)
{
	struct tm_result r = { 0 };
	struct round_stats s;
	double scratch[1];

	stats_compute(&r, scratch, &s);
	EXPECT_NAN(s.loss_pct);
	return 0;
}

DEF_TEST(one_reply)
{
	double rtt[] = { .25 };
	struct tm_result r = { .sent = 1, .received = 1, .rtt = rtt };
	struct round_stats s;
	double scratch[1];

	stats_compute(&r, scratch, &s);
	EXPECT_NEAR(0, s.loss_pct, 1e-12);
	EXPECT_NEAR(.25, s.median, 1e-12);
	EXPECT_NEAR(.25, s.min, 1e-12);
	EXPECT_NEAR(.25, s.max, 1e-12);
	EXPECT_NAN(s.jitter);	/* needs two replies */
	return 0;
}

DEF_TEST(hand_computed)
{
	/* in send order; 5 of 8 answered */
	double rtt[] = { .300, .200, .250, .100, .400 };
	struct tm_result r = { .sent = 8, .received = 5, .rtt = rtt };
	struct round_stats s;
	double scratch[5];

	stats_compute(&r, scratch, &s);
	EXPECT_NEAR(37.5, s.loss_pct, 1e-12);
	EXPECT_NEAR(.100, s.min, 1e-12);
	EXPECT_NEAR(.400, s.max, 1e-12);
	EXPECT_NEAR(.250, s.median, 1e-12);
	EXPECT_NEAR(.250, s.avg, 1e-12);
	/* |.2-.3| + |.25-.2| + |.1-.25| + |.4-.1| = .1+.05+.15+.3 = .6 / 4 */
	EXPECT_NEAR(.150, s.jitter, 1e-12);
	/* sorted .1 .2 .25 .3 .4: q25 at pos 1 = .2, q75 at pos 3 = .3,
	 * q10 at pos .4 = .1 + .4 * .1 = .14 */
	EXPECT_NEAR(.200, s.q[2], 1e-12);
	EXPECT_NEAR(.300, s.q[3], 1e-12);
	EXPECT_NEAR(.140, s.q[1], 1e-12);
	/* the caller's rtts are untouched (send order matters for jitter) */
	EXPECT_NEAR(.300, rtt[0], 0);
	return 0;
}

DEF_TEST(even_count_median)
{
	double rtt[] = { .4, .1, .3, .2 };
	struct tm_result r = { .sent = 4, .received = 4, .rtt = rtt };
	struct round_stats s;
	double scratch[4];

	stats_compute(&r, scratch, &s);
	EXPECT_NEAR(.25, s.median, 1e-12);
	return 0;
}

DEF_TEST(quantile_edges)
{
	double v[] = { 1, 2, 3 };

	EXPECT_NEAR(1, stats_quantile(v, 3, 0), 0);
	EXPECT_NEAR(3, stats_quantile(v, 3, 1), 0);
	EXPECT_NEAR(2, stats_quantile(v, 3, .5), 0);
	EXPECT_NAN(stats_quantile(v, 0, .5));
	EXPECT_EQ_STR("q05", stats_quantile_names[0]);
	return 0;
}

int
main(void)
{
	RUN_TEST(empty_round);
	RUN_TEST(nothing_sent);
	RUN_TEST(one_reply);
	RUN_TEST(hand_computed);
	RUN_TEST(even_count_median);
	RUN_TEST(quantile_edges);
	END_TEST;
}
