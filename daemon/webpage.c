#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "graph.h"
#include "i18n.h"
#include "log.h"
#include "meeting.h"
#include "util.h"
#include "webpage.h"

#define NBSP	"\xc2\xa0"
#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

/* Symbols that tell the states apart without colour. */
static const char *const state_sym[TS_COUNT] = {
	[TS_UNKNOWN] = "?",
	[TS_UP] = "✓",
	[TS_DEGRADED] = "▲",
	[TS_DOWN] = "✕",
	[TS_UNREACHABLE] = "⊘",
	[TS_MAINTENANCE] = "⚒",
};

/* Within a group the worst come first. */
static const int severity[TS_COUNT] = {
	[TS_DOWN] = 0,
	[TS_UNREACHABLE] = 1,
	[TS_DEGRADED] = 2,
	[TS_UNKNOWN] = 3,
	[TS_MAINTENANCE] = 4,
	[TS_UP] = 5,
};

/* Order of the summary tiles. */
static const enum tstate tile_order[] = {
	TS_UP, TS_DEGRADED, TS_DOWN, TS_UNREACHABLE, TS_MAINTENANCE,
	TS_UNKNOWN
};

/* Length of the valid UTF-8 sequence at s (1-4), 0 if invalid: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t
utf8_seq(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void
buf_html(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		size_t n = utf8_seq(p);

		if (n == 0) {
			buf_add(b, REPLACEMENT);
			p++;
			continue;
		}
		if (n > 1) {
			buf_addn(b, (const char *)p, n);
			p += n;
			continue;
		}
		switch (*p) {
		case '&': buf_add(b, "&amp;"); break;
		case '<': buf_add(b, "&lt;"); break;
		case '>': buf_add(b, "&gt;"); break;
		case '"': buf_add(b, "&quot;"); break;
		case '\'': buf_add(b, "&#39;"); break;
		default:
			if ((*p < 0x20 && *p != '\t' && *p != '\n') ||
			    *p == 0x7f)
				buf_add(b, REPLACEMENT);
			else
				buf_addn(b, (const char *)p, 1);
		}
		p++;
	}
}

/* A reason, in the page's language, escaped. */
static void
buf_reason(struct buf *b, int lang, const char *why)
{
	char text[256];

	i18n_reason(lang, why, text, sizeof(text));
	buf_html(b, text);
}

void
buf_url(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf_addn(b, (const char *)p, 1);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

char *
utf8_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	struct buf b;

	buf_init(&b);
	buf_add(&b, "");
	while (*p) {
		size_t n = utf8_seq(p);

		if (n == 0) {
			buf_add(&b, REPLACEMENT);
			p++;
		} else {
			buf_addn(&b, (const char *)p, n);
			p += n;
		}
	}
	return b.p;
}

/* --- formatting */

/* An rtt (seconds) as "12,3 ms": more decimals for short times. */
static void
fmt_ms(int lang, double s, char *out, size_t len)
{
	char num[32];
	double ms = s * 1e3;

	if (!isfinite(s)) {
		snprintf(out, len, "–");
		return;
	}
	i18n_number(lang, ms, ms < 1 ? 2 : ms < 100 ? 1 : 0, num, sizeof(num));
	snprintf(out, len, "%s" NBSP "ms", num);
}

static void
fmt_loss(int lang, double pct, char *out, size_t len)
{
	char num[32];

	if (!isfinite(pct)) {
		snprintf(out, len, "–");
		return;
	}
	i18n_number(lang, pct, pct == 0 || pct == 100 ? 0 : 1, num,
	    sizeof(num));
	snprintf(out, len, "%s%%", num);
}

/* Uptime is cut, never rounded up: 99.996 % is not 100 %. */
static void
fmt_uptime(int lang, double pct, char *out, size_t len)
{
	char num[32];

	if (!isfinite(pct)) {
		snprintf(out, len, "–");
		return;
	}
	if (pct >= 100)
		snprintf(num, sizeof(num), "100");
	else
		i18n_number(lang, floor(pct * 100) / 100, 2, num, sizeof(num));
	snprintf(out, len, "%s%%", num);
}

/* Three significant digits, at most two decimals: "940", "1,25". */
static void
fmt_3digits(int lang, double v, char *out, size_t len)
{
	i18n_number(lang, v, v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2, out, len);
}

/* A rate in bit/s for people: "940 kbit/s", "1,25 Mbit/s". */
static void
fmt_bits(int lang, double bps, char *out, size_t len)
{
	static const char *const unit[] = {
		"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"
	};
	char num[32];
	size_t u = 0;

	if (!isfinite(bps) || bps < 0) {
		snprintf(out, len, "–");
		return;
	}
	while (bps >= 999.5 && u + 1 < nitems(unit)) {
		bps /= 1000;
		u++;
	}
	if (u == 0)
		i18n_number(lang, bps, 0, num, sizeof(num));
	else
		fmt_3digits(lang, bps, num, sizeof(num));
	snprintf(out, len, "%s" NBSP "%s", num, unit[u]);
}

/* A port's speed as people name it: "100 Mbit/s", "2,5 Gbit/s". */
static void
fmt_speed(int lang, double bps, char *out, size_t len)
{
	static const char *const unit[] = {
		"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"
	};
	char num[32];
	size_t u = 0;
	int dec;

	if (!isfinite(bps) || bps <= 0) {
		snprintf(out, len, "–");
		return;
	}
	while (bps >= 1000 && u + 1 < nitems(unit)) {
		bps /= 1000;
		u++;
	}
	dec = fabs(bps - round(bps)) < .005 ? 0 :
	    fabs(bps * 10 - round(bps * 10)) < .05 ? 1 : 2;
	i18n_number(lang, bps, dec, num, sizeof(num));
	snprintf(out, len, "%s" NBSP "%s", num, unit[u]);
}

/* Errors or discards per second: "0", "0,003", "< 0,001", "12,5". */
static void
fmt_rate(int lang, double v, char *out, size_t len)
{
	if (!isfinite(v) || v < 0)
		snprintf(out, len, "–");
	else if (v > 0 && v < .0005) {
		char num[32];

		i18n_number(lang, .001, 3, num, sizeof(num));
		snprintf(out, len, "<" NBSP "%s", num);
	} else
		i18n_number(lang, v, v == 0 ? 0 : v < 1 ? 3 : v < 10 ? 2 :
		    v < 100 ? 1 : 0, out, len);
}

static void
fmt_util(int lang, double pct, char *out, size_t len)
{
	char num[32];

	if (!isfinite(pct)) {
		snprintf(out, len, "–");
		return;
	}
	i18n_number(lang, pct, pct < 10 ? 1 : 0, num, sizeof(num));
	snprintf(out, len, "%s%%", num);
}

static const char *
state_class(enum tstate s)
{
	return tstate_name(s);	/* st-up, st-down, ... in tramon.css */
}

static enum tstate
valid_state(enum tstate s)
{
	return (s >= 0 && s < TS_COUNT) ? s : TS_UNKNOWN;
}

/* <span class="badge st-down"><span class="sym">✕</span> Mất kết nối</span> */
static void
badge(struct buf *b, int lang, enum tstate s)
{
	s = valid_state(s);
	buf_printf(b, "<span class=\"badge st-%s\"><span class=\"sym\" "
	    "aria-hidden=\"true\">%s</span>" NBSP "%s</span>", state_class(s),
	    state_sym[s], i18n_state(lang, s));
}

static void
time_tag(struct buf *b, int lang, time_t t)
{
	char iso[40], human[40];

	if (t == 0) {
		buf_add(b, "–");
		return;
	}
	iso8601(t, iso, sizeof(iso));
	i18n_datetime(lang, t, human, sizeof(human));
	buf_printf(b, "<time datetime=\"%s\">%s</time>", iso, human);
}

/* "đã 2 giờ 5 phút" / "for 2 h 5 min" */
static void
for_duration(struct buf *b, int lang, time_t since, time_t now)
{
	char d[64];

	i18n_duration(lang, (long)(now - since), d, sizeof(d));
	buf_printf(b, "%s %s", i18n(lang, M_FOR), d);
}

static void
host_port(struct buf *b, const struct web_target *t)
{
	if (t->host == NULL || *t->host == '\0')
		return;
	if (t->port > 0 && strchr(t->host, ':')) {
		buf_add(b, "[");
		buf_html(b, t->host);
		buf_printf(b, "]:%d", t->port);
	} else {
		buf_html(b, t->host);
		if (t->port > 0)
			buf_printf(b, ":%d", t->port);
	}
}

/* href of a target's page, from web_dir ("t/") or from t/ (""). */
static void
target_href(struct buf *b, const char *dir, const char *id)
{
	char safe[128];

	safe_filename(id, safe, sizeof(safe));
	buf_add(b, dir);
	buf_url(b, safe);
	buf_add(b, ".html");
}

/* href of a port's page: dir + "ID/PORT.html", both made safe for a
 * file name as the files are. */
static void
port_href(struct buf *b, const char *dir, const char *id, const char *port)
{
	char safe[256];

	safe_filename(id, safe, sizeof(safe));
	buf_add(b, dir);
	buf_url(b, safe);
	buf_add(b, "/");
	safe_filename(port, safe, sizeof(safe));
	buf_url(b, safe);
	buf_add(b, ".html");
}

static const char *
group_of(const struct web_target *t, int lang)
{
	return (t->group && *t->group) ? t->group : i18n(lang, M_GROUP_OTHER);
}

static int
is_problem(enum tstate s)
{
	return s == TS_DOWN || s == TS_UNREACHABLE || s == TS_DEGRADED;
}

/* --- a probe's values, a switch's ports */

