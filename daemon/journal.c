#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "journal.h"
#include "log.h"
#include "util.h"
#include "worker.h"

/* Lines that could not be written yet (disk full, ...), retried. */
struct backlog {
	char *line;
	size_t len;
	time_t when;
	struct backlog *next;
};

struct waiter {
	unsigned long gen;      /* durable once this many lines are synced */
	void (*fn)(void *);
	void *arg;
	struct waiter *next;
};

struct sync_job {
	int fd;                 /* a dup of the journal fd */
	unsigned long gen;      /* lines written when the sync was asked */
	int err;
};

static struct {
	struct event_base *base;
	char *dir;
	char *path;             /* file open now */
	int fd;
	struct worker *syncer;
	unsigned long written;  /* lines written (write(2) done) */
	unsigned long synced;   /* lines known durable */
	int syncing;            /* a sync job is running */
	int resync;             /* more lines came while it ran */
	int closing;            /* journal_close() syncs the rest itself */
	struct backlog *backlog, **backlog_tail;
	struct waiter *waiters;
	struct event *retry;
	int complained;
} J = { .fd = -1 };

char *
journal_path(const char *state_dir, time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return xasprintf("%s/journal/%04d-%02d.jsonl", state_dir,
	    tm.tm_year + 1900, tm.tm_mon + 1);
}

/* A power cut can leave a torn last line: end it, so the next line is
 * whole and the fragment stays a line of its own the reader skips. */
static int
seal_torn_line(int fd)
{
	struct stat st;
	char c;

	if (fstat(fd, &st) == -1 || st.st_size == 0)
		return 0;
	if (pread(fd, &c, 1, st.st_size - 1) != 1)
		return -1;
	if (c == '\n')
		return 0;
	log_warnx("journal: last line was torn (power loss?); sealed");
	return write(fd, "\n", 1) == 1 ? 0 : -1;
}

static int
open_for(time_t when)
{
	char *path = journal_path(J.dir, when);
	int fd;

	if (J.path && strcmp(J.path, path) == 0) {
		free(path);
		return 0;
	}
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1 || seal_torn_line(fd) == -1) {
		if (!J.complained++)
			log_warn("journal: %s", path);
		if (fd != -1)
			close(fd);
		free(path);
		return -1;
	}
	if (J.fd != -1) {
		fdatasync(J.fd);	/* month change: once a month */
		close(J.fd);
	}
	free(J.path);
	J.path = path;
	J.fd = fd;
	fsync_dir_of(path);
	return 0;
}

static void
sync_run(void *arg)
{
	struct sync_job *job = arg;

	job->err = fdatasync(job->fd) == -1 ? errno : 0;
	close(job->fd);
}

static void request_sync(void);

static void
notify_waiters(void)
{
	struct waiter **wp = &J.waiters;

	while (*wp) {
		struct waiter *w = *wp;

		if (w->gen <= J.synced) {
			*wp = w->next;
			w->fn(w->arg);
			free(w);
		} else
			wp = &w->next;
	}
}

static void
sync_done(void *arg)
{
	struct sync_job *job = arg;

	J.syncing = 0;
	if (job->err)
		log_warnx("journal: fdatasync: %s", strerror(job->err));
	else if (job->gen > J.synced)
		J.synced = job->gen;
	free(job);
	notify_waiters();
	if (J.resync) {
		J.resync = 0;
		request_sync();
	}
}

static void
request_sync(void)
{
	struct sync_job *job;
	int fd;

	if (J.syncing) {
		J.resync = 1;
		return;
	}
	/* the last completion runs inside worker_free(): no new job */
	if (J.closing || J.fd == -1 || (fd = dup(J.fd)) == -1)
		return;
	job = xcalloc(1, sizeof(*job));
	job->fd = fd;
	job->gen = J.written;
	J.syncing = 1;
	worker_submit(J.syncer, sync_run, sync_done, job);
}

