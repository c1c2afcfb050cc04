/*
 * net-snmp sessions on the libevent loop, and the walks made on them; see
 * walk.h.
 *
 * How net-snmp's single-session API is driven (shared/notes/integration.md
 * 2.3): one UDP socket per session, watched with a persistent read event
 * that calls snmp_sess_read2() (the large-fd-set variant: the daemon may
 * hold more than FD_SETSIZE descriptors), and a timer set after every
 * send, read and timeout from snmp_sess_select_info2_flags() that calls
 * snmp_sess_timeout() (retransmission, then NETSNMP_CALLBACK_OP_TIMED_OUT).
 *
 * What net-snmp does that shapes this file:
 *  - Callbacks can run inside snmp_sess_async_send() (a request it cannot
 *    build or secure), inside snmp_sess_read2()/snmp_sess_timeout(), and
 *    inside snmp_sess_close() (TIMED_OUT, once per outstanding request).
 *    A session is never closed from inside net-snmp (lib_depth > 0): the
 *    close waits for a zero timer.  A walk being sent notes what a
 *    callback said and decides after the send returns.
 *  - Answers to SNMPv3 requests that fail authentication come as reports
 *    whose request-id is 0: requests are told apart by the callback's
 *    `magic`, a per-session serial number (never a pointer: an answer to a
 *    request given up on finds no walk and is dropped).
 *  - snmp_sess_open() clears SNMP_FLAGS_DONT_PROBE on its copy of the
 *    session, and a v3 send without an engineID then runs net-snmp's
 *    blocking discovery.  The flag is set again on every session: v3
 *    sessions get the engineID up front, and discovery is a walk_probe(),
 *    the same empty-user request net-snmp would send, made asynchronous.
 *  - notInTimeWindow reports (the agent restarted: engineBoots changed)
 *    are handled by net-snmp, which resends with the agent's time.
 *  - net-snmp matches a response to its request by the request-id (v3:
 *    the msgID) alone: the socket is not connected, and neither the
 *    address the answer came from nor (v1, v2c) its community is looked
 *    at.  lib_cb does: an answer from another address or port than the
 *    agent's, or with another version or community than the request's,
 *    is a forgery (or a stray), dropped and counted; the request stays in
 *    flight for the real answer.  Responses to no request in flight and
 *    packets that do not parse are dropped by net-snmp: the first it
 *    counts in its statistics (walk_lib_unmatched()), the second make
 *    snmp_sess_read2() fail (walk_stats.parse_errors).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include "usm.h"
#include "walk.h"

#define MAX_COLS	16

struct sconn {
	void *sess;			/* net-snmp's single session */
	struct event_base *base;
	int fd;
	long version;
	struct event *rd, *tmo, *closer;
	int closing;
	const struct usm_conf *usm;	/* v3: the keys to put in force */
	netsnmp_sockaddr_storage peer;	/* the agent's address and port */
	int have_peer;
	unsigned long next_token;
	struct walk *walks;		/* started, not finished */
	struct sconn *prev, *next;	/* every session */
};

enum wkind { WK_GET, WK_TABLE, WK_PROBE };

struct wcol {
	oid root[MAX_OID_LEN];
	size_t root_len;
	oid cur[MAX_OID_LEN];		/* the last OID got: the cursor */
	size_t cur_len;
	int done;
	unsigned rows;
};

struct walk {
	struct sconn *c;
	struct walk *next;		/* on c->walks */
	enum wkind kind;
	walk_var_fn *var;
	walk_done_fn *done;
	void *arg;
	struct event *ev;		/* an end not to report from the
					 * function that started the walk */
	int starting;			/* in walk_get() and the like */
	int in_send;			/* in snmp_sess_async_send() */
	int sync_op;			/* what a callback in it said */
	unsigned long token;		/* the request in flight; 0: none */
	int64_t sent_ns;
	int sec_error;			/* s_snmp_errno of a SEC_ERROR */
	int reps, reps0;		/* GETBULK max-repetitions, now and
					 * as asked */
	unsigned max_rows;
	unsigned disorder;		/* columns ended by OIDs not
					 * increasing */
	size_t ncols;
	size_t batch;			/* columns per request at most */
	struct wcol cols[MAX_COLS];
	int req[MAX_COLS];		/* the columns in the request */
	size_t nreq;
	struct wresult res;
};

