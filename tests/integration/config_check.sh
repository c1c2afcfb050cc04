#!/usr/bin/env bash
#
# tramond -n, the way an administrator uses it: exit 0 for the shipped
# example, 78 (EX_CONFIG) with FILE:LINE: lines for every class of error
# (the unit test checks each message; this checks the program around it).
#
. "$top_srcdir/tests/lib.sh"

TRAMOND=$top_builddir/tramond
PLUGINS=$top_builddir/plugins/.libs
[ -x "$TRAMOND" ] || hard_error "$TRAMOND not built"

# fixture NAME: a copy in $TEST_TMP with this build's plugin directory
fixture() {
	local f
	for f in "$top_srcdir"/tests/fixtures/*; do
		sed "s|@PLUGIN_DIR@|$PLUGINS|g" "$f" >"$TEST_TMP/$(basename "$f")"
	done
	echo "$TEST_TMP/$1"
}

# The shipped example, with this build's plugins.
sed "s|^  # plugin_dir = .*|  plugin_dir = \"$PLUGINS\";|" \
    "$top_srcdir/conf/tramon.conf" >"$TEST_TMP/tramon.conf"
grep -q "plugin_dir = \"$PLUGINS\"" "$TEST_TMP/tramon.conf" ||
    hard_error "cannot set plugin_dir in the example"
out=$("$TRAMOND" -n -c "$TEST_TMP/tramon.conf" 2>&1)
check "the shipped example is valid (exit 0)" [ $? = 0 ]
check "and has the district's 20 targets" grep -q "(20 targets)" <<<"$out"

# The Prometheus examples shipped beside it (promtool: Debian's prometheus)
if command -v promtool >/dev/null; then
	check "conf/prometheus.yml is a valid scrape configuration" \
	    promtool check config "$top_srcdir/conf/prometheus.yml"
	check "conf/tramon-alerts.yml are valid rules" \
	    promtool check rules "$top_srcdir/conf/tramon-alerts.yml"
else
	echo "# promtool missing (tests/deps.sh installs prometheus): not checked"
fi

for bad in bad-syntax bad-keys bad-types bad-range bad-dup bad-id bad-refs \
    bad-cycle bad-plugin bad-probe bad-utf8 bad-times include-syntax \
    include-missing; do
	conf=$(fixture "$bad.conf")
	out=$("$TRAMOND" -n -c "$conf" 2>&1)
	rc=$?
	check "$bad: exit 78" [ $rc = 78 ]
	# every line is FILE:LINE: message (FILE: message for unreadable files)
	lines=$(grep -c . <<<"$out")
	good=$(grep -cE '^[^:]+(:[0-9]+)?: .+' <<<"$out")
	check "$bad: $lines line(s), all FILE:LINE: message" \
	    [ "$lines" -gt 0 ] && [ "$lines" = "$good" ]
done

# the line numbers point at the offending setting
conf=$(fixture bad-range.conf)
line=$(grep -n 'interval = 0;' "$conf" | cut -d: -f1)
out=$("$TRAMOND" -n -c "$conf" 2>&1)
check "a range error names its line ($line)" \
    grep -q "^$conf:$line: .*interval" <<<"$out"
conf=$(fixture include-syntax.conf)
out=$("$TRAMOND" -n -c "$conf" 2>&1)
check "an error inside an @include names the included file" \
    grep -q "include-broken.inc:[0-9]*: " <<<"$out"

"$TRAMOND" -n -c "$TEST_TMP/does-not-exist.conf" >/dev/null 2>&1
check "a missing file: exit 78" [ $? = 78 ]
"$TRAMOND" -x >/dev/null 2>&1
check "a bad option: exit 64" [ $? = 64 ]

# tramonctl reads the same file and refuses a bad one the same way
"$top_builddir/tramonctl" -c "$(fixture bad-cycle.conf)" status >/dev/null 2>&1
check "tramonctl with a bad config: exit 78" [ $? = 78 ]
"$top_builddir/tramonctl" -c "$TEST_TMP/tramon.conf" frobnicate >/dev/null 2>&1
check "tramonctl with an unknown command: exit 64" [ $? = 64 ]

summary
