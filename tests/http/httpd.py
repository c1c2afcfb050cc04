#!/usr/bin/python3
"""httpd.py: the web servers of the http probe tests (http.server, ssl).

    httpd.py [--plain] [--tls NAME CERT KEY]... [--pidfile FILE]

Starts one server on a free port of 127.0.0.1 for --plain (named
"plain") and for each --tls (HTTPS with that certificate), prints
"NAME PORT" for each, then "ready" once all accept connections.  Every
server answers GET and HEAD by the path:

  /ok        200, a UTF-8 page: "Cổng thông tin điện tử huyện Nam Trà My"
  /missing   404 Not Found
  /fail      500 Internal Server Error
  /redirect  302 Found, Location: /ok
  /slow      200 like /ok, after 1.5 s
  /hang      reads the request and never answers (until the server ends)
  other      404 Not Found

TLS handshakes run in the connection's thread, so a client that never
finishes one stalls nobody else.  Never does a DNS lookup.
"""

import argparse
import http.server
import os
import signal
import socketserver
import ssl
import sys
import threading

PAGE = ("<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\">"
        "<title>Cổng thông tin</title>"
        "<h1>Cổng thông tin điện tử huyện Nam Trà My</h1>"
        "<p>Ủy ban nhân dân huyện.</p></html>\n").encode("utf-8")

STOP = threading.Event()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None

    def server_bind(self):
        # HTTPServer.server_bind() would call socket.getfqdn()
        socketserver.TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = self.server_address[1]

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        sys.stderr.write("httpd: %s: %s: %s\n" % (
            self.name, type(e).__name__, e))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "httpd-test/1"

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(30)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def log_message(self, fmt, *args):
        sys.stderr.write("httpd: %s: %s\n" % (self.server.name,
                                              fmt % args))

    def answer(self, code, body, ctype="text/plain; charset=utf-8",
               extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/ok":
            self.answer(200, PAGE, "text/html; charset=utf-8")
        elif path == "/fail":
            self.answer(500, b"internal error\n")
        elif path == "/redirect":
            self.answer(302, b"see /ok\n", extra=[("Location", "/ok")])
        elif path == "/slow":
            STOP.wait(1.5)
            self.answer(200, PAGE, "text/html; charset=utf-8")
        elif path == "/hang":
            STOP.wait(3600)
            self.close_connection = True
        else:
            self.answer(404, b"no such page\n")

    do_HEAD = do_GET


def serve(name, tls):
    srv = Server(("127.0.0.1", 0), Handler)
    srv.name = name
    if tls is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.tls = ctx
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--tls", nargs=3, action="append", default=[],
                    metavar=("NAME", "CERT", "KEY"))
    ap.add_argument("--pidfile")
    a = ap.parse_args()

    servers = []
    if a.plain:
        servers.append(serve("plain", None))
    for name, cert, key in a.tls:
        servers.append(serve(name, (cert, key)))
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    for s in servers:
        print(s.name, s.server_port)
    print("ready", flush=True)

    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    STOP.wait()
    for s in servers:
        s.shutdown()


if __name__ == "__main__":
    main()
