#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "journal.h"
#include "log.h"
#include "outbox.h"
#include "util.h"
#include "worker.h"

#define NS		1000000000LL
#define SEQ_BLOCK	256	/* seqs reserved by one write of outbox/seq */
#define DISK_RETRY	10	/* seconds before a failed disk op is retried */

struct contact;

struct outbox_item {
	char id[24];            /* the seq, "%012" */
	uint64_t seq;
	char *contact, *channel, *kind, *target, *coalesce, *last_error;
	json_t *payload;
	json_t *replaces;       /* ids folded into it (outbox_fold), or NULL */
	time_t created;
	unsigned attempts;      /* failed tries */
	int backoff;            /* seconds of the last delay, 0 = none yet */
	int64_t due;            /* wall-clock ns of the next try */
	struct contact *ct;
	TAILQ_ENTRY(outbox_item) all;   /* O.items, seq order */
	TAILQ_ENTRY(outbox_item) queue; /* ct->items, seq order */
	unsigned refs;          /* the lists, and each write op for it */
	int queued;             /* a write op for it waits (not yet sent) */
	int durable;            /* its file is on disk */
	int inflight;           /* the deliverer has it */
	int removed;            /* off the lists; freed with the last ref */
};

TAILQ_HEAD(itemq, outbox_item);

struct contact {
	char *name;
	struct itemq items;
	LIST_ENTRY(contact) entry;
};

/*
 * What the worker does to the disk, in order.  Everything it needs is
 * in the op (paths, contents), so the thread shares nothing with the
 * loop; only OP_WRITE points at its item, for the loop to mark it
 * durable afterwards, and its contents are encoded when the batch is
 * handed over (so a retried write never puts back an older version).
 */
enum op_kind {
	OP_SEQ,         /* write outbox/seq (the reserved high-water mark) */
	OP_WRITE,       /* write outbox/SEQ.json */
	OP_UNLINK,      /* remove outbox/SEQ.json */
	OP_FAIL,        /* write failed/SEQ.json, remove outbox/SEQ.json */
};

struct op {
	enum op_kind kind;
	struct outbox_item *item;       /* OP_WRITE */
	char *path, *tmp;               /* the file and its temporary */
	char *fpath, *ftmp;             /* OP_FAIL: the copy in failed/ */
	char *text;
	size_t len;
	int err;                        /* errno, set by the worker */
	STAILQ_ENTRY(op) entry;
};

STAILQ_HEAD(opq, op);

struct batch {
	struct opq ops;
	char *dir, *failed_dir;
};

static struct {
	struct event_base *base;
	char *dir, *failed_dir, *bad_dir;
	outbox_deliver_fn *deliver;
	void *arg;
	struct worker *worker;
	struct event *timer;            /* the earliest next try */
	struct event *retry;            /* failed disk ops */
	struct itemq items;
	LIST_HEAD(, contact) contacts;
	unsigned npending;
	uint64_t next_seq;
	uint64_t reserved;              /* outbox/seq: seqs below are taken */
	int seq_queued;
	struct opq ops;                 /* waiting for the worker */
	struct opq again;               /* failed, retried by O.retry */
	int busy;                       /* a batch is on the worker */
	int complained;
	int closing;
	int held;                       /* outbox_hold() */
	uint64_t rng;
} O;

static int backoff_min = 30, backoff_max = 3600;
static unsigned long failed_total;

static void reschedule(void);
static void submit(void);
static const char *item_add(const char *, const char *, const char *,
    const char *, const char *, json_t *, json_t *);

/* Jitter only: xorshift64. */
static uint64_t
rnd(void)
{
	O.rng ^= O.rng << 13;
	O.rng ^= O.rng >> 7;
	O.rng ^= O.rng << 17;
	return O.rng;
}

static char *
nstrdup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* Transports quote server replies; keep them encodable. */
static char *
clean_text(const char *s)
{
	json_t *j;
	char *copy;

	if (s == NULL)
		return NULL;
	if ((j = json_string(s)) != NULL) {
		json_decref(j);
		return xstrdup(s);
	}
	copy = xstrdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return copy;
}

static time_t
next_try_of(const struct outbox_item *it)
{
	return (time_t)((it->due + NS - 1) / NS);
}

/* ---- items and contacts ---- */

static struct contact *
contact_get(const char *name)
{
	struct contact *ct;

	LIST_FOREACH(ct, &O.contacts, entry)
		if (strcmp(ct->name, name) == 0)
			return ct;
	ct = xcalloc(1, sizeof(*ct));
	ct->name = xstrdup(name);
	TAILQ_INIT(&ct->items);
	/* at the head: a dispatch walking the list does not see it */
	LIST_INSERT_HEAD(&O.contacts, ct, entry);
	return ct;
}

static void
contacts_prune(void)
{
	struct contact *ct, *next;

	for (ct = LIST_FIRST(&O.contacts); ct; ct = next) {
		next = LIST_NEXT(ct, entry);
		if (TAILQ_EMPTY(&ct->items)) {
			LIST_REMOVE(ct, entry);
			free(ct->name);
			free(ct);
		}
	}
}

