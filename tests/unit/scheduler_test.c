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
#define INTERVAL_NS 1000000000LL
#define ROUNDS 3		/* each target runs this many, then we stop */
#define MAX_MS 30000		/* bound on a very slow machine */

/* A probe written for this test: a round answers after `delay_ms`. */
struct fake {
	int idx;
	int delay_ms;
	struct event_base *base;
};

/*
 * Each round's due time (the schedule) and start time (the loop's
 * punctuality).  Assertions are on the schedule; the start is used only
 * to explain a skipped round, so a slow or loaded machine (valgrind,
 * sanitizers, a busy CI host) cannot fail the test.
 */
static int64_t t0;
static int64_t added[N];	/* when each was given to the scheduler */
static int64_t due[N][ROUNDS];
static int64_t started[N][ROUNDS];
static int nstarts[N];
static int ncomplete;
static int cancelled;

struct pending {
	struct tm_round *round;
	struct event *ev;
	int slot;		/* in inflight[] */
};

static struct pending *inflight[N * 16];
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
	sched_round_done(p->round, &r);
	free(p);
}

static void
fake_start(void *target, struct tm_round *round)
{
	struct fake *f = target;
	struct pending *p = xcalloc(1, sizeof(*p));
	struct timeval tv = { 0, f->delay_ms * 1000 };
	int k = nstarts[f->idx]++;

	if (k < ROUNDS) {
		due[f->idx][k] = sched_round_due(round) - t0;
		started[f->idx][k] = mono_ns() - t0;
		if (k == ROUNDS - 1 && ++ncomplete == N)
			event_base_loopbreak(f->base);
	}
	p->round = round;
	p->ev = evtimer_new(f->base, answer, p);
	evtimer_add(p->ev, &tv);
	if (ninflight == (int)(sizeof(inflight) / sizeof(inflight[0])))
		abort();	/* far more rounds than the schedule allows */
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
on_result(void *owner, const struct tm_result *res, time_t started_at)
{
	(void)owner;
	(void)res;
	(void)started_at;
}

DEF_TEST(spread_cadence_and_no_backoff)
{
	struct event_base *base = sched_base_new();
	static struct fake fakes[N];
	static struct tm_target_conf tcs[N];
	static char ids[N][16];
	struct sched_target *st[N];
	struct timeval cap = { MAX_MS / 1000, 0 };
	int buckets[10] = { 0 }, worst = 0;
	unsigned inflight_before;

	t0 = mono_ns();
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "tra-%03d", i);
		tcs[i].id = ids[i];
		tcs[i].interval = (double)INTERVAL_NS / 1e9;
		fakes[i].idx = i;
		fakes[i].base = base;
		/* every tenth target answers after 1.5 intervals */
		fakes[i].delay_ms = i % 10 == 0 ? 1500 : 20;
		added[i] = mono_ns() - t0;
		st[i] = sched_add(base, &fake_probe, &fakes[i], &tcs[i],
		    on_result, &fakes[i]);
	}
	event_base_loopexit(base, &cap);
	event_base_dispatch(base);
	EXPECT_EQ_INT(N, ncomplete);

	for (int i = 0; i < N; i++) {
		/* first rounds are due within the first interval after
		 * they were added (adding 200 takes a while under
		 * valgrind) */
		int b = (int)((due[i][0] - added[i]) * 10 / INTERVAL_NS);

		if (b < 0 || b >= 10)
			FAIL_HERE("%s first due %lld ms after it was added",
			    ids[i], (long long)((due[i][0] - added[i]) /
			    1000000));
		buckets[b]++;
		for (int k = 1; k < ROUNDS; k++) {
			int64_t gap = due[i][k] - due[i][k - 1];
			int64_t late = started[i][k - 1] - due[i][k - 1];

			/* one round per interval, slow answers or not;
			 * a round is skipped only when the loop was a
			 * whole interval late, and the phase is kept */
			if (gap % INTERVAL_NS != 0 || gap < INTERVAL_NS)
				FAIL_HERE("%s: rounds due %lld ns apart",
				    ids[i], (long long)gap);
			if (gap > INTERVAL_NS && late < INTERVAL_NS)
				FAIL_HERE("%s: round skipped though only %lld "
				    "ms late", ids[i],
				    (long long)(late / 1000000));
			if (started[i][k] < due[i][k])
				FAIL_HERE("%s: started %lld ns before it was "
				    "due", ids[i], (long long)(due[i][k] -
				    started[i][k]));
		}
	}
	for (int b = 0; b < 10; b++)
		if (buckets[b] > worst)
			worst = buckets[b];
	/* 200 targets over ten 100 ms slots: about 20 each, never a burst */
	if (worst > 45)
		FAIL_HERE("%d of %d targets due in one 100 ms slot", worst, N);

	/* rounds still running (the slow ones) are cancelled, once each */
	inflight_before = sched_running();
	EXPECT_TRUE(inflight_before > 0);
	for (int i = 0; i < N; i++)
		sched_remove(st[i]);
	EXPECT_EQ_INT(0, sched_running());
	EXPECT_EQ_INT((int)inflight_before, cancelled);
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
