/*
 * conn.h: one client connection through the edge, shared by the files that
 * drive it (private to tunnels/; edge.h has what the rest of the edge uses).
 *
 *   conn.c        lifecycle: accept, bind to a tunnel, hold/release, timers
 *                 and deadlines, error pages, free
 *   client.c      the client socket: TLS handshake, reads, writes (tls_io.c
 *                 for TLS), its readiness
 *   target.c      the target socket: connect, reads, writes, failures
 *   relay.c       bytes between the two: the pumps, back-pressure, EOF as
 *                 half-close
 *   splice.c      raw tcp tunnels: kernel to kernel through a pipe per
 *                 direction (pooled), with the copying pump as fallback
 *   http_relay.c  connect-token tunnels: every request head through the
 *                 gate, every response through the tracker (Set-Cookie,
 *                 101, keep-alive)
 *
 * States:
 *   HANDSHAKE  TLS handshake (tunnel chosen by SNI in tls.c)
 *   HEAD       connect-token tunnels: reading the first request head (gate.c)
 *   CONNECTING connecting to the tunnel's target
 *   RELAY      bytes both ways; a side is read only while the other side's
 *              queue is under EDGE_HIGH_WATER (back-pressure), EOF relayed
 *              as a half-close
 *   CLOSING    an error page is being flushed, then the connection ends
 *
 * Both sockets are driven directly, edge-triggered: one event per socket,
 * read and write, registered once (no epoll_ctl after that).  What each
 * socket is known to be lives in the connection: readable until a read
 * comes back short or EAGAIN (unless the peer's FIN is in, EV_CLOSED: then
 * until the read that returns the EOF), writable until a write blocks; an
 * event sets the flag again.  A side paused by back-pressure keeps its flag and is
 * read as soon as the queue drains.
 *
 * The pumps read into the edge's scratch buffer and write at once to the
 * other side (write-through); only what that side does not take is queued
 * (cout, tout), so a connection holds memory only while a peer is slower
 * than the other.  Connect-token tunnels queue every byte (cin, tin) for
 * http_relay.c to look at.
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
#include <event2/event.h>
#include <openssl/ssl.h>

#include "tunnels/edge.h"
#include "tunnels/tls_io.h"

enum conn_state { CONN_HANDSHAKE, CONN_HEAD, CONN_CONNECTING, CONN_RELAY, CONN_CLOSING };

/* What one run of a pump ended on. */
enum pump_status {
	PUMP_IDLE,    /* the source is drained or the destination is full: wait */
	PUMP_MORE,    /* this turn's budget is spent: come back next loop turn */
	PUMP_EOF,     /* the source ended its stream */
	PUMP_ERROR,   /* either socket failed: the connection ends */
	PUMP_COPY,    /* splice.c: no pipe or no splice, use the copying pump */
};

struct target_lookup;
struct edge_pipe;
struct http_relay;

