#!/usr/bin/env bash
#
# Every target down at once (issue 9, resource bounds): N ping targets
# (ALL_DOWN_N, default 1000) that all stop answering together, twice:
#
#  A. the targets gone, the mail server still reachable (a core switch
#     down, say); then back;
#  B. the monitoring PC cut off (its uplink): the targets and the mail
#     server out of reach for two reminder periods; then both back.
#
# Every root target down is, to tramond, its own way out cut (CUT): when
# they answer again (RECONNECTED) delivery is held and what is pending
# goes out as one digest (DIGEST).  More than 5 notices within a minute
# are a storm (daemon.storm_after): the rest wait until none has come
# for 30 s, then go as one digest a contact.  Asserted:
#  - the journal has every state change (N downs, N ups in each part),
#    every DOWN and REMINDER notice, CUT, RECONNECTED and DIGEST;
#  - A: the N DOWNs go as at most 5 mails of their own and a storm's
#    digest (at most 10 mails in all, reminders included), every target
#    said DOWN once, none twice; the outbox at most three items a
#    target (DOWN, a reminder, for a moment the one it replaces);
#    the N UPs coalesce into one digest (at most one UP mail beside it:
#    the first UP may be on its way before the reconnection holds
#    delivery), every UP said once;
#  - B: while cut off, the storms' digests replace their notices (and a
#    waiting digest is folded into the next): after two reminder periods
#    the outbox holds a few items, not N DOWN + N REMINDER; once back,
#    ONE digest listing N DOWN, each target's last REMINDER and N UP,
#    and no DOWN or UP mail of its own (at N = 10,000 on a loaded
#    machine, NORMAL mails may follow it: a first round back that lost
#    echoes was DEGRADED);
#  - tramond's VmRSS under 1.5 x its all-UP figure + 32 MB (+ 256 MB,
#    AddressSanitizer's quarantine, in a sanitizer build); its fds under
#    the all-UP count + 16 (the mail transport's, a render's pipe), and
#    at the end back to their count after part A (a second cycle leaks
#    none); no sanitizer report; a clean exit on SIGTERM (a render in
#    progress finishes first: up to 120 s + N / 10).
#
# The network: two namespaces of this test's own (tmalldownPID-a, -b;
# deleted at exit).  tramond and the SMTP server (tests/mail/smtpd.py,
# aiosmtpd, on 127.0.0.1 of -a) run in -a, whose only way out is a veth
# to -b; -b answers for the targets, 198.18.0.1 onwards, 250 a /24 (a
# "local" route a /24 on its loopback), and forwards nothing.  Taking a
# /24's local route away makes its echoes vanish without a word, as on a
# cut link; the mail server "out of reach" is the SMTP server stopped
# (and started again on its port).  Nothing outside the two namespaces
# is touched or contacted.
#
# Environment: ALL_DOWN_N (1000), ALL_DOWN_INTERVAL (5 s).  About 4.5
# minutes at N = 1000 on 2 cores: part B must last two reminder periods
# (repeat_minutes = 1, its least), and that, not N, sets the time.  RRD
# files: about 5 MB a target at a 5-s step (N = 1000: 5 GB, checked
# against the free space; 10,000 at ALL_DOWN_INTERVAL=30: 23 GB).  Under
# the sanitizers (tramond linked with libasan) the default N is 300.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip curl
. "$top_srcdir/tests/mail/servers.sh"
mail_need_tools

# a sanitizer build is several times slower and bigger: 300 targets
if ldd "$top_builddir/tramond" 2>/dev/null | grep -q libasan; then
	N=${ALL_DOWN_N:-300}
else
	N=${ALL_DOWN_N:-1000}
fi
INTERVAL=${ALL_DOWN_INTERVAL:-5}
STORM_AFTER=5		# daemon.storm_after's default
[ "$N" -ge 2 ] && [ "$N" -le 60000 ] || hard_error "ALL_DOWN_N: 2 to 60000"
NETS=$(( (N + 249) / 250 ))
NSA=tmalldown$$-a
NSB=tmalldown$$-b
HTTP=127.0.0.1:8080	# in -a, where nothing else listens
CONF=$TEST_TMP/tramon.conf
STATE=$TEST_TMP/state
OUTBOX=$STATE/outbox
MX=$TEST_TMP/mx
SAMPLES=$TEST_TMP/samples.csv
SAMPLER_PID=

