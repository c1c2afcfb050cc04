#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "curlev.h"
#include "log.h"
#include "util.h"

/* A transfer of ours: found again through the handle's CURLOPT_PRIVATE. */
struct xfer {
	CURL *easy;
	curlev_done_fn *done;
	void *arg;
	CURLcode rc;            /* for a start that failed */
	struct xfer *prev, *next;
};

/* A socket libcurl asked us to watch. */
struct sock {
	struct curlev *cv;
	curl_socket_t fd;
	struct event *ev;
	struct sock *prev, *next;
};

struct curlev {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;    /* libcurl's single timeout */
	struct event *kick;     /* reports starts that failed, from the loop */
	struct xfer *running;
	struct xfer *failed;    /* done() still due, from `kick` */
	struct sock *socks;
	struct bxfer *blocking; /* curlev_add_blocking()'s, until done() */
	struct side *side;      /* their thread, once needed */
	struct event *hold;     /* keeps the loop from running dry meanwhile */
	unsigned nrunning;
	int in_done;            /* a done() is running */
};

/*
 * Transfers libcurl may block in run on a thread of their own.
 *
 * libcurl 7.88 waits in poll(), inside curl_multi_socket_action(), for
 * two SMTP replies: the one to the end of the message (lib/smtp.c,
 * smtp_done() -> smtp_block_statemach(), up to CURLOPT_TIMEOUT) and the
 * one to QUIT (smtp_disconnect(), up to 120 s unless
 * CURLOPT_SERVER_RESPONSE_TIMEOUT says less).  Measured: a server taking
 * 3 s to accept a message stalled the loop 3 s.  So those transfers get a
 * multi handle of their own, driven by a curlev like this one on the
 * thread's own event base; only starts, aborts and results cross, through
 * two queues under one lock.
 */
enum { B_NEW, B_RUNNING, B_ENDED };

struct bxfer {
	struct side *side;
	CURL *easy;
	curlev_done_fn *done;
	void *arg;
	CURLcode rc;            /* lock */
	int state;              /* B_*, the thread's */
	int abort;              /* asked by the loop (lock) */
	int queued;             /* in side->todo (lock) */
	struct bxfer *prev, *next;      /* owner->blocking, the loop's */
	struct bxfer *qnext;            /* side->todo or side->ended (lock) */
};

struct bqueue {
	struct bxfer *head, *tail;
};

struct side {
	struct curlev *owner;
	pthread_t thread;
	pthread_mutex_t lock;
	struct event_base *base;        /* the thread's loop */
	struct curlev *cv;              /* its multi handle */
	struct event *wake;             /* on base: todo, or stopping */
	struct event *back;             /* on owner->base: ended */
	struct bqueue todo, ended;      /* lock */
	int stopping;                   /* lock */
};

static void on_sock(evutil_socket_t, short, void *);
static void side_stop(struct curlev *);

/* --- lists -------------------------------------------------------------- */

#define LINK(head, e) do {						\
	(e)->prev = NULL;						\
	(e)->next = (head);						\
	if ((head) != NULL)						\
		(head)->prev = (e);					\
	(head) = (e);							\
} while (0)

#define UNLINK(head, e) do {						\
	if ((e)->prev != NULL)						\
		(e)->prev->next = (e)->next;				\
	else								\
		(head) = (e)->next;					\
	if ((e)->next != NULL)						\
		(e)->next->prev = (e)->prev;				\
} while (0)

static struct xfer *
xfer_of(CURL *easy)
{
	char *p = NULL;

	if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p) != CURLE_OK)
		return NULL;
	return (struct xfer *)p;
}

/* --- libcurl's callbacks: they only (re)arm events, never call curl ------- */

