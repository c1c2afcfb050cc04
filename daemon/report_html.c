/*
 * Monthly reports: the printable HTML document, and what it shares with
 * the PDF (report_doc.h): the table cells and the month's graphs.
 *
 * One file that stands alone (it is mailed and archived): the style is
 * inline, the graphs are data: URIs.  Every string from the
 * configuration (district, names, groups, ids) goes through buf_html().
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "graph.h"
#include "i18n.h"
#include "log.h"
#include "mailmsg.h"
#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "store.h"
#include "util.h"
#include "webpage.h"

/* ---- shared with the PDF ---- */


/* ---- the month's latency graph ---- */

/*
 * Drawn by graph.c (its lock, its rrdtool child) into a private
 * temporary directory and read back: the documents embed the PNG.
 */
unsigned char *
report_graph(const struct report *r, const struct conf *c, size_t i,
    size_t *len)
{
	const struct report_target *t = &r->targets[i];
	const char *tmp = getenv("TMPDIR");
	char *rrd, *dir, *png_path;
	unsigned char *png = NULL;

	*len = 0;
	if (c == NULL || c->state_dir == NULL || (r->stop &&
	    atomic_load(r->stop)))
		return NULL;
	rrd = store_path(c, t->id);
	if (!store_rrd_exists(rrd)) {
		free(rrd);
		return NULL;	/* not a ping/tcp/http target, or new */
	}
	dir = xasprintf("%s/tramon-report.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		log_warn("report graph: mkdtemp %s", dir);
		free(dir);
		free(rrd);
		return NULL;
	}
	png_path = xasprintf("%s/graph.png", dir);
	struct graph_req g = {
		.rrd = rrd, .name = t->name, .smoke = 0,
		.lang = r->language, .end = r->period_end,
	};
	if (graph_render_span(&g, r->start, REPORT_GRAPH_W, REPORT_GRAPH_H,
	    png_path) == 0)
		png = (unsigned char *)file_read(png_path, len);
	unlink(png_path);
	rmdir(dir);
	free(png_path);
	free(dir);
	free(rrd);
	return png;
}

/* ---- HTML ---- */

static const char style[] =
	"@page{size:A4;margin:14mm 12mm 16mm 12mm}\n"
	"*{box-sizing:border-box}\n"
	"body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:9pt;"
	"color:#222;margin:0 auto;max-width:186mm}\n"
	"h1{font-size:15pt;margin:0 0 2mm}\n"
	"h2{font-size:11.5pt;margin:6mm 0 2mm;border-bottom:1px solid #999;"
	"break-after:avoid;page-break-after:avoid}\n"
	".district{font-size:12pt;font-weight:bold;margin:0 0 1mm}\n"
	".meta{margin:0 0 1mm}\n"
	"table{border-collapse:collapse;width:100%;font-size:7.5pt}\n"
	"th,td{border:1px solid #bbb;padding:1mm 1.2mm;vertical-align:top}\n"
	"thead th{background:#eef1f4;text-align:center}\n"
	"thead{display:table-header-group}\n"
	"tr{break-inside:avoid;page-break-inside:avoid}\n"
	"td.n{text-align:right;white-space:nowrap}\n"
	"tr.group th{background:#f6f6f6;text-align:left}\n"
	"tr.below td{background:#fde2e2}\n"
	"tr.below td.pct{font-weight:bold;color:#b00}\n"
	"td.nodata{color:#666;font-style:italic}\n"
	".partial{color:#b00}\n"
	"figure{margin:0 0 5mm;break-inside:avoid;page-break-inside:avoid}\n"
	"figcaption{font-weight:bold;margin-bottom:1mm}\n"
	"figure img{width:100%;height:auto;display:block}\n"
	"svg.line{width:100%;height:5mm;display:block;margin-bottom:1mm}\n"
	".key span{display:inline-block;width:3mm;height:3mm;"
	"margin:0 1mm 0 3mm;vertical-align:middle}\n"
	"footer{margin-top:6mm;font-size:8pt;color:#444}\n"
	"@media print{body{max-width:none}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

#define C_OUT_DOWN "#e03131"
#define C_OUT_UNR "#f08c00"
#define C_MAINT "#a5d8ff"
#define C_UP "#d3f0da"
#define C_NODATA "#cfcfcf"

