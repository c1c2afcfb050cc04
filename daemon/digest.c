#include "config.h"

#include <string.h>

#include "digest.h"
#include "outbox.h"
#include "util.h"

int
digest_foldable(const struct outbox_item *it)
{
	const char *k = outbox_item_kind(it);

	if (strcmp(k, "digest") == 0)	/* one from before "lines": as it is */
		return json_is_array(json_object_get(outbox_item_payload(it),
		    "lines"));
	return strcmp(k, "test") != 0 && strncmp(k, "report", 6) != 0 &&
	    strcmp(k, "meeting") != 0;
}

static time_t
item_at(const struct outbox_item *it)
{
	json_t *at = json_object_get(outbox_item_payload(it), "at");

	return json_is_integer(at) ? (time_t)json_integer_value(at) :
	    outbox_item_created(it);
}

/* A webhook item's document (new reference), or NULL. */
static json_t *
document(const struct outbox_item *it)
{
	const char *s = json_string_value(json_object_get(
	    outbox_item_payload(it), "json"));

	return s ? json_loads(s, 0, NULL) : NULL;
}

static void
add(struct digest_set *d, json_t *line, json_t *event)
{
	json_array_append_new(d->lines, line);
	if (d->events)
		json_array_append_new(d->events, event ? event : json_null());
	else
		json_decref(event);
}

/* One notice item: its line, and its document. */
static void
add_notice(struct digest_set *d, const struct outbox_item *it)
{
	json_t *doc = d->events ? document(it) : NULL;
	const char *subject = json_string_value(json_object_get(doc ? doc :
	    outbox_item_payload(it), "subject"));
	const char *target = outbox_item_target(it);

	add(d, json_pack("{s:I, s:s, s:s?, s:s}", "at", (json_int_t)
	    item_at(it), "subject", subject ? subject : "?", "target", target,
	    "kind", outbox_item_kind(it)), doc);
}

/* A digest item: the notices it kept. */
static void
add_digest(struct digest_set *d, const struct outbox_item *it)
{
	json_t *p = outbox_item_payload(it), *lines = json_object_get(p,
	    "lines"), *doc = d->events ? document(it) : NULL, *ev, *line;
	json_t *events = json_object_get(doc, "events");
	size_t i;

	if (json_is_true(json_object_get(p, "cut")))
		d->cut = 1;
	json_array_foreach(lines, i, line) {
		ev = json_array_get(events, i);
		add(d, json_incref(line), json_incref(ev));
	}
	json_decref(doc);
}

/* Leave out a reminder that a newer one of its target follows. */
static void
drop_old_reminders(struct digest_set *d)
{
	json_t *newer = json_object(), *line;
	size_t i = json_array_size(d->lines);

	while (i-- > 0) {
		const char *target, *kind;

		line = json_array_get(d->lines, i);
		target = json_string_value(json_object_get(line, "target"));
		kind = json_string_value(json_object_get(line, "kind"));
		if (target == NULL || kind == NULL ||
		    strcmp(kind, "reminder") != 0)
			continue;
		if (json_object_get(newer, target)) {
			json_array_remove(d->lines, i);
			if (d->events)
				json_array_remove(d->events, i);
		} else
			json_object_set_new(newer, target, json_true());
	}
	json_decref(newer);
}

void
digest_collect(struct digest_set *d, struct outbox_item *const *v, size_t n,
    int webhook)
{
	json_t *line;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->lines = json_array();
	d->events = webhook ? json_array() : NULL;
	for (i = 0; i < n; i++) {
		if (strcmp(outbox_item_kind(v[i]), "digest") == 0)
			add_digest(d, v[i]);
		else
			add_notice(d, v[i]);
	}
	drop_old_reminders(d);
	d->n = json_array_size(d->lines);
	d->l = xcalloc(d->n ? d->n : 1, sizeof(*d->l));
	json_array_foreach(d->lines, i, line) {
		time_t at = (time_t)json_integer_value(json_object_get(line,
		    "at"));

		d->l[i].at = at;
		d->l[i].subject = json_string_value(json_object_get(line,
		    "subject"));
		if (i == 0 || at < d->first)
			d->first = at;
		if (i == 0 || at > d->last)
			d->last = at;
	}
}

void
digest_set_free(struct digest_set *d)
{
	free(d->l);
	json_decref(d->lines);
	json_decref(d->events);
	memset(d, 0, sizeof(*d));
}
