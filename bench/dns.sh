#!/bin/bash
# make bench-dns: dnsperf against burrow-dns, NSD and Knot serving the same
# exported zone of N tunnel names (90% existing, 10% NXDOMAIN queries), with
# 1 and 2 server threads and dnsperf -c 1, 4 and 16, BENCH_RUNS runs each
# (servers interleaved), medians of QPS and of server CPU per query (all of
# the server's processes and threads, from /proc/PID/task/*/stat), ratios
# against the goals; then load time and RSS for BIG names beside NSD and Knot.
# Prints figures, asserts nothing.
#   bash bench/dns.sh [qps|load|burst|overload|all]    (default: qps and load)
#   N=100000 BIG=1000000 SECONDS_EACH=10 BENCH_RUNS=3 CLIENTS="1 4 16" THREADS="1 2"
#   BIG_DB=PATH: a store of BIG names of zone w.bench.test made before (dns_populate)
# burst (make bench-dns-burst): BURST creates (default 20000) while dnsperf
#   offers BURST_QPS (30000) for BURST_SECS (20): lost, p50/p99/p99.9 latency.
# overload (make bench-dns-overload): FLOOD_SECS (60) of dnsperf past capacity,
#   then AFTER_QPS (20000) for 5 s: RSS before/after, alive, rate per second.
# burrow-dns gets --rrl-rate 0 when its --help lists it (NSD's and Knot's
# limiters are off too): a benchmark from one address would measure the limiter.
set -u
cd "$(dirname "$0")/.." || exit 1
MODE=${1:-default}
N=${N:-100000}
BIG=${BIG:-1000000}
SECS=${SECONDS_EACH:-10}
RUNS=${BENCH_RUNS:-3}
CLIENTS=${CLIENTS:-1 4 16}
THREADS=${THREADS:-1 2}
ZONE=w.bench.test
BUILD=${BUILD:-build/release}
T=$(mktemp -d /tmp/burrow-bench.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Until the server answers its zone's SOA (dig +short prints ";; ..." on
# stdout when nothing listens yet: that is no answer).
waitdns() {
	local out
	for _ in $(seq 1 600); do
		out=$(dig -p "$1" @127.0.0.1 +short +time=1 +tries=1 $ZONE SOA 2>/dev/null) &&
			case $out in "" | ";"*) ;; *) return 0 ;; esac
		sleep 0.1
	done
	return 1
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# The largest RSS in a process tree: NSD's zone lives in its server
# children (forked after the load), not in the main process.
rss_max() { local p m=0 r; for p in $(tree "$1"); do r=$(rss "$p" 2>/dev/null); [ "${r:-0}" -gt "$m" ] && m=$r; done; echo "$m"; }
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# A process and all its descendants (NSD: xfrd -> main -> one server
# process per server-count).
tree() { local c; echo "$1"; for c in $(pgrep -P "$1"); do tree "$c"; done; }
# CPU ticks of a server: every thread of every process of its tree.
ticks() {
	local p t sum=0
	for p in $(tree "$1"); do
		for t in /proc/"$p"/task/*/stat; do
			# utime + stime, counted after the ")" that ends the
			# command name ("nsd: server 1" has spaces).
			[ -r "$t" ] && sum=$((sum + $(sed 's/.*) //' "$t" 2>/dev/null | awk '{print $12 + $13}' || echo 0)))
		done
	done
	echo $sum
}
HZ=$(getconf CLK_TCK)
RRL_OFF=""
bin/burrow-dns --help 2>/dev/null | grep -q -- '--rrl-rate' && RRL_OFF="--rrl-rate 0"

populate() {  # populate COUNT: bench.db, names, zone file, queries
	make -s "$BUILD/bench/dns_populate" || exit 1
	rm -f "$T/bench.db"*
	"$BUILD/bench/dns_populate" "$T/bench.db" $ZONE "$1" > "$T/names" || exit 1
	BURROW_DB="$T/bench.db" bin/burrow zone export $ZONE > "$T/$ZONE.zone" || exit 1
	# 90% existing names, 10% names that do not exist.
	python3 - "$T/names" "$T/queries" <<'PY'
import random, string, sys
names = open(sys.argv[1]).read().split() or ["w.bench.test"]
random.seed(1)
with open(sys.argv[2], "w") as f:
    for i in range(200000):
        if random.random() < 0.9:
            f.write(random.choice(names) + " A\n")
        else:
            f.write("".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(14))
                    + ".w.bench.test A\n")
PY
}

start_burrow() {  # threads [db]
	BP=$(port)
	bin/burrow-dns --db "${2:-$T/bench.db}" --listen 127.0.0.1:$BP --threads "$1" $RRL_OFF \
		> "$T/burrow.log" 2>&1 &
	BPID=$!
	PIDS="$PIDS $BPID"
	waitdns $BP
}
start_nsd() {  # threads
	NP=$(port)
	mkdir -p "$T/nsd"
	cp "$T/$ZONE.zone" "$T/nsd/"
	cat > "$T/nsd/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$NP
  username: ""
  pidfile: "$T/nsd/nsd.pid"
  zonesdir: "$T/nsd"
  database: ""
  xfrdfile: "$T/nsd/xfrd.state"
  zonelistfile: "$T/nsd/zone.list"
  logfile: "$T/nsd/nsd.log"
  server-count: $1
  # Response rate limiting is on by default in Debian's NSD; a benchmark
  # from one address would measure the limiter, not the server.
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: $ZONE
  zonefile: $ZONE.zone
CONF
	nsd -d -c "$T/nsd/nsd.conf" > "$T/nsd/out" 2>&1 &
	NPID=$!
	PIDS="$PIDS $NPID"
	waitdns $NP
}
start_knot() {  # threads
	KP=$(port)
	mkdir -p "$T/knot"
	cp "$T/$ZONE.zone" "$T/knot/"
	cat > "$T/knot/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$KP
    rundir: "$T/knot"
    udp-workers: $1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$T/knot"
log:
  - target: "$T/knot/knot.log"
    any: warning
zone:
  - domain: $ZONE
    storage: "$T/knot"
    file: "$ZONE.zone"
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
CONF
	knotd -c "$T/knot/knot.conf" > "$T/knot/out" 2>&1 &
	KPID=$!
	PIDS="$PIDS $KPID"
	waitdns $KP
}

# perf NAME PID PORT CLIENTS THREADS -> appends "qps cpu_us_per_query lost" to $T/r.NAME.c
perf() {
	local pt=$5 before after qps done_ lost
	[ "$pt" -gt "$4" ] && pt=$4
	before=$(ticks "$2")
	dnsperf -s 127.0.0.1 -p "$3" -d "$T/queries" -l "$SECS" -c "$4" -q 200 -T "$pt" \
		> "$T/perf.out" 2>&1
	after=$(ticks "$2")
	qps=$(awk '/Queries per second:/ {print $4}' "$T/perf.out")
	done_=$(awk '/Queries completed:/ {print $3}' "$T/perf.out")
	lost=$(awk '/Queries lost:/ {print $3}' "$T/perf.out")
	echo "${qps:-0} $(python3 -c "import sys; t,n,hz=map(float,sys.argv[1:]); print('%.2f' % (t/hz/n*1e6 if n else 0))" \
		$((after - before)) "${done_:-0}" "$HZ") ${lost:-0}" >> "$T/r.$1.$4"
}

bench_threads() {  # threads
	local th=$1 run c
	rm -f "$T"/r.*
	for run in $(seq 1 "$RUNS"); do
		for srv in burrow nsd knot; do
			case $srv in
			burrow) start_burrow "$th" || { echo "burrow-dns did not start"; cat "$T/burrow.log"; return; }; pid=$BPID; p=$BP ;;
			nsd) start_nsd "$th" || { echo "nsd did not start"; cat "$T/nsd/out"; return; }; pid=$NPID; p=$NP ;;
			knot) start_knot "$th" || { echo "knotd did not start"; cat "$T/knot/out"; return; }; pid=$KPID; p=$KP ;;
			esac
			for c in $CLIENTS; do perf $srv "$pid" "$p" "$c" "$th"; done
			stop "$pid"
		done
	done
	for c in $CLIENTS; do
		echo "## $th server thread(s), dnsperf -c $c -T $([ "$th" -gt "$c" ] && echo "$c" || echo "$th"), ${SECS}s x $RUNS runs, medians; load average now $(loadavg)"
		python3 - "$T" "$c" "$th" <<'PY'
import statistics, sys
d, c, th = sys.argv[1], sys.argv[2], int(sys.argv[3])
med = {}
print("  %-12s %10s %16s %8s   %s" % ("server", "QPS", "CPU us/query", "lost", "runs (QPS / us)"))
for s, name in (("burrow", "burrow-dns"), ("nsd", "nsd"), ("knot", "knot")):
    rows = [list(map(float, l.split())) for l in open("%s/r.%s.%s" % (d, s, c))]
    q = statistics.median(r[0] for r in rows)
    u = statistics.median(r[1] for r in rows)
    lost = statistics.median(r[2] for r in rows)
    med[s] = (q, u)
    print("  %-12s %10.0f %16.2f %8.0f   %s" % (name, q, u, lost,
          " ".join("%.0f/%.2f" % (r[0], r[1]) for r in rows)))
best = max(med["nsd"][0], med["knot"][0])
goal = 1.0 if th > 1 else 1.2
print("  QPS burrow/best(nsd,knot) %.2f (goal >= %.1f); CPU per query burrow/nsd %.2f (goal <= 0.7), burrow/knot %.2f"
      % (med["burrow"][0] / best if best else 0, goal,
         med["burrow"][1] / med["nsd"][1] if med["nsd"][1] else 0,
         med["burrow"][1] / med["knot"][1] if med["knot"][1] else 0))
PY
	done
}

bench_qps() {
	echo "# zone $ZONE: $N tunnel names; queries: 90% existing, 10% NXDOMAIN"
	echo "# machine: $(nproc) cores shared with dnsperf; load average $(loadavg); burrow-dns ${RRL_OFF:-(no --rrl-rate option)}"
	populate "$N"
	for th in $THREADS; do bench_threads "$th"; done
}

bench_load() {
	[ "$BIG" -gt 0 ] || return 0
	echo "# load: $BIG names; load average $(loadavg)"
	if [ -n "${BIG_DB:-}" ]; then
		# A store of BIG names made before (dns_populate takes minutes).
		cp "$BIG_DB" "$T/bench.db" || exit 1
		BURROW_DB="$T/bench.db" bin/burrow zone export $ZONE > "$T/$ZONE.zone" || exit 1
	else
		populate "$BIG"
	fi
	make -s "$BUILD/bench/dns_populate" || exit 1
	rm -f "$T/empty.db"*
	"$BUILD/bench/dns_populate" "$T/empty.db" $ZONE 0 > /dev/null || exit 1
	start_burrow 1 "$T/empty.db"
	base=$(rss $BPID)
	stop $BPID
	start_burrow 1
	big=$(rss $BPID)
	load=$(sed -n 's/.*loaded \([0-9]*\) names from .* in \([0-9]*\) ms.*/\2/p' "$T/burrow.log")
	stop $BPID
	echo "  burrow-dns: load $load ms (goal < 2000); RSS $((big / 1024)) MiB ($(( (big - base) * 1024 / BIG )) bytes per name above an empty store's $((base / 1024)) MiB)"
	t0=$(date +%s%N)
	start_nsd 1
	echo "  nsd: zone loaded and answering in $(( ($(date +%s%N) - t0) / 1000000 )) ms; RSS $(( $(rss_max $NPID) / 1024 )) MiB (its largest process)"
	stop $NPID
	t0=$(date +%s%N)
	start_knot 1
	echo "  knot: zone loaded and answering in $(( ($(date +%s%N) - t0) / 1000000 )) ms; RSS $(( $(rss $KPID) / 1024 )) MiB"
	stop $KPID
}

