#!/bin/bash
# End to end: bin/burrow as an operator types it, checking output, exit
# statuses and that refused commands leave the store as it was.
. "$(dirname "$0")/lib.sh"
B="$BIN/burrow"
export BURROW_DB="$T_DIR/burrow.db"

exit_is() { want=$1; shift; "$@" >/dev/null 2>"$T_DIR/err"; [ $? -eq "$want" ]; }
one_line_error() { [ "$(wc -l <"$T_DIR/err")" -eq 1 ] && grep -q '^burrow: ' "$T_DIR/err"; }
dump() { sqlite3 "$BURROW_DB" .dump | grep -v '^INSERT INTO sqlite_sequence'; }

ok "a verb on a missing store fails with status 1" exit_is 1 "$B" tunnel list
ok "  with one clear line" one_line_error
ok "  and creates nothing" test ! -e "$BURROW_DB"
ok "init creates the store" "$B" init
ok "init is idempotent" "$B" init
zone=$("$B" zone list --json | jq -r '.[0].name')
same "default base zone" "w.modal.host" "$zone"
ns=$("$B" zone show w.modal.host --json | jq -r '.ns | join(",")')
same "default NS set" "w-ns-a.modal.host,w-ns-b.modal.host,w-ns-c.modal.host,w-ns-d.modal.host" "$ns"

json=$("$B" tunnel create --target 10.0.0.5:8000 --json)
host=$(echo "$json" | jq -r .hostname)
ok "tunnel hostname is 14 [a-z0-9] under the zone" \
	sh -c "echo '$host' | grep -Eq '^[a-z0-9]{14}\.w\.modal\.host$'"
same "tls tunnel url" "https://$host" "$(echo "$json" | jq -r .url)"
same "tunnel kind" "tls" "$(echo "$json" | jq -r .kind)"
same "tunnel target" "10.0.0.5:8000" "$(echo "$json" | jq -r .target)"
same "tls tunnel port" "443" "$(echo "$json" | jq -r .port)"
tcp=$("$B" tunnel create --target 10.0.0.5:22 --kind tcp --json)
port=$(echo "$tcp" | jq -r .port)
ok "tcp tunnel gets a port in 20000-29999" test "$port" -ge 20000 -a "$port" -le 29999
same "tcp tunnel url is HOST:PORT" "$(echo "$tcp" | jq -r .hostname):$port" "$(echo "$tcp" | jq -r .url)"
same "tunnel list shows both" "2" "$("$B" tunnel list --json | jq length)"
ok "tunnel show finds it" "$B" tunnel show "$host"

before=$(dump)
ok "port 0 is a usage error" exit_is 2 "$B" tunnel create --target 10.0.0.5:0
ok "  with one clear line" one_line_error
ok "port 70000 is a usage error" exit_is 2 "$B" tunnel create --target 10.0.0.5:70000
ok "an invalid target host is a usage error" exit_is 2 "$B" tunnel create --target 'bad host:80'
ok "an invalid kind is a usage error" exit_is 2 "$B" tunnel create --target 10.0.0.5:80 --kind udp
ok "an unknown zone fails" exit_is 1 "$B" tunnel create --target 10.0.0.5:80 --zone nope.example.com
ok "  naming the zone" grep -q 'nope.example.com' "$T_DIR/err"
ok "an invalid zone name is a usage error" exit_is 2 "$B" tunnel create --target 10.0.0.5:80 --zone 'x..y'
ok "an unknown option is a usage error" exit_is 2 "$B" tunnel create --target 10.0.0.5:80 --nope
ok "removing an unknown tunnel fails" exit_is 1 "$B" tunnel rm nope.w.modal.host
ok "an invalid record is a usage error" exit_is 2 "$B" record add w.modal.host A 1.2.3
ok "a record outside our zones fails" exit_is 1 "$B" record add x.example.org TXT hi
ok "an invalid edge is a usage error" exit_is 2 "$B" edge add 1.2.3.999
same "refused commands left the store unchanged" "$before" "$(dump)"

