/*
 * conf_test: the configuration loader, with real libconfig parsing and
 * the real ping and tcp probe plugins of the build tree.
 *
 * Each fixture of tests/fixtures is copied into a scratch directory with
 * @PLUGIN_DIR@ replaced by $top_builddir/plugins/.libs, so problems are
 * reported as SCRATCH/NAME.conf:LINE: message, and each case checks the
 * file, the line and a distinctive part of every message it expects, and
 * that nothing else was reported.
 *
 * conf.c is included rather than linked so that the probes'
 * configuration services (conf_cfg_*) and the small parsers can be
 * called directly; nothing else of libtmcore's conf.o is then used.
 */
#include "conf.c"

#include <sys/stat.h>

#include <ftw.h>
#include <unistd.h>

#include "test.h"

static char scratch[PATH_MAX];
static char plugin_dir[PATH_MAX];
static char srcdir[PATH_MAX];

#define MAXERR 64

struct errs {
	char	*msg[MAXERR];
	int	 n;
};

static void
collect(void *arg, const char *msg)
{
	struct errs *e = arg;

	printf("#   %s\n", msg);
	if (e->n < MAXERR)
		e->msg[e->n++] = xstrdup(msg);
}

static void
errs_free(struct errs *e)
{
	for (int i = 0; i < e->n; i++)
		free(e->msg[i]);
	e->n = 0;
}

/* SCRATCH/name, in one of a few rotating buffers. */
static const char *
tpath(const char *name)
{
	static char buf[4][PATH_MAX + 64];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, PATH_MAX + 64, "%s/%s", scratch, name);
	return p;
}

