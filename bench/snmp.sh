#!/bin/bash
#
# bench/snmp.sh: what does tramond's snmp probe cost per varbind, beside
# snmpbulkwalk doing the same walks against the same agents?
#
#	sudo bench/snmp.sh [BUILD_DIR]
#
# Everything runs in a network namespace of its own (unshare -n: the
# script starts itself again inside one), where PORTS veth interfaces
# (PORTS/2 pairs, up) and lo make the agents look like a 48-port switch:
# PORTS + 1 rows in ifTable and ifXTable.  Only that namespace's 127.0.0.1
# is used; it and its interfaces go when the last process in it ends.
#
# The agents are net-snmp's snmpd (AGENTS of them, ports picked free, each
# with its own -C -c config: one rocommunity, nothing from /etc/snmp, no
# MIB files).  SWITCHES snmp targets are spread over them: target i polls
# agent i % AGENTS.  Many targets share an agent instead of one agent a
# target because tramond's work is per target whatever the address (a
# session, a socket, the rounds and walks of its own), while a thousand
# snmpd processes would cost ~1,000 x 6 MB and their start-up, and
# measure the kernel's scheduler more than anything; a few agents also
# keep both cores busy when the agent side is the bottleneck.
#
# A round of a target (plugins/snmp): a GET of sysUpTime.0 (plus sysDescr,
# sysObjectID and sysName the first time), then ifTable (10 columns) and
# ifXTable (6 columns) walked at once, GETBULK with max-repetitions
# MAX_REP and every column of a table in each request.  The targets store
# one port each (snmp.interfaces = [ "p1" ]) unless STORE=all: the walks
# are the same (the selection is made after them), but 49 RRD files a
# switch would be ~1 MB each, 50 GB at 1,000 switches.
#
# After the warm-up (every switch UP, then WARM s more) tramond is
# measured for WINDOW s:
#   - tramond CPU: utime+stime of the process (/proc/PID/stat) and by
#     thread (/proc/PID/task: "tramond" is the event loop, where the snmp
#     probe runs; "tm-store" the RRD writer; "web" the pages), per varbind
#     received (snmp_varbinds of /metrics: every varbind of every answer,
#     the GETBULK overshoot past a column's end included) and per value
#     kept (the varbinds inside the walked columns, and sysUpTime);
#   - snmpd CPU (all agents, /proc/PID/stat) per varbind sent;
#   - requests, answers, timeouts; switches UP at the end.
# One switch's poll is made by hand first, the requests tramond makes
# sent with snmpget and snmpbulkget: its requests, the varbinds the agent
# sends and the values in them are what tramond's counters must show a
# poll.  snmpd answers at most 100 varbinds a GETBULK (its
# maxGetbulkResponses, left at the default, as switches have limits of
# their own): 10 columns x 20 repetitions come as 10 rows a request.
#
# Then, tramond stopped, in the same run: snmpbulkwalk doing the same
# walks for WALK_SWITCHES switches (SWITCHES by default), 2 at a time
# (2 cores):
#	snmpbulkwalk -v2c -c bench -CrMAX_REP -On 127.0.0.1:PORT COLUMN
# one process per column (it walks one subtree), 16 a switch, plus
#	snmpget -v2c -c bench -On 127.0.0.1:PORT 1.3.6.1.2.1.1.3.0
# and, for the lower bound of a process per table, the two tables whole
# (1.3.6.1.2.1.2.2 and 1.3.6.1.2.1.31.1.1: every column snmpd has, 40).
# Their CPU is the children's getrusage(); a process's fixed cost is
# measured apart (snmpget of sysUpTime.0, 200 times) and reported.
#
# Environment: SWITCHES (200), AGENTS (4), PORTS (48), INTERVAL (60),
# TIMEOUT (5, or INTERVAL / 5 if less), MAX_REP (20), WARM (10), WINDOW
# (2 x INTERVAL, at least 60), STORE (one | all), WALK_SWITCHES
# (SWITCHES), MAX_WARMUP (INTERVAL x 3 + 120), PERF (a file: perf record
# of tramond over the window, with PERF_OPTS, -g by default), KEEP (a
# directory for the logs and the readings).  Results: docs/benchmarks.md.
#
set -Eeuo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
SWITCHES=${SWITCHES:-200}
AGENTS=${AGENTS:-4}
PORTS=${PORTS:-48}
INTERVAL=${INTERVAL:-60}
MAX_REP=${MAX_REP:-20}
WARM=${WARM:-10}
WINDOW=${WINDOW:-$((INTERVAL * 2 < 60 ? 60 : INTERVAL * 2))}
STORE=${STORE:-one}
WALK_SWITCHES=${WALK_SWITCHES:-$SWITCHES}
MAX_WARMUP=${MAX_WARMUP:-$((INTERVAL * 3 + 120))}
TIMEOUT=${TIMEOUT:-$("${PYTHON:-/usr/bin/python3}" -c "print(min(5, $INTERVAL / 5))")}
COMMUNITY=bench
. "$TOP/bench/lib.sh" snmp
[ "$(id -u)" = 0 ] || die "run as root (a network namespace of its own)"
[ -x "$BUILD/tramond" ] || die "$BUILD/tramond is not built"
[ -f "$BUILD/plugins/.libs/snmp.so" ] || die "no snmp plugin in $BUILD"
for tool in snmpd:snmpd snmpbulkwalk:snmp snmpget:snmp unshare:util-linux \
    ip:iproute2 rrdtool:rrdtool curl:curl; do
	command -v "${tool%%:*}" >/dev/null 2>&1 ||
	    [ -x "/usr/sbin/${tool%%:*}" ] ||
	    die "${tool%%:*} missing (apt-get install ${tool#*:})"
