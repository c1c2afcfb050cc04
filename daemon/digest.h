/*
 * What a digest holds: the notices of the outbox items it replaces, in
 * the order they were queued.  A digest keeps its notices in its
 * payload ("lines", and for a webhook its document's "events"), so that
 * a digest still waiting can be folded again with what came after it
 * (a storm's digest, the mail server still out of reach, into the cut's
 * digest): the officers get one mail, not one a storm.  A reminder
 * followed by a newer one of the same target is left out, as the outbox
 * replaces a waiting reminder.
 */
#ifndef TRAMON_DIGEST_H
#define TRAMON_DIGEST_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "alert.h"

struct outbox_item;

struct digest_set {
	size_t n;
	struct digest_line *l;	/* n: when, and the subject (in `lines`) */
	json_t *lines;		/* [{"at", "subject", "target", "kind"}] */
	json_t *events;		/* webhook: the notices' documents */
	int cut;		/* a cut's digest is among them */
	time_t first, last;	/* the earliest and latest notice */
};

/* 1 if the item can go into a digest: a notice, or a digest that kept
 * its notices; not a test mail, report or meeting summary. */
int digest_foldable(const struct outbox_item *);

/* The notices of v[0..n), flattened; `webhook`: their documents too. */
void digest_collect(struct digest_set *, struct outbox_item *const *v,
    size_t n, int webhook);
void digest_set_free(struct digest_set *);

#endif /* TRAMON_DIGEST_H */
