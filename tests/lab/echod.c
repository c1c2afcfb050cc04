/*
 * echod: the lab's ICMP echo responder.
 *
 * It runs inside one network namespace of the lab whose kernel echo
 * replies are switched off (net.ipv4.icmp_echo_ignore_all=1), and answers
 * echo requests itself, the way a slow, lossy link would: each reply
 * leaves DELAY +- JITTER ms after its request arrived, LOSS % of the
 * requests are never answered.  The kernel of this machine has no netem,
 * so this is how the lab gets microwave and 3G links.
 *
 * The delay of each reply is DELAY + JITTER * (u1 + u2 - 1) with u1, u2
 * uniform on [0, 1): a triangular distribution on [DELAY - JITTER,
 * DELAY + JITTER] whose mean, median and mode are DELAY (standard
 * deviation JITTER / sqrt(6)), clamped at 0.  Replies may therefore
 * overtake each other, as they do on a congested 3G link.
 *
 * To exercise a monitor's input checks it can also send a duplicate of
 * a reply (-u DUP %) or, just before the good reply, a malformed one
 * (-g GARBAGE %): a bad ICMP checksum or a truncated payload (IPv6 gets
 * only truncation: the kernel computes ICMPv6 checksums itself).
 *
 * With -t PORT it also accepts TCP connections on PORT and closes them at
 * once, which is all an H.323 "is the port open" check needs; -N leaves
 * ICMP to the kernel and only does that.
 *
 * Everything runs on one libevent loop: a timer per pending reply, no
 * threads, no sleeping.  SIGTERM/SIGINT print a summary and exit,
 * SIGUSR1 prints the summary and goes on.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>	/* struct event, embedded per reply */
#include <event2/listener.h>

/* Linux raw-socket ICMP type filter (<linux/icmp.h> clashes with
 * <netinet/ip_icmp.h>): a set bit blocks that type. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
struct echod_icmp_filter {
	uint32_t data;
};

#define MAX_PENDING	16384	/* replies waiting for their time */
#define MAX_DRAIN	256	/* packets read per wake-up */
#define PKT_MAX		65536

struct opts {
	double delay_ms;
	double jitter_ms;
	double loss_pct;
	double dup_pct;
	double garbage_pct;
	uint64_t seed;
	int tcp_port;
	int no_icmp;
	int verbose;
	const char *pidfile;
};

struct pending {
	TAILQ_ENTRY(pending) entry;
	struct event ev;
	struct echod *ed;
	int fd;
	int family;
	struct sockaddr_storage to;
	socklen_t tolen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} from;
	int ifindex;
	int dup;
	int garbage;
	size_t len;
	unsigned char pkt[];	/* the reply's ICMP message */
};
TAILQ_HEAD(pendq, pending);

struct stats {
	uint64_t requests;
	uint64_t replied;
	uint64_t dropped;
	uint64_t dups;
	uint64_t garbage;
	uint64_t overflow;
	uint64_t invalid;
	uint64_t send_errors;
	uint64_t tcp_accepted;
};

struct echod {
	struct opts o;
	struct event_base *base;
	int fd4, fd6;
	struct event *ev4, *ev6;
	struct evconnlistener *listener;
	struct event *sigterm, *sigint, *sigusr1;
	struct pendq pending;
	unsigned npending;
	uint64_t rng;
	struct stats st;
	unsigned char buf[PKT_MAX];
};

static void
logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
logmsg(const char *fmt, ...)
{
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld echod[%ld]: ", stamp, ts.tv_nsec / 1000000,
	    (long)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: echod [-N] [-v] [-d DELAY_MS] [-j JITTER_MS] [-l LOSS_PCT]\n"
	    "             [-u DUP_PCT] [-g GARBAGE_PCT] [-s SEED] [-t TCPPORT]\n"
	    "             [-P PIDFILE]\n"
	    "  answers ICMP echo requests after DELAY +- JITTER ms "
	    "(triangular, median DELAY),\n"
	    "  dropping LOSS %% of them; -u/-g add duplicate/malformed "
	    "replies; -t also accepts\n"
	    "  and closes TCP connections on TCPPORT; -N: TCP only "
	    "(kernel answers pings)\n");
	exit(64);
}

