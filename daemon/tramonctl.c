/*
 * tramonctl: talk to a running tramond over its control socket.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <jansson.h>

#include "conf.h"
#include "control.h"
#include "log.h"
#include "probe.h"
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
	    "  reload            make tramond re-read its configuration\n");
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
call(const struct conf *c, const char *cmd)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd), *r;

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
	if (strcmp(cmd, "status") == 0) {
		int as_json = argc == 2 && strcmp(argv[1], "--json") == 0;

		if (argc > 2 || (argc == 2 && !as_json))
			usage();
		rc = cmd_status(c, as_json);
	} else if (strcmp(cmd, "reload") == 0 && argc == 1) {
		json_decref(call(c, "reload"));
		printf("tramond reloaded %s\n", path);
		rc = EX_OK;
	} else
		usage();
	conf_free(c);
	probe_unload_all();
	return rc;
}
