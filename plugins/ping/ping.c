/*
 * The `ping` probe: ICMP echo over IPv4 and IPv6 through the engine in
 * icmp.c.  A round sends tc->count echoes spread evenly over the
 * interval and ends when each is answered or timed out.  Rounds of one
 * target are independent (they overlap when the timeout is longer than
 * the spacing).  Host names are resolved with evdns, never on the loop
 * with getaddrinfo().
 *
 * Pacing: every running round waits in one heap under one timer (the
 * pacer, below), so that the echoes of thousands of targets leave in
 * batches, one loop wake-up for several echoes.
 *
 * Memory: a target in configure(), a round (echo table, result array and
 * timer in one block) in start(); nothing per packet.
 */
#include "config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "tramon/plugin.h"
#include "icmp.h"

#define RESOLVE_EVERY_NS	(600LL * 1000000000) /* re-resolve names */
#define MAX_COUNT		10000

enum echo_state {
	ECHO_UNSENT = 0,
	ECHO_WAITING,
	ECHO_ANSWERED,
	ECHO_LOST,		/* timed out */
	ECHO_FAILED,		/* sendto() failed */
};

/* 16 bytes: at 10,000 targets x 20 echoes the rounds are most of the
 * plugin's memory (issue 8). */
struct echo {
	icmp_handle h;
	uint8_t state;
	union {
		int64_t deadline;	/* WAITING: CLOCK_MONOTONIC ns */
		double rtt;		/* ANSWERED: seconds */
	} u;
};

enum round_state {
	ROUND_DNS,		/* waiting for the target's address */
	ROUND_RUN,		/* sending and waiting */
	ROUND_DONE,		/* over; round_done() on the next timer */
};

struct target;

struct round {
	struct target *t;
	struct tm_round *tm;
	struct round *next;
	struct event *ev;	/* waits for DNS, or defers round_done() */
	int waiting_only;	/* all sent: its wake is a deadline */
	uint32_t pace_id;	/* its number in the pacer + 1; 0 = not
				 * in the pacer's heap */
	enum round_state state;
	int64_t t0;		/* CLOCK_MONOTONIC ns of the first echo */
	unsigned count;
	unsigned nsent;		/* echoes tried, failed sends included */
	unsigned nresolved;	/* answered, lost or failed */
	unsigned oldest;	/* no echo before this one is waiting */
	int send_err;		/* the last sendto() error */
	int err_logged;
	char *error;		/* why it failed, if it did: rare */
	struct echo echo[];
};

struct target {
	char *id;
	char *host;
	int numeric;		/* host is an address literal */
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} addr;
	int have_addr;
	char addrstr[INET6_ADDRSTRLEN];
	unsigned count;
	double timeout;
	int64_t spacing_ns;
	int64_t timeout_ns;
	int64_t wait_dns_ns;	/* how long a round waits for the name */
	struct round *rounds;	/* running, newest first */

	/* name resolution */
	struct evdns_getaddrinfo_request *dns_req;
	int dns_pending;
	int dns_failed;		/* the last resolution failed */
	int64_t resolved_at;

	/* rate limits of the log */
	int logged_errno;	/* the send error last logged, 0 = none */
	int logged_unavail;
};

static const struct tm_host *host;
static struct icmp_engine *engine;
static int in_callout;	/* inside start(), cancel() or a DNS callback:
			 * round_done() must wait for the next loop turn */

static void round_finish(struct round *);

/*
 * How late echoes leave against their slot in the round (t0 + i *
 * spacing), for every echo but a round's first (which starts the
 * round): what a busy loop costs the measurement.  Cumulative buckets,
 * reported as counters ping_echo_late_le_<bound>us, with the count and
 * the sum; bench/snmp_ping.sh reads them.
 */
static const unsigned late_bounds_us[] = { 50, 100, 200, 500, 1000, 2000,
	3000, 5000, 7000, 10000, 20000, 50000, 100000 };
#define NLATE (sizeof(late_bounds_us) / sizeof(late_bounds_us[0]))
static uint64_t late_le[NLATE], late_count, late_sum_us;

static void
late_note(int64_t late_ns)
{
	uint64_t us = late_ns > 0 ? (uint64_t)late_ns / 1000 : 0;

	late_count++;
	late_sum_us += us;
	for (size_t k = 0; k < NLATE; k++)
		if (us <= late_bounds_us[k])
			late_le[k]++;
}