static void
html_head(struct buf *b, const struct report *r)
{
	int lang = r->language;
	char m[16], from[40], to[40], len[24];

	report_fmt_month(r, m, sizeof(m));
	/* the empty icon: a browser opening the published copy asks no
	 * /favicon.ico of the server (a 404 in its console) */
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<link rel=\"icon\" href=\"data:,\">\n<title>", i18n_code(lang));
	buf_html(b, i18n(lang, M_R_TITLE));
	if (*r->district) {
		buf_add(b, " – ");
		buf_html(b, r->district);
	}
	buf_printf(b, " – %s</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<header>\n<h1>", m, style);
	buf_html(b, i18n(lang, M_R_TITLE));
	buf_add(b, "</h1>\n");
	if (*r->district) {
		buf_add(b, "<p class=\"district\">");
		buf_html(b, r->district);
		buf_add(b, "</p>\n");
	}
	buf_add(b, "<p class=\"meta\">");
	buf_html(b, i18n(lang, M_R_MONTH));
	buf_printf(b, " <b>%s</b></p>\n", m);
	i18n_datetime(lang, r->start, from, sizeof(from));
	i18n_datetime(lang, r->end, to, sizeof(to));
	report_fmt_hms((long)(r->end - r->start), len, sizeof(len));
	buf_add(b, "<p class=\"meta\">");
	buf_html(b, i18n(lang, M_R_PERIOD));
	buf_printf(b, ": %s – %s (%s), ", from, to, len);
	buf_html(b, i18n(lang, M_R_TIMEZONE));
	buf_add(b, " ");
	buf_html(b, r->timezone);
	buf_add(b, "</p>\n");
	if (r->partial) {
		i18n_datetime_sec(lang, r->period_end, to, sizeof(to));
		buf_add(b, "<p class=\"meta partial\">(");
		buf_html(b, i18n(lang, M_R_SO_FAR));
		buf_printf(b, " %s)</p>\n", to);
	}
	buf_add(b, "</header>\n");
}

static void
th(struct buf *b, int m, int lang)
{
	buf_add(b, "<th scope=\"col\">");
	buf_html(b, i18n(lang, m));
	buf_add(b, "</th>");
}

static void
td_n(struct buf *b, const char *cls, const char *s)
{
	buf_printf(b, "<td class=\"n%s%s\">", cls ? " " : "", cls ? cls : "");
	buf_html(b, s);
	buf_add(b, "</td>");
}

/* The figures from availability on; `lat`: with latency and loss. */
static void
figure_tds(struct buf *b, const struct report_figures *f,
    const struct report_cells *c, int lat)
{
	buf_printf(b, "<td class=\"n pct\">%s%s</td>", c->pct,
	    c->below ? " *" : "");
	td_n(b, NULL, c->mon);
	td_n(b, NULL, c->maint);
	td_n(b, NULL, c->down);
	td_n(b, NULL, c->unr);
	td_n(b, f->nodata > 0 ? "nodata" : NULL, c->nd);
	td_n(b, NULL, c->n);
	td_n(b, NULL, c->longest);
	td_n(b, NULL, c->mttr);
	if (lat) {
		td_n(b, NULL, c->lat);
		td_n(b, NULL, c->loss);
	}
}

static void
figure_ths(struct buf *b, int lang, int lat)
{
	static const int m[] = { M_R_AVAILABILITY, M_R_MONITORED,
		M_R_MAINTENANCE, M_R_DOWN, M_R_UNREACHABLE, M_R_NODATA,
		M_R_OUTAGES_N, M_R_LONGEST, M_R_MTTR, M_R_LATENCY, M_R_LOSS };

	for (size_t k = 0; k < nitems(m) - (lat ? 0 : 2); k++)
		th(b, m[k], lang);
}

static void
html_targets(struct buf *b, const struct report *r)
{
	int lang = r->language;

	buf_add(b, "<section>\n<h2>");
	buf_html(b, i18n(lang, M_R_SUMMARY));
	buf_add(b, "</h2>\n<table>\n<thead><tr>");
	th(b, M_TARGET, lang);
	figure_ths(b, lang, 1);
	buf_add(b, "</tr></thead>\n");
	for (size_t g = 0; g < r->ngroups; g++) {
		buf_add(b, "<tbody>\n<tr class=\"group\"><th colspan=\"12\" "
		    "scope=\"rowgroup\">");
		buf_html(b, i18n(lang, M_R_GROUP));
		buf_add(b, ": ");
		buf_html(b, report_fmt_group(lang, r->groups[g].name));
		buf_add(b, "</th></tr>\n");
		for (size_t i = 0; i < r->ntargets; i++) {
			const struct report_target *t = &r->targets[i];
			struct report_cells c;

			if (t->group_idx != g)
				continue;
			report_fmt_cells(r, &t->f, &c);
			buf_printf(b, "<tr%s><td>", c.below ?
			    " class=\"below\"" : "");
			buf_html(b, t->name);
			buf_add(b, "</td>");
			figure_tds(b, &t->f, &c, 1);
			buf_add(b, "</tr>\n");
		}
		buf_add(b, "</tbody>\n");
	}
	buf_add(b, "</table>\n</section>\n");
}

