/*
 * tramon probe plugin interface.
 *
 * A probe plugin is a shared module (libtool -module) installed in
 * daemon.plugin_dir as TYPE.so.  It exports one symbol,
 *
 *	const struct tm_probe_ops tramon_probe;
 *
 * whose `abi` must equal TM_PLUGIN_ABI.  The daemon loads every module at
 * start-up, calls init() once (before privileges are dropped, so a probe
 * may open raw sockets there), then configure() for each target of its
 * type and start() once per round.
 *
 * Rules of the house:
 *  - Everything runs on the daemon's libevent loop thread; a probe never
 *    blocks and never sleeps.
 *  - A probe measures and reports.  It writes no files, sends no mail and
 *    keeps no history: the core stores, alerts and renders.
 *  - configure() gets the target's settings; they (the tm_target_conf
 *    and every string in it) are valid only while configure() runs: a
 *    probe copies what it keeps.  A reload that leaves a target unchanged
 *    keeps the probe's private data and its running rounds as they are.
 */
#ifndef TRAMON_PLUGIN_H
#define TRAMON_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evdns_base;

/* Bump on any incompatible change to the structures below. */
#define TM_PLUGIN_ABI 1

/* What every target has, whatever its type (read-only for the probe). */
struct tm_target_conf {
	const char *id;       /* [a-z0-9][a-z0-9_-]*, unique */
	const char *name;     /* free UTF-8 */
	const char *host;     /* address or host name; NULL if not given */
	int port;             /* 0 if not given */
	double interval;      /* seconds between rounds */
	double timeout;       /* seconds to wait for each answer */
	unsigned count;       /* requests per round, spread over the round */
};

/* One round of one target.  Opaque; owned by the core. */
struct tm_round;

/* What a round found out. */
struct tm_result {
	unsigned sent;        /* requests sent this round */
	unsigned received;    /* good answers */
	const double *rtt;    /* `received` round-trip times (s), in send order */
	const char *error;    /* short reason when received == 0, else NULL */
	const double *values; /* one per tm_probe_ops.values entry, NAN = unknown */
};

/* Configuration access for configure().  Opaque; owned by the core. */
struct tm_cfg;

/* Services the core offers a probe.  Valid from init() to shutdown(). */
struct tm_host {
	unsigned abi;
	struct event_base *base;

	/* syslog priorities (LOG_ERR ... LOG_DEBUG); start each message with
	 * the probe and target, e.g. "ping: tra-linh: ..." */
	void (*log)(int priority, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

	/* Finish a round.  Exactly once per started round, never from inside
	 * start() or cancel(); the round is invalid afterwards. */
	void (*round_done)(struct tm_round *round, const struct tm_result *res);

	/* The daemon's asynchronous resolver (libevent evdns, from
	 * /etc/resolv.conf and /etc/hosts), shared by every probe and made
	 * on first use; NULL if it cannot be set up.  Use it with
	 * evdns_getaddrinfo(); never resolve names with a blocking call. */
	struct evdns_base *(*resolver)(void);

	/* Typed settings of the target being configured.  A dotted `path`
	 * ("snmp.community") is looked up in the target first, then in the
	 * config's `defaults`.  Each returns 1 if found and valid, 0 if
	 * absent, -1 after reporting an error with the setting's file:line.
	 * Strings are valid only until configure() returns: copy them. */
	int (*cfg_string)(struct tm_cfg *cfg, const char *path, const char **out);
	int (*cfg_int)(struct tm_cfg *cfg, const char *path, long *out,
	    long min, long max);
	int (*cfg_double)(struct tm_cfg *cfg, const char *path, double *out,
	    double min, double max);
	int (*cfg_bool)(struct tm_cfg *cfg, const char *path, int *out);
	/* a string, or an array/list of strings; *out is NULL-terminated */
	int (*cfg_strings)(struct tm_cfg *cfg, const char *path,
	    const char *const **out, size_t *n);
	/* Report an error at `path`'s file:line (the target's, if absent). */
	void (*cfg_error)(struct tm_cfg *cfg, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
	/* Check that the group at `path` holds only the `allowed` keys
	 * (NULL-terminated); reports each unknown one.  0 ok, -1 error. */
	int (*cfg_check_keys)(struct tm_cfg *cfg, const char *path,
	    const char *const *allowed);
};

/* An extra value a probe reports each round, stored as an RRD data
 * source of the target (GAUGE).  Names: [a-z_]{1,19}. */
struct tm_value_def {
	const char *name;
	double min, max;      /* NAN = unbounded */
};

/* Flags */
#define TM_PROBE_SMOKE 0x1    /* keep a latency distribution (smoke graph) */

struct tm_probe_ops {
	unsigned abi;                     /* TM_PLUGIN_ABI */
	const char *name;                 /* the target `type` it serves */
	unsigned flags;
	const char *const *keys;          /* extra target keys it accepts
	                                   * (NULL-terminated), or NULL */
	const struct tm_value_def *values; /* extra values, or NULL */
	size_t nvalues;

	/* Once after loading.  0 = ok, -1 = unusable (reason logged). */
	int (*init)(const struct tm_host *host);

	/* Validate a target's settings and return the probe's private data
	 * for it, or NULL after reporting errors through host->cfg_error.
	 * May run without init() (`tramond -n`): it must not open sockets,
	 * resolve names or otherwise touch the network. */
	void *(*configure)(const struct tm_host *host, struct tm_cfg *cfg,
	    const struct tm_target_conf *tc);

	/* Begin a round; finish it later with host->round_done(). */
	void (*start)(void *target, struct tm_round *round);

	/* Abandon a round: round_done() must not be called for it after. */
	void (*cancel)(void *target, struct tm_round *round);

	/* Free a target's private data; none of its rounds are running. */
	void (*release)(void *target);

	/* Report counters (dropped packets and the like) through `emit`. */
	void (*counters)(void (*emit)(void *arg, const char *name,
	    uint64_t value), void *arg);

	/* Once before unloading. */
	void (*shutdown)(void);
};

#endif /* TRAMON_PLUGIN_H */
