/*
 * The outbox: durable files, order per contact, backoff, permanent
 * failures, coalescing, restarts, bad files.  The deliverer is the test:
 * it records each call and answers from an event timer (asynchronously,
 * like a transport), or at once, or holds the item.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <inttypes.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "digest.h"
#include "journal.h"
#include "log.h"
#include "outbox.h"
#include "test.h"
#include "util.h"

static char dir[] = "/tmp/tramon-outbox-XXXXXX";
static struct event_base *base;
static char state[256];

enum answer { OK, TEMP, PERM, HOLD };

/* What to answer; `call` counts from 0 within the test. */
typedef enum answer policy_fn(const struct outbox_item *, unsigned call);

struct call {
	char id[24];
	char contact[16];
	char kind[16];
	uint64_t seq;
	unsigned attempts;      /* failed tries before this one */
	int64_t when;           /* mono_ns */
	char last_error[32];
	char subject[64];
};

#define MAXCALLS 4096
static struct call calls[MAXCALLS];
static unsigned ncalls;
static policy_fn *policy;
static int sync_every;          /* answer every Nth call at once */
static unsigned not_durable;    /* calls whose file was not there */
static unsigned two_in_flight;  /* a contact with two items out */

/* Answers on their way, cancelled at teardown. */
struct pending {
	struct outbox_item *it;
	enum answer a;
	struct event *ev;
	struct pending *next;
};
static struct pending *answers;
static struct outbox_item *held[16];
static unsigned nheld;

/* ---- helpers ---- */

#define WAIT_FOR(cond, secs)                                             \
	do {                                                             \
		int64_t _end = mono_ns() + (int64_t)((secs) * 1e9);      \
		while (!(cond) && mono_ns() < _end)                      \
			spin();                                          \
	} while (0)

static void
spin(void)
{
	struct timeval tv = { 0, 10000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int
exists(const char *fmt, const char *id)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, state, id);
	return access(path, F_OK) == 0;
}

static json_t *
load_json(const char *fmt, const char *id)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, state, id);
	return json_load_file(path, 0, NULL);
}

/* attempts recorded in outbox/ID.json, or -1 */
static long long
file_attempts(const char *id)
{
	json_t *o = load_json("%s/outbox/%s.json", id);
	long long n = -1;

	if (json_is_integer(json_object_get(o, "attempts")))
		n = json_integer_value(json_object_get(o, "attempts"));
	json_decref(o);
	return n;
}

static unsigned
count_json(const char *sub)
{
	char path[512];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", state, sub);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".json") != NULL;
	closedir(d);
	return n;
}

static struct contact_count {
	char name[16];
	int out;
} ccount[8];

static int *
out_of(const char *contact)
{
	for (size_t i = 0; i < nitems(ccount); i++) {
		if (ccount[i].name[0] == '\0')
			snprintf(ccount[i].name, sizeof(ccount[i].name), "%s",
			    contact);
		if (strcmp(ccount[i].name, contact) == 0)
			return &ccount[i].out;
	}
	abort();
}

static void
answer(struct outbox_item *it, enum answer a)
{
	(*out_of(outbox_item_contact(it)))--;
	outbox_result(it, a == OK, a == PERM, a == OK ? NULL :
	    a == PERM ? "550 5.1.1 no such user" : "connection refused");
}

static void
answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg, **pp;

	(void)fd;
	(void)what;
	for (pp = &answers; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	answer(p->it, p->a);
	event_free(p->ev);
	free(p);
}

static void
deliver(void *arg, struct outbox_item *it)
{
	struct call *c = &calls[ncalls < MAXCALLS ? ncalls : MAXCALLS - 1];
	const char *id = outbox_item_id(it);
	json_t *o, *subject;
	enum answer a;

	(void)arg;
	/* the file is there, whole, before any delivery */
	o = load_json("%s/outbox/%s.json", id);
	if (o == NULL || !json_is_string(json_object_get(o, "id")) ||
	    strcmp(json_string_value(json_object_get(o, "id")), id) != 0)
		not_durable++;
	json_decref(o);
	if (++(*out_of(outbox_item_contact(it))) > 1)
		two_in_flight++;

	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->contact, sizeof(c->contact), "%s",
	    outbox_item_contact(it));
	snprintf(c->kind, sizeof(c->kind), "%s", outbox_item_kind(it));
	c->seq = outbox_item_seq(it);
	c->attempts = outbox_item_attempts(it);
	c->when = mono_ns();
	if (outbox_item_last_error(it))
		snprintf(c->last_error, sizeof(c->last_error), "%s",
		    outbox_item_last_error(it));
	subject = json_object_get(outbox_item_payload(it), "subject");
	if (json_is_string(subject))
		snprintf(c->subject, sizeof(c->subject), "%s",
		    json_string_value(subject));
	a = policy(it, ncalls++);

	if (a == HOLD) {
		if (nheld < nitems(held))
			held[nheld++] = it;
		return;
	}
	if (sync_every && ncalls % sync_every == 0) {
		answer(it, a);	/* a transport that fails at once */
		return;
	} else {
		struct pending *p = xcalloc(1, sizeof(*p));
		struct timeval tv = { 0, 1000 };

		p->it = it;
		p->a = a;
		p->ev = event_new(base, -1, 0, answer_cb, p);
		p->next = answers;
		answers = p;
		event_add(p->ev, &tv);
	}
}

