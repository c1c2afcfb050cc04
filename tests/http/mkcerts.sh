#!/bin/sh
#
# mkcerts.sh DIR: throw-away certificates for the http probe tests.
#
#	DIR/ca.pem, ca.key          a test CA (valid for a year)
#	DIR/good.pem, good.key      valid for a year
#	DIR/soon.pem, soon.key      expires in 5 days (cert_warn_days 14)
#	DIR/expired.pem, expired.key  expired on 2020-02-01
#
# Every server certificate is signed by the test CA for IP:127.0.0.1,
# DNS:localhost and DNS:portal.test (reached with `host`, never looked
# up).  Dates in the past need `openssl ca` (x509 -req has no
# -not_before before OpenSSL 3.4).
#
set -eu

# shellcheck source=tests/certs.sh
. "$(dirname "$0")/../certs.sh"
certs_dir "$@"

make_ca ca 365 "/CN=tramon http test CA"

mkdir -p db
: >db/index.txt
cat >db/ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
dir = $PWD/db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
certificate = $PWD/ca.pem
private_key = $PWD/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = server
[ any ]
commonName = supplied
[ server ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:portal.test
CNF
echo 1000 >db/serial

# sign NAME STARTDATE ENDDATE (YYYYMMDDHHMMSSZ)
sign() {
	make_key_csr "$1" "db/$1.csr"
	openssl ca -batch -config db/ca.cnf -notext -startdate "$2" \
	    -enddate "$3" -in "db/$1.csr" -out "$1.pem" 2>/dev/null
}

now=$(date -u +%s)
stamp() {
	date -u -d "@$1" +%Y%m%d%H%M%SZ
}
sign good "$(stamp $((now - 3600)))" "$(stamp $((now + 365 * 86400)))"
sign soon "$(stamp $((now - 3600)))" "$(stamp $((now + 5 * 86400)))"
sign expired 20200101000000Z 20200201000000Z
rm -rf db
chmod 600 ./*.key

openssl verify -CAfile ca.pem good.pem soon.pem >/dev/null
if openssl verify -CAfile ca.pem expired.pem >/dev/null 2>&1; then
	echo "$0: the expired certificate verifies" >&2
	exit 1
fi
