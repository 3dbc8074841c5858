# A throw-away PostgreSQL cluster for the tests and benchmarks (source after
# tests/e2e/lib.sh; named .bash so tests/run.sh does not run it as a suite).
# Debian's postgresql-15: initdb and postgres run as the postgres user (root
# may not run them) in a folder of their own under /tmp, postgres listens on
# 127.0.0.1 and a socket in that folder only, and is stopped by PID.
#
#   pg_cluster_start        cluster up; sets PG_PORT, PG_PID, PG_SOCK, PG_DIR
#   pg_createdb NAME        a fresh database owned by the role burrow; prints
#                           its URL (postgresql://burrow@127.0.0.1:PORT/NAME)
#   pg_conninfo NAME        the same database as a libpq key=value string
#   pg_psql NAME ARGS...    psql as the superuser, over the socket
#   pg_cluster_stop         fast shutdown by PID, the folder removed
#
# The role burrow logs in over TCP with a SCRAM password kept in a 0600
# passfile ($PGPASSFILE, exported), so no URL and no command line carries a
# secret.  PG_FSYNC=on keeps fsync (benchmarks); tests run without it, which
# loses nothing unless the machine itself crashes.
#
# Which suites run on both engines: tests/e2e/pg_SUITE.sh runs SUITE.sh with
# BURROW_TEST_STORE=pg (lib.sh) for the DNS, edge, API and ACME suites; plus
# pg_multinode.sh and pg_stall.sh, which only make sense on PostgreSQL.  Not
# wrapped: cli.sh (file modes, PRAGMA user_version: what a store FILE does),
# domain_*.sh and exit_*.sh (not DNS/edge/ACME suites in issue #13's list),
# edge_testssl.sh (scans the TLS policy for ~2 minutes; the store only hands
# it a certificate, which edge_tls.sh covers on PostgreSQL).
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin 2>/dev/null | head -1)}
PG_PID=""
PG_DIR=""

# What runs a command as the postgres user when we are root.
PG_AS=()
[ "$(id -u)" -ne 0 ] || PG_AS=(setpriv --reuid=postgres --regid=postgres --clear-groups --)

pg_cluster_start() {
	[ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL in $PG_BIN (make deps)"; return 1; }
	PG_DIR=$(mktemp -d /tmp/burrow-pg.XXXXXX) || return 1
	PG_SOCK=$PG_DIR/sock
	mkdir -p "$PG_SOCK"
	[ "$(id -u)" -ne 0 ] || chown -R postgres: "$PG_DIR"
	"${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --locale=C \
		--auth-local=trust --auth-host=scram-sha-256 --no-sync \
		>"$T_DIR/initdb.log" 2>&1 || { tail -5 "$T_DIR/initdb.log"; return 1; }
	# A port picked free can be taken before postgres binds it: try another.
	for _try in 1 2 3; do
		PG_PORT=$(free_port)
		start pg pg_exec_postgres
		PG_PID=$LAST_PID
		wait_for 60 pg_up_or_gone
		kill -0 "$PG_PID" 2>/dev/null && pg_ready && break
		wait "$PG_PID" 2>/dev/null
		PG_PID=""
		grep -q "could not bind\|already in use" "$T_DIR/pg.log" ||
			{ tail -5 "$T_DIR/pg.log"; return 1; }
	done
	[ -n "$PG_PID" ] || { tail -5 "$T_DIR/pg.log"; return 1; }
	PG_PASSWORD=$(openssl rand -hex 24)
	export PGPASSFILE=$T_DIR/pgpass
	(umask 077 && echo "127.0.0.1:$PG_PORT:*:burrow:$PG_PASSWORD" >"$PGPASSFILE")
	# On stdin: a command line is readable by every local user.
	pg_psql postgres >/dev/null <<<"CREATE ROLE burrow LOGIN PASSWORD '$PG_PASSWORD'"
}

# The postmaster itself (exec: the PID lib.sh records is the postmaster's).
pg_exec_postgres() {
	exec "${PG_AS[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_SOCK" \
		-h 127.0.0.1 -p "$PG_PORT" -c fsync="${PG_FSYNC:-off}" -c max_connections=200
}

pg_ready() {
	"$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres
}

pg_up_or_gone() {
	! kill -0 "$PG_PID" 2>/dev/null || pg_ready
}

pg_psql() {
	_db=$1
	shift
	"$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres \
		-d "$_db" "$@"
}

pg_createdb() {
	pg_psql postgres -c "CREATE DATABASE \"$1\" OWNER burrow" >/dev/null || return 1
	echo "postgresql://burrow@127.0.0.1:$PG_PORT/$1"
}

pg_conninfo() {
	echo "host=127.0.0.1 port=$PG_PORT dbname=$1 user=burrow"
}

# pg_cluster_stop: SIGINT is PostgreSQL's fast shutdown (clients
# disconnected, a checkpoint, exit); SIGTERM would wait for every client.
# Whatever is left after a minute (the postmaster and its children, by PID)
# gets SIGKILL, so no postgres process outlives the suite.
pg_cluster_stop() {
	if [ -n "$PG_PID" ]; then
		_kids=$(ps -o pid= --ppid "$PG_PID" 2>/dev/null)
		# A suite may have frozen it (SIGSTOP) to play a stalled server.
		# shellcheck disable=SC2086
		kill -CONT "$PG_PID" $_kids 2>/dev/null
		kill -INT "$PG_PID" 2>/dev/null
		for _ in $(seq 1 600); do
			kill -0 "$PG_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$PG_PID" 2>/dev/null; then
			# shellcheck disable=SC2086
			kill -KILL "$PG_PID" $_kids 2>/dev/null
		fi
		wait "$PG_PID" 2>/dev/null
		PG_PID=""
	fi
	[ -z "$PG_DIR" ] || [ -n "${T_KEEP:-}" ] || rm -rf "$PG_DIR"
	PG_DIR=""
}
