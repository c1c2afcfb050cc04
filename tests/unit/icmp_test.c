/*
 * The ICMP engine: the parser and the matcher with crafted packets, then
 * real echoes to 127.0.0.1 and ::1 if this process may open ICMP sockets
 * (skipped, not failed, otherwise).
 *
 * Environment, for the namespace tests (tests/integration runs them):
 *   ICMP_TEST_EXPECT=raw|dgram|denied  the socket kind icmp_open() must
 *       get for IPv4, or that it must fail and say what to do.
 *   ICMP_TEST_NETNS=1  we are alone in a fresh network namespace (only
 *       lo): 198.18.0.1 is unroutable and must fail with ENETUNREACH.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "icmp.h"
#include "test.h"

extern char **environ;

static const uint16_t ID = 0x4a7e;

/* What the reply callback saw. */
struct owner {
	unsigned calls;
	uint32_t last_tag;
	double last_rtt;
	double rtt[16];
	unsigned got[16];
};

static struct owner *last_owner;

static void
on_reply(void *o, uint32_t tag, double rtt)
{
	struct owner *w = o;

	last_owner = w;
	w->calls++;
	w->last_tag = tag;
	w->last_rtt = rtt;
	if (tag < 16) {
		w->got[tag]++;
		w->rtt[tag] = rtt;
	}
}

static void
sa4(struct sockaddr_in *sin, const char *a)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, a, &sin->sin_addr);
}

static void
sa6(struct sockaddr_in6 *sin6, const char *a)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &sin6->sin6_addr);
}

/* Turn a request into the reply the peer would send. */
static void
to_reply(int family, uint8_t *p)
{
	p[0] = family == AF_INET ? 0 : 129;
	p[2] = p[3] = 0;
	if (family == AF_INET) {
		uint16_t c = icmp_cksum(p, ICMP_ECHO_LEN);

		p[2] = (uint8_t)(c >> 8);
		p[3] = (uint8_t)c;
	}
}

/* Prefix an IPv4 header of `hl` bytes (20..60) as a raw socket sees. */
static size_t
with_ip(uint8_t *out, size_t hl, const uint8_t *icmp, size_t len)
{
	memset(out, 0, hl);
	out[0] = (uint8_t)(0x40 | hl / 4);
	out[2] = (uint8_t)((hl + len) >> 8);
	out[3] = (uint8_t)(hl + len);
	out[8] = 64;
	out[9] = 1;
	memcpy(out + hl, icmp, len);
	return hl + len;
}

static const uint8_t cookie[ICMP_COOKIE_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

DEF_TEST(checksum)
{
	uint8_t p[ICMP_ECHO_LEN];
	/* RFC 1071's example: 0001 f203 f4f5 f6f7 sums to ddf2 */
	static const uint8_t v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
	    0xf6, 0xf7 };

	EXPECT_EQ_INT(0x220d, icmp_cksum(v, sizeof(v)));
	EXPECT_EQ_INT(0xfeff, icmp_cksum("\x01", 1));	/* odd length */
	icmp_build(AF_INET, ID, 7, cookie, 123456789, p);
	EXPECT_EQ_INT(8, p[0]);
	EXPECT_EQ_INT(0, icmp_cksum(p, sizeof(p)));
	icmp_build(AF_INET6, ID, 7, cookie, 123456789, p);
	EXPECT_EQ_INT(128, p[0]);
	EXPECT_EQ_INT(0, p[2] | p[3]);	/* the kernel's job for ICMPv6 */
	return 0;
}

