#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "alert.h"
#include "alerts.h"
#include "conf.h"
#include "i18n.h"
#include "journal.h"
#include "log.h"
#include "mailmsg.h"
#include "report.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "report_job.h"
#include "util.h"
#include "worker.h"

#define CHECK_EVERY_S	60
#define RETRY_S		1800	/* a month that failed: again after */

/* A month as one number, for counting. */
#define MKEY(y, m)	((y) * 12 + (m) - 1)

static const struct {
	const char *format, *ext, *type;
} kinds[] = {
	{ "html", "html", "text/html; charset=UTF-8" },
	{ "csv", "csv", "text/csv; charset=UTF-8" },
	{ "pdf", "pdf", "application/pdf" },
	{ "text", "txt", "text/plain; charset=UTF-8" },
};
#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

struct rfile {
	char name[32];          /* "2026-10.pdf" */
	const char *type;
	char *data;
	size_t len;
};

struct rmonth {
	int year, month;
	int skipped;            /* nothing monitored: not published */
	int failed;             /* not built, or a file not written */
	int stopped;            /* not finished: tramond is stopping */
	struct rfile files[NKINDS];
	size_t nfiles;
	struct alert_text text; /* the mail's subject and body */
	json_t *hook;           /* the webhook's document */
};

struct rjob {
	struct conf *conf;      /* held until done */
	time_t now;
	int mail;
	int mark;               /* write report.last (the schedule's) */
	struct rmonth *m;
	size_t n;
};

static struct {
	struct event_base *base;
	struct conf *conf;
	struct worker *worker;
	struct event *timer;
	void (*published)(void);
	int busy;               /* a job is queued or running */
	int done_y, done_m;     /* report.last; 0 = none */
	time_t retry_at;        /* after a failure, not before */
} R;

/* report_job_stop() to the worker: leave what is not done (it is built
 * again at the next start: report.last does not move past it). */
static atomic_int stopping;

/* ---- when ---- */

int
report_due(const char *tz, time_t now, int time_min, int done_year,
    int done_month, int *y0, int *m0, int *y1, int *m1)
{
	struct tz_save z;
	struct tm tm;
	time_t at;
	int cy, cm, want, from;

	report_month_of(tz, now, 0, &cy, &cm);
	tz_enter(&z, tz);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = cy - 1900;
	tm.tm_mon = cm - 1;
	tm.tm_mday = 1;
	tm.tm_hour = time_min / 60;
	tm.tm_min = time_min % 60;
	tm.tm_isdst = -1;
	at = mktime(&tm);
	tz_leave(&z);
	want = MKEY(cy, cm) - (now >= at ? 1 : 2);
	from = done_year > 0 ? MKEY(done_year, done_month) + 1 : want;
	if (from > want)
		return 0;
	if (want - from >= REPORT_CATCHUP)
		from = want - REPORT_CATCHUP + 1;
	*y0 = from / 12;
	*m0 = from % 12 + 1;
	*y1 = want / 12;
	*m1 = want % 12 + 1;
	return 1;
}

static char *
last_path(const struct conf *c)
{
	return xasprintf("%s/report.last", c->state_dir);
}

static void
read_last(void)
{
	char *path = last_path(R.conf), *s;

	R.done_y = R.done_m = 0;
	if ((s = file_read(path, NULL)) != NULL) {
		s[strcspn(s, "\r\n")] = '\0';
		if (report_parse_month(s, &R.done_y, &R.done_m) == -1) {
			log_warnx("%s: \"%.20s\" is not a month: building last "
			    "month's report only", path, s);
			R.done_y = R.done_m = 0;
		}
		free(s);
	} else if (errno != ENOENT)
		log_warn("%s", path);
	free(path);
}

/* ---- building (on the worker) ---- */

static long
monitored(const struct report *r)
{
	long sum = 0;

	for (size_t i = 0; i < r->ntargets; i++)
		sum += r->targets[i].f.monitored;
	return sum;
}

static char *
render(const struct report *r, const struct conf *c, const char *format,
    size_t *len)
{
	char *s;

	if (strcmp(format, "html") == 0)
		return report_html(r, c, len);
	if (strcmp(format, "csv") == 0)
		return report_csv(r, len);
	if (strcmp(format, "pdf") == 0)
		return (char *)report_pdf(r, c, len);
	s = report_text(r);
	*len = strlen(s);
	return s;
}

/* The webhook's document: the month, each group, who was below the SLA,
 * where the report is. */