/* Index of the probe's value `name` in `defs`, or -1. */
static long
value_index(const struct tm_value_def *defs, size_t n, const char *name)
{
	for (size_t k = 0; defs && k < n; k++)
		if (strcmp(defs[k].name, name) == 0)
			return (long)k;
	return -1;
}

/* The target's value `name` ("uptime"), NAN if unknown or none. */
static double
tvalue(const struct web_target *t, const char *name)
{
	long k = value_index(t->vdefs, t->nvalues, name);

	return k >= 0 && t->values ? t->values[k] : NAN;
}

/* An instance's value `name` ("in_octets": bytes/s), NAN if none. */
static double
ivalue(const struct web_target *t, const struct web_instance *in,
    const char *name)
{
	long k = value_index(t->idefs, t->nidefs, name);

	return k >= 0 && in->values ? in->values[k] : NAN;
}

/* A target with ports (a switch): its probe reports instances. */
static int
has_ports(const struct web_target *t)
{
	return t->idefs != NULL && t->nidefs > 0;
}

/* The switch's uptime now, in seconds: the agent's figure of the last
 * round plus the time since; NAN if unknown. */
static double
device_uptime(const struct web_snapshot *s, const struct web_target *t)
{
	double up = tvalue(t, "uptime");

	if (!isfinite(up) || up < 0)
		return NAN;
	if (t->last_round > 0 && s->generated > t->last_round)
		up += (double)(s->generated - t->last_round);
	return up;
}

/* A port's state: its word, colour and symbol beside a target's. */
enum pstate { PS_UNKNOWN, PS_UP, PS_DOWN, PS_OFF, PS_COUNT };

static const struct {
	const char *cls;	/* st-... in tramon.css */
	const char *sym;
	int msg;
} pstates[PS_COUNT] = {
	[PS_UNKNOWN] = { "unknown", "?", M_STATE_UNKNOWN },
	[PS_UP] = { "up", "✓", M_STATE_UP },
	[PS_DOWN] = { "down", "✕", M_STATE_DOWN },
	[PS_OFF] = { "off", "○", M_PORT_ADMIN_DOWN },
};

/* Switched off by its administrator is not a fault: shown as such. */
static enum pstate
port_state(const struct web_target *t, const struct web_instance *in)
{
	double admin = ivalue(t, in, "admin_up");
	double oper = ivalue(t, in, "oper_up");

	if (isfinite(admin) && admin < 0.5)
		return PS_OFF;
	if (!isfinite(oper))
		return PS_UNKNOWN;
	return oper >= 0.5 ? PS_UP : PS_DOWN;
}

static void
port_badge(struct buf *b, int lang, enum pstate ps)
{
	buf_printf(b, "<span class=\"badge st-%s\"><span class=\"sym\" "
	    "aria-hidden=\"true\">%s</span>" NBSP "%s</span>",
	    pstates[ps].cls, pstates[ps].sym, i18n(lang, pstates[ps].msg));
}

/* "24/26 cổng hoạt động" */
static void
ports_up(struct buf *b, int lang, const struct web_target *t)
{
	size_t up = 0;

	for (size_t k = 0; k < t->ninst; k++)
		up += port_state(t, &t->inst[k]) == PS_UP;
	buf_printf(b, "%zu/%zu %s", up, t->ninst, i18n(lang, M_PORTS_UP));
}

/* The instance of `t` called `name`, or NULL. */
static const struct web_instance *
find_instance(const struct web_target *t, const char *name)
{
	for (size_t k = 0; t && name && k < t->ninst; k++)
		if (strcmp(t->inst[k].name, name) == 0)
			return &t->inst[k];
	return NULL;
}

/* --- frame */

/*
 * The page shown may be older than it looks: tramond stopped, or the
 * renderer is stuck, while nginx (or the browser's meta refresh) keeps
 * serving the last file.  Only the viewer's clock can tell, so a tiny
 * script shows the warning once the page is older than three refreshes,
 * checking again every 10 s; without JavaScript the "updated at" time
 * in the header still tells.  The script is constant text (the times
 * are attributes), so a Content-Security-Policy could allow it by hash.
 */
#define STALE_REFRESHES	3
#define STALE_SCRIPT \
	"(function(){var e=document.getElementById(\"stale\");" \
	"function c(){if(Date.now()/1e3-e.getAttribute(\"data-generated\")>" \
	"+e.getAttribute(\"data-after\"))e.hidden=false}" \
	"c();setInterval(c,1e4)})();"

static void time_tag(struct buf *, int, time_t);

static void
stale_warning(struct buf *b, const struct web_snapshot *s)
{
	int lang = s->language;

	/* no refresh: the page is not meant to be kept up to date */
	if (s->refresh <= 0)
		return;
	buf_printf(b, "<p class=\"stale\" id=\"stale\" role=\"alert\" hidden "
	    "data-generated=\"%lld\" data-after=\"%d\"><span class=\"sym\" "
	    "aria-hidden=\"true\">⚠</span> %s ", (long long)s->generated,
	    STALE_REFRESHES * s->refresh, i18n(lang, M_STALE));
	time_tag(b, lang, s->generated);
	buf_printf(b, ". %s</p>\n<script>" STALE_SCRIPT "</script>\n",
	    i18n(lang, M_STALE_WHY));
}

/* `title` is HTML already (escaped by the caller). */
static void
page_head(struct buf *b, const struct web_snapshot *s, const char *title,
    const char *root, int current)
{
	int lang = s->language;
	const char *district = (s->district && *s->district) ? s->district :
	    i18n(lang, M_APP_TITLE);

	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n", i18n_code(lang));
	if (s->refresh > 0)
		buf_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		    s->refresh);
	buf_add(b, "<title>");
	buf_add(b, title);
	buf_add(b, " — ");
	buf_html(b, district);
	/* the empty icon spares the server a /favicon.ico request a minute */
	buf_printf(b, "</title>\n<link rel=\"icon\" href=\"data:,\">\n"
	    "<link rel=\"stylesheet\" href=\"%stramon.css\">"
	    "\n</head>\n<body>\n<header class=\"top\"><div class=\"wrap\">\n"
	    "<p class=\"brand\"><a href=\"%sindex.html\">", root, root);
	buf_html(b, district);
	buf_printf(b, "</a> <span class=\"app\">%s</span></p>\n",
	    i18n(lang, M_APP_TITLE));
	buf_printf(b, "<nav class=\"nav\"><a href=\"%sindex.html\"%s>%s</a>"
	    "<a href=\"%sevents.html\"%s>%s</a>"
	    "<a href=\"%smeetings.html\"%s>%s</a>"
	    "<a href=\"%sreports/index.html\"%s>%s</a></nav>\n", root,
	    current == 0 ? " aria-current=\"page\"" : "",
	    i18n(lang, M_OVERVIEW), root,
	    current == 1 ? " aria-current=\"page\"" : "",
	    i18n(lang, M_EVENTS), root,
	    current == 2 ? " aria-current=\"page\"" : "",
	    i18n(lang, M_MEETINGS), root,
	    current == 3 ? " aria-current=\"page\"" : "",
	    i18n(lang, M_REPORTS));
	buf_printf(b, "<p class=\"updated\">%s ", i18n(lang, M_UPDATED_AT));
	time_tag(b, lang, s->generated);
	buf_add(b, "</p>\n</div></header>\n<main class=\"wrap\">\n");
	stale_warning(b, s);
}

static void
page_foot(struct buf *b, const struct web_snapshot *s, const char *root)
{
	int lang = s->language;

	buf_add(b, "</main>\n<footer class=\"foot\"><div class=\"wrap\"><p>");
	buf_printf(b, "%s ", i18n(lang, M_UPDATED_AT));
	time_tag(b, lang, s->generated);
	if (s->refresh > 0) {
		char d[64];

		i18n_duration(lang, s->refresh, d, sizeof(d));
		buf_printf(b, " · %s %s", i18n(lang, M_RELOADS_EVERY), d);
	}
	buf_printf(b, " · <a href=\"%sstatus.json\">%s</a> · tramon</p>"
	    "</div></footer>\n</body>\n</html>\n", root,
	    i18n(lang, M_JSON_DATA));
}

/* --- index.html */

static void
summary(struct buf *b, const struct web_snapshot *s)
{
	int lang = s->language;
	size_t count[TS_COUNT] = { 0 };

	for (size_t i = 0; i < s->ntargets; i++)
		count[valid_state(s->targets[i].state)]++;

	buf_printf(b, "<section class=\"summary\" aria-label=\"%s\">\n"
	    "<ul class=\"tiles\">\n", i18n(lang, M_SUMMARY));
	for (size_t i = 0; i < nitems(tile_order); i++) {
		enum tstate st = tile_order[i];

		buf_printf(b, "<li class=\"tile st-%s%s\"><span class=\"n\">"
		    "%zu</span><span class=\"lbl\"><span class=\"sym\" "
		    "aria-hidden=\"true\">%s</span>" NBSP "%s</span></li>\n",
		    state_class(st), count[st] ? "" : " zero", count[st],
		    state_sym[st], i18n_state(lang, st));
	}
	buf_printf(b, "<li class=\"tile total\"><span class=\"n\">%zu</span>"
	    "<span class=\"lbl\">%s</span></li>\n</ul>\n", s->ntargets,
	    i18n(lang, M_TOTAL));
	if (s->ntargets == 0)
		buf_printf(b, "<p class=\"headline\">%s</p>\n",
		    i18n(lang, M_NO_TARGETS));
	else if (count[TS_UP] + count[TS_MAINTENANCE] == s->ntargets)
		buf_printf(b, "<p class=\"headline good\"><span class=\"sym\" "
		    "aria-hidden=\"true\">✓</span> %s</p>\n",
		    i18n(lang, M_ALL_UP));
	buf_add(b, "</section>\n");
}

struct order {
	size_t idx;
	const struct web_target *t;
};

