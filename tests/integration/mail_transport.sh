#!/usr/bin/env bash
#
# The alert transport (daemon/curlev.c, smtp.c, webhook.c) through
# tests/tools/sendtool, against real servers on 127.0.0.1 that the test
# starts: aiosmtpd (tests/mail/smtpd.py) in plain, STARTTLS + AUTH and
# implicit TLS flavours, and an http.server (tests/mail/webhookd.py), with
# throw-away certificates (tests/mail/mkcert.sh).
#
#  1. Mail: delivered byte for byte (dot-stuffing undone by the server,
#     8-bit UTF-8 body, RFC 2047 subject) over plain SMTP, STARTTLS with
#     AUTH, and smtps://; SIZE announced; five messages at once on one
#     multi handle, the server seeing them side by side.
#  2. Mail refusals, each with a clear error and nothing delivered:
#     STARTTLS required but not offered (also "try" with a password),
#     an unknown CA, a wrong password (535), no server ("connection
#     refused"), a refused recipient (550, the only permanent one).
#  3. The loop never waits for the mail server: libcurl 7.88 blocks in
#     poll() for the replies to the end of the message and to QUIT, so
#     SMTP runs on curlev's thread; with a server that takes 4 s for
#     each, sendtool's loop (a 20 ms heartbeat) is not held up; a session
#     cancelled in the middle of that is let go cleanly.
#  4. Webhooks: the exact JSON body with its Content-Type; 500 temporary,
#     404 permanent, 429 temporary; https with the test CA and with the
#     wrong one; a timeout; a cancelled request.
#
# sendtool runs under valgrind for the STARTTLS, concurrent, cancel and
# https cases (every case with TRAMON_VALGRIND=1), unless this is a
# --enable-sanitizers build, where every run is checked for reports.
#
. "$top_srcdir/tests/lib.sh"
need_cmd openssl timeout
"$PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
    skip "needs python3-aiosmtpd (tests/deps.sh)"

SENDTOOL=$top_builddir/tests/tools/sendtool
[ -x "$SENDTOOL" ] || hard_error "$SENDTOOL not built: make tests/tools/sendtool"

CERTS=$TEST_TMP/certs
OUT=$TEST_TMP/out.json
ERR=$TEST_TMP/send.err
FROM=canhbao@example.gov.vn
RCPT=it1@example.gov.vn
USER=canhbao
SEND_RC=0

# Valgrind for some cases, unless ASan is linked in (they do not mix).
VALGRIND_OK=0
if command -v valgrind >/dev/null 2>&1 &&
    ! ldd "$SENDTOOL" 2>/dev/null | grep -q libasan; then
	VALGRIND_OK=1
fi

. "$top_srcdir/tests/mail/servers.sh"	# start_server, smtpd, count, cleanup

# --- sendtool ----------------------------------------------------------------------

# send [vg] ARGS... < input: sendtool ARGS, its JSON lines in $OUT (one
# array), stderr in $ERR, exit status in SEND_RC; "vg" first: under
# valgrind (if usable), which must find nothing.
send() {
	local vg=0 raw=$TEST_TMP/out.lines

	if [ "$1" = vg ]; then
		vg=1
		shift
	fi
	[ "${TRAMON_VALGRIND:-0}" = 1 ] && vg=1
	[ "$VALGRIND_OK" = 1 ] || vg=0
	SEND_RC=0
	if [ "$vg" = 1 ]; then
		local supp=()
		[ ! -f "$top_srcdir/tests/valgrind.supp" ] ||
		    supp=(--suppressions="$top_srcdir/tests/valgrind.supp")
		timeout 300 valgrind -q --leak-check=full --error-exitcode=99 \
		    "${supp[@]}" --log-file="$TEST_TMP/valgrind.log" \
		    "$SENDTOOL" "$@" >"$raw" 2>"$ERR" || SEND_RC=$?
		if [ "$SEND_RC" = 99 ] || [ -s "$TEST_TMP/valgrind.log" ]; then
			fail "valgrind: sendtool $1 ${2:-}"
			cat "$TEST_TMP/valgrind.log" >&2
		else
			pass "valgrind found nothing: sendtool $*"
		fi
	else
		timeout 120 "$SENDTOOL" "$@" >"$raw" 2>"$ERR" || SEND_RC=$?
	fi
	if grep -E 'Sanitizer|runtime error:' "$ERR" >&2; then
		fail "sanitizer report: sendtool $*"
	fi
	# the lines as one JSON array, for json_test
	{ echo '['; paste -sd, "$raw"; echo ']'; } >"$OUT"
	echo "  sendtool $1 -> rc $SEND_RC: $(tr -d '\n' <"$raw")"
}

