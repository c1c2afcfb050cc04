#!/usr/bin/env bash
#
# A full disk (issue 9): state_dir and web_dir on a small tmpfs that this
# test fills with a file while tramond runs: targets change state (a tcp
# port whose listener the test starts and stops), notices are mailed to a
# real SMTP server (aiosmtpd, on the ordinary disk), pages render, the
# journal is written.  Loopback only.
#
#  1. Full: tramond keeps running and logs the failures without a flood
#     (at most a few lines a second); no file is corrupt: the RRDs pass
#     `rrdtool info`, every journal line parses, state.json parses, every
#     page is whole (the write and rename hold) or absent.
#  2. The filler removed: within a minute tramond writes again: new
#     journal lines (the changes made while full among them), a fresh
#     status.json, the RRDs' last_update moves; every journal line
#     written before the disk filled is still there, in order; every
#     notice was mailed.
#
# Skips (77) where tmpfs cannot be mounted (a container without
# CAP_SYS_ADMIN).
#
. "$top_srcdir/tests/lib.sh"
need_root
need_cmd rrdtool mount umount
. "$top_srcdir/tests/mail/servers.sh"
mail_need_tools

T0=$(date +%s)
DISK=$TEST_TMP/disk
CONF=$TEST_TMP/tramon.conf
STATE=$DISK/state
WWW=$DISK/www
LOG=
FLIP_PORT=$(free_port)
STABLE_PORT=$(free_port)
while [ "$FLIP_PORT" = "$STABLE_PORT" ]; do STABLE_PORT=$(free_port); done
MOUNTED=0

disk_cleanup() {
	local rc=$?

	listen_stop_all
	# tramond first: it holds files on the tmpfs
	if [ -n "$TRAMOND_PID" ]; then
		local before=$TESTS_FAILED
		tramond_stop || true
		[ "$TESTS_FAILED" = "$before" ] || [ "$rc" != 0 ] || rc=1
	fi
	if [ $MOUNTED = 1 ]; then
		umount "$DISK" || umount -l "$DISK" ||
		    echo "$TEST_NAME: cannot unmount $DISK" >&2
	fi
	(exit "$rc")
	mail_cleanup
}
trap disk_cleanup EXIT

mkdir -p "$DISK"
mount -t tmpfs -o size=24m,mode=0755 tmpfs "$DISK" 2>/dev/null ||
    skip "cannot mount a tmpfs here"
MOUNTED=1

smtpd mx
MX=$TEST_TMP/mx
listen_on "$STABLE_PORT"
listen_on "$FLIP_PORT"

INTERVAL=3
{
	daemon_section | sed \
	    -e "s|\"$TEST_TMP/state\"|\"$STATE\"|" \
	    -e "s|\"$TEST_TMP/www\"|\"$WWW\"|" \
	    -e 's/^  log_level .*/  log_level = "info";\n  web_refresh = 5;/'
	cat <<EOF
smtp = { url = "smtp://127.0.0.1:${PORT[mx]}"; starttls = "none";
  from = "Giám sát mạng <canhbao@namtramy.gov.vn>"; timeout = 10; };
contacts = ( { id = "it"; name = "Tổ CNTT";
  email = [ "it1@namtramy.gov.vn" ]; } );
defaults = { interval = $INTERVAL; count = 2; timeout = 0.5;
  down_after = 2; up_after = 2; notify = [ "it" ]; };
targets = (
  { id = "lo"; name = "Loopback"; type = "ping"; host = "127.0.0.2"; },
  { id = "web"; type = "tcp"; host = "127.0.0.1"; port = $STABLE_PORT; },
  { id = "flip"; type = "tcp"; host = "127.0.0.1"; port = $FLIP_PORT; }
);
EOF
} >"$CONF"
check "tramond -n accepts the configuration" \
    "$top_builddir/tramond" -n -c "$CONF"
tramond_start "$CONF"
LOG=$TRAMOND_LOG

