/*
 * stats.h: burrow-dns's counters, for a metrics scrape.
 *
 * Each worker thread owns one struct dns_worker_stats and is its only
 * writer: it adds with a relaxed load and a relaxed store (a plain load and
 * store on x86: no lock, no locked instruction on the answer path).  Any
 * other thread reads with relaxed loads, so a snapshot has no data race; it
 * is not atomic as a whole (two counters may be a few queries apart) and a
 * counter never goes backwards.
 */
#ifndef BURROW_DNS_STATS_H
#define BURROW_DNS_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/answer.h"
#include "dns/wire.h"

#define DNS_STATS_TRANSPORTS 2   /* indexed by enum dns_transport */
#define DNS_STATS_RCODES 16      /* the header's 4-bit RCODE */
#define DNS_STATS_LAT_BUCKETS 12

/* Upper bounds (inclusive, microseconds) of the latency buckets but the
 * last, which holds everything slower. */
extern const uint32_t dns_stats_latency_us[DNS_STATS_LAT_BUCKETS - 1];

struct dns_worker_stats {
	/* Queries answered, by transport and the response's RCODE (an extended RCODE such as
	 * BADVERS counts under its low 4 bits, as the header carries it). */
	_Atomic uint64_t queries[DNS_STATS_TRANSPORTS][DNS_STATS_RCODES];
	/* Queries that got no response at all (runts, responses, and UDP
	 * replies the socket could not take). */
	_Atomic uint64_t dropped[DNS_STATS_TRANSPORTS];
	/* Time from the batch's receipt to its send, per query. */
	_Atomic uint64_t latency[DNS_STATS_LAT_BUCKETS];
	/* Response rate limiting (rrl.h): answers withheld, answers sent
	 * truncated (TC=1) instead. */
	_Atomic uint64_t rrl_dropped, rrl_slipped;
};

/* A snapshot: the workers' counters summed, plus the change follower's. */
struct dns_stats {
	uint64_t queries[DNS_STATS_TRANSPORTS][DNS_STATS_RCODES];
	uint64_t dropped[DNS_STATS_TRANSPORTS];
	uint64_t latency[DNS_STATS_LAT_BUCKETS];
	uint64_t rrl_dropped, rrl_slipped;
	int workers;
	int64_t store_seq;      /* the change log's max(seq) at the last poll */
	int64_t applied_seq;    /* the newest change in the index */
	int64_t lag;            /* store_seq - applied_seq (>= 0) */
	uint64_t names;         /* names in the index */
};

/* The worker's own counter c grows by n: relaxed load + relaxed store, so
 * only the owning thread may call it. */
static inline void
dns_stats_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

/* Counts one response resp[0..len) sent over t (len 0: dropped). */
static inline void
dns_stats_answer(struct dns_worker_stats *s, enum dns_transport t, const uint8_t *resp,
                 size_t len)
{
	if (len < 4)
		dns_stats_add(&s->dropped[t], 1);
	else
		dns_stats_add(&s->queries[t][resp[3] & 0x0F], 1);
}

/* The latency bucket of ns nanoseconds. */
int dns_stats_bucket(uint64_t ns);

/* Counts n queries answered ns nanoseconds after they were read. */
void dns_stats_latency(struct dns_worker_stats *s, uint64_t ns, uint64_t n);

/* Adds a worker's counters to out (relaxed loads; any thread). */
void dns_stats_sum(struct dns_stats *out, const struct dns_worker_stats *s);

/* One zone's serial, for dns_server_zones() (server.h). */
struct dns_zone_serial {
	char name[DNS_NAME_MAX * 4 + 2];  /* presentation form, final dot */
	uint32_t serial;
};

#endif
