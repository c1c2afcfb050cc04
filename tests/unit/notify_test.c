/*
 * The alert policy, fed by the real state model: what is notified, when,
 * and what is not.
 */
#include "config.h"

#include <stdlib.h>

#include "conf.h"
#include "notify.h"
#include "state.h"
#include "test.h"

#define N 5	/* wan; tra-linh, tra-cang behind it; portal; core-sw */
enum { WAN, LINH, CANG, PORTAL, SW };

static struct target_def defs[N];
static struct maint_def maint[1];
static struct conf conf = { .targets = defs, .ntargets = N };
static struct tstatus st[N];
static struct notify *nf;
static time_t now;

#define MAXN 64
static struct got {
	enum notice_kind kind;
	int target;
	time_t at, since;
	enum tstate state;
	int nchildren, children[N];
	int late;
	char instance[32];
	char why[64];
} got[MAXN];
static int ngot;

static void
on_notice(void *arg, const struct notice *no)
{
	struct got *g;

	(void)arg;
	if (ngot == MAXN)
		return;
	g = &got[ngot++];
	g->kind = no->kind;
	g->target = no->target;
	g->at = no->at;
	g->since = no->since;
	g->state = no->state;
	g->late = no->late;
	g->nchildren = (int)no->nchildren;
	for (size_t i = 0; i < no->nchildren && i < N; i++)
		g->children[i] = no->children[i];
	snprintf(g->instance, sizeof(g->instance), "%s",
	    no->instance ? no->instance : "");
	snprintf(g->why, sizeof(g->why), "%s", no->why ? no->why : "");
}

static void
changed(void *arg, const struct state_change *ch)
{
	(void)arg;
	notify_state(nf, ch);
}

static struct state_model model = { &conf, st, changed, NULL };

static void
reset(void)
{
	static char *ids[N] = { "wan", "tra-linh", "tra-cang", "portal",
		"core-sw" };

	notify_free(nf);
	for (int i = 0; i < N; i++) {
		memset(&defs[i], 0, sizeof(defs[i]));
		defs[i].pub.id = ids[i];
		defs[i].pub.interval = 20;
		defs[i].down_after = 3;
		defs[i].up_after = 2;
		defs[i].degraded.loss_pct = 5;
		defs[i].parent = (i == LINH || i == CANG) ? WAN : -1;
		memset(&st[i], 0, sizeof(st[i]));
		st[i].state = TS_UNKNOWN;
	}
	conf.nmaintenance = 0;
	conf.maintenance = maint;
	ngot = 0;
	now = 1795700000;	/* 2026-11-26, a Thursday */
	nf = notify_new(&conf, st, on_notice, NULL);
}

/* One round of target t, `dt` seconds after the previous event. */
static void
round_of(int t, enum outcome out, int dt)
{
	struct round_stats rs = { .sent = 10, .received = 10, .median = .01 };

	if (out == OUT_FAIL)
		rs.received = 0;
	if (out == OUT_SLOW)
		rs.loss_pct = 20;
	now += dt;
	state_round(&model, t, out, &rs, out == OUT_FAIL ? "timeout" :
	    out == OUT_SLOW ? "loss 20.0% > 5.0%" : NULL, now, now);
	notify_tick(nf, now);
}

/* `secs` pass, the policy looking every 5 s. */
static void
wait_for(int secs)
{
	for (int i = 0; i < secs; i += 5) {
		now += 5;
		notify_tick(nf, now);
	}
}

/* tramond stops and starts again: what the policy saved is restored. */
static void
restart(void)
{
	json_t *saved = notify_save(nf);

	notify_free(nf);
	nf = notify_new(&conf, st, on_notice, NULL);
	notify_restore(nf, saved);
	json_decref(saved);
}

/* Every target answers, a few rounds: all up, nothing notified. */
static void
all_up(void)
{
	for (int r = 0; r < 2; r++)
		for (int i = 0; i < N; i++)
			round_of(i, OUT_OK, 1);
	ngot = 0;
}

