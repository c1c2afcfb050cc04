#!/bin/bash
#
# bench/snmp_ping.sh: does polling many switches disturb the ping schedule?
#
#	sudo bench/snmp_ping.sh [BUILD_DIR]
#
# One tramond pings PINGS loopback addresses (127.0.1.x, 20 echoes per
# round) for a phase of BENCH_SECONDS, then, after a reload that adds SWITCHES
# snmp targets, for another phase with them.  The switches are snmpsimd
# agents (AGENTS of them, on 127.0.0.1) replaying the Cisco Catalyst 3750
# recording of tests/data with advancing counters: 59 interfaces, ~1,000
# varbinds a round each.
#
# The ping probe counts how late each echo left against its slot in the
# round (/metrics: ping_echo_late_le_*); the numbers are the difference
# between two readings, so each phase is measured on its own.  Also
# reported: tramond's CPU time per phase, and the switches' rounds.
#
# Environment: PINGS (100), SWITCHES (100), AGENTS (4), BENCH_SECONDS (120),
# SNMP_INTERVAL (60), PING_INTERVAL (10), LOG_LEVEL (info; debug logs every
# echo more than 20 ms late), KEEP_LOG (a file to keep tramond.log in).
# Results: docs/benchmarks.md.
#
set -Eeuo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
PINGS=${PINGS:-100}
SWITCHES=${SWITCHES:-100}
AGENTS=${AGENTS:-4}
SECONDS_PHASE=${BENCH_SECONDS:-120}
SNMP_INTERVAL=${SNMP_INTERVAL:-60}
PING_INTERVAL=${PING_INTERVAL:-10}
SIMD=$TOP/tests/snmp/simd.sh
. "$TOP/bench/lib.sh" snmp_ping
[ "$(id -u)" = 0 ] || die "run as root (snmpsimd drops to nobody)"
[ -x "$BUILD/tramond" ] || die "$BUILD/tramond is not built"
[ -f "$BUILD/plugins/.libs/snmp.so" ] || die "no snmp plugin in $BUILD"
command -v snmpsimd >/dev/null || die "snmpsimd missing: tests/deps.sh"
[ "$PINGS" -ge 1 ] && [ "$PINGS" -le 250 ] || die "PINGS: 1 to 250"

