#!/bin/bash
# A zone of 100k tunnel names goes to an NSD secondary by AXFR over TCP
# (many TSIG-signed messages) and arrives intact: NSD's copy equals
# 'burrow zone export'.  Prints the transfer time; asserts none.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.bash"
export BURROW_DB=$T_STORE
N=${XFR_NAMES:-100000}
Z=w.big.test
BUILD=${BUILD:-build/release}

ok "dns_populate builds" make -s -C "$E2E_ROOT" "$BUILD/bench/dns_populate"
ok "store with $N tunnels" sh -c "'$E2E_ROOT/$BUILD/bench/dns_populate' '$BURROW_DB' $Z $N > '$T_DIR/names'"
ok "TSIG key" $BIN/burrow tsig add big-xfr
KEY=$(key_secret big-xfr)
PORT=$(free_port)
NPORT=$(free_port)
ok "secondary" $BIN/burrow secondary add 127.0.0.1:$NPORT --key big-xfr
start dns $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$PORT
ok "burrow-dns up" wait_for 60 sh -c "dig -p $PORT @127.0.0.1 +short +time=1 +tries=1 $Z SOA | grep -q hostmaster"

# kdig checks every message's TSIG (RFC 8945 5.3.1) as it reads them.
t0=$(now_ms)
kdig -p $PORT @127.0.0.1 +tcp -y hmac-sha256:big-xfr:$KEY AXFR $Z > "$T_DIR/kdig.txt" 2>&1
echo "# kdig AXFR of $N names: $(( $(now_ms) - t0 )) ms, $(grep -o '[0-9]* messages' "$T_DIR/kdig.txt")"
fails "kdig: every TSIG verified" grep -qE "failed|;; ERROR|WARNING" "$T_DIR/kdig.txt"
ok "kdig: several messages" sh -c "grep -q 'Received.*([0-9][0-9]* messages' '$T_DIR/kdig.txt' && ! grep -q '(1 messages' '$T_DIR/kdig.txt'"

nsd_config "$T_DIR/nsd" $NPORT $PORT big-xfr "$KEY" $Z
t0=$(now_ms)
start nsd nsd -d -c "$T_DIR/nsd/nsd.conf"
SERIAL=$(dig -p $PORT @127.0.0.1 +short $Z SOA | awk '{print $3}')
ok "NSD loads the zone" wait_for 120 sh -c "dig -p $NPORT @127.0.0.1 +short +time=1 +tries=1 $Z SOA | awk '{print \$3}' | grep -qx '$SERIAL'"
echo "# NSD start -> $N names loaded by AXFR in $(( $(now_ms) - t0 )) ms"
norm() { grep -v '^;' | awk 'NF {print $1, $2, $4, substr($0, index($0,$5))}' | tr -s ' \t' ' ' | sort -u; }
$BIN/burrow zone export $Z | norm > "$T_DIR/want"
dig -p $NPORT @127.0.0.1 +tcp +nocmd +nostats AXFR $Z | norm > "$T_DIR/got"
same "records in NSD's copy" "$(wc -l < "$T_DIR/want")" "$(wc -l < "$T_DIR/got")"
ok "NSD's copy equals burrow zone export" cmp -s "$T_DIR/want" "$T_DIR/got"
ok "a name from the middle" sh -c "dig -p $NPORT @127.0.0.1 +short $(sed -n "$((N / 2))p" "$T_DIR/names") A | grep -qx 192.0.2.10"
done_testing
