/*
 * Meeting readiness.  `check_before` minutes before each scheduled video
 * conference (conf `meetings`), the meeting's endpoints are probed at a
 * raised rate for `duration` minutes, by schedules of their own whose
 * results go to the check only (not to the states, not to the RRDs).
 * Each site is then judged ready, at risk or not reachable against the
 * meeting's thresholds; the verdicts are journaled (event "meeting") and
 * one summary goes to the meeting's contacts through the outbox.
 *
 * Checks are planned with one timer per meeting on the loop, weekly
 * meetings in daemon.timezone (the TZ in force), so a DST change moves
 * the check with the meeting's local time.
 */
#ifndef TRAMON_MEETING_H
#define TRAMON_MEETING_H

#include <time.h>

#include <jansson.h>

#include "state.h"
#include "stats.h"

struct conf;
struct event_base;
struct meeting_def;
struct web_snapshot;

enum mverdict { MV_READY, MV_AT_RISK, MV_NOT_REACHABLE, MV_COUNT };

/* "ready", "at_risk", "not_reachable"; parse: -1 if unknown. */
const char *meeting_verdict_name(enum mverdict);
int meeting_verdict_parse(const char *);

/* The first start of `m` after `after` (strictly), in the TZ in force;
 * 0 if there is none (a one-off meeting in the past). */
time_t meeting_next_start(const struct meeting_def *m, time_t after);

/* A site's verdict from the statistics of every answer of the window
 * and the target's state: not reachable if nothing answered or the
 * target is down or unreachable; at risk above a threshold (0 = not
 * checked); ready otherwise. */
enum mverdict meeting_verdict(const struct meeting_def *m,
    const struct round_stats *rs, enum tstate state);

/* `conf` and `st` (the state model's array) stay valid until
 * meeting_reconf() or meeting_stop(); `changed` is called when a check
 * begins or ends (for the pages).  The last results come from the
 * journal of this month and the last. */
void meeting_start(struct event_base *, const struct conf *,
    const struct tstatus *st, void (*changed)(void));
/* Call while the old conf is still allocated: running checks move to
 * the new one's targets. */
void meeting_reconf(const struct conf *, const struct tstatus *st);
void meeting_stop(void);

/* Fill the snapshot's meetings (web.h). */
void meeting_snapshot(struct web_snapshot *);

/* tramonctl: reply objects {"ok": ..., ...}. */
json_t *meeting_list(void);
json_t *meeting_check(const char *name, int minutes, int mail);
json_t *meeting_result(const char *name, json_int_t id);

#endif /* TRAMON_MEETING_H */
