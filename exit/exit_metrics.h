/*
 * exit_metrics.h: burrow-exit's Prometheus families (docs/metrics.md).
 */
#ifndef BURROW_EXIT_METRICS_H
#define BURROW_EXIT_METRICS_H

struct metrics_out;

/* The collector (metrics_add_collector) of the struct exit_agent arg:
 * reads the store through the agent's handle, so it runs on the agent's
 * loop. */
void exit_metrics_collect(struct metrics_out *o, void *arg);

#endif
