#!/bin/bash
#
# browser.sh: the district at a glance, in a real browser.
#
# tramond watches the simulated Nam Trà My district (conf/tramon.conf's
# targets, tests/lab) with short rounds and serves its pages on a free
# port.  Two sites are cut off; headless chromium then loads the pages
# from the built-in server and the test checks what a person sees there
# against the status.json served with them: the district, every target
# in Vietnamese, the cut ones "Mất kết nối" in the attention panel, the
# counts; the layout on a desktop and on a phone; every link and image;
# every page the crawl reaches (targets, a switch's ports, events,
# meetings, reports and a month's report published by tramonctl) valid
# for tidy and loaded in chromium, driven through the DevTools protocol,
# without a console error or a failed request; a target whose name is
# markup (HOSTILE) shown as text, nothing run; English pages after a
# reload; the server's refusals (traversal, symlinks, methods); and the
# pages after the sites come back.
#
# Screenshots (1280x900 and a 360x800 phone) are kept in
# $TRAMON_ARTIFACTS, by default $top_builddir/test-artifacts/browser/,
# for a human to look at.  The assertions themselves are in
# tests/browser/check.py (pages, crawl, tidy) and tests/browser/cdp.py
# (what chromium's console would show).
#
# shellcheck source=../lib.sh
. "$top_srcdir/tests/lib.sh"

need_root
need_cmd chromium ip fping flock timeout tidy
CHROMIUM=$(command -v chromium)
CHECK=$top_srcdir/tests/browser/check.py
CDP=$top_srcdir/tests/browser/cdp.py
LAYOUT=$top_srcdir/tests/browser/layout.html
DOWN=tra-nam,uplink-viettel	# what the test cuts off
CONF=$TEST_TMP/tramon.conf
WEB=$TEST_TMP/www
SHOTS=$TEST_TMP/screenshots
ARTIFACTS=${TRAMON_ARTIFACTS:-$top_builddir/test-artifacts/browser}
SAVED=$TEST_TMP/pages		# the crawl's copy of every page, for tidy
# a target named in markup, on 127.0.0.1: its name must stay text
HOSTILE='<script>alert(1)</script> & "x"'
HOSTILE_CONF='{ id = "hostile"; name = "<script>alert(1)</script> & \"x\"";
    group = "<b>Kiểm thử</b>"; type = "ping"; host = "127.0.0.1";
    count = 3; }'
MONTH=$(date +%Y-%m)		# the month tramonctl publishes
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT/
T0=$(date +%s)
mkdir -p "$SHOTS"

# --- helpers ----------------------------------------------------------------

# write_conf LANG: the district's configuration with this test's paths,
# rounds of 5 s (5 echoes), DOWN after 2 lost rounds, UP after 1; the web
# services' certificates checked against the lab's CA
write_conf() {
	"$PYTHON" "$top_srcdir/tests/browser/conf.py" \
	    "$top_srcdir/conf/tramon.conf" "$CONF" \
	    "daemon.state_dir=\"$TEST_TMP/state\"" \
	    "daemon.web_dir=\"$WEB\"" \
	    "daemon.plugin_dir=\"$top_builddir/plugins/.libs\"" \
	    'daemon.user="root"' 'daemon.log="stderr"' \
	    'daemon.log_level="debug"' \
	    "daemon.http_listen=\"127.0.0.1:$PORT\"" \
	    "daemon.control_socket=\"$TEST_TMP/tramond.sock\"" \
	    "daemon.language=\"$1\"" 'daemon.web_refresh=5' \
	    'defaults.interval=5' 'defaults.count=5' 'defaults.timeout=2.0' \
	    'defaults.down_after=2' 'defaults.up_after=1' \
	    "defaults.ca_file=\"$(lab ca)\"" "targets+=$HOSTILE_CONF" ||
	    hard_error "cannot write $CONF"
}

