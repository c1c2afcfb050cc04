#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <rrd.h>
#include <rrd_client.h>

#include "conf.h"
#include "log.h"
#include "probe.h"
#include "stats.h"
#include "store.h"
#include "util.h"
#include "worker.h"

#define MAX_DS 64

/*
 * One RRD file to write: where, its layout and the update.  The data
 * source definitions belong to a struct layout (shared, immutable).
 */
struct rrd_file {
	char *path;
	char *cname;             /* its name for rrdcached (store_cached_name) */
	int nds;
	char **ds_defs;          /* "DS:name:GAUGE:hb:min:max" */
	char *update;            /* "T:v:v:..." */
};

/*
 * Everything a write needs travels in the job, so the worker thread
 * shares nothing with the loop but the queue.
 */
struct store_job {
	char *id;
	int step;
	struct store_job *next;  /* handed to the worker in chains */
	struct rrd_file target;
	struct rrd_file *inst;
	size_t ninst;
	char *inst_dir;          /* state_dir/rrd/ID */
	int forget_layouts;      /* a reload: re-check every file */
};

/* A file whose layout is checked; `suspect` when rrdcached refused an
 * update as older than the file's last one (see from_the_future). */
struct verified {
	char *name;
	int suspect;
};

/* Worker-thread state. */
static struct {
	char *rrdcached;         /* NULL = direct */
	struct verified *verified; /* by rrdcached name: a hash set (open
				  * addressing), a switch's thousands of
				  * port files among them */
	size_t nverified, capverified;
	unsigned long failures;
	int complained;
} W;

/*
 * Through rrdcached, updates are held here and go in BATCHes: one round
 * trip for up to BATCH_LINES of them instead of one each.  They leave
 * when BATCH_LINES are held, and BATCH_DELAY_S after the first of a
 * quiet spell (a timer on the loop queues a flush job).  What a lost
 * connection did not get an answer for stays held and is sent again
 * after reconnecting; past HOLD_MAX held updates newer ones are dropped,
 * counted and logged.  The worker thread owns it (store_close after the
 * thread has stopped).
 */
#define BATCH_LINES 1000
#define BATCH_DELAY_S 1
#define HOLD_MAX 200000
#define CONNECT_TIMEOUT_S 5
#define IO_TIMEOUT_S 30
#define RETRY_S 5

static struct {
	int fd;                  /* our own connection, -1 if none */
	char *buf;               /* "UPDATE name T:v:v\n" ... */
	size_t len, cap;
	size_t *off;             /* where each line starts */
	size_t nlines, capoff;
	char in[4096];           /* answers read, not yet parsed */
	size_t inoff, inlen;
	time_t retry_at;         /* no connecting before (after a failure) */
	int down;                /* the connection failed: logged once */
	unsigned long dropped;   /* past HOLD_MAX while it was down */
	time_t log_window;       /* rate limit of per-update errors */
	unsigned logged, suppressed;
} B = { .fd = -1 };

static atomic_uint held;	/* B.nlines, for store_pending() */

/*
 * Rounds go to the worker in chains of up to SUBMIT_MAX jobs, or
 * SUBMIT_DELAY_MS after the first: one hand-over (a lock, a wake-up, a
 * completion) for many (loop thread).
 */
#define SUBMIT_MAX 256
#define SUBMIT_DELAY_MS 10

static struct store_job *q_head, **q_tail = &q_head;
static unsigned q_len;
static struct event *submit_ev;

static struct worker *writer;
static struct event *flush_ev;
static char *state_dir;
static char *local_dir;		/* state_dir/rrd */
static char *cached_dir;	/* its name for rrdcached; NULL = direct */
static char *remote;		/* rrdcached's address when its files are
				 * not seen here (TCP, no rrdcached_base) */

/*
 * librrd's rrdc_* calls share one connection, each call under librrd's
 * own mutex; but rrdc_is_connected() reads that connection unlocked,
 * and connecting then asking are two calls.  tm-store, the web worker
 * and the report jobs all use it: each sequence runs under this lock.
 */
static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int remote_failing;	/* reads: logged once a spell */

char *
store_path(const struct conf *c, const char *id)
{
	return xasprintf("%s/rrd/%s.rrd", c->state_dir, id);
}

size_t
store_ds_names(const struct target_def *d, const char **names, size_t max)
{
	static const char *const base[] = {
		"median", "min", "max", "avg", "jitter", "loss", "up"
	};
	const struct tm_probe_ops *ops = d->probe ? d->probe->ops : NULL;
	size_t n = 0;

#define ADD(s) do { if (n < max) names[n] = (s); n++; } while (0)
	for (size_t i = 0; i < nitems(base); i++)
		ADD(base[i]);
	if (ops && (ops->flags & TM_PROBE_SMOKE))
		for (size_t i = 0; i < STATS_NQ; i++)
			ADD(stats_quantile_names[i]);
	for (size_t i = 0; ops && i < ops->nvalues; i++)
		ADD(ops->values[i].name);
#undef ADD
	return n;
}

static void
fmt_bound(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "U");
	else
		snprintf(buf, len, "%.10g", v);
}

static char *
ds_def(const char *name, int hb, double min, double max)
{
	char lo[32], hi[32];

	fmt_bound(min, lo, sizeof(lo));
	fmt_bound(max, hi, sizeof(hi));
	return xasprintf("DS:%s:GAUGE:%d:%s:%s", name, hb, lo, hi);
}

/* Counters are stored as rates, never negative. */
static double
def_min(const struct tm_value_def *v)
{
	return v->kind == TM_COUNTER && (isnan(v->min) || v->min < 0) ? 0 :
	    v->min;
}

/*
 * The data source definitions of a file, made once for each layout:
 * formatting them at every round cost more than all the rest of a
 * write through rrdcached.  A layout is its step and its data sources
 * (name and bounds); there are a few (each probe's target and instance
 * files, at each interval).  Immutable once made, as jobs on the worker
 * thread point to them; made on the loop thread, freed by store_close.
 */
struct layout {
	int step, nds;
	double lo[MAX_DS], hi[MAX_DS];
	char *defs[MAX_DS];
	struct layout *next;
};
static struct layout *layouts;