struct walk_counters walk_stats;

static struct sconn *conns;
static int lib_depth;		/* > 0 while net-snmp runs on our stack */

static void walk_send_next(struct walk *);

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- sessions ---------------------------------------------------------- */

static void
conn_rearm(struct sconn *c)
{
	netsnmp_large_fd_set fds;
	struct timeval tv = { 0, 0 };
	int n = 0, block = 1;

	if (c->closing)
		return;
	netsnmp_large_fd_set_init(&fds, c->fd + 1);
	snmp_sess_select_info2_flags(c->sess, &n, &fds, &tv, &block,
	    NETSNMP_SELECT_NOALARMS);
	netsnmp_large_fd_set_cleanup(&fds);
	if (block)
		evtimer_del(c->tmo);	/* nothing outstanding */
	else
		evtimer_add(c->tmo, &tv);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sconn *c = arg;
	netsnmp_large_fd_set fds;

	if (c->closing)
		return;
	netsnmp_large_fd_set_init(&fds, c->fd + 1);
	NETSNMP_LARGE_FD_SET(c->fd, &fds);
	usm_own(snmp_sess_session(c->sess), c->usm);
	lib_depth++;
	/* -1: nothing read, or a packet that does not parse (for v3, one
	 * that fails authentication too), dropped */
	if (snmp_sess_read2(c->sess, &fds) != 0 &&
	    snmp_sess_session(c->sess)->s_snmp_errno != SNMPERR_BAD_RECVFROM)
		walk_stats.parse_errors++;
	lib_depth--;
	netsnmp_large_fd_set_cleanup(&fds);
	conn_rearm(c);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sconn *c = arg;

	if (c->closing)
		return;
	usm_own(snmp_sess_session(c->sess), c->usm);
	lib_depth++;
	snmp_sess_timeout(c->sess);
	lib_depth--;
	conn_rearm(c);
}

static void
walk_free(struct walk *w)
{
	for (struct walk **pp = &w->c->walks; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	if (w->ev != NULL)
		event_free(w->ev);
	free(w);
}

static void
conn_free(struct sconn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	/* outstanding requests call back with TIMED_OUT now: lib_cb sees
	 * `closing` and leaves them */
	lib_depth++;
	snmp_sess_close(c->sess);
	lib_depth--;
	event_free(c->rd);
	event_free(c->tmo);
	event_free(c->closer);
	free(c);
}

static void
closer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sconn *c = arg;

	if (lib_depth > 0) {	/* cannot happen from the loop; be sure */
		static const struct timeval zero = { 0, 0 };

		evtimer_add(c->closer, &zero);
		return;
	}
	conn_free(c);
}

static int lib_cb(int, netsnmp_session *, int, netsnmp_pdu *, void *);

