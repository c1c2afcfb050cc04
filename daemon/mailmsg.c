/*
 * Alert mails, composed whole (see mailmsg.h).  The rules that matter:
 *
 *  - RFC 5322: CRLF line ends, lines <= 998 octets (MUST) and <= 78
 *    (SHOULD); header fields are folded by inserting CRLF before white
 *    space, never inside a word.
 *  - RFC 2047: non-ASCII header text becomes "=?UTF-8?B?...?=" words of
 *    at most 75 characters, each holding whole characters only, separated
 *    by CRLF SP (the white space between two words is dropped by the
 *    decoder).  Display names are encoded, the <addr-spec> never is.
 *  - RFC 2045: bodies quoted-printable, lines <= 76 with "=" soft breaks,
 *    an =XX escape never split.
 *
 * libcurl dot-stuffs the upload itself; a "." (and "From ") starting a
 * body line is escaped anyway, so that the text also survives a transport
 * that does not.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mailmsg.h"
#include "util.h"

#define LINE_SOFT	78	/* RFC 5322 2.1.1 SHOULD */
#define QP_LINE		76	/* RFC 2045 6.7 (5) */
#define EW_MAX		75	/* RFC 2047 2: longest encoded word */
#define EW_OVERHEAD	12	/* "=?UTF-8?B?" and "?=" */
#define EW_MIN		20	/* room for one 4-octet character */
#define WORD_MAX	70	/* longer ASCII words are encoded, to fold */
#define MSGID_MAX	900	/* "Message-ID: <...>" cannot be folded */
#define ADDR_MAX	254	/* RFC 5321 4.5.3.1.3 path, less the <> */

/* A "=" never starts a QP line's content and is never followed by "_" in
 * quoted-printable, so this boundary cannot occur in the parts. */
#define BOUNDARY	"=_tramon_alternative"
#define BOUNDARY_MIXED	"=_tramon_mixed"	/* nor in base64 */
#define B64_LINE	57	/* octets: 76 characters a line */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A growing, always NUL-terminated string. */
struct buf {
	char *p;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xreallocarray(b->p, cap, 1);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void buf_addf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");	/* like xasprintf: out of memory */
	va_end(ap);
	buf_adds(b, s);
	free(s);
}

/* Hand the text over (never NULL, even when empty). */
static char *
buf_take(struct buf *b, size_t *len)
{
	if (b->p == NULL)
		buf_add(b, "", 0);
	if (len != NULL)
		*len = b->len;
	return b->p;
}

static void
b64_add(struct buf *b, const unsigned char *p, size_t n)
{
	char q[4];

	for (; n >= 3; p += 3, n -= 3) {
		q[0] = b64chars[p[0] >> 2];
		q[1] = b64chars[(p[0] & 0x03) << 4 | p[1] >> 4];
		q[2] = b64chars[(p[1] & 0x0f) << 2 | p[2] >> 6];
		q[3] = b64chars[p[2] & 0x3f];
		buf_add(b, q, 4);
	}
	if (n > 0) {
		q[0] = b64chars[p[0] >> 2];
		q[1] = b64chars[(p[0] & 0x03) << 4 | (n > 1 ? p[1] >> 4 : 0)];
		q[2] = n > 1 ? b64chars[(p[1] & 0x0f) << 2] : '=';
		q[3] = '=';
		buf_add(b, q, 4);
	}
}

char *
mail_base64(const void *data, size_t n, size_t *outlen)
{
	struct buf b = { 0 };

	b64_add(&b, data, n);
	return buf_take(&b, outlen);
}

/*
 * Quoted-printable.  One input octet at a time becomes a token ("c" or
 * "=XX"); a soft break goes in before a token that would not fit, so an
 * escape is never split.  The last token of a line may use column 76, the
 * others leave room for the "=".
 */

/* Is p the last octet before a line break or the end? */
static int
qp_at_eol(const unsigned char *p, const unsigned char *end)
{
	return p + 1 == end || p[1] == '\n' ||
	    (p[1] == '\r' && p + 2 < end && p[2] == '\n');
}

