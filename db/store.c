/*
 * store.c: opening the store, migrations, statements and errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "db/internal.h"

/* Long enough to ride out another process's transaction, short enough that
 * a wedged writer is reported instead of hanging a daemon. */
#define STORE_BUSY_TIMEOUT_MS 5000

int
store_fail(struct store *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int
store_sql_error(struct store *s, int rc, const char *what)
{
	int ext = s->db != NULL ? sqlite3_extended_errcode(s->db) : rc;
	const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	int err = BURROW_ERR_IO;

	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		err = BURROW_ERR_EXISTS;
	else if ((ext & 0xff) == SQLITE_CONSTRAINT)
		err = BURROW_ERR_INVALID;
	else if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
		err = BURROW_ERR_BUSY;
	else if (rc == SQLITE_NOMEM)
		err = BURROW_ERR_NOMEM;
	return store_fail(s, err, "%s: %s", what, msg);
}

const char *
store_errmsg(const struct store *s)
{
	return s != NULL ? s->errmsg : "";
}

sqlite3_stmt *
store_stmt(struct store *s, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int i, rc;

	for (i = 0; i < s->nstmts; i++) {
		if (s->stmts[i].sql == sql) {
			sqlite3_reset(s->stmts[i].stmt);
			sqlite3_clear_bindings(s->stmts[i].stmt);
			return s->stmts[i].stmt;
		}
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (rc != SQLITE_OK) {
		store_sql_error(s, rc, "prepare");
		return NULL;
	}
	if (s->nstmts == STORE_STMT_MAX) {
		/* Not cached: the table is sized for every statement in db/. */
		sqlite3_finalize(stmt);
		store_fail(s, BURROW_ERR_NOMEM, "statement cache full");
		return NULL;
	}
	s->stmts[s->nstmts].sql = sql;
	s->stmts[s->nstmts].stmt = stmt;
	s->nstmts++;
	return stmt;
}

int
store_each_row(struct store *s, sqlite3_stmt *stmt, store_row_fn row, void *ctx,
               const char *what)
{
	int rc, ret = BURROW_OK;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if ((ret = row(stmt, ctx)) != 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_sql_error(s, rc, what);
	sqlite3_reset(stmt);
	return ret;
}

int
store_step_done(struct store *s, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? BURROW_OK : store_sql_error(s, rc, what);
}

int
store_change_one(struct store *s, sqlite3_stmt *stmt, const char *what,
                 const char *fmt, ...)
{
	va_list ap;
	int rc;

	if ((rc = store_step_done(s, stmt, what)) != BURROW_OK)
		return rc;
	if (sqlite3_changes(s->db) > 0)
		return BURROW_OK;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return BURROW_ERR_NOTFOUND;
}

int
store_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? BURROW_OK : store_sql_error(s, rc, sql);
}

int
store_begin(struct store *s)
{
	if (s->readonly)
		return store_fail(s, BURROW_ERR_INVALID, "store opened read-only");
	return store_exec(s, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *s)
{
	return store_exec(s, "COMMIT");
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_end(struct store *s, int rc)
{
	if (rc == BURROW_OK)
		rc = store_commit(s);
	if (rc != BURROW_OK)
		store_rollback(s);
	return rc;
}

void
store_column_text(sqlite3_stmt *stmt, int col, char *out, size_t outsz)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	snprintf(out, outsz, "%s", t != NULL ? (const char *)t : "");
}

int
store_scalar_int64(struct store *s, const char *sql, int64_t *out, const char *what)
{
	sqlite3_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? BURROW_OK : store_sql_error(s, rc, what);
}

char *
store_column_dup(sqlite3_stmt *stmt, int col)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);

	return strdup(t != NULL ? (const char *)t : "");
}

int
store_schema_latest(void)
{
	return (int)store_migration_count;
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt *stmt = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return version;
}

/* Applies migrations from the store's version up to target, each in its own
 * transaction together with its user_version bump, so a crash between two
 * leaves a consistent, resumable store. */
static int
migrate(struct store *s, int target)
{
	char bump[64];
	int version = store_schema_version(s), rc;

	if (version < 0)
		return store_fail(s, BURROW_ERR_IO, "cannot read schema version");
	if (version > (int)store_migration_count)
		return store_fail(s, BURROW_ERR_SCHEMA,
		    "store schema version %d is newer than this program's %zu",
		    version, store_migration_count);
	for (; version < target; version++) {
		if ((rc = store_begin(s)) != BURROW_OK)
			return rc;
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", version + 1);
		rc = store_exec(s, store_migrations[version]);
		if (rc == BURROW_OK)
			rc = store_exec(s, bump);
		if ((rc = store_end(s, rc)) != BURROW_OK)
			return rc;
	}
	return BURROW_OK;
}

static int
configure(struct store *s)
{
	int rc;

	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if ((rc = store_exec(s, "PRAGMA foreign_keys = ON")) != BURROW_OK)
		return rc;
	if (s->readonly)
		return BURROW_OK;
	/* WAL lets readers run beside the one writer; NORMAL sync in WAL mode
	 * still survives a process crash (only power loss can drop the tail). */
	if ((rc = store_exec(s, "PRAGMA journal_mode = WAL")) != BURROW_OK)
		return rc;
	return store_exec(s, "PRAGMA synchronous = NORMAL");
}

/* The store holds private keys (ACME account and certificate keys,
 * WireGuard keys, token secrets): create it readable by its owner only.
 * SQLite gives the -wal and -shm files the same mode. */
static int
create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno == EEXIST ? BURROW_OK : BURROW_ERR_IO;
	close(fd);
	return BURROW_OK;
}

