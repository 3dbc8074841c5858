#!/bin/bash
# make bench-exit: iperf3 throughput from a workload to a target through a
# Burrow exit (burrow-exit: WireGuard interface, SNAT to the static IP, MSS
# clamping, forward policy) against the same three namespaces joined by a
# plain WireGuard tunnel configured by hand with wg (routing only, no NAT).
# Both use the same WireGuard implementation (kernel module if present,
# else wireguard-go).  Rounds alternate to share any machine noise; the
# result is the ratio of medians.  Needs root.
#   BENCH_SECONDS (default 5) per iperf3 run, BENCH_ROUNDS (default 3).
set -u
cd "$(dirname "$0")/.."
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
BIN=$PWD/bin
S=$$
NW=bbw$S NE=bbe$S NT=bbt$S
PFX=y$((S % 10000000))
WIF=bw$S HIF=bh$S
DIR=$(mktemp -d /tmp/burrow-bench.XXXXXX)
umask 077
export BURROW_DB=$DIR/burrow.db

cleanup() {
	for ns in $NW $NE $NT; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -f /var/run/wireguard/"$WIF".sock /var/run/wireguard/"$HIF".sock \
		/var/run/wireguard/"$PFX"*.sock
	rm -rf "$DIR"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || { echo "bench-exit: needs root"; exit 1; }

ip netns add $NW && ip netns add $NE && ip netns add $NT || exit 1
ip link add vw$S netns $NW type veth peer name ve$S netns $NE
ip link add vt$S netns $NT type veth peer name vx$S netns $NE
ip -n $NW addr add 192.0.2.2/24 dev vw$S
ip -n $NE addr add 192.0.2.1/24 dev ve$S
ip -n $NE addr add 192.0.2.10/32 dev ve$S
ip -n $NE addr add 198.51.100.1/24 dev vx$S
ip -n $NT addr add 198.51.100.2/24 dev vt$S
for l in "$NW vw$S" "$NE ve$S" "$NE vx$S" "$NT vt$S" "$NW lo" "$NE lo" "$NT lo"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n $NT route add default via 198.51.100.1
ip netns exec $NE sysctl -qw net.ipv4.ip_forward=1
ip netns exec $NT iperf3 -s -D -p 5201 --logfile "$DIR/iperf3-server.log"

# new_wg NS IF: a WireGuard interface (kernel, else wireguard-go).
new_wg() {
	ip -n "$1" link add "$2" type wireguard 2>/dev/null ||
		ip netns exec "$1" wireguard-go "$2" >/dev/null 2>&1
}

# workload KEYFILE ADDRESS SERVER_KEY ENDPOINT
workload() {
	ip -n $NW link del $WIF 2>/dev/null
	new_wg $NW $WIF
	ip netns exec $NW wg set $WIF private-key "$1" peer "$3" endpoint "$4" \
		allowed-ips 0.0.0.0/0 persistent-keepalive 25
	ip -n $NW addr add "$2" dev $WIF
	ip -n $NW link set $WIF mtu 1420 up
	ip -n $NW route add 198.51.100.0/24 dev $WIF
}

measure() {
	ip netns exec $NW iperf3 -c 198.51.100.2 -p 5201 -t "$SECS" -f m 2>&1 |
		awk '/receiver/ { print $7 }'
}

burrow_up() {
	ip -n $NE link del ${PFX}2 2>/dev/null
	ip -n $NE link del $HIF 2>/dev/null
	$BIN/burrow init >/dev/null 2>&1
	$BIN/burrow proxy create bench --workspace bench >/dev/null 2>&1
	$BIN/burrow proxy add-ip bench 192.0.2.10 >/dev/null 2>&1
	wg genkey >"$DIR/w.key"
	$BIN/burrow proxy connect bench --public-key "$(wg pubkey <"$DIR/w.key")" >"$DIR/w.conf"
	ip netns exec $NE $BIN/burrow-exit --once --ifprefix $PFX 2>>"$DIR/agent.log" || return 1
	workload "$DIR/w.key" "$(sed -n 's/^Address = \([^,]*\),.*/\1/p' "$DIR/w.conf")" \
		"$(sed -n 's/^PublicKey = //p' "$DIR/w.conf")" \
		"$(sed -n 's/^Endpoint = //p' "$DIR/w.conf")"
}

plain_up() {
	# Nothing of Burrow's stays: its interface and nftables table go.
	ip -n $NE link del ${PFX}1 2>/dev/null
	ip netns exec $NE nft delete table inet burrow_exit 2>/dev/null
	wg genkey >"$DIR/h.key"
	wg genkey >"$DIR/c.key"
	new_wg $NE $HIF
	ip netns exec $NE wg set $HIF private-key "$DIR/h.key" listen-port 51900 \
		peer "$(wg pubkey <"$DIR/c.key")" allowed-ips 10.200.0.2/32
	ip -n $NE addr add 10.200.0.1/24 dev $HIF
	ip -n $NE link set $HIF mtu 1420 up
	workload "$DIR/c.key" 10.200.0.2/32 "$(wg pubkey <"$DIR/h.key")" 192.0.2.10:51900
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else print v[int((NR + 1) / 2)] }'
}

: >"$DIR/burrow.txt"
: >"$DIR/plain.txt"
for r in $(seq 1 "$ROUNDS"); do
	burrow_up || { echo "bench-exit: burrow-exit failed:"; cat "$DIR/agent.log"; exit 1; }
	b=$(measure)
	plain_up
	p=$(measure)
	echo "round $r: burrow ${b:-0} Mbit/s, plain wg ${p:-0} Mbit/s"
	echo "${b:-0}" >>"$DIR/burrow.txt"
	echo "${p:-0}" >>"$DIR/plain.txt"
done
mb=$(median <"$DIR/burrow.txt")
mp=$(median <"$DIR/plain.txt")
impl="wireguard-go"
ip -n $NE link add probe$S type wireguard 2>/dev/null && impl="kernel" &&
	ip -n $NE link del probe$S
echo "exit throughput ($impl, ${SECS}s x $ROUNDS, medians): burrow $mb Mbit/s," \
	"plain wg $mp Mbit/s, ratio $(awk -v a="$mb" -v b="$mp" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }') (goal >= 0.95)"
