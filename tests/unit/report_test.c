/*
 * Monthly reports: journals written here, line by line as tramond
 * writes them, with known outages; every figure is checked against
 * values computed by hand, to the second.
 *
 * March 2026 in Asia/Ho_Chi_Minh (UTC+7, 744 h), five targets:
 *
 *   wan       Hạ tầng    root
 *   tra-linh  Điểm cầu   behind wan
 *   sw-cang   Hạ tầng    root
 *   tra-cang  Điểm cầu   behind sw-cang
 *   portal    (none)     root, configured on the 12th
 *
 * and what happened (local times):
 *
 *   Feb 28 23:58    wan fails; DOWN decided Mar 1 00:01, in March's file;
 *                   tra-linh unreachable through it from 23:58:30;
 *                   wan answers 00:30:00, tra-linh 00:30:30
 *   Mar 5 08:00-10:00  tra-cang in maintenance; down 08:10-08:40 (not
 *                   counted) and 09:30-10:30 (30 min counted)
 *   Mar 10 12:00    sw-cang down, acknowledged 12:10; tramond stopped
 *                   13:00-14:00; sw-cang answers 14:01
 *   Mar 12 10:00    portal's first state change
 *   Mar 15 06:05    the last "alive" before a crash; started 07:00
 *   Mar 20 03:00    sw-cang down, back 03:10 restarted (a "reboot");
 *                   tra-cang unreachable through it 03:00:10-03:10:20
 *   Mar 22 09:00    tra-linh down 20 min; wan's port to it went down
 *                   08:59:30
 *   Mar 25 14:00    wan down, sw-cang 14:00:20: every root down, the
 *                   monitor is cut off until 14:20:00
 *   Mar 31 23:59    tra-linh fails; DOWN decided Apr 1 00:02 (April's
 *                   file), answers Apr 1 00:10
 *   the last line of March's file is torn.
 *
 * Then on their own: month boundaries and an outage over the spring-
 * forward hour in Europe/Berlin (743- and 745-hour months), a monitor
 * cut off twice before its digest, and down -> unreachable -> down.
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
#include "report_fmt.h"
#include "report_job.h"
#include "test.h"
#include "util.h"

static char dir[] = "/tmp/tramon-report-XXXXXX";

enum { WAN, LINH, SW, CANG, PORTAL, N };

static struct target_def defs[N];
static struct conf conf = { .targets = defs, .ntargets = N,
	.name = "Huyện Nam Trà My", .timezone = "Asia/Ho_Chi_Minh",
	.reports_present = 1, .reports = { .sla_pct = 99.9 } };

/* March 2026 in Asia/Ho_Chi_Minh: no daylight saving, UTC+7. */
#define MAR 1772298000L
#define APR 1774976400L
#define T(d, h, m, s) ((time_t)(MAR + ((d) - 1) * 86400L + (h) * 3600L + \
	(m) * 60L + (s)))
#define FEB(d, h, m, s) ((time_t)(T(1, 0, 0, 0) - (29 - (d)) * 86400L + \
	(h) * 3600L + (m) * 60L + (s)))
#define AP(d, h, m, s) ((time_t)(APR + ((d) - 1) * 86400L + (h) * 3600L + \
	(m) * 60L + (s)))

static void
setup_conf(const char *state_dir, const char *tz)
{
	static const char *ids[N] = { "wan", "tra-linh", "sw-cang",
		"tra-cang", "portal" };
	static const char *names[N] = { "Bộ định tuyến WAN", "Xã Trà Linh",
		"Switch Trà Cang", "Xã Trà Cang",
		"Cổng thông tin điện tử huyện" };
	static const char *groups[N] = { "Hạ tầng", "Điểm cầu", "Hạ tầng",
		"Điểm cầu", "" };
	static const int parents[N] = { -1, WAN, -1, SW, -1 };

	for (int i = 0; i < N; i++) {
		memset(&defs[i], 0, sizeof(defs[i]));
		defs[i].pub.id = ids[i];
		defs[i].pub.name = names[i];
		defs[i].group = (char *)groups[i];
		defs[i].parent = parents[i];
		defs[i].parent_id = parents[i] >= 0 ?
		    (char *)ids[parents[i]] : NULL;
	}
	conf.ntargets = N;
	conf.state_dir = (char *)state_dir;
	conf.timezone = (char *)tz;
	conf.language = LANG_VI;
	setenv("TZ", tz, 1);
	tzset();
}

/* ---- writing journals the way tramond does ---- */

static char *
month_path(const char *state_dir, time_t ts)
{
	char *jdir = xasprintf("%s/journal", state_dir), *p;

	mkdir_p(jdir, 0750);
	free(jdir);
	p = journal_path(state_dir, ts);	/* the month in TZ */
	return p;
}

static void
put_raw(const char *state_dir, time_t ts, const char *text)
{
	char *path = month_path(state_dir, ts);
	FILE *f = fopen(path, "a");

	if (f == NULL) {
		FAIL_HERE("cannot open %s", path);
		free(path);
		return;
	}
	fputs(text, f);
	fclose(f);
	free(path);
}

/* One line: "time" and "ts" first, as journal_append() writes them. */
static void
put(time_t ts, json_t *ev)
{
	json_t *line = json_object();
	char stamp[40], *text, *nl;

	iso8601(ts, stamp, sizeof(stamp));
	json_object_set_new(line, "time", json_string(stamp));
	json_object_set_new(line, "ts", json_integer(ts));
	json_object_update(line, ev);
	json_decref(ev);
	text = json_dumps(line, JSON_COMPACT);
	json_decref(line);
	nl = xasprintf("%s\n", text);
	put_raw(conf.state_dir, ts, nl);
	free(nl);
	free(text);
}

static void
daemon_ev(time_t ts, const char *event)
{
	put(ts, json_pack("{s:s}", "event", event));
}

