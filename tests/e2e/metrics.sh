#!/bin/bash
# --metrics on every daemon: GET /metrics passes `promtool check metrics`,
# answers 404 elsewhere and 405 to other methods, its counters move after
# real traffic (curl and openssl through the edge, dig against burrow-dns,
# Pebble issuing through burrow-acme, a peer connected on burrow-exit, curl
# against burrow-api), and
# a real Prometheus server on loopback scrapes them all: `up == 1` for each
# job and the counters found through its HTTP API.
# burrow-exit runs in a network namespace of its own (it writes nftables and
# sysctls); socat brings its metrics port to the host's loopback.
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/edge_lib.bash"
. "$E2E_ROOT/tests/e2e/acme_tools/acme_lib.sh"
BASE=$ZONE    # acme_lib's dns_start waits for the base zone's SOA

for tool in promtool prometheus curl jq dig openssl python3; do
	if ! command -v $tool >/dev/null; then
		echo "ok 1 # SKIP needs $tool (make deps)"
		exit 0
	fi
done

# scrape NAME PORT: GET /metrics into $T_DIR/NAME.prom.
scrape() {
	curl -fsS --max-time 10 "http://127.0.0.1:$2/metrics" >"$T_DIR/$1.prom"
}
# value NAME SAMPLE: the value of the exact sample line (name{labels}) in
# the last scrape of NAME, empty if absent.
value() {
	awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print $NF }' "$T_DIR/$1.prom"
}
# at_least NAME PORT SAMPLE N: a fresh scrape shows SAMPLE >= N.
at_least() {
	scrape "$1" "$2" && v=$(value "$1" "$3") && [ -n "$v" ] &&
		awk -v v="$v" -v n="$4" 'BEGIN { exit !(v + 0 >= n + 0) }'
}
status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"
}
# check_daemon NAME PORT: the endpoint's format and HTTP behaviour.
check_daemon() {
	ok "$1: /metrics is served" scrape "$1" "$2"
	ok "$1: promtool check metrics is clean" sh -c "promtool check metrics <'$T_DIR/$1.prom'"
	ok "$1: burrow_build_info names the program" \
		grep -q "^burrow_build_info{program=\"burrow-$1\",version=\"[^\"]*\"} 1\$" "$T_DIR/$1.prom"
	ok "$1: process start time and uptime" sh -c \
		"grep -q '^process_start_time_seconds [0-9]' '$T_DIR/$1.prom' &&
		 grep -q '^burrow_uptime_seconds [0-9]' '$T_DIR/$1.prom'"
	same "$1: another path is 404" 404 "$(status "http://127.0.0.1:$2/")"
	same "$1: POST is 405" 405 "$(status -X POST "http://127.0.0.1:$2/metrics")"
}

# ---- burrow-edge: a tls tunnel, a connect-token tunnel, an unknown name ----
EM=$(free_port)
ok "burrow-edge with --metrics" edge_setup --metrics "127.0.0.1:$EM"
ok "edge metrics port answers" wait_for 20 scrape edge "$EM"
same "no connection ended yet" 0 "$(value edge 'burrow_edge_connections_total{kind="tls",result="ok"}')"
HTTP_PORT=$(free_port)
mkdir -p "$T_DIR/www" && echo hello >"$T_DIR/www/index.html"
start www python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$T_DIR/www"
ok "target up" wait_for 20 port_open "$HTTP_PORT"
H=$(tunnel tls "127.0.0.1:$HTTP_PORT")
ok "a request through a tls tunnel" wait_for 20 sh -c \
	"curl -sS --max-time 10 --cacert '$T_DIR/ca.pem' --resolve '$H:$EDGE_PORT:127.0.0.1' \
	 https://$H:$EDGE_PORT/ | grep -q hello"
ok "connections_total{kind=tls,result=ok} moved" \
	wait_for 20 at_least edge "$EM" 'burrow_edge_connections_total{kind="tls",result="ok"}' 1
ok "bytes to the target counted" \
	wait_for 30 at_least edge "$EM" 'burrow_edge_relayed_bytes_total{direction="to_target"}' 50
ok "bytes to the client counted" \
	wait_for 30 at_least edge "$EM" 'burrow_edge_relayed_bytes_total{direction="to_client"}' 6
