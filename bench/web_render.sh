#!/bin/bash
#
# bench/web_render.sh: how long does a full page refresh take with many
# targets, and does it fit in web_refresh?
#
#	sudo bench/web_render.sh [BUILD_DIR]
#
# One tramond pings TARGETS loopback addresses (127.0.10.1 onwards; every
# address in 127.0.0.0/8 answers), 20 echoes a round every INTERVAL
# seconds, and renders the site every REFRESH seconds (daemon.web_refresh).
#
# History: with PREFILL_DAYS > 0 (the default, 365) the benchmark first
# lets tramond create one target's RRD (so the layout is store.c's own),
# creates a copy of it with `rrdtool create --template` starting
# PREFILL_DAYS ago, fills it with synthetic rounds (a daily wave of
# 0.4-1.2 ms, a 5 % loss hour every 3 days, a 20-minute outage a week;
# one update per step up to two steps ago) and copies that file to every
# target.  tramond then starts on a year of data: every graph of every
# range has something to draw, and the first render draws them all (with
# the per-render budget of daemon/web.c, the first few renders do).
#
# Measured, per render (from tramond's "web: rendered N targets in X ms"
# line, logged at debug level):
#   - the render's wall time;
#   - graphs drawn (PNG files under web_dir/g changed since the previous
#     render), by kind and range;
#   - CPU time of tramond itself and of its rrdtool child (the graphs are
#     drawn by an `rrdtool -` child: /proc/PID/stat utime+stime of the
#     live child plus cutime+cstime of the ones tramond has reaped) between
#     the end of the previous render and the end of this one: that is the
#     refresh period's CPU, pings and RRD writes included;
# and over the steady phase (renders after the first):
#   - the event loop's responsiveness: `tramonctl status` (control socket,
#     answered on the loop) timed every 2 s, and how late the echoes left
#     (/metrics ping_echo_late_*), the difference of two readings.
#
# Environment: TARGETS (1000), INTERVAL (60), REFRESH (60), RENDERS (steady
# renders to measure, 5), PREFILL_DAYS (365; 0 = start empty), MAX_SECONDS
# (a bound on the measured run, 3600), KEEP (a directory to keep the log
# and the per-render table in).  Results: docs/benchmarks.md.
#
set -Eeuo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
TARGETS=${TARGETS:-1000}
INTERVAL=${INTERVAL:-60}
REFRESH=${REFRESH:-60}
RENDERS=${RENDERS:-5}
PREFILL_DAYS=${PREFILL_DAYS:-365}
MAX_SECONDS=${MAX_SECONDS:-3600}
. "$TOP/bench/lib.sh" web_render
[ "$(id -u)" = 0 ] || die "run as root (raw ICMP sockets)"
[ -x "$BUILD/tramond" ] || die "$BUILD/tramond is not built"
[ -x "$BUILD/tramonctl" ] || die "$BUILD/tramonctl is not built"
command -v rrdtool >/dev/null || die "rrdtool missing (apt-get install rrdtool)"
[ "$TARGETS" -ge 1 ] && [ "$TARGETS" -le 10000 ] || die "TARGETS: 1 to 10000"

