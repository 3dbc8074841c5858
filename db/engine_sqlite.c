/*
 * engine_sqlite.c: the store's engine for one SQLite file (engine.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "common/error.h"
#include "db/internal.h"

/* Long enough to ride out another process's transaction, short enough that
 * a wedged writer is reported instead of hanging a daemon. */
#define SQLITE_BUSY_TIMEOUT_MS 5000

struct lite_stmt {
	struct db_stmt base;
	sqlite3_stmt *stmt;
};

static sqlite3 *
db_of(struct store *s)
{
	return s->conn;
}

static sqlite3_stmt *
raw(struct db_stmt *st)
{
	return ((struct lite_stmt *)st)->stmt;
}

/* Keeps the engine's message for rc and maps it to a Burrow code. */
static int
lite_error(struct store *s, int rc)
{
	int ext = db_of(s) != NULL ? sqlite3_extended_errcode(db_of(s)) : rc;
	const char *msg = db_of(s) != NULL ? sqlite3_errmsg(db_of(s)) : sqlite3_errstr(rc);

	snprintf(s->engmsg, sizeof(s->engmsg), "%s", msg);
	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return BURROW_ERR_EXISTS;
	if ((ext & 0xff) == SQLITE_CONSTRAINT)
		return BURROW_ERR_INVALID;
	if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
		return BURROW_ERR_BUSY;
	if (rc == SQLITE_NOMEM)
		return BURROW_ERR_NOMEM;
	return BURROW_ERR_IO;
}

static int
lite_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(db_of(s), sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? BURROW_OK : lite_error(s, rc);
}

/* SQLite's own hook checkpoints once the log has this many frames; ours
 * replaces it (sqlite3_wal_hook), so it does the same. */
#define LITE_AUTOCHECKPOINT_FRAMES 1000

/* Runs after every commit of a writer, once readers can see it: touches
 * the -wal's times, which readers watching the store's directory get as
 * IN_ATTRIB (db/watch.c).  The -wal writes of a commit wake them too, but
 * before it is visible, and a writer that stays open (burrow-api) never
 * closes the file to say it is done.  Best effort: a reader that misses
 * it rechecks and polls. */
static int
wal_committed(void *arg, sqlite3 *db, const char *schema, int frames)
{
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db, schema));

	(void)arg;
	if (wal != NULL && wal[0] != '\0')
		(void)utimensat(AT_FDCWD, wal, NULL, 0);
	if (frames >= LITE_AUTOCHECKPOINT_FRAMES)
		sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

static int
configure(struct store *s)
{
	int rc;

	sqlite3_busy_timeout(db_of(s), SQLITE_BUSY_TIMEOUT_MS);
	if ((rc = lite_exec(s, "PRAGMA foreign_keys = ON")) != BURROW_OK)
		return rc;
	if (s->readonly)
		return BURROW_OK;
	/* WAL lets readers run beside the one writer; NORMAL sync in WAL mode
	 * still survives a process crash (only power loss can drop the tail). */
	if ((rc = lite_exec(s, "PRAGMA journal_mode = WAL")) != BURROW_OK)
		return rc;
	sqlite3_wal_hook(db_of(s), wal_committed, NULL);
	return lite_exec(s, "PRAGMA synchronous = NORMAL");
}

static int
lite_open(struct store *s, const char *path, int flags)
{
	sqlite3 *db = NULL;
	int oflags = SQLITE_OPEN_NOMUTEX |
	    (s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	    ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, &db, oflags, NULL);

	s->conn = db;
	if (rc != SQLITE_OK)
		return lite_error(s, rc);
	return configure(s);
}

static void
lite_close(struct store *s)
{
	sqlite3_close(db_of(s));
	s->conn = NULL;
}

