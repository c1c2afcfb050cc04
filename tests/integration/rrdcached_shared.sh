#!/usr/bin/env bash
#
# Scale-out through rrdcached (issue 8): two tramond instances, each with
# its own targets and state directory, write through ONE rrdcached
# (Debian's), over its unix socket, or with RRDC_TRANSPORT=tcp
# (rrdcached_tcp.sh) on 127.0.0.1:PORT with -b BASE -B.  Over TCP
# rrdcached takes file names relative to BASE: both state_dirs are inside
# it and daemon.rrdcached_base = BASE (tramond sends "a/state/rrd/a1.rrd";
# the pages read BASE/a/state/rrd/a1.rrd).
#  - both instances' RRD files are created and updated through it (its
#    STATS count the updates of both; the files' last_update advances);
#  - the pages of both have their graphs (drawn after a FLUSH);
#  - rrdcached writes nothing by itself here (-w 3600) and is killed at
#    the end: what `rrdtool fetch` then reads from disk, the last rounds
#    included, reached it through tramond's FLUSHes (before graphs, at
#    the stop).
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd rrdcached rrdtool curl

RRDCACHED=$(command -v rrdcached)
: "${RRDC_TRANSPORT:=unix}"
JOURNAL_DIR=$TEST_TMP/rrdcached-journal
if [ "$RRDC_TRANSPORT" = tcp ]; then
	BASE=$TEST_TMP/base
	ADDR=127.0.0.1:$(free_port)
	LISTEN=(-l "$ADDR" -b "$BASE" -B)
	BASE_KEY="rrdcached_base = \"$BASE\";"
else
	BASE=$TEST_TMP
	ADDR=unix:$TEST_TMP/rrdcached.sock
	LISTEN=(-l "$ADDR")
	BASE_KEY=
fi
mkdir -p "$JOURNAL_DIR" "$BASE"

# -w 3600: nothing reaches the disk by itself within the test, so what is
# on disk at the end was flushed by tramond
"$RRDCACHED" -g -w 3600 -z 0 -f 7200 -j "$JOURNAL_DIR" \
    "${LISTEN[@]}" \
    -p "$TEST_TMP/rrdcached.pid" >"$TEST_TMP/rrdcached.log" 2>&1 &
RRDC_PID=$!
stop_rrdcached() {
	[ -n "${RRDC_PID:-}" ] || return 0
	kill -TERM "$RRDC_PID" 2>/dev/null
	local n=0
	while kill -0 "$RRDC_PID" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$RRDC_PID" 2>/dev/null
	wait "$RRDC_PID" 2>/dev/null
	RRDC_PID=
}
trap 'rc=$?; stop_rrdcached; (exit $rc); lib_cleanup' EXIT
# a connection to rrdcached at ADDR (argv[1]), in Python
RRDC_CONNECT='
import socket, sys
a = sys.argv[1]
if a.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(a[5:])
else:
    s = socket.create_connection(("127.0.0.1", int(a.rsplit(":", 1)[1])), 5)
'
listens() { "$PYTHON" -c "$RRDC_CONNECT" "$ADDR" 2>/dev/null; }
check "rrdcached listens on $ADDR" wait_for 20 listens

# rrdcached's own counters, over its socket
rrdc_stat() {
	"$PYTHON" -c "$RRDC_CONNECT"'
s.settimeout(5)
s.sendall(b"STATS\n")
data = b""
while data.count(b"\n") < 1 or len(data.split(b"\n")) <= int(
        data.split(b" ", 1)[0] or 0):
    b = s.recv(4096)
    if not b:
        break
    data += b
for line in data.decode().splitlines()[1:]:
    k, _, v = line.partition(": ")
    if k == sys.argv[2]:
        print(v)
' "$ADDR" "$1"
}

