#!/usr/bin/env bash
#
# Power cuts, as far as a test can make them: tramond killed with SIGKILL
# at random moments, again and again, while it is busy, and started
# again each time (issue 9, "Crash and power-loss safety").  Loopback
# only (127.0.0.0/8) and a real SMTP server (aiosmtpd) on 127.0.0.1.
#
# ~30 targets, rounds every second: 20 pings of 127.0.0.x that always
# answer, 3 tcp targets on a port that always listens, 5 on a port whose
# listener this test starts and stops (DOWN, UP, then a flapping notice),
# 2 on a port nobody listens on (one DOWN, ever).  Every notice is mailed
# to one contact; pages render every 5 s and after every change; now and
# then `tramonctl report --publish --no-mail` builds this month's report
# just before a kill.  After at least 50 kills tramond runs once more,
# delivers what is left and stops cleanly; then:
#
#  - every RRD file: `rrdtool info` and `rrdtool fetch` succeed;
#  - every journal line parses, except a torn line that is the last of
#    its file or that the next start sealed (followed by a "start");
#  - state.json, every outbox file, every page and report is whole;
#    outbox/bad/ and outbox/failed/ are empty;
#  - no notice lost: each journaled notice has its mail, in the server's
#    maildir or still in the outbox (compared per target, by Message-ID),
#    or its line in a digest (storms are on, as by default; a life
#    between two kills is mostly too short for one: the counting is in
#    memory, so a restart begins afresh);
#    no mail twice beyond the documented case (accepted just before a
#    kill): extra copies <= kills;
#  - states resume: each target's state changes chain (a change's "from"
#    is the previous change's "to", across every restart; "unknown" only
#    at the very first); targets that never failed never had a DOWN or
#    any change away from up; the closed port's targets were notified
#    DOWN exactly once in all;
#  - tramond was running at every kill (it never died on its own), its
#    final exit is 0, and its logs have no sanitizer report.
#
# Prints the figures (kills, torn lines, duplicates, time to be up again,
# run time) as "# " lines.  TRAMON_CRASH_KILLS (default 60) and
# TRAMON_CRASH_SECONDS (default 170, the storm's limit) tune it.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd rrdtool
. "$top_srcdir/tests/mail/servers.sh"
mail_need_tools

T0=$(date +%s)
KILLS=${TRAMON_CRASH_KILLS:-60}
STORM_S=${TRAMON_CRASH_SECONDS:-170}
CONF=$TEST_TMP/tramon.conf
STATE=$TEST_TMP/state
WWW=$TEST_TMP/www
MX=$TEST_TMP/mx
ALL_LOG=$TEST_TMP/all.log
: >"$ALL_LOG"
STABLE_PORT=$(free_port)
FLIP_PORT=$(free_port)
CLOSED_PORT=$(free_port)
while [ "$FLIP_PORT" = "$STABLE_PORT" ]; do FLIP_PORT=$(free_port); done
while [ "$CLOSED_PORT" = "$STABLE_PORT" ] ||
    [ "$CLOSED_PORT" = "$FLIP_PORT" ]; do
	CLOSED_PORT=$(free_port)
done

crash_cleanup() {
	local rc=$?

	listen_stop_all
	(exit "$rc")
	mail_cleanup
}
trap crash_cleanup EXIT

smtpd mx
listen_on "$STABLE_PORT"
STORM_AFTER=5		# the default: storms and their digests under SIGKILL

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
reports = { monthly = true; time = "00:00"; send_to = [ "it" ];
  formats = [ "html", "csv", "pdf" ]; };
targets = (
EOF
	for i in $(seq 2 21); do
		echo "  { id = \"lo$i\"; name = \"Xã $i\"; group = \"Xã\";"
		echo "    type = \"ping\"; host = \"127.0.0.$i\"; },"
	done
	for i in 1 2 3; do
		echo "  { id = \"tcp-up$i\"; type = \"tcp\"; host = \"127.0.0.1\";"
		echo "    port = $STABLE_PORT; count = 1; },"
	done
	for i in 1 2 3 4 5; do
		echo "  { id = \"tcp-flip$i\"; type = \"tcp\";"
		echo "    host = \"127.0.0.1\"; port = $FLIP_PORT; count = 1; },"
	done
	echo "  { id = \"tcp-closed1\"; type = \"tcp\"; host = \"127.0.0.1\";"
	echo "    port = $CLOSED_PORT; count = 1; },"
	echo "  { id = \"tcp-closed2\"; type = \"tcp\"; host = \"127.0.0.1\";"
	echo "    port = $CLOSED_PORT; count = 1; }"
	echo ");"
} >"$CONF"
check "tramond -n accepts the configuration" \
    "$top_builddir/tramond" -n -c "$CONF"