# fetch PATH FILE: GET BASE/PATH from the built-in server into FILE
fetch() {
	"$PYTHON" -c '
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    data = r.read()
open(sys.argv[2], "wb").write(data)' "$BASE${1#/}" "$2" 2>/dev/null
}

# status_test EXPR: json_test on a fresh /status.json
status_test() {
	fetch status.json "$TEST_TMP/status.now.json" &&
	    json_test "$TEST_TMP/status.now.json" "$1"
}

# chromium_run ARGS...: one headless chromium, fresh profile, bounded
chromium_run() {
	local prof rc=0

	prof=$(mktemp -d "$TEST_TMP/chromium.XXXXXX")
	# its home too: nothing of it outlives the test (dconf, caches)
	HOME=$prof XDG_CONFIG_HOME=$prof XDG_CACHE_HOME=$prof \
	    timeout -k 5 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --disable-quic \
	    --user-data-dir="$prof" --hide-scrollbars \
	    --force-device-scale-factor=1 "$@" 2>>"$TEST_TMP/chromium.log" ||
	    rc=$?
	rm -rf "$prof"
	return $rc
}

# dump_page URL NAME: chromium's DOM of BASE/URL in NAME.dom, and in
# NAME.json the status.json of the same render (the page's "updated at"
# is status.json's "generated"; a render in between means another try)
dump_page() {
	local url=$1 name=$2 try gen s f=$TEST_TMP/$2

	for try in 1 2 3 4 5 6; do
		fetch status.json "$f.s1.json" || { sleep 0.5; continue; }
		chromium_run --dump-dom "$BASE$url" >"$f.dom" || continue
		fetch status.json "$f.s2.json" || continue
		gen=$("$PYTHON" "$CHECK" gen "$f.dom") || continue
		for s in s1 s2; do
			if [ "$(json_get "$f.$s.json" 'd["generated"]')" = \
			    "$gen" ]; then
				cp "$f.$s.json" "$f.json"
				return 0
			fi
		done
		echo "# $url: page of $gen, status.json of another render;" \
		    "again ($try)"
	done
	return 1
}

# checks CMD ARGS...: run check.py, count its PASS/FAIL lines
checks() {
	tally "$PYTHON" "$CHECK" "$@"
}

# tally PROGRAM ARGS...: run it, count its PASS/FAIL lines
tally() {
	local line rc=0 out

	out=$("$@" 2>&1) || rc=$?
	while IFS= read -r line; do
		case $line in
		"PASS "*)	pass "${line#PASS }" ;;
		"FAIL "*)	fail "${line#FAIL }" ;;
		"")		;;
		*)		echo "# $line" ;;
		esac
	done <<<"$out"
	[ "$rc" -le 1 ] || [ "$rc" = 3 ] || fail "${*: -3} ... exited $rc"
}

# console JOBS: cdp.py on the jobs ("PATH W H [SHOT] [hostile]" lines,
# PATH under BASE): console, requests, images, scripts of each page
console() {
	sed "s|^/*|$BASE|" "$1" >"$1.url"
	tally timeout -k 5 400 "$PYTHON" "$CDP" "$CHROMIUM" "$SHOTS" \
	    "$HOSTILE" <"$1.url"
}

# page NAME URL CHECK ARGS...: dump URL, then run check.py CHECK on it
page() {
	local name=$1 url=$2 what=$3
	shift 3
	if dump_page "$url" "$name"; then
		checks "$what" "$TEST_TMP/$name.dom" "$TEST_TMP/$name.json" "$@"
	else
		fail "$url: chromium shows a page whose 'updated at' is" \
		    "status.json's generated time (6 tries)"
	fi
}