static size_t
qp_token(const unsigned char *p, const unsigned char *end, size_t col,
    char tok[4])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned c = *p;
	int literal;

	literal = (c >= 33 && c <= 126 && c != '=') ||
	    ((c == ' ' || c == '\t') && !qp_at_eol(p, end));
	/* a line starting "." (SMTP) or "From " (mbox) is mangled by some
	 * transports; escaped, it survives them all */
	if (col == 0 && (c == '.' || (c == 'F' && end - p >= 5 &&
	    memcmp(p, "From ", 5) == 0)))
		literal = 0;
	if (literal) {
		tok[0] = (char)c;
		return 1;
	}
	tok[0] = '=';
	tok[1] = hex[c >> 4];
	tok[2] = hex[c & 0x0f];
	return 3;
}

static void
qp_add(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t col = 0, tl;
	char tok[4];

	while (p < end) {
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			buf_add(b, "\r\n", 2);
			col = 0;
			continue;
		}
		tl = qp_token(p, end, col, tok);
		if (col + tl > (qp_at_eol(p, end) ? QP_LINE : QP_LINE - 1)) {
			buf_add(b, "=\r\n", 3);
			col = 0;
			tl = qp_token(p, end, col, tok);
		}
		buf_add(b, tok, tl);
		col += tl;
		p++;
	}
	if (col > 0)
		buf_add(b, "\r\n", 2);	/* a body ends with a line break */
}

char *
mail_qp(const char *s, size_t n, size_t *outlen)
{
	struct buf b = { 0 };

	qp_add(&b, s, n);
	return buf_take(&b, outlen);
}

/* Octets in the UTF-8 character at s; 1 for a stray or invalid octet, so
 * bad input still moves on (it is never split worse than it came). */
static size_t
u8len(const unsigned char *s, size_t left)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4;
	else
		return 1;
	if (n > left)
		return 1;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* Printable ASCII that no decoder could take for an encoded word? */
static int
plain_ascii(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return strstr(s, "=?") == NULL;
}

static size_t
longest_word(const char *s)
{
	size_t max = 0, n;

	while (*s != '\0') {
		s += strspn(s, " ");
		n = strcspn(s, " ");
		if (n > max)
			max = n;
		s += n;
	}
	return max;
}

/*
 * Append one encoded word, at most `width` columns wide, with as many
 * whole characters of s[0..left) as fit (at least one).  Returns the
 * octets consumed.
 */
static size_t
ew_word(struct buf *b, const char *s, size_t left, size_t width)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t max, take = 0, c, i;

	if (width < EW_MIN)
		width = EW_MIN;
	if (width > EW_MAX)
		width = EW_MAX;
	max = (width - EW_OVERHEAD) / 4 * 3;
	while (take < left) {
		c = u8len(p + take, left - take);
		if (take + c > max)
			break;
		take += c;
	}
	if (take == 0 && left > 0)
		take = u8len(p, left);
	/* when the text goes on, end the word just after a space if one is
	 * near: a decoder that wrongly keeps the white space between two
	 * words (CPython's in display names, gh-128110) then shows a doubled
	 * space instead of a word cut in two */
	for (i = take; take < left && i > take / 2; i--)
		if (p[i - 1] == ' ') {
			take = i;
			break;
		}
	buf_adds(b, "=?UTF-8?B?");
	b64_add(b, p, take);
	buf_adds(b, "?=");
	return take;
}

/* The whole value as encoded words joined by CRLF SP, the first one
 * `first` columns wide at most. */
static void
ew_add(struct buf *b, const char *s, size_t first)
{
	size_t left = strlen(s), width = first, n;

	do {
		n = ew_word(b, s, left, width);
		s += n;
		left -= n;
		if (left > 0)
			buf_add(b, "\r\n ", 3);
		width = EW_MAX;
	} while (left > 0);
}

