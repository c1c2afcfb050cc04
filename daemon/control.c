#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "control.h"
#include "log.h"
#include "util.h"

#define MAX_REQUEST (64 * 1024)
#define CLIENT_TIMEOUT_S 10
#define MAX_CLIENTS 16

static struct {
	struct evconnlistener *listener;
	char *path;
	control_fn *fn;
	unsigned clients;
} C;

static void
client_free(struct bufferevent *bev)
{
	bufferevent_free(bev);
	C.clients--;
}

static void
reply(struct bufferevent *bev, json_t *r)
{
	char *text = json_dumps(r, JSON_COMPACT);

	json_decref(r);
	if (text == NULL) {
		text = xstrdup("{\"ok\":false,\"error\":\"cannot encode reply\"}");
	}
	bufferevent_write(bev, text, strlen(text));
	bufferevent_write(bev, "\n", 1);
	free(text);
	bufferevent_disable(bev, EV_READ);
}

static json_t *
error_reply(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;
	json_t *req, *cmd;
	json_error_t err;

	(void)arg;
	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > MAX_REQUEST)
			reply(bev, error_reply("request too long"));
		return;
	}
	req = json_loadb(line, len, 0, &err);
	free(line);
	cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd))
		reply(bev, error_reply("bad request: expected "
		    "{\"cmd\": \"...\"}"));
	else
		reply(bev, C.fn(json_string_value(cmd), req));
	json_decref(req);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	(void)arg;
	/* the reply is out: one request per connection */
	if (!(bufferevent_get_enabled(bev) & EV_READ))
		client_free(bev);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		client_free(bev);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct event_base *base = evconnlistener_get_base(l);
	struct bufferevent *bev;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct timeval tv = { CLIENT_TIMEOUT_S, 0 };

	(void)sa;
	(void)salen;
	(void)arg;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		static const char denied[] = "{\"ok\":false,\"denied\":true,"
		    "\"error\":\"permission denied: only root and the "
		    "daemon's user may control it\"}\n";

		log_warnx("control: refused a client (uid %ld)",
		    clen == sizeof(cred) ? (long)cred.uid : -1L);
		if (write(fd, denied, sizeof(denied) - 1) == -1) {
			/* it is going away either way */
		}
		close(fd);
		return;
	}
	if (C.clients >= MAX_CLIENTS) {
		log_warnx("control: too many clients");
		close(fd);
		return;
	}
	bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	C.clients++;
	bufferevent_setcb(bev, read_cb, write_cb, event_cb, NULL);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Is a live daemon answering on `path`? */
static int
socket_alive(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, alive;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	alive = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return alive;
}

int
control_open(struct event_base *base, const char *path, uid_t owner,
    gid_t group, control_fn *fn)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *dir, *slash;
	int fd;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", path);
		return -1;
	}
	/* A directory we create (/run/tramon) becomes the daemon user's, so
	 * it can remove the socket and pid file at exit; one that exists
	 * already (/tmp, say) is left as it is. */
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (access(dir, F_OK) == -1) {
			if (mkdir_p(dir, 0755) == -1)
				log_warn("control: mkdir %s", dir);
			else if (owner != (uid_t)-1 &&
			    chown(dir, owner, group) == -1)
				log_warn("control: chown %s", dir);
		}
	}
	free(dir);
	if (socket_alive(path)) {
		log_warnx("control: a daemon already answers on %s", path);
		return -1;
	}
	unlink(path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		log_warn("control: socket");
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("control: bind %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (owner != (uid_t)-1 && chown(path, owner, group) == -1)
		log_warn("control: chown %s", path);
	C.listener = evconnlistener_new(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE, 16, fd);
	if (C.listener == NULL) {
		log_warnx("control: cannot listen on %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	C.path = xstrdup(path);
	C.fn = fn;
	return 0;
}

void
control_close(void)
{
	if (C.listener == NULL)
		return;
	evconnlistener_free(C.listener);
	unlink(C.path);
	free(C.path);
	memset(&C, 0, sizeof(C));
}

static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left = (deadline - mono_ns()) / 1000000;

	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	switch (poll(&p, 1, (int)left)) {
	case -1:
		return -1;
	case 0:
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

json_t *
control_call(const char *path, json_t *request, int timeout_s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int64_t deadline = mono_ns() + (int64_t)timeout_s * 1000000000;
	char *text = json_dumps(request, JSON_COMPACT), *buf = NULL;
	size_t len = 0, cap = 0, off = 0;
	json_t *r = NULL;
	json_error_t err;
	int fd, saved;

	if (text == NULL) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	len = strlen(text);
	text[len++] = '\n';	/* replaces the NUL; length is tracked */
	while (off < len) {
		ssize_t n;

		if (wait_fd(fd, POLLOUT, deadline) == -1)
			goto fail;
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	len = 0;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			buf = xreallocarray(buf, cap, 1);
		}
		if (wait_fd(fd, POLLIN, deadline) == -1)
			goto fail;
		if ((n = read(fd, buf + len, cap - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - n, '\n', (size_t)n))
			break;
	}
	r = buf ? json_loadb(buf, len, 0, &err) : NULL;
	if (r == NULL || !json_is_object(r)) {
		json_decref(r);
		r = NULL;
		errno = EPROTO;
		goto fail;
	}
	close(fd);
	free(text);
	free(buf);
	return r;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	free(text);
	free(buf);
	errno = saved;
	return NULL;
}
