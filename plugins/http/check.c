/*
 * The http probe's pure parts (see check.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tramon/utf8.h"
#include "check.h"

int
http_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t n;

	for (; *p != '\0'; p += n)
		if ((n = utf8_decode(p, &cp)) == 0)
			return 0;
	return 1;
}

void
http_ascii(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t i, k = 0;

	if (dstlen == 0)
		return;
	for (i = 0; i < n && k < dstlen - 1; i++)
		dst[k++] = src[i] >= ' ' && src[i] < 0x7f ? src[i] : ' ';
	while (k > 0 && dst[k - 1] == ' ')
		k--;
	dst[k] = '\0';
}

int
http_status_line(const char *s, size_t len, char *reason, size_t rlen)
{
	size_t i, k, digits = 0;

	if (len < 5 || strncmp(s, "HTTP/", 5) != 0)
		return 0;
	/* skip "HTTP/x.y", the code, and the blanks around them */
	for (i = 5; i < len && s[i] != ' '; i++)
		;
	for (; i < len && s[i] == ' '; i++)
		;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (digits != 3)
		return 0;
	for (; i < len && s[i] == ' '; i++)
		;
	for (k = i; k < len && s[k] != '\r' && s[k] != '\n'; k++)
		;
	http_ascii(reason, rlen, s + i, k - i);
	return 1;
}

int
http_status_ok(long status, const long *expect, size_t nexpect)
{
	if (nexpect == 0)
		return status >= 100 && status < 400;
	for (size_t i = 0; i < nexpect; i++)
		if (expect[i] == status)
			return 1;
	return 0;
}

void
http_status_list(const long *expect, size_t n, char *out, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		int w = snprintf(out + off, len - off, "%s%ld",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", expect[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

int
http_connect_to(const char *host, int port, char *out, size_t len)
{
	int v6 = strchr(host, ':') != NULL && host[0] != '[';
	char p[16] = "";
	int w;

	if (port > 0)
		snprintf(p, sizeof(p), "%d", port);
	w = snprintf(out, len, "::%s%s%s:%s", v6 ? "[" : "", host,
	    v6 ? "]" : "", p);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

time_t
http_cert_expiry(const struct curl_slist *cert)
{
	static const char key[] = "Expire date:";

	for (; cert != NULL; cert = cert->next)
		if (strncmp(cert->data, key, sizeof(key) - 1) == 0) {
			time_t t = curl_getdate(cert->data + sizeof(key) - 1,
			    NULL);

			return t;
		}
	return -1;
}

void
http_search_init(struct http_search *s, const char *needle, size_t limit)
{
	memset(s, 0, sizeof(*s));
	s->needle = needle;
	s->nlen = strlen(needle);
	if (s->nlen > HTTP_NEEDLE_MAX)
		s->nlen = HTTP_NEEDLE_MAX;
	s->limit = limit;
	s->found = s->nlen == 0;
}

/*
 * A match may straddle two pieces: the last nlen - 1 bytes of what came
 * before (carry) are searched together with the first nlen - 1 bytes of
 * the new piece, then the piece itself.
 */
void
http_search_feed(struct http_search *s, const char *p, size_t n)
{
	size_t m, head, keep, wlen;

	if (s->found)
		return;
	if (s->seen >= s->limit) {
		if (n > 0)
			s->truncated = 1;
		return;
	}
	m = n < s->limit - s->seen ? n : s->limit - s->seen;
	if (m < n)
		s->truncated = 1;
	s->seen += m;
	head = m < s->nlen - 1 ? m : s->nlen - 1;
	memcpy(s->carry + s->ncarry, p, head);
	wlen = s->ncarry + head;
	if (memmem(s->carry, wlen, s->needle, s->nlen) != NULL ||
	    memmem(p, m, s->needle, s->nlen) != NULL) {
		s->found = 1;
		return;
	}
	/* the new carry: the last nlen - 1 bytes seen */
	keep = s->nlen - 1;
	if (m >= keep) {
		memcpy(s->carry, p + m - keep, keep);
		s->ncarry = keep;
	} else {
		size_t k = wlen < keep ? wlen : keep;

		memmove(s->carry, s->carry + wlen - k, k);
		s->ncarry = k;
	}
}
