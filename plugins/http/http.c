/*
 * http: a web page fetched the way a visitor's browser would, with the
 * time each step took.
 *
 * One request a round (`count` is ignored), on libcurl's multi interface
 * through the daemon's loop (tm_host curl_add): never blocking, names
 * looked up by libcurl's threaded resolver.  Every round opens a fresh
 * connection (CURLOPT_FRESH_CONNECT, FORBID_REUSE) and looks the name up
 * again (no DNS cache), so the DNS, connect and TLS times are real ones.
 * The whole request is bounded by the target's `timeout`.
 *
 * A round is answered (received = 1, rtt = the total time) when the
 * server gave an HTTP answer whose status passes (one of expect_status,
 * or else anything below 400), the body holds expect_text (searched in
 * its first HTTP_BODY_MAX bytes) and the certificate has not expired.
 * Otherwise the round failed, with a short reason: libcurl's for the
 * transport ("timed out", "connection refused (...)", "certificate
 * verify failed: ..."), "HTTP 404 Not Found", "HTTP 302 Found (expected
 * 200)", "expected text not found", "certificate expired on DATE".
 * An answered round whose certificate expires within cert_warn_days is
 * "degraded" (tm_result.degraded): the target goes DEGRADED like one
 * over a threshold.
 *
 * Values (struct tm_value_def): status (the last HTTP status, NAN
 * without an answer), then the phases in seconds, each NAN when it did
 * not happen: dns (name lookup), connect (TCP handshake), tls (TLS
 * handshake), ttfb (from the request sent to the first byte of the
 * answer: the server's think time plus one round trip); cert_days (days
 * until the certificate expires, negative once it has, NAN for http://).
 * With redirects followed, libcurl adds up the phases of every request.
 *
 * Counters: http_requests, http_answers, http_failed (no HTTP answer),
 * http_timeouts (among them), http_bad_status, http_text_missing,
 * http_body_truncated (bodies longer than the part searched).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tramon/plugin.h"
#include "check.h"

#define HTTP_BODY_MAX	(1024 * 1024)	/* bytes searched for expect_text */
#define MAX_EXPECT	32		/* expect_status entries */
#define MAX_HEADERS	32

enum { V_STATUS, V_DNS, V_CONNECT, V_TLS, V_TTFB, V_CERT_DAYS, NVALUES };

static const struct tm_value_def values[NVALUES] = {
	[V_STATUS] = { "status", 0, 999, TM_GAUGE },
	[V_DNS] = { "dns", 0, NAN, TM_GAUGE },
	[V_CONNECT] = { "connect", 0, NAN, TM_GAUGE },
	[V_TLS] = { "tls", 0, NAN, TM_GAUGE },
	[V_TTFB] = { "ttfb", 0, NAN, TM_GAUGE },
	[V_CERT_DAYS] = { "cert_days", NAN, NAN, TM_GAUGE },
};

static const char *const keys[] = {
	"url", "expect_status", "expect_text", "follow_redirects",
	"max_redirects", "ca_file", "verify", "method", "headers",
	"cert_warn_days", NULL
};

struct http_target;

/* One request.  The scheduler may start a round before the last one is
 * over only if timeout >= interval, which the core refuses; a list all
 * the same, it costs nothing. */
struct hround {
	struct http_target *t;
	struct tm_round *round;
	CURL *easy;
	struct hround *next;
	struct http_search search;
	char reason[64];        /* of the last status line */
	char errbuf[CURL_ERROR_SIZE];
};

struct http_target {
	const struct tm_host *host;
	char *id;
	char *url;
	long expect[MAX_EXPECT];
	size_t nexpect;
	char *expect_text;
	int follow;
	long max_redirects;
	char *ca_file;
	int verify;
	int head;
	long cert_warn_days;
	long timeout_ms;
	struct curl_slist *headers;
	struct curl_slist *connect_to;  /* from `host` (and `port`) */
	struct hround *rounds;
};

static struct {
	uint64_t requests;
	uint64_t answers;
	uint64_t failed;
	uint64_t timeouts;
	uint64_t bad_status;
	uint64_t text_missing;
	uint64_t body_truncated;
} g_stats;

/* --- a round -------------------------------------------------------------- */

/* CURLOPT_HEADERFUNCTION: the last status line's reason phrase.  With
 * redirects followed each answer starts afresh, body search included. */
static size_t
header_cb(char *s, size_t size, size_t n, void *arg)
{
	struct hround *r = arg;
	size_t len = size * n;

	if (http_status_line(s, len, r->reason, sizeof(r->reason)) &&
	    r->t->expect_text != NULL)
		http_search_init(&r->search, r->t->expect_text,
		    HTTP_BODY_MAX);
	return len;
}