static int
lite_prepare(struct store *s, const char *sql, struct db_stmt **out)
{
	struct lite_stmt *st;
	int rc;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return BURROW_ERR_NOMEM;
	rc = sqlite3_prepare_v3(db_of(s), sql, -1, SQLITE_PREPARE_PERSISTENT, &st->stmt, NULL);
	if (rc != SQLITE_OK) {
		free(st);
		return lite_error(s, rc);
	}
	st->base.eng = &db_engine_sqlite;
	st->base.s = s;
	*out = &st->base;
	return BURROW_OK;
}

static void
lite_finalize(struct db_stmt *st)
{
	sqlite3_finalize(raw(st));
	free(st);
}

static void
lite_reset(struct db_stmt *st)
{
	sqlite3_reset(raw(st));
	sqlite3_clear_bindings(raw(st));
}

static void
lite_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(raw(st), i, v);
}

static void
lite_bind_text(struct db_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(raw(st), i);
	else
		sqlite3_bind_text(raw(st), i, v, -1, SQLITE_TRANSIENT);
}

static void
lite_bind_blob(struct db_stmt *st, int i, const void *p, size_t n)
{
	sqlite3_bind_blob64(raw(st), i, p, n, SQLITE_TRANSIENT);
}

static void
lite_bind_null(struct db_stmt *st, int i)
{
	sqlite3_bind_null(raw(st), i);
}

static int
lite_step(struct db_stmt *st)
{
	int rc = sqlite3_step(raw(st));

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	return lite_error(st->s, rc);
}

static int64_t
lite_column_int64(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(raw(st), col);
}

static const char *
lite_column_text(struct db_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(raw(st), col);
}

static size_t
lite_column_blob(struct db_stmt *st, int col, const void **p)
{
	*p = sqlite3_column_blob(raw(st), col);
	return (size_t)sqlite3_column_bytes(raw(st), col);
}

static int
lite_column_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(raw(st), col) == SQLITE_NULL;
}

static int64_t
lite_changes(struct store *s)
{
	return sqlite3_changes64(db_of(s));
}

/* Writers take the write lock up front so two processes never deadlock
 * upgrading a read lock. */
static int
lite_begin(struct store *s)
{
	return lite_exec(s, "BEGIN IMMEDIATE");
}

static int
lite_commit(struct store *s)
{
	return lite_exec(s, "COMMIT");
}

static void
lite_rollback(struct store *s)
{
	sqlite3_exec(db_of(s), "ROLLBACK", NULL, NULL, NULL);
}

static int
lite_in_transaction(struct store *s)
{
	return !sqlite3_get_autocommit(db_of(s));
}

static int
lite_schema_version(struct store *s)
{
	sqlite3_stmt *stmt = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(db_of(s), "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return version;
}

static int
lite_set_schema_version(struct store *s, int version)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	return lite_exec(s, sql);
}

/* A passive checkpoint: another checkpoint running at the same moment is
 * not a failure. */
static int
lite_checkpoint(struct store *s, int *log_frames, int *copied)
{
	int rc = sqlite3_wal_checkpoint_v2(db_of(s), NULL, SQLITE_CHECKPOINT_PASSIVE, log_frames,
	    copied);

	return rc == SQLITE_OK || rc == SQLITE_BUSY ? BURROW_OK : lite_error(s, rc);
}

const struct db_engine db_engine_sqlite = {
	.name = "sqlite",
	.open = lite_open,
	.close = lite_close,
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.bind_int64 = lite_bind_int64,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.bind_null = lite_bind_null,
	.step = lite_step,
	.column_int64 = lite_column_int64,
	.column_text = lite_column_text,
	.column_blob = lite_column_blob,
	.column_null = lite_column_null,
	.changes = lite_changes,
	.exec = lite_exec,
	.begin = lite_begin,
	.commit = lite_commit,
	.rollback = lite_rollback,
	.in_transaction = lite_in_transaction,
	.schema_version = lite_schema_version,
	.set_schema_version = lite_set_schema_version,
	.checkpoint = lite_checkpoint,
	.migrations = store_migrations_sqlite,
	.nmigrations = &store_migration_count_sqlite,
};
