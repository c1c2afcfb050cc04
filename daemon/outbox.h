/*
 * The outbox: notifications not yet delivered, in state_dir/outbox/,
 * one file a notification (SEQ.json, a JSON object), kept across
 * restarts and retried with backoff until delivered.
 *
 * - outbox_add() queues an item; its file is written, fsync'd, renamed
 *   and the directory fsync'd by a worker thread (the loop never waits
 *   for the disk).  No delivery is attempted before the file is durable.
 * - Per contact, items go out strictly in seq order, one at a time: only
 *   the oldest undelivered item of a contact is ever handed to the
 *   deliverer.  Contacts are independent (a dead webhook does not hold
 *   up the mail).
 * - The deliverer (the SMTP/webhook transport) gets the item through
 *   the deliver callback and answers, now or later, with outbox_result():
 *   ok removes the file; a temporary failure retries with exponential
 *   backoff (backoff_min doubling to backoff_max, a little jitter); a
 *   permanent failure moves the file to outbox/failed/ for the officers
 *   and lets the contact's next item go.
 * - A coalesce key makes a newer item replace an older, not yet in
 *   flight item of the same contact with the same key, so a long outage
 *   leaves one pending reminder per target, not thousands.  An item in
 *   flight is never touched.
 * - On open, a file that does not parse is moved to outbox/bad/ (never
 *   fatal) and leftover temporary files are removed.  seq never goes
 *   back, even across restarts with an empty outbox: outbox/seq holds a
 *   reserved high-water mark.
 *
 * At most one duplicate: if tramond dies (or the power goes) after the
 * server accepted an item but before its file was removed, the item is
 * sent again after the restart.  Nothing is lost; once each otherwise.
 *
 * Sent and permanently failed items are journaled ("notify_sent",
 * "notify_failed"; a replaced item "notify_dropped"), so the journal
 * must be open before outbox_open() and closed after outbox_close().
 */
#ifndef TRAMON_OUTBOX_H
#define TRAMON_OUTBOX_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

struct event_base;

/* Opaque: the deliverer reads it through the accessors below.  It stays
 * valid from the deliver callback until outbox_result() for it. */
struct outbox_item;

typedef void outbox_deliver_fn(void *arg, struct outbox_item *);

/*
 * Create state_dir/outbox/{,failed/,bad/}, load the pending items and
 * arm the timer: items already due go out soon after the loop runs.
 * `deliver` is called on the loop; it may call outbox_result() before
 * it returns.  evthread_use_pthreads() must have been called (a worker).
 * 0 ok, -1 logged error.
 */
int outbox_open(struct event_base *, const char *state_dir,
    outbox_deliver_fn *deliver, void *arg);

/* Retry delays in seconds (defaults 30 and 3600).  For tests and the
 * configuration; applies to the next failures. */
void outbox_set_backoff(int min_s, int max_s);

/*
 * Queue a notification.  channel is "email" or "webhook"; target and
 * coalesce may be NULL; payload (a JSON object, its reference stolen) is
 * whatever the deliverer needs.  Returns the item's id, valid until the
 * item is delivered (copy it), or NULL (logged) if the item is invalid
 * (not UTF-8, unknown channel, payload not an object) or the outbox is
 * not open.
 */
const char *outbox_add(const char *contact, const char *channel,
    const char *kind, const char *target, const char *coalesce,
    json_t *payload);

/*
 * The deliverer's answer for an item it was handed: ok, or a failure
 * that is permanent (the server refused the address: give up) or not
 * (connection refused, timeout, 4xx: try again later).  `error` may be
 * NULL.  The item must not be used afterwards.
 */
void outbox_result(struct outbox_item *, int ok, int permanent,
    const char *error);

/* Retry every waiting item now and restart their backoff (the uplink is
 * back, an officer asked). */
void outbox_kick(void);

/* While held, no item is handed to the deliverer (those in flight
 * finish); outbox_hold(0) lets them go, the due ones at once.  Not kept
 * across restarts. */
void outbox_hold(int on);

/*
 * Fold waiting items into one.  For each contact and channel, the items
 * not in flight that `pick` accepts, if there are at least `min` (>= 1),
 * are given to `make` in seq order; the payload it returns (or NULL:
 * leave them) is queued as a new item of `kind`, at the end of the
 * contact's queue, and they are removed (journaled "notify_folded").
 * The new item's file lists the ids it replaces: should tramond die
 * before they are gone from the disk, they are removed at the next
 * start, so nothing goes out twice.  Returns the number of new items.
 */
typedef json_t *outbox_fold_fn(void *arg, const char *contact,
    const char *channel, struct outbox_item *const *items, size_t n);
unsigned outbox_fold(int (*pick)(const struct outbox_item *), size_t min,
    const char *kind, outbox_fold_fn *make, void *arg);

/* Items not yet delivered (in flight included); permanent failures
 * since tramond started. */
unsigned outbox_pending(void);
unsigned long outbox_failed_total(void);

const char *outbox_item_id(const struct outbox_item *);
uint64_t outbox_item_seq(const struct outbox_item *);
const char *outbox_item_contact(const struct outbox_item *);
const char *outbox_item_channel(const struct outbox_item *);
const char *outbox_item_kind(const struct outbox_item *);
const char *outbox_item_target(const struct outbox_item *);    /* or NULL */
const char *outbox_item_coalesce(const struct outbox_item *);  /* or NULL */
json_t *outbox_item_payload(const struct outbox_item *);       /* borrowed */
unsigned outbox_item_attempts(const struct outbox_item *);  /* failed tries */
time_t outbox_item_created(const struct outbox_item *);
time_t outbox_item_next_try(const struct outbox_item *);
const char *outbox_item_last_error(const struct outbox_item *); /* or NULL */
int outbox_item_in_flight(const struct outbox_item *);

/* Call fn for each pending item, in seq order (tramonctl's listing).
 * fn must not add or remove items. */
void outbox_foreach(void (*fn)(void *, const struct outbox_item *),
    void *arg);

/*
 * Finish the pending disk writes and free everything.  Deliveries in
 * flight are abandoned: their items stay in the outbox and go out after
 * the next start.  The deliverer must not call outbox_result() after
 * this (stop the transport first).
 */
void outbox_close(void);

#endif /* TRAMON_OUTBOX_H */
