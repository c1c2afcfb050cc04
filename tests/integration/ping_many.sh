#!/usr/bin/env bash
#
# Many ping targets share one pacer (plugins/ping/ping.c): every running
# round waits in one heap under one timer, and a wake-up sends what is
# due for all of them.  On loopback (every 127.0.0.0/8 address answers):
#  - 300 targets of three kinds (count 5 every 2 s, count 3 every 3 s
#    with a 0.3-s timeout, count 1 every 1 s) all come up, and every
#    round sends its count and gets every reply: no loss, no late, no
#    duplicate, no wrong-source reply, no send error;
#    (How late echoes leave is measured by bench/icmp.sh, not here: a
#    timing bound in a test fails on a loaded machine.)
#  - a reload that drops half the targets and changes the count of
#    others, while their rounds are running, leaves the heap sound: the
#    dropped ones stop, the others go on without loss, and the echoes
#    sent and answered still add up.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd curl

N=300
PORT=$(free_port)
CONF=$TEST_TMP/tramon.conf
WEB=$TEST_TMP/www

# 127.23.A.B: 250 a /24, none of them the tests' usual 127.0.0.1
addr() { echo "127.23.$(($1 / 250)).$((1 + $1 % 250))"; }

targets() {	# $1 = how many, $2 = the count of the "a" kind
	local i kind
	for ((i = 0; i < $1; i++)); do
		case $((i % 3)) in
		0) kind="interval = 2; count = $2;" ;;
		1) kind="interval = 3; count = 3; timeout = 0.3;" ;;
		2) kind="interval = 1; count = 1; timeout = 0.5;" ;;
		esac
		printf '  { id = "p%d"; type = "ping"; host = "%s"; %s }%s\n' \
		    "$i" "$(addr "$i")" "$kind" "$([ $i -lt $(($1 - 1)) ] && echo ,)"
	done
}

write_conf() {
	make_conf "$CONF" <<EOF
$(daemon_section "127.0.0.1:$PORT" | sed 's/log_level   = "debug"/log_level   = "info"/')
defaults = { timeout = 1.0; down_after = 2; up_after = 1; };
targets = (
$(targets "$@")
);
EOF
}

metrics() {
	curl -fsS --max-time 30 -o "$TEST_TMP/metrics.$1" \
	    "http://127.0.0.1:$PORT/metrics"
}

# counter NAME FILE-SUFFIX: a probe counter from a /metrics reading
counter() {
	sed -n "s/^tramon_probe_events_total{counter=\"$1\"} //p" \
	    "$TEST_TMP/metrics.$2"
}

# States from the control socket (status.json waits for a render).
ctl_test() {
	tramonctl -c "$CONF" status --json >"$TEST_TMP/ctl.json" 2>/dev/null &&
	    json_test "$TEST_TMP/ctl.json" "$1"
}

all_up() {	# $1 = how many targets
	ctl_test "sum(1 for x in d['targets'] if x['state'] == 'up') == $1"
}

write_conf "$N" 5
"$top_builddir/tramond" -n -c "$CONF" || hard_error "tramond -n refuses the configuration"
tramond_start "$CONF"
wait_for 60 all_up "$N"
check "all $N targets up" all_up "$N"

# Over a window of a few rounds: every echo answered, none late.
metrics a || hard_error "no /metrics"
sleep 8
metrics b || hard_error "no /metrics"
for c in icmp_sent icmp_received icmp_late icmp_duplicates \
    icmp_wrong_source icmp_send_errors icmp_malformed; do
	a=$(counter "$c" a) b=$(counter "$c" b)
	[ -n "$a" ] && [ -n "$b" ] || hard_error "/metrics lacks $c"
	eval "d_$c=$((b - a))"
done
# 100 x 5/2 s + 100 x 3/3 s + 100 x 1/1 s = 450 echoes a second
check "about 450 echoes a second sent in the window ($d_icmp_sent in 8 s)" \
    test "$d_icmp_sent" -ge 2500 -a "$d_icmp_sent" -le 4500
check "every echo answered (sent $d_icmp_sent, received $d_icmp_received, within the replies in flight)" \
    test $((d_icmp_sent - d_icmp_received)) -le 50 -a \
    $((d_icmp_received - d_icmp_sent)) -le 50
check "no late, duplicate, wrong-source or malformed reply, no send error" \
    test $((d_icmp_late + d_icmp_duplicates + d_icmp_wrong_source + \
    d_icmp_malformed + d_icmp_send_errors)) -eq 0
check "tramonctl status: no target has lost an echo" \
    ctl_test "all(x.get('loss_pct') == 0 for x in d['targets'])"

# Reload while rounds run: half the targets go, the count-5 kind
# becomes count-4.
write_conf $((N / 2)) 4
kill -HUP "$TRAMOND_PID"
gone() {
	ctl_test "len(d['targets']) == $((N / 2))"
}
wait_for 30 gone
check "after the reload: $((N / 2)) targets" gone
sleep 3	# rounds begun before the reload have ended
metrics c || hard_error "no /metrics"
sleep 8
metrics d || hard_error "no /metrics"
sent=$(($(counter icmp_sent d) - $(counter icmp_sent c)))
recv=$(($(counter icmp_received d) - $(counter icmp_received c)))
# 50 x 4/2 s + 50 x 3/3 s + 50 x 1/1 s = 200 a second
check "after the reload about 200 echoes a second ($sent in 8 s)" \
    test "$sent" -ge 1100 -a "$sent" -le 2000
check "after the reload every echo answered (sent $sent, received $recv)" \
    test $((sent - recv)) -le 30 -a $((recv - sent)) -le 30
check "after the reload all $((N / 2)) targets up" all_up $((N / 2))
check "the dropped targets are gone (no p299)" \
    ctl_test "not any(x['id'] == 'p299' for x in d['targets'])"

tramond_stop || fail "tramond exited with status $?"
check "no sanitizer report" sh -c "! grep -E 'Sanitizer|runtime error:' '$TRAMOND_LOG'"
summary
