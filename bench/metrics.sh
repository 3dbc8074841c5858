#!/bin/bash
# make bench-metrics: what --metrics costs.  burrow-edge keep-alive
# requests/s (wrk -c50, 3-byte body, nginx behind it) and burrow-dns
# queries/s (dnsperf, one server thread, 90% existing names, 10% NXDOMAIN),
# each with metrics off and on; with metrics on, /metrics is scraped every
# second during the run (a Prometheus far busier than the usual 15 s).
# The edge runs without and with --metrics in turn on the store's one TLS
# port (started afresh and warmed up for each figure); burrow-dns as two
# processes, one with --metrics.  All on the same pinned CPU
# (bench/edge_lib.bash: BENCH_PIN, BENCH_PROXY_CPU, BENCH_LOAD_CPU), loaded
# one at a time, in alternating order.  Prints the medians (and ranges) of
# the rates and of the CPU time per request/query (utime+stime from
# /proc/PID/stat; steadier than rates on a busy machine), and the on/off
# ratios (goal: within 2%).  BENCH_RUNS (3), BENCH_SECONDS per figure (8),
# BENCH_ROWS ("edge dns"), N names in the DNS store (20000),
# BENCH_DNS_THREADS (1).  Asserts nothing.
source "$(dirname "$0")/edge_lib.bash"
RUNS=${BENCH_RUNS:-3}
ROWS=${BENCH_ROWS:-edge dns}
DNS_THREADS=${BENCH_DNS_THREADS:-1}
N=${N:-20000}
DNS_ZONE=w.bench.test

# ---- burrow-edge off and on ----
EM=$(port)
# edge_with on|off: a fresh burrow-edge on $EP (with --metrics on $EM).
edge_with() {
	m=()
	[ "$1" = on ] && m=(--metrics "127.0.0.1:$EM")
	"${PROXY_PIN[@]}" "$ROOT/bin/burrow-edge" --db "$BURROW_DB" --listen "127.0.0.1:$EP" \
		--max-conns $MAXCONN --max-conns-per-tunnel $MAXCONN --idle-timeout 900000 \
		"${m[@]}" --log "$T/edge_$1.log" &
	EDGE_PID=$!
	PIDS="$PIDS $EDGE_PID"
	wait_port "$EP"
	[ "$1" = on ] && wait_port "$EM"
	run_wrk "https://$HOST:$EP/small" 10 1 >/dev/null
}

# scraper PORT: GET /metrics every second until killed (by the cleanup).
scraper() {
	while :; do
		curl -s --max-time 5 "http://127.0.0.1:$1/metrics" >/dev/null
		sleep 1
	done
}
"${LOAD_PIN[@]}" bash -c "$(declare -f scraper); scraper $EM" &
PIDS="$PIDS $!"

echo "# metrics off vs on: burrow-edge keep-alive requests (wrk -t1 -c50) and burrow-dns" \
	"queries (dnsperf), ${DUR}s per figure, $RUNS run(s); $(pin_note);" \
	"load before: $(cut -d' ' -f1-3 /proc/loadavg)"
edge_runs=$RUNS
case " $ROWS " in *" edge "*) ;; *) edge_runs=0 ;; esac
for run in $(seq "$edge_runs"); do
	if [ $((run % 2)) = 1 ]; then order="off on"; else order="on off"; fi
	for w in $order; do
		edge_with "$w"
		r=$(measure req "$EDGE_PID" "https://$HOST:$EP/small" 50)
		stop_proxy "$EDGE_PID"
		echo "$r" >>"$T/edge.$w"
		[ "${BENCH_VERBOSE:-0}" = 1 ] && echo "  run $run edge $w: $r" >&2
		case $r in *" 1") echo "bench: wrk reported errors (edge, metrics $w)" >&2 ;; esac
	done
done

# ---- burrow-dns off and on ----
dns_ok=0
if [ "${ROWS#*dns}" = "$ROWS" ]; then
	:
elif ! command -v dnsperf >/dev/null; then
	echo "# dnsperf missing (make deps): no DNS figures"
elif ! "$ROOT/bin/burrow-dns" --help 2>&1 | grep -q -- --metrics; then
	echo "# burrow-dns has no --metrics in this build: no DNS figures"
else
	dns_ok=1
	"$ROOT/$BUILD/bench/dns_populate" "$T/dns.db" $DNS_ZONE "$N" >"$T/names" || exit 1
	python3 - "$T/names" "$T/queries" <<'PY'
