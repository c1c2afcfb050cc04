/*
 * tramond: the tramon monitoring daemon.
 *
 * Start-up order matters: the configuration is checked before anything
 * happens; the process detaches before any thread exists; the probes
 * open their raw sockets while we are still privileged; then privileges
 * go, for good, before the first packet is read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "alerts.h"
#include "conf.h"
#include "control.h"
#include "httpd.h"
#include "journal.h"
#include "log.h"
#include "meeting.h"
#include "monitor.h"
#include "privs.h"
#include "probe.h"
#include "report_job.h"
#include "scheduler.h"
#include "store.h"
#include "util.h"
#include "web.h"

#define DEFAULT_CONF SYSCONFDIR "/tramon/tramon.conf"

static struct {
	const char *conf_path;
	int foreground;
	int debug;
	struct event_base *base;
	uid_t uid;
	gid_t gid;
	int pidfd;
	char *pidpath;
} D = { .pidfd = -1 };

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: tramond [-dfn] [-c file]\n");
	exit(EX_USAGE);
}

static void
print_error(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

static void
log_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/* libevent's own messages (evdns, evhttp) go to our log, not stderr. */
static void
libevent_log(int severity, const char *msg)
{
	int priority = LOG_DEBUG;

	switch (severity) {
	case EVENT_LOG_ERR:
		priority = LOG_ERR;
		break;
	case EVENT_LOG_WARN:
		priority = LOG_WARNING;
		break;
	case EVENT_LOG_MSG:
		priority = LOG_INFO;
		break;
	}
	log_msg(priority, "libevent: %s", msg);
}

static void
apply_timezone(const struct conf *c)
{
	setenv("TZ", c->timezone, 1);
	tzset();
}

static void
apply_logging(const struct conf *c)
{
	log_setlevel(D.debug ? LOG_DEBUG : c->log_level);
}

/* Settings that only take effect at start-up. */
static void
warn_restart_needed(const struct conf *o, const struct conf *n)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "state_dir", offsetof(struct conf, state_dir) },
		{ "web_dir", offsetof(struct conf, web_dir) },
		{ "plugin_dir", offsetof(struct conf, plugin_dir) },
		{ "user", offsetof(struct conf, user) },
		{ "http_listen", offsetof(struct conf, http_listen) },
		{ "rrdcached", offsetof(struct conf, rrdcached) },
		{ "rrdcached_base", offsetof(struct conf, rrdcached_base) },
		{ "rrdcached_dir", offsetof(struct conf, rrdcached_dir) },
		{ "control_socket", offsetof(struct conf, control_socket) },
	};

	for (size_t i = 0; i < nitems(keys); i++) {
		const char *a = *(char *const *)((const char *)o + keys[i].off);
		const char *b = *(char *const *)((const char *)n + keys[i].off);

		if (strcmp(a, b) != 0)
			log_warnx("reload: daemon.%s changed; it takes effect "
			    "when tramond is restarted", keys[i].key);
	}
}

static void
reload(void)
{
	const struct conf *old = monitor_conf();
	struct conf *nc;

	log_info("reloading %s", D.conf_path);
	if ((nc = conf_load(D.conf_path, log_error, NULL)) == NULL) {
		log_warnx("reload: %s is not valid; the running configuration "
		    "stays", D.conf_path);
		return;
	}
	warn_restart_needed(old, nc);
	/* keep what cannot change without a restart */
	free(nc->state_dir);
	nc->state_dir = xstrdup(old->state_dir);
	free(nc->web_dir);
	nc->web_dir = xstrdup(old->web_dir);
	free(nc->rrdcached);
	nc->rrdcached = xstrdup(old->rrdcached);
	free(nc->rrdcached_base);
	nc->rrdcached_base = xstrdup(old->rrdcached_base);
	free(nc->rrdcached_dir);
	nc->rrdcached_dir = xstrdup(old->rrdcached_dir);
	apply_timezone(nc);
	apply_logging(nc);
	if (probe_init_all(D.base, NULL) == -1)
		log_warnx("reload: a new probe could not start");
	monitor_reload(nc);
}

/* A string member of a request, "" if absent. */
static const char *
str_of(json_t *req, const char *key)
{
	const char *v = json_string_value(json_object_get(req, key));

	return v ? v : "";
}

