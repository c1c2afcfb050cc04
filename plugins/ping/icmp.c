/*
 * ICMP echo engine (see icmp.h).
 *
 * Matching: each socket has a 65536-entry map indexed by the echo
 * sequence number, like fping's seqmap.  A slot records who asked, when
 * (both clocks), the timeout and the destination, so a reply is matched
 * in O(1) and checked against all of them.  Nothing is allocated after
 * icmp_open(): the maps and the receive buffers are made up front.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "icmp.h"

/* <linux/icmp.h> clashes with <netinet/ip_icmp.h>: the raw IPv4 socket
 * filter, a bit mask of the ICMP types to block. */
#ifndef ICMP_FILTER
#define ICMP_FILTER	1
#endif
struct raw_icmp_filter {
	uint32_t data;
};

#define NSEQ		65536	/* sequence numbers */
#define SLOTS_MIN	1024	/* the map's first size; it doubles when
				 * half its slots are awaited, up to NSEQ */
#define RECV_BATCH	32
#define RECV_BUFLEN	256	/* ours are <= 60 + 64 bytes; more is
				 * truncated and then fails the checks */
#define RECV_MAXBATCH	64	/* batches per read event: bounds the
				 * time a flood can hold the loop */
#define CLOCK_SLACK_NS	1000000

enum slot_state {
	SLOT_FREE = 0,
	SLOT_PENDING,		/* sent, owner waiting */
	SLOT_ANSWERED,		/* first good reply delivered */
	SLOT_EXPIRED,		/* owner gave up: later replies are late */
};

struct slot {
	void *owner;		/* NULL unless PENDING */
	int64_t sent_rt;	/* CLOCK_REALTIME ns, echoed in the payload */
	int64_t sent_mono;	/* CLOCK_MONOTONIC ns */
	int64_t timeout_ns;
	uint32_t tag;
	uint16_t seq;		/* of its last use */
	uint8_t state;
	uint8_t addr[16];	/* the destination (4 bytes for IPv4) */
};

struct icmp_sock {
	struct icmp_engine *engine;
	int family;
	int fd;
	enum icmp_kind kind;
	uint16_t id;
	uint16_t next_seq;
	unsigned issued;	/* sequence numbers passed, up to NSEQ */
	struct slot *slots;	/* sequence number & mask -> its echo */
	unsigned mask;		/* slots - 1, a power of two */
	unsigned pending;	/* slots PENDING: replies worth a read */
	struct event *ev;
	char why[160];		/* why kind == ICMP_NONE */
};

struct icmp_engine {
	icmp_reply_fn *reply;
	uint8_t cookie[ICMP_COOKIE_LEN];
	struct icmp_sock sock[2];	/* [0] IPv4, [1] IPv6 */
	struct icmp_counters c;

	/* recvmmsg() state, shared: everything runs on one thread */
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct sockaddr_storage from[RECV_BATCH];
	uint8_t buf[RECV_BATCH][RECV_BUFLEN];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct timespec)) + 64];
	} ctl[RECV_BATCH];
};

