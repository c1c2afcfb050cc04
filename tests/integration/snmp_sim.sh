#!/usr/bin/env bash
#
# SNMP against simulated Cisco Catalyst 3750 switches: snmpsimd on
# 127.0.0.1 serving recordings derived from Debian snmpsim's
# cisco_16_switch.snmprec (tests/data), whose counters advance at rates
# the test chose (tests/snmp/mkrec.py, snmpsim's `numeric` variation):
#  - 59 ports; 64-bit counters: tramond's rates match the chosen ones;
#    "up" selects the ports that are up, names / ifDescr / ifAlias select
#    those ports;
#  - v1 (no 64-bit counters) and an agent without ifXTable (32-bit
#    counters, ifDescr as names), each with a 32-bit counter that wraps:
#    the rate stays right;
#  - the counters are cleared (back to 0, sysUpTime goes on): no spike,
#    64-bit or 32-bit;
#  - the switch reboots (sysUpTime and every counter start again from 0):
#    a "reboot" event and no spike;
#  - its ifIndex values are renumbered: each port keeps its RRD and its
#    rates;
#  - an agent that stops answering in the middle of the interface tables:
#    the round fails cleanly ("walk incomplete"), the switch is DOWN;
#    an agent that goes silent and comes back: DOWN, then UP.
#
# Each switch has its own agent: snmpsimd is slow (~2,500 varbinds a
# second), and a walk that waits behind another target's is read later
# in its round than the round before (tramond divides by the time between
# rounds): the rates of a shared agent are off by what a walk waited.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd snmpget snmpsimd rrdtool curl
[ -f "$top_builddir/plugins/.libs/snmp.so" ] ||
    skip "no snmp plugin in this build ($top_builddir/plugins/.libs/snmp.so)"

INTERVAL=5
DOWN_AFTER=2
UP_AFTER=1
SLACK=6
# tramond divides what a counter grew by the time between the ends of two
# rounds; the counter was read during the walk, whose length varies with
# the load (snmpsimd shares the 2 CPUs with everything else): at a 5 s
# interval a round's rate is off by up to ~7 % under load (~2 % idle),
# the mean of the rounds' by a few 0.1 %.
TOLERANCE=10			# % a round's rate may be off the true one
MEAN_TOLERANCE=2		# % the mean of the rounds' rates may be off
SIMD=$top_srcdir/tests/snmp/simd.sh
MKREC="$PYTHON $top_srcdir/tests/snmp/mkrec.py $top_srcdir/tests/data/cisco_16_switch.snmprec.gz"
CONF=$TEST_TMP/tramon.conf
ST=$TEST_TMP/st.json
SIM=$TEST_TMP/sim
AGENTS=()
declare -A APORT		# agent name -> its UDP port

# Octets per second in and out of each port, and other counters
RATES=(
	Fa3/0/3:1000000:250000
	Fa3/0/7:50000:400000
	Fa3/0/9:125000:125000
	Fa3/0/11:10000:80000
	Fa3/0/43:300000:30000
	Fa3/0/48:12500:5000
	Vl60:2000000:1500000
)
WRAP_S=35			# Fa3/0/48's 32-bit counters wrap then
ERRORS=Fa3/0/3:2:0.5
DISCARDS=Fa3/0/7:1:0
UP_PORTS="Vl1 Vl60 Fa3/0/3 Fa3/0/7 Fa3/0/9 Fa3/0/11 Fa3/0/43 Fa3/0/48 Nu0"
# the ports of RATES by ifDescr (the agent without ifXTable has no ifName)
DESCRS=$(for r in "${RATES[@]}"; do
	sed 's/:.*//; s/^Fa/FastEthernet/; s/^Vl/Vlan/' <<<"$r"
done)

# The agents: each serves one recording, from its own directory.
#   cisco  sim-cisco (all ports): rates, reboot, renumbering
#   multi  sim-up, sim-names (selections), a reboot
#   v1     sim-v1, a reboot
#   noifx  sim-noifx: no ifXTable; silent for a while
#   stall  sim-stall: no answer past a row
agent_dir() {
	echo "$SIM/$1"
}

agent() {	# agent start|stop|pause|resume NAME
	"$SIMD" "$1" "$(agent_dir "$2")" "${APORT[$2]}" >>"$TEST_TMP/simd.log" 2>&1
}

stop_agents() {
	local a

	for a in "${AGENTS[@]}"; do
		agent stop "$a" || true
	done
}

