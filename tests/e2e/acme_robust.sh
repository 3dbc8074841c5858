#!/bin/bash
# burrow-acme when things go wrong: Pebble rejecting 90% of the nonces, the
# client killed (-9) in the middle of an order, and Pebble not running.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/acme_tools/acme_lib.sh"
BASE=w.example.test
CUST=sandbox.customer.test
GONE=gone.customer.test

ok "store with base zone and two delegated customer domains" acme_store $BASE $CUST $GONE
ok "burrow-dns up" dns_start
export PEBBLE_VA_NOSLEEP=1

# ---- badNonce (RFC 8555 6.5): nine nonces in ten rejected on purpose ----
# Every signed request gets 200 badNonce retries, so one fails at 90% with
# probability 0.9^201 ~ 6e-10 and this section (about 40 signed requests)
# with less than 3e-8 (acme/acme.h, ACME_NONCE_RETRIES).
# nonce_counts FILE: "REQUESTS RETRIES" summed over the clients' summary
# lines (debug, one per client); fails unless there were requests and the
# retries match the one debug line per retry.
nonce_counts() {
	_sum=$(sed -n 's/.*\[debug\]: \([0-9]*\) signed requests, \([0-9]*\) of them resent after badNonce$/\1 \2/p' "$1" |
		awk '{r += $1; b += $2} END {print r + 0, b + 0}')
	_lines=$(grep -c ": badNonce, retry [0-9]* of 200 with the nonce it sent$" "$1")
	[ "${_sum% *}" -gt 0 ] || { echo "no summary line"; return 1; }
	[ "${_sum#* }" = "$_lines" ] || { echo "summary says ${_sum#* }, $_lines retry lines"; return 1; }
	echo "$_sum"
}
# counted DESC FILE: the check that FILE's counts add up; sets REQUESTS and
# RETRIES (0 if they do not).
counted() {
	if _c=$(nonce_counts "$2"); then
		read -r REQUESTS RETRIES <<<"$_c"
		ok "$1 ($REQUESTS requests, $RETRIES of them badNonce retries)" true
	else
		REQUESTS=0 RETRIES=0
		ok "$1 ($_c)" false
	fi
}
# pebble_count N WHAT: lines of Pebble's log after line N matching WHAT.
pebble_count() {
	tail -n +"$(($1 + 1))" "$T_DIR/pebble-nonce.log" | grep -c "$2"
}
PEBBLE_WFE_NONCEREJECT=90 ok "pebble up, rejecting 90% of nonces" pebble_start pebble-nonce
grep -q "Configured to reject 90% of good nonces" "$T_DIR/pebble-nonce.log"
ok "... Pebble says so" test $? -eq 0
mark=$(wc -l <"$T_DIR/pebble-nonce.log")
ok "issue still succeeds" acme --verbose issue $BASE
cp "$T_DIR/last.out" "$T_DIR/nonce-issue.out"
ok "... and the chain verifies against Pebble's root" cert_valid $BASE ecdsa
counted "... one debug line per badNonce retry" "$T_DIR/nonce-issue.out"
ok "... after retrying badNonce answers" test "$RETRIES" -gt 0
same "... Pebble received every one of those requests, one round trip each" "$REQUESTS" \
	"$(pebble_count "$mark" ' POST /.* -> calling handler')"
heads=$(pebble_count "$mark" ' /nonce-plz -> calling handler')
ok "... and newNonce only once per client ($heads times)" test "$heads" -le 2
fails "... no secret in the log" grep -E "PRIVATE KEY|\"protected\"|\"signature\"" "$T_DIR/nonce-issue.out"
ok "revoke at 90%" acme --verbose revoke $BASE
counted "... counted" "$T_DIR/last.out"
same "... marked revoked" "1" "$(sql "SELECT count(*) FROM certificates WHERE revoked_at > 0")"
ok "account key rollover at 90%" acme --verbose key-rollover
counted "... counted" "$T_DIR/last.out"
same "... nothing left pending" "" "$(sql "SELECT next_key_pem FROM acme_accounts")"
ok "issue again with the new key at 90% (account lookup, new order)" acme --verbose issue $BASE
counted "... counted" "$T_DIR/last.out"
ok "... and that chain verifies" cert_valid $BASE ecdsa
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
	"$(sql "SELECT o.status FROM acme_orders o JOIN zones z ON z.id = o.zone_id WHERE z.name = '$CUST' ORDER BY o.id" | paste -sd,)"
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
key_saved() { case $(lstep) in key | finalized | done) ;; *) return 1 ;; esac; }
if wait_for 20 key_saved; then
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
