/*
 * The scheduler: runs each target's rounds every `interval` seconds on
 * the monotonic clock, at a phase derived from the target id so that
 * targets are spread over the interval (no burst at :00) and keep their
 * phase across reloads.  A probe that stops answering is still started
 * every interval: nothing backs off.
 */
#ifndef TRAMON_SCHEDULER_H
#define TRAMON_SCHEDULER_H

#include <stdint.h>
#include <time.h>

#include "tramon/plugin.h"

struct event_base;
struct probe;
struct sched_target;

/* A finished round: its result and the wall-clock time it started. */
typedef void sched_result_fn(void *owner, const struct tm_result *,
    time_t started);

/* The daemon's event base, with timers on the precise monotonic clock. */
struct event_base *sched_base_new(void);

/* Start scheduling a target.  `tc` and `probe_conf` must stay valid until
 * sched_remove() or sched_retarget(). */
struct sched_target *sched_add(struct event_base *, const struct probe *,
    void *probe_conf, const struct tm_target_conf *tc,
    sched_result_fn *fn, void *owner);

/* After a reload, point an unchanged target at its new configuration
 * (same probe data; nothing is cancelled). */
void sched_retarget(struct sched_target *, const struct tm_target_conf *tc,
    void *owner);

/* Stop: cancel its running rounds (no result will be delivered). */
void sched_remove(struct sched_target *);

/* The monotonic time (ns) a round was due: its start as scheduled, which
 * a busy loop may have run a little later. */
int64_t sched_round_due(const struct tm_round *);

/* Rounds running now, all targets together. */
unsigned sched_running(void);

/* struct tm_host round_done: a probe finished a round. */
void sched_round_done(struct tm_round *, const struct tm_result *);

/* What a round's events are handed to (struct tm_host round_event). */
typedef void sched_event_fn(void *owner, const char *kind,
    const char *instance, const char *text);
void sched_on_event(sched_event_fn *);
void sched_round_event(struct tm_round *, const char *kind,
    const char *instance, const char *text);

/* Phase offset (0 <= phase < 1) of a target id within its interval. */
double sched_phase(const char *id);

#endif /* TRAMON_SCHEDULER_H */
