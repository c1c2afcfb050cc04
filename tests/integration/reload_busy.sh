#!/usr/bin/env bash
#
# SIGHUP reload while tramond is busy (issue 9, "Crash and power-loss
# safety"): loopback only, a real SMTP server (aiosmtpd) and, when net-snmp's
# snmpd is installed, a real SNMP agent on 127.0.0.1.
#
# ~25 targets, rounds every second: pings of 127.0.0.x that answer, tcp
# targets on a port that listens, one on a port nobody listens on (DOWN,
# mailed), a switch polled over SNMP; pages render every 5 s and after
# each change.  Then 15 reloads in about a minute (SIGHUP, and tramonctl
# reload now and then),
# cycling through configurations that
#  - change nothing: every target keeps its state, its rounds and its RRD
#    (the RRD's last update goes on advancing, the file is the same one
#    with the history from before the reloads);
#  - remove 4 targets: they stop (their RRD is no longer updated), and
#    status.json and the pages drop them;
#  - add 4 targets: they start (up, with an RRD of their own);
#  - are invalid: nothing changes, the error is logged with file:line,
#    no "reload" is journaled, tramond runs on.
# Afterwards:
#  - the journal has one "reload" per valid reload, with the right kept /
#    added / removed figures;
#  - the targets kept throughout changed state once (unknown -> up; the
#    closed port unknown -> down), never went "unknown" again, and no mail
#    came for any of them but the closed port's one DOWN;
#  - tramond's descriptors (/proc/PID/fd) did not grow and its VmRSS stayed
#    within 1.5 times (+ 16 MB) what it was after the first reloads;
#  - it stops cleanly (exit 0), with no sanitizer report in its log.
# TRAMON_RELOADS (15; end on a "remove C") tunes the number of reloads.
# About a minute (95 s with the sanitizers on a loaded machine).  Under
# TRAMON_VALGRIND=1 valgrind finds nothing, but the test's timing does
# not hold there: a tcp connect measured through valgrind counts as
# degraded, and the first rounds come late.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd rrdtool
. "$top_srcdir/tests/mail/servers.sh"
mail_need_tools

T0=$(date +%s)
RELOADS=${TRAMON_RELOADS:-15}
CONF=$TEST_TMP/tramon.conf
STATE=$TEST_TMP/state
WWW=$TEST_TMP/www
MX=$TEST_TMP/mx
OPEN_PORT=$(free_port)
CLOSED_PORT=$(free_port)
while [ "$CLOSED_PORT" = "$OPEN_PORT" ]; do CLOSED_PORT=$(free_port); done
SNMPD_PID=

# The switch: net-snmp's snmpd on 127.0.0.1, if it and the snmp plugin
# are there (the rest of the test runs without them).
SNMP=0
if command -v snmpd >/dev/null 2>&1 &&
    [ -f "$top_builddir/plugins/.libs/snmp.so" ]; then
	SNMP=1
	SNMP_PORT=$(free_udp_port)
fi

reload_cleanup() {
	local rc=$?

	if [ -n "$SNMPD_PID" ]; then
		kill "$SNMPD_PID" 2>/dev/null
		wait "$SNMPD_PID" 2>/dev/null
	fi
	(exit "$rc")
	mail_cleanup
}
trap reload_cleanup EXIT

smtpd mx
listen_on "$OPEN_PORT"

if [ $SNMP = 1 ]; then
	cat >"$TEST_TMP/snmpd.conf" <<EOF
rocommunity reload-test 127.0.0.1
sysName sw-reload
EOF
	MIBS='' MIBDIRS=/nonexistent snmpd -f -Lf "$TEST_TMP/snmpd.log" -C -c "$TEST_TMP/snmpd.conf" \
	    -r -p "$TEST_TMP/snmpd.pid" "udp:127.0.0.1:$SNMP_PORT" \
	    8>&- 2>/dev/null &
	SNMPD_PID=$!
	snmp_up() {
		MIBS='' MIBDIRS=/nonexistent snmpget -v2c -c reload-test -r 0 -t 1 "127.0.0.1:$SNMP_PORT" \
		    1.3.6.1.2.1.1.3.0 >/dev/null 2>&1
	}
	wait_for 20 snmp_up || hard_error "snmpd did not start: $(tail -n 5 "$TEST_TMP/snmpd.log")"