STABLE="lo2 lo3 lo4 lo5 lo6 lo7 lo8 lo9 lo10 lo11 lo12 lo13 lo14 lo15 lo16
lo17 lo18 lo19 lo20 lo21 tcp-up1 tcp-up2 tcp-up3"
THIS=$(date +%Y-%m)

ctl_up() { tramonctl -c "$CONF" status >/dev/null 2>&1; }

# Start tramond, keeping every run's log in $ALL_LOG.
start() {
	tramond_start "$CONF"
}

# SIGKILL, no questions; count it only if tramond was still running.
died=0
crash() {
	local pid=$TRAMOND_PID

	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
	else
		died=$((died + 1))
		echo "# tramond was not running at kill $kills" >&2
	fi
	wait "$pid" 2>/dev/null || true
	TRAMOND_PID=
	cat "$TRAMOND_LOG" >>"$ALL_LOG"
	echo "--- killed" >>"$ALL_LOG"
}

# --- the storm -------------------------------------------------------------------

kills=0 publishes=0 flips=0 flip_open=0
storm_end=$(($(date +%s) + STORM_S))
while [ $kills -lt "$KILLS" ] && [ "$(date +%s)" -lt $storm_end ]; do
	start
	# the flipping port changes every 6th start
	if [ $((kills % 6)) = 5 ]; then
		if [ $flip_open = 1 ]; then
			listen_stop "$FLIP_PORT"
			flip_open=0
		else
			listen_on "$FLIP_PORT"
			flip_open=1
		fi
		flips=$((flips + 1))
	fi
	# every 8th: a report being built when the kill comes
	if [ $((kills % 8)) = 3 ] && wait_for 20 ctl_up; then
		tramonctl -c "$CONF" report --publish --month "$THIS" \
		    --no-mail >/dev/null 2>&1 && publishes=$((publishes + 1))
	fi
	# 0.2 to 3 s after the start (or the publish)
	sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.3f", 0.2 + r % 2801 / 1000 }')"
	crash
	kills=$((kills + 1))
done
STORM_T=$(($(date +%s) - T0))
echo "# $kills kills in $STORM_T s ($flips flips of port $FLIP_PORT," \
    "$publishes reports published)"
check "at least 50 kills (of $KILLS) within $STORM_S s" test $kills -ge 50
check "tramond was running at every kill" test $died -eq 0

# --- once more, to the end -------------------------------------------------------

# the flipping port open: every target but the closed ones answers
[ $flip_open = 1 ] || listen_on "$FLIP_PORT"
LAST_START=$(date +%s)
start
up_all() {
	json_test "$WWW/status.json" "(all(x['state'] == 'up' for x in
	    d['targets'] if not x['id'].startswith('tcp-closed')) and
	    all(t('tcp-closed%d' % i)['state'] == 'down' for i in (1, 2)) and
	    __import__('datetime').datetime.fromisoformat(d['generated'])
	    .timestamp() >= $LAST_START)"
}
check "after the last start: every target up again, the closed ones down" \
    wait_for 90 up_all
echo "# up again $(($(date +%s) - LAST_START)) s after the last start"
outbox_empty() {
	[ -z "$(find "$STATE/outbox" -maxdepth 1 -name '*.json' 2>/dev/null)" ]
}
check "the outbox drains" wait_for 90 outbox_empty
sleep 3
rc=0
tramond_stop || rc=$?
cat "$TRAMOND_LOG" >>"$ALL_LOG"
check "tramond stops cleanly (exit 0)" test "$rc" -eq 0

# --- the files ---------------------------------------------------------------------

