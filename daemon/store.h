/*
 * Storage of measurements in RRD files (state_dir/rrd/ID.rrd), written
 * off the event loop: by a worker thread with librrd, or through
 * rrdcached when daemon.rrdcached is set, the updates then sent in
 * BATCHes on a connection of our own (librrd 1.7.2 has no batch call).
 *
 * Layout of a target's RRD (step = the target's interval, heartbeat
 * 2 x interval, all GAUGE): median min max avg jitter loss up, then
 * q05 q10 q25 q75 q90 q95 for probes that keep a latency distribution,
 * then the probe's own values.  rtt values in seconds, loss in percent.
 * A probe with instances (switch ports) gets one more file for each,
 * state_dir/rrd/ID/NAME.rrd, with the probe's instance values.  Counters
 * are stored as rates per second.
 * RRAs (AVERAGE): 1 step for 2 days, 5 min for 2 weeks, 1 h for 3
 * months, 1 day for 5 years; MIN and MAX beside the 1 h and 1 day ones.
 * When a target's interval or data sources change, the file is rebuilt
 * from the old one (rrd_create's source), so its history is kept.
 */
#ifndef TRAMON_STORE_H
#define TRAMON_STORE_H

#include <stddef.h>
#include <time.h>

struct event_base;
struct conf;
struct target_def;
struct round_stats;

/* Start the writer; connects to rrdcached when configured. */
int store_open(struct event_base *, const struct conf *);

/* A new configuration is in force (reload): later writes use its
 * layouts.  Targets whose layout changed are migrated on their next
 * write. */
void store_reconf(const struct conf *);

/* One instance's values (the probe's nivalues of them; counters as
 * rates per second), stored in state_dir/rrd/ID/NAME.rrd. */
struct store_instance {
	const char *name;
	const double *values;
};

/* Queue one round's values for writing. `values` has the probe's
 * nvalues entries (NULL if none), counters as rates per second. */
void store_round(const struct target_def *, time_t when,
    const struct round_stats *, const double *values,
    const struct store_instance *, size_t ninst);

/* Writes queued and not yet done (updates held for rrdcached too). */
unsigned store_pending(void);

/* Write everything queued, flush rrdcached, stop the writer. */
void store_close(void);

/* "state_dir/rrd/ID.rrd" (caller frees). */
char *store_path(const struct conf *, const char *id);

/* "state_dir/rrd/ID/NAME.rrd", NAME made safe for a file (caller frees). */
char *store_instance_path(const struct conf *, const char *id,
    const char *name);

/* The name rrdcached knows a file (store_path(), store_instance_path())
 * by: relative to its base directory over TCP (daemon.rrdcached_base),
 * the real path over a unix socket, the path itself without rrdcached
 * (caller frees).  Usable from any thread between store_open() and
 * store_close(). */
char *store_cached_name(const char *path);

/* The address of a remote rrdcached (daemon.rrdcached "HOST:PORT"
 * without rrdcached_base): the files are on its host, under
 * daemon.rrdcached_dir, and every read goes through it, by
 * store_cached_name().  NULL when the files are read here. */
const char *store_remote(void);

/* Without store_open(): only what reading needs (the names, the remote
 * rrdcached), for tramonctl.  Nothing to undo at exit. */
void store_readers(const struct conf *);

/* Whether the RRD file `path` (store_path(), store_instance_path())
 * exists: here, or asked of the remote rrdcached.  Any thread. */
int store_rrd_exists(const char *path);

/* rrd_fetch_r() of `path`, through the remote rrdcached when there is
 * one (FETCH; it takes no step: the finest archive covering the span).
 * Same arguments and result; free with rrd_freemem().  Any thread. */
int store_rrd_fetch(const char *path, const char *cf, time_t *start,
    time_t *end, unsigned long *step, unsigned long *nds, char ***names,
    double **data);

/* Around a sequence of librrd's rrdc_* calls (its one shared
 * connection) made outside this file. */
void store_client_lock(void);
void store_client_unlock(void);

/* Data source names of a target's RRD, in order, into `names` (at most
 * `max`); returns how many there are. */
size_t store_ds_names(const struct target_def *, const char **names,
    size_t max);

#endif /* TRAMON_STORE_H */