struct sconn *
sconn_open(struct event_base *base, const struct sconn_params *p,
    char *err, size_t errlen)
{
	netsnmp_session s;
	netsnmp_transport *tr;
	struct sconn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	c->version = p->version;
	snmp_sess_init(&s);
	s.peername = (char *)(uintptr_t)p->peer;
	s.version = p->version;
	s.timeout = (long)(p->timeout * 1e6);
	s.retries = p->retries;
	s.callback = NULL;
	s.callback_magic = c;	/* lib_cb finds its session by it */
	if (p->version == SNMP_VERSION_3) {
		if (p->probe)
			usm_fill_probe_session(&s);
		else
			usm_fill_session(p->usm, p->engine_id,
			    p->engine_id_len, &s);
	} else {
		s.community = (u_char *)(uintptr_t)p->community;
		s.community_len = strlen(p->community);
	}
	if ((c->sess = snmp_sess_open(&s)) == NULL) {
		char *msg = NULL;

		snmp_error(&s, NULL, NULL, &msg);
		snprintf(err, errlen, "%s", msg ? msg : "cannot open a "
		    "session");
		free(msg);
		free(c);
		return NULL;
	}
	/* never net-snmp's blocking engineID discovery (see above) */
	snmp_sess_session(c->sess)->flags |= SNMP_FLAGS_DONT_PROBE;
	if (p->version == SNMP_VERSION_3 && !p->probe)
		c->usm = p->usm;
	if ((tr = snmp_sess_transport(c->sess)) == NULL || tr->sock < 0) {
		snprintf(err, errlen, "no socket");
		snmp_sess_close(c->sess);
		free(c);
		return NULL;
	}
	c->fd = tr->sock;
	/* where answers must come from (a UDP transport keeps it in its
	 * data: the address every request is sent to) */
	if (tr->data != NULL &&
	    tr->data_length == (int)sizeof(netsnmp_indexed_addr_pair)) {
		c->peer = ((netsnmp_indexed_addr_pair *)tr->data)->remote_addr;
		c->have_peer = 1;
	}
	c->rd = event_new(base, c->fd, EV_READ | EV_PERSIST, read_cb, c);
	c->tmo = evtimer_new(base, timer_cb, c);
	c->closer = evtimer_new(base, closer_cb, c);
	if (c->rd == NULL || c->tmo == NULL || c->closer == NULL ||
	    event_add(c->rd, NULL) == -1) {
		snprintf(err, errlen, "cannot watch the socket");
		if (c->rd)
			event_free(c->rd);
		if (c->tmo)
			event_free(c->tmo);
		if (c->closer)
			event_free(c->closer);
		snmp_sess_close(c->sess);
		free(c);
		return NULL;
	}
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	return c;
}

void
sconn_close(struct sconn *c)
{
	static const struct timeval zero = { 0, 0 };

	if (c == NULL || c->closing)
		return;
	while (c->walks != NULL)
		walk_free(c->walks);
	c->closing = 1;
	c->usm = NULL;		/* the target's: it may go first */
	event_del(c->rd);
	evtimer_del(c->tmo);
	if (lib_depth > 0)
		evtimer_add(c->closer, &zero);
	else
		conn_free(c);
}

void
sconn_close_all(void)
{
	while (conns != NULL) {
		struct sconn *c = conns;

		while (c->walks != NULL)
			walk_free(c->walks);
		c->closing = 1;
		conn_free(c);
	}
}

/* --- walks: the end ---------------------------------------------------- */

static void
walk_complete(struct walk *w)
{
	struct wresult res = w->res;
	walk_done_fn *done = w->done;
	void *arg = w->arg;

	walk_free(w);
	done(arg, &res);
}

static void
deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	walk_complete(arg);
}

static void __attribute__((format(printf, 3, 4)))
walk_end(struct walk *w, enum wstatus st, const char *fmt, ...)
{
	static const struct timeval zero = { 0, 0 };
	va_list ap;

	w->token = 0;
	w->res.status = st;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(w->res.detail, sizeof(w->res.detail), fmt, ap);
		va_end(ap);
	}
	if (w->starting)
		evtimer_add(w->ev, &zero);
	else
		walk_complete(w);
}

/* A security failure as a status. */
static enum wstatus
sec_status(int err)
{
	switch (err) {
	case SNMPERR_AUTHENTICATION_FAILURE:
	case SNMPERR_USM_AUTHENTICATIONFAILURE:
		return W_AUTH;
	case SNMPERR_UNKNOWN_USER_NAME:
	case SNMPERR_USM_UNKNOWNSECURITYNAME:
		return W_UNKNOWN_USER;
	case SNMPERR_UNKNOWN_ENG_ID:
	case SNMPERR_USM_UNKNOWNENGINEID:
		return W_UNKNOWN_ENGINE;
	case SNMPERR_DECRYPTION_ERR:
	case SNMPERR_USM_DECRYPTIONERROR:
		return W_DECRYPT;
	case SNMPERR_UNSUPPORTED_SEC_LEVEL:
	case SNMPERR_USM_UNSUPPORTEDSECURITYLEVEL:
		return W_SEC_LEVEL;
	case SNMPERR_NOT_IN_TIME_WINDOW:
	case SNMPERR_USM_NOTINTIMEWINDOW:
		return W_TIME_WINDOW;
	default:
		return W_SECURITY;
	}
}

