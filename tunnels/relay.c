/*
 * relay.c: bytes between the client and the target (see conn.h).
 *
 * The pumps: a side is read while it is readable and nothing waits for
 * the other side, each read (up to EDGE_READ_MAX, in the edge's scratch
 * buffer) written on at once; what the other side does not take is queued
 * (a copy of exactly that size), and reading stops until it has gone: one
 * buffer per direction, held only while that peer is behind.  A bulk
 * transfer toward the client is peeked instead (peek_down, up to
 * EDGE_IO_CHUNK at a time), so its bytes wait in the kernel, not here.
 * Raw tcp tunnels splice kernel to kernel (splice.c).  Connect-token
 * tunnels take the buffered path: every byte through cin or tin, for
 * http_relay.c, up to EDGE_HIGH_WATER.  Each direction moves at most
 * EDGE_BURST per loop turn, then yields (client_again, target_again).
 *
 * EOF is relayed as a half-close once everything before it is out; the
 * connection ends when both directions have.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "tunnels/conn.h"

size_t
relay_to_target_pending(const struct edge_conn *c)
{
	return (c->tout != NULL ? evbuffer_get_length(c->tout) : 0) + splice_pending(c, 1);
}

size_t
relay_to_client_pending(const struct edge_conn *c)
{
	return evbuffer_get_length(c->cout) + splice_pending(c, 0);
}

/* Both directions have ended: the connection is done. */
int
relay_maybe_done(struct edge_conn *c)
{
	if (c->client_shut && c->target_shut) {
		conn_free(c);
		return 1;
	}
	return 0;
}

