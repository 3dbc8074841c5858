#!/bin/bash
# burrow-edge, connect tokens: 'burrow token create' and the edge's check of
# every request (Bearer header, query parameter answered with Set-Cookie,
# cookie), X-Verified-User-Data set by the edge alone, bad tokens refused,
# WebSocket through after the check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"

ok "edge starts" edge_setup
app=$(free_port)
start app python3 "$PEER" serve "$app"
ok "app server up" wait_for 10 port_open "$app"
host=$(tunnel tls "127.0.0.1:$app" --connect-token)
plain=$(tunnel tls "127.0.0.1:$app")
ok "token tunnel served" wait_for 10 handshake_ok "$host"

ok "token create refuses a tunnel without --connect-token" exit_status 1 "$B" token create "$plain"
ok "token create refuses metadata that is not an object" exit_status 2 "$B" token create "$host" \
	--user-metadata '[1,2]'
long=$(python3 -c 'import json; print(json.dumps({"k": "x" * 520}))')
ok "token create refuses metadata of 512 characters or more" exit_status 2 "$B" token create "$host" \
	--user-metadata "$long"
ok "token create refuses a bad ttl" exit_status 2 "$B" token create "$host" --ttl 5y
json=$("$B" token create "$host" --user-metadata '{"user_id": "foo", "n": 1}' --json)
tok=$(echo "$json" | jq -r .token)
same "token create prints the tunnel's url" "https://$host:$EDGE_PORT" "$(echo "$json" | jq -r .url)"
ok "and a token" test -n "$tok"
url="https://$host:$EDGE_PORT"
md='{"user_id":"foo","n":1}'

code=$(curl_edge "$host" -o "$T_DIR/none.out" -w '%{http_code}' "$url/headers")
same "no token: 401" "401" "$code"
ok "  with a short body" grep -q "connect token required" "$T_DIR/none.out"

curl_edge "$host" -H "Authorization: Bearer $tok" -H 'X-Verified-User-Data: {"user_id":"admin"}' \
	-H 'x-verified-user-data: {"user_id":"root"}' "$url/headers" >"$T_DIR/bearer.out"
ok "Bearer token: the request reaches the app" grep -q '^GET /headers HTTP/1.1' "$T_DIR/bearer.out"
same "  with X-Verified-User-Data from the token, forged copies stripped" \
	"X-Verified-User-Data: $md" "$(grep -i '^x-verified-user-data' "$T_DIR/bearer.out")"
ok "  and without the token" sh -c "! grep -q '$tok' '$T_DIR/bearer.out'"

curl_edge "$host" -D "$T_DIR/query.hdr" "$url/headers?a=1&_modal_connect_token=$tok&b=2" \
	>"$T_DIR/query.out"
ok "query token: the request reaches the app" grep -q '^GET /headers?a=1&b=2 HTTP/1.1' "$T_DIR/query.out"
same "  with the verified metadata" "X-Verified-User-Data: $md" \
	"$(grep -i '^x-verified-user-data' "$T_DIR/query.out")"
ok "  answered with Set-Cookie of the token" grep -q "^Set-Cookie: _modal_connect_token=$tok;" \
	"$T_DIR/query.hdr"
ok "  HttpOnly and Secure" sh -c "grep '^Set-Cookie' '$T_DIR/query.hdr' | grep -q 'HttpOnly; Secure'"

curl_edge "$host" -b "theme=dark; _modal_connect_token=$tok" "$url/headers" >"$T_DIR/cookie.out"
same "cookie token: the app gets the verified metadata" "X-Verified-User-Data: $md" \
	"$(grep -i '^x-verified-user-data' "$T_DIR/cookie.out")"
same "  and the other cookies, not the token" "Cookie: theme=dark" "$(grep -i '^cookie' "$T_DIR/cookie.out")"

# Tampered: one character of the signature changed; and of the payload.
sig=${tok##*.}
first=${sig:0:1}
[ "$first" = A ] && swap=B || swap=A
bad_sig="${tok%.*}.$swap${sig:1}"
same "tampered signature: 401" "401" \
	"$(curl_edge "$host" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $bad_sig" "$url/")"
forged_payload=$(printf '{"h":"%s","e":9999999999,"m":{"user_id":"admin"}}' "$host" | base64 -w0 | tr '+/' '-_' | tr -d '=')
kid=${tok%%.*}
same "forged payload with an old signature: 401" "401" \
	"$(curl_edge "$host" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $kid.$forged_payload.$sig" "$url/")"
other_tok=$("$B" token create "$(tunnel tls "127.0.0.1:$app" --connect-token)" --json | jq -r .token)
same "a token for another tunnel: 401" "401" \
	"$(curl_edge "$host" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $other_tok" "$url/")"
short=$("$B" token create "$host" --ttl 1s --json | jq -r .token)
ok "a 1-second token expires" wait_for 10 sh -c "curl -sS --cacert $T_DIR/ca.pem \
	--resolve $host:$EDGE_PORT:127.0.0.1 -H 'Authorization: Bearer $short' $url/ | grep -q 'connect token expired'"
ok "  the refusal is logged" grep -q "connect token refused: expired" "$T_DIR/edge.log"
code=$(curl_edge "$host" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" \
	-H "Transfer-Encoding: chunked" -H "Content-Length: 5" -d hello "$url/")
same "conflicting framing (CL and TE) is refused: 400" "400" "$code"

# Key rotation: tokens signed by the previous key still verify.
ok "rotate the signing key" "$B" token rotate
new_tok=$("$B" token create "$host" --json | jq -r .token)
ok "  new tokens use the new key" test "${new_tok%%.*}" != "$kid"
same "  a token of the new key works" "200" \
	"$(curl_edge "$host" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $new_tok" "$url/")"
same "  and one of the old key still does" "200" \
	"$(curl_edge "$host" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$url/")"

# WebSocket: the upgrade passes after the check, frames echo both ways.
out=$(timeout 20 python3 "$PEER" ws "$host" "$EDGE_PORT" "$T_DIR/ca.pem" \
	"/ws?_modal_connect_token=$tok" "hello websocket")
same "WebSocket echo through a token-protected tunnel" "hello websocket
user-data $md" "$out"
ok "a WebSocket upgrade without a token is refused" sh -c "! timeout 20 python3 '$PEER' ws \
	'$host' '$EDGE_PORT' '$T_DIR/ca.pem' /ws hi"
done_testing
