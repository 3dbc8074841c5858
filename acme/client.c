/*
 * client.c: signed requests (RFC 8555 section 6) with the retry rules of
 * section 6.5 (badNonce) and 6.6 (rateLimited), the account (7.3) and its
 * key rollover (7.3.5), revocation (7.6) and renewal information (RFC 9773).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"
#include "common/error.h"
#include "common/log.h"
#include "db/store_acme.h"

struct acme_client *
acme_client_new(const char *directory_url, const char *ca_bundle)
{
	struct acme_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if ((c->directory_url = strdup(directory_url)) == NULL ||
	    (c->http = acme_http_new(ca_bundle)) == NULL) {
		acme_client_free(c);
		return NULL;
	}
	return c;
}

void
acme_client_free(struct acme_client *c)
{
	if (c == NULL)
		return;
	if (c->requests > 0)
		log_debug("%u signed requests, %u of them resent after badNonce", c->requests,
		    c->badnonce_retries);
	acme_http_free(c->http);
	acme_directory_clear(&c->dir);
	EVP_PKEY_free(c->key);
	free(c->kid);
	free(c->directory_url);
	free(c);
}

int
acme_client_sleep(struct acme_client *c, unsigned ms)
{
	struct timespec ts;
	unsigned slice;

	while (ms > 0) {
		if (c->stop != NULL && atomic_load(c->stop))
			return BURROW_ERR_BUSY;
		slice = ms < 50 ? ms : 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)slice * 1000000L;
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return c->stop != NULL && atomic_load(c->stop) ? BURROW_ERR_BUSY : BURROW_OK;
}

int
acme_retry_take(struct acme_retry_budget *b, enum acme_retry kind)
{
	switch (kind) {
	case ACME_RETRY_NONCE:
		return ++b->nonce <= ACME_NONCE_RETRIES;
	case ACME_RETRY_LATER:
		return ++b->later <= ACME_LATER_RETRIES;
	case ACME_RETRY_TRANSPORT:
		return ++b->later <= ACME_LATER_RETRIES / 2;
	case ACME_RETRY_NO:
		break;
	}
	return 0;
}

/* One unsigned request, retrying a transport failure a few times. */
static int
plain_request(struct acme_client *c, enum acme_method m, const char *url,
              struct acme_resp *r)
{
	unsigned attempt;
	int rc = BURROW_ERR_IO;

	for (attempt = 0; attempt < 3; attempt++) {
		if (attempt > 0 && acme_client_sleep(c, acme_backoff_ms(attempt, 0)) != 0)
			return BURROW_ERR_BUSY;
		rc = acme_http_do(c->http, m, url, NULL, NULL, r, c->err, sizeof(c->err));
		if (rc != BURROW_ERR_IO)
			break;
	}
	return rc;
}

int
acme_client_directory(struct acme_client *c)
{
	struct acme_resp r;
	int rc;

	acme_directory_clear(&c->dir);
	if ((rc = plain_request(c, ACME_GET, c->directory_url, &r)) != BURROW_OK) {
		char why[sizeof(c->err)];

		snprintf(why, sizeof(why), "%s", c->err);
		snprintf(c->err, sizeof(c->err), "cannot reach the ACME directory: %.980s", why);
		return rc;
	}
	if (r.status != 200 || acme_directory_parse(r.body, r.len, &c->dir) != BURROW_OK) {
		snprintf(c->err, sizeof(c->err), "%s is not an ACME directory (HTTP %ld)",
		    c->directory_url, r.status);
		rc = BURROW_ERR_PROTO;
	}
	acme_resp_clear(&r);
	return rc;
}

/* RFC 8555 7.2: a fresh nonce from newNonce. */
static int
fetch_nonce(struct acme_client *c)
{
	struct acme_resp r;
	int rc;

	if ((rc = plain_request(c, ACME_HEAD, c->dir.new_nonce, &r)) != BURROW_OK)
		return rc;
	if (r.nonce[0] == '\0') {
		snprintf(c->err, sizeof(c->err), "newNonce answered HTTP %ld without a nonce",
		    r.status);
		/* An overloaded CA (429, 5xx) is worth the transport retries. */
		rc = r.status == 429 || r.status >= 500 ? BURROW_ERR_IO : BURROW_ERR_PROTO;
	} else {
		snprintf(c->nonce, sizeof(c->nonce), "%s", r.nonce);
	}
	acme_resp_clear(&r);
	return rc;
}

