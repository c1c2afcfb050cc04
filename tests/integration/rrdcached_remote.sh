#!/usr/bin/env bash
#
# A remote rrdcached (daemon.rrdcached "HOST:PORT" without
# rrdcached_base): its files are not seen by tramond, and everything
# goes through rrdcached's protocol.  rrdcached runs on 127.0.0.1:PORT
# with -b BASE -B -R; tramond is not told BASE, its state_dir is
# elsewhere, and daemon.rrdcached_dir = "hg/poller-a".
#  - the files are created (CREATE; -R makes the directories) under
#    BASE/hg/poller-a, and nothing under state_dir/rrd;
#  - `rrdtool fetch --daemon` shows real values;
#  - the pages have graphs drawn from them (rrdtool graph --daemon: the
#    same DEF PRINTs a value), status.json has uptime figures (FETCH),
#    and tramonctl's report runs;
#  - a changed interval rebuilds a file in place, its history kept;
#  - a switch (snmpsimd serving the Cisco recording, two ports with
#    traffic at rates the test chose, tests/snmp/mkrec.py): its ports'
#    files are made under BASE/hg/poller-a/sw/, their rates read back
#    through rrdcached are the chosen ones, its port pages have graphs;
#  - after tramond's SIGTERM, rrdcached is killed without writing
#    anything itself (-w 3600, SIGKILL): the last rounds are on disk, so
#    tramond's FLUSHes at the stop left nothing unwritten in it.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd rrdcached rrdtool snmpsimd
[ -f "$top_builddir/plugins/.libs/snmp.so" ] ||
    skip "no snmp plugin in this build ($top_builddir/plugins/.libs/snmp.so)"

BASE=$TEST_TMP/rrdcached-base
JOURNAL_DIR=$TEST_TMP/rrdcached-journal
STATE=$TEST_TMP/state
WWW=$TEST_TMP/www
DIR=hg/poller-a
ADDR=127.0.0.1:$(free_port)
mkdir -p "$BASE" "$JOURNAL_DIR"

# -w 3600: nothing reaches the disk by itself within the test
rrdcached -g -w 3600 -z 0 -f 7200 -j "$JOURNAL_DIR" -l "$ADDR" \
    -b "$BASE" -B -R -p "$TEST_TMP/rrdcached.pid" \
    >"$TEST_TMP/rrdcached.log" 2>&1 &
RRDC_PID=$!
stop_rrdcached() {
	[ -n "${RRDC_PID:-}" ] || return 0
	kill -KILL "$RRDC_PID" 2>/dev/null
	wait "$RRDC_PID" 2>/dev/null
	RRDC_PID=
}
# the switch's agent: octets per second in and out of two of its ports
SIMD=$top_srcdir/tests/snmp/simd.sh
SIM=$TEST_TMP/sim
SNMP_PORT=$(free_udp_port)
RATES=(Fa3/0/3:1000000:250000 Fa3/0/7:50000:400000)
RATE_OPTS=()
for r in "${RATES[@]}"; do
	RATE_OPTS+=(--rate "$r")
done
mkdir -p "$SIM"
chmod 755 "$SIM"
"$PYTHON" "$top_srcdir/tests/snmp/mkrec.py" \
    "$top_srcdir/tests/data/cisco_16_switch.snmprec.gz" "$SIM/sw.snmprec" \
    --t0 "$(date +%s)" "${RATE_OPTS[@]}" \
    >"$TEST_TMP/sw.rates" || hard_error "mkrec.py failed"
stop_agent() { "$SIMD" stop "$SIM" "$SNMP_PORT" >/dev/null 2>&1 || true; }
trap 'rc=$?; stop_agent; stop_rrdcached; (exit $rc); lib_cleanup' EXIT
"$SIMD" start "$SIM" "$SNMP_PORT" >"$TEST_TMP/simd.log" 2>&1 ||
    hard_error "snmpsimd did not start: $(cat "$TEST_TMP/simd.log")"
listens() { rrdtool info --daemon "$ADDR" nothing.rrd 2>&1 |
    grep -q "No such file"; }
check "rrdcached listens on $ADDR" wait_for 20 listens

