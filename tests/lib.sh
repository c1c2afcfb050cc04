# shellcheck shell=bash
#
# Helpers for the integration tests (tests/integration/*.sh), sourced:
#
#	. "$top_srcdir/tests/lib.sh"
#	need_root
#	lab_up
#	make_conf "$TEST_TMP/tramon.conf" <<EOF
#	$(daemon_section)
#	targets = ( { id = "tra-linh"; type = "ping"; host = "198.18.2.17"; } );
#	EOF
#	tramond_start "$TEST_TMP/tramon.conf"
#	check "tra-linh up" wait_for 90 json_test "$TEST_TMP/www/status.json" \
#	    't("tra-linh")["state"] == "up"'
#	lab cut tra-linh
#	summary
#
# automake exports top_srcdir and top_builddir; run by hand, they default
# to the source tree and the current directory.  Exit codes follow
# automake: 0 pass, 1 fail, 77 skip, 99 hard error.  Everything the test
# started (tramond, the lab, the temp dir) is cleaned up by an EXIT trap.
#
# Environment: TRAMON_VALGRIND=1 runs tramond under valgrind (with
# tests/valgrind.supp if there is one); TRAMON_KEEP=1 keeps the temp dir.

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$PWD}"
export top_srcdir top_builddir

TEST_NAME=$(basename "${0%.sh}")

# `make distcheck` builds and checks a tarball; the integration tests
# have already run against the tree (tests/run), so they step aside.
if [ "${TRAMON_DISTCHECK:-0}" = 1 ]; then
	echo "SKIP: $TEST_NAME: integration tests do not run in distcheck"
	exit 77
fi
TESTS_PASSED=0
TESTS_FAILED=0
TRAMOND_PID=
TRAMOND_LOG=
LAB_STARTED=0
LAB_SH=$top_srcdir/tests/lab/lab.sh
PYTHON=/usr/bin/python3

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tramon-$TEST_NAME.XXXXXX") || exit 99
chmod 755 "$TEST_TMP"	# tramond may drop privileges and still need it

# --- results ------------------------------------------------------------------

skip() {
	echo "SKIP: $*"
	exit 77
}

need_root() {
	[ "$(id -u)" -eq 0 ] ||
	    skip "needs root (network namespaces, raw ICMP)"
}

