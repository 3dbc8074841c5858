#!/bin/bash
# Many machines, one store (issue #13): two burrow-dns and two burrow-edge on
# one PostgreSQL database, as on four hosts, and burrow-api.  A tunnel
# created by the CLI or by burrow-api answers at all four (create -> visible
# latency printed, not asserted); kill -9 of one nameserver and one edge leaves the others serving; tunnels
# created and removed meanwhile are there (and gone) once the killed ones
# restart; a transaction that commits after a later change was read is not
# missed; readers whose connections are cut reconnect and catch up; writers
# racing for tcp ports never share one.  Safety polls of a minute: every
# update below must come from LISTEN/NOTIFY.
BURROW_TEST_STORE=pg
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/edge_lib.bash"
VISIBLE="python3 $E2E_ROOT/tests/e2e/pg_tools/visible.py"
CONNINFO=$(pg_conninfo burrow)
ok "cluster up, database created ($T_STORE)" t_sql "SELECT 1"

# ---- set-up: the store, a test CA's certificate, a backend ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_DIR/ca.key" \
	-out "$T_DIR/ca.pem" -days 3 -subj "/CN=Burrow multinode test CA" 2>/dev/null && make_leaf leaf
ok "a test CA and a wildcard leaf" test -s "$T_DIR/leaf.pem"
TCP_LO=$(free_port)
TCP_N=30
# The edges' TLS port is the store's (burrow init --tls-port): both edges
# listen on it, each on its own address.
EDGE_TLS=$(free_port)
while [ "$EDGE_TLS" -ge "$TCP_LO" ] && [ "$EDGE_TLS" -lt $((TCP_LO + TCP_N)) ]; do
	EDGE_TLS=$(free_port)
done
ok "burrow init on PostgreSQL" "$B" init --zone "$ZONE" --edge-ipv4 192.0.2.10 \
	--tcp-ports "$TCP_LO-$((TCP_LO + TCP_N - 1))" --tls-port "$EDGE_TLS"
ok "certificate imported" "$B" cert import "$ZONE" --chain "$T_DIR/leaf.pem" --key "$T_DIR/leaf.key"
mkdir -p "$T_DIR/www" && echo "hello from the backend" >"$T_DIR/www/index.html"
BACK=$(free_port)
start backend python3 -m http.server "$BACK" --bind 127.0.0.1 --directory "$T_DIR/www"
ok "backend up" wait_for 20 port_open "$BACK"

# ---- four readers on one database: two by URL, two by key=value ----
# node_start NAME dns|edge HOST STORE: on a free port (another try if the
# port was taken meanwhile); sets PORT_<NAME> and PID_<NAME>.
node_start() {
	for _try in 1 2 3; do
		if [ "$2" = dns ]; then
			_p=$(free_port)
			start "$1" "$BIN/burrow-dns" --db "$4" --listen "$3:$_p" --poll-ms 60000
		else
			_p=$EDGE_TLS
			start "$1" "$BIN/burrow-edge" --db "$4" --listen "$3" --poll-ms 60000
		fi
		eval "PID_$1=$LAST_PID PORT_$1=$_p"
		wait_for 30 node_up_or_gone "$1" "$2" "$3"
		kill -0 "$LAST_PID" 2>/dev/null && return 0
		grep -qi "in use" "$T_DIR/$1.log" || break
	done
	tail -5 "$T_DIR/$1.log"
	return 1
}
node_up_or_gone() {
	eval "_pid=\$PID_$1 _port=\$PORT_$1"
	kill -0 "$_pid" 2>/dev/null || return 0
	if [ "$2" = dns ]; then
		[ -n "$(dig +short +time=1 +tries=1 -p "$_port" @"$3" "$ZONE" SOA)" ]
	else
		ss -Htln | awk '{print $4}' | grep -qx "$3:$_port"
	fi
}
ok "burrow-dns dns1 (URL) up" node_start dns1 dns 127.0.0.1 "$T_STORE"
ok "burrow-dns dns2 (key=value) up" node_start dns2 dns 127.0.0.1 "$CONNINFO"
ok "burrow-edge edge1 (URL) up on 127.0.0.1" node_start edge1 edge 127.0.0.1 "$T_STORE"
ok "burrow-edge edge2 (key=value) up on 127.0.0.2" node_start edge2 edge 127.0.0.2 "$CONNINFO"
# Without a store and four readers every check below would wait out its limit.
[ "$T_FAILED" -eq 0 ] || { echo "# set-up failed: stopping here"; exit 1; }

