#!/bin/bash
# make bench-edge: burrow-edge against HAProxy (see bench/edge_lib.bash for
# the set-up and the pinning), four figures, each proxy in turn:
#   1. requests/s, keep-alive, 3-byte body (wrk -c50)
#   2. MB/s, keep-alive, 1 MB bodies (wrk -c10)
#   3. new TLS handshakes/s (Connection: close, one request each, -c50)
#   4. MB/s through a raw tcp tunnel (--kind tcp; HAProxy in mode tcp
#      without TLS, splicing as the edge does), 1 MB bodies (wrk -c10)
# For each: the rate, the proxy's CPU time per unit (per request, per MB,
# per handshake) and both ratios burrow-edge/HAProxy (goal: rate >= 1.0,
# CPU per unit <= 1.0).  BENCH_RUNS=N repeats the set (the two proxies
# alternate which goes first) and prints medians with their ranges;
# BENCH_SECONDS per figure (8).  BENCH_VERBOSE=1 prints every run;
# BENCH_ROWS picks rows (default "ka big hs tcp").
source "$(dirname "$0")/edge_lib.bash"

start_edge
start_haproxy
check_proxies

ROWS=${BENCH_ROWS:-ka big hs tcp}
row_name() {
	case $1 in
	ka) echo "keep-alive requests/s (3 B body)" ;;
	big) echo "TLS throughput MB/s (1 MB bodies)" ;;
	hs) echo "new TLS handshakes/s" ;;
	tcp) echo "raw tcp tunnel MB/s (1 MB bodies)" ;;
	esac
}
row_unit() {
	case $1 in
	ka | hs) echo "us/req" ;;
	big | tcp) echo "ms/MB" ;;
	esac
}
# one ROW PROXY: one measurement, appended to $T/ROW.PROXY
one() {
	if [ "$2" = edge ]; then pid=$EDGE_PID tls=$EP tcp=$TCP_PORT; else pid=$HAP_PID tls=$HP tcp=$HTP; fi
	case $1 in
	ka) r=$(measure req "$pid" "https://$HOST:$tls/small" 50) ;;
	big) r=$(measure mb "$pid" "https://$HOST:$tls/big" 10) ;;
	hs) r=$(measure req "$pid" "https://$HOST:$tls/small" 50 -H "Connection: close") ;;
	tcp) r=$(measure mb "$pid" "http://127.0.0.1:$tcp/big" 10) ;;
	esac
	echo "$r" >>"$T/$1.$2"
	[ "${BENCH_VERBOSE:-0}" = 1 ] && printf '  run %d %-4s %-8s %s\n' "$run" "$1" "$2" "$r" >&2
	case $r in *" 1") echo "bench: wrk reported errors for $1 through $2" >&2 ;; esac
}

echo "# burrow-edge vs HAProxy $(haproxy -v | head -1 | awk '{print $3}'), nginx backend," \
	"wrk -t1, ${DUR}s per figure, $RUNS run(s); $(pin_note); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm both up (first-connection allocations, page cache) before counting.
for p in "$EP" "$HP"; do
	run_wrk "https://$HOST:$p/big" 10 1 >/dev/null
done
for run in $(seq "$RUNS"); do
	for row in $ROWS; do
		if [ $((run % 2)) = 1 ]; then
			one "$row" edge
			one "$row" haproxy
		else
			one "$row" haproxy
			one "$row" edge
		fi
	done
done

col() { awk -v f="$1" '{print $f}' "$2"; }
printf '%-34s %18s %18s %6s | %14s %14s %6s | %s\n' "figure (median, range)" "burrow-edge" \
	"haproxy" "ratio" "edge CPU/unit" "hap CPU/unit" "ratio" "busy% e/h"
for row in $ROWS; do
	er=$(col 1 "$T/$row.edge" | median)
	hr=$(col 1 "$T/$row.haproxy" | median)
	ec=$(col 2 "$T/$row.edge" | median)
	hc=$(col 2 "$T/$row.haproxy" | median)
	eb=$(col 3 "$T/$row.edge" | median)
	hb=$(col 3 "$T/$row.haproxy" | median)
	printf '%-34s %8s %9s %8s %9s %6s | %8s %5s %8s %5s %6s | %s/%s\n' "$(row_name "$row")" \
		"$er" "$(col 1 "$T/$row.edge" | range)" "$hr" "$(col 1 "$T/$row.haproxy" | range)" \
		"$(ratio "$er" "$hr")" "$ec" "$(row_unit "$row")" "$hc" "$(row_unit "$row")" \
		"$(ratio "$ec" "$hc")" "$eb" "$hb"
done
echo "# CPU/unit ranges: $(for row in $ROWS; do printf '%s edge %s hap %s; ' "$row" \
	"$(col 2 "$T/$row.edge" | range)" "$(col 2 "$T/$row.haproxy" | range)"; done)"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
