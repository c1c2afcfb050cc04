#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "alert.h"
#include "alerts.h"
#include "conf.h"
#include "curlev.h"
#include "digest.h"
#include "journal.h"
#include "log.h"
#include "mailmsg.h"
#include "notify.h"
#include "outbox.h"
#include "smtp.h"
#include "storm.h"
#include "util.h"
#include "webhook.h"

#define TICK_S	5

static struct {
	struct event_base *base;
	const struct conf *conf;
	const struct tstatus *st;
	struct notify *nf;
	struct event *tick;
	struct curlev *curl;
	char *password;		/* smtp.password_file's, or NULL */
	unsigned long long nmsg;	/* for Message-IDs */
	void (*dirty)(void);
	void (*remember)(time_t, const char *);
	struct sending *sending;	/* in flight */
	int reconnecting;	/* delivery waits for the cut's digest */
	struct storm storm;	/* delivery waits for the storm's digest */
} A;

/* A delivery in flight: the outbox item and what the transport holds. */
struct sending {
	struct outbox_item *item;
	struct smtp_job *smtp;		/* or */
	struct webhook_job *hook;
	struct sending *prev, *next;	/* A.sending */
	char *mail_from;
	char **rcpt;
	char *msg;
	size_t len;
};

static int
find_target(const char *id)
{
	for (size_t i = 0; i < A.conf->ntargets; i++)
		if (strcmp(A.conf->targets[i].pub.id, id) == 0)
			return (int)i;
	return -1;
}

static const struct contact *
find_contact(const char *id)
{
	for (size_t i = 0; i < A.conf->ncontacts; i++)
		if (strcmp(A.conf->contacts[i].id, id) == 0)
			return &A.conf->contacts[i];
	return NULL;
}

static void
read_password(void)
{
	char err[256];

	free(A.password);
	A.password = NULL;
	if (!A.conf->smtp.present || A.conf->smtp.password_file == NULL ||
	    *A.conf->smtp.password_file == '\0')
		return;
	if (smtp_read_password(A.conf->smtp.password_file, &A.password, err,
	    sizeof(err)) == -1)
		log_warnx("smtp: %s: %s; mail will be refused until it is "
		    "readable (reload)", A.conf->smtp.password_file, err);
}

/* --- delivery (outbox -> transports) ----------------------------------- */

static struct sending *
sending_new(struct outbox_item *item)
{
	struct sending *s = xcalloc(1, sizeof(*s));

	s->item = item;
	s->next = A.sending;
	if (A.sending)
		A.sending->prev = s;
	A.sending = s;
	return s;
}

static void
sending_free(struct sending *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		A.sending = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s->mail_from);
	for (size_t i = 0; s->rcpt && s->rcpt[i]; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	free(s->msg);
	free(s);
}

static void
delivered(void *arg, const struct smtp_result *r)
{
	struct sending *s = arg;

	if (r->ok)
		log_info("alerts: %s %s to %s delivered",
		    outbox_item_kind(s->item), outbox_item_id(s->item),
		    outbox_item_contact(s->item));
	outbox_result(s->item, r->ok, r->permanent, r->ok ? NULL : r->error);
	sending_free(s);
}

static void
deliver_email(struct sending *s, json_t *p)
{
	const char *msg = json_string_value(json_object_get(p, "message"));
	json_t *rcpt = json_object_get(p, "rcpt");
	char from[256];
	size_t n = json_array_size(rcpt);

	if (!A.conf->smtp.present) {
		outbox_result(s->item, 0, 1, "no smtp section in the "
		    "configuration");
		sending_free(s);
		return;
	}
	if (msg == NULL || n == 0 || mail_addr_spec(A.conf->smtp.from, from,
	    sizeof(from)) == -1) {
		outbox_result(s->item, 0, 1, "malformed outbox item");
		sending_free(s);
		return;
	}
	s->mail_from = xstrdup(from);
	s->rcpt = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		s->rcpt[i] = xstrdup(json_string_value(json_array_get(rcpt,
		    i)) ? json_string_value(json_array_get(rcpt, i)) : "");
	s->msg = xstrdup(msg);
	s->len = strlen(msg);
	s->smtp = smtp_send(A.curl, &A.conf->smtp, A.password, s->mail_from,
	    (const char *const *)s->rcpt, s->msg, s->len, delivered, s);
}