static enum answer
all_ok(const struct outbox_item *it, unsigned call)
{
	(void)it;
	(void)call;
	return OK;
}

static enum answer
all_hold(const struct outbox_item *it, unsigned call)
{
	(void)it;
	(void)call;
	return HOLD;
}

static void
setup(const char *name, policy_fn *p)
{
	snprintf(state, sizeof(state), "%s/%s", dir, name);
	ncalls = 0;
	not_durable = two_in_flight = 0;
	nheld = 0;
	sync_every = 0;
	memset(ccount, 0, sizeof(ccount));
	policy = p;
	outbox_set_backoff(1, 4);
	if (journal_open(base, state) == -1)
		abort();
}

static int
open_outbox(void)
{
	memset(ccount, 0, sizeof(ccount));
	nheld = 0;
	return outbox_open(base, state, deliver, NULL);
}

/* A restart: answers not given yet are lost with the process. */
static void
close_outbox(void)
{
	while (answers) {
		struct pending *p = answers;

		answers = p->next;
		event_free(p->ev);
		free(p);
	}
	outbox_close();
}

static void
durable_cb(void *arg)
{
	*(int *)arg = 1;
}

static void
teardown(void)
{
	int durable = 0;

	close_outbox();
	/* journal_close() while its sync runs leaks the follow-up sync job
	 * (journal.c, reported); wait for the journal to settle first */
	journal_when_durable(durable_cb, &durable);
	WAIT_FOR(durable, 10);
	journal_close();
	EXPECT_EQ_INT(0, not_durable);
	EXPECT_EQ_INT(0, two_in_flight);
}

struct journal_find {
	const char *event, *id;
	unsigned n;
	char error[64];
	json_int_t attempts;
};

static int
journal_find_cb(void *arg, json_t *ev, unsigned lineno)
{
	struct journal_find *f = arg;
	const char *e = json_string_value(json_object_get(ev, "event"));
	const char *id = json_string_value(json_object_get(ev, "id"));
	const char *err = json_string_value(json_object_get(ev, "error"));

	(void)lineno;
	if (e && id && strcmp(e, f->event) == 0 && strcmp(id, f->id) == 0) {
		f->n++;
		f->attempts = json_integer_value(json_object_get(ev,
		    "attempts"));
		snprintf(f->error, sizeof(f->error), "%s", err ? err : "");
	}
	return 0;
}

/* How many times the journal has `event` for `id`. */
static unsigned
journaled(const char *event, const char *id, struct journal_find *out)
{
	struct journal_find f = { event, id, 0, "", 0 };
	char *path = journal_path(state, time(NULL));

	journal_read(path, journal_find_cb, &f, NULL);
	free(path);
	if (out)
		*out = f;
	return f.n;
}

static json_t *
payload(const char *subject)
{
	return json_pack("{s:s, s:s}", "subject", subject, "body", "…");
}

/* Items of the open outbox, as "contact:kind" in order. */
static void
list_cb(void *arg, const struct outbox_item *it)
{
	char *buf = arg;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s%s:%s", len ? " " : "",
	    outbox_item_contact(it), outbox_item_kind(it));
}

static const char *
listing(void)
{
	static char buf[512];

	buf[0] = '\0';
	outbox_foreach(list_cb, buf);
	return buf;
}

/* ---- tests ---- */

DEF_TEST(add_then_deliver)
{
	struct journal_find f;
	char id[24];
	const char *p;

	setup("deliver", all_ok);
	EXPECT_EQ_INT(0, open_outbox());
	/* a NULL payload is an empty one */
	EXPECT_TRUE(outbox_add("it", "email", "up", "tra-linh", NULL,
	    NULL) != NULL);
	p = outbox_add("it", "email", "down", "tra-linh", "down:tra-linh",
	    payload("[tramon] MẤT KẾT NỐI: Xã Trà Linh"));
	EXPECT_TRUE(p != NULL);
	snprintf(id, sizeof(id), "%s", p ? p : "");
	EXPECT_EQ_INT(12, strlen(id));
	EXPECT_EQ_INT(2, outbox_pending());
	/* invalid ones are refused, never queued */
	EXPECT_TRUE(outbox_add("it", "pigeon", "down", NULL, NULL,
	    NULL) == NULL);
	EXPECT_TRUE(outbox_add("it", "email", "down", "\xff\xfe", NULL,
	    NULL) == NULL);
	EXPECT_TRUE(outbox_add("it", "email", "down", NULL, NULL,
	    json_pack("[i]", 1)) == NULL);
	EXPECT_EQ_INT(2, outbox_pending());

	WAIT_FOR(outbox_pending() == 0, 10);
	EXPECT_EQ_INT(0, outbox_pending());
	EXPECT_EQ_INT(2, ncalls);
	EXPECT_EQ_STR(id, calls[1].id);
	EXPECT_EQ_STR("down", calls[1].kind);
	EXPECT_EQ_STR("[tramon] MẤT KẾT NỐI: Xã Trà Linh", calls[1].subject);
	EXPECT_EQ_INT(0, calls[1].attempts);
	WAIT_FOR(!exists("%s/outbox/%s.json", id), 10);
	EXPECT_TRUE(!exists("%s/outbox/%s.json", id));
	EXPECT_EQ_INT(0, count_json("outbox"));

	EXPECT_EQ_INT(1, journaled("notify_sent", id, &f));
	EXPECT_EQ_INT(1, f.attempts);
	teardown();
	return 0;
}

