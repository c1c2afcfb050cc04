#!/usr/bin/env bash
#
# Meeting readiness in the simulated district, with a real SMTP server
# and a real webhook:
#  - a meeting two minutes ahead (check_before = 1, duration = 1): its
#    check runs on its own, probing the Huyện ủy and four communes;
#  - Trà Linh (3G: ~250 ms, ~5 % loss, jittery) is at risk against the
#    meeting's 200 ms limit, Trà Nam (cut off in the lab) is not
#    reachable, the others are ready;
#  - one readiness mail (decoded: subject, table, not-ready first,
#    thresholds, link), one webhook post {"event": "meeting"}, one
#    journal event "meeting" with every site's verdict;
#  - meetings.html shows the meeting and the table, linked from the
#    overview; after a restart it shows it again, from the journal;
#  - `tramonctl meeting list`, and `tramonctl meeting check --no-mail`
#    prints the table and exits 1 (not every site is ready), with no
#    second mail.
#
. "$top_srcdir/tests/lib.sh"
need_root
. "$top_srcdir/tests/mail/servers.sh"
mail_need_tools

CONF=$TEST_TMP/tramon.conf
MX=$TEST_TMP/mx
HOOKS=$TEST_TMP/hooks
WWW=$TEST_TMP/www
JOURNAL=$TEST_TMP/state/journal/$(TZ=Asia/Ho_Chi_Minh date +%Y-%m).jsonl

smtpd mx
webhookd hooks
lab_up		# (waits for another lab test to finish: times come after)

# The meeting starts at the second full minute from now (60-120 s
# ahead), so its check (1 minute before) comes within a minute.
START_TS=$((($(date +%s) / 60 + 2) * 60))
START=$(TZ=Asia/Ho_Chi_Minh date -d "@$START_TS" '+%Y-%m-%d %H:%M')
HHMM=$(TZ=Asia/Ho_Chi_Minh date -d "@$START_TS" '+%H:%M')


HTTP=$(free_port)
{
	daemon_section "127.0.0.1:$HTTP" | sed \
	    -e "s|^  name .*|  name = \"Huyện Nam Trà My\"; base_url = \"http://tramon.example/\";|"
	cat <<EOF
smtp = {
  url = "smtp://127.0.0.1:${PORT[mx]}";
  starttls = "none";
  from = "Giám sát mạng <canhbao@namtramy.gov.vn>";
  timeout = 10;
};
contacts = (
  { id = "it"; name = "Tổ CNTT"; email = [ "it1@namtramy.gov.vn" ]; },
  { id = "chat"; webhook = "http://127.0.0.1:${PORT[hooks]}/hook"; },
  { id = "quiet"; email = [ "lanhdao@namtramy.gov.vn" ]; }
);
defaults = { interval = 5; count = 10; timeout = 1.0; notify = [ "quiet" ]; };
targets = (
  { id = "wan";      name = "Bộ định tuyến WAN"; type = "ping"; host = "198.18.1.1"; },
  { id = "huyen-uy"; name = "Huyện ủy – Hội nghị truyền hình"; type = "ping"; host = "198.18.1.10"; },
  { id = "tra-don";  name = "Xã Trà Don";  type = "ping"; host = "198.18.2.12"; parent = "wan"; },
  { id = "tra-van";  name = "Xã Trà Vân";  type = "ping"; host = "198.18.2.20"; parent = "wan"; },
  { id = "tra-linh"; name = "Xã Trà Linh"; type = "ping"; host = "198.18.2.17"; parent = "wan";
    degraded = { loss_pct = 8.0; rtt_ms = 600.0; jitter_ms = 150.0; }; },
  { id = "tra-nam";  name = "Xã Trà Nam";  type = "ping"; host = "198.18.2.18"; parent = "wan"; }
);
meetings = (
  { name = "Họp thử <giao ban>"; from = "$START"; check_before = 1; duration = 1;
    max_rtt_ms = 200;
    targets = [ "huyen-uy", "tra-don", "tra-van", "tra-linh", "tra-nam" ];
    notify = [ "it", "chat" ]; }
);
EOF
} >"$CONF"
"$top_builddir/tramond" -n -c "$CONF" >/dev/null 2>&1 ||
    hard_error "the test configuration is not valid: $("$top_builddir/tramond" -n -c "$CONF" 2>&1)"
