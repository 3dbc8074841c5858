#!/bin/bash
# Leases in DNS: a tunnel whose expires_at has passed answers NXDOMAIN,
# exactly as a name that never existed, without any store write (burrow-api
# and its reaper may be down); a renewal (an UPDATE of expires_at, logged by
# the tunnels_update trigger as op 'lease') brings it back; a restarted
# burrow-dns agrees; AXFR keeps an expired name until its row is deleted
# (the serial, not the clock, says what a zone holds), so a renewal leaves
# the SOA serial alone while a new tunnel still moves it, and IXFR from
# before the renewals carries only that new tunnel.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/xfr_lib.bash"
export BURROW_DB=$T_STORE
Z=w.example.test
B=$BIN/burrow
# The engine's own client (sqlite3 or psql: lib.sh t_sql) stands in for
# burrow-api's renewal: the same UPDATE.
sql() { t_sql "$1"; }

ok "burrow init" $B init --zone $Z --ns ns1.$Z --edge-ipv4 192.0.2.10
ok "TSIG key for transfers" $B tsig add lease-xfr
ok "this host may transfer" $B secondary add 127.0.0.1:9 --key lease-xfr
KEY=$(key_secret lease-xfr)

PORT=$(free_port)
MPORT=$(free_port)
start dns $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$PORT --log "$T_DIR/dns.log" \
	--metrics 127.0.0.1:$MPORT
D="dig -p $PORT @127.0.0.1 +time=2 +tries=1"
ok "burrow-dns up" wait_for 10 $D +short $Z SOA
serial() { $D +short $Z SOA | awk '{print $3}'; }
# applied: burrow-dns has applied the whole change log as the store has it
# now (renewals included), read from its metrics, not from the serial.
applied_seq() {
	curl -s "http://127.0.0.1:$MPORT/metrics" |
		awk '$1 == "burrow_dns_changelog_applied_seq" { print $2 }'
}
at_seq() { [ "$(applied_seq)" = "$1" ]; }
applied() { wait_for 30 at_seq "$(sql "SELECT max(seq) FROM changes")"; }

# answer NAME: status, flags, counts and the sorted records of an A query,
# with the query name replaced by QNAME, so two names compare.
answer() {
	$D +nocmd +nostats "$1" A | awk -v n="$1" '
		/->>HEADER<<-/ { sub(/, id: [0-9]+/, ""); print; next }
		/^;; flags:/ { print; next }
		/^;/ || /^$/ { next }
		{ gsub(n, "QNAME"); print | "sort" }'
}
status() { $D "$1" A | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
addr() { [ "$($D +short "$1" A)" = "192.0.2.10" ]; }
nxdomain() { [ "$(status "$1")" = NXDOMAIN ]; }
hostname_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["hostname"])'; }

# ---- a lease that lapses ----
J=$($B tunnel create --target 10.0.0.1:8080 --lease-seconds 2 --json)
T1=$(echo "$J" | hostname_of)
EXP=$(sql "SELECT expires_at FROM tunnels WHERE hostname = '$T1'")
ok "tunnel with a 2 s lease created (expires_at $EXP)" test "$EXP" -gt 0
# A slow machine may already be past the lease: then it must be NXDOMAIN.
ok "before expiry it answers (or the lease is already over)" wait_for 30 sh -c \
	"[ \"\$($D +short $T1 A)\" = 192.0.2.10 ] || [ \$(date +%s) -ge $EXP ]"
SEQ=$(sql "SELECT max(seq) FROM changes")
ok "after expiry: NXDOMAIN" wait_for 30 nxdomain "$T1"
echo "# NXDOMAIN seen $(( $(date +%s) - EXP )) s after expires_at (whole seconds)"
same "no store write made it disappear" "$SEQ" "$(sql "SELECT max(seq) FROM changes")"
same "its row is still there (nothing reaped)" 1 "$(sql "SELECT count(*) FROM tunnels WHERE hostname = '$T1'")"
same "answered exactly as a name that never existed" "$(answer nope1234567890.$Z)" "$(answer "$T1")"
same "its AAAA is NXDOMAIN too" NXDOMAIN "$($D "$T1" AAAA | sed -n 's/.*status: \([A-Z]*\).*/\1/p')"
same "over TCP as well" NXDOMAIN "$($D +tcp "$T1" A | sed -n 's/.*status: \([A-Z]*\).*/\1/p')"

# ---- zone transfers keep it until the row goes ----
kdig -p $PORT @127.0.0.1 +tcp -y hmac-sha256:lease-xfr:$KEY AXFR $Z > "$T_DIR/axfr.txt" 2>&1
ok "AXFR still lists the expired, not yet reaped name" grep -q "^$T1\..*A.*192.0.2.10" "$T_DIR/axfr.txt"