uint64_t
walk_lib_unmatched(void)
{
	return snmp_get_statistic(STAT_SNMPUNKNOWNPDUHANDLERS);
}

const char *
walk_status_text(enum wstatus st)
{
	switch (st) {
	case W_OK:
		return "ok";
	case W_TIMEOUT:
		return "timeout";
	case W_AUTH:
		return "authentication failure";
	case W_UNKNOWN_USER:
		return "unknown user";
	case W_UNKNOWN_ENGINE:
		return "unknown engine ID";
	case W_DECRYPT:
		return "decryption error";
	case W_SEC_LEVEL:
		return "unsupported security level";
	case W_TIME_WINDOW:
		return "not in time window";
	case W_SECURITY:
		return "security error";
	case W_ERROR_STATUS:
		return "agent error";
	case W_BAD_RESPONSE:
		return "bad response";
	case W_TOO_MANY_ROWS:
		return "too many rows";
	case W_SEND:
		return "cannot send";
	case W_NOMEM:
		return "out of memory";
	}
	return "?";
}

static void
copy_engine_id(struct walk *w, const netsnmp_pdu *pdu)
{
	if (pdu->securityEngineID != NULL && pdu->securityEngineIDLen > 0 &&
	    pdu->securityEngineIDLen <= sizeof(w->res.engine_id)) {
		memcpy(w->res.engine_id, pdu->securityEngineID,
		    pdu->securityEngineIDLen);
		w->res.engine_id_len = pdu->securityEngineIDLen;
	}
}

static int
is_sec_error(int err)
{
	return (err <= SNMPERR_UNKNOWN_ENG_ID &&
	    err >= SNMPERR_DECRYPTION_ERR) ||
	    (err <= SNMPERR_USM_GENERICERROR &&
	    err >= SNMPERR_USM_DECRYPTIONERROR);
}

/* --- walks: requests --------------------------------------------------- */

static unsigned long
next_token(struct sconn *c)
{
	if (++c->next_token == 0)
		++c->next_token;
	return c->next_token;
}

/* Send `pdu` (always consumed); on failure the walk ends. */
static int
walk_send(struct walk *w, netsnmp_pdu *pdu)
{
	struct sconn *c = w->c;
	int id, err;

	if (pdu == NULL) {
		walk_end(w, W_NOMEM, "cannot make a request");
		return -1;
	}
	w->token = next_token(c);
	w->sec_error = 0;
	w->sync_op = 0;
	w->sent_ns = mono_ns();
	w->in_send = 1;
	usm_own(snmp_sess_session(c->sess), c->usm);
	lib_depth++;
	id = snmp_sess_async_send(c->sess, pdu, lib_cb,
	    (void *)(uintptr_t)w->token);
	lib_depth--;
	w->in_send = 0;
	if (id == 0) {
		err = snmp_sess_session(c->sess)->s_snmp_errno;
		snmp_free_pdu(pdu);
		walk_stats.errors++;
		if (w->sec_error != 0 || is_sec_error(err)) {
			int e = w->sec_error ? w->sec_error : err;

			walk_stats.auth_failures++;
			walk_end(w, sec_status(e), "%s", snmp_api_errstring(e));
		} else
			walk_end(w, W_SEND, "%s", snmp_api_errstring(err));
		return -1;
	}
	walk_stats.requests++;
	w->res.sent++;
	if (w->sync_op == NETSNMP_CALLBACK_OP_TIMED_OUT ||
	    w->sync_op == NETSNMP_CALLBACK_OP_SEND_FAILED) {
		/* gave up inside the send, yet said it sent: believe the
		 * callback */
		walk_end(w, w->sync_op == NETSNMP_CALLBACK_OP_TIMED_OUT ?
		    W_TIMEOUT : W_SEND, NULL);
		return -1;
	}
	conn_rearm(c);
	return 0;
}

