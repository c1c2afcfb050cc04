#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "i18n.h"
#include "log.h"
#include "report.h"
#include "report_fmt.h"
#include "util.h"

/* ---- shared pieces ---- */

void
report_fmt_hms(long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s % 3600 / 60, s % 60);
}

/* Cut, not rounded, to 3 decimals: 99.9996 % is not 100 %. */
void
report_fmt_pct(int lang, double pct, char *buf, size_t len)
{
	char num[32];

	if (!isfinite(pct)) {
		snprintf(buf, len, "–");
		return;
	}
	if (pct >= 100)
		i18n_number(lang, 100, 0, num, sizeof(num));
	else
		i18n_number(lang, floor(pct * 1000) / 1000, 3, num,
		    sizeof(num));
	snprintf(buf, len, "%s %%", num);
}

void
report_fmt_kind(int lang, const struct report_outage *o, char *buf,
    size_t len)
{
	if (o->kind == RK_DOWN || o->via == NULL)
		snprintf(buf, len, "%s", i18n(lang, o->kind == RK_DOWN ?
		    M_R_DOWN : M_R_UNREACHABLE));
	else
		snprintf(buf, len, "%s (%s %s)", i18n(lang, M_R_UNREACHABLE),
		    i18n(lang, M_R_VIA), o->via);
}

void
report_fmt_hint(int lang, const struct report_outage *o, char *buf,
    size_t len)
{
	const char *who = o->hint_target ? o->hint_target : "?";

	if (len == 0)
		return;
	buf[0] = '\0';
	if (o->hint == RH_REBOOT)
		snprintf(buf, len, i18n(lang, M_R_HINT_REBOOT), who);
	else if (o->hint == RH_PORT_DOWN)
		snprintf(buf, len, i18n(lang, M_R_HINT_PORT),
		    o->hint_instance ? o->hint_instance : "?", who);
}

static void
note_add(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? "; " : "", s);
}

void
report_fmt_note(int lang, const struct report_outage *o, char *buf,
    size_t len)
{
	char d[32], part[160];

	if (len == 0)
		return;
	buf[0] = '\0';
	if (o->continued)
		note_add(buf, len, i18n(lang, M_R_CONTINUED));
	if (o->ongoing)
		note_add(buf, len, i18n(lang, M_R_ONGOING));
	if (o->cut > 0)
		note_add(buf, len, i18n(lang, M_R_CUT));
	if (o->nodata > o->cut) {
		report_fmt_hms(o->nodata - o->cut, d, sizeof(d));
		snprintf(part, sizeof(part), i18n(lang, M_R_PART_NODATA), d);
		note_add(buf, len, part);
	}
	if (o->maintenance > 0) {
		report_fmt_hms(o->maintenance, d, sizeof(d));
		snprintf(part, sizeof(part), i18n(lang, M_R_PART_MAINT), d);
		note_add(buf, len, part);
	}
}

const char *
report_fmt_group(int lang, const char *group)
{
	return group && *group ? group : i18n(lang, M_GROUP_OTHER);
}

size_t
report_fmt_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p) {
		unsigned cp;
		int n;

		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 3;
		} else {
			cp = *p & 0x07;
			n = 4;
		}
		for (int k = 1; k < n; k++) {
			if ((p[k] & 0xc0) != 0x80) {
				n = k;	/* broken: count what is there */
				break;
			}
			cp = cp << 6 | (p[k] & 0x3f);
		}
		p += n;
		if ((cp >= 0x300 && cp <= 0x36f) || cp == 0x200b ||
		    (cp >= 0x20d0 && cp <= 0x20ff))
			continue;	/* combining: no column of its own */
		if ((cp >= 0x1100 && cp <= 0x115f) ||
		    (cp >= 0x2e80 && cp <= 0xa4cf) ||
		    (cp >= 0xac00 && cp <= 0xd7a3) ||
		    (cp >= 0xf900 && cp <= 0xfaff) ||
		    (cp >= 0xff00 && cp <= 0xff60) ||
		    (cp >= 0xffe0 && cp <= 0xffe6))
			w += 2;
		else
			w++;
	}
	return w;
}

/* ---- text: a table aligned by shown width ---- */

#define TCOLS 16

