#!/bin/sh
# mkcert.sh DIR IP...: a throw-away CA (DIR/ca.pem) and a server certificate
# for those IP addresses signed by it (DIR/server.pem, key DIR/server.key,
# mode 0600), P-256, valid for two days.  For burrow-exit's TLS tests.
set -eu
dir=$1
shift
san=$(for ip in "$@"; do printf 'IP:%s,' "$ip"; done | sed 's/,$//')
umask 077
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=burrow-exit test CA $$" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/CN=burrow-exit" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
	"$san" >"$dir/ext.cnf"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
	-CAcreateserial -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null
