#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "alerts.h"
#include "buf.h"
#include "conf.h"
#include "journal.h"
#include "log.h"
#include "meeting.h"
#include "report_job.h"
#include "monitor.h"
#include "probe.h"
#include "report.h"
#include "scheduler.h"
#include "series.h"
#include "state.h"
#include "stats.h"
#include "store.h"
#include "util.h"
#include "web.h"
#include "worker.h"

#define RECENT_EVENTS 200       /* kept for the events page */
#define SAVE_DELAY_S 2          /* state changes are saved this soon */
#define SAVE_EVERY_S 60         /* counters are saved this often anyway */
#define WEB_SOON_S 1            /* pages follow a state change this fast */

/* A target at run time; lives as long as its id stays configured. */
struct target_rt {
	int idx;                    /* in M.conf->targets */
	struct sched_target *sched;
	struct series_table series; /* the probe's values and instances */
};

static struct {
	struct event_base *base;
	struct conf *conf;
	struct target_rt **rt;      /* conf->ntargets entries */
	struct tstatus *st;
	struct state_model model;
	struct web_event recent[RECENT_EVENTS];  /* a ring, newest at head-1 */
	size_t nrecent, head;
	struct event *web_timer, *web_soon, *save_timer;
	struct event *alive_timer;
	struct worker *saver;
	int save_queued;
	/* sorting space for a round's rtts: one for all targets, the
	 * results arrive on the loop one at a time */
	double *scratch;
	size_t nscratch;
	time_t started;
	json_t *saved_alerts;       /* from state.json, until alerts start */
	time_t saved_at;            /* when state.json was written */
	json_t *replay;             /* notices journaled after that */
} M;

const struct conf *
monitor_conf(void)
{
	return M.conf;
}

/* ---- recent events (for the pages) ---- */

/* The ring's next slot, emptied: the oldest event goes. */
static struct web_event *
ring_next(void)
{
	struct web_event *e = &M.recent[M.head];

	web_event_clear(e);
	M.head = (M.head + 1) % RECENT_EVENTS;
	if (M.nrecent < RECENT_EVENTS)
		M.nrecent++;
	return e;
}

static struct web_event *
remember_new(time_t at, const char *event, const char *id,
    const char *name, const char *why)
{
	struct web_event *e = ring_next();

	e->at = at;
	e->event = xstrdup(event);
	e->target_id = id ? xstrdup(id) : NULL;
	e->target_name = name ? xstrdup(name) : NULL;
	e->why = why && *why ? xstrdup(why) : NULL;
	return e;
}

static void
remember(time_t at, const char *event, const char *id, const char *name,
    int from, int to, const char *why)
{
	struct web_event *e = remember_new(at, event, id, name, why);

	e->from = from;
	e->to = to;
}

static void web_soon(void);

/* The daemon's own: the monitor cut off ("cut"), back ("reconnected"). */
static void
remember_daemon(time_t at, const char *event)
{
	remember(at, event, NULL, NULL, 0, 0, NULL);
	web_soon();
}

/* An event a probe reported (a reboot, a port going down). */
static void
remember_event(time_t at, const char *kind, const char *id,
    const char *name, const char *instance, const char *why)
{
	struct web_event *e = remember_new(at, kind, id, name, why);

	e->instance = instance ? xstrdup(instance) : NULL;
}

/*
 * An event journaled after state.json was last written: tramond died
 * before the next save (a power cut, SIGKILL).  The journal is written
 * first, so it is the truth: states changed, notices said.
 */
static void
replay_one(int i, const char *event, json_t *ev, time_t ts)
{
	const char *to = json_string_value(json_object_get(ev, "to"));
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	const char *at = json_string_value(json_object_get(ev, "at"));
	time_t when = ts;
	int s;

	if (i >= 0 && strcmp(event, "state") == 0 && to &&
	    (s = tstate_parse(to)) >= 0) {
		M.st[i].state = (enum tstate)s;
		M.st[i].since = ts;
		M.st[i].fails = M.st[i].goods = 0;
		M.st[i].oks = M.st[i].slows = 0;
		M.st[i].pending = 0;
		return;
	}
	if (strcmp(event, "ack") == 0)
		kind = "ack";
	else if (strcmp(event, "way_out") == 0)	/* i may be -1 */
		kind = json_string_value(json_object_get(ev, "action"));
	else if (strcmp(event, "notice") != 0 || i < 0)
		return;
	if (kind == NULL)
		return;
	/* "at": when it happened, which a DOWN's later UP refers to */
	if (at && iso8601_parse(at))
		when = iso8601_parse(at);
	if (M.replay == NULL)
		M.replay = json_array();
	json_array_append_new(M.replay, json_pack("{s:i, s:s, s:I}",
	    "target", i, "kind", kind, "at", (json_int_t)when));
}

static const char *
name_of(const char *id, void *arg)
{
	int i = conf_target_index(M.conf, id);

	(void)arg;
	return i >= 0 ? M.conf->targets[i].pub.name : NULL;
}

static int
seed_one(void *arg, json_t *ev, unsigned lineno)
{
	const char *event = json_string_value(json_object_get(ev, "event"));
	const char *id = json_string_value(json_object_get(ev, "target"));
	json_int_t ts = json_integer_value(json_object_get(ev, "ts"));
	struct web_event e;
	int i;

	(void)arg;
	(void)lineno;
	if (event == NULL || ts <= 0)
		return 0;
	i = id ? conf_target_index(M.conf, id) : -1;
	if ((i >= 0 || strcmp(event, "way_out") == 0) && ts > M.saved_at)
		replay_one(i, event, ev, (time_t)ts);
	if (web_event_from_journal(ev, name_of, NULL, &e))
		*ring_next() = e;	/* moved */
	return 0;
}

