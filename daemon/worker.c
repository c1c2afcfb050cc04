#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "util.h"
#include "worker.h"

struct job {
	worker_fn *fn;
	worker_fn *done;
	void *arg;
	struct job *next;
};

struct jobq {
	struct job *head, *tail;
};

struct worker {
	char name[16];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct jobq todo;      /* waiting to run */
	struct jobq finished;  /* ran; completion pending on the loop */
	unsigned pending;      /* queued + running + completion pending */
	int stopping;
	struct event *wakeup;  /* runs completions on the loop */
};

static void
q_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *
q_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j) {
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
	}
	return j;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct job *j;

		while (w->todo.head == NULL && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		j = q_pop(&w->todo);
		if (j == NULL)
			break;	/* stopping and nothing left */
		pthread_mutex_unlock(&w->lock);
		j->fn(j->arg);
		pthread_mutex_lock(&w->lock);
		q_push(&w->finished, j);
		event_active(w->wakeup, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void
run_completions(struct worker *w)
{
	struct jobq done;

	pthread_mutex_lock(&w->lock);
	done = w->finished;
	w->finished.head = w->finished.tail = NULL;
	pthread_mutex_unlock(&w->lock);

	for (struct job *j = done.head, *next; j; j = next) {
		next = j->next;
		if (j->done)
			j->done(j->arg);
		free(j);
		pthread_mutex_lock(&w->lock);
		w->pending--;
		pthread_mutex_unlock(&w->lock);
	}
}

static void
wakeup_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_completions(arg);
}

struct worker *
worker_new(struct event_base *base, const char *name)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	int rc;

	snprintf(w->name, sizeof(w->name), "%s", name);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->wakeup = event_new(base, -1, 0, wakeup_cb, w);
	if (w->wakeup == NULL)
		fatalx("worker %s: event_new failed", name);
	if ((rc = pthread_create(&w->thread, NULL, worker_main, w)) != 0)
		fatalx("worker %s: pthread_create: %s", name, strerror(rc));
	pthread_setname_np(w->thread, w->name);
	return w;
}

void
worker_submit(struct worker *w, worker_fn *fn, worker_fn *done, void *arg)
{
	struct job *j = xmalloc(sizeof(*j));

	j->fn = fn;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&w->lock);
	q_push(&w->todo, j);
	w->pending++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

unsigned
worker_pending(struct worker *w)
{
	unsigned n;

	pthread_mutex_lock(&w->lock);
	n = w->pending;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	run_completions(w);
	event_free(w->wakeup);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
