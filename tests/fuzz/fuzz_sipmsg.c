/*
 * The sip probe's reading of what a SIP peer (or anyone) sends back
 * (plugins/sip/sipmsg.c): sipmsg_parse() on the whole input as one UDP
 * datagram, then the input as a TCP stream cut by sipmsg_frame() the way
 * sip.c's reader does, each message parsed.
 *
 * Checked: a parsed response keeps the promises of sipmsg.h (code
 * 100..699, NUL-terminated fields, a printable ASCII phrase); a frame
 * is never longer than the data nor than `max`, and framing the same
 * bytes again gives the same length.
 */
#include "config.h"

#include <string.h>
#include <sys/types.h>

#include "sipmsg.h"
#include "fuzz.h"

#define TCP_MAX	16384	/* as sip.c */

static void
check_resp(const struct sipmsg_resp *r)
{
	FUZZ_CHECK(r->code >= 100 && r->code <= 699, "code %d", r->code);
	FUZZ_CHECK(memchr(r->phrase, '\0', sizeof(r->phrase)) != NULL,
	    "phrase not terminated");
	for (const char *s = r->phrase; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f, "phrase byte %02x",
		    (unsigned char)*s);
	FUZZ_CHECK(memchr(r->branch, '\0', sizeof(r->branch)) != NULL,
	    "branch not terminated");
	FUZZ_CHECK(memchr(r->call_id, '\0', sizeof(r->call_id)) != NULL,
	    "call_id not terminated");
	FUZZ_CHECK(memchr(r->method, '\0', sizeof(r->method)) != NULL,
	    "method not terminated");
	FUZZ_CHECK(r->cseq <= 0x7fffffffUL, "cseq %lu", r->cseq);
}

static void
parse_one(const char *buf, size_t len)
{
	struct sipmsg_resp r;
	/* an exact copy, no NUL after it: an over-read is an ASan report */
	char *copy = malloc(len ? len : 1);

	memcpy(copy, buf, len);
	if (sipmsg_parse(copy, len, &r) == 0) {
		check_resp(&r);
		(void)sipmsg_match(&r, "z9hG4bKfuzz", "fuzz", 1);
	}
	free(copy);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sipmsg_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;
	/* the first byte picks the stream's cut points, as a TCP
	 * reader sees them: whole, or in small reads */
	size_t step = size > 0 ? (size_t)data[0] % 64 + 1 : 1;
	size_t have;

	parse_one(p, left);

	/* the stream, growing by `step` bytes per read */
	have = 0;
	while (have < left || have > 0) {
		ssize_t m;
		char *copy;

		if (have < left)
			have = have + step < left ? have + step : left;
		copy = malloc(have ? have : 1);
		memcpy(copy, p, have);
		m = sipmsg_frame(copy, have, TCP_MAX);
		if (m > 0) {
			FUZZ_CHECK((size_t)m <= have, "frame %zd of %zu", m,
			    have);
			FUZZ_CHECK((size_t)m <= TCP_MAX, "frame %zd", m);
			FUZZ_CHECK(sipmsg_frame(copy, (size_t)m, TCP_MAX) ==
			    m, "frame %zd not stable", m);
		}
		free(copy);
		if (m < 0)
			break;		/* the reader gives up */
		if (m == 0) {
			if (have == left)
				break;	/* more is needed, none comes */
			continue;
		}
		parse_one(p, (size_t)m);
		p += m;
		left -= (size_t)m;
		have -= (size_t)m;
	}
	return 0;
}
