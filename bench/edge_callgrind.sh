#!/bin/bash
# make bench-edge-callgrind: instructions per unit, burrow-edge beside
# HAProxy, each run under valgrind --tool=callgrind (user-space
# instructions only: the kernel's share is not counted, so read this with
# the syscall counts strace -c gives).  Counting starts after a warm-up
# (callgrind_control -z) and stops after the wrk run (-d); the rows are the
# four of bench/edge.sh, at a rate callgrind can follow (wrk -c4).
# Instruction counts do not depend on the machine's load, so this is the
# figure to compare while others share the machine.
#   BENCH_SECONDS per figure (10); BENCH_KEEP=DIR keeps the profiles
source "$(dirname "$0")/edge_lib.bash"
command -v valgrind >/dev/null || { echo "bench: valgrind missing" >&2; exit 1; }
DUR=${BENCH_SECONDS:-10}

# Ports of their own: the proxies of edge_lib.bash are not started.
sed -e "s/127.0.0.1:$HP /127.0.0.1:$EP /" -e "s/127.0.0.1:$HTP\$/127.0.0.1:$TCP_PORT/" \
	"$T/haproxy.cfg" >"$T/haproxy-cg.cfg"

# cg_start NAME CMD...: CMD under callgrind, instrumentation on.
cg_start() {
	name=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file="$T/cg.$name" "$@" \
		>"$T/cg.$name.log" 2>&1 &
	CG_PID=$!
	PIDS="$PIDS $CG_PID"
	wait_port "$EP"
	wait_port "$TCP_PORT"
}
# cg_row KIND URL CONNS [wrk args]: one count; prints instructions per unit.
cg_row() {
	kind=$1 u=$2 c=$3
	shift 3
	run_wrk "$u" "$c" 2 "$@" >/dev/null
	callgrind_control -z "$CG_PID" >/dev/null 2>&1
	out=$(run_wrk "$u" "$c" "$DUR" "$@")
	callgrind_control -d "$CG_PID" >/dev/null 2>&1
	f=$(ls -t "$T"/cg."$CG_NAME".* 2>/dev/null | grep -v 'log$' | head -1)
	ir=$(awk '/^summary:/ {print $2}' "$f")
	# BENCH_KEEP=DIR keeps each count for callgrind_annotate.
	if [ -n "${BENCH_KEEP:-}" ]; then
		mkdir -p "$BENCH_KEEP" && mv "$f" "$BENCH_KEEP/$CG_NAME.$kind.$c.$(echo "$u$*" | tr -c 'a-z0-9' _)"
	else
		rm -f "$f"
	fi
	echo "$out" | awk -v kind="$kind" -v ir="$ir" '
		/requests in/ { n = $1; v = $5; b = v + 0
			if (v ~ /GB/) b *= 1024; else if (v ~ /KB/) b /= 1024; else if (v !~ /MB/) b /= 1048576 }
		END { if (n <= 0) { print "n/a"; exit }
			if (kind == "req") printf "%.0f\n", ir / n; else printf "%.0f\n", ir / b }'
}
cg_all() { # NAME: the four rows against whatever listens on EP / TCP_PORT
	CG_NAME=$1
	ka=$(cg_row req "https://$HOST:$EP/small" 4)
	big=$(cg_row mb "https://$HOST:$EP/big" 2)
	hs=$(cg_row req "https://$HOST:$EP/small" 4 -H "Connection: close")
	tcp=$(cg_row mb "http://127.0.0.1:$TCP_PORT/big" 2)
	echo "$ka $big $hs $tcp" >"$T/cg.$1.rows"
}

cg_start edge "$ROOT/bin/burrow-edge" --db "$BURROW_DB" --listen "127.0.0.1:$EP" \
	--log "$T/edge.log"
cg_all edge
stop_proxy "$CG_PID"
cg_start hap haproxy -f "$T/haproxy-cg.cfg" -db
cg_all hap
stop_proxy "$CG_PID"

read -r eka ebig ehs etcp <"$T/cg.edge.rows"
read -r hka hbig hhs htcp <"$T/cg.hap.rows"
echo "# user-space instructions per unit under callgrind (valgrind $(valgrind --version | cut -d- -f2)), wrk ${DUR}s per row"
printf '%-34s %14s %14s %6s\n' "figure" "burrow-edge" "haproxy" "ratio"
printf '%-34s %14s %14s %6s\n' "keep-alive request (3 B body)" "$eka" "$hka" "$(ratio "$eka" "$hka")"
printf '%-34s %14s %14s %6s\n' "TLS MB (1 MB bodies)" "$ebig" "$hbig" "$(ratio "$ebig" "$hbig")"
printf '%-34s %14s %14s %6s\n' "new TLS handshake" "$ehs" "$hhs" "$(ratio "$ehs" "$hhs")"
printf '%-34s %14s %14s %6s\n' "raw tcp MB (1 MB bodies)" "$etcp" "$htcp" "$(ratio "$etcp" "$htcp")"
