/*
 * The http probe's pure parts, apart so that they can be tested without
 * a server: status lines, expected statuses, the body search, the
 * certificate's expiry in libcurl's certificate info, UTF-8 checks.
 */
#ifndef TRAMON_HTTP_CHECK_H
#define TRAMON_HTTP_CHECK_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

#define HTTP_NEEDLE_MAX	1024	/* bytes of expect_text */

/* 1 if `s` is well-formed UTF-8 (no overlong forms, no surrogates). */
int http_utf8_valid(const char *s);

/* Copy at most n bytes of src to dst as printable ASCII (anything else
 * becomes ' '), trailing blanks dropped: for the log and the journal. */
void http_ascii(char *dst, size_t dstlen, const char *src, size_t n);

/* If the header line (not NUL-terminated, `len` bytes) is a status
 * line ("HTTP/1.1 404 Not Found\r\n"), write its reason phrase ("Not
 * Found", "" for HTTP/2) to `reason` and return 1; else 0. */
int http_status_line(const char *line, size_t len, char *reason,
    size_t rlen);

/* Does `status` pass?  With expected statuses, it must be one of them;
 * without, any answer below 400 does (a 4xx/5xx is a failure). */
int http_status_ok(long status, const long *expect, size_t nexpect);

/* "200, 301 or 302" into out. */
void http_status_list(const long *expect, size_t n, char *out, size_t len);

/*
 * The CURLOPT_CONNECT_TO entry that sends the request to `host` (and
 * `port`, if > 0) whatever the URL's host name resolves to: "::HOST:"
 * or "::HOST:PORT" (an IPv6 address in brackets).  -1 if it does not fit.
 */
int http_connect_to(const char *host, int port, char *out, size_t len);

/* The leaf certificate's notAfter from libcurl's CURLINFO_CERTINFO
 * lines ("Expire date:Nov 28 07:06:07 2026 GMT"), or -1. */
time_t http_cert_expiry(const struct curl_slist *cert);

/*
 * A search for `needle` in a body that comes in pieces, over its first
 * `limit` bytes, keeping only the last strlen(needle) - 1 bytes.
 */
struct http_search {
	const char *needle;
	size_t nlen;
	size_t limit;
	size_t seen;            /* bytes searched */
	int found;
	int truncated;          /* the body went on past `limit` */
	size_t ncarry;
	char carry[2 * HTTP_NEEDLE_MAX];
};

void http_search_init(struct http_search *, const char *needle,
    size_t limit);
void http_search_feed(struct http_search *, const char *p, size_t n);

#endif /* TRAMON_HTTP_CHECK_H */
