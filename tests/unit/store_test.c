/*
 * The RRD store: layout (data sources, step, archives), values written,
 * history kept across a change of interval, and the same through a real
 * rrdcached.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <rrd.h>

#include "conf.h"
#include "probe.h"
#include "stats.h"
#include "store.h"
#include "test.h"
#include "util.h"

static char dir[] = "/tmp/tramon-store-XXXXXX";
static struct event_base *base;

static const struct tm_value_def http_values[] = {
	{ "connect", 0, NAN, TM_GAUGE },
	{ "cert_days", NAN, NAN, TM_GAUGE },
};
static const struct tm_value_def port_values[] = {
	{ "in_octets", 0, NAN, TM_COUNTER },
	{ "out_octets", 0, NAN, TM_COUNTER },
	{ "oper_up", 0, 1, TM_GAUGE },
};
static const struct tm_probe_ops switch_ops = {
	.abi = TM_PLUGIN_ABI, .name = "snmp",
	.ivalues = port_values, .nivalues = 3, .instance_kind = "if",
	.instance_label = "ifname", .instance_list = "interfaces",
};
static struct probe switch_probe = { .ops = &switch_ops };
static const struct tm_probe_ops smoke_ops = {
	.abi = TM_PLUGIN_ABI, .name = "ping", .flags = TM_PROBE_SMOKE,
};
static const struct tm_probe_ops http_ops = {
	.abi = TM_PLUGIN_ABI, .name = "http", .values = http_values,
	.nvalues = 2,
};
static struct probe smoke_probe = { .ops = &smoke_ops };
static struct probe http_probe = { .ops = &http_ops };

static void
settle(void)
{
	for (int i = 0; i < 500 && store_pending() > 0; i++) {
		struct timeval tv = { 0, 10000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

static struct round_stats
sample(double median, double loss)
{
	struct round_stats rs = { .sent = 20, .received = 20 };

	rs.received = (unsigned)(20 - loss / 5);
	rs.loss_pct = loss;
	rs.min = median * .8;
	rs.median = median;
	rs.avg = median * 1.05;
	rs.max = median * 1.5;
	rs.jitter = median / 10;
	for (int i = 0; i < STATS_NQ; i++)
		rs.q[i] = median * (.85 + i * .05);
	return rs;
}

static struct conf conf;

static void
def_init(struct target_def *d, const char *id, const struct probe *p,
    double interval)
{
	memset(d, 0, sizeof(*d));
	d->pub.id = id;
	d->pub.interval = interval;
	d->probe = p;
}

static const char *
info_str(rrd_info_t *info, const char *key, char *buf, size_t len)
{
	for (rrd_info_t *i = info; i; i = i->next)
		if (strcmp(i->key, key) == 0) {
			switch (i->type) {
			case RD_I_CNT:
				snprintf(buf, len, "%lu", i->value.u_cnt);
				break;
			case RD_I_STR:
				snprintf(buf, len, "%s", i->value.u_str);
				break;
			case RD_I_VAL:
				snprintf(buf, len, "%g", i->value.u_val);
				break;
			default:
				snprintf(buf, len, "?");
			}
			return buf;
		}
	return "(missing)";
}

/* Average of data source `ds` over [start, end], NAN if no data. */
static double
fetch_avg(const char *path, const char *ds, time_t start, time_t end)
{
	unsigned long step = 1, nds;	/* step: the finest there is */
	char **names;
	rrd_value_t *data;
	double sum = 0;
	int n = 0, col = -1;

	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names,
	    &data) != 0) {
		printf("# fetch %s: %s\n", path, rrd_get_error());
		rrd_clear_error();
		return NAN;
	}
	for (unsigned long i = 0; i < nds; i++) {
		if (strcmp(names[i], ds) == 0)
			col = (int)i;
		rrd_freemem(names[i]);
	}
	rrd_freemem(names);
	for (time_t t = start + (time_t)step; col >= 0 && t <= end;
	    t += (time_t)step) {
		double v = data[((t - start) / (time_t)step - 1) * nds + col];

		if (!isnan(v)) {
			sum += v;
			n++;
		}
	}
	rrd_freemem(data);
	return n ? sum / n : NAN;
}

