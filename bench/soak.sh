#!/bin/bash
#
# bench/soak.sh: does tramond stay flat (memory, file descriptors, outbox)
# over a long run at 10,000 targets with outages coming and going?
#
#	sudo bench/soak.sh [BUILD_DIR]
#
# One tramond pings TARGETS addresses (198.18.0.1 onwards, 250 a /24),
# COUNT echoes a round every INTERVAL seconds (20 per 60 s, as
# bench/icmp.sh), down_after 2, up_after 2, a reminder every REPEAT
# minutes while down, every target notifying one mail contact: a real
# SMTP server (tests/mail/smtpd.py, aiosmtpd) keeping what it receives.
#
# The network is two namespaces of this script's own (tmsoakPID-a and
# -b, deleted at exit): tramond, the SMTP server and the /metrics reader
# run in -a, whose only way out is a veth to -b; -b answers for the
# targets' /24s (a "local" route each, on its loopback) and forwards
# nothing.  An outage deletes a slice's local routes in -b: the echoes
# arrive and are dropped without a word (no ICMP error, no send error on
# tramond's side), as a cut link does; putting the routes back ends it.
# Nothing outside these namespaces is touched or contacted.
#
# Outages: the first OUTAGE_START s after tramond starts, then every
# OUTAGE_EVERY s, SLICE targets (whole /24s, the next ones each time)
# unreachable for OUTAGE_DOWN s.
#
# Every SAMPLE s (30) one CSV row (KEEP/soak.csv, or printed at the end):
#   t_s,rss_kb,hwm_kb,fds,threads,outbox_files,mails,up,down,rrd_files,
#   cpu_ticks,outage
# VmRSS, VmHWM and Threads from /proc/PID/status, fds = /proc/PID/fd
# entries, outbox_files = files under state_dir/outbox, mails = messages
# the SMTP server received, up/down = tramon_target_up and the targets
# whose tramon_target_state is "down" (from /metrics), cpu_ticks = utime
# + stime of tramond, outage = targets cut off at that moment.
#
# At the end: the curve a minute at a time (the row nearest each whole
# minute), and a verdict on the last two thirds of the run (the first
# third is the warm-up: 10,000 RRD files made, the first render):
# the least-squares slope of RSS, in MB an hour, "flat" when it projects
# to less than 2 MB + 2 % of the mean RSS over that stretch; fds "flat"
# when their fitted rise over it is at most 4 (mail connections and a
# render pipe come and go); the outbox's highest count is printed.
#
# Pages: web_refresh is 86400 s, so pages are rendered when states change
# (the warm-up, each outage); their `rrdtool -` child runs at nice 19 (a
# wrapper first on tramond's PATH), as in bench/icmp.sh.  RRD writes are
# on (direct librrd, about 2 MB a file at a 60-s step: 20 GB at 10,000
# targets, checked against the free space).
#
# Environment: SOAK_MINUTES (30), TARGETS (10000), INTERVAL (60), COUNT
# (20), REPEAT (5), SAMPLE (30), SLICE (500), OUTAGE_START (300),
# OUTAGE_EVERY (360), OUTAGE_DOWN (240), KEEP (a directory for the CSV
# and tramond's log).  Results: docs/benchmarks.md.
#
set -Eeuo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
SOAK_MINUTES=${SOAK_MINUTES:-30}
TARGETS=${TARGETS:-10000}
INTERVAL=${INTERVAL:-60}
COUNT=${COUNT:-20}
REPEAT=${REPEAT:-5}
SAMPLE=${SAMPLE:-30}
SLICE=${SLICE:-500}
OUTAGE_START=${OUTAGE_START:-300}
OUTAGE_EVERY=${OUTAGE_EVERY:-360}
OUTAGE_DOWN=${OUTAGE_DOWN:-240}
. "$TOP/bench/lib.sh" soak
say() { echo "soak: $(date +%H:%M:%S) $*" >&2; }	# with the time
[ "$(id -u)" = 0 ] || die "run as root (network namespaces, raw ICMP sockets)"
[ -x "$BUILD/tramond" ] || die "$BUILD/tramond is not built"
command -v rrdtool >/dev/null || die "rrdtool missing (apt-get install rrdtool)"
command -v ip >/dev/null || die "ip missing (apt-get install iproute2)"
"$PYTHON" -c 'import aiosmtpd' 2>/dev/null || die "python3-aiosmtpd missing"
[ "$TARGETS" -ge 1 ] && [ "$TARGETS" -le 60000 ] || die "TARGETS: 1 to 60000"
[ "$SOAK_MINUTES" -ge 2 ] || die "SOAK_MINUTES: at least 2"
NETS=$(( (TARGETS + 249) / 250 ))	# /24s: 198.18.0.0 .. 198.18.(NETS-1).0
[ "$SLICE" -ge 250 ] || SLICE=250
SLICE_NETS=$(( SLICE / 250 ))
[ "$SLICE_NETS" -le "$NETS" ] || SLICE_NETS=$NETS