static json_t *
hook_doc(const struct report *r, const char *url)
{
	json_t *groups = json_array(), *below = json_array();
	char m[16];

	for (size_t k = 0; k < r->ngroups; k++)
		json_array_append_new(groups, json_pack("{s:s, s:o}", "name",
		    r->groups[k].name, "availability_pct",
		    isfinite(r->groups[k].f.availability) ?
		    json_real(r->groups[k].f.availability) : json_null()));
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];

		if (isfinite(t->f.availability) &&
		    t->f.availability < r->sla_pct)
			json_array_append_new(below, json_pack("{s:s, s:s, "
			    "s:f, s:I}", "id", t->id, "name", t->name,
			    "availability_pct", t->f.availability, "outages",
			    (json_int_t)t->f.outages));
	}
	snprintf(m, sizeof(m), "%04d-%02d", r->year, r->month);
	return json_pack("{s:s, s:s, s:s, s:f, s:o, s:o, s:s?}", "event",
	    "report", "month", m, "district", r->district, "sla_pct",
	    r->sla_pct, "groups", groups, "below_sla", below, "url", url);
}

static void
build_month(struct rjob *j, struct rmonth *out)
{
	const struct conf *c = j->conf;
	struct report *r;
	char *dir, *path, *url = NULL, m[48];

	r = report_build(c, out->year, out->month, j->now);
	if (r == NULL) {
		log_warnx("report %04d-%02d: out of range", out->year,
		    out->month);
		out->failed = 1;
		return;
	}
	r->stop = &stopping;
	if (report_rrd(r, c) == -1) {
		out->failed = out->stopped = 1;
		report_free(r);
		return;
	}
	if (j->mark && monitored(r) == 0) {
		log_info("report %04d-%02d: nothing was monitored that month; "
		    "no report", out->year, out->month);
		out->skipped = 1;
		report_free(r);
		return;
	}
	dir = xasprintf("%s/reports", c->web_dir);
	if (mkdir_p(dir, 0755) == -1) {
		log_warn("report: %s", dir);
		out->failed = 1;
	}
	for (char **f = c->reports.formats; !out->failed && f && *f; f++) {
		struct rfile *rf = &out->files[out->nfiles];
		size_t k;

		if (atomic_load(&stopping)) {
			out->failed = out->stopped = 1;
			break;
		}
		for (k = 0; k < NKINDS && strcmp(kinds[k].format, *f); k++)
			;
		if (k == NKINDS)
			continue;
		snprintf(rf->name, sizeof(rf->name), "%04d-%02d.%s",
		    out->year, out->month, kinds[k].ext);
		rf->type = kinds[k].type;
		rf->data = render(r, c, *f, &rf->len);
		if (atomic_load(&stopping)) {	/* graphs left out */
			free(rf->data);
			out->failed = out->stopped = 1;
			break;
		}
		if (rf->data == NULL) {
			out->failed = 1;	/* logged */
			break;
		}
		path = xasprintf("%s/%s", dir, rf->name);
		if (file_replace(path, rf->data, rf->len, 1) == -1) {
			log_warn("report: cannot write %s", path);
			out->failed = 1;
		}
		free(path);
		out->nfiles++;
	}
	if (!out->failed) {
		snprintf(m, sizeof(m), "reports/%04d-%02d.html", out->year,
		    out->month);
		for (size_t k = 0; k < out->nfiles; k++)
			if (strcmp(out->files[k].name + 8, "html") == 0)
				url = conf_url(c, m);
		report_fmt_month(r, m, sizeof(m));
		out->text.subject = xasprintf(i18n(r->language,
		    M_R_MAIL_SUBJECT), m, *r->district ? r->district :
		    i18n(r->language, M_APP_TITLE));
		out->text.body = report_summary(r, url);
		out->hook = hook_doc(r, url);
	}
	free(url);
	free(dir);
	report_free(r);
}

static void
job_run(void *arg)
{
	struct rjob *j = arg;

	for (size_t i = 0; i < j->n; i++) {
		if (atomic_load(&stopping))
			j->m[i].failed = j->m[i].stopped = 1;
		else
			build_month(j, &j->m[i]);
	}
}

/* ---- publishing (on the loop) ---- */

static void
write_last(void *arg)
{
	char *text = arg, *path = last_path(R.conf);

	if (file_replace(path, text, strlen(text), 1) == -1)
		log_warn("cannot write %s: the report may be built again",
		    path);
	free(path);
	free(text);
}

static void
publish(struct rjob *j, struct rmonth *m)
{
	struct mail_attachment att[NKINDS];
	size_t n = 0;
	json_t *ev, *files = json_array();
	char key[16];

	snprintf(key, sizeof(key), "%04d-%02d", m->year, m->month);
	for (size_t k = 0; k < m->nfiles; k++) {
		const char *ext = m->files[k].name + 8;

		json_array_append_new(files, json_string(m->files[k].name));
		if (strcmp(ext, "pdf") == 0 || strcmp(ext, "csv") == 0)
			att[n++] = (struct mail_attachment){ m->files[k].name,
			    m->files[k].type, m->files[k].data,
			    m->files[k].len };
	}
	for (size_t k = 0; n == 0 && k < m->nfiles; k++)
		att[n++] = (struct mail_attachment){ m->files[k].name,
		    m->files[k].type, m->files[k].data, m->files[k].len };
	ev = json_pack("{s:s, s:s, s:o, s:b}", "event", "report", "month",
	    key, "files", files, "mailed", j->mail && R.conf->reports.send_to
	    && R.conf->reports.send_to[0]);
	journal_append(ev, 0);
	if (j->mail)
		alerts_report(key, &m->text, att, n, m->hook);
	log_info("report %s: %zu file(s) in %s/reports%s", key, m->nfiles,
	    R.conf->web_dir, j->mail ? ", mailed" : "");
}

