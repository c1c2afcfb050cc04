/*
 * tramonctl: talk to a running tramond over its control socket, or work
 * offline on its state directory (reports).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "control.h"
#include "graph.h"
#include "log.h"
#include "probe.h"
#include "report.h"
#include "store.h"
#include "report_doc.h"
#include "report_fmt.h"
#include "util.h"

#define DEFAULT_CONF SYSCONFDIR "/tramon/tramon.conf"
#define TIMEOUT_S 15

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: tramonctl [-c file] command\n"
	    "commands:\n"
	    "  status [--json]   state, since, rtt and loss of every target\n"
	    "  reload            make tramond re-read its configuration\n"
	    "  ack TARGET [COMMENT]\n"
	    "                    no more reminders until TARGET recovers\n"
	    "  maintenance add TARGET DURATION [REASON]\n"
	    "                    silence TARGET for DURATION (90m, 4h, 2d)\n"
	    "  maintenance end TARGET\n"
	    "  maintenance list\n"
	    "  test-email CONTACT\n"
	    "                    send a test mail the way alerts go\n"
	    "  meeting list      meetings, their next start and check\n"
	    "  meeting check NAME [--minutes N] [--no-mail]\n"
	    "                    check a meeting's sites now, print the table;\n"
	    "                    exit 0 if every site is ready, 1 if not\n"
	    "  report [--month YYYY-MM] [--format text|csv|html|pdf] "
	    "[-o FILE]\n"
	    "                    a month's availability report, offline from\n"
	    "                    the state directory (default: last month)\n"
	    "  report --publish [--month YYYY-MM] [--no-mail]\n"
	    "                    have tramond build it into web_dir/reports/\n"
	    "                    and mail it to reports.send_to now\n");
	exit(EX_USAGE);
}

static void
print_error(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

/* Send one command; exit with the right code if the daemon is not
 * there or says no. */
static json_t *
call_req(const struct conf *c, json_t *req)
{
	json_t *r;

	r = control_call(c->control_socket, req, TIMEOUT_S);
	json_decref(req);
	if (r == NULL) {
		if (errno == ENOENT || errno == ECONNREFUSED) {
			fprintf(stderr, "tramonctl: tramond is not running "
			    "(no answer on %s)\n", c->control_socket);
			exit(EX_UNAVAILABLE);
		}
		fprintf(stderr, "tramonctl: %s: %s\n", c->control_socket,
		    strerror(errno));
		exit(errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE);
	}
	if (!json_is_true(json_object_get(r, "ok"))) {
		const char *e = json_string_value(json_object_get(r, "error"));
		int denied = json_is_true(json_object_get(r, "denied"));

		fprintf(stderr, "tramonctl: %s\n", e ? e : "request failed");
		json_decref(r);
		exit(denied ? EX_NOPERM : EX_SOFTWARE);
	}
	return r;
}

static json_t *
call(const struct conf *c, const char *cmd)
{
	return call_req(c, json_pack("{s:s}", "cmd", cmd));
}

/* "90", "90s", "45m", "4h", "2d": seconds, or -1. */
static long
parse_duration(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		v *= 60;
		break;
	case 'h':
		v *= 3600;
		break;
	case 'd':
		v *= 86400;
		break;
	default:
		return -1;
	}
	if (*end && end[1] != '\0')
		return -1;
	return v;
}

