#!/bin/bash
# burrow-exit's HTTP API over TLS, driven with curl and openssl s_client on
# loopback.  The agent runs in a network namespace of its own: it writes the
# forwarding sysctls and an nftables table, which must not touch the host.
# Its node hosts no static IP, so it configures no WireGuard interface, yet a
# connect through the API changes the store as on a real exit node.
# Needs root, ip, nft, openssl and curl.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v curl >/dev/null ||
	! command -v openssl >/dev/null || ! command -v wg >/dev/null; then
	echo "ok 1 # SKIP needs root, nft, wg, curl and openssl (make deps)"
	exit 0
fi

NS=bxa$$
export BURROW_DB=$T_DIR/burrow.db
B=$BIN/burrow
X=$BIN/burrow-exit
TLS=$T_DIR/tls
LOG=$T_DIR/exit.log

ns_cleanup() {
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null
	done
	t_cleanup
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
}
trap ns_cleanup EXIT

ip netns add $NS && ip -n $NS link set lo up || exit 1
in_ns() { ip netns exec $NS "$@"; }

sh "$E2E_ROOT/tests/e2e/exit_tools/mkcert.sh" "$TLS" 127.0.0.1 ::1 || exit 1
sh "$E2E_ROOT/tests/e2e/exit_tools/mkcert.sh" "$TLS/other" 127.0.0.1 || exit 1

ok "init" $B init
ok "a proxy whose IP lives on another node" sh -c \
	"$B proxy create px --workspace ws && $B proxy add-ip px 192.0.2.10 --node elsewhere"
TOKEN=$($B proxy token create --workspace ws)
OTHER=$($B proxy token create --workspace elsewhere)
KEY=$(wg genkey | wg pubkey)
BODY="{\"proxy\":\"px\",\"public_key\":\"$KEY\"}"
peers() { $B proxy show px --json | jq -r '[.ip_list[].peer_list[]?.public_key] | join(" ")'; }

# exit_once NAME ARGS...: runs the agent in the namespace expecting it to stop
# at once; its status in $T_DIR/NAME.rc, stderr in $T_DIR/NAME.err.
exit_once() {
	name=$1
	shift
	in_ns timeout 10 $X --poll-ms 100 "$@" >/dev/null 2>"$T_DIR/$name.err"
	echo $? >"$T_DIR/$name.rc"
}
status_of() { cat "$T_DIR/$1.rc"; }
lines_of() { wc -l <"$T_DIR/$1.err"; }

# ---- refusals at start-up: each one line on stderr, exit 2 ----
PORT=$(free_port)
exit_once clear4 --listen 192.0.2.1:$PORT
same "a non-loopback listen without TLS exits 2" 2 "$(status_of clear4)"
same "  with one line" 1 "$(lines_of clear4)"
ok "  that says what to do" grep -q -- '--listen 192.0.2.1:.* is not loopback: give --tls-cert' \
	"$T_DIR/clear4.err"
exit_once any4 --listen 0.0.0.0:$PORT
same "0.0.0.0 is not loopback" 2 "$(status_of any4)"
exit_once any6 --listen "[::]:$PORT"
same ":: is not loopback" 2 "$(status_of any6)"
exit_once name --listen localhost:$PORT
same "a host name is not a listen address" 2 "$(status_of name)"
same "  with one line" 1 "$(lines_of name)"