static int
is_exception(const netsnmp_variable_list *vb)
{
	return vb->type == SNMP_NOSUCHOBJECT ||
	    vb->type == SNMP_NOSUCHINSTANCE || vb->type == SNMP_ENDOFMIBVIEW;
}

static int
in_subtree(const struct wcol *col, const netsnmp_variable_list *vb)
{
	return vb->name_length > col->root_len && vb->name != NULL &&
	    memcmp(vb->name, col->root, col->root_len * sizeof(oid)) == 0;
}

static int
all_done(const struct walk *w)
{
	for (size_t i = 0; i < w->ncols; i++)
		if (!w->cols[i].done)
			return 0;
	return 1;
}

/* An error-status for SNMPv1's end of the MIB view, or a request too
 * big for the agent, are dealt with: 1 (and the walk goes on).  Small
 * agents answer tooBig, or genErr, to more varbinds than they take:
 * fewer repetitions, then fewer columns a request. */
static int
recoverable(struct walk *w, const netsnmp_pdu *pdu)
{
	int bulk = w->kind == WK_TABLE && w->c->version != SNMP_VERSION_1;

	if (w->c->version == SNMP_VERSION_1 &&
	    pdu->errstat == SNMP_ERR_NOSUCHNAME && pdu->errindex >= 1 &&
	    (size_t)pdu->errindex <= w->nreq) {
		/* v1 has no exceptions: the column (or scalar) named by
		 * the error-index is not there */
		w->cols[w->req[pdu->errindex - 1]].done = 1;
		if (all_done(w))
			walk_end(w, W_OK, NULL);
		else
			walk_send_next(w);
		return 1;
	}
	if (pdu->errstat != SNMP_ERR_TOOBIG && pdu->errstat != SNMP_ERR_GENERR)
		return 0;
	if (pdu->errstat == SNMP_ERR_TOOBIG && bulk && w->reps > 1)
		w->reps /= 2;
	else if (w->nreq > 1)
		w->batch = (w->nreq + 1) / 2;
	else if (bulk && w->reps > 1)
		w->reps /= 2;
	else
		return 0;
	walk_send_next(w);
	return 1;
}

static void
get_answer(struct walk *w, netsnmp_pdu *pdu)
{
	for (netsnmp_variable_list *vb = pdu->variables; vb;
	    vb = vb->next_variable) {
		size_t k;

		for (k = 0; k < w->nreq; k++) {
			struct wcol *col = &w->cols[w->req[k]];

			if (!col->done && snmp_oid_compare(vb->name,
			    vb->name_length, col->root, col->root_len) == 0)
				break;
		}
		if (k == w->nreq) {	/* not asked for, or twice */
			walk_stats.bad_varbinds++;
			continue;
		}
		w->cols[w->req[k]].done = 1;
		w->var(w->arg, w->req[k], NULL, 0, vb);
	}
	/* asked is answered, if only by silence */
	for (size_t k = 0; k < w->nreq; k++)
		w->cols[w->req[k]].done = 1;
	if (all_done(w))
		walk_end(w, W_OK, NULL);
	else
		walk_send_next(w);
}

