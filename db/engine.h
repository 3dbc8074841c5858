/*
 * engine.h: the SQL engine under the store, in the manner of PowerDNS's
 * generic SQL backend: the typed store_* functions of db/ are written once
 * over this small interface, implemented once for SQLite (engine_sqlite.c)
 * and once for PostgreSQL through libpq (engine_pg.c).  Nothing outside db/
 * includes it.
 *
 * SQL text is shared: statements use SQLite's placeholders (? and ?N) and
 * the PostgreSQL engine renumbers them to $N when it prepares.  Only the
 * schema (db/schema/ENGINE/) differs per engine; times are computed in C
 * and bound, so no statement needs an engine's time function.
 */
#ifndef BURROW_DB_ENGINE_H
#define BURROW_DB_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct db_engine;

/* What db_step() returns besides a negative Burrow code. */
#define DB_ROW 100
#define DB_DONE 101

/* A prepared statement; each engine embeds this as its first member. */
struct db_stmt {
	const struct db_engine *eng;
	struct store *s;
};

struct db_engine {
	const char *name;
	/* Connects s to target (a path or a connection string); on failure
	 * the reason is in s->errmsg.  Creating a missing SQLite file is the
	 * caller's (store.c). */
	int (*open)(struct store *s, const char *target, int flags);
	void (*close)(struct store *s);
	/* *out is owned by s's statement cache (store_stmt()). */
	int (*prepare)(struct store *s, const char *sql, struct db_stmt **out);
	void (*finalize)(struct db_stmt *st);
	/* Ends the statement's rows and clears its bindings. */
	void (*reset)(struct db_stmt *st);
	/* Bindings are copied: the caller's buffers may go at once.  i from 1. */
	void (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	void (*bind_text)(struct db_stmt *st, int i, const char *v);
	void (*bind_blob)(struct db_stmt *st, int i, const void *p, size_t n);
	void (*bind_null)(struct db_stmt *st, int i);
	/* DB_ROW, DB_DONE, or a Burrow code with the engine's message kept
	 * for store_sql_error(). */
	int (*step)(struct db_stmt *st);
	int64_t (*column_int64)(struct db_stmt *st, int col);
	/* NULL for SQL NULL; valid until the next step or reset. */
	const char *(*column_text)(struct db_stmt *st, int col);
	/* Length of a blob column, *p its bytes (valid as for column_text). */
	size_t (*column_blob)(struct db_stmt *st, int col, const void **p);
	int (*column_null)(struct db_stmt *st, int col);
	/* Rows the last INSERT, UPDATE or DELETE touched. */
	int64_t (*changes)(struct store *s);
	/* Runs sql, one or more statements without parameters or rows. */
	int (*exec)(struct store *s, const char *sql);
	/* A write transaction: it holds the store's one writer lock from its
	 * start (SQLite's BEGIN IMMEDIATE; PostgreSQL's advisory lock). */
	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	void (*rollback)(struct store *s);
	int (*in_transaction)(struct store *s);
	/* The schema version recorded in the store, -1 if unreadable; the
	 * setter runs inside the migration's transaction. */
	int (*schema_version)(struct store *s);
	int (*set_schema_version)(struct store *s, int version);
	/* A second connection to target that waits for the change log's
	 * notifications (LISTEN): its socket in *fd, readable when one may
	 * have come; NULL if it cannot be made now.  The member is NULL where
	 * the engine has none (SQLite: the watch uses inotify). */
	void *(*listen_open)(const char *target, int *fd);
	/* Reads what came: 1 if a notification did, 0 if not, BURROW_ERR_IO
	 * when the connection is lost (close it and open another). */
	int (*listen_drain)(void *l);
	void (*listen_close)(void *l);
	/* Copies the write-ahead log into the database without blocking
	 * (store_checkpoint()); NULL where the server does it (PostgreSQL). */
	int (*checkpoint)(struct store *s, int *log_frames, int *copied);
	/* Migrations: element i upgrades version i to i + 1. */
	const char *const *migrations;
	const size_t *nmigrations;
};

extern const struct db_engine db_engine_sqlite;
extern const struct db_engine db_engine_pg;

/* The engine a store string names: PostgreSQL for postgresql:// and
 * postgres:// URIs and libpq key=value strings, SQLite for anything else
 * (a path). */
const struct db_engine *db_engine_for(const char *target);

static inline void
db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	st->eng->bind_int64(st, i, v);
}

static inline void
db_bind_text(struct db_stmt *st, int i, const char *v)
{
	st->eng->bind_text(st, i, v);
}

static inline void
db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	st->eng->bind_blob(st, i, p, n);
}

static inline void
db_bind_null(struct db_stmt *st, int i)
{
	st->eng->bind_null(st, i);
}

static inline int
db_step(struct db_stmt *st)
{
	return st->eng->step(st);
}

static inline void
db_reset(struct db_stmt *st)
{
	st->eng->reset(st);
}

static inline int64_t
db_column_int64(struct db_stmt *st, int col)
{
	return st->eng->column_int64(st, col);
}

static inline int
db_column_int(struct db_stmt *st, int col)
{
	return (int)st->eng->column_int64(st, col);
}

static inline const char *
db_column_text(struct db_stmt *st, int col)
{
	return st->eng->column_text(st, col);
}

static inline size_t
db_column_blob(struct db_stmt *st, int col, const void **p)
{
	return st->eng->column_blob(st, col, p);
}

static inline int
db_column_null(struct db_stmt *st, int col)
{
	return st->eng->column_null(st, col);
}

#endif
