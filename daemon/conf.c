/*
 * Configuration loader: parses tramon.conf with libconfig, checks every
 * section against SPEC.md and builds an immutable struct conf.
 *
 * Every problem is reported as "FILE:LINE: message" and loading goes on,
 * so that one `tramond -n` shows the administrator all of them at once.
 * The same message is never reported twice: a bad value in `defaults` is
 * seen by every target that inherits it, but said only once.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "probe.h"
#include "storm.h"
#include "util.h"
#include "tramon/utf8.h"

#ifndef PKGLIBDIR
#define PKGLIBDIR "/usr/lib/tramon"
#endif

#define ID_MAX 64

/* What a setting must be, in words, for "X must be ..., not ..." */
#define E_STRING	"a string"
#define E_INT		"an integer"
#define E_NUM		"a number"
#define E_BOOL		"true or false"
#define E_GROUP		"a group { ... }"
#define E_STRLIST	"a string or a list of strings [ \"...\", ... ]"
#define E_GROUPLIST	"a list ( { ... }, ... )"
#define E_INTLIST	"an integer or a list of integers [ 1, 2, ... ]"

/* Per target, what only the loader needs. */
struct taux {
	const config_setting_t	*id_set;
	const config_setting_t	*parent_set;	/* where `parent` was found */
	const char		*parent_ctx;
	char			*ctx;		/* target "id", or targets[i] */
};

/* A problem found, kept to be reported in file and line order. */
struct said {
	char			*msg;		/* "FILE:LINE: message" */
	size_t			 file;		/* order of its file */
	int			 line;
	size_t			 seq;
};

struct loader {
	config_t		 cf;
	struct conf		*conf;
	conf_error_fn		*errfn;
	void			*errarg;
	char			*dir;		/* the main file's, absolute */
	unsigned		 problems;	/* all, repeats included */
	struct said		*said;		/* each message once */
	size_t			 nsaid;
	const config_setting_t	*defaults;
	struct taux		*aux;		/* parallel to conf->targets */
};

/*
 * Where settings are looked up: a group and, for targets, the `defaults`
 * group behind it.  Dotted paths are resolved leaf by leaf: the first
 * group holding the leaf wins.
 */
struct scope {
	struct loader		*ld;
	const config_setting_t	*set[2];
	const char		*ctx[2];	/* names them in messages */
	const config_setting_t	*anchor;	/* where a missing key is */
	const config_setting_t	*found;		/* set by find() */
	const char		*found_ctx;
};

/* What a probe's configure() gets: the target and `defaults`. */
struct tm_cfg {
	struct scope		 sc;
	void			**lists;	/* conf_cfg_strings(), _ints() */
	size_t			 nlists;
};

static const char *const sections[] = {
	"daemon", "smtp", "contacts", "defaults", "targets", "maintenance",
	"meetings", "reports", NULL
};
static const char *const daemon_keys[] = {
	"name", "base_url", "state_dir", "web_dir", "plugin_dir", "user",
	"language", "timezone", "log", "log_level", "http_listen",
	"rrdcached", "rrdcached_base", "rrdcached_dir", "web_refresh",
	"control_socket",
	"storm_after", "storm_wait", NULL
};
static const char *const smtp_keys[] = {
	"url", "starttls", "username", "password_file", "from", "ca_file",
	"timeout", NULL
};
static const char *const contact_keys[] = {
	"id", "name", "email", "webhook", NULL
};
/* Keys of a target the core owns; probes add their own. */
static const char *const target_keys[] = {
	"id", "name", "group", "type", "host", "port", "parent", "interval",
	"timeout", "count", "down_after", "up_after", "degraded", "notify",
	"repeat_minutes", NULL
};
static const char *const degraded_keys[] = {
	"loss_pct", "rtt_ms", "jitter_ms", NULL
};
static const char *const maint_keys[] = {
	"targets", "from", "to", "weekly", "reason", NULL
};
static const char *const meeting_keys[] = {
	"name", "weekly", "from", "targets", "check_before", "notify",
	"max_loss_pct", "max_rtt_ms", "max_jitter_ms", "duration", NULL
};
static const char *const report_keys[] = {
	"monthly", "time", "send_to", "formats", "sla_pct", NULL
};
static const char *const report_formats[] = {
	"html", "csv", "pdf", "text", NULL
};
static const char *const wdays[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

/* ------------------------------------------------------------------ */
/* Reporting */

static const char *
src_file(struct loader *ld, const config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;

	return f ? f : ld->conf->path;
}

/*
 * `s` as a message shows it: control characters (C0, DEL, C1) and bytes
 * that are not UTF-8 written as in a libconfig string (\n, \t, \r, \f,
 * \xNN) and a backslash doubled, so that what is shown is what the file
 * says; valid UTF-8 is kept as is, Vietnamese names stay readable.
 *
 * Applied to every whole message (vreport) rather than to each value at
 * its "(got ...)": values are echoed in many places, a probe's messages
 * (conf_cfg_error) too, and a raw newline would let a file write a line
 * of its own into the log or the `tramond -n` output.
 */
static char *
shown(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(4 * strlen(s) + 1), *o = out;	/* \xNN */
	const char *e;
	unsigned cp;
	size_t n;

	for (size_t i = 0; p[i] != '\0'; i += n) {
		if ((n = utf8_decode(p + i, &cp)) == 0) {
			n = 1;
			cp = 0x80;	/* not UTF-8: escaped like C1 */
		}
		switch (cp) {
		case '\\':	e = "\\\\"; break;
		case '\n':	e = "\\n"; break;
		case '\t':	e = "\\t"; break;
		case '\r':	e = "\\r"; break;
		case '\f':	e = "\\f"; break;
		default:	e = NULL; break;
		}
		if (e != NULL)
			o = stpcpy(o, e);
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 &&
		    cp <= 0x9f)) {
			for (size_t k = 0; k < n; k++)
				o += sprintf(o, "\\x%02X", p[i + k]);
		} else {
			memcpy(o, p + i, n);
			o += n;
		}
	}
	*o = '\0';
	return out;
}

static void
vreport(struct loader *ld, const char *file, int line, const char *fmt,
    va_list ap)
{
	struct said s;
	char *msg, *where, *body, *full;
	size_t flen;

	ld->problems++;
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	where = shown(file);
	body = shown(msg);
	free(msg);
	if (line > 0)
		full = xasprintf("%s:%d: %s", where, line, body);
	else
		full = xasprintf("%s: %s", where, body);
	free(body);
	flen = strlen(where);
	s.file = ld->nsaid;
	for (size_t i = 0; i < ld->nsaid; i++) {
		if (strcmp(ld->said[i].msg, full) == 0) {
			free(where);
			free(full);
			return;
		}
		if (s.file == ld->nsaid && strncmp(ld->said[i].msg, where,
		    flen) == 0 && ld->said[i].msg[flen] == ':')
			s.file = ld->said[i].file;
	}
	free(where);
	s.msg = full;
	s.line = line;
	s.seq = ld->nsaid;
	ld->said = xreallocarray(ld->said, ld->nsaid + 1, sizeof(*ld->said));
	ld->said[ld->nsaid++] = s;
}

static int
said_cmp(const void *a, const void *b)
{
	const struct said *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hand the problems over, by file and line, and forget them. */
static void
flush_reports(struct loader *ld)
{
	if (ld->nsaid > 0)
		qsort(ld->said, ld->nsaid, sizeof(*ld->said), said_cmp);
	for (size_t i = 0; i < ld->nsaid; i++) {
		if (ld->errfn)
			ld->errfn(ld->errarg, ld->said[i].msg);
		free(ld->said[i].msg);
	}
	free(ld->said);
	ld->said = NULL;
	ld->nsaid = 0;
}

static void __attribute__((format(printf, 3, 4)))
report_at(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, src_file(ld, s), s ? config_setting_source_line(s) : 0,
	    fmt, ap);
	va_end(ap);
}

/* "a string", "an integer": what a setting is, for messages. */
static const char *
kind(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a decimal number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "of an unknown type";
}

static void
wrong_type(struct loader *ld, const config_setting_t *s, const char *ctx,
    const char *what, const char *expected)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		report_at(ld, s, "%s: %s must be %s, not a string (\"%s\")",
		    ctx, what, expected, config_setting_get_string(s));
	else
		report_at(ld, s, "%s: %s must be %s, not %s", ctx, what,
		    expected, kind(s));
}

/* ------------------------------------------------------------------ */
/* Text */

/*
 * 0 if `s` is well-formed UTF-8 without control characters; otherwise
 * 1 (bad UTF-8) or 2 (control character), with the offset and the byte
 * or code point at fault.
 */
static int
text_check(const char *s, size_t *off, unsigned *what)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;
	size_t n;

	for (size_t i = 0; p[i] != '\0'; i += n) {
		*off = i;
		*what = p[i];
		if ((n = utf8_decode(p + i, &cp)) == 0)
			return 1;
		/* C0, DEL and C1 */
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			*what = cp;
			return 2;
		}
	}
	return 0;
}

/* Targets and contacts name files and URLs: [a-z0-9][a-z0-9_-]*. */
static int
valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ID_MAX || strchr("-_", s[0]))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The `type` names a file in plugin_dir: keep it to a plain word. */
static int
valid_type(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= ID_MAX &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int
has_space(const char *s)
{
	return strpbrk(s, " \t\r\n") != NULL;
}

/* A bare address, "local@domain": what goes in RCPT TO. */
static int
valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' &&
	    strchr(at + 1, '@') == NULL && strpbrk(s, " \t<>,;:\"()[]\\") ==
	    NULL;
}

