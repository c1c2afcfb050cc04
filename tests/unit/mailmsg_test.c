/*
 * Alert mails: base64, quoted-printable, RFC 2047 words, addresses,
 * message ids, and whole messages, checked here octet by octet and then
 * read back by a real decoder (Python's email package, check_mail.py).
 */
#include "config.h"

#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "mailmsg.h"
#include "test.h"
#include "util.h"

#define VN_SUBJECT "[tramon] MẤT KẾT NỐI: Xã Trà Linh (198.18.2.17)"
#define VN_FROM "Giám sát mạng <canhbao@example.gov.vn>"

/* --- decoders of our own, to read the encoders' output back */

static int
b64val(int c)
{
	const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *p = c ? strchr(set, c) : NULL;

	return p ? (int)(p - set) : -1;
}

/* Decode n base64 characters into out; the octet count, or -1. */
static long
b64dec(const char *s, size_t n, unsigned char *out)
{
	long len = 0;
	int v[4];

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
			} else if ((v[k] = b64val(s[i + k])) < 0 || pad)
				return -1;
		}
		out[len++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[len++] =
			    (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[len++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	return len;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;		/* RFC 2045: uppercase only */
}

/*
 * Decode quoted-printable (hard breaks become LF), checking the form on
 * the way: CRLF only, lines <= 76, 7-bit printable, no trailing white
 * space, escapes whole and uppercase, no literal "." starting a line.
 * Returns the decoded length or -1 (with a diagnostic).
 */
static long
qpdec(const char *s, char *out)
{
	long len = 0;
	size_t col = 0;

	for (const char *p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r') {
			if (p[1] != '\n')
				return printf("# bare CR\n"), -1;
			if (p > s && (p[-1] == ' ' || p[-1] == '\t'))
				return printf("# trailing white space\n"), -1;
			out[len++] = '\n';
			p++;
			col = 0;
			continue;
		}
		if (c == '\n')
			return printf("# bare LF\n"), -1;
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return printf("# octet %#x in QP\n", c), -1;
		if (col == 0 && c == '.')
			return printf("# literal dot starts a line\n"), -1;
		if (c == '=') {
			if (p[1] == '\r' && p[2] == '\n') {	/* soft */
				if (col + 1 > 76)
					return printf("# line > 76\n"), -1;
				p += 2;
				col = 0;
				continue;
			}
			if (hexval(p[1]) < 0 || hexval(p[2]) < 0)
				return printf("# bad escape\n"), -1;
			out[len++] = (char)(hexval(p[1]) << 4 | hexval(p[2]));
			p += 2;
			col += 3;
		} else {
			out[len++] = (char)c;
			col++;
		}
		if (col > 76)
			return printf("# line > 76\n"), -1;
	}
	if (len > 0 && out[len - 1] != '\n')
		return printf("# no final line break\n"), -1;
	out[len] = '\0';
	return len;
}

/* Is s[0..n) whole UTF-8 characters (no sequence cut at either end)? */
static int
utf8_whole(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;

	while (i < n) {
		if (s[i] < 0x80)
			len = 1;
		else if ((s[i] & 0xe0) == 0xc0)
			len = 2;
		else if ((s[i] & 0xf0) == 0xe0)
			len = 3;
		else if ((s[i] & 0xf8) == 0xf0)
			len = 4;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/*
 * Check an RFC 2047 value: words "=?UTF-8?B?...?=" of <= 75 characters
 * joined by CRLF SP, the first line within 78 after `used` columns, each
 * word whole characters, and the words decoding to `want`.
 */
static int
check_ew(const char *enc, const char *want, size_t used)
{
	unsigned char *got = xmalloc(strlen(enc) + 1), *w;
	size_t glen = 0, words = 0;
	const char *p = enc, *e;
	int ok = 1;

	while (ok && *p != '\0') {
		e = strstr(p, "\r\n");
		size_t n = e ? (size_t)(e - p) : strlen(p);
		long d;

		if (n > 75 || n < 12 || strncmp(p, "=?UTF-8?B?", 10) != 0 ||
		    strncmp(p + n - 2, "?=", 2) != 0) {
			printf("# bad word \"%.*s\" (%zu)\n", (int)n, p, n);
			ok = 0;
			break;
		}
		if (words == 0 && used + n > 78 && used < 78 - 20) {
			printf("# first line %zu > 78\n", used + n);
			ok = 0;
		}
		w = got + glen;
		d = b64dec(p + 10, n - 12, w);
		if (d < 0 || !utf8_whole(w, (size_t)d)) {
			printf("# word %zu: bad base64 or cut character\n",
			    words);
			ok = 0;
		}
		glen += d > 0 ? (size_t)d : 0;
		words++;
		p += n;
		if (*p != '\0') {
			if (strncmp(p, "\r\n ", 3) != 0 || p[3] == ' ') {
				printf("# bad fold\n");
				ok = 0;
			}
			p += 3;
		}
	}
	if (ok && (glen != strlen(want) || memcmp(got, want, glen) != 0)) {
		printf("# decoded \"%.*s\", want \"%s\"\n", (int)glen, got,
		    want);
		ok = 0;
	}
	free(got);
	return ok;
}

/* Characters (not octets) in a UTF-8 string. */
static size_t
u8chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A Vietnamese subject of exactly `chars` characters. */
static char *
long_vn(size_t chars)
{
	const char *src = "Mất kết nối tại Điểm Bưu điện Văn hóa xã Trà "
	    "Linh, huyện Nam Trà My — cổng Gi1/0/24 trên sw-tầng-3 ";
	size_t cap = chars * 4 + 1, len = 0, n = 0;
	char *s = xmalloc(cap);
	const char *p = src;

	while (n < chars) {
		size_t k = 1;

		if (*p == '\0')
			p = src;
		while ((p[k] & 0xc0) == 0x80)
			k++;
		memcpy(s + len, p, k);
		len += k;
		p += k;
		n++;
	}
	s[len] = '\0';
	return s;
}

/* --- base64, quoted-printable */

DEF_TEST(base64_vectors)
{
	/* RFC 4648 10 */
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };
	unsigned char all[256], back[256];
	size_t len;
	char *s;

	for (size_t i = 0; i < nitems(in); i++) {
		s = mail_base64(in[i], strlen(in[i]), &len);
		EXPECT_EQ_STR(out[i], s);
		EXPECT_EQ_INT(strlen(out[i]), len);
		free(s);
	}
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	for (size_t n = 250; n <= 256; n++) {
		s = mail_base64(all, n, &len);
		EXPECT_EQ_INT((long)n, b64dec(s, len, back));
		EXPECT_TRUE(memcmp(all, back, n) == 0);
		free(s);
	}
	return 0;
}

/* Encode, check the form, decode, compare (CRLF in = LF out). */
static int
qp_round_trip(const char *in, size_t n)
{
	size_t len, i, j;
	char *enc = mail_qp(in, n, &len);
	char *dec = xmalloc(len + 1), *want = xmalloc(n + 2);
	long d = qpdec(enc, dec);
	int ok;

	for (i = j = 0; i < n; i++) {
		if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
			continue;
		want[j++] = in[i];
	}
	if (j > 0 && want[j - 1] != '\n')
		want[j++] = '\n';
	want[j] = '\0';
	ok = strlen(enc) == len && d == (long)j && memcmp(dec, want, j) == 0;
	if (!ok)
		printf("# QP of \"%.*s\" gave \"%s\"\n", (int)(n > 80 ? 80 : n),
		    in, enc);
	free(enc);
	free(dec);
	free(want);
	return ok;
}

DEF_TEST(qp_round_trips)
{
	static const char *cases[] = {
		"",
		"plain\n",
		"no final newline",
		"Xã Trà Linh mất kết nối lúc 10:30 (198.18.2.17)\n",
		"a=b, 100% = đủ\n",
		"trailing spaces   \nand a tab\t\n\nblank above  ",
		".\n.leading dot\n..two\n",
		"From the switch\nFrom: not mbox\n",
		"windows\r\nline ends\r\n",
		"a lone \r carriage return\n",
		"=\n==\n=3D\n",
	};
	char line[1024], *s;
	unsigned seed = 12345;

	for (size_t i = 0; i < nitems(cases); i++)
		EXPECT_TRUE(qp_round_trip(cases[i], strlen(cases[i])));

	/* long lines: soft breaks never split an escape, whatever the
	 * alignment; spaces at each possible break position */
	for (size_t shift = 0; shift < 8; shift++) {
		size_t n = 0;

		for (size_t k = 0; k < shift; k++)
			line[n++] = 'x';
		while (n < 300) {
			const char *w = (n / 7) % 3 ? "ế" : " =";

			memcpy(line + n, w, strlen(w));
			n += strlen(w);
		}
		line[n++] = ' ';
		EXPECT_TRUE(qp_round_trip(line, n));
	}

	/* every octet, and random mixtures of the awkward ones */
	for (int i = 0; i < 256; i++)
		line[i] = (char)(255 - i);
	EXPECT_TRUE(qp_round_trip(line, 256));
	for (int round = 0; round < 300; round++) {
		static const char *bits[] = { " ", "\t", "\n", "\r\n", ".",
		    "=", "ầ", "🙂", "a", "From ", "x", "\r" };
		size_t n = 0;

		while (n < 900) {
			seed = seed * 1103515245 + 12345;
			s = (char *)bits[(seed >> 16) % nitems(bits)];
			memcpy(line + n, s, strlen(s));
			n += strlen(s);
		}
		if (!qp_round_trip(line, n))
			FAIL_HERE("random round %d", round);
	}
	return 0;
}

DEF_TEST(qp_exact)
{
	const char *in = "a b \n.x\nFrom y";
	char *s = mail_qp(in, strlen(in), NULL);

	EXPECT_EQ_STR("a b=20\r\n=2Ex\r\n=46rom y\r\n", s);
	free(s);
	/* 76 characters fit one line; 77 need a soft break */
	memset(s = xmalloc(80), 'q', 77);
	s[76] = '\0';
	char *e = mail_qp(s, 76, NULL);
	EXPECT_TRUE(strlen(e) == 78 && strchr(e, '=') == NULL);
	free(e);
	s[76] = 'q';
	e = mail_qp(s, 77, NULL);
	EXPECT_TRUE(strncmp(e + 75, "=\r\nqq\r\n", 7) == 0);
	free(e);
	free(s);
	return 0;
}

/* --- RFC 2047 */

DEF_TEST(rfc2047_ascii_unchanged)
{
	const char *plain[] = { "", "[tramon] UP: core (10.0.0.1)",
	    "a very long plain subject with many words that goes past the "
	    "seventy-eight column limit easily" };
	char *s;

	for (size_t i = 0; i < nitems(plain); i++) {
		s = mail_rfc2047(plain[i], 9);
		EXPECT_EQ_STR(plain[i], s);
		free(s);
	}
	/* ASCII that a decoder would take for a word is encoded */
	s = mail_rfc2047("=?UTF-8?B?eA==?=", 9);
	EXPECT_TRUE(check_ew(s, "=?UTF-8?B?eA==?=", 9));
	free(s);
	return 0;
}

DEF_TEST(rfc2047_vietnamese)
{
	char *lng = long_vn(200), *s;
	const char *odd[] = { VN_SUBJECT, "Giám sát mạng", "ế", "🙂🙂🙂 x",
	    "Tổ CNTT huyện\tline\nbreak" };

	EXPECT_EQ_INT(200, u8chars(lng));
	s = mail_rfc2047(VN_SUBJECT, strlen("Subject: "));
	EXPECT_TRUE(check_ew(s, VN_SUBJECT, strlen("Subject: ")));
	free(s);

	/* every starting column, with lengths that cut 2-, 3- and 4-octet
	 * characters at every offset */
	for (size_t used = 0; used < 100; used++) {
		s = mail_rfc2047(lng, used);
		if (!check_ew(s, lng, used))
			FAIL_HERE("200 characters, used %zu", used);
		free(s);
		for (size_t i = 0; i < nitems(odd); i++) {
			s = mail_rfc2047(odd[i], used);
			if (!check_ew(s, odd[i], used))
				FAIL_HERE("\"%s\", used %zu", odd[i], used);
			free(s);
		}
	}
	free(lng);
	return 0;
}

/* --- addresses and ids */

DEF_TEST(addr_spec)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "it1@example.gov.vn", "it1@example.gov.vn" },
		{ VN_FROM, "canhbao@example.gov.vn" },
		{ "  a@b  ", "a@b" },
		{ "Name <a@b> ", "a@b" },
		{ "<x.y+tag@sub.example.com>", "x.y+tag@sub.example.com" },
		{ "\"Doe, John <jd>\" <john.doe@example.com>",
		    "john.doe@example.com" },
		{ "root@[127.0.0.1]", "root@[127.0.0.1]" },
		{ "root@localhost", "root@localhost" },
	};
	static const char *bad[] = {
		"", "   ", "ab", "a@", "@b", "a@@b", "a@b@c", "a b@c",
		"Name <a@b", "a@b>", "<>", "Name <>", "Name < a@b >",
		"a\r\n@b", "a@b\r\nBcc: c@d", "ä@b.vn", "a@bä.vn", "a..b@c",
		".a@b", "a.@b", "a@b..c", "a@.b", "a@b.", "Name <a@b> x",
		"a@b,c@d", "a(b)@c", "a@[1.2.3.4", "a@b_c",
	};
	char out[300], big[300];

	for (size_t i = 0; i < nitems(good); i++) {
		out[0] = '\0';
		if (mail_addr_spec(good[i].in, out, sizeof(out)) != 0)
			FAIL_HERE("rejected \"%s\"", good[i].in);
		EXPECT_EQ_STR(good[i].out, out);
	}
	for (size_t i = 0; i < nitems(bad); i++)
		if (mail_addr_spec(bad[i], out, sizeof(out)) != -1)
			FAIL_HERE("accepted \"%s\"", bad[i]);

	/* 254 octets fit, 255 do not */
	memset(big, 'a', sizeof(big));
	big[64] = '@';
	for (int i = 65; i < 254; i++)	/* labels of 9 */
		big[i] = (i - 65) % 10 == 9 ? '.' : 'a';
	big[254] = '\0';
	EXPECT_EQ_INT(0, mail_addr_spec(big, out, sizeof(out)));
	big[254] = 'd';
	big[255] = '\0';
	EXPECT_EQ_INT(-1, mail_addr_spec(big, out, sizeof(out)));
	/* too small an output buffer */
	EXPECT_EQ_INT(-1, mail_addr_spec("abc@d", out, 5));
	EXPECT_EQ_INT(0, mail_addr_spec("abc@d", out, 6));
	EXPECT_EQ_INT(-1, mail_addr_spec(NULL, out, sizeof(out)));
	return 0;
}

