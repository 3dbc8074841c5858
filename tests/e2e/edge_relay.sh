#!/bin/bash
# burrow-edge, the relay itself: large bodies both ways arrive whole through
# TLS and through raw tcp tunnels (spliced kernel to kernel), a client that
# reads slowly gets every byte (back-pressure, the peeked bulk path), EOF is
# relayed as a half-close in both directions, and a client that stops
# reading mid-download leaves no queue behind when it goes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"

ok "edge starts" edge_setup
mkdir -p "$T_DIR/www"
head -c 8388608 /dev/urandom >"$T_DIR/www/big"
want=$(sha256sum <"$T_DIR/www/big" | cut -d' ' -f1)
web=$(free_port)
start web python3 -m http.server "$web" --bind 127.0.0.1 --directory "$T_DIR/www"
ok "web server up" wait_for 10 port_open "$web"
host=$(tunnel tls "127.0.0.1:$web")
ok "tls tunnel served" wait_for 10 handshake_ok "$host"
tcp_json=$("$B" tunnel create --kind tcp --target "127.0.0.1:$web" --json)
pub=$(echo "$tcp_json" | jq -r .port)
ok "tcp tunnel's port open" wait_for 10 port_open "$pub"

sum() { sha256sum | cut -d' ' -f1; }

# Downloads, at full speed and read slowly (the client's socket fills, the
# edge waits for it with the rest in the target's socket).
same "8 MB through TLS arrive whole" "$want" \
	"$(curl_edge "$host" "https://$host:$EDGE_PORT/big" | sum)"
same "  and read at 2 MB/s" "$want" \
	"$(curl_edge "$host" --max-time 30 --limit-rate 2M "https://$host:$EDGE_PORT/big" | sum)"
same "8 MB through a tcp tunnel arrive whole" "$want" \
	"$(curl -sS --max-time 10 "http://127.0.0.1:$pub/big" | sum)"
same "  and read at 2 MB/s" "$want" \
	"$(curl -sS --max-time 30 --limit-rate 2M "http://127.0.0.1:$pub/big" | sum)"

# Uploads: the target hashes what it got once the client's EOF came
# through, then answers (half-close client to target).
hasher=$(free_port)
start hasher socat "TCP-LISTEN:$hasher,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'sha256sum'
ok "hashing server up" wait_for 10 port_open "$hasher"
hh=$(tunnel tls "127.0.0.1:$hasher")
ok "hashing tls tunnel served" wait_for 10 handshake_ok "$hh"
hpub=$("$B" tunnel create --kind tcp --target "127.0.0.1:$hasher" --json | jq -r .port)
ok "hashing tcp tunnel's port open" wait_for 10 port_open "$hpub"
got=$(timeout 30 socat -t 20 - "OPENSSL:127.0.0.1:$EDGE_PORT,snihost=$hh,cafile=$T_DIR/ca.pem,commonname=$hh" \
	<"$T_DIR/www/big" | cut -d' ' -f1)
same "8 MB up through TLS, then EOF: the target's answer comes back" "$want" "$got"
got=$(timeout 30 socat -t 20 - "TCP:127.0.0.1:$hpub" <"$T_DIR/www/big" | cut -d' ' -f1)
same "the same through a tcp tunnel" "$want" "$got"

# The other half: the target ends its side first and goes on reading.
first=$(free_port)
cat >"$T_DIR/first.sh" <<EOF
echo first
exec 1>&-
cat >"$T_DIR/later.\$\$"
EOF
start first socat "TCP-LISTEN:$first,bind=127.0.0.1,reuseaddr,fork" SYSTEM:"bash $T_DIR/first.sh"
ok "half-closing server up" wait_for 10 port_open "$first"
fh=$(tunnel tls "127.0.0.1:$first")
ok "its tls tunnel served" wait_for 10 handshake_ok "$fh"
fpub=$("$B" tunnel create --kind tcp --target "127.0.0.1:$first" --json | jq -r .port)
ok "its tcp tunnel's port open" wait_for 10 port_open "$fpub"
# The client reads the target's EOF, then still sends (sleep keeps its
# side open past the target's EOF).
out=$( (sleep 1; echo later over tls) | timeout 20 socat -t 5 - \
	"OPENSSL:127.0.0.1:$EDGE_PORT,snihost=$fh,cafile=$T_DIR/ca.pem,commonname=$fh")
same "target EOF first through TLS: its bytes came" "first" "$out"
ok "  and the client's later bytes still reached it" wait_for 10 \
	sh -c "cat $T_DIR/later.* 2>/dev/null | grep -q 'later over tls'"
rm -f "$T_DIR"/later.*
out=$( (sleep 1; echo later over tcp) | timeout 20 socat -t 5 - "TCP:127.0.0.1:$fpub")
same "target EOF first through a tcp tunnel: its bytes came" "first" "$out"
ok "  and the client's later bytes still reached it" wait_for 10 \
	sh -c "cat $T_DIR/later.* 2>/dev/null | grep -q 'later over tcp'"

# A client that stops reading mid-download, then goes: the edge closes
# the target connection too (nothing left waiting for a reader).
cat >"$T_DIR/stall.py" <<'EOF'
import socket, ssl, sys, time
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=host)
s.sendall(b"GET /big HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n")
s.recv(1000)
time.sleep(120)
EOF
start stall python3 "$T_DIR/stall.py" "$host" "$EDGE_PORT" "$T_DIR/ca.pem"
stall_pid=$LAST_PID
ok "a stalled download holds its target connection" wait_for 10 sh -c "[ \$(ss -Htn state established '( dport = :$web )' | grep -c .) -ge 1 ]"
stop "$stall_pid"
ok "  which goes when the client does" wait_for 20 sh -c "[ \$(ss -Htn state established '( dport = :$web )' | grep -c .) -eq 0 ]"
ok "the edge is still up" kill -0 "$EDGE_PID"
done_testing
