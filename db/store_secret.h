/*
 * store_secret.h: connect-token signing keys.  Each key has a public key id
 * (carried in every token it signs) and a random secret; rotating adds a
 * new current key while older ones keep verifying until retired.
 */
#ifndef BURROW_STORE_SECRET_H
#define BURROW_STORE_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "db/store.h"

#define STORE_SECRET_PURPOSE_TOKEN "connect-token"
#define STORE_SECRET_ID_MAX 31
#define STORE_SECRET_LEN 32     /* bytes of a new secret (HMAC-SHA256 key) */
#define STORE_SECRET_MAX 64

struct store_secret {
	int64_t id;
	char key_id[STORE_SECRET_ID_MAX + 1];
	unsigned char secret[STORE_SECRET_MAX];
	size_t len;
	int64_t created_at, retired_at;   /* retired_at 0: in use */
};

/* The newest unretired key for purpose.  BURROW_ERR_NOTFOUND if none. */
int store_secret_current(struct store *s, const char *purpose, struct store_secret *out);

/* The current key for purpose, made (random key id and secret from
 * OpenSSL's RNG) if there is none yet.  Errors: BURROW_ERR_CRYPTO, _IO. */
int store_secret_ensure(struct store *s, const char *purpose, struct store_secret *out);

/* Adds a new key that becomes current; older keys stay valid. */
int store_secret_rotate(struct store *s, const char *purpose, struct store_secret *out);

/* Retires a key: tokens it signed stop verifying.  BURROW_ERR_NOTFOUND. */
int store_secret_retire(struct store *s, const char *key_id);

/* A value that changes whenever a key of purpose is added or retired, so
 * a reader can cache the keys and re-read them only when it moves. */
int store_secret_stamp(struct store *s, const char *purpose, int64_t *stamp);

/* Calls cb for every unretired key of purpose, newest first; a non-zero
 * return stops the walk and is returned.  *out is valid during the call. */
typedef int (*store_secret_cb)(const struct store_secret *k, void *ctx);
int store_secret_list(struct store *s, const char *purpose, store_secret_cb cb, void *ctx);

#endif