static void
item_free(struct outbox_item *it)
{
	free(it->contact);
	free(it->channel);
	free(it->kind);
	free(it->target);
	free(it->coalesce);
	free(it->last_error);
	json_decref(it->payload);
	json_decref(it->replaces);
	free(it);
}

static void
item_unref(struct outbox_item *it)
{
	if (--it->refs == 0)
		item_free(it);
}

/* Append to the queues (items come in seq order). */
static void
item_link(struct outbox_item *it)
{
	it->ct = contact_get(it->contact);
	TAILQ_INSERT_TAIL(&it->ct->items, it, queue);
	TAILQ_INSERT_TAIL(&O.items, it, all);
	it->refs++;
	O.npending++;
}

static json_t *
item_json(const struct outbox_item *it)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s?, s:s?, s:I, s:i, "
	    "s:I, s:i, s:s?, s:O, s:O?}",
	    "id", it->id,
	    "seq", (json_int_t)it->seq,
	    "contact", it->contact,
	    "channel", it->channel,
	    "kind", it->kind,
	    "target", it->target,
	    "coalesce", it->coalesce,
	    "created", (json_int_t)it->created,
	    "attempts", (int)it->attempts,
	    "next_try", (json_int_t)next_try_of(it),
	    "backoff", it->backoff,
	    "last_error", it->last_error,
	    "payload", it->payload,
	    "replaces", it->replaces);
}

static char *
encode(json_t *o, size_t *len)
{
	char *text;

	if (o == NULL)
		return NULL;
	text = json_dumps(o, JSON_INDENT(1));
	json_decref(o);
	if (text == NULL)
		return NULL;
	*len = strlen(text);
	text = xreallocarray(text, *len + 2, 1);
	text[(*len)++] = '\n';
	text[*len] = '\0';
	return text;
}

static void
journal_item(const char *event, const struct outbox_item *it,
    const char *error)
{
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:i, s:s?}",
	    "event", event,
	    "id", it->id,
	    "contact", it->contact,
	    "channel", it->channel,
	    "kind", it->kind,
	    "target", it->target,
	    "attempts", (int)it->attempts,
	    "error", error);

	if (ev)
		journal_append(ev, 0);
}

/* ---- the disk, through the worker ---- */

static char *
item_path(const char *dir, const struct outbox_item *it)
{
	return xasprintf("%s/%s.json", dir, it->id);
}

static char *
tmp_of(const char *path)
{
	return xasprintf("%s.tmp.%ld", path, (long)getpid());
}

static struct op *
op_new(enum op_kind kind, char *path)
{
	struct op *op = xcalloc(1, sizeof(*op));

	op->kind = kind;
	op->path = path;
	op->tmp = tmp_of(path);
	return op;
}

static void
op_free(struct op *op)
{
	if (op->item)
		item_unref(op->item);
	free(op->path);
	free(op->tmp);
	free(op->fpath);
	free(op->ftmp);
	free(op->text);
	free(op);
}

static void
queue_op(struct op *op)
{
	STAILQ_INSERT_TAIL(&O.ops, op, entry);
	submit();
}

/* The item's file must be (re)written with its current state. */
static void
mark_dirty(struct outbox_item *it)
{
	struct op *op;

	if (it->queued)
		return;
	op = op_new(OP_WRITE, item_path(O.dir, it));
	op->item = it;
	it->refs++;
	it->queued = 1;
	queue_op(op);
}

static int
sync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno;
	if (fsync(fd) == -1 && errno != EINVAL)
		rc = errno;
	close(fd);
	return rc;
}

/* Worker: write tmp, fdatasync, rename over path.  0 or errno. */
static int
put_file_as(const char *path, const char *tmp, const char *text, size_t len,
    int durable)
{
	int fd, err = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd == -1)
		return errno;
	while (len > 0 && err == 0) {
		ssize_t n = write(fd, text, len);

		if (n == -1 && errno != EINTR)
			err = errno;
		else if (n > 0) {
			text += n;
			len -= (size_t)n;
		}
	}
	if (err == 0 && durable && fdatasync(fd) == -1)
		err = errno;
	if (close(fd) == -1 && err == 0)
		err = errno;
	if (err == 0 && rename(tmp, path) == -1)
		err = errno;
	if (err)
		unlink(tmp);
	return err;
}

static int
put_file(const char *path, const char *tmp, const char *text, size_t len)
{
	return put_file_as(path, tmp, text, len, 1);
}

/*
 * A new item's file, written at once on the loop, without a flush (a
 * small write into the page cache): a notice is journaled just before
 * its item is queued, and a tramond killed before the worker's turn
 * would leave the notice said and its mail never sent.  The worker then
 * writes it again, flushed, and syncs the directory: nothing is
 * delivered before that.  A failure here is left to the worker's write.
 */
