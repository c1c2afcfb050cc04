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
 * the name's syntax: it also runs for `tramond -n`.
 *
 * Counters: tcp_connects, tcp_ok, tcp_refused, tcp_timeouts,
 * tcp_unreachable, tcp_other_errors, tcp_dns_failures.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
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

#ifndef RESOLVE_EVERY
#define RESOLVE_EVERY	600	/* s between resolutions of a name */
#endif
#ifndef RESOLVE_RETRY
#define RESOLVE_RETRY	60	/* s before retrying a failed refresh */
#endif
#define MAX_COUNT	1000	/* connects per round */

struct tcp_target;
struct tround;

/* One connect of a round. */
struct conn {
	struct tround *r;
	struct event *ev;	/* write-ready or timeout */
	int fd;
	int ok;
	int err;		/* errno, or ETIMEDOUT */
	int64_t start_ns;
	double rtt;
};

/*
 * One round.  The scheduler starts a round every interval whether or not
 * the last one is over (its last connect may still be waiting for its
 * timeout), so a target can have a few at once.  Finished rounds are kept
 * on a spare list and reused: nothing is allocated in steady state.
 */
struct tround {
	struct tcp_target *t;
	struct tm_round *round;	/* NULL while spare */
	struct tround *next;
	int waiting_addr;	/* started, but no address yet */
	int failed;		/* finish at once: `error` says why */
	unsigned next_conn;	/* next connect to start */
	unsigned outstanding;
	struct conn *conns;	/* count slots */
	struct event *spread_ev;
	struct event *done_ev;
	char error[160];
};

struct tcp_target {
	const struct tm_host *host;
	char *id;		/* copies: the core's strings do not */
	char *name;		/* outlive configure() (tc->host) */
	int port;
	double interval;
	double timeout;
	unsigned count;

	/* the address: numeric from configure(), or resolved */
	int numeric;
	int have_addr;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int64_t resolve_due_ns;	/* next (re)resolution, CLOCK_MONOTONIC */
	struct evdns_getaddrinfo_request *dns_req;
	int resolving;
	char dns_error[160];

	struct tround *rounds;	/* running */
	struct tround *spare;
};


static struct {
	uint64_t connects;
	uint64_t ok;
	uint64_t refused;
	uint64_t timeouts;
	uint64_t unreachable;
	uint64_t other_errors;
	uint64_t dns_failures;
} g_stats;

static void conn_cb(evutil_socket_t, short, void *);
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
tv_of(double s)
{
	struct timeval tv;

	if (s < 0)
		s = 0;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
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
	default:
		return strerror(err);
	}
}

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

/* A DNS name: letters, digits, '-', '_' (seen in the wild), '.'. */
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

/* Numeric IPv4/IPv6 address (with an optional %scope): no network. */
static int
parse_numeric(struct tcp_target *t)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
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

/* --- rounds --------------------------------------------------------------- */

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
	struct tround *r = c->r;

	conn_close(c);
	if (err == 0) {
		c->ok = 1;
		c->rtt = (double)(mono_ns() - c->start_ns) / 1e9;
		g_stats.ok++;
	} else {
		c->err = err;
		count_error(err);
	}
	if (r->outstanding > 0)
		r->outstanding--;
}

static void
round_free(struct tround *r)
{
	if (r == NULL)
		return;
	if (r->spread_ev)
		event_free(r->spread_ev);
	if (r->done_ev)
		event_free(r->done_ev);
	if (r->conns != NULL)
		for (unsigned i = 0; i < r->t->count; i++)
			if (r->conns[i].ev)
				event_free(r->conns[i].ev);
	free(r->conns);
	free(r);
}

