#!/usr/bin/env bash
#
# Alerts that arrive, in the simulated district, through a real SMTP
# server (aiosmtpd: STARTTLS, AUTH, a test CA) and a real webhook:
#  - a commune cut off: a DOWN mail within down_after x interval + 10 s,
#    right when decoded (Vietnamese), and a webhook post; restored: UP
#    with how long it was down;
#  - a WAN cut: exactly one mail, naming the communes it cut off;
#  - the monitoring PC's own cable cut (every root target down), its mail
#    server and webhook out of reach: once it is back, one digest per
#    contact of what happened meanwhile, marked late, instead of a
#    DOWN/UP pair per target;
#  - the mail server down, an outage, tramond killed (SIGKILL) and
#    started again, the server back: every notification arrives, in
#    order, none twice;
#  - STARTTLS required against a server without TLS: refused, logged,
#    kept in the outbox, delivered once TLS is back;
#  - maintenance: no mail; still down at its end: said then, late;
#  - acknowledged: no reminder (another target gets its reminder);
#  - flapping: one notice, not a storm;
#  - in English after a reload with language = "en";
#  - tramonctl test-email goes the same way.
#
. "$top_srcdir/tests/lib.sh"
need_root
. "$top_srcdir/tests/mail/servers.sh"
mail_need_tools

INTERVAL=3
DOWN_AFTER=2
UP_AFTER=2
CONF=$TEST_TMP/tramon.conf
MX=$TEST_TMP/mx
HOOKS=$TEST_TMP/hooks
JOURNAL=$TEST_TMP/state/journal/$(TZ=Asia/Ho_Chi_Minh date +%Y-%m).jsonl
OUTBOX=$TEST_TMP/state/outbox

mkcert "$TEST_TMP/tls"
CERT=$TEST_TMP/tls/server.pem
KEY=$TEST_TMP/tls/server.key
printf 'mat-khau-2026\n' >"$TEST_TMP/smtp.pass"
chmod 600 "$TEST_TMP/smtp.pass"
TLS_MX=(--starttls "$CERT" "$KEY" --auth canhbao:mat-khau-2026)
smtpd mx "${TLS_MX[@]}"
MXPORT=${PORT[mx]}
webhookd hooks

# The district's targets, as the example configuration has them; two
# communes remind every minute.
district_targets() {
	"$PYTHON" - "$top_srcdir/conf/tramon.conf" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"^targets\s*=\s*\(.*?^\);", text, re.S | re.M)
if not m:
    sys.exit("no targets in " + sys.argv[1])
t = m.group(0)
for tid in ("tra-leng", "tra-tap"):
    t = t.replace('id = "%s";' % tid, 'id = "%s"; repeat_minutes = 1;' % tid)
print(t)
EOF
}

write_conf() {	# write_conf LANGUAGE
	{
		daemon_section "127.0.0.1:$HTTP" | sed \
		    -e "s|^  name .*|  name = \"Huyện Nam Trà My\"; language = \"$1\"; base_url = \"http://tramon.example/\";|" \
		    -e 's/web_refresh.*//'
		cat <<EOF
smtp = {
  url = "smtp://127.0.0.1:$MXPORT";
  starttls = "required";
  username = "canhbao";
  password_file = "$TEST_TMP/smtp.pass";
  from = "Giám sát mạng <canhbao@namtramy.gov.vn>";
  ca_file = "$TEST_TMP/tls/ca.pem";
  timeout = 10;
};
contacts = (
  { id = "it"; name = "Tổ CNTT"; email = [ "it1@namtramy.gov.vn", "it2@namtramy.gov.vn" ]; },
  { id = "chat"; webhook = "http://127.0.0.1:${PORT[hooks]}/hook"; }
);
defaults = { interval = $INTERVAL; count = 5; timeout = 1.0;
  down_after = $DOWN_AFTER; up_after = $UP_AFTER; notify = [ "it", "chat" ];
  ca_file = "$LAB_CA"; };
EOF
		district_targets || hard_error "cannot read the district's targets"
	} >"$CONF"
}
# (the lab first: its CA, which the web services' certificates are checked
# against, is made by lab.sh up)
lab_up
LAB_CA=$(lab ca)
HTTP=$(free_port)
write_conf vi
"$top_builddir/tramond" -n -c "$CONF" >/dev/null 2>&1 ||
    hard_error "the test configuration is not valid: $("$top_builddir/tramond" -n -c "$CONF" 2>&1)"