struct table {
	size_t ncols;
	const int *right;       /* per column: right-aligned */
	char **cells;           /* rows x ncols; a row of NULLs but the
	                         * first is a heading spanning the row */
	int *span;
	size_t nrows;
};

static void
table_row(struct table *t, int span, ...)
{
	va_list ap;

	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols,
	    sizeof(char *));
	t->span = xreallocarray(t->span, t->nrows + 1, sizeof(int));
	t->span[t->nrows] = span;
	va_start(ap, span);
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s = c == 0 || !span ? va_arg(ap, const char *) :
		    NULL;

		t->cells[t->nrows * t->ncols + c] = s ? xstrdup(s) : NULL;
	}
	va_end(ap);
	t->nrows++;
}

static void
pad(struct buf *b, size_t n)
{
	while (n-- > 0)
		buf_addn(b, " ", 1);
}

static void
table_free(struct table *t)
{
	for (size_t k = 0; k < t->nrows * t->ncols; k++)
		free(t->cells[k]);
	free(t->cells);
	free(t->span);
}

static void
table_print(struct buf *b, struct table *t)
{
	size_t w[TCOLS] = { 0 };

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols && !t->span[r]; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s ? report_fmt_width(s) : 0;

			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		char **row = &t->cells[r * t->ncols];
		size_t last = t->ncols;

		if (t->span[r]) {
			buf_printf(b, "%s\n", row[0]);
			continue;
		}
		while (last > 0 && (row[last - 1] == NULL ||
		    *row[last - 1] == '\0') && !t->right[last - 1])
			last--;	/* no trailing blanks */
		for (size_t c = 0; c < last; c++) {
			const char *s = row[c] ? row[c] : "";
			size_t n = report_fmt_width(s);

			if (c > 0)
				buf_addn(b, "  ", 2);
			if (t->right[c])
				pad(b, w[c] - n);
			buf_add(b, s);
			if (!t->right[c] && c + 1 < last)
				pad(b, w[c] - n);
		}
		buf_addn(b, "\n", 1);
	}
	table_free(t);
}

void
report_fmt_cells(const struct report *r, const struct report_figures *f,
    struct report_cells *c)
{
	int lang = r->language;
	char num[32];

	report_fmt_pct(lang, f->availability, c->pct, sizeof(c->pct));
	c->below = isfinite(f->availability) && f->availability < r->sla_pct;
	report_fmt_hms(f->monitored, c->mon, sizeof(c->mon));
	report_fmt_hms(f->maintenance, c->maint, sizeof(c->maint));
	report_fmt_hms(f->down, c->down, sizeof(c->down));
	report_fmt_hms(f->unreachable, c->unr, sizeof(c->unr));
	report_fmt_hms(f->nodata, c->nd, sizeof(c->nd));
	snprintf(c->n, sizeof(c->n), "%u", f->outages);
	report_fmt_hms(f->longest, c->longest, sizeof(c->longest));
	report_fmt_hms(f->mttr, c->mttr, sizeof(c->mttr));
	if (isfinite(f->latency_ms)) {
		i18n_number(lang, f->latency_ms, f->latency_ms < 10 ? 2 : 1,
		    num, sizeof(num));
		snprintf(c->lat, sizeof(c->lat), "%s ms", num);
	} else
		snprintf(c->lat, sizeof(c->lat), "–");
	if (isfinite(f->loss_pct)) {
		i18n_number(lang, f->loss_pct, 2, num, sizeof(num));
		snprintf(c->loss, sizeof(c->loss), "%s %%", num);
	} else
		snprintf(c->loss, sizeof(c->loss), "–");
}

void
report_fmt_outage_cells(int lang, const struct report_outage *o,
    struct report_outage_cells *c)
{
	i18n_datetime_sec(lang, o->start, c->start, sizeof(c->start));
	i18n_datetime_sec(lang, o->end, c->end, sizeof(c->end));
	report_fmt_hms(o->duration, c->duration, sizeof(c->duration));
	report_fmt_hms(o->counted, c->counted, sizeof(c->counted));
	report_fmt_kind(lang, o, c->kind, sizeof(c->kind));
	c->acked = i18n(lang, o->acked ? M_R_YES : M_R_NO);
	report_fmt_hint(lang, o, c->hint, sizeof(c->hint));
	report_fmt_note(lang, o, c->note, sizeof(c->note));
}