rrd_kb=$(( (2 * 86400 / INTERVAL + 4032 + 2232 * 3 + 1830 * 3) * 13 * 8 / 1024 ))
free_kb=$(df -Pk "$TEST_TMP" | awk 'NR == 2 { print $4 }')
[ "$free_kb" -ge $(( rrd_kb * N + 1048576 )) ] ||
    skip "needs $(( rrd_kb * N / 1048576 + 1 )) GB free in $TEST_TMP for $N RRD files"

alldown_cleanup() {
	local rc=$?

	[ -z "$SAMPLER_PID" ] || { kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null; }
	# tramond and the servers first (they live in -a), then the network
	if [ -n "$TRAMOND_PID" ]; then
		local before=$TESTS_FAILED
		tramond_stop || true
		[ "$TESTS_FAILED" = "$before" ] || [ "$rc" != 0 ] || rc=1
	fi
	for n in "${!PID[@]}"; do
		stop_server "$n"
	done
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	(exit "$rc")
	mail_cleanup
}
trap alldown_cleanup EXIT

# --- the network -------------------------------------------------------------

ip netns add "$NSA" || hard_error "cannot create netns $NSA"
ip netns add "$NSB" || hard_error "cannot create netns $NSB"
{
	ip -n "$NSA" link set lo up &&
	ip -n "$NSB" link set lo up &&
	ip -n "$NSA" link add ad0 type veth peer name ad1 netns "$NSB" &&
	ip -n "$NSA" addr add 198.19.255.1/30 dev ad0 &&
	ip -n "$NSB" addr add 198.19.255.2/30 dev ad1 &&
	ip -n "$NSA" link set ad0 up &&
	ip -n "$NSB" link set ad1 up &&
	ip -n "$NSA" route add 198.18.0.0/15 via 198.19.255.2 &&
	ip netns exec "$NSB" sysctl -qw net.ipv4.ip_forward=0
} || hard_error "cannot build the test's network"

targets_back() {	# every /24 answers
	local i
	for ((i = 0; i < NETS; i++)); do
		echo "route replace local 198.18.$i.0/24 dev lo table local"
	done | ip -n "$NSB" -batch - || hard_error "cannot restore the targets"
}
targets_gone() {	# every /24 drops its echoes silently
	local i
	for ((i = 0; i < NETS; i++)); do
		echo "route del local 198.18.$i.0/24 dev lo table local"
	done | ip -n "$NSB" -batch - || hard_error "cannot cut the targets"
}
targets_back

# python3 in -a: the mail server lives beside tramond
mkdir "$TEST_TMP/bin"
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NSA" "$PYTHON" \
    >"$TEST_TMP/bin/python-a"
chmod 755 "$TEST_TMP/bin/python-a"
PYTHON=$TEST_TMP/bin/python-a smtpd mx
MXPORT=${PORT[mx]}

# --- tramond -----------------------------------------------------------------

{
	daemon_section "$HTTP" | sed -e 's/log_level .*/log_level = "info";/' \
	    -e 's|^};|  language = "en"; timezone = "UTC"; web_refresh = 86400;\n};|'
	cat <<EOF
smtp = { url = "smtp://127.0.0.1:$MXPORT"; starttls = "none";
  from = "tramon <tramon@example.org>"; timeout = 10; };
contacts = ( { id = "it"; email = [ "it@example.org" ]; } );
defaults = { interval = $INTERVAL; count = 5; timeout = 1.0;
  down_after = 2; up_after = 2; notify = [ "it" ]; repeat_minutes = 1; };
targets = (
EOF
	awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
		printf "%s  { id = \"t%d\"; type = \"ping\"; host = \"198.18.%d.%d\"; }",
		    (i ? ",\n" : ""), i, int(i / 250), 1 + i % 250; print "" }'
	echo ");"
} >"$CONF"
"$top_builddir/tramond" -n -c "$CONF" >/dev/null 2>&1 ||
    hard_error "the test configuration is not valid: $("$top_builddir/tramond" -n -c "$CONF" 2>&1 | tail -3)"

# The graphs of the render each state change starts (16 a target) are
# drawn by an `rrdtool -` child: at nice 19, as in bench/icmp.sh, so
# that it does not starve the prober on a small machine.
printf '#!/bin/sh\nexec nice -n 19 %s "$@"\n' "$(command -v rrdtool)" >"$TEST_TMP/bin/rrdtool"
chmod 755 "$TEST_TMP/bin/rrdtool"

