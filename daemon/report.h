/*
 * Monthly availability reports: the engine.
 *
 * Pure computation over the journal (and, separately, the RRD files):
 * no output, no loop.  report_build() replays state_dir/journal/ from
 * the month before (further back while a target's last state change is
 * not found, at most 24 months) to the month's end, plus the first day
 * of the next month (a DOWN decided after midnight may have begun
 * before it) and one line more (was tramond running on, or started
 * again after a crash?), and measures, per target and per group, every
 * second of the month as exactly one of
 *
 *   no data      tramond not running (a "stop" to the next "start"; after
 *                a crash, the last line before the "start"), the monitor
 *                cut off ("way_out" cut .. reconnected), or the target
 *                not monitored yet (before its first state change);
 *   maintenance  between the journal's "maintenance" start and end;
 *   down, unreachable
 *                in an outage: from its first failed round (the DOWN
 *                state change's streak_since) to its first answered one
 *                (the UP's streak_since); an outage that was ever down
 *                counts as down, one only unreachable as unreachable;
 *   up           everything else (degraded included).
 *
 * Availability = up / (monitored - maintenance), monitored = the period
 * without the no-data time.  The formatters (report_fmt.h) only print.
 */
#ifndef TRAMON_REPORT_H
#define TRAMON_REPORT_H

#include <stddef.h>
#include <stdatomic.h>
#include <time.h>

struct conf;

#define REPORT_ALIVE_S 300      /* tramond journals "alive" this often */
#define REPORT_HINT_S 120       /* a reboot this close to an outage explains it */

enum report_kind { RK_DOWN, RK_UNREACHABLE };

enum report_hint {
	RH_NONE,
	RH_REBOOT,              /* hint_target restarted: power? */
	RH_PORT_DOWN,           /* hint_target's port hint_instance went down */
};

struct report_outage {
	time_t start, end;      /* clipped to the period */
	time_t raw_start;       /* the first failed round */
	time_t raw_end;         /* the first answered round; 0 = still out */
	long duration;          /* end - start */
	long counted;           /* of it, down or unreachable time counted */
	long maintenance;       /* of it, in maintenance (not counted) */
	long nodata;            /* of it, no data (not counted) */
	long cut;               /* of the no data, the monitor cut off */
	enum report_kind kind;  /* the worst it was */
	char *via;              /* unreachable: the parent's id, or NULL */
	int acked;              /* "tramonctl ack" during it */
	enum report_hint hint;
	char *hint_target;      /* id of who rebooted, or whose port */
	char *hint_instance;    /* the port, for RH_PORT_DOWN */
	int continued;          /* began before the period */
	int ongoing;            /* went on past the period's end */
};

/* A stretch of the period that is neither up nor an outage. */
enum report_span_kind { RS_MAINTENANCE, RS_NODATA };

struct report_span {
	time_t start, end;      /* clipped to the period */
	enum report_span_kind kind;
};

struct report_figures {
	long period;            /* seconds in the period */
	long monitored;         /* period - nodata */
	long maintenance;
	long up;
	long down;
	long unreachable;
	long nodata;
	long nodata_cut;        /* of the no data, the monitor cut off */
	double availability;    /* percent; NAN if nothing was monitored */
	unsigned outages;       /* outages with counted time */
	long longest;           /* the longest outage's counted time */
	long mttr;              /* (down + unreachable) / outages; 0 = none */
	double latency_ms;      /* mean of the hourly median, NAN = unknown */
	double loss_pct;        /* mean of the hourly loss, NAN = unknown */
};

struct report_target {
	char *id;
	char *name;
	char *group;            /* "" = none */
	size_t group_idx;       /* into report.groups */
	struct report_figures f;
	struct report_outage *outages;  /* in time order */
	size_t noutages;        /* listed: counted, or hidden by a cut */
	struct report_span *spans;      /* maintenance, then no data; each
	                                 * kind disjoint and in time order */
	size_t nspans;
};

struct report_group {
	char *name;             /* "" = targets without a group */
	size_t ntargets;
	struct report_figures f;
};

struct report {
	int year, month;        /* 2026, 3 */
	time_t start, end;      /* local midnights in the time zone */
	time_t period_end;      /* end, or `now` for this month so far */
	int partial;            /* the month is not over yet */
	char *district;         /* daemon.name */
	char *timezone;
	int language;           /* LANG_VI | LANG_EN */
	double sla_pct;         /* reports.sla_pct */
	struct report_target *targets;  /* in configuration order */
	size_t ntargets;
	struct report_group *groups;    /* in order of first appearance */
	size_t ngroups;
	unsigned files;         /* journal files read */
	unsigned skipped;       /* unreadable journal lines skipped */
	/* Set (by another thread) while a document is made: the graphs
	 * still to draw are left out, and the document must be discarded.
	 * NULL: never. */
	const atomic_int *stop;
};

/* "2026-03" -> 2026, 3; 0 ok, -1 not a month. */
int report_parse_month(const char *, int *year, int *month);

/* The month holding `t`, in time zone `tz`; `delta` months later. */
void report_month_of(const char *tz, time_t t, int delta, int *year,
    int *month);

/* Local midnight of the 1st of year-month and of the next month in
 * `tz` (DST-correct).  0 ok, -1 out of range. */
int report_month_bounds(const char *tz, int year, int month, time_t *start,
    time_t *end);

/*
 * The report of year-month from conf->state_dir/journal/, for the targets
 * and groups of `conf`, as of `now` (a month not over yet ends at `now`).
 * Latency and loss are left unknown (NAN): see report_rrd().  NULL only
 * for a month out of range.
 */
struct report *report_build(const struct conf *, int year, int month,
    time_t now);

/* Fill in each target's average latency and loss over the month from
 * its RRD file (AVERAGE at 1 h); targets without one stay unknown.
 * 0 done, -1 ended by r->stop. */
int report_rrd(struct report *, const struct conf *);

void report_free(struct report *);


#endif /* TRAMON_REPORT_H */
