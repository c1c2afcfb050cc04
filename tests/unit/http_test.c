/*
 * The http probe's pure parts (plugins/http/check.c): status lines and
 * expected statuses, the body search across pieces and its limit, the
 * certificate date in libcurl's certificate info, CONNECT_TO entries,
 * UTF-8 checks.  The probe itself is tested against real servers in
 * tests/integration/http_probe.sh.
 */
#include "config.h"

#include <string.h>

#include <curl/curl.h>

#include "check.h"
#include "test.h"

DEF_TEST(status_line)
{
	char reason[64];
	const char *l = "HTTP/1.1 404 Not Found\r\n";

	EXPECT_EQ_INT(1, http_status_line(l, strlen(l), reason,
	    sizeof(reason)));
	EXPECT_EQ_STR("Not Found", reason);
	l = "HTTP/2 200 \r\n";
	EXPECT_EQ_INT(1, http_status_line(l, strlen(l), reason,
	    sizeof(reason)));
	EXPECT_EQ_STR("", reason);
	/* stray bytes never reach the journal as they are */
	l = "HTTP/1.0 500 L\xe1\xbb\x97i\x01 m\xc3\xa1y\r\n";
	EXPECT_EQ_INT(1, http_status_line(l, strlen(l), reason,
	    sizeof(reason)));
	EXPECT_EQ_STR("L   i  m  y", reason);
	l = "Content-Type: text/html\r\n";
	EXPECT_EQ_INT(0, http_status_line(l, strlen(l), reason,
	    sizeof(reason)));
	l = "HTTP/1.1 20 short\r\n";
	EXPECT_EQ_INT(0, http_status_line(l, strlen(l), reason,
	    sizeof(reason)));
	/* bounded by len, not by a NUL */
	EXPECT_EQ_INT(1, http_status_line("HTTP/1.1 302 FoundXXXX", 18,
	    reason, sizeof(reason)));
	EXPECT_EQ_STR("Found", reason);
	return 0;
}

DEF_TEST(status_ok)
{
	const long some[] = { 200, 301, 302 };
	char out[64];

	EXPECT_EQ_INT(1, http_status_ok(200, NULL, 0));
	EXPECT_EQ_INT(1, http_status_ok(302, NULL, 0));
	EXPECT_EQ_INT(0, http_status_ok(404, NULL, 0));
	EXPECT_EQ_INT(0, http_status_ok(503, NULL, 0));
	EXPECT_EQ_INT(0, http_status_ok(0, NULL, 0));
	EXPECT_EQ_INT(1, http_status_ok(301, some, 3));
	EXPECT_EQ_INT(0, http_status_ok(204, some, 3));
	EXPECT_EQ_INT(1, http_status_ok(404, (const long[]){ 404 }, 1));
	http_status_list(some, 3, out, sizeof(out));
	EXPECT_EQ_STR("200, 301 or 302", out);
	http_status_list(some, 1, out, sizeof(out));
	EXPECT_EQ_STR("200", out);
	http_status_list(some, 3, out, 6);
	EXPECT_EQ_STR("200, ", out);
	return 0;
}

/* Feed `body` in pieces of `step` bytes. */
static int
search(const char *needle, const char *body, size_t step, size_t limit,
    int *truncated)
{
	struct http_search s;
	size_t n = strlen(body);

	http_search_init(&s, needle, limit);
	for (size_t i = 0; i < n; i += step)
		http_search_feed(&s, body + i, n - i < step ? n - i : step);
	if (truncated)
		*truncated = s.truncated;
	return s.found;
}

