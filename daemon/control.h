/*
 * The control socket (daemon.control_socket): tramonctl sends one JSON
 * request line {"cmd": "status", ...} and gets one JSON reply line
 * {"ok": true, ...} or {"ok": false, "error": "..."}.  Only root and the
 * daemon's own user may connect (SO_PEERCRED).
 */
#ifndef TRAMON_CONTROL_H
#define TRAMON_CONTROL_H

#include <sys/types.h>

#include <jansson.h>

struct event_base;

/* Handle a request; return the reply object (ownership passes). */
typedef json_t *control_fn(const char *cmd, json_t *request);

/* Bind the socket (replacing a stale one; refusing if a daemon answers
 * there).  `owner` becomes its owner (-1: leave).  0 ok, -1 logged. */
int control_open(struct event_base *, const char *path, uid_t owner,
    gid_t group, control_fn *fn);

/* Stop listening, drop open connections, remove the socket. */
void control_close(void);

/* Client side: connect, send `request`, wait for the reply (blocking,
 * bounded by `timeout_s`).  Returns the reply, or NULL with errno set
 * (ENOENT/ECONNREFUSED: no daemon; ETIMEDOUT; EPROTO: bad reply). */
json_t *control_call(const char *path, json_t *request, int timeout_s);

#endif /* TRAMON_CONTROL_H */