done
SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
[ "$SWITCHES" -ge 1 ] && [ "$SWITCHES" -le 20000 ] || die "SWITCHES: 1 to 20000"
[ "$AGENTS" -ge 1 ] && [ "$AGENTS" -le 64 ] || die "AGENTS: 1 to 64"
[ "$PORTS" -ge 2 ] && [ "$PORTS" -le 1000 ] && [ $((PORTS % 2)) = 0 ] ||
    die "PORTS: an even number, 2 to 1000"
case $STORE in one | all) ;; *) die "STORE: one or all" ;; esac

# --- a network namespace of our own, with the switch's ports
if [ -z "${TRAMON_BENCH_NETNS:-}" ]; then
	exec unshare -n env TRAMON_BENCH_NETNS=1 "$0" "$@"
fi
ip link set lo up
# libevent's getaddrinfo (AI_ADDRCONFIG) wants an IPv4 address besides
# 127/8 before it takes "127.0.0.1": a documentation one, on lo, in a
# namespace with no way out
ip addr add 192.0.2.1/32 dev lo
for ((i = 1; i <= PORTS / 2; i++)); do
	ip link add "p$((2 * i - 1))" type veth peer name "p$((2 * i))"
	ip link set "p$((2 * i - 1))" up
	ip link set "p$((2 * i))" up
done

W=$(mktemp -d /tmp/tramon-bench.XXXXXX)
chmod 755 "$W"

# An RRD file: 7 data sources (a port); a switch keeps its own and one,
# or every, port's.  (No cleanup yet: $W goes here if short of space.)
files=$((SWITCHES * 2))
[ "$STORE" = one ] || files=$((SWITCHES * (PORTS + 2)))
( need_rrd_space $(( $(rrd_file_bytes 7) / 1024 * files + 1024 * 1024 )) ) ||
    { rmdir "$W"; exit 1; }
