/*
 * Monthly reports as documents: HTML and PDF of a March 2026 written
 * here (journal and one RRD), checked from the outside: the HTML by
 * Python's html.parser (every element closed, nothing stray), the PDF
 * by pdftotext (the Vietnamese names with their diacritics, the
 * figures) and one page drawn by pdftoppm, kept as
 * tests/unit/report_doc_page1.png in the build directory to look at.
 *
 * Two targets in Asia/Ho_Chi_Minh: "Bộ định tuyến WAN" down 1 h on the
 * 10th (12:00-13:00), "Xã Trà Linh" behind it, unreachable meanwhile.
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <rrd.h>

#include "conf.h"
#include "i18n.h"
#include "journal.h"
#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "test.h"
#include "util.h"

static char dir[] = "/tmp/tramon-report-doc-XXXXXX";

enum { WAN, LINH, N };

static struct target_def defs[N];
static struct conf conf = { .targets = defs, .ntargets = N,
	.name = "Huyện Nam Trà My <b>&", .timezone = "Asia/Ho_Chi_Minh",
	.reports_present = 1, .reports = { .sla_pct = 99.9 } };

#define MAR 1772298000L         /* 2026-03-01 00:00 +07 */
#define T(d, h, m) ((time_t)(MAR + ((d) - 1) * 86400L + (h) * 3600L + \
	(m) * 60L))

static void
setup(void)
{
	defs[WAN].pub.id = "wan";
	defs[WAN].pub.name = "Bộ định tuyến WAN";
	defs[WAN].group = "Hạ tầng";
	defs[WAN].parent = -1;
	defs[LINH].pub.id = "tra-linh";
	defs[LINH].pub.name = "Xã Trà Linh";
	defs[LINH].group = "Điểm cầu";
	defs[LINH].parent = WAN;
	defs[LINH].parent_id = "wan";
	conf.state_dir = dir;
	conf.language = LANG_VI;
	setenv("TZ", conf.timezone, 1);
	tzset();
}

/* One journal line, as journal_append() writes it. */
static void
put(time_t ts, json_t *ev)
{
	char *jdir = xasprintf("%s/journal", dir), *path, *text, stamp[40];
	json_t *line = json_object();
	FILE *f;

	mkdir_p(jdir, 0750);
	free(jdir);
	iso8601(ts, stamp, sizeof(stamp));
	json_object_set_new(line, "time", json_string(stamp));
	json_object_set_new(line, "ts", json_integer(ts));
	json_object_update(line, ev);
	json_decref(ev);
	text = json_dumps(line, JSON_COMPACT);
	json_decref(line);
	path = journal_path(dir, ts);
	if ((f = fopen(path, "a")) != NULL) {
		fprintf(f, "%s\n", text);
		fclose(f);
	} else
		FAIL_HERE("cannot open %s", path);
	free(path);
	free(text);
}

static void
state(time_t ts, int t, const char *from, const char *to, time_t since,
    int parent)
{
	char s[40];
	json_t *ev;

	iso8601(since, s, sizeof(s));
	ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event", "state",
	    "target", defs[t].pub.id, "from", from, "to", to,
	    "streak_since", s);
	if (parent >= 0)
		json_object_set_new(ev, "parent",
		    json_string(defs[parent].pub.id));
	put(ts, ev);
}

static void
write_month(void)
{
	put(T(1, 0, 0) - 86400, json_pack("{s:s}", "event", "start"));
	state(T(1, 0, 0) - 86400 + 5, WAN, "unknown", "up",
	    T(1, 0, 0) - 86400 + 5, -1);
	state(T(1, 0, 0) - 86400 + 5, LINH, "unknown", "up",
	    T(1, 0, 0) - 86400 + 5, -1);
	for (int d = 1; d <= 31; d++)	/* tramond ran all month */
		put(T(d, 6, 0), json_pack("{s:s}", "event", "alive"));
	state(T(10, 12, 3), WAN, "up", "down", T(10, 12, 0), -1);
	state(T(10, 12, 3), LINH, "up", "unreachable", T(10, 12, 0), WAN);
	state(T(10, 13, 1), WAN, "down", "up", T(10, 13, 0), -1);
	state(T(10, 13, 1), LINH, "unreachable", "up", T(10, 13, 0), -1);
	put(T(32, 6, 0), json_pack("{s:s}", "event", "alive"));
}

