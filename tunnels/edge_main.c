/*
 * edge_main.c: burrow-edge, the tunnel edge.
 *
 *   burrow-edge --db PATH [--listen ADDR:PORT]... [--tcp-host ADDR]...
 *               [--max-conns N] [--max-conns-per-tunnel N]
 *               [--handshake-timeout MS] [--head-timeout MS]
 *               [--idle-timeout MS] [--poll-ms MS] [--drain-ms MS]
 *               [--metrics ADDR:PORT] [--log FILE] [--verbose]
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/netaddr.h"
#include "tunnels/edge.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: burrow-edge --db PATH [--listen ADDR:PORT]... [--tcp-host ADDR]...\n"
	    "                   [--max-conns N] [--max-conns-per-tunnel N]\n"
	    "                   [--handshake-timeout MS] [--head-timeout MS] [--idle-timeout MS]\n"
	    "                   [--poll-ms MS] [--drain-ms MS] [--metrics ADDR:PORT]\n"
	    "                   [--log FILE] [--verbose]\n"
	    "  --listen      TLS listener for every tls/h2 tunnel (repeatable, default 127.0.0.1:8443)\n"
	    "  --tcp-host    address tcp tunnels' public ports bind (repeatable, default: the\n"
	    "                host of each --listen)\n"
	    "  --poll-ms     read the store's change log at least this often (default 1000);\n"
	    "                writes to the store wake the edge at once where inotify works\n"
	    "  --metrics     serve Prometheus metrics at http://ADDR:PORT/metrics\n");
	exit(2);
}

static int
number(const char *s, int min, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "burrow-edge: '%s' is not a number in %d-%d\n", s, min, max);
		exit(2);
	}
	return (int)v;
}

/* "1.2.3.4:443" -> "1.2.3.4", "[::1]:443" -> "::1" into out. */
static int
listen_host(const char *addr, char *out, size_t outsz)
{
	const char *colon = strrchr(addr, ':');
	size_t n;

	if (colon == NULL)
		return BURROW_ERR_INVALID;
	if (addr[0] == '[') {
		addr++;
		colon--;
	}
	n = (size_t)(colon - addr);
	if (n == 0 || n >= outsz)
		return BURROW_ERR_INVALID;
	memcpy(out, addr, n);
	out[n] = '\0';
	return BURROW_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tcp-host", required_argument, NULL, 't' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "max-conns-per-tunnel", required_argument, NULL, 'M' },
		{ "handshake-timeout", required_argument, NULL, 'H' },
		{ "head-timeout", required_argument, NULL, 'R' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "drain-ms", required_argument, NULL, 'D' },
		{ "metrics", required_argument, NULL, 'X' },
		{ "log", required_argument, NULL, 'L' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct edge_config cfg = {
		.max_conns = 10000,
		.max_conns_per_tunnel = 1000,
		.handshake_ms = 10000,
		.head_ms = 10000,
		.idle_ms = 300000,
		.poll_ms = 1000,
		.drain_ms = 10000,
	};
	char hosts[EDGE_LISTEN_MAX][64];
	const char *logfile = NULL, *metrics_addr = NULL;
	enum log_level level = LOG_LEVEL_INFO;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct metrics *m = NULL;
	struct edge *e;
	int c, i;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': cfg.db_path = optarg; break;
		case 'l':
			if (cfg.nlisten == EDGE_LISTEN_MAX)
				usage();
			cfg.listen[cfg.nlisten++] = optarg;
			break;
		case 't':
			if (cfg.ntcp_hosts == EDGE_LISTEN_MAX)
				usage();
			cfg.tcp_hosts[cfg.ntcp_hosts++] = optarg;
			break;
		case 'm': cfg.max_conns = number(optarg, 1, 10000000); break;
		case 'M': cfg.max_conns_per_tunnel = number(optarg, 1, 10000000); break;
		case 'H': cfg.handshake_ms = number(optarg, 10, 3600000); break;
		case 'R': cfg.head_ms = number(optarg, 10, 3600000); break;
		case 'I': cfg.idle_ms = number(optarg, 10, 86400000); break;
		case 'p': cfg.poll_ms = number(optarg, 1, 60000); break;
		case 'D': cfg.drain_ms = number(optarg, 0, 3600000); break;
		case 'X':
			if (netaddr_parse_listen(optarg, &ss, &sslen) != BURROW_OK) {
				fprintf(stderr, "burrow-edge: --metrics '%s' is not a numeric "
				    "ADDR:PORT\n", optarg);
				exit(2);
			}
			metrics_addr = optarg;
			break;
		case 'L': logfile = optarg; break;
		case 'v': level = LOG_LEVEL_DEBUG; break;
		default: usage();
		}
	}
	if (optind != argc || cfg.db_path == NULL)
		usage();
	if (cfg.nlisten == 0)
		cfg.listen[cfg.nlisten++] = "127.0.0.1:8443";
	if (cfg.ntcp_hosts == 0) {
		for (i = 0; i < cfg.nlisten; i++) {
			if (listen_host(cfg.listen[i], hosts[i], sizeof(hosts[i])) != BURROW_OK)
				usage();
			cfg.tcp_hosts[cfg.ntcp_hosts++] = hosts[i];
		}
	}
	if (log_init("burrow-edge", logfile, level) != BURROW_OK) {
		fprintf(stderr, "burrow-edge: cannot open log %s\n", logfile);
		return 1;
	}
	/* A peer that vanishes mid-write is an EPIPE to handle, not a death. */
	signal(SIGPIPE, SIG_IGN);
	if ((e = edge_new(&cfg)) == NULL)
		return 1;
	/* The collector runs on the edge's loop, the counters' one writer. */
	if (metrics_addr != NULL && ((m = metrics_new("burrow-edge")) == NULL ||
	    metrics_add_collector(m, edge_metrics_collect, e) != BURROW_OK ||
	    metrics_listen(m, e->base, metrics_addr) != BURROW_OK)) {
		metrics_free(m);
		edge_free(e);
		return 1;
	}
	edge_run(e);
	log_info("stopped");
	metrics_free(m);
	edge_free(e);
	return 0;
}
