# Shared set-up for the burrow-edge end-to-end tests (sourced after lib.sh;
# named .bash so tests/run.sh does not run it as a suite).
#
# edge_setup [EDGE OPTIONS...]: a test CA and a wildcard certificate for
# w.modal.host imported with 'burrow cert import', a store with a private
# tcp port range, and burrow-edge on a free loopback port ($EDGE_PORT).
B="$BIN/burrow"
export BURROW_DB=$T_STORE
ZONE=w.modal.host
PEER="$E2E_ROOT/tests/e2e/edge_peer.py"

# make_leaf NAME: a leaf certificate for *.ZONE and ZONE signed by the test
# CA, as $T_DIR/NAME.pem and $T_DIR/NAME.key (a new serial every call).
make_leaf() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T_DIR/$1.key" -out "$T_DIR/$1.csr" -subj "/CN=*.$ZONE" 2>/dev/null &&
	printf 'subjectAltName=DNS:*.%s,DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$ZONE" "$ZONE" >"$T_DIR/$1.ext" &&
	openssl x509 -req -in "$T_DIR/$1.csr" -CA "$T_DIR/ca.pem" -CAkey "$T_DIR/ca.key" \
		-CAcreateserial -out "$T_DIR/$1.pem" -days 2 -extfile "$T_DIR/$1.ext" 2>/dev/null
}

edge_setup() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T_DIR/ca.key" -out "$T_DIR/ca.pem" -days 3 \
		-subj "/CN=Burrow edge test CA" 2>/dev/null || return 1
	make_leaf leaf || return 1
	tcp_lo=$(free_port)
	"$B" init --tcp-ports "$tcp_lo-$((tcp_lo + 9))" >/dev/null || return 1
	"$B" cert import "$ZONE" --chain "$T_DIR/leaf.pem" --key "$T_DIR/leaf.key" >/dev/null || return 1
	# A port picked free can be taken by another process before the edge
	# binds it (tests run beside other work): then try another one.
	for _attempt in 1 2 3; do
		EDGE_PORT=$(free_port)
		# The store's TLS port is the edge's (burrow-edge refuses another).
		"$B" init --tcp-ports "$tcp_lo-$((tcp_lo + 9))" --tls-port "$EDGE_PORT" >/dev/null ||
			return 1
		start edge "$BIN/burrow-edge" --db "$BURROW_DB" --listen "127.0.0.1:$EDGE_PORT" \
			--poll-ms 50 "$@"
		EDGE_PID=$LAST_PID
		wait_for 20 edge_up
		edge_listening && return 0
		kill -0 "$EDGE_PID" 2>/dev/null && break   # alive but silent: give up
	done
	echo "burrow-edge did not start; its log:"
	tail -5 "$T_DIR/edge.log"
	return 1
}

# edge_up: listening, or gone (so a failed start is not waited out).
edge_up() {
	edge_listening || ! kill -0 "$EDGE_PID" 2>/dev/null
}

edge_listening() {
	ss -Htln | awk '{print $4}' | grep -q ":$EDGE_PORT\$"
}

# tunnel KIND TARGET [OPTIONS...]: creates a tunnel, prints its hostname.
tunnel() {
	kind=$1
	target=$2
	shift 2
	"$B" tunnel create --kind "$kind" --target "$target" "$@" --json | jq -r .hostname
}

# curl_edge HOST [CURL ARGS...]: curl through the edge, verified against
# the test CA, with HOST resolved to the edge.
curl_edge() {
	h=$1
	shift
	curl -sS --max-time 10 --cacert "$T_DIR/ca.pem" --resolve "$h:$EDGE_PORT:127.0.0.1" "$@"
}

# served_serial HOST: the serial of the certificate the edge shows for HOST.
served_serial() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$1" \
		2>/dev/null | openssl x509 -noout -serial 2>/dev/null
}

# handshake_ok HOST: a verified TLS handshake for HOST succeeds.
handshake_ok() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$1" \
		-CAfile "$T_DIR/ca.pem" -verify_return_error -verify_hostname "$1" >/dev/null 2>&1
}

# open_conn NAME HOST: a TLS connection through the edge that stays open;
# conn_send NAME TEXT writes a line to it; what comes back is in
# $T_DIR/NAME.out.
open_conn() {
	mkfifo "$T_DIR/$1.in"
	start "$1" sh -c "exec openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:$EDGE_PORT \
		-servername $2 -CAfile $T_DIR/ca.pem -verify_return_error \
		<$T_DIR/$1.in >$T_DIR/$1.out 2>$T_DIR/$1.err"
	eval "exec {fd_$1}>\"$T_DIR/$1.in\""
}

conn_send() {
	eval "echo \"\$2\" >&\$fd_$1"
}

conn_close() {
	eval "exec {fd_$1}>&-"
}

# echo_server PORT: a TCP echo server on 127.0.0.1:PORT.
echo_server() {
	start "echo$1" socat "TCP-LISTEN:$1,bind=127.0.0.1,reuseaddr,fork" PIPE
	wait_for 10 sh -c "ss -Htln | awk '{print \$4}' | grep -q ':$1\$'"
}

port_open() {
	ss -Htln | awk '{print $4}' | grep -q ":$1\$"
}