/* item "1" fails twice; "2" and "3" wait for it */
static enum answer
first_fails_twice(const struct outbox_item *it, unsigned call)
{
	(void)call;
	if (strcmp(outbox_item_kind(it), "1") == 0 &&
	    outbox_item_attempts(it) < 2)
		return TEMP;
	return OK;
}

DEF_TEST(order_under_failures)
{
	char got[64] = "";

	setup("order", first_fails_twice);
	EXPECT_EQ_INT(0, open_outbox());
	outbox_add("a", "email", "1", NULL, NULL, payload("one"));
	outbox_add("a", "email", "2", NULL, NULL, payload("two"));
	outbox_add("a", "email", "3", NULL, NULL, payload("three"));
	WAIT_FOR(outbox_pending() == 0, 30);
	EXPECT_EQ_INT(0, outbox_pending());
	for (unsigned i = 0; i < ncalls && i < 8; i++)
		strcat(got, calls[i].kind);
	EXPECT_EQ_STR("11123", got);
	EXPECT_EQ_INT(1, calls[1].attempts);
	EXPECT_EQ_STR("connection refused", calls[1].last_error);
	EXPECT_EQ_INT(2, calls[2].attempts);
	EXPECT_TRUE(calls[3].seq < calls[4].seq);
	teardown();
	return 0;
}

static enum answer
dead_webhook(const struct outbox_item *it, unsigned call)
{
	(void)call;
	return strcmp(outbox_item_contact(it), "hook") == 0 ? TEMP : OK;
}

DEF_TEST(contacts_are_independent)
{
	unsigned mail = 0, hook = 0;

	setup("independent", dead_webhook);
	outbox_set_backoff(60, 120);	/* the hook stays down for the test */
	EXPECT_EQ_INT(0, open_outbox());
	outbox_add("hook", "webhook", "down", "a", NULL, NULL);
	outbox_add("hook", "webhook", "down", "b", NULL, NULL);
	outbox_add("it", "email", "down", "a", NULL, NULL);
	outbox_add("it", "email", "down", "b", NULL, NULL);
	outbox_add("it", "email", "up", "a", NULL, NULL);
	WAIT_FOR(outbox_pending() == 2, 10);
	EXPECT_EQ_INT(2, outbox_pending());
	EXPECT_EQ_STR("hook:down hook:down", listing());
	for (unsigned i = 0; i < ncalls; i++) {
		if (strcmp(calls[i].contact, "it") == 0)
			mail++;
		else
			hook++;
	}
	EXPECT_EQ_INT(3, mail);
	EXPECT_EQ_INT(1, hook);	/* the second hook item waits its turn */
	teardown();
	return 0;
}

static enum answer
always_temp(const struct outbox_item *it, unsigned call)
{
	(void)it;
	(void)call;
	return TEMP;
}

DEF_TEST(backoff_doubles_to_max)
{
	static const double want[] = { 1, 2, 4, 4 };

	setup("backoff", always_temp);
	EXPECT_EQ_INT(0, open_outbox());
	outbox_add("x", "webhook", "down", NULL, NULL, NULL);
	WAIT_FOR(ncalls >= 5, 40);
	EXPECT_TRUE(ncalls >= 5);
	for (unsigned i = 0; i + 1 < ncalls && i < 4; i++) {
		double gap = (calls[i + 1].when - calls[i].when) / 1e9;

		/* 10% jitter below; a loaded machine may be late */
		if (gap < want[i] * 0.85 || gap > want[i] + 3)
			FAIL_HERE("retry %u after %.2fs, want ~%.0fs", i + 1,
			    gap, want[i]);
		EXPECT_EQ_INT(i, calls[i].attempts);
	}
	teardown();
	return 0;
}

static enum answer
bad_address(const struct outbox_item *it, unsigned call)
{
	(void)call;
	return strcmp(outbox_item_kind(it), "bad") == 0 ? PERM : OK;
}

DEF_TEST(permanent_failure_goes_to_failed)
{
	unsigned long before = outbox_failed_total();
	struct journal_find f;
	char bad[24], good[24];
	json_t *o;

	setup("permanent", bad_address);
	EXPECT_EQ_INT(0, open_outbox());
	snprintf(bad, sizeof(bad), "%s", outbox_add("p", "email", "bad",
	    "t", NULL, payload("x")));
	snprintf(good, sizeof(good), "%s", outbox_add("p", "email", "good",
	    "t", NULL, payload("y")));
	WAIT_FOR(outbox_pending() == 0, 10);
	EXPECT_EQ_INT(0, outbox_pending());
	EXPECT_EQ_INT(2, ncalls);
	EXPECT_EQ_STR("good", calls[1].kind);
	EXPECT_EQ_INT(before + 1, outbox_failed_total());
	WAIT_FOR(exists("%s/outbox/failed/%s.json", bad) &&
	    !exists("%s/outbox/%s.json", bad) &&
	    !exists("%s/outbox/%s.json", good), 10);
	EXPECT_TRUE(!exists("%s/outbox/%s.json", bad));
	o = load_json("%s/outbox/failed/%s.json", bad);
	EXPECT_TRUE(o != NULL);
	EXPECT_EQ_STR("550 5.1.1 no such user",
	    json_string_value(json_object_get(o, "last_error")));
	EXPECT_EQ_INT(1, json_integer_value(json_object_get(o, "attempts")));
	json_decref(o);
	EXPECT_EQ_INT(1, journaled("notify_failed", bad, &f));
	EXPECT_EQ_STR("550 5.1.1 no such user", f.error);
	EXPECT_EQ_INT(1, journaled("notify_sent", good, NULL));
	teardown();
	return 0;
}

