#!/bin/bash
# make bench-store: the store on SQLite (a file) and on PostgreSQL (a
# throw-away local cluster, fsync on: tests/e2e/pg_lib.bash), one burrow-dns
# and one burrow-edge reading it, as deployed.  For each engine:
#   - tunnel creates/s by the CLI (one process per create, as operators and
#     scripts run it), one writer and four at once, and by burrow-api (one
#     process, one connection), with CPU per create: the CLI processes or
#     burrow-api, the PostgreSQL server, and the two readers following;
#   - create -> visible latency at burrow-dns (an A answer) and burrow-edge
#     (a verified TLS handshake), from the command's return (p50/p99/max);
#   - DNS QPS (dnsperf, one server thread, 90% existing names, 10% NXDOMAIN)
#     on a store of N names: the index is in memory, so both should be equal.
# Prints figures and the load average, asserts nothing.
#   BENCH_RUNS=1 N=10000 CREATES=200 SECONDS_EACH=10 bash bench/store.sh
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${BENCH_RUNS:-1}
N=${N:-10000}
CREATES=${CREATES:-200}
SECS=${SECONDS_EACH:-10}
BUILD=${BUILD:-build/release}
HZ=$(getconf CLK_TCK)
# The test harness's helpers (start/stop by PID, free_port, wait_for, a
# temporary folder) and its cluster starter, so there is one of each.
unset BURROW_TEST_STORE
. tests/e2e/lib.sh
E2E_ROOT=$(pwd)
BIN=$E2E_ROOT/bin
. tests/e2e/pg_lib.bash
. tests/e2e/edge_lib.bash
VISIBLE="python3 tests/e2e/pg_tools/visible.py"
PG_FSYNC=on
make -s "$BUILD/bench/dns_populate" || exit 1

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# PostgreSQL's CPU: the postmaster with its reaped children (each CLI's
# backend comes and goes), plus the children still running.
pg_ticks() {
	_t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$PG_PID/stat")
	for _k in $(ps -o pid= --ppid "$PG_PID"); do _t=$((_t + $(ticks "$_k"))); done
	echo "$_t"
}