static int64_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The pacer.  A round in ROUND_RUN needs the loop at its next echo's
 * slot (t0 + i * spacing), or once all are sent at its oldest echo's
 * deadline: that time is its `wake`, and the rounds wait in a min-heap
 * on it under a single timer.  A wake-up steps every round that is due
 * (sends, expires, reschedules), and the timer fires at most once every
 * PACE_NS: an echo leaves at most that late, never early, and at 10,000
 * targets x 20 echoes a minute one wake-up sends about seven of them.
 * A wake-up (epoll_wait, timerfd_settime, the switches) costs about
 * what three echoes do: with a timer per round (before) each echo paid
 * one, at 1 ms a wake-up came every three echoes; 2 ms halves that and
 * keeps the lateness well under what a round's figures notice
 * (docs/benchmarks.md, "Where the CPU goes").
 *
 * Each echo is stamped and sent by its own sendto(), not one sendmmsg()
 * per batch: a batch's stamps would be taken before the call and the
 * later echoes' round-trip times would include the kernel's work on
 * the earlier ones (tens of microseconds; a LAN answers in 200).
 */
#define PACE_NS		2000000		/* 2 ms */
#define LATE_POLL_NS	5000000		/* a wake-up this late reads first */

/*
 * The heap keeps each round's wake beside a small number of its own:
 * sifting compares keys in one array and notes each entry's new place in
 * another (`at`, 4 bytes a round), instead of in the rounds themselves,
 * which are scattered over megabytes at 10,000 targets and cost a cache
 * miss for each level a round moves (docs/benchmarks.md).
 */
struct heap_entry {
	int64_t wake;
	uint32_t id;
};

static struct {
	struct heap_entry *heap;
	size_t n;
	uint32_t *at;		/* id -> place in the heap */
	struct round **who;	/* id -> round */
	uint32_t *free_ids;	/* ids not in use, a stack */
	size_t nfree, nids, cap;
	struct event *ev;
	int64_t armed;		/* when the timer fires; 0 = not armed */
	int64_t last_fired;
	int firing;		/* inside pacer_fire(): it re-arms at the end */
} pacer;

static void round_step(struct round *, int64_t);

static void
heap_set(size_t i, struct heap_entry e)
{
	pacer.heap[i] = e;
	pacer.at[e.id] = (uint32_t)i;
}

/* A number for a round entering the heap; room for one more entry. */
static uint32_t
pace_id_new(struct round *r)
{
	uint32_t id;

	if (pacer.nfree > 0)
		id = pacer.free_ids[--pacer.nfree];
	else {
		if (pacer.nids == pacer.cap) {
			size_t cap = pacer.cap ? pacer.cap * 2 : 256;

			pacer.heap = reallocarray(pacer.heap, cap,
			    sizeof(*pacer.heap));
			pacer.at = reallocarray(pacer.at, cap,
			    sizeof(*pacer.at));
			pacer.who = reallocarray(pacer.who, cap,
			    sizeof(*pacer.who));
			pacer.free_ids = reallocarray(pacer.free_ids, cap,
			    sizeof(*pacer.free_ids));
			if (pacer.heap == NULL || pacer.at == NULL ||
			    pacer.who == NULL || pacer.free_ids == NULL) {
				host->log(LOG_CRIT, "ping: out of memory");
				abort();
			}
			pacer.cap = cap;
		}
		id = (uint32_t)pacer.nids++;
	}
	pacer.who[id] = r;
	r->pace_id = id + 1;
	return id;
}

static void
heap_up(size_t i)
{
	struct heap_entry e = pacer.heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (pacer.heap[parent].wake <= e.wake)
			break;
		heap_set(i, pacer.heap[parent]);
		i = parent;
	}
	heap_set(i, e);
}

static void
heap_down(size_t i)
{
	struct heap_entry e = pacer.heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= pacer.n)
			break;
		if (c + 1 < pacer.n && pacer.heap[c + 1].wake <
		    pacer.heap[c].wake)
			c++;
		if (e.wake <= pacer.heap[c].wake)
			break;
		heap_set(i, pacer.heap[c]);
		i = c;
	}
	heap_set(i, e);
}

