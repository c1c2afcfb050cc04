/*
 * sendtool: send a mail or a webhook the way tramond does (curlev +
 * smtp/webhook on an event loop), for the transport tests.
 *
 *	sendtool [-w] [-n N] [-c MS] smtp URL STARTTLS USER PASSFILE CAFILE
 *	    TIMEOUT FROM RCPT... < message
 *	sendtool [-w] [-n N] [-c MS] webhook URL CAFILE TIMEOUT < json
 *
 * STARTTLS is none, try or required; USER, PASSFILE and CAFILE may be ""
 * (none).  The message (CRLF line ends) or JSON document comes from
 * standard input.  -n N sends it N times at once on the one multi handle;
 * -c MS cancels whatever is still running after MS milliseconds; -w
 * watches the loop with a 20 ms heartbeat and prints the longest stall
 * ("sendtool: longest loop stall N ms") on standard error at the end.
 *
 * Prints one line of JSON per send,
 *	{"i":0,"ok":true,"permanent":false,"reply":250,"error":""}
 * or {"i":0,"cancelled":true}; exits 0 if every send was ok, 1 if one was
 * not, 3 if one was cancelled, 2 on a usage or setup error.
 */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>

#include "conf.h"
#include "curlev.h"
#include "log.h"
#include "smtp.h"
#include "util.h"
#include "webhook.h"

struct send {
	int i;
	struct smtp_job *mail;
	struct webhook_job *hook;
	int finished;
};

static struct {
	struct event_base *base;
	struct send *sends;
	int n, left, failed, cancelled;
	int64_t beat_last, stall_max;   /* -w, in ns */
} S;

#define BEAT_MS 20

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: sendtool [-w] [-n N] [-c MS] smtp URL STARTTLS USER PASSFILE "
	    "CAFILE TIMEOUT FROM RCPT... < message\n"
	    "       sendtool [-w] [-n N] [-c MS] webhook URL CAFILE TIMEOUT "
	    "< json\n");
	exit(2);
}

static void
print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s == NULL)
		fatalx("json_dumps");
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(o);
}

static void
done(void *arg, const struct smtp_result *r)
{
	struct send *s = arg;

	s->finished = 1;
	if (!r->ok)
		S.failed++;
	print_json(json_pack("{s:i, s:b, s:b, s:I, s:s}", "i", s->i,
	    "ok", r->ok, "permanent", r->permanent, "reply",
	    (json_int_t)r->reply, "error", r->error));
	if (--S.left == 0)
		event_base_loopbreak(S.base);
}

/* -c: cancel what is still running */
static void
on_cancel(evutil_socket_t fd, short events, void *arg)
{
	int i;

	for (i = 0; i < S.n; i++) {
		struct send *s = &S.sends[i];

		if (s->finished)
			continue;
		smtp_cancel(s->mail);
		webhook_cancel(s->hook);
		S.cancelled++;
		print_json(json_pack("{s:i, s:b}", "i", s->i,
		    "cancelled", 1));
	}
	event_base_loopbreak(S.base);
}

/* -w: a heartbeat; a late one means something blocked the loop */
static void
on_beat(evutil_socket_t fd, short events, void *arg)
{
	int64_t now = mono_ns(), late = now - S.beat_last - BEAT_MS * 1000000LL;

	if (late > S.stall_max)
		S.stall_max = late;
	S.beat_last = now;
}

static char *
read_stdin(size_t *len)
{
	char *buf = NULL;
	size_t n, cap = 0;

	*len = 0;
	for (;;) {
		if (cap - *len < 4096) {
			cap = cap ? cap * 2 : 65536;
			buf = xreallocarray(buf, cap, 1);
		}
		if ((n = fread(buf + *len, 1, cap - *len - 1, stdin)) == 0)
			break;
		*len += n;
	}
	if (ferror(stdin))
		fatal("stdin");
	buf[*len] = '\0';
	return buf;
}