# result EXPR: EXPR holds for r, the first result
result() {
	json_test "$OUT" "(lambda r: $1)(d[0])"
}

rc_is() {
	[ "$SEND_RC" = "$1" ]
}

# sendtool -c: it said so, and exited 3
cancelled() {
	rc_is 3 && result 'r.get("cancelled") is True'
}

# stall_below MS: sendtool -w's longest loop stall was shorter
stall_below() {
	local ms

	ms=$(sed -n 's/^sendtool: longest loop stall \([0-9]*\) ms$/\1/p' "$ERR")
	echo "  longest loop stall: ${ms:-?} ms"
	[ -n "$ms" ] && [ "$ms" -lt "$1" ]
}

not_in() {
	! grep -q "$1" "$2"
}

same_file() {
	cmp "$1" "$2"
}

# --- fixtures --------------------------------------------------------------------

"$MAILDIR/mkcert.sh" "$CERTS" || hard_error "mkcert.sh failed"
printf 'mật-khẩu s3cret\n' >"$TEST_TMP/pass"
chmod 600 "$TEST_TMP/pass"
printf 'wrong\r\n' >"$TEST_TMP/wrong-pass"
chmod 644 "$TEST_TMP/wrong-pass"	# also: the warning about it
PASSWORD='mật-khẩu s3cret'

# An alert as tramond composes it, and more: lines that need
# dot-stuffing (".", "..", ".x") in the first bytes and across libcurl's
# upload buffers (about 200 kB of them), 8-bit UTF-8 text.
MSG=$TEST_TMP/msg.eml
"$PYTHON" - "$MSG" <<'EOF' || hard_error "cannot write the message"
import sys
from email.header import Header
subj = "[tramon] MẤT KẾT NỐI: Xã Trà Linh (198.18.2.17)"
head = [
    "From: %s <canhbao@example.gov.vn>" % Header("Giám sát mạng", "utf-8").encode(),
    "To: it1@example.gov.vn",
    "Subject: %s" % Header(subj, "utf-8").encode(),
    "Date: Thu, 26 Nov 2026 21:36:47 +0700",
    "Message-ID: <20261126213647.tra-linh@tramon.test>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=UTF-8",
    "Content-Transfer-Encoding: 8bit",
]
body = ["Xã Trà Linh (198.18.2.17) mất kết nối lúc 21:36.", ".", "..",
        ".dòng bắt đầu bằng dấu chấm", "", ". ."]
for i in range(4000):
    body.append(("." if i % 2 == 0 else "") + "dòng %05d " % i + "x" * 30)
body.append("Hết.")
with open(sys.argv[1], "wb") as f:
    f.write(("\r\n".join(head + [""] + body) + "\r\n").encode("utf-8"))
EOF
MSG_SIZE=$(stat -c %s "$MSG")

# the Subject of a delivered message, decoded
subject_is() {
	"$PYTHON" -c '
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
sys.exit(0 if m["subject"] == sys.argv[2] else "subject: %r" % m["subject"])
' "$1" "$2"
}
SUBJECT='[tramon] MẤT KẾT NỐI: Xã Trà Linh (198.18.2.17)'

smtpd plain --reject-rcpt nobody@example.gov.vn
smtpd starttls --starttls "$CERTS/server.pem" "$CERTS/server.key" \
    --auth "$USER:$PASSWORD"
smtpd smtps --tls "$CERTS/server.pem" "$CERTS/server.key" \
    --auth "$USER:$PASSWORD"
