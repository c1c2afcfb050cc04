#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "probe.h"
#include "scheduler.h"
#include "util.h"

/* The first rounds after start-up are spread over at most this long, so
 * data appears soon even with long intervals. */
#define FIRST_SPREAD_NS (10LL * 1000000000)

struct tm_round {
	struct sched_target *t;
	time_t started;
	int64_t due_ns;            /* when the schedule wanted it started */
	struct tm_round *prev, *next;
};

struct sched_target {
	const struct probe *probe;
	void *probe_conf;
	const struct tm_target_conf *tc;
	sched_result_fn *fn;
	void *owner;
	struct event_base *base;
	struct event *timer;
	int64_t next_ns;           /* monotonic due time of the next round */
	struct tm_round *rounds;   /* running */
};

static unsigned running;
static sched_event_fn *on_event;

double
sched_phase(const char *id)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (double)(h % 100003) / 100003.0;
}

static int64_t
interval_ns(const struct sched_target *t)
{
	int64_t ns = (int64_t)(t->tc->interval * 1e9);

	return ns > 0 ? ns : 1000000000;
}

static void
arm(struct sched_target *t)
{
	int64_t now = mono_ns(), iv = interval_ns(t), delay;
	struct timeval tv;

	if (t->next_ns <= now) {
		/* Late (a stalled machine, a suspend): skip the missed
		 * rounds but keep the phase. */
		int64_t missed = (now - t->next_ns) / iv + 1;

		if (missed > 1)
			log_debug("%s: %lld round(s) skipped, machine was "
			    "busy or suspended", t->tc->id,
			    (long long)missed - 1);
		t->next_ns += missed * iv;
	}
	/* Rounded up, and from libevent's clock read now rather than its
	 * time cached at the start of this loop pass: never early. */
	delay = (t->next_ns - now + 999) / 1000;
	tv.tv_sec = delay / 1000000;
	tv.tv_usec = delay % 1000000;
	event_base_update_cache_time(t->base);
	evtimer_add(t->timer, &tv);
}

static void
round_start(evutil_socket_t fd, short what, void *arg)
{
	struct sched_target *t = arg;
	struct tm_round *r = xcalloc(1, sizeof(*r));

	(void)fd;
	(void)what;
	r->t = t;
	r->started = time(NULL);
	r->due_ns = t->next_ns;
	r->next = t->rounds;
	if (t->rounds)
		t->rounds->prev = r;
	t->rounds = r;
	running++;

	t->next_ns += interval_ns(t);
	arm(t);
	t->probe->ops->start(t->probe_conf, r);
}

static void
unlink_round(struct tm_round *r)
{
	struct sched_target *t = r->t;

	if (r->prev)
		r->prev->next = r->next;
	else
		t->rounds = r->next;
	if (r->next)
		r->next->prev = r->prev;
	running--;
}

void
sched_round_done(struct tm_round *r, const struct tm_result *res)
{
	struct sched_target *t = r->t;
	time_t started = r->started;

	unlink_round(r);
	free(r);
	t->fn(t->owner, res, started);
}

void
sched_on_event(sched_event_fn *fn)
{
	on_event = fn;
}

void
sched_round_event(struct tm_round *r, const char *kind, const char *instance,
    const char *text)
{
	if (on_event)
		on_event(r->t->owner, kind, instance, text);
}

struct event_base *
sched_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	/* libevent's default monotonic clock on Linux is the coarse one
	 * (a 4 ms tick): rounds and echo pacing would start up to a tick
	 * before they are due.  The precise clock costs a vDSO call. */
	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

struct sched_target *
sched_add(struct event_base *base, const struct probe *probe,
    void *probe_conf, const struct tm_target_conf *tc, sched_result_fn *fn,
    void *owner)
{
	struct sched_target *t = xcalloc(1, sizeof(*t));
	int64_t iv, spread;

	t->probe = probe;
	t->probe_conf = probe_conf;
	t->tc = tc;
	t->fn = fn;
	t->owner = owner;
	t->base = base;
	if ((t->timer = evtimer_new(base, round_start, t)) == NULL)
		fatalx("%s: evtimer_new failed", tc->id);
	iv = interval_ns(t);
	spread = iv < FIRST_SPREAD_NS ? iv : FIRST_SPREAD_NS;
	t->next_ns = mono_ns() + (int64_t)(sched_phase(tc->id) * spread);
	arm(t);
	return t;
}

void
sched_retarget(struct sched_target *t, const struct tm_target_conf *tc,
    void *owner)
{
	t->tc = tc;
	t->owner = owner;
}

void
sched_remove(struct sched_target *t)
{
	if (t == NULL)
		return;
	evtimer_del(t->timer);
	event_free(t->timer);
	while (t->rounds) {
		struct tm_round *r = t->rounds;

		unlink_round(r);
		t->probe->ops->cancel(t->probe_conf, r);
		free(r);
	}
	free(t);
}

int64_t
sched_round_due(const struct tm_round *r)
{
	return r->due_ns;
}

unsigned
sched_running(void)
{
	return running;
}
