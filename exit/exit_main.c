/*
 * exit_main.c: bin/burrow-exit, the WireGuard exit-pool agent.
 *
 *   burrow-exit [--db PATH] [--node NAME] [--listen ADDR:PORT]
 *               [--tls-cert FILE --tls-key FILE] [--insecure-listen]
 *               [--ifprefix P] [--nft-table T] [--idle-timeout SECONDS]
 *               [--expire-interval SECONDS] [--poll-ms MS] [--log FILE]
 *               [--metrics ADDR:PORT] [--once] [--verbose] [--version]
 *
 * Interfaces and rules outlive the agent (traffic flows while it restarts);
 * on start it reconciles them with the store.  The API listens on loopback
 * by default; elsewhere it needs TLS (or --insecure-listen).  SIGHUP reopens
 * the log and reloads the certificate and key.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "common/error.h"
#include "common/http_tls.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/opts.h"
#include "common/version.h"
#include "db/store.h"
#include "db/store_proxy.h"
#include "db/store_watch.h"
#include "exit/exit_agent.h"
#include "exit/exit_api.h"
#include "exit/exit_metrics.h"
#include "exit/exit_tls.h"

#define EXIT_DEFAULT_LISTEN "127.0.0.1:8470"

struct daemon {
	struct exit_agent agent;
	struct event_base *base;
	struct store_watch *watch;    /* runs exit_agent_poll() on store writes */
	struct event *expire_ev, *term_ev, *int_ev, *hup_ev;
	struct exit_api *api;
	struct metrics *metrics;
	struct store *store;
	const char *tls_cert, *tls_key;
};

#define USAGE \
	"usage: burrow-exit [--db PATH] [--node NAME]\n" \
	"                   [--listen ADDR:PORT (default " EXIT_DEFAULT_LISTEN ")]\n" \
	"                   [--tls-cert FILE --tls-key FILE] [--insecure-listen]\n" \
	"                   [--ifprefix P] [--nft-table T] [--idle-timeout SECONDS]\n" \
	"                   [--expire-interval SECONDS] [--poll-ms MS] [--log FILE]\n" \
	"                   [--metrics ADDR:PORT] [--once] [--verbose] [--version]\n" \
	"  --db  the store (default $BURROW_DB, else ./burrow.db)\n" \
	"  times as a number (of seconds, or ms for --poll-ms) or with a unit: 30s, 5m, 1h, 1d\n" \
	"example: burrow-exit --db /var/lib/burrow/burrow.db --node exit-1 --idle-timeout 10m\n"

static void
usage(void)
{
	fputs(USAGE, stderr);
	exit(2);
}

/* The value of a duration option in unit, or exit 2 after the one line
 * opts_duration() printed. */
static int
duration_arg(const char *opt, const char *arg, enum opts_unit unit, int lo, int hi)
{
	int v;

	if (opts_duration(opt, arg, unit, lo, hi, &v) != BURROW_OK)
		exit(2);
	return v;
}

static int
on_store_change(void *arg)
{
	struct daemon *d = arg;

	return exit_agent_poll(&d->agent);
}

static void
on_expire(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	exit_agent_expire(&d->agent, time(NULL), NULL);
}

/* A renewed certificate takes effect without a restart; a broken one is
 * logged and the old one kept. */
static void
reload_tls(struct daemon *d)
{
	char err[PATH_MAX * 2 + 200];
	SSL_CTX *ctx;

	if (d->api == NULL || d->tls_cert == NULL)
		return;
	if ((ctx = exit_tls_ctx_new(d->tls_cert, d->tls_key, err, sizeof(err))) == NULL) {
		log_error("%s; keeping the certificate in use", err);
		return;
	}
	exit_api_set_tls(d->api, ctx);
	log_info("reloaded --tls-cert %s", d->tls_cert);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_reopen();
		reload_tls(d);
		return;
	}
	log_info("signal %d: exiting, interfaces and rules stay up", (int)sig);
	event_base_loopbreak(d->base);
}

