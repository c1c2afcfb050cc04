#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rrd.h>

#include "conf.h"
#include "journal.h"
#include "log.h"
#include "report.h"
#include "store.h"
#include "util.h"

#define T_INF ((time_t)1 << 60)         /* open ends of intervals */
#define LOOKBACK_FILES 24               /* months searched for old states */
#define NEXT_MONTH_S 86400              /* of the next month, read this much */
#define ALIVE_GRACE_S (2 * REPORT_ALIVE_S)

/* ---- time zones and months ---- */

int
report_parse_month(const char *s, int *year, int *month)
{
	int y, m, n = -1;

	if (s == NULL || sscanf(s, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 ||
	    s[7] != '\0' || s[4] != '-' || y < 1970 || y > 9999 || m < 1 ||
	    m > 12)
		return -1;
	*year = y;
	*month = m;
	return 0;
}

void
report_month_of(const char *tz, time_t t, int delta, int *year, int *month)
{
	struct tz_save z;
	struct tm tm;
	int k;

	tz_enter(&z, tz);
	localtime_r(&t, &tm);
	tz_leave(&z);
	k = (tm.tm_year + 1900) * 12 + tm.tm_mon + delta;
	*year = k / 12;
	*month = k % 12 + 1;
}

/* Local midnight of the 1st (mktime fixes the offset, DST included). */
static time_t
month_start(int year, int month)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900 + (month - 1) / 12;
	tm.tm_mon = (month - 1) % 12;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

int
report_month_bounds(const char *tz, int year, int month, time_t *start,
    time_t *end)
{
	struct tz_save z;

	if (year < 1970 || year > 9999 || month < 1 || month > 12)
		return -1;
	tz_enter(&z, tz);
	*start = month_start(year, month);
	*end = month_start(year, month + 1);
	tz_leave(&z);
	return *start == (time_t)-1 || *end <= *start ? -1 : 0;
}

/* "2026-11-26T21:36:47+07:00" as the journal writes it, or `fallback`. */
static time_t
parse_iso(const char *s, time_t fallback)
{
	time_t t = iso8601_parse(s);

	return t > 0 ? t : fallback;
}

/* ---- interval sets: sorted, disjoint [a, b) ---- */

struct iv {
	time_t a, b;
};

struct iset {
	struct iv *v;
	size_t n, cap;
	int sorted;
};

static void
iset_add(struct iset *s, time_t a, time_t b)
{
	if (a >= b)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n].a = a;
	s->v[s->n].b = b;
	s->n++;
	s->sorted = 0;
}

static void
iset_addset(struct iset *s, const struct iset *o)
{
	for (size_t i = 0; i < o->n; i++)
		iset_add(s, o->v[i].a, o->v[i].b);
}

static int
iv_cmp(const void *x, const void *y)
{
	const struct iv *a = x, *b = y;

	return a->a < b->a ? -1 : a->a > b->a;
}

static void
iset_norm(struct iset *s)
{
	size_t k = 0;

	if (s->sorted || s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), iv_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (k > 0 && s->v[i].a <= s->v[k - 1].b) {
			if (s->v[i].b > s->v[k - 1].b)
				s->v[k - 1].b = s->v[i].b;
		} else
			s->v[k++] = s->v[i];
	}
	s->n = k;
	s->sorted = 1;
}

/* Seconds of [a, b) covered by s (normalised). */
static long
iset_overlap(const struct iset *s, time_t a, time_t b)
{
	long sum = 0;

	for (size_t i = 0; i < s->n && s->v[i].a < b; i++) {
		time_t x = s->v[i].a > a ? s->v[i].a : a;
		time_t y = s->v[i].b < b ? s->v[i].b : b;

		if (y > x)
			sum += (long)(y - x);
	}
	return sum;
}