static int
by_severity(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	int sx = severity[valid_state(x->t->state)];
	int sy = severity[valid_state(y->t->state)];

	if (sx != sy)
		return sx - sy;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* "Từ lúc 26/11/2026 21:36 (đã 2 giờ 5 phút)" */
static void
since_phrase(struct buf *b, int lang, const struct web_target *t,
    time_t now)
{
	if (t->since == 0)
		return;
	buf_printf(b, "%s ", i18n(lang, M_SINCE));
	time_tag(b, lang, t->since);
	buf_add(b, " (");
	for_duration(b, lang, t->since, now);
	buf_add(b, ")");
}

/* The problems first, worst first, each with where and since when. */
static void
problems(struct buf *b, const struct web_snapshot *s)
{
	int lang = s->language;
	struct order *o = xcalloc(s->ntargets, sizeof(*o));
	size_t n = 0;

	for (size_t i = 0; i < s->ntargets; i++)
		if (is_problem(s->targets[i].state)) {
			o[n].idx = i;
			o[n++].t = &s->targets[i];
		}
	if (n == 0) {
		free(o);
		return;
	}
	qsort(o, n, sizeof(*o), by_severity);
	buf_printf(b, "<section class=\"problems\">\n<h2><span class=\"sym\" "
	    "aria-hidden=\"true\">✕</span> %s: %zu / %zu</h2>\n<ul>\n",
	    i18n(lang, M_ATTENTION), n, s->ntargets);
	for (size_t k = 0; k < n; k++) {
		const struct web_target *t = o[k].t;

		buf_printf(b, "<li class=\"st-%s\">", state_class(t->state));
		badge(b, lang, t->state);
		buf_add(b, " <a class=\"name\" href=\"");
		target_href(b, "t/", t->id);
		buf_add(b, "\">");
		buf_html(b, t->name);
		buf_add(b, "</a> <span class=\"meta\">");
		buf_html(b, group_of(t, lang));
		if (t->host && *t->host) {
			buf_add(b, " · ");
			host_port(b, t);
		}
		buf_add(b, "</span><br><span class=\"when\">");
		since_phrase(b, lang, t, s->generated);
		buf_add(b, "</span>");
		if (t->why && *t->why) {
			buf_add(b, " <span class=\"why\">");
			buf_reason(b, lang, t->why);
			buf_add(b, "</span>");
		}
		buf_add(b, "</li>\n");
	}
	buf_add(b, "</ul>\n</section>\n");
	free(o);
}

static void
cell_open(struct buf *b, const char *cls, int lang, int label)
{
	buf_printf(b, "<td class=\"%s\" data-label=\"%s\">", cls,
	    i18n(lang, label));
}

/* A probe that reports a status code or certificate days (http, sip). */
static int
is_service(const struct web_target *t)
{
	return isfinite(tvalue(t, "status")) || isfinite(tvalue(t,
	    "cert_days"));
}

/* A service's answer ("HTTP 200", "SIP 503"), its certificate ("chứng
 * chỉ còn 45 ngày"): what the http and sip probes report as the values
 * status and cert_days. */
static void
service_answer(struct buf *b, int lang, const struct web_target *t,
    int with_label)
{
	double st = tvalue(t, "status"), days = tvalue(t, "cert_days");
	int n = 0;

	if (isfinite(st) && st > 0) {
		buf_add(b, "<span class=\"nw\">");
		buf_html(b, strcmp(t->type, "sip") == 0 ? "SIP" : "HTTP");
		buf_printf(b, " %.0f</span>", st);
		n++;
	}
	if (isfinite(days)) {
		if (n++)
			buf_add(b, " · ");
		buf_add(b, "<span class=\"nw\">");
		if (with_label)
			buf_printf(b, "%s ", i18n(lang, M_CERT));
		if (days < 0)
			buf_add(b, i18n(lang, M_CERT_EXPIRED));
		else
			buf_printf(b, i18n(lang, M_CERT_DAYS), (int)floor(days));
		buf_add(b, "</span>");
	}
}

/* A switch in the overview: "chạy liên tục 12 ngày 3 giờ · 24/26 cổng
 * hoạt động"; a service: its answer and certificate; nothing for other
 * targets. */
static void
device_line(struct buf *b, const struct web_snapshot *s,
    const struct web_target *t)
{
	int lang = s->language;
	double up = device_uptime(s, t);
	int ports = has_ports(t) && t->ninst > 0;
	char d[64];

	if (!isfinite(up) && !ports) {
		if (is_service(t)) {
			buf_add(b, "<span class=\"dev\">");
			service_answer(b, lang, t, 1);
			buf_add(b, "</span>");
		}
		return;
	}
	/* each part kept on one line */
	buf_add(b, "<span class=\"dev\">");
	if (isfinite(up)) {
		i18n_duration(lang, (long)up, d, sizeof(d));
		buf_printf(b, "<span class=\"nw\">%s %s</span>",
		    i18n(lang, M_UPTIME_SHORT), d);
		if (ports)
			buf_add(b, " · ");
	}
	if (ports) {
		buf_add(b, "<span class=\"nw\">");
		ports_up(b, lang, t);
		buf_add(b, "</span>");
	}
	buf_add(b, "</span>");
}

static void
target_row(struct buf *b, const struct web_snapshot *s, size_t i,
    const struct web_info *info)
{
	const struct web_target *t = &s->targets[i];
	const struct round_stats *r = &t->last;
	int lang = s->language, have = t->last_round != 0;
	char v[64];

	buf_printf(b, "<tr class=\"st-%s\">", state_class(t->state));
	cell_open(b, "state", lang, M_STATE);
	badge(b, lang, t->state);
	buf_add(b, "</td>");

	cell_open(b, "name", lang, M_TARGET);
	buf_add(b, "<a href=\"");
	target_href(b, "t/", t->id);
	buf_add(b, "\">");
	buf_html(b, t->name);
	buf_add(b, "</a><span class=\"host\">");
	host_port(b, t);
	if (t->host && *t->host)
		buf_add(b, " · ");
	buf_html(b, t->type);
	buf_add(b, "</span>");
	device_line(b, s, t);
	if (t->state != TS_UP && t->why && *t->why) {
		buf_add(b, "<span class=\"why\">");
		buf_reason(b, lang, t->why);
		buf_add(b, "</span>");
	}
	buf_add(b, "</td>");

	cell_open(b, "num", lang, M_LATENCY);
	fmt_ms(lang, have ? r->median : NAN, v, sizeof(v));
	buf_printf(b, "%s</td>", v);
	cell_open(b, "num", lang, M_LOSS);
	fmt_loss(lang, have ? r->loss_pct : NAN, v, sizeof(v));
	buf_printf(b, "%s</td>", v);
	cell_open(b, "num", lang, M_JITTER);
	fmt_ms(lang, have ? r->jitter : NAN, v, sizeof(v));
	buf_printf(b, "%s</td>", v);

	cell_open(b, "since", lang, M_SINCE);
	time_tag(b, lang, t->since);
	if (t->since) {
		buf_add(b, "<span class=\"dur\">");
		for_duration(b, lang, t->since, s->generated);
		buf_add(b, "</span>");
	}
	buf_add(b, "</td>");

	cell_open(b, "num", lang, M_UPTIME_24H);
	fmt_uptime(lang, info[i].uptime_24h, v, sizeof(v));
	buf_printf(b, "%s</td>", v);
	cell_open(b, "num", lang, M_UPTIME_7D);
	fmt_uptime(lang, info[i].uptime_7d, v, sizeof(v));
	buf_printf(b, "%s</td>", v);
	cell_open(b, "num", lang, M_UPTIME_30D);
	fmt_uptime(lang, info[i].uptime_30d, v, sizeof(v));
	buf_printf(b, "%s</td>", v);

	cell_open(b, "spark", lang, M_RANGE_3H);
	if (info[i].spark) {
		char file[160];

		graph_spark_file(t->id, file, sizeof(file));
		buf_add(b, "<a href=\"");
		target_href(b, "t/", t->id);
		buf_add(b, "\"><img src=\"g/");
		buf_url(b, file);
		buf_printf(b, "?v=%lld\" width=\"120\" height=\"28\" alt=\"%s\">"
		    "</a>", (long long)info[i].spark, i18n(lang, M_RANGE_3H));
	}
	buf_add(b, "</td></tr>\n");
}

static void
group_table(struct buf *b, const struct web_snapshot *s, const char *group,
    const struct web_info *info)
{
	int lang = s->language;
	struct order *o = xcalloc(s->ntargets, sizeof(*o));
	size_t n = 0, count[TS_COUNT] = { 0 };

	for (size_t i = 0; i < s->ntargets; i++)
		if (strcmp(group_of(&s->targets[i], lang), group) == 0) {
			o[n].idx = i;
			o[n++].t = &s->targets[i];
			count[valid_state(s->targets[i].state)]++;
		}
	qsort(o, n, sizeof(*o), by_severity);

	buf_add(b, "<section class=\"group\">\n<h2>");
	buf_html(b, group);
	buf_add(b, " <span class=\"counts\">");
	for (size_t k = 0; k < nitems(tile_order); k++) {
		enum tstate st = tile_order[k];

		if (count[st])
			buf_printf(b, "<span class=\"c st-%s\" title=\"%s\">"
			    "%s" NBSP "%zu</span>", state_class(st),
			    i18n_state(lang, st), state_sym[st], count[st]);
	}
	buf_add(b, "</span></h2>\n<table class=\"targets\">\n<thead><tr>");
	buf_printf(b, "<th class=\"c-state\">%s</th><th class=\"c-name\">%s"
	    "</th><th class=\"num c-rtt\">%s</th><th class=\"num c-loss\">%s"
	    "</th><th class=\"num c-jitter\">%s</th><th class=\"c-since\">%s"
	    "</th><th class=\"num c-up\">%s</th><th class=\"num c-up\">%s"
	    "</th><th class=\"num c-up\">%s</th><th class=\"c-spark\">%s"
	    "</th>",
	    i18n(lang, M_STATE), i18n(lang, M_TARGET), i18n(lang, M_LATENCY),
	    i18n(lang, M_LOSS), i18n(lang, M_JITTER), i18n(lang, M_SINCE),
	    i18n(lang, M_UPTIME_24H), i18n(lang, M_UPTIME_7D),
	    i18n(lang, M_UPTIME_30D), i18n(lang, M_RANGE_3H));
	buf_add(b, "</tr></thead>\n<tbody>\n");
	for (size_t k = 0; k < n; k++)
		target_row(b, s, o[k].idx, info);
	buf_add(b, "</tbody>\n</table>\n</section>\n");
	free(o);
}

void
webpage_index(struct buf *b, const struct web_snapshot *s,
    const struct web_info *info)
{
	int lang = s->language;
	size_t nbad = 0;
	char title[128];

	for (size_t i = 0; i < s->ntargets; i++)
		nbad += s->targets[i].state == TS_DOWN ||
		    s->targets[i].state == TS_UNREACHABLE;
	/* the tab title tells of an outage even in a background tab */
	if (nbad)
		snprintf(title, sizeof(title), "✕ %zu · %s", nbad,
		    i18n(lang, M_OVERVIEW));
	else
		snprintf(title, sizeof(title), "%s", i18n(lang, M_OVERVIEW));
	page_head(b, s, title, "", 0);
	summary(b, s);
	problems(b, s);

	/* groups in the order they first appear in the configuration */
	for (size_t i = 0; i < s->ntargets; i++) {
		const char *g = group_of(&s->targets[i], lang);
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(group_of(&s->targets[j], lang), g) == 0)
				break;
		if (j == i)
			group_table(b, s, g, info);
	}
	page_foot(b, s, "");
}

