#!/bin/bash
# burrow-api leases and tokens against a real burrow-edge and burrow-dns: a
# lease that lapses while burrow-api is down (the edge refuses new
# handshakes and burrow-dns answers NXDOMAIN from the expiry on, with the
# row still stored: no reaper, no store write), the reaper that then deletes
# it, a lease that is renewed past its first end, `burrow tunnel reap`, and a
# connect token minted by the API that the edge accepts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"
. "$(dirname "$0")/api_lib.bash"

# No reaper until the lapse below has been looked at (a busy machine could
# let a one-second reaper delete the row first); it runs again later.
ok "edge, dns and api start (reaper off)" api_setup --reap-interval 86400
app=$(free_port)
start app python3 "$PEER" serve "$app"
ok "app server up" wait_for 10 port_open "$app"

epoch() {
	date -d "$1" +%s
}
# now_at_least T: the wall clock has reached unix second T.
now_at_least() {
	[ "$(date +%s)" -ge "$1" ]
}
refused_by_edge() {
	! echo | timeout 10 openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$1" \
		-CAfile "$T_DIR/ca.pem" -verify_return_error >/dev/null 2>&1
}

# A lease that lapses.  Created long, then shortened to one second by a
# renewal, so a slow machine cannot let it lapse before it was seen served.
same "create with a lease: 201" 201 "$(req "$KEY" POST /v1/tunnels \
	"{\"sandbox\": \"sb-lapse\", \"target\": \"127.0.0.1:$app\", \"lease_seconds\": 600}")"
lapse=$(field .hostname)
ok "  served by the edge" wait_for 10 handshake_ok "$lapse"
ok "  answered by burrow-dns" wait_for 10 dig_answers "$lapse"
echo_port=$(free_port)
echo_server "$echo_port"
same "a tcp tunnel in the same sandbox: 201" 201 "$(req "$KEY" POST /v1/tunnels \
	"{\"sandbox\": \"sb-lapse\", \"target\": \"127.0.0.1:$echo_port\", \"kind\": \"tcp\", \"lease_seconds\": 600}")"
tcp_port=$(field .port)
tcp_echo() {
	printf 'ping\n' | timeout 5 socat -t 2 - "TCP:127.0.0.1:$tcp_port" 2>/dev/null
}
tcp_echo_ok() {
	[ "$(tcp_echo)" = ping ]
}
ok "  its port relays" wait_for 10 tcp_echo_ok
same "renew to one second: 200" 200 "$(req "$KEY" POST /v1/sandboxes/sb-lapse/lease '{"lease_seconds": 1}')"
same "  both tunnels renewed" 2 "$(field .renewed)"
lease_end=$(epoch "$(field .expires_at)")
open_conn held "$lapse"
conn_send held "GET / HTTP/1.1"
ok "burrow-api stops" stop "$API_PID"
ok "the lease's end comes" wait_for 10 now_at_least "$lease_end"
# The first checks come at once, in the second the lease ended in; how
# long after is printed, never asserted.  burrow-dns ends the lease in its
# answer path, with no store write.
same "  burrow-dns answers NXDOMAIN within a second of the expiry" NXDOMAIN \
	"$(dig_status "$lapse" A)"
echo "# NXDOMAIN seen $(( $(date +%s%N) / 1000000 - lease_end * 1000 )) ms after the expiry"
ok "  the edge refuses a new handshake at once" refused_by_edge "$lapse"
ok "  and logs why" wait_for 10 grep -q "$lapse" "$T_DIR/edge.log"
same "  the tcp tunnel's port takes no new connection" "" "$(tcp_echo)"
ok "  the row is still in the store (nothing wrote)" "$B" tunnel show "$lapse"
conn_send held "Host: $lapse"
conn_send held ""
ok "  a connection opened before the expiry still finishes its request" \
	wait_for 10 grep -q "^ok" "$T_DIR/held.out"
conn_close held
ok "burrow-api starts again, reaping every second" api_start
ok "  its reaper deletes the expired tunnels" wait_for 20 sh -c "! '$B' tunnel show '$lapse'"
ok "  and logs it" wait_for 10 grep -q "reaped 2 expired tunnels" "$T_DIR/api.log"
same "  NXDOMAIN from the change log" NXDOMAIN "$(dig_status "$lapse" A)"
same "  gone from the API" 404 "$(req "$KEY" GET "/v1/tunnels/$lapse")"
same "  renewing it now: 404" 404 "$(req "$KEY" POST /v1/sandboxes/sb-lapse/lease '{"lease_seconds": 60}')"
same "create the same sandbox and target again: 201 (a new tunnel)" 201 "$(req "$KEY" POST /v1/tunnels \
	"{\"sandbox\": \"sb-lapse\", \"target\": \"127.0.0.1:$app\", \"lease_seconds\": 600}")"
