/*
 * Webhooks: an HTTP(S) POST of a JSON document, on the shared curl multi
 * handle (curlev.h), without blocking the loop.
 *
 * The outcome is a struct smtp_result (smtp.h), the same as a mail's, so
 * that the outbox treats both alike: ok on a 2xx status; permanent on a
 * 4xx other than 408 (timeout) and 429 (too many requests); reply is the
 * HTTP status (0 if no response came); error says why, with the status,
 * its reason and the first bytes of the answer, e.g.
 * "HTTP 404 Not Found: no such hook", or the transport's trouble
 * ("connection refused (127.0.0.1 port 8080)", "certificate verify
 * failed: ...").  Redirects are not followed (a 3xx is a temporary
 * failure: the URL wants fixing, and a POST must not wander).
 */
#ifndef TRAMON_WEBHOOK_H
#define TRAMON_WEBHOOK_H

#include "smtp.h"

struct curlev;
struct webhook_job;

/*
 * POST `json` (UTF-8, copied) to `url` (http:// or https://) with
 * "Content-Type: application/json; charset=utf-8".  Certificates are
 * always verified, against `ca_file` when it is set (NULL or "" = the
 * system's CAs).  `timeout` seconds for the connection and for the whole
 * request.  done() is called once, on the loop, never from inside
 * webhook_post().
 */
struct webhook_job *webhook_post(struct curlev *, const char *url,
    const char *ca_file, int timeout, const char *json, smtp_done_fn *,
    void *arg);

/* Abort: done() is not called. */
void webhook_cancel(struct webhook_job *);

#endif /* TRAMON_WEBHOOK_H */
