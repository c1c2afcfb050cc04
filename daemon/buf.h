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
	struct buf_sink *sink;	/* NULL: everything stays in memory */
};

/*
 * A buffer with a sink holds at most about BUF_SPILL bytes: past that
 * what it holds is written to the sink's file and dropped, so a page of
 * 10,000 targets (16 MB) is never whole in memory.  A failed write is
 * kept in `err` (the first errno) and what follows is dropped.
 */
#define BUF_SPILL	(256 * 1024)

struct buf_sink {
	int fd;
	int err;
	/* instead of the file, when set: takes the bytes (/metrics into
	 * the reply's evbuffer); -1 and errno on failure */
	int (*put)(void *arg, const char *p, size_t n);
	void *arg;
};

void buf_init(struct buf *);
/* Write what the buffer holds to its sink (at the end of a document). */
void buf_spill(struct buf *);
void buf_free(struct buf *);
void buf_add(struct buf *, const char *);
void buf_addn(struct buf *, const char *, size_t);
/* Formatted straight into the buffer: no temporary copy. */
void buf_printf(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* TRAMON_BUF_H */