DEF_TEST(message_id)
{
	char *s;

	s = mail_message_id(1795700000, 42, "tra-linh", VN_FROM);
	EXPECT_EQ_STR("20261126T133320.42.tra-linh@example.gov.vn", s);
	free(s);
	s = mail_message_id(1795700000, 7, NULL, "not an address");
	EXPECT_EQ_STR("20261126T133320.7.tramon@tramon.invalid", s);
	free(s);
	s = mail_message_id(1795700000, 7, "", "a@[10.0.0.1]");
	EXPECT_EQ_STR("20261126T133320.7.tramon@tramon.invalid", s);
	free(s);
	s = mail_message_id(0, 18446744073709551615ULL, "sw 3/Gi1.0<ế>",
	    NULL);
	EXPECT_EQ_STR("19700101T000000.18446744073709551615."
	    "sw_3_Gi1_0_____@tramon.invalid", s);
	free(s);
	return 0;
}

/* --- whole messages */

/*
 * The wire form: length right, CRLF only, 7-bit, lines <= 998 and
 * header lines <= 78, a blank line ending the header.  Returns the
 * number of problems (printed).
 */
static int
check_wire(const char *m, size_t len)
{
	size_t col = 0, line = 1;
	int errs = 0, header = 1;

	if (strlen(m) != len)
		errs += printf("# length %zu, strlen %zu\n", len,
		    strlen(m)) > 0;
	for (const char *p = m; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			errs += printf("# line %zu: 8-bit\n", line) > 0;
		if (*p == '\n')
			errs += printf("# line %zu: bare LF\n", line) > 0;
		if (*p != '\r') {
			col++;
			continue;
		}
		if (p[1] != '\n') {
			errs += printf("# line %zu: bare CR\n", line) > 0;
			continue;
		}
		if (col > 998 || (header && col > 78))
			errs += printf("# line %zu: %zu octets\n", line,
			    col) > 0;
		if (col == 0)
			header = 0;
		col = 0;
		line++;
		p++;
	}
	if (col != 0)
		errs += printf("# no final CRLF\n") > 0;
	if (header)
		errs += printf("# no end of header\n") > 0;
	return errs;
}