/* A state change decided at `ts`, its streak begun at `since`. */
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
	if (strcmp(to, "down") == 0)
		json_object_set_new(ev, "reason", json_string("timeout"));
	put(ts, ev);
}

static void
target_ev(time_t ts, int t, const char *event, const char *action,
    const char *instance)
{
	json_t *ev = json_pack("{s:s, s:s}", "event", event, "target",
	    defs[t].pub.id);

	if (action)
		json_object_set_new(ev, "action", json_string(action));
	if (instance)
		json_object_set_new(ev, "instance", json_string(instance));
	put(ts, ev);
}

static void
way_out(time_t ts, const char *action, int t, time_t since, time_t at)
{
	char s[40], a[40];

	iso8601(since, s, sizeof(s));
	iso8601(at, a, sizeof(a));
	put(ts, json_pack("{s:s, s:s, s:s, s:s, s:s}", "event", "way_out",
	    "action", action, "target", defs[t].pub.id, "since", s, "at", a));
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
clear_dir(const char *d)
{
	nftw(d, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- the March journal ---- */

static void
write_march(void)
{
	/* February: tramond started, everything answered */
	daemon_ev(FEB(10, 0, 0, 0), "start");
	for (int i = WAN; i <= CANG; i++)
		state(FEB(10, 0, 0, 5), i, "unknown", "up", FEB(10, 0, 0, 5),
		    -1);
	daemon_ev(FEB(28, 23, 55, 0), "alive");

	/* across the boundary: decided after midnight, in March's file */
	state(T(1, 0, 1, 0), WAN, "up", "down", FEB(28, 23, 58, 0), -1);
	state(T(1, 0, 1, 0), LINH, "up", "unreachable", FEB(28, 23, 58, 30),
	    WAN);
	state(T(1, 0, 31, 0), WAN, "down", "up", T(1, 0, 30, 0), -1);
	state(T(1, 0, 32, 0), LINH, "unreachable", "up", T(1, 0, 30, 30), -1);

	/* maintenance, one outage inside it, one across its end */
	target_ev(T(5, 8, 0, 0), CANG, "maintenance", "start", NULL);
	state(T(5, 8, 13, 0), CANG, "up", "down", T(5, 8, 10, 0), -1);
	state(T(5, 8, 41, 0), CANG, "down", "up", T(5, 8, 40, 0), -1);
	state(T(5, 9, 33, 0), CANG, "up", "down", T(5, 9, 30, 0), -1);
	target_ev(T(5, 10, 0, 0), CANG, "maintenance", "end", NULL);
	state(T(5, 10, 31, 0), CANG, "down", "up", T(5, 10, 30, 0), -1);

	/* an outage across a clean stop; acknowledged */
	state(T(10, 12, 3, 0), SW, "up", "down", T(10, 12, 0, 0), -1);
	target_ev(T(10, 12, 10, 0), SW, "ack", NULL, NULL);
	daemon_ev(T(10, 13, 0, 0), "stop");
	daemon_ev(T(10, 14, 0, 0), "start");
	state(T(10, 14, 2, 0), SW, "down", "up", T(10, 14, 1, 0), -1);

	/* a new target */
	state(T(12, 10, 0, 0), PORTAL, "unknown", "up", T(12, 10, 0, 0), -1);

	/* a crash: no "stop" */
	daemon_ev(T(15, 6, 0, 0), "alive");
	daemon_ev(T(15, 6, 5, 0), "alive");
	daemon_ev(T(15, 7, 0, 0), "start");
	put(T(15, 7, 0, 1), json_pack("{s:s, s:s}", "event", "mystery",
	    "target", "wan"));	/* unknown: ignored */

	/* a switch that came back restarted, and what is behind it */
	state(T(20, 3, 3, 0), SW, "up", "down", T(20, 3, 0, 0), -1);
	state(T(20, 3, 3, 0), CANG, "up", "unreachable", T(20, 3, 0, 10),
	    SW);
	target_ev(T(20, 3, 10, 5), SW, "reboot", NULL, NULL);
	state(T(20, 3, 11, 0), SW, "down", "up", T(20, 3, 10, 0), -1);
	state(T(20, 3, 11, 30), CANG, "unreachable", "up", T(20, 3, 10, 20),
	    -1);

	/* the WAN router's port to Trà Linh */
	target_ev(T(22, 8, 59, 30), WAN, "port_down", NULL, "ge-0/0/3");
	state(T(22, 9, 3, 0), LINH, "up", "down", T(22, 9, 0, 0), -1);
	state(T(22, 9, 21, 0), LINH, "down", "up", T(22, 9, 20, 0), -1);

	/* the monitor cut off: every root down */
	state(T(25, 14, 3, 0), WAN, "up", "down", T(25, 14, 0, 0), -1);
	state(T(25, 14, 3, 0), LINH, "up", "unreachable", T(25, 14, 0, 40),
	    WAN);
	state(T(25, 14, 3, 20), SW, "up", "down", T(25, 14, 0, 20), -1);
	state(T(25, 14, 3, 20), CANG, "up", "unreachable", T(25, 14, 0, 50),
	    SW);
	way_out(T(25, 14, 3, 20), "cut", SW, T(25, 14, 0, 20),
	    T(25, 14, 3, 20));
	state(T(25, 14, 21, 0), WAN, "down", "up", T(25, 14, 20, 0), -1);
	way_out(T(25, 14, 21, 0), "reconnected", WAN, T(25, 14, 0, 20),
	    T(25, 14, 20, 0));
	state(T(25, 14, 21, 0), SW, "down", "up", T(25, 14, 20, 0), -1);
	state(T(25, 14, 21, 30), LINH, "unreachable", "up", T(25, 14, 20, 0),
	    -1);
	state(T(25, 14, 21, 30), CANG, "unreachable", "up", T(25, 14, 20, 0),
	    -1);
	way_out(T(25, 14, 25, 0), "digest", WAN, T(25, 14, 0, 20),
	    T(25, 14, 20, 0));

	/* the last minute of the month, decided in April */
	daemon_ev(T(31, 23, 55, 0), "alive");
	put_raw(conf.state_dir, T(31, 23, 59, 0),
	    "{\"time\":\"2026-03-31T23:59:30+07:00\",\"ts\":17749");
	state(AP(1, 0, 2, 0), LINH, "up", "down", T(31, 23, 59, 0), -1);
	state(AP(1, 0, 11, 0), LINH, "down", "up", AP(1, 0, 10, 0), -1);
}

/* ---- checks ---- */

#define MONTH_S (31 * 86400L)
#define OFF_S (3600L + 3300L)           /* the stop, the crash */
#define CUT_S 1180L                     /* 14:00:20 - 14:20:00 */

static void
expect_figures(const struct report_figures *f, long nodata, long maint,
    long down, long unreach, unsigned n, long longest)
{
	long monitored = MONTH_S - nodata;
	long up = monitored - maint - down - unreach;

	EXPECT_EQ_INT(MONTH_S, f->period);
	EXPECT_EQ_INT(nodata, f->nodata);
	EXPECT_EQ_INT(monitored, f->monitored);
	EXPECT_EQ_INT(maint, f->maintenance);
	EXPECT_EQ_INT(down, f->down);
	EXPECT_EQ_INT(unreach, f->unreachable);
	EXPECT_EQ_INT(up, f->up);
	EXPECT_EQ_INT(n, f->outages);
	EXPECT_EQ_INT(longest, f->longest);
	EXPECT_EQ_INT(n ? (down + unreach) / (long)n : 0, f->mttr);
	EXPECT_NEAR(100.0 * (double)up / (double)(monitored - maint),
	    f->availability, 1e-9);
}

static void
expect_outage(const struct report_outage *o, time_t start, time_t end,
    long counted, enum report_kind kind, const char *via)
{
	EXPECT_EQ_INT(start, o->start);
	EXPECT_EQ_INT(end, o->end);
	EXPECT_EQ_INT(end - start, o->duration);
	EXPECT_EQ_INT(counted, o->counted);
	EXPECT_EQ_INT(kind, o->kind);
	if (via)
		EXPECT_EQ_STR(via, o->via);
	else
		EXPECT_TRUE(o->via == NULL);
}

static struct report *
march(void)
{
	return report_build(&conf, 2026, 3, AP(20, 0, 0, 0));
}

DEF_TEST(month_bounds)
{
	time_t s, e;
	int y, m;

	EXPECT_EQ_INT(0, report_month_bounds("Asia/Ho_Chi_Minh", 2026, 3, &s,
	    &e));
	EXPECT_EQ_INT(MAR, s);
	EXPECT_EQ_INT(APR, e);
	/* daylight saving: March has 743 hours in Berlin, October 745 */
	EXPECT_EQ_INT(0, report_month_bounds("Europe/Berlin", 2026, 3, &s,
	    &e));
	EXPECT_EQ_INT(1772319600, s);	/* 2026-03-01 00:00 +01 */
	EXPECT_EQ_INT(743 * 3600L, e - s);
	EXPECT_EQ_INT(0, report_month_bounds("Europe/Berlin", 2026, 10, &s,
	    &e));
	EXPECT_EQ_INT(1790805600, s);	/* 2026-10-01 00:00 +02 */
	EXPECT_EQ_INT(745 * 3600L, e - s);
	EXPECT_EQ_INT(0, report_month_bounds("Europe/Berlin", 2026, 12, &s,
	    &e));
	EXPECT_EQ_INT(31 * 86400L, e - s);	/* into the next year */
	EXPECT_EQ_INT(-1, report_month_bounds("UTC", 2026, 13, &s, &e));

	EXPECT_EQ_INT(0, report_parse_month("2026-03", &y, &m));
	EXPECT_EQ_INT(2026, y);
	EXPECT_EQ_INT(3, m);
	EXPECT_EQ_INT(-1, report_parse_month("2026-3", &y, &m));
	EXPECT_EQ_INT(-1, report_parse_month("2026-13", &y, &m));
	EXPECT_EQ_INT(-1, report_parse_month("2026-03x", &y, &m));
	EXPECT_EQ_INT(-1, report_parse_month("", &y, &m));
	/* the month before 2026-01-01 00:30 in Saigon is 2025-12 */
	report_month_of("Asia/Ho_Chi_Minh", 1767202200, -1, &y, &m);
	EXPECT_EQ_INT(2025, y);
	EXPECT_EQ_INT(12, m);
	report_month_of("Asia/Ho_Chi_Minh", 1767202200, 0, &y, &m);
	EXPECT_EQ_INT(2026, y);
	EXPECT_EQ_INT(1, m);
	return 0;
}

static void
expect_span(const struct report_span *sp, time_t start, time_t end,
    enum report_span_kind kind)
{
	EXPECT_EQ_INT(start, sp->start);
	EXPECT_EQ_INT(end, sp->end);
	EXPECT_EQ_INT(kind, sp->kind);
}

DEF_TEST(march_targets)
{
	struct report *r = march();
	const struct report_target *t;

	EXPECT_TRUE(r != NULL);
	if (r == NULL)
		return 1;
	EXPECT_EQ_INT(MAR, r->start);
	EXPECT_EQ_INT(APR, r->end);
	EXPECT_EQ_INT(APR, r->period_end);
	EXPECT_EQ_INT(0, r->partial);
	EXPECT_EQ_INT(3, r->files);
	EXPECT_EQ_INT(1, r->skipped);	/* the torn line */

	/* wan: 30 min of March's first half hour, 20 s before the cut */
	t = &r->targets[WAN];
	expect_figures(&t->f, OFF_S + CUT_S, 0, 1800 + 20, 0, 2, 1800);
	EXPECT_EQ_INT(CUT_S, t->f.nodata_cut);
	EXPECT_EQ_INT(2, t->noutages);
	expect_outage(&t->outages[0], T(1, 0, 0, 0), T(1, 0, 30, 0), 1800,
	    RK_DOWN, NULL);
	EXPECT_EQ_INT(1, t->outages[0].continued);
	EXPECT_EQ_INT(FEB(28, 23, 58, 0), t->outages[0].raw_start);
	expect_outage(&t->outages[1], T(25, 14, 0, 0), T(25, 14, 20, 0), 20,
	    RK_DOWN, NULL);
	EXPECT_EQ_INT(CUT_S, t->outages[1].cut);
	EXPECT_EQ_INT(CUT_S, t->outages[1].nodata);

	/* tra-linh: unreachable through wan, down (port hint), the cut
	 * (shown, not counted), the month's last minute */
	t = &r->targets[LINH];
	expect_figures(&t->f, OFF_S + CUT_S, 0, 1200 + 60, 1830, 3, 1830);
	EXPECT_EQ_INT(4, t->noutages);
	expect_outage(&t->outages[0], T(1, 0, 0, 0), T(1, 0, 30, 30), 1830,
	    RK_UNREACHABLE, "wan");
	expect_outage(&t->outages[1], T(22, 9, 0, 0), T(22, 9, 20, 0), 1200,
	    RK_DOWN, NULL);
	EXPECT_EQ_INT(RH_PORT_DOWN, t->outages[1].hint);
	EXPECT_EQ_STR("wan", t->outages[1].hint_target);
	EXPECT_EQ_STR("ge-0/0/3", t->outages[1].hint_instance);
	expect_outage(&t->outages[2], T(25, 14, 0, 40), T(25, 14, 20, 0), 0,
	    RK_UNREACHABLE, "wan");
	EXPECT_EQ_INT(1160, t->outages[2].cut);
	expect_outage(&t->outages[3], T(31, 23, 59, 0), APR, 60, RK_DOWN,
	    NULL);
	EXPECT_EQ_INT(1, t->outages[3].ongoing);
	EXPECT_EQ_INT(0, t->outages[3].continued);

	/* sw-cang: across the stop (acknowledged), rebooted, the cut */
	t = &r->targets[SW];
	expect_figures(&t->f, OFF_S + CUT_S, 0, 3660 + 600, 0, 2, 3660);
	EXPECT_EQ_INT(3, t->noutages);
	expect_outage(&t->outages[0], T(10, 12, 0, 0), T(10, 14, 1, 0), 3660,
	    RK_DOWN, NULL);
	EXPECT_EQ_INT(3600, t->outages[0].nodata);
	EXPECT_EQ_INT(0, t->outages[0].cut);
	EXPECT_EQ_INT(1, t->outages[0].acked);
	EXPECT_EQ_INT(RH_NONE, t->outages[0].hint);
	expect_outage(&t->outages[1], T(20, 3, 0, 0), T(20, 3, 10, 0), 600,
	    RK_DOWN, NULL);
	EXPECT_EQ_INT(0, t->outages[1].acked);
	EXPECT_EQ_INT(RH_REBOOT, t->outages[1].hint);
	EXPECT_EQ_STR("sw-cang", t->outages[1].hint_target);
	expect_outage(&t->outages[2], T(25, 14, 0, 20), T(25, 14, 20, 0), 0,
	    RK_DOWN, NULL);

	/* tra-cang: maintenance; unreachable while its switch restarted */
	t = &r->targets[CANG];
	expect_figures(&t->f, OFF_S + CUT_S, 7200, 1800, 610, 2, 1800);
	EXPECT_EQ_INT(3, t->noutages);
	expect_outage(&t->outages[0], T(5, 9, 30, 0), T(5, 10, 30, 0), 1800,
	    RK_DOWN, NULL);
	EXPECT_EQ_INT(1800, t->outages[0].maintenance);
	expect_outage(&t->outages[1], T(20, 3, 0, 10), T(20, 3, 10, 20), 610,
	    RK_UNREACHABLE, "sw-cang");
	EXPECT_EQ_INT(RH_REBOOT, t->outages[1].hint);
	EXPECT_EQ_STR("sw-cang", t->outages[1].hint_target);
	EXPECT_EQ_INT(1150, t->outages[2].cut);
	/* the month's bar: the maintenance, then the no data in order */
	EXPECT_EQ_INT(4, t->nspans);
	if (t->nspans == 4) {
		expect_span(&t->spans[0], T(5, 8, 0, 0), T(5, 10, 0, 0),
		    RS_MAINTENANCE);
		expect_span(&t->spans[1], T(10, 13, 0, 0), T(10, 14, 0, 0),
		    RS_NODATA);
		expect_span(&t->spans[2], T(15, 6, 5, 0), T(15, 7, 0, 0),
		    RS_NODATA);
		expect_span(&t->spans[3], T(25, 14, 0, 20), T(25, 14, 20, 0),
		    RS_NODATA);
	}

	/* portal: nothing before its first state change */
	t = &r->targets[PORTAL];
	expect_figures(&t->f, 11 * 86400L + 10 * 3600L + 3300 + CUT_S, 0, 0,
	    0, 0, 0);
	EXPECT_NEAR(100.0, t->f.availability, 1e-12);
	EXPECT_EQ_INT(0, t->noutages);
	EXPECT_NAN(t->f.latency_ms);
	report_free(r);
	return 0;
}

DEF_TEST(march_groups)
{
	struct report *r = march();
	const struct report_group *g;

	if (r == NULL)
		return 1;
	EXPECT_EQ_INT(3, r->ngroups);
	g = &r->groups[0];
	EXPECT_EQ_STR("Hạ tầng", g->name);
	EXPECT_EQ_INT(2, g->ntargets);
	EXPECT_EQ_INT(2 * MONTH_S, g->f.period);
	EXPECT_EQ_INT(2 * (OFF_S + CUT_S), g->f.nodata);
	EXPECT_EQ_INT(1820 + 4260, g->f.down);
	EXPECT_EQ_INT(4, g->f.outages);
	EXPECT_EQ_INT(3660, g->f.longest);
	EXPECT_EQ_INT((1820 + 4260) / 4, g->f.mttr);
	EXPECT_NEAR(100.0 * (2 * (MONTH_S - OFF_S - CUT_S) - 6080) /
	    (2 * (MONTH_S - OFF_S - CUT_S)), g->f.availability, 1e-9);
	g = &r->groups[1];
	EXPECT_EQ_STR("Điểm cầu", g->name);
	EXPECT_EQ_INT(7200, g->f.maintenance);
	EXPECT_EQ_INT(1260 + 1800, g->f.down);
	EXPECT_EQ_INT(1830 + 610, g->f.unreachable);
	EXPECT_EQ_INT(5, g->f.outages);
	g = &r->groups[2];
	EXPECT_EQ_STR("", g->name);
	EXPECT_EQ_INT(1, g->ntargets);
	EXPECT_EQ_INT(0, g->f.outages);
	report_free(r);
	return 0;
}

/* April so far: the outage from March goes on; nothing after the
 * journal's last line, long ago, counts (tramond is not running). */
DEF_TEST(april_so_far)
{
	struct report *r = report_build(&conf, 2026, 4, AP(10, 12, 0, 0));
	const struct report_target *t;

	if (r == NULL)
		return 1;
	EXPECT_EQ_INT(1, r->partial);
	EXPECT_EQ_INT(AP(10, 12, 0, 0), r->period_end);
	t = &r->targets[LINH];
	EXPECT_EQ_INT(9 * 86400L + 12 * 3600L, t->f.period);
	EXPECT_EQ_INT(600, t->f.down);
	EXPECT_EQ_INT(t->f.period - 660, t->f.nodata);	/* after 00:11 */
	EXPECT_EQ_INT(60, t->f.up);
	EXPECT_EQ_INT(1, t->noutages);
	EXPECT_EQ_INT(1, t->outages[0].continued);
	EXPECT_EQ_INT(0, t->outages[0].ongoing);
	EXPECT_EQ_INT(AP(1, 0, 0, 0), t->outages[0].start);
	report_free(r);

	/* "now" close to the last line: tramond is running */
	r = report_build(&conf, 2026, 4, AP(1, 0, 15, 0));
	if (r == NULL)
		return 1;
	t = &r->targets[LINH];
	EXPECT_EQ_INT(900, t->f.period);
	EXPECT_EQ_INT(0, t->f.nodata);
	EXPECT_EQ_INT(300, t->f.up);
	report_free(r);

	/* a month after the journal: no data at all */
	r = report_build(&conf, 2026, 6, AP(20, 0, 0, 0) + 90 * 86400L);
	if (r == NULL)
		return 1;
	EXPECT_EQ_INT(30 * 86400L, r->targets[WAN].f.nodata);
	EXPECT_NAN(r->targets[WAN].f.availability);
	report_free(r);
	return 0;
}

/* Count lines of `text` between the line holding `from` and the next
 * empty line whose shown width differs from the first's. */
static int
ragged_lines(const char *text, const char *from)
{
	const char *p = strstr(text, from);
	size_t width = 0;
	int bad = 0, rows = 0;

	if (p == NULL)
		return -1;
	while (p && *p && *p != '\n') {
		const char *e = strchr(p, '\n');
		char *line = xasprintf("%.*s", e ? (int)(e - p) : (int)strlen(p),
		    p);

		/* group headings span the table */
		if (strncmp(line, "Nhóm: ", strlen("Nhóm: ")) != 0) {
			if (rows++ == 0)
				width = report_fmt_width(line);
			else if (report_fmt_width(line) != width) {
				printf("# ragged: %s\n", line);
				bad++;
			}
		}
		free(line);
		p = e ? e + 1 : NULL;
	}
	return rows > 1 ? bad : -1;
}

DEF_TEST(text_vi_en)
{
	struct report *r = march();
	char *text;

	if (r == NULL)
		return 1;
	text = report_text(r);
	EXPECT_CONTAINS(text, "Báo cáo mức độ sẵn sàng của mạng – Huyện Nam "
	    "Trà My");
	EXPECT_CONTAINS(text, "Tháng 03/2026");
	EXPECT_CONTAINS(text, "01/03/2026 00:00 – 01/04/2026 00:00 "
	    "(744:00:00)");
	EXPECT_CONTAINS(text, "Xã Trà Linh");
	EXPECT_CONTAINS(text, "Cổng thông tin điện tử huyện");
	EXPECT_CONTAINS(text, "Nhóm: Điểm cầu");
	EXPECT_CONTAINS(text, "Nhóm: Khác");
	EXPECT_CONTAINS(text, "mất điện? (sw-cang khởi động lại)");
	EXPECT_CONTAINS(text, "cổng ge-0/0/3 của wan mất kết nối");
	EXPECT_CONTAINS(text, "Không truy cập được (qua wan)");
	EXPECT_CONTAINS(text, "tiếp diễn từ tháng trước");
	EXPECT_CONTAINS(text, "máy giám sát mất đường ra mạng");
	EXPECT_CONTAINS(text, "1:00:00 không có dữ liệu");
	EXPECT_CONTAINS(text, "0:30:00 bảo trì");
	EXPECT_CONTAINS(text, "10/03/2026 12:00:00");
	/* wan: 2668500 / 2670320 = 99.93184 %, cut: below 99.9? no */
	EXPECT_CONTAINS(text, "99,931 %");
	/* sw-cang: 2666060 / 2670320 = 99.84046 %: below the 99.9 % */
	EXPECT_CONTAINS(text, "99,840 % *");
	EXPECT_CONTAINS(text, "dưới mức cam kết 99,90%");
	EXPECT_EQ_INT(0, ragged_lines(text, "Điểm giám sát  "));
	free(text);

	r->language = LANG_EN;
	text = report_text(r);
	EXPECT_CONTAINS(text, "Network availability report – Huyện Nam Trà My");
	EXPECT_CONTAINS(text, "Month 2026-03");
	EXPECT_CONTAINS(text, "power? (sw-cang restarted)");
	EXPECT_CONTAINS(text, "99.931 %");
	EXPECT_CONTAINS(text, "2026-03-10 12:00:00");
	free(text);
	report_free(r);
	return 0;
}

/* Python's csv module reads what Excel would: the check is theirs. */
static int
check_csv(const char *path, const char *const *expect)
{
	const char *src = getenv("top_srcdir");
	char *cmd, *script;
	int rc;

	script = xasprintf("%s/tests/unit/check_csv.py", src ? src : ".");
	if (access("/usr/bin/python3", X_OK) != 0 ||
	    access(script, R_OK) != 0) {
		printf("# no python3 or %s: CSV not checked by Python\n",
		    script);
		free(script);
		return 0;
	}
	cmd = xasprintf("/usr/bin/python3 %s %s", script, path);
	for (; *expect; expect++) {
		char *c = xasprintf("%s '%s'", cmd, *expect);

		free(cmd);
		cmd = c;
	}
	rc = system(cmd);
	free(cmd);
	free(script);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

DEF_TEST(csv)
{
	struct report *r = march();
	char *csv, *path;
	size_t len;
	FILE *f;
	static const char *const expect[] = {
		"targets=5", "outages=12", "groups=3",
		"wan:Sẵn sàng (%)=99.931",
		"wan:Mất kết nối (giây)=1820",
		"wan:Không có dữ liệu (giây)=8080",
		"tra-linh:Không truy cập được (giây)=1830",
		"tra-linh:Số lần=3",
		"tra-cang:Bảo trì (giây)=7200",
		"sw-cang:Lâu nhất (giây)=3660",
		"portal:Tên=Cổng thông tin điện tử huyện",
		"portal:Nhóm=Khác",
		"outage:sw-cang:2026-03-10 12:00:00:Đã xác nhận=có",
		"outage:sw-cang:2026-03-10 12:00:00:Tính là sự cố (giây)=3660",
		"outage:tra-cang:2026-03-20 03:00:10:qua=sw-cang",
		NULL
	};

	if (r == NULL)
		return 1;
	/* a name that needs quoting */
	free(r->targets[PORTAL].name);
	r->targets[PORTAL].name = xstrdup("Cổng \"thông tin\", huyện");
	csv = report_csv(r, &len);
	EXPECT_TRUE(len > 3 && memcmp(csv, "\xef\xbb\xbf", 3) == 0);
	EXPECT_CONTAINS(csv, "\"Cổng \"\"thông tin\"\", huyện\"");
	EXPECT_CONTAINS(csv, "\r\n\r\n");
	free(r->targets[PORTAL].name);
	r->targets[PORTAL].name = xstrdup("Cổng thông tin điện tử huyện");
	free(csv);
	csv = report_csv(r, &len);
	path = xasprintf("%s/report.csv", dir);
	f = fopen(path, "wb");
	EXPECT_TRUE(f != NULL);
	if (f) {
		fwrite(csv, 1, len, f);
		fclose(f);
		EXPECT_EQ_INT(0, check_csv(path, expect));
	}
	free(path);
	free(csv);
	report_free(r);
	return 0;
}

/* Latency and loss: the hourly averages of the month's RRD. */
DEF_TEST(rrd_means)
{
	struct report *r = march();
	char *rrd_dir = xasprintf("%s/rrd", dir), *path;
	const char *args[] = { "DS:median:GAUGE:7200:0:U",
		"DS:loss:GAUGE:7200:0:100", "RRA:AVERAGE:0.5:1:2000" };
	int rc;

	if (r == NULL)
		return 1;
	mkdir_p(rrd_dir, 0750);
	path = xasprintf("%s/wan.rrd", rrd_dir);
	rc = rrd_create_r2(path, 3600, MAR - 3600, 0, NULL, NULL, 3, args);
	EXPECT_EQ_INT(0, rc);
	for (time_t t = MAR; rc == 0 && t <= APR; t += 3600) {
		/* 10 and 30 ms, 1 and 3 % in turn: 20 ms, 2 % */
		int odd = (int)((t - MAR) / 3600 % 2);
		char *v = xasprintf("%lld:%s:%s", (long long)t,
		    odd ? "0.030" : "0.010", odd ? "3" : "1");
		const char *argv[] = { v };

		rc = rrd_update_r(path, NULL, 1, argv);
		free(v);
	}
	EXPECT_EQ_INT(0, rc);
	if (rc)
		printf("# %s\n", rrd_get_error());
	/* asked to stop: nothing read */
	{
		atomic_int stop = 1;

		r->stop = &stop;
		EXPECT_EQ_INT(-1, report_rrd(r, &conf));
		EXPECT_NAN(r->targets[WAN].f.latency_ms);
		r->stop = NULL;
	}
	EXPECT_EQ_INT(0, report_rrd(r, &conf));
	EXPECT_NEAR(20.0, r->targets[WAN].f.latency_ms, 1e-6);
	EXPECT_NEAR(2.0, r->targets[WAN].f.loss_pct, 1e-6);
	EXPECT_NAN(r->targets[LINH].f.latency_ms);	/* no file */
	EXPECT_NAN(r->targets[LINH].f.loss_pct);
	free(path);
	free(rrd_dir);
	report_free(r);
	return 0;
}

/*
 * Europe/Berlin: an outage over the spring-forward hour (01:30 CET to
 * 03:30 CEST is one hour) and one across the end of October (a 745-hour
 * month), journals in the months Berlin's clock gives them.
 */
DEF_TEST(berlin_dst)
{
	char *sub = xasprintf("%s/berlin", dir);
	struct report *r;
	time_t mar = 1772319600, oct = 1790805600, nov = 1793487600;
	time_t dst = 1774744200;	/* 2026-03-29 01:30 +01 */
	const struct report_target *t;

	mkdir_p(sub, 0750);
	setup_conf(sub, "Europe/Berlin");
	conf.ntargets = 1;
	daemon_ev(mar - 86400, "start");
	state(mar - 86400 + 5, WAN, "unknown", "up", mar - 86400 + 5, -1);
	state(dst + 180, WAN, "up", "down", dst, -1);
	state(dst + 3600 + 60, WAN, "down", "up", dst + 3600, -1);
	/* October: down from 23:00 on the 31st to 01:00 on November 1st */
	daemon_ev(oct - 86400, "alive");
	state(nov - 3600 + 180, WAN, "up", "down", nov - 3600, -1);
	daemon_ev(nov + 60, "alive");
	state(nov + 3600 + 60, WAN, "down", "up", nov + 3600, -1);
	daemon_ev(nov + 3 * 86400, "alive");

	r = report_build(&conf, 2026, 3, nov + 4 * 86400);
	if (r == NULL)
		return 1;
	t = &r->targets[0];
	EXPECT_EQ_INT(743 * 3600L, t->f.period);
	EXPECT_EQ_INT(3600, t->f.down);
	EXPECT_EQ_INT(0, t->f.nodata);
	EXPECT_EQ_INT(1, t->noutages);
	EXPECT_EQ_INT(3600, t->outages[0].duration);
	report_free(r);

	/* the months between: up, nothing journaled */
	r = report_build(&conf, 2026, 7, nov + 4 * 86400);
	if (r == NULL)
		return 1;
	EXPECT_EQ_INT(31 * 86400L, r->targets[0].f.up);
	EXPECT_EQ_INT(0, r->targets[0].f.nodata);
	report_free(r);

	r = report_build(&conf, 2026, 10, nov + 4 * 86400);
	if (r == NULL)
		return 1;
	t = &r->targets[0];
	EXPECT_EQ_INT(745 * 3600L, t->f.period);
	EXPECT_EQ_INT(3600, t->f.down);
	EXPECT_EQ_INT(1, t->outages[0].ongoing);
	EXPECT_EQ_INT(nov, t->outages[0].end);
	report_free(r);

	r = report_build(&conf, 2026, 11, nov + 4 * 86400);
	if (r == NULL)
		return 1;
	t = &r->targets[0];
	EXPECT_EQ_INT(3600, t->f.down);
	EXPECT_EQ_INT(1, t->outages[0].continued);
	report_free(r);
	free(sub);
	return 0;
}

/* Cut off, reconnected, cut again before the digest: the second cut's
 * "since" is still the first's; the time between is monitored. */
DEF_TEST(cut_again)
{
	char *sub = xasprintf("%s/recut", dir);
	struct report *r;
	const struct report_target *t;

	mkdir_p(sub, 0750);
	setup_conf(sub, "Asia/Ho_Chi_Minh");
	conf.ntargets = 1;
	daemon_ev(FEB(20, 0, 0, 0), "start");
	state(FEB(20, 0, 0, 5), WAN, "unknown", "up", FEB(20, 0, 0, 5), -1);
	state(T(3, 10, 3, 0), WAN, "up", "down", T(3, 10, 0, 0), -1);
	way_out(T(3, 10, 3, 0), "cut", WAN, T(3, 10, 0, 0), T(3, 10, 3, 0));
	state(T(3, 10, 11, 0), WAN, "down", "up", T(3, 10, 10, 0), -1);
	way_out(T(3, 10, 11, 0), "reconnected", WAN, T(3, 10, 0, 0),
	    T(3, 10, 10, 0));
	state(T(3, 10, 15, 0), WAN, "up", "down", T(3, 10, 12, 0), -1);
	way_out(T(3, 10, 15, 0), "cut", WAN, T(3, 10, 0, 0), T(3, 10, 15, 0));
	state(T(3, 10, 21, 0), WAN, "down", "up", T(3, 10, 20, 0), -1);
	way_out(T(3, 10, 21, 0), "reconnected", WAN, T(3, 10, 0, 0),
	    T(3, 10, 20, 0));
	way_out(T(3, 10, 25, 0), "digest", WAN, T(3, 10, 0, 0),
	    T(3, 10, 20, 0));
	daemon_ev(AP(1, 0, 5, 0), "alive");

	r = report_build(&conf, 2026, 3, AP(1, 0, 6, 0));
	if (r == NULL)
		return 1;
	t = &r->targets[0];
	EXPECT_EQ_INT(600 + 480, t->f.nodata);
	EXPECT_EQ_INT(600 + 480, t->f.nodata_cut);
	EXPECT_EQ_INT(0, t->f.down);
	EXPECT_EQ_INT(0, t->f.outages);
	EXPECT_EQ_INT(2, t->noutages);
	EXPECT_EQ_INT(600, t->outages[0].cut);
	EXPECT_EQ_INT(480, t->outages[1].cut);
	EXPECT_EQ_INT(MONTH_S - 1080, t->f.up);
	report_free(r);
	free(sub);
	return 0;
}

/* Down, unreachable while its parent is down, down again: one outage,
 * down (the worst it was). */
DEF_TEST(down_unreachable_down)
{
	char *sub = xasprintf("%s/dud", dir);
	struct report *r;
	const struct report_target *t;

	mkdir_p(sub, 0750);
	setup_conf(sub, "Asia/Ho_Chi_Minh");
	conf.ntargets = 2;
	daemon_ev(FEB(20, 0, 0, 0), "start");
	state(FEB(20, 0, 0, 5), WAN, "unknown", "up", FEB(20, 0, 0, 5), -1);
	state(FEB(20, 0, 0, 5), LINH, "unknown", "up", FEB(20, 0, 0, 5), -1);
	state(T(5, 8, 3, 0), LINH, "up", "down", T(5, 8, 0, 0), -1);
	state(T(5, 8, 8, 0), WAN, "up", "down", T(5, 8, 5, 0), -1);
	state(T(5, 8, 8, 0), LINH, "down", "unreachable", T(5, 8, 0, 0),
	    WAN);
	state(T(5, 8, 21, 0), WAN, "down", "up", T(5, 8, 20, 0), -1);
	state(T(5, 8, 25, 0), LINH, "unreachable", "down", T(5, 8, 22, 0),
	    -1);
	state(T(5, 8, 41, 0), LINH, "down", "up", T(5, 8, 40, 0), -1);
	daemon_ev(AP(1, 0, 5, 0), "alive");

	r = report_build(&conf, 2026, 3, AP(1, 0, 6, 0));
	if (r == NULL)
		return 1;
	t = &r->targets[LINH];
	EXPECT_EQ_INT(1, t->noutages);
	EXPECT_EQ_INT(1, t->f.outages);
	EXPECT_EQ_INT(2400, t->f.down);
	EXPECT_EQ_INT(0, t->f.unreachable);
	expect_outage(&t->outages[0], T(5, 8, 0, 0), T(5, 8, 40, 0), 2400,
	    RK_DOWN, NULL);
	EXPECT_EQ_INT(900, r->targets[WAN].f.down);
	report_free(r);
	free(sub);
	return 0;
}

/* When tramond builds a report: on the 1st at reports.time, local;
 * what was missed while it was off; a new installation. */
DEF_TEST(due)
{
	const char *hcm = "Asia/Ho_Chi_Minh";
	/* 2026-12-01 00:00 in Ho Chi Minh (UTC+7) */
	const time_t dec1 = 1796058000L, at7 = 7 * 60;
	int y0 = 0, m0 = 0, y1 = 0, m1 = 0;

	/* 06:59 on the 1st: November is not due yet */
	EXPECT_EQ_INT(0, report_due(hcm, dec1 + 6 * 3600 + 59 * 60, at7,
	    2026, 10, &y0, &m0, &y1, &m1));
	/* 07:00: it is */
	EXPECT_EQ_INT(1, report_due(hcm, dec1 + 7 * 3600, at7, 2026, 10,
	    &y0, &m0, &y1, &m1));
	EXPECT_EQ_INT(2026 * 100 + 11, y0 * 100 + m0);
	EXPECT_EQ_INT(2026 * 100 + 11, y1 * 100 + m1);
	/* done */
	EXPECT_EQ_INT(0, report_due(hcm, dec1 + 7 * 3600, at7, 2026, 11,
	    &y0, &m0, &y1, &m1));
	/* a new installation on the 15th: last month only */
	EXPECT_EQ_INT(1, report_due(hcm, dec1 + 14 * 86400, at7, 0, 0,
	    &y0, &m0, &y1, &m1));
	EXPECT_EQ_INT(2026 * 100 + 11, y0 * 100 + m0);
	EXPECT_EQ_INT(2026 * 100 + 11, y1 * 100 + m1);
	/* off since September: October and November */
	EXPECT_EQ_INT(1, report_due(hcm, dec1 + 9 * 3600, at7, 2026, 9,
	    &y0, &m0, &y1, &m1));
	EXPECT_EQ_INT(2026 * 100 + 10, y0 * 100 + m0);
	EXPECT_EQ_INT(2026 * 100 + 11, y1 * 100 + m1);
	/* off for two years: the last REPORT_CATCHUP months */
	EXPECT_EQ_INT(1, report_due(hcm, dec1 + 9 * 3600, at7, 2024, 10,
	    &y0, &m0, &y1, &m1));
	EXPECT_EQ_INT(2025 * 100 + 12, y0 * 100 + m0);
	EXPECT_EQ_INT(2026 * 100 + 11, y1 * 100 + m1);
	/* 2026-12-01 00:30 local is still November 30 in UTC: the month
	 * is the local one; at 00:30 with reports.time 00:00 November is
	 * due */
	EXPECT_EQ_INT(1, report_due(hcm, dec1 + 1800, 0, 2026, 10, &y0, &m0,
	    &y1, &m1));
	EXPECT_EQ_INT(2026 * 100 + 11, y1 * 100 + m1);
	/* across the year: 2027-01-01 08:00 */
	EXPECT_EQ_INT(1, report_due(hcm, dec1 + 31 * 86400 + 8 * 3600, at7,
	    2026, 11, &y0, &m0, &y1, &m1));
	EXPECT_EQ_INT(2026 * 100 + 12, y0 * 100 + m0);
	EXPECT_EQ_INT(2026 * 100 + 12, y1 * 100 + m1);
	/* the morning of 2026-12-01 in Berlin (UTC+1): before 07:00
	 * there, though 07:00 in Ho Chi Minh has passed */
	EXPECT_EQ_INT(0, report_due("Europe/Berlin", dec1 + 7 * 3600 + 60,
	    at7, 2026, 10, &y0, &m0, &y1, &m1));
	EXPECT_EQ_INT(1, report_due("Europe/Berlin", dec1 + 13 * 3600 + 60,
	    at7, 2026, 10, &y0, &m0, &y1, &m1));
	return 0;
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setup_conf(dir, "Asia/Ho_Chi_Minh");
	write_march();

	RUN_TEST(month_bounds);
	RUN_TEST(march_targets);
	RUN_TEST(march_groups);
	RUN_TEST(april_so_far);
	RUN_TEST(text_vi_en);
	RUN_TEST(csv);
	RUN_TEST(rrd_means);
	RUN_TEST(berlin_dst);
	RUN_TEST(cut_again);
	RUN_TEST(down_unreachable_down);
	RUN_TEST(due);

	if (getenv("REPORT_TEST_KEEP"))	/* to look at it */
		printf("# kept %s\n", dir);
	else
		clear_dir(dir);
	END_TEST;
}
