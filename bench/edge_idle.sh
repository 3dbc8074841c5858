#!/bin/bash
# make bench-edge-idle: what connections cost burrow-edge and HAProxy in
# memory, and whether many idle ones and a slowloris slow the others down
# (set-up and pinning: bench/edge_lib.bash; the holder: bench/edge_conns.c).
#   1. RSS per idle TLS connection: N handshakes done, nothing sent
#      (BENCH_IDLE_CONNS, default as many as the descriptor limit allows,
#      up to 10,000); RSS delta / N on a freshly started proxy
#   2. RSS per relaying connection whose client does not read: M
#      (BENCH_STALL_CONNS, 200) GETs of a 256 MB body, TLS and raw tcp; the
#      proxy fills what it buffers and stops reading the target
#   3. keep-alive requests/s and 1 MB MB/s on one tunnel while N idle TLS
#      connections and S slowloris connections (BENCH_SLOW_CONNS, 300; one
#      byte every 3 s each, a head that never ends) sit on another, against
#      the same without them (goal: within 10%); BENCH_RUNS repeats, medians
source "$(dirname "$0")/edge_lib.bash"
HOLDER=$ROOT/$BUILD/bench/edge_conns
[ -x "$HOLDER" ] || { echo "bench: $HOLDER missing (make bench-edge-idle builds it)" >&2; exit 1; }
N=${BENCH_IDLE_CONNS:-$((MAXCONN - 500 > 10000 ? 10000 : MAXCONN - 500))}
M=${BENCH_STALL_CONNS:-200}
S=${BENCH_SLOW_CONNS:-300}

# hold NAME PORT SNI COUNT MODE [ARG]: a holder with its stdin on a fifo
# kept open by this shell (so not in a subshell); waits for "ready";
# held NAME prints how many it opened.
hold() {
	name=$1
	shift
	mkfifo "$T/$name.in"
	"${LOAD_PIN[@]}" "$HOLDER" 127.0.0.1 "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	PIDS="$PIDS $!"
	eval "HOLD_PID_$name=$!"
	eval "exec {fd_$name}>\"$T/$name.in\""
	for _ in $(seq 1200); do
		grep -q '^ready' "$T/$name.out" 2>/dev/null && break
		sleep 0.1
	done
}
held() { awk '/^ready/ {print $2}' "$T/$1.out"; }
unhold() { # NAME: closes its stdin, waits for it to go
	eval "exec {fd_$1}>&-"
	eval "p=\$HOLD_PID_$1"
	stop_proxy "$p"
	rm -f "$T/$1.in" "$T/$1.out"
}
per_conn() { # RSS_BEFORE RSS_AFTER COUNT -> KB per connection
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "n/a" }'
}
start_one() { if [ "$1" = edge ]; then start_edge; PID=$EDGE_PID; else start_haproxy; PID=$HAP_PID; fi; }
tls_port() { if [ "$1" = edge ]; then echo "$EP"; else echo "$HP"; fi; }
tcp_port() { if [ "$1" = edge ]; then echo "$TCP_PORT"; else echo "$HTP"; fi; }

