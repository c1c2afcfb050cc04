#!/usr/bin/python3
"""webd.py: one web service of the lab's province data centre (lab.sh).

    webd.py --listen ADDR:PORT --cert PEM --key PEM --title TEXT
            [--mode FILE] -P PIDFILE

Serves HTTPS on ADDR:PORT with the certificate (the server of
tests/http/httpd.py: http.server, TLS handshakes in the connection's
thread, no DNS lookup) until SIGTERM.  GET and HEAD of "/" answer a
UTF-8 page with TITLE as its title and heading; anything else 404.
FILE, read at each request, says how "/" answers (lab.sh web SITE ...):

  ok              200 at once (also when FILE is missing or empty)
  slow [SECONDS]  200 after SECONDS (default 1.5)
  error           500 Internal Server Error

Writes PIDFILE once it listens, then prints "ready".
"""

import argparse
import html
import importlib.util
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "httpd", os.path.join(HERE, "..", "http", "httpd.py"))
httpd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(httpd)

STOP = threading.Event()
SLOW_MAX = 600.0


def mode(path):
    """("ok"|"slow"|"error", seconds) from the mode file."""
    try:
        with open(path, encoding="utf-8") as f:
            words = f.read().split()
    except (OSError, TypeError):
        return "ok", 0.0
    if not words or words[0] not in ("ok", "slow", "error"):
        return "ok", 0.0
    secs = 1.5
    if words[0] == "slow" and len(words) > 1:
        try:
            secs = min(max(float(words[1]), 0.0), SLOW_MAX)
        except ValueError:
            pass
    return words[0], secs


class Handler(httpd.Handler):
    server_version = "tramon-lab-webd/1"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path != "/":
            self.answer(404, b"no such page\n")
            return
        how, secs = mode(self.server.mode_file)
        if how == "slow":
            STOP.wait(secs)
        if how == "error":
            self.answer(500, b"internal error\n")
            return
        self.answer(200, self.server.page, "text/html; charset=utf-8")

    do_HEAD = do_GET


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--title", required=True)
    ap.add_argument("--mode")
    ap.add_argument("-P", dest="pidfile", required=True)
    a = ap.parse_args()

    addr, _, port = a.listen.rpartition(":")
    srv = httpd.Server((addr, int(port)), Handler)
    srv.name = a.listen
    srv.mode_file = a.mode
    t = html.escape(a.title)
    srv.page = ("<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\">"
                "<title>%s</title><h1>%s</h1>"
                "<p>Ủy ban nhân dân huyện Nam Trà My.</p></html>\n" %
                (t, t)).encode("utf-8")
    ctx = httpd.ssl.SSLContext(httpd.ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.tls = ctx
    threading.Thread(target=srv.serve_forever, daemon=True).start()

    tmp = a.pidfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(tmp, a.pidfile)
    print("ready", a.listen, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    while not STOP.wait(3600):
        pass
    srv.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
