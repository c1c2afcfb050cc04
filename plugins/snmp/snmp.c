/*
 * snmp: the SNMP probe.  Polls a switch (or any IF-MIB agent) once a
 * round over SNMP v1, v2c or v3 and reports its uptime and, for each
 * selected interface, what its traffic, error and discard counters grew
 * by, its states and its speed (the snmp contract: tramon.conf(5)).
 *
 * A round:
 *   R_ADDR    the agent's address: numeric from configure(), or a name
 *             resolved with the daemon's evdns (never getaddrinfo on the
 *             loop), again every RESOLVE_EVERY seconds;
 *   R_ENGINE  SNMPv3 only: the agent's engineID, from snmp.v3.engine_id
 *             or discovered (walk_probe(): asynchronous, where net-snmp's
 *             own discovery blocks) and kept;
 *   R_GET     sysUpTime, with sysDescr, sysObjectID and sysName the first
 *             time and after a restart; a restart is a "reboot" event;
 *   R_WALK    ifTable and ifXTable, walked at once (walk.c);
 *   R_DONE    the result is ready; round_done() on a zero timer, never
 *             from inside start() or cancel().
 * A timer bounds the round to just under the interval; a request that
 * times out (after the retries) ends it.  Rounds of a target do not
 * overlap: a round still running when the next starts is ended.
 *
 * One net-snmp session per target is kept from round to round (for v3
 * with the agent's engineID, boots and time); it is opened again when
 * the address or the engineID changes.  The engineID is asked for again
 * after a restart of the agent, after a v3 timeout, and at once in the
 * round when the agent reports it does not know ours or net-snmp threw
 * its answers away (a new engineID; or a clock behind ours, from an
 * agent that restarted without counting engineBoots up: forgotten).
 *
 * Counters (ifmib.c): NAN on a port's first round, after a restart, after
 * a failed round (the core turns increases into rates over the time
 * between rounds), and on any discontinuity.  A round counts as answered
 * only when the GET and both walks completed; `sent` and `received` are
 * requests, and each of the `received` round-trip times is the first
 * GET's (the agent's response time; the walks' vary with their size).
 *
 * Counters of the probe: snmp_requests, snmp_retries (sent again after a
 * timeout or a notInTimeWindow report), snmp_answers, snmp_varbinds (in
 * the answers, the GETBULK overshoot past a column's end included),
 * snmp_timeouts, snmp_errors, snmp_bad_varbinds, snmp_bad_responses,
 * snmp_auth_failures, snmp_late, snmp_discoveries, snmp_reboots,
 * snmp_dns_failures; and what was dropped as forged or stray (walk.c):
 * snmp_wrong_source, snmp_wrong_community (an answer's request-id, but
 * not from the agent's address and port, or not in the request's
 * version and community), snmp_unmatched (a response to no request in
 * flight, net-snmp's own statistic) and snmp_parse_errors (packets that
 * do not parse).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <netinet/in.h>

#include <dlfcn.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "tramon/plugin.h"
#include "ifmib.h"
#include "usm.h"
#include "walk.h"

#define MAX_ROWS	10000		/* interfaces of one agent */
#define MAX_TIMEOUT	60.0		/* s per request */
#define NS		1000000000LL
#define RESOLVE_EVERY	(600 * NS)	/* a name is resolved again */
#define RESOLVE_RETRY	(60 * NS)	/* after a failure */
#define LOG_AGAIN	(3600 * NS)	/* "still failing" */
#define LIB_LOG_BURST	30		/* net-snmp messages a minute */

enum rstate { R_ADDR, R_ENGINE, R_GET, R_WALK, R_DONE };

struct starget;

struct sround {
	struct starget *t;
	struct tm_round *tm;
	struct sround *next;
	struct event *ev;	/* the deadline; once R_DONE, the report */
	enum rstate state;
	int64_t t0;
	struct walk *get, *wif, *wifx;
	enum ifm_col xcol[IFC_COUNT - IFC_FIRST_X];	/* ifXTable walked */
	int wif_ok, wifx_ok;
	int engine_retried;	/* rediscovered once this round */
	int ok;			/* complete */
	unsigned sent, answered;
	double rtt;		/* of the first GET */
	int have_uptime;
	uint32_t uptime;
	int rebooted;
	int sysinfo;		/* the GET asked for sysDescr and co */
	char *descr, *name, *objid;
	struct ifm_table tab;
	struct ifm_out *out;
	long nout;
	char error[256];
};

struct starget {
	char *id;
	char *host;		/* as configured */
	int port;
	long version;		/* SNMP_VERSION_* */
	char *community;
	double timeout, interval;
	int retries, max_rep;
	struct ifm_select sel;
	unsigned char *unmatched_logged;
	struct usm_conf usm;

	/* the address */
	int numeric, have_addr;
	char peer[128];		/* for net-snmp: "udp:198.18.1.2:161" */
	char where[384];	/* for people: "198.18.1.2 port 161" */
	struct evdns_getaddrinfo_request *dns_req;
	int resolving;
	int64_t resolve_due_ns;
	char dns_error[160];

	struct sconn *conn;

	/* SNMPv3: the agent's engineID */
	unsigned char eid[USM_ENGINE_ID_MAX];
	size_t eid_len;
	int eid_known, eid_configured;
	int check_engine;	/* discover again before the next GET */
	struct sconn *pconn;	/* the discovery's session */
	struct walk *probe;
	char engine_error[256];

	/* the agent */
	int have_uptime;
	uint32_t uptime;
	int64_t uptime_ns;
	int need_sysinfo;
	char *sys_descr, *sys_name, *sys_objid;
	int baseline;		/* the last round was complete */
	int64_t baseline_ns;
	struct ifm_state ports;
	int no_ifx_logged;

	/* the log */
	unsigned failures;
	char last_error[256];
	int64_t last_log_ns;

	struct sround *rounds;
};

static const struct tm_host *host;
static int lib_up;		/* init_snmp() ran */
static struct {
	uint64_t reboots;
	uint64_t dns_failures;
} stats;
static int64_t lib_log_minute;
static unsigned lib_log_count;

static void proceed(struct sround *);
static void send_get(struct sround *);

static const char *const probe_keys[] = { "snmp", NULL };
static const char *const snmp_keys[] = { "version", "community", "port",
	"retries", "max_repetitions", "interfaces", "v3", NULL };
static const char *const v3_keys[] = { "user", "level", "auth_protocol",
	"auth_pass", "priv_protocol", "priv_pass", "engine_id", "context",
	NULL };

static const struct tm_value_def tvalues[] = {
	{ "uptime", 0, NAN, TM_GAUGE },
};

