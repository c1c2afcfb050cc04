#!/usr/bin/python3
"""webhookd.py: a real HTTP(S) server for the webhook tests (http.server).

    webhookd.py --port PORT --dir DIR [--tls CERT KEY] [--pidfile FILE]

Listens on 127.0.0.1:PORT (0: any free port) and prints "ready PORT" on
standard output once it accepts connections.  Every POST is answered by
its path:

  /fail   500 Internal Server Error
  /gone   404 Not Found ("no such hook")
  /busy   429 Too Many Requests
  /slow   waits 30 s, then 200 (for timeouts and cancelling)
  other   200 {"ok":true}

and, whatever the answer, saved: DIR/NNNNNN.body holds the body's bytes,
DIR/NNNNNN.json {"path", "content_type", "content_length",
"user_agent", "expect"}; NNNNNN counts requests from 000001, the .json
is written first and both by rename, so a .body file is complete.

Never does a DNS lookup (no getfqdn, no reverse lookups in the log).
"""

import argparse
import http.server
import json
import os
import signal
import socketserver
import ssl
import sys
import threading
import time


def atomic_write(path, data):
    tmp = os.path.join(os.path.dirname(path),
                       ".tmp-" + os.path.basename(path))
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # HTTPServer.server_bind() would call socket.getfqdn()
        socketserver.TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = self.server_address[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "webhookd/1"
    lock = threading.Lock()
    count = 0
    outdir = None

    def log_message(self, fmt, *args):
        sys.stderr.write("webhookd: %s %s\n" % (self.client_address[0],
                                                fmt % args))

    def answer(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n > 0 else b""
        with Handler.lock:
            Handler.count += 1
            seq = Handler.count
        base = os.path.join(self.outdir, "%06d" % seq)
        meta = {
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "content_length": n,
            "user_agent": self.headers.get("User-Agent"),
            "expect": self.headers.get("Expect"),
        }
        atomic_write(base + ".json", json.dumps(meta).encode())
        atomic_write(base + ".body", body)
        if self.path == "/fail":
            self.answer(500, "something broke\n")
        elif self.path == "/gone":
            self.answer(404, "no such hook\n")
        elif self.path == "/busy":
            self.answer(429, "slow down\n")
        elif self.path == "/slow":
            time.sleep(30)
            self.answer(200, '{"ok":true}\n')
        else:
            self.answer(200, '{"ok":true}\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--pidfile")
    args = ap.parse_args()

    os.makedirs(args.dir, exist_ok=True)
    Handler.outdir = args.dir
    httpd = Server(("127.0.0.1", args.port), Handler)
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*args.tls)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)

    def stop(signum, frame):
        # shutdown() waits for serve_forever(): not from its own thread
        threading.Thread(target=httpd.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.pidfile:
        atomic_write(args.pidfile, b"%d\n" % os.getpid())
    print("ready %d" % httpd.server_address[1], flush=True)
    httpd.serve_forever()
    httpd.server_close()


if __name__ == "__main__":
    main()
