#!/usr/bin/env bash
#
# The daemon's life cycle, on loopback only: start, tramonctl status and
# reload, SIGHUP with a valid and an invalid file, the journal, the saved
# states and a restart without false transitions, the pid file, the
# control socket's permissions, the RRD files, and a clean stop.
#
. "$top_srcdir/tests/lib.sh"
need_root

PORT=$(free_port)
CONF=$TEST_TMP/tramon.conf
STATE=$TEST_TMP/state
JOURNAL=$STATE/journal/$(TZ=Asia/Ho_Chi_Minh date +%Y-%m).jsonl

targets() {
	cat <<EOF
defaults = { interval = 2; count = 4; timeout = 0.5; down_after = 2; up_after = 1; };
targets = (
  { id = "lo4"; name = "Loopback <b>v4</b>"; group = "Hạ tầng"; type = "ping"; host = "127.0.0.1"; },
  { id = "lo6"; name = "Loopback v6"; group = "Hạ tầng"; type = "ping"; host = "::1"; parent = "lo4"; },
  { id = "closed"; name = "Cổng đóng"; group = "Dịch vụ"; type = "tcp"; host = "127.0.0.1"; port = 1; count = 1; }$1
);
EOF
}

write_conf() {
	{
		# as nobody; the socket in a directory tramond creates (and
		# hands to nobody, so it can remove the socket at exit)
		daemon_section "127.0.0.1:$PORT" |
		    sed -e 's/user        = "root"/user        = "nobody"/' \
			-e "s|$TEST_TMP/tramond.sock|$TEST_TMP/run/tramond.sock|"
		targets "$1"
	} >"$CONF"
}

state_of() {
	json_get "$TEST_TMP/st.json" "t(\"$1\")[\"state\"]" 2>/dev/null
}

ctl_status() {
	tramonctl -c "$CONF" status --json >"$TEST_TMP/st.json" 2>/dev/null
}

is_state() {
	ctl_status && [ "$(state_of "$1")" = "$2" ]
}

count_events() {
	grep -c "\"event\":\"$1\"" "$JOURNAL" 2>/dev/null || true
}

write_conf ""
check "tramond -n accepts the config" "$top_builddir/tramond" -n -c "$CONF"

tramonctl -c "$CONF" status >/dev/null 2>&1
check "tramonctl status without a daemon exits 69" [ $? = 69 ]

tramond_start "$CONF"
check "lo4 comes up" wait_for 30 is_state lo4 up
check "lo6 (IPv6) comes up" wait_for 30 is_state lo6 up
check "a closed port is down" wait_for 30 is_state closed down
check "its reason is connection refused" \
    [ "$(json_get "$TEST_TMP/st.json" 't("closed")["reason"]')" = "connection refused" ]
rtt=$(json_get "$TEST_TMP/st.json" 't("lo4")["rtt_ms"]')
check "lo4 rtt is plausible ($rtt ms)" awk -v r="$rtt" 'BEGIN { exit !(r > 0 && r < 10) }'

# privileges: started as root, running as nobody with no capabilities
pid=$TRAMOND_PID
check "runs as nobody" grep -Eq "^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534" /proc/$pid/status
check "holds no capabilities" \
    awk '/^Cap(Inh|Prm|Eff|Amb):/ && $2 != "0000000000000000" { bad = 1 } END { exit bad }' /proc/$pid/status
check "pid file names it" [ "$(cat "$TEST_TMP/run/tramond.pid" 2>/dev/null)" = "$pid" ]

# a second daemon on the same files refuses to start
"$top_builddir/tramond" -f -c "$CONF" 2>"$TEST_TMP/second.log"
check "a second tramond refuses to start" [ $? != 0 ]
check "and says why" grep -q "already" "$TEST_TMP/second.log"
check "the first one still runs" kill -0 "$pid"

# tramonctl status, human form
out=$(tramonctl -c "$CONF" status)
check "status lists lo4 as up" grep -Eq '^lo4 +up ' <<<"$out"
check "status lists closed as down" grep -Eq '^closed +down ' <<<"$out"

# only root and the daemon's user may use the control socket
if id daemon >/dev/null 2>&1; then
	setpriv --reuid=daemon --regid=daemon --clear-groups \
	    "$top_builddir/tramonctl" -c "$CONF" status >/dev/null 2>"$TEST_TMP/denied.log"
	rc=$?
	check "another user is refused (exit $rc)" [ $rc = 77 ] || [ $rc = 69 ]
fi

# the journal: start, then the state changes
check "journal has the start" [ "$(count_events start)" = 1 ]
check "journal has lo4 unknown -> up" \
    grep -q '"event":"state","target":"lo4","from":"unknown","to":"up"' "$JOURNAL"

# pages and the built-in server
check "status.json is written" wait_for 20 test -s "$TEST_TMP/www/status.json"
check "status.json knows closed is down" \
    wait_for 20 json_test "$TEST_TMP/www/status.json" 't("closed")["state"] == "down"'
