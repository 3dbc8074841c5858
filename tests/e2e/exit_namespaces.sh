#!/bin/bash
# burrow-exit in network namespaces: a workload, an exit node with two static
# IPs and a target server.  Traffic through the exit leaves from a static IP,
# outbound policy holds, the HTTP API connects (over TLS), a restart loses
# no peer.
# Needs root, wireguard-go (or the kernel module), wg, nft, socat, curl.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v wg >/dev/null || ! command -v nft >/dev/null ||
	! command -v socat >/dev/null; then
	echo "ok 1 # SKIP needs root, wg, nft and socat (make deps)"
	exit 0
fi

S=$$
NW=bxw$S NE=bxe$S NT=bxt$S      # namespaces: workload, exit, target
PFX=x$((S % 10000000))          # exit interfaces: PFX<ip id>, <= 15 chars
WIF=w$S                         # the workload's WireGuard interface
export BURROW_DB=$T_DIR/burrow.db
B=$BIN/burrow
umask 077                       # wg refuses world-readable key files

ns_cleanup() {
	for ns in $NW $NE $NT; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
	done
	t_cleanup
	for ns in $NW $NE $NT; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	rm -f /var/run/wireguard/"$WIF".sock /var/run/wireguard/"$PFX"*.sock
}
trap ns_cleanup EXIT

# Topology (documentation ranges only, inside our namespaces):
#   workload 192.0.2.2 --- 192.0.2.1 exit (+ static 192.0.2.10, .11)
#   exit 198.51.100.1 --- target 198.51.100.2 and 198.51.100.130
ip netns add $NW && ip netns add $NE && ip netns add $NT || exit 1
ip link add vw$S netns $NW type veth peer name ve$S netns $NE
ip link add vt$S netns $NT type veth peer name vx$S netns $NE
ip -n $NW addr add 192.0.2.2/24 dev vw$S
ip -n $NE addr add 192.0.2.1/24 dev ve$S
ip -n $NE addr add 192.0.2.10/32 dev ve$S
ip -n $NE addr add 192.0.2.11/32 dev ve$S
ip -n $NE addr add 198.51.100.1/24 dev vx$S
ip -n $NT addr add 198.51.100.2/24 dev vt$S
ip -n $NT addr add 198.51.100.130/24 dev vt$S
for l in "$NW vw$S" "$NE ve$S" "$NE vx$S" "$NT vt$S" "$NW lo" "$NE lo" "$NT lo"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n $NT route add default via 198.51.100.1

# The target answers every HTTP request with the caller's address and logs it.
HTTP_PORT=$(free_port)
start target ip netns exec $NT socat TCP-LISTEN:$HTTP_PORT,fork,reuseaddr \
	SYSTEM:"echo \$SOCAT_PEERADDR >> $T_DIR/target.log; echo HTTP/1.0 200 OK; echo; echo \$SOCAT_PEERADDR"

# ---- store, CLI and limits ----
ok "init" $B init
ok "create proxy (enterprise)" $B proxy create px --workspace ws --plan enterprise
ok "add static IP 192.0.2.10" $B proxy add-ip px 192.0.2.10
ok "add static IP 192.0.2.11" $B proxy add-ip px 192.0.2.11
ok "second team workspace proxy" $B proxy create solo --workspace team1
ok "third IP" $B proxy add-ip solo 203.0.113.1 --node elsewhere
for i in 2 3 4 5; do
	$B proxy add-ip solo 203.0.113.$i --node elsewhere >/dev/null
done
before=$($B proxy list --json; $B proxy show px --json; $B proxy show solo --json)
fails "team plan allows one proxy" $B proxy create solo2 --workspace team1 --plan team
cp "$T_DIR/last.out" "$T_DIR/err.out"
ok "plan error is clear" grep -q "the team plan allows 1" "$T_DIR/err.out"
fails "a sixth IP is refused" $B proxy add-ip solo 203.0.113.6 --node elsewhere
cp "$T_DIR/last.out" "$T_DIR/err.out"
ok "IP limit error is clear" grep -q "already has 5 IPs" "$T_DIR/err.out"
fails "bad public key" $B proxy connect px --public-key not-a-key
cp "$T_DIR/last.out" "$T_DIR/err.out"
ok "bad key error is clear" grep -q "not a WireGuard public key" "$T_DIR/err.out"
fails "unknown proxy" $B proxy connect nosuch --public-key "$(wg genkey | wg pubkey)"
cp "$T_DIR/last.out" "$T_DIR/err.out"
ok "unknown proxy error is clear" grep -q "no proxy nosuch" "$T_DIR/err.out"
fails "bad IP" $B proxy add-ip px 192.0.2.300
fails "an IP another proxy has" $B proxy add-ip px 203.0.113.1
after=$($B proxy list --json; $B proxy show px --json; $B proxy show solo --json)
same "refused commands left the store unchanged" "$before" "$after"
ok "remove the extra proxy" $B proxy rm solo --workspace team1