static void
iset_free(struct iset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- the replay ---- */

struct raw_outage {
	time_t a, b;            /* b = T_INF: still out */
	enum report_kind kind;
	char *via;
	int acked;
};

struct hint_ev {
	size_t target;
	time_t ts;
	enum report_hint kind;
	char *instance;
};

struct trp {
	int seen;               /* a state change was read */
	time_t exists_from;     /* its first round */
	int out;
	struct raw_outage cur;
	struct raw_outage *outs;
	size_t nouts;
	int in_maint;
	time_t maint_since;
	struct iset maint;
};

struct replay {
	const struct conf *c;
	time_t ps;              /* the period's start */
	time_t limit;           /* events after this are not read */
	int stopped;            /* reading stopped at `limit` */
	int peek;               /* read one more line, then stop */
	int any;                /* an event was read */
	int running;            /* tramond running, as far as we know */
	time_t off_since;       /* stopped since */
	time_t last_ts;         /* the latest event's time */
	int cut_open;
	time_t cut_since;
	time_t cut_end;         /* of the last cut */
	struct iset off, cut;
	struct trp *t;
	struct hint_ev *hints;
	size_t nhints;
};

static const char *
jstr(json_t *ev, const char *key)
{
	return json_string_value(json_object_get(ev, key));
}

static void
outage_close(struct trp *t, time_t b)
{
	t->cur.b = b < t->cur.a ? t->cur.a : b;
	t->outs = xreallocarray(t->outs, t->nouts + 1, sizeof(*t->outs));
	t->outs[t->nouts++] = t->cur;
	memset(&t->cur, 0, sizeof(t->cur));
	t->out = 0;
}

static void
on_state(struct trp *t, json_t *ev, time_t ts)
{
	const char *to = jstr(ev, "to"), *parent = jstr(ev, "parent");
	time_t since = parse_iso(jstr(ev, "streak_since"), ts);
	int down, unreach;

	if (to == NULL)
		return;
	if (since > ts)
		since = ts;
	if (!t->seen) {
		t->seen = 1;
		t->exists_from = since;
	}
	down = strcmp(to, "down") == 0;
	unreach = strcmp(to, "unreachable") == 0;
	if (down || unreach) {
		if (!t->out) {
			t->out = 1;
			memset(&t->cur, 0, sizeof(t->cur));
			t->cur.a = since;
			t->cur.b = T_INF;
			t->cur.kind = down ? RK_DOWN : RK_UNREACHABLE;
		} else if (down)
			t->cur.kind = RK_DOWN;	/* the worst it was */
		if (unreach && parent) {
			free(t->cur.via);
			t->cur.via = xstrdup(parent);
		}
		if (t->cur.kind == RK_DOWN) {
			free(t->cur.via);
			t->cur.via = NULL;
		}
	} else if (strcmp(to, "up") == 0 || strcmp(to, "degraded") == 0) {
		if (t->out)
			outage_close(t, since);
	}
}

static void
on_event(struct replay *rp, const char *event, json_t *ev, time_t ts)
{
	const char *id = jstr(ev, "target"), *action = jstr(ev, "action");
	int i = id ? conf_target_index(rp->c, id) : -1;
	struct trp *t = i >= 0 ? &rp->t[i] : NULL;

	if (strcmp(event, "start") == 0) {
		/* after a crash (no "stop"), nothing is known from the last
		 * line before this one */
		if (!rp->any)
			iset_add(&rp->off, -T_INF, ts);
		else if (rp->running)
			iset_add(&rp->off, rp->last_ts, ts);
		else
			iset_add(&rp->off, rp->off_since, ts);
		rp->running = 1;
	} else if (strcmp(event, "stop") == 0) {
		if (rp->running || !rp->any) {
			rp->running = 0;
			rp->off_since = ts;
		}
	} else if (!rp->any)
		rp->running = 1;	/* only a running tramond writes */

	if (strcmp(event, "state") == 0 && t)
		on_state(t, ev, ts);
	else if (strcmp(event, "maintenance") == 0 && t && action) {
		if (strcmp(action, "start") == 0 && !t->in_maint) {
			t->in_maint = 1;
			t->maint_since = ts;
		} else if (strcmp(action, "end") == 0 && t->in_maint) {
			iset_add(&t->maint, t->maint_since, ts);
			t->in_maint = 0;
		}
	} else if (strcmp(event, "ack") == 0 && t) {
		if (t->out)
			t->cur.acked = 1;
	} else if (strcmp(event, "way_out") == 0 && action) {
		if (strcmp(action, "cut") == 0 && !rp->cut_open) {
			rp->cut_open = 1;
			rp->cut_since = parse_iso(jstr(ev, "since"), ts);
			/* cut again before the digest: "since" is still the
			 * first cut's; this one began when the root that
			 * went down began to fail */
			if (rp->cut_since < rp->cut_end)
				rp->cut_since = t && t->out && t->cur.a >
				    rp->cut_end ? t->cur.a : ts;
		} else if ((strcmp(action, "reconnected") == 0 ||
		    strcmp(action, "digest") == 0) && rp->cut_open) {
			rp->cut_end = parse_iso(jstr(ev, "at"), ts);
			iset_add(&rp->cut, rp->cut_since, rp->cut_end);
			rp->cut_open = 0;
		}
	} else if ((strcmp(event, "reboot") == 0 ||
	    strcmp(event, "port_down") == 0) && i >= 0) {
		struct hint_ev *h;
		const char *inst = jstr(ev, "instance");

		rp->hints = xreallocarray(rp->hints, rp->nhints + 1,
		    sizeof(*rp->hints));
		h = &rp->hints[rp->nhints++];
		h->target = (size_t)i;
		h->ts = ts;
		h->kind = event[0] == 'r' ? RH_REBOOT : RH_PORT_DOWN;
		h->instance = inst ? xstrdup(inst) : NULL;
	}
	/* anything else ("alive", "reload", notices) only says tramond
	 * was running */
	rp->any = 1;
	if (ts > rp->last_ts)
		rp->last_ts = ts;
}

static int
replay_one(void *arg, json_t *ev, unsigned lineno)
{
	struct replay *rp = arg;
	const char *event = jstr(ev, "event");
	json_t *jts = json_object_get(ev, "ts");
	time_t ts;

	(void)lineno;
	if (event == NULL || !json_is_integer(jts))
		return 0;	/* not ours: ignored */
	ts = (time_t)json_integer_value(jts);
	if (ts <= 0)
		return 0;
	on_event(rp, event, ev, ts);
	/* one line past the limit (or the first of a later file) still
	 * tells whether tramond ran on or started again after a crash */
	if (ts > rp->limit || rp->peek) {
		rp->stopped = 1;
		return 1;
	}
	return 0;
}

/* After the last line: what is open stays open; a tramond that wrote
 * nothing for longer than its "alive" beat is no longer running. */
static void
replay_end(struct replay *rp, time_t now)
{
	const struct conf *c = rp->c;

	if (!rp->any)
		iset_add(&rp->off, -T_INF, T_INF);
	else if (!rp->running)
		iset_add(&rp->off, rp->off_since, T_INF);
	else if (!rp->stopped && now - rp->last_ts > ALIVE_GRACE_S)
		iset_add(&rp->off, rp->last_ts, T_INF);
	if (rp->cut_open)
		iset_add(&rp->cut, rp->cut_since, T_INF);
	for (size_t i = 0; i < c->ntargets; i++) {
		struct trp *t = &rp->t[i];

		if (t->in_maint)
			iset_add(&t->maint, t->maint_since, T_INF);
		if (t->out)
			outage_close(t, T_INF);
	}
}

/* ---- which files ---- */

static int
key_cmp(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	return a < b ? -1 : a > b;
}

/* The months (year * 12 + month - 1) that have a journal file, sorted. */
static int *
journal_months(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int *keys = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		int y, m, len = -1;

		if (sscanf(de->d_name, "%4d-%2d.jsonl%n", &y, &m, &len) != 2 ||
		    len != 13 || de->d_name[13] != '\0' || m < 1 || m > 12)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			keys = xreallocarray(keys, cap, sizeof(*keys));
		}
		keys[(*n)++] = y * 12 + m - 1;
	}
	closedir(d);
	if (*n)
		qsort(keys, *n, sizeof(*keys), key_cmp);
	return keys;
}