/* splitmix64: small, fast, and reproducible from -s SEED. */
static uint64_t
rng_next(struct echod *ed)
{
	uint64_t z = (ed->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform on [0, 1) */
static double
rng_unit(struct echod *ed)
{
	return (double)(rng_next(ed) >> 11) * 0x1.0p-53;
}

static int
chance(struct echod *ed, double pct)
{
	return pct > 0 && rng_unit(ed) * 100.0 < pct;
}

static double
reply_delay_ms(struct echod *ed)
{
	double d = ed->o.delay_ms;

	if (ed->o.jitter_ms > 0)
		d += ed->o.jitter_ms * (rng_unit(ed) + rng_unit(ed) - 1.0);
	return d < 0 ? 0 : d;
}

static uint16_t
in_cksum(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int
parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) ||
	    v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void
print_summary(struct echod *ed, const char *why)
{
	struct stats *s = &ed->st;

	logmsg("%s: requests %" PRIu64 ", replied %" PRIu64 ", dropped %"
	    PRIu64 " (%.1f%%), duplicates %" PRIu64 ", malformed %" PRIu64
	    ", invalid %" PRIu64 ", overflow %" PRIu64 ", send errors %"
	    PRIu64 ", tcp accepted %" PRIu64, why, s->requests, s->replied,
	    s->dropped, s->requests ? 100.0 * (double)s->dropped /
	    (double)s->requests : 0.0, s->dups, s->garbage, s->invalid,
	    s->overflow, s->send_errors, s->tcp_accepted);
}

static ssize_t
send_from(struct pending *p, const void *pkt, size_t len)
{
	union {
		struct cmsghdr hdr;
		unsigned char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct iovec iov = { (void *)(uintptr_t)pkt, len };
	struct msghdr msg;
	struct cmsghdr *cm;

	memset(&msg, 0, sizeof(msg));
	memset(&ctl, 0, sizeof(ctl));
	msg.msg_name = &p->to;
	msg.msg_namelen = p->tolen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	cm = (struct cmsghdr *)ctl.buf;
	/* Answer from the address the request was sent to. */
	if (p->family == AF_INET) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = p->from.v4;
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi6_addr = p->from.v6;
		pi.ipi6_ifindex = (unsigned)p->ifindex;
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	return sendmsg(p->fd, &msg, MSG_DONTWAIT);
}

/* A malformed copy of the reply: bad checksum or cut short. */
static void
send_garbage(struct echod *ed, struct pending *p)
{
	unsigned char bad[PKT_MAX];
	size_t len = p->len;

	memcpy(bad, p->pkt, len);
	if (p->family == AF_INET && rng_unit(ed) < 0.5) {
		bad[2] ^= 0x5a;		/* checksum no longer matches */
		bad[3] ^= 0xa5;
	} else {
		len = len > 8 ? 8 + (len - 8) / 2 : 6;
		if (p->family == AF_INET) {
			uint16_t ck;

			bad[2] = bad[3] = 0;
			ck = in_cksum(bad, len);
			memcpy(bad + 2, &ck, sizeof(ck));
		}
	}
	if (send_from(p, bad, len) == -1)
		ed->st.send_errors++;
	else
		ed->st.garbage++;
}

static void
pending_free(struct echod *ed, struct pending *p)
{
	TAILQ_REMOVE(&ed->pending, p, entry);
	ed->npending--;
	event_del(&p->ev);
	free(p);
}

static void
reply_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;
	struct echod *ed = p->ed;

	if (p->garbage)
		send_garbage(ed, p);
	if (send_from(p, p->pkt, p->len) == -1) {
		if (ed->st.send_errors++ == 0)
			logmsg("send: %s", strerror(errno));
	} else {
		ed->st.replied++;
		if (p->dup && send_from(p, p->pkt, p->len) != -1)
			ed->st.dups++;
	}
	pending_free(ed, p);
}

/* Queue the reply `icmp` (already turned into a reply) for later. */
static void
schedule(struct echod *ed, int fd, int family, const void *icmp, size_t len,
    const struct sockaddr_storage *to, socklen_t tolen, const void *from,
    int ifindex)
{
	struct pending *p;
	struct timeval tv;
	double ms;

	ed->st.requests++;
	if (chance(ed, ed->o.loss_pct)) {
		ed->st.dropped++;
		return;
	}
	if (ed->npending >= MAX_PENDING) {
		ed->st.overflow++;
		return;
	}
	if ((p = malloc(sizeof(*p) + len)) == NULL) {
		ed->st.overflow++;
		return;
	}
	memset(p, 0, sizeof(*p));
	p->ed = ed;
	p->fd = fd;
	p->family = family;
	memcpy(&p->to, to, tolen);
	p->tolen = tolen;
	if (family == AF_INET)
		memcpy(&p->from.v4, from, sizeof(p->from.v4));
	else
		memcpy(&p->from.v6, from, sizeof(p->from.v6));
	p->ifindex = ifindex;
	p->dup = chance(ed, ed->o.dup_pct);
	p->garbage = chance(ed, ed->o.garbage_pct);
	p->len = len;
	memcpy(p->pkt, icmp, len);

	ms = reply_delay_ms(ed);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms - (double)tv.tv_sec * 1000) * 1000);
	evtimer_assign(&p->ev, ed->base, reply_cb, p);
	TAILQ_INSERT_TAIL(&ed->pending, p, entry);
	ed->npending++;
	evtimer_add(&p->ev, &tv);
	if (ed->o.verbose) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(family, family == AF_INET ?
		    (const void *)&((const struct sockaddr_in *)to)->sin_addr :
		    (const void *)&((const struct sockaddr_in6 *)to)->sin6_addr,
		    a, sizeof(a));
		logmsg("request from %s, %zu bytes, reply in %.1f ms%s%s", a,
		    len, ms, p->dup ? " +dup" : "", p->garbage ? " +garbage" : "");
	}
}