static void
html_groups(struct buf *b, const struct report *r)
{
	int lang = r->language;

	buf_add(b, "<section>\n<h2>");
	buf_html(b, i18n(lang, M_R_GROUPS));
	buf_add(b, "</h2>\n<table>\n<thead><tr>");
	th(b, M_R_GROUP, lang);
	th(b, M_R_TARGETS, lang);
	figure_ths(b, lang, 0);
	buf_add(b, "</tr></thead>\n<tbody>\n");
	for (size_t g = 0; g < r->ngroups; g++) {
		const struct report_group *gr = &r->groups[g];
		struct report_cells c;

		report_fmt_cells(r, &gr->f, &c);
		buf_printf(b, "<tr%s><td>", c.below ? " class=\"below\"" : "");
		buf_html(b, report_fmt_group(lang, gr->name));
		buf_printf(b, "</td><td class=\"n\">%zu</td>", gr->ntargets);
		figure_tds(b, &gr->f, &c, 0);
		buf_add(b, "</tr>\n");
	}
	buf_add(b, "</tbody>\n</table>\n</section>\n");
}

static void
html_outages(struct buf *b, const struct report *r)
{
	int lang = r->language;
	size_t n = 0;

	buf_add(b, "<section>\n<h2>");
	buf_html(b, i18n(lang, M_R_OUTAGE_LIST));
	buf_add(b, "</h2>\n");
	for (size_t i = 0; i < r->ntargets; i++)
		n += r->targets[i].noutages;
	if (n == 0) {
		buf_add(b, "<p>");
		buf_html(b, i18n(lang, M_R_NO_OUTAGES));
		buf_add(b, "</p>\n</section>\n");
		return;
	}
	buf_add(b, "<table>\n<thead><tr>");
	th(b, M_TARGET, lang);
	th(b, M_R_START, lang);
	th(b, M_R_END, lang);
	th(b, M_R_DURATION, lang);
	th(b, M_R_COUNTED, lang);
	th(b, M_R_KIND, lang);
	th(b, M_R_ACKED, lang);
	th(b, M_R_HINT, lang);
	th(b, M_R_NOTE, lang);
	buf_add(b, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];

		for (size_t k = 0; k < t->noutages; k++) {
			const struct report_outage *o = &t->outages[k];
			struct report_outage_cells c;

			report_fmt_outage_cells(lang, o, &c);
			buf_add(b, "<tr><td>");
			buf_html(b, t->name);
			buf_add(b, "</td>");
			td_n(b, NULL, c.start);
			td_n(b, NULL, c.end);
			td_n(b, NULL, c.duration);
			td_n(b, NULL, c.counted);
			buf_add(b, "<td>");
			buf_html(b, c.kind);
			buf_add(b, "</td><td>");
			buf_html(b, c.acked);
			buf_add(b, "</td><td>");
			buf_html(b, c.hint);
			buf_printf(b, "</td><td%s>", o->nodata > 0 ?
			    " class=\"nodata\"" : "");
			buf_html(b, c.note);
			buf_add(b, "</td></tr>\n");
		}
	}
	buf_add(b, "</tbody>\n</table>\n</section>\n");
}

static void
html_spans(struct buf *b, const struct report *r,
    const struct report_target *t, enum report_span_kind kind)
{
	double span = (double)(r->end - r->start);

	for (size_t k = 0; k < t->nspans; k++) {
		const struct report_span *sp = &t->spans[k];
		double w = 1000 * (double)(sp->end - sp->start) / span;

		if (sp->kind != kind)
			continue;
		buf_printf(b, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" "
		    "height=\"20\" fill=\"%s\"/>",
		    1000 * (double)(sp->start - r->start) / span,
		    w < 1.5 ? 1.5 : w, kind == RS_NODATA ? C_NODATA : C_MAINT);
	}
}

/* The month as one bar: up green, maintenance blue, each outage where
 * it was (down red, only unreachable orange), no data grey over all. */
