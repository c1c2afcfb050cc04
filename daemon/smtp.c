#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "conf.h"
#include "curlev.h"
#include "log.h"
#include "smtp.h"
#include "util.h"

/* Where the SMTP dialogue was when the last reply came. */
enum stage {
	ST_CONNECT,             /* greeting */
	ST_EHLO,
	ST_STARTTLS,
	ST_AUTH,
	ST_MAIL,
	ST_RCPT,
	ST_DATA,                /* the DATA command */
	ST_BODY,                /* the reply to the message's final "." */
	ST_QUIT
};

struct smtp_job {
	struct curlev *cv;
	CURL *easy;
	struct curl_slist *rcpt;
	char *msg;              /* a copy: the session runs on another thread */
	size_t len, off;
	smtp_done_fn *done;
	void *arg;
	struct event *refused;  /* reports a job refused before it started */
	int cancelled;          /* smtp_cancel(): finished() only frees */
	struct smtp_result early;
	char errbuf[CURL_ERROR_SIZE];
	/* the dialogue, from CURLOPT_DEBUGFUNCTION (never the credentials) */
	enum stage stage;
	int quit;               /* QUIT sent: nothing more to learn */
	int replied;            /* a reply came after the last command */
	long code;              /* its code */
	char line[160];         /* its last line */
	char rcpt_addr[128];    /* the address of the last RCPT TO */
};

/* A bare address for the envelope: something@something, no spaces,
 * brackets or control characters (they would end up inside the SMTP
 * command line). */
static int
valid_address(const char *a)
{
	const unsigned char *p;
	const char *at = strrchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > 254)
		return 0;
	for (p = (const unsigned char *)a; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return 0;
	return 1;
}

/* --- the upload ----------------------------------------------------------- */

static size_t
read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct smtp_job *j = arg;
	size_t want = size * n;

	if (want > j->len - j->off)
		want = j->len - j->off;
	memcpy(buf, j->msg + j->off, want);
	j->off += want;
	return want;
}

/* libcurl rewinds when it must send the body again (a retried
 * connection). */
static int
seek_cb(void *arg, curl_off_t off, int origin)
{
	struct smtp_job *j = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > j->len)
		return CURL_SEEKFUNC_CANTSEEK;
	j->off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* --- following the dialogue ------------------------------------------------- */

static const struct {
	const char *verb;
	enum stage stage;
} verbs[] = {
	{ "EHLO", ST_EHLO }, { "HELO", ST_EHLO }, { "STARTTLS", ST_STARTTLS },
	{ "AUTH", ST_AUTH }, { "MAIL", ST_MAIL }, { "RCPT", ST_RCPT },
	{ "DATA", ST_DATA }, { "QUIT", ST_QUIT },
};

/* A command went out.  AUTH continuations (credentials) are not
 * commands: they answer a 334 and are neither parsed nor kept. */
static void
sent_command(struct smtp_job *j, const char *s, size_t n)
{
	size_t i, k;

	/* after a failure libcurl still says QUIT: the outcome was before */
	if (j->quit)
		return;
	if (j->stage == ST_AUTH && j->replied && j->code == 334)
		goto out;
	for (i = 0; i < nitems(verbs); i++) {
		k = strlen(verbs[i].verb);
		if (n >= k && strncasecmp(s, verbs[i].verb, k) == 0 &&
		    (n == k || s[k] == ' ' || s[k] == '\r')) {
			if (verbs[i].stage == ST_QUIT) {
				j->quit = 1;
				return;
			}
			j->stage = verbs[i].stage;
			break;
		}
	}
	if (j->stage == ST_RCPT && n > 9 && strncasecmp(s, "RCPT TO:<", 9) == 0) {
		/* not NUL-terminated: bounded by n */
		for (k = 0; 9 + k < n && s[9 + k] != '>' && s[9 + k] != '\r' &&
		    k < sizeof(j->rcpt_addr) - 1; k++)
			;
		memcpy(j->rcpt_addr, s + 9, k);
		j->rcpt_addr[k] = '\0';
	}
out:
	j->replied = 0;
}

/* A reply line came in: keep it (printable, one line) and its code. */
static void
got_reply(struct smtp_job *j, const char *s, size_t n)
{
	size_t i, k = 0;

	if (j->quit)
		return;
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	for (i = 0; i < n && k < sizeof(j->line) - 1; i++)
		/* ASCII only: the text ends up in the JSON journal */
		j->line[k++] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
	j->line[k] = '\0';
	if (n >= 3 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]))
		j->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	else
		j->code = 0;
	j->replied = 1;
	/* after "354 go ahead" comes the body: the next reply judges it */
	if (j->stage == ST_DATA && j->code == 354)
		j->stage = ST_BODY;
}

