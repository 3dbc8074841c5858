/*
 * metrics.c: burrow-dns's families (docs/metrics.md).  The workers own
 * their counters (stats.h) and never see a scrape: the families are
 * written on a thread of common/metrics.h's own, from dns_server_stats()
 * (relaxed loads) and dns_server_zones() (a lock only the change follower
 * shares), so the answer path takes no lock and no extra branch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "dns/metrics.h"
#include "dns/server.h"
#include "dns/stats.h"

static const char *const transports[DNS_STATS_TRANSPORTS] = { "udp", "tcp" };

/* RCODE as ldns names it (RFC 6895 2.3), else "RCODEn". */
static const char *
rcode_name(int r, char *buf, size_t bufsz)
{
	const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, r);

	if (t != NULL && t->name != NULL)
		return t->name;
	snprintf(buf, bufsz, "RCODE%d", r);
	return buf;
}

static void
queries(struct metrics_out *o, const struct dns_stats *st)
{
	struct metrics_label l[2] = { { "transport", NULL }, { "rcode", NULL } };
	char buf[16];
	int t, r;

	metrics_family(o, "burrow_dns_queries_total", METRICS_COUNTER,
	    "Queries answered, by transport and the response's RCODE (its low 4 bits).");
	for (t = 0; t < DNS_STATS_TRANSPORTS; t++) {
		for (r = 0; r < DNS_STATS_RCODES; r++) {
			/* The RCODEs burrow-dns sends, always; the others once seen. */
			if (r > LDNS_RCODE_NOTZONE && st->queries[t][r] == 0)
				continue;
			l[0].value = transports[t];
			l[1].value = rcode_name(r, buf, sizeof(buf));
			metrics_sample_u64(o, l, 2, st->queries[t][r]);
		}
	}
	metrics_family(o, "burrow_dns_unanswered_total", METRICS_COUNTER,
	    "Queries that got no response (runts, responses, replies the socket refused).");
	for (t = 0; t < DNS_STATS_TRANSPORTS; t++) {
		l[0].value = transports[t];
		metrics_sample_u64(o, l, 1, st->dropped[t]);
	}
}

static void
latency(struct metrics_out *o, const struct dns_stats *st)
{
	double bounds[DNS_STATS_LAT_BUCKETS - 1];
	int i;

	for (i = 0; i < DNS_STATS_LAT_BUCKETS - 1; i++)
		bounds[i] = dns_stats_latency_us[i] / 1e6;
	metrics_family(o, "burrow_dns_answer_duration_seconds", METRICS_HISTOGRAM,
	    "Time from a query's receipt to its answer's send (buckets only: no _sum).");
	metrics_sample_buckets(o, NULL, 0, bounds, st->latency, DNS_STATS_LAT_BUCKETS - 1, NAN);
}

static void
rrl_and_index(struct metrics_out *o, const struct dns_stats *st)
{
	metrics_family(o, "burrow_dns_rrl_dropped_total", METRICS_COUNTER,
	    "Answers response-rate limiting withheld.");
	metrics_sample_u64(o, NULL, 0, st->rrl_dropped);
	metrics_family(o, "burrow_dns_rrl_slipped_total", METRICS_COUNTER,
	    "Answers response-rate limiting sent truncated (TC=1) instead.");
	metrics_sample_u64(o, NULL, 0, st->rrl_slipped);
	metrics_family(o, "burrow_dns_workers", METRICS_GAUGE, "Answering threads.");
	metrics_sample_i64(o, NULL, 0, st->workers);
	metrics_family(o, "burrow_dns_names", METRICS_GAUGE, "Names in the served index.");
	metrics_sample_u64(o, NULL, 0, st->names);
	metrics_family(o, "burrow_dns_changelog_lag", METRICS_GAUGE,
	    "Store changes written but not applied to the served index yet.");
	metrics_sample_i64(o, NULL, 0, st->lag);
	metrics_family(o, "burrow_dns_changelog_applied_seq", METRICS_GAUGE,
	    "The newest store change the served index reflects.");
	metrics_sample_i64(o, NULL, 0, st->applied_seq);
}

static void
serials(struct metrics_out *o, const struct dns_server *srv)
{
	struct dns_zone_serial *z = NULL;
	struct metrics_label l = { "zone", NULL };
	size_t n = 0, i, len;

	metrics_family(o, "burrow_dns_zone_serial", METRICS_GAUGE,
	    "The SOA serial served for the zone.");
	if (dns_server_zones(srv, &z, &n) != BURROW_OK) {
		log_error("metrics: no zone list (out of memory)");
		return;
	}
	for (i = 0; i < n; i++) {
		/* "w.modal.host", as the store and burrow-acme's labels name it. */
		len = strlen(z[i].name);
		if (len > 1 && z[i].name[len - 1] == '.')
			z[i].name[len - 1] = '\0';
		l.value = z[i].name;
		metrics_sample_u64(o, &l, 1, z[i].serial);
	}
	free(z);
}

void
dns_metrics_collect(struct metrics_out *o, void *arg)
{
	const struct dns_server *srv = arg;
	struct dns_stats st;

	dns_server_stats(srv, &st);
	queries(o, &st);
	latency(o, &st);
	rrl_and_index(o, &st);
	serials(o, srv);
}