static json_t *
control(const char *cmd, json_t *req)
{
	json_t *r;

	if (strcmp(cmd, "status") == 0) {
		r = monitor_status();
		json_object_set_new(r, "ok", json_true());
		return r;
	}
	if (strcmp(cmd, "reload") == 0) {
		const struct conf *before = monitor_conf();

		reload();
		if (monitor_conf() == before)
			return json_pack("{s:b, s:s}", "ok", 0, "error",
			    "the new configuration is not valid; see the "
			    "daemon's log (tramond -n -c FILE shows why)");
		return json_pack("{s:b}", "ok", 1);
	}
	if (strcmp(cmd, "ack") == 0)
		return alerts_ack(str_of(req, "target"),
		    json_string_value(json_object_get(req, "comment")));
	if (strcmp(cmd, "maintenance-add") == 0)
		return alerts_maintenance_add(str_of(req, "target"),
		    (long)json_integer_value(json_object_get(req, "seconds")),
		    json_string_value(json_object_get(req, "reason")));
	if (strcmp(cmd, "maintenance-end") == 0)
		return alerts_maintenance_end(str_of(req, "target"));
	if (strcmp(cmd, "maintenance-list") == 0)
		return alerts_maintenance_list();
	if (strcmp(cmd, "test-email") == 0)
		return alerts_test_email(str_of(req, "contact"));
	if (strcmp(cmd, "meeting-list") == 0)
		return meeting_list();
	if (strcmp(cmd, "meeting-check") == 0) {
		json_t *v = json_object_get(req, "minutes");
		json_int_t min = json_is_integer(v) ? json_integer_value(v) :
		    1;

		return meeting_check(str_of(req, "name"), min < 0 || min > 1000 ?
		    -1 : (int)min, !json_is_false(json_object_get(req, "mail")));
	}
	if (strcmp(cmd, "report-publish") == 0) {
		json_int_t y = json_integer_value(json_object_get(req, "year"));
		json_int_t m = json_integer_value(json_object_get(req,
		    "month"));

		if (y < 1970 || y > 9999 || m < 1 || m > 12)
			return json_pack("{s:b, s:s}", "ok", 0, "error",
			    "report-publish: year and month");
		return report_job_now((int)y, (int)m,
		    !json_is_false(json_object_get(req, "mail")));
	}
	if (strcmp(cmd, "meeting-result") == 0)
		return meeting_result(str_of(req, "name"),
		    json_integer_value(json_object_get(req, "id")));
	return json_pack("{s:b, s:s+}", "ok", 0, "error", "unknown command: ",
	    cmd);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	switch (sig) {
	case SIGHUP:
		reload();
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: shutting down",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		event_base_loopbreak(D.base);
		break;
	}
}

