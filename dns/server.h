/*
 * server.h: burrow-dns's sockets and event loops (libevent).
 *
 * One event loop per thread; with more than one thread every thread binds
 * its own UDP and TCP sockets with SO_REUSEPORT.  The kernel spreads TCP
 * connections by flow; UDP packets go by default to the worker of the CPU
 * that received them (a few client flows would otherwise hash onto one
 * worker), or by flow, or to one socket all workers read (udp_steer).  All threads answer from one zone index; the first thread also
 * follows the store's change log (woken by db/store_watch.h on every write)
 * and applies changes while holding every thread's lock (a "big reader" lock: a reader takes only its own, so
 * answering never contends).  The callbacks only move bytes: the answers
 * come from dns_answer() (answer.h), zone transfers and signed queries from
 * xfr_handle() (xfr.h).  The first thread also keeps the IXFR journal and
 * the catalog zone in step with the index, re-reads the secondaries every
 * second and sends NOTIFY (notify.h) whenever a zone's serial moves.
 */
#ifndef BURROW_DNS_SERVER_H
#define BURROW_DNS_SERVER_H

#include <stdint.h>

#include "db/store.h"
#include "dns/rrl.h"
#include "dns/stats.h"
#include "dns/zone_index.h"

#define DNS_SERVER_LISTEN_MAX 16

/* How the UDP packets of one listen address reach the workers. */
enum dns_udp_steer {
	DNS_UDP_STEER_CPU,     /* a SO_REUSEPORT socket each, by receiving CPU */
	DNS_UDP_STEER_FLOW,    /* a SO_REUSEPORT socket each, the kernel's flow hash */
	DNS_UDP_STEER_SHARED,  /* one socket every worker reads */
};

struct dns_server_config {
	const char *listen[DNS_SERVER_LISTEN_MAX];  /* "ADDR:PORT", "[V6]:PORT" */
	int nlisten;
	int threads;          /* event loops, >= 1 */
	int tcp_max;          /* open TCP connections per thread */
	int tcp_idle_ms;      /* idle TCP connections are closed after this */
	int poll_ms;          /* change-log safety poll (writes wake the server) */
	const char *catalog;  /* catalog zone name (RFC 9432), NULL: none */
	size_t journal_max;   /* bytes of IXFR history */
	enum dns_udp_steer udp_steer;  /* with threads > 1 */
	struct rrl_config rrl; /* UDP response rate limiting; rate 0: off */
};

struct dns_server;

/* Binds every listen address and prepares the loops.  Takes ownership of
 * store and idx (freed by dns_server_free), which must reflect the change
 * log up to seq.  NULL on failure (logged). */
struct dns_server *dns_server_new(const struct dns_server_config *cfg,
                                  struct store *store, struct zone_index *idx,
                                  int64_t seq);

/* Runs until SIGTERM or SIGINT; SIGHUP reopens the log.
 * Returns BURROW_OK after a clean stop, BURROW_ERR_IO if a loop failed. */
int dns_server_run(struct dns_server *srv);

void dns_server_free(struct dns_server *srv);

/* Sums every worker's counters into *out (cleared first) with the change
 * follower's figures.  Safe from any thread while the server runs: relaxed
 * loads only, never a lock the answer path takes (stats.h). */
void dns_server_stats(const struct dns_server *srv, struct dns_stats *out);

/* Each zone's name and serial as of the last applied change, in a
 * malloc'ed array (*out, *n; the caller frees *out).  Any thread; takes a
 * lock only the change follower shares.  Errors: BURROW_ERR_NOMEM. */
int dns_server_zones(const struct dns_server *srv, struct dns_zone_serial **out,
                     size_t *n);

#endif