static int
count(enum notice_kind k, int target)
{
	int n = 0;

	for (int i = 0; i < ngot; i++)
		if (got[i].kind == k && (target < 0 || got[i].target == target))
			n++;
	return n;
}

DEF_TEST(down_then_up_with_duration)
{
	time_t down_at;

	reset();
	all_up();
	round_of(PORTAL, OUT_FAIL, 20);
	down_at = now;	/* the outage began with the first failed round */
	round_of(PORTAL, OUT_FAIL, 20);
	EXPECT_EQ_INT(0, ngot);
	round_of(PORTAL, OUT_FAIL, 20);
	EXPECT_EQ_INT(down_at, got[0].at);
	/* no children: said at once, with the reason */
	EXPECT_EQ_INT(1, ngot);
	EXPECT_EQ_INT(NK_DOWN, got[0].kind);
	EXPECT_EQ_INT(PORTAL, got[0].target);
	EXPECT_EQ_STR("timeout", got[0].why);
	EXPECT_EQ_INT(0, got[0].nchildren);
	wait_for(600);
	EXPECT_EQ_INT(1, ngot);		/* no reminder configured */
	round_of(PORTAL, OUT_OK, 20);
	round_of(PORTAL, OUT_OK, 20);
	EXPECT_EQ_INT(2, ngot);
	EXPECT_EQ_INT(NK_UP, got[1].kind);
	EXPECT_EQ_INT(down_at, got[1].since);
	EXPECT_EQ_INT(now, got[1].at);
	return 0;
}

/* A WAN cut: one notice naming the communes; none of their own; the
 * one that stays down is reported once the WAN is back. */
DEF_TEST(parent_outage_one_notice)
{
	reset();
	all_up();
	/* all three fail; the communes' rounds fall before and after the
	 * WAN's in each interval */
	for (int r = 0; r < 3; r++) {
		round_of(LINH, OUT_FAIL, 5);
		round_of(WAN, OUT_FAIL, 5);
		round_of(CANG, OUT_FAIL, 5);
		now += 5;
	}
	EXPECT_EQ_STR("down", tstate_name(st[WAN].state));
	EXPECT_EQ_STR("unreachable", tstate_name(st[LINH].state));
	/* Trà Cang fails its third round after the WAN went down: the
	 * notice waits for it */
	EXPECT_EQ_STR("unreachable", tstate_name(st[CANG].state));
	wait_for(30);
	EXPECT_EQ_INT(1, ngot);
	EXPECT_EQ_INT(NK_DOWN, got[0].kind);
	EXPECT_EQ_INT(WAN, got[0].target);
	EXPECT_EQ_INT(2, got[0].nchildren);
	EXPECT_EQ_INT(LINH, got[0].children[0]);
	EXPECT_EQ_INT(CANG, got[0].children[1]);
	wait_for(600);
	EXPECT_EQ_INT(1, ngot);

	/* the WAN returns; Trà Linh answers, Trà Cang does not */
	round_of(WAN, OUT_OK, 20);
	round_of(WAN, OUT_OK, 20);
	EXPECT_EQ_INT(2, ngot);
	EXPECT_EQ_INT(NK_UP, got[1].kind);
	EXPECT_EQ_INT(WAN, got[1].target);
	round_of(LINH, OUT_OK, 5);
	round_of(LINH, OUT_OK, 5);
	EXPECT_EQ_STR("up", tstate_name(st[LINH].state));
	EXPECT_EQ_INT(2, ngot);		/* it was never said down */
	/* re-checked: down_after fresh failures before it is reported */
	round_of(CANG, OUT_FAIL, 5);
	round_of(CANG, OUT_FAIL, 20);
	EXPECT_EQ_INT(2, ngot);
	round_of(CANG, OUT_FAIL, 20);
	/* ... and a round of the WAN that began after them answers */
	EXPECT_EQ_INT(2, ngot);
	round_of(WAN, OUT_OK, 5);
	EXPECT_EQ_INT(3, ngot);
	EXPECT_EQ_INT(NK_DOWN, got[2].kind);
	EXPECT_EQ_INT(CANG, got[2].target);
	return 0;
}