static void
free_copy(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

int
relay_queue(struct evbuffer *q, const unsigned char *p, size_t n)
{
	void *copy;

	/* An evbuffer would round a large leftover up to a power of two. */
	if (n < 4096 || evbuffer_get_length(q) > 0)
		return evbuffer_add(q, p, n);
	if ((copy = malloc(n)) == NULL)
		return -1;
	memcpy(copy, p, n);
	if (evbuffer_add_reference(q, copy, n, free_copy, NULL) != 0) {
		free(copy);
		return -1;
	}
	return 0;
}

/* Whether the pump toward that side may read its source now: nothing
 * queued on the raw path, less than EDGE_HIGH_WATER on the buffered one. */
static int
room_to_target(const struct edge_conn *c)
{
	size_t q = relay_to_target_pending(c);

	return c->hr != NULL ? q < EDGE_HIGH_WATER : q == 0;
}

static int
room_to_client(const struct edge_conn *c)
{
	size_t q = relay_to_client_pending(c);

	return c->hr != NULL ? q < EDGE_HIGH_WATER : q == 0;
}

/* What a read that stopped with st means for a pump: the source ended,
 * failed, or has nothing more for now. */
static enum pump_status
stopped(enum tls_io_status st)
{
	return st == TLS_IO_EOF ? PUMP_EOF : st == TLS_IO_ERROR ? PUMP_ERROR : PUMP_IDLE;
}

/* ---- the copying pumps ---- */

/* Client to target through the scratch buffer. */
static enum pump_status
copy_up(struct edge_conn *c, size_t budget)
{
	unsigned char *buf = c->edge->scratch;
	enum tls_io_status st;
	size_t got, moved = 0;

	while (!c->client_eof && client_can_read(c)) {
		if (relay_to_target_pending(c) > 0)
			return PUMP_IDLE;   /* relay_target_wrote resumes */
		if (moved >= budget)
			return PUMP_MORE;
		st = client_read(c, buf, EDGE_READ_MAX, &got);
		if (got > 0 && target_send(c, buf, got) != 0)
			return PUMP_ERROR;
		moved += got;
		if (st != TLS_IO_OK)
			return stopped(st);
	}
	return PUMP_IDLE;
}

/* Target to client during a bulk transfer: the bytes are peeked, and only
 * what the client took is then taken from the target's socket; the rest
 * stays there, so a client that stops reading leaves no queue here (a
 * blocked TLS record is offered again from the same bytes, peeked again).
 * The transfer ends with a short read that all went out.  Each peek asks
 * for twice what the client took last time (what it did not take is
 * copied again next time, so a slow client gets small peeks). */
static enum pump_status
peek_down(struct edge_conn *c, unsigned char *buf, size_t *moved)
{
	enum tls_io_status st;
	size_t want = c->peek_len, got, done;

	st = target_peek(c, buf, want, &got);
	if (got == 0)
		return stopped(st);
	if (client_write_through(c, buf, got, &done) != 0 || target_discard(c, done) != 0)
		return PUMP_ERROR;
	*moved += done;
	if (done < got) {
		c->peek_len = done > TLS_IO_RECORD ? done : TLS_IO_RECORD;
		return PUMP_IDLE;   /* the client's writable edge resumes */
	}
	c->peek_len = 2 * want < EDGE_IO_CHUNK ? 2 * want : EDGE_IO_CHUNK;
	if (got < want) {
		c->bulk_down = 0;
		if (!c->t_fin)
			c->t_readable = 0;   /* short, and all of it went */
	}
	return PUMP_MORE;
}

/* Target to client through the scratch buffer. */
static enum pump_status
copy_down(struct edge_conn *c, size_t budget)
{
	unsigned char *buf = c->edge->scratch;
	enum pump_status ps;
	enum tls_io_status st;
	size_t got, moved = 0;

	while (!c->target_eof && c->t_readable) {
		if (relay_to_client_pending(c) > 0 || !client_can_write(c))
			return PUMP_IDLE;   /* relay_client_wrote resumes */
		if (moved >= budget)
			return PUMP_MORE;
		if (c->bulk_down) {
			if ((ps = peek_down(c, buf, &moved)) != PUMP_MORE)
				return ps;
			continue;
		}
		/* A plain read first (a keep-alive response is one); a full
		 * one starts a bulk transfer, peeked from then on.  What the
		 * client leaves of this one read is queued. */
		st = target_read(c, buf, EDGE_READ_MAX, &got);
		if (got > 0 && client_send(c, buf, got) != 0)
			return PUMP_ERROR;
		moved += got;
		if ((c->bulk_down = got == EDGE_READ_MAX))
			c->peek_len = relay_to_client_pending(c) > 0 ? TLS_IO_RECORD : EDGE_IO_CHUNK;
		if (st != TLS_IO_OK)
			return stopped(st);
	}
	return PUMP_IDLE;
}

/* ---- the buffered pumps (connect tokens, and the states before RELAY) ---- */

/* Client bytes into cin, handed to relay_client_read, while they come
 * and there is room. */
static enum pump_status
buffered_up(struct edge_conn *c, size_t budget)
{
	enum tls_io_status st;
	size_t before, moved = 0;

	for (;;) {
		if (c->client_eof)
			return PUMP_IDLE;
		before = evbuffer_get_length(c->cin);
		st = client_fill(c);
		moved += evbuffer_get_length(c->cin) - before;
		if (evbuffer_get_length(c->cin) > 0)
			relay_client_read(c);
		if (c->dead)
			return PUMP_ERROR;
		if (st != TLS_IO_OK)
			return stopped(st);
		/* OK: cin reached its bound; go on if that made room. */
		if (!client_can_read(c) ||
		    evbuffer_get_length(c->cin) + relay_to_target_pending(c) >= EDGE_HIGH_WATER)
			return PUMP_IDLE;
		if (moved >= budget)
			return PUMP_MORE;
	}
}

static enum pump_status
buffered_down(struct edge_conn *c, size_t budget)
{
	enum tls_io_status st;
	size_t before, moved = 0;

	for (;;) {
		if (c->target_eof)
			return PUMP_IDLE;   /* also once the tracker ended the stream */
		before = evbuffer_get_length(c->tin);
		st = target_fill(c);
		moved += evbuffer_get_length(c->tin) - before;
		if (evbuffer_get_length(c->tin) > 0)
			relay_target_read(c);
		if (c->dead)
			return PUMP_ERROR;
		if (st != TLS_IO_OK)
			return stopped(st);
		if (!c->t_readable ||
		    evbuffer_get_length(c->tin) + relay_to_client_pending(c) >= EDGE_HIGH_WATER)
			return PUMP_IDLE;
		if (moved >= budget)
			return PUMP_MORE;
	}
}

/* ---- the directions ---- */

/* Not a connect-token tunnel (those have their gate from state HEAD on). */
static int
raw(const struct edge_conn *c)
{
	return c->hr == NULL && !c->tunnel->connect_token;
}

static void
pump_failed(struct edge_conn *c, const char *side)
{
	if (c->dead)
		return;
	log_debug("%s: %s read failed, closing", c->peer, side);
	conn_free(c);
}

void
relay_from_client(struct edge_conn *c)
{
	enum pump_status st;

	if (c->dead || c->pumping_up || c->state == CONN_HANDSHAKE ||
	    c->state == CONN_CONNECTING)
		return;   /* the client's bytes wait in the kernel or OpenSSL */
	c->pumping_up = 1;
	if (c->state != CONN_RELAY || !raw(c))
		st = buffered_up(c, EDGE_BURST);
	else if (c->ssl == NULL && !c->copy_up &&
	    (st = splice_pump(c, 1, EDGE_BURST)) != PUMP_COPY)
		;
	else
		st = copy_up(c, EDGE_BURST);
	c->pumping_up = 0;
	if (c->dead)
		return;
	switch (st) {
	case PUMP_MORE:
		client_again(c);
		break;
	case PUMP_EOF:
		relay_client_eof(c);
		break;
	case PUMP_ERROR:
		pump_failed(c, "client");
		break;
	default:
		break;
	}
}

void
relay_from_target(struct edge_conn *c)
{
	enum pump_status st;

	if (c->dead || c->pumping_down || c->state != CONN_RELAY)
		return;
	c->pumping_down = 1;
	if (!raw(c))
		st = buffered_down(c, EDGE_BURST);
	else if (c->ssl == NULL && !c->copy_down &&
	    (st = splice_pump(c, 0, EDGE_BURST)) != PUMP_COPY)
		;
	else
		st = copy_down(c, EDGE_BURST);
	c->pumping_down = 0;
	if (c->dead)
		return;
	switch (st) {
	case PUMP_MORE:
		target_again(c);
		break;
	case PUMP_EOF:
		relay_target_eof(c);
		break;
	case PUMP_ERROR:
		pump_failed(c, "target");
		break;
	default:
		break;
	}
}

/* ---- the buffered movers ---- */

void
relay_to_target(struct edge_conn *c, struct evbuffer *src)
{
	if (c->dead || target_send_buffer(c, src) != 0)
		return;
	/* Room again: read on (a no-op inside the pump itself). */
	if (client_can_read(c) && room_to_target(c))
		relay_from_client(c);
}

void
relay_to_client(struct edge_conn *c, struct evbuffer *src)
{
	if (c->dead)
		return;
	if (evbuffer_add_buffer(c->cout, src) != 0) {
		conn_free(c);
		return;
	}
	if (client_push(c) != 0)
		return;
	if (c->t_readable && room_to_client(c))
		relay_from_target(c);
}

void
relay_pump(struct edge_conn *c, int from_client)
{
	if (from_client)
		relay_to_target(c, c->cin);
	else
		relay_to_client(c, c->tin);
}

/* ---- reactions ---- */

void
relay_client_wrote(struct edge_conn *c)
{
	if (c->state == CONN_CLOSING) {
		if (evbuffer_get_length(c->cout) == 0)
			conn_free(c);
		return;
	}
	if (c->state != CONN_RELAY)
		return;
	/* Drained: the target is read again, a pipe flushed on. */
	if (splice_pending(c, 0) > 0 || (c->t_readable && room_to_client(c)))
		relay_from_target(c);
	if (!c->dead && c->target_eof && !c->client_shut && relay_to_client_pending(c) == 0) {
		client_shut(c);
		relay_maybe_done(c);
	}
}

void
relay_target_wrote(struct edge_conn *c)
{
	if (c->state != CONN_RELAY)
		return;
	if (splice_pending(c, 1) > 0 || (client_can_read(c) && room_to_target(c)))
		relay_from_client(c);
	/* The client's EOF, or a request body the gate cut short: the
	 * target gets EOF once what is queued has gone, unless an upgrade's
	 * answer is still awaited. */
	if (!c->dead && (c->client_eof || http_relay_cut(c)) && !c->target_shut &&
	    !http_relay_holding(c) && relay_to_target_pending(c) == 0) {
		target_shut(c);
		relay_maybe_done(c);
	}
}

void
relay_client_eof(struct edge_conn *c)
{
	c->client_eof = 1;
	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_HEAD:
	case CONN_CLOSING:
		conn_free(c);
		return;
	case CONN_CONNECTING:
		return;   /* relayed once connected */
	case CONN_RELAY:
		break;
	}
	/* Token tunnels: the gate has a last look at what cin holds. */
	relay_client_read(c);
	if (c->dead)
		return;
	if (relay_to_target_pending(c) == 0 && !c->target_shut && !http_relay_holding(c))
		target_shut(c);
	relay_maybe_done(c);
}

