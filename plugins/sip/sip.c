/*
 * sip: the SIP OPTIONS probe.  Asks a SIP endpoint (a video-conference
 * unit, an MCU, a PBX) "are you there?" the way a SIP phone or proxy
 * does, and reports the answer's status code and time.
 *
 * Each round sends `count` OPTIONS requests, one at once and the others
 * spread evenly over the interval (like tcp and ping); each is its own
 * transaction (new branch, Call-ID, tag and CSeq) bounded by `timeout`.
 * rtt is the time from the request's first transmission to its final
 * response.  A 1xx is provisional: the request waits on.  Any final
 * response (200-699) means the endpoint is alive, unless the target has
 * `expect_status`: then only those codes do, and another code fails
 * the request with the code and phrase as the reason ("503 Service
 * Unavailable").  The value `status` is the last final response code of
 * the round.
 *
 * Transports (key `transport`):
 *  - "udp" (default): one unconnected UDP socket per target, opened at
 *    its first round and kept (its port is in every Via, with rport).
 *    A request is sent again after T1 = 500 ms, then 1 s, 2 s, 4 s ...
 *    capped at T2 = 4 s, and every T2 once a 1xx came (RFC 3261
 *    17.1.2.2), until its final response or `timeout`.  Datagrams from
 *    any other address than the target's are dropped, and so are
 *    malformed ones and answers to no running request.  IP_RECVERR
 *    brings ICMP errors back: "port unreachable" ends the request at
 *    once rather than at its timeout.
 *  - "tcp": one connection per request, closed after its answer; no
 *    retransmission (the transport is reliable).  Its `timeout` covers
 *    the connect too; rtt starts when the request is written.
 * One socket per target rather than one for all: the kernel then sorts
 * the datagrams by target, a target's port never changes under it, and
 * an ICMP error names the target whose socket it arrives on.
 *
 * Messages are built and parsed by libosip2's parser (sipmsg.c); a reply
 * counts only if its top (and only) Via's branch, Call-ID and CSeq are
 * those of a request still waiting, so a stray, spoofed or late answer
 * never makes a target up.
 *
 * A host name is resolved with evdns (never getaddrinfo on the loop), as
 * tcp.c does: at the first round and every RESOLVE_EVERY seconds after,
 * keeping the last good address while a refresh fails.
 *
 * Counters: sip_requests, sip_retransmissions, sip_responses,
 * sip_provisional, sip_unexpected_status, sip_timeouts,
 * sip_transport_errors, sip_malformed, sip_unmatched, sip_duplicates
 * (a final response repeated for a request already answered: normal
 * after a retransmission), sip_wrong_source, sip_dns_failures.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "tramon/plugin.h"
#include "sipmsg.h"

#ifndef RESOLVE_EVERY
#define RESOLVE_EVERY	600	/* s between resolutions of a name */
#endif
#ifndef RESOLVE_RETRY
#define RESOLVE_RETRY	60	/* s before retrying a failed refresh */
#endif
#define MAX_COUNT	1000	/* requests per round */
#define MAX_EXPECT	16	/* expect_status codes */
#define DEFAULT_PORT	5060
#define T1_NS		500000000LL	/* RFC 3261 timers */
#define T2_NS		4000000000LL
#define TCP_MAX		16384	/* bytes of answer read over TCP */
#define RECENT		32	/* answered requests remembered */
#define READ_BURST	64	/* datagrams read per wakeup */
#define UA		"tramon/" PACKAGE_VERSION

struct sip_target;
struct sround;

enum rstate { R_IDLE, R_RUNNING, R_DONE };

/* One request (transaction) of a round. */
struct sreq {
	struct sround *r;
	struct event *ev;	/* TCP: the socket */
	struct event *tmo;	/* UDP: next retransmission; TCP: deadline */
	enum rstate state;
	int fd;			/* TCP only */
	int ok;
	int code;		/* final response, 0 if none */
	char err[96];
	int64_t start_ns;	/* first transmission */
	int64_t deadline_ns;
	int64_t rexmit_ns;	/* current retransmission interval */
	unsigned sends;
	int provisional;
	int last_wait;		/* UDP: the timer is for the deadline */
	int sent_ok;		/* UDP: a transmission left */
	int send_err;		/* UDP: errno of the last failed one */
	double rtt;
	unsigned long cseq;
	char branch[SIPMSG_IDLEN];
	char call_id[SIPMSG_IDLEN];
	char *msg;		/* the request as sent */
	size_t len, off;	/* TCP: bytes written */
	char *rbuf;		/* TCP: what has been read */
	size_t rlen;
};

/* One round; kept on a spare list when finished, as in tcp.c. */
struct sround {
	struct sip_target *t;
	struct tm_round *round;	/* NULL while spare */
	struct sround *next;
	int waiting_addr;
	int failed;
	unsigned next_req;
	unsigned outstanding;
	int status;		/* last final response code, 0 if none */
	struct sreq *reqs;	/* count slots */
	struct event *spread_ev;
	struct event *done_ev;
	char error[160];
};

