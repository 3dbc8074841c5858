/*
 * store_target.h: where a store unit test keeps its stores, so the same
 * tests run on both engines.
 *
 * Without BURROW_TEST_PG, a store is the SQLite file DIR/NAME.  With
 * BURROW_TEST_PG=URL (tests/e2e/store_pg.sh sets it to a database on the
 * throw-away cluster it starts), a store is a schema of that database,
 * named after NAME and emptied first, reached through the URL with
 * search_path set to it.  Static functions: each test program includes it.
 */
#ifndef BURROW_TEST_STORE_TARGET_H
#define BURROW_TEST_STORE_TARGET_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

/* The cluster's database URL, or NULL when the tests run on SQLite. */
static inline const char *
test_pg_url(void)
{
	const char *url = getenv("BURROW_TEST_PG");

	return url != NULL && *url != '\0' ? url : NULL;
}

/* Runs sql on the store at target with the engine's own client; returns
 * the first column of the first row as an integer, 0 when there is none,
 * -1 on failure (e.g. no such table). */
static inline long
test_sql(const char *target, const char *sql)
{
	long n = -1;

	if (test_pg_url() != NULL) {
		PGconn *c = PQconnectdb(target);
		PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
		ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

		if (st == PGRES_TUPLES_OK)
			n = PQntuples(r) > 0 ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
		else if (st == PGRES_COMMAND_OK)
			n = 0;
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db = NULL;
		sqlite3_stmt *stmt = NULL;
		int rc;

		if (sqlite3_open_v2(target, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) == SQLITE_OK) {
			rc = sqlite3_step(stmt);
			n = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : rc == SQLITE_DONE ? 0 : -1;
		}
		sqlite3_finalize(stmt);
		sqlite3_close(db);
	}
	return n;
}

/* Fills out (size outsz) with the store called name for a test whose
 * temporary directory is dir; on PostgreSQL its schema is made empty.
 * Returns 0, or -1 if the cluster cannot be reached. */
static inline int
test_store_target(const char *dir, const char *name, char *out, size_t outsz)
{
	const char *url = test_pg_url();
	char schema[64], sql[256];
	size_t i, n = 0;

	if (url == NULL) {
		snprintf(out, outsz, "%s/%s", dir, name);
		return 0;
	}
	/* One schema per name and process: the tests that fork writers
	 * share the parent's. */
	n = (size_t)snprintf(schema, sizeof(schema), "t%ld_", (long)getpid());
	for (i = 0; name[i] != '\0' && n + 1 < sizeof(schema); i++)
		schema[n++] = isalnum((unsigned char)name[i]) ? (char)tolower((unsigned char)name[i]) : '_';
	schema[n] = '\0';
	snprintf(out, outsz, "%s%soptions=-csearch_path%%3D%s", url,
	    strchr(url, '?') != NULL ? "&" : "?", schema);
	snprintf(sql, sizeof(sql), "SET client_min_messages = warning; "
	    "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
	    schema, schema);
	{
		PGconn *c = PQconnectdb(url);
		PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
		int ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			fprintf(stderr, "# cannot reset %s: %s\n", schema, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return ok ? 0 : -1;
	}
}

/* Rows in table of the store at target, -1 if the table is missing. */
static inline int
test_count_rows(const char *target, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return (int)test_sql(target, sql);
}

/* Sets the store's recorded schema version (to test refusals). */
static inline long
test_set_schema_version(const char *target, int version)
{
	char sql[96];

	if (test_pg_url() != NULL)
		snprintf(sql, sizeof(sql), "UPDATE burrow_schema SET version = %d", version);
	else
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	return test_sql(target, sql);
}

#endif
