#!/usr/bin/env bash
#
# The http probe against real web servers on 127.0.0.1 (tests/http/
# httpd.py: python's http.server, HTTPS with certificates from a test CA
# made by tests/http/mkcerts.sh); no lab, no DNS.
#
#  1. tramond -n: a valid http configuration passes; bad ones (no url,
#     an ftp:// url, expect_status a string or out of range, expect_text
#     with HEAD, an unreadable ca_file) fail with FILE:LINE: messages.
#  2. The daemon, one target per case: a page that answers 200 with the
#     expected text (https with ca_file, plain http, HEAD, a list of
#     expected statuses, `host` instead of the URL's name) is up, with
#     status, connect/tls/ttfb and cert_days in status.json and in its
#     RRD; 404 and 500 are down with the status as the reason; a page
#     without the expected text is down; a certificate expiring within
#     cert_warn_days is degraded, an expired one down, one from an
#     unknown CA down with a clear reason; a redirect is up as 302 when
#     not followed, down when 200 is expected, up as 200 when followed;
#     a server that never answers is down after the timeout, and
#     meanwhile `tramonctl status` keeps answering.
#
. "$top_srcdir/tests/lib.sh"
need_cmd openssl rrdtool
[ -x "$PYTHON" ] || skip "needs $PYTHON"

# Rounds: 15 targets, most of them with a TLS handshake, every INTERVAL
# seconds.  Under valgrind or AddressSanitizer (with the slow unwinder
# of `make check`'s LSAN_OPTIONS) each handshake costs the loop tens of
# milliseconds: slower rounds there, so that no timeout is the loop's.
INTERVAL=4 TIMEOUT=3
if [ "${TRAMON_VALGRIND:-0}" = 1 ] ||
    ldd "$top_builddir/tramond" 2>/dev/null | grep -q libasan; then
	INTERVAL=10 TIMEOUT=8
fi
CONF=$TEST_TMP/tramon.conf
WEB=$TEST_TMP/www
RRD=$TEST_TMP/state/rrd
CERTS=$TEST_TMP/certs
HTTPD_PID=

http_cleanup() {
	local rc=$?

	if [ -n "$HTTPD_PID" ]; then
		kill -TERM "$HTTPD_PID" 2>/dev/null || true
		local n=0
		while kill -0 "$HTTPD_PID" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -KILL "$HTTPD_PID" 2>/dev/null || true
		wait "$HTTPD_PID" 2>/dev/null || true
	fi
	(exit "$rc")
	lib_cleanup
}
trap http_cleanup EXIT

# fcmp AWK-EXPR: the arithmetic comparison holds (false on nan/null)
fcmp() {
	case "$*" in
	*nan*|*null*|*None*|*U*)	return 1 ;;
	esac
	awk "BEGIN { exit !($*) }"
}

# st ID: the target's field $2 in status.json
st() {
	json_get "$WEB/status.json" "t(\"$1\")[\"$2\"]"
}

# --- certificates and servers ----------------------------------------------------

sh "$top_srcdir/tests/http/mkcerts.sh" "$CERTS" >"$TEST_TMP/mkcerts.log" \
    2>&1 || { cat "$TEST_TMP/mkcerts.log" >&2; hard_error "mkcerts.sh failed"; }

"$PYTHON" "$top_srcdir/tests/http/httpd.py" --plain \
    --tls good "$CERTS/good.pem" "$CERTS/good.key" \
    --tls soon "$CERTS/soon.pem" "$CERTS/soon.key" \
    --tls expired "$CERTS/expired.pem" "$CERTS/expired.key" \
    >"$TEST_TMP/httpd.out" 2>"$TEST_TMP/httpd.log" &
HTTPD_PID=$!
wait_for 20 grep -qx ready "$TEST_TMP/httpd.out" || {
	cat "$TEST_TMP/httpd.log" >&2
	hard_error "httpd.py did not start"
}
port() {
	awk -v n="$1" '$1 == n { print $2 }' "$TEST_TMP/httpd.out"
}
PLAIN=$(port plain) GOOD=$(port good) SOON=$(port soon)
EXPIRED=$(port expired)
[ -n "$PLAIN" ] && [ -n "$GOOD" ] && [ -n "$SOON" ] && [ -n "$EXPIRED" ] ||
    hard_error "httpd.py gave no ports: $(cat "$TEST_TMP/httpd.out")"
CA=$CERTS/ca.pem
P=http://127.0.0.1:$PLAIN
S=https://127.0.0.1

# --- 1. tramond -n ---------------------------------------------------------------

