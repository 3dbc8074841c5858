#!/bin/bash
# A customer domain end to end: the customer's parent zone (NSD) delegates
# sandbox.example.com to w-ns-a..d.modal.host; the operator adds the domain,
# Burrow verifies the delegation by walking from the root, burrow-acme gets
# *.sandbox.example.com from Pebble validating through burrow-dns, and a
# tunnel under the domain answers https:// with that certificate through
# burrow-edge.  Then the delegation is withdrawn: the domain gets no new
# tunnels, and the existing one keeps working.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/domain_tools/parents.sh"
. "$E2E_ROOT/tests/e2e/acme_tools/pebble_lib.sh"
B=$BIN/burrow
export BURROW_DB=$T_DIR/burrow.db
D=sandbox.example.com

ok "NSD serves the root and the parent zones" parents_start
ok "burrow init" "$B" init
ok "domain add" "$B" domain add $D --workspace acme-corp
start dns "$BIN/burrow-dns" --db "$BURROW_DB" --listen "$OURS:$PORT" --poll-ms 20
ok "burrow-dns answers for the pending domain (SOA, so it can be checked)" \
	wait_for 5 sh -c "dig +norec @$OURS -p $PORT $D SOA | grep -q 'flags: qr aa'"
ok "the pending domain gets no tunnels" \
	exit_status 1 "$B" tunnel create --target 127.0.0.1:80 --zone $D
ok "domain verify walks root -> example.com and finds our NS set" \
	"$B" domain verify $D --root "$ROOT" --port "$PORT"
same "the domain is delegated" "delegated" "$("$B" domain show $D --json | jq -r .state)"

export PEBBLE_VA_NOSLEEP=1
pebble_setup "$T_DIR/pebble" "$(free_port)" "$(free_port)"
# shellcheck disable=SC2046
start pebble $(pebble_cmd "$T_DIR/pebble" "$OURS:$PORT")
ok "Pebble up, resolving through burrow-dns" pebble_wait 10
ok "burrow-acme issues *.$D and $D by DNS-01" \
	"$BIN/burrow-acme" --db "$BURROW_DB" --directory "$PEBBLE_DIRECTORY" \
	--ca-bundle "$PEBBLE_CA" --dns "$OURS:$PORT" issue $D
same "the certificate names the domain and its wildcard" "*.$D,$D" \
	"$("$B" cert list --json | jq -r ".[] | select(.zone == \"$D\") | .names" | tr ',' '\n' | sort | paste -sd,)"
ok "Pebble's root" pebble_root "$T_DIR/root.pem"

WEB=$(free_port)
mkdir -p "$T_DIR/www" && echo "hello from the container" >"$T_DIR/www/index.html"
start web python3 -m http.server "$WEB" --bind 127.0.0.1 --directory "$T_DIR/www"
EDGE=$(free_port)
"$B" init --tls-port "$EDGE" >/dev/null   # the store's TLS port is the edge's
start edge "$BIN/burrow-edge" --db "$BURROW_DB" --listen "127.0.0.1:$EDGE" --poll-ms 20
ok "the target web server is up" wait_for 10 curl -fsS "http://127.0.0.1:$WEB/"
H=$("$B" tunnel create --target "127.0.0.1:$WEB" --zone $D --json | jq -r .hostname)
ok "tunnel create under the customer domain" sh -c "echo $H | grep -Eq '^[a-z0-9]{14}\.$D\$'"
ok "burrow-dns resolves the tunnel name to the edge" \
	wait_for 5 sh -c "[ \"\$(dig +short @$OURS -p $PORT $H A)\" = 127.0.0.1 ]"
reaches_container() {
	curl -fsS --max-time 5 --cacert "$T_DIR/root.pem" --resolve "$H:$EDGE:127.0.0.1" \
		"https://$H:$EDGE/" | grep -q 'hello from the container'
}
ok "https:// to the tunnel verifies against Pebble's root and reaches the container" \
	wait_for 5 reaches_container

# The customer withdraws the delegation: the parent zone changes.
stop "$PARENT_PID"
parent_zone_example no 2
serve_nsd parent "$PARENT" example.com modal.host
ok "the parent serves the zone without the delegation" \
	wait_for 10 sh -c "dig +norec @$PARENT -p $PORT example.com SOA | grep -q ' 2 3600'"
ok "verify now fails" exit_status 1 "$B" domain verify $D --root "$ROOT" --port "$PORT"
same "the domain is marked missing-ns" "missing-ns" "$("$B" domain show $D --json | jq -r .state)"
ok "and gets no new tunnels" exit_status 1 "$B" tunnel create --target 127.0.0.1:80 --zone $D
ok "the existing tunnel keeps working" reaches_container
done_testing
