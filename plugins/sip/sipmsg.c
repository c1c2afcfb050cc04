/*
 * sipmsg: building the probe's OPTIONS requests and reading the answers
 * with libosip2's parser.  Everything here is pure (no sockets, no
 * clock), so the unit test can feed it hostile input.
 *
 * What comes from the network is never trusted: a message is handed to
 * the parser only up to the end of its headers (the body is of no use
 * to a liveness check and is where the parser's worst bugs were), only
 * when it has no NUL byte there, and what is kept of it is copied into
 * fixed buffers, the reason phrase made printable ASCII, so that it can
 * go into logs, status.json and mails as it is.
 */
#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/util.h>

#include <osipparser2/osip_parser.h>

#include "sipmsg.h"

#define MAX_DATAGRAM	65535

static void
no_trace(const char *fi, int li, osip_trace_level_t level, const char *fmt,
    va_list ap)
{
	/* the probe counts what it drops; libosip2's ERROR lines on
	 * stdout would only repeat it, once per hostile datagram */
}

void
sipmsg_init(void)
{
	parser_init();
	/* TRACE_LEVEL0: no level enabled, and no default output */
	osip_trace_initialize_func(TRACE_LEVEL0, no_trace);
}

void
sipmsg_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];

	if (n > 2 * sizeof(b))
		n = 2 * sizeof(b);
	evutil_secure_rng_get_bytes(b, (n + 1) / 2);
	for (size_t i = 0; i < n; i++)
		out[i] = hex[(b[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	out[n] = '\0';
}

/* --- building ------------------------------------------------------------ */

/* osip_message_set_*() parse the value they are given: a bad one fails
 * here, not at the far end. */
int
sipmsg_options(const struct sipmsg_req *q, char **out, size_t *len)
{
	osip_message_t *m = NULL;
	osip_uri_t *uri = NULL;
	char buf[512], *s = NULL;
	size_t n;
	int rc = -1;

	*out = NULL;
	if (osip_message_init(&m) != 0)
		return -1;
	osip_message_set_method(m, osip_strdup("OPTIONS"));
	osip_message_set_version(m, osip_strdup("SIP/2.0"));
	snprintf(buf, sizeof(buf), "sip:%s:%d", q->host, q->port);
	if (osip_uri_init(&uri) != 0)
		goto done;
	if (osip_uri_parse(uri, buf) != 0) {
		osip_uri_free(uri);
		goto done;
	}
	osip_message_set_uri(m, uri);
	/* rport (RFC 3581): answer to the port the request came from */
	snprintf(buf, sizeof(buf), "SIP/2.0/%s %s:%d;branch=%s;rport",
	    q->transport, q->local, q->local_port, q->branch);
	if (osip_message_set_via(m, buf) != 0)
		goto done;
	snprintf(buf, sizeof(buf), "<sip:tramon@%s>;tag=%s", q->local,
	    q->from_tag);
	if (osip_message_set_from(m, buf) != 0)
		goto done;
	snprintf(buf, sizeof(buf), "<sip:%s:%d>", q->host, q->port);
	if (osip_message_set_to(m, buf) != 0)
		goto done;
	if (osip_message_set_call_id(m, q->call_id) != 0)
		goto done;
	snprintf(buf, sizeof(buf), "%lu OPTIONS", q->cseq);
	if (osip_message_set_cseq(m, buf) != 0 ||
	    osip_message_set_max_forwards(m, "70") != 0 ||
	    osip_message_set_accept(m, "application/sdp") != 0 ||
	    osip_message_set_user_agent(m, q->user_agent) != 0 ||
	    osip_message_set_content_length(m, "0") != 0)
		goto done;
	if (osip_message_to_str(m, &s, &n) != 0 || s == NULL)
		goto done;
	/* ours to free(), whatever allocator libosip2 was given */
	if ((*out = malloc(n + 1)) != NULL) {
		memcpy(*out, s, n);
		(*out)[n] = '\0';
		*len = n;
		rc = 0;
	}
	osip_free(s);
done:
	osip_message_free(m);
	return rc;
}

/* --- reading ------------------------------------------------------------- */

/* The length of the headers with the empty line ending them (CRLF CRLF,
 * or bare LFs, which the parser also takes), or 0 if they do not end. */
static size_t
header_len(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Copy a value that must fit whole; "" (matches nothing) if it does not. */
static void
copy_id(char *dst, size_t size, const char *src)
{
	if (src == NULL || strlen(src) >= size)
		dst[0] = '\0';
	else
		memcpy(dst, src, strlen(src) + 1);
}

static void
copy_phrase(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i + 1 < size; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static int
parse_cseq(osip_message_t *m, struct sipmsg_resp *out)
{
	osip_cseq_t *cs = osip_message_get_cseq(m);
	const char *num, *method;
	size_t i;

	if (cs == NULL || (num = osip_cseq_get_number(cs)) == NULL ||
	    (method = osip_cseq_get_method(cs)) == NULL)
		return -1;
	for (i = 0; num[i] != '\0'; i++)
		if (!isdigit((unsigned char)num[i]))
			return -1;
	/* RFC 3261 8.1.1.5: less than 2**31 */
	if (i == 0 || i > 10)
		return -1;
	out->cseq = strtoul(num, NULL, 10);
	if (out->cseq > 0x7fffffffUL)
		return -1;
	copy_id(out->method, sizeof(out->method), method);
	return 0;
}

static int
parse_ids(osip_message_t *m, struct sipmsg_resp *out)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *branch = NULL;
	osip_call_id_t *cid;
	char *s = NULL;

	/* 8.1.3.3: a response with more than one Via is discarded */
	if (osip_list_size(&m->vias) != 1 ||
	    osip_message_get_via(m, 0, &via) < 0 || via == NULL)
		return -1;
	if (osip_via_param_get_byname(via, "branch", &branch) != 0 ||
	    branch == NULL || branch->gvalue == NULL)
		return -1;
	copy_id(out->branch, sizeof(out->branch), branch->gvalue);
	if ((cid = osip_message_get_call_id(m)) == NULL ||
	    osip_call_id_to_str(cid, &s) != 0 || s == NULL)
		return -1;
	copy_id(out->call_id, sizeof(out->call_id), s);
	osip_free(s);
	return parse_cseq(m, out);
}

int
sipmsg_parse(const char *buf, size_t len, struct sipmsg_resp *out)
{
	osip_message_t *m = NULL;
	const char *version;
	size_t hlen;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* as in sipmsg_frame(): a stream may have CRLFs between messages */
	while (len > 0 && (*buf == '\r' || *buf == '\n')) {
		buf++;
		len--;
	}
	if (len < 12 || len > MAX_DATAGRAM || memcmp(buf, "SIP/2.0 ", 8))
		return -1;
	if ((hlen = header_len(buf, len)) == 0 || memchr(buf, '\0', hlen))
		return -1;
	if (osip_message_init(&m) != 0)
		return -1;
	if (osip_message_parse(m, buf, hlen) != 0)
		goto done;
	version = osip_message_get_version(m);
	if (!MSG_IS_RESPONSE(m) || version == NULL ||
	    strcmp(version, "SIP/2.0") != 0 ||
	    m->status_code < 100 || m->status_code > 699)
		goto done;
	out->code = m->status_code;
	copy_phrase(out->phrase, sizeof(out->phrase), m->reason_phrase);
	rc = parse_ids(m, out);
done:
	osip_message_free(m);
	return rc;
}

int
sipmsg_match(const struct sipmsg_resp *resp, const char *branch,
    const char *call_id, unsigned long cseq)
{
	return resp->branch[0] != '\0' && strcmp(resp->branch, branch) == 0 &&
	    resp->call_id[0] != '\0' && strcmp(resp->call_id, call_id) == 0 &&
	    resp->cseq == cseq && strcmp(resp->method, "OPTIONS") == 0;
}

/* --- stream framing ------------------------------------------------------ */

/* The Content-Length (or its compact form "l") of the headers, 0 if
 * there is none; -1 if it is not a number or more than `max`. */
static long
content_length(const char *h, size_t hlen, size_t max)
{
	const char *p = h, *end = h + hlen;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *c = p;
		size_t n;

		if (eol == NULL)
			eol = end;
		while (c < eol && *c != ':' && *c != ' ' && *c != '\t')
			c++;
		n = (size_t)(c - p);
		if ((n == 14 && strncasecmp(p, "Content-Length", 14) == 0) ||
		    (n == 1 && (*p == 'l' || *p == 'L'))) {
			unsigned long v = 0;
			int digits = 0;

			while (c < eol && (*c == ' ' || *c == '\t'))
				c++;
			if (c == eol || *c++ != ':')
				return -1;
			while (c < eol && (*c == ' ' || *c == '\t'))
				c++;
			for (; c < eol && isdigit((unsigned char)*c); c++) {
				v = v * 10 + (unsigned long)(*c - '0');
				if (++digits > 9)
					return -1;
			}
			while (c < eol && (*c == ' ' || *c == '\t' ||
			    *c == '\r'))
				c++;
			if (digits == 0 || c != eol || v > max)
				return -1;
			return (long)v;
		}
		p = eol + 1;
	}
	return 0;
}

ssize_t
sipmsg_frame(const char *buf, size_t len, size_t max)
{
	size_t hlen, skip = 0;
	long body;

	/* RFC 3261 7.5: CRLFs before a message are ignored (keep-alives) */
	while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
		skip++;
	if ((hlen = header_len(buf + skip, len - skip)) == 0)
		return len - skip >= max ? -1 : 0;
	if (skip + hlen > max ||
	    (body = content_length(buf + skip, hlen, max)) < 0 ||
	    skip + hlen + (size_t)body > max)
		return -1;
	if (len < skip + hlen + (size_t)body)
		return 0;
	return (ssize_t)(skip + hlen + (size_t)body);
}