static enum answer
hold_first(const struct outbox_item *it, unsigned call)
{
	(void)call;
	return strcmp(outbox_item_kind(it), "first") == 0 ? HOLD : OK;
}

DEF_TEST(coalescing)
{
	char a[24], b[24], c[24];
	char got[64] = "";

	setup("coalesce", hold_first);
	EXPECT_EQ_INT(0, open_outbox());
	snprintf(a, sizeof(a), "%s", outbox_add("c", "email", "first", "t1",
	    "remind:t1", NULL));
	WAIT_FOR(nheld == 1, 10);
	EXPECT_EQ_INT(1, nheld);
	EXPECT_TRUE(outbox_item_in_flight(held[0]));

	/* a is in flight: never replaced */
	snprintf(b, sizeof(b), "%s", outbox_add("c", "email", "second", "t1",
	    "remind:t1", NULL));
	EXPECT_EQ_INT(2, outbox_pending());
	/* b is only waiting: replaced */
	snprintf(c, sizeof(c), "%s", outbox_add("c", "email", "third", "t1",
	    "remind:t1", NULL));
	EXPECT_EQ_INT(2, outbox_pending());
	EXPECT_TRUE(strcmp(c, b) > 0);
	/* another key, another contact: untouched */
	outbox_add("c", "email", "other", "t2", "remind:t2", NULL);
	outbox_add("d", "email", "elsewhere", "t1", "remind:t1", NULL);
	EXPECT_CONTAINS(listing(), "c:first c:third c:other");
	EXPECT_TRUE(strstr(listing(), "second") == NULL);
	WAIT_FOR(!exists("%s/outbox/%s.json", b) &&
	    exists("%s/outbox/%s.json", c), 10);
	EXPECT_TRUE(!exists("%s/outbox/%s.json", b));
	EXPECT_EQ_INT(1, journaled("notify_dropped", b, NULL));

	answer(held[0], OK);
	WAIT_FOR(outbox_pending() == 0, 10);
	EXPECT_EQ_INT(0, outbox_pending());
	for (unsigned i = 0; i < ncalls && i < 8; i++)
		if (strcmp(calls[i].contact, "c") == 0)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%s ", calls[i].kind);
	EXPECT_EQ_STR("first third other ", got);
	EXPECT_EQ_INT(1, journaled("notify_sent", a, NULL));
	EXPECT_EQ_INT(0, journaled("notify_sent", b, NULL));
	teardown();
	return 0;
}

static enum answer
r_fails_h_holds(const struct outbox_item *it, unsigned call)
{
	(void)call;
	return strcmp(outbox_item_contact(it), "h") == 0 ? HOLD : TEMP;
}

struct seen {
	unsigned n;
	uint64_t max_seq;
	unsigned attempts[8];
	char error[8][32];
};

static void
seen_cb(void *arg, const struct outbox_item *it)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->attempts[s->n] = outbox_item_attempts(it);
		snprintf(s->error[s->n], sizeof(s->error[0]), "%s",
		    outbox_item_last_error(it) ? outbox_item_last_error(it) :
		    "");
	}
	if (outbox_item_seq(it) <= s->max_seq)
		s->n += 100;	/* out of order */
	s->max_seq = outbox_item_seq(it);
	s->n++;
}

DEF_TEST(restart_keeps_everything)
{
	struct seen s = { 0 };
	char r1[24], h1[24], last[24];
	const char *p;
	unsigned h_calls = 0;
	long long tries;

	setup("restart", r_fails_h_holds);
	EXPECT_EQ_INT(0, open_outbox());
	snprintf(r1, sizeof(r1), "%s", outbox_add("r", "email", "1", NULL,
	    NULL, NULL));
	outbox_add("r", "email", "2", NULL, NULL, NULL);
	outbox_add("r", "email", "3", NULL, NULL, NULL);
	snprintf(h1, sizeof(h1), "%s", outbox_add("h", "webhook", "1", NULL,
	    NULL, NULL));
	WAIT_FOR(file_attempts(r1) >= 2 && nheld == 1, 20);
	EXPECT_EQ_INT(1, nheld);	/* h1 is in flight: abandoned */
	close_outbox();
	tries = file_attempts(r1);	/* 2, or 3 on a slow machine */
	EXPECT_TRUE(tries >= 2);

	policy = all_hold;
	EXPECT_EQ_INT(0, open_outbox());
	EXPECT_EQ_INT(4, outbox_pending());
	outbox_foreach(seen_cb, &s);
	EXPECT_EQ_INT(4, s.n);
	EXPECT_EQ_INT(tries, s.attempts[0]);
	EXPECT_EQ_STR("connection refused", s.error[0]);
	EXPECT_EQ_INT(0, s.attempts[1]);
	EXPECT_EQ_INT(0, s.attempts[3]);
	p = outbox_add("r", "email", "4", NULL, NULL, NULL);
	EXPECT_TRUE(p && strcmp(p, h1) > 0);
	close_outbox();

	/* deliver everything, then restart with an empty outbox */
	policy = all_ok;
	EXPECT_EQ_INT(0, open_outbox());
	outbox_kick();
	WAIT_FOR(outbox_pending() == 0, 20);
	EXPECT_EQ_INT(0, outbox_pending());
	for (unsigned i = 0; i < ncalls; i++)
		h_calls += strcmp(calls[i].id, h1) == 0;
	EXPECT_EQ_INT(2, h_calls);	/* the one duplicate: was in flight */
	snprintf(last, sizeof(last), "%s", outbox_add("r", "email", "5",
	    NULL, NULL, NULL));
	WAIT_FOR(outbox_pending() == 0 && count_json("outbox") == 0, 20);
	EXPECT_EQ_INT(0, count_json("outbox"));
	close_outbox();

	EXPECT_EQ_INT(0, open_outbox());
	EXPECT_EQ_INT(0, outbox_pending());
	p = outbox_add("r", "email", "6", NULL, NULL, NULL);
	EXPECT_TRUE(p && strcmp(p, last) > 0);	/* seq never goes back */
	WAIT_FOR(outbox_pending() == 0, 20);
	teardown();
	return 0;
}

