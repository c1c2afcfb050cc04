/*
 * What a notice says to a person: a subject that tells at a glance what
 * and where ("[tramon] MẤT KẾT NỐI: Xã Trà Linh (198.18.2.17)"), a plain
 * text body (what, where, since when, for how long, the last
 * measurement, the parent or the targets cut off, a link), and the JSON
 * document a webhook receives.  In daemon.language; no I/O.
 */
#ifndef TRAMON_ALERT_H
#define TRAMON_ALERT_H

#include <time.h>

#include <jansson.h>

#include "notify.h"

struct conf;
struct tstatus;

struct alert_text {
	char *subject;		/* UTF-8, not yet RFC 2047 encoded */
	char *body;		/* UTF-8, LF line ends */
};

/* `st`: the state model's array (current states and last rounds). */
void alert_compose(const struct conf *, const struct tstatus *st,
    const struct notice *, struct alert_text *);
void alert_text_free(struct alert_text *);

/* {"event": "down", "target": id, "name", "group", "host", "state",
 *  "time": ISO 8601, "since", "instance", "children": [ids], "late",
 *  "district", "url", "subject", "text"} */
json_t *alert_webhook_json(const struct conf *, const struct tstatus *st,
    const struct notice *, const struct alert_text *);

/* One notice of a digest: when it happened, and what it said. */
struct digest_line {
	time_t at;
	const char *subject;	/* as mailed ("[tramon] ..." or not) */
};

/* Why notices went as one digest. */
enum digest_why {
	DIGEST_CUT,	/* the monitor's own way out was cut: late */
	DIGEST_STORM,	/* too many at once (storm.h) */
};

/*
 * The digest of the notices held from `since` to `until`: the subject
 * counts them, the body says why (`why`), lists each with its time,
 * then what is still wrong now.
 */
void alert_digest(const struct conf *, const struct tstatus *st,
    enum digest_why why, time_t since, time_t until,
    const struct digest_line *, size_t n, struct alert_text *);

/* {"event": "digest", "reason": "cut" | "storm", "since", "until",
 *  "late": (a cut's), "district", "url", "events": [the notices' own
 *  documents], "subject", "text"}; `events` is stolen. */
json_t *alert_digest_webhook_json(const struct conf *, enum digest_why,
    time_t since, time_t until, json_t *events, const struct alert_text *);

/*
 * The readiness summary of a meeting check, from its journal event
 * (meeting.c: {"name", "start", "checked", "until", "ready", "total",
 * "thresholds", "sites": [{"target", "name", "verdict", "rtt", "loss",
 * "jitter", "sent", "received", "status", "reason"}]}, sites not ready
 * first): the subject counts the sites ready, the body has a table of
 * them, the thresholds and a link to meetings.html.
 */
void alert_meeting(const struct conf *, json_t *ev, struct alert_text *);

/* {"event": "meeting", the journal event's fields, "district", "url",
 *  "subject", "text"} */
json_t *alert_meeting_webhook_json(const struct conf *, json_t *ev,
    const struct alert_text *);

#endif /* TRAMON_ALERT_H */
