#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "conf.h"
#include "meeting.h"
#include "i18n.h"
#include "state.h"
#include "util.h"

/* subjects and first sentences are indexed by the notice's kind */
_Static_assert(M_A_DIGEST - M_A_DOWN == NK_DIGEST &&
    M_AS_DIGEST - M_AS_DOWN == NK_DIGEST, "i18n.h and notify.h disagree");

struct text {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->cap = (t->cap + (size_t)n + 1) * 2;
		t->p = xreallocarray(t->p, t->cap, 1);
	}
}

static void
text_init(struct text *t)
{
	t->cap = 512;
	t->p = xmalloc(t->cap);
	t->p[0] = '\0';
	t->len = 0;
}

/* "Xã Trà Linh (198.18.2.17)" */
static char *
who(const struct target_def *d)
{
	const char *host = d->pub.host;

	if (host == NULL || *host == '\0' || strcmp(host, d->pub.name) == 0)
		return xstrdup(d->pub.name);
	return xasprintf("%s (%s)", d->pub.name, host);
}

static void
subject(const struct conf *c, const struct notice *no, struct text *s)
{
	const struct target_def *d = &c->targets[no->target];
	int lang = c->language;
	char *w = who(d), dur[64];

	add(s, "[tramon] %s: ", i18n(lang, M_A_DOWN + (int)no->kind));
	switch (no->kind) {
	case NK_PORT_DOWN:
	case NK_PORT_UP:
		add(s, "%s – %s", no->instance ? no->instance : "?",
		    d->pub.name);
		break;
	case NK_DOWN:
		add(s, "%s", w);
		if (no->nchildren > 0) {
			add(s, " ");
			add(s, i18n(lang, M_A_AND_BEHIND),
			    (int)no->nchildren);
		}
		break;
	case NK_UP:
	case NK_REMINDER:
		i18n_duration(lang, (long)(no->at - no->since), dur,
		    sizeof(dur));
		add(s, "%s (%s%s%s)", w, no->kind == NK_UP ?
		    i18n(lang, M_A_AFTER) : "", no->kind == NK_UP ? " " : "",
		    dur);
		break;
	default:
		add(s, "%s", w);
		break;
	}
	free(w);
}

static void
fact(struct text *b, int lang, int label, const char *value)
{
	if (value && *value)
		add(b, "%s: %s\n", i18n(lang, label), value);
}

static void
last_round(const struct tstatus *s, int lang, struct text *b)
{
	const struct round_stats *r = &s->last;
	char rtt[32], loss[32];

	if (s->last_round == 0 || r->sent == 0)
		return;
	i18n_number(lang, r->loss_pct, 1, loss, sizeof(loss));
	if (r->received > 0 && isfinite(r->median)) {
		i18n_number(lang, r->median * 1e3, 1, rtt, sizeof(rtt));
		add(b, "%s: %s %s ms, %s %s %%\n", i18n(lang, M_A_LAST_ROUND),
		    i18n(lang, M_LATENCY), rtt, i18n(lang, M_LOSS), loss);
	} else
		add(b, "%s: %s %s %% (%u/%u)\n", i18n(lang, M_A_LAST_ROUND),
		    i18n(lang, M_LOSS), loss, r->received, r->sent);
}

/* base_url + "t/ID.html", or the overview for id NULL; NULL if unset */
static char *
page_url(const struct conf *c, const char *id)
{
	char *path = id ? xasprintf("t/%s.html", id) : xstrdup("");
	char *url = conf_url(c, path);

	free(path);
	return url;
}

static void
link(const struct conf *c, const char *id, struct text *b)
{
	char *url = page_url(c, id);

	if (url)
		add(b, "\n%s: %s\n", i18n(c->language, M_A_PAGE), url);
	free(url);
}

static void
footer(const struct conf *c, struct text *b)
{
	add(b, "\n-- \n%s%s%s\n", i18n(c->language, M_A_FOOTER),
	    c->name && *c->name ? " · " : "", c->name ? c->name : "");
}

static void
body(const struct conf *c, const struct tstatus *st, const struct notice *no,
    struct text *b)
{
	const struct target_def *d = &c->targets[no->target];
	int lang = c->language;
	char *w = who(d), when[64], dur[64], why[160];