struct sip_target {
	const struct tm_host *host;
	char *id;
	char *name;		/* as configured */
	char *uri_host;		/* name, IPv4, or [IPv6] */
	int port;
	double interval;
	double timeout;
	unsigned count;
	int tcp;
	long expect[MAX_EXPECT];
	size_t nexpect;

	int numeric;
	int have_addr;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int64_t resolve_due_ns;
	struct evdns_getaddrinfo_request *dns_req;
	int resolving;
	char dns_error[160];

	/* UDP: the target's socket and our address as the target sees it */
	int fd;
	struct event *ev;
	int family;
	char local[INET6_ADDRSTRLEN + 2];
	int local_port;
	int local_stale;	/* the address changed: look again */

	unsigned long cseq;
	char recent[RECENT][SIPMSG_IDLEN];	/* answered branches */
	unsigned recent_next;

	struct sround *rounds;
	struct sround *spare;
};

static struct {
	uint64_t requests;
	uint64_t retransmissions;
	uint64_t responses;
	uint64_t provisional;
	uint64_t unexpected_status;
	uint64_t timeouts;
	uint64_t transport_errors;
	uint64_t malformed;
	uint64_t unmatched;
	uint64_t duplicates;
	uint64_t wrong_source;
	uint64_t dns_failures;
} g_stats;

static void udp_read_cb(evutil_socket_t, short, void *);
static void udp_timer_cb(evutil_socket_t, short, void *);
static void tcp_io_cb(evutil_socket_t, short, void *);
static void tcp_timeout_cb(evutil_socket_t, short, void *);
static void spread_cb(evutil_socket_t, short, void *);
static void done_cb(evutil_socket_t, short, void *);

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timeval
tv_ns(int64_t ns)
{
	struct timeval tv;

	if (ns < 0)
		ns = 0;
	tv.tv_sec = (time_t)(ns / 1000000000);
	tv.tv_usec = (suseconds_t)(ns % 1000000000 / 1000);
	return tv;
}

static const char *
errtext(int err)
{
	switch (err) {
	case ETIMEDOUT:
		return "timeout";
	case ECONNREFUSED:
		return "connection refused";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	case ECONNRESET:
		return "connection reset";
	case EPIPE:
		return "connection closed";
	default:
		return strerror(err);
	}
}

/* --- addresses (as tcp.c) ------------------------------------------------ */

static int
valid_hostname(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

static int
parse_numeric(struct sip_target *t)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(t->name, NULL, &hints, &res) != 0)
		return 0;
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 1;
}

static void
set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* "192.0.2.1" or "[2001:db8::1]", and the port. */
static int
addr_text(const struct sockaddr_storage *ss, char *buf, size_t size,
    int *port)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		if (inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)) == NULL)
			return -1;
		*port = ntohs(sin->sin_port);
		snprintf(buf, size, "%s", a);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		if (inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a)) ==
		    NULL)
			return -1;
		*port = ntohs(sin6->sin6_port);
		snprintf(buf, size, "[%s]", a);
	}
	return 0;
}

/* Same address and port: where an answer must come from. */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr,
		    sizeof(x->sin6_addr)) == 0;
	}
	return 0;
}

/* --- the UDP socket ------------------------------------------------------ */

static void
udp_close(struct sip_target *t)
{
	if (t->ev != NULL) {
		event_free(t->ev);
		t->ev = NULL;
	}
	if (t->fd != -1) {
		close(t->fd);
		t->fd = -1;
	}
}

/* Our address as seen from the target: what the route to it would use.
 * connect() on a datagram socket sends nothing and does not block. */
static int
udp_local(struct sip_target *t)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, port, rc = -1;

	fd = socket(t->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&t->addr, t->addrlen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		rc = addr_text(&ss, t->local, sizeof(t->local), &port);
	close(fd);
	return rc;
}

static int
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* The target's socket, open and on the loop: 0, or -1 with errno. */
static int
udp_open(struct sip_target *t)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1, family = t->addr.ss_family, save;

	if (t->fd != -1 && t->family == family && !t->local_stale)
		return 0;
	udp_close(t);
	if (udp_local(t) == -1)
		return -1;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* ICMP errors on the error queue: "port unreachable" at once */
	if (family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	else
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on,
		    sizeof(on));
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	len = family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	/* a port of our own now: it goes into every Via */
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		goto fail;
	t->local_port = port_of(&ss);
	t->ev = event_new(t->host->base, fd, EV_READ | EV_PERSIST,
	    udp_read_cb, t);
	if (t->ev == NULL || event_add(t->ev, NULL) == -1) {
		errno = ENOMEM;
		goto fail;
	}
	t->fd = fd;
	t->family = family;
	t->local_stale = 0;
	t->host->log(LOG_DEBUG, "sip: %s: UDP from %s:%d", t->id, t->local,
	    t->local_port);
	return 0;
fail:
	save = errno;
	if (t->ev != NULL) {
		event_free(t->ev);
		t->ev = NULL;
	}
	close(fd);
	errno = save;
	return -1;
}

/* --- requests ------------------------------------------------------------ */

