#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rrd.h>

#include "conf.h"
#include "graph.h"
#include "i18n.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* rrd_graph_v is not reentrant on librrd 1.7 (see graph.h); the same
 * lock guards the rrdtool child below. */
static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;

#ifndef RRDTOOL_PROG
#define RRDTOOL_PROG	"rrdtool"	/* found on PATH */
#endif

static const struct {
	const char *name;
	long seconds;
	long redraw;		/* seconds between redraws; 0 = every time */
	int long_cf;		/* min/max bands from the MIN/MAX RRAs */
	const char *xgrid[2];	/* vi, en: explicit, so no locale is needed */
} ranges[GR_COUNT] = {
	[GR_3H] = { "3h", 3 * 3600, 0, 0, {
	    "MINUTE:10:MINUTE:30:MINUTE:30:0:%H:%M",
	    "MINUTE:10:MINUTE:30:MINUTE:30:0:%H:%M" } },
	[GR_1D] = { "1d", 86400, 300, 0, {
	    "HOUR:1:HOUR:3:HOUR:3:0:%H:%M",
	    "HOUR:1:HOUR:3:HOUR:3:0:%H:%M" } },
	[GR_7D] = { "7d", 7 * 86400, 1800, 0, {
	    "HOUR:6:DAY:1:DAY:1:86400:%d/%m",
	    "HOUR:6:DAY:1:DAY:1:86400:%b %d" } },
	[GR_30D] = { "30d", 30 * 86400, 7200, 1, {
	    "DAY:1:WEEK:1:WEEK:1:0:%d/%m",
	    "DAY:1:WEEK:1:WEEK:1:0:%b %d" } },
	[GR_1Y] = { "1y", 365 * 86400, 43200, 1, {
	    "MONTH:1:MONTH:1:MONTH:2:0:%m/%Y",
	    "MONTH:1:MONTH:1:MONTH:2:0:%b %Y" } },
};

#define GRAPH_W		680	/* whole image (--full-size-mode) */
#define GRAPH_H		240
#define SPARK_W		120
#define SPARK_H		28

/* Colours: calm greys for the smoke, the usual traffic-light set for
 * the median by loss; backgrounds light enough not to hide the data. */
#define C_NODATA	"#EDEDED"
#define C_DOWN		"#FFD5D5"
#define C_BAND_MINMAX	"#E4EAF1"
#define C_BAND_90	"#CAD5E1"
#define C_BAND_80	"#ADBDCF"
#define C_BAND_50	"#8FA5BD"
#define C_LOSS0		"#2B8A3E"
#define C_LOSS2		"#1C7ED6"
#define C_LOSS10	"#F08C00"
#define C_LOSSHI	"#E03131"
#define C_LOSS_AREA	"#F59F00"
#define C_DOWNTIME	"#E8595B"
#define C_JITTER	"#7048E8"
#define C_JITTER_PEAK	"#D0BFFF"
/* ports: MRTG's green area for in and line for out, a little calmer */
#define C_IN		"#40C057"
#define C_IN_PEAK	"#C3EDCB"
#define C_OUT		"#1864AB"
#define C_OUT_PEAK	"#91C3EE"
#define C_ADMIN_OFF	"#D5DEE8"
#define C_IN_ERR	"#E03131"
#define C_OUT_ERR	"#9C36B5"
#define C_IN_DISC	"#F08C00"
#define C_OUT_DISC	"#1C7ED6"

static const char *const kind_name[GK_COUNT] = {
	[GK_LAT] = "lat",
	[GK_LOSS] = "loss",
	[GK_JITTER] = "jitter",
};

/* The title of a target's graph of each kind. */
static const int kind_title[GK_COUNT] = {
	[GK_LAT] = M_G_LATENCY_GRAPH,
	[GK_LOSS] = M_G_LOSS_GRAPH,
	[GK_JITTER] = M_G_JITTER_GRAPH,
};

static const char *const pkind_name[GP_COUNT] = {
	[GP_TRAFFIC] = "traffic",
	[GP_ERRORS] = "errors",
};

const char *
graph_range_name(enum graph_range r)
{
	return (r >= 0 && r < GR_COUNT) ? ranges[r].name : "?";
}

long
graph_range_seconds(enum graph_range r)
{
	return (r >= 0 && r < GR_COUNT) ? ranges[r].seconds : 0;
}

const char *
graph_kind_name(enum graph_kind k)
{
	return (k >= 0 && k < GK_COUNT) ? kind_name[k] : "?";
}

void
graph_file(const char *id, enum graph_kind k, enum graph_range r,
    char *buf, size_t len)
{
	char safe[128];

	safe_filename(id, safe, sizeof(safe));
	snprintf(buf, len, "%s-%s-%s.png", safe, graph_kind_name(k),
	    graph_range_name(r));
}

void
graph_spark_file(const char *id, char *buf, size_t len)
{
	char safe[128];

	safe_filename(id, safe, sizeof(safe));
	snprintf(buf, len, "%s-spark.png", safe);
}

