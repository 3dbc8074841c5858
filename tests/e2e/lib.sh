# Shared helpers for end-to-end tests; source it from a test script.
# Each check prints a TAP line; every process a test starts is recorded by
# PID and killed on exit; every file lives in a temporary folder.
set -u
E2E_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$E2E_ROOT/bin
T_DIR=$(mktemp -d /tmp/burrow-test.XXXXXX)
T_PIDS=""
T_N=0
T_FAILED=0
# The suite's store: a file here, or a PostgreSQL database with
# BURROW_TEST_STORE=pg (set up at the end of this file).
T_STORE=$T_DIR/burrow.db

t_cleanup() {
	# A second signal (a timeout landing now) must not cut the cleanup short.
	trap '' INT TERM
	[ -z "${PG_DIR:-}" ] || pg_cluster_stop
	for pid in $T_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $T_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -n "${T_KEEP:-}" ] || rm -rf "$T_DIR"
}
trap t_cleanup EXIT

# ok DESCRIPTION CMD...: passes if CMD exits 0.
ok() {
	desc=$1
	shift
	T_N=$((T_N + 1))
	if "$@" >"$T_DIR/last.out" 2>&1; then
		echo "ok $T_N - $desc"
	else
		echo "not ok $T_N - $desc"
		sed 's/^/#   /' "$T_DIR/last.out" | head -20
		T_FAILED=$((T_FAILED + 1))
	fi
}

# fails DESCRIPTION CMD...: passes if CMD exits non-zero.
fails() {
	desc=$1
	shift
	T_N=$((T_N + 1))
	if "$@" >"$T_DIR/last.out" 2>&1; then
		echo "not ok $T_N - $desc (succeeded, expected failure)"
		sed 's/^/#   /' "$T_DIR/last.out" | head -20
		T_FAILED=$((T_FAILED + 1))
	else
		echo "ok $T_N - $desc"
	fi
}

# same DESCRIPTION EXPECTED ACTUAL
same() {
	T_N=$((T_N + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $T_N - $1"
	else
		echo "not ok $T_N - $1"
		echo "#   expected: $2"
		echo "#   actual:   $3"
		T_FAILED=$((T_FAILED + 1))
	fi
}

# exit_status EXPECTED CMD...: true if CMD exits with EXPECTED.
exit_status() {
	want=$1
	shift
	"$@"
	[ $? -eq "$want" ]
}

# start NAME CMD...: runs CMD in the background, output to $T_DIR/NAME.log,
# and records its PID for cleanup.  Sets LAST_PID.
start() {
	name=$1
	shift
	"$@" >"$T_DIR/$name.log" 2>&1 &
	LAST_PID=$!
	T_PIDS="$T_PIDS $LAST_PID"
}

# stop PID [SIGNAL]: signals one started process and waits for it.
stop() {
	kill -"${2:-TERM}" "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# free_port [tcp|udp|both]: an unused loopback port.  Drawn from 10000-32699,
# below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by
# default), so no outgoing connection of another process can take it between
# the pick and the bind; and free in every socket state (ss -a: a port held
# by a TIME-WAIT or established socket cannot always be bound again).
free_port() {
	while :; do
		p=$(( (($(od -An -N2 -tu2 /dev/urandom) % 22700)) + 10000 ))
		ss -Htuan 2>/dev/null | awk '{print $5}' | grep -q ":$p\$" || break
	done
	echo "$p"
}

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds.
wait_for() {
	limit=$1
	shift
	end=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
	while [ $(( $(date +%s%N) / 1000000 )) -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# done_testing: the exit status of the script.
done_testing() {
	[ "$T_FAILED" -eq 0 ]
}

# t_sql QUERY: runs QUERY on the suite's store (sqlite3, waiting up to 5 s
# for a writer, or psql), one row a line, columns separated by '|'.  Write
# QUERY in SQL both engines accept.
t_sql() {
	case $T_STORE in
	postgresql://*) "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$T_STORE" -c "$1" ;;
	*) sqlite3 -cmd ".timeout 5000" "$T_STORE" "$1" ;;
	esac
}

# t_store_absent: a store that does not exist, on the suite's engine.
t_store_absent() {
	case $T_STORE in
	postgresql://*) echo "${T_STORE%/*}/absent" ;;
	*) echo "$T_DIR/absent.db" ;;
	esac
}

# BURROW_TEST_STORE=pg: T_STORE is a fresh database on a throw-away
# PostgreSQL cluster this suite starts and stops (tests/e2e/pg_lib.bash);
# tests/e2e/pg_*.sh run the store-using suites that way in make check.
if [ "${BURROW_TEST_STORE:-sqlite}" = pg ]; then
	. "$E2E_ROOT/tests/e2e/pg_lib.bash"
	if ! pg_cluster_start >"$T_DIR/pg_start.out" 2>&1 ||
	    ! T_STORE=$(pg_createdb burrow 2>>"$T_DIR/pg_start.out"); then
		echo "not ok 1 - a PostgreSQL cluster for this suite"
		sed 's/^/#   /' "$T_DIR/pg_start.out"
		exit 1
	fi
fi
