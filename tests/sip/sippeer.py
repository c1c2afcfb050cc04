#!/usr/bin/python3
"""A SIP peer on UDP that never gives a good answer (tests/integration/sip_probe.sh).

    sippeer.py MODE PORT STATS

MODE:
  silent  reads the requests and answers none
  bad     answers each request three ways, none of them acceptable:
          garbage bytes; a 200 OK with another Call-ID; and a 200 OK that
          is right in every header but sent from another port
Both write STATS (replaced atomically) after each datagram as JSON:
{"datagrams": N, "requests": distinct branches, "answers": N}, so the
test sees the probe's retransmissions.  Stops on SIGTERM, or by itself
after 10 minutes.
"""
import json
import os
import re
import signal
import socket
import sys
import time

LIFETIME = 600


def headers(msg):
    """The request's headers by lower-case name (first of each)."""
    head = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    out = {}
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            out.setdefault(name.strip().lower(), value.strip())
    return out


def ok_response(h, call_id):
    return ("SIP/2.0 200 OK\r\n"
            "Via: %s\r\n"
            "From: %s\r\n"
            "To: %s;tag=sippeer\r\n"
            "Call-ID: %s\r\n"
            "CSeq: %s\r\n"
            "Content-Length: 0\r\n\r\n" % (
                h.get("via", ""), h.get("from", ""), h.get("to", ""),
                call_id, h.get("cseq", ""))).encode()


def save(path, stats):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(stats, f)
    os.replace(tmp, path)


def main():
    mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode not in ("silent", "bad"):
        sys.exit("sippeer.py: unknown mode " + mode)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    sock.settimeout(1.0)
    stats = {"datagrams": 0, "requests": 0, "answers": 0}
    branches = set()
    save(path, stats)
    end = time.monotonic() + LIFETIME
    while time.monotonic() < end:
        try:
            msg, peer = sock.recvfrom(65536)
        except socket.timeout:
            continue
        h = headers(msg)
        m = re.search(r"branch=([^;,\s]+)", h.get("via", ""))
        branches.add(m.group(1) if m else None)
        stats["datagrams"] += 1
        stats["requests"] = len(branches)
        if mode == "bad":
            sock.sendto(b"\x00\xffNOT SIP AT ALL\r\n\r\n", peer)
            sock.sendto(ok_response(h, "not-" + h.get("call-id", "")),
                        peer)
            other.sendto(ok_response(h, h.get("call-id", "")), peer)
            stats["answers"] += 3
        save(path, stats)


if __name__ == "__main__":
    main()
