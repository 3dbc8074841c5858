# Shared set-up for the burrow-api end-to-end tests and make bench-api
# (sourced after lib.sh and edge_lib.bash; .bash so tests/run.sh does not
# run it as a suite).
#
# api_setup [API OPTIONS...]: burrow-edge (edge_setup), burrow-dns and
# burrow-api on free loopback ports ($EDGE_PORT, $DNS_PORT, $API), the edge
# address 127.0.0.1 in the store, and keys $KEY (workspace acme) and $OTHER
# (workspace other).
api_setup() {
	edge_setup || return 1
	"$B" edge list | grep -q 127.0.0.1 || "$B" edge add 127.0.0.1 >/dev/null || return 1
	KEY=$("$B" apikey create --workspace acme) || return 1
	OTHER=$("$B" apikey create --workspace other) || return 1
	for _attempt in 1 2 3; do
		DNS_PORT=$(free_port both)
		# Every client here is 127.0.0.1: no response rate limiting.
		start dns "$BIN/burrow-dns" --db "$BURROW_DB" --listen "127.0.0.1:$DNS_PORT" \
			--rrl-rate 0
		DNS_PID=$LAST_PID
		wait_for 20 dig_status w.modal.host SOA && break
	done
	api_start "$@"
}

# api_start [OPTIONS...]: (re)starts burrow-api on a free port ($API_PID).
api_start() {
	for _attempt in 1 2 3; do
		API_PORT=$(free_port)
		API="http://127.0.0.1:$API_PORT"
		start api "$BIN/burrow-api" --db "$BURROW_DB" --listen "127.0.0.1:$API_PORT" "$@"
		API_PID=$LAST_PID
		wait_for 20 port_open "$API_PORT" && return 0
		stop "$API_PID"
	done
	return 1
}

# req KEY METHOD PATH [BODY]: one request; prints the status, the answer's
# body is in $T_DIR/r.json (KEY "" sends no Authorization).
req() {
	_key=$1 _m=$2 _p=$3
	shift 3
	_args=(-s -o "$T_DIR/r.json" -D "$T_DIR/r.head" -w '%{http_code}' -X "$_m" --max-time 10)
	[ -n "$_key" ] && _args+=(-H "Authorization: Bearer $_key")
	[ $# -gt 0 ] && _args+=(-H 'Content-Type: application/json' --data-binary "$1")
	curl "${_args[@]}" "$API$_p"
}

# field NAME: a field of the last answer.
field() {
	jq -r "$1" "$T_DIR/r.json"
}

# dig_status NAME TYPE: the rcode burrow-dns answers (NOERROR, NXDOMAIN...).
dig_status() {
	dig @127.0.0.1 -p "$DNS_PORT" +time=2 +tries=1 +noall +comments "$1" "$2" |
		sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | grep .
}

dig_a() {
	dig @127.0.0.1 -p "$DNS_PORT" +time=2 +tries=1 +short "$1" A
}

# dig_answers NAME: burrow-dns answers NAME's A with the edge, 127.0.0.1.
dig_answers() {
	[ "$(dig_a "$1")" = 127.0.0.1 ]
}