# ---- the agent ----
# Off loopback the API needs TLS: a throw-away CA and a certificate for the
# exit's address.
sh "$E2E_ROOT/tests/e2e/exit_tools/mkcert.sh" "$T_DIR/tls" 192.0.2.1 || exit 1
API_TLS="--tls-cert $T_DIR/tls/server.pem --tls-key $T_DIR/tls/server.key"
API_PORT=$(free_port)
start agent ip netns exec $NE $BIN/burrow-exit --ifprefix $PFX --poll-ms 100 \
	--listen 192.0.2.1:$API_PORT $API_TLS
AGENT=$LAST_PID
ok "agent brings up one interface per static IP" \
	wait_for 20 sh -c "ip -n $NE link show ${PFX}1 && ip -n $NE link show ${PFX}2"
ok "agent installs SNAT to the static IPs" wait_for 10 sh -c \
	"ip netns exec $NE nft list table inet burrow_exit | grep -q 'snat ip to 192.0.2.11'"

# tunnel_up KEYNAME: connects a fresh key through the CLI and brings the
# workload's interface up with the configuration it printed.  Sets VIA.
tunnel_up() {
	wg genkey >"$T_DIR/$1.key"
	pub=$(wg pubkey <"$T_DIR/$1.key")
	$B proxy connect px --public-key "$pub" ${2:+$2} >"$T_DIR/$1.conf" || return 1
	wg_up "$1" "$(sed -n 's/^Address = \([^,]*\),.*/\1/p' "$T_DIR/$1.conf")" \
		"$(sed -n 's/^PublicKey = //p' "$T_DIR/$1.conf")" \
		"$(sed -n 's/^Endpoint = //p' "$T_DIR/$1.conf")"
	VIA=$(sed -n 's/^# proxy .* via //p' "$T_DIR/$1.conf")
}

# wg_up KEYNAME ADDRESS SERVER_KEY ENDPOINT: (re)creates the workload side.
wg_up() {
	ip -n $NW link del $WIF 2>/dev/null
	ip netns exec $NW wireguard-go $WIF >/dev/null 2>&1 ||
		ip -n $NW link add $WIF type wireguard || return 1
	ip netns exec $NW wg set $WIF private-key "$T_DIR/$1.key" peer "$3" \
		endpoint "$4" allowed-ips 0.0.0.0/0,::/0 persistent-keepalive 25 || return 1
	ip -n $NW addr add "$2" dev $WIF && ip -n $NW link set $WIF mtu 1420 up &&
		ip -n $NW route add 198.51.100.0/24 dev $WIF
}

fetch() {
	ip netns exec $NW curl -s -m 3 "http://$1:$HTTP_PORT/"
}

seen=""
for n in 1 2 3 4 5 6 7 8 9 10 11 12; do
	tunnel_up k$n || break
	case " $seen " in *" $VIA "*) [ $n -lt 12 ] && continue ;; esac
	if ! wait_for 15 fetch 198.51.100.2; then
		same "traffic via $VIA reaches the target" ok failed
		break
	fi
	src=$(fetch 198.51.100.2)
	same "target sees static IP $VIA as the source" "$VIA" "$src"
	seen="$seen $VIA"
	[ "$(echo $seen | wc -w)" -ge 2 ] && break
done
same "connects landed on both static IPs" "192.0.2.10 192.0.2.11" \
	"$(echo $seen | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
fails "target never saw the workload's own address" \
	grep -qE '^(192\.0\.2\.2|10\.128\.)' "$T_DIR/target.log"
LAST=k$n

# ---- outbound policy ----
pub=$(wg pubkey <"$T_DIR/$LAST.key")
ok "same key reconnects with an allowlist" \
	$B proxy connect px --public-key "$pub" --allow 198.51.100.0/25
grep -q "$(sed -n 's/^Address = //p' "$T_DIR/$LAST.conf")" "$T_DIR/last.out"
same "a known key keeps its address" 0 $?
ok "agent applies the allowlist" wait_for 10 sh -c \
	"ip netns exec $NE nft list table inet burrow_exit | grep -q '198.51.100.0/25'"
ok "allowlisted CIDR is reachable" wait_for 10 fetch 198.51.100.2
fails "other CIDR is blocked" fetch 198.51.100.130
ok "block_network" $B proxy connect px --public-key "$pub" --block-network
ok "agent applies block_network" wait_for 10 sh -c \
	"ip netns exec $NE nft list table inet burrow_exit | grep -q 'ip saddr $(sed -n 's/^Address = \([^/]*\).*/\1/p' "$T_DIR/$LAST.conf") drop'"
