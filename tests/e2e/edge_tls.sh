#!/bin/bash
# burrow-edge, encrypted tunnels: TLS terminated by SNI with the zone's
# certificate from the store, verified by curl against the issuing CA;
# unknown names refused with unrecognized_name; a dead target gets a 502
# page; half-close relayed; h2 tunnels negotiate h2 with an h2 server behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"

ok "edge starts on a store with a tunnel-less zone and a certificate" edge_setup
web=$(free_port)
mkdir -p "$T_DIR/www"
echo "hello through the edge" >"$T_DIR/www/index.html"
head -c 3000000 /dev/urandom >"$T_DIR/www/big.bin"
start web python3 -m http.server "$web" --bind 127.0.0.1 --directory "$T_DIR/www"
ok "web server up" wait_for 10 port_open "$web"
host=$(tunnel tls "127.0.0.1:$web")
ok "tunnel created" test -n "$host"
ok "the new tunnel is served without a restart" wait_for 10 handshake_ok "$host"
same "curl over verified TLS reaches the target" "hello through the edge" \
	"$(curl_edge "$host" "https://$host:$EDGE_PORT/index.html")"
curl_edge "$host" -o "$T_DIR/big.out" "https://$host:$EDGE_PORT/big.bin"
same "a 3 MB body arrives intact" "$(sha256sum <"$T_DIR/www/big.bin")" "$(sha256sum <"$T_DIR/big.out")"
# A client that goes away mid-download: the edge must close both sides
# (its failed writes are no half-close), not keep writing to a dead socket.
curl_edge "$host" "https://$host:$EDGE_PORT/big.bin" 2>/dev/null | head -c 1000 >/dev/null
ok "a client gone mid-download: the edge drops its target connection" wait_for 20 \
	sh -c "! ss -Htn state established '( dport = :$web )' | grep -q ."
ok "TLS 1.2 works" curl_edge "$host" --tlsv1.2 --tls-max 1.2 -o /dev/null "https://$host:$EDGE_PORT/"
ok "TLS 1.3 works" curl_edge "$host" --tlsv1.3 -o /dev/null "https://$host:$EDGE_PORT/"
echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$host" -tls1_1 \
	-cipher 'DEFAULT@SECLEVEL=0' >"$T_DIR/tls11.out" 2>&1
ok "TLS 1.1 is refused with a protocol_version alert" grep -q "alert protocol version" "$T_DIR/tls11.out"
ok "verification fails against another CA" sh -c "! curl -sS --max-time 10 \
	--resolve $host:$EDGE_PORT:127.0.0.1 https://$host:$EDGE_PORT/ >/dev/null 2>&1"

echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "nope.$ZONE" \
	>"$T_DIR/sni.out" 2>&1
ok "unknown SNI gets the unrecognized_name alert" grep -q "unrecognized name" "$T_DIR/sni.out"
ok "  and one log line naming it" grep -q "SNI 'nope.$ZONE' refused" "$T_DIR/edge.log"
echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -noservername >"$T_DIR/nosni.out" 2>&1
ok "no SNI at all gets unrecognized_name too" grep -q "unrecognized name" "$T_DIR/nosni.out"

dead=$(free_port)
down=$(tunnel tls "127.0.0.1:$dead")
ok "the dead-target tunnel is served" wait_for 10 handshake_ok "$down"
code=$(curl_edge "$down" -o "$T_DIR/502.out" -w '%{http_code}' "https://$down:$EDGE_PORT/")
same "a dead target gets a 502 page after the handshake" "502" "$code"
ok "  with a log line naming the tunnel" grep -q "tunnel $down: target 127.0.0.1:$dead unreachable" \
	"$T_DIR/edge.log"

# Half-close: the client ends its side, the target answers after EOF.
wc_port=$(free_port)
start wc socat "TCP-LISTEN:$wc_port,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'wc -c'
ok "wc server up" wait_for 10 port_open "$wc_port"
wch=$(tunnel tls "127.0.0.1:$wc_port")
ok "half-close tunnel served" wait_for 10 handshake_ok "$wch"
got=$(printf 'twelve bytes' | timeout 20 socat -t 10 - \
	"OPENSSL:127.0.0.1:$EDGE_PORT,snihost=$wch,cafile=$T_DIR/ca.pem,commonname=$wch" | tr -d ' ')
same "half-close through TLS: the target saw EOF and its answer came back" "12" "$got"

# h2: TLS with ALPN h2 at the edge, the h2 stream relayed to nghttpd.
h2port=$(free_port)
start nghttpd nghttpd --no-tls -d "$T_DIR/www" "$h2port"
ok "nghttpd up" wait_for 10 port_open "$h2port"
h2=$(tunnel h2 "127.0.0.1:$h2port")
ok "h2 tunnel served" wait_for 10 handshake_ok "$h2"
out=$(curl_edge "$h2" --http2 -w '%{http_version}' "https://$h2:$EDGE_PORT/index.html")
same "curl --http2 speaks h2 end to end with an h2 server" "hello through the edge
2" "$out"
alpn=$(echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$h2" -alpn h2,http/1.1 \
	2>/dev/null | grep -ai '^ALPN protocol')
same "the edge selects h2 for an h2 tunnel" "ALPN protocol: h2" "$alpn"
alpn=$(echo | openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$host" -alpn h2,http/1.1 \
	2>/dev/null | grep -ai '^ALPN protocol')
same "and http/1.1 for a tls tunnel" "ALPN protocol: http/1.1" "$alpn"

stop "$EDGE_PID"
ok "SIGTERM: the edge exits cleanly" grep -q "stopped" "$T_DIR/edge.log"
done_testing