/* Rows of `ds` with a value in (start, end]. */
static int
count_rows(const char *path, const char *ds, time_t start, time_t end)
{
	unsigned long step = 1, nds;
	char **names;
	rrd_value_t *data;
	int n = 0, col = -1;

	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names,
	    &data) != 0) {
		rrd_clear_error();
		return -1;
	}
	for (unsigned long i = 0; i < nds; i++) {
		if (strcmp(names[i], ds) == 0)
			col = (int)i;
		rrd_freemem(names[i]);
	}
	rrd_freemem(names);
	for (time_t t = start + (time_t)step; col >= 0 && t <= end;
	    t += (time_t)step)
		if (!isnan(data[((t - start) / (time_t)step - 1) * nds + col]))
			n++;
	rrd_freemem(data);
	return n;
}

static void
write_rounds(const struct target_def *d, time_t t0, int n, int step,
    double median)
{
	double values[2] = { 0.012, 41 };

	for (int i = 0; i < n; i++) {
		struct round_stats rs = sample(median, i % 4 == 0 ? 10 : 0);

		store_round(d, t0 + (time_t)i * step, &rs, values, NULL, 0);
	}
}

static void
check_layout(const char *path, int step, const char *const *ds, int nds)
{
	rrd_info_t *info = rrd_info_r(path);
	char buf[64], key[64];

	EXPECT_TRUE(info != NULL);
	if (info == NULL)
		return;
	snprintf(buf, sizeof(buf), "%d", step);
	EXPECT_EQ_STR(buf, info_str(info, "step", key, sizeof(key)));
	for (int i = 0; i < nds; i++) {
		char k[64], want[16];

		snprintf(k, sizeof(k), "ds[%s].index", ds[i]);
		snprintf(want, sizeof(want), "%d", i);
		EXPECT_EQ_STR(want, info_str(info, k, buf, sizeof(buf)));
		snprintf(k, sizeof(k), "ds[%s].type", ds[i]);
		EXPECT_EQ_STR("GAUGE", info_str(info, k, buf, sizeof(buf)));
	}
	/* 1 step x 2 days; 5 min x 2 weeks; 1 h x 3 months (+MIN, MAX);
	 * 1 day x 5 years (+MIN, MAX) */
	snprintf(buf, sizeof(buf), "%d", 2 * 86400 / step);
	EXPECT_EQ_STR(buf, info_str(info, "rra[0].rows", key, sizeof(key)));
	EXPECT_EQ_STR("1", info_str(info, "rra[0].pdp_per_row", key,
	    sizeof(key)));
	snprintf(buf, sizeof(buf), "%d", 300 / step);
	EXPECT_EQ_STR(buf, info_str(info, "rra[1].pdp_per_row", key,
	    sizeof(key)));
	EXPECT_EQ_STR("4032", info_str(info, "rra[1].rows", key, sizeof(key)));
	EXPECT_EQ_STR("2232", info_str(info, "rra[2].rows", key, sizeof(key)));
	EXPECT_EQ_STR("MAX", info_str(info, "rra[4].cf", key, sizeof(key)));
	EXPECT_EQ_STR("1830", info_str(info, "rra[5].rows", key, sizeof(key)));
	EXPECT_EQ_STR("(missing)", info_str(info, "rra[8].rows", key,
	    sizeof(key)));
	rrd_info_free(info);
}

DEF_TEST(ping_layout_and_values)
{
	static const char *const ds[] = { "median", "min", "max", "avg",
		"jitter", "loss", "up", "q05", "q10", "q25", "q75", "q90",
		"q95" };
	struct target_def d;
	const char *names[32];
	char *path;
	time_t t0 = (time(NULL) / 60 + 1) * 60;

	def_init(&d, "tra-linh", &smoke_probe, 60);
	EXPECT_EQ_INT(13, store_ds_names(&d, names, 32));
	EXPECT_EQ_STR("q95", names[12]);
	write_rounds(&d, t0, 30, 60, .25);
	settle();
	path = store_path(&conf, "tra-linh");
	check_layout(path, 60, ds, 13);
	EXPECT_NEAR(.25, fetch_avg(path, "median", t0, t0 + 29 * 60), 1e-6);
	/* every fourth round lost 10 % */
	EXPECT_NEAR(2.5, fetch_avg(path, "loss", t0, t0 + 29 * 60 + 59),
	    .9);
	EXPECT_NEAR(1, fetch_avg(path, "up", t0, t0 + 29 * 60), 1e-9);
	EXPECT_NEAR(.25 * .85, fetch_avg(path, "q05", t0, t0 + 29 * 60),
	    1e-6);
	free(path);
	return 0;
}