DEF_TEST(parse_good)
{
	uint8_t p[ICMP_ECHO_LEN], raw[60 + ICMP_ECHO_LEN];
	struct icmp_echo e;
	size_t n;

	icmp_build(AF_INET, ID, 0xbeef, cookie, 0x0102030405060708LL, p);
	to_reply(AF_INET, p);

	/* a raw IPv4 socket: IP header first, with or without options */
	memset(&e, 0, sizeof(e));
	n = with_ip(raw, 20, p, sizeof(p));
	EXPECT_EQ_INT(ICMP_REPLY, icmp_parse(AF_INET, ICMP_RAW, ID, cookie,
	    raw, n, &e));
	EXPECT_EQ_INT(ID, e.id);
	EXPECT_EQ_INT(0xbeef, e.seq);
	EXPECT_TRUE(e.stamp_ns == 0x0102030405060708LL);
	n = with_ip(raw, 60, p, sizeof(p));
	EXPECT_EQ_INT(ICMP_REPLY, icmp_parse(AF_INET, ICMP_RAW, ID, cookie,
	    raw, n, &e));

	/* a ping socket: no IP header */
	memset(&e, 0, sizeof(e));
	EXPECT_EQ_INT(ICMP_REPLY, icmp_parse(AF_INET, ICMP_DGRAM, ID, cookie,
	    p, sizeof(p), &e));
	EXPECT_EQ_INT(0xbeef, e.seq);
	/* ... which a raw socket would never deliver */
	EXPECT_EQ_INT(ICMP_MALFORMED, icmp_parse(AF_INET, ICMP_RAW, ID,
	    cookie, p, sizeof(p), &e));

	/* IPv6, raw or not: no header, no checksum of ours */
	icmp_build(AF_INET6, ID, 3, cookie, -5, p);
	to_reply(AF_INET6, p);
	memset(&e, 0, sizeof(e));
	EXPECT_EQ_INT(ICMP_REPLY, icmp_parse(AF_INET6, ICMP_RAW, ID, cookie,
	    p, sizeof(p), &e));
	EXPECT_EQ_INT(3, e.seq);
	EXPECT_TRUE(e.stamp_ns == -5);
	EXPECT_EQ_INT(ICMP_REPLY, icmp_parse(AF_INET6, ICMP_DGRAM, ID, cookie,
	    p, sizeof(p), &e));
	return 0;
}

DEF_TEST(parse_rejects)
{
	uint8_t p[ICMP_ECHO_LEN + 1], q[ICMP_ECHO_LEN], raw[80 + ICMP_ECHO_LEN];
	uint8_t other[ICMP_COOKIE_LEN] = { 9 };
	struct icmp_echo e;
	size_t n;

	icmp_build(AF_INET, ID, 1, cookie, 42, p);

	/* our own request, as a raw socket sees it on loopback */
	n = with_ip(raw, 20, p, ICMP_ECHO_LEN);
	EXPECT_EQ_INT(ICMP_OTHER, icmp_parse(AF_INET, ICMP_RAW, ID, cookie,
	    raw, n, &e));
	icmp_build(AF_INET6, ID, 1, cookie, 42, q);
	EXPECT_EQ_INT(ICMP_OTHER, icmp_parse(AF_INET6, ICMP_RAW, ID, cookie,
	    q, sizeof(q), &e));
	/* a destination unreachable */
	memcpy(q, p, sizeof(q));
	q[0] = 3;
	EXPECT_EQ_INT(ICMP_OTHER, icmp_parse(AF_INET, ICMP_DGRAM, ID, cookie,
	    q, sizeof(q), &e));

	to_reply(AF_INET, p);

	/* another program's reply (fping, ping): other id */
	EXPECT_EQ_INT(ICMP_FOREIGN, icmp_parse(AF_INET, ICMP_DGRAM, ID + 1,
	    cookie, p, ICMP_ECHO_LEN, &e));
	/* our id but not our cookie */
	EXPECT_EQ_INT(ICMP_FOREIGN, icmp_parse(AF_INET, ICMP_DGRAM, ID, other,
	    p, ICMP_ECHO_LEN, &e));

	/* truncated anywhere */
	for (size_t len = 0; len < ICMP_ECHO_LEN; len++)
		if (icmp_parse(AF_INET, ICMP_DGRAM, ID, cookie, p, len, &e) !=
		    ICMP_MALFORMED)
			FAIL_HERE("length %zu accepted", len);
	n = with_ip(raw, 20, p, ICMP_ECHO_LEN);
	for (size_t len = 0; len < n; len++)
		if (icmp_parse(AF_INET, ICMP_RAW, ID, cookie, raw, len, &e) !=
		    ICMP_MALFORMED)
			FAIL_HERE("raw length %zu accepted", len);
	/* a header longer than the packet, one shorter than 20 bytes */
	raw[0] = 0x4f;
	EXPECT_EQ_INT(ICMP_MALFORMED, icmp_parse(AF_INET, ICMP_RAW, ID,
	    cookie, raw, 40, &e));
	raw[0] = 0x44;
	EXPECT_EQ_INT(ICMP_MALFORMED, icmp_parse(AF_INET, ICMP_RAW, ID,
	    cookie, raw, n, &e));
	raw[0] = 0x65;	/* IPv6 on an IPv4 socket */
	EXPECT_EQ_INT(ICMP_MALFORMED, icmp_parse(AF_INET, ICMP_RAW, ID,
	    cookie, raw, n, &e));

	/* too long */
	p[ICMP_ECHO_LEN] = 0;
	EXPECT_EQ_INT(ICMP_MALFORMED, icmp_parse(AF_INET, ICMP_DGRAM, ID,
	    cookie, p, ICMP_ECHO_LEN + 1, &e));

	/* bad checksum */
	memcpy(q, p, sizeof(q));
	q[3] ^= 1;
	EXPECT_EQ_INT(ICMP_MALFORMED, icmp_parse(AF_INET, ICMP_DGRAM, ID,
	    cookie, q, sizeof(q), &e));
	/* altered payload, checksum fixed up: the padding must echo */
	memcpy(q, p, sizeof(q));
	q[40] = 0xff;
	to_reply(AF_INET, q);
	EXPECT_EQ_INT(ICMP_MALFORMED, icmp_parse(AF_INET, ICMP_DGRAM, ID,
	    cookie, q, sizeof(q), &e));
	/* echo reply with a non-zero code */
	memcpy(q, p, sizeof(q));
	q[1] = 1;
	to_reply(AF_INET, q);
	EXPECT_EQ_INT(ICMP_MALFORMED, icmp_parse(AF_INET, ICMP_DGRAM, ID,
	    cookie, q, sizeof(q), &e));
	return 0;
}

