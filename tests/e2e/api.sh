#!/bin/bash
# burrow-api against a real burrow-edge and burrow-dns, driven with curl as
# a container runtime would: every route, every error (one JSON shape, the
# store unchanged), idempotent create, another workspace's 404 for every
# verb, TLS off loopback, the exit agent's token as the same credential.
# Leases and tokens: api_lease.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"
. "$(dirname "$0")/api_lib.bash"

ok "edge, dns and api start" api_setup
app=$(free_port)
start app python3 "$PEER" serve "$app"
ok "app server up" wait_for 10 port_open "$app"

same "GET /v1/: 200" 200 "$(req "" GET /v1/)"
same "  with the version" "burrow-api 1" "$(field '.service + " " + .version')"
same "no key: 401" 401 "$(req "" GET /v1/tunnels)"
same "  code unauthorized" unauthorized "$(field .error.code)"
ok "  with WWW-Authenticate: Bearer" grep -qi '^WWW-Authenticate: Bearer' "$T_DIR/r.head"
same "unknown key: 401" 401 "$(req "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" GET /v1/tunnels)"
same "a Basic credential: 401" 401 "$(curl -s -o /dev/null -w '%{http_code}' -u "a:$KEY" "$API/v1/tunnels")"
ok "the key is never logged" sh -c "! grep -qF '$KEY' '$T_DIR/api.log'"

body="{\"sandbox\": \"sb-1\", \"target\": \"127.0.0.1:$app\", \"lease_seconds\": 600}"
same "POST /v1/tunnels: 201" 201 "$(req "$KEY" POST /v1/tunnels "$body")"
host=$(field .hostname)
cp "$T_DIR/r.json" "$T_DIR/created.json"
# How soon is make bench-api's to measure; here only that it happens.
ok "  served by the edge" wait_for 10 handshake_ok "$host"
ok "  and answered by burrow-dns" wait_for 10 dig_answers "$host"
same "  Content-Type application/json" 1 "$(grep -ci '^Content-Type: application/json' "$T_DIR/r.head")"
cli=$("$B" tunnel create --target 127.0.0.1:1 --json | jq -c 'keys')
same "  the keys of burrow tunnel create --json (with sandbox, expires_at)" "$cli" \
	"$(jq -c keys "$T_DIR/created.json")"
same "  sandbox and workspace" "sb-1 acme" "$(jq -r '.sandbox + " " + .workspace' "$T_DIR/created.json")"
ok "  expires_at in 600 s" test "$(( $(date -d "$(jq -r .expires_at "$T_DIR/created.json")" +%s) - $(date +%s) ))" -gt 500
same "  the edge relays to the target" ok "$(curl_edge "$host" "https://$host:$EDGE_PORT/")"
same "the same create again: 200" 200 "$(req "$KEY" POST /v1/tunnels "$body")"
same "  the same tunnel" "$host" "$(field .hostname)"
same "the same target with another kind: 409" 409 "$(req "$KEY" POST /v1/tunnels \
	"{\"sandbox\": \"sb-1\", \"target\": \"127.0.0.1:$app\", \"kind\": \"h2\"}")"
same "  code conflict" conflict "$(field .error.code)"
same "another sandbox, same target: 201" 201 "$(req "$KEY" POST /v1/tunnels \
	"{\"sandbox\": \"sb-2\", \"target\": \"127.0.0.1:$app\", \"kind\": \"h2\"}")"
h2=$(field .hostname)
ok "  a new name" test "$h2" != "$host"

same "GET /v1/tunnels: 200" 200 "$(req "$KEY" GET /v1/tunnels)"
same "  both of the workspace's tunnels" "$host $h2" "$(field '[.tunnels[].hostname] | join(" ")')"
same "GET /v1/tunnels?sandbox=sb-2" "$h2" "$(req "$KEY" GET '/v1/tunnels?sandbox=sb-2' >/dev/null; field '[.tunnels[].hostname] | join(" ")')"
same "a bad query: 400" 400 "$(req "$KEY" GET '/v1/tunnels?sandbox=a%20b')"
same "GET /v1/tunnels/{hostname}: 200" 200 "$(req "$KEY" GET "/v1/tunnels/$host")"
same "  that tunnel" "$host" "$(field .hostname)"
same "the other workspace lists none of them" 0 "$(req "$OTHER" GET /v1/tunnels >/dev/null; field '.tunnels | length')"

