/*
 * The sip probe's messages (plugins/sip/sipmsg.c): the OPTIONS request as
 * built, responses parsed and matched, hostile input refused, and the
 * framing of a TCP stream.  No network.
 */
#include "config.h"

#include <string.h>

#include "sipmsg.h"
#include "test.h"

#define BRANCH	"z9hG4bK0123456789abcdef01234567"
#define CALLID	"5f1e0c2a9b8d7e6f5a4b3c2d1e0f9a8b"

static const struct sipmsg_req base_req = {
	.transport = "UDP",
	.host = "192.0.2.7",
	.port = 5060,
	.local = "127.0.0.1",
	.local_port = 40123,
	.branch = BRANCH,
	.call_id = CALLID,
	.from_tag = "a1b2c3d4",
	.cseq = 42,
	.user_agent = "tramon/test",
};

/* A response to base_req with `code phrase`, `extra` headers inserted. */
static size_t
response(char *buf, size_t size, const char *status, const char *via,
    const char *extra)
{
	int n = snprintf(buf, size,
	    "SIP/2.0 %s\r\n"
	    "Via: %s\r\n"
	    "From: <sip:tramon@127.0.0.1>;tag=a1b2c3d4\r\n"
	    "To: <sip:192.0.2.7:5060>;tag=77\r\n"
	    "Call-ID: " CALLID "\r\n"
	    "CSeq: 42 OPTIONS\r\n"
	    "%s"
	    "Content-Length: 0\r\n"
	    "\r\n", status, via ? via :
	    "SIP/2.0/UDP 127.0.0.1:40123;branch=" BRANCH ";rport=40123;"
	    "received=127.0.0.1", extra ? extra : "");

	return (size_t)n;
}

DEF_TEST(build)
{
	struct sipmsg_req q = base_req;
	char *m;
	size_t len;

	sipmsg_init();
	EXPECT_EQ_INT(0, sipmsg_options(&q, &m, &len));
	EXPECT_EQ_INT(strlen(m), len);
	EXPECT_TRUE(strncmp(m, "OPTIONS sip:192.0.2.7:5060 SIP/2.0\r\n",
	    36) == 0);
	EXPECT_CONTAINS(m, "\r\nVia: SIP/2.0/UDP 127.0.0.1:40123;branch="
	    BRANCH ";rport\r\n");
	EXPECT_CONTAINS(m, "\r\nCall-ID: " CALLID "\r\n");
	EXPECT_CONTAINS(m, "\r\nCSeq: 42 OPTIONS\r\n");
	EXPECT_CONTAINS(m, "\r\nFrom: <sip:tramon@127.0.0.1>;tag=a1b2c3d4\r\n");
	EXPECT_CONTAINS(m, "\r\nTo: <sip:192.0.2.7:5060>\r\n");
	EXPECT_CONTAINS(m, "\r\nMax-Forwards: 70\r\n");
	EXPECT_CONTAINS(m, "\r\nContent-Length: 0\r\n\r\n");
	EXPECT_EQ_INT(len, (size_t)sipmsg_frame(m, len, 4096));
	free(m);

	/* IPv6 and TCP */
	q.transport = "TCP";
	q.host = "[2001:db8::5]";
	q.local = "[::1]";
	EXPECT_EQ_INT(0, sipmsg_options(&q, &m, &len));
	EXPECT_TRUE(strncmp(m, "OPTIONS sip:[2001:db8::5]:5060 SIP/2.0\r\n",
	    40) == 0);
	EXPECT_CONTAINS(m, "Via: SIP/2.0/TCP [::1]:40123;branch=");
	free(m);

	/* what no URI can hold */
	q = base_req;
	q.host = "";
	EXPECT_EQ_INT(-1, sipmsg_options(&q, &m, &len));
	EXPECT_TRUE(m == NULL);
	return 0;
}