smtpd slow --data-delay 4 --quit-delay 4
start_server hooks webhookd.py --dir "$TEST_TMP/hooks"
start_server hooks_tls webhookd.py --dir "$TEST_TMP/hooks_tls" \
    --tls "$CERTS/server.pem" "$CERTS/server.key"
# a port where nothing listens: a server's, after it stopped
start_server gone webhookd.py --dir "$TEST_TMP/gone"
CLOSED=${PORT[gone]}
stop_server gone

PLAIN=smtp://127.0.0.1:${PORT[plain]}
STARTTLS=smtp://127.0.0.1:${PORT[starttls]}
SMTPS=smtps://127.0.0.1:${PORT[smtps]}

# --- 1. mail delivered -------------------------------------------------------------

echo "# plain SMTP"
send smtp "$PLAIN" none "" "" "" 30 "$FROM" "$RCPT" <"$MSG"
check "plain: ok, 250, exit 0" \
    result 'r["ok"] and not r["permanent"] and r["reply"] == 250 and r["error"] == ""'
check "plain: exit status 0" rc_is 0
check "plain: one message delivered" [ "$(count "$TEST_TMP/plain" eml)" = 1 ]
check "plain: the bytes sent are the bytes received (dots unstuffed)" \
    same_file "$MSG" "$TEST_TMP/plain/000001.eml"
check "plain: envelope from, to; SIZE announced; no TLS" \
    json_test "$TEST_TMP/plain/000001.json" \
    "d['mail_from'] == '$FROM' and d['rcpt_tos'] == ['$RCPT'] and 'SIZE=$MSG_SIZE' in d['mail_options'] and not d['tls']"
check "plain: the Vietnamese subject decodes" \
    subject_is "$TEST_TMP/plain/000001.eml" "$SUBJECT"

echo "# STARTTLS required + AUTH, the test CA"
send vg smtp "$STARTTLS" required "$USER" "$TEST_TMP/pass" "$CERTS/ca.pem" 60 \
    "$FROM" "$RCPT" <"$MSG"
check "starttls: ok, 250" result 'r["ok"] and r["reply"] == 250'
check "starttls: delivered, same bytes" \
    same_file "$MSG" "$TEST_TMP/starttls/000001.eml"
check "starttls: over TLS, authenticated as $USER" \
    json_test "$TEST_TMP/starttls/000001.json" "d['tls'] and d['auth'] == '$USER'"
check "starttls: no warning about the 0600 password file" \
    not_in 'readable by everyone' "$ERR"

echo "# smtps:// (implicit TLS) + AUTH"
send smtp "$SMTPS" required "$USER" "$TEST_TMP/pass" "$CERTS/ca.pem" 30 \
    "$FROM" "$RCPT" <"$MSG"
check "smtps: ok, 250" result 'r["ok"] and r["reply"] == 250'
check "smtps: delivered, same bytes" \
    same_file "$MSG" "$TEST_TMP/smtps/000001.eml"
check "smtps: over TLS, authenticated" \
    json_test "$TEST_TMP/smtps/000001.json" "d['tls'] and d['auth'] == '$USER'"

echo "# five messages at once (STARTTLS + AUTH)"
send vg -n 5 smtp "$STARTTLS" required "$USER" "$TEST_TMP/pass" \
    "$CERTS/ca.pem" 120 "$FROM" "$RCPT" <"$MSG"
check "concurrent: five results, all ok" \
    json_test "$OUT" 'len(d) == 5 and all(r["ok"] for r in d) and sorted(r["i"] for r in d) == list(range(5))'
check "concurrent: exit status 0" rc_is 0
check "concurrent: five more messages delivered" \
    [ "$(count "$TEST_TMP/starttls" eml)" = 6 ]
all_same() {
	local f
	for f in "$TEST_TMP"/starttls/00000[2-6].eml; do
		cmp "$MSG" "$f" || return 1
	done
}
check "concurrent: each one byte for byte" all_same
check "concurrent: the server had several sessions open at once" \
    json_test "$TEST_TMP/starttls/stats.json" 'd["max_sessions"] >= 2'

