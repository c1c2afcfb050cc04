/*
 * Alert mails, composed whole: an RFC 5322 message with CRLF line ends,
 * 7-bit clean (RFC 2047 "B" words in headers, quoted-printable bodies,
 * UTF-8), handed unchanged to libcurl's SMTP upload (CURLOPT_READFUNCTION
 * with CURLOPT_UPLOAD).  libcurl encodes no header and adds no Date or
 * Message-ID, so everything is done here.  Pure functions: no I/O, no
 * libcurl, safe on any thread.
 */
#ifndef TRAMON_MAILMSG_H
#define TRAMON_MAILMSG_H

#include <stddef.h>
#include <time.h>

/* A file sent along (a monthly report): base64, "attachment". */
struct mail_attachment {
	const char *filename;    /* [A-Za-z0-9._-], 1 to 100 characters */
	const char *type;        /* "application/pdf", "text/csv; charset=UTF-8" */
	const void *data;
	size_t len;
};

struct mail_msg {
	const char *from;        /* "Giám sát mạng <canhbao@example.gov.vn>", "a@b" */
	const char *const *to;   /* NULL-terminated; "a@b" or "Name <a@b>" */
	const char *subject;     /* UTF-8, any length; NULL = empty */
	const char *text;        /* UTF-8 body, LF line ends; NULL = empty */
	const char *html;        /* HTML alternative; NULL or "" = text only */
	time_t date;             /* Date: in the local TZ; 0 = now */
	const char *message_id;  /* without <> ("seq.target@host") */
	const char *references;  /* id (no <>) this one follows up, or NULL */
	const char *late_note;   /* non-empty: "X-Tramon-Delivered-Late: yes" */
	const struct mail_attachment *attach;   /* nattach of them */
	size_t nattach;
};

/*
 * The whole message, CRLF line ends, every line <= 998 octets, header
 * lines folded at 78 where possible, all bytes 7-bit.  multipart/
 * alternative when html is set; multipart/mixed with attachments (the
 * text, or the alternative, first).  Returns a malloc'd NUL-terminated text
 * and its length in *len, or NULL with a message in err (bad address,
 * bad message id, no recipient).
 */
char *mail_compose(const struct mail_msg *, size_t *len, char *err,
    size_t errlen);

/*
 * RFC 2047 encoding of one header value: printable ASCII without "=?" is
 * returned unchanged; anything else becomes "=?UTF-8?B?...?=" words of at
 * most 75 characters, split only between UTF-8 characters, joined with
 * CRLF SP.  `used`: columns already taken on the first line (e.g.
 * strlen("Subject: ")), so that it stays within 78.  malloc'd.
 */
char *mail_rfc2047(const char *utf8, size_t used);

/*
 * The bare address of "Name <a@b>" or "a@b" into out ("a@b"), for MAIL
 * FROM and RCPT TO.  0, or -1 if it is not a plausible addr-spec (one @,
 * ASCII, no spaces, control characters or specials, non-empty local part
 * and domain, <= 254 octets) or does not fit in outlen.
 */
int mail_addr_spec(const char *addr, char *out, size_t outlen);

/*
 * A stable Message-ID (no <>) for a notification, the same on every
 * retry: "YYYYmmddTHHMMSS.<seq>.<target or 'tramon'>@<host>", the time in
 * UTC (so a TZ change between retries keeps it), host the domain of
 * `from` (fallback "tramon.invalid").  malloc'd.
 */
char *mail_message_id(time_t created, unsigned long long seq,
    const char *target, const char *from);

/* Building blocks, exposed for the tests.  malloc'd, NUL-terminated. */
char *mail_base64(const void *, size_t, size_t *outlen);
/* Quoted-printable (RFC 2045 6.7): LF in = CRLF out, lines <= 76. */
char *mail_qp(const char *, size_t, size_t *outlen);

#endif /* TRAMON_MAILMSG_H */
