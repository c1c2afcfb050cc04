#!/usr/bin/env bash
#
# A stop in the middle of a long render (issue 8).  300 ping targets on
# 127.0.x.y (loopback: every one answers), web_refresh = 1 day, so a
# render may draw target graphs for its whole 2-minute ceiling.
#
#  1. A first run creates the 300 RRD files and the pages, and stops.
#  2. The graphs are removed: the second run's first render has some
#     3,300 graphs to draw (about half a minute).  A few hundred in, it
#     gets SIGTERM: tramond exits within seconds, with status 0, says the
#     render was stopped; the graphs were not all drawn; no temporary
#     file is left in web_dir; every PNG is whole; the pages are those of
#     the first run, whole (the render never got to them); the rrdtool
#     child is gone.
#  3. report.last says a year ago: at its start tramond builds twelve
#     months of reports (300 RRD files read for each).  SIGTERM once it
#     has begun: tramond exits within seconds, says the report was not
#     finished, and report.last has not moved to last month (the rest is
#     built at the next start).
#
. "$top_srcdir/tests/lib.sh"
need_root

N=300
CONF=$TEST_TMP/tramon.conf
WEB=$TEST_TMP/www
STATE=$TEST_TMP/state
STOP_LIMIT=15			# seconds; well under one is expected
SLOW=180			# seconds to create the files, to start drawing
if [ "${TRAMON_VALGRIND:-0}" = 1 ]; then
	STOP_LIMIT=40
	SLOW=600
fi

targets() {
	local i

	for ((i = 0; i < N; i++)); do
		printf '  { id = "t%03d"; name = "Điểm %03d"; type = "ping";' \
		    "$i" "$i"
		printf ' host = "127.0.%d.%d"; }%s\n' $((1 + i / 250)) \
		    $((1 + i % 250)) "$([ $i -lt $((N - 1)) ] && echo ,)"
	done
}

# write_conf [REPORTS_SECTION]
write_conf() {
	make_conf "$CONF" <<EOF
$(daemon_section "" | sed '$d')
  web_refresh = 86400;
};
defaults = { interval = 30; count = 1; timeout = 1; down_after = 2;
  up_after = 1; };
targets = (
$(targets)
);
${1:-}
EOF
}
write_conf
check "tramond -n accepts $N targets" "$top_builddir/tramond" -n -c "$CONF"

count() {
	find "$1" -name "$2" -type f 2>/dev/null | wc -l
}

rrds_ready() {
	[ "$(count "$STATE/rrd" '*.rrd')" -ge "$N" ] && [ -s "$WEB/index.html" ]
}

pngs_at_least() {
	[ "$(count "$WEB/g" '*.png')" -ge "$1" ]
}

# --- 1. the RRD files and the pages

tramond_start "$CONF"
wait_for $SLOW rrds_ready || hard_error "no $N RRD files after $SLOW s"
rc=0
tramond_stop || rc=$?
check "first run: exit status 0 (got $rc)" [ "$rc" = 0 ]

# --- 2. SIGTERM in the middle of a long render

rm -rf "$WEB/g"
sha_index=$(sha256sum <"$WEB/index.html")
sha_status=$(sha256sum <"$WEB/status.json")
tramond_start "$CONF"
check "graphs are being drawn" wait_for $SLOW pngs_at_least 200
# the render's rrdtool child (a child of tramond, or of valgrind's)
RRDTOOL_PID=$(pgrep -P "$TRAMOND_PID" -x rrdtool | head -n 1)
t0=$(date +%s%N)
rc=0
tramond_stop || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
drawn=$(count "$WEB/g" '*.png')
echo "# SIGTERM to exit: $ms ms; $drawn graphs drawn"

check "exit status 0 (got $rc)" [ "$rc" = 0 ]
check "exited within $STOP_LIMIT s of SIGTERM ($ms ms)" \
    [ "$ms" -lt $((STOP_LIMIT * 1000)) ]
check "stopped in the middle: $drawn of some 3,300 graphs" \
    [ "$drawn" -lt 3000 ]
check "the log says the render was stopped" \
    grep -q "web: render stopped after" "$TRAMOND_LOG"
leftovers=$(find "$WEB" -name '*.tmp*' | head -n 5)
check "no temporary file left in web_dir ${leftovers:+($leftovers)}" \
    [ -z "$leftovers" ]