/* "Name <addr>" or a bare address. */
static int
valid_mailbox(const char *s)
{
	const char *lt = strrchr(s, '<');
	char *addr;
	int ok;

	if (lt == NULL)
		return valid_email(s);
	if (s[strlen(s) - 1] != '>')
		return 0;
	addr = xstrdup(lt + 1);
	addr[strlen(addr) - 1] = '\0';
	ok = valid_email(addr);
	free(addr);
	return ok;
}

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* scheme://something, no blanks. */
static int
valid_url(const char *s, const char *const *schemes)
{
	for (size_t i = 0; schemes[i]; i++) {
		size_t n = strlen(schemes[i]);

		if (strncmp(s, schemes[i], n) == 0 && s[n] != '\0' &&
		    s[n] != '/' && !has_space(s))
			return 1;
	}
	return 0;
}

static int
valid_port(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= 1 && v <= 65535;
}

/* A host name or an IPv4 address (not bracketed IPv6). */
static int
valid_hostname(const char *s, size_t n)
{
	struct in_addr a;
	char buf[256];
	int digits_only = 1;

	if (n == 0 || n > 253)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '.') {
			if (i == 0 || buf[i - 1] == '.')
				return 0;
		} else if (c >= '0' && c <= '9')
			;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '-')
			digits_only = 0;
		else
			return 0;
	}
	/* "999.1.1.1" is not a host name but a broken address */
	return !digits_only || inet_pton(AF_INET, buf, &a) == 1;
}

/* HOST:PORT, [v6]:PORT; with port_optional also HOST and [v6]. */
static int
valid_hostport(const char *s, int port_optional)
{
	const char *port;

	if (s[0] == '[') {
		struct in6_addr a6;
		const char *end = strchr(s, ']');
		char buf[INET6_ADDRSTRLEN + 1];
		size_t n;

		if (end == NULL || (n = (size_t)(end - s - 1)) == 0 ||
		    n >= sizeof(buf))
			return 0;
		memcpy(buf, s + 1, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return 0;
		if (end[1] == '\0')
			return port_optional;
		return end[1] == ':' && valid_port(end + 2);
	}
	if ((port = strrchr(s, ':')) == NULL)
		return port_optional && valid_hostname(s, strlen(s));
	return valid_hostname(s, (size_t)(port - s)) && valid_port(port + 1);
}

/* A zone name from the tz database, installed here. */
static int
valid_timezone(const char *name)
{
	const char *dir = getenv("TZDIR");
	char magic[4];
	struct stat st;
	char *path;
	FILE *f;
	int ok = 0;

	if (name[0] == '\0' || name[0] == '/' || strstr(name, "..") ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789/_+-") != strlen(name))
		return 0;
	path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
	    name);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (f = fopen(path, "re")) != NULL) {
		ok = fread(magic, 1, 4, f) == 4 &&
		    memcmp(magic, "TZif", 4) == 0;
		fclose(f);
	}
	free(path);
	return ok;
}

/* Levenshtein distance, for "did you mean" (short keys only). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[ID_MAX + 1];

	if (la > ID_MAX || lb > ID_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best;

			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static int
in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/*
 * The nearest key in `lists` (NULL-terminated), if it is close: a typo
 * (edit distance 2 at most) or a key cut short ("loss" for "loss_pct").
 */
static const char *
suggest(const char *key, const char *const *const *lists)
{
	const char *best = NULL, *part = NULL;
	size_t bestd = 3, len = strlen(key);

	for (size_t l = 0; lists[l]; l++)
		for (size_t i = 0; lists[l][i]; i++) {
			const char *k = lists[l][i];
			size_t d = edit_distance(key, k), kl = strlen(k);

			if (d < bestd && d < len) {
				bestd = d;
				best = k;
			}
			if (part == NULL && len >= 3 && kl > len &&
			    (strncmp(k, key, len) == 0 ||
			    strcmp(k + kl - len, key) == 0))
				part = k;
		}
	return best ? best : part;
}

/* "a", "b" or "c" */
static char *
word_list(const char *const *words)
{
	char *s = xstrdup(""), *t;

	for (size_t i = 0; words[i]; i++) {
		t = xasprintf("%s%s\"%s\"", s, i == 0 ? "" :
		    words[i + 1] ? ", " : " or ", words[i]);
		free(s);
		s = t;
	}
	return s;
}

/* ------------------------------------------------------------------ */
/* Lookup and typed values */

/*
 * The setting at dotted `path` below group `g`, or NULL.  A non-group
 * on the way is returned in *blocker with the length of its path.
 */
static const config_setting_t *
walk(const config_setting_t *g, const char *path,
    const config_setting_t **blocker, size_t *blen)
{
	const char *p = path;

	*blocker = NULL;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char name[ID_MAX + 1];

		if (n == 0 || n > ID_MAX)
			return NULL;
		if (!config_setting_is_group(g)) {
			*blocker = g;
			*blen = (size_t)(p - path - 1);
			return NULL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if ((g = config_setting_get_member(g, name)) == NULL ||
		    dot == NULL)
			return g;
		p = dot + 1;
	}
}

/* 1 found (sc->found), 0 absent, -1 reported. */
static int
find(struct scope *sc, const char *path)
{
	sc->found = NULL;
	sc->found_ctx = sc->ctx[0];
	for (int k = 0; k < 2; k++) {
		const config_setting_t *s, *blocker;
		size_t blen;

		if (sc->set[k] == NULL)
			continue;
		s = walk(sc->set[k], path, &blocker, &blen);
		if (blocker) {
			report_at(sc->ld, blocker,
			    "%s: %.*s must be " E_GROUP ", not %s",
			    sc->ctx[k], (int)blen, path, kind(blocker));
			return -1;
		}
		if (s) {
			sc->found = s;
			sc->found_ctx = sc->ctx[k];
			return 1;
		}
	}
	return 0;
}

static int
bad_type(struct scope *sc, const char *path, const char *expected)
{
	wrong_type(sc->ld, sc->found, sc->found_ctx, path, expected);
	return -1;
}

static void __attribute__((format(printf, 3, 4)))
bad_value(struct scope *sc, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	report_at(sc->ld, sc->found, "%s: %s %s", sc->found_ctx, path, msg);
	free(msg);
}

/*
 * Over TCP rrdcached takes file names relative to its base directory
 * (its -b).  Either daemon.rrdcached_base says where that directory is
 * here, and the RRD directory (state_dir/rrd) must be inside it, for the
 * pages read the files that rrdcached writes; or the files stay on
 * rrdcached's host (remote: see check_rrdcached_dir).
 */
static void
check_rrdcached_base(struct scope *sc, const struct conf *c)
{
	const char *r = c->rrdcached, *b = c->rrdcached_base;
	char *rrd = xasprintf("%s/rrd", c->state_dir);
	size_t n = strlen(b);

	while (n > 1 && b[n - 1] == '/')
		n--;
	if (*r == '\0' || r[0] == '/' || has_prefix(r, "unix:")) {
		if (*b != '\0')
			bad_value(sc, "rrdcached_base", "is only for a "
			    "\"HOST:PORT\" rrdcached");
	} else if (*b != '\0' && (strncmp(rrd, b, n) != 0 ||
	    (rrd[n] != '/' && rrd[n] != '\0' && n > 1)))
		bad_value(sc, "rrdcached_base", "must contain the RRD "
		    "directory %s (state_dir/rrd) (got \"%s\")", rrd, b);
	free(rrd);
}

/* "a", "a/b": names of letters, digits, '.', '_' and '-', neither "."
 * nor "..", so a poller's files cannot leave its directory under
 * rrdcached's base, and rrdcached's protocol (spaces) has no quarrel. */
