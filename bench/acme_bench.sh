#!/bin/bash
# make bench-acme: wildcard + apex certificates for N customer domains
# (default 50) from one throw-away Pebble (PEBBLE_VA_NOSLEEP=1), DNS-01
# answered by burrow-dns from the store.  Burrow's wall time beside lego
# (Debian's lego 4.9, `exec` DNS provider writing the same store through
# `burrow record add/rm`), one lego process per domain as lego is used:
# one after another, and 8 at a time.  Prints one line per run.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
N=${N:-50}
JOBS=${JOBS:-16}
LEGO_PAR=${LEGO_PAR:-8}
W=$(mktemp -d /tmp/burrow-bench-acme.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
. "$ROOT/tests/e2e/acme_tools/pebble_lib.sh"
port() {
	while :; do
		p=$(( ($(od -An -N2 -tu2 /dev/urandom) % 20000) + 30000 ))
		ss -Htuln 2>/dev/null | awk '{print $5}' | grep -q ":$p\$" || { echo "$p"; return; }
	done
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
export BURROW_BIN=$ROOT/bin BURROW_DB=$W/burrow.db
B=$ROOT/bin/burrow
$B init --zone w.bench.test --ns ns1.w.bench.test --edge-ipv4 192.0.2.10 >/dev/null || exit 1
ZONES=""
for i in $(seq 1 "$N"); do
	z=c$i.customer.test
	$B domain add "$z" --workspace bench >/dev/null && $B domain mark "$z" delegated >/dev/null || exit 1
	ZONES="$ZONES $z"
done
$B domain add warmup.customer.test --workspace bench >/dev/null
$B domain mark warmup.customer.test delegated >/dev/null
DNS_PORT=$(port)
"$ROOT/bin/burrow-dns" --db "$BURROW_DB" --listen 127.0.0.1:$DNS_PORT --poll-ms 50 \
	>"$W/dns.log" 2>&1 &
PIDS="$PIDS $!"
pebble_setup "$W/pebble" "$(port)" "$(port)" || exit 1
# Same CA conditions for both clients: no artificial validation sleep, no
# nonce rejection, no authorization reuse.
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
	$(pebble_cmd "$W/pebble" "127.0.0.1:$DNS_PORT") >"$W/pebble.log" 2>&1 &
PIDS="$PIDS $!"
pebble_wait 10 || { echo "pebble did not start"; exit 1; }
ACME="$ROOT/bin/burrow-acme --db $BURROW_DB --directory $PEBBLE_DIRECTORY --ca-bundle $PEBBLE_CA --dns 127.0.0.1:$DNS_PORT"

# Warm-up outside the timings: both clients register their account and
# issue one certificate.
$ACME issue warmup.customer.test >"$W/burrow-warmup.log" 2>&1 || { cat "$W/burrow-warmup.log"; exit 1; }
export LEGO_CA_CERTIFICATES=$PEBBLE_CA EXEC_PATH=$ROOT/bench/acme_lego_hook.sh
# lego solves the apex and wildcard of a name one after the other and waits
# EXEC_SEQUENCE_INTERVAL (60 s by default) between them: set to 0, lego's
# fastest setting, so the comparison is with lego at its best.
export EXEC_PROPAGATION_TIMEOUT=60 EXEC_POLLING_INTERVAL=1 EXEC_SEQUENCE_INTERVAL=0
lego_one() {
	lego --server "$PEBBLE_DIRECTORY" --email bench@example.test --accept-tos \
		--path "$W/lego" --dns exec --dns.resolvers "127.0.0.1:$DNS_PORT" --dns.disable-cp \
		--key-type ec256 --domains "$1" --domains "*.$1" run >"$W/lego-$1.log" 2>&1
}
lego_one warmup.customer.test || { cat "$W/lego-warmup.customer.test.log"; exit 1; }

echo "# bench-acme: $N wildcard+apex certificates, Pebble 2.4 (VA no sleep), DNS-01 via burrow-dns, $(nproc) cores"
# Three rounds (each issues 50 fresh certificates); the median counts.
times=""
rc=0
for round in 1 2 3; do
	t0=$(now_ms)
	# shellcheck disable=SC2086
	$ACME --jobs "$JOBS" issue $ZONES >"$W/burrow-$round.log" 2>&1 || rc=1
	t=$(( $(now_ms) - t0 ))
	times="$times $t"
	echo "burrow-acme --jobs $JOBS, round $round: ${t} ms"
done
stored=$(sqlite3 "$BURROW_DB" "SELECT count(*) FROM certificates WHERE zone_id IN (SELECT id FROM zones WHERE name LIKE 'c%.customer.test')")
t_burrow=$(printf '%s\n' $times | sort -n | sed -n 2p)
echo "burrow-acme --jobs $JOBS: median ${t_burrow} ms for $N certificates ($stored stored in 3 rounds, exit $rc)"
[ "${LEGO:-1}" = 1 ] || exit "$rc"

t0=$(now_ms)
okc=0
for z in $ZONES; do lego_one "$z" && okc=$((okc + 1)); done
t_lego=$(( $(now_ms) - t0 ))
echo "lego 4.9 (exec hook), one after another: ${t_lego} ms for $okc/$N certificates"

rm -rf "$W/lego/certificates"
t0=$(now_ms)
export -f lego_one
export W PEBBLE_DIRECTORY DNS_PORT
# shellcheck disable=SC2086
printf '%s\n' $ZONES | xargs -P "$LEGO_PAR" -I{} bash -c 'lego_one {}'
t_lego_par=$(( $(now_ms) - t0 ))
okp=$(ls "$W/lego/certificates/" 2>/dev/null | grep -cE '^c[0-9]+\.customer\.test\.crt$')
echo "lego 4.9 (exec hook), $LEGO_PAR at a time: ${t_lego_par} ms for $okp/$N certificates"
awk -v b="$t_burrow" -v s="$t_lego" -v p="$t_lego_par" 'BEGIN {
	printf "ratio burrow/lego: %.3f (sequential), %.3f (%s parallel); goal <= 0.5\n", b / s, b / p, "'"$LEGO_PAR"'" }'
[ "$rc" -eq 0 ] && [ "$stored" -eq $((3 * N)) ]
