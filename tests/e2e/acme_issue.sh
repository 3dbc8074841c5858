#!/bin/bash
# burrow-acme end to end: wildcard + apex certificates by DNS-01 from a real
# ACME server (Pebble), validated through burrow-dns serving the store's
# _acme-challenge TXT rows; then revocation, key rollover and EAB.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/acme_tools/acme_lib.sh"
BASE=w.example.test
CUST=sandbox.customer.test

ok "store with base zone and a delegated customer domain" acme_store $BASE $CUST
ok "burrow-dns up" dns_start
export PEBBLE_VA_NOSLEEP=1
ok "pebble up (throw-away CA, loopback)" pebble_start pebble

ok "issue the base zone (one-shot)" acme issue $BASE
cp "$T_DIR/last.out" "$T_DIR/issue.out"
grep -q "^$BASE: certificate stored" "$T_DIR/issue.out"
ok "progress ends with 'certificate stored'" test $? -eq 0
same "progress steps in order" \
	"order created|TXT published|TXT served|challenges answered|challenge valid|finalized|certificate stored" \
	"$(grep "^$BASE: " "$T_DIR/issue.out" | sed -E "s/^$BASE: (order created|TXT published|TXT served|challenges answered|challenge valid|finalized|certificate stored).*/\1/" | paste -sd'|')"
ok "base chain verifies against Pebble's root; names and key match" cert_valid $BASE ecdsa

ok "issue the customer domain with an RSA key, --json" acme --json --key-type rsa issue $CUST
same "--json: last line is the stored certificate" "certificate stored" \
	"$(tail -1 "$T_DIR/last.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event"])')"
ok "customer chain verifies; RSA-2048 key matches" cert_valid $CUST rsa
same "cert list shows both" "2" "$($B cert list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
same "no _acme-challenge TXT row left in the store" "0" \
	"$(sql "SELECT count(*) FROM records WHERE name LIKE '_acme-challenge.%'")"
same "burrow-dns no longer serves the challenge" "" \
	"$(dig +short -p $DNS_PORT @127.0.0.1 _acme-challenge.$BASE TXT)"
same "every order done" "done done" "$(sql "SELECT status FROM acme_orders ORDER BY id" | xargs)"
same "renewal planned at two thirds of the lifetime (no ARI in Pebble 2.4)" "1" \
	"$(sql "SELECT count(*) FROM certificates WHERE renew_after = not_before + (not_after - not_before) / 3 * 2 AND zone_id = (SELECT id FROM zones WHERE name = '$BASE')")"

# Trust: Pebble's TLS certificate is not in the system store, and nothing
# switches verification off.
fails "without Pebble's CA bundle the TLS handshake is refused" "$BIN/burrow-acme" \
	--db "$BURROW_DB" --directory "$PEBBLE_DIRECTORY" --dns "127.0.0.1:$DNS_PORT" \
	--ca-bundle /etc/ssl/certs/ca-certificates.crt issue $BASE
grep -qi "certificate" "$T_DIR/last.out"
ok "... with a TLS certificate error" test $? -eq 0

# Bad input: one clear line, non-zero exit, nothing stored.
fails "unknown zone is refused" acme issue nope.example.org
grep -q "nope.example.org: no such zone" "$T_DIR/last.out"
ok "... with a clear message" test $? -eq 0
$B domain add other.customer.test --workspace ws >/dev/null
$B domain mark other.customer.test delegated >/dev/null
fails "TXT never served (wrong --dns): clear error" \
	acme issue other.customer.test --dns 127.0.0.1:9 --dns-timeout 1
grep -q "other.customer.test: 127.0.0.1:9 did not serve _acme-challenge.other.customer.test TXT" \
	"$T_DIR/last.out"
ok "... reported on one line" test $? -eq 0
same "... its TXT rows removed again" "0" \
	"$(sql "SELECT count(*) FROM records WHERE name = '_acme-challenge.other.customer.test'")"
same "... its order kept open to resume" "pending" \
	"$(sql "SELECT o.status FROM acme_orders o JOIN zones z ON z.id = o.zone_id WHERE z.name = 'other.customer.test'")"
ok "the next run resumes that order and finishes" acme issue other.customer.test
grep -q "other.customer.test: resuming order" "$T_DIR/last.out"
ok "... saying it resumed" test $? -eq 0
same "... one order for that zone, done" "done" \
	"$(sql "SELECT o.status FROM acme_orders o JOIN zones z ON z.id = o.zone_id WHERE z.name = 'other.customer.test' ORDER BY o.id" | paste -sd,)"

# Revocation with the account key; then a key rollover, and the new key works.
ok "burrow cert revoke" $B cert revoke $CUST
same "certificate marked revoked" "1" \
	"$(sql "SELECT count(*) FROM certificates WHERE revoked_at > 0")"
old_key=$(sql "SELECT key_pem FROM acme_accounts")
ok "account key rollover (keyChange)" acme key-rollover
new_key=$(sql "SELECT key_pem FROM acme_accounts")
ok "... stored a different key, nothing pending" \
	test "$old_key" != "$new_key" -a -z "$(sql "SELECT next_key_pem FROM acme_accounts")"
ok "issue again with the new account key" acme issue $CUST
ok "new customer certificate verifies" cert_valid $CUST ecdsa

# Pebble keeps accounts in memory: after a restart on the same address the
# stored account is gone, and burrow-acme registers the same key again.
stop "$PEBBLE_PID"
# shellcheck disable=SC2046
start pebble-again $(pebble_cmd "$T_DIR/pebble" "127.0.0.1:$DNS_PORT")
ok "pebble restarted on the same address" pebble_wait 10
old_kid=$(sql "SELECT kid FROM acme_accounts")
ok "issue after the CA forgot the account" acme issue $BASE
grep -q "no longer knows account" "$T_DIR/last.out"
ok "... re-registered (said so)" test $? -eq 0
ok "... new account URL stored" test "$old_kid" != "$(sql "SELECT kid FROM acme_accounts")"
ok "... chain verifies against the new Pebble root" cert_valid $BASE ecdsa

# External Account Binding: a CA that requires it.
EAB_KEY=zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W
ok "pebble with externalAccountBindingRequired" pebble_start pebble-eab kid-1 $EAB_KEY
fails "without EAB: refused before any order" acme issue $BASE
grep -q "requires External Account Binding" "$T_DIR/last.out"
ok "... saying so" test $? -eq 0
fails "wrong EAB MAC key is refused by the CA" acme --eab-kid kid-1 \
	--eab-hmac-key b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH issue $BASE
grep -qE "unauthorized|malformed" "$T_DIR/last.out"
ok "... with the problem type" test $? -eq 0
ok "with EAB (HS256, kid-1): issued" acme --eab-kid kid-1 --eab-hmac-key $EAB_KEY issue $BASE
ok "EAB-issued chain verifies against that Pebble's root" cert_valid $BASE ecdsa
done_testing