# Checks at one node.  dns_sees NODE NAME: an A answer; dns_nx NODE NAME:
# NXDOMAIN; edge_sees NODE NAME: a verified handshake for NAME; edge_refuses.
dns_sees() {
	eval "_port=\$PORT_$1"
	[ "$(dig +short +time=1 +tries=1 -p "$_port" @127.0.0.1 "$2" A)" = 192.0.2.10 ]
}
dns_nx() {
	eval "_port=\$PORT_$1"
	dig +time=1 +tries=1 -p "$_port" @127.0.0.1 "$2" A | grep -q 'status: NXDOMAIN'
}
edge_host() { case $1 in edge1) echo 127.0.0.1 ;; *) echo 127.0.0.2 ;; esac; }
edge_sees() {
	eval "_port=\$PORT_$1"
	echo | timeout 10 openssl s_client -connect "$(edge_host "$1"):$_port" -servername "$2" \
		-CAfile "$T_DIR/ca.pem" -verify_return_error -verify_hostname "$2" >/dev/null 2>&1
}
edge_refuses() { ! edge_sees "$@"; }
# present NAME NODE...: every NODE shows NAME; absent NAME NODE...: none.
present() {
	_n=$1
	shift
	for _node in "$@"; do
		case $_node in
		dns*) dns_sees "$_node" "$_n" ;;
		*) edge_sees "$_node" "$_n" ;;
		esac || return 1
	done
}
absent() {
	_n=$1
	shift
	for _node in "$@"; do
		case $_node in
		dns*) dns_nx "$_node" "$_n" ;;
		*) edge_refuses "$_node" "$_n" ;;
		esac || return 1
	done
}
ALL="dns1 dns2 edge1 edge2"
curl_at() {  # curl_at EDGE NAME
	eval "_port=\$PORT_$1"
	curl -sS --max-time 10 --cacert "$T_DIR/ca.pem" \
		--resolve "$2:$_port:$(edge_host "$1")" "https://$2:$_port/"
}

# ---- a tunnel by the CLI answers at all four ----
H=$(tunnel tls "127.0.0.1:$BACK")
ok "tunnel created by the CLI ($H)" test -n "$H"
ok "  answered by both nameservers and both edges" wait_for 30 present "$H" $ALL
same "  dig at dns1" 192.0.2.10 "$(dig +short -p "$PORT_dns1" @127.0.0.1 "$H" A)"
same "  dig at dns2" 192.0.2.10 "$(dig +short -p "$PORT_dns2" @127.0.0.1 "$H" A)"
same "  https through edge1" "hello from the backend" "$(curl_at edge1 "$H")"
same "  https through edge2" "hello from the backend" "$(curl_at edge2 "$H")"

# ---- and by burrow-api (a long-lived writer, as on its own host) ----
BURROW_API_KEY=$("$B" apikey create --workspace multinode)
export BURROW_API_KEY
ok "an API key" test -n "$BURROW_API_KEY"
api_up() { ss -Htln | awk '{print $4}' | grep -qx "127.0.0.1:$API_PORT" || ! kill -0 "$API_PID" 2>/dev/null; }
for _try in 1 2 3; do
	API_PORT=$(free_port)
	start api "$BIN/burrow-api" --db "$CONNINFO" --listen "127.0.0.1:$API_PORT"
	API_PID=$LAST_PID
	wait_for 30 api_up && kill -0 "$API_PID" 2>/dev/null && break
