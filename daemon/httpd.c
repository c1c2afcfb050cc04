#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/keyvalq_struct.h>

#include "buf.h"
#include "httpd.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

#define TIMEOUT_S 10
#define MAX_HEADERS (8 * 1024)
#define MAX_CONNS 64		/* two officers' browsers need a few */
#define LIFETIME_S 120

static struct {
	struct evhttp *http;
	struct evconnlistener *listener;
	struct event *sweep;
	char *root;
	struct bufferevent **conn;	/* open connections, held */
	int64_t *born;			/* mono_ns() of each */
	size_t nconn, cap;
	int paused;			/* not accepting: MAX_CONNS open */
	unsigned long pauses;		/* for the log: every 100th */
} H;

/*
 * Bounded connections.  libevent 2.1's evhttp has no limit of its own
 * (2.2's evhttp_set_max_connections) and no callback when a connection
 * goes.  It asks evhttp_set_bevcb() for each new connection's
 * bufferevent: we make it, keep a reference, and a sweep once a second
 * lets go of those evhttp has freed (bufferevent_free clears their
 * callbacks; our reference keeps the memory until we drop it).  At
 * MAX_CONNS the listener stops accepting; newcomers wait in the
 * kernel's backlog until a slot is free.
 *
 * evhttp's timeout is per read, so a client sending a byte every few
 * seconds would keep its slot for ever: a connection older than
 * LIFETIME_S is ended as if the client had gone (browsers open a new
 * one for their next request).  A flood from the LAN can keep the pages
 * busy, never the monitoring: at most MAX_CONNS descriptors.
 */
static struct bufferevent *
conn_new(struct event_base *base, void *arg)
{
	struct bufferevent *bev;

	(void)arg;
	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return NULL;
	if (H.nconn == H.cap) {
		H.cap = H.cap ? H.cap * 2 : MAX_CONNS;
		H.conn = xreallocarray(H.conn, H.cap, sizeof(*H.conn));
		H.born = xreallocarray(H.born, H.cap, sizeof(*H.born));
	}
	bufferevent_incref(bev);
	H.conn[H.nconn] = bev;
	H.born[H.nconn] = mono_ns();
	if (++H.nconn >= MAX_CONNS && !H.paused && H.listener) {
		evconnlistener_disable(H.listener);
		H.paused = 1;
		if (H.pauses++ % 100 == 0)
			log_warnx("http: %d connections open; not accepting "
			    "more until one closes", MAX_CONNS);
	}
	return bev;
}

/* Whether evhttp has let go of it. */
static int
conn_freed(struct bufferevent *bev)
{
	bufferevent_event_cb ev;
	bufferevent_data_cb rd, wr;
	void *arg;

	bufferevent_getcb(bev, &rd, &wr, &ev, &arg);
	return rd == NULL && wr == NULL && ev == NULL;
}

static void
conn_sweep(evutil_socket_t fd, short what, void *arg)
{
	int64_t old = mono_ns() - (int64_t)LIFETIME_S * 1000000000;
	size_t k = 0;

	(void)fd;
	(void)what;
	(void)arg;
	for (size_t i = 0; i < H.nconn; i++) {
		if (conn_freed(H.conn[i])) {
			bufferevent_decref(H.conn[i]);
			continue;
		}
		if (H.born[i] < old)	/* as if the client had gone */
			bufferevent_trigger_event(H.conn[i], BEV_EVENT_READING |
			    BEV_EVENT_EOF, BEV_TRIG_DEFER_CALLBACKS);
		H.conn[k] = H.conn[i];
		H.born[k++] = H.born[i];
	}
	H.nconn = k;
	if (H.paused && H.nconn < MAX_CONNS && H.listener) {
		evconnlistener_enable(H.listener);
		H.paused = 0;
	}
}

static const struct {
	const char *ext;
	const char *type;
	const char *cache;
} types[] = {
	{ ".html", "text/html; charset=utf-8", "no-cache" },
	{ ".json", "application/json; charset=utf-8", "no-cache" },
	{ ".css", "text/css; charset=utf-8", "max-age=300" },
	{ ".png", "image/png", "max-age=30" },
	{ ".svg", "image/svg+xml", "max-age=30" },
	{ ".csv", "text/csv; charset=utf-8", "no-cache" },
	{ ".pdf", "application/pdf", "no-cache" },
	{ ".txt", "text/plain; charset=utf-8", "no-cache" },
	{ ".js", "text/javascript; charset=utf-8", "max-age=300" },
};

static void
send_error(struct evhttp_request *req, int code, const char *reason)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evbuffer_add_printf(b, "%d %s\n", code, reason);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static int
put_evbuffer(void *arg, const char *p, size_t n)
{
	return evbuffer_add(arg, p, n) == 0 ? 0 : (errno = ENOMEM, -1);
}

/* Made straight into the reply's buffer, a spill at a time: at 10,000
 * targets the text is some 10 MB, and a whole copy beside the reply's
 * was the daemon's peak memory in the benchmarks (issue 8). */
static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *eb = evbuffer_new();
	struct buf_sink sink = { .fd = -1, .put = put_evbuffer, .arg = eb };
	struct buf b;

	(void)arg;
	if (eb == NULL) {
		send_error(req, HTTP_INTERNAL, "Out of memory");
		return;
	}
	buf_init(&b);
	b.sink = &sink;
	monitor_metrics(&b);
	buf_spill(&b);
	buf_free(&b);
	if (sink.err != 0) {
		evbuffer_free(eb);
		send_error(req, HTTP_INTERNAL, "Out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-cache");
	evhttp_send_reply(req, HTTP_OK, "OK", eb);
	evbuffer_free(eb);
}

