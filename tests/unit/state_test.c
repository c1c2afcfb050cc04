/* The state machine: debouncing, degradation, and parents. */
#include "config.h"

#include "conf.h"
#include "state.h"
#include "test.h"

#define N 4	/* wan; tra-linh and tra-cang behind it; portal alone */
enum { WAN, LINH, CANG, PORTAL };

static struct target_def defs[N];
static struct conf conf = { .targets = defs, .ntargets = N };
static struct tstatus st[N];
static struct state_change changes[32];
static int nchanges;
static time_t now = 1795700000;

static void
record(void *arg, const struct state_change *ch)
{
	(void)arg;
	if (nchanges < 32)
		changes[nchanges++] = *ch;
}

static struct state_model model = { &conf, st, record, NULL };

static void
reset(void)
{
	static char *ids[N] = { "wan", "tra-linh", "tra-cang", "portal" };

	for (int i = 0; i < N; i++) {
		memset(&defs[i], 0, sizeof(defs[i]));
		defs[i].pub.id = ids[i];
		defs[i].down_after = 3;
		defs[i].up_after = 2;
		defs[i].degraded.loss_pct = 5;
		defs[i].degraded.rtt_ms = 300;
		defs[i].degraded.jitter_ms = 50;
		defs[i].parent = (i == LINH || i == CANG) ? WAN : -1;
		memset(&st[i], 0, sizeof(st[i]));
		st[i].state = TS_UNKNOWN;
	}
	nchanges = 0;
}

static void
feed(int t, enum outcome out)
{
	struct round_stats rs = { .sent = 10, .received = 10, .median = .01 };

	if (out == OUT_FAIL)
		rs.received = 0;
	now += 20;
	state_round(&model, t, out, &rs, out == OUT_FAIL ? "timeout" : NULL,
	    now, now);
}

static int
expect_change(int i, int target, enum tstate from, enum tstate to)
{
	if (i >= nchanges) {
		FAIL_HERE("change %d missing (only %d)", i, nchanges);
		return -1;
	}
	EXPECT_EQ_INT(target, changes[i].target);
	EXPECT_EQ_STR(tstate_name(from), tstate_name(changes[i].from));
	EXPECT_EQ_STR(tstate_name(to), tstate_name(changes[i].to));
	return 0;
}

DEF_TEST(first_answer_decides)
{
	reset();
	feed(PORTAL, OUT_OK);
	EXPECT_EQ_INT(1, nchanges);
	expect_change(0, PORTAL, TS_UNKNOWN, TS_UP);
	EXPECT_EQ_INT(now, st[PORTAL].since);
	/* a slow first answer is up too; degraded takes down_after */
	reset();
	feed(LINH, OUT_SLOW);
	expect_change(0, LINH, TS_UNKNOWN, TS_UP);
	feed(LINH, OUT_SLOW);
	feed(LINH, OUT_SLOW);
	expect_change(1, LINH, TS_UP, TS_DEGRADED);
	return 0;
}

DEF_TEST(down_after_and_up_after)
{
	reset();
	feed(PORTAL, OUT_OK);
	feed(PORTAL, OUT_FAIL);
	feed(PORTAL, OUT_FAIL);
	EXPECT_EQ_INT(TS_UP, st[PORTAL].state);	/* 2 < down_after */
	feed(PORTAL, OUT_OK);			/* a good round resets */
	feed(PORTAL, OUT_FAIL);
	feed(PORTAL, OUT_FAIL);
	EXPECT_EQ_INT(TS_UP, st[PORTAL].state);
	time_t first_fail = now - 20;
	feed(PORTAL, OUT_FAIL);
	EXPECT_EQ_INT(TS_DOWN, st[PORTAL].state);
	expect_change(1, PORTAL, TS_UP, TS_DOWN);
	EXPECT_EQ_INT(first_fail, changes[1].streak_since);
	EXPECT_EQ_STR("timeout", changes[1].why);
	feed(PORTAL, OUT_FAIL);			/* still down: no news */
	EXPECT_EQ_INT(2, nchanges);
	feed(PORTAL, OUT_OK);			/* first good answer counts */
	EXPECT_EQ_INT(1, st[PORTAL].goods);
	EXPECT_EQ_INT(TS_DOWN, st[PORTAL].state);
	feed(PORTAL, OUT_OK);
	EXPECT_EQ_INT(TS_UP, st[PORTAL].state);
	expect_change(2, PORTAL, TS_DOWN, TS_UP);
	return 0;
}

