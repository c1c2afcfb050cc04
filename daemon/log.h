/*
 * Logging to syslog or stderr, in the OpenBSD daemons' vocabulary:
 * log_warn() appends strerror(errno), log_warnx() does not; fatal()
 * and fatalx() log and exit(1).
 */
#ifndef TRAMON_LOG_H
#define TRAMON_LOG_H

#include <stdarg.h>
#include <syslog.h>

#define PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_init(int to_stderr, int level, const char *ident);
void log_setlevel(int level);       /* LOG_ERR ... LOG_DEBUG */
int  log_getlevel(void);
void log_to_stderr(int on);

void log_vmsg(int priority, const char *fmt, va_list ap) PRINTF(2, 0);
void log_msg(int priority, const char *fmt, ...) PRINTF(2, 3);
void log_warn(const char *fmt, ...) PRINTF(1, 2);
void log_warnx(const char *fmt, ...) PRINTF(1, 2);
void log_info(const char *fmt, ...) PRINTF(1, 2);
void log_debug(const char *fmt, ...) PRINTF(1, 2);
void fatal(const char *fmt, ...) PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) PRINTF(1, 2) __attribute__((noreturn));

/*
 * A message that can repeat every round (a full disk: every page, every
 * graph) is logged at most once per `interval_s` seconds per limiter;
 * the next one says how many were left out.  Not thread-safe: one
 * limiter per thread (or under the caller's lock).
 *
 *	static struct log_limit lim;
 *	if (log_limited(&lim, 600, &dropped))
 *		log_warn("web: %s (%lu like it not logged)", path, dropped);
 */
struct log_limit {
	long long next;         /* mono_ns() before which nothing is said */
	unsigned long dropped;
};
int log_limited(struct log_limit *, int interval_s, unsigned long *dropped);

/* Map "debug" | "info" | "warning" | "error" to a priority, or -1. */
int log_level_parse(const char *name);

#endif /* TRAMON_LOG_H */