static void
write_now(struct outbox_item *it)
{
	char *path = item_path(O.dir, it), *tmp = tmp_of(path), *text;
	size_t len;

	if ((text = encode(item_json(it), &len)) != NULL)
		(void)put_file_as(path, tmp, text, len, 0);
	free(text);
	free(tmp);
	free(path);
}

static int
remove_file(const char *path)
{
	return unlink(path) == -1 && errno != ENOENT ? errno : 0;
}

/*
 * Worker: the ops in order, then one directory fsync for the lot.  The
 * seq file and the copies in failed/ get theirs at once, so that what
 * comes after them (removals) can never be on disk without them.
 */
static void
batch_run(void *arg)
{
	struct batch *b = arg;
	struct op *op;
	int touched = 0, err;

	STAILQ_FOREACH(op, &b->ops, entry) {
		switch (op->kind) {
		case OP_SEQ:
			op->err = put_file(op->path, op->tmp, op->text,
			    op->len);
			if (op->err == 0)
				op->err = sync_dir(b->dir);
			break;
		case OP_WRITE:
			op->err = put_file(op->path, op->tmp, op->text,
			    op->len);
			break;
		case OP_UNLINK:
			op->err = remove_file(op->path);
			break;
		case OP_FAIL:
			op->err = put_file(op->fpath, op->ftmp, op->text,
			    op->len);
			if (op->err == 0)
				op->err = sync_dir(b->failed_dir);
			if (op->err == 0)
				op->err = remove_file(op->path);
			break;
		}
		touched |= op->err == 0 && op->kind != OP_SEQ;
	}
	if (touched && (err = sync_dir(b->dir)) != 0)
		STAILQ_FOREACH(op, &b->ops, entry)
			if (op->err == 0 && op->kind != OP_SEQ)
				op->err = err;
}

static void
complain(const struct op *op)
{
	if (O.complained++)
		return;
	log_warnx("outbox: %s %s: %s; retrying every %ds",
	    op->kind == OP_UNLINK ? "cannot remove" : "cannot write",
	    op->kind == OP_FAIL && op->err ? op->fpath : op->path,
	    strerror(op->err), DISK_RETRY);
}

/* Loop: what the worker did.  A failed op is tried again later, unless
 * it no longer matters (its item is gone) or a newer one supersedes it. */
static void
batch_done(void *arg)
{
	struct batch *b = arg;
	struct op *op;
	int failed = 0;

	O.busy = 0;
	while ((op = STAILQ_FIRST(&b->ops)) != NULL) {
		int keep = 0;

		STAILQ_REMOVE_HEAD(&b->ops, entry);
		if (op->err) {
			complain(op);
			failed = 1;
			switch (op->kind) {
			case OP_SEQ:
				if ((keep = !O.seq_queued))
					O.seq_queued = 1;
				break;
			case OP_WRITE:
				if ((keep = !op->item->removed &&
				    !op->item->queued))
					op->item->queued = 1;
				break;
			case OP_UNLINK:
			case OP_FAIL:
				keep = 1;
				break;
			}
		} else if (op->kind == OP_WRITE)
			op->item->durable = 1;
		if (keep) {
			op->err = 0;
			free(op->text);
			op->text = NULL;
			STAILQ_INSERT_TAIL(&O.again, op, entry);
		} else
			op_free(op);
	}
	free(b->dir);
	free(b->failed_dir);
	free(b);
	if (!failed && O.complained) {
		log_info("outbox: writing again");
		O.complained = 0;
	}
	if (O.closing)
		return;
	if (!STAILQ_EMPTY(&O.again) && !evtimer_pending(O.retry, NULL)) {
		struct timeval tv = { DISK_RETRY, 0 };

		evtimer_add(O.retry, &tv);
	}
	submit();
	reschedule();	/* some items may be durable now */
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	/* before what came since: a retried write then a later removal */
	STAILQ_CONCAT(&O.again, &O.ops);
	STAILQ_CONCAT(&O.ops, &O.again);
	submit();
}

/* Take the waiting ops as a batch, encoding the writes now. */
static struct batch *
batch_take(void)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	struct op *op;

	STAILQ_INIT(&b->ops);
	b->dir = xstrdup(O.dir);
	b->failed_dir = xstrdup(O.failed_dir);
	while ((op = STAILQ_FIRST(&O.ops)) != NULL) {
		STAILQ_REMOVE_HEAD(&O.ops, entry);
		if (op->kind == OP_SEQ) {
			O.seq_queued = 0;
			free(op->text);
			op->text = xasprintf("%" PRIu64 "\n", O.reserved);
			op->len = strlen(op->text);
		} else if (op->kind == OP_WRITE) {
			op->item->queued = 0;
			if (op->item->removed) {	/* a removal follows */
				op_free(op);
				continue;
			}
			free(op->text);
			op->text = encode(item_json(op->item), &op->len);
			if (op->text == NULL)
				fatalx("outbox: cannot encode %s",
				    op->item->id);
		}
		STAILQ_INSERT_TAIL(&b->ops, op, entry);
	}
	return b;
}

