/*
 * Configuration validation (daemon/conf.c): conf_load() on a file with
 * the input.  A bad file must give messages, never a crash, and a file
 * that loads must be consistent.
 *
 * Probe plugins: conf_load() loads every plugin of daemon.plugin_dir.
 * That directory is the input's to choose, so probe_load_dir() is
 * wrapped (-Wl,--wrap=probe_load_dir): with FUZZ_PLUGIN_DIR set (the
 * fuzz build's own plugins, see run.sh) those are loaded, once, and
 * their configure() is fuzzed too; without it there are none and only
 * targets of no known type can be written (all rejected).
 *
 * Checked: NULL if and only if a problem was reported; every message
 * is one line of printable UTF-8 (crashes/conf-newline-in-message); a
 * loaded configuration's parents are in range and form no cycle.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "probe.h"
#include "util.h"
#include "tramon/utf8.h"
#include "fuzz.h"

static char dir[] = "/tmp/tramon-fuzz-conf-XXXXXX";
static char *path;

int __real_probe_load_dir(const char *);
int __wrap_probe_load_dir(const char *);

int
__wrap_probe_load_dir(const char *ignored)
{
	static int loaded, count;
	const char *d = getenv("FUZZ_PLUGIN_DIR");

	if (!loaded && d != NULL && *d != '\0')
		count = __real_probe_load_dir(d);
	loaded = 1;
	return count;
}

static void
collect(void *arg, const char *msg)
{
	unsigned *n = arg;

	FUZZ_CHECK(msg != NULL && *msg != '\0', "empty message");
	FUZZ_CHECK(strchr(msg, '\n') == NULL, "message of two lines: %s",
	    msg);
	/* values are shown escaped (conf.c shown()): no control
	 * character, no byte that is not UTF-8 reaches the log */
	for (size_t i = 0, k; msg[i] != '\0'; i += k) {
		unsigned cp;

		k = utf8_decode((const unsigned char *)msg + i, &cp);
		FUZZ_CHECK(k > 0, "bad UTF-8 at %zu: %s", i, msg);
		FUZZ_CHECK(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 &&
		    cp <= 0x9f), "control character U+%04X: %s", cp, msg);
	}
	(*n)++;
}

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	path = xasprintf("%s/fuzz.conf", dir);
	atexit(cleanup);
	log_init(1, LOG_CRIT, "fuzz_conf");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c;
	unsigned problems = 0;
	int fd;

	/* libconfig reads the file whole: keep each run fast */
	if (size > 64 * 1024)
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, size) != (ssize_t)size) {
		perror(path);
		abort();
	}
	close(fd);
	c = conf_load(path, collect, &problems);
	FUZZ_CHECK((c == NULL) == (problems > 0), "conf %p with %u problems",
	    (void *)c, problems);
	if (c == NULL)
		return 0;
	for (size_t i = 0; i < c->ntargets; i++) {
		int p = c->targets[i].parent;
		size_t hops = 0;

		FUZZ_CHECK(c->targets[i].pub.id != NULL, "target %zu: no id",
		    i);
		while (p != -1) {
			FUZZ_CHECK(p >= 0 && (size_t)p < c->ntargets,
			    "target %zu: parent %d", i, p);
			FUZZ_CHECK(++hops <= c->ntargets,
			    "target %zu: parent cycle", i);
			p = c->targets[p].parent;
		}
	}
	conf_free(c);
	return 0;
}
