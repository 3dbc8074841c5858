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

const struct db_engine *
db_engine_for(const char *target)
{
	size_t n = strspn(target, "abcdefghijklmnopqrstuvwxyz_");

	if (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0)
		return &db_engine_pg;
	/* A libpq key=value string ("host=db1 dbname=burrow") starts with a
	 * keyword and '='; a store path never does in practice (a relative
	 * file named so can be given as ./name). */
	if (n > 0 && target[n] == '=')
		return &db_engine_pg;
	return &db_engine_sqlite;
}

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
	return store_fail(s, rc < 0 ? rc : BURROW_ERR_IO, "%s: %s", what,
	    s->engmsg[0] != '\0' ? s->engmsg : "failed");
}

const char *
store_errmsg(const struct store *s)
{
	return s != NULL ? s->errmsg : "";
}

struct db_stmt *
store_stmt(struct store *s, const char *sql)
{
	struct db_stmt *stmt = NULL;
	int i, rc;

	for (i = 0; i < s->nstmts; i++) {
		if (s->stmts[i].sql == sql) {
			db_reset(s->stmts[i].stmt);
			return s->stmts[i].stmt;
		}
	}
	if (s->nstmts == STORE_STMT_MAX) {
		/* The table is sized for every statement in db/. */
		store_fail(s, BURROW_ERR_NOMEM, "statement cache full");
		return NULL;
	}
	if ((rc = s->eng->prepare(s, sql, &stmt)) != BURROW_OK) {
		store_sql_error(s, rc, "prepare");
		return NULL;
	}
	s->stmts[s->nstmts].sql = sql;
	s->stmts[s->nstmts].stmt = stmt;
	s->nstmts++;
	return stmt;
}

int
store_each_row(struct store *s, struct db_stmt *stmt, store_row_fn row, void *ctx,
               const char *what)
{
	int rc, ret = BURROW_OK;

	while ((rc = db_step(stmt)) == DB_ROW)
		if ((ret = row(stmt, ctx)) != 0)
			break;
	if (rc != DB_ROW && rc != DB_DONE)
		ret = store_sql_error(s, rc, what);
	db_reset(stmt);
	return ret;
}

int
store_step_row(struct store *s, struct db_stmt *stmt, const char *what, const char *fmt, ...)
{
	va_list ap;
	int rc = db_step(stmt);

	if (rc == DB_ROW)
		return BURROW_OK;
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_sql_error(s, rc, what);
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return BURROW_ERR_NOTFOUND;
}

int
store_step_done(struct store *s, struct db_stmt *stmt, const char *what)
{
	int rc = db_step(stmt);

	db_reset(stmt);
	return rc == DB_DONE ? BURROW_OK : store_sql_error(s, rc, what);
}

int
store_step_id(struct store *s, struct db_stmt *stmt, const char *what, int64_t *id)
{
	int rc = db_step(stmt);

	if (rc == DB_ROW)
		*id = db_column_int64(stmt, 0);
	db_reset(stmt);
	return rc == DB_ROW ? BURROW_OK : store_sql_error(s, rc == DB_DONE ? BURROW_ERR_IO : rc, what);
}

int
store_change_one(struct store *s, struct db_stmt *stmt, const char *what,
                 const char *fmt, ...)
{
	va_list ap;
	int rc;

	if ((rc = store_step_done(s, stmt, what)) != BURROW_OK)
		return rc;
	if (s->eng->changes(s) > 0)
		return BURROW_OK;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return BURROW_ERR_NOTFOUND;
}

int
store_exec(struct store *s, const char *sql)
{
	int rc = s->eng->exec(s, sql);

	return rc == BURROW_OK ? BURROW_OK : store_sql_error(s, rc, sql);
}

int
store_begin(struct store *s)
{
	int rc;

	if (s->readonly)
		return store_fail(s, BURROW_ERR_INVALID, "store opened read-only");
	rc = s->eng->begin(s);
	return rc == BURROW_OK ? BURROW_OK : store_sql_error(s, rc, "begin");
}

int
store_commit(struct store *s)
{
	int rc = s->eng->commit(s);

	return rc == BURROW_OK ? BURROW_OK : store_sql_error(s, rc, "commit");
}

