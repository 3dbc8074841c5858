/*
 * token.h: connect tokens, the signed credential that opens a tunnel created
 * with --connect-token.
 *
 * A token is "KID.PAYLOAD.MAC": KID names the signing key (so keys rotate
 * without invalidating tokens signed by the previous one), PAYLOAD is the
 * base64url of the compact JSON {"h":host,"e":expiry,"m":metadata}, MAC the
 * base64url of HMAC-SHA256(key, "KID.PAYLOAD").  Every character is in
 * [A-Za-z0-9._-], safe in a header, a query string and a cookie.
 * Pure functions: no store, no clock (the caller passes now).
 */
#ifndef BURROW_TOKEN_H
#define BURROW_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/names.h"

#define TOKEN_KID_MAX 31
#define TOKEN_SECRET_MAX 64
/* user_metadata must serialize to fewer than 512 characters. */
#define TOKEN_METADATA_MAX 511
#define TOKEN_MAX 2048

struct token_key {
	char id[TOKEN_KID_MAX + 1];
	unsigned char secret[TOKEN_SECRET_MAX];
	size_t len;
};

struct token_claims {
	char host[NAMES_MAX + 1];
	int64_t expires;                     /* unix seconds */
	char metadata[TOKEN_METADATA_MAX + 1]; /* compact JSON object */
};

/* Validates user metadata (NULL or "" means {}) as a JSON object and writes
 * its compact serialization to out (size TOKEN_METADATA_MAX + 1).
 * Returns BURROW_OK, BURROW_ERR_INVALID (not JSON or not an object) or
 * BURROW_ERR_LIMIT (512 characters or more once serialized). */
int token_metadata_canonical(const char *json, char out[TOKEN_METADATA_MAX + 1]);

/* Signs a token for host, valid until expires, carrying metadata (compact
 * JSON object as from token_metadata_canonical).  Writes it NUL terminated
 * to out (size outsz).  Returns BURROW_OK, BURROW_ERR_INVALID (bad key id,
 * host or metadata), BURROW_ERR_LIMIT (out too small), BURROW_ERR_CRYPTO. */
int token_create(const struct token_key *key, const char *host, int64_t expires,
                 const char *metadata, char *out, size_t outsz);

/* Finds the key named kid; NULL if unknown. */
typedef const struct token_key *(*token_key_lookup)(const char *kid, void *ctx);

/* Checks tok (len bytes, not NUL terminated) against the key its KID names:
 * the MAC is compared in constant time, then the expiry against now.
 * On success fills *out.  Returns BURROW_OK, BURROW_ERR_INVALID (malformed),
 * BURROW_ERR_NOTFOUND (unknown key id), BURROW_ERR_REFUSED (bad MAC) or
 * BURROW_ERR_LIMIT (expired). */
int token_verify(const char *tok, size_t len, token_key_lookup lookup, void *ctx,
                 int64_t now, struct token_claims *out);

/* True if c may appear in a token. */
int token_char(int c);

#endif
