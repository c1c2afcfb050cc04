#!/usr/bin/env bash
#
# Outages in the simulated district, with the targets of conf/tramon.conf:
#  - a commune cut off goes DOWN within down_after x interval (+ slack),
#    is journaled, shown in status.json and on the page, and comes back;
#  - a WAN cut makes the WAN router DOWN and every commune and uplink
#    behind it UNREACHABLE, never DOWN, and the web services behind the
#    VNPT uplink too, while the Huyện ủy stays up;
#  - when the WAN returns, the communes come back UP, except one that is
#    really down: it is then reported DOWN;
#  - a closed H.323 port is DOWN while the endpoint still pings;
#  - the month's report (tramonctl report) lists exactly these outages,
#    each within one interval of when the lab made and mended it.
#
. "$top_srcdir/tests/lib.sh"
need_root

INTERVAL=3
DOWN_AFTER=2
UP_AFTER=2
SLACK=6
# tramond under valgrind runs some ten times slower: more room
[ "${TRAMON_VALGRIND:-0}" = 1 ] && SLACK=12
CONF=$TEST_TMP/tramon.conf
WWW=$TEST_TMP/www
COMMUNES="tra-mai tra-don tra-leng tra-don2 tra-tap tra-cang tra-linh tra-nam tra-vinh tra-van"
BEHIND_WAN="$COMMUNES uplink-vnpt uplink-viettel"
WEB="portal qoffice motcua"	# behind uplink-vnpt (Q-Office: degraded, its
				# certificate expires in 10 days)
JOURNAL=$TEST_TMP/state/journal/$(TZ=Asia/Ho_Chi_Minh date +%Y-%m).jsonl

# The district's targets, exactly as the example configuration has them.
district_targets() {
	/usr/bin/python3 - "$top_srcdir/conf/tramon.conf" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"^targets\s*=\s*\(.*?^\);", text, re.S | re.M)
if not m:
    sys.exit("no targets in " + sys.argv[1])
print(m.group(0))
EOF
}

# (the lab first: its CA, which the web services' certificates are checked
# against, is made by lab.sh up)
lab_up
{
	daemon_section "127.0.0.1:$(free_port)" | sed 's/web_refresh.*//'
	cat <<EOF
defaults = { interval = $INTERVAL; count = 10; timeout = 1.0;
  down_after = $DOWN_AFTER; up_after = $UP_AFTER; ca_file = "$(lab ca)"; };
EOF
	district_targets || hard_error "cannot read the district's targets"
} >"$CONF"
"$top_builddir/tramond" -n -c "$CONF" >/dev/null 2>&1 ||
    hard_error "the test configuration is not valid: $("$top_builddir/tramond" -n -c "$CONF" 2>&1)"

tramond_start "$CONF"

status() {
	tramonctl -c "$CONF" status --json >"$TEST_TMP/st.json" 2>/dev/null
}

# state_is ID STATE...: the target's state is one of STATE...
state_is() {
	local id=$1 s
	shift
	s=$(json_get "$TEST_TMP/st.json" "t(\"$id\")[\"state\"]" 2>/dev/null) || return 1
	for want in "$@"; do
		[ "$s" = "$want" ] && return 0
	done
	return 1
}

# all_are STATE... -- ID...: every ID is in one of the STATEs (fresh status)
all_are() {
	local states=() id
	while [ "$1" != -- ]; do
		states+=("$1")
		shift
	done
	shift
	status || return 1
	for id in "$@"; do
		state_is "$id" "${states[@]}" || return 1
	done
}

# journal_has ID TO: the journal records a change of ID to TO
journal_has() {
	grep -q "\"event\":\"state\",\"target\":\"$1\",\"from\":\"[a-z]*\",\"to\":\"$2\"" "$JOURNAL"
}

# changed_to ID TO: seconds since the epoch of ID's last change to TO
changed_to() {
	grep "\"event\":\"state\",\"target\":\"$1\",\"from\":\"[a-z]*\",\"to\":\"$2\"" "$JOURNAL" |
	    tail -n 1 | sed 's/.*"ts":\([0-9]*\).*/\1/'
}

ALL="wan huyen-uy huyen-uy-h323 huyen-uy-sip $BEHIND_WAN $WEB"
check "every target answers" wait_for 60 all_are up degraded -- $ALL

# --- one commune cut off ------------------------------------------------------
cut_at=$(date +%s)
lab cut tra-nam
cut_end=$(date +%s)
limit=$((DOWN_AFTER * INTERVAL + SLACK))
check "tra-nam is DOWN within $limit s of the cut" wait_for $limit all_are down -- tra-nam
down_at=$(changed_to tra-nam down)
check "journaled as down ($((down_at - cut_at)) s after the cut)" \
    [ -n "$down_at" ] && [ $((down_at - cut_at)) -le $limit ]
check "its reason is a timeout" \
    [ "$(json_get "$TEST_TMP/st.json" 't("tra-nam")["reason"]')" = timeout ]