# need_cmd CMD...: skip unless every command exists
need_cmd() {
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

pass() {
	TESTS_PASSED=$((TESTS_PASSED + 1))
	echo "ok $((TESTS_PASSED + TESTS_FAILED)) - $*"
}

fail() {
	TESTS_FAILED=$((TESTS_FAILED + 1))
	echo "not ok $((TESTS_PASSED + TESTS_FAILED)) - $*"
}

# check DESCRIPTION CMD...: pass or fail on CMD's status
check() {
	local what=$1
	shift
	if "$@"; then
		pass "$what"
	else
		fail "$what"
	fi
}

# Print the closing line and exit (1 if anything failed, or nothing ran).
summary() {
	echo "$TEST_NAME: $TESTS_PASSED passed, $TESTS_FAILED failed"
	[ "$TESTS_FAILED" -eq 0 ] && [ "$TESTS_PASSED" -gt 0 ] && exit 0
	exit 1
}

# An error in the test itself, not in what it tests.
hard_error() {
	echo "ERROR: $TEST_NAME: $*" >&2
	exit 99
}

# --- waiting and reading -------------------------------------------------------

# wait_for TIMEOUT_S CMD...: run CMD every 0.2 s until it succeeds (0) or
# TIMEOUT_S seconds have passed (1).
wait_for() {
	local deadline
	deadline=$(awk -v t="$1" -v now="$(date +%s%N)" \
	    'BEGIN { printf "%.0f", now / 1e6 + t * 1000 }')
	shift
	while ! "$@"; do
		[ "$(($(date +%s%N) / 1000000))" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# The JSON helpers evaluate a Python expression on the document `d` read
# from FILE; t(ID) is the element of d["targets"] whose "id" is ID.
JSON_PY='
import json, sys
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        d = json.load(f)
except (OSError, ValueError) as e:
    sys.exit("json: %s: %s" % (sys.argv[1], e))
def t(tid):
    for x in d.get("targets", []):
        if x.get("id") == tid:
            return x
    raise KeyError("no target " + tid)
try:
    v = eval(sys.argv[2], {"d": d, "t": t})
except Exception as e:
    sys.exit("json: %s: %s: %r" % (sys.argv[1], sys.argv[2], e))
'

# json_get FILE EXPR: print EXPR's value (strings bare, the rest as JSON)
#	json_get status.json 'd["generated"]'
#	json_get status.json 't("tra-linh")["loss_pct"]'
json_get() {
	"$PYTHON" -c "$JSON_PY"'
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
' "$1" "$2"
}

# json_test FILE EXPR: succeed if EXPR is true (quietly false if the file
# is missing or the expression fails), for wait_for:
#	wait_for 90 json_test "$web/status.json" 't("tra-linh")["state"] == "down"'
json_test() {
	"$PYTHON" -c "$JSON_PY"'
sys.exit(0 if v else 1)
' "$1" "$2" 2>/dev/null
}

# A free TCP port on 127.0.0.1 (for http_listen); free_port udp: a UDP
# one nobody has.
free_port() {
	"$PYTHON" -c '
import socket, sys
s = socket.socket(type=socket.SOCK_DGRAM if sys.argv[1:] == ["udp"]
    else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' "$@"
}

free_udp_port() {
	free_port udp
}

# --- configuration -------------------------------------------------------------

# make_conf FILE: write FILE from standard input (a here-doc).
make_conf() {
	cat >"$1" || hard_error "cannot write $1"
}

# The daemon section of a test config: everything under $TEST_TMP, the
# plugins of this build, logs on stderr.  $1 = http_listen (default off).
# Storms (more than daemon.storm_after notices a minute: the rest go as
# one digest) are off unless STORM_AFTER says: the tests run minutes of
# outages in seconds, and most count their mails one by one.
daemon_section() {
	cat <<EOF
daemon = {
  storm_after = ${STORM_AFTER:-0};
  name        = "Huyện Nam Trà My (test $TEST_NAME)";
  state_dir   = "$TEST_TMP/state";
  web_dir     = "$TEST_TMP/www";
  plugin_dir  = "$top_builddir/plugins/.libs";
  user        = "root";
  log         = "stderr";
  log_level   = "debug";
  http_listen = "${1:-}";
  control_socket = "$TEST_TMP/tramond.sock";
};
EOF
}

# --- the lab -------------------------------------------------------------------

# Bring the lab up for this test.  Tests that use the lab run one at a
# time (make -j check): the lock is held until the test exits.
lab_up() {
	[ -x "$LAB_SH" ] || hard_error "$LAB_SH missing"
	: "${ECHOD:=$top_builddir/tests/lab/echod}"
	export ECHOD
	[ -x "$ECHOD" ] || hard_error "echod not built: make tests/lab/echod"
	exec 8>"/run/tramon-lab.test.lock"
	flock -w 900 8 || hard_error "the lab has been busy for 15 minutes"
	LAB_STARTED=1
	LAB_QUIET=1 "$LAB_SH" up >"$TEST_TMP/lab.log" 2>&1 || {
		cat "$TEST_TMP/lab.log" >&2
		hard_error "lab.sh up failed"
	}
}

lab_down() {
	[ "$LAB_STARTED" = 1 ] || return 0
	LAB_QUIET=1 "$LAB_SH" down || echo "$TEST_NAME: lab.sh down failed" >&2
	LAB_STARTED=0
	exec 8>&-
}

# lab CMD ARGS: any lab.sh command (cut, restore, emulate, tcp, status)
lab() {
	LAB_QUIET=1 "$LAB_SH" "$@"
}

# --- the daemon ----------------------------------------------------------------

# tramond_start CONF [ARGS...]: run tramond in the foreground, in the
# background of this shell; its stderr goes to $TRAMOND_LOG.
tramond_start() {
	local conf=$1 bin=$top_builddir/tramond
	shift
	[ -z "$TRAMOND_PID" ] || hard_error "tramond already started"
	[ -x "$bin" ] || hard_error "$bin not built"
	TRAMOND_LOG=$TEST_TMP/tramond.log
	# the stylesheet of this source tree, not an installed one
	export TRAMON_ASSET_DIR=$top_srcdir/web
	if [ "${TRAMON_VALGRIND:-0}" = 1 ]; then
		local supp=()
		# leaks inside libraries (fontconfig, pango via rrd_graph)
		[ ! -f "$top_srcdir/tests/valgrind.supp" ] ||
		    supp=(--suppressions="$top_srcdir/tests/valgrind.supp")
		valgrind --leak-check=full --error-exitcode=99 "${supp[@]}" \
		    --log-file="$TEST_TMP/valgrind.log" \
		    "$bin" -f -c "$conf" "$@" 2>"$TRAMOND_LOG" 8>&- &
	else
		"$bin" -f -c "$conf" "$@" 2>"$TRAMOND_LOG" 8>&- &
	fi
	TRAMOND_PID=$!
}

tramond_running() {
	[ -n "$TRAMOND_PID" ] && kill -0 "$TRAMOND_PID" 2>/dev/null
}

# tramond_stop: TERM, wait (bounded), KILL as a last resort.  Returns
# tramond's exit status; fails the test if it had to be killed or
# valgrind found errors.
tramond_stop() {
	local pid=$TRAMOND_PID rc=0 limit=200

	[ -n "$pid" ] || return 0
	TRAMOND_PID=
	[ "${TRAMON_VALGRIND:-0}" = 1 ] && limit=1200
	kill -TERM "$pid" 2>/dev/null || true
	local n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt $limit ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "tramond did not exit within $((limit / 10)) s of SIGTERM; killed"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	if [ "$rc" = 99 ] && [ "${TRAMON_VALGRIND:-0}" = 1 ]; then
		fail "valgrind reported errors in tramond"
		tail -n 200 "$TEST_TMP/valgrind.log" >&2
	fi
	return "$rc"
}

# tramonctl ARGS: the build's tramonctl
tramonctl() {
	"$top_builddir/tramonctl" "$@"
}

# --- TCP listeners -----------------------------------------------------------

declare -A LPID

port_open() {
	"$PYTHON" -c '
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
' "$1" 2>/dev/null
}

# listen_on PORT: a TCP listener on 127.0.0.1 that accepts and closes
# (a service that is up); listen_stop PORT: it goes (down).
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
	LPID[$1]=$!
	wait_for 10 port_open "$1" ||
	    hard_error "the listener on port $1 did not start"
}

listen_stop() {
	local p=${LPID[$1]:-}

	[ -n "$p" ] || return 0
	unset "LPID[$1]"
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

listen_stop_all() {
	local p

	for p in "${!LPID[@]}"; do
		listen_stop "$p"
	done
}

# --- cleanup -------------------------------------------------------------------

lib_cleanup() {
	local rc=$?

	trap - EXIT INT TERM
	listen_stop_all
	if [ -n "$TRAMOND_PID" ]; then
		local before=$TESTS_FAILED
		tramond_stop || true
		# killed, or valgrind errors: the test fails after all
		[ "$TESTS_FAILED" = "$before" ] || [ "$rc" != 0 ] || rc=1
	fi
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -s "${TRAMOND_LOG:-}" ]; then
		echo "--- last lines of $TRAMOND_LOG:" >&2
		tail -n 40 "$TRAMOND_LOG" >&2
	fi
	lab_down
	if [ "${TRAMON_KEEP:-0}" = 1 ]; then
		echo "$TEST_NAME: kept $TEST_TMP" >&2
	else
		rm -rf "$TEST_TMP"
	fi
	exit "$rc"
}
trap lib_cleanup EXIT
trap 'exit 99' INT TERM
