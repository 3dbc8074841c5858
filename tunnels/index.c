/*
 * index.c: the edge's view of the store.  Readers never query SQLite per
 * connection: tunnels and zone certificates live in two tables, and the
 * store watch (db/store_watch.h) follows the change log (store_change_max,
 * then store_change_since) to re-read only the names that changed, as
 * burrow-dns does.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "db/store_cert.h"
#include "tunnels/edge.h"

void
edge_tunnel_ref(struct edge_tunnel *t)
{
	t->refs++;
}

void
edge_tunnel_unref(struct edge_tunnel *t)
{
	if (t == NULL || --t->refs > 0)
		return;
	edge_listen_tcp_close(t);
	free(t);
}

struct edge_tunnel *
edge_index_tunnel(struct edge *e, const char *hostname)
{
	return table_get(e->tunnels, hostname);
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
expired(const struct edge_tunnel *t)
{
	return t->expires_at != 0 && t->expires_at <= (int64_t)time(NULL);
}

/* Reads the change log for a name the index cannot serve now.  Unknown
 * names are also what a scanner sends, so they share one read per
 * interval: the usual miss costs the one-row max(seq) query, never one per
 * handshake.  Returns 1 if the index changed. */
static int
refresh(struct edge *e, const char *hostname)
{
	int64_t now = now_us();
	int rc;

	if (e->fresh_us != 0 && now - e->fresh_us < (int64_t)e->cfg.fresh_ms * 1000)
		return 0;
	e->fresh_us = now;
	if ((rc = edge_index_poll(e)) < 0) {
		log_outage_fail(&e->log_index, "change log read for '%s' failed: %s (%s); retrying",
		    hostname, burrow_strerror(rc), store_errmsg(e->store));
		return 0;
	}
	log_outage_ok(&e->log_index, "change log");
	return rc > 0;
}

struct edge_tunnel *
edge_index_lookup_fresh(struct edge *e, const char *hostname)
{
	struct edge_tunnel *t = table_get(e->tunnels, hostname);

	if (t != NULL && !expired(t))
		return t;
	/* A client may beat the store watch to a tunnel created (or a lease
	 * renewed) a moment ago. */
	if (!refresh(e, hostname))
		return NULL;
	t = table_get(e->tunnels, hostname);
	return t != NULL && !expired(t) ? t : NULL;
}

int
edge_index_live(struct edge *e, struct edge_tunnel *t)
{
	if (!expired(t))
		return 1;
	refresh(e, t->hostname);
	return t->indexed && !expired(t);
}

SSL_CTX *
edge_index_zone_ctx(struct edge *e, const char *zone)
{
	struct edge_zone *z = table_get(e->zones, zone);

	return z != NULL ? z->ctx : NULL;
}

static int
same_route(const struct edge_tunnel *a, const struct store_tunnel *b)
{
	return strcmp(a->zone, b->zone) == 0 && strcmp(a->target_host, b->target_host) == 0 &&
	    a->target_port == b->target_port && a->kind == b->kind &&
	    a->public_port == b->public_port && a->connect_token == b->connect_token;
}

/* Takes a tunnel out of the index: new connections are refused from now
 * on, established ones keep their reference and run to their end. */
static void
unindex(struct edge *e, const char *hostname)
{
	struct edge_tunnel *t = table_remove(e->tunnels, hostname);

	if (t == NULL)
		return;
	t->indexed = 0;
	edge_listen_tcp_close(t);
	edge_tunnel_unref(t);
}