/* CURLMOPT_TIMERFUNCTION: libcurl wants socket_action(TIMEOUT) in ms. */
static int
timer_cb(CURLM *multi, long ms, void *arg)
{
	struct curlev *cv = arg;
	struct timeval tv;

	if (ms < 0) {
		evtimer_del(cv->timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	/* re-adding replaces the expiry; 0 runs it on the next loop turn,
	 * which is also how a freshly added transfer starts */
	evtimer_add(cv->timer, &tv);
	return 0;
}

static void
sock_free(struct curlev *cv, struct sock *s)
{
	UNLINK(cv->socks, s);
	event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch `fd` for what libcurl waits for. */
static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct curlev *cv = arg;
	struct sock *s = sockp;
	short flags = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		/* libcurl forgets fd (and our pointer) when this returns */
		if (s != NULL)
			sock_free(cv, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->cv = cv;
		s->fd = fd;
		if ((s->ev = event_new(cv->base, fd, flags, on_sock, s)) == NULL)
			fatalx("curlev: event_new");
		LINK(cv->socks, s);
		/* allowed here (it only stores the pointer in libcurl's
		 * socket hash); without it each call would look new */
		if (curl_multi_assign(cv->multi, fd, s) != CURLM_OK)
			log_warnx("curlev: curl_multi_assign failed");
	} else {
		/* event_assign() on a pending event is undefined */
		event_del(s->ev);
		event_assign(s->ev, cv->base, fd, flags, on_sock, s);
	}
	if (flags & (EV_READ | EV_WRITE))
		event_add(s->ev, NULL);
	return 0;
}

/* --- driving the multi handle from the loop ------------------------------ */

/* Hand an ended transfer back to its owner. */
static void
finish(struct curlev *cv, struct xfer *x, CURLcode rc)
{
	curlev_done_fn *done = x->done;
	void *arg = x->arg;
	CURL *easy = x->easy;

	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	free(x);
	cv->in_done++;
	done(arg, easy, rc);
	cv->in_done--;
}

/*
 * Collect the transfers that ended.  Runs after socket_action() has
 * returned, so removing handles (and whatever done() does: start or
 * remove transfers) is not a call from inside a curl callback.
 */
static void
check_done(struct curlev *cv)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cv->multi, &left)) != NULL) {
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;
		struct xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg is invalid once the handle is removed: copied above */
		curl_multi_remove_handle(cv->multi, easy);
		if ((x = xfer_of(easy)) == NULL) {
			log_warnx("curlev: a transfer ended that is not ours");
			continue;
		}
		UNLINK(cv->running, x);
		cv->nrunning--;
		finish(cv, x, rc);
	}
}

static void
on_sock(evutil_socket_t fd, short events, void *arg)
{
	struct sock *s = arg;
	struct curlev *cv = s->cv;   /* `s` may be freed by socket_action */
	int flags = 0, running;

	if (events & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(cv->multi, fd, flags, &running);
	check_done(cv);
}

static void
on_timer(evutil_socket_t fd, short events, void *arg)
{
	struct curlev *cv = arg;
	int running;

	curl_multi_socket_action(cv->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(cv);
}

/* Starts that failed: their done() runs here, on a later loop turn. */
static void
on_kick(evutil_socket_t fd, short events, void *arg)
{
	struct curlev *cv = arg;
	struct xfer *x;

	while ((x = cv->failed) != NULL) {
		UNLINK(cv->failed, x);
		cv->nrunning--;
		finish(cv, x, x->rc);
	}
}

/* --- interface ------------------------------------------------------------ */

struct curlev *
curlev_new(struct event_base *base)
{
	struct curlev *cv = xcalloc(1, sizeof(*cv));
	const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);

	/* without the threaded (or c-ares) resolver, getaddrinfo() would run
	 * on the loop: numeric addresses are fine, names may stall it */
	if (!(vi->features & CURL_VERSION_ASYNCHDNS))
		log_warnx("curlev: libcurl %s resolves names synchronously; "
		    "a slow DNS server will stall tramond", vi->version);
	cv->base = base;
	if ((cv->multi = curl_multi_init()) == NULL)
		fatalx("curlev: curl_multi_init failed");
	if ((cv->timer = evtimer_new(base, on_timer, cv)) == NULL ||
	    (cv->kick = event_new(base, -1, 0, on_kick, cv)) == NULL)
		fatalx("curlev: event_new");
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	return cv;
}

void
curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn *done, void *arg)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	CURLMcode mc;

	x->easy = easy;
	x->done = done;
	x->arg = arg;
	/* no SIGALRM for timeouts: signals belong to the daemon's loop */
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)x);
	cv->nrunning++;
	/* libcurl now calls timer_cb(0): the transfer starts from the loop */
	if ((mc = curl_multi_add_handle(cv->multi, easy)) == CURLM_OK) {
		LINK(cv->running, x);
		return;
	}
	log_warnx("curlev: cannot start a transfer: %s",
	    curl_multi_strerror(mc));
	x->rc = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY :
	    CURLE_FAILED_INIT;
	LINK(cv->failed, x);
	event_active(cv->kick, 0, 0);
}