/* CURLOPT_DEBUGFUNCTION (needs CURLOPT_VERBOSE): libcurl shows us the
 * protocol lines it sends and receives; nothing is printed. */
static int
debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp_job *j = arg;

	if (type == CURLINFO_HEADER_OUT)
		sent_command(j, data, size);
	else if (type == CURLINFO_HEADER_IN)
		got_reply(j, data, size);
	return 0;
}

/* --- the outcome ------------------------------------------------------------ */

/* A refusal by the server, said with its reply line. */
static void
describe_reply(struct smtp_job *j, struct smtp_result *r)
{
	const char *what;
	char buf[180];

	switch (j->stage) {
	case ST_CONNECT:
		what = "server refused the session";
		break;
	case ST_EHLO:
		what = "EHLO refused";
		break;
	case ST_STARTTLS:
		what = "STARTTLS refused";
		break;
	case ST_AUTH:
		what = "authentication failed";
		break;
	case ST_MAIL:
		what = "MAIL FROM refused";
		break;
	case ST_RCPT:
		snprintf(buf, sizeof(buf), "recipient <%.60s> refused",
		    j->rcpt_addr);
		what = buf;
		/* 552 on RCPT is "too many recipients": try again later */
		r->permanent = j->code >= 500 && j->code != 552;
		break;
	case ST_DATA:
		what = "DATA refused";
		r->permanent = j->code >= 500;
		break;
	case ST_BODY:
		what = "message refused";
		r->permanent = j->code >= 500;
		break;
	default:
		what = "refused";
		break;
	}
	snprintf(r->error, sizeof(r->error), "%.80s: %.170s", what, j->line);
}

static void
classify(struct smtp_job *j, CURLcode rc, struct smtp_result *r)
{
	memset(r, 0, sizeof(*r));
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &r->reply);
	if (rc == CURLE_OK) {
		r->ok = 1;
		return;
	}
	if (j->replied && j->code >= 400) {
		if (r->reply == 0)
			r->reply = j->code;
		describe_reply(j, r);
	} else if (rc == CURLE_USE_SSL_FAILED)
		snprintf(r->error, sizeof(r->error),
		    "STARTTLS required but the server does not offer it");
	else
		curlev_describe(j->easy, rc, j->errbuf, r->error,
		    sizeof(r->error));
}

static void
job_free(struct smtp_job *j)
{
	if (j->easy != NULL)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->rcpt);
	if (j->refused != NULL)
		event_free(j->refused);
	free(j->msg);
	free(j);
}

/* curlev: the session ended. */
static void
finished(void *arg, CURL *easy, CURLcode rc)
{
	struct smtp_job *j = arg;
	smtp_done_fn *done = j->done;
	void *darg = j->arg;
	struct smtp_result r;

	if (j->cancelled) {
		job_free(j);
		return;
	}
	classify(j, rc, &r);
	job_free(j);
	done(darg, &r);
}

/* A job refused before it started, reported from the loop. */
static void
on_refused(evutil_socket_t fd, short events, void *arg)
{
	struct smtp_job *j = arg;
	smtp_done_fn *done = j->done;
	void *darg = j->arg;
	struct smtp_result r = j->early;

	job_free(j);
	done(darg, &r);
}

static struct smtp_job *
refuse(struct smtp_job *j, const char *why)
{
	j->early.permanent = 1;
	snprintf(j->early.error, sizeof(j->early.error), "%s", why);
	j->refused = event_new(curlev_base(j->cv), -1, 0, on_refused, j);
	if (j->refused == NULL)
		fatalx("smtp: event_new");
	event_active(j->refused, 0, 0);
	return j;
}

/* --- interface ------------------------------------------------------------- */

static void
set_protocols(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85: the string form */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
}

/* Warn once per configuration about "try" being taken as "required". */
static long
use_ssl(const struct smtp_conf *conf)
{
	static const struct smtp_conf *warned;

	switch (conf->starttls) {
	case STARTTLS_NONE:
		return CURLUSESSL_NONE;
	case STARTTLS_TRY:
		if (*conf->username == '\0')
			return CURLUSESSL_TRY;
		if (warned != conf)
			log_warnx("smtp: starttls = \"try\" with a username: "
			    "STARTTLS is required, so that the password never "
			    "goes out in clear text (\"none\" allows that)");
		warned = conf;
		return CURLUSESSL_ALL;
	case STARTTLS_REQUIRED:
	default:
		return CURLUSESSL_ALL;
	}
}

