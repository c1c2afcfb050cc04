#!/bin/bash
#
# lab.sh: the simulated Nam Trà My district in network namespaces, for the
# demo and the integration tests.  Run as root.
#
#   lab.sh up                      (re)create everything, wait until it answers
#   lab.sh down                    remove everything (safe to repeat)
#   lab.sh status                  what is up, per site (exit 3: lab down)
#   lab.sh cut SITE                take a site off the network ...
#   lab.sh restore SITE            ... and bring it back
#   lab.sh noc down|up             unplug / plug back the monitoring PC's
#                                  own cable (its switch port p-noc):
#                                  every site out of reach at once
#   lab.sh emulate SITE DELAY_MS JITTER_MS LOSS_PCT [DUP_PCT [GARBAGE_PCT]]
#   lab.sh emulate SITE kernel     let the kernel answer pings again (~0 ms)
#   lab.sh tcp SITE PORT on|off    open / close a TCP listener
#   lab.sh exec SITE CMD [ARG...]  run a command inside a site's namespace
#   lab.sh addr SITE               print a site's address
#   lab.sh snmp start|stop|restart|status   the core switch's SNMP agent
#   lab.sh port SITE down|up       unplug / plug back the cable of a site's
#                                  core-switch port
#   lab.sh traffic SITE BYTES [SECONDS [to|from]]
#                                  send BYTES of UDP through the switch port
#                                  of SITE, print what crossed it
#   lab.sh web SITE ok|error|slow [SECONDS]
#                                  how a web service answers "/"
#   lab.sh sip SITE on|off         start / stop a site's SIP endpoint
#   lab.sh ca                      print the file of the lab's CA certificate
#
# SITE is a target id of conf/tramon.conf (tra-linh, wan, huyen-uy,
# uplink-vnpt, portal ...) or a namespace name (c07, tm-c07, huyenuy,
# isp1).  The topology is the table in district.sh, next to this script.
#
# tramond runs in the root namespace; everything it watches lives in tm-*
# namespaces.  The kernel has no netem, so each site's link (delay,
# jitter, loss) is emulated by echod, which answers the pings there in
# place of the kernel.
#
# The LAN switch (tm-lan, bridge br0) is the core switch core-sw: net-snmp's
# snmpd runs there on the switch's address (when snmpd is installed), and
# its interfaces are the switch's ports, one veth per LAN site plus p-noc
# (the monitoring PC), so their counters move with real traffic.
#   snmp stop|start    the agent goes silent / answers again
#   snmp restart       the switch reboots: sysUpTime starts again from 0
#   port SITE down     the site's end of the cable goes down: the switch
#                      port is oper down, admin up (`cut` instead shuts the
#                      switch port: admin down)
#   traffic SITE ...   UDP from the monitoring PC to the site ("to", the
#                      port's out octets) or back ("from", its in octets),
#                      BYTES of payload evenly over SECONDS (default 0: at
#                      once); prints one line of KEY=VALUE: port, payload,
#                      datagrams, start, end, seconds, and out_octets /
#                      in_octets = how much the port's counters grew
#                      (frames as the switch counts them, headers and ARP
#                      included).  Sites behind the WAN router are reached
#                      through p-wan.
#
# The province data centre (tm-dc, behind the VNPT uplink) serves the
# district's web services over HTTPS (portal, qoffice, motcua; LAB_WEB in
# district.sh): tests/lab/webd.py in each site's namespace, on port 443
# of its address, with a certificate for the service's name from a CA
# that `up` makes in $LAB_RUN_DIR/ca (`lab.sh ca` prints the CA's file,
# for a target's ca_file).  Q-Office's certificate expires in 10 days.
#   web SITE error     "/" answers 500
#   web SITE slow [S]  "/" answers after S seconds (default 1.5)
#   web SITE ok        "/" answers at once again
# The Huyện ủy's video-conference unit also answers SIP OPTIONS (sipp
# with tests/sip/uas_options.xml, UDP 5060; LAB_SIP):
#   sip SITE off|on    the SIP endpoint stops / answers again (a closed
#                      UDP port: ICMP port unreachable)
# `cut` and `restore` take any of these sites off the network and back.
#
# Environment:
#   ECHOD        the echod binary (default: $top_builddir/tests/lab/echod,
#                ./build/tests/lab/echod, or build/ next to the sources)
#   LAB_RUN_DIR  pid files, emulation state, echod logs (/run/tramon-lab)
#   LAB_SEED     make every echod's randomness reproducible
#   LAB_UP_TIMEOUT  seconds `up` waits for every site to answer (30)
#   LAB_QUIET=1  print only errors
#   LAB_SNMP=0   do not start snmpd with `up`
#   LAB_SIP_OFF=1  do not start the SIP endpoints with `up`
#
# shellcheck disable=SC2015  # "A && B || die": die when either fails
set -Eeuo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=district.sh
. "$LAB_DIR/district.sh"

RUN_DIR=${LAB_RUN_DIR:-/run/tramon-lab}
LOCK_FILE=${RUN_DIR%/}.lock
UP_TIMEOUT=${LAB_UP_TIMEOUT:-30}
ROUTER_NS=tm-wan		# the router: holds the WAN bridge and p2p links
LAN_NS=tm-lan			# the LAN switch
DC_NS=tm-dc			# the province data centre's switch
CA_DIR=$RUN_DIR/ca		# the lab's CA and the web services' certificates
WEBD_PY=$LAB_DIR/webd.py
SIP_SCENARIO=$LAB_DIR/../sip/uas_options.xml
SNMP_DIR=$RUN_DIR/snmpd		# snmpd.conf, its pid file, log, persistent state
SNMP_CTL=labctl			# snmpd's read-write community, 127.0.0.1 in tm-lan only
TRAFFIC_PY=$LAB_DIR/../snmp/traffic.py
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
ME=lab.sh

die() {
	echo "$ME: error: $*" >&2
	exit 1
}

note() {
	[ -n "${LAB_QUIET:-}" ] || echo "$ME: $*"
}

usage() {
	sed -n '3,28s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 64
}

# --- the table -------------------------------------------------------------

S_ID=() S_NS=() S_ADDR=() S_ATTACH=() S_DELAY=() S_JIT=() S_LOSS=() S_WHAT=()