cp "$TLS/server.key" "$TLS/open.key"
chmod 0644 "$TLS/open.key"
exit_once openkey --listen 127.0.0.1:$PORT --tls-cert "$TLS/server.pem" --tls-key "$TLS/open.key"
same "a world-readable key refuses to start, exit 2" 2 "$(status_of openkey)"
same "  with one line" 1 "$(lines_of openkey)"
ok "  naming the file and its mode" grep -qF "$TLS/open.key is mode 0644" "$T_DIR/openkey.err"
chmod 0640 "$TLS/open.key"
exit_once groupkey --listen 127.0.0.1:$PORT --tls-cert "$TLS/server.pem" --tls-key "$TLS/open.key"
same "a group-readable key refuses too" 2 "$(status_of groupkey)"
ok "  naming its mode" grep -qF "is mode 0640" "$T_DIR/groupkey.err"
exit_once halftls --listen 127.0.0.1:$PORT --tls-cert "$TLS/server.pem"
same "--tls-cert without --tls-key exits 2" 2 "$(status_of halftls)"
exit_once mismatch --listen 127.0.0.1:$PORT --tls-cert "$TLS/server.pem" \
	--tls-key "$TLS/other/server.key"
same "a key that does not match the certificate exits 2" 2 "$(status_of mismatch)"
same "  with one line" 1 "$(lines_of mismatch)"
ok "  that says so" grep -q 'does not match' "$T_DIR/mismatch.err"
ok "the help names the loopback default" sh -c "'$X' --help | grep -qF 'default 127.0.0.1:8470'"

# ---- the API over TLS ----
start agent ip netns exec $NS $X --poll-ms 100 --verbose --log "$LOG" --listen 127.0.0.1:$PORT \
	--tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"
AGENT=$LAST_PID
# api CA TOKEN PATH BODY: the HTTP status of a POST over TLS, body in api.out.
api() {
	in_ns curl -s -o "$T_DIR/api.out" -D "$T_DIR/api.head" -w '%{http_code}' -m 5 \
		--cacert "$1" -H "Authorization: Bearer $2" -d "$4" "https://127.0.0.1:$PORT/$3"
}
ok "the agent serves TLS" wait_for 10 in_ns curl -s -o /dev/null --cacert "$TLS/ca.pem" \
	"https://127.0.0.1:$PORT/"
same "connect over TLS" 200 "$(api "$TLS/ca.pem" "$TOKEN" connect "$BODY")"
same "  answers with the client configuration" 192.0.2.10 "$(jq -r .ip "$T_DIR/api.out")"
same "  and the store has the peer" "$KEY" "$(peers)"
same "disconnect over TLS" 200 "$(api "$TLS/ca.pem" "$TOKEN" disconnect "$BODY")"
same "  removes it from the store" "" "$(peers)"

same "a missing token gets 401" 401 "$(in_ns curl -s -o "$T_DIR/api.out" -D "$T_DIR/api.head" \
	-w '%{http_code}' -m 5 --cacert "$TLS/ca.pem" -d "$BODY" "https://127.0.0.1:$PORT/connect")"
same "  with a reason" "missing Authorization: Bearer token" "$(jq -r .error "$T_DIR/api.out")"
ok "  and a Bearer challenge" grep -qi '^WWW-Authenticate: Bearer realm="burrow-exit"' \
	"$T_DIR/api.head"
BAD=$(echo "$TOKEN" | tr 0-9a-f a-f0-9)
same "a wrong token gets 401" 401 "$(api "$TLS/ca.pem" "$BAD" connect "$BODY")"
same "  with a reason" "unknown or revoked bearer token" "$(jq -r .error "$T_DIR/api.out")"
ok "  and error=invalid_token (RFC 6750)" grep -q 'error="invalid_token"' "$T_DIR/api.head"
same "a short token gets 401" 401 "$(api "$TLS/ca.pem" abc connect "$BODY")"
same "another workspace's token does not see the proxy" 404 \
	"$(api "$TLS/ca.pem" "$OTHER" connect "$BODY")"
same "refused requests left the store unchanged" "" "$(peers)"

same "plain HTTP to the TLS port gets no answer" 000 "$(in_ns curl -s -o /dev/null \
	-w '%{http_code}' -m 5 -H "Authorization: Bearer $TOKEN" -d "$BODY" \
	"http://127.0.0.1:$PORT/connect")"