static void
remember(struct sip_target *t, const char *branch)
{
	memcpy(t->recent[t->recent_next], branch, SIPMSG_IDLEN);
	t->recent_next = (t->recent_next + 1) % RECENT;
}

static int
recently_answered(const struct sip_target *t, const char *branch)
{
	for (unsigned i = 0; i < RECENT; i++)
		if (t->recent[i][0] != '\0' &&
		    strcmp(t->recent[i], branch) == 0)
			return 1;
	return 0;
}

static void maybe_done(struct sround *);

/* Stop whatever the request has going; its slot keeps the outcome. */
static void
req_stop(struct sreq *c)
{
	if (c->ev != NULL)
		event_del(c->ev);
	if (c->tmo != NULL)
		evtimer_del(c->tmo);
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	free(c->msg);
	c->msg = NULL;
	free(c->rbuf);
	c->rbuf = NULL;
	c->rlen = 0;
}

/* End a request: with a final response `code` (err NULL), or not. */
static void
req_finish(struct sreq *c, int code, const char *phrase, const char *err)
{
	struct sround *r = c->r;
	struct sip_target *t = r->t;

	if (c->state != R_RUNNING)
		return;
	req_stop(c);
	c->state = R_DONE;
	c->code = code;
	if (code >= 200) {
		int ok = t->nexpect == 0;

		for (size_t i = 0; i < t->nexpect && !ok; i++)
			ok = t->expect[i] == code;
		c->rtt = (double)(mono_ns() - c->start_ns) / 1e9;
		r->status = code;
		g_stats.responses++;
		if (ok)
			c->ok = 1;
		else {
			g_stats.unexpected_status++;
			snprintf(c->err, sizeof(c->err), "%d%s%s", code,
			    phrase && *phrase ? " " : "", phrase ? phrase : "");
		}
		if (!t->tcp)
			remember(t, c->branch);
	} else
		snprintf(c->err, sizeof(c->err), "%s", err ? err : "failed");
	t->host->log(LOG_DEBUG, "sip: %s: CSeq %lu: %s after %u "
	    "transmission(s)", t->id, c->cseq, c->ok ? "answered" : c->err,
	    c->sends);
	if (r->outstanding > 0)
		r->outstanding--;
	maybe_done(r);
}

static void
req_fail_errno(struct sreq *c, int err)
{
	if (err == ETIMEDOUT)
		g_stats.timeouts++;
	else
		g_stats.transport_errors++;
	req_finish(c, 0, NULL, errtext(err));
}

/* A response for request c (matched): provisional or final. */
static void
req_response(struct sreq *c, const struct sipmsg_resp *resp)
{
	if (resp->code < 200) {
		g_stats.provisional++;
		c->provisional = 1;
		return;
	}
	req_finish(c, resp->code, resp->phrase, NULL);
}

/* New identifiers for a request: a fresh transaction. */
static void
req_ids(struct sreq *c)
{
	struct sip_target *t = c->r->t;

	memcpy(c->branch, SIPMSG_MAGIC, sizeof(SIPMSG_MAGIC) - 1);
	sipmsg_random_hex(c->branch + sizeof(SIPMSG_MAGIC) - 1, 24);
	sipmsg_random_hex(c->call_id, 32);
	if (++t->cseq > 0x7fffffffUL)
		t->cseq = 1;
	c->cseq = t->cseq;
}

static int
req_build(struct sreq *c, const char *local, int local_port)
{
	struct sip_target *t = c->r->t;
	char tag[17];
	struct sipmsg_req q = {
		.transport = t->tcp ? "TCP" : "UDP",
		.host = t->uri_host,
		.port = t->port,
		.local = local,
		.local_port = local_port,
		.branch = c->branch,
		.call_id = c->call_id,
		.from_tag = tag,
		.cseq = c->cseq,
		.user_agent = UA,
	};

	sipmsg_random_hex(tag, 16);
	return sipmsg_options(&q, &c->msg, &c->len);
}

/* UDP: (re)transmit.  A send error is not final: the next try may go. */
static void
udp_send(struct sreq *c)
{
	struct sip_target *t = c->r->t;

	c->sends++;
	if (sendto(t->fd, c->msg, c->len, 0, (struct sockaddr *)&t->addr,
	    t->addrlen) == -1) {
		c->send_err = errno;
		t->host->log(LOG_DEBUG, "sip: %s: sendto: %s", t->id,
		    strerror(errno));
	} else
		c->sent_ok = 1;
}

/* Arm the timer for the next retransmission, or the deadline if nearer. */
static void
udp_arm(struct sreq *c)
{
	int64_t now = mono_ns(), wait = c->rexmit_ns;
	struct timeval tv;

	/* no transmission at the deadline: nothing could answer it */
	c->last_wait = now + wait >= c->deadline_ns;
	if (c->last_wait)
		wait = c->deadline_ns - now;
	tv = tv_ns(wait);
	evtimer_add(c->tmo, &tv);
}