static inline int64_t
now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(p + got, len - got, GRND_NONBLOCK);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < len) {
		/* no entropy yet (early boot): still differ per process */
		uint64_t x = (uint64_t)now_ns(CLOCK_REALTIME) ^
		    ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)buf;

		for (; got < len; got++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[got] = (uint8_t)x;
		}
	}
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline int64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static inline void
put64(uint8_t *p, int64_t sv)
{
	uint64_t v = (uint64_t)sv;

	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

uint16_t
icmp_cksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void
icmp_build(int family, uint16_t id, uint16_t seq,
    const uint8_t cookie[ICMP_COOKIE_LEN], int64_t stamp_ns, uint8_t *buf)
{
	memset(buf, 0, ICMP_ECHO_LEN);
	buf[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	put16(buf + 4, id);
	put16(buf + 6, seq);
	memcpy(buf + 8, cookie, ICMP_COOKIE_LEN);
	put64(buf + 8 + ICMP_COOKIE_LEN, stamp_ns);
	/* The kernel computes ICMPv6 checksums, and ICMPv4 ones on ping
	 * sockets; a raw IPv4 socket sends what we give it. */
	if (family == AF_INET)
		put16(buf + 2, icmp_cksum(buf, ICMP_ECHO_LEN));
}

enum icmp_verdict
icmp_parse(int family, enum icmp_kind kind, uint16_t id,
    const uint8_t cookie[ICMP_COOKIE_LEN], const void *buf, size_t len,
    struct icmp_echo *out)
{
	const uint8_t *p = buf;
	uint8_t reply = family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;

	if (family == AF_INET && kind == ICMP_RAW) {
		size_t hl;

		if (len < sizeof(struct iphdr) || p[0] >> 4 != 4)
			return ICMP_MALFORMED;
		hl = (size_t)(p[0] & 0x0f) * 4;
		if (hl < sizeof(struct iphdr) || hl > len)
			return ICMP_MALFORMED;
		p += hl;
		len -= hl;
	}
	if (len < 8)
		return ICMP_MALFORMED;
	if (p[0] != reply)
		return ICMP_OTHER;
	out->id = get16(p + 4);
	out->seq = get16(p + 6);
	if (out->id != id)
		return ICMP_FOREIGN;
	if (p[1] != 0 || len != ICMP_ECHO_LEN)
		return ICMP_MALFORMED;
	if (family == AF_INET && icmp_cksum(p, len) != 0)
		return ICMP_MALFORMED;
	if (memcmp(p + 8, cookie, ICMP_COOKIE_LEN) != 0)
		return ICMP_FOREIGN;
	out->stamp_ns = get64(p + 8 + ICMP_COOKIE_LEN);
	/* the padding must come back as sent: a reply is an echo */
	for (size_t i = 16 + ICMP_COOKIE_LEN; i < ICMP_ECHO_LEN; i++)
		if (p[i] != 0)
			return ICMP_MALFORMED;
	return ICMP_REPLY;
}

static struct icmp_sock *
sock_of(struct icmp_engine *e, int family)
{
	if (family == AF_INET)
		return &e->sock[0];
	if (family == AF_INET6)
		return &e->sock[1];
	return NULL;
}

/* The address bytes of a sockaddr of the socket's family, or NULL. */
static const uint8_t *
addr_bytes(const struct sockaddr *sa, int family)
{
	if (sa == NULL || sa->sa_family != family)
		return NULL;
	if (family == AF_INET)
		return (const uint8_t *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	return (const uint8_t *)
	    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
}

struct icmp_engine *
icmp_new(icmp_reply_fn *fn)
{
	struct icmp_engine *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->reply = fn;
	random_bytes(e->cookie, sizeof(e->cookie));
	for (int i = 0; i < 2; i++) {
		struct icmp_sock *s = &e->sock[i];

		s->engine = e;
		s->family = i == 0 ? AF_INET : AF_INET6;
		s->fd = -1;
		snprintf(s->why, sizeof(s->why), "not opened");
	}
	for (int i = 0; i < RECV_BATCH; i++) {
		e->iov[i].iov_base = e->buf[i];
		e->iov[i].iov_len = RECV_BUFLEN;
	}
	return e;
}

/*
 * The sequence map is made at a family's first echo (a district without
 * IPv6 targets never pays for one) and small: it grows with the echoes
 * in flight, not with the sequence space (a whole one is 3.7 MB; 10,000
 * targets x 20 echoes a minute keep some 3,300 in flight, issue 8).
 */
static int
sock_alloc_slots(struct icmp_sock *s)
{
	if (s->slots != NULL)
		return 0;
	if ((s->slots = calloc(SLOTS_MIN, sizeof(*s->slots))) == NULL)
		return -1;
	s->mask = SLOTS_MIN - 1;
	random_bytes(&s->next_seq, sizeof(s->next_seq));
	return 0;
}

static struct slot *
slot_of(struct icmp_sock *s, uint16_t seq)
{
	return &s->slots[seq & s->mask];
}

/* Was `seq` ever handed out?  A slot serves many sequence numbers: a
 * reply to one it no longer holds is late if that one was used, forged
 * or stale (an earlier process's) if not. */
static int
seq_used(const struct icmp_sock *s, uint16_t seq)
{
	return (uint16_t)(s->next_seq - 1 - seq) < s->issued;
}

/* Twice the slots: each used one moves to its sequence number's place
 * under the new mask, which no other takes (their places under the old
 * mask were all different). */
static int
sock_grow_slots(struct icmp_sock *s)
{
	unsigned n = s->mask + 1, mask = 2 * n - 1;
	struct slot *slots = calloc(2 * n, sizeof(*slots));

	if (slots == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (s->slots[i].state != SLOT_FREE)
			slots[s->slots[i].seq & mask] = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->mask = mask;
	return 0;
}

void
icmp_pretend(struct icmp_engine *e, int family, enum icmp_kind kind,
    uint16_t id)
{
	struct icmp_sock *s = sock_of(e, family);

	if (s == NULL || sock_alloc_slots(s) == -1)
		return;
	s->kind = kind;
	s->id = id;
}

/* Where a reply's kernel receive time is, if the kernel gave one. */
static const struct timespec *
kernel_stamp(struct msghdr *m)
{
	if (m->msg_flags & MSG_CTRUNC)
		return NULL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec)))
			return (const struct timespec *)(void *)CMSG_DATA(c);
	return NULL;
}

/* Drain the socket: recvmmsg() in batches until it would block (a short
 * batch means it did), bounded so that a flood cannot hold the loop. */
static void
sock_read(evutil_socket_t fd, short what, void *arg)
{
	struct icmp_sock *s = arg;
	struct icmp_engine *e = s->engine;

	for (int b = 0; b < RECV_MAXBATCH; b++) {
		int n;

		for (int i = 0; i < RECV_BATCH; i++) {
			struct msghdr *m = &e->msgs[i].msg_hdr;

			m->msg_name = &e->from[i];
			m->msg_namelen = sizeof(e->from[i]);
			m->msg_iov = &e->iov[i];
			m->msg_iovlen = 1;
			m->msg_control = e->ctl[i].b;
			m->msg_controllen = sizeof(e->ctl[i].b);
			m->msg_flags = 0;
		}
		n = recvmmsg(fd, e->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			/* EAGAIN: drained.  Anything else is a one-shot
			 * socket error: the next event will tell. */
			return;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &e->msgs[i].msg_hdr;
			struct timespec ts;
			const struct timespec *k = kernel_stamp(m);

			if (k) {
				/* CMSG_DATA need not be aligned */
				memcpy(&ts, k, sizeof(ts));
				k = &ts;
			}
			icmp_input(e, s->family, e->buf[i], e->msgs[i].msg_len,
			    (struct sockaddr *)&e->from[i], k);
		}
		if (n < RECV_BATCH)
			return;
	}
}

/* Read now what the sockets hold, where an echo awaits its reply: the
 * IPv6 socket of an IPv4-only site is not asked at every wake-up. */
void
icmp_poll(struct icmp_engine *e)
{
	for (int i = 0; i < 2; i++)
		if (e->sock[i].fd != -1 && e->sock[i].pending > 0)
			sock_read(e->sock[i].fd, EV_READ, &e->sock[i]);
}

static int
read_ping_range(unsigned long *lo, unsigned long *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "re");
	int ok;

	if (f == NULL)
		return -1;
	ok = fscanf(f, "%lu %lu", lo, hi) == 2;
	fclose(f);
	return ok ? 0 : -1;
}

