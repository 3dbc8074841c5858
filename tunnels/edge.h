/*
 * edge.h: burrow-edge, shared by the files of tunnels/ that make it up.
 *
 *   index.c   tunnels and zone certificates in memory, refreshed from the
 *             store's change log when the store watch (db/store_watch.h)
 *             sees a write, or when a handshake names an unknown tunnel
 *   tls.c     SSL_CTX per zone certificate, SNI routing (client_hello
 *             callback), ALPN
 *   conn.c    one client connection's lifecycle: accept, tunnel binding,
 *             timeouts, free (conn.h: the connection's private interface)
 *   client.c  the client side: TLS handshake, reads, writes, readiness
 *   target.c  the target side: connect, reads, writes, failures
 *   relay.c   bytes between them: the pumps (write-through), back-pressure,
 *             half-close
 *   splice.c  raw tcp tunnels kernel to kernel: splice(2) through a pooled
 *             pipe per direction, falling back to the copying pump
 *   http_relay.c  connect-token tunnels: every request through the gate,
 *             every response through the tracker (http_track.h)
 *   tls_io.c  the client side's TLS driver: SSL_do_handshake, SSL_read and
 *             SSL_write through its own socket BIO (MSG_MORE batches,
 *             edge-triggered readiness), read-ahead (no bufferevent_openssl)
 *   gate.c    connect tokens: signing keys, and the gate every request
 *             head passes (gate.h; http_relay.c drives it)
 *   listen.c  the TLS listeners, one listener per tcp tunnel, the caps
 *   edge.c    the context: start, the store watch, signals, drain, free
 *   edge_metrics.c  the counters of stats.h as Prometheus families
 *
 * Everything runs on one libevent loop; the only state is struct edge.
 */
#ifndef BURROW_EDGE_H
#define BURROW_EDGE_H

#include <stdint.h>
#include <sys/time.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "common/names.h"
#include "db/store.h"
#include "db/store_watch.h"
#include "tunnels/stats.h"
#include "tunnels/table.h"
#include "tunnels/token.h"

#define EDGE_LISTEN_MAX 8
#define EDGE_KEYS_MAX 16
/* Bytes the buffered path (connect-token tunnels: cin, tin) holds per
 * direction before its reader is paused; more than a whole request head
 * (HTTP_HEAD_MAX), which the gate must see at once. */
#define EDGE_HIGH_WATER (64 * 1024)
/* Most bytes one read takes from a socket (so the most a queue can hold:
 * relay.c): four full TLS records. */
#define EDGE_READ_MAX (64 * 1024)
/* Most bytes one peek of a bulk transfer moves (the scratch buffer's
 * size): fewer, larger reads of the target mean fewer window updates, each
 * of which wakes the target. */
#define EDGE_IO_CHUNK (256 * 1024)
/* Most bytes one direction of one connection moves per loop turn, so one
 * fast transfer cannot starve the others. */
#define EDGE_BURST (256 * 1024)
/* Spare pipes kept for splice (splice.c); more are closed. */
#define EDGE_PIPES_SPARE 64
/* Default of edge_config.fresh_ms. */
#define EDGE_FRESH_MS 5

struct edge_config {
	const char *db_path;
	const char *listen[EDGE_LISTEN_MAX];   /* TLS listeners, ADDR:PORT */
	int nlisten;
	const char *tcp_hosts[EDGE_LISTEN_MAX]; /* addresses tcp tunnels bind */
	int ntcp_hosts;
	int max_conns;            /* all connections */
	int max_conns_per_tunnel;
	int handshake_ms;         /* TLS handshake, and target connect */
	int head_ms;              /* a whole request head (connect tokens) */
	int idle_ms;              /* no byte either way */
	int poll_ms;              /* change-log safety poll (writes wake the edge) */
	int fresh_ms;             /* unknown SNIs re-read the log at most this often */
	int drain_ms;             /* SIGTERM: wait this long for connections */
};

/* A tunnel as the edge routes it.  Referenced by the index and by each
 * connection using it, so a removed or changed tunnel lives on until its
 * last connection ends. */
struct edge_tunnel {
	struct edge *edge;
	char hostname[NAMES_MAX + 1];
	char zone[NAMES_MAX + 1];
	char target_host[NAMES_MAX + 1];
	uint16_t target_port;
	enum store_tunnel_kind kind;
	uint16_t public_port;
	int connect_token;
	int64_t expires_at;        /* lease end, unix seconds; 0: never */
	int refs;
	int conns;
	int indexed;               /* still in the index */
	struct evconnlistener *tcp[EDGE_LISTEN_MAX];
	int ntcp, tcp_failed;      /* tcp_failed: retry binding on a later read */
};

/* The current certificate of a zone, as a ready SSL_CTX. */
struct edge_zone {
	char name[NAMES_MAX + 1];
	int64_t cert_id;
	SSL_CTX *ctx;
};

struct edge_conn;
struct edge_tls;

