/*
 * metrics.h: burrow-dns's Prometheus families (docs/metrics.md).
 */
#ifndef BURROW_DNS_METRICS_H
#define BURROW_DNS_METRICS_H

struct metrics_out;

/* The collector (metrics_add_collector) of the struct dns_server arg: any
 * thread (dns_server_stats and dns_server_zones are), so burrow-dns serves
 * it with metrics_listen_thread() and its workers never see a scrape. */
void dns_metrics_collect(struct metrics_out *o, void *arg);

#endif