void
relay_target_eof(struct edge_conn *c)
{
	c->target_eof = 1;
	/* Token tunnels: what the tracker still holds (an unfinished head)
	 * goes out as it is; nothing more will follow it. */
	if (c->hr != NULL)
		http_relay_target(c);
	else
		relay_pump(c, 0);
	if (c->dead)
		return;
	if (relay_to_client_pending(c) == 0 && !c->client_shut)
		client_shut(c);
	if (http_relay_holding(c) && !c->target_shut)
		target_shut(c);   /* no 101 ever came */
	relay_maybe_done(c);
}

void
relay_client_read(struct edge_conn *c)
{
	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_CONNECTING:
		return;   /* kept, bounded by client_fill */
	case CONN_CLOSING:
		evbuffer_drain(c->cin, evbuffer_get_length(c->cin));
		return;
	case CONN_HEAD:
		http_relay_head(c);
		return;
	case CONN_RELAY:
		break;
	}
	/* Token tunnels: bytes from the client go through the gate. */
	if (c->hr != NULL)
		http_relay_client(c);
	else
		relay_pump(c, 1);
}

void
relay_target_read(struct edge_conn *c)
{
	/* Token tunnels: bytes from the target go through the response
	 * tracker. */
	if (c->hr != NULL)
		http_relay_target(c);
	else
		relay_pump(c, 0);
}

void
relay_start(struct edge_conn *c)
{
	int eof = c->client_eof;

	if (c->pending != NULL) {
		int rc = target_send(c, (const unsigned char *)c->pending, c->pending_len);
		free(c->pending);
		c->pending = NULL;
		if (rc != 0)
			return;
	}
	/* What the client sent while we connected: held in cin (after a
	 * token tunnel's first head), or in the kernel and OpenSSL (read
	 * now). */
	if (evbuffer_get_length(c->cin) > 0)
		relay_client_read(c);
	relay_from_client(c);
	/* A target that speaks first. */
	relay_from_target(c);
	if (eof && !c->dead)
		relay_client_eof(c);
}
