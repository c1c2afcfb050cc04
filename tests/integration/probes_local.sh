#!/usr/bin/env bash
#
# The probes on loopback and in a network namespace of our own; no lab.
#
#  1. Started as root with daemon.user = "nobody": tramond opens its raw
#     ICMP sockets, then runs as uid 65534 with no capability in any
#     thread, and its pings still work: IPv4 127.0.0.1, IPv6 ::1 and
#     "localhost" (from /etc/hosts: never a name that needs DNS).
#  2. tcp: an open port is up, a closed one down with "connection
#     refused"; closing the listener takes the open one down after
#     down_after rounds (not before), reopening brings it up after
#     up_after rounds (not before).
#  3. Started as nobody without any capability, in a fresh namespace:
#     (a) with net.ipv4.ping_group_range open it uses ICMP datagram
#     sockets and pings 127.0.0.1; (b) with the range closed it refuses
#     to start and says what to grant: the sysctl with its gid, or the
#     capability.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip setpriv sysctl

T0=$(date +%s)
INTERVAL=2 DOWN_AFTER=2 UP_AFTER=2
CONF=$TEST_TMP/tramon.conf
STATE=$TEST_TMP/state
WEB=$TEST_TMP/www
CTL=$TEST_TMP/run/tramond.sock
OPEN_PORT=$(free_port)
CLOSED_PORT=$(free_port)
while [ "$CLOSED_PORT" = "$OPEN_PORT" ]; do
	CLOSED_PORT=$(free_port)
done
NS=tm-unpriv-$$
LISTENER_PID=
U_PID=

# Ours first, then lib.sh's (tramond, the temp dir); keeps the exit code.
probes_cleanup() {
	local rc=$?

	[ -z "$LISTENER_PID" ] || kill "$LISTENER_PID" 2>/dev/null || true
	if [ -n "$U_PID" ] && kill -0 "$U_PID" 2>/dev/null; then
		kill -KILL "$U_PID" 2>/dev/null || true
		wait "$U_PID" 2>/dev/null || true
	fi
	if [ -e "/run/netns/$NS" ]; then
		# shellcheck disable=SC2046
		kill -KILL $(ip netns pids "$NS" 2>/dev/null) 2>/dev/null || true
		ip netns del "$NS" || echo "$TEST_NAME: cannot remove $NS" >&2
	fi
	(exit "$rc")
	lib_cleanup
}
trap probes_cleanup EXIT

# no_sanitizer LOG...: no ASan/UBSan/LSan report in the logs (a
# --enable-sanitizers build)
no_sanitizer() {
	! grep -E 'Sanitizer|runtime error:' "$@"
}

# fcmp AWK-EXPR: the arithmetic comparison holds (false on nan/null)
fcmp() {
	case "$*" in
	*nan*|*null*|*None*)	return 1 ;;
	esac
	awk "BEGIN { exit !($*) }"
}

# A TCP listener on 127.0.0.1:$1 that accepts and closes connections.
listen_on() {
	"$PYTHON" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
while True:
    c, _ = s.accept()
    c.close()
' "$1" 8>&- &
	LISTENER_PID=$!
	wait_for 5 port_open "$1" ||
	    hard_error "the listener on port $1 did not start"
}

port_open() {
	"$PYTHON" -c '
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
' "$1" 2>/dev/null
}

listen_stop() {
	kill "$LISTENER_PID"
	wait "$LISTENER_PID" 2>/dev/null || true
	LISTENER_PID=
}

# tramonctl status --json of configuration $1 into $TEST_TMP/ctl.json
ctl_status() {
	tramonctl -c "$1" status --json >"$TEST_TMP/ctl.json" 2>/dev/null
}

# ctl_test CONF EXPR: EXPR holds on a fresh tramonctl status --json
ctl_test() {
	ctl_status "$1" && json_test "$TEST_TMP/ctl.json" "$2"
}

# Round lines of target $1 in $2 (default: tramond's log) that match $3
# ("round: 0/" = nothing answered).
rounds() {
	grep -c " $1: $3" "${2:-$TRAMOND_LOG}" 2>/dev/null || true
}