ok "a full TLS handshake counted" \
	wait_for 30 at_least edge "$EM" 'burrow_edge_tls_handshakes_total{result="full"}' 1
echo | timeout 10 openssl s_client -connect "127.0.0.1:$EDGE_PORT" \
	-servername "nosuchtunnel1.$ZONE" >/dev/null 2>&1
ok "an unknown SNI counted" wait_for 20 at_least edge "$EM" \
	'burrow_edge_unknown_sni_total{reason="no_tunnel"}' 1
ok "... and its failed handshake" \
	wait_for 30 at_least edge "$EM" 'burrow_edge_tls_handshakes_total{result="failed"}' 1
TH=$(tunnel tls "127.0.0.1:$HTTP_PORT" --connect-token)
same "a request without a connect token gets 401" 401 \
	"$(status --cacert "$T_DIR/ca.pem" --resolve "$TH:$EDGE_PORT:127.0.0.1" "https://$TH:$EDGE_PORT/")"
ok "the gate refusal counted by reason" wait_for 20 at_least edge "$EM" \
	'burrow_edge_gate_refusals_total{reason="no_token"}' 1
ok "... and the connection by result" \
	wait_for 30 at_least edge "$EM" 'burrow_edge_connections_total{kind="tls",result="gate_refused"}' 1
ok "open connections gauge present" \
	wait_for 30 at_least edge "$EM" 'burrow_edge_open_connections' 0
check_daemon edge "$EM"
"$BIN/burrow-edge" --db "$BURROW_DB" --metrics localhost:1 2>"$T_DIR/badm.err"
same "--metrics with a host name exits 2" 2 $?
same "... with one line on stderr" 1 "$(wc -l <"$T_DIR/badm.err")"

# ---- burrow-dns ----
# dns_ready_or_gone: burrow-dns answers the base zone's SOA (dig prints
# ";; connection timed out" on stdout too: a line not starting with ';')
# and serves /metrics, or it has exited.
dns_ready_or_gone() {
	! kill -0 "$DNS_PID" 2>/dev/null || {
		dig +short +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$ZONE" SOA | grep -q '^[^;]' &&
			scrape dns "$DM"
	}
}
# acme_lib's dns_start, with a metrics port (both tried again if taken).
dns_start_metrics() {
	for _try in 1 2 3; do
		DNS_PORT=$(free_port)
		DM=$(free_port)
		start dns "$BIN/burrow-dns" --db "$BURROW_DB" --listen "127.0.0.1:$DNS_PORT" \
			--poll-ms 50 --metrics "127.0.0.1:$DM"
		DNS_PID=$LAST_PID
		wait_for 60 dns_ready_or_gone || return 1
		kill -0 "$DNS_PID" 2>/dev/null && return 0
		wait "$DNS_PID" 2>/dev/null
		grep -q "Address already in use" "$T_DIR/dns.log" || return 1
	done
	return 1
}
ok "burrow-dns up" dns_start_metrics
check_daemon dns "$DM"
for _ in 1 2 3; do dig +short +time=5 +tries=2 -p "$DNS_PORT" @127.0.0.1 "$H" A >/dev/null; done
dig +short +time=5 +tries=2 -p "$DNS_PORT" @127.0.0.1 "nosuch1.$ZONE" A >/dev/null
ok "queries_total{transport=udp,rcode=NOERROR} moved" wait_for 20 at_least dns "$DM" \
	'burrow_dns_queries_total{transport="udp",rcode="NOERROR"}' 3
ok "queries_total{transport=udp,rcode=NXDOMAIN} moved" \
	wait_for 30 at_least dns "$DM" 'burrow_dns_queries_total{transport="udp",rcode="NXDOMAIN"}' 1
dig +short +tcp +time=5 +tries=2 -p "$DNS_PORT" @127.0.0.1 "$H" A >/dev/null
ok "a TCP query counted" wait_for 20 at_least dns "$DM" \
	'burrow_dns_queries_total{transport="tcp",rcode="NOERROR"}' 1
ok "answer latency histogram counted them" \
	wait_for 30 at_least dns "$DM" 'burrow_dns_answer_duration_seconds_count' 4
ok "the base zone's serial" wait_for 30 at_least dns "$DM" \
	"burrow_dns_zone_serial{zone=\"$ZONE\"}" 1