/* One batch at a time, so the disk sees the ops in order. */
static void
submit(void)
{
	struct batch *b;

	if (O.busy || O.closing || STAILQ_EMPTY(&O.ops))
		return;
	b = batch_take();
	if (STAILQ_EMPTY(&b->ops)) {
		free(b->dir);
		free(b->failed_dir);
		free(b);
		return;
	}
	O.busy = 1;
	worker_submit(O.worker, batch_run, batch_done, b);
}

/* Off the queues; its file goes with an OP_UNLINK (or OP_FAIL). */
static void
item_remove(struct outbox_item *it, int unlink_file)
{
	TAILQ_REMOVE(&it->ct->items, it, queue);
	TAILQ_REMOVE(&O.items, it, all);
	it->removed = 1;
	O.npending--;
	if (unlink_file)
		queue_op(op_new(OP_UNLINK, item_path(O.dir, it)));
	item_unref(it);
}

/* ---- delivery ---- */

static int
ready(const struct outbox_item *it, int64_t now)
{
	return it && !it->inflight && it->durable && it->due <= now;
}

/* Arm the timer for the earliest head that could go out. */
static void
reschedule(void)
{
	int64_t now = wall_ns(), first = INT64_MAX, limit;
	struct contact *ct;
	struct timeval tv;

	if (O.timer == NULL || O.closing)
		return;
	if (O.held) {
		evtimer_del(O.timer);
		return;
	}
	limit = now + 2 * (int64_t)backoff_max * NS;
	LIST_FOREACH(ct, &O.contacts, entry) {
		struct outbox_item *it = TAILQ_FIRST(&ct->items);

		if (it == NULL || it->inflight || !it->durable)
			continue;
		if (it->due > limit)	/* the clock went back */
			it->due = now + (int64_t)backoff_max * NS;
		if (it->due < first)
			first = it->due;
	}
	if (first == INT64_MAX) {
		evtimer_del(O.timer);
		return;
	}
	first = first > now ? first - now : 0;
	tv.tv_sec = (time_t)(first / NS);
	tv.tv_usec = (suseconds_t)(first % NS / 1000);
	evtimer_add(O.timer, &tv);
}

/* Hand every contact's due head to the deliverer. */
static void
dispatch_cb(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = wall_ns();
	struct contact *ct;

	(void)fd;
	(void)what;
	(void)arg;
	contacts_prune();
	if (O.held)
		return;
	/* the deliverer may answer at once (the item is gone then) or
	 * queue new items (new contacts go to the head of the list) */
	LIST_FOREACH(ct, &O.contacts, entry) {
		struct outbox_item *it = TAILQ_FIRST(&ct->items);

		if (!ready(it, now))
			continue;
		it->inflight = 1;
		log_debug("outbox: delivering %s (%s %s) to %s, attempt %u",
		    it->id, it->channel, it->kind, it->contact,
		    it->attempts + 1);
		O.deliver(O.arg, it);
	}
	reschedule();
}

static int
next_backoff(int prev)
{
	if (prev <= 0)
		return backoff_min;
	if (prev >= backoff_max / 2)
		return backoff_max;
	return prev * 2;
}

static void
retry_later(struct outbox_item *it, const char *error)
{
	int64_t delay;

	it->backoff = next_backoff(it->backoff);
	delay = (int64_t)it->backoff * NS;
	delay -= (int64_t)(rnd() % (uint64_t)(delay / 10 + 1));
	it->due = wall_ns() + delay;
	/* the first failure is news; the rest of an outage much less */
	log_msg(it->attempts == 1 ? LOG_WARNING :
	    (it->attempts & (it->attempts - 1)) == 0 ? LOG_INFO : LOG_DEBUG,
	    "outbox: %s %s to %s failed (attempt %u), retrying in %ds: %s",
	    it->channel, it->id, it->contact, it->attempts, it->backoff,
	    error ? error : "temporary failure");
	mark_dirty(it);
}

static void
give_up(struct outbox_item *it, const char *error)
{
	struct op *op;

	log_msg(LOG_ERR, "outbox: %s %s to %s (%s%s%s) failed permanently "
	    "after %u attempt%s: %s; kept in %s", it->channel, it->id,
	    it->contact, it->kind, it->target ? " " : "",
	    it->target ? it->target : "", it->attempts,
	    it->attempts == 1 ? "" : "s",
	    error ? error : "permanent failure", O.failed_dir);
	failed_total++;
	journal_item("notify_failed", it, error);
	op = op_new(OP_FAIL, item_path(O.dir, it));
	op->fpath = item_path(O.failed_dir, it);
	op->ftmp = tmp_of(op->fpath);
	op->text = encode(item_json(it), &op->len);
	if (op->text == NULL)
		fatalx("outbox: cannot encode %s", it->id);
	item_remove(it, 0);
	queue_op(op);
}

