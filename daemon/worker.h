/*
 * A worker thread for slow work the event loop must not wait for (disk
 * syncs, RRD writes, graph rendering).  Jobs run in submission order;
 * each job's completion callback then runs on the loop thread.
 */
#ifndef TRAMON_WORKER_H
#define TRAMON_WORKER_H

struct event_base;
struct worker;

typedef void worker_fn(void *arg);

/* evthread_use_pthreads() must have been called before the base existed. */
struct worker *worker_new(struct event_base *, const char *name);

/* Run fn(arg) on the worker, then done(arg) on the loop (done may be
 * NULL).  Never blocks the caller. */
void worker_submit(struct worker *, worker_fn *fn, worker_fn *done, void *arg);

/* Jobs queued or running. */
unsigned worker_pending(struct worker *);

/* Finish every queued job (and its completion), then stop the thread. */
void worker_free(struct worker *);

#endif /* TRAMON_WORKER_H */