ok "no change-log lag once the index has caught up" wait_for 20 sh -c \
	"curl -fsS http://127.0.0.1:$DM/metrics | grep -qx 'burrow_dns_changelog_lag 0'"

# ---- burrow-acme: Pebble issues a delegated customer domain ----
CUSTOM=c.customer.test
ok "a delegated customer domain" sh -c "$B domain add $CUSTOM --workspace ws >/dev/null &&
	$B domain mark $CUSTOM delegated --reason test >/dev/null"
export PEBBLE_VA_NOSLEEP=1
ok "pebble up" pebble_start pebble
# up_or_gone NAME PORT PID: NAME's /metrics answers, or PID has exited.
up_or_gone() {
	scrape "$1" "$2" || ! kill -0 "$3" 2>/dev/null
}
# A port taken between free_port and the bind: another one, up to 3 times.
for _try in 1 2 3; do
	AM=$(free_port)
	start acmed "$BIN/burrow-acme" --db "$BURROW_DB" --directory "$PEBBLE_DIRECTORY" \
		--ca-bundle "$PEBBLE_CA" --dns "127.0.0.1:$DNS_PORT" --jobs 2 run --interval 1 \
		--metrics "127.0.0.1:$AM"
	ACMED=$LAST_PID
	wait_for 60 up_or_gone acme "$AM" "$ACMED"
	kill -0 "$ACMED" 2>/dev/null && break
done
ok "acme metrics port answers" wait_for 30 scrape acme "$AM"
ok "an order issued, counted by outcome" wait_for 90 at_least acme "$AM" \
	'burrow_acme_orders_total{outcome="issued"}' 1
ok "signed requests counted" wait_for 30 at_least acme "$AM" 'burrow_acme_requests_total' 5
now=$(date +%s)
ok "the customer domain's expiry is in the future" \
	wait_for 30 at_least acme "$AM" "burrow_acme_certificate_expiry_seconds{zone=\"$CUSTOM\"}" "$now"
ok "the imported base certificate's expiry too" \
	wait_for 30 at_least acme "$AM" "burrow_acme_certificate_expiry_seconds{zone=\"$ZONE\"}" "$now"
check_daemon acme "$AM"
ok "burrow-acme --metrics outside run: exit 2" exit_status 2 "$BIN/burrow-acme" \
	--db "$BURROW_DB" --metrics "127.0.0.1:$(free_port)" issue "$CUSTOM"

# ---- burrow-exit in a namespace, its metrics forwarded to loopback ----
XM=""
if [ "$(id -u)" -eq 0 ] && command -v wg >/dev/null && command -v nft >/dev/null &&
	command -v socat >/dev/null; then
	NS=bxm$$
	PFX=m$(($$ % 10000000))
	exit_cleanup() {
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
		t_cleanup
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$NS" 2>/dev/null
		rm -f /var/run/wireguard/"$PFX"*.sock
	}
	trap exit_cleanup EXIT
	ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1
	ok "a proxy with a static IP on this node" sh -c \
		"$B proxy create px --workspace ws >/dev/null && $B proxy add-ip px 192.0.2.10 >/dev/null"
	XIN=$(free_port)
	XM=$(free_port)
	start exit ip netns exec "$NS" "$BIN/burrow-exit" --ifprefix "$PFX" --poll-ms 100 \
		--listen "127.0.0.1:$(free_port)" --metrics "127.0.0.1:$XIN"
	start fwd socat "TCP-LISTEN:$XM,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:ip netns exec $NS socat STDIO TCP\:127.0.0.1\:$XIN"
	ok "exit metrics answer through the forward" wait_for 30 scrape exit "$XM"
	ok "its WireGuard interface is up" wait_for 30 ip -n "$NS" link show "${PFX}1"
	same "burrow_exit_peers{proxy=px} is 0" 0 "$(scrape exit "$XM"; value exit 'burrow_exit_peers{proxy="px"}')"
	ok "a workload connects" sh -c "$B proxy connect px --public-key \"\$(wg genkey | wg pubkey)\" >/dev/null"
	ok "burrow_exit_peers{proxy=px} moves to 1" wait_for 30 at_least exit "$XM" \
		'burrow_exit_peers{proxy="px"}' 1
	ok "the interface's byte counters are there" wait_for 20 sh -c \
		"curl -fsS http://127.0.0.1:$XM/metrics |
		 grep -q '^burrow_exit_interface_receive_bytes_total{interface=\"${PFX}1\",proxy=\"px\",ip=\"192.0.2.10\"} [0-9]'"
	check_daemon exit "$XM"
