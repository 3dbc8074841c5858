/*
 * http_relay.c: the connect-token parts of the relay (see conn.h).  Client
 * bytes go through the gate (gate.h): every request head is checked and
 * rewritten, bodies are framed so the next head is found, bytes after an
 * upgrade request wait for its response.  Target bytes go through the
 * tracker (http_track.h): each response is matched to its request, gets
 * its Set-Cookie, and a 101 switches both directions to raw bytes.  The
 * container connection stays open across requests (keep-alive) for as
 * long as both sides allow it.
 *
 * Both machines are pure and look at contiguous bytes: the first extent of
 * the evbuffer, pulled up to HTTP_HEAD_MAX + 1 bytes only when they wait
 * for a whole head, chunk line or trailer.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "tunnels/conn.h"
#include "tunnels/gate.h"
#include "tunnels/http_head.h"
#include "tunnels/http_track.h"

struct http_relay {
	struct gate gate;
	struct http_track track;
	struct evbuffer *to_target, *to_client;   /* what is ready to move */
	int cut;                  /* a request body was cut short */
};

static struct http_relay *
relay_new(struct edge_conn *c)
{
	struct http_relay *hr = calloc(1, sizeof(*hr));

	if (hr == NULL)
		return NULL;
	gate_init(&hr->gate, c->tunnel->hostname, edge_gate_find_key, c->edge);
	http_track_init(&hr->track);
	hr->to_target = evbuffer_new();
	hr->to_client = evbuffer_new();
	if (hr->to_target == NULL || hr->to_client == NULL) {
		if (hr->to_target != NULL)
			evbuffer_free(hr->to_target);
		if (hr->to_client != NULL)
			evbuffer_free(hr->to_client);
		free(hr);
		return NULL;
	}
	return hr;
}

void
http_relay_free(struct edge_conn *c)
{
	struct http_relay *hr = c->hr;

	if (hr == NULL)
		return;
	http_track_free(&hr->track);
	evbuffer_free(hr->to_target);
	evbuffer_free(hr->to_client);
	free(hr);
	c->hr = NULL;
}

int
http_relay_holding(const struct edge_conn *c)
{
	return c->hr != NULL && c->hr->gate.state == GATE_HELD;
}

int
http_relay_cut(const struct edge_conn *c)
{
	return c->hr != NULL && c->hr->cut;
}

/* The first bytes of buf as one piece: the first extent, or, when want is
 * set (the machine waits for a whole element), up to HTTP_HEAD_MAX + 1
 * bytes pulled together. */
static const char *
view(struct evbuffer *buf, int want, size_t *len)
{
	struct evbuffer_iovec v;
	size_t all = evbuffer_get_length(buf);

	if (want) {
		*len = all < HTTP_HEAD_MAX + 1 ? all : HTTP_HEAD_MAX + 1;
		return (const char *)evbuffer_pullup(buf, (ev_ssize_t)*len);
	}
	if (all == 0 || evbuffer_peek(buf, -1, NULL, &v, 1) < 1) {
		*len = 0;
		return NULL;
	}
	*len = v.iov_len;
	return v.iov_base;
}

static enum gate_action
gate_step(struct edge_conn *c, struct gate_out *out)
{
	struct gate *g = &c->hr->gate;
	size_t len, all = evbuffer_get_length(c->cin);
	const char *buf = view(c->cin, 0, &len);
	enum gate_action a = gate_next(g, buf, len, (int64_t)time(NULL), out);

	/* A head, chunk line or trailer may span extents: look again at
	 * them pulled together. */
	if (a == GATE_WAIT && len < all && len < HTTP_HEAD_MAX + 1) {
		buf = view(c->cin, 1, &len);
		a = gate_next(g, buf, len, (int64_t)time(NULL), out);
	}
	return a;
}

/* A refused request after others were passed: its page goes out after
 * their responses, and nothing more goes to the container. */
