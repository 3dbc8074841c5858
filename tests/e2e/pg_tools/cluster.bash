# A throw-away PostgreSQL cluster for a test; source it after lib.sh.
#   pg_cluster_start        initdb in $T_DIR/pg, start postgres on a free
#                           loopback port (PID recorded by lib.sh's start),
#                           create database "burrow"; sets PG_PORT, PG_PID,
#                           PG_URL (postgresql://postgres@127.0.0.1:PORT/burrow)
#   pg_cluster_stop         fast shutdown of that postgres, by its PID
#   pg_createdb NAME        another database in the cluster; prints its URL
#   pg_sql URL SQL          runs SQL with psql (no password: trust on loopback)
# Debian's postgresql-15 binaries; postgres runs as the postgres user
# (initdb refuses root), through setpriv so the PID is the postmaster's.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_as_postgres() {
	setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
}

pg_sql() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

pg_cluster_start() {
	[ -x "$PG_BIN/postgres" ] || { echo "# no $PG_BIN/postgres (make deps)"; return 1; }
	PG_DIR=$T_DIR/pg
	mkdir -p "$PG_DIR/sock"
	chmod o+x "$T_DIR"
	chown -R postgres "$PG_DIR"
	pg_as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-locale \
		-E UTF8 --no-sync >"$T_DIR/initdb.log" 2>&1 || { cat "$T_DIR/initdb.log"; return 1; }
	PG_PORT=$(free_port tcp)
	# No durability needed for a throw-away cluster; the store's own
	# commits are still transactional.
	# setpriv itself (not a shell function) so lib.sh's PID is the
	# postmaster's once setpriv execs it.
	start postgres setpriv --reuid=postgres --regid=postgres --init-groups -- \
		"$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_DIR/sock" \
		-h 127.0.0.1 -p "$PG_PORT" -c fsync=off -c synchronous_commit=off \
		-c full_page_writes=off -c max_connections=200
	PG_PID=$LAST_PID
	PG_ADMIN="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
	wait_for 120 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || {
		echo "# postgres did not start"; cat "$T_DIR/postgres.log"; return 1; }
	PG_URL=$(pg_createdb burrow) || return 1
	export PG_URL PG_PORT PG_PID
}

pg_createdb() {
	pg_sql "$PG_ADMIN" "CREATE DATABASE $1" >/dev/null || return 1
	echo "postgresql://postgres@127.0.0.1:$PG_PORT/$1"
}

pg_cluster_stop() {
	[ -n "${PG_PID:-}" ] && stop "$PG_PID" INT
	PG_PID=""
}