void
outbox_result(struct outbox_item *it, int ok, int permanent,
    const char *error)
{
	if (it == NULL || !it->inflight) {
		log_warnx("outbox: a result for %s, which is not in flight",
		    it ? it->id : "nothing");
		return;
	}
	it->inflight = 0;
	it->attempts++;
	if (!ok) {
		free(it->last_error);
		it->last_error = clean_text(error ? error : "failed");
	}
	if (ok) {
		if (it->attempts > 1)
			log_info("outbox: %s %s to %s delivered after %u "
			    "attempts", it->channel, it->id, it->contact,
			    it->attempts);
		else
			log_debug("outbox: %s %s to %s delivered",
			    it->channel, it->id, it->contact);
		journal_item("notify_sent", it, NULL);
		item_remove(it, 1);
	} else if (permanent)
		give_up(it, it->last_error);
	else
		retry_later(it, it->last_error);
	reschedule();
}

void
outbox_kick(void)
{
	int64_t now = wall_ns();
	struct outbox_item *it;

	TAILQ_FOREACH(it, &O.items, all) {
		if (it->inflight)
			continue;
		it->backoff = 0;
		if (it->due > now)
			it->due = now;
	}
	reschedule();
}

void
outbox_hold(int on)
{
	if (O.held == !!on)
		return;
	O.held = !!on;
	log_info("outbox: deliveries %s", on ? "held" : "released");
	reschedule();
}

static void
journal_folded(const struct outbox_item *it, const char *into)
{
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s}",
	    "event", "notify_folded",
	    "id", it->id,
	    "contact", it->contact,
	    "channel", it->channel,
	    "kind", it->kind,
	    "target", it->target,
	    "into", into);

	if (ev)
		journal_append(ev, 0);
}

/* Fold one contact's picked items of one channel (v, n) into a new one. */
static int
fold_run(struct outbox_item **v, size_t n, const char *kind,
    outbox_fold_fn *make, void *arg)
{
	const char *id;
	struct outbox_item *it;
	json_t *payload, *ids = json_array();

	payload = make(arg, v[0]->contact, v[0]->channel,
	    (struct outbox_item *const *)v, n);
	if (payload == NULL) {
		json_decref(ids);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, json_string(v[i]->id));
	if ((id = item_add(v[0]->contact, v[0]->channel, kind, NULL, NULL,
	    payload, ids)) == NULL)
		return 0;
	it = TAILQ_LAST(&O.items, itemq);
	/* its write (with the ids) is queued: the removals come after */
	for (size_t i = 0; i < n; i++) {
		journal_folded(v[i], id);
		item_remove(v[i], 1);
	}
	log_info("outbox: %zu %s notification%s to %s folded into %s", n,
	    it->channel, n == 1 ? "" : "s", it->contact, id);
	return 1;
}

unsigned
outbox_fold(int (*pick)(const struct outbox_item *), size_t min,
    const char *kind, outbox_fold_fn *make, void *arg)
{
	static const char *const channels[] = { "email", "webhook" };
	struct contact *ct, **cts = NULL;
	struct outbox_item *it, **v = NULL;
	size_t nct = 0, cap = 0;
	unsigned made = 0;

	if (O.worker == NULL || O.closing)
		return 0;
	/* new items may make new contacts: walk a copy of the list */
	LIST_FOREACH(ct, &O.contacts, entry) {
		cts = xreallocarray(cts, nct + 1, sizeof(*cts));
		cts[nct++] = ct;
	}
	for (size_t c = 0; c < nct; c++) {
		for (size_t ch = 0; ch < 2; ch++) {
			size_t n = 0;

			TAILQ_FOREACH(it, &cts[c]->items, queue) {
				if (it->inflight || strcmp(it->channel,
				    channels[ch]) != 0 || !pick(it))
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					v = xreallocarray(v, cap, sizeof(*v));
				}
				v[n++] = it;
			}
			if (n > 0 && n >= min)
				made += fold_run(v, n, kind, make, arg);
		}
	}
	free(v);
	free(cts);
	reschedule();
	return made;
}

/* ---- queueing ---- */

static int
valid_channel(const char *ch)
{
	return ch && (strcmp(ch, "email") == 0 || strcmp(ch, "webhook") == 0);
}

/*
 * A newer item replaces the contact's waiting ones with its key (not
 * one in flight).  The new one is on its way to the disk before the old
 * ones go: a crash between leaves both (a duplicate), never neither.
 */
static void
coalesce_older(struct outbox_item *it)
{
	struct outbox_item *old, *next;
	char why[48];

	snprintf(why, sizeof(why), "replaced by %s", it->id);
	for (old = TAILQ_FIRST(&it->ct->items); old != it; old = next) {
		next = TAILQ_NEXT(old, queue);
		if (old->inflight || old->coalesce == NULL ||
		    strcmp(old->coalesce, it->coalesce) != 0)
			continue;
		log_debug("outbox: %s (%s) %s", old->id, old->coalesce, why);
		journal_item("notify_dropped", old, why);
		item_remove(old, 1);
	}
}