static ssize_t
recv_pkt(int fd, struct iovec *iov, struct sockaddr_storage *from,
    socklen_t *fromlen, struct msghdr *msg, unsigned char *ctl, size_t ctllen)
{
	ssize_t n;

	memset(msg, 0, sizeof(*msg));
	msg->msg_name = from;
	msg->msg_namelen = sizeof(*from);
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = ctl;
	msg->msg_controllen = ctllen;
	n = recvmsg(fd, msg, MSG_DONTWAIT);
	*fromlen = msg->msg_namelen;
	return n;
}

static void
read4_cb(evutil_socket_t fd, short what, void *arg)
{
	struct echod *ed = arg;
	union {
		struct cmsghdr hdr;
		unsigned char buf[256];
	} ctl;
	struct iovec iov = { ed->buf, sizeof(ed->buf) };

	for (int i = 0; i < MAX_DRAIN; i++) {
		struct sockaddr_storage from;
		struct in_addr dst = { 0 };
		struct msghdr msg;
		struct cmsghdr *cm;
		struct icmphdr *icmp;
		const struct iphdr *ip;
		socklen_t fromlen;
		size_t hl, len;
		ssize_t n;

		n = recv_pkt(fd, &iov, &from, &fromlen, &msg, ctl.buf,
		    sizeof(ctl.buf));
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				logmsg("recvmsg: %s", strerror(errno));
			return;
		}
		ip = (const struct iphdr *)ed->buf;
		if ((size_t)n < sizeof(*ip))
			continue;
		hl = (size_t)ip->ihl * 4;
		if (hl < sizeof(*ip) || (size_t)n < hl + 8)
			continue;
		icmp = (struct icmphdr *)(ed->buf + hl);
		len = (size_t)n - hl;
		if (icmp->type != ICMP_ECHO)
			continue;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				dst = pi.ipi_addr;
			}
		/* The kernel would not answer these either. */
		if (icmp->code != 0 || in_cksum(icmp, len) != 0 ||
		    dst.s_addr == INADDR_ANY ||
		    dst.s_addr == htonl(INADDR_BROADCAST) ||
		    IN_MULTICAST(ntohl(dst.s_addr))) {
			ed->st.invalid++;
			continue;
		}
		icmp->type = ICMP_ECHOREPLY;
		icmp->checksum = 0;
		icmp->checksum = in_cksum(icmp, len);
		schedule(ed, fd, AF_INET, icmp, len, &from, fromlen, &dst, 0);
	}
}

static void
read6_cb(evutil_socket_t fd, short what, void *arg)
{
	struct echod *ed = arg;
	union {
		struct cmsghdr hdr;
		unsigned char buf[256];
	} ctl;
	struct iovec iov = { ed->buf, sizeof(ed->buf) };

	for (int i = 0; i < MAX_DRAIN; i++) {
		struct sockaddr_storage from;
		struct in6_pktinfo pi;
		struct msghdr msg;
		struct cmsghdr *cm;
		struct icmp6_hdr *icmp;
		socklen_t fromlen;
		int have_pi = 0;
		ssize_t n;

		n = recv_pkt(fd, &iov, &from, &fromlen, &msg, ctl.buf,
		    sizeof(ctl.buf));
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				logmsg("recvmsg6: %s", strerror(errno));
			return;
		}
		if ((size_t)n < sizeof(*icmp))
			continue;
		icmp = (struct icmp6_hdr *)ed->buf;
		if (icmp->icmp6_type != ICMP6_ECHO_REQUEST)
			continue;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == IPPROTO_IPV6 &&
			    cm->cmsg_type == IPV6_PKTINFO) {
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				have_pi = 1;
			}
		if (icmp->icmp6_code != 0 || !have_pi ||
		    IN6_IS_ADDR_MULTICAST(&pi.ipi6_addr)) {
			ed->st.invalid++;
			continue;
		}
		icmp->icmp6_type = ICMP6_ECHO_REPLY;
		icmp->icmp6_cksum = 0;	/* the kernel fills it in */
		schedule(ed, fd, AF_INET6, icmp, (size_t)n, &from, fromlen,
		    &pi.ipi6_addr, (int)pi.ipi6_ifindex);
	}
}

