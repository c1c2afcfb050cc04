#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/dns.h>

#include "conf.h"
#include "curlev.h"
#include "log.h"
#include "probe.h"
#include "scheduler.h"
#include "util.h"

static struct probe *probes;
static struct tm_host host;
static struct evdns_base *dns;

/* The probes' libcurl transfers: one multi handle on the loop, made at
 * the first transfer.  A probe's done() has its own signature (no
 * curl.h in plugin.h): each running transfer has one of these. */
struct ptransfer {
	CURL *easy;
	void (*done)(void *, void *, int);
	void *arg;
	struct ptransfer *prev, *next;
};
static struct curlev *cv;
static struct ptransfer *transfers;

static void
host_log(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(priority, fmt, ap);
	va_end(ap);
}

static void
host_round_event(struct tm_round *round, const char *kind,
    const char *instance, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sched_round_event(round, kind, instance, text);
}

/* One resolver for every probe: /etc/resolv.conf is read once, at the
 * first name, and the resolver sleeps while no request is pending. */
static struct evdns_base *
host_resolver(void)
{
	if (dns == NULL && host.base != NULL) {
		dns = evdns_base_new(host.base,
		    EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (dns == NULL) {
			log_warnx("cannot set up the resolver from "
			    "/etc/resolv.conf: host names cannot be resolved");
			return NULL;
		}
		evdns_base_set_option(dns, "timeout:", "3");
		evdns_base_set_option(dns, "attempts:", "2");
	}
	return dns;
}

static void
pt_unlink(struct ptransfer *pt)
{
	if (pt->prev != NULL)
		pt->prev->next = pt->next;
	else
		transfers = pt->next;
	if (pt->next != NULL)
		pt->next->prev = pt->prev;
}

/* curlev: a probe's transfer ended. */
static void
pt_done(void *arg, CURL *easy, CURLcode rc)
{
	struct ptransfer *pt = arg;
	void (*done)(void *, void *, int) = pt->done;
	void *darg = pt->arg;

	pt_unlink(pt);
	free(pt);
	done(darg, easy, (int)rc);
}

static void
host_curl_add(void *easy, void (*done)(void *, void *, int), void *arg)
{
	struct ptransfer *pt = xcalloc(1, sizeof(*pt));

	if (cv == NULL && (cv = curlev_new(host.base)) == NULL)
		fatalx("cannot drive libcurl on the event loop");
	pt->easy = easy;
	pt->done = done;
	pt->arg = arg;
	pt->next = transfers;
	if (transfers != NULL)
		transfers->prev = pt;
	transfers = pt;
	curlev_add(cv, easy, pt_done, pt);
}

static void
host_curl_remove(void *easy)
{
	struct ptransfer *pt;

	for (pt = transfers; pt != NULL && pt->easy != easy; pt = pt->next)
		;
	if (pt == NULL)
		return;
	curlev_remove(cv, easy);
	pt_unlink(pt);
	free(pt);
}

static void
host_curl_describe(void *easy, int rc, const char *errbuf, char *out,
    size_t len)
{
	curlev_describe(easy, (CURLcode)rc, errbuf, out, len);
}

const struct tm_host *
probe_host(void)
{
	if (host.abi == 0) {
		host.abi = TM_PLUGIN_ABI;
		host.log = host_log;
		host.round_done = sched_round_done;
		host.resolver = host_resolver;
		host.round_event = host_round_event;
		host.cfg_string = conf_cfg_string;
		host.cfg_int = conf_cfg_int;
		host.cfg_double = conf_cfg_double;
		host.cfg_bool = conf_cfg_bool;
		host.cfg_strings = conf_cfg_strings;
		host.cfg_error = conf_cfg_error;
		host.cfg_check_keys = conf_cfg_check_keys;
		host.cfg_ints = conf_cfg_ints;
		host.curl_add = host_curl_add;
		host.curl_remove = host_curl_remove;
		host.curl_describe = host_curl_describe;
	}
	return &host;
}

const struct probe *
probe_find(const char *type)
{
	for (const struct probe *p = probes; p; p = p->next)
		if (strcmp(p->ops->name, type) == 0)
			return p;
	return NULL;
}

const struct probe *
probe_list(void)
{
	return probes;
}

static int
valid_ops(const struct tm_probe_ops *ops, const char *path)
{
	if (ops->abi != TM_PLUGIN_ABI) {
		log_warnx("%s: plugin ABI %u, tramond speaks %u: skipped",
		    path, ops->abi, TM_PLUGIN_ABI);
		return 0;
	}
	if (ops->name == NULL || ops->configure == NULL ||
	    ops->start == NULL || ops->cancel == NULL ||
	    ops->release == NULL) {
		log_warnx("%s: incomplete plugin: skipped", path);
		return 0;
	}
	if ((ops->nvalues > 0 && ops->values == NULL) ||
	    (ops->nivalues > 0 && ops->ivalues == NULL)) {
		log_warnx("%s: plugin declares values without names: skipped",
		    path);
		return 0;
	}
	if (ops->nivalues > 0 && (ops->instance_kind == NULL ||
	    ops->instance_label == NULL || ops->instance_list == NULL)) {
		log_warnx("%s: plugin has instances without kind, label and "
		    "list names: skipped", path);
		return 0;
	}
	if (probe_find(ops->name)) {
		log_warnx("%s: a probe \"%s\" is already loaded: skipped",
		    path, ops->name);
		return 0;
	}
	return 1;
}

static void
load_one(const char *path)
{
	const struct tm_probe_ops *ops;
	struct probe *p;
	void *h;

	for (p = probes; p; p = p->next)
		if (strcmp(p->path, path) == 0)
			return;
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("cannot load plugin %s", dlerror());
		return;
	}
	if ((ops = dlsym(h, "tramon_probe")) == NULL) {
		log_warnx("%s: no tramon_probe symbol: not a tramon plugin",
		    path);
		dlclose(h);
		return;
	}
	if (!valid_ops(ops, path)) {
		dlclose(h);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->ops = ops;
	p->path = xstrdup(path);
	p->handle = h;
	p->next = probes;
	probes = p;
	log_debug("loaded probe %s from %s", ops->name, path);
}

int
probe_load_dir(const char *dir)
{
	struct dirent **names;
	int n, count = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) == -1) {
		log_warn("plugin directory %s", dir);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);

		if (len > 3 && strcmp(names[i]->d_name + len - 3, ".so") == 0) {
			char *path = xasprintf("%s/%s", dir, names[i]->d_name);

			load_one(path);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	for (const struct probe *p = probes; p; p = p->next)
		count++;
	return count;
}

