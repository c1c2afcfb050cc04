#include "config.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "buf.h"
#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatal("calloc");
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		fatalx("xreallocarray: overflow");
	p = realloc(old, (n && size) ? n * size : 1);
	if (p == NULL)
		fatal("realloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	return p;
}

int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
iso8601(time_t t, char *buf, size_t len)
{
	struct tm tm;
	char off[8];
	size_t n;

	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(off, sizeof(off), "%z", &tm);	/* +0700 -> +07:00 */
	if (n && strlen(off) == 5)
		snprintf(buf + n, len - n, "%.3s:%s", off, off + 3);
}

time_t
iso8601_parse(const char *s)
{
	struct tm tm;
	long off;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S%z", &tm) == NULL)
		return 0;
	/* timegm() resets tm_gmtoff: read it first */
	off = tm.tm_gmtoff;
	return timegm(&tm) - off;
}

int
fsync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd == -1)
		return -1;
	if (fsync(fd) == -1 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

/* A replacement that failed: its temporary file goes; errno stays. */
static int
give_up(char *tmp)
{
	int saved = errno;

	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

int
file_replace(const char *path, const void *data, size_t len, int durable)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, saved;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		goto fail;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto fail_close;
		}
		p += n;
		len -= (size_t)n;
	}
	if (durable && fdatasync(fd) == -1)
		goto fail_close;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_close;
	}
	if (rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	if (durable)
		return fsync_dir_of(path);
	return 0;

fail_close:
	saved = errno;
	if (fd != -1)
		close(fd);
	errno = saved;
fail:
	return give_up(tmp);
}

int
file_replace_made(const char *path, void (*make)(struct buf *, void *),
    void *arg, int durable)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	struct buf_sink sink = { .fd = -1 };
	struct buf b;

	sink.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (sink.fd == -1)
		goto fail;
	buf_init(&b);
	b.sink = &sink;
	make(&b, arg);
	buf_spill(&b);
	buf_free(&b);
	if (sink.err != 0) {
		close(sink.fd);
		errno = sink.err;
		goto fail;
	}
	if (durable && fdatasync(sink.fd) == -1) {
		int saved = errno;

		close(sink.fd);
		errno = saved;
		goto fail;
	}
	if (close(sink.fd) == -1 || rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	if (durable)
		return fsync_dir_of(path);
	return 0;

fail:
	return give_up(tmp);
}

int
mkdir_p(const char *path, mode_t mode)
{
	char *copy = xstrdup(path);
	char *p = copy;

	for (;;) {
		p += strspn(p, "/");
		p += strcspn(p, "/");
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST) {
			int e = errno;

			free(copy);
			errno = e;
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	/* EEXIST said only that something is there: a file where the
	 * directory should be would fail every write below it */
	{
		struct stat sb;

		if (stat(path, &sb) == -1)
			return -1;
		if (!S_ISDIR(sb.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	}
	return 0;
}

char *
file_read(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		free(buf);
		errno = e;
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

void
safe_filename(const char *name, char *out, size_t len)
{
	size_t i;

	if (len == 0)
		return;
	for (i = 0; name[i] && i + 1 < len; i++) {
		unsigned char c = (unsigned char)name[i];

		out[i] = (c < 0x80 && (c == '.' || c == '-' || c == '_' ||
		    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))) ? (char)c : '_';
	}
	out[i] = '\0';
	if (out[0] == '.')	/* no ".", "..", hidden files */
		out[0] = '_';
	if (out[0] == '\0' && len > 1) {
		out[0] = '_';
		out[1] = '\0';
	}
}

void
tz_enter(struct tz_save *z, const char *tz)
{
	const char *cur = getenv("TZ");

	memset(z, 0, sizeof(*z));
	if (tz == NULL || (cur && strcmp(cur, tz) == 0))
		return;
	z->old = cur ? xstrdup(cur) : NULL;
	z->switched = 1;
	setenv("TZ", tz, 1);
	tzset();
}

void
tz_leave(struct tz_save *z)
{
	if (!z->switched)
		return;
	if (z->old)
		setenv("TZ", z->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(z->old);
	z->old = NULL;
	z->switched = 0;
}

/* "NAME.tmp.PID", file_replace()'s, of a process that is not this one. */
static int
is_leftover(const char *name)
{
	const char *t = strstr(name, ".tmp.");
	char *end;
	long pid;

	if (t == NULL || t == name)
		return 0;
	errno = 0;
	pid = strtol(t + 5, &end, 10);
	return errno == 0 && end != t + 5 && *end == '\0' && pid > 0 &&
	    pid != (long)getpid();
}

unsigned
remove_leftovers(const char *dir, int depth)
{
	unsigned n = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *path;
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0) {
			if (S_ISDIR(sb.st_mode) && depth > 0)
				n += remove_leftovers(path, depth - 1);
			else if (S_ISREG(sb.st_mode) &&
			    is_leftover(de->d_name) && unlink(path) == 0)
				n++;
		}
		free(path);
	}
	closedir(d);
	return n;
}

void
malloc_arenas(void)
{
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
	/* Each thread that allocates gets an arena of its own, which keeps
	 * its peak: at 10,000 targets the state saver's and the render's
	 * held 50 of tramond's 126 MB.  One for all: the threads seldom
	 * allocate at the same time, and small blocks come from each
	 * thread's cache without the lock (10,000 targets: 60 MB steady
	 * with one, 67 with two, the echoes no later). */
	mallopt(M_ARENA_MAX, 1);
#endif
}

void
heap_release(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}