static void
html_line(struct buf *b, const struct report *r,
    const struct report_target *t)
{
	double span = (double)(r->end - r->start);

	buf_add(b, "<svg class=\"line\" viewBox=\"0 0 1000 20\" "
	    "preserveAspectRatio=\"none\" xmlns=\"http://www.w3.org/2000/svg\">"
	    "<rect x=\"0\" y=\"0\" width=\"1000\" height=\"20\" "
	    "fill=\"" C_UP "\"/>");
	if (r->period_end < r->end)
		buf_printf(b, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" "
		    "height=\"20\" fill=\"%s\"/>",
		    1000 * (double)(r->period_end - r->start) / span,
		    1000 * (double)(r->end - r->period_end) / span, C_NODATA);
	html_spans(b, r, t, RS_MAINTENANCE);
	for (size_t k = 0; k < t->noutages; k++) {
		const struct report_outage *o = &t->outages[k];
		double x = 1000 * (double)(o->start - r->start) / span;
		double w = 1000 * (double)(o->end - o->start) / span;

		buf_printf(b, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" "
		    "height=\"20\" fill=\"%s\"/>", x, w < 1.5 ? 1.5 : w,
		    o->kind == RK_DOWN ? C_OUT_DOWN : C_OUT_UNR);
	}
	html_spans(b, r, t, RS_NODATA);
	for (int d = 1; d * 86400.0 < span; d++)	/* day ticks */
		buf_printf(b, "<rect x=\"%.2f\" y=\"16\" width=\"0.6\" "
		    "height=\"4\" fill=\"#888\"/>", 1000 * d * 86400.0 / span);
	buf_add(b, "</svg>\n");
}

static void
html_graphs(struct buf *b, const struct report *r, const struct conf *c)
{
	int lang = r->language;

	buf_add(b, "<section>\n<h2>");
	buf_html(b, i18n(lang, M_GRAPHS));
	buf_printf(b, "</h2>\n<p class=\"key\"><span style=\"background:%s\">"
	    "</span>", C_UP);
	buf_html(b, i18n(lang, M_R_UP));
	buf_printf(b, "<span style=\"background:%s\"></span>", C_OUT_DOWN);
	buf_html(b, i18n(lang, M_R_DOWN));
	buf_printf(b, "<span style=\"background:%s\"></span>", C_OUT_UNR);
	buf_html(b, i18n(lang, M_R_UNREACHABLE));
	buf_printf(b, "<span style=\"background:%s\"></span>", C_MAINT);
	buf_html(b, i18n(lang, M_R_MAINTENANCE));
	buf_printf(b, "<span style=\"background:%s\"></span>", C_NODATA);
	buf_html(b, i18n(lang, M_R_NODATA));
	buf_add(b, "</p>\n");
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];
		struct report_cells cells;
		unsigned char *png;
		char *b64;
		size_t len, blen;

		report_fmt_cells(r, &t->f, &cells);
		buf_add(b, "<figure>\n<figcaption>");
		buf_html(b, t->name);
		buf_printf(b, " – %s %s</figcaption>\n", i18n(lang,
		    M_R_AVAILABILITY), cells.pct);
		html_line(b, r, t);
		if ((png = report_graph(r, c, i, &len)) != NULL) {
			b64 = mail_base64(png, len, &blen);
			buf_add(b, "<img alt=\"");
			buf_html(b, i18n(lang, M_G_LATENCY_GRAPH));
			buf_add(b, ": ");
			buf_html(b, t->name);
			buf_printf(b, "\" width=\"%d\" height=\"%d\" "
			    "src=\"data:image/png;base64,", REPORT_GRAPH_W,
			    REPORT_GRAPH_H);
			/* the base64 of mails has line breaks: not in a URI */
			for (size_t k = 0; k < blen; k++)
				if (b64[k] != '\r' && b64[k] != '\n')
					buf_addn(b, &b64[k], 1);
			buf_add(b, "\">\n");
			free(b64);
			free(png);
		}
		buf_add(b, "</figure>\n");
	}
	buf_add(b, "</section>\n");
}

char *
report_html(const struct report *r, const struct conf *c, size_t *len)
{
	struct buf b;
	struct tz_save z;
	char sla[64], now[40];

	buf_init(&b);
	tz_enter(&z, r->timezone);
	html_head(&b, r);
	html_targets(&b, r);
	html_groups(&b, r);
	html_outages(&b, r);
	html_graphs(&b, r, c);
	report_fmt_sla(r, sla, sizeof(sla));
	buf_add(&b, "<footer>\n<p>* ");
	buf_html(&b, sla);
	buf_add(&b, "</p>\n<p>");
	buf_html(&b, i18n(r->language, M_R_LEGEND));
	i18n_datetime(r->language, time(NULL), now, sizeof(now));
	buf_add(&b, "</p>\n<p>");
	buf_html(&b, i18n(r->language, M_R_GENERATED));
	buf_printf(&b, " %s · tramon %s</p>\n</footer>\n</body>\n</html>\n",
	    now, PACKAGE_VERSION);
	tz_leave(&z);
	if (len)
		*len = b.len;
	return b.p;
}
