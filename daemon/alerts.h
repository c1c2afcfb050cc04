/*
 * Alerting: the policy's notices (notify.c) journaled, put into words
 * (alert.c), composed as mails (mailmsg.c) or webhook documents, queued
 * durably in the outbox (outbox.c) and delivered from there by SMTP or
 * HTTP (smtp.c, webhook.c) on the event loop.
 *
 * Every notice is journaled, then written to the outbox, before any
 * delivery is tried; the outbox survives restarts and retries with
 * backoff, in order per contact.
 */
#ifndef TRAMON_ALERTS_H
#define TRAMON_ALERTS_H

#include <time.h>

#include <jansson.h>

#include "state.h"

struct conf;
struct event_base;

/* `st` is the state model's array; it and `conf` stay valid until
 * alerts_reconf() or alerts_stop().  `saved` is what alerts_save()
 * returned before a restart (or NULL); `replay`, the notices journaled
 * after it was saved: [{"target": index, "kind", "at"}] (or NULL).
 * `dirty` is called when what
 * alerts_save() returns has changed (an acknowledgement, a maintenance
 * window).  0 ok, -1 logged. */
/* `dirty`: the saved state must be written soon; `remember`: a daemon
 * event for the pages ("cut", "reconnected": the monitor's way out). */
int alerts_start(struct event_base *, const char *state_dir,
    const struct conf *, const struct tstatus *st, json_t *saved,
    json_t *replay, void (*dirty)(void),
    void (*remember)(time_t, const char *event));
void alerts_reconf(const struct conf *, const struct tstatus *st);
void alerts_stop(void);

/* What the monitor sees. */
void alerts_state(const struct state_change *);
void alerts_event(int target, const char *kind, const char *instance,
    const char *text, time_t at);

/* The readiness summary of a meeting check (its journal event, see
 * alert.h), to the meeting's contacts: outbox kind "meeting". */
struct meeting_def;
void alerts_meeting(const struct meeting_def *, json_t *ev);

/* For the saved state (state.json's "alerts"). */
json_t *alerts_save(void);

/* tramonctl: each returns a reply object {"ok": ..., ...}. */
json_t *alerts_ack(const char *target, const char *comment);
json_t *alerts_maintenance_add(const char *target, long seconds,
    const char *reason);
json_t *alerts_maintenance_end(const char *target);
json_t *alerts_maintenance_list(void);
json_t *alerts_test_email(const char *contact);

/* For /metrics. */
/* A monthly report to reports.send_to (outbox kind "report", never
 * folded into a digest): the mail with `files` attached, and `hook` to
 * each contact's webhook. */
struct alert_text;
struct mail_attachment;
void alerts_report(const char *month, const struct alert_text *,
    const struct mail_attachment *files, size_t nfiles, json_t *hook);

unsigned alerts_pending(void);
unsigned long alerts_failed_total(void);
/* 1 while delivery is held: a storm, or the monitor reconnecting. */
int alerts_holding(void);

#endif /* TRAMON_ALERTS_H */