/* A round object with its events, from the spare list or new. */
static struct tround *
round_get(struct tcp_target *t)
{
	struct event_base *base = t->host->base;
	struct tround *r;

	if ((r = t->spare) != NULL) {
		t->spare = r->next;
		return r;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->t = t;
	r->conns = calloc(t->count, sizeof(*r->conns));
	r->spread_ev = evtimer_new(base, spread_cb, r);
	r->done_ev = evtimer_new(base, done_cb, r);
	if (r->conns == NULL || r->spread_ev == NULL ||
	    r->done_ev == NULL)
		goto fail;
	for (unsigned i = 0; i < t->count; i++) {
		r->conns[i].r = r;
		r->conns[i].fd = -1;
		/* fd and flags are set by event_assign() at each connect */
		r->conns[i].ev = event_new(base, -1, 0, conn_cb, &r->conns[i]);
		if (r->conns[i].ev == NULL)
			goto fail;
	}
	return r;
fail:
	round_free(r);
	return NULL;
}

/* Stop whatever the round has going; it goes back to the spare list. */
static void
round_put(struct tround *r)
{
	struct tcp_target *t = r->t;

	for (struct tround **pp = &t->rounds; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	evtimer_del(r->spread_ev);
	evtimer_del(r->done_ev);
	for (unsigned i = 0; i < t->count; i++)
		conn_close(&r->conns[i]);
	r->round = NULL;
	r->waiting_addr = r->failed = 0;
	r->next_conn = r->outstanding = 0;
	r->next = t->spare;
	t->spare = r;
}

/* Finish the round from the loop, never from inside start(). */
static void
maybe_done(struct tround *r)
{
	static const struct timeval now = { 0, 0 };

	if (r->round == NULL || r->waiting_addr)
		return;
	if (r->failed ||
	    (r->next_conn == r->t->count && r->outstanding == 0))
		evtimer_add(r->done_ev, &now);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tround *r = arg;
	struct tcp_target *t = r->t;
	const struct tm_host *host = t->host;
	struct tm_round *round = r->round;
	double rtt[MAX_COUNT];
	char error[sizeof(r->error)];
	struct tm_result res;
	int last_err = 0;

	if (round == NULL)
		return;
	memset(&res, 0, sizeof(res));
	error[0] = '\0';
	if (r->failed) {
		/* nothing could be tried: count it all as lost */
		res.sent = t->count;
		snprintf(error, sizeof(error), "%s", r->error);
	} else {
		for (unsigned i = 0; i < r->next_conn; i++) {
			struct conn *c = &r->conns[i];

			if (c->ok)
				rtt[res.received++] = c->rtt;
			else
				last_err = c->err;
		}
		res.sent = r->next_conn;
		if (res.received == 0)
			snprintf(error, sizeof(error), "%s",
			    errtext(last_err ? last_err : ETIMEDOUT));
	}
	res.rtt = rtt;
	res.error = res.received == 0 ? error : NULL;
	/* Done with r and t before the core runs: it may start the next
	 * round or even release the target from round_done(). */
	round_put(r);
	host->round_done(round, &res);
}

static void
start_connect(struct tround *r)
{
	struct tcp_target *t = r->t;
	struct conn *c = &r->conns[r->next_conn++];
	struct timeval tv = tv_of(t->timeout);
	int fd;

	c->ok = c->err = 0;
	c->rtt = 0;
	g_stats.connects++;
	r->outstanding++;
	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1) {
		t->host->log(LOG_WARNING, "tcp: %s: socket: %s", t->id,
		    strerror(errno));
		conn_finish(c, errno);
		return;
	}
	c->fd = fd;
	c->start_ns = mono_ns();
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
	maybe_done(c->r);
}

/* Start the next connect, and schedule the one after. */
static void
spread_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tround *r = arg;
	struct tcp_target *t = r->t;

	if (r->round == NULL || r->next_conn >= t->count)
		return;
	start_connect(r);
	if (r->next_conn < t->count) {
		struct timeval tv = tv_of(t->interval / t->count);

		evtimer_add(r->spread_ev, &tv);
	}
	maybe_done(r);
}

static void
begin_connects(struct tround *r)
{
	r->waiting_addr = 0;
	spread_cb(-1, EV_TIMEOUT, r);
}

/* No address and none coming: the round reports why. */
static void
round_fail(struct tround *r)
{
	snprintf(r->error, sizeof(r->error), "%s", r->t->dns_error[0] ?
	    r->t->dns_error : "no address");
	r->waiting_addr = 0;
	r->failed = 1;
	maybe_done(r);
}

/* --- name resolution ---------------------------------------------------- */

static void
dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct tcp_target *t = arg;
	int64_t now = mono_ns();
	struct tround *r, *next;

	if (result == EVUTIL_EAI_CANCEL) {
		/* t may be gone (release): touch nothing */
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
		    "tcp: %s: %s%s", t->id, t->dns_error, t->have_addr ?
		    " (keeping the last address)" : "");
		t->resolve_due_ns = now + (int64_t)RESOLVE_RETRY * 1000000000;
	} else {
		char a[INET6_ADDRSTRLEN] = "?";

		memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
		t->addrlen = (socklen_t)res->ai_addrlen;
		set_port(&t->addr, t->port);
		t->have_addr = 1;
		t->resolve_due_ns = now + (int64_t)RESOLVE_EVERY * 1000000000;
		evutil_inet_ntop(t->addr.ss_family, t->addr.ss_family ==
		    AF_INET ? (void *)&((struct sockaddr_in *)&t->addr)->sin_addr
		    : (void *)&((struct sockaddr_in6 *)&t->addr)->sin6_addr,
		    a, sizeof(a));
		t->host->log(LOG_DEBUG, "tcp: %s: %s is %s", t->id, t->name, a);
	}
	if (res)
		evutil_freeaddrinfo(res);
	for (r = t->rounds; r != NULL; r = next) {
		next = r->next;
		if (!r->waiting_addr)
			continue;
		if (t->have_addr)
			begin_connects(r);
		else
			round_fail(r);
	}
}

