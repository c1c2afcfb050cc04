#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "alerts.h"
#include "conf.h"
#include "journal.h"
#include "log.h"
#include "meeting.h"
#include "probe.h"
#include "scheduler.h"
#include "util.h"
#include "web.h"

/* A check that begins late (tramond started inside the check window)
 * still probes at least this long, even into the meeting. */
#define MIN_WINDOW_S 30
/* The planning timer wakes at least this often to follow a stepped
 * wall clock (an old PC's RTC set right by NTP after a power cut): the
 * loop's timers run on the monotonic clock. */
#define REPLAN_S (15 * 60)
#define MAX_MINUTES 30

struct mrun;

/* One site of a running check: every answer of the window. */
struct msite {
	struct mrun *run;
	char *id;
	int tidx;                   /* in the conf in force, -1 = gone */
	struct sched_target *sched;
	double *rtt;
	size_t nrtt, cap;
	unsigned sent, received;
	double status;              /* last "status" the probe reported */
	char *error;                /* last failure */
};

struct mrun {
	json_int_t id;
	time_t start;               /* the meeting's */
	time_t checked, until;      /* the probing window */
	int mail, manual;
	struct msite *sites;
	size_t nsites;
	struct event *timer;        /* ends the check */
};

/* A configured meeting at run time (kept by name across reloads). */
struct mstate {
	char *name;
	int idx;                    /* in conf->meetings */
	time_t next_start, next_check;
	time_t done_start;          /* the occurrence already checked */
	struct mrun *run;
	json_t *last;               /* the last check's journal event */
	json_int_t last_id;
	struct event *timer;        /* at next_check */
};

static struct {
	struct event_base *base;
	const struct conf *conf;
	const struct tstatus *st;
	void (*changed)(void);
	struct mstate **ms;         /* as conf->meetings */
	size_t nms;
	json_int_t next_id;
	json_t *seeded;             /* name -> last event, from the journal */
} G;

static const char *const verdict_names[MV_COUNT] = {
	"ready", "at_risk", "not_reachable"
};

const char *
meeting_verdict_name(enum mverdict v)
{
	return v < MV_COUNT ? verdict_names[v] : "?";
}

int
meeting_verdict_parse(const char *s)
{
	for (int i = 0; i < MV_COUNT; i++)
		if (s && strcmp(s, verdict_names[i]) == 0)
			return i;
	return -1;
}

/* --- pure: when, and how good ------------------------------------------ */

time_t
meeting_next_start(const struct meeting_def *m, time_t after)
{
	struct tm now;

	if (!m->weekly)
		return m->from > after ? m->from : 0;
	if (localtime_r(&after, &now) == NULL)
		return 0;
	/* today's date or one of the next 7 at HH:MM local: mktime()
	 * gives each its own UTC offset, so DST moves nothing local */
	for (int k = 0; k <= 7; k++) {
		struct tm t;
		time_t s;

		memset(&t, 0, sizeof(t));
		t.tm_year = now.tm_year;
		t.tm_mon = now.tm_mon;
		t.tm_mday = now.tm_mday + k;
		t.tm_hour = m->start_min / 60;
		t.tm_min = m->start_min % 60;
		t.tm_isdst = -1;
		if ((s = mktime(&t)) == (time_t)-1 || t.tm_wday != m->wday)
			continue;
		if (s > after)
			return s;
	}
	return 0;
}

enum mverdict
meeting_verdict(const struct meeting_def *m, const struct round_stats *rs,
    enum tstate state)
{
	if (rs->received == 0 || state == TS_DOWN || state == TS_UNREACHABLE)
		return MV_NOT_REACHABLE;
	if (m->max.loss_pct > 0 && isfinite(rs->loss_pct) &&
	    rs->loss_pct > m->max.loss_pct)
		return MV_AT_RISK;
	if (m->max.rtt_ms > 0 && isfinite(rs->median) &&
	    rs->median * 1e3 > m->max.rtt_ms)
		return MV_AT_RISK;
	if (m->max.jitter_ms > 0 && isfinite(rs->jitter) &&
	    rs->jitter * 1e3 > m->max.jitter_ms)
		return MV_AT_RISK;
	return MV_READY;
}