/* A parent back before its notice settled: both are said. */
DEF_TEST(parent_back_before_settled)
{
	reset();
	all_up();
	for (int r = 0; r < 3; r++)
		round_of(WAN, OUT_FAIL, 20);
	EXPECT_EQ_INT(0, ngot);
	round_of(WAN, OUT_OK, 5);
	round_of(WAN, OUT_OK, 5);
	EXPECT_EQ_INT(2, ngot);
	EXPECT_EQ_INT(NK_DOWN, got[0].kind);
	EXPECT_EQ_INT(NK_UP, got[1].kind);
	wait_for(60);
	EXPECT_EQ_INT(2, ngot);
	return 0;
}

DEF_TEST(degraded_and_normal)
{
	reset();
	all_up();
	for (int r = 0; r < 3; r++)
		round_of(PORTAL, OUT_SLOW, 20);
	EXPECT_EQ_INT(1, ngot);
	EXPECT_EQ_INT(NK_DEGRADED, got[0].kind);
	EXPECT_EQ_STR("loss 20.0% > 5.0%", got[0].why);
	round_of(PORTAL, OUT_OK, 20);
	round_of(PORTAL, OUT_OK, 20);
	EXPECT_EQ_INT(2, ngot);
	EXPECT_EQ_INT(NK_NORMAL, got[1].kind);
	return 0;
}

/* Down and up every minute: one FLAPPING notice, then silence, then
 * STABLE once it kept one state long enough. */
DEF_TEST(flapping_one_notice)
{
	defs[PORTAL].up_after = 1;
	reset();
	defs[PORTAL].down_after = 1;
	defs[PORTAL].up_after = 1;
	all_up();
	for (int r = 0; r < 10; r++) {
		round_of(PORTAL, OUT_FAIL, 30);
		round_of(PORTAL, OUT_OK, 30);
	}
	EXPECT_EQ_INT(1, count(NK_FLAPPING, PORTAL));
	/* before it: DOWN, UP, DOWN, UP, DOWN (the sixth change flaps) */
	EXPECT_EQ_INT(3, count(NK_DOWN, PORTAL));
	EXPECT_EQ_INT(2, count(NK_UP, PORTAL));
	EXPECT_EQ_INT(6, ngot);
	wait_for(FLAP_QUIET - 60);
	EXPECT_EQ_INT(6, ngot);
	wait_for(120);
	EXPECT_EQ_INT(7, ngot);
	EXPECT_EQ_INT(NK_STABLE, got[6].kind);
	EXPECT_EQ_STR("up", tstate_name(got[6].state));
	/* and notices resume */
	round_of(PORTAL, OUT_FAIL, 30);
	EXPECT_EQ_INT(NK_DOWN, got[ngot - 1].kind);
	return 0;
}

DEF_TEST(reminders_until_ack)
{
	reset();
	defs[PORTAL].repeat_minutes = 10;
	all_up();
	for (int r = 0; r < 3; r++)
		round_of(PORTAL, OUT_FAIL, 20);
	EXPECT_EQ_INT(1, ngot);
	wait_for(10 * 60 - 10);
	EXPECT_EQ_INT(1, ngot);
	wait_for(20);
	EXPECT_EQ_INT(2, ngot);
	EXPECT_EQ_INT(NK_REMINDER, got[1].kind);
	wait_for(10 * 60);
	EXPECT_EQ_INT(3, count(NK_REMINDER, PORTAL) + 1);
	EXPECT_EQ_INT(0, notify_ack(nf, PORTAL, now));
	wait_for(60 * 60);
	EXPECT_EQ_INT(2, count(NK_REMINDER, PORTAL));
	EXPECT_EQ_INT(-1, notify_ack(nf, WAN, now));	/* not down */
	/* recovery ends the acknowledgement */
	round_of(PORTAL, OUT_OK, 20);
	round_of(PORTAL, OUT_OK, 20);
	EXPECT_EQ_INT(1, count(NK_UP, PORTAL));
	for (int r = 0; r < 3; r++)
		round_of(PORTAL, OUT_FAIL, 20);
	wait_for(11 * 60);
	EXPECT_EQ_INT(3, count(NK_REMINDER, PORTAL));
	return 0;
}