struct edge_conn {
	struct edge *edge;
	struct edge_tunnel *tunnel;      /* referenced; NULL before SNI */
	enum conn_state state;
	enum edge_result result;         /* how it ended, for the metrics (stats.h) */
	int busy, dead;                  /* hold/release, conn_free deferred */
	int http;                        /* client speaks HTTP/1.1: 502 page */
	/* The client side: socket, its event, TLS (tio.ssl NULL: tcp tunnel)
	 * and its readiness (tio.readable, tio.writable, plain or TLS). */
	evutil_socket_t fd;
	struct event *client_ev;
	SSL *ssl;
	struct tls_io tio;
	short hs_want, rd_want, wr_want; /* what a blocked TLS step waits for */
	struct evbuffer *cin;            /* client bytes held (token tunnels) */
	struct evbuffer *cout;           /* bytes the client has not taken yet */
	/* The target side: socket (-1 until connecting), its event, its
	 * readiness, a name lookup in flight. */
	evutil_socket_t tfd;
	struct event *target_ev;
	unsigned t_readable : 1, t_writable : 1, t_fin : 1;
	struct target_lookup *lookup;
	struct evbuffer *tin;            /* target bytes held (token tunnels) */
	struct evbuffer *tout;           /* bytes the target has not taken yet */
	/* Raw tcp tunnels: the pipe of each direction while it holds bytes
	 * (splice.c); copy_up/copy_down: splice is not possible there. */
	struct edge_pipe *pipe_up, *pipe_down;
	unsigned copy_up : 1, copy_down : 1;
	unsigned pumping_up : 1, pumping_down : 1;   /* re-entry guards */
	/* A bulk transfer toward the client is on (the last read filled a
	 * chunk): its bytes stay in the target's socket until the client
	 * takes them (relay.c). */
	unsigned bulk_down : 1;
	size_t peek_len;                 /* the next peek's size */
	int client_eof, target_eof;      /* that side sent EOF */
	int client_shut, target_shut;    /* we sent EOF to that side */
	/* connect tokens: the gate and the response tracker (http_relay.c),
	 * owned; NULL on other tunnels */
	struct http_relay *hr;
	char *pending;                   /* first rewritten head for the target, owned */
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
/* Records why the connection is ending, unless a cause already was. */
void conn_set_result(struct edge_conn *c, enum edge_result r);
/* Records a byte moving either way (the idle timeout starts again). */
void conn_touch(struct edge_conn *c);
/* A deadline of ms for what (a phrase for the log line); NULL clears it. */
void conn_set_deadline(struct edge_conn *c, const char *what, int ms);
/* Queues a plain-text HTTP/1.1 error page for the client. */
void conn_send_page(struct edge_conn *c, int status, const char *reason, const char *body);
/* Sends what is queued for the client, then closes. */
void conn_close_after_flush(struct edge_conn *c);

/* ---- client.c ---- */

/* The client fd's event callback (edge-triggered, read and write). */
void client_event(evutil_socket_t fd, short what, void *arg);
/* 1 if a read of the client may return bytes now (readiness, or records
 * OpenSSL holds). */
int client_can_read(const struct edge_conn *c);
/* Reads up to len bytes into buf, *got of them; the status of the last
 * step (OK: buf full or the socket may hold more, WANT_*: drained or
 * blocked, EOF, ERROR). */
enum tls_io_status client_read(struct edge_conn *c, unsigned char *buf, size_t len, size_t *got);
/* Reads the client into cin while cin and what is queued for the target
 * hold less than EDGE_HIGH_WATER: the buffered path (connect tokens).
 * Returns the last status. */
enum tls_io_status client_fill(struct edge_conn *c);
/* 1 if a write to the client may go on now. */
int client_can_write(const struct edge_conn *c);
/* Writes what the client takes of n bytes at p now (*done), if nothing is
 * queued; queues nothing (a TLS record that blocked must be offered again
 * from the same bytes).  -1 if the client is gone (freed). */
int client_write_through(struct edge_conn *c, const unsigned char *p, size_t n, size_t *done);
/* Sends n bytes of p: written at once when nothing is queued, the rest
 * queued in cout.  -1 if the client is gone (the connection is freed). */
int client_send(struct edge_conn *c, const unsigned char *p, size_t n);
/* Writes cout until it is empty or the socket blocks.  -1 if the client
 * is gone (a failed write frees the connection) or shut. */
int client_push(struct edge_conn *c);
/* client_push, then lets the relay react (relay_client_wrote). */
void client_flush(struct edge_conn *c);
/* Sends EOF to the client: close_notify for TLS, else SHUT_WR. */
void client_shut(struct edge_conn *c);
/* Calls client_event again in the next loop turn (a pump's budget ran
 * out with bytes left). */
void client_again(struct edge_conn *c);

/* ---- target.c ---- */

/* Starts connecting to the tunnel's target (state CONNECTING). */
void target_connect(struct edge_conn *c);
/* Closes the target socket, frees its event, cancels a lookup. */
void target_drop(struct edge_conn *c);
void target_shut(struct edge_conn *c);
/* Reads up to len bytes into buf, *got of them; status as client_read. */
enum tls_io_status target_read(struct edge_conn *c, unsigned char *buf, size_t len, size_t *got);
/* The same without taking the bytes (MSG_PEEK); target_discard(n) takes
 * n of them afterwards (MSG_TRUNC: no copy).  -1: the target is gone. */
enum tls_io_status target_peek(struct edge_conn *c, unsigned char *buf, size_t len, size_t *got);
int target_discard(struct edge_conn *c, size_t n);
/* Reads the target into tin while tin and what is queued for the client
 * hold less than EDGE_HIGH_WATER (connect tokens). */
enum tls_io_status target_fill(struct edge_conn *c);
/* Sends n bytes of p, the rest queued in tout.  -1 if the target is gone
 * (the connection is freed). */
int target_send(struct edge_conn *c, const unsigned char *p, size_t n);
/* Moves all of src to the target: written at once when nothing is queued,
 * the rest queued.  -1 if the target is gone. */
int target_send_buffer(struct edge_conn *c, struct evbuffer *src);
/* Writes tout until it is empty or the socket blocks, then lets the relay
 * react (relay_target_wrote). */
void target_flush(struct edge_conn *c);
/* Calls the target's event callback again in the next loop turn. */
void target_again(struct edge_conn *c);
/* The target cannot be reached: a 502 page for HTTP clients, then close. */
void target_failed(struct edge_conn *c, const char *why);

/* ---- relay.c ---- */

/* Appends n bytes of p to the queue q (a copy of exactly n bytes when
 * it is a large leftover).  0 or -1 (out of memory). */
int relay_queue(struct evbuffer *q, const unsigned char *p, size_t n);
/* Bytes queued for the target / the client, pipes included. */
size_t relay_to_target_pending(const struct edge_conn *c);
size_t relay_to_client_pending(const struct edge_conn *c);
/* Moves what the client has to the target while the target's queue has
 * room, and the reverse: the pumps, run on readiness and on resume. */
void relay_from_client(struct edge_conn *c);
void relay_from_target(struct edge_conn *c);
/* Moves src (bytes for that side) to the target's / the client's output,
 * with the same back-pressure: the buffered path of connect tokens. */
void relay_to_target(struct edge_conn *c, struct evbuffer *src);
void relay_to_client(struct edge_conn *c, struct evbuffer *src);
/* Moves cin to the target (from_client) or tin to the client. */
void relay_pump(struct edge_conn *c, int from_client);
/* New bytes in cin / in tin (connect tokens). */
void relay_client_read(struct edge_conn *c);
void relay_target_read(struct edge_conn *c);
/* That side sent EOF. */
void relay_client_eof(struct edge_conn *c);
void relay_target_eof(struct edge_conn *c);
/* The client's queue shrank: resume the target, finish closing, relay the
 * target's EOF.  relay_target_wrote: the same the other way. */
void relay_client_wrote(struct edge_conn *c);
void relay_target_wrote(struct edge_conn *c);
/* The target is connected: relay what waited. */
void relay_start(struct edge_conn *c);
/* Frees the connection if both directions have ended; 1 if it did. */
int relay_maybe_done(struct edge_conn *c);

/* ---- splice.c ---- */

/* Moves up to budget bytes of one direction of a raw tcp tunnel (up:
 * client to target) kernel to kernel.  PUMP_COPY: no pipe could be had
 * (use the copying pump this time) or the sockets cannot splice (from now
 * on, c->copy_up / copy_down). */
enum pump_status splice_pump(struct edge_conn *c, int up, size_t budget);
/* Bytes a direction's pipe holds. */
size_t splice_pending(const struct edge_conn *c, int up);
/* Gives the connection's pipes back (to the pool, or closed). */
void splice_release(struct edge_conn *c);
/* Closes the edge's spare pipes. */
void splice_pool_free(struct edge *e);

/* ---- http_relay.c ---- */

/* State HEAD: runs the gate on the first request head in cin; connects on
 * a pass, answers a denial. */
void http_relay_head(struct edge_conn *c);
/* State RELAY: moves what the gate lets through from cin to the target
 * (each head checked and rewritten, bodies framed, the rest held or
 * dropped). */
void http_relay_client(struct edge_conn *c);
/* Moves the target's responses (tin) to the client through the tracker
 * (Set-Cookie, 101, our pages in order, the end of the stream). */
void http_relay_target(struct edge_conn *c);
/* 1 while client bytes wait for the response to an upgrade request: the
 * target's write side stays open until then.  0 on other tunnels. */
int http_relay_holding(const struct edge_conn *c);
/* 1 once the gate cut a request body short (malformed framing): the
 * target's write side is shut as soon as what is queued has gone. */
int http_relay_cut(const struct edge_conn *c);
/* Frees c->hr (NULL is fine). */
void http_relay_free(struct edge_conn *c);

#endif