/* --- events */

static int
newest_first(const void *a, const void *b)
{
	const struct web_event *x = *(const struct web_event *const *)a;
	const struct web_event *y = *(const struct web_event *const *)b;

	if (x->at != y->at)
		return x->at < y->at ? 1 : -1;
	return (x > y) - (x < y);	/* stable: input order */
}

/* Events sorted newest first (the snapshot should be, but a page that
 * shows an old change on top would mislead). Caller frees. */
static const struct web_event **
sorted_events(const struct web_snapshot *s)
{
	const struct web_event **ev = xcalloc(s->nevents, sizeof(*ev));

	for (size_t i = 0; i < s->nevents; i++)
		ev[i] = &s->events[i];
	qsort(ev, s->nevents, sizeof(*ev), newest_first);
	return ev;
}

static const struct web_target *
find_target(const struct web_snapshot *s, const char *id)
{
	if (id == NULL)
		return NULL;
	for (size_t i = 0; i < s->ntargets; i++)
		if (strcmp(s->targets[i].id, id) == 0)
			return &s->targets[i];
	return NULL;
}

/* What probes report ("reboot", "port_down"): word, look, symbol. */
static const struct {
	const char *kind;
	int msg;
	const char *cls;	/* st-... in tramon.css */
	const char *sym;
} probe_events[] = {
	{ "reboot", M_EV_REBOOT, "degraded", "↻" },
	{ "port_down", M_EV_PORT_DOWN, "down", "✕" },
	{ "port_up", M_EV_PORT_UP, "up", "✓" },
};

/* A probe's event: its word, then the port it concerns, linked to the
 * port's page while the switch still reports that port.  A kind this
 * version does not know is shown by its word. */
static void
probe_event(struct buf *b, const struct web_snapshot *s,
    const struct web_event *e, const char *dir, int with_instance)
{
	int lang = s->language;
	const struct web_target *t;
	size_t k;

	for (k = 0; k < nitems(probe_events); k++)
		if (strcmp(e->event, probe_events[k].kind) == 0)
			break;
	if (k < nitems(probe_events))
		buf_printf(b, "<span class=\"badge st-%s\"><span class=\"sym\" "
		    "aria-hidden=\"true\">%s</span>" NBSP "%s</span>",
		    probe_events[k].cls, probe_events[k].sym,
		    i18n(lang, probe_events[k].msg));
	else {
		buf_add(b, "<span class=\"kind\">");
		buf_html(b, e->event);
		buf_add(b, "</span>");
	}
	if (e->instance == NULL || *e->instance == '\0' || !with_instance)
		return;
	buf_add(b, " <span class=\"inst\">");
	t = find_target(s, e->target_id);
	if (find_instance(t, e->instance) != NULL) {
		buf_add(b, "<a href=\"");
		port_href(b, dir, t->id, e->instance);
		buf_add(b, "\">");
		buf_html(b, e->instance);
		buf_add(b, "</a>");
	} else
		buf_html(b, e->instance);
	buf_add(b, "</span>");
}

/* `dir` leads from the page to t/ ("t/", "", "../"). */
static void
event_row(struct buf *b, const struct web_snapshot *s,
    const struct web_event *e, const char *dir, int with_target,
    int with_instance)
{
	int lang = s->language;
	const char *ev = e->event ? e->event : "?";
	int daemon = strcmp(ev, "start") == 0 || strcmp(ev, "stop") == 0 ||
	    strcmp(ev, "cut") == 0 || strcmp(ev, "reconnected") == 0;

	buf_printf(b, "<tr class=\"ev-%s\">", strcmp(ev, "state") == 0 ?
	    state_class(valid_state(e->to)) : daemon || !e->target_id ?
	    "daemon" : "probe");
	cell_open(b, "when", lang, M_TIME);
	time_tag(b, lang, e->at);
	buf_add(b, "</td>");
	if (with_target) {
		cell_open(b, "name", lang, M_TARGET);
		if (e->target_id) {
			buf_add(b, "<a href=\"");
			target_href(b, dir, e->target_id);
			buf_add(b, "\">");
			buf_html(b, e->target_name ? e->target_name :
			    e->target_id);
			buf_add(b, "</a>");
		} else
			buf_add(b, i18n(lang, M_DAEMON));
		buf_add(b, "</td>");
	}
	cell_open(b, "change", lang, M_CHANGE);
	if (strcmp(ev, "state") == 0) {
		badge(b, lang, e->from);
		buf_add(b, " <span class=\"arrow\" aria-hidden=\"true\">→</span> ");
		badge(b, lang, e->to);
	} else if (strcmp(ev, "start") == 0)
		buf_add(b, i18n(lang, M_EV_START));
	else if (strcmp(ev, "stop") == 0)
		buf_add(b, i18n(lang, M_EV_STOP));
	else if (strcmp(ev, "cut") == 0)
		buf_add(b, i18n(lang, M_EV_CUT));
	else if (strcmp(ev, "reconnected") == 0)
		buf_add(b, i18n(lang, M_EV_RECONNECTED));
	else
		probe_event(b, s, e, dir, with_instance);
	buf_add(b, "</td>");
	cell_open(b, "why", lang, M_REASON);
	if (e->why)
		buf_reason(b, lang, e->why);
	buf_add(b, "</td></tr>\n");
}

static void
month_text(struct buf *b, int lang, int year, int month)
{
	if (lang == LANG_EN)
		buf_printf(b, "%04d-%02d", year, month);
	else
		buf_printf(b, "%02d/%04d", month, year);
}

/* A row naming the month when the (newest first) list enters a new one. */
static void
month_heading(struct buf *b, int lang, time_t at, int *prev)
{
	struct tm tm;
	int key;

	if (localtime_r(&at, &tm) == NULL)
		return;
	key = (tm.tm_year + 1900) * 12 + tm.tm_mon;
	if (key == *prev)
		return;
	*prev = key;
	buf_add(b, "<tr class=\"month\"><th colspan=\"4\" scope=\"rowgroup\">");
	month_text(b, lang, tm.tm_year + 1900, tm.tm_mon + 1);
	buf_add(b, "</th></tr>\n");
}

/* The newest `max` events, of target `only_id` (NULL: all) and of its
 * instance `only_inst` (NULL: all); links lead through `dir` to t/. */
static void
events_table(struct buf *b, const struct web_snapshot *s, const char *dir,
    const char *only_id, const char *only_inst, size_t max)
{
	int lang = s->language;
	const struct web_event **ev = sorted_events(s);
	size_t shown = 0;
	int month = -1;

	for (size_t i = 0; i < s->nevents && shown < max; i++) {
		if (only_id && (ev[i]->target_id == NULL ||
		    strcmp(ev[i]->target_id, only_id) != 0))
			continue;
		if (only_inst && (ev[i]->instance == NULL ||
		    strcmp(ev[i]->instance, only_inst) != 0))
			continue;
		if (shown++ == 0) {
			buf_add(b, "<table class=\"events\">\n<thead><tr>");
			buf_printf(b, "<th>%s</th>", i18n(lang, M_TIME));
			if (only_id == NULL)
				buf_printf(b, "<th>%s</th>",
				    i18n(lang, M_TARGET));
			buf_printf(b, "<th>%s</th><th>%s</th></tr></thead>\n"
			    "<tbody>\n", i18n(lang, M_CHANGE),
			    i18n(lang, M_REASON));
		}
		if (only_id == NULL)
			month_heading(b, lang, ev[i]->at, &month);
		event_row(b, s, ev[i], dir, only_id == NULL,
		    only_inst == NULL);
	}
	if (shown)
		buf_add(b, "</tbody>\n</table>\n");
	else
		buf_printf(b, "<p class=\"none\">%s</p>\n",
		    i18n(lang, M_NO_EVENTS));
	free(ev);
}

