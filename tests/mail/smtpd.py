#!/usr/bin/python3
"""smtpd.py: a real SMTP server for the mail tests (aiosmtpd, Debian 12's
python3-aiosmtpd 1.4).

    smtpd.py --port PORT [--starttls CERT KEY | --tls CERT KEY]
             [--auth USER:PASS] [--maildir DIR] [--reject-rcpt ADDR]...
             [--data-delay S] [--quit-delay S] [--pidfile FILE]

Listens on 127.0.0.1:PORT (0: any free port) and prints "ready PORT" on
standard output once it accepts connections.

  --starttls CERT KEY  offer STARTTLS (plain connection first)
  --tls CERT KEY       implicit TLS from the first byte (smtps)
  --auth USER:PASS     require AUTH (PLAIN or LOGIN) before MAIL, and only
                       over TLS: AUTH is refused on a plain connection
  --maildir DIR        keep every accepted message: DIR/NNNNNN.eml holds
                       the message as received (dot-stuffing undone,
                       nothing added), DIR/NNNNNN.json its envelope:
                       {"mail_from", "rcpt_tos", "tls", "auth", "peer"};
                       NNNNNN counts arrivals from 000001 (or on from
                       the last one the directory holds).  Both are
                       written to a temporary name and renamed, the .json
                       first: an .eml file is always complete.
                       DIR/stats.json: {"sessions", "max_sessions"}
                       (connections at the same time), rewritten likewise.
  --reject-rcpt ADDR   answer RCPT TO:<ADDR> with 550 (repeatable)
  --data-delay S       take S seconds to accept a message (its final ".")
  --quit-delay S       take S seconds to answer QUIT (both: the replies
                       libcurl 7.88 waits for in poll())
  --pidfile FILE       write the pid there once ready

Never does a DNS lookup (a fixed host name, numeric addresses only).
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def atomic_write(path, data):
    tmp = os.path.join(os.path.dirname(path),
                       ".tmp-" + os.path.basename(path))
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Stats:
    def __init__(self, maildir):
        self.maildir = maildir
        self.active = 0
        self.sessions = 0
        self.max_sessions = 0
        # started again on the same maildir (a mail server back after an
        # outage): go on counting, never overwrite what arrived before
        self.arrivals = 0
        if maildir and os.path.isdir(maildir):
            for name in os.listdir(maildir):
                stem, dot, ext = name.partition(".")
                if ext == "eml" and stem.isdigit():
                    self.arrivals = max(self.arrivals, int(stem))

    def save(self):
        if self.maildir:
            atomic_write(os.path.join(self.maildir, "stats.json"),
                         json.dumps({"sessions": self.sessions,
                                     "max_sessions": self.max_sessions})
                         .encode())


def is_tls(server):
    t = server.transport
    return t is not None and t.get_extra_info("ssl_object") is not None


class Handler:
    def __init__(self, args, stats):
        self.reject = {a.lower() for a in args.reject_rcpt}
        self.maildir = args.maildir
        self.stats = stats
        self.data_delay = args.data_delay

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: recipient rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        self.stats.arrivals += 1
        n = self.stats.arrivals
        if self.maildir:
            base = os.path.join(self.maildir, "%06d" % n)
            auth = None
            if session.authenticated and session.auth_data is not None:
                auth = session.auth_data.login.decode("utf-8", "replace")
            meta = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "mail_options": envelope.mail_options,
                "tls": is_tls(server),
                "auth": auth,
                "peer": list(session.peer[:2]) if session.peer else None,
            }
            atomic_write(base + ".json", json.dumps(meta).encode())
            atomic_write(base + ".eml", envelope.original_content)
        return "250 2.0.0 OK: queued as %06d" % n


class Authenticator:
    """AUTH PLAIN/LOGIN against one user, over TLS only."""

    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not is_tls(server):
            return AuthResult(success=False, handled=False,
                              message="538 5.7.11 Encryption required")
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login == self.user
                and auth_data.password == self.password):
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


class TestSMTP(SMTP):
    """Counts the sessions open at the same time (the concurrency test);
    takes its time to answer QUIT if asked to."""

    stats = None
    quit_delay = 0.0

    async def smtp_QUIT(self, arg):
        if self.quit_delay:
            await asyncio.sleep(self.quit_delay)
        await super().smtp_QUIT(arg)

    async def _handle_client(self):
        st = self.stats
        st.active += 1
        st.sessions += 1
        st.max_sessions = max(st.max_sessions, st.active)
        st.save()
        try:
            await super()._handle_client()
        finally:
            st.active -= 1


def server_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    g.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--auth", metavar="USER:PASS")
    ap.add_argument("--maildir")
    ap.add_argument("--reject-rcpt", action="append", default=[],
                    metavar="ADDR")
    ap.add_argument("--pidfile")
    ap.add_argument("--quit-delay", type=float, default=0.0,
                    metavar="SECONDS")
    ap.add_argument("--data-delay", type=float, default=0.0,
                    metavar="SECONDS")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    logging.basicConfig(level=logging.DEBUG if args.verbose
                        else logging.WARNING, stream=sys.stderr,
                        format="smtpd: %(levelname)s %(message)s")
    if not args.verbose:
        # aiosmtpd's own chatter: login_data deprecation, AUTH without
        # STARTTLS with implicit TLS (which it does not count as TLS)
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        warnings.simplefilter("ignore")
    if args.auth and not (args.starttls or args.tls):
        ap.error("--auth needs --starttls or --tls (AUTH only over TLS)")
    if args.maildir:
        os.makedirs(args.maildir, exist_ok=True)

    stats = Stats(args.maildir)
    stats.save()
    TestSMTP.stats = stats
    TestSMTP.quit_delay = args.quit_delay
    handler = Handler(args, stats)
    kw = {
        # a fixed name: aiosmtpd would otherwise ask socket.getfqdn()
        "hostname": "smtpd.test",
        "data_size_limit": 10 * 1024 * 1024,
        "timeout": 60,
    }
    implicit = None
    if args.starttls:
        kw["tls_context"] = server_context(*args.starttls)
    if args.tls:
        implicit = server_context(*args.tls)
    if args.auth:
        user, _, password = args.auth.partition(":")
        kw["authenticator"] = Authenticator(user, password)
        kw["auth_required"] = True
        # aiosmtpd 1.4 counts only STARTTLS as TLS; with implicit TLS the
        # authenticator checks the transport itself
        kw["auth_require_tls"] = not args.tls

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        lambda: TestSMTP(handler, loop=loop, **kw),
        host="127.0.0.1", port=args.port, ssl=implicit))
    port = server.sockets[0].getsockname()[1]

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or
                                stop.set_result(None))
    if args.pidfile:
        atomic_write(args.pidfile, b"%d\n" % os.getpid())
    print("ready %d" % port, flush=True)
    loop.run_until_complete(stop)
    server.close()
    loop.run_until_complete(server.wait_closed())
    loop.close()


if __name__ == "__main__":
    main()
