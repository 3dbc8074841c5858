#!/bin/bash
# burrow-edge, instantly (issue #11): a tunnel is served the moment
# 'burrow tunnel create' returns and refused the moment 'burrow tunnel rm'
# returns, 20 times over, through a real edge with an imported certificate,
# with curl and openssl s_client started right after the command.  The
# edge's safety poll is a minute: only the store watch and the re-read
# for an unknown name can make this pass.  Latencies are printed (# lines),
# never asserted.  burrow-dns's side of the same promise is checked in
# dns_answers.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/edge_lib.bash"
ROUNDS=20

ok "edge starts (safety poll 1 min)" edge_setup --poll-ms 60000
# web_up: the HTTP target on a free port ($web), another one if that port
# was taken before the server bound it.
web_up() {
	for _attempt in 1 2 3; do
		web=$(free_port)
		start web python3 "$PEER" serve "$web"
		wait_for 10 port_open "$web" && return 0
		stop "$LAST_PID"
	done
	return 1
}
ok "web target up" web_up

# refused HOST: the edge answers the ClientHello with the TLS alert
# unrecognized_name (112) and logs why.
refused() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$EDGE_PORT" -servername "$1" \
		-CAfile "$T_DIR/ca.pem" >"$T_DIR/refused.out" 2>&1
	grep -q 'alert number 112' "$T_DIR/refused.out" &&
		grep -q "SNI '$1' refused: no such tunnel" "$T_DIR/edge.log"
}

served=0
gone=0
for i in $(seq 1 $ROUNDS); do
	h=$(tunnel tls "127.0.0.1:$web")
	if [ "$(curl_edge "$h" "https://$h:$EDGE_PORT/")" = ok ]; then
		served=$((served + 1))
	else
		echo "# round $i: curl to $h right after create failed"
	fi
	"$B" tunnel rm "$h" >/dev/null
	if refused "$h"; then
		gone=$((gone + 1))
	else
		echo "# round $i: $h still served right after rm"
		sed 's/^/#   /' "$T_DIR/refused.out" | head -5
	fi
done
same "curl right after 'tunnel create' succeeds, every time" "$ROUNDS" "$served"
same "a handshake right after 'tunnel rm' gets unrecognized_name, every time" "$ROUNDS" "$gone"

# The figures, from a client that is already running (no process start-up
# in them): create returned -> first handshake that succeeds, rm returned
# -> first handshake refused, and for scale one more handshake to a tunnel
# the edge knows.
python3 "$E2E_ROOT/tests/e2e/instant_tools/latency.py" edge "$B" "$EDGE_PORT" "$T_DIR/ca.pem" \
	"$ROUNDS" "127.0.0.1:$web" >"$T_DIR/latency.out" 2>&1
same "the probe saw every create and every rm take effect" 0 "$?"
sed 's/^/# /' "$T_DIR/latency.out"
ok "no change-log read failed" sh -c "! grep -q 'change log read' '$T_DIR/edge.log'"
done_testing
