/*
 * The scheduler on a real libevent loop: targets are spread over their
 * interval (no burst at :00), each keeps its cadence, a probe that is
 * slower than the interval is still started every interval (no back-off),
 * and removing a target cancels its running rounds.
 */
#include "config.h"

#include <event2/event.h>

#include "probe.h"
#include "scheduler.h"
#include "test.h"
#include "util.h"

#define N 200
#define INTERVAL 1.0

/* A probe written for this test: a round answers after `delay_ms`. */
struct fake {
	int idx;
	int delay_ms;
	struct event_base *base;
};

static int64_t t0;
static int64_t starts[N][8];
static int nstarts[N];
static int results[N];
static int cancelled;
static int pending_done;

struct pending {
	struct tm_round *round;
	struct event *ev;
	int slot;		/* in inflight[] */
};

static struct pending *inflight[N * 8];
static int ninflight;

static void
answer(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	double rtt = .001;
	struct tm_result r = { .sent = 1, .received = 1, .rtt = &rtt };

	(void)fd;
	(void)what;
	event_free(p->ev);
	inflight[p->slot] = NULL;
	pending_done++;
	sched_round_done(p->round, &r);
	free(p);
}

static void
fake_start(void *target, struct tm_round *round)
{
	struct fake *f = target;
	struct pending *p = xcalloc(1, sizeof(*p));
	struct timeval tv = { 0, f->delay_ms * 1000 };

	if (nstarts[f->idx] < 8)
		starts[f->idx][nstarts[f->idx]] = mono_ns() - t0;
	nstarts[f->idx]++;
	p->round = round;
	p->ev = evtimer_new(f->base, answer, p);
	evtimer_add(p->ev, &tv);
	p->slot = ninflight;
	inflight[ninflight++] = p;
}

static void
fake_cancel(void *target, struct tm_round *round)
{
	(void)target;
	for (int i = 0; i < ninflight; i++)
		if (inflight[i] && inflight[i]->round == round) {
			event_free(inflight[i]->ev);
			free(inflight[i]);
			inflight[i] = NULL;
			cancelled++;
		}
}

static void
fake_release(void *target)
{
	(void)target;
}

static const struct tm_probe_ops fake_ops = {
	.abi = TM_PLUGIN_ABI, .name = "fake",
	.start = fake_start, .cancel = fake_cancel, .release = fake_release,
};
static struct probe fake_probe = { .ops = &fake_ops };

static void
on_result(void *owner, const struct tm_result *res, time_t started)
{
	struct fake *f = owner;

	(void)res;
	(void)started;
	results[f->idx]++;
}

static void
run_for(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

DEF_TEST(spread_cadence_and_no_backoff)
{
	struct event_base *base = event_base_new();
	static struct fake fakes[N];
	static struct tm_target_conf tcs[N];
	static char ids[N][16];
	struct sched_target *st[N];
	int buckets[10] = { 0 }, worst = 0, late = 0;

	t0 = mono_ns();
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "tra-%03d", i);
		tcs[i].id = ids[i];
		tcs[i].interval = INTERVAL;
		fakes[i].idx = i;
		fakes[i].base = base;
		/* every tenth target answers after 1.5 intervals */
		fakes[i].delay_ms = i % 10 == 0 ? 1500 : 20;
		st[i] = sched_add(base, &fake_probe, &fakes[i], &tcs[i],
		    on_result, &fakes[i]);
	}
	run_for(base, 3300);

	for (int i = 0; i < N; i++) {
		/* first rounds spread over the first interval (a loop
		 * slowed down by valgrind may start one a little late) */
		int b = (int)(starts[i][0] / 100000000);

		if (b >= 0 && b < 10)
			buckets[b]++;
		else if (b > 11)
			late++;
		/* three or four rounds in 3.3 s: one per interval, slow
		 * answers or not */
		if (nstarts[i] < 3 || nstarts[i] > 4)
			FAIL_HERE("%s started %d rounds", ids[i], nstarts[i]);
		for (int k = 1; k < nstarts[i] && k < 8; k++) {
			int64_t gap = starts[i][k] - starts[i][k - 1];

			/* the loop's own delays are not the schedule's:
			 * only a lost or doubled round fails this */
			if (gap < 800000000 || gap > 1200000000)
				FAIL_HERE("%s: %lld ms between rounds", ids[i],
				    (long long)(gap / 1000000));
		}
	}
	for (int b = 0; b < 10; b++)
		if (buckets[b] > worst)
			worst = buckets[b];
	EXPECT_EQ_INT(0, late);
	/* 200 targets over ten 100 ms slots: about 20 each, never a burst */
	if (worst > 45)
		FAIL_HERE("%d of %d targets started in one 100 ms slot", worst,
		    N);
	EXPECT_TRUE(sched_running() > 0);	/* the slow ones */

	for (int i = 0; i < N; i++)
		sched_remove(st[i]);
	EXPECT_EQ_INT(0, sched_running());
	EXPECT_TRUE(cancelled >= N / 10);	/* the slow rounds in flight */
	for (int i = 0; i < ninflight; i++)
		EXPECT_TRUE(inflight[i] == NULL);	/* nothing left over */
	event_base_free(base);
	return 0;
}

DEF_TEST(phase_is_stable)
{
	EXPECT_TRUE(sched_phase("tra-linh") == sched_phase("tra-linh"));
	EXPECT_TRUE(sched_phase("tra-linh") != sched_phase("tra-cang"));
	EXPECT_TRUE(sched_phase("x") >= 0 && sched_phase("x") < 1);
	return 0;
}

int
main(void)
{
	RUN_TEST(spread_cadence_and_no_backoff);
	RUN_TEST(phase_is_stable);
	END_TEST;
}
