/*
 * store_apikey.h: workspace API keys, the one credential of burrow-api and
 * of the exit agent's API.
 *
 * A key is 32 bytes from OpenSSL's RNG in base64url (43 characters), shown
 * once at creation; the store keeps only the hex SHA-256 of its text, and a
 * check hashes what was presented and looks the hash up.  Keys made as exit
 * tokens before version 6 (64 hex characters) are hashed the same way and
 * still pass.
 */
#ifndef BURROW_STORE_APIKEY_H
#define BURROW_STORE_APIKEY_H

#include <stdint.h>

#include "db/store.h"

#define STORE_APIKEY_LEN 43          /* base64url of 32 random bytes */
#define STORE_APIKEY_WORKSPACE_MAX 63

struct store_apikey {
	int64_t id;
	char workspace[STORE_APIKEY_WORKSPACE_MAX + 1];
	char key_id[13];     /* the first 12 hex digits of the hash: names a key
	                      * in lists without revealing it */
	int64_t created_at;
};

/* True if name is a usable workspace: 1-63 printable characters, no
 * whitespace. */
int store_apikey_workspace_valid(const char *name);

/* Creates a key for workspace: key gets its text (NUL terminated, shown
 * once), *out (may be NULL) its row.  Errors: BURROW_ERR_INVALID
 * (workspace), BURROW_ERR_CRYPTO (RNG or digest), BURROW_ERR_IO. */
int store_apikey_create(struct store *s, const char *workspace,
                        char key[STORE_APIKEY_LEN + 1], struct store_apikey *out);

/* Checks a presented key; on success workspace gets its workspace.  The
 * lookup is by digest, never by the key's bytes, and the digest found is
 * compared again in constant time.  BURROW_ERR_REFUSED for a missing,
 * malformed or unknown key; BURROW_ERR_IO. */
int store_apikey_check(struct store *s, const char *key,
                       char workspace[STORE_APIKEY_WORKSPACE_MAX + 1]);

/* Calls cb for each key (of workspace, or every key if NULL) in id order. */
typedef int (*store_apikey_cb)(const struct store_apikey *k, void *ctx);
int store_apikey_list(struct store *s, const char *workspace, store_apikey_cb cb,
                      void *ctx);

/* Removes the key whose key_id (hash prefix, 12 hex digits) is key_id.
 * BURROW_ERR_NOTFOUND if none; BURROW_ERR_INVALID for a malformed key_id. */
int store_apikey_remove(struct store *s, const char *key_id);

/* Removes every key of workspace; *removed (may be NULL) gets the count. */
int store_apikey_revoke(struct store *s, const char *workspace, int *removed);

#endif
