/*
 * The static web site: real RRD files written with librrd, a real event
 * base and worker thread, real graphs (rrd_graph_v), then the files are
 * read back and checked: escaping, Vietnamese and English words, the
 * decimal comma, status.json against the uptime of the inserted data,
 * PNG headers, event order, graph due-ness, pruning, rrdcached.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <rrd.h>
#include <rrd_client.h>

#include "conf.h"
#include "graph.h"
#include "i18n.h"
#include "log.h"
#include "util.h"
#include "web.h"
#include "webpage.h"

#include "test.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."	/* make check exports top_srcdir */
#endif

extern char **environ;

#define NMIN		1800	/* 30 hours of one-minute rounds */
#define XSS_NAME	"<script>alert(1)</script> & \"x\""

static char tmpdir[64];
static time_t t_end;		/* hour-aligned end of the data */
static struct event_base *base;

/* --- RRD files like daemon/store.c writes them */

struct sample {
	double median, min, max, avg, jitter, loss, up;
	double q[6];
};

typedef void sample_fn(int k, struct sample *);

static int
in(int k, int from, int to)
{
	return k >= from && k < to;
}

static void
fill(struct sample *s, double base_rtt, double loss)
{
	static const double qf[6] = { .85, .9, .95, 1.08, 1.2, 1.3 };

	s->median = base_rtt;
	s->min = base_rtt * .8;
	s->max = base_rtt * 1.6;
	s->avg = base_rtt * 1.05;
	s->jitter = .002;
	s->loss = loss;
	s->up = 1;
	for (int i = 0; i < 6; i++)
		s->q[i] = base_rtt * qf[i];
}

static void
down(struct sample *s)
{
	s->median = s->min = s->max = s->avg = s->jitter = NAN;
	for (int i = 0; i < 6; i++)
		s->q[i] = NAN;
	s->loss = 100;
	s->up = 0;
}

/* wan: down for minutes [60,120) (more than 24 h ago) and [1700,1730)
 * (within the last 24 h); some loss of every colour class. */
static void
wan_sample(int k, struct sample *s)
{
	double loss = in(k, 1500, 1560) ? 1.5 : in(k, 1600, 1640) ? 6 :
	    in(k, 1760, 1780) ? 15 : 0;

	if (in(k, 60, 120) || in(k, 1700, 1730)) {
		down(s);
		return;
	}
	fill(s, .020 + .004 * sin(k / 40.0), loss);
	if (k % 97 == 0)
		s->max = .4;	/* a spike the y axis must not follow */
}

static void
radio_sample(int k, struct sample *s)
{
	fill(s, .250 + .03 * sin(k / 25.0), in(k, 1740, 1800) ? 5.5 : 1);
}

static void
portal_sample(int k, struct sample *s)
{
	if (in(k, 1750, 1760)) {
		down(s);
		return;
	}
	fill(s, .120 + .01 * cos(k / 30.0), 0);
}

static const char *rra[] = {
	"RRA:AVERAGE:0.5:1:2880", "RRA:AVERAGE:0.5:5:4032",
	"RRA:AVERAGE:0.5:60:2208", "RRA:AVERAGE:0.5:1440:1825",
	"RRA:MIN:0.5:60:2208", "RRA:MAX:0.5:60:2208",
	"RRA:MIN:0.5:1440:1825", "RRA:MAX:0.5:1440:1825",
};
static const char *ds_base[] = {
	"DS:median:GAUGE:120:0:U", "DS:min:GAUGE:120:0:U",
	"DS:max:GAUGE:120:0:U", "DS:avg:GAUGE:120:0:U",
	"DS:jitter:GAUGE:120:0:U", "DS:loss:GAUGE:120:0:100",
	"DS:up:GAUGE:120:0:1",
};
static const char *ds_smoke[] = {
	"DS:q05:GAUGE:120:0:U", "DS:q10:GAUGE:120:0:U",
	"DS:q25:GAUGE:120:0:U", "DS:q75:GAUGE:120:0:U",
	"DS:q90:GAUGE:120:0:U", "DS:q95:GAUGE:120:0:U",
};

static void
create_rrd(const char *path, int smoke, time_t start)
{
	const char *argv[32];
	int n = 0;

	for (size_t i = 0; i < nitems(ds_base); i++)
		argv[n++] = ds_base[i];
	for (size_t i = 0; smoke && i < nitems(ds_smoke); i++)
		argv[n++] = ds_smoke[i];
	for (size_t i = 0; i < nitems(rra); i++)
		argv[n++] = rra[i];
	if (rrd_create_r2(path, 60, start, 0, NULL, NULL, n, argv) != 0) {
		printf("Bail out! rrd_create %s: %s\n", path, rrd_get_error());
		exit(1);
	}
}

static char *
sample_line(time_t t, const struct sample *s, int smoke)
{
	char buf[512];
	double v[13] = { s->median, s->min, s->max, s->avg, s->jitter,
	    s->loss, s->up, s->q[0], s->q[1], s->q[2], s->q[3], s->q[4],
	    s->q[5] };
	int n = smoke ? 13 : 7;
	size_t len;

	len = (size_t)snprintf(buf, sizeof(buf), "%lld", (long long)t);
	for (int i = 0; i < n; i++)
		len += (size_t)(isnan(v[i]) ?
		    snprintf(buf + len, sizeof(buf) - len, ":U") :
		    snprintf(buf + len, sizeof(buf) - len, ":%.6f", v[i]));
	return xstrdup(buf);
}

