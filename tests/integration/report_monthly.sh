#!/usr/bin/env bash
#
# The monthly report as tramond makes it (daemon/report_job.c), against a
# real SMTP server (aiosmtpd) on 127.0.0.1:
#
#  1. A journal for last month (written here as tramond writes it: a
#     start, Xã Trà Linh up, down 10:00:00-10:30:00 on the 10th, a stop
#     on the 20th) and reports.time = "00:00": at its start tramond finds
#     last month's report missed, builds it into web_dir/reports/
#     (HTML, CSV, PDF), lists it on reports/index.html, journals it,
#     writes state_dir/report.last, and mails it: the summary in the body
#     (the commune below the SLA), the PDF and CSV attached, byte for
#     byte the published files; pdftotext finds the commune and the
#     30-minute outage in the attached PDF.
#  2. Started again: nothing is built or mailed twice.
#  3. `tramonctl report --publish --month THIS --no-mail`: this month so
#     far is published, listed beside the other, not mailed.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd pdftotext
. "$top_srcdir/tests/mail/servers.sh"
mail_need_tools

TZNAME=Asia/Ho_Chi_Minh
smtpd mx
MX=$TEST_TMP/mx
STATE=$TEST_TMP/state
WWW=$TEST_TMP/www

# Last month and this month in the district's time zone.
read -r LAST THIS < <("$PYTHON" - "$TZNAME" <<'EOF'
import datetime, sys, zoneinfo
now = datetime.datetime.now(zoneinfo.ZoneInfo(sys.argv[1]))
first = now.replace(day=1)
prev = (first - datetime.timedelta(days=1)).replace(day=1)
print(prev.strftime("%Y-%m"), now.strftime("%Y-%m"))
EOF
)

# The journal of last month, as journal_append() writes its lines.
mkdir -p "$STATE/journal"
"$PYTHON" - "$TZNAME" "$LAST" "$STATE/journal/$LAST.jsonl" <<'EOF'
import datetime, json, sys, zoneinfo
tz = zoneinfo.ZoneInfo(sys.argv[1])
y, m = map(int, sys.argv[2].split("-"))
def at(d, h, mi=0, s=0):
    return datetime.datetime(y, m, d, h, mi, s, tzinfo=tz)
def line(t, **ev):
    doc = {"time": t.isoformat(), "ts": int(t.timestamp())}
    doc.update(ev)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
def state(t, frm, to, since):
    return line(t, event="state", target="tra-linh", **{"from": frm},
                to=to, streak_since=since.isoformat())
