/*
 * Small helpers shared by the core: allocation that cannot fail (it
 * exits), clocks, durable file replacement, ISO-8601 times.
 */
#ifndef TRAMON_UTIL_H
#define TRAMON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Nanoseconds on CLOCK_MONOTONIC (scheduling) and CLOCK_REALTIME. */
int64_t mono_ns(void);
int64_t wall_ns(void);

/* "2026-11-26T21:36:47+07:00" in the local time zone (TZ). */
void iso8601(time_t t, char *buf, size_t len);
/* The time an iso8601() text (the journal's) stands for; 0 if `s` is
 * NULL or not one. */
time_t iso8601_parse(const char *s);

/* Run with TZ set to `tz` (mktime, localtime in a configured zone), then
 * back as it was; `tz` NULL: no change.  Not thread-safe (setenv). */
struct tz_save {
	char *old;
	int switched;
};
void tz_enter(struct tz_save *, const char *tz);
void tz_leave(struct tz_save *);

/*
 * Replace `path` durably: write `len` bytes to a temporary file in the
 * same directory, fsync it, rename it over `path`, then fsync the
 * directory (when `durable`), so that after a power cut the file is
 * either the old or the new version, never torn.  0 ok, -1 errno set.
 */
int file_replace(const char *path, const void *data, size_t len, int durable);

/* file_replace() of a document that make(b, arg) writes into a buffer
 * spilling into the new file as it grows (buf.h): a page or a state
 * file of megabytes is never whole in memory.  0 ok, -1 errno set. */
struct buf;
int file_replace_made(const char *path, void (*make)(struct buf *, void *),
    void *arg, int durable);

/* fsync the directory holding `path` (so a rename in it survives). */
int fsync_dir_of(const char *path);

/* mkdir -p with `mode`; 0 ok, -1 errno set. */
int mkdir_p(const char *path, mode_t mode);

/* Read a whole file (NUL-terminated); NULL and errno on failure. */
char *file_read(const char *path, size_t *len);

/* Remove the temporary files file_replace() of an earlier process left
 * in `dir` (killed between write and rename), `depth` levels down.
 * Returns how many. */
unsigned remove_leftovers(const char *dir, int depth);

/* Make `name` safe as one path component: keeps [A-Za-z0-9._-],
 * replaces anything else with '_', never "." or "..".  */
void safe_filename(const char *name, char *out, size_t len);

/*
 * glibc's malloc, tuned for a daemon that runs for years: malloc_arenas()
 * (once, before any thread) has every thread share one arena, and
 * heap_release() gives back to the system what a
 * big job (a render, a save of 10,000 states) left free.  Both do
 * nothing with another libc.
 */
void malloc_arenas(void);
void heap_release(void);

#endif /* TRAMON_UTIL_H */