DEF_TEST(unknown_goes_down_without_ever_answering)
{
	reset();
	feed(PORTAL, OUT_FAIL);
	feed(PORTAL, OUT_FAIL);
	EXPECT_EQ_INT(0, nchanges);
	feed(PORTAL, OUT_FAIL);
	expect_change(0, PORTAL, TS_UNKNOWN, TS_DOWN);
	return 0;
}

DEF_TEST(degraded)
{
	reset();
	feed(PORTAL, OUT_OK);
	feed(PORTAL, OUT_SLOW);
	feed(PORTAL, OUT_SLOW);
	EXPECT_EQ_INT(TS_UP, st[PORTAL].state);
	feed(PORTAL, OUT_SLOW);
	expect_change(1, PORTAL, TS_UP, TS_DEGRADED);
	feed(PORTAL, OUT_OK);
	EXPECT_EQ_INT(TS_DEGRADED, st[PORTAL].state);
	feed(PORTAL, OUT_OK);
	expect_change(2, PORTAL, TS_DEGRADED, TS_UP);
	/* down from degraded */
	for (int i = 0; i < 3; i++)
		feed(PORTAL, OUT_SLOW);
	for (int i = 0; i < 3; i++)
		feed(PORTAL, OUT_FAIL);
	expect_change(4, PORTAL, TS_DEGRADED, TS_DOWN);
	/* one slow round on the way back is no degradation (down_after
	 * slow rounds are), and being up needs no reason */
	feed(PORTAL, OUT_OK);
	feed(PORTAL, OUT_SLOW);
	expect_change(5, PORTAL, TS_DOWN, TS_UP);
	EXPECT_TRUE(changes[5].why == NULL);
	for (int i = 0; i < 3; i++)
		feed(PORTAL, OUT_FAIL);
	expect_change(6, PORTAL, TS_UP, TS_DOWN);
	/* slow all along while down: back as degraded */
	feed(PORTAL, OUT_SLOW);
	feed(PORTAL, OUT_SLOW);
	EXPECT_EQ_INT(TS_UP, st[PORTAL].state);	/* 2 < down_after */
	feed(PORTAL, OUT_SLOW);
	expect_change(7, PORTAL, TS_DOWN, TS_UP);
	expect_change(8, PORTAL, TS_UP, TS_DEGRADED);
	return 0;
}

DEF_TEST(classify)
{
	struct round_stats rs = { .sent = 20, .received = 20, .loss_pct = 0,
		.median = .1, .jitter = .01 };
	char why[96];

	reset();
	EXPECT_EQ_INT(OUT_OK, state_classify(&conf, LINH, &rs, NULL, NULL,
	    why, sizeof(why)));
	rs.median = .301;
	EXPECT_EQ_INT(OUT_SLOW, state_classify(&conf, LINH, &rs, NULL, NULL,
	    why, sizeof(why)));
	EXPECT_CONTAINS(why, "rtt 301.0 ms");
	rs.median = .1;
	rs.received = 18;
	rs.loss_pct = 10;
	EXPECT_EQ_INT(OUT_SLOW, state_classify(&conf, LINH, &rs, NULL, NULL,
	    why, sizeof(why)));
	EXPECT_CONTAINS(why, "loss 10.0%");
	rs.loss_pct = 0;
	rs.jitter = .06;
	EXPECT_EQ_INT(OUT_SLOW, state_classify(&conf, LINH, &rs, NULL, NULL,
	    why, sizeof(why)));
	defs[LINH].degraded.jitter_ms = 0;	/* 0 = threshold off */
	EXPECT_EQ_INT(OUT_OK, state_classify(&conf, LINH, &rs, NULL, NULL,
	    why, sizeof(why)));
	rs.received = 0;
	EXPECT_EQ_INT(OUT_FAIL, state_classify(&conf, LINH, &rs,
	    "network unreachable", NULL, why, sizeof(why)));
	EXPECT_EQ_STR("network unreachable", why);
	/* a probe's own "answered, but degraded" (http: a certificate
	 * about to expire); it never turns a failed round into a slow one */
	EXPECT_EQ_INT(OUT_FAIL, state_classify(&conf, LINH, &rs,
	    "timed out", "certificate expires in 3 days", why, sizeof(why)));
	EXPECT_EQ_STR("timed out", why);
	rs.received = 20;
	rs.jitter = .01;
	EXPECT_EQ_INT(OUT_SLOW, state_classify(&conf, LINH, &rs, NULL,
	    "certificate expires in 3 days", why, sizeof(why)));
	EXPECT_EQ_STR("certificate expires in 3 days", why);
	EXPECT_EQ_INT(OUT_OK, state_classify(&conf, LINH, &rs, NULL, "",
	    why, sizeof(why)));
	return 0;
}

