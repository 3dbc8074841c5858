#!/bin/bash
# burrow-edge TLS policy (issue #11): testssl.sh finds nothing wrong that is
# not about the test CA, for a zone with an ECDSA and one with an RSA
# certificate; only the AEAD suites of Mozilla's "intermediate" profile are
# accepted (each TLS 1.2 suite of the local OpenSSL tried alone); TLS 1.1
# and CBC-only clients are refused; X25519 is preferred; no renegotiation;
# h2 ALPN still works; a session resumes by ticket (no session-id cache) on
# the zone and certificate it was made with, not on another zone's tunnels
# and not after the zone's certificate was renewed.
#
# testssl.sh takes about a minute here (two scans, -p -P -E -f -S -U and
# -E -S -U); its checks that run without SNI (secure_renego,
# secure_client_renego) cannot reach an SNI-only server, so both are
# checked with openssl s_client below.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"

OTHER=sandbox.example.com

# Findings that are about the test CA, not the edge: it publishes no CRL
# and no OCSP responder.  (The chain is trusted with --add-ca; the leaves
# live 90 days, so expiry is no finding either.)
CA_FINDINGS='["cert_revocation"]'

# cert_for NAME ZONE KEY ARGS...: a 90-day leaf for *.ZONE and ZONE signed
# by the test CA, its key made by openssl req -newkey KEY ARGS..., as
# $T_DIR/NAME.pem and $T_DIR/NAME.key.
cert_for() {
	n=$1
	z=$2
	shift 2
	openssl req -newkey "$@" -nodes -keyout "$T_DIR/$n.key" -out "$T_DIR/$n.csr" \
		-subj "/CN=*.$z" 2>/dev/null &&
	printf 'subjectAltName=DNS:*.%s,DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$z" "$z" >"$T_DIR/$n.ext" &&
	openssl x509 -req -in "$T_DIR/$n.csr" -CA "$T_DIR/ca.pem" -CAkey "$T_DIR/ca.key" \
		-CAcreateserial -out "$T_DIR/$n.pem" -days 90 -extfile "$T_DIR/$n.ext" 2>/dev/null
}

# hello HOST [S_CLIENT ARGS...]: one verified connection for HOST that sends
# an HTTP/1.0 request and reads to the end, so TLS 1.3 tickets (sent after
# the handshake) are in before s_client exits.  Prints s_client's output.
hello() {
	h=$1
	shift
	printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$h" | timeout 10 openssl s_client -ign_eof \
		-connect "127.0.0.1:$EDGE_PORT" -servername "$h" -CAfile "$T_DIR/ca.pem" \
		-verify_return_error -verify_hostname "$h" "$@" 2>&1
}

# resumes SESSION HOST [ARGS...]: HOST resumes the session in file SESSION.
resumes() {
	s=$1
	h=$2
	shift 2
	hello "$h" -sess_in "$s" "$@" >"$T_DIR/resume.out"
	grep -q '^Reused,' "$T_DIR/resume.out"
}

# new_session SESSION HOST [ARGS...]: HOST completes a verified handshake
# with its own certificate and a new session although SESSION was offered.
new_session() {
	s=$1
	h=$2
	shift 2
	hello "$h" -sess_in "$s" "$@" >"$T_DIR/resume.out"
	grep -q '^New,' "$T_DIR/resume.out" &&
	grep -q 'Verify return code: 0 (ok)' "$T_DIR/resume.out" &&
	grep -q "^subject=CN = \*\.${h#*.}\$" "$T_DIR/resume.out"
}

# accepted HOST: the TLS 1.2 suites of the local OpenSSL that the edge
# accepts for HOST, each offered alone, sorted on one line.
accepted() {
	for c in $(openssl ciphers -tls1_2 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' | tr ':' ' '); do
		case "$c" in TLS_*) continue ;; esac
		echo | timeout 10 openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$1" \
			-tls1_2 -cipher "$c:@SECLEVEL=0" >/dev/null 2>&1 && echo "$c"
	done | sort | paste -sd' '
}

# offers13 SUITE: a TLS 1.3 client offering only SUITE gets it.
offers13() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$host" \
		-tls1_3 -ciphersuites "$1" 2>&1 | grep -q "^New, TLSv1.3, Cipher is $1\$"
}

# serial_changed: $host shows another certificate than serial $serial.
serial_changed() {
	[ "$(served_serial "$host")" != "$serial" ]
}

# scan NAME HOST CHECKS...: testssl.sh with HOST as SNI; findings in
# $T_DIR/NAME.json.  It reaches only 127.0.0.1 (--ip, no DNS look-ups,
# nothing fetched: no --phone-out).
scan() {
	name=$1
	h=$2
	shift 2
	testssl --quiet --color 0 --warnings off --nodns none --ip 127.0.0.1 \
		--add-ca "$T_DIR/ca.pem" --connect-timeout 10 --openssl-timeout 20 \
		--jsonfile "$T_DIR/$name.json" "$@" "$h:$EDGE_PORT" >"$T_DIR/$name.txt" 2>&1
	jq -e 'length > 0' "$T_DIR/$name.json" >/dev/null
}

