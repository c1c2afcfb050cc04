#!/usr/bin/env bash
#
# The sip probe against real SIP peers on 127.0.0.1; no lab.
#
#  - sipp (sip-tester) as a UAS answering OPTIONS with 200 OK over UDP
#    and over TCP (-t t1): up, status 200;
#  - sipp answering 503: up without expect_status (any final response
#    means alive), down with expect_status = 200, the code as reason;
#    sipp answering 404 with 404 among expect_status: up;
#  - sipp answering 100 Trying, then 200 OK 1.2 s later: the provisional
#    response is counted and the rtt runs to the final one;
#  - a peer that never answers (tests/sip/sippeer.py silent): down with
#    "timeout", the request sent again within the timeout (the peer
#    counts the datagrams of each branch);
#  - a peer that answers garbage, a wrong Call-ID and a right answer from
#    another port (sippeer.py bad): down, each dropped and counted;
#  - a UDP port nobody listens on: "port unreachable" (ICMP), a TCP one:
#    "connection refused".
# Checks status.json, tramonctl status --json and the counters in
# /metrics.  Bad sip settings are refused with their file and line.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd sipp curl ss

T0=$(date +%s)
CONF=$TEST_TMP/tramon.conf
WEB=$TEST_TMP/www
PEER=$top_srcdir/tests/sip/sippeer.py
PIDS=()

sip_cleanup() {
	local rc=$? pid

	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	(exit "$rc")
	lib_cleanup
}
trap sip_cleanup EXIT

# udp_bound PORT / tcp_listening PORT: someone has it now (ss, not a
# bind of our own: that could make the peer's own bind fail meanwhile)
udp_bound() {
	[ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]
}

tcp_listening() {
	"$PYTHON" -c '
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
' "$1" 2>/dev/null
}

# sipp_uas SCENARIO PORT TRANSPORT(u1|t1) NAME: a UAS in the background
sipp_uas() {
	sipp -sf "$1" -i 127.0.0.1 -p "$2" -t "$3" -nostdin \
	    </dev/null >"$TEST_TMP/sipp-$4.log" 2>&1 8>&- &
	PIDS+=($!)
	if [ "$3" = t1 ]; then
		wait_for 30 tcp_listening "$2"
	else
		wait_for 30 udp_bound "$2"
	fi || {
		cat "$TEST_TMP/sipp-$4.log" >&2
		hard_error "sipp ($4) did not start on port $2"
	}
}

# the 200 OK scenario made to answer $1 ("503 Service Unavailable")
scenario() {
	local f=$TEST_TMP/uas-${1%% *}.xml

	sed "s|SIP/2.0 200 OK|SIP/2.0 $1|" \
	    "$top_srcdir/tests/sip/uas_options.xml" >"$f" ||
	    hard_error "cannot write $f"
	grep -q "SIP/2.0 $1" "$f" || hard_error "no status line in $f"
	echo "$f"
}

peer() {
	"$PYTHON" "$PEER" "$1" "$2" "$TEST_TMP/peer-$1.json" \
	    2>"$TEST_TMP/peer-$1.log" 8>&- &
	PIDS+=($!)
	wait_for 30 udp_bound "$2" || {
		cat "$TEST_TMP/peer-$1.log" >&2
		hard_error "sippeer.py $1 did not start on port $2"
	}
}

# fcmp AWK-EXPR: the arithmetic comparison holds (false on nan/null)
fcmp() {
	case "$*" in
	*nan*|*null*|*None*|"")	return 1 ;;
	esac
	awk "BEGIN { exit !($*) }"
}

P_OK=$(free_udp_port)
P_503=$(free_udp_port)
P_404=$(free_udp_port)
P_SLOW=$(free_udp_port)
P_SILENT=$(free_udp_port)
P_BAD=$(free_udp_port)
P_CLOSED=$(free_udp_port)
P_TCP=$(free_port)
P_TCPCLOSED=$(free_port)
HTTP=$(free_port)
PORTS="$P_OK $P_503 $P_404 $P_SLOW $P_SILENT $P_BAD $P_CLOSED"
[ "$(echo "$PORTS" | tr ' ' '\n' | sort -u | wc -l)" = 7 ] &&
    [ "$P_TCP" != "$P_TCPCLOSED" ] && [ "$P_TCP" != "$HTTP" ] &&
    [ "$P_TCPCLOSED" != "$HTTP" ] ||
    hard_error "free ports collided; run again"