/* outbox_add(), and the ids a fold replaces (stolen; may be NULL) */
static const char *
item_add(const char *contact, const char *channel, const char *kind,
    const char *target, const char *coalesce, json_t *payload,
    json_t *replaces)
{
	struct outbox_item *it;
	json_t *check;

	if (O.worker == NULL || O.closing || contact == NULL ||
	    *contact == '\0' || !valid_channel(channel) || kind == NULL ||
	    (payload && !json_is_object(payload))) {
		log_warnx("outbox: not queued: %s %s to %s: %s",
		    channel ? channel : "?", kind ? kind : "?",
		    contact ? contact : "?", O.worker == NULL ?
		    "outbox not open" : "invalid notification");
		json_decref(payload);
		json_decref(replaces);
		return NULL;
	}
	it = xcalloc(1, sizeof(*it));
	it->replaces = replaces;
	it->contact = xstrdup(contact);
	it->channel = xstrdup(channel);
	it->kind = xstrdup(kind);
	it->target = nstrdup(target);
	it->coalesce = nstrdup(coalesce);
	it->payload = payload ? payload : json_object();
	it->created = time(NULL);
	it->due = wall_ns();
	if ((check = item_json(it)) == NULL) {	/* not UTF-8 */
		log_warnx("outbox: not queued: %s %s to %s: not UTF-8",
		    channel, kind, contact);
		item_free(it);
		return NULL;
	}
	json_decref(check);

	it->seq = O.next_seq++;
	snprintf(it->id, sizeof(it->id), "%012" PRIu64, it->seq);
	if (it->seq >= O.reserved) {
		/* before the item's own write, so on disk first */
		O.reserved = it->seq + SEQ_BLOCK;
		if (!O.seq_queued) {
			O.seq_queued = 1;
			queue_op(op_new(OP_SEQ,
			    xasprintf("%s/seq", O.dir)));
		}
	}
	item_link(it);
	write_now(it);
	mark_dirty(it);

	if (coalesce)
		coalesce_older(it);
	reschedule();
	return it->id;
}

const char *
outbox_add(const char *contact, const char *channel, const char *kind,
    const char *target, const char *coalesce, json_t *payload)
{
	return item_add(contact, channel, kind, target, coalesce, payload,
	    NULL);
}

/* ---- loading ---- */

static const char *
get_str(json_t *o, const char *key, int nullable, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (nullable && (v == NULL || json_is_null(v)))
		return NULL;
	if (!json_is_string(v))
		*bad = 1;
	return json_string_value(v);
}