lab cut tra-nam
tramond_start "$CONF"
echo "# the meeting starts at $START (in $((START_TS - $(date +%s))) s)"

# mails: every message of $MX, decoded, as JSON in $TEST_TMP/mails.json
mails() {
	"$PYTHON" - "$MX" >"$TEST_TMP/mails.json" <<'EOF'
import email, email.policy, glob, json, os, sys
out = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "[0-9]*.eml"))):
    with open(path, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    part = m.get_body(preferencelist=("plain",))
    out.append({"subject": str(m["subject"]), "to": str(m["to"]),
                "body": part.get_content() if part else ""})
json.dump(out, sys.stdout, ensure_ascii=False)
EOF
}
# mail_test EXPR: EXPR true of `m`, the readiness mails
mail_test() {
	mails || return 1
	"$PYTHON" - "$TEST_TMP/mails.json" "$1" <<'EOF'
import json, sys
m = [x for x in json.load(open(sys.argv[1], encoding="utf-8"))
     if "SẴN SÀNG HỌP" in x["subject"]]
sys.exit(0 if eval("(" + sys.argv[2] + "\n)") else 1)
EOF
}
# journal_test EXPR: EXPR true of `ev`, the journal's "meeting" events
journal_test() {
	"$PYTHON" - "$JOURNAL" "$1" <<'EOF'
import json, sys
ev = []
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "meeting":
        ev.append(e)
sys.exit(0 if eval("(" + sys.argv[2] + "\n)") else 1)
EOF
}
verdicts() {	# verdicts EXPR-FOR-A-SITES-LIST: the sites' verdicts as a dict
	echo "{s['target']: s['verdict'] for s in $1}"
}

listed() {
	tramonctl -c "$CONF" meeting list 2>/dev/null >"$TEST_TMP/list.out" &&
	    grep -q "^$START .*Họp thử <giao ban>" "$TEST_TMP/list.out"
}
check "tramonctl meeting list shows it" wait_for 30 listed

# --- the scheduled check --------------------------------------------------------
check "the check begins one minute before the meeting" wait_for 150 \
    grep -q 'meeting "Họp thử <giao ban>": checking 5 site(s)' "$TRAMOND_LOG"
check "it began within the minute before the start" eval \
    '[ $(($(date +%s) - (START_TS - 60))) -ge -2 ] && [ $(date +%s) -lt $START_TS ]'
check "one readiness mail arrives" wait_for 120 mail_test 'len(m) == 1'
mails
"$PYTHON" -c 'import json,sys; [print("#   " + l) for x in json.load(open(sys.argv[1])) for l in [x["subject"]] + x["body"].splitlines()]' \
    "$TEST_TMP/mails.json"
check "its subject says how many sites are ready" mail_test \
    "m[0]['subject'] == '[tramon] SẴN SÀNG HỌP: Họp thử <giao ban> $HHMM – 3/5 điểm sẵn sàng'"
check "to the meeting's contact only" mail_test \
    'm[0]["to"] == "it1@namtramy.gov.vn"'
check "Trà Nam: not reachable; Trà Linh: at risk; the not ready first" mail_test '
    __import__("re").search(r"\nXã Trà Nam +Không kết nối được +– +100 %", m[0]["body"]) and
    __import__("re").search(r"\nXã Trà Linh +Có nguy cơ +\d{3} ms", m[0]["body"]) and
    m[0]["body"].index("Xã Trà Nam") < m[0]["body"].index("Xã Trà Linh") <
    m[0]["body"].index("Xã Trà Don")'
check "the others are ready" mail_test '
    all(__import__("re").search(r"\n" + n + r" +Sẵn sàng +[\d,]+ ms", m[0]["body"])
        for n in ("Huyện ủy – Hội nghị truyền hình", "Xã Trà Don", "Xã Trà Vân"))'
check "the thresholds and the link" mail_test '
    "Ngưỡng: mất gói ≤ 2 %, độ trễ ≤ 200 ms, jitter ≤ 30 ms" in m[0]["body"] and
    "Chi tiết: http://tramon.example/meetings.html" in m[0]["body"]'
