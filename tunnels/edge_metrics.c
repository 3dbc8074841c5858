/*
 * edge_metrics.c: burrow-edge's families (docs/metrics.md), written at
 * scrape time on the edge's loop from the counters of stats.h.
 */
#include <string.h>

#include "common/metrics.h"
#include "tunnels/edge.h"

static const char *const kinds[EDGE_KINDS] = { "tls", "h2", "tcp", "none" };

static const char *const results[EDGE_RESULT_COUNT] = {
	"none", "ok", "tls_failed", "unknown_sni", "limit", "target_failed", "gate_refused",
	"timeout", "aborted",
};

static const char *const sni_reasons[EDGE_SNI_COUNT] = {
	"missing", "malformed", "no_tunnel", "no_certificate",
};

/* gate.c's refusal codes; the last slot counts any code not listed. */
static const char *const gate_codes[EDGE_GATE_CODES] = {
	"no_token", "token_expired", "token_unknown_key", "token_bad_signature",
	"token_malformed", "two_tokens", "malformed_head", "head_too_large", "bad_upgrade",
	"upgrade_body", "malformed_body", "no_memory", "other",
};

void
edge_stats_gate_refused(struct edge *e, const char *code)
{
	size_t i;

	for (i = 0; i + 1 < EDGE_GATE_CODES; i++)
		if (code != NULL && strcmp(code, gate_codes[i]) == 0)
			break;
	metrics_add(&e->stats.gate[i], 1);
}

static void
connections(struct metrics_out *o, const struct edge *e)
{
	struct metrics_label l[2] = { { "kind", NULL }, { "result", NULL } };
	int k, r;

	metrics_family(o, "burrow_edge_connections_total", METRICS_COUNTER,
	    "Client connections ended, by tunnel kind (none: before SNI) and how they ended.");
	for (k = 0; k < EDGE_KINDS; k++) {
		for (r = EDGE_RESULT_OK; r < EDGE_RESULT_COUNT; r++) {
			l[0].value = kinds[k];
			l[1].value = results[r];
			metrics_sample_u64(o, l, 2, metrics_get(&e->stats.conns[k][r]));
		}
	}
	metrics_family(o, "burrow_edge_open_connections", METRICS_GAUGE,
	    "Client connections open now.");
	metrics_sample_i64(o, NULL, 0, e->nconns);
	metrics_family(o, "burrow_edge_tunnels", METRICS_GAUGE,
	    "Tunnels the edge serves (its index).");
	metrics_sample_u64(o, NULL, 0, e->tunnels != NULL ? table_count(e->tunnels) : 0);
}

static void
bytes(struct metrics_out *o, const struct edge *e)
{
	struct metrics_label l = { "direction", "to_target" };

	metrics_family(o, "burrow_edge_relayed_bytes_total", METRICS_COUNTER,
	    "Bytes read from clients (to_target) and from targets (to_client).");
	metrics_sample_u64(o, &l, 1, metrics_get(&e->stats.bytes_to_target));
	l.value = "to_client";
	metrics_sample_u64(o, &l, 1, metrics_get(&e->stats.bytes_to_client));
}

static void
tls(struct metrics_out *o, const struct edge *e)
{
	struct metrics_label l = { "result", "full" };
	int i;

	metrics_family(o, "burrow_edge_tls_handshakes_total", METRICS_COUNTER,
	    "TLS handshakes: completed in full, resumed from a ticket, or failed.");
	metrics_sample_u64(o, &l, 1, metrics_get(&e->stats.tls_ok));
	l.value = "resumed";
	metrics_sample_u64(o, &l, 1, metrics_get(&e->stats.tls_resumed));
	l.value = "failed";
	metrics_sample_u64(o, &l, 1, metrics_get(&e->stats.tls_failed));
	metrics_family(o, "burrow_edge_unknown_sni_total", METRICS_COUNTER,
	    "ClientHellos refused with unrecognized_name, by reason.");
	for (i = 0; i < EDGE_SNI_COUNT; i++) {
		l.name = "reason";
		l.value = sni_reasons[i];
		metrics_sample_u64(o, &l, 1, metrics_get(&e->stats.sni_refused[i]));
	}
}

static void
gate(struct metrics_out *o, const struct edge *e)
{
	struct metrics_label l = { "reason", NULL };
	int i;

	metrics_family(o, "burrow_edge_gate_refusals_total", METRICS_COUNTER,
	    "Requests the connect-token gate refused, by reason.");
	for (i = 0; i < EDGE_GATE_CODES; i++) {
		l.value = gate_codes[i];
		metrics_sample_u64(o, &l, 1, metrics_get(&e->stats.gate[i]));
	}
}

void
edge_metrics_collect(struct metrics_out *o, void *arg)
{
	const struct edge *e = arg;

	connections(o, e);
	bytes(o, e);
	tls(o, e);
	gate(o, e);
}
