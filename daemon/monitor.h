/*
 * The monitor: the running configuration's targets, wired together.
 * Each finished round flows one way: probe -> statistics -> state
 * (journal on change) -> store; pages are rendered from snapshots.
 */
#ifndef TRAMON_MONITOR_H
#define TRAMON_MONITOR_H

#include <jansson.h>

struct event_base;
struct conf;

/* Start monitoring `conf` (ownership passes): restores the saved states,
 * journals the start, schedules every target. */
int monitor_start(struct event_base *, struct conf *conf);

/* Swap in a new, already validated configuration (ownership passes).
 * Unchanged targets keep running untouched; changed ones restart; every
 * target that stays keeps its state. */
void monitor_reload(struct conf *conf);

/* Journal the stop, save the states, stop every probe, release the
 * configuration.  Call before closing the store and the journal. */
void monitor_stop(void);

const struct conf *monitor_conf(void);

/* For `tramonctl status`: {"generated", "targets": [...]}. */
json_t *monitor_status(void);

/* The Prometheus text exposition for /metrics, into `b` (at 10,000
 * targets some 10 MB: give it a sink). */
struct buf;
void monitor_metrics(struct buf *b);

#endif /* TRAMON_MONITOR_H */
