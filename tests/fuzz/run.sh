#!/bin/bash
# Build the libFuzzer harnesses of tests/fuzz/ with clang (ASan + UBSan)
# out of tree, run each over its seed corpus (every seed must pass), then
# fuzz it for SECONDS (default 10) on a scratch copy of the corpus.
# One line per harness; exit 1 on a crash, a leak, a broken invariant or
# a build failure, 77 when clang or libFuzzer is missing.
#
#   tests/fuzz/run.sh [SECONDS] [NAME...]     (NAME: icmp, snmp, ...)
#
# Nothing is written into the source tree: the build goes to FUZZ_BUILD
# (default /tmp/tramon-fuzz-build-<hash of the source path>, kept so
# that a rerun only rebuilds what changed), the scratch corpora to a
# temporary directory removed at the end, a failing input to
# FUZZ_ARTIFACTS (default $FUZZ_BUILD/artifacts; the path is printed).
# Environment: CLANG (default clang), FUZZ_JOBS (make -j, default 2),
# FUZZ_KEEP=DIR (keep the grown corpora in DIR/NAME, for a long run).
set -euo pipefail

secs=${1:-10}
shift || true
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
hash=$(printf '%s' "$top" | md5sum | cut -c1-8)
build=${FUZZ_BUILD:-/tmp/tramon-fuzz-build-$hash}
arts=${FUZZ_ARTIFACTS:-$build/artifacts}
cc=${CLANG:-clang}
jobs=${FUZZ_JOBS:-2}
all="icmp snmp sipmsg journal conf mailmsg"
names=${*:-$all}

command -v "$cc" >/dev/null || { echo "run.sh: no $cc: skipped"; exit 77; }
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
echo 'int LLVMFuzzerTestOneInput(const char *d, long n){return 0;}' |
    "$cc" -x c -fsanitize=fuzzer,address -o /dev/null - 2>/dev/null ||
    { echo "run.sh: $cc has no libFuzzer (libclang-rt-*-dev): skipped"
      exit 77; }
[ -x "$top/configure" ] ||
    { echo "run.sh: no $top/configure: run ./bootstrap first"; exit 1; }

# --- the core and the plugins, instrumented (configured once)
mkdir -p "$build" "$arts"
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && "$top/configure" -q CC="$cc" \
	    CFLAGS="-g -O1 -fno-omit-frame-pointer $san -fsanitize=fuzzer-no-link" \
	    LDFLAGS="$san") >"$build/configure.log" 2>&1 ||
	    { cat "$build/configure.log"; rm -f "$build/Makefile"; exit 1; }
fi
# (only the .la names: a Makefile that remakes itself first says so too)
plugins=$(printf 'fuzz-plugins:\n\t@echo $(pkglib_LTLIBRARIES)\n' |
    make -s -C "$build" -f Makefile -f - fuzz-plugins | tr ' ' '\n' |
    grep '\.la$')
# shellcheck disable=SC2086
make -s -C "$build" -j"$jobs" libtmcore.la $plugins >"$build/make.log" 2>&1 ||
    { tail -n 40 "$build/make.log"; echo "run.sh: build failed"; exit 1; }

pc() { pkg-config "$@"; }
cflags="-g -O1 -fno-omit-frame-pointer $san -fsanitize=fuzzer -std=gnu11
	-Wall -Wextra -Wno-unused-parameter
	-I$build -I$top/include -iquote $top/daemon -iquote $here"
core="$build/.libs/libtmcore.a $(pc --libs libevent libevent_pthreads \
	libconfig librrd jansson libcurl) -lpthread -ldl -lm"

