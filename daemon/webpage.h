/*
 * The HTML pages of the static web site, written into a growable
 * buffer: the overview (index.html), one page per target (t/ID.html),
 * one per instance of a target, such as a switch port (t/ID/PORT.html,
 * PORT made safe for a file name), the event list (events.html) and the
 * meetings (meetings.html).
 * Pure text production, no I/O: web.c gathers what the pages show
 * (uptime, which graphs exist) and writes the files.
 *
 * Every string that comes from the configuration or the network goes
 * through buf_html() (escaped, made valid UTF-8); links are relative, so
 * web_dir can be served under any prefix.
 */
#ifndef TRAMON_WEBPAGE_H
#define TRAMON_WEBPAGE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "graph.h"
#include "web.h"


/* Text or attribute value: & < > " ' escaped, invalid UTF-8 and control
 * characters replaced by U+FFFD. */
void buf_html(struct buf *, const char *);

/* One URL path component, percent-encoded (RFC 3986 unreserved kept). */
void buf_url(struct buf *, const char *);

/* A copy of `s` that is valid UTF-8 (invalid bytes become U+FFFD). */
char *utf8_clean(const char *s);

/* Which graphs of an instance (a port) exist. */
struct web_pinfo {
	time_t graph[GP_COUNT][GR_COUNT];   /* PNG mtime; 0 = no graph */
	time_t spark;                       /* the 1-day traffic sparkline */
};

/* What the renderer found out about a target, beside the snapshot. */
struct web_info {
	double uptime_24h, uptime_7d, uptime_30d; /* percent; NAN = no data */
	int jitter;                         /* jitter measured in 30 days:
	                                     * it gets jitter graphs; -1 =
	                                     * not read (a failed fetch, a
	                                     * stopped render) */
	time_t graph[GK_COUNT][GR_COUNT];   /* PNG mtime; 0 = no graph */
	time_t spark;                       /* likewise for the sparkline */
	struct web_pinfo *port;             /* one per instance (inst[]) */
};

/* The pages; `info` has one entry per snapshot target. */
void webpage_index(struct buf *, const struct web_snapshot *,
    const struct web_info *info);
void webpage_target(struct buf *, const struct web_snapshot *, size_t i,
    const struct web_info *info);
/* The page of instance `k` of target `i` (t/ID/PORT.html). */
void webpage_port(struct buf *, const struct web_snapshot *, size_t i,
    size_t k, const struct web_info *info);
/* events.html: the recent events under month headings, then links to
 * the months of the journal (newest first). */
void webpage_events(struct buf *, const struct web_snapshot *,
    const struct web_month *, size_t nmonths);

/* events-YYYY-MM.html: every event of that month; `s` carries them (its
 * events), the rest of it as for the other pages. */
void webpage_events_month(struct buf *, const struct web_snapshot *,
    const struct web_month *month, const struct web_month *, size_t nmonths);
/* meetings.html: each meeting, its next check, its last check's table. */
void webpage_meetings(struct buf *, const struct web_snapshot *);

/* reports/index.html: the months in web_dir/reports/, newest first. */
void webpage_reports(struct buf *, const struct web_snapshot *,
    const struct web_report *, size_t n);

#endif /* TRAMON_WEBPAGE_H */
