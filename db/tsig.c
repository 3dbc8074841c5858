/*
 * tsig.c: TSIG keys.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/base64.h"
#include "common/error.h"
#include "db/internal.h"
#include "db/store_tsig.h"

/* RFC 8945 section 6: a key at least as long as the HMAC output. */
#define TSIG_SECRET_BYTES 32

static void
tsig_from_row(struct db_stmt *stmt, struct store_tsig *k)
{
	store_column_text(stmt, 0, k->name, sizeof(k->name));
	store_column_text(stmt, 1, k->algorithm, sizeof(k->algorithm));
	store_column_text(stmt, 2, k->secret, sizeof(k->secret));
}

/* Key names are domain names; single-label ones ("transfer") are common in
 * NSD and Knot configurations, so they are accepted too. */
static int
canonical_key_name(const char *name, char out[NAMES_MAX + 1])
{
	char probe[NAMES_MAX + 1];
	size_t len;

	if (strchr(name, '.') != NULL)
		return names_canonical(name, 0, out);
	len = strlen(name);
	if (len == 0 || len > 63 || snprintf(probe, sizeof(probe), "%s.x", name) < 0 ||
	    names_canonical(probe, 0, out) != BURROW_OK)
		return BURROW_ERR_INVALID;
	out[len] = '\0';
	return BURROW_OK;
}

int
store_tsig_add(struct store *s, const char *name, struct store_tsig *out)
{
	static const char sql[] =
	    "INSERT INTO tsig_keys(name, algorithm, secret, created_at) VALUES (?, ?, ?, ?)";
	unsigned char raw[TSIG_SECRET_BYTES];
	struct store_tsig k;
	struct db_stmt *stmt;
	int rc;

	memset(&k, 0, sizeof(k));
	if (canonical_key_name(name, k.name) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "invalid key name '%s'", name);
	snprintf(k.algorithm, sizeof(k.algorithm), "hmac-sha256");
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return store_fail(s, BURROW_ERR_CRYPTO, "RAND_bytes failed");
	/* Standard base64 with padding, the form dig, NSD and Knot read. */
	rc = base64_encode(raw, sizeof(raw), k.secret, sizeof(k.secret), NULL);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (rc != BURROW_OK)
		return store_fail(s, rc, "TSIG secret does not fit");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, k.name);
	db_bind_text(stmt, 2, k.algorithm);
	db_bind_text(stmt, 3, k.secret);
	db_bind_int64(stmt, 4, (int64_t)time(NULL));
	if ((rc = store_step_done(s, stmt, "insert TSIG key")) != BURROW_OK)
		return rc == BURROW_ERR_EXISTS
		    ? store_fail(s, BURROW_ERR_EXISTS, "TSIG key %s already exists", k.name)
		    : rc;
	if (out != NULL)
		*out = k;
	OPENSSL_cleanse(&k, sizeof(k));
	return BURROW_OK;
}

int
store_tsig_get(struct store *s, const char *name, struct store_tsig *out)
{
	static const char sql[] =
	    "SELECT name, algorithm, secret FROM tsig_keys WHERE name = lower(?)";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, name);
	if ((rc = store_step_row(s, stmt, "read TSIG key", "no TSIG key %s", name)) != BURROW_OK)
		return rc;
	tsig_from_row(stmt, out);
	db_reset(stmt);
	return BURROW_OK;
}

/* Secondaries name their key (a foreign key): refuse with the way out
 * rather than a bare constraint error. */
static int
key_in_use(struct store *s, const char *name, int *used)
{
	static const char sql[] =
	    "SELECT count(*) FROM secondaries WHERE key_name = lower(?)";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, name);
	rc = db_step(stmt);
	*used = rc == DB_ROW ? db_column_int(stmt, 0) : 0;
	db_reset(stmt);
	return rc == DB_ROW ? BURROW_OK : store_sql_error(s, rc, "read secondaries");
}

int
store_tsig_remove(struct store *s, const char *name)
{
	static const char sql[] = "DELETE FROM tsig_keys WHERE name = lower(?)";
	struct db_stmt *stmt;
	int rc, used = 0;

	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = key_in_use(s, name, &used)) != BURROW_OK)
		goto out;
	if (used > 0) {
		rc = store_fail(s, BURROW_ERR_REFUSED, "TSIG key %s is used by %d secondary(ies); "
		    "remove them first ('burrow secondary list')", name, used);
		goto out;
	}
	if ((stmt = store_stmt(s, sql)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	db_bind_text(stmt, 1, name);
	rc = store_change_one(s, stmt, "delete TSIG key", "no TSIG key %s", name);
out:
	return store_end(s, rc);
}

struct tsig_walk {
	store_tsig_cb cb;
	void *ctx;
};

static int
tsig_row(struct db_stmt *stmt, void *arg)
{
	const struct tsig_walk *w = arg;
	struct store_tsig k;

	tsig_from_row(stmt, &k);
	return w->cb(&k, w->ctx);
}

int
store_tsig_list(struct store *s, store_tsig_cb cb, void *ctx)
{
	static const char sql[] = "SELECT name, algorithm, secret FROM tsig_keys ORDER BY name";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct tsig_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	return store_each_row(s, stmt, tsig_row, &w, "list TSIG keys");
}
