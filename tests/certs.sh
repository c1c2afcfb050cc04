# shellcheck shell=sh
# certs.sh: sourced by the scripts that make throw-away certificates for
# the tests (tests/http/mkcerts.sh, tests/mail/mkcert.sh), POSIX sh.
# Keys are EC P-256: fast to make.

# certs_dir "$@": the script's one argument, DIR, made and gone into
certs_dir() {
	[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
	mkdir -p "$1"
	cd "$1" || exit 2
}

# make_key_csr NAME CSR: NAME.key and a request for CN=localhost in CSR
make_key_csr() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$1.key" -out "$2" -subj "/CN=localhost" 2>/dev/null
}

# make_ca NAME DAYS SUBJECT: a self-signed CA in NAME.pem, NAME.key
make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$1.key" -out "$1.pem" -days "$2" -subj "$3" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