# --- bad settings -------------------------------------------------------------

BAD=$TEST_TMP/bad.conf
make_conf "$BAD" <<EOF
$(daemon_section)
targets = (
  { id = "a"; type = "sip"; host = "127.0.0.1"; transport = "sctp"; },
  { id = "b"; type = "sip"; host = "127.0.0.1"; expect_status = 99; },
  { id = "c"; type = "sip"; host = "not a host"; }
);
EOF
"$top_builddir/tramond" -n -c "$BAD" >"$TEST_TMP/bad.out" 2>&1
rc=$?
check "tramond -n refuses bad sip settings (status $rc)" [ "$rc" != 0 ]
check "transport \"sctp\" is an error at its line" \
    grep -q 'bad.conf:[0-9]*:.*"sctp" is neither "udp" nor "tcp"' \
    "$TEST_TMP/bad.out"
check "expect_status 99 is an error" \
    grep -q 'bad.conf:[0-9]*:.*expect_status' "$TEST_TMP/bad.out"
check "a host with a space is an error" \
    grep -q 'bad.conf:[0-9]*:.*"not a host"' "$TEST_TMP/bad.out"

# --- the peers ------------------------------------------------------------

sipp_uas "$top_srcdir/tests/sip/uas_options.xml" "$P_OK" u1 ok
sipp_uas "$(scenario "503 Service Unavailable")" "$P_503" u1 503
sipp_uas "$(scenario "404 Not Found")" "$P_404" u1 404
sipp_uas "$top_srcdir/tests/sip/uas_slow.xml" "$P_SLOW" u1 slow
sipp_uas "$top_srcdir/tests/sip/uas_options.xml" "$P_TCP" t1 tcp
peer silent "$P_SILENT"
peer bad "$P_BAD"

make_conf "$CONF" <<EOF
$(daemon_section "127.0.0.1:$HTTP")
defaults = { interval = 2; timeout = 1.5; count = 1; down_after = 2;
  up_after = 1; };
targets = (
  { id = "sip-ok"; name = "Huyện ủy (SIP)"; type = "sip";
    host = "127.0.0.1"; port = $P_OK; },
  { id = "sip-503"; type = "sip"; host = "127.0.0.1"; port = $P_503; },
  { id = "sip-503-exp"; type = "sip"; host = "127.0.0.1"; port = $P_503;
    expect_status = 200; },
  { id = "sip-404"; type = "sip"; host = "127.0.0.1"; port = $P_404;
    expect_status = [ 200, 404 ]; },
  { id = "sip-slow"; type = "sip"; host = "127.0.0.1"; port = $P_SLOW;
    interval = 4; timeout = 3; degraded = { rtt_ms = 0.0; }; },
  { id = "sip-silent"; type = "sip"; host = "127.0.0.1"; port = $P_SILENT; },
  { id = "sip-bad"; type = "sip"; host = "127.0.0.1"; port = $P_BAD; },
  { id = "sip-closed"; type = "sip"; host = "127.0.0.1"; port = $P_CLOSED; },
  { id = "sip-tcp"; type = "sip"; host = "127.0.0.1"; port = $P_TCP;
    transport = "tcp"; count = 2; },
  { id = "sip-tcp-closed"; type = "sip"; host = "127.0.0.1";
    port = $P_TCPCLOSED; transport = "tcp"; }
);
EOF
check "tramond -n accepts the configuration" \
    "$top_builddir/tramond" -n -c "$CONF"
tramond_start "$CONF"

STATUS=$WEB/status.json
settled() {
	json_test "$STATUS" '(all(t(i)["state"] == "up" for i in
	    ("sip-ok", "sip-503", "sip-404", "sip-slow", "sip-tcp")) and
	    all(t(i)["state"] == "down" for i in ("sip-503-exp", "sip-silent",
	    "sip-bad", "sip-closed", "sip-tcp-closed")))'
}
wait_for 60 settled
check "status.json: the answering peers up, the others down" settled
if ! settled; then
	json_get "$STATUS" '[(x["id"], x["state"], x.get("reason"))
	    for x in d["targets"]]' >&2
fi

# values and reasons
st() {
	json_get "$STATUS" "t(\"$1\").get(\"$2\")"
}
for id in sip-ok sip-tcp; do
	check "$id: status 200" fcmp "$(st "$id" status) == 200"
	rtt=$(st "$id" rtt_ms)
	check "$id: rtt $rtt ms, above 0 and under 1000 ms" \
	    fcmp "$rtt > 0 && $rtt < 1000"