done
ok "burrow-api (key=value) up" kill -0 "$API_PID"
api_create() {  # api_create TARGET_PORT: a new tunnel (sandbox mn) to 127.0.0.1:TARGET_PORT
	curl -s --max-time 10 -H "Authorization: Bearer $BURROW_API_KEY" \
		-H 'Content-Type: application/json' --data-binary \
		"{\"sandbox\": \"mn\", \"target\": \"127.0.0.1:$1\"}" \
		"http://127.0.0.1:$API_PORT/v1/tunnels" | jq -r .hostname
}
HA=$(api_create "$BACK")
ok "tunnel created by burrow-api ($HA)" test -n "$HA" -a "$HA" != null
ok "  answered by both nameservers and both edges" wait_for 30 present "$HA" $ALL
same "  https through edge2" "hello from the backend" "$(curl_at edge2 "$HA")"

# ---- create -> visible at all four, 50 times, from the command's return ----
BURROW_DB=$T_STORE $VISIBLE --burrow "$B" --target "127.0.0.1:$BACK" --n 50 \
	--ca "$T_DIR/ca.pem" --dns "127.0.0.1:$PORT_dns1" --dns "127.0.0.1:$PORT_dns2" \
	--edge "127.0.0.1:$PORT_edge1" --edge "127.0.0.2:$PORT_edge2" --limit 30 \
	--names "$T_DIR/fifty" >"$T_DIR/visible.out" 2>&1
same "50 creates by the CLI: each visible at all four (figures below; goal p99 < 100 ms)" 0 "$?"
sed 's/^/# /' "$T_DIR/visible.out"
$VISIBLE --api "http://127.0.0.1:$API_PORT" --target "127.0.0.1:$((BACK + 1))" --n 50 \
	--ca "$T_DIR/ca.pem" --dns "127.0.0.1:$PORT_dns1" --dns "127.0.0.1:$PORT_dns2" \
	--edge "127.0.0.1:$PORT_edge1" --edge "127.0.0.2:$PORT_edge2" --limit 30 \
	>"$T_DIR/visible_api.out" 2>&1
same "50 creates by burrow-api: each visible at all four" 0 "$?"
sed 's/^/# (api) /' "$T_DIR/visible_api.out"
RM1=$(sed -n 1p "$T_DIR/fifty")
ok "tunnel rm by the CLI" "$B" tunnel rm "$RM1"
ok "  gone at all four (NXDOMAIN, handshake refused)" wait_for 30 absent "$RM1" $ALL
ok "  the others stay" present "$(sed -n 2p "$T_DIR/fifty")" $ALL

# ---- kill -9 one nameserver and one edge ----
stop "$PID_dns1" KILL
stop "$PID_edge1" KILL
ok "dns1 and edge1 killed (-9)" sh -c "! kill -0 $PID_dns1 2>/dev/null && ! kill -0 $PID_edge1 2>/dev/null"
ok "dns2 and edge2 keep serving" present "$H" dns2 edge2
same "  https through edge2" "hello from the backend" "$(curl_at edge2 "$H")"
: >"$T_DIR/during"
for _ in 1 2 3 4 5; do tunnel tls "127.0.0.1:$BACK" >>"$T_DIR/during"; done
same "5 tunnels created while they are down" 5 "$(grep -c . "$T_DIR/during")"
DEL2=$(sed -n 2p "$T_DIR/fifty")
DEL3=$(sed -n 3p "$T_DIR/fifty")
ok "2 tunnels removed while they are down" sh -c "'$B' tunnel rm '$DEL2' && '$B' tunnel rm '$DEL3'"
each_present() {  # each_present FILE NODE...
	_f=$1
	shift
	while read -r _h; do present "$_h" "$@" || return 1; done <"$_f"
}
ok "  the survivors answer for the new ones" wait_for 30 each_present "$T_DIR/during" dns2 edge2
ok "  and not for the removed ones" wait_for 30 absent "$DEL2" dns2 edge2
ok "  (the second one too)" wait_for 30 absent "$DEL3" dns2 edge2
ok "restart dns1" node_start dns1 dns 127.0.0.1 "$T_STORE"
ok "restart edge1" node_start edge1 edge 127.0.0.1 "$T_STORE"
ok "  dns1 and edge1 caught up: every tunnel created meanwhile" \
	wait_for 30 each_present "$T_DIR/during" dns1 edge1
