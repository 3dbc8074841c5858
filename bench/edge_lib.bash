# Shared by bench/edge.sh and bench/edge_idle.sh (sourced): burrow-edge and
# HAProxy side by side, both terminating TLS with the same certificate
# (ECDSA P-256 from a throw-away CA) and relaying to the same nginx, one
# worker each; wrk on loopback drives them.
#
# Pinning (BENCH_PIN=1, the default): the proxy under test runs on CPU
# $BENCH_PROXY_CPU (0) beside nginx (BENCH_NGINX_CPU, default the same
# CPU), wrk and the connection holder on $BENCH_LOAD_CPU (1), the same for
# both proxies: the proxy's CPU is then the one that runs out first, so a
# cheaper proxy shows as a higher rate.  (With nginx beside wrk instead,
# that CPU saturates first and both proxies idle at the same rate.)
# BENCH_PIN=0 lets the scheduler place everything.
#
# CPU time is utime+stime of the proxy process from /proc/PID/stat, read
# before and after each wrk run.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build/release}
T=$(mktemp -d /tmp/burrow-bench.XXXXXX)
chmod 755 "$T"   # nginx workers run as www-data
PIDS=""
DUR=${BENCH_SECONDS:-8}
RUNS=${BENCH_RUNS:-1}
PIN=${BENCH_PIN:-1}
PROXY_CPU=${BENCH_PROXY_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
NGINX_CPU=${BENCH_NGINX_CPU:-$PROXY_CPU}
HZ=$(getconf CLK_TCK)
ZONE=w.modal.host
# Each held connection costs a proxy two sockets (both connect to nginx at
# once), nginx one, the holder one: as many descriptors as allowed (a hard
# limit of 20,000 here, and no CAP_SYS_RESOURCE to raise it).
ulimit -n "$(ulimit -Hn)"
MAXCONN=$(( ($(ulimit -n) - 200) / 2 ))

# Prefixes, not functions: "$PROXY_PIN[@]" cmd & makes $! the command's own
# PID (taskset execs it), so stopping it by PID stops the program.
PROXY_PIN=()
LOAD_PIN=()
NGINX_PIN=()
if [ "$PIN" = 1 ]; then
	PROXY_PIN=(taskset -c "$PROXY_CPU")
	LOAD_PIN=(taskset -c "$LOAD_CPU")
	NGINX_PIN=(taskset -c "$NGINX_CPU")
fi
pin_note() {
	if [ "$PIN" = 1 ]; then
		echo "pinned: proxy on CPU $PROXY_CPU, nginx on CPU $NGINX_CPU, wrk and holders on CPU $LOAD_CPU"
	else
		echo "not pinned (BENCH_PIN=0)"
	fi
}

bench_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap bench_cleanup EXIT

# A free port below the ephemeral range: the idle benchmark's thousands of
# connections to nginx take ephemeral ports, and one left in TIME_WAIT on a
# port picked there would keep a restarted proxy from binding it.
EPHEMERAL_LO=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range)
port() {
	while :; do
		p=$(( ($(od -An -N2 -tu2 /dev/urandom) % (EPHEMERAL_LO - 10000)) + 10000 ))
		ss -Htan | awk '{print $4}' | grep -q ":$p\$" || { echo "$p"; return; }
	done
}
wait_port() { # PORT [SECONDS]
	for _ in $(seq $((${2:-10} * 10))); do
		ss -Htln | awk '{print $4}' | grep -q ":$1\$" && return 0
		sleep 0.1
	done
	echo "bench: nothing listening on $1 (edge $EP, tcp tunnel $TCP_PORT, haproxy $HP, $HTP)" >&2
	tail -3 "$T"/*.err "$T"/*.log 2>/dev/null >&2
	exit 1
}
for tool in wrk haproxy nginx openssl unshare taskset jq; do
	command -v "$tool" >/dev/null || { echo "bench: $tool missing (make deps)" >&2; exit 1; }
done

# ---- the certificate, the backend, the store ----

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
	-out "$T/ca.pem" -days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/leaf.key" \
	-out "$T/leaf.csr" -subj "/CN=*.$ZONE" 2>/dev/null
printf 'subjectAltName=DNS:*.%s,DNS:%s\n' "$ZONE" "$ZONE" >"$T/ext"
openssl x509 -req -in "$T/leaf.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-out "$T/leaf.pem" -days 1 -extfile "$T/ext" 2>/dev/null
cat "$T/leaf.pem" "$T/leaf.key" >"$T/haproxy.pem"

mkdir -p "$T/www"
echo "ok" >"$T/www/small"
head -c 1048576 /dev/zero >"$T/www/big"
# Larger than every socket buffer on the way: a client that stops reading
# it leaves the proxy holding all it buffers (bench/edge_idle.sh).
truncate -s 256M "$T/www/huge"
NG=$(port)
# Long header and keep-alive timeouts: the idle and slowloris connections
# of bench/edge_idle.sh test the proxy, not nginx's own defences.
cat >"$T/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
worker_rlimit_nofile 100000;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 50000; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	keepalive_timeout 900s;
	client_header_timeout 900s;
	send_timeout 900s;
	server { listen 127.0.0.1:$NG backlog=4096; root $T/www; }
}
NGINX
"${NGINX_PIN[@]}" nginx -c "$T/nginx.conf" -e "$T/nginx.err" 2>/dev/null &
PIDS="$PIDS $!"
wait_port "$NG"

export BURROW_DB="$T/burrow.db"
TCP_LO=$(port)
"$ROOT/bin/burrow" init --tcp-ports "$TCP_LO-$TCP_LO" >/dev/null
"$ROOT/bin/burrow" cert import "$ZONE" --chain "$T/leaf.pem" --key "$T/leaf.key" >/dev/null
HOST=$("$ROOT/bin/burrow" tunnel create --target "127.0.0.1:$NG" --json | jq -r .hostname)
# Idle and slowloris connections use a tunnel of their own.
IDLE_HOST=$("$ROOT/bin/burrow" tunnel create --target "127.0.0.1:$NG" --json | jq -r .hostname)
TCP_PORT=$("$ROOT/bin/burrow" tunnel create --kind tcp --target "127.0.0.1:$NG" --json | jq -r .port)

# ---- the two proxies ----

EP=$(port)
# The store's TLS port is the edge's (burrow-edge refuses another).
"$ROOT/bin/burrow" init --tcp-ports "$TCP_LO-$TCP_LO" --tls-port "$EP" >/dev/null
HP=$(port)
HTP=$(port)
cat >"$T/haproxy.cfg" <<HAP
global
	nbthread 1
	maxconn $MAXCONN
	# Pipes for splicing (tcp frontend): 2 descriptors each beside the
	# 2 per connection; the default (maxconn / 4) would not fit the limit.
	maxpipes 50
	log stderr local0 err
defaults
	mode tcp
	timeout connect 10s
	timeout client 900s
	timeout server 900s
frontend tls
	bind 127.0.0.1:$HP ssl crt $T/haproxy.pem alpn http/1.1
	default_backend web
frontend tcp
	bind 127.0.0.1:$HTP
	# HAProxy at its best on raw tcp: kernel to kernel, as the edge splices
	# tcp tunnels (splice-auto did not engage here: 1.12 ms/MB, as without).
	option splice-request
	option splice-response
	default_backend web
backend web
	server nginx 127.0.0.1:$NG
HAP

EDGE_PID=""
HAP_PID=""
start_edge() {
	"${PROXY_PIN[@]}" "$ROOT/bin/burrow-edge" --db "$BURROW_DB" --listen "127.0.0.1:$EP" \
		--max-conns $MAXCONN --max-conns-per-tunnel $MAXCONN --idle-timeout 900000 \
		--log "$T/edge.log" &
	EDGE_PID=$!
	PIDS="$PIDS $EDGE_PID"
	wait_port "$EP"
	wait_port "$TCP_PORT"
}
start_haproxy() {
	"${PROXY_PIN[@]}" haproxy -f "$T/haproxy.cfg" -db 2>"$T/haproxy.err" &
	HAP_PID=$!
	PIDS="$PIDS $HAP_PID"
	wait_port "$HP"
	wait_port "$HTP"
}
stop_proxy() { # PID
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
}
check_proxies() {
	curl -sf --cacert "$T/ca.pem" --resolve "$HOST:$EP:127.0.0.1" "https://$HOST:$EP/small" >/dev/null ||
		{ echo "bench: no answer through burrow-edge" >&2; cat "$T/edge.log" >&2; exit 1; }
	curl -sf --cacert "$T/ca.pem" --resolve "$HOST:$HP:127.0.0.1" "https://$HOST:$HP/small" >/dev/null ||
		{ echo "bench: no answer through haproxy" >&2; cat "$T/haproxy.err" >&2; exit 1; }
	curl -sf "http://127.0.0.1:$TCP_PORT/small" >/dev/null ||
		{ echo "bench: no answer through the edge's tcp tunnel" >&2; exit 1; }
	curl -sf "http://127.0.0.1:$HTP/small" >/dev/null ||
		{ echo "bench: no answer through haproxy's tcp frontend" >&2; exit 1; }
}

# ---- measuring ----

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# wrk resolves the tunnel's name itself: give it a private /etc/hosts in a
# mount namespace of its own (the machine's file is left alone).
printf '127.0.0.1 localhost %s %s\n' "$HOST" "$IDLE_HOST" >"$T/hosts"
run_wrk() { # URL CONNS SECONDS [wrk args...]
	u=$1 c=$2 d=$3
	shift 3
	"${LOAD_PIN[@]}" unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" \
		wrk -t1 -c"$c" -d"${d}s" "$@" "$u" 2>&1
}

# measure KIND PID URL CONNS [wrk args...]: one wrk run against the proxy
# PID; prints "RATE CPU_PER_UNIT BUSY ERRORS": KIND req -> requests/s and
# microseconds of CPU per request, KIND mb -> MB/s and milliseconds per MB;
# BUSY is the proxy's CPU time over the wall time, in percent.
measure() {
	kind=$1 pid=$2 u=$3 c=$4
	shift 4
	t0=$(cpu_ticks "$pid")
	out=$(run_wrk "$u" "$c" "$DUR" "$@")
	t1=$(cpu_ticks "$pid")
	echo "$out" >>"$T/wrk.out"
	echo "$out" | awk -v kind="$kind" -v ticks=$((t1 - t0)) -v hz="$HZ" '
		/requests in/ {
			n = $1; s = $4 + 0; v = $5; sub(/read$/, "", v); b = v + 0
			if (v ~ /GB/) b *= 1024; else if (v ~ /KB/) b /= 1024; else if (v !~ /MB/) b /= 1048576
		}
		/Socket errors|Non-2xx/ { err = 1 }
		END {
			cpu = ticks / hz
			if (s <= 0 || n <= 0) { print "0 0 0 1"; exit }
			if (kind == "req") printf "%.0f %.2f", n / s, cpu * 1e6 / n
			else printf "%.1f %.3f", b / s, cpu * 1e3 / b
			printf " %.0f %d\n", cpu * 100 / s, err
		}'
}

# median: the middle of the numbers on stdin (the mean of the two middle
# ones for an even count).
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a";
		else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
