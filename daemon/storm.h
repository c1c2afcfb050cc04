/*
 * A storm: many notices at once (a power cut takes a whole district
 * down, the uplink comes back and a thousand targets are UP).  One mail
 * a notice would bury the officers (and the mail server); so when more
 * than `after` notices come within STORM_WINDOW seconds, the first
 * `after` go as they are and the rest wait until none has come for
 * `wait` seconds (or the storm has lasted STORM_LONGEST), then go as one
 * digest a contact.  This file only keeps the time; alerts.c holds and
 * folds the outbox.
 */
#ifndef TRAMON_STORM_H
#define TRAMON_STORM_H

#include <time.h>

#define STORM_WINDOW	60	/* seconds the notices are counted over */
#define STORM_LONGEST	120	/* a storm's digest goes out at least this often */
#define STORM_AFTER_MAX	100	/* the largest `after` */

struct storm {
	int after;		/* 0 = never */
	int wait;
	time_t recent[STORM_AFTER_MAX];	/* the latest notices, a ring */
	unsigned nrecent, head;
	time_t since;		/* the storm began (0 = none) */
	time_t last;		/* its latest notice */
	unsigned held;		/* notices that came in it */
};

void storm_init(struct storm *, int after, int wait);
/* A new configuration: a storm under way goes on (or ends at the next
 * storm_over() if `after` is 0). */
void storm_configure(struct storm *, int after, int wait);
/* A notice at `now` (one or more outbox items): 1 if it must wait for
 * the storm's digest, 0 if it goes now. */
int storm_notice(struct storm *, time_t now);
/* 1 while a storm holds delivery. */
int storm_active(const struct storm *);
/* 1 if the storm is over at `now` (quiet for `wait`, or too long): fold
 * and let go, then storm_end(). */
int storm_over(const struct storm *, time_t now);
void storm_end(struct storm *);

#endif /* TRAMON_STORM_H */