tramond_start "$CONF"

# --- reading the mail -------------------------------------------------------------

# mails DIR: every message DIR holds, decoded, as a JSON array in
# $TEST_TMP/mails.json: [{"n", "subject", "from", "to", "body", "id",
# "late", "rcpt", "tls", "auth"}], in arrival order.
mails() {
	"$PYTHON" - "$1" >"$TEST_TMP/mails.json" <<'EOF'
import email, email.policy, glob, json, os, sys
out = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "[0-9]*.eml"))):
    with open(path, "rb") as f:
        m = email.message_from_binary_file(f, policy=email.policy.default)
    env = {}
    try:
        with open(path[:-4] + ".json") as f:
            env = json.load(f)
    except OSError:
        pass
    part = m.get_body(preferencelist=("plain",))
    out.append({"n": os.path.basename(path)[:-4], "subject": str(m["subject"]),
                "from": str(m["from"]), "to": str(m["to"]),
                "body": part.get_content() if part else "",
                "id": str(m["message-id"]),
                "late": m["x-tramon-delivered-late"] is not None,
                "refs": str(m["in-reply-to"] or ""),
                "rcpt": env.get("rcpt_tos"), "tls": env.get("tls"),
                "auth": env.get("auth")})
json.dump(out, sys.stdout, ensure_ascii=False)
EOF
}

# mail_test EXPR: EXPR true of `m` (the mails of $MX, decoded), `new`
# (those after the mark about targets' states: Trà Linh's and Trà Cang's
# lossy links make them degraded now and then, and a cut takes the core
# switch's port down: those mails are in `other`)
MARK=0
mail_mark() { MARK=$(count "$MX" eml); }
mail_test() {
	mails "$MX" || return 1
	"$PYTHON" - "$TEST_TMP/mails.json" "$MARK" "$1" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
NOISE = ("CHẤT LƯỢNG KÉM", "ĐÃ BÌNH THƯỜNG", "CỔNG ", "DEGRADED:",
         "BACK TO NORMAL", "PORT ")
new = [x for x in m[int(sys.argv[2]):]
       if not any(k in x["subject"] for k in NOISE)]
other = [x for x in m[int(sys.argv[2]):] if x not in new]
def subj(s):
    return [x for x in new if s in x["subject"]]
sys.exit(0 if eval("(" + sys.argv[3] + "\n)") else 1)
EOF
}
mail_show() {
	mails "$MX" && "$PYTHON" - "$TEST_TMP/mails.json" "$MARK" <<'EOF'
import json, sys
for x in json.load(open(sys.argv[1], encoding="utf-8"))[int(sys.argv[2]):]:
    print("#   %s %s" % (x["n"], x["subject"]))
EOF
}

JMARK=0
journal_mark() { JMARK=$(wc -l <"$JOURNAL"); }
journal_has() {	# journal_has PYTHON-EXPR on e (one event after the mark)
	"$PYTHON" - "$JOURNAL" "$1" "$JMARK" <<'EOF'
import itertools, json, sys
for line in itertools.islice(open(sys.argv[1], encoding="utf-8"),
                             int(sys.argv[3]), None):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if eval(sys.argv[2]):
        sys.exit(0)
sys.exit(1)
EOF
}

status() { tramonctl -c "$CONF" status --json >"$TEST_TMP/st.json" 2>/dev/null; }
all_up() {
	status && json_test "$TEST_TMP/st.json" \
	    'all(x["state"] in ("up", "degraded") for x in d["targets"])'
}
is_state() {	# is_state ID STATE
	status && json_test "$TEST_TMP/st.json" "t(\"$1\")[\"state\"] == \"$2\""
}

check "the district comes up" wait_for 60 all_up
sleep $((INTERVAL + 1))
check "no mail for targets coming up" mail_test 'len(new) == 0'

# --- a commune goes dark, and comes back ------------------------------------------
mail_mark
t0=$(date +%s)
lab cut tra-nam
check "a DOWN mail within down_after x interval + 10 s" \
    wait_for $((DOWN_AFTER * INTERVAL + 10)) mail_test 'len(new) >= 1'
echo "# the DOWN mail came $(($(date +%s) - t0)) s after the cut"
mail_show
check "its subject, decoded" mail_test \
    'new[0]["subject"] == "[tramon] MẤT KẾT NỐI: Xã Trà Nam (198.18.2.18)"'
