/*
 * The values a probe reports besides round-trip times: the target's own
 * (a switch's uptime) and those of its instances (each port's counters),
 * turned into what is stored and shown.  Gauges stay as they are;
 * counters (what a counter grew by since the previous round) become
 * rates per second and add up to running totals for /metrics.
 */
#ifndef TRAMON_SERIES_H
#define TRAMON_SERIES_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tramon/plugin.h"

struct series {
	double *value;           /* gauges as reported, counters per second */
	double *total;           /* counters: sum of increases (else NAN) */
};

struct instance {
	char *name;
	char *label;             /* NULL if none */
	struct series s;
	time_t seen;             /* the last round that reported it */
};

struct series_table {
	const struct tm_value_def *defs;   /* the probe's (static) */
	size_t ndefs;
	const struct tm_value_def *idefs;
	size_t nidefs;
	struct series target;              /* the target's own values */
	struct instance *inst;             /* by name, in the probe's order */
	size_t ninst, cap;
	int64_t prev_ns;                   /* monotonic time of last round */
};

/* Set up for a probe's value definitions (both may be empty). */
void series_init(struct series_table *, const struct tm_probe_ops *);

/* Take one round's result, finished at now_ns (monotonic) / now. */
void series_update(struct series_table *, const struct tm_result *,
    int64_t now_ns, time_t now);

/* Instances the last round reported (their `seen` is the last round). */
int series_current(const struct series_table *, const struct instance *);

void series_free(struct series_table *);

#endif /* TRAMON_SERIES_H */