/* Ad-hoc maintenance: nothing said inside; still down at the end: said
 * then, marked late. */
DEF_TEST(adhoc_maintenance)
{
	const char *reason;

	reset();
	all_up();
	notify_maintenance(nf, PORTAL, now + 3600, "thay router", now);
	EXPECT_EQ_INT(1, ngot);
	EXPECT_EQ_INT(NK_MAINT_START, got[0].kind);
	EXPECT_EQ_STR("thay router", got[0].why);
	EXPECT_TRUE(notify_in_maintenance(nf, PORTAL, now));
	EXPECT_TRUE(notify_adhoc(nf, PORTAL, &reason) == now + 3600);
	EXPECT_EQ_STR("thay router", reason);
	for (int r = 0; r < 3; r++)
		round_of(PORTAL, OUT_FAIL, 20);
	notify_event(nf, PORTAL, "reboot", NULL, "uptime went back", now);
	EXPECT_EQ_INT(1, ngot);
	wait_for(3600);
	EXPECT_EQ_INT(3, ngot);
	EXPECT_EQ_INT(NK_MAINT_END, got[1].kind);
	EXPECT_EQ_INT(NK_DOWN, got[2].kind);
	EXPECT_EQ_INT(1, got[2].late);
	EXPECT_TRUE(!notify_in_maintenance(nf, PORTAL, now));

	/* ended early by hand, the target up all along: start, end only */
	ngot = 0;
	notify_maintenance(nf, WAN, now + 600, NULL, now);
	notify_maintenance(nf, WAN, 0, NULL, now + 60);
	EXPECT_EQ_INT(2, ngot);
	EXPECT_EQ_INT(NK_MAINT_END, got[1].kind);
	return 0;
}

/* A weekly window from the configuration. */
DEF_TEST(weekly_window)
{
	char *all[] = { "*", NULL };
	struct tm tm;

	reset();
	localtime_r(&now, &tm);
	maint[0] = (struct maint_def){ .targets = all, .weekly = 1,
		.wday = tm.tm_wday,
		.start_min = tm.tm_hour * 60 + tm.tm_min + 10,
		.end_min = tm.tm_hour * 60 + tm.tm_min + 20,
		.reason = "bảo trì định kỳ" };
	if (maint[0].end_min > 24 * 60) {
		printf("# skipped: too close to midnight\n");
		return 0;
	}
	conf.nmaintenance = 1;
	all_up();
	ngot = 0;
	wait_for(10 * 60 + 60);
	EXPECT_EQ_INT(N, count(NK_MAINT_START, -1));
	EXPECT_EQ_STR("bảo trì định kỳ", got[0].why);
	notify_event(nf, SW, "port_down", "Gi1/0/1", "far end", now);
	EXPECT_EQ_INT(0, count(NK_PORT_DOWN, -1));
	wait_for(10 * 60);
	EXPECT_EQ_INT(N, count(NK_MAINT_END, -1));
	notify_event(nf, SW, "port_down", "Gi1/0/1", "far end", now);
	EXPECT_EQ_INT(1, count(NK_PORT_DOWN, SW));
	EXPECT_EQ_STR("Gi1/0/1", got[ngot - 1].instance);
	conf.nmaintenance = 0;
	return 0;
}