static void
put(const char *name, const char *text)
{
	char *path = xasprintf("%s/outbox/%s", state, name);

	if (file_replace(path, text, strlen(text), 0) == -1)
		abort();
	free(path);
}

DEF_TEST(bad_and_leftover_files)
{
	static const char good[] = "{\"id\": \"000000000005\", \"seq\": 5, "
	    "\"contact\": \"b\", \"channel\": \"email\", \"kind\": \"down\", "
	    "\"target\": \"t\", \"coalesce\": null, \"created\": 1795700000, "
	    "\"attempts\": 3, \"next_try\": 0, \"last_error\": \"timeout\", "
	    "\"payload\": {\"subject\": \"hello\"}}\n";
	char *dirpath;
	const char *p;

	setup("bad", all_ok);
	dirpath = xasprintf("%s/outbox", state);
	EXPECT_EQ_INT(0, mkdir_p(dirpath, 0750));
	free(dirpath);
	put("000000000005.json", good);
	put("000000000007.json", "garbage \x01\x02 not json");
	put("000000000008.json", "{\"id\": \"000000000008\", \"seq\": 8, "
	    "\"cont");	/* torn */
	put("foreign.json", "{\"hello\": 1}");
	put("000000000009.json", "{\"id\": \"000000000010\", \"seq\": 9}");
	put("000000000006.json.tmp.12345", "{\"id\":");
	put("seq.tmp.999", "12");

	EXPECT_EQ_INT(0, open_outbox());
	EXPECT_EQ_INT(1, outbox_pending());
	EXPECT_EQ_INT(1, count_json("outbox"));
	EXPECT_EQ_INT(4, count_json("outbox/bad"));
	EXPECT_TRUE(exists("%s/outbox/bad/%s", "000000000008.json"));
	EXPECT_TRUE(exists("%s/outbox/bad/%s", "foreign.json"));
	EXPECT_TRUE(!exists("%s/outbox/%s", "000000000006.json.tmp.12345"));
	EXPECT_TRUE(!exists("%s/outbox/%s", "seq.tmp.999"));
	/* not reusing even a bad file's seq */
	p = outbox_add("b", "email", "up", "t", NULL, NULL);
	EXPECT_EQ_STR("000000000010", p);
	WAIT_FOR(outbox_pending() == 0, 10);
	EXPECT_EQ_INT(2, ncalls);
	EXPECT_EQ_STR("000000000005", calls[0].id);
	EXPECT_EQ_INT(3, calls[0].attempts);
	EXPECT_EQ_STR("hello", calls[0].subject);
	close_outbox();

	/* the same bad name again: the earlier one is kept */
	put("000000000007.json", "again");
	EXPECT_EQ_INT(0, open_outbox());
	EXPECT_TRUE(exists("%s/outbox/bad/%s", "000000000007.json"));
	EXPECT_TRUE(exists("%s/outbox/bad/%s", "000000000007.json.1"));
	EXPECT_EQ_INT(0, outbox_pending());
	teardown();
	return 0;
}

/*
 * The disk refuses the first item's file (a directory is in the way):
 * it must not go out before its file is written, nor must the item
 * behind it; another contact is not held up.
 */
DEF_TEST(not_before_the_file_is_written)
{
	char *in_the_way;
	char got[64] = "";

	setup("disk", all_ok);
	EXPECT_EQ_INT(0, open_outbox());
	in_the_way = xasprintf("%s/outbox/000000000001.json", state);
	EXPECT_EQ_INT(0, mkdir(in_the_way, 0700));
	EXPECT_EQ_STR("000000000001", outbox_add("a", "email", "1", NULL,
	    NULL, NULL));
	outbox_add("a", "email", "2", NULL, NULL, NULL);
	outbox_add("b", "email", "3", NULL, NULL, NULL);
	WAIT_FOR(ncalls == 1 && exists("%s/outbox/%s.json",
	    "000000000002"), 10);
	spin();
	EXPECT_EQ_INT(1, ncalls);
	EXPECT_EQ_STR("3", calls[0].kind);
	EXPECT_EQ_INT(2, outbox_pending());

	EXPECT_EQ_INT(0, rmdir(in_the_way));	/* retried every 10 s */
	free(in_the_way);
	WAIT_FOR(outbox_pending() == 0, 40);
	EXPECT_EQ_INT(0, outbox_pending());
	for (unsigned i = 0; i < ncalls && i < 8; i++)
		strcat(got, calls[i].kind);
	EXPECT_EQ_STR("312", got);
	teardown();
	return 0;
}