static void
table_answer(struct walk *w, netsnmp_pdu *pdu)
{
	int progress = 0;
	size_t k = 0;

	if (w->nreq == 0) {
		walk_end(w, W_BAD_RESPONSE, "an answer to no question");
		return;
	}
	for (netsnmp_variable_list *vb = pdu->variables; vb;
	    vb = vb->next_variable, k++) {
		/* GETBULK answers row by row: varbind k is column k mod n */
		int ci = w->req[k % w->nreq];
		struct wcol *col = &w->cols[ci];

		if (col->done)
			continue;
		progress = 1;
		if (is_exception(vb) || !in_subtree(col, vb)) {
			col->done = 1;	/* past the column's end */
			continue;
		}
		if (snmp_oid_compare(vb->name, vb->name_length, col->cur,
		    col->cur_len) <= 0) {
			/* a broken agent would make us loop forever */
			walk_stats.bad_varbinds++;
			w->disorder++;
			col->done = 1;
			continue;
		}
		memcpy(col->cur, vb->name, vb->name_length * sizeof(oid));
		col->cur_len = vb->name_length;
		if (++col->rows > w->max_rows ||
		    w->var(w->arg, ci, vb->name + col->root_len,
		    vb->name_length - col->root_len, vb) != 0) {
			walk_end(w, W_TOO_MANY_ROWS, "more than %u rows",
			    w->max_rows);
			return;
		}
	}
	if (!progress) {
		walk_stats.bad_responses++;
		walk_end(w, W_BAD_RESPONSE, "an answer without the values "
		    "asked for");
		return;
	}
	if (all_done(w)) {
		if (w->disorder > 0)
			walk_end(w, W_OK, "%u column(s) ended by OIDs out of "
			    "order", w->disorder);
		else if (w->batch < w->ncols || w->reps < w->reps0)
			walk_end(w, W_OK, "the agent took %zu column(s) and "
			    "%d repetition(s) a request", w->batch, w->reps);
		else
			walk_end(w, W_OK, NULL);
	} else
		walk_send_next(w);
}

static void
report_answer(struct walk *w, netsnmp_pdu *pdu)
{
	int type = snmpv3_get_report_type(pdu);

	copy_engine_id(w, pdu);
	if (w->kind == WK_PROBE) {
		/* the expected answer: usmStatsUnknownEngineIDs, with the
		 * agent's engineID in the message */
		if (w->res.engine_id_len >= 5)
			walk_end(w, W_OK, NULL);
		else {
			walk_stats.bad_responses++;
			walk_end(w, W_BAD_RESPONSE, "the agent's report has no "
			    "engineID");
		}
		return;
	}
	walk_stats.auth_failures++;
	walk_end(w, sec_status(type), "%s", snmp_api_errstring(type));
}

static void
on_answer(struct walk *w, netsnmp_pdu *pdu)
{
	if (pdu == NULL) {
		walk_stats.bad_responses++;
		walk_end(w, W_BAD_RESPONSE, "no PDU");
		return;
	}
	if (pdu->command == SNMP_MSG_REPORT) {
		report_answer(w, pdu);
		return;
	}
	if (pdu->command != SNMP_MSG_RESPONSE) {
		walk_stats.bad_responses++;
		walk_end(w, W_BAD_RESPONSE, "PDU type 0x%02x", pdu->command);
		return;
	}
	for (const netsnmp_variable_list *vb = pdu->variables; vb;
	    vb = vb->next_variable)
		walk_stats.varbinds++;
	if (w->kind == WK_PROBE) {
		/* an agent may answer the empty GET instead of reporting:
		 * its engineID is in the message all the same */
		copy_engine_id(w, pdu);
		if (w->res.engine_id_len >= 5)
			walk_end(w, W_OK, NULL);
		else
			walk_end(w, W_BAD_RESPONSE, "no engineID in the "
			    "agent's answer");
		return;
	}
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		if (recoverable(w, pdu))
			return;
		walk_stats.errors++;
		w->res.errstat = pdu->errstat;
		w->res.errindex = (int)pdu->errindex;
		walk_end(w, W_ERROR_STATUS, "%s", snmp_errstring(
		    (int)pdu->errstat));
		return;
	}
	if (w->kind == WK_GET)
		get_answer(w, pdu);
	else
		table_answer(w, pdu);
}

/* Whether `sa` is the agent's address and port. */
static int
from_peer(const struct sconn *c, const struct sockaddr *sa)
{
	const netsnmp_sockaddr_storage *p = &c->peer;

	if (sa->sa_family != p->sa.sa_family)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;

		return a->sin_port == p->sin.sin_port &&
		    a->sin_addr.s_addr == p->sin.sin_addr.s_addr;
	}