# build_one NAME: 0 built, 1 failed, 2 skipped (a library is missing)
build_one() {
	local n=$1 out=$build/fuzz/fuzz_$1 snmp=$top/plugins/snmp
	mkdir -p "$build/fuzz"
	# shellcheck disable=SC2086
	case $n in
	icmp)	"$cc" $cflags -iquote "$top/plugins/ping" -o "$out" \
		    "$here/fuzz_icmp.c" "$top/plugins/ping/icmp.c" \
		    $(pc --libs libevent) ;;
	snmp)	"$cc" $cflags -iquote "$snmp" $(net-snmp-config --cflags) \
		    -o "$out" "$here/fuzz_snmp.c" "$snmp/snmp.c" \
		    "$snmp/walk.c" "$snmp/ifmib.c" "$snmp/usm.c" \
		    -Wl,--wrap=snmp_sess_async_send \
		    -Wl,--wrap=snmp_sess_close \
		    $(pc --libs libevent) $(net-snmp-config --libs) -lm ;;
	sipmsg)	pc --exists libosip2 2>/dev/null ||
		    [ -f /usr/include/osipparser2/osip_parser.h ] ||
		    { echo "fuzz_sipmsg: no libosip2: skipped"; return 2; }
		"$cc" $cflags -iquote "$top/plugins/sip" -o "$out" \
		    "$here/fuzz_sipmsg.c" "$top/plugins/sip/sipmsg.c" \
		    -losipparser2 $(pc --libs libevent) ;;
	journal|mailmsg)
		"$cc" $cflags $(pc --cflags jansson libconfig) -o "$out" \
		    "$here/fuzz_$n.c" $core ;;
	conf)	"$cc" $cflags $(pc --cflags jansson libconfig) -o "$out" \
		    "$here/fuzz_conf.c" -Wl,--wrap=probe_load_dir $core \
		    -rdynamic ;;
	*)	echo "run.sh: no harness $n"; return 1 ;;
	esac
}

# what a harness needs, in every run below
fuzz_env() {
	FUZZ_PLUGIN_DIR="$build/plugins/.libs" \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	LSAN_OPTIONS=suppressions="$here/lsan.supp" \
	    "$@"
}

failed() {
	echo "fuzz_$1: FAILED ($2), log $3:"
	grep -E -m 20 'ERROR|SUMMARY|invariant|runtime error|Test unit written' \
	    "$3" || tail -n 20 "$3"
}

rc=0
work=$(mktemp -d /tmp/tramon-fuzz-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
for n in $names; do
	set +e
	build_one "$n" >"$work/$n.build" 2>&1
	b=$?
	set -e
	if [ $b -eq 2 ]; then
		cat "$work/$n.build"
		continue
	fi
	if [ $b -ne 0 ]; then
		cat "$work/$n.build"
		echo "fuzz_$n: build failed"
		rc=1
		continue
	fi
	bin=$build/fuzz/fuzz_$n
	maxlen=8192
	[ "$n" = snmp ] && maxlen=32768	# a walk of a 26-port switch
	# 1. every seed, once each, and the inputs of the bugs found
	seeds=("$here/corpus/$n"/*)
	for f in "$here/crashes/$n-"*; do
		[ -f "$f" ] && seeds+=("$f")
	done
	log=$work/$n.seeds.log
	if ! fuzz_env "$bin" -artifact_prefix="$arts/$n-" "${seeds[@]}" \
	    >"$log" 2>&1; then
		cp "$log" "$arts/$n.seeds.log"
		failed "$n" "a seed" "$arts/$n.seeds.log"
		rc=1
		continue
	fi
	# 2. fuzz; new inputs go to the scratch corpus, the kept seeds stay
	corpus=$work/$n
	[ -n "${FUZZ_KEEP:-}" ] && corpus=$FUZZ_KEEP/$n
	mkdir -p "$corpus"
	cp -r "$here/corpus/$n/." "$corpus/"
	log=$work/$n.log
	set +e
	fuzz_env "$bin" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=$maxlen -print_final_stats=1 \
	    -artifact_prefix="$arts/$n-" "$corpus" >"$log" 2>&1
	r=$?
	set -e
	execs=$(sed -n 's/^stat::number_of_executed_\(runs\|units\): *//p' "$log")
	last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	cov=$(printf '%s' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s' "$last" | sed -n 's/.*corp: \([0-9]*\/[^ ]*\).*/\1/p')
	echo "fuzz_$n: ${#seeds[@]} seeds ok, ${execs:-?} execs in ${secs}s," \
	    "cov ${cov:-?} ft ${ft:-?} corpus ${corp:-?}"
	if [ $r -ne 0 ]; then
		cp "$log" "$arts/$n.log"
		failed "$n" "exit $r" "$arts/$n.log"
		rc=1
	fi
done
exit $rc
