/*
 * Monthly reports as documents to print: HTML (A4, one self-contained
 * file) and PDF (A4, pango + cairo).  Like report_fmt.h they only print
 * a report built by report_build(); the conf is for the graphs of the
 * month, drawn from state_dir/rrd/ID.rrd (NULL conf: no graphs).
 *
 * The graphs are drawn by graph.c (which serializes librrd and keeps it
 * in a child process): never call these from the event loop.
 */
#ifndef TRAMON_REPORT_DOC_H
#define TRAMON_REPORT_DOC_H

#include <stddef.h>

#include "report.h"
#include "report_fmt.h"

struct conf;

/* HTML5, UTF-8, CSS inline, graphs as data: URIs.  NUL-terminated, to
 * free(); *len = bytes (may be NULL). */
char *report_html(const struct report *, const struct conf *, size_t *len);

/* PDF, A4, text as text (selectable, Vietnamese diacritics), graphs
 * embedded.  To free(); NULL (logged) when cairo fails. */
unsigned char *report_pdf(const struct report *, const struct conf *,
    size_t *len);

/* The latency graph of target `i` over the report's period, PNG of
 * REPORT_GRAPH_W x REPORT_GRAPH_H pixels, to free(); NULL without an
 * RRD file (quietly) or when librrd fails (logged). */
#define REPORT_GRAPH_W 900
#define REPORT_GRAPH_H 260
unsigned char *report_graph(const struct report *, const struct conf *,
    size_t i, size_t *len);

#endif /* TRAMON_REPORT_DOC_H */