# creates W TOTAL: TOTAL tunnel creates by W writers at once; prints
# "creates/s cli_cpu_ms_per_create".
creates() {
	python3 - "$B" "$1" "$2" <<'PY'
import resource, subprocess, sys, threading, time
exe, w, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def writer(n):
    for _ in range(n):
        subprocess.run([exe, "tunnel", "create", "--target", "127.0.0.1:9"],
                       check=True, stdout=subprocess.DEVNULL)
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.perf_counter()
ts = [threading.Thread(target=writer, args=(total // w,)) for _ in range(w)]
[t.start() for t in ts]
[t.join() for t in ts]
dt = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print("%.1f %.2f" % (total / dt, cpu * 1e3 / total))
PY
}

# api_creates PORT TOTAL: TOTAL creates by POST /v1/tunnels on one
# keep-alive connection (key $BURROW_API_KEY); prints creates/s.
api_creates() {
	python3 - "$1" "$2" <<'PY'
import http.client, json, os, sys, time
port, total = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
hdr = {"Authorization": "Bearer " + os.environ["BURROW_API_KEY"],
       "Content-Type": "application/json"}
t0 = time.perf_counter()
for i in range(total):
    c.request("POST", "/v1/tunnels", json.dumps({"sandbox": "bench",
              "target": "127.0.0.1:%d" % (10000 + i)}), hdr)
    r = c.getresponse()
    r.read()
    if r.status != 201:
        sys.exit("POST /v1/tunnels: %d" % r.status)
print("%.1f" % (total / (time.perf_counter() - t0)))
PY
}

# engine_store ENGINE NAME: a fresh empty store on ENGINE; prints its name.
engine_store() {
	if [ "$1" = pg ]; then pg_createdb "$2"; else echo "$T_DIR/$2.db"; fi
}

# one_engine ENGINE RUN: every figure on ENGINE, one line each into $T_DIR/rows.
one_engine() {
	eng=$1
	BURROW_DB=$(engine_store "$eng" "w$2") && export BURROW_DB
	"$B" init --zone "$ZONE" --edge-ipv4 192.0.2.10 >/dev/null &&
		"$B" cert import "$ZONE" --chain "$T_DIR/leaf.pem" --key "$T_DIR/leaf.key" >/dev/null ||
		{ echo "  $eng: store set-up failed"; return 1; }
	dp=$(free_port)
	ep=$(free_port)
	start "dns-$eng" "$BIN/burrow-dns" --db "$BURROW_DB" --listen "127.0.0.1:$dp"
	dpid=$LAST_PID
	start "edge-$eng" "$BIN/burrow-edge" --db "$BURROW_DB" --listen "127.0.0.1:$ep"
	epid=$LAST_PID
	wait_for 30 sh -c "dig +short -p $dp @127.0.0.1 $ZONE SOA | grep -q ." &&
		wait_for 30 port_open "$ep" || { echo "  $eng: readers did not start"; return 1; }
	for w in 1 4; do
		r0=$(( $(ticks "$dpid") + $(ticks "$epid") ))
		s0=0
		[ "$eng" = sqlite ] || s0=$(pg_ticks)
		read -r rate cli <<<"$(creates "$w" "$CREATES")"
		sleep 1   # the readers' share of the last creates
		r1=$(( $(ticks "$dpid") + $(ticks "$epid") ))
		s1=0
		[ "$eng" = sqlite ] || s1=$(pg_ticks)
		echo "$eng creates_w$w $rate" >>"$T_DIR/rows"
		echo "$eng cli_cpu_ms_w$w $cli" >>"$T_DIR/rows"
		[ "$eng" = sqlite ] ||
			echo "$eng server_cpu_ms_w$w $(echo "$s0 $s1" | awk -v hz="$HZ" -v n="$CREATES" '{printf "%.2f", ($2 - $1) * 1000 / hz / n}')" >>"$T_DIR/rows"
		echo "$eng readers_cpu_ms_w$w $(echo "$r0 $r1" | awk -v hz="$HZ" -v n="$CREATES" '{printf "%.2f", ($2 - $1) * 1000 / hz / n}')" >>"$T_DIR/rows"
	done
	# The same through burrow-api: one long-lived process and connection.
	BURROW_API_KEY=$("$B" apikey create --workspace bench) && export BURROW_API_KEY
	ap=$(free_port)
	start "api-$eng" "$BIN/burrow-api" --db "$BURROW_DB" --listen "127.0.0.1:$ap"
	apid=$LAST_PID
	if wait_for 30 port_open "$ap"; then
		a0=$(ticks "$apid")
		r0=$(( $(ticks "$dpid") + $(ticks "$epid") ))
		s0=0
		[ "$eng" = sqlite ] || s0=$(pg_ticks)
		rate=$(api_creates "$ap" "$CREATES")
		sleep 1
		a1=$(ticks "$apid")
		r1=$(( $(ticks "$dpid") + $(ticks "$epid") ))
		s1=0
		[ "$eng" = sqlite ] || s1=$(pg_ticks)
		per() { echo "$1 $2" | awk -v hz="$HZ" -v n="$CREATES" '{printf "%.2f", ($2 - $1) * 1000 / hz / n}'; }
		echo "$eng creates_api $rate" >>"$T_DIR/rows"
		echo "$eng api_cpu_ms $(per "$a0" "$a1")" >>"$T_DIR/rows"
		[ "$eng" = sqlite ] || echo "$eng server_cpu_ms_api $(per "$s0" "$s1")" >>"$T_DIR/rows"
		echo "$eng readers_cpu_ms_api $(per "$r0" "$r1")" >>"$T_DIR/rows"
	else
		echo "  $eng: burrow-api did not start"
	fi
	stop "$apid"
	$VISIBLE --burrow "$B" --target 127.0.0.1:9 --n 50 --ca "$T_DIR/ca.pem" \
		--dns "127.0.0.1:$dp" --edge "127.0.0.1:$ep" --limit 10 >"$T_DIR/vis.$eng" 2>&1
	awk -v e="$eng" '/^visible at dns/ {print e, "dns_p50", $6; print e, "dns_p99", $9}
		/^visible at edge/ {print e, "edge_p50", $6; print e, "edge_p99", $9}' \
		"$T_DIR/vis.$eng" >>"$T_DIR/rows"
	grep -q "not visible" "$T_DIR/vis.$eng" && sed "s/^/  $eng: /" "$T_DIR/vis.$eng"
	stop "$dpid"
	stop "$epid"

	# DNS QPS on a store of N names.
	QDB=$(engine_store "$eng" "q$2")
	"$BUILD/bench/dns_populate" "$QDB" "$ZONE" "$N" >"$T_DIR/names.$eng" ||
		{ echo "  $eng: populate failed"; return 1; }
	python3 - "$T_DIR/names.$eng" "$T_DIR/queries.$eng" "$ZONE" <<'PY'
import random, string, sys
names = open(sys.argv[1]).read().split()
random.seed(1)
with open(sys.argv[2], "w") as f:
    for i in range(200000):
        if random.random() < 0.9:
            f.write(random.choice(names) + " A\n")
        else:
            f.write("".join(random.choice(string.ascii_lowercase + string.digits)
                            for _ in range(14)) + "." + sys.argv[3] + " A\n")
PY
	qp=$(free_port)
	start "qdns-$eng" "$BIN/burrow-dns" --db "$QDB" --listen "127.0.0.1:$qp" --threads 1 \
		--rrl-rate 0   # one client address: measure the server, not its limiter
	qpid=$LAST_PID
	wait_for 60 sh -c "dig +short -p $qp @127.0.0.1 $ZONE SOA | grep -q ." ||
		{ echo "  $eng: burrow-dns on $N names did not start"; return 1; }
	c0=$(ticks "$qpid")
	dnsperf -s 127.0.0.1 -p "$qp" -d "$T_DIR/queries.$eng" -l "$SECS" -c 8 -q 200 -T 1 \
		>"$T_DIR/perf.$eng" 2>&1
	c1=$(ticks "$qpid")
	qps=$(awk '/Queries per second:/ {print $4}' "$T_DIR/perf.$eng")
	sent=$(awk '/Queries completed:/ {print $3}' "$T_DIR/perf.$eng")
	echo "$eng dns_qps ${qps:-0}" >>"$T_DIR/rows"
	echo "$eng dns_cpu_us_per_query $(echo "$c0 $c1 ${sent:-0}" | awk -v hz="$HZ" '{printf "%.2f", $3 ? ($2 - $1) * 1e6 / hz / $3 : 0}')" >>"$T_DIR/rows"
	stop "$qpid"
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_DIR/ca.key" \
	-out "$T_DIR/ca.pem" -days 3 -subj "/CN=Burrow bench CA" 2>/dev/null && make_leaf leaf || exit 1
echo "# bench-store: $RUNS run(s); $CREATES creates per figure; DNS on $N names, dnsperf ${SECS}s, 8 clients"
echo "# machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
pg_cluster_start >"$T_DIR/pg_start.out" 2>&1 || { cat "$T_DIR/pg_start.out"; exit 1; }
echo "# PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT, fsync on, synchronous_commit on; SQLite WAL, synchronous=NORMAL"
: >"$T_DIR/rows"
for r in $(seq 1 "$RUNS"); do
	for eng in sqlite pg; do one_engine "$eng" "$r"; done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$T_DIR/rows" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    e, k, v = line.split()
    rows.setdefault(k, {}).setdefault(e, []).append(float(v))
label = {
    "creates_w1": "creates/s, 1 writer",
    "cli_cpu_ms_w1": "  CPU per create: CLI, ms",
    "server_cpu_ms_w1": "  CPU per create: PostgreSQL server, ms",
    "readers_cpu_ms_w1": "  CPU per create: dns+edge readers, ms",
    "creates_w4": "creates/s, 4 writers at once",
    "cli_cpu_ms_w4": "  CPU per create: CLI, ms",
    "server_cpu_ms_w4": "  CPU per create: PostgreSQL server, ms",
    "readers_cpu_ms_w4": "  CPU per create: dns+edge readers, ms",
    "creates_api": "creates/s, burrow-api (one keep-alive client)",
    "api_cpu_ms": "  CPU per create: burrow-api, ms",
    "server_cpu_ms_api": "  CPU per create: PostgreSQL server, ms",
    "readers_cpu_ms_api": "  CPU per create: dns+edge readers, ms",
    "dns_p50": "create -> A answer at burrow-dns, p50 ms",
    "dns_p99": "create -> A answer at burrow-dns, p99 ms",
    "edge_p50": "create -> handshake at burrow-edge, p50 ms",
    "edge_p99": "create -> handshake at burrow-edge, p99 ms",
    "dns_qps": "DNS QPS (1 thread)",
    "dns_cpu_us_per_query": "  burrow-dns CPU per query, us",
}
print("%-44s %14s %14s %7s" % ("figure (median of runs; range)", "SQLite", "PostgreSQL", "pg/sql"))
def fmt(v):
    if not v:
        return "-"
    m = statistics.median(v)
    return ("%.1f" % m) + ("" if len(v) == 1 else " (%.0f-%.0f)" % (min(v), max(v)))
for k, name in label.items():
    d = rows.get(k, {})
    s, p = d.get("sqlite"), d.get("pg")
    ratio = "%.2f" % (statistics.median(p) / statistics.median(s)) if s and p and statistics.median(s) else "-"
    print("%-44s %14s %14s %7s" % (name, fmt(s), fmt(p), ratio))
PY