check "the other communes stay up" all_are up degraded -- wan tra-mai tra-linh tra-van
check "status.json shows it down" \
    wait_for 10 json_test "$WWW/status.json" 't("tra-nam")["state"] == "down"'
check "the overview names it as down" \
    wait_for 10 grep -q 'Xã Trà Nam' "$WWW/index.html"
check "its page exists" test -s "$WWW/t/tra-nam.html"
check "its loss is 100 %" json_test "$WWW/status.json" 't("tra-nam")["loss_pct"] == 100'

nam_back=$(date +%s)
lab restore tra-nam
nam_back_end=$(date +%s)
limit=$((UP_AFTER * INTERVAL + SLACK))
check "tra-nam is UP within $limit s of the restore" \
    wait_for $limit all_are up degraded -- tra-nam

# --- the WAN cut ----------------------------------------------------------------
mark=$(wc -l <"$JOURNAL")
wan_cut=$(date +%s)
lab cut wan
wan_cut_end=$(date +%s)
limit=$((DOWN_AFTER * INTERVAL + SLACK))
check "the WAN router is DOWN" wait_for $limit all_are down -- wan
check "every commune and uplink is UNREACHABLE" \
    wait_for $limit all_are unreachable -- $BEHIND_WAN
check "the web services behind the VNPT uplink are UNREACHABLE" \
    wait_for $limit all_are unreachable -- $WEB
# (up, or degraded: a slow round under valgrind on a busy machine is not
# what this checks; down or unreachable would be)
check "the Huyện ủy (on the LAN) stays up" all_are up degraded -- huyen-uy \
    huyen-uy-h323 huyen-uy-sip
sleep $((2 * INTERVAL))
tail -n +"$((mark + 1))" "$JOURNAL" >"$TEST_TMP/wan-cut.jsonl"
bad=$(grep '"to":"down"' "$TEST_TMP/wan-cut.jsonl" | grep -v '"target":"wan"' || true)
check "no commune was ever reported DOWN during the WAN cut" [ -z "$bad" ]
[ -z "$bad" ] || echo "$bad" >&2
check "the unreachable ones name the WAN as their parent" \
    [ "$(grep -c '"to":"unreachable".*"parent":"wan"' "$TEST_TMP/wan-cut.jsonl")" = 12 ]
check "the web services name the VNPT uplink" \
    [ "$(grep -c '"to":"unreachable".*"parent":"uplink-vnpt"' "$TEST_TMP/wan-cut.jsonl")" = 3 ]
check "status.json shows them unreachable" wait_for 10 json_test "$WWW/status.json" \
    'all(t(i)["state"] == "unreachable" for i in ["tra-linh", "tra-cang", "uplink-vnpt"])'

# tra-cang breaks down while the WAN is out: it must be reported when the
# WAN comes back, and only then
lab cut tra-cang
mark=$(wc -l <"$JOURNAL")
wan_back=$(date +%s)
lab restore wan
wan_back_end=$(date +%s)
limit=$(((UP_AFTER + DOWN_AFTER) * INTERVAL + 2 * SLACK))
check "the WAN comes back up" wait_for $limit all_are up -- wan
check "the communes come back" wait_for $limit all_are up degraded -- \
    tra-mai tra-don tra-leng tra-don2 tra-tap tra-linh tra-nam tra-vinh tra-van \
    uplink-vnpt uplink-viettel $WEB
check "tra-cang, really down, is then reported DOWN" \
    wait_for $limit all_are down -- tra-cang
tail -n +"$((mark + 1))" "$JOURNAL" >"$TEST_TMP/wan-back.jsonl"
bad=$(grep '"to":"down"' "$TEST_TMP/wan-back.jsonl" | grep -v '"target":"tra-cang"' || true)
check "no other commune was reported DOWN on the way back" [ -z "$bad" ]
[ -z "$bad" ] || echo "$bad" >&2
check "tra-cang went unreachable -> down" \
    grep -q '"target":"tra-cang","from":"unreachable","to":"down"' "$TEST_TMP/wan-back.jsonl"
cang_back=$(date +%s)
lab restore tra-cang
cang_back_end=$(date +%s)
check "tra-cang comes back" wait_for $limit all_are up degraded -- tra-cang

# --- the H.323 port closes, the endpoint still answers pings ------------------
h323_off=$(date +%s)
lab tcp huyen-uy 1720 off
h323_off_end=$(date +%s)
limit=$((DOWN_AFTER * INTERVAL + SLACK))
check "huyen-uy-h323 is DOWN when its port closes" \
    wait_for $limit all_are down -- huyen-uy-h323
check "its reason is connection refused" \
    [ "$(json_get "$TEST_TMP/st.json" 't("huyen-uy-h323")["reason"]')" = "connection refused" ]
check "huyen-uy still pings" all_are up -- huyen-uy
h323_on=$(date +%s)
lab tcp huyen-uy 1720 on
h323_on_end=$(date +%s)
check "huyen-uy-h323 comes back" wait_for $((UP_AFTER * INTERVAL + SLACK)) all_are up -- huyen-uy-h323

