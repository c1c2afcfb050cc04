#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "notify.h"
#include "util.h"

static const char *const kind_names[NK_COUNT] = {
	"down", "up", "degraded", "normal", "reboot", "port_down", "port_up",
	"flapping", "stable", "reminder", "maintenance_start",
	"maintenance_end", "cut", "reconnected", "digest",
};

/* What the policy remembers of one target. */
struct nt {
	int down_notified;	/* DOWN said, UP not yet */
	time_t down_since;
	time_t settle_until;	/* a parent's DOWN waits until then */
	int degraded_notified;
	time_t degraded_since;
	time_t last_reminder;
	int acked;
	time_t changes[FLAP_CHANGES];	/* the latest, a ring */
	unsigned nchanges;
	int flapping;
	time_t flap_since, last_change;
	time_t adhoc_until;
	char *adhoc_reason;
	int in_maint;		/* as of the last look */
};

struct notify {
	const struct conf *conf;
	const struct tstatus *st;
	struct nt *t;
	notice_fn *fn;
	void *arg;
	time_t cut_since;	/* every root down since (0 = not cut) */
	time_t reconnected;	/* a root answered again at */
	time_t digest_at;	/* when the held notices are folded */
};

const char *
notice_kind_name(enum notice_kind k)
{
	return k >= 0 && k < NK_COUNT ? kind_names[k] : "unknown";
}

struct notify *
notify_new(const struct conf *c, const struct tstatus *st, notice_fn *fn,
    void *arg)
{
	struct notify *n = xcalloc(1, sizeof(*n));

	n->conf = c;
	n->st = st;
	n->t = xcalloc(c->ntargets ? c->ntargets : 1, sizeof(*n->t));
	n->fn = fn;
	n->arg = arg;
	return n;
}

void
notify_free(struct notify *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->conf->ntargets; i++)
		free(n->t[i].adhoc_reason);
	free(n->t);
	free(n);
}

static int
find_id(const struct conf *c, const char *id)
{
	for (size_t i = 0; i < c->ntargets; i++)
		if (strcmp(c->targets[i].pub.id, id) == 0)
			return (int)i;
	return -1;
}

void
notify_reconf(struct notify *n, const struct conf *c,
    const struct tstatus *st)
{
	struct nt *t = xcalloc(c->ntargets ? c->ntargets : 1, sizeof(*t));

	for (size_t i = 0; i < n->conf->ntargets; i++) {
		int j = find_id(c, n->conf->targets[i].pub.id);

		if (j >= 0)
			t[j] = n->t[i];
		else
			free(n->t[i].adhoc_reason);
	}
	free(n->t);
	n->t = t;
	n->conf = c;
	n->st = st;
}

/* --- maintenance ------------------------------------------------------- */

static int
names_target(char *const *ids, const char *id)
{
	for (; ids && *ids; ids++)
		if (strcmp(*ids, "*") == 0 || strcmp(*ids, id) == 0)
			return 1;
	return 0;
}

static int
window_open(const struct maint_def *m, time_t now)
{
	struct tm tm;
	int min;

	if (!m->weekly)
		return m->from <= now && now < m->to;
	localtime_r(&now, &tm);
	min = tm.tm_hour * 60 + tm.tm_min;
	return tm.tm_wday == m->wday && m->start_min <= min &&
	    min < m->end_min;
}

int
notify_in_maintenance(const struct notify *n, int target, time_t now)
{
	const struct conf *c = n->conf;
	const char *id = c->targets[target].pub.id;

	if (n->t[target].adhoc_until > now)
		return 1;
	for (size_t i = 0; i < c->nmaintenance; i++)
		if (names_target(c->maintenance[i].targets, id) &&
		    window_open(&c->maintenance[i], now))
			return 1;
	return 0;
}

/* The reason of the window the target is in: the ad-hoc one first. */
static const char *
maint_reason(const struct notify *n, int target, time_t now)
{
	const struct conf *c = n->conf;

	if (n->t[target].adhoc_until > now)
		return n->t[target].adhoc_reason;
	for (size_t i = 0; i < c->nmaintenance; i++)
		if (names_target(c->maintenance[i].targets,
		    c->targets[target].pub.id) &&
		    window_open(&c->maintenance[i], now))
			return c->maintenance[i].reason;
	return NULL;
}

time_t
notify_adhoc(const struct notify *n, int target, const char **reason)
{
	if (reason)
		*reason = n->t[target].adhoc_reason;
	return n->t[target].adhoc_until;
}