check "index.html as the first run left it" \
    [ "$(sha256sum <"$WEB/index.html")" = "$sha_index" ]
check "status.json as the first run left it" \
    [ "$(sha256sum <"$WEB/status.json")" = "$sha_status" ]
check "status.json whole, $N targets" \
    json_test "$WEB/status.json" "len(d['targets']) == $N"

whole_pages() {
	local f

	for f in "$WEB/index.html" "$WEB"/t/*.html "$WEB/events.html"; do
		tail -c 200 "$f" | grep -q '</html>' || {
			echo "not whole: $f" >&2
			return 1
		}
	done
}
check "every page whole" whole_pages

whole_pngs() {
	"$PYTHON" -c '
import sys
bad = 0
for p in sys.argv[1:]:
    with open(p, "rb") as f:
        d = f.read()
    if not (d.startswith(b"\x89PNG\r\n\x1a\n") and
            d[-12:-4] == b"\x00\x00\x00\x00IEND"):
        print("not a whole PNG:", p, file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
' "$WEB"/g/*.png
}
check "every graph a whole PNG" whole_pngs

if [ -n "$RRDTOOL_PID" ]; then
	check "the rrdtool child ($RRDTOOL_PID) is gone" \
	    wait_for 5 eval "! kill -0 $RRDTOOL_PID 2>/dev/null"
fi
# --- 3. SIGTERM while a year of reports is being built

# a journal for each of the twelve months: tramond started on the 1st,
# every target up (so each month's report is made, not skipped)
year_of_journals() {
	"$PYTHON" - "$STATE/journal" "$N" <<'EOF'
import datetime, json, os, sys
d = datetime.datetime.now(datetime.timezone.utc).replace(
    day=1, hour=0, minute=0, second=0, microsecond=0)
for _ in range(12):
    d = (d - datetime.timedelta(days=1)).replace(day=1, hour=0)
    at = d + datetime.timedelta(hours=12)
    ts = int(at.timestamp())
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [{"time": stamp, "ts": ts, "event": "start"}]
    lines += [{"time": stamp, "ts": ts, "event": "state", "target": "t%03d" % i,
               "from": "unknown", "to": "up", "streak_since": stamp}
              for i in range(int(sys.argv[2]))]
    end = at + datetime.timedelta(days=27)
    lines.append({"time": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "ts": int(end.timestamp()), "event": "alive"})
    with open(os.path.join(sys.argv[1], at.strftime("%Y-%m.jsonl")), "w") as f:
        f.writelines(json.dumps(l) + "\n" for l in lines)
EOF
}

month_back() {	# month_back N: YYYY-MM, N months before this one
	"$PYTHON" -c 'import datetime, sys
d = datetime.date.today().replace(day=1)
for _ in range(int(sys.argv[1])):
    d = (d - datetime.timedelta(days=1)).replace(day=1)
print(d.strftime("%Y-%m"))' "$1"
}
write_conf 'reports = { monthly = true; time = "00:00"; formats = [ "pdf" ]; };'
month_back 13 >"$STATE/report.last"
year_of_journals
LAST_MONTH=$(month_back 1)
tramond_start "$CONF"
check "a year of reports begins" \
    wait_for 60 grep -q "report: building" "$TRAMOND_LOG"
t0=$(date +%s%N)
rc=0
tramond_stop || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# SIGTERM to exit while building reports: $ms ms; report.last: $(cat "$STATE/report.last")"
grep -E "report" "$TRAMOND_LOG" | sed "s/^/#   /" | tail -n 3
check "exit status 0 (got $rc)" [ "$rc" = 0 ]
check "exited within $STOP_LIMIT s of SIGTERM ($ms ms)" \
    [ "$ms" -lt $((STOP_LIMIT * 1000)) ]
check "the log says a report was not finished" \
    grep -q "not finished, tramond is stopping; it is built at the next start" "$TRAMOND_LOG"
check "report.last not at last month ($LAST_MONTH): the rest is due" \
    [ "$(cat "$STATE/report.last")" != "$LAST_MONTH" ]
whole_pdfs() {
	local f

	for f in "$WEB"/reports/*.pdf; do
		[ -e "$f" ] || continue
		tail -c 16 "$f" | grep -q '%%EOF' || {
			echo "not whole: $f" >&2
			return 1
		}
	done
}
check "every report published is whole, none left half made" whole_pdfs
summary