static void
pacer_del(struct round *r)
{
	struct heap_entry last;
	size_t i;

	if (r->pace_id == 0)
		return;
	i = pacer.at[r->pace_id - 1];
	pacer.free_ids[pacer.nfree++] = r->pace_id - 1;
	pacer.who[r->pace_id - 1] = NULL;
	r->pace_id = 0;
	last = pacer.heap[--pacer.n];
	if (i == pacer.n)
		return;
	heap_set(i, last);
	if (i > 0 && pacer.heap[(i - 1) / 2].wake > last.wake)
		heap_up(i);
	else
		heap_down(i);
}

/* Set the timer for the earliest round, no sooner than PACE_NS after
 * the last wake-up.  A timer already set sooner is left alone: it
 * fires, finds little or nothing due and is set again. */
static void
pacer_arm(int64_t now)
{
	struct timeval tv;
	int64_t want, d;

	if (pacer.n == 0 || pacer.firing)
		return;
	want = pacer.heap[0].wake;
	if (want < pacer.last_fired + PACE_NS)
		want = pacer.last_fired + PACE_NS;
	if (pacer.armed != 0 && pacer.armed <= want)
		return;
	pacer.armed = want;
	d = want > now ? want - now : 0;
	tv.tv_sec = (time_t)(d / 1000000000);
	tv.tv_usec = (suseconds_t)((d % 1000000000 + 999) / 1000);
	if (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	evtimer_add(pacer.ev, &tv);
}

/* The round needs the loop at `when`. */
static void
pacer_put(struct round *r, int64_t when, int64_t now)
{
	if (r->pace_id == 0) {
		uint32_t id = pace_id_new(r);

		heap_set(pacer.n++, (struct heap_entry){ when, id });
		heap_up(pacer.n - 1);
	} else {
		size_t i = pacer.at[r->pace_id - 1];
		int64_t was = pacer.heap[i].wake;

		pacer.heap[i].wake = when;
		if (when < was)
			heap_up(i);
		else
			heap_down(i);
	}
	pacer_arm(now);
}

/*
 * Step every round that is due.  A stepped round gets a later wake (its
 * next slot or deadline is past `now`) and sinks, or leaves the heap
 * when it ended; a round that ends may make the core cancel or release
 * others, which leave the heap the same way.  The bound is a guard.
 */
static void
pacer_fire(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = mono_now();
	size_t guard = 2 * pacer.n + 64;
	uint64_t sent_before = icmp_counters(engine)->sent;
	int polled = 0;

	(void)fd;
	(void)what;
	(void)arg;
	pacer.armed = 0;
	pacer.last_fired = now;
	pacer.firing = 1;
	while (pacer.n > 0 && pacer.heap[0].wake <= now && guard-- > 0) {
		struct round *r = pacer.who[pacer.heap[0].id];

		/* Before an echo is given up, read the replies the socket
		 * holds: a busy loop may not have read them yet, and their
		 * kernel stamps say whether they came in time.  Once a
		 * wake-up; replies may end rounds: look at the top again. */
		if (!polled && (r->waiting_only ||
		    now - pacer.heap[0].wake > LATE_POLL_NS)) {
			polled = 1;
			icmp_poll(engine);
			continue;
		}
		round_step(r, now);
	}
	/* The loop is awake: a reply that came while we were sending is
	 * read now rather than after one more turn of the loop (on
	 * loopback and in the same host's namespaces every reply is in
	 * the socket when sendto() returns).  For targets farther away
	 * the read finds nothing: one system call a wake-up, against two
	 * (epoll_wait, timerfd_settime) and a loop turn saved when it
	 * finds something. */
	if (icmp_counters(engine)->sent != sent_before)
		icmp_poll(engine);
	pacer.firing = 0;
	pacer_arm(now);
}

static void
arm(struct round *r, int64_t at, int64_t now)
{
	int64_t d = at > now ? at - now : 0;
	struct timeval tv;

	tv.tv_sec = (time_t)(d / 1000000000);
	tv.tv_usec = (suseconds_t)((d % 1000000000 + 999) / 1000);
	if (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	evtimer_add(r->ev, &tv);
}

/* The round is over: report it now, or on the next loop turn when the
 * core is calling us. */
static void
round_complete(struct round *r)
{
	pacer_del(r);
	if (in_callout) {
		r->state = ROUND_DONE;
		arm(r, 0, 0);
	} else
		round_finish(r);
}

static void __attribute__((format(printf, 2, 3)))
round_fail(struct round *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (r->error == NULL && vasprintf(&r->error, fmt, ap) == -1)
		r->error = NULL;
	va_end(ap);
	r->state = ROUND_DONE;
	round_complete(r);
}

/* Text of a send error for the round's result: short and lower-case. */
static const char *
send_error_text(int err, char *buf, size_t len)
{
	switch (err) {
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	case EACCES:
		return "permission denied";
	case EPERM:
		return "operation not permitted";
	case ENOBUFS:
	case EAGAIN:
		return "no buffer space";
	case EADDRNOTAVAIL:
		return "address not available";
	default:
		snprintf(buf, len, "%s", strerror(err));
		for (char *p = buf; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		return buf;
	}
}

static void
log_send_error(struct round *r, int err)
{
	struct target *t = r->t;
	char buf[64];

	r->send_err = err;
	if (r->err_logged)
		return;
	r->err_logged = 1;
	host->log(err == t->logged_errno ? LOG_INFO : LOG_WARNING,
	    "ping: %s: %scannot send to %s: %s", t->id,
	    err == t->logged_errno ? "still " : "", t->addrstr,
	    send_error_text(err, buf, sizeof(buf)));
	t->logged_errno = err;
}

static void
send_one(struct round *r, int64_t now)
{
	struct target *t = r->t;
	unsigned i = r->nsent++;
	struct echo *e = &r->echo[i];
	int rc;

	if (i > 0) {
		int64_t late = now - (r->t0 + (int64_t)i * t->spacing_ns);

		late_note(late);
		if (late > 20000000)	/* the loop was held up: by what? */
			host->log(LOG_DEBUG, "ping: %s: echo %u left %.1f ms "
			    "late", t->id, i, late / 1e6);
	}

	rc = icmp_send(engine, &t->addr.sa, t->timeout, r, i, &e->h);
	if (rc != 0) {
		e->state = ECHO_FAILED;
		r->nresolved++;
		log_send_error(r, rc);
		return;
	}
	e->state = ECHO_WAITING;
	e->u.deadline = now + t->timeout_ns;
	if (t->logged_errno) {
		host->log(LOG_INFO, "ping: %s: sending to %s works again",
		    t->id, t->addrstr);
		t->logged_errno = 0;
	}
}

/* Expire what timed out, send what is due, then sleep until the next
 * send, or once all are sent, until the oldest echo's deadline.
 * Deadlines grow with the send order: the scan stops at the first echo
 * still in time.  Echoes that time out between two sends are expired at
 * the next one: one wake-up per echo, not two, and no precision lost,
 * since the engine itself refuses replies later than the timeout. */
static void
round_step(struct round *r, int64_t now)
{
	struct target *t = r->t;
	int64_t next;

	for (unsigned i = r->oldest; i < r->nsent; i++) {
		struct echo *e = &r->echo[i];

		if (e->state != ECHO_WAITING)
			continue;
		if (e->u.deadline > now)
			break;
		e->state = ECHO_LOST;
		icmp_forget(engine, e->h, r);
		r->nresolved++;
	}
	while (r->nsent < r->count &&
	    r->t0 + (int64_t)r->nsent * t->spacing_ns <= now)
		send_one(r, now);
	if (r->nresolved == r->count) {
		round_complete(r);
		return;
	}
	while (r->oldest < r->nsent && r->echo[r->oldest].state != ECHO_WAITING)
		r->oldest++;
	r->waiting_only = r->nsent == r->count;
	if (!r->waiting_only)
		next = r->t0 + (int64_t)r->nsent * t->spacing_ns;
	else
		next = r->echo[r->oldest].u.deadline;
	pacer_put(r, next, now);
}

static void
round_begin(struct round *r)
{
	struct target *t = r->t;
	const char *why;

	if (icmp_family(engine, t->addr.sa.sa_family, &why) == ICMP_NONE) {
		const char *fam = t->addr.sa.sa_family == AF_INET6 ?
		    "IPv6" : "IPv4";

		if (!t->logged_unavail)
			host->log(LOG_WARNING, "ping: %s: %s unavailable: %s",
			    t->id, fam, why);
		t->logged_unavail = 1;
		if (r->error == NULL && asprintf(&r->error, "%s unavailable: %s",
		    fam, why) == -1)
			r->error = NULL;
		r->state = ROUND_DONE;
		round_complete(r);
		return;
	}
	r->state = ROUND_RUN;
	event_del(r->ev);	/* the wait for DNS is over */
	r->t0 = mono_now();
	round_step(r, r->t0);
}

static void
round_timer(evutil_socket_t fd, short what, void *arg)
{
	struct round *r = arg;

	switch (r->state) {
	case ROUND_DONE:
		round_finish(r);
		break;
	case ROUND_DNS:
		round_fail(r, "cannot resolve %s", r->t->host);
		break;
	case ROUND_RUN:
		round_step(r, mono_now());
		break;
	}
}

static void
round_unlink(struct round *r)
{
	for (struct round **pp = &r->t->rounds; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
}

/* The engine must never call back for this round again. */
static void
round_forget(struct round *r)
{
	for (unsigned i = r->oldest; i < r->nsent; i++)
		if (r->echo[i].state == ECHO_WAITING) {
			icmp_forget(engine, r->echo[i].h, r);
			r->echo[i].state = ECHO_LOST;
		}
}

/* Stop everything the round has going and free it. */
static void
round_free(struct round *r)
{
	round_forget(r);
	round_unlink(r);
	pacer_del(r);
	event_del(r->ev);
	event_debug_unassign(r->ev);
	free(r->error);
	free(r);
}

static void
round_finish(struct round *r)
{
	struct tm_round *tm = r->tm;
	struct tm_result res;
	char buf[64];
	unsigned char *rtt = (unsigned char *)r->echo;
	unsigned n = 0;

	/* Off every list before the core hears of it: round_done() may
	 * call back into us (cancel, release).  round_forget() reads the
	 * echoes: before they are written over below. */
	round_forget(r);
	round_unlink(r);
	pacer_del(r);
	event_del(r->ev);
	/* The answered times, in order, over the echoes themselves (no
	 * longer needed): a double is half an echo, so the n-th lands
	 * before any echo not yet read. */
	static_assert(sizeof(struct echo) >= sizeof(double), "echo size");
	for (unsigned i = 0; i < r->nsent; i++)
		if (r->echo[i].state == ECHO_ANSWERED) {
			double v = r->echo[i].u.rtt;

			memcpy(rtt + n++ * sizeof(v), &v, sizeof(v));
		}
	memset(&res, 0, sizeof(res));
	res.sent = r->nsent;
	res.received = n;
	res.rtt = (const double *)(void *)rtt;
	if (n == 0)
		res.error = r->error ? r->error : r->send_err ?
		    send_error_text(r->send_err, buf, sizeof(buf)) : "timeout";
	host->round_done(tm, &res);
	event_debug_unassign(r->ev);
	free(r->error);
	free(r);
}

static struct round *
round_new(struct target *t, struct tm_round *tm)
{
	size_t evsz = event_get_struct_event_size();
	size_t ev_off, size;
	struct round *r;

	ev_off = offsetof(struct round, echo) + t->count * sizeof(struct echo);
	ev_off = (ev_off + alignof(max_align_t) - 1) &
	    ~(alignof(max_align_t) - 1);
	size = ev_off + evsz;
	if ((r = calloc(1, size)) == NULL)
		return NULL;
	r->t = t;
	r->tm = tm;
	r->count = t->count;
	r->ev = (struct event *)(void *)((char *)r + ev_off);
	evtimer_assign(r->ev, host->base, round_timer, r);
	for (unsigned i = 0; i < r->count; i++)
		r->echo[i].h = ICMP_HANDLE_NONE;
	return r;
}

/* The engine delivers a good reply. */
static void
on_reply(void *owner, uint32_t tag, double rtt)
{
	struct round *r = owner;
	struct echo *e;

	if (r == NULL || tag >= r->nsent)
		return;
	e = &r->echo[tag];
	if (e->state != ECHO_WAITING)
		return;
	e->state = ECHO_ANSWERED;
	e->u.rtt = rtt;
	if (++r->nresolved == r->count)
		round_finish(r);
}

static void
set_addr(struct target *t, const struct sockaddr *sa)
{
	char old[sizeof(t->addrstr)];
	const void *a;

	memcpy(old, t->addrstr, sizeof(old));
	memset(&t->addr, 0, sizeof(t->addr));
	if (sa->sa_family == AF_INET) {
		t->addr.sin.sin_family = AF_INET;
		t->addr.sin.sin_addr =
		    ((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		a = &t->addr.sin.sin_addr;
	} else {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		t->addr.sin6.sin6_family = AF_INET6;
		t->addr.sin6.sin6_addr = s6->sin6_addr;
		t->addr.sin6.sin6_scope_id = s6->sin6_scope_id;
		a = &t->addr.sin6.sin6_addr;
	}
	inet_ntop(sa->sa_family, a, t->addrstr, sizeof(t->addrstr));
	t->have_addr = 1;
	if (!t->numeric && strcmp(old, t->addrstr) != 0)
		host->log(LOG_INFO, "ping: %s: %s is %s", t->id, t->host,
		    t->addrstr);
}

/* Of a name's addresses, the first IPv4 one if IPv4 works, else the
 * first IPv6 one if IPv6 works, else the first. */
static const struct evutil_addrinfo *
pick_addr(const struct evutil_addrinfo *res)
{
	static const int order[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (icmp_family(engine, order[i], NULL) == ICMP_NONE)
			continue;
		for (const struct evutil_addrinfo *ai = res; ai;
		    ai = ai->ai_next)
			if (ai->ai_family == order[i])
				return ai;
	}
	for (const struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			return ai;
	return NULL;
}

static void
dns_done(int result, struct evutil_addrinfo *res, void *arg)
{
	struct target *t = arg;
	const struct evutil_addrinfo *ai;
	struct round *r;

	if (result == EVUTIL_EAI_CANCEL) {
		/* release() cancelled it: `t` is gone */
		if (res)
			evutil_freeaddrinfo(res);
		return;
	}
	t->dns_req = NULL;
	t->dns_pending = 0;
	if (result == 0 && (ai = pick_addr(res)) != NULL) {
		set_addr(t, ai->ai_addr);
		t->resolved_at = mono_now();
		t->dns_failed = 0;
	} else {
		if (!t->dns_failed)
			host->log(LOG_WARNING, "ping: %s: cannot resolve %s: "
			    "%s%s", t->id, t->host, result ?
			    evutil_gai_strerror(result) : "no address",
			    t->have_addr ? "; still using the last address" :
			    "");
		t->dns_failed = 1;
	}
	if (res)
		evutil_freeaddrinfo(res);

	/* Start or fail the rounds that waited; report nothing from here
	 * (round_done could release the target under our feet). */
	in_callout++;
	for (;;) {
		for (r = t->rounds; r && r->state != ROUND_DNS; r = r->next)
			;
		if (r == NULL)
			break;
		if (t->have_addr)
			round_begin(r);
		else
			round_fail(r, "cannot resolve %s", t->host);
	}
	in_callout--;
}

static void
resolve(struct target *t)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct evdns_base *dns;

	if ((dns = host->resolver()) == NULL) {
		t->dns_failed = 1;
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	t->dns_pending = 1;
	req = evdns_getaddrinfo(dns, t->host, NULL, &hints, dns_done, t);
	/* NULL: it answered at once (hosts file) and dns_done() ran */
	if (t->dns_pending)
		t->dns_req = req;
}

static int
resolve_due(const struct target *t, int64_t now)
{
	if (t->numeric || t->dns_pending)
		return 0;
	return !t->have_addr || t->dns_failed ||
	    now - t->resolved_at >= RESOLVE_EVERY_NS;
}

static void
ping_start(void *arg, struct tm_round *tm)
{
	struct target *t = arg;
	struct round *r;

	if ((r = round_new(t, tm)) == NULL) {
		host->log(LOG_CRIT, "ping: %s: out of memory", t->id);
		abort();
	}
	r->state = ROUND_DNS;
	r->next = t->rounds;
	t->rounds = r;
	in_callout++;
	if (engine == NULL)
		round_fail(r, "ICMP sockets unavailable");
	else {
		if (resolve_due(t, mono_now()))
			resolve(t);	/* may answer at once */
		/* still ROUND_DNS unless dns_done() already ran */
		if (r->state == ROUND_DNS) {
			if (t->have_addr)
				round_begin(r);
			else if (t->dns_pending)
				arm(r, t->wait_dns_ns, 0);
			else
				round_fail(r, "cannot resolve %s", t->host);
		}
	}
	in_callout--;
}

static void
ping_cancel(void *arg, struct tm_round *tm)
{
	struct target *t = arg;

	in_callout++;
	for (struct round *r = t->rounds; r; r = r->next)
		if (r->tm == tm) {
			round_free(r);
			break;
		}
	in_callout--;
}

static void
ping_release(void *arg)
{
	struct target *t = arg;

	if (t == NULL)
		return;
	while (t->rounds)
		round_free(t->rounds);
	if (t->dns_req)
		evdns_getaddrinfo_cancel(t->dns_req);
	free(t->id);
	free(t->host);
	free(t);
}

/* A DNS name as RFC 1123 host names have it, plus '_' (seen in the
 * wild).  An all-numeric last label is a mistyped address. */
static const char *
hostname_error(const char *h)
{
	size_t len = strlen(h), label = 0;
	int digits = 1;

	if (len > 0 && h[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return "is not a valid host name (1 to 253 characters)";
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? h[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63)
				return "is not a valid host name (empty or "
				    "too long label)";
			if (h[i - 1] == '-' || h[i - label] == '-')
				return "is not a valid host name (a label "
				    "starts or ends with '-')";
			if (i == len && digits)
				return "is neither an IPv4 address nor a "
				    "host name";
			label = 0;
			digits = 1;
			continue;
		}
		if (!isascii((unsigned char)c) ||
		    (!isalnum((unsigned char)c) && c != '-' && c != '_'))
			return "is not a valid address or host name";
		if (!isdigit((unsigned char)c))
			digits = 0;
		label++;
	}
	return NULL;
}

/* Fill t->addr from an address literal; 1 if it is one, 0 if not,
 * -1 (reported) if it is one we cannot ping. */
static int
parse_literal(struct target *t, struct tm_cfg *cfg, const char *h)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, h, &sin.sin_addr) == 1) {
		uint32_t a = ntohl(sin.sin_addr.s_addr);

		if (a == INADDR_ANY || a == INADDR_BROADCAST ||
		    IN_MULTICAST(a)) {
			host->cfg_error(cfg, "host", "\"%s\" is not a unicast "
			    "address", h);
			return -1;
		}
		sin.sin_family = AF_INET;
		t->numeric = 1;
		set_addr(t, (struct sockaddr *)&sin);
		return 1;
	}
	if (inet_pton(AF_INET6, h, &sin6.sin6_addr) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&sin6.sin6_addr) ||
		    IN6_IS_ADDR_MULTICAST(&sin6.sin6_addr)) {
			host->cfg_error(cfg, "host", "\"%s\" is not a unicast "
			    "address", h);
			return -1;
		}
		if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr)) {
			host->cfg_error(cfg, "host", "\"%s\": write an IPv4 "
			    "address as such (a.b.c.d)", h);
			return -1;
		}
		if (IN6_IS_ADDR_LINKLOCAL(&sin6.sin6_addr)) {
			host->cfg_error(cfg, "host", "\"%s\": link-local "
			    "addresses are not supported", h);
			return -1;
		}
		sin6.sin6_family = AF_INET6;
		t->numeric = 1;
		set_addr(t, (struct sockaddr *)&sin6);
		return 1;
	}
	return 0;
}

