#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "conf.h"
#include "log.h"
#include "probe.h"
#include "stats.h"
#include "store.h"
#include "util.h"
#include "worker.h"

#define MAX_DS 64

/*
 * One RRD file to write: where, its layout and the update.  The data
 * source definitions belong to the job (shared by its files).
 */
struct rrd_file {
	char *path;
	int nds;
	char **ds_defs;          /* "DS:name:GAUGE:hb:min:max" */
	char *update;            /* "T:v:v:..." */
};

/*
 * Everything a write needs travels in the job, so the worker thread
 * shares nothing with the loop but the queue.
 */
struct store_job {
	char *id;
	int step;
	char *ds_defs[MAX_DS];   /* the target's file */
	char *ids_defs[MAX_DS];  /* each instance's file */
	struct rrd_file target;
	struct rrd_file *inst;
	size_t ninst;
	char *inst_dir;          /* state_dir/rrd/ID */
	int forget_layouts;      /* a reload: re-check every file */
};

/* Worker-thread state. */
static struct {
	char *rrdcached;         /* NULL = direct */
	char **verified;         /* files whose layout is checked: a hash
				  * set (open addressing), a switch's
				  * thousands of port files among them */
	size_t nverified, capverified;
	unsigned long failures;
	int complained;
} W;

static struct worker *writer;
static char *state_dir;

char *
store_path(const struct conf *c, const char *id)
{
	return xasprintf("%s/rrd/%s.rrd", c->state_dir, id);
}

size_t
store_ds_names(const struct target_def *d, const char **names, size_t max)
{
	static const char *const base[] = {
		"median", "min", "max", "avg", "jitter", "loss", "up"
	};
	const struct tm_probe_ops *ops = d->probe ? d->probe->ops : NULL;
	size_t n = 0;

#define ADD(s) do { if (n < max) names[n] = (s); n++; } while (0)
	for (size_t i = 0; i < nitems(base); i++)
		ADD(base[i]);
	if (ops && (ops->flags & TM_PROBE_SMOKE))
		for (size_t i = 0; i < STATS_NQ; i++)
			ADD(stats_quantile_names[i]);
	for (size_t i = 0; ops && i < ops->nvalues; i++)
		ADD(ops->values[i].name);
#undef ADD
	return n;
}

static void
fmt_bound(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "U");
	else
		snprintf(buf, len, "%.10g", v);
}

static char *
ds_def(const char *name, int hb, double min, double max)
{
	char lo[32], hi[32];

	fmt_bound(min, lo, sizeof(lo));
	fmt_bound(max, hi, sizeof(hi));
	return xasprintf("DS:%s:GAUGE:%d:%s:%s", name, hb, lo, hi);
}

/* Counters are stored as rates, never negative. */
static double
def_min(const struct tm_value_def *v)
{
	return v->kind == TM_COUNTER && (isnan(v->min) || v->min < 0) ? 0 :
	    v->min;
}

static void
job_layout(struct store_job *j, const struct target_def *d)
{
	const char *names[MAX_DS];
	const struct tm_probe_ops *ops = d->probe ? d->probe->ops : NULL;
	size_t n = store_ds_names(d, names, MAX_DS), nbase;
	int hb;

	if (n > MAX_DS)
		n = MAX_DS;
	j->step = (int)lround(d->pub.interval);
	if (j->step < 1)
		j->step = 1;
	hb = 2 * j->step < 10 ? 10 : 2 * j->step;
	nbase = n - (ops ? ops->nvalues : 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], "loss") == 0)
			j->ds_defs[i] = ds_def(names[i], hb, 0, 100);
		else if (strcmp(names[i], "up") == 0)
			j->ds_defs[i] = ds_def(names[i], hb, 0, 1);
		else if (i >= nbase) {
			const struct tm_value_def *v = &ops->values[i - nbase];

			j->ds_defs[i] = ds_def(names[i], hb, def_min(v),
			    v->max);
		} else
			j->ds_defs[i] = ds_def(names[i], hb, 0, NAN);
	}
	j->target.nds = (int)n;
	j->target.ds_defs = j->ds_defs;
	for (size_t i = 0; ops && i < ops->nivalues && i < MAX_DS; i++)
		j->ids_defs[i] = ds_def(ops->ivalues[i].name, hb,
		    def_min(&ops->ivalues[i]), ops->ivalues[i].max);
}