static void
daemon_free(struct daemon *d)
{
	struct event *evs[] = { d->expire_ev, d->term_ev, d->int_ev, d->hup_ev };
	size_t i;

	exit_api_free(d->api);
	metrics_free(d->metrics);
	store_watch_free(d->watch);
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	if (d->base != NULL)
		event_base_free(d->base);
	exit_agent_clear(&d->agent);
	store_close(d->store);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "insecure-listen", no_argument, NULL, 'I' },
		{ "ifprefix", required_argument, NULL, 'p' },
		{ "nft-table", required_argument, NULL, 't' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "expire-interval", required_argument, NULL, 'e' },
		{ "poll-ms", required_argument, NULL, 'm' },
		{ "log", required_argument, NULL, 'L' },
		{ "metrics", required_argument, NULL, 'X' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	struct timeval expire_tv;
	const char *db = getenv("BURROW_DB"), *listen = EXIT_DEFAULT_LISTEN, *logfile = NULL;
	const char *metrics_addr = NULL;
	char mhost[64];
	uint16_t mport;
	char errmsg[PATH_MAX * 2 + 200];
	SSL_CTX *tls = NULL;
	int c, once = 0, rc = 1, poll_ms = 1000, expire_s = 10, insecure = 0;
	enum log_level level = LOG_LEVEL_INFO;

	memset(&d, 0, sizeof(d));
	d.agent.cfg.node = "";
	d.agent.cfg.ifprefix = "bwx";
	d.agent.cfg.nft_table = "burrow_exit";
	d.agent.cfg.idle_timeout = 300;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': d.agent.cfg.node = optarg; break;
		case 'l': listen = optarg; break;
		case 'c': d.tls_cert = optarg; break;
		case 'k': d.tls_key = optarg; break;
		case 'I': insecure = 1; break;
		case 'p': d.agent.cfg.ifprefix = optarg; break;
		case 't': d.agent.cfg.nft_table = optarg; break;
		case 'i':
			d.agent.cfg.idle_timeout = duration_arg("--idle-timeout", optarg, OPTS_S, 1,
			    86400 * 365);
			break;
		case 'e': expire_s = duration_arg("--expire-interval", optarg, OPTS_S, 1, 86400); break;
		case 'm': poll_ms = duration_arg("--poll-ms", optarg, OPTS_MS, 10, 60000); break;
		case 'L': logfile = optarg; break;
		case 'X':
			if (opts_addr_port("--metrics", optarg, 0, mhost, sizeof(mhost),
			    &mport) != BURROW_OK)
				return 2;
			metrics_addr = optarg;
			break;
		case 'o': once = 1; break;
		case 'v': level = LOG_LEVEL_DEBUG; break;
		case 'h': fputs(USAGE, stdout); return 0;
		case 'V': burrow_version_print(); return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	/* Interface names are at most 15 characters: prefix plus an id. */
	if (strlen(d.agent.cfg.ifprefix) == 0 || strlen(d.agent.cfg.ifprefix) > 8 ||
	    strspn(d.agent.cfg.ifprefix, "abcdefghijklmnopqrstuvwxyz0123456789") !=
	    strlen(d.agent.cfg.ifprefix) ||
	    strspn(d.agent.cfg.nft_table, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
	    strlen(d.agent.cfg.nft_table) || d.agent.cfg.nft_table[0] == '\0') {
		fprintf(stderr, "burrow-exit: --ifprefix is 1-8 of [a-z0-9], --nft-table "
		    "of [a-z0-9_]\n");
		return 2;
	}
	if ((d.tls_cert == NULL) != (d.tls_key == NULL)) {
		fprintf(stderr, "burrow-exit: --tls-cert and --tls-key go together\n");
		return 2;
	}
	/* Bearer tokens in clear text off this host only when asked for. */
	if (http_tls_check_listen("burrow-exit", listen, d.tls_cert != NULL || insecure,
	    " (or --insecure-listen to send bearer tokens in clear text)") != 0)
		return 2;
	if (d.tls_cert != NULL &&
	    (tls = exit_tls_ctx_new(d.tls_cert, d.tls_key, errmsg, sizeof(errmsg))) == NULL) {
		fprintf(stderr, "burrow-exit: %s\n", errmsg);
		return 2;
	}
	d.agent.cfg.poll_ms = poll_ms;
	d.agent.cfg.expire_interval = expire_s;
	if (log_init("burrow-exit", logfile, level) != BURROW_OK) {
		fprintf(stderr, "burrow-exit: cannot open log %s\n", logfile);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (store_open(db != NULL && db[0] != '\0' ? db : "burrow.db", 0, &d.store, errmsg,
	    sizeof(errmsg)) != BURROW_OK) {
		log_error("%s", errmsg);
		goto out;
	}
	d.agent.store = d.store;
	if (exit_agent_reconcile(&d.agent) != BURROW_OK && once)
		goto out;
	if (once) {
		rc = 0;
		goto out;
	}
	if ((d.base = event_base_new()) == NULL)
		goto out;
	d.api = exit_api_start(d.base, &d.agent, listen, tls);
	tls = NULL;   /* the API owns it now, even on failure */
	if (d.api == NULL)
		goto out;
	if (metrics_addr != NULL && ((d.metrics = metrics_new("burrow-exit")) == NULL ||
	    metrics_add_collector(d.metrics, exit_metrics_collect, &d.agent) != BURROW_OK ||
	    metrics_listen(d.metrics, d.base, metrics_addr) != BURROW_OK))
		goto out;
	if (d.tls_cert == NULL && http_tls_listen_loopback(listen) == 0)
		log_warn("API on %s without TLS (--insecure-listen): bearer tokens cross the "
		    "network in clear text", listen);
	expire_tv.tv_sec = expire_s;
	expire_tv.tv_usec = 0;
	d.expire_ev = event_new(d.base, -1, EV_PERSIST, on_expire, &d);
	d.term_ev = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.int_ev = evsignal_new(d.base, SIGINT, on_signal, &d);
	d.hup_ev = evsignal_new(d.base, SIGHUP, on_signal, &d);
	if (d.expire_ev == NULL || d.term_ev == NULL || d.int_ev == NULL || d.hup_ev == NULL ||
	    event_add(d.expire_ev, &expire_tv) != 0 ||
	    event_add(d.term_ev, NULL) != 0 || event_add(d.int_ev, NULL) != 0 ||
	    event_add(d.hup_ev, NULL) != 0)
		goto out;
	/* A proxy connected with the CLI (or burrow-api) takes effect as soon as
	 * it is stored; poll_ms is only the safety net (db/store_watch.h). */
	if (store_watch_new(d.base, d.store, poll_ms, on_store_change, &d, &d.watch) != BURROW_OK)
		goto out;
	log_info("serving node '%s', API on %s (%s)", d.agent.cfg.node, listen,
	    d.tls_cert != NULL ? "TLS" : "clear text");
	event_base_dispatch(d.base);
	rc = 0;
out:
	SSL_CTX_free(tls);
	daemon_free(&d);
	return rc;
}
