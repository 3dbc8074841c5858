/*
 * dns_main.c: bin/burrow-dns, the authoritative nameserver for every zone in
 * the store.  Options, logging and start-up; the work is in server.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "db/store.h"
#include "dns/catalog.h"
#include "dns/index_load.h"
#include "dns/server.h"
#include "dns/zone_index.h"

#define USAGE \
	"usage: burrow-dns [--db PATH] [--listen ADDR:PORT]... [--threads N]\n" \
	"                  [--tcp-max N] [--tcp-idle SECONDS] [--poll-ms MS]\n" \
	"                  [--catalog NAME|none] [--journal-mb N]\n" \
	"                  [--udp-steer cpu|flow|shared]\n" \
	"                  [--rrl-rate N] [--rrl-slip N] [--rrl-exempt CIDR]...\n" \
	"                  [--log FILE] [--verbose]\n" \
	"  --poll-ms  read the store's change log at least this often (default 1000);\n" \
	"             writes to the store wake burrow-dns at once where inotify works\n" \
	"  --udp-steer with --threads > 1, UDP queries go to the worker of the CPU\n" \
	"             that received them (cpu, default), by client flow (flow: for a\n" \
	"             single-queue NIC without RPS) or to one shared socket (shared)\n" \
	"  --rrl-rate UDP responses per second to one client netblock (/24, IPv6 /56)\n" \
	"             per response class (default 200; 0: off); TCP is never limited\n" \
	"  --rrl-slip over the rate, every Nth response is sent truncated (TC=1) so a\n" \
	"             real resolver retries over TCP, the rest dropped (default 2;\n" \
	"             0: drop them all, 1: truncate them all)\n" \
	"  --rrl-exempt  never rate-limit clients in this block (repeatable)\n"

static int
parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		return BURROW_ERR_INVALID;
	*out = (int)v;
	return BURROW_OK;
}

static double
elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "tcp-max", required_argument, NULL, 'c' },
		{ "tcp-idle", required_argument, NULL, 'i' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'L' },
		{ "catalog", required_argument, NULL, 'C' },
		{ "journal-mb", required_argument, NULL, 'J' },
		{ "udp-steer", required_argument, NULL, 'U' },
		{ "rrl-rate", required_argument, NULL, 'R' },
		{ "rrl-slip", required_argument, NULL, 'S' },
		{ "rrl-exempt", required_argument, NULL, 'E' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dns_server_config cfg = { { NULL }, 0, 1, 256, 10000, 1000, CATALOG_DEFAULT_NAME,
	    (size_t)64 << 20, DNS_UDP_STEER_CPU,
	    { .rate = RRL_DEFAULT_RATE, .slip = RRL_DEFAULT_SLIP } };
	const char *db = getenv("BURROW_DB"), *logfile = NULL;
	enum log_level level = LOG_LEVEL_INFO;
	struct store *store = NULL;
	struct zone_index *idx = NULL;
	struct dns_server *srv = NULL;
	struct timespec t0;
	char err[512];
	int64_t seq = 0;
	int opt, secs, rc = 1;

	if (db == NULL || db[0] == '\0')
		db = "burrow.db";
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			db = optarg;
			break;
		case 'l':
			if (cfg.nlisten == DNS_SERVER_LISTEN_MAX) {
				fprintf(stderr, "burrow-dns: at most %d --listen addresses\n",
				    DNS_SERVER_LISTEN_MAX);
				return 2;
			}
			cfg.listen[cfg.nlisten++] = optarg;
			break;
		case 't':
			if (parse_int(optarg, 1, 256, &cfg.threads) != BURROW_OK)
				goto usage;
			break;
		case 'c':
			if (parse_int(optarg, 1, 1000000, &cfg.tcp_max) != BURROW_OK)
				goto usage;
			break;
		case 'i':
			if (parse_int(optarg, 1, 3600, &secs) != BURROW_OK)
				goto usage;
			cfg.tcp_idle_ms = secs * 1000;
			break;
		case 'p':
			if (parse_int(optarg, 1, 60000, &cfg.poll_ms) != BURROW_OK)
				goto usage;
			break;
		case 'L':
			logfile = optarg;
			break;
		case 'C':
			cfg.catalog = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case 'J':
			if (parse_int(optarg, 0, 65536, &secs) != BURROW_OK)
				goto usage;
			cfg.journal_max = (size_t)secs << 20;
			break;
		case 'U':
			if (strcmp(optarg, "cpu") == 0)
				cfg.udp_steer = DNS_UDP_STEER_CPU;
			else if (strcmp(optarg, "flow") == 0)
				cfg.udp_steer = DNS_UDP_STEER_FLOW;
			else if (strcmp(optarg, "shared") == 0)
				cfg.udp_steer = DNS_UDP_STEER_SHARED;
			else
				goto usage;
			break;
		case 'R':
			if (parse_int(optarg, 0, 1000000, &secs) != BURROW_OK)
				goto usage;
			cfg.rrl.rate = (uint32_t)secs;
			break;
		case 'S':
			if (parse_int(optarg, 0, 100, &secs) != BURROW_OK)
				goto usage;
			cfg.rrl.slip = (uint32_t)secs;
			break;
		case 'E':
			if (cfg.rrl.nexempt == RRL_EXEMPT_MAX ||
			    netaddr_cidr_parse(optarg, &cfg.rrl.exempt[cfg.rrl.nexempt]) != BURROW_OK) {
				fprintf(stderr, "burrow-dns: --rrl-exempt: '%s' is not an address block "
				    "(ADDR/LEN, host bits clear; at most %d)\n", optarg, RRL_EXEMPT_MAX);
				return 2;
			}
			cfg.rrl.nexempt++;
			break;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (cfg.nlisten == 0)
		cfg.listen[cfg.nlisten++] = "127.0.0.1:5353";
	if (log_init("burrow-dns", logfile, level) != BURROW_OK) {
		fprintf(stderr, "burrow-dns: cannot open log file %s\n", logfile);
		return 1;
	}

	/* A reader only: burrow-dns never writes the store. */
	if (store_open(db, STORE_READONLY, &store, err, sizeof(err)) != BURROW_OK) {
		log_error("%s", err);
		goto out;
	}
	if ((idx = zone_index_new()) == NULL) {
		log_error("out of memory");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (index_load_all(store, idx, &seq) != BURROW_OK) {
		log_error("loading %s: %s", db, store_errmsg(store));
		goto out;
	}
	log_info("loaded %zu names from %s in %.0f ms (change log at %lld)",
	    zone_index_count(idx), db, elapsed_ms(&t0), (long long)seq);
	srv = dns_server_new(&cfg, store, idx, seq);
	store = NULL;
	idx = NULL;
	if (srv == NULL)
		goto out;
	for (int i = 0; i < cfg.nlisten; i++)
		log_info("listening on %s (UDP and TCP)", cfg.listen[i]);
	if (cfg.rrl.rate > 0)
		log_info("UDP response rate limit: %u/s per netblock and class, slip %u, "
		    "%d exempt blocks", cfg.rrl.rate, cfg.rrl.slip, cfg.rrl.nexempt);
	else
		log_info("UDP response rate limit: off");
	if (dns_server_run(srv) == BURROW_OK)
		rc = 0;
	if (cfg.rrl.rate > 0) {
		struct dns_stats st;
		dns_server_stats(srv, &st);
		log_info("rate limiting dropped %llu and truncated %llu UDP responses",
		    (unsigned long long)st.rrl_dropped, (unsigned long long)st.rrl_slipped);
	}
out:
	dns_server_free(srv);
	zone_index_free(idx);
	store_close(store);
	log_info("stopped");
	return rc;
usage:
	fputs(USAGE, stderr);
	return 2;
}