static int k_ok;

static enum answer
temp_until_ok(const struct outbox_item *it, unsigned call)
{
	(void)it;
	(void)call;
	return k_ok ? OK : TEMP;
}

static void
next_try_cb(void *arg, const struct outbox_item *it)
{
	time_t *t = arg;

	if (!outbox_item_in_flight(it) && outbox_item_attempts(it) > 0)
		*t = outbox_item_next_try(it);
}

static long
wait_next_try(unsigned attempts)
{
	time_t t = 0;

	WAIT_FOR(ncalls == attempts && (t = 0, outbox_foreach(next_try_cb,
	    &t), t != 0 && file_attempts(calls[0].id) == attempts), 10);
	return t ? (long)(t - time(NULL)) : -1000;
}

DEF_TEST(kick_resets_backoff)
{
	long left;

	k_ok = 0;
	setup("kick", temp_until_ok);
	outbox_set_backoff(10, 600);
	EXPECT_EQ_INT(0, open_outbox());
	outbox_add("k", "webhook", "down", NULL, NULL, NULL);
	left = wait_next_try(1);
	if (left < 7 || left > 11)
		FAIL_HERE("next try in %lds, want ~10", left);
	outbox_kick();
	left = wait_next_try(2);	/* at once, not in 10 s */
	EXPECT_EQ_INT(2, ncalls);
	if (left < 7 || left > 11)	/* 10 again, not 20 */
		FAIL_HERE("next try in %lds after a kick, want ~10", left);
	EXPECT_TRUE((calls[1].when - calls[0].when) / 1e9 < 6);

	k_ok = 1;
	outbox_kick();
	WAIT_FOR(outbox_pending() == 0, 10);
	EXPECT_EQ_INT(0, outbox_pending());
	EXPECT_EQ_INT(3, ncalls);
	teardown();
	return 0;
}

/* a few first tries fail, so the contacts drift apart */
static enum answer
bulk_policy(const struct outbox_item *it, unsigned call)
{
	(void)call;
	if (outbox_item_attempts(it) == 0 && outbox_item_seq(it) % 250 == 17)
		return TEMP;
	return OK;
}

DEF_TEST(thousand_items_once_each_in_order)
{
	static const char *who[] = { "it", "ops", "hook" };
	static unsigned char sent[1100];
	uint64_t last_ok[3] = { 0, 0, 0 }, first = 0;
	unsigned dup = 0, order = 0, oks = 0, early = 0;

	setup("bulk", bulk_policy);
	sync_every = 5;
	EXPECT_EQ_INT(0, open_outbox());
	for (unsigned i = 0; i < 1000; i++) {
		const char *id = outbox_add(who[i % 3], i % 3 == 2 ? "webhook" :
		    "email", "down", NULL, NULL, NULL);

		if (i == 0)
			first = strtoull(id, NULL, 10);
	}
	WAIT_FOR(outbox_pending() == 0, 120);
	EXPECT_EQ_INT(0, outbox_pending());
	memset(sent, 0, sizeof(sent));
	for (unsigned i = 0; i < ncalls && i < MAXCALLS; i++) {
		const struct call *c = &calls[i];
		uint64_t k = c->seq - first;
		int w = strcmp(c->contact, "it") == 0 ? 0 :
		    strcmp(c->contact, "ops") == 0 ? 1 : 2;

		if (k >= 1000 || sent[k]) {
			dup++;	/* delivered again after it was sent */
			continue;
		}
		if (c->seq <= last_ok[w])
			early++;
		if (c->attempts == 0 && c->seq % 250 == 17)
			continue;	/* the failed first try */
		sent[k] = 1;
		oks++;
		if (c->seq <= last_ok[w])
			order++;
		last_ok[w] = c->seq;
	}
	EXPECT_EQ_INT(1000, oks);
	EXPECT_EQ_INT(0, dup);
	EXPECT_EQ_INT(0, order);
	EXPECT_EQ_INT(0, early);
	WAIT_FOR(count_json("outbox") == 0, 30);
	EXPECT_EQ_INT(0, count_json("outbox"));
	teardown();
	return 0;
}

/* ---- holding, and folding into a digest ---- */

static int
not_test(const struct outbox_item *it)
{
	return strcmp(outbox_item_kind(it), "test") != 0;
}

static unsigned made_n[4];
static unsigned nmade;

static json_t *
make(void *arg, const char *contact, const char *channel,
    struct outbox_item *const *v, size_t n)
{
	char subject[64];

	(void)arg;
	if (nmade < nitems(made_n))
		made_n[nmade++] = (unsigned)n;
	for (size_t i = 1; i < n; i++)
		if (outbox_item_seq(v[i]) <= outbox_item_seq(v[i - 1]))
			return NULL;	/* not in order: the test fails */
	snprintf(subject, sizeof(subject), "%s %s: %zu", contact, channel, n);
	return payload(subject);
}

