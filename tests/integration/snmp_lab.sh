#!/usr/bin/env bash
#
# The district's core switch over SNMP, in the lab: net-snmp's snmpd in the
# LAN switch's namespace (tests/lab/lab.sh), whose interfaces are the
# switch's real ports.
#  - v2c and v3 authPriv targets on the switch go UP and list its ports
#    (names, aliases, oper/admin status, speed);
#  - UDP sent through one port in both directions at known rates: tramond's
#    rates (status, RRD) agree with the port's own counters within a few %,
#    and /metrics carries the running totals;
#  - a port whose far end goes down, or that is shut: "port_down", oper_up
#    0, then "port_up";
#  - the agent restarts (sysUpTime goes back): a "reboot" event, no spike;
#  - the agent stops: the switch goes DOWN ("timeout"), and UP again;
#  - a wrong community and a wrong v3 password: those targets DOWN with
#    "timeout" / "authentication failure", tramond unharmed;
#  - the ping targets keep their cadence all along.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd snmpd snmpget snmpset rrdtool curl
[ -f "$top_builddir/plugins/.libs/snmp.so" ] ||
    skip "no snmp plugin in this build ($top_builddir/plugins/.libs/snmp.so)"
# shellcheck source=../lab/district.sh
. "$top_srcdir/tests/lab/district.sh"

INTERVAL=5
DOWN_AFTER=2
UP_AFTER=1
SLACK=6
TRAFFIC_S=40			# seconds of traffic
TRAFFIC_TO=8000000		# bytes towards Huyện ủy (~200 kB/s)
TRAFFIC_FROM=2000000		# and back (~50 kB/s)
# tramond divides what a counter grew by the time between the ends of two
# rounds, and the traffic is paced by a Python loop: a round's rate may be
# off by a few %, the mean of the rounds' by much less
TOLERANCE=8			# % a round's rate may be off the port's counters
MEAN_TOLERANCE=2		# % their mean may be off
PORT=p-huyenuy			# Huyện ủy's port on the switch
ALIAS=$(awk '$1 == "p-huyenuy" { $1 = ""; sub(/^ /, ""); print }' \
    <<<"$LAB_SWITCH_PORTS")
SW=198.18.1.2
HTTP=127.0.0.1:$(free_port)
CONF=$TEST_TMP/tramon.conf
ST=$TEST_TMP/st.json

v3() {	# the v3 block for user $1, auth password $2 (+ extra keys $3)
	cat <<EOF
v3 = { user = "$1"; level = "authPriv"; auth_protocol = "SHA";
	       auth_pass = "$2"; priv_protocol = "AES";
	       priv_pass = "$LAB_SNMP_V3_PRIV_PASS"; ${3:-} };
EOF
}

{
	daemon_section "$HTTP"
	cat <<EOF
defaults = { interval = $INTERVAL; timeout = 2.0; down_after = $DOWN_AFTER;
  up_after = $UP_AFTER; };
targets = (
  { id = "wan"; name = "Bộ định tuyến WAN"; type = "ping"; host = "198.18.1.1";
    count = 5; },
  { id = "tra-mai"; name = "Xã Trà Mai"; type = "ping"; host = "198.18.2.11";
    count = 5; parent = "wan"; },
  { id = "core-sw"; name = "Switch lõi UBND"; group = "Hạ tầng";
    type = "snmp"; host = "$SW";
    snmp = { version = "2c"; community = "$LAB_SNMP_COMMUNITY";
             interfaces = [ "all" ]; }; },
  { id = "core-sw-v3"; name = "Switch lõi UBND (v3)"; type = "snmp"; host = "$SW";
    snmp = { version = "3"; interfaces = [ "all" ];
             $(v3 "$LAB_SNMP_V3_USER" "$LAB_SNMP_V3_AUTH_PASS") }; },
  { id = "core-sw-v3e"; name = "Switch lõi UBND (v3, engine id)"; type = "snmp";
    host = "$SW";
    snmp = { version = "3"; interfaces = [ "$PORT" ];
             $(v3 "$LAB_SNMP_V3_USER" "$LAB_SNMP_V3_AUTH_PASS" \
                 "engine_id = \"0x80001f8804$(printf %s "$LAB_SNMP_ENGINE_ID" |
                 od -An -tx1 | tr -d ' \n')\";") }; },
  { id = "core-sw-badcomm"; name = "Sai community"; type = "snmp"; host = "$SW";
    snmp = { version = "2c"; community = "not-$LAB_SNMP_COMMUNITY"; }; },
  { id = "core-sw-badpass"; name = "Sai mật khẩu v3"; type = "snmp"; host = "$SW";
    snmp = { version = "3"; $(v3 "$LAB_SNMP_V3_USER" "wrong-$LAB_SNMP_V3_AUTH_PASS") }; }
);
EOF
} >"$CONF"
"$top_builddir/tramond" -n -c "$CONF" >"$TEST_TMP/check.log" 2>&1 ||
    hard_error "the test configuration is not valid: $(cat "$TEST_TMP/check.log")"