static void
append_value(char **buf, size_t *len, size_t *cap, double v)
{
	char tmp[40];
	size_t n;

	if (isnan(v) || isinf(v))
		snprintf(tmp, sizeof(tmp), ":U");
	else
		snprintf(tmp, sizeof(tmp), ":%.9g", v);
	n = strlen(tmp);
	if (*len + n + 1 > *cap) {
		*cap = (*cap + n + 1) * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, tmp, n + 1);
	*len += n;
}

static void
job_free(struct store_job *j)
{
	for (int i = 0; i < MAX_DS; i++) {
		free(j->ds_defs[i]);
		free(j->ids_defs[i]);
	}
	free(j->target.path);
	free(j->target.update);
	for (size_t i = 0; i < j->ninst; i++) {
		free(j->inst[i].path);
		free(j->inst[i].update);
	}
	free(j->inst);
	free(j->inst_dir);
	free(j->id);
	free(j);
}

/* ---- worker thread ---- */

static size_t
path_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The slot of `path`, or of the empty one where it would go. */
static size_t
verified_slot(char **slots, size_t cap, const char *path)
{
	size_t i = path_hash(path) & (cap - 1);

	while (slots[i] != NULL && strcmp(slots[i], path) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int
is_verified(const char *path)
{
	return W.capverified > 0 &&
	    W.verified[verified_slot(W.verified, W.capverified, path)] != NULL;
}

static void
set_verified(const char *path)
{
	size_t i;

	if (2 * (W.nverified + 1) > W.capverified) {
		size_t cap = W.capverified ? 2 * W.capverified : 256;
		char **slots = xcalloc(cap, sizeof(char *));

		for (size_t k = 0; k < W.capverified; k++)
			if (W.verified[k] != NULL)
				slots[verified_slot(slots, cap,
				    W.verified[k])] = W.verified[k];
		free(W.verified);
		W.verified = slots;
		W.capverified = cap;
	}
	i = verified_slot(W.verified, W.capverified, path);
	if (W.verified[i] != NULL)
		return;
	W.verified[i] = xstrdup(path);
	W.nverified++;
}

static void
forget_layouts(void)
{
	for (size_t i = 0; i < W.capverified; i++) {
		free(W.verified[i]);
		W.verified[i] = NULL;
	}
	W.nverified = 0;
}

/* The archives: 1 step for 2 days, 5 min for 2 weeks, 1 h for 3 months,
 * 1 day for 5 years.  argv strings go to `out`; returns the count. */
static int
rra_defs(int step, char **out)
{
	static const struct {
		long span, keep;
		int minmax;
	} rra[] = {
		{ 0, 2 * 86400L, 0 },
		{ 300, 14 * 86400L, 0 },
		{ 3600, 93 * 86400L, 1 },
		{ 86400, 5 * 366 * 86400L, 1 },
	};
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	int n = 0;

	for (size_t i = 0; i < nitems(rra); i++) {
		long pdp = rra[i].span ? lround((double)rra[i].span / step) : 1;
		long rows;

		if (pdp < 1)
			pdp = 1;
		rows = (rra[i].keep + pdp * step - 1) / (pdp * step);
		for (int c = 0; c < (rra[i].minmax ? 3 : 1); c++)
			out[n++] = xasprintf("RRA:%s:0.5:%ld:%ld", cfs[c], pdp,
			    rows);
	}
	return n;
}

static rrd_info_t *
info_of(const char *path)
{
	if (W.rrdcached)
		return rrdc_info(path);
	return rrd_info_r((char *)path);
}

/* Does the file have exactly the step, data sources and archives we
 * would create?  -1 if it does not exist, 0 if different, 1 if same. */
static int
layout_matches(const struct rrd_file *f, int step, time_t *last_update)
{
	rrd_info_t *info, *i;
	char *rras[16];
	int nrra = rra_defs(step, rras), nds = 0, nrra_found = 0, ok = 1;

	if (!W.rrdcached && access(f->path, F_OK) == -1) {
		ok = -1;
		goto out;
	}
	if ((info = info_of(f->path)) == NULL) {
		ok = -1;
		rrd_clear_error();
		goto out;
	}
	for (i = info; i; i = i->next) {
		if (strcmp(i->key, "last_update") == 0)
			*last_update = (time_t)i->value.u_cnt;
		else if (strcmp(i->key, "step") == 0 &&
		    i->value.u_cnt != (unsigned long)step)
			ok = 0;
		else if (strncmp(i->key, "ds[", 3) == 0 &&
		    strstr(i->key, "].index")) {
			const char *name = i->key + 3;
			size_t len = strcspn(name, "]");
			unsigned long idx = i->value.u_cnt;
			char want[64];

			nds++;
			if (idx >= (unsigned long)f->nds) {
				ok = 0;
				continue;
			}
			snprintf(want, sizeof(want), "DS:%.*s:", (int)len, name);
			if (strncmp(f->ds_defs[idx], want, strlen(want)) != 0)
				ok = 0;
		} else if (strncmp(i->key, "rra[", 4) == 0 &&
		    strstr(i->key, "].rows"))
			nrra_found++;
	}
	rrd_info_free(info);
	if (nds != f->nds || nrra_found != nrra)
		ok = 0;
out:
	for (int r = 0; r < nrra; r++)
		free(rras[r]);
	return ok;
}

/* A new file starts just before now; a rebuilt one where its source
 * stopped, so that every row of the source is carried over. */
static int
create_rrd(const struct rrd_file *f, int step, const char *path,
    const char *source, time_t start)
{
	const char *argv[MAX_DS + 16];
	char *rras[16];
	const char *sources[2] = { source, NULL };
	int argc = 0, nrra = rra_defs(step, rras), rc;

	for (int i = 0; i < f->nds; i++)
		argv[argc++] = f->ds_defs[i];
	for (int i = 0; i < nrra; i++)
		argv[argc++] = rras[i];
	if (W.rrdcached)
		rc = rrdc_create_r2(path, (unsigned long)step, start, 0,
		    source ? sources : NULL, NULL, argc, argv);
	else
		rc = rrd_create_r2(path, (unsigned long)step, start, 0,
		    source ? sources : NULL, NULL, argc, argv);
	for (int i = 0; i < nrra; i++)
		free(rras[i]);
	return rc;
}

static int rebuild(const struct rrd_file *, int step, const char *id,
    time_t start);

/* Make sure the file exists with the current layout; an old layout is
 * rebuilt from itself so the history carries over. */
static int
ensure_layout(const struct rrd_file *f, int step, const char *id)
{
	time_t last = time(NULL) - 10;
	int m;

	if (is_verified(f->path))
		return 0;
	m = layout_matches(f, step, &last);
	if (m == 1) {
		set_verified(f->path);
		return 0;
	}
	if (m == -1) {
		if (create_rrd(f, step, f->path, NULL, time(NULL) - 10) != 0) {
			log_warnx("store: %s: cannot create %s: %s", id,
			    f->path, rrd_get_error());
			rrd_clear_error();
			return -1;
		}
		log_info("store: %s: created %s", id, f->path);
		set_verified(f->path);
		return 0;
	}
	/* Interval or data sources changed: copy the history across. */
	if (rebuild(f, step, id, last) == -1)
		return -1;
	log_info("store: %s: layout changed, rebuilt %s keeping its history",
	    id, f->path);
	set_verified(f->path);
	return 0;
}

/* f's file made again from itself, starting at `start`: the history up
 * to then carries over.  0 ok, -1 logged. */
static int
rebuild(const struct rrd_file *f, int step, const char *id, time_t start)
{
	char *tmp;

	if (W.rrdcached)
		rrdc_flush(f->path);
	tmp = xasprintf("%s.new", f->path);
	unlink(tmp);
	if (create_rrd(f, step, tmp, f->path, start) != 0) {
		log_warnx("store: %s: cannot rebuild %s: %s", id, f->path,
		    rrd_get_error());
		rrd_clear_error();
		free(tmp);
		return -1;
	}
	if (W.rrdcached)
		rrdc_forget(f->path);
	if (rename(tmp, f->path) == -1) {
		log_warn("store: %s: rename %s", id, tmp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	fsync_dir_of(f->path);
	free(tmp);
	return 0;
}

static int
connect_cached(void)
{
	if (rrdc_is_connected(W.rrdcached))
		return 0;
	if (rrdc_connect(W.rrdcached) != 0) {
		if (!W.complained++)
			log_warnx("store: cannot connect to rrdcached at %s: "
			    "%s", W.rrdcached, rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	return 0;
}

/*
 * The PC booted with a date in the future (a dead clock battery, a
 * wrong BIOS date) and NTP set it right later: every file's last update
 * is then ahead of the clock, and librrd would refuse every update until
 * the clock caught up, months or years.  A file more than
 * FUTURE_TOLERANCE_S ahead is rebuilt from itself at the present (what
 * was written in the false future goes) and written again.
 */
#define FUTURE_TOLERANCE_S 3600

static void write_file(const struct rrd_file *, int step, const char *id);

static void
from_the_future(const struct rrd_file *f, int step, const char *id)
{
	time_t now = (time_t)strtoll(f->update, NULL, 10), last;

	last = W.rrdcached ? rrdc_last(f->path) : rrd_last_r(f->path);
	rrd_clear_error();
	if (now <= 0 || last <= now + FUTURE_TOLERANCE_S)
		return;
	log_warnx("store: %s: %s was last written %lld s ahead of the clock "
	    "(the clock was wrong, or is now): made again from the present",
	    id, f->path, (long long)(last - now));
	if (rebuild(f, step, id, now - step) == 0)
		write_file(f, step, id);
}

static void
write_file(const struct rrd_file *f, int step, const char *id)
{
	const char *argv[1];
	int rc;

	if (ensure_layout(f, step, id) == -1) {
		W.failures++;
		return;
	}
	argv[0] = f->update;
	if (W.rrdcached)
		rc = rrdc_update(f->path, 1, argv);
	else
		/* (not RRD_SKIP_PAST_UPDATES: a past update must say so,
		 * see from_the_future) */
		rc = rrd_updatex_r(f->path, NULL, 0, 1, argv);
	if (rc != 0) {
		const char *e = rrd_get_error();

		W.failures++;
		if (strstr(e, "illegal attempt to update") != NULL) {
			/* a clock jump back: skipped until the clock passes
			 * the file's last update, unless that is far ahead
			 * (the clock was wrong then, is right now) */
			rrd_clear_error();
			from_the_future(f, step, id);
			return;
		}
		if (W.complained++ < 20)
			log_warnx("store: %s: update %s: %s", id, f->path, e);
		rrd_clear_error();
		if (W.rrdcached)
			rrdc_disconnect();
		return;
	}
	if (W.complained) {
		log_info("store: writing again");
		W.complained = 0;
	}
}

static void
write_run(void *arg)
{
	struct store_job *j = arg;

	if (j->forget_layouts) {
		forget_layouts();
		return;
	}
	if (W.rrdcached && connect_cached() == -1) {
		W.failures++;
		return;
	}
	write_file(&j->target, j->step, j->id);
	if (j->ninst > 0 && mkdir_p(j->inst_dir, 0755) == -1) {
		log_warn("store: %s: %s", j->id, j->inst_dir);
		return;
	}
	for (size_t i = 0; i < j->ninst; i++)
		write_file(&j->inst[i], j->step, j->id);
}

static void
write_done(void *arg)
{
	job_free(arg);
}

/* ---- loop thread ---- */

int
store_open(struct event_base *base, const struct conf *c)
{
	char *dir = xasprintf("%s/rrd", c->state_dir);

	if (mkdir_p(dir, 0755) == -1) {
		log_warn("store: %s", dir);
		free(dir);
		return -1;
	}
	free(dir);
	state_dir = xstrdup(c->state_dir);
	W.rrdcached = c->rrdcached[0] ? xstrdup(c->rrdcached) : NULL;
	writer = worker_new(base, "tm-store");
	return 0;
}

void
store_reconf(const struct conf *c)
{
	struct store_job *j = xcalloc(1, sizeof(*j));

	(void)c;
	j->forget_layouts = 1;
	worker_submit(writer, write_run, write_done, j);
}

static char *
update_line(time_t when, const double *v, size_t n)
{
	size_t len, cap = 64 + n * 16;
	char *u = xmalloc(cap);

	len = (size_t)snprintf(u, cap, "%lld", (long long)when);
	for (size_t i = 0; i < n; i++)
		append_value(&u, &len, &cap, v ? v[i] : NAN);
	return u;
}

void
store_round(const struct target_def *d, time_t when,
    const struct round_stats *rs, const double *values,
    const struct store_instance *inst, size_t ninst)
{
	struct store_job *j = xcalloc(1, sizeof(*j));
	const struct tm_probe_ops *ops = d->probe ? d->probe->ops : NULL;
	double v[MAX_DS];
	size_t n = 0;

	j->id = xstrdup(d->pub.id);
	job_layout(j, d);
	v[n++] = rs->median;
	v[n++] = rs->min;
	v[n++] = rs->max;
	v[n++] = rs->avg;
	v[n++] = rs->jitter;
	v[n++] = rs->loss_pct;
	v[n++] = rs->received > 0 ? 1 : 0;
	if (ops && (ops->flags & TM_PROBE_SMOKE))
		for (int i = 0; i < STATS_NQ; i++)
			v[n++] = rs->q[i];
	for (size_t i = 0; ops && i < ops->nvalues && n < MAX_DS; i++)
		v[n++] = values ? values[i] : NAN;
	j->target.path = xasprintf("%s/rrd/%s.rrd", state_dir, d->pub.id);
	j->target.update = update_line(when, v, n);

	if (ops && ops->nivalues > 0 && ninst > 0) {
		j->inst_dir = xasprintf("%s/rrd/%s", state_dir, d->pub.id);
		j->inst = xcalloc(ninst, sizeof(*j->inst));
		for (size_t i = 0; i < ninst; i++) {
			struct rrd_file *f = &j->inst[j->ninst];
			char safe[256];

			safe_filename(inst[i].name, safe, sizeof(safe));
			f->path = xasprintf("%s/%s.rrd", j->inst_dir, safe);
			f->nds = (int)(ops->nivalues < MAX_DS ? ops->nivalues :
			    MAX_DS);
			f->ds_defs = j->ids_defs;
			f->update = update_line(when, inst[i].values,
			    (size_t)f->nds);
			j->ninst++;
		}
	}
	worker_submit(writer, write_run, write_done, j);
}

char *
store_instance_path(const struct conf *c, const char *id, const char *name)
{
	char safe[256];

	safe_filename(name, safe, sizeof(safe));
	return xasprintf("%s/rrd/%s/%s.rrd", c->state_dir, id, safe);
}

unsigned
store_pending(void)
{
	return writer ? worker_pending(writer) : 0;
}

void
store_close(void)
{
	if (writer == NULL)
		return;
	worker_free(writer);
	writer = NULL;
	if (W.rrdcached) {
		/* this librrd exports no rrdc_flushall: flush ours */
		if (connect_cached() == 0) {
			for (size_t i = 0; i < W.capverified; i++)
				if (W.verified[i] != NULL &&
				    rrdc_flush(W.verified[i]) != 0) {
					log_warnx("store: flush %s: %s",
					    W.verified[i], rrd_get_error());
					rrd_clear_error();
				}
			rrdc_disconnect();
		}
		free(W.rrdcached);
		W.rrdcached = NULL;
	}
	forget_layouts();
	free(W.verified);
	memset(&W, 0, sizeof(W));
	free(state_dir);
	state_dir = NULL;
}
