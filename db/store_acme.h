/*
 * store_acme.h: ACME accounts (one per directory URL) and orders in flight,
 * kept so that an issuance interrupted at any step (even by kill -9) resumes
 * the same order on restart.
 */
#ifndef BURROW_STORE_ACME_H
#define BURROW_STORE_ACME_H

#include <stddef.h>
#include <stdint.h>

#include "db/store.h"
#include "db/store_cert.h"

struct store_acme_account {
	int64_t id;
	char directory_url[1024];
	char kid[1024];          /* account URL, "" until registered */
	char contact[512];
	char *key_pem;           /* owned */
	char *next_key_pem;      /* owned; "" unless a key change is under way */
	int64_t created_at;
};

/* Frees the PEM strings of a (not a itself). */
void store_acme_account_clear(struct store_acme_account *a);

/* The account of directory_url (caller clears).  BURROW_ERR_NOTFOUND. */
int store_acme_account_get(struct store *s, const char *directory_url,
                           struct store_acme_account *out);

/* Stores a new, unregistered account key for directory_url and fills out.
 * BURROW_ERR_EXISTS if that directory has one already. */
int store_acme_account_add(struct store *s, const char *directory_url,
                           const char *key_pem, struct store_acme_account *out);

/* Records the account URL and contact once newAccount answered. */
int store_acme_account_set_kid(struct store *s, int64_t id, const char *kid,
                               const char *contact);

/* Keeps pem as the key being rolled over to ("" clears it). */
int store_acme_account_set_next_key(struct store *s, int64_t id, const char *pem);

/* Makes the pending next key the account key, in one transaction.
 * BURROW_ERR_NOTFOUND if there is no pending key. */
int store_acme_account_commit_key(struct store *s, int64_t id);

struct store_acme_order {
	int64_t id, zone_id, account_id;
	char zone[NAMES_MAX + 1];
	char order_url[1024];
	char status[16];         /* CA status last seen, or done / failed */
	char step[32];           /* last step taken, for people and tests */
	char key_type[8];        /* ecdsa or rsa */
	char error[512];
	char *key_pem;           /* owned; "" until made before finalize */
	char *state_json;        /* owned */
	int64_t created_at, updated_at;
};

void store_acme_order_clear(struct store_acme_order *o);

/* The zone's unfinished order (status neither done nor failed), the newest
 * if several.  Caller clears.  BURROW_ERR_NOTFOUND if none. */
int store_acme_order_open(struct store *s, const char *zone,
                          struct store_acme_order *out);

/* Records a new order (o: zone, account_id, order_url, status, step,
 * key_type); sets o->id and o->zone_id.  BURROW_ERR_NOTFOUND (zone). */
int store_acme_order_add(struct store *s, struct store_acme_order *o);

/* Saves status, step, key_pem, state_json and error of o->id. */
int store_acme_order_update(struct store *s, const struct store_acme_order *o);

/* Marks the order failed with a one-line reason. */
int store_acme_order_fail(struct store *s, int64_t id, const char *error);

/* In one transaction: stores the certificate c for the order's zone (as
 * store_cert_add() does), removes the order's challenge TXT rows (name,
 * each rdata in presentation form) and marks the order done.  A crash
 * leaves either all of it or none.  Sets c->id and c->zone_id. */
int store_acme_order_complete(struct store *s, int64_t order_id, struct store_cert *c,
                              const char *txt_name, const char *const *txt_rdata,
                              size_t ntxt);

/* Sets when a certificate is due for renewal (after an ARI answer). */
int store_acme_cert_set_renew_after(struct store *s, int64_t cert_id, int64_t at);

#endif