/* NMIN one-minute rounds ending at t_end, so every hour is complete. */
static void
make_rrd(const char *path, int smoke, sample_fn *fn)
{
	time_t t0 = t_end - NMIN * 60;
	const char *argv[100];
	char *lines[100];
	int n = 0;

	create_rrd(path, smoke, t0);
	for (int k = 0; k < NMIN; k++) {
		struct sample s;

		fn(k, &s);
		lines[n] = sample_line(t0 + 60 * (k + 1), &s, smoke);
		argv[n] = lines[n];
		if (++n == 100 || k == NMIN - 1) {
			if (rrd_update_r(path, NULL, n, argv) != 0) {
				printf("Bail out! rrd_update %s: %s\n", path,
				    rrd_get_error());
				exit(1);
			}
			for (int i = 0; i < n; i++)
				free(lines[i]);
			n = 0;
		}
	}
}

/* --- snapshots */

struct tdef {
	const char *id, *name, *group, *type, *host;
	enum tstate state;
	long since_ago;		/* 0 = never changed */
	double median, loss, jitter;
	int received;
	const char *why, *parent;
	int smoke, has_rrd;
};

static const struct tdef tdefs[] = {
	{ "wan", "Bộ định tuyến WAN", "Hạ tầng", "ping", "198.18.1.1",
	  TS_UP, 7500, .0212, 0, .0008, 20, NULL, NULL, 1, 1 },
	{ "xss", XSS_NAME, "Hạ tầng", "ping", "198.18.1.66",
	  TS_DOWN, 3 * 86400 + 4 * 3600, NAN, 100, NAN, 0, "no answer",
	  NULL, 0, 1 },
	{ "tra-linh", "Xã Trà Linh", "Điểm cầu", "ping", "198.18.2.17",
	  TS_DEGRADED, 720, .2504, 5.5, .0015, 19, "loss 5.5% > 5.0%", "wan",
	  1, 1 },
	{ "tra-cang", "Xã Trà Cang", "Điểm cầu", "ping", "198.18.2.33",
	  TS_UNREACHABLE, 300, NAN, 100, NAN, 0, "parent wan down", "wan",
	  1, 0 },
	{ "portal", "Cổng thông tin điện tử huyện", "Dịch vụ", "http",
	  "namtramy.example.gov.vn", TS_UP, 86400, .1234, 0, NAN, 1, NULL,
	  NULL, 0, 1 },
	{ "huyen-uy", "Huyện ủy – Hội nghị truyền hình", "Điểm cầu", "ping",
	  "198.18.1.10", TS_MAINTENANCE, 1800, .031, 0, .001, 20, NULL, NULL,
	  1, 0 },
	{ "moi", "Điểm mới", NULL, "tcp", "198.18.3.1", TS_UNKNOWN, 0,
	  NAN, NAN, NAN, 0, NULL, NULL, 0, 0 },
};

struct edef {
	long ago;
	const char *target, *event;
	enum tstate from, to;
	const char *why;
};

/* Newest first except the fourth, which the page must still put on top. */
static const struct edef edefs[] = {
	{ 300, "tra-linh", "state", TS_UP, TS_DEGRADED, "why-B" },
	{ 600, "xss", "state", TS_UP, TS_DOWN, "why-C" },
	{ 7200, "wan", "state", TS_DOWN, TS_UP, "why-D" },
	{ 100, "tra-cang", "state", TS_UP, TS_UNREACHABLE, "why-A" },
	{ 86400, NULL, "start", TS_UNKNOWN, TS_UNKNOWN, "why-E" },
};

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char *
rrd_path(const char *id)
{
	return xasprintf("%s/rrd/%s.rrd", tmpdir, id);
}

static struct web_snapshot *
snapshot(int lang, const char *web_dir, time_t generated)
{
	struct web_snapshot *s = xcalloc(1, sizeof(*s));

	s->generated = generated;
	s->district = xstrdup("Huyện Nam Trà My");
	s->language = lang;
	s->web_dir = xstrdup(web_dir);
	s->rrdcached = xstrdup("");
	s->refresh = 60;
	s->ntargets = nitems(tdefs);
	s->targets = xcalloc(s->ntargets, sizeof(*s->targets));
	for (size_t i = 0; i < s->ntargets; i++) {
		const struct tdef *d = &tdefs[i];
		struct web_target *t = &s->targets[i];

		t->id = xstrdup(d->id);
		t->name = xstrdup(d->name);
		t->group = dup_or_null(d->group);
		t->type = xstrdup(d->type);
		t->host = xstrdup(d->host);
		t->interval = 60;
		t->state = d->state;
		t->since = d->since_ago ? generated - d->since_ago : 0;
		t->last_round = d->state == TS_UNKNOWN ? 0 : generated - 20;
		t->last.sent = d->state == TS_UNKNOWN ? 0 : 20;
		t->last.received = (unsigned)d->received;
		t->last.loss_pct = d->loss;
		t->last.median = t->last.min = t->last.max = t->last.avg =
		    d->median;
		t->last.jitter = d->jitter;
		t->why = dup_or_null(d->why);
		t->parent_id = dup_or_null(d->parent);
		t->smoke = d->smoke;
		t->rrd = rrd_path(d->id);
	}
	s->nevents = nitems(edefs);
	s->events = xcalloc(s->nevents, sizeof(*s->events));
	for (size_t i = 0; i < s->nevents; i++) {
		const struct edef *d = &edefs[i];
		struct web_event *e = &s->events[i];
		const struct tdef *td = NULL;

		for (size_t j = 0; d->target && j < nitems(tdefs); j++)
			if (strcmp(tdefs[j].id, d->target) == 0)
				td = &tdefs[j];
		e->at = generated - d->ago;
		e->target_id = dup_or_null(d->target);
		e->target_name = td ? xstrdup(td->name) : NULL;
		e->event = xstrdup(d->event);
		e->from = d->from;
		e->to = d->to;
		e->why = xstrdup(d->why);
	}
	return s;
}

