/*
 * stats.h: the edge's counters, bumped on the loop (the only writer) and
 * read at scrape time by edge_metrics.c (docs/metrics.md lists them).
 * Plain single-writer counters (metrics_add): a relayed byte costs an add,
 * never a lock.
 */
#ifndef BURROW_EDGE_STATS_H
#define BURROW_EDGE_STATS_H

#include "common/metrics.h"

/* How a connection ended (the first cause recorded wins). */
enum edge_result {
	EDGE_RESULT_NONE,          /* not decided yet: conn.c picks at the end */
	EDGE_RESULT_OK,            /* relayed, closed by either side or idle */
	EDGE_RESULT_TLS_FAILED,    /* the TLS handshake failed or was cut off */
	EDGE_RESULT_UNKNOWN_SNI,   /* no tunnel or certificate for the SNI */
	EDGE_RESULT_LIMIT,         /* a connection cap refused it */
	EDGE_RESULT_TARGET_FAILED, /* the target could not be reached */
	EDGE_RESULT_GATE_REFUSED,  /* the connect-token gate refused a request */
	EDGE_RESULT_TIMEOUT,       /* handshake, head, connect or page deadline */
	EDGE_RESULT_ABORTED,       /* gone before relaying (client EOF, error) */
	EDGE_RESULT_COUNT,
};

/* The connection's tunnel kind: store_tunnel_kind, or none before SNI. */
#define EDGE_KIND_NONE 3
#define EDGE_KINDS 4

/* Why a ClientHello's SNI was refused. */
enum edge_sni_refusal {
	EDGE_SNI_MISSING,          /* no server_name extension */
	EDGE_SNI_MALFORMED,
	EDGE_SNI_NO_TUNNEL,        /* no tls/h2 tunnel of that name */
	EDGE_SNI_NO_CERTIFICATE,   /* its zone has no certificate yet */
	EDGE_SNI_COUNT,
};

/* gate_out.code values (gate.c), in edge_metrics.c's table. */
#define EDGE_GATE_CODES 13

struct edge_stats {
	struct metrics_counter conns[EDGE_KINDS][EDGE_RESULT_COUNT];
	struct metrics_counter bytes_to_target, bytes_to_client;
	struct metrics_counter tls_ok, tls_resumed, tls_failed;
	struct metrics_counter sni_refused[EDGE_SNI_COUNT];
	struct metrics_counter gate[EDGE_GATE_CODES];  /* last: any other code */
};

struct edge;
struct metrics_out;

/* Counts a gate refusal of class code (gate_out.code). */
void edge_stats_gate_refused(struct edge *e, const char *code);

/* The metrics collector (metrics_add_collector) of the edge arg. */
void edge_metrics_collect(struct metrics_out *o, void *arg);

#endif