/* The file under the root that `uri_path` names, or NULL if it would
 * leave the root or is not a plain name. */
static char *
map_path(const char *uri_path)
{
	char *dec, *path, real[PATH_MAX], root[PATH_MAX];
	size_t n, rlen;

	if (uri_path == NULL || uri_path[0] != '/')
		return NULL;
	dec = evhttp_uridecode(uri_path, 0, &n);
	if (dec == NULL)
		return NULL;
	if (strlen(dec) != n || strstr(dec, "/..") || strstr(dec, "//") ||
	    strchr(dec, '\\')) {
		free(dec);
		return NULL;
	}
	if (dec[n - 1] == '/')
		path = xasprintf("%s%sindex.html", H.root, dec);
	else
		path = xasprintf("%s%s", H.root, dec);
	free(dec);
	/* symlinks must not lead out either */
	if (realpath(path, real) == NULL || realpath(H.root, root) == NULL) {
		free(path);
		return NULL;
	}
	rlen = strlen(root);
	if (strncmp(real, root, rlen) != 0 ||
	    (real[rlen] != '/' && real[rlen] != '\0')) {
		free(path);
		return NULL;
	}
	return path;
}

static void
file_cb(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *type = "application/octet-stream", *cache = "no-cache";
	const char *ims;
	char *path, stamp[64];
	struct stat st;
	struct evbuffer *b;
	struct tm tm;
	size_t plen;
	int fd;

	(void)arg;
	if ((path = map_path(evhttp_uri_get_path(uri))) == NULL) {
		send_error(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	/* plain files only: no directory listings, no devices */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		send_error(req, HTTP_NOTFOUND, "Not Found");
		free(path);
		return;
	}
	plen = strlen(path);
	for (size_t i = 0; i < nitems(types); i++) {
		size_t elen = strlen(types[i].ext);

		if (plen > elen &&
		    strcmp(path + plen - elen, types[i].ext) == 0) {
			type = types[i].type;
			cache = types[i].cache;
			break;
		}
	}
	free(path);
	gmtime_r(&st.st_mtime, &tm);
	strftime(stamp, sizeof(stamp), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evhttp_add_header(out, "Content-Type", type);
	evhttp_add_header(out, "Cache-Control", cache);
	evhttp_add_header(out, "Last-Modified", stamp);
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	ims = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "If-Modified-Since");
	if (ims && strcmp(ims, stamp) == 0) {
		close(fd);
		evhttp_send_reply(req, HTTP_NOTMODIFIED, "Not Modified", NULL);
		return;
	}
	b = evbuffer_new();
	if (st.st_size > 0 && evbuffer_add_file(b, fd, 0, st.st_size) == -1) {
		close(fd);
		evbuffer_free(b);
		send_error(req, HTTP_INTERNAL, "Internal Server Error");
		return;
	}
	if (st.st_size == 0)
		close(fd);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static int
split_listen(const char *listen, char *host, size_t hlen, unsigned *port)
{
	const char *colon;
	char *end;
	unsigned long p;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		snprintf(host, hlen, "%.*s", (int)(close - listen - 1),
		    listen + 1);
		colon = close + 1;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(colon - listen), listen);
	}
	p = strtoul(colon + 1, &end, 10);
	if (*end || p == 0 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}

int
httpd_open(struct event_base *base, const char *listen, const char *web_dir)
{
	struct timeval sweep_tv = { 1, 0 };
	struct evhttp_bound_socket *bound;
	char host[256];
	unsigned port;

	if (split_listen(listen, host, sizeof(host), &port) == -1) {
		log_warnx("http: bad listen address \"%s\"", listen);
		return -1;
	}
	if ((H.http = evhttp_new(base)) == NULL)
		return -1;
	evhttp_set_allowed_methods(H.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(H.http, TIMEOUT_S);
	evhttp_set_max_headers_size(H.http, MAX_HEADERS);
	evhttp_set_max_body_size(H.http, 0);
	evhttp_set_cb(H.http, "/metrics", metrics_cb, NULL);
	evhttp_set_gencb(H.http, file_cb, NULL);
	evhttp_set_bevcb(H.http, conn_new, NULL);
	if ((bound = evhttp_bind_socket_with_handle(H.http, host,
	    (uint16_t)port)) == NULL) {
		log_warn("http: cannot listen on %s", listen);
		evhttp_free(H.http);
		H.http = NULL;
		return -1;
	}
	H.listener = evhttp_bound_socket_get_listener(bound);
	H.sweep = event_new(base, -1, EV_PERSIST, conn_sweep, NULL);
	event_add(H.sweep, &sweep_tv);
	H.root = xstrdup(web_dir);
	log_info("http: serving %s on http://%s/", web_dir, listen);
	return 0;
}

void
httpd_set_root(const char *web_dir)
{
	if (H.http == NULL || strcmp(H.root, web_dir) == 0)
		return;
	free(H.root);
	H.root = xstrdup(web_dir);
}

void
httpd_close(void)
{
	if (H.http == NULL)
		return;
	event_free(H.sweep);
	evhttp_free(H.http);	/* every connection too: let go of them */
	for (size_t i = 0; i < H.nconn; i++)
		bufferevent_decref(H.conn[i]);
	free(H.conn);
	free(H.born);
	free(H.root);
	memset(&H, 0, sizeof(H));
}
