/*
 * The static web site: real RRD files written with librrd, a real event
 * base and worker thread, real graphs (rrd_graph_v), then the files are
 * read back and checked: escaping, Vietnamese and English words, the
 * decimal comma, status.json against the uptime of the inserted data,
 * PNG headers, event order, graph due-ness, pruning, rrdcached.  A
 * switch with four ports (RRD files in store.h's instance layout): its
 * ports table, port pages and graphs, its values and interfaces in
 * status.json, reboot and port events; port graphs drawn within a budget.
 * web_close() in the middle of a long render, and of a graph.
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

/* `extra`: data sources after the base ones (a probe's values). */
static void
create_rrd_ds(const char *path, int with_base, int smoke,
    const char *const *extra, size_t nextra, time_t start)
{
	const char *argv[32];
	int n = 0;

	for (size_t i = 0; with_base && i < nitems(ds_base); i++)
		argv[n++] = ds_base[i];
	for (size_t i = 0; smoke && i < nitems(ds_smoke); i++)
		argv[n++] = ds_smoke[i];
	for (size_t i = 0; i < nextra; i++)
		argv[n++] = extra[i];
	for (size_t i = 0; i < nitems(rra); i++)
		argv[n++] = rra[i];
	if (rrd_create_r2(path, 60, start, 0, NULL, NULL, n, argv) != 0) {
		printf("Bail out! rrd_create %s: %s\n", path, rrd_get_error());
		exit(1);
	}
}

