/*
 * libcurl's multi interface on the libevent loop: one CURLM driven by
 * socket and timer events (integration notes 2.1), shared by the webhook
 * sender (and, later, HTTP checks); and a second one, on a thread of its
 * own, for the transfers libcurl itself may block in (SMTP: see
 * curlev_add_blocking()).
 *
 * Nothing here blocks the loop: easy handles get CURLOPT_NOSIGNAL, name
 * lookups go through libcurl's threaded resolver (curlev_new() warns if
 * this libcurl has none), and no curl function is called from inside a
 * curl callback.
 *
 * curl_global_init(CURL_GLOBAL_DEFAULT) must have been called once, in
 * main() before any thread started, and evthread_use_pthreads() before
 * the event base was made (the thread wakes the loop with
 * event_active()); curl_global_cleanup() after the last curlev_free().
 */
#ifndef TRAMON_CURLEV_H
#define TRAMON_CURLEV_H

#include <stddef.h>

#include <curl/curl.h>

struct event_base;
struct curlev;

/* A transfer ended (rc = its result).  The easy handle has already been
 * taken out of the multi handle: the callee owns it again and cleans it
 * up.  The callee may start or remove other transfers. */
typedef void curlev_done_fn(void *arg, CURL *easy, CURLcode rc);

struct curlev *curlev_new(struct event_base *);

/*
 * Start a transfer.  done() is called once, on the loop, after it ended
 * (never from inside curlev_add(), even when the start itself fails).
 * curlev owns CURLOPT_PRIVATE of the handle while it runs.
 */
void curlev_add(struct curlev *, CURL *easy, curlev_done_fn *, void *arg);

/* Abort a running curlev_add() transfer: done() is not called; the easy
 * handle is taken out of the multi handle and the caller frees it.
 * Unknown or finished handles are ignored. */
void curlev_remove(struct curlev *, CURL *easy);

/*
 * For a transfer libcurl may block in: libcurl 7.88 waits in poll(),
 * inside curl_multi_socket_action(), for the SMTP server's reply to the
 * end of a message (up to CURLOPT_TIMEOUT) and to QUIT (up to 120 s, or
 * CURLOPT_SERVER_RESPONSE_TIMEOUT).  Such a transfer runs on curlev's
 * thread (started on first use), with every other one given here, on a
 * multi handle of their own; done() is still called on the loop, as for
 * curlev_add().  From this call until done(), the easy handle and
 * whatever its callbacks use belong to that thread: the caller must not
 * touch them, and stops the transfer with curlev_abort() only.
 */
void curlev_add_blocking(struct curlev *, CURL *easy, curlev_done_fn *,
    void *arg);

/* Stop a curlev_add_blocking() transfer.  Returns at once; done() is
 * still called, once, on the loop (rc CURLE_ABORTED_BY_CALLBACK, or the
 * real result if it ended first), when the thread has let go of the
 * handle: free things there.  Unknown or finished handles are ignored. */
void curlev_abort(struct curlev *, CURL *easy);

/* Transfers still running are removed (their done() is not called; the
 * owners still hold, and must free, their easy handles), except the
 * aborted blocking ones, whose done() runs now.  Waits for the thread,
 * which may be inside one of libcurl's blocking waits (bounded by the
 * transfers' timeouts).  Not from inside a done(). */
void curlev_free(struct curlev *);

/* The loop the transfers run on (for the senders' own events). */
struct event_base *curlev_base(struct curlev *);

/* Transfers started and not yet ended. */
unsigned curlev_running(struct curlev *);

/*
 * A short text for the log saying why a transfer failed at the
 * transport level (connect, name lookup, TLS, timeout, ...), e.g.
 * "connection refused (127.0.0.1 port 25)" or "certificate verify
 * failed: SSL certificate problem: unable to get local issuer
 * certificate".  `errbuf` is the handle's CURLOPT_ERRORBUFFER.
 */
void curlev_describe(CURL *easy, CURLcode rc, const char *errbuf,
    char *out, size_t len);

#endif /* TRAMON_CURLEV_H */
