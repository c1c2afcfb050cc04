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
 * Rounds, their pacing and the target's address (a name resolved with
 * evdns, never getaddrinfo on the loop) are plugins/common/paced.c's, as
 * for tcp.c; this file is the transaction.
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
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "tramon/plugin.h"
#include "paced.h"
#include "sipmsg.h"

#define MAX_EXPECT	16	/* expect_status codes */
#define DEFAULT_PORT	5060
#define T1_NS		500000000LL	/* RFC 3261 timers */
#define T2_NS		4000000000LL
#define TCP_MAX		16384	/* bytes of answer read over TCP */
#define RECENT		32	/* answered requests remembered */
#define READ_BURST	64	/* datagrams read per wakeup */
#define UA		"tramon/" PACKAGE_VERSION

enum rstate { R_IDLE, R_RUNNING, R_DONE };

/* One request (transaction) of a round. */
struct sreq {
	struct pround *r;
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

/* A target: paced.c's part first (r->t is the sip_target), then ours. */
struct sip_target {
	struct paced p;
	char *uri_host;		/* name, IPv4, or [IPv6] */
	int tcp;
	long expect[MAX_EXPECT];
	size_t nexpect;

	/* UDP: the target's socket and our address as the target sees it */
	int fd;
	struct event *ev;
	int family;
	char local[INET6_ADDRSTRLEN + 2];
	int local_port;

