/*
 * The journal reader (daemon/journal.c) and what is built on it: a
 * journal on disk may end torn (power cut), be damaged, or be edited by
 * hand.  The input is written as journal files and read back with
 * journal_read(), then the monthly report is built from them
 * (report_build(): the replay of every event kind) and formatted.
 *
 * The input is split at form feeds (never valid in a JSON line): the
 * first part is March 2026's file, the second February's, the third
 * April's, so that the month boundaries and the look-back are reached.
 *
 * Checked: lines given to the callback plus lines skipped never exceed
 * the lines of the file; every event given is a JSON object.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "i18n.h"
#include "journal.h"
#include "log.h"
#include "report.h"
#include "report_fmt.h"
#include "util.h"
#include "fuzz.h"

static char dir[] = "/tmp/tramon-fuzz-journal-XXXXXX";
static char *jdir;

enum { N = 4 };
static struct target_def defs[N];
static struct conf conf = { .targets = defs, .ntargets = N,
	.name = "Huyện Nam Trà My", .timezone = "Asia/Ho_Chi_Minh",
	.reports_present = 1, .reports = { .sla_pct = 99.9 } };

/* March 2026 and April 2026 in Asia/Ho_Chi_Minh */
#define MAR 1772298000L
#define APR 1774976400L

struct count {
	unsigned lines;
	unsigned last;
};

static int
count_one(void *arg, json_t *ev, unsigned lineno)
{
	struct count *c = arg;

	FUZZ_CHECK(json_is_object(ev), "not an object at line %u", lineno);
	FUZZ_CHECK(lineno > c->last, "line %u after %u", lineno, c->last);
	c->last = lineno;
	c->lines++;
	return 0;
}

static void put(const char *, const uint8_t *, size_t);

/* libFuzzer ends with exit(): leave no directory behind */
static void
cleanup(void)
{
	put("2026-02.jsonl", NULL, 0);
	put("2026-03.jsonl", NULL, 0);
	put("2026-04.jsonl", NULL, 0);
	rmdir(jdir);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *ids[N] = { "wan", "tra-linh", "sw-cang",
		"tra-cang" };
	static const char *groups[N] = { "Hạ tầng", "Điểm cầu", "Hạ tầng",
		"" };
	static const int parents[N] = { -1, 0, -1, 2 };

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	jdir = xasprintf("%s/journal", dir);
	mkdir_p(jdir, 0750);
	for (int i = 0; i < N; i++) {
		defs[i].pub.id = ids[i];
		defs[i].pub.name = ids[i];
		defs[i].group = (char *)groups[i];
		defs[i].parent = parents[i];
		defs[i].parent_id = parents[i] >= 0 ?
		    (char *)ids[parents[i]] : NULL;
	}
	conf.state_dir = dir;
	conf.language = LANG_VI;
	setenv("TZ", conf.timezone, 1);
	tzset();
	/* the report logs what it skips: not news here */
	log_init(1, LOG_ERR, "fuzz_journal");
	atexit(cleanup);
	return 0;
}

static void
put(const char *name, const uint8_t *data, size_t size)
{
	char *path = xasprintf("%s/%s", jdir, name);
	int fd;

	if (data == NULL) {
		unlink(path);
		free(path);
		return;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, size) != (ssize_t)size) {
		perror(path);
		abort();
	}
	close(fd);
	free(path);
}

static unsigned
lines_of(const uint8_t *data, size_t size)
{
	unsigned n = 0;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size > 0 && data[size - 1] != '\n');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[3] = { "2026-03.jsonl", "2026-02.jsonl",
		"2026-04.jsonl" };
	const uint8_t *part[3] = { NULL, NULL, NULL };
	size_t len[3] = { 0, 0, 0 };
	const uint8_t *p = data, *end = data + size;
	struct count c = { 0, 0 };
	unsigned skipped = 0;
	struct report *r;
	char *path, *text;
	size_t csvlen;

	for (int i = 0; i < 3; i++) {
		const uint8_t *ff = memchr(p, '\f', (size_t)(end - p));

		part[i] = p;
		len[i] = ff ? (size_t)(ff - p) : (size_t)(end - p);
		if (ff == NULL)
			break;
		p = ff + 1;
	}
	for (int i = 0; i < 3; i++)
		put(names[i], part[i], len[i]);

	path = xasprintf("%s/%s", jdir, names[0]);
	FUZZ_CHECK(journal_read(path, count_one, &c, &skipped) == 0,
	    "cannot read %s", path);
	free(path);
	FUZZ_CHECK(c.lines + skipped <= lines_of(part[0], len[0]),
	    "%u lines and %u skipped of %u", c.lines, skipped,
	    lines_of(part[0], len[0]));

	/* a month over, and one still going */
	r = report_build(&conf, 2026, 3, APR + 5 * 86400L);
	FUZZ_CHECK(r != NULL, "no report");
	text = report_text(r);
	free(text);
	text = report_csv(r, &csvlen);
	free(text);
	report_free(r);
	r = report_build(&conf, 2026, 3, MAR + 14 * 86400L);
	FUZZ_CHECK(r != NULL, "no report");
	report_free(r);
	return 0;
}
