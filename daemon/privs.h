/*
 * Privileges: after the probes have opened their raw sockets, tramond
 * gives up everything it no longer needs, for good.
 */
#ifndef TRAMON_PRIVS_H
#define TRAMON_PRIVS_H

#include <sys/types.h>

/* Look up `user`: 0 ok, -1 logged.  "root" or the current user means
 * "stay as we are" (*uid = -1). */
int privs_lookup(const char *user, uid_t *uid, gid_t *gid);

/* Hand `path` and everything below it to uid:gid (as root). */
void privs_chown_tree(const char *path, uid_t uid, gid_t gid);

/*
 * Become uid:gid (when root) and drop every capability, ambient ones
 * included (when started with some, e.g. systemd's CAP_NET_RAW).
 * Verifies that root cannot be regained.  Exits on failure.
 */
void privs_drop(uid_t uid, gid_t gid);

/* Create and lock the pid file; refuses (-1, logged) when another
 * tramond holds it.  Returns the open fd (kept until exit). */
int pidfile_open(const char *path);
int pidfile_write(int fd);

#endif /* TRAMON_PRIVS_H */
