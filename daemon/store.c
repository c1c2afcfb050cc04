#include "config.h"

#include <errno.h>
#include <math.h>
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
 * Everything a write needs travels in the job, so the worker thread
 * shares nothing with the loop but the queue.
 */
struct store_job {
	char *path;
	char *id;
	int step;
	int nds;
	char *ds_defs[MAX_DS];   /* "DS:name:GAUGE:hb:min:max" */
	char *update;            /* "T:v:v:...", NULL for control jobs */
	int forget_layouts;      /* a reload: re-check every file */
};

/* Worker-thread state. */
static struct {
	char *rrdcached;         /* NULL = direct */
	char **verified;         /* files whose layout is checked */
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
		char lo[32] = "0", hi[32] = "U";

		if (strcmp(names[i], "loss") == 0)
			snprintf(hi, sizeof(hi), "100");
		else if (strcmp(names[i], "up") == 0)
			snprintf(hi, sizeof(hi), "1");
		else if (i >= nbase) {
			const struct tm_value_def *v = &ops->values[i - nbase];

			fmt_bound(v->min, lo, sizeof(lo));
			fmt_bound(v->max, hi, sizeof(hi));
		}
		j->ds_defs[i] = xasprintf("DS:%s:GAUGE:%d:%s:%s", names[i], hb,
		    lo, hi);
	}
	j->nds = (int)n;
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
	for (int i = 0; i < j->nds; i++)
		free(j->ds_defs[i]);
	free(j->path);
	free(j->id);
	free(j->update);
	free(j);
}

/* ---- worker thread ---- */

static int
is_verified(const char *path)
{
	for (size_t i = 0; i < W.nverified; i++)
		if (strcmp(W.verified[i], path) == 0)
			return 1;
	return 0;
}

static void
set_verified(const char *path)
{
	if (W.nverified == W.capverified) {
		W.capverified = W.capverified ? W.capverified * 2 : 64;
		W.verified = xreallocarray(W.verified, W.capverified,
		    sizeof(char *));
	}
	W.verified[W.nverified++] = xstrdup(path);
}

