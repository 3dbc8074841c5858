/*
 * engine_pg.c: the store's engine for PostgreSQL through libpq (engine.h).
 *
 * Writers: every write transaction takes one cluster-wide advisory lock
 * first (pg_advisory_xact_lock), as SQLite's BEGIN IMMEDIATE takes its write
 * lock, and a write statement outside a transaction runs in one of its own
 * that does the same.  Two consequences the store relies on:
 *   - the allocation of hostnames, tcp ports, proxy ports and addresses
 *     (check, then insert) cannot race between machines; the unique
 *     constraints stay as the last word and the allocators retry on them;
 *   - the change log's sequence is allocated and committed in order: a seq
 *     is drawn while the lock is held, and PostgreSQL releases a
 *     transaction's locks only after its commit is visible, so a reader that
 *     sees seq N sees every committed seq below N.  (Without it, a
 *     transaction holding seq 7 could commit after a reader had seen seq 8
 *     and moved past 7 for good.)  The change-log trigger takes the same
 *     lock, so writers outside Burrow (psql) keep the order too.  A rolled
 *     back transaction leaves a hole in the sequence that nobody waits for.
 * Reads take no lock: PostgreSQL's snapshots never block on writers.
 *
 * Lost connections: outside a transaction, a statement on a broken
 * connection reconnects (PQreset) and re-prepares, once per call; callers
 * see BURROW_ERR_IO while the server is away and retry on their schedule.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/error.h"
#include "db/internal.h"

/* The writers' advisory lock key ("burr"); the schema's trigger uses it. */
#define PG_WRITER_LOCK "1651864178"
#define PG_BEGIN "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITER_LOCK ")"
#define PG_CHANNEL "burrow_changes"

struct pg_conn {
	PGconn *conn;
	unsigned gen;       /* bumped on each reconnect: statements re-prepare */
	unsigned names;     /* server-side statement names handed out */
	int64_t changes;    /* rows the last write touched */
	int txn;            /* inside store_begin()'s transaction */
};

struct pg_stmt {
	struct db_stmt base;
	char *sql;          /* with $N placeholders */
	char name[24];
	int nparams;
	int is_write;       /* INSERT, UPDATE or DELETE */
	unsigned gen;       /* connection generation it was prepared on; 0: none */
	char **values;
	int *lengths, *formats;
	PGresult *res;
	int row, nrows;
	unsigned char *blob; /* a decoded bytea column */
};

static struct pg_conn *
pc(struct store *s)
{
	return s->conn;
}

static struct pg_stmt *
ps(struct db_stmt *st)
{
	return (struct pg_stmt *)st;
}

static void
keep_message(struct store *s, const char *msg)
{
	size_t n;

	snprintf(s->engmsg, sizeof(s->engmsg), "%s", msg != NULL && *msg ? msg : "failed");
	n = strlen(s->engmsg);
	while (n > 0 && (s->engmsg[n - 1] == '\n' || s->engmsg[n - 1] == ' '))
		s->engmsg[--n] = '\0';
}

/* Maps a failed result (NULL: the connection failed) to a Burrow code by
 * its SQLSTATE (PostgreSQL Appendix A) and keeps its message. */
static int
pg_error(struct store *s, const PGresult *res)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	keep_message(s, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(pc(s)->conn));
	if (state == NULL)
		return BURROW_ERR_IO;
	if (strcmp(state, "23505") == 0)         /* unique_violation */
		return BURROW_ERR_EXISTS;
	if (strncmp(state, "23", 2) == 0 ||      /* integrity constraints */
	    strncmp(state, "22", 2) == 0)        /* data exceptions */
		return BURROW_ERR_INVALID;
	if (strcmp(state, "40001") == 0 ||       /* serialization_failure */
	    strcmp(state, "40P01") == 0 ||       /* deadlock_detected */
	    strcmp(state, "55P03") == 0 ||       /* lock_not_available */
	    strcmp(state, "57014") == 0)         /* query_canceled (timeout) */
		return BURROW_ERR_BUSY;
	if (strcmp(state, "53200") == 0)         /* out_of_memory */
		return BURROW_ERR_NOMEM;
	return BURROW_ERR_IO;
}

static int
pg_exec(struct store *s, const char *sql)
{
	PGresult *res = PQexec(pc(s)->conn, sql);
	ExecStatusType st;
	int rc = BURROW_OK;

	if (res == NULL)
		return pg_error(s, NULL);
	/* Several statements in one string: PQexec returns the last result. */
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_error(s, res);
	PQclear(res);
	return rc;
}