/* Links to the months' pages; `cur` (or NULL) is shown, not linked. */
static void
month_links(struct buf *b, int lang, const struct web_month *cur,
    const struct web_month *v, size_t n)
{
	if (n == 0)
		return;
	buf_printf(b, "<nav class=\"months\"><h2>%s</h2>\n<p>",
	    i18n(lang, M_EVENTS_BY_MONTH));
	for (size_t i = 0; i < n; i++) {
		int here = cur && cur->year == v[i].year &&
		    cur->month == v[i].month;

		if (i > 0)
			buf_add(b, " · ");
		if (here)
			buf_add(b, "<strong aria-current=\"page\">");
		else
			buf_printf(b, "<a href=\"events-%04d-%02d.html\">",
			    v[i].year, v[i].month);
		month_text(b, lang, v[i].year, v[i].month);
		buf_add(b, here ? "</strong>" : "</a>");
	}
	buf_add(b, "</p></nav>\n");
}

void
webpage_events(struct buf *b, const struct web_snapshot *s,
    const struct web_month *months, size_t nmonths)
{
	int lang = s->language;

	page_head(b, s, i18n(lang, M_EVENTS), "", 1);
	buf_printf(b, "<h1>%s</h1>\n", i18n(lang, M_RECENT_EVENTS));
	events_table(b, s, "t/", NULL, NULL, (size_t)-1);
	month_links(b, lang, NULL, months, nmonths);
	page_foot(b, s, "");
}

void
webpage_events_month(struct buf *b, const struct web_snapshot *s,
    const struct web_month *month, const struct web_month *months,
    size_t nmonths)
{
	int lang = s->language;
	struct buf t;

	buf_init(&t);
	month_text(&t, lang, month->year, month->month);
	page_head(b, s, i18n(lang, M_EVENTS), "", 1);
	buf_add(b, "<h1>");
	buf_printf(b, i18n(lang, M_EVENTS_OF_MONTH), t.p);
	buf_add(b, "</h1>\n");
	events_table(b, s, "t/", NULL, NULL, (size_t)-1);
	month_links(b, lang, month, months, nmonths);
	page_foot(b, s, "");
	buf_free(&t);
}

/* --- meetings.html */

static void fact(struct buf *, int, int);

/* A verdict as a badge in its state's colours. */
static void
verdict_badge(struct buf *b, int lang, int v)
{
	static const enum tstate as[MV_COUNT] = {
		[MV_READY] = TS_UP,
		[MV_AT_RISK] = TS_DEGRADED,
		[MV_NOT_REACHABLE] = TS_DOWN,
	};
	enum tstate st = v >= 0 && v < MV_COUNT ? as[v] : TS_UNKNOWN;

	buf_printf(b, "<span class=\"badge st-%s\"><span class=\"sym\" "
	    "aria-hidden=\"true\">%s</span>" NBSP "%s</span>",
	    state_class(st), state_sym[st], v >= 0 && v < MV_COUNT ?
	    i18n(lang, M_MT_READY + v) : "?");
}

static double
jnum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
meeting_row(struct buf *b, const struct web_snapshot *s, json_t *site)
{
	int lang = s->language;
	const char *id = json_string_value(json_object_get(site, "target"));
	const char *name = json_string_value(json_object_get(site, "name"));
	const char *why = json_string_value(json_object_get(site, "reason"));
	json_t *st = json_object_get(site, "status");
	int v = meeting_verdict_parse(json_string_value(json_object_get(site,
	    "verdict")));
	static const char *const cls[MV_COUNT] = { "up", "degraded", "down" };
	char num[64];

	buf_printf(b, "<tr class=\"st-%s\">", v >= 0 ? cls[v] : "unknown");
	cell_open(b, "state", lang, M_MT_VERDICT);
	verdict_badge(b, lang, v);
	buf_add(b, "</td>");
	cell_open(b, "name", lang, M_MT_SITE);
	if (id && find_target(s, id)) {
		buf_add(b, "<a href=\"");
		target_href(b, "t/", id);
		buf_add(b, "\">");
		buf_html(b, name ? name : id);
		buf_add(b, "</a>");
	} else
		buf_html(b, name ? name : id ? id : "?");
	buf_add(b, "</td>");
	cell_open(b, "num", lang, M_LATENCY_MEDIAN);
	fmt_ms(lang, jnum(site, "rtt") / 1e3, num, sizeof(num));
	buf_printf(b, "%s</td>", num);
	cell_open(b, "num", lang, M_LOSS);
	fmt_loss(lang, jnum(site, "loss"), num, sizeof(num));
	buf_printf(b, "%s</td>", num);
	cell_open(b, "num", lang, M_JITTER);
	fmt_ms(lang, jnum(site, "jitter") / 1e3, num, sizeof(num));
	buf_printf(b, "%s</td>", num);
	cell_open(b, "answer", lang, M_MT_ANSWER);
	if (json_is_integer(st))
		buf_printf(b, "%lld", (long long)json_integer_value(st));
	else if (why)
		buf_reason(b, lang, why);
	else
		buf_add(b, "–");
	buf_add(b, "</td></tr>\n");
}

static void
meeting_last(struct buf *b, const struct web_snapshot *s, json_t *ev)
{
	int lang = s->language;
	time_t from = iso8601_parse(json_string_value(json_object_get(ev,
	    "checked")));
	time_t to = iso8601_parse(json_string_value(json_object_get(ev,
	    "until")));
	json_t *site;
	size_t k;
	char d[64];

	buf_printf(b, "<h3>%s</h3>\n<p class=\"headline\">", i18n(lang,
	    M_MT_LAST));
	buf_printf(b, i18n(lang, M_MT_READY_N), (int)json_integer_value(
	    json_object_get(ev, "ready")), (int)json_integer_value(
	    json_object_get(ev, "total")));
	i18n_duration(lang, (long)(to - from), d, sizeof(d));
	buf_add(b, " · ");
	/* "Đo trong %s, từ %s đến %s": the times as <time> tags */
	{
		const char *fmt = i18n(lang, M_MT_MEASURED);
		int arg = 0;

		for (const char *p = fmt; *p; p++) {
			if (p[0] == '%' && p[1] == 's') {
				if (arg == 0)
					buf_html(b, d);
				else
					time_tag(b, lang, arg == 1 ? from : to);
				arg++;
				p++;
			} else
				buf_addn(b, p, 1);
		}
	}
	if (json_is_true(json_object_get(ev, "manual")))
		buf_printf(b, " (%s)", i18n(lang, M_MT_ASKED));
	buf_add(b, "</p>\n<table class=\"targets meeting\">\n<thead><tr>");
	buf_printf(b, "<th class=\"c-state\">%s</th><th>%s</th>"
	    "<th class=\"c-rtt num\">%s</th><th class=\"c-loss num\">%s</th>"
	    "<th class=\"c-jitter num\">%s</th><th class=\"c-since\">%s</th>"
	    "</tr></thead>\n<tbody>\n", i18n(lang, M_MT_VERDICT),
	    i18n(lang, M_MT_SITE), i18n(lang, M_LATENCY_MEDIAN),
	    i18n(lang, M_LOSS), i18n(lang, M_JITTER),
	    i18n(lang, M_MT_ANSWER));
	json_array_foreach(json_object_get(ev, "sites"), k, site)
		meeting_row(b, s, site);
	buf_add(b, "</tbody>\n</table>\n");
}

static void
meeting_section(struct buf *b, const struct web_snapshot *s,
    const struct web_meeting *m)
{
	int lang = s->language;
	char v[64], w[64], x[64];

	buf_add(b, "<section class=\"meeting\">\n<h2>");
	buf_html(b, m->name);
	buf_add(b, "</h2>\n<dl class=\"facts\">\n");
	fact(b, lang, M_MT_SCHEDULE);
	if (m->weekly) {
		snprintf(w, sizeof(w), "%02d:%02d", m->start_min / 60,
		    m->start_min % 60);
		buf_printf(b, i18n(lang, M_MT_WEEKLY), i18n(lang, M_WDAY_SUN +
		    (m->wday >= 0 && m->wday < 7 ? m->wday : 0)), w);
	} else
		time_tag(b, lang, m->from);
	buf_add(b, "</dd></div>\n");
	fact(b, lang, M_MT_NEXT);
	if (m->next_start)
		time_tag(b, lang, m->next_start);
	else
		buf_add(b, i18n(lang, M_MT_NO_MORE));
	buf_add(b, "</dd></div>\n");
	if (m->next_start) {
		fact(b, lang, M_MT_CHECK_AT);
		time_tag(b, lang, m->next_check);
		i18n_duration(lang, (long)m->duration * 60, v, sizeof(v));
		buf_printf(b, " (%s)</dd></div>\n", v);
	}
	fact(b, lang, M_MT_THRESHOLDS);
	i18n_number(lang, m->max_loss_pct, m->max_loss_pct ==
	    floor(m->max_loss_pct) ? 0 : 1, v, sizeof(v));
	i18n_number(lang, m->max_rtt_ms, 0, w, sizeof(w));
	i18n_number(lang, m->max_jitter_ms, 0, x, sizeof(x));
	buf_printf(b, "%s ≤ %s%%<br>%s ≤ %s" NBSP "ms<br>%s ≤ %s" NBSP "ms"
	    "</dd></div>\n</dl>\n", i18n(lang, M_LOSS), v,
	    i18n(lang, M_LATENCY), w, i18n(lang, M_JITTER), x);
	if (m->running)
		buf_printf(b, "<p class=\"headline\">%s</p>\n",
		    i18n(lang, M_MT_CHECKING));
	if (m->last)
		meeting_last(b, s, m->last);
	else
		buf_printf(b, "<p class=\"none\">%s</p>\n",
		    i18n(lang, M_MT_NOT_CHECKED));
	buf_add(b, "</section>\n");
}