static const char *to_one[] = { "it1@example.gov.vn", NULL };

static struct mail_msg
vn_msg(void)
{
	struct mail_msg m = {
		.from = VN_FROM,
		.to = to_one,
		.subject = VN_SUBJECT,
		.text = "Xã Trà Linh (198.18.2.17) mất kết nối lúc 20:33.\n",
		.date = 1795700000,
		.message_id = "20261126T133320.42.tra-linh@example.gov.vn",
	};

	return m;
}

DEF_TEST(compose_headers)
{
	struct mail_msg m = vn_msg();
	char err[256] = "", *s;
	size_t len = 0;

	s = mail_compose(&m, &len, err, sizeof(err));
	EXPECT_TRUE(s != NULL);
	if (s == NULL)
		return printf("# %s\n", err), 1;
	EXPECT_EQ_INT(0, check_wire(s, len));
	EXPECT_TRUE(strncmp(s, "Date: Thu, 26 Nov 2026 20:33:20 +0700\r\n",
	    39) == 0);
	EXPECT_CONTAINS(s, "\r\nFrom: =?UTF-8?B?R2nDoW0gc8OhdCBt4bqhbmc=?= "
	    "<canhbao@example.gov.vn>\r\n");
	EXPECT_CONTAINS(s, "\r\nTo: it1@example.gov.vn\r\n");
	EXPECT_CONTAINS(s, "\r\nSubject: =?UTF-8?B?");
	EXPECT_CONTAINS(s, "\r\nMessage-ID: "
	    "<20261126T133320.42.tra-linh@example.gov.vn>\r\n");
	EXPECT_CONTAINS(s, "\r\nMIME-Version: 1.0\r\n");
	EXPECT_CONTAINS(s, "\r\nContent-Type: text/plain; charset=UTF-8\r\n");
	EXPECT_CONTAINS(s,
	    "\r\nContent-Transfer-Encoding: quoted-printable\r\n");
	EXPECT_CONTAINS(s, "\r\nAuto-Submitted: auto-generated\r\n");
	EXPECT_CONTAINS(s, "\r\nX-Mailer: tramon\r\n");
	EXPECT_TRUE(strstr(s, "In-Reply-To") == NULL);
	EXPECT_TRUE(strstr(s, "References") == NULL);
	EXPECT_TRUE(strstr(s, "X-Tramon-Delivered-Late") == NULL);
	EXPECT_TRUE(strstr(s, "multipart") == NULL);
	EXPECT_CONTAINS(s, "\r\n\r\nX=C3=A3 Tr=C3=A0 Linh");
	free(s);

	m.references = "20261126T120000.41.tra-linh@example.gov.vn";
	m.late_note = "queued while the uplink was down";
	m.html = "<p>Xã Trà Linh</p>";
	s = mail_compose(&m, &len, err, sizeof(err));
	EXPECT_TRUE(s != NULL);
	if (s == NULL)
		return 1;
	EXPECT_EQ_INT(0, check_wire(s, len));
	EXPECT_CONTAINS(s, "\r\nIn-Reply-To: "
	    "<20261126T120000.41.tra-linh@example.gov.vn>\r\n");
	EXPECT_CONTAINS(s, "\r\nReferences: "
	    "<20261126T120000.41.tra-linh@example.gov.vn>\r\n");
	EXPECT_CONTAINS(s, "\r\nX-Tramon-Delivered-Late: yes\r\n");
	EXPECT_CONTAINS(s, "\r\nContent-Type: multipart/alternative;\r\n");
	EXPECT_CONTAINS(s, "Content-Type: text/html; charset=UTF-8\r\n");
	free(s);

	/* an empty late note adds nothing; an empty HTML is no HTML */
	m.late_note = "";
	m.html = "";
	s = mail_compose(&m, &len, err, sizeof(err));
	EXPECT_TRUE(s != NULL && strstr(s, "Late") == NULL &&
	    strstr(s, "multipart") == NULL);
	free(s);
	return 0;
}