/* Notices (CREATE ... IF NOT EXISTS) are not errors: keep them off stderr. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static PGconn *
connect_to(const char *target, char *err, size_t errsz)
{
	PGconn *conn = PQconnectdb(target);

	if (conn == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(err, errsz, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	return conn;
}

/* Session settings, on each (re)connection.  A writer waits for the
 * writers' lock as long as SQLite's busy timeout, then gets
 * BURROW_ERR_BUSY; a client that hangs inside a transaction (a stopped
 * process, a partition) is cut off by the server, which frees the lock for
 * the others. */
static int
configure(struct store *s)
{
	int rc = pg_exec(s, "SET client_encoding = 'UTF8'; SET client_min_messages = warning; "
	    "SET lock_timeout = '5s'; SET idle_in_transaction_session_timeout = '30s'");

	if (rc == BURROW_OK && s->readonly)
		rc = pg_exec(s, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
	return rc;
}

static int
pg_open(struct store *s, const char *target, int flags)
{
	struct pg_conn *c = calloc(1, sizeof(*c));

	(void)flags;   /* the database itself is the operator's to create */
	if (c == NULL)
		return BURROW_ERR_NOMEM;
	s->conn = c;
	c->gen = 1;
	if ((c->conn = connect_to(target, s->engmsg, sizeof(s->engmsg))) == NULL) {
		keep_message(s, s->engmsg);
		return BURROW_ERR_IO;
	}
	return configure(s);
}

static void
pg_close(struct store *s)
{
	PQfinish(pc(s)->conn);
	free(s->conn);
	s->conn = NULL;
}

/* Outside a transaction, a broken connection is re-made; statements notice
 * the new generation and prepare again. */
static int
ensure_connected(struct store *s)
{
	struct pg_conn *c = pc(s);

	if (PQstatus(c->conn) == CONNECTION_OK)
		return BURROW_OK;
	if (c->txn) {   /* the transaction died with the connection */
		keep_message(s, "connection lost inside a transaction");
		return BURROW_ERR_IO;
	}
	PQreset(c->conn);
	if (PQstatus(c->conn) != CONNECTION_OK)
		return pg_error(s, NULL);
	PQsetNoticeProcessor(c->conn, quiet, NULL);
	c->gen++;
	return configure(s);
}

/* SQLite's placeholders as PostgreSQL's: ?N is $N, a bare ? is one more
 * than the largest number so far (SQLite's rule).  Quoted text is copied
 * as is.  Returns the new text (caller frees) and the parameter count. */
static char *
renumber(const char *sql, int *nparams)
{
	size_t len = strlen(sql);
	char *out = malloc(len * 4 + 1), *o = out;
	const char *p = sql;
	int max = 0;
	char quote = 0;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
			*o++ = *p++;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p++;
		} else if (*p == '?') {
			char *end;
			long n = strtol(p + 1, &end, 10);
			if (end == p + 1)
				n = max + 1;
			if (n > max)
				max = (int)n;
			o += sprintf(o, "$%ld", n);
			p = end;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	*nparams = max;
	return out;
}

static int
starts_with_word(const char *sql, const char *word)
{
	size_t n = strlen(word);

	while (isspace((unsigned char)*sql))
		sql++;
	return strncasecmp(sql, word, n) == 0 && !isalnum((unsigned char)sql[n]);
}

static void
pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *p = ps(st);

	st->eng->reset(st);
	free(p->values);
	free(p->lengths);
	free(p->formats);
	free(p->sql);
	free(p);
}

static int
pg_prepare(struct store *s, const char *sql, struct db_stmt **out)
{
	struct pg_stmt *p = calloc(1, sizeof(*p));
	size_t n;

	if (p == NULL)
		return BURROW_ERR_NOMEM;
	p->base.eng = &db_engine_pg;
	p->base.s = s;
	if ((p->sql = renumber(sql, &p->nparams)) == NULL)
		goto nomem;
	n = p->nparams > 0 ? (size_t)p->nparams : 1;
	p->values = calloc(n, sizeof(*p->values));
	p->lengths = calloc(n, sizeof(*p->lengths));
	p->formats = calloc(n, sizeof(*p->formats));
	if (p->values == NULL || p->lengths == NULL || p->formats == NULL)
		goto nomem;
	p->is_write = starts_with_word(sql, "INSERT") || starts_with_word(sql, "UPDATE") ||
	    starts_with_word(sql, "DELETE");
	snprintf(p->name, sizeof(p->name), "b%u", ++pc(s)->names);
	*out = &p->base;
	return BURROW_OK;
nomem:
	pg_finalize(&p->base);
	return BURROW_ERR_NOMEM;
}

static void
clear_rows(struct pg_stmt *p)
{
	PQclear(p->res);
	p->res = NULL;
	p->row = p->nrows = 0;
	PQfreemem(p->blob);
	p->blob = NULL;
}

static void
pg_reset(struct db_stmt *st)
{
	struct pg_stmt *p = ps(st);
	int i;

	clear_rows(p);
	for (i = 0; i < p->nparams; i++) {
		free(p->values[i]);
		p->values[i] = NULL;
		p->lengths[i] = p->formats[i] = 0;
	}
}

