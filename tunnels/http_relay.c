/*
 * http_relay.c: the connect-token parts of the relay (see conn.h): the
 * request head goes through the gate (gate.c) before the target is
 * connected, and the response's status line gets the Set-Cookie and tells
 * whether an upgrade was accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "tunnels/conn.h"
#include "tunnels/http_head.h"

/* State HEAD: the gate decides on what the client sent so far. */
void
http_relay_head(struct edge_conn *c)
{
	enum gate_result r;
	char *head = NULL, *cookie = NULL;
	size_t len = 0;
	int upgrade = 0;

	r = edge_gate_check(c->edge, c->tunnel, c->cin, &head, &len, &upgrade, &cookie);
	if (r == GATE_WAIT)
		return;
	if (r == GATE_DENY) {
		evbuffer_add(c->cout, head, len);
		free(head);
		conn_close_after_flush(c);
		return;
	}
	c->pending = head;
	c->pending_len = len;
	c->upgrade = upgrade;
	c->cookie = cookie;
	c->watch_status = upgrade || cookie != NULL;
	target_connect(c);
}

/* The connect-token response check: find the status line of the response
 * to the checked request, add Set-Cookie after it, and learn whether an
 * upgrade was accepted.  Returns 0 when done, 1 to wait, -1 if closed. */
int
http_relay_response(struct edge_conn *c)
{
	struct evbuffer *in = c->tin;
	struct evbuffer *out = c->cout;
	size_t len, line_end, head_end;
	const char *buf;
	int status, rc;

	for (;;) {
		len = evbuffer_get_length(in);
		if (len > HTTP_HEAD_MAX)
			len = HTTP_HEAD_MAX;
		if ((buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)len)) == NULL && len > 0)
			return 1;
		rc = http_response_status(buf, len, &status, &line_end, &head_end);
		if (rc == BURROW_ERR_BUSY && len < HTTP_HEAD_MAX)
			return 1;
		if (rc != BURROW_OK) {
			log_warn("tunnel %s: target sent no HTTP/1.1 response, closing %s",
			    c->tunnel->hostname, c->peer);
			conn_free(c);
			return -1;
		}
		/* Interim responses (RFC 9110 15.2) go through as they are;
		 * the cookie belongs on the final one. */
		if (status >= 100 && status < 200 && status != 101) {
			if (head_end == 0) {
				if (len >= HTTP_HEAD_MAX) {
					conn_free(c);
					return -1;
				}
				return 1;
			}
			evbuffer_remove_buffer(in, out, head_end);
			continue;
		}
		break;
	}
	if (c->cookie != NULL) {
		evbuffer_remove_buffer(in, out, line_end);
		evbuffer_add(out, c->cookie, strlen(c->cookie));
		free(c->cookie);
		c->cookie = NULL;
	}
	c->watch_status = 0;
	if (c->upgrade) {
		c->upgrade = 0;
		if (status == 101) {
			/* Switched protocols: from here on a plain byte stream. */
			relay_pump(c, 1);
		} else {
			/* The container said no to the upgrade but might read
			 * a next request on this connection, unchecked: end
			 * the request stream here instead. */
			c->discard_client = 1;
			evbuffer_drain(c->cin, evbuffer_get_length(c->cin));
			if (!c->target_shut)
				target_shut(c);
			relay_from_client(c);
		}
	}
	return 0;
}