/* --- planning ------------------------------------------------------------ */

static const struct meeting_def *
def_of(const struct mstate *ms)
{
	return &G.conf->meetings[ms->idx];
}

static struct mstate *
find_state(const char *name)
{
	for (size_t i = 0; i < G.nms; i++)
		if (G.ms[i] && strcmp(G.ms[i]->name, name) == 0)
			return G.ms[i];
	return NULL;
}

static void
arm(struct event *ev, time_t at, time_t now)
{
	struct timeval tv = { 0, 0 };
	time_t delay = at - now;

	if (delay > REPLAN_S)
		delay = REPLAN_S;
	if (delay > 0)
		tv.tv_sec = delay;
	evtimer_add(ev, &tv);
}

/* The next occurrence not checked yet, and its timer.  A check time
 * already past (tramond started late) fires at once. */
static void
plan(struct mstate *ms, time_t now)
{
	const struct meeting_def *m = def_of(ms);
	time_t s = meeting_next_start(m, now);

	if (s != 0 && s == ms->done_start)
		s = meeting_next_start(m, s);
	ms->next_start = s;
	ms->next_check = s ? s - (time_t)m->check_before * 60 : 0;
	evtimer_del(ms->timer);
	if (s != 0)
		arm(ms->timer, ms->next_check, now);
}

/* --- a check ------------------------------------------------------------- */

static long
value_index(const struct target_def *d, const char *name)
{
	const struct tm_probe_ops *ops = d->probe ? d->probe->ops : NULL;

	for (size_t k = 0; ops && k < ops->nvalues; k++)
		if (strcmp(ops->values[k].name, name) == 0)
			return (long)k;
	return -1;
}

static void
site_result(void *owner, const struct tm_result *res, time_t started)
{
	struct msite *s = owner;
	const struct target_def *d;
	long k;

	/* rounds begun after the window are not the window's */
	if (started >= s->run->until || s->tidx < 0)
		return;
	d = &G.conf->targets[s->tidx];
	s->sent += res->sent;
	s->received += res->received;
	if (res->received > 0) {
		if (s->nrtt + res->received > s->cap) {
			s->cap = (s->nrtt + res->received) * 2;
			s->rtt = xreallocarray(s->rtt, s->cap, sizeof(double));
		}
		memcpy(s->rtt + s->nrtt, res->rtt,
		    res->received * sizeof(double));
		s->nrtt += res->received;
	}
	if (res->error) {
		free(s->error);
		s->error = xstrdup(res->error);
	}
	if ((k = value_index(d, "status")) >= 0 && res->values &&
	    isfinite(res->values[k]))
		s->status = res->values[k];
	log_debug("meeting: %s: round %u/%u answered", s->id, res->received,
	    res->sent);
}

static void
site_schedule(struct msite *s)
{
	const struct target_def *d;

	s->sched = NULL;
	if (s->tidx < 0)
		return;
	d = &G.conf->targets[s->tidx];
	if (d->meet_conf == NULL)
		return;
	s->sched = sched_add(G.base, d->probe, d->meet_conf, &d->meet_pub,
	    site_result, s);
}

static json_t *
num_or_null(double v, int decimals)
{
	double f = pow(10, decimals);

	return isfinite(v) ? json_real(round(v * f) / f) : json_null();
}

static json_t *
iso(time_t t)
{
	char buf[40];

	iso8601(t, buf, sizeof(buf));
	return json_string(buf);
}