DEF_TEST(switch_events)
{
	reset();
	all_up();
	notify_event(nf, SW, "reboot", NULL, "uptime 12 d -> 0:00:41", now);
	notify_event(nf, SW, "port_up", "Gi1/0/1", NULL, now);
	notify_event(nf, SW, "something_else", NULL, NULL, now);
	EXPECT_EQ_INT(2, ngot);
	EXPECT_EQ_INT(NK_REBOOT, got[0].kind);
	EXPECT_EQ_STR("uptime 12 d -> 0:00:41", got[0].why);
	EXPECT_EQ_INT(NK_PORT_UP, got[1].kind);
	return 0;
}

/* A restart between DOWN and UP: the UP is still said. */
DEF_TEST(survives_restart)
{
	time_t down_at;

	reset();
	defs[PORTAL].repeat_minutes = 30;
	all_up();
	for (int r = 0; r < 3; r++) {
		round_of(PORTAL, OUT_FAIL, 20);
		if (r == 0)
			down_at = now;
	}
	notify_ack(nf, PORTAL, now);
	notify_maintenance(nf, WAN, now + 7200, "đường truyền", now);
	restart();
	ngot = 0;
	wait_for(3600);
	EXPECT_EQ_INT(0, ngot);		/* acked: no reminder; WAN quiet */
	EXPECT_TRUE(notify_in_maintenance(nf, WAN, now));
	round_of(PORTAL, OUT_OK, 20);
	round_of(PORTAL, OUT_OK, 20);
	EXPECT_EQ_INT(1, ngot);
	EXPECT_EQ_INT(NK_UP, got[0].kind);
	EXPECT_EQ_INT(down_at, got[0].since);
	return 0;
}

/* Every target fails a round, `dt` seconds apart. */
static void
all_rounds(enum outcome out, int dt)
{
	for (int i = 0; i < N; i++)
		round_of(i, out, dt);
}

static int
find(enum notice_kind k)
{
	for (int i = 0; i < ngot; i++)
		if (got[i].kind == k)
			return i;
	return -1;
}

/* The roots (wan, portal, core-sw) all down: the monitor is cut off;
 * a root back: hold; settled: one DIGEST. */
DEF_TEST(way_out_cut_then_digest)
{
	time_t reconnected, since;
	int i;

	reset();
	all_up();
	for (int r = 0; r < 3; r++)
		all_rounds(OUT_FAIL, 4);
	EXPECT_EQ_INT(1, count(NK_CUT, -1));
	i = find(NK_CUT);
	/* since: the last root's first failed round (core-sw's, the 5th
	 * target of the first cycle) */
	EXPECT_EQ_INT(st[SW].streak_since, got[i].since);
	EXPECT_EQ_INT(got[i].since, notify_cut_since(nf, NULL));
	EXPECT_TRUE(!(notify_holding(nf)));
	ngot = 0;
	wait_for(600);
	EXPECT_EQ_INT(0, count(NK_DIGEST, -1));

	/* the WAN router answers first: reconnected, from its first good
	 * round; held until the others have had time */
	round_of(WAN, OUT_OK, 4);
	reconnected = now;
	round_of(WAN, OUT_OK, 20);
	EXPECT_EQ_INT(1, count(NK_RECONNECTED, WAN));
	EXPECT_EQ_INT(reconnected, got[find(NK_RECONNECTED)].at);
	EXPECT_TRUE(notify_holding(nf));
	since = notify_cut_since(nf, NULL);
	for (int r = 0; r < 2; r++)
		for (i = 1; i < N; i++)
			round_of(i, OUT_OK, 4);
	EXPECT_EQ_INT(0, count(NK_DIGEST, -1));
	/* 2 rounds of 20 s for a root to be up, + 5 s, from the WAN's UP */
	wait_for(45);
	EXPECT_EQ_INT(1, count(NK_DIGEST, -1));
	i = find(NK_DIGEST);
	EXPECT_EQ_INT(-1, got[i].target);
	EXPECT_EQ_INT(since, got[i].since);
	EXPECT_EQ_INT(reconnected, got[i].at);
	EXPECT_TRUE(!(notify_holding(nf)));
	EXPECT_EQ_INT(0, notify_cut_since(nf, NULL));
	wait_for(600);
	EXPECT_EQ_INT(1, count(NK_DIGEST, -1));
	return 0;
}

