/*
 * ICMP echo engine: one socket per address family shared by every target,
 * a 16-bit sequence map per socket for O(1) reply matching, kernel receive
 * timestamps.  Independent of the plugin ABI so that it can be tested and
 * benchmarked alone.
 *
 * Use: icmp_new(), icmp_open() (as root if raw sockets are wanted), then
 * icmp_send() per echo.  Each good reply calls the engine's reply function
 * once with the owner and tag given to icmp_send().  An owner that stops
 * waiting for a request (timeout, round over) calls icmp_forget(): the
 * engine then never calls it for that request again.
 */
#ifndef TRAMON_ICMP_H
#define TRAMON_ICMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct event_base;
struct icmp_engine;

enum icmp_kind {
	ICMP_NONE = 0,		/* no socket for this family */
	ICMP_RAW,		/* SOCK_RAW: needs CAP_NET_RAW */
	ICMP_DGRAM,		/* SOCK_DGRAM "ping" socket, allowed by
				 * net.ipv4.ping_group_range */
};

/* Echo payload: cookie, send time (CLOCK_REALTIME ns), zero padding, so
 * that an echo is 64 bytes of ICMP like ping(8)'s. */
#define ICMP_COOKIE_LEN		8
#define ICMP_DATA_LEN		56
#define ICMP_ECHO_LEN		(8 + ICMP_DATA_LEN)

/* A request handle: family bit and sequence number. */
typedef uint32_t icmp_handle;
#define ICMP_HANDLE_NONE	UINT32_MAX

/* Counters since icmp_new().  Every datagram read is counted once, in
 * `received` or in one of the reasons it was dropped. */
struct icmp_counters {
	uint64_t sent;		/* echo requests handed to the kernel */
	uint64_t received;	/* good replies delivered to their owner */
	uint64_t duplicates;	/* another reply to an answered request */
	uint64_t late;		/* reply after the request's timeout */
	uint64_t foreign;	/* echo reply of another program (id, cookie)
				 * or to a request we have no record of */
	uint64_t other;		/* ICMP that is not an echo reply */
	uint64_t malformed;	/* too short, bad header, bad checksum,
				 * wrong length */
	uint64_t wrong_source;	/* ours, but not from the address asked */
	uint64_t send_errors;	/* sendto() failures */
};

/* What icmp_parse() made of a datagram. */
enum icmp_verdict {
	ICMP_REPLY = 0,	/* an echo reply with our id and cookie */
	ICMP_OTHER,	/* another ICMP type (e.g. our own request seen
			 * on loopback by a raw socket) */
	ICMP_FOREIGN,	/* an echo reply with another id or cookie */
	ICMP_MALFORMED,	/* truncated, bad header, checksum or length */
};

struct icmp_echo {
	uint16_t id;
	uint16_t seq;
	int64_t stamp_ns;	/* send time carried in the payload */
};

/* A good reply to a request of `owner`; rtt in seconds. */
typedef void icmp_reply_fn(void *owner, uint32_t tag, double rtt);

/*
 * Validate one received datagram.  `kind` says whether an IPv4 header
 * precedes the ICMP message (RAW) or not (DGRAM); IPv6 sockets never
 * deliver one.  IPv4 checksums are verified (a raw socket sees packets
 * before the kernel's ICMP layer does); the kernel checks ICMPv6 ones.
 * Pure: no state, no I/O.
 */
enum icmp_verdict icmp_parse(int family, enum icmp_kind kind, uint16_t id,
    const uint8_t cookie[ICMP_COOKIE_LEN], const void *buf, size_t len,
    struct icmp_echo *out);

/* Build an echo request of ICMP_ECHO_LEN bytes into `buf`.  Pure. */
void icmp_build(int family, uint16_t id, uint16_t seq,
    const uint8_t cookie[ICMP_COOKIE_LEN], int64_t stamp_ns, uint8_t *buf);

/* The Internet checksum (RFC 1071). */
uint16_t icmp_cksum(const void *buf, size_t len);

/* An engine without sockets.  NULL if out of memory. */
struct icmp_engine *icmp_new(icmp_reply_fn *fn);

/*
 * Open the sockets: RAW first, DGRAM on EPERM/EACCES.  Returns 0, or -1
 * with the reason and what to do about it in `err` if IPv4 is unusable.
 * An unusable IPv6 is not an error: see icmp_family().
 */
int icmp_open(struct icmp_engine *, struct event_base *, char *err,
    size_t errlen);

/* The socket kind of a family; if ICMP_NONE and `why` is not NULL, *why
 * tells the reason. */
enum icmp_kind icmp_family(const struct icmp_engine *, int family,
    const char **why);

/* Our echo identifier on a family's socket (the kernel's for DGRAM). */
uint16_t icmp_ident(const struct icmp_engine *, int family);

/* The per-process cookie every request carries. */
const uint8_t *icmp_cookie(const struct icmp_engine *);

/*
 * Send one echo request to `dst` on behalf of `owner`; a reply later
 * than `timeout` seconds is counted late and not delivered.  Returns 0
 * and the request's handle, or an errno value (nothing is pending then).
 */
int icmp_send(struct icmp_engine *, const struct sockaddr *dst,
    double timeout, void *owner, uint32_t tag, icmp_handle *h);

/* Read what the sockets hold now, as their read events would (those
 * with a request pending): before an owner gives up on a request, its
 * reply may be waiting unread behind a busy loop.  Replies may be
 * delivered from inside. */
void icmp_poll(struct icmp_engine *);

/* The owner stops waiting for request `h`: no callback for it after. */
void icmp_forget(struct icmp_engine *, icmp_handle h, const void *owner);

/*
 * Process one received datagram as the socket reader does: parse, match
 * by sequence, check source, cookie, timing, count, and deliver.
 * `kstamp` is the kernel's receive time (CLOCK_REALTIME) or NULL.
 * Exported for the tests and benchmarks.
 */
void icmp_input(struct icmp_engine *, int family, const void *buf,
    size_t len, const struct sockaddr *from, const struct timespec *kstamp);

/*
 * Register a request without sending it: the packet is written to `buf`
 * (ICMP_ECHO_LEN bytes) as icmp_send() would send it.  With icmp_pretend()
 * this lets tests and benchmarks drive the engine without sockets.
 */
int icmp_prepare(struct icmp_engine *, const struct sockaddr *dst,
    double timeout, void *owner, uint32_t tag, icmp_handle *h, uint8_t *buf);

/* Tests and benchmarks: behave as if a socket of `kind` with identifier
 * `id` were open for `family` (no file descriptor). */
void icmp_pretend(struct icmp_engine *, int family, enum icmp_kind kind,
    uint16_t id);

const struct icmp_counters *icmp_counters(const struct icmp_engine *);

/* Close the sockets and free everything.  NULL is fine. */
void icmp_free(struct icmp_engine *);

#endif /* TRAMON_ICMP_H */