	i18n_duration(lang, (long)(no->at - no->since), dur, sizeof(dur));
	switch (no->kind) {
	case NK_PORT_DOWN:
	case NK_PORT_UP:
		add(b, i18n(lang, M_AS_DOWN + (int)no->kind),
		    no->instance ? no->instance : "?", w);
		break;
	case NK_UP:
	case NK_REMINDER:
		add(b, i18n(lang, M_AS_DOWN + (int)no->kind), w, dur);
		break;
	case NK_STABLE:
		add(b, i18n(lang, M_AS_STABLE), w,
		    i18n_state(lang, no->state));
		break;
	case NK_DIGEST:		/* alert_digest() writes the digest */
		add(b, "%s", i18n(lang, M_A_DIGEST));
		break;
	default:
		add(b, i18n(lang, M_AS_DOWN + (int)no->kind), w);
		break;
	}
	add(b, "\n\n");
	if (no->late) {
		i18n_datetime(lang, no->at, when, sizeof(when));
		add(b, "%s %s.\n\n", i18n(lang, M_A_LATE), when);
	}
	fact(b, lang, M_TARGET, d->pub.name);
	fact(b, lang, M_A_GROUP, d->group);
	fact(b, lang, M_HOST, d->pub.host);
	fact(b, lang, M_STATE, i18n_state(lang, st[no->target].state));
	i18n_datetime(lang, no->at, when, sizeof(when));
	fact(b, lang, M_TIME, when);
	if (no->kind == NK_UP || no->kind == NK_REMINDER) {
		i18n_datetime(lang, no->since, when, sizeof(when));
		fact(b, lang, M_A_DOWN_SINCE, when);
		fact(b, lang, M_A_DURATION, dur);
	}
	if (no->why) {
		i18n_reason(lang, no->why, why, sizeof(why));
		fact(b, lang, M_REASON, why);
	}
	if (d->parent >= 0)
		fact(b, lang, M_PARENT, c->targets[d->parent].pub.name);
	if (no->kind != NK_MAINT_START && no->kind != NK_MAINT_END)
		last_round(&st[no->target], lang, b);
	if (no->nchildren > 0) {
		add(b, "\n");
		add(b, i18n(lang, M_A_CUT_OFF), (int)no->nchildren);
		add(b, "\n");
		for (size_t i = 0; i < no->nchildren; i++) {
			char *cw = who(&c->targets[no->children[i]]);

			add(b, "  - %s\n", cw);
			free(cw);
		}
	}
	if (no->kind == NK_REMINDER)
		add(b, "\n%s %s\n", i18n(lang, M_A_ACK_HINT), d->pub.id);
	link(c, d->pub.id, b);
	footer(c, b);
	free(w);
}

void
alert_compose(const struct conf *c, const struct tstatus *st,
    const struct notice *no, struct alert_text *out)
{
	struct text s, b;

	text_init(&s);
	text_init(&b);
	subject(c, no, &s);
	body(c, st, no, &b);
	out->subject = s.p;
	out->body = b.p;
}

void
alert_text_free(struct alert_text *t)
{
	free(t->subject);
	free(t->body);
	t->subject = t->body = NULL;
}

static json_t *
jstr_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* "district", "url", "subject", "text" */
static void
finish_json(const struct conf *c, const char *id, const struct alert_text *t,
    json_t *o)
{
	char *url = page_url(c, id);

	json_object_set_new(o, "district", jstr_or_null(c->name));
	json_object_set_new(o, "url", jstr_or_null(url));
	json_object_set_new(o, "subject", json_string(t->subject));
	json_object_set_new(o, "text", json_string(t->body));
	free(url);
}

