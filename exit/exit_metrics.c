/*
 * exit_metrics.c: burrow-exit's families (docs/metrics.md), written at
 * scrape time on the agent's loop: the connected peers of each proxy (from
 * the store, as the agent reconciles them) and each WireGuard interface's
 * byte counters (the kernel's, from sysfs; wireguard-go's tun device has
 * them too).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "exit/exit_agent.h"
#include "exit/exit_metrics.h"
#include "exit/exit_state.h"

/* /sys/class/net/IF/statistics/WHAT; -1 if the interface or file is not there. */
static int64_t
if_stat(const char *ifname, const char *what)
{
	char path[128];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, what);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	return n == 1 ? (int64_t)v : -1;
}

static void
peers(struct metrics_out *o, const struct exit_state *st)
{
	struct metrics_label l = { "proxy", NULL };
	size_t i, j;
	uint64_t n;

	metrics_family(o, "burrow_exit_peers", METRICS_GAUGE,
	    "WireGuard peers connected to the proxy's static IPs hosted on this node.");
	for (i = 0; i < st->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(st->ips[j].ip.proxy, st->ips[i].ip.proxy) == 0)
				break;
		if (j < i)
			continue;   /* this proxy was written with its first IP */
		for (n = 0, j = i; j < st->n; j++)
			if (strcmp(st->ips[j].ip.proxy, st->ips[i].ip.proxy) == 0)
				n += st->ips[j].npeers;
		l.value = st->ips[i].ip.proxy;
		metrics_sample_u64(o, &l, 1, n);
	}
}

/* One family of interface byte counters (what: rx_bytes or tx_bytes);
 * an interface not up yet is left out. */
static void
bytes(struct metrics_out *o, const struct exit_state *st, const char *name, const char *help,
      const char *what)
{
	struct metrics_label l[3] = { { "interface", NULL }, { "proxy", NULL }, { "ip", NULL } };
	size_t i;
	int64_t v;

	metrics_family(o, name, METRICS_COUNTER, help);
	for (i = 0; i < st->n; i++) {
		if ((v = if_stat(st->ips[i].ifname, what)) < 0)
			continue;
		l[0].value = st->ips[i].ifname;
		l[1].value = st->ips[i].ip.proxy;
		l[2].value = st->ips[i].ip.address;
		metrics_sample_u64(o, l, 3, (uint64_t)v);
	}
}

void
exit_metrics_collect(struct metrics_out *o, void *arg)
{
	struct exit_agent *a = arg;
	struct exit_state st;
	int rc;

	metrics_family(o, "burrow_exit_static_ips", METRICS_GAUGE,
	    "Static egress IPs (WireGuard interfaces) this node hosts.");
	if ((rc = exit_state_load(a->store, a->cfg.node, a->cfg.ifprefix, &st)) != BURROW_OK) {
		log_error("metrics: cannot read the store: %s", burrow_strerror(rc));
		metrics_sample(o, NULL, 0, NAN);   /* unknown, not zero */
		return;
	}
	metrics_sample_u64(o, NULL, 0, st.n);
	peers(o, &st);
	bytes(o, &st, "burrow_exit_interface_receive_bytes_total",
	    "Bytes received on the static IP's WireGuard interface (from workloads).",
	    "rx_bytes");
	bytes(o, &st, "burrow_exit_interface_transmit_bytes_total",
	    "Bytes sent on the static IP's WireGuard interface (to workloads).", "tx_bytes");
	exit_state_clear(&st);
}