# layout URL W H [page]: the page measured in a W x H frame by layout.html
layout() {
	local url=$1 w=$2 h=$3 out=$TEST_TMP/layout-${1//\//_}-$2x$3.dom

	chromium_run --virtual-time-budget=15000 --window-size=1400,1000 \
	    --dump-dom "${BASE}_layout.html?page=$url&w=$w&h=$h" >"$out" ||
	    fail "chromium could not load the layout probe of $url"
	checks layout "$out" "$w" "$h" "$DOWN" "${4:-index}"
}

# shot URL W H NAME: screenshot of BASE/URL at W x H, checked, kept
shot() {
	local png=$SHOTS/$4.png

	rm -f "$png"
	if chromium_run --window-size="$2,$3" --screenshot="$png" "$BASE$1" \
	    >/dev/null && [ -s "$png" ]; then
		checks png "$png" "$2" "$3"
	else
		fail "chromium took a screenshot of $1 at $2x$3"
	fi
}

# reload_lang LANG: rewrite the config with LANG, SIGHUP, wait for pages
reload_lang() {
	write_conf "$1"
	kill -HUP "$TRAMOND_PID" || return 1
	wait_for 30 grep -q "<html lang=\"$1\">" "$WEB/index.html"
}

# --- start --------------------------------------------------------------------

lab_up
echo "# lab up after $(($(date +%s) - T0)) s; tramond on $BASE"
write_conf vi
check "tramond -n accepts the district's config (conf/tramon.conf)" \
    "$top_builddir/tramond" -n -c "$CONF"
tramond_start "$CONF"
check "the built-in server answers /status.json" \
    wait_for 30 fetch status.json "$TEST_TMP/status.now.json"
check "status.json: every target measured, up" wait_for 60 status_test \
    'len(d["targets"]) == 21 and all(x["last_round"] and x["state"] in
    ("up", "degraded") for x in d["targets"])'
# built meanwhile, in tramond's worker
check "tramonctl report --publish --month $MONTH --no-mail" \
    tramonctl -c "$CONF" report --publish --month "$MONTH" --no-mail

# --- two sites cut off ----------------------------------------------------------

lab cut tra-nam
lab cut uplink-viettel
check "status.json: $DOWN down, the rest up" wait_for 60 status_test \
    '([x["id"] for x in d["targets"] if x["state"] == "down"] ==
    ["tra-nam", "uplink-viettel"] and all(x["state"] in ("up", "degraded")
    for x in d["targets"] if x["id"] not in ("tra-nam", "uplink-viettel")))'
echo "# cut and seen down after $(($(date +%s) - T0)) s"

page index "" overview vi "$DOWN" 5
CUT_GEN=$(json_get "$TEST_TMP/index.json" 'd["generated"]' 2>/dev/null)
page tra-nam t/tra-nam.html target vi tra-nam wan "up>down;unknown>*"
page events events.html events vi tra-nam "up>down;unknown>*"

cp "$LAYOUT" "$WEB/_layout.html"
layout index.html 360 800
layout index.html 1280 900
layout t/tra-nam.html 360 800 target
layout t/tra-nam.html 1280 900 target
rm -f "$WEB/_layout.html"

shot "" 1280 900 index-1280x900
shot "" 360 800 index-360x800
shot t/tra-nam.html 1280 900 tra-nam-1280x900
shot t/tra-nam.html 360 800 tra-nam-360x800
shot meetings.html 1280 900 meetings-1280x900
shot meetings.html 360 800 meetings-360x800

check "reports/$MONTH.html and .pdf published" wait_for 120 \
    test -s "$WEB/reports/$MONTH.html" -a -s "$WEB/reports/$MONTH.pdf"
check "reports/index.html lists $MONTH" wait_for 30 \
    grep -q "href=\"$MONTH.pdf\"" "$WEB/reports/index.html"
page reports reports/index.html reports vi "$MONTH"

mkdir -p "$SAVED"
fetch status.json "$TEST_TMP/crawl.json" || fail "fetch status.json"
checks crawl "$BASE" "$TEST_TMP/crawl.json" "$SAVED"
checks tidy "$SAVED"
checks http "$BASE" "$WEB" "$TEST_TMP/state" "$DOWN"

