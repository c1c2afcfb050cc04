/*
 * sipmsg: the SIP messages of the sip probe, built and parsed with
 * libosip2's parser (osipparser2).  No network, no state: the probe
 * (sip.c) does the sending and the timers, and the unit test
 * (tests/unit/sip_test.c) drives these directly.
 */
#ifndef TRAMON_SIPMSG_H
#define TRAMON_SIPMSG_H

#include <stddef.h>
#include <sys/types.h>

#define SIPMSG_MAGIC	"z9hG4bK"	/* RFC 3261 branch prefix */
#define SIPMSG_IDLEN	48		/* branch, Call-ID, tag with NUL */
#define SIPMSG_PHRASE	64		/* reason phrase kept, with NUL */

/* One OPTIONS request.  Hosts are as they go in a URI: a name, an IPv4
 * address or an IPv6 address in brackets. */
struct sipmsg_req {
	const char *transport;	/* "UDP" or "TCP" */
	const char *host;	/* the target */
	int port;
	const char *local;	/* our address, for Via and From */
	int local_port;
	const char *branch;	/* SIPMSG_MAGIC... */
	const char *call_id;
	const char *from_tag;
	unsigned long cseq;
	const char *user_agent;
};

/* What the probe needs of a response. */
struct sipmsg_resp {
	int code;			/* 100..699 */
	char phrase[SIPMSG_PHRASE];	/* printable ASCII, may be "" */
	char branch[SIPMSG_IDLEN];	/* of the top Via; "" if too long */
	char call_id[SIPMSG_IDLEN];	/* "" if too long */
	unsigned long cseq;
	char method[16];		/* the CSeq method; "" if too long */
};

/* Once, before anything else: the parser's tables, its traces off. */
void	sipmsg_init(void);

/* Fill `out` with `n` random lowercase hex digits and a NUL. */
void	sipmsg_random_hex(char *out, size_t n);

/* The request's text in *out (free() it) and its length; -1 if a value
 * does not make a valid message (e.g. a host no URI can hold). */
int	sipmsg_options(const struct sipmsg_req *req, char **out, size_t *len);

/* Parse one message.  0 and `out` filled for a well-formed response with
 * a status code, one Via with a branch, a Call-ID and a CSeq; -1 for
 * anything else (a request, garbage, a missing header, two Vias).  Only
 * the header part is handed to the parser: the probe has no use for a
 * body. */
int	sipmsg_parse(const char *buf, size_t len, struct sipmsg_resp *out);

/* Whether the response answers the request: same branch, Call-ID, CSeq
 * number and method OPTIONS. */
int	sipmsg_match(const struct sipmsg_resp *resp, const char *branch,
	    const char *call_id, unsigned long cseq);

/* Stream framing (TCP): the length of the first whole message in buf
 * (headers, and a body of Content-Length bytes), 0 if more is needed, -1
 * if it cannot be a message of at most `max` bytes. */
ssize_t	sipmsg_frame(const char *buf, size_t len, size_t max);

#endif /* TRAMON_SIPMSG_H */
