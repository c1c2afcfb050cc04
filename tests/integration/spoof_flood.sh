#!/usr/bin/env bash
#
# A flood of forged ICMP echo replies cannot make a dead target look up
# (issue 9).  A network namespace of this test's own (a veth pair,
# 198.18.250.0/29) holds a "commune router" that does not answer pings
# (net.ipv4.icmp_echo_ignore_all=1) and a forger beside it that does not
# see tramond's requests (a blind attacker on the LAN) but sends echo
# replies from the router's address at 2,000 a second: tramond's ICMP
# identifier (it is in its log), every sequence number in turn, and
# payloads without tramond's random cookie; some truncated, some with a
# bad checksum, some from another address.  Checks:
#  - the target is DOWN and stays DOWN throughout the flood;
#  - tramond counts the forgeries (tramon_probe_events_total
#    icmp_malformed / icmp_foreign / icmp_wrong_source) and keeps
#    monitoring the loopback target beside it, and runs on;
#  - once the router answers again (echo_ignore_all=0), it is UP.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd ip curl

NS=tm-spoof-$$
VETH=tmsp$$
HOST_IP=198.18.250.1
ROUTER_IP=198.18.250.2
OTHER_IP=198.18.250.3
PORT=$(free_port)
FORGER=

spoof_cleanup() {
	local rc=$?

	[ -z "$FORGER" ] || { kill "$FORGER" 2>/dev/null; wait "$FORGER" 2>/dev/null; }
	ip link del "$VETH" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	(exit "$rc")
	lib_cleanup
}
trap spoof_cleanup EXIT

ip netns add "$NS" || skip "cannot create a network namespace"
ip link add "$VETH" type veth peer name eth0 netns "$NS" ||
    hard_error "cannot create the veth pair"
ip addr add "$HOST_IP/29" dev "$VETH"
ip link set "$VETH" up
ip -n "$NS" addr add "$ROUTER_IP/29" dev eth0
ip -n "$NS" addr add "$OTHER_IP/32" dev eth0
ip -n "$NS" link set eth0 up
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -q -w net.ipv4.icmp_echo_ignore_all=1 ||
    hard_error "sysctl in the namespace"

make_conf "$TEST_TMP/tramon.conf" <<EOF
$(daemon_section "127.0.0.1:$PORT")
defaults = { type = "ping"; interval = 2; count = 4; timeout = 0.5;
  down_after = 2; up_after = 2; };
targets = (
  { id = "tra-linh"; name = "Xã Trà Linh"; host = "$ROUTER_IP"; },
  { id = "lo"; name = "Loopback"; host = "127.0.0.1"; }
);
EOF
tramond_start "$TEST_TMP/tramon.conf"
state_of() { json_get "$TEST_TMP/www/status.json" "t(\"$1\")[\"state\"]" 2>/dev/null; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
check "the silent router is DOWN" wait_for 40 is_state tra-linh down
check "the loopback target is up" wait_for 20 is_state lo up
ICMP_ID=$(sed -n 's/.*ping: IPv4: raw socket, id \([0-9]*\).*/\1/p' \
    "$TRAMOND_LOG" | head -n 1)
check "tramond's ICMP identifier is in its log ($ICMP_ID)" [ -n "$ICMP_ID" ]

metric() {
	curl -s -m 5 "http://127.0.0.1:$PORT/metrics" |
	    awk -v c="counter=\"$1\"" 'index($0, c) { print $2 }'
}
forged_seen() {
	echo $(( $(metric icmp_malformed) + $(metric icmp_foreign) + \
	    $(metric icmp_wrong_source) ))
}
before=$(forged_seen)

# the forger: raw ICMP from inside the namespace, 2,000 replies a second
ip netns exec "$NS" "$PYTHON" - "$ROUTER_IP" "$OTHER_IP" "$HOST_IP" \
    "${ICMP_ID:-0}" >"$TEST_TMP/forger.log" 2>&1 <<'EOF' &
import os, random, socket, struct, sys, time
src, other, dst, ident = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def ip_header(s, d, n):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + n, random.getrandbits(16),
                    0, 64, socket.IPPROTO_ICMP, 0, socket.inet_aton(s),
                    socket.inet_aton(d))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]

raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
seq, sent, t0 = 0, 0, time.monotonic()
while time.monotonic() - t0 < 40:
    kind = sent % 10
    body = os.urandom(48)                   # no cookie of tramond's
    icmp = struct.pack("!BBHHH", 0, 0, 0, ident, seq & 0xffff) + body
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    if kind == 7:
        icmp = icmp[:6]                     # truncated
    elif kind == 8:
        icmp = icmp[:2] + b"\xde\xad" + icmp[4:]    # bad checksum
    s = other if kind == 9 else src         # from another address
    raw.sendto(ip_header(s, dst, len(icmp)) + icmp, (dst, 0))
    sent += 1
    seq += 1
    if sent % 200 == 0:
        time.sleep(0.1)                     # ~2,000 a second
print("forged %d replies" % sent)
EOF
FORGER=$!

# for the flood's 40 s: never up
up_seen=0
for _ in $(seq 1 36); do
	case $(state_of tra-linh) in up|degraded) up_seen=1 ;; esac
	sleep 1
done
check "under the flood tra-linh never looked up" [ "$up_seen" = 0 ]
check "and is still DOWN" is_state tra-linh down
check "the loopback target stayed up" is_state lo up
wait "$FORGER"
FORGER=
cat "$TEST_TMP/forger.log"
after=$(forged_seen)
echo "# forgeries counted by tramond: $((after - before))"
check "tramond counted the forgeries (dropped)" [ $((after - before)) -gt 1000 ]
check "tramond still runs" tramond_running

ip netns exec "$NS" sysctl -q -w net.ipv4.icmp_echo_ignore_all=0
check "the router answering again: tra-linh UP" wait_for 30 is_state tra-linh up
summary
