#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "state.h"

static const char *const names[TS_COUNT] = {
	"unknown", "up", "degraded", "down", "unreachable", "maintenance"
};

const char *
tstate_name(enum tstate s)
{
	return (s >= 0 && s < TS_COUNT) ? names[s] : "unknown";
}

int
tstate_parse(const char *s)
{
	for (int i = 0; i < TS_COUNT; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
is_out(enum tstate s)
{
	return s == TS_DOWN || s == TS_UNREACHABLE;
}

enum outcome
state_classify(const struct conf *conf, int target,
    const struct round_stats *rs, const char *error, const char *degraded,
    char *why, size_t len)
{
	const struct thresholds *th = &conf->targets[target].degraded;

	why[0] = '\0';
	if (rs->received == 0) {
		snprintf(why, len, "%s", error ? error : "no answer");
		return OUT_FAIL;
	}
	/* the probe's own verdict (a certificate about to expire) */
	if (degraded != NULL && *degraded != '\0') {
		snprintf(why, len, "%s", degraded);
		return OUT_SLOW;
	}
	if (th->loss_pct > 0 && rs->loss_pct > th->loss_pct) {
		snprintf(why, len, "loss %.1f%% > %.1f%%", rs->loss_pct,
		    th->loss_pct);
		return OUT_SLOW;
	}
	if (th->rtt_ms > 0 && rs->median * 1e3 > th->rtt_ms) {
		snprintf(why, len, "rtt %.1f ms > %.1f ms", rs->median * 1e3,
		    th->rtt_ms);
		return OUT_SLOW;
	}
	if (th->jitter_ms > 0 && !isnan(rs->jitter) &&
	    rs->jitter * 1e3 > th->jitter_ms) {
		snprintf(why, len, "jitter %.1f ms > %.1f ms", rs->jitter * 1e3,
		    th->jitter_ms);
		return OUT_SLOW;
	}
	return OUT_OK;
}

static void
set_state(struct state_model *m, int t, enum tstate to, time_t now,
    int parent)
{
	struct tstatus *s = &m->st[t];
	struct state_change ch = {
		.target = t,
		.from = s->state,
		.to = to,
		.at = now,
		.streak_since = s->streak_since ? s->streak_since : now,
		.parent = parent,
		/* the last round's trouble explains anything but up */
		.why = s->why[0] && to != TS_UP ? s->why : NULL,
	};

	if (s->state == to)
		return;
	s->state = to;
	s->since = now;
	s->pending = 0;
	if (m->changed)
		m->changed(m->arg, &ch);
}

static void parent_went_out(struct state_model *, int parent, time_t);

/* The target has failed down_after rounds: down, unreachable or held. */
/* Has the parent had a round that began after child `t`'s first failure
 * was seen?  Only such a round says whether the way to the child is
 * open now (a ping round begun before a cut has its answers).  Whole
 * seconds: a round begun in the same second does not count. */
static int
parent_fresh(const struct state_model *m, int p, int t)
{
	return m->st[p].last_round != 0 &&
	    m->st[p].round_start > m->st[t].streak_since;
}

static void
decide_out(struct state_model *m, int t, time_t now)
{
	int p = m->conf->targets[t].parent;

	if (p >= 0 && is_out(m->st[p].state)) {
		set_state(m, t, TS_UNREACHABLE, now, p);
	} else if (p >= 0 && (m->st[p].fails > 0 || !parent_fresh(m, p, t))) {
		m->st[t].pending = 1;	/* wait for the parent to decide */
		return;
	} else
		set_state(m, t, TS_DOWN, now, -1);
	parent_went_out(m, t, now);
}

/* `parent` went down or unreachable: children that are out, or about to
 * be, are unreachable because of it. */
static void
parent_went_out(struct state_model *m, int parent, time_t now)
{
	const struct conf *c = m->conf;

	for (size_t i = 0; i < c->ntargets; i++) {
		struct tstatus *s = &m->st[i];

		if (c->targets[i].parent != parent)
			continue;
		if (s->state == TS_DOWN || s->pending) {
			set_state(m, (int)i, TS_UNREACHABLE, now, parent);
			parent_went_out(m, (int)i, now);
		}
	}
}

/* `parent` answered: its held children are really down; its unreachable
 * children start counting afresh, so that each is re-checked before it
 * could be reported down. */
static void
parent_answered(struct state_model *m, int parent, int recovered, time_t now)
{
	const struct conf *c = m->conf;

	for (size_t i = 0; i < c->ntargets; i++) {
		struct tstatus *s = &m->st[i];

		if (c->targets[i].parent != parent)
			continue;
		if (s->pending && parent_fresh(m, parent, (int)i)) {
			set_state(m, (int)i, TS_DOWN, now, -1);
			parent_went_out(m, (int)i, now);
		} else if (recovered && s->state == TS_UNREACHABLE)
			s->fails = 0;
	}
}

/* A target that answers again is up, or degraded if it has been over a
 * threshold for down_after rounds already: the round in which a link
 * comes back is usually part lost, and is no degradation. */
static enum tstate
answering_state(const struct tstatus *s, unsigned down_after)
{
	return s->slows >= down_after ? TS_DEGRADED : TS_UP;
}

void
state_round(struct state_model *m, int t, enum outcome out,
    const struct round_stats *rs, const char *why, time_t started,
    time_t now)
{
	const struct target_def *d = &m->conf->targets[t];
	struct tstatus *s = &m->st[t];
	enum tstate before = s->state;
	unsigned down_after = (unsigned)d->down_after;
	unsigned up_after = (unsigned)d->up_after;

	s->last_round = now;
	s->round_start = started && started <= now ? started : now;
	if (rs)
		s->last = *rs;
	if (out == OUT_FAIL) {
		if (s->fails == 0)
			s->streak_since = now;
		s->fails++;
		s->goods = s->oks = s->slows = 0;
	} else {
		if (s->goods == 0)
			s->streak_since = now;
		s->fails = 0;
		s->goods++;
		s->pending = 0;
		if (out == OUT_SLOW) {
			s->slows++;
			s->oks = 0;
		} else {
			s->oks++;
			s->slows = 0;
		}
	}
	if (out != OUT_OK)
		snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
	else
		s->why[0] = '\0';

	switch (s->state) {
	case TS_UNKNOWN:
		if (out == OUT_FAIL) {
			if (s->fails >= down_after)
				decide_out(m, t, now);
		} else
			set_state(m, t, answering_state(s, down_after), now,
			    -1);
		break;
	case TS_UP:
		if (out == OUT_FAIL && s->fails >= down_after)
			decide_out(m, t, now);
		else if (out == OUT_SLOW && s->slows >= down_after)
			set_state(m, t, TS_DEGRADED, now, -1);
		break;
	case TS_DEGRADED:
		if (out == OUT_FAIL && s->fails >= down_after)
			decide_out(m, t, now);
		else if (out == OUT_OK && s->oks >= up_after)
			set_state(m, t, TS_UP, now, -1);
		break;
	case TS_DOWN:
	case TS_UNREACHABLE:
		if (out != OUT_FAIL && s->goods >= up_after)
			set_state(m, t, answering_state(s, down_after), now,
			    -1);
		else if (out == OUT_FAIL && s->state == TS_UNREACHABLE &&
		    s->fails >= down_after) {
			int p = d->parent;

			/* the parent is back but this one is still out */
			if (p < 0 || !is_out(m->st[p].state))
				decide_out(m, t, now);
		}
		break;
	case TS_MAINTENANCE:
	case TS_COUNT:
		break;
	}

	if (out != OUT_FAIL)
		parent_answered(m, t, is_out(before) && !is_out(s->state), now);
}