/* --- running the loop until renders are done */

struct waiter {
	unsigned long want;
	int64_t deadline;
};

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;

	if (web_renders() >= w->want || mono_ns() > w->deadline)
		event_base_loopbreak(base);
}

static int
wait_renders(unsigned long want)
{
	struct waiter w = { want, mono_ns() + 300 * (int64_t)1000000000 };
	struct event *ev = event_new(base, -1, EV_PERSIST, poll_cb, &w);
	struct timeval tv = { 0, 20000 };

	event_add(ev, &tv);
	event_base_dispatch(base);
	event_free(ev);
	return web_renders() >= want ? 0 : -1;
}

/* --- file helpers */

static char *
path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *
slurp(const char *dir, const char *name)
{
	char *p = path_in(dir, name), *data = file_read(p, NULL);

	if (data == NULL)
		FAIL_HERE("cannot read %s: %s", p, strerror(errno));
	free(p);
	return data;
}

static int
exists(const char *dir, const char *name)
{
	char *p = path_in(dir, name);
	struct stat sb;
	int ok = stat(p, &sb) == 0;

	free(p);
	return ok;
}

static struct timespec
mtime(const char *dir, const char *name)
{
	char *p = path_in(dir, name);
	struct stat sb;
	struct timespec none = { 0, 0 };

	if (stat(p, &sb) == -1) {
		free(p);
		return none;
	}
	free(p);
	return sb.st_mtim;
}

static int
same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/* A PNG of the expected size: magic, IHDR width and height. */
static void
check_png(const char *dir, const char *name, unsigned w, unsigned h)
{
	static const unsigned char magic[8] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
	};
	char *p = path_in(dir, name);
	size_t len = 0;
	unsigned char *d = (unsigned char *)file_read(p, &len);

	if (d == NULL) {
		FAIL_HERE("%s: missing", p);
		free(p);
		return;
	}
	if (len < 200 || len > 1000000 || memcmp(d, magic, 8) != 0)
		FAIL_HERE("%s: not a sane PNG (%zu bytes)", p, len);
	else {
		unsigned pw = (unsigned)d[16] << 24 | d[17] << 16 | d[18] << 8 |
		    d[19];
		unsigned ph = (unsigned)d[20] << 24 | d[21] << 16 | d[22] << 8 |
		    d[23];

		EXPECT_EQ_INT(w, pw);
		EXPECT_EQ_INT(h, ph);
	}
	free(d);
	free(p);
}

static char *webdir_vi, *webdir_en;

/* --- tests */

DEF_TEST(i18n_catalog)
{
	for (int m = 0; m < M_COUNT; m++)
		for (int lang = LANG_VI; lang <= LANG_EN; lang++) {
			const char *s = i18n(lang, m);
			char *clean = utf8_clean(s);

			if (*s == '\0' || strcmp(s, "?") == 0)
				FAIL_HERE("message %d lang %d missing", m, lang);
			if (strcmp(clean, s) != 0)
				FAIL_HERE("message %d lang %d: bad UTF-8", m,
				    lang);
			free(clean);
		}
	EXPECT_EQ_STR("Mất kết nối", i18n_state(LANG_VI, TS_DOWN));
	EXPECT_EQ_STR("Không truy cập được",
	    i18n_state(LANG_VI, TS_UNREACHABLE));
	EXPECT_EQ_STR("Unreachable", i18n_state(LANG_EN, TS_UNREACHABLE));
	EXPECT_EQ_STR("Chưa rõ", i18n_state(LANG_VI, (enum tstate)42));
	EXPECT_EQ_STR("?", i18n(LANG_VI, M_COUNT));
	return 0;
}

DEF_TEST(i18n_formats)
{
	char b[64];

	i18n_number(LANG_VI, 1.5, 1, b, sizeof(b));
	EXPECT_EQ_STR("1,5", b);
	i18n_number(LANG_EN, 1.5, 1, b, sizeof(b));
	EXPECT_EQ_STR("1.5", b);
	i18n_number(LANG_VI, 250.44, 0, b, sizeof(b));
	EXPECT_EQ_STR("250", b);
	i18n_number(LANG_VI, -0.001, 1, b, sizeof(b));
	EXPECT_EQ_STR("0,0", b);
	i18n_number(LANG_VI, NAN, 1, b, sizeof(b));
	EXPECT_EQ_STR("–", b);

	i18n_duration(LANG_VI, 7500, b, sizeof(b));
	EXPECT_EQ_STR("2 giờ 5 phút", b);
	i18n_duration(LANG_EN, 7500, b, sizeof(b));
	EXPECT_EQ_STR("2 h 5 min", b);
	i18n_duration(LANG_VI, 3 * 86400 + 4 * 3600 + 59, b, sizeof(b));
	EXPECT_EQ_STR("3 ngày 4 giờ", b);
	i18n_duration(LANG_VI, 86400, b, sizeof(b));
	EXPECT_EQ_STR("1 ngày", b);
	i18n_duration(LANG_VI, 720, b, sizeof(b));
	EXPECT_EQ_STR("12 phút", b);
	i18n_duration(LANG_EN, 45, b, sizeof(b));
	EXPECT_EQ_STR("45 s", b);
	i18n_duration(LANG_EN, -5, b, sizeof(b));
	EXPECT_EQ_STR("0 s", b);

	/* 2026-11-26 21:36 in Asia/Ho_Chi_Minh */
	i18n_datetime(LANG_VI, 1795703760, b, sizeof(b));
	EXPECT_EQ_STR("26/11/2026 21:36", b);
	i18n_datetime(LANG_EN, 1795703760, b, sizeof(b));
	EXPECT_EQ_STR("2026-11-26 21:36", b);
	return 0;
}