void
graph_port_file(const char *port, enum graph_pkind k, enum graph_range r,
    char *buf, size_t len)
{
	char safe[256];

	safe_filename(port, safe, sizeof(safe));
	snprintf(buf, len, "%s-%s-%s.png", safe,
	    (k >= 0 && k < GP_COUNT) ? pkind_name[k] : "?",
	    graph_range_name(r));
}

void
graph_port_spark_file(const char *port, char *buf, size_t len)
{
	char safe[256];

	safe_filename(port, safe, sizeof(safe));
	snprintf(buf, len, "%s-spark.png", safe);
}

double
graph_overdue(const char *path, enum graph_range r, time_t now)
{
	struct stat sb;
	long period, age;

	if (r < 0 || r >= GR_COUNT)
		return -1;
	if (stat(path, &sb) == -1)
		return INFINITY;
	period = ranges[r].redraw;
	age = (long)(now - sb.st_mtime);
	if (period == 0 || age < 0)	/* the clock went back: redraw */
		return 0;
	/* a tenth of slack, so a 5-min graph with 60-s renders is redrawn
	 * every 5 min and not every 6 */
	return (double)(age - (period - period / 10)) / (double)period;
}

int
graph_due(const char *path, enum graph_range r, time_t now)
{
	return graph_overdue(path, r, now) >= 0;
}

/* --- argv building */

struct args {
	char **v;
	int n, cap;
};

