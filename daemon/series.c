#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"
#include "util.h"

/* An instance not reported for this long is forgotten (a port removed,
 * or no longer selected). */
#define FORGET_AFTER (7 * 86400)

static void
series_alloc(struct series *s, size_t n)
{
	s->value = xcalloc(n ? n : 1, sizeof(double));
	s->total = xcalloc(n ? n : 1, sizeof(double));
	for (size_t i = 0; i < n; i++) {
		s->value[i] = NAN;
		s->total[i] = 0;
	}
}

static void
series_release(struct series *s)
{
	free(s->value);
	free(s->total);
}

void
series_init(struct series_table *t, const struct tm_probe_ops *ops)
{
	memset(t, 0, sizeof(*t));
	if (ops) {
		t->defs = ops->values;
		t->ndefs = ops->values ? ops->nvalues : 0;
		t->idefs = ops->ivalues;
		t->nidefs = ops->ivalues ? ops->nivalues : 0;
	}
	series_alloc(&t->target, t->ndefs);
}

/* One set of values: gauges copied, counters made rates over `dt`. */
static void
take(struct series *s, const struct tm_value_def *defs, size_t n,
    const double *in, double dt)
{
	for (size_t i = 0; i < n; i++) {
		double v = in ? in[i] : NAN;

		if (defs[i].kind != TM_COUNTER) {
			s->value[i] = v;
			continue;
		}
		if (isfinite(v) && v >= 0) {
			s->total[i] += v;
			s->value[i] = dt > 0 ? v / dt : NAN;
		} else
			s->value[i] = NAN;
	}
}

static struct instance *
find(struct series_table *t, const char *name)
{
	for (size_t i = 0; i < t->ninst; i++)
		if (strcmp(t->inst[i].name, name) == 0)
			return &t->inst[i];
	return NULL;
}

static struct instance *
add(struct series_table *t, const char *name)
{
	struct instance *in;

	if (t->ninst == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->inst = xreallocarray(t->inst, t->cap, sizeof(*t->inst));
	}
	in = &t->inst[t->ninst++];
	memset(in, 0, sizeof(*in));
	in->name = xstrdup(name);
	series_alloc(&in->s, t->nidefs);
	return in;
}

static void
forget_old(struct series_table *t, time_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < t->ninst; i++) {
		if (now - t->inst[i].seen > FORGET_AFTER) {
			free(t->inst[i].name);
			free(t->inst[i].label);
			series_release(&t->inst[i].s);
			continue;
		}
		t->inst[k++] = t->inst[i];
	}
	t->ninst = k;
}

void
series_update(struct series_table *t, const struct tm_result *res,
    int64_t now_ns, time_t now)
{
	double dt = t->prev_ns ? (double)(now_ns - t->prev_ns) / 1e9 : 0;

	take(&t->target, t->defs, t->ndefs, res->values, dt);
	for (size_t i = 0; i < res->ninstances; i++) {
		const struct tm_instance *ri = &res->instances[i];
		struct instance *in;

		if (ri->name == NULL || ri->name[0] == '\0')
			continue;
		if ((in = find(t, ri->name)) == NULL)
			in = add(t, ri->name);
		/* a new instance has no previous reading: no rate yet */
		take(&in->s, t->idefs, t->nidefs, ri->values,
		    in->seen ? dt : 0);
		free(in->label);
		in->label = ri->label && *ri->label ? xstrdup(ri->label) : NULL;
		in->seen = now;
	}
	forget_old(t, now);
	t->prev_ns = now_ns;
}

int
series_current(const struct series_table *t, const struct instance *in)
{
	time_t newest = 0;

	for (size_t i = 0; i < t->ninst; i++)
		if (t->inst[i].seen > newest)
			newest = t->inst[i].seen;
	return in->seen == newest;
}

void
series_free(struct series_table *t)
{
	for (size_t i = 0; i < t->ninst; i++) {
		free(t->inst[i].name);
		free(t->inst[i].label);
		series_release(&t->inst[i].s);
	}
	free(t->inst);
	series_release(&t->target);
	memset(t, 0, sizeof(*t));
}