/* CURLOPT_WRITEFUNCTION: search the body; the rest is read and dropped
 * (the total time is that of the whole page, as a visitor waits for). */
static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct hround *r = arg;
	size_t len = size * n;

	if (r->t->expect_text != NULL)
		http_search_feed(&r->search, p, len);
	return len;
}

static void
round_free(struct hround *r)
{
	struct http_target *t = r->t;

	for (struct hround **pp = &t->rounds; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	free(r);
}

/* A libcurl time mark (µs since the start) in seconds, NAN if unset. */
static double
mark(CURL *e, CURLINFO what)
{
	curl_off_t us = 0;

	if (curl_easy_getinfo(e, what, &us) != CURLE_OK || us <= 0)
		return NAN;
	return (double)us / 1e6;
}

static double
span(double from, double to)
{
	if (isnan(to))
		return NAN;
	if (isnan(from))
		from = 0;
	return to >= from ? to - from : 0;
}

/* Days until the leaf certificate expires (its date in `when`), NAN if
 * there was none (http://) or libcurl could not tell. */
static double
cert_days(CURL *e, char *when, size_t len)
{
	struct curl_certinfo *ci = NULL;
	struct tm tm;
	time_t t;

	when[0] = '\0';
	if (curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1 ||
	    (t = http_cert_expiry(ci->certinfo[0])) == -1)
		return NAN;
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, len, "%Y-%m-%d", &tm);
	return difftime(t, time(NULL)) / 86400;
}

static void
set_values(CURL *e, double *v, long status, char *expiry, size_t len)
{
	double dns = mark(e, CURLINFO_NAMELOOKUP_TIME_T);
	double conn = mark(e, CURLINFO_CONNECT_TIME_T);
	double app = mark(e, CURLINFO_APPCONNECT_TIME_T);
	double pre = mark(e, CURLINFO_PRETRANSFER_TIME_T);
	double first = mark(e, CURLINFO_STARTTRANSFER_TIME_T);

	v[V_STATUS] = status > 0 ? (double)status : NAN;
	/* a numeric address takes no time to look up: 0, once connected */
	v[V_DNS] = !isnan(dns) ? dns : !isnan(conn) ? 0 : NAN;
	v[V_CONNECT] = span(dns, conn);
	v[V_TLS] = isnan(conn) ? NAN : span(conn, app);
	v[V_TTFB] = isnan(pre) ? NAN : span(pre, first);
	v[V_CERT_DAYS] = cert_days(e, expiry, len);
}

/* What the answer says, once libcurl got one: 1 good, 0 failed (why). */
static int
judge(struct hround *r, long status, double days, const char *expiry,
    char *error, size_t len)
{
	struct http_target *t = r->t;
	char want[64];		/* a long list is cut short */

	if (!http_status_ok(status, t->expect, t->nexpect)) {
		g_stats.bad_status++;
		if (t->nexpect == 0) {
			snprintf(error, len, "HTTP %ld%s%s", status,
			    r->reason[0] ? " " : "", r->reason);
			return 0;
		}
		http_status_list(t->expect, t->nexpect, want, sizeof(want));
		snprintf(error, len, "HTTP %ld%s%s (expected %s)", status,
		    r->reason[0] ? " " : "", r->reason, want);
		return 0;
	}
	if (t->expect_text != NULL && !r->search.found) {
		g_stats.text_missing++;
		snprintf(error, len, "expected text not found (HTTP %ld%s)",
		    status, r->search.truncated ? ", first 1 MB searched" :
		    "");
		return 0;
	}
	/* seen only with verify = false: libcurl refuses it otherwise */
	if (days < 0) {
		snprintf(error, len, "certificate expired on %s", expiry);
		return 0;
	}
	return 1;
}

