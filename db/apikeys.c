/*
 * apikeys.c: workspace API keys (store_apikey.h), also the exit agent's
 * bearer tokens (store_proxy.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/base64.h"
#include "common/error.h"
#include "db/internal.h"
#include "db/store_apikey.h"
#include "db/store_proxy.h"

#define KEY_BYTES 32
#define HASH_HEX 64
/* Longer than any key we ever issued; a longer header is not one of ours. */
#define KEY_TEXT_MAX 128

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
key_hash(const char *key, char out[HASH_HEX + 1])
{
	unsigned char md[32];
	unsigned int len = 0;

	if (EVP_Digest(key, strlen(key), md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return BURROW_ERR_CRYPTO;
	hex(md, 32, out);
	return BURROW_OK;
}

int
store_apikey_workspace_valid(const char *name)
{
	size_t i, n;

	if (name == NULL || (n = strlen(name)) == 0 || n > STORE_APIKEY_WORKSPACE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)name[i]))
			return 0;
	return 1;
}

static void
apikey_from_row(struct db_stmt *stmt, struct store_apikey *k)
{
	char hash[HASH_HEX + 1];

	memset(k, 0, sizeof(*k));
	k->id = db_column_int64(stmt, 0);
	store_column_text(stmt, 1, k->workspace, sizeof(k->workspace));
	store_column_text(stmt, 2, hash, sizeof(hash));
	snprintf(k->key_id, sizeof(k->key_id), "%.12s", hash);
	k->created_at = db_column_int64(stmt, 3);
}

int
store_apikey_create(struct store *s, const char *workspace,
                    char key[STORE_APIKEY_LEN + 1], struct store_apikey *out)
{
	static const char sql[] =
	    "INSERT INTO api_keys(workspace, key_hash, created_at) VALUES (?, ?, ?) "
	    "RETURNING id, workspace, key_hash, created_at";
	unsigned char raw[KEY_BYTES];
	char hash[HASH_HEX + 1], text[BASE64URL_LEN(KEY_BYTES) + 1];
	size_t len = 0;
	struct db_stmt *stmt;
	int rc;

	if (!store_apikey_workspace_valid(workspace))
		return store_fail(s, BURROW_ERR_INVALID, "invalid workspace '%s'",
		    workspace != NULL ? workspace : "");
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return store_fail(s, BURROW_ERR_CRYPTO, "RAND_bytes failed");
	rc = base64url_encode(raw, sizeof(raw), text, sizeof(text), &len);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (rc == BURROW_OK && len == STORE_APIKEY_LEN)
		memcpy(key, text, len + 1);
	OPENSSL_cleanse(text, sizeof(text));
	if (rc != BURROW_OK || len != STORE_APIKEY_LEN || key_hash(key, hash) != BURROW_OK)
		return store_fail(s, BURROW_ERR_CRYPTO, "cannot encode or hash the key");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, workspace);
	db_bind_text(stmt, 2, hash);
	db_bind_int64(stmt, 3, (int64_t)time(NULL));
	rc = db_step(stmt);
	if (rc == DB_ROW && out != NULL)
		apikey_from_row(stmt, out);
	rc = rc == DB_ROW ? db_step(stmt) : rc;
	db_reset(stmt);
	return rc == DB_DONE ? BURROW_OK : store_sql_error(s, rc, "insert api key");
}

/* A key is text a header can carry: base64url, or the older exit tokens'
 * hex.  Anything else never reaches the store. */
static int
key_plausible(const char *key)
{
	size_t i, n;

	if (key == NULL || (n = strlen(key)) < 32 || n > KEY_TEXT_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '-' && key[i] != '_')
			return 0;
	return 1;
}

int
store_apikey_check(struct store *s, const char *key,
                   char workspace[STORE_APIKEY_WORKSPACE_MAX + 1])
{
	static const char sql[] = "SELECT workspace, key_hash FROM api_keys WHERE key_hash = ?";
	char hash[HASH_HEX + 1], found[HASH_HEX + 1];
	struct db_stmt *stmt;
	int rc, match = 0;

	if (!key_plausible(key))
		return store_fail(s, BURROW_ERR_REFUSED, "unknown key");
	if ((rc = key_hash(key, hash)) != BURROW_OK)
		return store_fail(s, rc, "SHA-256 failed");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, hash);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_column_text(stmt, 0, workspace, STORE_APIKEY_WORKSPACE_MAX + 1);
		store_column_text(stmt, 1, found, sizeof(found));
		/* The index found it by equality; comparing the digests again in
		 * constant time keeps that the only path that says yes. */
		match = strlen(found) == HASH_HEX &&
		    CRYPTO_memcmp(found, hash, HASH_HEX) == 0;
	}
	db_reset(stmt);
	if (rc != DB_ROW && rc != DB_DONE)
		return store_sql_error(s, rc, "check api key");
	return match ? BURROW_OK : store_fail(s, BURROW_ERR_REFUSED, "unknown key");
}

struct apikey_walk {
	store_apikey_cb cb;
	void *ctx;
};

static int
apikey_row(struct db_stmt *stmt, void *arg)
{
	const struct apikey_walk *w = arg;
	struct store_apikey k;

	apikey_from_row(stmt, &k);
	return w->cb(&k, w->ctx);
}

int
store_apikey_list(struct store *s, const char *workspace, store_apikey_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT id, workspace, key_hash, created_at FROM api_keys "
	    "WHERE CAST(?1 AS TEXT) IS NULL OR workspace = ?1 ORDER BY id";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct apikey_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	if (workspace != NULL)
		db_bind_text(stmt, 1, workspace);
	return store_each_row(s, stmt, apikey_row, &w, "list api keys");
}

int
store_apikey_remove(struct store *s, const char *key_id)
{
	static const char sql[] = "DELETE FROM api_keys WHERE substr(key_hash, 1, 12) = ?";
	struct db_stmt *stmt;
	size_t i;

	for (i = 0; key_id != NULL && key_id[i] != '\0'; i++)
		if (!isxdigit((unsigned char)key_id[i]) || isupper((unsigned char)key_id[i]))
			break;
	if (key_id == NULL || i != 12 || key_id[i] != '\0')
		return store_fail(s, BURROW_ERR_INVALID,
		    "a key id is 12 lower-case hex digits (burrow apikey list)");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, key_id);
	return store_change_one(s, stmt, "remove api key", "no api key %s", key_id);
}

int
store_apikey_revoke(struct store *s, const char *workspace, int *removed)
{
	static const char sql[] = "DELETE FROM api_keys WHERE workspace = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, workspace);
	if ((rc = store_step_done(s, stmt, "revoke api keys")) != BURROW_OK)
		return rc;
	if (removed != NULL)
		*removed = s->eng->changes(s);
	return BURROW_OK;
}

/* ---- the exit agent's names for the same keys ---- */

int
store_proxy_token_create(struct store *s, const char *workspace, char out[65])
{
	return store_apikey_create(s, workspace, out, NULL);
}

int
store_proxy_token_check(struct store *s, const char *token,
                        char workspace[STORE_PROXY_NAME_MAX + 1])
{
	return store_apikey_check(s, token, workspace);
}

int
store_proxy_token_revoke(struct store *s, const char *workspace, int *removed)
{
	return store_apikey_revoke(s, workspace, removed);
}