/* What we send is what we would accept back, mirrored by a UAS. */
DEF_TEST(parse_ok)
{
	struct sipmsg_resp r;
	char buf[2048];
	size_t n;

	n = response(buf, sizeof(buf), "200 OK", NULL, NULL);
	EXPECT_EQ_INT(0, sipmsg_parse(buf, n, &r));
	EXPECT_EQ_INT(200, r.code);
	EXPECT_EQ_STR("OK", r.phrase);
	EXPECT_EQ_STR(BRANCH, r.branch);
	EXPECT_EQ_STR(CALLID, r.call_id);
	EXPECT_EQ_INT(42, r.cseq);
	EXPECT_EQ_STR("OPTIONS", r.method);
	EXPECT_TRUE(sipmsg_match(&r, BRANCH, CALLID, 42));

	n = response(buf, sizeof(buf), "503 Service Unavailable", NULL,
	    "Retry-After: 60\r\n");
	EXPECT_EQ_INT(0, sipmsg_parse(buf, n, &r));
	EXPECT_EQ_INT(503, r.code);
	EXPECT_EQ_STR("Service Unavailable", r.phrase);

	n = response(buf, sizeof(buf), "100 Trying", NULL, NULL);
	EXPECT_EQ_INT(0, sipmsg_parse(buf, n, &r));
	EXPECT_EQ_INT(100, r.code);

	/* a body (SDP) is not parsed, and not needed */
	n = response(buf, sizeof(buf), "200 OK", NULL,
	    "Content-Type: application/sdp\r\n");
	memcpy(buf + n, "v=0\r\n", 5);
	EXPECT_EQ_INT(0, sipmsg_parse(buf, n + 5, &r));

	/* a reason phrase that is not ASCII is made printable */
	n = response(buf, sizeof(buf), "486 B\xe1\xba\xadn", NULL, NULL);
	EXPECT_EQ_INT(0, sipmsg_parse(buf, n, &r));
	EXPECT_EQ_INT(486, r.code);
	EXPECT_EQ_STR("B???n", r.phrase);

	/* leading CRLFs (a TCP keep-alive) */
	memmove(buf + 2, buf, n);
	memcpy(buf, "\r\n", 2);
	EXPECT_EQ_INT(0, sipmsg_parse(buf, n + 2, &r));
	return 0;
}

DEF_TEST(match)
{
	struct sipmsg_resp r;
	char buf[2048];
	size_t n = response(buf, sizeof(buf), "200 OK", NULL, NULL);

	EXPECT_EQ_INT(0, sipmsg_parse(buf, n, &r));
	EXPECT_TRUE(!sipmsg_match(&r, "z9hG4bKother", CALLID, 42));
	EXPECT_TRUE(!sipmsg_match(&r, BRANCH, "othercallid", 42));
	EXPECT_TRUE(!sipmsg_match(&r, BRANCH, CALLID, 43));
	/* the right ids but another method */
	strcpy(r.method, "INVITE");
	EXPECT_TRUE(!sipmsg_match(&r, BRANCH, CALLID, 42));
	/* an id too long to keep matches nothing, not its prefix */
	n = response(buf, sizeof(buf), "200 OK", "SIP/2.0/UDP 127.0.0.1:1;"
	    "branch=" BRANCH BRANCH, NULL);
	EXPECT_EQ_INT(0, sipmsg_parse(buf, n, &r));
	EXPECT_EQ_STR("", r.branch);
	EXPECT_TRUE(!sipmsg_match(&r, "", CALLID, 42));
	return 0;
}

DEF_TEST(parse_bad)
{
	static const char *const bad[] = {
		"",
		"garbage\r\n\r\n",
		"SIP/2.0 200 OK",				/* no end */
		"SIP/2.0 200 OK\r\nCall-ID: x\r\n",		/* no end */
		"SIP/2.0 abc OK\r\n\r\n",
		"SIP/2.0 99 OK\r\n\r\n",
		"SIP/2.0 700 Whatever\r\n\r\n",
		"SIP/2.0 99999 OK\r\n\r\n",
		"SIP/3.0 200 OK\r\n\r\n",
		"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n",
		/* no Via, Call-ID or CSeq */
		"SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKx\r\n"
		    "CSeq: 1 OPTIONS\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKx\r\n"
		    "Call-ID: x\r\n\r\n",
		/* a Via without a branch */
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:1\r\nCall-ID: x\r\n"
		    "CSeq: 1 OPTIONS\r\n\r\n",
		/* two Vias (8.1.3.3) */
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKx\r\n"
		    "Via: SIP/2.0/UDP g:2;branch=z9hG4bKy\r\nCall-ID: x\r\n"
		    "CSeq: 1 OPTIONS\r\n\r\n",
		/* CSeq not a number, or out of range */
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKx\r\n"
		    "Call-ID: x\r\nCSeq: x1 OPTIONS\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKx\r\n"
		    "Call-ID: x\r\nCSeq: 99999999999 OPTIONS\r\n\r\n",
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h:1;branch=z9hG4bKx\r\n"
		    "Call-ID: x\r\nCSeq: 4294967295 OPTIONS\r\n\r\n",
		NULL
	};
	struct sipmsg_resp r;
	char buf[2048];
	size_t n;

	for (size_t i = 0; bad[i] != NULL; i++)
		if (sipmsg_parse(bad[i], strlen(bad[i]), &r) != -1)
			FAIL_HERE("accepted bad[%zu]: %s", i, bad[i]);
	/* a NUL inside the headers */
	n = response(buf, sizeof(buf), "200 OK", NULL, NULL);
	buf[30] = '\0';
	EXPECT_EQ_INT(-1, sipmsg_parse(buf, n, &r));
	/* every prefix of a good response (a truncated datagram) */
	n = response(buf, sizeof(buf), "200 OK", NULL, NULL);
	for (size_t k = 0; k + 2 < n; k++)
		if (sipmsg_parse(buf, k, &r) != -1)
			FAIL_HERE("accepted a prefix of %zu bytes", k);
	/* random bytes: refused, and no crash (ASan, valgrind) */
	for (int round = 0; round < 2000; round++) {
		char hex[257];

		sipmsg_random_hex(hex, 256);
		n = response(buf, sizeof(buf), "200 OK", NULL, NULL);
		/* corrupt a few bytes of a good message */
		for (int j = 0; j < 4; j++) {
			size_t at = ((size_t)(unsigned char)hex[j * 4] * 131 +
			    (size_t)(unsigned char)hex[j * 4 + 1] * 7 +
			    (size_t)round) % n;

			buf[at] = (char)(hex[j * 4 + 2] ^ hex[j * 4 + 3] ^
			    round);
		}
		(void)sipmsg_parse(buf, n, &r);
	}
	return 0;
}

