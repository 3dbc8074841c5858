#!/bin/bash
# burrow-acme run: the daemon issues a certificate for every zone it serves
# (base zone and delegated customer domains, several at once), picks up new
# domains, renews when a certificate is due, and stops cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/acme_tools/acme_lib.sh"
BASE=w.example.test

ok "store: base zone and three delegated customer domains" \
	acme_store $BASE a.customer.test b.customer.test c.customer.test
ok "a fourth customer domain still pending" $B domain add pending.customer.test --workspace ws
ok "burrow-dns up" dns_start
export PEBBLE_VA_NOSLEEP=1
ok "pebble up" pebble_start pebble

start acmed "$BIN/burrow-acme" --db "$BURROW_DB" --directory "$PEBBLE_DIRECTORY" \
	--ca-bundle "$PEBBLE_CA" --dns "127.0.0.1:$DNS_PORT" --jobs 4 run --interval 1
ACMED=$LAST_PID
certs() { sql "SELECT count(DISTINCT zone_id) FROM certificates WHERE revoked_at = 0"; }
has_certs() { [ "$(certs)" -ge "$1" ]; }
ok "daemon issues all four served zones" wait_for 60 has_certs 4
for z in $BASE a.customer.test b.customer.test c.customer.test; do
	ok "$z chain verifies" cert_valid $z ecdsa
done
same "the pending domain gets none" "0" \
	"$(sql "SELECT count(*) FROM certificates c JOIN zones z ON z.id = c.zone_id WHERE z.name = 'pending.customer.test'")"

ok "a domain delegated while running" $B domain mark pending.customer.test delegated
ok "... gets its certificate" wait_for 30 has_certs 5

# Renewal: move the base certificate's renewal time (two thirds of its
# lifetime, or the ARI window) into the past, as time passing would.
serial() { $B cert show $BASE --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])'; }
old=$(serial)
sql "UPDATE certificates SET renew_after = 1 WHERE zone_id = (SELECT id FROM zones WHERE name = '$BASE')"
renewed() { [ "$(serial)" != "$old" ]; }
ok "due certificate is renewed" wait_for 30 renewed
ok "... the new one verifies" cert_valid $BASE ecdsa
same "... the old one stays as history" "2" \
	"$(sql "SELECT count(*) FROM certificates c JOIN zones z ON z.id = c.zone_id WHERE z.name = '$BASE'")"
sleep 2
same "nothing else renewed (no churn)" "6" "$(sql "SELECT count(*) FROM certificates")"
same "no TXT rows left" "0" "$(sql "SELECT count(*) FROM records WHERE name LIKE '_acme-challenge.%'")"

kill -TERM $ACMED
wait $ACMED
ok "SIGTERM: daemon exits 0" test $? -eq 0
grep -q "stopping on signal 15" "$T_DIR/acmed.log"
ok "... logging why" test $? -eq 0
done_testing