/* wan's RRD as store.c keeps it (the DSes the graph reads), hourly. */
static int
write_rrd(void)
{
	const char *args[] = { "DS:median:GAUGE:7200:0:U",
		"DS:min:GAUGE:7200:0:U", "DS:max:GAUGE:7200:0:U",
		"DS:loss:GAUGE:7200:0:100", "DS:up:GAUGE:7200:0:1",
		"RRA:AVERAGE:0.5:1:2000", "RRA:MIN:0.5:1:2000",
		"RRA:MAX:0.5:1:2000" };
	char *rdir = xasprintf("%s/rrd", dir), *path;
	int rc;

	mkdir_p(rdir, 0750);
	path = xasprintf("%s/wan.rrd", rdir);
	rc = rrd_create_r2(path, 3600, MAR - 3600, 0, NULL, NULL,
	    (int)nitems(args), args);
	for (time_t t = MAR; rc == 0 && t <= T(32, 0, 0); t += 3600) {
		int down = t > T(10, 12, 0) && t <= T(10, 13, 0);
		double med = 0.012 + 0.006 * ((t - MAR) / 3600 % 24) / 24.0;
		char *v = down ? xasprintf("%lld:U:U:U:100:0", (long long)t) :
		    xasprintf("%lld:%.4f:%.4f:%.4f:0:1", (long long)t, med,
		    med * 0.8, med * 1.6);
		const char *argv[] = { v };

		rc = rrd_update_r(path, NULL, 1, argv);
		free(v);
	}
	if (rc)
		printf("# %s\n", rrd_get_error());
	free(path);
	free(rdir);
	return rc;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

static char *
write_tmp(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len) {
		FAIL_HERE("cannot write %s", path);
		if (f)
			fclose(f);
		return path;
	}
	fclose(f);
	return path;
}

