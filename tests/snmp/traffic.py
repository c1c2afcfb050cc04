#!/usr/bin/python3
"""traffic.py: a known amount of UDP at a steady rate, for lab.sh traffic.

    traffic.py sink ADDR PORT SECONDS
        Receive on ADDR:PORT until SECONDS have passed or the sender says
        it is done; print "ready" once bound, then
        "received DATAGRAMS BYTES" (payload bytes).
    traffic.py send SRC DST PORT BYTES SECONDS
        Send BYTES of payload from SRC to DST:PORT in datagrams of at most
        1000 bytes, evenly over SECONDS (0 = as fast as possible), then a
        last empty datagram that tells the sink to stop; print
        "sent DATAGRAMS BYTES START END" (epoch seconds).

The sink runs in the namespace the traffic goes to, so that nothing
answers the datagrams with ICMP port unreachable: what crosses the switch
port is the payload, its headers and a few ARP frames.
"""

import socket
import sys
import time

CHUNK = 1000
TICK = 0.005


def sink(addr, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((addr, port))
    print("ready", flush=True)
    deadline = time.monotonic() + seconds
    n = total = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        n += 1
        total += len(data)
    print("received %d %d" % (n, total), flush=True)


def send(src, dst, port, nbytes, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    payload = b"\x55" * CHUNK
    n = sent = 0
    start = time.time()
    t0 = time.monotonic()
    while sent < nbytes:
        if seconds > 0:
            due = min(nbytes, int(nbytes * (time.monotonic() - t0) / seconds))
        else:
            due = nbytes
        while sent < due:
            size = min(CHUNK, nbytes - sent)
            try:
                s.sendto(payload[:size], (dst, port))
            except (BlockingIOError, ConnectionRefusedError):
                time.sleep(0.001)   # a full queue, or an ICMP error: retry
                continue
            sent += size
            n += 1
        if sent < nbytes:
            time.sleep(TICK)
    end = time.time()
    # the end marker, twice: a lost one would only make the sink wait
    for _ in range(2):
        s.sendto(b"", (dst, port))
    print("sent %d %d %.3f %.3f" % (n, sent, start, end), flush=True)


def main():
    a = sys.argv[1:]
    try:
        if len(a) == 4 and a[0] == "sink":
            sink(a[1], int(a[2]), float(a[3]))
        elif len(a) == 6 and a[0] == "send":
            nbytes, seconds = int(a[4]), float(a[5])
            if nbytes < 0 or seconds < 0:
                raise ValueError("negative")
            send(a[1], a[2], int(a[3]), nbytes, seconds)
        else:
            sys.exit(__doc__)
    except (OSError, ValueError) as e:
        sys.exit("traffic.py: %s" % e)


if __name__ == "__main__":
    main()