check "one journal event with every site's verdict" journal_test "
    len(ev) == 1 and ev[0]['name'] == 'Họp thử <giao ban>' and
    not ev[0]['manual'] and ev[0]['ready'] == 3 and ev[0]['total'] == 5 and
    $(verdicts "ev[0]['sites']") == {'tra-nam': 'not_reachable',
        'tra-linh': 'at_risk', 'huyen-uy': 'ready', 'tra-don': 'ready',
        'tra-van': 'ready'} and
    all(s['sent'] >= 60 for s in ev[0]['sites']) and
    ev[0]['sites'][0]['received'] == 0 and ev[0]['sites'][1]['rtt'] > 200"
hook_ok() {
	"$PYTHON" - "$HOOKS" <<'EOF'
import glob, json, os, sys
posts = [json.load(open(p, encoding="utf-8"))
         for p in sorted(glob.glob(os.path.join(sys.argv[1], "[0-9]*.body")))]
m = [d for d in posts if d.get("event") == "meeting"]
sys.exit(0 if len(m) == 1 and m[0]["ready"] == 3 and len(m[0]["sites"]) == 5
         and m[0]["url"] == "http://tramon.example/meetings.html"
         and m[0]["subject"].startswith("[tramon] SẴN SÀNG HỌP") else 1)
EOF
}
check "the webhook got it as JSON" wait_for 30 hook_ok

# --- the page ----------------------------------------------------------------------
page_ok() {	# page_ok FILE
	"$PYTHON" - "$1" <<'EOF'
import sys
h = open(sys.argv[1], encoding="utf-8").read()
sys.exit(0 if "Họp thử &lt;giao ban&gt;" in h and "<giao ban>" not in h and
         "Lần kiểm tra gần nhất" in h and "3/5 điểm sẵn sàng" in h and
         "Không kết nối được" in h and "Có nguy cơ" in h and
         'href="t/tra-linh.html"' in h and h.index("Xã Trà Nam") < h.index("Xã Trà Linh")
         else 1)
EOF
}
check "meetings.html shows the check, escaped" wait_for 15 page_ok "$WWW/meetings.html"
check "the overview links to it" grep -q 'href="meetings.html"' "$WWW/index.html"

# --- tramonctl meeting check ----------------------------------------------------------
t0=$(date +%s)
tramonctl -c "$CONF" meeting check "Họp thử <giao ban>" --minutes 1 --no-mail \
    >"$TEST_TMP/check.out" 2>"$TEST_TMP/check.err"
rc=$?
sed 's/^/#   /' "$TEST_TMP/check.out"
check "tramonctl meeting check exits 1: not every site is ready" [ "$rc" = 1 ]
check "... after about a minute" [ $(($(date +%s) - t0)) -ge 55 ]
check "... and prints the table" eval '
    grep -Eq "^tra-nam +not_reachable" "$TEST_TMP/check.out" &&
    grep -Eq "^tra-linh +at_risk" "$TEST_TMP/check.out" &&
    grep -Eq "^tra-van +ready" "$TEST_TMP/check.out" &&
    grep -q "3 of 5 site(s) ready" "$TEST_TMP/check.out"'
check "it is journaled as asked for" journal_test \
    'len(ev) == 2 and ev[1]["manual"] and ev[1]["total"] == 5'
sleep 2
check "--no-mail: no second mail" mail_test 'len(m) == 1'
check "an unknown meeting: an error" eval \
    '! tramonctl -c "$CONF" meeting check "Không có" 2>/dev/null'

# --- after a restart, the page comes from the journal ----------------------------------------
tramond_stop
rm -f "$WWW/meetings.html"
tramond_start "$CONF"
check "after a restart meetings.html shows the last check again" \
    wait_for 30 eval 'grep -q "asked for\|theo yêu cầu" "$WWW/meetings.html" 2>/dev/null'
check "and no check runs again" eval \
    '[ "$(grep -c "checking 5 site" "$TRAMOND_LOG")" = 0 ]'

check "tramond is still running" tramond_running
check "tramond stops cleanly" tramond_stop
summary