static char *
month_file(const char *dir, int key)
{
	return xasprintf("%s/%04d-%02d.jsonl", dir, key / 12, key % 12 + 1);
}

struct scan {
	const struct conf *c;
	unsigned char *known;
	size_t nknown;
};

static int
scan_one(void *arg, json_t *ev, unsigned lineno)
{
	struct scan *s = arg;
	const char *event = jstr(ev, "event"), *id = jstr(ev, "target");
	int i;

	(void)lineno;
	if (event && id && strcmp(event, "state") == 0 &&
	    (i = conf_target_index(s->c, id)) >= 0 && !s->known[i]) {
		s->known[i] = 1;
		s->nknown++;
	}
	return 0;
}

/*
 * The oldest month to replay: the one before the report's, or older
 * while some target's last state change is still not found (a target
 * that has been up for a year has none in the last months).
 */
static int
first_month(const struct conf *c, const char *dir, const int *keys,
    size_t n, int key)
{
	struct scan s = { c, xcalloc(c->ntargets + 1, 1), 0 };
	int first = key, files = 0;

	for (size_t k = n; k-- > 0 && files < LOOKBACK_FILES;) {
		char *path;

		if (keys[k] >= key)
			continue;
		path = month_file(dir, keys[k]);
		journal_read(path, scan_one, &s, NULL);
		free(path);
		first = keys[k];
		files++;
		if (s.nknown == c->ntargets)
			break;
	}
	free(s.known);
	return first;
}