/* Signs with key/kid (the client's own unless given) and posts, retrying.
 * Each badNonce retry is one round trip: it signs with the nonce of the
 * rejection itself (RFC 8555 6.5), and only goes to newNonce when a CA
 * broke that rule and sent none. */
static int
post_with(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
          const char *payload, const char *accept, struct acme_resp *resp)
{
	struct acme_retry_budget budget = { 0, 0 };
	struct acme_problem p;
	enum acme_retry kind;
	unsigned wait_s;
	char *jws = NULL;
	int rc;

	memset(resp, 0, sizeof(*resp));
	for (;;) {
		if (c->nonce[0] == '\0' && (rc = fetch_nonce(c)) != BURROW_OK)
			goto transport;
		jws = acme_jws(key, kid, c->nonce, url, payload);
		c->nonce[0] = '\0';  /* each nonce is good for one request */
		if (jws == NULL) {
			snprintf(c->err, sizeof(c->err), "cannot sign request to %s", url);
			return BURROW_ERR_CRYPTO;
		}
		c->requests++;
		if (c->stats != NULL)
			metrics_add_shared(&c->stats->requests, 1);
		rc = acme_http_do(c->http, ACME_POST, url, jws, accept, resp, c->err,
		    sizeof(c->err));
		free(jws);
		jws = NULL;
		if (rc != BURROW_OK)
			goto transport;
		/* RFC 8555 6.5: every answer, errors included, carries a nonce. */
		if (resp->nonce[0] != '\0')
			snprintf(c->nonce, sizeof(c->nonce), "%s", resp->nonce);
		if (resp->status < 400)
			return BURROW_OK;
		acme_problem_parse(resp->body, resp->len, &p);
		kind = acme_retry_kind(resp->status, &p);
		if (!acme_retry_take(&budget, kind))
			goto refused;
		if (kind == ACME_RETRY_NONCE) {
			/* Nothing to wait for: the CA only wants another nonce. */
			c->badnonce_retries++;
			if (c->stats != NULL)
				metrics_add_shared(&c->stats->badnonce, 1);
			log_debug("%s: badNonce, retry %u of %u %s", url, budget.nonce,
			    ACME_NONCE_RETRIES, c->nonce[0] != '\0' ? "with the nonce it sent"
			    : "with one from newNonce");
			acme_resp_clear(resp);
			continue;
		}
		if (acme_retry_after(resp->retry_after, time(NULL), &wait_s) != 0)
			wait_s = 0;
		log_warn("%s: %s (HTTP %ld), retrying", url,
		    p.type[0] != '\0' ? p.type : "server error", resp->status);
		acme_resp_clear(resp);
		if (acme_client_sleep(c, acme_backoff_ms(budget.later + 2, wait_s)) != BURROW_OK)
			return BURROW_ERR_BUSY;
		continue;
	transport:
		if (rc != BURROW_ERR_IO || !acme_retry_take(&budget, ACME_RETRY_TRANSPORT))
			return rc;
		if (acme_client_sleep(c, acme_backoff_ms(budget.later + 2, 0)) != BURROW_OK)
			return BURROW_ERR_BUSY;
	}
refused:
	snprintf(c->err, sizeof(c->err), "%s: %s (HTTP %ld)",
	    p.type[0] != '\0' ? p.type : "error", p.detail, resp->status);
	if (kind == ACME_RETRY_NONCE)
		snprintf(c->err, sizeof(c->err), "badNonce %u times in a row (HTTP %ld): %s",
		    budget.nonce, resp->status, p.detail);
	/* A CA that rejects every nonce is not refusing this order: leave it
	 * open (BURROW_ERR_BUSY) for the next run instead of failing it. */
	return kind == ACME_RETRY_NONCE ? BURROW_ERR_BUSY : BURROW_ERR_PROTO;
}

int
acme_client_post(struct acme_client *c, const char *url, const char *payload,
                 const char *accept, struct acme_resp *resp)
{
	return post_with(c, c->key, c->kid, url, payload, accept, resp);
}

/* RFC 8555 7.3.1: is key the key of an existing account?  Sets *kid. */
static int
lookup_account(struct acme_client *c, EVP_PKEY *key, char **kid)
{
	struct acme_resp r;
	int rc;

	*kid = NULL;
	rc = post_with(c, key, NULL, c->dir.new_account, "{\"onlyReturnExisting\":true}",
	    NULL, &r);
	if (rc == BURROW_OK && r.location[0] != '\0' && (*kid = strdup(r.location)) == NULL)
		rc = BURROW_ERR_NOMEM;
	acme_resp_clear(&r);
	return rc;
}

