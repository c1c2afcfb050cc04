# tests/mail/servers.sh: the mail and webhook servers of the tests, for
# tests that source tests/lib.sh first.
#
#	. "$top_srcdir/tests/mail/servers.sh"
#	mail_need_tools                       # skip (77) without them
#	mkcert "$TEST_TMP/tls"                # a test CA and server cert
#	smtpd mx --starttls "$CERT" "$KEY" --auth u:p
#	webhookd hooks
#	... PORT[mx], PID[mx]; mail in $TEST_TMP/mx/NNNNNN.eml (+ .json)
#	stop_server mx
#
# Every server started is stopped by the EXIT trap this file installs
# (which then runs lib_cleanup).

MAILDIR=$top_srcdir/tests/mail
declare -A PORT PID

mail_need_tools() {
	[ -x "$PYTHON" ] || skip "needs $PYTHON"
	"$PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
	    skip "needs python3-aiosmtpd (tests/deps.sh)"
	command -v openssl >/dev/null || skip "needs openssl (tests/deps.sh)"
}

# mkcert DIR: DIR/ca.pem, server.pem, server.key, other-ca.pem
mkcert() {
	sh "$MAILDIR/mkcert.sh" "$1" >"$TEST_TMP/mkcert.log" 2>&1 || {
		cat "$TEST_TMP/mkcert.log" >&2
		hard_error "mkcert.sh failed"
	}
}

# start_server NAME SCRIPT ARGS...: run a test server on a free port,
# wait until it says "ready PORT"; sets PORT[NAME], PID[NAME].  With
# --port P among ARGS, that port instead.
start_server() {
	local name=$1 script=$2 port=(--port 0)
	shift 2

	# a given port (a server started again where it was) wins
	if printf '%s\n' "$@" | grep -qx -- --port; then
		port=()
	fi
	"$PYTHON" "$MAILDIR/$script" "${port[@]}" "$@" \
	    >"$TEST_TMP/$name.out" 2>>"$TEST_TMP/$name.log" &
	PID[$name]=$!
	wait_for 20 grep -q '^ready ' "$TEST_TMP/$name.out" || {
		cat "$TEST_TMP/$name.log" >&2
		hard_error "$script $* did not start"
	}
	PORT[$name]=$(awk '/^ready / { print $2 }' "$TEST_TMP/$name.out")
}

# stop_server NAME: TERM, wait (bounded), KILL
stop_server() {
	local name=$1 pid=${PID[$1]:-} n=0

	[ -n "$pid" ] || return 0
	unset "PID[$name]"
	kill -TERM "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# smtpd NAME ARGS...: an SMTP server keeping mail in $TEST_TMP/NAME
smtpd() {
	local name=$1
	shift
	mkdir -p "$TEST_TMP/$name"
	start_server "$name" smtpd.py --maildir "$TEST_TMP/$name" "$@"
}

# webhookd NAME ARGS...: an HTTP server keeping posts in $TEST_TMP/NAME
webhookd() {
	local name=$1
	shift
	mkdir -p "$TEST_TMP/$name"
	start_server "$name" webhookd.py --dir "$TEST_TMP/$name" "$@"
}

# count DIR EXT: how many complete files DIR holds
count() {
	find "$1" -maxdepth 1 -name "[0-9]*.$2" 2>/dev/null | wc -l
}

mail_cleanup() {
	local rc=$? n

	for n in "${!PID[@]}"; do
		stop_server "$n"
	done
	(exit "$rc")
	lib_cleanup
}
trap mail_cleanup EXIT
