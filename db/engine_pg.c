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
 * connection reconnects and re-prepares, once per call; callers see
 * BURROW_ERR_IO while the server is away and retry on their schedule.
 * Every round trip has a deadline (pg_io.h): 500 ms for a read-only store
 * (a daemon reading on a serving thread; a healthy server answers in a few
 * milliseconds, a far one in a hundred), 30 s for a writer.  After a
 * deadline passed or a reconnection failed, the store answers
 * BURROW_ERR_IO at once, without a round trip, for a backoff of 500 ms
 * doubling to 5 s, then tries once more.  A read-only store reconnects
 * without blocking (reset_step()).  So a frozen server costs a serving
 * thread one deadline when it freezes and next to nothing after, and
 * readers keep answering from what they hold.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "common/error.h"
#include "db/internal.h"
#include "db/pg_io.h"

/* The writers' advisory lock key ("burr"); the schema's trigger uses it. */
#define PG_WRITER_LOCK "1651864178"
#define PG_BEGIN "BEGIN; SELECT pg_advisory_xact_lock(" PG_WRITER_LOCK ")"
#define PG_CHANNEL "burrow_changes"

/* Deadlines of one round trip (see the top of this file), of the first
 * connection, and of the LISTEN connection (made on a reader's loop). */
#define PG_READ_DEADLINE_MS 500
#define PG_WRITE_DEADLINE_MS 30000
#define PG_OPEN_DEADLINE_MS 5000
#define PG_LISTEN_DEADLINE_MS 500
#define PG_RESET_BUDGET_MS 50
#define PG_BACKOFF_FIRST_MS 500
#define PG_BACKOFF_MAX_MS 5000