# ---- renewal: an UPDATE of expires_at ----
ok "burrow-dns has applied the log" applied
S1=$(serial)
ok "renew (UPDATE tunnels SET expires_at)" sql \
	"UPDATE tunnels SET expires_at = $(date +%s) + 3600 WHERE hostname = '$T1'"
same "the store logged it as a lease" lease \
	"$(sql "SELECT op FROM changes WHERE seq = (SELECT max(seq) FROM changes)")"
ok "renewed: it answers again" wait_for 30 addr "$T1"
ok "burrow-dns has applied the renewal" applied
same "a renewal leaves the SOA serial alone" "$S1" "$(serial)"

# ---- a renewal before the end keeps it answering past the old end ----
T2=$($B tunnel create --target 10.0.0.2:8080 --lease-seconds 3 --json | hostname_of)
OLD=$(sql "SELECT expires_at FROM tunnels WHERE hostname = '$T2'")
ok "second tunnel with a 3 s lease (expires_at $OLD)" test "$OLD" -gt 0
ok "burrow-dns has it" wait_for 30 sh -c "[ \$(date +%s) -ge $OLD ] || $D +short $T2 A | grep -q ."
ok "burrow-dns has applied the log" applied
S0=$(serial)
ok "renew it before its end" sql \
	"UPDATE tunnels SET expires_at = expires_at + 3600 WHERE hostname = '$T2'"
ok "burrow-dns read the renewal" applied
same "the serial did not move" "$S0" "$(serial)"
ok "the clock passes the old end" wait_for 30 sh -c "[ \$(date +%s) -ge $((OLD + 1)) ]"
ok "the renewed tunnel still answers after its old end" addr "$T2"

# ---- content still moves the serial; IXFR carries only content ----
T3=$($B tunnel create --target 10.0.0.3:8080 --json | hostname_of)
ok "a new tunnel answers" wait_for 30 addr "$T3"
S3=$(serial)
ok "a new tunnel moves the serial" test "$S3" -gt "$S0"
same "to the seq of its change" "$S3" "$(sql "SELECT max(seq) FROM changes WHERE op <> 'lease'")"
# From S0 (before T2's renewal) the log holds that renewal and T3's add.
kdig -p $PORT @127.0.0.1 +tcp -y hmac-sha256:lease-xfr:$KEY IXFR=$S0 $Z > "$T_DIR/ixfr.txt" 2>&1
ok "IXFR from before the renewal answers" grep -q "SOA.* $S3 " "$T_DIR/ixfr.txt"
# RFC 1995 4: new SOA, per step old SOA, deleted, new SOA, added, new SOA.
same "its only change is the new tunnel" "$T3." \
	"$(awk '$4 == "A" || $4 == "AAAA" { print $1 }' "$T_DIR/ixfr.txt" | sort -u)"
same "in one step (4 SOAs), none for the renewal" 4 "$(awk '$4 == "SOA"' "$T_DIR/ixfr.txt" | wc -l)"

# ---- lease removed (0: never), then set in the past ----
ok "expires_at 0: no lease" sql "UPDATE tunnels SET expires_at = 0 WHERE hostname = '$T2'"
ok "expires_at in the past" sql "UPDATE tunnels SET expires_at = 1000 WHERE hostname = '$T1'"
ok "a lease set in the past: NXDOMAIN" wait_for 30 nxdomain "$T1"
ok "the unleased one answers" addr "$T2"

# ---- a burrow-dns started after the end agrees ----
P2=$(free_port)
start dns2 $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$P2
ok "second burrow-dns up" wait_for 10 dig -p $P2 @127.0.0.1 +time=1 +tries=1 +short $Z SOA
same "loaded at start: the expired tunnel is NXDOMAIN" NXDOMAIN \
	"$(dig -p $P2 @127.0.0.1 +time=2 +tries=1 "$T1" A | sed -n 's/.*status: \([A-Z]*\).*/\1/p')"
same "loaded at start: the unleased one answers" 192.0.2.10 \
	"$(dig -p $P2 @127.0.0.1 +time=2 +tries=1 +short "$T2" A)"

# ---- the reaper deletes the row: still NXDOMAIN, now gone from AXFR ----
ok "burrow tunnel reap" $B tunnel reap
same "the row is gone" 0 "$(sql "SELECT count(*) FROM tunnels WHERE hostname = '$T1'")"
ok "reaped: NXDOMAIN" nxdomain "$T1"
ok "reaped: gone from AXFR" wait_for 30 sh -c "! kdig -p $PORT @127.0.0.1 +tcp \
	-y hmac-sha256:lease-xfr:$KEY AXFR $Z | grep -q '^$T1\.'"
done_testing