static void
all_up(void)
{
	for (int i = 0; i < N; i++)
		feed(i, OUT_OK);
	nchanges = 0;
}

/* A WAN cut: the communes' rounds fail first (phases differ), yet none
 * is ever reported down: they wait for the parent and become
 * unreachable. */
DEF_TEST(wan_cut_makes_children_unreachable_not_down)
{
	reset();
	all_up();
	feed(LINH, OUT_FAIL);
	feed(WAN, OUT_FAIL);
	feed(CANG, OUT_FAIL);
	feed(LINH, OUT_FAIL);
	feed(WAN, OUT_FAIL);
	feed(CANG, OUT_FAIL);
	feed(LINH, OUT_FAIL);	/* down_after reached, parent failing */
	EXPECT_EQ_INT(0, nchanges);
	EXPECT_EQ_INT(1, st[LINH].pending);
	feed(WAN, OUT_FAIL);	/* parent down -> held child unreachable */
	expect_change(0, WAN, TS_UP, TS_DOWN);
	expect_change(1, LINH, TS_UP, TS_UNREACHABLE);
	EXPECT_EQ_INT(WAN, changes[1].parent);
	feed(CANG, OUT_FAIL);
	expect_change(2, CANG, TS_UP, TS_UNREACHABLE);
	EXPECT_EQ_INT(3, nchanges);
	/* more failures while the WAN is down change nothing */
	for (int i = 0; i < 5; i++) {
		feed(LINH, OUT_FAIL);
		feed(WAN, OUT_FAIL);
	}
	EXPECT_EQ_INT(3, nchanges);

	/* restore: WAN back; tra-linh answers again, tra-cang does not */
	feed(WAN, OUT_OK);
	feed(WAN, OUT_OK);
	expect_change(3, WAN, TS_DOWN, TS_UP);
	EXPECT_EQ_INT(0, st[CANG].fails);	/* re-checked afresh */
	feed(LINH, OUT_OK);
	feed(CANG, OUT_FAIL);
	feed(LINH, OUT_OK);
	expect_change(4, LINH, TS_UNREACHABLE, TS_UP);
	feed(CANG, OUT_FAIL);
	EXPECT_EQ_INT(TS_UNREACHABLE, st[CANG].state);
	feed(CANG, OUT_FAIL);
	/* held until a round of the WAN that began after them answers */
	EXPECT_EQ_INT(TS_UNREACHABLE, st[CANG].state);
	EXPECT_EQ_INT(1, st[CANG].pending);
	feed(WAN, OUT_OK);
	expect_change(5, CANG, TS_UNREACHABLE, TS_DOWN);
	EXPECT_EQ_INT(-1, changes[5].parent);
	return 0;
}

/* The round in which a link comes back is usually part lost. */
DEF_TEST(part_lost_round_on_recovery)
{
	reset();
	feed(PORTAL, OUT_OK);
	for (int i = 0; i < 3; i++)
		feed(PORTAL, OUT_FAIL);
	feed(PORTAL, OUT_SLOW);
	feed(PORTAL, OUT_OK);
	expect_change(2, PORTAL, TS_DOWN, TS_UP);
	EXPECT_EQ_INT(3, nchanges);
	return 0;
}

