/*
 * The alert policy: which state changes and probe events become
 * notifications, and when.  Pure logic, no I/O: it is fed the state
 * model's changes, the probes' events and the passing of time, and hands
 * each notice to a callback (which journals it, composes the messages
 * and queues them in the outbox).
 *
 *  - DOWN once a target is down; UP when it answers again, with how long
 *    it was down; DEGRADED past a threshold and NORMAL when back.
 *  - A parent that goes down: its notice waits until its children have
 *    had a round to fail (one interval of the slowest, at most
 *    SETTLE_MAX), then names every child it cut off; unreachable children
 *    get no notice of their own.  A child still down once its parent is
 *    back is reported then (the state model re-checks it first).
 *  - A switch's reboot, a port that was up going down (and back up).
 *  - Flapping: FLAP_CHANGES changes between down and up within
 *    FLAP_WINDOW give one FLAPPING notice and silence for that target
 *    until it has kept one state for FLAP_QUIET: then STABLE.
 *  - REMINDER every repeat_minutes while down, until acknowledged.
 *  - Maintenance (the configuration's windows and ad-hoc ones): nothing
 *    for the target while it lasts; its start and end are notices of
 *    their own (journaled, not mailed).  A target still down when the
 *    window ends is reported then.
 *  - The monitor's own way out: when every root target (one without a
 *    parent; two or more) is down at once, it is more likely the
 *    monitoring PC that is cut off than all of them: CUT.  When a root answers again,
 *    RECONNECTED: what was said meanwhile and could not be delivered is
 *    held; once the targets have had time to be checked again
 *    (DIGEST_SETTLE), DIGEST: the held notifications go out as one
 *    digest per contact, each event with its time.  (Journaled; the
 *    digest itself is the mail.)
 */
#ifndef TRAMON_NOTIFY_H
#define TRAMON_NOTIFY_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "state.h"

struct conf;

#define SETTLE_MAX	300		/* s a parent's notice may wait */
#define FLAP_CHANGES	6		/* changes ... */
#define FLAP_WINDOW	(30 * 60)	/* ... within this many seconds */
#define FLAP_QUIET	(15 * 60)	/* one state this long: stable */
#define DIGEST_SETTLE	300		/* s at most from reconnection to
					 * the digest */

enum notice_kind {
	NK_DOWN,
	NK_UP,
	NK_DEGRADED,
	NK_NORMAL,
	NK_REBOOT,
	NK_PORT_DOWN,
	NK_PORT_UP,
	NK_FLAPPING,
	NK_STABLE,
	NK_REMINDER,
	NK_MAINT_START,		/* journal only */
	NK_MAINT_END,		/* journal only */
	NK_CUT,			/* every root down: the monitor cut off */
	NK_RECONNECTED,		/* a root answers again: hold delivery */
	NK_DIGEST,		/* settled: fold what is held into digests */
	NK_COUNT
};

struct notice {
	enum notice_kind kind;
	int target;		/* index into conf->targets; CUT,
				 * RECONNECTED: the last root down, the
				 * first one back; DIGEST: -1 */
	time_t at;		/* when it happened (DOWN: its first failed
				 * round) */
	time_t since;		/* UP, REMINDER: down since; NORMAL: degraded
				 * since; STABLE, FLAPPING: first change;
				 * CUT, RECONNECTED, DIGEST: cut since */
	enum tstate state;	/* the target's state now */
	const char *why;	/* the reason given, or NULL */
	const char *instance;	/* REBOOT, PORT_*: the port, or NULL */
	const int *children;	/* DOWN: targets it cut off */
	size_t nchildren;
	int late;		/* DOWN: sent when a maintenance window or
				 * flapping ended, not when it went down */
};

typedef void notice_fn(void *arg, const struct notice *);

/* `st` is the state model's array (conf->ntargets entries); both must
 * stay valid until notify_reconf() or notify_free(). */
struct notify *notify_new(const struct conf *, const struct tstatus *st,
    notice_fn *, void *arg);
void notify_free(struct notify *);

/* After a reload: targets are matched by id; what is remembered of the
 * others is dropped. */
void notify_reconf(struct notify *, const struct conf *,
    const struct tstatus *st);

/* A change from the state model. */
void notify_state(struct notify *, const struct state_change *);

/* A probe's event: "reboot", "port_down", "port_up" (others ignored). */
void notify_event(struct notify *, int target, const char *kind,
    const char *instance, const char *text, time_t at);

/* The passing of time: settled parents, reminders, flapping that calmed
 * down, maintenance windows that began or ended.  Call every few
 * seconds. */
void notify_tick(struct notify *, time_t now);

/* Between RECONNECTED and DIGEST: deliveries wait for the digest. */
int notify_holding(const struct notify *);
/* When the way out was cut (0 = it is not), and when it came back (0 =
 * not yet). */
time_t notify_cut_since(const struct notify *, time_t *reconnected);

/* Stop reminders for a target until it recovers; -1 if it is not down. */
int notify_ack(struct notify *, int target, time_t now);

/* Ad-hoc maintenance until `until` (0 ends it); `reason` may be NULL. */
void notify_maintenance(struct notify *, int target, time_t until,
    const char *reason, time_t now);
/* Is the target in maintenance now (a window or ad-hoc)? */
int notify_in_maintenance(const struct notify *, int target, time_t now);
/* The ad-hoc window of a target: its end (0 = none) and reason. */
time_t notify_adhoc(const struct notify *, int target, const char **reason);

/* What must survive a restart (notified down, acknowledged, flapping,
 * ad-hoc maintenance), keyed by target id. */
json_t *notify_save(const struct notify *);
void notify_restore(struct notify *, json_t *);

/* What the journal says was notified after the saved state was written
 * (a crash between a notice and the next save): "down", "up", ...,
 * "ack", at the time the notice was about; "cut", "reconnected" and
 * "digest" (the monitor's way out) with target -1. */
void notify_replay(struct notify *, int target, const char *kind,
    time_t at);

const char *notice_kind_name(enum notice_kind);	/* "down", "up", ... */

#endif /* TRAMON_NOTIFY_H */