void
webpage_meetings(struct buf *b, const struct web_snapshot *s)
{
	int lang = s->language;

	page_head(b, s, i18n(lang, M_MEETINGS), "", 2);
	buf_printf(b, "<h1>%s</h1>\n", i18n(lang, M_MEETINGS));
	if (s->nmeetings == 0)
		buf_printf(b, "<p class=\"none\">%s</p>\n",
		    i18n(lang, M_MT_NONE));
	for (size_t i = 0; i < s->nmeetings; i++)
		meeting_section(b, s, &s->meetings[i]);
	page_foot(b, s, "");
}

/* --- t/ID.html */

static void
fact(struct buf *b, int lang, int label)
{
	buf_printf(b, "<div><dt>%s</dt><dd>", i18n(lang, label));
}

/* Latency, spread and jitter of a target that measures them. */
static void
latency_facts(struct buf *b, int lang, const struct web_target *t)
{
	const struct round_stats *r = &t->last;
	int have = t->last_round != 0;
	char v[64], w[64], x[64];

	fact(b, lang, M_LATENCY_MEDIAN);
	fmt_ms(lang, have ? r->median : NAN, v, sizeof(v));
	buf_printf(b, "<strong>%s</strong></dd></div>\n", v);
	fact(b, lang, M_LATENCY);
	fmt_ms(lang, have ? r->min : NAN, v, sizeof(v));
	fmt_ms(lang, have ? r->avg : NAN, w, sizeof(w));
	fmt_ms(lang, have ? r->max : NAN, x, sizeof(x));
	buf_printf(b, "<span class=\"mmm\"><span>%s</span> %s</span>"
	    "<span class=\"mmm\"><span>%s</span> %s</span>"
	    "<span class=\"mmm\"><span>%s</span> %s</span></dd></div>\n",
	    i18n(lang, M_MIN), v, i18n(lang, M_AVG), w, i18n(lang, M_MAX), x);
}

/* A service: its answer, certificate, and where an http request's time
 * goes (the values dns, connect, tls, ttfb). */
static void
service_facts(struct buf *b, int lang, const struct web_target *t)
{
	static const char *const phase[] = { "dns", "connect", "tls", "ttfb" };
	static const char *const label[] = { "DNS", "TCP", "TLS", "TTFB" };
	double st = tvalue(t, "status"), days = tvalue(t, "cert_days");
	char v[64];
	int any = 0;

	if (isfinite(st) && st > 0) {
		fact(b, lang, M_ANSWER);
		buf_html(b, strcmp(t->type, "sip") == 0 ? "SIP" : "HTTP");
		buf_printf(b, " %.0f</dd></div>\n", st);
	}
	if (isfinite(days)) {
		fact(b, lang, M_CERT);
		if (days < 0)
			buf_add(b, i18n(lang, M_CERT_EXPIRED));
		else
			buf_printf(b, i18n(lang, M_CERT_DAYS), (int)floor(days));
		buf_add(b, "</dd></div>\n");
	}
	for (size_t k = 0; k < nitems(phase); k++) {
		double x = tvalue(t, phase[k]);

		if (!isfinite(x))
			continue;
		if (!any++)
			fact(b, lang, M_PHASES);
		fmt_ms(lang, x, v, sizeof(v));
		buf_printf(b, "<span class=\"mmm\"><span>%s</span> %s</span>",
		    label[k], v);
	}
	if (any)
		buf_add(b, "</dd></div>\n");
}

/* A switch: one answer a round, so its response time, then how long
 * since it restarted and how many ports are up. */
static void
device_facts(struct buf *b, const struct web_snapshot *s,
    const struct web_target *t)
{
	int lang = s->language;
	double up = device_uptime(s, t);
	char v[64];

	fact(b, lang, M_RESPONSE_TIME);
	fmt_ms(lang, t->last_round ? t->last.median : NAN, v, sizeof(v));
	buf_printf(b, "<strong>%s</strong></dd></div>\n", v);
	if (value_index(t->vdefs, t->nvalues, "uptime") >= 0) {
		fact(b, lang, M_DEVICE_UPTIME);
		if (isfinite(up)) {
			i18n_duration(lang, (long)up, v, sizeof(v));
			buf_printf(b, "<strong>%s</strong><br><span class=\""
			    "meta\">%s ", v, i18n(lang, M_RESTARTED_AT));
			time_tag(b, lang, s->generated - (time_t)up);
			buf_add(b, "</span>");
		} else
			buf_add(b, "–");
		buf_add(b, "</dd></div>\n");
	}
	if (has_ports(t)) {
		fact(b, lang, M_PORTS);
		if (t->ninst > 0) {
			buf_add(b, "<strong>");
			ports_up(b, lang, t);
			buf_add(b, "</strong>");
		} else
			buf_add(b, "–");
		buf_add(b, "</dd></div>\n");
	}
}

static void
facts(struct buf *b, const struct web_snapshot *s, size_t i,
    const struct web_info *info)
{
	const struct web_target *t = &s->targets[i];
	const struct round_stats *r = &t->last;
	int lang = s->language, have = t->last_round != 0;
	int device = has_ports(t);
	char v[64];

	buf_add(b, "<dl class=\"facts\">\n");
	fact(b, lang, M_STATE);
	badge(b, lang, t->state);
	if (t->since) {
		buf_add(b, "<br>");
		since_phrase(b, lang, t, s->generated);
	}
	buf_add(b, "</dd></div>\n");
	if (t->why && *t->why && t->state != TS_UP) {
		fact(b, lang, M_REASON);
		buf_reason(b, lang, t->why);
		buf_add(b, "</dd></div>\n");
	}
	if (device)
		device_facts(b, s, t);
	else
		latency_facts(b, lang, t);
	service_facts(b, lang, t);
	fact(b, lang, M_LOSS);
	fmt_loss(lang, have ? r->loss_pct : NAN, v, sizeof(v));
	buf_printf(b, "<strong>%s</strong>", v);
	if (have && r->sent > 0)
		buf_printf(b, " <span class=\"meta\">(%s: %u / %u)</span>",
		    i18n(lang, device ? M_REQUESTS : M_PACKETS), r->received,
		    r->sent);
	buf_add(b, "</dd></div>\n");
	if (!device) {
		fact(b, lang, M_JITTER);
		fmt_ms(lang, have ? r->jitter : NAN, v, sizeof(v));
		buf_printf(b, "%s</dd></div>\n", v);
	}
	fact(b, lang, M_UPTIME_24H);
	fmt_uptime(lang, info[i].uptime_24h, v, sizeof(v));
	buf_printf(b, "%s</dd></div>\n", v);
	fact(b, lang, M_UPTIME_7D);
	fmt_uptime(lang, info[i].uptime_7d, v, sizeof(v));
	buf_printf(b, "%s</dd></div>\n", v);
	fact(b, lang, M_UPTIME_30D);
	fmt_uptime(lang, info[i].uptime_30d, v, sizeof(v));
	buf_printf(b, "%s</dd></div>\n", v);
	fact(b, lang, M_LAST_ROUND);
	time_tag(b, lang, t->last_round);
	buf_add(b, "</dd></div>\n");
	if (t->interval > 0) {
		fact(b, lang, M_INTERVAL);
		i18n_duration(lang, t->interval, v, sizeof(v));
		buf_printf(b, "%s</dd></div>\n", v);
	}
	if (t->parent_id) {
		const struct web_target *p = find_target(s, t->parent_id);

		fact(b, lang, M_PARENT);
		buf_add(b, "<a href=\"");
		target_href(b, "", t->parent_id);
		buf_add(b, "\">");
		buf_html(b, p ? p->name : t->parent_id);
		buf_add(b, "</a>");
		if (p) {
			buf_add(b, " ");
			badge(b, lang, p->state);
		}
		buf_add(b, "</dd></div>\n");
	}
	buf_add(b, "</dl>\n");
}

/* --- the ports table of a switch */

/* Utilisation in percent of the speed, the busier direction: NAN when
 * the speed is unknown (some virtual interfaces report 0). */
static double
utilisation(const struct web_target *t, const struct web_instance *in)
{
	double m = fmax(ivalue(t, in, "in_octets"),
	    ivalue(t, in, "out_octets"));
	double speed = ivalue(t, in, "speed");

	if (!isfinite(m) || !isfinite(speed) || speed <= 0)
		return NAN;
	return m * 8 / speed * 100;
}

/* The figures of a port, in the page's language. */
struct pfig {
	char speed[48], in[48], out[48], util[48], err[48], disc[48];
	double util_pct, err_ps, disc_ps;
};

static void
port_figures(int lang, const struct web_target *t,
    const struct web_instance *in, struct pfig *f)
{
	f->util_pct = utilisation(t, in);
	f->err_ps = ivalue(t, in, "in_errors") + ivalue(t, in, "out_errors");
	f->disc_ps = ivalue(t, in, "in_discards") +
	    ivalue(t, in, "out_discards");
	fmt_speed(lang, ivalue(t, in, "speed"), f->speed, sizeof(f->speed));
	fmt_bits(lang, ivalue(t, in, "in_octets") * 8, f->in, sizeof(f->in));
	fmt_bits(lang, ivalue(t, in, "out_octets") * 8, f->out,
	    sizeof(f->out));
	fmt_util(lang, f->util_pct, f->util, sizeof(f->util));
	fmt_rate(lang, f->err_ps, f->err, sizeof(f->err));
	fmt_rate(lang, f->disc_ps, f->disc, sizeof(f->disc));
}

/* A share of the speed as a bar under the figure (no colour alone:
 * the figure is beside it). */