/* The events page starts with what the journal of this month and the
 * last one already holds. */
static void
seed_recent(void)
{
	time_t now = time(NULL);
	struct tm tm;
	char *paths[2];
	unsigned skipped;

	localtime_r(&now, &tm);
	tm.tm_mday = 1;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	paths[0] = journal_path(M.conf->state_dir, mktime(&tm));
	paths[1] = journal_path(M.conf->state_dir, now);
	for (int i = 0; i < 2; i++) {
		if (journal_read(paths[i], seed_one, NULL, &skipped) == 0 &&
		    skipped)
			log_warnx("journal %s: %u unreadable line(s) skipped",
			    paths[i], skipped);
		free(paths[i]);
	}
}

/* ---- state persistence ---- */

static char *
state_file(void)
{
	return xasprintf("%s/state.json", M.conf->state_dir);
}

static json_t *
num_or_null(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static double
num_get(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *
status_to_json(const struct tstatus *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "state", json_string(tstate_name(s->state)));
	json_object_set_new(o, "since", json_integer(s->since));
	json_object_set_new(o, "streak_since", json_integer(s->streak_since));
	json_object_set_new(o, "fails", json_integer(s->fails));
	json_object_set_new(o, "goods", json_integer(s->goods));
	json_object_set_new(o, "oks", json_integer(s->oks));
	json_object_set_new(o, "slows", json_integer(s->slows));
	json_object_set_new(o, "pending", json_boolean(s->pending));
	json_object_set_new(o, "last_round", json_integer(s->last_round));
	json_object_set_new(o, "sent", json_integer(s->last.sent));
	json_object_set_new(o, "received", json_integer(s->last.received));
	json_object_set_new(o, "loss_pct", num_or_null(s->last.loss_pct));
	json_object_set_new(o, "min", num_or_null(s->last.min));
	json_object_set_new(o, "median", num_or_null(s->last.median));
	json_object_set_new(o, "avg", num_or_null(s->last.avg));
	json_object_set_new(o, "max", num_or_null(s->last.max));
	json_object_set_new(o, "jitter", num_or_null(s->last.jitter));
	json_object_set_new(o, "why", json_string(s->why));
	return o;
}

static void
status_from_json(struct tstatus *s, json_t *o)
{
	const char *state = json_string_value(json_object_get(o, "state"));
	const char *why = json_string_value(json_object_get(o, "why"));
	int st = state ? tstate_parse(state) : -1;

	if (st < 0 || st == TS_MAINTENANCE)
		st = TS_UNKNOWN;
	s->state = st;
	s->since = json_integer_value(json_object_get(o, "since"));
	s->streak_since = json_integer_value(json_object_get(o,
	    "streak_since"));
	s->fails = json_integer_value(json_object_get(o, "fails"));
	s->goods = json_integer_value(json_object_get(o, "goods"));
	s->oks = json_integer_value(json_object_get(o, "oks"));
	s->slows = json_integer_value(json_object_get(o, "slows"));
	s->pending = json_is_true(json_object_get(o, "pending"));
	s->last_round = json_integer_value(json_object_get(o, "last_round"));
	s->last.sent = json_integer_value(json_object_get(o, "sent"));
	s->last.received = json_integer_value(json_object_get(o, "received"));
	s->last.loss_pct = num_get(o, "loss_pct");
	s->last.min = num_get(o, "min");
	s->last.median = num_get(o, "median");
	s->last.avg = num_get(o, "avg");
	s->last.max = num_get(o, "max");
	s->last.jitter = num_get(o, "jitter");
	for (int i = 0; i < STATS_NQ; i++)
		s->last.q[i] = NAN;
	snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
}

static void
status_clear(struct tstatus *s)
{
	memset(s, 0, sizeof(*s));
	s->state = TS_UNKNOWN;
	s->last.loss_pct = s->last.min = s->last.median = NAN;
	s->last.avg = s->last.max = s->last.jitter = NAN;
	for (int i = 0; i < STATS_NQ; i++)
		s->last.q[i] = NAN;
}

static int
restore_states(void)
{
	char *path = state_file();
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *targets;
	int n = 0;

	if (root == NULL) {
		if (access(path, F_OK) == 0)
			log_warnx("%s: %s (line %d): starting with unknown "
			    "states", path, err.text, err.line);
		free(path);
		return 0;
	}
	targets = json_object_get(root, "targets");
	for (size_t i = 0; i < M.conf->ntargets; i++) {
		json_t *o = json_object_get(targets, M.conf->targets[i].pub.id);

		if (json_is_object(o)) {
			status_from_json(&M.st[i], o);
			n++;
		}
	}
	M.saved_alerts = json_incref(json_object_get(root, "alerts"));
	M.saved_at = (time_t)json_integer_value(json_object_get(root,
	    "saved"));
	json_decref(root);
	free(path);
	return n;
}

/*
 * Saving the states: the loop copies what it must (the statuses are
 * plain structures, the ids one block) and the saver thread builds the
 * JSON and writes it.  At 10,000 targets building the text took the
 * loop about 0.2 s, once a minute: echoes due meanwhile left late.
 */
struct save_job {
	char *path;
	time_t saved;
	size_t n;
	struct tstatus *st;
	char **ids;		/* n pointers into the same block */
	json_t *alerts;
};

/* {"saved", "targets": {ID: status}, "alerts"}, a target at a time,
 * into a buffer that spills into the file: as one tree 10,000 states
 * took 26 MB for a moment every minute, as one text 4 to 8 MB. */
static void
states_json(struct buf *b, void *arg)
{
	const struct save_job *j = arg;
	char *text;

	buf_printf(b, "{\n \"saved\": %lld,\n \"targets\": {",
	    (long long)j->saved);
	for (size_t i = 0; i < j->n; i++) {
		json_t *id = json_string(j->ids[i]);
		json_t *o = status_to_json(&j->st[i]);
		char *k = id ? json_dumps(id, JSON_ENCODE_ANY) : NULL;
		char *v = json_dumps(o, JSON_COMPACT);

		if (k && v)
			buf_printf(b, "%s\n  %s: %s", i ? "," : "", k, v);
		free(k);
		free(v);
		json_decref(id);
		json_decref(o);
	}
	text = j->alerts ? json_dumps(j->alerts, JSON_INDENT(1)) : NULL;
	buf_printf(b, "\n },\n \"alerts\": %s\n}\n", text ? text : "null");
	free(text);
}

static void
save_write(struct save_job *j)
{
	if (file_replace_made(j->path, states_json, j, 1) == -1)
		log_warn("cannot save the states to %s", j->path);
}

static void
save_run(void *arg)
{
	save_write(arg);
	heap_release();	/* the statuses' JSON of 10,000 targets */
}

static void
save_done(void *arg)
{
	struct save_job *j = arg;

	json_decref(j->alerts);
	free(j->path);
	free(j->st);
	free(j->ids);
	free(j);
}

/* What the saver needs, copied from the loop's live data. */
static struct save_job *
save_snapshot(void)
{
	struct save_job *j = xcalloc(1, sizeof(*j));
	size_t n = M.conf->ntargets, len = 0;
	char *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(M.conf->targets[i].pub.id) + 1;
	j->path = state_file();
	j->saved = time(NULL);
	j->n = n;
	j->st = xreallocarray(NULL, n ? n : 1, sizeof(*j->st));
	memcpy(j->st, M.st, n * sizeof(*j->st));
	/* the pointers, then the strings, in one block */
	j->ids = xmalloc((n ? n : 1) * sizeof(char *) + len);
	p = (char *)(j->ids + (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(M.conf->targets[i].pub.id) + 1;

		memcpy(p, M.conf->targets[i].pub.id, l);
		j->ids[i] = p;
		p += l;
	}
	j->alerts = alerts_save();
	return j;
}

static void
save_states(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { SAVE_EVERY_S, 0 };

	(void)fd;
	(void)what;
	(void)arg;
	worker_submit(M.saver, save_run, save_done, save_snapshot());
	M.save_queued = 0;
	evtimer_add(M.save_timer, &tv);
}

static void
save_soon(void)
{
	struct timeval tv = { SAVE_DELAY_S, 0 };

	if (!M.save_queued) {
		M.save_queued = 1;
		evtimer_add(M.save_timer, &tv);
	}
}

/* ---- pages ---- */

static double *
copy_values(const double *v, size_t n)
{
	double *o = xcalloc(n ? n : 1, sizeof(double));

	if (n)
		memcpy(o, v, n * sizeof(double));
	return o;
}

static void
snapshot_series(struct web_target *w, const struct conf *c,
    const struct target_def *d, const struct series_table *t)
{
	w->vdefs = t->defs;
	w->nvalues = t->ndefs;
	w->values = copy_values(t->target.value, t->ndefs);
	w->idefs = t->idefs;
	w->nidefs = t->nidefs;
	w->instance_list = d->probe ? d->probe->ops->instance_list : NULL;
	w->inst = xcalloc(t->ninst ? t->ninst : 1, sizeof(*w->inst));
	for (size_t k = 0; k < t->ninst; k++) {
		const struct instance *in = &t->inst[k];
		struct web_instance *o = &w->inst[w->ninst];

		if (!series_current(t, in))
			continue;
		o->name = xstrdup(in->name);
		o->label = in->label ? xstrdup(in->label) : NULL;
		o->values = copy_values(in->s.value, t->nidefs);
		o->rrd = store_instance_path(c, d->pub.id, in->name);
		w->ninst++;
	}
}

static struct web_snapshot *
snapshot(void *unused)
{
	const struct conf *c = M.conf;
	struct web_snapshot *s = xcalloc(1, sizeof(*s));

	(void)unused;
	s->generated = time(NULL);
	s->district = xstrdup(c->name);
	s->language = c->language;
	s->web_dir = xstrdup(c->web_dir);
	s->state_dir = xstrdup(c->state_dir);
	s->rrdcached = xstrdup(c->rrdcached);
	s->refresh = c->web_refresh;
	s->reports_monthly = c->reports.monthly;
	s->reports_time = c->reports.time_min;
	s->targets = xcalloc(c->ntargets, sizeof(*s->targets));
	s->ntargets = c->ntargets;
	for (size_t i = 0; i < c->ntargets; i++) {
		const struct target_def *d = &c->targets[i];
		const struct tstatus *st = &M.st[i];
		struct web_target *w = &s->targets[i];

		w->id = xstrdup(d->pub.id);
		w->name = xstrdup(d->pub.name);
		w->group = xstrdup(d->group);
		w->type = xstrdup(d->type);
		w->host = d->pub.host ? xstrdup(d->pub.host) : NULL;
		w->port = d->pub.port;
		w->interval = (int)lround(d->pub.interval);
		w->state = st->state;
		w->since = st->since;
		w->last_round = st->last_round;
		w->last = st->last;
		w->why = st->why[0] ? xstrdup(st->why) : NULL;
		w->parent_id = d->parent_id ? xstrdup(d->parent_id) : NULL;
		w->smoke = d->probe && (d->probe->ops->flags & TM_PROBE_SMOKE);
		w->rrd = store_path(c, d->pub.id);
		snapshot_series(w, c, d, &M.rt[i]->series);
	}
	s->events = xcalloc(M.nrecent ? M.nrecent : 1, sizeof(*s->events));
	for (size_t k = 0; k < M.nrecent; k++) {
		const struct web_event *e =
		    &M.recent[(M.head + RECENT_EVENTS - 1 - k) % RECENT_EVENTS];
		struct web_event *o = &s->events[k];

		*o = *e;
		o->event = xstrdup(e->event);
		o->target_id = e->target_id ? xstrdup(e->target_id) : NULL;
		o->target_name = e->target_name ? xstrdup(e->target_name) :
		    NULL;
		o->instance = e->instance ? xstrdup(e->instance) : NULL;
		o->why = e->why ? xstrdup(e->why) : NULL;
	}
	s->nevents = M.nrecent;
	meeting_snapshot(s);
	return s;
}

static void
web_tick(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { M.conf->web_refresh, 0 };

	(void)fd;
	(void)what;
	(void)arg;
	web_refresh(snapshot, NULL);
	evtimer_add(M.web_timer, &tv);
}

static void
web_soon(void)
{
	struct timeval tv = { WEB_SOON_S, 0 };

	if (!evtimer_pending(M.web_soon, NULL))
		evtimer_add(M.web_soon, &tv);
}

static void
web_soon_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	web_refresh(snapshot, NULL);
}

/* ---- the "alive" beat ---- */

/*
 * A line every REPORT_ALIVE_S, so that after a crash or a power cut
 * (a "start" without a "stop") the reports know tramond was running
 * until at most that long before: the rest is "no data".
 */
static void
alive_tick(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { REPORT_ALIVE_S, 0 };

	(void)fd;
	(void)what;
	(void)arg;
	journal_append(json_pack("{s:s}", "event", "alive"), 0);
	evtimer_add(M.alive_timer, &tv);
}

/* ---- rounds and state changes ---- */

static void
state_changed(void *arg, const struct state_change *ch)
{
	const struct target_def *d = &M.conf->targets[ch->target];
	json_t *ev = json_object();
	char since[40];

	(void)arg;
	json_object_set_new(ev, "event", json_string("state"));
	json_object_set_new(ev, "target", json_string(d->pub.id));
	json_object_set_new(ev, "from", json_string(tstate_name(ch->from)));
	json_object_set_new(ev, "to", json_string(tstate_name(ch->to)));
	iso8601(ch->streak_since, since, sizeof(since));
	json_object_set_new(ev, "streak_since", json_string(since));
	if (ch->parent >= 0)
		json_object_set_new(ev, "parent",
		    json_string(M.conf->targets[ch->parent].pub.id));
	if (ch->why)
		json_object_set_new(ev, "reason", json_string(ch->why));
	journal_append(ev, ch->at);

	if (ch->parent >= 0)
		log_info("%s: %s -> %s (parent %s is %s)", d->pub.id,
		    tstate_name(ch->from), tstate_name(ch->to),
		    M.conf->targets[ch->parent].pub.id,
		    tstate_name(M.st[ch->parent].state));
	else
		log_info("%s: %s -> %s%s%s%s", d->pub.id,
		    tstate_name(ch->from), tstate_name(ch->to),
		    ch->why ? " (" : "", ch->why ? ch->why : "",
		    ch->why ? ")" : "");
	remember(ch->at, "state", d->pub.id, d->pub.name, ch->from, ch->to,
	    ch->why);
	alerts_state(ch);
	save_soon();
	web_soon();
}

/* Write the round: the target's file and one per instance it reported. */
static void
store_series(const struct target_def *d, const struct target_rt *rt,
    time_t now, const struct round_stats *rs)
{
	const struct series_table *t = &rt->series;
	struct store_instance *si = xcalloc(t->ninst ? t->ninst : 1,
	    sizeof(*si));
	size_t n = 0;

	for (size_t i = 0; i < t->ninst; i++)
		if (t->inst[i].seen == now) {
			si[n].name = t->inst[i].name;
			si[n].values = t->inst[i].s.value;
			n++;
		}
	store_round(d, now, rs, t->target.value, si, n);
	free(si);
}

/* Something a probe found in a round (a switch rebooted, a port went
 * down): journaled like a state change, shown on the events page. */
static void
round_event(void *owner, const char *kind, const char *instance,
    const char *text)
{
	struct target_rt *rt = owner;
	const struct target_def *d;
	json_t *ev;
	size_t i;

	/* a meeting check's rounds are not the target's own: what they
	 * find, the target's next round finds too */
	for (i = 0; i < M.conf->ntargets && M.rt[i] != rt; i++)
		continue;
	if (i == M.conf->ntargets)
		return;
	d = &M.conf->targets[rt->idx];
	ev = json_object();
	json_object_set_new(ev, "event", json_string(kind));
	json_object_set_new(ev, "target", json_string(d->pub.id));
	if (instance)
		json_object_set_new(ev, "instance", json_string(instance));
	if (text && *text)
		json_object_set_new(ev, "reason", json_string(text));
	journal_append(ev, 0);
	log_info("%s: %s%s%s: %s", d->pub.id, kind, instance ? " " : "",
	    instance ? instance : "", text);
	remember_event(time(NULL), kind, d->pub.id, d->pub.name, instance,
	    text);
	alerts_event(rt->idx, kind, instance, text, time(NULL));
	web_soon();
}

static void
round_result(void *owner, const struct tm_result *res, time_t started)
{
	struct target_rt *rt = owner;
	const struct target_def *d = &M.conf->targets[rt->idx];
	struct round_stats rs;
	char why[96];
	enum outcome out;
	time_t now = time(NULL);

	if (res->received > M.nscratch) {
		M.scratch = xreallocarray(M.scratch, res->received,
		    sizeof(double));
		M.nscratch = res->received;
	}
	stats_compute(res, M.scratch, &rs);
	out = state_classify(M.conf, rt->idx, &rs, res->error,
	    res->degraded, why, sizeof(why));
	log_debug("%s: round: %u/%u answered, median %.2f ms, loss %.1f%%%s%s",
	    d->pub.id, rs.received, rs.sent, rs.median * 1e3, rs.loss_pct,
	    res->error ? ", " : "", res->error ? res->error : "");
	state_round(&M.model, rt->idx, out, &rs, why, started, now);
	series_update(&rt->series, res, mono_ns(), now);
	store_series(d, rt, now, &rs);
}

/* ---- configuration ---- */

/* A target's run-time part; `d` is its definition in the conf that is
 * being put in force (during a reload, not yet M.conf). */
static struct target_rt *
rt_new(int idx, const struct target_def *d)
{
	struct target_rt *rt = xcalloc(1, sizeof(*rt));

	rt->idx = idx;
	series_init(&rt->series, d->probe ? d->probe->ops : NULL);
	return rt;
}

static void
rt_start(struct target_rt *rt)
{
	const struct target_def *d = &M.conf->targets[rt->idx];

	rt->sched = sched_add(M.base, d->probe, d->probe_conf, &d->pub,
	    round_result, rt);
}

static void
rt_free(struct target_rt *rt)
{
	sched_remove(rt->sched);
	series_free(&rt->series);
	free(rt);
}

static void
model_init(void)
{
	M.model.conf = M.conf;
	M.model.st = M.st;
	M.model.changed = state_changed;
	M.model.arg = NULL;
}

int
monitor_start(struct event_base *base, struct conf *conf)
{
	json_t *ev;
	int restored;
	struct timeval tv = { 2, 0 };

	M.base = base;
	M.conf = conf;
	M.started = time(NULL);
	M.saver = worker_new(base, "tm-state");
	M.st = xcalloc(conf->ntargets ? conf->ntargets : 1, sizeof(*M.st));
	for (size_t i = 0; i < conf->ntargets; i++)
		status_clear(&M.st[i]);
	restored = restore_states();
	model_init();
	seed_recent();

	ev = json_object();
	json_object_set_new(ev, "event", json_string("start"));
	json_object_set_new(ev, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(ev, "targets", json_integer(conf->ntargets));
	json_object_set_new(ev, "restored", json_integer(restored));
	journal_append(ev, 0);
	remember(time(NULL), "start", NULL, NULL, 0, 0, NULL);

	if (alerts_start(base, conf->state_dir, conf, M.st, M.saved_alerts,
	    M.replay, save_soon, remember_daemon) == -1)
		return -1;
	json_decref(M.saved_alerts);
	json_decref(M.replay);
	M.saved_alerts = M.replay = NULL;
	sched_on_event(round_event);
	M.rt = xcalloc(conf->ntargets ? conf->ntargets : 1, sizeof(*M.rt));
	for (size_t i = 0; i < conf->ntargets; i++) {
		M.rt[i] = rt_new((int)i, &conf->targets[i]);
		rt_start(M.rt[i]);
	}
	M.save_timer = evtimer_new(base, save_states, NULL);
	M.web_timer = evtimer_new(base, web_tick, NULL);
	M.web_soon = evtimer_new(base, web_soon_cb, NULL);
	M.alive_timer = evtimer_new(base, alive_tick, NULL);
	evtimer_add(M.web_timer, &tv);	/* first pages right away */
	tv.tv_sec = SAVE_EVERY_S;
	evtimer_add(M.save_timer, &tv);
	meeting_start(base, conf, M.st, web_soon);
	report_job_start(base, conf, web_soon);
	tv.tv_sec = REPORT_ALIVE_S;
	evtimer_add(M.alive_timer, &tv);
	log_info("monitoring %zu target(s)%s", conf->ntargets,
	    restored ? ", states restored" : "");
	return 0;
}

void
monitor_reload(struct conf *nc)
{
	struct conf *oc = M.conf;
	struct target_rt **nrt = xcalloc(nc->ntargets ? nc->ntargets : 1,
	    sizeof(*nrt));
	struct tstatus *nst = xcalloc(nc->ntargets ? nc->ntargets : 1,
	    sizeof(*nst));
	size_t kept = 0, changed = 0, added = 0, removed = 0;
	json_t *ev;

	for (size_t i = 0; i < nc->ntargets; i++) {
		struct target_def *nd = &nc->targets[i];
		int o = conf_target_index(oc, nd->pub.id);

		status_clear(&nst[i]);
		if (o < 0) {
			nrt[i] = rt_new((int)i, nd);
			added++;
			continue;
		}
		nst[i] = M.st[o];
		nrt[i] = M.rt[o];
		M.rt[o] = NULL;
		nrt[i]->idx = (int)i;
		if (oc->targets[o].digest == nd->digest &&
		    oc->targets[o].probe == nd->probe) {
			/* Unchanged: the probe keeps its data and rounds;
			 * the new conf's fresh copy is released with the
			 * old conf. */
			void *p = nd->probe_conf;

			nd->probe_conf = oc->targets[o].probe_conf;
			oc->targets[o].probe_conf = p;
			sched_retarget(nrt[i]->sched, &nd->pub, nrt[i]);
			kept++;
		} else {
			sched_remove(nrt[i]->sched);
			nrt[i]->sched = NULL;
			series_free(&nrt[i]->series);
			series_init(&nrt[i]->series,
			    nd->probe ? nd->probe->ops : NULL);
			/* its counters meant something else */
			nst[i].fails = nst[i].goods = 0;
			nst[i].oks = nst[i].slows = 0;
			nst[i].pending = 0;
			changed++;
		}
	}
	for (size_t o = 0; o < oc->ntargets; o++)
		if (M.rt[o]) {
			rt_free(M.rt[o]);
			removed++;
		}
	free(M.rt);
	free(M.st);
	M.rt = nrt;
	M.st = nst;
	M.conf = nc;
	model_init();
	alerts_reconf(nc, M.st);
	meeting_reconf(nc, M.st);	/* before the old conf goes */
	report_job_reconf(nc);
	for (size_t i = 0; i < nc->ntargets; i++)
		if (nrt[i]->sched == NULL)
			rt_start(nrt[i]);
	store_reconf(nc);
	conf_free(oc);

	ev = json_object();
	json_object_set_new(ev, "event", json_string("reload"));
	json_object_set_new(ev, "kept", json_integer(kept));
	json_object_set_new(ev, "changed", json_integer(changed));
	json_object_set_new(ev, "added", json_integer(added));
	json_object_set_new(ev, "removed", json_integer(removed));
	journal_append(ev, 0);
	log_info("configuration reloaded: %zu unchanged, %zu changed, "
	    "%zu added, %zu removed", kept, changed, added, removed);
	save_soon();
	web_soon();
}

void
monitor_stop(void)
{
	json_t *ev;
	struct save_job *j;

	if (M.conf == NULL)
		return;
	report_job_stop();	/* it journals and mails: before they close */
	for (size_t i = 0; i < M.conf->ntargets; i++)
		rt_free(M.rt[i]);
	free(M.rt);
	M.rt = NULL;
	free(M.scratch);
	M.scratch = NULL;
	M.nscratch = 0;
	meeting_stop();

	ev = json_object();
	json_object_set_new(ev, "event", json_string("stop"));
	journal_append(ev, 0);

	worker_free(M.saver);	/* finish a save in flight first */
	M.saver = NULL;
	j = save_snapshot();
	save_write(j);
	save_done(j);

	alerts_stop();
	event_free(M.save_timer);
	event_free(M.web_timer);
	event_free(M.web_soon);
	event_free(M.alive_timer);
	for (size_t k = 0; k < RECENT_EVENTS; k++)
		web_event_clear(&M.recent[k]);
	free(M.st);
	conf_free(M.conf);
	memset(&M, 0, sizeof(M));
}

/* ---- status for tramonctl, /metrics ---- */

/* The probe's values ("uptime") and instances ("interfaces": [...]),
 * counters as rates per second. */
static void
status_series(json_t *o, const struct target_def *d,
    const struct series_table *t)
{
	const char *list = d->probe ? d->probe->ops->instance_list : NULL;
	json_t *arr;

	for (size_t k = 0; k < t->ndefs; k++)
		json_object_set_new(o, t->defs[k].name,
		    num_or_null(t->target.value[k]));
	if (t->nidefs == 0 || list == NULL)
		return;
	arr = json_array();
	for (size_t n = 0; n < t->ninst; n++) {
		const struct instance *in = &t->inst[n];
		json_t *io;

		if (!series_current(t, in))
			continue;
		io = json_object();
		json_object_set_new(io, "name", json_string(in->name));
		json_object_set_new(io, "label",
		    in->label ? json_string(in->label) : json_null());
		for (size_t k = 0; k < t->nidefs; k++)
			json_object_set_new(io, t->idefs[k].name,
			    num_or_null(in->s.value[k]));
		json_array_append_new(arr, io);
	}
	json_object_set_new(o, list, arr);
}

json_t *
monitor_status(void)
{
	const struct conf *c = M.conf;
	json_t *root = json_object(), *arr = json_array();
	char stamp[40];

	iso8601(time(NULL), stamp, sizeof(stamp));
	json_object_set_new(root, "generated", json_string(stamp));
	for (size_t i = 0; i < c->ntargets; i++) {
		const struct target_def *d = &c->targets[i];
		const struct tstatus *s = &M.st[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(d->pub.id));
		json_object_set_new(o, "name", json_string(d->pub.name));
		json_object_set_new(o, "group", json_string(d->group));
		json_object_set_new(o, "type", json_string(d->type));
		json_object_set_new(o, "host",
		    d->pub.host ? json_string(d->pub.host) : json_null());
		json_object_set_new(o, "state",
		    json_string(tstate_name(s->state)));
		if (s->since) {
			iso8601(s->since, stamp, sizeof(stamp));
			json_object_set_new(o, "since", json_string(stamp));
		} else
			json_object_set_new(o, "since", json_null());
		json_object_set_new(o, "rtt_ms",
		    num_or_null(s->last.median * 1e3));
		json_object_set_new(o, "loss_pct",
		    num_or_null(s->last.loss_pct));
		json_object_set_new(o, "jitter_ms",
		    num_or_null(s->last.jitter * 1e3));
		if (s->last_round) {
			iso8601(s->last_round, stamp, sizeof(stamp));
			json_object_set_new(o, "last_round",
			    json_string(stamp));
		} else
			json_object_set_new(o, "last_round", json_null());
		json_object_set_new(o, "reason",
		    s->why[0] ? json_string(s->why) : json_null());
		status_series(o, d, &M.rt[i]->series);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "targets", arr);
	return root;
}

static void
blabel(struct buf *b, const char *s)
{
	while (*s) {
		size_t run = strcspn(s, "\\\"\n");

		buf_addn(b, s, run);
		s += run;
		if (*s == '\0')
			break;
		buf_addn(b, *s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", 2);
		s++;
	}
}

/* A sample's value: whole numbers (counters' totals) exactly, others to
 * 12 significant digits. */
static void
bvalue(struct buf *b, double x)
{
	char tmp[32];
	int n;

	if (x == floor(x) && fabs(x) < 9007199254740992.0)	/* 2^53 */
		n = snprintf(tmp, sizeof(tmp), "%lld", (long long)x);
	else
		n = snprintf(tmp, sizeof(tmp), "%.12g", x);
	buf_addn(b, tmp, (size_t)n);
}

static void
emit_counter(void *arg, const char *name, uint64_t value)
{
	struct buf *b = arg;

	buf_printf(b, "tramon_probe_events_total{counter=\"");
	blabel(b, name);
	buf_printf(b, "\"} %llu\n", (unsigned long long)value);
}

/* `x` with `places` decimals, as %.*f prints it (but for a tie, which
 * may round the other way: one in the last place) at a fraction of its
 * cost: 100,000 lines a scrape at 10,000 targets, built on the loop. */
static void
bfixed(struct buf *b, double x, int places)
{
	static const long long pow10[] = { 1, 10, 100, 1000, 10000, 100000,
	    1000000 };
	char tmp[40], *e = tmp + sizeof(tmp), *p = e;
	long long scale = pow10[places], v, ip, fp;

	if (isnan(x)) {
		buf_addn(b, "NaN", 3);
		return;
	}
	if (!(x >= 0 && x < 9e15 / (double)scale)) {
		buf_printf(b, "%.*f", places, x);
		return;
	}
	v = llround(x * (double)scale);
	ip = v / scale;
	fp = v % scale;
	for (int k = 0; k < places; k++, fp /= 10)
		*--p = (char)('0' + fp % 10);
	*--p = '.';
	do
		*--p = (char)('0' + ip % 10);
	while ((ip /= 10) > 0);
	buf_addn(b, p, (size_t)(e - p));
}

/* `name{target="ID"` for each target, escaped once a scrape. */
struct mlabels {
	struct buf text;
	size_t *off;		/* ntargets + 1 */
};

static void
mlabels_make(struct mlabels *l, const struct conf *c)
{
	buf_init(&l->text);
	l->off = xcalloc(c->ntargets + 1, sizeof(*l->off));
	for (size_t i = 0; i < c->ntargets; i++) {
		l->off[i] = l->text.len;
		buf_addn(&l->text, "{target=\"", 9);
		blabel(&l->text, c->targets[i].pub.id);
		buf_addn(&l->text, "\"", 1);
	}
	l->off[c->ntargets] = l->text.len;
}

/* name{target="ID" */
static void
mlabel(struct buf *b, const struct mlabels *l, const char *name,
    size_t nlen, size_t i)
{
	buf_addn(b, name, nlen);
	buf_addn(b, l->text.p + l->off[i], l->off[i + 1] - l->off[i]);
}

/*
 * The probes' own values: tramon_PROBE_VALUE{target} for a target's,
 * tramon_PROBE_KIND_VALUE{target, LABEL} for its instances'; counters as
 * running totals (..._total), gauges as they are.
 */
static void
metrics_series(struct buf *b, const struct mlabels *l)
{
	const struct conf *c = M.conf;

	for (const struct probe *p = probe_list(); p; p = p->next) {
		const struct tm_probe_ops *ops = p->ops;

		for (size_t k = 0; k < ops->nvalues; k++) {
			const struct tm_value_def *v = &ops->values[k];
			int counter = v->kind == TM_COUNTER;

			char *name = xasprintf("tramon_%s_%s%s", ops->name,
			    v->name, counter ? "_total" : "");
			size_t nlen = strlen(name);

			buf_printf(b, "# TYPE %s %s\n", name,
			    counter ? "counter" : "gauge");
			for (size_t i = 0; i < c->ntargets; i++) {
				const struct series *s =
				    &M.rt[i]->series.target;
				double x;

				if (c->targets[i].probe != p)
					continue;
				x = counter ? s->total[k] : s->value[k];
				if (isnan(x))
					continue;
				mlabel(b, l, name, nlen, i);
				buf_addn(b, "} ", 2);
				bvalue(b, x);
				buf_addn(b, "\n", 1);
			}
			free(name);
		}
		if (ops->nivalues == 0 || ops->instance_kind == NULL ||
		    ops->instance_label == NULL)
			continue;
		for (size_t k = 0; k < ops->nivalues; k++) {
			const struct tm_value_def *v = &ops->ivalues[k];
			int counter = v->kind == TM_COUNTER;

			char *name = xasprintf("tramon_%s_%s_%s%s", ops->name,
			    ops->instance_kind, v->name,
			    counter ? "_total" : "");
			char *mid = xasprintf(",%s=\"", ops->instance_label);
			size_t nlen = strlen(name), mlen = strlen(mid);

			buf_printf(b, "# TYPE %s %s\n", name,
			    counter ? "counter" : "gauge");
			for (size_t i = 0; i < c->ntargets; i++) {
				const struct series_table *t =
				    &M.rt[i]->series;

				if (c->targets[i].probe != p)
					continue;
				for (size_t n = 0; n < t->ninst; n++) {
					const struct instance *in = &t->inst[n];
					double x = counter ? in->s.total[k] :
					    in->s.value[k];

					if (isnan(x) || !series_current(t, in))
						continue;
					mlabel(b, l, name, nlen, i);
					buf_addn(b, mid, mlen);
					blabel(b, in->name);
					buf_addn(b, "\"} ", 3);
					bvalue(b, x);
					buf_addn(b, "\n", 1);
				}
			}
			free(mid);
			free(name);
		}
	}
}

void
monitor_metrics(struct buf *b)
{
	const struct conf *c = M.conf;
	struct mlabels l;
	char state_tail[TS_COUNT][40];
	size_t state_len[TS_COUNT];
	int64_t t0 = mono_ns();

	mlabels_make(&l, c);
	for (int st = 0; st < TS_COUNT; st++)
		state_len[st] = (size_t)snprintf(state_tail[st],
		    sizeof(state_tail[st]), ",state=\"%s\"} ",
		    tstate_name(st));
	buf_printf(b, "# HELP tramon_target_up 1 if the target answered its "
	    "last round.\n# TYPE tramon_target_up gauge\n");
	for (size_t i = 0; i < c->ntargets; i++) {
		const struct tstatus *s = &M.st[i];

		mlabel(b, &l, "tramon_target_up", 16, i);
		buf_addn(b, s->last_round && s->last.received > 0 ?
		    "} 1\n" : "} 0\n", 4);
	}
	buf_printf(b, "# HELP tramon_target_state 1 for the target's current "
	    "state.\n# TYPE tramon_target_state gauge\n");
	for (size_t i = 0; i < c->ntargets; i++)
		for (int st = 0; st < TS_COUNT; st++) {
			mlabel(b, &l, "tramon_target_state", 19, i);
			buf_addn(b, state_tail[st], state_len[st]);
			buf_addn(b, M.st[i].state == (enum tstate)st ?
			    "1\n" : "0\n", 2);
		}
	buf_printf(b, "# HELP tramon_ping_rtt_seconds Round-trip time of the "
	    "last round (quantile 0: the minimum, 1: the maximum).\n"
	    "# TYPE tramon_ping_rtt_seconds summary\n");
	for (size_t i = 0; i < c->ntargets; i++) {
		const struct round_stats *r = &M.st[i].last;
		const struct {
			const char *q;
			double v;
		} qs[] = {
			{ ",quantile=\"0\"} ", r->min },
			{ ",quantile=\"0.5\"} ", r->median },
			{ ",quantile=\"1\"} ", r->max },
		};

		if (strcmp(c->targets[i].type, "ping") != 0 ||
		    M.st[i].last_round == 0)
			continue;
		for (size_t k = 0; k < nitems(qs); k++) {
			mlabel(b, &l, "tramon_ping_rtt_seconds", 23, i);
			buf_add(b, qs[k].q);
			bfixed(b, qs[k].v, 6);
			buf_addn(b, "\n", 1);
		}
	}
	buf_printf(b, "# HELP tramon_ping_loss_ratio Share of echoes lost in "
	    "the last round.\n# TYPE tramon_ping_loss_ratio gauge\n");
	for (size_t i = 0; i < c->ntargets; i++) {
		double loss = M.st[i].last.loss_pct;

		if (strcmp(c->targets[i].type, "ping") != 0 ||
		    M.st[i].last_round == 0 || isnan(loss))
			continue;
		mlabel(b, &l, "tramon_ping_loss_ratio", 22, i);
		buf_addn(b, "} ", 2);
		bfixed(b, loss / 100, 4);
		buf_addn(b, "\n", 1);
	}
	metrics_series(b, &l);
	buf_free(&l.text);
	free(l.off);
	buf_printf(b, "# HELP tramon_rounds_running Probe rounds in flight.\n"
	    "# TYPE tramon_rounds_running gauge\ntramon_rounds_running %u\n",
	    sched_running());
	buf_printf(b, "# HELP tramon_store_pending RRD writes queued.\n"
	    "# TYPE tramon_store_pending gauge\ntramon_store_pending %u\n",
	    store_pending());
	buf_printf(b, "# HELP tramon_notifications_pending Notifications in "
	    "the outbox, not yet delivered.\n# TYPE "
	    "tramon_notifications_pending gauge\n"
	    "tramon_notifications_pending %u\n", alerts_pending());
	buf_printf(b, "# HELP tramon_notifications_held 1 while delivery "
	    "waits for a digest (a storm of notices, or the monitor just "
	    "reconnected).\n# TYPE tramon_notifications_held gauge\n"
	    "tramon_notifications_held %d\n", alerts_holding());
	buf_printf(b, "# HELP tramon_notifications_failed_total Notifications "
	    "given up on (outbox/failed/).\n# TYPE "
	    "tramon_notifications_failed_total counter\n"
	    "tramon_notifications_failed_total %lu\n", alerts_failed_total());
	buf_printf(b, "# HELP tramon_probe_events_total Packets and events "
	    "counted by the probes (dropped replies and the like).\n"
	    "# TYPE tramon_probe_events_total counter\n");
	for (const struct probe *p = probe_list(); p; p = p->next)
		if (p->initialised && p->ops->counters)
			p->ops->counters(emit_counter, b);
	log_debug("metrics: made in %.1f ms", (double)(mono_ns() - t0) / 1e6);
}