static int
write_line(const char *line, size_t len, time_t when)
{
	const char *p = line;

	if (open_for(when) == -1)
		return -1;
	while (len > 0) {
		ssize_t n = write(J.fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (!J.complained++)
				log_warn("journal: write %s", J.path);
			if (p != line && write(J.fd, "\n", 1) == -1) {
				/* the reader skips the fragment anyway */
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	J.written++;
	return 0;
}

/* Write what is waiting, oldest first; stop at the first failure. */
static int
flush_backlog(void)
{
	while (J.backlog) {
		struct backlog *b = J.backlog;

		if (write_line(b->line, b->len, b->when) == -1)
			return -1;
		J.backlog = b->next;
		if (J.backlog == NULL)
			J.backlog_tail = &J.backlog;
		free(b->line);
		free(b);
	}
	if (J.complained) {
		log_info("journal: writing again");
		J.complained = 0;
	}
	return 0;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (flush_backlog() == 0)
		request_sync();
	else {
		struct timeval tv = { 10, 0 };

		evtimer_add(J.retry, &tv);
	}
}

int
journal_open(struct event_base *base, const char *state_dir)
{
	char *dir = xasprintf("%s/journal", state_dir);

	if (mkdir_p(dir, 0750) == -1) {
		log_warn("journal: %s", dir);
		free(dir);
		return -1;
	}
	free(dir);
	J.base = base;
	J.dir = xstrdup(state_dir);
	J.syncer = worker_new(base, "tm-journal");
	J.backlog_tail = &J.backlog;
	J.retry = evtimer_new(base, retry_cb, NULL);
	return open_for(time(NULL));
}

int
journal_append(json_t *ev, time_t when)
{
	json_t *line = json_object();
	char stamp[40];
	char *text;
	size_t len;
	struct backlog *b;

	if (when == 0)
		when = time(NULL);
	iso8601(when, stamp, sizeof(stamp));
	json_object_set_new(line, "time", json_string(stamp));
	json_object_set_new(line, "ts", json_integer((json_int_t)when));
	json_object_update(line, ev);
	json_decref(ev);
	text = json_dumps(line, JSON_COMPACT);
	json_decref(line);
	if (text == NULL) {
		log_warnx("journal: cannot encode an event (invalid UTF-8?)");
		return -1;
	}
	len = strlen(text);
	b = xcalloc(1, sizeof(*b));
	b->line = xreallocarray(text, len + 2, 1);
	b->line[len++] = '\n';
	b->line[len] = '\0';
	b->len = len;
	b->when = when;
	*J.backlog_tail = b;
	J.backlog_tail = &b->next;

	if (flush_backlog() == -1) {
		struct timeval tv = { 10, 0 };

		if (!evtimer_pending(J.retry, NULL))
			evtimer_add(J.retry, &tv);
		return -1;
	}
	request_sync();
	return 0;
}

void
journal_when_durable(void (*fn)(void *), void *arg)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->gen = J.written;
	w->fn = fn;
	w->arg = arg;
	w->next = J.waiters;
	J.waiters = w;
	notify_waiters();
}

void
journal_close(void)
{
	if (J.syncer == NULL)
		return;
	flush_backlog();
	J.closing = 1;
	worker_free(J.syncer);	/* runs the last sync's completion */
	J.syncer = NULL;
	J.closing = 0;
	if (J.fd != -1) {
		if (fdatasync(J.fd) == 0)
			J.synced = J.written;
		close(J.fd);
		J.fd = -1;
	}
	notify_waiters();
	while (J.backlog) {
		struct backlog *b = J.backlog;

		log_warnx("journal: lost an event that could not be written: "
		    "%.*s", (int)b->len - 1, b->line);
		J.backlog = b->next;
		free(b->line);
		free(b);
	}
	while (J.waiters) {
		struct waiter *w = J.waiters;

		J.waiters = w->next;
		free(w);
	}
	event_free(J.retry);
	free(J.path);
	free(J.dir);
	memset(&J, 0, sizeof(J));
	J.fd = -1;
}

int
journal_read(const char *path, journal_read_fn *cb, void *arg,
    unsigned *skipped)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;

	if (skipped)
		*skipped = 0;
	if (f == NULL)
		return -1;
	while ((n = getline(&line, &cap, f)) != -1) {
		json_t *ev;
		json_error_t err;

		lineno++;
		if (n <= 1 && (n == 0 || line[0] == '\n'))
			continue;	/* an empty line is not news */
		ev = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &err);
		if (ev == NULL || !json_is_object(ev)) {
			if (skipped)
				(*skipped)++;
			json_decref(ev);
			continue;
		}
		n = cb(arg, ev, lineno);
		json_decref(ev);
		if (n)
			break;
	}
	free(line);
	fclose(f);
	return 0;
}
