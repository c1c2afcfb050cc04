/*
 * Sending one composed mail through the configured SMTP server with
 * libcurl, without blocking the loop: the sessions share curlev's multi
 * handle for blocking transfers, on its thread (libcurl 7.88 waits in
 * poll() for the replies to the end of the message and to QUIT; see
 * curlev.h), and their results come back to the loop.
 *
 * The message is sent as given (RFC 5322, CRLF line ends, headers
 * already encoded): libcurl only adds the SMTP dot-stuffing.  One
 * connection per message (no reuse): alerts are rare, and a fresh
 * session keeps each message's outcome its own.
 */
#ifndef TRAMON_SMTP_H
#define TRAMON_SMTP_H

#include <stddef.h>

struct curlev;
struct smtp_conf;

/*
 * The outcome of a delivery, a mail's or a webhook's (webhook.h uses
 * the same type).
 *
 * `permanent` means: this message will never be accepted as it is, so
 * retrying it is pointless; it is set only when the receiving side
 * refused the message itself:
 *   - SMTP: a 5xx reply to RCPT TO (except 552, which RFC 5321 4.5.3.1.10
 *     says to treat as temporary), to DATA, or to the end of the
 *     message; an address tramon itself finds malformed;
 *   - HTTP: a 4xx status other than 408 and 429.
 * Everything else is temporary, including failures that need the
 * administrator (wrong password, certificate not trusted, STARTTLS
 * required but not offered, sender address refused): once fixed, the
 * same message goes through, so the outbox keeps it and retries, and the
 * log says why it waits.  Connection errors, timeouts and 4xx replies
 * are temporary.
 *
 * With several recipients, one refused recipient fails the whole
 * message (nothing is sent to the others); send one message per
 * recipient for independent outcomes.
 */
struct smtp_result {
	int ok;             /* accepted by the server (webhook: 2xx) */
	int permanent;      /* retrying will not help (see above) */
	long reply;         /* last SMTP reply code or HTTP status, 0 = none */
	char error[256];    /* why not ok, for the log; "" when ok */
};

typedef void smtp_done_fn(void *arg, const struct smtp_result *);

struct smtp_job;

/*
 * Send `msg` (`len` bytes, CRLF line ends) to `rcpt` (NULL-terminated
 * bare addresses) with the envelope sender `mail_from` (a bare address),
 * per `conf`:
 *   - smtp:// with STARTTLS none/try/required, or smtps:// (implicit TLS);
 *   - AUTH when conf->username is set, with `password` (read by the
 *     caller: smtp_read_password());
 *   - certificate verification always on, conf->ca_file as the CA bundle
 *     when set;
 *   - conf->timeout seconds for the connection and for the whole
 *     session.
 * done() is called once, on the loop, never from inside smtp_send(); the
 * job is gone after it.  Everything is copied, `msg` included.  Every
 * wait (connection, each reply, the whole session) is bounded by
 * conf->timeout.
 * STARTTLS "try" with a username is taken as "required": libcurl would
 * otherwise send the password in clear text to a server that does not
 * offer STARTTLS (or to whoever strips it from the EHLO reply); a plain
 * text login needs starttls = "none", said on purpose.
 */
struct smtp_job *smtp_send(struct curlev *, const struct smtp_conf *,
    const char *password, const char *mail_from, const char *const *rcpt,
    const char *msg, size_t len, smtp_done_fn *, void *arg);

/* Abort: the connection is dropped (as soon as libcurl lets go of it, on
 * its thread), done() is not called; the job is gone. */
void smtp_cancel(struct smtp_job *);

/*
 * Read a password file: its first line, without the trailing CR/LF.
 * Warns if the file is readable by others.  0 with *out (the caller
 * frees it), or -1 with a message in err.
 */
int smtp_read_password(const char *path, char **out, char *err,
    size_t errlen);

#endif /* TRAMON_SMTP_H */
