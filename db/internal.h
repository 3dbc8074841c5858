/*
 * internal.h: what the files of db/ share; nothing outside db/ includes it.
 */
#ifndef BURROW_DB_INTERNAL_H
#define BURROW_DB_INTERNAL_H

#include "db/engine.h"
#include "db/store.h"

#define STORE_STMT_MAX 128
#define STORE_TARGET_MAX 1024

struct store {
	const struct db_engine *eng;
	void *conn;                 /* the engine's connection */
	char target[STORE_TARGET_MAX]; /* the path or connection string opened */
	int readonly;
	char errmsg[512];
	char engmsg[384];           /* the engine's text for its last failure */
	/* Statements prepared once, looked up by the address of their SQL text
	 * (each is a static string next to the function that runs it). */
	struct {
		const char *sql;
		struct db_stmt *stmt;
	} stmts[STORE_STMT_MAX];
	int nstmts;
};

/* The prepared statement for sql, reset and with bindings cleared; NULL on
 * failure (errmsg set).  Owned by s: callers db_reset() it when done so
 * no read snapshot stays open. */
struct db_stmt *store_stmt(struct store *s, const char *sql);

/* "Read one row or NOTFOUND": steps stmt (bound by the caller) to its
 * first row.  BURROW_OK leaves the row current for the caller to read,
 * who then db_reset()s stmt; no row fails with BURROW_ERR_NOTFOUND and the
 * message fmt, a step error with a Burrow code naming what (stmt reset
 * in both cases). */
int store_step_row(struct store *s, struct db_stmt *stmt, const char *what,
                   const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Writers take the write lock up front
 * so two processes never deadlock upgrading a read lock. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Ends the transaction store_begin() opened: commits if rc is BURROW_OK,
 * else rolls back.  Returns rc, or the commit's error (rolled back too), so
 * a writer has one exit: "out: return store_end(s, rc);". */
int store_end(struct store *s, int rc);

/* Records a message for store_errmsg() and returns err. */
int store_fail(struct store *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records what failed with the engine's message for a failed call whose
 * Burrow code is rc (as the engine mapped it: unique violations
 * BURROW_ERR_EXISTS, other constraints BURROW_ERR_INVALID, lock timeouts,
 * serialization failures and deadlocks BURROW_ERR_BUSY, which a caller may
 * retry, the rest BURROW_ERR_IO) and returns rc. */
int store_sql_error(struct store *s, int rc, const char *what);

/* Copies column col of stmt as text into out (size outsz), "" for NULL. */
void store_column_text(struct db_stmt *stmt, int col, char *out, size_t outsz);

/* Steps stmt (bound by the caller) and calls row(stmt, ctx) for each row
 * until it returns non-zero, which is returned; resets stmt.  A step error
 * becomes a Burrow code with what naming the operation. */
typedef int (*store_row_fn)(struct db_stmt *stmt, void *ctx);
int store_each_row(struct store *s, struct db_stmt *stmt, store_row_fn row, void *ctx,
                   const char *what);

/* Steps an INSERT, UPDATE or DELETE (bound by the caller) that returns no
 * rows and resets it; a failed step becomes a Burrow code via
 * store_sql_error() with what naming the operation. */
int store_step_done(struct store *s, struct db_stmt *stmt, const char *what);

/* Steps an INSERT ... RETURNING id (bound by the caller) into *id and
 * resets it; errors as store_step_done(). */
int store_step_id(struct store *s, struct db_stmt *stmt, const char *what, int64_t *id);

/* store_step_done(), then, if the statement touched no row, fails with
 * BURROW_ERR_NOTFOUND and the message fmt. */
int store_change_one(struct store *s, struct db_stmt *stmt, const char *what,
                     const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Runs sql, a query without parameters returning one integer (e.g. a
 * max(seq)), into *out.  Errors as store_sql_error() with what. */
int store_scalar_int64(struct store *s, const char *sql, int64_t *out, const char *what);

/* A new copy of column col as text ("" for NULL), freed by the caller;
 * NULL when out of memory. */
char *store_column_dup(struct db_stmt *stmt, int col);

/* Runs a one-shot statement that takes no parameters and returns no rows. */
int store_exec(struct store *s, const char *sql);

/* The zone row behind a SELECT of STORE_ZONE_COLUMNS starting at column 0.
 * The serial is the newest change that is zone content: renewals (op
 * 'lease', schema version 7) are not (the changes_serial index serves it). */
#define STORE_ZONE_COLUMNS \
	"z.id, z.name, z.kind, z.workspace, z.state, z.reason, z.checked_at, " \
	"z.ttl, z.soa_mname, z.soa_rname, z.soa_refresh, z.soa_retry, " \
	"z.soa_expire, z.soa_minimum, z.created_at, " \
	"coalesce((SELECT max(m) FROM (" \
	"SELECT max(seq) AS m FROM changes c WHERE c.zone_id = z.id AND c.op <> 'lease' " \
	"UNION ALL SELECT max(seq) FROM changes c WHERE c.zone_id IS NULL AND c.op <> 'lease'" \
	") AS serials), 0)"
void store_zone_from_row(struct db_stmt *stmt, struct store_zone *z);

/* Inserts certificate c for zone_id inside the caller's transaction and
 * sets c->id and c->zone_id (certs.c; store_cert_add and the ACME order's
 * completion share it so the row is written one way). */
struct store_cert;
int store_cert_insert(struct store *s, int64_t zone_id, struct store_cert *c);

/* Migrations generated from the .sql files in db/schema/ENGINE; both
 * engines have the same versions. */
extern const char *const store_migrations_sqlite[];
extern const size_t store_migration_count_sqlite;
extern const char *const store_migrations_postgresql[];
extern const size_t store_migration_count_postgresql;

#endif