# Another workspace's tunnel does not exist for its key, whatever the verb.
same "another workspace: GET 404" 404 "$(req "$OTHER" GET "/v1/tunnels/$host")"
same "  code not_found" not_found "$(field .error.code)"
same "another workspace: DELETE 404" 404 "$(req "$OTHER" DELETE "/v1/tunnels/$host")"
same "another workspace: POST tokens 404" 404 "$(req "$OTHER" POST "/v1/tunnels/$host/tokens" '{}')"
same "another workspace: POST lease 404" 404 "$(req "$OTHER" POST /v1/sandboxes/sb-1/lease '{"lease_seconds": 60}')"
same "another workspace: DELETE sandbox 404" 404 "$(req "$OTHER" DELETE /v1/sandboxes/sb-1)"
same "  and the tunnel is still there" 200 "$(req "$KEY" GET "/v1/tunnels/$host")"
ok "  and still served" wait_for 10 handshake_ok "$host"

# Bad requests: each a clear error, the store unchanged.
"$B" domain add custom.example --workspace acme >/dev/null
"$B" domain add theirs.example --workspace other >/dev/null
"$B" domain mark theirs.example delegated >/dev/null
before=$("$B" tunnel list --json | jq -c '[.[].hostname]')
serial=$(dig @127.0.0.1 -p "$DNS_PORT" +short w.modal.host SOA | awk '{print $3}')
bad() {
	same "$1: $2" "$2" "$(req "$KEY" POST /v1/tunnels "$4")"
	same "  code $3" "$3" "$(field .error.code)"
	ok "  with a message" test -n "$(field .error.message)"
}
bad "malformed JSON" 400 bad_request '{"target": "127.0.0.1:80",'
bad "not an object" 400 bad_request '["127.0.0.1:80"]'
bad "trailing bytes" 400 bad_request '{"target": "127.0.0.1:80"} x'
bad "an unknown field" 400 bad_request '{"target": "127.0.0.1:80", "encrypted": true}'
bad "duplicate fields" 400 bad_request '{"target": "127.0.0.1:80", "target": "127.0.0.1:81"}'
bad "no target" 400 bad_request '{"sandbox": "sb-1"}'
bad "port 0" 400 bad_request '{"target": "127.0.0.1:0"}'
bad "port 70000" 400 bad_request '{"target": "127.0.0.1:70000"}'
bad "not an address" 400 bad_request '{"target": "no such host!:80"}'
bad "a target that is a number" 400 bad_request '{"target": 8000}'
bad "an unknown kind" 400 bad_request '{"target": "127.0.0.1:80", "kind": "udp"}'
bad "connect_token on tcp" 400 bad_request '{"target": "127.0.0.1:80", "kind": "tcp", "connect_token": true}'
bad "a lease of 0" 400 bad_request '{"target": "127.0.0.1:80", "lease_seconds": 0}'
bad "a lease that is a string" 400 bad_request '{"target": "127.0.0.1:80", "lease_seconds": "60"}'
bad "a bad sandbox name" 400 bad_request '{"target": "127.0.0.1:80", "sandbox": "a/b"}'
bad "an undelegated domain" 409 conflict '{"target": "127.0.0.1:80", "domain": "custom.example"}'
bad "another workspace's domain" 404 not_found '{"target": "127.0.0.1:80", "domain": "theirs.example"}'
bad "an unknown domain" 404 not_found '{"target": "127.0.0.1:80", "domain": "nowhere.example"}'
big=$(python3 -c 'print("{\"target\": \"127.0.0.1:80\", \"sandbox\": \"" + "x" * 70000 + "\"}")')
bad "a body over 64 KiB" 413 too_large "$big"
same "the store is unchanged" "$before" "$("$B" tunnel list --json | jq -c '[.[].hostname]')"
same "  and the zone's serial" "$serial" "$(dig @127.0.0.1 -p "$DNS_PORT" +short w.modal.host SOA | awk '{print $3}')"
same "an unknown route: 404" 404 "$(req "$KEY" GET /v1/nothing)"
same "a wrong method: 405" 405 "$(req "$KEY" PUT /v1/tunnels '{}')"

# GET /v1/domains: this workspace's domains and their delegation state.
same "GET /v1/domains: 200" 200 "$(req "$KEY" GET /v1/domains)"
same "  the workspace's domain, pending" "custom.example pending false" \
	"$(field '.domains[] | .name + " " + .state + " " + (.delegated | tostring)')"
"$B" domain mark custom.example delegated >/dev/null
same "a delegated domain of the workspace: 201" 201 "$(req "$KEY" POST /v1/tunnels \
	"{\"sandbox\": \"sb-3\", \"target\": \"127.0.0.1:$app\", \"domain\": \"custom.example\"}")"
