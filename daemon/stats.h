/*
 * Statistics of one round: what the RRD, the state machine and the pages
 * see of a probe's answer.  Pure functions, no I/O.
 */
#ifndef TRAMON_STATS_H
#define TRAMON_STATS_H

#include "tramon/plugin.h"

/* Quantiles kept for the smoke graph, besides min, median and max. */
#define STATS_NQ 6
extern const double stats_quantiles[STATS_NQ];     /* .05 .10 .25 .75 .90 .95 */
extern const char *const stats_quantile_names[STATS_NQ]; /* "q05" ... */

struct round_stats {
	unsigned sent, received;
	double loss_pct;       /* 0..100; NAN if nothing was sent */
	/* seconds; NAN when nothing was received */
	double min, median, avg, max;
	double jitter;         /* mean |rtt[i] - rtt[i-1]|, NAN below 2 replies */
	double q[STATS_NQ];    /* quantiles, NAN when nothing was received */
};

/* Compute the statistics of a result.  `scratch` must hold res->received
 * doubles (it receives the sorted rtts). */
void stats_compute(const struct tm_result *res, double *scratch,
    struct round_stats *out);

/* Linear-interpolated quantile (0..1) of sorted values. */
double stats_quantile(const double *sorted, unsigned n, double q);

#endif /* TRAMON_STATS_H */
