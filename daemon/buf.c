#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "util.h"

void
buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->sink = NULL;
}

void
buf_spill(struct buf *b)
{
	struct buf_sink *k = b->sink;
	const char *p = b->p;
	size_t n = b->len;

	if (k == NULL || n == 0)
		return;
	if (k->put != NULL && k->err == 0 && k->put(k->arg, p, n) == -1)
		k->err = errno ? errno : EIO;
	while (k->put == NULL && n > 0 && k->err == 0) {
		ssize_t w = write(k->fd, p, n);

		if (w == -1) {
			if (errno != EINTR)
				k->err = errno;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	b->len = 0;
	b->p[0] = '\0';
}

static void
maybe_spill(struct buf *b)
{
	if (b->sink != NULL && b->len >= BUF_SPILL)
		buf_spill(b);
}

void
buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

/* Room for `n` more bytes and the NUL. */
static void
reserve(struct buf *b, size_t n)
{
	size_t cap;

	if (b->p != NULL && b->cap - b->len > n)
		return;
	if (n >= SIZE_MAX / 4 - b->len)
		fatalx("buf: too large");
	for (cap = b->cap ? b->cap : 4096; cap - b->len <= n; cap *= 2)
		;
	b->p = xreallocarray(b->p, cap, 1);
	b->cap = cap;
}

void
buf_addn(struct buf *b, const char *s, size_t n)
{
	reserve(b, n);
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	maybe_spill(b);
}

void
buf_add(struct buf *b, const char *s)
{
	buf_addn(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	reserve(b, 0);
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatal("vsnprintf");
		if ((size_t)n < b->cap - b->len)
			break;
		reserve(b, (size_t)n);
	}
	b->len += (size_t)n;
	maybe_spill(b);
}