same "  a name under it" custom.example "$(field .zone)"
ok "  answered by burrow-dns" wait_for 10 dig_answers "$(field .hostname)"

# The workspace's tunnel limit: refused with 429, nothing written.
limit_api() {
	stop "$API_PID"
	api_start --tunnel-limit "$1"
}
ok "restart with --tunnel-limit 3" limit_api 3
before=$("$B" tunnel list --json | jq -c '[.[].hostname]')
same "over the workspace's limit: 429" 429 "$(req "$KEY" POST /v1/tunnels '{"target": "127.0.0.1:9"}')"
same "  code limit" limit "$(field .error.code)"
same "  nothing written" "$before" "$("$B" tunnel list --json | jq -c '[.[].hostname]')"
same "  an idempotent retry still answers: 200" 200 "$(req "$KEY" POST /v1/tunnels "$body")"
same "  another workspace has its own count: 201" 201 "$(req "$OTHER" POST /v1/tunnels '{"target": "127.0.0.1:9"}')"
ok "restart without a limit" limit_api 0

# DELETE: a tunnel, then a sandbox.
same "DELETE /v1/tunnels/{hostname}: 204" 204 "$(req "$KEY" DELETE "/v1/tunnels/$h2")"
same "  then 404" 404 "$(req "$KEY" GET "/v1/tunnels/$h2")"
ok "  NXDOMAIN" wait_for 10 sh -c "dig @127.0.0.1 -p $DNS_PORT +noall +comments $h2 A | grep -q NXDOMAIN"
ok "  refused by the edge" wait_for 10 sh -c "! echo | timeout 10 openssl s_client -connect 127.0.0.1:$EDGE_PORT -servername $h2 -CAfile $T_DIR/ca.pem -verify_return_error >/dev/null 2>&1"
req "$KEY" POST /v1/tunnels "{\"sandbox\": \"sb-1\", \"target\": \"127.0.0.1:$((app + 1))\"}" >/dev/null
second=$(field .hostname)
same "the sandbox has two tunnels" 2 "$(req "$KEY" GET '/v1/tunnels?sandbox=sb-1' >/dev/null; field '.tunnels | length')"
same "DELETE /v1/sandboxes/sb-1: 204" 204 "$(req "$KEY" DELETE /v1/sandboxes/sb-1)"
same "  the sandbox has none" 0 "$(req "$KEY" GET '/v1/tunnels?sandbox=sb-1' >/dev/null; field '.tunnels | length')"
ok "  both NXDOMAIN" wait_for 10 sh -c "dig @127.0.0.1 -p $DNS_PORT +noall +comments $host A | grep -q NXDOMAIN && dig @127.0.0.1 -p $DNS_PORT +noall +comments $second A | grep -q NXDOMAIN"
same "  again: 404" 404 "$(req "$KEY" DELETE /v1/sandboxes/sb-1)"

# One credential: the exit agent's token is a workspace API key.
tok=$("$B" proxy token create --workspace acme)
same "a burrow proxy token is an API key of its workspace" 200 "$(req "$tok" GET /v1/tunnels)"
kid=$("$B" apikey list --workspace other --json | jq -r '.[0].key_id')
ok "burrow apikey rm KEY_ID" "$B" apikey rm "$kid"
same "  the removed key: 401" 401 "$(req "$OTHER" GET /v1/tunnels)"
ok "burrow apikey list --json shows no key text" sh -c "! '$B' apikey list --json | grep -qF '$KEY'"

# Off loopback, TLS or nothing; with TLS, curl verifies the API's certificate.
ok "a non-loopback --listen without TLS is refused" exit_status 2 "$BIN/burrow-api" \
	--db "$BURROW_DB" --listen "0.0.0.0:$(free_port)"
tls_port=$(free_port)
start api_tls "$BIN/burrow-api" --db "$BURROW_DB" --listen "127.0.0.1:$tls_port" \
	--tls-cert "$T_DIR/leaf.pem" --tls-key "$T_DIR/leaf.key"
ok "burrow-api with --tls-cert" wait_for 20 port_open "$tls_port"
same "  GET over TLS: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T_DIR/ca.pem" \
	--resolve "api.$ZONE:$tls_port:127.0.0.1" -H "Authorization: Bearer $KEY" \
	"https://api.$ZONE:$tls_port/v1/tunnels")"
ok "  clear text is not served" sh -c "! curl -s --max-time 5 -o /dev/null \
	http://127.0.0.1:$tls_port/v1/"
done_testing