W=$(mktemp -d /tmp/tramon-bench.XXXXXX)
chmod 755 "$W"
TRAMOND_PID=
cleanup() {
	[ -z "$TRAMOND_PID" ] || { kill "$TRAMOND_PID" 2>/dev/null || true; wait "$TRAMOND_PID" 2>/dev/null || true; }
	keep "$W"/tramond*.log "$W"/renders.txt "$W"/ctl.txt
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

HTTP=127.0.0.1:$(free_port tcp)
CONF=$W/tramon.conf

host_of() {	# host_of N (0-based): 127.0.10.1, ..., 127.0.10.250, 127.0.11.1 ...
	echo "127.0.$((10 + $1 / 250)).$((1 + $1 % 250))"
}

write_conf() {	# write_conf NTARGETS
	cat <<EOF
daemon = {
  name = "bench"; state_dir = "$W/state"; web_dir = "$W/www";
  plugin_dir = "$BUILD/plugins/.libs"; user = "root"; log = "stderr";
  log_level = "debug"; timezone = "UTC"; http_listen = "$HTTP";
  control_socket = "$W/tramond.sock"; web_refresh = $REFRESH;
};
defaults = { interval = $INTERVAL; count = 20; timeout = 1.0; };
targets = (
EOF
	for ((i = 0; i < $1; i++)); do
		[ "$i" = 0 ] || echo ","
		echo -n "  { id = \"t$i\"; type = \"ping\"; host = \"$(host_of "$i")\"; }"
	done
	echo
	echo ");"
}

start_tramond() {	# start_tramond LOG
	TRAMON_ASSET_DIR=$TOP/web "$BUILD/tramond" -f -c "$CONF" 2>"$1" &
	TRAMOND_PID=$!
}

stop_tramond() {	# as long as it takes (not bench/lib.sh's 30 s, then KILL)
	kill "$TRAMOND_PID"
	wait "$TRAMOND_PID" 2>/dev/null || true
	TRAMOND_PID=
}

# --- history
if [ "$PREFILL_DAYS" -gt 0 ]; then
	say "letting tramond create one RRD (up to $((INTERVAL + 30)) s)"
	write_conf 1 >"$CONF"
	start_tramond "$W/tramond-template.log"
	for ((n = 0; n < (INTERVAL + 30) * 5; n++)); do
		[ -s "$W/state/rrd/t0.rrd" ] && break
		kill -0 "$TRAMOND_PID" 2>/dev/null ||
		    die "tramond exited: $(tail -3 "$W/tramond-template.log")"
		sleep 0.2
	done
	[ -s "$W/state/rrd/t0.rrd" ] || die "no RRD after $((INTERVAL + 30)) s"
	sleep 1
	stop_tramond
	cp "$W/state/rrd/t0.rrd" "$W/template.rrd"
	rm -rf "$W/state" "$W/www"

	say "filling $PREFILL_DAYS days of synthetic rounds"
	t_fill=$(date +%s)
	"$PYTHON" - "$W/template.rrd" "$W/filled.rrd" "$INTERVAL" "$PREFILL_DAYS" <<'EOF'
import math, re, subprocess, sys, time
tpl, out, step, days = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
info = subprocess.run(["rrdtool", "info", tpl], capture_output=True,
                      text=True, check=True).stdout
ds = sorted(((int(m.group(2)), m.group(1)) for m in
             re.finditer(r'^ds\[(\w+)\]\.index = (\d+)$', info, re.M)))
names = [n for _, n in ds]
now = int(time.time())
end = (now // step - 2) * step
start = end - days * 86400
subprocess.run(["rrdtool", "create", out, "--template", tpl, "--start",
                str(start), "--step", str(step)], check=True)
q = {"q05": .85, "q10": .9, "q25": .95, "q75": 1.05, "q90": 1.15, "q95": 1.25}

def row(t):
    base = 0.0008 + 0.0004 * math.sin(2 * math.pi * (t % 86400) / 86400)
    base *= 1 + 0.1 * math.sin(t * 0.37)          # some wobble
    if t % (7 * 86400) < 1200:                     # 20 min down a week
        v = {"loss": 100, "up": 0}
    else:
        loss = 5 if t % (3 * 86400) < 3600 else 0  # a lossy hour / 3 days
        v = {"median": base, "min": base * .8, "max": base * 1.6,
             "avg": base * 1.05, "jitter": base * .1, "loss": loss, "up": 1}
        for k, f in q.items():
            v[k] = base * f
    return str(t) + ":" + ":".join(
        "%.6g" % v[n] if n in v else "U" for n in names)

batch = []
for t in range(start + step, end + 1, step):
    batch.append(row(t))
    if len(batch) == 5000 or t + step > end:
        subprocess.run(["rrdtool", "update", out] + batch, check=True)
        batch = []
print(f"web_render: {len(names)} data sources, {(end - start) // step} "
      f"rounds a file", file=sys.stderr)
EOF
	mkdir -p "$W/state/rrd"
	for ((i = 0; i < TARGETS; i++)); do
		cp "$W/filled.rrd" "$W/state/rrd/t$i.rrd"
	done
	say "history ready in $(( $(date +%s) - t_fill )) s ($(du -sh "$W/state/rrd" | cut -f1))"
fi

# --- the measured run
write_conf "$TARGETS" >"$CONF"
LOG=$W/tramond.log
start_tramond "$LOG"
T_START=$(date +%s)

# one try, 10 s (not bench/lib.sh's 3 tries of 30 s)
metrics() { curl -fsS --max-time 10 "http://$HTTP/metrics"; }
wait_up 150

# CPU ticks: tramond itself; its children (reaped + the live rrdtool):
# cpu_self, cpu_children of bench/lib.sh

# graphs changed between two marks, by "kind-range" ("lat-3h", "spark")
graph_counts() {	# graph_counts OLDMARK NEWMARK
	find "$W/www/g" -name '*.png' -newer "$1" ! -newer "$2" 2>/dev/null |
	    sed -E 's/.*-((lat|loss|jitter)-[0-9]+[hdy]|spark)\.png$/\1/' |
	    sort | uniq -c | awk '{ printf "%s%s=%s", (NR > 1 ? "," : ""), $2, $1 } END { if (NR == 0) printf "none" }'
}

snap_metrics() {	# snap_metrics FILE
	metrics | grep -E 'ping_echo_late' >"$1" || true
}

# The sampler: every ~0.5 s look for new render lines; every 2 s time a
# tramonctl status.  renders.txt: one line per render:
#   N WALL_MS SELF_TICKS CHILD_TICKS TOTAL_GRAPHS COUNTS
touch -d "@$T_START" "$W/mark.0"
seen=0
last_self=$(cpu_self)
last_child=$(cpu_children)
last_ctl=0
: >"$W/renders.txt"
: >"$W/ctl.txt"
want=$((RENDERS + 1))
say "$TARGETS targets, interval $INTERVAL s, web_refresh $REFRESH s: waiting for $want renders (the first draws everything)"
while :; do
	now=$(date +%s)
	[ $((now - T_START)) -lt "$MAX_SECONDS" ] || { say "MAX_SECONDS reached"; break; }
	alive
	mapfile -t lines < <(grep -a 'web: rendered' "$LOG" || true)
	while [ "$seen" -lt "${#lines[@]}" ]; do
		l=${lines[$seen]}
		seen=$((seen + 1))
		stamp=${l%% *}				# HH:MM:SS.mmm
		ms=$(sed -E 's/.* in ([0-9]+) ms.*/\1/' <<<"$l")
		# the log's clock is daemon.timezone's: UTC here
		TZ=UTC touch -d "$stamp" "$W/mark.$seen"
		s=$(cpu_self)
		c=$(cpu_children)
		counts=$(graph_counts "$W/mark.$((seen - 1))" "$W/mark.$seen")
		total=$(awk -F'[=,]' '{ for (i = 2; i <= NF; i += 2) n += $i } END { print n + 0 }' <<<"$counts")
		echo "$seen $ms $((s - last_self)) $((c - last_child)) $total $counts" >>"$W/renders.txt"
		say "render $seen: $ms ms, $total graphs ($counts), tramond $(( (s - last_self) * 1000 / HZ )) ms CPU, rrdtool $(( (c - last_child) * 1000 / HZ )) ms CPU"
		last_self=$s
		last_child=$c
		[ "$seen" != 1 ] || snap_metrics "$W/late.a"
	done
	[ "$seen" -lt "$want" ] || break
	if [ "$seen" -ge 1 ] && [ $((now - last_ctl)) -ge 2 ]; then
		last_ctl=$now
		t0=$(date +%s%N)
		if timeout 30 "$BUILD/tramonctl" -c "$CONF" status >/dev/null 2>&1; then
			echo "$(( ($(date +%s%N) - t0) / 1000 ))" >>"$W/ctl.txt"
		else
			echo "fail" >>"$W/ctl.txt"
		fi
	fi
	sleep 0.5
done
snap_metrics "$W/late.b"

# --- the report
"$PYTHON" - "$W" "$HZ" "$TARGETS" "$INTERVAL" "$REFRESH" <<'EOF'
import re, statistics, sys
w, hz, n, interval, refresh = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
rows = []
for line in open(f"{w}/renders.txt"):
    f = line.split()
    rows.append((int(f[0]), int(f[1]), int(f[2]) / hz, int(f[3]) / hz,
                 int(f[4]), f[5]))
print(f"{n} targets, interval {interval} s, web_refresh {refresh} s\n")
print("| render | wall | graphs | by kind | tramond CPU | rrdtool CPU |")
print("|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r[0]} | {r[1] / 1000:.1f} s | {r[4]} | {r[5]} | {r[2]:.1f} s | {r[3]:.1f} s |")
steady = rows[1:]
if steady:
    walls = [r[1] / 1000 for r in steady]
    print(f"\nfirst render: {rows[0][1] / 1000:.1f} s, {rows[0][4]} graphs")
    print(f"steady renders ({len(steady)}): wall p50 {statistics.median(walls):.1f} s, "
          f"max {max(walls):.1f} s; graphs p50 {statistics.median(r[4] for r in steady):.0f}; "
          f"CPU per render p50: tramond {statistics.median(r[2] for r in steady):.1f} s, "
          f"rrdtool {statistics.median(r[3] for r in steady):.1f} s")
    print(f"fits in web_refresh ({refresh} s): "
          f"{'yes' if max(walls) <= refresh else 'NO'}")
ctl = [l.strip() for l in open(f"{w}/ctl.txt")]
ok = sorted(int(x) / 1000 for x in ctl if x != "fail")
if ok:
    print(f"tramonctl status during the steady phase: {len(ok)} calls, "
          f"p50 {ok[len(ok) // 2]:.1f} ms, max {ok[-1]:.1f} ms, "
          f"{len(ctl) - len(ok)} failed")

def late(path):
    v = {}
    try:
        for line in open(path):
            m = re.match(r'tramon_probe_events_total\{counter="([^"]+)"\} (\d+)', line)
            if m:
                v[m.group(1)] = int(m.group(2))
    except OSError:
        pass
    return v
a, b = late(f"{w}/late.a"), late(f"{w}/late.b")
d = {k: b[k] - a.get(k, 0) for k in b}
cnt = d.get("ping_echo_late_count", 0)
if cnt:
    bounds = sorted((int(re.search(r"le_(\d+)us", k).group(1)), d[k])
                    for k in d if k.startswith("ping_echo_late_le_"))
    def q(p):
        for bound, cum in bounds:
            if cum >= p * cnt:
                return f"<= {bound / 1000:g} ms"
        return f"> {bounds[-1][0] / 1000:g} ms"
    worst, prev = "none", 0
    for bound, cum in bounds:
        if cum > prev:
            worst = f"<= {bound / 1000:g} ms"
        prev = cum
    if bounds and cnt > bounds[-1][1]:
        worst = f"> {bounds[-1][0] / 1000:g} ms"
    print(f"echoes during the steady phase: {cnt}, mean late "
          f"{d.get('ping_echo_late_sum_us', 0) / cnt / 1000:.3f} ms, "
          f"p50 {q(.5)}, p99 {q(.99)}, max {worst}")
EOF
grep -a -E 'store: .*(creat|rebuil|migrat)|warn|error' "$LOG" | grep -av 'round:' | head -5 >&2 || true