rrd_ok=0 rrd_bad=0
for f in "$STATE"/rrd/*.rrd; do
	if rrdtool info "$f" >/dev/null 2>&1 &&
	    rrdtool fetch "$f" AVERAGE -s -600 >/dev/null 2>&1; then
		rrd_ok=$((rrd_ok + 1))
	else
		rrd_bad=$((rrd_bad + 1))
		echo "# bad RRD: $f" >&2
	fi
done
echo "# RRD files: $rrd_ok readable, $rrd_bad not"
check "every RRD file readable (30 of them)" \
    test "$rrd_ok" -eq 30 -a "$rrd_bad" -eq 0

check "journal, state, outbox, pages, notices, states" \
    "$PYTHON" - "$STATE" "$WWW" "$MX" "$kills" "$LAST_START" \
    "$STABLE" <<'EOF'
import email, glob, json, os, re, sys
from email import policy
from collections import Counter, defaultdict

state, www, mx, kills, last_start = sys.argv[1:6]
kills, last_start = int(kills), int(last_start)
stable = set(sys.argv[6].split())
problems = []
def bad(msg):
    problems.append(msg)

# the journal: every line parses but a torn last one, or a torn one the
# next start sealed (the line after it is that start)
events, torn_end, torn_sealed = [], 0, 0
for path in sorted(glob.glob(state + "/journal/*.jsonl")):
    lines = open(path, "rb").read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    else:
        torn_end += 1 if lines else 0
        lines = lines[:-1]
    for n, raw in enumerate(lines):
        try:
            ev = json.loads(raw.decode("utf-8"))
            if not isinstance(ev, dict):
                raise ValueError("not an object")
            events.append(ev)
        except ValueError as e:
            nxt = lines[n + 1] if n + 1 < len(lines) else b""
            if b'"event":"start"' in nxt:
                torn_sealed += 1
            else:
                bad("%s:%d: a torn line in the middle: %r" %
                    (path, n + 1, raw[:120]))
print("# journal: %d lines, %d torn at an end, %d torn and sealed" %
      (len(events), torn_end, torn_sealed))
if torn_end + torn_sealed > kills:
    bad("more torn lines than kills")
starts = sum(1 for e in events if e.get("event") == "start")
print("# journal: %d starts, %d stops" %
      (starts, sum(1 for e in events if e.get("event") == "stop")))

# state.json, the outbox, the pages and reports: whole
try:
    json.load(open(state + "/state.json", encoding="utf-8"))
except (OSError, ValueError) as e:
    bad("state.json: %s" % e)
pending = []
for path in glob.glob(state + "/outbox/*.json"):
    try:
        item = json.load(open(path, encoding="utf-8"))
        item["file"] = os.path.basename(path)
        pending.append(item)
    except ValueError as e:
        bad("%s: %s" % (path, e))
for sub in ("bad", "failed"):
    left = os.listdir(state + "/outbox/" + sub) \
        if os.path.isdir(state + "/outbox/" + sub) else []
    if left:
        bad("outbox/%s/ holds %s" % (sub, left))
pages = glob.glob(www + "/*.html") + glob.glob(www + "/t/*.html") + \
    glob.glob(www + "/reports/*.html")
for path in pages:
    text = open(path, encoding="utf-8", errors="replace").read()
    if not text.rstrip().endswith("</html>"):
        bad("%s: not a whole page" % path)
for path in glob.glob(www + "/reports/*.pdf"):
    if b"%%EOF" not in open(path, "rb").read()[-64:]:
        bad("%s: not a whole PDF" % path)
try:
    json.load(open(www + "/status.json", encoding="utf-8"))
except (OSError, ValueError) as e:
    bad("status.json: %s" % e)
print("# %d pages, %d reports whole" %
      (len(pages), len(glob.glob(www + "/reports/*.*"))))
leftovers = [p for p in glob.glob(state + "/**", recursive=True) +
             glob.glob(www + "/**", recursive=True)
             if re.search(r"\.tmp|\.new$|\.rrd\w{6}$", os.path.basename(p))]
print("# temporary files left behind by the kills: %d" % len(leftovers))

# notices: per target, the mails they made (Message-IDs carry the target)
def msgid_target(mid):
    m = re.match(r"<?\d{8}T\d{6}\.\d+\.([^@]+)@", mid or "")
    return re.sub(r"-down-it$", "", m.group(1)) if m else None
# a storm's (or a cut's) digest lists its notices, one line each:
# "  26/11/2026 20:34:25  MẤT KẾT NỐI: Xã 2 (127.0.0.2)"; one still in
# the outbox keeps them with their targets ("lines")
def line_target(text):
    m = re.search(r": (tcp-[a-z]+\d+|Xã \d+) \(", text)
    if not m:
        return None
    return re.sub(r"^Xã ", "lo", m.group(1))
notices = Counter(e["target"] for e in events if e.get("event") == "notice")
delivered = Counter()
seen = defaultdict(set)
digests = 0
for path in sorted(glob.glob(mx + "/[0-9]*.eml")):
    msg = email.message_from_binary_file(open(path, "rb"),
                                         policy=policy.default)
    mid = str(msg["Message-ID"]).strip()
    delivered[mid] += 1
    if "TỔNG HỢP" in str(msg["Subject"]):
        digests += 1
        body = msg.get_body(("plain",)).get_content().splitlines()
        for k, line in enumerate(body):
            m = re.match(r"  \d\d/\d\d/\d{4} \d\d:\d\d:\d\d  (.*)", line)
            if m and line_target(m.group(1)):
                seen[line_target(m.group(1))].add((mid, k))
        continue
    t = msgid_target(mid)
    if t and "Báo cáo" not in str(msg["Subject"]):
        seen[t].add(mid)
for item in pending:
    if item.get("kind") == "digest":
        for k, line in enumerate(item["payload"].get("lines", [])):
            seen[line.get("target")].add((item["file"], k))
        continue
    m = re.search(r"Message-ID: (<[^>]+>)", json.dumps(item["payload"]))
    if m and item.get("target"):
        seen[item["target"]].add(m.group(1))
extra = sum(n - 1 for n in delivered.values() if n > 1)
dups = sum(1 for n in delivered.values() if n > 1)
print("# notices journaled: %d; mails received: %d, %d distinct, %d of "
      "them digests; %d sent twice or more (%d extra copies); %d still "
      "in the outbox" %
      (sum(notices.values()), sum(delivered.values()), len(delivered),
       digests, dups, extra, len(pending)))
for t in sorted(set(notices) | set(seen)):
    if len(seen[t]) != notices[t]:
        bad("%s: %d notices journaled, %d distinct mails made" %
            (t, notices[t], len(seen[t])))
if extra > kills:
    bad("%d extra copies for %d kills" % (extra, kills))
kinds = Counter((e["target"], e["kind"]) for e in events
                if e.get("event") == "notice")
print("# notices: %s" % ", ".join("%s %s x%d" % (t, k, n)
      for (t, k), n in sorted(kinds.items()) if not t.startswith("lo")))

# states resume: each target's changes chain across the restarts
last = {}
for e in events:
    if e.get("event") != "state":
        continue
    t = e["target"]
    if t in last and e["from"] != last[t]:
        bad("%s: a change from %s after %s (at %s)" %
            (t, e["from"], last[t], e["time"]))
    if t in last and e["from"] == "unknown":
        bad("%s: unknown again at %s" % (t, e["time"]))
    if t in stable and t in last:
        bad("%s never failed but changed %s -> %s at %s" %
            (t, e["from"], e["to"], e["time"]))
    last[t] = e["to"]
for t in stable:
    if last.get(t) != "up":
        bad("%s: last state %s" % (t, last.get(t)))
    if kinds[(t, "down")]:
        bad("%s never failed but was notified down" % t)
for t in ("tcp-closed1", "tcp-closed2"):
    if kinds[(t, "down")] != 1:
        bad("%s: notified down %d times" % (t, kinds[(t, "down")]))
after = [e for e in events if e.get("ts", 0) >= last_start and
         e.get("event") in ("state", "notice") and
         not e["target"].startswith("tcp-flip")]
for e in after:
    bad("after the last start: %s" % json.dumps(e, ensure_ascii=False))

for p in problems:
    print("# " + p)
sys.exit(1 if problems else 0)
EOF

check "no sanitizer report in tramond's logs" \
    bash -c "! grep -E 'Sanitizer|runtime error:' '$ALL_LOG'"
echo "# run time $(($(date +%s) - T0)) s"
summary