json_t *
alert_webhook_json(const struct conf *c, const struct tstatus *st,
    const struct notice *no, const struct alert_text *t)
{
	const struct target_def *d = &c->targets[no->target];
	json_t *o = json_object(), *kids = json_array();
	char when[40];

	json_object_set_new(o, "event", json_string(notice_kind_name(
	    no->kind)));
	json_object_set_new(o, "target", json_string(d->pub.id));
	json_object_set_new(o, "name", json_string(d->pub.name));
	json_object_set_new(o, "group", jstr_or_null(d->group));
	json_object_set_new(o, "host", jstr_or_null(d->pub.host));
	json_object_set_new(o, "state", json_string(tstate_name(
	    st[no->target].state)));
	iso8601(no->at, when, sizeof(when));
	json_object_set_new(o, "time", json_string(when));
	iso8601(no->since, when, sizeof(when));
	json_object_set_new(o, "since", json_string(when));
	json_object_set_new(o, "instance", jstr_or_null(no->instance));
	json_object_set_new(o, "reason", jstr_or_null(no->why));
	for (size_t i = 0; i < no->nchildren; i++)
		json_array_append_new(kids, json_string(
		    c->targets[no->children[i]].pub.id));
	json_object_set_new(o, "children", kids);
	json_object_set_new(o, "late", json_boolean(no->late));
	finish_json(c, d->pub.id, t, o);
	return o;
}

/* --- the digest -------------------------------------------------------- */

/* What is still wrong now, one line each; "all up" if nothing. */
static void
still_wrong(const struct conf *c, const struct tstatus *st, struct text *b)
{
	int lang = c->language, none = 1;

	add(b, "\n%s:\n", i18n(lang, M_A_NOW));
	for (size_t i = 0; i < c->ntargets; i++) {
		enum tstate s = st[i].state;
		char *w, since[64];

		if (s != TS_DOWN && s != TS_UNREACHABLE && s != TS_DEGRADED)
			continue;
		w = who(&c->targets[i]);
		i18n_datetime(lang, st[i].since, since, sizeof(since));
		add(b, "  - %s: %s (%s)\n", w, i18n_state(lang, s), since);
		free(w);
		none = 0;
	}
	if (none)
		add(b, "  %s\n", i18n(lang, M_ALL_UP));
}

/* by time, then as queued */
static int
by_time(const void *a, const void *b)
{
	const struct digest_line *x = *(const struct digest_line *const *)a;
	const struct digest_line *y = *(const struct digest_line *const *)b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x < y ? -1 : x > y;
}

void
alert_digest(const struct conf *c, const struct tstatus *st,
    enum digest_why why, time_t since, time_t until,
    const struct digest_line *l, size_t n, struct alert_text *out)
{
	int storm = why == DIGEST_STORM;
	int lang = c->language;
	struct text s, b;
	char from[64], to[64], dur[64];
	const struct digest_line **sorted;

	text_init(&s);
	text_init(&b);
	i18n_datetime(lang, since, from, sizeof(from));
	i18n_datetime(lang, until, to, sizeof(to));
	i18n_duration(lang, (long)(until - since), dur, sizeof(dur));
	add(&s, "[tramon] %s: ", i18n(lang, storm ? M_A_STORM : M_A_DIGEST));
	add(&s, i18n(lang, M_A_DIGEST_N), (int)n, from, to);
	add(&b, i18n(lang, storm ? M_AS_STORM : M_AS_DIGEST), from, to, dur);
	add(&b, "\n\n");
	/* in the order things happened (a parent's DOWN is queued after
	 * its children had a round to fail) */
	sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	for (size_t i = 0; i < n; i++)
		sorted[i] = &l[i];
	qsort(sorted, n, sizeof(*sorted), by_time);
	for (size_t k = 0; k < n; k++) {
		const struct digest_line *li = sorted[k];
		const char *subj = li->subject ? li->subject : "?";
		char when[64];

		if (strncmp(subj, "[tramon] ", 9) == 0)
			subj += 9;
		i18n_datetime_sec(lang, li->at, when, sizeof(when));
		add(&b, "  %s  %s\n", when, subj);
	}
	free(sorted);
	still_wrong(c, st, &b);
	link(c, NULL, &b);
	footer(c, &b);
	out->subject = s.p;
	out->body = b.p;
}