DEF_TEST(i18n_reasons)
{
	char buf[128];

	i18n_reason(LANG_VI, "timeout", buf, sizeof(buf));
	EXPECT_EQ_STR("hết thời gian chờ", buf);
	i18n_reason(LANG_EN, "timeout", buf, sizeof(buf));
	EXPECT_EQ_STR("timeout", buf);
	i18n_reason(LANG_VI, "loss 12.5% > 8.0%", buf, sizeof(buf));
	EXPECT_EQ_STR("mất gói 12,5% > 8,0%", buf);
	i18n_reason(LANG_EN, "rtt 301.0 ms > 300.0 ms", buf, sizeof(buf));
	EXPECT_EQ_STR("rtt 301.0 ms > 300.0 ms", buf);
	i18n_reason(LANG_VI, "jitter 61.2 ms > 50.0 ms", buf, sizeof(buf));
	EXPECT_EQ_STR("jitter 61,2 ms > 50,0 ms", buf);
	i18n_reason(LANG_VI, "cannot resolve portal.example", buf,
	    sizeof(buf));
	EXPECT_EQ_STR("không phân giải được tên portal.example", buf);
	/* an unknown text is shown as it is */
	i18n_reason(LANG_VI, "Operation not permitted", buf, sizeof(buf));
	EXPECT_EQ_STR("Operation not permitted", buf);
	return 0;
}

DEF_TEST(html_escaping)
{
	struct buf b;
	char *c;

	buf_init(&b);
	buf_html(&b, XSS_NAME);
	EXPECT_EQ_STR("&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
	    "&quot;x&quot;", b.p);
	buf_free(&b);

	buf_init(&b);
	buf_html(&b, "Trà\xff\x01'x\xc0\xaf\xed\xa0\x80");	/* junk */
	EXPECT_EQ_STR("Trà\xef\xbf\xbd\xef\xbf\xbd&#39;x\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", b.p);
	buf_free(&b);

	buf_init(&b);
	buf_url(&b, "a b/ủ-_.~");
	EXPECT_EQ_STR("a%20b%2F%E1%BB%A7-_.~", b.p);
	buf_free(&b);

	c = utf8_clean("Đ\xe1\xbb");	/* truncated sequence */
	EXPECT_EQ_STR("Đ\xef\xbf\xbd\xef\xbf\xbd", c);
	free(c);
	return 0;
}

DEF_TEST(graph_due)
{
	char *p = path_in(tmpdir, "due.png");
	time_t now = time(NULL);
	struct timespec ts[2];

	unlink(p);
	EXPECT_TRUE(graph_due(p, GR_1Y, now));	/* new target: all */
	EXPECT_EQ_INT(0, file_replace(p, "x", 1, 0));
	EXPECT_TRUE(graph_due(p, GR_3H, now));	/* every render */
	ts[0].tv_sec = ts[1].tv_sec = now - 200;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, p, ts, 0);
	EXPECT_TRUE(!graph_due(p, GR_1D, now));
	ts[0].tv_sec = ts[1].tv_sec = now - 301;
	utimensat(AT_FDCWD, p, ts, 0);
	EXPECT_TRUE(graph_due(p, GR_1D, now));
	EXPECT_TRUE(!graph_due(p, GR_7D, now));
	ts[0].tv_sec = ts[1].tv_sec = now - 13 * 3600;
	utimensat(AT_FDCWD, p, ts, 0);
	EXPECT_TRUE(graph_due(p, GR_1Y, now));
	unlink(p);
	free(p);
	return 0;
}

