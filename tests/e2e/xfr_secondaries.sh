#!/bin/bash
# burrow-dns as the primary of an NSD and a Knot secondary on loopback, all
# transfers TSIG-signed: the secondaries load every zone (NSD configured per
# zone, Knot through the catalog zone), follow each change by NOTIFY and
# IXFR (a lease renewal is not a change of the zone: no NOTIFY, no IXFR
# step), and anyone without a secondary's key is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.bash"
export BURROW_DB=$T_STORE
B=$BIN/burrow
Z=w.example.test
C=cust.example.org
CAT=catalog.burrow.invalid

ok "burrow init" $B init --zone $Z --ns ns1.$Z,w-ns-a.example.net \
	--edge-ipv4 192.0.2.10 --edge-ipv6 2001:db8::10
ok "TSIG key for NSD" $B tsig add nsd-xfr
ok "TSIG key for Knot" $B tsig add knot-xfr.example
NSD_KEY=$(key_secret nsd-xfr)
KNOT_KEY=$(key_secret knot-xfr.example)
T1=$($B tunnel create --target 10.0.0.1:8080 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hostname"])')
ok "customer domain" $B domain add $C --workspace ws1
ok "customer record" $B record add www.$C A 198.51.100.7

PORT=$(free_port)
NPORT=$(free_port)
KPORT=$(free_port)

# secondary add/list/rm, and bad input leaves the store unchanged.
ok "secondary add NSD" $B secondary add 127.0.0.1:$NPORT --key nsd-xfr
ok "secondary add Knot (JSON)" sh -c "$B secondary add 127.0.0.1:$KPORT --key knot-xfr.example --json | grep -q '\"port\": $KPORT'"
ok "unknown key: exit 1" exit_status 1 $B secondary add 127.0.0.2 --key nope
ok "bad address: exit 2" exit_status 2 $B secondary add 300.0.0.1:53 --key nsd-xfr
ok "bad port: exit 2" exit_status 2 $B secondary add 127.0.0.3:0 --key nsd-xfr
ok "no --key: exit 2" exit_status 2 $B secondary add 127.0.0.3
ok "duplicate: exit 1" exit_status 1 $B secondary add 127.0.0.1:$NPORT --key nsd-xfr
ok "IPv6 with port" $B secondary add "[::1]:5300" --key nsd-xfr
ok "rm IPv6" $B secondary rm "[0:0::1]:5300"
same "two secondaries listed" 2 "$($B secondary list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
ok "rm unknown: exit 1" exit_status 1 $B secondary rm 127.0.0.9

start dns $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$PORT --poll-ms 20
ok "burrow-dns up" wait_for 10 sh -c "dig -p $PORT @127.0.0.1 +short +time=1 +tries=1 $Z SOA | grep -q hostmaster"
ok "burrow-dns serves the catalog zone" sh -c "dig -p $PORT @127.0.0.1 +short version.$CAT TXT | grep -q '\"2\"'"

# Transfers without the right key are refused.
ok "AXFR without TSIG: REFUSED" sh -c "kdig -p $PORT @127.0.0.1 +tcp AXFR $Z 2>&1 | grep -q REFUSED"
ok "IXFR without TSIG: REFUSED" sh -c "kdig -p $PORT @127.0.0.1 +tcp IXFR=1 $Z 2>&1 | grep -q REFUSED"
ok "AXFR with a secondary's key from another address: REFUSED" sh -c \
	"kdig -p $PORT @127.0.0.1 -b 127.0.0.2 +tcp -y hmac-sha256:nsd-xfr:$NSD_KEY AXFR $Z 2>&1 | grep -q REFUSED"
ok "AXFR with a wrong secret: NOTAUTH, BADSIG" sh -c \
	"kdig -p $PORT @127.0.0.1 +tcp -y hmac-sha256:nsd-xfr:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= AXFR $Z 2>&1 | grep -q BADSIG"
ok "AXFR with an unknown key: BADKEY" sh -c \
	"kdig -p $PORT @127.0.0.1 +tcp -y hmac-sha256:other:$NSD_KEY AXFR $Z 2>&1 | grep -q BADKEY"
kdig -p $PORT @127.0.0.1 +tcp -y hmac-sha256:nsd-xfr:$NSD_KEY AXFR $Z > "$T_DIR/axfr.txt" 2>&1
ok "AXFR with the key: the tunnel is in it" grep -q "^$T1\..*A.*192.0.2.10" "$T_DIR/axfr.txt"
fails "AXFR with the key: kdig verifies every TSIG" grep -qE "failed|;; ERROR|WARNING" "$T_DIR/axfr.txt"

nsd_config "$T_DIR/nsd" $NPORT $PORT nsd-xfr "$NSD_KEY" $Z $C
knot_config "$T_DIR/knot" $KPORT $PORT knot-xfr.example "$KNOT_KEY" $CAT
ok "Knot accepts its configuration" knotc -c "$T_DIR/knot/knot.conf" conf-check
start nsd nsd -d -c "$T_DIR/nsd/nsd.conf"
start knot knotd -c "$T_DIR/knot/knot.conf"

ok "NSD loads $Z by AXFR" wait_for 20 serves $NPORT $T1 A 192.0.2.10
ok "NSD loads $C" wait_for 20 serves $NPORT www.$C A 198.51.100.7
ok "Knot learns $Z from the catalog" wait_for 20 serves $KPORT $T1 A 192.0.2.10
ok "Knot learns $C from the catalog" wait_for 20 serves $KPORT www.$C A 198.51.100.7

# NOTIFY -> IXFR: a new tunnel reaches both secondaries.  Each is timed
# from the moment the tunnel is in the store, both polled side by side.
$B tunnel create --target 10.0.0.2:8080 --json > "$T_DIR/t2.json"
t0=$(now_ms)
T2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hostname"])' "$T_DIR/t2.json")
(wait_for 5 serves $NPORT $T2 A 192.0.2.10 && echo $(( $(now_ms) - t0 )) > "$T_DIR/t.nsd") &
w1=$!
(wait_for 5 serves $KPORT $T2 A 192.0.2.10 && echo $(( $(now_ms) - t0 )) > "$T_DIR/t.knot") &
w2=$!
wait $w1 $w2
ok "NSD answers the new tunnel within 5 s" test -s "$T_DIR/t.nsd"
ok "Knot answers the new tunnel within 5 s" test -s "$T_DIR/t.knot"
echo "# tunnel create -> answered by NSD in $(cat "$T_DIR/t.nsd" 2>/dev/null) ms, by Knot in $(cat "$T_DIR/t.knot" 2>/dev/null) ms"
ok "the change went by IXFR" grep -q "IXFR [0-9]* -> [0-9]*: [0-9]* records" "$T_DIR/dns.log"
ok "secondaries acknowledged NOTIFY" grep -q "acknowledged" "$T_DIR/dns.log"

# A renewal (burrow-api's UPDATE of expires_at alone) is logged but moves
# no serial: nothing is sent for it, and the next change is one IXFR step
# from the serial before it.
S=$(dig -p $PORT @127.0.0.1 +short +time=2 +tries=1 $Z SOA | awk '{print $3}')
ok "renew $T2's lease" t_sql \
	"UPDATE tunnels SET expires_at = $(date +%s) + 3600 WHERE hostname = '$T2'"
RSEQ=$(t_sql "SELECT max(seq) FROM changes")

# Removal too: NSD and Knot stop answering.
ok "tunnel rm" $B tunnel rm $T1
SRM=$(t_sql "SELECT max(seq) FROM changes")
ok "NSD drops the removed tunnel" wait_for 5 sh -c "dig -p $NPORT @127.0.0.1 +time=1 +tries=1 $T1 A | grep -q NXDOMAIN"
ok "Knot drops the removed tunnel" wait_for 5 sh -c "dig -p $KPORT @127.0.0.1 +time=1 +tries=1 $T1 A | grep -q NXDOMAIN"
ok "  by IXFR from before the renewal to the removal" wait_for 10 \
	grep -q "IXFR $S -> $SRM: " "$T_DIR/dns.log"
ok "  no NOTIFY for the renewal" sh -c "! grep -q 'NOTIFY $Z serial $RSEQ ' '$T_DIR/dns.log'"

# A new customer domain appears on Knot through the catalog alone.
N=new-cust.example.net
t0=$(now_ms)
ok "domain add $N" $B domain add $N --workspace ws2
ok "record in $N" $B record add _acme-challenge.$N TXT '"tok-9"'
ok "Knot serves $N (catalog)" wait_for 10 serves $KPORT _acme-challenge.$N TXT '"tok-9"'
echo "# domain add -> served by Knot in $(( $(now_ms) - t0 )) ms"

# The secondaries' copies equal the primary's zone.
norm() { grep -v '^;' | awk 'NF {print $1, $2, $4, substr($0, index($0,$5))}' | tr -s ' \t' ' ' | sort -u; }
for srv in "NSD $NPORT" "Knot $KPORT"; do
	set -- $srv
	$B zone export $Z | norm > "$T_DIR/want.$1"
	dig -p $2 @127.0.0.1 +tcp +nocmd +nostats AXFR $Z | norm > "$T_DIR/got.$1"
	ok "$1's copy of $Z equals burrow zone export" diff "$T_DIR/want.$1" "$T_DIR/got.$1"
done
done_testing
