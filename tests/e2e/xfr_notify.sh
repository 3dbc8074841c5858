#!/bin/bash
# NOTIFY answers that must not stop the retries (RFC 8945 5.4): a fake
# secondary answers every signed NOTIFY with an unsigned NOERROR, as anyone
# spoofing its address could; burrow-dns ignores those answers (one log line
# per NOTIFY) and retransmits on its schedule until it gives up.  A real NSD
# secondary holding the key answers signed and stops the retries at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.bash"
export BURROW_DB=$T_STORE
B=$BIN/burrow
Z=w.example.test

ok "burrow init" $B init --zone $Z --ns ns1.$Z --edge-ipv4 192.0.2.10
ok "TSIG key for NSD" $B tsig add nsd-xfr
ok "TSIG key for the fake secondary" $B tsig add fake-xfr
NSD_KEY=$(key_secret nsd-xfr)

# A port from free_port can be taken by another suite's outgoing connection
# before a daemon binds it (its range overlaps the kernel's ephemeral
# ports): such a start is tried again on a new port, up to three times.
# up_or_gone PID CMD...: true once CMD succeeds or PID has exited.
up_or_gone() {
	_pid=$1
	shift
	! kill -0 "$_pid" 2>/dev/null || "$@"
}
# port_lost PID LOG...: PID exited because its port was taken.
port_lost() {
	_pid=$1
	shift
	! kill -0 "$_pid" 2>/dev/null && cat "$@" 2>/dev/null | grep -qi "address already in use"
}
soa_from() { dig -p "$1" @127.0.0.1 +time=1 +tries=1 $Z SOA | grep -q "$2"; }
start_dns() {
	for _try in 1 2 3; do
		PORT=$(free_port)
		start dns $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$PORT --poll-ms 20
		wait_for 10 up_or_gone $LAST_PID soa_from $PORT hostmaster || return 1
		port_lost $LAST_PID "$T_DIR/dns.log" || return 0
	done
	return 1
}
start_nsd() {
	for _try in 1 2 3; do
		NPORT=$(free_port)
		rm -rf "$T_DIR/nsd"
		nsd_config "$T_DIR/nsd" $NPORT $PORT nsd-xfr "$NSD_KEY" $Z
		start nsd nsd -d -c "$T_DIR/nsd/nsd.conf"
		wait_for 10 up_or_gone $LAST_PID soa_from $NPORT "status: " || return 1
		port_lost $LAST_PID "$T_DIR/nsd.log" "$T_DIR/nsd/nsd.log" || return 0
	done
	return 1
}
ok "burrow-dns up" start_dns
ok "NSD up" start_nsd
FLOG=$T_DIR/fake.notifies
: >"$FLOG"
start fake python3 -u "$E2E_ROOT/tests/e2e/dns_tools/notify_peer.py" 0 "$FLOG"
ok "fake secondary up (answers every NOTIFY, unsigned)" wait_for 10 grep -q "^ready " "$T_DIR/fake.log"
FPORT=$(awk '/^ready / {print $2}' "$T_DIR/fake.log")
# burrow-dns follows the store: each new secondary gets a NOTIFY of every zone.
ok "secondary add NSD" $B secondary add 127.0.0.1:$NPORT --key nsd-xfr
ok "secondary add the fake one" $B secondary add 127.0.0.1:$FPORT --key fake-xfr
ok "NSD loads $Z" wait_for 20 soa_from $NPORT hostmaster
ok "NSD acknowledged the first NOTIFY of $Z" wait_for 10 grep -q \
	"NOTIFY $Z\. serial [0-9]* to 127.0.0.1 port $NPORT: acknowledged" "$T_DIR/dns.log"

# One change after both are up: a NOTIFY of the new serial to each.
T1=$($B tunnel create --target 10.0.0.1:8080 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hostname"])')
ok "NSD answers the new tunnel (NOTIFY, IXFR)" wait_for 10 serves $NPORT $T1 A 192.0.2.10
S=$(dig -p $PORT @127.0.0.1 +short $Z SOA | awk '{print $3}')
to_fake="NOTIFY $Z. serial $S to 127.0.0.1 port $FPORT"
to_nsd="NOTIFY $Z. serial $S to 127.0.0.1 port $NPORT"
DLOG=$T_DIR/dns.log
lines() { grep -cF "$1" "$DLOG"; }

# The fake's unsigned answers: each one ignored, the NOTIFY sent again on
# the schedule (1, 2, 4, 8 s apart) until burrow-dns gives up (31 s).
ok "burrow-dns ignores the fake's unsigned answer" \
	wait_for 10 grep -qF "$to_fake: ignored an answer (rcode 0, unsigned)" "$DLOG"
notifies() { grep -c "^NOTIFY $Z\. id=[0-9]* tsig=fake-xfr\.$" "$FLOG"; }
at_least() { [ "$(notifies)" -ge "$1" ]; }
ok "... and retransmits the NOTIFY" wait_for 10 at_least 2
ok "... on its schedule until it ends: 5 tries, all 5 answers ignored" \
	wait_for 60 grep -qF "$to_fake: no signed answer after 5 tries (5 ignored)" "$DLOG"
ok "the fake received those 5 tries, signed with its key ($(notifies) NOTIFYs of $Z in all)" \
	at_least 5
same "... every packet it got was a NOTIFY signed with its key" "$(wc -l <"$FLOG")" \
	"$(grep -c '^NOTIFY [^ ]* id=[0-9]* tsig=fake-xfr\.$' "$FLOG")"
same "... one log line for that NOTIFY, however many answers" 1 "$(lines "$to_fake: ignored")"
same "... never taken for an acknowledgement" 0 "$(lines "$to_fake: acknowledged")"
fails "... no key material in the log" grep -qF "$(key_secret fake-xfr)" "$DLOG"

# NSD holds the key and signs its answers: each NOTIFY of $Z acknowledged
# by its first answer, none sent twice (NSD logs each one it receives).
same "NSD's signed answer acknowledged the NOTIFY of serial $S" 1 "$(lines "$to_nsd: acknowledged")"
acked=$(grep -c "NOTIFY $Z\. serial [0-9]* to 127.0.0.1 port $NPORT: acknowledged" "$DLOG")
same "... as every NOTIFY of $Z it got: one per serial, no retransmission" "$acked" \
	"$(grep -c "notify for $Z\. from 127.0.0.1" "$T_DIR/nsd/nsd.log")"
same "... nothing from NSD about $Z ignored or given up on" 0 \
	"$(grep -E "NOTIFY $Z\. serial [0-9]* to 127.0.0.1 port $NPORT: (ignored|no signed)" "$DLOG" | wc -l)"
done_testing