static int
same_bound(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static const struct layout *
layout_of(int step, size_t n, const char *const *names, const double *lo,
    const double *hi)
{
	struct layout *l;
	size_t i, len;
	int hb = 2 * step < 10 ? 10 : 2 * step;

	for (l = layouts; l != NULL; l = l->next) {
		if (l->step != step || l->nds != (int)n)
			continue;
		for (i = 0; i < n; i++) {
			len = strlen(names[i]);
			if (strncmp(l->defs[i] + 3, names[i], len) != 0 ||
			    l->defs[i][3 + len] != ':' ||
			    !same_bound(l->lo[i], lo[i]) ||
			    !same_bound(l->hi[i], hi[i]))
				break;
		}
		if (i == n)
			return l;
	}
	l = xcalloc(1, sizeof(*l));
	l->step = step;
	l->nds = (int)n;
	for (i = 0; i < n; i++) {
		l->lo[i] = lo[i];
		l->hi[i] = hi[i];
		l->defs[i] = ds_def(names[i], hb, lo[i], hi[i]);
	}
	l->next = layouts;
	layouts = l;
	return l;
}

static void
free_layouts(void)
{
	struct layout *l;

	while ((l = layouts) != NULL) {
		layouts = l->next;
		for (int i = 0; i < l->nds; i++)
			free(l->defs[i]);
		free(l);
	}
}

/* The layouts of the target's file and of its instances' files. */
static void
job_layout(struct store_job *j, const struct target_def *d,
    const struct layout **ilt)
{
	const char *names[MAX_DS];
	double lo[MAX_DS] = { 0 }, hi[MAX_DS] = { 0 };
	const struct tm_probe_ops *ops = d->probe ? d->probe->ops : NULL;
	size_t n = store_ds_names(d, names, MAX_DS), nbase, ni = 0;
	const struct layout *lt;

	if (n > MAX_DS)
		n = MAX_DS;
	j->step = (int)lround(d->pub.interval);
	if (j->step < 1)
		j->step = 1;
	nbase = n - (ops ? ops->nvalues : 0);
	for (size_t i = 0; i < n; i++) {
		lo[i] = 0;
		hi[i] = NAN;
		if (strcmp(names[i], "loss") == 0)
			hi[i] = 100;
		else if (strcmp(names[i], "up") == 0)
			hi[i] = 1;
		else if (i >= nbase) {
			const struct tm_value_def *v = &ops->values[i - nbase];

			lo[i] = def_min(v);
			hi[i] = v->max;
		}
	}
	lt = layout_of(j->step, n, names, lo, hi);
	j->target.nds = lt->nds;
	j->target.ds_defs = (char **)lt->defs;
	*ilt = NULL;
	for (; ops && ni < ops->nivalues && ni < MAX_DS; ni++) {
		names[ni] = ops->ivalues[ni].name;
		lo[ni] = def_min(&ops->ivalues[ni]);
		hi[ni] = ops->ivalues[ni].max;
	}
	if (ni > 0)
		*ilt = layout_of(j->step, ni, names, lo, hi);
}

static void
append_value(char **buf, size_t *len, size_t *cap, double v)
{
	char tmp[40];
	size_t n;

	if (isnan(v) || isinf(v))
		snprintf(tmp, sizeof(tmp), ":U");
	else
		snprintf(tmp, sizeof(tmp), ":%.9g", v);
	n = strlen(tmp);
	if (*len + n + 1 > *cap) {
		*cap = (*cap + n + 1) * 2;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	memcpy(*buf + *len, tmp, n + 1);
	*len += n;
}

static void
job_free(struct store_job *j)
{
	free(j->target.path);
	free(j->target.cname);
	free(j->target.update);
	for (size_t i = 0; i < j->ninst; i++) {
		free(j->inst[i].path);
		free(j->inst[i].cname);
		free(j->inst[i].update);
	}
	free(j->inst);
	free(j->inst_dir);
	free(j->id);
	free(j);
}

/* ---- worker thread ---- */

static size_t
path_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The slot of `name`, or of the empty one where it would go. */
static size_t
verified_slot(const struct verified *slots, size_t cap, const char *name)
{
	size_t i = path_hash(name) & (cap - 1);

	while (slots[i].name != NULL && strcmp(slots[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static struct verified *
find_verified(const char *name)
{
	struct verified *v;

	if (W.capverified == 0)
		return NULL;
	v = &W.verified[verified_slot(W.verified, W.capverified, name)];
	return v->name != NULL ? v : NULL;
}

static int
is_verified(const char *name)
{
	return find_verified(name) != NULL;
}

static void
set_verified(const char *name)
{
	size_t i;

	if (2 * (W.nverified + 1) > W.capverified) {
		size_t cap = W.capverified ? 2 * W.capverified : 256;
		struct verified *slots = xcalloc(cap, sizeof(*slots));

		for (size_t k = 0; k < W.capverified; k++)
			if (W.verified[k].name != NULL)
				slots[verified_slot(slots, cap,
				    W.verified[k].name)] = W.verified[k];
		free(W.verified);
		W.verified = slots;
		W.capverified = cap;
	}
	i = verified_slot(W.verified, W.capverified, name);
	if (W.verified[i].name != NULL)
		return;
	W.verified[i].name = xstrdup(name);
	W.verified[i].suspect = 0;
	W.nverified++;
}

/* Check the file again at its next write (it went away).  Linear
 * probing: the entries after it that would not be found from their
 * home slot any more move back. */
static void
unset_verified(const char *name)
{
	size_t mask = W.capverified - 1, i, j, home;

	if (find_verified(name) == NULL)
		return;
	i = verified_slot(W.verified, W.capverified, name);
	free(W.verified[i].name);
	W.verified[i].name = NULL;
	W.nverified--;
	for (j = (i + 1) & mask; W.verified[j].name != NULL;
	    j = (j + 1) & mask) {
		home = path_hash(W.verified[j].name) & mask;
		/* does `home` lie cyclically in (i, j]? then it stays */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		W.verified[i] = W.verified[j];
		W.verified[j].name = NULL;
		i = j;
	}
}

static void
forget_layouts(void)
{
	for (size_t i = 0; i < W.capverified; i++) {
		free(W.verified[i].name);
		W.verified[i].name = NULL;
	}
	W.nverified = 0;
}

/* The archives: 1 step for 2 days, 5 min for 2 weeks, 1 h for 3 months,
 * 1 day for 5 years.  argv strings go to `out`; returns the count. */
static int
rra_defs(int step, char **out)
{
	static const struct {
		long span, keep;
		int minmax;
	} rra[] = {
		{ 0, 2 * 86400L, 0 },
		{ 300, 14 * 86400L, 0 },
		{ 3600, 93 * 86400L, 1 },
		{ 86400, 5 * 366 * 86400L, 1 },
	};
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	int n = 0;

	for (size_t i = 0; i < nitems(rra); i++) {
		long pdp = rra[i].span ? lround((double)rra[i].span / step) : 1;
		long rows;

		if (pdp < 1)
			pdp = 1;
		rows = (rra[i].keep + pdp * step - 1) / (pdp * step);
		for (int c = 0; c < (rra[i].minmax ? 3 : 1); c++)
			out[n++] = xasprintf("RRA:%s:0.5:%ld:%ld", cfs[c], pdp,
			    rows);
	}
	return n;
}

static rrd_info_t *
info_of(const struct rrd_file *f)
{
	if (W.rrdcached)
		return rrdc_info(f->cname);
	return rrd_info_r(f->path);
}

/* Does the file have exactly the step, data sources and archives we
 * would create?  -1 if it does not exist, 0 if different, 1 if same. */
static int
layout_matches(const struct rrd_file *f, int step, time_t *last_update)
{
	rrd_info_t *info, *i;
	char *rras[16];
	int nrra = rra_defs(step, rras), nds = 0, nrra_found = 0, ok = 1;

	if (!W.rrdcached && access(f->path, F_OK) == -1) {
		ok = -1;
		goto out;
	}
	if ((info = info_of(f)) == NULL) {
		ok = -1;
		rrd_clear_error();
		goto out;
	}
	for (i = info; i; i = i->next) {
		if (strcmp(i->key, "last_update") == 0)
			*last_update = (time_t)i->value.u_cnt;
		else if (strcmp(i->key, "step") == 0 &&
		    i->value.u_cnt != (unsigned long)step)
			ok = 0;
		else if (strncmp(i->key, "ds[", 3) == 0 &&
		    strstr(i->key, "].index")) {
			const char *name = i->key + 3;
			size_t len = strcspn(name, "]");
			unsigned long idx = i->value.u_cnt;
			char want[64];

			nds++;
			if (idx >= (unsigned long)f->nds) {
				ok = 0;
				continue;
			}
			snprintf(want, sizeof(want), "DS:%.*s:", (int)len, name);
			if (strncmp(f->ds_defs[idx], want, strlen(want)) != 0)
				ok = 0;
		} else if (strncmp(i->key, "rra[", 4) == 0 &&
		    strstr(i->key, "].rows"))
			nrra_found++;
	}
	rrd_info_free(info);
	if (nds != f->nds || nrra_found != nrra)
		ok = 0;
out:
	for (int r = 0; r < nrra; r++)
		free(rras[r]);
	return ok;
}

/* A new file starts just before now; a rebuilt one where its source
 * stopped, so that every row of the source is carried over.  `name`
 * and `source` as rrdcached names them when it is in use. */
static int
create_rrd(const struct rrd_file *f, int step, const char *name,
    const char *source, time_t start)
{
	const char *argv[MAX_DS + 16];
	char *rras[16];
	const char *sources[2] = { source, NULL };
	int argc = 0, nrra = rra_defs(step, rras), rc;

	for (int i = 0; i < f->nds; i++)
		argv[argc++] = f->ds_defs[i];
	for (int i = 0; i < nrra; i++)
		argv[argc++] = rras[i];
	if (W.rrdcached) {
		/* librrd 1.7.2 returns 0 when rrdcached answers an error,
		 * and only sets the error text */
		rrd_clear_error();
		rc = rrdc_create_r2(name, (unsigned long)step, start, 0,
		    source ? sources : NULL, NULL, argc, argv);
		if (rc == 0 && rrd_test_error())
			rc = -1;
	} else
		rc = rrd_create_r2(name, (unsigned long)step, start, 0,
		    source ? sources : NULL, NULL, argc, argv);
	for (int i = 0; i < nrra; i++)
		free(rras[i]);
	return rc;
}

/* librrd's own connection to rrdcached, for create/info/last/flush. */
static int
connect_cached(void)
{
	if (rrdc_is_connected(W.rrdcached))
		return 0;
	if (rrdc_connect(W.rrdcached) != 0) {
		if (!W.complained++)
			log_warnx("store: cannot connect to rrdcached at %s: "
			    "%s", W.rrdcached, rrd_get_error());
		rrd_clear_error();
		return -1;
	}
	return 0;
}

static int batch_flush(void);
static int rebuild(const struct rrd_file *, int step, const char *id,
    time_t start);

/* A file as the log names it: where it is, on this host or under the
 * base directory of a remote rrdcached. */
static const char *
shown(const struct rrd_file *f)
{
	return remote ? f->cname : f->path;
}

/* rrdcached (without -R) makes no directory. */
static const char *
create_hint(void)
{
	if (remote && strstr(rrd_get_error(), "recursively create"))
		return " (start rrdcached with -R, or make the directory)";
	return "";
}

static int check_layout(const struct rrd_file *, int, const char *);

/* Make sure the file exists with the current layout; an old layout is
 * rebuilt from itself so the history carries over. */
static int
ensure_layout(const struct rrd_file *f, int step, const char *id)
{
	int rc;

	if (is_verified(f->cname))
		return 0;
	if (!W.rrdcached)
		return check_layout(f, step, id);
	pthread_mutex_lock(&client_lock);
	rc = connect_cached() == -1 ? -1 : check_layout(f, step, id);
	pthread_mutex_unlock(&client_lock);
	return rc;
}

static int
check_layout(const struct rrd_file *f, int step, const char *id)
{
	time_t last = time(NULL) - 10;
	int m;

	m = layout_matches(f, step, &last);
	if (m == 1) {
		set_verified(f->cname);
		return 0;
	}
	if (m == -1) {
		if (create_rrd(f, step, f->cname, NULL, time(NULL) - 10) != 0) {
			log_warnx("store: %s: cannot create %s: %s%s", id,
			    shown(f), rrd_get_error(), create_hint());
			rrd_clear_error();
			return -1;
		}
		log_info("store: %s: created %s", id, shown(f));
		set_verified(f->cname);
		return 0;
	}
	/* Interval or data sources changed: copy the history across. */
	if (rebuild(f, step, id, last) == -1)
		return -1;
	log_info("store: %s: layout changed, rebuilt %s keeping its history",
	    id, shown(f));
	set_verified(f->cname);
	return 0;
}

/*
 * The name rrdcached's host knows a file by: the "filename" of its INFO,
 * an absolute path there.  A create's source is opened by rrdcached as
 * given, relative to no base directory, so that is the one name that
 * works for it; NULL if rrdcached does not say.
 */
static char *
remote_path(const struct rrd_file *f)
{
	rrd_info_t *info = rrdc_info(f->cname), *i;
	char *path = NULL;

	for (i = info; i != NULL; i = i->next)
		if (strcmp(i->key, "filename") == 0 && i->type == RD_I_STR &&
		    i->value.u_str[0] == '/')
			path = xstrdup(i->value.u_str);
	rrd_info_free(info);
	rrd_clear_error();
	return path;
}

/*
 * Remotely there is no renaming: the file is created again in place,
 * from itself (rrdcached reads the source before it replaces the file),
 * so the history carries over as it does here.  If rrdcached does not
 * name the file, it is created empty, and that is logged: writing the
 * new layout matters more than keeping the old rows.  Called with
 * client_lock held.
 */
static int
rebuild_remote(const struct rrd_file *f, int step, const char *id,
    time_t start)
{
	char *src;
	int rc;

	/* updates held for the old layout go first, and reach the file */
	batch_flush();
	rrdc_flush(f->cname);
	rrd_clear_error();
	if ((src = remote_path(f)) == NULL)
		log_warnx("store: %s: rrdcached does not say where %s is: "
		    "made again without its history", id, f->cname);
	rc = create_rrd(f, step, f->cname, src, start);
	if (rc != 0) {
		log_warnx("store: %s: cannot rebuild %s: %s", id, f->cname,
		    rrd_get_error());
		rrd_clear_error();
	} else
		rrdc_forget(f->cname);
	rrd_clear_error();
	free(src);
	return rc == 0 ? 0 : -1;
}

/* f's file made again from itself, starting at `start`: the history up
 * to then carries over.  0 ok, -1 logged. */
static int
rebuild(const struct rrd_file *f, int step, const char *id, time_t start)
{
	char *tmp, *ctmp;

	if (remote)
		return rebuild_remote(f, step, id, start);
	if (W.rrdcached) {
		/* updates held for the old layout go first, and reach
		 * the old file */
		batch_flush();
		rrdc_flush(f->cname);
		rrd_clear_error();
	}
	tmp = xasprintf("%s.new", f->path);
	ctmp = xasprintf("%s.new", f->cname);
	unlink(tmp);
	if (create_rrd(f, step, ctmp, f->cname, start) != 0) {
		log_warnx("store: %s: cannot rebuild %s: %s", id, f->path,
		    rrd_get_error());
		rrd_clear_error();
		free(tmp);
		free(ctmp);
		return -1;
	}
	free(ctmp);
	if (W.rrdcached)
		rrdc_forget(f->cname);
	if (rename(tmp, f->path) == -1) {
		log_warn("store: %s: rename %s", id, tmp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	fsync_dir_of(f->path);
	free(tmp);
	return 0;
}

/*
 * The PC booted with a date in the future (a dead clock battery, a
 * wrong BIOS date) and NTP set it right later: every file's last update
 * is then ahead of the clock, and librrd would refuse every update until
 * the clock caught up, months or years.  A file more than
 * FUTURE_TOLERANCE_S ahead is rebuilt from itself at the present (what
 * was written in the false future goes).  1 if it was rebuilt.
 */
#define FUTURE_TOLERANCE_S 3600

static int
from_the_future_at(const struct rrd_file *f, int step, const char *id,
    time_t now, time_t last)
{
	log_warnx("store: %s: %s was last written %lld s ahead of the clock "
	    "(the clock was wrong, or is now): made again from the present",
	    id, shown(f), (long long)(last - now));
	return rebuild(f, step, id, now - step) == 0;
}

static int
from_the_future(const struct rrd_file *f, int step, const char *id)
{
	time_t now = (time_t)strtoll(f->update, NULL, 10), last;
	int rc;

	if (!W.rrdcached) {
		last = rrd_last_r(f->path);
		rrd_clear_error();
		return last > now + FUTURE_TOLERANCE_S && now > 0 &&
		    from_the_future_at(f, step, id, now, last);
	}
	pthread_mutex_lock(&client_lock);
	if (connect_cached() == -1)
		last = 0;
	else
		last = rrdc_last(f->cname);
	rrd_clear_error();
	rc = last > now + FUTURE_TOLERANCE_S && now > 0 &&
	    from_the_future_at(f, step, id, now, last);
	pthread_mutex_unlock(&client_lock);
	return rc;
}

/* ---- the BATCH connection to rrdcached ---- */

static void
cached_close(void)
{
	if (B.fd != -1)
		close(B.fd);
	B.fd = -1;
	B.inoff = B.inlen = 0;
}

/* Connect within CONNECT_TIMEOUT_S (the worker waits meanwhile); then
 * reads and writes time out after IO_TIMEOUT_S (a FLUSH can be slow). */
static int
dial(const struct sockaddr *sa, socklen_t salen)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	struct pollfd pfd;
	int fd, err = 0, one = 1;
	socklen_t len = sizeof(err);

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		return -1;
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, CONNECT_TIMEOUT_S * 1000) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, 0) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		goto fail;
	if (sa->sa_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* "unix:/PATH", "/PATH", "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT", as
 * librrd takes them (port 42217 by default).  The fd, or -1 with errno
 * set or *gai an getaddrinfo error. */
static int
cached_dial(const char *addr, int *gai)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *res, *ai;
	char host[256];
	const char *port = RRDCACHED_DEFAULT_PORT, *p;
	int fd = -1;

	*gai = 0;
	if (strncmp(addr, "unix:", 5) == 0 || addr[0] == '/') {
		p = addr[0] == '/' ? addr : addr + 5;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(p) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(sun.sun_path, p);
		return dial((struct sockaddr *)&sun, sizeof(sun));
	}
	if (addr[0] == '[' && (p = strchr(addr, ']')) != NULL) {
		snprintf(host, sizeof(host), "%.*s", (int)(p - addr - 1),
		    addr + 1);
		if (p[1] == ':')
			port = p + 2;
	} else if ((p = strrchr(addr, ':')) != NULL) {
		snprintf(host, sizeof(host), "%.*s", (int)(p - addr), addr);
		port = p + 1;
	} else
		snprintf(host, sizeof(host), "%s", addr);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((*gai = getaddrinfo(host, port, &hints, &res)) != 0)
		return -1;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = dial(ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(res);
	return fd;
}

/* Our connection, made if need be (not again before B.retry_at after
 * a failure).  0 or -1 (logged once until it answers again). */
static int
cached_link(void)
{
	int gai;

	if (B.fd != -1)
		return 0;
	if (time(NULL) < B.retry_at)
		return -1;
	if ((B.fd = cached_dial(W.rrdcached, &gai)) == -1) {
		B.retry_at = time(NULL) + RETRY_S;
		if (!B.down++)
			log_warnx("store: cannot connect to rrdcached at %s: "
			    "%s; updates are held and sent when it answers",
			    W.rrdcached, gai ? gai_strerror(gai) :
			    strerror(errno));
		return -1;
	}
	if (B.down) {
		log_info("store: rrdcached at %s answers again: sending %zu "
		    "held updates (%lu dropped meanwhile)", W.rrdcached,
		    B.nlines, B.dropped);
		B.down = 0;
		B.dropped = 0;
	}
	return 0;
}

/* The connection failed in the middle of a batch. */
static void
cached_lost(const char *what)
{
	if (!B.down++)
		log_warnx("store: rrdcached at %s: %s: %s; the updates it did "
		    "not answer for are held and sent again", W.rrdcached,
		    what, errno ? strerror(errno) : "connection closed");
	cached_close();
	B.retry_at = time(NULL) + 1;
}

/* One line of the answer, without its newline.  -1 on error or EOF. */
static int
read_line(char *out, size_t max)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		while (B.inoff < B.inlen) {
			char c = B.in[B.inoff++];

			if (c == '\n') {
				out[n] = '\0';
				return 0;
			}
			if (n + 1 < max)
				out[n++] = c;
		}
		B.inoff = B.inlen = 0;
		do
			r = recv(B.fd, B.in, sizeof(B.in), 0);
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			if (r == 0)
				errno = 0;
			return -1;
		}
		B.inlen = (size_t)r;
	}
}

static int
send_all(struct iovec *iov, int n)
{
	struct msghdr msg;
	ssize_t w;

	while (n > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		if ((w = sendmsg(B.fd, &msg, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Per-update errors: at most 10 logged a minute, the rest counted. */
static int
may_log(void)
{
	time_t now = time(NULL);

	if (now - B.log_window >= 60) {
		if (B.suppressed)
			log_warnx("store: rrdcached: %u more update errors "
			    "not logged", B.suppressed);
		B.log_window = now;
		B.logged = B.suppressed = 0;
	}
	if (B.logged < 10) {
		B.logged++;
		return 1;
	}
	B.suppressed++;
	return 0;
}

/* The file name of a held line ("CMD name ..."), unescaped. */
static void
line_name(const char *line, char *out, size_t max)
{
	const char *p = strchr(line, ' ');
	size_t n = 0;

	for (p = p ? p + 1 : line; *p && *p != ' ' && *p != '\n'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < max)
			out[n++] = *p;
	}
	out[n] = '\0';
}

/*
 * rrdcached refused one line of a batch.  As with a single update: an
 * update older than the file's last one is dropped, and the file is
 * checked for a last update in the future at its next write; any other
 * error drops the update and is logged; a file gone is checked (and
 * made again) at its next write.
 */
static void
batch_error(const char *line, const char *msg)
{
	char name[PATH_MAX];
	struct verified *v;

	line_name(line, name, sizeof(name));
	W.failures++;
	if (strstr(msg, "illegal attempt to update") != NULL) {
		if ((v = find_verified(name)) != NULL)
			v->suspect = 1;
		log_debug("store: rrdcached: %s: %s", name, msg);
		return;
	}
	/* (not for the FLUSHes of close_cached, which walks the set) */
	if (strstr(msg, "No such file") != NULL &&
	    strncmp(line, "UPDATE ", 7) == 0)
		unset_verified(name);
	if (may_log())
		log_warnx("store: rrdcached: %.*s %s: %s",
		    (int)strcspn(line, " "), line, name, msg);
}

/* Lines [first, first + n) as one BATCH.  0 answered (errors handled),
 * -1 the connection failed. */
static int
batch_one(size_t first, size_t n)
{
	char ans[1024], *end;
	size_t from = B.off[first];
	size_t to = first + n < B.nlines ? B.off[first + n] : B.len;
	struct iovec iov[3];
	long nerr, num;

	iov[0].iov_base = (void *)"BATCH\n";
	iov[0].iov_len = 6;
	iov[1].iov_base = B.buf + from;
	iov[1].iov_len = to - from;
	iov[2].iov_base = (void *)".\n";
	iov[2].iov_len = 2;
	errno = 0;
	if (send_all(iov, 3) == -1) {
		cached_lost("sending a batch");
		return -1;
	}
	if (read_line(ans, sizeof(ans)) == -1) {
		cached_lost("reading the answer to BATCH");
		return -1;
	}
	if (strncmp(ans, "0 ", 2) != 0) {
		/* (-P without BATCH): nothing will go; it can be fixed
		 * and the daemon is asked again later */
		errno = 0;
		log_warnx("store: rrdcached at %s refuses BATCH: %s",
		    W.rrdcached, ans);
		cached_lost("BATCH refused");
		return -1;
	}
	if (read_line(ans, sizeof(ans)) == -1) {
		cached_lost("reading the answer to a batch");
		return -1;
	}
	nerr = strtol(ans, &end, 10);
	for (long i = 0; i < nerr; i++) {
		if (read_line(ans, sizeof(ans)) == -1) {
			cached_lost("reading the errors of a batch");
			return -1;
		}
		num = strtol(ans, &end, 10);
		if (num >= 1 && (size_t)num <= n)
			batch_error(B.buf + B.off[first + (size_t)num - 1],
			    *end ? end + 1 : end);
	}
	return 0;
}

/* The first `n` held lines are answered: gone. */
static void
batch_drop(size_t n)
{
	size_t from;

	if (n == 0)
		return;
	if (n >= B.nlines) {
		B.len = B.nlines = 0;
	} else {
		from = B.off[n];
		memmove(B.buf, B.buf + from, B.len - from);
		B.len -= from;
		for (size_t i = n; i < B.nlines; i++)
			B.off[i - n] = B.off[i] - from;
		B.nlines -= n;
	}
	atomic_store(&held, (unsigned)B.nlines);
}

/* Send every held line.  0 when all went; -1 when not (they stay). */
static int
batch_flush(void)
{
	size_t done = 0, n;

	if (B.nlines == 0)
		return 0;
	if (cached_link() == -1)
		return -1;
	while (done < B.nlines) {
		n = B.nlines - done < BATCH_LINES ? B.nlines - done :
		    BATCH_LINES;
		if (batch_one(done, n) == -1)
			break;
		done += n;
	}
	batch_drop(done);
	return B.nlines == 0 ? 0 : -1;
}

static void
buf_put(const char *s, size_t n)
{
	if (B.len + n > B.cap) {
		B.cap = (B.len + n) * 2;
		B.buf = xreallocarray(B.buf, B.cap, 1);
	}
	memcpy(B.buf + B.len, s, n);
	B.len += n;
}

/* Hold "CMD name rest\n" (name escaped as librrd does: "\ " and "\\"). */
static void
batch_add(const char *cmd, const char *name, const char *rest)
{
	const char *p;
	size_t n;

	if (B.nlines >= HOLD_MAX) {
		W.failures++;
		if (B.dropped++ == 0)
			log_warnx("store: rrdcached at %s: %d updates held "
			    "unsent; newer ones are dropped until it answers",
			    W.rrdcached, HOLD_MAX);
		return;
	}
	if (B.nlines == B.capoff) {
		B.capoff = B.capoff ? 2 * B.capoff : 1024;
		B.off = xreallocarray(B.off, B.capoff, sizeof(*B.off));
	}
	B.off[B.nlines++] = B.len;
	buf_put(cmd, strlen(cmd));
	buf_put(" ", 1);
	for (p = name; *p; ) {
		n = strcspn(p, " \\");
		buf_put(p, n);
		p += n;
		if (*p) {
			buf_put("\\", 1);
			buf_put(p++, 1);
		}
	}
	if (rest != NULL) {
		buf_put(" ", 1);
		buf_put(rest, strlen(rest));
	}
	buf_put("\n", 1);
	atomic_store(&held, (unsigned)B.nlines);
	if (B.nlines >= BATCH_LINES)
		batch_flush();
}

/* ---- writing ---- */

static void
write_file(const struct rrd_file *f, int step, const char *id)
{
	const char *argv[1];
	struct verified *v;
	int rc;

	if (ensure_layout(f, step, id) == -1) {
		W.failures++;
		return;
	}
	if (W.rrdcached) {
		/* an update was refused as older than the file's last:
		 * is that last one in the future? */
		if ((v = find_verified(f->cname)) != NULL && v->suspect) {
			v->suspect = 0;
			from_the_future(f, step, id);
		}
		batch_add("UPDATE", f->cname, f->update);
		return;
	}
	argv[0] = f->update;
	/* (not RRD_SKIP_PAST_UPDATES: a past update must say so, see
	 * from_the_future) */
	rc = rrd_updatex_r(f->path, NULL, 0, 1, argv);
	if (rc != 0) {
		const char *e = rrd_get_error();

		W.failures++;
		if (strstr(e, "illegal attempt to update") != NULL) {
			/* a clock jump back: skipped until the clock passes
			 * the file's last update, unless that is far ahead
			 * (the clock was wrong then, is right now) */
			rrd_clear_error();
			if (from_the_future(f, step, id))
				write_file(f, step, id);
			return;
		}
		if (W.complained++ < 20)
			log_warnx("store: %s: update %s: %s", id, f->path, e);
		rrd_clear_error();
		return;
	}
	if (W.complained) {
		log_info("store: writing again");
		W.complained = 0;
	}
}

static void
write_job(struct store_job *j)
{
	if (j->forget_layouts) {
		forget_layouts();
		return;
	}
	write_file(&j->target, j->step, j->id);
	/* a remote rrdcached makes its directories (-R) */
	if (j->ninst > 0 && !remote && mkdir_p(j->inst_dir, 0755) == -1) {
		log_warn("store: %s: %s", j->id, j->inst_dir);
		return;
	}
	for (size_t i = 0; i < j->ninst; i++)
		write_file(&j->inst[i], j->step, j->id);
}

/* A chain of jobs, in order. */
static void
write_run(void *arg)
{
	for (struct store_job *j = arg; j != NULL; j = j->next)
		write_job(j);
}

/* The timer's job: what is held goes now. */
static void
flush_run(void *arg)
{
	(void)arg;
	batch_flush();
}

static void
write_done(void *arg)
{
	struct store_job *j = arg, *next;

	for (; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
}

/*
 * At exit what is held goes, then rrdcached writes our files out: a
 * FLUSH for each, batched (this librrd has no rrdc_flushall, and
 * FLUSHALL would also flush other pollers' files).  Runs after the
 * worker thread has stopped.
 */
static void
close_cached(void)
{
	B.retry_at = 0;
	if (batch_flush() == -1)
		log_warnx("store: rrdcached at %s: %zu updates could not be "
		    "sent and are lost", W.rrdcached, B.nlines);
	else {
		for (size_t i = 0; i < W.capverified; i++)
			if (W.verified[i].name != NULL)
				batch_add("FLUSH", W.verified[i].name, NULL);
		if (batch_flush() == -1)
			log_warnx("store: rrdcached at %s: some files were not "
			    "flushed; its journal keeps their updates",
			    W.rrdcached);
	}
	batch_drop(B.nlines);
	if (B.dropped > 0)
		log_warnx("store: rrdcached at %s: %lu updates were dropped "
		    "while it did not answer", W.rrdcached, B.dropped);
	cached_close();
	rrdc_disconnect();
	free(B.buf);
	free(B.off);
	memset(&B, 0, sizeof(B));
	B.fd = -1;
}

/* ---- loop thread ---- */

/*
 * The name rrdcached knows state_dir/rrd by.  librrd sends a unix
 * socket the real path of a file (realpath()), and we do the same.  Over
 * TCP names are relative to rrdcached's base directory (its -b; librrd
 * refuses absolute ones there): daemon.rrdcached_base is that directory
 * as this host sees it, and state_dir/rrd lies inside it.
 */
static int
set_cached_dir(const struct conf *c)
{
	char real[PATH_MAX], base[PATH_MAX];
	const char *r = c->rrdcached;
	size_t n;

	if (remote) {
		/* daemon.rrdcached_dir, under its base directory */
		cached_dir = xstrdup(c->rrdcached_dir);
		return 0;
	}
	if (realpath(local_dir, real) == NULL) {
		log_warn("store: %s", local_dir);
		return -1;
	}
	if (r[0] == '/' || strncmp(r, "unix:", 5) == 0) {
		cached_dir = xstrdup(real);
		return 0;
	}
	if (realpath(c->rrdcached_base, base) == NULL) {
		log_warn("store: daemon.rrdcached_base %s", c->rrdcached_base);
		return -1;
	}
	n = strcmp(base, "/") == 0 ? 0 : strlen(base);
	if (strncmp(real, base, n) != 0 || (real[n] != '/' &&
	    real[n] != '\0')) {
		log_warnx("store: %s is not inside daemon.rrdcached_base %s",
		    real, base);
		return -1;
	}
	cached_dir = xstrdup(real[n] == '/' ? real + n + 1 : real + n);
	return 0;
}

char *
store_cached_name(const char *path)
{
	size_t n = local_dir ? strlen(local_dir) : 0;

	if (cached_dir == NULL || strncmp(path, local_dir, n) != 0 ||
	    path[n] != '/')
		return xstrdup(path);
	if (*cached_dir == '\0')
		return xstrdup(path + n + 1);
	return xasprintf("%s%s", cached_dir, path + n);
}

static void
arm_flush(void)
{
	struct timeval tv = { BATCH_DELAY_S, 0 };

	if (flush_ev != NULL && !evtimer_pending(flush_ev, NULL))
		evtimer_add(flush_ev, &tv);
}

/* Updates still held (rrdcached did not answer): try again later,
 * even if no new round comes to trigger it. */
static void
flush_done(void *arg)
{
	(void)arg;
	if (atomic_load(&held) > 0)
		arm_flush();
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	worker_submit(writer, flush_run, flush_done, NULL);
}

static void
submit_queued(void)
{
	if (q_head == NULL)
		return;
	worker_submit(writer, write_run, write_done, q_head);
	q_head = NULL;
	q_tail = &q_head;
	q_len = 0;
}

static void
submit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	submit_queued();
}

static void
enqueue(struct store_job *j)
{
	struct timeval tv = { 0, SUBMIT_DELAY_MS * 1000 };

	*q_tail = j;
	q_tail = &j->next;
	if (++q_len >= SUBMIT_MAX)
		submit_queued();
	else if (!evtimer_pending(submit_ev, NULL))
		evtimer_add(submit_ev, &tv);
}

/* A "HOST:PORT" rrdcached whose base directory is not seen here. */
static int
is_remote(const struct conf *c)
{
	return conf_rrdcached_remote(c) && c->rrdcached_dir != NULL &&
	    c->rrdcached_dir[0] != '\0';
}

int
store_open(struct event_base *base, const struct conf *c)
{
	local_dir = xasprintf("%s/rrd", c->state_dir);
	/* remotely state_dir/rrd is only the names' prefix: no files */
	remote = is_remote(c) ? xstrdup(c->rrdcached) : NULL;
	if (!remote && mkdir_p(local_dir, 0755) == -1) {
		log_warn("store: %s", local_dir);
		goto fail;
	}
	if (c->rrdcached[0] && set_cached_dir(c) == -1)
		goto fail;
	state_dir = xstrdup(c->state_dir);
	W.rrdcached = c->rrdcached[0] ? xstrdup(c->rrdcached) : NULL;
	if (W.rrdcached && (flush_ev = evtimer_new(base, flush_cb,
	    NULL)) == NULL)
		fatalx("store: evtimer_new failed");
	if ((submit_ev = evtimer_new(base, submit_cb, NULL)) == NULL)
		fatalx("store: evtimer_new failed");
	writer = worker_new(base, "tm-store");
	return 0;
fail:
	free(local_dir);
	local_dir = NULL;
	free(remote);
	remote = NULL;
	return -1;
}

void
store_reconf(const struct conf *c)
{
	struct store_job *j = xcalloc(1, sizeof(*j));

	(void)c;
	j->forget_layouts = 1;
	enqueue(j);
	submit_queued();
}

static char *
update_line(time_t when, const double *v, size_t n)
{
	size_t len, cap = 64 + n * 16;
	char *u = xmalloc(cap);

	len = (size_t)snprintf(u, cap, "%lld", (long long)when);
	for (size_t i = 0; i < n; i++)
		append_value(&u, &len, &cap, v ? v[i] : NAN);
	return u;
}

void
store_round(const struct target_def *d, time_t when,
    const struct round_stats *rs, const double *values,
    const struct store_instance *inst, size_t ninst)
{
	struct store_job *j = xcalloc(1, sizeof(*j));
	const struct tm_probe_ops *ops = d->probe ? d->probe->ops : NULL;
	const struct layout *ilt;
	double v[MAX_DS];
	size_t n = 0;

	j->id = xstrdup(d->pub.id);
	job_layout(j, d, &ilt);
	v[n++] = rs->median;
	v[n++] = rs->min;
	v[n++] = rs->max;
	v[n++] = rs->avg;
	v[n++] = rs->jitter;
	v[n++] = rs->loss_pct;
	v[n++] = rs->received > 0 ? 1 : 0;
	if (ops && (ops->flags & TM_PROBE_SMOKE))
		for (int i = 0; i < STATS_NQ; i++)
			v[n++] = rs->q[i];
	for (size_t i = 0; ops && i < ops->nvalues && n < MAX_DS; i++)
		v[n++] = values ? values[i] : NAN;
	j->target.path = xasprintf("%s/rrd/%s.rrd", state_dir, d->pub.id);
	j->target.cname = store_cached_name(j->target.path);
	j->target.update = update_line(when, v, n);

	if (ilt != NULL && ninst > 0) {
		j->inst_dir = xasprintf("%s/rrd/%s", state_dir, d->pub.id);
		j->inst = xcalloc(ninst, sizeof(*j->inst));
		for (size_t i = 0; i < ninst; i++) {
			struct rrd_file *f = &j->inst[j->ninst];
			char safe[256];

			safe_filename(inst[i].name, safe, sizeof(safe));
			f->path = xasprintf("%s/%s.rrd", j->inst_dir, safe);
			f->cname = store_cached_name(f->path);
			f->nds = ilt->nds;
			f->ds_defs = (char **)ilt->defs;
			f->update = update_line(when, inst[i].values,
			    (size_t)f->nds);
			j->ninst++;
		}
	}
	enqueue(j);
	arm_flush();
}

char *
store_instance_path(const struct conf *c, const char *id, const char *name)
{
	char safe[256];

	safe_filename(name, safe, sizeof(safe));
	return xasprintf("%s/rrd/%s/%s.rrd", c->state_dir, id, safe);
}

unsigned
store_pending(void)
{
	return (writer ? worker_pending(writer) : 0) + q_len +
	    atomic_load(&held);
}

void
store_close(void)
{
	if (writer == NULL)
		return;
	submit_queued();
	worker_free(writer);
	writer = NULL;
	event_free(submit_ev);
	submit_ev = NULL;
	free_layouts();
	if (flush_ev != NULL)
		event_free(flush_ev);
	flush_ev = NULL;
	if (W.rrdcached) {
		close_cached();
		free(W.rrdcached);
		W.rrdcached = NULL;
	}
	forget_layouts();
	free(W.verified);
	memset(&W, 0, sizeof(W));
	free(state_dir);
	state_dir = NULL;
	free(local_dir);
	local_dir = NULL;
	free(cached_dir);
	cached_dir = NULL;
	free(remote);
	remote = NULL;
}

/* ---- reading (any thread) ---- */

/* Only the names, for reading without writing (tramonctl report): a
 * remote rrdcached's files are read through it. */
void
store_readers(const struct conf *c)
{
	if (writer != NULL || remote != NULL || !is_remote(c))
		return;
	local_dir = xasprintf("%s/rrd", c->state_dir);
	remote = xstrdup(c->rrdcached);
	cached_dir = xstrdup(c->rrdcached_dir);
}

const char *
store_remote(void)
{
	return remote;
}

void
store_client_lock(void)
{
	pthread_mutex_lock(&client_lock);
}

void
store_client_unlock(void)
{
	pthread_mutex_unlock(&client_lock);
}

/* With client_lock held: connected to the remote rrdcached?  Failing
 * is logged when it starts and when it ends, not at every read. */
static int
remote_connect(void)
{
	if (rrdc_is_connected(remote))
		return 0;
	rrd_clear_error();
	if (rrdc_connect(remote) != 0 || !rrdc_is_connected(remote)) {
		if (atomic_exchange(&remote_failing, 1) == 0)
			log_warnx("store: cannot read from rrdcached at %s: "
			    "%s; graphs, uptime and reports miss its data",
			    remote, rrd_test_error() ? rrd_get_error() :
			    "no connection");
		rrd_clear_error();
		return -1;
	}
	return 0;
}

static void
remote_answered(void)
{
	if (atomic_exchange(&remote_failing, 0) == 1)
		log_info("store: reading from rrdcached at %s again", remote);
}

int
store_rrd_exists(const char *path)
{
	struct stat sb;
	char *name;
	time_t last;

	if (path == NULL || *path == '\0')
		return 0;
	if (!remote)
		return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
	name = store_cached_name(path);
	pthread_mutex_lock(&client_lock);
	if (remote_connect() == -1)
		last = -1;
	else {
		rrd_clear_error();
		last = rrdc_last(name);
		/* "No such file" is an answer: a new target */
		if (last > 0 || strstr(rrd_get_error(), "No such file"))
			remote_answered();
		else
			log_debug("store: rrdcached at %s: last %s: %s",
			    remote, name, rrd_get_error());
		rrd_clear_error();
	}
	pthread_mutex_unlock(&client_lock);
	free(name);
	return last > 0;
}

int
store_rrd_fetch(const char *path, const char *cf, time_t *start,
    time_t *end, unsigned long *step, unsigned long *nds, char ***names,
    double **data)
{
	char *name;
	int rc;

	if (!remote)
		return rrd_fetch_r(path, cf, start, end, step, nds, names,
		    data);
	/* rrdcached's FETCH writes out what it holds of the file first;
	 * it takes no step: the finest archive that covers the span */
	name = store_cached_name(path);
	pthread_mutex_lock(&client_lock);
	if ((rc = remote_connect()) == 0) {
		rrd_clear_error();
		rc = rrdc_fetch(name, cf, start, end, step, nds, names, data);
		if (rc == 0 && rrd_test_error())
			rc = -1;
		else if (rc == 0)
			remote_answered();
		if (rc != 0 && !rrd_test_error())
			rrd_set_error("rrdcached: fetch %s failed (%d)", name,
			    rc);
	}
	pthread_mutex_unlock(&client_lock);
	free(name);
	return rc == 0 ? 0 : -1;
}