# every page in chromium; a switch, a port and the reports on both screens
SWITCH=/t/core-sw.html
PORTPAGE=$(grep -m1 -e '^/t/core-sw/p-.*\.html$' "$SAVED/pages.txt" ||
    grep -m1 '^/t/core-sw/.*\.html$' "$SAVED/pages.txt")
check "the crawl reached a port page of core-sw ($PORTPAGE)" \
    test -n "$PORTPAGE"
{
	grep -v -x -e /reports/index.html -e "$SWITCH" -e /t/hostile.html \
	    -e "${PORTPAGE:-/nothing}" "$SAVED/pages.txt" | sed 's/$/ 1280 900/'
	for wh in "360 800" "1280 900"; do
		echo "/reports/index.html $wh reports-${wh/ /x}"
		echo "$SWITCH $wh switch-${wh/ /x}"
		[ -z "$PORTPAGE" ] || echo "$PORTPAGE $wh port-${wh/ /x}"
		echo "/t/hostile.html $wh hostile-${wh/ /x} hostile"
	done
	echo "/index.html 360 800 - hostile"
	echo "/events.html 1280 900 - hostile"
} >"$TEST_TMP/console.jobs"
console "$TEST_TMP/console.jobs"
for png in "$SHOTS"/{reports,switch,port,hostile}-*.png; do
	[ -e "$png" ] || continue
	wh=${png##*-}
	wh=${wh%.png}
	checks png "$png" "${wh%x*}" "${wh#*x}"
done
echo "# Vietnamese checks done after $(($(date +%s) - T0)) s"

# --- the same in English, after a reload ------------------------------------------

if check "SIGHUP with language = \"en\" renders English pages" \
    reload_lang en; then
	page index-en "" overview en "$DOWN" 5
	page tra-nam-en t/tra-nam.html target en tra-nam wan \
	    "up>down;unknown>*"
	page events-en events.html events en tra-nam "up>down;unknown>*"
	page reports-en reports/index.html reports en "$MONTH"
	shot "" 1280 900 index-en-1280x900
	shot t/tra-nam.html 360 800 tra-nam-en-360x800
fi
check "SIGHUP with language = \"vi\" renders Vietnamese again" \
    reload_lang vi

# --- back again ----------------------------------------------------------------------

lab restore tra-nam
lab restore uplink-viettel
check "status.json: $DOWN up again" wait_for 60 status_test \
    't("tra-nam")["state"] == "up" and t("uplink-viettel")["state"] == "up"'
page index-back "" overview vi "" 5
BACK_GEN=$(json_get "$TEST_TMP/index-back.json" 'd["generated"]' \
    2>/dev/null)
later() { [ -n "$1" ] && [[ $2 > $1 ]]; }	# ISO 8601, one time zone
check "the page after the restore was rendered later ($CUT_GEN < $BACK_GEN)" \
    later "$CUT_GEN" "$BACK_GEN"
# (a link restored mid-round comes back through one lossy round: the
# change to up may come from degraded, after the one from down)
page tra-nam-back t/tra-nam.html target vi tra-nam wan "*>up;up>down"
page events-back events.html events vi tra-nam "*>up;up>down"
shot "" 1280 900 index-back-1280x900

rc=0
tramond_stop || rc=$?
check "tramond exits 0 on SIGTERM" test "$rc" = 0

# kept for a human (the temp dir goes); the last run's, not older ones
if mkdir -p "$ARTIFACTS" && rm -f "$ARTIFACTS"/*.png &&
    cp "$SHOTS"/*.png "$ARTIFACTS"/; then
	echo "# $(ls "$SHOTS"/*.png | wc -l) screenshots in $ARTIFACTS"
else
	fail "screenshots copied to $ARTIFACTS"
fi
echo "# done after $(($(date +%s) - T0)) s"
summary
