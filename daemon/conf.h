/*
 * Configuration: libconfig file -> validated struct conf.
 *
 * conf_load() reads and checks the whole file and reports every problem it
 * finds as "FILE:LINE: message" through the error callback; it returns a
 * conf only if there were none.  Reload builds a new conf and swaps it in;
 * tramond first pins the settings that only take effect at start-up (such
 * as state_dir) in the new one, and nothing changes a conf after that.
 */
#ifndef TRAMON_CONF_H
#define TRAMON_CONF_H

#include <stddef.h>
#include <time.h>

#include "tramon/plugin.h"

struct probe;

enum { LANG_VI, LANG_EN };

struct thresholds {
	double loss_pct;      /* > this: degraded; 0 = off */
	double rtt_ms;        /* median rtt > this: degraded; 0 = off */
	double jitter_ms;     /* jitter > this: degraded; 0 = off */
};

struct target_def {
	struct tm_target_conf pub;  /* id, name, host, port, interval, ... */
	char *group;
	char *type;
	char *parent_id;            /* NULL = none */
	int parent;                 /* index into conf.targets, -1 = none */
	int down_after;
	int up_after;
	struct thresholds degraded;
	char **notify;              /* contact ids, NULL-terminated */
	int repeat_minutes;
	const struct probe *probe;
	void *probe_conf;           /* from the probe's configure() */
	/* A meeting check probes the target faster, with probe data of
	 * its own (made only for targets a meeting names; else NULL). */
	struct tm_target_conf meet_pub;  /* strings are pub's */
	void *meet_conf;
	char *file;                 /* where the target was defined */
	int line;
	/* Digest of every setting, to tell on reload whether a target
	 * changed (and must restart its probe) or not. */
	unsigned long long digest;
};

struct contact {
	char *id;
	char *name;
	char **email;               /* NULL-terminated */
	char *webhook;              /* NULL = none */
};

enum starttls { STARTTLS_NONE, STARTTLS_TRY, STARTTLS_REQUIRED };

struct smtp_conf {
	int present;
	char *url;
	enum starttls starttls;
	char *username;
	char *password_file;
	char *from;
	char *ca_file;
	int timeout;
};

/* A maintenance window: fixed (from..to) or weekly (wday, minutes). */
struct maint_def {
	char **targets;             /* ids or "*", NULL-terminated */
	int weekly;
	time_t from, to;            /* fixed: local times converted to epoch */
	int wday;                   /* weekly: 0 = sunday */
	int start_min, end_min;     /* weekly: minutes after midnight */
	char *reason;
};

struct meeting_def {
	char *name;
	int weekly;
	time_t from;                /* one-off */
	int wday, start_min;        /* weekly */
	char **targets;
	int check_before;           /* minutes */
	char **notify;
	int duration;               /* minutes of probing at a raised rate */
	struct thresholds max;      /* above any of them: at risk */
};

/* Seconds between a meeting check's rounds of a target (at most). */
#define MEETING_INTERVAL_S 10

struct reports_conf {
	int monthly;
	int time_min;               /* minutes after local midnight */
	char **send_to;
	char **formats;
	double sla_pct;
};

struct conf {
	char *path;

	/* daemon = { ... } */
	char *name;
	char *base_url;
	char *state_dir;
	char *web_dir;
	char *plugin_dir;
	char *user;
	int language;
	char *timezone;
	int log_stderr;             /* log = "stderr" */
	int log_level;              /* LOG_DEBUG ... LOG_ERR */
	char *http_listen;          /* "" = off */
	char *rrdcached;            /* "" = direct */
	char *rrdcached_base;       /* its -b dir here (TCP only), or "" */
	char *rrdcached_dir;        /* ours under its -b when it is remote
	                             * (TCP, no rrdcached_base), or "" */
	int web_refresh;
	char *control_socket;
	int storm_after;            /* notices a minute before a storm; 0 = never */
	int storm_wait;             /* quiet seconds that end one */

	struct smtp_conf smtp;

	struct contact *contacts;
	size_t ncontacts;

	struct target_def *targets;
	size_t ntargets;

	struct maint_def *maintenance;
	size_t nmaintenance;

	struct meeting_def *meetings;
	size_t nmeetings;

	int reports_present;
	struct reports_conf reports;

	int holds;                  /* conf_hold()s not yet released */
};

/* Called once per problem with "FILE:LINE: message" (no newline). */
typedef void conf_error_fn(void *arg, const char *msg);

/*
 * Load and validate `path`.  Probe types are looked up with probe_find()
 * and their configure() is called, so the probes must be loaded first.
 * Returns NULL if anything was wrong, after reporting every problem.
 */
struct conf *conf_load(const char *path, conf_error_fn *err, void *arg);

/* A "HOST:PORT" rrdcached without rrdcached_base: its files are not
 * seen here (see rrdcached_dir in tramon.conf(5)). */
int conf_rrdcached_remote(const struct conf *);

/* Release a conf, including the probes' per-target data. */
/* Release a configuration: freed when no conf_hold() is left.  Both on
 * the loop thread: a worker's job holds the conf it reads, and releases
 * it in its completion (a reload meanwhile frees the old conf later). */
void conf_free(struct conf *);
struct conf *conf_hold(struct conf *);

/* daemon.base_url + "/" + path ("t/ID.html"), or NULL without a
 * base_url.  To free(). */
char *conf_url(const struct conf *, const char *path);

/*
 * The configuration services offered to probes (struct tm_host cfg_*),
 * valid while a probe's configure() runs inside conf_load().
 */
int conf_cfg_string(struct tm_cfg *, const char *path, const char **out);
int conf_cfg_int(struct tm_cfg *, const char *path, long *out, long min,
    long max);
int conf_cfg_double(struct tm_cfg *, const char *path, double *out,
    double min, double max);
int conf_cfg_bool(struct tm_cfg *, const char *path, int *out);
int conf_cfg_strings(struct tm_cfg *, const char *path,
    const char *const **out, size_t *n);
void conf_cfg_error(struct tm_cfg *, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int conf_cfg_check_keys(struct tm_cfg *, const char *path,
    const char *const *allowed);
int conf_cfg_ints(struct tm_cfg *, const char *path, const long **out,
    size_t *n, long min, long max);

/* Index of target `id`, or -1. */
int conf_target_index(const struct conf *, const char *id);

#endif /* TRAMON_CONF_H */