char *
mail_rfc2047(const char *utf8, size_t used)
{
	struct buf b = { 0 };

	if (plain_ascii(utf8))
		return xstrdup(utf8);
	ew_add(&b, utf8, used < LINE_SOFT ? LINE_SOFT - used : 0);
	return buf_take(&b, NULL);
}

/* A copy of header text with control characters (CR, LF: header
 * injection) made spaces, and no white space at either end. */
static char *
clean_text(const char *s, size_t n)
{
	char *t, *p;

	while (n > 0 && (unsigned char)*s <= ' ')
		s++, n--;
	while (n > 0 && (unsigned char)s[n - 1] <= ' ')
		n--;
	t = xmalloc(n + 1);
	memcpy(t, s, n);
	t[n] = '\0';
	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	return t;
}

/*
 * An unstructured field (Subject): printable ASCII is folded before
 * spaces; anything else, or a word too long to fold within 78, is
 * encoded (an encoded word can be split anywhere between characters).
 */
static void
hdr_unstructured(struct buf *b, const char *name, const char *value)
{
	char *v = clean_text(value, strlen(value));
	size_t mark, col, seg, lead;
	const char *p;
	int content = 1, fits = 1;	/* "Name:" is content */

	buf_adds(b, name);
	buf_adds(b, ": ");
	mark = b->len;
	col = strlen(name) + 2;
	if (plain_ascii(v)) {
		for (p = v; *p != '\0' && fits; p += seg) {
			lead = *p == ' ';
			seg = lead + strcspn(p + lead, " ");
			/* fold only after something visible: no line of
			 * white space alone */
			if (lead && content && col + seg > LINE_SOFT) {
				buf_add(b, "\r\n", 2);
				col = 0;
				content = 0;
			}
			buf_add(b, p, seg);
			col += seg;
			content |= seg > lead;
			fits = col <= LINE_SOFT;
		}
	}
	if (!plain_ascii(v) || !fits) {
		b->len = mark;
		ew_add(b, v, LINE_SOFT - (strlen(name) + 2));
	}
	buf_add(b, "\r\n", 2);
	free(v);
}

/* A structured field built of tokens, folded between them. */
struct hdr {
	struct buf *b;
	size_t col;
	int first;
};

static void
hdr_begin(struct hdr *h, struct buf *b, const char *name)
{
	h->b = b;
	buf_adds(b, name);
	buf_addc(b, ':');
	h->col = strlen(name) + 1;
	h->first = 1;
}

/* Room left on this line for a token after its space. */
static size_t
hdr_room(const struct hdr *h)
{
	return h->col + 1 < LINE_SOFT ? LINE_SOFT - h->col - 1 : 0;
}

static void
hdr_token(struct hdr *h, const char *t, size_t n)
{
	if (!h->first && n > hdr_room(h)) {
		buf_add(h->b, "\r\n ", 3);
		h->col = 1;
	} else {
		buf_addc(h->b, ' ');
		h->col++;
	}
	buf_add(h->b, t, n);
	h->col += n;
	h->first = 0;
}

/* ASCII whatever the locale (isalnum() is not). */
static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_atext(int c)
{
	return is_alnum(c) ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A display name: atoms as they are, other ASCII quoted, anything else
 * (or too long to fold) as encoded words. */
static void
hdr_phrase(struct hdr *h, const char *name)
{
	struct buf t = { 0 };
	const char *p;
	size_t n, left;
	int atoms = 1;

	if (*name == '\0')
		return;
	for (p = name; *p != '\0'; p++)
		atoms &= *p == ' ' || is_atext((unsigned char)*p);
	if (plain_ascii(name) && longest_word(name) <= WORD_MAX && atoms) {
		for (p = name; *p != '\0'; p += n) {
			p += strspn(p, " ");
			n = strcspn(p, " ");
			if (n > 0)
				hdr_token(h, p, n);
		}
		return;
	}
	if (plain_ascii(name) && strlen(name) <= WORD_MAX) {
		buf_addc(&t, '"');
		for (p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(&t, '\\');
			buf_addc(&t, *p);
		}
		buf_addc(&t, '"');
		hdr_token(h, t.p, t.len);
		free(t.p);
		return;
	}
	for (left = strlen(name); left > 0; left -= n, name += n) {
		/* fill this line when a word still fits, else a new one */
		t.len = 0;
		n = ew_word(&t, name, left,
		    hdr_room(h) >= EW_MIN ? hdr_room(h) : EW_MAX);
		hdr_token(h, t.p, t.len);
	}
	free(t.p);
}

/* dot-atom: no dot at either end, no two in a row. */
static int
dots_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return 0;
	return 1;
}

