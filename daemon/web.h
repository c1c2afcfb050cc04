/*
 * The static web site in web_dir: index.html, t/ID.html, events.html,
 * meetings.html,
 * status.json, the graphs (PNG files in g/) and the stylesheet.  Rendered from a
 * snapshot of the monitor's state by a worker thread, never on the event
 * loop; every file is replaced atomically (write + rename).
 */
#ifndef TRAMON_WEB_H
#define TRAMON_WEB_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "state.h"
#include "stats.h"
#include "tramon/plugin.h"

struct event_base;
struct conf;

struct web_instance {
	char *name;
	char *label;              /* NULL if none */
	double *values;           /* the probe's nidefs values: gauges as
	                           * they are, counters per second */
	char *rrd;                /* its RRD file */
};

struct web_target {
	char *id, *name, *group, *type;
	char *host;               /* NULL if none */
	int port;                 /* 0 if none */
	int interval;             /* seconds */
	enum tstate state;
	time_t since;             /* 0 = never changed */
	time_t last_round;        /* 0 = no data yet */
	struct round_stats last;  /* statistics of the last round */
	char *why;                /* last failure / degradation, or NULL */
	char *parent_id;          /* NULL if none */
	int smoke;                /* has a latency distribution */
	char *rrd;                /* path of its RRD file */
	/* the probe's own values (a switch's uptime) and instances (its
	 * ports); definitions are the probe's, valid while it is loaded */
	const struct tm_value_def *vdefs;
	size_t nvalues;
	double *values;           /* gauges as they are, counters per second */
	const struct tm_value_def *idefs;
	size_t nidefs;
	struct web_instance *inst; /* as the last round reported them */
	size_t ninst;
	const char *instance_list; /* "interfaces": their name in JSON */
};

struct web_event {
	time_t at;
	char *target_id;          /* NULL for daemon events */
	char *target_name;
	char *event;              /* "state", "start", "stop", or what a
	                           * probe reported: "reboot", "port_down" */
	enum tstate from, to;     /* for "state" */
	char *instance;           /* the port concerned, or NULL */
	char *why;                /* NULL if none */
};

/* The journal line `ev` as the events pages show it, into *e (to
 * web_event_clear()); `name_of` gives a target id's name (NULL, or
 * returning NULL: the id).  0 if the pages do not show it. */
int web_event_from_journal(json_t *ev, const char *(*name_of)(const char *id,
    void *arg), void *arg, struct web_event *);
void web_event_clear(struct web_event *);

/* A scheduled meeting (meetings.html). */
struct web_meeting {
	char *name;
	int weekly, wday, start_min;  /* weekly: 0 = sunday, minutes */
	time_t from;                  /* one-off */
	int check_before, duration;   /* minutes */
	double max_loss_pct, max_rtt_ms, max_jitter_ms;
	time_t next_start, next_check; /* 0 = none ahead */
	int running;                  /* a check is probing now */
	json_t *last;                 /* the last check's journal event
	                               * (the renderer's own copy), or NULL */
};

struct web_snapshot {
	time_t generated;
	char *district;           /* daemon.name */
	int language;             /* LANG_VI | LANG_EN */
	char *web_dir;
	char *rrdcached;          /* "" = read files directly */
	int refresh;              /* daemon.web_refresh */
	struct web_target *targets;
	size_t ntargets;          /* in configuration order */
	struct web_event *events; /* newest first */
	size_t nevents;
	struct web_meeting *meetings; /* in configuration order */
	size_t nmeetings;
	char *state_dir;          /* for the journal's months */
	int reports_monthly;      /* reports.monthly */
	int reports_time;         /* reports.time, minutes after midnight */
};

/* A month of the journal: its events page, events-YYYY-MM.html. */
struct web_month {
	int year, month;
};

/* A month in web_dir/reports/: which of its files are there. */
enum { WR_HTML, WR_PDF, WR_CSV, WR_TEXT, WR_COUNT };
struct web_report {
	int year, month;
	off_t size[WR_COUNT];     /* bytes; -1 = no such file */
};

/* Start the renderer (its worker thread). `asset_dir` holds tramon.css. */
int web_open(struct event_base *, const char *asset_dir);

/* Render `snap` (ownership passes to the web module).  If a render is
 * already running, the newest waiting snapshot replaces older ones. */
void web_render(struct web_snapshot *snap);

/* Render what build(arg) returns: now, or when the render running ends
 * (the state then, not now).  Until then no snapshot is held: at 10,000
 * targets each is megabytes (issue 8). */
void web_refresh(struct web_snapshot *(*build)(void *), void *arg);

/* Renders finished so far (for tests and status). */
unsigned long web_renders(void);

void web_snapshot_free(struct web_snapshot *);

/* Stop the running render at its next graph or page (the one being
 * drawn at once), then the worker; every file it wrote is whole, the
 * others are the previous render's. */
void web_close(void);

/* Seconds one render draws target graphs for at most (the most overdue
 * first; the rest are the first of the next render): 60 % of
 * web_refresh, at most 2 minutes. */
double web_graph_budget(int web_refresh);

/*
 * status.json for a snapshot (malloc'd, NUL-terminated), also used by
 * the built-in HTTP server.  uptime_* figures are computed from the RRD
 * files, so this must not run on the event loop.
 */
char *web_status_json(const struct web_snapshot *);

#endif /* TRAMON_WEB_H */