DEF_TEST(compose_date_offsets)
{
	struct mail_msg m = vn_msg();
	const char *tz = getenv("TZ");
	char *saved = tz ? xstrdup(tz) : NULL, *s;

	/* a half-hour zone west of UTC */
	setenv("TZ", "America/St_Johns", 1);
	tzset();
	s = mail_compose(&m, NULL, NULL, 0);
	EXPECT_TRUE(s != NULL && strncmp(s,
	    "Date: Thu, 26 Nov 2026 10:03:20 -0330\r\n", 39) == 0);
	free(s);
	setenv("TZ", "UTC", 1);
	tzset();
	s = mail_compose(&m, NULL, NULL, 0);
	EXPECT_TRUE(s != NULL && strncmp(s,
	    "Date: Thu, 26 Nov 2026 13:33:20 +0000\r\n", 39) == 0);
	free(s);
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved);
	return 0;
}

DEF_TEST(compose_errors)
{
	const char *bad_to[] = { "it1@example.gov.vn", "Tổ CNTT <it2@@x>",
	    NULL };
	const char *no_to[] = { NULL };
	struct mail_msg m;
	char err[128];

	m = vn_msg();
	m.from = "Giám sát <canhbao example.gov.vn>";
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	EXPECT_CONTAINS(err, "From");
	m = vn_msg();
	m.from = NULL;
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	m = vn_msg();
	m.to = bad_to;
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	EXPECT_CONTAINS(err, "it2@@x");
	m.to = no_to;
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	EXPECT_CONTAINS(err, "recipient");
	m.to = NULL;
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	m = vn_msg();
	m.message_id = "no-at-sign";
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	EXPECT_CONTAINS(err, "no-at-sign");
	m.message_id = "a b@c";
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	m.message_id = "<a@b>";
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	m.message_id = NULL;
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	m = vn_msg();
	m.references = "x@y\r\nBcc: z@w";
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	EXPECT_CONTAINS(err, "x@y??Bcc");	/* no line break for the log */
	/* no err buffer: still just NULL */
	EXPECT_TRUE(mail_compose(&m, NULL, NULL, 0) == NULL);
	/* attachments: names that could break the header, bad types */
	struct mail_attachment a = { "x\"; y.pdf", "application/pdf", "%", 1 };
	m = vn_msg();
	m.attach = &a;
	m.nattach = 1;
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	EXPECT_CONTAINS(err, "attachment");
	a.filename = "báo-cáo.pdf";
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	a.filename = "";
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	a.filename = "ok.pdf";
	a.type = "application/pdf\r\nBcc: z@w";
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	a.type = NULL;
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	a.type = "application/pdf";
	a.data = NULL;
	EXPECT_TRUE(mail_compose(&m, NULL, err, sizeof(err)) == NULL);
	a.data = "%";
	char *ok = mail_compose(&m, NULL, err, sizeof(err));
	EXPECT_TRUE(ok != NULL || (printf("# %s\n", err), 0));
	free(ok);
	return 0;
}