DEF_TEST(probe_values_are_stored)
{
	static const char *const ds[] = { "median", "min", "max", "avg",
		"jitter", "loss", "up", "connect", "cert_days" };
	struct target_def d;
	char *path;
	time_t t0 = (time(NULL) / 30 + 1) * 30;

	def_init(&d, "portal", &http_probe, 30);
	write_rounds(&d, t0, 10, 30, .08);
	settle();
	path = store_path(&conf, "portal");
	check_layout(path, 30, ds, 9);
	EXPECT_NEAR(41, fetch_avg(path, "cert_days", t0, t0 + 9 * 30), 1e-6);
	EXPECT_NEAR(.012, fetch_avg(path, "connect", t0, t0 + 9 * 30), 1e-9);
	free(path);
	return 0;
}

/* The PC booted with a date a year ahead, NTP then set it right: the
 * file's last update is in the future.  A jump back of a few minutes
 * is only skipped; one of a year makes the file again from the
 * present, and it is written at once. */
DEF_TEST(clock_was_in_the_future)
{
	struct target_def d;
	char *path;
	time_t now = (time(NULL) / 60) * 60, year = 365 * 86400L;

	def_init(&d, "tra-van", &smoke_probe, 60);
	write_rounds(&d, now + year, 3, 60, .3);	/* the false future */
	settle();
	path = store_path(&conf, "tra-van");
	EXPECT_EQ_INT(now + year + 120, rrd_last_r(path));
	/* the clock right again: written from the present on */
	write_rounds(&d, now, 3, 60, .2);
	settle();
	EXPECT_EQ_INT(now + 120, rrd_last_r(path));
	EXPECT_NEAR(.2, fetch_avg(path, "median", now, now + 120), 1e-6);
	/* five minutes back: skipped, not rebuilt */
	write_rounds(&d, now - 300, 1, 60, .9);
	settle();
	EXPECT_EQ_INT(now + 120, rrd_last_r(path));
	free(path);
	return 0;
}

/* A changed interval rebuilds the file from itself: history stays. */
DEF_TEST(interval_change_keeps_history)
{
	static const char *const ds[] = { "median", "min", "max", "avg",
		"jitter", "loss", "up", "q05", "q10", "q25", "q75", "q90",
		"q95" };
	struct target_def d;
	char *path = store_path(&conf, "tra-cang");
	time_t t0 = (time(NULL) / 60 + 1) * 60, t1;

	def_init(&d, "tra-cang", &smoke_probe, 60);
	write_rounds(&d, t0, 20, 60, .3);
	settle();
	check_layout(path, 60, ds, 13);

	def_init(&d, "tra-cang", &smoke_probe, 30);
	store_reconf(&conf);
	t1 = t0 + 20 * 60;
	write_rounds(&d, t1, 10, 30, .1);
	settle();
	check_layout(path, 30, ds, 13);
	EXPECT_NEAR(.3, fetch_avg(path, "median", t0 + 60, t0 + 18 * 60),
	    1e-6);
	EXPECT_NEAR(.1, fetch_avg(path, "median", t1 + 30, t1 + 9 * 30),
	    1e-6);
	free(path);
	return 0;
}

/* A switch's ports: one file each, named after the port, made safe. */
DEF_TEST(instances_get_their_own_files)
{
	static const char *const ds[] = { "in_octets", "out_octets",
		"oper_up" };
	struct target_def d;
	struct store_instance ports[2];
	double gi1[3] = { 1250000, 250000, 1 }, gi2[3] = { NAN, NAN, 0 };
	struct round_stats rs = sample(.002, 0);
	char *p1, *p2, *dirname;
	time_t t0 = (time(NULL) / 60 + 1) * 60;

	def_init(&d, "core-sw", &switch_probe, 60);
	ports[0].name = "Gi1/0/1";
	ports[0].values = gi1;
	ports[1].name = "Gi1/0/2";
	ports[1].values = gi2;
	for (int i = 0; i < 10; i++)
		store_round(&d, t0 + i * 60, &rs, NULL, ports, 2);
	settle();
	p1 = store_instance_path(&conf, "core-sw", "Gi1/0/1");
	p2 = store_instance_path(&conf, "core-sw", "Gi1/0/2");
	dirname = xasprintf("%s/rrd/core-sw/Gi1_0_1.rrd", dir);
	EXPECT_EQ_STR(dirname, p1);
	check_layout(p1, 60, ds, 3);
	/* rates are stored as they are (bytes per second) */
	EXPECT_NEAR(1250000, fetch_avg(p1, "in_octets", t0, t0 + 9 * 60),
	    1e-3);
	EXPECT_NEAR(1, fetch_avg(p1, "oper_up", t0, t0 + 9 * 60), 1e-9);
	EXPECT_NAN(fetch_avg(p2, "in_octets", t0, t0 + 9 * 60));
	EXPECT_NEAR(0, fetch_avg(p2, "oper_up", t0, t0 + 9 * 60), 1e-9);
	free(p1);
	free(p2);
	free(dirname);
	return 0;
}