ok "  and both removals" wait_for 30 absent "$DEL2" dns1 edge1
ok "  (the second one too)" absent "$DEL3" $ALL
sed -n '4,$p' "$T_DIR/fifty" >"$T_DIR/kept"
ok "  and every tunnel from before" each_present "$T_DIR/kept" dns1 edge1
ok "  all four agree on the new ones" each_present "$T_DIR/during" $ALL

# ---- a transaction that commits after a later one began ----
# A writer (psql, as on another machine) inserts a tunnel and is slow to
# commit; the CLI creates another meanwhile.  Either the store makes the
# second writer wait (writers serialized), or it commits first with a later
# sequence number and is read first: then, when the slow one commits, the
# readers must not skip its lower sequence.  Both ways, nothing is missed.
SLOW=slowwriter0001.$ZONE
mkfifo "$T_DIR/slow.in"
start slow env PGAPPNAME=slow-writer "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$T_STORE" \
	-f "$T_DIR/slow.in"
SLOW_PID=$LAST_PID
exec {slow_fd}>"$T_DIR/slow.in"
echo "BEGIN; INSERT INTO tunnels(hostname, zone_id, target_host, target_port, kind,
	connect_token, created_at) SELECT '$SLOW', id, '127.0.0.1', $BACK, 'tls', 0,
	$(date +%s) FROM zones WHERE name = '$ZONE';" >&"$slow_fd"
in_tx() {
	[ "$(pg_psql postgres -c "SELECT count(*) FROM pg_stat_activity
		WHERE application_name = 'slow-writer' AND state = 'idle in transaction'")" = 1 ]
}
ok "a slow writer holds an uncommitted tunnel insert" wait_for 30 in_tx
start fast sh -c "'$B' tunnel create --target 127.0.0.1:$BACK --json | jq -r .hostname >'$T_DIR/fast.name'"
FAST_PID=$LAST_PID
early=""
# (Writers wait up to 5 s for the store's lock: the slow one commits before.)
if wait_for 2 sh -c "! kill -0 $FAST_PID"; then
	echo "# the CLI's create committed before the slow writer's"
	wait_for 30 present "$(cat "$T_DIR/fast.name")" $ALL || early="not visible at all four"
else
	echo "# the CLI's create waits for the slow writer (writers serialized)"
fi
same "  a create that committed first is visible at all four" "" "$early"
ok "  the uncommitted one nowhere" absent "$SLOW" $ALL
echo "COMMIT;" >&"$slow_fd"
exec {slow_fd}>&-
wait "$SLOW_PID"
same "the slow writer commits" 0 "$?"
wait "$FAST_PID"
same "  the CLI's create succeeds" 0 "$?"
FAST=$(cat "$T_DIR/fast.name")
both_present() { [ -n "$FAST" ] && present "$SLOW" $ALL && present "$FAST" $ALL; }
ok "  both tunnels answer at all four (the lower sequence not skipped)" wait_for 30 both_present

# ---- readers lose their connections ----
cut() {
	pg_psql postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE usename = 'burrow' AND pid <> pg_backend_pid()"
}
n_cut=$(cut)
ok "every reader's connection cut by the server ($n_cut backends)" test "${n_cut:-0}" -ge 4
ok "  all four keep serving what they have" present "$H" $ALL
AFTER=$(tunnel tls "127.0.0.1:$BACK")
ok "  a tunnel created after the cut answers at all four (they reconnected)" \
	wait_for 60 present "$AFTER" $ALL
ok "  all four still running" sh -c "kill -0 $PID_dns1 && kill -0 $PID_dns2 && kill -0 $PID_edge1 && kill -0 $PID_edge2"
HC=$(api_create 9)
ok "  burrow-api, cut too, creates again ($HC)" test -n "$HC" -a "$HC" != null
ok "  and that tunnel answers at all four" wait_for 30 present "$HC" $ALL