import random, string, sys
names = open(sys.argv[1]).read().split()
random.seed(1)
with open(sys.argv[2], "w") as f:
    for i in range(200000):
        if random.random() < 0.9:
            f.write(random.choice(names) + " A\n")
        else:
            f.write("".join(random.choice(string.ascii_lowercase + string.digits)
                            for _ in range(14)) + ".w.bench.test A\n")
PY
	DP_OFF=$(port)
	DP_ON=$(port)
	DM=$(port)
	"${PROXY_PIN[@]}" "$ROOT/bin/burrow-dns" --db "$T/dns.db" --listen "127.0.0.1:$DP_OFF" \
		--threads "$DNS_THREADS" --rrl-rate 0 >"$T/dns_off.log" 2>&1 &
	DNS_OFF=$!
	"${PROXY_PIN[@]}" "$ROOT/bin/burrow-dns" --db "$T/dns.db" --listen "127.0.0.1:$DP_ON" \
		--threads "$DNS_THREADS" --rrl-rate 0 --metrics "127.0.0.1:$DM" >"$T/dns_on.log" 2>&1 &
	DNS_ON=$!
	PIDS="$PIDS $DNS_OFF $DNS_ON"
	wait_port "$DP_OFF" 60
	wait_port "$DP_ON" 60
	wait_port "$DM" 60
	"${LOAD_PIN[@]}" bash -c "$(declare -f scraper); scraper $DM" &
	PIDS="$PIDS $!"
	# dns_measure PID PORT: "QPS CPU_US_PER_QUERY BUSY LOST"
	dns_measure() {
		t0=$(cpu_ticks "$1")
		"${LOAD_PIN[@]}" dnsperf -s 127.0.0.1 -p "$2" -d "$T/queries" -l "$DUR" -c 8 -q 200 \
			-T 1 >"$T/perf.out" 2>&1
		t1=$(cpu_ticks "$1")
		awk -v ticks=$((t1 - t0)) -v hz="$HZ" -v d="$DUR" '
			/Queries completed:/ { n = $3 }
			/Queries lost:/ { lost = $3 }
			/Queries per second:/ { q = $4 }
			END { if (n <= 0) { print "0 0 0 ?"; exit }
			      printf "%.0f %.3f %.0f %s\n", q, ticks / hz * 1e6 / n, ticks / hz * 100 / d, lost }' \
			"$T/perf.out"
	}
	for run in $(seq "$RUNS"); do
		if [ $((run % 2)) = 1 ]; then order="off on"; else order="on off"; fi
		for w in $order; do
			if [ "$w" = off ]; then pid=$DNS_OFF p=$DP_OFF; else pid=$DNS_ON p=$DP_ON; fi
			r=$(dns_measure "$pid" "$p")
			echo "$r" >>"$T/dns.$w"
			[ "${BENCH_VERBOSE:-0}" = 1 ] && echo "  run $run dns $w: $r" >&2
		done
	done
	curl -s "http://127.0.0.1:$DM/metrics" | grep -E '^burrow_dns_queries_total\{transport="udp",rcode="(NOERROR|NXDOMAIN)"\}' |
		sed 's/^/# scraped: /'
fi

col() { awk -v f="$1" '{print $f}' "$2"; }
printf '%-28s %18s %18s %7s | %14s %14s %7s\n' "figure (median, range)" "metrics off" \
	"metrics on" "on/off" "CPU/unit off" "CPU/unit on" "on/off"
row() { # NAME FILE_PREFIX UNIT
	or=$(col 1 "$2.off" | median)
	nr=$(col 1 "$2.on" | median)
	oc=$(col 2 "$2.off" | median)
	nc=$(col 2 "$2.on" | median)
	printf '%-28s %8s %9s %8s %9s %7s | %8s %5s %8s %5s %7s\n' "$1" \
		"$or" "$(col 1 "$2.off" | range)" "$nr" "$(col 1 "$2.on" | range)" "$(ratio "$nr" "$or")" \
		"$oc" "$3" "$nc" "$3" "$(ratio "$nc" "$oc")"
}
[ "$edge_runs" -gt 0 ] && row "edge keep-alive req/s" "$T/edge" "us/req"
[ "$dns_ok" = 1 ] && row "dns queries/s ($DNS_THREADS thread(s))" "$T/dns" "us/q"
[ "$edge_runs" -gt 0 ] &&
	echo "# edge CPU/unit ranges: off $(col 2 "$T/edge.off" | range) on $(col 2 "$T/edge.on" | range)"
[ "$dns_ok" = 1 ] &&
	echo "# dns CPU/unit ranges: off $(col 2 "$T/dns.off" | range) on $(col 2 "$T/dns.on" | range)"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