DEF_TEST(body_search)
{
	const char *body = "<h1>C\xe1\xbb\x95ng th\xc3\xb4ng tin \xc4\x91i\xe1"
	    "\xbb\x87n t\xe1\xbb\xad huy\xe1\xbb\x87n Nam Tr\xc3\xa0 My</h1>";
	const char *needle = "huy\xe1\xbb\x87n Nam Tr\xc3\xa0 My";
	int tr;

	/* every way of cutting the body: a match across pieces too */
	for (size_t step = 1; step <= strlen(body); step++) {
		if (!search(needle, body, step, 1 << 20, NULL))
			FAIL_HERE("not found in pieces of %zu", step);
		if (search("Nam Tra My", body, step, 1 << 20, NULL))
			FAIL_HERE("found without the accent, pieces of %zu",
			    step);
	}
	EXPECT_EQ_INT(1, search("<h1>", body, 3, 1 << 20, NULL));
	EXPECT_EQ_INT(1, search("My</h1>", body, 5, 1 << 20, NULL));
	EXPECT_EQ_INT(1, search("y", "xy", 1, 1 << 20, NULL));
	/* only the first `limit` bytes count */
	EXPECT_EQ_INT(0, search("</h1>", body, 7, 20, &tr));
	EXPECT_EQ_INT(1, tr);
	EXPECT_EQ_INT(1, search("<h1>", body, 7, 20, &tr));
	EXPECT_EQ_INT(0, search("abcd", "xxabcd", 2, 5, &tr));
	EXPECT_EQ_INT(1, search("abcd", "xxabcd", 2, 6, &tr));
	EXPECT_EQ_INT(0, search("abc", "ab", 1, 100, &tr));
	EXPECT_EQ_INT(0, tr);
	return 0;
}

DEF_TEST(cert_expiry)
{
	struct curl_slist *l = NULL;

	EXPECT_EQ_INT(-1, http_cert_expiry(NULL));
	l = curl_slist_append(l, "Subject:CN = localhost");
	l = curl_slist_append(l, "Start date:Nov 27 07:06:07 2026 GMT");
	EXPECT_EQ_INT(-1, http_cert_expiry(l));
	l = curl_slist_append(l, "Expire date:Nov 28 07:06:07 2026 GMT");
	EXPECT_EQ_INT(1795849567, http_cert_expiry(l));
	curl_slist_free_all(l);
	l = curl_slist_append(NULL, "Expire date:Jan  1 00:00:00 2030 GMT");
	EXPECT_EQ_INT(1893456000, http_cert_expiry(l));
	curl_slist_free_all(l);
	return 0;
}

DEF_TEST(connect_to)
{
	char out[64];

	EXPECT_EQ_INT(0, http_connect_to("198.18.1.5", 0, out, sizeof(out)));
	EXPECT_EQ_STR("::198.18.1.5:", out);
	EXPECT_EQ_INT(0, http_connect_to("127.0.0.1", 8443, out,
	    sizeof(out)));
	EXPECT_EQ_STR("::127.0.0.1:8443", out);
	EXPECT_EQ_INT(0, http_connect_to("2001:db8::1", 443, out,
	    sizeof(out)));
	EXPECT_EQ_STR("::[2001:db8::1]:443", out);
	EXPECT_EQ_INT(-1, http_connect_to("portal.example", 443, out, 10));
	return 0;
}

DEF_TEST(utf8)
{
	EXPECT_EQ_INT(1, http_utf8_valid("C\xe1\xbb\x95ng th\xc3\xb4ng tin"));
	EXPECT_EQ_INT(1, http_utf8_valid("\xf0\x9f\x93\xa1 ok"));
	EXPECT_EQ_INT(0, http_utf8_valid("Tr\xe0 My"));   /* Latin-1 */
	EXPECT_EQ_INT(0, http_utf8_valid("\xc0\xaf"));    /* overlong */
	EXPECT_EQ_INT(0, http_utf8_valid("\xed\xa0\x80")); /* surrogate */
	EXPECT_EQ_INT(0, http_utf8_valid("\xe1\xbb"));    /* cut short */
	return 0;
}

int
main(void)
{
	RUN_TEST(status_line);
	RUN_TEST(status_ok);
	RUN_TEST(body_search);
	RUN_TEST(cert_expiry);
	RUN_TEST(connect_to);
	RUN_TEST(utf8);
	END_TEST;
}