static void
forget_layouts(void)
{
	for (size_t i = 0; i < W.nverified; i++)
		free(W.verified[i]);
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
layout_matches(const struct store_job *j, time_t *last_update)
{
	rrd_info_t *info, *i;
	char *rras[16];
	int nrra = rra_defs(j->step, rras), nds = 0, nrra_found = 0, ok = 1;

	if (!W.rrdcached && access(j->path, F_OK) == -1) {
		ok = -1;
		goto out;
	}
	if ((info = info_of(j->path)) == NULL) {
		ok = -1;
		rrd_clear_error();
		goto out;
	}
	for (i = info; i; i = i->next) {
		if (strcmp(i->key, "last_update") == 0)
			*last_update = (time_t)i->value.u_cnt;
		else if (strcmp(i->key, "step") == 0 &&
		    i->value.u_cnt != (unsigned long)j->step)
			ok = 0;
		else if (strncmp(i->key, "ds[", 3) == 0 &&
		    strstr(i->key, "].index")) {
			const char *name = i->key + 3;
			size_t len = strcspn(name, "]");
			unsigned long idx = i->value.u_cnt;
			char want[64];

			nds++;
			if (idx >= (unsigned long)j->nds) {
				ok = 0;
				continue;
			}
			snprintf(want, sizeof(want), "DS:%.*s:", (int)len, name);
			if (strncmp(j->ds_defs[idx], want, strlen(want)) != 0)
				ok = 0;
		} else if (strncmp(i->key, "rra[", 4) == 0 &&
		    strstr(i->key, "].rows"))
			nrra_found++;
	}
	rrd_info_free(info);
	if (nds != j->nds || nrra_found != nrra)
		ok = 0;
out:
	for (int r = 0; r < nrra; r++)
		free(rras[r]);
	return ok;
}

/* A new file starts just before now; a rebuilt one where its source
 * stopped, so that every row of the source is carried over. */
static int
create_rrd(const struct store_job *j, const char *path, const char *source,
    time_t start)
{
	const char *argv[MAX_DS + 16];
	char *rras[16];
	const char *sources[2] = { source, NULL };
	int argc = 0, nrra = rra_defs(j->step, rras), rc;

	for (int i = 0; i < j->nds; i++)
		argv[argc++] = j->ds_defs[i];
	for (int i = 0; i < nrra; i++)
		argv[argc++] = rras[i];
	if (W.rrdcached)
		rc = rrdc_create_r2(path, (unsigned long)j->step, start, 0,
		    source ? sources : NULL, NULL, argc, argv);
	else
		rc = rrd_create_r2(path, (unsigned long)j->step, start, 0,
		    source ? sources : NULL, NULL, argc, argv);
	for (int i = 0; i < nrra; i++)
		free(rras[i]);
	return rc;
}

/* Make sure the file exists with the current layout; an old layout is
 * rebuilt from itself so the history carries over. */
static int
ensure_layout(const struct store_job *j)
{
	time_t last = time(NULL) - 10;
	char *tmp;
	int m;

	if (is_verified(j->path))
		return 0;
	m = layout_matches(j, &last);
	if (m == 1) {
		set_verified(j->path);
		return 0;
	}
	if (m == -1) {
		char *dir = xasprintf("%s/rrd", state_dir);

		mkdir_p(dir, 0755);
		free(dir);
		if (create_rrd(j, j->path, NULL, time(NULL) - 10) != 0) {
			log_warnx("store: %s: cannot create %s: %s", j->id,
			    j->path, rrd_get_error());
			rrd_clear_error();
			return -1;
		}
		log_info("store: %s: created %s", j->id, j->path);
		set_verified(j->path);
		return 0;
	}
	/* Interval or data sources changed: copy the history across. */
	if (W.rrdcached)
		rrdc_flush(j->path);
	tmp = xasprintf("%s.new", j->path);
	unlink(tmp);
	if (create_rrd(j, tmp, j->path, last) != 0) {
		log_warnx("store: %s: cannot rebuild %s: %s", j->id, j->path,
		    rrd_get_error());
		rrd_clear_error();
		free(tmp);
		return -1;
	}
	if (W.rrdcached)
		rrdc_forget(j->path);
	if (rename(tmp, j->path) == -1) {
		log_warn("store: %s: rename %s", j->id, tmp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	fsync_dir_of(j->path);
	free(tmp);
	log_info("store: %s: layout changed, rebuilt %s keeping its history",
	    j->id, j->path);
	set_verified(j->path);
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

static void
write_run(void *arg)
{
	struct store_job *j = arg;
	const char *argv[1];
	int rc;

	if (j->forget_layouts) {
		forget_layouts();
		return;
	}
	if (W.rrdcached && connect_cached() == -1) {
		W.failures++;
		return;
	}
	if (ensure_layout(j) == -1) {
		W.failures++;
		return;
	}
	argv[0] = j->update;
	if (W.rrdcached)
		rc = rrdc_update(j->path, 1, argv);
	else
		rc = rrd_updatex_r(j->path, NULL, RRD_SKIP_PAST_UPDATES, 1,
		    argv);
	if (rc != 0) {
		const char *e = rrd_get_error();

		W.failures++;
		/* a stale time after a clock jump back is not news */
		if (strstr(e, "illegal attempt to update") == NULL &&
		    W.complained++ < 20)
			log_warnx("store: %s: update %s: %s", j->id, j->path,
			    e);
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

void
store_round(const struct target_def *d, time_t when,
    const struct round_stats *rs, const double *values)
{
	struct store_job *j = xcalloc(1, sizeof(*j));
	const struct tm_probe_ops *ops = d->probe ? d->probe->ops : NULL;
	size_t len, cap = 256;
	char *u = xmalloc(cap);
	int up = rs->received > 0;

	j->path = xasprintf("%s/rrd/%s.rrd", state_dir, d->pub.id);
	j->id = xstrdup(d->pub.id);
	job_layout(j, d);

	len = (size_t)snprintf(u, cap, "%lld", (long long)when);
	append_value(&u, &len, &cap, rs->median);
	append_value(&u, &len, &cap, rs->min);
	append_value(&u, &len, &cap, rs->max);
	append_value(&u, &len, &cap, rs->avg);
	append_value(&u, &len, &cap, rs->jitter);
	append_value(&u, &len, &cap, rs->loss_pct);
	append_value(&u, &len, &cap, up ? 1 : 0);
	if (ops && (ops->flags & TM_PROBE_SMOKE))
		for (int i = 0; i < STATS_NQ; i++)
			append_value(&u, &len, &cap, rs->q[i]);
	for (size_t i = 0; ops && i < ops->nvalues; i++)
		append_value(&u, &len, &cap, values ? values[i] : NAN);
	j->update = u;
	worker_submit(writer, write_run, write_done, j);
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
			for (size_t i = 0; i < W.nverified; i++)
				if (rrdc_flush(W.verified[i]) != 0) {
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