static void
deliver(void *arg, struct outbox_item *item)
{
	struct sending *s = sending_new(item);
	json_t *p = outbox_item_payload(item);
	const char *channel = outbox_item_channel(item);

	(void)arg;
	if (strcmp(channel, "email") == 0) {
		deliver_email(s, p);
		return;
	}
	if (strcmp(channel, "webhook") == 0) {
		const char *url = json_string_value(json_object_get(p, "url"));
		const char *body = json_string_value(json_object_get(p,
		    "json"));

		if (url == NULL || body == NULL) {
			outbox_result(item, 0, 1, "malformed outbox item");
			sending_free(s);
			return;
		}
		s->msg = xstrdup(body);
		s->hook = webhook_post(A.curl, url, A.conf->smtp.ca_file,
		    A.conf->smtp.present && A.conf->smtp.timeout > 0 ?
		    A.conf->smtp.timeout : 30, s->msg, delivered, s);
		return;
	}
	outbox_result(item, 0, 1, "unknown channel");
	sending_free(s);
}

/* --- notices (policy -> journal -> outbox) ----------------------------- */

static void
journal_notice(const struct notice *no, const char *reason)
{
	const struct conf *c = A.conf;
	json_t *ev = json_object();
	char when[40];

	if (no->kind == NK_CUT || no->kind == NK_RECONNECTED ||
	    no->kind == NK_DIGEST) {
		json_object_set_new(ev, "event", json_string("way_out"));
		json_object_set_new(ev, "action", json_string(
		    notice_kind_name(no->kind)));
		if (no->target >= 0)
			json_object_set_new(ev, "target", json_string(
			    c->targets[no->target].pub.id));
		iso8601(no->since, when, sizeof(when));
		json_object_set_new(ev, "since", json_string(when));
		iso8601(no->at, when, sizeof(when));
		json_object_set_new(ev, "at", json_string(when));
		journal_append(ev, 0);
		return;
	}
	if (no->kind == NK_MAINT_START || no->kind == NK_MAINT_END) {
		json_object_set_new(ev, "event", json_string("maintenance"));
		json_object_set_new(ev, "target", json_string(
		    c->targets[no->target].pub.id));
		json_object_set_new(ev, "action", json_string(
		    no->kind == NK_MAINT_START ? "start" : "end"));
		if (reason)
			json_object_set_new(ev, "reason", json_string(reason));
		journal_append(ev, no->at);
		return;
	}
	json_object_set_new(ev, "event", json_string("notice"));
	json_object_set_new(ev, "kind", json_string(notice_kind_name(
	    no->kind)));
	json_object_set_new(ev, "target", json_string(
	    c->targets[no->target].pub.id));
	if (no->instance)
		json_object_set_new(ev, "instance", json_string(no->instance));
	if (no->nchildren) {
		json_t *kids = json_array();

		for (size_t i = 0; i < no->nchildren; i++)
			json_array_append_new(kids, json_string(
			    c->targets[no->children[i]].pub.id));
		json_object_set_new(ev, "children", kids);
	}
	iso8601(no->at, when, sizeof(when));
	json_object_set_new(ev, "at", json_string(when));
	if (no->late)
		json_object_set_new(ev, "late", json_true());
	journal_append(ev, 0);
}

static json_t *
email_payload_files(const struct contact *, const struct notice *,
    const struct alert_text *, time_t, int, const struct mail_attachment *,
    size_t);

static json_t *
email_payload(const struct contact *ct, const struct notice *no,
    const struct alert_text *t, time_t now, int late)
{
	return email_payload_files(ct, no, t, now, late, NULL, 0);
}

