/*
 * secrets.c: connect-token signing keys (see store_secret.h).
 */
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/error.h"
#include "common/names.h"
#include "db/internal.h"
#include "db/store_secret.h"

#define SECRET_COLUMNS "id, key_id, secret, created_at, retired_at"

static void
secret_from_row(struct db_stmt *stmt, struct store_secret *k)
{
	const void *p;
	size_t n = db_column_blob(stmt, 2, &p);

	memset(k, 0, sizeof(*k));
	k->id = db_column_int64(stmt, 0);
	store_column_text(stmt, 1, k->key_id, sizeof(k->key_id));
	if (n > STORE_SECRET_MAX)
		n = STORE_SECRET_MAX;
	if (n > 0)
		memcpy(k->secret, p, n);
	k->len = n;
	k->created_at = db_column_int64(stmt, 3);
	k->retired_at = db_column_int64(stmt, 4);
}

int
store_secret_current(struct store *s, const char *purpose, struct store_secret *out)
{
	static const char sql[] =
	    "SELECT " SECRET_COLUMNS " FROM secrets WHERE purpose = ? AND retired_at = 0 "
	    "ORDER BY id DESC LIMIT 1";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, purpose);
	if ((rc = store_step_row(s, stmt, "read secret", "no %s key", purpose)) != BURROW_OK)
		return rc;
	secret_from_row(stmt, out);
	db_reset(stmt);
	return BURROW_OK;
}

/* Inserts a fresh key; inside the caller's transaction. */
static int
insert_key(struct store *s, const char *purpose)
{
	static const char sql[] =
	    "INSERT INTO secrets(purpose, key_id, secret, created_at) VALUES (?, ?, ?, ?)";
	unsigned char secret[STORE_SECRET_LEN];
	char label[NAMES_LABEL_LEN + 1];
	struct db_stmt *stmt;

	/* The key id is public (it travels in tokens); a random label keeps
	 * ids unique across stores without a counter. */
	if (names_random_label(label) != BURROW_OK || RAND_bytes(secret, sizeof(secret)) != 1)
		return store_fail(s, BURROW_ERR_CRYPTO, "RAND_bytes failed");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, purpose);
	db_bind_text(stmt, 2, label);
	db_bind_blob(stmt, 3, secret, sizeof(secret));
	db_bind_int64(stmt, 4, (int64_t)time(NULL));
	return store_step_done(s, stmt, "insert secret");
}

static int
add_key(struct store *s, const char *purpose, int only_if_none, struct store_secret *out)
{
	int rc;

	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	rc = store_secret_current(s, purpose, out);
	/* Ensuring keeps the key in use; rotating, or a purpose without a key
	 * yet, adds one. */
	if (rc == BURROW_ERR_NOTFOUND || (rc == BURROW_OK && !only_if_none)) {
		if ((rc = insert_key(s, purpose)) == BURROW_OK)
			rc = store_secret_current(s, purpose, out);
	}
	return store_end(s, rc);
}

int
store_secret_ensure(struct store *s, const char *purpose, struct store_secret *out)
{
	return add_key(s, purpose, 1, out);
}

int
store_secret_rotate(struct store *s, const char *purpose, struct store_secret *out)
{
	return add_key(s, purpose, 0, out);
}

int
store_secret_retire(struct store *s, const char *key_id)
{
	static const char sql[] =
	    "UPDATE secrets SET retired_at = ? WHERE key_id = ? AND retired_at = 0";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, (int64_t)time(NULL));
	db_bind_text(stmt, 2, key_id);
	return store_change_one(s, stmt, "retire secret", "no key %s in use", key_id);
}

struct secret_walk {
	store_secret_cb cb;
	void *ctx;
};

static int
secret_row(struct db_stmt *stmt, void *arg)
{
	const struct secret_walk *w = arg;
	struct store_secret k;

	secret_from_row(stmt, &k);
	return w->cb(&k, w->ctx);
}

int
store_secret_list(struct store *s, const char *purpose, store_secret_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT " SECRET_COLUMNS " FROM secrets WHERE purpose = ? AND retired_at = 0 "
	    "ORDER BY id DESC";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct secret_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, purpose);
	return store_each_row(s, stmt, secret_row, &w, "list secrets");
}

int
store_secret_stamp(struct store *s, const char *purpose, int64_t *stamp)
{
	static const char sql[] =
	    "SELECT coalesce(max(id), 0), coalesce(sum(CASE WHEN retired_at <> 0 THEN 1 ELSE 0 END), 0) FROM secrets "
	    "WHERE purpose = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, purpose);
	rc = db_step(stmt);
	if (rc == DB_ROW)
		*stamp = db_column_int64(stmt, 0) * 65536 + db_column_int64(stmt, 1);
	db_reset(stmt);
	return rc == DB_ROW ? BURROW_OK : store_sql_error(s, rc, "read secrets");
}