# bad NAME: testssl's findings in NAME.json that are not OK, one a line:
# LOW and worse, or any "VULNERABLE"/"NOT ok", but those of CA_FINDINGS.
bad() {
	jq -r --argjson ca "$CA_FINDINGS" '.[]
		| select((.severity | IN("LOW", "MEDIUM", "HIGH", "CRITICAL", "FATAL"))
			or (.finding | test("VULNERABLE|NOT ok")))
		| select(.id as $id | $ca | index($id) | not)
		| "\(.id) \(.severity) \(.finding)"' "$T_DIR/$1.json"
}

# finding NAME ID: testssl's finding ID in NAME.json, as "SEVERITY finding".
finding() {
	jq -r --arg id "$2" '.[] | select(.id == $id) | "\(.severity) \(.finding)"' "$T_DIR/$1.json"
}

# warnings NAME: the checks testssl could not run, as TAP comments.
warnings() {
	jq -r '.[] | select(.severity == "WARN") | "# testssl could not check \(.id): \(.finding)"' \
		"$T_DIR/$1.json"
}

ok "edge starts" edge_setup
web=$(free_port)
mkdir -p "$T_DIR/www"
echo "hello through the edge" >"$T_DIR/www/index.html"
start web python3 -m http.server "$web" --bind 127.0.0.1 --directory "$T_DIR/www"
ok "web server up" wait_for 10 port_open "$web"
h2port=$(free_port)
start nghttpd nghttpd --no-tls -d "$T_DIR/www" "$h2port"
ok "nghttpd up" wait_for 10 port_open "$h2port"

ok "a second zone (a customer domain, delegated)" sh -c "'$B' domain add $OTHER --workspace ws1 && \
	'$B' domain mark $OTHER delegated"
ok "an RSA-2048 certificate for it" cert_for rsa "$OTHER" rsa:2048
ok "  imported" "$B" cert import "$OTHER" --chain "$T_DIR/rsa.pem" --key "$T_DIR/rsa.key"
host=$(tunnel tls "127.0.0.1:$web")
host2=$(tunnel tls "127.0.0.1:$web")
h2=$(tunnel h2 "127.0.0.1:$h2port")
other=$(tunnel tls "127.0.0.1:$web" --zone "$OTHER")
ok "tunnels created" test -n "$host" -a -n "$host2" -a -n "$h2" -a -n "$other"
for h in "$host" "$host2" "$h2" "$other"; do
	ok "$h is served" wait_for 10 handshake_ok "$h"
done
same "the RSA zone's tunnel works end to end" "hello through the edge" \
	"$(curl_edge "$other" "https://$other:$EDGE_PORT/index.html")"

# Sessions taken now, under the first certificate of $ZONE (renewed below).
for v in tls1_2 tls1_3; do
	hello "$host" "-$v" -sess_out "$T_DIR/old.$v.sess" >/dev/null
	ok "$v: a session under the first certificate resumes" resumes "$T_DIR/old.$v.sess" "$host" "-$v"
done
serial=$(served_serial "$host")
ok "a 90-day ECDSA certificate for $ZONE (edge_setup's lives 2 days)" cert_for ec "$ZONE" \
	ec -pkeyopt ec_paramgen_curve:P-256
ok "  imported" "$B" cert import "$ZONE" --chain "$T_DIR/ec.pem" --key "$T_DIR/ec.key"
ok "  and served without a restart" wait_for 10 serial_changed
for v in tls1_2 tls1_3; do
	ok "$v: a session from before the renewal starts a new one" \
		new_session "$T_DIR/old.$v.sess" "$host" "-$v"
done

# Resumption: by ticket, within the zone and certificate the session has.
for v in tls1_2 tls1_3; do
	hello "$host" "-$v" -sess_out "$T_DIR/$v.sess" >"$T_DIR/$v.out"
	ok "$v: the edge issues a ticket that lives 2 hours" \
		grep -q 'TLS session ticket lifetime hint: 7200' "$T_DIR/$v.out"
	ok "$v: the session resumes on the same tunnel" resumes "$T_DIR/$v.sess" "$host" "-$v"
	ok "$v: and on another tunnel of the zone (same certificate)" \
		resumes "$T_DIR/$v.sess" "$host2" "-$v"
	ok "$v: not on a tunnel of another zone: a full handshake with its certificate" \
		new_session "$T_DIR/$v.sess" "$other" "-$v"
done
hello "$host" -tls1_2 -no_ticket -sess_out "$T_DIR/noticket.sess" >"$T_DIR/noticket.out"
ok "no session-id cache: a client without tickets gets no session id" \
	grep -q '^    Session-ID: $' "$T_DIR/noticket.out"