/* The first render into an empty web_dir (plus leftovers to prune). */
DEF_TEST(render_vi)
{
	unsigned long before = web_renders();
	char *g = path_in(webdir_vi, "g"), *t = path_in(webdir_vi, "t");
	char *html;

	/* leftovers of a removed target, and a file that is not ours */
	mkdir_p(g, 0755);
	mkdir_p(t, 0755);
	{
		char *a = path_in(g, "gone-lat-3h.png");
		char *b = path_in(t, "gone.html");
		char *c = path_in(g, "README");

		file_replace(a, "x", 1, 0);
		file_replace(b, "x", 1, 0);
		file_replace(c, "x", 1, 0);
		free(a);
		free(b);
		free(c);
	}

	web_render(snapshot(LANG_VI, webdir_vi, t_end));
	EXPECT_EQ_INT(0, wait_renders(before + 1));

	EXPECT_TRUE(exists(webdir_vi, "index.html"));
	EXPECT_TRUE(exists(webdir_vi, "events.html"));
	EXPECT_TRUE(exists(webdir_vi, "status.json"));
	EXPECT_TRUE(exists(webdir_vi, "tramon.css"));
	for (size_t i = 0; i < nitems(tdefs); i++) {
		char *name = xasprintf("t/%s.html", tdefs[i].id);

		if (!exists(webdir_vi, name))
			FAIL_HERE("%s missing", name);
		free(name);
	}
	EXPECT_TRUE(!exists(webdir_vi, "t/gone.html"));
	EXPECT_TRUE(!exists(webdir_vi, "g/gone-lat-3h.png"));
	EXPECT_TRUE(exists(webdir_vi, "g/README"));

	/* every range of every target with an RRD */
	for (size_t i = 0; i < nitems(tdefs); i++)
		for (int r = 0; r < GR_COUNT; r++)
			for (int k = 0; k < GK_COUNT; k++) {
				char f[160], *rel;

				graph_file(tdefs[i].id, k, r, f, sizeof(f));
				rel = xasprintf("g/%s", f);
				if (tdefs[i].has_rrd)
					check_png(webdir_vi, rel, 680, 240);
				else if (exists(webdir_vi, rel))
					FAIL_HERE("%s without an RRD", rel);
				free(rel);
			}
	check_png(webdir_vi, "g/wan-spark.png", 120, 28);
	check_png(webdir_vi, "g/portal-spark.png", 120, 28);

	html = slurp(webdir_vi, "index.html");
	EXPECT_CONTAINS(html, "<html lang=\"vi\">");
	EXPECT_CONTAINS(html, "<meta charset=\"utf-8\">");
	EXPECT_CONTAINS(html, "<meta http-equiv=\"refresh\" content=\"60\">");
	EXPECT_CONTAINS(html, "name=\"viewport\"");
	EXPECT_CONTAINS(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
	    "&quot;x&quot;");
	EXPECT_TRUE(strstr(html, "<script") == NULL);
	EXPECT_TRUE(strstr(html, "alert(1)</script>") == NULL);
	EXPECT_CONTAINS(html, "Huyện Nam Trà My");
	EXPECT_CONTAINS(html, "Hoạt động");
	EXPECT_CONTAINS(html, "Suy giảm");
	EXPECT_CONTAINS(html, "Mất kết nối");
	EXPECT_CONTAINS(html, "Không truy cập được");
	EXPECT_CONTAINS(html, "Bảo trì");
	EXPECT_CONTAINS(html, "Chưa rõ");
	EXPECT_CONTAINS(html, "Cập nhật lúc");
	EXPECT_CONTAINS(html, "Độ trễ");
	EXPECT_CONTAINS(html, "Mất gói");
	EXPECT_CONTAINS(html, "Độ dao động (jitter)");
	EXPECT_CONTAINS(html, "Khác");		/* the group-less target */
	/* decimal comma, the unit kept on the same line */
	EXPECT_CONTAINS(html, "250\xc2\xa0ms");	/* >= 100 ms: no decimals */
	EXPECT_CONTAINS(html, "21,2\xc2\xa0ms");
	EXPECT_CONTAINS(html, "1,5\xc2\xa0ms");
	EXPECT_CONTAINS(html, "5,5%");
	EXPECT_TRUE(strstr(html, "21.2") == NULL);
	/* uptime cut to two decimals: 97.9166 -> 97,91 */
	EXPECT_CONTAINS(html, "97,91%");
	EXPECT_CONTAINS(html, "95,00%");
	/* since when: date and "for 3 days 4 hours" */
	EXPECT_CONTAINS(html, "đã 3 ngày 4 giờ");
	EXPECT_CONTAINS(html, "đã 2 giờ 5 phút");
	/* the problem list: the down target before the degraded one */
	{
		const char *p = strstr(html, "class=\"problems\"");
		const char *d = p ? strstr(p, "t/xss.html") : NULL;
		const char *u = p ? strstr(p, "t/tra-cang.html") : NULL;
		const char *w = p ? strstr(p, "t/tra-linh.html") : NULL;

		EXPECT_TRUE(p && d && u && w && d < u && u < w);
		/* groups in configuration order */
		EXPECT_TRUE(strstr(html, ">Hạ tầng") <
		    strstr(html, ">Điểm cầu"));
		EXPECT_TRUE(strstr(html, ">Điểm cầu") <
		    strstr(html, ">Dịch vụ"));
	}
	EXPECT_CONTAINS(html, "g/wan-spark.png?v=");
	free(html);

	html = slurp(webdir_vi, "t/wan.html");
	EXPECT_CONTAINS(html, "href=\"../tramon.css\"");
	EXPECT_CONTAINS(html, "href=\"../index.html\"");
	EXPECT_CONTAINS(html, "src=\"../g/wan-lat-3h.png?v=");
	EXPECT_CONTAINS(html, "src=\"../g/wan-loss-1y.png?v=");
	EXPECT_CONTAINS(html, "12 tháng qua");
	EXPECT_CONTAINS(html, "Sẵn sàng 30 ngày");
	free(html);

	html = slurp(webdir_vi, "t/xss.html");
	EXPECT_TRUE(strstr(html, "<script") == NULL);
	EXPECT_CONTAINS(html, "src=\"../g/xss-lat-3h.png?v=");
	free(html);

	html = slurp(webdir_vi, "t/moi.html");
	EXPECT_CONTAINS(html, "Chưa có dữ liệu");	/* no RRD, no graphs */
	free(html);

	html = slurp(webdir_vi, "t/tra-linh.html");
	EXPECT_CONTAINS(html, "href=\"wan.html\"");	/* its parent */
	free(html);
	free(g);
	free(t);
	return 0;
}