# --- 2. mail refused -------------------------------------------------------------------

echo "# STARTTLS required, the server does not offer it"
n0=$(count "$TEST_TMP/plain" eml)
send smtp "$PLAIN" required "" "" "$CERTS/ca.pem" 30 "$FROM" "$RCPT" <"$MSG"
check "no starttls: refused, temporary, says why" \
    result 'not r["ok"] and not r["permanent"] and r["error"] == "STARTTLS required but the server does not offer it"'
check "no starttls: exit status 1" rc_is 1
check "no starttls: nothing delivered" [ "$(count "$TEST_TMP/plain" eml)" = "$n0" ]

echo "# STARTTLS \"try\" with a password: taken as required"
send smtp "$PLAIN" try "$USER" "$TEST_TMP/pass" "" 30 "$FROM" "$RCPT" <"$MSG"
check "try + password: refused without STARTTLS" \
    result 'not r["ok"] and "STARTTLS required" in r["error"]'
check "try + password: a warning says so" \
    grep -q 'starttls = "try" with a username' "$ERR"
check "try + password: nothing delivered" \
    [ "$(count "$TEST_TMP/plain" eml)" = "$n0" ]

echo "# a CA that did not sign the server's certificate"
n0=$(count "$TEST_TMP/starttls" eml)
send smtp "$STARTTLS" required "$USER" "$TEST_TMP/pass" "$CERTS/other-ca.pem" 30 \
    "$FROM" "$RCPT" <"$MSG"
check "wrong CA: certificate error, temporary" \
    result 'not r["ok"] and not r["permanent"] and r["error"].startswith("certificate verify failed")'
check "wrong CA: nothing delivered" \
    [ "$(count "$TEST_TMP/starttls" eml)" = "$n0" ]
send smtp "$SMTPS" required "$USER" "$TEST_TMP/pass" "" 30 \
    "$FROM" "$RCPT" <"$MSG"
check "smtps, system CAs only: certificate error" \
    result 'not r["ok"] and r["error"].startswith("certificate verify failed")'

echo "# wrong password"
send smtp "$STARTTLS" required "$USER" "$TEST_TMP/wrong-pass" "$CERTS/ca.pem" 30 \
    "$FROM" "$RCPT" <"$MSG"
check "wrong password: 535, authentication failed, temporary" \
    result 'not r["ok"] and not r["permanent"] and r["reply"] == 535 and r["error"].startswith("authentication failed: 535")'
check "wrong password: nothing delivered" \
    [ "$(count "$TEST_TMP/starttls" eml)" = "$n0" ]
check "a password file readable by everyone is warned about" \
    grep -q 'readable by everyone' "$ERR"

echo "# no server"
send smtp "smtp://127.0.0.1:$CLOSED" none "" "" "" 30 "$FROM" "$RCPT" <"$MSG"
check "no server: connection refused, temporary, no reply" \
    result 'not r["ok"] and not r["permanent"] and r["reply"] == 0 and r["error"].startswith("connection refused")'
check "no server: exit status 1" rc_is 1

echo "# a refused recipient"
n0=$(count "$TEST_TMP/plain" eml)
send smtp "$PLAIN" none "" "" "" 30 "$FROM" nobody@example.gov.vn <"$MSG"
check "refused recipient: permanent, 550, names the address" \
    result 'not r["ok"] and r["permanent"] and r["reply"] == 550 and "nobody@example.gov.vn" in r["error"]'
send smtp "$PLAIN" none "" "" "" 30 "$FROM" "$RCPT" nobody@example.gov.vn <"$MSG"
check "one of two recipients refused: the message fails, permanent" \
    result 'not r["ok"] and r["permanent"] and r["reply"] == 550'
check "refused recipient: nothing delivered" \
    [ "$(count "$TEST_TMP/plain" eml)" = "$n0" ]
send smtp "$PLAIN" none "" "" "" 30 "$FROM" "bad address@x" <"$MSG"
check "a malformed address: permanent, never sent" \
    result 'not r["ok"] and r["permanent"] and r["reply"] == 0 and "bad recipient" in r["error"]'

