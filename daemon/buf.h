/*
 * A growing text buffer: pages, /metrics, reports.  Always
 * NUL-terminated once anything was added; an allocation failure is fatal
 * (xmalloc's rule).
 */
#ifndef TRAMON_BUF_H
#define TRAMON_BUF_H

#include <stddef.h>

struct buf {
	char *p;		/* NULL until something is added */
	size_t len, cap;
};

void buf_init(struct buf *);
void buf_free(struct buf *);
void buf_add(struct buf *, const char *);
void buf_addn(struct buf *, const char *, size_t);
/* Formatted straight into the buffer: no temporary copy. */
void buf_printf(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* TRAMON_BUF_H */