static void
udp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sreq *c = arg;

	if (c->state != R_RUNNING)
		return;
	if (c->last_wait) {
		/* nothing ever left ("network unreachable"): say so */
		req_fail_errno(c, !c->sent_ok && c->send_err ? c->send_err :
		    ETIMEDOUT);
		return;
	}
	/* 17.1.2.2: doubling to T2; every T2 once a 1xx came */
	c->rexmit_ns = c->provisional ? T2_NS : c->rexmit_ns * 2;
	if (c->rexmit_ns > T2_NS)
		c->rexmit_ns = T2_NS;
	g_stats.retransmissions++;
	udp_send(c);
	udp_arm(c);
}

static void
udp_start(struct sreq *c)
{
	struct sip_target *t = c->r->t;

	if (udp_open(t) == -1) {
		int err = errno;

		t->host->log(LOG_WARNING, "sip: %s: UDP socket: %s", t->id,
		    strerror(err));
		req_fail_errno(c, err);
		return;
	}
	if (req_build(c, t->local, t->local_port) == -1) {
		req_finish(c, 0, NULL, "cannot build the request");
		return;
	}
	event_assign(c->tmo, t->host->base, -1, 0, udp_timer_cb, c);
	c->start_ns = mono_ns();
	c->deadline_ns = c->start_ns + (int64_t)(t->timeout * 1e9);
	c->rexmit_ns = T1_NS;
	udp_send(c);
	udp_arm(c);
}

/* The running UDP request a response answers, or NULL. */
static struct sreq *
find_req(struct sip_target *t, const struct sipmsg_resp *resp)
{
	for (struct sround *r = t->rounds; r != NULL; r = r->next)
		for (unsigned i = 0; i < r->next_req; i++) {
			struct sreq *c = &r->reqs[i];

			if (c->state == R_RUNNING && sipmsg_match(resp,
			    c->branch, c->call_id, c->cseq))
				return c;
		}
	return NULL;
}

/* One message from the target (a datagram, or framed off TCP). */
static void
got_message(struct sip_target *t, struct sreq *only, const char *buf,
    size_t len)
{
	struct sipmsg_resp resp;
	struct sreq *c;

	if (sipmsg_parse(buf, len, &resp) == -1) {
		g_stats.malformed++;
		t->host->log(LOG_DEBUG, "sip: %s: malformed message of %zu "
		    "bytes dropped", t->id, len);
		return;
	}
	if (only != NULL)
		c = sipmsg_match(&resp, only->branch, only->call_id,
		    only->cseq) ? only : NULL;
	else
		c = find_req(t, &resp);
	if (c == NULL) {
		if (resp.code >= 200 && recently_answered(t, resp.branch))
			g_stats.duplicates++;
		else {
			g_stats.unmatched++;
			t->host->log(LOG_DEBUG, "sip: %s: unmatched %d "
			    "response dropped", t->id, resp.code);
		}
		return;
	}
	req_response(c, &resp);
}

/* An ICMP error for the target: the requests it concerns fail.  The
 * error queue hands back (the start of) the datagram that caused it:
 * a request whose branch is in there, else every request waiting. */
static void
udp_icmp(struct sip_target *t, int err, const char *payload, size_t len)
{
	struct sround *r, *next;
	int found = 0;

	for (int pass = 0; pass < 2 && !found; pass++)
		for (r = t->rounds; r != NULL; r = next) {
			next = r->next;
			for (unsigned i = 0; i < r->next_req; i++) {
				struct sreq *c = &r->reqs[i];

				if (c->state != R_RUNNING)
					continue;
				if (pass == 0 && (len == 0 || memmem(payload,
				    len, c->branch, strlen(c->branch)) ==
				    NULL))
					continue;
				found = 1;
				if (err == ECONNREFUSED) {
					g_stats.transport_errors++;
					req_finish(c, 0, NULL,
					    "port unreachable");
				} else
					req_fail_errno(c, err);
			}
		}
}

static void
udp_errqueue(struct sip_target *t)
{
	for (int n = 0; n < READ_BURST; n++) {
		char buf[2048], ctl[512];
		struct sockaddr_storage from;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg;
		struct cmsghdr *cm;
		ssize_t got;

		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		if ((got = recvmsg(t->fd, &msg, MSG_ERRQUEUE |
		    MSG_DONTWAIT)) == -1)
			return;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			struct sock_extended_err *ee;

			if (!((cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_RECVERR) ||
			    (cm->cmsg_level == IPPROTO_IPV6 &&
			    cm->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(cm);
			if (ee->ee_origin != SO_EE_ORIGIN_ICMP &&
			    ee->ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			/* unreachables only; not e.g. "fragmentation
			 * needed", which the kernel deals with */
			if (ee->ee_errno != ECONNREFUSED &&
			    ee->ee_errno != EHOSTUNREACH &&
			    ee->ee_errno != ENETUNREACH &&
			    ee->ee_errno != EHOSTDOWN &&
			    ee->ee_errno != EACCES)
				continue;
			/* msg_name: where the failed datagram was going */
			if (!same_addr(&from, &t->addr))
				continue;
			udp_icmp(t, (int)ee->ee_errno, buf, (size_t)got);
		}
	}
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sip_target *t = arg;
	static char buf[65536];

	for (int n = 0; n < READ_BURST; n++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t got;

		got = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen);
		if (got == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* a pending ICMP error; the queue below says which */
			continue;
		}
		if (!same_addr(&from, &t->addr)) {
			g_stats.wrong_source++;
			continue;
		}
		got_message(t, NULL, buf, (size_t)got);
	}
	udp_errqueue(t);
}

/* --- TCP ------------------------------------------------------------------- */

static void
tcp_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	req_fail_errno(arg, ETIMEDOUT);
}

/* Connected: build the request with the connection's own address. */
static int
tcp_connected(struct sreq *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char local[INET6_ADDRSTRLEN + 2];
	int port;

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == -1 ||
	    addr_text(&ss, local, sizeof(local), &port) == -1)
		return -1;
	if (req_build(c, local, port) == -1) {
		req_finish(c, 0, NULL, "cannot build the request");
		return 1;
	}
	c->off = 0;
	return 0;
}

