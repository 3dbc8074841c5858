/*
 * metrics.c: burrow-api's families (docs/metrics.md): requests by method
 * and status, tunnels reaped.
 */
#include <stdio.h>
#include <string.h>

#include "api/metrics.h"

static const char *const methods[API_STATS_METHODS] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", "other",
};

void
api_stats_request(struct api_stats *s, const char *method, int status)
{
	int m;

	if (s == NULL)
		return;
	for (m = 0; m < API_STATS_METHODS - 1; m++)
		if (method != NULL && strcmp(method, methods[m]) == 0)
			break;
	if (status < 0 || status >= API_STATS_STATUS)
		status = 0;
	metrics_add(&s->requests[m][status], 1);
}

void
api_metrics_collect(struct metrics_out *o, void *arg)
{
	const struct api_stats *s = arg;
	struct metrics_label l[2] = { { "method", NULL }, { "code", NULL } };
	char code[8];
	uint64_t v;
	int m, st;

	metrics_family(o, "burrow_api_requests_total", METRICS_COUNTER,
	    "API requests answered, by method and HTTP status (statuses seen so far).");
	for (m = 0; m < API_STATS_METHODS; m++) {
		for (st = 0; st < API_STATS_STATUS; st++) {
			if ((v = metrics_get(&s->requests[m][st])) == 0)
				continue;
			snprintf(code, sizeof(code), "%d", st);
			l[0].value = methods[m];
			l[1].value = code;
			metrics_sample_u64(o, l, 2, v);
		}
	}
	metrics_family(o, "burrow_api_tunnels_reaped_total", METRICS_COUNTER,
	    "Tunnels deleted from the store because their lease ran out.");
	metrics_sample_u64(o, NULL, 0, metrics_get(&s->reaped));
}
