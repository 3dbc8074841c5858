/*
 * order.c: one zone's certificate, from newOrder to the stored chain
 * (RFC 8555 section 7.4), driven by the order's status at the CA.  Every
 * step is written to acme_orders before the next request, so a restart
 * after a crash at any point picks up the same order: it re-reads the
 * order's status and carries on from there.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "acme/acme.h"
#include "common/error.h"
#include "common/log.h"
#include "db/store_acme.h"

#define TXT_TTL 10          /* short: the name is reused at every renewal */
#define POLL_MAX 120        /* polls of one authorization or order */
#define STEP_MAX 32         /* state transitions of one order */

struct issue {
	struct acme_client *c;
	struct store *s;
	const char *zone;
	const struct acme_issue_opts *o;
	struct store_acme_order row;
	json_t *state;                /* row.state_json parsed: {"txt": [...]} */
	char txt_name[NAMES_MAX + 1];
	char *thumb;
	int have_row;
	unsigned retry_after_s;       /* of the last order answer */
};

static void
progress(struct issue *it, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
progress(struct issue *it, const char *event, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (it->o->progress != NULL)
		it->o->progress(it->o->progress_ctx, it->zone, event, detail);
	else
		log_info("%s: %s%s%s", it->zone, event, detail[0] ? " " : "", detail);
}

static int
store_error(struct issue *it, int rc)
{
	snprintf(it->c->err, sizeof(it->c->err), "store: %s", store_errmsg(it->s));
	return rc;
}

/* Writes the row (status, step, key, state) before the next request. */
static int
save(struct issue *it, const char *status, const char *step)
{
	char *text;
	int rc;

	if (status != NULL)
		snprintf(it->row.status, sizeof(it->row.status), "%s", status);
	snprintf(it->row.step, sizeof(it->row.step), "%s", step);
	if ((text = json_dumps(it->state, JSON_COMPACT)) == NULL)
		return BURROW_ERR_NOMEM;
	free(it->row.state_json);
	it->row.state_json = text;
	if ((rc = store_acme_order_update(it->s, &it->row)) != BURROW_OK)
		return store_error(it, rc);
	return BURROW_OK;
}

static json_t *
txt_list(struct issue *it)
{
	json_t *l = json_object_get(it->state, "txt");

	if (!json_is_array(l)) {
		l = json_array();
		json_object_set_new(it->state, "txt", l);
	}
	return l;
}

static void
quote(const char *v, char *out, size_t outsz)
{
	snprintf(out, outsz, "\"%s\"", v);
}

/* Removes every TXT value this order published; absent ones are fine. */
static void
unpublish(struct issue *it)
{
	json_t *v;
	size_t i;
	char rdata[128];

	json_array_foreach(txt_list(it), i, v) {
		quote(json_string_value(v), rdata, sizeof(rdata));
		store_record_remove_match(it->s, it->txt_name, "TXT", rdata, NULL);
	}
}

static int
post_order(struct issue *it, const char *url, const char *payload,
           struct acme_order *order, struct acme_resp *r)
{
	int rc;

	if ((rc = acme_client_post(it->c, url, payload, NULL, r)) != BURROW_OK)
		return rc;
	if (acme_retry_after(r->retry_after, time(NULL), &it->retry_after_s) != BURROW_OK)
		it->retry_after_s = 0;
	acme_order_clear(order);
	if (acme_order_parse(r->body, r->len, order) != BURROW_OK) {
		snprintf(it->c->err, sizeof(it->c->err), "%s: malformed order", url);
		return BURROW_ERR_PROTO;
	}
	return BURROW_OK;
}

static int
fetch_order(struct issue *it, struct acme_order *order)
{
	struct acme_resp r;
	int rc = post_order(it, it->row.order_url, NULL, order, &r);

	acme_resp_clear(&r);
	return rc;
}

static int
new_order(struct issue *it, struct acme_order *order)
{
	struct acme_resp r;
	char *payload = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	/* One certificate per zone: the apex and the wildcard below it. */
	if (asprintf(&payload, "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"%s\"},"
	    "{\"type\":\"dns\",\"value\":\"*.%s\"}]}", it->zone, it->zone) < 0)
		return BURROW_ERR_NOMEM;
	rc = post_order(it, it->c->dir.new_order, payload, order, &r);
	free(payload);
	if (rc != BURROW_OK)
		goto out;
	if (r.location[0] == '\0') {
		snprintf(it->c->err, sizeof(it->c->err), "newOrder answered without a URL");
		rc = BURROW_ERR_PROTO;
		goto out;
	}
	memset(&it->row, 0, sizeof(it->row));
	snprintf(it->row.zone, sizeof(it->row.zone), "%s", it->zone);
	it->row.account_id = it->c->account_id;
	snprintf(it->row.order_url, sizeof(it->row.order_url), "%s", r.location);
	snprintf(it->row.status, sizeof(it->row.status), "%s", acme_status_name(order->status));
	snprintf(it->row.step, sizeof(it->row.step), "created");
	snprintf(it->row.key_type, sizeof(it->row.key_type), "%s",
	    it->o->key_type == ACME_KEY_RSA ? "rsa" : "ecdsa");
	if ((rc = store_acme_order_add(it->s, &it->row)) != BURROW_OK) {
		rc = store_error(it, rc);
		goto out;
	}
	it->have_row = 1;
	progress(it, "order created", "%s", it->row.order_url);
out:
	acme_resp_clear(&r);
	return rc;
}

/* Polls an authorization until it leaves pending/processing. */
static int
poll_authz(struct issue *it, const char *url, struct acme_authz *a)
{
	struct acme_resp r;
	unsigned attempt, wait_s;
	int rc;

	for (attempt = 0; attempt < POLL_MAX; attempt++) {
		if ((rc = acme_client_post(it->c, url, NULL, NULL, &r)) != BURROW_OK)
			return rc;
		rc = acme_authz_parse(r.body, r.len, a);
		if (acme_retry_after(r.retry_after, time(NULL), &wait_s) != BURROW_OK)
			wait_s = 0;
		acme_resp_clear(&r);
		if (rc != BURROW_OK) {
			snprintf(it->c->err, sizeof(it->c->err), "%s: malformed authorization", url);
			return BURROW_ERR_PROTO;
		}
		if (a->status != ACME_ST_PENDING && a->status != ACME_ST_PROCESSING)
			return BURROW_OK;
		/* RFC 8555 7.5.1: poll, honouring Retry-After, backing off. */
		if (acme_client_sleep(it->c, acme_backoff_ms(attempt, wait_s)) != BURROW_OK)
			return BURROW_ERR_BUSY;
	}
	snprintf(it->c->err, sizeof(it->c->err), "%s still pending after %d polls", url,
	    POLL_MAX);
	return BURROW_ERR_BUSY;
}

static int
authorize(struct issue *it, const struct acme_order *order)
{
	struct acme_authz a[ACME_MAX_AUTHZ];
	const char *values[ACME_MAX_AUTHZ];
	char *owned[ACME_MAX_AUTHZ] = { NULL };
	char rdata[128];
	struct acme_resp r;
	json_t *list = txt_list(it), *v;
	size_t i, j, n = 0;
	int rc = BURROW_OK, known;

	for (i = 0; i < order->nauthz; i++) {
		if ((rc = acme_client_post(it->c, order->authz[i], NULL, NULL, &r)) != BURROW_OK)
			goto out;
		rc = acme_authz_parse(r.body, r.len, &a[i]);
		acme_resp_clear(&r);
		if (rc != BURROW_OK) {
			snprintf(it->c->err, sizeof(it->c->err), "%s: malformed authorization",
			    order->authz[i]);
			goto out;
		}
		if (a[i].status == ACME_ST_VALID)
			continue;  /* reused (Pebble's PEBBLE_AUTHZREUSE) */
		if (a[i].status != ACME_ST_PENDING) {
			snprintf(it->c->err, sizeof(it->c->err), "authorization for %s%s is %s%s%s",
			    a[i].wildcard ? "*." : "", a[i].identifier,
			    acme_status_name(a[i].status), a[i].error[0] ? ": " : "", a[i].error);
			rc = BURROW_ERR_PROTO;
			goto out;
		}
		if ((owned[n] = acme_dns01_txt(a[i].token, it->thumb)) == NULL) {
			snprintf(it->c->err, sizeof(it->c->err), "challenge token is not base64url");
			rc = BURROW_ERR_PROTO;
			goto out;
		}
		values[n] = owned[n];
		n++;
	}
	if (n == 0)
		goto out;
	/* Write-ahead: the values go into the order row before the records,
	 * so whatever is published can always be found and removed. */
	for (i = 0; i < n; i++) {
		known = 0;
		json_array_foreach(list, j, v)
			known |= strcmp(json_string_value(v), values[i]) == 0;
		if (!known)
			json_array_append_new(list, json_string(values[i]));
	}
	if ((rc = save(it, "pending", "publishing")) != BURROW_OK)
		goto out;
	for (i = 0; i < n; i++) {
		quote(values[i], rdata, sizeof(rdata));
		rc = store_record_add(it->s, it->txt_name, "TXT", TXT_TTL, rdata, NULL);
		if (rc != BURROW_OK && rc != BURROW_ERR_EXISTS) {
			rc = store_error(it, rc);
			goto out;
		}
	}
	if ((rc = save(it, NULL, "published")) != BURROW_OK)
		goto out;
	progress(it, "TXT published", "%s (%zu value%s)", it->txt_name, n, n > 1 ? "s" : "");
	if (it->o->dns_server != NULL) {
		if ((rc = acme_dns_wait(it->o->dns_server, it->txt_name, values, n,
		    it->o->dns_timeout_ms, it->c->stop, it->c->err,
		    sizeof(it->c->err))) != BURROW_OK)
			goto out;
		progress(it, "TXT served", "by %s", it->o->dns_server);
	}
	for (i = 0; i < order->nauthz; i++) {
		if (a[i].status != ACME_ST_PENDING || a[i].chall_status != ACME_ST_PENDING)
			continue;
		/* RFC 8555 7.5.1: an empty object says "validate now". */
		if ((rc = acme_client_post(it->c, a[i].chall_url, "{}", NULL, &r)) != BURROW_OK)
			goto out;
		acme_resp_clear(&r);
	}
	if ((rc = save(it, NULL, "responded")) != BURROW_OK)
		goto out;
	progress(it, "challenges answered", "%zu", n);
	for (i = 0; i < order->nauthz; i++) {
		if (a[i].status == ACME_ST_VALID)
			continue;
		if ((rc = poll_authz(it, order->authz[i], &a[i])) != BURROW_OK)
			goto out;
		if (a[i].status != ACME_ST_VALID) {
			snprintf(it->c->err, sizeof(it->c->err), "challenge for %s%s is %s: %s",
			    a[i].wildcard ? "*." : "", a[i].identifier,
			    acme_status_name(a[i].status), a[i].error[0] ? a[i].error
			    : "no detail");
			rc = BURROW_ERR_PROTO;
			goto out;
		}
	}
	progress(it, "challenge valid", "%s and *.%s", it->zone, it->zone);
out:
	for (i = 0; i < n; i++)
		free(owned[i]);
	return rc;
}

static int
finalize(struct issue *it, struct acme_order *order)
{
	EVP_PKEY *key = NULL;
	struct acme_resp r;
	char *csr = NULL, *payload = NULL;
	int rc = BURROW_ERR_CRYPTO;

	memset(&r, 0, sizeof(r));
	if (it->row.key_pem == NULL || it->row.key_pem[0] == '\0') {
		/* Kept before finalize: the CA certifies this key, and a
		 * restart after finalize must still have it. */
		free(it->row.key_pem);
		it->row.key_pem = NULL;
		if ((key = acme_key_new(strcmp(it->row.key_type, "rsa") == 0 ? ACME_KEY_RSA
		    : ACME_KEY_EC)) == NULL || (it->row.key_pem = acme_key_to_pem(key)) == NULL)
			goto fail;
		if ((rc = save(it, "ready", "key")) != BURROW_OK)
			goto out;
	} else if ((key = acme_key_from_pem(it->row.key_pem)) == NULL) {
		goto fail;
	}
	if ((csr = acme_csr(key, it->zone)) == NULL ||
	    asprintf(&payload, "{\"csr\":\"%s\"}", csr) < 0) {
		payload = NULL;
		goto fail;
	}
	if ((rc = post_order(it, order->finalize, payload, order, &r)) != BURROW_OK)
		goto out;
	if ((rc = save(it, acme_status_name(order->status), "finalized")) != BURROW_OK)
		goto out;
	progress(it, "finalized", "%s key", it->row.key_type);
	goto out;
fail:
	snprintf(it->c->err, sizeof(it->c->err), "cannot make the certificate key or CSR");
	rc = BURROW_ERR_CRYPTO;
out:
	acme_resp_clear(&r);
	EVP_PKEY_free(key);
	free(csr);
	free(payload);
	return rc;
}

/* Renewal time from ARI when the CA has it, else 2/3 of the lifetime. */
static time_t
renew_time(struct issue *it, const char *chain, const struct acme_cert_info *info)
{
	time_t start = 0, end = 0;
	uint32_t rnd = 0;
	BIO *bio;
	X509 *leaf = NULL;

	if (it->c->dir.renewal_info != NULL && (bio = BIO_new_mem_buf(chain, -1)) != NULL) {
		leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
		if (leaf == NULL || acme_client_ari(it->c, leaf, &start, &end) != BURROW_OK)
			start = end = 0;
		X509_free(leaf);
	}
	RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
	return acme_renew_at(info->not_before, info->not_after, start, end, rnd);
}

static int
download(struct issue *it, const struct acme_order *order)
{
	struct acme_cert_info info;
	struct store_cert cert;
	struct acme_resp r;
	EVP_PKEY *key = NULL;
	const char *rd[2 * ACME_MAX_AUTHZ];
	char rdata[2 * ACME_MAX_AUTHZ][128], stamp[32];
	json_t *list = txt_list(it), *v;
	size_t i, n = 0;
	struct tm tm;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&cert, 0, sizeof(cert));
	if (order->certificate == NULL || it->row.key_pem == NULL ||
	    (key = acme_key_from_pem(it->row.key_pem)) == NULL) {
		snprintf(it->c->err, sizeof(it->c->err), "order is valid but %s",
		    order->certificate == NULL ? "names no certificate" : "its key is lost");
		rc = BURROW_ERR_PROTO;
		goto out;
	}
	if ((rc = acme_client_post(it->c, order->certificate, NULL,
	    "application/pem-certificate-chain", &r)) != BURROW_OK)
		goto out;
	if ((rc = acme_chain_check(r.body, key, it->zone, &info, it->c->err,
	    sizeof(it->c->err))) != BURROW_OK)
		goto out;
	snprintf(cert.names, sizeof(cert.names), "%s", info.names);
	snprintf(cert.key_type, sizeof(cert.key_type), "%s", it->row.key_type);
	snprintf(cert.serial, sizeof(cert.serial), "%s", info.serial);
	cert.not_before = info.not_before;
	cert.not_after = info.not_after;
	cert.renew_after = renew_time(it, r.body, &info);
	cert.chain_pem = r.body;
	cert.key_pem = it->row.key_pem;
	json_array_foreach(list, i, v) {
		if (n == sizeof(rd) / sizeof(rd[0]))
			break;
		quote(json_string_value(v), rdata[n], sizeof(rdata[n]));
		rd[n] = rdata[n];
		n++;
	}
	/* Certificate in, TXT rows out, order done: one transaction. */
	if ((rc = store_acme_order_complete(it->s, it->row.id, &cert, it->txt_name, rd,
	    n)) != BURROW_OK) {
		rc = store_error(it, rc);
		goto out;
	}
	gmtime_r(&info.not_after, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	progress(it, "certificate stored", "serial %s, expires %s", info.serial, stamp);
out:
	acme_resp_clear(&r);
	EVP_PKEY_free(key);
	return rc;
}

/* Picks up the zone's unfinished order, if any and still usable. */
static int
resume(struct issue *it, struct acme_order *order)
{
	int rc = store_acme_order_open(it->s, it->zone, &it->row);

	if (rc == BURROW_ERR_NOTFOUND)
		return rc;
	if (rc != BURROW_OK)
		return store_error(it, rc);
	it->have_row = 1;
	json_decref(it->state);
	if ((it->state = json_loads(it->row.state_json, 0, NULL)) == NULL ||
	    !json_is_object(it->state)) {
		json_decref(it->state);
		it->state = json_object();
	}
	if (it->row.account_id == it->c->account_id &&
	    (rc = fetch_order(it, order)) == BURROW_OK &&
	    order->status != ACME_ST_INVALID && order->status != ACME_ST_EXPIRED) {
		progress(it, "resuming order", "%s (%s, last step %s)", it->row.order_url,
		    acme_status_name(order->status), it->row.step);
		return BURROW_OK;
	}
	if (rc == BURROW_ERR_IO || rc == BURROW_ERR_BUSY || rc == BURROW_ERR_NOMEM)
		return rc;
	/* Gone, expired or another account's: clean up and start afresh. */
	progress(it, "abandoning order", "%s (%s)", it->row.order_url,
	    rc == BURROW_OK ? acme_status_name(order->status) : it->c->err);
	unpublish(it);
	store_acme_order_fail(it->s, it->row.id, "abandoned on resume");
	store_acme_order_clear(&it->row);
	it->have_row = 0;
	json_decref(it->state);
	it->state = json_object();
	return BURROW_ERR_NOTFOUND;
}

int
acme_issue(struct acme_client *c, struct store *s, const char *zone,
           const struct acme_issue_opts *o)
{
	struct issue it;
	struct acme_order order;
	struct store_zone z;
	unsigned step, polls = 0;
	int rc;

	memset(&it, 0, sizeof(it));
	memset(&order, 0, sizeof(order));
	it.c = c;
	it.s = s;
	it.zone = zone;
	it.o = o;
	if ((rc = store_zone_get(s, zone, &z)) != BURROW_OK) {
		snprintf(c->err, sizeof(c->err), "no zone %s in the store", zone);
		return rc;
	}
	snprintf(it.txt_name, sizeof(it.txt_name), "_acme-challenge.%s", zone);
	if ((it.thumb = acme_jwk_thumbprint(c->key)) == NULL ||
	    (it.state = json_object()) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if ((rc = resume(&it, &order)) == BURROW_ERR_NOTFOUND)
		rc = new_order(&it, &order);
	if (rc != BURROW_OK)
		goto out;
	for (step = 0; step < STEP_MAX; step++) {
		switch (acme_order_next(order.status)) {
		case ACME_DO_AUTHORIZE:
			if ((rc = authorize(&it, &order)) == BURROW_OK)
				rc = fetch_order(&it, &order);
			break;
		case ACME_DO_FINALIZE:
			rc = finalize(&it, &order);
			break;
		case ACME_DO_POLL:
			if ((rc = acme_client_sleep(c, acme_backoff_ms(polls++, it.retry_after_s))) == 0)
				rc = fetch_order(&it, &order);
			break;
		case ACME_DO_DOWNLOAD:
			if ((rc = download(&it, &order)) == BURROW_OK)
				it.have_row = 0;  /* finished: nothing left to clean */
			goto out;
		case ACME_DO_FAIL:
			snprintf(c->err, sizeof(c->err), "order is %s%s%s",
			    acme_status_name(order.status), order.error[0] ? ": " : "",
			    order.error);
			rc = BURROW_ERR_PROTO;
			break;
		}
		if (rc != BURROW_OK)
			goto out;
	}
	snprintf(c->err, sizeof(c->err), "order still %s after %d steps",
	    acme_status_name(order.status), STEP_MAX);
	rc = BURROW_ERR_BUSY;
out:
	if (rc != BURROW_OK && it.have_row) {
		/* Leave no TXT rows behind.  A refusal by the CA ends the
		 * order; anything else (CA down, stopped) keeps it open so
		 * the next run resumes it and publishes again. */
		unpublish(&it);
		if (rc == BURROW_ERR_PROTO || rc == BURROW_ERR_CRYPTO)
			store_acme_order_fail(s, it.row.id, c->err);
	}
	acme_order_clear(&order);
	store_acme_order_clear(&it.row);
	json_decref(it.state);
	free(it.thumb);
	return rc;
}