static void
refuse(struct edge_conn *c, struct gate_out *out, int in_body)
{
	log_info("tunnel %s: %s (%s)", c->tunnel->hostname, out->reason, c->peer);
	edge_stats_gate_refused(c->edge, out->code);
	conn_set_result(c, EDGE_RESULT_GATE_REFUSED);
	evbuffer_drain(c->cin, evbuffer_get_length(c->cin));
	if (out->data == NULL || http_track_push_local(&c->hr->track, out->data, out->len) != BURROW_OK) {
		free(out->data);
		conn_free(c);
		return;
	}
	/* A body cut short leaves the container waiting for the rest: it
	 * gets EOF once what is queued is out (target.c), and answers or
	 * closes; our page follows.  A refused head needs no EOF: its page
	 * simply follows the last response, and an early EOF could make
	 * some servers abandon the requests still being answered. */
	if (in_body) {
		c->hr->cut = 1;
		relay_to_target(c, c->hr->to_target);
		if (!c->dead && c->tfd >= 0 && !c->target_shut && relay_to_target_pending(c) == 0)
			target_shut(c);
	}
	if (!c->dead)
		http_relay_target(c);
}

/* A head the gate passed: the rewritten copy goes in its place. */
static int
passed(struct edge_conn *c, struct gate_out *out)
{
	evbuffer_drain(c->cin, out->used);
	evbuffer_add(c->hr->to_target, out->data, out->len);
	free(out->data);
	if (http_track_push(&c->hr->track, &out->req) != BURROW_OK) {
		free(out->req.cookie);
		conn_free(c);
		return -1;
	}
	if (c->deadline_what != NULL)
		conn_set_deadline(c, NULL, 0);
	return 0;
}

void
http_relay_client(struct edge_conn *c)
{
	struct http_relay *hr = c->hr;
	struct gate_out out;
	int in_body;

	while (!c->dead && evbuffer_get_length(c->cin) > 0) {
		/* A full FIFO: the next head waits for responses. */
		if (hr->gate.state == GATE_AT_HEAD && http_track_full(&hr->track))
			break;
		in_body = hr->gate.state == GATE_IN_BODY;
		switch (gate_step(c, &out)) {
		case GATE_WAIT:
			/* A keep-alive head gets head_ms too (slowloris). */
			if (hr->gate.state == GATE_AT_HEAD && c->deadline_what == NULL)
				conn_set_deadline(c, "request head", c->edge->cfg.head_ms);
			goto out;
		case GATE_HOLD:
			goto out;
		case GATE_FORWARD:
			evbuffer_remove_buffer(c->cin, hr->to_target, out.used);
			break;
		case GATE_PASS:
			if (passed(c, &out) != 0)
				return;
			break;
		case GATE_DENY:
			refuse(c, &out, in_body);
			goto out;
		case GATE_DISCARD:
			evbuffer_drain(c->cin, out.used);
			break;
		}
	}
out:
	/* The client is read on by the pump that called (relay.c). */
	if (!c->dead && c->tfd >= 0 && !c->target_shut)
		relay_to_target(c, hr->to_target);
}

/* The response stream has ended (the last response is out, or ours): the
 * target is done with, and the client is shut once it has everything. */
static void
end_responses(struct edge_conn *c)
{
	gate_end(&c->hr->gate);
	evbuffer_drain(c->cin, evbuffer_get_length(c->cin));
	c->target_eof = 1;   /* the pumps read it no more */
	if (c->tfd >= 0 && !c->target_shut) {
		evbuffer_drain(c->tout, evbuffer_get_length(c->tout));
		target_shut(c);
	}
	if (evbuffer_get_length(c->cout) == 0 && !c->client_shut)
		client_shut(c);
	relay_maybe_done(c);
}

static enum http_track_action
track_step(struct edge_conn *c, struct evbuffer *in, struct http_track_out *out)
{
	struct http_track *t = &c->hr->track;
	size_t len, all = evbuffer_get_length(in);
	const char *buf = view(in, 0, &len);
	enum http_track_action a = http_track_next(t, buf, len, out);

	if (a == HTTP_TRACK_WAIT && len < all && len < HTTP_HEAD_MAX + 1) {
		buf = view(in, 1, &len);
		a = http_track_next(t, buf, len, out);
	}
	return a;
}