DEF_TEST(through_rrdcached)
{
	char sock[256], rrddir[256], journal[256], cmd[1024];
	struct target_def d;
	char *path;
	pid_t pid;
	time_t t0 = (time(NULL) / 60 + 1) * 60;

	if (access("/usr/bin/rrdcached", X_OK) != 0) {
		printf("# rrdcached not installed: skipped\n");
		return 0;
	}
	snprintf(sock, sizeof(sock), "unix:%s/rrdcached.sock", dir);
	snprintf(rrddir, sizeof(rrddir), "%s/cached", dir);
	snprintf(journal, sizeof(journal), "%s/cached-journal", dir);
	mkdir(journal, 0755);
	if ((pid = fork()) == 0) {
		execl("/usr/bin/rrdcached", "rrdcached", "-g", "-l", sock,
		    "-b", dir, "-B", "-j", journal, "-w", "1800", "-f", "3600",
		    "-F", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {	/* wait for its socket */
		if (access(sock + 5, F_OK) == 0)
			break;
		usleep(20000);
	}
	EXPECT_TRUE(access(sock + 5, F_OK) == 0);

	store_close();
	free(conf.rrdcached);
	conf.rrdcached = xstrdup(sock);
	EXPECT_EQ_INT(0, store_open(base, &conf));
	def_init(&d, "tra-vinh", &smoke_probe, 60);
	write_rounds(&d, t0, 15, 60, .02);
	settle();
	store_close();	/* flushes rrdcached */
	path = store_path(&conf, "tra-vinh");
	EXPECT_NEAR(.02, fetch_avg(path, "median", t0, t0 + 14 * 60), 1e-6);
	snprintf(cmd, sizeof(cmd), "rrdtool info %s | grep -q "
	    "'^ds\\[q95\\].index = 12$'", path);
	EXPECT_EQ_INT(0, system(cmd));
	free(path);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(conf.rrdcached);
	conf.rrdcached = xstrdup("");
	EXPECT_EQ_INT(0, store_open(base, &conf));	/* for teardown */
	return 0;
}

/* Does something listen on `addr` ("unix:PATH" or "127.0.0.1:PORT")? */
static int
answers(const char *addr)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, ok;

	if (strncmp(addr, "unix:", 5) == 0) {
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", addr + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	} else {
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((uint16_t)atoi(strchr(addr, ':') + 1));
		fd = socket(AF_INET, SOCK_STREAM, 0);
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	}
	close(fd);
	return ok;
}

/* rrdcached with base directory `dir`, listening on `addr`; its pid,
 * once it answers. */
static pid_t
start_rrdcached(const char *addr)
{
	char journal[256];
	pid_t pid;
	int gone = 1;

	snprintf(journal, sizeof(journal), "%s/cached-journal", dir);
	mkdir(journal, 0755);
	if ((pid = fork()) == 0) {
		execl("/usr/bin/rrdcached", "rrdcached", "-g", "-l", addr,
		    "-b", dir, "-B", "-j", journal, "-w", "1800", "-f", "3600",
		    "-F", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 250 && gone; i++) {	/* until it answers */
		gone = !answers(addr);
		if (gone)
			usleep(20000);
	}
	EXPECT_TRUE(!gone);
	return pid;
}

static void
stop_rrdcached(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* A port no one listens on now. */
static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* Over TCP rrdcached takes names relative to its base directory
 * (daemon.rrdcached_base); the files, a switch's ports among them, are
 * where the pages read them. */
DEF_TEST(through_rrdcached_tcp)
{
	char addr[64];
	struct target_def d, sw;
	struct store_instance port = { "Gi1/0/9", NULL };
	double gi[3] = { 1000, 2000, 1 };
	struct round_stats rs = sample(.002, 0);
	char *path, *name;
	pid_t pid;
	time_t t0 = (time(NULL) / 60 + 1) * 60;

	if (access("/usr/bin/rrdcached", X_OK) != 0) {
		printf("# rrdcached not installed: skipped\n");
		return 0;
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", free_port());
	pid = start_rrdcached(addr);
	store_close();
	free(conf.rrdcached);
	conf.rrdcached = xstrdup(addr);
	conf.rrdcached_base = dir;
	EXPECT_EQ_INT(0, store_open(base, &conf));
	path = store_path(&conf, "ben-tre");
	name = store_cached_name(path);
	EXPECT_EQ_STR("rrd/ben-tre.rrd", name);
	free(name);
	def_init(&d, "ben-tre", &smoke_probe, 60);
	def_init(&sw, "sw-tcp", &switch_probe, 60);
	port.values = gi;
	write_rounds(&d, t0, 15, 60, .03);
	for (int i = 0; i < 15; i++)
		store_round(&sw, t0 + i * 60, &rs, NULL, &port, 1);
	settle();
	EXPECT_EQ_INT(0, (int)store_pending());
	store_close();	/* flushes rrdcached */
	EXPECT_NEAR(.03, fetch_avg(path, "median", t0, t0 + 14 * 60), 1e-6);
	free(path);
	path = store_instance_path(&conf, "sw-tcp", "Gi1/0/9");
	EXPECT_NEAR(2000, fetch_avg(path, "out_octets", t0, t0 + 14 * 60),
	    1e-6);
	free(path);
	stop_rrdcached(pid);
	free(conf.rrdcached);
	conf.rrdcached = xstrdup("");
	conf.rrdcached_base = NULL;
	EXPECT_EQ_INT(0, store_open(base, &conf));	/* for teardown */
	return 0;
}

/*
 * rrdcached goes away and comes back: the updates meanwhile are held
 * and sent then, none lost.
 */
DEF_TEST(rrdcached_goes_away_and_comes_back)
{
	char sock[256];
	struct target_def d;
	char *path;
	pid_t pid;
	time_t t0 = (time(NULL) / 60 + 1) * 60;

	if (access("/usr/bin/rrdcached", X_OK) != 0) {
		printf("# rrdcached not installed: skipped\n");
		return 0;
	}
	snprintf(sock, sizeof(sock), "unix:%s/rrdcached2.sock", dir);
	pid = start_rrdcached(sock);
	store_close();
	free(conf.rrdcached);
	conf.rrdcached = xstrdup(sock);
	EXPECT_EQ_INT(0, store_open(base, &conf));
	def_init(&d, "cho-lach", &smoke_probe, 60);
	write_rounds(&d, t0, 5, 60, .05);
	settle();
	EXPECT_EQ_INT(0, (int)store_pending());
	stop_rrdcached(pid);
	write_rounds(&d, t0 + 5 * 60, 5, 60, .05);
	settle();
	EXPECT_TRUE(store_pending() > 0);	/* held */
	pid = start_rrdcached(sock);
	for (int i = 0; i < 40 && store_pending() > 0; i++)
		settle();	/* retried within RETRY_S */
	EXPECT_EQ_INT(0, (int)store_pending());
	store_close();
	path = store_path(&conf, "cho-lach");
	/* every minute has its value: none was lost */
	EXPECT_NEAR(.05, fetch_avg(path, "median", t0, t0 + 9 * 60), 1e-6);
	EXPECT_EQ_INT(9, count_rows(path, "median", t0, t0 + 9 * 60));

	free(path);
	stop_rrdcached(pid);
	free(conf.rrdcached);
	conf.rrdcached = xstrdup("");
	EXPECT_EQ_INT(0, store_open(base, &conf));	/* for teardown */
	return 0;
}

int
main(void)
{
	char cmd[128];

	if (mkdtemp(dir) == NULL)
		return 1;
	conf.state_dir = dir;
	conf.rrdcached = xstrdup("");
	evthread_use_pthreads();
	base = event_base_new();
	if (store_open(base, &conf) != 0)
		return 1;
	RUN_TEST(ping_layout_and_values);
	RUN_TEST(probe_values_are_stored);
	RUN_TEST(interval_change_keeps_history);
	RUN_TEST(clock_was_in_the_future);
	RUN_TEST(instances_get_their_own_files);
	RUN_TEST(through_rrdcached);
	RUN_TEST(through_rrdcached_tcp);
	RUN_TEST(rrdcached_goes_away_and_comes_back);
	store_close();
	free(conf.rrdcached);
	event_base_free(base);
	libevent_global_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (getenv("TRAMON_KEEP_TMP") == NULL && system(cmd) != 0)
		return 1;
	END_TEST;
}
