#!/bin/bash
# burrow-edge, the connect-token gate on every request: a backend that logs
# every byte it receives (edge_tools/raw_backend.py) behind a token tunnel,
# driven by curl and by a raw TLS client that sends whole request streams
# in one write.  However the requests are pipelined, framed or disguised,
# no head reaches the backend unchecked and no identity but the edge's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"
RAW="$E2E_ROOT/tests/e2e/edge_tools/raw_backend.py"

# serve_on_free_port NAME CMD...: starts CMD with its word PORT replaced by
# a free port, and another if that one was taken before the bind (other
# tests run beside this one).  Sets PORT_FOUND.
serve_on_free_port() {
	name=$1
	shift
	for _try in 1 2 3; do
		p=$(free_port)
		args=()
		for a in "$@"; do
			if [ "$a" = PORT ]; then args+=("$p"); else args+=("$a"); fi
		done
		start "$name$_try" "${args[@]}"
		wait_for 10 sh -c "ss -Htln | awk '{print \$4}' | grep -q ':$p\$' || ! kill -0 $LAST_PID"
		if port_open "$p"; then
			PORT_FOUND=$p
			return 0
		fi
	done
	return 1
}

[ -n "${T_KEEP:-}" ] && echo "# files in $T_DIR"
ok "edge starts" edge_setup
ok "raw backend up" serve_on_free_port backend python3 "$RAW" serve PORT "$T_DIR/raw"
back=$PORT_FOUND
host=$(tunnel tls "127.0.0.1:$back" --connect-token)
ok "token tunnel served" wait_for 10 handshake_ok "$host"
md='{"user":"gate"}'
tok=$("$B" token create "$host" --user-metadata "$md" --json | jq -r .token)
other=$("$B" token create "$host" --user-metadata '{"user":"other"}' --json | jq -r .token)
url="https://$host:$EDGE_PORT"

# send NAME NRESP: the bytes of $T_DIR/NAME.req in one TLS write; the
# responses in $T_DIR/NAME.out.
send() {
	timeout 20 python3 "$RAW" send "$host" "$EDGE_PORT" "$T_DIR/ca.pem" "$T_DIR/$1.req" "$2" \
		>"$T_DIR/$1.out" 2>&1
}
# statuses NAME: the status codes received, space-separated.
statuses() {
	grep -a '^HTTP/1.1 ' "$T_DIR/$1.out" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//'
}
# backend_saw TEXT: some connection's raw bytes contain TEXT.
backend_saw() {
	cat "$T_DIR"/raw/conn-*.raw 2>/dev/null | grep -aqF -- "$1"
}

# Paragraph 5 of issue #10: a target that is only a query.
printf 'G ?_modal_connect_token=%s HTTP/1.1\r\nHost:\r\n\r\n' "$tok" >"$T_DIR/empty.req"
send empty 1
same "a target that is only a query: 400" "400" "$(statuses empty)"
ok "  the backend got nothing" sh -c "! cat '$T_DIR'/raw/conn-*.raw 2>/dev/null | grep -aq '^G '"

# A tokened request and an unauthenticated one forging the identity, in
# one write.
printf 'GET /pipe-1 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\nGET /pipe-2 HTTP/1.1\r\nHost: %s\r\nX-Verified-User-Data: {"user":"admin"}\r\n\r\n' \
	"$host" "$tok" "$host" >"$T_DIR/pipe.req"
send pipe 2
same "pipelined: the tokened request answered, the forged one refused" "200 401" "$(statuses pipe)"
ok "  the first reached the backend" backend_saw "GET /pipe-1 HTTP/1.1"
fails "  the second did not" backend_saw "/pipe-2"
fails "  nor its forged identity" backend_saw '"admin"'

# Keep-alive: several tokened requests on one client connection, each
# checked, each its own identity, one container connection.
printf 'GET /ka-1 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\nGET /ka-2 HTTP/1.1\r\nHost: %s\r\nCookie: _modal_connect_token=%s\r\n\r\nGET /ka-3 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\nGET /ka-4 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' \
	"$host" "$tok" "$host" "$tok" "$host" "$tok" "$host" "$tok" >"$T_DIR/ka.req"
send ka 4
same "keep-alive: four requests, four answers" "200 200 200 200" "$(statuses ka)"
ok "  in order" sh -c "grep -a '^seen' '$T_DIR/ka.out' | tr '\n' ' ' | grep -q 'seen GET /ka-1 seen GET /ka-2 seen GET /ka-3 seen GET /ka-4'"
same "  over one container connection" "1" \
	"$(grep -laF 'GET /ka-1 ' "$T_DIR"/raw/conn-*.raw | xargs grep -laF 'GET /ka-4 ' | wc -l)"

# curl reuses its connection for two URLs.
curl_edge "$host" -H "Authorization: Bearer $tok" "$url/curl-1" "$url/curl-2" >"$T_DIR/curl.out"
same "curl, two requests on one connection" "seen GET /curl-1
seen GET /curl-2" "$(cat "$T_DIR/curl.out")"

# Look-alike identity headers: CGI and WSGI read '_' as '-'.
curl_edge "$host" -H "Authorization: Bearer $tok" -H 'X_Verified_User_Data: {"user":"admin"}' \
	-H 'x-verified_user-DATA: {"user":"root"}' "$url/lookalike" >/dev/null