conf() {
	cat <<EOF
daemon = {
  name        = "Poller a";
  state_dir   = "$STATE";
  web_dir     = "$WWW";
  plugin_dir  = "$top_builddir/plugins/.libs";
  user        = "root";
  log         = "stderr";
  log_level   = "info";
  http_listen = "127.0.0.1:$(free_port)";
  rrdcached   = "$ADDR";
  rrdcached_dir = "$DIR";
  web_refresh = 5;
  control_socket = "$TEST_TMP/tramond.sock";
};
defaults = { type = "ping"; interval = 2; count = 2; timeout = 0.5; };
targets = (
  { id = "r1"; host = "127.0.0.31"; interval = $1; },
  { id = "r2"; host = "127.0.0.32"; },
  { id = "sw"; type = "snmp"; host = "127.0.0.1"; interval = 5;
    timeout = 2.0; snmp = { version = "2c"; community = "sw";
    port = $SNMP_PORT; interfaces = [ "Fa3/0/3", "Fa3/0/7" ]; }; }
);
EOF
}
conf 2 >"$TEST_TMP/tramon.conf"
tramond_start "$TEST_TMP/tramon.conf"

files() { test -s "$BASE/$DIR/r1.rrd" && test -s "$BASE/$DIR/r2.rrd"; }
check "the RRD files are made under rrdcached's base, in $DIR" \
    wait_for 60 files
check "nothing under state_dir/rrd" \
    test -z "$(find "$STATE/rrd" -type f 2>/dev/null)"

# real values, read through rrdcached (it flushes for a FETCH)
values() {
	rrdtool fetch --daemon "$ADDR" "$DIR/$1.rrd" AVERAGE -s -60 |
	    awk 'NF > 7 && $2 != "-nan" && $2 != "nan" && $8 + 0 == 1 { n++ }
	    END { exit n >= 3 ? 0 : 1 }'
}
check "rrdtool fetch --daemon: r1 has up rounds with a median" \
    wait_for 30 values r1
check "rrdtool fetch --daemon: r2 too" wait_for 30 values r2

graphs() { test -s "$WWW/g/r1-lat-3h.png" && test -s "$WWW/g/r2-spark.png" &&
    test -s "$WWW/status.json"; }
check "the pages have their graphs" wait_for 60 graphs
# the graph's own DEF, through the daemon, has values (not an empty
# graph): the median of the last minutes, in ms
median_ms=$(rrdtool graph /dev/null --daemon "$ADDR" -s -300 \
    "DEF:m=$DIR/r1.rrd:median:AVERAGE" CDEF:ms=m,1000,* \
    'PRINT:ms:AVERAGE:%.6lf' | tail -n 1)
check "the graph's DEF through rrdcached has a median ($median_ms ms)" \
    awk -v v="$median_ms" 'BEGIN { exit (v + 0 > 0 && v + 0 < 1000) ? 0 : 1 }'
# drawn again once data is there: with a line and the legend's figures
# a graph is larger than an empty one (about 2.5 KB at this size)
sleep 6
size_r1=$(stat -c %s "$WWW/g/r1-lat-3h.png")
check "the latency graph is not empty ($size_r1 bytes)" \
    [ "$size_r1" -gt 3000 ]
uptime() { json_test "$WWW/status.json" \
    't("r1")["uptime_24h_pct"] is not None and t("r1")["uptime_24h_pct"] > 0'; }
check "status.json has r1's uptime (read through rrdcached)" \
    wait_for 30 uptime

# the switch's ports: a file each under rrdcached's base, the rates read
# back through it (octets per second as rates, stored every 5 s) within
# 10 % of the agent's, and the port pages' graphs
ports() { test -s "$BASE/$DIR/sw/Fa3_0_3.rrd" &&
    test -s "$BASE/$DIR/sw/Fa3_0_7.rrd"; }