DEF_TEST(status_json)
{
	char *text = slurp(webdir_vi, "status.json");
	json_error_t err;
	json_t *root = text ? json_loads(text, 0, &err) : NULL;
	json_t *arr, *o;
	size_t i;

	free(text);
	if (root == NULL) {
		FAIL_HERE("status.json: %s", err.text);
		return 1;
	}
	EXPECT_TRUE(json_is_string(json_object_get(root, "generated")));
	EXPECT_CONTAINS(json_string_value(json_object_get(root, "generated")),
	    "+07:00");
	arr = json_object_get(root, "targets");
	EXPECT_TRUE(json_is_array(arr));
	EXPECT_EQ_INT(nitems(tdefs), json_array_size(arr));
	json_array_foreach(arr, i, o) {
		static const char *const strings[] = {
			"id", "name", "type", "state"
		};
		static const char *const numbers[] = {
			"rtt_ms", "loss_pct", "jitter_ms", "uptime_24h_pct",
			"uptime_30d_pct"
		};
		const struct tdef *d = &tdefs[i];
		json_t *v;

		for (size_t k = 0; k < nitems(strings); k++)
			EXPECT_TRUE(json_is_string(json_object_get(o,
			    strings[k])));
		for (size_t k = 0; k < nitems(numbers); k++) {
			v = json_object_get(o, numbers[k]);
			if (!json_is_number(v) && !json_is_null(v))
				FAIL_HERE("%s.%s: not a number", d->id,
				    numbers[k]);
		}
		EXPECT_EQ_STR(d->id, json_string_value(json_object_get(o,
		    "id")));
		EXPECT_EQ_STR(d->name, json_string_value(json_object_get(o,
		    "name")));
		EXPECT_EQ_STR(tstate_name(d->state), json_string_value(
		    json_object_get(o, "state")));
		v = json_object_get(o, "group");
		EXPECT_TRUE(d->group ? json_is_string(v) : json_is_null(v));
		v = json_object_get(o, "since");
		if (d->since_ago)
			EXPECT_CONTAINS(json_string_value(v), "+07:00");
		else
			EXPECT_TRUE(json_is_null(v));
		v = json_object_get(o, "rtt_ms");
		if (isnan(d->median))
			EXPECT_TRUE(json_is_null(v));
		else
			EXPECT_NEAR(d->median * 1e3, json_number_value(v),
			    .001);
		if (!d->has_rrd) {
			EXPECT_TRUE(json_is_null(json_object_get(o,
			    "uptime_24h_pct")));
			EXPECT_TRUE(json_is_null(json_object_get(o,
			    "uptime_30d_pct")));
		}
		EXPECT_TRUE(json_object_get(o, "host") != NULL);
		EXPECT_TRUE(json_object_get(o, "last_round") != NULL);
	}
	/* wan: 30 of the last 1440 minutes down; 90 of 1800 overall */
	o = json_array_get(arr, 0);
	EXPECT_NEAR(100.0 * (1440 - 30) / 1440, json_number_value(
	    json_object_get(o, "uptime_24h_pct")), .001);
	EXPECT_NEAR(100.0 * (1800 - 90) / 1800, json_number_value(
	    json_object_get(o, "uptime_30d_pct")), .001);
	/* portal: 10 minutes down, within the last 24 h */
	o = json_array_get(arr, 4);
	EXPECT_NEAR(100.0 * (1440 - 10) / 1440, json_number_value(
	    json_object_get(o, "uptime_24h_pct")), .001);
	EXPECT_NEAR(100.0 * (1800 - 10) / 1800, json_number_value(
	    json_object_get(o, "uptime_30d_pct")), .001);
	/* tra-linh never down */
	o = json_array_get(arr, 2);
	EXPECT_NEAR(100, json_number_value(json_object_get(o,
	    "uptime_24h_pct")), 1e-9);
	EXPECT_NEAR(5.5, json_number_value(json_object_get(o, "loss_pct")),
	    1e-9);
	EXPECT_NEAR(1.5, json_number_value(json_object_get(o, "jitter_ms")),
	    1e-9);
	json_decref(root);
	return 0;
}

DEF_TEST(events_newest_first)
{
	char *html = slurp(webdir_vi, "events.html");
	const char *order[] = { "why-A", "why-B", "why-C", "why-D", "why-E" };
	const char *prev = html;

	for (size_t i = 0; html && i < nitems(order); i++) {
		const char *p = strstr(html, order[i]);

		if (p == NULL || p < prev)
			FAIL_HERE("%s out of order", order[i]);
		else
			prev = p;
	}
	EXPECT_CONTAINS(html, "Hệ thống giám sát");
	EXPECT_CONTAINS(html, "Bắt đầu giám sát");
	EXPECT_CONTAINS(html, "href=\"t/tra-cang.html\"");
	EXPECT_TRUE(html && strstr(html, "<script") == NULL);
	free(html);

	/* a target page lists only its own events */
	html = slurp(webdir_vi, "t/wan.html");
	EXPECT_CONTAINS(html, "why-D");
	EXPECT_TRUE(html && strstr(html, "why-C") == NULL);
	free(html);
	return 0;
}

/* A second render 60 s later: the 3-h graphs are redrawn, the 1-d one
 * (drawn a moment ago) is not due yet and stays untouched. */
DEF_TEST(second_render_keeps_graphs)
{
	unsigned long before = web_renders();
	struct timespec d1 = mtime(webdir_vi, "g/wan-lat-1d.png");
	struct timespec y1 = mtime(webdir_vi, "g/wan-loss-1y.png");
	struct timespec h3 = mtime(webdir_vi, "g/wan-lat-3h.png");
	struct timespec idx = mtime(webdir_vi, "index.html");

	web_render(snapshot(LANG_VI, webdir_vi, t_end + 60));
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	EXPECT_TRUE(same_time(d1, mtime(webdir_vi, "g/wan-lat-1d.png")));
	EXPECT_TRUE(same_time(y1, mtime(webdir_vi, "g/wan-loss-1y.png")));
	EXPECT_TRUE(!same_time(h3, mtime(webdir_vi, "g/wan-lat-3h.png")));
	EXPECT_TRUE(!same_time(idx, mtime(webdir_vi, "index.html")));
	return 0;
}

/* The rrdtool child that draws the graphs (a child of one of our
 * threads), or -1. */
static pid_t
rrdtool_child(void)
{
	char *list, *comm, *p, *end;
	pid_t found = -1;
	char path[300];
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	while (d && found == -1 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
		    de->d_name);
		if ((list = file_read(path, NULL)) == NULL)
			continue;
		for (p = list; found == -1; p = end) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
			comm = file_read(path, NULL);
			if (comm && strncmp(comm, "rrdtool", 7) == 0)
				found = (pid_t)pid;
			free(comm);
		}
		free(list);
	}
	if (d)
		closedir(d);
	return found;
}