/* One root only: its outage is its own, never a cut. */
DEF_TEST(way_out_one_root_is_no_cut)
{
	reset();
	defs[PORTAL].parent = defs[SW].parent = WAN;
	all_up();
	for (int r = 0; r < 3; r++)
		all_rounds(OUT_FAIL, 4);
	wait_for(60);
	EXPECT_EQ_INT(1, count(NK_DOWN, WAN));
	EXPECT_EQ_INT(0, count(NK_CUT, -1));
	EXPECT_EQ_INT(0, notify_cut_since(nf, NULL));
	return 0;
}

/* Some roots down is not a cut; a cut again before the digest goes on
 * from the first; a restart while held still holds. */
DEF_TEST(way_out_partial_again_restart)
{
	time_t since, rec;

	reset();
	all_up();
	for (int r = 0; r < 3; r++) {
		round_of(WAN, OUT_FAIL, 20);
		round_of(SW, OUT_FAIL, 0);
	}
	wait_for(60);
	EXPECT_EQ_INT(0, count(NK_CUT, -1));	/* the portal answers */
	for (int r = 0; r < 3; r++)
		round_of(PORTAL, OUT_FAIL, 20);
	EXPECT_EQ_INT(1, count(NK_CUT, PORTAL));
	since = notify_cut_since(nf, NULL);
	EXPECT_TRUE(since > 0);

	round_of(SW, OUT_OK, 20);
	round_of(SW, OUT_OK, 20);
	EXPECT_TRUE(notify_holding(nf));
	for (int r = 0; r < 3; r++)
		round_of(SW, OUT_FAIL, 5);
	EXPECT_EQ_INT(2, count(NK_CUT, -1));
	EXPECT_TRUE(!(notify_holding(nf)));
	EXPECT_EQ_INT(since, notify_cut_since(nf, &rec));
	EXPECT_EQ_INT(0, rec);

	round_of(PORTAL, OUT_OK, 20);
	round_of(PORTAL, OUT_OK, 20);
	EXPECT_TRUE(notify_holding(nf));
	restart();
	ngot = 0;
	EXPECT_TRUE(notify_holding(nf));
	EXPECT_EQ_INT(since, notify_cut_since(nf, NULL));
	wait_for(60);
	EXPECT_EQ_INT(1, count(NK_DIGEST, -1));
	EXPECT_EQ_INT(since, got[find(NK_DIGEST)].since);
	EXPECT_TRUE(!(notify_holding(nf)));

	/* saved while held, killed after the digest: the journal says it
	 * was made, the restart does not make it again */
	round_of(PORTAL, OUT_FAIL, 5);
	notify_replay(nf, -1, "cut", now);
	notify_replay(nf, -1, "reconnected", now);
	EXPECT_TRUE(notify_holding(nf));
	restart();
	notify_replay(nf, -1, "digest", now);
	EXPECT_TRUE(!(notify_holding(nf)));
	EXPECT_EQ_INT(0, notify_cut_since(nf, NULL));
	ngot = 0;
	wait_for(600);
	EXPECT_EQ_INT(0, count(NK_DIGEST, -1));
	return 0;
}

int
main(void)
{
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	RUN_TEST(down_then_up_with_duration);
	RUN_TEST(parent_outage_one_notice);
	RUN_TEST(parent_back_before_settled);
	RUN_TEST(degraded_and_normal);
	RUN_TEST(flapping_one_notice);
	RUN_TEST(reminders_until_ack);
	RUN_TEST(adhoc_maintenance);
	RUN_TEST(weekly_window);
	RUN_TEST(switch_events);
	RUN_TEST(survives_restart);
	RUN_TEST(way_out_cut_then_digest);
	RUN_TEST(way_out_one_root_is_no_cut);
	RUN_TEST(way_out_partial_again_restart);
	notify_free(nf);
	END_TEST;
}
