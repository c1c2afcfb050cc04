#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <rrd.h>
#include <rrd_client.h>

#include "conf.h"
#include "graph.h"
#include "journal.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "web.h"
#include "webpage.h"
#include "worker.h"

/*
 * Loop-thread state.  Only the loop touches busy/pending/build (web_render,
 * web_refresh and the completion run there); the worker sees nothing but
 * its own snapshot, so no lock is needed.
 */
static struct {
	struct worker *worker;
	char *asset_dir;
	int busy;                       /* a render job is queued/running */
	int closing;
	struct web_snapshot *pending;   /* newest snapshot waiting */
	/* or, instead, what makes it once the running render ends */
	struct web_snapshot *(*build)(void *);
	void *build_arg;
	atomic_ulong renders;
	atomic_int stop;                /* web_close(): the render gives up */
} web;

/*
 * web_close() wants the worker back: the render in flight gives up at
 * its next graph or page.  Every file is replaced whole (file_replace(),
 * or the rrdtool child's temporary file renamed), so those it did not
 * get to stay as the previous render left them.
 */
static int
stopping(void)
{
	return atomic_load(&web.stop);
}

/* --- snapshots */

static void
target_free(struct web_target *t)
{
	free(t->id);
	free(t->name);
	free(t->group);
	free(t->type);
	free(t->host);
	free(t->why);
	free(t->parent_id);
	free(t->rrd);
	free(t->values);
	for (size_t i = 0; i < t->ninst; i++) {
		free(t->inst[i].name);
		free(t->inst[i].label);
		free(t->inst[i].values);
		free(t->inst[i].rrd);
	}
	free(t->inst);
}

void
web_event_clear(struct web_event *e)
{
	free(e->target_id);
	free(e->target_name);
	free(e->event);
	free(e->instance);
	free(e->why);
	memset(e, 0, sizeof(*e));
}

int
web_event_from_journal(json_t *ev, const char *(*name_of)(const char *id,
    void *arg), void *arg, struct web_event *e)
{
	const char *event = json_string_value(json_object_get(ev, "event"));
	const char *id = json_string_value(json_object_get(ev, "target"));
	const char *from = json_string_value(json_object_get(ev, "from"));
	const char *to = json_string_value(json_object_get(ev, "to"));
	const char *why = json_string_value(json_object_get(ev, "reason"));
	const char *inst = json_string_value(json_object_get(ev, "instance"));
	const char *act = json_string_value(json_object_get(ev, "action"));
	json_int_t ts = json_integer_value(json_object_get(ev, "ts"));
	const char *name = NULL;

	memset(e, 0, sizeof(*e));
	if (event == NULL || ts <= 0)
		return 0;
	if (strcmp(event, "state") == 0 && id && from && to) {
		e->from = tstate_parse(from) < 0 ? TS_UNKNOWN :
		    (enum tstate)tstate_parse(from);
		e->to = tstate_parse(to) < 0 ? TS_UNKNOWN :
		    (enum tstate)tstate_parse(to);
	} else if (strcmp(event, "start") == 0 || strcmp(event, "stop") == 0)
		id = why = NULL;
	else if (strcmp(event, "way_out") == 0 && act &&
	    (strcmp(act, "cut") == 0 || strcmp(act, "reconnected") == 0)) {
		event = act;	/* the monitor's own: no target */
		id = why = NULL;
	} else if (id == NULL || strcmp(event, "reload") == 0 ||
	    strcmp(event, "way_out") == 0)
		return 0;
	else
		e->instance = inst ? xstrdup(inst) : NULL;
	if (id)
		name = name_of ? name_of(id, arg) : NULL;
	e->at = (time_t)ts;
	e->event = xstrdup(event);
	e->target_id = id ? xstrdup(id) : NULL;
	e->target_name = id ? xstrdup(name ? name : id) : NULL;
	e->why = why && *why ? xstrdup(why) : NULL;
	return 1;
}

void
web_snapshot_free(struct web_snapshot *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ntargets; i++)
		target_free(&s->targets[i]);
	for (size_t i = 0; i < s->nevents; i++)
		web_event_clear(&s->events[i]);
	for (size_t i = 0; i < s->nmeetings; i++) {
		free(s->meetings[i].name);
		json_decref(s->meetings[i].last);
	}
	free(s->meetings);
	free(s->targets);
	free(s->events);
	free(s->district);
	free(s->web_dir);
	free(s->state_dir);
	free(s->rrdcached);
	free(s);
}

/* --- reading the RRDs */

/*
 * With rrdcached the newest values may still sit in the daemon: have it
 * write the file before reading it directly.  A daemon that cannot be
 * reached is logged when it starts failing and when it is back, not at
 * every render (web_status_json may run on another thread: atomic).
 */
static atomic_int flush_failing;

static void
flush_rrd(const char *daemon, const char *rrd)
{
	char *name;
	int rc;

	/* a remote rrdcached's FETCH writes the file out itself */
	if (daemon == NULL || *daemon == '\0' || store_remote() != NULL)
		return;
	/* not rrdc_flush_if_daemon(): it reports success when it cannot
	 * connect at all; over TCP the name is relative to rrdcached's base
	 * (store_cached_name) */
	name = store_cached_name(rrd);
	store_client_lock();
	rrd_clear_error();
	rc = rrdc_connect(daemon) != 0 || !rrdc_is_connected(daemon) ||
	    rrdc_flush(name) != 0;
	store_client_unlock();
	free(name);
	if (rc) {
		if (atomic_exchange(&flush_failing, 1) == 0)
			log_warnx("web: rrdcached %s: flush %s: %s; graphs and "
			    "uptime may miss the newest values", daemon, rrd,
			    rrd_test_error() ? rrd_get_error() : "failed");
		rrd_clear_error();
	} else if (atomic_exchange(&flush_failing, 0) == 1)
		log_info("web: rrdcached %s: flushing again", daemon);
}

/*
 * The finest archive of every RRD keeps one step for two days
 * (daemon/store.c); longer windows read coarser archives for the rest.
 * The fine read stops an hour short of that: rounds go on being stored
 * while a render reads, so the archive may end after the snapshot's
 * time, and rrd_fetch() answers a span it no longer covers entirely from
 * a coarser archive, empty while the target is young (no jitter seen,
 * its graphs removed).
 */