W=$(mktemp -d /tmp/tramon-bench.XXXXXX)
chmod 755 "$W"
TRAMOND_PID=
PORTS=()
cleanup() {
	[ -z "$TRAMOND_PID" ] || { kill "$TRAMOND_PID" 2>/dev/null; wait "$TRAMOND_PID" 2>/dev/null || true; }
	for p in "${PORTS[@]}"; do
		SIMD_LOG=0 "$SIMD" stop "$W/sim$p" "$p" >/dev/null 2>&1 || true
	done
	[ -z "${KEEP_LOG:-}" ] || cp "$W/tramond.log" "$KEEP_LOG" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the agents
say "$AGENTS snmpsimd agents, $SWITCHES switches, $PINGS ping targets"
"$PYTHON" "$TOP/tests/snmp/mkrec.py" --t0 "$(date +%s)" \
    --rate Fa3/0/3:125000:250000 --rate Fa3/0/48:1250000:625000 \
    "$TOP/tests/data/cisco_16_switch.snmprec.gz" "$W/cisco.snmprec" >/dev/null
for ((a = 0; a < AGENTS; a++)); do
	p=$(free_port udp)
	mkdir -p "$W/sim$p"
	cp "$W/cisco.snmprec" "$W/sim$p/"
	chmod -R a+rX "$W/sim$p"
	# niced: on this 2-core machine the Python agents would otherwise
	# take the CPU from tramond while they answer, and the benchmark
	# would measure them (real switches are other machines)
	SIMD_LOG=0 nice -n 19 "$SIMD" start "$W/sim$p" "$p" >/dev/null ||
	    die "snmpsimd on port $p did not start"
	PORTS+=("$p")
done

# --- tramond
HTTP=127.0.0.1:$(free_port tcp)
CONF=$W/tramon.conf
write_conf() {	# write_conf WITH_SWITCHES
	cat <<EOF
daemon = {
  name = "bench"; state_dir = "$W/state"; web_dir = "$W/www";
  plugin_dir = "$BUILD/plugins/.libs"; user = "root"; log = "stderr";
  log_level = "${LOG_LEVEL:-info}"; http_listen = "$HTTP";
  control_socket = "$W/tramond.sock"; web_refresh = 60;
};
defaults = { interval = $PING_INTERVAL; count = 20; timeout = 1.0; };
targets = (
EOF
	for ((i = 1; i <= PINGS; i++)); do
		echo "  { id = \"p$i\"; type = \"ping\"; host = \"127.0.1.$i\"; },"
	done
	if [ "$1" = 1 ]; then
		for ((i = 0; i < SWITCHES; i++)); do
			echo "  { id = \"sw$i\"; type = \"snmp\"; host = \"127.0.0.1\";"
			echo "    interval = $SNMP_INTERVAL; timeout = 5.0;"
			echo "    snmp = { community = \"cisco\"; port = ${PORTS[i % AGENTS]}; }; },"
		done
	fi
	echo "  { id = \"lo\"; type = \"ping\"; host = \"127.0.0.1\"; }"
	echo ");"
}
write_conf 0 >"$CONF"
TRAMON_ASSET_DIR=$TOP/web "$BUILD/tramond" -f -c "$CONF" 2>"$W/tramond.log" &
TRAMOND_PID=$!

# one try, 5 s (not bench/lib.sh's 3 tries of 30 s)
metrics() { curl -fsS --max-time 5 "http://$HTTP/metrics"; }

# snap FILE: the counters and tramond's CPU ticks now
snap() {
	local t
	{ metrics | grep -E 'ping_echo_late|snmp_(answers|requests|timeouts)"'
	  echo "cpu $(cpu_self)"; } >"$1"
	t=$(curl -fsS -o /dev/null -w '%{time_total}' "http://$HTTP/metrics")
	say "/metrics took $t s"
}

wait_up 100

phase() {	# phase NAME
	say "$1: warming up 20 s, then measuring $SECONDS_PHASE s"
	sleep 20
	snap "$W/$1.a"
	sleep "$SECONDS_PHASE"
	snap "$W/$1.b"
}

phase ping-only
write_conf 1 >"$CONF"
kill -HUP "$TRAMOND_PID"
phase with-snmp

up=$(curl -fsS "http://$HTTP/status.json" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for t in d["targets"] if t["type"] == "snmp" and t["state"] == "up"))')

# --- the report
"$PYTHON" - "$W" "$SECONDS_PHASE" "$HZ" "$up" "$SWITCHES" <<'EOF'
import re, sys
w, secs, hz, up, nsw = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]

def read(path):
    v = {}
    for line in open(path):
        m = re.match(r'tramon_probe_events_total\{counter="([^"]+)"\} (\d+)', line)
        if m:
            v[m.group(1)] = int(m.group(2))
        elif line.startswith("cpu "):
            v["cpu"] = int(line.split()[1])
    return v

def report(name):
    a, b = read(f"{w}/{name}.a"), read(f"{w}/{name}.b")
    d = {k: b.get(k, 0) - a.get(k, 0) for k in b}
    n = d.get("ping_echo_late_count", 0)
    bounds = sorted((int(re.search(r"le_(\d+)us", k).group(1)), d[k])
                    for k in d if k.startswith("ping_echo_late_le_"))
    def q(p):
        for bound, cum in bounds:
            if cum >= p * n:
                return f"<= {bound / 1000:g} ms"
        return f"> {bounds[-1][0] / 1000:g} ms"
    mean = d.get("ping_echo_late_sum_us", 0) / n / 1000 if n else float("nan")
    worst = "none"
    prev = 0
    for bound, cum in bounds:
        if cum > prev:
            worst = f"<= {bound / 1000:g} ms"
        prev = cum
    if bounds and n > bounds[-1][1]:
        worst = f"> {bounds[-1][0] / 1000:g} ms"
    cpu = d.get("cpu", 0) / hz
    print(f"| {name} | {n} | {mean:.3f} ms | {q(0.5)} | {q(0.99)} | {worst} "
          f"| {cpu:.1f} s ({100 * cpu / secs:.1f} %) "
          f"| {d.get('snmp_answers', 0)} / {d.get('snmp_requests', 0)} |")

print("| phase | echoes | mean late | p50 | p99 | max | tramond CPU | SNMP answers / requests |")
print("|---|---|---|---|---|---|---|---|")
report("ping-only")
report("with-snmp")
print(f"\nswitches UP at the end: {up} of {nsw}")
EOF