/* --- emitting ---------------------------------------------------------- */

static int
descends_from(const struct conf *c, int i, int ancestor)
{
	/* parents form no cycle (conf.c refuses them) */
	for (int p = c->targets[i].parent; p >= 0; p = c->targets[p].parent)
		if (p == ancestor)
			return 1;
	return 0;
}

static void
emit(struct notify *n, enum notice_kind k, int target, time_t at,
    time_t since, const char *why, const char *instance, int late)
{
	struct notice no = { k, target, at, since, target >= 0 ?
		n->st[target].state : TS_UNKNOWN, why, instance, NULL, 0, late };
	int *kids = NULL;

	if (k == NK_DOWN) {
		kids = xcalloc(n->conf->ntargets, sizeof(*kids));
		for (size_t i = 0; i < n->conf->ntargets; i++)
			if (n->st[i].state == TS_UNREACHABLE &&
			    descends_from(n->conf, (int)i, target))
				kids[no.nchildren++] = (int)i;
		no.children = kids;
	}
	n->fn(n->arg, &no);
	free(kids);
}

static const char *
why_of(const struct notify *n, int target)
{
	const char *w = n->st[target].why;

	return w[0] ? w : NULL;
}

/* Say DOWN now (a parent's waiting notice, or one held back); reminders
 * count from now. */
static void
say_down(struct notify *n, int target, int late, time_t now)
{
	struct nt *t = &n->t[target];

	t->settle_until = 0;
	t->down_notified = 1;
	t->last_reminder = now;
	emit(n, NK_DOWN, target, t->down_since, t->down_since,
	    why_of(n, target), NULL, late);
}

/* Seconds a parent's notice waits for its children to fail a round. */
static time_t
settle_time(const struct notify *n, int target)
{
	double longest = -1;

	for (size_t i = 0; i < n->conf->ntargets; i++)
		if (descends_from(n->conf, (int)i, target) &&
		    n->conf->targets[i].pub.interval > longest)
			longest = n->conf->targets[i].pub.interval;
	if (longest < 0)
		return 0;
	return longest + 5 < SETTLE_MAX ? (time_t)longest + 5 : SETTLE_MAX;
}

/* A change between out and answering: is the target flapping now? */
static int
note_change(struct nt *t, time_t at)
{
	t->changes[t->nchanges % FLAP_CHANGES] = at;
	t->nchanges++;
	t->last_change = at;
	if (t->flapping || t->nchanges < FLAP_CHANGES)
		return 0;
	/* the ring is full: its oldest entry is the next slot */
	if (at - t->changes[t->nchanges % FLAP_CHANGES] > FLAP_WINDOW)
		return 0;
	t->flapping = 1;
	t->flap_since = t->changes[t->nchanges % FLAP_CHANGES];
	return 1;
}

/* --- the monitor's own way out ---------------------------------------- */

/* Are all roots (not in maintenance) down, two or more?  Then *since =
 * when the last of them began to fail: all of them were failing from
 * then on.  With one root, its outage and the monitor's own cannot be
 * told apart: it is reported as the root's. */
static int
roots_down(const struct notify *n, time_t *since)
{
	const struct conf *c = n->conf;
	int nroots = 0;

	*since = 0;
	for (size_t i = 0; i < c->ntargets; i++) {
		if (c->targets[i].parent >= 0 || n->st[i].state ==
		    TS_MAINTENANCE)
			continue;
		if (n->st[i].state != TS_DOWN)
			return 0;
		nroots++;
		if (n->t[i].down_since > *since)
			*since = n->t[i].down_since;
	}
	return nroots > 1;
}

/* From a root's first answer to the digest: its children (everything
 * descends from a root) have had a round, the roots up_after of them. */
static time_t
digest_settle(const struct notify *n)
{
	const struct conf *c = n->conf;
	double longest = 0;

	for (size_t i = 0; i < c->ntargets; i++) {
		const struct target_def *d = &c->targets[i];
		double need = d->pub.interval;

		if (d->parent < 0 && d->up_after > 1)
			need *= d->up_after;
		if (need > longest)
			longest = need;
	}
	return longest + 5 < DIGEST_SETTLE ? (time_t)longest + 5 :
	    DIGEST_SETTLE;
}