/* The host's curl_add(): the request ended (rc: a CURLcode). */
static void
transfer_done(void *arg, void *easy, int rc)
{
	struct hround *r = arg;
	struct http_target *t = r->t;
	const struct tm_host *host = t->host;
	struct tm_round *round = r->round;
	double v[NVALUES], rtt = NAN;
	char error[200], degraded[96], expiry[16];
	struct tm_result res;
	long status = 0;

	memset(&res, 0, sizeof(res));
	error[0] = degraded[0] = '\0';
	res.sent = 1;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	set_values(easy, v, status, expiry, sizeof(expiry));
	if (t->expect_text != NULL && r->search.truncated)
		g_stats.body_truncated++;
	if (rc != CURLE_OK) {
		/* no (whole) answer: the transport's reason */
		g_stats.failed++;
		if (rc == CURLE_OPERATION_TIMEDOUT)
			g_stats.timeouts++;
		host->curl_describe(easy, rc, r->errbuf, error, sizeof(error));
		v[V_STATUS] = NAN;
	} else {
		g_stats.answers++;
		if (judge(r, status, v[V_CERT_DAYS], expiry, error,
		    sizeof(error))) {
			res.received = 1;
			rtt = mark(easy, CURLINFO_TOTAL_TIME_T);
			if (isnan(rtt))
				rtt = 0;
		}
	}
	if (res.received && t->cert_warn_days > 0 &&
	    v[V_CERT_DAYS] < (double)t->cert_warn_days) {
		if (v[V_CERT_DAYS] >= 1)
			snprintf(degraded, sizeof(degraded), "certificate "
			    "expires in %.0f days (%s)", floor(v[V_CERT_DAYS]),
			    expiry);
		else
			snprintf(degraded, sizeof(degraded), "certificate "
			    "expires in less than a day (%s)", expiry);
		res.degraded = degraded;
	}
	res.rtt = &rtt;
	res.error = res.received ? NULL : error;
	res.values = v;
	host->log(LOG_DEBUG, "http: %s: HTTP %ld, %s", t->id, status,
	    res.received ? "ok" : error);
	/* Done with r and t before the core runs: it may start the next
	 * round, or even release the target, from round_done(). */
	round_free(r);
	host->round_done(round, &res);
}

static CURL *
make_request(struct hround *r)
{
	struct http_target *t = r->t;
	CURL *e;

	if ((e = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, t->url);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85: the string forms */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, t->timeout_ms);
	/* real connect, TLS and DNS times every round */
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	/* straight to the server, whatever *_proxy says in the
	 * environment: the times are the server's */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, (long)t->follow);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, t->max_redirects);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, t->verify ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, t->verify ? 2L : 0L);
	if (t->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
	curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
	if (t->head)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	/* what the encodings libcurl knows: the text is searched decoded */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT,
	    PACKAGE_NAME "/" PACKAGE_VERSION " (http probe)");
	if (t->headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	if (t->connect_to != NULL)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, t->connect_to);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	return e;
}

/* --- configuration -------------------------------------------------------- */

static void
target_free(struct http_target *t)
{
	if (t == NULL)
		return;
	free(t->id);
	free(t->url);
	free(t->expect_text);
	free(t->ca_file);
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->connect_to);
	free(t);
}

/* http:// or https:// with a host: parsed, never looked up. */
static int
check_url(const struct tm_host *host, struct tm_cfg *cfg, const char *url)
{
	CURLU *u;
	CURLUcode uc;
	char *scheme = NULL, *name = NULL;
	int ok = 0;

	if ((u = curl_url()) == NULL) {
		host->cfg_error(cfg, "url", "out of memory");
		return 0;
	}
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK)
#if LIBCURL_VERSION_NUM >= 0x075000	/* 7.80 */
		host->cfg_error(cfg, "url", "\"%s\" is not a valid URL (%s)",
		    url, curl_url_strerror(uc));
#else
		host->cfg_error(cfg, "url", "\"%s\" is not a valid URL "
		    "(error %d)", url, (int)uc);
#endif
	else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) !=
	    CURLUE_OK || (strcmp(scheme, "http") != 0 &&
	    strcmp(scheme, "https") != 0))
		host->cfg_error(cfg, "url", "\"%s\": only http:// and "
		    "https:// URLs can be checked", url);
	else if (curl_url_get(u, CURLUPART_HOST, &name, 0) != CURLUE_OK ||
	    *name == '\0')
		host->cfg_error(cfg, "url", "\"%s\" has no host", url);
	else
		ok = 1;
	curl_free(scheme);
	curl_free(name);
	curl_url_cleanup(u);
	return ok;
}

/* "Name: value" lines, no CR or LF (they would smuggle more). */
static int
get_headers(const struct tm_host *host, struct tm_cfg *cfg,
    struct http_target *t)
{
	const char *const *h;
	size_t n;
	int rc;