/* Binds a copy of n bytes at v (NULL: SQL NULL) as parameter i. */
static void
bind(struct db_stmt *st, int i, const void *v, size_t n, int binary)
{
	struct pg_stmt *p = ps(st);
	char *copy = NULL;

	if (i < 1 || i > p->nparams)
		return;
	if (v != NULL && (copy = malloc(n + 1)) != NULL) {
		memcpy(copy, v, n);
		copy[n] = '\0';
	}
	free(p->values[i - 1]);
	p->values[i - 1] = copy;
	p->lengths[i - 1] = (int)n;
	p->formats[i - 1] = binary;
}

static void
pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);

	bind(st, i, buf, (size_t)n, 0);
}

static void
pg_bind_text(struct db_stmt *st, int i, const char *v)
{
	bind(st, i, v, v != NULL ? strlen(v) : 0, 0);
}

static void
pg_bind_blob(struct db_stmt *st, int i, const void *v, size_t n)
{
	bind(st, i, v != NULL ? v : "", n, 1);
}

static void
pg_bind_null(struct db_stmt *st, int i)
{
	bind(st, i, NULL, 0, 0);
}

static int
prepare_on_server(struct store *s, struct pg_stmt *p)
{
	struct pg_conn *c = pc(s);
	PGresult *res;

	if (p->gen == c->gen)
		return BURROW_OK;
	res = PQprepare(c->conn, p->name, p->sql, p->nparams, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		int rc = pg_error(s, res);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	p->gen = c->gen;
	return BURROW_OK;
}

static int
in_transaction(struct store *s)
{
	return PQtransactionStatus(pc(s)->conn) != PQTRANS_IDLE;
}

/* Runs the prepared statement; its rows, if any, stay in p->res. */
static int
run(struct store *s, struct pg_stmt *p)
{
	struct pg_conn *c = pc(s);
	PGresult *res;
	ExecStatusType st;
	int rc;

	if ((rc = prepare_on_server(s, p)) != BURROW_OK)
		return rc;
	res = PQexecPrepared(c->conn, p->name, p->nparams, (const char *const *)p->values,
	    p->lengths, p->formats, 0);
	st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = pg_error(s, res);
		PQclear(res);
		return rc;
	}
	c->changes = strtoll(PQcmdTuples(res), NULL, 10);
	p->res = res;
	p->nrows = st == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	p->row = 0;
	return BURROW_OK;
}

/* A write outside a transaction runs in one of its own holding the
 * writer lock, like every other write (see the top of this file). */
static int
run_alone(struct store *s, struct pg_stmt *p)
{
	int rc;

	if ((rc = pg_exec(s, PG_BEGIN)) != BURROW_OK)
		return rc;
	if ((rc = run(s, p)) == BURROW_OK)
		rc = pg_exec(s, "COMMIT");
	if (rc != BURROW_OK) {
		clear_rows(p);
		PQclear(PQexec(pc(s)->conn, "ROLLBACK"));
	}
	return rc;
}

static int
execute(struct store *s, struct pg_stmt *p)
{
	int txn;

	int rc;

	if ((rc = ensure_connected(s)) != BURROW_OK)
		return rc;
	txn = in_transaction(s);
	return p->is_write && !txn ? run_alone(s, p) : run(s, p);
}

static int
pg_step(struct db_stmt *st)
{
	struct pg_stmt *p = ps(st);
	struct store *s = st->s;
	int rc;

	if (p->res != NULL) {
		PQfreemem(p->blob);
		p->blob = NULL;
		return ++p->row < p->nrows ? DB_ROW : DB_DONE;
	}
	rc = execute(s, p);
	/* The server went away between two statements: one more try on a
	 * new connection, unless a transaction was lost with it. */
	if (rc == BURROW_ERR_IO && PQstatus(pc(s)->conn) != CONNECTION_OK && !pc(s)->txn)
		rc = execute(s, p);
	if (rc != BURROW_OK)
		return rc;
	return p->nrows > 0 ? DB_ROW : DB_DONE;
}

static const char *
value(struct db_stmt *st, int col)
{
	struct pg_stmt *p = ps(st);

	if (p->res == NULL || p->row >= p->nrows || col >= PQnfields(p->res) ||
	    PQgetisnull(p->res, p->row, col))
		return NULL;
	return PQgetvalue(p->res, p->row, col);
}

static int64_t
pg_column_int64(struct db_stmt *st, int col)
{
	const char *v = value(st, col);

	if (v == NULL)
		return 0;
	if (strcmp(v, "t") == 0)   /* a boolean expression */
		return 1;
	return strtoll(v, NULL, 10);
}

static const char *
pg_column_text(struct db_stmt *st, int col)
{
	return value(st, col);
}