# --- the events page and the journal agree ------------------------------------
check "the events page lists the WAN outage" \
    wait_for 10 grep -q 'Bộ định tuyến WAN' "$WWW/events.html"
skipped=$(/usr/bin/python3 -c '
import json, sys
bad = 0
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        json.loads(line)
    except ValueError:
        bad += 1
print(bad)' "$JOURNAL")
check "every journal line is JSON" [ "$skipped" = 0 ]

tramond_stop
check "tramond stops cleanly" [ $? = 0 ]

# --- the month's report agrees with what the lab did -----------------------------
# Every outage injected, and no other, starting within two intervals and
# a timeout of the cut and ending within one interval of the repair: tra-nam down; the
# WAN down and everything behind it unreachable through it (the web
# services through the VNPT uplink, on their own intervals: only that
# they were out); tra-cang from the WAN cut until it was restored, down;
# the H.323 port down.
check "tramonctl report --format csv" tramonctl -c "$CONF" report \
    --month "$(TZ=Asia/Ho_Chi_Minh date +%Y-%m)" --format csv \
    -o "$TEST_TMP/report.csv"
# (each lab command's start and end: the change took effect in between)
times="$cut_at $cut_end $nam_back $nam_back_end $wan_cut $wan_cut_end"
times="$times $wan_back $wan_back_end $cang_back $cang_back_end"
times="$times $h323_off $h323_off_end $h323_on $h323_on_end"
check "its outage list matches the lab's, within one interval" \
    /usr/bin/python3 - "$TEST_TMP/report.csv" "$INTERVAL" "$WEB" \
    "$COMMUNES uplink-vnpt uplink-viettel" "$times" <<'EOF'
import csv, datetime, io, sys, zoneinfo
tz = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
text = open(sys.argv[1], encoding="utf-8-sig", newline="").read()
iv, web, behind = int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
t = list(map(int, sys.argv[5].split()))
nam_cut, nam_back, wan_cut, wan_back = t[0:2], t[2:4], t[4:6], t[6:8]
cang_back, h323_off, h323_on = t[8:10], t[10:12], t[12:14]
sections = text.split("\r\n\r\n")
rows = list(csv.reader(io.StringIO(sections[1])))[1:]
def ts(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=tz).timestamp())
DOWN, UNR = "Mất kết nối", "Không truy cập được"
# per target, in time order: (kind, via or None = any, made, mended)
want = {tid: [(UNR, "wan", wan_cut, wan_back)] for tid in behind}
want["tra-nam"].insert(0, (DOWN, "", nam_cut, nam_back))
want["tra-cang"] = [(DOWN, None, wan_cut, cang_back)]
want["wan"] = [(DOWN, "", wan_cut, wan_back)]
want["huyen-uy-h323"] = [(DOWN, "", h323_off, h323_on)]
got = {}
for r in rows:
    got.setdefault(r[0], []).append((r[6], r[7], ts(r[2]), ts(r[3]), r))
problems = []
for tid in web:
    g = got.pop(tid, [])
    if len(g) != 1 or g[0][0] != UNR or g[0][1] != "uplink-vnpt":
        problems.append("%s: %r, want one unreachable via uplink-vnpt"
                        % (tid, [x[4] for x in g]))
for tid, w in want.items():
    g = sorted(got.pop(tid, []), key=lambda x: x[2])
    if len(g) != len(w):
        problems.append("%s: %d outage(s), want %d: %r" % (
            tid, len(g), len(w), [x[4] for x in g]))
        continue
    for (kind, via, start, end, r), (k, v, made, mended) in zip(g, w):
        if kind != k or (v is not None and via != v):
            problems.append("%s: %s via %r, want %s via %r" % (
                tid, kind, via, k, v))
        # the end of the first failed round (the state engine's
        # streak_since is when that round's result came): the round
        # under way at the cut still got answers, so the next one,
        # begun within an interval of the cut, ends its last echo's
        # timeout after its last send: cut + 2 intervals + the timeout
        # (1 s); + 2 s: whole seconds and a slow loop (valgrind); the
        # first answered round within one interval of the repair,
        # either side (a round begun before it is answered after it);
        # +1 s: whole seconds
        if not made[0] - 1 <= start <= made[1] + 2 * iv + 1 + 2:
            problems.append("%s: starts %+d s from the cut (%s)" % (
                tid, start - made[0], r[2]))
        if not mended[0] - iv - 1 <= end <= mended[1] + iv + 1:
            problems.append("%s: ends %+d s from the repair (%s)" % (
                tid, end - mended[0], r[3]))
for tid, g in got.items():
    problems.append("unexpected: %r" % [x[4] for x in g])
print("# the lab's commands took %s s" % ", ".join(
    str(t[k + 1] - t[k]) for k in range(0, len(t), 2)))
for p in problems:
    print("# " + p)
sys.exit(1 if problems else 0)
EOF
summary