W=$(mktemp -d /tmp/tramon-soak.XXXXXX)
chmod 755 "$W"
NSA=tmsoak$$-a
NSB=tmsoak$$-b
TRAMOND_PID=
SMTPD_PID=
cleanup() {
	for p in $TRAMOND_PID $SMTPD_PID; do
		stop_pid "$p"
	done
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	keep "$W"/soak.csv "$W"/tramond.log
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_rrd_space $(( $(rrd_file_bytes 13) / 1024 * TARGETS + 5 * 1024 * 1024 ))

# --- the network: -a (tramond) --veth-- -b (the targets)
ip netns add "$NSA" || die "cannot create netns $NSA"
ip netns add "$NSB" || die "cannot create netns $NSB"
ip -n "$NSA" link set lo up
ip -n "$NSB" link set lo up
ip -n "$NSA" link add sk0 type veth peer name sk1 netns "$NSB"
ip -n "$NSA" addr add 198.19.255.1/30 dev sk0
ip -n "$NSB" addr add 198.19.255.2/30 dev sk1
ip -n "$NSA" link set sk0 up
ip -n "$NSB" link set sk1 up
ip -n "$NSA" route add 198.18.0.0/15 via 198.19.255.2
ip netns exec "$NSB" sysctl -qw net.ipv4.ip_forward=0
net_up() {	# net_up FIRST COUNT: the /24s answer
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		echo "route replace local 198.18.$i.0/24 dev lo table local"
	done | ip -n "$NSB" -batch -
}
net_down() {	# net_down FIRST COUNT: the /24s drop silently
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		echo "route del local 198.18.$i.0/24 dev lo table local"
	done | ip -n "$NSB" -batch -
}
net_up 0 "$NETS"

# --- the mail server, in -a
mkdir "$W/mx"
ip netns exec "$NSA" "$PYTHON" "$TOP/tests/mail/smtpd.py" --port 0 \
    --maildir "$W/mx" >"$W/smtpd.out" 2>"$W/smtpd.log" &
SMTPD_PID=$!
for ((n = 0; n < 100; n++)); do
	grep -q '^ready ' "$W/smtpd.out" 2>/dev/null && break
	kill -0 "$SMTPD_PID" 2>/dev/null || die "smtpd.py exited: $(tail -3 "$W/smtpd.log")"
	sleep 0.2
done
MXPORT=$(awk '/^ready / { print $2 }' "$W/smtpd.out")
[ -n "$MXPORT" ] || die "smtpd.py did not start"

HTTP=127.0.0.1:8080	# in -a: nothing else listens there
CONF=$W/tramon.conf
{
	cat <<EOF
daemon = {
  name = "soak"; state_dir = "$W/state"; web_dir = "$W/www";
  plugin_dir = "$BUILD/plugins/.libs"; user = "root"; log = "stderr";
  log_level = "info"; timezone = "UTC"; http_listen = "$HTTP";
  control_socket = "$W/tramond.sock"; web_refresh = 86400;
};
smtp = { url = "smtp://127.0.0.1:$MXPORT"; starttls = "none";
  from = "soak <soak@example.org>"; timeout = 30; };
contacts = ( { id = "it"; email = [ "it@example.org" ]; } );
defaults = { interval = $INTERVAL; count = $COUNT; timeout = 1.0;
  down_after = 2; up_after = 2; notify = [ "it" ]; repeat_minutes = $REPEAT; };
targets = (
EOF
	awk -v n="$TARGETS" 'BEGIN { for (i = 0; i < n; i++)
		printf "%s  { id = \"t%d\"; type = \"ping\"; host = \"198.18.%d.%d\"; }",
		    (i ? ",\n" : ""), i, int(i / 250), 1 + i % 250; print "" }'
	echo ");"
} >"$CONF"
"$BUILD/tramond" -n -c "$CONF" >/dev/null 2>&1 ||
    die "configuration refused: $("$BUILD/tramond" -n -c "$CONF" 2>&1 | tail -3)"

nice_rrdtool

say "$TARGETS targets, $COUNT echoes per $INTERVAL s, $SOAK_MINUTES minutes; outages of $((SLICE_NETS * 250)) targets for $OUTAGE_DOWN s every $OUTAGE_EVERY s from $OUTAGE_START s"
PATH=$W/bin:$PATH TRAMON_ASSET_DIR=$TOP/web ip netns exec "$NSA" \
    "$BUILD/tramond" -f -c "$CONF" 2>"$W/tramond.log" &
TRAMOND_PID=$!
T0=$(date +%s)

# in -a, one try (not bench/lib.sh's 3); alive: bench/lib.sh
metrics() { ip netns exec "$NSA" curl -fsS --max-time 30 "http://$HTTP/metrics"; }

echo "t_s,rss_kb,hwm_kb,fds,threads,outbox_files,mails,up,down,rrd_files,cpu_ticks,outage" >"$W/soak.csv"
sample() {	# sample OUTAGE
	local st m
	st=$(proc_status "$TRAMOND_PID" VmRSS VmHWM Threads | tr ' ' ,)
	m=$(metrics 2>/dev/null | awk '
	    /^tramon_target_up\{/ { u += $2 }
	    /^tramon_target_state\{/ && /state="down"/ { d += $2 }
	    END { print u + 0 "," d + 0 }') || m=","
	echo "$(( $(date +%s) - T0 )),${st%,*},$(ls "/proc/$TRAMOND_PID/fd" | wc -l),${st##*,},$(find "$W/state/outbox" -type f 2>/dev/null | wc -l),$(find "$W/mx" -name '[0-9]*.eml' | wc -l),$m,$(find "$W/state/rrd" -name '*.rrd' 2>/dev/null | wc -l),$(cpu_self),$1" >>"$W/soak.csv"
}

END=$((T0 + SOAK_MINUTES * 60))
next_sample=$T0
next_outage=$((T0 + OUTAGE_START))
outage_end=0
first=0		# the next slice's first /24
cut=0		# targets cut off now
while :; do
	now=$(date +%s)
	[ "$now" -lt "$END" ] || break
	alive
	if [ "$outage_end" -gt 0 ] && [ "$now" -ge "$outage_end" ]; then
		net_up "$first" "$SLICE_NETS"
		say "outage over: 198.18.$first.0 - 198.18.$((first + SLICE_NETS - 1)).255 back"
		first=$(( (first + SLICE_NETS) % NETS ))
		[ $((first + SLICE_NETS)) -le "$NETS" ] || first=0
		outage_end=0
		cut=0
	fi
	if [ "$now" -ge "$next_outage" ] && [ "$outage_end" -eq 0 ]; then
		net_down "$first" "$SLICE_NETS"
		cut=$(( SLICE_NETS * 250 ))
		[ $((first * 250 + cut)) -le "$TARGETS" ] || cut=$((TARGETS - first * 250))
		say "outage: 198.18.$first.0 - 198.18.$((first + SLICE_NETS - 1)).255 ($cut targets) dropped for $OUTAGE_DOWN s"
		outage_end=$((now + OUTAGE_DOWN))
		next_outage=$((next_outage + OUTAGE_EVERY))
	fi
	if [ "$now" -ge "$next_sample" ]; then
		sample "$cut"
		say "$(tail -1 "$W/soak.csv")"
		next_sample=$((next_sample + SAMPLE))
	fi
	sleep 1
done
sample "$cut"
grep -a -c -E 'warn|error|cannot|could not' "$W/tramond.log" | sed 's/^/soak: warnings and errors in the log: /' >&2 || true
grep -a -E 'warn|error|cannot|could not' "$W/tramond.log" | head -5 >&2 || true

# --- the curve and the verdict
"$PYTHON" - "$W/soak.csv" "$TARGETS" "$COUNT" "$INTERVAL" <<'EOF'
import csv, sys
rows = [{k: (int(v) if v not in ("", None) else None) for k, v in r.items()}
        for r in csv.DictReader(open(sys.argv[1]))]
n, count, interval = sys.argv[2:5]
print(f"{int(n):,} targets, {count} echoes per {interval} s, "
      f"{rows[-1]['t_s'] / 60:.1f} minutes, {len(rows)} samples\n")
print("| minute | RSS (MB) | fds | threads | outbox files | mails | up / down | cut off |")
print("|---|---|---|---|---|---|---|---|")
for m in range(0, rows[-1]["t_s"] // 60 + 1):
    r = min(rows, key=lambda r: abs(r["t_s"] - 60 * m))
    print(f"| {m} | {r['rss_kb'] / 1024:.1f} | {r['fds']} | {r['threads']} | "
          f"{r['outbox_files']} | {r['mails']} | {r['up']} / {r['down']} | {r['outage']} |")
t_end = rows[-1]["t_s"]
tail = [r for r in rows if r["t_s"] >= t_end / 3]
xs = [r["t_s"] / 3600 for r in tail]
ys = [r["rss_kb"] / 1024 for r in tail]
mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
sxx = sum((x - mx) ** 2 for x in xs)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
rise = slope * (xs[-1] - xs[0])
bound = 2 + 0.02 * my
fds = [r["fds"] for r in tail]
fslope = sum((x - mx) * (r["fds"] - sum(fds) / len(fds)) for x, r in zip(xs, tail)) / sxx if sxx else 0.0
frise = fslope * (xs[-1] - xs[0])
ob = [r["outbox_files"] for r in rows]
rss_v = "flat" if rise <= bound else "GROWING"
fd_v = "flat" if frise <= 4 else "GROWING"
print(f"\nlast two thirds ({tail[0]['t_s'] / 60:.1f}-{t_end / 60:.1f} min): "
      f"RSS {min(ys):.1f}-{max(ys):.1f} MB, slope {slope:+.2f} MB/h "
      f"(fitted rise {rise:+.2f} MB, bound {bound:.1f} MB): {rss_v}; "
      f"fds {min(fds)}-{max(fds)} (fitted rise {frise:+.1f}): {fd_v}; peak RSS (VmHWM) "
      f"{rows[-1]['hwm_kb'] / 1024:.1f} MB; outbox at most {max(ob)} files, "
      f"{rows[-1]['mails']} mails received; threads {min(r['threads'] for r in rows)}-"
      f"{max(r['threads'] for r in rows)}")
print(f"verdict: RSS {rss_v}, fds {fd_v}")
EOF
[ -n "${KEEP:-}" ] || { echo; cat "$W/soak.csv"; }