# latency PERF_OUT [QPS FROM_MS TO_MS] -> "answered N p50 p99 p99.9 max" from
# dnsperf -v lines; with a window, the same for the queries sent between
# FROM_MS and TO_MS after dnsperf started (at a fixed -Q rate, the i-th
# answer line is about the query sent at i/QPS: lines come in completion
# order, a late answer a few lines off).
latency() {
	python3 - "$@" <<'PY'
import sys
lat = []
for line in open(sys.argv[1]):
    if line.startswith("> "):
        try:
            lat.append(float(line.split()[-1]))
        except ValueError:
            pass
def figures(v, what):
    v = sorted(v)
    p = lambda q: v[min(len(v) - 1, int(q * len(v)))] * 1000 if v else 0
    return ("%s %d, latency p50 %.2f ms, p99 %.2f ms (goal < 5), p99.9 %.2f ms, max %.2f ms"
            % (what, len(v), p(.5), p(.99), p(.999), v[-1] * 1000 if v else 0))
out = figures(lat, "answered")
if len(sys.argv) == 5:
    qps, a, b = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    out += "\n    during the creates: " + figures(lat[int(a / 1000 * qps):int(b / 1000 * qps)], "answered")
print(out)
PY
}

bench_burst() {
	local creates=${BURST:-20000} qps=${BURST_QPS:-30000} secs=${BURST_SECS:-20} th
	echo "# burst: $creates tunnel creates while dnsperf offers $qps QPS for ${secs}s ($N names); load average $(loadavg)"
	populate "$N"
	cp "$T/bench.db" "$T/base.db"
	for th in $THREADS; do
		rm -f "$T/bench.db"*
		cp "$T/base.db" "$T/bench.db"
		start_burrow "$th" || { echo "burrow-dns did not start"; cat "$T/burrow.log"; return; }
		ts=$(date +%s%N)
		dnsperf -s 127.0.0.1 -p $BP -d "$T/queries" -l "$secs" -c 4 -Q "$qps" -q 1000 -t 2 -v \
			> "$T/burst.out" 2>&1 &
		dp=$!
		sleep 2
		t0=$(date +%s%N)
		"$BUILD/bench/dns_populate" "$T/bench.db" $ZONE "$creates" > "$T/burst.names"
		t1=$(date +%s%N)
		wait $dp
		last=$(dig -p $BP @127.0.0.1 +short "$(tail -1 "$T/burst.names")" A)
		stop $BPID
		echo "  $th thread(s): $creates creates in $(( (t1 - t0) / 1000000 )) ms, last one answers '$last'"
		echo "    sent $(awk '/Queries sent:/ {print $3}' "$T/burst.out"), lost $(awk '/Queries lost:/ {print $3}' "$T/burst.out") (goal 0); $(latency "$T/burst.out" "$qps" $(( (t0 - ts) / 1000000 )) $(( (t1 - ts) / 1000000 )))"
		echo "    burrow-dns: $(sed -n 's/.*info\]: \(answered .*\)/\1/p' "$T/burrow.log")"
	done
}