/* The text's cells: the mark below the SLA in a place of its own, so
 * that the figures line up. */
static void
figure_cells(const struct report *r, const struct report_figures *f,
    struct report_cells *c)
{
	size_t n;

	report_fmt_cells(r, f, c);
	n = strlen(c->pct);
	snprintf(c->pct + n, sizeof(c->pct) - n, "%s", c->below ? " *" :
	    "  ");
}

void
report_fmt_month(const struct report *r, char *buf, size_t len)
{
	if (r->language == LANG_EN)
		snprintf(buf, len, "%04d-%02d", r->year, r->month);
	else
		snprintf(buf, len, "%02d/%04d", r->month, r->year);
}

void
report_fmt_sla(const struct report *r, char *buf, size_t len)
{
	char num[32];

	i18n_number(r->language, r->sla_pct, r->sla_pct == floor(r->sla_pct) ?
	    0 : 2, num, sizeof(num));
	snprintf(buf, len, i18n(r->language, M_R_BELOW_SLA), num);
}

static void
text_head(struct buf *b, const struct report *r)
{
	int lang = r->language;
	char m[16], from[40], to[40], len[24];

	report_fmt_month(r, m, sizeof(m));
	buf_printf(b, "%s%s%s\n", i18n(lang, M_R_TITLE), *r->district ? " – " :
	    "", r->district);
	buf_printf(b, "%s %s\n", i18n(lang, M_R_MONTH), m);
	i18n_datetime(lang, r->start, from, sizeof(from));
	i18n_datetime(lang, r->end, to, sizeof(to));
	report_fmt_hms((long)(r->end - r->start), len, sizeof(len));
	buf_printf(b, "%s: %s – %s (%s), %s %s\n", i18n(lang, M_R_PERIOD), from,
	    to, len, i18n(lang, M_R_TIMEZONE), r->timezone);
	if (r->partial) {
		i18n_datetime_sec(lang, r->period_end, to, sizeof(to));
		buf_printf(b, "(%s %s)\n", i18n(lang, M_R_SO_FAR), to);
	}
}

static void
text_targets(struct buf *b, const struct report *r)
{
	static const int right[] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	int lang = r->language;
	struct table t = { 12, right, NULL, NULL, 0 };

	table_row(&t, 0, i18n(lang, M_TARGET), i18n(lang, M_R_AVAILABILITY),
	    i18n(lang, M_R_MONITORED), i18n(lang, M_R_MAINTENANCE),
	    i18n(lang, M_R_DOWN), i18n(lang, M_R_UNREACHABLE),
	    i18n(lang, M_R_NODATA), i18n(lang, M_R_OUTAGES_N),
	    i18n(lang, M_R_LONGEST), i18n(lang, M_R_MTTR),
	    i18n(lang, M_R_LATENCY), i18n(lang, M_R_LOSS));
	for (size_t g = 0; g < r->ngroups; g++) {
		char *head = xasprintf("%s: %s", i18n(lang, M_R_GROUP),
		    report_fmt_group(lang, r->groups[g].name));

		table_row(&t, 1, head);
		free(head);
		for (size_t i = 0; i < r->ntargets; i++) {
			const struct report_target *rt = &r->targets[i];
			struct report_cells c;

			if (rt->group_idx != g)
				continue;
			figure_cells(r, &rt->f, &c);
			table_row(&t, 0, rt->name, c.pct, c.mon, c.maint,
			    c.down, c.unr, c.nd, c.n, c.longest, c.mttr, c.lat,
			    c.loss);
		}
	}
	buf_printf(b, "\n%s\n\n", i18n(lang, M_R_SUMMARY));
	table_print(b, &t);
}

