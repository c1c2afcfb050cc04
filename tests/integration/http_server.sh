#!/usr/bin/env bash
#
# The built-in web server (daemon/httpd.c) under abuse, on 127.0.0.1:
#  - 200 connections that send nothing: tramond holds at most 64 of them
#    (its descriptors counted in /proc), says so in its log, and serves
#    a page again as soon as they go;
#  - a 40 KB header: refused, the server goes on;
#  - a client sending a byte every 2 seconds: cut within evhttp's 10 s
#    read timeout... or, trickling faster, within the 120 s lifetime
#    (the trickle here is every 2 s: the read timeout does not fire, the
#    lifetime does; checked with a shortened wait: the connection must be
#    gone within 130 s);
#  - tramond still runs and still monitors its target throughout.
#
. "$top_srcdir/tests/lib.sh"
need_root

PORT=$(free_port)
CONF=$TEST_TMP/tramon.conf
make_conf "$CONF" <<EOF
$(daemon_section "127.0.0.1:$PORT")
targets = ( { id = "lo"; name = "Loopback"; type = "ping"; host = "127.0.0.1";
  interval = 2; count = 2; timeout = 0.5; } );
EOF
tramond_start "$CONF"
served() { curl -s -m 5 -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$PORT/index.html" | grep -qx 200; }
check "the overview is served" wait_for 30 served

check "bounded under 200 idle connections, a huge header, a trickle" \
    "$PYTHON" - "$PORT" "$TRAMOND_PID" <<'EOF'
import os, socket, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
problems = []
def fds():
    return len(os.listdir("/proc/%s/fd" % pid))
def get(timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return data.split(b"\r\n", 1)[0]

base = fds()
idle = []
for i in range(200):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        pass
    idle.append(s)
time.sleep(2)
held = fds() - base
print("# descriptors: %d before, %d more with 200 idle clients" % (base, held))
if held > 64 + 2:
    problems.append("tramond holds %d more descriptors (> 64)" % held)
for s in idle:
    s.close()
t0 = time.monotonic()
status = b""
while time.monotonic() - t0 < 20:
    try:
        status = get()
        if b" 200 " in status:
            break
    except OSError:
        time.sleep(0.5)
print("# served again %.1f s after the idle clients went" %
      (time.monotonic() - t0))
if b" 200 " not in status:
    problems.append("not served after the idle clients went: %r" % status)

# a 40 KB header
s = socket.create_connection(("127.0.0.1", port), timeout=10)
try:
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 +
              b"\r\n\r\n")
    answer = s.recv(200)
except OSError as e:
    answer = repr(e).encode()
s.close()
print("# a 40 KB header: %r" % answer[:40])
if b" 200 " in answer:
    problems.append("a 40 KB header was served")
if b" 200 " not in get():
    problems.append("not served after the huge header")

# the trickle: a header byte every 2 s; the lifetime (120 s) ends it
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
t0, gone = time.monotonic(), False
while time.monotonic() - t0 < 135:
    try:
        s.sendall(b"a")
        s.settimeout(2)
        if s.recv(100) == b"":
            gone = True
            break
    except socket.timeout:
        continue
    except OSError:
        gone = True
        break
print("# the trickling client was cut after %.0f s" % (time.monotonic() - t0))
if not gone:
    problems.append("a trickling client kept its connection for 135 s")
for p in problems:
    print("# " + p)
sys.exit(1 if problems else 0)
EOF
check "the log says it stopped accepting" \
    grep -q "http: 64 connections open; not accepting more" "$TRAMOND_LOG"
check "tramond still runs" tramond_running
check "and still monitors" json_test "$TEST_TMP/www/status.json" \
    't("lo")["state"] == "up"'
tramond_stop || fail "tramond exited with an error"
summary
