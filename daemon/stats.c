#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

const double stats_quantiles[STATS_NQ] = { .05, .10, .25, .75, .90, .95 };
const char *const stats_quantile_names[STATS_NQ] = {
	"q05", "q10", "q25", "q75", "q90", "q95"
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
stats_quantile(const double *sorted, unsigned n, double q)
{
	double pos, frac;
	unsigned i;

	if (n == 0)
		return NAN;
	if (n == 1 || q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	pos = q * (n - 1);
	i = (unsigned)pos;
	frac = pos - i;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

void
stats_compute(const struct tm_result *res, double *scratch,
    struct round_stats *out)
{
	unsigned n = res->received, i;
	double sum = 0, dsum = 0;

	memset(out, 0, sizeof(*out));
	out->sent = res->sent;
	out->received = n;
	if (res->sent > 0) {
		unsigned lost = n > res->sent ? 0 : res->sent - n;

		out->loss_pct = 100.0 * lost / res->sent;
	} else
		out->loss_pct = NAN;

	if (n == 0) {
		out->min = out->median = out->avg = out->max = NAN;
		out->jitter = NAN;
		for (i = 0; i < STATS_NQ; i++)
			out->q[i] = NAN;
		return;
	}
	for (i = 0; i < n; i++) {
		sum += res->rtt[i];
		if (i > 0)
			dsum += fabs(res->rtt[i] - res->rtt[i - 1]);
	}
	out->avg = sum / n;
	out->jitter = n > 1 ? dsum / (n - 1) : NAN;

	memcpy(scratch, res->rtt, n * sizeof(double));
	qsort(scratch, n, sizeof(double), cmp_double);
	out->min = scratch[0];
	out->max = scratch[n - 1];
	out->median = stats_quantile(scratch, n, 0.5);
	for (i = 0; i < STATS_NQ; i++)
		out->q[i] = stats_quantile(scratch, n, stats_quantiles[i]);
}
