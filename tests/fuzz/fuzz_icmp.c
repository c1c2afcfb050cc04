/*
 * The ICMP echo reply parser and matcher (plugins/ping/icmp.c): what a
 * raw or ping socket delivers is whatever anyone on the LAN sends.
 *
 * Input: one flags byte, then records.  Each whole input is also given
 * to icmp_parse() as one datagram for both families and kinds.  Records
 * drive icmp_input() on an engine with two pending requests per family:
 *
 *   ctl  bit 0: IPv6; bit 1: request 1 (else 0); bit 2: raw bytes
 *        (else the correct reply, edited); bit 3: from another address;
 *        bit 4: forget the request first; bit 5: a kernel stamp;
 *        bit 6: fix the IPv4 checksum after the edits
 *   raw: len, len bytes.   edited: nedits, nedits x (offset, value),
 *        then a length delta byte (signed: truncate or pad).
 *
 * Checked: every datagram is counted exactly once (icmp.h), a request is
 * delivered at most once, only to its owner, and only if pending.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "icmp.h"
#include "fuzz.h"

#define NREQ	2

static int delivered[2][NREQ];
static int owner_tag[2][NREQ];

static void
on_reply(void *owner, uint32_t tag, double rtt)
{
	int *o = owner;

	FUZZ_CHECK(tag < 2 * NREQ, "tag %u", tag);
	FUZZ_CHECK(o == &owner_tag[tag / NREQ][tag % NREQ],
	    "reply to the wrong owner (tag %u)", tag);
	FUZZ_CHECK(rtt >= 0, "negative rtt %g", rtt);
	delivered[tag / NREQ][tag % NREQ]++;
	FUZZ_CHECK(delivered[tag / NREQ][tag % NREQ] == 1,
	    "request %u delivered twice", tag);
}

static uint64_t
total(const struct icmp_counters *c)
{
	return c->received + c->duplicates + c->late + c->foreign +
	    c->other + c->malformed + c->wrong_source;
}

static void
parse_all(const uint8_t *data, size_t size)
{
	static const uint8_t cookie[ICMP_COOKIE_LEN] = "tramonFZ";
	static const int fam[2] = { AF_INET, AF_INET6 };
	static const enum icmp_kind kinds[2] = { ICMP_RAW, ICMP_DGRAM };
	/* an exact copy: an over-read is an ASan report */
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	for (int f = 0; f < 2; f++)
		for (int k = 0; k < 2; k++) {
			struct icmp_echo e;
			enum icmp_verdict v = icmp_parse(fam[f], kinds[k],
			    0x1234, cookie, copy, size, &e);

			FUZZ_CHECK(v >= ICMP_REPLY && v <= ICMP_MALFORMED,
			    "verdict %d", (int)v);
			if (v == ICMP_REPLY) {
				FUZZ_CHECK(e.id == 0x1234, "id %04x", e.id);
				FUZZ_CHECK(size >= ICMP_ECHO_LEN, "size %zu",
				    size);
			}
		}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct icmp_engine *e;
	uint8_t req[2][NREQ][ICMP_ECHO_LEN];
	icmp_handle h[2][NREQ];
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_in osin;
	struct sockaddr_in6 osin6;
	const uint8_t *p = data, *end = data + size;
	uint64_t inputs = 0;
	int raw4;

	parse_all(data, size);
	if (size < 1)
		return 0;
	raw4 = *p++ & 1;
	if ((e = icmp_new(on_reply)) == NULL)
		return 0;
	icmp_pretend(e, AF_INET, raw4 ? ICMP_RAW : ICMP_DGRAM, 0x4242);
	icmp_pretend(e, AF_INET6, ICMP_DGRAM, 0x4343);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	osin = sin;
	osin.sin_addr.s_addr = htonl(0x7f000002);
	osin6 = sin6;
	osin6.sin6_addr.s6_addr[0] = 0xfe;
	memset(delivered, 0, sizeof(delivered));
	for (int f = 0; f < 2; f++)
		for (int r = 0; r < NREQ; r++)
			if (icmp_prepare(e, f ? (struct sockaddr *)&sin6 :
			    (struct sockaddr *)&sin, 60, &owner_tag[f][r],
			    (uint32_t)(f * NREQ + r), &h[f][r],
			    req[f][r]) != 0)
				goto out;

	while (p < end) {
		uint8_t ctl = *p++, pkt[512];
		int f = ctl & 1, r = (ctl >> 1) & 1;
		size_t len = 0, off = 0;
		struct timespec ks;

		if (ctl & 4) {
			size_t n;

			if (p >= end)
				break;
			n = *p++;
			if (n > (size_t)(end - p))
				n = (size_t)(end - p);
			memcpy(pkt, p, n);
			p += n;
			len = n;
		} else {
			int nedits, delta;

			if (f == 0 && raw4) {
				/* a minimal IPv4 header, as the kernel
				 * gives it to a raw socket */
				memset(pkt, 0, 20);
				pkt[0] = 0x45;
				pkt[9] = 1;
				off = 20;
			}
			memcpy(pkt + off, req[f][r], ICMP_ECHO_LEN);
			pkt[off] = f ? 129 : 0;		/* echo reply */
			pkt[off + 2] = pkt[off + 3] = 0;
			if (f == 0) {
				uint16_t ck = icmp_cksum(pkt + off,
				    ICMP_ECHO_LEN);

				pkt[off + 2] = (uint8_t)(ck >> 8);
				pkt[off + 3] = (uint8_t)ck;
			}
			len = off + ICMP_ECHO_LEN;
			nedits = p < end ? *p++ % 8 : 0;
			for (int i = 0; i < nedits && end - p >= 2; i++) {
				pkt[p[0] % len] = p[1];
				p += 2;
			}
			delta = p < end ? (int8_t)*p++ : 0;
			if (delta < 0 && (size_t)-delta <= len)
				len -= (size_t)-delta;
			else if (delta > 0) {
				memset(pkt + len, 0, (size_t)delta);
				len += (size_t)delta;
			}
			if ((ctl & 64) && f == 0 && len >= off + 4) {
				uint16_t ck;

				pkt[off + 2] = pkt[off + 3] = 0;
				ck = icmp_cksum(pkt + off, len - off);
				pkt[off + 2] = (uint8_t)(ck >> 8);
				pkt[off + 3] = (uint8_t)ck;
			}
		}
		if (ctl & 16)
			icmp_forget(e, h[f][r], &owner_tag[f][r]);
		clock_gettime(CLOCK_REALTIME, &ks);
		{
			/* an exact copy: an over-read is an ASan report */
			uint8_t *copy = malloc(len ? len : 1);
			const struct sockaddr *from = f ?
			    (ctl & 8 ? (struct sockaddr *)&osin6 :
			    (struct sockaddr *)&sin6) :
			    (ctl & 8 ? (struct sockaddr *)&osin :
			    (struct sockaddr *)&sin);

			memcpy(copy, pkt, len);
			icmp_input(e, f ? AF_INET6 : AF_INET, copy, len, from,
			    ctl & 32 ? &ks : NULL);
			free(copy);
		}
		inputs++;
		FUZZ_CHECK(total(icmp_counters(e)) == inputs,
		    "%llu datagrams counted for %llu",
		    (unsigned long long)total(icmp_counters(e)),
		    (unsigned long long)inputs);
	}
	FUZZ_CHECK(icmp_counters(e)->received <= 2 * NREQ, "received %llu",
	    (unsigned long long)icmp_counters(e)->received);
out:
	icmp_free(e);
	return 0;
}
