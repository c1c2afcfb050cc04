/*
 * tcp: the TCP connect probe.  Measures how long a TCP handshake with
 * host:port takes (e.g. an H.323 endpoint on 1720), the way a caller
 * would see "the port is open".
 *
 * Each round makes `count` non-blocking connects, one at once and the
 * others spread evenly over the interval (like ping), each timed from
 * connect() to writability with SO_ERROR == 0 on CLOCK_MONOTONIC and
 * bounded by `timeout`.  The socket is closed at once; no data is sent.
 *
 * The result: sent = connects started, rtt[] = the handshakes that
 * succeeded, in send order; with none, the last failure ("connection
 * refused", "timeout", "network unreachable", "host unreachable", ...).
 * A name that cannot be resolved (and was never resolved) fails the
 * round with sent = count and "cannot resolve NAME: ...".
 *
 * A host name is resolved with libevent's evdns (never getaddrinfo on the
 * loop) at the first round and every RESOLVE_EVERY seconds after; while a
 * refresh fails the last good address is kept.  configure() only checks
 * the name's syntax: it also runs for `tramond -n`.  All of that is
 * plugins/common/paced.c's, shared with sip.c; this file is the connect.
 *
 * Counters: tcp_connects, tcp_ok, tcp_refused, tcp_timeouts,
 * tcp_unreachable, tcp_other_errors, tcp_dns_failures.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "tramon/plugin.h"
#include "paced.h"

/* One connect of a round: a slot of paced.c's round. */
struct conn {
	struct pround *r;
	struct event *ev;	/* write-ready or timeout */
	int fd;
	int ok;
	int err;		/* errno, or ETIMEDOUT */
	int64_t start_ns;
	double rtt;
};

static struct {
	uint64_t connects;
	uint64_t ok;
	uint64_t refused;
	uint64_t timeouts;
	uint64_t unreachable;
	uint64_t other_errors;
} g_stats;

static void conn_cb(evutil_socket_t, short, void *);

static void
count_error(int err)
{
	switch (err) {
	case ETIMEDOUT:
		g_stats.timeouts++;
		break;
	case ECONNREFUSED:
		g_stats.refused++;
		break;
	case ENETUNREACH:
	case EHOSTUNREACH:
		g_stats.unreachable++;
		break;
	default:
		g_stats.other_errors++;
		break;
	}
}

/* --- connects ------------------------------------------------------------- */

static void
conn_close(struct conn *c)
{
	if (c->ev != NULL)
		event_del(c->ev);
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
}

static void
conn_finish(struct conn *c, int err)
{
	conn_close(c);
	if (err == 0) {
		c->ok = 1;
		c->rtt = (double)(paced_now_ns() - c->start_ns) / 1e9;
		g_stats.ok++;
	} else {
		c->err = err;
		count_error(err);
	}
	paced_req_done(c->r);
}

static void
conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	socklen_t len = sizeof(int);
	int err = 0;

	if (what & EV_TIMEOUT)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	conn_finish(c, err);
}

static void
conn_start(struct pround *r, void *slot)
{
	struct paced *t = r->t;
	struct conn *c = slot;
	struct timeval tv = paced_tv(t->timeout);
	int fd;

	c->ok = c->err = 0;
	c->rtt = 0;
	g_stats.connects++;
	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1) {
		t->host->log(LOG_WARNING, "tcp: %s: socket: %s", t->id,
		    strerror(errno));
		conn_finish(c, errno);
		return;
	}
	c->fd = fd;
	c->start_ns = paced_now_ns();
	if (connect(fd, (struct sockaddr *)&t->addr, t->addrlen) == 0) {
		conn_finish(c, 0);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_finish(c, errno);
		return;
	}
	event_assign(c->ev, t->host->base, fd, EV_WRITE, conn_cb, c);
	event_add(c->ev, &tv);
}

static int
conn_init(struct pround *r, void *slot)
{
	struct conn *c = slot;

	c->r = r;
	c->fd = -1;
	/* fd and flags are set by event_assign() at each connect */
	c->ev = event_new(r->t->host->base, -1, 0, conn_cb, c);
	return c->ev != NULL ? 0 : -1;
}

static void
conn_free(void *slot)
{
	struct conn *c = slot;

	if (c->ev != NULL)
		event_free(c->ev);
}

static void
conn_stop(void *slot)
{
	conn_close(slot);
}

static const char *
conn_outcome(const void *slot, double *rtt)
{
	const struct conn *c = slot;

	if (c->ok) {
		*rtt = c->rtt;
		return NULL;
	}
	return c->err ? paced_errtext(c->err) : "";
}

static const struct paced_ops tcp_ops = {
	.name = "tcp",
	.slot_size = sizeof(struct conn),
	.slot_init = conn_init,
	.slot_free = conn_free,
	.slot_stop = conn_stop,
	.slot_start = conn_start,
	.slot_outcome = conn_outcome,
};

/* --- the ABI -------------------------------------------------------------- */

static int
tcp_init(const struct tm_host *host)
{
	return 0;
}

static void *
tcp_configure(const struct tm_host *host, struct tm_cfg *cfg,
    const struct tm_target_conf *tc)
{
	struct paced *t;

	if (paced_check(host, cfg, tc, "tcp", 0) == -1)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		host->cfg_error(cfg, NULL, "out of memory");
		return NULL;
	}
	if (paced_conf(t, &tcp_ops, host, cfg, tc, tc->port,
	    SOCK_STREAM) == -1) {
		free(t);
		return NULL;
	}
	return t;
}

static void
tcp_start(void *arg, struct tm_round *round)
{
	paced_start(arg, round);
}

static void
tcp_cancel(void *arg, struct tm_round *round)
{
	paced_cancel(arg, round);
}

static void
tcp_release(void *arg)
{
	if (arg == NULL)
		return;
	paced_fini(arg);
	free(arg);
}

static void
tcp_counters(void (*emit)(void *, const char *, uint64_t), void *arg)
{
	emit(arg, "tcp_connects", g_stats.connects);
	emit(arg, "tcp_ok", g_stats.ok);
	emit(arg, "tcp_refused", g_stats.refused);
	emit(arg, "tcp_timeouts", g_stats.timeouts);
	emit(arg, "tcp_unreachable", g_stats.unreachable);
	emit(arg, "tcp_other_errors", g_stats.other_errors);
	emit(arg, "tcp_dns_failures", paced_dns_failures());
}

static void
tcp_shutdown(void)
{
}

const struct tm_probe_ops tramon_probe = {
	.abi = TM_PLUGIN_ABI,
	.name = "tcp",
	.flags = 0,
	.keys = NULL,
	.values = NULL,
	.nvalues = 0,
	.init = tcp_init,
	.configure = tcp_configure,
	.start = tcp_start,
	.cancel = tcp_cancel,
	.release = tcp_release,
	.counters = tcp_counters,
	.shutdown = tcp_shutdown,
};