bench_overload() {
	local flood=${FLOOD_SECS:-60} after=${AFTER_QPS:-20000} th
	echo "# overload: ${flood}s of dnsperf past capacity, then $after QPS for 5 s ($N names); load average $(loadavg)"
	populate "$N"
	for th in $THREADS; do
		start_burrow "$th" || { echo "burrow-dns did not start"; cat "$T/burrow.log"; return; }
		r0=$(rss $BPID)
		dnsperf -s 127.0.0.1 -p $BP -d "$T/queries" -l "$flood" -c 16 -q 20000 -T "$(nproc)" -t 1 \
			> "$T/flood.out" 2>&1
		r1=$(rss $BPID)
		dnsperf -s 127.0.0.1 -p $BP -d "$T/queries" -l 5 -c 4 -Q "$after" -S 1 -t 1 > "$T/after.out" 2>&1
		r2=$(rss $BPID)
		alive=no
		kill -0 $BPID 2>/dev/null && [ -n "$(dig -p $BP @127.0.0.1 +short +time=1 +tries=1 $ZONE SOA)" ] && alive=yes
		stop $BPID
		echo "  $th thread(s): flood $(awk '/Queries per second:/ {printf "%.0f", $4}' "$T/flood.out") QPS answered, $(awk '/Queries lost:/ {print $3}' "$T/flood.out") lost; RSS start $((r0 / 1024)) MiB, after flood $((r1 / 1024)) MiB, end $((r2 / 1024)) MiB; alive: $alive"
		echo "    after the flood, QPS per second (goal $after from the first): $(awk '/^[0-9.]+: [0-9.]+$/ && $2 > 1 {printf "%.0f ", $2}' "$T/after.out")"
	done
}

case $MODE in
qps) bench_qps ;;
load) bench_load ;;
burst) bench_burst ;;
overload) bench_overload ;;
all) bench_qps; bench_load; bench_burst; bench_overload ;;
*) bench_qps; bench_load ;;
esac