#define FRAME(s, max)	sipmsg_frame(s, strlen(s), max)

DEF_TEST(frame)
{
	const char *two = "SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n"
	    "SIP/2.0 200 OK\r\nl: 4\r\n\r\nabcd";
	size_t len = strlen(two), first = strlen("SIP/2.0 100 Trying\r\n"
	    "Content-Length: 0\r\n\r\n");

	EXPECT_EQ_INT(first, sipmsg_frame(two, len, 4096));
	EXPECT_EQ_INT(len - first, sipmsg_frame(two + first, len - first,
	    4096));
	/* incomplete: headers, then body */
	EXPECT_EQ_INT(0, sipmsg_frame(two, 10, 4096));
	EXPECT_EQ_INT(0, sipmsg_frame(two + first, len - first - 1, 4096));
	/* keep-alive CRLFs first */
	EXPECT_EQ_INT(4 + first, sipmsg_frame("\r\n\r\nSIP/2.0 100 Trying\r\n"
	    "Content-Length: 0\r\n\r\n", 4 + first, 4096));
	/* no Content-Length: no body */
	EXPECT_EQ_INT(18, FRAME("SIP/2.0 200 OK\r\n\r\nxyz", 4096));
	/* too big, or a bad length: the stream cannot be followed */
	EXPECT_EQ_INT(-1, FRAME("SIP/2.0 200 OK\r\nContent-Length: "
	    "100000\r\n\r\n", 4096));
	EXPECT_EQ_INT(-1, FRAME("SIP/2.0 200 OK\r\nContent-Length: "
	    "-1\r\n\r\n", 4096));
	EXPECT_EQ_INT(-1, FRAME("SIP/2.0 200 OK\r\nContent-Length: "
	    "12x\r\n\r\n", 4096));
	EXPECT_EQ_INT(-1, FRAME("SIP/2.0 200 OK\r\ncontent-length "
	    ": 99999999999\r\n\r\n", 1 << 30));
	/* the compact form, any case, spaces around the colon */
	EXPECT_EQ_INT(-1, FRAME("SIP/2.0 200 OK\r\nL : 9999\r\n\r\n", 4096));
	EXPECT_EQ_INT(0, FRAME("SIP/2.0 200 OK\r\nCONTENT-LENGTH:  3 \r\n"
	    "\r\nab", 4096));
	{
		char big[300];

		memset(big, 'x', sizeof(big));
		EXPECT_EQ_INT(-1, sipmsg_frame(big, sizeof(big), 256));
		EXPECT_EQ_INT(0, sipmsg_frame(big, 100, 256));
	}
	return 0;
}

DEF_TEST(random_ids)
{
	char a[33], b[33];

	sipmsg_random_hex(a, 32);
	sipmsg_random_hex(b, 32);
	EXPECT_EQ_INT(32, strlen(a));
	EXPECT_TRUE(strspn(a, "0123456789abcdef") == 32);
	EXPECT_TRUE(strcmp(a, b) != 0);
	return 0;
}

int
main(void)
{
	RUN_TEST(build);
	RUN_TEST(parse_ok);
	RUN_TEST(match);
	RUN_TEST(parse_bad);
	RUN_TEST(frame);
	RUN_TEST(random_ids);
	END_TEST;
}
