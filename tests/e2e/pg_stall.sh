#!/bin/bash
# A stalled database: PostgreSQL stops answering without closing its
# connections (an overloaded or frozen server, a partition that drops
# packets, a failover that blackholes the old address), played here by
# SIGSTOP of the cluster's processes.  burrow-dns and burrow-edge must keep
# answering from memory (issue #13: "keeps serving what it has"), even when
# a client asks for a name they do not know (the edge then looks in the
# store), and catch up once the server answers again.
BURROW_TEST_STORE=pg
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/edge_lib.bash"
ok "burrow-edge on a PostgreSQL store" edge_setup
DNS_PORT=$(free_port)
# A short safety poll, so the readers certainly go to the store meanwhile.
start dns "$BIN/burrow-dns" --db "$T_STORE" --listen "127.0.0.1:$DNS_PORT" --poll-ms 200
ok "burrow-dns on the same store" wait_for 20 sh -c \
	"dig +short +time=1 +tries=1 -p $DNS_PORT @127.0.0.1 $ZONE SOA | grep -q ."
[ "$T_FAILED" -eq 0 ] || { echo "# set-up failed: stopping here"; exit 1; }
# A live target: with none the edge closes each connection right after
# the handshake, which s_client may report as a failed handshake.
BACK=$(free_port)
ok "a target (echo server)" echo_server "$BACK"
dns_a() { dig +short +time=3 +tries=2 -p "$DNS_PORT" @127.0.0.1 "$1" A; }
H=$(tunnel tls "127.0.0.1:$BACK")
ok "a tunnel ($H) answers at both" wait_for 20 sh -c "[ \"\$(dig +short -p $DNS_PORT @127.0.0.1 $H A)\" = 127.0.0.1 ]"
ok "  and the edge" wait_for 20 handshake_ok "$H"

frozen="$PG_PID $(ps -o pid= --ppid "$PG_PID" | xargs)"
# shellcheck disable=SC2086
kill -STOP $frozen
ok "PostgreSQL frozen (SIGSTOP, $(echo $frozen | wc -w) processes)" test -n "$frozen"
sleep 1   # several safety polls come due
same "burrow-dns answers a known name from memory" 127.0.0.1 "$(dns_a "$H")"
ok "burrow-edge completes a handshake for a known tunnel" handshake_ok "$H"
# A client asking for a name the edge does not know sends it to the store.
start unknown sh -c "echo | timeout 20 openssl s_client -connect 127.0.0.1:$EDGE_PORT \
	-servername nosuchtunnel01.$ZONE >/dev/null 2>&1"
sleep 0.5
ok "  and another one while that unknown name is being looked up" handshake_ok "$H"
same "burrow-dns still answers" 127.0.0.1 "$(dns_a "$H")"
# The figure (not asserted): how often a client with a 1 s timeout goes
# unanswered while the server stays frozen.
lost=0
for _ in $(seq 1 20); do
	[ "$(dig +short +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$H" A)" = 127.0.0.1 ] ||
		lost=$((lost + 1))
	sleep 0.1
done
echo "# frozen database: $lost of 20 DNS queries (1 s timeout, 0.1 s apart) unanswered"
# shellcheck disable=SC2086
kill -CONT $frozen
ok "PostgreSQL answers again" wait_for 30 t_sql "SELECT 1"
H2=$(tunnel tls "127.0.0.1:$BACK")
ok "a tunnel created afterwards answers at burrow-dns" wait_for 30 sh -c \
	"[ \"\$(dig +short -p $DNS_PORT @127.0.0.1 $H2 A)\" = 127.0.0.1 ]"
ok "  and at the edge" wait_for 30 handshake_ok "$H2"
# One line when the store went away and one when it was back, not one per
# poll (the edge polls every 50 ms, burrow-dns every 200 ms: the freeze
# above lasts seconds).
echo "# edge log lines about the change log: $(grep -c 'change log' "$T_DIR/edge.log")"
ok "burrow-edge logged the outage once, not per poll" \
	test "$(grep -c 'change log read' "$T_DIR/edge.log")" -le 1
ok "  and that it was over" grep -q "change log: recovered after" "$T_DIR/edge.log"
ok "  its token keys: once too" \
	test "$(grep -c 'connect-token keys not read' "$T_DIR/edge.log")" -le 1
ok "burrow-dns logged the outage once" \
	test "$(grep -v recovered "$T_DIR/dns.log" | grep -c 'change log: \|applying changes after')" -le 1
ok "  and that it was over" grep -q "change log: recovered after" "$T_DIR/dns.log"
done_testing
