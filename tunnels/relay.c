/*
 * relay.c: bytes between the client and the target (see conn.h).
 *
 * The pumps: a side is read while it is readable and the other side's
 * queue holds less than EDGE_HIGH_WATER, each read (up to EDGE_IO_CHUNK, in
 * the edge's scratch buffer) written on at once; what the other side does
 * not take is queued, and reading stops until it drains (back-pressure).
 * Raw tcp tunnels splice kernel to kernel instead (splice.c).  Connect-token
 * tunnels take the buffered path: every byte through cin or tin, for
 * http_relay.c.  Each direction moves at most EDGE_BURST per loop turn.
 *
 * EOF is relayed as a half-close once everything before it is out; the
 * connection ends when both directions have.
 */
#include <stdlib.h>

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

/* ---- the copying pumps ---- */

static size_t
room(size_t queued)
{
	size_t r = EDGE_HIGH_WATER - queued;

	return r > EDGE_IO_CHUNK ? EDGE_IO_CHUNK : r;
}

/* Client to target through the scratch buffer. */
static enum pump_status
copy_up(struct edge_conn *c, size_t budget)
{
	unsigned char *buf = c->edge->scratch;
	enum tls_io_status st;
	size_t queued, got, moved = 0;

	while (!c->client_eof && client_can_read(c)) {
		if ((queued = relay_to_target_pending(c)) >= EDGE_HIGH_WATER)
			return PUMP_IDLE;   /* relay_target_wrote resumes */
		if (moved >= budget)
			return PUMP_MORE;
		st = client_read(c, buf, room(queued), &got);
		if (got > 0 && target_send(c, buf, got) != 0)
			return PUMP_ERROR;
		moved += got;
		if (st == TLS_IO_EOF)
			return PUMP_EOF;
		if (st == TLS_IO_ERROR)
			return PUMP_ERROR;
		if (st != TLS_IO_OK)
			return PUMP_IDLE;
	}
	return PUMP_IDLE;
}

/* Target to client through the scratch buffer. */
static enum pump_status
copy_down(struct edge_conn *c, size_t budget)
{
	unsigned char *buf = c->edge->scratch;
	enum tls_io_status st;
	size_t queued, got, moved = 0;

	while (!c->target_eof && c->t_readable) {
		if ((queued = relay_to_client_pending(c)) >= EDGE_HIGH_WATER)
			return PUMP_IDLE;   /* relay_client_wrote resumes */
		if (moved >= budget)
			return PUMP_MORE;
		st = target_read(c, buf, room(queued), &got);
		if (got > 0 && client_send(c, buf, got) != 0)
			return PUMP_ERROR;
		moved += got;
		if (st == TLS_IO_EOF)
			return PUMP_EOF;
		if (st == TLS_IO_ERROR)
			return PUMP_ERROR;
		if (st != TLS_IO_OK)
			return PUMP_IDLE;
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
		before = evbuffer_get_length(c->cin);
		st = client_fill(c);
		moved += evbuffer_get_length(c->cin) - before;
		if (evbuffer_get_length(c->cin) > 0)
			relay_client_read(c);
		if (c->dead)
			return PUMP_ERROR;
		if (st == TLS_IO_EOF)
			return PUMP_EOF;
		if (st == TLS_IO_ERROR)
			return PUMP_ERROR;
		/* OK: cin reached its bound; go on if that made room. */
		if (st != TLS_IO_OK || !client_can_read(c) ||
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
		before = evbuffer_get_length(c->tin);
		st = target_fill(c);
		moved += evbuffer_get_length(c->tin) - before;
		if (evbuffer_get_length(c->tin) > 0)
			relay_target_read(c);
		if (c->dead)
			return PUMP_ERROR;
		if (st == TLS_IO_EOF)
			return PUMP_EOF;
		if (st == TLS_IO_ERROR)
			return PUMP_ERROR;
		if (st != TLS_IO_OK || !c->t_readable ||
		    evbuffer_get_length(c->tin) + relay_to_client_pending(c) >= EDGE_HIGH_WATER)
			return PUMP_IDLE;
		if (moved >= budget)
			return PUMP_MORE;
	}
}

/* ---- the directions ---- */

static int
raw(const struct edge_conn *c)
{
	return !c->tunnel->connect_token;
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
	if (client_can_read(c) && relay_to_target_pending(c) < EDGE_HIGH_WATER)
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
	if (c->t_readable && relay_to_client_pending(c) < EDGE_HIGH_WATER)
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
	if (splice_pending(c, 0) > 0 ||
	    (c->t_readable && relay_to_client_pending(c) < EDGE_HIGH_WATER))
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
	if (splice_pending(c, 1) > 0 ||
	    (client_can_read(c) && relay_to_target_pending(c) < EDGE_HIGH_WATER))
		relay_from_client(c);
	if (!c->dead && c->client_eof && !c->target_shut && !c->upgrade &&
	    relay_to_target_pending(c) == 0) {
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
	if (relay_to_target_pending(c) == 0 && !c->target_shut && !c->upgrade)
		target_shut(c);
	relay_maybe_done(c);
}

void
relay_target_eof(struct edge_conn *c)
{
	c->target_eof = 1;
	if (c->watch_status && http_relay_response(c) < 0)
		return;
	relay_pump(c, 0);
	if (c->dead)
		return;
	if (relay_to_client_pending(c) == 0 && !c->client_shut)
		client_shut(c);
	if (c->upgrade && !c->target_shut)
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
	if (c->discard_client) {
		evbuffer_drain(c->cin, evbuffer_get_length(c->cin));
		return;
	}
	if (!c->upgrade)
		relay_pump(c, 1);
}

void
relay_target_read(struct edge_conn *c)
{
	if (c->watch_status && http_relay_response(c) != 0)
		return;
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
	/* What the client sent while we connected: held in cin (a token
	 * tunnel's head), or in the kernel and OpenSSL (read now). */
	if (!c->upgrade && evbuffer_get_length(c->cin) > 0)
		relay_pump(c, 1);
	relay_from_client(c);
	/* A target that speaks first. */
	relay_from_target(c);
	if (eof && !c->dead)
		relay_client_eof(c);
}