DEF_TEST(hold_and_fold)
{
	char first[24], n1[24], n3[24], w1[24], one[24], dg[24] = "";
	json_t *f;
	size_t k;
	json_t *id;

	setup("fold", hold_first);
	EXPECT_EQ_INT(0, open_outbox());
	snprintf(first, sizeof(first), "%s", outbox_add("c", "email",
	    "first", "t0", NULL, NULL));
	WAIT_FOR(nheld == 1, 10);
	EXPECT_EQ_INT(1, nheld);	/* in flight: never folded */
	outbox_hold(1);
	snprintf(n1, sizeof(n1), "%s", outbox_add("c", "email", "down", "t1",
	    NULL, payload("1")));
	outbox_add("c", "email", "up", "t1", NULL, payload("2"));
	snprintf(n3, sizeof(n3), "%s", outbox_add("c", "email", "down", "t2",
	    NULL, payload("3")));
	snprintf(w1, sizeof(w1), "%s", outbox_add("c", "webhook", "down",
	    "t1", NULL, NULL));
	outbox_add("c", "webhook", "up", "t1", NULL, NULL);
	outbox_add("c", "email", "test", NULL, NULL, NULL);
	snprintf(one, sizeof(one), "%s", outbox_add("d", "email", "down",
	    "t1", NULL, NULL));
	answer(held[0], OK);
	WAIT_FOR(!exists("%s/outbox/%s.json", first), 10);
	spin();
	EXPECT_EQ_INT(1, ncalls);	/* held: nothing more went out */

	nmade = 0;
	EXPECT_EQ_INT(2, outbox_fold(not_test, 2, "digest", make, NULL));
	EXPECT_EQ_INT(2, nmade);
	EXPECT_EQ_INT(3 + 2, made_n[0] + made_n[1]);
	EXPECT_CONTAINS(listing(), "c:test d:down c:digest c:digest");
	EXPECT_EQ_INT(4, outbox_pending());
	WAIT_FOR(count_json("outbox") == 4, 10);
	EXPECT_EQ_INT(4, count_json("outbox"));
	EXPECT_EQ_INT(1, journaled("notify_folded", n1, NULL));
	EXPECT_EQ_INT(1, journaled("notify_folded", w1, NULL));
	EXPECT_EQ_INT(0, journaled("notify_folded", one, NULL));
	/* the email digest's file names what it replaced */
	snprintf(dg, sizeof(dg), "%012" PRIu64, (uint64_t)strtoull(n1, NULL,
	    10) + 7);
	f = load_json("%s/outbox/%s.json", dg);
	EXPECT_EQ_INT(3, (int)json_array_size(json_object_get(f,
	    "replaces")));
	json_array_foreach(json_object_get(f, "replaces"), k, id)
		if (k == 2)
			EXPECT_EQ_STR(n3, json_string_value(id));
	json_decref(f);
	spin();
	EXPECT_EQ_INT(1, ncalls);	/* still held */

	policy = all_ok;
	outbox_hold(0);
	WAIT_FOR(outbox_pending() == 0, 10);
	EXPECT_EQ_INT(0, outbox_pending());
	EXPECT_EQ_INT(5, ncalls);
	EXPECT_EQ_STR("test", calls[1].kind[0] == 't' ? calls[1].kind :
	    calls[2].kind);
	EXPECT_EQ_STR("c email: 3", calls[2].subject[0] == 'c' ?
	    calls[2].subject : calls[3].subject);
	teardown();
	return 0;
}

/* Killed after the digest was written and before what it replaced was
 * removed: those are removed at the next start, never sent. */
DEF_TEST(fold_survives_a_crash)
{
	char a[24], b[24];
	json_t *copy;
	char *text, name[40];

	setup("unfold", all_hold);
	EXPECT_EQ_INT(0, open_outbox());
	outbox_hold(1);
	snprintf(a, sizeof(a), "%s", outbox_add("c", "email", "down", "t1",
	    NULL, payload("a")));
	snprintf(b, sizeof(b), "%s", outbox_add("c", "email", "up", "t1",
	    NULL, payload("b")));
	WAIT_FOR(exists("%s/outbox/%s.json", b), 10);
	copy = load_json("%s/outbox/%s.json", a);
	EXPECT_TRUE(copy != NULL);
	EXPECT_EQ_INT(1, outbox_fold(not_test, 2, "digest", make, NULL));
	WAIT_FOR(count_json("outbox") == 1, 10);
	close_outbox();
	/* as if the removal of `a` had not reached the disk */
	text = json_dumps(copy, 0);
	json_decref(copy);
	snprintf(name, sizeof(name), "%s.json", a);
	put(name, text);
	free(text);
	EXPECT_EQ_INT(0, open_outbox());
	EXPECT_EQ_INT(1, outbox_pending());
	EXPECT_CONTAINS(listing(), "c:digest");
	EXPECT_EQ_INT(2, journaled("notify_folded", a, NULL));
	WAIT_FOR(!exists("%s/outbox/%s.json", a), 10);
	EXPECT_TRUE(!exists("%s/outbox/%s.json", a));
	EXPECT_EQ_INT(0, ncalls);	/* held from before: all_hold */
	teardown();
	return 0;
}