TRAMOND_PID=
AGENT_PIDS=()
cleanup() {
	stop_tramond
	for p in "${AGENT_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${AGENT_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	keep "$W"/*.log "$W"/snap.* "$W"/walk.*
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the agents
export MIBS= MIBDIRS=	# numeric OIDs only, in snmpd and the tools
APORTS=()
for ((a = 0; a < AGENTS; a++)); do
	d=$W/agent$a
	mkdir -p "$d/persist"
	cat >"$d/snmpd.conf" <<EOF
rocommunity $COMMUNITY 127.0.0.1
dontLogTCPWrappersConnects yes
EOF
	p=$(free_port udp)
	SNMPCONFPATH=$d "$SNMPD" -f -Lf "$W/snmpd$a.log" -C -c "$d/snmpd.conf" \
	    --persistentDir="$d/persist" "udp:127.0.0.1:$p" &
	AGENT_PIDS+=("$!")
	APORTS+=("$p")
done
for ((a = 0; a < AGENTS; a++)); do
	for ((n = 0; n < 50; n++)); do
		snmpget -v2c -c "$COMMUNITY" -On -t 0.5 -r 0 "127.0.0.1:${APORTS[a]}" \
		    1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && break
		kill -0 "${AGENT_PIDS[a]}" 2>/dev/null ||
		    die "snmpd $a exited: $(tail -3 "$W/snmpd$a.log")"
		sleep 0.2
	done
	[ "$n" -lt 50 ] || die "snmpd $a does not answer on port ${APORTS[a]}"
done

# The columns tramond walks (plugins/snmp/ifmib.c), one a line
COLS="1.3.6.1.2.1.2.2.1.2 1.3.6.1.2.1.2.2.1.5 1.3.6.1.2.1.2.2.1.7
1.3.6.1.2.1.2.2.1.8 1.3.6.1.2.1.2.2.1.10 1.3.6.1.2.1.2.2.1.13
1.3.6.1.2.1.2.2.1.14 1.3.6.1.2.1.2.2.1.16 1.3.6.1.2.1.2.2.1.19
1.3.6.1.2.1.2.2.1.20
1.3.6.1.2.1.31.1.1.1.1 1.3.6.1.2.1.31.1.1.1.6 1.3.6.1.2.1.31.1.1.1.10
1.3.6.1.2.1.31.1.1.1.15 1.3.6.1.2.1.31.1.1.1.18 1.3.6.1.2.1.31.1.1.1.19"

# --- one switch's poll, by hand: tramond's requests made with snmpget and
# snmpbulkget (every column of a table in each GETBULK, each column's
# cursor where its last answer left it, until all are past their end):
# the requests, the varbinds the agent sends, the values in the columns
poll_by_hand() {	# poll_by_hand PORT
	"$PYTHON" - "$COMMUNITY" "$MAX_REP" "127.0.0.1:$1" $COLS <<'EOF'
import subprocess, sys
comm, reps, peer, cols = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
tables = [cols[:10], cols[10:]]
req, vbs, vals, rows = 1, 1, 1, 0	# the GET of sysUpTime.0
for tab in tables:
    cur, done = list(tab), [False] * len(tab)
    while not all(done):
        ask = [i for i in range(len(tab)) if not done[i]]
        out = subprocess.run(["snmpbulkget", "-v2c", "-c", comm, f"-Cr{reps}",
                              "-On", "-Oq", peer] + [cur[i] for i in ask],
                             capture_output=True, text=True, check=True,
                             env={"MIBS": "", "MIBDIRS": ""}).stdout.splitlines()
        req += 1
        vbs += len(out)
        for k, line in enumerate(out):
            i = ask[k % len(ask)]
            oid = line.split()[0].lstrip(".")
            if done[i]:
                continue
            if not oid.startswith(tab[i] + ".") or "No more variables" in line \
                    or "No Such" in line:
                done[i] = True
                continue
            cur[i] = oid
            vals += 1
            rows += tab is tables[0] and i == 0
print(req, vbs, vals, rows)
EOF
}
read -r PREQ PVB VALUES ROWS < <(poll_by_hand "${APORTS[0]}")
say "one poll of one agent, by hand: $ROWS interfaces, $PREQ requests," \
    "$PVB varbinds received, $VALUES values (16 columns + sysUpTime)"

# --- tramond
HTTP=127.0.0.1:$(free_port tcp)
CONF=$W/tramon.conf
if [ "$STORE" = all ]; then
	IFSEL=
else
	IFSEL='interfaces = [ "p1" ];'
fi
{
	cat <<EOF
daemon = {
  name = "bench"; state_dir = "$W/state"; web_dir = "$W/www";
  plugin_dir = "$BUILD/plugins/.libs"; user = "root"; log = "stderr";
  log_level = "info"; timezone = "UTC"; http_listen = "$HTTP";
  control_socket = "$W/tramond.sock"; web_refresh = 86400;
};
defaults = { interval = $INTERVAL; timeout = $TIMEOUT; };
targets = (
EOF
	for ((i = 0; i < SWITCHES; i++)); do
		printf '%s  { id = "sw%d"; type = "snmp"; host = "127.0.0.1";\n' \
		    "$([ "$i" = 0 ] || echo ,)" "$i"
		printf '    snmp = { community = "%s"; port = %d; max_repetitions = %d; %s }; }' \
		    "$COMMUNITY" "${APORTS[i % AGENTS]}" "$MAX_REP" "$IFSEL"
	done
	echo
	echo ");"
} >"$CONF"

# the graphs' rrdtool, niced from birth (pages are drawn at the warm-up's
# state changes only: web_refresh 86400)
nice_rrdtool

say "$SWITCHES switches on $AGENTS snmpd, every $INTERVAL s (timeout $TIMEOUT s)," \
    "max-repetitions $MAX_REP, ports stored: $STORE"
PATH=$W/bin:$PATH TRAMON_ASSET_DIR=$TOP/web "$BUILD/tramond" -f -c "$CONF" \
    2>"$W/tramond.log" &
TRAMOND_PID=$!
T_START=$(date +%s)

# (metrics with 3 tries, ticks, threads, alive: bench/lib.sh)
agents_cpu() {
	local p s=0
	for p in "${AGENT_PIDS[@]}"; do
		s=$((s + $(ticks "$p")))
	done
	echo "$s"
}
wait_up 300 alive

# --- warm-up: every switch UP (its first round, the one with the system
# group and the RRD files, is over)
while :; do
	alive
	up=$(metrics | awk '/^tramon_target_up\{/ { n += $2 } END { print n + 0 }') ||
	    up=0
	el=$(( $(date +%s) - T_START ))
	[ "$up" -lt "$SWITCHES" ] || break
	[ "$el" -lt "$MAX_WARMUP" ] ||
	    die "warm-up: $up of $SWITCHES UP after $el s"
	[ $((el % 20)) -ge 5 ] || say "warm-up: $el s, $up UP"
	sleep 5
done
say "all UP after $(( $(date +%s) - T_START )) s; $WARM s more, then $WINDOW s measured"
sleep "$WARM"

# --- the window: /metrics read outside the CPU readings
snap() {	# snap FILE
	echo "cpu $(ticks "$TRAMOND_PID") $(agents_cpu) $(date +%s%N)" >>"$1"
	threads >>"$1"
}
metrics >"$W/snap.a"
snap "$W/snap.a"
PERF_PID=
if [ -n "${PERF:-}" ]; then
	perf record -q ${PERF_OPTS:--g} -p "$TRAMOND_PID" -o "$PERF" -- sleep "$WINDOW" \
	    >/dev/null 2>&1 &
	PERF_PID=$!
fi
sleep "$WINDOW"
snap "$W/snap.b"
metrics >>"$W/snap.b"
[ -z "$PERF_PID" ] || wait "$PERF_PID" || true
hwm=$(proc_status "$TRAMOND_PID" VmHWM)
echo "hwm $hwm" >>"$W/snap.b"
stop_tramond

# --- snmpbulkwalk: the same walks, tramond stopped
say "snmpbulkwalk: $WALK_SWITCHES switches, a process a column, 2 at a time"
"$PYTHON" - "$W" "$COMMUNITY" "$MAX_REP" "$WALK_SWITCHES" "$HZ" \
    "${AGENT_PIDS[*]}" "${APORTS[*]}" $COLS <<'EOF'
import os, resource, subprocess, sys, time
w, comm, reps, n, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
pids, ports, cols = sys.argv[6].split(), sys.argv[7].split(), sys.argv[8:]
env = dict(os.environ, MIBS="", MIBDIRS="")

def agents():
    t = 0
    for p in pids:
        f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        t += int(f[11]) + int(f[12])
    return t / hz

def run(name, cmds):
    """Run cmds 2 at a time; CPU of the children, lines printed."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    a0, t0 = agents(), time.monotonic()
    lines, bad, todo, live = 0, 0, list(reversed(cmds)), []
    while todo or live:
        while todo and len(live) < 2:
            live.append(subprocess.Popen(todo.pop(), stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, env=env))
        p = live.pop(0)
        out = p.communicate()[0]
        lines += out.count(b"\n")
        bad += p.returncode != 0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    print(f"{name} procs {len(cmds)} cpu {cpu:.3f} "
          f"utime {r1.ru_utime - r0.ru_utime:.3f} values {lines} failed {bad} "
          f"wall {time.monotonic() - t0:.1f} agents {agents() - a0:.3f}")

peer = lambda i: f"127.0.0.1:{ports[i % len(ports)]}"
with open(f"{w}/walk.txt", "w") as f:
    sys.stdout = f
    run("start", [["snmpget", "-v2c", "-c", comm, "-On", peer(i),
                   "1.3.6.1.2.1.1.3.0"] for i in range(200)])
    cmds = []
    for i in range(n):
        cmds.append(["snmpget", "-v2c", "-c", comm, "-On", peer(i), "1.3.6.1.2.1.1.3.0"])
        cmds += [["snmpbulkwalk", "-v2c", "-c", comm, f"-Cr{reps}", "-On", peer(i), c]
                 for c in cols]
    run("columns", cmds)
    run("tables", [["snmpbulkwalk", "-v2c", "-c", comm, f"-Cr{reps}", "-On", peer(i), t]
                   for i in range(n) for t in ("1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1")])
EOF
cat "$W/walk.txt" >&2

# --- the report
"$PYTHON" - "$W" "$HZ" "$SWITCHES" "$INTERVAL" "$VALUES" "$PVB" "$ROWS" \
    "$MAX_REP" "$STORE" "$AGENTS" "$PREQ" <<'EOF'
import re, sys
w, hz, n, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
values, expect, rows, reps, store, agents, preq = (int(sys.argv[5]), int(sys.argv[6]),
    int(sys.argv[7]), sys.argv[8], sys.argv[9], sys.argv[10], int(sys.argv[11]))

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
            v["cpu"], v["agents"], v["ns"] = int(f[1]), int(f[2]), int(f[3])
        elif line.startswith("thr "):
            f = line.split()
            v["thr:" + f[1]] = int(f[2])
        elif line.startswith("hwm "):
            v["hwm"] = int(line.split()[1])
    v["up"] = up
    return v

a, b = read(f"{w}/snap.a"), read(f"{w}/snap.b")
d = {k: b[k] - a.get(k, 0) for k in b if k not in ("up", "hwm")}
secs = d["ns"] / 1e9
vb = d["snmp_varbinds"]
polls = d["snmp_requests"] / preq
kept = vb * values / expect
cpu, acpu = d["cpu"] / hz, d["agents"] / hz
loop = d.get("thr:tramond", 0) / hz
wk = {}
for line in open(f"{w}/walk.txt"):
    f = line.split()
    wk[f[0]] = dict(zip(f[1::2], f[2::2]))
start = float(wk["start"]["cpu"]) / int(wk["start"]["procs"])
col, tab = wk["columns"], wk["tables"]
ccpu, cval, cprocs = float(col["cpu"]), int(col["values"]), int(col["procs"])
tcpu, tval, tprocs = float(tab["cpu"]), int(tab["values"]), int(tab["procs"])
us = lambda c, v: f"{1e6 * c / v:.2f} µs" if v else "-"

print(f"{n} switches ({rows} interfaces each) on {agents} snmpd, every {interval} s, "
      f"max-repetitions {reps}, ports stored: {store}; window {secs:.1f} s\n")
print("| N | interval | varbinds received (values kept) | tramond CPU / varbind (loop thread) "
      "| tramond / value | share of a core | snmpd / varbind | snmpbulkwalk / value: a process a column "
      "| the 2 tables whole (start-up taken off) | answers / requests, timeouts | UP |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
print(f"| {n:,} | {interval} s | {vb:,} ({kept:,.0f}) | {us(cpu, vb)} ({us(loop, vb)}) "
      f"| {us(cpu, kept)} | {100 * cpu / secs:.1f} % | {us(acpu, vb)} "
      f"| {us(ccpu, cval)} "
      f"| {us(tcpu, tval)} ({us(tcpu - tprocs * start, tval)}) "
      f"| {d['snmp_answers']:,} / {d['snmp_requests']:,}, {d['snmp_timeouts']} | {b['up']} of {n} |")
print(f"\ncross-check: a poll by hand (snmpget, snmpbulkget) is {preq} requests, {expect} "
      f"varbinds received, {values} values ({rows} rows, {reps} repetitions asked); "
      f"tramond in the window: {d['snmp_requests']:,} requests = {polls:.1f} polls, "
      f"{vb / polls if polls else 0:.1f} varbinds a poll "
      f"(~{n * secs / int(interval):.0f} polls due: {n} switches x {secs:.0f} s / {interval} s)")
print(f"tramond: {cpu:.2f} s CPU in {secs:.1f} s; by thread (tramond = the event loop, "
      "where the probe runs): " +
      ", ".join(f"{k[4:]} {d[k] / hz:.2f} s" for k in sorted(d, key=lambda k: -d[k])
                if k.startswith("thr:")) +
      f"; RSS (VmHWM) {b['hwm'] / 1024:.1f} MB")
print(f"snmpd: {acpu:.2f} s CPU for {vb:,} varbinds sent")
print(f"snmpbulkwalk + snmpget, a process a column: {cprocs:,} processes, {ccpu:.2f} s CPU "
      f"(user {col['utime']}), {cval:,} values, {col['failed']} failed, {col['wall']} s; "
      f"snmpd meanwhile {col['agents']} s ({us(float(col['agents']), cval)} a value)")
print(f"snmpbulkwalk, the 2 tables whole: {tprocs:,} processes, {tcpu:.2f} s CPU, "
      f"{tval:,} values, {tab['failed']} failed; snmpd {tab['agents']} s")
print(f"a process's fixed cost (snmpget of sysUpTime.0, 200 times): {1e3 * start:.2f} ms")
EOF
grep -a -E 'warn|error|cannot|fail' "$W/tramond.log" | head -5 >&2 || true
