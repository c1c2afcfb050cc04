#!/bin/sh
#
# deps.sh: install every Debian package that building tramon, its tests
# and the demo need.  Idempotent: installs only what is missing, runs
# `apt-get update` only then, and says nothing unless it does something
# or fails.  Debian 12 (bookworm), as root.
#
set -eu

PACKAGES="
build-essential autoconf automake libtool pkg-config curl
libevent-dev libconfig-dev librrd-dev libcurl4-openssl-dev libsnmp-dev
libjansson-dev libosip2-dev libcairo2-dev libpango1.0-dev
rrdtool rrdcached
fping iproute2 procps util-linux
snmpd snmp snmpsim
fonts-dejavu-core tzdata
python3 valgrind chromium tidy
prometheus systemd faketime
python3-aiosmtpd openssl
sip-tester
poppler-utils
clang libclang-rt-14-dev
"
# fping, iproute2: the lab (ip netns, veth, bridges) and its checks
# procps: sysctl inside the lab's namespaces; util-linux: flock, setsid
# snmpd: the lab's core switch; snmp: snmpget/snmpset (lab.sh, checks);
# snmpsim: snmpsimd, the simulated Cisco switches of the SNMP tests (its
# python3-pysnmp4 encodes the forged responses of snmp_spoof.sh)
# python3: json_get in the tests; chromium: screenshots of the pages
# faketime: libfaketime, the wall clock jumps of tests/integration/clock_jumps.sh
# systemd: systemd-analyze security, which scores conf/tramond.service
# prometheus: promtool, which parses /metrics and checks conf/prometheus.yml
# and conf/tramon-alerts.yml
# tidy: HTML validity of every page in tests/integration/browser.sh
# (HTML Tidy 5.6, HTML5 aware; errors fail, warnings are listed)
# python3-aiosmtpd: the SMTP server of the mail tests (tests/mail/smtpd.py);
# openssl: their throw-away CAs and certificates (tests/mail/mkcert.sh)
# libosip2-dev: the sip probe's message parser; sip-tester: sipp, the SIP
# endpoints of tests/integration/sip_probe.sh
# libcairo2-dev, libpango1.0-dev: the PDF report; fonts-dejavu-core its
# font; poppler-utils: pdftotext and pdftoppm, which check it
# clang, libclang-rt-14-dev: libFuzzer and the sanitizers of tests/fuzz/run.sh

missing=""
for p in $PACKAGES; do
	# "install ok installed" only: a removed package leaves "deinstall"
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != \
	    "install ok installed" ]; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root:  sudo $0" >&2
	echo "   (or: sudo apt-get install --no-install-recommends$missing)" >&2
	exit 1
fi

echo "deps.sh: installing:$missing"
log=$(mktemp /tmp/tramon-deps.XXXXXX)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends \
    $missing; } >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "deps.sh: apt-get failed (above)" >&2
	exit 1
fi
echo "deps.sh: done"