ok "domain add" "$B" domain add sandbox.example.com --workspace ws1
before=$(dump)
ok "a duplicate domain fails" exit_is 1 "$B" domain add sandbox.example.com --workspace ws1
ok "  saying so" grep -q 'already registered' "$T_DIR/err"
ok "an overlapping domain is refused" exit_is 1 "$B" domain add a.sandbox.example.com --workspace ws2
ok "a domain inside the base zone is refused" exit_is 1 "$B" domain add x.w.modal.host --workspace ws2
ok "a domain without workspace is a usage error" exit_is 2 "$B" domain add other.example.org
ok "a pending domain gets no tunnels" exit_is 1 "$B" tunnel create --target 10.0.0.5:80 --zone sandbox.example.com
same "refused domain commands left the store unchanged" "$before" "$(dump)"
same "domain is pending" "pending" "$("$B" domain show sandbox.example.com --json | jq -r .state)"
ok "operator marks it delegated" "$B" domain mark sandbox.example.com delegated
custom=$("$B" tunnel create --target 10.0.0.6:80 --zone sandbox.example.com --json | jq -r .hostname)
ok "tunnel under the customer domain" sh -c "echo '$custom' | grep -Eq '^[a-z0-9]{14}\.sandbox\.example\.com$'"

ok "record add TXT" "$B" record add _acme-challenge.w.modal.host TXT '"token-value"'
ok "record add CAA" "$B" record add w.modal.host CAA 0 issue '"letsencrypt.org"'
same "record list" "2" "$("$B" record list --json | jq length)"
ok "record rm by name and type" "$B" record rm _acme-challenge.w.modal.host TXT
ok "edge add IPv6" "$B" edge add ::1
same "edge list" "127.0.0.1 ::1" "$("$B" edge list --json | jq -r '[.[].address] | join(" ")')"
ok "tunnel rm" "$B" tunnel rm "$host"
ok "tunnel show after rm fails" exit_is 1 "$B" tunnel show "$host"

ok "tsig add" "$B" tsig add xfr
ok "secondary add with that key" "$B" secondary add 127.0.0.1:5300 --key xfr
ok "a key in use by a secondary cannot be removed" exit_is 1 "$B" tsig rm xfr
ok "  and the message says why" grep -q 'used by 1 secondary' "$T_DIR/err"
ok "a secondary with an unknown key is refused" exit_is 1 "$B" secondary add 127.0.0.1:5301 --key nope
ok "secondary rm, then tsig rm" sh -c "'$B' secondary rm 127.0.0.1:5300 && '$B' tsig rm xfr"

# A store restored from a backup as 0644 holds every private key in the open.
chmod 0644 "$BURROW_DB"
ok "a 0644 store still opens" exit_is 0 "$B" tunnel list
same "  with one warning line on stderr" 1 "$(wc -l <"$T_DIR/err")"
ok "  naming the store and its mode" grep -qF "store $BURROW_DB is mode 0644: it holds private keys; run 'burrow init'" "$T_DIR/err"
same "  and changing nothing" 644 "$(stat -c %a "$BURROW_DB")"
: >"$BURROW_DB-wal"
chmod 0640 "$BURROW_DB-wal"
chmod 0600 "$BURROW_DB"
ok "a group-readable -wal file is named too" exit_is 0 "$B" zone list
ok "  by path and mode" grep -qF "store $BURROW_DB-wal is mode 0640" "$T_DIR/err"
same "  in one line" 1 "$(wc -l <"$T_DIR/err")"
chmod 0644 "$BURROW_DB"
"$B" init >"$T_DIR/init.out" 2>"$T_DIR/err"
same "init on a 0644 store succeeds" 0 $?
same "  and makes it 0600" 600 "$(stat -c %a "$BURROW_DB")"
ok "  saying so in one line" grep -qxF "store $BURROW_DB was mode 0644: now 0600" "$T_DIR/init.out"
ok "  without the warning" test ! -s "$T_DIR/err"
ok "the store then opens without a warning" exit_is 0 "$B" tunnel list
ok "  (stderr is empty)" test ! -s "$T_DIR/err"
chmod 0660 "$BURROW_DB"
same "init --json reports the earlier mode" 0660 "$("$B" init --json | jq -r .previous_mode)"
same "  and fixes it" 600 "$(stat -c %a "$BURROW_DB")"
same "a private store reports none" null "$("$B" init --json | jq -r .previous_mode)"

sqlite3 "$BURROW_DB" "PRAGMA user_version = 99"
ok "a store from a newer schema is refused" exit_is 1 "$B" tunnel list
ok "  with one clear line" one_line_error
ok "  that says it is newer" grep -q newer "$T_DIR/err"
done_testing