json_t *
alert_digest_webhook_json(const struct conf *c, enum digest_why why,
    time_t since, time_t until, json_t *events, const struct alert_text *t)
{
	json_t *o = json_object();
	char when[40];

	json_object_set_new(o, "event", json_string("digest"));
	json_object_set_new(o, "reason", json_string(why == DIGEST_STORM ?
	    "storm" : "cut"));
	iso8601(since, when, sizeof(when));
	json_object_set_new(o, "since", json_string(when));
	iso8601(until, when, sizeof(when));
	json_object_set_new(o, "until", json_string(when));
	json_object_set_new(o, "late", json_boolean(why == DIGEST_CUT));
	json_object_set_new(o, "events", events);
	finish_json(c, NULL, t, o);
	return o;
}

/* --- meeting readiness ------------------------------------------------- */

_Static_assert(M_MT_NOT_REACHABLE - M_MT_READY == MV_NOT_REACHABLE,
    "i18n.h and meeting.h disagree");

/* `s` padded with blanks to `width` characters (code points: the
 * Vietnamese of names is precomposed, one character a letter). */
static void
padded(struct text *b, const char *s, int width)
{
	int n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	add(b, "%s%*s", s, width > n ? width - n : 0, "");
}

static void
ms_text(int lang, json_t *v, char *buf, size_t len)
{
	double x = json_number_value(v);

	if (!json_is_number(v)) {
		snprintf(buf, len, "–");
		return;
	}
	i18n_number(lang, x, x < 100 ? 1 : 0, buf, len);
	snprintf(buf + strlen(buf), len - strlen(buf), " ms");
}

static void
pct_text(int lang, json_t *v, char *buf, size_t len)
{
	double x = json_number_value(v);

	if (!json_is_number(v)) {
		snprintf(buf, len, "–");
		return;
	}
	i18n_number(lang, x, x == 0 || x == 100 ? 0 : 1, buf, len);
	snprintf(buf + strlen(buf), len - strlen(buf), " %%");
}

/* What a site answered: the probe's status (SIP, HTTP), or why it did
 * not answer at all. */
static void
answer_text(int lang, json_t *site, char *buf, size_t len)
{
	json_t *st = json_object_get(site, "status");
	const char *why = json_string_value(json_object_get(site, "reason"));

	if (json_is_integer(st))
		snprintf(buf, len, "%lld", (long long)json_integer_value(st));
	else if (why)
		i18n_reason(lang, why, buf, len);
	else
		snprintf(buf, len, "–");
}

static const char *
verdict_text(int lang, json_t *site)
{
	int v = meeting_verdict_parse(json_string_value(json_object_get(site,
	    "verdict")));

	return v < 0 ? "?" : i18n(lang, M_MT_READY + v);
}

static void
meeting_table(const struct conf *c, json_t *ev, struct text *b)
{
	int lang = c->language, wname = 10, wverd = 8;
	json_t *site;
	size_t k;

	json_array_foreach(json_object_get(ev, "sites"), k, site) {
		const char *n = json_string_value(json_object_get(site,
		    "name"));
		int len = 0;

		for (const unsigned char *p = (const unsigned char *)(n ? n :
		    ""); *p; p++)
			len += (*p & 0xc0) != 0x80;
		if (len > wname)
			wname = len;
	}
	for (int v = M_MT_READY; v <= M_MT_NOT_REACHABLE; v++) {
		int len = 0;

		for (const unsigned char *p = (const unsigned char *)i18n(lang,
		    v); *p; p++)
			len += (*p & 0xc0) != 0x80;
		if (len > wverd)
			wverd = len;
	}
	padded(b, i18n(lang, M_MT_SITE), wname + 2);
	padded(b, i18n(lang, M_MT_VERDICT), wverd + 2);
	padded(b, i18n(lang, M_LATENCY), 10);
	padded(b, i18n(lang, M_LOSS), 9);
	padded(b, "Jitter", 10);
	add(b, "%s\n", i18n(lang, M_MT_ANSWER));
	json_array_foreach(json_object_get(ev, "sites"), k, site) {
		const char *n = json_string_value(json_object_get(site,
		    "name"));
		char rtt[32], loss[32], jit[32], ans[160];

		ms_text(lang, json_object_get(site, "rtt"), rtt, sizeof(rtt));
		pct_text(lang, json_object_get(site, "loss"), loss,
		    sizeof(loss));
		ms_text(lang, json_object_get(site, "jitter"), jit,
		    sizeof(jit));
		answer_text(lang, site, ans, sizeof(ans));
		padded(b, n ? n : "?", wname + 2);
		padded(b, verdict_text(lang, site), wverd + 2);
		padded(b, rtt, 10);
		padded(b, loss, 9);
		padded(b, jit, 10);
		add(b, "%s\n", ans);
	}
}