static json_t *
email_payload_files(const struct contact *ct, const struct notice *no,
    const struct alert_text *t, time_t now, int late,
    const struct mail_attachment *files, size_t nfiles)
{
	const struct conf *c = A.conf;
	const char *target = no ? c->targets[no->target].pub.id : NULL;
	char *id, *refs = NULL, *key = NULL;
	struct mail_msg m = { 0 };
	json_t *p, *rcpt = json_array();
	char err[256], *msg;
	size_t len;

	/* A DOWN's Message-ID follows from when it went down, so that the
	 * UP (and a reminder) can refer to it, even after a restart. */
	if (no)
		key = xasprintf("%s-down-%s", target, ct->id);
	if (no && no->kind == NK_DOWN)
		id = mail_message_id(no->at, 0, key, c->smtp.from);
	else
		id = mail_message_id(now, ++A.nmsg, target, c->smtp.from);
	if (no && (no->kind == NK_UP || no->kind == NK_REMINDER))
		refs = mail_message_id(no->since, 0, key, c->smtp.from);
	m.from = c->smtp.from;
	m.to = (const char *const *)ct->email;
	m.subject = t->subject;
	m.text = t->body;
	m.date = now;
	m.message_id = id;
	m.references = refs;
	m.late_note = late || (no && no->late) ? "yes" : NULL;
	m.attach = files;
	m.nattach = nfiles;
	msg = mail_compose(&m, &len, err, sizeof(err));
	free(id);
	free(refs);
	free(key);
	if (msg == NULL) {
		log_warnx("alerts: cannot compose a mail for %s: %s", ct->id,
		    err);
		json_decref(rcpt);
		return NULL;
	}
	for (char **e = ct->email; e && *e; e++) {
		char addr[256];

		if (mail_addr_spec(*e, addr, sizeof(addr)) == 0)
			json_array_append_new(rcpt, json_string(addr));
	}
	/* "at": when it happened, for a digest */
	p = json_pack("{s:s, s:s, s:o, s:I}", "subject", t->subject,
	    "message", msg, "rcpt", rcpt, "at", (json_int_t)(no ? no->at :
	    now));
	free(msg);
	return p;
}

/* Notifications made, not yet in the outbox. */
struct ready {
	struct {
		const char *contact, *channel;
		json_t *payload;
	} *v;
	size_t n;
	const char *kind, *target;
	char *coalesce;
};

static void
ready_add(struct ready *r, const char *contact, const char *channel,
    json_t *p)
{
	if (p == NULL)
		return;
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	r->v[r->n].contact = contact;
	r->v[r->n].channel = channel;
	r->v[r->n++].payload = p;
}

/* ct's mail and webhook for the notice (or the test mail) into r. */
static void
prepare(struct ready *r, const struct contact *ct, const struct notice *no,
    const struct alert_text *t, json_t *hook, time_t now)
{
	const struct conf *c = A.conf;

	r->kind = no ? notice_kind_name(no->kind) : "test";
	r->target = no ? c->targets[no->target].pub.id : NULL;
	if (no && no->kind == NK_REMINDER && r->coalesce == NULL)
		r->coalesce = xasprintf("reminder:%s", r->target);
	if (ct->email && ct->email[0]) {
		if (!c->smtp.present)
			log_warnx("alerts: contact %s has email but there is "
			    "no smtp section: not sent", ct->id);
		else
			ready_add(r, ct->id, "email", email_payload(ct, no, t,
			    now, 0));
	}
	if (ct->webhook && *ct->webhook && hook) {
		char *body = json_dumps(hook, JSON_COMPACT);

		ready_add(r, ct->id, "webhook", json_pack("{s:s, s:s, s:I}",
		    "url", ct->webhook, "json", body, "at", (json_int_t)(no ?
		    no->at : now)));
		free(body);
	}
}

/* Into the outbox (each item's file written at once, see outbox.c). */
static void
ready_queue(struct ready *r)
{
	for (size_t i = 0; i < r->n; i++)
		outbox_add(r->v[i].contact, r->v[i].channel, r->kind,
		    r->target, r->coalesce, r->v[i].payload);
	free(r->v);
	free(r->coalesce);
	memset(r, 0, sizeof(*r));
}

static void
queue(const struct contact *ct, const struct notice *no,
    const struct alert_text *t, json_t *hook, time_t now)
{
	struct ready r = { .n = 0 };

	prepare(&r, ct, no, t, hook, now);
	ready_queue(&r);
}

static int
has_children(int target)
{
	for (size_t i = 0; i < A.conf->ntargets; i++)
		if (A.conf->targets[i].parent == target)
			return 1;
	return 0;
}