static void
text_groups(struct buf *b, const struct report *r)
{
	static const int right[] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	int lang = r->language;
	struct table t = { 11, right, NULL, NULL, 0 };

	table_row(&t, 0, i18n(lang, M_R_GROUP), i18n(lang, M_R_TARGETS),
	    i18n(lang, M_R_AVAILABILITY), i18n(lang, M_R_MONITORED),
	    i18n(lang, M_R_MAINTENANCE), i18n(lang, M_R_DOWN),
	    i18n(lang, M_R_UNREACHABLE), i18n(lang, M_R_NODATA),
	    i18n(lang, M_R_OUTAGES_N), i18n(lang, M_R_LONGEST),
	    i18n(lang, M_R_MTTR));
	for (size_t g = 0; g < r->ngroups; g++) {
		struct report_cells c;
		char n[16];

		figure_cells(r, &r->groups[g].f, &c);
		snprintf(n, sizeof(n), "%zu", r->groups[g].ntargets);
		table_row(&t, 0, report_fmt_group(lang, r->groups[g].name), n,
		    c.pct, c.mon, c.maint, c.down, c.unr, c.nd, c.n,
		    c.longest, c.mttr);
	}
	buf_printf(b, "\n%s\n\n", i18n(lang, M_R_GROUPS));
	table_print(b, &t);
}

static void
text_outages(struct buf *b, const struct report *r)
{
	static const int right[] = { 0, 0, 0, 1, 1, 0, 0, 0, 0 };
	int lang = r->language;
	struct table t = { 9, right, NULL, NULL, 0 };
	size_t n = 0;

	table_row(&t, 0, i18n(lang, M_TARGET), i18n(lang, M_R_START),
	    i18n(lang, M_R_END), i18n(lang, M_R_DURATION),
	    i18n(lang, M_R_COUNTED), i18n(lang, M_R_KIND),
	    i18n(lang, M_R_ACKED), i18n(lang, M_R_HINT), i18n(lang, M_R_NOTE));
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *rt = &r->targets[i];

		for (size_t k = 0; k < rt->noutages; k++) {
			struct report_outage_cells c;

			report_fmt_outage_cells(lang, &rt->outages[k], &c);
			table_row(&t, 0, rt->name, c.start, c.end, c.duration,
			    c.counted, c.kind, c.acked, c.hint, c.note);
			n++;
		}
	}
	buf_printf(b, "\n%s\n\n", i18n(lang, M_R_OUTAGE_LIST));
	if (n)
		table_print(b, &t);
	else {
		buf_printf(b, "%s\n", i18n(lang, M_R_NO_OUTAGES));
		table_free(&t);
	}
}

char *
report_text(const struct report *r)
{
	struct buf b;
	struct tz_save z;
	char sla[64];

	buf_init(&b);
	tz_enter(&z, r->timezone);
	text_head(&b, r);
	text_targets(&b, r);
	text_groups(&b, r);
	text_outages(&b, r);
	report_fmt_sla(r, sla, sizeof(sla));
	buf_printf(&b, "\n* %s\n%s\n", sla, i18n(r->language, M_R_LEGEND));
	tz_leave(&z);
	return b.p;
}

/* ---- the mail's body ---- */

char *
report_summary(const struct report *r, const char *url)
{
	int lang = r->language;
	struct buf b;
	struct tz_save z;
	char pct[48], num[32], longest[24];
	unsigned below = 0;

	buf_init(&b);
	tz_enter(&z, r->timezone);
	text_head(&b, r);
	buf_printf(&b, "\n%s:\n", i18n(lang, M_R_GROUPS));
	for (size_t k = 0; k < r->ngroups; k++) {
		const struct report_group *g = &r->groups[k];

		report_fmt_pct(lang, g->f.availability, pct, sizeof(pct));
		report_fmt_hms(g->f.longest, longest, sizeof(longest));
		buf_printf(&b, "  %s: %s (", report_fmt_group(lang, g->name),
		    pct);
		buf_printf(&b, i18n(lang, M_R_OUTAGES_LONGEST), g->f.outages,
		    longest);
		buf_add(&b, ")\n");
	}
	i18n_number(lang, r->sla_pct, r->sla_pct == floor(r->sla_pct) ? 0 : 2,
	    num, sizeof(num));
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];

		if (!isfinite(t->f.availability) ||
		    t->f.availability >= r->sla_pct)
			continue;
		if (below++ == 0) {
			buf_add(&b, "\n");
			buf_printf(&b, i18n(lang, M_R_MAIL_BELOW), num);
			buf_add(&b, "\n");
		}
		report_fmt_pct(lang, t->f.availability, pct, sizeof(pct));
		report_fmt_hms(t->f.longest, longest, sizeof(longest));
		buf_printf(&b, "  %s: %s (", t->name, pct);
		buf_printf(&b, i18n(lang, M_R_OUTAGES_LONGEST), t->f.outages,
		    longest);
		buf_add(&b, ")\n");
	}
	if (below == 0) {
		buf_add(&b, "\n");
		buf_printf(&b, i18n(lang, M_R_MAIL_ALL_MET), num);
		buf_add(&b, "\n");
	}
	buf_printf(&b, "\n%s\n", i18n(lang, M_R_MAIL_ATTACHED));
	if (url && *url)
		buf_printf(&b, "%s %s\n", i18n(lang, M_R_MAIL_ONLINE), url);
	buf_printf(&b, "\n%s\n", i18n(lang, M_R_LEGEND));
	tz_leave(&z);
	return b.p;
}

