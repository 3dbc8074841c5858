/*
 * edge.c: the burrow-edge context: start-up, following the store (woken by
 * db/store_watch.h), signals and the graceful drain on SIGTERM.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "tunnels/edge.h"

#define TCP_RETRY_SECONDS 5

static void
retry_tcp(const char *key, void *value, void *ctx)
{
	struct edge_tunnel *t = value;

	(void)key;
	if (t->tcp_failed)
		edge_listen_tcp_open(ctx, t);
}

/* The store watch's reader: runs on every write to the store and on the
 * safety poll.  Returns what edge_index_poll() found. */
static int
follow(void *arg)
{
	struct edge *e = arg;
	struct timeval now;
	int rc;

	if ((rc = edge_index_poll(e)) < 0)
		log_outage_fail(&e->log_index, "change log read failed: %s (%s); retrying",
		    burrow_strerror(rc), store_errmsg(e->store));
	else
		log_outage_ok(&e->log_index, "change log");
	if (edge_gate_refresh_keys(e) != BURROW_OK)
		log_outage_fail(&e->log_keys, "connect-token keys not read: %s; retrying",
		    store_errmsg(e->store));
	else
		log_outage_ok(&e->log_keys, "connect-token keys");
	event_base_gettimeofday_cached(e->base, &now);
	if (now.tv_sec - e->last_retry.tv_sec >= TCP_RETRY_SECONDS) {
		e->last_retry = now;
		table_walk(e->tunnels, retry_tcp, e);
	}
	return rc;
}

static void
close_tcp(const char *key, void *value, void *ctx)
{
	(void)key;
	(void)ctx;
	edge_listen_tcp_close(value);
}

static void
drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct edge *e = arg;

	(void)fd;
	(void)what;
	log_info("drain: %d connections still open after %d ms, closing them", e->nconns,
	    e->cfg.drain_ms);
	edge_conn_close_all(e);
	event_base_loopexit(e->base, NULL);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct edge *e = arg;
	struct timeval tv = { e->cfg.drain_ms / 1000, (e->cfg.drain_ms % 1000) * 1000 };

	(void)what;
	if (sig == SIGHUP) {
		log_reopen();
		return;
	}
	if (e->draining)
		return;
	/* Stop accepting, let established connections finish. */
	e->draining = 1;
	log_info("signal %d: draining %d connections", (int)sig, e->nconns);
	edge_listen_close_all(e);
	table_walk(e->tunnels, close_tcp, NULL);
	store_watch_free(e->watch);   /* no new tunnels to open while draining */
	e->watch = NULL;
	if (e->nconns == 0) {
		event_base_loopexit(e->base, NULL);
		return;
	}
	evtimer_add(e->drain_ev, &tv);
}

struct edge *
edge_new(const struct edge_config *cfg)
{
	struct edge *e = calloc(1, sizeof(*e));
	char err[256];
	int rc;

	if (e == NULL)
		return NULL;
	e->cfg = *cfg;
	if (e->cfg.fresh_ms <= 0)
		e->cfg.fresh_ms = EDGE_FRESH_MS;
	/* Two priorities: the store watch's deferred reads first (see
	 * db/store_watch.h), every other event at the default, 1. */
	if ((e->base = event_base_new()) == NULL || event_base_priority_init(e->base, 2) != 0)
		goto fail;
	/* Names as targets are resolved without blocking the loop. */
	if ((e->dns = evdns_base_new(e->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL)
		e->dns = evdns_base_new(e->base, 0);
	if (e->dns == NULL)
		goto fail;
	if ((rc = store_open(cfg->db_path, STORE_READONLY, &e->store, err, sizeof(err))) != BURROW_OK) {
		log_error("cannot open store %s: %s", cfg->db_path, err);
		goto fail;
	}
	if ((e->tunnels = table_new()) == NULL || (e->zones = table_new()) == NULL)
		goto fail;
	if ((e->default_ctx = edge_tls_default_ctx(e)) == NULL || edge_tls_start(e) != BURROW_OK)
		goto fail;
	if ((rc = edge_index_load(e)) != BURROW_OK) {
		log_error("cannot read the store: %s (%s)", burrow_strerror(rc), store_errmsg(e->store));
		goto fail;
	}
	if (edge_listen_tls(e) != BURROW_OK)
		goto fail;
	if ((rc = store_watch_new(e->base, e->store, cfg->poll_ms, follow, e,
	    &e->watch)) != BURROW_OK) {
		log_error("cannot follow the store: %s", burrow_strerror(rc));
		goto fail;
	}
	e->drain_ev = evtimer_new(e->base, drain_timeout, e);
	e->term_ev = evsignal_new(e->base, SIGTERM, signal_cb, e);
	e->int_ev = evsignal_new(e->base, SIGINT, signal_cb, e);
	e->hup_ev = evsignal_new(e->base, SIGHUP, signal_cb, e);
	if (e->drain_ev == NULL || e->term_ev == NULL || e->int_ev == NULL || e->hup_ev == NULL)
		goto fail;
	event_add(e->term_ev, NULL);
	event_add(e->int_ev, NULL);
	event_add(e->hup_ev, NULL);
	return e;
fail:
	edge_free(e);
	return NULL;
}

int
edge_run(struct edge *e)
{
	event_base_dispatch(e->base);
	return BURROW_OK;
}

void
edge_free(struct edge *e)
{
	if (e == NULL)
		return;
	edge_conn_close_all(e);
	edge_listen_close_all(e);
	if (e->tunnels != NULL)
		table_walk(e->tunnels, close_tcp, NULL);
	edge_index_free(e);
	store_watch_free(e->watch);
	if (e->drain_ev != NULL)
		event_free(e->drain_ev);
	if (e->term_ev != NULL)
		event_free(e->term_ev);
	if (e->int_ev != NULL)
		event_free(e->int_ev);
	if (e->hup_ev != NULL)
		event_free(e->hup_ev);
	edge_tls_stop(e);
	SSL_CTX_free(e->default_ctx);
	store_close(e->store);
	if (e->dns != NULL)
		evdns_base_free(e->dns, 0);
	if (e->base != NULL)
		event_base_free(e->base);
	OPENSSL_cleanse(e->keys, sizeof(e->keys));
	free(e);
}
