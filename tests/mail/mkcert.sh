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
# Everything is valid for a day and is meant to live in the test's
# temporary directory only.
#
set -eu

# shellcheck source=tests/certs.sh
. "$(dirname "$0")/../certs.sh"
certs_dir "$@"

make_ca ca 1 "/CN=tramon test CA"
make_ca other-ca 1 "/CN=unrelated test CA"
make_key_csr server server.csr
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
