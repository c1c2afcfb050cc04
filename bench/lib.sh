# shellcheck shell=bash
# bench/lib.sh: the shell helpers the benchmark scripts share.
#
#	. "$TOP/bench/lib.sh" NAME
#
# sourced by bench/*.sh once their own variables are set; NAME prefixes
# their messages ("icmp: ...").  Sets PYTHON and HZ.  The helpers that
# name them use the script's W (its work directory) and TRAMOND_PID, and
# its log $W/tramond.log.  metrics below reads /metrics with retries; a
# script that reads it otherwise (another timeout, in a namespace)
# defines its own metrics after sourcing this file, and wait_up uses that.

BENCH_NAME=$1
PYTHON=/usr/bin/python3
# (HZ: for the scripts)
# shellcheck disable=SC2034
HZ=$(getconf CLK_TCK)

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
say() { echo "$BENCH_NAME: $*" >&2; }

free_port() {	# free_port tcp|udp: a port free on 127.0.0.1
	"$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

free_kb() {	# free_kb DIR: kB available to DIR's file system
	df -Pk "$1" | awk 'NR == 2 { print $4 }'
}

# rrd_file_bytes DS: an RRD file of DS data sources of 8 bytes, with the rows
# of store.c's archives (2 days of steps, 2 weeks of 5 min, 93 days of
# 1 h x3, 5 years of 1 day x3) at a step of INTERVAL s
rrd_file_bytes() {
	echo $(( (2 * 86400 / INTERVAL + 4032 + 2232 * 3 + 1830 * 3) * $1 * 8 ))
}

need_rrd_space() {	# need_rrd_space KB: die unless KB are free in $W
	local free
	free=$(free_kb "$W")
	[ "$free" -ge "$1" ] ||
	    die "$(($1 / 1048576)) GB needed in $W for the RRD files," \
	    "$((free / 1048576)) GB free"
}

# the graphs' rrdtool, niced from birth: $W/bin/rrdtool, for the front
# of tramond's PATH
nice_rrdtool() {
	mkdir "$W/bin"
	printf '#!/bin/sh\nexec nice -n 19 %s "$@"\n' "$(command -v rrdtool)" >"$W/bin/rrdtool"
	chmod 755 "$W/bin/rrdtool"
}

# A reading can be cut short on a loaded machine (curl: "transfer closed
# with N bytes remaining", seen once at 1,000 switches x 10 s with a load
# average of 16, while the first round created the RRD files): 3 tries.
metrics() {
	local _
	for _ in 1 2 3; do
		curl -fsS --max-time 30 "http://$HTTP/metrics" >"$W/metrics.tmp" &&
		    { cat "$W/metrics.tmp"; return 0; }
		sleep 1
	done
	return 1
}

alive() { kill -0 "$TRAMOND_PID" 2>/dev/null || die "tramond exited: $(tail -5 "$W/tramond.log")"; }

# wait_up TRIES [alive]: until /metrics answers (TRIES tries at most,
# 0.2 s apart), or die; with "alive", as soon as tramond has exited
wait_up() {
	local n
	for ((n = 0; n < $1; n++)); do
		metrics >/dev/null 2>&1 && break
		[ -z "${2:-}" ] || alive
		sleep 0.2
	done
	metrics >/dev/null || die "tramond did not come up: $(tail -5 "$W/tramond.log")"
}

# stop_pid PID [NOTE]: TERM, up to 30 s to go, then KILL (said with NOTE
# first, if given); reaped
stop_pid() {
	local n
	kill "$1" 2>/dev/null || true
	for ((n = 0; n < 150; n++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$1" 2>/dev/null; then
		[ -z "${2:-}" ] || say "$2"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

stop_tramond() {	# stop_pid, if it runs
	[ -n "$TRAMOND_PID" ] || return 0
	stop_pid "$TRAMOND_PID"
	TRAMOND_PID=
}

# CPU ticks (utime + stime, /proc/PID/stat)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_self() { ticks "$TRAMOND_PID"; }
cpu_children() {	# tramond's children: reaped (cutime + cstime) + the live rrdtool
	local reaped live=0 c
	reaped=$(awk '{ print $16 + $17 }' "/proc/$TRAMOND_PID/stat")
	for c in $(cat /proc/"$TRAMOND_PID"/task/*/children 2>/dev/null); do
		live=$((live + $(ticks "$c" 2>/dev/null || echo 0)))
	done
	echo $((reaped + live))
}
threads() {	# "thr COMM TICKS" per thread name of tramond
	local t
	for t in /proc/"$TRAMOND_PID"/task/*; do
		echo "thr $(tr ' ' _ <"$t/comm") $(awk '{ print $14 + $15 }' "$t/stat")"
	done 2>/dev/null | awk '{ n[$2] += $3 } END { for (k in n) print "thr", k, n[k] }'
}

# proc_status PID KEY...: the values (kB for VmRSS, VmHWM) of KEYs in
# /proc/PID/status, on one line in KEYs' order
proc_status() {
	local pid=$1
	shift
	awk -v keys="$*" '{ v[$1] = $2 }
	    END { n = split(keys, k); for (i = 1; i <= n; i++) printf "%s%s", v[k[i] ":"], (i < n ? " " : "\n") }' \
	    "/proc/$pid/status"
}

keep() {	# keep FILE...: copied into $KEEP, if set (those missing skipped)
	[ -n "${KEEP:-}" ] || return 0
	mkdir -p "$KEEP"
	cp "$@" "$KEEP"/ 2>/dev/null || true
}
