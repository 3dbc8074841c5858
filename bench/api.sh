#!/bin/bash
# make bench-api: burrow-api beside burrow-dns and burrow-edge on loopback.
#
#   1. a tunnel created through the API (and, for the ratio, through
#      'burrow tunnel create'): the create, then how soon burrow-dns answers
#      it and the edge completes a TLS handshake for it (goal < 20 ms);
#   2. sustained creates with wrk (closed loop, new sandbox per request):
#      creates/s and p99 (goal >= 1,000/s, p99 < 10 ms), burrow-api's CPU
#      per create, beside the CLI's rate and CPU per create;
#   3. burrow-dns under dnsperf alone, then while 1,000 sandboxes renew
#      their leases every 10 s through the API (goal >= 90% of the idle
#      QPS); each renewal is a logged row update burrow-dns follows.
#
# CPU time is utime+stime from /proc/PID/stat.  BENCH_RUNS=N repeats the
# set; BENCH_SECS (10) per figure.  The machine is shared: the load average
# is printed before and after.
set -u
cd "$(dirname "$0")/.."
. tests/e2e/lib.sh
E2E_ROOT=$PWD
BIN=$E2E_ROOT/bin
. tests/e2e/edge_lib.bash
. tests/e2e/api_lib.bash
RUNS=${BENCH_RUNS:-1}
SECS=${BENCH_SECS:-10}
TOOL=tests/e2e/api_tools/api_bench.py
TARGET=127.0.0.1:9

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

for tool in wrk dnsperf dig openssl jq; do
	command -v "$tool" >/dev/null || { echo "bench-api: $tool is missing (make deps)"; exit 1; }
done
api_setup --tunnel-limit 0 || { echo "bench-api: set-up failed"; tail "$T_DIR"/*.log; exit 1; }
echo "# burrow-api bench: $(nproc) cores shared; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

for run in $(seq "$RUNS"); do
	echo "# run $run"
	# 1. first use right after the create.
	python3 "$TOOL" first "$API" "$KEY" "$DNS_PORT" "$EDGE_PORT" "$T_DIR/ca.pem" 50 "$TARGET" "$run"
	python3 "$TOOL" first "$API" "$KEY" "$DNS_PORT" "$EDGE_PORT" "$T_DIR/ca.pem" 50 "$TARGET" \
		"$run" "$B"

	# 2. sustained creates.
	c0=$(cpu_ticks "$API_PID")
	KEY=$KEY TARGET=$TARGET RUN=$run wrk -t1 -c4 -d"${SECS}s" --latency \
		-s tests/e2e/api_tools/create.lua "$API" >"$T_DIR/wrk.out" 2>&1
	c1=$(cpu_ticks "$API_PID")
	reqs=$(awk '/requests in/ {print $1}' "$T_DIR/wrk.out")
	rate=$(awk '/Requests\/sec/ {print $2}' "$T_DIR/wrk.out")
	p99=$(awk '$1 == "99%" {print $2}' "$T_DIR/wrk.out")
	p50=$(awk '$1 == "50%" {print $2}' "$T_DIR/wrk.out")
	bad=$(awk '/Non-2xx/ {print $NF}' "$T_DIR/wrk.out")
	echo "api creates: $reqs in ${SECS}s = $rate/s, p50 $p50 p99 $p99, non-201: ${bad:-0};" \
		"burrow-api CPU $(awk -v t=$((c1 - c0)) -v hz="$hz" -v n="$reqs" \
		'BEGIN {printf "%.3f", t * 1000 / hz / n}') ms per create"
	python3 "$TOOL" cli "$B" 200 "$TARGET" "$run"
	echo "# tunnels in the store: $("$B" tunnel list --json | jq length)"

	# 3. dnsperf alone, then with renewals of 1,000 sandboxes every 10 s.
	"$B" tunnel list --json | jq -r '.[].hostname + " A"' | head -n 20000 \
		>"$T_DIR/queries"
	dnsperf -s 127.0.0.1 -p "$DNS_PORT" -d "$T_DIR/queries" -l "$SECS" -c 8 -q 200 \
		>"$T_DIR/perf.idle" 2>&1
	idle=$(awk '/Queries per second/ {print $4}' "$T_DIR/perf.idle")
	lost_idle=$(awk '/Queries lost/ {print $3}' "$T_DIR/perf.idle")
	d0=$(cpu_ticks "$DNS_PID")
	python3 "$TOOL" renew "$API" "$KEY" 1000 10 "$((SECS + 4))" "$TARGET" "$run" \
		>"$T_DIR/renew.out" &
	renew_pid=$!
	sleep 3   # the 1,000 sandboxes exist; renewals have started
	dnsperf -s 127.0.0.1 -p "$DNS_PORT" -d "$T_DIR/queries" -l "$SECS" -c 8 -q 200 \
		>"$T_DIR/perf.busy" 2>&1
	d1=$(cpu_ticks "$DNS_PID")
	wait "$renew_pid"
	busy=$(awk '/Queries per second/ {print $4}' "$T_DIR/perf.busy")
	lost_busy=$(awk '/Queries lost/ {print $3}' "$T_DIR/perf.busy")
	cat "$T_DIR/renew.out"
	echo "dns under dnsperf: idle $idle qps, with renewals $busy qps =" \
		"$(awk -v a="$busy" -v b="$idle" 'BEGIN {printf "%.0f%%", a * 100 / b}') of idle (goal >= 90%);" \
		"burrow-dns CPU while renewing $(awk -v t=$((d1 - d0)) -v hz="$hz" -v s="$SECS" \
		'BEGIN {printf "%.0f%%", t * 100 / hz / s}'); lost $lost_idle idle, $lost_busy busy"
	echo "# zone serial now $(dig @127.0.0.1 -p "$DNS_PORT" +short w.modal.host SOA | awk '{print $3}')"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