static void
args_add(struct args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
args_add(struct args *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (a->n + 1 >= a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xreallocarray(a->v, (size_t)a->cap, sizeof(*a->v));
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void
args_free(struct args *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* rrd_graph's element syntax separates fields with ':'; a ':' that is
 * text (a path, a legend) must be written as "\:". */
static char *
colon_escape(const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = s; *p; p++)
		n += (*p == ':' || *p == '\\') ? 2 : 1;
	o = out = xmalloc(n + 1);
	for (const char *p = s; *p; p++) {
		if (*p == ':' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* Options every graph shares: size, fonts, calm colours; the time axis
 * from `start` to g->end, labelled by rrdtool's --x-grid `xgrid`. */
static void
span_args(struct args *a, const struct graph_req *g, time_t start,
    const char *xgrid, int w, int h)
{
	args_add(a, "graphv");
	args_add(a, "-");
	args_add(a, "--imgformat=PNG");
	args_add(a, "--start=%lld", (long long)start);
	args_add(a, "--end=%lld", (long long)g->end);
	args_add(a, "--width=%d", w);
	args_add(a, "--height=%d", h);
	args_add(a, "--font=DEFAULT:9:DejaVu Sans");
	args_add(a, "--font=TITLE:10:DejaVu Sans");
	args_add(a, "--font=AXIS:8:DejaVu Sans");
	args_add(a, "--font=LEGEND:9:DejaVu Sans");
	args_add(a, "--color=BACK#FFFFFF");
	args_add(a, "--color=CANVAS#FFFFFF");
	args_add(a, "--color=SHADEA#FFFFFF");
	args_add(a, "--color=SHADEB#FFFFFF");
	args_add(a, "--color=FONT#333333");
	args_add(a, "--color=AXIS#888888");
	args_add(a, "--color=ARROW#888888");
	args_add(a, "--color=FRAME#FFFFFF");
	args_add(a, "--color=GRID#E2E2E2");
	args_add(a, "--color=MGRID#C8C8C8");
	args_add(a, "--border=0");
	args_add(a, "--disable-rrdtool-tag");
	args_add(a, "--slope-mode");
	args_add(a, "--lower-limit=0");
	args_add(a, "--x-grid=%s", xgrid);
	/* a remote rrdcached's files are read through it (FETCH) */
	if (store_remote() != NULL)
		args_add(a, "--daemon=%s", store_remote());
}

/* The file as a DEF names it: through a remote rrdcached, by its name
 * there (store_cached_name), which --daemon reads. */
static char *
def_file(const struct graph_req *g)
{
	char *name, *e;

	if (store_remote() == NULL)
		return colon_escape(g->rrd);
	name = store_cached_name(g->rrd);
	e = colon_escape(name);
	free(name);
	return e;
}

static void
common_args(struct args *a, const struct graph_req *g, enum graph_range r,
    int w, int h)
{
	span_args(a, g, g->end - ranges[r].seconds,
	    ranges[r].xgrid[g->lang == LANG_EN], w, h);
}

/*
 * The highest value worth showing: SmokePing's trick, so that one 3-s
 * spike does not flatten a 20-ms line.  The y axis is cut at 1.2 x the
 * peak of q95 (or 2 x the peak of the median without a distribution)
 * when the maximum goes beyond it; NAN = let rrdtool scale.
 */
static double
lat_ceiling(const struct graph_req *g, enum graph_range r, int w)
{
	time_t start = g->end - ranges[r].seconds, end = g->end;
	unsigned long step = (unsigned long)(ranges[r].seconds / w), nds, i;
	char **names = NULL;
	rrd_value_t *data = NULL;
	double peak = 0, top = 0, limit = NAN;
	long q = -1, mx = -1;

	if (step == 0)
		step = 1;
	if (store_rrd_fetch(g->rrd, "AVERAGE", &start, &end, &step, &nds,
	    &names, &data) != 0) {
		rrd_clear_error();
		return NAN;
	}
	for (i = 0; i < nds; i++) {
		if (strcmp(names[i], g->smoke ? "q95" : "median") == 0)
			q = (long)i;
		if (strcmp(names[i], "max") == 0)
			mx = (long)i;
	}
	if (q >= 0 && mx >= 0 && step > 0) {
		unsigned long rows = (unsigned long)(end - start) / step;

		for (unsigned long row = 0; row < rows; row++) {
			double vq = data[row * nds + (unsigned long)q];
			double vm = data[row * nds + (unsigned long)mx];

			if (isfinite(vq) && vq > peak)
				peak = vq;
			if (isfinite(vm) && vm > top)
				top = vm;
		}
		peak *= (g->smoke ? 1.2 : 2.0) * 1000;
		if (peak > 0 && top * 1000 > peak)
			limit = peak;
	}
	for (i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return limit;
}

static void
def(struct args *a, const char *vname, const char *rrd, const char *ds,
    const char *cf)
{
	args_add(a, "DEF:%s=%s:%s:%s", vname, rrd, ds, cf);
}

/*
 * Grey for "no data", red for "down": full-height backgrounds.
 * Legends start with a space: with a proportional font rrdtool puts the
 * colour box over the first letter otherwise.
 */
static void
background_args(struct args *a, int lang, int legend)
{
	args_add(a, "CDEF:nodata=up,UN,INF,UNKN,IF");
	args_add(a, "CDEF:downbg=up,UN,UNKN,up,0.5,LT,INF,UNKN,IF,IF");
	if (legend) {
		char *nd = colon_escape(i18n(lang, M_G_NODATA));
		char *dn = colon_escape(i18n_state(lang, TS_DOWN));

		args_add(a, "AREA:nodata%s: %s", C_NODATA, nd);
		args_add(a, "AREA:downbg%s: %s", C_DOWN, dn);
		free(nd);
		free(dn);
	} else {
		args_add(a, "AREA:nodata%s", C_NODATA);
		args_add(a, "AREA:downbg%s", C_DOWN);
	}
}

/* The median, one colour per loss class (SmokePing's convention). */
static void
median_by_loss_args(struct args *a, int lang)
{
	char *title = colon_escape(i18n(lang, M_G_MEDIAN_BY_LOSS));

	args_add(a, "COMMENT:%s  ", title);
	free(title);
	args_add(a, "CDEF:m0=loss,UN,0,loss,IF,0,GT,UNKN,med,IF");
	args_add(a, "CDEF:m2=loss,UN,UNKN,loss,0,GT,loss,2,LE,*,med,UNKN,IF,IF");
	args_add(a, "CDEF:m10=loss,UN,UNKN,loss,2,GT,loss,10,LE,*,med,UNKN,IF,IF");
	args_add(a, "CDEF:mhi=loss,UN,UNKN,loss,10,GT,med,UNKN,IF,IF");
	args_add(a, "LINE2:m0%s: 0 %%", C_LOSS0);
	args_add(a, "LINE2:m2%s: ≤ 2 %%", C_LOSS2);
	args_add(a, "LINE2:m10%s: ≤ 10 %%", C_LOSS10);
	args_add(a, "LINE2:mhi%s: > 10 %%\\l", C_LOSSHI);
}

static void
lat_args(struct args *a, const struct graph_req *g, enum graph_range r,
    const char *rrd)
{
	const char *lo_cf = ranges[r].long_cf ? "MIN" : "AVERAGE";
	const char *hi_cf = ranges[r].long_cf ? "MAX" : "AVERAGE";
	char *mm = colon_escape(i18n(g->lang, M_G_MINMAX));
	double ceiling = lat_ceiling(g, r, GRAPH_W);

	args_add(a, "--vertical-label=ms");
	args_add(a, "--units-exponent=0");
	if (isfinite(ceiling)) {
		args_add(a, "--upper-limit=%.6g", ceiling);
		args_add(a, "--rigid");
	}
	def(a, "meds", rrd, "median", "AVERAGE");
	def(a, "los", rrd, "min", lo_cf);
	def(a, "his", rrd, "max", hi_cf);
	def(a, "loss", rrd, "loss", "AVERAGE");
	def(a, "up", rrd, "up", "AVERAGE");
	args_add(a, "CDEF:med=meds,1000,*");
	args_add(a, "CDEF:lo=los,1000,*");
	args_add(a, "CDEF:hi=his,1000,*");
	background_args(a, g->lang, 1);

	/* the smoke: bands stacked from the minimum up, darkest inside */
	args_add(a, "AREA:lo");
	if (g->smoke) {
		static const char *const q[] = {
			"q05", "q10", "q25", "q75", "q90", "q95"
		};

		for (size_t i = 0; i < nitems(q); i++) {
			def(a, q[i], rrd, q[i], "AVERAGE");
			args_add(a, "CDEF:%sm=%s,1000,*", q[i], q[i]);
		}
		args_add(a, "CDEF:b1=q05m,lo,-");
		args_add(a, "CDEF:b2=q10m,q05m,-");
		args_add(a, "CDEF:b3=q25m,q10m,-");
		args_add(a, "CDEF:b4=q75m,q25m,-");
		args_add(a, "CDEF:b5=q90m,q75m,-");
		args_add(a, "CDEF:b6=q95m,q90m,-");
		args_add(a, "CDEF:b7=hi,q95m,-");
		args_add(a, "AREA:b1%s: %s:STACK", C_BAND_MINMAX, mm);
		args_add(a, "AREA:b2%s: 5–95 %%:STACK", C_BAND_90);
		args_add(a, "AREA:b3%s: 10–90 %%:STACK", C_BAND_80);
		args_add(a, "AREA:b4%s: 25–75 %%\\l:STACK", C_BAND_50);
		args_add(a, "AREA:b5%s::STACK", C_BAND_80);
		args_add(a, "AREA:b6%s::STACK", C_BAND_90);
		args_add(a, "AREA:b7%s::STACK", C_BAND_MINMAX);
	} else {
		args_add(a, "CDEF:b1=hi,lo,-");
		args_add(a, "AREA:b1%s: %s\\l:STACK", C_BAND_MINMAX, mm);
	}
	median_by_loss_args(a, g->lang);
	free(mm);
}

static void
loss_args(struct args *a, const struct graph_req *g, const char *rrd)
{
	char *loss = colon_escape(i18n(g->lang, M_LOSS));
	char *down = colon_escape(i18n(g->lang, M_G_DOWNTIME));

	args_add(a, "--vertical-label=%%");
	args_add(a, "--upper-limit=5");	/* grows with the data */
	args_add(a, "--units-exponent=0");
	def(a, "loss", rrd, "loss", "AVERAGE");
	def(a, "up", rrd, "up", "AVERAGE");
	background_args(a, g->lang, 0);
	/* The share of the time down, on the same 0-100 % scale, drawn
	 * over the loss: a round without answers is 100 % loss too, so
	 * what stays orange above the red is loss while reachable. */
	args_add(a, "CDEF:downpct=1,up,-,100,*");
	args_add(a, "AREA:loss%sC0: %s (%%)", C_LOSS_AREA, loss);
	args_add(a, "LINE1:loss%s", C_LOSS_AREA);
	args_add(a, "AREA:downpct%s: %s (%%)\\l", C_DOWNTIME, down);
	free(loss);
	free(down);
}

/*
 * Jitter in ms (the mean difference between consecutive answers of a
 * round, daemon/stats.c) with the no-data and down backgrounds; on the
 * long ranges the peaks the hourly and daily averages hide, from the
 * MAX archives, as a light area behind the average.
 */
static void
jitter_args(struct args *a, const struct graph_req *g, enum graph_range r,
    const char *rrd)
{
	char *jit = colon_escape(i18n(g->lang, M_G_JITTER_AVG));

	args_add(a, "--vertical-label=ms");
	args_add(a, "--units-exponent=0");
	def(a, "jit", rrd, "jitter", "AVERAGE");
	def(a, "up", rrd, "up", "AVERAGE");
	args_add(a, "CDEF:jitms=jit,1000,*");
	background_args(a, g->lang, 1);
	if (ranges[r].long_cf) {
		char *peak = colon_escape(i18n(g->lang, M_G_JITTER_PEAK));

		def(a, "jitx", rrd, "jitter", "MAX");
		args_add(a, "CDEF:jitxms=jitx,1000,*");
		args_add(a, "AREA:jitxms%s: %s", C_JITTER_PEAK, peak);
		free(peak);
	}
	args_add(a, "LINE1.5:jitms%s: %s\\l", C_JITTER, jit);
	free(jit);
}

/*
 * A port's backgrounds: grey without data, red while it was down, a
 * lighter grey while it was switched off (admin down: not a fault).
 * An admin_up that is unknown (a file from before it was kept) counts
 * as up.
 */
static void
port_background_args(struct args *a, const char *rrd, int lang, int legend)
{
	def(a, "oper", rrd, "oper_up", "AVERAGE");
	def(a, "admin", rrd, "admin_up", "AVERAGE");
	args_add(a, "CDEF:nodata=oper,UN,INF,UNKN,IF");
	args_add(a, "CDEF:adm=admin,UN,1,admin,IF");
	args_add(a, "CDEF:offbg=adm,0.5,LT,INF,UNKN,IF");
	/* unknown compares false: no shading without data */
	args_add(a, "CDEF:downbg=oper,0.5,LT,adm,0.5,GE,*,INF,UNKN,IF");
	if (legend) {
		char *nd = colon_escape(i18n(lang, M_G_NODATA));
		char *dn = colon_escape(i18n(lang, M_EV_PORT_DOWN));
		char *off = colon_escape(i18n(lang, M_PORT_ADMIN_DOWN));

		args_add(a, "AREA:nodata%s: %s", C_NODATA, nd);
		args_add(a, "AREA:downbg%s: %s", C_DOWN, dn);
		args_add(a, "AREA:offbg%s: %s\\l", C_ADMIN_OFF, off);
		free(nd);
		free(dn);
		free(off);
	} else {
		args_add(a, "AREA:nodata%s", C_NODATA);
		args_add(a, "AREA:downbg%s", C_DOWN);
		args_add(a, "AREA:offbg%s", C_ADMIN_OFF);
	}
}

/* Traffic in bit/s: in as an area, out as a line (MRTG's way), and on
 * the long ranges the peaks the averages hide, from the MAX archives. */
static void
traffic_args(struct args *a, const struct graph_req *g, enum graph_range r,
    const char *rrd)
{
	char *in = colon_escape(i18n(g->lang, M_TRAFFIC_IN));
	char *out = colon_escape(i18n(g->lang, M_TRAFFIC_OUT));

	args_add(a, "--vertical-label=bit/s");
	args_add(a, "--base=1000");
	def(a, "in", rrd, "in_octets", "AVERAGE");
	def(a, "out", rrd, "out_octets", "AVERAGE");
	args_add(a, "CDEF:inb=in,8,*");
	args_add(a, "CDEF:outb=out,8,*");
	port_background_args(a, rrd, g->lang, 1);
	if (ranges[r].long_cf) {
		char *inp = colon_escape(i18n(g->lang, M_G_IN_PEAK));
		char *outp = colon_escape(i18n(g->lang, M_G_OUT_PEAK));

		def(a, "inx", rrd, "in_octets", "MAX");
		def(a, "outx", rrd, "out_octets", "MAX");
		args_add(a, "CDEF:inxb=inx,8,*");
		args_add(a, "CDEF:outxb=outx,8,*");
		args_add(a, "AREA:inxb%s: %s", C_IN_PEAK, inp);
		args_add(a, "LINE1:outxb%s: %s", C_OUT_PEAK, outp);
		free(inp);
		free(outp);
	}
	args_add(a, "AREA:inb%s: %s", C_IN, in);
	args_add(a, "LINE1.5:outb%s: %s\\l", C_OUT, out);
	free(in);
	free(out);
}

/* Errors and discards per second, each direction its own line. */
static void
errors_args(struct args *a, const struct graph_req *g, const char *rrd)
{
	static const struct {
		const char *ds, *vname, *line, *colour;
		int msg;
	} l[] = {
		{ "in_errors", "ie", "LINE2", C_IN_ERR, M_G_IN_ERRORS },
		{ "out_errors", "oe", "LINE1", C_OUT_ERR, M_G_OUT_ERRORS },
		{ "in_discards", "id", "LINE2", C_IN_DISC, M_G_IN_DISCARDS },
		{ "out_discards", "od", "LINE1", C_OUT_DISC, M_G_OUT_DISCARDS },
	};

	args_add(a, "--vertical-label=%s", i18n(g->lang, M_G_PER_SECOND));
	/* no "m" prefixes: 3 m/s reads as metres to most people */
	args_add(a, "--units-exponent=0");
	for (size_t i = 0; i < nitems(l); i++)
		def(a, l[i].vname, rrd, l[i].ds, "AVERAGE");
	port_background_args(a, rrd, g->lang, 0);
	for (size_t i = 0; i < nitems(l); i++) {
		char *lg = colon_escape(i18n(g->lang, l[i].msg));

		args_add(a, "%s:%s%s: %s%s", l[i].line, l[i].vname,
		    l[i].colour, lg, i + 1 == nitems(l) ? "\\l" : "");
		free(lg);
	}
}

static char *
title(const struct graph_req *g, enum graph_kind k, enum graph_range r)
{
	return xasprintf("%s — %s — %s", g->name,
	    i18n(g->lang, kind_title[k]), i18n(g->lang, M_RANGE_3H + (int)r));
}

/*
 * Where the drawing happens.
 *
 * librrd 1.7.2 loses memory on every rrd_graph_v() call (its title,
 * label and legend bookkeeping; reproduced with rrd_graph_v alone):
 * about 1 KB per latency graph here, 1.2 MB over 1,200 graphs.  A
 * daemon drawing a hundred graphs a minute would grow by a hundred
 * megabytes a day.  So the graphs are drawn by an `rrdtool -` child
 * (rrdtool's own pipe mode: one command a line, answered "OK ..." or
 * "ERROR: ..."), replaced every PIPE_MAX graphs, which hands the lost
 * memory back; pango and fontconfig stay out of the daemon as well.
 * If the rrdtool program cannot be started or keeps failing, graphs are
 * drawn in-process with rrd_graph_v for a while (logged), so the pages
 * keep their graphs.
 *
 * Everything here runs under graph_lock.
 */
#define PIPE_MAX	500		/* graphs per child */
#define PIPE_TIMEOUT_MS	30000		/* per graph */
#define PIPE_PAUSE_S	600		/* in-process after a failure */
#define CANCEL_POLL_MS	100		/* a graph in flight sees a cancel */

/* graph_cancel(): set by the loop thread, read by the drawing one */
static atomic_int cancelled;

extern char **environ;

static struct {
	pid_t pid;
	int fd;			/* our end of the socketpair; -1 = no child */
	unsigned drawn;
	char *tz;		/* TZ the child was started with */
	char in[4096];		/* the child's answer, not yet a whole line */
	size_t inlen;
	int use_child;		/* 0: rrd_graph_v in this process */
	int64_t pause_until;	/* mono_ns(): in-process until then */
} rt = { -1, -1, 0, NULL, "", 0, 1, 0 };

static void
child_stop(int force)
{
	if (rt.fd != -1)
		close(rt.fd);	/* EOF on its stdin: rrdtool exits */
	rt.fd = -1;
	if (rt.pid > 0) {
		int i;

		for (i = 0; i < 200; i++) {	/* at most 2 s */
			pid_t w = waitpid(rt.pid, NULL, force ? WNOHANG : 0);

			if (w == rt.pid || (w == -1 && errno != EINTR))
				break;
			if (w == 0 && i == 0)
				kill(rt.pid, SIGKILL);
			if (w == 0)
				usleep(10000);
		}
	}
	rt.pid = -1;
	rt.drawn = 0;
	rt.inlen = 0;
	free(rt.tz);
	rt.tz = NULL;
}

static int
child_start(char *err, size_t errlen)
{
	char *argv[] = { (char *)RRDTOOL_PROG, (char *)"-", NULL };
	posix_spawn_file_actions_t fa;
	const char *tz = getenv("TZ");
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	/* none of the daemon's sockets and files for the child */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	rc = posix_spawnp(&rt.pid, RRDTOOL_PROG, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		rt.pid = -1;
		snprintf(err, errlen, "cannot run %s: %s", RRDTOOL_PROG,
		    strerror(rc));
		return -1;
	}
	rt.fd = sv[0];
	rt.drawn = 0;
	rt.inlen = 0;
	rt.tz = tz ? xstrdup(tz) : NULL;
	return 0;
}

/* One argument for rrdtool's pipe-mode parser, which knows '"' and '\''
 * quotes but no escapes: a '"' is written as "'"'"; line ends, which
 * would end the command, become spaces. */
static void
quote_arg(char **line, size_t *len, size_t *cap, const char *s)
{
	for (;;) {
		size_t need = *len + 4 + strlen(s) * 5;

		if (need < *cap)
			break;
		*cap = need * 2;
		*line = xreallocarray(*line, *cap, 1);
	}
	(*line)[(*len)++] = ' ';
	(*line)[(*len)++] = '"';
	for (; *s; s++) {
		if (*s == '"') {
			memcpy(*line + *len, "\"'\"'\"", 5);
			*len += 5;
		} else
			(*line)[(*len)++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
	}
	(*line)[(*len)++] = '"';
	(*line)[*len] = '\0';
}

static int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read the child's answer to one command.  0: "OK"; -1: "ERROR: ..."
 * (copied to err); -2: the child is gone or stuck; -4: graph_cancel().
 */
static int
read_answer(char *err, size_t errlen)
{
	int64_t deadline = mono_ns() + (int64_t)PIPE_TIMEOUT_MS * 1000000;

	for (;;) {
		char *nl;

		while ((nl = memchr(rt.in, '\n', rt.inlen)) != NULL) {
			size_t n = (size_t)(nl - rt.in);
			int rc = 1;

			*nl = '\0';
			if (strncmp(rt.in, "OK", 2) == 0)
				rc = 0;
			else if (strncmp(rt.in, "ERROR", 5) == 0) {
				snprintf(err, errlen, "%.400s", rt.in);
				rc = -1;
			}
			/* other lines ("680x240") are the size: skip */
			memmove(rt.in, nl + 1, rt.inlen - n - 1);
			rt.inlen -= n + 1;
			if (rc <= 0)
				return rc;
		}
		if (rt.inlen == sizeof(rt.in))
			rt.inlen = 0;	/* an endless line: not an answer */

		struct pollfd pfd = { rt.fd, POLLIN, 0 };
		int64_t left = (deadline - mono_ns()) / 1000000;
		ssize_t n;

		if (left <= 0) {
			snprintf(err, errlen, "%s did not answer in %d s",
			    RRDTOOL_PROG, PIPE_TIMEOUT_MS / 1000);
			return -2;
		}
		if (atomic_load(&cancelled)) {
			snprintf(err, errlen, "cancelled");
			return -4;
		}
		if (left > CANCEL_POLL_MS)
			left = CANCEL_POLL_MS;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			return -2;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(rt.fd, rt.in + rt.inlen, sizeof(rt.in) - rt.inlen, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s exited", RRDTOOL_PROG);
			return -2;
		}
		rt.inlen += (size_t)n;
	}
}

/* Draw through the child into a temporary file, renamed over `path`.
 * 0 ok, -1 the graph failed, -2 the child failed, -3 no child could be
 * started, -4 cancelled (the child is stopped). */
static int
draw_child(struct args *a, const char *path, char *err, size_t errlen)
{
	const char *tz = getenv("TZ");
	char *tmp, *line = NULL;
	size_t len = 0, cap = 0;
	int rc;

	/* the axis labels are in local time: a new time zone (reload)
	 * needs a new child */
	if (rt.fd != -1 && (tz ? rt.tz == NULL || strcmp(tz, rt.tz) :
	    rt.tz != NULL))
		child_stop(0);
	if (rt.fd == -1 && child_start(err, errlen) == -1)
		return -3;

	tmp = xasprintf("%s.tmp-graph", path);
	quote_arg(&line, &len, &cap, "graph");
	quote_arg(&line, &len, &cap, tmp);
	for (int i = 2; i < a->n; i++)		/* past "graphv" "-" */
		quote_arg(&line, &len, &cap, a->v[i]);
	line[len++] = '\n';
	/* the leading blank is fine: rrdtool skips it */
	if (send_all(rt.fd, line, len) == -1) {
		snprintf(err, errlen, "%s: %s", RRDTOOL_PROG, strerror(errno));
		rc = -2;
	} else
		rc = read_answer(err, errlen);
	free(line);
	if (rc == 0 && rename(tmp, path) == -1) {
		snprintf(err, errlen, "rename: %s", strerror(errno));
		rc = -1;
	}
	/* a child that is stuck or cancelled may still be writing tmp:
	 * it goes first (killed and reaped), then tmp */
	if (rc <= -2)
		child_stop(1);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	if (rc > -2 && ++rt.drawn >= PIPE_MAX)
		child_stop(0);
	return rc;
}

/* The fallback: rrd_graph_v into memory, then replace `path`. */
static struct log_limit draw_lim;	/* under graph_lock */

static int
draw_inprocess(struct args *a, const char *path)
{
	unsigned long dropped;
	rrd_info_t *info, *p;
	int rc = -1;

	rrd_clear_error();
	/* with --daemon it uses librrd's one rrdcached connection */
	if (store_remote() != NULL)
		store_client_lock();
	info = rrd_graph_v(a->n, a->v);
	if (store_remote() != NULL)
		store_client_unlock();
	if (info == NULL || rrd_test_error()) {
		log_warnx("graph %s: %s", path, rrd_get_error());
		rrd_clear_error();
		rrd_info_free(info);
		return -1;
	}
	for (p = info; p; p = p->next)
		if (p->type == RD_I_BLO && strcmp(p->key, "image") == 0)
			break;
	if (p == NULL || p->value.u_blo.size == 0)
		log_warnx("graph %s: no image", path);
	else if (file_replace(path, p->value.u_blo.ptr, p->value.u_blo.size,
	    0) == 0)
		rc = 0;
	else if (log_limited(&draw_lim, 600, &dropped))
		log_warn("graph %s (%lu failed graphs before it not logged)",
		    path, dropped);
	rrd_info_free(info);
	return rc;
}

static int
draw(struct args *a, const char *path)
{
	unsigned long dropped;
	char err[512] = "";
	int rc = -2;

	pthread_mutex_lock(&graph_lock);
	if (atomic_load(&cancelled))
		rc = -4;
	else if (rt.use_child && mono_ns() >= rt.pause_until) {
		/* a child that died is replaced once before giving up */
		for (int try = 0; try < 2 && rc == -2; try++) {
			if (try == 1)
				log_warnx("graph: %s; starting a new one", err);
			rc = draw_child(a, path, err, sizeof(err));
		}
		if (rc == -2 || rc == -3) {
			rc = -2;
			log_warnx("graph: %s; drawing in-process for %d min "
			    "(librrd 1.7 leaks memory there)", err,
			    PIPE_PAUSE_S / 60);
			rt.pause_until = mono_ns() +
			    (int64_t)PIPE_PAUSE_S * 1000000000;
		}
	}
	if (rc == -2)
		rc = draw_inprocess(a, path);
	else if (rc != 0 && rc != -4 &&
	    log_limited(&draw_lim, 600, &dropped))
		/* a full disk fails every graph of every render */
		log_warnx("graph %s: %s (%lu failed graphs before it not "
		    "logged)", path, err, dropped);
	pthread_mutex_unlock(&graph_lock);
	return rc == 0 ? 0 : -1;
}

void
graph_use_child(int on)
{
	pthread_mutex_lock(&graph_lock);
	if (!on)
		child_stop(0);
	rt.use_child = on;
	rt.pause_until = 0;
	pthread_mutex_unlock(&graph_lock);
}

void
graph_cancel(int on)
{
	atomic_store(&cancelled, on);
}

void
graph_close(void)
{
	pthread_mutex_lock(&graph_lock);
	child_stop(0);
	pthread_mutex_unlock(&graph_lock);
}

/* A full-size graph of a target (port = 0, kind a graph_kind) or of a
 * port (port = 1, kind a graph_pkind), titled `t` (freed). */
static int
render_full(const struct graph_req *g, int port, int kind,
    enum graph_range r, char *t, const char *path)
{
	struct args a = { 0 };
	char *rrd = def_file(g);
	int rc;

	common_args(&a, g, r, GRAPH_W, GRAPH_H);
	args_add(&a, "--full-size-mode");
	args_add(&a, "--title=%s", t);
	if (port && kind == GP_ERRORS)
		errors_args(&a, g, rrd);
	else if (port)
		traffic_args(&a, g, r, rrd);
	else if (kind == GK_LOSS)
		loss_args(&a, g, rrd);
	else if (kind == GK_JITTER)
		jitter_args(&a, g, r, rrd);
	else
		lat_args(&a, g, r, rrd);
	rc = draw(&a, path);
	args_free(&a);
	free(t);
	free(rrd);
	return rc;
}

int
graph_render(const struct graph_req *g, enum graph_kind k,
    enum graph_range r, const char *path)
{
	if (r < 0 || r >= GR_COUNT || k < 0 || k >= GK_COUNT)
		return -1;
	return render_full(g, 0, k, r, title(g, k, r), path);
}

int
graph_render_spark(const struct graph_req *g, const char *path)
{
	struct args a = { 0 };
	char *rrd = def_file(g);
	double ceiling = lat_ceiling(g, GR_3H, SPARK_W);
	int rc;

	common_args(&a, g, GR_3H, SPARK_W, SPARK_H);
	args_add(&a, "--only-graph");
	if (isfinite(ceiling)) {
		args_add(&a, "--upper-limit=%.6g", ceiling);
		args_add(&a, "--rigid");
	}
	def(&a, "meds", rrd, "median", "AVERAGE");
	def(&a, "up", rrd, "up", "AVERAGE");
	def(&a, "loss", rrd, "loss", "AVERAGE");
	args_add(&a, "CDEF:med=meds,1000,*");
	background_args(&a, g->lang, 0);
	args_add(&a, "CDEF:m0=loss,UN,0,loss,IF,2,GT,UNKN,med,IF");
	args_add(&a, "CDEF:mhi=loss,UN,UNKN,loss,2,GT,med,UNKN,IF,IF");
	args_add(&a, "LINE1:m0%s", C_LOSS2);
	args_add(&a, "LINE1:mhi%s", C_LOSSHI);
	rc = draw(&a, path);
	args_free(&a);
	free(rrd);
	return rc;
}

int
graph_render_port(const struct graph_req *g, enum graph_pkind k,
    enum graph_range r, const char *path)
{
	if (r < 0 || r >= GR_COUNT || k < 0 || k >= GP_COUNT)
		return -1;
	return render_full(g, 1, k, r, xasprintf("%s — %s — %s", g->name,
	    i18n(g->lang, k == GP_ERRORS ? M_G_ERRORS_GRAPH :
	    M_G_TRAFFIC_GRAPH), i18n(g->lang, M_RANGE_3H + (int)r)), path);
}

int
graph_render_port_spark(const struct graph_req *g, const char *path)
{
	struct args a = { 0 };
	char *rrd = def_file(g);
	int rc;

	common_args(&a, g, GR_1D, SPARK_W, SPARK_H);
	args_add(&a, "--only-graph");
	args_add(&a, "--base=1000");
	def(&a, "in", rrd, "in_octets", "AVERAGE");
	def(&a, "out", rrd, "out_octets", "AVERAGE");
	port_background_args(&a, rrd, g->lang, 0);
	args_add(&a, "AREA:in%s", C_IN);
	args_add(&a, "LINE1:out%s", C_OUT);
	rc = draw(&a, path);
	args_free(&a);
	free(rrd);
	return rc;
}

/*
 * The report's graph of a month: latency (min/max band, the median by
 * loss) with the no-data and down times behind, one label a day.  The
 * band and the y-axis cut are the 30-day graph's.
 */
int
graph_render_span(const struct graph_req *g, time_t start, int w, int h,
    const char *path)
{
	struct args a = { 0 };
	char *rrd = def_file(g);
	int rc;

	span_args(&a, g, start, "HOUR:12:DAY:1:DAY:2:86400:%d", w, h);
	args_add(&a, "--full-size-mode");
	args_add(&a, "--title=%s — %s", g->name,
	    i18n(g->lang, M_G_LATENCY_GRAPH));
	lat_args(&a, g, GR_30D, rrd);
	rc = draw(&a, path);
	args_free(&a);
	free(rrd);
	return rc;
}