/* The journal's record of one site. */
static json_t *
site_json(const struct meeting_def *m, struct msite *s, enum mverdict *vp)
{
	struct tm_result res = { .sent = s->sent, .received = s->received,
	    .rtt = s->rtt };
	double *scratch = xcalloc(s->nrtt ? s->nrtt : 1, sizeof(double));
	const struct target_def *d = s->tidx >= 0 ?
	    &G.conf->targets[s->tidx] : NULL;
	enum tstate state = s->tidx >= 0 ? G.st[s->tidx].state : TS_UNKNOWN;
	struct round_stats rs;
	enum mverdict v;
	json_t *o;

	/* answers beyond `received` are impossible, but never trust */
	if (res.received > s->nrtt)
		res.received = (unsigned)s->nrtt;
	stats_compute(&res, scratch, &rs);
	free(scratch);
	v = meeting_verdict(m, &rs, state);
	*vp = v;
	o = json_object();
	json_object_set_new(o, "target", json_string(s->id));
	json_object_set_new(o, "name", json_string(d ? d->pub.name : s->id));
	json_object_set_new(o, "verdict", json_string(
	    meeting_verdict_name(v)));
	json_object_set_new(o, "rtt", num_or_null(rs.median * 1e3, 2));
	json_object_set_new(o, "loss", num_or_null(rs.loss_pct, 1));
	json_object_set_new(o, "jitter", num_or_null(rs.jitter * 1e3, 2));
	json_object_set_new(o, "sent", json_integer(s->sent));
	json_object_set_new(o, "received", json_integer(s->received));
	json_object_set_new(o, "status", isfinite(s->status) ?
	    json_integer((json_int_t)s->status) : json_null());
	json_object_set_new(o, "state", json_string(tstate_name(state)));
	if (v == MV_NOT_REACHABLE && s->received == 0 && s->error)
		json_object_set_new(o, "reason", json_string(s->error));
	else if (v == MV_NOT_REACHABLE && s->tidx >= 0 && G.st[s->tidx].why[0])
		json_object_set_new(o, "reason",
		    json_string(G.st[s->tidx].why));
	return o;
}

/* Not ready first: not reachable, at risk, then ready; else as
 * configured. */
static json_t *
sites_sorted(json_t *sites)
{
	json_t *out = json_array(), *o;
	size_t k;

	for (int v = MV_NOT_REACHABLE; v >= MV_READY; v--)
		json_array_foreach(sites, k, o)
			if (meeting_verdict_parse(json_string_value(
			    json_object_get(o, "verdict"))) == v)
				json_array_append(out, o);
	json_decref(sites);
	return out;
}

static void
run_free(struct mrun *r)
{
	for (size_t i = 0; i < r->nsites; i++) {
		sched_remove(r->sites[i].sched);
		free(r->sites[i].id);
		free(r->sites[i].rtt);
		free(r->sites[i].error);
	}
	free(r->sites);
	if (r->timer)
		event_free(r->timer);
	free(r);
}

static json_t *
run_result(const struct mstate *ms, struct mrun *r)
{
	const struct meeting_def *m = def_of(ms);
	json_t *ev = json_object(), *sites = json_array();
	int ready = 0;

	for (size_t i = 0; i < r->nsites; i++) {
		enum mverdict v;

		json_array_append_new(sites, site_json(m, &r->sites[i], &v));
		ready += v == MV_READY;
	}
	json_object_set_new(ev, "event", json_string("meeting"));
	json_object_set_new(ev, "name", json_string(m->name));
	json_object_set_new(ev, "start", r->start ? iso(r->start) :
	    json_null());
	json_object_set_new(ev, "checked", iso(r->checked));
	json_object_set_new(ev, "until", iso(r->until));
	json_object_set_new(ev, "manual", json_boolean(r->manual));
	json_object_set_new(ev, "ready", json_integer(ready));
	json_object_set_new(ev, "total", json_integer((json_int_t)r->nsites));
	json_object_set_new(ev, "thresholds", json_pack("{s:f, s:f, s:f}",
	    "loss_pct", m->max.loss_pct, "rtt_ms", m->max.rtt_ms,
	    "jitter_ms", m->max.jitter_ms));
	json_object_set_new(ev, "sites", sites_sorted(sites));
	return ev;
}