/* ---- a digest folded again (digest.c) ---- */

static char lines_seen[512];

static json_t *
make_lines(void *arg, const char *contact, const char *channel,
    struct outbox_item *const *v, size_t n)
{
	struct digest_set d;
	json_t *p;
	size_t len = 0;

	(void)arg;
	(void)contact;
	digest_collect(&d, v, n, strcmp(channel, "webhook") == 0);
	lines_seen[0] = '\0';
	for (size_t i = 0; i < d.n; i++)
		len += (size_t)snprintf(lines_seen + len, sizeof(lines_seen) -
		    len, "%s%s@%lld", i ? " " : "", d.l[i].subject,
		    (long long)d.l[i].at);
	if (d.events)	/* as many documents as lines, in the same order */
		EXPECT_EQ_INT((int)d.n, (int)json_array_size(d.events));
	p = json_pack("{s:s, s:O, s:b}", "subject", "digest", "lines",
	    d.lines, "cut", d.cut);
	if (d.events) {
		json_t *doc = json_pack("{s:O}", "events", d.events);
		char *body = json_dumps(doc, JSON_COMPACT);

		json_object_set_new(p, "json", json_string(body));
		free(body);
		json_decref(doc);
	}
	digest_set_free(&d);
	return p;
}

static const char *
at_add(const char *kind, const char *target, const char *subject,
    long long at)
{
	return outbox_add("c", "email", kind, target, NULL, json_pack(
	    "{s:s, s:I}", "subject", subject, "at", (json_int_t)at));
}

DEF_TEST(digest_folded_again)
{
	char body[64];

	setup("refold", all_hold);
	EXPECT_EQ_INT(0, open_outbox());
	outbox_hold(1);
	at_add("down", "t1", "D1", 100);
	at_add("reminder", "t1", "R1a", 160);
	at_add("reminder", "t2", "R2a", 170);
	outbox_add("c", "email", "test", NULL, NULL, payload("T"));
	EXPECT_EQ_INT(1, outbox_fold(digest_foldable, 2, "digest",
	    make_lines, NULL));
	EXPECT_EQ_STR("D1@100 R1a@160 R2a@170", lines_seen);
	/* more, then the digest and they fold into one: its notices
	 * flattened, in order, t1's older reminder left out */
	at_add("reminder", "t1", "R1b", 220);
	at_add("up", "t1", "U1", 230);
	EXPECT_EQ_INT(1, outbox_fold(digest_foldable, 2, "digest",
	    make_lines, NULL));
	EXPECT_EQ_STR("D1@100 R2a@170 R1b@220 U1@230", lines_seen);
	EXPECT_CONTAINS(listing(), "c:test c:digest");
	EXPECT_EQ_INT(2, outbox_pending());

	/* a digest without its notices (from an older tramond) goes as
	 * it is */
	outbox_add("c", "email", "digest", NULL, NULL, payload("old"));
	at_add("down", "t3", "D3", 300);
	EXPECT_EQ_INT(1, outbox_fold(digest_foldable, 2, "digest",
	    make_lines, NULL));
	EXPECT_EQ_STR("D1@100 R2a@170 R1b@220 U1@230 D3@300", lines_seen);
	EXPECT_CONTAINS(listing(), "c:test c:digest c:digest");

	/* webhooks: each notice's document goes with its line */
	for (int i = 0; i < 3; i++) {
		snprintf(body, sizeof(body), "{\"subject\": \"W%d\"}", i);
		outbox_add("c", "webhook", i == 1 ? "reminder" : "down", "t1",
		    NULL, json_pack("{s:s, s:I}", "json", body, "at",
		    (json_int_t)(400 + i)));
	}
	EXPECT_EQ_INT(1, outbox_fold(digest_foldable, 2, "digest",
	    make_lines, NULL));
	EXPECT_EQ_STR("W0@400 W1@401 W2@402", lines_seen);
	outbox_add("c", "webhook", "reminder", "t1", NULL, json_pack(
	    "{s:s, s:I}", "json", "{\"subject\": \"W3\"}", "at",
	    (json_int_t)403));
	EXPECT_EQ_INT(1, outbox_fold(digest_foldable, 2, "digest",
	    make_lines, NULL));
	EXPECT_EQ_STR("W0@400 W2@402 W3@403", lines_seen);
	teardown();
	return 0;
}

int
main(void)
{
	char cmd[128];

	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	log_init(1, LOG_WARNING, "outbox_test");
	if (mkdtemp(dir) == NULL)
		return 1;
	evthread_use_pthreads();
	base = event_base_new();
	RUN_TEST(add_then_deliver);
	RUN_TEST(order_under_failures);
	RUN_TEST(contacts_are_independent);
	RUN_TEST(backoff_doubles_to_max);
	RUN_TEST(permanent_failure_goes_to_failed);
	RUN_TEST(coalescing);
	RUN_TEST(restart_keeps_everything);
	RUN_TEST(bad_and_leftover_files);
	RUN_TEST(not_before_the_file_is_written);
	RUN_TEST(kick_resets_backoff);
	RUN_TEST(thousand_items_once_each_in_order);
	RUN_TEST(hold_and_fold);
	RUN_TEST(fold_survives_a_crash);
	RUN_TEST(digest_folded_again);
	event_base_free(base);
	libevent_global_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	END_TEST;
}