/* A plausible addr-spec: local@domain, dot-atoms of ASCII atext (the
 * domain letters, digits, "-", or a literal "[...]"). */
static int
spec_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t llen, dlen, i;
	const char *d;

	if (n > ADDR_MAX || at == NULL || memchr(at + 1, '@', n -
	    (size_t)(at + 1 - s)) != NULL)
		return 0;
	llen = (size_t)(at - s);
	d = at + 1;
	dlen = n - llen - 1;
	if (!dots_ok(s, llen) || dlen == 0)
		return 0;
	for (i = 0; i < llen; i++)
		if (s[i] != '.' && !is_atext((unsigned char)s[i]))
			return 0;
	if (d[0] == '[') {
		if (dlen < 3 || d[dlen - 1] != ']')
			return 0;
		for (i = 1; i < dlen - 1; i++)
			if (strchr("0123456789abcdefABCDEF.:IPv", d[i]) == NULL)
				return 0;
		return 1;
	}
	if (!dots_ok(d, dlen))
		return 0;
	for (i = 0; i < dlen; i++)
		if (!is_alnum((unsigned char)d[i]) && d[i] != '-' &&
		    d[i] != '.')
			return 0;
	return 1;
}

/*
 * Split "Name <a@b>" or "a@b": the addr-spec, checked, into addr; the
 * display name (unquoted; "" if none) into *name when name is not NULL.
 * 0, or -1.
 */
static int
parse_mailbox(const char *in, char **name, char *addr, size_t addrlen)
{
	const char *end = in + strlen(in), *spec, *lt;
	size_t n, nlen;
	char *v, *w;

	while (end > in && (unsigned char)end[-1] <= ' ')
		end--;
	if (end > in && end[-1] == '>') {
		for (lt = end - 1; lt > in && lt[-1] != '<'; lt--)
			;
		if (lt == in)
			return -1;
		spec = lt;
		n = (size_t)(end - 1 - lt);
		nlen = (size_t)(lt - 1 - in);
	} else {
		while (in < end && (unsigned char)*in <= ' ')
			in++;
		spec = in;
		n = (size_t)(end - in);
		nlen = 0;
	}
	if (!spec_ok(spec, n) || n >= addrlen)
		return -1;
	memcpy(addr, spec, n);
	addr[n] = '\0';
	if (name == NULL)
		return 0;
	v = clean_text(in, nlen);
	n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		/* "quoted \"name\"": drop the quotes and the escapes */
		v[n - 1] = '\0';
		for (w = v, in = v + 1; *in != '\0'; in++) {
			if (*in == '\\' && in[1] != '\0')
				in++;
			*w++ = *in;
		}
		*w = '\0';
	}
	*name = v;
	return 0;
}

int
mail_addr_spec(const char *addr, char *out, size_t outlen)
{
	if (addr == NULL || out == NULL)
		return -1;
	return parse_mailbox(addr, NULL, out, outlen);
}