/* --- digests: after the monitor was cut off, after a storm ------------ */

/* What a digest is of: the notices held from `since` to `until`. */
struct held { enum digest_why why; time_t since, until; };

/* The digest's span and reason, from what it folds (an earlier digest
 * among them may be a cut's, or older). */
static struct held
held_of(const struct held *h, const struct digest_set *d)
{
	struct held r = *h;

	if (d->cut)
		r.why = DIGEST_CUT;
	if (d->n && d->first < r.since)
		r.since = d->first;
	if (d->n && d->last > r.until)
		r.until = d->last;
	return r;
}

/* The payload keeps the notices, for a later fold (digest.h). */
static json_t *
keep_lines(json_t *p, struct digest_set *d, const struct held *h)
{
	if (p == NULL)
		return NULL;
	json_object_set(p, "lines", d->lines);
	json_object_set_new(p, "cut", json_boolean(h->why == DIGEST_CUT));
	return p;
}

static json_t *
email_digest(const struct contact *ct, const struct held *h0,
    struct outbox_item *const *v, size_t n)
{
	struct digest_set d;
	struct alert_text t;
	struct held h;
	json_t *p;

	digest_collect(&d, v, n, 0);
	h = held_of(h0, &d);
	alert_digest(A.conf, A.st, h.why, h.since, h.until, d.l, d.n, &t);
	p = keep_lines(email_payload(ct, NULL, &t, time(NULL),
	    h.why == DIGEST_CUT), &d, &h);
	alert_text_free(&t);
	digest_set_free(&d);
	return p;
}

static json_t *
webhook_digest(const struct contact *ct, const struct held *h0,
    struct outbox_item *const *v, size_t n)
{
	struct digest_set d;
	struct alert_text t;
	struct held h;
	json_t *doc, *p;
	char *body;

	digest_collect(&d, v, n, 1);
	h = held_of(h0, &d);
	alert_digest(A.conf, A.st, h.why, h.since, h.until, d.l, d.n, &t);
	doc = alert_digest_webhook_json(A.conf, h.why, h.since, h.until,
	    json_incref(d.events), &t);
	alert_text_free(&t);
	body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	p = keep_lines(json_pack("{s:s, s:s, s:I}", "url", ct->webhook,
	    "json", body, "at", (json_int_t)time(NULL)), &d, &h);
	free(body);
	digest_set_free(&d);
	return p;
}

static json_t *
make_digest(void *arg, const char *contact, const char *channel,
    struct outbox_item *const *v, size_t n)
{
	const struct contact *ct = find_contact(contact);

	/* a contact no longer configured: its items go as they are */
	if (ct == NULL)
		return NULL;
	if (strcmp(channel, "email") == 0)
		return A.conf->smtp.present ? email_digest(ct, arg, v, n) :
		    NULL;
	if (ct->webhook && *ct->webhook)
		return webhook_digest(ct, arg, v, n);
	return NULL;
}

/* Delivery waits while the monitor is reconnecting or a storm goes on. */
static void
hold(void)
{
	outbox_hold(A.reconnecting || storm_active(&A.storm));
}

static void
way_out(const struct notice *no)
{
	const char *id = no->target >= 0 ? A.conf->targets[no->target].pub.id :
	    NULL;
	struct held cut = { DIGEST_CUT, no->since, no->at };
	unsigned made;

	if (A.remember && no->kind != NK_DIGEST)
		A.remember(no->kind == NK_CUT ? no->since : no->at,
		    notice_kind_name(no->kind));
	switch (no->kind) {
	case NK_CUT:
		log_warnx("alerts: every root target is down (the last: %s): "
		    "the monitor itself seems cut off; what cannot be "
		    "delivered now will go out as one digest", id);
		A.reconnecting = 0;	/* cut again: deliver what can be */
		hold();
		break;
	case NK_RECONNECTED:
		log_info("alerts: %s answers again: the monitor is "
		    "reconnected; deliveries wait for the digest", id);
		A.reconnecting = 1;
		hold();
		break;
	default:
		made = outbox_fold(digest_foldable, 2, "digest", make_digest, &cut);
		log_info("alerts: the targets are checked again: %u digest%s "
		    "queued", made, made == 1 ? "" : "s");
		A.reconnecting = 0;
		hold();
		outbox_kick();
		break;
	}
}