# instance NAME ADDRESS TARGETS...: a tramond of its own
instance() {
	local name=$1 addr=$2 port
	shift 2
	port=$(free_port)
	mkdir -p "$TEST_TMP/$name" "$BASE/$name"
	{
		cat <<EOF
daemon = {
  name        = "Poller $name";
  state_dir   = "$BASE/$name/state";
  web_dir     = "$TEST_TMP/$name/www";
  plugin_dir  = "$top_builddir/plugins/.libs";
  user        = "root";
  log         = "stderr";
  log_level   = "info";
  http_listen = "127.0.0.1:$port";
  rrdcached   = "$addr";
  $BASE_KEY
  web_refresh = 5;
  control_socket = "$TEST_TMP/$name/tramond.sock";
};
defaults = { type = "ping"; interval = 2; count = 2; timeout = 0.5; };
targets = (
EOF
		local sep=""
		for t in "$@"; do
			printf '%s  { id = "%s"; host = "%s"; }\n' "$sep" \
			    "${t%%=*}" "${t#*=}"
			sep=","
		done
		echo ");"
	} >"$TEST_TMP/$name/tramon.conf"
	eval "PORT_$name=$port"
}

instance a "$ADDR" a1=127.0.0.11 a2=127.0.0.12
instance b "$ADDR" b1=127.0.0.21 b2=127.0.0.22 b3=127.0.0.23

# tramond_start runs one; the second runs beside it by hand
tramond_start "$TEST_TMP/a/tramon.conf"
TRAMON_ASSET_DIR=$top_srcdir/web "$top_builddir/tramond" -f \
    -c "$TEST_TMP/b/tramon.conf" 2>"$TEST_TMP/b.log" &
B_PID=$!
trap 'rc=$?; kill -TERM $B_PID 2>/dev/null; wait $B_PID 2>/dev/null
    stop_rrdcached; (exit $rc); lib_cleanup' EXIT

rrd_of() { echo "$BASE/$1/state/rrd/$2.rrd"; }
all_rrds() {
	local f
	for f in a/a1 a/a2 b/b1 b/b2 b/b3; do
		test -s "$(rrd_of "${f%/*}" "${f#*/}")" || return 1
	done
}
check "both instances' RRD files exist (created through rrdcached)" \
    wait_for 60 all_rrds
updates_at_least() { [ "$(rrdc_stat UpdatesReceived)" -ge "$1" ]; }
# 5 targets, a round every 2 s: well over 20 updates in 30 s
check "rrdcached received the updates of both" wait_for 60 updates_at_least 20
echo "# rrdcached: $(rrdc_stat UpdatesReceived) updates received," \
    "$(rrdc_stat DataSetsWritten) data sets written so far"

# the last update as rrdcached knows it, through it (not the file); over
# TCP the name relative to BASE
last_of() {
	local f=$1
	[ "$RRDC_TRANSPORT" = tcp ] && f=${f#"$BASE"/}
	rrdtool last --daemon "$ADDR" "$f" 2>/dev/null
}
t0=$(last_of "$(rrd_of b b1)")
sleep 6
t1=$(last_of "$(rrd_of b b1)")
check "instance b's files advance ($t0 -> $t1)" \
    [ -n "$t0" ] && [ -n "$t1" ] && [ "$t1" -gt "$t0" ]
t0=$(last_of "$(rrd_of a a2)")
sleep 4
t1=$(last_of "$(rrd_of a a2)")
check "instance a's files advance ($t0 -> $t1)" \
    [ -n "$t0" ] && [ -n "$t1" ] && [ "$t1" -gt "$t0" ]

graphs() { test -s "$TEST_TMP/a/www/g/a1-lat-3h.png" &&
    test -s "$TEST_TMP/b/www/g/b3-lat-3h.png"; }
check "both instances' pages have their graphs" wait_for 60 graphs

# stop both: each flushes its files through rrdcached; then rrdcached
# itself, without its own flush of the rest (-w 3600 and SIGKILL)
stop_at=$(date +%s)
kill -TERM "$B_PID"
wait "$B_PID"
check "instance b stops cleanly" [ $? = 0 ]
tramond_stop
check "instance a stops cleanly" [ $? = 0 ]
kill -KILL "$RRDC_PID" 2>/dev/null
wait "$RRDC_PID" 2>/dev/null
RRDC_PID=

# on disk now: the rounds of the last 20 s of each file
recent() {
	rrdtool fetch "$1" AVERAGE -r 2 -s "$((stop_at - 20))" -e "$stop_at" |
	    awk 'NF > 1 && $2 != "-nan" && $2 != "nan" { n++ } END { print n + 0 }'
}
for f in a/a1 b/b3; do
	n=$(recent "$(rrd_of "${f%/*}" "${f#*/}")")
	check "$f: the last rounds are on disk after the stop ($n rows)" \
	    [ "$n" -ge 3 ]
done
check "no store errors in either log" sh -c \
    "! grep -i 'store.*\\(cannot\\|error\\|fail\\)' '$TRAMOND_LOG' '$TEST_TMP/b.log'"
summary