# recording AGENT COMMUNITY MKREC-OPTION...: write agent AGENT's
# recording, served under COMMUNITY
recording() {
	local dir
	dir=$(agent_dir "$1")
	mkdir -p "$dir"
	$MKREC "$dir/$2.snmprec.new" "${@:3}" >"$TEST_TMP/$1.rates" ||
	    hard_error "mkrec.py for $1 failed"
	mv "$dir/$2.snmprec.new" "$dir/$2.snmprec"
}

rate_opts() {
	local r

	for r in "${RATES[@]}"; do
		printf -- '--rate\n%s\n' "$r"
	done
	printf -- '--errors\n%s\n--discards\n%s\n' "$ERRORS" "$DISCARDS"
}
mapfile -t RATE_OPTS < <(rate_opts)

# --- the agents ------------------------------------------------------------
for a in cisco multi v1 noifx stall; do
	p=$(free_udp_port)
	for b in "${APORT[@]}"; do
		[ "$p" != "$b" ] || hard_error "the same free port twice"
	done
	APORT[$a]=$p
done
mkdir -p "$SIM"
chmod 755 "$SIM"
T0=$(date +%s)
for a in cisco multi v1; do
	recording $a cisco --t0 "$T0" "${RATE_OPTS[@]}" --wrap "Fa3/0/48:$WRAP_S"
done
recording noifx noifx --t0 "$T0" "${RATE_OPTS[@]}" \
    --wrap "Fa3/0/48:$((WRAP_S - 5))" --no-ifx
recording stall stall --t0 "$T0" --stall Fa3/0/40
# the agents go first (lib_cleanup removes their directories)
trap 'rc=$?; stop_agents; (exit $rc); lib_cleanup' EXIT
for a in cisco multi v1 noifx stall; do
	AGENTS+=("$a")
	agent start "$a" || {
		cat "$TEST_TMP/simd.log" >&2
		hard_error "snmpsimd for $a did not start"
	}
done

# --- tramond ------------------------------------------------------------------
target() {	# target ID COMMUNITY PORT EXTRA-SNMP-KEYS
	cat <<EOF
  { id = "$1"; type = "snmp"; host = "127.0.0.1";
    snmp = { version = "2c"; community = "$2"; port = $3; $4 }; },
EOF
}
{
	daemon_section "127.0.0.1:$(free_port)"
	cat <<EOF
defaults = { interval = $INTERVAL; timeout = 2.0; down_after = $DOWN_AFTER;
  up_after = $UP_AFTER; };
targets = (
$(target sim-cisco cisco "${APORT[cisco]}" 'interfaces = [ "all" ];')
$(target sim-up cisco "${APORT[multi]}" 'interfaces = [ "up" ];')
$(target sim-names cisco "${APORT[multi]}" \
    'interfaces = [ "Fa3/0/3", "GigabitEthernet3/0/1", "connected to cube 12b ruckus ap" ];')
$(target sim-v1 cisco "${APORT[v1]}" \
    'interfaces = [ "FastEthernet3/0/3", "FastEthernet3/0/48" ];' | sed 's/"2c"/"1"/')
$(target sim-noifx noifx "${APORT[noifx]}" \
    "interfaces = [ $(printf '"%s", ' $DESCRS | sed 's/, $//') ];")
$(target sim-stall stall "${APORT[stall]}" 'interfaces = [ "all" ];')
  { id = "lo"; type = "ping"; host = "127.0.0.1"; count = 5; }
);
EOF
} >"$CONF"
"$top_builddir/tramond" -n -c "$CONF" >"$TEST_TMP/check.log" 2>&1 ||
    hard_error "the test configuration is not valid: $(cat "$TEST_TMP/check.log")"
tramond_start "$CONF"

status() {
	tramonctl -c "$CONF" status --json >"$ST.tmp" 2>/dev/null &&
	    mv "$ST.tmp" "$ST"
}

# In EXPR, t(ID) and d are as in lib.sh, port(ID, NAME) is the interface
# NAME of target ID ({} if none) and names(ID) the list of its names.
with_port() {
	echo "(lambda port, names: $1)(lambda tid, name: next((i for i in
	    (t(tid).get('interfaces') or []) if i.get('name') == name), {}),
	    lambda tid: [i['name'] for i in t(tid).get('interfaces') or []])"
}

st() {	# st EXPR: EXPR is true of a fresh status
	status || return 1
	json_test "$ST" "$(with_port "$1")"
}

jget() {	# jget EXPR: EXPR on the last status
	json_get "$ST" "$(with_port "$1")"
}

