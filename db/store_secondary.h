/*
 * store_secondary.h: the secondaries burrow-dns notifies (RFC 1996) and lets
 * transfer zones (RFC 5936, RFC 1995), each bound to one TSIG key
 * (store_tsig.h) that authenticates both directions.
 */
#ifndef BURROW_STORE_SECONDARY_H
#define BURROW_STORE_SECONDARY_H

#include <stdint.h>

#include "db/store.h"
#include "db/store_tsig.h"

struct store_secondary {
	int64_t id;
	char address[48];           /* canonical IPv4 or IPv6 literal */
	uint16_t port;              /* where NOTIFY goes */
	struct store_tsig key;      /* the key it must sign with */
};

/* Adds a secondary at address (an IP literal) and port using the existing
 * TSIG key key_name.  out (may be NULL) gets the stored row.
 * Errors: BURROW_ERR_INVALID (address or port), BURROW_ERR_NOTFOUND (no
 * such key), BURROW_ERR_EXISTS (same address and port). */
int store_secondary_add(struct store *s, const char *address, uint16_t port,
                        const char *key_name, struct store_secondary *out);

/* Removes the secondary at address and port.  Errors: BURROW_ERR_INVALID,
 * BURROW_ERR_NOTFOUND. */
int store_secondary_remove(struct store *s, const char *address, uint16_t port);

/* Calls cb for each secondary (with its key) by address and port; a
 * non-zero return from cb stops the walk and is returned. */
typedef int (*store_secondary_cb)(const struct store_secondary *sec, void *ctx);
int store_secondary_list(struct store *s, store_secondary_cb cb, void *ctx);

#endif