struct smtp_job *
smtp_send(struct curlev *cv, const struct smtp_conf *conf,
    const char *password, const char *mail_from, const char *const *rcpt,
    const char *msg, size_t len, smtp_done_fn *done, void *arg)
{
	struct smtp_job *j = xcalloc(1, sizeof(*j));
	long timeout = conf->timeout > 0 ? conf->timeout : 30;
	char *s;
	CURL *e;
	size_t i;

	j->cv = cv;
	j->msg = xmalloc(len + 1);
	if (len > 0)
		memcpy(j->msg, msg, len);
	j->len = len;
	j->done = done;
	j->arg = arg;
	j->stage = ST_CONNECT;

	if (!valid_address(mail_from))
		return refuse(j, "bad sender address");
	if (rcpt == NULL || rcpt[0] == NULL)
		return refuse(j, "no recipient");
	for (i = 0; rcpt[i] != NULL; i++) {
		if (!valid_address(rcpt[i])) {
			char why[128];

			snprintf(why, sizeof(why), "bad recipient address "
			    "\"%.80s\"", rcpt[i]);
			return refuse(j, why);
		}
		s = xasprintf("<%s>", rcpt[i]);
		j->rcpt = curl_slist_append(j->rcpt, s);
		free(s);
		if (j->rcpt == NULL)
			fatalx("smtp: curl_slist_append");
	}

	if ((e = j->easy = curl_easy_init()) == NULL)
		fatalx("smtp: curl_easy_init failed");
	curl_easy_setopt(e, CURLOPT_URL, conf->url);
	set_protocols(e);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
	/* each reply, QUIT's included: libcurl waits up to 120 s for that
	 * one, even past CURLOPT_TIMEOUT */
#if LIBCURL_VERSION_NUM >= 0x080600	/* 8.6: the seconds one deprecated */
	curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT_MS, timeout * 1000);
#else
	curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
#endif
	/* a fresh session per message: see smtp.h */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);

	/* TLS: verification is never turned off */
	curl_easy_setopt(e, CURLOPT_USE_SSL, use_ssl(conf));
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (conf->ca_file != NULL && *conf->ca_file != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, conf->ca_file);

	if (conf->username != NULL && *conf->username != '\0') {
		curl_easy_setopt(e, CURLOPT_USERNAME, conf->username);
		curl_easy_setopt(e, CURLOPT_PASSWORD,
		    password != NULL ? password : "");
	}

	s = xasprintf("<%s>", mail_from);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, s);	/* copied */
	free(s);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, j->rcpt);

	/* the message as composed; SIZE= is announced from the length */
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, j);
	curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
	curl_easy_setopt(e, CURLOPT_SEEKDATA, j);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);

	/* follow the dialogue, to say which step a refusal answered */
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, j);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);

	/* libcurl blocks at the end of an SMTP session: see curlev.h */
	curlev_add_blocking(cv, e, finished, j);
	return j;
}

void
smtp_cancel(struct smtp_job *j)
{
	if (j == NULL)
		return;
	if (j->refused != NULL) {
		job_free(j);
		return;
	}
	/* the session's thread may be using the job: it comes back to
	 * finished(), which frees it */
	j->cancelled = 1;
	curlev_abort(j->cv, j->easy);
}

int
smtp_read_password(const char *path, char **out, char *err, size_t errlen)
{
	char buf[1024];
	struct stat st;
	ssize_t n;
	size_t len = 0, line;
	int fd;

	/* O_NONBLOCK: a FIFO put there by mistake must not hang us */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & S_IROTH)
		log_warnx("smtp: password file %s is readable by everyone "
		    "(chmod o-rwx)", path);
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			explicit_bzero(buf, sizeof(buf));
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	for (line = 0; line < len && buf[line] != '\n' && buf[line] != '\r';
	    line++)
		;
	if (line == sizeof(buf))
		snprintf(err, errlen, "%s: first line longer than %zu bytes",
		    path, sizeof(buf) - 1);
	else if (line == 0)
		snprintf(err, errlen, "%s: %s", path, len == 0 ? "empty" :
		    "first line empty");
	else if (memchr(buf, '\0', line) != NULL)
		snprintf(err, errlen, "%s: NUL byte in the password", path);
	else {
		*out = xmalloc(line + 1);
		memcpy(*out, buf, line);
		(*out)[line] = '\0';
		explicit_bzero(buf, sizeof(buf));
		return 0;
	}
	explicit_bzero(buf, sizeof(buf));
	return -1;
}