DEF_TEST(child_down_alone_while_parent_answers)
{
	reset();
	all_up();
	for (int i = 0; i < 3; i++) {
		feed(WAN, OUT_OK);
		feed(LINH, OUT_FAIL);
	}
	expect_change(0, LINH, TS_UP, TS_DOWN);
	EXPECT_EQ_INT(1, nchanges);
	return 0;
}

DEF_TEST(held_child_is_down_when_parent_answers)
{
	reset();
	all_up();
	feed(WAN, OUT_FAIL);	/* one lost round of the WAN router */
	for (int i = 0; i < 3; i++)
		feed(LINH, OUT_FAIL);
	EXPECT_EQ_INT(0, nchanges);
	feed(WAN, OUT_OK);	/* the WAN is fine: tra-linh is really down */
	expect_change(0, LINH, TS_UP, TS_DOWN);
	EXPECT_EQ_INT(1, nchanges);
	return 0;
}

/* A child that fails down_after rounds before its parent even had a
 * round (a web check every few seconds behind a ping parent whose round
 * takes the whole interval): held; the parent's next round decides. */
static void
feed_at(int t, enum outcome out, time_t started)
{
	struct round_stats rs = { .sent = 1, .received = out != OUT_FAIL };

	now += 3;
	state_round(&model, t, out, &rs, out == OUT_FAIL ? "timeout" : NULL,
	    started, now);
}

DEF_TEST(fast_child_waits_for_a_fresh_parent_round)
{
	time_t cut;

	reset();
	all_up();
	cut = now;
	/* the WAN's round began before the cut and got its answers then */
	feed_at(WAN, OUT_OK, cut - 50);
	for (int i = 0; i < 3; i++)
		feed_at(LINH, OUT_FAIL, now);
	EXPECT_EQ_INT(0, nchanges);
	EXPECT_EQ_INT(1, st[LINH].pending);
	/* its next round, begun after, fails: the WAN is cut, not Trà Linh */
	for (int i = 0; i < 3; i++)
		feed_at(WAN, OUT_FAIL, now);
	expect_change(0, WAN, TS_UP, TS_DOWN);
	expect_change(1, LINH, TS_UP, TS_UNREACHABLE);

	/* the same, but the WAN's fresh round answers: Trà Linh is down */
	reset();
	all_up();
	cut = now;
	feed_at(WAN, OUT_OK, cut - 50);
	for (int i = 0; i < 3; i++)
		feed_at(LINH, OUT_FAIL, now);
	feed_at(WAN, OUT_OK, cut - 10);	/* began before: no proof */
	EXPECT_EQ_INT(0, nchanges);
	feed_at(WAN, OUT_OK, now);
	expect_change(0, LINH, TS_UP, TS_DOWN);
	return 0;
}

DEF_TEST(down_child_becomes_unreachable_when_parent_fails)
{
	reset();
	all_up();
	for (int i = 0; i < 3; i++)
		feed(LINH, OUT_FAIL);
	feed(WAN, OUT_OK);
	expect_change(0, LINH, TS_UP, TS_DOWN);
	for (int i = 0; i < 3; i++)
		feed(WAN, OUT_FAIL);
	expect_change(1, WAN, TS_UP, TS_DOWN);
	expect_change(2, LINH, TS_DOWN, TS_UNREACHABLE);
	return 0;
}

DEF_TEST(names)
{
	EXPECT_EQ_STR("unreachable", tstate_name(TS_UNREACHABLE));
	EXPECT_EQ_INT(TS_DEGRADED, tstate_parse("degraded"));
	EXPECT_EQ_INT(-1, tstate_parse("Up"));
	return 0;
}

int
main(void)
{
	RUN_TEST(first_answer_decides);
	RUN_TEST(down_after_and_up_after);
	RUN_TEST(unknown_goes_down_without_ever_answering);
	RUN_TEST(degraded);
	RUN_TEST(classify);
	RUN_TEST(wan_cut_makes_children_unreachable_not_down);
	RUN_TEST(part_lost_round_on_recovery);
	RUN_TEST(child_down_alone_while_parent_answers);
	RUN_TEST(held_child_is_down_when_parent_answers);
	RUN_TEST(fast_child_waits_for_a_fresh_parent_round);
	RUN_TEST(down_child_becomes_unreachable_when_parent_fails);
	RUN_TEST(names);
	END_TEST;
}