journal() {
	cat "$TEST_TMP"/state/journal/*.jsonl 2>/dev/null
}

journal_mark() {
	journal | wc -l
}

# events_since MARK EVENT TARGET: TARGET's EVENT lines after line MARK
events_since() {
	journal | tail -n +"$(($1 + 1))" |
	    grep -- "\"event\":\"$2\",\"target\":\"$3\"[,}]" || true
}

# has_events MARK EVENT TARGET...: each TARGET has EVENT after MARK
has_events() {
	local mark=$1 ev=$2 t
	shift 2
	for t in "$@"; do
		[ -n "$(events_since "$mark" "$ev" "$t")" ] || return 1
	done
}

# rrd_name TARGET PORT: PORT's RRD file name (ifName or ifDescr, made
# safe), without .rrd
rrd_name() {
	local n

	for n in "$2" "$(sed 's/^Fa/FastEthernet/; s/^Gi/GigabitEthernet/' <<<"$2")"; do
		n=${n//\//_}
		if [ -f "$TEST_TMP/state/rrd/$1/$n.rrd" ]; then
			echo "$n"
			return 0
		fi
	done
	echo "no-rrd-for-$2"
}

# sample SECONDS: the status every second for SECONDS, appended to
# $TEST_TMP/samples (one JSON document a line)
sample() {
	local end=$(($(date +%s) + $1))

	while [ "$(date +%s)" -lt "$end" ]; do
		status && tr -d '\n' <"$ST" >>"$TEST_TMP/samples" &&
		    echo >>"$TEST_TMP/samples"
		sleep 1
	done
}

# rates_ok TARGET SINCE UNTIL [PORT...]: every rate TARGET reported for the
# ports of RATES (or only PORT...) in rounds whose whole interval lies in
# [SINCE, UNTIL] (epoch) is within TOLERANCE % (ROUND_TOLERANCE if set) of
# the rate the recording has, and their mean within MEAN_TOLERANCE %;
# names may be ifName or ifDescr.  At least 2 rounds each.
rates_ok() {
	local target=$1 since=$2 until=$3
	shift 3
	"$PYTHON" - "$target" "$since" "$until" "$INTERVAL" \
	    "${ROUND_TOLERANCE:-$TOLERANCE}" "$TEST_TMP/samples" "$ERRORS" \
	    "$DISCARDS" "$*" "$MEAN_TOLERANCE" "${RATES[@]}" <<'EOF'
import json, sys
from datetime import datetime
target, since, until, interval, tol, samples, errs, discs, only, mtol = sys.argv[1:11]
since, until, interval, tol = float(since), float(until), float(interval), float(tol)
mtol = float(mtol)
long = {"Fa": "FastEthernet", "Gi": "GigabitEthernet", "Vl": "Vlan", "Nu": "Null"}
def aliases(n):
    return {n, long.get(n[:2], n[:2]) + n[2:]}
want = {}
for spec in sys.argv[11:]:
    p, i, o = spec.split(":")
    want[p] = {"in_octets": float(i), "out_octets": float(o)}
for spec, keys in ((errs, ("in_errors", "out_errors")),
                   (discs, ("in_discards", "out_discards"))):
    p, i, o = spec.split(":")
    want[p][keys[0]], want[p][keys[1]] = float(i), float(o)
if only:
    want = {p: v for p, v in want.items() if p in only.split()}
seen, n, bad, dev = set(), {}, 0, {}
for line in open(samples):
    d = json.loads(line)
    tg = next((x for x in d["targets"] if x["id"] == target), None)
    if tg is None or not tg.get("last_round"):
        continue
    t = datetime.fromisoformat(tg["last_round"]).timestamp()
    if t in seen or t - interval - 1 < since or t + 1 > until:
        continue
    seen.add(t)
    for i in tg.get("interfaces") or []:
        p = next((p for p in want if i["name"] in aliases(p)), None)
        if p is None:
            continue
        n[p] = n.get(p, 0) + 1
        for k, real in want[p].items():
            v = i.get(k)
            if real == 0:
                ok = v is not None and abs(v) < 1e-9
            else:
                # 2 errors/s over 5 s are 10 a round, whole ones: give
                # them two more or less
                slack = 200.0 / (real * interval)
                ok = v is not None and \
                    abs(v - real) <= real * max(tol, slack) / 100
                if v is not None:
                    dev.setdefault((i["name"], k), []).append(
                        100 * (v - real) / real)
            if not ok:
                print("# %s %s %s at %.0f: %s, want %g  <-- off" % (
                      target, i["name"], k, t, v, real))
            bad += not ok
for (name, k), ds in sorted(dev.items()):
    mean = sum(ds) / len(ds)
    mean_ok = abs(mean) <= mtol or not k.endswith("octets")
    bad += not mean_ok
    if k.endswith("octets"):
        print("# %s %s %s: %d rounds, %+.2f..%+.2f %%, mean %+.2f %%%s" % (
              target, name, k, len(ds), min(ds), max(ds), mean,
              "" if mean_ok else "  <-- off"))
missing = [p for p in want if n.get(p, 0) < 2]
if missing:
    print("# %s: fewer than 2 rounds for %s" % (target, " ".join(missing)))
sys.exit(1 if bad or missing else 0)
EOF
}

# max_rrd TARGET PORTFILE SINCE: the highest rate (octets, errors,
# discards per second) PORTFILE's RRD holds since SINCE, and "neg" if any
# is negative
max_rrd() {
	rrdtool fetch "$TEST_TMP/state/rrd/$1/$2.rrd" AVERAGE -s "$3" -e now |
	    awk 'NR == 1 { for (i = 1; i <= NF; i++)
			rate[i + 1] = $i ~ /_(octets|errors|discards)$/ }
	    NR > 2 { for (i = 2; i <= NF; i++) {
		if (!rate[i] || $i ~ /nan/) continue
		if ($i + 0 < 0) neg = 1
		if ($i + 0 > m) m = $i + 0 } }
	    END { printf "%.0f%s\n", m, neg ? " neg" : "" }'
}

# --- the ports ------------------------------------------------------------------
check "sim-cisco is UP" wait_for 30 st 't("sim-cisco")["state"] == "up"'
check "with its 59 ports" st 'len(names("sim-cisco")) == 59'
check "ifName as names, ifAlias as labels" st \
    'port("sim-cisco", "Fa3/0/42")["label"] == "connected to cube 12b ruckus ap" and port("sim-cisco", "Fa3/0/1")["label"] is None'
check "oper and admin status" st \
    'port("sim-cisco", "Fa3/0/3")["oper_up"] == 1 and port("sim-cisco", "Fa3/0/1")["oper_up"] == 0 and port("sim-cisco", "Fa3/0/46")["admin_up"] == 0 and port("sim-cisco", "Fa3/0/1")["admin_up"] == 1'
check "speeds from ifHighSpeed" st \
    'port("sim-cisco", "Fa3/0/3")["speed"] == 1e8 and port("sim-cisco", "Vl60")["speed"] == 1e9 and port("sim-cisco", "Fa3/0/1")["speed"] == 1e7'
check "its uptime, from the recording (80 days)" st \
    '80 * 86400 < t("sim-cisco")["uptime"] < 81 * 86400'
check "\"up\" selects the ports that are up" wait_for 20 st \
    'sorted(names("sim-up")) == sorted("'"$UP_PORTS"'".split())'
check "names, ifDescr and ifAlias select ports" wait_for 20 st \
    'sorted(names("sim-names")) == ["Fa3/0/3", "Fa3/0/42", "Gi3/0/1"]'
check "v1: UP with the 2 ports it names" wait_for 20 st \
    't("sim-v1")["state"] == "up" and len(names("sim-v1")) == 2'
check "no ifXTable: UP, ifDescr as names, no labels" wait_for 20 st \
    't("sim-noifx")["state"] == "up" and sorted(names("sim-noifx")) == sorted("'"$(echo $DESCRS)"'".split()) and port("sim-noifx", "FastEthernet3/0/3")["label"] is None'
check "no ifXTable: speeds from ifSpeed" st \
    'port("sim-noifx", "FastEthernet3/0/3")["speed"] == 1e8'
check "an agent that stops answering mid-walk: DOWN" \
    wait_for $(((DOWN_AFTER + 1) * INTERVAL + SLACK)) st \
    't("sim-stall")["state"] == "down"'
reason=$(jget 't("sim-stall")["reason"]')
echo "# sim-stall: $reason"
check "... because the walk was incomplete" \
    eval '[[ $reason == "walk incomplete"* ]]'

# --- rates, and the 32-bit wraps ------------------------------------------------
# From the moment every target has rates (two good rounds), sample until
# both wraps are a few rounds behind.
RATE_TARGETS='("sim-cisco", "sim-names", "sim-v1", "sim-noifx")'
RATE_NAMES="$(for r in "${RATES[@]}"; do echo "${r%%:*}"; done) $DESCRS"
check "rates after two rounds" wait_for $((5 * INTERVAL + SLACK)) st \
    'all(any(i["in_octets"] is not None for i in t(x)["interfaces"]) and all(i["in_octets"] is not None for i in t(x)["interfaces"] if i["name"] in "'"$(echo $RATE_NAMES)"'".split()) for x in '"$RATE_TARGETS"')'
from=$(date +%s)
now=$from
check "the rates came before the first wrap" \
    [ "$from" -le $((T0 + WRAP_S - 5 - INTERVAL)) ]
left=$((T0 + WRAP_S + 3 * INTERVAL - now))
[ "$left" -ge $((5 * INTERVAL)) ] || left=$((5 * INTERVAL))
sample "$left"
until=$(date +%s)
check "sim-cisco: the rates of ${#RATES[@]} ports within $TOLERANCE %" \
    rates_ok sim-cisco "$from" "$until"
check "sim-names: Fa3/0/3's rates" rates_ok sim-names "$from" "$until" Fa3/0/3
# v1 walks row by row (~120 GETNEXTs, no GETBULK): a port read early in
# the walk is read a varying time before the round ends
v1_rates_ok() {
	ROUND_TOLERANCE=15 rates_ok "$@"
}
check "v1: 32-bit counters, the rates right across Fa3/0/48's wrap" \
    v1_rates_ok sim-v1 "$from" "$until" Fa3/0/3 Fa3/0/48
check "no ifXTable: the rates right across Fa3/0/48's wrap" \
    rates_ok sim-noifx "$from" "$until"
for t in sim-v1 sim-noifx; do
	m=$(max_rrd "$t" "$(rrd_name "$t" Fa3/0/48)" "$T0")
	echo "# $t Fa3/0/48: RRD peak $m B/s"
	check "$t: no spike or negative rate at the wrap" \
	    awk -v m="$m" 'BEGIN { exit !(m !~ /neg/ && m + 0 <= 12500 * 1.2) }'
done
check "the RRD of a port of sim-cisco" test -s "$TEST_TMP/state/rrd/sim-cisco/Fa3_0_3.rrd"

# --- the counters are cleared (no reboot) -------------------------------------
# As `clear counters` on a Cisco: every counter starts again from 0 while
# sysUpTime goes on.  The 64-bit counters went back: a discontinuity.  The
# 32-bit ones (v1) went back too, which a wrap could explain, but not at
# a rate far above the port's speed (Fa3/0/3: 100 Mbit/s).
mark=$(journal_mark)
Tc=$(date +%s)
uptime_c=$(awk -v t0="$T0" -v tc="$Tc" '$1 == "uptime" {
	printf "%.2f", $2 + tc - t0 }' "$TEST_TMP/cisco.rates")
for a in cisco v1; do
	agent stop $a
	recording $a cisco --t0 "$Tc" --uptime "$uptime_c" --reset "${RATE_OPTS[@]}"
	agent start $a || hard_error "snmpsimd for $a did not restart"
done
: >"$TEST_TMP/samples"
sample $((5 * INTERVAL))
check "counters cleared: no reboot event" \
    eval '! has_events "$mark" reboot sim-cisco && ! has_events "$mark" reboot sim-v1'
check "counters cleared: the rates are right again" \
    rates_ok sim-cisco "$((Tc + 2 * INTERVAL))" "$(date +%s)"
for t in sim-cisco sim-v1; do
	m=$(max_rrd $t "$(rrd_name $t Fa3/0/3)" "$((Tc - INTERVAL))")
	echo "# $t Fa3/0/3: RRD peak across the clearing $m B/s"
	check "$t: no spike or negative rate when the counters are cleared" \
	    awk -v m="$m" 'BEGIN { exit !(m !~ /neg/ && m + 0 <= 1000000 * 1.2) }'
done

# --- the switch reboots ---------------------------------------------------------
# Off for more than a round, then back with sysUpTime 30 s and every
# counter from 0.
mark=$(journal_mark)
for a in cisco multi v1; do
	agent stop $a
done
sleep $((INTERVAL + 2))
T1=$(date +%s)
for a in cisco multi v1; do
	recording $a cisco --t0 "$T1" --uptime 30 --reset "${RATE_OPTS[@]}"
	agent start $a || hard_error "snmpsimd for $a did not restart"
done
check "a reboot event" wait_for $((2 * INTERVAL + SLACK)) \
    has_events "$mark" reboot sim-cisco
echo "# $(events_since "$mark" reboot sim-cisco)"
check "the uptime is the new one" wait_for "$INTERVAL" st \
    't("sim-cisco")["uptime"] < 120'
check "the other switches' reboots too (v1 included)" \
    wait_for $((2 * INTERVAL + SLACK)) \
    has_events "$mark" reboot sim-up sim-names sim-v1
check "no port_down for the reboot" \
    eval '! has_events "$mark" port_down sim-cisco'
: >"$TEST_TMP/samples"
# (long enough for 2 full rounds after the reboot's even when the reboot
# was seen late, on a loaded machine or under the sanitizers)
sample $((6 * INTERVAL))
# the round of the reboot has no rate; the next ones are right
check "the rates are right again" \
    rates_ok sim-cisco "$((T1 + 2 * INTERVAL))" "$(date +%s)"
for t in sim-cisco sim-v1; do
	m=$(max_rrd $t "$(rrd_name $t Fa3/0/3)" "$((T1 - INTERVAL))")
	echo "# $t Fa3/0/3: RRD peak across the reboot $m B/s"
	check "$t: no spike or negative rate at the reboot" \
	    awk -v m="$m" 'BEGIN { exit !(m !~ /neg/ && m + 0 <= 1000000 * 1.2) }'
done

# --- the ifIndex values are renumbered ------------------------------------------
ls "$TEST_TMP/state/rrd/sim-cisco" >"$TEST_TMP/rrds-before"
last_update() {
	rrdtool last "$TEST_TMP/state/rrd/sim-cisco/$1.rrd"
}
lu_before=$(last_update Fa3_0_3)
mark=$(journal_mark)
T2=$(date +%s)
agent stop cisco
# the same clock and counters: only the indexes change
recording cisco cisco --t0 "$T1" --uptime 30 --reset "${RATE_OPTS[@]}" --renumber
grep -q '^Fa3/0/3 11045 ' "$TEST_TMP/cisco.rates" ||
    hard_error "Fa3/0/3 did not move to 11045: $(cat "$TEST_TMP/cisco.rates")"
agent start cisco || hard_error "snmpsimd for cisco did not restart"
: >"$TEST_TMP/samples"
sample $((6 * INTERVAL))
check "renumbered: the same 59 names" st 'len(names("sim-cisco")) == 59'
ls "$TEST_TMP/state/rrd/sim-cisco" >"$TEST_TMP/rrds-after"
check "renumbered: no new RRD file, none left behind" \
    cmp -s "$TEST_TMP/rrds-before" "$TEST_TMP/rrds-after"
check "Fa3/0/3's RRD keeps receiving data" [ "$(last_update Fa3_0_3)" -gt "$lu_before" ]
check "renumbered: every port's rates still right (names, not indexes)" \
    rates_ok sim-cisco "$((T2 + 2 * INTERVAL))" "$(date +%s)"
m=$(max_rrd sim-cisco Fa3_0_3 "$((T2 - 30))")
echo "# sim-cisco Fa3/0/3 (moved to index 11045): RRD peak $m B/s"
check "no spike or negative rate for the port that moved" \
    awk -v m="$m" 'BEGIN { exit !(m !~ /neg/ && m + 0 <= 1000000 * 1.2) }'
m=$(max_rrd sim-cisco Fa3_0_45 "$((T2 - 30))")
echo "# sim-cisco Fa3/0/45 (idle; now at Fa3/0/3's old index): RRD peak $m B/s"
check "no rate carried over from the port that had the index" \
    awk -v m="$m" 'BEGIN { exit !(m !~ /neg/ && m + 0 <= 100) }'
check "no reboot event for a renumbering" \
    eval '! has_events "$mark" reboot sim-cisco'

# --- an agent goes silent and comes back ----------------------------------------
agent pause noifx
check "silent agent: DOWN" wait_for $(((DOWN_AFTER + 1) * INTERVAL + SLACK)) st \
    't("sim-noifx")["state"] == "down"'
check "... timeout" [ "$(jget 't("sim-noifx")["reason"]')" = timeout ]
agent resume noifx
check "back: UP" wait_for $(((UP_AFTER + 1) * INTERVAL + SLACK)) st \
    't("sim-noifx")["state"] == "up"'
check "the ping target stayed up" st 't("lo")["state"] == "up"'
check "sim-stall is still DOWN" st 't("sim-stall")["state"] == "down"'

check "tramond is still running" tramond_running
tramond_stop
check "tramond stops cleanly" [ $? = 0 ]
stop_agents
summary