# --- 3. the loop is never held up ---------------------------------------------------------

echo "# a server slow to accept the message and to say goodbye"
send -w smtp "smtp://127.0.0.1:${PORT[slow]}" none "" "" "" 60 "$FROM" "$RCPT" <"$MSG"
check "slow server: ok all the same" result 'r["ok"]'
check "slow server: delivered, same bytes" \
    same_file "$MSG" "$TEST_TMP/slow/000001.eml"
# the server's two waits make 8 s: a stall of 2 s would be libcurl's
check "slow server: sendtool's loop never stalled 2 s" stall_below 2000
send vg -c 1000 smtp "smtp://127.0.0.1:${PORT[slow]}" none "" "" "" 60 \
    "$FROM" "$RCPT" <"$MSG"
check "slow server: a session cancelled while libcurl waits, exit status 3" \
    cancelled

# --- 4. webhooks -------------------------------------------------------------------------

HOOK=http://127.0.0.1:${PORT[hooks]}
JSON=$TEST_TMP/hook.json
printf '%s' '{"event":"down","target":{"id":"tra-linh","name":"Xã Trà Linh","host":"198.18.2.17"},"since":"2026-11-26T21:36:47+07:00","text":"MẤT KẾT NỐI"}' >"$JSON"

echo "# webhook 200"
send webhook "$HOOK/hook" "" 30 <"$JSON"
check "webhook: ok, 200" result 'r["ok"] and r["reply"] == 200 and r["error"] == ""'
check "webhook: the exact body arrived" \
    same_file "$JSON" "$TEST_TMP/hooks/000001.body"
check "webhook: Content-Type application/json; charset=utf-8, no Expect" \
    json_test "$TEST_TMP/hooks/000001.json" \
    'd["content_type"] == "application/json; charset=utf-8" and d["path"] == "/hook" and d["expect"] is None'

echo "# webhook errors"
send webhook "$HOOK/fail" "" 30 <"$JSON"
check "webhook 500: temporary, with the status" \
    result 'not r["ok"] and not r["permanent"] and r["reply"] == 500 and r["error"].startswith("HTTP 500")'
send webhook "$HOOK/gone" "" 30 <"$JSON"
check "webhook 404: permanent, with the status and the answer" \
    result 'not r["ok"] and r["permanent"] and r["reply"] == 404 and r["error"] == "HTTP 404 Not Found: no such hook"'
send webhook "$HOOK/busy" "" 30 <"$JSON"
check "webhook 429: temporary" \
    result 'not r["ok"] and not r["permanent"] and r["reply"] == 429'
send webhook "$HOOK/slow" "" 2 <"$JSON"
check "webhook timeout: timed out, temporary" \
    result 'not r["ok"] and not r["permanent"] and r["error"].startswith("timed out")'
send vg -c 1000 webhook "$HOOK/slow" "" 30 <"$JSON"
check "webhook cancelled: no result, exit status 3" cancelled
send webhook "http://127.0.0.1:$CLOSED/hook" "" 30 <"$JSON"
check "webhook, no server: connection refused, temporary" \
    result 'not r["ok"] and not r["permanent"] and r["error"].startswith("connection refused")'

echo "# webhook over https"
HOOKS=https://127.0.0.1:${PORT[hooks_tls]}
send vg webhook "$HOOKS/hook" "$CERTS/ca.pem" 60 <"$JSON"
check "https: ok with the test CA" result 'r["ok"] and r["reply"] == 200'
check "https: the exact body arrived" \
    same_file "$JSON" "$TEST_TMP/hooks_tls/000001.body"
send webhook "$HOOKS/hook" "$CERTS/other-ca.pem" 30 <"$JSON"
check "https: the wrong CA is a certificate error" \
    result 'not r["ok"] and not r["permanent"] and r["error"].startswith("certificate verify failed")'
check "https: nothing more arrived" [ "$(count "$TEST_TMP/hooks_tls" body)" = 1 ]

summary