check "its body says what, where and why, with a link" mail_test '
    "Xã Trà Nam (198.18.2.18) mất kết nối." in new[0]["body"] and
    "Nhóm: Điểm cầu" in new[0]["body"] and
    "Kết nối qua: Bộ định tuyến WAN" in new[0]["body"] and
    "Chi tiết: http://tramon.example/t/tra-nam.html" in new[0]["body"]'
check "From and To as configured, to both addresses" mail_test '
    new[0]["from"] == "Giám sát mạng <canhbao@namtramy.gov.vn>" and
    sorted(new[0]["rcpt"]) == ["it1@namtramy.gov.vn", "it2@namtramy.gov.vn"]'
check "over STARTTLS, logged in" mail_test 'new[0]["tls"] and new[0]["auth"]'
hook_down() {
	"$PYTHON" - "$HOOKS" <<'EOF'
import glob, json, os, sys
for p in sorted(glob.glob(os.path.join(sys.argv[1], "[0-9]*.body"))):
    d = json.load(open(p, encoding="utf-8"))
    if d.get("event") == "down" and d.get("target") == "tra-nam" and \
       d.get("subject", "").startswith("[tramon] MẤT KẾT NỐI"):
        sys.exit(0)
sys.exit(1)
EOF
}
check "the webhook got the DOWN as JSON" wait_for 10 hook_down
lab restore tra-nam
check "an UP mail, with how long it was down" wait_for 30 mail_test '
    len(subj("ĐÃ KẾT NỐI LẠI: Xã Trà Nam (198.18.2.18) (sau ")) == 1 and
    "đã kết nối lại sau" in subj("ĐÃ KẾT NỐI LẠI")[0]["body"]'
check "it refers to the DOWN mail" mail_test '
    len(new) == 2 and new[0]["id"] != new[1]["id"] and
    new[1]["refs"] == new[0]["id"]'

# --- the WAN goes down: one mail --------------------------------------------------
check "all up again" wait_for 60 all_up
mail_mark
lab cut wan
check "one mail for the WAN cut" wait_for 60 mail_test \
    'len(subj("MẤT KẾT NỐI: Bộ định tuyến WAN (198.18.1.1)")) == 1'
sleep $((2 * INTERVAL + 2))
mail_show
check "... naming the 15 sites behind it, and no other mail" mail_test '
    len(new) == 1 and "và 15 điểm phía sau" in new[0]["subject"] and
    "Xã Trà Linh (198.18.2.17)" in new[0]["body"] and
    "Đường truyền Viettel" in new[0]["body"]'
check "the switch's port to the WAN router: a port mail" mail_test \
    'any("CỔNG MẤT KẾT NỐI: p-wan – Switch lõi UBND" in x["subject"] for x in other)'
lab restore wan
check "the WAN's UP mail" wait_for 60 mail_test \
    'len(subj("ĐÃ KẾT NỐI LẠI: Bộ định tuyến WAN")) == 1'
check "all up again" wait_for 60 all_up
sleep $((INTERVAL + 1))
check "no mail for the communes themselves" mail_test 'len(new) == 2'

# --- the monitoring PC's own cable is cut: one digest afterwards --------------------
# (its mail server and webhook are beyond the cut: they are stopped)
stop_server mx
stop_server hooks
mail_mark
journal_mark
lab noc down
check "every root target down: the cut is journaled" wait_for 60 journal_has \
    'e.get("event") == "way_out" and e.get("action") == "cut"'
check "the WAN router's DOWN is journaled" wait_for 30 journal_has \
    'e.get("event") == "notice" and e.get("kind") == "down" and e.get("target") == "wan"'
sleep $((2 * INTERVAL))
lab noc up
check "a root answers: reconnected" wait_for 60 journal_has \
    'e.get("event") == "way_out" and e.get("action") == "reconnected"'
smtpd mx "${TLS_MX[@]}" --port "$MXPORT"
webhookd hooks2 --port "${PORT[hooks]}"
check "the digest is made once the targets are checked again" wait_for 60 \
    journal_has 'e.get("event") == "way_out" and e.get("action") == "digest"'
check "one digest mail arrives" wait_for 60 mail_test \
    'len(subj("TỔNG HỢP, GỬI MUỘN")) == 1'
sleep $((INTERVAL + 1))
mail_show
check "... and no DOWN/UP mail of its own for any root" mail_test '
    len(new) == 1 and not any(k in x["subject"] for x in new
        for k in ("MẤT KẾT NỐI:", "ĐÃ KẾT NỐI LẠI:"))'