static void
tcp_write(struct sreq *c)
{
	struct sip_target *t = c->r->t;
	ssize_t n;

	if (c->sends == 0) {
		c->sends = 1;
		c->start_ns = mono_ns();
	}
	n = send(c->fd, c->msg + c->off, c->len - c->off, MSG_NOSIGNAL);
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			req_fail_errno(c, errno);
		return;
	}
	c->off += (size_t)n;
	if (c->off < c->len)
		return;
	event_del(c->ev);
	event_assign(c->ev, t->host->base, c->fd, EV_READ | EV_PERSIST,
	    tcp_io_cb, c);
	event_add(c->ev, NULL);
}

static void
tcp_read(struct sreq *c)
{
	struct sip_target *t = c->r->t;
	ssize_t n, m;

	if (c->rbuf == NULL && (c->rbuf = malloc(TCP_MAX)) == NULL) {
		req_fail_errno(c, ENOMEM);
		return;
	}
	n = recv(c->fd, c->rbuf + c->rlen, TCP_MAX - c->rlen, 0);
	if (n == 0) {
		req_fail_errno(c, EPIPE);
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			req_fail_errno(c, errno);
		return;
	}
	c->rlen += (size_t)n;
	/* whole messages: a 1xx, then the final one (or junk) */
	while (c->state == R_RUNNING &&
	    (m = sipmsg_frame(c->rbuf, c->rlen, TCP_MAX)) != 0) {
		if (m < 0) {
			/* no way to find the next message in the stream */
			g_stats.malformed++;
			req_finish(c, 0, NULL, "malformed response");
			return;
		}
		got_message(t, c, c->rbuf, (size_t)m);
		if (c->state != R_RUNNING)
			return;
		memmove(c->rbuf, c->rbuf + m, c->rlen - (size_t)m);
		c->rlen -= (size_t)m;
	}
}

static void
tcp_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sreq *c = arg;

	if (c->state != R_RUNNING)
		return;
	if (c->msg == NULL) {
		/* the connect's outcome */
		socklen_t len = sizeof(int);
		int err = 0, rc;

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			req_fail_errno(c, err);
			return;
		}
		if ((rc = tcp_connected(c)) != 0) {
			if (rc < 0)
				req_fail_errno(c, errno);
			return;
		}
	}
	if (what & EV_WRITE)
		tcp_write(c);
	else if (what & EV_READ)
		tcp_read(c);
}

static void
tcp_start(struct sreq *c)
{
	struct sip_target *t = c->r->t;
	struct timeval tv = tv_ns((int64_t)(t->timeout * 1e9));
	int fd;

	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1) {
		t->host->log(LOG_WARNING, "sip: %s: socket: %s", t->id,
		    strerror(errno));
		req_fail_errno(c, errno);
		return;
	}
	c->fd = fd;
	c->start_ns = mono_ns();
	c->deadline_ns = c->start_ns + (int64_t)(t->timeout * 1e9);
	if (connect(fd, (struct sockaddr *)&t->addr, t->addrlen) == -1 &&
	    errno != EINPROGRESS) {
		req_fail_errno(c, errno);
		return;
	}
	event_assign(c->tmo, t->host->base, -1, 0, tcp_timeout_cb, c);
	evtimer_add(c->tmo, &tv);
	/* writable once connected (or failed): tcp_io_cb sorts it out */
	event_assign(c->ev, t->host->base, fd, EV_WRITE | EV_PERSIST,
	    tcp_io_cb, c);
	event_add(c->ev, NULL);
}

/* --- rounds (as tcp.c) ----------------------------------------------------- */

static void
round_free(struct sround *r)
{
	if (r == NULL)
		return;
	if (r->spread_ev)
		event_free(r->spread_ev);
	if (r->done_ev)
		event_free(r->done_ev);
	if (r->reqs != NULL)
		for (unsigned i = 0; i < r->t->count; i++) {
			if (r->reqs[i].ev)
				event_free(r->reqs[i].ev);
			if (r->reqs[i].tmo)
				event_free(r->reqs[i].tmo);
		}
	free(r->reqs);
	free(r);
}