static void
rmonth_clear(struct rmonth *m)
{
	for (size_t k = 0; k < m->nfiles; k++)
		free(m->files[k].data);
	alert_text_free(&m->text);
	json_decref(m->hook);
}

static void
job_done(void *arg)
{
	struct rjob *j = arg;
	int last_ok = 0, any = 0, stopped = 0;

	for (size_t i = 0; i < j->n; i++) {
		struct rmonth *m = &j->m[i];

		if (!m->failed && !m->skipped) {
			publish(j, m);
			any = 1;
		}
		/* report.last moves up to the last month that did not fail:
		 * a failed one is tried again at the next check */
		if (!m->failed && last_ok == (int)i)
			last_ok = (int)i + 1;
		else if (m->stopped) {
			if (stopped++ == 0)
				log_info("report %04d-%02d%s: not finished, "
				    "tramond is stopping%s", m->year, m->month,
				    i + 1 < j->n ? " and later" : "", j->mark ?
				    "; it is built at the next start" : "");
		} else if (m->failed)
			R.retry_at = time(NULL) + RETRY_S;
		rmonth_clear(m);
	}
	if (j->mark && last_ok > 0) {
		struct rmonth *m = &j->m[last_ok - 1];
		char *text = xasprintf("%04d-%02d\n", m->year, m->month);

		R.done_y = m->year;
		R.done_m = m->month;
		if (atomic_load(&stopping))
			write_last(text);	/* the worker is going */
		else
			worker_submit(R.worker, write_last, NULL, text);
	}
	if (any && R.published)
		R.published();
	conf_free(j->conf);	/* the hold */
	free(j->m);
	free(j);
	R.busy = 0;
}

static void
submit(int y0, int m0, int y1, int m1, int mail, int mark)
{
	struct rjob *j = xcalloc(1, sizeof(*j));

	j->conf = conf_hold(R.conf);
	j->now = time(NULL);
	j->mail = mail;
	j->mark = mark;
	j->n = (size_t)(MKEY(y1, m1) - MKEY(y0, m0) + 1);
	j->m = xcalloc(j->n, sizeof(*j->m));
	for (size_t i = 0; i < j->n; i++) {
		int k = MKEY(y0, m0) + (int)i;

		j->m[i].year = k / 12;
		j->m[i].month = k % 12 + 1;
	}
	if (j->n > 1)
		log_info("report: building %04d-%02d to %04d-%02d", y0, m0, y1,
		    m1);
	else
		log_info("report: building %04d-%02d", y0, m0);
	R.busy = 1;
	worker_submit(R.worker, job_run, job_done, j);
}

static void
check(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { CHECK_EVERY_S, 0 };
	int y0, m0, y1, m1;

	(void)fd;
	(void)what;
	(void)arg;
	if (!R.busy && R.conf->reports.monthly && time(NULL) >= R.retry_at &&
	    report_due(R.conf->timezone, time(NULL), R.conf->reports.time_min,
	    R.done_y, R.done_m, &y0, &m0, &y1, &m1))
		submit(y0, m0, y1, m1, 1, 1);
	evtimer_add(R.timer, &tv);
}

void
report_job_start(struct event_base *base, struct conf *c,
    void (*published)(void))
{
	struct timeval tv = { 5, 0 };	/* let the first pages go first */

	R.base = base;
	R.conf = c;
	R.published = published;
	R.worker = worker_new(base, "tm-report");
	R.timer = evtimer_new(base, check, NULL);
	read_last();
	evtimer_add(R.timer, &tv);
}

void
report_job_reconf(struct conf *c)
{
	R.conf = c;
}

void
report_job_stop(void)
{
	if (R.worker == NULL)
		return;
	event_free(R.timer);
	atomic_store(&stopping, 1);
	worker_free(R.worker);	/* what it finished is published */
	memset(&R, 0, sizeof(R));
	atomic_store(&stopping, 0);
}

json_t *
report_job_now(int year, int month, int mail)
{
	char key[16];

	if (R.worker == NULL)
		return json_pack("{s:b, s:s}", "ok", 0, "error",
		    "reports are not running");
	if (R.busy)
		return json_pack("{s:b, s:s}", "ok", 0, "error",
		    "a report is being built; try again in a minute");
	snprintf(key, sizeof(key), "%04d-%02d", year, month);
	submit(year, month, year, month, mail, 0);
	return json_pack("{s:b, s:s}", "ok", 1, "month", key);
}
