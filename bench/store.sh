#!/bin/bash
#
# bench/store.sh: 10,000 RRD files updated through daemon/store.c, direct
# (librrd on the tm-store thread) and through rrdcached (BATCHes), over
# its unix socket and over TCP.
#
#	bench/store.sh [BUILD_DIR]
#
# It drives store.c directly with bench/store_bench (`make bench` builds
# it; see its header), not a whole tramond: the probes would only add
# their own cost and noise.  The same store_round() calls the daemon's
# loop makes are made on an event loop, FILES of them in a burst per
# round, in slices of 250, while a 10 ms timer on that loop measures how
# late it runs.  A first round makes the files (not measured); ROUNDS
# rounds follow.  Per update: CPU of the tm-store thread and of the loop
# thread, rrdcached's CPU (all its threads), bytes dirtied for the disk
# (/proc/PID/io write_bytes after a sync(): what the round will write).
# Last, store_close(): the final FLUSH through rrdcached, timed.
#
# rrdcached runs as a daemon would be run for tramond: -w 3600 -z 600
# (it writes a file once an hour, spread), a journal, -B with its base.
#
# Environment: FILES (10000), ROUNDS (5), WORK (a directory on the disk
# to measure, /var/tmp by default; ~1.1 MB a file is needed, once per
# mode, removed after each), BEFORE (a store_bench built against another
# tree, e.g. an older store.c: also run over the unix socket, last).
# Results: docs/benchmarks.md.
#
set -Eeuo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
FILES=${FILES:-10000}
ROUNDS=${ROUNDS:-5}
. "$TOP/bench/lib.sh" store
command -v rrdcached >/dev/null || die "rrdcached missing: tests/deps.sh"
make -s -C "$BUILD" bench >/dev/null || die "make bench failed in $BUILD"
BENCH=$BUILD/bench/store_bench
need_kb=$((FILES * 1200))
W=$(mktemp -d "${WORK:-/var/tmp}/tramon-store-bench.XXXXXX")
avail_kb=$(free_kb "$W")
[ "$avail_kb" -gt "$need_kb" ] ||
    { rm -rf "$W"; die "$((need_kb / 1024)) MB free needed in $W"; }
RRDC_PID=
stop_rrdcached() {
	[ -n "$RRDC_PID" ] || return 0
	kill -TERM "$RRDC_PID" 2>/dev/null || true
	wait "$RRDC_PID" 2>/dev/null || true
	RRDC_PID=
}
cleanup() { stop_rrdcached; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_rrdcached LISTEN: over $W/cached, until it answers
start_rrdcached() {
	mkdir -p "$W/cached" "$W/journal"
	rrdcached -g -l "$1" -b "$W/cached" -B -j "$W/journal" -w 3600 \
	    -z 600 -f 7200 -F -p "$W/rrdcached.pid" >"$W/rrdcached.log" 2>&1 &
	RRDC_PID=$!
	for _ in $(seq 100); do
		"$PYTHON" - "$1" 2>/dev/null <<'EOF' && return 0
import socket, sys
a = sys.argv[1]
if a.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(a[5:])
else:
    h, p = a.rsplit(":", 1)
    s = socket.create_connection((h, int(p)), 2)
s.sendall(b"PING\n")
assert s.recv(100).startswith(b"0 PONG")
EOF
		sleep 0.1
	done
	die "rrdcached did not answer on $1"
}

echo "# $(date -u +%FT%TZ) $(uname -r), $(nproc) CPUs," \
    "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
    "$(df -P "$W" | awk 'NR == 2 { print $1 }')," \
    "rrdtool $(dpkg-query -W -f '${Version}' rrdcached 2>/dev/null)"
echo "# FILES=$FILES ROUNDS=$ROUNDS"

echo "## direct (librrd on tm-store)"
"$BENCH" -n "$FILES" -r "$ROUNDS" "$W/direct"
rm -rf "$W/direct"
sync

echo "## rrdcached, unix socket"
start_rrdcached "unix:$W/rrdcached.sock"
"$BENCH" -n "$FILES" -r "$ROUNDS" -c "unix:$W/rrdcached.sock" \
    -p "$RRDC_PID" "$W/cached/unix"
stop_rrdcached
rm -rf "$W/cached" "$W/journal"
sync

port=$(free_port tcp)
echo "## rrdcached, TCP 127.0.0.1:$port"
start_rrdcached "127.0.0.1:$port"
"$BENCH" -n "$FILES" -r "$ROUNDS" -c "127.0.0.1:$port" -b "$W/cached" \
    -p "$RRDC_PID" "$W/cached/tcp"
stop_rrdcached
rm -rf "$W/cached" "$W/journal"

if [ -n "${BEFORE:-}" ]; then
	sync
	echo "## rrdcached, unix socket: BEFORE=$BEFORE"
	start_rrdcached "unix:$W/rrdcached.sock"
	"$BEFORE" -n "$FILES" -r "$ROUNDS" -c "unix:$W/rrdcached.sock" \
	    -p "$RRDC_PID" "$W/cached/unix"
	stop_rrdcached
fi