static char *
replace_all(const char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), n = 0;
	const char *p;
	char *out, *o;

	if (fl == 0)
		return xstrdup(text);
	for (p = text; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	out = o = xmalloc(strlen(text) + n * strlen(to) + 1);
	for (p = text; *p;) {
		if (strncmp(p, from, fl) == 0) {
			o = stpcpy(o, to);
			p += fl;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static void
put(const char *name, const char *text)
{
	const char *path = tpath(name);
	FILE *f = fopen(path, "we");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

/* Copy a file of the source tree into the scratch directory. */
static void
stage_from(const char *relpath, const char *name)
{
	char *path = xasprintf("%s/%s", srcdir, relpath), *text, *fixed;

	if ((text = file_read(path, NULL)) == NULL) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	fixed = replace_all(text, "@PLUGIN_DIR@", plugin_dir);
	put(name, fixed);
	free(fixed);
	free(text);
	free(path);
}

static void
stage(const char *fixture)
{
	char *rel = xasprintf("tests/fixtures/%s", fixture);

	stage_from(rel, fixture);
	free(rel);
}

/* LINE of "SCRATCH/name:LINE: ...", or -1. */
static int
line_of(const char *msg, const char *name)
{
	const char *path = tpath(name);
	size_t n = strlen(path);

	if (strncmp(msg, path, n) != 0 || msg[n] != ':')
		return -1;
	return atoi(msg + n + 1);
}

static struct conf *
load(const char *name, struct errs *e)
{
	printf("# loading %s\n", name);
	memset(e, 0, sizeof(*e));
	return conf_load(tpath(name), collect, e);
}

/*
 * Exactly one problem reported at FILE:LINE whose message contains
 * `needle`.  EXPECT_ERR names a file of the scratch directory;
 * EXPECT_ERR_IN names the file as libconfig gives it (includes, as
 * written in @include).
 */
#define EXPECT_ERR(e, name, line, needle) \
	expect_err((e), tpath(name), (line), (needle), __LINE__)
#define EXPECT_ERR_IN(e, file, line, needle) \
	expect_err((e), (file), (line), (needle), __LINE__)

static void
expect_err(const struct errs *e, const char *file, int line,
    const char *needle, int at)
{
	char prefix[PATH_MAX + 128];
	int found = 0;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	for (int i = 0; i < e->n; i++)
		if (strncmp(e->msg[i], prefix, strlen(prefix)) == 0 &&
		    strstr(e->msg[i] + strlen(prefix), needle))
			found++;
	if (found != 1) {
		printf("# %s:%d: expected one \"%s...%s\", found %d\n",
		    __FILE__, at, prefix, needle, found);
		tap_failed++;
	}
}

/* ------------------------------------------------------------------ */

/* The shipped example, with only plugin_dir added (on its first line,
 * so that line numbers stay those of the file). */
DEF_TEST(example_conf)
{
	static const struct {
		const char *id, *name, *host;
	} communes[] = {
		{ "tra-mai", "Xã Trà Mai", "198.18.2.11" },
		{ "tra-don", "Xã Trà Don", "198.18.2.12" },
		{ "tra-leng", "Xã Trà Leng", "198.18.2.13" },
		{ "tra-don2", "Xã Trà Dơn", "198.18.2.14" },
		{ "tra-tap", "Xã Trà Tập", "198.18.2.15" },
		{ "tra-cang", "Xã Trà Cang", "198.18.2.16" },
		{ "tra-linh", "Xã Trà Linh", "198.18.2.17" },
		{ "tra-nam", "Xã Trà Nam", "198.18.2.18" },
		{ "tra-vinh", "Xã Trà Vinh", "198.18.2.19" },
		{ "tra-van", "Xã Trà Vân", "198.18.2.20" },
	};
	static const char *const web[] = { "portal", "qoffice", "motcua" };
	char *path = xasprintf("%s/conf/tramon.conf", srcdir);
	char *text = file_read(path, NULL), *line, *fixed;
	struct errs e;
	struct conf *c;
	int wan, sw;

	EXPECT_TRUE(text != NULL);
	if (text == NULL)
		return 1;
	line = xasprintf("daemon = { plugin_dir = \"%s\";", plugin_dir);
	fixed = replace_all(text, "daemon = {", line);
	put("example.conf", fixed);
	free(fixed);
	free(line);
	free(text);
	free(path);

	c = load("example.conf", &e);
	EXPECT_TRUE(c != NULL);
	EXPECT_EQ_INT(0, e.n);
	errs_free(&e);
	if (c == NULL)
		return 1;
	EXPECT_EQ_STR("Huyện Nam Trà My", c->name);
	EXPECT_EQ_STR("/var/lib/tramon", c->state_dir);
	EXPECT_EQ_STR("/var/lib/tramon/www", c->web_dir);
	EXPECT_EQ_STR(plugin_dir, c->plugin_dir);
	EXPECT_EQ_INT(LANG_VI, c->language);
	EXPECT_EQ_STR("Asia/Ho_Chi_Minh", c->timezone);
	EXPECT_EQ_INT(0, c->log_stderr);
	EXPECT_EQ_INT(LOG_INFO, c->log_level);
	EXPECT_EQ_STR("127.0.0.1:8080", c->http_listen);
	EXPECT_EQ_INT(5, c->storm_after);
	EXPECT_EQ_INT(30, c->storm_wait);
	EXPECT_EQ_INT(0, c->smtp.present);
	EXPECT_EQ_INT(1, c->reports_present);
	EXPECT_EQ_INT(1, c->reports.monthly);
	EXPECT_EQ_INT(7 * 60, c->reports.time_min);
	EXPECT_EQ_STR("it", c->reports.send_to[0]);
	EXPECT_EQ_STR("pdf", c->reports.formats[2]);
	EXPECT_NEAR(99.0, c->reports.sla_pct, 1e-9);
	EXPECT_EQ_INT(0, (long long)c->nmaintenance);
	EXPECT_EQ_INT(1, (long long)c->ncontacts);
	EXPECT_EQ_STR("it", c->contacts[0].id);
	EXPECT_EQ_STR("it1@example.gov.vn", c->contacts[0].email[0]);
	EXPECT_EQ_STR("it2@example.gov.vn", c->contacts[0].email[1]);
	EXPECT_TRUE(c->contacts[0].email[2] == NULL);

	EXPECT_EQ_INT(20, (long long)c->ntargets);
	wan = conf_target_index(c, "wan");
	EXPECT_EQ_INT(0, wan);
	EXPECT_EQ_STR("198.18.1.1", c->targets[wan].pub.host);
	EXPECT_EQ_INT(-1, c->targets[wan].parent);
	sw = conf_target_index(c, "core-sw");
	EXPECT_EQ_INT(1, sw);
	if (sw >= 0) {
		EXPECT_EQ_STR("snmp", c->targets[sw].type);
		EXPECT_EQ_STR("198.18.1.2", c->targets[sw].pub.host);
		EXPECT_EQ_INT(-1, c->targets[sw].parent);
	}
	for (size_t i = 0; i < nitems(communes); i++) {
		int k = conf_target_index(c, communes[i].id);
		const struct target_def *d;

		EXPECT_EQ_INT(5 + (long long)i, k);
		if (k < 0)
			continue;
		d = &c->targets[k];
		EXPECT_EQ_STR(communes[i].name, d->pub.name);
		EXPECT_EQ_STR(communes[i].host, d->pub.host);
		EXPECT_EQ_STR("ping", d->type);
		EXPECT_EQ_INT(wan, d->parent);
		EXPECT_EQ_STR("it", d->notify[0]);
		if (strcmp(d->pub.id, "tra-linh") == 0 ||
		    strcmp(d->pub.id, "tra-cang") == 0) {
			EXPECT_NEAR(600.0, d->degraded.rtt_ms, 0);
			EXPECT_NEAR(8.0, d->degraded.loss_pct, 0);
		} else {
			EXPECT_NEAR(300.0, d->degraded.rtt_ms, 0);
			EXPECT_NEAR(5.0, d->degraded.loss_pct, 0);
		}
		EXPECT_TRUE(d->probe_conf != NULL);
	}
	EXPECT_EQ_INT(2, conf_target_index(c, "huyen-uy"));
	EXPECT_EQ_INT(-1, c->targets[2].parent);
	EXPECT_EQ_STR("tcp", c->targets[3].type);
	EXPECT_EQ_STR("198.18.1.10", c->targets[3].pub.host);
	EXPECT_EQ_INT(1720, c->targets[3].pub.port);
	EXPECT_EQ_STR("198.18.3.1",
	    c->targets[conf_target_index(c, "uplink-vnpt")].pub.host);
	EXPECT_EQ_STR("198.18.3.5",
	    c->targets[conf_target_index(c, "uplink-viettel")].pub.host);
	EXPECT_EQ_INT(wan, c->targets[conf_target_index(c,
	    "uplink-viettel")].parent);
	/* the Huyện ủy's SIP side: a root, like its siblings */
	EXPECT_EQ_INT(4, conf_target_index(c, "huyen-uy-sip"));
	EXPECT_EQ_STR("sip", c->targets[4].type);
	EXPECT_EQ_STR("198.18.1.10", c->targets[4].pub.host);
	EXPECT_EQ_INT(-1, c->targets[4].parent);
	/* the web services, behind the VNPT uplink */
	for (size_t i = 0; i < nitems(web); i++) {
		int k = conf_target_index(c, web[i]);

		EXPECT_EQ_INT(17 + (long long)i, k);
		if (k < 0)
			continue;
		EXPECT_EQ_STR("http", c->targets[k].type);
		EXPECT_EQ_STR("Dịch vụ", c->targets[k].group);
		EXPECT_EQ_INT(conf_target_index(c, "uplink-vnpt"),
		    c->targets[k].parent);
		EXPECT_EQ_INT(3, (long long)c->targets[k].down_after);
		EXPECT_TRUE(c->targets[k].probe_conf != NULL);
	}
	conf_free(c);
	return 0;
}

/* Every section and key, valid: nothing reported, values as written. */
DEF_TEST(full_conf)
{
	struct errs e;
	struct conf *c;
	const struct meeting_def *m;

	stage("full.conf");
	c = load("full.conf", &e);
	EXPECT_TRUE(c != NULL);
	EXPECT_EQ_INT(0, e.n);
	errs_free(&e);
	if (c == NULL)
		return 1;
	EXPECT_EQ_STR("http://10.0.0.5/tramon/", c->base_url);
	EXPECT_EQ_STR("/srv/www/tramon", c->web_dir);
	EXPECT_EQ_INT(LANG_EN, c->language);
	EXPECT_EQ_INT(1, c->log_stderr);
	EXPECT_EQ_INT(LOG_DEBUG, c->log_level);
	EXPECT_EQ_STR("[::1]:8080", c->http_listen);
	EXPECT_EQ_STR("unix:/run/rrdcached.sock", c->rrdcached);
	EXPECT_EQ_INT(30, c->web_refresh);
	EXPECT_EQ_INT(8, c->storm_after);
	EXPECT_EQ_INT(45, c->storm_wait);

	EXPECT_EQ_INT(1, c->smtp.present);
	EXPECT_EQ_STR("smtp://mail.example.gov.vn:587", c->smtp.url);
	EXPECT_EQ_INT(STARTTLS_REQUIRED, c->smtp.starttls);
	EXPECT_EQ_STR("canhbao", c->smtp.username);
	EXPECT_EQ_STR("/etc/tramon/smtp.pass", c->smtp.password_file);
	EXPECT_EQ_STR("Giám sát mạng <canhbao@example.gov.vn>", c->smtp.from);
	EXPECT_EQ_STR("", c->smtp.ca_file);

	EXPECT_EQ_INT(2, (long long)c->ncontacts);
	EXPECT_EQ_STR("https://hooks.example/abc", c->contacts[1].webhook);
	EXPECT_TRUE(c->contacts[1].email[0] == NULL);
	EXPECT_TRUE(c->contacts[0].webhook == NULL);

	EXPECT_EQ_INT(5, (long long)c->ntargets);
	EXPECT_EQ_INT(120, c->targets[4].repeat_minutes);
	EXPECT_EQ_STR("chat", c->targets[4].notify[1]);

	/* local times of Asia/Ho_Chi_Minh (UTC+7) */
	EXPECT_EQ_INT(2, (long long)c->nmaintenance);
	EXPECT_EQ_INT(0, c->maintenance[0].weekly);
	EXPECT_EQ_INT(1796083200, (long long)c->maintenance[0].from);
	EXPECT_EQ_INT(1796097600, (long long)c->maintenance[0].to);
	EXPECT_EQ_STR("tra-cang", c->maintenance[0].targets[0]);
	EXPECT_EQ_STR("Bảo trì đường truyền", c->maintenance[0].reason);
	EXPECT_EQ_INT(1, c->maintenance[1].weekly);
	EXPECT_EQ_INT(0, c->maintenance[1].wday);
	EXPECT_EQ_INT(120, c->maintenance[1].start_min);
	EXPECT_EQ_INT(180, c->maintenance[1].end_min);
	EXPECT_EQ_STR("*", c->maintenance[1].targets[0]);

	EXPECT_EQ_INT(2, (long long)c->nmeetings);
	m = &c->meetings[0];
	EXPECT_EQ_STR("Giao ban tuần", m->name);
	EXPECT_EQ_INT(1, m->weekly);
	EXPECT_EQ_INT(1, m->wday);
	EXPECT_EQ_INT(7 * 60 + 30, m->start_min);
	EXPECT_EQ_INT(45, m->check_before);
	EXPECT_EQ_STR("tra-cang", m->targets[2]);
	EXPECT_EQ_STR("chat", m->notify[0]);
	m = &c->meetings[1];
	EXPECT_EQ_INT(0, m->weekly);
	EXPECT_EQ_INT(1797318000, (long long)m->from);
	EXPECT_EQ_STR("*", m->targets[0]);
	EXPECT_EQ_INT(30, m->check_before);
	EXPECT_EQ_STR("it", m->notify[0]);	/* from defaults.notify */

	EXPECT_EQ_INT(1, c->reports_present);
	EXPECT_EQ_INT(1, c->reports.monthly);
	EXPECT_EQ_INT(7 * 60, c->reports.time_min);
	EXPECT_EQ_STR("it", c->reports.send_to[0]);
	EXPECT_EQ_STR("text", c->reports.formats[3]);
	EXPECT_TRUE(c->reports.formats[4] == NULL);
	EXPECT_NEAR(99.5, c->reports.sla_pct, 0);
	conf_free(c);
	return 0;
}

/*
 * SPEC.md's example, verbatim but for plugin_dir.  Without net-snmp at
 * build time there is no snmp probe, and the example silences
 * "tra-cang" in `maintenance` without defining that target: exactly
 * these problems.  Its http target ("portal") is valid.
 */
DEF_TEST(spec_example)
{
	struct errs e;
	char *msg, *snmp_so = xasprintf("%s/snmp.so", plugin_dir);
	int have_snmp = access(snmp_so, R_OK) == 0;

	stage("spec-example.conf");
	EXPECT_TRUE(load("spec-example.conf", &e) == NULL);
	EXPECT_EQ_INT(have_snmp ? 1 : 2, e.n);
	if (!have_snmp) {
		msg = xasprintf("target \"core-sw\": unknown type \"snmp\": "
		    "no probe plugin %s", snmp_so);
		EXPECT_ERR(&e, "spec-example.conf", 46, msg);
		free(msg);
	}
	free(snmp_so);
	EXPECT_ERR(&e, "spec-example.conf", 57,
	    "maintenance[0]: targets: unknown target \"tra-cang\"");
	errs_free(&e);
	return 0;
}

/* 1. syntax and I/O */
DEF_TEST(syntax_error)
{
	struct errs e;
	char *want;

	stage("bad-syntax.conf");
	EXPECT_TRUE(load("bad-syntax.conf", &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	EXPECT_ERR(&e, "bad-syntax.conf", 4, "syntax error");
	errs_free(&e);

	EXPECT_TRUE(load("no-such.conf", &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	want = xasprintf("%s: cannot read: No such file or directory",
	    tpath("no-such.conf"));
	EXPECT_EQ_STR(want, e.n ? e.msg[0] : NULL);
	free(want);
	errs_free(&e);

	memset(&e, 0, sizeof(e));
	EXPECT_TRUE(conf_load(scratch, collect, &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	want = xasprintf("%s: cannot read: Is a directory", scratch);
	EXPECT_EQ_STR(want, e.n ? e.msg[0] : NULL);
	free(want);
	errs_free(&e);
	return 0;
}

DEF_TEST(include_errors)
{
	struct errs e;

	stage("include-main.conf");
	stage("include-targets.inc");
	EXPECT_TRUE(load("include-main.conf", &e) == NULL);
	EXPECT_EQ_INT(2, e.n);
	/* the include named as written, its own line numbers */
	EXPECT_ERR_IN(&e, "include-targets.inc", 5, "target \"tra-mai\": "
	    "interval must be between 1 and 86400 (got 0)");
	EXPECT_ERR(&e, "include-main.conf", 4,
	    "reports: time must be \"HH:MM\" (got \"7h\")");
	errs_free(&e);

	stage("include-syntax.conf");
	stage("include-broken.inc");
	EXPECT_TRUE(load("include-syntax.conf", &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	EXPECT_ERR_IN(&e, "include-broken.inc", 2, "syntax error");
	errs_free(&e);

	stage("include-missing.conf");
	EXPECT_TRUE(load("include-missing.conf", &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	EXPECT_ERR(&e, "include-missing.conf", 3, "cannot open include file");
	errs_free(&e);
	return 0;
}

/* 2. unknown keys, in every group, with suggestions */
DEF_TEST(unknown_keys)
{
	struct errs e;

	stage("bad-keys.conf");
	EXPECT_TRUE(load("bad-keys.conf", &e) == NULL);
	EXPECT_EQ_INT(11, e.n);
	EXPECT_ERR(&e, "bad-keys.conf", 2, "daemon: unknown key "
	    "\"web_refesh\"; did you mean \"web_refresh\"?");
	EXPECT_ERR(&e, "bad-keys.conf", 4, "smtp: unknown key \"tls\"; did "
	    "you mean \"starttls\"?");
	EXPECT_ERR(&e, "bad-keys.conf", 5, "contact \"it\": unknown key "
	    "\"mail\"; did you mean \"email\"?");
	EXPECT_ERR(&e, "bad-keys.conf", 6, "defaults: unknown key "
	    "\"intervall\"; did you mean \"interval\"?");
	EXPECT_ERR(&e, "bad-keys.conf", 7, "defaults: unknown key "
	    "\"degraded.loss\"; did you mean \"degraded.loss_pct\"?");
	EXPECT_ERR(&e, "bad-keys.conf", 9, "target \"wan\": unknown key "
	    "\"tmeout\"; did you mean \"timeout\"?");
	EXPECT_ERR(&e, "bad-keys.conf", 10, "target \"wan\": unknown key "
	    "\"degraded.rtt\"");
	EXPECT_ERR(&e, "bad-keys.conf", 12, "maintenance[0]: unknown key "
	    "\"reson\"; did you mean \"reason\"?");
	EXPECT_ERR(&e, "bad-keys.conf", 13, "meetings[0]: unknown key "
	    "\"check\"");
	EXPECT_ERR(&e, "bad-keys.conf", 14, "reports: unknown key "
	    "\"montly\"; did you mean \"monthly\"?");
	EXPECT_ERR(&e, "bad-keys.conf", 15, "unknown section \"target\"; "
	    "did you mean \"targets\"?");
	errs_free(&e);
	return 0;
}

/* 3. wrong types, the expected one in words */
DEF_TEST(wrong_types)
{
	struct errs e;

	stage("bad-types.conf");
	EXPECT_TRUE(load("bad-types.conf", &e) == NULL);
	EXPECT_EQ_INT(10, e.n);
	EXPECT_ERR(&e, "bad-types.conf", 1, "daemon: web_refresh must be an "
	    "integer, not a string (\"60\")");
	EXPECT_ERR(&e, "bad-types.conf", 2, "contact \"it\": email must be a "
	    "string or a list of strings");
	EXPECT_ERR(&e, "bad-types.conf", 3, "defaults: degraded must be a "
	    "group { ... }, not an integer");
	EXPECT_ERR(&e, "bad-types.conf", 5, "target \"wan\": interval must "
	    "be a number, not a string (\"60\")");
	EXPECT_ERR(&e, "bad-types.conf", 6, "target \"tra-mai\": count must "
	    "be an integer, not a decimal number");
	EXPECT_ERR(&e, "bad-types.conf", 7, "target \"tra-mai\": notify[1] "
	    "must be a string, not an integer");
	EXPECT_ERR(&e, "bad-types.conf", 7, "target \"tra-mai\": up_after "
	    "must be an integer, not a boolean");
	EXPECT_ERR(&e, "bad-types.conf", 9, "reports: monthly must be true "
	    "or false, not a string (\"yes\")");
	EXPECT_ERR(&e, "bad-types.conf", 9, "reports: sla_pct must be a "
	    "number, not a string (\"99\")");
	EXPECT_ERR(&e, "bad-types.conf", 10, "meetings must be a list ( "
	    "{ ... }, ... ), not a group");
	errs_free(&e);
	return 0;
}

/* 4. out of range; also: every problem of a file is reported */
DEF_TEST(out_of_range)
{
	struct errs e;

	stage("bad-range.conf");
	EXPECT_TRUE(load("bad-range.conf", &e) == NULL);
	EXPECT_EQ_INT(23, e.n);
	EXPECT_ERR(&e, "bad-range.conf", 2, "daemon: web_refresh must be "
	    "between 5 and 86400 (got 2)");
	EXPECT_ERR(&e, "bad-range.conf", 3, "daemon: language must be \"vi\" "
	    "or \"en\" (got \"fr\")");
	EXPECT_ERR(&e, "bad-range.conf", 4, "daemon: log must be \"syslog\" "
	    "or \"stderr\" (got \"file\")");
	EXPECT_ERR(&e, "bad-range.conf", 5, "daemon: log_level must be "
	    "\"debug\", \"info\", \"warning\" or \"error\" (got \"verbose\")");
	EXPECT_ERR(&e, "bad-range.conf", 6, "daemon: timezone "
	    "\"Asia/Hanoi_City\" is not a time zone");
	EXPECT_ERR(&e, "bad-range.conf", 7, "daemon: http_listen must be "
	    "\"\" (off), HOST:PORT or [IPv6]:PORT (got \"8080\")");
	EXPECT_ERR(&e, "bad-range.conf", 8, "daemon: rrdcached must be \"\", "
	    "\"unix:/PATH\", \"/PATH\" or \"HOST[:PORT]\" (got "
	    "\"unix:rrdcached.sock\")");
	EXPECT_ERR(&e, "bad-range.conf", 10, "smtp: url must be "
	    "smtp://HOST[:PORT] or smtps://HOST[:PORT]");
	EXPECT_ERR(&e, "bad-range.conf", 10, "smtp: starttls must be "
	    "\"none\", \"try\" or \"required\" (got \"maybe\")");
	EXPECT_ERR(&e, "bad-range.conf", 11, "smtp: from must be an address");
	EXPECT_ERR(&e, "bad-range.conf", 11, "smtp: timeout must be between "
	    "1 and 600 (got 0)");
	EXPECT_ERR(&e, "bad-range.conf", 14, "target \"a\": interval must be "
	    "between 1 and 86400 (got 0)");
	EXPECT_ERR(&e, "bad-range.conf", 15, "target \"b\": timeout (10 s) "
	    "must be less than interval (10 s)");
	EXPECT_ERR(&e, "bad-range.conf", 16, "target \"c\": count must be "
	    "between 1 and 1000 (got 0)");
	EXPECT_ERR(&e, "bad-range.conf", 17, "target \"d\": count must be "
	    "between 1 and 1000 (got 1001)");
	EXPECT_ERR(&e, "bad-range.conf", 17, "target \"d\": down_after must "
	    "be between 1 and 100 (got 0)");
	EXPECT_ERR(&e, "bad-range.conf", 18, "target \"e\": degraded.loss_pct "
	    "must be between 0 and 100 (got 101)");
	EXPECT_ERR(&e, "bad-range.conf", 19, "target \"f\": port must be "
	    "between 1 and 65535 (got 70000)");
	EXPECT_ERR(&e, "bad-range.conf", 20, "target \"g\": repeat_minutes "
	    "must be between 0 and 10080 (got -1)");
	EXPECT_ERR(&e, "bad-range.conf", 20, "target \"g\": up_after must be "
	    "between 1 and 100 (got 101)");
	EXPECT_ERR(&e, "bad-range.conf", 22, "reports: sla_pct must be "
	    "between 0 and 100 (got 100.5)");
	EXPECT_ERR(&e, "bad-range.conf", 22, "reports: formats: \"doc\" is "
	    "not one of \"html\", \"csv\", \"pdf\" or \"text\"");
	EXPECT_ERR(&e, "bad-range.conf", 22, "reports: time must be "
	    "\"HH:MM\" (got \"25:00\")");
	/* reported in line order, though not checked in that order */
	for (int i = 1; i < e.n; i++)
		EXPECT_TRUE(line_of(e.msg[i - 1], "bad-range.conf") <=
		    line_of(e.msg[i], "bad-range.conf"));
	errs_free(&e);
	return 0;
}

/* A bad value in `defaults` is seen by every target but said once. */
DEF_TEST(defaults_reported_once)
{
	struct errs e;
	char *text = replace_all(
	    "daemon = { plugin_dir = \"@PLUGIN_DIR@\"; };\n"
	    "defaults = { count = 0; type = \"ping\"; };\n"
	    "targets = ( { id = \"a\"; host = \"198.18.1.1\"; },\n"
	    "  { id = \"b\"; host = \"198.18.1.2\"; },\n"
	    "  { id = \"c\"; host = \"198.18.1.3\"; } );\n",
	    "@PLUGIN_DIR@", plugin_dir);

	put("defaults-once.conf", text);
	free(text);
	EXPECT_TRUE(load("defaults-once.conf", &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	EXPECT_ERR(&e, "defaults-once.conf", 2, "defaults: count must be "
	    "between 1 and 1000 (got 0)");
	errs_free(&e);
	return 0;
}

/* 5. duplicate ids, naming both places */
DEF_TEST(duplicates)
{
	struct errs e;
	char *msg;

	stage("bad-dup.conf");
	EXPECT_TRUE(load("bad-dup.conf", &e) == NULL);
	EXPECT_EQ_INT(2, e.n);
	msg = xasprintf("duplicate contact id \"it\" (first defined at %s:3)",
	    tpath("bad-dup.conf"));
	EXPECT_ERR(&e, "bad-dup.conf", 4, msg);
	free(msg);
	msg = xasprintf("duplicate target id \"wan\" (first defined at %s:7)",
	    tpath("bad-dup.conf"));
	EXPECT_ERR(&e, "bad-dup.conf", 10, msg);
	free(msg);
	errs_free(&e);
	return 0;
}

/* 6. id syntax */
DEF_TEST(bad_ids)
{
	struct errs e;

	stage("bad-id.conf");
	EXPECT_TRUE(load("bad-id.conf", &e) == NULL);
	EXPECT_EQ_INT(7, e.n);
	EXPECT_ERR(&e, "bad-id.conf", 2, "contacts[0]: id \"IT\" is not a "
	    "valid id");
	EXPECT_ERR(&e, "bad-id.conf", 4, "targets[0]: id \"Tra-Linh\" is not "
	    "a valid id: use a-z, 0-9, - and _");
	EXPECT_ERR(&e, "bad-id.conf", 5, "targets[1]: id \"-wan\" is not a "
	    "valid id");
	EXPECT_ERR(&e, "bad-id.conf", 6, "targets[2]: id \"tra linh\" is not "
	    "a valid id");
	EXPECT_ERR(&e, "bad-id.conf", 7, "targets[3]: id \"a123");
	EXPECT_ERR(&e, "bad-id.conf", 8, "targets[4]: missing required key "
	    "\"id\"");
	EXPECT_ERR(&e, "bad-id.conf", 9, "targets[5]: id \"trà-linh\" is not "
	    "a valid id");
	errs_free(&e);
	return 0;
}

/* 7. references to targets and contacts that do not exist */
DEF_TEST(references)
{
	struct errs e;

	stage("bad-refs.conf");
	EXPECT_TRUE(load("bad-refs.conf", &e) == NULL);
	EXPECT_EQ_INT(7, e.n);
	EXPECT_ERR(&e, "bad-refs.conf", 3, "defaults: notify: unknown "
	    "contact \"boss\"");
	EXPECT_ERR(&e, "bad-refs.conf", 6, "target \"tra-mai\": unknown "
	    "parent \"wna\"");
	EXPECT_ERR(&e, "bad-refs.conf", 7, "target \"tra-don\": notify: "
	    "unknown contact \"itt\"");
	EXPECT_ERR(&e, "bad-refs.conf", 10, "maintenance[1]: targets: "
	    "unknown target \"tra-cang\"");
	EXPECT_ERR(&e, "bad-refs.conf", 11, "meetings[0]: targets: unknown "
	    "target \"tra-lin\"");
	EXPECT_ERR(&e, "bad-refs.conf", 11, "meetings[0]: notify: unknown "
	    "contact \"chat\"");
	EXPECT_ERR(&e, "bad-refs.conf", 12, "reports: send_to: unknown "
	    "contact \"leaders\"");
	errs_free(&e);
	return 0;
}

/* 8. parent cycles, named; a target its own parent */
DEF_TEST(cycles)
{
	struct errs e;

	stage("bad-cycle.conf");
	EXPECT_TRUE(load("bad-cycle.conf", &e) == NULL);
	EXPECT_EQ_INT(2, e.n);
	EXPECT_ERR(&e, "bad-cycle.conf", 4, "parent cycle: a -> c -> b -> a");
	EXPECT_ERR(&e, "bad-cycle.conf", 7, "target \"d\": a target cannot "
	    "be its own parent");
	errs_free(&e);
	return 0;
}

/* 9. unknown or missing types */
DEF_TEST(unknown_type)
{
	struct errs e;
	char *msg;

	stage("bad-plugin.conf");
	EXPECT_TRUE(load("bad-plugin.conf", &e) == NULL);
	EXPECT_EQ_INT(3, e.n);
	msg = xasprintf("target \"portal\": unknown type \"https\": no probe "
	    "plugin %s/https.so (No such file or directory)", plugin_dir);
	EXPECT_ERR(&e, "bad-plugin.conf", 3, msg);
	free(msg);
	EXPECT_ERR(&e, "bad-plugin.conf", 4, "target \"sw\": type \"../snmp\" "
	    "is not a probe name");
	EXPECT_ERR(&e, "bad-plugin.conf", 5, "target \"nothing\": missing "
	    "required key \"type\"");
	errs_free(&e);
	return 0;
}

/* 10. what the probes themselves reject, through conf_cfg_error() */
DEF_TEST(probe_errors)
{
	struct errs e;

	stage("bad-probe.conf");
	EXPECT_TRUE(load("bad-probe.conf", &e) == NULL);
	EXPECT_EQ_INT(2, e.n);
	EXPECT_ERR(&e, "bad-probe.conf", 3, "target \"wan\": ");
	EXPECT_ERR(&e, "bad-probe.conf", 3, "host");
	EXPECT_ERR(&e, "bad-probe.conf", 4, "target \"h323\": ");
	EXPECT_ERR(&e, "bad-probe.conf", 4, "port");
	errs_free(&e);
	return 0;
}

/*
 * The keys a probe declares are allowed in its targets and in defaults,
 * not in targets of other types.  Whatever the probe then thinks of the
 * value is its business: only "unknown key" is checked here.
 */
DEF_TEST(probe_keys)
{
	const struct probe *mine = NULL, *other = NULL;
	struct errs e;
	char *text;

	for (const struct probe *p = probe_list(); p; p = p->next)
		if (mine == NULL && p->ops->keys && p->ops->keys[0])
			mine = p;
	for (const struct probe *p = probe_list(); p; p = p->next)
		if (p != mine && mine && !in_list(mine->ops->keys[0],
		    p->ops->keys))
			other = p;
	if (mine == NULL || other == NULL) {
		printf("# no probe declares a key of its own: nothing to "
		    "check\n");
		return 0;
	}
	printf("# probe %s declares \"%s\"; %s does not\n", mine->ops->name,
	    mine->ops->keys[0], other->ops->name);
	text = xasprintf(
	    "daemon = { plugin_dir = \"%s\"; };\n"
	    "defaults = { %s = 1; };\n"
	    "targets = ( { id = \"a\"; type = \"%s\"; host = \"198.18.1.1\";\n"
	    "    port = 7; %s = 1; },\n"
	    "  { id = \"b\"; type = \"%s\"; host = \"198.18.1.2\";\n"
	    "    port = 7; %s = 1; } );\n",
	    plugin_dir, mine->ops->keys[0], mine->ops->name,
	    mine->ops->keys[0], other->ops->name, mine->ops->keys[0]);
	put("probe-keys.conf", text);
	free(text);
	load("probe-keys.conf", &e);
	text = xasprintf("target \"b\": unknown key \"%s\"",
	    mine->ops->keys[0]);
	EXPECT_ERR(&e, "probe-keys.conf", 6, text);
	free(text);
	for (int i = 0; i < e.n; i++)
		EXPECT_TRUE(line_of(e.msg[i], "probe-keys.conf") == 6 ||
		    strstr(e.msg[i], "unknown key") == NULL);
	errs_free(&e);
	return 0;
}

/* 11. invalid UTF-8 and control characters, wherever they are */
DEF_TEST(bad_utf8)
{
	struct errs e;

	stage("bad-utf8.conf");
	EXPECT_TRUE(load("bad-utf8.conf", &e) == NULL);
	EXPECT_EQ_INT(4, e.n);
	EXPECT_ERR(&e, "bad-utf8.conf", 2, "contacts[0].name: invalid UTF-8 "
	    "(byte 0xF4 at offset 1)");
	EXPECT_ERR(&e, "bad-utf8.conf", 4, "targets[0].name: control "
	    "character U+000A at offset 3");
	EXPECT_ERR(&e, "bad-utf8.conf", 5, "targets[1].name: invalid UTF-8 "
	    "(byte 0xC0 at offset 2)");
	EXPECT_ERR(&e, "bad-utf8.conf", 5, "targets[1].group: invalid UTF-8 "
	    "(byte 0xED at offset 0)");
	errs_free(&e);
	return 0;
}

/*
 * A value is echoed as the file writes it: a raw newline in a string
 * (libconfig takes one) must not make a message of two lines, nor any
 * other control character or bad byte reach the log; Vietnamese stays.
 * Found by tests/fuzz/fuzz_conf (crashes/conf-newline-in-message).
 */
DEF_TEST(values_shown)
{
	struct errs e;
	char *text;

	text = xasprintf("daemon = { plugin_dir = \"%s\";\n"
	    "  rrdcached = \"unix:/run/rrd.sok\n;  \";\n"
	    "  base_url = \"ftp://Huy\xE1\xBB\x87n\\t\\\\x\\x1b[2J\"; };\n"
	    "contacts = ( { id = \"it\"; email = \"it@example.gov.vn\"; } );\n"
	    "targets = ( { id = \"wan\"; type = \"ping\"; "
	    "host = \"198.18.1.1\";\n"
	    "  notify = [ \"i\\rt\", \"\\xC2\\x85\\xFF\" ]; } );\n",
	    plugin_dir);
	put("shown.conf", text);
	free(text);
	EXPECT_TRUE(load("shown.conf", &e) == NULL);
	EXPECT_EQ_INT(8, e.n);
	EXPECT_ERR(&e, "shown.conf", 2, "daemon: rrdcached must be \"\", "
	    "\"unix:/PATH\", \"/PATH\" or \"HOST[:PORT]\" (got "
	    "\"unix:/run/rrd.sok\\n;  \")");
	EXPECT_ERR(&e, "shown.conf", 4, "(got \"ftp://Huy\xE1\xBB\x87n\\t"
	    "\\\\x\\x1B[2J\")");
	EXPECT_ERR(&e, "shown.conf", 7, "unknown contact \"i\\rt\"");
	EXPECT_ERR(&e, "shown.conf", 7, "unknown contact \"\\xC2\\x85\\xFF\"");
	for (int i = 0; i < e.n; i++)
		for (const unsigned char *p = (const unsigned char *)e.msg[i];
		    *p; p++)
			EXPECT_TRUE(*p >= 0x20 && *p != 0x7f);
	errs_free(&e);

	text = shown("a\nb\tc\\d\"e \x01\x7f Đ\xC2\x9B\xC3");
	EXPECT_EQ_STR("a\\nb\\tc\\\\d\"e \\x01\\x7F Đ\\xC2\\x9B\\xC3", text);
	free(text);
	return 0;
}

/*
 * daemon.rrdcached_dir: a "HOST:PORT" rrdcached without rrdcached_base
 * keeps the files on its host, under this directory of its base; it is
 * required then and refused otherwise, and may not leave the base.
 */
static struct conf *
load_rrdc(const char *name, const char *keys, struct errs *e)
{
	char *text = xasprintf("daemon = { plugin_dir = \"%s\";\n"
	    "  state_dir = \"%s/st\";\n"
	    "%s };\n"
	    "contacts = ( { id = \"it\"; email = \"it@example.gov.vn\"; } );\n"
	    "targets = ( { id = \"wan\"; type = \"ping\"; "
	    "host = \"198.18.1.1\"; } );\n", plugin_dir, scratch, keys);
	struct conf *c;

	put(name, text);
	free(text);
	c = load(name, e);
	return c;
}

DEF_TEST(rrdcached_dir)
{
	struct errs e;
	struct conf *c;
	char *keys;

	c = load_rrdc("remote.conf", "  rrdcached = \"127.0.0.1:42217\";\n"
	    "  rrdcached_dir = \"namtramy/poller-a_1.b\";\n", &e);
	EXPECT_TRUE(c != NULL);
	EXPECT_EQ_INT(0, e.n);
	if (c != NULL) {
		EXPECT_EQ_STR("namtramy/poller-a_1.b", c->rrdcached_dir);
		EXPECT_EQ_STR("", c->rrdcached_base);
		conf_free(c);
	}
	errs_free(&e);

	/* neither base nor dir: both named, at the daemon group */
	EXPECT_TRUE(load_rrdc("neither.conf", "  rrdcached = \"rrd.lan\";\n",
	    &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	EXPECT_ERR(&e, "neither.conf", 1, "daemon: rrdcached \"rrd.lan\" is "
	    "reached over TCP: set rrdcached_base to its -b directory as this "
	    "host sees it, or rrdcached_dir to this poller's directory");
	errs_free(&e);

	static const char *const bad[] = {
		"/abs", "../up", "a/../b", "a//b", "a/", ".", "a/./b",
		"sp ace", "t\u00e2n", "",
	};
	for (size_t i = 0; i < nitems(bad); i++) {
		keys = xasprintf("  rrdcached = \"127.0.0.1:42217\";\n"
		    "  rrdcached_dir = \"%s\";\n", bad[i]);
		EXPECT_TRUE(load_rrdc("bad-dir.conf", keys, &e) == NULL);
		free(keys);
		EXPECT_EQ_INT(1, e.n);
		if (*bad[i] != '\0')
			EXPECT_ERR(&e, "bad-dir.conf", 4, "daemon: rrdcached_dir "
			    "must be a relative path of letters, digits");
		else	/* empty: as if not set */
			EXPECT_ERR(&e, "bad-dir.conf", 1, "or rrdcached_dir "
			    "to this poller's directory");
		errs_free(&e);
	}

	/* only for a remote rrdcached */
	keys = xasprintf("  rrdcached = \"127.0.0.1:42217\";\n"
	    "  rrdcached_base = \"%s\";\n  rrdcached_dir = \"a\";\n",
	    scratch);
	EXPECT_TRUE(load_rrdc("with-base.conf", keys, &e) == NULL);
	free(keys);
	EXPECT_EQ_INT(1, e.n);
	EXPECT_ERR(&e, "with-base.conf", 5, "daemon: rrdcached_dir is only "
	    "for a \"HOST:PORT\" rrdcached without rrdcached_base");
	errs_free(&e);
	EXPECT_TRUE(load_rrdc("unix-dir.conf", "  rrdcached = "
	    "\"unix:/run/rrdcached.sock\";\n  rrdcached_dir = \"a\";\n",
	    &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	EXPECT_ERR(&e, "unix-dir.conf", 4, "daemon: rrdcached_dir is only for");
	errs_free(&e);
	EXPECT_TRUE(load_rrdc("direct-dir.conf", "  rrdcached_dir = \"a\";\n",
	    &e) == NULL);
	EXPECT_EQ_INT(1, e.n);
	EXPECT_ERR(&e, "direct-dir.conf", 3, "daemon: rrdcached_dir is only for");
	errs_free(&e);
	return 0;
}

/* The SMTP password file: refused when others may read it or its group
 * may write it; 0600 and 0640 are fine. */
DEF_TEST(password_file_mode)
{
	static const struct {
		mode_t mode;
		const char *problem;    /* NULL: accepted */
	} modes[] = {
		{ 0600, NULL }, { 0640, NULL }, { 0400, NULL },
		{ 0644, "is open to everyone (chmod o-rwx" },
		{ 0604, "is open to everyone" },
		{ 0660, "is writable by its group (chmod g-w" },
	};
	struct errs e;
	struct conf *c;
	char *text, *pass = xstrdup(tpath("smtp.pass"));

	put("smtp.pass", "mat-khau\n");
	text = xasprintf("daemon = { plugin_dir = \"%s\"; };\n"
	    "smtp = { url = \"smtp://127.0.0.1:25\"; username = \"u\";\n"
	    "  password_file = \"%s\"; from = \"a@example.gov.vn\"; };\n"
	    "targets = ( { id = \"wan\"; type = \"ping\"; "
	    "host = \"198.18.1.1\"; } );\n", plugin_dir, pass);
	put("pass.conf", text);
	free(text);
	for (size_t i = 0; i < nitems(modes); i++) {
		chmod(pass, modes[i].mode);
		c = load("pass.conf", &e);
		if (modes[i].problem == NULL) {
			EXPECT_TRUE(c != NULL);
			EXPECT_EQ_INT(0, e.n);
		} else {
			EXPECT_TRUE(c == NULL);
			EXPECT_ERR(&e, "pass.conf", 2, modes[i].problem);
		}
		conf_free(c);
		errs_free(&e);
	}
	free(pass);
	return 0;
}

/* 12. maintenance, meetings and reports times */
DEF_TEST(times)
{
	struct errs e;

	stage("bad-times.conf");
	EXPECT_TRUE(load("bad-times.conf", &e) == NULL);
	EXPECT_EQ_INT(15, e.n);
	EXPECT_ERR(&e, "bad-times.conf", 5, "maintenance[0]: from must be "
	    "\"YYYY-MM-DD HH:MM\", a time that exists in Asia/Ho_Chi_Minh "
	    "(got \"2026-13-01 07:00\")");
	EXPECT_ERR(&e, "bad-times.conf", 6, "maintenance[1]: to "
	    "(2026-12-01 07:00) must be after from (2026-12-01 11:00)");
	EXPECT_ERR(&e, "bad-times.conf", 7, "(got \"2026-02-30 07:00\")");
	EXPECT_ERR(&e, "bad-times.conf", 8, "maintenance[3]: weekly must be "
	    "\"DAY HH:MM-HH:MM\"");
	EXPECT_ERR(&e, "bad-times.conf", 9, "(got \"sun 03:00-02:00\")");
	EXPECT_ERR(&e, "bad-times.conf", 10, "maintenance[5]: give either "
	    "weekly or from and to, not both");
	EXPECT_ERR(&e, "bad-times.conf", 11, "maintenance[6]: needs weekly");
	EXPECT_ERR(&e, "bad-times.conf", 12, "maintenance[7]: missing "
	    "required key \"to\"");
	EXPECT_ERR(&e, "bad-times.conf", 15, "meetings[0]: weekly must be "
	    "\"DAY HH:MM\"");
	EXPECT_ERR(&e, "bad-times.conf", 16, "meetings[1]: from must be "
	    "\"YYYY-MM-DD HH:MM\"");
	EXPECT_ERR(&e, "bad-times.conf", 17, "meetings[2]: check_before must "
	    "be between 0 and 1440 (got 2000)");
	EXPECT_ERR(&e, "bad-times.conf", 17, "meetings[2]: needs weekly");
	EXPECT_ERR(&e, "bad-times.conf", 19, "reports: time must be "
	    "\"HH:MM\" (got \"7h\")");
	EXPECT_ERR(&e, "bad-times.conf", 19, "reports: formats: \"pdf\" is "
	    "listed twice");
	EXPECT_ERR(&e, "bad-times.conf", 19, "reports: sla_pct must be "
	    "between 0 and 100 (got -1)");
	errs_free(&e);
	return 0;
}

/* Times are local to daemon.timezone, whatever TZ the process has, and
 * TZ is left as it was. */
DEF_TEST(timezone_kept)
{
	static const char *const tzs[] = { "UTC", "America/New_York", NULL };
	struct errs e;
	struct conf *c;

	stage("full.conf");
	for (int i = 0; i < 3; i++) {
		if (tzs[i])
			setenv("TZ", tzs[i], 1);
		else
			unsetenv("TZ");
		tzset();
		c = load("full.conf", &e);
		EXPECT_TRUE(c != NULL);
		errs_free(&e);
		if (c)
			EXPECT_EQ_INT(1796083200,
			    (long long)c->maintenance[0].from);
		conf_free(c);
		if (tzs[i])
			EXPECT_EQ_STR(tzs[i], getenv("TZ"));
		else
			EXPECT_TRUE(getenv("TZ") == NULL);
	}
	return 0;
}

/* defaults: leaf by leaf, then built-in values */
DEF_TEST(inheritance)
{
	struct errs e;
	struct conf *c;
	const struct target_def *d;

	stage("inherit.conf");
	c = load("inherit.conf", &e);
	EXPECT_TRUE(c != NULL);
	EXPECT_EQ_INT(0, e.n);
	errs_free(&e);
	if (c == NULL)
		return 1;
	EXPECT_EQ_INT(4, (long long)c->ntargets);

	d = &c->targets[0];			/* wan */
	EXPECT_EQ_STR("wan", d->pub.name);	/* name defaults to the id */
	EXPECT_EQ_STR("ping", d->type);		/* type from defaults */
	EXPECT_EQ_INT(-1, d->parent);		/* not its own parent */
	EXPECT_TRUE(d->parent_id == NULL);

	d = &c->targets[1];			/* tra-linh */
	EXPECT_EQ_STR("tra-linh", d->pub.name);
	EXPECT_EQ_STR("Điểm cầu", d->group);
	EXPECT_EQ_INT(0, d->parent);
	EXPECT_EQ_STR("wan", d->parent_id);
	EXPECT_NEAR(30.0, d->pub.interval, 0);
	EXPECT_NEAR(1.5, d->pub.timeout, 0);
	EXPECT_EQ_INT(20, d->pub.count);	/* built in */
	EXPECT_EQ_INT(3, d->down_after);
	EXPECT_EQ_INT(2, d->up_after);
	EXPECT_EQ_INT(0, d->repeat_minutes);
	EXPECT_NEAR(10.0, d->degraded.loss_pct, 0);	/* defaults */
	EXPECT_NEAR(600.0, d->degraded.rtt_ms, 0);	/* its own */
	EXPECT_NEAR(50.0, d->degraded.jitter_ms, 0);	/* built in */
	EXPECT_EQ_STR("it", d->notify[0]);
	EXPECT_TRUE(d->notify[1] == NULL);
	EXPECT_TRUE(d->pub.port == 0);

	d = &c->targets[2];			/* uplink */
	EXPECT_EQ_STR("Uplink", d->pub.name);
	EXPECT_NEAR(120.5, d->pub.interval, 0);
	EXPECT_EQ_INT(5, d->pub.count);
	EXPECT_TRUE(d->notify[0] == NULL);	/* [] overrides defaults */
	EXPECT_EQ_INT(-1, d->parent);		/* "" overrides defaults */
	EXPECT_NEAR(100.0, d->degraded.rtt_ms, 0);

	d = &c->targets[3];			/* h323 */
	EXPECT_EQ_STR("tcp", d->type);
	EXPECT_EQ_INT(1720, d->pub.port);
	EXPECT_EQ_STR("boss", d->notify[0]);
	EXPECT_EQ_STR("it", d->notify[1]);
	EXPECT_EQ_INT(5, d->down_after);
	EXPECT_EQ_INT(4, d->up_after);
	EXPECT_EQ_INT(60, d->repeat_minutes);
	EXPECT_TRUE(d->probe != NULL && d->probe_conf != NULL);
	EXPECT_EQ_STR(tpath("inherit.conf"), d->file);
	EXPECT_EQ_INT(18, d->line);
	conf_free(c);
	return 0;
}

/* Relative paths are taken from the config file's directory, even when
 * the file itself is named relative to the working directory. */
DEF_TEST(relative_paths)
{
	struct errs e;
	struct conf *c;
	char cwd[PATH_MAX], *want;

	stage("paths.conf");
	EXPECT_TRUE(getcwd(cwd, sizeof(cwd)) != NULL);
	EXPECT_TRUE(chdir(scratch) == 0);
	memset(&e, 0, sizeof(e));
	c = conf_load("paths.conf", collect, &e);
	EXPECT_TRUE(chdir(cwd) == 0);
	EXPECT_TRUE(c != NULL);
	EXPECT_EQ_INT(0, e.n);
	errs_free(&e);
	if (c == NULL)
		return 1;
	want = xasprintf("%s/state", scratch);
	EXPECT_EQ_STR(want, c->state_dir);
	free(want);
	want = xasprintf("%s/state/www", scratch);
	EXPECT_EQ_STR(want, c->web_dir);
	free(want);
	want = xasprintf("%s/run/tramond.sock", scratch);
	EXPECT_EQ_STR(want, c->control_socket);
	free(want);
	want = xasprintf("%s/secret/smtp.pass", scratch);
	EXPECT_EQ_STR(want, c->smtp.password_file);
	free(want);
	EXPECT_EQ_STR("/etc/ssl/tramon-ca.pem", c->smtp.ca_file);
	EXPECT_EQ_STR(plugin_dir, c->plugin_dir);
	EXPECT_EQ_INT(STARTTLS_NONE, c->smtp.starttls);
	EXPECT_EQ_STR("paths.conf", c->path);
	conf_free(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* digest */

static const char digest_base[] =
    "daemon = { plugin_dir = \"@PLUGIN_DIR@\"; };\n"
    "contacts = ( { id = \"it\"; email = \"it@example.gov.vn\"; } );\n"
    "defaults = { interval = 60; degraded = { rtt_ms = 100.0; }; };\n"
    "targets = (\n"
    "  { id = \"a\"; type = \"ping\"; host = \"198.18.1.1\";\n"
    "    degraded = { loss_pct = 3.0; }; },\n"
    "  { id = \"b\"; type = \"ping\"; host = \"198.18.1.2\";\n"
    "    degraded = { rtt_ms = 500.0; }; }\n"
    ");\n";

/* The digests of targets a and b after `from` is replaced by `to`. */
static int
digests(const char *from, const char *to, unsigned long long out[2])
{
	char *t1 = replace_all(digest_base, "@PLUGIN_DIR@", plugin_dir);
	char *t2 = replace_all(t1, from, to);
	struct errs e;
	struct conf *c;

	EXPECT_TRUE(strcmp(from, "") == 0 || strcmp(t1, t2) != 0);
	put("digest.conf", t2);
	free(t1);
	free(t2);
	c = load("digest.conf", &e);
	EXPECT_TRUE(c != NULL);
	EXPECT_EQ_INT(0, e.n);
	errs_free(&e);
	if (c == NULL)
		return -1;
	out[0] = c->targets[0].digest;
	out[1] = c->targets[1].digest;
	conf_free(c);
	return 0;
}

#define SAME(d0, d1) (d0[0] == d1[0] && d0[1] == d1[1])

DEF_TEST(digest)
{
	unsigned long long base[2], d[2];

	if (digests("", "", base) < 0)
		return 1;
	EXPECT_TRUE(base[0] != base[1]);
	/* layout, order, comments, 60 vs 60.0: no change */
	digests("{ id = \"a\"; type = \"ping\"; host = \"198.18.1.1\";",
	    "# first\n  { host = \"198.18.1.1\"; id = \"a\";\n"
	    " type = \"ping\";",
	    d);
	EXPECT_TRUE(SAME(base, d));
	digests("interval = 60;", "interval = 60.0;", d);
	EXPECT_TRUE(SAME(base, d));
	/* an unrelated section: no change */
	digests("defaults =", "reports = { time = \"06:00\"; };\ndefaults =",
	    d);
	EXPECT_TRUE(SAME(base, d));
	/* a target's own setting: that target only */
	digests("198.18.1.2", "198.18.1.3", d);
	EXPECT_TRUE(d[0] == base[0] && d[1] != base[1]);
	digests("loss_pct = 3.0", "loss_pct = 4.0", d);
	EXPECT_TRUE(d[0] != base[0] && d[1] == base[1]);
	/* a default: the targets that inherit it, not those overriding it */
	digests("rtt_ms = 100.0", "rtt_ms = 200.0", d);
	EXPECT_TRUE(d[0] != base[0] && d[1] == base[1]);
	digests("interval = 60;", "interval = 30;", d);
	EXPECT_TRUE(d[0] != base[0] && d[1] != base[1]);
	/* a default equal to the built-in value still counts as written */
	digests("interval = 60;", "interval = 60; notify = [ \"it\" ];", d);
	EXPECT_TRUE(d[0] != base[0] && d[1] != base[1]);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The probes' configuration services, called directly */

DEF_TEST(cfg_services)
{
	static const char text[] =
	    "defaults = { retries = 2;\n"
	    "  snmp = { version = \"2c\"; community = \"public\";\n"
	    "    v3 = { level = \"authPriv\"; }; }; };\n"
	    "targets = ( { id = \"sw\";\n"
	    "  snmp = { community = \"secret\"; v3 = { user = \"u\"; };\n"
	    "    interfaces = [ \"Gi1/0/1\", \"Gi1/0/2\" ]; bogus = 1; };\n"
	    "  ratio = 0.5; flag = true; one = \"all\"; n = 7; } );\n";
	static const char *const snmp_keys[] = {
		"version", "community", "v3", "interfaces", NULL
	};
	struct loader ld;
	struct tm_cfg cfg;
	struct errs e;
	const char *s;
	const char *const *list;
	size_t n;
	long v;
	double x;
	int b;
	const config_setting_t *t, *d;

	memset(&ld, 0, sizeof(ld));
	memset(&e, 0, sizeof(e));
	ld.errfn = collect;
	ld.errarg = &e;
	ld.conf = xcalloc(1, sizeof(*ld.conf));
	ld.conf->path = xstrdup("t.conf");
	config_init(&ld.cf);
	EXPECT_TRUE(config_read_string(&ld.cf, text) == CONFIG_TRUE);
	d = config_lookup(&ld.cf, "defaults");
	t = config_setting_get_elem(config_lookup(&ld.cf, "targets"), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc = (struct scope){ &ld, { t, d }, { "target \"sw\"",
	    "defaults" }, t, NULL, NULL };

	/* the target first, then defaults, leaf by leaf */
	EXPECT_EQ_INT(1, conf_cfg_string(&cfg, "snmp.community", &s));
	EXPECT_EQ_STR("secret", s);
	EXPECT_EQ_INT(1, conf_cfg_string(&cfg, "snmp.version", &s));
	EXPECT_EQ_STR("2c", s);
	EXPECT_EQ_INT(1, conf_cfg_string(&cfg, "snmp.v3.user", &s));
	EXPECT_EQ_STR("u", s);
	EXPECT_EQ_INT(1, conf_cfg_string(&cfg, "snmp.v3.level", &s));
	EXPECT_EQ_STR("authPriv", s);
	EXPECT_EQ_INT(0, conf_cfg_string(&cfg, "snmp.v3.auth_pass", &s));
	EXPECT_EQ_INT(0, conf_cfg_string(&cfg, "nothing", &s));
	EXPECT_EQ_INT(0, e.n);

	EXPECT_EQ_INT(1, conf_cfg_int(&cfg, "retries", &v, 0, 5));
	EXPECT_EQ_INT(2, v);
	EXPECT_EQ_INT(1, conf_cfg_double(&cfg, "ratio", &x, 0, 1));
	EXPECT_NEAR(0.5, x, 0);
	EXPECT_EQ_INT(1, conf_cfg_double(&cfg, "n", &x, 0, 10));
	EXPECT_NEAR(7.0, x, 0);
	EXPECT_EQ_INT(1, conf_cfg_bool(&cfg, "flag", &b));
	EXPECT_EQ_INT(1, b);
	EXPECT_EQ_INT(1, conf_cfg_strings(&cfg, "snmp.interfaces", &list,
	    &n));
	EXPECT_EQ_INT(2, (long long)n);
	EXPECT_EQ_STR("Gi1/0/2", list[1]);
	EXPECT_TRUE(list[2] == NULL);
	EXPECT_EQ_INT(1, conf_cfg_strings(&cfg, "one", &list, &n));
	EXPECT_EQ_INT(1, (long long)n);
	EXPECT_EQ_STR("all", list[0]);
	EXPECT_TRUE(list[1] == NULL);
	EXPECT_EQ_INT(0, e.n);

	/* errors name the place the value was found */
	EXPECT_EQ_INT(-1, conf_cfg_int(&cfg, "retries", &v, 0, 1));
	EXPECT_EQ_INT(-1, conf_cfg_int(&cfg, "ratio", &v, 0, 1));
	EXPECT_EQ_INT(-1, conf_cfg_bool(&cfg, "one", &b));
	EXPECT_EQ_INT(-1, conf_cfg_strings(&cfg, "flag", &list, &n));
	EXPECT_EQ_INT(-1, conf_cfg_string(&cfg, "ratio.x", &s));
	EXPECT_EQ_INT(-1, conf_cfg_check_keys(&cfg, "snmp", snmp_keys));
	EXPECT_EQ_INT(-1, conf_cfg_check_keys(&cfg, "flag", snmp_keys));
	conf_cfg_error(&cfg, "snmp.community", "community %s refused",
	    "secret");
	conf_cfg_error(&cfg, "snmp.version", "version %d", 2);
	conf_cfg_error(&cfg, NULL, "no %s", "host");
	flush_reports(&ld);
	EXPECT_EQ_INT(10, e.n);
	EXPECT_ERR_IN(&e, "t.conf", 1, "defaults: retries must be between 0 "
	    "and 1 (got 2)");
	EXPECT_ERR_IN(&e, "t.conf", 7, "target \"sw\": ratio must be an "
	    "integer, not a decimal number");
	EXPECT_ERR_IN(&e, "t.conf", 7, "target \"sw\": one must be true or "
	    "false, not a string (\"all\")");
	EXPECT_ERR_IN(&e, "t.conf", 7, "target \"sw\": flag must be a string "
	    "or a list of strings");
	EXPECT_ERR_IN(&e, "t.conf", 7, "target \"sw\": ratio must be a group "
	    "{ ... }, not a decimal number");
	EXPECT_ERR_IN(&e, "t.conf", 6, "target \"sw\": unknown key "
	    "\"snmp.bogus\"");
	EXPECT_ERR_IN(&e, "t.conf", 7, "target \"sw\": flag must be a group "
	    "{ ... }, not a boolean");
	EXPECT_ERR_IN(&e, "t.conf", 5, "target \"sw\": community secret "
	    "refused");
	EXPECT_ERR_IN(&e, "t.conf", 2, "target \"sw\": version 2");
	EXPECT_ERR_IN(&e, "t.conf", 4, "target \"sw\": no host");
	errs_free(&e);

	cfg_release(&cfg);
	config_destroy(&ld.cf);
	conf_free(ld.conf);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The small parsers */

DEF_TEST(text_rules)
{
	size_t off;
	unsigned what;

	EXPECT_EQ_INT(0, text_check("Xã Trà Linh – Điểm cầu", &off, &what));
	EXPECT_EQ_INT(0, text_check("", &off, &what));
	EXPECT_EQ_INT(0, text_check("\xf0\x9f\x93\xb6", &off, &what));
	EXPECT_EQ_INT(1, text_check("ab\xc3", &off, &what));
	EXPECT_EQ_INT(2, (long long)off);
	EXPECT_EQ_INT(1, text_check("\xc0\xaf", &off, &what));	/* overlong */
	EXPECT_EQ_INT(1, text_check("\xe0\x80\xaf", &off, &what));
	EXPECT_EQ_INT(1, text_check("\xed\xa0\x80", &off, &what)); /* D800 */
	EXPECT_EQ_INT(1, text_check("\xf4\x90\x80\x80", &off, &what));
	EXPECT_EQ_INT(1, text_check("\xff", &off, &what));
	EXPECT_EQ_INT(2, text_check("a\rb", &off, &what));
	EXPECT_EQ_INT(0x0d, what);
	EXPECT_EQ_INT(2, text_check("\x7f", &off, &what));
	EXPECT_EQ_INT(2, text_check("\xc2\x85", &off, &what));	/* NEL */
	EXPECT_EQ_INT(0x85, what);

	EXPECT_TRUE(valid_id("tra-linh"));
	EXPECT_TRUE(valid_id("0"));
	EXPECT_TRUE(valid_id("a_b-c9"));
	EXPECT_TRUE(!valid_id(""));
	EXPECT_TRUE(!valid_id("_a"));
	EXPECT_TRUE(!valid_id("A"));
	EXPECT_TRUE(!valid_id("a.b"));
	EXPECT_TRUE(!valid_id("a/b"));

	EXPECT_TRUE(valid_hostport("127.0.0.1:8080", 0));
	EXPECT_TRUE(valid_hostport("0.0.0.0:80", 0));
	EXPECT_TRUE(valid_hostport("[::1]:8080", 0));
	EXPECT_TRUE(valid_hostport("monitor.example.gov.vn:8080", 0));
	EXPECT_TRUE(!valid_hostport("8080", 0));
	EXPECT_TRUE(!valid_hostport(":8080", 0));
	EXPECT_TRUE(!valid_hostport("127.0.0.1", 0));
	EXPECT_TRUE(!valid_hostport("127.0.0.1:0", 0));
	EXPECT_TRUE(!valid_hostport("127.0.0.1:65536", 0));
	EXPECT_TRUE(!valid_hostport("127.0.0.1:80x", 0));
	EXPECT_TRUE(!valid_hostport("::1:8080", 0));
	EXPECT_TRUE(!valid_hostport("[::1]", 0));
	EXPECT_TRUE(!valid_hostport("[zz::1]:80", 0));
	EXPECT_TRUE(!valid_hostport("999.1.1.1:80", 0));
	EXPECT_TRUE(!valid_hostport("a..b:80", 0));
	EXPECT_TRUE(valid_hostport("rrd.example", 1));
	EXPECT_TRUE(valid_hostport("[::1]", 1));
	EXPECT_TRUE(valid_hostport("10.0.0.1:42217", 1));

	EXPECT_TRUE(valid_email("it1@example.gov.vn"));
	EXPECT_TRUE(!valid_email("it1"));
	EXPECT_TRUE(!valid_email("@example.gov.vn"));
	EXPECT_TRUE(!valid_email("a@b@c"));
	EXPECT_TRUE(!valid_email("a b@c"));
	EXPECT_TRUE(!valid_email("<a@b>"));
	EXPECT_TRUE(valid_mailbox("Giám sát <canhbao@example.gov.vn>"));
	EXPECT_TRUE(valid_mailbox("canhbao@example.gov.vn"));
	EXPECT_TRUE(!valid_mailbox("Giám sát <canhbao>"));
	EXPECT_TRUE(!valid_mailbox("Giám sát <canhbao@example.gov.vn"));

	EXPECT_TRUE(valid_timezone("Asia/Ho_Chi_Minh"));
	EXPECT_TRUE(valid_timezone("UTC"));
	EXPECT_TRUE(!valid_timezone("Asia"));		/* a directory */
	EXPECT_TRUE(!valid_timezone("zone.tab"));		/* not TZif */
	EXPECT_TRUE(!valid_timezone("../../etc/passwd"));
	EXPECT_TRUE(!valid_timezone("/etc/localtime"));
	EXPECT_TRUE(!valid_timezone(""));

	EXPECT_EQ_INT(0, (long long)edit_distance("interval", "interval"));
	EXPECT_EQ_INT(1, (long long)edit_distance("intervall", "interval"));
	EXPECT_EQ_INT(2, (long long)edit_distance("intreval", "interval"));
	EXPECT_EQ_INT(3, (long long)edit_distance("abc", ""));
	return 0;
}

DEF_TEST(time_rules)
{
	int wday = -1, start = -1, end = -1;
	struct tz_save z;
	time_t t = 0;

	EXPECT_EQ_INT(0, parse_hhmm("00:00", 0));
	EXPECT_EQ_INT(23 * 60 + 59, parse_hhmm("23:59", 0));
	EXPECT_EQ_INT(-1, parse_hhmm("24:00", 0));
	EXPECT_EQ_INT(1440, parse_hhmm("24:00", 1));
	EXPECT_EQ_INT(-1, parse_hhmm("24:01", 1));
	EXPECT_EQ_INT(-1, parse_hhmm("7:30", 0));
	EXPECT_EQ_INT(-1, parse_hhmm("07:60", 0));
	EXPECT_EQ_INT(-1, parse_hhmm("", 0));

	EXPECT_EQ_INT(0, parse_weekly("sat 22:00-24:00", &wday, &start,
	    &end));
	EXPECT_EQ_INT(6, wday);
	EXPECT_EQ_INT(22 * 60, start);
	EXPECT_EQ_INT(1440, end);
	EXPECT_EQ_INT(0, parse_weekly("mon 07:30", &wday, &start, NULL));
	EXPECT_EQ_INT(1, wday);
	EXPECT_EQ_INT(450, start);
	EXPECT_EQ_INT(-1, parse_weekly("mon 07:30 ", &wday, &start, NULL));
	EXPECT_EQ_INT(-1, parse_weekly("mon 07:30", &wday, &start, &end));
	EXPECT_EQ_INT(-1, parse_weekly("Mon 07:30", &wday, &start, NULL));
	EXPECT_EQ_INT(-1, parse_weekly("sun 02:00-02:00", &wday, &start,
	    &end));
	EXPECT_EQ_INT(-1, parse_weekly("sun", &wday, &start, NULL));

	tz_enter(&z, "Asia/Ho_Chi_Minh");
	EXPECT_EQ_INT(0, parse_datetime("2026-12-01 07:00", &t));
	EXPECT_EQ_INT(1796083200, (long long)t);
	EXPECT_EQ_INT(0, parse_datetime("2028-02-29 00:00", &t));
	EXPECT_EQ_INT(-1, parse_datetime("2026-02-29 00:00", &t));
	EXPECT_EQ_INT(-1, parse_datetime("2026-04-31 00:00", &t));
	EXPECT_EQ_INT(-1, parse_datetime("2026-12-01T07:00", &t));
	EXPECT_EQ_INT(-1, parse_datetime("2026-12-01 07:00:00", &t));
	EXPECT_EQ_INT(-1, parse_datetime("1969-12-31 23:00", &t));
	tz_leave(&z);
	return 0;
}

/* ------------------------------------------------------------------ */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Also after a bail-out. */
static void
rm_scratch(void)
{
	if (scratch[0])
		nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const char *top_builddir = getenv("top_builddir");
	const char *top_srcdir = getenv("top_srcdir");
	char *ping;

	/* Without the automake test environment, use the source tree this
	 * was compiled from and the current directory as the build tree. */
	if (top_srcdir == NULL) {
		const char *me = __FILE__, *cut = strstr(me,
		    "tests/unit/conf_test.c");

		snprintf(srcdir, sizeof(srcdir), "%.*s",
		    cut ? (int)(cut - me) : 0, me);
		if (srcdir[0] == '\0')
			strcpy(srcdir, ".");
	} else
		snprintf(srcdir, sizeof(srcdir), "%s", top_srcdir);
	snprintf(plugin_dir, sizeof(plugin_dir), "%s/plugins/.libs",
	    top_builddir ? top_builddir : ".");
	if (plugin_dir[0] != '/') {
		char *abs = realpath(plugin_dir, NULL);

		if (abs) {
			snprintf(plugin_dir, sizeof(plugin_dir), "%s", abs);
			free(abs);
		}
	}
	ping = xasprintf("%s/ping.so", plugin_dir);
	if (access(ping, R_OK) != 0) {
		printf("Bail out! no ping plugin at %s: build the plugins "
		    "first\n", ping);
		free(ping);
		return 1;
	}
	free(ping);

	snprintf(scratch, sizeof(scratch), "/tmp/conf_test.XXXXXX");
	if (mkdtemp(scratch) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	atexit(rm_scratch);
	log_init(1, LOG_WARNING, "conf_test");

	RUN_TEST(example_conf);
	RUN_TEST(full_conf);
	RUN_TEST(spec_example);
	RUN_TEST(syntax_error);
	RUN_TEST(include_errors);
	RUN_TEST(unknown_keys);
	RUN_TEST(wrong_types);
	RUN_TEST(out_of_range);
	RUN_TEST(defaults_reported_once);
	RUN_TEST(duplicates);
	RUN_TEST(bad_ids);
	RUN_TEST(references);
	RUN_TEST(cycles);
	RUN_TEST(unknown_type);
	RUN_TEST(probe_errors);
	RUN_TEST(probe_keys);
	RUN_TEST(bad_utf8);
	RUN_TEST(values_shown);
	RUN_TEST(rrdcached_dir);
	RUN_TEST(password_file_mode);
	RUN_TEST(times);
	RUN_TEST(timezone_kept);
	RUN_TEST(inheritance);
	RUN_TEST(relative_paths);
	RUN_TEST(digest);
	RUN_TEST(cfg_services);
	RUN_TEST(text_rules);
	RUN_TEST(time_rules);

	probe_unload_all();
	END_TEST;
}
