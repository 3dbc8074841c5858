#!/bin/bash
# Side by side: export the store's zones with 'burrow zone export', serve them
# with NSD, and check that burrow-dns answers a battery of queries exactly as
# NSD does (rcode, flags, section counts, RRsets), bad packets included.
. "$(dirname "$0")/lib.sh"
RAW="python3 $E2E_ROOT/tests/e2e/dns_tools/dnsraw.py"
export BURROW_DB=$T_STORE
Z=w.example.test
C=cust.example.org
B=$BIN/burrow

ok "burrow init" $B init --zone $Z --ns ns1.$Z,w-ns-a.example.net,w-ns-b.example.net \
	--edge-ipv4 192.0.2.10 --edge-ipv6 2001:db8::10
ok "second edge" $B edge add 192.0.2.11
T1=$($B tunnel create --target 10.0.0.1:8080 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hostname"])')
T2=$($B tunnel create --target 10.0.0.2:443 --kind h2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hostname"])')
ok "records" sh -c "
	$B record add ns1.$Z A 192.0.2.53 &&
	$B record add ns1.$Z AAAA 2001:db8::53 &&
	$B record add _acme-challenge.$Z TXT '\"token-1\"' &&
	$B record add _acme-challenge.$Z TXT '\"token-2\"' &&
	$B record add $Z CAA '0 issue \"letsencrypt.org\"' &&
	$B record add $Z TXT '\"v=spf1 -all\"' &&
	$B record add m.$Z MX '10 $T1.' &&
	$B record add m.$Z MX '20 ns1.$Z.' &&
	$B record add m.$Z MX '30 mail.example.net.' &&
	$B record add _sip._tcp.$Z SRV '0 5 5060 $T2.' &&
	$B record add a.b.c.$Z TXT '\"deep\"' &&
	$B record add v6only.$Z AAAA 2001:db8::66" >/dev/null
for i in $(seq 1 12); do
	$B record add big.$Z TXT "\"$(printf 'b%.0s' $(seq 1 180))$i\"" >/dev/null
done
ok "customer domain" $B domain add $C --workspace ws1
ok "customer TXT" $B record add _acme-challenge.$C TXT '"cust-token"'

mkdir -p "$T_DIR/nsd"
ok "export $Z" sh -c "$B zone export $Z > $T_DIR/nsd/$Z.zone"
ok "export $C" sh -c "$B zone export $C > $T_DIR/nsd/$C.zone"
ok "export of an unknown zone fails" exit_status 1 $B zone export nope.example
ok "NSD accepts the exported zone" nsd-checkzone $Z "$T_DIR/nsd/$Z.zone"

PORT=$(free_port)
NPORT=$(free_port)
cat > "$T_DIR/nsd/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$NPORT
  username: ""
  pidfile: "$T_DIR/nsd/nsd.pid"
  zonesdir: "$T_DIR/nsd"
  database: ""
  xfrdfile: "$T_DIR/nsd/xfrd.state"
  zonelistfile: "$T_DIR/nsd/zone.list"
  logfile: "$T_DIR/nsd/nsd.log"
  server-count: 1
  hide-identity: yes
  hide-version: yes
remote-control:
  control-enable: no
zone:
  name: $Z
  zonefile: $Z.zone
zone:
  name: $C
  zonefile: $C.zone
CONF
start nsd nsd -d -c "$T_DIR/nsd/nsd.conf"
start dns $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$PORT
ok "NSD up" wait_for 10 dig -p $NPORT @127.0.0.1 +time=1 +tries=1 +short $Z SOA
ok "burrow-dns up" wait_for 10 dig -p $PORT @127.0.0.1 +time=1 +tries=1 +short $Z SOA

# One comparable form of a dig answer: status, flags, counts, EDNS, then each
# section's RRs sorted (RRset order is free, RFC 2181 5).
norm() {
	dig -p "$1" @127.0.0.1 +time=2 +tries=1 +nocmd +nostats "${@:2}" 2>&1 | awk '
		/->>HEADER<<-/ { sub(/, id: [0-9]+/, ""); print; next }
		/^;; flags:/ || /^; EDNS:/ || /^; EDE:/ { print; next }
		/^;; [A-Z]+ SECTION:/ { sec = $2; next }
		/^;/ || /^$/ { next }
		{ print sec "\t" $0 | "sort" }'
}

battery=(
	"$Z SOA" "$Z NS" "$Z A" "$Z AAAA" "$Z TXT" "$Z CAA" "$Z MX" "$Z ANY"
	"$T1 A" "$T1 AAAA" "$T1 TXT" "$T1 ANY" "$T2 A" "$T2 CNAME" "$T1 NS" "$T1 SOA"
	"ns1.$Z A" "ns1.$Z AAAA" "ns1.$Z ANY" "v6only.$Z A" "v6only.$Z AAAA"
	"_acme-challenge.$Z TXT" "_acme-challenge.$Z A" "m.$Z MX" "_sip._tcp.$Z SRV"
	"_tcp.$Z SRV" "c.$Z TXT" "b.c.$Z A" "a.b.c.$Z TXT" "x.a.b.c.$Z TXT"
	"nope.$Z A" "nope.$Z AAAA" "x.$T1 A" "deep.nope.$Z TXT"
	"big.$Z TXT" "+tcp big.$Z TXT" "+noedns +ignore big.$Z TXT" "+bufsize=512 +ignore big.$Z TXT"
	"+noedns $T1 A" "+norec $T1 A" "+dnssec $T1 A" "+tcp $T1 A" "+tcp nope.$Z A"
	"$(echo "$T1" | tr a-z A-Z) A" "NoPe.W.Example.TEST A" "W.EXAMPLE.test NS"
	"$Z DS" "$Z DNSKEY" "$T1 RRSIG" "$Z TYPE65" "$T1 HTTPS"
	"-c ANY $T1 A" "-c CH $Z TXT"
	"example.test SOA" "example.org A" "other.test A" ". SOA" "test NS"
	"$C SOA" "$C NS" "_acme-challenge.$C TXT" "nope.$C A" "$C A"
	"+edns=1 +noednsneg $T1 A" "+ednsopt=65001:abcd $T1 A" "+nsid $T1 A"
	"+noedns +header-only +opcode=15 $Z" "+header-only +opcode=15 $Z"
	"+noedns +header-only +opcode=2 $Z" "+opcode=15 $T1 A" "+noedns +header-only $Z"
)
for q in "${battery[@]}"; do
	# shellcheck disable=SC2086
	want=$(norm $NPORT $q)
	# shellcheck disable=SC2086
	got=$(norm $PORT $q)
	T_N=$((T_N + 1))
	if [ "$want" = "$got" ] && [ -n "$want" ]; then
		echo "ok $T_N - same as NSD: $q"
	else
		echo "not ok $T_N - same as NSD: $q"
		diff <(echo "$want") <(echo "$got") | sed 's/^/#   /' | head -20
		T_FAILED=$((T_FAILED + 1))
	fi
done

$RAW bad $NPORT $Z > "$T_DIR/bad.nsd"
$RAW bad $PORT $Z > "$T_DIR/bad.burrow"
while read -r line; do
	case=${line:0:20}
	same "bad packet same as NSD: $(echo $case)" "$line" "$(grep -F "$case" "$T_DIR/bad.burrow")"
done < "$T_DIR/bad.nsd"
done_testing
