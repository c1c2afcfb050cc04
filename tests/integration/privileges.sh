#!/usr/bin/env bash
#
# Least privilege and secrets, seen from outside (issue 9), on loopback:
#
#  1. started as root with daemon.user = "nobody": every thread, and the
#     rrdtool child, runs as nobody (real, effective, saved and fs ids, no
#     supplementary group) with no capability and NoNewPrivs set; started
#     as nobody with CAP_NET_RAW only (what the systemd unit does), the
#     capability is gone once the sockets are open and pings still work;
#  2. the control socket serves root and the daemon's user, and refuses
#     (tramonctl exit 77) anybody else;
#  3. the SMTP password, SNMP community, SNMPv3 keys and a webhook URL's
#     token appear nowhere: pages, status.json, /metrics, the log, the
#     journal, state.json, the outbox, tramonctl status --json;
#  4. a password_file readable by everyone, or writable by its group, is
#     refused (tramond -n and at start) naming the file; 0600 and 0640
#     are accepted;
#  5. the systemd unit's exposure (systemd-analyze security --offline).
#
# What daemon_control.sh already checks (the main thread's Uid and
# capabilities, tramonctl as user "daemon") is not repeated.
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd setpriv rrdtool
. "$top_srcdir/tests/mail/servers.sh"	# smtpd, webhookd; stops them
mail_need_tools

NOBODY=$(id -u nobody 2>/dev/null) || skip "needs the user nobody"
NOGROUP=$(id -g nobody)
OTHER=65533	# a uid and gid nobody on this machine uses
id "$OTHER" >/dev/null 2>&1 && OTHER=65532

# The secrets: each must never leave the configuration and password file.
SMTP_PASS=Pw-smtp-7Qx2e
COMMUNITY=Cm-snmp-K9d3f
AUTH_PASS=Au-snmp-V4r8w
PRIV_PASS=Pr-snmp-J6t1z
HOOK_TOKEN=Tk-hook-M3s5b
SECRETS=("$SMTP_PASS" "$COMMUNITY" "$AUTH_PASS" "$PRIV_PASS" "$HOOK_TOKEN")

mkcert "$TEST_TMP/tls"
smtpd mx --starttls "$TEST_TMP/tls/server.pem" "$TEST_TMP/tls/server.key" \
    --auth "canhbao:$SMTP_PASS"
webhookd hooks

PORT=$(free_port)
SNMP_PORT=$(free_udp_port)	# nothing answers there
CONF=$TEST_TMP/tramon.conf
STATE=$TEST_TMP/state
WWW=$TEST_TMP/www
SECRET_DIR=$TEST_TMP/secret
mkdir -m 0755 "$SECRET_DIR"

# password_file FILE MODE OWNER:GROUP
password_file() {
	printf '%s\n' "$SMTP_PASS" >"$1"
	chmod "$2" "$1"
	chown "$3" "$1"
}

# write_conf FILE PASSWORD_FILE: as nobody, every secret in it
write_conf() {
	{
		daemon_section "127.0.0.1:$PORT" |
		    sed -e 's/user        = "root"/user        = "nobody"/' \
			-e "s|$TEST_TMP/tramond.sock|$TEST_TMP/run/tramond.sock|" \
			-e 's/^};$/  web_refresh = 5;\n};/'
		cat <<EOF
smtp = {
  url           = "smtp://127.0.0.1:${PORT[mx]}";
  starttls      = "required";
  username      = "canhbao";
  password_file = "$2";
  from          = "Giám sát <canhbao@example.gov.vn>";
  ca_file       = "$TEST_TMP/tls/ca.pem";
  timeout       = 10;
};
contacts = (
  { id = "it"; name = "Tổ CNTT";
    email = [ "it@example.gov.vn" ];
    webhook = "http://127.0.0.1:${PORT[hooks]}/hook/$HOOK_TOKEN?key=$HOOK_TOKEN"; }
);
defaults = { interval = 2; count = 2; timeout = 0.5; down_after = 2; up_after = 1;
  notify = [ "it" ]; };
targets = (
  { id = "lo4"; type = "ping"; host = "127.0.0.1"; },
  { id = "closed"; type = "tcp"; host = "127.0.0.1"; port = 1; count = 1; },
  { id = "sw2c"; type = "snmp"; host = "127.0.0.1"; interval = 5; timeout = 1.0;
    snmp = { version = "2c"; community = "$COMMUNITY"; port = $SNMP_PORT; retries = 0; }; },
  { id = "sw3"; type = "snmp"; host = "127.0.0.1"; interval = 5; timeout = 1.0;
    snmp = { version = "3"; port = $SNMP_PORT; retries = 0;
      v3 = { user = "tramon"; level = "authPriv"; auth_pass = "$AUTH_PASS";
             priv_pass = "$PRIV_PASS"; }; }; }
);
EOF
	} >"$1"
}