/* A response head: its status line, our Set-Cookie, the rest. */
static void
response_head(struct edge_conn *c, struct evbuffer *in, struct http_track_out *out)
{
	struct http_relay *hr = c->hr;

	evbuffer_remove_buffer(in, hr->to_client, out->line_end);
	if (out->cookie != NULL) {
		evbuffer_add(hr->to_client, out->cookie, strlen(out->cookie));
		free(out->cookie);
	}
	evbuffer_remove_buffer(in, hr->to_client, out->used - out->line_end);
	if (out->upgrade_answered)
		gate_upgrade_answered(&hr->gate, out->switched);
	if (out->ended)
		gate_end(&hr->gate);
}

void
http_relay_target(struct edge_conn *c)
{
	struct http_relay *hr = c->hr;
	struct evbuffer *in = c->tfd >= 0 ? c->tin : NULL;
	struct http_track_out out;
	char *page;
	size_t len;
	int more = 1;

	while (more && !c->dead && in != NULL) {
		switch (track_step(c, in, &out)) {
		case HTTP_TRACK_WAIT:
			more = 0;
			break;
		case HTTP_TRACK_FORWARD:
			/* Go on even with nothing left: a page of ours may be
			 * next in the FIFO. */
			evbuffer_remove_buffer(in, hr->to_client, out.used);
			break;
		case HTTP_TRACK_HEAD:
			response_head(c, in, &out);
			break;
		case HTTP_TRACK_LOCAL:
			evbuffer_add(hr->to_client, out.local, out.local_len);
			free(out.local);
			break;
		case HTTP_TRACK_DISCARD:
			evbuffer_drain(in, out.used);
			more = 0;
			break;
		case HTTP_TRACK_BAD:
			log_warn("tunnel %s: target sent bytes that frame no response to a request, "
			    "closing %s", c->tunnel->hostname, c->peer);
			conn_free(c);
			return;
		}
	}
	/* The target closed with a page of ours still owed: send it. */
	if (!c->dead && c->target_eof && !http_track_ended(&hr->track) &&
	    (page = http_track_take_local(&hr->track, &len)) != NULL) {
		evbuffer_add(hr->to_client, page, len);
		free(page);
	}
	relay_to_client(c, hr->to_client);
	if (c->dead)
		return;
	if (http_track_ended(&hr->track)) {
		end_responses(c);
		return;
	}
	/* Held bytes move after a 101; a head waiting for room in the FIFO
	 * after any response. */
	if (evbuffer_get_length(c->cin) > 0)
		http_relay_client(c);
	if (!c->dead && c->client_eof && hr->gate.state == GATE_SWITCHED && !c->target_shut &&
	    relay_to_target_pending(c) == 0)
		target_shut(c);
}

/* State HEAD: the gate decides on the first request before the target is
 * connected, so an unauthenticated client never reaches the container. */
void
http_relay_head(struct edge_conn *c)
{
	struct gate_out out;

	if (c->hr == NULL && (c->hr = relay_new(c)) == NULL) {
		conn_free(c);
		return;
	}
	switch (gate_step(c, &out)) {
	case GATE_WAIT:
		return;
	case GATE_PASS:
		evbuffer_drain(c->cin, out.used);
		c->pending = out.data;
		c->pending_len = out.len;
		if (http_track_push(&c->hr->track, &out.req) != BURROW_OK) {
			free(out.req.cookie);
			conn_free(c);
			return;
		}
		target_connect(c);
		return;
	case GATE_DENY:
		log_info("tunnel %s: %s (%s)", c->tunnel->hostname, out.reason, c->peer);
		edge_stats_gate_refused(c->edge, out.code);
		conn_set_result(c, EDGE_RESULT_GATE_REFUSED);
		if (out.data != NULL)
			evbuffer_add(c->cout, out.data, out.len);
		free(out.data);
		conn_close_after_flush(c);
		return;
	default:
		conn_free(c);   /* no other step comes before a head */
		return;
	}
}