int
probe_init_all(struct event_base *base, const char *const *needed)
{
	int rc = 0;

	probe_host();
	host.base = base;
	for (struct probe *p = probes; p; p = p->next) {
		int ok;

		if (p->initialised)
			continue;
		ok = p->ops->init == NULL || p->ops->init(&host) == 0;
		if (ok) {
			p->initialised = 1;
			continue;
		}
		for (size_t i = 0; needed && needed[i]; i++)
			if (strcmp(needed[i], p->ops->name) == 0) {
				log_warnx("probe %s is needed but could not "
				    "start", p->ops->name);
				rc = -1;
			}
	}
	return rc;
}

void
probe_unload_all(void)
{
	for (struct probe *p = probes; p; p = p->next)
		if (p->initialised && p->ops->shutdown) {
			p->ops->shutdown();
			p->initialised = 0;
		}
	/* the probes removed their transfers (release(), shutdown()) */
	if (transfers != NULL)
		log_warnx("a probe left libcurl transfers running at "
		    "shutdown");
	while (transfers != NULL) {
		struct ptransfer *pt = transfers;

		curlev_remove(cv, pt->easy);
		pt_unlink(pt);
		free(pt);
	}
	if (cv != NULL) {
		curlev_free(cv);
		cv = NULL;
	}
	if (dns != NULL) {	/* the probes cancelled their requests */
		evdns_base_free(dns, 0);
		dns = NULL;
	}
	while (probes) {
		struct probe *p = probes;

		probes = p->next;
		if (p->initialised && p->ops->shutdown) {
				p->ops->shutdown();
			}
		/* Under AddressSanitizer a closed module's frames can no
		 * longer be symbolised in leak reports: keep it mapped. */
#ifndef TRAMON_KEEP_MODULES
		dlclose(p->handle);
#endif
		free(p->path);
		free(p);
	}
}