check "it is marked late, says when the monitor was cut off" mail_test '
    new[0]["late"] and "Máy giám sát bị mất đường ra mạng từ" in new[0]["body"]'
check "it lists each DOWN and UP with its time, in time order" mail_test '
    all(__import__("re").search(r"\n  \d\d/\d\d/\d{4} \d\d:\d\d:\d\d  " + k,
                                new[0]["body"]) for k in (
        "MẤT KẾT NỐI: Bộ định tuyến WAN \\(198.18.1.1\\) và 15 điểm phía sau",
        "MẤT KẾT NỐI: Huyện ủy – Hội nghị truyền hình",
        "ĐÃ KẾT NỐI LẠI: Bộ định tuyến WAN",
        "ĐÃ KẾT NỐI LẠI: Huyện ủy – Hội nghị truyền hình")) and
    (lambda t: t == sorted(t))([(y, m, d, h) for d, m, y, h in
        __import__("re").findall(r"\n  (\d\d)/(\d\d)/(\d{4}) (\d\d:\d\d:\d\d)  ",
                                 new[0]["body"])])'
hook_digest() {
	"$PYTHON" - "$TEST_TMP/hooks2" <<'EOF'
import glob, json, os, sys
posts = [json.load(open(p, encoding="utf-8"))
         for p in sorted(glob.glob(os.path.join(sys.argv[1], "[0-9]*.body")))]
digests = [d for d in posts if d.get("event") == "digest"]
kinds = [e.get("event") for d in digests for e in d.get("events", [])]
sys.exit(0 if len(digests) == 1 and digests[0].get("late") is True and
         kinds.count("down") >= 4 and kinds.count("up") >= 4 and
         not any(d.get("event") in ("down", "up") for d in posts) else 1)
EOF
}
check "the webhook got one digest with the events inside" wait_for 30 hook_digest
check "the folded notifications are journaled" journal_has \
    'e.get("event") == "notify_folded" and e.get("target") == "wan"'
check "the events page shows the monitor cut off and back" wait_for 20 eval \
    'grep -q "Máy giám sát mất đường ra mạng" "$TEST_TMP/www/events.html" &&
     grep -q "Máy giám sát đã kết nối lại" "$TEST_TMP/www/events.html"'
check "all up again" wait_for 60 all_up

# --- the mail server is down; tramond is killed and restarted ------------------------
stop_server mx
mail_mark
lab cut tra-mai
check "tra-mai's DOWN is journaled and waits in the outbox" wait_for 30 \
    journal_has 'e.get("event") == "notice" and e.get("kind") == "down" and e.get("target") == "tra-mai"'
check "the outbox holds it" wait_for 10 \
    eval 'ls "$OUTBOX"/*.json >/dev/null 2>&1'
kill -KILL "$TRAMOND_PID"
wait "$TRAMOND_PID" 2>/dev/null
TRAMOND_PID=
lab restore tra-mai
tramond_start "$CONF"
check "after the restart tra-mai is up again" wait_for 60 is_state tra-mai up
check "its UP is journaled" wait_for 30 journal_has \
    'e.get("event") == "notice" and e.get("kind") == "up" and e.get("target") == "tra-mai"'
smtpd mx "${TLS_MX[@]}" --port "$MXPORT"
tramonctl -c "$CONF" reload >/dev/null	# retries the outbox now
check "both arrive once the server is back" wait_for 60 mail_test 'len(new) >= 2'
sleep 3
mail_show
check "in order, none twice" mail_test '
    len(new) == 2 and "MẤT KẾT NỐI: Xã Trà Mai" in new[0]["subject"] and
    "ĐÃ KẾT NỐI LẠI: Xã Trà Mai" in new[1]["subject"] and
    new[0]["id"] != new[1]["id"]'
check "the outbox is empty" wait_for 10 \
    eval '! ls "$OUTBOX"/*.json >/dev/null 2>&1'

# --- STARTTLS required, the server has none -------------------------------------------
stop_server mx
smtpd plain --port "$MXPORT"
mail_mark
lab cut tra-don
check "STARTTLS refused: logged" wait_for 40 \
    grep -q "STARTTLS required but the server does not offer it" "$TRAMOND_LOG"
