/*
 * paced: what the tcp and sip probes share.
 *
 * A target is a host (an address, or a name resolved through the core's
 * evdns) and a port.  Each round sends `count` requests, one at once and
 * the others spread evenly over the interval (like ping); the probe does
 * a request (a connect, a SIP transaction), bounds it by `timeout` and
 * says when it has ended.  The round ends when every request has, or at
 * once when there is no address.  The result: sent = requests started,
 * rtt[] = those answered, in send order; with none, the last reason a
 * request gave ("timeout" if none did).  A name that cannot be resolved
 * (and never was) fails the round with sent = count and "cannot resolve
 * NAME: ...".
 *
 * A name is resolved at the first round and every RESOLVE_EVERY seconds
 * after; while a refresh fails the last good address is kept.
 * paced_conf() only checks the name's syntax: it also runs for
 * `tramond -n`.
 *
 * A probe's target begins with a struct paced (so that r->t leads back
 * to it); its requests are the rounds' slots, ops->slot_size bytes each.
 */
#ifndef PACED_H
#define PACED_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <stddef.h>
#include <stdint.h>

#include "tramon/plugin.h"

#define PACED_MAX_COUNT	1000	/* requests per round */

struct event;
struct pround;

/* What the probe does; slots are its requests, ops->slot_size each. */
struct paced_ops {
	const char *name;	/* the probe, for the log and errors */
	size_t slot_size;
	int has_value;		/* report pround.value as the round's value */
	/* a new slot of round r: point it at r, make its events (0 or -1) */
	int (*slot_init)(struct pround *r, void *slot);
	void (*slot_free)(void *slot);	/* its events; may be half made */
	void (*slot_stop)(void *slot);	/* round put away: stop it */
	/* start a request; it ends with paced_req_done(), maybe at once */
	void (*slot_start)(struct pround *r, void *slot);
	/* NULL if it was answered (in *rtt), else why ("" if unknown) */
	const char *(*slot_outcome)(const void *slot, double *rtt);
};

/*
 * One round.  The scheduler starts a round every interval whether or not
 * the last one is over (its last request may still be waiting for its
 * timeout), so a target can have a few at once.  Finished rounds are kept
 * on a spare list and reused: nothing is allocated in steady state.
 */
struct pround {
	struct paced *t;
	struct tm_round *round;	/* NULL while spare */
	struct pround *next;
	int waiting_addr;	/* started, but no address yet */
	int failed;		/* finish at once: `error` says why */
	unsigned started;	/* requests started (the next one's slot) */
	unsigned outstanding;
	double value;		/* the probe's, if ops->has_value; NAN */
	void *slots;		/* count of them */
	struct event *spread_ev;
	struct event *done_ev;
	char error[160];
};

struct paced {
	const struct paced_ops *ops;
	const struct tm_host *host;
	char *id;		/* copies: the core's strings do not */
	char *name;		/* outlive configure() (tc->host) */
	int port;
	double interval;
	double timeout;
	unsigned count;
	int socktype;		/* what the address is for */

	/* the address: numeric from paced_conf(), or resolved */
	int numeric;
	int have_addr;
	int addr_changed;	/* new since the probe cleared this */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int64_t resolve_due_ns;	/* next (re)resolution, CLOCK_MONOTONIC */
	struct evdns_getaddrinfo_request *dns_req;
	int resolving;
	char dns_error[160];

	struct pround *rounds;	/* running */
	struct pround *spare;
};

/* The object is linked into each plugin: keep it out of the dynamic
 * symbol table, so that no plugin's calls bind to another's copy (each
 * has its own dns_failures). */
#pragma GCC visibility push(hidden)

/* CLOCK_MONOTONIC in ns; a timeval of `s` seconds (0 if negative). */
int64_t	paced_now_ns(void);
struct timeval paced_tv(double s);

/* A short reason for an errno: "connection refused", "timeout", ... */
const char *paced_errtext(int err);

/* "192.0.2.1" or "[2001:db8::1]" (no %scope) in buf, the port in *port;
 * 0, or -1. */
int	paced_addr_text(const struct sockaddr_storage *ss, char *buf,
	    size_t size, int *port);
/* Same family, address and port. */
int	paced_same_addr(const struct sockaddr_storage *a,
	    const struct sockaddr_storage *b);

/* configure(): check what every paced target needs (host, port unless
 * `port_optional`, count, timeout, interval), reporting each problem;
 * 0 ok, -1. */
int	paced_check(const struct tm_host *host, struct tm_cfg *cfg,
	    const struct tm_target_conf *tc, const char *probe,
	    int port_optional);
/* configure(): fill in t (zeroed by the caller) for tc, to reach `port`
 * over `socktype`; the host must be an address or a valid name.  0, or
 * -1 after reporting why (t holds nothing to free then). */
int	paced_conf(struct paced *t, const struct paced_ops *ops,
	    const struct tm_host *host, struct tm_cfg *cfg,
	    const struct tm_target_conf *tc, int port, int socktype);
/* release(): stop everything t has going and free what it holds (not t). */
void	paced_fini(struct paced *t);

/* start() and cancel() of a probe. */
void	paced_start(struct paced *t, struct tm_round *round);
void	paced_cancel(struct paced *t, struct tm_round *round);

/* A request of round r has ended (its slot knows how). */
void	paced_req_done(struct pround *r);

/* Names that failed to resolve, for the probe's counters. */
uint64_t paced_dns_failures(void);

#pragma GCC visibility pop

/* Slot i of round r. */
static inline void *
paced_slot(const struct pround *r, unsigned i)
{
	return (char *)r->slots + (size_t)i * r->t->ops->slot_size;
}

#endif /* PACED_H */
