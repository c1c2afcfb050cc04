#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curlev.h"
#include "log.h"
#include "util.h"
#include "webhook.h"

struct webhook_job {
	struct curlev *cv;
	CURL *easy;
	struct curl_slist *headers;
	smtp_done_fn *done;
	void *arg;
	struct event *refused;  /* reports a job refused before it started */
	struct smtp_result early;
	char errbuf[CURL_ERROR_SIZE];
	char reason[64];        /* reason phrase of the last status line */
	char body[104];         /* the answer's first bytes, for the log */
	size_t bodylen;
};

/* Printable ASCII only: the text ends up in the log and the journal. */
static void
keep_ascii(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n && k < dstlen - 1; i++)
		dst[k++] = src[i] >= ' ' && src[i] < 0x7f ? src[i] : ' ';
	while (k > 0 && dst[k - 1] == ' ')
		k--;
	dst[k] = '\0';
}

/* CURLOPT_HEADERFUNCTION: "HTTP/1.1 404 Not Found" -> "Not Found".  A
 * 100 Continue comes first; the last status line wins. */
static size_t
header_cb(char *s, size_t size, size_t n, void *arg)
{
	struct webhook_job *j = arg;
	size_t len = size * n, i, k;

	if (len > 5 && strncmp(s, "HTTP/", 5) == 0) {
		/* skip "HTTP/x.y", the code, and the blanks around it */
		for (i = 5; i < len && s[i] != ' '; i++)
			;
		for (; i < len && s[i] == ' '; i++)
			;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		for (; i < len && s[i] == ' '; i++)
			;
		/* not NUL-terminated: bounded by len */
		for (k = i; k < len && s[k] != '\r' && s[k] != '\n'; k++)
			;
		keep_ascii(j->reason, sizeof(j->reason), s + i, k - i);
		j->bodylen = 0;
	}
	return len;
}

/* CURLOPT_WRITEFUNCTION: keep the first bytes of the answer. */
static size_t
write_cb(char *s, size_t size, size_t n, void *arg)
{
	struct webhook_job *j = arg;
	size_t len = size * n, room = sizeof(j->body) - 1 - j->bodylen;

	if (room > len)
		room = len;
	memcpy(j->body + j->bodylen, s, room);
	j->bodylen += room;
	return len;
}

static void
classify(struct webhook_job *j, CURLcode rc, struct smtp_result *r)
{
	char body[sizeof(j->body)];
	long st;

	memset(r, 0, sizeof(*r));
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &r->reply);
	if (rc != CURLE_OK) {
		curlev_describe(j->easy, rc, j->errbuf, r->error,
		    sizeof(r->error));
		return;
	}
	st = r->reply;
	if (st >= 200 && st < 300) {
		r->ok = 1;
		return;
	}
	r->permanent = st >= 400 && st < 500 && st != 408 && st != 429;
	keep_ascii(body, sizeof(body), j->body, j->bodylen);
	snprintf(r->error, sizeof(r->error), "HTTP %ld%s%s%s%s", st,
	    *j->reason ? " " : "", j->reason, *body ? ": " : "", body);
}

static void
job_free(struct webhook_job *j)
{
	if (j->easy != NULL)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->headers);
	if (j->refused != NULL)
		event_free(j->refused);
	free(j);
}

/* curlev: the request ended. */
static void
finished(void *arg, CURL *easy, CURLcode rc)
{
	struct webhook_job *j = arg;
	smtp_done_fn *done = j->done;
	void *darg = j->arg;
	struct smtp_result r;

	classify(j, rc, &r);
	job_free(j);
	done(darg, &r);
}

static void
on_refused(evutil_socket_t fd, short events, void *arg)
{
	struct webhook_job *j = arg;
	smtp_done_fn *done = j->done;
	void *darg = j->arg;
	struct smtp_result r = j->early;

	job_free(j);
	done(darg, &r);
}

static struct curl_slist *
header(struct curl_slist *l, const char *h)
{
	if ((l = curl_slist_append(l, h)) == NULL)
		fatalx("webhook: curl_slist_append");
	return l;
}

struct webhook_job *
webhook_post(struct curlev *cv, const char *url, const char *ca_file,
    int timeout, const char *json, smtp_done_fn *done, void *arg)
{
	struct webhook_job *j = xcalloc(1, sizeof(*j));
	long t = timeout > 0 ? timeout : 30;
	CURL *e;

	j->cv = cv;
	j->done = done;
	j->arg = arg;
	if (json == NULL)
		json = "";
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		j->early.permanent = 1;
		snprintf(j->early.error, sizeof(j->early.error),
		    "not an http:// or https:// URL");
		if ((j->refused = event_new(curlev_base(cv), -1, 0, on_refused,
		    j)) == NULL)
			fatalx("webhook: event_new");
		event_active(j->refused, 0, 0);
		return j;
	}

	if ((e = j->easy = curl_easy_init()) == NULL)
		fatalx("webhook: curl_easy_init failed");
	curl_easy_setopt(e, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85: the string form */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, t);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, t);
	/* rare requests: no idle connection kept to the hook's server */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file != NULL && *ca_file != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);

	j->headers = header(j->headers,
	    "Content-Type: application/json; charset=utf-8");
	/* no "Expect: 100-continue" wait (a second) for larger bodies */
	j->headers = header(j->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
	/* size first: COPYPOSTFIELDS copies that many bytes */
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(json));
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, json);

	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);

	curlev_add(cv, e, finished, j);
	return j;
}

void
webhook_cancel(struct webhook_job *j)
{
	if (j == NULL)
		return;
	if (j->refused == NULL)
		curlev_remove(j->cv, j->easy);
	job_free(j);
}