# bad_conf NAME WHAT TARGET-KEYS: tramond -n refuses it, naming the line
bad_conf() {
	local f=$TEST_TMP/bad-$1.conf out rc line
	make_conf "$f" <<EOF
$(daemon_section)
targets = (
  { id = "x"; name = "x"; type = "http";
    $3 }
);
EOF
	out=$("$top_builddir/tramond" -n -c "$f" 2>&1)
	rc=$?
	line=$(grep -n "$2" "$f" | head -1 | cut -d: -f1)
	if [ "$rc" = 78 ] && grep -q "^$f:$line: " <<<"$out"; then
		pass "tramond -n: $1: exit 78, $(sed -n 1p <<<"$out" |
		    sed "s|^$TEST_TMP/||")"
	else
		fail "tramond -n: $1: exit $rc, not at line $line: $out"
	fi
}
bad_conf no-url 'type = "http"' ''
bad_conf ftp-url 'url' 'url = "ftp://127.0.0.1/";'
bad_conf status-string 'expect_status' \
    'url = "http://127.0.0.1/"; expect_status = "200";'
bad_conf status-range 'expect_status' \
    'url = "http://127.0.0.1/"; expect_status = [ 200, 99 ];'
bad_conf head-text 'expect_text' \
    'url = "http://127.0.0.1/"; method = "HEAD"; expect_text = "x";'
bad_conf ca-file 'ca_file' \
    "url = \"$S:1/\"; ca_file = \"$TEST_TMP/no-such-ca.pem\";"
bad_conf header 'headers' \
    'url = "http://127.0.0.1/"; headers = [ "no colon" ];'

# --- 2. the daemon ---------------------------------------------------------------

TEXT="Nam Trà My"
make_conf "$CONF" <<EOF
$(daemon_section)
defaults = { interval = $INTERVAL; timeout = $TIMEOUT; down_after = 2;
  up_after = 2; };
targets = (
  { id = "ok"; name = "Cổng thông tin"; type = "http"; url = "$S:$GOOD/ok";
    ca_file = "$CA"; expect_status = 200; expect_text = "$TEXT";
    cert_warn_days = 14; },
  { id = "plain"; name = "http"; type = "http"; url = "$P/ok";
    expect_text = "$TEXT"; },
  { id = "head"; name = "HEAD"; type = "http"; url = "$P/ok";
    method = "HEAD"; expect_status = [ 200, 204 ]; },
  { id = "named"; name = "by name"; type = "http";
    url = "https://portal.test:$GOOD/ok"; host = "127.0.0.1"; ca_file = "$CA";
    headers = [ "Accept-Language: vi" ]; },
  { id = "missing"; name = "404"; type = "http"; url = "$P/missing"; },
  { id = "fail"; name = "500"; type = "http"; url = "$P/fail"; },
  { id = "notext"; name = "no text"; type = "http"; url = "$P/ok";
    expect_text = "không có chữ này"; },
  { id = "soon"; name = "expires soon"; type = "http"; url = "$S:$SOON/ok";
    ca_file = "$CA"; cert_warn_days = 14; },
  { id = "expired"; name = "expired"; type = "http"; url = "$S:$EXPIRED/ok";
    ca_file = "$CA"; },
  { id = "expired-nv"; name = "expired, not verified"; type = "http";
    url = "$S:$EXPIRED/ok"; verify = false; },
  { id = "unknown-ca"; name = "unknown CA"; type = "http";
    url = "$S:$GOOD/ok"; },
  { id = "redir"; name = "302 kept"; type = "http"; url = "$P/redirect"; },
  { id = "redir-200"; name = "302, 200 expected"; type = "http";
    url = "$P/redirect"; expect_status = 200; },
  { id = "redir-follow"; name = "302 followed"; type = "http";
    url = "$P/redirect"; follow_redirects = true; expect_status = 200;
    expect_text = "$TEXT"; },
  { id = "hang"; name = "never answers"; type = "http"; url = "$P/hang"; },
  { id = "slow"; name = "slow page"; type = "http"; url = "$P/slow";
    expect_text = "$TEXT"; degraded = { rtt_ms = 1000.0; }; }
);
EOF
check "tramond -n accepts the http targets" \
    "$top_builddir/tramond" -n -c "$CONF"
tramond_start "$CONF"

settled() {
	json_test "$WEB/status.json" '(all(t(i)["state"] == "up" for i in
	    ("ok", "plain", "head", "named", "redir", "redir-follow")) and
	    all(t(i)["state"] == "down" for i in ("missing", "fail", "notext",
	    "expired", "expired-nv", "unknown-ca", "redir-200", "hang")) and
	    t("soon")["state"] == "degraded" and
	    t("slow")["state"] == "degraded")'
}

# While the hanging page keeps a request open (TIMEOUT s of every
# INTERVAL), the loop answers the control socket.
wait_for 30 test -s "$WEB/status.json" ||
    hard_error "tramond wrote no status.json"
ctl_ok=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
	if timeout 10 "$top_builddir/tramonctl" -c "$CONF" status \
	    >/dev/null 2>&1; then
		ctl_ok=$((ctl_ok + 1))
	fi
	sleep 0.7
done
check "tramonctl status answered 10 times out of 10 meanwhile" \
    [ "$ctl_ok" = 10 ]

# (down_after rounds, then a render: under the sanitizers on a busy
# machine a render of these pages has taken over a minute)
wait_for $((INTERVAL * 30)) settled
check "every target in its state (status.json)" settled ||
    cat "$WEB/status.json" >&2