static void
resolve(struct tcp_target *t)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct evdns_base *dns = t->host->resolver();

	if (dns == NULL) {
		t->host->log(LOG_ERR, "tcp: %s: cannot start the resolver",
		    t->id);
		dns_cb(EVUTIL_EAI_FAIL, NULL, t);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	t->resolving = 1;
	/* The callback may run before this returns (e.g. /etc/hosts). */
	req = evdns_getaddrinfo(dns, t->name, NULL, &hints, dns_cb, t);
	if (t->resolving)
		t->dns_req = req;
}

static void
resolve_cancel(struct tcp_target *t)
{
	if (t->resolving && t->dns_req != NULL) {
		t->resolving = 0;
		evdns_getaddrinfo_cancel(t->dns_req);
		t->dns_req = NULL;
	}
}

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
	struct tcp_target *t;
	int bad = 0;

	if (tc->host == NULL || tc->host[0] == '\0') {
		host->cfg_error(cfg, "host", "a tcp target needs a host "
		    "(an address or a name)");
		bad = 1;
	}
	if (tc->port == 0) {
		host->cfg_error(cfg, "port", "a tcp target needs a port");
		bad = 1;
	} else if (tc->port < 1 || tc->port > 65535) {
		host->cfg_error(cfg, "port", "port %d is not in 1..65535",
		    tc->port);
		bad = 1;
	}
	if (tc->count < 1 || tc->count > MAX_COUNT) {
		host->cfg_error(cfg, "count", "count must be 1..%d for a tcp "
		    "target", MAX_COUNT);
		bad = 1;
	}
	if (!(tc->timeout > 0) || !(tc->interval > 0)) {
		host->cfg_error(cfg, "timeout", "timeout and interval must be "
		    "positive");
		bad = 1;
	}
	if (bad)
		return NULL;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		host->cfg_error(cfg, NULL, "out of memory");
		return NULL;
	}
	t->host = host;
	t->id = strdup(tc->id ? tc->id : "?");
	t->name = strdup(tc->host);
	if (t->id == NULL || t->name == NULL) {
		host->cfg_error(cfg, NULL, "out of memory");
		free(t->id);
		free(t->name);
		free(t);
		return NULL;
	}
	t->port = tc->port;
	t->interval = tc->interval;
	t->timeout = tc->timeout;
	t->count = tc->count;
	if (parse_numeric(t)) {
		t->numeric = t->have_addr = 1;
		set_port(&t->addr, t->port);
	} else if (!valid_hostname(t->name)) {
		host->cfg_error(cfg, "host", "\"%s\" is neither an IP address "
		    "nor a host name", t->name);
		free(t->id);
		free(t->name);
		free(t);
		return NULL;
	}
	return t;
}

static void
tcp_start(void *arg, struct tm_round *round)
{
	struct tcp_target *t = arg;
	struct tround *r;

	if ((r = round_get(t)) == NULL) {
		/* cannot even report it: the core's round stays open */
		t->host->log(LOG_ERR, "tcp: %s: out of memory; round lost",
		    t->id);
		return;
	}
	r->round = round;
	r->next = t->rounds;
	t->rounds = r;
	if (!t->numeric && !t->resolving && mono_ns() >= t->resolve_due_ns)
		resolve(t);	/* may answer at once (/etc/hosts) */
	if (r->round == NULL || r->next_conn > 0 || r->failed)
		return;
	if (t->have_addr)
		begin_connects(r);
	else if (t->resolving)
		r->waiting_addr = 1;
	else
		round_fail(r);
}

static void
tcp_cancel(void *arg, struct tm_round *round)
{
	struct tcp_target *t = arg;

	/* A resolution in flight goes on: later rounds will use it. */
	for (struct tround *r = t->rounds; r != NULL; r = r->next)
		if (r->round == round) {
			round_put(r);
			return;
		}
}

static void
tcp_release(void *arg)
{
	struct tcp_target *t = arg;
	struct tround *r;

	if (t == NULL)
		return;
	resolve_cancel(t);
	while (t->rounds != NULL)
		round_put(t->rounds);
	while ((r = t->spare) != NULL) {
		t->spare = r->next;
		round_free(r);
	}
	free(t->id);
	free(t->name);
	free(t);
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
	emit(arg, "tcp_dns_failures", g_stats.dns_failures);
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
