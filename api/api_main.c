/*
 * api_main.c: bin/burrow-api, the platform's control API (docs/api.md).
 *
 *   burrow-api [--db PATH] [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]
 *              [--reap-interval SECONDS] [--tunnel-limit N] [--metrics ADDR:PORT]
 *              [--log FILE] [--verbose]
 *
 * Listens on 127.0.0.1:8480 by default; any other address needs TLS (API
 * keys are long-lived).  Every --reap-interval it deletes the tunnels whose
 * lease ran out, so the change log tells every reader; burrow-dns and
 * burrow-edge treat them as absent from their expiry on whether or not this
 * program runs.  SIGHUP reopens the log and reloads the certificate.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "api/api.h"
#include "api/checkpoint.h"
#include "api/metrics.h"
#include "api/server.h"
#include "common/error.h"
#include "common/http_tls.h"
#include "common/log.h"
#include "common/opts.h"
#include "common/version.h"
#include "common/metrics.h"
#include "common/netaddr.h"
#include "db/store.h"

#define API_DEFAULT_LISTEN "127.0.0.1:8480"
/* The write-ahead log is copied into the database this often, off the
 * request path (api/checkpoint.h). */
#define API_CHECKPOINT_MS 100

struct daemon {
	struct api api;
	struct event_base *base;
	struct api_server *server;
	struct api_checkpointer *checkpointer;
	struct api_stats stats;
	struct metrics *metrics;
	struct event *reap_ev, *term_ev, *int_ev, *hup_ev;
	struct store *store;
	const char *tls_cert, *tls_key;
};

#define USAGE \
	"usage: burrow-api [--db PATH] [--listen ADDR:PORT (default " API_DEFAULT_LISTEN ")]\n" \
	"                  [--tls-cert FILE --tls-key FILE] [--reap-interval SECONDS]\n" \
	"                  [--tunnel-limit N] [--metrics ADDR:PORT] [--log FILE] [--verbose] [--version]\n" \
	"  --db       the store (default $BURROW_DB, else ./burrow.db)\n" \
	"example: burrow-api --db /var/lib/burrow/burrow.db --listen 127.0.0.1:8480\n"

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	int n = 0, rc;

	(void)fd;
	(void)what;
	if ((rc = store_tunnel_reap(d->store, (int64_t)time(NULL), &n)) != BURROW_OK)
		log_error("reaping expired tunnels failed: %s (%s)", burrow_strerror(rc),
		    store_errmsg(d->store));
	else if (n > 0)
		log_info("reaped %d expired tunnel%s", n, n == 1 ? "" : "s");
	if (rc == BURROW_OK && n > 0)
		metrics_add(&d->stats.reaped, (uint64_t)n);
}

static void
reload_tls(struct daemon *d)
{
	char err[PATH_MAX * 2 + 200];
	SSL_CTX *ctx;

	if (d->server == NULL || d->tls_cert == NULL)
		return;
	if ((ctx = http_tls_ctx_new(d->tls_cert, d->tls_key, err, sizeof(err))) == NULL) {
		log_error("%s; keeping the certificate in use", err);
		return;
	}
	api_server_set_tls(d->server, ctx);
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
	log_info("signal %d: exiting", (int)sig);
	event_base_loopbreak(d->base);
}

static int
add_events(struct daemon *d, int reap_s)
{
	struct timeval tv = { reap_s, 0 };

	d->reap_ev = event_new(d->base, -1, EV_PERSIST, on_reap, d);
	d->term_ev = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->int_ev = evsignal_new(d->base, SIGINT, on_signal, d);
	d->hup_ev = evsignal_new(d->base, SIGHUP, on_signal, d);
	if (d->reap_ev == NULL || d->term_ev == NULL || d->int_ev == NULL ||
	    d->hup_ev == NULL || event_add(d->reap_ev, &tv) != 0 ||
	    event_add(d->term_ev, NULL) != 0 || event_add(d->int_ev, NULL) != 0 ||
	    event_add(d->hup_ev, NULL) != 0)
		return BURROW_ERR_NOMEM;
	return BURROW_OK;
}