/* Say exactly what the administrator can do when neither a raw nor a
 * ping socket can be opened. */
static void
explain_denied(char *err, size_t errlen, int raw_errno, int dgram_errno)
{
	unsigned long lo, hi, gid = (unsigned long)getegid();
	char range[160], exe[256];
	ssize_t n;

	if (read_ping_range(&lo, &hi) == 0)
		snprintf(range, sizeof(range), "net.ipv4.ping_group_range is "
		    "\"%lu %lu\", which %s gid %lu", lo, hi,
		    gid >= lo && gid <= hi ? "includes" : "excludes", gid);
	else
		snprintf(range, sizeof(range), "net.ipv4.ping_group_range "
		    "unreadable");
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0)
		exe[n] = '\0';
	else
		snprintf(exe, sizeof(exe), "tramond");
	snprintf(err, errlen, "cannot open an ICMP socket (raw socket: %s; "
	    "ping socket: %s; %s). Do one of: run tramond as root; or grant "
	    "it CAP_NET_RAW (setcap cap_net_raw+ep %s, or "
	    "AmbientCapabilities=CAP_NET_RAW in its systemd unit); or allow "
	    "ping sockets for its group: sysctl -w "
	    "net.ipv4.ping_group_range=\"%lu %lu\" (and, to keep it, "
	    "net.ipv4.ping_group_range = %lu %lu in a file in /etc/sysctl.d/)",
	    strerror(raw_errno), strerror(dgram_errno), range, exe, gid, gid,
	    gid, gid);
}

