/*
 * stats.c: latency buckets, summing the workers' counters and the server's
 * snapshot (dns_server_stats, dns_server_zones in server.h); see stats.h.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "dns/server_internal.h"
#include "dns/stats.h"

/* Fine below a millisecond (a UDP batch is answered in tens of µs), coarse
 * above, where only queueing (a held lock, a full socket) puts a query. */
const uint32_t dns_stats_latency_us[DNS_STATS_LAT_BUCKETS - 1] = {
	10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 100000,
};

int
dns_stats_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	int i;

	for (i = 0; i < DNS_STATS_LAT_BUCKETS - 1; i++)
		if (us <= dns_stats_latency_us[i])
			break;
	return i;
}

void
dns_stats_latency(struct dns_worker_stats *s, uint64_t ns, uint64_t n)
{
	dns_stats_add(&s->latency[dns_stats_bucket(ns)], n);
}

static uint64_t
get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void
dns_stats_sum(struct dns_stats *out, const struct dns_worker_stats *s)
{
	for (int t = 0; t < DNS_STATS_TRANSPORTS; t++) {
		for (int r = 0; r < DNS_STATS_RCODES; r++)
			out->queries[t][r] += get(&s->queries[t][r]);
		out->dropped[t] += get(&s->dropped[t]);
	}
	for (int i = 0; i < DNS_STATS_LAT_BUCKETS; i++)
		out->latency[i] += get(&s->latency[i]);
	out->rrl_dropped += get(&s->rrl_dropped);
	out->rrl_slipped += get(&s->rrl_slipped);
}

void
dns_server_stats(const struct dns_server *srv, struct dns_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < srv->nw; i++)
		dns_stats_sum(out, &srv->w[i].stats);
	out->workers = srv->nw;
	out->store_seq = atomic_load_explicit(&srv->stat_store_seq, memory_order_relaxed);
	out->applied_seq = atomic_load_explicit(&srv->stat_applied_seq, memory_order_relaxed);
	/* The store's figure is read first by the follower, so a change that
	 * lands between its two stores can show applied ahead of it. */
	out->lag = out->store_seq > out->applied_seq ? out->store_seq - out->applied_seq : 0;
	out->names = atomic_load_explicit(&srv->stat_names, memory_order_relaxed);
}

int
dns_server_zones(const struct dns_server *srv, struct dns_zone_serial **out, size_t *n)
{
	struct zone_serials *p = srv->serials;
	int rc = BURROW_ERR_NOMEM;

	pthread_mutex_lock(&p->lock);
	if ((*out = malloc((p->n > 0 ? p->n : 1) * sizeof(**out))) != NULL) {
		if (p->n > 0)
			memcpy(*out, p->z, p->n * sizeof(**out));
		*n = p->n;
		rc = BURROW_OK;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}
