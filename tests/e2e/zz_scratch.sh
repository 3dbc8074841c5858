#!/bin/bash
BURROW_TEST_STORE=pg
. "$(dirname "$0")/lib.sh"
. "$E2E_ROOT/tests/e2e/edge_lib.bash"
edge_setup >/dev/null || { echo setup failed; exit 1; }
DP=$(free_port)
start dns $BIN/burrow-dns --db "$T_STORE" --listen 127.0.0.1:$DP --poll-ms 1000
wait_for 10 sh -c "dig +short -p $DP @127.0.0.1 $ZONE SOA | grep -q ."
H=$(tunnel tls 127.0.0.1:9)
wait_for 10 handshake_ok $H && echo "known ok"
procs="$PG_PID $(ps -o pid= --ppid $PG_PID | xargs)"
kill -STOP $procs
echo "stopped pg"
t0=$(date +%s%N)
handshake_ok zzzzunknown0001.$ZONE; echo "unknown sni: $(( ($(date +%s%N)-t0)/1000000 )) ms"
t0=$(date +%s%N)
handshake_ok $H && echo "known handshake during stall: $(( ($(date +%s%N)-t0)/1000000 )) ms" || echo "known handshake FAILED after $(( ($(date +%s%N)-t0)/1000000 )) ms"
sleep 2
t0=$(date +%s%N)
dig +short +time=2 +tries=1 -p $DP @127.0.0.1 $H A; echo "dns after 2s (poll ran): $(( ($(date +%s%N)-t0)/1000000 )) ms"
t0=$(date +%s%N)
handshake_ok $H && echo "known handshake 2s later: $(( ($(date +%s%N)-t0)/1000000 )) ms" || echo "known handshake FAILED after $(( ($(date +%s%N)-t0)/1000000 )) ms"
kill -CONT $procs
tail -3 $T_DIR/edge.log $T_DIR/dns.log