static int
valid_cached_dir(const char *s)
{
	size_t len = 0;

	if (*s == '\0' || strlen(s) > 200)
		return 0;
	for (const char *p = s;; p++) {
		if (*p == '/' || *p == '\0') {
			if (len == 0 || (len == 1 && p[-1] == '.') ||
			    (len == 2 && p[-1] == '.' && p[-2] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			len = 0;
		} else if (isalnum((unsigned char)*p) || *p == '.' ||
		    *p == '_' || *p == '-')
			len++;
		else
			return 0;
	}
}

/*
 * A "HOST:PORT" rrdcached without rrdcached_base is remote: its files
 * are not seen here, and every read goes through it.  Pollers sharing it
 * must not share names, so each says where its files go under the base
 * directory: required, as pollers installed alike have the same
 * state_dir and no default would tell them apart.
 */
int
conf_rrdcached_remote(const struct conf *c)
{
	const char *r = c->rrdcached;

	return r != NULL && *r != '\0' && r[0] != '/' &&
	    !has_prefix(r, "unix:") &&
	    (c->rrdcached_base == NULL || *c->rrdcached_base == '\0');
}

static void
check_rrdcached_dir(struct scope *sc, const struct conf *c, int found)
{
	const char *r = c->rrdcached, *d = c->rrdcached_dir;
	int remote = conf_rrdcached_remote(c);

	if (found && *d != '\0' && !valid_cached_dir(d))
		bad_value(sc, "rrdcached_dir", "must be a relative path of "
		    "letters, digits, '.', '_' and '-' (got \"%s\")", d);
	else if (found && *d != '\0' && !remote)
		bad_value(sc, "rrdcached_dir", "is only for a \"HOST:PORT\" "
		    "rrdcached without rrdcached_base");
	else if (remote && *d == '\0')
		report_at(sc->ld, sc->anchor, "%s: rrdcached \"%s\" is reached "
		    "over TCP: set rrdcached_base to its -b directory as this "
		    "host sees it, or rrdcached_dir to this poller's directory "
		    "under it if its files are not seen here", sc->ctx[0], r);
}

static void
missing(struct scope *sc, const char *key)
{
	report_at(sc->ld, sc->anchor, "%s: missing required key \"%s\"",
	    sc->ctx[0], key);
}

static int
get_str(struct scope *sc, const char *path, const char **out)
{
	int rc = find(sc, path);

	if (rc <= 0)
		return rc;
	if (config_setting_type(sc->found) != CONFIG_TYPE_STRING)
		return bad_type(sc, path, E_STRING);
	*out = config_setting_get_string(sc->found);
	return 1;
}

/* A string that must not be empty. */
static int
get_word(struct scope *sc, const char *path, const char **out)
{
	int rc = get_str(sc, path, out);

	if (rc == 1 && **out == '\0') {
		bad_value(sc, path, "must not be empty");
		return -1;
	}
	return rc;
}

/* One of `words`; *idx is its index. */
static int
get_enum(struct scope *sc, const char *path, const char *const *words,
    int *idx)
{
	const char *s;
	char *list;
	int rc = get_str(sc, path, &s);

	if (rc <= 0)
		return rc;
	for (int i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0) {
			*idx = i;
			return 1;
		}
	list = word_list(words);
	bad_value(sc, path, "must be %s (got \"%s\")", list, s);
	free(list);
	return -1;
}

static int
get_int(struct scope *sc, const char *path, long min, long max, long *out)
{
	long long v;
	int rc = find(sc, path);

	if (rc <= 0)
		return rc;
	if (config_setting_type(sc->found) != CONFIG_TYPE_INT &&
	    config_setting_type(sc->found) != CONFIG_TYPE_INT64)
		return bad_type(sc, path, E_INT);
	v = config_setting_get_int64(sc->found);
	if (v < min || v > max) {
		if (max == LONG_MAX)
			bad_value(sc, path, "must be at least %ld (got %lld)",
			    min, v);
		else
			bad_value(sc, path, "must be between %ld and %ld "
			    "(got %lld)", min, max, v);
		return -1;
	}
	*out = (long)v;
	return 1;
}

/* An integer or a decimal number. */
static int
get_num(struct scope *sc, const char *path, double min, double max,
    double *out)
{
	double v;
	int rc = find(sc, path);

	if (rc <= 0)
		return rc;
	switch (config_setting_type(sc->found)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(sc->found);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(sc->found);
		break;
	default:
		return bad_type(sc, path, E_NUM);
	}
	if (!(v >= min && v <= max)) {
		bad_value(sc, path, "must be between %g and %g (got %g)",
		    min, max, v);
		return -1;
	}
	*out = v;
	return 1;
}

static int
get_bool(struct scope *sc, const char *path, int *out)
{
	int rc = find(sc, path);

	if (rc <= 0)
		return rc;
	if (config_setting_type(sc->found) != CONFIG_TYPE_BOOL)
		return bad_type(sc, path, E_BOOL);
	*out = config_setting_get_bool(sc->found) != 0;
	return 1;
}

/*
 * A string or a list of strings: *out is a NULL-terminated array of the
 * string settings (the caller frees the array).
 */
static int
get_list(struct scope *sc, const char *path, const config_setting_t ***out,
    size_t *np)
{
	const config_setting_t **v;
	int rc = find(sc, path), n, bad = 0;

	if (rc <= 0)
		return rc;
	switch (config_setting_type(sc->found)) {
	case CONFIG_TYPE_STRING:
		v = xcalloc(2, sizeof(*v));
		v[0] = sc->found;
		*out = v;
		*np = 1;
		return 1;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		break;
	default:
		return bad_type(sc, path, E_STRLIST);
	}
	n = config_setting_length(sc->found);
	v = xcalloc((size_t)n + 1, sizeof(*v));
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(sc->found,
		    (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			char *what = xasprintf("%s[%d]", path, i);

			wrong_type(sc->ld, e, sc->found_ctx, what, E_STRING);
			free(what);
			bad = 1;
		}
		v[i] = e;
	}
	if (bad) {
		free(v);
		return -1;
	}
	*out = v;
	*np = (size_t)n;
	return 1;
}

static const char *
str_of(const config_setting_t *s)
{
	return config_setting_get_string(s);
}

static char **
strv_new(size_t n)
{
	return xcalloc(n + 1, sizeof(char *));
}

static void
strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* A path; relative ones are taken from the config file's directory. */
static char *
resolve(struct loader *ld, const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (p[0] == '/')
		return xstrdup(p);
	if (p[0] == '\0' || strcmp(p, ".") == 0)
		return xstrdup(ld->dir);
	return xasprintf("%s/%s", ld->dir, p);
}

/* A non-empty path setting, resolved; `def` (not resolved) if absent. */
static char *
get_path(struct scope *sc, const char *path, const char *def)
{
	const char *s;

	if (get_word(sc, path, &s) == 1)
		return resolve(sc->ld, s);
	return def ? xstrdup(def) : NULL;
}

/* ------------------------------------------------------------------ */
/* Unknown keys */

static int
check_keys(struct loader *ld, const config_setting_t *g, const char *ctx,
    const char *prefix, const char *const *const *lists)
{
	int rc = 0;

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g,
		    (unsigned)i);
		const char *name = config_setting_name(m), *near;
		int known = 0;

		for (size_t l = 0; lists[l] && !known; l++)
			known = in_list(name, lists[l]);
		if (known)
			continue;
		if ((near = suggest(name, lists)) != NULL)
			report_at(ld, m, "%s: unknown key \"%s%s\"; did you "
			    "mean \"%s%s\"?", ctx, prefix, name, prefix, near);
		else
			report_at(ld, m, "%s: unknown key \"%s%s\"", ctx,
			    prefix, name);
		rc = -1;
	}
	return rc;
}

/* Check the group at `path` in both places of the scope. */
static int
check_keys_at(struct scope *sc, const char *path,
    const char *const *const *lists)
{
	char *prefix = xasprintf("%s.", path);
	int rc = 0;

	for (int k = 0; k < 2; k++) {
		const config_setting_t *s, *blocker;
		size_t blen;

		if (sc->set[k] == NULL)
			continue;
		s = walk(sc->set[k], path, &blocker, &blen);
		if (blocker) {
			report_at(sc->ld, blocker,
			    "%s: %.*s must be " E_GROUP ", not %s",
			    sc->ctx[k], (int)blen, path, kind(blocker));
			rc = -1;
		} else if (s && !config_setting_is_group(s)) {
			wrong_type(sc->ld, s, sc->ctx[k], path, E_GROUP);
			rc = -1;
		} else if (s && check_keys(sc->ld, s, sc->ctx[k], prefix,
		    lists) == -1)
			rc = -1;
	}
	free(prefix);
	return rc;
}

/* Section `name` of the file, if it has the right shape. */
static const config_setting_t *
section(struct loader *ld, const char *name, int want_group)
{
	const config_setting_t *s;

	s = config_setting_get_member(config_root_setting(&ld->cf), name);
	if (s == NULL)
		return NULL;
	if (want_group && !config_setting_is_group(s)) {
		report_at(ld, s, "%s must be " E_GROUP ", not %s", name,
		    kind(s));
		return NULL;
	}
	if (!want_group && !config_setting_is_list(s) &&
	    !(config_setting_is_array(s) && config_setting_length(s) == 0)) {
		report_at(ld, s, "%s must be " E_GROUPLIST ", not %s", name,
		    kind(s));
		return NULL;
	}
	return s;
}

static void
check_sections(struct loader *ld)
{
	const config_setting_t *root = config_root_setting(&ld->cf);
	const char *const *lists[] = { sections, NULL };

	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *m = config_setting_get_elem(root,
		    (unsigned)i);
		const char *name = config_setting_name(m), *near;

		if (in_list(name, sections))
			continue;
		if ((near = suggest(name, lists)) != NULL)
			report_at(ld, m, "unknown section \"%s\"; did you "
			    "mean \"%s\"?", name, near);
		else
			report_at(ld, m, "unknown section \"%s\"", name);
	}
}

/* Every string anywhere must be clean UTF-8 (it reaches HTML, mail,
 * file names). */
static void
check_text(struct loader *ld, const config_setting_t *s, const char *path)
{
	int type = config_setting_type(s);

	if (type == CONFIG_TYPE_STRING) {
		size_t off;
		unsigned what;

		switch (text_check(config_setting_get_string(s), &off, &what)) {
		case 1:
			report_at(ld, s, "%s: invalid UTF-8 (byte 0x%02X at "
			    "offset %zu)", path, what, off);
			break;
		case 2:
			report_at(ld, s, "%s: control character U+%04X at "
			    "offset %zu", path, what, off);
			break;
		}
		return;
	}
	if (!config_setting_is_aggregate(s))
		return;
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s,
		    (unsigned)i);
		char *sub;

		if (type == CONFIG_TYPE_GROUP)
			sub = *path ? xasprintf("%s.%s", path,
			    config_setting_name(e)) :
			    xstrdup(config_setting_name(e));
		else
			sub = xasprintf("%s[%d]", path, i);
		check_text(ld, e, sub);
		free(sub);
	}
}

/* ------------------------------------------------------------------ */
/* daemon = { ... } */

