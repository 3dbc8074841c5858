#!/bin/bash
# Response rate limiting end to end: a random-subdomain flood from one
# loopback /24 is mostly dropped or truncated, another /24 and an exempt
# block are answered, dig's TCP retry after a truncated (slipped) answer
# succeeds, and --rrl-rate 0 turns it off.  Verdicts compare counts with
# bounds that hold however slow the machine is (no timing assertions).
. "$(dirname "$0")/lib.sh"
FLOOD="python3 $E2E_ROOT/tests/e2e/dns_tools/rrl_flood.py"
export BURROW_DB=$T_STORE
Z=w.example.test
B=$BIN/burrow
RATE=10

ok "burrow init" $B init --zone $Z --ns ns1.$Z --edge-ipv4 192.0.2.10
H=$($B tunnel create --target 10.0.0.1:8080 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hostname"])')
ok "tunnel created" test -n "$H"

ok "a bad --rrl-exempt is refused (exit 2)" exit_status 2 $BIN/burrow-dns --rrl-exempt 10.0.0.1/8
ok "a negative --rrl-rate is refused (exit 2)" exit_status 2 $BIN/burrow-dns --rrl-rate -1
ok "--help lists --rrl-rate" sh -c "$BIN/burrow-dns --help | grep -q -- --rrl-rate"

PORT=$(free_port)
start dns $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$PORT --rrl-rate $RATE \
	--rrl-slip 2 --rrl-exempt 127.2.0.0/16 --log "$T_DIR/dns.log"
DNS_PID=$LAST_PID
ok "burrow-dns up" wait_for 10 dig -p $PORT @127.0.0.1 +time=1 +tries=1 +short $Z SOA
ok "the log states the limit" grep -q "rate limit: $RATE/s per netblock and class, slip 2, 1 exempt" "$T_DIR/dns.log"

# field NAME LINE: the value of NAME=... in a flood result.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# ---- a random-subdomain flood from 127.0.0.1: one NXDOMAIN class ----
N=1000
R=$($FLOOD $PORT 127.0.0.1 $N "*.$Z")
echo "# flood from 127.0.0.1: $R"
full=$(field full "$R"); tc=$(field tc "$R"); none=$(field none "$R"); secs=$(field secs "$R")
# The budget is RATE per calendar second: a run of secs seconds touches at
# most secs + 1 of them.
ok "at most $RATE answers a second went through ($full in ${secs}s)" \
	test "$full" -le $((RATE * (secs + 1)))
ok "the flood was mostly dropped or truncated ($((tc + none)) of $N)" \
	test $((tc + none)) -ge $((N * 3 / 4))
ok "slip 2: some answers came back truncated ($tc)" test "$tc" -gt 0
ok "slip 2: some were dropped ($none)" test "$none" -gt 0
FLOOD_TC=$tc

# ---- another /24 has its own budget (127.0.0.2 would share ours) ----
# 9 queries, under its budget of 10: limited, 4 of them would be truncated.
R=$($FLOOD $PORT 127.1.0.1 9 "*.$Z")
echo "# 127.1.0.1: $R"
ok "127.1.0.1 (another /24): nothing truncated" test "$(field tc "$R")" -eq 0
ok "127.1.0.1 (another /24): answered" test "$(field full "$R")" -ge 5
ok "dig from 127.1.0.1 gets NXDOMAIN, not truncated" sh -c \
	"dig -b 127.1.0.1 -p $PORT @127.0.0.1 +time=2 +tries=1 +ignore nope-x1.$Z A |
	 grep -q 'status: NXDOMAIN' &&
	 ! dig -b 127.1.0.1 -p $PORT @127.0.0.1 +time=2 +tries=1 +ignore nope-x2.$Z A |
	 grep -q 'flags:.* tc'"

# ---- an exempt block is never limited ----
N=500
R=$($FLOOD $PORT 127.2.0.1 $N "*.$Z")
echo "# flood from 127.2.0.1 (exempt): $R"
ok "--rrl-exempt 127.2.0.0/16: nothing truncated" test "$(field tc "$R")" -eq 0
# More answers than the limit could ever let through (a reply late on a
# busy machine counts as missing, so not "all").
ok "--rrl-exempt 127.2.0.0/16: the flood answered ($(field full "$R") of $N)" \
	test "$(field full "$R")" -gt $((RATE * ($(field secs "$R") + 1)))

# The server's own counters (dns/stats.h rrl_dropped, rrl_slipped), which
# it logs when it stops: every truncated answer the client saw was counted.
stop $DNS_PID
line=$(grep "rate limiting dropped" "$T_DIR/dns.log")
echo "# $line"
sdrop=$(echo "$line" | sed -n 's/.*dropped \([0-9]*\) and truncated \([0-9]*\).*/\1/p')
sslip=$(echo "$line" | sed -n 's/.*dropped \([0-9]*\) and truncated \([0-9]*\).*/\2/p')
ok "stopped: it counted drops ($sdrop)" test "${sdrop:-0}" -gt 0
ok "stopped: it counted every truncated answer the flood saw ($sslip >= $FLOOD_TC)" \
	test "${sslip:-0}" -ge "$FLOOD_TC"

# ---- TCP is never limited: a slipped answer makes dig retry over TCP ----
P2=$(free_port)
start dns2 $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$P2 --rrl-rate 5 --rrl-slip 1 \
	--log "$T_DIR/dns2.log"
DNS2_PID=$LAST_PID
ok "second burrow-dns up" wait_for 10 dig -p $P2 @127.0.0.1 +time=1 +tries=1 +tcp +short $Z SOA
# Exhaust this second's budget for ($H, A), then ask as a resolver would;
# a second that ends in between gives a full answer, so try again.
tc_retry() {
	$FLOOD $P2 127.0.0.1 20 "$H" >/dev/null
	out=$(dig -p $P2 @127.0.0.1 +time=2 +tries=1 "$H" A)
	echo "$out" | grep -q 'Truncated, retrying in TCP mode' &&
		echo "$out" | grep -q "^$H\..*IN[[:space:]]*A[[:space:]]*192.0.2.10"
}
ok "a truncated answer, then dig's TCP retry gets the address" wait_for 60 tc_retry
R=$($FLOOD $P2 127.0.0.1 200 "$H")
echo "# flood of one name from 127.0.0.1, slip 1: $R"
ok "slip 1: most came back truncated" test "$(field tc "$R")" -ge 150
ok "TCP answers are not limited" sh -c "for i in \$(seq 1 40); do
	dig -p $P2 @127.0.0.1 +time=2 +tries=1 +tcp +short $H A | grep -qx 192.0.2.10 || exit 1; done"
stop $DNS2_PID
ok "slip 1: every limited answer was truncated, none dropped" \
	grep -q "rate limiting dropped 0 and truncated [1-9]" "$T_DIR/dns2.log"

# ---- --rrl-rate 0: off ----
P3=$(free_port)
start dns3 $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$P3 --rrl-rate 0 \
	--log "$T_DIR/dns3.log"
ok "third burrow-dns up" wait_for 10 dig -p $P3 @127.0.0.1 +time=1 +tries=1 +short $Z SOA
ok "the log says it is off" grep -q "rate limit: off" "$T_DIR/dns3.log"
N=500
R=$($FLOOD $P3 127.0.0.1 $N "*.$Z")
echo "# flood with --rrl-rate 0: $R"
ok "--rrl-rate 0: nothing truncated" test "$(field tc "$R")" -eq 0
ok "--rrl-rate 0: the flood answered ($(field full "$R") of $N)" \
	test "$(field full "$R")" -gt $((RATE * ($(field secs "$R") + 1)))
done_testing