# the daemon section, with $1 as daemon.user, the control socket in a
# directory tramond makes its own, pages every 5 s
daemon_as() {
	daemon_section |
	    sed -e "s/user        = \"root\"/user        = \"$1\"/" \
		-e "s|\"$TEST_TMP/tramond.sock\"|\"$CTL\"|" \
		-e 's/^  log_level   = "debug";/&\n  web_refresh = 5;/'
}

# --- 1. root, dropping to nobody: ping ------------------------------------

LOCALHOST_RE='^[[:space:]]*127\.0\.0\.1[[:space:]](.*[[:space:]])?localhost'
grep -Eq "$LOCALHOST_RE([[:space:]]|\$)" /etc/hosts ||
    skip "localhost is not 127.0.0.1 in /etc/hosts"

listen_on "$OPEN_PORT"
make_conf "$CONF" <<EOF
$(daemon_as nobody)
defaults = { interval = $INTERVAL; count = 4; timeout = 0.5;
  down_after = $DOWN_AFTER; up_after = $UP_AFTER; };
targets = (
  { id = "lo4"; name = "Loopback IPv4"; type = "ping"; host = "127.0.0.1"; },
  { id = "lo6"; name = "Loopback IPv6"; type = "ping"; host = "::1"; },
  { id = "lohost"; name = "localhost"; type = "ping"; host = "localhost"; },
  { id = "tcp-open"; name = "Cổng mở"; type = "tcp"; host = "127.0.0.1";
    port = $OPEN_PORT; count = 2; },
  { id = "tcp-closed"; name = "Cổng đóng"; type = "tcp"; host = "127.0.0.1";
    port = $CLOSED_PORT; count = 2; }
);
EOF
check "tramond -n accepts the configuration" \
    "$top_builddir/tramond" -n -c "$CONF"
tramond_start "$CONF"

all_up() {
	json_test "$WEB/status.json" '(all(t(i)["state"] == "up"
	    for i in ("lo4", "lo6", "lohost", "tcp-open")) and
	    t("tcp-closed")["state"] == "down")'
}
wait_for 30 all_up
what="status.json: lo4, lo6, localhost and the open port up, the closed"
check "$what port down" all_up
for id in lo4 lo6 lohost tcp-open; do
	rtt=$(json_get "$WEB/status.json" "t(\"$id\")[\"rtt_ms\"]")
	check "status.json: $id rtt $rtt ms, above 0 and under 50 ms (loopback; a loaded machine is slow to run the loop)" \
	    fcmp "$rtt > 0 && $rtt < 50"
done
ctl_status "$CONF" || fail "tramonctl status --json failed"
for id in lo4 lo6 lohost tcp-open; do
	st=$(json_get "$TEST_TMP/ctl.json" "t(\"$id\")[\"state\"]")
	rtt=$(json_get "$TEST_TMP/ctl.json" "t(\"$id\")[\"rtt_ms\"]")
	check "tramonctl status --json: $id $st, rtt $rtt ms" \
	    fcmp "\"$st\" == \"up\" && $rtt > 0 && $rtt < 50"
done
check "tramonctl status --json: lohost is \"localhost\"" \
    json_test "$TEST_TMP/ctl.json" 't("lohost")["host"] == "localhost"'
check "localhost resolved to 127.0.0.1 (from /etc/hosts)" \
    grep -q "ping: lohost: localhost is 127.0.0.1" "$TRAMOND_LOG"
check "IPv6 has its own socket" \
    grep -q "ping: IPv6: raw socket" "$TRAMOND_LOG"

# --- privileges -------------------------------------------------------------

check "raw ICMP sockets opened before the drop" \
    grep -q "ping: IPv4: raw socket" "$TRAMOND_LOG"