#ifdef NETSNMP_ENABLE_IPV6
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;

		return a->sin6_port == p->sin6.sin6_port &&
		    memcmp(&a->sin6_addr, &p->sin6.sin6_addr,
		    sizeof(a->sin6_addr)) == 0;
	}
#endif
	return 0;
}

/*
 * An answer net-snmp matched to a request of ours by its request-id:
 * is it from the agent, in the request's version and community?  (What
 * net-snmp does not check; see the top of this file.)
 */
static int
answer_is_genuine(const struct sconn *c, const netsnmp_session *ss,
    const netsnmp_pdu *pdu)
{
	const netsnmp_indexed_addr_pair *from = pdu->transport_data;

	/* (a transport that keeps the addresses otherwise is not checked) */
	if (c->have_peer && from != NULL &&
	    pdu->transport_data_length == (int)sizeof(*from) &&
	    !from_peer(c, &from->remote_addr.sa)) {
		walk_stats.wrong_source++;
		return 0;
	}
	if (pdu->version != ss->version) {
		walk_stats.wrong_community++;
		return 0;
	}
	if (ss->version != SNMP_VERSION_3 &&
	    (pdu->community_len != ss->community_len ||
	    (ss->community_len > 0 && (pdu->community == NULL ||
	    memcmp(pdu->community, ss->community, ss->community_len) != 0)))) {
		walk_stats.wrong_community++;
		return 0;
	}
	return 1;
}

static int
lib_cb(int op, netsnmp_session *ss, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct sconn *c = ss != NULL ? ss->callback_magic : NULL;
	unsigned long token = (unsigned long)(uintptr_t)magic;
	struct walk *w;

	if (c == NULL || c->closing)
		return 1;
	for (w = c->walks; w != NULL; w = w->next)
		if (w->token != 0 && w->token == token)
			break;
	if (w == NULL) {
		if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE)
			walk_stats.late++;
		return 1;
	}
	if (w->in_send) {
		/* inside snmp_sess_async_send(): walk_send() decides */
		if (op == NETSNMP_CALLBACK_OP_SEC_ERROR)
			w->sec_error = ss->s_snmp_errno ? ss->s_snmp_errno :
			    SNMPERR_USM_GENERICERROR;
		else
			w->sync_op = op;
		return 1;
	}
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		if (pdu != NULL && !answer_is_genuine(c, ss, pdu))
			return 0;	/* the request stays in flight */
		if (pdu != NULL && pdu->command == SNMP_MSG_REPORT &&
		    w->kind != WK_PROBE && snmpv3_get_report_type(pdu) ==
		    SNMPERR_NOT_IN_TIME_WINDOW)
			return 1;	/* net-snmp sends it again */
		walk_stats.answers++;
		w->res.answered++;
		if (isnan(w->res.rtt))
			w->res.rtt = (double)(mono_ns() - w->sent_ns) / 1e9;
		w->token = 0;
		on_answer(w, pdu);
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		walk_stats.timeouts++;
		w->res.lib_error = ss->s_snmp_errno;
		if (w->sec_error != 0) {
			walk_stats.auth_failures++;
			walk_end(w, sec_status(w->sec_error), "%s",
			    snmp_api_errstring(w->sec_error));
		} else
			walk_end(w, W_TIMEOUT, NULL);
		break;
	case NETSNMP_CALLBACK_OP_SEND_FAILED:
		walk_stats.errors++;
		walk_end(w, W_SEND, "%s", snmp_api_errstring(ss->s_snmp_errno));
		break;
	case NETSNMP_CALLBACK_OP_SEC_ERROR:
		/* a report or a bad answer follows, or the timeout */
		w->sec_error = ss->s_snmp_errno ? ss->s_snmp_errno :
		    SNMPERR_USM_GENERICERROR;
		break;
	case NETSNMP_CALLBACK_OP_RESEND:
		walk_stats.retries++;
		break;
	default:
		break;
	}
	return 1;
}