load_sites() {
	local id ns addr attach delay jitter loss what

	while read -r id ns addr attach delay jitter loss what; do
		[[ -z $id || $id == \#* ]] && continue
		[[ -n $loss ]] || die "district.sh: incomplete line for '$id'"
		S_ID+=("$id") S_NS+=("tm-$ns") S_ADDR+=("$addr")
		S_ATTACH+=("$attach") S_DELAY+=("$delay") S_JIT+=("$jitter")
		S_LOSS+=("$loss") S_WHAT+=("$what")
	done <<<"$LAB_SITES"
	[ ${#S_ID[@]} -gt 0 ] || die "district.sh: no sites"
}

# Sets SI to the index of site $1 (id, ns or tm-ns), or dies.
find_site() {
	local i

	for i in "${!S_ID[@]}"; do
		if [[ $1 == "${S_ID[i]}" || $1 == "${S_NS[i]}" ||
		    "tm-$1" == "${S_NS[i]}" ]]; then
			SI=$i
			return 0
		fi
	done
	die "unknown site '$1' (known: ${S_ID[*]})"
}

# The switch-side end of a site's link ("NAMESPACE IFNAME"): what `cut`
# takes down, so that the site itself keeps its configuration.
switch_port() {
	case ${S_ATTACH[$1]} in
	lan)	echo "$LAN_NS p-${S_NS[$1]#tm-}" ;;
	switch)	echo "$LAN_NS br0" ;;
	dc)	echo "$DC_NS p-${S_NS[$1]#tm-}" ;;
	*)	echo "$ROUTER_NS ${S_NS[$1]#tm-}" ;;
	esac
}

site_ip() {
	echo "${S_ADDR[$1]%/*}"
}

# --- helpers ---------------------------------------------------------------

need_root() {
	[ "$(id -u)" -eq 0 ] ||
	    die "must run as root (it creates network namespaces); try: sudo $0 $*"
}

need_tools() {
	local t

	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
		    die "'$t' not found; run tests/deps.sh (as root) first"
	done
}

lock() {
	mkdir -p "$(dirname "$LOCK_FILE")"
	exec 9>"$LOCK_FILE"
	flock -w 120 9 || die "another lab.sh has held $LOCK_FILE for 120 s"
}

find_echod() {
	local c top

	if [ -n "${ECHOD:-}" ]; then
		[ -x "$ECHOD" ] || die "ECHOD=$ECHOD is not an executable file"
		ECHOD=$(cd "$(dirname "$ECHOD")" && pwd)/$(basename "$ECHOD")
		return 0
	fi
	top=$(cd "$LAB_DIR/../.." && pwd)
	for c in "${top_builddir:+$top_builddir/tests/lab/echod}" \
	    ./build/tests/lab/echod "$top/build/tests/lab/echod"; do
		if [ -n "$c" ] && [ -x "$c" ]; then
			ECHOD=$(cd "$(dirname "$c")" && pwd)/$(basename "$c")
			return 0
		fi
	done
	die "echod not found: build it (make tests/lab/echod) and set ECHOD=path"
}

ns_exists() {
	[ -e "/run/netns/$1" ]
}

# Run a command detached: own session, no inherited descriptors (a lock
# held by the caller must not live on in a daemon), output to a log.
spawn() {
	local log=$1
	shift
	(
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
		done
		exec setsid "$@" </dev/null >>"$log" 2>&1
	) &
}