static int
open_icmp4(struct echod *ed)
{
	struct echod_icmp_filter f;
	int fd, on = 1;

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_ICMP);
	if (fd == -1) {
		logmsg("raw ICMP socket: %s (needs root or CAP_NET_RAW)",
		    strerror(errno));
		return -1;
	}
	/* Only echo requests reach us: fewer wake-ups on a busy link. */
	f.data = ~(1U << ICMP_ECHO);
	if (setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)) == -1)
		logmsg("ICMP_FILTER: %s (continuing)", strerror(errno));
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1) {
		logmsg("IP_PKTINFO: %s", strerror(errno));
		close(fd);
		return -1;
	}
	ed->fd4 = fd;
	return 0;
}

/* IPv6 is optional: the namespace may have it disabled. */
static void
open_icmp6(struct echod *ed)
{
	struct icmp6_filter f;
	int fd, on = 1;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_ICMPV6);
	if (fd == -1) {
		logmsg("raw ICMPv6 socket: %s (IPv6 not answered)",
		    strerror(errno));
		return;
	}
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &f);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) ==
	    -1 || setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
	    sizeof(on)) == -1) {
		logmsg("ICMPv6 socket options: %s (IPv6 not answered)",
		    strerror(errno));
		close(fd);
		return;
	}
	ed->fd6 = fd;
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct echod *ed = arg;

	ed->st.tcp_accepted++;
	evutil_closesocket(fd);
}

static int
open_tcp(struct echod *ed)
{
	const unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_EXEC;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	/* [::] takes IPv4 too (dual stack); plain IPv4 if IPv6 is off. */
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)ed->o.tcp_port);
	sin6.sin6_addr = in6addr_any;
	ed->listener = evconnlistener_new_bind(ed->base, accept_cb, ed, flags,
	    64, (struct sockaddr *)&sin6, sizeof(sin6));
	if (ed->listener != NULL)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)ed->o.tcp_port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	ed->listener = evconnlistener_new_bind(ed->base, accept_cb, ed, flags,
	    64, (struct sockaddr *)&sin, sizeof(sin));
	if (ed->listener == NULL) {
		logmsg("tcp port %d: %s", ed->o.tcp_port, strerror(errno));
		return -1;
	}
	return 0;
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct echod *ed = arg;

	if (sig == SIGUSR1) {
		print_summary(ed, "statistics");
		return;
	}
	event_base_loopexit(ed->base, NULL);
}

static int
write_pidfile(const char *path)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	if ((f = fopen(tmp, "we")) == NULL)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) == EOF || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
parse_args(struct opts *o, int argc, char **argv)
{
	double v;
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	while ((ch = getopt(argc, argv, "d:g:j:l:NP:s:t:u:v")) != -1) {
		switch (ch) {
		case 'd':
			if (parse_num(optarg, 0, 600000, &o->delay_ms) == -1)
				goto bad;
			break;
		case 'j':
			if (parse_num(optarg, 0, 600000, &o->jitter_ms) == -1)
				goto bad;
			break;
		case 'l':
			if (parse_num(optarg, 0, 100, &o->loss_pct) == -1)
				goto bad;
			break;
		case 'u':
			if (parse_num(optarg, 0, 100, &o->dup_pct) == -1)
				goto bad;
			break;
		case 'g':
			if (parse_num(optarg, 0, 100, &o->garbage_pct) == -1)
				goto bad;
			break;
		case 's':
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end != '\0')
				goto bad;
			break;
		case 't':
			if (parse_num(optarg, 1, 65535, &v) == -1 ||
			    v != floor(v))
				goto bad;
			o->tcp_port = (int)v;
			break;
		case 'N':
			o->no_icmp = 1;
			break;
		case 'P':
			o->pidfile = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			usage();
		}
		continue;
bad:
		fprintf(stderr, "echod: -%c: bad value \"%s\"\n", ch, optarg);
		exit(64);
	}
	if (optind != argc)
		usage();
	if (o->no_icmp && o->tcp_port == 0) {
		fprintf(stderr, "echod: -N needs -t PORT\n");
		exit(64);
	}
}