static void
sock_options(struct icmp_sock *s)
{
	int on = 1, size = 1 << 20;

	/* A failure here only costs precision or robustness. */
	(void)setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	/* bursts of replies from thousands of targets: room for them */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size));
	if (s->kind != ICMP_RAW)
		return;
	/* A raw socket sees every ICMP message of the host: have the
	 * kernel keep all but echo replies away from us. */
	if (s->family == AF_INET) {
		struct raw_icmp_filter f = { ~(1U << ICMP_ECHOREPLY) };

		(void)setsockopt(s->fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		(void)setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
		    sizeof(f));
	}
}

/* A ping socket's identifier is its port, chosen by the kernel. */
static int
dgram_ident(struct icmp_sock *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)s->family;
	if (bind(s->fd, (struct sockaddr *)&ss, s->family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	s->id = ntohs(s->family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* Open one family's socket.  Returns 0, or an errno value with s->why
 * set; *raw_errno and *dgram_errno tell what each kind said. */
static int
sock_open(struct icmp_sock *s, struct event_base *base, int *raw_errno,
    int *dgram_errno)
{
	int proto = s->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int flags = SOCK_NONBLOCK | SOCK_CLOEXEC, err;

	*raw_errno = *dgram_errno = 0;
	if ((s->fd = socket(s->family, SOCK_RAW | flags, proto)) != -1) {
		s->kind = ICMP_RAW;
		random_bytes(&s->id, sizeof(s->id));
	} else if (errno == EPERM || errno == EACCES) {
		*raw_errno = errno;
		s->fd = socket(s->family, SOCK_DGRAM | flags, proto);
		if (s->fd == -1) {
			*dgram_errno = err = errno;
			snprintf(s->why, sizeof(s->why), "raw socket: %s; "
			    "ping socket: %s", strerror(*raw_errno),
			    strerror(err));
			return err;
		}
		s->kind = ICMP_DGRAM;
		if (dgram_ident(s) == -1)
			goto fail;
	} else {
		*raw_errno = err = errno;
		snprintf(s->why, sizeof(s->why), "%s", strerror(err));
		return err;
	}
	sock_options(s);
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, sock_read, s);
	if (s->ev == NULL || event_add(s->ev, NULL) == -1) {
		errno = ENOMEM;
		goto fail;
	}
	s->why[0] = '\0';
	return 0;
fail:
	err = errno;
	snprintf(s->why, sizeof(s->why), "%s", strerror(err));
	if (s->ev)
		event_free(s->ev);
	s->ev = NULL;
	close(s->fd);
	s->fd = -1;
	s->kind = ICMP_NONE;
	return err;
}

int
icmp_open(struct icmp_engine *e, struct event_base *base, char *err,
    size_t errlen)
{
	int raw4, dgram4, raw6, dgram6, rc;

	if ((rc = sock_open(&e->sock[0], base, &raw4, &dgram4)) != 0) {
		if (raw4 && dgram4 && (dgram4 == EPERM || dgram4 == EACCES))
			explain_denied(err, errlen, raw4, dgram4);
		else
			snprintf(err, errlen, "cannot open an ICMP socket: %s",
			    e->sock[0].why);
		return -1;
	}
	if (sock_open(&e->sock[1], base, &raw6, &dgram6) != 0 &&
	    (raw6 == EAFNOSUPPORT || dgram6 == EAFNOSUPPORT))
		snprintf(e->sock[1].why, sizeof(e->sock[1].why),
		    "IPv6 is disabled in this kernel");
	return 0;
}

enum icmp_kind
icmp_family(const struct icmp_engine *e, int family, const char **why)
{
	const struct icmp_sock *s = sock_of((struct icmp_engine *)e, family);

	if (s == NULL) {
		if (why)
			*why = "unknown address family";
		return ICMP_NONE;
	}
	if (s->kind == ICMP_NONE && why)
		*why = s->why;
	return s->kind;
}

uint16_t
icmp_ident(const struct icmp_engine *e, int family)
{
	const struct icmp_sock *s = sock_of((struct icmp_engine *)e, family);

	return s ? s->id : 0;
}

const uint8_t *
icmp_cookie(const struct icmp_engine *e)
{
	return e->cookie;
}

const struct icmp_counters *
icmp_counters(const struct icmp_engine *e)
{
	return &e->c;
}

/* A sequence number whose slot is not awaited: the next one, unless
 * its slot is, then the next such.  Half the slots awaited: the map
 * doubles (a failed growth only makes the search longer). */
static struct slot *
seq_alloc(struct icmp_sock *s, uint16_t *seq)
{
	if (2 * s->pending > s->mask && s->mask + 1 < NSEQ)
		(void)sock_grow_slots(s);
	for (unsigned n = 0; n <= s->mask; n++) {
		struct slot *sl = slot_of(s, s->next_seq);

		*seq = s->next_seq++;
		if (s->issued < NSEQ)
			s->issued++;
		if (sl->state != SLOT_PENDING) {
			sl->seq = *seq;
			return sl;
		}
	}
	return NULL;
}

int
icmp_prepare(struct icmp_engine *e, const struct sockaddr *dst,
    double timeout, void *owner, uint32_t tag, icmp_handle *h, uint8_t *buf)
{
	struct icmp_sock *s;
	const uint8_t *a;
	struct slot *sl;
	uint16_t seq;

	if (dst == NULL || (s = sock_of(e, dst->sa_family)) == NULL)
		return EAFNOSUPPORT;
	if (s->kind == ICMP_NONE)
		return EAFNOSUPPORT;
	if (sock_alloc_slots(s) == -1 || (sl = seq_alloc(s, &seq)) == NULL)
		return ENOBUFS;
	a = addr_bytes(dst, s->family);
	memcpy(sl->addr, a, s->family == AF_INET ? 4 : 16);
	sl->owner = owner;
	sl->tag = tag;
	sl->timeout_ns = timeout > 0 ? (int64_t)(timeout * 1e9) : 0;
	sl->state = SLOT_PENDING;
	s->pending++;
	/* as late as possible before the send: rtt = kernel rx - this */
	sl->sent_mono = now_ns(CLOCK_MONOTONIC);
	sl->sent_rt = now_ns(CLOCK_REALTIME);
	icmp_build(s->family, s->id, seq, e->cookie, sl->sent_rt, buf);
	*h = (icmp_handle)(s->family == AF_INET6) << 16 | seq;
	return 0;
}

int
icmp_send(struct icmp_engine *e, const struct sockaddr *dst,
    double timeout, void *owner, uint32_t tag, icmp_handle *h)
{
	uint8_t pkt[ICMP_ECHO_LEN];
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} to;
	socklen_t tolen;
	struct icmp_sock *s;
	int rc;

	if ((rc = icmp_prepare(e, dst, timeout, owner, tag, h, pkt)) != 0)
		return rc;
	s = sock_of(e, dst->sa_family);
	/* a clean destination: no port (a raw IPv6 socket insists) */
	memset(&to, 0, sizeof(to));
	if (s->family == AF_INET) {
		to.sin.sin_family = AF_INET;
		to.sin.sin_addr = ((const struct sockaddr_in *)
		    (const void *)dst)->sin_addr;
		tolen = sizeof(to.sin);
	} else {
		const struct sockaddr_in6 *d6 = (const void *)dst;

		to.sin6.sin6_family = AF_INET6;
		to.sin6.sin6_addr = d6->sin6_addr;
		to.sin6.sin6_scope_id = d6->sin6_scope_id;
		tolen = sizeof(to.sin6);
	}
	if (s->fd == -1)
		rc = EBADF;
	else if (sendto(s->fd, pkt, sizeof(pkt), 0, &to.sa, tolen) == -1)
		rc = errno;
	if (rc != 0) {
		struct slot *sl = slot_of(s, *h & 0xffff);

		sl->state = SLOT_FREE;
		sl->owner = NULL;
		s->pending--;
		*h = ICMP_HANDLE_NONE;
		e->c.send_errors++;
		return rc;
	}
	e->c.sent++;
	return 0;
}

void
icmp_forget(struct icmp_engine *e, icmp_handle h, const void *owner)
{
	struct icmp_sock *s;
	struct slot *sl;

	if (h == ICMP_HANDLE_NONE)
		return;
	s = &e->sock[(h >> 16) & 1];
	if (s->slots == NULL)
		return;
	sl = slot_of(s, h & 0xffff);
	if (sl->state == SLOT_PENDING && sl->owner == owner &&
	    sl->seq == (h & 0xffff)) {
		sl->state = SLOT_EXPIRED;
		sl->owner = NULL;
		s->pending--;
	}
}

void
icmp_input(struct icmp_engine *e, int family, const void *buf, size_t len,
    const struct sockaddr *from, const struct timespec *kstamp)
{
	struct icmp_sock *s = sock_of(e, family);
	struct icmp_echo echo;
	const uint8_t *a;
	struct slot *sl;
	int64_t rtt, rtt_mono;
	void *owner;

	if (s == NULL || s->slots == NULL)
		return;
	switch (icmp_parse(family, s->kind, s->id, e->cookie, buf, len,
	    &echo)) {
	case ICMP_REPLY:
		break;
	case ICMP_OTHER:
		e->c.other++;
		return;
	case ICMP_FOREIGN:
		e->c.foreign++;
		return;
	default:
		e->c.malformed++;
		return;
	}
	sl = slot_of(s, echo.seq);
	if (sl->state == SLOT_FREE ||
	    (sl->seq != echo.seq && !seq_used(s, echo.seq))) {
		e->c.foreign++;		/* our cookie, but never sent */
		return;
	}
	if (sl->seq != echo.seq || sl->sent_rt != echo.stamp_ns) {
		/* answers an earlier use of this sequence number */
		e->c.late++;
		return;
	}
	a = addr_bytes(from, family);
	if (a == NULL || memcmp(a, sl->addr, family == AF_INET ? 4 : 16)) {
		e->c.wrong_source++;
		return;
	}
	if (sl->state == SLOT_ANSWERED) {
		e->c.duplicates++;
		return;
	}
	if (sl->state == SLOT_EXPIRED) {
		e->c.late++;
		return;
	}
	/* The kernel stamp is CLOCK_REALTIME; if the clock was stepped
	 * meanwhile, the monotonic user-space time is the better one. */
	rtt_mono = now_ns(CLOCK_MONOTONIC) - sl->sent_mono;
	if (kstamp) {
		rtt = ((int64_t)kstamp->tv_sec * 1000000000 +
		    kstamp->tv_nsec) - sl->sent_rt;
		if (rtt < 0 || rtt > rtt_mono + CLOCK_SLACK_NS)
			rtt = rtt_mono;
	} else
		rtt = rtt_mono;
	if (rtt > sl->timeout_ns) {
		e->c.late++;	/* the owner's timer will expire it */
		return;
	}
	owner = sl->owner;
	sl->owner = NULL;
	sl->state = SLOT_ANSWERED;
	s->pending--;
	e->c.received++;
	if (e->reply)
		e->reply(owner, sl->tag, (double)rtt / 1e9);
}

void
icmp_free(struct icmp_engine *e)
{
	if (e == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		struct icmp_sock *s = &e->sock[i];

		if (s->ev)
			event_free(s->ev);
		if (s->fd != -1)
			close(s->fd);
		free(s->slots);
	}
	free(e);
}
