#!/bin/bash
# burrow-edge, live: tcp tunnels on their own public ports, tunnels added
# and removed and a certificate renewed without a restart and without
# dropping an established connection, per-tunnel caps, SIGTERM drain.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"

ok "edge starts" edge_setup --max-conns-per-tunnel 2 --head-timeout 300 --drain-ms 60000
echo_port=$(free_port)
ok "echo server up" echo_server "$echo_port"

# tcp tunnels: their own public port from the store's range, no TLS.
tcp_json=$("$B" tunnel create --kind tcp --target "127.0.0.1:$echo_port" --json)
tcp_host=$(echo "$tcp_json" | jq -r .hostname)
pub=$(echo "$tcp_json" | jq -r .port)
ok "the tcp tunnel's public port opens without a restart" wait_for 10 port_open "$pub"
same "nc through the tcp tunnel" "ping over tcp" \
	"$(echo 'ping over tcp' | timeout 10 socat -t 5 - "TCP:127.0.0.1:$pub")"
wc_port=$(free_port)
start wc socat "TCP-LISTEN:$wc_port,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'wc -c'
ok "wc server up" wait_for 10 port_open "$wc_port"
wc_pub=$("$B" tunnel create --kind tcp --target "127.0.0.1:$wc_port" --json | jq -r .port)
ok "second tcp port opens" wait_for 10 port_open "$wc_pub"
same "half-close relayed on a tcp tunnel" "5" \
	"$(printf hello | timeout 10 socat -t 5 - "TCP:127.0.0.1:$wc_pub" | tr -d ' ')"
ok "removing the tcp tunnel closes its port" "$B" tunnel rm "$tcp_host"
ok "  (port closed)" wait_for 10 sh -c "! ss -Htln | awk '{print \$4}' | grep -q ':$pub\$'"

# An established TLS connection survives a certificate renewal and the
# removal of its tunnel; new connections see the change.
host=$(tunnel tls "127.0.0.1:$echo_port")
ok "tls tunnel served" wait_for 10 handshake_ok "$host"
old_serial=$(served_serial "$host")
open_conn c1 "$host"
conn_send c1 "before renewal"
ok "an open connection echoes" wait_for 10 grep -q "before renewal" "$T_DIR/c1.out"
make_leaf renewed
ok "renew: import a new certificate" "$B" cert import "$ZONE" --chain "$T_DIR/renewed.pem" \
	--key "$T_DIR/renewed.key"
new_serial=$(openssl x509 -in "$T_DIR/renewed.pem" -noout -serial)
ok "new handshakes get the renewed certificate" wait_for 10 \
	sh -c "[ \"\$(echo | openssl s_client -connect 127.0.0.1:$EDGE_PORT -servername $host 2>/dev/null | openssl x509 -noout -serial)\" = '$new_serial' ]"
ok "  which differs from the first" test "$old_serial" != "$new_serial"
conn_send c1 "after renewal"
ok "the connection opened before the renewal still works" wait_for 10 grep -q "after renewal" "$T_DIR/c1.out"
ok "removing the tunnel" "$B" tunnel rm "$host"
ok "new connections to a removed tunnel are refused" wait_for 10 sh -c "! echo | openssl s_client \
	-connect 127.0.0.1:$EDGE_PORT -servername $host 2>&1 | grep -q 'BEGIN CERTIFICATE'"
conn_send c1 "after removal"
ok "the established connection outlives its tunnel's removal" wait_for 10 \
	grep -q "after removal" "$T_DIR/c1.out"
conn_close c1

# Caps: two connections per tunnel here; a third is refused, another
# tunnel is unaffected.
capped=$(tunnel tls "127.0.0.1:$echo_port")
other=$(tunnel tls "127.0.0.1:$echo_port")
ok "capped tunnel served" wait_for 10 handshake_ok "$capped"
open_conn k1 "$capped"
open_conn k2 "$capped"
conn_send k1 one
conn_send k2 two
ok "two connections up" wait_for 10 sh -c "grep -q one $T_DIR/k1.out && grep -q two $T_DIR/k2.out"
fails "a third connection to the same tunnel is refused" handshake_ok "$capped"
ok "  with a log line" grep -q "tunnel $capped: connection limit (2) reached" "$T_DIR/edge.log"
ok "another tunnel still accepts" handshake_ok "$other"

# Slowloris on a token tunnel: a head that never completes is cut off.
gated=$(tunnel tls "127.0.0.1:$echo_port" --connect-token)
ok "token tunnel served" wait_for 10 handshake_ok "$gated"
open_conn slow "$gated"
conn_send slow $'GET / HTTP/1.1\r'   # echo adds the LF: a line, no end of head
ok "an unfinished request head is cut off at the head timeout" wait_for 10 \
	grep -q "request head timeout" "$T_DIR/edge.log"
conn_close slow

# SIGTERM drains: listeners close, an open connection finishes its work.
kill -TERM "$EDGE_PID"
ok "on SIGTERM the listener closes" wait_for 10 sh -c "! ss -Htln | awk '{print \$4}' | grep -q ':$EDGE_PORT\$'"
conn_send k1 "while draining"
ok "an established connection keeps working while draining" wait_for 10 \
	grep -q "while draining" "$T_DIR/k1.out"
ok "the edge is still running with connections open" kill -0 "$EDGE_PID"
conn_close k1
conn_close k2
ok "once they end, the edge exits" wait_for 30 sh -c "! kill -0 $EDGE_PID 2>/dev/null"
wait "$EDGE_PID"
same "exit status 0 after the drain" "0" "$?"
done_testing