fi

# KEPT: in every configuration.  SET_B: in the base one, removed and put
# back.  SET_C: added and removed again.
KEPT="lo2 lo3 lo4 lo5 lo6 lo7 lo8 lo9 lo10 lo11 lo12 lo13 tcp-up1 tcp-up2
tcp-up3 tcp-closed"
[ $SNMP = 0 ] || KEPT="$KEPT sw1"
SET_B="rm1 rm2 rm3 rm4"
SET_C="new1 new2 new3 new4"

# write_conf WITH_B WITH_C [INVALID]: the configuration, with or without
# the targets of SET_B and SET_C; with INVALID, a typo in a target
write_conf() {
	local i
	{
		daemon_section | sed \
		    -e 's/^  log_level .*/  log_level = "info";\n  web_refresh = 5;/'
		cat <<EOF
smtp = { url = "smtp://127.0.0.1:${PORT[mx]}"; starttls = "none";
  from = "Giám sát mạng <canhbao@namtramy.gov.vn>"; timeout = 10; };
contacts = ( { id = "it"; name = "Tổ CNTT";
  email = [ "it1@namtramy.gov.vn" ]; } );
defaults = { interval = 1; count = 2; timeout = 0.4; down_after = 2;
  up_after = 2; notify = [ "it" ]; };
targets = (
EOF
		for i in $(seq 2 13); do
			echo "  { id = \"lo$i\"; name = \"Xã $i\"; group = \"Xã\";"
			echo "    type = \"ping\"; host = \"127.0.0.$i\"; },"
		done
		for i in 1 2 3; do
			echo "  { id = \"tcp-up$i\"; type = \"tcp\"; host = \"127.0.0.1\";"
			echo "    port = $OPEN_PORT; count = 1; },"
		done
		if [ "$1" = 1 ]; then
			for i in 1 2 3 4; do
				echo "  { id = \"rm$i\"; type = \"ping\";"
				echo "    host = \"127.0.0.$((20 + i))\"; },"
			done
		fi
		if [ "$2" = 1 ]; then
			for i in 1 2 3 4; do
				echo "  { id = \"new$i\"; type = \"ping\";"
				echo "    host = \"127.0.0.$((30 + i))\"; },"
			done
		fi
		if [ $SNMP = 1 ]; then
			echo "  { id = \"sw1\"; type = \"snmp\"; host = \"127.0.0.1\";"
			echo "    interval = 2; timeout = 0.5;"
			echo "    snmp = { version = \"2c\"; community = \"reload-test\";"
			# "lo" only: the agent reports the host's interfaces, and
			# tests running beside this one (the lab) make and remove
			# theirs: a port of theirs going away is a port_down mail
			echo "      port = $SNMP_PORT; interfaces = [ \"lo\" ]; }; },"
		fi
		echo "  { id = \"tcp-closed\"; type = \"tcp\"; host = \"127.0.0.1\";"
		if [ -n "${3:-}" ]; then
			echo "    prot = $CLOSED_PORT; count = 1; }"
		else
			echo "    port = $CLOSED_PORT; count = 1; }"
		fi
		echo ");"
	} >"$CONF.new"
	mv "$CONF.new" "$CONF"
}

write_conf 1 0
"$top_builddir/tramond" -n -c "$CONF" >"$TEST_TMP/check.log" 2>&1 ||
    hard_error "the test configuration is not valid: $(cat "$TEST_TMP/check.log")"
tramond_start "$CONF"
DPID=$TRAMOND_PID

# The checks read the daemon's view (tramonctl status --json, at once)
# or, with SRC=www, status.json (written by the next render).
SRC=ctl
view() {
	if [ "$SRC" = www ]; then
		echo "$WWW/status.json"
		return
	fi
	tramonctl -c "$CONF" status --json >"$TEST_TMP/st.tmp" 2>/dev/null &&
	    mv "$TEST_TMP/st.tmp" "$TEST_TMP/st.json"
	echo "$TEST_TMP/st.json"
}

in_status() {	# in_status ID...: each ID is there
	local ids
	ids=$(printf "'%s'," "$@")
	json_test "$(view)" "all(t(i) for i in ($ids))"
}

not_in_status() {	# not_in_status ID...: none is there
	local ids
	ids=$(printf "'%s'," "$@")
	json_test "$(view)" \
	    "not [x for x in d['targets'] if x['id'] in ($ids)]"
}

exactly() {	# exactly ID...: these targets and no others
	local ids
	ids=$(printf "'%s'," "$@")
	json_test "$(view)" \
	    "sorted(x['id'] for x in d['targets']) == sorted(($ids))"
}

all_up() {	# all_up ID...: each is up (the closed port: down)
	local ids
	ids=$(printf "'%s'," "$@")
	json_test "$(view)" \
	    "all(t(i)['state'] == ('down' if i == 'tcp-closed' else 'up')
	    for i in ($ids))"
}