/* Prepare a request with the engine (no socket) and return the reply
 * packet a peer would send back. */
static icmp_handle
pending(struct icmp_engine *eng, const struct sockaddr *dst, double timeout,
    struct owner *w, uint32_t tag, uint8_t *reply)
{
	icmp_handle h = ICMP_HANDLE_NONE;

	if (icmp_prepare(eng, dst, timeout, w, tag, &h, reply) != 0)
		FAIL_HERE("%s", "icmp_prepare failed");
	to_reply(dst->sa_family, reply);
	return h;
}

static int64_t
stamp_of(const uint8_t *reply)
{
	int64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | reply[16 + i];
	return v;
}

DEF_TEST(match)
{
	struct icmp_engine *eng = icmp_new(on_reply);
	const struct icmp_counters *c = icmp_counters(eng);
	struct sockaddr_in a, b;
	struct sockaddr_in6 a6;
	struct owner w;
	uint8_t r1[ICMP_ECHO_LEN], r2[ICMP_ECHO_LEN], raw[20 + ICMP_ECHO_LEN];
	struct timespec ks;
	icmp_handle h;
	size_t n;

	memset(&w, 0, sizeof(w));
	sa4(&a, "198.18.0.1");
	sa4(&b, "198.18.0.2");
	sa6(&a6, "2001:db8::1");
	icmp_pretend(eng, AF_INET, ICMP_RAW, ID);
	EXPECT_EQ_INT(ICMP_RAW, icmp_family(eng, AF_INET, NULL));
	EXPECT_EQ_INT(ICMP_NONE, icmp_family(eng, AF_INET6, NULL));
	EXPECT_EQ_INT(EAFNOSUPPORT, icmp_prepare(eng, (struct sockaddr *)&a6,
	    1, &w, 0, &h, r1));

	/* a good reply, delivered once with the kernel's time */
	pending(eng, (struct sockaddr *)&a, 2.0, &w, 5, r1);
	n = with_ip(raw, 20, r1, sizeof(r1));
	ks.tv_sec = stamp_of(r1) / 1000000000;
	ks.tv_nsec = stamp_of(r1) % 1000000000;
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, &ks);
	EXPECT_EQ_INT(1, w.calls);
	EXPECT_EQ_INT(5, w.last_tag);
	EXPECT_TRUE(w.last_rtt == 0.0);	/* rx stamp == tx stamp */
	EXPECT_EQ_INT(1, c->received);

	/* the same reply again: a duplicate, not delivered */
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, &ks);
	EXPECT_EQ_INT(1, w.calls);
	EXPECT_EQ_INT(1, c->duplicates);

	/* ours, from the wrong address: dropped, and the real one still
	 * counts */
	pending(eng, (struct sockaddr *)&a, 2.0, &w, 6, r2);
	n = with_ip(raw, 20, r2, sizeof(r2));
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&b, NULL);
	EXPECT_EQ_INT(1, c->wrong_source);
	EXPECT_EQ_INT(1, w.calls);
	icmp_input(eng, AF_INET, raw, n, NULL, NULL);
	EXPECT_EQ_INT(2, c->wrong_source);
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(2, w.calls);
	EXPECT_EQ_INT(6, w.last_tag);
	EXPECT_TRUE(w.last_rtt >= 0 && w.last_rtt < 0.1);

	/* a kernel stamp before the send (clock stepped back) or far after
	 * it: the monotonic time is used instead */
	pending(eng, (struct sockaddr *)&a, 2.0, &w, 7, r1);
	n = with_ip(raw, 20, r1, sizeof(r1));
	ks.tv_sec = stamp_of(r1) / 1000000000 - 10;
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, &ks);
	EXPECT_EQ_INT(7, w.last_tag);
	EXPECT_TRUE(w.last_rtt >= 0 && w.last_rtt < 0.1);
	pending(eng, (struct sockaddr *)&a, 2.0, &w, 8, r1);
	n = with_ip(raw, 20, r1, sizeof(r1));
	ks.tv_sec = stamp_of(r1) / 1000000000 + 1;
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, &ks);
	EXPECT_EQ_INT(8, w.last_tag);
	EXPECT_TRUE(w.last_rtt >= 0 && w.last_rtt < 0.1);
	EXPECT_EQ_INT(4, c->received);

	/* late by the clock: over its timeout */
	pending(eng, (struct sockaddr *)&a, 0, &w, 9, r1);
	n = with_ip(raw, 20, r1, sizeof(r1));
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(1, c->late);
	EXPECT_EQ_INT(4, w.calls);

	/* late because the owner gave up; forgetting twice is harmless,
	 * and only the owner can forget */
	h = pending(eng, (struct sockaddr *)&a, 2.0, &w, 10, r1);
	n = with_ip(raw, 20, r1, sizeof(r1));
	icmp_forget(eng, h, &b);
	icmp_forget(eng, h, &w);
	icmp_forget(eng, h, &w);
	icmp_forget(eng, ICMP_HANDLE_NONE, &w);
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(2, c->late);
	EXPECT_EQ_INT(4, w.calls);

	/* a reply to an earlier use of a sequence number: its stamp does
	 * not match the slot's */
	pending(eng, (struct sockaddr *)&a, 2.0, &w, 11, r1);
	r1[23] ^= 1;
	to_reply(AF_INET, r1);
	n = with_ip(raw, 20, r1, sizeof(r1));
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(3, c->late);

	/* our cookie and id on a sequence never used: forged or stale */
	memcpy(r2, r1, sizeof(r2));
	r2[6] ^= 0x80;
	to_reply(AF_INET, r2);
	n = with_ip(raw, 20, r2, sizeof(r2));
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(1, c->foreign);

	/* the parser's verdicts are counted */
	n = with_ip(raw, 20, r1, 10);
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(1, c->malformed);
	r2[0] = 8;
	to_reply(AF_INET, r2);
	r2[0] = 8;
	n = with_ip(raw, 20, r2, sizeof(r2));
	icmp_input(eng, AF_INET, raw, n, (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(1, c->other);

	/* without a socket, icmp_send fails and leaves nothing pending */
	EXPECT_EQ_INT(EBADF, icmp_send(eng, (struct sockaddr *)&a, 1, &w, 12,
	    &h));
	EXPECT_TRUE(h == ICMP_HANDLE_NONE);
	EXPECT_EQ_INT(1, c->send_errors);
	EXPECT_EQ_INT(0, c->sent);
	EXPECT_EQ_INT(4, c->received);
	icmp_free(eng);
	return 0;
}

DEF_TEST(match_v6_dgram)
{
	struct icmp_engine *eng = icmp_new(on_reply);
	const struct icmp_counters *c = icmp_counters(eng);
	struct sockaddr_in6 a, b;
	struct owner w;
	uint8_t r[ICMP_ECHO_LEN];

	memset(&w, 0, sizeof(w));
	sa6(&a, "2001:db8::1");
	sa6(&b, "2001:db8::2");
	icmp_pretend(eng, AF_INET6, ICMP_DGRAM, 0x1234);
	EXPECT_EQ_INT(0x1234, icmp_ident(eng, AF_INET6));
	pending(eng, (struct sockaddr *)&a, 2.0, &w, 3, r);
	EXPECT_EQ_INT(0x12, r[4]);
	EXPECT_EQ_INT(0x34, r[5]);
	icmp_input(eng, AF_INET6, r, sizeof(r), (struct sockaddr *)&b, NULL);
	EXPECT_EQ_INT(1, c->wrong_source);
	icmp_input(eng, AF_INET6, r, sizeof(r), (struct sockaddr *)&a, NULL);
	icmp_input(eng, AF_INET6, r, sizeof(r), (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(1, w.calls);
	EXPECT_EQ_INT(3, w.last_tag);
	EXPECT_EQ_INT(1, c->duplicates);
	icmp_free(eng);
	return 0;
}

/* The sequence map grows with the echoes in flight: an echo awaited
 * across the growths is still matched, one answered before them is
 * still a duplicate; a reply to a slot's earlier use is late. */
DEF_TEST(seq_map_grows)
{
	struct icmp_engine *eng = icmp_new(on_reply);
	const struct icmp_counters *c = icmp_counters(eng);
	struct sockaddr_in a;
	struct owner w;
	uint8_t r1[ICMP_ECHO_LEN], r2[ICMP_ECHO_LEN], r[ICMP_ECHO_LEN];
	icmp_handle h;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	sa4(&a, "198.18.0.1");
	icmp_pretend(eng, AF_INET, ICMP_DGRAM, ID);
	pending(eng, (struct sockaddr *)&a, 60, &w, 1, r1);
	pending(eng, (struct sockaddr *)&a, 60, &w, 2, r2);
	icmp_input(eng, AF_INET, r2, sizeof(r2), (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(1, w.calls);
	for (unsigned i = 0; i < 5000 && rc == 0; i++)
		rc = icmp_prepare(eng, (struct sockaddr *)&a, 60, &w, 100 + i,
		    &h, r);
	EXPECT_EQ_INT(0, rc);
	icmp_input(eng, AF_INET, r1, sizeof(r1), (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(2, w.calls);
	EXPECT_EQ_INT(1, w.last_tag);
	icmp_input(eng, AF_INET, r2, sizeof(r2), (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(2, w.calls);
	EXPECT_EQ_INT(1, c->duplicates);
	icmp_free(eng);

	/* few in flight: the map stays small and its slots are reused */
	eng = icmp_new(on_reply);
	c = icmp_counters(eng);
	memset(&w, 0, sizeof(w));
	icmp_pretend(eng, AF_INET, ICMP_DGRAM, ID);
	h = pending(eng, (struct sockaddr *)&a, 60, &w, 1, r1);
	icmp_forget(eng, h, &w);
	for (unsigned i = 0; i < 4096 && rc == 0; i++) {
		rc = icmp_prepare(eng, (struct sockaddr *)&a, 60, &w, 2, &h, r);
		icmp_forget(eng, h, &w);
	}
	EXPECT_EQ_INT(0, rc);
	icmp_input(eng, AF_INET, r1, sizeof(r1), (struct sockaddr *)&a, NULL);
	EXPECT_EQ_INT(0, w.calls);
	EXPECT_EQ_INT(1, c->late);
	EXPECT_EQ_INT(0, c->foreign);
	icmp_free(eng);
	return 0;
}

DEF_TEST(seq_exhaustion)
{
	struct icmp_engine *eng = icmp_new(on_reply);
	struct sockaddr_in a;
	struct owner w;
	uint8_t r[ICMP_ECHO_LEN];
	icmp_handle h, first = ICMP_HANDLE_NONE;
	int rc = 0;

	sa4(&a, "198.18.0.1");
	icmp_pretend(eng, AF_INET, ICMP_DGRAM, ID);
	for (unsigned i = 0; i < 65536 && rc == 0; i++) {
		rc = icmp_prepare(eng, (struct sockaddr *)&a, 60, &w, i, &h, r);
		if (i == 0)
			first = h;
	}
	EXPECT_EQ_INT(0, rc);
	/* all 65536 sequence numbers awaited: no silent reuse */
	EXPECT_EQ_INT(ENOBUFS, icmp_prepare(eng, (struct sockaddr *)&a, 60,
	    &w, 0, &h, r));
	/* one given up: that one is free again */
	icmp_forget(eng, first, &w);
	EXPECT_EQ_INT(0, icmp_prepare(eng, (struct sockaddr *)&a, 60, &w, 0,
	    &h, r));
	EXPECT_TRUE(h == first);
	icmp_free(eng);
	icmp_free(NULL);
	return 0;
}

/* --- live: real echoes through real sockets */

#define LIVE_N 5

struct live {
	struct icmp_engine *eng;
	struct event_base *base;
	struct event *tick;
	struct sockaddr_in lo4;
	struct sockaddr_in6 lo6;
	int v6;
	unsigned round;
	struct owner w4, w6, wlate;
	int errs;
};

static void
live_tick(evutil_socket_t fd, short what, void *arg)
{
	struct live *l = arg;
	struct timeval tv = { 0, 20000 };
	icmp_handle h;
	int rc;

	if (l->round < LIVE_N) {
		rc = icmp_send(l->eng, (struct sockaddr *)&l->lo4, 1.0, &l->w4,
		    l->round, &h);
		if (rc) {
			printf("# send 127.0.0.1: %s\n", strerror(rc));
			l->errs++;
		}
		if (l->v6) {
			rc = icmp_send(l->eng, (struct sockaddr *)&l->lo6, 1.0,
			    &l->w6, l->round, &h);
			if (rc) {
				printf("# send ::1: %s\n", strerror(rc));
				l->errs++;
			}
		}
		/* a timeout nothing can meet: each reply is late */
		rc = icmp_send(l->eng, (struct sockaddr *)&l->lo4, 1e-9,
		    &l->wlate, l->round, &h);
		if (rc)
			l->errs++;
		l->round++;
		evtimer_add(l->tick, &tv);
	}
}

/* fping to 127.0.0.1 at the same time, as an admin would run it: its
 * replies reach a raw socket of ours and must be counted foreign. */
static pid_t
start_fping(void)
{
	char *argv[] = { "fping", "-q", "-c", "20", "-p", "20", "-t", "200",
	    "127.0.0.1", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "fping", &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* 1 if fping ran and got its replies (exit 0). */
static int
stop_fping(pid_t pid)
{
	int status;

	if (pid <= 0)
		return 0;
	/* it needs ~0.6 s; never wait more than 2 */
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 0;
}

static void
check_denied(const char *err)
{
	char sysctl[80];

	printf("# icmp_open: %s\n", err);
	snprintf(sysctl, sizeof(sysctl),
	    "sysctl -w net.ipv4.ping_group_range=\"%lu %lu\"",
	    (unsigned long)getegid(), (unsigned long)getegid());
	EXPECT_CONTAINS(err, "run tramond as root");
	EXPECT_CONTAINS(err, "setcap cap_net_raw+ep ");
	EXPECT_CONTAINS(err, "AmbientCapabilities=CAP_NET_RAW");
	EXPECT_CONTAINS(err, sysctl);
	EXPECT_CONTAINS(err, "net.ipv4.ping_group_range is \"");
}

DEF_TEST(live)
{
	static const char *const kinds[] = { "none", "raw", "dgram" };
	const char *expect = getenv("ICMP_TEST_EXPECT");
	const char *netns = getenv("ICMP_TEST_NETNS");
	struct timeval stop = { 1, 500000 }, zero = { 0, 0 };
	const struct icmp_counters *c;
	struct live l;
	char err[1024];
	const char *why;
	pid_t fping = -1;
	int fping_ok;
	unsigned n4 = 0, n6 = 0;

	memset(&l, 0, sizeof(l));
	l.base = event_base_new();
	l.eng = icmp_new(on_reply);
	if (icmp_open(l.eng, l.base, err, sizeof(err)) == -1) {
		if (expect && strcmp(expect, "denied") == 0)
			check_denied(err);
		else if (expect)
			FAIL_HERE("expected %s sockets, got: %s", expect, err);
		else
			printf("# live test skipped: %s\n", err);
		icmp_free(l.eng);
		event_base_free(l.base);
		return 0;
	}
	l.v6 = icmp_family(l.eng, AF_INET6, &why) != ICMP_NONE;
	printf("# IPv4 %s id %u, IPv6 %s\n",
	    kinds[icmp_family(l.eng, AF_INET, NULL)],
	    icmp_ident(l.eng, AF_INET), l.v6 ?
	    kinds[icmp_family(l.eng, AF_INET6, NULL)] : why);
	if (expect) {
		EXPECT_EQ_STR(expect, kinds[icmp_family(l.eng, AF_INET, NULL)]);
		if (l.v6)
			EXPECT_EQ_STR(expect,
			    kinds[icmp_family(l.eng, AF_INET6, NULL)]);
	}
	sa4(&l.lo4, "127.0.0.1");
	sa6(&l.lo6, "::1");

	if (netns) {
		struct sockaddr_in far;
		icmp_handle h;

		/* nothing but lo here: no route, nothing leaves */
		sa4(&far, "198.18.0.1");
		EXPECT_EQ_INT(ENETUNREACH, icmp_send(l.eng,
		    (struct sockaddr *)&far, 1, &l.w4, 99, &h));
		EXPECT_EQ_INT(1, icmp_counters(l.eng)->send_errors);
		EXPECT_EQ_INT(0, icmp_counters(l.eng)->sent);
	}

	if (icmp_family(l.eng, AF_INET, NULL) == ICMP_RAW)
		fping = start_fping();
	l.tick = evtimer_new(l.base, live_tick, &l);
	evtimer_add(l.tick, &zero);
	event_base_loopexit(l.base, &stop);
	event_base_dispatch(l.base);
	fping_ok = stop_fping(fping);

	c = icmp_counters(l.eng);
	for (unsigned i = 0; i < LIVE_N; i++) {
		n4 += l.w4.got[i];
		n6 += l.w6.got[i];
		if (l.w4.got[i] && !(l.w4.rtt[i] > 0 && l.w4.rtt[i] < 0.1))
			FAIL_HERE("127.0.0.1 rtt %g", l.w4.rtt[i]);
		if (l.w6.got[i] && !(l.w6.rtt[i] > 0 && l.w6.rtt[i] < 0.1))
			FAIL_HERE("::1 rtt %g", l.w6.rtt[i]);
		printf("# rtt %u: %.1f us, %.1f us\n", i, l.w4.rtt[i] * 1e6,
		    l.w6.rtt[i] * 1e6);
	}
	printf("# sent %ju received %ju duplicates %ju late %ju foreign %ju "
	    "other %ju malformed %ju wrong_source %ju send_errors %ju\n",
	    (uintmax_t)c->sent, (uintmax_t)c->received,
	    (uintmax_t)c->duplicates, (uintmax_t)c->late,
	    (uintmax_t)c->foreign, (uintmax_t)c->other,
	    (uintmax_t)c->malformed, (uintmax_t)c->wrong_source,
	    (uintmax_t)c->send_errors);
	EXPECT_EQ_INT(0, l.errs);
	EXPECT_EQ_INT(LIVE_N, n4);
	EXPECT_EQ_INT(l.v6 ? LIVE_N : 0, n6);
	EXPECT_EQ_INT(0, l.wlate.calls);
	EXPECT_EQ_INT(LIVE_N, c->late);
	EXPECT_EQ_INT(LIVE_N * (l.v6 ? 3 : 2), c->sent);
	EXPECT_EQ_INT(n4 + n6, c->received);
	EXPECT_EQ_INT(0, c->duplicates);
	EXPECT_EQ_INT(0, c->malformed);
	EXPECT_EQ_INT(0, c->wrong_source);
	/* the raw socket's filter keeps our own requests (and every other
	 * ICMP type) out */
	EXPECT_EQ_INT(0, c->other);
	if (fping_ok) {
		printf("# with fping running: %ju foreign replies dropped\n",
		    (uintmax_t)c->foreign);
		EXPECT_TRUE(c->foreign > 0);
	} else if (fping > 0)
		printf("# fping failed: foreign replies not checked\n");
	/* a ping socket only gets its own replies; a raw one sees every
	 * program's (other tests may be pinging now) */
	if (icmp_family(l.eng, AF_INET, NULL) == ICMP_DGRAM)
		EXPECT_EQ_INT(0, c->foreign);
	event_free(l.tick);
	icmp_free(l.eng);
	event_base_free(l.base);
	return 0;
}

int
main(void)
{
	RUN_TEST(checksum);
	RUN_TEST(parse_good);
	RUN_TEST(parse_rejects);
	RUN_TEST(match);
	RUN_TEST(match_v6_dgram);
	RUN_TEST(seq_map_grows);
	RUN_TEST(seq_exhaustion);
	RUN_TEST(live);
	END_TEST;
}