static void *
ping_configure(const struct tm_host *h, struct tm_cfg *cfg,
    const struct tm_target_conf *tc)
{
	struct target *t;
	const char *why;
	int rc;

	host = h;
	if (tc->host == NULL || tc->host[0] == '\0') {
		h->cfg_error(cfg, "host", "a ping target needs a host "
		    "(an IPv4 or IPv6 address or a host name)");
		return NULL;
	}
	if (tc->count < 1 || tc->count > MAX_COUNT) {
		h->cfg_error(cfg, "count", "count must be 1 to %d echoes a "
		    "round", MAX_COUNT);
		return NULL;
	}
	if (!(tc->interval > 0) || !(tc->timeout > 0)) {
		h->cfg_error(cfg, tc->interval > 0 ? "timeout" : "interval",
		    "must be above zero");
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->id = strdup(tc->id ? tc->id : "?")) == NULL ||
	    (t->host = strdup(tc->host)) == NULL) {
		h->cfg_error(cfg, "host", "out of memory");
		goto fail;
	}
	t->count = tc->count;
	t->timeout = tc->timeout;
	t->timeout_ns = (int64_t)(tc->timeout * 1e9);
	t->spacing_ns = (int64_t)(tc->interval * 1e9 / tc->count);
	t->wait_dns_ns = (int64_t)(tc->interval * 1e9);
	if ((rc = parse_literal(t, cfg, tc->host)) == -1)
		goto fail;
	if (rc == 1)
		return t;
	if ((why = hostname_error(tc->host)) != NULL) {
		h->cfg_error(cfg, "host", "\"%s\" %s", tc->host, why);
		goto fail;
	}
	snprintf(t->addrstr, sizeof(t->addrstr), "%s", tc->host);
	return t;