same "  and changes nothing" "" "$(peers)"
fails "a client that does not trust the CA refuses the agent" in_ns curl -s -m 5 \
	--cacert "$TLS/other/ca.pem" "https://127.0.0.1:$PORT/"
# hello ARGS...: true if an s_client handshake with ARGS agrees on a cipher
# (its exit status also reflects how the connection ended, so not that).
hello() {
	echo | in_ns openssl s_client -connect 127.0.0.1:$PORT -CAfile "$TLS/ca.pem" \
		-verify_return_error "$@" >"$T_DIR/hello.out" 2>&1
	grep -q '^New, TLSv1\.[23], Cipher is [A-Z]' "$T_DIR/hello.out" &&
		grep -q 'Verify return code: 0 (ok)' "$T_DIR/hello.out"
}
ok "TLS 1.3 is served" hello -tls1_3
ok "TLS 1.2 with ECDHE and AES-GCM is served" hello -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
ok "TLS 1.2 with ChaCha20-Poly1305 is served" hello -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305
fails "TLS 1.2 with a CBC cipher is refused" hello -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
fails "TLS 1.2 with CBC-SHA256 is refused" hello -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256
fails "TLS 1.1 is refused" hello -tls1_1 -cipher 'ECDHE-ECDSA-AES128-SHA@SECLEVEL=0'

# SIGHUP: a renewed certificate takes effect without a restart; a key left
# readable by others is refused and the one in use kept.
cp "$TLS/other/server.pem" "$TLS/server.pem"
cp "$TLS/other/server.key" "$TLS/server.key"
kill -HUP $AGENT
ok "after SIGHUP the new certificate is served" wait_for 10 in_ns curl -s -o /dev/null \
	--cacert "$TLS/other/ca.pem" "https://127.0.0.1:$PORT/"
chmod 0644 "$TLS/server.key"
kill -HUP $AGENT
ok "a reload with a world-readable key is refused" wait_for 10 grep -q \
	"$TLS/server.key is mode 0644.*keeping the certificate in use" "$LOG"
same "  and the agent keeps serving" 200 "$(api "$TLS/other/ca.pem" "$TOKEN" connect "$BODY")"
kill -TERM $AGENT
wait $AGENT
same "the agent exits cleanly on SIGTERM (no leak under ASan)" 0 $?
fails "no bearer token in the log" grep -qF -e "$TOKEN" -e "$OTHER" -e "$BAD" "$LOG" \
	"$T_DIR/agent.log"
ok "each refusal was logged with its reason" grep -q \
	'api: 401 for 127.0.0.1 port [0-9]*: unknown or revoked bearer token' "$LOG"

# ---- --insecure-listen: clear text anywhere, with a warning ----
start insecure ip netns exec $NS $X --poll-ms 100 --listen 0.0.0.0:$PORT --insecure-listen
AGENT=$LAST_PID
ok "--insecure-listen starts" wait_for 10 in_ns curl -s -o /dev/null \
	"http://127.0.0.1:$PORT/connect"
same "  with one warning line" 1 "$(grep -c 'warn.*without TLS (--insecure-listen)' \
	"$T_DIR/insecure.log")"
same "  and serves the API in clear text" 200 "$(in_ns curl -s -o /dev/null -w '%{http_code}' \
	-m 5 -H "Authorization: Bearer $TOKEN" -d "$BODY" "http://127.0.0.1:$PORT/connect")"
stop $AGENT

# ---- the default: loopback, port 8470 ----
start default ip netns exec $NS $X --poll-ms 100
AGENT=$LAST_PID
ok "without --listen the API is on 127.0.0.1:8470" wait_for 10 sh -c \
	"ip netns exec $NS ss -Htln | grep -q '127.0.0.1:8470 '"
ok "  and nowhere else" sh -c "[ \$(ip netns exec $NS ss -Htln | wc -l) -eq 1 ]"
ok "  with no clear-text warning" sh -c "! grep -q warn '$T_DIR/default.log'"
stop $AGENT

done_testing
