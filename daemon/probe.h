/*
 * Probe registry: loads the probe modules (TYPE.so) from the plugin
 * directory, checks their ABI, and finds them by type name.
 */
#ifndef TRAMON_PROBE_H
#define TRAMON_PROBE_H

#include <stdint.h>

#include "tramon/plugin.h"

struct probe {
	const struct tm_probe_ops *ops;
	char *path;                 /* the module file */
	void *handle;               /* dlopen() handle */
	int initialised;            /* init() succeeded */
	struct probe *next;
};

/* Load every *.so in `dir` not loaded yet.  Returns the number of probes
 * available afterwards; problems are logged and skipped. */
int probe_load_dir(const char *dir);

/* The probe serving `type`, or NULL. */
const struct probe *probe_find(const char *type);

/* All loaded probes (a list; do not modify). */
const struct probe *probe_list(void);

/* The services offered to probes (log, round_done, cfg_*). */
const struct tm_host *probe_host(void);

/* Call init() of every probe not initialised yet, with the event base.
 * Returns -1 if a probe in `needed` (NULL-terminated types) failed. */
int probe_init_all(struct event_base *base, const char *const *needed);

/* Call shutdown() of every initialised probe and unload all modules. */
void probe_unload_all(void);

#endif /* TRAMON_PROBE_H */