/* ---- figures ---- */

/* A reboot of the target or its parent right at the outage's start or
 * end (the device came back restarted: power?), or else a port of the
 * parent going down as it began. */
static void
find_hint(const struct replay *rp, size_t ti, const struct raw_outage *o,
    struct report_outage *ro)
{
	const struct conf *c = rp->c;
	int parent = c->targets[ti].parent;
	int via = o->via ? conf_target_index(c, o->via) : -1;
	const struct hint_ev *best = NULL;
	time_t bestd = 0;

	for (size_t k = 0; k < rp->nhints; k++) {
		const struct hint_ev *h = &rp->hints[k];
		int who = (int)h->target;
		time_t d = h->ts > o->a ? h->ts - o->a : o->a - h->ts;

		if (who != (int)ti && who != parent && who != via)
			continue;
		if (h->kind == RH_REBOOT && o->b != T_INF) {
			time_t e = h->ts > o->b ? h->ts - o->b : o->b - h->ts;

			if (e < d)
				d = e;
		}
		if (h->kind == RH_PORT_DOWN && who == (int)ti)
			continue;	/* its own ports: no explanation */
		if (d > REPORT_HINT_S)
			continue;
		/* a reboot beats a port; then the nearest */
		if (best == NULL || (h->kind == RH_REBOOT &&
		    best->kind != RH_REBOOT) || (h->kind == best->kind &&
		    d < bestd)) {
			best = h;
			bestd = d;
		}
	}
	if (best == NULL)
		return;
	ro->hint = best->kind;
	ro->hint_target = xstrdup(c->targets[best->target].pub.id);
	if (best->instance)
		ro->hint_instance = xstrdup(best->instance);
}

static void
figures_finish(struct report_figures *f)
{
	long base = f->monitored - f->maintenance;

	f->availability = base > 0 ? 100.0 * (double)f->up / (double)base :
	    NAN;
	f->mttr = f->outages ? (f->down + f->unreachable) / (long)f->outages :
	    0;
}

/* Add the parts of `s` (normalised) within [ps, pe) to t's spans. */
static void
spans_add(struct report_target *t, const struct iset *s, time_t ps,
    time_t pe, enum report_span_kind kind)
{
	for (size_t i = 0; i < s->n && s->v[i].a < pe; i++) {
		time_t a = s->v[i].a > ps ? s->v[i].a : ps;
		time_t b = s->v[i].b < pe ? s->v[i].b : pe;

		if (b <= a)
			continue;
		t->spans = xreallocarray(t->spans, t->nspans + 1,
		    sizeof(*t->spans));
		t->spans[t->nspans].start = a;
		t->spans[t->nspans].end = b;
		t->spans[t->nspans].kind = kind;
		t->nspans++;
	}
}

