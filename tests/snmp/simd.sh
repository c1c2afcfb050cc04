#!/bin/bash
#
# simd.sh: run snmpsimd (the SNMP agent simulator) for the tests, on
# loopback only.  Run as root (it drops to nobody) or as any user.
#
#   simd.sh start DIR PORT [SNMPSIMD-OPTION...]   start, wait until it answers
#   simd.sh stop DIR PORT                         stop it (safe to repeat)
#   simd.sh pause|resume DIR PORT                 SIGSTOP / SIGCONT: an agent
#                                                 that goes silent and returns
#   simd.sh status DIR PORT                       exit 0 if running
#
# DIR holds the recordings (*.snmprec): each is served under the community
# (and SNMPv3 context) of its base name, e.g. DIR/cisco.snmprec answers to
# community "cisco".  The agent listens on 127.0.0.1:PORT.  Its pid file,
# log and index cache live in DIR.run/ next to DIR.  Extra options go to
# snmpsimd, e.g. --v3-user=tramon --v3-auth-key=... --v3-auth-proto=SHA
# --v3-priv-key=... --v3-priv-proto=AES (they must come after the
# endpoint, which simd.sh puts first).
#
# snmpsimd is a slow Python agent: about 2,500 varbinds a second on this
# machine, and it indexes each recording (~0.2 s for the Cisco one, 51,000
# lines) on the first request that needs it.  `start` waits up to
# SIMD_TIMEOUT seconds (20) for an answer to a GET of sysUpTime with the
# community of the first recording.
#
# Environment: SIMD_TIMEOUT (20), SIMD_USER/SIMD_GROUP (nobody/nogroup when
# root), SIMD_LOG=0 logs nothing to DIR.run/PORT.log (default: start-up,
# errors and every request and response, ~300 bytes a varbind).
#
# shellcheck disable=SC2015  # "A && B || die": die when either fails
set -Eeuo pipefail

ME=simd.sh
PYTHON=/usr/bin/python3
SNMPSIMD=$(command -v snmpsimd 2>/dev/null || echo /usr/bin/snmpsimd)

die() {
	echo "$ME: error: $*" >&2
	exit 1
}

usage() {
	sed -n '4,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 64
}

alive() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# The pid of our snmpsimd for this port, if it runs: the pid file names a
# live process whose command line is snmpsimd on our endpoint.
running_pid() {
	local pid cmd

	[ -f "$PIDF" ] || return 1
	read -r pid <"$PIDF" 2>/dev/null || return 1
	[[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmd == *snmpsimd*"--agent-udpv4-endpoint=$ENDPOINT "* ]] || return 1
	echo "$pid"
}

# One GET of sysUpTime; quiet.
answers() {
	SNMP_PERSISTENT_DIR=$RUN MIBS='' snmpget -M /dev/null -t 0.5 -r 0 \
	    -v2c -c "$COMMUNITY" "$ENDPOINT" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1
}

cmd_start() {
	local user=() pid n max log_method f

	[ -d "$DIR" ] || die "no directory $DIR"
	command -v snmpget >/dev/null 2>&1 || die "snmpget not found (package snmp)"
	[ -x "$SNMPSIMD" ] || die "snmpsimd not found (package snmpsim)"
	COMMUNITY=
	for f in "$DIR"/*.snmprec; do
		[ -f "$f" ] || continue
		COMMUNITY=$(basename "$f" .snmprec)
		break
	done
	[ -n "$COMMUNITY" ] || die "no *.snmprec in $DIR"
	if pid=$(running_pid); then
		die "already running on $ENDPOINT (pid $pid)"
	fi
	mkdir -p "$RUN/cache-$PORT"
	if [ "$(id -u)" -eq 0 ]; then
		user=(--process-user="${SIMD_USER:-nobody}"
		    --process-group="${SIMD_GROUP:-nogroup}")
		chown "${SIMD_USER:-nobody}:${SIMD_GROUP:-nogroup}" \
		    "$RUN/cache-$PORT"
		chmod 755 "$RUN"
	fi
	log_method=stderr
	[ "${SIMD_LOG:-1}" = 1 ] || log_method=null
	: >"$LOG"
	# its own session, no inherited descriptors (a test's lock must not
	# live on in the agent), output to the log
	(
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
		done
		cd /
		exec setsid "$PYTHON" "$SNMPSIMD" "$@" \
		    --data-dir="$DIR" --agent-udpv4-endpoint="$ENDPOINT" \
		    --cache-dir="$RUN/cache-$PORT" \
		    --logging-method="$log_method" "${user[@]}" \
		    </dev/null >>"$LOG" 2>&1
	) &
	echo $! >"$PIDF"
	# start-up errors go to stderr before the logging method applies
	n=0 max=$((${SIMD_TIMEOUT:-20} * 5))
	until answers; do
		if ! running_pid >/dev/null; then
			tail -n 5 "$LOG" >&2
			rm -f "$PIDF"
			die "snmpsimd on $ENDPOINT exited (log: $LOG)"
		fi
		if [ $n -ge $max ]; then
			tail -n 5 "$LOG" >&2
			cmd_stop
			die "snmpsimd on $ENDPOINT did not answer within" \
			    "${SIMD_TIMEOUT:-20} s (log: $LOG)"
		fi
		sleep 0.2
		n=$((n + 1))
	done
}

cmd_stop() {
	local pid n=0

	if pid=$(running_pid); then
		kill -CONT "$pid" 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
		while alive "$pid" && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		if alive "$pid"; then
			echo "$ME: snmpsimd $pid ignored TERM; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$PIDF"
}

cmd_signal() {
	local pid

	pid=$(running_pid) || die "not running on $ENDPOINT"
	kill "-$1" "$pid"
}

[ $# -ge 3 ] || usage
cmd=$1 DIR=${2%/} PORT=$3
shift 3
[[ $PORT =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] ||
    die "bad port '$PORT'"
DIR=$(cd "$DIR" 2>/dev/null && pwd) || die "no directory $2"
ENDPOINT=127.0.0.1:$PORT
RUN=$DIR.run
PIDF=$RUN/$PORT.pid
LOG=$RUN/$PORT.log
mkdir -p "$RUN"

case $cmd in
start)	cmd_start "$@" ;;
stop)	[ $# -eq 0 ] || usage; cmd_stop ;;
pause)	[ $# -eq 0 ] || usage; cmd_signal STOP ;;
resume)	[ $# -eq 0 ] || usage; cmd_signal CONT ;;
status)	[ $# -eq 0 ] || usage; running_pid >/dev/null ;;
*)	usage ;;
esac
