/*
 * store_cert.h: issued certificates, one current wildcard+apex certificate
 * per zone (older rows stay as history until pruned).
 */
#ifndef BURROW_STORE_CERT_H
#define BURROW_STORE_CERT_H

#include <stdint.h>

#include "db/store.h"

struct store_cert {
	int64_t id;
	int64_t zone_id;
	char zone[NAMES_MAX + 1];
	char names[1024];     /* comma separated SANs, e.g. "*.z,z" */
	char key_type[8];     /* ecdsa or rsa */
	char serial[80];      /* hex */
	int64_t not_before, not_after, renew_after, revoked_at, created_at;
	char *chain_pem;      /* leaf first; owned, freed by store_cert_clear() */
	char *key_pem;        /* owned, freed by store_cert_clear(); NULL in lists */
};

/* Frees the PEM strings of c (not c itself); NULL fields are fine. */
void store_cert_clear(struct store_cert *c);

/* Stores a new certificate for zone from c's names, key_type, serial, times,
 * chain_pem and key_pem; sets c->id and c->zone_id.
 * Errors: BURROW_ERR_NOTFOUND (zone), BURROW_ERR_INVALID (missing PEM). */
int store_cert_add(struct store *s, const char *zone, struct store_cert *c);

/* The zone's current certificate: not revoked, latest not_after, PEMs
 * included (caller frees with store_cert_clear()).  BURROW_ERR_NOTFOUND if
 * the zone has none. */
int store_cert_current(struct store *s, const char *zone, struct store_cert *out);

/* Calls cb for every certificate, newest first per zone, with chain_pem and
 * key_pem NULL; only_current keeps one (the current) per zone. */
typedef int (*store_cert_cb)(const struct store_cert *c, void *ctx);
int store_cert_list(struct store *s, int only_current, store_cert_cb cb, void *ctx);

/* Marks a certificate revoked now.  BURROW_ERR_NOTFOUND if absent. */
int store_cert_mark_revoked(struct store *s, int64_t id);

#endif