fail:
	if (t) {
		free(t->id);
		free(t->host);
		free(t);
	}
	return NULL;
}

static int
ping_init(const struct tm_host *h)
{
	char err[1024];
	const char *why;
	static const char *const kind[] = { "none", "raw", "ping (datagram)" };

	host = h;
	if ((engine = icmp_new(on_reply)) == NULL ||
	    (pacer.ev = evtimer_new(h->base, pacer_fire, NULL)) == NULL) {
		h->log(LOG_ERR, "ping: out of memory");
		icmp_free(engine);
		engine = NULL;
		return -1;
	}
	if (icmp_open(engine, h->base, err, sizeof(err)) == -1) {
		h->log(LOG_ERR, "ping: %s", err);
		icmp_free(engine);
		engine = NULL;
		event_free(pacer.ev);
		pacer.ev = NULL;
		return -1;
	}
	h->log(LOG_INFO, "ping: IPv4: %s socket, id %u",
	    kind[icmp_family(engine, AF_INET, NULL)],
	    icmp_ident(engine, AF_INET));
	if (icmp_family(engine, AF_INET6, &why) == ICMP_NONE)
		h->log(LOG_WARNING, "ping: IPv6 unavailable (%s): IPv6 "
		    "targets will fail", why);
	else
		h->log(LOG_INFO, "ping: IPv6: %s socket, id %u",
		    kind[icmp_family(engine, AF_INET6, NULL)],
		    icmp_ident(engine, AF_INET6));
	return 0;
}

