/*
 * paced: targets whose rounds send `count` requests spread over the
 * interval, reached at an address or a name resolved with evdns (see
 * paced.h).  Shared by the tcp and sip probes.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "paced.h"

#ifndef RESOLVE_EVERY
#define RESOLVE_EVERY	600	/* s between resolutions of a name */
#endif
#ifndef RESOLVE_RETRY
#define RESOLVE_RETRY	60	/* s before retrying a failed refresh */
#endif

/* Per plugin: each links its own copy of this file. */
static uint64_t dns_failures;

static void spread_cb(evutil_socket_t, short, void *);
static void done_cb(evutil_socket_t, short, void *);

int64_t
paced_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct timeval
paced_tv(double s)
{
	struct timeval tv;

	if (s < 0)
		s = 0;
	tv.tv_sec = (time_t)s;
	tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
	return tv;
}

const char *
paced_errtext(int err)
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

uint64_t
paced_dns_failures(void)
{
	return dns_failures;
}

/* --- addresses ------------------------------------------------------------ */

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
parse_numeric(struct paced *t)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = t->socktype;
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

int
paced_addr_text(const struct sockaddr_storage *ss, char *buf, size_t size,
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

int
paced_same_addr(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
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

/* --- rounds --------------------------------------------------------------- */

static void
round_free(struct pround *r)
{
	const struct paced_ops *ops = r->t->ops;

	if (r->spread_ev)
		event_free(r->spread_ev);
	if (r->done_ev)
		event_free(r->done_ev);
	if (r->slots != NULL)
		for (unsigned i = 0; i < r->t->count; i++)
			ops->slot_free(paced_slot(r, i));
	free(r->slots);
	free(r);
}

/* A round object with its events, from the spare list or new. */
static struct pround *
round_get(struct paced *t)
{
	struct event_base *base = t->host->base;
	struct pround *r;

	if ((r = t->spare) != NULL) {
		t->spare = r->next;
		return r;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->t = t;
	r->value = NAN;
	r->slots = calloc(t->count, t->ops->slot_size);
	r->spread_ev = evtimer_new(base, spread_cb, r);
	r->done_ev = evtimer_new(base, done_cb, r);
	if (r->slots == NULL || r->spread_ev == NULL || r->done_ev == NULL)
		goto fail;
	for (unsigned i = 0; i < t->count; i++)
		if (t->ops->slot_init(r, paced_slot(r, i)) == -1)
			goto fail;
	return r;
fail:
	round_free(r);
	return NULL;
}

/* Stop whatever the round has going; it goes back to the spare list. */
static void
round_put(struct pround *r)
{
	struct paced *t = r->t;

	for (struct pround **pp = &t->rounds; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	evtimer_del(r->spread_ev);
	evtimer_del(r->done_ev);
	for (unsigned i = 0; i < t->count; i++)
		t->ops->slot_stop(paced_slot(r, i));
	r->round = NULL;
	r->waiting_addr = r->failed = 0;
	r->started = r->outstanding = 0;
	r->value = NAN;
	r->next = t->spare;
	t->spare = r;
}

/* Finish the round from the loop, never from inside start(). */
static void
maybe_done(struct pround *r)
{
	static const struct timeval now = { 0, 0 };

	if (r->round == NULL || r->waiting_addr)
		return;
	if (r->failed ||
	    (r->started == r->t->count && r->outstanding == 0))
		evtimer_add(r->done_ev, &now);
}

void
paced_req_done(struct pround *r)
{
	if (r->outstanding > 0)
		r->outstanding--;
	maybe_done(r);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pround *r = arg;
	struct paced *t = r->t;
	const struct tm_host *host = t->host;
	struct tm_round *round = r->round;
	double rtt[PACED_MAX_COUNT], value = r->value;
	char error[sizeof(r->error)];
	const char *why = "timeout", *e;
	struct tm_result res;

	if (round == NULL)
		return;
	memset(&res, 0, sizeof(res));
	if (r->failed) {
		/* nothing could be tried: count it all as lost */
		res.sent = t->count;
		why = r->error;
	} else {
		for (unsigned i = 0; i < r->started; i++) {
			e = t->ops->slot_outcome(paced_slot(r, i),
			    &rtt[res.received]);
			if (e == NULL)
				res.received++;
			else if (*e != '\0')
				why = e;
		}
		res.sent = r->started;
	}
	snprintf(error, sizeof(error), "%s", why);
	res.rtt = rtt;
	res.values = t->ops->has_value ? &value : NULL;
	res.error = res.received == 0 ? error : NULL;
	/* Done with r and t before the core runs: it may start the next
	 * round or even release the target from round_done(). */
	round_put(r);
	host->round_done(round, &res);
}

/* Start the next request, and schedule the one after. */
static void
spread_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pround *r = arg;
	struct paced *t = r->t;

	if (r->round == NULL || r->started >= t->count)
		return;
	r->outstanding++;
	t->ops->slot_start(r, paced_slot(r, r->started++));
	if (r->round != NULL && r->started < t->count) {
		struct timeval tv = paced_tv(t->interval / t->count);

		evtimer_add(r->spread_ev, &tv);
	}
	maybe_done(r);
}

static void
begin_requests(struct pround *r)
{
	r->waiting_addr = 0;
	spread_cb(-1, EV_TIMEOUT, r);
}

/* No address and none coming: the round reports why. */
static void
round_fail(struct pround *r)
{
	snprintf(r->error, sizeof(r->error), "%s", r->t->dns_error[0] ?
	    r->t->dns_error : "no address");
	r->waiting_addr = 0;
	r->failed = 1;
	maybe_done(r);
}

/* --- name resolution ------------------------------------------------------ */

static void
resolved(struct paced *t, const struct evutil_addrinfo *res, int64_t now)
{
	struct sockaddr_storage old = t->addr;
	char a[INET6_ADDRSTRLEN + 2] = "?";
	int port;

	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addrlen = (socklen_t)res->ai_addrlen;
	set_port(&t->addr, t->port);
	if (!t->have_addr || !paced_same_addr(&old, &t->addr))
		t->addr_changed = 1;
	t->have_addr = 1;
	t->resolve_due_ns = now + (int64_t)RESOLVE_EVERY * 1000000000;
	(void)paced_addr_text(&t->addr, a, sizeof(a), &port);
	t->host->log(LOG_DEBUG, "%s: %s: %s is %s", t->ops->name, t->id,
	    t->name, a);
}

static void
dns_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct paced *t = arg;
	int64_t now = paced_now_ns();
	struct pround *r, *next;

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
		dns_failures++;
		snprintf(t->dns_error, sizeof(t->dns_error),
		    "cannot resolve %s: %s", t->name, result ?
		    evutil_gai_strerror(result) : "no address");
		t->host->log(t->have_addr ? LOG_WARNING : LOG_ERR,
		    "%s: %s: %s%s", t->ops->name, t->id, t->dns_error,
		    t->have_addr ? " (keeping the last address)" : "");
		t->resolve_due_ns = now + (int64_t)RESOLVE_RETRY * 1000000000;
	} else
		resolved(t, res, now);
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
resolve(struct paced *t)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct evdns_base *dns = t->host->resolver();

	if (dns == NULL) {
		t->host->log(LOG_ERR, "%s: %s: cannot start the resolver",
		    t->ops->name, t->id);
		dns_cb(EVUTIL_EAI_FAIL, NULL, t);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = t->socktype;
	hints.ai_protocol = t->socktype == SOCK_STREAM ? IPPROTO_TCP :
	    IPPROTO_UDP;
	t->resolving = 1;
	/* The callback may run before this returns (e.g. /etc/hosts). */
	req = evdns_getaddrinfo(dns, t->name, NULL, &hints, dns_cb, t);
	if (t->resolving)
		t->dns_req = req;
}

static void
resolve_cancel(struct paced *t)
{
	if (t->resolving && t->dns_req != NULL) {
		t->resolving = 0;
		evdns_getaddrinfo_cancel(t->dns_req);
		t->dns_req = NULL;
	}
}

/* --- the probe's entry points --------------------------------------------- */

int
paced_check(const struct tm_host *host, struct tm_cfg *cfg,
    const struct tm_target_conf *tc, const char *probe, int port_optional)
{
	int bad = 0;

	if (tc->host == NULL || tc->host[0] == '\0') {
		host->cfg_error(cfg, "host", "a %s target needs a host "
		    "(an address or a name)", probe);
		bad = 1;
	}
	if (tc->port == 0 && !port_optional) {
		host->cfg_error(cfg, "port", "a %s target needs a port",
		    probe);
		bad = 1;
	} else if (tc->port < 0 || tc->port > 65535) {
		host->cfg_error(cfg, "port", "port %d is not in 1..65535",
		    tc->port);
		bad = 1;
	}
	if (tc->count < 1 || tc->count > PACED_MAX_COUNT) {
		host->cfg_error(cfg, "count", "count must be 1..%d for a %s "
		    "target", PACED_MAX_COUNT, probe);
		bad = 1;
	}
	if (!(tc->timeout > 0) || !(tc->interval > 0)) {
		host->cfg_error(cfg, "timeout", "timeout and interval must be "
		    "positive");
		bad = 1;
	}
	return bad ? -1 : 0;
}

int
paced_conf(struct paced *t, const struct paced_ops *ops,
    const struct tm_host *host, struct tm_cfg *cfg,
    const struct tm_target_conf *tc, int port, int socktype)
{
	t->ops = ops;
	t->host = host;
	t->port = port;
	t->socktype = socktype;
	t->interval = tc->interval;
	t->timeout = tc->timeout;
	t->count = tc->count;
	t->id = strdup(tc->id ? tc->id : "?");
	t->name = strdup(tc->host);
	if (t->id == NULL || t->name == NULL) {
		host->cfg_error(cfg, NULL, "out of memory");
		goto fail;
	}
	if (parse_numeric(t)) {
		t->numeric = t->have_addr = t->addr_changed = 1;
		set_port(&t->addr, t->port);
	} else if (!valid_hostname(t->name)) {
		host->cfg_error(cfg, "host", "\"%s\" is neither an IP address "
		    "nor a host name", t->name);
		goto fail;
	}
	return 0;
fail:
	paced_fini(t);
	return -1;
}

void
paced_fini(struct paced *t)
{
	struct pround *r;

	resolve_cancel(t);
	while (t->rounds != NULL)
		round_put(t->rounds);
	while ((r = t->spare) != NULL) {
		t->spare = r->next;
		round_free(r);
	}
	free(t->id);
	free(t->name);
	t->id = t->name = NULL;
}

void
paced_start(struct paced *t, struct tm_round *round)
{
	struct pround *r;

	if ((r = round_get(t)) == NULL) {
		/* cannot even report it: the core's round stays open */
		t->host->log(LOG_ERR, "%s: %s: out of memory; round lost",
		    t->ops->name, t->id);
		return;
	}
	r->round = round;
	r->next = t->rounds;
	t->rounds = r;
	if (!t->numeric && !t->resolving &&
	    paced_now_ns() >= t->resolve_due_ns)
		resolve(t);	/* may answer at once (/etc/hosts) */
	if (r->round == NULL || r->started > 0 || r->failed)
		return;
	if (t->have_addr)
		begin_requests(r);
	else if (t->resolving)
		r->waiting_addr = 1;
	else
		round_fail(r);
}

void
paced_cancel(struct paced *t, struct tm_round *round)
{
	/* A resolution in flight goes on: later rounds will use it. */
	for (struct pround *r = t->rounds; r != NULL; r = r->next)
		if (r->round == round) {
			round_put(r);
			return;
		}
}