char *
mail_message_id(time_t created, unsigned long long seq, const char *target,
    const char *from)
{
	char stamp[32], spec[ADDR_MAX + 1], t[65];
	const char *host = "tramon.invalid", *dom;
	struct tm tm;
	size_t i;

	if (gmtime_r(&created, &tm) == NULL || strftime(stamp, sizeof(stamp),
	    "%Y%m%dT%H%M%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%lld", (long long)created);
	if (from != NULL && mail_addr_spec(from, spec, sizeof(spec)) == 0) {
		dom = strchr(spec, '@') + 1;
		if (*dom != '[')	/* a literal is no msg-id domain */
			host = dom;
	}
	/* the target id, as an atom: names could carry anything */
	for (i = 0; target != NULL && target[i] != '\0' && i < sizeof(t) - 1;
	    i++) {
		unsigned char c = (unsigned char)target[i];

		t[i] = is_alnum(c) || c == '-' ? (char)c : '_';
	}
	t[i] = '\0';
	return xasprintf("%s.%llu.%s@%s", stamp, seq, i ? t : "tramon", host);
}

/* id-left "@" id-right, printable, none of the characters that would
 * break "<...>" or the header. */
static int
msgid_ok(const char *id)
{
	const char *at = strchr(id, '@');
	size_t n = strlen(id);

	if (n == 0 || n > MSGID_MAX || at == NULL || at == id ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return 0;
	for (; *id != '\0'; id++)
		if (*id <= ' ' || *id >= 0x7f || strchr("<>\"\\()[],;:",
		    *id) != NULL)
			return 0;
	return 1;
}

static void
hdr_date(struct buf *b, time_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char zone[16];

	if (t == 0)
		t = time(NULL);
	if (localtime_r(&t, &tm) == NULL) {
		t = time(NULL);
		localtime_r(&t, &tm);
	}
	/* names by hand: they must be English whatever the locale; %z is
	 * numeric in every locale */
	if (strftime(zone, sizeof(zone), "%z", &tm) == 0)
		snprintf(zone, sizeof(zone), "+0000");
	buf_addf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d %s\r\n",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
}

static void
hdr_mailbox(struct hdr *h, const char *name, const char *addr, int comma)
{
	char tok[ADDR_MAX + 4];

	hdr_phrase(h, name);
	snprintf(tok, sizeof(tok), *name ? "<%s>%s" : "%s%s", addr,
	    comma ? "," : "");
	hdr_token(h, tok, strlen(tok));
}

static void
add_part(struct buf *b, const char *type, const char *body)
{
	buf_addf(b, "Content-Type: %s; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", type);
	qp_add(b, body, strlen(body));
}

/* The text, or text and HTML as multipart/alternative: the message's
 * body, or the first part of a multipart/mixed. */
static void
add_body(struct buf *b, const char *text, const char *html)
{
	if (html == NULL) {
		qp_add(b, text, strlen(text));
		return;
	}
	/* the CRLF before each delimiter belongs to it, so the parts keep
	 * their own final line break */
	buf_adds(b, "--" BOUNDARY "\r\n");
	add_part(b, "text/plain", text);
	buf_adds(b, "\r\n--" BOUNDARY "\r\n");
	add_part(b, "text/html", html);
	buf_adds(b, "\r\n--" BOUNDARY "--\r\n");
}

static const char *
body_type(const char *html)
{
	return html != NULL ? "Content-Type: multipart/alternative;\r\n"
	    " boundary=\"" BOUNDARY "\"\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n" :
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n";
}

static int
filename_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 100)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

static int
type_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (*s < ' ' || *s > '~' || *s == '"')
			return 0;
	return 1;
}

static void
add_attachment(struct buf *b, const struct mail_attachment *a)
{
	const unsigned char *p = a->data;

	buf_addf(b, "\r\n--" BOUNDARY_MIXED "\r\n"
	    "Content-Type: %s; name=\"%s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n",
	    a->type, a->filename, a->filename);
	for (size_t off = 0; off < a->len; off += B64_LINE) {
		b64_add(b, p + off, a->len - off < B64_LINE ? a->len - off :
		    B64_LINE);
		buf_adds(b, "\r\n");
	}
}

