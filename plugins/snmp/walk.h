/*
 * net-snmp's single-session API on the daemon's libevent loop, and the
 * requests the snmp probe makes with it: a GET of a few scalars, a walk
 * of several table columns at once (GETBULK, or GETNEXT for SNMPv1), and
 * the SNMPv3 engineID discovery, done asynchronously (net-snmp's own
 * discovery blocks inside the first send).
 *
 * A session (struct sconn) is one UDP socket to one agent, with a read
 * event and a timer that drive snmp_sess_read2() and snmp_sess_timeout().
 * Nothing here ever blocks.  Walks call their `done` function exactly
 * once, never from inside the call that started them; cancelled walks
 * never call it.  A session may be closed at any time, also from inside
 * a `done` function: the close then waits for net-snmp to return.
 *
 * Include <net-snmp/net-snmp-config.h> and <net-snmp/net-snmp-includes.h>
 * first.
 */
#ifndef TRAMON_WALK_H
#define TRAMON_WALK_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct usm_conf;
struct sconn;
struct walk;

struct sconn_params {
	const char *peer;	/* "udp:198.18.1.2:161", "udp6:[::1]:161" */
	long version;		/* SNMP_VERSION_1, _2c or _3 */
	const char *community;	/* v1, v2c */
	double timeout;		/* s per try */
	int retries;
	const struct usm_conf *usm;	/* v3 */
	const unsigned char *engine_id;	/* v3: the agent's, known */
	size_t engine_id_len;
	int probe;		/* v3: only to discover the engineID */
};

/* NULL with `err` filled if net-snmp refuses (a bad address, no socket). */
struct sconn *sconn_open(struct event_base *, const struct sconn_params *,
    char *err, size_t errlen);
/* Close, now or as soon as net-snmp returns; walks still running on it
 * are freed without a call to `done`. */
void sconn_close(struct sconn *);
/* Close every session (at shutdown, with deferred closes pending). */
void sconn_close_all(void);

enum wstatus {
	W_OK,
	W_TIMEOUT,		/* no answer after the retries */
	W_AUTH,			/* report: usmStatsWrongDigests */
	W_UNKNOWN_USER,		/* report: usmStatsUnknownUserNames */
	W_UNKNOWN_ENGINE,	/* report: usmStatsUnknownEngineIDs */
	W_DECRYPT,		/* report: usmStatsDecryptionErrors */
	W_SEC_LEVEL,		/* report: usmStatsUnsupportedSecLevels */
	W_TIME_WINDOW,		/* report: usmStatsNotInTimeWindows */
	W_SECURITY,		/* another report or security failure */
	W_ERROR_STATUS,		/* an answer with an error-status */
	W_BAD_RESPONSE,		/* an answer that makes no sense */
	W_TOO_MANY_ROWS,
	W_SEND,			/* cannot send */
	W_NOMEM,
};

struct wresult {
	enum wstatus status;
	long errstat;		/* W_ERROR_STATUS: SNMP_ERR_* */
	int errindex;
	char detail[128];	/* what went wrong, for people */
	unsigned sent;		/* requests (retries not counted) */
	unsigned answered;
	double rtt;		/* s, of the first answer; NAN if none */
	int lib_error;		/* W_TIMEOUT: net-snmp's error, when it
				 * got answers but threw them away (v3:
				 * a stale time, a wrong engineID) */
	/* the engineID the agent gave (probe, W_UNKNOWN_ENGINE) */
	unsigned char engine_id[32];
	size_t engine_id_len;
};

/* A column (or, for a GET, a scalar). */
struct wcolumn {
	const oid *oid;
	size_t len;
};

/* A value: for a table, `col` is the column and `index` the OID after
 * the column's; for a GET, `col` is the position in the list and
 * `index` NULL.  Return 0, or -1 to stop the walk (W_TOO_MANY_ROWS). */
typedef int walk_var_fn(void *arg, int col, const oid *index,
    size_t index_len, const netsnmp_variable_list *vb);
typedef void walk_done_fn(void *arg, const struct wresult *);

struct walk *walk_get(struct sconn *, const struct wcolumn *, size_t n,
    walk_var_fn *, walk_done_fn *, void *arg);
/* Walk up to 16 columns together; `max_rows` per column at most. */
struct walk *walk_table(struct sconn *, const struct wcolumn *, size_t n,
    int max_repetitions, unsigned max_rows, walk_var_fn *, walk_done_fn *,
    void *arg);
/* SNMPv3: ask the agent for its engineID (a session opened with
 * `probe`).  W_OK with result.engine_id filled. */
struct walk *walk_probe(struct sconn *, walk_done_fn *, void *arg);
/* Stop a walk: `done` will not be called. */
void walk_cancel(struct walk *);

/* Text of a status, e.g. "timeout", "authentication failure". */
const char *walk_status_text(enum wstatus);

struct walk_counters {
	uint64_t requests;	/* PDUs sent */
	uint64_t retries;	/* of which sent again after a timeout */
	uint64_t answers;
	uint64_t varbinds;	/* in the answers (responses), all kept or
				 * not: the unit of the agent's work */
	uint64_t timeouts;
	uint64_t errors;	/* error-status answers, failed sends */
	uint64_t bad_varbinds;	/* dropped: wrong type, OID order */
	uint64_t bad_responses;	/* dropped: no progress, wrong PDU */
	uint64_t auth_failures;	/* security reports and failures */
	uint64_t late;		/* answers to requests given up on */
	uint64_t discoveries;	/* engineID probes */
	uint64_t wrong_source;	/* dropped: an answer's request-id, but
				 * not from the agent's address and port */
	uint64_t wrong_community; /* dropped: an answer's request-id, but
				 * another version or community */
	uint64_t parse_errors;	/* dropped: packets that do not parse */
};
extern struct walk_counters walk_stats;

/* Responses to no request in flight, dropped: net-snmp's own count (of
 * every session). */
uint64_t walk_lib_unmatched(void);

#endif /* TRAMON_WALK_H */
