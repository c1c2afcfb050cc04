/*
 * The alert mail composer (daemon/mailmsg.c) on any subject and body,
 * UTF-8 or not: target names, reasons and SNMP strings end up there.
 *
 * Input: fields separated by NUL bytes: subject, text, html, From, To,
 * Message-ID; a missing or empty From, To or Message-ID is a valid
 * default (the addresses are checked, the text is not).
 *
 * Checked on every composed message (mailmsg.h, RFC 5322, RFC 2045):
 * CRLF line ends only, lines <= 998 octets, every octet 7-bit and not
 * NUL; in the header, every line a field or a folded continuation and
 * one Subject.  mail_rfc2047() words decode back to the input, are at
 * most 75 characters and its lines within 78 columns; mail_qp() lines
 * are at most 76 and decode back to the input with CRLF line ends.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "mailmsg.h"
#include "util.h"
#include "fuzz.h"

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Append the base64 text s[0..n) decoded to out; its new length. */
static size_t
b64dec(const char *s, size_t n, char *out, size_t o)
{
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64val((unsigned char)s[i]);

		FUZZ_CHECK(v >= 0, "bad base64 octet %02x",
		    (unsigned char)s[i]);
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits);
		}
	}
	return o;
}

static void
check_rfc2047(const char *in, size_t used)
{
	char *enc = mail_rfc2047(in, used), *dec;
	const char *p = enc, *line = enc;
	size_t o = 0, inlen = strlen(in);

	if (strcmp(enc, in) == 0) {
		free(enc);
		return;		/* plain ASCII, returned as it is */
	}
	dec = xmalloc(strlen(enc) + 1);
	for (;;) {
		const char *w = p, *q;

		FUZZ_CHECK(strncmp(w, "=?UTF-8?B?", 10) == 0,
		    "not an encoded word at %zu: %.20s", (size_t)(w - enc), w);
		q = strstr(w + 10, "?=");
		FUZZ_CHECK(q != NULL, "unterminated encoded word");
		FUZZ_CHECK(q + 2 - w <= 75, "encoded word of %zu",
		    (size_t)(q + 2 - w));
		o = b64dec(w + 10, (size_t)(q - w - 10), dec, o);
		p = q + 2;
		/* the first line within 78 with what is `used` of it,
		 * unless that leaves no room for a word */
		FUZZ_CHECK((size_t)(p - line) + (line == enc ? used : 0) <=
		    78 || (line == enc && used >= 78 - 20),
		    "line of %zu (used %zu)", (size_t)(p - line), used);
		if (*p == '\0')
			break;
		FUZZ_CHECK(strncmp(p, "\r\n ", 3) == 0,
		    "words not joined by CRLF SP");
		p += 3;
		line = p - 1;
	}
	FUZZ_CHECK(o == inlen && memcmp(dec, in, inlen) == 0,
	    "rfc2047 round trip: %zu octets back of %zu", o, inlen);
	free(dec);
	free(enc);
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ?
	    c - 'A' + 10 : -1;
}

static void
check_qp(const char *in, size_t n)
{
	size_t qlen, o = 0, e = 0, col = 0;
	char *q = mail_qp(in, n, &qlen);
	char *dec = xmalloc(qlen + 1), *want = xmalloc(2 * n + 3);

	for (size_t i = 0; i < qlen; i++) {
		if (q[i] == '\r') {
			FUZZ_CHECK(i + 1 < qlen && q[i + 1] == '\n',
			    "bare CR in QP at %zu", i);
			dec[o++] = '\r';
			dec[o++] = '\n';
			i++;
			col = 0;
			continue;
		}
		FUZZ_CHECK(q[i] != '\n', "bare LF in QP at %zu", i);
		FUZZ_CHECK((unsigned char)q[i] < 0x7f && (q[i] >= ' ' || q[i] == '\t'),
		    "octet %02x in QP", (unsigned char)q[i]);
		if (q[i] == '=') {
			if (i + 2 < qlen && q[i + 1] == '\r' &&
			    q[i + 2] == '\n') {
				FUZZ_CHECK(col + 1 <= 76, "QP line of %zu",
				    col + 1);
				i += 2;
				col = 0;
				continue;
			}
			FUZZ_CHECK(i + 2 < qlen && hexval(q[i + 1]) >= 0 &&
			    hexval(q[i + 2]) >= 0, "bad QP escape at %zu", i);
			dec[o++] = (char)(hexval(q[i + 1]) << 4 |
			    hexval(q[i + 2]));
			i += 2;
			col += 3;
		} else {
			dec[o++] = q[i];
			col++;
		}
		FUZZ_CHECK(col <= 76, "QP line of %zu", col);
	}
	/* LF and CRLF become CRLF; a body ends with a line break */
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			want[e++] = '\r';
		want[e++] = in[i];
	}
	if (e > 0 && !(e >= 2 && want[e - 2] == '\r' && want[e - 1] == '\n')) {
		want[e++] = '\r';
		want[e++] = '\n';
	}
	FUZZ_CHECK(o == e && memcmp(dec, want, e) == 0,
	    "QP round trip: %zu octets back, %zu expected", o, e);
	free(want);
	free(dec);
	free(q);
}