echo "# burrow-edge vs HAProxy $(haproxy -v | head -1 | awk '{print $3}'): memory and idle load;" \
	"$(pin_note); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for px in edge haproxy; do
	tp=$(tls_port $px)
	# 3, alone: the rates on a fresh proxy.
	start_one $px
	for _ in $(seq "$RUNS"); do
		measure req "$PID" "https://$HOST:$tp/small" 50 >>"$T/ka.base.$px"
		measure mb "$PID" "https://$HOST:$tp/big" 10 >>"$T/big.base.$px"
	done
	stop_proxy "$PID"
	# 1, then 3 loaded: idle connections on another fresh proxy, then
	# slowloris, then the rates again.
	start_one $px
	curl -sf --cacert "$T/ca.pem" --resolve "$HOST:$tp:127.0.0.1" "https://$HOST:$tp/small" >/dev/null
	r0=$(rss_kb "$PID")
	hold idle "$tp" "$IDLE_HOST" "$N" idle
	n=$(held idle)
	sleep 1
	r1=$(rss_kb "$PID")
	echo "$(per_conn "$r0" "$r1" "$n") $n" >"$T/mem.idle.$px"
	hold slow "$tp" "$IDLE_HOST" "$S" slow 3
	s=$(held slow)
	for _ in $(seq "$RUNS"); do
		measure req "$PID" "https://$HOST:$tp/small" 50 >>"$T/ka.loaded.$px"
		measure mb "$PID" "https://$HOST:$tp/big" 10 >>"$T/big.loaded.$px"
	done
	echo "$n $s" >"$T/held.$px"
	unhold slow
	unhold idle
	stop_proxy "$PID"
	# 2: clients that stop reading, TLS then raw tcp, each on a fresh
	# proxy.
	for kind in tls tcp; do
		start_one $px
		if [ $kind = tls ]; then p=$tp sni=$HOST; else p=$(tcp_port $px) sni=-; fi
		# A whole bulk transfer first: buffers a proxy keeps once used
		# (the edge's scratch buffer, HAProxy's pools) are not counted.
		curl -sf -o /dev/null --cacert "$T/ca.pem" --resolve "$HOST:$tp:127.0.0.1" "https://$HOST:$tp/big"
		r0=$(rss_kb "$PID")
		hold stall "$p" "$sni" "$M" stall /huge
		m=$(held stall)
		sleep 3
		r1=$(rss_kb "$PID")
		echo "$(per_conn "$r0" "$r1" "$m") $m" >"$T/mem.stall.$kind.$px"
		unhold stall
		stop_proxy "$PID"
	done
done

col() { awk -v f="$1" '{print $f}' "$2"; }
printf '%-46s %14s %14s\n' "memory: RSS delta per connection (KB)" "burrow-edge" "haproxy"
printf '%-46s %14s %14s\n' "idle TLS ($(col 2 "$T/mem.idle.edge") / $(col 2 "$T/mem.idle.haproxy"))" \
	"$(col 1 "$T/mem.idle.edge")" "$(col 1 "$T/mem.idle.haproxy")"
printf '%-46s %14s %14s\n' "relaying TLS, client not reading ($M)" \
	"$(col 1 "$T/mem.stall.tls.edge")" "$(col 1 "$T/mem.stall.tls.haproxy")"
printf '%-46s %14s %14s\n' "relaying raw tcp, client not reading ($M)" \
	"$(col 1 "$T/mem.stall.tcp.edge")" "$(col 1 "$T/mem.stall.tcp.haproxy")"
echo "# rates beside idle TLS + slowloris connections on another tunnel (held: edge $(cat "$T/held.edge"), haproxy $(cat "$T/held.haproxy")), medians of $RUNS, ${DUR}s each"
printf '%-24s %9s %9s %5s | %9s %9s %5s | %s\n' "figure" "edge alone" "loaded" "ratio" \
	"hap alone" "loaded" "ratio" "CPU/unit alone -> loaded (edge; haproxy)"
for row in ka big; do
	name="keep-alive requests/s"
	unit="us/req"
	[ $row = big ] && name="TLS MB/s (1 MB bodies)" && unit="ms/MB"
	eb=$(col 1 "$T/$row.base.edge" | median)
	el=$(col 1 "$T/$row.loaded.edge" | median)
	hb=$(col 1 "$T/$row.base.haproxy" | median)
	hl=$(col 1 "$T/$row.loaded.haproxy" | median)
	printf '%-24s %9s %9s %5s | %9s %9s %5s | %s -> %s; %s -> %s %s\n' "$name" "$eb" "$el" \
		"$(ratio "$el" "$eb")" "$hb" "$hl" "$(ratio "$hl" "$hb")" \
		"$(col 2 "$T/$row.base.edge" | median)" "$(col 2 "$T/$row.loaded.edge" | median)" \
		"$(col 2 "$T/$row.base.haproxy" | median)" "$(col 2 "$T/$row.loaded.haproxy" | median)" "$unit"
	echo "#   ranges: edge $(col 1 "$T/$row.base.edge" | range) / $(col 1 "$T/$row.loaded.edge" | range)," \
		"haproxy $(col 1 "$T/$row.base.haproxy" | range) / $(col 1 "$T/$row.loaded.haproxy" | range)"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
