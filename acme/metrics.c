/*
 * metrics.c: burrow-acme's families (docs/metrics.md).  burrow-acme has no
 * event loop (workers block in libcurl, the main thread in sigtimedwait),
 * so common/metrics.h serves from a thread of its own; the collector reads
 * the shared counters (atomics) and, with a read-only store handle of its
 * own, each zone's current certificate.
 */
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"
#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "db/store.h"
#include "db/store_cert.h"

struct acme_metrics {
	struct metrics *m;
	const struct acme_stats *stats;
	char *db_path;
	struct store *store;          /* opened on the first scrape, serving thread only */
};

static const char *const outcomes[ACME_OUTCOMES] = { "issued", "failed", "stopped" };

static int
expiry(const struct store_cert *c, void *arg)
{
	struct metrics_out *o = arg;
	struct metrics_label l = { "zone", c->zone };

	if (c->revoked_at == 0)
		metrics_sample_i64(o, &l, 1, c->not_after);
	return 0;
}

static int
renewal(const struct store_cert *c, void *arg)
{
	struct metrics_out *o = arg;
	struct metrics_label l = { "zone", c->zone };

	if (c->revoked_at == 0)
		metrics_sample_i64(o, &l, 1, c->renew_after);
	return 0;
}

/* The certificates' families; without a store, they are left out. */
static void
certificates(struct metrics_out *o, struct acme_metrics *am)
{
	char err[256];

	if (am->store == NULL &&
	    store_open(am->db_path, STORE_READONLY, &am->store, err, sizeof(err)) != BURROW_OK) {
		log_error("metrics: cannot open the store %s: %s", am->db_path, err);
		am->store = NULL;
		return;
	}
	metrics_family(o, "burrow_acme_certificate_expiry_seconds", METRICS_GAUGE,
	    "Unix time at which the zone's current certificate expires (notAfter).");
	if (store_cert_list(am->store, 1, expiry, o) != BURROW_OK)
		log_error("metrics: cannot list certificates: %s", store_errmsg(am->store));
	metrics_family(o, "burrow_acme_certificate_renew_after_seconds", METRICS_GAUGE,
	    "Unix time from which the zone's certificate is renewed (ARI or 2/3 of its life).");
	if (store_cert_list(am->store, 1, renewal, o) != BURROW_OK)
		log_error("metrics: cannot list certificates: %s", store_errmsg(am->store));
}

static void
collect(struct metrics_out *o, void *arg)
{
	struct acme_metrics *am = arg;
	struct metrics_label l = { "outcome", NULL };
	int i;

	metrics_family(o, "burrow_acme_orders_total", METRICS_COUNTER,
	    "Certificate orders (one per zone and attempt) finished, by outcome.");
	for (i = 0; i < ACME_OUTCOMES; i++) {
		l.value = outcomes[i];
		metrics_sample_u64(o, &l, 1, metrics_get(&am->stats->orders[i]));
	}
	metrics_family(o, "burrow_acme_requests_total", METRICS_COUNTER,
	    "Signed requests sent to the CA, retries included.");
	metrics_sample_u64(o, NULL, 0, metrics_get(&am->stats->requests));
	metrics_family(o, "burrow_acme_badnonce_retries_total", METRICS_COUNTER,
	    "Signed requests sent again after a badNonce answer (RFC 8555 6.5).");
	metrics_sample_u64(o, NULL, 0, metrics_get(&am->stats->badnonce));
	certificates(o, am);
}

struct acme_metrics *
acme_metrics_start(const char *addr, const char *db_path, const struct acme_stats *stats)
{
	struct acme_metrics *am = calloc(1, sizeof(*am));

	if (am == NULL || (am->db_path = strdup(db_path)) == NULL ||
	    (am->m = metrics_new("burrow-acme")) == NULL)
		goto fail;
	am->stats = stats;
	if (metrics_add_collector(am->m, collect, am) != BURROW_OK ||
	    metrics_listen_thread(am->m, addr) != BURROW_OK)
		goto fail;
	return am;
fail:
	log_error("metrics: cannot serve on %s", addr);
	acme_metrics_stop(am);
	return NULL;
}

void
acme_metrics_stop(struct acme_metrics *am)
{
	if (am == NULL)
		return;
	metrics_free(am->m);          /* joins the thread: the store is ours again */
	store_close(am->store);
	free(am->db_path);
	free(am);
}
