/*
 * bench/store_bench: daemon/store.c driven directly, without the rest of
 * tramond, for bench/store.sh.
 *
 *	store_bench [-n FILES] [-r ROUNDS] [-c RRDCACHED [-b BASE]]
 *	    [-p RRDCACHED_PID] DIR
 *
 * FILES targets (7 data sources each, step 60: what a ping target
 * without quantiles writes) get their files made in DIR/rrd by a first
 * round, not measured.  Then ROUNDS rounds each update every file once,
 * in one burst: store_round() for all of them in slices of 250 on the
 * event loop, while a 10 ms timer on the same loop measures how late it
 * runs (the loop's responsiveness while the tm-store thread writes).
 * Measured per round: the CPU time of the tm-store thread and of the
 * loop thread, the process's disk writes (/proc/self/io write_bytes),
 * and with -p the same for rrdcached (all its threads), divided by the
 * updates; the longest the loop ran store_round() without returning to
 * libevent (a slice), and how long the loop thread waited for a CPU
 * while it could run (schedstat: on a loaded machine the timer is late
 * for that reason, not because the loop was busy).  Last, store_close() (the final flush through rrdcached) is
 * timed with the disk writes it causes.
 */
#include "config.h"

#include <sys/types.h>

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <syslog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "conf.h"
#include "stats.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define SLICE 250
#define TICK_MS 10

static struct event_base *base;
static struct target_def *defs;
static int nfiles, next_file;
static time_t round_ts;
static struct event *slice_ev, *tick_ev;
static double tick_due, tick_late_max, slice_max;
static unsigned long nticks;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ns one thread waited for a CPU while it could run (schedstat). */
static uint64_t
runq_wait_ns(pid_t tid)
{
	char path[128];
	unsigned long long cpu, wait = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &cpu, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

/* CPU ns of one thread (pid, tid) or, tid 0, of every thread of pid. */
static uint64_t
cpu_ns(pid_t pid, pid_t tid)
{
	char path[128];
	unsigned long long ns = 0, v;
	FILE *f;

	if (tid == 0) {
		DIR *d;
		struct dirent *e;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		if ((d = opendir(path)) == NULL)
			return 0;
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				ns += cpu_ns(pid, (pid_t)atoi(e->d_name));
		closedir(d);
		return ns;
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid,
	    (int)tid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%llu", &v) == 1)
		ns = v;
	fclose(f);
	return ns;
}

/* utime + stime of a process, its ended threads included. */
static double
cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) != NULL)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		    "%lu %lu", &ut, &st);
	fclose(f);
	return (double)(ut + st);
}

static uint64_t
write_bytes(pid_t pid)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "write_bytes: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static pid_t
thread_named(const char *name)
{
	char path[300], comm[32];
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid = 0;
	FILE *f;

	while (d && (e = readdir(d)) != NULL && tid == 0) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
		    e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    strncmp(comm, name, strlen(name)) == 0)
			tid = (pid_t)atoi(e->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	return tid;
}

static void
slice_cb(evutil_socket_t fd, short what, void *arg)
{
	struct round_stats rs = { .sent = 20, .received = 20 };
	double t = now_s();

	(void)fd;
	(void)what;
	(void)arg;
	for (int i = 0; i < SLICE && next_file < nfiles; i++, next_file++) {
		double m = .001 + (next_file % 97) * 1e-4;

		rs.min = m * .8;
		rs.median = m;
		rs.avg = m * 1.05;
		rs.max = m * 1.5;
		rs.jitter = m * .1;
		rs.loss_pct = 0;
		store_round(&defs[next_file], round_ts, &rs, NULL, NULL, 0);
	}
	if (next_file < nfiles)
		event_active(slice_ev, EV_TIMEOUT, 0);
	if (now_s() - t > slice_max)
		slice_max = now_s() - t;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	double now = now_s(), late = (now - tick_due) * 1e3;

	(void)fd;
	(void)what;
	(void)arg;
	if (late > tick_late_max)
		tick_late_max = late;
	nticks++;
	tick_due = now + TICK_MS / 1e3;
}

/* One round over every file; returns its wall time. */
static double
run_round(time_t ts)
{
	double t = now_s();

	round_ts = ts;
	next_file = 0;
	tick_late_max = 0;
	slice_max = 0;
	nticks = 0;
	tick_due = now_s() + TICK_MS / 1e3;
	event_active(slice_ev, EV_TIMEOUT, 0);
	while (next_file < nfiles || store_pending() > 0)
		event_base_loop(base, EVLOOP_ONCE);
	return now_s() - t;
}