/* ---- CSV ---- */

static void
csv_field(struct buf *b, const char *s, int first)
{
	if (!first)
		buf_addn(b, ",", 1);
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		buf_add(b, s);
		return;
	}
	buf_addn(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			buf_addn(b, "\"", 1);
		buf_addn(b, s, 1);
	}
	buf_addn(b, "\"", 1);
}

static void
csv_row(struct buf *b, size_t n, const char *const *v)
{
	for (size_t k = 0; k < n; k++)
		csv_field(b, v[k], k == 0);
	buf_addn(b, "\r\n", 2);
}

static char *
head(int lang, int m, const char *unit)
{
	return xasprintf("%s (%s)", i18n(lang, m), unit);
}

static void
csv_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, len,
	    "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static void
csv_num(double v, int decimals, char *buf, size_t len)
{
	if (isfinite(v))
		snprintf(buf, len, "%.*f", decimals, v);
	else
		buf[0] = '\0';
}

/* Availability cut, not rounded, like the text. */
static void
csv_pct(double v, char *buf, size_t len)
{
	csv_num(isfinite(v) ? (v >= 100 ? 100 : floor(v * 1000) / 1000) : v,
	    3, buf, len);
}

enum { F_PCT, F_MON, F_MAINT, F_DOWN, F_UNR, F_ND, F_N, F_LONG, F_MTTR,
	F_LAT, F_LOSS, F_COUNT };

static void
csv_figures(const struct report_figures *f, char v[F_COUNT][40])
{
	csv_pct(f->availability, v[F_PCT], 40);
	snprintf(v[F_MON], 40, "%ld", f->monitored);
	snprintf(v[F_MAINT], 40, "%ld", f->maintenance);
	snprintf(v[F_DOWN], 40, "%ld", f->down);
	snprintf(v[F_UNR], 40, "%ld", f->unreachable);
	snprintf(v[F_ND], 40, "%ld", f->nodata);
	snprintf(v[F_N], 40, "%u", f->outages);
	snprintf(v[F_LONG], 40, "%ld", f->longest);
	snprintf(v[F_MTTR], 40, "%ld", f->mttr);
	csv_num(f->latency_ms, 3, v[F_LAT], 40);
	csv_num(f->loss_pct, 3, v[F_LOSS], 40);
}

static void
csv_heads(int lang, char **h)
{
	const char *s = i18n(lang, M_R_SECONDS);

	h[F_PCT] = head(lang, M_R_AVAILABILITY, "%");
	h[F_MON] = head(lang, M_R_MONITORED, s);
	h[F_MAINT] = head(lang, M_R_MAINTENANCE, s);
	h[F_DOWN] = head(lang, M_R_DOWN, s);
	h[F_UNR] = head(lang, M_R_UNREACHABLE, s);
	h[F_ND] = head(lang, M_R_NODATA, s);
	h[F_N] = xstrdup(i18n(lang, M_R_OUTAGES_N));
	h[F_LONG] = head(lang, M_R_LONGEST, s);
	h[F_MTTR] = head(lang, M_R_MTTR, s);
	h[F_LAT] = head(lang, M_R_LATENCY, "ms");
	h[F_LOSS] = head(lang, M_R_LOSS, "%");
}

