#include "config.h"

#include <string.h>

#include "storm.h"

void
storm_init(struct storm *s, int after, int wait)
{
	memset(s, 0, sizeof(*s));
	storm_configure(s, after, wait);
}

void
storm_configure(struct storm *s, int after, int wait)
{
	after = after < 0 ? 0 : after > STORM_AFTER_MAX ? STORM_AFTER_MAX :
	    after;
	if (after != s->after)	/* the ring's size: count afresh */
		s->nrecent = s->head = 0;
	s->after = after;
	s->wait = wait < 1 ? 1 : wait;
}

/* the ring: the times of the latest `after` notices, held ones too (a
 * storm that goes on past STORM_LONGEST starts the next at once) */
static void
remember(struct storm *s, time_t now)
{
	s->recent[s->head] = now;
	s->head = (s->head + 1) % (unsigned)s->after;
	if (s->nrecent < (unsigned)s->after)
		s->nrecent++;
}

int
storm_notice(struct storm *s, time_t now)
{
	time_t oldest;

	if (s->after == 0)
		return 0;
	oldest = s->recent[s->head];
	if (s->since == 0 && s->nrecent == (unsigned)s->after &&
	    now - oldest < STORM_WINDOW && now >= oldest) {
		/* `after` notices already within the window: it begins */
		s->since = now;
		s->held = 0;
	}
	remember(s, now);
	if (s->since == 0)
		return 0;
	s->last = now;
	s->held++;
	return 1;
}

int
storm_active(const struct storm *s)
{
	return s->since != 0;
}

int
storm_over(const struct storm *s, time_t now)
{
	if (s->since == 0)
		return 0;
	/* turned off, or the wall clock went back: end it rather than
	 * hold for ever */
	if (s->after == 0 || now < s->last)
		return 1;
	return now - s->last >= s->wait || now - s->since >= STORM_LONGEST;
}

void
storm_end(struct storm *s)
{
	s->since = s->last = 0;
	s->held = 0;
}