static int
parse_starttls(const char *s)
{
	if (strcmp(s, "none") == 0)
		return STARTTLS_NONE;
	if (strcmp(s, "try") == 0)
		return STARTTLS_TRY;
	if (strcmp(s, "required") == 0)
		return STARTTLS_REQUIRED;
	usage();
}

int
main(int argc, char *argv[])
{
	struct smtp_conf sc;
	struct curlev *cv;
	struct event *cancel = NULL, *beat = NULL;
	char *input, *password = NULL, err[256];
	size_t len;
	long cancel_ms = -1;
	int ch, i, mail, watch = 0;

	S.n = 1;
	while ((ch = getopt(argc, argv, "+n:c:w")) != -1) {
		switch (ch) {
		case 'n':
			S.n = atoi(optarg);
			break;
		case 'c':
			cancel_ms = atol(optarg);
			break;
		case 'w':
			watch = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || S.n < 1 || S.n > 1000)
		usage();
	mail = strcmp(argv[0], "smtp") == 0;
	if (mail ? argc < 9 : strcmp(argv[0], "webhook") != 0 || argc != 4)
		usage();
	log_init(1, LOG_DEBUG, "sendtool");

	memset(&sc, 0, sizeof(sc));
	if (mail) {
		sc.present = 1;
		sc.url = argv[1];
		sc.starttls = parse_starttls(argv[2]);
		sc.username = argv[3];
		sc.password_file = argv[4];
		sc.ca_file = argv[5];
		sc.timeout = atoi(argv[6]);
		sc.from = argv[7];
		if (*sc.password_file != '\0' &&
		    smtp_read_password(sc.password_file, &password, err,
		    sizeof(err)) == -1) {
			print_json(json_pack("{s:b, s:s}", "ok", 0,
			    "error", err));
			return 2;
		}
	}
	input = read_stdin(&len);

	/* as tramond: libcurl's NOSIGNAL leaves SIGPIPE to us, and curlev's
	 * thread wakes the loop */
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init");
	if (evthread_use_pthreads() == -1)
		fatalx("evthread_use_pthreads");
	if ((S.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	cv = curlev_new(S.base);
	S.sends = xcalloc((size_t)S.n, sizeof(*S.sends));
	S.left = S.n;
	for (i = 0; i < S.n; i++) {
		struct send *s = &S.sends[i];

		s->i = i;
		if (mail)
			s->mail = smtp_send(cv, &sc, password, argv[7],
			    (const char *const *)argv + 8, input, len, done, s);
		else
			s->hook = webhook_post(cv, argv[1], argv[2],
			    atoi(argv[3]), input, done, s);
	}
	if (cancel_ms >= 0) {
		struct timeval tv = { cancel_ms / 1000,
		    (cancel_ms % 1000) * 1000 };

		if ((cancel = evtimer_new(S.base, on_cancel, NULL)) == NULL)
			fatalx("evtimer_new");
		evtimer_add(cancel, &tv);
	}
	if (watch) {
		struct timeval tv = { 0, BEAT_MS * 1000 };

		if ((beat = event_new(S.base, -1, EV_PERSIST, on_beat,
		    NULL)) == NULL)
			fatalx("event_new");
		S.beat_last = mono_ns();
		evtimer_add(beat, &tv);
	}
	/* every transfer has its own timeout: the loop ends */
	if (event_base_dispatch(S.base) == -1)
		fatalx("event_base_dispatch");

	if (cancel != NULL)
		event_free(cancel);
	if (beat != NULL) {
		on_beat(-1, 0, NULL);	/* a stall just before the end */
		event_free(beat);
		fprintf(stderr, "sendtool: longest loop stall %lld ms\n",
		    (long long)(S.stall_max / 1000000));
	}
	curlev_free(cv);
	event_base_free(S.base);
	curl_global_cleanup();
	free(S.sends);
	free(input);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (S.cancelled)
		return 3;
	return S.failed ? 1 : 0;
}
