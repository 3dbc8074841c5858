/*
 * metrics.h: burrow-api's counters and Prometheus families
 * (docs/metrics.md).  One writer, the API's event loop; the collector runs
 * on the same loop (metrics_listen on the daemon's base).
 */
#ifndef BURROW_API_METRICS_H
#define BURROW_API_METRICS_H

#include "common/metrics.h"

#define API_STATS_METHODS 6      /* GET POST PUT PATCH DELETE, other */
#define API_STATS_STATUS 600     /* HTTP status codes 0-599 */

struct api_stats {
	struct metrics_counter requests[API_STATS_METHODS][API_STATS_STATUS];
	struct metrics_counter reaped;   /* tunnels deleted when their lease ran out */
};

/* Counts one request with method (as api_request.method) answered with
 * status; s NULL counts nothing. */
void api_stats_request(struct api_stats *s, const char *method, int status);

/* The collector (metrics_add_collector) of the struct api_stats arg. */
void api_metrics_collect(struct metrics_out *o, void *arg);

#endif