static void
ping_counters(void (*emit)(void *, const char *, uint64_t), void *arg)
{
	const struct icmp_counters *c;

	if (engine == NULL)
		return;
	c = icmp_counters(engine);
	emit(arg, "icmp_sent", c->sent);
	emit(arg, "icmp_received", c->received);
	emit(arg, "icmp_duplicates", c->duplicates);
	emit(arg, "icmp_late", c->late);
	emit(arg, "icmp_foreign", c->foreign);
	emit(arg, "icmp_other", c->other);
	emit(arg, "icmp_malformed", c->malformed);
	emit(arg, "icmp_wrong_source", c->wrong_source);
	emit(arg, "icmp_send_errors", c->send_errors);
	for (size_t k = 0; k < NLATE; k++) {
		char name[40];

		snprintf(name, sizeof(name), "ping_echo_late_le_%uus",
		    late_bounds_us[k]);
		emit(arg, name, late_le[k]);
	}
	emit(arg, "ping_echo_late_count", late_count);
	emit(arg, "ping_echo_late_sum_us", late_sum_us);
}

static void
ping_shutdown(void)
{
	icmp_free(engine);
	engine = NULL;
	if (pacer.ev)
		event_free(pacer.ev);
	free(pacer.heap);
	free(pacer.at);
	free(pacer.who);
	free(pacer.free_ids);
	memset(&pacer, 0, sizeof(pacer));
}

const struct tm_probe_ops tramon_probe = {
	.abi = TM_PLUGIN_ABI,
	.name = "ping",
	.flags = TM_PROBE_SMOKE,
	.keys = NULL,
	.values = NULL,
	.nvalues = 0,
	.init = ping_init,
	.configure = ping_configure,
	.start = ping_start,
	.cancel = ping_cancel,
	.release = ping_release,
	.counters = ping_counters,
	.shutdown = ping_shutdown,
};