done
check "sip-503 (no expect_status): up with status 503" \
    fcmp "$(st sip-503 status) == 503"
check "sip-503-exp (expect_status 200): reason \"503 Service Unavailable\"" \
    [ "$(st sip-503-exp reason)" = "503 Service Unavailable" ]
check "sip-503-exp: status 503 all the same" \
    fcmp "$(st sip-503-exp status) == 503"
check "sip-404 (expect_status [ 200, 404 ]): up with status 404" \
    fcmp "$(st sip-404 status) == 404"
rtt=$(st sip-slow rtt_ms)
check "sip-slow: rtt $rtt ms runs to the final response (1.2 s after 100)" \
    fcmp "$rtt >= 1100 && $rtt < 3000"
check "sip-silent: reason \"timeout\"" [ "$(st sip-silent reason)" = timeout ]
check "sip-silent: no status" [ "$(st sip-silent status)" = null ]
check "sip-bad: reason \"timeout\" (nothing it sent was taken)" \
    [ "$(st sip-bad reason)" = timeout ]
check "sip-closed: reason \"port unreachable\"" \
    [ "$(st sip-closed reason)" = "port unreachable" ]
check "sip-tcp-closed: reason \"connection refused\"" \
    [ "$(st sip-tcp-closed reason)" = "connection refused" ]

tramonctl -c "$CONF" status --json >"$TEST_TMP/ctl.json" 2>/dev/null ||
    fail "tramonctl status --json failed"
check "tramonctl status --json: sip-ok up, status 200" \
    json_test "$TEST_TMP/ctl.json" \
    't("sip-ok")["state"] == "up" and t("sip-ok")["status"] == 200'
check "tramonctl status --json: sip-503-exp down, 503 Service Unavailable" \
    json_test "$TEST_TMP/ctl.json" '(t("sip-503-exp")["state"] == "down"
    and t("sip-503-exp")["reason"] == "503 Service Unavailable")'

# retransmissions, as the silent peer saw them: within one 1.5 s timeout
# T1 sends at 0 and 0.5 s (1.5 s is the deadline): two datagrams a request,
# but for the last one, which may have been sent only once yet
peer_stat() {
	json_get "$TEST_TMP/peer-$1.json" "d[\"$2\"]"
}
dg=$(peer_stat silent datagrams)
rq=$(peer_stat silent requests)
check "the silent peer got $dg datagrams for $rq requests (retransmitted)" \
    fcmp "$rq >= 2 && $dg >= 2 * $rq - 1"
check "the bad peer got requests and answered them ($(peer_stat bad answers))" \
    fcmp "$(peer_stat bad answers) >= 3"

# --- /metrics ---------------------------------------------------------------

curl -s -m 10 -o "$TEST_TMP/metrics" "http://127.0.0.1:$HTTP/metrics" ||
    fail "GET /metrics failed"
counter() {
	awk -v c="tramon_probe_events_total{counter=\"$1\"}" \
	    '$1 == c { print $2 }' "$TEST_TMP/metrics"
}
for c in sip_requests sip_responses sip_retransmissions sip_timeouts \
    sip_malformed sip_unmatched sip_wrong_source sip_provisional \
    sip_unexpected_status sip_transport_errors; do
	n=$(counter "$c")
	check "/metrics: $c = $n, above 0" fcmp "0$n > 0"
done
n=$(counter sip_timeouts)
check "/metrics: sip_timeouts $n, at least the silent and bad peers' 2 each" \
    fcmp "0$n >= 4"
check "/metrics: tramon_sip_status of sip-ok is 200" \
    grep -q '^tramon_sip_status{target="sip-ok"} 200$' "$TEST_TMP/metrics"
check "/metrics: tramon_sip_status of sip-503-exp is 503" \
    grep -q '^tramon_sip_status{target="sip-503-exp"} 503$' \
    "$TEST_TMP/metrics"

check "tramond still answers: tramonctl status" \
    tramonctl -c "$CONF" status
tramond_stop || fail "tramond exited with status $?"
check "no sanitizer report in tramond's log" \
    eval '! grep -E "Sanitizer|runtime error:" "$TRAMOND_LOG"'
echo "# run time $(($(date +%s) - T0)) s"
summary