static void
target_figures(struct report *r, const struct replay *rp, size_t ti)
{
	const struct trp *t = &rp->t[ti];
	struct report_target *rt = &r->targets[ti];
	struct report_figures *f = &rt->f;
	struct iset other = { 0 }, nd = { 0 }, ndm = { 0 };
	time_t ps = r->start, pe = r->period_end;

	/* no data: tramond off, the target not there yet; then the cut */
	iset_addset(&other, &rp->off);
	iset_add(&other, -T_INF, t->seen ? t->exists_from : T_INF);
	iset_norm(&other);
	iset_addset(&nd, &other);
	iset_addset(&nd, &rp->cut);
	iset_norm(&nd);
	iset_addset(&ndm, &nd);
	iset_addset(&ndm, &t->maint);
	iset_norm(&ndm);

	{
		struct iset m = { 0 };

		iset_addset(&m, &t->maint);
		iset_norm(&m);
		spans_add(rt, &m, ps, pe, RS_MAINTENANCE);
		iset_free(&m);
	}
	spans_add(rt, &nd, ps, pe, RS_NODATA);
	f->period = (long)(pe - ps);
	f->nodata = iset_overlap(&nd, ps, pe);
	f->nodata_cut = f->nodata - iset_overlap(&other, ps, pe);
	f->monitored = f->period - f->nodata;
	f->maintenance = iset_overlap(&ndm, ps, pe) - f->nodata;
	f->latency_ms = f->loss_pct = NAN;

	for (size_t k = 0; k < t->nouts; k++) {
		const struct raw_outage *o = &t->outs[k];
		struct report_outage *ro;
		time_t s = o->a > ps ? o->a : ps, e = o->b < pe ? o->b : pe;
		long counted, nodata, cut;

		if (e <= s)
			continue;
		counted = (long)(e - s) - iset_overlap(&ndm, s, e);
		nodata = iset_overlap(&nd, s, e);
		cut = nodata - iset_overlap(&other, s, e);
		if (counted <= 0 && cut <= 0)
			continue;	/* in maintenance, or tramond off */
		rt->outages = xreallocarray(rt->outages, rt->noutages + 1,
		    sizeof(*rt->outages));
		ro = &rt->outages[rt->noutages++];
		memset(ro, 0, sizeof(*ro));
		ro->start = s;
		ro->end = e;
		ro->raw_start = o->a;
		ro->raw_end = o->b == T_INF ? 0 : o->b;
		ro->duration = (long)(e - s);
		ro->counted = counted;
		ro->nodata = nodata;
		ro->cut = cut;
		ro->maintenance = iset_overlap(&ndm, s, e) - nodata;
		ro->kind = o->kind;
		ro->via = o->via ? xstrdup(o->via) : NULL;
		ro->acked = o->acked;
		ro->continued = o->a < ps;
		ro->ongoing = o->b > pe;
		find_hint(rp, ti, o, ro);
		if (counted <= 0)
			continue;	/* shown, but the monitor's */
		if (o->kind == RK_DOWN)
			f->down += counted;
		else
			f->unreachable += counted;
		f->outages++;
		if (counted > f->longest)
			f->longest = counted;
	}
	f->up = f->monitored - f->maintenance - f->down - f->unreachable;
	figures_finish(f);
	iset_free(&other);
	iset_free(&nd);
	iset_free(&ndm);
}

static void
group_figures(struct report *r)
{
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_figures *a = &r->targets[i].f;
		struct report_figures *g = &r->groups[r->targets[i].group_idx].f;

		g->period += a->period;
		g->monitored += a->monitored;
		g->maintenance += a->maintenance;
		g->up += a->up;
		g->down += a->down;
		g->unreachable += a->unreachable;
		g->nodata += a->nodata;
		g->nodata_cut += a->nodata_cut;
		g->outages += a->outages;
		if (a->longest > g->longest)
			g->longest = a->longest;
	}
	for (size_t k = 0; k < r->ngroups; k++) {
		r->groups[k].f.latency_ms = r->groups[k].f.loss_pct = NAN;
		figures_finish(&r->groups[k].f);
	}
}

static void
report_targets(struct report *r, const struct conf *c)
{
	r->ntargets = c->ntargets;
	r->targets = xcalloc(c->ntargets ? c->ntargets : 1,
	    sizeof(*r->targets));
	r->groups = xcalloc(c->ntargets ? c->ntargets : 1, sizeof(*r->groups));
	for (size_t i = 0; i < c->ntargets; i++) {
		const struct target_def *d = &c->targets[i];
		struct report_target *t = &r->targets[i];
		const char *g = d->group ? d->group : "";
		size_t k;

		t->id = xstrdup(d->pub.id);
		t->name = xstrdup(d->pub.name ? d->pub.name : d->pub.id);
		t->group = xstrdup(g);
		for (k = 0; k < r->ngroups; k++)
			if (strcmp(r->groups[k].name, g) == 0)
				break;
		if (k == r->ngroups)
			r->groups[r->ngroups++].name = xstrdup(g);
		r->groups[k].ntargets++;
		t->group_idx = k;
	}
}

static void
replay_free(struct replay *rp, size_t ntargets)
{
	for (size_t i = 0; i < ntargets; i++) {
		struct trp *t = &rp->t[i];

		for (size_t k = 0; k < t->nouts; k++)
			free(t->outs[k].via);
		free(t->outs);
		free(t->cur.via);
		iset_free(&t->maint);
	}
	free(rp->t);
	for (size_t k = 0; k < rp->nhints; k++)
		free(rp->hints[k].instance);
	free(rp->hints);
	iset_free(&rp->off);
	iset_free(&rp->cut);
}