static json_int_t
get_int(json_t *o, const char *key, int optional, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (optional && v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		*bad = 1;
	return json_integer_value(v);
}

/* An item from its file's JSON, or NULL if it is not one of ours. */
static struct outbox_item *
item_parse(json_t *o, uint64_t seq, const char **why)
{
	struct outbox_item *it;
	const char *id, *contact, *channel, *kind, *target, *coalesce, *err;
	json_int_t fseq, created, attempts, next_try, backoff;
	json_t *payload;
	int bad = 0;

	if (!json_is_object(o)) {
		*why = "not a JSON object";
		return NULL;
	}
	id = get_str(o, "id", 0, &bad);
	fseq = get_int(o, "seq", 0, &bad);
	contact = get_str(o, "contact", 0, &bad);
	channel = get_str(o, "channel", 0, &bad);
	kind = get_str(o, "kind", 0, &bad);
	target = get_str(o, "target", 1, &bad);
	coalesce = get_str(o, "coalesce", 1, &bad);
	created = get_int(o, "created", 0, &bad);
	attempts = get_int(o, "attempts", 0, &bad);
	next_try = get_int(o, "next_try", 0, &bad);
	backoff = get_int(o, "backoff", 1, &bad);
	err = get_str(o, "last_error", 1, &bad);
	payload = json_object_get(o, "payload");
	if (bad || !json_is_object(payload) || (uint64_t)fseq != seq ||
	    *contact == '\0' || !valid_channel(channel) ||
	    attempts > 1000000 || backoff > 100000000 ||
	    next_try > INT64_MAX / NS - 1) {
		*why = "not an outbox item";
		return NULL;
	}
	it = xcalloc(1, sizeof(*it));
	it->seq = seq;
	snprintf(it->id, sizeof(it->id), "%012" PRIu64, seq);
	if (strcmp(id, it->id) != 0) {
		free(it);
		*why = "its id is not its name";
		return NULL;
	}
	it->contact = xstrdup(contact);
	it->channel = xstrdup(channel);
	it->kind = xstrdup(kind);
	it->target = nstrdup(target);
	it->coalesce = nstrdup(coalesce);
	it->last_error = nstrdup(err);
	it->payload = json_incref(payload);
	it->created = (time_t)created;
	it->attempts = (unsigned)attempts;
	it->backoff = (int)backoff;
	it->due = (int64_t)next_try * NS;
	it->durable = 1;
	if (json_is_array(json_object_get(o, "replaces")))
		it->replaces = json_incref(json_object_get(o, "replaces"));
	return it;
}

/* "000000000042.json" -> 42; the name must be exactly what we write. */
static int
parse_name(const char *name, uint64_t *seq)
{
	char want[48];
	char *end;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	errno = 0;
	*seq = strtoull(name, &end, 10);
	if (errno || strcmp(end, ".json") != 0 || *seq == 0)
		return -1;
	snprintf(want, sizeof(want), "%012" PRIu64 ".json", *seq);
	return strcmp(want, name) == 0 ? 0 : -1;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Out of the way, for someone to look at; never overwrite an earlier
 * one of the same name. */
static void
move_bad(const char *name, const char *why)
{
	char *from = xasprintf("%s/%s", O.dir, name);
	char *to = NULL;

	for (int i = 0; i < 100; i++) {
		struct stat st;

		free(to);
		to = i ? xasprintf("%s/%s.%d", O.bad_dir, name, i) :
		    xasprintf("%s/%s", O.bad_dir, name);
		if (lstat(to, &st) == -1 && errno == ENOENT)
			break;
	}
	if (rename(from, to) == -1)
		log_warn("outbox: %s: %s, and cannot move it to %s", from, why,
		    to);
	else
		log_warnx("outbox: %s: %s; moved to %s", from, why, to);
	free(from);
	free(to);
}

static int
by_seq(const void *a, const void *b)
{
	const struct outbox_item *x = *(struct outbox_item *const *)a;
	const struct outbox_item *y = *(struct outbox_item *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
load_seq(void)
{
	char *path = xasprintf("%s/seq", O.dir);
	char *text = file_read(path, NULL);
	char *end;
	uint64_t v;

	if (text) {
		errno = 0;
		v = strtoull(text, &end, 10);
		if (errno || end == text || (*end && *end != '\n'))
			log_warnx("outbox: %s: not a number, ignored", path);
		else if (v > O.next_seq)
			O.next_seq = v;
		free(text);
	} else if (errno != ENOENT)
		log_warn("outbox: %s", path);
	O.reserved = O.next_seq;	/* nothing reserved beyond yet */
	free(path);
}

/* One *.json file: the item, or NULL and why not. */
static struct outbox_item *
load_file(const char *name, const char *path, const char **why)
{
	struct outbox_item *it = NULL;
	json_error_t jerr;
	json_t *o;
	uint64_t seq;
	char *text;

	if (parse_name(name, &seq) == -1) {
		*why = "not an outbox file name";
		return NULL;
	}
	if (seq >= O.next_seq)	/* a bad file's seq is not reused either */
		O.next_seq = seq + 1;
	if ((text = file_read(path, NULL)) == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	if ((o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		*why = "not JSON (torn by a power cut?)";
	else
		it = item_parse(o, seq, why);
	json_decref(o);
	free(text);
	return it;
}

/*
 * Startup, before the loop runs: the files, in seq order.  Temporaries
 * left by a crash go; anything else that is not an item goes to bad/.
 */
/* A crash between a fold's write and the removal of what it replaced
 * left both: the folded ones go now, or they would be sent twice. */
static void
unfold_leftovers(void)
{
	struct outbox_item *it, *old, *next;
	size_t k;
	json_t *id;
	char *path;
	int removed = 0;

	TAILQ_FOREACH(it, &O.items, all) {
		json_array_foreach(it->replaces, k, id) {
			for (old = TAILQ_FIRST(&O.items); old; old = next) {
				next = TAILQ_NEXT(old, all);
				if (old == it || !json_is_string(id) ||
				    strcmp(old->id, json_string_value(id)) != 0)
					continue;
				path = item_path(O.dir, old);
				if (unlink(path) == -1)
					log_warn("outbox: %s", path);
				free(path);
				log_info("outbox: %s was folded into %s: "
				    "removed", old->id, it->id);
				journal_folded(old, it->id);
				item_remove(old, 0);
				removed = 1;
			}
		}
	}
	/* at start-up, before the loop: the disk directly */
	if (removed && sync_dir(O.dir))
		log_warn("outbox: fsync %s", O.dir);
}

static int
load(void)
{
	struct outbox_item **v = NULL, *it;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int moved = 0, removed = 0;
	DIR *d;

	if ((d = opendir(O.dir)) == NULL) {
		log_warn("outbox: %s", O.dir);
		return -1;
	}
	O.next_seq = 1;
	while ((de = readdir(d)) != NULL) {
		const char *why = "?";
		struct stat st;
		char *path;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", O.dir, de->d_name);
		if (strstr(de->d_name, ".tmp")) {
			if (unlink(path) == -1)
				log_warn("outbox: %s", path);
			else {
				log_info("outbox: removed the leftover %s",
				    path);
				removed = 1;
			}
		} else if (ends_with(de->d_name, ".json") &&
		    lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if ((it = load_file(de->d_name, path, &why)) == NULL) {
				move_bad(de->d_name, why);
				moved = 1;
			} else {
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					v = xreallocarray(v, cap, sizeof(*v));
				}
				v[n++] = it;
			}
		}
		free(path);
	}
	closedir(d);
	if ((moved && sync_dir(O.bad_dir)) ||
	    ((moved || removed) && sync_dir(O.dir)))
		log_warn("outbox: fsync %s", O.dir);

	if (n)
		qsort(v, n, sizeof(*v), by_seq);
	for (size_t i = 0; i < n; i++)
		item_link(v[i]);
	free(v);
	unfold_leftovers();
	load_seq();
	if (n)
		log_info("outbox: %zu notification%s waiting", n,
		    n == 1 ? "" : "s");
	return 0;
}

/* ---- the rest of the API ---- */

int
outbox_open(struct event_base *base, const char *state_dir,
    outbox_deliver_fn *deliver, void *arg)
{
	if (O.worker) {
		log_warnx("outbox: already open");
		return -1;
	}
	memset(&O, 0, sizeof(O));
	TAILQ_INIT(&O.items);
	LIST_INIT(&O.contacts);
	STAILQ_INIT(&O.ops);
	STAILQ_INIT(&O.again);
	O.dir = xasprintf("%s/outbox", state_dir);
	O.failed_dir = xasprintf("%s/outbox/failed", state_dir);
	O.bad_dir = xasprintf("%s/outbox/bad", state_dir);
	if (mkdir_p(O.failed_dir, 0750) == -1 ||
	    mkdir_p(O.bad_dir, 0750) == -1) {
		log_warn("outbox: %s", O.dir);
		goto fail;
	}
	O.base = base;
	O.deliver = deliver;
	O.arg = arg;
	O.rng = ((uint64_t)wall_ns() ^ ((uint64_t)getpid() << 32)) | 1;
	if (load() == -1)
		goto fail;
	O.worker = worker_new(base, "tm-outbox");
	O.timer = evtimer_new(base, dispatch_cb, NULL);
	O.retry = evtimer_new(base, retry_cb, NULL);
	if (O.timer == NULL || O.retry == NULL)
		fatalx("outbox: evtimer_new failed");
	reschedule();
	return 0;

fail:
	free(O.dir);
	free(O.failed_dir);
	free(O.bad_dir);
	memset(&O, 0, sizeof(O));
	return -1;
}

void
outbox_close(void)
{
	struct outbox_item *it;
	struct batch *b;
	struct op *op;

	if (O.worker == NULL)
		return;
	O.closing = 1;
	worker_free(O.worker);	/* the batch on it, and its completion */
	O.worker = NULL;

	/* what is left, once more, right here: tramond is stopping */
	STAILQ_CONCAT(&O.again, &O.ops);
	STAILQ_CONCAT(&O.ops, &O.again);
	if (!STAILQ_EMPTY(&O.ops)) {
		b = batch_take();
		batch_run(b);
		batch_done(b);
	}
	while ((op = STAILQ_FIRST(&O.again)) != NULL) {
		STAILQ_REMOVE_HEAD(&O.again, entry);
		log_warnx("outbox: gave up %s %s", op->kind == OP_UNLINK ?
		    "removing" : "writing", op->path);
		op_free(op);
	}

	while ((it = TAILQ_FIRST(&O.items)) != NULL) {
		it->inflight = 0;	/* abandoned: stays on disk */
		item_remove(it, 0);
	}
	contacts_prune();
	event_free(O.timer);
	event_free(O.retry);
	free(O.dir);
	free(O.failed_dir);
	free(O.bad_dir);
	memset(&O, 0, sizeof(O));
}

void
outbox_set_backoff(int min_s, int max_s)
{
	backoff_min = min_s < 1 ? 1 : min_s;
	backoff_max = max_s < backoff_min ? backoff_min : max_s;
}

unsigned
outbox_pending(void)
{
	return O.npending;
}

unsigned long
outbox_failed_total(void)
{
	return failed_total;
}

void
outbox_foreach(void (*fn)(void *, const struct outbox_item *), void *arg)
{
	const struct outbox_item *it;

	if (O.worker == NULL)
		return;
	TAILQ_FOREACH(it, &O.items, all)
		fn(arg, it);
}

const char *
outbox_item_id(const struct outbox_item *it)
{
	return it->id;
}

uint64_t
outbox_item_seq(const struct outbox_item *it)
{
	return it->seq;
}

const char *
outbox_item_contact(const struct outbox_item *it)
{
	return it->contact;
}

const char *
outbox_item_channel(const struct outbox_item *it)
{
	return it->channel;
}

const char *
outbox_item_kind(const struct outbox_item *it)
{
	return it->kind;
}

const char *
outbox_item_target(const struct outbox_item *it)
{
	return it->target;
}

const char *
outbox_item_coalesce(const struct outbox_item *it)
{
	return it->coalesce;
}

json_t *
outbox_item_payload(const struct outbox_item *it)
{
	return it->payload;
}

unsigned
outbox_item_attempts(const struct outbox_item *it)
{
	return it->attempts;
}

time_t
outbox_item_created(const struct outbox_item *it)
{
	return it->created;
}

time_t
outbox_item_next_try(const struct outbox_item *it)
{
	return next_try_of(it);
}

const char *
outbox_item_last_error(const struct outbox_item *it)
{
	return it->last_error;
}

int
outbox_item_in_flight(const struct outbox_item *it)
{
	return it->inflight;
}
