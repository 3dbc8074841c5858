/*
 * edge_main.c: burrow-edge, the tunnel edge.
 *
 *   burrow-edge [--db PATH] [--listen ADDR[:PORT]]... [--tcp-host ADDR]...
 *               [--max-conns N] [--max-conns-per-tunnel N]
 *               [--handshake-timeout MS] [--head-timeout MS]
 *               [--idle-timeout MS] [--poll-ms MS] [--drain-ms MS]
 *               [--metrics ADDR:PORT] [--log FILE] [--verbose] [--version]
 *
 * The public TLS port is configured once, in the store (burrow init
 * --tls-port, 443 by default): tunnel URLs carry it, so the edge listens on
 * it.  --listen ADDR takes it; --listen ADDR:PORT must name the same port,
 * else the edge refuses to start rather than serve URLs nobody can reach.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/opts.h"
#include "common/version.h"
#include "db/store.h"
#include "tunnels/edge.h"

#define USAGE \
	"usage: burrow-edge [--db PATH] [--listen ADDR[:PORT]]... [--tcp-host ADDR]...\n" \
	"                   [--max-conns N] [--max-conns-per-tunnel N]\n" \
	"                   [--handshake-timeout MS] [--head-timeout MS] [--idle-timeout MS]\n" \
	"                   [--poll-ms MS] [--drain-ms MS] [--metrics ADDR:PORT]\n" \
	"                   [--log FILE] [--verbose] [--version]\n" \
	"  --db          the store (default $BURROW_DB, else ./burrow.db)\n" \
	"  --listen      TLS listener for every tls/h2 tunnel (repeatable, default 127.0.0.1);\n" \
	"                its port is the store's TLS port (burrow init --tls-port, 443)\n" \
	"  --tcp-host    address tcp tunnels' public ports bind (repeatable, default: the\n" \
	"                host of each --listen)\n" \
	"  --poll-ms     read the store's change log at least this often (default 1000);\n" \
	"                writes to the store wake the edge at once where inotify works\n" \
	"  --metrics     serve Prometheus metrics at http://ADDR:PORT/metrics\n" \
	"  times in ms, or with a unit: 500ms, 30s, 5m, 1h\n" \
	"example: burrow-edge --db /var/lib/burrow/burrow.db --listen 0.0.0.0 --listen ::\n"

static void
usage(void)
{
	fputs(USAGE, stderr);
	exit(2);
}

/* The value of an integer or duration option, or exit 2 after the one
 * line opts_*() printed. */
static int
number(const char *opt, const char *arg, int min, int max)
{
	int v;

	if (opts_int(opt, arg, min, max, &v) != BURROW_OK)
		exit(2);
	return v;
}

static int
millis(const char *opt, const char *arg, int min, int max)
{
	int v;

	if (opts_duration(opt, arg, OPTS_MS, min, max, &v) != BURROW_OK)
		exit(2);
	return v;
}

/* The store's public TLS port (the one tunnel URLs name). */
static int
store_tls_port(const char *db, uint16_t *port)
{
	struct store *s = NULL;
	char err[600], value[16];
	int rc;

	if ((rc = store_open(db, STORE_READONLY, &s, err, sizeof(err))) != BURROW_OK) {
		fprintf(stderr, "burrow-edge: %s\n", err);
		return rc;
	}
	rc = store_setting_get(s, "edge_tls_port", "443", value, sizeof(value));
	store_close(s);
	if (rc == BURROW_OK && opts_port("the store's edge_tls_port", value, port) != BURROW_OK)
		rc = BURROW_ERR_INVALID;
	return rc;
}

/* Turns each --listen ADDR[:PORT] into "ADDR:PORT" on the store's TLS port
 * (into bufs) and its address into hosts.  Exits 2 on a malformed address
 * or a port other than the store's. */
static void
resolve_listen(struct edge_config *cfg, uint16_t tls_port, char bufs[][80], char hosts[][64])
{
	uint16_t port;
	int i;

	for (i = 0; i < cfg->nlisten; i++) {
		if (opts_addr_port("--listen", cfg->listen[i], tls_port, hosts[i], 64, &port) !=
		    BURROW_OK)
			exit(2);
		if (port != tls_port) {
			fprintf(stderr, "burrow-edge: --listen %s: the store's TLS port is %u (tunnel "
			    "URLs say it): give --listen %s alone, or change the port once with "
			    "'burrow init --tls-port %u'\n", cfg->listen[i], tls_port, hosts[i], port);
			exit(2);
		}
		snprintf(bufs[i], 80, strchr(hosts[i], ':') != NULL ? "[%s]:%u" : "%s:%u",
		    hosts[i], port);
		cfg->listen[i] = bufs[i];
	}
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
		{ "version", no_argument, NULL, 'V' },
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
	char hosts[EDGE_LISTEN_MAX][64], bufs[EDGE_LISTEN_MAX][80];
	const char *logfile = NULL, *metrics_addr = NULL;
	char mhost[64];
	uint16_t tls_port, mport;
	enum log_level level = LOG_LEVEL_INFO;
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
		case 'm': cfg.max_conns = number("--max-conns", optarg, 1, 10000000); break;
		case 'M':
			cfg.max_conns_per_tunnel = number("--max-conns-per-tunnel", optarg, 1, 10000000);
			break;
		case 'H': cfg.handshake_ms = millis("--handshake-timeout", optarg, 10, 3600000); break;
		case 'R': cfg.head_ms = millis("--head-timeout", optarg, 10, 3600000); break;
		case 'I': cfg.idle_ms = millis("--idle-timeout", optarg, 10, 86400000); break;
		case 'p': cfg.poll_ms = millis("--poll-ms", optarg, 1, 60000); break;
		case 'D': cfg.drain_ms = millis("--drain-ms", optarg, 0, 3600000); break;
		case 'X':
			if (opts_addr_port("--metrics", optarg, 0, mhost, sizeof(mhost),
			    &mport) != BURROW_OK)
				exit(2);
			metrics_addr = optarg;
			break;
		case 'L': logfile = optarg; break;
		case 'v': level = LOG_LEVEL_DEBUG; break;
		case 'h': fputs(USAGE, stdout); return 0;
		case 'V': burrow_version_print(); return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (cfg.db_path == NULL && ((cfg.db_path = getenv("BURROW_DB")) == NULL ||
	    cfg.db_path[0] == '\0'))
		cfg.db_path = "burrow.db";
	if (cfg.nlisten == 0)
		cfg.listen[cfg.nlisten++] = "127.0.0.1";
	if (store_tls_port(cfg.db_path, &tls_port) != BURROW_OK)
		return 1;
	resolve_listen(&cfg, tls_port, bufs, hosts);
	if (cfg.ntcp_hosts == 0)
		for (i = 0; i < cfg.nlisten; i++)
			cfg.tcp_hosts[cfg.ntcp_hosts++] = hosts[i];
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