DEF_TEST(compose_no_header_injection)
{
	struct mail_msg m = vn_msg();
	const char *to[] = { "\"IT\r\nBcc: evil@x\" <it1@example.gov.vn>",
	    NULL };
	size_t len;
	char *s;

	m.subject = "down\r\nBcc: evil@example.com\r\n\r\nbody";
	m.to = to;
	s = mail_compose(&m, &len, NULL, 0);
	EXPECT_TRUE(s != NULL);
	if (s == NULL)
		return 1;
	EXPECT_EQ_INT(0, check_wire(s, len));
	EXPECT_TRUE(strstr(s, "\r\nBcc") == NULL);
	EXPECT_CONTAINS(s, "Subject: down  Bcc: evil@example.com    body\r\n");
	free(s);
	return 0;
}

/* Long and many: every line within bounds, whatever the input. */
DEF_TEST(compose_long_everything)
{
	char *subj = long_vn(200), *name = long_vn(90), *body;
	char to_buf[6][400], *word = xmalloc(300);
	const char *to[7];
	struct mail_msg m = vn_msg();
	size_t len, n = 0;
	char *s;

	for (int i = 0; i < 6; i++) {
		snprintf(to_buf[i], sizeof(to_buf[i]),
		    "%s <it%d@example.gov.vn>", i % 2 ? name : "Tổ CNTT huyện",
		    i);
		to[i] = to_buf[i];
	}
	to[6] = NULL;
	body = xmalloc(20000);
	for (int i = 0; i < 20; i++)
		n += (size_t)sprintf(body + n, "%s%s\n", i % 3 ? "" : ".",
		    subj);
	memset(word, 'w', 299);
	word[299] = '\0';
	m.to = to;
	m.subject = subj;
	m.text = body;
	m.html = body;
	s = mail_compose(&m, &len, NULL, 0);
	EXPECT_TRUE(s != NULL && check_wire(s, len) == 0);
	free(s);
	/* an ASCII subject with a word too long to fold is encoded */
	m.subject = word;
	s = mail_compose(&m, &len, NULL, 0);
	EXPECT_TRUE(s != NULL && check_wire(s, len) == 0);
	EXPECT_CONTAINS(s, "Subject: =?UTF-8?B?d3d3");
	free(s);
	free(subj);
	free(name);
	free(body);
	free(word);
	return 0;
}