curl -s -o "$TEST_TMP/metrics" "http://127.0.0.1:$PORT/metrics"
check "/metrics: lo4 up" grep -q '^tramon_target_up{target="lo4"} 1$' "$TEST_TMP/metrics"
check "/metrics: closed in state down" \
    grep -q '^tramon_target_state{target="closed",state="down"} 1$' "$TEST_TMP/metrics"
check "/metrics: lo4 median rtt" \
    grep -Eq '^tramon_ping_rtt_seconds\{target="lo4",quantile="0.5"\} 0\.0' "$TEST_TMP/metrics"
if command -v promtool >/dev/null; then
	check "/metrics passes promtool check metrics (a real parser, lint)" \
	    sh -c "promtool check metrics <'$TEST_TMP/metrics'"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://127.0.0.1:$PORT/../state/state.json")
check "no path out of web_dir ($code)" [ "$code" = 404 ]
check "the name is escaped on the page" grep -q 'Loopback &lt;b&gt;v4&lt;/b&gt;' "$TEST_TMP/www/index.html"

# the RRD: layout and data
check "lo4.rrd has the smoke quantiles" \
    sh -c "rrdtool info '$STATE/rrd/lo4.rrd' | grep -q '^ds\[q95\].index = 12$'"
check "lo4.rrd has 2 s steps" \
    sh -c "rrdtool info '$STATE/rrd/lo4.rrd' | grep -q '^step = 2$'"
check "lo4.rrd holds measurements" wait_for 20 sh -c \
    "rrdtool fetch '$STATE/rrd/lo4.rrd' AVERAGE -s -60 | awk '\$8 == \"1.0000000000e+00\" { n++ } END { exit n < 3 }'"

# reload through tramonctl: a new target; unchanged ones keep their state
since_before=$(json_get "$TEST_TMP/st.json" 't("lo4")["since"]')
write_conf ',
  { id = "lo4b"; name = "Loopback 2"; group = "Hạ tầng"; type = "ping"; host = "127.0.0.2"; }'
check "tramonctl reload succeeds" tramonctl -c "$CONF" reload
check "the new target runs" wait_for 20 is_state lo4b up
check "lo4 kept its state and since" \
    [ "$(json_get "$TEST_TMP/st.json" 't("lo4")["since"]')" = "$since_before" ]
check "journal has the reload" grep -q '"event":"reload","kept":3,"changed":0,"added":1,"removed":0' "$JOURNAL"

# an invalid file changes nothing (tramonctl reload, then SIGHUP)
sed -i '0,/host = "127.0.0.1"; }/s//host = "127.0.0.1"; intervall = 3; }/' "$CONF"
tramonctl -c "$TEST_TMP/tramon.conf" reload >/dev/null 2>&1
check "tramonctl refuses to read an invalid file (78)" [ $? = 78 ]
kill -HUP "$pid"
check "SIGHUP with an invalid file is logged" \
    wait_for 10 grep -q "is not valid; the running configuration stays" "$TRAMOND_LOG"
check "and names the line" grep -q "tramon.conf:[0-9]*: .*intervall" "$TRAMOND_LOG"
check "the daemon still runs" kill -0 "$pid"
write_conf ""
cp "$CONF" "$TEST_TMP/good.conf"
check "still serving lo4b" is_state lo4b up

# SIGHUP with a valid file: lo4b goes away
kill -HUP "$pid"
check "SIGHUP reload removes a target" \
    wait_for 10 grep -q '"event":"reload","kept":3,"changed":0,"added":0,"removed":1' "$JOURNAL"

# a changed target restarts but keeps its state
sed -i 's/host = "::1"; parent = "lo4";/host = "::1"; parent = "lo4"; count = 3;/' "$CONF"
kill -HUP "$pid"
check "a changed target is restarted" \
    wait_for 10 grep -q '"event":"reload","kept":2,"changed":1' "$JOURNAL"
sleep 3
ctl_status
check "and keeps its state" [ "$(state_of lo6)" = up ]

# stop cleanly, then restart: no false transitions
states_before=$(count_events state)
tramond_stop
check "tramond exits 0 on SIGTERM" [ $? = 0 ]
check "journal ends with the stop" sh -c "tail -n 1 '$JOURNAL' | grep -q '\"event\":\"stop\"'"
check "pid file removed" [ ! -e "$TEST_TMP/run/tramond.pid" ]
check "control socket removed" [ ! -e "$TEST_TMP/run/tramond.sock" ]
check "states saved" json_test "$STATE/state.json" 'd["targets"]["lo4"]["state"] == "up"'

tramond_start "$CONF"
check "restarted daemon answers" wait_for 20 ctl_status
check "restored states right away" [ "$(state_of lo4)" = up ] && [ "$(state_of closed)" = down ]
sleep 6	# three rounds
check "no state change after the restart" [ "$(count_events state)" = "$states_before" ]
check "the start says what it restored" \
    grep -q '"event":"start",.*"restored":3' "$JOURNAL"
tramond_stop

summary