struct report *
report_build(const struct conf *c, int year, int month, time_t now)
{
	struct report *r;
	struct replay rp;
	char *dir;
	int *keys, key = year * 12 + month - 1, first;
	size_t n;
	time_t start, end;

	if (report_month_bounds(c->timezone, year, month, &start, &end) == -1)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->year = year;
	r->month = month;
	r->start = start;
	r->end = end;
	r->period_end = now < start ? start : now < end ? now : end;
	r->partial = now < end;
	r->district = xstrdup(c->name ? c->name : "");
	r->timezone = xstrdup(c->timezone ? c->timezone : "");
	r->language = c->language;
	r->sla_pct = c->reports_present ? c->reports.sla_pct : 99.0;
	report_targets(r, c);

	memset(&rp, 0, sizeof(rp));
	rp.c = c;
	rp.ps = start;
	rp.limit = end + NEXT_MONTH_S;
	rp.t = xcalloc(c->ntargets ? c->ntargets : 1, sizeof(*rp.t));
	dir = xasprintf("%s/journal", c->state_dir);
	keys = journal_months(dir, &n);
	first = first_month(c, dir, keys, n, key);
	for (size_t k = 0; k < n && !rp.stopped; k++) {
		char *path;
		unsigned skipped = 0;

		if (keys[k] < first || keys[k] > key + 1)
			continue;
		path = month_file(dir, keys[k]);
		if (journal_read(path, replay_one, &rp, &skipped) == 0)
			r->files++;
		else
			log_warn("report: %s", path);
		if (skipped)
			log_warnx("report: %s: %u unreadable line(s) skipped",
			    path, skipped);
		r->skipped += skipped;
		free(path);
	}
	/* a gap in the files: was the next line a start or not? */
	rp.peek = 1;
	for (size_t k = 0; k < n && !rp.stopped; k++) {
		char *path;

		if (keys[k] <= key + 1)
			continue;
		path = month_file(dir, keys[k]);
		journal_read(path, replay_one, &rp, NULL);
		free(path);
	}
	free(keys);
	free(dir);
	replay_end(&rp, now);
	iset_norm(&rp.off);
	iset_norm(&rp.cut);
	for (size_t i = 0; i < c->ntargets; i++)
		target_figures(r, &rp, i);
	group_figures(r);
	replay_free(&rp, c->ntargets);
	return r;
}

/* ---- the RRD: latency and loss ---- */

static void
rrd_means(const char *path, time_t start, time_t end, double *lat,
    double *loss)
{
	unsigned long step = 3600, nds, rows;
	char **names = NULL;
	rrd_value_t *data = NULL;
	double sum[2] = { 0, 0 };
	long cnt[2] = { 0, 0 }, col[2] = { -1, -1 };

	if (store_rrd_fetch(path, "AVERAGE", &start, &end, &step, &nds,
	    &names, &data) != 0) {
		rrd_clear_error();
		return;
	}
	for (unsigned long i = 0; i < nds; i++) {
		if (strcmp(names[i], "median") == 0)
			col[0] = (long)i;
		else if (strcmp(names[i], "loss") == 0)
			col[1] = (long)i;
	}
	rows = step ? (unsigned long)(end - start) / step : 0;
	for (unsigned long row = 0; row < rows; row++)
		for (int k = 0; k < 2; k++) {
			double v;

			if (col[k] < 0)
				continue;
			v = data[row * nds + (unsigned long)col[k]];
			if (isfinite(v)) {
				sum[k] += v;
				cnt[k]++;
			}
		}
	if (cnt[0])
		*lat = sum[0] / (double)cnt[0] * 1e3;
	if (cnt[1])
		*loss = sum[1] / (double)cnt[1];
	for (unsigned long i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
}

int
report_rrd(struct report *r, const struct conf *c)
{
	for (size_t i = 0; i < r->ntargets; i++) {
		struct report_target *t = &r->targets[i];
		char *path;

		if (r->stop && atomic_load(r->stop))
			return -1;
		path = store_path(c, t->id);
		t->f.latency_ms = t->f.loss_pct = NAN;
		if (store_rrd_exists(path) && r->period_end > r->start)
			rrd_means(path, r->start, r->period_end,
			    &t->f.latency_ms, &t->f.loss_pct);
		free(path);
	}
	return 0;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ntargets; i++) {
		struct report_target *t = &r->targets[i];

		for (size_t k = 0; k < t->noutages; k++) {
			free(t->outages[k].via);
			free(t->outages[k].hint_target);
			free(t->outages[k].hint_instance);
		}
		free(t->outages);
		free(t->spans);
		free(t->id);
		free(t->name);
		free(t->group);
	}
	free(r->targets);
	for (size_t k = 0; k < r->ngroups; k++)
		free(r->groups[k].name);
	free(r->groups);
	free(r->district);
	free(r->timezone);
	free(r);
}