fails "block_network blocks everything" fetch 198.51.100.2
fails "block_network blocks the other CIDR too" fetch 198.51.100.130
ok "policy lifted" $B proxy connect px --public-key "$pub"
ok "traffic flows again" wait_for 10 fetch 198.51.100.130

# ---- HTTP API ----
TOKEN=$($B proxy token create --workspace ws)
OTHER=$($B proxy token create --workspace elsewhere)
api() {
	ip netns exec $NW curl -s -o "$T_DIR/api.out" -w '%{http_code}' -m 5 \
		--cacert "$T_DIR/tls/ca.pem" -H "Authorization: Bearer $1" -d "$3" \
		"https://192.0.2.1:$API_PORT/$2"
}
wg genkey >"$T_DIR/api.key"
APIPUB=$(wg pubkey <"$T_DIR/api.key")
same "API refuses a missing token" 401 "$(api nope connect "{\"proxy\":\"px\",\"public_key\":\"$APIPUB\"}")"
same "API: another workspace's token does not see the proxy" 404 \
	"$(api "$OTHER" connect "{\"proxy\":\"px\",\"public_key\":\"$APIPUB\"}")"
same "API refuses a bad key" 400 "$(api "$TOKEN" connect '{"proxy":"px","public_key":"xyz"}')"
same "API refuses bad JSON" 400 "$(api "$TOKEN" connect '{"proxy":')"
same "API: unknown proxy" 404 "$(api "$TOKEN" connect "{\"proxy\":\"nosuch\",\"public_key\":\"$APIPUB\"}")"
same "API connect" 200 "$(api "$TOKEN" connect "{\"proxy\":\"px\",\"public_key\":\"$APIPUB\",\"outbound_cidr_allowlist\":[\"198.51.100.128/25\"]}")"
json=$(cat "$T_DIR/api.out")
jf() { echo "$json" | sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
addr=$(echo "$json" | sed -n 's/.*"addresses":\["\([^"]*\)".*/\1/p')
ok "API answer is a client configuration" test -n "$(jf server_public_key)" -a -n "$addr" \
	-a -n "$(jf endpoint)"
wg_up api "$addr" "$(jf server_public_key)" "$(jf endpoint)"
ok "API-connected workload reaches the allowlisted target" wait_for 15 fetch 198.51.100.130
same "... from the static IP" "$(jf ip)" "$(fetch 198.51.100.130)"
fails "API allowlist blocks the other CIDR" fetch 198.51.100.2

# ---- restart: state comes back from the store ----
stop $AGENT KILL
ip -n $NE link del ${PFX}1
ip -n $NE link del ${PFX}2
ip netns exec $NE nft delete table inet burrow_exit
fails "with the node wiped, traffic stops" fetch 198.51.100.130
start agent2 ip netns exec $NE $BIN/burrow-exit --ifprefix $PFX --poll-ms 100 \
	--listen 192.0.2.1:$API_PORT $API_TLS
AGENT=$LAST_PID
ok "after a restart the peer is back" wait_for 20 sh -c \
	"ip netns exec $NE wg show all peers | grep -qF '$APIPUB'"
ok "after a restart traffic flows again" wait_for 20 fetch 198.51.100.130
same "... still from the static IP" "$(jf ip)" "$(fetch 198.51.100.130)"
fails "... and its policy holds" fetch 198.51.100.2

# ---- disconnect, rm-ip, expiry ----
same "API disconnect" 200 "$(api "$TOKEN" disconnect "{\"proxy\":\"px\",\"public_key\":\"$APIPUB\"}")"
ok "disconnect removes the peer" wait_for 10 sh -c \
	"! ip netns exec $NE wg show all peers | grep -qF '$APIPUB'"
fails "a disconnected workload gets nowhere" fetch 198.51.100.130
kill -TERM $AGENT
wait $AGENT
same "agent exits cleanly on SIGTERM" 0 $?
start agent3 ip netns exec $NE $BIN/burrow-exit --ifprefix $PFX --poll-ms 100 \
	--idle-timeout 2 --expire-interval 1
IDLE=$(wg genkey | wg pubkey)
ok "connect a key that never handshakes" $B proxy connect px --public-key "$IDLE"
ok "idle peers expire" wait_for 20 sh -c "! $B proxy show px | grep -qF '$IDLE'"
ok "rm-ip" $B proxy rm-ip px 192.0.2.11
ok "its interface goes" wait_for 10 sh -c "! ip -n $NE link show ${PFX}2"

done_testing
