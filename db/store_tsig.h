/*
 * store_tsig.h: TSIG keys (RFC 8945) that authenticate zone transfers and
 * NOTIFY between burrow-dns and its secondaries.
 */
#ifndef BURROW_STORE_TSIG_H
#define BURROW_STORE_TSIG_H

#include "db/store.h"

struct store_tsig {
	char name[NAMES_MAX + 1];  /* key name, a domain name */
	char algorithm[32];        /* hmac-sha256 */
	char secret[128];          /* base64 */
};

/* Creates a key with a fresh 256-bit secret from OpenSSL's RNG.
 * Errors: BURROW_ERR_INVALID (name), BURROW_ERR_EXISTS, BURROW_ERR_CRYPTO. */
int store_tsig_add(struct store *s, const char *name, struct store_tsig *out);

/* BURROW_ERR_NOTFOUND if absent. */
int store_tsig_get(struct store *s, const char *name, struct store_tsig *out);
int store_tsig_remove(struct store *s, const char *name);

typedef int (*store_tsig_cb)(const struct store_tsig *k, void *ctx);
int store_tsig_list(struct store *s, store_tsig_cb cb, void *ctx);

#endif