/* A notice went into the outbox: does a storm begin? */
static void
storm_count(time_t now)
{
	int was = storm_active(&A.storm);

	if (storm_notice(&A.storm, now) && !was) {
		log_warnx("alerts: more than %d notices within %d s: the next "
		    "ones wait to go as one digest a contact, once none has "
		    "come for %d s", A.storm.after, STORM_WINDOW,
		    A.storm.wait);
		hold();
	}
}

/* The storm is over: what it held goes as one digest a contact (a
 * single notice as it is). */
static void
storm_fold(time_t now)
{
	struct held h = { DIGEST_STORM, A.storm.since, A.storm.last };
	unsigned made, held = A.storm.held;

	if (!storm_over(&A.storm, now))
		return;
	/* while reconnecting, the cut's digest will take them */
	made = A.reconnecting ? 0 : outbox_fold(digest_foldable, 2, "digest",
	    make_digest, &h);
	storm_end(&A.storm);
	log_info("alerts: the storm is over (%u notices held): %u digest%s "
	    "queued", held, made, made == 1 ? "" : "s");
	hold();
}

static void
on_notice(void *arg, const struct notice *no)
{
	const struct conf *c = A.conf;
	const struct target_def *d;
	struct alert_text t;
	struct ready r = { .n = 0 };
	json_t *hook;
	time_t now = time(NULL);

	(void)arg;
	if (no->kind == NK_CUT || no->kind == NK_RECONNECTED ||
	    no->kind == NK_DIGEST) {
		journal_notice(no, no->why);
		way_out(no);
		if (A.dirty)	/* or a restart would make it again */
			A.dirty();
		return;
	}
	d = &c->targets[no->target];
	/* a way out came back (the WAN router, an uplink): the mail
	 * server may be reachable again, do not wait for the backoff */
	if (no->kind == NK_UP && has_children(no->target))
		outbox_kick();
	if (no->kind == NK_MAINT_START || no->kind == NK_MAINT_END) {
		journal_notice(no, no->why);
		log_info("%s: maintenance %s%s%s", d->pub.id,
		    no->kind == NK_MAINT_START ? "begins" : "ends",
		    no->why ? ": " : "", no->why ? no->why : "");
		return;
	}
	/*
	 * Everything is composed first, then journaled, then queued: the
	 * journal line and the outbox files are written back to back, so
	 * a tramond killed in between (the notice said, its mail never
	 * queued) is a matter of a few system calls, not of composing.
	 */
	alert_compose(c, A.st, no, &t);
	hook = alert_webhook_json(c, A.st, no, &t);
	for (char **id = d->notify; id && *id; id++) {
		const struct contact *ct = find_contact(*id);

		if (ct)
			prepare(&r, ct, no, &t, hook, now);
	}
	journal_notice(no, no->why);
	if (r.n > 0)
		storm_count(now);
	ready_queue(&r);
	log_info("%s: notice %s%s (%s)", d->pub.id, notice_kind_name(no->kind),
	    no->late ? " (late)" : "", t.subject);
	json_decref(hook);
	alert_text_free(&t);
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { TICK_S, 0 };

	(void)fd;
	(void)what;
	(void)arg;
	notify_tick(A.nf, time(NULL));
	storm_fold(time(NULL));
	evtimer_add(A.tick, &tv);
}

/* --- the interface ----------------------------------------------------- */