static void
util_meter(struct buf *b, double pct)
{
	if (!isfinite(pct))
		return;
	buf_printf(b, "<span class=\"meter%s\" aria-hidden=\"true\"><span "
	    "style=\"width:%.1f%%\"></span></span>", pct >= 80 ? " hot" : "",
	    pct > 100 ? 100.0 : pct);
}

static void
port_row(struct buf *b, const struct web_snapshot *s,
    const struct web_target *t, size_t k, const struct web_pinfo *pi)
{
	const struct web_instance *in = &t->inst[k];
	enum pstate ps = port_state(t, in);
	int lang = s->language;
	struct pfig f;

	port_figures(lang, t, in, &f);
	buf_printf(b, "<tr class=\"st-%s\">", pstates[ps].cls);
	cell_open(b, "port", lang, M_PORT);
	buf_add(b, "<a href=\"");
	port_href(b, "", t->id, in->name);
	buf_add(b, "\">");
	buf_html(b, in->name);
	buf_add(b, "</a></td>");
	cell_open(b, "alias", lang, M_ALIAS);
	if (in->label)
		buf_html(b, in->label);
	buf_add(b, "</td>");
	cell_open(b, "state", lang, M_STATE);
	port_badge(b, lang, ps);
	buf_add(b, "</td>");
	cell_open(b, "num", lang, M_SPEED);
	buf_printf(b, "%s</td>", f.speed);
	cell_open(b, "num", lang, M_TRAFFIC_IN);
	buf_printf(b, "%s</td>", f.in);
	cell_open(b, "num", lang, M_TRAFFIC_OUT);
	buf_printf(b, "%s</td>", f.out);
	cell_open(b, "num util", lang, M_UTILISATION);
	buf_add(b, f.util);
	util_meter(b, f.util_pct);
	buf_add(b, "</td>");
	cell_open(b, f.err_ps > 0 ? "num bad" : "num", lang, M_ERRORS_PS);
	buf_printf(b, "%s</td>", f.err);
	cell_open(b, f.disc_ps > 0 ? "num bad" : "num", lang, M_DISCARDS_PS);
	buf_printf(b, "%s</td>", f.disc);
	cell_open(b, "spark", lang, M_RANGE_1D);
	if (pi->spark) {
		char safe[128], file[320];

		safe_filename(t->id, safe, sizeof(safe));
		graph_port_spark_file(in->name, file, sizeof(file));
		buf_add(b, "<a href=\"");
		port_href(b, "", t->id, in->name);
		buf_add(b, "\"><img src=\"../g/");
		buf_url(b, safe);
		buf_add(b, "/");
		buf_url(b, file);
		buf_printf(b, "?v=%lld\" width=\"120\" height=\"28\" "
		    "loading=\"lazy\" alt=\"%s\"></a>", (long long)pi->spark,
		    i18n(lang, M_RANGE_1D));
	}
	buf_add(b, "</td></tr>\n");
}

/* The ports in the order the switch reported them (ifIndex order),
 * with counts of each state in the heading. */
static void
ports_table(struct buf *b, const struct web_snapshot *s, size_t i,
    const struct web_info *info)
{
	const struct web_target *t = &s->targets[i];
	int lang = s->language;
	size_t count[PS_COUNT] = { 0 };
	static const enum pstate order[] = {
		PS_UP, PS_DOWN, PS_OFF, PS_UNKNOWN
	};

	for (size_t k = 0; k < t->ninst; k++)
		count[port_state(t, &t->inst[k])]++;
	buf_printf(b, "<section class=\"ports\">\n<h2>%s <span class=\""
	    "counts\">", i18n(lang, M_PORTS));
	for (size_t k = 0; k < nitems(order); k++)
		if (count[order[k]])
			buf_printf(b, "<span class=\"c st-%s\" title=\"%s\">"
			    "%s" NBSP "%zu</span>", pstates[order[k]].cls,
			    i18n(lang, pstates[order[k]].msg),
			    pstates[order[k]].sym, count[order[k]]);
	buf_add(b, "</span></h2>\n");
	if (t->ninst == 0) {
		buf_printf(b, "<p class=\"none\">%s</p>\n</section>\n",
		    i18n(lang, M_NO_PORTS));
		return;
	}
	/* the figures of a switch that does not answer are old */
	if (t->state == TS_DOWN || t->state == TS_UNREACHABLE ||
	    t->state == TS_UNKNOWN)
		buf_printf(b, "<p class=\"note\">%s</p>\n",
		    i18n(lang, M_PORTS_STALE));
	buf_printf(b, "<table class=\"ports\">\n<thead><tr>"
	    "<th class=\"c-port\">%s</th><th class=\"c-alias\">%s</th>"
	    "<th class=\"c-pstate\">%s</th><th class=\"num c-speed\">%s</th>"
	    "<th class=\"num c-bits\">%s</th><th class=\"num c-bits\">%s</th>"
	    "<th class=\"num c-util\">%s</th><th class=\"num c-err\">%s</th>"
	    "<th class=\"num c-err\">%s</th><th class=\"c-spark\">%s</th>"
	    "</tr></thead>\n<tbody>\n",
	    i18n(lang, M_PORT), i18n(lang, M_ALIAS), i18n(lang, M_STATE),
	    i18n(lang, M_SPEED), i18n(lang, M_TRAFFIC_IN),
	    i18n(lang, M_TRAFFIC_OUT), i18n(lang, M_UTILISATION),
	    i18n(lang, M_ERRORS_PS), i18n(lang, M_DISCARDS_PS),
	    i18n(lang, M_RANGE_1D));
	for (size_t k = 0; k < t->ninst; k++)
		port_row(b, s, t, k, &info[i].port[k]);
	buf_add(b, "</tbody>\n</table>\n</section>\n");
}

/* In graph.h's GK_* order. */
static const int kind_alt[GK_COUNT] = {
	[GK_LAT] = M_G_LATENCY_GRAPH,
	[GK_LOSS] = M_G_LOSS_GRAPH,
	[GK_JITTER] = M_G_JITTER_GRAPH,
};

static void
graph_img(struct buf *b, const struct web_target *t, enum graph_kind k,
    enum graph_range r, time_t mtime, int lang)
{
	char file[160];

	/* the image links to itself: on a phone it is shown scaled down */
	graph_file(t->id, k, r, file, sizeof(file));
	buf_add(b, "<a href=\"../g/");
	buf_url(b, file);
	buf_printf(b, "?v=%lld\"><img src=\"../g/", (long long)mtime);
	buf_url(b, file);
	buf_printf(b, "?v=%lld\" width=\"680\" height=\"240\" loading=\"lazy\" "
	    "alt=\"", (long long)mtime);
	buf_add(b, i18n(lang, kind_alt[k]));
	buf_add(b, ", ");
	buf_add(b, i18n(lang, M_RANGE_3H + (int)r));
	buf_add(b, "\"></a>");
}

static void
graphs(struct buf *b, const struct web_snapshot *s, size_t i,
    const struct web_info *info)
{
	const struct web_target *t = &s->targets[i];
	int lang = s->language, any = 0;

	buf_printf(b, "<section class=\"graphs\">\n<h2>%s</h2>\n"
	    "<nav class=\"ranges\">", i18n(lang, M_GRAPHS));
	for (int r = 0; r < GR_COUNT; r++)
		buf_printf(b, "<a href=\"#r-%s\">%s</a>", graph_range_name(r),
		    i18n(lang, M_RANGE_3H + r));
	buf_add(b, "</nav>\n");
	for (int r = 0; r < GR_COUNT; r++) {
		int some = 0;

		for (int k = 0; k < GK_COUNT; k++)
			some |= info[i].graph[k][r] != 0;
		if (!some)
			continue;
		any = 1;
		buf_printf(b, "<figure id=\"r-%s\">\n<figcaption>%s</figcaption>"
		    "\n", graph_range_name(r), i18n(lang, M_RANGE_3H + r));
		for (int k = 0; k < GK_COUNT; k++)
			if (info[i].graph[k][r]) {
				graph_img(b, t, k, r, info[i].graph[k][r],
				    lang);
				buf_add(b, "\n");
			}
		buf_add(b, "</figure>\n");
	}
	if (!any)
		buf_printf(b, "<p class=\"none\">%s</p>\n",
		    i18n(lang, M_NO_DATA));
	buf_add(b, "</section>\n");
}

void
webpage_target(struct buf *b, const struct web_snapshot *s, size_t i,
    const struct web_info *info)
{
	const struct web_target *t = &s->targets[i];
	int lang = s->language;
	struct buf title;

	buf_init(&title);
	buf_printf(&title, "%s ", state_sym[valid_state(t->state)]);
	buf_html(&title, t->name);
	page_head(b, s, title.p ? title.p : "", "../", -1);
	buf_free(&title);

	buf_printf(b, "<p class=\"crumbs\"><a href=\"../index.html\">← %s</a>"
	    " · ", i18n(lang, M_OVERVIEW));
	buf_html(b, group_of(t, lang));
	buf_printf(b, "</p>\n<h1 class=\"target st-%s\">",
	    state_class(valid_state(t->state)));
	buf_html(b, t->name);
	buf_add(b, "</h1>\n<p class=\"sub\">");
	if (t->host && *t->host) {
		buf_printf(b, "%s: ", i18n(lang, M_HOST));
		host_port(b, t);
		buf_add(b, " · ");
	}
	buf_printf(b, "%s: ", i18n(lang, M_TYPE));
	buf_html(b, t->type);
	buf_add(b, " · ID: <code>");
	buf_html(b, t->id);
	buf_add(b, "</code></p>\n");

	facts(b, s, i, info);
	if (has_ports(t))
		ports_table(b, s, i, info);
	graphs(b, s, i, info);

	buf_printf(b, "<section class=\"recent\">\n<h2>%s</h2>\n",
	    i18n(lang, M_RECENT_EVENTS));
	events_table(b, s, "", t->id, NULL, 20);
	buf_printf(b, "<p><a href=\"../events.html\">%s →</a></p>\n"
	    "</section>\n", i18n(lang, M_ALL_EVENTS));
	page_foot(b, s, "../");
}

