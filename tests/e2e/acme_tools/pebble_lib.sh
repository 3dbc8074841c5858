# Throw-away Pebble (Let's Encrypt's ACME test server, Debian package
# `pebble`) for tests, benchmarks and `make run`.  Debian ships no TLS files
# for it, so this makes a one-off CA and a localhost certificate with
# openssl, writes a config with loopback addresses and starts
#   pebble -config F -dnsserver 127.0.0.1:DNSPORT -strict=false
# Source it after tests/e2e/lib.sh (tests) or on its own (deploy scripts,
# deploy/pebble-local.sh).  It lives outside tests/e2e/*.sh so tests/run.sh
# does not take it for a test.
#
#   pebble_setup DIR PORT MGMT_PORT [EAB_KID EAB_KEY]
#       writes DIR/ca.pem (trust this: --ca-bundle), DIR/cert.pem, key.pem
#       and DIR/pebble.json; sets PEBBLE_DIRECTORY, PEBBLE_CA, PEBBLE_MGMT.
#   pebble_cmd DIR DNS_ADDR   prints the pebble command line.
#   pebble_wait SECONDS       waits until the directory answers.
#   pebble_root FILE          saves Pebble's issuing root (/roots/0).
# Environment for pebble itself: PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT,
# PEBBLE_AUTHZREUSE, PEBBLE_VA_SLEEPTIME.

pebble_setup() {
	_pd=$1 _pp=$2 _pm=$3
	mkdir -p "$_pd" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$_pd/ca.key" -out "$_pd/ca.pem" -days 7 \
		-subj "/CN=Burrow throw-away Pebble TLS CA" >/dev/null 2>&1 || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$_pd/key.pem" -out "$_pd/cert.csr" -subj "/CN=localhost" \
		>/dev/null 2>&1 || return 1
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' \
		>"$_pd/ext.cnf"
	openssl x509 -req -in "$_pd/cert.csr" -CA "$_pd/ca.pem" -CAkey "$_pd/ca.key" \
		-CAcreateserial -days 7 -extfile "$_pd/ext.cnf" -out "$_pd/cert.pem" \
		>/dev/null 2>&1 || return 1
	if [ $# -ge 5 ]; then
		_eab=$(printf '"externalAccountBindingRequired": true,\n    "externalAccountMACKeys": {"%s": "%s"}' "$4" "$5")
	else
		_eab='"externalAccountBindingRequired": false'
	fi
	cat >"$_pd/pebble.json" <<JSON
{
  "pebble": {
    "listenAddress": "127.0.0.1:$_pp",
    "managementListenAddress": "127.0.0.1:$_pm",
    "certificate": "$_pd/cert.pem",
    "privateKey": "$_pd/key.pem",
    "httpPort": 5002,
    "tlsPort": 5001,
    "ocspResponderURL": "",
    $_eab
  }
}
JSON
	PEBBLE_DIRECTORY="https://127.0.0.1:$_pp/dir"
	PEBBLE_CA="$_pd/ca.pem"
	PEBBLE_MGMT="https://127.0.0.1:$_pm"
	export PEBBLE_DIRECTORY PEBBLE_CA PEBBLE_MGMT
}

pebble_cmd() {
	echo "pebble -config $1/pebble.json -dnsserver $2 -strict=false"
}

pebble_wait() {
	_end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -le "$_end" ]; do
		curl -fsS --cacert "$PEBBLE_CA" "$PEBBLE_DIRECTORY" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

pebble_root() {
	curl -fsS --cacert "$PEBBLE_CA" -o "$1" "$PEBBLE_MGMT/roots/0"
}