/* --- a real decoder: Python's email package */

static char tmpdir[] = "/tmp/tramon-mail-XXXXXX";

/* Compose m, write it and what a client must show, run check_mail.py.
 * `to_names`/`to_addrs`: the expected recipients. */
static int
decoder_check(const char *tag, const struct mail_msg *m,
    const char *from_name, const char *from_addr, const char *const *to_names,
    const char *const *to_addrs)
{
	char *msg, *path, *epath, *script;
	const char *top = getenv("top_srcdir");
	json_t *want, *to;
	size_t len;
	int status = -1;
	pid_t pid;

	msg = mail_compose(m, &len, NULL, 0);
	if (msg == NULL)
		return printf("# %s: compose failed\n", tag), 1;
	path = xasprintf("%s/%s.eml", tmpdir, tag);
	epath = xasprintf("%s/%s.json", tmpdir, tag);
	script = xasprintf("%s/tests/mail/check_mail.py", top ? top : ".");
	to = json_array();
	for (size_t i = 0; to_addrs[i] != NULL; i++)
		json_array_append_new(to, json_pack("[s,s]", to_names[i],
		    to_addrs[i]));
	want = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s?, s:I, s:s, s:s?, s:b}",
	    "subject", m->subject, "from_name", from_name, "from_addr",
	    from_addr, "to", to, "text", m->text, "html", m->html,
	    "date", (json_int_t)m->date, "message_id", m->message_id,
	    "in_reply_to", m->references, "late",
	    m->late_note != NULL && *m->late_note != '\0');
	if (want != NULL && m->nattach > 0) {
		json_t *files = json_array();

		for (size_t i = 0; i < m->nattach; i++) {
			const unsigned char *d = m->attach[i].data;
			char *hex = xmalloc(m->attach[i].len * 2 + 1);

			for (size_t k = 0; k < m->attach[i].len; k++)
				snprintf(hex + 2 * k, 3, "%02x", d[k]);
			hex[m->attach[i].len * 2] = '\0';
			json_array_append_new(files, json_pack("{s:s, s:s, s:s}",
			    "filename", m->attach[i].filename, "type",
			    m->attach[i].type, "hex", hex));
			free(hex);
		}
		json_object_set_new(want, "attachments", files);
	}
	if (want == NULL || file_replace(path, msg, len, 0) == -1 ||
	    json_dump_file(want, epath, 0) == -1) {
		printf("# %s: cannot write the files\n", tag);
	} else if (fflush(stdout), (pid = fork()) == 0) {
		execl("/usr/bin/python3", "python3", script, path, epath,
		    (char *)NULL);
		_exit(127);
	} else if (pid > 0)
		waitpid(pid, &status, 0);
	json_decref(want);
	unlink(path);
	unlink(epath);
	free(path);
	free(epath);
	free(script);
	free(msg);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return printf("# %s: check_mail.py failed (status %#x)\n",
		    tag, status), 1;
	return 0;
}