lab_up
lab snmp status >/dev/null || hard_error "the lab's snmpd is not running"
tramond_start "$CONF"

status() {
	tramonctl -c "$CONF" status --json >"$ST.tmp" 2>/dev/null &&
	    mv "$ST.tmp" "$ST"
}

# In EXPR, t(ID) and d are as in lib.sh, and port(ID, NAME) is the
# interface NAME of target ID ({} if it has none).
with_port() {
	echo "(lambda port: $1)(lambda tid, name: next((i for i in
	    (t(tid).get('interfaces') or []) if i.get('name') == name), {}))"
}

# st EXPR: EXPR is true of a fresh status
st() {
	status || return 1
	json_test "$ST" "$(with_port "$1")"
}

# jget EXPR: print EXPR on the last status
jget() {
	json_get "$ST" "$(with_port "$1")"
}

journal() {
	cat "$TEST_TMP"/state/journal/*.jsonl 2>/dev/null
}

# journal_since MARK PATTERN: a journal line after line MARK matches
journal_since() {
	journal | tail -n +"$(($1 + 1))" | grep -q -- "$2"
}

journal_mark() {
	journal | wc -l
}

# events_since MARK EVENT TARGET: the journal's EVENT lines of TARGET
# after line MARK
events_since() {
	journal | tail -n +"$(($1 + 1))" |
	    grep -- "\"event\":\"$2\",\"target\":\"$3\"[,}]" || true
}

# has_reason MARK EVENT TARGET: they all give a reason
has_reason() {
	local ev

	ev=$(events_since "$@")
	[ -n "$ev" ] && ! grep -v -q '"reason":"[^"]' <<<"$ev"
}

# --- the switch and its ports ------------------------------------------------
check "core-sw is UP with its ports" wait_for 30 st \
    't("core-sw")["state"] == "up" and port("core-sw", "p-noc") and port("core-sw", "p-wan") and port("core-sw", "'$PORT'")'
jget 't("core-sw")' >"$TEST_TMP/core-sw.json" 2>/dev/null || true
check "the ports are up, admin up" st \
    'all(port("core-sw", p).get("oper_up") == 1 and port("core-sw", p).get("admin_up") == 1 for p in ("p-noc", "p-wan", "'$PORT'"))'
check "$PORT has its ifAlias as label" st \
    'port("core-sw", "'$PORT'")["label"] == "'"$ALIAS"'"'
check "a port without an alias has no label" st \
    'port("core-sw", "br0") and port("core-sw", "br0")["label"] is None'
check "$PORT's speed is the veth's 10 Gbit/s" st \
    'port("core-sw", "'$PORT'")["speed"] == 10e9'
check "core-sw reports its uptime" st \
    't("core-sw")["uptime"] is not None and 0 < t("core-sw")["uptime"] < 3600'
check "the v3 (authPriv) target is UP with the same ports" wait_for 20 st \
    't("core-sw-v3")["state"] == "up" and sorted(i["name"] for i in t("core-sw-v3")["interfaces"]) == sorted(i["name"] for i in t("core-sw")["interfaces"])'
check "the v3 target with an engine_id is UP, with only the port it names" \
    wait_for 20 st \
    't("core-sw-v3e")["state"] == "up" and [i["name"] for i in t("core-sw-v3e")["interfaces"]] == ["'$PORT'"]'
check "a wrong community: DOWN, timeout" wait_for 30 st \
    't("core-sw-badcomm")["state"] == "down" and t("core-sw-badcomm")["reason"] == "timeout"'
check "a wrong v3 password: DOWN, authentication failure" wait_for 30 st \
    't("core-sw-badpass")["state"] == "down" and t("core-sw-badpass")["reason"] == "authentication failure"'
check "the log says why" \
    grep -q 'core-sw-badpass.*authentication failure' "$TRAMOND_LOG"

# --- traffic through a port ----------------------------------------------------
# Both directions at once; meanwhile the status is sampled every second.
lab traffic huyen-uy "$TRAFFIC_TO" "$TRAFFIC_S" to >"$TEST_TMP/tr-to" 2>&1 &
to_pid=$!
lab traffic huyen-uy "$TRAFFIC_FROM" "$TRAFFIC_S" from >"$TEST_TMP/tr-from" 2>&1 &
from_pid=$!
: >"$TEST_TMP/samples"
while kill -0 "$to_pid" 2>/dev/null || kill -0 "$from_pid" 2>/dev/null; do
	status && tr -d '\n' <"$ST" >>"$TEST_TMP/samples" &&
	    echo >>"$TEST_TMP/samples"
	sleep 1
done
wait "$to_pid" || hard_error "lab traffic to: $(cat "$TEST_TMP/tr-to")"
wait "$from_pid" || hard_error "lab traffic from: $(cat "$TEST_TMP/tr-from")"
echo "# traffic to:   $(cat "$TEST_TMP/tr-to")"
echo "# traffic from: $(cat "$TEST_TMP/tr-from")"

# What tramond said while the traffic ran, against the port's counters:
# every round whose whole interval lies inside the traffic, from the
# status samples (for TARGET) or from the port's RRD.
compare() {
	"$PYTHON" - "$@" <<'EOF'
import json, subprocess, sys
from datetime import datetime
what, target, port, interval, tol, mtol = sys.argv[1:7]
interval, tol, mtol = float(interval), float(tol), float(mtol)
def kv(path):
    return dict(x.split("=", 1) for x in open(path).read().split())
to, fr = kv(sys.argv[7]), kv(sys.argv[8])
truth = {"out_octets": (int(to["out_octets"]), float(to["start"]), float(to["end"])),
         "in_octets": (int(fr["in_octets"]), float(fr["start"]), float(fr["end"]))}
rows = []                       # (time, direction, rate)
if what == "status":
    seen = set()
    for line in open(sys.argv[9]):
        d = json.loads(line)
        tg = next(x for x in d["targets"] if x["id"] == target)
        if not tg.get("last_round"):
            continue
        t = datetime.fromisoformat(tg["last_round"]).timestamp()
        p = next((i for i in tg.get("interfaces") or [] if i["name"] == port), None)
        if p is None or t in seen:
            continue
        seen.add(t)
        for k in truth:
            rows.append((t, k, p.get(k), t - interval - 1, t + 1))
else:
    out = subprocess.run(["rrdtool", "fetch", sys.argv[9], "AVERAGE",
                          "-s", str(int(min(v[1] for v in truth.values())) - 60),
                          "-e", str(int(max(v[2] for v in truth.values())) + 10)],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    names = out[0].split()
    for line in out[2:]:
        if ":" not in line:
            continue
        t, vals = line.split(":", 1)
        t = float(t)
        vals = [float(v) if v.strip() not in ("nan", "-nan") else None
                for v in vals.split()]
        for k in truth:
            # row (t-step, t] mixes the rounds ending in it and the next
            rows.append((t, k, vals[names.index(k)], t - 2 * interval - 1,
                         t + interval + 1))
n = bad = 0
offs = {}
for t, k, rate, first, last in rows:
    octets, start, end = truth[k]
    if first < start or last > end:
        continue
    real = octets / (end - start)
    n += 1
    off = None if rate is None else 100 * (rate - real) / real
    ok = off is not None and abs(off) <= tol
    bad += not ok
    if off is not None:
        offs.setdefault(k, []).append(off)
    print("# %s %s %s %s: %.0f: tramond %s B/s, the port %.0f B/s (%s)%s" % (
        what, target, port, k, t, "null" if rate is None else "%.0f" % rate,
        real, "?" if off is None else "%+.2f %%" % off,
        "" if ok else "  <-- off"))
for k, o in sorted(offs.items()):
    mean = sum(o) / len(o)
    bad += abs(mean) > mtol
    print("# %s %s %s %s: mean %+.2f %%%s" % (what, target, port, k, mean,
          "" if abs(mean) <= mtol else "  <-- off"))
need = 3 if what == "rrd" else 4
if n < 2 * need:
    sys.exit("only %d rounds inside the traffic (want %d)" % (n, 2 * need))
sys.exit(1 if bad else 0)
EOF
}
check "status: core-sw's rates for $PORT within $TOLERANCE % of its counters" \
    compare status core-sw "$PORT" "$INTERVAL" "$TOLERANCE" "$MEAN_TOLERANCE" \
    "$TEST_TMP/tr-to" "$TEST_TMP/tr-from" "$TEST_TMP/samples"
check "status: the same through v3" \
    compare status core-sw-v3 "$PORT" "$INTERVAL" "$TOLERANCE" "$MEAN_TOLERANCE" \
    "$TEST_TMP/tr-to" "$TEST_TMP/tr-from" "$TEST_TMP/samples"
RRD=$TEST_TMP/state/rrd/core-sw/$PORT.rrd
check "the port has its RRD" test -s "$RRD"
check "RRD: $PORT's rates within $TOLERANCE % of its counters" \
    compare rrd core-sw "$PORT" "$INTERVAL" "$TOLERANCE" "$MEAN_TOLERANCE" \
    "$TEST_TMP/tr-to" "$TEST_TMP/tr-from" "$RRD"

metric() {	# the value of /metrics sample $1, or nothing
	curl -sf "http://$HTTP/metrics" | awk -v m="$1" \
	    'index($0, m " ") == 1 { print $2 }'
}
in_sent=$(sed 's/.*in_octets=\([0-9]*\).*/\1/' "$TEST_TMP/tr-from")
# (once a round has ended after the traffic)
total_has_traffic() {
	total=$(metric "tramon_snmp_if_in_octets_total{target=\"core-sw\",ifname=\"$PORT\"}")
	awk -v a="${total:-0}" -v b="$in_sent" 'BEGIN { exit !(a >= b) }'
}
check "/metrics: $PORT's in_octets_total counts at least the traffic" \
    wait_for $((2 * INTERVAL)) total_has_traffic
echo "# /metrics: $PORT in_octets_total $total; the traffic alone $in_sent"
check "/metrics: $PORT's oper_up is 1" [ "$(metric \
    "tramon_snmp_if_oper_up{target=\"core-sw\",ifname=\"$PORT\"}")" = 1 ]
check "/metrics: $PORT's speed is 10^10" [ "$(metric \
    "tramon_snmp_if_speed{target=\"core-sw\",ifname=\"$PORT\"}")" = 10000000000 ]
check "/metrics: core-sw's uptime" test -n "$(metric 'tramon_snmp_uptime{target="core-sw"}')"

# --- a port goes down and comes back ----------------------------------------------
limit=$((2 * INTERVAL + SLACK))
mark=$(journal_mark)
lab port huyen-uy down
check "the far end unplugged: port_down for $PORT" wait_for $limit \
    journal_since "$mark" "\"event\":\"port_down\",\"target\":\"core-sw\",\"instance\":\"$PORT\""
check "it says why" has_reason "$mark" port_down core-sw
check "$PORT: oper_up 0, admin_up 1" wait_for $limit st \
    'port("core-sw", "'$PORT'")["oper_up"] == 0 and port("core-sw", "'$PORT'")["admin_up"] == 1'
check "the v3 target sees it too" wait_for $limit \
    journal_since "$mark" "\"event\":\"port_down\",\"target\":\"core-sw-v3\",\"instance\":\"$PORT\""
other_ports_down() {
	events_since "$mark" port_down core-sw | grep -v "\"instance\":\"$PORT\""
}
check "no other port went down" eval '[ -z "$(other_ports_down)" ]'
check "the switch itself stays UP" st 't("core-sw")["state"] == "up"'
mark=$(journal_mark)
lab port huyen-uy up
check "plugged back: port_up for $PORT" wait_for $limit \
    journal_since "$mark" "\"event\":\"port_up\",\"target\":\"core-sw\",\"instance\":\"$PORT\""
check "$PORT: oper_up 1" wait_for $limit st 'port("core-sw", "'$PORT'")["oper_up"] == 1'

mark=$(journal_mark)
lab cut huyen-uy	# the switch port shut: admin down
check "the port shut: port_down" wait_for $limit \
    journal_since "$mark" "\"event\":\"port_down\",\"target\":\"core-sw\",\"instance\":\"$PORT\""
check "$PORT: admin_up 0, oper_up 0" wait_for $limit st \
    'port("core-sw", "'$PORT'")["admin_up"] == 0 and port("core-sw", "'$PORT'")["oper_up"] == 0'
mark=$(journal_mark)
lab restore huyen-uy
check "no shut: port_up" wait_for $limit \
    journal_since "$mark" "\"event\":\"port_up\",\"target\":\"core-sw\",\"instance\":\"$PORT\""

# --- the switch reboots (the agent restarts) --------------------------------------
status
up_before=$(jget 't("core-sw")["uptime"]')
mark=$(journal_mark)
reboot_at=$(date +%s)
lab snmp restart
check "a reboot event" wait_for $limit \
    journal_since "$mark" '"event":"reboot","target":"core-sw"[,}]'
check "it says from what to what" has_reason "$mark" reboot core-sw
check "the uptime went back (it was $up_before s)" wait_for $limit st \
    't("core-sw")["uptime"] is not None and t("core-sw")["uptime"] < '"$up_before"
check "the v3 target notices the reboot too" wait_for $((limit + INTERVAL)) \
    journal_since "$mark" '"event":"reboot","target":"core-sw-v3"[,}]'
check "and stays (or is back) UP" wait_for $((limit + INTERVAL)) st \
    't("core-sw-v3")["state"] == "up"'
check "no port_down for the reboot" eval \
    '[ -z "$(events_since "$mark" port_down core-sw)" ]'
sleep "$INTERVAL"	# a round after the reboot's
# No spike: every rate $PORT's RRD ever had stays within what was sent
# through it (plus the pings' and ARP's bit).
max_rate() {
	rrdtool fetch "$RRD" AVERAGE -s "$((reboot_at - 600))" -e now |
	    awk 'NR == 1 { for (i = 1; i <= NF; i++)
			rate[i + 1] = $i ~ /_(octets|errors|discards)$/ }
	    NR > 2 { for (i = 2; i <= NF; i++)
		if (rate[i] && $i !~ /nan/ && $i + 0 > m) m = $i + 0 }
	    END { printf "%.0f", m }'
}
max=$(max_rate)
bound=$((TRAFFIC_TO / TRAFFIC_S * 12 / 10))
echo "# the highest rate $PORT's RRD holds: $max B/s (sent at most $((TRAFFIC_TO / TRAFFIC_S)) B/s)"
check "no spike in $PORT's RRD across the reboot" [ "${max:-0}" -le "$bound" ]

# --- the agent goes silent --------------------------------------------------------
mark=$(journal_mark)
lab snmp stop
limit=$(((DOWN_AFTER + 1) * INTERVAL + SLACK))
check "agent stopped: core-sw DOWN" wait_for $limit st 't("core-sw")["state"] == "down"'
check "its reason is a timeout" [ "$(jget 't("core-sw")["reason"]')" = timeout ]
check "journaled" journal_since "$mark" '"event":"state","target":"core-sw","from":"up","to":"down"'
check "the v3 target is DOWN too" wait_for $limit st 't("core-sw-v3")["state"] == "down"'
check "the ping targets are still up" st \
    't("wan")["state"] == "up" and t("tra-mai")["state"] in ("up", "degraded")'
lab snmp start
limit=$(((UP_AFTER + 1) * INTERVAL + SLACK))
check "agent back: core-sw UP" wait_for $limit st 't("core-sw")["state"] == "up"'
check "core-sw-v3 UP" wait_for $limit st 't("core-sw-v3")["state"] == "up"'
check "core-sw-v3e UP" wait_for $limit st 't("core-sw-v3e")["state"] == "up"'
check "the wrong community is still DOWN" st 't("core-sw-badcomm")["state"] == "down"'

# --- the pings kept their cadence ------------------------------------------------
# tramond's debug log has a line per round result with the time of day:
# the gaps between wan's (the kernel answers at once) stay at the interval.
cadence() {
	grep -a ' wan: round: ' "$TRAMOND_LOG" | awk -v iv="$INTERVAL" '
	{ split($1, h, ":"); t = h[1] * 3600 + h[2] * 60 + h[3]
	  if (n++ && t > p) { g = t - p; if (g > max) max = g
		if (min == "" || g < min) min = g }
	  p = t }
	END { printf "# wan: %d rounds, gaps %.3f-%.3f s\n", n, min, max
	      exit !(n >= 10 && min > iv - 0.5 && max < iv + 0.5) }'
}
check "wan's rounds came every $INTERVAL s (+-0.5 s) all along" cadence

check "tramond is still running" tramond_running
tramond_stop
check "tramond stops cleanly" [ $? = 0 ]
summary