# ---- concurrent writers: no duplicate hostname or tcp port ----
# Four CLIs at once, 10 tcp tunnels each, into a range of 30 ports: the
# range fills exactly, every port once; the ten refused say it is full.
for w in 1 2 3 4; do
	start "writer$w" sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do
		'$B' tunnel create --kind tcp --target 127.0.0.1:$BACK --json 2>>'$T_DIR/w$w.err' |
			jq -r '.hostname + \" \" + (.port | tostring)'; done >'$T_DIR/w$w.out'"
	eval "WPID_$w=$LAST_PID"
done
for w in 1 2 3 4; do eval "wait \$WPID_$w"; done
cat "$T_DIR"/w[1-4].out >"$T_DIR/tcp.out"
same "4 writers at once: exactly $TCP_N tcp tunnels created" "$TCP_N" "$(grep -c . "$T_DIR/tcp.out")"
same "  $TCP_N distinct ports" "$TCP_N" "$(awk '{print $2}' "$T_DIR/tcp.out" | sort -u | grep -c .)"
same "  every port in the range" "$TCP_N" \
	"$(awk -v lo="$TCP_LO" -v hi="$((TCP_LO + TCP_N - 1))" '$2 >= lo && $2 <= hi' "$T_DIR/tcp.out" | grep -c .)"
same "  the 10 refusals all say the range is full" 10 \
	"$(cat "$T_DIR"/w[1-4].err | grep -c "no free port")"
same "  nothing else on stderr" "" "$(cat "$T_DIR"/w[1-4].err | grep -v "no free port")"
same "  the store agrees: $TCP_N tcp rows, $TCP_N ports" "$TCP_N|$TCP_N" \
	"$(t_sql "SELECT count(*), count(DISTINCT public_port) FROM tunnels WHERE kind = 'tcp'")"
same "  no hostname twice in the store" 0 \
	"$(t_sql "SELECT count(*) FROM (SELECT hostname FROM tunnels GROUP BY hostname HAVING count(*) > 1) d")"
# Hostnames under contention: 4 x 15 tls creates at once.
for w in 1 2 3 4; do
	start "tls$w" sh -c "for i in \$(seq 1 15); do '$B' tunnel create --target 127.0.0.1:$BACK \
		--json | jq -r .hostname; done >'$T_DIR/t$w.out' 2>'$T_DIR/t$w.err'"
	eval "WPID_$w=$LAST_PID"
done
for w in 1 2 3 4; do eval "wait \$WPID_$w"; done
same "4 writers x 15 tls tunnels: 60 distinct names" 60 "$(cat "$T_DIR"/t[1-4].out | sort -u | grep -c .)"
same "  no error" "" "$(cat "$T_DIR"/t[1-4].err)"
tcp1=$(awk 'NR == 1 {print $2}' "$T_DIR/tcp.out")
ok "  both edges listen on a raced-for tcp port ($tcp1)" wait_for 30 sh -c \
	"ss -Htln | awk '{print \$4}' | grep -qx '127.0.0.1:$tcp1' && ss -Htln | awk '{print \$4}' | grep -qx '127.0.0.2:$tcp1'"

# ---- secrets and shutdown ----
(umask 077 && echo "$PG_PASSWORD" >"$T_DIR/password")
no_secret() {
	! cat "$T_DIR"/*.log | grep -qF -f "$T_DIR/password" &&
		! cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' '\n' | grep -qF -f "$T_DIR/password"
}
ok "the database password is in no log and no command line" no_secret
pids="$PID_dns1 $PID_dns2 $PID_edge1 $PID_edge2 $API_PID"
for p in $pids; do stop "$p"; done
pg_procs="$PG_PID $(ps -o pid= --ppid "$PG_PID" | xargs)"
pg_cluster_stop
none_left() {
	for _p in $pg_procs; do ! kill -0 "$_p" 2>/dev/null || return 1; done
}
ok "cluster stopped by PID: none of its $(echo $pg_procs | wc -w) processes left" none_left
done_testing