static void
watch_way_out(struct notify *n, const struct state_change *ch)
{
	time_t since;

	if (n->conf->targets[ch->target].parent >= 0)
		return;
	if (ch->to == TS_DOWN && (n->cut_since == 0 || n->reconnected) &&
	    roots_down(n, &since)) {
		/* cut again before the digest: the same cut goes on */
		if (n->cut_since == 0)
			n->cut_since = since ? since : ch->at;
		n->reconnected = n->digest_at = 0;
		emit(n, NK_CUT, ch->target, ch->at, n->cut_since, NULL, NULL,
		    0);
	} else if ((ch->to == TS_UP || ch->to == TS_DEGRADED) &&
	    n->cut_since && n->reconnected == 0) {
		n->reconnected = ch->streak_since && ch->streak_since <=
		    ch->at ? ch->streak_since : ch->at;
		n->digest_at = ch->at + digest_settle(n);
		emit(n, NK_RECONNECTED, ch->target, n->reconnected,
		    n->cut_since, NULL, NULL, 0);
	}
}

static void
digest_due(struct notify *n, time_t now)
{
	if (n->reconnected == 0 || now < n->digest_at)
		return;
	emit(n, NK_DIGEST, -1, n->reconnected, n->cut_since, NULL, NULL, 0);
	n->cut_since = n->reconnected = n->digest_at = 0;
}

int
notify_holding(const struct notify *n)
{
	return n->reconnected != 0;
}

time_t
notify_cut_since(const struct notify *n, time_t *reconnected)
{
	if (reconnected)
		*reconnected = n->reconnected;
	return n->cut_since;
}

/* --- state changes ----------------------------------------------------- */

static void
target_change(struct notify *n, const struct state_change *ch)
{
	struct nt *t = &n->t[ch->target];
	int quiet = notify_in_maintenance(n, ch->target, ch->at);
	int answering = ch->to == TS_UP || ch->to == TS_DEGRADED;

	/* an outage lasts from the first failed round, not from when
	 * down_after of them made it DOWN */
	if (ch->to == TS_DOWN)
		t->down_since = ch->streak_since && ch->streak_since <= ch->at ?
		    ch->streak_since : ch->at;
	/* flapping counts the target's own changes, not its parent's */
	if ((ch->to == TS_DOWN && ch->from != TS_UNREACHABLE) ||
	    (answering && ch->from == TS_DOWN)) {
		if (note_change(t, ch->at) && !quiet) {
			emit(n, NK_FLAPPING, ch->target, ch->at,
			    t->flap_since, ch->why, NULL, 0);
			return;
		}
	}
	if (t->flapping)
		quiet = 1;

	switch (ch->to) {
	case TS_DOWN:
		if (quiet)
			break;
		t->settle_until = ch->at + settle_time(n, ch->target);
		if (t->settle_until == ch->at)
			say_down(n, ch->target, 0, ch->at);
		break;
	case TS_UP:
	case TS_DEGRADED:
		if (t->settle_until && !quiet)
			say_down(n, ch->target, 0, ch->at);	/* back before
							 * it settled: say both */
		t->settle_until = 0;
		if (t->down_notified && !quiet) {
			t->down_notified = 0;
			t->acked = 0;
			emit(n, NK_UP, ch->target, ch->at, t->down_since,
			    NULL, NULL, 0);
		} else if (!quiet)
			t->acked = 0;
		if (ch->to == TS_DEGRADED && ch->from == TS_UP && !quiet) {
			t->degraded_notified = 1;
			t->degraded_since = ch->at;
			emit(n, NK_DEGRADED, ch->target, ch->at, ch->at,
			    ch->why, NULL, 0);
		} else if (ch->to == TS_UP && ch->from == TS_DEGRADED &&
		    t->degraded_notified && !quiet) {
			t->degraded_notified = 0;
			emit(n, NK_NORMAL, ch->target, ch->at,
			    t->degraded_since, NULL, NULL, 0);
		}
		break;
	case TS_UNREACHABLE:
		/* its parent's notice names it; one said before stands */
		t->settle_until = 0;
		break;
	default:
		break;
	}
}

void
notify_state(struct notify *n, const struct state_change *ch)
{
	target_change(n, ch);
	watch_way_out(n, ch);
}

