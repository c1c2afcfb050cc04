#!/bin/sh
#
# mkcert.sh DIR: throw-away certificates for the mail and webhook tests.
#
#	DIR/ca.pem, ca.key         a test CA
#	DIR/server.pem, server.key a server certificate signed by it, for
#	                           IP:127.0.0.1 and DNS:localhost
#	DIR/other-ca.pem           an unrelated CA: trusting only it, the
#	                           server's certificate must be refused
#
# Keys are EC P-256 (fast to make); everything is valid for a day and is
# meant to live in the test's temporary directory only.
#
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
mkdir -p "$dir"
cd "$dir"

ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

# shellcheck disable=SC2086
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 1 \
    -subj "/CN=tramon test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# shellcheck disable=SC2086
openssl req -x509 $ec -keyout other-ca.key -out other-ca.pem -days 1 \
    -subj "/CN=unrelated test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# shellcheck disable=SC2086
openssl req $ec -keyout server.key -out server.csr \
    -subj "/CN=localhost" 2>/dev/null
cat >server.ext <<EXT
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
    -CAcreateserial -out server.pem -days 1 -extfile server.ext 2>/dev/null
rm -f server.csr server.ext ca.srl other-ca.key
chmod 600 ./*.key

# the chain must verify, the unrelated CA must not
openssl verify -CAfile ca.pem server.pem >/dev/null
if openssl verify -CAfile other-ca.pem server.pem >/dev/null 2>&1; then
	echo "$0: the unrelated CA verifies the server certificate" >&2
	exit 1
fi