/* A child that dies (killed, crashed) is replaced, and the graph that
 * found it dead is drawn by the new one. */
DEF_TEST(rrdtool_child_dies)
{
	unsigned long before = web_renders();
	struct timespec h3 = mtime(webdir_vi, "g/wan-lat-3h.png");
	pid_t pid = rrdtool_child(), again;

	if (pid == -1) {
		FAIL_HERE("%s", "no rrdtool child found");
		return 1;
	}
	EXPECT_EQ_INT(0, kill(pid, SIGKILL));
	web_render(snapshot(LANG_VI, webdir_vi, t_end + 90));
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	EXPECT_TRUE(!same_time(h3, mtime(webdir_vi, "g/wan-lat-3h.png")));
	check_png(webdir_vi, "g/wan-lat-3h.png", 680, 240);
	again = rrdtool_child();
	EXPECT_TRUE(again != -1 && again != pid);
	return 0;
}

/* Snapshots arriving while a render runs: only the newest is drawn. */
DEF_TEST(coalescing)
{
	unsigned long before = web_renders();
	char *html;

	web_render(snapshot(LANG_VI, webdir_vi, t_end + 120));
	web_render(snapshot(LANG_VI, webdir_vi, t_end + 180));
	web_render(snapshot(LANG_VI, webdir_vi, t_end + 240));
	EXPECT_EQ_INT(0, wait_renders(before + 2));
	/* give a third (wrong) render the time to show up */
	{
		struct timeval tv = { 0, 300000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	EXPECT_EQ_INT(before + 2, web_renders());
	html = slurp(webdir_vi, "status.json");
	{
		char iso[40];

		iso8601(t_end + 240, iso, sizeof(iso));
		EXPECT_CONTAINS(html, iso);
	}
	free(html);
	return 0;
}

/* English, and the graphs drawn in this process (rrd_graph_v) instead
 * of by the rrdtool child. */
DEF_TEST(render_en)
{
	unsigned long before = web_renders();
	char *html;

	graph_use_child(0);
	web_render(snapshot(LANG_EN, webdir_en, t_end));
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	graph_use_child(1);
	html = slurp(webdir_en, "index.html");
	EXPECT_CONTAINS(html, "<html lang=\"en\">");
	EXPECT_CONTAINS(html, "Down");
	EXPECT_CONTAINS(html, "Degraded");
	EXPECT_CONTAINS(html, "Unreachable");
	EXPECT_CONTAINS(html, "Maintenance");
	EXPECT_CONTAINS(html, "Updated at");
	EXPECT_CONTAINS(html, "21.2\xc2\xa0ms");
	EXPECT_CONTAINS(html, "1.5\xc2\xa0ms");
	EXPECT_CONTAINS(html, "for 3 d 4 h");
	EXPECT_TRUE(html && strstr(html, "Mất kết nối") == NULL);
	EXPECT_TRUE(html && strstr(html, "21,2") == NULL);
	EXPECT_CONTAINS(html, "97.91%");
	free(html);
	check_png(webdir_en, "g/wan-lat-7d.png", 680, 240);
	return 0;
}

/* web_status_json() for the HTTP server; an rrdcached that cannot be
 * reached is logged, the files are still read. */
DEF_TEST(status_json_direct)
{
	struct web_snapshot *s = snapshot(LANG_VI, webdir_vi, t_end);
	char *text;
	json_error_t err;
	json_t *root;

	free(s->rrdcached);
	s->rrdcached = xasprintf("unix:%s/no-such.sock", tmpdir);
	text = web_status_json(s);
	root = json_loads(text, 0, &err);
	EXPECT_TRUE(root != NULL);
	EXPECT_EQ_INT(nitems(tdefs), json_array_size(json_object_get(root,
	    "targets")));
	EXPECT_NEAR(100.0 * (1440 - 30) / 1440, json_number_value(
	    json_object_get(json_array_get(json_object_get(root, "targets"),
	    0), "uptime_24h_pct")), .001);
	json_decref(root);
	free(text);
	web_snapshot_free(s);
	return 0;
}

/* No targets, no events: the pages say so, nothing breaks. */
DEF_TEST(render_empty)
{
	unsigned long before = web_renders();
	char *dir = path_in(tmpdir, "www-empty");
	struct web_snapshot *s = xcalloc(1, sizeof(*s));
	char *html, *json;

	s->generated = t_end;
	s->language = LANG_VI;
	s->web_dir = xstrdup(dir);
	s->rrdcached = xstrdup("");
	web_render(s);
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	html = slurp(dir, "index.html");
	EXPECT_CONTAINS(html, "Chưa có điểm giám sát nào được cấu hình");
	EXPECT_CONTAINS(html, "<title>Tổng quan — Giám sát mạng</title>");
	EXPECT_TRUE(html && strstr(html, "http-equiv") == NULL);
	free(html);
	html = slurp(dir, "events.html");
	EXPECT_CONTAINS(html, "Chưa có sự kiện nào");
	free(html);
	json = slurp(dir, "status.json");
	EXPECT_CONTAINS(json, "\"targets\": []");
	free(json);
	free(dir);
	return 0;
}

/* Without the rrdtool program the graphs are still drawn (in-process). */
DEF_TEST(rrdtool_missing)
{
	unsigned long before = web_renders();
	char *dir = path_in(tmpdir, "www-nopath");
	char *empty = path_in(tmpdir, "empty-bin");
	char *path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin");

	mkdir_p(empty, 0755);
	graph_close();			/* the next graph starts a child */
	setenv("PATH", empty, 1);
	web_render(snapshot(LANG_VI, dir, t_end));
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	setenv("PATH", path, 1);
	graph_use_child(1);
	check_png(dir, "g/wan-lat-3h.png", 680, 240);
	check_png(dir, "g/portal-loss-1y.png", 680, 240);
	check_png(dir, "g/wan-spark.png", 120, 28);
	free(dir);
	free(empty);
	free(path);
	return 0;
}

/* --- rrdcached: values still in the daemon must count */

static pid_t
start_rrdcached(const char *sock, const char *dir)
{
	char *listen = xasprintf("unix:%s", sock);
	char *argv[] = {
		"rrdcached", "-g", "-l", listen, "-b", (char *)dir, "-B",
		"-w", "3600", "-z", "1", "-f", "7200", "-F", NULL
	};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "rrdcached", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(listen);
	if (rc != 0)
		return -1;
	for (int i = 0; i < 250; i++) {		/* at most 5 s */
		struct stat sb;

		if (stat(sock, &sb) == 0)
			return pid;
		usleep(20000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return -1;
}

DEF_TEST(rrdcached)
{
	char *dir = xasprintf("%s/cached", tmpdir);
	char *sock = xasprintf("%s/rrdcached.sock", dir);	/* base: tmpdir */
	char *addr = xasprintf("unix:%s", sock);
	char *rrd = xasprintf("%s/c.rrd", dir);
	struct web_snapshot *s;
	const char *vals[60];
	char *lines[60];
	json_t *root, *o;
	char *text;
	pid_t pid;
	int status;

	mkdir_p(dir, 0755);
	if ((pid = start_rrdcached(sock, tmpdir)) == -1) {
		printf("# rrdcached not available: skipped\n");
		goto out;
	}
	create_rrd(rrd, 0, t_end - 3600);
	/* one hour through the daemon: 45 min up, 15 min down */
	for (int k = 0; k < 60; k++) {
		struct sample sm;

		if (k < 45)
			fill(&sm, .01, 0);
		else
			down(&sm);
		lines[k] = sample_line(t_end - 3600 + 60 * (k + 1), &sm, 0);
		vals[k] = lines[k];
	}
	EXPECT_EQ_INT(0, rrdc_connect(addr));
	EXPECT_EQ_INT(0, rrdc_update(rrd, 60, vals));
	for (int k = 0; k < 60; k++)
		free(lines[k]);

	s = snapshot(LANG_VI, webdir_vi, t_end);
	free(s->targets[0].rrd);
	s->targets[0].rrd = xstrdup(rrd);

	/* read directly, the file has nothing yet */
	text = web_status_json(s);
	root = json_loads(text, 0, NULL);
	o = json_array_get(json_object_get(root, "targets"), 0);
	EXPECT_TRUE(json_is_null(json_object_get(o, "uptime_24h_pct")));
	json_decref(root);
	free(text);

	/* through the daemon: flushed first, then read */
	free(s->rrdcached);
	s->rrdcached = xstrdup(addr);
	text = web_status_json(s);
	root = json_loads(text, 0, NULL);
	o = json_array_get(json_object_get(root, "targets"), 0);
	EXPECT_NEAR(75.0, json_number_value(json_object_get(o,
	    "uptime_24h_pct")), .001);
	/* a file the daemon has no values for is not an error */
	EXPECT_TRUE(json_is_null(json_object_get(json_array_get(
	    json_object_get(root, "targets"), 6), "uptime_24h_pct")));
	json_decref(root);
	free(text);
	web_snapshot_free(s);

	rrdc_disconnect();
	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid)
		FAIL_HERE("waitpid: %s", strerror(errno));
out:
	free(dir);
	free(sock);
	free(addr);
	free(rrd);
	return 0;
}

static void
cleanup(void)
{
	char *cmd;

	if (getenv("WEB_TEST_KEEP")) {
		printf("# kept %s\n", tmpdir);
		return;
	}
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(cmd);
}

int
main(void)
{
	const char *assets = getenv("top_srcdir");
	char *asset_dir, *rrddir;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* TAP survives a sanitizer exit */
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	log_init(1, LOG_WARNING, "web_test");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/web_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	t_end = time(NULL) / 3600 * 3600;
	rrddir = path_in(tmpdir, "rrd");
	mkdir_p(rrddir, 0755);
	free(rrddir);
	{
		char *p;

		p = rrd_path("wan");
		make_rrd(p, 1, wan_sample);
		free(p);
		p = rrd_path("tra-linh");
		make_rrd(p, 1, radio_sample);
		free(p);
		p = rrd_path("portal");
		make_rrd(p, 0, portal_sample);
		free(p);
		p = rrd_path("xss");	/* its name goes into graph titles */
		make_rrd(p, 0, portal_sample);
		free(p);
	}
	webdir_vi = path_in(tmpdir, "www");
	webdir_en = path_in(tmpdir, "www-en");

	evthread_use_pthreads();
	base = event_base_new();
	asset_dir = xasprintf("%s/web", assets ? assets : TOP_SRCDIR);
	web_open(base, asset_dir);

	RUN_TEST(i18n_catalog);
	RUN_TEST(i18n_formats);
	RUN_TEST(i18n_reasons);
	RUN_TEST(html_escaping);
	RUN_TEST(graph_due);
	RUN_TEST(render_vi);
	RUN_TEST(status_json);
	RUN_TEST(events_newest_first);
	RUN_TEST(second_render_keeps_graphs);
	RUN_TEST(rrdtool_child_dies);
	RUN_TEST(coalescing);
	RUN_TEST(render_en);
	RUN_TEST(status_json_direct);
	RUN_TEST(render_empty);
	RUN_TEST(rrdtool_missing);
	RUN_TEST(rrdcached);

	web_close();
	event_base_free(base);
	libevent_global_shutdown();
	free(asset_dir);
	free(webdir_vi);
	free(webdir_en);
	cleanup();
	END_TEST;
}
