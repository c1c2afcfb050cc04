/*
 * Monthly reports: formats.  Each takes a report built by report_build()
 * and only prints it, in the report's language; times are local to the
 * report's time zone.  HTML and PDF will sit beside these.
 */
#ifndef TRAMON_REPORT_FMT_H
#define TRAMON_REPORT_FMT_H

#include <stddef.h>

#include "report.h"

/* Plain text for a terminal: aligned columns (by characters shown, so
 * Vietnamese lines up), UTF-8.  NUL-terminated, to free(). */
char *report_text(const struct report *);

/*
 * CSV (RFC 4180: CRLF, quoted where needed), UTF-8 with a byte order
 * mark so that Excel reads Vietnamese: a head and one row per target,
 * a blank line, the outages, a blank line, the groups.  Durations in
 * seconds, times "YYYY-MM-DD HH:MM:SS" local.  *len = bytes.
 */
char *report_csv(const struct report *, size_t *len);

/* The body of the report's mail: the head, each group's availability,
 * the targets below reports.sla_pct (or that all met it), where the
 * full report is (`url`, or NULL).  NUL-terminated, to free(). */
char *report_summary(const struct report *, const char *url);

/* The figures of one table row as every format shows them. */
struct report_cells {
	char pct[48], mon[24], maint[24], down[24], unr[24], nd[24];
	char n[16], longest[24], mttr[24], lat[48], loss[48];
	int below;              /* under reports.sla_pct */
};
void report_fmt_cells(const struct report *, const struct report_figures *,
    struct report_cells *);

/* One outage's row as every format shows it (times local, durations
 * H:MM:SS, words in `lang`). */
struct report_outage_cells {
	char start[40], end[40], duration[24], counted[24], kind[160];
	const char *acked;
	char hint[200], note[400];
};
void report_fmt_outage_cells(int lang, const struct report_outage *,
    struct report_outage_cells *);

/* Shared by the formats. */
void report_fmt_hms(long seconds, char *buf, size_t len);   /* "743:00:00" */
void report_fmt_pct(int lang, double pct, char *buf, size_t len);
void report_fmt_kind(int lang, const struct report_outage *, char *buf,
    size_t len);
void report_fmt_hint(int lang, const struct report_outage *, char *buf,
    size_t len);
void report_fmt_note(int lang, const struct report_outage *, char *buf,
    size_t len);
const char *report_fmt_group(int lang, const char *group);
/* "03/2026" (vi) or "2026-03" (en); "below the 99% target". */
void report_fmt_month(const struct report *, char *buf, size_t len);
void report_fmt_sla(const struct report *, char *buf, size_t len);

/* Characters a terminal shows for UTF-8 `s` (combining marks 0, wide 2). */
size_t report_fmt_width(const char *s);

#endif /* TRAMON_REPORT_FMT_H */