static char *
fail(struct buf *b, char **names, size_t n, char *err, size_t errlen,
    const char *fmt, const char *what)
{
	if (err != NULL && errlen > 0) {
		snprintf(err, errlen, fmt, what);
		for (char *p = err; *p != '\0'; p++)	/* for a log */
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = '?';
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(b->p);
	return NULL;
}

char *
mail_compose(const struct mail_msg *m, size_t *len, char *err, size_t errlen)
{
	struct buf b = { 0 };
	struct hdr h;
	char from[ADDR_MAX + 1], **names, (*addrs)[ADDR_MAX + 1];
	char *fname = NULL;
	const char *text = m->text != NULL ? m->text : "";
	size_t i, n = 0;
	const char *html = m->html != NULL && *m->html ? m->html : NULL;

	for (; m->to != NULL && m->to[n] != NULL; n++)
		;
	names = xcalloc(n + 1, sizeof(*names));
	if (m->from == NULL || parse_mailbox(m->from, &fname, from,
	    sizeof(from)) == -1)
		return fail(&b, names, 0, err, errlen, "bad From address: %s",
		    m->from ? m->from : "(none)");
	names[n] = fname;	/* freed along with the others */
	if (n == 0)
		return fail(&b, names, n + 1, err, errlen, "%s",
		    "no recipient");
	addrs = xcalloc(n, sizeof(*addrs));
	for (i = 0; i < n; i++)
		if (parse_mailbox(m->to[i], &names[i], addrs[i],
		    sizeof(addrs[i])) == -1) {
			free(addrs);
			return fail(&b, names, n + 1, err, errlen,
			    "bad recipient address: %s", m->to[i]);
		}
	if (m->message_id == NULL || !msgid_ok(m->message_id) ||
	    (m->references != NULL && !msgid_ok(m->references))) {
		free(addrs);
		return fail(&b, names, n + 1, err, errlen, "bad message id: %s",
		    m->message_id && msgid_ok(m->message_id) ? m->references :
		    m->message_id ? m->message_id : "(none)");
	}

	for (i = 0; i < m->nattach; i++)
		if (!filename_ok(m->attach[i].filename) ||
		    !type_ok(m->attach[i].type) ||
		    (m->attach[i].data == NULL && m->attach[i].len > 0)) {
			free(addrs);
			return fail(&b, names, n + 1, err, errlen,
			    "bad attachment: %s", m->attach[i].filename ?
			    m->attach[i].filename : "(no name)");
		}

	hdr_date(&b, m->date);
	hdr_begin(&h, &b, "From");
	hdr_mailbox(&h, fname, from, 0);
	buf_add(&b, "\r\n", 2);
	hdr_begin(&h, &b, "To");
	for (i = 0; i < n; i++)
		hdr_mailbox(&h, names[i], addrs[i], i + 1 < n);
	buf_add(&b, "\r\n", 2);
	hdr_unstructured(&b, "Subject", m->subject ? m->subject : "");
	buf_addf(&b, "Message-ID: <%s>\r\n", m->message_id);
	if (m->references != NULL)
		buf_addf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n",
		    m->references, m->references);
	buf_adds(&b, "MIME-Version: 1.0\r\n");
	if (m->nattach > 0)
		buf_adds(&b, "Content-Type: multipart/mixed;\r\n"
		    " boundary=\"" BOUNDARY_MIXED "\"\r\n"
		    "Content-Transfer-Encoding: 7bit\r\n");
	else
		buf_adds(&b, body_type(html));
	buf_adds(&b, "Auto-Submitted: auto-generated\r\n"
	    "X-Mailer: tramon\r\n");
	if (m->late_note != NULL && *m->late_note != '\0')
		buf_adds(&b, "X-Tramon-Delivered-Late: yes\r\n");
	buf_add(&b, "\r\n", 2);

	if (m->nattach == 0)
		add_body(&b, text, html);
	else {
		buf_adds(&b, "--" BOUNDARY_MIXED "\r\n");
		buf_adds(&b, body_type(html));
		buf_adds(&b, "\r\n");
		add_body(&b, text, html);
		for (i = 0; i < m->nattach; i++)
			add_attachment(&b, &m->attach[i]);
		buf_adds(&b, "\r\n--" BOUNDARY_MIXED "--\r\n");
	}
	free(addrs);
	for (i = 0; i <= n; i++)
		free(names[i]);
	free(names);
	return buf_take(&b, len);
}
