#!/bin/bash
#
# bench/icmp.sh: what does tramond's ping prober cost per echo, beside
# fping doing the same echoes to the same addresses?
#
#	sudo bench/icmp.sh [BUILD_DIR]
#
# One tramond pings TARGETS loopback addresses (127.20.0.1 onwards; every
# address in 127.0.0.0/8 answers), COUNT echoes a round every INTERVAL
# seconds, timeout 1 s.  After the warm-up (every target UP, every RRD
# file created, then WARM seconds more) it is measured for WINDOW seconds:
#   - CPU: utime+stime of the whole process (/proc/PID/stat: the loop, the
#     RRD writer and the page threads), per 1,000 echoes sent in the window
#     (icmp_sent), and as a share of one core;
#     and by thread (/proc/PID/task: the loop is "tramond", RRD writes
#     "tm-store", pages "web");
#   - peak RSS (VmHWM of /proc/PID/status) and RSS (VmRSS) at the end;
#   - how late each echo left against its slot in the round (the
#     ping_echo_late_le_* buckets of /metrics, the difference of two
#     readings): p50, p99 and the highest non-empty bucket;
#   - replies matched: icmp_received / icmp_sent in the window, and the
#     targets UP at the end (tramon_target_up).
# /metrics is read before the window's first CPU reading and after its
# last, so building it (70,000 lines at 10,000 targets) is not counted.
#
# Pages: web_refresh is 86400 s, so pages are rendered only when a state
# changes (the warm-up's unknown -> up); the window begins once that
# render is over (the page thread and the graph child idle for 10 s, at
# most MAX_RENDER s from the start), and its CPU is reported apart.  Graphs are
# drawn by an `rrdtool -` child; the benchmark puts a wrapper first on
# tramond's PATH that runs the real rrdtool at nice 19, so the first
# render's graphs (up to 16 a target) do not take the CPU from the prober
# on a 2-core machine.  The child's CPU is reported apart.  RRD writes
# stay on (direct librrd; about 2 MB a file at a 60-s step, 3.5 MB at
# 10 s: 20-35 GB at 10,000 targets, checked against the free space).
#
# Then, tramond stopped, in the same run: fping doing the same echoes
# (several at once above 6,000 echoes a second, see below),
#	fping -C COUNT -p P -i I -q -f ADDRESSES
# with P = INTERVAL * 1000 / COUNT ms (3000 for 20 per 60 s) and I =
# 0.2 ms, or less when TARGETS * 0.2 ms does not fit in P (I = 0.9 * P /
# TARGETS: fping sends to every target once per P).  Its CPU is the
# child's getrusage(); echoes = TARGETS * COUNT; matched = the replies
# it printed.
#
# Last, the floor: bench/floor_pinger.c (built here with cc) sends the
# same schedule for WINDOW seconds with nothing but one raw socket,
# sendto() and recvmmsg(): what the kernel's work on an echo and its
# reply costs here (on loopback the reply is made in the sender's
# system call and charged to it), under any pinger's figure.
#
# Environment: RRDCACHED (0; 1 = RRD writes through rrdcached), TARGETS (1000), INTERVAL (60), COUNT (20), WARM (10),
# WINDOW (60), MAX_WARMUP (INTERVAL * 3 + 180), MAX_RENDER (MAX_WARMUP +
# 900), KEEP (a directory for the
# log and the readings).  Results: docs/benchmarks.md.
#
set -Eeuo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
TARGETS=${TARGETS:-1000}
INTERVAL=${INTERVAL:-60}
COUNT=${COUNT:-20}
WARM=${WARM:-10}
WINDOW=${WINDOW:-60}
MAX_WARMUP=${MAX_WARMUP:-$((INTERVAL * 3 + 180))}
MAX_RENDER=${MAX_RENDER:-$((MAX_WARMUP + 900))}
. "$TOP/bench/lib.sh" icmp
[ "$(id -u)" = 0 ] || die "run as root (raw ICMP sockets; fping -i below 1 ms)"
[ -x "$BUILD/tramond" ] || die "$BUILD/tramond is not built"
command -v fping >/dev/null || die "fping missing (apt-get install fping)"
command -v rrdtool >/dev/null || die "rrdtool missing (apt-get install rrdtool)"
[ "$TARGETS" -ge 1 ] && [ "$TARGETS" -le 60000 ] || die "TARGETS: 1 to 60000"