static void
thresholds_text(const struct conf *c, json_t *ev, struct text *b)
{
	static const char *const keys[] = { "loss_pct", "rtt_ms",
		"jitter_ms" };
	int lang = c->language;
	json_t *th = json_object_get(ev, "thresholds");
	char v[3][32];

	for (int i = 0; i < 3; i++) {
		double x = json_number_value(json_object_get(th, keys[i]));

		i18n_number(lang, x, x == floor(x) ? 0 : 1, v[i],
		    sizeof(v[i]));
	}
	add(b, "%s: ", i18n(lang, M_MT_THRESHOLDS));
	add(b, i18n(lang, M_MT_LIMITS), v[0], v[1], v[2]);
	add(b, "\n");
}

void
alert_meeting(const struct conf *c, json_t *ev, struct alert_text *out)
{
	int lang = c->language;
	const char *name = json_string_value(json_object_get(ev, "name"));
	time_t start = iso8601_parse(json_string_value(json_object_get(ev, "start")));
	time_t checked = iso8601_parse(json_string_value(json_object_get(ev,
	    "checked")));
	time_t until = iso8601_parse(json_string_value(json_object_get(ev, "until")));
	int ready = (int)json_integer_value(json_object_get(ev, "ready"));
	int total = (int)json_integer_value(json_object_get(ev, "total"));
	char hhmm[16] = "–", when[128] = "–", from[64], to[64], dur[64];
	struct text s, b;
	char *url;
	struct tm tm;

	text_init(&s);
	text_init(&b);
	if (start && localtime_r(&start, &tm)) {
		char day[64];

		strftime(hhmm, sizeof(hhmm), "%H:%M", &tm);
		i18n_datetime(lang, start, day, sizeof(day));
		snprintf(when, sizeof(when), "%s %s", i18n(lang, M_WDAY_SUN +
		    tm.tm_wday), day);
	}
	add(&s, "[tramon] %s: ", i18n(lang, M_A_MEETING));
	add(&s, i18n(lang, M_A_MEETING_N), name ? name : "?", hhmm, ready,
	    total);
	add(&b, i18n(lang, M_AS_MEETING), name ? name : "?", when, ready,
	    total);
	add(&b, "\n\n");
	meeting_table(c, ev, &b);
	add(&b, "\n");
	thresholds_text(c, ev, &b);
	i18n_datetime(lang, checked, from, sizeof(from));
	i18n_datetime(lang, until, to, sizeof(to));
	i18n_duration(lang, (long)(until - checked), dur, sizeof(dur));
	add(&b, i18n(lang, M_MT_MEASURED), dur, from, to);
	if (json_is_true(json_object_get(ev, "manual")))
		add(&b, " (%s)", i18n(lang, M_MT_ASKED));
	add(&b, ".\n");
	if ((url = conf_url(c, "meetings.html")) != NULL)
		add(&b, "\n%s: %s\n", i18n(lang, M_A_PAGE), url);
	free(url);
	footer(c, &b);
	out->subject = s.p;
	out->body = b.p;
}

json_t *
alert_meeting_webhook_json(const struct conf *c, json_t *ev,
    const struct alert_text *t)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;
	char *url = conf_url(c, "meetings.html");

	json_object_foreach(ev, k, v)
		if (strcmp(k, "time") != 0 && strcmp(k, "ts") != 0)
			json_object_set(o, k, v);
	json_object_set_new(o, "event", json_string("meeting"));
	json_object_set_new(o, "district", jstr_or_null(c->name));
	json_object_set_new(o, "url", jstr_or_null(url));
	json_object_set_new(o, "subject", json_string(t->subject));
	json_object_set_new(o, "text", json_string(t->body));
	free(url);
	return o;
}