/* The store and the files SQLite keeps beside it in WAL mode; each holds
 * rows of the store, private keys among them. */
static const char *const store_files[] = { "", "-wal", "-shm" };
#define STORE_NFILES (sizeof(store_files) / sizeof(store_files[0]))

/* Mode bits that let anyone but the owner reach a file. */
#define STORE_OPEN_BITS 077

/* The mode of path plus suffix into *mode; 0 if it exists, else -1. */
static int
file_mode(const char *path, const char *suffix, char *name, size_t namesz,
          mode_t *mode)
{
	struct stat st;

	if ((size_t)snprintf(name, namesz, "%s%s", path, suffix) >= namesz ||
	    stat(name, &st) != 0)
		return -1;
	*mode = st.st_mode & 07777;
	return 0;
}

/* A store copied by hand or restored from a backup may be readable by
 * others: opening it still works (refusing would take a node down), but the
 * operator hears of it.  One line per process: burrow-acme's workers each
 * open the store. */
static void
warn_if_exposed(const char *path)
{
	static atomic_flag warned = ATOMIC_FLAG_INIT;
	char name[PATH_MAX + 8];
	mode_t mode;
	size_t i;

	for (i = 0; i < STORE_NFILES; i++) {
		if (file_mode(path, store_files[i], name, sizeof(name), &mode) != 0 ||
		    (mode & STORE_OPEN_BITS) == 0)
			continue;
		if (!atomic_flag_test_and_set(&warned))
			log_warn("store %s is mode %04o: it holds private keys; run "
			    "'burrow init' to make it 0600", name, (unsigned)mode);
		return;
	}
}

int
store_make_private(const char *path, int *changed, unsigned *was)
{
	char name[PATH_MAX + 8];
	mode_t mode;
	size_t i;

	*changed = 0;
	*was = 0;
	if (file_mode(path, "", name, sizeof(name), &mode) != 0)
		return BURROW_ERR_NOTFOUND;
	for (i = 0; i < STORE_NFILES; i++) {
		if (file_mode(path, store_files[i], name, sizeof(name), &mode) != 0 ||
		    (mode & STORE_OPEN_BITS) == 0)
			continue;
		if (chmod(name, 0600) != 0)
			return BURROW_ERR_IO;
		(*changed)++;
		*was |= (unsigned)mode;
	}
	return BURROW_OK;
}

static int
open_at(const char *path, int flags, int target, struct store **out,
        char *errmsg, size_t errsz)
{
	struct store *s;
	struct stat st;
	int oflags, rc;

	*out = NULL;
	if (stat(path, &st) != 0) {
		if (!(flags & STORE_CREATE)) {
			if (errmsg != NULL)
				snprintf(errmsg, errsz, "no store at %s (run 'burrow init' first)", path);
			return BURROW_ERR_NOTFOUND;
		}
		if ((rc = create_private(path)) != BURROW_OK) {
			if (errmsg != NULL)
				snprintf(errmsg, errsz, "cannot create %s: %s", path, strerror(errno));
			return rc;
		}
	} else {
		warn_if_exposed(path);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return BURROW_ERR_NOMEM;
	s->readonly = (flags & STORE_READONLY) != 0;
	oflags = SQLITE_OPEN_NOMUTEX |
	    (s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	    ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		rc = store_sql_error(s, rc, path);
		goto fail;
	}
	if ((rc = configure(s)) != BURROW_OK)
		goto fail;
	if (s->readonly) {
		int version = store_schema_version(s);
		if (version > (int)store_migration_count)
			rc = store_fail(s, BURROW_ERR_SCHEMA,
			    "store schema version %d is newer than this program's %zu",
			    version, store_migration_count);
		else if (version < (int)store_migration_count)
			rc = store_fail(s, BURROW_ERR_SCHEMA,
			    "store schema version %d is older than %zu: run 'burrow init'",
			    version, store_migration_count);
	} else {
		rc = migrate(s, target);
	}
	if (rc != BURROW_OK)
		goto fail;
	*out = s;
	return BURROW_OK;
fail:
	if (errmsg != NULL)
		snprintf(errmsg, errsz, "%s: %s", path, s->errmsg);
	store_close(s);
	return rc;
}

int
store_open(const char *path, int flags, struct store **out, char *errmsg, size_t errsz)
{
	return open_at(path, flags, (int)store_migration_count, out, errmsg, errsz);
}

int
store_open_at_version(const char *path, int version, struct store **out)
{
	if (version < 0 || version > (int)store_migration_count)
		return BURROW_ERR_INVALID;
	return open_at(path, STORE_CREATE, version, out, NULL, 0);
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nstmts; i++)
		sqlite3_finalize(s->stmts[i].stmt);
	sqlite3_close(s->db);
	free(s);
}
