/*
 * The built-in read-only web server (daemon.http_listen): serves the
 * files of web_dir, /status.json among them, and /metrics.  For
 * production, nginx serving web_dir works just as well.
 */
#ifndef TRAMON_HTTPD_H
#define TRAMON_HTTPD_H

struct event_base;

/* `listen` is "HOST:PORT" or "[V6]:PORT".  0 ok, -1 logged. */
int httpd_open(struct event_base *, const char *listen, const char *web_dir);

/* The directory to serve changed (reload). */
void httpd_set_root(const char *web_dir);

void httpd_close(void);

#endif /* TRAMON_HTTPD_H */