# every thread of the daemon: capabilities are per thread
privs_ok() {
	local f n=0

	for f in /proc/"$TRAMOND_PID"/task/*/status; do
		awk '
		/^Uid:/ || /^Gid:/ {
			if ($2 != 65534 || $3 != 65534 || $4 != 65534 ||
			    $5 != 65534)
				bad = bad " " $0
		}
		/^Cap(Eff|Prm|Amb|Inh):/ && $2 !~ /^0+$/ { bad = bad " " $0 }
		/^NoNewPrivs:/ && $2 != 1 { bad = bad " " $0 }
		END {
			if (bad) { print FILENAME ":" bad; exit 1 }
		}' "$f" || return 1
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
}
nthreads=$(find /proc/"$TRAMOND_PID"/task -mindepth 1 -maxdepth 1 | wc -l)
what="tramond runs as 65534 (Uid, Gid) without capabilities in any of"
check "$what its $nthreads threads" privs_ok

# --- 2. tcp ---------------------------------------------------------------

check "status.json: the closed port's reason is \"connection refused\"" \
    json_test "$WEB/status.json" \
    't("tcp-closed").get("reason") == "connection refused"'
what="tramonctl status --json: the closed port's reason is"
check "$what \"connection refused\"" json_test "$TEST_TMP/ctl.json" \
    't("tcp-closed")["reason"] == "connection refused"'
JOURNAL=$(ls "$STATE"/journal/*.jsonl 2>/dev/null | tail -n 1)
journal_has() {
	grep -F "\"target\":\"$1\"" "$JOURNAL" 2>/dev/null |
	    grep -F "\"to\":\"$2\"" | grep -qF "$3"
}
check "journal: tcp-closed down, \"connection refused\"" \
    journal_has tcp-closed down '"reason":"connection refused"'

# Close the port: still up after one failed round, down after down_after.
fails0=$(rounds tcp-open "" "round: 0/")
listen_stop
nth_fail() {
	[ "$(rounds tcp-open "" "round: 0/")" -ge $((fails0 + $1)) ]
}
wait_for 10 nth_fail 1 || fail "no failed round after closing the port"
check "one failed round: tcp-open still up" \
    ctl_test "$CONF" 't("tcp-open")["state"] == "up"'
wait_for 10 nth_fail "$DOWN_AFTER" ||
    fail "no $DOWN_AFTER failed rounds after closing the port"
check "$DOWN_AFTER failed rounds: tcp-open down, connection refused" \
    ctl_test "$CONF" '(t("tcp-open")["state"] == "down" and
	t("tcp-open")["reason"] == "connection refused")'
check "journal: tcp-open up -> down, \"connection refused\"" \
    journal_has tcp-open down '"from":"up"'

# Reopen it: still down after one good round, up after up_after.
goods0=$(rounds tcp-open "" "round: [1-9]")
listen_on "$OPEN_PORT"
nth_good() {
	[ "$(rounds tcp-open "" "round: [1-9]")" -ge $((goods0 + $1)) ]
}
wait_for 10 nth_good 1 || fail "no good round after reopening the port"
if [ "$UP_AFTER" -gt 1 ]; then
	check "one good round: tcp-open still down" \
	    ctl_test "$CONF" 't("tcp-open")["state"] == "down"'
fi
wait_for 10 nth_good "$UP_AFTER" ||
    fail "no $UP_AFTER good rounds after reopening the port"
check "$UP_AFTER good rounds: tcp-open up again" \
    ctl_test "$CONF" 't("tcp-open")["state"] == "up"'
wait_for 5 journal_has tcp-open up '"from":"down"'
check "journal: tcp-open down -> up" journal_has tcp-open up '"from":"down"'

tramond_stop || fail "tramond exited with status $?"
listen_stop
echo "# part 1 done after $(($(date +%s) - T0)) s"

# --- 3. unprivileged, in a namespace of our own --------------------------

ip netns add "$NS" || hard_error "ip netns add $NS"
ip -n "$NS" link set lo up
U_DIR=$TEST_TMP/nobody
mkdir -p "$U_DIR"
chown nobody:nogroup "$U_DIR"
U_CONF=$U_DIR/tramon.conf
U_LOG=$TEST_TMP/unpriv.log
{
	daemon_section |
	    sed -e 's/user        = "root"/user        = "nobody"/' \
		-e "s|$TEST_TMP/|$U_DIR/|"
	cat <<EOF
targets = (
  { id = "lo4"; name = "Loopback"; type = "ping"; host = "127.0.0.1";
    interval = 1; count = 2; timeout = 0.5; down_after = 2; up_after = 1; }
);
EOF
} >"$U_CONF"
chmod 644 "$U_CONF"

# unpriv_start: tramond as nobody:nogroup, no capability of any kind,
# in the namespace; its stderr in $U_LOG
unpriv_start() {
	ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup \
	    --clear-groups --inh-caps=-all --ambient-caps=-all \
	    --bounding-set=-all -- \
	    "$top_builddir/tramond" -f -c "$U_CONF" 2>"$U_LOG" 8>&- &
	U_PID=$!
}

# unpriv_wait SECONDS: wait for it to exit; its status in U_RC
unpriv_wait() {
	local n=0

	while kill -0 "$U_PID" 2>/dev/null && [ $n -lt $(($1 * 10)) ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$U_PID" 2>/dev/null; then
		kill -KILL "$U_PID"
		wait "$U_PID" 2>/dev/null
		U_RC=killed
	else
		U_RC=0
		wait "$U_PID" 2>/dev/null || U_RC=$?
	fi
	U_PID=
}

# (a) ping sockets allowed for every group
ip netns exec "$NS" sysctl -qw net.ipv4.ping_group_range="0 2147483647" ||
    hard_error "cannot set ping_group_range in $NS"
unpriv_start
u_up() {
	ctl_test "$U_CONF" 't("lo4")["state"] == "up"'
}
check "as nobody without capabilities: lo4 up over a ping socket" \
    wait_for 20 u_up
check "tramond says it uses a datagram (ping) socket" \
    grep -q "ping: IPv4: ping (datagram) socket" "$U_LOG"
rtt=$(json_get "$TEST_TMP/ctl.json" 't("lo4")["rtt_ms"]' 2>/dev/null)
check "as nobody: rtt $rtt ms, above 0 and under 50 ms" \
    fcmp "$rtt > 0 && $rtt < 50"
u_exe=$(readlink "/proc/$U_PID/exe")
check "the process watched is tramond ($u_exe)" \
    [ "$u_exe" = "$(readlink -f "$top_builddir/tramond")" ]
u_status=$(awk '/^(Uid|CapEff|CapPrm):/ { printf "%s ", $0 }' \
    "/proc/$U_PID/status" 2>/dev/null)
check "it runs as nobody with no capability ($u_status)" \
    awk '/^Uid:/ { u = ($2 == 65534 && $3 == 65534) }
	/^Cap(Eff|Prm):/ && $2 !~ /^0+$/ { c = 1 }
	END { exit !(u && !c) }' "/proc/$U_PID/status"
kill -TERM "$U_PID" 2>/dev/null
unpriv_wait 20
check "it stops cleanly on SIGTERM (status $U_RC)" [ "$U_RC" = 0 ]

# (b) ping sockets allowed for nobody's group: none
ip netns exec "$NS" sysctl -qw net.ipv4.ping_group_range="1 0" ||
    hard_error "cannot close ping_group_range in $NS"
unpriv_start
unpriv_wait 15
check "with ping_group_range \"1 0\" tramond refuses to start (status $U_RC)" \
    fcmp "\"$U_RC\" != \"killed\" && $U_RC != 0"
grep -m 1 "cannot open an ICMP socket" "$U_LOG" | sed 's/^/# /'
check "its message names the sysctl with nobody's gid" \
    grep -q 'sysctl -w net.ipv4.ping_group_range="65534 65534"' "$U_LOG"
check "its message says the range excludes gid 65534" \
    grep -q 'ping_group_range is "1 0", which excludes gid 65534' "$U_LOG"
check "its message names the capability (setcap, AmbientCapabilities)" \
    grep -q 'setcap cap_net_raw+ep .*AmbientCapabilities=CAP_NET_RAW' \
    "$U_LOG"

check "no sanitizer report in tramond's logs" \
    no_sanitizer "$TRAMOND_LOG" "$U_LOG"

ip netns del "$NS" || fail "cannot remove $NS"
echo "# run time $(($(date +%s) - T0)) s"
summary