static int
run(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The strings a reader must find in either document. */
static void
expect_figures(const struct report *r, const char *doc)
{
	char pct[48];

	EXPECT_CONTAINS(doc, "Bộ định tuyến WAN");
	EXPECT_CONTAINS(doc, "Xã Trà Linh");
	EXPECT_CONTAINS(doc, "Hạ tầng");
	EXPECT_CONTAINS(doc, "Báo cáo mức độ sẵn sàng của mạng");
	EXPECT_CONTAINS(doc, "Không truy cập");	/* may wrap after */
	EXPECT_CONTAINS(doc, "10/03/2026 12:00:00");
	EXPECT_CONTAINS(doc, "10/03/2026 13:00:00");
	EXPECT_CONTAINS(doc, "1:00:00");
	EXPECT_CONTAINS(doc, "744:00:00");
	report_fmt_pct(LANG_VI, r->targets[WAN].f.availability, pct,
	    sizeof(pct));
	EXPECT_EQ_STR("99,865 %", pct);	/* 743 h / 744 h, cut */
	EXPECT_CONTAINS(doc, pct);
}

DEF_TEST(figures)
{
	struct report *r = report_build(&conf, 2026, 3, T(40, 0, 0));

	if (r == NULL)
		return 1;
	EXPECT_EQ_INT(3600, r->targets[WAN].f.down);
	EXPECT_EQ_INT(3600, r->targets[LINH].f.unreachable);
	EXPECT_EQ_INT(0, r->targets[WAN].f.nodata);
	report_free(r);
	return 0;
}

static const char html_check[] =
	"import sys, html.parser\n"
	"VOID = {'meta','img','br','hr','link','input','col','wbr','source'}\n"
	"class P(html.parser.HTMLParser):\n"
	"  def __init__(s):\n"
	"    super().__init__(convert_charrefs=True); s.st=[]; s.err=[]\n"
	"    s.text=[]; s.imgs=0; s.below=0\n"
	"  def handle_starttag(s, t, a):\n"
	"    d = dict(a)\n"
	"    if t == 'img' and d.get('src','').startswith("
	"'data:image/png;base64,'): s.imgs += 1\n"
	"    if t == 'tr' and d.get('class') == 'below': s.below += 1\n"
	"    if t not in VOID: s.st.append(t)\n"
	"  def handle_startendtag(s, t, a):\n"
	"    if t not in VOID and t not in ('rect',): s.err.append(t)\n"
	"  def handle_endtag(s, t):\n"
	"    if not s.st or s.st[-1] != t:\n"
	"      s.err.append('</%s> in %s' % (t, s.st[-3:])); return\n"
	"    s.st.pop()\n"
	"  def handle_data(s, d): s.text.append(d)\n"
	"p = P(); src = open(sys.argv[1], encoding='utf-8').read()\n"
	"assert src.startswith('<!DOCTYPE html>'), 'doctype'\n"
	"p.feed(src); p.close()\n"
	"assert not p.err, p.err\n"
	"assert not p.st, 'unclosed: %s' % p.st\n"
	"text = ''.join(p.text)\n"
	"assert 'Huyện Nam Trà My <b>&' in text, 'district'\n"
	"assert p.imgs == 1, 'graphs: %d' % p.imgs\n"
	"assert p.below >= 2, 'below: %d' % p.below\n";

DEF_TEST(html)
{
	struct report *r = report_build(&conf, 2026, 3, T(40, 0, 0));
	char *doc, *path, *py, *cmd;
	size_t len;

	if (r == NULL)
		return 1;
	report_rrd(r, &conf);
	doc = report_html(r, &conf, &len);
	EXPECT_EQ_INT(strlen(doc), len);
	expect_figures(r, doc);
	/* the district from the config is text, never markup */
	EXPECT_CONTAINS(doc, "Huyện Nam Trà My &lt;b&gt;&amp;");
	EXPECT_TRUE(strstr(doc, "<b>&") == NULL);
	EXPECT_CONTAINS(doc, "<html lang=\"vi\">");
	EXPECT_CONTAINS(doc, "@page{size:A4");
	EXPECT_CONTAINS(doc, "data:image/png;base64,iVBORw0KGgo");
	EXPECT_CONTAINS(doc, "<tr class=\"below\">");
	path = write_tmp("report.html", doc, len);
	py = write_tmp("check_html.py", html_check, sizeof(html_check) - 1);
	cmd = xasprintf("/usr/bin/python3 %s %s", py, path);
	EXPECT_EQ_INT(0, run(cmd));
	free(cmd);
	free(py);
	free(path);
	free(doc);
	report_free(r);
	return 0;
}

/* A tool's output into a string (at most 1 MB). */
static char *
output_of(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *s = xmalloc(1 << 20);
	size_t n = 0, k;

	if (f == NULL) {
		s[0] = '\0';
		return s;
	}
	while (n < (1 << 20) - 1 && (k = fread(s + n, 1,
	    (1 << 20) - 1 - n, f)) > 0)
		n += k;
	s[n] = '\0';
	pclose(f);
	return s;
}

DEF_TEST(pdf)
{
	struct report *r = report_build(&conf, 2026, 3, T(40, 0, 0));
	const char *bd = getenv("top_builddir");
	unsigned char *doc;
	char *path, *text, *cmd, *png;
	size_t len;

	if (r == NULL)
		return 1;
	report_rrd(r, &conf);
	doc = report_pdf(r, &conf, &len);
	EXPECT_TRUE(doc != NULL && len > 1000);
	if (doc == NULL) {
		report_free(r);
		return 1;
	}
	EXPECT_TRUE(memcmp(doc, "%PDF-", 5) == 0);
	path = write_tmp("report.pdf", doc, len);
	cmd = xasprintf("pdftotext -enc UTF-8 %s -", path);
	text = output_of(cmd);
	expect_figures(r, text);
	EXPECT_CONTAINS(text, "Huyện Nam Trà My <b>&");
	free(cmd);
	free(text);
	cmd = xasprintf("pdfinfo %s", path);
	text = output_of(cmd);
	EXPECT_CONTAINS(text, "A4");
	free(cmd);
	free(text);

	/* the first page as an image, kept for a person to look at */
	png = xasprintf("%s/tests/unit/report_doc_page1", bd ? bd : ".");
	cmd = xasprintf("pdftoppm -png -r 100 -f 1 -l 1 -singlefile %s %s",
	    path, png);
	EXPECT_EQ_INT(0, run(cmd));
	printf("# page 1: %s.png\n", png);
	free(cmd);
	free(png);
	free(path);
	free(doc);
	report_free(r);
	return 0;
}

int
main(void)
{
	static const char *const tools[] = { "/usr/bin/python3",
		"/usr/bin/pdftotext", "/usr/bin/pdftoppm", "/usr/bin/pdfinfo" };

	for (size_t k = 0; k < nitems(tools); k++)
		if (access(tools[k], X_OK) != 0) {
			char *why = xasprintf("%s missing (poppler-utils, "
			    "python3: tests/deps.sh)", tools[k]);

			SKIP_ALL(why);
		}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setup();
	write_month();
	if (write_rrd() != 0)
		printf("# no RRD: the graph checks will fail\n");

	RUN_TEST(figures);
	RUN_TEST(html);
	RUN_TEST(pdf);

	if (getenv("REPORT_TEST_KEEP"))
		printf("# kept %s\n", dir);
	else
		nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	END_TEST;
}