static void
csv_targets(struct buf *b, const struct report *r, char **h)
{
	int lang = r->language;
	const char *row[3 + F_COUNT];
	char v[F_COUNT][40];

	row[0] = i18n(lang, M_R_GROUP);
	row[1] = i18n(lang, M_R_ID);
	row[2] = i18n(lang, M_R_NAME);
	for (int k = 0; k < F_COUNT; k++)
		row[3 + k] = h[k];
	csv_row(b, nitems(row), row);
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];

		csv_figures(&t->f, v);
		row[0] = report_fmt_group(lang, t->group);
		row[1] = t->id;
		row[2] = t->name;
		for (int k = 0; k < F_COUNT; k++)
			row[3 + k] = v[k];
		csv_row(b, nitems(row), row);
	}
}

static void
csv_outages(struct buf *b, const struct report *r)
{
	int lang = r->language;
	const char *s = i18n(lang, M_R_SECONDS);
	char *hd = head(lang, M_R_DURATION, s), *hc = head(lang, M_R_COUNTED,
	    s);
	const char *row[11] = { i18n(lang, M_R_ID), i18n(lang, M_R_NAME),
		i18n(lang, M_R_START), i18n(lang, M_R_END), hd, hc,
		i18n(lang, M_R_KIND), i18n(lang, M_R_VIA),
		i18n(lang, M_R_ACKED), i18n(lang, M_R_HINT),
		i18n(lang, M_R_NOTE) };

	csv_row(b, nitems(row), row);
	free(hd);
	free(hc);
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];

		for (size_t k = 0; k < t->noutages; k++) {
			const struct report_outage *o = &t->outages[k];
			char st[40], en[40], d[24], c[24], hint[200],
			    note[400];

			csv_time(o->start, st, sizeof(st));
			csv_time(o->end, en, sizeof(en));
			snprintf(d, sizeof(d), "%ld", o->duration);
			snprintf(c, sizeof(c), "%ld", o->counted);
			report_fmt_hint(lang, o, hint, sizeof(hint));
			report_fmt_note(lang, o, note, sizeof(note));
			row[0] = t->id;
			row[1] = t->name;
			row[2] = st;
			row[3] = en;
			row[4] = d;
			row[5] = c;
			row[6] = i18n(lang, o->kind == RK_DOWN ? M_R_DOWN :
			    M_R_UNREACHABLE);
			row[7] = o->via ? o->via : "";
			row[8] = i18n(lang, o->acked ? M_R_YES : M_R_NO);
			row[9] = hint;
			row[10] = note;
			csv_row(b, nitems(row), row);
		}
	}
}

static void
csv_groups(struct buf *b, const struct report *r, char **h)
{
	int lang = r->language;
	const char *row[2 + F_COUNT - 2];
	char v[F_COUNT][40], n[16];

	/* no latency or loss for a group */
	row[0] = i18n(lang, M_R_GROUP);
	row[1] = i18n(lang, M_R_TARGETS);
	for (int k = 0; k < F_LAT; k++)
		row[2 + k] = h[k];
	csv_row(b, nitems(row), row);
	for (size_t g = 0; g < r->ngroups; g++) {
		csv_figures(&r->groups[g].f, v);
		snprintf(n, sizeof(n), "%zu", r->groups[g].ntargets);
		row[0] = report_fmt_group(lang, r->groups[g].name);
		row[1] = n;
		for (int k = 0; k < F_LAT; k++)
			row[2 + k] = v[k];
		csv_row(b, nitems(row), row);
	}
}

char *
report_csv(const struct report *r, size_t *len)
{
	struct buf b;
	struct tz_save z;
	char *h[F_COUNT];

	buf_init(&b);
	tz_enter(&z, r->timezone);
	buf_add(&b, "\xef\xbb\xbf");	/* BOM: Excel then reads UTF-8 */
	csv_heads(r->language, h);
	csv_targets(&b, r, h);
	buf_addn(&b, "\r\n", 2);
	csv_outages(&b, r);
	buf_addn(&b, "\r\n", 2);
	csv_groups(&b, r, h);
	for (int k = 0; k < F_COUNT; k++)
		free(h[k]);
	tz_leave(&z);
	if (len)
		*len = b.len;
	return b.p;
}