int
main(int argc, char *argv[])
{
	struct conf conf;
	struct timeval tick = { 0, TICK_MS * 1000 };
	int rounds = 3, ch;
	pid_t rpid = 0, store_tid;
	const char *cached = "", *cbase = "";
	time_t t0;
	double wall, t;

	while ((ch = getopt(argc, argv, "n:r:c:b:p:")) != -1)
		switch (ch) {
		case 'n': nfiles = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'c': cached = optarg; break;
		case 'b': cbase = optarg; break;
		case 'p': rpid = (pid_t)atoi(optarg); break;
		default: goto usage;
		}
	if (optind + 1 != argc || nfiles <= 0 || rounds <= 0)
		goto usage;
	memset(&conf, 0, sizeof(conf));
	conf.state_dir = argv[optind];
	conf.rrdcached = (char *)cached;
	conf.rrdcached_base = (char *)cbase;
	log_init(1, LOG_WARNING, "store_bench");
	evthread_use_pthreads();
	base = event_base_new();
	if (store_open(base, &conf) == -1)
		return 1;
	slice_ev = event_new(base, -1, 0, slice_cb, NULL);
	tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	event_add(tick_ev, &tick);
	defs = xcalloc((size_t)nfiles, sizeof(*defs));
	for (int i = 0; i < nfiles; i++) {
		defs[i].pub.id = xasprintf("t%05d", i);
		defs[i].pub.interval = 60;
	}
	store_tid = thread_named("tm-store");
	t0 = (time(NULL) / 60 + 1) * 60;
	wall = run_round(t0);
	printf("mode %s files %d: made in %.1f s\n", *cached ? cached :
	    "direct", nfiles, wall);
	printf("round updates wall_s store_us/upd loop_us/upd "
	    "rrdcached_us/upd write_B/upd rrdcached_write_B/upd "
	    "tick_late_max_ms slice_max_ms loop_runq_wait_ms\n");
	for (int r = 1; r <= rounds; r++) {
		uint64_t s0, l0, c0, w0, cw0, q0;

		/* clean pages: what a round dirties is what it will write */
		sync();
		s0 = cpu_ns(getpid(), store_tid);
		l0 = cpu_ns(getpid(), getpid());
		c0 = rpid ? cpu_ns(rpid, 0) : 0;
		w0 = write_bytes(getpid());
		cw0 = rpid ? write_bytes(rpid) : 0;
		q0 = runq_wait_ns(getpid());

		wall = run_round(t0 + r * 60);
		printf("%d %d %.3f %.2f %.2f %.2f %.0f %.0f %.1f %.1f %.1f\n",
		    r, nfiles,
		    wall,
		    (cpu_ns(getpid(), store_tid) - s0) / 1e3 / nfiles,
		    (cpu_ns(getpid(), getpid()) - l0) / 1e3 / nfiles,
		    rpid ? (cpu_ns(rpid, 0) - c0) / 1e3 / nfiles : NAN,
		    (double)(write_bytes(getpid()) - w0) / nfiles,
		    rpid ? (double)(write_bytes(rpid) - cw0) / nfiles : NAN,
		    tick_late_max, slice_max * 1e3,
		    (runq_wait_ns(getpid()) - q0) / 1e6);
		fflush(stdout);
	}
	sync();
	{
		uint64_t w0 = write_bytes(getpid());
		uint64_t cw0 = rpid ? write_bytes(rpid) : 0;
		/* whole process: the thread of our connection ends */
		double c0 = rpid ? cpu_ticks(rpid) : 0, c1;

		t = now_s();
		store_close();
		t = now_s() - t;
		c1 = rpid ? cpu_ticks(rpid) : 0;
		printf("close (final flush): %.2f s, write %.0f B/file, "
		    "rrdcached write %.0f B/file, rrdcached cpu %.1f us/file\n",
		    t, (double)(write_bytes(getpid()) - w0) / nfiles,
		    rpid ? (double)(write_bytes(rpid) - cw0) / nfiles : NAN,
		    rpid ? (c1 - c0) * 1e6 / sysconf(_SC_CLK_TCK) / nfiles :
		    NAN);
	}
	for (int i = 0; i < nfiles; i++)
		free((char *)defs[i].pub.id);
	free(defs);
	event_free(slice_ev);
	event_free(tick_ev);
	event_base_free(base);
	return 0;
usage:
	fprintf(stderr, "usage: store_bench [-n files] [-r rounds] "
	    "[-c rrdcached [-b base]] [-p rrdcached_pid] dir\n");
	return 2;
}
