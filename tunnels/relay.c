/*
 * relay.c: bytes between the client and the target (see conn.h): each
 * direction paused while the other side's output holds EDGE_HIGH_WATER
 * bytes, resumed at half of it; EOF relayed as a half-close; the
 * connection ends when both directions have.
 */
#include "tunnels/conn.h"

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

/* The client's output shrank: resume the target at half the high-water
 * mark, finish a closing connection, relay the target's EOF once all its
 * bytes are out. */
void
relay_client_wrote(struct edge_conn *c)
{
	size_t left = evbuffer_get_length(c->cout);

	if (c->state == CONN_CLOSING) {
		if (left == 0)
			conn_free(c);
		return;
	}
	if (c->target_paused && left <= EDGE_HIGH_WATER / 2) {
		c->target_paused = 0;
		target_set_reading(c, 1);
	}
	if (left == 0 && c->target_eof && !c->client_shut && c->target != NULL) {
		client_shut(c);
		relay_maybe_done(c);
	}
}

/* Moves bytes from one side's input to the other side's output, and pauses
 * the reader of the first when the output reaches EDGE_HIGH_WATER: the
 * reader of 'to' is slower than the writer of 'from'. */
void
relay_pump(struct edge_conn *c, int from_client)
{
	struct evbuffer *in, *out;

	if (c->dead)
		return;
	if (from_client) {
		in = c->cin;
		out = bufferevent_get_output(c->target);
		target_write_now(c, in);
		evbuffer_add_buffer(out, in);
		if (evbuffer_get_length(out) >= EDGE_HIGH_WATER) {
			c->client_paused = 1;
			bufferevent_setwatermark(c->target, EV_WRITE, EDGE_HIGH_WATER / 2, 0);
		}
		client_arm(c);
		return;
	}
	in = bufferevent_get_input(c->target);
	evbuffer_add_buffer(c->cout, in);
	client_flush(c);
	if (!c->dead && evbuffer_get_length(c->cout) >= EDGE_HIGH_WATER) {
		c->target_paused = 1;
		target_set_reading(c, 0);
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
	if (!c->upgrade && !c->discard_client)
		relay_pump(c, 1);
	if (evbuffer_get_length(bufferevent_get_output(c->target)) == 0 && !c->target_shut &&
	    !c->upgrade)
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
	if (evbuffer_get_length(c->cout) == 0 && !c->client_shut)
		client_shut(c);
	if (c->upgrade && !c->target_shut)
		target_shut(c);   /* no 101 ever came */
	relay_maybe_done(c);
}

/* New bytes in the client's input. */
void
relay_client_read(struct edge_conn *c)
{
	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_CONNECTING:
		return;   /* kept, bounded by client_reading() */
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
	conn_touch(c);
	if (c->watch_status && http_relay_response(c) != 0)
		return;
	relay_pump(c, 0);
}