static int
setup(struct echod *ed)
{
	struct event_config *cfg;

	/* Millisecond-exact timers: the delay is what we are measured on. */
	if ((cfg = event_config_new()) == NULL)
		return -1;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	ed->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (ed->base == NULL) {
		logmsg("event_base_new failed");
		return -1;
	}
	if (!ed->o.no_icmp) {
		if (open_icmp4(ed) == -1)
			return -1;
		open_icmp6(ed);
		ed->ev4 = event_new(ed->base, ed->fd4, EV_READ | EV_PERSIST,
		    read4_cb, ed);
		if (ed->ev4 == NULL || event_add(ed->ev4, NULL) == -1)
			return -1;
		if (ed->fd6 != -1) {
			ed->ev6 = event_new(ed->base, ed->fd6,
			    EV_READ | EV_PERSIST, read6_cb, ed);
			if (ed->ev6 == NULL || event_add(ed->ev6, NULL) == -1)
				return -1;
		}
	}
	if (ed->o.tcp_port && open_tcp(ed) == -1)
		return -1;
	ed->sigterm = evsignal_new(ed->base, SIGTERM, signal_cb, ed);
	ed->sigint = evsignal_new(ed->base, SIGINT, signal_cb, ed);
	ed->sigusr1 = evsignal_new(ed->base, SIGUSR1, signal_cb, ed);
	if (ed->sigterm == NULL || ed->sigint == NULL || ed->sigusr1 == NULL ||
	    evsignal_add(ed->sigterm, NULL) == -1 ||
	    evsignal_add(ed->sigint, NULL) == -1 ||
	    evsignal_add(ed->sigusr1, NULL) == -1)
		return -1;
	return 0;
}

static void
teardown(struct echod *ed)
{
	while (!TAILQ_EMPTY(&ed->pending))
		pending_free(ed, TAILQ_FIRST(&ed->pending));
	if (ed->listener)
		evconnlistener_free(ed->listener);
	if (ed->ev4)
		event_free(ed->ev4);
	if (ed->ev6)
		event_free(ed->ev6);
	if (ed->sigterm)
		event_free(ed->sigterm);
	if (ed->sigint)
		event_free(ed->sigint);
	if (ed->sigusr1)
		event_free(ed->sigusr1);
	if (ed->fd4 != -1)
		close(ed->fd4);
	if (ed->fd6 != -1)
		close(ed->fd6);
	if (ed->base)
		event_base_free(ed->base);
	if (ed->o.pidfile)
		unlink(ed->o.pidfile);
}

int
main(int argc, char **argv)
{
	struct echod *ed;
	int rc = 1;

	if ((ed = calloc(1, sizeof(*ed))) == NULL) {
		perror("echod: calloc");
		return 1;
	}
	parse_args(&ed->o, argc, argv);
	ed->fd4 = ed->fd6 = -1;
	ed->rng = ed->o.seed;
	TAILQ_INIT(&ed->pending);
	signal(SIGPIPE, SIG_IGN);

	if (setup(ed) == -1)
		goto out;
	if (ed->o.pidfile && write_pidfile(ed->o.pidfile) == -1) {
		logmsg("pid file %s: %s", ed->o.pidfile, strerror(errno));
		ed->o.pidfile = NULL;
		goto out;
	}
	if (!ed->o.no_icmp)
		logmsg("answering ICMP echo%s: delay %.1f ms +- %.1f ms, "
		    "loss %.2f%%, dup %.2f%%, malformed %.2f%%, seed %" PRIu64,
		    ed->fd6 != -1 ? " (IPv4, IPv6)" : " (IPv4)",
		    ed->o.delay_ms, ed->o.jitter_ms, ed->o.loss_pct,
		    ed->o.dup_pct, ed->o.garbage_pct, ed->o.seed);
	if (ed->o.tcp_port)
		logmsg("accepting and closing TCP connections on port %d",
		    ed->o.tcp_port);
	if (event_base_dispatch(ed->base) == -1)
		logmsg("event loop failed");
	else
		rc = 0;
	print_summary(ed, "exiting");
out:
	teardown(ed);
	free(ed);
	return rc;
}