static void
local_time(json_t *v, char *buf, size_t len)
{
	time_t t = json_is_integer(v) ? (time_t)json_integer_value(v) : 0;
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

static int
cmd_maintenance(const struct conf *c, int argc, char **argv)
{
	json_t *r, *m;
	size_t i;
	char until[32];
	long secs;

	if (argc >= 2 && strcmp(argv[1], "list") == 0 && argc == 2) {
		r = call(c, "maintenance-list");
		printf("%-18s %-8s %-16s %s\n", "TARGET", "KIND", "UNTIL",
		    "REASON");
		json_array_foreach(json_object_get(r, "maintenance"), i, m) {
			const char *reason = json_string_value(
			    json_object_get(m, "reason"));

			local_time(json_object_get(m, "until"), until,
			    sizeof(until));
			printf("%-18s %-8s %-16s %s\n", json_string_value(
			    json_object_get(m, "target")), json_is_true(
			    json_object_get(m, "adhoc")) ? "ad-hoc" : "window",
			    until, reason ? reason : "");
		}
		json_decref(r);
		return EX_OK;
	}
	if (argc >= 4 && argc <= 5 && strcmp(argv[1], "add") == 0) {
		if ((secs = parse_duration(argv[3])) == -1) {
			fprintf(stderr, "tramonctl: %s: a duration is a number "
			    "with s, m, h or d (e.g. 4h)\n", argv[3]);
			return EX_USAGE;
		}
		r = call_req(c, json_pack("{s:s, s:s, s:I, s:s?}", "cmd",
		    "maintenance-add", "target", argv[2], "seconds",
		    (json_int_t)secs, "reason", argc == 5 ? argv[4] : NULL));
		local_time(json_object_get(r, "until"), until, sizeof(until));
		printf("%s: in maintenance until %s\n", argv[2], until);
		json_decref(r);
		return EX_OK;
	}
	if (argc == 3 && strcmp(argv[1], "end") == 0) {
		json_decref(call_req(c, json_pack("{s:s, s:s}", "cmd",
		    "maintenance-end", "target", argv[2])));
		printf("%s: maintenance ended\n", argv[2]);
		return EX_OK;
	}
	usage();
}

static void
fmt_ms(json_t *v, char *buf, size_t len)
{
	if (json_is_number(v))
		snprintf(buf, len, "%.1f ms", json_number_value(v));
	else
		snprintf(buf, len, "-");
}

static int
cmd_status(const struct conf *c, int as_json)
{
	json_t *r = call(c, "status"), *t;
	size_t i;

	json_object_del(r, "ok");
	if (as_json) {
		char *text = json_dumps(r, JSON_INDENT(2));

		puts(text);
		free(text);
		json_decref(r);
		return EX_OK;
	}
	printf("%-18s %-12s %-19s %10s %7s %10s\n", "TARGET", "STATE",
	    "SINCE", "RTT", "LOSS", "JITTER");
	json_array_foreach(json_object_get(r, "targets"), i, t) {
		const char *since = json_string_value(json_object_get(t,
		    "since"));
		json_t *loss = json_object_get(t, "loss_pct");
		char s[20] = "-", rtt[24], jit[24], l[16] = "-";

		if (since) {
			snprintf(s, sizeof(s), "%.19s", since);
			if (strlen(s) > 10)
				s[10] = ' ';
		}
		fmt_ms(json_object_get(t, "rtt_ms"), rtt, sizeof(rtt));
		fmt_ms(json_object_get(t, "jitter_ms"), jit, sizeof(jit));
		if (json_is_number(loss))
			snprintf(l, sizeof(l), "%.1f%%",
			    json_number_value(loss));
		printf("%-18s %-12s %-19s %10s %7s %10s\n",
		    json_string_value(json_object_get(t, "id")),
		    json_string_value(json_object_get(t, "state")), s, rtt, l,
		    jit);
	}
	json_decref(r);
	return EX_OK;
}

/* A site's figure: "12.3 ms", "5.1%", "-". */
static void
fmt_num(json_t *v, const char *unit, char *buf, size_t len)
{
	if (json_is_number(v))
		snprintf(buf, len, "%.1f%s", json_number_value(v), unit);
	else
		snprintf(buf, len, "-");
}

static void
print_meeting_table(json_t *ev)
{
	json_t *site;
	size_t i;

	printf("%-18s %-14s %10s %7s %10s %9s  %s\n", "TARGET", "VERDICT",
	    "RTT", "LOSS", "JITTER", "ANSWERS", "STATUS");
	json_array_foreach(json_object_get(ev, "sites"), i, site) {
		json_t *st = json_object_get(site, "status");
		const char *why = json_string_value(json_object_get(site,
		    "reason"));
		char rtt[24], loss[16], jit[24], ans[32], status[128];

		fmt_num(json_object_get(site, "rtt"), " ms", rtt, sizeof(rtt));
		fmt_num(json_object_get(site, "loss"), "%", loss, sizeof(loss));
		fmt_num(json_object_get(site, "jitter"), " ms", jit,
		    sizeof(jit));
		snprintf(ans, sizeof(ans), "%lld/%lld", (long long)
		    json_integer_value(json_object_get(site, "received")),
		    (long long)json_integer_value(json_object_get(site,
		    "sent")));
		if (json_is_integer(st))
			snprintf(status, sizeof(status), "%lld",
			    (long long)json_integer_value(st));
		else
			snprintf(status, sizeof(status), "%s", why ? why : "-");
		printf("%-18s %-14s %10s %7s %10s %9s  %s\n",
		    json_string_value(json_object_get(site, "target")),
		    json_string_value(json_object_get(site, "verdict")), rtt,
		    loss, jit, ans, status);
	}
	printf("%lld of %lld site(s) ready\n", (long long)json_integer_value(
	    json_object_get(ev, "ready")), (long long)json_integer_value(
	    json_object_get(ev, "total")));
}

/* Start a check, wait for its end (polling the daemon, bounded), print
 * the table: 0 if every site is ready, 1 if not. */
static int
cmd_meeting_check(const struct conf *c, const char *name, long minutes,
    int mail)
{
	json_t *r, *res;
	json_int_t id;
	time_t until, deadline;
	char when[32];
	int rc;

	r = call_req(c, json_pack("{s:s, s:s, s:I, s:b}", "cmd",
	    "meeting-check", "name", name, "minutes", (json_int_t)minutes,
	    "mail", mail));
	id = json_integer_value(json_object_get(r, "id"));
	until = (time_t)json_integer_value(json_object_get(r, "until"));
	local_time(json_object_get(r, "until"), when, sizeof(when));
	fprintf(stderr, "%s: checking until %s%s\n", name, when,
	    json_is_true(json_object_get(r, "mail")) ?
	    " (the summary is mailed as well)" : "");
	json_decref(r);
	/* the end of the window, the last rounds, and then some */
	deadline = until + 120;
	for (;;) {
		r = call_req(c, json_pack("{s:s, s:s, s:I}", "cmd",
		    "meeting-result", "name", name, "id", id));
		if (json_is_true(json_object_get(r, "done")))
			break;
		json_decref(r);
		if (time(NULL) > deadline) {
			fprintf(stderr, "tramonctl: %s: no result two "
			    "minutes after the check's end\n", name);
			return EX_UNAVAILABLE;
		}
		sleep(1);
	}
	res = json_object_get(r, "result");
	print_meeting_table(res);
	rc = json_integer_value(json_object_get(res, "ready")) ==
	    json_integer_value(json_object_get(res, "total")) ? 0 : 1;
	json_decref(r);
	return rc;
}

static int
cmd_meeting(const struct conf *c, int argc, char **argv)
{
	json_t *r, *m;
	size_t i;
	char start[32], check[32];

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		r = call(c, "meeting-list");
		printf("%-16s %-16s %-16s %-8s %s\n", "SCHEDULE", "NEXT START",
		    "NEXT CHECK", "LAST", "NAME");
		json_array_foreach(json_object_get(r, "meetings"), i, m) {
			json_t *last = json_object_get(m, "last");
			char l[24] = "-";

			local_time(json_object_get(m, "next_start"), start,
			    sizeof(start));
			local_time(json_object_get(m, "next_check"), check,
			    sizeof(check));
			if (json_is_true(json_object_get(m, "running")))
				snprintf(l, sizeof(l), "running");
			else if (last)
				snprintf(l, sizeof(l), "%lld/%lld",
				    (long long)json_integer_value(
				    json_object_get(last, "ready")),
				    (long long)json_integer_value(
				    json_object_get(last, "total")));
			printf("%-16s %-16s %-16s %-8s %s\n", json_string_value(
			    json_object_get(m, "schedule")), start, check, l,
			    json_string_value(json_object_get(m, "name")));
		}
		json_decref(r);
		return EX_OK;
	}
	if (argc >= 3 && strcmp(argv[1], "check") == 0) {
		long minutes = 1;
		int mail = 1;

		for (int k = 3; k < argc; k++) {
			char *end;

			if (strcmp(argv[k], "--no-mail") == 0)
				mail = 0;
			else if (strcmp(argv[k], "--minutes") == 0 &&
			    k + 1 < argc) {
				minutes = strtol(argv[++k], &end, 10);
				if (*end || minutes < 1 || minutes > 30) {
					fprintf(stderr, "tramonctl: --minutes "
					    "takes 1 to 30\n");
					return EX_USAGE;
				}
			} else
				usage();
		}
		return cmd_meeting_check(c, argv[2], minutes, mail);
	}
	usage();
}