static struct sround *
round_get(struct sip_target *t)
{
	struct event_base *base = t->host->base;
	struct sround *r;

	if ((r = t->spare) != NULL) {
		t->spare = r->next;
		return r;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->t = t;
	r->reqs = calloc(t->count, sizeof(*r->reqs));
	r->spread_ev = evtimer_new(base, spread_cb, r);
	r->done_ev = evtimer_new(base, done_cb, r);
	if (r->reqs == NULL || r->spread_ev == NULL || r->done_ev == NULL)
		goto fail;
	for (unsigned i = 0; i < t->count; i++) {
		struct sreq *c = &r->reqs[i];

		c->r = r;
		c->fd = -1;
		/* set up by event_assign() when the request starts */
		c->ev = event_new(base, -1, 0, tcp_io_cb, c);
		c->tmo = evtimer_new(base, udp_timer_cb, c);
		if (c->ev == NULL || c->tmo == NULL)
			goto fail;
	}
	return r;
fail:
	round_free(r);
	return NULL;
}

static void
round_put(struct sround *r)
{
	struct sip_target *t = r->t;

	for (struct sround **pp = &t->rounds; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	evtimer_del(r->spread_ev);
	evtimer_del(r->done_ev);
	for (unsigned i = 0; i < t->count; i++) {
		req_stop(&r->reqs[i]);
		r->reqs[i].state = R_IDLE;
	}
	r->round = NULL;
	r->waiting_addr = r->failed = 0;
	r->next_req = r->outstanding = 0;
	r->status = 0;
	r->next = t->spare;
	t->spare = r;
}

/* Finish the round from the loop, never from inside start(). */
static void
maybe_done(struct sround *r)
{
	static const struct timeval now = { 0, 0 };

	if (r->round == NULL || r->waiting_addr)
		return;
	if (r->failed ||
	    (r->next_req == r->t->count && r->outstanding == 0))
		evtimer_add(r->done_ev, &now);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sround *r = arg;
	struct sip_target *t = r->t;
	const struct tm_host *host = t->host;
	struct tm_round *round = r->round;
	double rtt[MAX_COUNT], value;
	char error[sizeof(r->error)];
	const char *last_err = "timeout";
	struct tm_result res;

	if (round == NULL)
		return;
	memset(&res, 0, sizeof(res));
	if (r->failed) {
		res.sent = t->count;
		snprintf(error, sizeof(error), "%s", r->error);
	} else {
		for (unsigned i = 0; i < r->next_req; i++) {
			struct sreq *c = &r->reqs[i];

			if (c->ok)
				rtt[res.received++] = c->rtt;
			else if (c->err[0] != '\0')
				last_err = c->err;
		}
		res.sent = r->next_req;
		snprintf(error, sizeof(error), "%s", last_err);
	}
	value = r->status ? (double)r->status : NAN;
	res.rtt = rtt;
	res.values = &value;
	res.error = res.received == 0 ? error : NULL;
	/* Done with r and t before the core runs: it may start the next
	 * round or even release the target from round_done(). */
	round_put(r);
	host->round_done(round, &res);
}

static void
start_req(struct sround *r)
{
	struct sip_target *t = r->t;
	struct sreq *c = &r->reqs[r->next_req++];

	c->ok = c->code = c->provisional = 0;
	c->sent_ok = c->send_err = 0;
	c->sends = 0;
	c->rtt = 0;
	c->err[0] = '\0';
	c->state = R_RUNNING;
	r->outstanding++;
	g_stats.requests++;
	req_ids(c);
	if (t->tcp)
		tcp_start(c);
	else
		udp_start(c);
}

static void
spread_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sround *r = arg;
	struct sip_target *t = r->t;

	if (r->round == NULL || r->next_req >= t->count)
		return;
	start_req(r);
	if (r->round != NULL && r->next_req < t->count) {
		struct timeval tv = tv_ns((int64_t)(t->interval / t->count *
		    1e9));

		evtimer_add(r->spread_ev, &tv);
	}
	maybe_done(r);
}

static void
begin_requests(struct sround *r)
{
	r->waiting_addr = 0;
	spread_cb(-1, EV_TIMEOUT, r);
}

static void
round_fail(struct sround *r)
{
	snprintf(r->error, sizeof(r->error), "%s", r->t->dns_error[0] ?
	    r->t->dns_error : "no address");
	r->waiting_addr = 0;
	r->failed = 1;
	maybe_done(r);
}

/* --- name resolution (as tcp.c) ------------------------------------------- */

static void
dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct sip_target *t = arg;
	int64_t now = mono_ns();
	struct sround *r, *next;

	if (result == EVUTIL_EAI_CANCEL) {
		if (res)
			evutil_freeaddrinfo(res);
		return;
	}
	t->resolving = 0;
	t->dns_req = NULL;
	if (result != 0 || res == NULL ||
	    res->ai_addrlen > sizeof(t->addr)) {
		g_stats.dns_failures++;
		snprintf(t->dns_error, sizeof(t->dns_error),
		    "cannot resolve %s: %s", t->name, result ?
		    evutil_gai_strerror(result) : "no address");
		t->host->log(t->have_addr ? LOG_WARNING : LOG_ERR,
		    "sip: %s: %s%s", t->id, t->dns_error, t->have_addr ?
		    " (keeping the last address)" : "");
		t->resolve_due_ns = now + (int64_t)RESOLVE_RETRY * 1000000000;
	} else {
		struct sockaddr_storage old = t->addr;
		char a[INET6_ADDRSTRLEN + 2] = "?";
		int port;

		memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
		t->addrlen = (socklen_t)res->ai_addrlen;
		set_port(&t->addr, t->port);
		if (!t->have_addr || !same_addr(&old, &t->addr))
			t->local_stale = 1;
		t->have_addr = 1;
		t->resolve_due_ns = now + (int64_t)RESOLVE_EVERY * 1000000000;
		(void)addr_text(&t->addr, a, sizeof(a), &port);
		t->host->log(LOG_DEBUG, "sip: %s: %s is %s", t->id, t->name, a);
	}
	if (res)
		evutil_freeaddrinfo(res);
	for (r = t->rounds; r != NULL; r = next) {
		next = r->next;
		if (!r->waiting_addr)
			continue;
		if (t->have_addr)
			begin_requests(r);
		else
			round_fail(r);
	}
}

