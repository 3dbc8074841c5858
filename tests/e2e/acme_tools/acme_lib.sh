# Helpers of the burrow-acme end-to-end tests (source after tests/e2e/lib.sh).
. "$E2E_ROOT/tests/e2e/acme_tools/pebble_lib.sh"

B=$BIN/burrow
export BURROW_DB=$T_STORE

# acme_store BASE [CUSTOM...]: a store with base zone BASE and each CUSTOM
# domain registered and marked delegated (as `burrow domain verify` would).
acme_store() {
	$B init --zone "$1" --ns "ns1.$1" --edge-ipv4 192.0.2.10 >/dev/null || return 1
	shift
	for d in "$@"; do
		$B domain add "$d" --workspace ws-test >/dev/null &&
			$B domain mark "$d" delegated --reason "test" >/dev/null || return 1
	done
}

# dns_start: burrow-dns on a free loopback port; sets DNS_PORT, DNS_PID.
# A port another suite took meanwhile is tried again, as for Pebble below.
dns_start() {
	for _try in 1 2 3; do
		DNS_PORT=$(free_port)
		start dns "$BIN/burrow-dns" --db "$BURROW_DB" --listen "127.0.0.1:$DNS_PORT" \
			--poll-ms 50
		DNS_PID=$LAST_PID
		wait_for 5 dns_up_or_gone || return 1
		kill -0 "$DNS_PID" 2>/dev/null && return 0
		wait "$DNS_PID" 2>/dev/null
		grep -q "Address already in use" "$T_DIR/dns.log" || return 1
	done
	return 1
}

# dns_up_or_gone: true once burrow-dns answers for $BASE or has exited.
# dig +short prints its errors (";; connection timed out; ...") on stdout
# too: only a record line, which never starts with ';', is an answer.
dns_up_or_gone() {
	! kill -0 "$DNS_PID" 2>/dev/null ||
		dig +short +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$BASE" SOA | grep -q '^[^;]'
}

# pebble_start NAME [EAB_KID EAB_KEY]: a throw-away Pebble resolving through
# burrow-dns; environment (PEBBLE_*) passes through.  Sets PEBBLE_PID.
# Another suite may take a port between free_port and Pebble's bind (Pebble
# then exits "address already in use"): that start is tried again on new
# ports, up to three times.
pebble_start() {
	_n=$1
	shift
	for _try in 1 2 3; do
		pebble_setup "$T_DIR/$_n" "$(free_port)" "$(free_port)" "$@" || return 1
		# shellcheck disable=SC2046
		start "$_n" $(pebble_cmd "$T_DIR/$_n" "127.0.0.1:$DNS_PORT")
		PEBBLE_PID=$LAST_PID
		wait_for 10 pebble_up_or_gone || return 1
		kill -0 "$PEBBLE_PID" 2>/dev/null && return 0
		wait "$PEBBLE_PID" 2>/dev/null
		grep -q "address already in use" "$T_DIR/$_n.log" || return 1
	done
	return 1
}

# pebble_up_or_gone: true once the directory answers or Pebble has exited.
pebble_up_or_gone() {
	! kill -0 "$PEBBLE_PID" 2>/dev/null ||
		curl -fsS --cacert "$PEBBLE_CA" "$PEBBLE_DIRECTORY" >/dev/null 2>&1
}

# acme ARGS...: burrow-acme against the current Pebble and burrow-dns.
acme() {
	"$BIN/burrow-acme" --db "$BURROW_DB" --directory "$PEBBLE_DIRECTORY" \
		--ca-bundle "$PEBBLE_CA" --dns "127.0.0.1:$DNS_PORT" "$@"
}

# cert_valid ZONE KEYTYPE: the stored chain (burrow cert show --pem) verifies
# against Pebble's root, names exactly ZONE and *.ZONE, and its leaf holds
# the stored key of type KEYTYPE (ecdsa|rsa).
cert_valid() {
	_d=$T_DIR/check.$1
	mkdir -p "$_d" && rm -f "$_d"/*
	pebble_root "$_d/root.pem" || { echo "no root from $PEBBLE_MGMT"; return 1; }
	$B cert show "$1" --pem >"$_d/chain.pem" || return 1
	awk -v d="$_d" '/-----BEGIN CERTIFICATE-----/ {n++} n {print > (d "/c" n ".pem")}' \
		"$_d/chain.pem"
	[ -f "$_d/c2.pem" ] || { echo "chain has no intermediate"; return 1; }
	cat "$_d"/c[2-9].pem >"$_d/untrusted.pem"
	openssl verify -CAfile "$_d/root.pem" -untrusted "$_d/untrusted.pem" "$_d/c1.pem" ||
		return 1
	_names=$(openssl x509 -in "$_d/c1.pem" -noout -ext subjectAltName |
		grep -o 'DNS:[^,]*' | sed 's/DNS://' | sort | xargs)
	[ "$_names" = "*.$1 $1" ] || { echo "names: $_names"; return 1; }
	t_sql "SELECT c.key_pem FROM certificates c JOIN zones z ON
		z.id = c.zone_id WHERE z.name = '$1' AND c.revoked_at = 0
		ORDER BY c.not_after DESC, c.id DESC LIMIT 1" >"$_d/key.pem"
	[ "$(openssl pkey -in "$_d/key.pem" -pubout)" = \
	  "$(openssl x509 -in "$_d/c1.pem" -noout -pubkey)" ] || { echo "key mismatch"; return 1; }
	case $2 in
	rsa) openssl x509 -in "$_d/c1.pem" -noout -text | grep -q 'rsaEncryption' ;;
	*) openssl x509 -in "$_d/c1.pem" -noout -text | grep -q 'id-ecPublicKey' ;;
	esac
}

# sql QUERY: one value from the store (either engine: lib.sh t_sql).
sql() {
	t_sql "$1"
}