static void
run_end(evutil_socket_t fd, short what, void *arg)
{
	struct mstate *ms = arg;
	struct mrun *r = ms->run;
	json_t *ev;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < r->nsites; i++) {
		sched_remove(r->sites[i].sched);
		r->sites[i].sched = NULL;
	}
	ev = run_result(ms, r);
	log_info("meeting \"%s\": %lld of %lld site(s) ready", ms->name,
	    json_integer_value(json_object_get(ev, "ready")),
	    json_integer_value(json_object_get(ev, "total")));
	json_decref(ms->last);
	ms->last = json_deep_copy(ev);
	ms->last_id = r->id;
	if (r->mail)
		alerts_meeting(def_of(ms), ms->last);
	journal_append(ev, 0);
	ms->run = NULL;
	run_free(r);
	plan(ms, time(NULL));
	if (G.changed)
		G.changed();
}

/* The meeting's targets in configuration order, "*" expanded, each
 * once. */
static const char **
site_ids(const struct meeting_def *m, size_t *n)
{
	const char **v = xcalloc(G.conf->ntargets + 1, sizeof(char *));

	*n = 0;
	for (size_t i = 0; i < G.conf->ntargets; i++)
		for (char **id = m->targets; id && *id; id++)
			if (strcmp(*id, "*") == 0 ||
			    strcmp(*id, G.conf->targets[i].pub.id) == 0) {
				v[(*n)++] = G.conf->targets[i].pub.id;
				break;
			}
	return v;
}

static struct mrun *
run_begin(struct mstate *ms, time_t start, long window, int mail,
    int manual)
{
	const struct meeting_def *m = def_of(ms);
	struct mrun *r = xcalloc(1, sizeof(*r));
	struct timeval tv = { 0, 0 };
	double grace = 0;
	const char **ids;
	size_t n;

	r->id = ++G.next_id;
	r->start = start;
	r->checked = time(NULL);
	r->until = r->checked + window;
	r->mail = mail;
	r->manual = manual;
	ids = site_ids(m, &n);
	r->sites = xcalloc(n ? n : 1, sizeof(*r->sites));
	r->nsites = n;
	for (size_t i = 0; i < n; i++) {
		struct msite *s = &r->sites[i];
		const struct target_def *d;

		s->run = r;
		s->id = xstrdup(ids[i]);
		s->status = NAN;
		s->tidx = conf_target_index(G.conf, s->id);
		d = &G.conf->targets[s->tidx];
		/* a round begun before the end may take its interval and
		 * timeout to finish */
		if (d->meet_pub.interval + d->meet_pub.timeout > grace)
			grace = d->meet_pub.interval + d->meet_pub.timeout;
		site_schedule(s);
	}
	free(ids);
	r->timer = evtimer_new(G.base, run_end, ms);
	tv.tv_sec = window + (time_t)ceil(grace) + 1;
	evtimer_add(r->timer, &tv);
	ms->run = r;
	log_info("meeting \"%s\": checking %zu site(s) for %ld s%s", ms->name,
	    n, window, manual ? " (asked for)" : "");
	if (G.changed)
		G.changed();
	return r;
}

static void
due(evutil_socket_t fd, short what, void *arg)
{
	struct mstate *ms = arg;
	const struct meeting_def *m = def_of(ms);
	time_t now = time(NULL), left;
	long window = (long)m->duration * 60;

	(void)fd;
	(void)what;
	if (ms->next_start == 0 || now < ms->next_check ||
	    now >= ms->next_start) {
		/* woken to re-plan, or the meeting was missed (the
		 * machine was off or suspended) */
		plan(ms, now);
		return;
	}
	if (ms->run) {
		/* a check asked for (tramonctl) is running: it becomes
		 * this meeting's, mailed when it ends */
		log_info("meeting \"%s\": the check running now counts as "
		    "the one before the meeting", ms->name);
		ms->run->manual = 0;
		ms->run->mail = 1;
		ms->run->start = ms->next_start;
		ms->done_start = ms->next_start;
		return;
	}
	/* begun late: probe until the meeting starts, if that leaves
	 * enough to judge by */
	left = ms->next_start - now;
	if (left < window)
		window = left > MIN_WINDOW_S ? (long)left : MIN_WINDOW_S;
	ms->done_start = ms->next_start;
	run_begin(ms, ms->next_start, window, 1, 0);
}