static int
write_out(const char *path, const char *data, size_t len)
{
	if (path == NULL) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) ==
		    EOF) {
			fprintf(stderr, "tramonctl: stdout: %s\n",
			    strerror(errno));
			return EX_IOERR;
		}
		return EX_OK;
	}
	if (file_replace(path, data, len, 0) == -1) {
		fprintf(stderr, "tramonctl: %s: %s\n", path, strerror(errno));
		return EX_CANTCREAT;
	}
	return EX_OK;
}

/*
 * report [--month YYYY-MM] [--format text|csv|html|pdf] [-o FILE]: from
 * the journal and the RRD files alone, so it works with tramond stopped.
 * A PDF goes to a terminal only with -o.
 */
static int
cmd_report(const struct conf *c, int argc, char **argv)
{
	const char *month = NULL, *format = NULL, *out = NULL;
	struct report *r;
	struct stat sb;
	char *dir, *data;
	size_t len;
	int year, mon, rc, publish = 0, mail = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--publish") == 0)
			publish = 1;
		else if (strcmp(argv[i], "--no-mail") == 0)
			mail = 0;
		else if (i + 1 < argc && strcmp(argv[i], "--month") == 0)
			month = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--format") == 0)
			format = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "-o") == 0)
			out = argv[++i];
		else
			usage();
	}
	if (month == NULL)
		report_month_of(c->timezone, time(NULL), -1, &year, &mon);
	else if (report_parse_month(month, &year, &mon) == -1) {
		fprintf(stderr, "tramonctl: %s: a month is YYYY-MM\n", month);
		return EX_USAGE;
	}
	if (publish) {
		json_t *res;

		if (format || out)
			usage();
		res = call_req(c, json_pack("{s:s, s:i, s:i, s:b}", "cmd",
		    "report-publish", "year", year, "month", mon, "mail",
		    mail));
		fprintf(stderr, "%04d-%02d: tramond is building the report "
		    "into %s/reports/%s\n", year, mon, c->web_dir, mail ?
		    " and mails it" : "");
		json_decref(res);
		return EX_OK;
	}
	if (!mail)
		usage();
	if (format == NULL)
		format = "text";
	if (strcmp(format, "text") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "html") != 0 && strcmp(format, "pdf") != 0) {
		fprintf(stderr, "tramonctl: format %s: text, csv, html or "
		    "pdf\n", format);
		return EX_USAGE;
	}
	if (strcmp(format, "pdf") == 0 && out == NULL &&
	    isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tramonctl: a PDF is not for a terminal: "
		    "use -o FILE\n");
		return EX_USAGE;
	}
	dir = xasprintf("%s/journal", c->state_dir);
	if (stat(dir, &sb) == -1) {
		fprintf(stderr, "tramonctl: %s: %s\n", dir, strerror(errno));
		free(dir);
		return EX_NOINPUT;
	}
	free(dir);
	if ((r = report_build(c, year, mon, time(NULL))) == NULL) {
		fprintf(stderr, "tramonctl: %04d-%02d: no such month\n", year,
		    mon);
		return EX_USAGE;
	}
	/* a remote rrdcached's files are read through it */
	store_readers(c);
	report_rrd(r, c);
	if (strcmp(format, "csv") == 0)
		data = report_csv(r, &len);
	else if (strcmp(format, "html") == 0)
		data = report_html(r, c, &len);
	else if (strcmp(format, "pdf") == 0) {
		if ((data = (char *)report_pdf(r, c, &len)) == NULL) {
			report_free(r);
			return EX_SOFTWARE;
		}
	} else {
		data = report_text(r);
		len = strlen(data);
	}
	rc = write_out(out, data, len);
	free(data);
	report_free(r);
	graph_close();
	return rc;
}

