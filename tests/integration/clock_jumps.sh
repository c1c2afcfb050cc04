#!/usr/bin/env bash
#
# The wall clock jumps (issue 9): an old PC boots a year ahead, NTP sets
# it right, later it runs two hours ahead and is corrected, and a small
# step back of five minutes.  tramond runs under libfaketime (Debian's
# faketime: LD_PRELOAD, the offset read from a file at every call, the
# monotonic clock left alone), with a target that answers and one that
# does not.  Checks:
#  - rounds go on at their interval throughout (the scheduler uses the
#    monotonic clock): the answering target never changes state, the
#    silent one stays DOWN, no notice beyond the first DOWN;
#  - round-trip times stay sane (the kernel's receive stamps are not
#    faked: a round's time comes from the monotonic clock then);
#  - the RRD files written in the false future are made again from the
#    present once the clock is right (not refused for a year), and after
#    the two-hour correction too; a five-minute step back is only skipped;
#  - the journal goes on, and tramond runs on.
#
. "$top_srcdir/tests/lib.sh"
need_root

FAKETIME_LIB=
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 \
    /usr/lib/*/faketime/libfaketime.so.1; do
	[ -e "$f" ] && { FAKETIME_LIB=$f; break; }
done
[ -n "$FAKETIME_LIB" ] || skip "needs libfaketime (tests/deps.sh: faketime)"

PORT=$(free_port)
CLOSED=$(free_port)
OFFSET=$TEST_TMP/offset
RRD=$TEST_TMP/state/rrd/lo.rrd
echo "+365d" >"$OFFSET"

make_conf "$TEST_TMP/tramon.conf" <<EOF
$(daemon_section "127.0.0.1:$PORT")
targets = (
  { id = "lo"; name = "Loopback"; type = "ping"; host = "127.0.0.1";
    interval = 2; count = 2; timeout = 0.5; },
  { id = "closed"; name = "Nobody"; type = "tcp"; host = "127.0.0.1";
    port = $CLOSED; interval = 2; count = 1; timeout = 0.5; }
);
EOF
# (an ASan build wants its runtime first: libfaketime comes before it)
export FAKETIME_TIMESTAMP_FILE=$OFFSET FAKETIME_NO_CACHE=1 \
    FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=$FAKETIME_LIB \
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
tramond_start "$TEST_TMP/tramon.conf"
unset FAKETIME_TIMESTAMP_FILE FAKETIME_NO_CACHE FAKETIME_DONT_FAKE_MONOTONIC \
    LD_PRELOAD

last_update() { rrdtool lastupdate "$RRD" 2>/dev/null | awk -F: 'NR == 3 { print $1 }'; }
# near EXPECTED SLACK: the file's last update within SLACK s of EXPECTED
near() { local l; l=$(last_update); [ -n "$l" ] && [ $((l - $1)) -le "$2" ] &&
    [ $(($1 - l)) -le "$2" ]; }
# (the time taken anew at each try of wait_for)
near_now() { near "$(date +%s)" "$1"; }
near_ahead() { near $(($(date +%s) + $1)) "$2"; }
state_of() { json_get "$TEST_TMP/www/status.json" "t(\"$1\")[\"state\"]" 2>/dev/null; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }

year=$((365 * 86400))
both() { is_state lo up && is_state closed down; }
check "a year ahead: lo up, closed down" wait_for 30 both
check "the RRD was written a year ahead" wait_for 40 near_ahead "$year" 30

# NTP sets the clock right
echo "+0" >"$OFFSET"
check "the RRD is made again from the present" wait_for 40 near_now 15
check "the log says why" grep -q "ahead of the clock (the clock was wrong" "$TRAMOND_LOG"
sleep 6
check "and is written on" near_now 10

# two hours ahead, then corrected
echo "+2h" >"$OFFSET"
check "two hours ahead: written there" wait_for 40 near_ahead 7200 15
echo "+0" >"$OFFSET"
check "corrected: made again from the present" wait_for 40 near_now 15
rebuilt=$(grep -c "made again from the present" "$TRAMOND_LOG")

# five minutes back: skipped, not made again
echo "-5m" >"$OFFSET"
sleep 8
check "a five-minute step back is skipped, the file not made again" \
    [ "$(grep -c "made again from the present" "$TRAMOND_LOG")" = "$rebuilt" ]
echo "+0" >"$OFFSET"
sleep 6
check "written again once the clock passed its last update" \
    wait_for 40 near_now 10

check "tramond still runs" tramond_running
tramond_stop || fail "tramond exited with an error"
JOURNAL_LINES=$(cat "$TEST_TMP"/state/journal/*.jsonl)
lo_changes=$(grep -c '"event":"state","target":"lo"' <<<"$JOURNAL_LINES")
closed_changes=$(grep -c '"event":"state","target":"closed"' <<<"$JOURNAL_LINES")
echo "# state changes: lo $lo_changes, closed $closed_changes"
check "lo changed state once (unknown -> up), never since" [ "$lo_changes" = 1 ]
check "closed changed state once (unknown -> down)" [ "$closed_changes" = 1 ]
check "no notice but the first DOWN" [ "$(grep -c '"event":"notice"' <<<"$JOURNAL_LINES")" -le 1 ]
rtts=$(grep -o "lo: round: [0-9/]* answered, median [0-9.]* ms" "$TRAMOND_LOG" |
    awk '{ print $(NF - 1) }' | sort -n | tail -n 1)
echo "# the largest median rtt of lo: ${rtts:-?} ms"
check "round-trip times stayed sane (< 50 ms)" awk -v r="${rtts:-1e9}" 'BEGIN { exit !(r < 50) }'
summary
