/* The journal: appends, durability callbacks, torn lines, month files. */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "journal.h"
#include "test.h"
#include "util.h"

static char dir[] = "/tmp/tramon-journal-XXXXXX";
static struct event_base *base;

static int durable_calls;

static void
durable(void *arg)
{
	(void)arg;
	durable_calls++;
}

/* Run the loop until the journal's worker has answered (bounded). */
static void
settle(void)
{
	for (int i = 0; i < 200 && durable_calls == 0; i++) {
		struct timeval tv = { 0, 10000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

struct seen {
	unsigned n;
	char events[8][32];
	json_int_t ts[8];
};

static int
collect(void *arg, json_t *ev, unsigned lineno)
{
	struct seen *s = arg;
	const char *e = json_string_value(json_object_get(ev, "event"));

	(void)lineno;
	if (s->n < 8) {
		snprintf(s->events[s->n], sizeof(s->events[0]), "%s",
		    e ? e : "?");
		s->ts[s->n] = json_integer_value(json_object_get(ev, "ts"));
	}
	s->n++;
	return 0;
}

DEF_TEST(append_and_read_back)
{
	time_t when = 1795700000;	/* 2026-11-26 20:33:20 +07 */
	char *path = journal_path(dir, when);
	struct seen s = { 0 };
	unsigned skipped = 99;
	char *text;

	EXPECT_CONTAINS(path, "/journal/2026-11.jsonl");
	EXPECT_EQ_INT(0, journal_open(base, dir));
	EXPECT_EQ_INT(0, journal_append(json_pack("{s:s, s:s, s:s, s:s}",
	    "event", "state", "target", "tra-linh", "from", "up", "to",
	    "down"), when));
	EXPECT_EQ_INT(0, journal_append(json_pack("{s:s, s:s}", "event",
	    "note", "text", "Xã Trà Linh"), when + 1));
	journal_when_durable(durable, NULL);
	settle();
	EXPECT_EQ_INT(1, durable_calls);

	EXPECT_EQ_INT(0, journal_read(path, collect, &s, &skipped));
	EXPECT_EQ_INT(2, s.n);
	EXPECT_EQ_INT(0, skipped);
	EXPECT_EQ_STR("state", s.events[0]);
	EXPECT_EQ_INT(when, s.ts[0]);
	text = file_read(path, NULL);
	/* time first, in the configured zone; UTF-8 kept as is */
	EXPECT_CONTAINS(text, "{\"time\":\"2026-11-26T20:33:20+07:00\","
	    "\"ts\":1795700000,\"event\":\"state\"");
	EXPECT_CONTAINS(text, "Xã Trà Linh");
	free(text);
	journal_close();
	free(path);
	return 0;
}

DEF_TEST(torn_last_line_is_skipped_and_sealed)
{
	time_t when = 1795700100;
	char *path = journal_path(dir, when);
	struct seen s = { 0 };
	unsigned skipped = 0;
	int fd;

	/* a power cut in the middle of a line */
	fd = open(path, O_WRONLY | O_APPEND);
	EXPECT_TRUE(fd != -1);
	EXPECT_EQ_INT(20, write(fd, "{\"time\":\"2026-11-26T", 20));
	close(fd);

	EXPECT_EQ_INT(0, journal_read(path, collect, &s, &skipped));
	EXPECT_EQ_INT(2, s.n);
	EXPECT_EQ_INT(1, skipped);

	/* the next start seals it; the new line stays whole */
	durable_calls = 0;
	EXPECT_EQ_INT(0, journal_open(base, dir));
	EXPECT_EQ_INT(0, journal_append(json_pack("{s:s}", "event", "start"),
	    when));
	journal_when_durable(durable, NULL);
	settle();
	journal_close();
	memset(&s, 0, sizeof(s));
	EXPECT_EQ_INT(0, journal_read(path, collect, &s, &skipped));
	EXPECT_EQ_INT(3, s.n);
	EXPECT_EQ_INT(1, skipped);
	EXPECT_EQ_STR("start", s.events[2]);
	free(path);
	return 0;
}

DEF_TEST(garbage_lines_are_counted)
{
	char *path = xasprintf("%s/garbage.jsonl", dir);
	const char *text = "{\"event\":\"a\"}\nnot json\n[1,2]\n\n"
	    "{\"event\":\"b\"}\n\xff\xfe\n";
	struct seen s = { 0 };
	unsigned skipped;

	EXPECT_EQ_INT(0, file_replace(path, text, strlen(text), 0));
	EXPECT_EQ_INT(0, journal_read(path, collect, &s, &skipped));
	EXPECT_EQ_INT(2, s.n);
	EXPECT_EQ_INT(3, skipped);
	EXPECT_EQ_INT(-1, journal_read("/nonexistent/x.jsonl", collect, &s,
	    &skipped));
	free(path);
	return 0;
}

DEF_TEST(month_in_local_time)
{
	/* 2026-11-30 17:30 UTC is already December in Vietnam */
	char *p = journal_path("/s", 1796059800);

	EXPECT_EQ_STR("/s/journal/2026-12.jsonl", p);
	free(p);
	return 0;
}

int
main(void)
{
	char cmd[128];

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	if (mkdtemp(dir) == NULL)
		return 1;
	evthread_use_pthreads();
	base = event_base_new();
	RUN_TEST(append_and_read_back);
	RUN_TEST(torn_last_line_is_skipped_and_sealed);
	RUN_TEST(garbage_lines_are_counted);
	RUN_TEST(month_in_local_time);
	event_base_free(base);
	libevent_global_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	END_TEST;
}