static void
daemon_free(struct daemon *d)
{
	struct event *evs[] = { d->reap_ev, d->term_ev, d->int_ev, d->hup_ev };
	size_t i;

	api_server_free(d->server);
	api_checkpointer_stop(d->checkpointer);
	metrics_free(d->metrics);
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	if (d->base != NULL)
		event_base_free(d->base);
	store_close(d->store);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "reap-interval", required_argument, NULL, 'r' },
		{ "tunnel-limit", required_argument, NULL, 'T' },
		{ "metrics", required_argument, NULL, 'X' },
		{ "log", required_argument, NULL, 'L' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	const char *db = getenv("BURROW_DB"), *listen = API_DEFAULT_LISTEN, *logfile = NULL;
	const char *metrics_addr = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char errmsg[PATH_MAX * 2 + 200];
	SSL_CTX *tls = NULL;
	int c, rc = 1, reap_s = 1;
	enum log_level level = LOG_LEVEL_INFO;

	memset(&d, 0, sizeof(d));
	d.api.tunnel_limit = 10000;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'l': listen = optarg; break;
		case 'c': d.tls_cert = optarg; break;
		case 'k': d.tls_key = optarg; break;
		case 'r':
			if (opts_duration("--reap-interval", optarg, OPTS_S, 1, 86400, &reap_s) !=
			    BURROW_OK)
				return 2;
			break;
		case 'T':
			if (opts_int("--tunnel-limit", optarg, 0, 100000000, &d.api.tunnel_limit) !=
			    BURROW_OK)
				return 2;
			break;
		case 'X':
			if (netaddr_parse_listen(optarg, &ss, &sslen) != BURROW_OK) {
				fprintf(stderr, "burrow-api: --metrics '%s' is not a numeric "
				    "ADDR:PORT\n", optarg);
				return 2;
			}
			metrics_addr = optarg;
			break;
		case 'L': logfile = optarg; break;
		case 'v': level = LOG_LEVEL_DEBUG; break;
		case 'h': fputs(USAGE, stdout); return 0;
		case 'V': burrow_version_print(); return 0;
		default: fputs(USAGE, stderr); return 2;
		}
	}
	if (optind != argc) {
		fputs(USAGE, stderr);
		return 2;
	}
	if ((d.tls_cert == NULL) != (d.tls_key == NULL)) {
		fprintf(stderr, "burrow-api: --tls-cert and --tls-key go together\n");
		return 2;
	}
	/* API keys must not cross a network in clear text. */
	if (http_tls_check_listen("burrow-api", listen, d.tls_cert != NULL, "") != 0)
		return 2;
	if (d.tls_cert != NULL &&
	    (tls = http_tls_ctx_new(d.tls_cert, d.tls_key, errmsg, sizeof(errmsg))) == NULL) {
		fprintf(stderr, "burrow-api: %s\n", errmsg);
		return 2;
	}
	if (log_init("burrow-api", logfile, level) != BURROW_OK) {
		fprintf(stderr, "burrow-api: cannot open log %s\n", logfile);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (store_open(db != NULL ? db : "burrow.db", 0, &d.store, errmsg,
	    sizeof(errmsg)) != BURROW_OK) {
		log_error("%s", errmsg);
		goto out;
	}
	d.api.store = d.store;
	/* SQLite still checkpoints in a commit once the log reaches 1000
	 * pages, which keeps the log bounded under a steady stream of writes;
	 * by then the thread has copied and synced most of it, so that commit
	 * waits for little (measured: the longest fsync in a request went from
	 * 16 ms to 3.5 ms). */
	d.checkpointer = api_checkpointer_start(db != NULL ? db : "burrow.db",
	    API_CHECKPOINT_MS);
	d.api.stats = &d.stats;
	if ((d.base = event_base_new()) == NULL)
		goto out;
	d.server = api_server_start(d.base, &d.api, listen, tls);
	tls = NULL;   /* the server owns it now, even on failure */
	if (d.server == NULL || add_events(&d, reap_s) != BURROW_OK)
		goto out;
	if (metrics_addr != NULL && ((d.metrics = metrics_new("burrow-api")) == NULL ||
	    metrics_add_collector(d.metrics, api_metrics_collect, &d.stats) != BURROW_OK ||
	    metrics_listen(d.metrics, d.base, metrics_addr) != BURROW_OK))
		goto out;
	on_reap(-1, 0, &d);
	log_info("serving the API on %s (%s)", listen, d.tls_cert != NULL ? "TLS" : "clear text");
	event_base_dispatch(d.base);
	rc = 0;
out:
	SSL_CTX_free(tls);
	daemon_free(&d);
	return rc;
}