static void
daemonize(void)
{
	int fd;

	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		fatal("setsid");
	switch (fork()) {	/* never reacquire a terminal */
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		_exit(0);
	}
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* state_dir, web_dir and the control socket's directory belong to the
 * daemon's user, so it can still write them after dropping root. */
static void
prepare_dirs(const struct conf *c)
{
	if (mkdir_p(c->state_dir, 0755) == -1)
		fatal("state_dir %s", c->state_dir);
	if (mkdir_p(c->web_dir, 0755) == -1)
		fatal("web_dir %s", c->web_dir);
	privs_chown_tree(c->state_dir, D.uid, D.gid);
	privs_chown_tree(c->web_dir, D.uid, D.gid);
}

static char *
asset_dir(void)
{
	const char *env = getenv("TRAMON_ASSET_DIR");

	/* tests and the demo run from the build tree */
	return xstrdup(env && *env ? env : PKGDATADIR);
}

static const char **
needed_types(const struct conf *c)
{
	const char **types = xcalloc(c->ntargets + 1, sizeof(*types));
	size_t n = 0;

	for (size_t i = 0; i < c->ntargets; i++) {
		size_t k;

		for (k = 0; k < n; k++)
			if (strcmp(types[k], c->targets[i].type) == 0)
				break;
		if (k == n)
			types[n++] = c->targets[i].type;
	}
	return types;
}

int
main(int argc, char *argv[])
{
	struct conf *conf;
	struct event *sig_hup, *sig_term, *sig_int;
	const char **needed, *optarg_path;
	char *assets, *pdir, *abs_path;
	int ch, check_only = 0;
	unsigned n;

	malloc_arenas();	/* before any thread */
	optarg_path = DEFAULT_CONF;
	while ((ch = getopt(argc, argv, "c:dfn")) != -1) {
		switch (ch) {
		case 'c':
			optarg_path = optarg;
			break;
		case 'd':
			D.debug = 1;
			break;
		case 'f':
			D.foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	D.conf_path = optarg_path;

	log_init(1, D.debug ? LOG_DEBUG : LOG_WARNING, "tramond");
	event_set_log_callback(libevent_log);
	if ((conf = conf_load(D.conf_path, print_error, NULL)) == NULL) {
		if (check_only)
			exit(EX_CONFIG);
		fprintf(stderr, "tramond: %s: configuration not valid\n",
		    D.conf_path);
		exit(EX_CONFIG);
	}
	if (check_only) {
		fprintf(stderr, "%s: configuration OK (%zu targets)\n",
		    D.conf_path, conf->ntargets);
		conf_free(conf);
		probe_unload_all();
		exit(EX_OK);
	}

	/* the daemon changes to / and reloads from there */
	if ((abs_path = realpath(optarg_path, NULL)) != NULL)
		D.conf_path = abs_path;
	apply_timezone(conf);
	if (privs_lookup(conf->user, &D.uid, &D.gid) == -1)
		exit(EX_CONFIG);
	log_init(D.foreground || conf->log_stderr, conf->log_level,
	    "tramond");
	apply_logging(conf);
	if (!D.foreground)
		daemonize();

	/* Before any thread starts and before we may have dropped root. */
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	if ((D.base = sched_base_new()) == NULL)
		fatalx("cannot create the event loop");

	prepare_dirs(conf);
	pdir = xstrdup(conf->control_socket);
	D.pidpath = xasprintf("%s/tramond.pid", dirname(pdir));
	free(pdir);
	if (control_open(D.base, conf->control_socket, D.uid, D.gid,
	    control) == -1)
		fatalx("cannot open the control socket %s",
		    conf->control_socket);
	if ((D.pidfd = pidfile_open(D.pidpath)) == -1 ||
	    pidfile_write(D.pidfd) == -1)
		fatalx("cannot write the pid file %s", D.pidpath);
	if (D.uid != (uid_t)-1 && fchown(D.pidfd, D.uid, D.gid) == -1)
		log_warn("chown %s", D.pidpath);
	/* the only tramond now: what a killed one left half-written goes */
	if ((n = remove_leftovers(conf->state_dir, 0) +
	    remove_leftovers(conf->web_dir, 2)) > 0)
		log_info("removed %u temporary file(s) left by a tramond that "
		    "was killed", n);

	needed = needed_types(conf);
	if (probe_init_all(D.base, needed) == -1)
		fatalx("a probe the configuration needs cannot start");
	free(needed);
	if (conf->http_listen[0] &&
	    httpd_open(D.base, conf->http_listen, conf->web_dir) == -1)
		fatalx("cannot serve http on %s", conf->http_listen);

	privs_drop(D.uid, D.gid);

	if (journal_open(D.base, conf->state_dir) == -1)
		log_warnx("the journal cannot be written yet; retrying");
	if (store_open(D.base, conf) == -1)
		fatalx("cannot open the RRD store in %s/rrd", conf->state_dir);
	assets = asset_dir();
	web_open(D.base, assets);
	free(assets);

	sig_hup = evsignal_new(D.base, SIGHUP, on_signal, NULL);
	sig_term = evsignal_new(D.base, SIGTERM, on_signal, NULL);
	sig_int = evsignal_new(D.base, SIGINT, on_signal, NULL);
	evsignal_add(sig_hup, NULL);
	evsignal_add(sig_term, NULL);
	evsignal_add(sig_int, NULL);

	log_info("tramond %s started (config %s)", PACKAGE_VERSION,
	    D.conf_path);
	monitor_start(D.base, conf);

	event_base_dispatch(D.base);

	/* clean shutdown: stop probes, then flush every writer */
	control_close();
	httpd_close();
	monitor_stop();
	web_close();
	store_close();
	journal_close();
	probe_unload_all();
	event_free(sig_hup);
	event_free(sig_term);
	event_free(sig_int);
	event_base_free(D.base);
	curl_global_cleanup();
	libevent_global_shutdown();
	unlink(D.pidpath);
	close(D.pidfd);
	free(D.pidpath);
	free(abs_path);
	log_info("tramond stopped");
	return EX_OK;
}