void
curlev_remove(struct curlev *cv, CURL *easy)
{
	struct xfer *x, *f;

	if ((x = xfer_of(easy)) == NULL)
		return;
	for (f = cv->failed; f != NULL && f != x; f = f->next)
		;
	if (f != NULL)
		UNLINK(cv->failed, x);
	else {
		/* may call sock_cb (REMOVE) for its connection: fine here */
		curl_multi_remove_handle(cv->multi, easy);
		UNLINK(cv->running, x);
	}
	cv->nrunning--;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	free(x);
}

void
curlev_free(struct curlev *cv)
{
	struct xfer *x;
	struct sock *s;

	if (cv == NULL)
		return;
	if (cv->in_done)
		fatalx("curlev_free called from a transfer's done()");
	if (cv->side != NULL)
		side_stop(cv);
	while ((x = cv->running) != NULL)
		curlev_remove(cv, x->easy);
	while ((x = cv->failed) != NULL)
		curlev_remove(cv, x->easy);
	/* may still call sock_cb and timer_cb (cached connections): the
	 * events and the base must be alive until it returns */
	curl_multi_cleanup(cv->multi);
	while ((s = cv->socks) != NULL)
		sock_free(cv, s);
	event_free(cv->timer);
	event_free(cv->kick);
	free(cv);
}

/* --- the side thread (see struct side) ------------------------------------ */

static void
bq_push(struct bqueue *q, struct bxfer *b)
{
	b->qnext = NULL;
	if (q->tail != NULL)
		q->tail->qnext = b;
	else
		q->head = b;
	q->tail = b;
}

static struct bxfer *
bq_pop(struct bqueue *q)
{
	struct bxfer *b = q->head;

	if (b != NULL && (q->head = b->qnext) == NULL)
		q->tail = NULL;
	return b;
}

static void
bq_unlink(struct bqueue *q, struct bxfer *b)
{
	struct bxfer **pp, *prev = NULL;

	for (pp = &q->head; *pp != NULL; prev = *pp, pp = &(*pp)->qnext)
		if (*pp == b) {
			*pp = b->qnext;
			if (q->tail == b)
				q->tail = prev;
			return;
		}
}

/* Thread: hand a result to the loop.  `b` is the loop's from here on. */
static void
side_ended(struct side *sd, struct bxfer *b, CURLcode rc)
{
	b->state = B_ENDED;
	pthread_mutex_lock(&sd->lock);
	b->rc = rc;
	bq_push(&sd->ended, b);
	pthread_mutex_unlock(&sd->lock);
	event_active(sd->back, 0, 0);
}

/* Thread: the thread's curlev says a transfer ended. */
static void
side_done(void *arg, CURL *easy, CURLcode rc)
{
	struct bxfer *b = arg;

	side_ended(b->side, b, rc);
}

/* Thread: start and abort what the loop asked for; or stop. */
static void
on_wake(evutil_socket_t fd, short events, void *arg)
{
	struct side *sd = arg;
	struct bxfer *b;
	int abort;

	for (;;) {
		pthread_mutex_lock(&sd->lock);
		if (sd->stopping) {
			pthread_mutex_unlock(&sd->lock);
			/* running transfers are removed, their results
			 * dropped: side_stop() sorts them out */
			curlev_free(sd->cv);
			sd->cv = NULL;
			event_base_loopbreak(sd->base);
			return;
		}
		if ((b = bq_pop(&sd->todo)) == NULL) {
			pthread_mutex_unlock(&sd->lock);
			return;
		}
		b->queued = 0;
		abort = b->abort;
		if (b->state == B_ENDED) {
			/* its result is on the way: the loop may free it
			 * any time now, hands off */
			pthread_mutex_unlock(&sd->lock);
			continue;
		}
		pthread_mutex_unlock(&sd->lock);
		if (b->state == B_NEW && !abort) {
			b->state = B_RUNNING;
			curlev_add(sd->cv, b->easy, side_done, b);
			continue;
		}
		if (b->state == B_RUNNING)
			curlev_remove(sd->cv, b->easy);
		side_ended(sd, b, CURLE_ABORTED_BY_CALLBACK);
	}
}