static int
index_tunnel(struct edge *e, const struct store_tunnel *st)
{
	struct edge_tunnel *t = table_get(e->tunnels, st->hostname);
	int rc;

	if (t != NULL && same_route(t, st)) {
		/* A renewed lease: the same route, served on without a
		 * rebind of its tcp port. */
		t->expires_at = st->expires_at;
		return BURROW_OK;
	}
	unindex(e, st->hostname);
	/* The gate reads HTTP; a tcp port would take anyone's bytes past it. */
	if (st->kind == STORE_TUNNEL_TCP && st->connect_token) {
		log_warn("tunnel %s: tcp with connect tokens cannot be protected, not served",
		    st->hostname);
		return BURROW_OK;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return BURROW_ERR_NOMEM;
	t->edge = e;
	memcpy(t->hostname, st->hostname, sizeof(t->hostname));
	memcpy(t->zone, st->zone, sizeof(t->zone));
	memcpy(t->target_host, st->target_host, sizeof(t->target_host));
	t->target_port = st->target_port;
	t->kind = st->kind;
	t->public_port = st->public_port;
	t->connect_token = st->connect_token;
	t->expires_at = st->expires_at;
	t->refs = 1;
	t->indexed = 1;
	if ((rc = table_put(e->tunnels, t->hostname, t, NULL)) != BURROW_OK) {
		free(t);
		return rc;
	}
	if (t->kind == STORE_TUNNEL_TCP)
		edge_listen_tcp_open(e, t);
	return BURROW_OK;
}

static void
zone_free(void *v)
{
	struct edge_zone *z = v;

	if (z == NULL)
		return;
	SSL_CTX_free(z->ctx);   /* connections hold their own reference */
	free(z);
}

/* Re-reads the zone's current certificate; rebuilds its SSL_CTX only if the
 * certificate changed.  A zone that lost its certificate (or was removed)
 * drops its context: new handshakes get unrecognized_name. */
static int
refresh_zone(struct edge *e, const char *zone)
{
	struct edge_zone *z = table_get(e->zones, zone), *nz = NULL;
	struct store_cert c;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = store_cert_current(e->store, zone, &c);
	if (rc == BURROW_ERR_NOTFOUND) {
		zone_free(table_remove(e->zones, zone));
		return BURROW_OK;
	}
	if (rc != BURROW_OK)
		goto out;
	if (z != NULL && z->cert_id == c.id)
		goto out;
	if ((nz = calloc(1, sizeof(*nz))) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	snprintf(nz->name, sizeof(nz->name), "%s", zone);
	nz->cert_id = c.id;
	if ((nz->ctx = edge_tls_zone_ctx(e, zone, c.chain_pem, c.key_pem)) == NULL) {
		rc = BURROW_ERR_CRYPTO;   /* keep serving the previous one */
		goto out;
	}
	if ((rc = table_put(e->zones, nz->name, nz, (void **)&z)) != BURROW_OK)
		goto out;
	log_info("zone %s: certificate %lld (serial %s) loaded", zone, (long long)c.id, c.serial);
	zone_free(z);
	nz = NULL;
out:
	zone_free(nz);
	store_cert_clear(&c);
	return rc;
}

static int
refresh_tunnel(struct edge *e, const char *hostname)
{
	struct store_tunnel st;
	int rc = store_tunnel_get(e->store, hostname, &st);

	if (rc == BURROW_ERR_NOTFOUND) {
		if (table_get(e->tunnels, hostname) != NULL)
			log_info("tunnel %s removed", hostname);
		unindex(e, hostname);
		return BURROW_OK;
	}
	if (rc != BURROW_OK)
		return rc;
	return index_tunnel(e, &st);
}

static int
load_tunnel(const struct store_tunnel *t, void *ctx)
{
	return index_tunnel(ctx, t);
}

static int
load_zone(const struct store_zone *z, void *ctx)
{
	int rc = refresh_zone(ctx, z->name);

	/* One bad certificate must not keep the other zones dark. */
	if (rc != BURROW_OK)
		log_error("zone %s: certificate not loaded: %s", z->name, burrow_strerror(rc));
	return 0;
}

int
edge_index_load(struct edge *e)
{
	int rc;

	if ((rc = store_change_max(e->store, &e->seq)) != BURROW_OK)
		return rc;
	if ((rc = store_tunnel_list(e->store, 0, load_tunnel, e)) != BURROW_OK)
		return rc;
	if ((rc = store_zone_list(e->store, load_zone, e)) != BURROW_OK)
		return rc;
	log_info("index: %zu tunnels, %zu zones with a certificate, change log at %lld",
	    table_count(e->tunnels), table_count(e->zones), (long long)e->seq);
	return BURROW_OK;
}

struct changed {
	struct table *names;
	int64_t seq;
};

static int
collect(const struct store_change *c, void *ctx)
{
	struct changed *ch = ctx;

	ch->seq = c->seq;
	return table_put(ch->names, c->name, NULL, NULL);
}

static void
apply(const char *name, void *value, void *ctx)
{
	struct edge *e = ctx;
	int rc;

	(void)value;
	if ((rc = refresh_tunnel(e, name)) != BURROW_OK)
		log_error("tunnel %s: refresh failed: %s", name, burrow_strerror(rc));
	/* A zone's row changes when its certificate does (trigger
	 * certificates_add); any name might be a zone, cheap to ask. */
	if ((rc = refresh_zone(e, name)) != BURROW_OK)
		log_error("zone %s: certificate refresh failed: %s", name, burrow_strerror(rc));
}

int
edge_index_poll(struct edge *e)
{
	struct changed ch = { NULL, e->seq };
	int64_t max;
	int rc;

	if ((rc = store_change_max(e->store, &max)) != BURROW_OK || max <= e->seq)
		return rc;
	if ((ch.names = table_new()) == NULL)
		return BURROW_ERR_NOMEM;
	/* Names first, reads after: no statement stays open while we re-read. */
	rc = store_change_since(e->store, e->seq, collect, &ch);
	if (rc == BURROW_OK) {
		table_walk(ch.names, apply, e);
		rc = ch.seq > e->seq;
		e->seq = ch.seq;
	}
	table_free(ch.names, NULL);
	return rc;
}

static void
tunnel_drop(void *v)
{
	struct edge_tunnel *t = v;

	t->indexed = 0;
	edge_listen_tcp_close(t);
	edge_tunnel_unref(t);
}

void
edge_index_free(struct edge *e)
{
	table_free(e->tunnels, tunnel_drop);
	table_free(e->zones, zone_free);
	e->tunnels = NULL;
	e->zones = NULL;
}