# Is process $1 alive?  A zombie is not: where PID 1 is slow to reap
# (containers), kill -0 would still succeed on an exited echod.
alive() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# pid in $1 if it is alive, else nothing
pid_of() {
	local pid

	[ -f "$1" ] || return 1
	read -r pid <"$1" 2>/dev/null || return 1
	[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
	echo "$pid"
}

# Stop the process of pid file $1: TERM, wait up to 5 s, then KILL.
stop_pidfile() {
	local pid n=0 cmd

	if pid=$(pid_of "$1"); then
		# only the process we started with this pid file, not
		# whatever got its pid since: its command line names the
		# file (echod -P FILE, snmpd -p FILE, webd.py -P FILE,
		# sipp -key pidfile FILE)
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
		if [[ " $cmd" != *" $1 "* ]]; then
			echo "$ME: warning: $1 names pid $pid ($cmd), not" \
			    "ours; left alone" >&2
			rm -f "$1"
			return 0
		fi
		kill -TERM "$pid" 2>/dev/null || true
		while alive "$pid" && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		if alive "$pid"; then
			echo "$ME: warning: ${cmd%% *} $pid ignored TERM;" \
			    "killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$1"
}

# Wait (max $2 s) for pid file $1 to name a live process.
wait_pidfile() {
	local n=0 max=$(($2 * 10))

	while ! pid_of "$1" >/dev/null; do
		[ $n -lt $max ] || return 1
		sleep 0.1
		n=$((n + 1))
	done
}

is_num() {
	[[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]
}

# --- responders ------------------------------------------------------------

emu_file() {
	echo "$RUN_DIR/emu-${S_ID[$1]}"
}

# Prints "DELAY JITTER LOSS DUP GARBAGE" or "kernel".
emu_get() {
	local f

	f=$(emu_file "$1")
	if [ -f "$f" ]; then
		cat "$f"
	elif [ "${S_DELAY[$1]}" = kernel ]; then
		echo kernel
	else
		echo "${S_DELAY[$1]} ${S_JIT[$1]} ${S_LOSS[$1]} 0 0"
	fi
}

start_responder() {
	local i=$1 ns=${S_NS[$1]} id=${S_ID[$1]} pidf d j l u g seed=()

	read -r d j l u g <<<"$(emu_get "$i")"
	if [ "$d" = kernel ]; then
		ip netns exec "$ns" sysctl -qw net.ipv4.icmp_echo_ignore_all=0
		return 0
	fi
	ip netns exec "$ns" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
	ip netns exec "$ns" sysctl -qw net.ipv6.icmp.echo_ignore_all=1 \
	    2>/dev/null || true
	[ -z "${LAB_SEED:-}" ] || seed=(-s $((LAB_SEED + i)))
	pidf=$RUN_DIR/echod-$id.pid
	rm -f "$pidf"
	spawn "$RUN_DIR/echod-$id.log" ip netns exec "$ns" "$ECHOD" \
	    -d "$d" -j "$j" -l "$l" -u "${u:-0}" -g "${g:-0}" "${seed[@]}" \
	    -P "$pidf"
	wait_pidfile "$pidf" 5 || {
		tail -n 5 "$RUN_DIR/echod-$id.log" >&2 || true
		die "echod for $id did not start (log: $RUN_DIR/echod-$id.log)"
	}
}

stop_responder() {
	stop_pidfile "$RUN_DIR/echod-${S_ID[$1]}.pid"
}

tcp_pidfile() {
	echo "$RUN_DIR/tcp-${S_ID[$1]}-$2.pid"
}

tcp_on() {
	local i=$1 port=$2 pidf

	pidf=$(tcp_pidfile "$i" "$port")
	pid_of "$pidf" >/dev/null && return 0
	spawn "$RUN_DIR/tcp-${S_ID[i]}-$port.log" ip netns exec "${S_NS[i]}" \
	    "$ECHOD" -N -t "$port" -P "$pidf"
	wait_pidfile "$pidf" 5 || {
		tail -n 5 "$RUN_DIR/tcp-${S_ID[i]}-$port.log" >&2 || true
		die "TCP listener ${S_ID[i]}:$port did not start"
	}
}

# --- the web services and the SIP endpoints ---------------------------------

# W_SITE W_PORT W_NAME W_DAYS W_TITLE: the LAB_WEB table
W_SITE=() W_PORT=() W_NAME=() W_DAYS=() W_TITLE=()

load_web() {
	local site port name days title

	while read -r site port name days title; do
		[[ -z $site || $site == \#* ]] && continue
		[[ -n $title ]] || die "district.sh: LAB_WEB: incomplete line for '$site'"
		W_SITE+=("$site") W_PORT+=("$port") W_NAME+=("$name")
		W_DAYS+=("$days") W_TITLE+=("$title")
	done <<<"${LAB_WEB:-}"
}

# Sets WI to the LAB_WEB index of site index $1, or fails.
find_web() {
	local k

	for k in "${!W_SITE[@]}"; do
		if [ "${W_SITE[k]}" = "${S_ID[$1]}" ]; then
			WI=$k
			return 0
		fi
	done
	return 1
}

# openssl's date: YYYYMMDDHHMMSSZ, $1 seconds since the epoch
cert_date() {
	date -u -d "@$1" +%Y%m%d%H%M%SZ
}

# The lab's CA and, signed by it, one certificate per web service (for
# its name only: the targets connect to the address and check the name),
# valid from an hour ago for its DAYS (and an hour, so that a 10-day
# certificate shows 10 days for the whole first hour).  EC P-256 keys:
# fast to make at each `up`.  `openssl ca`, not `x509 -req`: exact end
# dates.
make_certs() {
	local k now db ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

	[ ${#W_SITE[@]} -gt 0 ] || return 0
	need_tools openssl
	mkdir -p "$CA_DIR"
	db=$CA_DIR/db
	mkdir -p "$db"
	openssl req -x509 "${ec[@]}" -keyout "$CA_DIR/ca.key" \
	    -out "$CA_DIR/ca.pem" -days 3650 \
	    -subj "/O=tramon lab/CN=Nam Tra My lab CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$db/log" ||
	    { cat "$db/log" >&2; die "cannot make the lab's CA"; }
	: >"$db/index.txt"
	echo 1000 >"$db/serial"
	now=$(date -u +%s)
	for k in "${!W_SITE[@]}"; do
		[[ ${W_DAYS[k]} =~ ^[0-9]+$ ]] ||
		    die "district.sh: LAB_WEB: ${W_SITE[k]}: bad days '${W_DAYS[k]}'"
		cat >"$db/ca.cnf" <<CNF
[ ca ]
default_ca = lab
[ lab ]
dir = $db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
certificate = $CA_DIR/ca.pem
private_key = $CA_DIR/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = server
[ any ]
commonName = supplied
[ server ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:${W_NAME[k]}
CNF
		openssl req "${ec[@]}" -keyout "$CA_DIR/${W_SITE[k]}.key" \
		    -out "$db/${W_SITE[k]}.csr" -subj "/CN=${W_NAME[k]}" \
		    2>"$db/log" &&
		openssl ca -batch -config "$db/ca.cnf" -notext \
		    -startdate "$(cert_date $((now - 3600)))" \
		    -enddate "$(cert_date $((now + W_DAYS[k] * 86400 + 3600)))" \
		    -in "$db/${W_SITE[k]}.csr" -out "$CA_DIR/${W_SITE[k]}.pem" \
		    2>>"$db/log" ||
		    { cat "$db/log" >&2; die "cannot sign ${W_NAME[k]}"; }
	done
	rm -rf "$db"
	chmod 600 "$CA_DIR"/*.key
}

web_pidfile() {
	echo "$RUN_DIR/web-$1.pid"
}

web_modefile() {
	echo "$RUN_DIR/web-$1.mode"
}

# Start the web service of LAB_WEB index $1 in its site's namespace.
web_on() {
	local k=$1 site=${W_SITE[$1]} pidf log

	find_site "$site"
	pidf=$(web_pidfile "$site")
	log=$RUN_DIR/web-$site.log
	pid_of "$pidf" >/dev/null && return 0
	rm -f "$pidf"
	spawn "$log" ip netns exec "${S_NS[SI]}" "$PYTHON" "$WEBD_PY" \
	    --listen "$(site_ip "$SI"):${W_PORT[k]}" \
	    --cert "$CA_DIR/$site.pem" --key "$CA_DIR/$site.key" \
	    --title "${W_TITLE[k]}" --mode "$(web_modefile "$site")" \
	    -P "$pidf"
	wait_pidfile "$pidf" 10 || {
		tail -n 5 "$log" >&2 || true
		die "the web service $site did not start (log: $log)"
	}
}

sip_pidfile() {
	echo "$RUN_DIR/sip-$1-$2.pid"
}

# Start sipp answering OPTIONS on site index $1, UDP port $2.  sipp has no
# pid file of its own: spawn's process becomes sipp (setsid and ip netns
# exec exec it), so its pid is the one to keep; the pid file's name goes
# on its command line (-key, a scenario variable nobody reads) so that
# stop_pidfile knows it.
sip_on() {
	local i=$1 port=$2 pidf log n=0

	pidf=$(sip_pidfile "${S_ID[i]}" "$port")
	log=$RUN_DIR/sip-${S_ID[i]}-$port.log
	pid_of "$pidf" >/dev/null && return 0
	need_tools sipp
	[ -f "$SIP_SCENARIO" ] || die "$SIP_SCENARIO is missing"
	# -f 3600: its statistics screen (to the log) once an hour, not
	# every second
	spawn "$log" ip netns exec "${S_NS[i]}" sipp -sf "$SIP_SCENARIO" \
	    -i "$(site_ip "$i")" -p "$port" -t u1 -nostdin -f 3600 \
	    -key pidfile "$pidf"
	echo $! >"$pidf"
	until [ -n "$(ip netns exec "${S_NS[i]}" ss -Hlun \
	    "sport = :$port" 2>/dev/null)" ]; do
		if ! pid_of "$pidf" >/dev/null || [ $n -ge 100 ]; then
			tail -n 5 "$log" >&2 || true
			rm -f "$pidf"
			die "sipp on ${S_ID[i]}:$port did not start (log: $log)"
		fi
		sleep 0.1
		n=$((n + 1))
	done
}

start_services() {
	local k t site port

	if [ ${#W_SITE[@]} -gt 0 ]; then
		need_tools "$PYTHON"
		make_certs
		for k in "${!W_SITE[@]}"; do
			web_on "$k"
		done
	fi
	SIP_NOTE=none
	if [ "${LAB_SIP_OFF:-0}" != 1 ] && [ -n "${LAB_SIP:-}" ]; then
		if command -v sipp >/dev/null 2>&1; then
			for t in $LAB_SIP; do
				site=${t%:*} port=${t##*:}
				find_site "$site"
				sip_on "$SI" "$port"
			done
			SIP_NOTE=$LAB_SIP
		else
			SIP_NOTE="none (sipp is not installed)"
		fi
	fi
}

# --- up / down -------------------------------------------------------------

mkns() {
	ip netns add "$1"
	echo "$1" >>"$RUN_DIR/namespaces"
	ip -n "$1" link set lo up
}

# A veth from the switch side ($1 namespace, $2 port) to eth0 of $3.
link_site() {
	ip -n "$1" link add "$2" type veth peer name eth0 netns "$3"
}

build_site() {
	local i=$1 ns=${S_NS[$1]} attach=${S_ATTACH[$1]} port gw

	if [ "$attach" = switch ]; then
		# the switch's own (management) address, on the bridge
		[ "$ns" = "$LAN_NS" ] ||
		    die "district.sh: ${S_ID[i]}: attach switch needs ns lan"
		ip -n "$ns" addr add "${S_ADDR[i]}" dev br0
		ip -n "$ns" route add default via "$LAB_ROUTER"
		return 0
	fi
	[ "$ns" = "$ROUTER_NS" ] || [ "$ns" = "$LAN_NS" ] || mkns "$ns"
	case $attach in
	lan)
		port=p-${ns#tm-}
		link_site "$LAN_NS" "$port" "$ns"
		ip -n "$LAN_NS" link set "$port" master br0 up
		gw=$LAB_ROUTER
		;;
	wan)
		port=${ns#tm-}
		link_site "$ROUTER_NS" "$port" "$ns"
		ip -n "$ROUTER_NS" link set "$port" master br-wan up
		gw=${LAB_WAN_ADDR%/*}
		;;
	dc)
		port=p-${ns#tm-}
		link_site "$DC_NS" "$port" "$ns"
		ip -n "$DC_NS" link set "$port" master br0 up
		gw=${LAB_DC_GW%/*}
		;;
	p2p:*)
		port=${ns#tm-}
		link_site "$ROUTER_NS" "$port" "$ns"
		ip -n "$ROUTER_NS" addr add "${attach#p2p:}" dev "$port"
		ip -n "$ROUTER_NS" link set "$port" up
		gw=${attach#p2p:}
		gw=${gw%/*}
		;;
	*)
		die "district.sh: ${S_ID[i]}: bad attach '$attach'"
		;;
	esac
	ip -n "$ns" addr add "${S_ADDR[i]}" dev eth0
	ip -n "$ns" link set eth0 up
	[ "$ns" = "$ROUTER_NS" ] || ip -n "$ns" route add default via "$gw"
}

build() {
	local i

	mkns "$LAN_NS"
	ip -n "$LAN_NS" link add br0 type bridge
	ip -n "$LAN_NS" link set br0 up

	mkns "$ROUTER_NS"
	ip netns exec "$ROUTER_NS" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$ROUTER_NS" link add br-wan type bridge
	ip -n "$ROUTER_NS" addr add "$LAB_WAN_ADDR" dev br-wan
	ip -n "$ROUTER_NS" link set br-wan up

	mkns "$DC_NS"
	ip -n "$DC_NS" link add br0 type bridge
	ip -n "$DC_NS" link set br0 up

	# the monitoring PC: the only change to the root namespace
	ip link add "$LAB_NOC_IF" type veth peer name p-noc netns "$LAN_NS"
	echo host >>"$RUN_DIR/namespaces"
	sysctl -qw "net.ipv6.conf.$LAB_NOC_IF.disable_ipv6=1" 2>/dev/null || true
	ip -n "$LAN_NS" link set p-noc master br0 up
	ip addr add "$LAB_NOC_ADDR" dev "$LAB_NOC_IF"
	ip link set "$LAB_NOC_IF" up
	ip route add "$LAB_ROUTE" via "$LAB_ROUTER" dev "$LAB_NOC_IF"

	for i in "${!S_ID[@]}"; do
		build_site "$i"
	done
	build_dc_uplink
	set_port_aliases
}

# The data centre's switch hangs off the uplink's gateway (tm-isp1), which
# routes for it; the router sends the data centre's network there.
build_dc_uplink() {
	local ns gw

	find_site "$LAB_DC_UPLINK"
	[[ ${S_ATTACH[SI]} == p2p:* ]] ||
	    die "district.sh: LAB_DC_UPLINK $LAB_DC_UPLINK is not attached p2p"
	ns=${S_NS[SI]}
	gw=$(site_ip "$SI")
	ip -n "$DC_NS" link add p-uplink type veth peer name dc netns "$ns"
	ip -n "$DC_NS" link set p-uplink master br0 up
	ip -n "$ns" addr add "$LAB_DC_GW" dev dc
	ip -n "$ns" link set dc up
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$ROUTER_NS" route add "$LAB_DC_NET" via "$gw"
}

# Ping every site once (retrying the lossy ones) until all answer.
wait_answers() {
	local deadline left=() alive a i

	deadline=$(($(date +%s) + UP_TIMEOUT))
	for i in "${!S_ID[@]}"; do
		left+=("$(site_ip "$i")")
	done
	while [ ${#left[@]} -gt 0 ]; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			die "no answer within ${UP_TIMEOUT} s from: ${left[*]}"
		fi
		alive=$(fping -a -r 0 -t 1500 "${left[@]}" 2>/dev/null || true)
		for a in $alive; do
			for i in "${!left[@]}"; do
				[ "${left[i]}" != "$a" ] || unset 'left[i]'
			done
		done
		left=("${left[@]}")
	done
}

# On any failure during `up` (an error, a die, a signal) leave nothing
# half-built behind.
up_exit() {
	local rc=$?

	[ "$UP_DONE" = 1 ] && return 0
	echo "$ME: up failed${FAILED:+ at $FAILED}; tearing down" >&2
	teardown >/dev/null 2>&1 || true
	exit $((rc ? rc : 1))
}

cmd_up() {
	local i t site port snmp

	find_echod
	lock
	teardown
	mkdir -p "$RUN_DIR"
	UP_DONE=0 FAILED=
	trap up_exit EXIT
	trap 'FAILED="line $LINENO: $BASH_COMMAND"' ERR
	trap 'exit 130' INT
	trap 'exit 143' TERM
	: >"$RUN_DIR/namespaces"
	build
	for i in "${!S_ID[@]}"; do
		start_responder "$i"
	done
	for t in $LAB_TCP; do
		site=${t%:*} port=${t##*:}
		find_site "$site"
		tcp_on "$SI" "$port"
	done
	start_services
	snmp=none
	if [ "${LAB_SNMP:-1}" != 0 ] && command -v snmpd >/dev/null 2>&1 &&
	    command -v snmpset >/dev/null 2>&1; then
		start_snmpd
		snmp="snmpd on $(site_ip "$SW"):$LAB_SNMP_PORT"
	fi
	wait_answers
	UP_DONE=1
	trap - ERR INT TERM EXIT
	echo "$ME: up: ${#S_ID[@]} sites answering; host $LAB_NOC_IF" \
	    "${LAB_NOC_ADDR%/*}, route $LAB_ROUTE via $LAB_ROUTER;" \
	    "tcp ${LAB_TCP:-none}; sip $SIP_NOTE; https ${#W_SITE[@]} sites" \
	    "(CA $CA_DIR/ca.pem); snmp: $snmp; state in $RUN_DIR"
}

# Everything `up` made, whatever state it is in; quiet and idempotent.
teardown() {
	local f ns pids n all=()

	for f in "$RUN_DIR"/*.pid; do
		[ -e "$f" ] && stop_pidfile "$f"
	done
	for ns in "$LAN_NS" "$ROUTER_NS" "$DC_NS" "${S_NS[@]}"; do
		all+=("$ns")
	done
	if [ -f "$RUN_DIR/namespaces" ]; then
		while read -r ns; do
			[[ $ns == tm-* ]] && all+=("$ns")
		done <"$RUN_DIR/namespaces"
	fi
	# Anything still running inside the lab (started by a test, say)
	# would keep its namespace alive after `ip netns del`.
	for ns in $(printf '%s\n' "${all[@]}" | sort -u); do
		ns_exists "$ns" || continue
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			n=0
			while [ $n -lt 30 ] && [ -n "$(ip netns pids "$ns")" ]; do
				sleep 0.1
				n=$((n + 1))
			done
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			# shellcheck disable=SC2086
			[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns"
	done
	if ip link show "$LAB_NOC_IF" >/dev/null 2>&1; then
		# takes the route with it.  Deleting tm-lan above deletes
		# its peer p-noc, and with it this end, but asynchronously:
		# it may have gone in between.
		ip link del "$LAB_NOC_IF" 2>/dev/null ||
		    ! ip link show "$LAB_NOC_IF" >/dev/null 2>&1 ||
		    die "cannot delete $LAB_NOC_IF"
	fi
	if [ -n "$(ip route show "$LAB_ROUTE" 2>/dev/null)" ]; then
		ip route del "$LAB_ROUTE" 2>/dev/null || true
	fi
	rm -rf "$RUN_DIR"
}

cmd_down() {
	lock
	teardown
	note "down"
}

# --- run-time changes ------------------------------------------------------

need_up() {
	ns_exists "${S_NS[$1]}" && ns_exists "$LAN_NS" ||
	    die "the lab is not up (run: $0 up)"
}

cmd_cut_restore() {
	local what=$1 state ns port

	[ $# -eq 2 ] || usage
	find_site "$2"
	need_up "$SI"
	lock
	read -r ns port <<<"$(switch_port "$SI")"
	[ "$what" = cut ] && state=down || state=up
	ip -n "$ns" link set "$port" "$state"
	# the router's port going down took the route to the data centre
	# with it
	if [ "$state" = up ] && [ "${S_ID[SI]}" = "$LAB_DC_UPLINK" ]; then
		ip -n "$ROUTER_NS" route replace "$LAB_DC_NET" via "$(site_ip "$SI")"
	fi
	note "$what ${S_ID[SI]} ($(site_ip "$SI")): $ns $port $state"
}

cmd_emulate() {
	local site=$1 d=${2:-} j=${3:-} l=${4:-} u=${5:-0} g=${6:-0}

	find_site "$site"
	need_up "$SI"
	if [ "$d" = kernel ] && [ $# -eq 2 ]; then
		:
	else
		[ $# -ge 4 ] && [ $# -le 6 ] || usage
		for v in "$d" "$j" "$l" "$u" "$g"; do
			is_num "$v" || die "emulate: '$v' is not a number"
		done
		awk -v d="$d" -v j="$j" -v l="$l" -v u="$u" -v g="$g" 'BEGIN {
			exit !(d <= 600000 && j <= 600000 && l <= 100 &&
			    u <= 100 && g <= 100) }' ||
		    die "emulate: out of range (ms <= 600000, % <= 100)"
	fi
	find_echod
	lock
	stop_responder "$SI"
	if [ "$d" = kernel ]; then
		echo kernel >"$(emu_file "$SI")"
	else
		echo "$d $j $l $u $g" >"$(emu_file "$SI")"
	fi
	start_responder "$SI"
	note "emulate ${S_ID[SI]}: $(emu_get "$SI")"
}

cmd_tcp() {
	[ $# -eq 3 ] || usage
	find_site "$1"
	need_up "$SI"
	[[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 65535 ] ||
	    die "tcp: bad port '$2'"
	lock
	case $3 in
	on)
		find_echod
		tcp_on "$SI" "$2"
		;;
	off)
		stop_pidfile "$(tcp_pidfile "$SI" "$2")"
		;;
	*)
		usage
		;;
	esac
	note "tcp ${S_ID[SI]}:$2 $3"
}

cmd_web() {
	local how=${2:-} secs=${3:-}

	[ $# -ge 2 ] && [ $# -le 3 ] || usage
	find_site "$1"
	need_up "$SI"
	find_web "$SI" || die "web: ${S_ID[SI]} serves no web service" \
	    "(those that do: ${W_SITE[*]})"
	case $how in
	ok|error)
		[ -z "$secs" ] || usage ;;
	slow)
		secs=${secs:-1.5}
		is_num "$secs" && awk -v s="$secs" 'BEGIN { exit !(s <= 600) }' ||
		    die "web: SECONDS must be a number up to 600"
		;;
	*)
		usage ;;
	esac
	lock
	echo "$how${secs:+ $secs}" >"$(web_modefile "${S_ID[SI]}")"
	note "web ${S_ID[SI]}: $how${secs:+ ($secs s)}"
}

cmd_sip() {
	local t site port found=0

	[ $# -eq 2 ] || usage
	find_site "$1"
	need_up "$SI"
	for t in ${LAB_SIP:-}; do
		site=${t%:*} port=${t##*:}
		[ "$site" = "${S_ID[SI]}" ] || continue
		found=1
		case $2 in
		on)	lock; sip_on "$SI" "$port" ;;
		off)	lock; stop_pidfile "$(sip_pidfile "$site" "$port")" ;;
		*)	usage ;;
		esac
		note "sip ${S_ID[SI]}:$port $2"
	done
	[ "$found" = 1 ] || die "sip: ${S_ID[SI]} has no SIP endpoint" \
	    "(LAB_SIP: ${LAB_SIP:-none})"
}

# --- the core switch's SNMP agent -------------------------------------------

# Sets SW to the index of the switch itself: the site whose attach is
# "switch" (core-sw)
switch_site() {
	local i

	for i in "${!S_ID[@]}"; do
		if [ "${S_ATTACH[i]}" = switch ]; then
			SW=$i
			return 0
		fi
	done
	die "district.sh: no site with attach 'switch'"
}

# Linux's ifalias of the switch ports, from LAB_SWITCH_PORTS (shown by
# `ip link`; snmpd does not read it: see start_snmpd)
set_port_aliases() {
	local port alias

	while read -r port alias; do
		[[ -z $port || $port == \#* ]] && continue
		ip -n "$LAN_NS" link show "$port" >/dev/null 2>&1 || continue
		ip -n "$LAN_NS" link set "$port" alias "$alias"
	done <<<"${LAB_SWITCH_PORTS:-}"
}

# A net-snmp tool inside tm-lan against the agent's 127.0.0.1 address with
# the read-write community: numeric OIDs, no MIB files, and no state
# written outside the lab's run directory.
snmp_ctl() {
	local tool=$1
	shift
	ip netns exec "$LAN_NS" env SNMP_PERSISTENT_DIR="$SNMP_DIR/client" \
	    MIBS= MIBDIRS= "$tool" -M /dev/null -t 1 -r 1 -v2c -c "$SNMP_CTL" \
	    "127.0.0.1:$LAB_SNMP_PORT" "$@"
}

write_snmpd_conf() {
	cat <<EOF
# The core switch's SNMP agent, written by lab.sh from district.sh.
sysName ${S_ID[SW]}
sysDescr tramon lab: the district LAN switch (net-snmp snmpd in $LAN_NS)
sysLocation $LAB_SNMP_LOCATION
sysContact Tổ CNTT huyện
sysServices 2
engineID $LAB_SNMP_ENGINE_ID
dontLogTCPWrappersConnects yes

view all included .1
# v1 and v2c, read-only, from anywhere
rocommunity $LAB_SNMP_COMMUNITY default -V all
# lab.sh's own (the cache timeout and the ifAlias values), from 127.0.0.1
# inside $LAN_NS only
rwcommunity $SNMP_CTL 127.0.0.1 -V all
# v3: authPriv only
createUser $LAB_SNMP_V3_USER SHA "$LAB_SNMP_V3_AUTH_PASS" AES "$LAB_SNMP_V3_PRIV_PASS"
rouser $LAB_SNMP_V3_USER priv -V all
EOF
}

snmpd_pidfile() {
	echo "$SNMP_DIR/snmpd.pid"
}

# Start snmpd in tm-lan and wait until it answers.  Then, with SETs
# through the read-write community on 127.0.0.1:
#  - its interface table cache (3 s by default: counters that stand still
#    for 3 s, then jump) expires at once, so that every request reads the
#    kernel's counters of the moment, as on a switch;
#  - the ports get their ifAlias (snmpd keeps ifAlias from SETs, not from
#    Linux's ifalias).
start_snmpd() {
	local pidf addr n=0 port alias idx user=()

	switch_site
	addr=$(site_ip "$SW")
	pidf=$(snmpd_pidfile)
	mkdir -p "$SNMP_DIR/conf" "$SNMP_DIR/persist" "$SNMP_DIR/client"
	write_snmpd_conf >"$SNMP_DIR/conf/snmpd.conf"
	# as Debian's snmpd runs: as its own user, when there is one
	if id Debian-snmp >/dev/null 2>&1; then
		chown Debian-snmp: "$SNMP_DIR/persist"
		user=(-u Debian-snmp -g Debian-snmp)
	fi
	rm -f "$pidf"
	# SNMPCONFPATH: only our snmpd.conf and the state snmpd keeps
	# (engineBoots, the USM user), nothing from /etc/snmp
	spawn "$SNMP_DIR/snmpd.log" ip netns exec "$LAN_NS" env \
	    SNMPCONFPATH="$SNMP_DIR/conf:$SNMP_DIR/persist" MIBS= MIBDIRS= \
	    snmpd -f -Lo "${user[@]}" -p "$pidf" \
	    --persistentDir="$SNMP_DIR/persist" \
	    "udp:$addr:$LAB_SNMP_PORT,udp:127.0.0.1:$LAB_SNMP_PORT"
	until pid_of "$pidf" >/dev/null &&
	    snmp_ctl snmpget 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; do
		if [ $n -ge 50 ]; then
			tail -n 5 "$SNMP_DIR/snmpd.log" >&2 || true
			die "snmpd did not answer within 10 s" \
			    "(log: $SNMP_DIR/snmpd.log)"
		fi
		sleep 0.2
		n=$((n + 1))
	done
	# nsCacheTimeout of ifTable (ifXTable shares its cache)
	snmp_ctl snmpset 1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2 i 0 \
	    >/dev/null || die "snmpd: cannot set the ifTable cache timeout"
	while read -r port alias; do
		[[ -z $port || $port == \#* ]] && continue
		idx=$(ip netns exec "$LAN_NS" cat "/sys/class/net/$port/ifindex" \
		    2>/dev/null) || continue
		snmp_ctl snmpset "1.3.6.1.2.1.31.1.1.1.18.$idx" s "$alias" \
		    >/dev/null || die "snmpd: cannot set the ifAlias of $port"
	done <<<"${LAB_SWITCH_PORTS:-}"
}

stop_snmpd() {
	stop_pidfile "$(snmpd_pidfile)"
}

cmd_snmp() {
	local pid up

	[ $# -eq 1 ] || usage
	if [ "$1" = status ]; then
		need_tools snmpget
	else
		need_tools snmpd snmpget snmpset
	fi
	ns_exists "$LAN_NS" || die "the lab is not up (run: $0 up)"
	case $1 in
	start)
		lock
		if pid_of "$(snmpd_pidfile)" >/dev/null; then
			note "snmp: already running"
			return 0
		fi
		start_snmpd
		;;
	stop)
		lock
		stop_snmpd
		;;
	restart)
		lock
		stop_snmpd
		start_snmpd
		;;
	status)
		switch_site
		if pid=$(pid_of "$(snmpd_pidfile)"); then
			up=$(snmp_ctl snmpget -Oqv 1.3.6.1.2.1.1.3.0 2>/dev/null) ||
			    up="no answer"
			echo "snmp: snmpd (pid $pid) on" \
			    "$(site_ip "$SW"):$LAB_SNMP_PORT, sysUpTime $up"
			return 0
		fi
		echo "snmp: stopped"
		return 3
		;;
	*)
		usage
		;;
	esac
	note "snmp $1"
}

# --- switch ports and traffic ------------------------------------------------

# Sets SP to the LAN switch port that traffic to site $1 leaves by: its own
# for a LAN site, the WAN router's for the sites behind it.
traffic_port() {
	case ${S_ATTACH[$1]} in
	lan)	SP=p-${S_NS[$1]#tm-} ;;
	switch)	die "traffic: ${S_ID[$1]} is the switch itself" ;;
	*)	SP=p-${ROUTER_NS#tm-} ;;
	esac
	ip -n "$LAN_NS" link show "$SP" >/dev/null 2>&1 ||
	    die "traffic: no port $SP on the LAN switch"
}

cmd_port() {
	local ns port lan=() i

	[ $# -eq 2 ] || usage
	find_site "$1"
	need_up "$SI"
	if [ "${S_ATTACH[SI]}" != lan ]; then
		for i in "${!S_ID[@]}"; do
			[ "${S_ATTACH[i]}" != lan ] || lan+=("${S_ID[i]}")
		done
		die "port: ${S_ID[SI]} is not on a port of the LAN switch" \
		    "(those are: ${lan[*]})"
	fi
	case $2 in
	down|up)	;;
	*)		usage ;;
	esac
	lock
	ns=${S_NS[SI]} port=p-${S_NS[SI]#tm-}
	ip -n "$ns" link set eth0 "$2"
	# the link going down took the site's default route with it
	if [ "$2" = up ] && [ "$ns" != "$ROUTER_NS" ]; then
		ip -n "$ns" route replace default via "$LAB_ROUTER"
	fi
	note "port ${S_ID[SI]}: $LAN_NS $port: the far end is $2"
}

# "TX RX": the bytes switch port $1 has sent and received
port_counters() {
	local d=/sys/class/net/$1/statistics

	ip netns exec "$LAN_NS" cat "$d/tx_bytes" "$d/rx_bytes" | tr '\n' ' '
}

cmd_traffic() {
	local bytes=$2 secs=${3:-0} dir=${4:-to} sink=() send=() src dst udp
	local tmp spid n tx0 rx0 tx1 rx1 sent rcvd start end

	[ $# -ge 2 ] && [ $# -le 4 ] || usage
	find_site "$1"
	need_up "$SI"
	[[ $bytes =~ ^[0-9]+$ ]] && [ "$bytes" -le 10000000000 ] ||
	    die "traffic: BYTES must be a whole number up to 10^10"
	is_num "$secs" && awk -v s="$secs" 'BEGIN { exit !(s <= 3600) }' ||
	    die "traffic: SECONDS must be a number up to 3600"
	need_tools "$PYTHON"
	traffic_port "$SI"
	case $dir in
	to)	sink=(ip netns exec "${S_NS[SI]}")
		src=${LAB_NOC_ADDR%/*} dst=$(site_ip "$SI") udp=5001 ;;
	from)	send=(ip netns exec "${S_NS[SI]}")
		src=$(site_ip "$SI") dst=${LAB_NOC_ADDR%/*} udp=5002 ;;
	*)	usage ;;
	esac
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/lab-traffic.XXXXXX")
	: >"$tmp/sink"
	# the receiver: so that no ICMP port unreachable comes back (and
	# without the caller's lock descriptors)
	"${sink[@]}" "$PYTHON" "$TRAFFIC_PY" sink "$dst" "$udp" \
	    "$(awk -v s="$secs" 'BEGIN { printf "%d", s + 30 }')" \
	    >>"$tmp/sink" 2>&1 8>&- 9>&- &
	spid=$!
	n=0
	until grep -q ready "$tmp/sink"; do
		if ! kill -0 "$spid" 2>/dev/null || [ $n -ge 50 ]; then
			cat "$tmp/sink" >&2
			kill "$spid" 2>/dev/null || true
			rm -rf "$tmp"
			die "traffic: the receiver did not start"
		fi
		sleep 0.1
		n=$((n + 1))
	done
	read -r tx0 rx0 <<<"$(port_counters "$SP")"
	if ! "${send[@]}" "$PYTHON" "$TRAFFIC_PY" send "$src" "$dst" "$udp" \
	    "$bytes" "$secs" >"$tmp/send" 2>&1 8>&- 9>&-; then
		cat "$tmp/send" >&2
		kill "$spid" 2>/dev/null || true
		rm -rf "$tmp"
		die "traffic: sending failed"
	fi
	sleep 0.3	# the last frames through the bridge
	read -r tx1 rx1 <<<"$(port_counters "$SP")"
	n=0
	while kill -0 "$spid" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	read -r _ n sent start end <"$tmp/send"
	rcvd=$(awk '$1 == "received" { print $3 }' "$tmp/sink")
	rm -rf "$tmp"
	echo "port=$SP payload=$sent datagrams=$n received=${rcvd:-?}" \
	    "start=$start end=$end seconds=$(awk -v a="$start" -v b="$end" \
	    'BEGIN { printf "%.3f", b - a }')" \
	    "out_octets=$((tx1 - tx0)) in_octets=$((rx1 - rx0))"
}

# The monitoring PC's own cable: the switch's end, so that the host keeps
# its address and route (an unplugged cable, not a reconfiguration).
cmd_noc() {
	[ $# -eq 1 ] || usage
	case $1 in
	down|up)	;;
	*)		usage ;;
	esac
	ns_exists "$LAN_NS" || die "the lab is not up"
	lock
	ip -n "$LAN_NS" link set "p-${LAB_NOC_IF#tm-}" "$1"
	note "noc: the monitoring PC's cable is $1"
}

# --- status ----------------------------------------------------------------

# Whole days until the certificate of web site $1 expires, or "?"
cert_days() {
	local end

	end=$(openssl x509 -noout -enddate -in "$CA_DIR/$1.pem" 2>/dev/null) ||
	    { echo "?"; return 0; }
	end=$(date -u -d "${end#notAfter=}" +%s 2>/dev/null) ||
	    { echo "?"; return 0; }
	echo $(((end - $(date -u +%s)) / 86400))
}

cmd_status() {
	local i ns port addrs=() a rest link resp pid emu f p d j l u g
	local -A ans

	if ! ns_exists "$LAN_NS"; then
		echo "lab: down"
		return 3
	fi
	echo "lab: up; host $LAB_NOC_IF $(ip -o -4 addr show "$LAB_NOC_IF" \
	    2>/dev/null | awk '{print $4}'), route: $(ip route show \
	    "$LAB_ROUTE" 2>/dev/null)"
	for i in "${!S_ID[@]}"; do
		addrs+=("$(site_ip "$i")")
	done
	while read -r a rest; do
		case $rest in
		"is alive"*)	ans[$a]="yes${rest#is alive}" ;;
		*)		ans[$a]=no ;;
		esac
	done < <(fping -e -r 1 -t 1500 "${addrs[@]}" 2>/dev/null || true)
	printf '%-15s %-12s %-10s %-5s %-40s %s\n' SITE ADDRESS NS LINK \
	    'RESPONDER, SERVICES' ANSWERS
	for i in "${!S_ID[@]}"; do
		read -r ns port <<<"$(switch_port "$i")"
		if ! ns_exists "${S_NS[i]}"; then
			link=gone
		elif ip -n "$ns" -o link show "$port" 2>/dev/null |
		    grep -q '[<,]UP[,>]'; then
			link=up
		else
			link=CUT
		fi
		emu=$(emu_get "$i")
		if [ "$emu" = kernel ]; then
			resp=kernel
		elif pid=$(pid_of "$RUN_DIR/echod-${S_ID[i]}.pid"); then
			read -r d j l u g <<<"$emu"
			resp="echod ${d}+-${j} ms ${l}% (pid $pid)"
		else
			resp="echod NOT RUNNING"
		fi
		for f in "$RUN_DIR/tcp-${S_ID[i]}-"*.pid; do
			[ -e "$f" ] || continue
			p=${f##*-}
			p=${p%.pid}
			pid_of "$f" >/dev/null && resp="$resp, tcp $p"
		done
		for f in "$RUN_DIR/sip-${S_ID[i]}-"*.pid; do
			[ -e "$f" ] || continue
			p=${f##*-}
			p=${p%.pid}
			pid_of "$f" >/dev/null && resp="$resp, sip $p"
		done
		if find_web "$i"; then
			if pid_of "$(web_pidfile "${S_ID[i]}")" >/dev/null; then
				f=$(web_modefile "${S_ID[i]}")
				d=ok j=
				[ ! -f "$f" ] || read -r d j <"$f" || true
				resp="$resp, https ${W_PORT[WI]} ${d:-ok}${j:+ $j s}"
				resp="$resp ($(cert_days "${S_ID[i]}") d)"
			else
				resp="$resp, https NOT RUNNING"
			fi
		fi
		a=$(site_ip "$i")
		printf '%-15s %-12s %-10s %-5s %-40s %s\n' "${S_ID[i]}" "$a" \
		    "${S_NS[i]}" "$link" "$resp" "${ans[$a]:-no}"
	done
	if command -v snmpget >/dev/null 2>&1; then
		cmd_snmp status || true
	fi
}

# --- main ------------------------------------------------------------------

[ $# -ge 1 ] || usage
cmd=$1
shift
load_sites
load_web
case $cmd in
up|down|cut|restore|emulate|tcp|status|exec|snmp|port|traffic|noc|web|sip)
	need_root "$cmd"
	need_tools ip flock setsid sysctl
	;;
esac
case $cmd in
up)
	[ $# -eq 0 ] || usage
	need_tools fping
	cmd_up
	;;
down)
	[ $# -eq 0 ] || usage
	cmd_down
	;;
cut|restore)
	cmd_cut_restore "$cmd" "$@"
	;;
noc)
	cmd_noc "$@"
	;;
emulate)
	[ $# -ge 2 ] || usage
	cmd_emulate "$@"
	;;
tcp)
	cmd_tcp "$@"
	;;
status)
	[ $# -eq 0 ] || usage
	need_tools fping
	cmd_status
	;;
snmp)
	cmd_snmp "$@"
	;;
port)
	cmd_port "$@"
	;;
traffic)
	cmd_traffic "$@"
	;;
web)
	cmd_web "$@"
	;;
sip)
	cmd_sip "$@"
	;;
ca)
	[ $# -eq 0 ] || usage
	echo "$CA_DIR/ca.pem"
	;;
exec)
	[ $# -ge 2 ] || usage
	find_site "$1"
	need_up "$SI"
	shift
	exec ip netns exec "${S_NS[SI]}" "$@"
	;;
addr)
	[ $# -eq 1 ] || usage
	find_site "$1"
	site_ip "$SI"
	;;
-h|--help|help)
	usage
	;;
*)
	usage
	;;
esac