DEF_TEST(real_decoder)
{
	const char *to_vn[] = { "Tổ CNTT huyện <it1@example.gov.vn>",
	    "it2@example.gov.vn", NULL };
	const char *names_vn[] = { "Tổ CNTT huyện", "" };
	const char *addrs_vn[] = { "it1@example.gov.vn", "it2@example.gov.vn",
	    NULL };
	const char *to_en[] = { "\"Doe, John\" <john.doe@example.com>",
	    "IT Desk <it@example.com>", "<noc+alerts@example.com>", NULL };
	const char *names_en[] = { "Doe, John", "IT Desk", "" };
	const char *addrs_en[] = { "john.doe@example.com", "it@example.com",
	    "noc+alerts@example.com", NULL };
	char *subj200 = long_vn(200), *name90 = long_vn(90), *line300;
	char *vn_text, *to_many[7], *names_many[6], *addrs_many[7];
	char *word = xmalloc(120);
	struct mail_msg m;
	int fails = 0, found;
	char *script;

	if (access("/usr/bin/python3", X_OK) != 0) {
		printf("# /usr/bin/python3 missing: decoder checks skipped\n");
		free(subj200);
		free(name90);
		free(word);
		return 0;
	}
	script = xasprintf("%s/tests/mail/check_mail.py",
	    getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	found = access(script, R_OK) == 0;
	free(script);
	if (!found || mkdtemp(tmpdir) == NULL) {
		printf("# %s\n", found ? "mkdtemp failed" :
		    "tests/mail/check_mail.py not found: set top_srcdir");
		free(subj200);
		free(name90);
		free(word);
		return 1;
	}

	/* Vietnamese, text only: a follow-up, delivered late, a line
	 * starting ".", trailing spaces, a 300-character line */
	line300 = long_vn(300);
	vn_text = xasprintf("Xã Trà Linh (198.18.2.17) đã hoạt động lại.\n"
	    ".\n.Mất kết nối trong 2 giờ 15 phút.\n"
	    "Dòng có khoảng trắng ở cuối   \n"
	    "\tthụt lề\n\n%s\nFrom đây hết.", line300);
	m = vn_msg();
	m.subject = "[tramon] ĐÃ KẾT NỐI LẠI: Xã Trà Linh (198.18.2.17)";
	m.to = to_vn;
	m.text = vn_text;
	m.references = "20261126T120000.41.tra-linh@example.gov.vn";
	m.late_note = "yes";
	fails += decoder_check("vn-text", &m, "Giám sát mạng",
	    "canhbao@example.gov.vn", names_vn, addrs_vn);

	/* Vietnamese, text + HTML, 200-character subject, long names and
	 * many recipients (folded To) */
	for (int i = 0; i < 6; i++) {
		names_many[i] = xasprintf("%s %d", i % 2 ? name90 : "Tổ CNTT",
		    i);
		addrs_many[i] = xasprintf("it%d@example.gov.vn", i);
		to_many[i] = xasprintf("%s <%s>", names_many[i], addrs_many[i]);
	}
	addrs_many[6] = to_many[6] = NULL;
	m = vn_msg();
	m.subject = subj200;
	m.to = (const char *const *)to_many;
	m.text = vn_text;
	m.html = "<html><body>\n<p>Xã <b>Trà Linh</b> mất kết nối.</p>\n"
	    "<p style=\"color: red\">a=b &amp; 100%</p>   \n</body></html>\n";
	fails += decoder_check("vn-html", &m, "Giám sát mạng",
	    "canhbao@example.gov.vn", (const char *const *)names_many,
	    (const char *const *)addrs_many);

	/* English, text + HTML, ASCII names (one quoted), plain From */
	m = vn_msg();
	m.from = "tramon@example.com";
	m.to = to_en;
	m.subject = "[tramon] DOWN: District core switch (10.0.0.1) is not "
	    "answering pings, 3 rounds in a row, since 20:33";
	m.text = "The core switch stopped answering at 20:33.\n"
	    ". a line with a dot\nTrailing spaces here  \n"
	    "No final newline";
	m.html = "<p>The core switch <i>stopped</i> answering.</p>";
	m.message_id = "20261126T133320.43.core@example.com";
	fails += decoder_check("en-html", &m, "", "tramon@example.com",
	    names_en, addrs_en);

	/* English, text only, an unfoldable ASCII word in the subject,
	 * a long ASCII From name, "=?" in the subject */
	memset(word, 'x', 119);
	word[119] = '\0';
	char *subj = xasprintf("[tramon] UP: %s =?not-a-word?= ok", word);
	m = vn_msg();
	m.from = "District Network Monitoring System of Nam Tra My, Quang "
	    "Nam Province <tramon@example.com>";
	m.to = to_one;
	m.subject = subj;
	m.text = "";
	m.references = "20261126T120000.41.core@example.com";
	fails += decoder_check("en-text", &m, "District Network Monitoring "
	    "System of Nam Tra My, Quang Nam Province", "tramon@example.com",
	    (const char *[]){ "" }, to_one);

	/* a monthly report: text, a CSV with a BOM and a binary file of
	 * 4,000 bytes (every octet value, lines of 76), and the same with
	 * an HTML alternative */
	unsigned char *bin = xmalloc(4000);
	const char csv[] = "\xef\xbb\xbfĐiểm giám sát;Sẵn sàng\r\n"
	    "Xã Trà Linh;99,865\r\n";
	struct mail_attachment files[] = {
		{ "bao-cao-2026-03.pdf", "application/pdf", bin, 4000 },
		{ "bao-cao-2026-03.csv", "text/csv; charset=UTF-8", csv,
		    sizeof(csv) - 1 },
		{ "empty.txt", "text/plain", "", 0 },
	};
	for (int i = 0; i < 4000; i++)
		bin[i] = (unsigned char)(i * 7 + i / 256);
	m = vn_msg();
	m.subject = "[tramon] Báo cáo tháng 03/2026";
	m.to = to_vn;
	m.text = "Báo cáo mức độ sẵn sàng tháng 03/2026 đính kèm.\n";
	m.attach = files;
	m.nattach = nitems(files);
	fails += decoder_check("vn-attach", &m, "Giám sát mạng",
	    "canhbao@example.gov.vn", names_vn, addrs_vn);
	m.html = "<p>Báo cáo <b>tháng 03/2026</b> đính kèm.</p>";
	m.nattach = 2;
	fails += decoder_check("vn-html-attach", &m, "Giám sát mạng",
	    "canhbao@example.gov.vn", names_vn, addrs_vn);
	free(bin);

	rmdir(tmpdir);
	for (int i = 0; i < 6; i++) {
		free(names_many[i]);
		free(addrs_many[i]);
		free(to_many[i]);
	}
	free(subj);
	free(subj200);
	free(name90);
	free(line300);
	free(vn_text);
	free(word);
	return fails;
}

int
main(void)
{
	/* the Date: checks below expect the district's zone */
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();

	RUN_TEST(base64_vectors);
	RUN_TEST(qp_exact);
	RUN_TEST(qp_round_trips);
	RUN_TEST(rfc2047_ascii_unchanged);
	RUN_TEST(rfc2047_vietnamese);
	RUN_TEST(addr_spec);
	RUN_TEST(message_id);
	RUN_TEST(compose_headers);
	RUN_TEST(compose_date_offsets);
	RUN_TEST(compose_errors);
	RUN_TEST(compose_no_header_injection);
	RUN_TEST(compose_long_everything);
	RUN_TEST(real_decoder);
	END_TEST;
}
