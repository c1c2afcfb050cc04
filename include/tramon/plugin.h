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

/* Bump on any incompatible change to the structures below.
 * 2: instances (e.g. switch ports), counters, round events.
 * 3: libcurl transfers on the daemon's loop (curl_add...), results
 *    "answered, but degraded" (tm_result.degraded), cfg_ints. */
#define TM_PLUGIN_ABI 3

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

/*
 * An instance is a part of a target measured on its own, such as a port
 * of a switch.  Its name is stable (the core keeps its history in
 * rrd/ID/NAME.rrd, the name made safe for a file), its label free text.
 */
struct tm_instance {
	const char *name;     /* e.g. ifName "Gi1/0/24" */
	const char *label;    /* e.g. ifAlias "Uplink to Trà Linh", or NULL */
	const double *values; /* one per tm_probe_ops.ivalues entry */
};

/* What a round found out. */
struct tm_result {
	unsigned sent;        /* requests sent this round */
	unsigned received;    /* good answers */
	const double *rtt;    /* `received` round-trip times (s), in send order */
	const char *error;    /* short reason when received == 0, else NULL */
	const double *values; /* one per tm_probe_ops.values entry, NAN = unknown */
	const struct tm_instance *instances;
	size_t ninstances;
	/* The probe's own judgement of an answered round (received > 0):
	 * a short reason, e.g. "certificate expires in 9 days", makes the
	 * round count as over a `degraded` threshold; NULL if none. */
	const char *degraded;
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

	/* Something the round found that people must know of, journaled by
	 * the core: `kind` is a word ("reboot", "port_down"), `instance` the
	 * instance concerned or NULL, then a short English reason.  Call it
	 * before round_done(). */
	void (*round_event)(struct tm_round *round, const char *kind,
	    const char *instance, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

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
	/* an integer, or an array/list of integers, each in min..max;
	 * *out (n of them) is valid until configure() returns */
	int (*cfg_ints)(struct tm_cfg *cfg, const char *path,
	    const long **out, size_t *n, long min, long max);

	/*
	 * libcurl transfers on the daemon's loop, through its one multi
	 * handle (made on first use): `easy` is a CURL * (void * so that
	 * this header needs no curl.h).  The probe makes and sets up the
	 * easy handle; curl_add() sets CURLOPT_NOSIGNAL and owns
	 * CURLOPT_PRIVATE while the transfer runs.  Names are looked up by
	 * libcurl's threaded resolver, never on the loop.
	 *
	 * done() is called once, on the loop, after the transfer ended
	 * (never from inside curl_add(), even when the start itself
	 * fails), rc being its CURLcode.  The handle has already been taken
	 * out of the multi handle: the probe owns it again and cleans it
	 * up; it may start or remove other transfers from done().
	 */
	void (*curl_add)(void *easy, void (*done)(void *arg, void *easy,
	    int rc), void *arg);
	/* Abort a transfer curl_add() started: done() is not called; the
	 * probe frees the easy handle.  Unknown or finished handles are
	 * ignored.  Every transfer must be ended or removed by the time
	 * the probe's release() (for its target) and shutdown() return. */
	void (*curl_remove)(void *easy);
	/* Why a transfer failed at the transport level (connect, name
	 * lookup, TLS, timeout), in short printable ASCII, e.g.
	 * "connection refused (127.0.0.1 port 80)" or "certificate verify
	 * failed: SSL certificate problem: certificate has expired";
	 * `errbuf` is the handle's CURLOPT_ERRORBUFFER or NULL. */
	void (*curl_describe)(void *easy, int rc, const char *errbuf,
	    char *out, size_t len);
};

enum tm_value_kind {
	TM_GAUGE,             /* a level (a speed, a status): stored as is */
	TM_COUNTER,           /* what a counter grew by since the previous
	                       * round, wraps already undone by the probe;
	                       * NAN when unknown (the first round, a reset
	                       * such as a reboot).  The core stores it as a
	                       * rate per second and keeps a running total
	                       * for /metrics. */
};

/* A value a probe reports each round, stored as an RRD data source of
 * the target (or of each instance).  Names: [a-z_]{1,19}. */
struct tm_value_def {
	const char *name;
	double min, max;      /* NAN = unbounded */
	enum tm_value_kind kind;
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

	/* Instances (see struct tm_instance), or none (NULL, 0).  `kind`
	 * and `label` name them in /metrics: tramon_PROBE_KIND_VALUE
	 * {target="ID", LABEL="NAME"} (e.g. tramon_snmp_if_in_octets_total
	 * {ifname="Gi1/0/1"}); `list` names them in status.json. */
	const struct tm_value_def *ivalues;
	size_t nivalues;
	const char *instance_kind;        /* "if" */
	const char *instance_label;       /* "ifname" */
	const char *instance_list;        /* "interfaces" */

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