	if ((rc = host->cfg_strings(cfg, "headers", &h, &n)) <= 0)
		return rc;
	if (n > MAX_HEADERS) {
		host->cfg_error(cfg, "headers", "at most %d headers",
		    MAX_HEADERS);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(h[i], ':');
		struct curl_slist *l;

		if (colon == NULL || colon == h[i] ||
		    strpbrk(h[i], "\r\n") != NULL ||
		    strcspn(h[i], " \t") < (size_t)(colon - h[i])) {
			host->cfg_error(cfg, "headers", "\"%s\" is not a "
			    "header line \"Name: value\"", h[i]);
			return -1;
		}
		if ((l = curl_slist_append(t->headers, h[i])) == NULL) {
			host->cfg_error(cfg, "headers", "out of memory");
			return -1;
		}
		t->headers = l;
	}
	return 1;
}

static int
get_expect(const struct tm_host *host, struct tm_cfg *cfg,
    struct http_target *t)
{
	const long *v;
	size_t n;
	int rc;

	if ((rc = host->cfg_ints(cfg, "expect_status", &v, &n, 100,
	    599)) <= 0)
		return rc;
	if (n > MAX_EXPECT) {
		host->cfg_error(cfg, "expect_status", "at most %d statuses",
		    MAX_EXPECT);
		return -1;
	}
	memcpy(t->expect, v, n * sizeof(*v));
	t->nexpect = n;
	return 1;
}

static int
get_text(const struct tm_host *host, struct tm_cfg *cfg,
    struct http_target *t)
{
	const char *s;
	int rc;

	if ((rc = host->cfg_string(cfg, "expect_text", &s)) <= 0)
		return rc;
	if (*s == '\0' || strlen(s) > HTTP_NEEDLE_MAX) {
		host->cfg_error(cfg, "expect_text", "must be 1 to %d bytes",
		    HTTP_NEEDLE_MAX);
		return -1;
	}
	if (!http_utf8_valid(s)) {
		host->cfg_error(cfg, "expect_text", "is not valid UTF-8");
		return -1;
	}
	if (t->head) {
		host->cfg_error(cfg, "expect_text", "a HEAD request has no "
		    "body to search: use method = \"GET\"");
		return -1;
	}
	if ((t->expect_text = strdup(s)) == NULL)
		return -1;
	return 1;
}

static int
get_method(const struct tm_host *host, struct tm_cfg *cfg,
    struct http_target *t)
{
	const char *s;
	int rc;

	if ((rc = host->cfg_string(cfg, "method", &s)) <= 0)
		return rc;
	if (strcmp(s, "GET") == 0)
		t->head = 0;
	else if (strcmp(s, "HEAD") == 0)
		t->head = 1;
	else {
		host->cfg_error(cfg, "method", "\"%s\": must be \"GET\" or "
		    "\"HEAD\"", s);
		return -1;
	}
	return 1;
}

static int
get_ca_file(const struct tm_host *host, struct tm_cfg *cfg,
    struct http_target *t)
{
	const char *s;
	int rc;

	if ((rc = host->cfg_string(cfg, "ca_file", &s)) <= 0)
		return rc;
	/* a warning at start beats a failure on every round */
	if (*s == '\0' || access(s, R_OK) == -1) {
		host->cfg_error(cfg, "ca_file", "cannot read \"%s\": %s", s,
		    *s ? strerror(errno) : "empty file name");
		return -1;
	}
	if ((t->ca_file = strdup(s)) == NULL)
		return -1;
	return 1;
}

/* `host` (and `port`): where to connect, instead of the URL's name's
 * address; the request and the certificate check keep the URL's name. */
static int
get_connect_to(const struct tm_host *host, struct tm_cfg *cfg,
    struct http_target *t, const struct tm_target_conf *tc)
{
	char spec[300];
	struct curl_slist *l;

	if (tc->host == NULL || *tc->host == '\0') {
		if (tc->port != 0) {
			host->cfg_error(cfg, "port", "an http target's port "
			    "goes in its url (port alone is for host)");
			return -1;
		}
		return 0;
	}
	if (tc->port < 0 || tc->port > 65535) {
		host->cfg_error(cfg, "port", "port %d is not in 1..65535",
		    tc->port);
		return -1;
	}
	if (strpbrk(tc->host, "[]/ ") != NULL ||
	    http_connect_to(tc->host, tc->port, spec, sizeof(spec)) == -1) {
		host->cfg_error(cfg, "host", "\"%s\" is not an address or a "
		    "host name", tc->host);
		return -1;
	}
	if ((l = curl_slist_append(NULL, spec)) == NULL)
		return -1;
	t->connect_to = l;
	return 1;
}