int
main(int argc, char *argv[])
{
	const char *path = DEFAULT_CONF, *cmd;
	struct conf *c;
	int ch, rc;

	while ((ch = getopt(argc, argv, "+c:")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];

	log_init(1, LOG_WARNING, "tramonctl");
	if ((c = conf_load(path, print_error, NULL)) == NULL) {
		fprintf(stderr, "tramonctl: %s: configuration not valid\n",
		    path);
		exit(EX_CONFIG);
	}
	/* times are shown as tramond has them, in daemon.timezone */
	setenv("TZ", c->timezone, 1);
	tzset();
	if (strcmp(cmd, "status") == 0) {
		int as_json = argc == 2 && strcmp(argv[1], "--json") == 0;

		if (argc > 2 || (argc == 2 && !as_json))
			usage();
		rc = cmd_status(c, as_json);
	} else if (strcmp(cmd, "reload") == 0 && argc == 1) {
		json_decref(call(c, "reload"));
		printf("tramond reloaded %s\n", path);
		rc = EX_OK;
	} else if (strcmp(cmd, "ack") == 0 && (argc == 2 || argc == 3)) {
		json_decref(call_req(c, json_pack("{s:s, s:s, s:s?}", "cmd",
		    "ack", "target", argv[1], "comment",
		    argc == 3 ? argv[2] : NULL)));
		printf("%s: acknowledged, no more reminders until it "
		    "recovers\n", argv[1]);
		rc = EX_OK;
	} else if (strcmp(cmd, "maintenance") == 0) {
		rc = cmd_maintenance(c, argc, argv);
	} else if (strcmp(cmd, "meeting") == 0) {
		rc = cmd_meeting(c, argc, argv);
	} else if (strcmp(cmd, "report") == 0) {
		rc = cmd_report(c, argc, argv);
	} else if (strcmp(cmd, "test-email") == 0 && argc == 2) {
		json_t *r = call_req(c, json_pack("{s:s, s:s}", "cmd",
		    "test-email", "contact", argv[1]));

		printf("%s: %s\n", argv[1], json_string_value(
		    json_object_get(r, "queued")));
		json_decref(r);
		rc = EX_OK;
	} else
		usage();
	conf_free(c);
	probe_unload_all();
	return rc;
}