W=$(mktemp -d /tmp/tramon-bench.XXXXXX)
chmod 755 "$W"
TRAMOND_PID=
cleanup() {
	[ -z "$TRAMOND_PID" ] || { kill "$TRAMOND_PID" 2>/dev/null || true; wait "$TRAMOND_PID" 2>/dev/null || true; }
	[ -z "${RRDC_PID:-}" ] || { kill "$RRDC_PID" 2>/dev/null || true; wait "$RRDC_PID" 2>/dev/null || true; }
	keep "$W"/tramond.log "$W"/snap.* "$W"/fping.txt "$W"/floor.txt
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# An RRD file: 13 data sources
rrd_bytes=$(rrd_file_bytes 13)
need_rrd_space $(( rrd_bytes / 1024 * TARGETS + 5 * 1024 * 1024 ))

HTTP=127.0.0.1:$(free_port tcp)
CONF=$W/tramon.conf

# 127.20.0.1 .. 127.20.0.250, 127.20.1.1 ...: 250 a /24
for ((i = 0; i < TARGETS; i++)); do
	echo "127.$((20 + i / 62500)).$((i / 250 % 250)).$((1 + i % 250))"
done >"$W/addresses"

# RRDCACHED=1: RRD writes through Debian's rrdcached (batched) on a unix
# socket; its CPU is reported apart (and added to tramond's in "with
# rrdcached").
RRDC_ADDR= RRDC_PID=
if [ "${RRDCACHED:-0}" = 1 ]; then
	command -v rrdcached >/dev/null || die "rrdcached missing (apt-get install rrdcached)"
	mkdir -p "$W/rrdc-journal"
	rrdcached -g -w 300 -z 60 -f 3600 -j "$W/rrdc-journal" \
	    -l "unix:$W/rrdcached.sock" -p "$W/rrdcached.pid" >"$W/rrdcached.log" 2>&1 &
	RRDC_PID=$!
	for ((n = 0; n < 100; n++)); do [ -S "$W/rrdcached.sock" ] && break; sleep 0.1; done
	[ -S "$W/rrdcached.sock" ] || die "rrdcached did not start"
	RRDC_ADDR="unix:$W/rrdcached.sock"
fi
rrdc_cpu() { [ -n "$RRDC_PID" ] && ticks "$RRDC_PID" || echo 0; }

{
	cat <<EOF
daemon = {
  name = "bench"; state_dir = "$W/state"; web_dir = "$W/www";
  plugin_dir = "$BUILD/plugins/.libs"; user = "root"; log = "stderr";
  log_level = "info"; timezone = "UTC"; http_listen = "$HTTP";
  control_socket = "$W/tramond.sock"; web_refresh = 86400;
  rrdcached = "$RRDC_ADDR";
};
defaults = { interval = $INTERVAL; count = $COUNT; timeout = 1.0; };
targets = (
EOF
	awk '{ printf "%s  { id = \"t%d\"; type = \"ping\"; host = \"%s\"; }", (NR > 1 ? ",\n" : ""), NR - 1, $1 } END { print "" }' "$W/addresses"
	echo ");"
} >"$CONF"

# the graphs' rrdtool, niced from birth
nice_rrdtool

say "$TARGETS targets, $COUNT echoes per $INTERVAL s; RRD files ~$((rrd_bytes / 1048576)) MB each"
PATH=$W/bin:$PATH TRAMON_ASSET_DIR=$TOP/web "$BUILD/tramond" -f -c "$CONF" 2>"$W/tramond.log" &
TRAMOND_PID=$!
T_START=$(date +%s)

# (metrics, cpu_self, cpu_children, threads, alive: bench/lib.sh)
wait_up 300 alive

# --- warm-up: every target UP and every RRD file made
while :; do
	alive
	up=$(metrics | awk '/^tramon_target_up\{/ { n += $2 } END { print n + 0 }')
	rrds=$(find "$W/state/rrd" -name '*.rrd' 2>/dev/null | wc -l)
	el=$(( $(date +%s) - T_START ))
	[ "$up" -lt "$TARGETS" ] || [ "$rrds" -lt "$TARGETS" ] || break
	[ "$el" -lt "$MAX_WARMUP" ] ||
	    die "warm-up: $up of $TARGETS UP, $rrds RRD files after $el s"
	[ $((el % 10)) -ge 5 ] || say "warm-up: $el s, $up UP, $rrds RRD files"
	sleep 5
done
say "all UP and stored after $(( $(date +%s) - T_START )) s"

# --- the warm-up's renders: the state changes (unknown -> up) start a
# render that draws graphs for up to 2 minutes (web_refresh 86400: no
# other).  The window waits until the `web` thread and the rrdtool child
# have been idle for 10 s, so that it measures the prober and its RRD
# writes, as fping and the floor are measured: on an otherwise quiet
# machine.  What the render cost until then is reported apart (pages
# have their own benchmark, bench/web_render.sh).
web_ticks() { threads | awk '$2 == "web" { print $3 } END { print 0 }' | head -1; }
quiet=0 last=
while :; do
	alive
	now="$(web_ticks) $(cpu_children)"
	el=$(( $(date +%s) - T_START ))
	if [ "$now" = "$last" ]; then
		quiet=$((quiet + 1))
		[ "$quiet" -lt 2 ] || break
	else
		quiet=0
	fi
	last=$now
	if [ "$el" -ge "$MAX_RENDER" ]; then
		say "the render still runs after $el s: measured with it"
		break
	fi
	sleep 5
done
read -r render_web render_child <<<"$last"
echo "render $(( $(date +%s) - T_START )) $render_web $render_child" >"$W/snap.render"
say "pages drawn after $(( $(date +%s) - T_START )) s; $WARM s more, then $WINDOW s measured"
sleep "$WARM"

# --- the window: metrics outside the CPU readings
# (the echoes held up while tramond builds this reading are counted in
# the window: its time is reported with the lateness)
t0=$(date +%s%N)
metrics >"$W/snap.a"
echo "metrics_ms $(( ($(date +%s%N) - t0) / 1000000 ))" >>"$W/snap.a"
echo "cpu $(cpu_self) $(cpu_children) $(date +%s%N)" >>"$W/snap.a"
echo "rrdc $(rrdc_cpu)" >>"$W/snap.a"
threads >>"$W/snap.a"
sleep "$WINDOW"
echo "cpu $(cpu_self) $(cpu_children) $(date +%s%N)" >"$W/snap.b"
echo "rrdc $(rrdc_cpu)" >>"$W/snap.b"
threads >>"$W/snap.b"
metrics >>"$W/snap.b"
read -r hwm rss < <(proc_status "$TRAMOND_PID" VmHWM VmRSS)
printf 'hwm %s\nrss %s\n' "$hwm" "$rss" >>"$W/snap.b"
KIDS=$(cat /proc/"$TRAMOND_PID"/task/*/children 2>/dev/null || true)
# A render in progress holds up tramond's exit (the first render's graphs
# at 10,000 targets take hours with web_refresh 86400): 30 s, then KILL.
stop_pid "$TRAMOND_PID" "tramond still stopping after 30 s (a render in progress): KILL"
TRAMOND_PID=
# the rrdtool child ends on EOF; give it time not to overlap fping
for ((n = 0; n < 50; n++)); do
	[ -n "$KIDS" ] && kill -0 $KIDS 2>/dev/null || break
	sleep 0.2
done

# --- fping, same addresses, same echoes
# fping keeps each echo's sequence number for 10 s (its seqmap: 65,536
# numbers), so one fping cannot send more than ~6,500 echoes a second
# ("not enough sequence numbers available"): above 6,000 a second the
# addresses are split among several fping processes run at once (each
# with its own identifier), and their CPU is added up.
P=$(( INTERVAL * 1000 / COUNT ))
NF=$(( (TARGETS * 1000 / P + 5999) / 6000 ))
[ "$NF" -ge 1 ] || NF=1
PER=$(( (TARGETS + NF - 1) / NF ))
I=$("$PYTHON" -c "import sys; n, p = int(sys.argv[1]), float(sys.argv[2]); print(f'{min(0.2, 0.9 * p / n):.3g}')" "$PER" "$P")
split -l "$PER" -d -a 2 "$W/addresses" "$W/fping-addr."
say "fping -C $COUNT -p $P -i $I -q -f ADDRESSES: $NF process(es) of up to $PER addresses"
"$PYTHON" - "$COUNT" "$P" "$I" "$W"/fping-addr.* >"$W/fping.txt" <<'EOF2'
import resource, subprocess, sys, time
count, p, i, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
t0 = time.monotonic()
procs = [subprocess.Popen(["fping", "-C", count, "-p", p, "-i", i, "-q", "-f", f],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
         for f in files]
outs = [pr.communicate()[1] for pr in procs]
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
matched = sum(1 for err in outs for line in err.splitlines() if " : " in line
              for v in line.split(" : ", 1)[1].split() if v != "-")
for err in outs:
    for line in err.splitlines():
        if " : " not in line:
            print(line, file=sys.stderr)
rc = max(pr.returncode for pr in procs)
print(f"cpu {ru.ru_utime + ru.ru_stime:.3f} utime {ru.ru_utime:.3f} "
      f"stime {ru.ru_stime:.3f} maxrss_kb {ru.ru_maxrss} wall {wall:.1f} "
      f"matched {matched} rc {rc} procs {len(procs)}")
EOF2
cat "$W/fping.txt" >&2

# --- the floor: bench/floor_pinger.c, the same schedule with nothing
# but a raw socket, sendto() and recvmmsg(), for as long as the window
cc -O2 -o "$W/floor_pinger" "$TOP/bench/floor_pinger.c" ||
    die "cannot build bench/floor_pinger.c"
say "floor: bench/floor_pinger, $WINDOW s"
"$W/floor_pinger" "$W/addresses" "$COUNT" "$INTERVAL" "$WINDOW" >"$W/floor.txt"
cat "$W/floor.txt" >&2

# --- the report
"$PYTHON" - "$W" "$HZ" "$TARGETS" "$COUNT" "$INTERVAL" <<'EOF'
import re, sys
w, hz, n, count, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

def read(path):
    v, up = {}, 0
    for line in open(path):
        m = re.match(r'tramon_probe_events_total\{counter="([^"]+)"\} (\d+)', line)
        if m:
            v[m.group(1)] = int(m.group(2))
        elif line.startswith("tramon_target_up{"):
            up += int(float(line.split()[-1]))
        elif line.startswith("cpu "):
            f = line.split()
            v["cpu"], v["child"], v["ns"] = int(f[1]), int(f[2]), int(f[3])
        elif line.startswith("thr "):
            f = line.split()
            v["thr:" + f[1]] = int(f[2])
        elif line.startswith("metrics_ms "):
            v["metrics_ms"] = int(line.split()[1])
        elif line.startswith("rrdc "):
            v["rrdc"] = int(line.split()[1])
        elif line.startswith(("hwm ", "rss ")):
            v[line[:3]] = int(line.split()[1])
    v["up"] = up
    return v

a, b = read(f"{w}/snap.a"), read(f"{w}/snap.b")
d = {k: b[k] - a.get(k, 0) for k in b}
secs = d["ns"] / 1e9
sent, recv = d["icmp_sent"], d["icmp_received"]
cpu, child = d["cpu"] / hz, d["child"] / hz
cnt = d["ping_echo_late_count"]
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

rd = open(f"{w}/snap.render").read().split()
print(f"pages: the warm-up's renders were over {rd[1]} s after the start "
      f"(web thread {int(rd[2]) / hz:.1f} s CPU, rrdtool child {int(rd[3]) / hz:.1f} s); "
      f"the window began after them\n")
f = dict(zip(*[iter(open(f"{w}/fping.txt").read().split())] * 2))
fl = dict(zip(*[iter(open(f"{w}/floor.txt").read().split())] * 2))
fl_cpu = float(fl["cpu_user"]) + float(fl["cpu_sys"])
fl_us = 1e6 * fl_cpu / int(fl["sent"]) if int(fl["sent"]) else float("nan")
fcpu, fechoes, fmatched = float(f["cpu"]), n * count, int(f["matched"])
t_per_k = 1000 * cpu / sent if sent else float("nan")
f_per_k = 1000 * fcpu / fechoes
print(f"{n} targets, {count} echoes per {interval} s, window {secs:.1f} s\n")
print("| N | echoes (tramond / fping) | tramond CPU / 1000 echoes | fping CPU / 1000 echoes | ratio | tramond share of a core | RSS (VmHWM) | late p50 / p99 / max | matched (tramond / fping) |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| {n:,} | {sent:,} / {fechoes:,} | {t_per_k * 1000:.1f} ms | {f_per_k * 1000:.1f} ms "
      f"| {t_per_k / f_per_k:.2f} | {100 * cpu / secs:.1f} % | {b['hwm'] / 1024:.1f} MB "
      f"| {q(.5)} / {q(.99)} / {worst} "
      f"| {recv:,} / {sent:,}, {b['up']:,} of {n:,} UP / {fmatched:,} of {fechoes:,} |")
print(f"\ntramond: {cpu:.2f} s CPU in {secs:.1f} s ({1e6 * cpu / sent:.1f} us an echo); "
      f"rrdtool child (nice 19): {child:.2f} s; late mean "
      f"{d['ping_echo_late_sum_us'] / cnt / 1000:.3f} ms over {cnt:,} echoes; "
      f"late/duplicate/foreign replies: {d['icmp_late']} / {d['icmp_duplicates']} / {d['icmp_foreign']}; "
      f"send errors {d['icmp_send_errors']}; RSS at the end {b.get('rss', 0) / 1024:.1f} MB; "
      f"the window's first /metrics "
      f"took {a.get('metrics_ms', -1)} ms")
thr = sorted(((k[4:], d[k] / hz) for k in d if k.startswith("thr:")), key=lambda x: -x[1])
print("tramond by thread (tramond = the event loop: probes, timers, /metrics): " +
      ", ".join(f"{k} {c:.2f} s" for k, c in thr) +
      (f"; the loop alone: {1e6 * dict(thr).get('tramond', 0) / sent:.1f} us an echo" if sent else ""))
if d.get("rrdc"):
    rc = d["rrdc"] / hz
    print(f"rrdcached: {rc:.2f} s CPU in the window ({1e6 * rc / sent:.1f} us an echo); "
          f"tramond with rrdcached: {1e6 * (cpu + rc) / sent:.1f} us an echo, "
          f"{1e6 * (cpu + rc) / sent / (1e6 * fcpu / fechoes):.2f} x fping")
print(f"floor (bench/floor_pinger, same schedule, {secs:.0f} s): {fl['sent']} sent, "
      f"{fl['received']} received, {fl_cpu:.2f} s CPU (user {fl['cpu_user']}, sys {fl['cpu_sys']}), "
      f"{fl_us:.1f} us an echo; tramond above the floor: {1e6 * cpu / sent - fl_us:.1f} us an echo, "
      f"fping: {1e6 * fcpu / fechoes - fl_us:.1f} us")
print(f"fping: {fcpu:.2f} s CPU (user {f['utime']}, sys {f['stime']}) in {f['wall']} s, "
      f"{1e6 * fcpu / fechoes:.1f} us an echo, max RSS {int(f['maxrss_kb']) / 1024:.1f} MB, exit {f['rc']}, {f['procs']} process(es)")
EOF
grep -a -E 'warn|error|cannot' "$W/tramond.log" | head -5 >&2 || true