static void
check_message(const char *m, size_t len)
{
	size_t i = 0, subjects = 0;
	int in_header = 1;

	FUZZ_CHECK(strlen(m) == len, "NUL in message or wrong length");
	while (i < len) {
		const char *eol = strstr(m + i, "\r\n");
		size_t n;

		FUZZ_CHECK(eol != NULL, "last line not ended");
		n = (size_t)(eol - (m + i));
		FUZZ_CHECK(n <= 998, "line of %zu octets", n);
		for (size_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)m[i + k];

			FUZZ_CHECK(c < 0x80, "8-bit octet %02x", c);
			FUZZ_CHECK(c != '\r' && c != '\n', "bare CR or LF");
		}
		if (in_header) {
			if (n == 0)
				in_header = 0;
			else if (m[i] == ' ' || m[i] == '\t')
				FUZZ_CHECK(i > 0, "continuation first");
			else {
				size_t k = 0;

				while (k < n && m[i + k] > ' ' &&
				    m[i + k] < 0x7f && m[i + k] != ':')
					k++;
				FUZZ_CHECK(k > 0 && k < n && m[i + k] == ':',
				    "header line not a field: %.*s", (int)n,
				    m + i);
				if (k == 7 && strncmp(m + i, "Subject", 7) ==
				    0)
					subjects++;
			}
		}
		i += n + 2;
	}
	FUZZ_CHECK(!in_header, "no end of header");
	FUZZ_CHECK(subjects == 1, "%zu Subject fields", subjects);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmalloc(size + 1), *field[6] = { 0 }, *p = copy;
	const char *to[2] = { NULL, NULL };
	struct mail_msg msg;
	char err[256], *m;
	size_t len, nf = 0;

	memcpy(copy, data, size);
	copy[size] = '\0';
	while (nf < 6) {
		field[nf++] = p;
		p += strlen(p);
		if (p == copy + size)
			break;
		p++;
	}
	check_rfc2047(field[0], 9);
	check_rfc2047(field[0], (size_t)size % 100);
	check_qp(field[0], strlen(field[0]));
	if (nf > 1)
		check_qp(field[1], strlen(field[1]));

	memset(&msg, 0, sizeof(msg));
	msg.subject = field[0];
	msg.text = nf > 1 ? field[1] : NULL;
	msg.html = nf > 2 ? field[2] : NULL;
	msg.from = nf > 3 && *field[3] ? field[3] :
	    "Giám sát mạng <canhbao@example.gov.vn>";
	to[0] = nf > 4 && *field[4] ? field[4] : "Tổ CNTT <it1@example.gov.vn>";
	msg.to = to;
	msg.message_id = nf > 5 && *field[5] ? field[5] :
	    "20260301T000100.7.tra-linh@example.gov.vn";
	msg.references = size % 2 ? msg.message_id : NULL;
	msg.late_note = size % 3 ? "" : "late";
	msg.date = 1772298000;
	if ((m = mail_compose(&msg, &len, err, sizeof(err))) != NULL) {
		check_message(m, len);
		free(m);
	} else
		FUZZ_CHECK(*err != '\0', "no reason given");
	free(copy);
	return 0;
}