ok "look-alike identity headers: the request went through" backend_saw "GET /lookalike HTTP/1.1"
fails "  without the look-alikes" sh -c "cat '$T_DIR'/raw/conn-*.raw | grep -aiE 'x.verified.user.data: \\{\"user\":\"(admin|root)'"

# The token parameter twice: the same token is removed both times; two
# different ones are refused.
same "the token parameter twice: 200" "200" "$(curl_edge "$host" -o /dev/null -w '%{http_code}' \
	"$url/rep?_modal_connect_token=$tok&x=1&_modal_connect_token=$tok")"
ok "  forwarded without either copy" backend_saw "GET /rep?x=1 HTTP/1.1"
same "two different tokens: 400" "400" "$(curl_edge "$host" -o /dev/null -w '%{http_code}' \
	"$url/rep2?_modal_connect_token=$tok&_modal_connect_token=$other")"
fails "  and not forwarded" backend_saw "/rep2"

# h2c (or anything but WebSocket) after a 101 would carry requests the
# edge could not read: refused, though this backend would accept it.
printf 'GET /h2c HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nAuthorization: Bearer %s\r\n\r\n' \
	"$host" "$tok" >"$T_DIR/h2c.req"
send h2c 1
same "Upgrade: h2c refused: 400" "400" "$(statuses h2c)"
ok "  with a reason" grep -q "only WebSocket upgrades are allowed" "$T_DIR/h2c.out"
fails "  and never forwarded" backend_saw "/h2c"
ok "  logged" grep -q "upgrade other than WebSocket refused" "$T_DIR/edge.log"

# Chunked bodies, one holding what looks like a request, then a tokened
# request and an untokened one, all in one write.
body='GET /smuggled HTTP/1.1\r\nHost: x\r\nX-Verified-User-Data: {"user":"admin"}\r\n\r\n'
n=$(printf "$body" | wc -c)
printf "POST /chunk-1 HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer %s\r\n\r\n%x;ext=1\r\n$body\r\n0\r\nX-Checksum: 1\r\n\r\nGET /chunk-2 HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\nGET /chunk-3 HTTP/1.1\r\nHost: %s\r\n\r\n" \
	"$host" "$tok" "$n" "$host" "$tok" "$host" >"$T_DIR/chunk.req"
send chunk 3
same "chunked body, then two requests: 200 200 401" "200 200 401" "$(statuses chunk)"
ok "  the request after the body was checked and forwarded" backend_saw "GET /chunk-2 HTTP/1.1"
fails "  the untokened one was not" backend_saw "/chunk-3"
printf 'POST /chunk-4 HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer %s\r\n\r\n0\r\nX-Verified-User-Data: {"user":"admin"}\r\n\r\n' \
	"$host" "$tok" >"$T_DIR/trailer.req"
send trailer 1
same "an identity field in the trailers: 400" "400" "$(statuses trailer)"

# WebSocket still works (edge_peer.py echoes frames).
ok "WebSocket app up" serve_on_free_port app python3 "$PEER" serve PORT
app=$PORT_FOUND
ws=$(tunnel tls "127.0.0.1:$app" --connect-token)
ws_tok=$("$B" token create "$ws" --user-metadata "$md" --json | jq -r .token)
ok "  its tunnel served" wait_for 10 handshake_ok "$ws"
same "WebSocket echo through the gate" "hello gate
user-data $md" "$(timeout 20 python3 "$PEER" ws "$ws" "$EDGE_PORT" "$T_DIR/ca.pem" \
	"/ws?_modal_connect_token=$ws_tok" "hello gate")"

# A tcp tunnel with --connect-token would be open to anyone: refused by
# the CLI, the store and 'token create'; a row written behind their back
# is not served.
ok "tunnel create refuses tcp with --connect-token (exit 2)" exit_status 2 \
	"$B" tunnel create --kind tcp --target "127.0.0.1:$back" --connect-token
ok "  with one line on stderr" sh -c "'$B' tunnel create --kind tcp --target 127.0.0.1:$back \
	--connect-token 2>&1 >/dev/null | grep -c . | grep -qx 1"
tcp_port=$((tcp_lo + 9))
ok "a tcp row marked connect_token, inserted with SQL" t_sql \
	"INSERT INTO tunnels(hostname, zone_id, target_host, target_port, kind, public_port,
	 connect_token, created_at) SELECT 'tcptoken00000a.$ZONE', id, '127.0.0.1', $back, 'tcp',
	 $tcp_port, 1, $(date +%s) FROM zones WHERE name = '$ZONE'"
ok "  token create refuses it (exit 1)" exit_status 1 "$B" token create "tcptoken00000a.$ZONE"
plain=$(tunnel tcp "127.0.0.1:$back")
ok "  a tcp tunnel created after it is taken up (the edge read both rows)" wait_for 10 \
	grep -qE "tunnel $plain: (tcp port|cannot listen)" "$T_DIR/edge.log"
ok "  the edge logged the refusal" grep -q "tcptoken00000a.$ZONE: tcp with connect tokens cannot be protected, not served" \
	"$T_DIR/edge.log"
fails "  and does not listen on its port" port_open "$tcp_port"

# Everything the backend ever received, read independently of the edge.
ok "every request the backend received carries exactly the edge's identity" \
	python3 "$RAW" check "$T_DIR/raw" "$md"
sed 's/^/# /' "$T_DIR/last.out"
done_testing