# status_is ID STATE
status_is() {
	tramonctl -c "$CONF" status --json >"$TEST_TMP/st.json" 2>/dev/null &&
	    json_test "$TEST_TMP/st.json" "t(\"$1\")[\"state\"] == \"$2\""
}

# proc_ok PID: every thread of PID runs as nobody with no capability
# and NoNewPrivs; the bounding set is the one it was started with (the
# code leaves it: with no uid 0 and NoNewPrivs no exec can gain from it);
# the supplementary groups are GROUPS (default: nogroup alone, what
# privs_drop sets).  Prints what is wrong.
#	proc_ok PID CAPBND [GROUPS]
proc_ok() {
	local pid=$1 bnd=$2 groups=${3-$NOGROUP} f bad=0 n=0 id="$NOBODY $NOBODY $NOBODY $NOBODY"
	local gid="$NOGROUP $NOGROUP $NOGROUP $NOGROUP"

	for f in /proc/"$pid"/task/*/status; do
		[ -r "$f" ] || continue
		n=$((n + 1))
		awk -v id="$id" -v gid="$gid" -v bnd="$bnd" -v g="$groups" '
		    function is(k, want) {
			if (v[k] != want) {
				printf "%s: %s is \"%s\", not \"%s\"\n",
				    FILENAME, k, v[k], want
				bad = 1
			}
		    }
		    { k = $1; sub(/:$/, "", k); $1 = ""; sub(/^ +/, "");
		      gsub(/[ \t]+/, " "); v[k] = $0 }
		    END {
			is("Uid", id); is("Gid", gid); is("Groups", g)
			is("CapInh", "0000000000000000")
			is("CapPrm", "0000000000000000")
			is("CapEff", "0000000000000000")
			is("CapAmb", "0000000000000000")
			is("CapBnd", bnd)
			is("NoNewPrivs", "1")
			exit bad
		    }' "$f" || bad=1
	done
	[ "$n" -gt 0 ] && [ "$bad" = 0 ]
}

# children PID: the pids of PID's children, of every thread
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep .
}

rrdtool_child() {
	local c

	for c in $(children "$1"); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" = rrdtool ] &&
		    echo "$c" && return 0
	done
	return 1
}

# more_than DIR EXT N: DIR holds more than N complete files
not() {
	! "$@"
}

more_than() {
	[ "$(count "$1" "$2")" -gt "$3" ]
}

snmp_down() {
	status_is sw2c down && status_is sw3 down
}

MY_BND=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)

echo "# 1. root -> nobody"
password_file "$SECRET_DIR/smtp.pass" 0600 "$NOBODY:$NOGROUP"
write_conf "$CONF" "$SECRET_DIR/smtp.pass"
check "tramond -n accepts a 0600 password file owned by the daemon's user" \
    "$top_builddir/tramond" -n -c "$CONF"
tramond_start "$CONF"
pid=$TRAMOND_PID
check "lo4 comes up" wait_for 30 status_is lo4 up
check "every thread has started (more than one)" \
    [ "$(ls /proc/"$pid"/task | wc -l)" -gt 1 ]
check "every thread: uid/gid nobody (real, effective, saved, fs), no capability, NoNewPrivs, CapBnd $MY_BND as inherited" \
    proc_ok "$pid" "$MY_BND"
check "the rrdtool graph child is running" \
    wait_for 30 rrdtool_child "$pid" >/dev/null
rrd_pid=$(rrdtool_child "$pid")
check "the rrdtool child ($rrd_pid): the same" proc_ok "${rrd_pid:-none}" "$MY_BND"
for c in $(children "$pid"); do
	[ "$c" = "$rrd_pid" ] && continue
	check "child $c ($(cat /proc/"$c"/comm 2>/dev/null)): the same" \
	    proc_ok "$c" "$MY_BND"
done

echo "# 2. the control socket"
SOCK=$TEST_TMP/run/tramond.sock
# tramonctl reads only the daemon section; another user must be able to
# read this copy, not the one with the secrets
sed -n '/^daemon = {/,/^};/p' "$CONF" >"$TEST_TMP/ctl.conf"
echo 'targets = ( { id = "x"; type = "tcp"; host = "127.0.0.1"; port = 1; } );' \
    >>"$TEST_TMP/ctl.conf"
chmod 0644 "$TEST_TMP/ctl.conf"
perm=$(stat -c '%a %u:%g %F' "$SOCK")
check "socket $perm: 660, owned by nobody" \
    [ "$perm" = "660 $NOBODY:$NOGROUP socket" ]
check "root is served" tramonctl -c "$TEST_TMP/ctl.conf" status >/dev/null
setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups \
    "$top_builddir/tramonctl" -c "$TEST_TMP/ctl.conf" status >/dev/null 2>&1
rc=$?
check "the daemon's user is served (exit $rc)" [ "$rc" = 0 ]
setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups \
    "$top_builddir/tramonctl" -c "$TEST_TMP/ctl.conf" status \
    >/dev/null 2>"$TEST_TMP/other.err"
rc=$?
check "uid $OTHER is refused: exit 77 (got $rc)" [ "$rc" = 77 ]
check "and told so" grep -qi "permission denied" "$TEST_TMP/other.err"
setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups \
    "$top_builddir/tramonctl" -c "$TEST_TMP/ctl.conf" reload >/dev/null 2>&1
rc=$?
check "uid $OTHER cannot reload either (exit $rc)" [ "$rc" = 77 ]

echo "# 3. secrets"
check "closed goes down (alerts by mail and webhook)" \
    wait_for 30 status_is closed down
check "a webhook is delivered" wait_for 60 more_than "$TEST_TMP/hooks" json 0
before=$(count "$TEST_TMP/mx" eml)
check "tramonctl test-email is queued" tramonctl -c "$CONF" test-email it
check "mail is delivered with AUTH over STARTTLS" \
    wait_for 60 more_than "$TEST_TMP/mx" eml "$before"
check "the SNMP targets (v2c, v3 authPriv) have been polled: down" \
    wait_for 40 snmp_down
touch "$TEST_TMP/before-reload"
check "tramonctl reload" tramonctl -c "$CONF" reload
check "reloaded" wait_for 20 grep -q '"event":"reload"' "$STATE"/journal/*.jsonl
check "pages written again after the reload" \
    wait_for 30 test "$WWW/status.json" -nt "$TEST_TMP/before-reload"
curl -s -o "$TEST_TMP/metrics" "http://127.0.0.1:$PORT/metrics"
check "/metrics is served" grep -q '^tramon_target_up' "$TEST_TMP/metrics"
tramonctl -c "$CONF" status --json >"$TEST_TMP/status-json" 2>&1
tramonctl -c "$CONF" status >"$TEST_TMP/status-text" 2>&1
for p in / /index.html /status.json; do
	curl -s "http://127.0.0.1:$PORT$p" >>"$TEST_TMP/http-pages"
done
check "the log has lines" test -s "$TRAMOND_LOG"
check "the outbox was used" test -d "$STATE/outbox"

# leaks PLACE FILES...: none of the secrets in FILES (recursively)
leaks() {
	local place=$1 s hits
	shift
	for s in "${SECRETS[@]}"; do
		hits=$(grep -rlaF -- "$s" "$@" 2>/dev/null)
		[ -z "$hits" ] || {
			echo "# $place: $s found in: $hits"
			return 1
		}
	done
}
check "no secret in web_dir (pages, status.json, graphs)" leaks web "$WWW"
check "no secret in /metrics" leaks metrics "$TEST_TMP/metrics"
check "no secret in the pages served" leaks http "$TEST_TMP/http-pages"
check "no secret in the journal" leaks journal "$STATE/journal"
check "no secret in state.json" leaks state "$STATE/state.json"
check "no secret in the outbox" leaks outbox "$STATE/outbox"
check "no secret anywhere in state_dir" leaks state_dir "$STATE"
check "no secret in tramonctl status (--json and text)" \
    leaks status "$TEST_TMP/status-json" "$TEST_TMP/status-text"
check "no secret in the log (debug level)" leaks log "$TRAMOND_LOG"
check "no secret in the mail sent" leaks mail "$TEST_TMP/mx"
tramond_stop
check "tramond exits 0" [ $? = 0 ]
check "no secret in the log after the stop" leaks log "$TRAMOND_LOG"
check "no secret in state_dir after the stop" leaks state_dir "$STATE"

echo "# 4. the password file's mode"
# bad_mode MODE OWNER: tramond -n and tramond refuse it, naming the file
bad_mode() {
	local mode=$1 owner=$2 f=$SECRET_DIR/pass-$1 c=$TEST_TMP/mode-$1.conf rc

	password_file "$f" "$mode" "$owner"
	write_conf "$c" "$f"
	"$top_builddir/tramond" -n -c "$c" >"$TEST_TMP/n-$mode.log" 2>&1
	rc=$?
	check "mode $mode: tramond -n refuses it (exit $rc)" [ "$rc" = 78 ]
	check "mode $mode: tramond -n names the file" \
	    grep -qF "$f" "$TEST_TMP/n-$mode.log"
	rm -rf "$TEST_TMP/run"
	# refused means not started: a config error exits at once (78)
	tramond_start "$c"
	wait_for 10 not tramond_running
	tramond_stop		# its status; 0 if it had to be stopped
	rc=$?
	cp "$TRAMOND_LOG" "$TEST_TMP/s-$mode.log"
	check "mode $mode: tramond refuses to start (exit $rc)" [ "$rc" = 78 ]
	check "mode $mode: and names the file" \
	    grep -qF "$f" "$TEST_TMP/s-$mode.log"
}
bad_mode 0644 "$NOBODY:$NOGROUP"	# readable by everyone
bad_mode 0604 "$NOBODY:$NOGROUP"	# readable by everyone, not the group
bad_mode 0660 "root:$NOGROUP"		# writable by the group
password_file "$SECRET_DIR/pass-0640" 0640 "root:$NOGROUP"
write_conf "$TEST_TMP/mode-0640.conf" "$SECRET_DIR/pass-0640"
check "mode 0640 (root:nogroup): tramond -n accepts it" \
    "$top_builddir/tramond" -n -c "$TEST_TMP/mode-0640.conf"
tramond_start "$TEST_TMP/mode-0640.conf"
CONF=$TEST_TMP/mode-0640.conf
check "mode 0640: tramond runs" wait_for 20 status_is lo4 up
before=$(count "$TEST_TMP/mx" eml)
tramonctl -c "$TEST_TMP/mode-0640.conf" test-email it >/dev/null
check "mode 0640: nobody reads it through its group, mail is delivered" \
    wait_for 60 more_than "$TEST_TMP/mx" eml "$before"
check "mode 0640: no complaint about the file" \
    not grep -F pass-0640 "$TRAMOND_LOG"
tramond_stop

echo "# 1b. nobody with CAP_NET_RAW only"
B=$TEST_TMP/b
mkdir -p "$B"
chown "$NOBODY:$NOGROUP" "$B"
if ! setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups \
    test -x "$top_builddir/tramond" -a -r "$top_builddir/plugins/.libs"; then
	echo "# the build tree is not readable by nobody: part 1b skipped"
else
	cat >"$B/tramon.conf" <<EOF
daemon = {
  state_dir   = "$B/state";
  web_dir     = "$B/www";
  plugin_dir  = "$top_builddir/plugins/.libs";
  user        = "nobody";
  log         = "stderr";
  log_level   = "debug";
  http_listen = "";
  control_socket = "$B/run/tramond.sock";
};
defaults = { interval = 2; count = 2; timeout = 0.5; down_after = 2; up_after = 1; };
targets = ( { id = "lo4"; type = "ping"; host = "127.0.0.1"; } );
EOF
	chmod 0644 "$B/tramon.conf"
	check "the unprivileged config is valid" \
	    "$top_builddir/tramond" -n -c "$B/tramon.conf"
	TRAMOND_LOG=$B/tramond.log
	setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups \
	    --inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw \
	    "$top_builddir/tramond" -f -c "$B/tramon.conf" 2>"$TRAMOND_LOG" 8>&- &
	TRAMOND_PID=$!
	CONF=$B/tramon.conf
	check "ping over raw ICMP: lo4 comes up (ping_group_range is $(tr '\t' ' ' </proc/sys/net/ipv4/ping_group_range))" \
	    wait_for 30 status_is lo4 up
	check "every thread: nobody, no capability left, NoNewPrivs" \
	    proc_ok "$TRAMOND_PID" "$MY_BND" ""
	sleep 5	# a few rounds with no capability
	check "lo4 stays up with no capability" status_is lo4 up
	tramond_stop
	check "tramond (unprivileged) exits 0" [ $? = 0 ]
fi

echo "# 5. the systemd unit"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "# systemd-analyze not installed: unit not scored"
else
	sed -e 's|@sbindir[@]|/usr/sbin|g' -e 's|@sysconfdir[@]|/etc|g' \
	    -e 's|@localstatedir[@]|/var|g' \
	    "$top_srcdir/conf/tramond.service.in" >"$TEST_TMP/tramond.service"
	systemd-analyze security --offline=true "$TEST_TMP/tramond.service" \
	    >"$TEST_TMP/analyze.out" 2>&1
	score=$(sed -n 's/.*Overall exposure level for tramond.service: \([0-9.]*\).*/\1/p' \
	    "$TEST_TMP/analyze.out")
	echo "# systemd-analyze security: exposure $score"
	# 1.6 with systemd 252 (docs/benchmarks.md); other versions weigh
	# a little differently
	check "systemd-analyze scores the unit $score, at most 2.0" \
	    awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'
	for d in NoNewPrivileges= CapabilityBoundingSet=~CAP_SYS_ADMIN \
	    "CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)" ProtectSystem= \
	    ProtectHome= PrivateTmp= MemoryDenyWriteExecute= \
	    RestrictAddressFamilies=~AF_PACKET SystemCallFilter=~@mount; do
		check "systemd-analyze: $d" grep -qF "✓ $d " "$TEST_TMP/analyze.out"
	done
	check "the unit bounds the capabilities to CAP_NET_RAW" \
	    grep -qx 'CapabilityBoundingSet=CAP_NET_RAW' "$TEST_TMP/tramond.service"
fi

summary