	unsigned long cseq;
	char recent[RECENT][SIPMSG_IDLEN];	/* answered branches */
	unsigned recent_next;
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
} g_stats;

static void udp_read_cb(evutil_socket_t, short, void *);
static void udp_timer_cb(evutil_socket_t, short, void *);
static void tcp_io_cb(evutil_socket_t, short, void *);
static void tcp_timeout_cb(evutil_socket_t, short, void *);

/* The request's target: struct paced is its first member. */
static struct sip_target *
target_of(const struct sreq *c)
{
	return (struct sip_target *)c->r->t;
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

	fd = socket(t->p.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&t->p.addr, t->p.addrlen) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		rc = paced_addr_text(&ss, t->local, sizeof(t->local), &port);
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
	int fd, on = 1, family = t->p.addr.ss_family, save;

	if (t->fd != -1 && t->family == family && !t->p.addr_changed)
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
	t->ev = event_new(t->p.host->base, fd, EV_READ | EV_PERSIST,
	    udp_read_cb, t);
	if (t->ev == NULL || event_add(t->ev, NULL) == -1) {
		errno = ENOMEM;
		goto fail;
	}
	t->fd = fd;
	t->family = family;
	t->p.addr_changed = 0;
	t->p.host->log(LOG_DEBUG, "sip: %s: UDP from %s:%d", t->p.id, t->local,
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
	struct pround *r = c->r;
	struct sip_target *t = target_of(c);

	if (c->state != R_RUNNING)
		return;
	req_stop(c);
	c->state = R_DONE;
	c->code = code;
	if (code >= 200) {
		int ok = t->nexpect == 0;

		for (size_t i = 0; i < t->nexpect && !ok; i++)
			ok = t->expect[i] == code;
		c->rtt = (double)(paced_now_ns() - c->start_ns) / 1e9;
		r->value = code;
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
	t->p.host->log(LOG_DEBUG, "sip: %s: CSeq %lu: %s after %u "
	    "transmission(s)", t->p.id, c->cseq, c->ok ? "answered" : c->err,
	    c->sends);
	paced_req_done(r);
}

static void
req_fail_errno(struct sreq *c, int err)
{
	if (err == ETIMEDOUT)
		g_stats.timeouts++;
	else
		g_stats.transport_errors++;
	req_finish(c, 0, NULL, paced_errtext(err));
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
	struct sip_target *t = target_of(c);

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
	struct sip_target *t = target_of(c);
	char tag[17];
	struct sipmsg_req q = {
		.transport = t->tcp ? "TCP" : "UDP",
		.host = t->uri_host,
		.port = t->p.port,
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
	struct sip_target *t = target_of(c);

	c->sends++;
	if (sendto(t->fd, c->msg, c->len, 0, (struct sockaddr *)&t->p.addr,
	    t->p.addrlen) == -1) {
		c->send_err = errno;
		t->p.host->log(LOG_DEBUG, "sip: %s: sendto: %s", t->p.id,
		    strerror(errno));
	} else
		c->sent_ok = 1;
}

/* Arm the timer for the next retransmission, or the deadline if nearer. */
static void
udp_arm(struct sreq *c)
{
	int64_t now = paced_now_ns(), wait = c->rexmit_ns;
	struct timeval tv;

	/* no transmission at the deadline: nothing could answer it */
	c->last_wait = now + wait >= c->deadline_ns;
	if (c->last_wait)
		wait = c->deadline_ns - now;
	tv = paced_tv((double)wait / 1e9);
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
	struct sip_target *t = target_of(c);

	if (udp_open(t) == -1) {
		int err = errno;

		t->p.host->log(LOG_WARNING, "sip: %s: UDP socket: %s", t->p.id,
		    strerror(err));
		req_fail_errno(c, err);
		return;
	}
	if (req_build(c, t->local, t->local_port) == -1) {
		req_finish(c, 0, NULL, "cannot build the request");
		return;
	}
	event_assign(c->tmo, t->p.host->base, -1, 0, udp_timer_cb, c);
	c->start_ns = paced_now_ns();
	c->deadline_ns = c->start_ns + (int64_t)(t->p.timeout * 1e9);
	c->rexmit_ns = T1_NS;
	udp_send(c);
	udp_arm(c);
}

/* The running UDP request a response answers, or NULL. */
static struct sreq *
find_req(struct sip_target *t, const struct sipmsg_resp *resp)
{
	for (struct pround *r = t->p.rounds; r != NULL; r = r->next)
		for (unsigned i = 0; i < r->started; i++) {
			struct sreq *c = paced_slot(r, i);

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
		t->p.host->log(LOG_DEBUG, "sip: %s: malformed message of %zu "
		    "bytes dropped", t->p.id, len);
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
			t->p.host->log(LOG_DEBUG, "sip: %s: unmatched %d "
			    "response dropped", t->p.id, resp.code);
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
	struct pround *r, *next;
	int found = 0;

	for (int pass = 0; pass < 2 && !found; pass++)
		for (r = t->p.rounds; r != NULL; r = next) {
			next = r->next;
			for (unsigned i = 0; i < r->started; i++) {
				struct sreq *c = paced_slot(r, i);

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
			if (!paced_same_addr(&from, &t->p.addr))
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
		if (!paced_same_addr(&from, &t->p.addr)) {
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
	    paced_addr_text(&ss, local, sizeof(local), &port) == -1)
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
	struct sip_target *t = target_of(c);
	ssize_t n;

	if (c->sends == 0) {
		c->sends = 1;
		c->start_ns = paced_now_ns();
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
	event_assign(c->ev, t->p.host->base, c->fd, EV_READ | EV_PERSIST,
	    tcp_io_cb, c);
	event_add(c->ev, NULL);
}

static void
tcp_read(struct sreq *c)
{
	struct sip_target *t = target_of(c);
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
	struct sip_target *t = target_of(c);
	struct timeval tv = paced_tv(t->p.timeout);
	int fd;

	fd = socket(t->p.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1) {
		t->p.host->log(LOG_WARNING, "sip: %s: socket: %s", t->p.id,
		    strerror(errno));
		req_fail_errno(c, errno);
		return;
	}
	c->fd = fd;
	c->start_ns = paced_now_ns();
	c->deadline_ns = c->start_ns + (int64_t)(t->p.timeout * 1e9);
	if (connect(fd, (struct sockaddr *)&t->p.addr, t->p.addrlen) == -1 &&
	    errno != EINPROGRESS) {
		req_fail_errno(c, errno);
		return;
	}
	event_assign(c->tmo, t->p.host->base, -1, 0, tcp_timeout_cb, c);
	evtimer_add(c->tmo, &tv);
	/* writable once connected (or failed): tcp_io_cb sorts it out */
	event_assign(c->ev, t->p.host->base, fd, EV_WRITE | EV_PERSIST,
	    tcp_io_cb, c);
	event_add(c->ev, NULL);
}
/* --- requests as slots of paced.c's rounds --------------------------------- */

static int
req_init(struct pround *r, void *slot)
{
	struct event_base *base = r->t->host->base;
	struct sreq *c = slot;

	c->r = r;
	c->fd = -1;
	/* set up by event_assign() when the request starts */
	c->ev = event_new(base, -1, 0, tcp_io_cb, c);
	c->tmo = evtimer_new(base, udp_timer_cb, c);
	return c->ev != NULL && c->tmo != NULL ? 0 : -1;
}

static void
req_free(void *slot)
{
	struct sreq *c = slot;

	if (c->ev != NULL)
		event_free(c->ev);
	if (c->tmo != NULL)
		event_free(c->tmo);
}

static void
req_put(void *slot)
{
	struct sreq *c = slot;

	req_stop(c);
	c->state = R_IDLE;
}

static void
req_start(struct pround *r, void *slot)
{
	struct sreq *c = slot;

	c->ok = c->code = c->provisional = 0;
	c->sent_ok = c->send_err = 0;
	c->sends = 0;
	c->rtt = 0;
	c->err[0] = '\0';
	c->state = R_RUNNING;
	g_stats.requests++;
	req_ids(c);
	if (target_of(c)->tcp)
		tcp_start(c);
	else
		udp_start(c);
}

static const char *
req_outcome(const void *slot, double *rtt)
{
	const struct sreq *c = slot;

	if (c->ok) {
		*rtt = c->rtt;
		return NULL;
	}
	return c->err;
}

/* has_value: pround.value is `status`, the last final response code */
static const struct paced_ops sip_ops = {
	.name = "sip",
	.slot_size = sizeof(struct sreq),
	.has_value = 1,
	.slot_init = req_init,
	.slot_free = req_free,
	.slot_stop = req_put,
	.slot_start = req_start,
	.slot_outcome = req_outcome,
};

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
	paced_fini(&t->p);
	udp_close(t);
	free(t->uri_host);
	free(t);
}

/* The host as a URI has it: an IPv6 address in brackets, without a
 * %scope (the URI has no place for it). */
static char *
uri_host_of(const struct sip_target *t)
{
	char a[INET6_ADDRSTRLEN + 2];
	int port;

	if (t->p.numeric && t->p.addr.ss_family == AF_INET6) {
		(void)paced_addr_text(&t->p.addr, a, sizeof(a), &port);
		return strdup(a);
	}
	return strdup(t->p.name);
}

/* A request can be made for this host (a URI can hold it). */
static int
uri_ok(const struct sip_target *t)
{
	struct sipmsg_req q = {
		.transport = "UDP", .host = t->uri_host, .port = t->p.port,
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
	int bad;

	/* `tramond -n` configures without init() */
	if (!parser_ready) {
		sipmsg_init();
		parser_ready = 1;
	}
	bad = paced_check(host, cfg, tc, "sip", 1) == -1;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		host->cfg_error(cfg, NULL, "out of memory");
		return NULL;
	}
	t->fd = -1;
	if (conf_transport(host, cfg, t) < 0)
		bad = 1;
	if (conf_expect(host, cfg, t) < 0)
		bad = 1;
	if (bad || paced_conf(&t->p, &sip_ops, host, cfg, tc, tc->port ?
	    tc->port : DEFAULT_PORT, t->tcp ? SOCK_STREAM : SOCK_DGRAM) == -1) {
		target_free(t);
		return NULL;
	}
	if ((t->uri_host = uri_host_of(t)) == NULL) {
		host->cfg_error(cfg, NULL, "out of memory");
		target_free(t);
		return NULL;
	}
	if (!uri_ok(t)) {
		host->cfg_error(cfg, "host", "\"%s\" cannot be used in a SIP "
		    "URI", t->p.name);
		target_free(t);
		return NULL;
	}
	return t;
}

/* --- the ABI ----------------------------------------------------------- */

static void
sip_start(void *arg, struct tm_round *round)
{
	struct sip_target *t = arg;

	paced_start(&t->p, round);
}

static void
sip_cancel(void *arg, struct tm_round *round)
{
	struct sip_target *t = arg;

	paced_cancel(&t->p, round);
}

static void
sip_release(void *arg)
{
	if (arg != NULL)
		target_free(arg);
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
	emit(arg, "sip_dns_failures", paced_dns_failures());
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