/* A key change stopped half-way: find which key the CA knows now. */
static int
recover_key_change(struct acme_client *c, struct store *s, struct store_acme_account *a)
{
	EVP_PKEY *next = acme_key_from_pem(a->next_key_pem);
	char *kid = NULL;
	int rc;

	if (next == NULL)
		return store_acme_account_set_next_key(s, a->id, "");
	if ((rc = lookup_account(c, c->key, &kid)) == BURROW_OK) {
		rc = store_acme_account_set_next_key(s, a->id, "");
	} else if ((rc = lookup_account(c, next, &kid)) == BURROW_OK &&
	    (rc = store_acme_account_commit_key(s, a->id)) == BURROW_OK) {
		log_info("finished the interrupted account key change");
		EVP_PKEY_free(c->key);
		c->key = next;
		next = NULL;
	}
	free(kid);
	EVP_PKEY_free(next);
	return rc;
}

int
acme_client_account(struct acme_client *c, struct store *s,
                    const struct acme_account_opts *o)
{
	struct store_acme_account a;
	struct acme_resp r;
	json_t *payload = NULL, *eab;
	char *pem = NULL, *text = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = store_acme_account_get(s, c->directory_url, &a);
	if (rc == BURROW_ERR_NOTFOUND) {
		/* Keep the key before registering: a crash after newAccount
		 * then finds the same account again (RFC 8555 7.3.1). */
		EVP_PKEY *k = acme_key_new(ACME_KEY_EC);

		pem = k != NULL ? acme_key_to_pem(k) : NULL;
		EVP_PKEY_free(k);
		if (pem == NULL) {
			snprintf(c->err, sizeof(c->err), "cannot make an account key");
			return BURROW_ERR_CRYPTO;
		}
		rc = store_acme_account_add(s, c->directory_url, pem, &a);
		free(pem);
		pem = NULL;
	}
	if (rc != BURROW_OK) {
		snprintf(c->err, sizeof(c->err), "store: %s", store_errmsg(s));
		return rc;
	}
	c->account_id = a.id;
	EVP_PKEY_free(c->key);
	free(c->kid);
	c->kid = NULL;
	if ((c->key = acme_key_from_pem(a.key_pem)) == NULL) {
		snprintf(c->err, sizeof(c->err), "stored account key is unreadable");
		rc = BURROW_ERR_CRYPTO;
		goto out;
	}
	if (a.next_key_pem[0] != '\0' && (rc = recover_key_change(c, s, &a)) != BURROW_OK)
		goto out;
	if (a.kid[0] != '\0') {
		/* A test CA (Pebble) forgets its accounts when it restarts: ask
		 * whether ours still exists, and register again if not. */
		if ((rc = lookup_account(c, c->key, &c->kid)) == BURROW_OK) {
			if (c->kid == NULL && (c->kid = strdup(a.kid)) == NULL)
				rc = BURROW_ERR_NOMEM;
			else if (strcmp(c->kid, a.kid) != 0)
				rc = store_acme_account_set_kid(s, a.id, c->kid, a.contact);
			goto out;
		}
		if (rc != BURROW_ERR_PROTO || strstr(c->err, "accountDoesNotExist") == NULL)
			goto out;
		log_warn("the CA no longer knows account %s: registering again", a.kid);
	}
	if ((payload = json_pack("{s:b}", "termsOfServiceAgreed", 1)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if (o->contact != NULL && o->contact[0] != '\0')
		json_object_set_new(payload, "contact", json_pack("[s]", o->contact));
	if (o->eab_kid != NULL && o->eab_mac != NULL) {
		if ((eab = acme_eab(c->key, o->eab_kid, o->eab_mac, c->dir.new_account)) == NULL) {
			snprintf(c->err, sizeof(c->err), "the EAB MAC key is not base64url");
			rc = BURROW_ERR_INVALID;
			goto out;
		}
		json_object_set_new(payload, "externalAccountBinding", eab);
	} else if (c->dir.eab_required) {
		snprintf(c->err, sizeof(c->err), "the CA requires External Account Binding: "
		    "give --eab-kid and --eab-hmac-key");
		rc = BURROW_ERR_REFUSED;
		goto out;
	}
	if ((text = json_dumps(payload, JSON_COMPACT)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if ((rc = acme_client_post(c, c->dir.new_account, text, NULL, &r)) != BURROW_OK)
		goto out;
	if (r.location[0] == '\0') {
		snprintf(c->err, sizeof(c->err), "newAccount answered without the account URL");
		rc = BURROW_ERR_PROTO;
		goto out;
	}
	if ((c->kid = strdup(r.location)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if ((rc = store_acme_account_set_kid(s, a.id, c->kid, o->contact)) != BURROW_OK)
		snprintf(c->err, sizeof(c->err), "store: %s", store_errmsg(s));
	else
		log_info("ACME account %s registered", c->kid);
out:
	acme_resp_clear(&r);
	json_decref(payload);
	free(text);
	store_acme_account_clear(&a);
	return rc;
}

int
acme_client_key_change(struct acme_client *c, struct store *s)
{
	EVP_PKEY *next = NULL;
	struct acme_resp r;
	char *pem = NULL, *inner = NULL;
	int rc = BURROW_ERR_CRYPTO;

	memset(&r, 0, sizeof(r));
	if (c->dir.key_change == NULL || c->kid == NULL) {
		snprintf(c->err, sizeof(c->err), "the CA offers no keyChange");
		return BURROW_ERR_PROTO;
	}
	if ((next = acme_key_new(ACME_KEY_EC)) == NULL || (pem = acme_key_to_pem(next)) == NULL ||
	    (inner = acme_key_change_inner(c->key, next, c->kid, c->dir.key_change)) == NULL) {
		snprintf(c->err, sizeof(c->err), "cannot make the new account key");
		goto out;
	}
	if ((rc = store_acme_account_set_next_key(s, c->account_id, pem)) != BURROW_OK) {
		snprintf(c->err, sizeof(c->err), "store: %s", store_errmsg(s));
		goto out;
	}
	if ((rc = acme_client_post(c, c->dir.key_change, inner, NULL, &r)) != BURROW_OK) {
		if (rc == BURROW_ERR_PROTO)
			store_acme_account_set_next_key(s, c->account_id, "");
		goto out;
	}
	if ((rc = store_acme_account_commit_key(s, c->account_id)) != BURROW_OK) {
		snprintf(c->err, sizeof(c->err), "store: %s", store_errmsg(s));
		goto out;
	}
	EVP_PKEY_free(c->key);
	c->key = next;
	next = NULL;
out:
	acme_resp_clear(&r);
	EVP_PKEY_free(next);
	free(pem);
	free(inner);
	return rc;
}

int
acme_client_revoke(struct acme_client *c, const uint8_t *der, size_t len)
{
	struct acme_resp r;
	char *b64 = acme_b64(der, len), *payload = NULL;
	int rc = BURROW_ERR_NOMEM;

	memset(&r, 0, sizeof(r));
	if (c->dir.revoke_cert == NULL) {
		snprintf(c->err, sizeof(c->err), "the CA offers no revokeCert");
		rc = BURROW_ERR_PROTO;
		goto out;
	}
	if (b64 == NULL || asprintf(&payload, "{\"certificate\":\"%s\"}", b64) < 0) {
		payload = NULL;
		goto out;
	}
	rc = acme_client_post(c, c->dir.revoke_cert, payload, NULL, &r);
out:
	acme_resp_clear(&r);
	free(b64);
	free(payload);
	return rc;
}

int
acme_client_ari(struct acme_client *c, X509 *leaf, time_t *start, time_t *end)
{
	struct acme_resp r;
	char *id = NULL, *url = NULL;
	const char *base = c->dir.renewal_info;
	int rc = BURROW_ERR_NOTFOUND;

	memset(&r, 0, sizeof(r));
	if (base == NULL)
		return rc;
	if ((id = acme_ari_cert_id(leaf)) == NULL) {
		snprintf(c->err, sizeof(c->err), "certificate has no authority key id");
		return BURROW_ERR_INVALID;
	}
	/* RFC 9773 4.1: GET {renewalInfo}/{CertID}, unauthenticated. */
	if (asprintf(&url, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", id) < 0) {
		url = NULL;
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if ((rc = plain_request(c, ACME_GET, url, &r)) != BURROW_OK)
		goto out;
	if (r.status != 200 || acme_ari_parse(r.body, r.len, start, end) != BURROW_OK) {
		snprintf(c->err, sizeof(c->err), "renewalInfo answered HTTP %ld", r.status);
		rc = BURROW_ERR_PROTO;
	}
out:
	acme_resp_clear(&r);
	free(id);
	free(url);
	return rc;
}