#define FINE_SPAN (2L * 86400 - 3600)

/*
 * Add the seconds the target was up, and the seconds with data, between
 * `start` and `end` from the `up` data source (1 = up, 0 = down).  Rows
 * with no data (NaN: tramond not running, not created yet) do not count.
 * If `jitter` is given, set it when the "jitter" data source has a value
 * in that time: only targets with several answers a round measure it.
 */
static int
up_seconds(const char *rrd, time_t start, time_t end, double *up_s,
    double *known_s, int *jitter)
{
	unsigned long step = 1, nds = 0, rows, up = (unsigned long)-1;
	unsigned long jit = (unsigned long)-1;
	char **names = NULL;
	rrd_value_t *data = NULL;

	rrd_clear_error();
	if (store_rrd_fetch(rrd, "AVERAGE", &start, &end, &step, &nds, &names,
	    &data) != 0) {
		log_debug("web: fetch %s: %s", rrd, rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	for (unsigned long i = 0; i < nds; i++) {
		if (strcmp(names[i], "up") == 0)
			up = i;
		if (jitter && strcmp(names[i], "jitter") == 0)
			jit = i;
	}
	rows = step ? (unsigned long)(end - start) / step : 0;
	for (unsigned long r = 0; up != (unsigned long)-1 && r < rows; r++) {
		double v = data[r * nds + up];

		if (isfinite(v)) {
			*up_s += v * (double)step;
			*known_s += (double)step;
		}
		if (jit != (unsigned long)-1 && isfinite(data[r * nds + jit]))
			*jitter = 1;
	}
	for (unsigned long i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return 0;
}

/*
 * Share of known time the target answered over `seconds` before `end`,
 * in percent; NAN if there is no data at all.  The last two days come
 * from the one-step archive and the rest from a coarser one, so a target
 * monitored for an hour already has a 30-day figure.  `jitter`: as in
 * up_seconds(), over the same time.
 */
static double
uptime_pct(const char *rrd, time_t end, long seconds, int *jitter)
{
	double up_s = 0, known_s = 0;
	long fine = seconds < FINE_SPAN ? seconds : FINE_SPAN;
	int jit = 0, failed;

	failed = up_seconds(rrd, end - fine, end, &up_s, &known_s, &jit);
	if (seconds > fine)
		failed |= up_seconds(rrd, end - seconds, end - fine, &up_s,
		    &known_s, &jit);
	/* a failed read says nothing: its graphs are not removed */
	if (jitter)
		*jitter = jit ? 1 : failed ? -1 : 0;
	if (known_s == 0)
		return NAN;
	return 100.0 * up_s / known_s;
}

/* Here, or through a remote rrdcached. */
static int
rrd_exists(const char *rrd)
{
	return store_rrd_exists(rrd);
}

/* Uptime figures of every target (flushing through rrdcached first). */
static struct web_info *
gather(const struct web_snapshot *s)
{
	struct web_info *info = xcalloc(s->ntargets ? s->ntargets : 1,
	    sizeof(*info));

	for (size_t i = 0; i < s->ntargets; i++) {
		const char *rrd = s->targets[i].rrd;
		size_t ninst = s->targets[i].ninst;

		info[i].port = xcalloc(ninst ? ninst : 1,
		    sizeof(*info[i].port));
		info[i].uptime_24h = info[i].uptime_7d = NAN;
		info[i].uptime_30d = NAN;
		info[i].jitter = -1;
		/* no file, nothing to read (and rrdcached would answer
		 * "No such file" to the flush); nothing read when stopping,
		 * as no page will show it */
		if (!rrd_exists(rrd) || stopping())
			continue;
		flush_rrd(s->rrdcached, rrd);
		info[i].uptime_24h = uptime_pct(rrd, s->generated, 86400,
		    NULL);
		info[i].uptime_7d = uptime_pct(rrd, s->generated, 7L * 86400,
		    NULL);
		info[i].uptime_30d = uptime_pct(rrd, s->generated,
		    30L * 86400, &info[i].jitter);
	}
	return info;
}

static void
info_free(struct web_info *info, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(info[i].port);
	free(info);
}

/* --- status.json */

static json_t *
jstr(const char *s)
{
	char *clean;
	json_t *j;

	if (s == NULL)
		return json_null();
	clean = utf8_clean(s);
	j = json_string(clean);
	free(clean);
	return j ? j : json_null();
}

static json_t *
jtime(time_t t)
{
	char iso[40];

	if (t == 0)
		return json_null();
	iso8601(t, iso, sizeof(iso));
	return json_string(iso);
}

/* A number rounded to `decimals`, or null when unknown (JSON has no
 * NaN, and jansson refuses one). */
static json_t *
jnum(double v, int decimals)
{
	double f = pow(10, decimals);

	if (!isfinite(v))
		return json_null();
	return json_real(round(v * f) / f);
}

/* A probe's value as tramonctl gives it: as it is, or null. */
static json_t *
jval(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/*
 * The probe's values ("uptime": seconds) and instances ("interfaces":
 * [{"name", "label", "in_octets", ...}]) in the shape of tramonctl
 * status --json (daemon/monitor.c), counters as rates per second.  A
 * value never hides one of the fields above.
 */
static void
status_series(json_t *o, const struct web_target *t)
{
	json_t *arr;

	for (size_t k = 0; t->vdefs && t->values && k < t->nvalues; k++)
		if (json_object_get(o, t->vdefs[k].name) == NULL)
			json_object_set_new(o, t->vdefs[k].name,
			    jval(t->values[k]));
	if (t->idefs == NULL || t->nidefs == 0 || t->instance_list == NULL ||
	    json_object_get(o, t->instance_list) != NULL)
		return;
	arr = json_array();
	for (size_t n = 0; n < t->ninst; n++) {
		const struct web_instance *in = &t->inst[n];
		json_t *io = json_object();

		json_object_set_new(io, "name", jstr(in->name));
		json_object_set_new(io, "label", jstr(in->label));
		for (size_t k = 0; in->values && k < t->nidefs; k++)
			if (json_object_get(io, t->idefs[k].name) == NULL)
				json_object_set_new(io, t->idefs[k].name,
				    jval(in->values[k]));
		json_array_append_new(arr, io);
	}
	json_object_set_new(o, t->instance_list, arr);
}

/* One target's object, as status.json shows it. */
static json_t *
status_target(const struct web_target *t, const struct web_info *in)
{
	int have = t->last_round != 0;
	json_t *o = json_object();

	json_object_set_new(o, "id", jstr(t->id));
	json_object_set_new(o, "name", jstr(t->name));
	json_object_set_new(o, "group", jstr(t->group));
	json_object_set_new(o, "type", jstr(t->type));
	json_object_set_new(o, "host", jstr(t->host));
	json_object_set_new(o, "state", json_string(tstate_name(t->state)));
	json_object_set_new(o, "since", jtime(t->since));
	json_object_set_new(o, "last_round", jtime(t->last_round));
	json_object_set_new(o, "rtt_ms",
	    jnum(have ? t->last.median * 1e3 : NAN, 3));
	json_object_set_new(o, "loss_pct",
	    jnum(have ? t->last.loss_pct : NAN, 2));
	json_object_set_new(o, "jitter_ms",
	    jnum(have ? t->last.jitter * 1e3 : NAN, 3));
	json_object_set_new(o, "uptime_24h_pct", jnum(in->uptime_24h, 3));
	json_object_set_new(o, "uptime_7d_pct", jnum(in->uptime_7d, 3));
	json_object_set_new(o, "uptime_30d_pct", jnum(in->uptime_30d, 3));
	/* why the last round failed or was over a threshold */
	json_object_set_new(o, "reason",
	    t->why && *t->why ? jstr(t->why) : json_null());
	status_series(o, t);
	return o;
}

/* A value alone, as JSON (caller frees). */
static char *
json_text(json_t *v, size_t flags)
{
	char *text = json_dumps(v, flags | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(12));

	json_decref(v);
	if (text == NULL)
		fatalx("web: json_dumps failed");
	return text;
}

/*
 * {"generated", "district", "targets": [...]}, a target at a time, a
 * line each: as one jansson tree, 10,000 targets took ~30 MB for as
 * long as the render wrote them, a large part of tramond's peak.
 */
static void
status_json_to(struct buf *b, const struct web_snapshot *s,
    const struct web_info *info)
{
	char *g = json_text(jtime(s->generated), 0);
	char *d = json_text(jstr(s->district), 0);

	buf_printf(b, "{\n \"generated\": %s,\n \"district\": %s,\n "
	    "\"targets\": [", g, d);
	free(g);
	free(d);
	for (size_t i = 0; i < s->ntargets; i++) {
		char *o = json_text(status_target(&s->targets[i], &info[i]),
		    JSON_COMPACT);

		buf_printf(b, "%s\n  %s", i ? "," : "", o);
		free(o);
	}
	buf_add(b, s->ntargets ? "\n ]\n}\n" : "]\n}\n");
}

static char *
status_json(const struct web_snapshot *s, const struct web_info *info)
{
	struct buf b;

	buf_init(&b);
	status_json_to(&b, s, info);
	return b.p;
}

char *
web_status_json(const struct web_snapshot *s)
{
	struct web_info *info = gather(s);
	char *json = status_json(s, info);

	info_free(info, s->ntargets);
	return json;
}

/* --- the render job (worker thread) */

/* A full disk fails every page of every render: a line every ten
 * minutes.  errno is the failure's. */
static void
write_failed(const char *path)
{
	static struct log_limit lim;	/* the worker thread's */
	unsigned long dropped;

	if (log_limited(&lim, 600, &dropped))
		log_warn("web: %s (%lu failed page writes before it not "
		    "logged)", path, dropped);
}

static int
write_file(const char *path, const char *data, size_t len)
{
	if (file_replace(path, data, len, 0) == -1) {
		write_failed(path);
		return -1;
	}
	return 0;
}

/* The pages that grow with the targets (the overview, status.json: 16
 * and 5 MB at 10,000) are written as they are made, never whole. */
struct page_job {
	const struct web_snapshot *s;
	const struct web_info *info;
};

static void
make_index(struct buf *b, void *arg)
{
	const struct page_job *j = arg;

	webpage_index(b, j->s, j->info);
}

static void
make_status(struct buf *b, void *arg)
{
	const struct page_job *j = arg;

	status_json_to(b, j->s, j->info);
}

static void
write_made(const struct web_snapshot *s, const struct web_info *info,
    const char *name, void (*make)(struct buf *, void *))
{
	struct page_job j = { s, info };
	char *path = xasprintf("%s/%s", s->web_dir, name);

	if (file_replace_made(path, make, &j, 0) == -1)
		write_failed(path);
	free(path);
}

/* Install the stylesheet when it is missing or differs. */
static void
copy_css(const char *web_dir)
{
	static int warned;	/* worker thread only */
	char *src, *dst, *want, *have;
	size_t wlen, hlen;

	if (web.asset_dir == NULL)
		return;
	src = xasprintf("%s/tramon.css", web.asset_dir);
	dst = xasprintf("%s/tramon.css", web_dir);
	if ((want = file_read(src, &wlen)) == NULL) {
		if (!warned++)
			log_warn("web: %s", src);
	} else {
		have = file_read(dst, &hlen);
		if (have == NULL || hlen != wlen || memcmp(have, want, wlen))
			write_file(dst, want, wlen);
		free(have);
	}
	free(want);
	free(src);
	free(dst);
}

static time_t
mtime_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_mtime : 0;
}

/* --- the graphs of ports */

/*
 * Port graphs drawn in one render at most.  A 48-port switch has 432
 * of them (8 graphs and a sparkline a port) at 10-30 ms each (11 ms on
 * the 2-core test machine): all at once, its first render would take
 * 5-13 s, and its 144 one-day ones, due every 5 minutes, would make
 * every fifth render seconds slower.  The most overdue are drawn first
 * and the others in the next renders, so port graphs add at most about
 * a second to a render however many switches there are.  With renders
 * every minute this keeps up with some 110 ports (3.4 graphs a port
 * every 5 minutes, the sparkline included); beyond that every graph is
 * still redrawn in turn, only less often.
 */
#define PORT_GRAPHS_PER_RENDER	80

/* A port's graphs cover 1 day to 1 year; no 3-hour ones, which would
 * be due at every render. */
#define PORT_FIRST_RANGE	GR_1D

#define PG_SPARK	(-1)		/* beside GP_TRAFFIC, GP_ERRORS */

/* 16 bytes: the first render of 10,000 targets lists 160,000 (and
 * qsort() copies them once more). */
struct pgraph {
	uint32_t t, k;			/* target, instance (0: a target's) */
	int8_t kind;			/* PG_SPARK, GP_* (ports) or GK_* */
	int8_t range;
	float overdue;
};

/* The most overdue first; among equals (new files) the 1-day ones, and
 * of those the sparklines the ports table shows. */
static int
most_overdue(const void *a, const void *b)
{
	const struct pgraph *x = a, *y = b;

	if (x->overdue != y->overdue)
		return x->overdue < y->overdue ? 1 : -1;
	if (x->range != y->range)
		return x->range - y->range;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->k > y->k) - (x->k < y->k);
}

/* --- the graphs of targets */

/*
 * Target graphs are drawn for at most this share of web_refresh in one
 * render, the most overdue first; the rest wait for the next render.
 * A ping target has 16 graphs (3 kinds x 5 ranges and a sparkline) at
 * about 12 ms each on the 2-core test machine: with 1,000 targets the
 * first render had 16,000 to draw (221 s), and each later one the
 * 4,000 three-hour graphs and sparklines plus the one-day ones that
 * came due (every 5 min), later the 7-day ones (30 min) and so on:
 * 43 to 73 s, past a 60-s web_refresh (docs/benchmarks.md).  With the
 * budget a render ends in time and the graphs that did not fit are
 * the first of the next one: when there is too much to draw, the
 * 3-hour graphs are redrawn a little less often than every render.
 */
#define TARGET_GRAPH_SHARE	0.6
/*
 * ... and never for longer than this, whatever web_refresh.  The pages
 * and status.json are written after the graphs, and a state change
 * waits for the render in flight: with web_refresh = 86400, 60 % would
 * let one render draw for 14 hours while the pages kept showing the
 * state of its start (issue 8).  Two minutes: a change is on the pages
 * within about two renders' graphs (4 min) at any web_refresh, and one
 * rrdtool child draws some 10,000 graphs in that time (12 ms each), the
 * whole first render of 600 ping targets; beyond that the rest wait for
 * the next render, as under the share.  It only bites from a
 * web_refresh of 200 s up.
 */
#define TARGET_GRAPH_MAX_S	120
/* ... but at least this many, so that every render makes progress */
#define TARGET_GRAPHS_MIN	20

double
web_graph_budget(int refresh)
{
	double s = TARGET_GRAPH_SHARE * (refresh > 0 ? refresh : 0);

	return s < TARGET_GRAPH_MAX_S ? s : TARGET_GRAPH_MAX_S;
}

/*
 * How overdue a target's graph is (graph_overdue()), the 3-hour ones
 * (due at every render) counted in renders: one drawn by the last
 * render is 0, one that missed a render 1, so that those that did not
 * fit come before the ones drawn last time.
 */
static double
target_overdue(const char *path, int r, time_t now, int refresh)
{
	double o = graph_overdue(path, r, now);
	struct stat sb;

	if (r != GR_3H || o != 0 || stat(path, &sb) == -1)
		return o;
	if (refresh < 1)
		refresh = 1;
	o = ((double)(now - sb.st_mtime) - 0.9 * refresh) / refresh;
	return o > 0 ? o : 0;
}

/* "web_dir/g/ID-lat-3h.png", "web_dir/g/ID-spark.png" (caller frees). */
static char *
target_graph_path(const char *gdir, const struct web_target *t, int kind,
    int range)
{
	char file[160];

	if (kind == PG_SPARK)
		graph_spark_file(t->id, file, sizeof(file));
	else
		graph_file(t->id, kind, range, file, sizeof(file));
	return xasprintf("%s/%s", gdir, file);
}

/* The graphs of target i that are due, added to `due`.  A target that
 * measures no jitter (one answer a round) has no jitter graphs: one
 * left from before is removed, so the page does not show it. */
/* An unwritable directory fails a removal for every target of every
 * render: a line every ten minutes, not 10,000 a render.  errno is the
 * failure's. */
static void __attribute__((format(printf, 1, 2)))
unlink_failed(const char *fmt, ...)
{
	static struct log_limit lim;	/* the worker thread's */
	unsigned long dropped;
	int saved = errno;
	char path[PATH_MAX];
	va_list ap;

	if (!log_limited(&lim, 600, &dropped))
		return;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	errno = saved;
	log_warn("web: cannot remove %s (%lu failed before it not logged)",
	    path, dropped);
}

static void
target_due(const struct web_snapshot *s, size_t i, const char *gdir,
    time_t now, const struct web_info *info, struct pgraph **due,
    size_t *n, size_t *cap)
{
	const struct web_target *t = &s->targets[i];

	for (int r = 0; r < GR_COUNT; r++)
		for (int k = PG_SPARK; k < GK_COUNT; k++) {
			char *path;
			double o;

			if (k == PG_SPARK && r != GR_3H)
				continue;
			path = target_graph_path(gdir, t, k, r);
			/* a target that measures no jitter (one answer a
			 * round) has none to show; not known (a failed
			 * read, a render stopped before it read): left */
			if (k == GK_JITTER && info->jitter == 0) {
				if (unlink(path) == -1 && errno != ENOENT)
					unlink_failed("%s", path);
				free(path);
				continue;
			}
			o = target_overdue(path, r, now, s->refresh);
			free(path);
			if (o < 0)
				continue;
			if (*n == *cap) {
				*cap = *cap ? 2 * *cap : 64;
				*due = xreallocarray(*due, *cap, sizeof(**due));
			}
			(*due)[(*n)++] = (struct pgraph){ (uint32_t)i, 0,
			    (int8_t)k, (int8_t)r, (float)o };
		}
}

/* Draw the target graphs that are due, most overdue first, until the
 * render has used its budget (web_graph_budget()) or is stopped; then
 * note which exist. */
static void
draw_target_graphs(const struct web_snapshot *s, const char *gdir,
    time_t now, int64_t t0, struct web_info *info)
{
	double budget = web_graph_budget(s->refresh);
	int64_t deadline = t0 + (int64_t)(budget * 1e9);
	struct pgraph *due = NULL;
	size_t n = 0, cap = 0, j;

	for (size_t i = 0; i < s->ntargets; i++)
		if (rrd_exists(s->targets[i].rrd))
			target_due(s, i, gdir, now, &info[i], &due, &n, &cap);
	if (n > 0)
		qsort(due, n, sizeof(*due), most_overdue);
	for (j = 0; j < n && !stopping() && (j < TARGET_GRAPHS_MIN ||
	    mono_ns() < deadline); j++) {
		const struct web_target *t = &s->targets[due[j].t];
		char *name = utf8_clean(t->name);  /* pango wants UTF-8 */
		char *path = target_graph_path(gdir, t, due[j].kind,
		    due[j].range);
		struct graph_req g = {
			.rrd = t->rrd, .name = name, .smoke = t->smoke,
			.lang = s->language, .end = s->generated
		};

		if (due[j].kind == PG_SPARK)
			graph_render_spark(&g, path);
		else
			graph_render(&g, due[j].kind, due[j].range, path);
		free(path);
		free(name);
	}
	if (stopping()) {
		free(due);
		return;		/* no page will need the rest */
	}
	if (j < n)
		log_debug("web: %zu target graphs due, %zu drawn in %.0f s; "
		    "the rest in the next render", n, j, budget);
	free(due);

	for (size_t i = 0; i < s->ntargets; i++) {
		char *path;

		for (int r = 0; r < GR_COUNT; r++)
			for (int k = 0; k < GK_COUNT; k++) {
				path = target_graph_path(gdir, &s->targets[i],
				    k, r);
				info[i].graph[k][r] = mtime_of(path);
				free(path);
			}
		path = target_graph_path(gdir, &s->targets[i], PG_SPARK,
		    GR_3H);
		info[i].spark = mtime_of(path);
		free(path);
	}
}

/* "web_dir/g/ID/PORT-traffic-1d.png" (caller frees). */
static char *
port_graph_path(const char *gdir, const struct web_target *t,
    const struct web_instance *in, int kind, int range)
{
	char safe[128], file[320];

	safe_filename(t->id, safe, sizeof(safe));
	if (kind == PG_SPARK)
		graph_port_spark_file(in->name, file, sizeof(file));
	else
		graph_port_file(in->name, kind, range, file, sizeof(file));
	return xasprintf("%s/%s/%s", gdir, safe, file);
}

static void
draw_port_graph(const struct web_snapshot *s, const struct pgraph *p,
    const char *gdir)
{
	const struct web_target *t = &s->targets[p->t];
	const struct web_instance *in = &t->inst[p->k];
	char *title = xasprintf("%s · %s", t->name, in->name);
	char *name = utf8_clean(title);
	char *path = port_graph_path(gdir, t, in, p->kind, p->range);
	struct graph_req g = {
		.rrd = in->rrd, .name = name, .lang = s->language,
		.end = s->generated
	};

	if (p->kind == PG_SPARK)
		graph_render_port_spark(&g, path);
	else
		graph_render_port(&g, p->kind, p->range, path);
	free(path);
	free(name);
	free(title);
}

/* The port graphs that are due, within the budget; then note which
 * exist. */
static void
draw_port_graphs(const struct web_snapshot *s, const char *gdir, time_t now,
    struct web_info *info)
{
	struct pgraph *due = NULL;
	size_t n = 0, cap = 0;
	char *path;

	for (size_t i = 0; i < s->ntargets; i++) {
		const struct web_target *t = &s->targets[i];
		char safe[128], *dir;

		if (t->ninst == 0)
			continue;
		safe_filename(t->id, safe, sizeof(safe));
		dir = xasprintf("%s/%s", gdir, safe);
		if (mkdir_p(dir, 0755) == -1) {
			log_warn("web: %s", dir);
			free(dir);
			continue;
		}
		free(dir);
		for (size_t k = 0; k < t->ninst; k++) {
			if (!rrd_exists(t->inst[k].rrd))
				continue;
			for (int r = PORT_FIRST_RANGE; r < GR_COUNT; r++)
				for (int kind = PG_SPARK; kind < GP_COUNT;
				    kind++) {
					double o;

					if (kind == PG_SPARK && r != GR_1D)
						continue;
					path = port_graph_path(gdir, t,
					    &t->inst[k], kind, r);
					o = graph_overdue(path, r, now);
					free(path);
					if (o < 0)
						continue;
					if (n == cap) {
						cap = cap ? 2 * cap : 64;
						due = xreallocarray(due, cap,
						    sizeof(*due));
					}
					due[n++] = (struct pgraph){
					    (uint32_t)i, (uint32_t)k,
					    (int8_t)kind, (int8_t)r, (float)o };
				}
		}
	}
	if (n > 0)
		qsort(due, n, sizeof(*due), most_overdue);
	for (size_t j = 0; j < n && j < PORT_GRAPHS_PER_RENDER &&
	    !stopping(); j++) {
		const struct web_instance *in =
		    &s->targets[due[j].t].inst[due[j].k];
		size_t m;

		/* the newest values may sit in rrdcached: once a port */
		for (m = 0; m < j; m++)
			if (due[m].t == due[j].t && due[m].k == due[j].k)
				break;
		if (m == j)
			flush_rrd(s->rrdcached, in->rrd);
		draw_port_graph(s, &due[j], gdir);
	}
	free(due);
	if (stopping())
		return;
	if (n > PORT_GRAPHS_PER_RENDER)
		log_debug("web: %zu port graphs due, %d drawn", n,
		    PORT_GRAPHS_PER_RENDER);

	for (size_t i = 0; i < s->ntargets; i++) {
		const struct web_target *t = &s->targets[i];

		for (size_t k = 0; k < t->ninst; k++) {
			struct web_pinfo *pi = &info[i].port[k];

			for (int r = PORT_FIRST_RANGE; r < GR_COUNT; r++)
				for (int kind = 0; kind < GP_COUNT; kind++) {
					path = port_graph_path(gdir, t,
					    &t->inst[k], kind, r);
					pi->graph[kind][r] = mtime_of(path);
					free(path);
				}
			path = port_graph_path(gdir, t, &t->inst[k], PG_SPARK,
			    GR_1D);
			pi->spark = mtime_of(path);
			free(path);
		}
	}
}

/* --- removing what is no longer configured */

static const struct web_target *
target_by_safe_id(const struct web_snapshot *s, const char *safe_id,
    size_t len)
{
	char safe[128];

	for (size_t i = 0; i < s->ntargets; i++) {
		safe_filename(s->targets[i].id, safe, sizeof(safe));
		if (strlen(safe) == len && strncmp(safe, safe_id, len) == 0)
			return &s->targets[i];
	}
	return NULL;
}

static int
known_id(const struct web_snapshot *s, const char *safe_id, size_t len)
{
	return target_by_safe_id(s, safe_id, len) != NULL;
}

static int
known_instance(const struct web_target *t, const char *safe_name,
    size_t len)
{
	char safe[256];

	for (size_t k = 0; t && k < t->ninst; k++) {
		safe_filename(t->inst[k].name, safe, sizeof(safe));
		if (strlen(safe) == len && strncmp(safe, safe_name, len) == 0)
			return 1;
	}
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Length of the id in a graph file name, 0 if it is not one of ours. */
static size_t
graph_id_len(const char *name)
{
	char suffix[32];

	if (ends_with(name, "-spark.png"))
		return strlen(name) - strlen("-spark.png");
	for (int k = 0; k < GK_COUNT; k++)
		for (int r = 0; r < GR_COUNT; r++) {
			snprintf(suffix, sizeof(suffix), "-%s-%s.png",
			    graph_kind_name(k), graph_range_name(r));
			if (ends_with(name, suffix))
				return strlen(name) - strlen(suffix);
		}
	return 0;
}

/* Length of the port in a port graph's file name, 0 if not ours. */
static size_t
port_graph_len(const char *name)
{
	char suffix[64];

	if (ends_with(name, "-spark.png"))
		return strlen(name) - strlen("-spark.png");
	for (int k = 0; k < GP_COUNT; k++)
		for (int r = 0; r < GR_COUNT; r++) {
			graph_port_file("", k, r, suffix, sizeof(suffix));
			/* "_-traffic-1d.png": safe_filename("") is "_" */
			if (ends_with(name, suffix + 1))
				return strlen(name) - strlen(suffix + 1);
		}
	return 0;
}

/* Length of the port in a port page's file name, 0 if not ours. */
static size_t
port_page_len(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && ends_with(name, ".html") ? n - 5 : 0;
}

/*
 * In the directory `name` of `parent` (t/ID or g/ID), remove the files
 * that `ours` recognises and that are not of a current instance of `t`
 * (all of them when `t` is NULL: the target is gone, and then the
 * directory too, if nothing else is in it).
 */
static void
prune_ports(DIR *parent, const char *pname, const char *name,
    const struct web_target *t, size_t (*ours)(const char *))
{
	struct dirent *de;
	DIR *d;
	int fd;

	fd = openat(dirfd(parent), name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return;		/* not a directory, or a symlink: not ours */
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = ours(de->d_name);

		if (n > 0 && !known_instance(t, de->d_name, n) &&
		    unlinkat(dirfd(d), de->d_name, 0) == -1 && errno != ENOENT)
			unlink_failed("%s/%s/%s", pname, name, de->d_name);
	}
	closedir(d);
	if (t == NULL && unlinkat(dirfd(parent), name, AT_REMOVEDIR) == -1 &&
	    errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
		unlink_failed("%s/%s", pname, name);
}

/* Remove the pages and graphs of targets no longer configured, and of
 * ports no longer reported, so the site does not keep showing them. */
static void
prune(const struct web_snapshot *s, const char *tdir, const char *gdir)
{
	DIR *d;
	struct dirent *de;

	if ((d = opendir(tdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			size_t n = strlen(de->d_name);

			if (de->d_name[0] == '.')
				continue;
			if (n > 5 && ends_with(de->d_name, ".html")) {
				if (!known_id(s, de->d_name, n - 5) &&
				    unlinkat(dirfd(d), de->d_name, 0) == -1)
					unlink_failed("%s/%s", tdir,
					    de->d_name);
			} else
				prune_ports(d, tdir, de->d_name,
				    target_by_safe_id(s, de->d_name, n),
				    port_page_len);
		}
		closedir(d);
	}
	if ((d = opendir(gdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			size_t n = graph_id_len(de->d_name);

			if (de->d_name[0] == '.')
				continue;
			if (n > 0) {
				if (!known_id(s, de->d_name, n) &&
				    unlinkat(dirfd(d), de->d_name, 0) == -1)
					unlink_failed("%s/%s", gdir,
					    de->d_name);
			} else if (!ends_with(de->d_name, ".png"))
				prune_ports(d, gdir, de->d_name,
				    target_by_safe_id(s, de->d_name,
				    strlen(de->d_name)), port_graph_len);
		}
		closedir(d);
	}
}

/* t/ID/PORT.html for every port of the target. */
static void
write_port_pages(const struct web_snapshot *s, size_t i,
    const struct web_info *info, const char *tdir)
{
	const struct web_target *t = &s->targets[i];
	char safe[128], port[256], *dir, *path;
	struct buf b;

	safe_filename(t->id, safe, sizeof(safe));
	dir = xasprintf("%s/%s", tdir, safe);
	if (mkdir_p(dir, 0755) == -1) {
		log_warn("web: %s", dir);
		free(dir);
		return;
	}
	for (size_t k = 0; k < t->ninst; k++) {
		buf_init(&b);
		webpage_port(&b, s, i, k, info);
		safe_filename(t->inst[k].name, port, sizeof(port));
		path = xasprintf("%s/%s.html", dir, port);
		write_file(path, b.p, b.len);
		free(path);
		buf_free(&b);
	}
	free(dir);
}

static int
report_cmp(const void *a, const void *b)
{
	const struct web_report *x = a, *y = b;
	int kx = x->year * 12 + x->month, ky = y->year * 12 + y->month;

	return ky < kx ? -1 : ky > kx;	/* newest first */
}

/* The months in web_dir/reports/ ("YYYY-MM.ext"), newest first. */
static struct web_report *
scan_reports(const char *dir, size_t *np)
{
	static const char *const ext[WR_COUNT] = { "html", "pdf", "csv", "txt" };
	struct web_report *v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	*np = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		int y, m, k, off = 0;
		char e[8];
		struct stat sb;
		size_t i;
		char *path;

		if (sscanf(de->d_name, "%4d-%2d.%7[a-z]%n", &y, &m, e,
		    &off) != 3 || de->d_name[off] != '\0' || y < 1970 ||
		    m < 1 || m > 12 || strlen(de->d_name) < 9)
			continue;
		for (k = 0; k < WR_COUNT && strcmp(ext[k], e) != 0; k++)
			;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (k == WR_COUNT || stat(path, &sb) == -1 ||
		    !S_ISREG(sb.st_mode)) {
			free(path);
			continue;
		}
		free(path);
		for (i = 0; i < n && (v[i].year != y || v[i].month != m); i++)
			;
		if (i == n) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n].year = y;
			v[n].month = m;
			for (int j = 0; j < WR_COUNT; j++)
				v[n].size[j] = -1;
			n++;
		}
		v[i].size[k] = sb.st_size;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), report_cmp);
	*np = n;
	return v;
}

static void
write_reports_index(const struct web_snapshot *s)
{
	char *dir = xasprintf("%s/reports", s->web_dir), *path;
	struct web_report *v;
	struct buf b;
	size_t n;

	if (mkdir_p(dir, 0755) == -1) {
		log_warn("web: cannot create %s", dir);
		free(dir);
		return;
	}
	v = scan_reports(dir, &n);
	buf_init(&b);
	webpage_reports(&b, s, v, n);
	path = xasprintf("%s/index.html", dir);
	write_file(path, b.p, b.len);
	free(path);
	buf_free(&b);
	free(v);
	free(dir);
}

/* ---- the events, month by month, from the journal ---- */

#define MONTH_REDRAW_S 300	/* the current month's page, at most */

static int
month_cmp(const void *a, const void *b)
{
	const struct web_month *x = a, *y = b;
	int kx = x->year * 12 + x->month, ky = y->year * 12 + y->month;

	return ky < kx ? -1 : ky > kx;	/* newest first */
}

/* The months state_dir/journal/ holds (YYYY-MM.jsonl), newest first. */
static struct web_month *
journal_months(const char *state_dir, size_t *np)
{
	char *dir = xasprintf("%s/journal", state_dir);
	struct web_month *v = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	*np = 0;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		int y, m, off = 0;

		if (sscanf(de->d_name, "%4d-%2d.jsonl%n", &y, &m, &off) != 2 ||
		    off != 13 || de->d_name[off] != '\0' || m < 1 || m > 12)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].year = y;
		v[n++].month = m;
	}
	closedir(d);
	free(dir);
	if (n > 1)
		qsort(v, n, sizeof(*v), month_cmp);
	*np = n;
	return v;
}