static void
resolve(struct sip_target *t)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct evdns_base *dns = t->host->resolver();

	if (dns == NULL) {
		t->host->log(LOG_ERR, "sip: %s: cannot start the resolver",
		    t->id);
		dns_cb(EVUTIL_EAI_FAIL, NULL, t);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = t->tcp ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_protocol = t->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	t->resolving = 1;
	req = evdns_getaddrinfo(dns, t->name, NULL, &hints, dns_cb, t);
	if (t->resolving)
		t->dns_req = req;
}

static void
resolve_cancel(struct sip_target *t)
{
	if (t->resolving && t->dns_req != NULL) {
		t->resolving = 0;
		evdns_getaddrinfo_cancel(t->dns_req);
		t->dns_req = NULL;
	}
}

/* --- configuration --------------------------------------------------------- */

static const char *const sip_keys[] = { "transport", "expect_status", NULL };

static const struct tm_value_def sip_values[] = {
	{ "status", 100, 699, TM_GAUGE },
};

static int
conf_transport(const struct tm_host *host, struct tm_cfg *cfg,
    struct sip_target *t)
{
	const char *s;
	int rc = host->cfg_string(cfg, "transport", &s);

	if (rc <= 0)
		return rc;
	if (strcmp(s, "udp") == 0)
		t->tcp = 0;
	else if (strcmp(s, "tcp") == 0)
		t->tcp = 1;
	else {
		host->cfg_error(cfg, "transport", "\"%s\" is neither \"udp\" "
		    "nor \"tcp\"", s);
		return -1;
	}
	return 1;
}

/* An integer or a list of them, 200..699. */
static int
conf_expect(const struct tm_host *host, struct tm_cfg *cfg,
    struct sip_target *t)
{
	const long *v;
	size_t n;
	int rc = host->cfg_ints(cfg, "expect_status", &v, &n, 200, 699);

	if (rc <= 0)
		return rc;
	if (n == 0 || n > MAX_EXPECT) {
		host->cfg_error(cfg, "expect_status", "give 1 to %d status "
		    "codes", MAX_EXPECT);
		return -1;
	}
	memcpy(t->expect, v, n * sizeof(*v));
	t->nexpect = n;
	return 1;
}

static void
target_free(struct sip_target *t)
{
	free(t->id);
	free(t->name);
	free(t->uri_host);
	free(t);
}

/* A request can be made for this host (a URI can hold it). */
static int
uri_ok(const struct sip_target *t)
{
	struct sipmsg_req q = {
		.transport = "UDP", .host = t->uri_host, .port = t->port,
		.local = "192.0.2.1", .local_port = 5060,
		.branch = SIPMSG_MAGIC "0", .call_id = "0", .from_tag = "0",
		.cseq = 1, .user_agent = UA,
	};
	char *msg;
	size_t len;

	if (sipmsg_options(&q, &msg, &len) == -1)
		return 0;
	free(msg);
	return 1;
}

static int
sip_init(const struct tm_host *host)
{
	sipmsg_init();
	return 0;
}

