#!/bin/bash
# make bench-edge: burrow-edge against HAProxy, both terminating TLS with the
# same certificate (ECDSA P-256 from a test CA) and relaying to the same
# nginx backend, one worker each, measured with wrk on loopback:
#   1. requests/s, keep-alive, small body
#   2. throughput, keep-alive, 1 MB body
#   3. new TLS handshakes/s (Connection: close, one request per connection)
# Prints each figure and the ratio Burrow/HAProxy (goal: >= 1.0).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
T=$(mktemp -d /tmp/burrow-bench.XXXXXX)
chmod 755 "$T"   # nginx workers run as www-data
PIDS=""
DUR=${BENCH_SECONDS:-8}
CONNS=${BENCH_CONNS:-50}
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
port() {
	while :; do
		p=$(( ($(od -An -N2 -tu2 /dev/urandom) % 20000) + 30000 ))
		ss -Htln | awk '{print $4}' | grep -q ":$p\$" || { echo "$p"; return; }
	done
}
wait_port() {
	for _ in $(seq 100); do
		ss -Htln | awk '{print $4}' | grep -q ":$1\$" && return 0
		sleep 0.1
	done
	echo "bench: nothing listening on $1" >&2
	tail -3 "$T"/*.err "$T"/*.log 2>/dev/null >&2
	exit 1
}
for tool in wrk haproxy nginx openssl unshare; do
	command -v "$tool" >/dev/null || { echo "bench: $tool missing (make deps)" >&2; exit 1; }
done

ZONE=w.modal.host
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
NG=$(port)
cat >"$T/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	server { listen 127.0.0.1:$NG; root $T/www; }
}
NGINX
nginx -c "$T/nginx.conf" -e "$T/nginx.err" 2>/dev/null &
PIDS="$PIDS $!"
wait_port "$NG"

export BURROW_DB="$T/burrow.db"
"$ROOT/bin/burrow" init >/dev/null
"$ROOT/bin/burrow" cert import "$ZONE" --chain "$T/leaf.pem" --key "$T/leaf.key" >/dev/null
HOST=$("$ROOT/bin/burrow" tunnel create --target "127.0.0.1:$NG" --json | jq -r .hostname)
EP=$(port)
"$ROOT/bin/burrow-edge" --db "$BURROW_DB" --listen "127.0.0.1:$EP" --log "$T/edge.log" &
PIDS="$PIDS $!"
HP=$(port)
cat >"$T/haproxy.cfg" <<HAP
global
	nbthread 1
	maxconn 4096
	log stderr local0 err
defaults
	mode tcp
	timeout connect 10s
	timeout client 300s
	timeout server 300s
frontend tls
	bind 127.0.0.1:$HP ssl crt $T/haproxy.pem alpn http/1.1
	default_backend web
backend web
	server nginx 127.0.0.1:$NG
HAP
haproxy -f "$T/haproxy.cfg" -db 2>"$T/haproxy.err" &
PIDS="$PIDS $!"
wait_port "$EP"
wait_port "$HP"
curl -sf --cacert "$T/ca.pem" --resolve "$HOST:$EP:127.0.0.1" "https://$HOST:$EP/small" >/dev/null ||
	{ echo "bench: no answer through burrow-edge" >&2; cat "$T/edge.log" >&2; curl -sS --cacert "$T/ca.pem" --resolve "$HOST:$EP:127.0.0.1" "https://$HOST:$EP/small"; exit 1; }
curl -sf --cacert "$T/ca.pem" --resolve "$HOST:$HP:127.0.0.1" "https://$HOST:$HP/small" >/dev/null ||
	{ echo "bench: no answer through haproxy" >&2; exit 1; }

# wrk resolves the tunnel's name itself: give it a private /etc/hosts in a
# mount namespace of its own (the machine's file is left alone).
printf '127.0.0.1 localhost %s\n' "$HOST" >"$T/hosts"
run_wrk() { # PORT PATH CONNS [wrk args...]
	p=$1 path=$2 c=$3
	shift 3
	unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" \
		wrk -t1 -c"$c" -d"${DUR}s" "$@" "https://$HOST:$p$path" 2>&1
}
rps() { awk '/^Requests\/sec/ {print $2}'; }
tput() { # Transfer/sec in MB
	awk '/^Transfer\/sec/ { v=$2; u=substr(v, length(v)-1); n=v+0;
		if (u=="GB") n*=1024; else if (u=="KB") n/=1024; else if (u!="MB") n/=1048576; printf "%.1f\n", n }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "# burrow-edge vs HAProxy $(haproxy -v | head -1 | awk '{print $3}'), TLS termination, nginx backend, wrk -t1, ${DUR}s each"
e1=$(run_wrk "$EP" /small "$CONNS" | rps)
h1=$(run_wrk "$HP" /small "$CONNS" | rps)
e2=$(run_wrk "$EP" /big 10 | tput)
h2=$(run_wrk "$HP" /big 10 | tput)
e3=$(run_wrk "$EP" /small "$CONNS" -H "Connection: close" | rps)
h3=$(run_wrk "$HP" /small "$CONNS" -H "Connection: close" | rps)
printf '%-34s %12s %12s %8s\n' "measure" "burrow-edge" "haproxy" "ratio"
printf '%-34s %12s %12s %8s\n' "requests/s (keep-alive, 3 B)" "$e1" "$h1" "$(ratio "$e1" "$h1")"
printf '%-34s %12s %12s %8s\n' "throughput MB/s (1 MB body)" "$e2" "$h2" "$(ratio "$e2" "$h2")"
printf '%-34s %12s %12s %8s\n' "new TLS handshakes/s" "$e3" "$h3" "$(ratio "$e3" "$h3")"