# tramond_start, but in -a (TRAMOND_PID and TRAMOND_LOG as it sets them,
# so that tramond_stop and the cleanup work)
TRAMOND_LOG=$TEST_TMP/tramond.log
T0=$(date +%s)
PATH=$TEST_TMP/bin:$PATH TRAMON_ASSET_DIR=$top_srcdir/web \
    ip netns exec "$NSA" "$top_builddir/tramond" -f -c "$CONF" \
    2>"$TRAMOND_LOG" 8>&- &
TRAMOND_PID=$!

# one row a second: t, VmRSS kB, threads, fds, outbox items (bounded:
# the test ends well within the hour)
{
	for ((s = 0; s < 3600; s++)); do
		[ -r "/proc/$TRAMOND_PID/status" ] || break
		echo "$(( $(date +%s) - T0 )),$(awk '/^VmRSS:/ { r = $2 } /^Threads:/ { t = $2 } END { print r "," t }' "/proc/$TRAMOND_PID/status"),$(ls "/proc/$TRAMOND_PID/fd" 2>/dev/null | wc -l),$(find "$OUTBOX" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l)"
		sleep 1
	done >"$SAMPLES"
} 2>/dev/null &
SAMPLER_PID=$!

say() { echo "# $(( $(date +%s) - T0 )) s: $*"; }
alive() { tramond_running || hard_error "tramond exited: $(tail -5 "$TRAMOND_LOG")"; }
metrics() { ip netns exec "$NSA" curl -fsS --max-time 30 "http://$HTTP/metrics"; }
held() { metrics 2>/dev/null | awk '$1 == "tramon_notifications_held" { print $2 }'; }
n_up() { metrics 2>/dev/null | awk '/^tramon_target_up\{/ { n += $2 } END { print n + 0 }'; }
n_rrd() { find "$STATE/rrd" -name '*.rrd' 2>/dev/null | wc -l; }
outbox_n() { find "$OUTBOX" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$TRAMOND_PID/status"; }
fds() { ls "/proc/$TRAMOND_PID/fd" | wc -l; }

# J KEY: a count from the journal: "down", "up" (state changes to it),
# "notice:KIND", "way_out:ACTION"
J() {
	"$PYTHON" - "$STATE/journal" "$1" <<'EOF'
import glob, json, os, sys
n = 0
for path in glob.glob(os.path.join(sys.argv[1], "*.jsonl")):
    for line in open(path, encoding="utf-8", errors="replace"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        ev = e.get("event")
        k = sys.argv[2]
        if ev == "state" and e.get("to") == k:
            n += 1
        elif ev == "notice" and k == "notice:" + str(e.get("kind")):
            n += 1
        elif ev == "way_out" and k == "way_out:" + str(e.get("action")):
            n += 1
print(n)
EOF
}
# j_at_least KEY COUNT
j_at_least() { alive; [ "$(J "$1")" -ge "$2" ]; }
# tally MARK: what the mails after the MARKth say, as "key=value" words:
#  total, cut (digests of a cut: "DELIVERED LATE"), storm (digests of a
#  storm: "MANY CHANGES AT ONCE"), down / up / reminder (mails of their
#  own), ldown / lup / lreminder (notices listed in the digests),
#  down_targets (targets with a DOWN, in a mail of its own or a digest),
#  down_twice (DOWNs said more than once), cut_n / storm_n (notices the
#  first cut / storm digest says it holds)
tally() {
	"$PYTHON" - "$MX" "$1" <<'EOF'
import email, email.policy, glob, os, re, sys
paths = sorted(glob.glob(os.path.join(sys.argv[1], "[0-9]*.eml")))[int(sys.argv[2]):]
c = dict.fromkeys("total cut storm down up reminder ldown lup lreminder "
                  "down_targets down_twice cut_n storm_n".split(), 0)
c["total"] = len(paths)
downs = {}
def kind(subject):
    for k, w in (("reminder", "REMINDER"), ("down", "DOWN"), ("up", "UP AGAIN")):
        if subject.upper().startswith(w):
            return k
    return None
def said_down(subject):
    m = re.match(r"DOWN: (\S+)", subject)
    if m:
        downs[m.group(1)] = downs.get(m.group(1), 0) + 1
for p in paths:
    with open(p, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    s = str(m["subject"]).removeprefix("[tramon] ")
    if s.startswith("DIGEST"):
        d = "cut" if "DELIVERED LATE" in s else "storm"
        c[d] += 1
        n = re.search(r"\b(\d+) notices", s)
        if n and c[d + "_n"] == 0:
            c[d + "_n"] = int(n.group(1))
        body = m.get_body(("plain",)).get_content()
        for line in body.splitlines():
            l = re.match(r"  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  (.*)", line)
            if l and kind(l.group(1)):
                c["l" + kind(l.group(1))] += 1
                said_down(l.group(1))
    elif kind(s):
        c[kind(s)] += 1
        said_down(s)
c["down_targets"] = len(downs)
c["down_twice"] = sum(1 for v in downs.values() if v > 1)
print(" ".join("%s=%d" % kv for kv in c.items()))
EOF
}
# tally_into MARK: the tally into the array T
declare -A T
tally_into() {
	local kv
	T=()
	for kv in $(tally "$1"); do
		T[${kv%%=*}]=${kv#*=}
	done
}
mails_n() { count "$MX" eml; }
# quiet: nothing in the outbox, and the mail count the same for 3 s
quiet() {
	local a
	alive
	[ "$(outbox_n)" -eq 0 ] || return 1
	a=$(mails_n)
	sleep 3
	[ "$(outbox_n)" -eq 0 ] && [ "$(mails_n)" = "$a" ]
}
# peak COLUMN FROM_S: the highest value of COLUMN (2 RSS, 3 threads,
# 4 fds, 5 outbox) in the samples from FROM_S seconds on
peak() { awk -F, -v c="$1" -v t="$2" '$1 >= t && $c > m { m = $c } END { print m + 0 }' "$SAMPLES"; }

wait_for 60 eval 'metrics >/dev/null 2>&1' || hard_error "tramond did not come up: $(tail -5 "$TRAMOND_LOG")"

# --- all up: the reference figures ------------------------------------------
WARM=$(( 120 + N / 20 ))
wait_for "$WARM" eval '[ "$(n_up)" -ge "$N" ] && [ "$(n_rrd)" -ge "$N" ]' ||
    hard_error "warm-up: $(n_up) of $N UP, $(n_rrd) RRD files after $WARM s"
sleep $(( 2 * INTERVAL ))
alive
RSS_UP=$(status VmRSS)
FDS_UP=$(fds)
T_UP=$(( $(date +%s) - T0 ))
RSS_MAX=$(( RSS_UP * 3 / 2 + 32768 ))
# AddressSanitizer keeps freed memory in quarantine (256 MB by default)
# before reusing it: the churn of N mails fills it, by design
if ldd "$top_builddir/tramond" 2>/dev/null | grep -q libasan; then
	RSS_MAX=$(( RSS_MAX + 262144 ))
fi
FDS_MAX=$(( FDS_UP + 16 ))
say "all $N UP: VmRSS $((RSS_UP / 1024)) MB, $FDS_UP fds, $(status Threads) threads; bounds: VmRSS $((RSS_MAX / 1024)) MB, $FDS_MAX fds"
DOWN_WAIT=$(( 4 * INTERVAL + 60 + N / 50 ))
check "all UP: tramon_notifications_held 0" [ "$(held)" = 0 ]

# --- A: every target down, the mail server reachable ------------------------
# (every root target down is also what the monitor takes for its own way
# out cut: CUT; when they answer, RECONNECTED holds delivery and the UPs
# go out as one digest)
MARK=$(mails_n)
B_DOWN=$(J down) B_NDOWN=$(J notice:down) B_UP=$(J up)
B_CUT=$(J way_out:cut) B_REC=$(J way_out:reconnected) B_DIG=$(J way_out:digest)
targets_gone
say "A: all $N targets gone"
check "A: every target's DOWN journaled" wait_for "$DOWN_WAIT" j_at_least down $((B_DOWN + N))
check "A: every DOWN notice journaled" wait_for 60 j_at_least notice:down $((B_NDOWN + N))
check "A: /metrics says delivery waits (a storm): tramon_notifications_held 1" \
    wait_for 20 eval '[ "$(held)" = 1 ]'
check "A: the cut journaled (CUT)" wait_for 60 j_at_least way_out:cut $((B_CUT + 1))
# every DOWN said, in a mail of its own or a storm's digest (not the
# outbox empty: reminders, every minute, keep coming)
check "A: every DOWN mailed" \
    wait_for $((120 + N / 5)) eval 'tally_into "$MARK"; [ "${T[down_targets]}" -ge "$N" ]'
sleep 3		# one twice would be there by now
tally_into "$MARK"
say "A: ${T[total]} mail(s) for $N targets down: ${T[down]} DOWN and ${T[reminder]} REMINDER of their own, ${T[storm]} storm digest(s) listing ${T[ldown]} DOWN and ${T[lreminder]} REMINDER; outbox peak $(peak 5 "$T_UP") items"
# the first STORM_AFTER (5) in a minute go alone, the rest as a digest;
# reminders, a minute later, as another
check "A: $N DOWN notices coalesce into a few mails (${T[total]})" \
    [ "${T[total]}" -le 10 ]
check "A: at most 5 DOWN mails of their own (${T[down]})" [ "${T[down]}" -le 5 ]
check "A: no DOWN said twice, none missing (${T[down_targets]} of $N, ${T[down_twice]} twice)" \
    eval '[ "${T[down_targets]}" -eq "$N" ] && [ "${T[down_twice]}" -eq 0 ] && [ $((T[down] + T[ldown])) -eq "$N" ]'
# its DOWN and (coalesced) its reminder, held by the storm; for a moment,
# as a period's reminders are written, the ones they replace are still
# there (at 10,000 targets, reminders every minute: peak 2.5 N)
check "A: the outbox never held more than three items a target" \
    [ "$(peak 5 "$T_UP")" -le $((3 * N + 5)) ]

MARK=$(mails_n)
targets_back
say "A: the targets back"
check "A: every target's UP journaled" wait_for "$DOWN_WAIT" j_at_least up $((B_UP + N))
check "A: RECONNECTED journaled" wait_for 60 j_at_least way_out:reconnected $((B_REC + 1))
check "A: DIGEST journaled" wait_for 120 j_at_least way_out:digest $((B_DIG + 1))
check "A: the digest delivered, the outbox empty" wait_for $((120 + N / 5)) quiet
tally_into "$MARK"
say "A: ${T[total]} mail(s) for $N targets back: ${T[cut]} cut digest of ${T[cut_n]} notices (${T[lup]} UP), ${T[storm]} storm digest(s), ${T[up]} UP and ${T[reminder]} REMINDER of their own"
# the first UP may be on its way before the reconnection holds delivery;
# UPs after the cut's digest (a storm's) and reminders of targets not yet
# back go in a storm's digest
check "A: the UPs coalesce: one cut digest, at most one UP mail (${T[cut]}, ${T[up]})" \
    eval '[ "${T[cut]}" -eq 1 ] && [ "${T[up]}" -le 1 ]'
check "A: every UP said once (${T[up]} + ${T[lup]} = $N)" \
    [ $((T[up] + T[lup])) -eq "$N" ]
check "A: a few mails ($((T[total])) <= 5)" [ "${T[total]}" -le 5 ]
FDS_A=$(fds)

# --- B: the monitoring PC cut off: targets and mail server out of reach -----
stop_server mx
MARK=$(mails_n)
B_DOWN=$(J down) B_NDOWN=$(J notice:down) B_UP=$(J up) B_REM=$(J notice:reminder)
B_CUT=$(J way_out:cut) B_REC=$(J way_out:reconnected) B_DIG=$(J way_out:digest)
T_CUT=$(date +%s)
targets_gone
say "B: all $N targets and the mail server out of reach"
check "B: every target's DOWN journaled" wait_for "$DOWN_WAIT" j_at_least down $((B_DOWN + N))
check "B: the cut journaled (CUT)" wait_for 60 j_at_least way_out:cut $((B_CUT + 1))
check "B: every DOWN notice journaled" wait_for 60 j_at_least notice:down $((B_NDOWN + N))
# two reminder periods (1 min each, from the DOWN notice)
check "B: every target reminded twice" \
    wait_for $(( 150 + N / 50 )) j_at_least notice:reminder $((B_REM + 2 * N))
# a period's reminders folded (30 s after the last of them) and the
# items they replace removed (the worker's, in a batch)
wait_for $(( 60 + N / 100 )) eval '[ "$(outbox_n)" -le 20 ]'
OB=$(outbox_n)
OB_PEAK=$(peak 5 $((T_CUT - T0)))
say "B: $(( $(date +%s) - T_CUT )) s cut off: outbox $OB items, peak $OB_PEAK"
# the storms' digests, not one item a notice: DOWN (and the first few
# alone), then each period's reminders, folded with what still waits
# (at its peak, a storm's N notices before they are folded)
check "B: notices coalesce while cut off: outbox $OB items <= 20, peak $OB_PEAK <= N + 20" \
    eval '[ "$OB" -le 20 ] && [ "$OB_PEAK" -le $((N + 20)) ]'

targets_back
say "B: the targets back"
check "B: RECONNECTED journaled" wait_for "$DOWN_WAIT" j_at_least way_out:reconnected $((B_REC + 1))
# the mail server back on its port once the reconnection holds delivery
PYTHON=$TEST_TMP/bin/python-a smtpd mx --port "$MXPORT"
check "B: every target's UP journaled" wait_for "$DOWN_WAIT" j_at_least up $((B_UP + N))
check "B: DIGEST journaled" wait_for 120 j_at_least way_out:digest $((B_DIG + 1))
check "B: the digest delivered, the outbox empty" wait_for $((120 + N / 5)) quiet
tally_into "$MARK"
say "B: ${T[total]} mail(s) after the cut: ${T[cut]} cut digest of ${T[cut_n]} notices (${T[ldown]} DOWN, ${T[lreminder]} REMINDER, ${T[lup]} UP), ${T[storm]} storm digest(s), ${T[down]} DOWN, ${T[up]} UP, ${T[reminder]} REMINDER of their own"
# the storms' digests (DOWN, reminders) waited with the mail server out
# of reach and are folded into the cut's: one digest.  Beside it, only
# what happened after it: at N = 10,000 on a loaded machine, a first
# round back may lose echoes (DEGRADED, folded in) and the next one not
# (NORMAL, after the digest).
check "B: one digest, no DOWN or UP mail of its own (${T[cut]}, ${T[storm]}, ${T[down]}, ${T[up]})" \
    eval '[ "${T[cut]}" -eq 1 ] && [ "${T[storm]}" -eq 0 ] && [ "${T[down]}" -eq 0 ] && [ "${T[up]}" -eq 0 ]'
[ "${T[total]}" -le 1 ] ||
    echo "# B: $((T[total] - 1)) mail(s) beside the digest (NORMAL after a DEGRADED first round back, reminders of targets not yet back)"
# N DOWN + N REMINDER (the last of each target's) + N UP
check "B: the digest lists every DOWN once, each target's last REMINDER, every UP (${T[ldown]}, ${T[lreminder]}, ${T[lup]})" \
    eval '[ "${T[ldown]}" -eq "$N" ] && [ "${T[down_twice]}" -eq 0 ] && [ "${T[lreminder]}" -eq "$N" ] && [ "${T[lup]}" -eq "$N" ]'
check "B: the digest names its count of notices (${T[cut_n]} >= $((3 * N)))" \
    [ "${T[cut_n]}" -ge $((3 * N)) ]

# --- bounds over the whole run ----------------------------------------------
sleep 3
alive
RSS_PEAK=$(peak 2 "$T_UP")
FDS_PEAK=$(peak 4 "$T_UP")
FDS_END=$(fds)
say "VmRSS: all UP $((RSS_UP / 1024)) MB, peak $((RSS_PEAK / 1024)) MB, end $(( $(status VmRSS) / 1024 )) MB; fds: all UP $FDS_UP, peak $FDS_PEAK, end $FDS_END; threads peak $(peak 3 "$T_UP")"
check "VmRSS bounded ($((RSS_PEAK / 1024)) <= $((RSS_MAX / 1024)) MB)" \
    [ "$RSS_PEAK" -le "$RSS_MAX" ]
check "fds under all-UP + 16 ($FDS_PEAK <= $FDS_MAX)" [ "$FDS_PEAK" -le "$FDS_MAX" ]
# the first mail opens what stays open (the mail transport's): part B
# is a second cycle from there
check "fds back to their count after part A ($FDS_END, $FDS_A)" \
    [ "$FDS_END" -le $((FDS_A + 2)) ]
check "no sanitizer report in tramond's log" \
    eval '! grep -a -q -E "AddressSanitizer|LeakSanitizer|runtime error:" "$TRAMOND_LOG"'
# A render in progress (16 graphs a target, at nice 19) holds up the
# exit after SIGTERM: wait for it, bounded, rather than tramond_stop's 20 s
STOP_WAIT=$(( 120 + N / 10 ))
stop_rc=0
t_stop=$(date +%s)
kill -TERM "$TRAMOND_PID"
wait_for "$STOP_WAIT" eval '! kill -0 "$TRAMOND_PID" 2>/dev/null' || {
	kill -KILL "$TRAMOND_PID" 2>/dev/null
	stop_rc=137
}
wait "$TRAMOND_PID" 2>/dev/null || stop_rc=$?
TRAMOND_PID=
say "tramond took $(( $(date +%s) - t_stop )) s to stop after SIGTERM"
check "tramond exits cleanly on SIGTERM within $STOP_WAIT s (status $stop_rc)" [ "$stop_rc" -eq 0 ]
say "done"
summary