static void
create_rrd(const char *path, int smoke, time_t start)
{
	create_rrd_ds(path, 1, smoke, NULL, 0, start);
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

/* Rows of `nds` values a minute, NMIN of them ending at t_end, each
 * made by fn(k, values). */
typedef void row_fn(int k, double *v);

static void
fill_rrd(const char *path, size_t nds, row_fn *fn)
{
	time_t t0 = t_end - NMIN * 60;
	const char *argv[100];
	char *lines[100];
	int n = 0;

	for (int k = 0; k < NMIN; k++) {
		double v[16];
		char buf[512];
		size_t len;

		fn(k, v);
		len = (size_t)snprintf(buf, sizeof(buf), "%lld",
		    (long long)(t0 + 60 * (k + 1)));
		for (size_t i = 0; i < nds; i++)
			len += (size_t)(isnan(v[i]) ?
			    snprintf(buf + len, sizeof(buf) - len, ":U") :
			    snprintf(buf + len, sizeof(buf) - len, ":%.6f",
			    v[i]));
		lines[n] = xstrdup(buf);
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

/* --- the switch: daemon/store.h's layout for the snmp probe */

#define SW_UPTIME	(12 * 86400 + 3 * 3600 + 245)	/* "12 ngày 3 giờ" */

static const struct tm_value_def sw_vdefs[] = {
	{ "uptime", 0, NAN, TM_GAUGE },
};
static const struct tm_value_def sw_idefs[] = {
	{ "in_octets", 0, NAN, TM_COUNTER },
	{ "out_octets", 0, NAN, TM_COUNTER },
	{ "in_errors", 0, NAN, TM_COUNTER },
	{ "out_errors", 0, NAN, TM_COUNTER },
	{ "in_discards", 0, NAN, TM_COUNTER },
	{ "out_discards", 0, NAN, TM_COUNTER },
	{ "oper_up", 0, 1, TM_GAUGE },
	{ "admin_up", 0, 1, TM_GAUGE },
	{ "speed", 0, NAN, TM_GAUGE },
};
enum { P_IN, P_OUT, P_IERR, P_OERR, P_IDISC, P_ODISC, P_OPER, P_ADMIN,
    P_SPEED, P_COUNT };
static const char *const ds_port[P_COUNT] = {
	"DS:in_octets:GAUGE:120:0:U", "DS:out_octets:GAUGE:120:0:U",
	"DS:in_errors:GAUGE:120:0:U", "DS:out_errors:GAUGE:120:0:U",
	"DS:in_discards:GAUGE:120:0:U", "DS:out_discards:GAUGE:120:0:U",
	"DS:oper_up:GAUGE:120:0:1", "DS:admin_up:GAUGE:120:0:1",
	"DS:speed:GAUGE:120:0:U",
};
static const char *const ds_uptime[] = { "DS:uptime:GAUGE:120:0:U" };

/* The ports as the last round reported them (counters per second). */
struct pdef {
	const char *name, *label;
	double v[P_COUNT];
	row_fn *fn;
};

/* an uplink, busy in office hours */
static void
uplink_row(int k, double *v)
{
	double busy = 1 + .8 * sin(k / 90.0);

	v[P_IN] = 2.5e7 * busy;
	v[P_OUT] = 4e6 * busy;
	v[P_IERR] = in(k, 1200, 1260) ? .8 : 0;
	v[P_OERR] = 0;
	v[P_IDISC] = in(k, 1500, 1530) ? 2 : 0;
	v[P_ODISC] = in(k, 1500, 1530) ? .5 : 0;
	v[P_OPER] = v[P_ADMIN] = 1;
	v[P_SPEED] = 1e9;
}

static void
office_row(int k, double *v)
{
	uplink_row(k, v);
	v[P_IN] /= 100;
	v[P_OUT] /= 50;
	v[P_IERR] = 0;
	v[P_SPEED] = 1e8;
}

/* down for the last 100 minutes, and for a while before */
static void
down_row(int k, double *v)
{
	office_row(k, v);
	if (in(k, 1700, NMIN) || in(k, 400, 460)) {
		v[P_OPER] = 0;
		v[P_IN] = v[P_OUT] = 0;
	}
	v[P_SPEED] = 1e9;
}

static void
off_row(int k, double *v)
{
	for (int i = 0; i < P_COUNT; i++)
		v[i] = 0;
	v[P_SPEED] = 1e7;
	(void)k;
}

#define XSS_PORT	"Vlan<99>"

static const struct pdef pdefs[] = {
	{ "Gi1/0/1", "Uplink → Trà Linh & <UBND>",
	  { 31250000, 5000000, .5, .25, 0, 0, 1, 1, 1e9 }, uplink_row },
	{ "Gi1/0/2", "Phòng họp trực tuyến",
	  { 1500, 125000, 0, 0, .002, 0, 1, 1, 1e8 }, office_row },
	{ "Gi1/0/24", NULL,
	  { 0, 0, 0, 0, 0, 0, 0, 1, 1e9 }, down_row },
	{ XSS_PORT, NULL,
	  { NAN, NAN, NAN, NAN, NAN, NAN, 0, 0, 1e7 }, off_row },
};

static char *
port_rrd_path(const char *id, const char *port)
{
	char safe[256];

	safe_filename(port, safe, sizeof(safe));
	return xasprintf("%s/rrd/%s/%s.rrd", tmpdir, id, safe);
}

/* its response time, and its uptime going back at a reboot */
static void
switch_row(int k, double *v)
{
	struct sample sm;

	fill(&sm, .003 + .001 * sin(k / 50.0), 0);
	v[0] = sm.median;
	v[1] = sm.min;
	v[2] = sm.max;
	v[3] = sm.avg;
	v[4] = NAN;
	v[5] = sm.loss;
	v[6] = sm.up;
	v[7] = k < 1000 ? 86400.0 + 60 * k : 60.0 * (k - 1000);
}

static void
make_switch_rrds(void)
{
	char *p = xasprintf("%s/rrd/core-sw.rrd", tmpdir), *dir;

	create_rrd_ds(p, 1, 0, ds_uptime, 1, t_end - NMIN * 60);
	fill_rrd(p, nitems(ds_base) + 1, switch_row);
	free(p);
	dir = xasprintf("%s/rrd/core-sw", tmpdir);
	mkdir_p(dir, 0755);
	free(dir);
	for (size_t i = 0; i < nitems(pdefs); i++) {
		p = port_rrd_path("core-sw", pdefs[i].name);
		create_rrd_ds(p, 0, 0, ds_port, P_COUNT, t_end - NMIN * 60);
		fill_rrd(p, P_COUNT, pdefs[i].fn);
		free(p);
	}
}

/* A switch's values and its first `nports` ports (all of pdefs if 0),
 * the RRDs of the ports in `rrd` (NULL: each its own). */
static void
switch_values(struct web_target *t, size_t nports, const char *rrd)
{
	t->vdefs = sw_vdefs;
	t->nvalues = nitems(sw_vdefs);
	t->values = xcalloc(1, sizeof(double));
	t->values[0] = SW_UPTIME - 20;	/* the round was 20 s ago */
	t->idefs = sw_idefs;
	t->nidefs = nitems(sw_idefs);
	t->instance_list = "interfaces";
	t->last.sent = 5;
	t->last.received = 5;
	t->ninst = nports ? nports : nitems(pdefs);
	t->inst = xcalloc(t->ninst, sizeof(*t->inst));
	for (size_t k = 0; k < t->ninst; k++) {
		const struct pdef *d = &pdefs[k % nitems(pdefs)];
		struct web_instance *in = &t->inst[k];

		if (nports > nitems(pdefs))
			in->name = xasprintf("p%02zu", k + 1);
		else
			in->name = xstrdup(d->name);
		in->label = d->label ? xstrdup(d->label) : NULL;
		in->values = xcalloc(P_COUNT, sizeof(double));
		memcpy(in->values, d->v, sizeof(d->v));
		in->rrd = rrd ? xstrdup(rrd) : port_rrd_path(t->id, d->name);
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
	{ "core-sw", "Switch lõi UBND", "Hạ tầng", "snmp", "198.18.1.2",
	  TS_UP, 5 * 86400, .0031, 0, NAN, 5, NULL, NULL, 0, 1 },
};
#define SWITCH_IDX	7	/* core-sw in tdefs */

struct edef {
	long ago;
	const char *target, *event;
	enum tstate from, to;
	const char *why;
	const char *instance;
};

/* Newest first except the fourth, which the page must still put on top. */
static const struct edef edefs[] = {
	{ 300, "tra-linh", "state", TS_UP, TS_DEGRADED, "why-B", NULL },
	{ 600, "xss", "state", TS_UP, TS_DOWN, "why-C", NULL },
	{ 7200, "wan", "state", TS_DOWN, TS_UP, "why-D", NULL },
	{ 100, "tra-cang", "state", TS_UP, TS_UNREACHABLE, "why-A", NULL },
	{ 86400, NULL, "start", TS_UNKNOWN, TS_UNKNOWN, "why-E", NULL },
	/* what the snmp probe reports */
	{ SW_UPTIME, "core-sw", "reboot", TS_UNKNOWN, TS_UNKNOWN,
	  "sysUpTime went back from 12 d 03:04:05 to 00:02:10", NULL },
	{ 6000, "core-sw", "port_down", TS_UNKNOWN, TS_UNKNOWN,
	  "oper status down (admin up)", "Gi1/0/24" },
	{ 6100, "core-sw", "port_up", TS_UNKNOWN, TS_UNKNOWN,
	  "oper status up", "Gi1/0/9" },	/* no longer reported */
	{ 6200, "core-sw", "fan_<fail>", TS_UNKNOWN, TS_UNKNOWN,
	  "fan 2 stopped", XSS_PORT },
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

static void
fill_target(struct web_target *t, const struct tdef *d, time_t generated)
{
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
	t->last.median = t->last.min = t->last.max = t->last.avg = d->median;
	t->last.jitter = d->jitter;
	t->why = dup_or_null(d->why);
	t->parent_id = dup_or_null(d->parent);
	t->smoke = d->smoke;
	t->rrd = rrd_path(d->id);
}

static struct web_snapshot *
empty_snapshot(int lang, const char *web_dir, time_t generated)
{
	struct web_snapshot *s = xcalloc(1, sizeof(*s));

	s->generated = generated;
	s->district = xstrdup("Huyện Nam Trà My");
	s->language = lang;
	s->web_dir = xstrdup(web_dir);
	s->rrdcached = xstrdup("");
	s->refresh = 60;
	return s;
}

/* The switch alone, with `nports` ports (all of pdefs if 0; named p01
 * ... if more), their RRD `rrd` (NULL: each its own). */
static struct web_snapshot *
switch_snapshot(const char *web_dir, time_t generated, size_t nports,
    const char *rrd)
{
	struct web_snapshot *s = empty_snapshot(LANG_VI, web_dir, generated);

	s->ntargets = 1;
	s->targets = xcalloc(1, sizeof(*s->targets));
	fill_target(&s->targets[0], &tdefs[SWITCH_IDX], generated);
	switch_values(&s->targets[0], nports, rrd);
	return s;
}

static struct web_snapshot *
snapshot_ports(int lang, const char *web_dir, time_t generated,
    size_t nports)
{
	struct web_snapshot *s = empty_snapshot(lang, web_dir, generated);

	s->ntargets = nitems(tdefs);
	s->targets = xcalloc(s->ntargets, sizeof(*s->targets));
	for (size_t i = 0; i < s->ntargets; i++) {
		fill_target(&s->targets[i], &tdefs[i], generated);
		if (i == SWITCH_IDX)
			switch_values(&s->targets[i], nports, NULL);
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
		e->instance = dup_or_null(d->instance);
	}
	return s;
}

static struct web_snapshot *
snapshot(int lang, const char *web_dir, time_t generated)
{
	return snapshot_ports(lang, web_dir, generated, 0);
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

/* A PNG of the expected size: magic, IHDR width and height, at least
 * `min` bytes. */
static void
check_png_min(const char *dir, const char *name, unsigned w, unsigned h,
    size_t min)
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
	if (len < min || len > 1000000 || memcmp(d, magic, 8) != 0)
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

static void
check_png(const char *dir, const char *name, unsigned w, unsigned h)
{
	check_png_min(dir, name, w, h, 200);
}

static char *webdir_vi, *webdir_en;

/* The only script in a page is the stale warning's (no name from the
 * configuration ever becomes one). */
static void
only_stale_script(const char *html)
{
	const char *p = html ? strstr(html, "<script") : NULL;

	if (p == NULL) {
		FAIL_HERE("%s", "no stale warning script");
		return;
	}
	EXPECT_TRUE(strncmp(p, "<script>(function(){var e=document."
	    "getElementById(\"stale\");", 53) == 0);
	EXPECT_TRUE(strstr(p + 1, "<script") == NULL);
	EXPECT_TRUE(strstr(html, "<script>alert") == NULL);
}

/* A target measures jitter (so has jitter graphs) if it has an RRD and
 * is not the switch, whose one answer a round gives none. */
static int
has_jitter(size_t i)
{
	return tdefs[i].has_rrd && i != SWITCH_IDX;
}

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
	/* the http probe's */
	i18n_reason(LANG_VI, "certificate expires in 10 days (2026-12-07)",
	    buf, sizeof(buf));
	EXPECT_EQ_STR("chứng chỉ hết hạn sau 10 ngày (2026-12-07)", buf);
	i18n_reason(LANG_VI, "certificate expires in less than a day "
	    "(2026-12-07)", buf, sizeof(buf));
	EXPECT_EQ_STR("chứng chỉ hết hạn trong chưa tới một ngày "
	    "(2026-12-07)", buf);
	i18n_reason(LANG_VI, "certificate expired on 2026-11-20", buf,
	    sizeof(buf));
	EXPECT_EQ_STR("chứng chỉ đã hết hạn ngày 2026-11-20", buf);
	i18n_reason(LANG_VI, "expected text not found (HTTP 200 OK)", buf,
	    sizeof(buf));
	EXPECT_EQ_STR("không thấy nội dung cần có (HTTP 200 OK)", buf);
	i18n_reason(LANG_EN, "certificate expires in 10 days (2026-12-07)",
	    buf, sizeof(buf));
	EXPECT_EQ_STR("certificate expires in 10 days (2026-12-07)", buf);
	/* an unknown text is shown as it is */
	i18n_reason(LANG_VI, "Operation not permitted", buf, sizeof(buf));
	EXPECT_EQ_STR("Operation not permitted", buf);
	/* the snmp probe's: numbers and times kept as given */
	i18n_reason(LANG_VI, "oper status down (admin up)", buf, sizeof(buf));
	EXPECT_EQ_STR("trạng thái cổng: mất kết nối (quản trị: bật)", buf);
	i18n_reason(LANG_VI, "oper status lowerLayerDown (admin up)", buf,
	    sizeof(buf));
	EXPECT_EQ_STR("trạng thái cổng: lớp dưới mất kết nối (quản trị: bật)",
	    buf);
	i18n_reason(LANG_VI, "oper status up", buf, sizeof(buf));
	EXPECT_EQ_STR("trạng thái cổng: hoạt động", buf);
	i18n_reason(LANG_VI, "oper status weird (admin x)", buf, sizeof(buf));
	EXPECT_EQ_STR("trạng thái cổng: weird (quản trị: x)", buf);
	i18n_reason(LANG_VI, "oper status down (admin up) and more", buf,
	    sizeof(buf));
	EXPECT_EQ_STR("oper status down (admin up) and more", buf);
	i18n_reason(LANG_EN, "oper status down (admin up)", buf, sizeof(buf));
	EXPECT_EQ_STR("oper status down (admin up)", buf);
	i18n_reason(LANG_VI, "sysUpTime went back from 12 d 03:04:05 to "
	    "00:02:10", buf, sizeof(buf));
	EXPECT_EQ_STR("sysUpTime lùi từ 12 d 03:04:05 về 00:02:10 (thiết bị "
	    "đã khởi động lại)", buf);
	i18n_reason(LANG_VI, "walk incomplete: timeout after 12 rows", buf,
	    sizeof(buf));
	EXPECT_EQ_STR("đọc bảng cổng chưa xong: hết thời gian chờ sau 12 dòng",
	    buf);
	i18n_reason(LANG_VI, "walk incomplete: timeout after 12 rowsX", buf,
	    sizeof(buf));
	EXPECT_EQ_STR("đọc bảng cổng chưa xong: timeout after 12 rowsX", buf);
	i18n_reason(LANG_VI, "authentication failure", buf, sizeof(buf));
	EXPECT_EQ_STR("xác thực SNMP thất bại", buf);
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
		char *d = path_in(g, "gone-jitter-30d.png");
		/* a target that measures no jitter keeps no jitter graph */
		char *e = path_in(g, "core-sw-jitter-1d.png");

		file_replace(a, "x", 1, 0);
		file_replace(b, "x", 1, 0);
		file_replace(c, "x", 1, 0);
		file_replace(d, "x", 1, 0);
		file_replace(e, "x", 1, 0);
		free(a);
		free(b);
		free(c);
		free(d);
		free(e);
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
	EXPECT_TRUE(!exists(webdir_vi, "g/gone-jitter-30d.png"));
	EXPECT_TRUE(!exists(webdir_vi, "g/core-sw-jitter-1d.png"));
	EXPECT_TRUE(exists(webdir_vi, "g/README"));

	/* every range of every target with an RRD */
	for (size_t i = 0; i < nitems(tdefs); i++)
		for (int r = 0; r < GR_COUNT; r++)
			for (int k = 0; k < GK_COUNT; k++) {
				char f[160], *rel;

				graph_file(tdefs[i].id, k, r, f, sizeof(f));
				rel = xasprintf("g/%s", f);
				if (k == GK_JITTER ? has_jitter(i) :
				    tdefs[i].has_rrd)
					check_png(webdir_vi, rel, 680, 240);
				else if (exists(webdir_vi, rel))
					FAIL_HERE("%s should not be", rel);
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
	only_stale_script(html);
	/* the stale warning: hidden until the script finds the page older
	 * than 3 x web_refresh; the time it was made, in words */
	{
		char *want = xasprintf("<p class=\"stale\" id=\"stale\" "
		    "role=\"alert\" hidden data-generated=\"%lld\" "
		    "data-after=\"180\">", (long long)t_end);

		EXPECT_CONTAINS(html, want);
		free(want);
	}
	EXPECT_CONTAINS(html, "Trang này đã cũ: không có cập nhật nào từ "
	    "<time datetime=");
	EXPECT_CONTAINS(html, "tramond có thể đã dừng");
	EXPECT_CONTAINS(html, "Sẵn sàng 7 ngày");
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
	EXPECT_CONTAINS(html, "Sẵn sàng 7 ngày");
	/* 30 of 1800 minutes down, all within the last 7 days */
	EXPECT_CONTAINS(html, "95,00%");
	only_stale_script(html);
	/* latency, loss, jitter for every range, in that order */
	for (int r = 0; r < GR_COUNT; r++) {
		char *lat = xasprintf("src=\"../g/wan-lat-%s.png?v=",
		    graph_range_name(r));
		char *loss = xasprintf("src=\"../g/wan-loss-%s.png?v=",
		    graph_range_name(r));
		char *jit = xasprintf("src=\"../g/wan-jitter-%s.png?v=",
		    graph_range_name(r));
		const char *pl = strstr(html, lat), *po = strstr(html, loss);
		const char *pj = strstr(html, jit);

		if (!pl || !po || !pj || !(pl < po && po < pj))
			FAIL_HERE("range %s: graphs missing or out of order",
			    graph_range_name(r));
		free(lat);
		free(loss);
		free(jit);
	}
	EXPECT_CONTAINS(html, "alt=\"Độ dao động (jitter), 7 ngày qua\"");
	free(html);

	/* the switch measures no jitter: no jitter graph on its page */
	html = slurp(webdir_vi, "t/core-sw.html");
	EXPECT_TRUE(html && strstr(html, "-jitter-") == NULL);
	free(html);

	html = slurp(webdir_vi, "t/xss.html");
	only_stale_script(html);
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
			"uptime_7d_pct", "uptime_30d_pct"
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
			    "uptime_7d_pct")));
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
	/* the data are 30 hours old: 7 days see all of it, as 30 do */
	EXPECT_NEAR(100.0 * (1800 - 90) / 1800, json_number_value(
	    json_object_get(o, "uptime_7d_pct")), .001);
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
	only_stale_script(html);
	free(html);

	/* a target page lists only its own events */
	html = slurp(webdir_vi, "t/wan.html");
	EXPECT_CONTAINS(html, "why-D");
	EXPECT_TRUE(html && strstr(html, "why-C") == NULL);
	free(html);
	return 0;
}

/* The journal's months as pages: events-YYYY-MM.html with every event
 * of that month (a target removed since shown by its id), links from
 * events.html, month headings; written again only when its journal
 * changed. */
DEF_TEST(events_by_month)
{
	char *state = path_in(tmpdir, "state-months"), *jdir, *path, *html;
	char *web = path_in(tmpdir, "www-months");
	struct web_snapshot *s;
	unsigned long before = web_renders();
	struct timespec oct;
	FILE *f;

	jdir = xasprintf("%s/journal", state);
	EXPECT_EQ_INT(0, mkdir_p(jdir, 0755));
	path = xasprintf("%s/2026-10.jsonl", jdir);
	f = fopen(path, "w");
	fputs("{\"time\":\"2026-10-05T08:00:00+07:00\",\"ts\":1791162000,"
	    "\"event\":\"state\",\"target\":\"wan\",\"from\":\"up\","
	    "\"to\":\"down\",\"reason\":\"why-october\"}\n"
	    "{\"time\":\"2026-10-06T09:00:00+07:00\",\"ts\":1791252000,"
	    "\"event\":\"state\",\"target\":\"gone-target\",\"from\":"
	    "\"up\",\"to\":\"down\",\"reason\":\"why-removed\"}\n"
	    "{\"time\":\"2026-10-06T09:05:00+07:00\",\"ts\":1791252300,"
	    "\"event\":\"alive\"}\n", f);
	fclose(f);
	free(path);
	path = xasprintf("%s/2026-11.jsonl", jdir);
	f = fopen(path, "w");
	fputs("{\"time\":\"2026-11-02T10:00:00+07:00\",\"ts\":1793588400,"
	    "\"event\":\"start\"}\n", f);
	fclose(f);
	free(path);

	s = snapshot(LANG_VI, web, t_end);
	s->state_dir = xstrdup(state);
	web_render(s);
	EXPECT_EQ_INT(0, wait_renders(before + 1));

	html = slurp(web, "events-2026-10.html");
	EXPECT_CONTAINS(html, "Sự kiện tháng 10/2026");
	EXPECT_CONTAINS(html, "why-october");
	EXPECT_CONTAINS(html, "href=\"t/wan.html\"");
	EXPECT_CONTAINS(html, "Bộ định tuyến WAN");	/* found by its id */
	EXPECT_CONTAINS(html, "gone-target");	/* no page: its id */
	EXPECT_CONTAINS(html, "<strong aria-current=\"page\">10/2026");
	EXPECT_CONTAINS(html, "href=\"events-2026-11.html\"");
	EXPECT_TRUE(html && strstr(html, "alive") == NULL);
	/* an archive: no reload, no stale warning */
	EXPECT_TRUE(html && strstr(html, "http-equiv=\"refresh\"") == NULL);
	EXPECT_TRUE(html && strstr(html, "id=\"stale\"") == NULL);
	free(html);
	html = slurp(web, "events-2026-11.html");
	EXPECT_CONTAINS(html, "Bắt đầu giám sát");
	free(html);
	html = slurp(web, "events.html");
	EXPECT_CONTAINS(html, "<h2>Theo tháng</h2>");
	EXPECT_CONTAINS(html, "href=\"events-2026-11.html\">11/2026</a> · "
	    "<a href=\"events-2026-10.html\">10/2026</a>");
	EXPECT_CONTAINS(html, "<tr class=\"month\"><th colspan=\"4\"");
	free(html);

	/* a month whose journal did not change is not written again */
	oct = mtime(web, "events-2026-10.html");
	before = web_renders();
	s = snapshot(LANG_VI, web, t_end + 60);
	s->state_dir = xstrdup(state);
	web_render(s);
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	EXPECT_TRUE(same_time(oct, mtime(web, "events-2026-10.html")));
	free(jdir);
	free(state);
	free(web);
	return 0;
}

/* A second render 60 s later: the 3-h graphs are redrawn, the 1-d one
 * (drawn a moment ago) is not due yet and stays untouched. */
/* A file where web_dir/g should be: the render says so once, it does
 * not go on to fail for every graph. */
DEF_TEST(mkdir_p_refuses_a_file)
{
	char *dir = xasprintf("%s/mkdir-p/a", tmpdir);
	char *file = xasprintf("%s/mkdir-p/a/g", tmpdir);
	FILE *f;

	EXPECT_EQ_INT(0, mkdir_p(dir, 0755));
	EXPECT_EQ_INT(0, mkdir_p(dir, 0755));	/* there already */
	EXPECT_TRUE((f = fopen(file, "w")) != NULL);
	if (f)
		fclose(f);
	errno = 0;
	EXPECT_EQ_INT(-1, mkdir_p(file, 0755));
	EXPECT_EQ_INT(ENOTDIR, errno);
	free(dir);
	free(file);
	return 0;
}

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

/* web_refresh() while a render runs holds no snapshot: it is built once,
 * when that render ends, however many refreshes came meanwhile. */
static int builds;

static struct web_snapshot *
build_late(void *arg)
{
	builds++;
	return snapshot(LANG_VI, webdir_vi, *(time_t *)arg);
}

DEF_TEST(refresh_builds_when_the_render_ends)
{
	unsigned long before = web_renders();
	time_t at = t_end + 360;
	char *json, iso[40];

	builds = 0;
	web_render(snapshot(LANG_VI, webdir_vi, t_end + 300));
	web_refresh(build_late, &at);
	web_refresh(build_late, &at);
	web_refresh(build_late, &at);
	EXPECT_EQ_INT(0, builds);
	EXPECT_EQ_INT(0, wait_renders(before + 2));
	EXPECT_EQ_INT(1, builds);
	json = slurp(webdir_vi, "status.json");
	iso8601(at, iso, sizeof(iso));
	EXPECT_CONTAINS(json, iso);
	free(json);

	/* idle: built at once */
	at = t_end + 420;
	web_refresh(build_late, &at);
	EXPECT_EQ_INT(2, builds);
	EXPECT_EQ_INT(0, wait_renders(before + 3));
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
	EXPECT_CONTAINS(html, "Uptime 7 d");
	EXPECT_CONTAINS(html, "This page is out of date: nothing new since ");
	EXPECT_CONTAINS(html, "tramond may have stopped, or the page "
	    "renderer is stuck.");
	free(html);
	html = slurp(webdir_en, "t/wan.html");
	EXPECT_CONTAINS(html, "alt=\"Jitter, Last 30 days\"");
	EXPECT_CONTAINS(html, "This page is out of date");
	free(html);
	check_png(webdir_en, "g/wan-lat-7d.png", 680, 240);
	check_png(webdir_en, "g/wan-jitter-30d.png", 680, 240);
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
	/* no refresh, nothing to grow stale */
	EXPECT_TRUE(html && strstr(html, "<script") == NULL);
	EXPECT_TRUE(html && strstr(html, "class=\"stale\"") == NULL);
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

/*
 * A target monitored for two minutes whose last round was stored after
 * the snapshot was taken (the store does not wait for the renderer): the
 * one-step archive then ends after the snapshot, and a read of its whole
 * span would be answered from the five-minute archive, empty so young.
 * Its jitter must still be seen, its jitter graphs drawn and kept.
 */
DEF_TEST(young_target_stored_after_the_snapshot)
{
	static const struct tdef young = { "young", "Xã Trà Vân", "Điểm cầu",
	    "ping", "198.18.2.49", TS_UP, 120, .0301, 0, .0012, 20, NULL,
	    NULL, 0, 1 };
	unsigned long before = web_renders();
	char *dir = path_in(tmpdir, "www-young"), *rrd = rrd_path("young");
	struct web_snapshot *s = empty_snapshot(LANG_VI, dir, t_end - 60);
	char *html;

	create_rrd(rrd, 0, t_end - 120);
	for (int k = 1; k >= 0; k--) {
		struct sample x;
		char *line;
		const char *argv[1];

		fill(&x, .030 + .001 * k, 0);
		line = sample_line(t_end - 60 * k, &x, 0);
		argv[0] = line;
		EXPECT_EQ_INT(0, rrd_update_r(rrd, NULL, 1, argv));
		free(line);
	}
	s->ntargets = 1;
	s->targets = xcalloc(1, sizeof(*s->targets));
	fill_target(&s->targets[0], &young, s->generated);
	web_render(s);
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	for (int r = 0; r < GR_COUNT; r++) {
		char f[160], *rel;

		graph_file("young", GK_JITTER, r, f, sizeof(f));
		rel = xasprintf("g/%s", f);
		check_png(dir, rel, 680, 240);
		free(rel);
	}
	html = slurp(dir, "t/young.html");
	EXPECT_CONTAINS(html, "src=\"../g/young-jitter-3h.png?v=");
	EXPECT_CONTAINS(html, "src=\"../g/young-jitter-30d.png?v=");
	free(html);
	free(rrd);
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
	/* in-process drawing under valgrind is slow enough for the budget
	 * of target graphs to leave some to the next renders */
	for (unsigned long i = 1; i <= 10; i++) {
		char *last = path_in(dir, "g/portal-loss-1y.png");
		int done;

		web_render(snapshot(LANG_VI, dir, t_end));
		EXPECT_EQ_INT(0, wait_renders(before + i));
		done = access(last, F_OK) == 0;
		free(last);
		if (done)
			break;
	}
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

/* --- a switch: its page, its ports, its events */

/* The table row (<tr ...</tr>) of `html` that holds `needle` (caller
 * frees), or NULL. */
static char *
row_of(const char *html, const char *needle)
{
	const char *p = html ? strstr(html, needle) : NULL, *a, *z;
	char *row;

	if (p == NULL)
		return NULL;
	for (a = p; a > html && strncmp(a, "<tr", 3) != 0; a--)
		;
	if ((z = strstr(p, "</tr>")) == NULL)
		return NULL;
	row = xmalloc((size_t)(z - a) + 1);
	memcpy(row, a, (size_t)(z - a));
	row[z - a] = '\0';
	return row;
}

/* Every one of the NULL-terminated `needles` is in the row of `key`. */
static void
expect_row(const char *html, const char *key, const char *const *needles)
{
	char *row = row_of(html, key);

	if (row == NULL) {
		FAIL_HERE("no row with %s", key);
		return;
	}
	for (; *needles; needles++)
		if (strstr(row, *needles) == NULL)
			FAIL_HERE("row %s: no \"%s\" in %s", key, *needles,
			    row);
	free(row);
}

static const char *const pranges[] = { "1d", "7d", "30d", "1y" };

DEF_TEST(switch_page)
{
	char *html = slurp(webdir_vi, "t/core-sw.html");
	const char *a, *b, *c, *d;

	/* the facts: response time, time since restart, ports up */
	EXPECT_CONTAINS(html, "Thời gian phản hồi");
	EXPECT_CONTAINS(html, "<strong>3,1\xc2\xa0ms</strong>");
	EXPECT_CONTAINS(html, "<strong>12 ngày 3 giờ</strong>");
	EXPECT_CONTAINS(html, "<strong>2/4 cổng hoạt động</strong>");
	EXPECT_CONTAINS(html, "Sẵn sàng 30 ngày");
	EXPECT_CONTAINS(html, "(Yêu cầu được trả lời / đã gửi: 5 / 5)");
	EXPECT_TRUE(html && strstr(html, "jitter") == NULL);

	/* the table, in the order the switch reported the ports */
	EXPECT_CONTAINS(html, "<table class=\"ports\">");
	a = html ? strstr(html, ">Gi1/0/1</a>") : NULL;
	b = html ? strstr(html, ">Gi1/0/2</a>") : NULL;
	c = html ? strstr(html, ">Gi1/0/24</a>") : NULL;
	d = html ? strstr(html, ">Vlan&lt;99&gt;</a>") : NULL;
	EXPECT_TRUE(a && b && c && d && a < b && b < c && c < d);
	EXPECT_TRUE(html && strstr(html, "<99>") == NULL);
	EXPECT_TRUE(html && strstr(html, "<UBND>") == NULL);
	/* 250 Mbit/s in of 1 Gbit/s: 25 %; errors 0.5 + 0.25 a second */
	expect_row(html, "href=\"core-sw/Gi1_0_1.html\">Gi1/0/1<",
	    (const char *const[]){ "class=\"st-up\"", "✓",
	    "Uplink → Trà Linh &amp; &lt;UBND&gt;",
	    ">1\xc2\xa0Gbit/s<", ">250\xc2\xa0Mbit/s<", ">40,0\xc2\xa0Mbit/s<",
	    ">25%<", "width:25.0%", "class=\"num bad\" data-label=\"Lỗi/giây\""
	    ">0,750<", "data-label=\"Loại bỏ/giây\">0<",
	    "src=\"../g/core-sw/Gi1_0_1-spark.png?v=", NULL });
	/* 1 Mbit/s out of 100 Mbit/s: 1 % */
	expect_row(html, "href=\"core-sw/Gi1_0_2.html\">Gi1/0/2<",
	    (const char *const[]){ ">100\xc2\xa0Mbit/s<", ">12,0\xc2\xa0kbit/s<",
	    ">1,00\xc2\xa0Mbit/s<", ">1,0%<", ">0,002<", NULL });
	expect_row(html, "href=\"core-sw/Gi1_0_24.html\">Gi1/0/24<",
	    (const char *const[]){ "class=\"st-down\"", "✕", "Mất kết nối",
	    ">0\xc2\xa0" "bit/s<", NULL });
	/* switched off, no rates yet */
	expect_row(html, "href=\"core-sw/Vlan_99_.html\">Vlan&lt;99&gt;<",
	    (const char *const[]){ "class=\"st-off\"", "○",
	    "Đã tắt (quản trị)", ">10\xc2\xa0Mbit/s<",
	    "data-label=\"Mức sử dụng\">–<", NULL });
	/* its own graphs as for any target */
	EXPECT_CONTAINS(html, "src=\"../g/core-sw-lat-3h.png?v=");
	/* what the switch reported, with the port linked */
	EXPECT_CONTAINS(html, "Khởi động lại");
	EXPECT_CONTAINS(html, "href=\"core-sw/Gi1_0_24.html\">Gi1/0/24</a>"
	    "</span>");
	free(html);

	/* a ping target has none of it */
	html = slurp(webdir_vi, "t/wan.html");
	EXPECT_TRUE(html && strstr(html, "class=\"ports\"") == NULL);
	EXPECT_CONTAINS(html, "Độ dao động (jitter)");
	free(html);
	return 0;
}

DEF_TEST(port_pages)
{
	char *html;

	for (size_t i = 0; i < nitems(pdefs); i++) {
		char safe[64], *rel;

		safe_filename(pdefs[i].name, safe, sizeof(safe));
		rel = xasprintf("t/core-sw/%s.html", safe);
		html = slurp(webdir_vi, rel);
		EXPECT_CONTAINS(html, "href=\"../../tramon.css\"");
		EXPECT_CONTAINS(html, "href=\"../core-sw.html\"");
		EXPECT_CONTAINS(html, "href=\"../../events.html\"");
		for (size_t r = 0; r < nitems(pranges); r++) {
			char *src = xasprintf("src=\"../../g/core-sw/%s-traffic"
			    "-%s.png?v=", safe, pranges[r]);

			EXPECT_CONTAINS(html, src);
			free(src);
			src = xasprintf("src=\"../../g/core-sw/%s-errors-%s.png"
			    "?v=", safe, pranges[r]);
			EXPECT_CONTAINS(html, src);
			free(src);
		}
		EXPECT_TRUE(html && strstr(html, "-3h.png") == NULL);
		free(html);
		free(rel);

		for (size_t r = 0; r < nitems(pranges); r++) {
			rel = xasprintf("g/core-sw/%s-traffic-%s.png", safe,
			    pranges[r]);
			check_png(webdir_vi, rel, 680, 240);
			free(rel);
			rel = xasprintf("g/core-sw/%s-errors-%s.png", safe,
			    pranges[r]);
			check_png(webdir_vi, rel, 680, 240);
			free(rel);
		}
		/* a port switched off all day is one colour: a small file */
		rel = xasprintf("g/core-sw/%s-spark.png", safe);
		check_png_min(webdir_vi, rel, 120, 28, 100);
		free(rel);
	}

	html = slurp(webdir_vi, "t/core-sw/Gi1_0_1.html");
	EXPECT_CONTAINS(html, "<h1 class=\"target st-up\">Gi1/0/1</h1>");
	EXPECT_CONTAINS(html, "Mô tả: Uplink → Trà Linh &amp; &lt;UBND&gt;");
	EXPECT_CONTAINS(html, "<strong>250\xc2\xa0Mbit/s</strong>");
	EXPECT_CONTAINS(html, "<strong>25%</strong>");
	EXPECT_CONTAINS(html, "<strong>0,750</strong> <span class=\"meta\">"
	    "(vào 0,500 · ra 0,250)</span>");
	EXPECT_CONTAINS(html, "Chưa có sự kiện nào");	/* none of its own */
	free(html);

	html = slurp(webdir_vi, "t/core-sw/Gi1_0_24.html");
	EXPECT_CONTAINS(html, "<h1 class=\"target st-down\">Gi1/0/24</h1>");
	EXPECT_CONTAINS(html, "Cổng mất kết nối");
	EXPECT_CONTAINS(html, "trạng thái cổng: mất kết nối (quản trị: bật)");
	EXPECT_TRUE(html && strstr(html, "Khởi động lại") == NULL);
	free(html);

	html = slurp(webdir_vi, "t/core-sw/Vlan_99_.html");
	EXPECT_CONTAINS(html, "<h1 class=\"target st-off\">Vlan&lt;99&gt;"
	    "</h1>");
	EXPECT_TRUE(html && strstr(html, "<99>") == NULL);
	EXPECT_TRUE(html && strstr(html, "<fail>") == NULL);
	free(html);
	return 0;
}

DEF_TEST(switch_status_json)
{
	char *text = slurp(webdir_vi, "status.json");
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;
	json_t *arr, *sw, *ifs, *p;

	free(text);
	if (root == NULL) {
		FAIL_HERE("%s", "status.json does not parse");
		return 1;
	}
	arr = json_object_get(root, "targets");
	sw = json_array_get(arr, SWITCH_IDX);
	EXPECT_EQ_STR("core-sw", json_string_value(json_object_get(sw, "id")));
	EXPECT_EQ_STR("up", json_string_value(json_object_get(sw, "state")));
	EXPECT_NEAR(3.1, json_number_value(json_object_get(sw, "rtt_ms")),
	    1e-9);
	EXPECT_NEAR(100, json_number_value(json_object_get(sw,
	    "uptime_24h_pct")), 1e-9);
	EXPECT_NEAR(SW_UPTIME - 20, json_number_value(json_object_get(sw,
	    "uptime")), 1e-9);
	ifs = json_object_get(sw, "interfaces");
	EXPECT_TRUE(json_is_array(ifs));
	EXPECT_EQ_INT(nitems(pdefs), json_array_size(ifs));
	for (size_t i = 0; i < json_array_size(ifs); i++) {
		p = json_array_get(ifs, i);
		EXPECT_EQ_STR(pdefs[i].name, json_string_value(
		    json_object_get(p, "name")));
		if (pdefs[i].label)
			EXPECT_EQ_STR(pdefs[i].label, json_string_value(
			    json_object_get(p, "label")));
		else
			EXPECT_TRUE(json_is_null(json_object_get(p, "label")));
		for (size_t k = 0; k < nitems(sw_idefs); k++) {
			json_t *v = json_object_get(p, sw_idefs[k].name);

			if (isnan(pdefs[i].v[k]))
				EXPECT_TRUE(json_is_null(v));
			else if (!json_is_number(v))
				FAIL_HERE("%s.%s: not a number", pdefs[i].name,
				    sw_idefs[k].name);
			else
				EXPECT_NEAR(pdefs[i].v[k],
				    json_number_value(v), 1e-9);
		}
	}
	/* Gi1/0/1 by name, as a script would read it */
	p = json_array_get(ifs, 0);
	EXPECT_NEAR(31250000, json_number_value(json_object_get(p,
	    "in_octets")), 1e-9);
	EXPECT_NEAR(1e9, json_number_value(json_object_get(p, "speed")), 1e-9);
	/* targets without the values have no such keys */
	p = json_array_get(arr, 0);
	EXPECT_TRUE(json_object_get(p, "uptime") == NULL);
	EXPECT_TRUE(json_object_get(p, "interfaces") == NULL);
	json_decref(root);
	return 0;
}

DEF_TEST(switch_events)
{
	char *html = slurp(webdir_vi, "events.html");

	expect_row(html, "Khởi động lại", (const char *const[]){
	    "href=\"t/core-sw.html\">Switch lõi UBND</a>", "st-degraded",
	    "sysUpTime lùi từ 12 d 03:04:05 về 00:02:10 (thiết bị đã khởi "
	    "động lại)", NULL });
	expect_row(html, "Cổng mất kết nối", (const char *const[]){
	    "badge st-down", "href=\"t/core-sw/Gi1_0_24.html\">Gi1/0/24</a>",
	    "trạng thái cổng: mất kết nối (quản trị: bật)", NULL });
	/* a port the switch no longer reports: named, not linked */
	expect_row(html, "Cổng hoạt động lại", (const char *const[]){
	    "badge st-up", "Gi1/0/9", "trạng thái cổng: hoạt động", NULL });
	EXPECT_TRUE(html && strstr(html, "Gi1_0_9") == NULL);
	/* a kind this version does not know: its word, escaped */
	expect_row(html, "fan_&lt;fail&gt;", (const char *const[]){
	    "href=\"t/core-sw/Vlan_99_.html\">Vlan&lt;99&gt;</a>",
	    "fan 2 stopped", NULL });
	EXPECT_TRUE(html && strstr(html, "<fail>") == NULL);
	free(html);
	return 0;
}

DEF_TEST(switch_overview)
{
	char *html = slurp(webdir_vi, "index.html");

	expect_row(html, "href=\"t/core-sw.html\"", (const char *const[]){
	    "<span class=\"dev\"><span class=\"nw\">chạy liên tục 12 ngày "
	    "3 giờ</span> · <span class=\"nw\">2/4 cổng hoạt động</span>",
	    "198.18.1.2 · snmp", "data-label=\"Độ trễ\">3,1\xc2\xa0ms<",
	    "data-label=\"Độ dao động (jitter)\">–<", NULL });
	{
		char *row = row_of(html, "href=\"t/wan.html\"");

		EXPECT_TRUE(row && strstr(row, "class=\"dev\"") == NULL);
		free(row);
	}
	free(html);
	return 0;
}

/* After render_en. */
DEF_TEST(switch_en)
{
	char *html = slurp(webdir_en, "t/core-sw.html");

	EXPECT_CONTAINS(html, "<strong>12 d 3 h</strong>");
	EXPECT_CONTAINS(html, "2/4 ports up");
	EXPECT_CONTAINS(html, ">40.0\xc2\xa0Mbit/s<");
	EXPECT_CONTAINS(html, ">0.750<");
	EXPECT_CONTAINS(html, "Admin down");
	EXPECT_CONTAINS(html, "Time since restart");
	free(html);
	html = slurp(webdir_en, "events.html");
	expect_row(html, "Rebooted", (const char *const[]){
	    "sysUpTime went back from 12 d 03:04:05 to 00:02:10", NULL });
	expect_row(html, "Port down", (const char *const[]){
	    "href=\"t/core-sw/Gi1_0_24.html\">Gi1/0/24</a>",
	    "oper status down (admin up)", NULL });
	EXPECT_CONTAINS(html, "Port up");
	EXPECT_TRUE(html && strstr(html, "Cổng") == NULL);
	free(html);
	html = slurp(webdir_en, "index.html");
	EXPECT_CONTAINS(html, "uptime 12 d 3 h</span> · <span class=\"nw\">"
	    "2/4 ports up");
	free(html);
	check_png(webdir_en, "g/core-sw/Gi1_0_1-traffic-30d.png", 680, 240);
	return 0;
}

static size_t
count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name), m = strlen(suffix);

		n += len > m && strcmp(de->d_name + len - m, suffix) == 0;
	}
	if (d)
		closedir(d);
	return n;
}

/* A port no longer reported loses its page and graphs; a target gone
 * loses its directories; what is not ours stays. */
DEF_TEST(port_pruning)
{
	unsigned long before = web_renders();
	char *dir = path_in(tmpdir, "www-prune");
	char *tsw = path_in(dir, "t/core-sw"), *gsw = path_in(dir, "g/core-sw");
	struct web_snapshot *s;
	char *p, *html;

	p = path_in(dir, "t/gone");
	mkdir_p(p, 0755);
	free(p);
	p = path_in(dir, "g/gone");
	mkdir_p(p, 0755);
	free(p);
	p = path_in(dir, "t/gone/x.html");
	file_replace(p, "x", 1, 0);
	free(p);
	p = path_in(dir, "g/gone/x-traffic-1d.png");
	file_replace(p, "x", 1, 0);
	free(p);
	p = path_in(dir, "g/gone/keep.txt");	/* not ours */
	file_replace(p, "x", 1, 0);
	free(p);

	web_render(switch_snapshot(dir, t_end, 0, NULL));
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	EXPECT_EQ_INT(4, count_files(tsw, ".html"));
	EXPECT_EQ_INT(36, count_files(gsw, ".png"));
	EXPECT_TRUE(!exists(dir, "t/gone"));
	EXPECT_TRUE(!exists(dir, "g/gone/x-traffic-1d.png"));
	EXPECT_TRUE(exists(dir, "g/gone/keep.txt"));

	/* Vlan<99> is no longer reported, and the switch stopped answering:
	 * the figures shown are the last ones it gave, and the page says so */
	s = switch_snapshot(dir, t_end + 60, 3, NULL);
	s->targets[0].state = TS_DOWN;
	s->targets[0].why = xstrdup("authentication failure");
	s->targets[0].values[0] = NAN;
	web_render(s);
	EXPECT_EQ_INT(0, wait_renders(before + 2));
	html = slurp(dir, "t/core-sw.html");
	EXPECT_CONTAINS(html, "Thiết bị không trả lời: số liệu các cổng");
	EXPECT_CONTAINS(html, "xác thực SNMP thất bại");
	EXPECT_CONTAINS(html, "<dt>Thời gian chạy liên tục</dt><dd>–</dd>");
	EXPECT_CONTAINS(html, "<strong>2/3 cổng hoạt động</strong>");
	free(html);
	html = slurp(dir, "t/core-sw/Gi1_0_1.html");
	EXPECT_CONTAINS(html, "<p class=\"note\">Thiết bị không trả lời");
	free(html);
	html = slurp(dir, "index.html");
	EXPECT_CONTAINS(html, "<span class=\"dev\"><span class=\"nw\">2/3 "
	    "cổng hoạt động</span></span>");
	free(html);
	EXPECT_EQ_INT(3, count_files(tsw, ".html"));
	EXPECT_EQ_INT(27, count_files(gsw, ".png"));
	EXPECT_TRUE(!exists(dir, "t/core-sw/Vlan_99_.html"));
	EXPECT_TRUE(!exists(dir, "g/core-sw/Vlan_99_-spark.png"));
	EXPECT_TRUE(exists(dir, "t/core-sw/Gi1_0_24.html"));
	EXPECT_TRUE(exists(dir, "g/core-sw/Gi1_0_24-errors-1y.png"));

	/* the switch is gone */
	web_render(empty_snapshot(LANG_VI, dir, t_end + 120));
	EXPECT_EQ_INT(0, wait_renders(before + 3));
	EXPECT_TRUE(!exists(dir, "t/core-sw.html"));
	EXPECT_TRUE(!exists(dir, "t/core-sw"));
	EXPECT_TRUE(!exists(dir, "g/core-sw"));
	EXPECT_TRUE(!exists(dir, "g/core-sw-lat-3h.png"));
	free(tsw);
	free(gsw);
	free(dir);
	return 0;
}

/*
 * 30 ports, 270 port graphs: not all in one render.  The first draws
 * the 1-day sparklines the switch's table shows before anything else,
 * the next ones the rest, and once all exist a render redraws none
 * that is not due.
 */
DEF_TEST(port_graph_budget)
{
	enum { NPORTS = 30, NGRAPHS = NPORTS * 9 };
	unsigned long before = web_renders();
	char *dir = path_in(tmpdir, "www-budget");
	char *gsw = path_in(dir, "g/core-sw");
	char *rrd = port_rrd_path("core-sw", "Gi1/0/1");
	struct timespec *mt = xcalloc(NGRAPHS, sizeof(*mt));
	size_t n, prev, renders = 1;
	char *html;

	int64_t t0 = mono_ns();

	web_render(switch_snapshot(dir, t_end, NPORTS, rrd));
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	n = count_files(gsw, ".png");
	printf("# a %d-port switch: first render %lld ms, %zu of %d port "
	    "graphs\n", NPORTS, (long long)((mono_ns() - t0) / 1000000), n,
	    NGRAPHS);
	if (n == 0 || n >= NGRAPHS)
		FAIL_HERE("first render drew %zu of %d port graphs", n,
		    NGRAPHS);
	EXPECT_EQ_INT(NPORTS, count_files(gsw, "-spark.png"));
	EXPECT_EQ_INT(0, count_files(gsw, "-1y.png"));
	html = slurp(dir, "t/core-sw/p30.html");
	EXPECT_CONTAINS(html, "Chưa có dữ liệu");	/* 1 y: not yet */
	EXPECT_TRUE(html && strstr(html, "p30-errors-1y.png") == NULL);
	free(html);
	html = slurp(dir, "t/core-sw.html");
	EXPECT_CONTAINS(html, "src=\"../g/core-sw/p30-spark.png?v=");
	free(html);

	do {
		prev = n;
		web_render(switch_snapshot(dir, t_end, NPORTS, rrd));
		EXPECT_EQ_INT(0, wait_renders(before + ++renders));
		n = count_files(gsw, ".png");
	} while (n > prev && n < NGRAPHS && renders < 20);
	EXPECT_EQ_INT(NGRAPHS, n);
	EXPECT_TRUE(renders >= 3);
	html = slurp(dir, "t/core-sw/p30.html");
	EXPECT_TRUE(html && strstr(html, "Chưa có dữ liệu") == NULL);
	EXPECT_CONTAINS(html, "src=\"../../g/core-sw/p30-errors-1y.png?v=");
	free(html);

	/* nothing due: nothing redrawn */
	for (size_t k = 0, i = 0; k < NPORTS; k++)
		for (size_t r = 0; r < nitems(pranges); r++) {
			char *f = xasprintf("g/core-sw/p%02zu-traffic-%s.png",
			    k + 1, pranges[r]);

			mt[i++] = mtime(dir, f);
			free(f);
		}
	t0 = mono_ns();
	web_render(switch_snapshot(dir, t_end, NPORTS, rrd));
	EXPECT_EQ_INT(0, wait_renders(before + ++renders));
	printf("# a render with nothing due: %lld ms\n",
	    (long long)((mono_ns() - t0) / 1000000));
	for (size_t k = 0, i = 0; k < NPORTS; k++)
		for (size_t r = 0; r < nitems(pranges); r++) {
			char *f = xasprintf("g/core-sw/p%02zu-traffic-%s.png",
			    k + 1, pranges[r]);

			if (!same_time(mt[i++], mtime(dir, f)))
				FAIL_HERE("%s redrawn before it was due", f);
			free(f);
		}
	free(mt);
	free(rrd);
	free(gsw);
	free(dir);
	return 0;
}

/*
 * Target graphs have a time budget (a share of web_refresh), the most
 * overdue first, at least TARGET_GRAPHS_MIN (20) a render.  With a
 * web_refresh of 0 there is no time at all: 20 graphs a render, the
 * overview's sparklines and the 3-hour graphs first, and the others in
 * the next renders; a page links only the graphs that exist.
 */
DEF_TEST(target_graph_budget)
{
	unsigned long before = web_renders();
	char *dir = path_in(tmpdir, "www-tbudget");
	char *g = path_in(dir, "g");
	size_t n, prev, renders = 0;
	struct web_snapshot *s;
	struct timespec ts[2], y1;
	char *html, *p;

	s = snapshot(LANG_VI, dir, t_end);
	s->refresh = 0;
	web_render(s);
	EXPECT_EQ_INT(0, wait_renders(before + ++renders));
	n = count_files(g, ".png");
	EXPECT_EQ_INT(20, n);
	EXPECT_TRUE(count_files(g, "-spark.png") > 0);
	EXPECT_EQ_INT(count_files(g, "-spark.png"),
	    count_files(g, "-lat-3h.png"));
	EXPECT_EQ_INT(count_files(g, "-spark.png"),
	    count_files(g, "-loss-3h.png"));
	EXPECT_EQ_INT(0, count_files(g, "-1y.png"));
	html = slurp(dir, "t/wan.html");
	EXPECT_CONTAINS(html, "src=\"../g/wan-lat-3h.png?v=");
	EXPECT_TRUE(html && strstr(html, "wan-lat-1y.png") == NULL);
	free(html);

	do {
		prev = n;
		s = snapshot(LANG_VI, dir, t_end);
		s->refresh = 0;
		web_render(s);
		EXPECT_EQ_INT(0, wait_renders(before + ++renders));
		n = count_files(g, ".png");
	} while (n > prev && renders < 30);
	EXPECT_TRUE(renders >= 3);
	html = slurp(dir, "t/wan.html");
	EXPECT_CONTAINS(html, "src=\"../g/wan-lat-1y.png?v=");
	free(html);

	/* nothing left: a render with time for everything adds none */
	web_render(snapshot(LANG_VI, dir, t_end));
	EXPECT_EQ_INT(0, wait_renders(before + ++renders));
	EXPECT_EQ_INT(n, count_files(g, ".png"));

	/* a 1-year graph 100 days old comes before the 3-hour ones */
	p = path_in(g, "wan-loss-1y.png");
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 100 * 86400;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	EXPECT_EQ_INT(0, utimensat(AT_FDCWD, p, ts, 0));
	y1 = mtime(g, "wan-loss-1y.png");
	s = snapshot(LANG_VI, dir, t_end);
	s->refresh = 0;
	web_render(s);
	EXPECT_EQ_INT(0, wait_renders(before + ++renders));
	EXPECT_TRUE(!same_time(y1, mtime(g, "wan-loss-1y.png")));
	free(p);
	free(g);
	free(dir);
	return 0;
}

/* 60 % of web_refresh, but never more than two minutes (issue 8). */
DEF_TEST(graph_budget_ceiling)
{
	EXPECT_NEAR(0, web_graph_budget(0), 1e-9);
	EXPECT_NEAR(3, web_graph_budget(5), 1e-9);
	EXPECT_NEAR(36, web_graph_budget(60), 1e-9);
	EXPECT_NEAR(120, web_graph_budget(200), 1e-9);
	EXPECT_NEAR(120, web_graph_budget(3600), 1e-9);
	EXPECT_NEAR(120, web_graph_budget(86400), 1e-9);
	return 0;
}

/* Files of a replacement cut short ("NAME.tmp.PID", "NAME.tmp-graph")
 * anywhere under dir. */
static size_t
count_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = path_in(dir, de->d_name);
		if (strstr(de->d_name, ".tmp") != NULL) {
			printf("# left: %s\n", p);
			n++;
		} else if (de->d_type == DT_DIR)
			n += count_tmp(p);
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

/* 300 copies of wan, web_refresh `refresh`: 4,800 graphs, about a
 * minute of drawing. */
static struct web_snapshot *
many_snapshot(const char *dir, time_t generated, int refresh)
{
	enum { N = 300 };
	struct web_snapshot *s = empty_snapshot(LANG_VI, dir, generated);

	s->refresh = refresh;
	s->ntargets = N;
	s->targets = xcalloc(N, sizeof(*s->targets));
	for (size_t i = 0; i < N; i++) {
		fill_target(&s->targets[i], &tdefs[0], generated);
		free(s->targets[i].id);
		s->targets[i].id = xasprintf("w%03zu", i);
	}
	return s;
}

/* Wait (bounded) until dir holds at least `want` files ending in
 * `suffix`, without running the loop: the render goes on. */
static int
wait_files(const char *dir, const char *suffix, size_t want, int seconds)
{
	int64_t deadline = mono_ns() + (int64_t)seconds * 1000000000;

	while (count_files(dir, suffix) < want) {
		if (mono_ns() > deadline)
			return -1;
		usleep(20000);
	}
	return 0;
}

/*
 * A stop in the middle of a long render (web_refresh = 1 day, so the
 * budget is the 2-minute ceiling): web_close() returns at once rather
 * than when the minute of graphs is drawn; no temporary file is left,
 * and the pages of the render before are there, whole and untouched;
 * no rrdtool child is left.
 */
DEF_TEST(close_mid_render)
{
	unsigned long before = web_renders();
	char *dir = path_in(tmpdir, "www-stop");
	char *g = path_in(dir, "g");
	char *idx, *idx2, *json, *json2;
	struct timespec mi, mj;
	int64_t t0, ms;
	size_t n;

	graph_use_child(1);
	/* the pages, and 20 graphs (no time at all) */
	web_render(many_snapshot(dir, t_end, 0));
	EXPECT_EQ_INT(0, wait_renders(before + 1));
	idx = slurp(dir, "index.html");
	json = slurp(dir, "status.json");
	mi = mtime(dir, "index.html");
	mj = mtime(dir, "status.json");

	web_render(many_snapshot(dir, t_end + 60, 86400));
	EXPECT_EQ_INT(0, wait_files(g, ".png", 60, 120));
	t0 = mono_ns();
	web_close();
	ms = (mono_ns() - t0) / 1000000;
	n = count_files(g, ".png");
	printf("# web_close() in the middle of a render: %lld ms, %zu of "
	    "4800 graphs drawn\n", (long long)ms, n);
	EXPECT_TRUE(ms < 5000);
	EXPECT_TRUE(n < 4800);
	EXPECT_EQ_INT(before + 2, web_renders());	/* its completion ran */
	EXPECT_EQ_INT(0, count_tmp(dir));
	EXPECT_EQ_INT(-1, rrdtool_child());
	EXPECT_TRUE(same_time(mi, mtime(dir, "index.html")));
	EXPECT_TRUE(same_time(mj, mtime(dir, "status.json")));
	idx2 = slurp(dir, "index.html");
	json2 = slurp(dir, "status.json");
	EXPECT_TRUE(idx && idx2 && strcmp(idx, idx2) == 0);
	EXPECT_TRUE(json && json2 && strcmp(json, json2) == 0);
	EXPECT_CONTAINS(idx2, "</html>");
	free(idx);
	free(idx2);
	free(json);
	free(json2);

	/* and it renders again, the graphs where it left them */
	web_open(base, NULL);
	web_render(many_snapshot(dir, t_end + 120, 0));
	EXPECT_EQ_INT(0, wait_renders(before + 3));
	EXPECT_TRUE(count_files(g, ".png") >= n);
	EXPECT_TRUE(!same_time(mi, mtime(dir, "index.html")));
	free(g);
	free(dir);
	return 0;
}

/* An rrdtool that starts writing the graph, then hangs. */
static const char stuck_rrdtool[] =
    "#!/usr/bin/python3\n"
    "import shlex, sys, time\n"
    "for line in sys.stdin:\n"
    "    w = shlex.split(line)\n"
    "    if w and w[0] == 'graph':\n"
    "        with open(w[1], 'wb') as f:\n"
    "            f.write(b'\\x89PNG half')\n"
    "        time.sleep(120)\n";

/*
 * A graph in flight is not waited for either: the rrdtool child (which
 * would have 30 s to answer) is killed, the temporary file it was
 * writing removed, the graph's file is not touched.
 */
DEF_TEST(close_mid_graph)
{
	unsigned long before = web_renders();
	char *dir = path_in(tmpdir, "www-stuck");
	char *bin = path_in(tmpdir, "stuck-bin");
	char *prog = path_in(bin, "rrdtool");
	char *g = path_in(dir, "g");
	char *path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin");
	struct web_snapshot *s;
	int64_t t0, ms;

	if (access("/usr/bin/python3", X_OK) == -1) {
		printf("# skipped: no /usr/bin/python3\n");
		goto out;
	}
	mkdir_p(bin, 0755);
	EXPECT_EQ_INT(0, file_replace(prog, stuck_rrdtool,
	    strlen(stuck_rrdtool), 0));
	EXPECT_EQ_INT(0, chmod(prog, 0755));
	graph_close();			/* the next graph starts a child */
	graph_use_child(1);
	setenv("PATH", bin, 1);
	s = snapshot(LANG_VI, dir, t_end);
	s->refresh = 0;
	web_render(s);
	EXPECT_EQ_INT(0, wait_files(g, ".tmp-graph", 1, 60));
	t0 = mono_ns();
	web_close();
	ms = (mono_ns() - t0) / 1000000;
	setenv("PATH", path, 1);
	printf("# web_close() with a graph in flight: %lld ms\n",
	    (long long)ms);
	EXPECT_TRUE(ms < 5000);
	EXPECT_EQ_INT(before + 1, web_renders());
	EXPECT_EQ_INT(0, count_tmp(dir));
	EXPECT_EQ_INT(0, count_files(g, ".png"));
	EXPECT_EQ_INT(-1, rrdtool_child());
	EXPECT_TRUE(!exists(dir, "index.html"));
	web_open(base, NULL);
out:
	free(path);
	free(g);
	free(prog);
	free(bin);
	free(dir);
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
		make_switch_rrds();
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
	RUN_TEST(events_by_month);
	RUN_TEST(switch_page);
	RUN_TEST(port_pages);
	RUN_TEST(switch_status_json);
	RUN_TEST(switch_events);
	RUN_TEST(switch_overview);
	RUN_TEST(second_render_keeps_graphs);
	RUN_TEST(rrdtool_child_dies);
	RUN_TEST(coalescing);
	RUN_TEST(refresh_builds_when_the_render_ends);
	RUN_TEST(render_en);
	RUN_TEST(switch_en);
	RUN_TEST(status_json_direct);
	RUN_TEST(render_empty);
	RUN_TEST(young_target_stored_after_the_snapshot);
	RUN_TEST(rrdtool_missing);
	RUN_TEST(rrdcached);
	RUN_TEST(port_pruning);
	RUN_TEST(port_graph_budget);
	RUN_TEST(target_graph_budget);
	RUN_TEST(graph_budget_ceiling);
	RUN_TEST(close_mid_render);
	RUN_TEST(close_mid_graph);
	RUN_TEST(mkdir_p_refuses_a_file);

	web_close();
	event_base_free(base);
	libevent_global_shutdown();
	free(asset_dir);
	free(webdir_vi);
	free(webdir_en);
	cleanup();
	END_TEST;
}