fails "  so it has no session to resume" test -s "$T_DIR/noticket.sess"
hello "$other" -tls1_3 -sess_out "$T_DIR/rsa.sess" >/dev/null
ok "the RSA zone resumes its own sessions" resumes "$T_DIR/rsa.sess" "$other" -tls1_3
ok "  but not on the ECDSA zone" new_session "$T_DIR/rsa.sess" "$host" -tls1_3

# Suites, versions, groups.
same "ECDSA zone: TLS 1.2 accepts exactly the ECDHE-ECDSA AEAD suites" \
	"ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305" \
	"$(accepted "$host")"
same "RSA zone: TLS 1.2 accepts exactly the ECDHE-RSA AEAD suites" \
	"ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305" \
	"$(accepted "$other")"
for s in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
	ok "TLS 1.3 offers $s" offers13 "$s"
done
echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$host" -tls1_2 \
	-cipher AES128-SHA256 >"$T_DIR/cbc.out" 2>&1
ok "a CBC-only TLS 1.2 client (AES128-SHA256) is refused: handshake_failure" \
	grep -q 'alert handshake failure' "$T_DIR/cbc.out"
echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$host" -tls1_2 \
	-cipher ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA >"$T_DIR/cbc2.out" 2>&1
ok "  and so is one with only ECDHE CBC suites" grep -q 'alert handshake failure' "$T_DIR/cbc2.out"
echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$host" -tls1_1 \
	-cipher 'DEFAULT@SECLEVEL=0' >"$T_DIR/tls11.out" 2>&1
ok "TLS 1.1 is refused with a protocol_version alert" grep -q 'alert protocol version' "$T_DIR/tls11.out"
hello "$host" -tls1_2 -groups P-384:P-256:X25519 >"$T_DIR/groups.out"
ok "TLS 1.2: the server's group order wins: X25519" grep -q '^Server Temp Key: X25519' "$T_DIR/groups.out"
hello "$host" -tls1_2 -groups P-384:P-256 >"$T_DIR/groups.out"
ok "  then P-256" grep -q '^Server Temp Key: ECDH, prime256v1' "$T_DIR/groups.out"
hello "$host" -tls1_3 -groups P-384 >"$T_DIR/groups.out"
ok "  P-384 still works" grep -q '^Server Temp Key: ECDH, secp384r1' "$T_DIR/groups.out"
echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$host" -groups P-521 \
	>"$T_DIR/p521.out" 2>&1
ok "  P-521 alone is refused" grep -q 'alert handshake failure' "$T_DIR/p521.out"
hello "$host" -tls1_2 >"$T_DIR/t12.out"
ok "TLS 1.2: secure renegotiation (RFC 5746) is signalled" \
	grep -q 'Secure Renegotiation IS supported' "$T_DIR/t12.out"
ok "  no compression" grep -q '^Compression: NONE' "$T_DIR/t12.out"
echo R | timeout 10 openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$host" -tls1_2 \
	>"$T_DIR/reneg.out" 2>&1
ok "  a client-initiated renegotiation is refused" grep -q 'no renegotiation' "$T_DIR/reneg.out"

# ALPN: h2 tunnels still negotiate h2, and speak it end to end.
alpn=$(echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$h2" -alpn h2,http/1.1 \
	2>/dev/null | grep -i '^ALPN protocol')
same "the edge selects h2 for an h2 tunnel" "ALPN protocol: h2" "$alpn"
out=$(curl_edge "$h2" --http2 -w '%{http_version}' "https://$h2:$EDGE_PORT/index.html")
same "curl --http2 through the h2 tunnel" "hello through the edge
2" "$out"

# testssl.sh: ECDSA zone with every check group chosen, RSA zone with the
# certificate-dependent ones (suites, certificate, ROBOT/DROWN...).
t0=$(date +%s)
ok "testssl.sh scans the ECDSA zone's tunnel" scan ecdsa "$host" -p -P -E -f -S -U
ok "testssl.sh scans the RSA zone's tunnel" scan rsa "$other" -E -S -U
echo "# testssl.sh took $(($(date +%s) - t0)) s"
for n in ecdsa rsa; do
	same "$n: no finding of testssl.sh is NOT ok or VULNERABLE" "" "$(bad $n)"
	warnings "$n"
done
same "testssl: LUCKY13 (the CBC finding of issue #11) is gone" "OK not vulnerable" "$(finding ecdsa LUCKY13)"
same "testssl: TLS 1.1 not offered" "INFO not offered" "$(finding ecdsa TLS1_1)"
same "testssl: TLS 1.3 offered" "OK offered with final" "$(finding ecdsa TLS1_3)"
same "testssl: the RSA certificate's chain is trusted" "OK passed." "$(finding rsa cert_chain_of_trust)"

stop "$EDGE_PID"
ok "SIGTERM: the edge exits cleanly" grep -q "stopped" "$T_DIR/edge.log"
done_testing