static void
load_daemon(struct loader *ld)
{
	static const char *const langs[] = { "vi", "en", NULL };
	static const char *const logs[] = { "syslog", "stderr", NULL };
	static const char *const levels[] = {
		"debug", "info", "warning", "error", NULL
	};
	static const char *const web[] = { "http://", "https://", NULL };
	const config_setting_t *g = section(ld, "daemon", 1);
	struct scope sc = { ld, { g, NULL }, { "daemon", NULL }, g, NULL,
	    NULL };
	const char *const *lists[] = { daemon_keys, NULL };
	struct conf *c = ld->conf;
	struct sockaddr_un sun;
	const char *s;
	long v;
	int i, found;

	if (g)
		check_keys(ld, g, "daemon", "", lists);
	c->name = xstrdup(get_word(&sc, "name", &s) == 1 ? s : "tramon");
	c->base_url = xstrdup("");
	if (get_str(&sc, "base_url", &s) == 1) {
		if (*s && !valid_url(s, web))
			bad_value(&sc, "base_url", "must be \"\" or an http:// "
			    "or https:// URL (got \"%s\")", s);
		else {
			free(c->base_url);
			c->base_url = xstrdup(s);
		}
	}
	c->state_dir = get_path(&sc, "state_dir", "/var/lib/tramon");
	if ((c->web_dir = get_path(&sc, "web_dir", NULL)) == NULL)
		c->web_dir = xasprintf("%s/www", c->state_dir);
	c->plugin_dir = get_path(&sc, "plugin_dir", PKGLIBDIR);
	c->user = xstrdup(get_word(&sc, "user", &s) == 1 ? s : "tramon");
	if (strpbrk(c->user, ":/ "))
		bad_value(&sc, "user", "is not a user name (got \"%s\")",
		    c->user);
	c->language = LANG_VI;
	if (get_enum(&sc, "language", langs, &i) == 1)
		c->language = i == 0 ? LANG_VI : LANG_EN;
	c->timezone = xstrdup("Asia/Ho_Chi_Minh");
	if (get_str(&sc, "timezone", &s) == 1) {
		if (!valid_timezone(s))
			bad_value(&sc, "timezone", "\"%s\" is not a time zone "
			    "(none such in /usr/share/zoneinfo)", s);
		else {
			free(c->timezone);
			c->timezone = xstrdup(s);
		}
	}
	c->log_stderr = 0;
	if (get_enum(&sc, "log", logs, &i) == 1)
		c->log_stderr = i == 1;
	c->log_level = LOG_INFO;
	if (get_enum(&sc, "log_level", levels, &i) == 1)
		c->log_level = log_level_parse(levels[i]);
	c->http_listen = xstrdup("127.0.0.1:8080");
	if (get_str(&sc, "http_listen", &s) == 1) {
		if (*s && !valid_hostport(s, 0))
			bad_value(&sc, "http_listen", "must be \"\" (off), "
			    "HOST:PORT or [IPv6]:PORT (got \"%s\")", s);
		else {
			free(c->http_listen);
			c->http_listen = xstrdup(s);
		}
	}
	c->rrdcached = xstrdup("");
	if (get_str(&sc, "rrdcached", &s) == 1) {
		if (*s && !(has_prefix(s, "unix:/") && !has_space(s)) &&
		    !(s[0] == '/' && !has_space(s)) && !valid_hostport(s, 1))
			bad_value(&sc, "rrdcached", "must be \"\", "
			    "\"unix:/PATH\", \"/PATH\" or \"HOST[:PORT]\" "
			    "(got \"%s\")", s);
		else {
			free(c->rrdcached);
			c->rrdcached = xstrdup(s);
		}
	}
	c->rrdcached_base = get_path(&sc, "rrdcached_base", "");
	check_rrdcached_base(&sc, c);
	c->rrdcached_dir = xstrdup("");
	if ((found = get_str(&sc, "rrdcached_dir", &s)) == 1) {
		free(c->rrdcached_dir);
		c->rrdcached_dir = xstrdup(s);
	}
	check_rrdcached_dir(&sc, c, found == 1);
	c->web_refresh = 60;
	if (get_int(&sc, "web_refresh", 5, 86400, &v) == 1)
		c->web_refresh = (int)v;
	c->storm_after = 5;
	if (get_int(&sc, "storm_after", 0, STORM_AFTER_MAX, &v) == 1)
		c->storm_after = (int)v;
	c->storm_wait = 30;
	if (get_int(&sc, "storm_wait", 5, 600, &v) == 1)
		c->storm_wait = (int)v;
	c->control_socket = get_path(&sc, "control_socket",
	    "/run/tramon/tramond.sock");
	if (strlen(c->control_socket) >= sizeof(sun.sun_path))
		bad_value(&sc, "control_socket", "is too long for a socket "
		    "(%zu bytes, at most %zu)", strlen(c->control_socket),
		    sizeof(sun.sun_path) - 1);
}

/* ------------------------------------------------------------------ */
/* smtp = { ... } */

/*
 * The SMTP password is tramond's alone: a file everyone may read, or its
 * group may rewrite, is refused (tramond -n, start, reload), not merely
 * warned about.  A file that cannot be stat'ed is left to the reader,
 * which says why when it reads it.
 */
static void
check_secret_mode(struct loader *ld, const config_setting_t *g,
    const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return;
	if (st.st_mode & S_IRWXO)
		report_at(ld, g, "smtp: password_file %s is open to everyone "
		    "(chmod o-rwx %s)", path, path);
	else if (st.st_mode & S_IWGRP)
		report_at(ld, g, "smtp: password_file %s is writable by its "
		    "group (chmod g-w %s)", path, path);
}

static void
load_smtp(struct loader *ld)
{
	static const char *const tls[] = { "none", "try", "required", NULL };
	static const char *const schemes[] = { "smtp://", "smtps://", NULL };
	const config_setting_t *g = section(ld, "smtp", 1);
	struct scope sc = { ld, { g, NULL }, { "smtp", NULL }, g, NULL, NULL };
	const char *const *lists[] = { smtp_keys, NULL };
	struct smtp_conf *m = &ld->conf->smtp;
	const char *s;
	long v;
	int i;

	m->present = g != NULL;
	m->url = xstrdup("");
	m->starttls = STARTTLS_REQUIRED;
	m->username = xstrdup("");
	m->password_file = xstrdup("");
	m->from = xstrdup("");
	m->ca_file = xstrdup("");
	m->timeout = 30;
	if (g == NULL)
		return;
	check_keys(ld, g, "smtp", "", lists);
	if ((i = get_str(&sc, "url", &s)) == 0)
		missing(&sc, "url");
	else if (i == 1 && !valid_url(s, schemes))
		bad_value(&sc, "url", "must be smtp://HOST[:PORT] or "
		    "smtps://HOST[:PORT] (got \"%s\")", s);
	else if (i == 1) {
		free(m->url);
		m->url = xstrdup(s);
	}
	if (get_enum(&sc, "starttls", tls, &i) == 1)
		m->starttls = i == 0 ? STARTTLS_NONE : i == 1 ? STARTTLS_TRY :
		    STARTTLS_REQUIRED;
	if (get_str(&sc, "username", &s) == 1) {
		free(m->username);
		m->username = xstrdup(s);
	}
	if (get_str(&sc, "password_file", &s) == 1 && *s) {
		free(m->password_file);
		m->password_file = resolve(ld, s);
		check_secret_mode(ld, g, m->password_file);
	}
	if (*m->username && !*m->password_file)
		report_at(ld, g, "smtp: username needs a password_file");
	if ((i = get_str(&sc, "from", &s)) == 0)
		missing(&sc, "from");
	else if (i == 1 && !valid_mailbox(s))
		bad_value(&sc, "from", "must be an address, or \"Name "
		    "<address>\" (got \"%s\")", s);
	else if (i == 1) {
		free(m->from);
		m->from = xstrdup(s);
	}
	if (get_str(&sc, "ca_file", &s) == 1 && *s) {
		free(m->ca_file);
		m->ca_file = resolve(ld, s);
	}
	if (get_int(&sc, "timeout", 1, 600, &v) == 1)
		m->timeout = (int)v;
}

/* ------------------------------------------------------------------ */
/* contacts = ( ... ) */