journal() {
	cat "$STATE"/journal/*.jsonl 2>/dev/null
}

reloads_journaled() {
	journal | grep -c '"event":"reload"' || true
}

# fds: the fewest of 5 counts over a second (probes open and close
# sockets all the time); rss: VmRSS in kB
fds() {
	local n m=999999 i

	for i in 1 2 3 4 5; do
		n=$(find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
		[ "$n" -lt "$m" ] && m=$n
		sleep 0.2
	done
	echo "$m"
}

rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"
}

rrd_last() {
	rrdtool last "$STATE/rrd/$1.rrd" 2>/dev/null || echo 0
}

# every RRD of IDs updated after epoch SINCE
rrds_after() {
	local since=$1 t
	shift
	for t in "$@"; do
		[ "$(rrd_last "$t")" -gt "$since" ] || return 1
	done
}

# shellcheck disable=SC2086
check "every target up (the closed port down)" \
    wait_for 60 all_up $KEPT $SET_B
www_has_b() {
	local rc=0
	SRC=www
	# shellcheck disable=SC2086
	in_status $SET_B || rc=1
	SRC=ctl
	return $rc
}
check "status.json lists the 4 targets of the set to be removed" \
    wait_for 20 www_has_b
check "the closed port's DOWN mail" wait_for 30 \
    test "$(count "$MX" eml)" -ge 1
FIRST_DATA=$(date +%s)
# some history before the reloads
sleep 3
INODE_BEFORE=$(stat -c %i "$STATE/rrd/lo2.rrd")
[ $SNMP = 0 ] || SW_BEFORE=$(rrd_last sw1)
MAILS_BEFORE=$(count "$MX" eml)

# --- the reloads -------------------------------------------------------------------
# The cycle: unchanged, B out, C in, invalid, unchanged, B back, C out,
# invalid (through tramonctl: refused, 78).  Each valid one is waited for in
# the journal; after each, the targets are checked.
valid=0 invalid=0 bad_invalid=0 bad_removed=0 bad_added=0 bad_kept=0
with_b=1 with_c=0
fd0="" rss0=""
declare -a expect_reload=()
for n in $(seq 0 $((RELOADS - 1))); do
	step=$((n % 8))
	before=$(reloads_journaled)
	since=$(date +%s)
	case $step in
	0|4)	what="unchanged"; write_conf $with_b $with_c ;;
	1)	what="remove B"; with_b=0; write_conf 0 $with_c ;;
	2)	what="add C"; with_c=1; write_conf $with_b 1 ;;
	5)	what="B back"; with_b=1; write_conf 1 $with_c ;;
	6)	what="remove C"; with_c=0; write_conf $with_b 0 ;;
	3|7)	what="invalid"; write_conf $with_b $with_c bad ;;
	esac
	if [ "$what" = invalid ]; then
		lines=$(grep -c "reload: .* is not valid" "$TRAMOND_LOG")
		if [ $step = 7 ]; then
			# tramonctl checks the file first and refuses (78)
			tramonctl -c "$CONF" reload >/dev/null 2>&1
			rc=$?
			if [ $rc != 78 ]; then
				echo "# tramonctl reload of an invalid file: exit $rc"
				bad_invalid=$((bad_invalid + 1))
			fi
		fi
		kill -HUP "$DPID"
		log_more() {
			[ "$(grep -c "reload: .* is not valid" "$TRAMOND_LOG")" -gt "$lines" ]
		}
		if ! wait_for 15 log_more; then
			echo "# reload $n (invalid): not logged"
			bad_invalid=$((bad_invalid + 1))
		fi
		sleep 1
		if [ "$(reloads_journaled)" != "$before" ] || ! tramond_running; then
			echo "# reload $n (invalid): journaled, or tramond died"
			bad_invalid=$((bad_invalid + 1))
		fi
		invalid=$((invalid + 1))
		# the running targets are those of the last valid file, and
		# the kept ones are as they were
		want="$KEPT"
		[ $with_b = 0 ] || want="$want $SET_B"
		[ $with_c = 0 ] || want="$want $SET_C"
		# shellcheck disable=SC2086
		if ! exactly $want || ! all_up $KEPT; then
			echo "# reload $n (invalid): the targets changed"
			bad_invalid=$((bad_invalid + 1))
		fi
		# the good file again, for the next step
		write_conf $with_b $with_c
		continue
	fi
	if [ $((n % 5)) = 4 ]; then
		tramonctl -c "$CONF" reload >/dev/null 2>&1 ||
		    echo "# reload $n: tramonctl reload failed"
	else
		kill -HUP "$DPID"
	fi
	more() { [ "$(reloads_journaled)" -gt "$before" ]; }
	if ! wait_for 15 more; then
		echo "# reload $n ($what): not journaled"
		bad_kept=$((bad_kept + 1))
		continue
	fi
	valid=$((valid + 1))
	case $what in
	"remove B")
		# gone from status.json and its page; no more RRD updates
		# shellcheck disable=SC2086
		if ! wait_for 15 not_in_status $SET_B; then
			echo "# reload $n: tramond still runs B"
			bad_removed=$((bad_removed + 1))
		fi
		sleep 1
		l1=$(rrd_last rm1)
		sleep 2.5
		if [ "$(rrd_last rm1)" != "$l1" ]; then
			echo "# reload $n: rm1's RRD is still updated"
			bad_removed=$((bad_removed + 1))
		fi
		;;
	"add C"|"B back")
		[ "$what" = "add C" ] && set -- $SET_C || set -- $SET_B
		if ! wait_for 20 all_up "$@" || ! wait_for 10 rrds_after "$since" "$@"; then
			echo "# reload $n: $* did not start"
			bad_added=$((bad_added + 1))
		fi
		;;
	"remove C")
		# shellcheck disable=SC2086
		if ! wait_for 15 not_in_status $SET_C; then
			echo "# reload $n: tramond still runs C"
			bad_removed=$((bad_removed + 1))
		fi
		;;
	esac
	# the kept ones: still up, their RRDs still updated
	# shellcheck disable=SC2086
	if ! all_up $KEPT || ! wait_for 10 rrds_after "$since" lo2 lo13 tcp-up1 tcp-closed; then
		echo "# reload $n ($what): a kept target is not up or not updated"
		bad_kept=$((bad_kept + 1))
	fi
	# the baseline for fds and memory: after the first reloads
	if [ -z "$fd0" ] && [ "$n" -ge 2 ]; then
		fd0=$(fds)
		rss0=$(rss)
	fi
	expect_reload+=("$what:$with_b:$with_c")
	echo "# reload $n ($what): checked in $(($(date +%s) - since)) s"
done
STORM_END=$(date +%s)
echo "# $valid valid and $invalid invalid reloads in $((STORM_END - FIRST_DATA)) s"
check "every valid reload was journaled and its kept targets ran on" \
    test "$bad_kept" -eq 0
check "removed targets stopped and left status.json and the pages" \
    test "$bad_removed" -eq 0
check "added targets started" test "$bad_added" -eq 0
check "an invalid configuration changed nothing (logged, not journaled)" \
    test "$bad_invalid" -eq 0
check "the invalid file's error names file and line" \
    grep -q "tramon.conf:[0-9]*: .*prot" "$TRAMOND_LOG"

# --- after the reloads ---------------------------------------------------------------
# the last valid reload removed C (and B is back): the pages follow
pages_follow() {
	SRC=www
	# shellcheck disable=SC2086
	in_status $KEPT $SET_B && not_in_status $SET_C &&
	    [ -e "$WWW/t/rm1.html" ] && [ ! -e "$WWW/t/new1.html" ] &&
	    ! grep -q 'new1' "$WWW/index.html"
}
if [ $with_c = 0 ]; then
	check "status.json and the pages: C gone, B back" wait_for 30 pages_follow
	SRC=ctl
fi
[ $SNMP = 0 ] || check "sw1 (SNMP) polled on across the reloads" \
    test "$(rrd_last sw1)" -gt "${SW_BEFORE:-0}"
check "lo2's RRD is the same file" \
    test "$(stat -c %i "$STATE/rrd/lo2.rrd")" = "$INODE_BEFORE"
# the history from before the reloads is still there: the RRD's step is
# the interval (1 s), so the rows of those seconds have values
history() {
	rrdtool fetch "$STATE/rrd/lo2.rrd" AVERAGE -r 1 \
	    -s "$FIRST_DATA" -e "$((FIRST_DATA + 3))" |
	    awk 'NR > 2 && $2 !~ /nan/ { n++ } END { exit n < 2 }'
}
check "lo2's RRD keeps the data from before the reloads" history
fd1=$(fds)
rss1=$(rss)
echo "# descriptors: $fd0 after the first reloads, $fd1 at the end"
echo "# VmRSS: $rss0 kB after the first reloads, $rss1 kB at the end"
check "no descriptor growth across the reloads" test "$fd1" -le $((fd0 + 2))
check "VmRSS within 1.5 x + 16 MB" \
    test "$rss1" -le $((rss0 * 3 / 2 + 16384))

# the journal: the reloads and their figures, the kept targets' states
NKEPT=$(wc -w <<<"$KEPT")
check "the journal: reloads and states" \
    "$PYTHON" - "$STATE" "$NKEPT" "$KEPT" "${expect_reload[@]}" <<'EOF'
import glob, json, sys
state, nkept, kept = sys.argv[1], int(sys.argv[2]), set(sys.argv[3].split())
expect = [x.split(":") for x in sys.argv[4:]]
events = []
for path in sorted(glob.glob(state + "/journal/*.jsonl")):
    for line in open(path, encoding="utf-8"):
        events.append(json.loads(line))
problems = []
reloads = [e for e in events if e.get("event") == "reload"]
if len(reloads) != len(expect):
    problems.append("%d reloads journaled, %d expected" %
                    (len(reloads), len(expect)))
prev_b, prev_c = 1, 0
for e, (what, b, c) in zip(reloads, expect):
    b, c = int(b), int(c)
    added = 4 * (b > prev_b) + 4 * (c > prev_c)
    removed = 4 * (b < prev_b) + 4 * (c < prev_c)
    kept_n = nkept + 4 * min(b, prev_b) + 4 * min(c, prev_c)
    got = (e["kept"], e["changed"], e["added"], e["removed"])
    if got != (kept_n, 0, added, removed):
        problems.append("%s: kept/changed/added/removed %s, expected %s" %
                        (what, got, (kept_n, 0, added, removed)))
    prev_b, prev_c = b, c
changes = {}
for e in events:
    if e.get("event") == "state" and e.get("target") in kept:
        changes.setdefault(e["target"], []).append((e["from"], e["to"]))
for t in sorted(kept):
    want = [("unknown", "down" if t == "tcp-closed" else "up")]
    if changes.get(t) != want:
        problems.append("%s: state changes %s, expected %s" %
                        (t, changes.get(t), want))
print("# journal: %d reloads, %d state changes of kept targets" %
      (len(reloads), sum(len(v) for v in changes.values())))
for p in problems:
    print("# " + p)
sys.exit(1 if problems else 0)
EOF

# the mail: the closed port's DOWN, once; nothing for the other kept ones
sleep 2
check "no new mail during the reloads" test "$(count "$MX" eml)" -eq "$MAILS_BEFORE"
check "one mail in all, the closed port's DOWN" \
    "$PYTHON" - "$MX" <<'EOF'
import email, glob, sys
from email import policy
mails = [email.message_from_binary_file(open(p, "rb"), policy=policy.default)
         for p in sorted(glob.glob(sys.argv[1] + "/[0-9]*.eml"))]
for m in mails:
    print("# mail: %s" % m["Subject"])
sys.exit(0 if len(mails) == 1 and "tcp-closed" in
         str(mails[0]["Message-ID"]) else 1)
EOF

check "tramond still runs" tramond_running
rc=0
tramond_stop || rc=$?
check "tramond stops cleanly (exit 0)" test "$rc" -eq 0
check "no sanitizer report in tramond's log" \
    bash -c "! grep -E 'Sanitizer|runtime error:' '$TRAMOND_LOG'"
echo "# run time $(($(date +%s) - T0)) s"
summary