lines = [
    line(at(2, 8), event="start", version="test", targets=1, restored=0),
    state(at(2, 8, 0, 5), "unknown", "up", at(2, 8, 0, 5)),
    state(at(10, 10, 1), "up", "down", at(10, 10)),
    state(at(10, 10, 31), "down", "up", at(10, 10, 30)),
    line(at(20, 12), event="stop"),
]
with open(sys.argv[3], "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
EOF

make_conf "$TEST_TMP/tramon.conf" <<EOF
$(daemon_section | sed 's/^  log_level .*/  log_level = "info";/')
daemon.timezone = "$TZNAME";
smtp = {
  url = "smtp://127.0.0.1:${PORT[mx]}";
  starttls = "none";
  from = "Giám sát mạng <canhbao@namtramy.gov.vn>";
  timeout = 10;
};
contacts = ( { id = "it"; name = "Tổ CNTT"; email = [ "it1@namtramy.gov.vn" ]; } );
targets = ( { id = "tra-linh"; name = "Xã Trà Linh"; group = "Điểm cầu";
  type = "ping"; host = "127.0.0.1"; interval = 10; count = 2; } );
reports = { monthly = true; time = "00:00"; send_to = [ "it" ];
  formats = [ "html", "csv", "pdf" ]; sla_pct = 99.9; };
EOF
# daemon_section has no timezone key: put it into the daemon group
sed -i -e '/^daemon.timezone/d' \
    -e "s|^  name        = |  timezone = \"$TZNAME\";\n  name        = |" \
    "$TEST_TMP/tramon.conf"

tramond_start "$TEST_TMP/tramon.conf"

# --- 1. built at the start, published, mailed -----------------------------------

mails() { count "$MX" eml; }
mailed() { [ "$(mails)" -ge 1 ]; }
check "last month's report mailed" wait_for 90 mailed
for ext in html csv pdf; do
	check "reports/$LAST.$ext published" test -s "$WWW/reports/$LAST.$ext"
done
check "state_dir/report.last says $LAST" \
    grep -qx "$LAST" "$STATE/report.last"
check "the journal has the report" grep -q \
    "\"event\":\"report\",\"month\":\"$LAST\"" "$STATE/journal/$THIS.jsonl"
check "the reports index lists it" wait_for 30 grep -q \
    "href=\"$LAST.pdf\"" "$WWW/reports/index.html"
check "the overview links to the reports" \
    grep -q 'href="reports/index.html"' "$WWW/index.html"

MAIL=$(ls "$MX"/[0-9]*.eml | head -n 1)
check "the mail: subject, summary, PDF and CSV attached as published" \
    "$PYTHON" - "$MAIL" "$WWW/reports" "$LAST" "$TEST_TMP" <<'EOF'
import sys
from email import policy
from email.parser import BytesParser
path, reports, month, tmp = sys.argv[1:5]
msg = BytesParser(policy=policy.default).parse(open(path, "rb"))
problems = []
y, m = month.split("-")
subject = str(msg["Subject"])
if "Báo cáo tháng %s/%s" % (m, y) not in subject:
    problems.append("subject %r" % subject)
if msg.get_content_type() != "multipart/mixed":
    problems.append("type %s" % msg.get_content_type())
body = msg.get_body(("plain",)).get_content()
for want in ("Xã Trà Linh", "Dưới mức cam kết 99,90%", "Điểm cầu"):
    if want not in body:
        problems.append("body lacks %r" % want)
names = []
for part in msg.iter_attachments():
    name = part.get_filename()
    names.append(name)
    data = part.get_payload(decode=True)
    if open("%s/%s" % (reports, name), "rb").read() != data:
        problems.append("%s differs from the published file" % name)
    if name.endswith(".pdf"):
        open(tmp + "/mailed.pdf", "wb").write(data)
if sorted(names) != sorted([month + ".pdf", month + ".csv"]):
    problems.append("attachments %r" % names)
for p in problems:
    print("# " + p)
sys.exit(1 if problems else 0)
EOF
pdftotext -layout "$TEST_TMP/mailed.pdf" "$TEST_TMP/mailed.txt" 2>/dev/null
check "the PDF names the commune" grep -q "Xã Trà Linh" "$TEST_TMP/mailed.txt"
check "the PDF has the 30-minute outage" grep -q "0:30:00" "$TEST_TMP/mailed.txt"
check "the CSV has it to the second" grep -q "tra-linh.*,1800," \
    "$WWW/reports/$LAST.csv"

# --- 2. started again: not twice -------------------------------------------------

tramond_stop
tramond_start "$TEST_TMP/tramon.conf"
up_again() { tramonctl -c "$TEST_TMP/tramon.conf" status >/dev/null 2>&1; }
check "tramond up again" wait_for 30 up_again
sleep 12	# the first check is 5 s after the start
check "no second mail" test "$(mails)" -eq 1
check "no second report event" test "$(grep -c "\"event\":\"report\"" \
    "$STATE/journal/$THIS.jsonl")" -eq 1

# --- 3. published by hand, this month so far --------------------------------------

check "tramonctl report --publish" tramonctl -c "$TEST_TMP/tramon.conf" \
    report --publish --month "$THIS" --no-mail
check "this month published" wait_for 60 test -s "$WWW/reports/$THIS.pdf"
check "the index lists both months" wait_for 30 grep -q \
    "href=\"$THIS.html\"" "$WWW/reports/index.html"
check "every link of the index resolves" "$PYTHON" - \
    "$WWW/reports/index.html" <<'EOF'
import os, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
base = os.path.dirname(sys.argv[1])
bad = [h for h in re.findall(r'href="([^"#]+)"', page)
       if not h.startswith("data:") and not os.path.exists(os.path.normpath(os.path.join(base, h)))]
for h in bad:
    print("# broken: " + h)
sys.exit(1 if bad else 0)
EOF
sleep 3
check "published by hand: not mailed" test "$(mails)" -eq 1
check "report.last unchanged" grep -qx "$LAST" "$STATE/report.last"

tramond_stop || fail "tramond exited with an error"
summary