static void *
sip_configure(const struct tm_host *host, struct tm_cfg *cfg,
    const struct tm_target_conf *tc)
{
	static int parser_ready;
	struct sip_target *t;
	int bad = 0;

	/* `tramond -n` configures without init() */
	if (!parser_ready) {
		sipmsg_init();
		parser_ready = 1;
	}
	if (tc->host == NULL || tc->host[0] == '\0') {
		host->cfg_error(cfg, "host", "a sip target needs a host "
		    "(an address or a name)");
		bad = 1;
	}
	if (tc->port < 0 || tc->port > 65535) {
		host->cfg_error(cfg, "port", "port %d is not in 1..65535",
		    tc->port);
		bad = 1;
	}
	if (tc->count < 1 || tc->count > MAX_COUNT) {
		host->cfg_error(cfg, "count", "count must be 1..%d for a sip "
		    "target", MAX_COUNT);
		bad = 1;
	}
	if (!(tc->timeout > 0) || !(tc->interval > 0)) {
		host->cfg_error(cfg, "timeout", "timeout and interval must be "
		    "positive");
		bad = 1;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		host->cfg_error(cfg, NULL, "out of memory");
		return NULL;
	}
	t->fd = -1;
	if (conf_transport(host, cfg, t) < 0)
		bad = 1;
	if (conf_expect(host, cfg, t) < 0)
		bad = 1;
	if (bad) {
		target_free(t);
		return NULL;
	}
	t->host = host;
	t->port = tc->port ? tc->port : DEFAULT_PORT;
	t->interval = tc->interval;
	t->timeout = tc->timeout;
	t->count = tc->count;
	t->id = strdup(tc->id ? tc->id : "?");
	t->name = strdup(tc->host);
	if (t->id == NULL || t->name == NULL)
		goto nomem;
	if (parse_numeric(t)) {
		t->numeric = t->have_addr = 1;
		set_port(&t->addr, t->port);
		t->local_stale = 1;
		if (t->addr.ss_family == AF_INET6) {
			char a[INET6_ADDRSTRLEN + 2];
			int port;

			/* without a %scope: the URI has no place for it */
			(void)addr_text(&t->addr, a, sizeof(a), &port);
			t->uri_host = strdup(a);
		} else
			t->uri_host = strdup(t->name);
	} else if (valid_hostname(t->name))
		t->uri_host = strdup(t->name);
	else {
		host->cfg_error(cfg, "host", "\"%s\" is neither an IP address "
		    "nor a host name", t->name);
		target_free(t);
		return NULL;
	}
	if (t->uri_host == NULL)
		goto nomem;
	if (!uri_ok(t)) {
		host->cfg_error(cfg, "host", "\"%s\" cannot be used in a SIP "
		    "URI", t->name);
		target_free(t);
		return NULL;
	}
	return t;
nomem:
	host->cfg_error(cfg, NULL, "out of memory");
	target_free(t);
	return NULL;
}

/* --- the ABI ----------------------------------------------------------- */

static void
sip_start(void *arg, struct tm_round *round)
{
	struct sip_target *t = arg;
	struct sround *r;

	if ((r = round_get(t)) == NULL) {
		t->host->log(LOG_ERR, "sip: %s: out of memory; round lost",
		    t->id);
		return;
	}
	r->round = round;
	r->next = t->rounds;
	t->rounds = r;
	if (!t->numeric && !t->resolving && mono_ns() >= t->resolve_due_ns)
		resolve(t);	/* may answer at once (/etc/hosts) */
	if (r->round == NULL || r->next_req > 0 || r->failed)
		return;
	if (t->have_addr)
		begin_requests(r);
	else if (t->resolving)
		r->waiting_addr = 1;
	else
		round_fail(r);
}

static void
sip_cancel(void *arg, struct tm_round *round)
{
	struct sip_target *t = arg;

	for (struct sround *r = t->rounds; r != NULL; r = r->next)
		if (r->round == round) {
			round_put(r);
			return;
		}
}

static void
sip_release(void *arg)
{
	struct sip_target *t = arg;
	struct sround *r;

	if (t == NULL)
		return;
	resolve_cancel(t);
	while (t->rounds != NULL)
		round_put(t->rounds);
	while ((r = t->spare) != NULL) {
		t->spare = r->next;
		round_free(r);
	}
	udp_close(t);
	target_free(t);
}

static void
sip_counters(void (*emit)(void *, const char *, uint64_t), void *arg)
{
	emit(arg, "sip_requests", g_stats.requests);
	emit(arg, "sip_retransmissions", g_stats.retransmissions);
	emit(arg, "sip_responses", g_stats.responses);
	emit(arg, "sip_provisional", g_stats.provisional);
	emit(arg, "sip_unexpected_status", g_stats.unexpected_status);
	emit(arg, "sip_timeouts", g_stats.timeouts);
	emit(arg, "sip_transport_errors", g_stats.transport_errors);
	emit(arg, "sip_malformed", g_stats.malformed);
	emit(arg, "sip_unmatched", g_stats.unmatched);
	emit(arg, "sip_duplicates", g_stats.duplicates);
	emit(arg, "sip_wrong_source", g_stats.wrong_source);
	emit(arg, "sip_dns_failures", g_stats.dns_failures);
}

static void
sip_shutdown(void)
{
}

const struct tm_probe_ops tramon_probe = {
	.abi = TM_PLUGIN_ABI,
	.name = "sip",
	.flags = 0,
	.keys = sip_keys,
	.values = sip_values,
	.nvalues = sizeof(sip_values) / sizeof(sip_values[0]),
	.init = sip_init,
	.configure = sip_configure,
	.start = sip_start,
	.cancel = sip_cancel,
	.release = sip_release,
	.counters = sip_counters,
	.shutdown = sip_shutdown,
};