void
notify_event(struct notify *n, int target, const char *kind,
    const char *instance, const char *text, time_t at)
{
	enum notice_kind k;

	if (strcmp(kind, "reboot") == 0)
		k = NK_REBOOT;
	else if (strcmp(kind, "port_down") == 0)
		k = NK_PORT_DOWN;
	else if (strcmp(kind, "port_up") == 0)
		k = NK_PORT_UP;
	else
		return;
	if (notify_in_maintenance(n, target, at))
		return;
	emit(n, k, target, at, at, text && *text ? text : NULL, instance, 0);
}

/* A maintenance window began or ended for target i. */
static void
maint_edge(struct notify *n, int i, time_t now)
{
	struct nt *t = &n->t[i];
	enum tstate s = n->st[i].state;

	t->in_maint = !t->in_maint;
	emit(n, t->in_maint ? NK_MAINT_START : NK_MAINT_END, i, now, now,
	    t->in_maint ? maint_reason(n, i, now) : NULL, NULL, 0);
	if (t->in_maint) {
		t->settle_until = 0;
		return;
	}
	if (t->flapping)
		return;
	/* what changed while nobody was told */
	if (s == TS_DOWN && !t->down_notified) {
		t->down_since = n->st[i].since;
		say_down(n, i, 1, now);
	} else if ((s == TS_UP || s == TS_DEGRADED) && t->down_notified) {
		t->down_notified = 0;
		t->acked = 0;
		emit(n, NK_UP, i, n->st[i].since, t->down_since, NULL, NULL,
		    1);
	}
}

void
notify_tick(struct notify *n, time_t now)
{
	const struct conf *c = n->conf;

	digest_due(n, now);
	for (size_t k = 0; k < c->ntargets; k++) {
		int i = (int)k;
		struct nt *t = &n->t[i];
		enum tstate s = n->st[i].state;
		time_t repeat = (time_t)c->targets[i].repeat_minutes * 60;

		if (t->adhoc_until && t->adhoc_until <= now) {
			t->adhoc_until = 0;
			free(t->adhoc_reason);
			t->adhoc_reason = NULL;
		}
		if (notify_in_maintenance(n, i, now) != t->in_maint)
			maint_edge(n, i, now);
		if (t->in_maint)
			continue;
		if (t->flapping && now - t->last_change >= FLAP_QUIET) {
			t->flapping = 0;
			t->nchanges = 0;
			t->down_notified = s == TS_DOWN;
			t->down_since = n->st[i].since;
			t->last_reminder = 0;
			emit(n, NK_STABLE, i, now, t->flap_since, NULL, NULL,
			    0);
			continue;
		}
		if (t->flapping)
			continue;
		if (t->settle_until && now >= t->settle_until && s == TS_DOWN)
			say_down(n, i, 0, now);
		if (repeat > 0 && t->down_notified && !t->acked &&
		    s == TS_DOWN) {
			time_t last = t->last_reminder ? t->last_reminder :
			    t->down_since;

			if (now - last >= repeat) {
				t->last_reminder = now;
				emit(n, NK_REMINDER, i, now, t->down_since,
				    why_of(n, i), NULL, 0);
			}
		}
	}
}

int
notify_ack(struct notify *n, int target, time_t now)
{
	(void)now;
	if (n->st[target].state != TS_DOWN &&
	    n->st[target].state != TS_UNREACHABLE)
		return -1;
	n->t[target].acked = 1;
	return 0;
}

void
notify_maintenance(struct notify *n, int target, time_t until,
    const char *reason, time_t now)
{
	struct nt *t = &n->t[target];

	free(t->adhoc_reason);
	t->adhoc_reason = reason && *reason ? xstrdup(reason) : NULL;
	t->adhoc_until = until > now ? until : 0;
	if (notify_in_maintenance(n, target, now) != t->in_maint)
		maint_edge(n, target, now);
}

void
notify_replay(struct notify *n, int target, const char *kind, time_t at)
{
	struct nt *t;

	if (strcmp(kind, "cut") == 0) {
		if (n->cut_since == 0)
			n->cut_since = at;
		n->reconnected = n->digest_at = 0;
		return;
	}
	if (strcmp(kind, "reconnected") == 0) {
		if (n->cut_since && n->reconnected == 0) {
			n->reconnected = at;
			n->digest_at = at + digest_settle(n);
		}
		return;
	}
	if (strcmp(kind, "digest") == 0) {
		n->cut_since = n->reconnected = n->digest_at = 0;
		return;
	}
	if (target < 0)
		return;
	t = &n->t[target];
	if (strcmp(kind, "down") == 0) {
		t->down_notified = 1;
		t->down_since = at;
		t->settle_until = 0;
		t->last_reminder = 0;
	} else if (strcmp(kind, "up") == 0) {
		t->down_notified = 0;
		t->acked = 0;
	} else if (strcmp(kind, "degraded") == 0) {
		t->degraded_notified = 1;
		t->degraded_since = at;
	} else if (strcmp(kind, "normal") == 0)
		t->degraded_notified = 0;
	else if (strcmp(kind, "flapping") == 0) {
		t->flapping = 1;
		t->flap_since = t->last_change = at;
	} else if (strcmp(kind, "stable") == 0) {
		t->flapping = 0;
		t->nchanges = 0;
	} else if (strcmp(kind, "reminder") == 0)
		t->last_reminder = at;
	else if (strcmp(kind, "ack") == 0)
		t->acked = 1;
}