check "the switch's port files are made in $DIR/sw" wait_for 60 ports
# port_rate PORT DS WANT: a row of the last minute within 10 % of WANT
port_rate() {
	rrdtool fetch --daemon "$ADDR" "$DIR/sw/$1.rrd" AVERAGE -s -60 |
	    awk -v ds="$2" -v want="$3" '
	    NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) col = i + 1 }
	    NF > 2 && col && $col != "-nan" && $col != "nan" {
		d = $col / want - 1; if (d < 0) d = -d; if (d < 0.1) n++ }
	    END { exit n >= 1 ? 0 : 1 }'
}
for r in "${RATES[@]}"; do
	IFS=: read -r p in out <<<"$r"
	f=${p//\//_}
	check "$p: in_octets through rrdcached is $in/s" \
	    wait_for 40 port_rate "$f" in_octets "$in"
	check "$p: out_octets through rrdcached is $out/s" \
	    wait_for 10 port_rate "$f" out_octets "$out"
done
port_graphs() { grep -q 'src="../../g/sw/Fa3_0_3-traffic-1d.png' \
    "$WWW/t/sw/Fa3_0_3.html" 2>/dev/null &&
    test -s "$WWW/g/sw/Fa3_0_3-traffic-1d.png" &&
    test -s "$WWW/g/sw/Fa3_0_7-traffic-30d.png"; }
check "the switch's port pages show their traffic graphs" \
    wait_for 60 port_graphs

# the month's report, offline by tramonctl, from the same files (its
# latency and loss come from the 1-hour archive, empty in a test this
# short: that FETCH is the one status.json's uptime used above)
month=$(date +%Y-%m)
tramonctl -c "$TEST_TMP/tramon.conf" report --month "$month" \
    --format csv >"$TEST_TMP/report.csv" 2>"$TEST_TMP/report.err"
check "tramonctl report runs against the remote files" [ $? = 0 ]
check "the report lists r1" grep -q ',r1,' "$TEST_TMP/report.csv"

# a new interval: rebuilt in place, from itself (no renaming remotely)
before=$(rrdtool fetch --daemon "$ADDR" "$DIR/r1.rrd" AVERAGE -s -60 |
    awk 'NF > 7 && $2 != "-nan" { n++ } END { print n + 0 }')
conf 4 >"$TEST_TMP/tramon.conf"
kill -HUP "$TRAMOND_PID"
rebuilt() { grep -q "r1: layout changed, rebuilt $DIR/r1.rrd" "$TRAMOND_LOG"; }
check "a new interval rebuilds r1 through rrdcached" wait_for 30 rebuilt
check "r1's step is 4 now" sh -c "rrdtool info --daemon '$ADDR' '$DIR/r1.rrd' |
    grep -qx 'step = 4'"
after=$(rrdtool fetch --daemon "$ADDR" "$DIR/r1.rrd" AVERAGE -s -120 |
    awk 'NF > 7 && $2 != "-nan" { n++ } END { print n + 0 }')
check "r1's history is kept ($before rows before, $after after)" \
    [ "$after" -ge 3 ]
sleep 6

# stop tramond (it FLUSHes its files), then rrdcached without a word
stop_at=$(date +%s)
tramond_stop
check "tramond stops cleanly" [ $? = 0 ]
stop_rrdcached
recent() {	# recent FILE [SECONDS]
	rrdtool fetch "$BASE/$DIR/$1.rrd" AVERAGE -s "$((stop_at - ${2:-12}))" \
	    -e "$stop_at" |
	    awk 'NF > 1 && $2 != "-nan" && $2 != "nan" { n++ } END { print n + 0 }'
}
for t in r1 r2; do
	n=$(recent "$t")
	check "$t: the last rounds are on disk after the stop ($n rows)" \
	    [ "$n" -ge 2 ]
done
n=$(recent sw/Fa3_0_3 25)
check "sw/Fa3_0_3: its last rounds are on disk after the stop ($n rows)" \
    [ "$n" -ge 2 ]
check "nothing under state_dir/rrd at the end" \
    test -z "$(find "$STATE/rrd" -type f 2>/dev/null)"
check "no store, graph or rrdcached errors in tramond's log" sh -c \
    "! grep -i '\\(store\\|graph\\|rrdcached\\).*\\(cannot\\|error\\|fail\\)' '$TRAMOND_LOG'"
grep -E 'store|graph|rrdcached' "$TRAMOND_LOG" | sed 's/^/# /' | head -n 20
summary