struct edge {
	struct edge_config cfg;
	struct event_base *base;
	struct evdns_base *dns;
	struct store *store;
	SSL_CTX *default_ctx;      /* before SNI: routes in the client_hello cb */
	struct edge_tls *tickets;  /* session ticket keys and their rotation */
	struct table *tunnels;     /* hostname -> struct edge_tunnel */
	struct table *zones;       /* zone name -> struct edge_zone */
	struct evconnlistener *tls[EDGE_LISTEN_MAX];
	int ntls;
	struct event *term_ev, *int_ev, *hup_ev, *drain_ev;
	struct store_watch *watch; /* wakes follow() in edge.c on store writes */
	int64_t seq;               /* change log position applied */
	int64_t fresh_us;          /* monotonic time of the last read for a miss */
	struct timeval last_retry; /* last retry of failed tcp binds */
	/* Store reads that fail until the store is back: logged once each
	 * way (log.h), not on every poll and handshake. */
	struct log_outage log_index, log_keys;
	struct edge_conn *conns;   /* every live connection */
	int nconns;
	int draining;
	struct token_key keys[EDGE_KEYS_MAX];
	int nkeys;
	int keys_loaded;
	int64_t keys_stamp;        /* store_secret_stamp() of the keys held */
	struct edge_pipe *pipes;   /* spare pipes (splice.c) */
	int npipes;
	struct edge_stats stats;   /* stats.h; scraped by edge_metrics.c */
	/* Where reads of either side land before they are written on to the
	 * other side (relay.c); only what it does not take is queued. */
	unsigned char scratch[EDGE_IO_CHUNK];
};

/* ---- edge.c ---- */

/* Builds the edge: opens the store read-only, loads the index, binds the
 * listeners.  NULL on failure (logged). */
struct edge *edge_new(const struct edge_config *cfg);
/* Runs the loop until SIGTERM/SIGINT has drained.  Returns BURROW_OK. */
int edge_run(struct edge *e);
void edge_free(struct edge *e);

/* ---- index.c ---- */

/* Reads every tunnel and current certificate.  BURROW_OK or a store error. */
int edge_index_load(struct edge *e);
/* Applies the change log since the last call.  Returns 1 if it applied
 * changes, 0 if there were none, or a store error. */
int edge_index_poll(struct edge *e);
/* The indexed tunnel named hostname (owned by the index; edge_tunnel_ref()
 * to keep it), NULL if none. */
struct edge_tunnel *edge_index_tunnel(struct edge *e, const char *hostname);
/* edge_index_tunnel(), but a name the index does not know first makes it
 * apply the change log, at most once per cfg.fresh_ms for all such names
 * (a tunnel created a moment ago is served; a flood of unknown names
 * costs one small query per interval).  Same ownership; NULL if none. */
struct edge_tunnel *edge_index_lookup_fresh(struct edge *e, const char *hostname);

/* 1 if t may take a new connection: its lease (if any) has not run out,
 * after reading the change log once more (as for a miss) in case it was
 * just renewed.  Expiry needs no store write: it holds even while nothing
 * reaps the row. */
int edge_index_live(struct edge *e, struct edge_tunnel *t);
/* The zone's SSL_CTX, NULL if the zone has no certificate. */
SSL_CTX *edge_index_zone_ctx(struct edge *e, const char *zone);
void edge_index_free(struct edge *e);
void edge_tunnel_ref(struct edge_tunnel *t);
void edge_tunnel_unref(struct edge_tunnel *t);

/* ---- tls.c ---- */

/* The pre-SNI context with the client_hello router.  NULL on failure. */
SSL_CTX *edge_tls_default_ctx(struct edge *e);
/* Session tickets: makes e->tickets (the first random key, kept in memory only,
 * cleansed on free), installs the ticket callback on e->default_ctx and
 * starts the hourly key rotation on e->base.  Call after
 * edge_tls_default_ctx and before the first edge_tls_zone_ctx.  BURROW_OK
 * or BURROW_ERR_CRYPTO (logged). */
int edge_tls_start(struct edge *e);
/* Stops the rotation, cleanses and frees e->tickets.  Safe if never started;
 * call after the zone contexts and connections are gone. */
void edge_tls_stop(struct edge *e);
/* A context serving chain_pem (leaf first) with key_pem, whose sessions
 * resume only on this zone and certificate.  NULL on failure (logged with
 * zone).  The caller owns it. */
SSL_CTX *edge_tls_zone_ctx(struct edge *e, const char *zone, const char *chain_pem,
                           const char *key_pem);

/* ---- listen.c ---- */

int edge_listen_tls(struct edge *e);
/* Opens (or retries) the public ports of a tcp tunnel. */
void edge_listen_tcp_open(struct edge *e, struct edge_tunnel *t);
void edge_listen_tcp_close(struct edge_tunnel *t);
void edge_listen_close_all(struct edge *e);

/* ---- conn.c (and the files of conn.h) ---- */

/* Takes over an accepted socket: TLS (tunnel NULL, found by SNI) or a tcp
 * tunnel's raw stream. */
void edge_conn_accept(struct edge *e, evutil_socket_t fd, const struct sockaddr *sa,
                      struct edge_tunnel *tcp_tunnel);
/* Binds a TLS connection to the tunnel its SNI named.  Returns BURROW_OK or
 * BURROW_ERR_LIMIT (tunnel at its connection cap). */
int edge_conn_bind(struct edge_conn *c, struct edge_tunnel *t);
/* 1 if ALPN may select h2: an h2 tunnel without connect tokens (a token
 * tunnel is read as HTTP/1.1 by the gate). */
int edge_conn_offer_h2(const struct edge_conn *c);
/* The peer address as text, for log lines. */
const char *edge_conn_peer(const struct edge_conn *c);
void edge_conn_close_all(struct edge *e);

/* ---- gate.c ---- */

/* Re-reads the connect-token keys if they changed in the store. */
int edge_gate_refresh_keys(struct edge *e);

/* The signing key named kid (ctx: the struct edge), re-reading the keys
 * once if it is not known yet; NULL if unknown.  For gate_init (gate.h). */
const struct token_key *edge_gate_find_key(const char *kid, void *ctx);

#endif
