/*
 * settings.c: small key/value settings (tcp port range, ...).
 */
#include <stdio.h>

#include "common/error.h"
#include "db/internal.h"

int
store_setting_get(struct store *s, const char *key, const char *def,
                  char *out, size_t outsz)
{
	static const char sql[] = "SELECT value FROM settings WHERE key = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, key);
	rc = db_step(stmt);
	if (rc == DB_ROW)
		store_column_text(stmt, 0, out, outsz);
	else
		snprintf(out, outsz, "%s", def != NULL ? def : "");
	db_reset(stmt);
	return rc == DB_ROW || rc == DB_DONE ? BURROW_OK
	    : store_sql_error(s, rc, "read setting");
}

int
store_setting_set(struct store *s, const char *key, const char *value)
{
	static const char sql[] =
	    "INSERT INTO settings(key, value) VALUES (?, ?) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, key);
	db_bind_text(stmt, 2, value);
	return store_step_done(s, stmt, "write setting");
}