state_is() {
	json_test "$WWW/status.json" "t('$1')['state'] == '$2'"
}
all_up() { state_is lo up && state_is web up && state_is flip up; }
check "all up" wait_for 60 all_up
# a change before the disk fills: it must survive it
listen_stop "$FLIP_PORT"
check "flip down (before the disk fills)" wait_for 60 state_is flip down
check "its notice mailed" wait_for 60 bash -c "ls '$MX'/*.eml >/dev/null 2>&1"
sleep 2
cp "$STATE"/journal/*.jsonl "$TEST_TMP/journal.before"
rrd_last() { rrdtool last "$STATE/rrd/$1.rrd" 2>/dev/null; }

# --- 1. full -------------------------------------------------------------------

LOG_BEFORE=$(wc -l <"$LOG")
FULL_AT=$(date +%s)
dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null || true
# whatever a page still fits into: fill it, byte by byte, bounded
for _ in $(seq 1 64); do
	head -c 4096 /dev/zero >>"$DISK/filler" 2>/dev/null || break
done
echo "# $(df -k "$DISK" | awk 'NR == 2 { print $4 }') kB left on the tmpfs"
# state changes while full: up, then down again
listen_on "$FLIP_PORT"
check "full: flip seen up" wait_for 60 grep -q "flip: down -> up" "$LOG"
listen_stop "$FLIP_PORT"
wait_for 60 bash -c "[ \$(grep -c 'flip: up -> down' '$LOG') -ge 1 ]"
sleep $((INTERVAL * 4))
FULL_S=$(($(date +%s) - FULL_AT))
check "full: tramond still running" tramond_running
LOG_FULL=$(($(wc -l <"$LOG") - LOG_BEFORE))
NOSPACE=$(grep -c "No space left" "$LOG" || true)
echo "# full for $FULL_S s: $LOG_FULL log lines, $NOSPACE say 'No space left'"
check "full: the failures are logged" test "$NOSPACE" -ge 1
# every render fails every page and graph: said once per 10 minutes
# (web.c write_file, graph.c draw: log_limited), like the journal
check "full: no log flood (at most 2 lines a second)" \
    test "$LOG_FULL" -le $((FULL_S * 2))

files_whole() {
	"$PYTHON" - "$STATE" "$WWW" "$TEST_TMP/journal.before" <<'EOF'
import glob, json, os, subprocess, sys
state, www, before = sys.argv[1:4]
problems = []
for path in glob.glob(state + "/rrd/*.rrd"):
    if subprocess.run(["rrdtool", "info", path],
                      stdout=subprocess.DEVNULL).returncode:
        problems.append("%s: rrdtool info fails" % path)
for path in glob.glob(state + "/journal/*.jsonl"):
    lines = open(path, "rb").read().split(b"\n")
    last = lines.pop()
    if last:
        print("# %s: a torn last line %r" % (path, last[:80]))
    for n, raw in enumerate(lines):
        try:
            if not isinstance(json.loads(raw), dict):
                raise ValueError("not an object")
        except ValueError:
            problems.append("%s:%d: does not parse: %r" %
                            (path, n + 1, raw[:160]))
old = open(before, "rb").read()
now = b"".join(open(p, "rb").read()
               for p in sorted(glob.glob(state + "/journal/*.jsonl")))
if not now.startswith(old):
    problems.append("the journal lost or changed lines written before")
try:
    json.load(open(state + "/state.json"))
except (OSError, ValueError) as e:
    problems.append("state.json: %s" % e)
for path in glob.glob(www + "/*.html") + glob.glob(www + "/t/*.html"):
    if not open(path, "rb").read().rstrip().endswith(b"</html>"):
        problems.append("%s: a truncated page" % path)
try:
    json.load(open(www + "/status.json"))
except ValueError as e:
    problems.append("status.json: %s" % e)
for path in glob.glob(state + "/outbox/*.json"):
    try:
        json.load(open(path))
    except ValueError as e:
        problems.append("%s: %s" % (path, e))
for p in problems:
    print("# " + p)
sys.exit(1 if problems else 0)
EOF
}
check "full: no file corrupt" files_whole
RRD_FULL=$(rrd_last lo)

# --- 2. space again ---------------------------------------------------------------

rm -f "$DISK/filler"
FREE_AT=$(date +%s)
JLINES=$(cat "$STATE"/journal/*.jsonl | wc -l)
fresh_status() {
	json_test "$WWW/status.json" "(__import__('datetime').datetime
	    .fromisoformat(d['generated']).timestamp() >= $FREE_AT)"
}
# and a change once there is room again
listen_on "$FLIP_PORT"
journal_grew() {
	[ "$(cat "$STATE"/journal/*.jsonl | wc -l)" -gt "$JLINES" ] &&
	    grep -q '"to":"up"' <(tail -n 20 -q "$STATE"/journal/*.jsonl)
}
rrd_moved() { [ "$(rrd_last lo)" -gt "${RRD_FULL:-0}" ]; }
check "space again: new journal lines within 60 s" wait_for 60 journal_grew
check "space again: a fresh status.json within 60 s" wait_for 60 fresh_status
check "space again: RRD last_update advances" wait_for 60 rrd_moved
echo "# recovered $(($(date +%s) - FREE_AT)) s after the filler went"
check "space again: flip up" wait_for 60 state_is flip up
sleep 2
check "space again: no file corrupt, nothing written before lost" files_whole
check "every change tramond logged is in the journal" "$PYTHON" - \
    "$LOG" "$STATE" <<'EOF'
import glob, json, re, sys
logged = [m.groups() for m in
          re.finditer(r" (\S+): (\w+) -> (\w+)(?: \(|\n)", open(sys.argv[1]).read())]
journaled = []
for p in sorted(glob.glob(sys.argv[2] + "/journal/*.jsonl")):
    for raw in open(p, "rb"):
        try:
            e = json.loads(raw)
        except ValueError:
            continue
        if e.get("event") == "state":
            journaled.append((e["target"], e["from"], e["to"]))
print("# %d changes logged, %d journaled" % (len(logged), len(journaled)))
sys.exit(0 if logged == journaled else 1)
EOF
outbox_empty() {
	[ -z "$(find "$STATE/outbox" -maxdepth 1 -name '*.json' 2>/dev/null)" ]
}
check "the outbox drains" wait_for 90 outbox_empty
NOTICES=$(grep -c '"event":"notice"' <(cat "$STATE"/journal/*.jsonl))
MAILS=$(count "$MX" eml)
echo "# $NOTICES notices journaled, $MAILS mails received"
check "every notice mailed" test "$MAILS" -ge "$NOTICES" -a "$NOTICES" -ge 3

rc=0
tramond_stop || rc=$?
check "tramond stops cleanly (exit 0)" test "$rc" -eq 0
check "no sanitizer report in tramond's log" \
    bash -c "! grep -E 'Sanitizer|runtime error:' '$LOG'"
echo "# run time $(($(date +%s) - T0)) s"
summary