static const struct tm_value_def ivalues[IFM_NVALUES] = {
	[IFV_IN_OCTETS] = { "in_octets", 0, NAN, TM_COUNTER },
	[IFV_OUT_OCTETS] = { "out_octets", 0, NAN, TM_COUNTER },
	[IFV_IN_ERRORS] = { "in_errors", 0, NAN, TM_COUNTER },
	[IFV_OUT_ERRORS] = { "out_errors", 0, NAN, TM_COUNTER },
	[IFV_IN_DISCARDS] = { "in_discards", 0, NAN, TM_COUNTER },
	[IFV_OUT_DISCARDS] = { "out_discards", 0, NAN, TM_COUNTER },
	[IFV_OPER_UP] = { "oper_up", 0, 1, TM_GAUGE },
	[IFV_ADMIN_UP] = { "admin_up", 0, 1, TM_GAUGE },
	[IFV_SPEED] = { "speed", 0, NAN, TM_GAUGE },
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static struct timeval
tv_of_ns(int64_t ns)
{
	struct timeval tv;

	if (ns < 0)
		ns = 0;
	tv.tv_sec = (time_t)(ns / NS);
	tv.tv_usec = (suseconds_t)(ns % NS / 1000);
	return tv;
}

/* --- the log ----------------------------------------------------------- */

/* What to check, after the first failure of a kind. */
static const char *
hint(const struct starget *t, const char *error, char *buf, size_t len)
{
	if (strcmp(error, "timeout (engine ID discovery)") == 0)
		return "; check that the agent runs at that address and port "
		    "and speaks SNMPv3";
	if (strcmp(error, "timeout") == 0) {
		if (t->version != SNMP_VERSION_3)
			return "; check that the agent runs at that address "
			    "and port and that snmp.community is one it "
			    "accepts (agents ignore a wrong community)";
		if (t->usm.level == SNMP_SEC_LEVEL_AUTHPRIV)
			return "; check that the agent runs at that address "
			    "and port, and snmp.v3.priv_pass and "
			    "priv_protocol (agents ignore what they cannot "
			    "decrypt)";
		return "; check that the agent runs at that address and "
		    "port";
	}
	if (strcmp(error, "authentication failure") == 0)
		return "; check snmp.v3.auth_pass and auth_protocol";
	if (strcmp(error, "unknown user") == 0) {
		snprintf(buf, len, "; the agent has no user \"%s\": check "
		    "snmp.v3.user", t->usm.user);
		return buf;
	}
	if (strcmp(error, "decryption error") == 0)
		return "; check snmp.v3.priv_pass and priv_protocol";
	if (strcmp(error, "unsupported security level") == 0)
		return "; check snmp.v3.level against the user's on the agent";
	if (strncmp(error, "walk incomplete", 15) == 0)
		return "; the agent answers too slowly or stopped answering: "
		    "a longer interval or timeout, or a smaller "
		    "snmp.max_repetitions may help";
	return "";
}

static void
log_failure(struct starget *t, const char *error)
{
	int64_t now = mono_ns();
	char buf[128];

	t->failures++;
	if (t->failures == 1 || strcmp(error, t->last_error) != 0) {
		host->log(LOG_WARNING, "snmp: %s: %s (agent %s)%s", t->id,
		    error, t->where, hint(t, error, buf, sizeof(buf)));
		snprintf(t->last_error, sizeof(t->last_error), "%s", error);
		t->last_log_ns = now;
	} else if (now - t->last_log_ns >= LOG_AGAIN) {
		host->log(LOG_INFO, "snmp: %s: still failing after %u rounds: "
		    "%s (agent %s)", t->id, t->failures, error, t->where);
		t->last_log_ns = now;
	} else
		host->log(LOG_DEBUG, "snmp: %s: %s", t->id, error);
}

/* net-snmp's own messages, through ours, a few a minute at most. */
static int
lib_log(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;
	int64_t minute = mono_ns() / (60 * NS);
	char msg[256];
	size_t n;

	if (m == NULL || m->msg == NULL || host == NULL)
		return 0;
	if (minute != lib_log_minute) {
		if (lib_log_count > LIB_LOG_BURST)
			host->log(LOG_INFO, "snmp: net-snmp: %u messages "
			    "suppressed", lib_log_count - LIB_LOG_BURST);
		lib_log_minute = minute;
		lib_log_count = 0;
	}
	if (++lib_log_count > LIB_LOG_BURST)
		return 0;
	snprintf(msg, sizeof(msg), "%s", m->msg);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (n > 0)
		host->log(m->priority, "snmp: net-snmp: %s", msg);
	return 0;
}

/* --- rounds: the end --------------------------------------------------- */

static void
round_stop(struct sround *r)
{
	walk_cancel(r->get);
	walk_cancel(r->wif);
	walk_cancel(r->wifx);
	r->get = r->wif = r->wifx = NULL;
}

static void
round_unlink(struct sround *r)
{
	for (struct sround **pp = &r->t->rounds; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
}

/* Touches nothing of the target: it may be gone (round_done). */
static void
round_free(struct sround *r)
{
	round_stop(r);
	event_free(r->ev);
	ifm_table_free(&r->tab);
	free(r->out);
	free(r->descr);
	free(r->name);
	free(r->objid);
	free(r);
}

static void
round_ready(struct sround *r)
{
	static const struct timeval zero = { 0, 0 };

	r->state = R_DONE;
	evtimer_add(r->ev, &zero);
}

static void __attribute__((format(printf, 2, 3)))
round_fail(struct sround *r, const char *fmt, ...)
{
	va_list ap;

	if (r->state == R_DONE)
		return;
	round_stop(r);
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->ok = 0;
	r->t->baseline = 0;	/* the next round's increases would span
				 * two rounds */
	log_failure(r->t, r->error);
	round_ready(r);
}

static void
report(struct sround *r)
{
	struct tm_round *tm = r->tm;
	struct tm_instance *inst = NULL;
	struct tm_result res;
	double value, *rtt = NULL;

	memset(&res, 0, sizeof(res));
	value = r->have_uptime ? r->uptime / 100.0 : NAN;
	res.values = &value;
	res.sent = r->sent > 0 ? r->sent : 1;
	if (r->ok) {
		/* the core reads `received` round-trip times: each is the
		 * first GET's (the agent's response time) */
		res.received = r->answered > 0 ? r->answered : 1;
		if ((rtt = malloc(res.received * sizeof(*rtt))) == NULL ||
		    (r->nout > 0 && (inst = calloc((size_t)r->nout,
		    sizeof(*inst))) == NULL)) {
			free(rtt);
			rtt = NULL;
			r->ok = 0;
			snprintf(r->error, sizeof(r->error), "out of memory");
		}
	}
	if (r->ok) {
		for (unsigned i = 0; i < res.received; i++)
			rtt[i] = isnan(r->rtt) ? 0 : r->rtt;
		for (long i = 0; i < r->nout; i++) {
			inst[i].name = r->out[i].name;
			inst[i].label = r->out[i].label;
			inst[i].values = r->out[i].values;
		}
		res.rtt = rtt;
		res.instances = inst;
		res.ninstances = (size_t)r->nout;
	} else {
		res.received = 0;
		res.error = r->error[0] ? r->error : "timeout";
	}
	/* off the target first: round_done() may start, cancel or
	 * release */
	round_unlink(r);
	host->round_done(tm, &res);
	free(rtt);
	free(inst);
	round_free(r);
}

static void
round_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sround *r = arg;

	switch (r->state) {
	case R_DONE:
		report(r);
		return;
	case R_ADDR:
		round_fail(r, "cannot resolve %s: no answer in time",
		    r->t->host);
		return;
	case R_ENGINE:
	case R_GET:
		round_fail(r, "timeout");
		return;
	case R_WALK:
		round_fail(r, "walk incomplete: timeout after %zu rows",
		    r->tab.n);
		return;
	}
}

/* --- rounds: the interface tables -------------------------------------- */

static void
port_event(void *arg, const char *kind, const char *port, const char *reason)
{
	struct sround *r = arg;

	host->round_event(r->tm, kind, port, "%s", reason);
}

static void
log_selection(struct starget *t, const struct ifm_table *tab)
{
	unsigned char *seen = t->unmatched_logged;
	size_t i = 0;
	int k;

	if (seen == NULL)
		return;
	for (;; i = (size_t)k + 1) {
		k = ifm_unmatched(&t->sel, tab, i);
		for (size_t j = i; j < (k < 0 ? t->sel.nnames : (size_t)k); j++)
			seen[j] = 0;	/* matched again */
		if (k < 0)
			break;
		if (!seen[k])
			host->log(LOG_WARNING, "snmp: %s: interfaces: \"%s\" "
			    "is no ifName, ifDescr or ifAlias of the agent",
			    t->id, t->sel.names[k]);
		seen[k] = 1;
	}
}

static void
complete(struct sround *r)
{
	struct starget *t = r->t;
	int64_t now = mono_ns();
	double elapsed;
	int reset, named = 0;

	reset = !t->baseline || r->rebooted;
	elapsed = t->baseline ? (double)(now - t->baseline_ns) / NS : 0;
	if ((r->out = calloc(r->tab.n + 1, sizeof(*r->out))) == NULL) {
		round_fail(r, "out of memory");
		return;
	}
	r->nout = ifm_update(&t->ports, &r->tab, &t->sel, reset, elapsed,
	    port_event, r, r->out);
	if (r->nout < 0) {
		r->nout = 0;
		round_fail(r, "out of memory");
		return;
	}
	log_selection(t, &r->tab);
	for (size_t i = 0; i < r->tab.n && !named; i++)
		named = (r->tab.rows[i].have >> IFC_NAME) & 1;
	if (!named && r->tab.n > 0 && !t->no_ifx_logged) {
		host->log(LOG_INFO, "snmp: %s: the agent has no ifXTable: "
		    "32-bit counters, ports named by ifDescr", t->id);
		t->no_ifx_logged = 1;
	}
	if (t->failures > 0) {
		host->log(LOG_INFO, "snmp: %s: answering again after %u "
		    "failed round(s)", t->id, t->failures);
		t->failures = 0;
		t->last_error[0] = '\0';
	}
	t->baseline = 1;
	t->baseline_ns = now;
	r->ok = 1;
	host->log(LOG_DEBUG, "snmp: %s: %zu interfaces, %ld reported, %u "
	    "requests", t->id, r->tab.n, r->nout, r->sent);
	round_ready(r);
}

/* The end of a request that went wrong. */
static void
request_failed(struct sround *r, const struct wresult *res)
{
	struct starget *t = r->t;
	char a[2 * USM_ENGINE_ID_MAX + 3], b[2 * USM_ENGINE_ID_MAX + 3];

	switch (res->status) {
	case W_TIMEOUT:
		if (t->version == SNMP_VERSION_3 && res->lib_error != 0 &&
		    r->state == R_GET && !r->engine_retried) {
			/* answers came and net-snmp threw them away: the
			 * agent has a new engineID, or our idea of its time
			 * is stale (it restarted without counting
			 * engineBoots up).  Ask it again (probe_done()
			 * forgets the time), then the GET again. */
			r->engine_retried = 1;
			usm_forget_time(t->eid, t->eid_len);
			t->check_engine = 1;
			r->state = R_ADDR;
			proceed(r);
			return;
		}
		if (t->version == SNMP_VERSION_3)
			t->check_engine = 1;	/* a new engineID? */
		if (r->state == R_WALK)
			round_fail(r, "walk incomplete: timeout after %zu rows",
			    r->tab.n);
		else
			round_fail(r, "timeout");
		return;
	case W_UNKNOWN_ENGINE:
		if (!t->eid_configured && !r->engine_retried) {
			/* the agent has a new engineID: find it out now */
			round_stop(r);
			r->engine_retried = 1;
			t->eid_known = 0;
			sconn_close(t->conn);
			t->conn = NULL;
			r->state = R_ADDR;
			proceed(r);
			return;
		}
		usm_format_engine_id(res->engine_id, res->engine_id_len, a,
		    sizeof(a));
		usm_format_engine_id(t->eid, t->eid_len, b, sizeof(b));
		t->check_engine = 1;
		round_fail(r, "unknown engine ID: the agent's is %s, not %s",
		    a, b);
		return;
	case W_AUTH:
	case W_UNKNOWN_USER:
	case W_DECRYPT:
	case W_SEC_LEVEL:
	case W_TIME_WINDOW:
		round_fail(r, "%s", walk_status_text(res->status));
		return;
	case W_ERROR_STATUS:
		if (res->errstat == SNMP_ERR_NOSUCHNAME)
			round_fail(r, "no such name");
		else
			round_fail(r, "agent error: %s", res->detail);
		return;
	case W_TOO_MANY_ROWS:
		round_fail(r, "walk incomplete: more than %d interfaces",
		    MAX_ROWS);
		return;
	default:
		round_fail(r, "%s%s%s", walk_status_text(res->status),
		    res->detail[0] ? ": " : "", res->detail);
		return;
	}
}

static void
walked(struct sround *r, const struct wresult *res, int ifx)
{
	r->sent += res->sent;
	r->answered += res->answered;
	if (res->status != W_OK) {
		/* an agent that refuses ifXTable (genErr and the like, as
		 * old v1 agents do) has none: 32-bit counters it is */
		if (ifx && res->status == W_ERROR_STATUS) {
			host->log(LOG_DEBUG, "snmp: %s: ifXTable: %s", r->t->id,
			    res->detail);
			r->wifx_ok = 1;
		} else {
			request_failed(r, res);
			return;
		}
	} else if (res->detail[0])
		host->log(LOG_DEBUG, "snmp: %s: %s: %s", r->t->id, ifx ?
		    "ifXTable" : "ifTable", res->detail);
	if (ifx)
		r->wifx_ok = 1;
	else
		r->wif_ok = 1;
	if (r->wif_ok && r->wifx_ok)
		complete(r);
}

static void
wif_done(void *arg, const struct wresult *res)
{
	struct sround *r = arg;

	r->wif = NULL;
	walked(r, res, 0);
}

static void
wifx_done(void *arg, const struct wresult *res)
{
	struct sround *r = arg;

	r->wifx = NULL;
	walked(r, res, 1);
}

static int
put_value(struct sround *r, enum ifm_col col, const oid *index, size_t len,
    const netsnmp_variable_list *vb)
{
	switch (ifm_table_put(&r->tab, col, index, len, vb, MAX_ROWS)) {
	case -2:
		return -1;	/* stop: too many rows */
	case -1:
		walk_stats.bad_varbinds++;
		return 0;
	default:
		return 0;
	}
}

static int
if_var(void *arg, int col, const oid *index, size_t len,
    const netsnmp_variable_list *vb)
{
	return put_value(arg, (enum ifm_col)col, index, len, vb);
}

static int
ifx_var(void *arg, int col, const oid *index, size_t len,
    const netsnmp_variable_list *vb)
{
	struct sround *r = arg;

	return put_value(arg, r->xcol[col], index, len, vb);
}

static void
start_walks(struct sround *r)
{
	struct starget *t = r->t;
	struct wcolumn cols[IFC_COUNT];
	size_t nx = 0;

	for (int c = 0; c < IFC_COUNT; c++) {
		cols[c].oid = ifm_columns[c].oid;
		cols[c].len = ifm_columns[c].len;
	}
	/* SNMPv1 cannot carry a Counter64: an agent skips those columns in
	 * GETNEXT, so asking costs a walk per round trip for nothing. */
	for (int c = IFC_FIRST_X; c < IFC_COUNT; c++) {
		if (t->version == SNMP_VERSION_1 && (c == IFC_HC_IN_OCTETS ||
		    c == IFC_HC_OUT_OCTETS))
			continue;
		cols[IFC_FIRST_X + nx] = cols[c];
		r->xcol[nx++] = (enum ifm_col)c;
	}
	r->state = R_WALK;
	r->wif = walk_table(t->conn, cols, IFC_FIRST_X, t->max_rep, MAX_ROWS,
	    if_var, wif_done, r);
	r->wifx = walk_table(t->conn, cols + IFC_FIRST_X, nx, t->max_rep,
	    MAX_ROWS, ifx_var, wifx_done, r);
	if (r->wif == NULL || r->wifx == NULL)
		round_fail(r, "out of memory");
}

/* --- rounds: the GET of the system group ------------------------------- */

enum { G_UPTIME, G_DESCR, G_OBJID, G_NAME, G_COUNT };

static char *
clean_string(const netsnmp_variable_list *vb, size_t max, int first_line)
{
	char *s = malloc(max + 1);

	if (s != NULL)
		ifm_clean(vb->val.string, vb->val_len, s, max, first_line);
	return s;
}

static int
get_var(void *arg, int col, const oid *index, size_t len,
    const netsnmp_variable_list *vb)
{
	struct sround *r = arg;
	char buf[256];

	switch (col) {
	case G_UPTIME:
		if (vb->type != ASN_TIMETICKS)
			break;
		r->uptime = (uint32_t)*vb->val.integer;
		r->have_uptime = 1;
		return 0;
	case G_DESCR:
		if (vb->type != ASN_OCTET_STR || r->descr != NULL)
			break;
		r->descr = clean_string(vb, 160, 1);
		return 0;
	case G_NAME:
		if (vb->type != ASN_OCTET_STR || r->name != NULL)
			break;
		r->name = clean_string(vb, IFM_NAME_MAX, 1);
		return 0;
	case G_OBJID:
		if (vb->type != ASN_OBJECT_ID || r->objid != NULL ||
		    vb->val.objid == NULL)
			break;
		snprint_objid(buf, sizeof(buf), vb->val.objid,
		    vb->val_len / sizeof(oid));
		r->objid = strdup(buf);
		return 0;
	}
	if (vb->type != SNMP_NOSUCHOBJECT && vb->type != SNMP_NOSUCHINSTANCE)
		walk_stats.bad_varbinds++;
	return 0;
}

static int
differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* Keep what the agent says it is, and say so when it is news. */
static void
sysinfo(struct sround *r)
{
	struct starget *t = r->t;
	int first = t->sys_descr == NULL && t->sys_name == NULL;

	if (!differs(r->descr, t->sys_descr) && !differs(r->name, t->sys_name)
	    && !differs(r->objid, t->sys_objid))
		return;
	host->log(LOG_INFO, "snmp: %s: %s%s (sysName %s, sysObjectID %s)",
	    t->id, first ? "" : "now ", r->descr && r->descr[0] ? r->descr :
	    "no sysDescr", r->name && r->name[0] ? r->name : "none",
	    r->objid ? r->objid : "none");
	free(t->sys_descr);
	free(t->sys_name);
	free(t->sys_objid);
	t->sys_descr = r->descr;
	t->sys_name = r->name;
	t->sys_objid = r->objid;
	r->descr = r->name = r->objid = NULL;
}

static void
check_uptime(struct sround *r)
{
	struct starget *t = r->t;
	int64_t now = mono_ns();
	char a[32], b[32], c[32];
	double elapsed;

	if (t->have_uptime) {
		elapsed = (double)(now - t->uptime_ns) / NS;
		switch (ifm_uptime_check(t->uptime, r->uptime, elapsed)) {
		case IFM_UPTIME_REBOOT:
			ifm_format_ticks(t->uptime, a, sizeof(a));
			ifm_format_ticks(r->uptime, b, sizeof(b));
			if (r->uptime < t->uptime)
				host->round_event(r->tm, "reboot", NULL,
				    "sysUpTime went back from %s to %s", a, b);
			else {
				ifm_format_ticks((uint32_t)(elapsed * 100), c,
				    sizeof(c));
				host->round_event(r->tm, "reboot", NULL,
				    "sysUpTime %s, but the last poll was %s "
				    "ago", b, c);
			}
			stats.reboots++;
			r->rebooted = 1;
			t->need_sysinfo = 1;
			if (t->version == SNMP_VERSION_3 && !t->eid_configured)
				t->check_engine = 1;
			break;
		case IFM_UPTIME_WRAP:
			host->log(LOG_INFO, "snmp: %s: sysUpTime wrapped (497 "
			    "days)", t->id);
			break;
		case IFM_UPTIME_OK:
			break;
		}
	}
	t->have_uptime = 1;
	t->uptime = r->uptime;
	t->uptime_ns = now;
}

static void
get_done(void *arg, const struct wresult *res)
{
	struct sround *r = arg;
	struct starget *t = r->t;

	r->get = NULL;
	r->sent += res->sent;
	r->answered += res->answered;
	r->rtt = res->rtt;
	if (res->status != W_OK) {
		request_failed(r, res);
		return;
	}
	if (!r->have_uptime) {
		round_fail(r, "no such name (sysUpTime)");
		return;
	}
	check_uptime(r);
	if (r->sysinfo) {	/* after a restart too: it is the new one */
		sysinfo(r);
		t->need_sysinfo = 0;
	}
	start_walks(r);
}

static int
open_conn(struct starget *t, char *err, size_t errlen)
{
	struct sconn_params p;

	memset(&p, 0, sizeof(p));
	p.peer = t->peer;
	p.version = t->version;
	p.community = t->community;
	p.timeout = t->timeout;
	p.retries = t->retries;
	p.usm = &t->usm;
	p.engine_id = t->eid;
	p.engine_id_len = t->eid_len;
	t->conn = sconn_open(host->base, &p, err, errlen);
	return t->conn ? 0 : -1;
}

static void
send_get(struct sround *r)
{
	struct starget *t = r->t;
	static const oid *const oids[G_COUNT] = {
		[G_UPTIME] = ifm_sys_uptime, [G_DESCR] = ifm_sys_descr,
		[G_OBJID] = ifm_sys_object_id, [G_NAME] = ifm_sys_name,
	};
	struct wcolumn cols[G_COUNT];
	char err[160];
	size_t n;

	if (t->conn == NULL && open_conn(t, err, sizeof(err)) == -1) {
		round_fail(r, "cannot open a session: %s", err);
		return;
	}
	r->sysinfo = t->need_sysinfo;
	n = r->sysinfo ? G_COUNT : 1;
	for (size_t i = 0; i < n; i++) {
		cols[i].oid = oids[i];
		cols[i].len = IFM_SYS_LEN;
	}
	r->state = R_GET;
	if ((r->get = walk_get(t->conn, cols, n, get_var, get_done, r)) ==
	    NULL)
		round_fail(r, "out of memory");
}

/* --- SNMPv3: the agent's engineID -------------------------------------- */

/* Rounds that waited for the engineID go on, or fail. */
static void
engine_ready(struct starget *t)
{
	for (struct sround *r = t->rounds; r != NULL; r = r->next) {
		if (r->state != R_ENGINE)
			continue;
		if (t->eid_known && t->engine_error[0] == '\0')
			send_get(r);
		else
			round_fail(r, "%s", t->engine_error[0] ?
			    t->engine_error : "unknown engine ID");
	}
}

static void
probe_done(void *arg, const struct wresult *res)
{
	struct starget *t = arg;
	char a[2 * USM_ENGINE_ID_MAX + 3], b[2 * USM_ENGINE_ID_MAX + 3];
	int same;

	t->probe = NULL;
	sconn_close(t->pconn);	/* waits for net-snmp to return */
	t->pconn = NULL;
	t->check_engine = 0;
	t->engine_error[0] = '\0';
	if (res->status != W_OK) {
		snprintf(t->engine_error, sizeof(t->engine_error), "%s "
		    "(engine ID discovery)%s%s", walk_status_text(res->status),
		    res->detail[0] ? ": " : "", res->detail);
		if (res->status == W_TIMEOUT)
			t->check_engine = t->eid_known;
		engine_ready(t);
		return;
	}
	usm_format_engine_id(res->engine_id, res->engine_id_len, a, sizeof(a));
	usm_format_engine_id(t->eid, t->eid_len, b, sizeof(b));
	same = t->eid_len == res->engine_id_len &&
	    memcmp(t->eid, res->engine_id, t->eid_len) == 0;
	if (same)	/* alive: its time may be what is stale */
		usm_forget_time(t->eid, t->eid_len);
	if (t->eid_configured) {
		if (!same) {
			snprintf(t->engine_error, sizeof(t->engine_error),
			    "engine ID mismatch: the agent's is %s, "
			    "snmp.v3.engine_id says %s", a, b);
			t->check_engine = 1;	/* send it nothing */
		}
	} else if (!t->eid_known || !same) {
		host->log(LOG_INFO, "snmp: %s: engineID %s%s%s", t->id, a,
		    t->eid_known ? ", was " : " (discovered)",
		    t->eid_known ? b : "");
		memcpy(t->eid, res->engine_id, res->engine_id_len);
		t->eid_len = res->engine_id_len;
		t->eid_known = 1;
		/* a session knows one engineID: a new one for the new */
		sconn_close(t->conn);
		t->conn = NULL;
	}
	engine_ready(t);
}

static void
discover(struct starget *t)
{
	struct sconn_params p;
	char err[160];

	if (t->probe != NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.peer = t->peer;
	p.version = SNMP_VERSION_3;
	p.timeout = t->timeout;
	p.retries = t->retries;
	p.probe = 1;
	if (t->pconn == NULL &&
	    (t->pconn = sconn_open(host->base, &p, err, sizeof(err))) == NULL) {
		snprintf(t->engine_error, sizeof(t->engine_error), "cannot "
		    "open a session: %s", err);
		engine_ready(t);
		return;
	}
	if ((t->probe = walk_probe(t->pconn, probe_done, t)) == NULL) {
		snprintf(t->engine_error, sizeof(t->engine_error), "out of "
		    "memory");
		engine_ready(t);
	}
}

/* --- the address ------------------------------------------------------- */

static void
set_peer(struct starget *t, const struct sockaddr *sa, socklen_t salen)
{
	char a[INET6_ADDRSTRLEN + 20];	/* and a %scope */
	char old[sizeof(t->peer)];

	if (getnameinfo(sa, salen, a, sizeof(a), NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(a, sizeof(a), "?");
	memcpy(old, t->peer, sizeof(old));
	if (sa->sa_family == AF_INET6)
		snprintf(t->peer, sizeof(t->peer), "udp6:[%s]:%d", a, t->port);
	else
		snprintf(t->peer, sizeof(t->peer), "udp:%s:%d", a, t->port);
	if (t->numeric)
		snprintf(t->where, sizeof(t->where), "%s port %d", a, t->port);
	else
		snprintf(t->where, sizeof(t->where), "%s (%s) port %d", t->host,
		    a, t->port);
	t->have_addr = 1;
	if (strcmp(old, t->peer) != 0 && t->conn != NULL) {
		/* a session has one address */
		sconn_close(t->conn);
		t->conn = NULL;
		if (!t->numeric)
			host->log(LOG_INFO, "snmp: %s: %s is now %s", t->id,
			    t->host, a);
	}
}

static void
dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct starget *t = arg;

	if (result == EVUTIL_EAI_CANCEL) {	/* release(): t is gone */
		if (res)
			evutil_freeaddrinfo(res);
		return;
	}
	t->resolving = 0;
	t->dns_req = NULL;
	if (result != 0 || res == NULL) {
		stats.dns_failures++;
		snprintf(t->dns_error, sizeof(t->dns_error), "cannot resolve "
		    "%s: %s", t->host, result ? evutil_gai_strerror(result) :
		    "no address");
		if (t->have_addr)
			host->log(LOG_WARNING, "snmp: %s: %s (keeping the last "
			    "address)", t->id, t->dns_error);
		t->resolve_due_ns = mono_ns() + RESOLVE_RETRY;
	} else {
		set_peer(t, res->ai_addr, (socklen_t)res->ai_addrlen);
		t->resolve_due_ns = mono_ns() + RESOLVE_EVERY;
	}
	if (res)
		evutil_freeaddrinfo(res);
	for (struct sround *r = t->rounds; r != NULL; r = r->next)
		if (r->state == R_ADDR)
			proceed(r);
}

static void
resolve(struct starget *t)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct evdns_base *dns = host->resolver();

	if (dns == NULL) {
		snprintf(t->dns_error, sizeof(t->dns_error), "cannot resolve "
		    "%s: no resolver", t->host);
		t->resolve_due_ns = mono_ns() + RESOLVE_RETRY;
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	t->resolving = 1;
	/* may answer before it returns (the hosts file) */
	req = evdns_getaddrinfo(dns, t->host, NULL, &hints, dns_cb, t);
	if (t->resolving)
		t->dns_req = req;
}

/* --- rounds: the start ------------------------------------------------- */

static void
proceed(struct sround *r)
{
	struct starget *t = r->t;

	if (r->state != R_ADDR)
		return;
	if (!t->numeric && !t->resolving && mono_ns() >= t->resolve_due_ns)
		resolve(t);	/* dns_cb() may have moved r on */
	if (r->state != R_ADDR)
		return;
	if (!t->have_addr) {
		if (!t->resolving)
			round_fail(r, "%s", t->dns_error[0] ? t->dns_error :
			    "no address");
		return;		/* dns_cb() goes on */
	}
	if (t->version == SNMP_VERSION_3 && (!t->eid_known ||
	    t->check_engine)) {
		r->state = R_ENGINE;
		discover(t);	/* probe_done() goes on */
		return;
	}
	send_get(r);
}

static void
snmp_start(void *arg, struct tm_round *tm)
{
	struct starget *t = arg;
	struct sround *r;
	struct timeval tv;
	double budget;

	for (r = t->rounds; r != NULL; r = r->next)
		if (r->state != R_DONE)
			round_fail(r, "%s", r->state == R_WALK ?
			    "walk incomplete: the next round began" :
			    "timeout");
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->ev = evtimer_new(host->base, round_timer, r)) == NULL) {
		host->log(LOG_CRIT, "snmp: %s: out of memory", t->id);
		abort();
	}
	r->t = t;
	r->tm = tm;
	r->rtt = NAN;
	r->t0 = mono_ns();
	r->state = R_ADDR;
	r->next = t->rounds;
	t->rounds = r;
	/* done before the next round starts */
	budget = t->interval - (t->interval / 10 < 1 ? t->interval / 10 : 1);
	tv = tv_of_ns((int64_t)(budget * NS));
	evtimer_add(r->ev, &tv);
	proceed(r);
}

static void
snmp_cancel(void *arg, struct tm_round *tm)
{
	struct starget *t = arg;

	for (struct sround *r = t->rounds; r != NULL; r = r->next)
		if (r->tm == tm) {
			round_unlink(r);
			round_free(r);
			return;
		}
}

/* --- configuration ----------------------------------------------------- */

static void
target_free(struct starget *t)
{
	if (t == NULL)
		return;
	free(t->id);
	free(t->host);
	free(t->community);
	for (size_t i = 0; i < t->sel.nnames; i++)
		free(t->sel.names[i]);
	free(t->sel.names);
	free(t->unmatched_logged);
	free(t->sys_descr);
	free(t->sys_name);
	free(t->sys_objid);
	ifm_state_free(&t->ports);
	usm_conf_clear(&t->usm);
	free(t);
}

/* A host name as RFC 1123 has it, plus '_'. */
static int
valid_hostname(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

static int
conf_address(const struct tm_host *h, struct tm_cfg *cfg, struct starget *t)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	/* numeric only: no lookup, so no network */
	if (getaddrinfo(t->host, NULL, &hints, &res) == 0) {
		t->numeric = 1;
		set_peer(t, res->ai_addr, res->ai_addrlen);
		freeaddrinfo(res);
		return 0;
	}
	if (!valid_hostname(t->host)) {
		h->cfg_error(cfg, "host", "\"%s\" is neither an IP address nor "
		    "a host name", t->host);
		return -1;
	}
	snprintf(t->where, sizeof(t->where), "%s port %d", t->host, t->port);
	return 0;
}

static int
conf_interfaces(const struct tm_host *h, struct tm_cfg *cfg,
    struct starget *t)
{
	const char *const *list;
	size_t n;
	int rc;

	if ((rc = h->cfg_strings(cfg, "snmp.interfaces", &list, &n)) == -1)
		return -1;
	if (rc == 0) {
		t->sel.all = 1;
		return 0;
	}
	if (n == 0) {
		h->cfg_error(cfg, "snmp.interfaces", "snmp.interfaces is "
		    "empty: use [ \"all\" ], [ \"up\" ] or names");
		return -1;
	}
	if ((t->sel.names = calloc(n, sizeof(*t->sel.names))) == NULL ||
	    (t->unmatched_logged = calloc(n, 1)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (list[i][0] == '\0') {
			h->cfg_error(cfg, "snmp.interfaces", "snmp.interfaces: "
			    "an empty name");
			return -1;
		}
		if (strcmp(list[i], "all") == 0)
			t->sel.all = 1;
		else if (strcmp(list[i], "up") == 0)
			t->sel.up = 1;
		else if ((t->sel.names[t->sel.nnames++] = strdup(list[i])) ==
		    NULL)
			return -1;
	}
	return 0;
}

/* A passphrase into a key: 0, absent 0 with *set = 0, or -1. */
static int
conf_pass(const struct tm_host *h, struct tm_cfg *cfg, const char *path,
    const struct usm_conf *u, unsigned char *ku, size_t *ku_len, int *set)
{
	const char *s;
	char err[128];
	int rc;

	*set = 0;
	if ((rc = h->cfg_string(cfg, path, &s)) <= 0)
		return rc;
	*set = 1;
	if (u->auth_proto == NULL)
		return 0;	/* reported by the caller */
	if (usm_make_ku(u->auth_proto, u->auth_proto_len, s, ku, ku_len,
	    err, sizeof(err)) == -1) {
		h->cfg_error(cfg, path, "%s %s", path, err);
		return -1;
	}
	return 0;
}

static int
conf_v3(const struct tm_host *h, struct tm_cfg *cfg, struct starget *t)
{
	struct usm_conf *u = &t->usm;
	const char *s;
	char err[128];
	int rc, bad = 0, auth_set, priv_set, aproto_set = 0, pproto_set = 0;

	if ((rc = h->cfg_string(cfg, "snmp.v3.user", &s)) == -1)
		return -1;
	if (rc == 0 || s[0] == '\0' || strlen(s) > 32) {
		h->cfg_error(cfg, rc ? "snmp.v3.user" : "snmp.version",
		    "SNMPv3 needs snmp.v3.user, 1 to 32 characters");
		return -1;
	}
	if ((u->user = strdup(s)) == NULL)
		return -1;
	u->level = SNMP_SEC_LEVEL_AUTHPRIV;
	if ((rc = h->cfg_string(cfg, "snmp.v3.level", &s)) == -1)
		bad = 1;
	else if (rc == 1 && (u->level = usm_level(s)) == -1) {
		h->cfg_error(cfg, "snmp.v3.level", "snmp.v3.level \"%s\": "
		    "use \"noAuthNoPriv\", \"authNoPriv\" or \"authPriv\"", s);
		return -1;
	}
	usm_auth_proto("SHA", &u->auth_proto, &u->auth_proto_len);
	if ((rc = h->cfg_string(cfg, "snmp.v3.auth_protocol", &s)) == -1)
		bad = 1;
	else if (rc == 1) {
		aproto_set = 1;
		if (usm_auth_proto(s, &u->auth_proto, &u->auth_proto_len)) {
			h->cfg_error(cfg, "snmp.v3.auth_protocol", "snmp.v3."
			    "auth_protocol \"%s\": use one of %s", s,
			    usm_auth_names());
			return -1;
		}
	}
	usm_priv_proto("AES", &u->priv_proto, &u->priv_proto_len);
	if ((rc = h->cfg_string(cfg, "snmp.v3.priv_protocol", &s)) == -1)
		bad = 1;
	else if (rc == 1) {
		pproto_set = 1;
		if (usm_priv_proto(s, &u->priv_proto, &u->priv_proto_len)) {
			h->cfg_error(cfg, "snmp.v3.priv_protocol", "snmp.v3."
			    "priv_protocol \"%s\": use one of %s", s,
			    usm_priv_names());
			return -1;
		}
	}
	if (conf_pass(h, cfg, "snmp.v3.auth_pass", u, u->auth_ku,
	    &u->auth_ku_len, &auth_set) == -1 ||
	    conf_pass(h, cfg, "snmp.v3.priv_pass", u, u->priv_ku,
	    &u->priv_ku_len, &priv_set) == -1)
		bad = 1;
	if (u->level >= SNMP_SEC_LEVEL_AUTHNOPRIV && !auth_set && !bad) {
		h->cfg_error(cfg, "snmp.v3", "snmp.v3.level \"%s\" needs "
		    "snmp.v3.auth_pass (at least %d characters)",
		    usm_level_name(u->level), USM_PASS_MIN);
		bad = 1;
	}
	if (u->level == SNMP_SEC_LEVEL_AUTHPRIV && !priv_set && !bad) {
		h->cfg_error(cfg, "snmp.v3", "snmp.v3.level \"authPriv\" "
		    "needs snmp.v3.priv_pass (at least %d characters)",
		    USM_PASS_MIN);
		bad = 1;
	}
	if (u->level == SNMP_SEC_LEVEL_NOAUTH && (auth_set || aproto_set)) {
		const char *k = auth_set ? "snmp.v3.auth_pass" :
		    "snmp.v3.auth_protocol";

		h->cfg_error(cfg, k, "%s is set, but level \"noAuthNoPriv\" "
		    "does not authenticate: remove it or choose "
		    "\"authNoPriv\" or \"authPriv\"", k);
		bad = 1;
	}
	if (u->level < SNMP_SEC_LEVEL_AUTHPRIV && (priv_set || pproto_set)) {
		const char *k = priv_set ? "snmp.v3.priv_pass" :
		    "snmp.v3.priv_protocol";

		h->cfg_error(cfg, k, "%s is set, but level \"%s\" does not "
		    "encrypt: remove it or choose \"authPriv\"", k,
		    usm_level_name(u->level));
		bad = 1;
	}
	if (u->level < SNMP_SEC_LEVEL_AUTHNOPRIV) {
		u->auth_proto = NULL;
		u->auth_proto_len = 0;
	}
	if (u->level < SNMP_SEC_LEVEL_AUTHPRIV) {
		u->priv_proto = NULL;
		u->priv_proto_len = 0;
	}
	if ((rc = h->cfg_string(cfg, "snmp.v3.engine_id", &s)) == -1)
		bad = 1;
	else if (rc == 1) {
		if (usm_parse_engine_id(s, u->engine_id, &u->engine_id_len,
		    err, sizeof(err)) == -1) {
			h->cfg_error(cfg, "snmp.v3.engine_id",
			    "snmp.v3.engine_id %s", err);
			bad = 1;
		} else {
			memcpy(t->eid, u->engine_id, u->engine_id_len);
			t->eid_len = u->engine_id_len;
			t->eid_known = t->eid_configured = 1;
		}
	}
	if ((rc = h->cfg_string(cfg, "snmp.v3.context", &s)) == -1)
		bad = 1;
	else if (rc == 1) {
		if (strlen(s) > 32) {
			h->cfg_error(cfg, "snmp.v3.context",
			    "snmp.v3.context has at most 32 characters");
			bad = 1;
		} else if ((u->context = strdup(s)) == NULL)
			return -1;
	}
	return bad ? -1 : 0;
}

static int
conf_snmp(const struct tm_host *h, struct tm_cfg *cfg,
    const struct tm_target_conf *tc, struct starget *t)
{
	const char *s;
	long l;
	int rc, bad = 0;

	if (h->cfg_check_keys(cfg, "snmp", snmp_keys) == -1 ||
	    h->cfg_check_keys(cfg, "snmp.v3", v3_keys) == -1)
		return -1;
	t->version = SNMP_VERSION_2c;
	if ((rc = h->cfg_string(cfg, "snmp.version", &s)) == -1)
		return -1;
	if (rc == 1) {
		if (strcmp(s, "1") == 0)
			t->version = SNMP_VERSION_1;
		else if (strcmp(s, "2c") == 0)
			t->version = SNMP_VERSION_2c;
		else if (strcmp(s, "3") == 0)
			t->version = SNMP_VERSION_3;
		else {
			h->cfg_error(cfg, "snmp.version", "snmp.version "
			    "\"%s\": use \"1\", \"2c\" or \"3\"", s);
			return -1;
		}
	}
	s = "public";
	if ((rc = h->cfg_string(cfg, "snmp.community", &s)) == -1)
		bad = 1;
	else if (s[0] == '\0' || strlen(s) > 255) {
		h->cfg_error(cfg, "snmp.community", "snmp.community must "
		    "have 1 to 255 characters");
		bad = 1;
	} else if ((t->community = strdup(s)) == NULL)
		return -1;
	t->port = tc->port ? tc->port : 161;
	if ((rc = h->cfg_int(cfg, "snmp.port", &l, 1, 65535)) == -1)
		bad = 1;
	else if (rc == 1) {
		if (tc->port && tc->port != l) {
			h->cfg_error(cfg, "snmp.port", "snmp.port is %ld, but "
			    "the target's port %d: give only one", l, tc->port);
			bad = 1;
		}
		t->port = (int)l;
	} else if (t->port < 1 || t->port > 65535) {
		h->cfg_error(cfg, "port", "%d is not in 1..65535", t->port);
		bad = 1;
	}
	t->retries = 1;
	if ((rc = h->cfg_int(cfg, "snmp.retries", &l, 0, 5)) == -1)
		bad = 1;
	else if (rc == 1)
		t->retries = (int)l;
	t->max_rep = 20;
	if ((rc = h->cfg_int(cfg, "snmp.max_repetitions", &l, 1, 100)) == -1)
		bad = 1;
	else if (rc == 1)
		t->max_rep = (int)l;
	if (conf_interfaces(h, cfg, t) == -1)
		bad = 1;
	if (t->version == SNMP_VERSION_3 && conf_v3(h, cfg, t) == -1)
		bad = 1;
	return bad ? -1 : 0;
}

static void *
snmp_configure(const struct tm_host *h, struct tm_cfg *cfg,
    const struct tm_target_conf *tc)
{
	struct starget *t;
	int bad = 0;

	if (host == NULL)
		host = h;
	if (tc->host == NULL || tc->host[0] == '\0') {
		h->cfg_error(cfg, "host", "an snmp target needs a host (the "
		    "agent's address or name)");
		bad = 1;
	}
	if (!(tc->interval > 0) || !(tc->timeout > 0) ||
	    tc->timeout > MAX_TIMEOUT) {
		h->cfg_error(cfg, "timeout", "timeout must be above 0 and at "
		    "most %.0f s, the interval above 0", MAX_TIMEOUT);
		bad = 1;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		h->cfg_error(cfg, NULL, "out of memory");
		return NULL;
	}
	if (conf_snmp(h, cfg, tc, t) == -1)
		bad = 1;
	if (bad)
		goto fail;
	t->timeout = tc->timeout;
	t->interval = tc->interval;
	if (t->timeout * (t->retries + 1) >= t->interval) {
		h->cfg_error(cfg, "timeout", "timeout %.3g s x %d tries must "
		    "be shorter than the interval (%.3g s): a poll would "
		    "outlast its round", t->timeout, t->retries + 1,
		    t->interval);
		goto fail;
	}
	if ((t->id = strdup(tc->id ? tc->id : "?")) == NULL ||
	    (t->host = strdup(tc->host)) == NULL) {
		h->cfg_error(cfg, NULL, "out of memory");
		goto fail;
	}
	if (conf_address(h, cfg, t) == -1)
		goto fail;
	t->need_sysinfo = 1;
	return t;
fail:
	target_free(t);
	return NULL;
}

static void
snmp_release(void *arg)
{
	struct starget *t = arg;

	if (t == NULL)
		return;
	while (t->rounds != NULL) {
		struct sround *r = t->rounds;

		t->rounds = r->next;
		round_free(r);
	}
	walk_cancel(t->probe);
	sconn_close(t->pconn);
	sconn_close(t->conn);
	if (t->resolving && t->dns_req != NULL)
		evdns_getaddrinfo_cancel(t->dns_req);
	target_free(t);
}

/* --- the library ------------------------------------------------------- */

/*
 * net-snmp 5.9.3 keeps one block past snmp_shutdown() (the MIB parser's
 * table of textual conventions, 4,800 bytes, made by init_snmp()); with
 * the library unmapped when the daemon unloads this module, valgrind
 * calls it lost.  The library stays loaded instead: it cannot be set up
 * twice in a process anyway.
 */
static void
pin_library(void)
{
	Dl_info info;

	if (dladdr((void *)(uintptr_t)init_snmp, &info) != 0 &&
	    info.dli_fname != NULL)
		(void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD |
		    RTLD_NODELETE);
}

static int
snmp_init(const struct tm_host *h)
{
	host = h;
	pin_library();
	/* no MIB files (Debian ships none of the IETF ones: numeric OIDs
	 * only), no snmp.conf, nothing saved at shutdown */
	setenv("MIBS", "", 1);
	setenv("MIBDIRS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_OID_OUTPUT_FORMAT, NETSNMP_OID_OUTPUT_NUMERIC);
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
	    lib_log, NULL);
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	init_snmp("tramond");
	lib_up = 1;
	return 0;
}

static void
snmp_counters(void (*emit)(void *, const char *, uint64_t), void *arg)
{
	emit(arg, "snmp_requests", walk_stats.requests);
	emit(arg, "snmp_retries", walk_stats.retries);
	emit(arg, "snmp_answers", walk_stats.answers);
	emit(arg, "snmp_varbinds", walk_stats.varbinds);
	emit(arg, "snmp_timeouts", walk_stats.timeouts);
	emit(arg, "snmp_errors", walk_stats.errors);
	emit(arg, "snmp_bad_varbinds", walk_stats.bad_varbinds);
	emit(arg, "snmp_bad_responses", walk_stats.bad_responses);
	emit(arg, "snmp_auth_failures", walk_stats.auth_failures);
	emit(arg, "snmp_late", walk_stats.late);
	emit(arg, "snmp_discoveries", walk_stats.discoveries);
	emit(arg, "snmp_wrong_source", walk_stats.wrong_source);
	emit(arg, "snmp_wrong_community", walk_stats.wrong_community);
	emit(arg, "snmp_unmatched", walk_lib_unmatched());
	emit(arg, "snmp_parse_errors", walk_stats.parse_errors);
	emit(arg, "snmp_reboots", stats.reboots);
	emit(arg, "snmp_dns_failures", stats.dns_failures);
}

static void
snmp_shutdown_probe(void)
{
	sconn_close_all();
	usm_owners_free();
	if (lib_up)
		snmp_shutdown("tramond");
	lib_up = 0;
}

const struct tm_probe_ops tramon_probe = {
	.abi = TM_PLUGIN_ABI,
	.name = "snmp",
	.flags = 0,
	.keys = probe_keys,
	.values = tvalues,
	.nvalues = sizeof(tvalues) / sizeof(tvalues[0]),
	.ivalues = ivalues,
	.nivalues = IFM_NVALUES,
	.instance_kind = "if",
	.instance_label = "ifname",
	.instance_list = "interfaces",
	.init = snmp_init,
	.configure = snmp_configure,
	.start = snmp_start,
	.cancel = snmp_cancel,
	.release = snmp_release,
	.counters = snmp_counters,
	.shutdown = snmp_shutdown_probe,
};