/* --- the last results, from the journal ----------------------------------- */

static int
seed_one(void *arg, json_t *ev, unsigned lineno)
{
	const char *e = json_string_value(json_object_get(ev, "event"));
	const char *name = json_string_value(json_object_get(ev, "name"));

	(void)arg;
	(void)lineno;
	if (e && name && strcmp(e, "meeting") == 0)
		json_object_set(G.seeded, name, ev);
	return 0;
}

static void
seed(void)
{
	time_t now = time(NULL);
	struct tm tm;
	char *paths[2];
	unsigned skipped;

	G.seeded = json_object();
	localtime_r(&now, &tm);
	tm.tm_mday = 1;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	paths[0] = journal_path(G.conf->state_dir, mktime(&tm));
	paths[1] = journal_path(G.conf->state_dir, now);
	for (int i = 0; i < 2; i++) {
		journal_read(paths[i], seed_one, NULL, &skipped);
		free(paths[i]);
	}
}

/* The occurrence a journaled check was for, so that a restart inside
 * the window does not check (and mail) it twice. */
static time_t
checked_start(json_t *ev)
{
	if (json_is_true(json_object_get(ev, "manual")))
		return 0;
	return iso8601_parse(json_string_value(json_object_get(ev, "start")));
}

/* --- configuration --------------------------------------------------------- */

static void
states_for(const struct conf *c)
{
	struct mstate **nms = xcalloc(c->nmeetings ? c->nmeetings : 1,
	    sizeof(*nms));

	for (size_t i = 0; i < c->nmeetings; i++) {
		struct mstate *n = find_state(c->meetings[i].name);

		if (n) {
			G.ms[n->idx] = NULL;	/* moved */
		} else {
			n = xcalloc(1, sizeof(*n));
			n->name = xstrdup(c->meetings[i].name);
			n->timer = evtimer_new(G.base, due, n);
			if (G.seeded && (n->last = json_object_get(G.seeded,
			    n->name)) != NULL) {
				json_incref(n->last);
				n->done_start = checked_start(n->last);
			}
		}
		n->idx = (int)i;
		nms[i] = n;
	}
	for (size_t i = 0; i < G.nms; i++) {
		struct mstate *o = G.ms[i];

		if (o == NULL)
			continue;
		if (o->run) {
			log_info("meeting \"%s\": no longer configured; its "
			    "check is abandoned", o->name);
			run_free(o->run);
		}
		event_free(o->timer);
		json_decref(o->last);
		free(o->name);
		free(o);
	}
	free(G.ms);
	G.ms = nms;
	G.nms = c->nmeetings;
}

void
meeting_start(struct event_base *base, const struct conf *c,
    const struct tstatus *st, void (*changed)(void))
{
	time_t now = time(NULL);

	G.base = base;
	G.conf = c;
	G.st = st;
	G.changed = changed;
	seed();
	states_for(c);
	json_decref(G.seeded);
	G.seeded = NULL;
	for (size_t i = 0; i < G.nms; i++)
		plan(G.ms[i], now);
}

void
meeting_reconf(const struct conf *c, const struct tstatus *st)
{
	time_t now = time(NULL);

	/* the old conf's probe data goes with it: stop its schedules */
	for (size_t i = 0; i < G.nms; i++)
		for (size_t k = 0; G.ms[i]->run && k < G.ms[i]->run->nsites;
		    k++) {
			sched_remove(G.ms[i]->run->sites[k].sched);
			G.ms[i]->run->sites[k].sched = NULL;
		}
	G.conf = c;
	G.st = st;
	states_for(c);
	for (size_t i = 0; i < G.nms; i++) {
		struct mstate *ms = G.ms[i];

		if (ms->run) {
			for (size_t k = 0; k < ms->run->nsites; k++) {
				struct msite *s = &ms->run->sites[k];

				s->tidx = conf_target_index(c, s->id);
				if (now < ms->run->until)
					site_schedule(s);
			}
		}
		plan(ms, now);
	}
}

