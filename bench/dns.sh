#!/bin/bash
# make bench-dns: dnsperf against burrow-dns, NSD and Knot serving the same
# exported zone of N tunnel names (90% existing, 10% NXDOMAIN queries), one
# server thread each and then all cores; then burrow-dns's RSS per name and
# load time for a store of BIG names.  Prints figures, asserts nothing.
#   N=100000 BIG=1000000 SECONDS_EACH=10 sh bench/dns.sh   (BIG=0: no load test)
set -u
cd "$(dirname "$0")/.." || exit 1
N=${N:-100000}
BIG=${BIG:-1000000}
SECS=${SECONDS_EACH:-10}
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
waitdns() { for _ in $(seq 1 600); do dig -p "$1" @127.0.0.1 +time=1 +tries=1 +short $ZONE SOA >/dev/null 2>&1 && [ -n "$(dig -p "$1" @127.0.0.1 +short +time=1 +tries=1 $ZONE SOA)" ] && return 0; sleep 0.1; done; return 1; }

make -s "$BUILD/bench/dns_populate" || exit 1
echo "# populating a store with $N tunnels"
"$BUILD/bench/dns_populate" "$T/bench.db" $ZONE "$N" > "$T/names" || exit 1
BURROW_DB="$T/bench.db" bin/burrow zone export $ZONE > "$T/$ZONE.zone" || exit 1
# 90% existing names, 10% names that do not exist.
python3 - "$T/names" "$T/queries" <<'PY'
import random, string, sys
names = open(sys.argv[1]).read().split()
random.seed(1)
with open(sys.argv[2], "w") as f:
    for i in range(200000):
        if random.random() < 0.9:
            f.write(random.choice(names) + " A\n")
        else:
            f.write("".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(14))
                    + ".w.bench.test A\n")
PY

run_perf() {  # run_perf NAME PORT -> "qps latency_ms"
	dnsperf -s 127.0.0.1 -p "$2" -d "$T/queries" -l "$SECS" -c 8 -q 200 -T "$PERF_THREADS" > "$T/perf.$1" 2>&1
	qps=$(awk '/Queries per second:/ {print $4}' "$T/perf.$1")
	lat=$(awk '/Average Latency \(s\):/ {printf "%.3f", $4 * 1000}' "$T/perf.$1")
	lost=$(awk '/Queries lost:/ {print $3}' "$T/perf.$1")
	echo "${qps:-0} ${lat:-0} ${lost:-?}"
}

start_burrow() {  # threads
	BP=$(port)
	bin/burrow-dns --db "$T/bench.db" --listen 127.0.0.1:$BP --threads "$1" > "$T/burrow.log" 2>&1 &
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
stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

bench_round() {  # threads label
	start_burrow "$1" || { echo "burrow-dns did not start"; cat "$T/burrow.log"; return; }
	read -r bq bl blost <<<"$(run_perf burrow $BP)"
	stop $BPID
	start_nsd "$1" || { echo "nsd did not start"; cat "$T/nsd/out" "$T/nsd/nsd.log"; return; }
	read -r nq nl nlost <<<"$(run_perf nsd $NP)"
	stop $NPID
	start_knot "$1" || { echo "knotd did not start"; cat "$T/knot/out" "$T/knot/knot.log"; return; }
	read -r kq kl klost <<<"$(run_perf knot $KP)"
	stop $KPID
	printf '%-22s %12s %14s %8s\n' "$2" "QPS" "avg latency" "lost"
	printf '  %-20s %12.0f %11s ms %8s\n' burrow-dns "$bq" "$bl" "$blost"
	printf '  %-20s %12.0f %11s ms %8s\n' nsd "$nq" "$nl" "$nlost"
	printf '  %-20s %12.0f %11s ms %8s\n' knot "$kq" "$kl" "$klost"
	python3 -c "import sys; b,n,k=map(float,sys.argv[1:]); print('  ratio burrow/nsd  %.2f (goal >= 1.2)\n  ratio burrow/knot %.2f (goal >= 1.0)' % (b/n if n else 0, b/k if k else 0))" "$bq" "$nq" "$kq"
}

echo "# zone $ZONE: $N tunnel names; queries: 90% existing, 10% NXDOMAIN; dnsperf ${SECS}s each, 8 clients"
echo "# machine: $(nproc) cores; dnsperf shares them with the server"
PERF_THREADS=1
bench_round 1 "one server thread"
PERF_THREADS=$(nproc)
bench_round "$(nproc)" "$(nproc) server threads"

[ "$BIG" -gt 0 ] || exit 0
echo "# load: burrow-dns with $BIG names"
rm -f "$T/bench.db"*
"$BUILD/bench/dns_populate" "$T/bench.db" $ZONE "$BIG" > /dev/null || exit 1
rm -f "$T/empty.db"
"$BUILD/bench/dns_populate" "$T/empty.db" $ZONE 0 > /dev/null || exit 1
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
BP=$(port)
bin/burrow-dns --db "$T/empty.db" --listen 127.0.0.1:$BP > "$T/empty.log" 2>&1 &
EPID=$!
PIDS="$PIDS $EPID"
waitdns $BP
base=$(rss $EPID)
stop $EPID
start_burrow 1
big=$(rss $BPID)
load=$(sed -n 's/.*loaded \([0-9]*\) names from .* in \([0-9]*\) ms.*/\2/p' "$T/burrow.log")
stop $BPID
echo "  burrow-dns: load $load ms for $BIG names; RSS $((big / 1024)) MiB ($(( (big - base) * 1024 / BIG )) bytes per name above an empty store's $((base / 1024)) MiB)"
BURROW_DB="$T/bench.db" bin/burrow zone export $ZONE > "$T/$ZONE.zone"
t0=$(date +%s%N)
start_nsd 1
echo "  nsd: zone of $BIG names loaded and answering in $(( ($(date +%s%N) - t0) / 1000000 )) ms; RSS $(( $(rss $NPID) / 1024 )) MiB (main process)"
stop $NPID