reason_has() {
	json_test "$WEB/status.json" "\"$2\" in (t(\"$1\")[\"reason\"] or \"\")"
}
check "ok: status 200" fcmp "$(st ok status) == 200"
check "ok: rtt $(st ok rtt_ms) ms > 0" fcmp "$(st ok rtt_ms) > 0"
for v in dns connect tls ttfb; do
	check "ok: $v $(st ok $v) s, known, under the timeout" \
	    fcmp "$(st ok $v) >= 0 && $(st ok $v) < $TIMEOUT"
done
check "ok: cert_days $(st ok cert_days) (a year)" \
    fcmp "$(st ok cert_days) > 363 && $(st ok cert_days) < 366"
check "plain: no certificate, no TLS" json_test "$WEB/status.json" \
    't("plain")["cert_days"] is None and t("plain")["tls"] is None'
check "plain: status 200" fcmp "$(st plain status) == 200"
check "named: status 200 by \`host\`, the certificate's name checked" \
    fcmp "$(st named status) == 200"
check "missing: reason \"HTTP 404 Not Found\"" reason_has missing \
    "HTTP 404 Not Found"
check "missing: status 404 kept" fcmp "$(st missing status) == 404"
check "fail: reason HTTP 500" reason_has fail "HTTP 500 Internal Server Error"
check "notext: reason the missing text" reason_has notext \
    "expected text not found"
check "soon: degraded, the certificate expires in 4 days" reason_has soon \
    "certificate expires in 4 days"
check "soon: cert_days $(st soon cert_days)" \
    fcmp "$(st soon cert_days) > 4 && $(st soon cert_days) < 5.1"
check "expired: down, the certificate has expired" reason_has expired \
    "certificate has expired"
check "expired, verify = false: down all the same" reason_has expired-nv \
    "certificate expired on 2020-02-01"
check "expired, verify = false: cert_days < 0" \
    fcmp "$(st expired-nv cert_days) < -2000"
check "unknown CA: a clear reason" reason_has unknown-ca \
    "unable to get local issuer certificate"
check "redirect not followed: status 302" fcmp "$(st redir status) == 302"
check "redirect, 200 expected: reason" reason_has redir-200 \
    "HTTP 302 Found (expected 200)"
check "redirect followed: status 200" fcmp "$(st redir-follow status) == 200"
check "hang: down, timed out" reason_has hang "timed out"
check "slow: answered, degraded by its time" fcmp "$(st slow rtt_ms) > 1400"

# the pages: the answer and the certificate, in words
page_has() {	# page_has FILE TEXT...
	local f=$1 t
	shift
	for t in "$@"; do
		grep -qF -- "$t" "$f" || { echo "# no \"$t\" in $f" >&2; return 1; }
	done
}
check "overview: the answer and the certificate's days" wait_for 20 \
    page_has "$WEB/index.html" "HTTP 200" "Chứng chỉ còn 36" "Chứng chỉ đã hết hạn"
check "target page: answer, certificate, where the time goes" \
    page_has "$WEB/t/ok.html" "Trả lời" "HTTP 200" "Chứng chỉ" "Phân rã thời gian" \
    "<span>TLS</span>" "<span>TTFB</span>"
check "target page of a plain http target: no certificate" eval \
    '! grep -q "Chứng chỉ" "$WEB/t/plain.html"'

# the RRD: the SPEC data sources and the probe's, with values
ds_ok() {
	local info
	info=$(rrdtool info "$RRD/ok.rrd") || return 1
	for ds in median loss up status dns connect tls ttfb cert_days; do
		grep -q "^ds\[$ds\]\.type = \"GAUGE\"" <<<"$info" || {
			echo "# no ds $ds" >&2
			return 1
		}
	done
}
check "rrd/ok.rrd has status, dns, connect, tls, ttfb, cert_days" ds_ok
# last_ds of each: known (not U) once a few rounds are written
last_ds() {
	rrdtool info "$RRD/$1.rrd" |
	    awk -v ds="$2" -F' = ' '$1 == "ds[" ds "].last_ds" {
		gsub(/"/, "", $2); print $2 }'
}
rrd_known() {
	fcmp "$(last_ds ok cert_days) > 363" && fcmp "$(last_ds ok tls) >= 0" &&
	    fcmp "$(last_ds ok status) == 200"
}
check "rrd/ok.rrd: last status 200, tls, cert_days known" \
    wait_for $((INTERVAL * 3)) rrd_known
check "rrd/missing.rrd: last status 404" \
    fcmp "$(last_ds missing status) == 404"
check "the daemon warned of no leftover transfer" \
    bash -c "! grep -q 'left libcurl transfers' '$TRAMOND_LOG'"

tramond_stop
check "tramond stopped cleanly (exit 0)" [ $? = 0 ]
check "no leftover transfer at shutdown" \
    bash -c "! grep -q 'left libcurl transfers' '$TRAMOND_LOG'"
if grep -qE 'Sanitizer|runtime error:' "$TRAMOND_LOG"; then
	fail "sanitizer reports in the log"
fi
summary
