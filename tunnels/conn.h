/*
 * conn.h: one client connection through the edge, shared by the files that
 * drive it (private to tunnels/; edge.h has what the rest of the edge uses).
 *
 *   conn.c        lifecycle: accept, bind to a tunnel, hold/release, timers
 *                 and deadlines, error pages, free
 *   client.c      the client socket: TLS handshake, reads into cin, writes
 *                 from cout (tls_io.c for TLS), readiness
 *   target.c      the target: connect, reads, writes, failures
 *   relay.c       bytes between the two: back-pressure, EOF as half-close
 *   http_relay.c  connect-token tunnels: the request head through the gate,
 *                 the response status (Set-Cookie, 101)
 *
 * States:
 *   HANDSHAKE  TLS handshake (tunnel chosen by SNI in tls.c)
 *   HEAD       connect-token tunnels: reading the request head (gate.c)
 *   CONNECTING connecting to the tunnel's target
 *   RELAY      bytes both ways, each direction paused while the other
 *              side's output holds EDGE_HIGH_WATER bytes (back-pressure),
 *              EOF relayed as a half-close
 *   CLOSING    an error page is being flushed, then the connection ends
 *
 * The client socket is driven directly: two events on its fd, an input and
 * an output evbuffer, and tls_io.c for TLS (no bufferevent: libevent 2.1's
 * reads at most 4 KB at a time and its TLS filter reads each record in two
 * calls).  The target is a bufferevent that only connects and writes;
 * target_rd reads it.
 *
 * Every event callback holds the connection (conn_hold/conn_release):
 * conn_free() inside one only marks it dead, and the memory goes when the
 * outermost callback returns, so deep call chains never touch freed memory.
 * Callbacks only move bytes; deciding what a request head means is gate.c's
 * job (and http_head.c's, which is pure).
 */
#ifndef BURROW_CONN_H
#define BURROW_CONN_H

#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "tunnels/edge.h"

enum conn_state { CONN_HANDSHAKE, CONN_HEAD, CONN_CONNECTING, CONN_RELAY, CONN_CLOSING };

struct edge_conn {
	struct edge *edge;
	struct edge_tunnel *tunnel;      /* referenced; NULL before SNI */
	struct bufferevent *target;
	/* Reads the target socket in place of the bufferevent, whose reads
	 * libevent 2.1 caps at 4 KB (evbuffer_read): see target_readable in target.c. */
	struct event *target_rd;
	/* The client side: socket, events, buffers, TLS (NULL: tcp tunnel). */
	evutil_socket_t fd;
	struct event *client_rd, *client_wr;
	int rd_on, wr_on;                /* those events are pending */
	struct evbuffer *cin, *cout;
	SSL *ssl;
	short hs_want, rd_want, wr_want; /* what a blocked step waits for */
	int rd_more;                     /* a read stopped with bytes left */
	int busy, dead;                  /* hold/release, conn_free deferred */
	enum conn_state state;
	int http;                        /* client speaks HTTP/1.1: 502 page */
	int client_eof, target_eof;      /* that side sent EOF */
	int client_shut, target_shut;    /* we sent EOF to that side */
	int client_paused, target_paused;
	int in_connect, connect_failed;
	/* connect tokens */
	int upgrade;                     /* hold client bytes until 101 */
	int watch_status;                /* look at the response status line */
	int discard_client;              /* upgrade refused: no more requests */
	char *cookie;                    /* Set-Cookie line to add, owned */
	char *pending;                   /* rewritten head for the target, owned */
	size_t pending_len;
	/* timeouts */
	struct event *timer;
	struct timeval last;             /* last byte either way */
	struct timeval deadline;         /* handshake, head, connect, closing */
	const char *deadline_what;       /* NULL: no deadline */
	struct edge_conn *prev, *next;
	char peer[INET6_ADDRSTRLEN + 8];
};

/* ---- conn.c ---- */

/* Ends the connection: at once, or when the outermost callback releases it. */
void conn_free(struct edge_conn *c);
/* Brackets every event callback (see above). */
void conn_hold(struct edge_conn *c);
void conn_release(struct edge_conn *c);
/* Records a byte moving either way (the idle timeout starts again). */
void conn_touch(struct edge_conn *c);
/* A deadline of ms for what (a phrase for the log line); NULL clears it. */
void conn_set_deadline(struct edge_conn *c, const char *what, int ms);
/* Queues a plain-text HTTP/1.1 error page for the client. */
void conn_send_page(struct edge_conn *c, int status, const char *reason, const char *body);
/* Sends what is queued for the client, then closes. */
void conn_close_after_flush(struct edge_conn *c);

/* ---- client.c ---- */

/* The client fd's event callback, read and write. */
void client_io(evutil_socket_t fd, short what, void *arg);
/* Arms the client's events for what its blocked steps wait for. */
void client_arm(struct edge_conn *c);
/* Writes cout until it is empty or the socket blocks; a failed write ends
 * the connection. */
void client_flush(struct edge_conn *c);
/* Sends EOF to the client: close_notify for TLS, else SHUT_WR. */
void client_shut(struct edge_conn *c);

/* ---- target.c ---- */

/* Starts connecting to the tunnel's target (state CONNECTING). */
void target_connect(struct edge_conn *c);
/* Frees the target's events and bufferevent (closing its socket). */
void target_drop(struct edge_conn *c);
void target_set_reading(struct edge_conn *c, int on);
void target_shut(struct edge_conn *c);
/* Writes what the target socket takes of src now, if nothing is queued. */
void target_write_now(struct edge_conn *c, struct evbuffer *src);
/* The target cannot be reached: a 502 page for HTTP clients, then close. */
void target_failed(struct edge_conn *c, const char *why);

/* ---- relay.c ---- */

/* Moves one side's input to the other side's output, with back-pressure. */
void relay_pump(struct edge_conn *c, int from_client);
/* New bytes in cin / in the target's input. */
void relay_client_read(struct edge_conn *c);
void relay_target_read(struct edge_conn *c);
/* That side sent EOF. */
void relay_client_eof(struct edge_conn *c);
void relay_target_eof(struct edge_conn *c);
/* cout shrank: resume the target, finish closing, relay the target's EOF. */
void relay_client_wrote(struct edge_conn *c);
/* Frees the connection if both directions have ended; 1 if it did. */
int relay_maybe_done(struct edge_conn *c);

/* ---- http_relay.c ---- */

/* State HEAD: runs the gate on cin; connects on a pass, answers a denial. */
void http_relay_head(struct edge_conn *c);
/* The connect-token response check on the target's input.  Returns 0 when
 * done, 1 to wait for more bytes, -1 if the connection was closed. */
int http_relay_response(struct edge_conn *c);

#endif