static void *
side_main(void *arg)
{
	struct side *sd = arg;

	/* the wake-up event is never pending: keep looping until told */
	event_base_loop(sd->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* Loop: results from the thread. */
static void
on_back(evutil_socket_t fd, short events, void *arg)
{
	struct side *sd = arg;
	struct curlev *cv = sd->owner;
	struct bqueue q;
	struct bxfer *b, *next;

	pthread_mutex_lock(&sd->lock);
	q = sd->ended;
	sd->ended.head = sd->ended.tail = NULL;
	for (b = q.head; b != NULL; b = b->qnext)
		if (b->queued) {	/* an abort the thread never saw */
			bq_unlink(&sd->todo, b);
			b->queued = 0;
		}
	pthread_mutex_unlock(&sd->lock);

	for (b = q.head; b != NULL; b = next) {
		curlev_done_fn *done = b->done;
		void *darg = b->arg;
		CURL *easy = b->easy;
		CURLcode rc = b->rc;

		next = b->qnext;
		UNLINK(cv->blocking, b);
		cv->nrunning--;
		free(b);
		cv->in_done++;
		done(darg, easy, rc);
		cv->in_done--;
	}
	if (cv->blocking == NULL)
		evtimer_del(cv->hold);
}

/*
 * While only the thread has work, the loop has no event of ours pending
 * and event_base_dispatch() would return: a long timer keeps it going,
 * as sockets and timers do for the transfers on the loop.
 */
static void
on_hold(evutil_socket_t fd, short events, void *arg)
{
	struct curlev *cv = arg;
	struct timeval tv = { 3600, 0 };

	if (cv->blocking != NULL)
		evtimer_add(cv->hold, &tv);
}

static void
side_start(struct curlev *cv)
{
	struct side *sd = xcalloc(1, sizeof(*sd));
	int rc;

	sd->owner = cv;
	pthread_mutex_init(&sd->lock, NULL);
	if ((sd->base = event_base_new()) == NULL)
		fatalx("curlev: event_base_new");
	sd->cv = curlev_new(sd->base);
	if ((sd->wake = event_new(sd->base, -1, 0, on_wake, sd)) == NULL ||
	    (sd->back = event_new(cv->base, -1, 0, on_back, sd)) == NULL ||
	    (cv->hold = evtimer_new(cv->base, on_hold, cv)) == NULL)
		fatalx("curlev: event_new");
	if ((rc = pthread_create(&sd->thread, NULL, side_main, sd)) != 0)
		fatalx("curlev: pthread_create: %s", strerror(rc));
	pthread_setname_np(sd->thread, "curl-blocking");
	cv->side = sd;
}

/*
 * Loop: stop the thread (waiting, at most, for a reply libcurl is
 * blocked on: bounded by the transfers' timeouts).  Aborted transfers get
 * their done() now, so that their owners can free them; the others are
 * dropped, done() not called, like curlev_free()'s own.
 */
static void
side_stop(struct curlev *cv)
{
	struct side *sd = cv->side;
	struct bxfer *b;

	pthread_mutex_lock(&sd->lock);
	sd->stopping = 1;
	pthread_mutex_unlock(&sd->lock);
	event_active(sd->wake, 0, 0);
	pthread_join(sd->thread, NULL);

	/* one thread again: no more locking */
	while ((b = cv->blocking) != NULL) {
		UNLINK(cv->blocking, b);
		cv->nrunning--;
		if (b->abort) {
			cv->in_done++;
			b->done(b->arg, b->easy, CURLE_ABORTED_BY_CALLBACK);
			cv->in_done--;
		}
		free(b);
	}
	event_free(sd->wake);
	event_free(sd->back);
	event_free(cv->hold);
	cv->hold = NULL;
	event_base_free(sd->base);
	pthread_mutex_destroy(&sd->lock);
	free(sd);
	cv->side = NULL;
}

void
curlev_add_blocking(struct curlev *cv, CURL *easy, curlev_done_fn *done,
    void *arg)
{
	struct bxfer *b = xcalloc(1, sizeof(*b));
	struct side *sd;

	if (cv->side == NULL)
		side_start(cv);
	sd = cv->side;
	b->side = sd;
	b->easy = easy;
	b->done = done;
	b->arg = arg;
	b->state = B_NEW;
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	LINK(cv->blocking, b);
	cv->nrunning++;
	on_hold(-1, 0, cv);
	pthread_mutex_lock(&sd->lock);
	bq_push(&sd->todo, b);
	b->queued = 1;
	pthread_mutex_unlock(&sd->lock);
	event_active(sd->wake, 0, 0);
}

void
curlev_abort(struct curlev *cv, CURL *easy)
{
	struct side *sd = cv->side;
	struct bxfer *b;

	for (b = cv->blocking; b != NULL && b->easy != easy; b = b->next)
		;
	if (b == NULL)
		return;
	pthread_mutex_lock(&sd->lock);
	if (!b->abort) {
		b->abort = 1;
		if (!b->queued) {
			bq_push(&sd->todo, b);
			b->queued = 1;
		}
	}
	pthread_mutex_unlock(&sd->lock);
	event_active(sd->wake, 0, 0);
}

struct event_base *
curlev_base(struct curlev *cv)
{
	return cv->base;
}

unsigned
curlev_running(struct curlev *cv)
{
	return cv->nrunning;
}

/* --- errors for the log ----------------------------------------------------- */

/* The text goes to the log and the JSON journal: keep it printable
 * ASCII, so that a server's or a library's stray bytes can never make
 * it invalid UTF-8. */
static void
ascii_only(char *s)
{
	for (; *s != '\0'; s++)
		if (*s < ' ' || *s >= 0x7f)
			*s = '?';
}

/* "what: detail", detail being libcurl's error buffer if it says anything */
static void
say(char *out, size_t len, const char *what, const char *errbuf)
{
	size_t n;

	if (errbuf == NULL || *errbuf == '\0') {
		snprintf(out, len, "%s", what);
		return;
	}
	n = strcspn(errbuf, "\r\n");
	snprintf(out, len, "%s: %.*s", what, (int)n, errbuf);
}

void
curlev_describe(CURL *easy, CURLcode rc, const char *errbuf, char *out,
    size_t len)
{
	char what[128];
	char *ip = NULL;
	long oserr = 0, port = 0;

	switch (rc) {
	case CURLE_OK:
		snprintf(out, len, "ok");
		break;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &oserr);
		curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &ip);
		curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &port);
		if (oserr == ECONNREFUSED)
			snprintf(what, sizeof(what), "connection refused");
		else if (oserr != 0)
			snprintf(what, sizeof(what), "cannot connect: %s",
			    strerror((int)oserr));
		else
			snprintf(what, sizeof(what), "cannot connect");
		/* the address says which server, without the whole URL
		 * (which may carry credentials) */
		if (ip != NULL && *ip != '\0' && port > 0)
			snprintf(out, len, "%s (%s port %ld)", what, ip, port);
		else
			say(out, len, what, errbuf);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		say(out, len, "cannot resolve the server's name", errbuf);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		say(out, len, "timed out", errbuf);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		say(out, len, "certificate verify failed", errbuf);
		break;
	case CURLE_SSL_CACERT_BADFILE:
		say(out, len, "cannot use the CA file", errbuf);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		say(out, len, "TLS handshake failed", errbuf);
		break;
	case CURLE_USE_SSL_FAILED:
		say(out, len, "TLS required but not available", errbuf);
		break;
	case CURLE_LOGIN_DENIED:
		say(out, len, "authentication failed", errbuf);
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		say(out, len, "connection lost", errbuf);
		break;
	default:
		say(out, len, curl_easy_strerror(rc), errbuf);
		break;
	}
	ascii_only(out);   /* strerror() may speak the locale's language */
}
