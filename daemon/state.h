/*
 * Target states and the rules that move between them.
 *
 * Pure logic, no I/O: the caller feeds each round's outcome and is told
 * of every state change (of the target and of its children) through a
 * callback, which journals it.
 *
 *  unknown      no data yet; the first answer decides, or down_after
 *               failed rounds make it down.
 *  up           answering within the thresholds.
 *  degraded     answering, but over a `degraded` threshold for
 *               down_after rounds; back up after up_after clean rounds.
 *  down         down_after consecutive failed rounds, parent reachable.
 *  unreachable  failing while its parent is down or unreachable.
 *
 * A child that reaches down_after while its parent is failing but not
 * yet down, or before the parent has had a round that began after the
 * child's first failure was seen (a web check fails three times in the
 * time a ping round takes), is held (pending): if the parent goes down the
 * child becomes unreachable, if such a round of the parent answers the
 * child becomes down.  So a WAN cut never reports the communes behind
 * it as down first.
 */
#ifndef TRAMON_STATE_H
#define TRAMON_STATE_H

#include <stddef.h>
#include <time.h>

#include "stats.h"

struct conf;

enum tstate {
	TS_UNKNOWN,
	TS_UP,
	TS_DEGRADED,
	TS_DOWN,
	TS_UNREACHABLE,
	TS_MAINTENANCE,
	TS_COUNT
};

enum outcome { OUT_OK, OUT_SLOW, OUT_FAIL };

struct tstatus {
	enum tstate state;
	time_t since;            /* when the state was entered */
	time_t streak_since;     /* first round of the current fail/ok streak */
	unsigned fails;          /* consecutive failed rounds */
	unsigned goods;          /* consecutive answered rounds */
	unsigned oks;            /* consecutive rounds within thresholds */
	unsigned slows;          /* consecutive rounds over a threshold */
	int pending;             /* down decision held while parent fails */
	time_t last_round;       /* 0 = no round yet */
	time_t round_start;      /* when the last round began */
	struct round_stats last; /* statistics of the last round */
	char why[96];            /* reason of the last failure or degradation */
};

struct state_change {
	int target;              /* index into conf->targets */
	enum tstate from, to;
	time_t at;
	time_t streak_since;     /* when the failing (or answering) began */
	int parent;              /* for unreachable: the parent's index */
	const char *why;
};

typedef void state_change_fn(void *arg, const struct state_change *);

struct state_model {
	const struct conf *conf;
	struct tstatus *st;      /* conf->ntargets entries */
	state_change_fn *changed;
	void *arg;
};

const char *tstate_name(enum tstate);   /* SPEC names: "up", "down", ... */
int tstate_parse(const char *);         /* -1 if unknown */

/* Outcome of a round against the target's degraded thresholds; a short
 * reason is written to `why` for OUT_FAIL/OUT_SLOW.  `error` is the
 * probe's reason for a round without answers, `degraded` its reason to
 * count an answered one as over a threshold (tm_result), or NULL. */
enum outcome state_classify(const struct conf *, int target,
    const struct round_stats *, const char *error, const char *degraded,
    char *why, size_t len);

/* Feed one round's outcome (its statistics are recorded too); the round
 * began at `started` (0: now). */
void state_round(struct state_model *, int target, enum outcome,
    const struct round_stats *, const char *why, time_t started,
    time_t now);

#endif /* TRAMON_STATE_H */