/* --- t/ID/PORT.html */

static void
port_graph_img(struct buf *b, const struct web_target *t,
    const struct web_instance *in, enum graph_pkind k, enum graph_range r,
    time_t mtime, int lang)
{
	char safe[128], file[320];
	struct buf src;

	safe_filename(t->id, safe, sizeof(safe));
	graph_port_file(in->name, k, r, file, sizeof(file));
	buf_init(&src);
	buf_add(&src, "../../g/");
	buf_url(&src, safe);
	buf_add(&src, "/");
	buf_url(&src, file);
	buf_printf(&src, "?v=%lld", (long long)mtime);
	/* the image links to itself: on a phone it is shown scaled down */
	buf_printf(b, "<a href=\"%s\"><img src=\"%s\" width=\"680\" "
	    "height=\"240\" loading=\"lazy\" alt=\"%s, %s\"></a>", src.p,
	    src.p, i18n(lang, k == GP_ERRORS ? M_G_ERRORS_GRAPH :
	    M_G_TRAFFIC_GRAPH), i18n(lang, M_RANGE_3H + (int)r));
	buf_free(&src);
}

static void
port_graphs(struct buf *b, const struct web_snapshot *s,
    const struct web_target *t, const struct web_instance *in,
    const struct web_pinfo *pi)
{
	int lang = s->language;

	buf_printf(b, "<section class=\"graphs\">\n<h2>%s</h2>\n"
	    "<nav class=\"ranges\">", i18n(lang, M_GRAPHS));
	for (int r = GR_1D; r < GR_COUNT; r++)
		buf_printf(b, "<a href=\"#r-%s\">%s</a>", graph_range_name(r),
		    i18n(lang, M_RANGE_3H + r));
	buf_add(b, "</nav>\n");
	for (int r = GR_1D; r < GR_COUNT; r++) {
		/* the anchor exists even before its graphs do */
		buf_printf(b, "<figure id=\"r-%s\">\n<figcaption>%s"
		    "</figcaption>\n", graph_range_name(r),
		    i18n(lang, M_RANGE_3H + r));
		for (int k = 0; k < GP_COUNT; k++)
			if (pi->graph[k][r]) {
				port_graph_img(b, t, in, k, r,
				    pi->graph[k][r], lang);
				buf_add(b, "\n");
			}
		if (!pi->graph[GP_TRAFFIC][r] && !pi->graph[GP_ERRORS][r])
			buf_printf(b, "<p class=\"none\">%s</p>\n",
			    i18n(lang, M_NO_DATA));
		buf_add(b, "</figure>\n");
	}
	buf_add(b, "</section>\n");
}

/* "1,2 (vào 1,2 · ra 0)": a total and its two directions. */
static void
in_out(struct buf *b, int lang, const char *total, double in, double out)
{
	char x[48], y[48];

	fmt_rate(lang, in, x, sizeof(x));
	fmt_rate(lang, out, y, sizeof(y));
	buf_printf(b, "<strong>%s</strong> <span class=\"meta\">(%s %s · "
	    "%s %s)</span></dd></div>\n", total, i18n(lang, M_IN), x,
	    i18n(lang, M_OUT), y);
}

static void
port_facts(struct buf *b, const struct web_snapshot *s,
    const struct web_target *t, const struct web_instance *in)
{
	int lang = s->language;
	struct pfig f;

	port_figures(lang, t, in, &f);
	buf_add(b, "<dl class=\"facts\">\n");
	fact(b, lang, M_STATE);
	port_badge(b, lang, port_state(t, in));
	buf_add(b, "</dd></div>\n");
	fact(b, lang, M_DEVICE);
	buf_add(b, "<a href=\"");
	target_href(b, "../", t->id);
	buf_add(b, "\">");
	buf_html(b, t->name);
	buf_add(b, "</a> ");
	badge(b, lang, t->state);
	buf_add(b, "</dd></div>\n");
	fact(b, lang, M_SPEED);
	buf_printf(b, "%s</dd></div>\n", f.speed);
	fact(b, lang, M_TRAFFIC_IN);
	buf_printf(b, "<strong>%s</strong></dd></div>\n", f.in);
	fact(b, lang, M_TRAFFIC_OUT);
	buf_printf(b, "<strong>%s</strong></dd></div>\n", f.out);
	fact(b, lang, M_UTILISATION);
	buf_printf(b, "<strong>%s</strong>", f.util);
	util_meter(b, f.util_pct);
	buf_add(b, "</dd></div>\n");
	fact(b, lang, M_ERRORS_PS);
	in_out(b, lang, f.err, ivalue(t, in, "in_errors"),
	    ivalue(t, in, "out_errors"));
	fact(b, lang, M_DISCARDS_PS);
	in_out(b, lang, f.disc, ivalue(t, in, "in_discards"),
	    ivalue(t, in, "out_discards"));
	fact(b, lang, M_LAST_ROUND);
	time_tag(b, lang, t->last_round);
	buf_add(b, "</dd></div>\n</dl>\n");
}

void
webpage_port(struct buf *b, const struct web_snapshot *s, size_t i,
    size_t k, const struct web_info *info)
{
	const struct web_target *t = &s->targets[i];
	const struct web_instance *in = &t->inst[k];
	enum pstate ps = port_state(t, in);
	int lang = s->language;
	struct buf title;

	buf_init(&title);
	buf_printf(&title, "%s ", pstates[ps].sym);
	buf_html(&title, in->name);
	buf_add(&title, " · ");
	buf_html(&title, t->name);
	page_head(b, s, title.p, "../../", -1);
	buf_free(&title);

	buf_printf(b, "<p class=\"crumbs\"><a href=\"../../index.html\">← %s"
	    "</a> · ", i18n(lang, M_OVERVIEW));
	buf_html(b, group_of(t, lang));
	buf_add(b, " · <a href=\"");
	target_href(b, "../", t->id);
	buf_add(b, "\">");
	buf_html(b, t->name);
	buf_printf(b, "</a></p>\n<h1 class=\"target st-%s\">", pstates[ps].cls);
	buf_html(b, in->name);
	buf_add(b, "</h1>\n<p class=\"sub\">");
	if (in->label) {
		buf_printf(b, "%s: ", i18n(lang, M_ALIAS));
		buf_html(b, in->label);
		buf_add(b, " · ");
	}
	buf_printf(b, "%s: ", i18n(lang, M_PORT_OF));
	buf_html(b, t->name);
	if (t->host && *t->host) {
		buf_add(b, " (");
		host_port(b, t);
		buf_add(b, ")");
	}
	buf_add(b, "</p>\n");
	if (t->state == TS_DOWN || t->state == TS_UNREACHABLE ||
	    t->state == TS_UNKNOWN)
		buf_printf(b, "<p class=\"note\">%s</p>\n",
		    i18n(lang, M_PORTS_STALE));

	port_facts(b, s, t, in);
	port_graphs(b, s, t, in, &info[i].port[k]);

	buf_printf(b, "<section class=\"recent\">\n<h2>%s</h2>\n",
	    i18n(lang, M_RECENT_EVENTS));
	events_table(b, s, "../", t->id, in->name, 20);
	buf_printf(b, "<p><a href=\"../../events.html\">%s →</a></p>\n"
	    "</section>\n", i18n(lang, M_ALL_EVENTS));
	page_foot(b, s, "../../");
}

/* --- reports/index.html */

void
webpage_reports(struct buf *b, const struct web_snapshot *s,
    const struct web_report *v, size_t n)
{
	static const char *const ext[WR_COUNT] = { "html", "pdf", "csv", "txt" };
	static const char *const label[WR_COUNT] = { "HTML", "PDF", "CSV",
	    "TXT" };
	int lang = s->language;

	page_head(b, s, i18n(lang, M_REPORTS), "../", 3);
	buf_printf(b, "<h1>%s</h1>\n", i18n(lang, M_REPORTS));
	if (s->reports_monthly) {
		char at[8];

		snprintf(at, sizeof(at), "%02d:%02d", s->reports_time / 60 % 24,
		    s->reports_time % 60);
		buf_add(b, "<p class=\"meta\">");
		buf_printf(b, i18n(lang, M_REPORTS_HOW), at);
		buf_add(b, "</p>\n");
	}
	if (n == 0) {
		buf_printf(b, "<p>%s</p>\n", i18n(lang, M_REPORTS_NONE));
		page_foot(b, s, "../");
		return;
	}
	buf_printf(b, "<table class=\"events reports\">\n<thead><tr>"
	    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr>"
	    "</thead>\n<tbody>\n", i18n(lang, M_REPORTS_MONTH),
	    i18n(lang, M_REPORTS_FILES));
	for (size_t i = 0; i < n; i++) {
		const char *sep = "";

		buf_add(b, "<tr><td class=\"when\">");
		month_text(b, lang, v[i].year, v[i].month);
		buf_add(b, "</td><td>");
		for (int k = 0; k < WR_COUNT; k++) {
			char size[32];

			if (v[i].size[k] < 0)
				continue;
			i18n_number(lang, (double)v[i].size[k] / 1024.0,
			    v[i].size[k] < 10240 ? 1 : 0, size, sizeof(size));
			buf_printf(b, "%s<a href=\"%04d-%02d.%s\">%s</a> "
			    "<span class=\"meta\">(%s" NBSP "KB)</span>", sep,
			    v[i].year, v[i].month, ext[k], label[k], size);
			sep = " · ";
		}
		buf_add(b, "</td></tr>\n");
	}
	buf_add(b, "</tbody>\n</table>\n");
	page_foot(b, s, "../");
}
