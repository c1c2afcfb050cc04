/*
 * The journal: state_dir/journal/YYYY-MM.jsonl (month in daemon.timezone),
 * append-only, one JSON object per line:
 *
 *   {"time":"2026-11-26T21:36:47+07:00","ts":1795700207,"event":"state",
 *    "target":"tra-linh","from":"up","to":"down", ...}
 *
 * Every line goes out with a single write(2) before anyone acts on it
 * (so a crash of tramond cannot lose it), and is fdatasync'd by a worker
 * thread shortly after (so the loop never waits for the disk).
 * journal_when_durable() runs a callback once all lines written so far
 * are on disk.  A torn last line (power cut mid-write) is skipped by the
 * reader and sealed with a newline before the next append.
 */
#ifndef TRAMON_JOURNAL_H
#define TRAMON_JOURNAL_H

#include <time.h>

#include <jansson.h>

struct event_base;

int journal_open(struct event_base *, const char *state_dir);

/* Append `ev` (a JSON object; its reference is stolen).  "time" and "ts"
 * are set from `when` (0 = now).  0 ok, -1 logged error (the line is kept
 * in memory and retried on the next append). */
int journal_append(json_t *ev, time_t when);

/* Call fn(arg) on the loop once everything appended so far is durable. */
void journal_when_durable(void (*fn)(void *), void *arg);

/* Sync and close. */
void journal_close(void);

/*
 * Read one journal file, calling cb for every valid line (return nonzero
 * from cb to stop).  Lines that are not JSON objects are skipped and
 * counted in *skipped.  Returns 0, or -1 with errno if the file could not
 * be opened.
 */
typedef int journal_read_fn(void *arg, json_t *ev, unsigned lineno);
int journal_read(const char *path, journal_read_fn *cb, void *arg,
    unsigned *skipped);

/* "state_dir/journal/YYYY-MM.jsonl" for the month containing t (local). */
char *journal_path(const char *state_dir, time_t t);

#endif /* TRAMON_JOURNAL_H */