struct pg_conn {
	PGconn *conn;
	unsigned gen;       /* bumped on each reconnect: statements re-prepare */
	unsigned names;     /* server-side statement names handed out */
	int64_t changes;    /* rows the last write touched */
	int txn;            /* inside store_begin()'s transaction */
	int deadline_ms;    /* of one round trip */
	int broken;         /* a round trip failed: reset before the next */
	int64_t retry_at;   /* monotonic ms before which no reset is tried */
	int backoff_ms;     /* the wait after the next failed reset */
	int resetting;      /* a reset is under way (read-only stores) */
	PostgresPollingStatusType reset_st; /* what it last waited for */
	int64_t reset_until; /* when it counts as failed */
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

/* Keeps libpq's message as one line (errors are one line on stderr and
 * in the logs): its line breaks and tabs become single spaces. */
static void
keep_message(struct store *s, const char *msg)
{
	const char *p = msg != NULL && *msg != '\0' ? msg : "failed";
	size_t n = 0;

	for (; *p != '\0' && n + 1 < sizeof(s->engmsg); p++) {
		int blank = *p == '\n' || *p == '\t' || *p == '\r' || *p == ' ';
		if (blank && (n == 0 || s->engmsg[n - 1] == ' '))
			continue;
		s->engmsg[n++] = blank ? ' ' : *p;
	}
	while (n > 0 && s->engmsg[n - 1] == ' ')
		n--;
	s->engmsg[n] = '\0';
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

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* No reset before the backoff has passed; the next one waits twice as
 * long (up to PG_BACKOFF_MAX_MS) unless a reset succeeds meanwhile. */
static void
back_off(struct pg_conn *c)
{
	c->retry_at = now_ms() + c->backoff_ms;
	c->backoff_ms = c->backoff_ms * 2 > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS
	    : c->backoff_ms * 2;
}

/* A round trip failed: the connection is unusable until reset.  A server
 * that closed it may be back at once (a restart, an idle cut): the next
 * call resets without waiting; one that did not answer in time waits the
 * backoff first. */
static void
mark_broken(struct store *s)
{
	struct pg_conn *c = pc(s);

	c->broken = 1;
	if (PQstatus(c->conn) == CONNECTION_BAD) {
		keep_message(s, PQerrorMessage(c->conn));
		return;
	}
	snprintf(s->engmsg, sizeof(s->engmsg), "no answer from the server within %d ms",
	    c->deadline_ms);
	back_off(c);
}

/* The last result of the query a PQsend* call started (returned sent), or
 * NULL with the connection marked broken. */
static PGresult *
roundtrip(struct store *s, int sent)
{
	PGresult *res;

	if (pg_io_wait(pc(s)->conn, sent, pc(s)->deadline_ms, &res) != 0) {
		mark_broken(s);
		return NULL;
	}
	return res;
}

static int
result_rc(struct store *s, PGresult *res)
{
	ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (res == NULL)
		return BURROW_ERR_IO;
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? BURROW_OK : pg_error(s, res);
}

/* Runs sql (several statements allowed) on a usable connection. */
static int
pg_exec(struct store *s, const char *sql)
{
	PGresult *res;
	int rc;

	if (pc(s)->broken)
		return BURROW_ERR_IO;
	res = roundtrip(s, PQsendQuery(pc(s)->conn, sql));
	rc = result_rc(s, res);
	PQclear(res);
	return rc;
}

/* ROLLBACK where the connection still works; nothing to undo otherwise
 * (the server ends a transaction whose connection is gone). */
static void
quiet_rollback(struct store *s)
{
	char keep[sizeof(s->engmsg)];

	snprintf(keep, sizeof(keep), "%s", s->engmsg);   /* report the first failure */
	if (!pc(s)->broken)
		pg_exec(s, "ROLLBACK");
	snprintf(s->engmsg, sizeof(s->engmsg), "%s", keep);
}

/* Notices (CREATE ... IF NOT EXISTS) are not errors: keep them off stderr. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Defaults under the operator's string, which overrides them (libpq
 * expands dbname in place, later values winning).  Reads run on the
 * daemons' event loops: a server that vanished without a word must turn
 * into an error in seconds, not in TCP's quarter of an hour, so the
 * loops keep answering from what they hold. */
static const char *const conn_keys[] = {
	"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
	"tcp_user_timeout", "dbname", NULL
};

static PGconn *
connect_to(const char *target, int deadline_ms, char *err, size_t errsz)
{
	const char *values[] = { "5", "10", "5", "3", "10000", target, NULL };
	PGconn *conn = pg_io_connect(conn_keys, values, deadline_ms, err, errsz);

	if (conn != NULL)
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
	char err[sizeof(s->engmsg)];

	(void)flags;   /* the database itself is the operator's to create */
	if (c == NULL)
		return BURROW_ERR_NOMEM;
	s->conn = c;
	c->gen = 1;
	c->deadline_ms = s->readonly ? PG_READ_DEADLINE_MS : PG_WRITE_DEADLINE_MS;
	c->backoff_ms = PG_BACKOFF_FIRST_MS;
	if ((c->conn = connect_to(target, PG_OPEN_DEADLINE_MS, err, sizeof(err))) == NULL) {
		keep_message(s, err);
		return BURROW_ERR_IO;
	}
	return configure(s);
}

static void
pg_close(struct store *s)
{
	if (pc(s)->conn != NULL)
		PQfinish(pc(s)->conn);
	free(s->conn);
	s->conn = NULL;
}

/* Starts a reset, or drives the one under way, within the call's budget:
 * a writer waits for it (up to its deadline), a read-only store gives it
 * PG_RESET_BUDGET_MS (a healthy server reconnects in a few) and otherwise
 * lets it go on over the following calls, so a server that accepts the
 * TCP connection but never answers costs its serving thread nothing more.
 * Returns 0 connected, 1 under way, -1 failed. */
static int
reset_step(struct store *s)
{
	struct pg_conn *c = pc(s);
	int rc;

	if (!c->resetting) {
		if (pg_io_reset_start(c->conn, &c->reset_st) != 0)
			return -1;
		c->resetting = 1;
		c->reset_until = now_ms() + PG_OPEN_DEADLINE_MS;
	}
	rc = pg_io_reset_step(c->conn, &c->reset_st,
	    s->readonly ? PG_RESET_BUDGET_MS : c->deadline_ms);
	if (rc == 1 && (!s->readonly || now_ms() >= c->reset_until))
		rc = -1;
	if (rc != 1)
		c->resetting = 0;
	return rc;
}

/* Outside a transaction, a broken connection is re-made; statements notice
 * the new generation and prepare again. */
static int
ensure_connected(struct store *s)
{
	struct pg_conn *c = pc(s);
	int64_t now = now_ms();
	int rc;

	if (!c->broken && PQstatus(c->conn) == CONNECTION_OK)
		return BURROW_OK;
	if (c->txn) {   /* the transaction died with the connection */
		keep_message(s, "connection lost inside a transaction");
		return BURROW_ERR_IO;
	}
	if (!c->resetting && now < c->retry_at) {
		snprintf(s->engmsg, sizeof(s->engmsg), "server unreachable; next try in %lld ms",
		    (long long)(c->retry_at - now));
		return BURROW_ERR_IO;
	}
	c->broken = 1;
	if ((rc = reset_step(s)) == 1) {
		snprintf(s->engmsg, sizeof(s->engmsg), "reconnecting to the server");
		return BURROW_ERR_IO;
	}
	if (rc != 0) {
		keep_message(s, PQstatus(c->conn) == CONNECTION_BAD && *PQerrorMessage(c->conn)
		    ? PQerrorMessage(c->conn) : "no answer from the server");
		back_off(c);
		return BURROW_ERR_IO;
	}
	PQsetNoticeProcessor(c->conn, quiet, NULL);
	c->broken = 0;
	c->backoff_ms = PG_BACKOFF_FIRST_MS;
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
	res = roundtrip(s, PQsendPrepare(c->conn, p->name, p->sql, p->nparams, NULL));
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		int rc = result_rc(s, res);
		PQclear(res);
		return rc != BURROW_OK ? rc : BURROW_ERR_IO;
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
	res = roundtrip(s, PQsendQueryPrepared(c->conn, p->name, p->nparams,
	    (const char *const *)p->values, p->lengths, p->formats, 0));
	if ((rc = result_rc(s, res)) != BURROW_OK) {
		PQclear(res);
		return rc;
	}
	st = PQresultStatus(res);
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
		quiet_rollback(s);
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
	if (rc == BURROW_ERR_IO && pc(s)->broken && !pc(s)->txn)
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
		if (!pc(s)->broken) {
			quiet_rollback(s);
			return rc;
		}
	}
	return rc;
}

static int
pg_commit(struct store *s)
{
	int rc = pg_exec(s, "COMMIT");

	pc(s)->txn = !pc(s)->broken && in_transaction(s);
	return rc;
}

static void
pg_rollback(struct store *s)
{
	quiet_rollback(s);
	pc(s)->txn = 0;
}

static int
pg_in_transaction(struct store *s)
{
	return pc(s)->txn || (!pc(s)->broken && in_transaction(s));
}

/* One integer from a query without parameters; -1 on failure. */
static int64_t
query_int(struct store *s, const char *sql)
{
	PGresult *res;
	int64_t v = -1;

	if (pc(s)->broken)
		return -1;
	if ((res = roundtrip(s, PQsendQuery(pc(s)->conn, sql))) == NULL)
		return -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
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
pg_listen_open(const char *target, int *fd)
{
	struct pg_listen *l = calloc(1, sizeof(*l));
	char err[256];
	PGresult *res;

	if (l == NULL)
		return NULL;
	/* On the reader's loop: a frozen server costs it one deadline per
	 * attempt (the watch backs off between them). */
	if ((l->conn = connect_to(target, PG_LISTEN_DEADLINE_MS, err, sizeof(err))) == NULL)
		goto fail;
	if (pg_io_wait(l->conn, PQsendQuery(l->conn, "LISTEN " PG_CHANNEL),
	    PG_LISTEN_DEADLINE_MS, &res) != 0 || res == NULL ||
	    PQresultStatus(res) != PGRES_COMMAND_OK) {
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
