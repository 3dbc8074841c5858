#!/bin/bash
# burrow-dns with two worker threads, for each way UDP reaches the workers
# (--udp-steer cpu, flow, shared): every tunnel answered over UDP and TCP,
# a tunnel created while running resolves, a clean stop that logs what
# was answered; a bad --udp-steer value is refused.
. "$(dirname "$0")/lib.sh"
export BURROW_DB=$T_DIR/burrow.db
Z=w.threads.test
B=$BIN/burrow

ok "burrow init" $B init --zone $Z --ns ns1.$Z --edge-ipv4 192.0.2.10
NAMES=""
for i in $(seq 1 12); do
	NAMES="$NAMES $($B tunnel create --target 10.0.0.1:8080 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hostname"])')"
done
same "12 tunnels created" 12 "$(echo $NAMES | wc -w)"

same "--udp-steer with a bad value exits 2" 2 \
	"$($BIN/burrow-dns --db "$BURROW_DB" --threads 2 --udp-steer round-robin >/dev/null 2>&1; echo $?)"

for mode in cpu flow shared; do
	PORT=$(free_port)
	start dns-$mode $BIN/burrow-dns --db "$BURROW_DB" --listen 127.0.0.1:$PORT --threads 2 \
		--udp-steer $mode --poll-ms 60000 --log "$T_DIR/dns-$mode.log"
	PID=$LAST_PID
	D="dig -p $PORT @127.0.0.1 +time=2 +tries=3"
	ok "$mode: answers within 30 s" wait_for 30 $D +short $Z SOA
	answered=0
	for h in $NAMES; do
		[ "$($D +short $h A)" = 192.0.2.10 ] && answered=$((answered + 1))
	done
	same "$mode: every tunnel answered over UDP" "$(echo $NAMES | wc -w)" "$answered"
	same "$mode: over TCP too" 192.0.2.10 "$($D +tcp +short $(echo $NAMES | cut -d' ' -f1) A)"
	same "$mode: NXDOMAIN for a name that does not exist" NXDOMAIN \
		"$($D nope.$Z A | awk '/->>HEADER<<-/ {print $6}' | tr -d ,)"
	H=$($B tunnel create --target 10.0.0.2:80 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["hostname"])')
	ok "$mode: a tunnel created while running resolves" wait_for 30 \
		sh -c "[ \"\$($D +short $H A)\" = 192.0.2.10 ]"
	NAMES="$NAMES $H"
	stop $PID
	ok "$mode: stops cleanly and logs what it answered" \
		grep -q "answered [0-9]* queries (0 UDP unanswered)" "$T_DIR/dns-$mode.log"
done
done_testing
