/*
 * The monthly report, built by tramond.
 *
 * On the 1st of a month at reports.time (local, daemon.timezone), last
 * month's report is built on a worker thread into
 * web_dir/reports/YYYY-MM.{html,csv,pdf,txt} (reports.formats), then
 * mailed through the outbox to reports.send_to: the summary in the body,
 * the PDF and the CSV attached (the HTML when neither is made).  The
 * journal gets a "report" event.
 *
 * state_dir/report.last holds the last month done ("2026-10").  A month
 * missed because the PC was off is built at the next start, up to
 * REPORT_CATCHUP months back; without the file (a new installation) only
 * last month is due, and a month with no monitored time at all is
 * skipped (logged), not published.  A power cut between the mail being
 * queued and report.last written sends that report once more.
 */
#ifndef TRAMON_REPORT_JOB_H
#define TRAMON_REPORT_JOB_H

#include <time.h>

#include <jansson.h>

struct conf;
struct event_base;

#define REPORT_CATCHUP 12

/*
 * Which months are due at `now` in time zone `tz`, the report time
 * `time_min` minutes after local midnight, the last month done
 * `done_year`-`done_month` (0, 0: none yet): from *y0-*m0 to *y1-*m1.
 * 1 if any, 0 if none.
 */
int report_due(const char *tz, time_t now, int time_min, int done_year,
    int done_month, int *y0, int *m0, int *y1, int *m1);

/* `published` is called on the loop after files were written (the
 * reports index can be redrawn). */
void report_job_start(struct event_base *, struct conf *,
    void (*published)(void));
void report_job_reconf(struct conf *);
/* A report being built stops at its next target (it is built again at
 * the next start); what was finished is published. */
void report_job_stop(void);

/*
 * Build and publish year-month now (this month: so far), mailing it if
 * `mail`; report.last is not changed.  For "tramonctl report --publish".
 * {"ok": true, "month"} (the work goes on in the background), or
 * {"ok": false, "error"}.
 */
json_t *report_job_now(int year, int month, int mail);

#endif /* TRAMON_REPORT_JOB_H */