else
	echo "ok $((T_N += 1)) # SKIP burrow-exit needs root, wg, nft and socat (make deps)"
fi

# ---- burrow-api: requests by method and status ----
for _try in 1 2 3; do
	APIP=$(free_port)
	PM=$(free_port)
	start api "$BIN/burrow-api" --db "$BURROW_DB" --listen "127.0.0.1:$APIP" \
		--metrics "127.0.0.1:$PM"
	API_PID=$LAST_PID
	wait_for 60 up_or_gone api "$PM" "$API_PID"
	kill -0 "$API_PID" 2>/dev/null && break
done
ok "api metrics port answers" wait_for 20 scrape api "$PM"
same "a request without a key: 401" 401 "$(status "http://127.0.0.1:$APIP/v1/tunnels")"
ok "requests_total{method=GET,code=401} moved" wait_for 20 at_least api "$PM" \
	'burrow_api_requests_total{method="GET",code="401"}' 1
check_daemon api "$PM"

# ---- a real Prometheus scraping them all ----
{
	echo "global: { scrape_interval: 1s, scrape_timeout: 1s }"
	echo "scrape_configs:"
	echo "  - { job_name: edge, static_configs: [ { targets: ['127.0.0.1:$EM'] } ] }"
	echo "  - { job_name: acme, static_configs: [ { targets: ['127.0.0.1:$AM'] } ] }"
	echo "  - { job_name: dns, static_configs: [ { targets: ['127.0.0.1:$DM'] } ] }"
	echo "  - { job_name: api, static_configs: [ { targets: ['127.0.0.1:$PM'] } ] }"
	[ -z "$XM" ] ||
		echo "  - { job_name: exit, static_configs: [ { targets: ['127.0.0.1:$XM'] } ] }"
} >"$T_DIR/prometheus.yml"
ok "promtool accepts the scrape config" promtool check config "$T_DIR/prometheus.yml"
prom_up_or_gone() {
	curl -fsS "http://127.0.0.1:$PP/-/ready" || ! kill -0 "$PROM_PID" 2>/dev/null
}
for _try in 1 2 3; do
	PP=$(free_port)
	start prometheus prometheus --config.file="$T_DIR/prometheus.yml" \
		--storage.tsdb.path="$T_DIR/tsdb" --web.listen-address="127.0.0.1:$PP"
	PROM_PID=$LAST_PID
	wait_for 120 prom_up_or_gone
	kill -0 "$PROM_PID" 2>/dev/null && break
	wait "$PROM_PID" 2>/dev/null
done
# query EXPR: the first result's value through the HTTP API, or nothing.
query() {
	curl -fsS --max-time 10 "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}
# query_ge EXPR N: the query's value is at least N.
query_ge() {
	v=$(query "$1") && [ -n "$v" ] && awk -v v="$v" -v n="$2" 'BEGIN { exit !(v + 0 >= n + 0) }'
}
ok "prometheus answers" wait_for 120 curl -fsS "http://127.0.0.1:$PP/-/ready"
jobs="edge acme dns api"
[ -z "$XM" ] || jobs="$jobs exit"
for j in $jobs; do
	ok "prometheus: up{job=$j} == 1" wait_for 120 query_ge "up{job=\"$j\"} == 1" 1
done
ok "prometheus: the edge's connection counter" wait_for 60 query_ge \
	'burrow_edge_connections_total{job="edge",kind="tls",result="ok"}' 1
ok "prometheus: the acme order counter" wait_for 60 query_ge \
	'burrow_acme_orders_total{job="acme",outcome="issued"}' 1
ok "prometheus: the DNS query counter" wait_for 60 query_ge \
	'sum(burrow_dns_queries_total{job="dns"})' 4
if [ -n "$XM" ]; then
	ok "prometheus: the exit's peers" wait_for 60 query_ge 'burrow_exit_peers{job="exit",proxy="px"}' 1
fi

kill -TERM "$ACMED"
wait "$ACMED"
same "burrow-acme with metrics still stops cleanly on SIGTERM" 0 $?
done_testing
