#!/bin/bash
# burrow-acme when things go wrong: Pebble rejecting half the nonces, the
# client killed (-9) in the middle of an order, and Pebble not running.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/acme_tools/acme_lib.sh"
BASE=w.example.test
CUST=sandbox.customer.test
GONE=gone.customer.test

ok "store with base zone and two delegated customer domains" acme_store $BASE $CUST $GONE
ok "burrow-dns up" dns_start
export PEBBLE_VA_NOSLEEP=1

# ---- badNonce (RFC 8555 6.5): half of all nonces rejected on purpose ----
PEBBLE_WFE_NONCEREJECT=50 ok "pebble up, rejecting 50% of nonces" pebble_start pebble-nonce
ok "issue still succeeds" acme --verbose issue $BASE
retries=$(grep -c "badNonce, retrying" "$T_DIR/last.out")
ok "... after retrying badNonce answers ($retries times)" test "$retries" -gt 0
ok "... and the chain verifies" cert_valid $BASE ecdsa
stop "$PEBBLE_PID"

# ---- kill -9 in the middle of an order, then restart ----
ok "pebble up" pebble_start pebble
# Hold burrow-dns still so the client sits between "TXT published" and the
# challenge response (it waits for burrow-dns to serve the TXT rows).
kill -STOP "$DNS_PID"
"$BIN/burrow-acme" --db "$BURROW_DB" --directory "$PEBBLE_DIRECTORY" --ca-bundle "$PEBBLE_CA" \
	--dns "127.0.0.1:$DNS_PORT" issue $CUST >"$T_DIR/killed.out" 2>&1 &
victim=$!
T_PIDS="$T_PIDS $victim"
step() { sql "SELECT o.step FROM acme_orders o JOIN zones z ON z.id = o.zone_id WHERE z.name = '$CUST' AND o.status NOT IN ('done','failed')"; }
at_step() { [ "$(step)" = "$1" ]; }
ok "client reaches 'published'" wait_for 20 at_step published
kill -KILL $victim
{ wait $victim; } 2>/dev/null
kill -CONT "$DNS_PID"
url=$(sql "SELECT o.order_url FROM acme_orders o JOIN zones z ON z.id = o.zone_id WHERE z.name = '$CUST'")
same "the killed client left its order open" "published" "$(step)"
same "... and its two TXT rows (stale until resumed)" "2" \
	"$(sql "SELECT count(*) FROM records WHERE name = '_acme-challenge.$CUST'")"
ok "restart finishes" acme issue $CUST
grep -q "^$CUST: resuming order $url " "$T_DIR/last.out"
ok "... the same order ($url)" test $? -eq 0
grep -q "order created" "$T_DIR/last.out"
fails "... without creating another" test $? -eq 0
same "... one order row for the zone, done" "done" \
	"$(sql "SELECT group_concat(o.status) FROM acme_orders o JOIN zones z ON z.id = o.zone_id WHERE z.name = '$CUST'")"
same "... no stale TXT rows" "0" "$(sql "SELECT count(*) FROM records WHERE name = '_acme-challenge.$CUST'")"
ok "... and a valid certificate" cert_valid $CUST ecdsa

# ---- killed after finalize: the certificate key survives in the order ----
$B domain add late.customer.test --workspace ws >/dev/null && $B domain mark late.customer.test delegated >/dev/null
"$BIN/burrow-acme" --db "$BURROW_DB" --directory "$PEBBLE_DIRECTORY" --ca-bundle "$PEBBLE_CA" \
	--dns "127.0.0.1:$DNS_PORT" issue late.customer.test >"$T_DIR/late.out" 2>&1 &
victim=$!
T_PIDS="$T_PIDS $victim"
# Stop (not kill) Pebble right after the client saved its certificate key,
# so the kill lands between 'key' and the stored certificate.
lstep() { sql "SELECT o.step FROM acme_orders o JOIN zones z ON z.id = o.zone_id WHERE z.name = 'late.customer.test' ORDER BY o.id DESC LIMIT 1"; }
if wait_for 20 sh -c "s=\$(sqlite3 '$BURROW_DB' \"SELECT o.step FROM acme_orders o JOIN zones z ON z.id = o.zone_id WHERE z.name = 'late.customer.test'\"); [ \"\$s\" = key ] || [ \"\$s\" = finalized ] || [ \"\$s\" = done ]"; then
	kill -KILL $victim 2>/dev/null
fi
{ wait $victim; } 2>/dev/null
ok "restart after a kill at step '$(lstep)' ends with a certificate" acme issue late.customer.test
ok "... that verifies with the key it kept" cert_valid late.customer.test ecdsa

# ---- Pebble not running: a clear error, nothing stored half-way ----
stop "$PEBBLE_PID"
before=$(sql "SELECT count(*) FROM acme_orders")
fails "issue with Pebble stopped fails" acme issue $GONE
grep -q "cannot reach the ACME directory: https://127.0.0.1:[0-9]*/dir: Failed to connect" "$T_DIR/last.out"
ok "... with one clear line" test $? -eq 0
same "... no certificate for the zone" "0" \
	"$(sql "SELECT count(*) FROM certificates c JOIN zones z ON z.id = c.zone_id WHERE z.name = '$GONE'")"
same "... no order row added" "$before" "$(sql "SELECT count(*) FROM acme_orders")"
same "... no TXT rows" "0" "$(sql "SELECT count(*) FROM records WHERE name LIKE '_acme-challenge.%'")"
done_testing