static size_t
pg_column_blob(struct db_stmt *st, int col, const void **out)
{
	struct pg_stmt *p = ps(st);
	const char *v = value(st, col);
	size_t n = 0;

	*out = "";
	if (v == NULL)
		return 0;
	PQfreemem(p->blob);
	/* bytea comes back in text form ("\x..." hex). */
	if ((p->blob = PQunescapeBytea((const unsigned char *)v, &n)) == NULL)
		return 0;
	*out = p->blob;
	return n;
}

static int
pg_column_null(struct db_stmt *st, int col)
{
	return value(st, col) == NULL;
}

static int64_t
pg_changes(struct store *s)
{
	return pc(s)->changes;
}

static int
pg_begin(struct store *s)
{
	int rc, attempt;

	/* An idle connection the server dropped fails its next statement:
	 * nothing was lost yet, so begin again on a new one. */
	for (attempt = 0; attempt < 2; attempt++) {
		if ((rc = ensure_connected(s)) != BURROW_OK)
			return rc;
		if ((rc = pg_exec(s, PG_BEGIN)) == BURROW_OK) {
			pc(s)->txn = 1;
			return BURROW_OK;
		}
		if (PQstatus(pc(s)->conn) == CONNECTION_OK) {
			PQclear(PQexec(pc(s)->conn, "ROLLBACK"));
			return rc;
		}
	}
	return rc;
}

static int
pg_commit(struct store *s)
{
	int rc = pg_exec(s, "COMMIT");

	pc(s)->txn = in_transaction(s);
	return rc;
}

static void
pg_rollback(struct store *s)
{
	PQclear(PQexec(pc(s)->conn, "ROLLBACK"));
	pc(s)->txn = 0;
}

static int
pg_in_transaction(struct store *s)
{
	return pc(s)->txn || in_transaction(s);
}

/* One integer from a query without parameters; -1 on failure. */
static int64_t
query_int(struct store *s, const char *sql)
{
	PGresult *res = PQexec(pc(s)->conn, sql);
	int64_t v = -1;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0))
		v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		pg_error(s, res);
	PQclear(res);
	return v;
}

/* The version lives in burrow_schema (made by migration 1); a database
 * without it is version 0. */
static int
pg_schema_version(struct store *s)
{
	int64_t exists = query_int(s,
	    "SELECT count(*) FROM pg_catalog.pg_tables "
	    "WHERE schemaname = current_schema() AND tablename = 'burrow_schema'");

	if (exists <= 0)
		return (int)exists;
	return (int)query_int(s, "SELECT coalesce(max(version), 0) FROM burrow_schema");
}

static int
pg_set_schema_version(struct store *s, int version)
{
	char sql[96];

	snprintf(sql, sizeof(sql),
	    "DELETE FROM burrow_schema; INSERT INTO burrow_schema(version) VALUES (%d)", version);
	return pg_exec(s, sql);
}

struct pg_listen {
	PGconn *conn;
};

static void *
pg_listen_open(struct store *s, int *fd)
{
	struct pg_listen *l = calloc(1, sizeof(*l));
	char err[256];
	PGresult *res;

	if (l == NULL)
		return NULL;
	if ((l->conn = connect_to(s->target, err, sizeof(err))) == NULL)
		goto fail;
	res = PQexec(l->conn, "LISTEN " PG_CHANNEL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (PQsetnonblocking(l->conn, 1) != 0 || (*fd = PQsocket(l->conn)) < 0)
		goto fail;
	return l;
fail:
	PQfinish(l->conn);
	free(l);
	return NULL;
}

static int
pg_listen_drain(void *arg)
{
	struct pg_listen *l = arg;
	PGnotify *n;
	int got = 0, more = 1;

	/* Until the socket is empty: a burst of commits is one wake-up. */
	while (more) {
		if (PQconsumeInput(l->conn) != 1 || PQstatus(l->conn) != CONNECTION_OK)
			return BURROW_ERR_IO;
		more = 0;
		while ((n = PQnotifies(l->conn)) != NULL) {
			got = more = 1;
			PQfreemem(n);
		}
	}
	return got;
}

static void
pg_listen_close(void *arg)
{
	struct pg_listen *l = arg;

	if (l == NULL)
		return;
	PQfinish(l->conn);
	free(l);
}

const struct db_engine db_engine_pg = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.reset = pg_reset,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.column_null = pg_column_null,
	.changes = pg_changes,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.in_transaction = pg_in_transaction,
	.schema_version = pg_schema_version,
	.set_schema_version = pg_set_schema_version,
	.listen_open = pg_listen_open,
	.listen_drain = pg_listen_drain,
	.listen_close = pg_listen_close,
	.migrations = store_migrations_postgresql,
	.nmigrations = &store_migration_count_postgresql,
};