int
alerts_start(struct event_base *base, const char *state_dir,
    const struct conf *c, const struct tstatus *st, json_t *saved,
    json_t *replay, void (*dirty)(void),
    void (*remember)(time_t, const char *event))
{
	size_t k;
	json_t *r;

	struct timeval tv = { TICK_S, 0 };

	A.base = base;
	A.conf = c;
	A.st = st;
	A.dirty = dirty;
	A.remember = remember;
	if ((A.curl = curlev_new(base)) == NULL)
		return -1;
	read_password();
	A.nf = notify_new(c, st, on_notice, NULL);
	storm_init(&A.storm, c->storm_after, c->storm_wait);
	if (saved)
		notify_restore(A.nf, saved);
	json_array_foreach(replay, k, r) {
		json_int_t i = json_integer_value(json_object_get(r,
		    "target"));

		/* the monitor's way out is no target's: -1 */
		if (i >= -1 && i < (json_int_t)c->ntargets &&
		    json_is_string(json_object_get(r, "kind")))
			notify_replay(A.nf, (int)i, json_string_value(
			    json_object_get(r, "kind")), (time_t)
			    json_integer_value(json_object_get(r, "at")));
	}
	if (outbox_open(base, state_dir, deliver, NULL) == -1)
		return -1;
	/* stopped between reconnection and digest: hold until it */
	A.reconnecting = notify_holding(A.nf);
	hold();
	A.tick = evtimer_new(base, tick, NULL);
	evtimer_add(A.tick, &tv);
	return 0;
}

void
alerts_reconf(const struct conf *c, const struct tstatus *st)
{
	A.conf = c;
	A.st = st;
	notify_reconf(A.nf, c, st);
	storm_configure(&A.storm, c->storm_after, c->storm_wait);
	read_password();
	outbox_kick();	/* a new mail setting, or the officer's nudge */
}

void
alerts_stop(void)
{
	if (A.tick)
		event_free(A.tick);
	/* deliveries in flight stay in the outbox for the next start */
	while (A.sending) {
		struct sending *s = A.sending;

		if (s->smtp)
			smtp_cancel(s->smtp);
		if (s->hook)
			webhook_cancel(s->hook);
		sending_free(s);
	}
	curlev_free(A.curl);
	outbox_close();
	notify_free(A.nf);
	free(A.password);
	memset(&A, 0, sizeof(A));
}

void
alerts_state(const struct state_change *ch)
{
	if (A.nf)
		notify_state(A.nf, ch);
}

void
alerts_event(int target, const char *kind, const char *instance,
    const char *text, time_t at)
{
	if (A.nf)
		notify_event(A.nf, target, kind, instance, text, at);
}

json_t *
alerts_save(void)
{
	return A.nf ? notify_save(A.nf) : json_object();
}

static json_t *
fail(const char *fmt, const char *arg)
{
	return json_pack("{s:b, s:s+}", "ok", 0, "error", fmt, arg);
}

json_t *
alerts_ack(const char *target, const char *comment)
{
	int i = find_target(target);
	json_t *ev;

	if (i < 0)
		return fail("no such target: ", target);
	if (notify_ack(A.nf, i, time(NULL)) == -1)
		return fail("it is not down: ", target);
	ev = json_pack("{s:s, s:s}", "event", "ack", "target", target);
	if (comment && *comment)
		json_object_set_new(ev, "comment", json_string(comment));
	journal_append(ev, 0);
	log_info("%s: acknowledged%s%s", target, comment ? ": " : "",
	    comment ? comment : "");
	if (A.dirty)
		A.dirty();
	return json_pack("{s:b}", "ok", 1);
}

json_t *
alerts_maintenance_add(const char *target, long seconds, const char *reason)
{
	int i = find_target(target);
	time_t now = time(NULL);

	if (i < 0)
		return fail("no such target: ", target);
	if (seconds <= 0 || seconds > 366L * 86400)
		return fail("the duration must be 1 s to 366 days: ", target);
	notify_maintenance(A.nf, i, now + seconds, reason, now);
	if (A.dirty)
		A.dirty();
	return json_pack("{s:b, s:I}", "ok", 1, "until",
	    (json_int_t)(now + seconds));
}

json_t *
alerts_maintenance_end(const char *target)
{
	int i = find_target(target);
	time_t now = time(NULL);

	if (i < 0)
		return fail("no such target: ", target);
	if (notify_adhoc(A.nf, i, NULL) <= now)
		return fail("no ad-hoc maintenance for ", target);
	notify_maintenance(A.nf, i, 0, NULL, now);
	if (A.dirty)
		A.dirty();
	return json_pack("{s:b}", "ok", 1);
}

