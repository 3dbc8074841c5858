/*
 * revoke.c: revoking a zone's certificate (RFC 8555 section 7.6), for
 * `burrow cert revoke` and `burrow-acme revoke`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "common/error.h"
#include "db/store_acme.h"
#include "db/store_cert.h"

int
acme_revoke_zone(struct store *s, const char *zone, const char *directory_url,
                 const char *ca_bundle, char *err, size_t errsz)
{
	struct store_cert cert;
	struct store_acme_account a;
	struct acme_account_opts none = { NULL, NULL, NULL };
	struct acme_client *c = NULL;
	uint8_t *der = NULL;
	size_t len;
	int rc;

	memset(&cert, 0, sizeof(cert));
	if ((rc = store_cert_current(s, zone, &cert)) != BURROW_OK) {
		snprintf(err, errsz, "%s", store_errmsg(s));
		return rc;
	}
	/* Revoke with the account that ordered it; never register a new one. */
	if ((rc = store_acme_account_get(s, directory_url, &a)) != BURROW_OK) {
		snprintf(err, errsz, "no ACME account for %s in the store", directory_url);
		goto out;
	}
	store_acme_account_clear(&a);
	if ((rc = acme_chain_leaf_der(cert.chain_pem, &der, &len)) != BURROW_OK) {
		snprintf(err, errsz, "stored certificate of %s is unreadable", zone);
		goto out;
	}
	if ((c = acme_client_new(directory_url, ca_bundle)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if ((rc = acme_client_directory(c)) != BURROW_OK ||
	    (rc = acme_client_account(c, s, &none)) != BURROW_OK ||
	    (rc = acme_client_revoke(c, der, len)) != BURROW_OK) {
		snprintf(err, errsz, "%s", c->err);
		goto out;
	}
	if ((rc = store_cert_mark_revoked(s, cert.id)) != BURROW_OK)
		snprintf(err, errsz, "revoked at the CA but not in the store: %s",
		    store_errmsg(s));
out:
	acme_client_free(c);
	free(der);
	store_cert_clear(&cert);
	return rc;
}