ok "  with a new name" test "$(field .hostname)" != "$lapse"

# A lease that is renewed: alive past its first end.
same "create with a 10-second lease: 201" 201 "$(req "$KEY" POST /v1/tunnels \
	"{\"sandbox\": \"sb-renew\", \"target\": \"127.0.0.1:$app\", \"lease_seconds\": 10}")"
renew=$(field .hostname)
first=$(epoch "$(field .expires_at)")
same "renew for 600 s: 200" 200 "$(req "$KEY" POST /v1/sandboxes/sb-renew/lease '{"lease_seconds": 600}')"
ok "  the new end is later" test "$(epoch "$(field .expires_at)")" -gt "$first"
ok "the first end passes" wait_for 30 now_at_least "$((first + 1))"
ok "  still served by the edge (it learned the renewal)" wait_for 10 handshake_ok "$renew"
same "  still answered by burrow-dns" 127.0.0.1 "$(dig_a "$renew")"
same "  still listed" "$renew" "$(req "$KEY" GET '/v1/tunnels?sandbox=sb-renew' >/dev/null; field '.tunnels[0].hostname')"
same "  and the reaper left it" "$renew" "$("$B" tunnel show "$renew" --json | jq -r .hostname)"
same "a bad lease body: 400" 400 "$(req "$KEY" POST /v1/sandboxes/sb-renew/lease '{"lease_seconds": -1}')"
same "no lease_seconds: 400" 400 "$(req "$KEY" POST /v1/sandboxes/sb-renew/lease '{}')"

# burrow tunnel reap, for operators without burrow-api.
ok "burrow-api stops" stop "$API_PID"
h=$("$B" tunnel create --target "127.0.0.1:$app" --workspace acme --sandbox cli --lease-seconds 1 --json | jq -r .hostname)
ok "a CLI tunnel with a one-second lease" test -n "$h"
ok "  lapses" wait_for 10 refused_by_edge "$h"
ok "burrow tunnel reap deletes it" wait_for 10 sh -c "'$B' tunnel reap --json | jq -e '.removed == 1'"
fails "  gone" "$B" tunnel show "$h"
same "  the renewed tunnel stays" "$renew" "$("$B" tunnel show "$renew" --json | jq -r .hostname)"
ok "burrow-api starts again" api_start

# A connect token minted by the API opens a token tunnel at the edge.
same "a token tunnel: 201" 201 "$(req "$KEY" POST /v1/tunnels \
	"{\"sandbox\": \"sb-tok\", \"target\": \"127.0.0.1:$app\", \"connect_token\": true}")"
th=$(field .hostname)
same "  served by the edge right after: 401 without a token" 401 "$(curl_edge "$th" -o /dev/null -w '%{http_code}' "https://$th:$EDGE_PORT/")"
same "POST /v1/tunnels/{hostname}/tokens: 201" 201 "$(req "$KEY" POST "/v1/tunnels/$th/tokens" \
	'{"user_metadata": {"user": "ada"}, "ttl_seconds": 600}')"
tok=$(field .token)
same "  the tunnel's url" "https://$th" "$(field .url)"
ok "  expires in 600 s" test "$(( $(epoch "$(field .expires_at)") - $(date +%s) ))" -gt 500
curl_edge "$th" -H "Authorization: Bearer $tok" "https://$th:$EDGE_PORT/headers" >"$T_DIR/tok.out"
ok "  the edge accepts it" grep -q '^GET /headers HTTP/1.1' "$T_DIR/tok.out"
same "  and passes the metadata" 'X-Verified-User-Data: {"user":"ada"}' \
	"$(grep -i '^x-verified-user-data' "$T_DIR/tok.out")"
same "an empty body: the defaults, 201" 201 "$(req "$KEY" POST "/v1/tunnels/$th/tokens")"
big=$(python3 -c 'import json; print(json.dumps({"user_metadata": {"k": "x" * 520}}))')
same "metadata of 512 characters or more: 400" 400 "$(req "$KEY" POST "/v1/tunnels/$th/tokens" "$big")"
same "metadata that is not an object: 400" 400 "$(req "$KEY" POST "/v1/tunnels/$th/tokens" '{"user_metadata": [1]}')"
same "a ttl over a year: 400" 400 "$(req "$KEY" POST "/v1/tunnels/$th/tokens" '{"ttl_seconds": 99999999}')"
same "a tunnel without connect_token: 409" 409 "$(req "$KEY" POST "/v1/tunnels/$renew/tokens" '{}')"
ok "tokens are never logged" sh -c "! grep -qF '$tok' '$T_DIR/api.log'"
done_testing