void
meeting_stop(void)
{
	for (size_t i = 0; i < G.nms; i++) {
		if (G.ms[i]->run)
			run_free(G.ms[i]->run);
		event_free(G.ms[i]->timer);
		json_decref(G.ms[i]->last);
		free(G.ms[i]->name);
		free(G.ms[i]);
	}
	free(G.ms);
	memset(&G, 0, sizeof(G));
}

/* --- pages and tramonctl ---------------------------------------------------- */

void
meeting_snapshot(struct web_snapshot *s)
{
	s->meetings = xcalloc(G.nms ? G.nms : 1, sizeof(*s->meetings));
	s->nmeetings = G.nms;
	for (size_t i = 0; i < G.nms; i++) {
		const struct mstate *ms = G.ms[i];
		const struct meeting_def *m = def_of(ms);
		struct web_meeting *w = &s->meetings[i];

		w->name = xstrdup(m->name);
		w->weekly = m->weekly;
		w->wday = m->wday;
		w->start_min = m->start_min;
		w->from = m->from;
		w->check_before = m->check_before;
		w->duration = m->duration;
		w->max_loss_pct = m->max.loss_pct;
		w->max_rtt_ms = m->max.rtt_ms;
		w->max_jitter_ms = m->max.jitter_ms;
		w->next_start = ms->next_start;
		w->next_check = ms->next_check;
		w->running = ms->run != NULL;
		/* the renderer's thread gets a copy of its own */
		w->last = ms->last ? json_deep_copy(ms->last) : NULL;
	}
}

static json_t *
fail(const char *fmt, const char *arg)
{
	return json_pack("{s:b, s:s+}", "ok", 0, "error", fmt, arg);
}

json_t *
meeting_list(void)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < G.nms; i++) {
		const struct mstate *ms = G.ms[i];
		const struct meeting_def *m = def_of(ms);
		char sched[32];
		json_t *o;

		if (m->weekly)
			snprintf(sched, sizeof(sched), "%.3s %02d:%02d",
			    "sunmontuewedthufrisat" + 3 * m->wday,
			    m->start_min / 60, m->start_min % 60);
		else {
			struct tm tm;

			localtime_r(&m->from, &tm);
			strftime(sched, sizeof(sched), "%Y-%m-%d %H:%M", &tm);
		}
		o = json_pack("{s:s, s:s, s:I, s:I, s:b, s:i}", "name",
		    m->name, "schedule", sched, "next_start",
		    (json_int_t)ms->next_start, "next_check",
		    (json_int_t)ms->next_check, "running", ms->run != NULL,
		    "check_before", m->check_before);
		if (ms->last)
			json_object_set(o, "last", ms->last);
		json_array_append_new(arr, o);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "meetings", arr);
}

json_t *
meeting_check(const char *name, int minutes, int mail)
{
	struct mstate *ms = find_state(name);
	struct mrun *r;

	if (ms == NULL)
		return fail("no such meeting: ", name);
	if (minutes < 1 || minutes > MAX_MINUTES)
		return fail("minutes must be 1 to 30: ", name);
	if ((r = ms->run) == NULL)
		r = run_begin(ms, meeting_next_start(def_of(ms), time(NULL)),
		    (long)minutes * 60, mail, 1);
	return json_pack("{s:b, s:I, s:I, s:b}", "ok", 1, "id", r->id,
	    "until", (json_int_t)r->until, "mail", r->mail);
}

json_t *
meeting_result(const char *name, json_int_t id)
{
	struct mstate *ms = find_state(name);

	if (ms == NULL)
		return fail("no such meeting: ", name);
	if (ms->run && ms->run->id == id)
		return json_pack("{s:b, s:b, s:I}", "ok", 1, "done", 0,
		    "until", (json_int_t)ms->run->until);
	if (ms->last && ms->last_id == id)
		return json_pack("{s:b, s:b, s:O}", "ok", 1, "done", 1,
		    "result", ms->last);
	return fail("that check is no longer known (tramond restarted?): ",
	    name);
}