void
store_rollback(struct store *s)
{
	if (s->eng->in_transaction(s))
		s->eng->rollback(s);
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
store_column_text(struct db_stmt *stmt, int col, char *out, size_t outsz)
{
	const char *t = db_column_text(stmt, col);
	size_t n;

	/* Truncates as snprintf would, without its formatting cost: a full
	 * load copies a million rows' columns through here. */
	if (outsz == 0)
		return;
	n = t != NULL ? strnlen(t, outsz - 1) : 0;
	memcpy(out, t != NULL ? t : "", n);
	out[n] = '\0';
}

int
store_scalar_int64(struct store *s, const char *sql, int64_t *out, const char *what)
{
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	rc = db_step(stmt);
	if (rc == DB_ROW)
		*out = db_column_int64(stmt, 0);
	db_reset(stmt);
	return rc == DB_ROW ? BURROW_OK : store_sql_error(s, rc, what);
}

char *
store_column_dup(struct db_stmt *stmt, int col)
{
	const char *t = db_column_text(stmt, col);

	return strdup(t != NULL ? t : "");
}

int
store_schema_latest(void)
{
	/* Both engines carry the same versions (the Makefile checks). */
	return (int)store_migration_count_sqlite;
}

int
store_schema_version(struct store *s)
{
	return s->eng->schema_version(s);
}

/* Applies migrations from the store's version up to target, each in its own
 * transaction together with its version bump, so a crash between two
 * leaves a consistent, resumable store.  The version is read inside the
 * transaction, under the store's writer lock: two processes opening a
 * PostgreSQL store at once apply each migration once. */
static int
migrate(struct store *s, int target)
{
	int version = store_schema_version(s), rc;

	if (version >= 0 && version >= target && version <= store_schema_latest())
		return BURROW_OK;   /* the common case takes no writer lock */
	for (;;) {
		if ((rc = store_begin(s)) != BURROW_OK)
			return rc;
		if ((version = store_schema_version(s)) < 0)
			rc = store_fail(s, BURROW_ERR_IO, "cannot read schema version");
		else if (version > store_schema_latest())
			rc = store_fail(s, BURROW_ERR_SCHEMA,
			    "store schema version %d is newer than this program's %d",
			    version, store_schema_latest());
		if (rc != BURROW_OK || version >= target) {
			store_rollback(s);
			return rc;
		}
		rc = store_exec(s, s->eng->migrations[version]);
		if (rc == BURROW_OK && (rc = s->eng->set_schema_version(s, version + 1)) != BURROW_OK)
			rc = store_sql_error(s, rc, "record schema version");
		if ((rc = store_end(s, rc)) != BURROW_OK)
			return rc;
	}
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

/* The file of a SQLite store: made owner-only if new, reported if exposed. */
static int
prepare_file(const char *path, int flags, char *errmsg, size_t errsz)
{
	struct stat st;
	int rc;

	if (stat(path, &st) == 0) {
		warn_if_exposed(path);
		return BURROW_OK;
	}
	if (!(flags & STORE_CREATE)) {
		if (errmsg != NULL)
			snprintf(errmsg, errsz, "no store at %s (run 'burrow init' first)", path);
		return BURROW_ERR_NOTFOUND;
	}
	if ((rc = create_private(path)) != BURROW_OK && errmsg != NULL)
		snprintf(errmsg, errsz, "cannot create %s: %s", path, strerror(errno));
	return rc;
}

/* A reader does not migrate: the store must already be this version. */
static int
check_version(struct store *s)
{
	int version = store_schema_version(s), latest = store_schema_latest();

	if (version > latest)
		return store_fail(s, BURROW_ERR_SCHEMA,
		    "store schema version %d is newer than this program's %d", version, latest);
	if (version < latest)
		return store_fail(s, BURROW_ERR_SCHEMA,
		    "store schema version %d is older than %d: run 'burrow init'", version, latest);
	return BURROW_OK;
}

/* How errors name the store: a connection string may hold a password. */
static const char *
display_name(const struct store *s, const char *target)
{
	return s->eng == &db_engine_sqlite ? target : "PostgreSQL store";
}

static int
open_at(const char *target, int flags, int target_version, struct store **out,
        char *errmsg, size_t errsz)
{
	const struct db_engine *eng = db_engine_for(target);
	struct store *s;
	int rc;

	*out = NULL;
	if (strlen(target) >= STORE_TARGET_MAX) {
		if (errmsg != NULL)
			snprintf(errmsg, errsz, "store name too long");
		return BURROW_ERR_INVALID;
	}
	if (eng == &db_engine_sqlite &&
	    (rc = prepare_file(target, flags, errmsg, errsz)) != BURROW_OK)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return BURROW_ERR_NOMEM;
	s->eng = eng;
	s->readonly = (flags & STORE_READONLY) != 0;
	snprintf(s->target, sizeof(s->target), "%s", target);
	if ((rc = eng->open(s, target, flags)) != BURROW_OK) {
		store_sql_error(s, rc, "open");
		goto fail;
	}
	/* A PostgreSQL database exists before Burrow does: without
	 * STORE_CREATE, one without our schema is "no store", as a missing
	 * file is. */
	if (eng != &db_engine_sqlite && !(flags & STORE_CREATE) && store_schema_version(s) == 0) {
		rc = store_fail(s, BURROW_ERR_NOTFOUND,
		    "no Burrow schema in this database (run 'burrow init' first)");
		goto fail;
	}
	rc = s->readonly ? check_version(s) : migrate(s, target_version);
	if (rc != BURROW_OK)
		goto fail;
	*out = s;
	return BURROW_OK;
fail:
	if (errmsg != NULL)
		snprintf(errmsg, errsz, "%s: %s", display_name(s, target), s->errmsg);
	store_close(s);
	return rc;
}

int
store_open(const char *path, int flags, struct store **out, char *errmsg, size_t errsz)
{
	return open_at(path, flags, store_schema_latest(), out, errmsg, errsz);
}

int
store_open_at_version(const char *path, int version, struct store **out)
{
	if (version < 0 || version > store_schema_latest())
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
		s->eng->finalize(s->stmts[i].stmt);
	if (s->conn != NULL)
		s->eng->close(s);
	free(s);
}