struct month_read {
	const struct web_target **by_id;	/* sorted */
	size_t ntargets;
	struct web_event *ev;
	size_t n, cap;
};

static int
target_id_cmp(const void *a, const void *b)
{
	const struct web_target *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* A month of 10,000 targets' events names each through this: a search,
 * not a scan (10^8 comparisons a page). */
static const char *
target_name_of(const char *id, void *arg)
{
	const struct month_read *mr = arg;
	struct web_target key = { .id = (char *)id };
	const struct web_target *k = &key, *const *hit;

	hit = bsearch(&k, mr->by_id, mr->ntargets, sizeof(*mr->by_id),
	    target_id_cmp);
	return hit ? (*hit)->name : NULL;	/* removed since: its id */
}

static int
month_one(void *arg, json_t *ev, unsigned lineno)
{
	struct month_read *mr = arg;
	struct web_event e;

	(void)lineno;
	if (web_event_from_journal(ev, target_name_of, mr, &e)) {
		if (mr->n == mr->cap) {
			mr->cap = mr->cap ? 2 * mr->cap : 64;
			mr->ev = xreallocarray(mr->ev, mr->cap,
			    sizeof(*mr->ev));
		}
		mr->ev[mr->n++] = e;
	}
	return 0;
}

struct month_page {
	const struct web_snapshot *s;
	const struct web_month *m, *months;
	size_t nmonths;
};

static void
make_month(struct buf *b, void *arg)
{
	const struct month_page *p = arg;

	webpage_events_month(b, p->s, p->m, p->months, p->nmonths);
}

/* events-YYYY-MM.html, again when its journal changed since (the
 * current month's at most every MONTH_REDRAW_S).  Written as it is
 * made: the month 10,000 targets first came up is 10,000 rows. */
static void
write_event_month(const struct web_snapshot *s, const struct web_month *m,
    const struct web_month *months, size_t nmonths, time_t now)
{
	char *jpath = xasprintf("%s/journal/%04d-%02d.jsonl", s->state_dir,
	    m->year, m->month);
	char *path = xasprintf("%s/events-%04d-%02d.html", s->web_dir,
	    m->year, m->month);
	struct stat js, ps;
	struct month_read mr = { NULL, s->ntargets, NULL, 0, 0 };
	struct web_snapshot ms;
	struct month_page page = { &ms, m, months, nmonths };
	unsigned skipped;

	if (stat(jpath, &js) == -1 || (stat(path, &ps) == 0 &&
	    (ps.st_mtime >= js.st_mtime || now - ps.st_mtime <
	    MONTH_REDRAW_S)))
		goto out;
	mr.by_id = xreallocarray(NULL, s->ntargets ? s->ntargets : 1,
	    sizeof(*mr.by_id));
	for (size_t i = 0; i < s->ntargets; i++)
		mr.by_id[i] = &s->targets[i];
	qsort(mr.by_id, s->ntargets, sizeof(*mr.by_id), target_id_cmp);
	if (journal_read(jpath, month_one, &mr, &skipped) == -1)
		goto out;
	ms = *s;		/* the page's own events, the rest shared */
	ms.events = mr.ev;
	ms.nevents = mr.n;
	/* an archive, written at most every MONTH_REDRAW_S: no reload,
	 * and no stale warning after three web_refresh */
	ms.refresh = 0;
	if (file_replace_made(path, make_month, &page, 0) == -1)
		write_failed(path);
out:
	for (size_t i = 0; i < mr.n; i++)
		web_event_clear(&mr.ev[i]);
	free(mr.ev);
	free(mr.by_id);
	free(jpath);
	free(path);
}

static void
write_pages(const struct web_snapshot *s, const struct web_info *info,
    const char *tdir)
{
	struct buf b;
	char safe[128], *path;
	struct web_month *months;
	size_t nmonths = 0;

	write_made(s, info, "status.json", make_status);

	/* a stop leaves the pages not yet written as they were, the
	 * overview (written last) included: whatever the old one links
	 * to still exists */
	for (size_t i = 0; i < s->ntargets && !stopping(); i++) {
		/* the ports first: the switch's page links to them */
		if (s->targets[i].ninst > 0)
			write_port_pages(s, i, info, tdir);
		buf_init(&b);
		webpage_target(&b, s, i, info);
		safe_filename(s->targets[i].id, safe, sizeof(safe));
		path = xasprintf("%s/%s.html", tdir, safe);
		write_file(path, b.p, b.len);
		free(path);
		buf_free(&b);
	}

	months = s->state_dir ? journal_months(s->state_dir, &nmonths) : NULL;
	/* a month's page reads its whole journal */
	for (size_t k = 0; k < nmonths && !stopping(); k++)
		write_event_month(s, &months[k], months, nmonths, time(NULL));
	if (stopping()) {
		free(months);
		return;
	}
	buf_init(&b);
	webpage_events(&b, s, months, nmonths);
	free(months);
	path = xasprintf("%s/events.html", s->web_dir);
	write_file(path, b.p, b.len);
	free(path);
	buf_free(&b);

	buf_init(&b);
	webpage_meetings(&b, s);
	path = xasprintf("%s/meetings.html", s->web_dir);
	write_file(path, b.p, b.len);
	free(path);
	buf_free(&b);

	write_reports_index(s);

	/* the overview last: everything it links to exists by now */
	write_made(s, info, "index.html", make_index);
}

static void
render_job(void *arg)
{
	const struct web_snapshot *s = arg;
	char *tdir = xasprintf("%s/t", s->web_dir);
	char *gdir = xasprintf("%s/g", s->web_dir);
	struct web_info *info;
	time_t now = time(NULL);
	int64_t t0 = mono_ns();

	if (mkdir_p(tdir, 0755) == -1 || mkdir_p(gdir, 0755) == -1) {
		log_warn("web: cannot create %s", s->web_dir);
		goto out;
	}
	copy_css(s->web_dir);
	info = gather(s);
	draw_target_graphs(s, gdir, now, t0, info);
	draw_port_graphs(s, gdir, now, info);
	if (!stopping())
		write_pages(s, info, tdir);
	if (stopping())
		log_info("web: render stopped after %lld ms; the pages it "
		    "did not write stay as the render before left them",
		    (long long)((mono_ns() - t0) / 1000000));
	else {
		prune(s, tdir, gdir);
		log_debug("web: rendered %zu targets in %lld ms", s->ntargets,
		    (long long)((mono_ns() - t0) / 1000000));
	}
	info_free(info, s->ntargets);
out:
	free(tdir);
	free(gdir);
	/* a render of thousands of targets leaves megabytes free */
	heap_release();
}

/* --- the loop side */

static void submit(struct web_snapshot *);

static void
render_done(void *arg)
{
	struct web_snapshot *next = web.pending;

	web_snapshot_free(arg);
	atomic_fetch_add(&web.renders, 1);
	web.busy = 0;
	web.pending = NULL;
	if (web.build != NULL && !web.closing)
		next = web.build(web.build_arg);
	web.build = NULL;
	if (next == NULL)
		return;
	if (web.closing)
		web_snapshot_free(next);
	else
		submit(next);
}

static void
submit(struct web_snapshot *s)
{
	web.busy = 1;
	worker_submit(web.worker, render_job, render_done, s);
}

int
web_open(struct event_base *base, const char *asset_dir)
{
	if (web.worker != NULL)
		return 0;
	web.worker = worker_new(base, "web");
	web.asset_dir = asset_dir ? xstrdup(asset_dir) : NULL;
	web.busy = web.closing = 0;
	web.pending = NULL;
	web.build = NULL;
	atomic_store(&web.stop, 0);
	return 0;
}

void
web_render(struct web_snapshot *snap)
{
	if (snap == NULL)
		return;
	if (web.worker == NULL || web.closing) {
		web_snapshot_free(snap);
		return;
	}
	if (web.busy) {
		/* only the newest state is worth drawing */
		web_snapshot_free(web.pending);
		web.pending = snap;
		web.build = NULL;
		return;
	}
	submit(snap);
}

void
web_refresh(struct web_snapshot *(*build)(void *), void *arg)
{
	if (web.worker == NULL || web.closing)
		return;
	if (web.busy) {
		/* a snapshot of thousands of targets is megabytes: one is
		 * being drawn, the next is made when that one is done */
		web_snapshot_free(web.pending);
		web.pending = NULL;
		web.build = build;
		web.build_arg = arg;
		return;
	}
	web_render(build(arg));
}

unsigned long
web_renders(void)
{
	return atomic_load(&web.renders);
}

void
web_close(void)
{
	if (web.worker == NULL)
		return;
	web.closing = 1;
	/* A render can be minutes of graphs: it gives up at the next graph
	 * or page, the graph being drawn at once, rather than holding up a
	 * stop (issue 8). */
	atomic_store(&web.stop, 1);
	graph_cancel(1);
	worker_free(web.worker);	/* runs the last completion */
	web.worker = NULL;
	graph_cancel(0);
	atomic_store(&web.stop, 0);
	graph_close();
	web_snapshot_free(web.pending);
	web.pending = NULL;
	web.build = NULL;
	web.busy = 0;
	web.closing = 0;
	free(web.asset_dir);
	web.asset_dir = NULL;
}