static int
contact_index(const struct conf *c, const char *id)
{
	for (size_t i = 0; i < c->ncontacts; i++)
		if (c->contacts[i].id && strcmp(c->contacts[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void
load_contact(struct loader *ld, const config_setting_t *g, size_t i,
    const config_setting_t **id_sets)
{
	static const char *const web[] = { "http://", "https://", NULL };
	const char *const *lists[] = { contact_keys, NULL };
	struct contact *ct = &ld->conf->contacts[i];
	char *ctx = xasprintf("contacts[%zu]", i);
	struct scope sc = { ld, { g, NULL }, { ctx, NULL }, g, NULL, NULL };
	const config_setting_t **v = NULL;
	const char *s;
	size_t n = 0;
	int rc, rc2;

	ct->email = strv_new(0);
	if (!config_setting_is_group(g)) {
		wrong_type(ld, g, "contacts", ctx, E_GROUP);
		goto out;
	}
	if ((rc = get_str(&sc, "id", &s)) == 0)
		missing(&sc, "id");
	else if (rc == 1 && !valid_id(s))
		bad_value(&sc, "id", "\"%s\" is not a valid id: use a-z, 0-9, "
		    "- and _, starting with a letter or digit, at most %d "
		    "characters", s, ID_MAX);
	else if (rc == 1) {
		int first = contact_index(ld->conf, s);

		if (first >= 0)
			report_at(ld, sc.found, "duplicate contact id \"%s\" "
			    "(first defined at %s:%d)", s,
			    src_file(ld, id_sets[first]),
			    config_setting_source_line(id_sets[first]));
		ct->id = xstrdup(s);
		id_sets[i] = sc.found;
		free(ctx);
		ctx = xasprintf("contact \"%s\"", s);
		sc.ctx[0] = ctx;
	}
	check_keys(ld, g, ctx, "", lists);
	ct->name = xstrdup(get_word(&sc, "name", &s) == 1 ? s :
	    ct->id ? ct->id : "");
	if ((rc = get_list(&sc, "email", &v, &n)) == 1) {
		free(ct->email);
		ct->email = strv_new(n);
		for (size_t k = 0; k < n; k++) {
			if (!valid_email(str_of(v[k])))
				report_at(ld, v[k], "%s: email \"%s\" is not "
				    "an address (local@domain)", ctx,
				    str_of(v[k]));
			ct->email[k] = xstrdup(str_of(v[k]));
		}
		free(v);
	}
	if ((rc2 = get_str(&sc, "webhook", &s)) == 1) {
		if (!valid_url(s, web))
			bad_value(&sc, "webhook", "must be an http:// or "
			    "https:// URL (got \"%s\")", s);
		ct->webhook = xstrdup(s);
	}
	if (ct->email[0] == NULL && ct->webhook == NULL && rc >= 0 &&
	    rc2 >= 0)
		report_at(ld, g, "%s: has neither email nor webhook", ctx);
out:
	free(ctx);
}

static void
load_contacts(struct loader *ld)
{
	const config_setting_t *l = section(ld, "contacts", 0);
	const config_setting_t **id_sets;
	size_t n;

	if (l == NULL)
		return;
	n = (size_t)config_setting_length(l);
	ld->conf->contacts = xcalloc(n, sizeof(struct contact));
	id_sets = xcalloc(n, sizeof(*id_sets));
	for (size_t i = 0; i < n; i++) {
		load_contact(ld, config_setting_get_elem(l, (unsigned)i), i,
		    id_sets);
		ld->conf->ncontacts = i + 1;
	}
	free(id_sets);
}

/* A list of contact ids at `path`; *out gets copies (NULL-terminated). */
static int
get_contacts(struct scope *sc, const char *path, char ***out)
{
	const config_setting_t **v;
	size_t n;
	int rc = get_list(sc, path, &v, &n);

	if (rc <= 0)
		return rc;
	strv_free(*out);
	*out = strv_new(n);
	for (size_t k = 0; k < n; k++) {
		if (contact_index(sc->ld->conf, str_of(v[k])) < 0) {
			report_at(sc->ld, v[k], "%s: %s: unknown contact "
			    "\"%s\"", sc->found_ctx, path, str_of(v[k]));
			rc = -1;
		}
		(*out)[k] = xstrdup(str_of(v[k]));
	}
	free(v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Targets (and `defaults`, which holds the same keys) */

static void
def_clear(struct target_def *d)
{
	free((char *)d->pub.id);
	free((char *)d->pub.name);
	free((char *)d->pub.host);
	free(d->group);
	free(d->type);
	free(d->parent_id);
	strv_free(d->notify);
	free(d->file);
	memset(d, 0, sizeof(*d));
}

/*
 * The keys every target has.  `id` is NULL while `defaults` itself is
 * checked: then the values are only validated.
 */
static void
read_common(struct scope *sc, struct target_def *d, struct taux *ax,
    const char *id)
{
	const char *const *lists[] = { degraded_keys, NULL };
	const char *s;
	double num, interval = 60, timeout = 2.0;
	long v;
	int have_timeout, have_interval;
	const config_setting_t *timeout_set, *interval_set;
	const char *timeout_ctx, *interval_ctx;

	if (get_word(sc, "name", &s) == 1)
		d->pub.name = xstrdup(s);
	else if (id)
		d->pub.name = xstrdup(id);
	d->group = xstrdup(get_str(sc, "group", &s) == 1 ? s : "");
	if (get_word(sc, "host", &s) == 1) {
		if (has_space(s))
			bad_value(sc, "host", "must not contain blanks "
			    "(got \"%s\")", s);
		d->pub.host = xstrdup(s);
	}
	if (get_int(sc, "port", 1, 65535, &v) == 1)
		d->pub.port = (int)v;
	if (get_str(sc, "parent", &s) == 1 && *s &&
	    /* `defaults.parent` does not apply to the parent itself */
	    !(id && sc->found_ctx == sc->ctx[1] && strcmp(s, id) == 0)) {
		d->parent_id = xstrdup(s);
		if (ax) {
			ax->parent_set = sc->found;
			ax->parent_ctx = sc->found_ctx;
		}
	}

	have_interval = get_num(sc, "interval", 1, 86400, &num) == 1;
	interval_set = sc->found;
	interval_ctx = sc->found_ctx;
	if (have_interval)
		interval = num;
	have_timeout = get_num(sc, "timeout", 0, 86400, &num) == 1;
	timeout_set = sc->found;
	timeout_ctx = sc->found_ctx;
	if (have_timeout && num <= 0) {
		bad_value(sc, "timeout", "must be greater than 0 (got %g)",
		    num);
		have_timeout = 0;
	} else if (have_timeout)
		timeout = num;
	if ((have_timeout || have_interval) && timeout >= interval &&
	    (id || (have_timeout && have_interval))) {
		if (have_timeout)
			report_at(sc->ld, timeout_set, "%s: timeout (%g s) "
			    "must be less than interval (%g s)", timeout_ctx,
			    timeout, interval);
		else
			report_at(sc->ld, interval_set, "%s: interval (%g s) "
			    "must be greater than timeout (%g s)",
			    interval_ctx, interval, timeout);
	}
	d->pub.interval = interval;
	d->pub.timeout = timeout;

	d->pub.count = 20;
	if (get_int(sc, "count", 1, 1000, &v) == 1)
		d->pub.count = (unsigned)v;
	d->down_after = 3;
	if (get_int(sc, "down_after", 1, 100, &v) == 1)
		d->down_after = (int)v;
	d->up_after = 2;
	if (get_int(sc, "up_after", 1, 100, &v) == 1)
		d->up_after = (int)v;
	d->repeat_minutes = 0;
	if (get_int(sc, "repeat_minutes", 0, 10080, &v) == 1)
		d->repeat_minutes = (int)v;

	d->degraded.loss_pct = 5.0;
	d->degraded.rtt_ms = 300.0;
	d->degraded.jitter_ms = 50.0;
	if (check_keys_at(sc, "degraded", lists) == 0) {
		if (get_num(sc, "degraded.loss_pct", 0, 100, &num) == 1)
			d->degraded.loss_pct = num;
		if (get_num(sc, "degraded.rtt_ms", 0, 600000, &num) == 1)
			d->degraded.rtt_ms = num;
		if (get_num(sc, "degraded.jitter_ms", 0, 600000, &num) == 1)
			d->degraded.jitter_ms = num;
	}

	d->notify = strv_new(0);
	get_contacts(sc, "notify", &d->notify);
}

/* Keys every loaded probe accepts, for `defaults`. */
static const char **
all_probe_keys(void)
{
	const char **keys = NULL;
	size_t n = 0;

	for (const struct probe *p = probe_list(); p; p = p->next)
		for (size_t i = 0; p->ops->keys && p->ops->keys[i]; i++) {
			keys = xreallocarray(keys, n + 2, sizeof(*keys));
			keys[n++] = p->ops->keys[i];
			keys[n] = NULL;
		}
	return keys;
}

static void
unknown_type(struct scope *sc, const char *type)
{
	struct loader *ld = sc->ld;
	char *path = xasprintf("%s/%s.so", ld->conf->plugin_dir, type);

	if (access(path, R_OK) == 0)
		report_at(ld, sc->found, "%s: unknown type \"%s\": %s exists "
		    "but is not a usable tramon probe (see the log)",
		    sc->found_ctx, type, path);
	else
		report_at(ld, sc->found, "%s: unknown type \"%s\": no probe "
		    "plugin %s (%s)", sc->found_ctx, type, path,
		    strerror(errno));
	free(path);
}

/* The probe serving the type at `type` in the scope, or NULL. */
static const struct probe *
get_probe(struct scope *sc, int required, char **typep)
{
	const struct probe *p;
	const char *s;
	int rc = get_str(sc, "type", &s);

	if (rc == 0 && required)
		missing(sc, "type");
	if (rc != 1)
		return NULL;
	if (!valid_type(s)) {
		bad_value(sc, "type", "\"%s\" is not a probe name (a-z, 0-9 "
		    "and _)", s);
		return NULL;
	}
	if (typep)
		*typep = xstrdup(s);
	if ((p = probe_find(s)) == NULL)
		unknown_type(sc, s);
	return p;
}

static void
load_defaults(struct loader *ld)
{
	const config_setting_t *g = section(ld, "defaults", 1);
	struct scope sc = { ld, { g, NULL }, { "defaults", NULL }, g, NULL,
	    NULL };
	const char **pkeys = all_probe_keys();
	const char *const *lists[] = { target_keys + 1 /* no id */,
	    (const char *const *)pkeys, NULL };
	struct target_def scratch;

	ld->defaults = g;
	if (g == NULL) {
		free(pkeys);
		return;
	}
	check_keys(ld, g, "defaults", "", lists);
	memset(&scratch, 0, sizeof(scratch));
	get_probe(&sc, 0, NULL);
	read_common(&sc, &scratch, NULL, NULL);
	def_clear(&scratch);
	free(pkeys);
}

/* ------------------------------------------------------------------ */
/* Digest: FNV-1a over the effective settings, in a canonical order */

#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		h ^= *b++;
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t hash_merged(uint64_t, const config_setting_t *,
    const config_setting_t *, const char *const *const *);

static uint64_t
hash_tag(uint64_t h, char tag, size_t n)
{
	uint64_t len = n;

	h = fnv(h, &tag, 1);
	return fnv(h, &len, sizeof(len));
}

static uint64_t
hash_value(uint64_t h, const config_setting_t *s)
{
	const char *str;
	double d;
	int n;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
	case CONFIG_TYPE_FLOAT:
		/* 60 and 60.0 mean the same */
		d = config_setting_type(s) == CONFIG_TYPE_FLOAT ?
		    config_setting_get_float(s) :
		    (double)config_setting_get_int64(s);
		if (d == 0)
			d = 0;
		h = hash_tag(h, 'n', sizeof(d));
		return fnv(h, &d, sizeof(d));
	case CONFIG_TYPE_BOOL:
		return hash_tag(h, 'b', (size_t)config_setting_get_bool(s));
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		h = hash_tag(h, 's', strlen(str));
		return fnv(h, str, strlen(str));
	case CONFIG_TYPE_GROUP:
		return hash_merged(hash_tag(h, 'g', 0), s, NULL, NULL);
	default:
		n = config_setting_length(s);
		h = hash_tag(h, 'a', (size_t)n);
		for (int i = 0; i < n; i++)
			h = hash_value(h, config_setting_get_elem(s,
			    (unsigned)i));
		return h;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Hash group `a` with `b` behind it, leaf by leaf as lookups see them,
 * keys sorted; at this level only the keys in `only` (if given).
 */
static uint64_t
hash_merged(uint64_t h, const config_setting_t *a, const config_setting_t *b,
    const char *const *const *only)
{
	const config_setting_t *g[2] = { a, b };
	const char **names = NULL;
	size_t n = 0;

	for (int k = 0; k < 2; k++)
		for (int i = 0; g[k] && i < config_setting_length(g[k]); i++) {
			names = xreallocarray(names, n + 1, sizeof(*names));
			names[n++] = config_setting_name(
			    config_setting_get_elem(g[k], (unsigned)i));
		}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *x, *y;
		int ok = only == NULL;

		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		for (size_t l = 0; only && only[l] && !ok; l++)
			ok = in_list(names[i], only[l]);
		if (!ok)
			continue;
		x = a ? config_setting_get_member(a, names[i]) : NULL;
		y = b ? config_setting_get_member(b, names[i]) : NULL;
		if (x && !config_setting_is_group(x))
			y = NULL;
		if (y && !config_setting_is_group(y))
			y = x ? NULL : y;
		h = hash_tag(h, 'k', strlen(names[i]));
		h = fnv(h, names[i], strlen(names[i]));
		if ((x == NULL || config_setting_is_group(x)) &&
		    (y == NULL || config_setting_is_group(y)))
			h = hash_merged(hash_tag(h, 'g', 0), x, y, NULL);
		else
			h = hash_value(h, x ? x : y);
	}
	free(names);
	return h;
}

/* ------------------------------------------------------------------ */
/* The probes' view: struct tm_host cfg_* */

static void
cfg_release(struct tm_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nlists; i++)
		free(cfg->lists[i]);
	free(cfg->lists);
	cfg->lists = NULL;
	cfg->nlists = 0;
}

int
conf_cfg_string(struct tm_cfg *cfg, const char *path, const char **out)
{
	return get_str(&cfg->sc, path, out);
}

int
conf_cfg_int(struct tm_cfg *cfg, const char *path, long *out, long min,
    long max)
{
	return get_int(&cfg->sc, path, min, max, out);
}

int
conf_cfg_double(struct tm_cfg *cfg, const char *path, double *out,
    double min, double max)
{
	return get_num(&cfg->sc, path, min, max, out);
}

int
conf_cfg_bool(struct tm_cfg *cfg, const char *path, int *out)
{
	return get_bool(&cfg->sc, path, out);
}

int
conf_cfg_strings(struct tm_cfg *cfg, const char *path,
    const char *const **out, size_t *np)
{
	const config_setting_t **v;
	const char **strs;
	size_t n;
	int rc = get_list(&cfg->sc, path, &v, &n);

	if (rc <= 0)
		return rc;
	strs = xcalloc(n + 1, sizeof(*strs));
	for (size_t i = 0; i < n; i++)
		strs[i] = str_of(v[i]);
	free(v);
	cfg->lists = xreallocarray(cfg->lists, cfg->nlists + 1,
	    sizeof(*cfg->lists));
	cfg->lists[cfg->nlists++] = strs;
	*out = strs;
	if (np)
		*np = n;
	return 1;
}

void
conf_cfg_error(struct tm_cfg *cfg, const char *path, const char *fmt, ...)
{
	struct scope *sc = &cfg->sc;
	const config_setting_t *at = sc->anchor;
	va_list ap;
	char *msg;

	for (int k = 0; path && k < 2; k++) {
		const config_setting_t *s, *blocker;
		size_t blen;

		if (sc->set[k] && (s = walk(sc->set[k], path, &blocker,
		    &blen)) != NULL) {
			at = s;
			break;
		}
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	report_at(sc->ld, at, "%s: %s", sc->ctx[0], msg);
	free(msg);
}

/* An integer, or an array/list of them (e.g. http's expect_status). */
int
conf_cfg_ints(struct tm_cfg *cfg, const char *path, const long **out,
    size_t *np, long min, long max)
{
	struct scope *sc = &cfg->sc;
	const config_setting_t *e;
	long *v;
	int rc = find(sc, path), n, bad = 0;

	if (rc <= 0)
		return rc;
	switch (config_setting_type(sc->found)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		n = 1;
		break;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		if ((n = config_setting_length(sc->found)) > 0)
			break;
		bad_value(sc, path, "must not be empty");
		return -1;
	default:
		return bad_type(sc, path, E_INTLIST);
	}
	v = xcalloc((size_t)n, sizeof(*v));
	for (int i = 0; i < n; i++) {
		long long x;
		char *what;

		e = config_setting_is_scalar(sc->found) ? sc->found :
		    config_setting_get_elem(sc->found, (unsigned)i);
		what = config_setting_is_scalar(sc->found) ? xstrdup(path) :
		    xasprintf("%s[%d]", path, i);
		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64) {
			wrong_type(sc->ld, e, sc->found_ctx, what, E_INT);
			bad = 1;
		} else if ((x = config_setting_get_int64(e)) < min ||
		    x > max) {
			report_at(sc->ld, e, "%s: %s must be between %ld and "
			    "%ld (got %lld)", sc->found_ctx, what, min, max, x);
			bad = 1;
		} else
			v[i] = (long)x;
		free(what);
	}
	if (bad) {
		free(v);
		return -1;
	}
	cfg->lists = xreallocarray(cfg->lists, cfg->nlists + 1,
	    sizeof(*cfg->lists));
	cfg->lists[cfg->nlists++] = v;
	*out = v;
	if (np)
		*np = (size_t)n;
	return 1;
}

int
conf_cfg_check_keys(struct tm_cfg *cfg, const char *path,
    const char *const *allowed)
{
	const char *const *lists[] = { allowed, NULL };

	return check_keys_at(&cfg->sc, path, lists);
}

/* ------------------------------------------------------------------ */
/* targets = ( ... ) */

static int
target_id(struct loader *ld, const config_setting_t *t, size_t i,
    struct target_def *d, struct taux *ax)
{
	struct scope sc = { ld, { t, NULL }, { ax->ctx, NULL }, t, NULL,
	    NULL };
	const char *s;
	int rc, first;

	if ((rc = get_str(&sc, "id", &s)) == 0)
		missing(&sc, "id");
	if (rc != 1)
		return -1;
	if (!valid_id(s)) {
		bad_value(&sc, "id", "\"%s\" is not a valid id: use a-z, 0-9, "
		    "- and _, starting with a letter or digit, at most %d "
		    "characters", s, ID_MAX);
		return -1;
	}
	if ((first = conf_target_index(ld->conf, s)) >= 0 &&
	    (size_t)first < i) {
		report_at(ld, sc.found, "duplicate target id \"%s\" (first "
		    "defined at %s:%d)", s, src_file(ld, ld->aux[first].id_set),
		    config_setting_source_line(ld->aux[first].id_set));
	}
	d->pub.id = xstrdup(s);
	ax->id_set = sc.found;
	free(ax->ctx);
	ax->ctx = xasprintf("target \"%s\"", s);
	return 0;
}

static void
load_target(struct loader *ld, const config_setting_t *t, size_t i)
{
	struct target_def *d = &ld->conf->targets[i];
	struct taux *ax = &ld->aux[i];
	const struct probe *p;
	struct scope sc;
	struct tm_cfg cfg;
	unsigned before = ld->problems;
	const char *const *lists[] = { target_keys, NULL, NULL };

	d->parent = -1;
	d->file = xstrdup(src_file(ld, t));
	d->line = config_setting_source_line(t);
	ax->ctx = xasprintf("targets[%zu]", i);
	if (!config_setting_is_group(t)) {
		wrong_type(ld, t, "targets", ax->ctx, E_GROUP);
		return;
	}
	target_id(ld, t, i, d, ax);
	sc = (struct scope){ ld, { t, ld->defaults }, { ax->ctx, "defaults" },
	    t, NULL, NULL };
	p = get_probe(&sc, 1, &d->type);
	/* Without its probe we cannot tell its keys from typos. */
	if (p) {
		lists[1] = p->ops->keys;
		check_keys(ld, t, ax->ctx, "", lists);
	}
	read_common(&sc, d, ax, d->pub.id ? d->pub.id : "");
	d->probe = p;
	d->digest = hash_merged(FNV_BASIS, t, ld->defaults, lists);
	if (p == NULL || ld->problems != before || d->pub.id == NULL)
		return;

	memset(&cfg, 0, sizeof(cfg));
	cfg.sc = sc;
	d->probe_conf = p->ops->configure(probe_host(), &cfg, &d->pub);
	if (d->probe_conf == NULL && ld->problems == before)
		report_at(ld, t, "%s: rejected by the %s probe", ax->ctx,
		    p->ops->name);
	cfg_release(&cfg);
}

static void
resolve_parents(struct loader *ld)
{
	struct conf *c = ld->conf;

	for (size_t i = 0; i < c->ntargets; i++) {
		struct target_def *d = &c->targets[i];
		struct taux *ax = &ld->aux[i];
		int j;

		if (d->parent_id == NULL || ax->parent_set == NULL)
			continue;
		j = conf_target_index(c, d->parent_id);
		if (j < 0)
			report_at(ld, ax->parent_set, "%s: unknown parent "
			    "\"%s\"", ax->parent_ctx, d->parent_id);
		else if ((size_t)j == i)
			report_at(ld, ax->parent_set, "%s: a target cannot be "
			    "its own parent", ax->ctx);
		else
			d->parent = j;
	}
}

/* Report each cycle of `parent` links once, from its first target. */
static void
find_cycles(struct loader *ld)
{
	struct conf *c = ld->conf;
	size_t n = c->ntargets, len;
	char *state = xcalloc(n ? n : 1, 1);	/* 0 new, 1 on path, 2 done */
	int *path = xcalloc(n ? n : 1, sizeof(int));

	for (size_t i = 0; i < n; i++) {
		int j = (int)i;

		len = 0;
		while (j >= 0 && state[j] == 0) {
			state[j] = 1;
			path[len++] = j;
			j = c->targets[j].parent;
		}
		if (j >= 0 && state[j] == 1) {
			size_t from = 0, first;
			char *msg, *t;

			while (path[from] != j)
				from++;
			first = from;
			for (size_t k = from; k < len; k++)
				if (path[k] < path[first])
					first = k;
			msg = xstrdup(c->targets[path[first]].pub.id);
			for (size_t k = 1; k <= len - from; k++) {
				size_t at = from + (first - from + k) %
				    (len - from);

				t = xasprintf("%s -> %s", msg,
				    c->targets[path[at]].pub.id);
				free(msg);
				msg = t;
			}
			report_at(ld, ld->aux[path[first]].parent_set,
			    "parent cycle: %s", msg);
			free(msg);
		}
		for (size_t k = 0; k < len; k++)
			state[path[k]] = 2;
	}
	free(path);
	free(state);
}

static void
load_targets(struct loader *ld)
{
	const config_setting_t *l = section(ld, "targets", 0);
	struct conf *c = ld->conf;
	size_t n;

	if (l == NULL)
		return;
	n = (size_t)config_setting_length(l);
	c->targets = xcalloc(n, sizeof(*c->targets));
	ld->aux = xcalloc(n, sizeof(*ld->aux));
	for (size_t i = 0; i < n; i++) {
		c->ntargets = i + 1;
		load_target(ld, config_setting_get_elem(l, (unsigned)i), i);
	}
	resolve_parents(ld);
	find_cycles(ld);
}

/* ------------------------------------------------------------------ */
/* Times: maintenance, meetings, reports */

/* Digits at s[0..n-1] as a number, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "HH:MM" -> minutes after midnight; "24:00" only if allow_24. */
static int
parse_hhmm(const char *s, int allow_24)
{
	int h = digits(s, 2), m;

	if (h < 0 || s[2] != ':' || (m = digits(s + 3, 2)) < 0 || m > 59)
		return -1;
	if (h == 24 && m == 0 && allow_24)
		return 1440;
	return h > 23 ? -1 : h * 60 + m;
}

/* "YYYY-MM-DD HH:MM" in the current TZ; -1 if malformed or no such
 * local time. */
static int
parse_datetime(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, hm;
	time_t t;

	if (strlen(s) != 16 || (y = digits(s, 4)) < 1970 || s[4] != '-' ||
	    (mo = digits(s + 5, 2)) < 1 || mo > 12 || s[7] != '-' ||
	    (d = digits(s + 8, 2)) < 1 || d > 31 || s[10] != ' ' ||
	    (hm = parse_hhmm(s + 11, 0)) < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hm / 60;
	tm.tm_min = hm % 60;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	/* mktime() quietly turns 02-30 into 03-02 */
	if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
	    tm.tm_hour != hm / 60 || tm.tm_min != hm % 60)
		return -1;
	*out = t;
	return 0;
}

/* "sun 02:00" (end = NULL) or "sun 02:00-03:00". */
static int
parse_weekly(const char *s, int *wday, int *start, int *end)
{
	int day = -1;

	for (int i = 0; wdays[i]; i++)
		if (strncmp(s, wdays[i], 3) == 0)
			day = i;
	if (day < 0 || s[3] != ' ' || (*start = parse_hhmm(s + 4, 0)) < 0)
		return -1;
	*wday = day;
	if (end == NULL)
		return s[9] == '\0' ? 0 : -1;
	if (s[9] != '-' || (*end = parse_hhmm(s + 10, 1)) < 0 ||
	    s[15] != '\0' || *end <= *start)
		return -1;
	return 0;
}

/* Target ids or "*" at `path`; *out gets copies. */
static void
get_target_refs(struct scope *sc, const char *path, char ***out)
{
	const config_setting_t **v;
	size_t n;
	int rc = get_list(sc, path, &v, &n);

	if (rc == 0)
		missing(sc, path);
	if (rc != 1)
		return;
	if (n == 0)
		report_at(sc->ld, sc->found, "%s: %s is empty", sc->found_ctx,
		    path);
	strv_free(*out);
	*out = strv_new(n);
	for (size_t k = 0; k < n; k++) {
		const char *id = str_of(v[k]);

		if (strcmp(id, "*") != 0 &&
		    conf_target_index(sc->ld->conf, id) < 0)
			report_at(sc->ld, v[k], "%s: %s: unknown target \"%s\"",
			    sc->found_ctx, path, id);
		(*out)[k] = xstrdup(id);
	}
	free(v);
}

static void
load_maint(struct loader *ld, const config_setting_t *g, size_t i)
{
	const char *const *lists[] = { maint_keys, NULL };
	struct maint_def *m = &ld->conf->maintenance[i];
	char *ctx = xasprintf("maintenance[%zu]", i);
	struct scope sc = { ld, { g, NULL }, { ctx, NULL }, g, NULL, NULL };
	const config_setting_t *from_set = NULL;
	const char *s;
	int has_from, has_to, has_weekly;

	m->targets = strv_new(0);
	if (!config_setting_is_group(g)) {
		wrong_type(ld, g, "maintenance", ctx, E_GROUP);
		free(ctx);
		return;
	}
	check_keys(ld, g, ctx, "", lists);
	get_target_refs(&sc, "targets", &m->targets);
	if (get_str(&sc, "reason", &s) == 1)
		m->reason = xstrdup(s);
	else
		m->reason = xstrdup("");
	has_weekly = get_str(&sc, "weekly", &s);
	if (has_weekly == 1) {
		m->weekly = 1;
		if (parse_weekly(s, &m->wday, &m->start_min, &m->end_min) < 0)
			bad_value(&sc, "weekly", "must be \"DAY HH:MM-HH:MM\" "
			    "with DAY one of sun, mon, ..., sat and the end "
			    "after the start, e.g. \"sun 02:00-03:00\" (got "
			    "\"%s\")", s);
	}
	has_from = get_str(&sc, "from", &s);
	if (has_from == 1) {
		from_set = sc.found;
		if (parse_datetime(s, &m->from) < 0) {
			bad_value(&sc, "from", "must be \"YYYY-MM-DD HH:MM\", "
			    "a time that exists in %s (got \"%s\")",
			    ld->conf->timezone, s);
			has_from = -1;
		}
	}
	has_to = get_str(&sc, "to", &s);
	if (has_to == 1 && parse_datetime(s, &m->to) < 0) {
		bad_value(&sc, "to", "must be \"YYYY-MM-DD HH:MM\", a time "
		    "that exists in %s (got \"%s\")", ld->conf->timezone, s);
		has_to = -1;
	}
	if (has_weekly != 0 && (has_from != 0 || has_to != 0))
		report_at(ld, g, "%s: give either weekly or from and to, not "
		    "both", ctx);
	else if (has_weekly == 0 && has_from == 0 && has_to == 0)
		report_at(ld, g, "%s: needs weekly = \"DAY HH:MM-HH:MM\" or "
		    "from and to = \"YYYY-MM-DD HH:MM\"", ctx);
	else if (has_weekly == 0 && has_from == 0)
		missing(&sc, "from");
	else if (has_weekly == 0 && has_to == 0)
		missing(&sc, "to");
	else if (has_from == 1 && has_to == 1 && m->to <= m->from)
		report_at(ld, sc.found, "%s: to (%s) must be after from (%s)",
		    ctx, s, str_of(from_set));
	free(ctx);
}

static void
load_meeting(struct loader *ld, const config_setting_t *g, size_t i)
{
	const char *const *lists[] = { meeting_keys, NULL };
	struct meeting_def *m = &ld->conf->meetings[i];
	char *ctx = xasprintf("meetings[%zu]", i);
	struct scope sc = { ld, { g, NULL }, { ctx, NULL }, g, NULL, NULL };
	struct scope dsc = { ld, { ld->defaults, NULL }, { "defaults", NULL },
	    ld->defaults, NULL, NULL };
	const char *s;
	double num;
	long v;
	int has_from, has_weekly;

	m->targets = strv_new(0);
	m->notify = strv_new(0);
	m->check_before = 30;
	m->duration = 3;
	/* what a video conference stands: the usual advice for H.323/SIP */
	m->max.loss_pct = 2;
	m->max.rtt_ms = 300;
	m->max.jitter_ms = 30;
	if (!config_setting_is_group(g)) {
		wrong_type(ld, g, "meetings", ctx, E_GROUP);
		free(ctx);
		return;
	}
	check_keys(ld, g, ctx, "", lists);
	if (get_word(&sc, "name", &s) == 1)
		m->name = xstrdup(s);
	else if (sc.found == NULL)
		missing(&sc, "name");
	get_target_refs(&sc, "targets", &m->targets);
	if (get_int(&sc, "check_before", 0, 1440, &v) == 1)
		m->check_before = (int)v;
	if (get_int(&sc, "duration", 1, 30, &v) == 1)
		m->duration = (int)v;
	if (get_num(&sc, "max_loss_pct", 0, 100, &num) == 1)
		m->max.loss_pct = num;
	if (get_num(&sc, "max_rtt_ms", 0, 600000, &num) == 1)
		m->max.rtt_ms = num;
	if (get_num(&sc, "max_jitter_ms", 0, 600000, &num) == 1)
		m->max.jitter_ms = num;
	/* without its own list it goes where target alerts go */
	if (get_contacts(&sc, "notify", &m->notify) == 0 && ld->defaults)
		get_contacts(&dsc, "notify", &m->notify);
	has_weekly = get_str(&sc, "weekly", &s);
	if (has_weekly == 1) {
		m->weekly = 1;
		if (parse_weekly(s, &m->wday, &m->start_min, NULL) < 0)
			bad_value(&sc, "weekly", "must be \"DAY HH:MM\" with "
			    "DAY one of sun, mon, ..., sat, e.g. \"mon 07:30\" "
			    "(got \"%s\")", s);
	}
	has_from = get_str(&sc, "from", &s);
	if (has_from == 1 && parse_datetime(s, &m->from) < 0)
		bad_value(&sc, "from", "must be \"YYYY-MM-DD HH:MM\", a time "
		    "that exists in %s (got \"%s\")", ld->conf->timezone, s);
	if (has_weekly != 0 && has_from != 0)
		report_at(ld, g, "%s: give either weekly or from, not both",
		    ctx);
	else if (has_weekly == 0 && has_from == 0)
		report_at(ld, g, "%s: needs weekly = \"DAY HH:MM\" or from = "
		    "\"YYYY-MM-DD HH:MM\"", ctx);
	free(ctx);
}

static void
load_schedules(struct loader *ld)
{
	const config_setting_t *ml = section(ld, "maintenance", 0);
	const config_setting_t *mt = section(ld, "meetings", 0);
	struct conf *c = ld->conf;
	struct tz_save z;

	tz_enter(&z, c->timezone);
	if (ml) {
		size_t n = (size_t)config_setting_length(ml);

		c->maintenance = xcalloc(n, sizeof(*c->maintenance));
		for (size_t i = 0; i < n; i++) {
			c->nmaintenance = i + 1;
			load_maint(ld, config_setting_get_elem(ml, (unsigned)i),
			    i);
		}
	}
	if (mt) {
		size_t n = (size_t)config_setting_length(mt);

		c->meetings = xcalloc(n, sizeof(*c->meetings));
		for (size_t i = 0; i < n; i++) {
			c->nmeetings = i + 1;
			load_meeting(ld, config_setting_get_elem(mt,
			    (unsigned)i), i);
		}
	}
	tz_leave(&z);
}

/*
 * A meeting check probes its targets every MEETING_INTERVAL_S at most.
 * Probes derive their pacing from the interval when configured (ping
 * spreads its echoes over it), so each target a meeting names gets a
 * second configure() with the shorter interval: probe data of its own,
 * whose rounds never mix with the target's regular ones.
 */
static void
meeting_probe(struct loader *ld, const config_setting_t *tl, int i)
{
	struct target_def *d = &ld->conf->targets[i];
	struct tm_cfg cfg;

	if (d->meet_conf || d->probe == NULL || d->probe_conf == NULL)
		return;
	d->meet_pub = d->pub;
	if (d->pub.interval > MEETING_INTERVAL_S &&
	    d->pub.timeout < MEETING_INTERVAL_S)
		d->meet_pub.interval = MEETING_INTERVAL_S;
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc = (struct scope){ ld, { config_setting_get_elem(tl,
	    (unsigned)i), ld->defaults }, { ld->aux[i].ctx, "defaults" },
	    config_setting_get_elem(tl, (unsigned)i), NULL, NULL };
	d->meet_conf = d->probe->ops->configure(probe_host(), &cfg,
	    &d->meet_pub);
	cfg_release(&cfg);
	if (d->meet_conf == NULL)
		report_at(ld, cfg.sc.anchor, "%s: rejected by the %s probe for "
		    "a meeting check (interval %g s)", ld->aux[i].ctx,
		    d->probe->ops->name, d->meet_pub.interval);
}

static void
meeting_probes(struct loader *ld)
{
	const config_setting_t *tl = section(ld, "targets", 0);
	struct conf *c = ld->conf;

	if (ld->problems > 0 || tl == NULL)
		return;
	for (size_t k = 0; k < c->nmeetings; k++)
		for (char **id = c->meetings[k].targets; id && *id; id++)
			for (size_t i = 0; i < c->ntargets; i++)
				if (strcmp(*id, "*") == 0 ||
				    strcmp(*id, c->targets[i].pub.id) == 0)
					meeting_probe(ld, tl, (int)i);
}

static void
load_reports(struct loader *ld)
{
	const config_setting_t *g = section(ld, "reports", 1);
	struct scope sc = { ld, { g, NULL }, { "reports", NULL }, g, NULL,
	    NULL };
	const char *const *lists[] = { report_keys, NULL };
	struct reports_conf *r = &ld->conf->reports;
	const config_setting_t **v;
	const char *s;
	double num;
	size_t n;
	int b, t;

	ld->conf->reports_present = g != NULL;
	r->monthly = g != NULL;
	r->time_min = 7 * 60;
	r->send_to = strv_new(0);
	r->formats = strv_new(2);
	r->formats[0] = xstrdup("html");
	r->formats[1] = xstrdup("csv");
	r->sla_pct = 99.0;
	if (g == NULL)
		return;
	check_keys(ld, g, "reports", "", lists);
	if (get_bool(&sc, "monthly", &b) == 1)
		r->monthly = b;
	if (get_str(&sc, "time", &s) == 1) {
		if ((t = parse_hhmm(s, 0)) < 0 || s[5] != '\0')
			bad_value(&sc, "time", "must be \"HH:MM\" (got \"%s\")",
			    s);
		else
			r->time_min = t;
	}
	get_contacts(&sc, "send_to", &r->send_to);
	if (get_list(&sc, "formats", &v, &n) == 1) {
		char *words = word_list(report_formats);

		strv_free(r->formats);
		r->formats = strv_new(n);
		for (size_t k = 0; k < n; k++) {
			const char *f = str_of(v[k]);

			if (!in_list(f, report_formats))
				report_at(ld, v[k], "reports: formats: \"%s\" "
				    "is not one of %s", f, words);
			else if (in_list(f, (const char *const *)r->formats))
				report_at(ld, v[k], "reports: formats: \"%s\" "
				    "is listed twice", f);
			r->formats[k] = xstrdup(f);
		}
		free(words);
		free(v);
	}
	if (get_num(&sc, "sla_pct", 0, 100, &num) == 1)
		r->sla_pct = num;
}

/* ------------------------------------------------------------------ */

int
conf_target_index(const struct conf *c, const char *id)
{
	for (size_t i = 0; i < c->ntargets; i++)
		if (c->targets[i].pub.id && strcmp(c->targets[i].pub.id,
		    id) == 0)
			return (int)i;
	return -1;
}

/* The main file's directory, absolute, for includes and paths. */
static char *
conf_dir(const char *path)
{
	char *copy = xstrdup(path), *dir, *abs;

	dir = dirname(copy);
	if ((abs = realpath(dir, NULL)) == NULL)
		abs = xstrdup(dir);
	free(copy);
	return abs;
}

static void __attribute__((format(printf, 4, 5)))
report_file(struct loader *ld, const char *file, int line, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, file, line, fmt, ap);
	va_end(ap);
}

static int
parse(struct loader *ld, const char *path)
{
	const char *file;
	struct stat st;

	/* libconfig keeps no errno for a file it cannot read */
	if (stat(path, &st) == -1 || access(path, R_OK) == -1) {
		report_file(ld, path, 0, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		report_file(ld, path, 0, "cannot read: %s", strerror(EISDIR));
		return -1;
	}
	ld->dir = conf_dir(path);
	config_set_include_dir(&ld->cf, ld->dir);
	if (config_read_file(&ld->cf, path))
		return 0;
	file = config_error_file(&ld->cf);
	if (config_error_type(&ld->cf) == CONFIG_ERR_FILE_IO)
		report_file(ld, file ? file : path, 0, "cannot read: %s",
		    config_error_text(&ld->cf));
	else
		report_file(ld, file ? file : path, config_error_line(&ld->cf),
		    "%s", config_error_text(&ld->cf));
	return -1;
}

struct conf *
conf_load(const char *path, conf_error_fn *errfn, void *arg)
{
	struct loader ld;
	struct conf *c;

	memset(&ld, 0, sizeof(ld));
	ld.errfn = errfn;
	ld.errarg = arg;
	ld.conf = c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	config_init(&ld.cf);

	if (parse(&ld, path) == 0) {
		check_text(&ld, config_root_setting(&ld.cf), "");
		check_sections(&ld);
		load_daemon(&ld);
		probe_load_dir(c->plugin_dir);
		load_smtp(&ld);
		load_contacts(&ld);
		load_defaults(&ld);
		load_targets(&ld);
		load_schedules(&ld);
		load_reports(&ld);
		meeting_probes(&ld);
	}

	for (size_t i = 0; i < c->ntargets && ld.aux; i++)
		free(ld.aux[i].ctx);
	free(ld.aux);
	config_destroy(&ld.cf);
	free(ld.dir);
	flush_reports(&ld);
	if (ld.problems > 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

char *
conf_url(const struct conf *c, const char *path)
{
	size_t n;

	if (c->base_url == NULL || *c->base_url == '\0')
		return NULL;
	n = strlen(c->base_url);
	return xasprintf("%s%s%s", c->base_url, c->base_url[n - 1] == '/' ?
	    "" : "/", path);
}

struct conf *
conf_hold(struct conf *c)
{
	c->holds++;
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	if (c->holds > 0) {
		c->holds--;
		return;
	}
	for (size_t i = 0; i < c->ntargets; i++) {
		struct target_def *d = &c->targets[i];

		if (d->probe && d->probe_conf)
			d->probe->ops->release(d->probe_conf);
		if (d->probe && d->meet_conf)
			d->probe->ops->release(d->meet_conf);
		def_clear(d);
	}
	free(c->targets);
	for (size_t i = 0; i < c->ncontacts; i++) {
		free(c->contacts[i].id);
		free(c->contacts[i].name);
		strv_free(c->contacts[i].email);
		free(c->contacts[i].webhook);
	}
	free(c->contacts);
	for (size_t i = 0; i < c->nmaintenance; i++) {
		strv_free(c->maintenance[i].targets);
		free(c->maintenance[i].reason);
	}
	free(c->maintenance);
	for (size_t i = 0; i < c->nmeetings; i++) {
		free(c->meetings[i].name);
		strv_free(c->meetings[i].targets);
		strv_free(c->meetings[i].notify);
	}
	free(c->meetings);
	strv_free(c->reports.send_to);
	strv_free(c->reports.formats);
	free(c->smtp.url);
	free(c->smtp.username);
	free(c->smtp.password_file);
	free(c->smtp.from);
	free(c->smtp.ca_file);
	free(c->path);
	free(c->name);
	free(c->base_url);
	free(c->state_dir);
	free(c->web_dir);
	free(c->plugin_dir);
	free(c->user);
	free(c->timezone);
	free(c->http_listen);
	free(c->rrdcached);
	free(c->rrdcached_base);
	free(c->rrdcached_dir);
	free(c->control_socket);
	free(c);
}