json_t *
alerts_maintenance_list(void)
{
	json_t *arr = json_array();
	time_t now = time(NULL);

	for (size_t i = 0; i < A.conf->ntargets; i++) {
		const char *reason;
		time_t until = notify_adhoc(A.nf, (int)i, &reason);
		int in = notify_in_maintenance(A.nf, (int)i, now);

		if (!in && until <= now)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:b, s:I, s:s?}",
		    "target", A.conf->targets[i].pub.id, "adhoc",
		    until > now, "until", (json_int_t)(until > now ? until :
		    0), "reason", reason));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "maintenance", arr);
}

json_t *
alerts_test_email(const char *contact)
{
	const struct contact *ct = find_contact(contact);
	struct alert_text t;
	int vi = A.conf->language != LANG_EN;

	if (ct == NULL)
		return fail("no such contact: ", contact);
	if (!A.conf->smtp.present || ct->email == NULL || ct->email[0] ==
	    NULL)
		return fail("no email for this contact, or no smtp section: ",
		    contact);
	t.subject = xasprintf("[tramon] %s%s%s", vi ? "THƯ THỬ" : "TEST",
	    A.conf->name && *A.conf->name ? ": " : "",
	    A.conf->name ? A.conf->name : "");
	t.body = xasprintf("%s\n\n-- \ntramon\n", vi ?
	    "Thư thử của tramon: cảnh báo qua thư điện tử đến được hộp thư "
	    "này." : "A test from tramon: alert mail reaches this mailbox.");
	queue(ct, NULL, &t, NULL, time(NULL));
	alert_text_free(&t);
	journal_append(json_pack("{s:s, s:s}", "event", "test_email",
	    "contact", contact), 0);
	return json_pack("{s:b, s:s}", "ok", 1, "queued",
	    "the test mail is in the outbox; its delivery is logged");
}

void
alerts_meeting(const struct meeting_def *m, json_t *ev)
{
	struct alert_text t;
	json_t *hook;
	time_t now = time(NULL);

	if (A.conf == NULL)
		return;
	alert_meeting(A.conf, ev, &t);
	hook = alert_meeting_webhook_json(A.conf, ev, &t);
	log_info("meeting \"%s\": readiness summary (%s)", m->name, t.subject);
	for (char **id = m->notify; id && *id; id++) {
		const struct contact *ct = find_contact(*id);
		json_t *p;

		if (ct == NULL)
			continue;
		if (ct->email && ct->email[0] && A.conf->smtp.present &&
		    (p = email_payload(ct, NULL, &t, now, 0)) != NULL)
			outbox_add(ct->id, "email", "meeting", NULL, NULL, p);
		if (ct->webhook && *ct->webhook) {
			char *body = json_dumps(hook, JSON_COMPACT);

			p = json_pack("{s:s, s:s, s:I}", "url", ct->webhook,
			    "json", body, "at", (json_int_t)now);
			free(body);
			outbox_add(ct->id, "webhook", "meeting", NULL, NULL, p);
		}
	}
	json_decref(hook);
	alert_text_free(&t);
}

void
alerts_report(const char *month, const struct alert_text *t,
    const struct mail_attachment *files, size_t nfiles, json_t *hook)
{
	time_t now = time(NULL);

	if (A.conf == NULL)
		return;
	for (char **id = A.conf->reports.send_to; id && *id; id++) {
		const struct contact *ct = find_contact(*id);
		json_t *p;

		if (ct == NULL)
			continue;
		if (ct->email && ct->email[0]) {
			if (!A.conf->smtp.present)
				log_warnx("report %s: contact %s has email but "
				    "there is no smtp section: not sent", month,
				    ct->id);
			else if ((p = email_payload_files(ct, NULL, t, now, 0,
			    files, nfiles)) != NULL)
				outbox_add(ct->id, "email", "report", NULL, NULL,
				    p);
		}
		if (ct->webhook && *ct->webhook && hook) {
			char *body = json_dumps(hook, JSON_COMPACT);

			p = json_pack("{s:s, s:s, s:I}", "url", ct->webhook,
			    "json", body, "at", (json_int_t)now);
			free(body);
			outbox_add(ct->id, "webhook", "report", NULL, NULL,
			    p);
		}
	}
}

unsigned
alerts_pending(void)
{
	return outbox_pending();
}

unsigned long
alerts_failed_total(void)
{
	return outbox_failed_total();
}

int
alerts_holding(void)
{
	return A.reconnecting || storm_active(&A.storm);
}
