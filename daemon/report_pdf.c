/*
 * Monthly reports: the PDF.  The same document as report_html.c, laid
 * out on A4 with pango (shaping: Vietnamese stacks two diacritics on a
 * letter) onto a cairo PDF surface, so the text stays text: it can be
 * searched, copied and read by pdftotext.  Fonts: DejaVu Sans
 * (fonts-dejavu-core), which has every Vietnamese letter.
 *
 * The tables repeat their head on each new page; a row is never split.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "buf.h"
#include "conf.h"
#include "i18n.h"
#include "log.h"
#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "util.h"

#define PAGE_W 595.276          /* A4 in points */
#define PAGE_H 841.890
#define MARGIN 36.0
#define BOTTOM (PAGE_H - MARGIN - 14)   /* room for the page number */
#define WIDTH (PAGE_W - 2 * MARGIN)
#define FONT "DejaVu Sans"
#define PAD 2.0

struct pdf {
	cairo_surface_t *s;
	cairo_t *cr;
	struct buf out;
	double y;
	int page;
	const struct report *r;
};

static cairo_status_t
pdf_write(void *arg, const unsigned char *data, unsigned int len)
{
	buf_addn(arg, (const char *)data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* A laid-out piece of text `w` wide (0: as wide as it is). */
static PangoLayout *
layout(struct pdf *p, const char *text, double size, int bold, double w,
    PangoAlignment align)
{
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	PangoFontDescription *fd = pango_font_description_new();

	pango_font_description_set_family(fd, FONT);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD :
	    PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	if (w > 0) {
		pango_layout_set_width(l, (int)(w * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_alignment(l, align);
	pango_layout_set_text(l, text, -1);
	return l;
}

static double
layout_h(PangoLayout *l)
{
	int w, h;

	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void
page_number(struct pdf *p)
{
	char n[16];
	PangoLayout *l;

	snprintf(n, sizeof(n), "%d", p->page);
	l = layout(p, n, 7.5, 0, WIDTH, PANGO_ALIGN_CENTER);
	cairo_set_source_rgb(p->cr, 0.4, 0.4, 0.4);
	cairo_move_to(p->cr, MARGIN, PAGE_H - MARGIN);
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
}

static void
new_page(struct pdf *p)
{
	page_number(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
}

/* Room for `h` more points on this page, or a new page. */
static void
need(struct pdf *p, double h)
{
	if (p->y + h > BOTTOM && p->y > MARGIN)
		new_page(p);
}

/* A paragraph across the page. */
static void
para(struct pdf *p, const char *text, double size, int bold, double after)
{
	PangoLayout *l = layout(p, text, size, bold, WIDTH, PANGO_ALIGN_LEFT);
	double h = layout_h(l);

	need(p, h);
	cairo_set_source_rgb(p->cr, 0.13, 0.13, 0.13);
	cairo_move_to(p->cr, MARGIN, p->y);
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
	p->y += h + after;
}

static void
heading(struct pdf *p, const char *text)
{
	/* a heading never stays alone at the bottom of a page */
	need(p, 60);
	p->y += 8;
	para(p, text, 11, 1, 1);
	cairo_set_source_rgb(p->cr, 0.6, 0.6, 0.6);
	cairo_set_line_width(p->cr, 0.6);
	cairo_move_to(p->cr, MARGIN, p->y);
	cairo_line_to(p->cr, MARGIN + WIDTH, p->y);
	cairo_stroke(p->cr);
	p->y += 5;
}

/* ---- tables ---- */

#define MAXCOLS 12

struct ptable {
	size_t ncols;
	const double *w;        /* widths, points */
	const int *right;
	size_t pct;             /* the availability column, red when low */
	const char *head[MAXCOLS];
};

enum { ROW_PLAIN, ROW_HEAD, ROW_GROUP, ROW_BELOW };

static void
row(struct pdf *p, const struct ptable *t, const char *const *cells,
    int kind);

static double
row_height(struct pdf *p, const struct ptable *t, const char *const *cells,
    int kind, PangoLayout **l)
{
	double h = 0, size = 6.5;

	for (size_t c = 0; c < t->ncols; c++) {
		l[c] = NULL;
		if (kind == ROW_GROUP && c > 0)
			continue;
		l[c] = layout(p, cells[c] ? cells[c] : "", size,
		    kind == ROW_HEAD || kind == ROW_GROUP,
		    (kind == ROW_GROUP ? WIDTH : t->w[c]) - 2 * PAD,
		    kind == ROW_HEAD ? PANGO_ALIGN_CENTER : t->right[c] ?
		    PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
		if (layout_h(l[c]) > h)
			h = layout_h(l[c]);
	}
	return h + 2 * PAD;
}

static void
row(struct pdf *p, const struct ptable *t, const char *const *cells,
    int kind)
{
	PangoLayout *l[MAXCOLS];
	double h = row_height(p, t, cells, kind, l), x = MARGIN;

	if (kind != ROW_HEAD && p->y + h > BOTTOM) {
		new_page(p);
		row(p, t, t->head, ROW_HEAD);
	}
	for (size_t c = 0; c < t->ncols; c++) {
		double w = kind == ROW_GROUP ? WIDTH : t->w[c];

		if (kind == ROW_HEAD)
			cairo_set_source_rgb(p->cr, 0.93, 0.945, 0.957);
		else if (kind == ROW_GROUP)
			cairo_set_source_rgb(p->cr, 0.965, 0.965, 0.965);
		else if (kind == ROW_BELOW)
			cairo_set_source_rgb(p->cr, 0.992, 0.886, 0.886);
		else
			cairo_set_source_rgb(p->cr, 1, 1, 1);
		cairo_rectangle(p->cr, x, p->y, w, h);
		cairo_fill_preserve(p->cr);
		cairo_set_source_rgb(p->cr, 0.73, 0.73, 0.73);
		cairo_set_line_width(p->cr, 0.4);
		cairo_stroke(p->cr);
		if (l[c]) {
			if (kind == ROW_BELOW && c == t->pct)
				cairo_set_source_rgb(p->cr, 0.7, 0, 0);
			else
				cairo_set_source_rgb(p->cr, 0.13, 0.13, 0.13);
			cairo_move_to(p->cr, x + PAD, p->y + PAD);
			pango_cairo_show_layout(p->cr, l[c]);
			g_object_unref(l[c]);
		}
		if (kind == ROW_GROUP)
			break;
		x += w;
	}
	p->y += h;
}

static void
table_start(struct pdf *p, const struct ptable *t)
{
	PangoLayout *l[MAXCOLS];
	double h = row_height(p, t, t->head, ROW_HEAD, l);

	for (size_t c = 0; c < t->ncols; c++)
		if (l[c])
			g_object_unref(l[c]);
	need(p, h + 30);	/* the head and a row or two together */
	row(p, t, t->head, ROW_HEAD);
}

static void
figure_cells(const char **v, const struct report_cells *c, char *pct,
    size_t len, int lat)
{
	snprintf(pct, len, "%s%s", c->pct, c->below ? " *" : "");
	v[0] = pct;
	v[1] = c->mon;
	v[2] = c->maint;
	v[3] = c->down;
	v[4] = c->unr;
	v[5] = c->nd;
	v[6] = c->n;
	v[7] = c->longest;
	v[8] = c->mttr;
	if (lat) {
		v[9] = c->lat;
		v[10] = c->loss;
	}
}

static const int fig_heads[] = { M_R_AVAILABILITY, M_R_MONITORED,
	M_R_MAINTENANCE, M_R_DOWN, M_R_UNREACHABLE, M_R_NODATA, M_R_OUTAGES_N,
	M_R_LONGEST, M_R_MTTR, M_R_LATENCY, M_R_LOSS };

static void
pdf_targets(struct pdf *p)
{
	static const double w[12] = { 113.2, 45, 40, 38, 38, 38, 38, 24, 38,
		38, 38, 35 };
	static const int right[12] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	const struct report *r = p->r;
	int lang = r->language;
	struct ptable t = { 12, w, right, 1, { NULL } };

	heading(p, i18n(lang, M_R_SUMMARY));
	t.head[0] = i18n(lang, M_TARGET);
	for (size_t k = 0; k < 11; k++)
		t.head[1 + k] = i18n(lang, fig_heads[k]);
	table_start(p, &t);
	for (size_t g = 0; g < r->ngroups; g++) {
		char *gh = xasprintf("%s: %s", i18n(lang, M_R_GROUP),
		    report_fmt_group(lang, r->groups[g].name));
		const char *gv[12] = { gh };

		row(p, &t, gv, ROW_GROUP);
		free(gh);
		for (size_t i = 0; i < r->ntargets; i++) {
			const struct report_target *rt = &r->targets[i];
			struct report_cells c;
			const char *v[12];
			char pct[64];

			if (rt->group_idx != g)
				continue;
			report_fmt_cells(r, &rt->f, &c);
			v[0] = rt->name;
			figure_cells(v + 1, &c, pct, sizeof(pct), 1);
			row(p, &t, v, c.below ? ROW_BELOW : ROW_PLAIN);
		}
	}
}

static void
pdf_groups(struct pdf *p)
{
	static const double w[11] = { 123.2, 32, 46, 40, 40, 40, 40, 40, 30,
		46, 46 };
	static const int right[11] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	const struct report *r = p->r;
	int lang = r->language;
	struct ptable t = { 11, w, right, 2, { NULL } };

	heading(p, i18n(lang, M_R_GROUPS));
	t.head[0] = i18n(lang, M_R_GROUP);
	t.head[1] = i18n(lang, M_R_TARGETS);
	for (size_t k = 0; k < 9; k++)
		t.head[2 + k] = i18n(lang, fig_heads[k]);
	table_start(p, &t);
	for (size_t g = 0; g < r->ngroups; g++) {
		const struct report_group *gr = &r->groups[g];
		struct report_cells c;
		const char *v[11];
		char pct[64], n[16];

		report_fmt_cells(r, &gr->f, &c);
		snprintf(n, sizeof(n), "%zu", gr->ntargets);
		v[0] = report_fmt_group(lang, gr->name);
		v[1] = n;
		figure_cells(v + 2, &c, pct, sizeof(pct), 0);
		row(p, &t, v, c.below ? ROW_BELOW : ROW_PLAIN);
	}
}

static void
pdf_outages(struct pdf *p)
{
	static const double w[9] = { 62, 78, 78, 36, 36, 58, 30, 70, 75.2 };
	static const int right[9] = { 0, 1, 1, 1, 1, 0, 0, 0, 0 };
	const struct report *r = p->r;
	int lang = r->language;
	struct ptable t = { 9, w, right, 99, { i18n(lang, M_TARGET),
		i18n(lang, M_R_START), i18n(lang, M_R_END),
		i18n(lang, M_R_DURATION), i18n(lang, M_R_COUNTED),
		i18n(lang, M_R_KIND), i18n(lang, M_R_ACKED),
		i18n(lang, M_R_HINT), i18n(lang, M_R_NOTE) } };
	size_t n = 0;

	heading(p, i18n(lang, M_R_OUTAGE_LIST));
	for (size_t i = 0; i < r->ntargets; i++)
		n += r->targets[i].noutages;
	if (n == 0) {
		para(p, i18n(lang, M_R_NO_OUTAGES), 9, 0, 4);
		return;
	}
	table_start(p, &t);
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *rt = &r->targets[i];

		for (size_t k = 0; k < rt->noutages; k++) {
			struct report_outage_cells c;
			const char *v[9] = { rt->name, c.start, c.end,
				c.duration, c.counted, c.kind, NULL, c.hint,
				c.note };

			report_fmt_outage_cells(lang, &rt->outages[k], &c);
			v[6] = c.acked;
			row(p, &t, v, ROW_PLAIN);
		}
	}
}

/* ---- graphs ---- */

struct png_in {
	const unsigned char *p;
	size_t len, off;
};

static cairo_status_t
png_read(void *arg, unsigned char *data, unsigned int len)
{
	struct png_in *in = arg;

	if (in->len - in->off < len)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, in->p + in->off, len);
	in->off += len;
	return CAIRO_STATUS_SUCCESS;
}

/* The bar's colours, as the HTML's. */
static const double c_up[3] = { 0.827, 0.941, 0.855 };
static const double c_down[3] = { 0.878, 0.192, 0.192 };
static const double c_unr[3] = { 0.941, 0.549, 0 };
static const double c_maint[3] = { 0.647, 0.847, 1 };
static const double c_nodata[3] = { 0.812, 0.812, 0.812 };

static void
rgb(cairo_t *cr, const double c[3])
{
	cairo_set_source_rgb(cr, c[0], c[1], c[2]);
}

static void
timeline_spans(struct pdf *p, const struct report_target *t,
    enum report_span_kind kind, double h)
{
	const struct report *r = p->r;
	double span = (double)(r->end - r->start);

	rgb(p->cr, kind == RS_NODATA ? c_nodata : c_maint);
	for (size_t k = 0; k < t->nspans; k++) {
		const struct report_span *sp = &t->spans[k];
		double w = WIDTH * (double)(sp->end - sp->start) / span;

		if (sp->kind != kind)
			continue;
		cairo_rectangle(p->cr, MARGIN + WIDTH * (double)(sp->start -
		    r->start) / span, p->y, w < 0.8 ? 0.8 : w, h);
	}
	cairo_fill(p->cr);
}

/* What the bar's colours mean, one line. */
static void
timeline_key(struct pdf *p)
{
	static const struct {
		const double *c;
		int msg;
	} keys[] = {
		{ c_up, M_R_UP }, { c_down, M_R_DOWN },
		{ c_unr, M_R_UNREACHABLE }, { c_maint, M_R_MAINTENANCE },
		{ c_nodata, M_R_NODATA },
	};
	double x = MARGIN, size = 7.5;

	need(p, 12);
	for (size_t i = 0; i < nitems(keys); i++) {
		PangoLayout *l = layout(p, i18n(p->r->language, keys[i].msg),
		    size, 0, 0, PANGO_ALIGN_LEFT);
		int w, h;

		pango_layout_get_size(l, &w, &h);
		rgb(p->cr, keys[i].c);
		cairo_rectangle(p->cr, x, p->y + 2, 8, 6);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0.13, 0.13, 0.13);
		cairo_move_to(p->cr, x + 11, p->y);
		pango_cairo_show_layout(p->cr, l);
		g_object_unref(l);
		x += 11 + (double)w / PANGO_SCALE + 12;
	}
	p->y += 14;
}

/* The month as one bar, as in the HTML. */
static void
timeline(struct pdf *p, const struct report_target *t)
{
	const struct report *r = p->r;
	double span = (double)(r->end - r->start), h = 10;
	cairo_t *cr = p->cr;

	rgb(cr, c_up);
	cairo_rectangle(cr, MARGIN, p->y, WIDTH, h);
	cairo_fill(cr);
	if (r->period_end < r->end) {
		rgb(cr, c_nodata);
		cairo_rectangle(cr, MARGIN + WIDTH * (double)(r->period_end -
		    r->start) / span, p->y, WIDTH * (double)(r->end -
		    r->period_end) / span, h);
		cairo_fill(cr);
	}
	timeline_spans(p, t, RS_MAINTENANCE, h);
	for (size_t k = 0; k < t->noutages; k++) {
		const struct report_outage *o = &t->outages[k];
		double w = WIDTH * (double)(o->end - o->start) / span;

		rgb(cr, o->kind == RK_DOWN ? c_down : c_unr);
		cairo_rectangle(cr, MARGIN + WIDTH * (double)(o->start -
		    r->start) / span, p->y, w < 0.8 ? 0.8 : w, h);
		cairo_fill(cr);
	}
	timeline_spans(p, t, RS_NODATA, h);
	cairo_set_source_rgb(cr, 0.53, 0.53, 0.53);
	for (int d = 1; d * 86400.0 < span; d++)
		cairo_rectangle(cr, MARGIN + WIDTH * d * 86400.0 / span,
		    p->y + h - 2.5, 0.4, 2.5);
	cairo_fill(cr);
	p->y += h + 3;
}

static void
pdf_graphs(struct pdf *p, const struct conf *c)
{
	const struct report *r = p->r;
	int lang = r->language;

	heading(p, i18n(lang, M_GRAPHS));
	timeline_key(p);
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];
		struct report_cells cells;
		struct png_in in = { NULL, 0, 0 };
		cairo_surface_t *img = NULL;
		double scale = 0, gh = 0;
		char *cap;

		in.p = report_graph(r, c, i, &in.len);
		if (in.p) {
			img = cairo_image_surface_create_from_png_stream(
			    png_read, &in);
			if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
				log_warnx("report pdf: graph of %s: %s", t->id,
				    cairo_status_to_string(
				    cairo_surface_status(img)));
				cairo_surface_destroy(img);
				img = NULL;
			} else {
				scale = WIDTH /
				    cairo_image_surface_get_width(img);
				gh = cairo_image_surface_get_height(img) *
				    scale + 8;
			}
		}
		report_fmt_cells(r, &t->f, &cells);
		cap = xasprintf("%s – %s %s", t->name, i18n(lang,
		    M_R_AVAILABILITY), cells.pct);
		need(p, 30 + gh);
		para(p, cap, 8.5, 1, 2);
		free(cap);
		timeline(p, t);
		if (img) {
			cairo_save(p->cr);
			cairo_translate(p->cr, MARGIN, p->y);
			cairo_scale(p->cr, scale, scale);
			cairo_set_source_surface(p->cr, img, 0, 0);
			cairo_paint(p->cr);
			cairo_restore(p->cr);
			cairo_surface_destroy(img);
			p->y += gh;
		} else
			p->y += 6;
		free((void *)in.p);
	}
}

/* ---- the document ---- */

static void
pdf_head(struct pdf *p)
{
	const struct report *r = p->r;
	int lang = r->language;
	char m[16], from[40], to[40], len[24], *s;

	para(p, i18n(lang, M_R_TITLE), 15, 1, 3);
	if (*r->district)
		para(p, r->district, 12, 1, 3);
	report_fmt_month(r, m, sizeof(m));
	s = xasprintf("%s %s", i18n(lang, M_R_MONTH), m);
	para(p, s, 9.5, 1, 2);
	free(s);
	i18n_datetime(lang, r->start, from, sizeof(from));
	i18n_datetime(lang, r->end, to, sizeof(to));
	report_fmt_hms((long)(r->end - r->start), len, sizeof(len));
	s = xasprintf("%s: %s – %s (%s), %s %s", i18n(lang, M_R_PERIOD), from,
	    to, len, i18n(lang, M_R_TIMEZONE), r->timezone);
	para(p, s, 8.5, 0, 2);
	free(s);
	if (r->partial) {
		i18n_datetime_sec(lang, r->period_end, to, sizeof(to));
		s = xasprintf("(%s %s)", i18n(lang, M_R_SO_FAR), to);
		para(p, s, 8.5, 0, 2);
		free(s);
	}
}

static void
pdf_foot(struct pdf *p)
{
	const struct report *r = p->r;
	char sla[64], now[40], *s;

	p->y += 10;
	report_fmt_sla(r, sla, sizeof(sla));
	s = xasprintf("* %s", sla);
	para(p, s, 7.5, 0, 2);
	free(s);
	para(p, i18n(r->language, M_R_LEGEND), 7.5, 0, 2);
	i18n_datetime(r->language, time(NULL), now, sizeof(now));
	s = xasprintf("%s %s · tramon %s", i18n(r->language, M_R_GENERATED),
	    now, PACKAGE_VERSION);
	para(p, s, 7.5, 0, 2);
	free(s);
}

unsigned char *
report_pdf(const struct report *r, const struct conf *c, size_t *len)
{
	struct pdf p = { .r = r, .y = MARGIN, .page = 1 };
	struct tz_save z;
	cairo_status_t st;
	char m[16], *title;

	*len = 0;
	buf_init(&p.out);
	p.s = cairo_pdf_surface_create_for_stream(pdf_write, &p.out, PAGE_W,
	    PAGE_H);
	report_fmt_month(r, m, sizeof(m));
	title = xasprintf("%s%s%s – %s", i18n(r->language, M_R_TITLE),
	    *r->district ? " – " : "", r->district, m);
	cairo_pdf_surface_set_metadata(p.s, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(p.s, CAIRO_PDF_METADATA_CREATOR,
	    "tramon " PACKAGE_VERSION);
	free(title);
	p.cr = cairo_create(p.s);
	tz_enter(&z, r->timezone);
	pdf_head(&p);
	pdf_targets(&p);
	pdf_groups(&p);
	pdf_outages(&p);
	pdf_graphs(&p, c);
	pdf_foot(&p);
	tz_leave(&z);
	page_number(&p);
	cairo_show_page(p.cr);
	st = cairo_status(p.cr);
	cairo_destroy(p.cr);
	cairo_surface_finish(p.s);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(p.s);
	cairo_surface_destroy(p.s);
	if (st != CAIRO_STATUS_SUCCESS) {
		log_warnx("report pdf: %s", cairo_status_to_string(st));
		buf_free(&p.out);
		return NULL;
	}
	*len = p.out.len;
	return (unsigned char *)p.out.p;
}