static void *
http_configure(const struct tm_host *host, struct tm_cfg *cfg,
    const struct tm_target_conf *tc)
{
	struct http_target *t;
	const char *url;
	long l;
	int rc, bad = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		host->cfg_error(cfg, NULL, "out of memory");
		return NULL;
	}
	t->host = host;
	t->verify = 1;
	t->max_redirects = 5;
	t->cert_warn_days = 14;
	t->timeout_ms = (long)ceil(tc->timeout * 1000);
	if (t->timeout_ms < 1)
		t->timeout_ms = 1;
	if ((t->id = strdup(tc->id ? tc->id : "?")) == NULL)
		bad = 1;

	if ((rc = host->cfg_string(cfg, "url", &url)) == 0) {
		host->cfg_error(cfg, NULL, "an http target needs a url");
		bad = 1;
	} else if (rc < 0 || !check_url(host, cfg, url))
		bad = 1;
	else if ((t->url = strdup(url)) == NULL)
		bad = 1;
	if (get_method(host, cfg, t) < 0 || get_expect(host, cfg, t) < 0 ||
	    get_text(host, cfg, t) < 0 || get_ca_file(host, cfg, t) < 0 ||
	    get_headers(host, cfg, t) < 0 ||
	    get_connect_to(host, cfg, t, tc) < 0)
		bad = 1;
	if (host->cfg_bool(cfg, "follow_redirects", &t->follow) < 0 ||
	    host->cfg_bool(cfg, "verify", &t->verify) < 0)
		bad = 1;
	if ((rc = host->cfg_int(cfg, "max_redirects", &l, 0, 50)) < 0)
		bad = 1;
	else if (rc == 1)
		t->max_redirects = l;
	if ((rc = host->cfg_int(cfg, "cert_warn_days", &l, 0, 3650)) < 0)
		bad = 1;
	else if (rc == 1)
		t->cert_warn_days = l;
	if (bad) {
		target_free(t);
		return NULL;
	}
	return t;
}

/* --- the ABI -------------------------------------------------------------- */

static int
http_init(const struct tm_host *host)
{
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

	if (!(vi->features & CURL_VERSION_SSL))
		host->log(LOG_WARNING, "http: libcurl %s has no TLS: https:// "
		    "targets will fail", vi->version);
	return 0;
}

static void
http_start(void *arg, struct tm_round *round)
{
	struct http_target *t = arg;
	struct hround *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		/* cannot even report it: the core's round stays open */
		t->host->log(LOG_ERR, "http: %s: out of memory; round lost",
		    t->id);
		return;
	}
	r->t = t;
	r->round = round;
	if (t->expect_text != NULL)
		http_search_init(&r->search, t->expect_text, HTTP_BODY_MAX);
	if ((r->easy = make_request(r)) == NULL) {
		t->host->log(LOG_ERR, "http: %s: curl_easy_init failed; "
		    "round lost", t->id);
		free(r);
		return;
	}
	r->next = t->rounds;
	t->rounds = r;
	g_stats.requests++;
	/* done() comes later, from the loop, even if the start fails */
	t->host->curl_add(r->easy, transfer_done, r);
}

static void
http_cancel(void *arg, struct tm_round *round)
{
	struct http_target *t = arg;

	for (struct hround *r = t->rounds; r != NULL; r = r->next)
		if (r->round == round) {
			t->host->curl_remove(r->easy);
			round_free(r);
			return;
		}
}

static void
http_release(void *arg)
{
	struct http_target *t = arg;

	if (t == NULL)
		return;
	while (t->rounds != NULL) {
		t->host->curl_remove(t->rounds->easy);
		round_free(t->rounds);
	}
	target_free(t);
}

static void
http_counters(void (*emit)(void *, const char *, uint64_t), void *arg)
{
	emit(arg, "http_requests", g_stats.requests);
	emit(arg, "http_answers", g_stats.answers);
	emit(arg, "http_failed", g_stats.failed);
	emit(arg, "http_timeouts", g_stats.timeouts);
	emit(arg, "http_bad_status", g_stats.bad_status);
	emit(arg, "http_text_missing", g_stats.text_missing);
	emit(arg, "http_body_truncated", g_stats.body_truncated);
}

static void
http_shutdown(void)
{
}

const struct tm_probe_ops tramon_probe = {
	.abi = TM_PLUGIN_ABI,
	.name = "http",
	.flags = 0,
	.keys = keys,
	.values = values,
	.nvalues = NVALUES,
	.init = http_init,
	.configure = http_configure,
	.start = http_start,
	.cancel = http_cancel,
	.release = http_release,
	.counters = http_counters,
	.shutdown = http_shutdown,
};