check "nothing went in clear" [ "$(count "$TEST_TMP/plain" eml)" = 0 ]
check "the notification stays in the outbox" \
    eval 'ls "$OUTBOX"/*.json >/dev/null 2>&1'
stop_server plain
smtpd mx "${TLS_MX[@]}" --port "$MXPORT"
tramonctl -c "$CONF" reload >/dev/null
check "delivered once TLS is back" wait_for 60 mail_test \
    'len(subj("MẤT KẾT NỐI: Xã Trà Don")) == 1'
lab restore tra-don

# --- maintenance --------------------------------------------------------------------------
check "all up again" wait_for 60 all_up
sleep $((INTERVAL + 1))
mail_mark
check "tramonctl maintenance add" tramonctl -c "$CONF" maintenance add \
    tra-van 10m "thay thiết bị"
lab cut tra-van
check "tra-van goes down" wait_for 30 is_state tra-van down
sleep $((INTERVAL + 2))
check "no mail inside the maintenance" mail_test 'len(new) == 0'
check "maintenance list shows it" eval \
    'tramonctl -c "$CONF" maintenance list | grep -q "tra-van.*thay thiết bị"'
check "tramonctl maintenance end" tramonctl -c "$CONF" maintenance end tra-van
check "still down at the end: said then, marked late" wait_for 30 mail_test '
    len(subj("MẤT KẾT NỐI: Xã Trà Vân")) == 1 and
    subj("MẤT KẾT NỐI: Xã Trà Vân")[0]["late"] and
    "Thông báo này gửi muộn" in subj("MẤT KẾT NỐI: Xã Trà Vân")[0]["body"]'
check "start and end journaled" journal_has \
    'e.get("event") == "maintenance" and e.get("action") == "end" and e.get("target") == "tra-van"'
lab restore tra-van

# --- acknowledged: no reminder; and a flapping commune -------------------------------------
check "all up again" wait_for 60 all_up
sleep $((INTERVAL + 1))
mail_mark
lab cut tra-leng
lab cut tra-tap
check "both go down" wait_for 30 eval 'is_state tra-leng down && is_state tra-tap down'
check "tramonctl ack" tramonctl -c "$CONF" ack tra-leng "đã báo VNPT"
t_ack=$(date +%s)
# meanwhile, Trà Vinh goes down and up again and again
for i in 1 2 3 4; do
	lab cut tra-vinh
	wait_for 30 is_state tra-vinh down
	lab restore tra-vinh
	wait_for 30 is_state tra-vinh up
done
check "one FLAPPING mail for tra-vinh" wait_for 20 mail_test \
    'len(subj("CHẬP CHỜN: Xã Trà Vinh")) == 1'
check "and nothing for it after that" mail_test '
    [x["subject"] for x in new if "Trà Vinh" in x["subject"]][-1].find("CHẬP CHỜN") >= 0'
left=$((t_ack + 75 - $(date +%s)))
[ "$left" -le 0 ] || sleep "$left"
mail_show
check "tra-tap was reminded, tra-leng (acknowledged) was not" mail_test '
    len(subj("NHẮC LẠI – VẪN MẤT KẾT NỐI: Xã Trà Tập")) >= 1 and
    len(subj("NHẮC LẠI – VẪN MẤT KẾT NỐI: Xã Trà Leng")) == 0'
check "the ack is journaled" journal_has \
    'e.get("event") == "ack" and e.get("target") == "tra-leng"'
lab restore tra-leng
lab restore tra-tap

# --- in English ---------------------------------------------------------------------------
check "all up again" wait_for 60 all_up
write_conf en
tramonctl -c "$CONF" reload >/dev/null
mail_mark
lab cut tra-cang
check "an English DOWN mail" wait_for 30 mail_test '
    len(new) >= 1 and new[-1]["subject"] == "[tramon] DOWN: Xã Trà Cang (198.18.2.16)" and
    "Xã Trà Cang (198.18.2.16) is down." in new[-1]["body"] and
    "Reached through: Bộ định tuyến WAN" in new[-1]["body"]'
lab restore tra-cang
mail_mark
check "tramonctl test-email" tramonctl -c "$CONF" test-email it
check "the test mail arrives the same way" wait_for 30 mail_test '
    len(subj("[tramon] TEST: Huyện Nam Trà My")) == 1 and
    subj("TEST:")[0]["tls"] and subj("TEST:")[0]["auth"]'

check "tramond is still running" tramond_running
check "tramond stops cleanly" tramond_stop
summary