/* --- walks: the kinds -------------------------------------------------- */

static struct walk *
walk_new(struct sconn *c, enum wkind kind, walk_var_fn *var,
    walk_done_fn *done, void *arg)
{
	struct walk *w;

	if (c == NULL || c->closing || (w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->ev = evtimer_new(c->base, deferred_cb, w)) == NULL) {
		free(w);
		return NULL;
	}
	w->c = c;
	w->kind = kind;
	w->var = var;
	w->done = done;
	w->arg = arg;
	w->res.rtt = NAN;
	w->starting = 1;
	w->next = c->walks;
	c->walks = w;
	return w;
}

static int
walk_columns(struct walk *w, const struct wcolumn *cols, size_t n)
{
	if (n == 0 || n > MAX_COLS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct wcol *col = &w->cols[i];

		if (cols[i].len == 0 || cols[i].len >= MAX_OID_LEN)
			return -1;
		memcpy(col->root, cols[i].oid, cols[i].len * sizeof(oid));
		col->root_len = cols[i].len;
		memcpy(col->cur, cols[i].oid, cols[i].len * sizeof(oid));
		col->cur_len = cols[i].len;
	}
	w->ncols = w->batch = n;
	return 0;
}

/* The next request of a walk: the columns (scalars) still to get. */
static void
walk_send_next(struct walk *w)
{
	netsnmp_pdu *pdu;
	int cmd;

	if (w->kind == WK_GET)
		cmd = SNMP_MSG_GET;
	else
		cmd = w->c->version == SNMP_VERSION_1 ? SNMP_MSG_GETNEXT :
		    SNMP_MSG_GETBULK;
	if ((pdu = snmp_pdu_create(cmd)) == NULL) {
		walk_end(w, W_NOMEM, "cannot make a request");
		return;
	}
	if (cmd == SNMP_MSG_GETBULK) {
		pdu->non_repeaters = 0;
		pdu->max_repetitions = w->reps;
	}
	w->nreq = 0;
	for (size_t i = 0; i < w->ncols; i++) {
		struct wcol *col = &w->cols[i];

		if (col->done)
			continue;
		if (w->nreq == w->batch)
			break;
		if (snmp_add_null_var(pdu, col->cur, col->cur_len) == NULL) {
			snmp_free_pdu(pdu);
			walk_end(w, W_NOMEM, "cannot make a request");
			return;
		}
		w->req[w->nreq++] = (int)i;
	}
	walk_send(w, pdu);
}

struct walk *
walk_get(struct sconn *c, const struct wcolumn *oids, size_t n,
    walk_var_fn *var, walk_done_fn *done, void *arg)
{
	struct walk *w = walk_new(c, WK_GET, var, done, arg);

	if (w == NULL)
		return NULL;
	if (walk_columns(w, oids, n) == -1) {
		walk_free(w);
		return NULL;
	}
	walk_send_next(w);
	w->starting = 0;
	return w;
}

struct walk *
walk_table(struct sconn *c, const struct wcolumn *cols, size_t n,
    int max_repetitions, unsigned max_rows, walk_var_fn *var,
    walk_done_fn *done, void *arg)
{
	struct walk *w = walk_new(c, WK_TABLE, var, done, arg);

	if (w == NULL)
		return NULL;
	if (walk_columns(w, cols, n) == -1) {
		walk_free(w);
		return NULL;
	}
	w->reps = w->reps0 = max_repetitions > 0 ? max_repetitions : 1;
	w->max_rows = max_rows;
	walk_send_next(w);
	w->starting = 0;
	return w;
}

struct walk *
walk_probe(struct sconn *c, walk_done_fn *done, void *arg)
{
	struct walk *w = walk_new(c, WK_PROBE, NULL, done, arg);

	if (w == NULL)
		return NULL;
	walk_stats.discoveries++;
	walk_send(w, usm_probe_pdu());
	w->starting = 0;
	return w;
}

void
walk_cancel(struct walk *w)
{
	if (w != NULL)
		walk_free(w);
}