/* --- persistence ------------------------------------------------------- */

static void
set_time(json_t *o, const char *key, time_t t)
{
	if (t)
		json_object_set_new(o, key, json_integer((json_int_t)t));
}

static time_t
get_time(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (time_t)json_integer_value(v) : 0;
}

json_t *
notify_save(const struct notify *n)
{
	json_t *root = json_object();

	/* target ids never begin with "_" */
	if (n->cut_since) {
		json_t *o = json_object();

		set_time(o, "since", n->cut_since);
		set_time(o, "reconnected", n->reconnected);
		set_time(o, "digest_at", n->digest_at);
		json_object_set_new(root, "_cut", o);
	}
	for (size_t i = 0; i < n->conf->ntargets; i++) {
		const struct nt *t = &n->t[i];
		json_t *o = json_object();

		if (t->down_notified) {
			json_object_set_new(o, "down_notified", json_true());
			set_time(o, "down_since", t->down_since);
		}
		set_time(o, "settle_until", t->settle_until);
		if (t->settle_until)
			set_time(o, "down_since", t->down_since);
		if (t->degraded_notified) {
			json_object_set_new(o, "degraded_notified",
			    json_true());
			set_time(o, "degraded_since", t->degraded_since);
		}
		set_time(o, "last_reminder", t->last_reminder);
		if (t->acked)
			json_object_set_new(o, "acked", json_true());
		if (t->flapping) {
			json_object_set_new(o, "flapping", json_true());
			set_time(o, "flap_since", t->flap_since);
			set_time(o, "last_change", t->last_change);
		}
		set_time(o, "maintenance_until", t->adhoc_until);
		if (t->adhoc_reason)
			json_object_set_new(o, "maintenance_reason",
			    json_string(t->adhoc_reason));
		if (t->in_maint)
			json_object_set_new(o, "in_maintenance", json_true());
		if (json_object_size(o) > 0)
			json_object_set_new(root, n->conf->targets[i].pub.id,
			    o);
		else
			json_decref(o);
	}
	return root;
}

void
notify_restore(struct notify *n, json_t *root)
{
	const char *id;
	json_t *o;

	if ((o = json_object_get(root, "_cut")) != NULL) {
		n->cut_since = get_time(o, "since");
		n->reconnected = n->cut_since ? get_time(o, "reconnected") : 0;
		n->digest_at = n->reconnected ? get_time(o, "digest_at") : 0;
	}
	json_object_foreach(root, id, o) {
		int i = find_id(n->conf, id);
		struct nt *t;
		json_t *r;

		if (i < 0 || !json_is_object(o))
			continue;
		t = &n->t[i];
		t->down_notified = json_is_true(json_object_get(o,
		    "down_notified"));
		t->down_since = get_time(o, "down_since");
		t->settle_until = get_time(o, "settle_until");
		t->degraded_notified = json_is_true(json_object_get(o,
		    "degraded_notified"));
		t->degraded_since = get_time(o, "degraded_since");
		t->last_reminder = get_time(o, "last_reminder");
		t->acked = json_is_true(json_object_get(o, "acked"));
		t->flapping = json_is_true(json_object_get(o, "flapping"));
		t->flap_since = get_time(o, "flap_since");
		t->last_change = get_time(o, "last_change");
		t->adhoc_until = get_time(o, "maintenance_until");
		r = json_object_get(o, "maintenance_reason");
		free(t->adhoc_reason);
		t->adhoc_reason = json_is_string(r) ?
		    xstrdup(json_string_value(r)) : NULL;
		t->in_maint = json_is_true(json_object_get(o,
		    "in_maintenance"));
	}
}
