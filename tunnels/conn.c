/*
 * conn.c: one client connection through the edge.
 *
 *   HANDSHAKE  TLS handshake (tunnel chosen by SNI in tls.c)
 *   HEAD       connect-token tunnels: reading the request head (gate.c)
 *   CONNECTING connecting to the tunnel's target
 *   RELAY      bytes both ways, each direction paused while the other
 *              side's output holds EDGE_HIGH_WATER bytes (back-pressure),
 *              EOF relayed as a half-close
 *   CLOSING    an error page is being flushed, then the connection ends
 *
 * The callbacks only move bytes; deciding what a request head means is
 * gate.c's job (and http_head.c's, which is pure).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "common/error.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "tunnels/edge.h"
#include "tunnels/http_head.h"

enum conn_state { CONN_HANDSHAKE, CONN_HEAD, CONN_CONNECTING, CONN_RELAY, CONN_CLOSING };

struct edge_conn {
	struct edge *edge;
	struct edge_tunnel *tunnel;      /* referenced; NULL before SNI */
	struct bufferevent *client, *target;
	/* Reads the target socket in place of the bufferevent, whose reads
	 * libevent 2.1 caps at 4 KB (evbuffer_read): see target_readable. */
	struct event *target_rd;
	SSL *ssl;                        /* client side; owned by client */
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

static void conn_free(struct edge_conn *c);
static void drop_target(struct edge_conn *c);
static void connect_target(struct edge_conn *c);
static void pump(struct edge_conn *c, struct bufferevent *from, struct bufferevent *to);

const char *
edge_conn_peer(const struct edge_conn *c)
{
	return c->peer;
}

int
edge_conn_offer_h2(const struct edge_conn *c)
{
	return c->tunnel != NULL && c->tunnel->kind == STORE_TUNNEL_H2 && !c->tunnel->connect_token;
}

int
edge_conn_bind(struct edge_conn *c, struct edge_tunnel *t)
{
	if (c->tunnel != NULL)
		return c->tunnel == t ? BURROW_OK : BURROW_ERR_INVALID;
	if (c->edge->cfg.max_conns_per_tunnel > 0 && t->conns >= c->edge->cfg.max_conns_per_tunnel)
		return BURROW_ERR_LIMIT;
	c->tunnel = t;
	edge_tunnel_ref(t);
	t->conns++;
	return BURROW_OK;
}

static void
now(struct edge_conn *c, struct timeval *tv)
{
	event_base_gettimeofday_cached(c->edge->base, tv);
}

static void
arm_timer(struct edge_conn *c)
{
	struct timeval tv, next, delay;
	int idle = c->edge->cfg.idle_ms;

	now(c, &tv);
	next = c->last;
	next.tv_sec += idle / 1000;
	next.tv_usec += (idle % 1000) * 1000;
	if (next.tv_usec >= 1000000) {
		next.tv_sec++;
		next.tv_usec -= 1000000;
	}
	if (c->deadline_what != NULL && timercmp(&c->deadline, &next, <))
		next = c->deadline;
	if (timercmp(&next, &tv, >))
		timersub(&next, &tv, &delay);
	else
		delay.tv_sec = 0, delay.tv_usec = 1000;
	evtimer_add(c->timer, &delay);
}

static void
set_deadline(struct edge_conn *c, const char *what, int ms)
{
	struct timeval tv, add = { ms / 1000, (ms % 1000) * 1000 };

	c->deadline_what = what;
	if (what == NULL)
		return;
	now(c, &tv);
	timeradd(&tv, &add, &c->deadline);
	arm_timer(c);
}

static void
touch(struct edge_conn *c)
{
	now(c, &c->last);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct edge_conn *c = arg;
	struct timeval tv, idle_end, idle = { c->edge->cfg.idle_ms / 1000,
	    (c->edge->cfg.idle_ms % 1000) * 1000 };

	(void)fd;
	(void)what;
	now(c, &tv);
	if (c->deadline_what != NULL && timercmp(&tv, &c->deadline, >=)) {
		log_info("%s%s%s: %s timeout, closing", c->peer, c->tunnel != NULL ? " on " : "",
		    c->tunnel != NULL ? c->tunnel->hostname : "", c->deadline_what);
		conn_free(c);
		return;
	}
	timeradd(&c->last, &idle, &idle_end);
	if (timercmp(&tv, &idle_end, >=)) {
		log_debug("%s: idle, closing", c->peer);
		conn_free(c);
		return;
	}
	arm_timer(c);
}

static void
conn_free(struct edge_conn *c)
{
	struct edge *e = c->edge;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->client != NULL)
		bufferevent_free(c->client);   /* frees ssl and closes the socket */
	else if (c->ssl != NULL)
		SSL_free(c->ssl);
	drop_target(c);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->tunnel != NULL) {
		c->tunnel->conns--;
		edge_tunnel_unref(c->tunnel);
	}
	free(c->cookie);
	free(c->pending);
	free(c);
	if (--e->nconns == 0 && e->draining)
		event_base_loopexit(e->base, NULL);
}

void
edge_conn_close_all(struct edge *e)
{
	while (e->conns != NULL)
		conn_free(e->conns);
}

/* Sends what is queued for the client, then closes. */
static void
close_after_flush(struct edge_conn *c)
{
	c->state = CONN_CLOSING;
	drop_target(c);
	bufferevent_disable(c->client, EV_READ);
	bufferevent_enable(c->client, EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(c->client)) == 0) {
		conn_free(c);
		return;
	}
	set_deadline(c, "error response", c->edge->cfg.handshake_ms);
}

/* The read event goes before the bufferevent closes the socket it watches. */
static void
drop_target(struct edge_conn *c)
{
	if (c->target_rd != NULL) {
		event_free(c->target_rd);
		c->target_rd = NULL;
	}
	if (c->target != NULL) {
		bufferevent_free(c->target);
		c->target = NULL;
	}
}

/* Starts or stops reading one side: the target through target_rd, the
 * client through its bufferevent. */
static void
set_reading(struct edge_conn *c, struct bufferevent *bev, int on)
{
	if (bev == c->target) {
		if (c->target_rd == NULL)
			return;
		if (on && !c->target_eof)
			event_add(c->target_rd, NULL);
		else
			event_del(c->target_rd);
		return;
	}
	if (on)
		bufferevent_enable(bev, EV_READ);
	else
		bufferevent_disable(bev, EV_READ);
}

static void
shut_client(struct edge_conn *c)
{
	c->client_shut = 1;
	if (c->ssl != NULL) {
		/* close_notify: the TLS way to say EOF (RFC 8446 6.1); the
		 * client may keep sending until its own close_notify. */
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	} else {
		shutdown(bufferevent_getfd(c->client), SHUT_WR);
	}
}

static void
shut_target(struct edge_conn *c)
{
	c->target_shut = 1;
	shutdown(bufferevent_getfd(c->target), SHUT_WR);
}

/* Both directions have ended: the connection is done. */
static int
maybe_done(struct edge_conn *c)
{
	if (c->client_shut && c->target_shut) {
		conn_free(c);
		return 1;
	}
	return 0;
}

/* Writes what it can of src to 'to' at once, when nothing is queued for
 * 'to'.  Queueing first would cost a loop turn and two epoll_ctl calls per
 * response (the bufferevent arms its write event, then disarms it once
 * written); most of the time the socket takes everything right away.
 * Anything left, or any error, stays in src for the bufferevent, which
 * retries and reports errors as usual. */
static void
write_now(struct edge_conn *c, struct bufferevent *to, struct evbuffer *src)
{
	struct evbuffer_iovec v;
	int n, r;

	if (evbuffer_get_length(bufferevent_get_output(to)) != 0 || c->state != CONN_RELAY)
		return;
	if (to == c->target || c->ssl == NULL) {
		if (to == c->target ? c->target_shut : c->client_shut)
			return;
		evbuffer_write(src, bufferevent_getfd(to));
		return;
	}
	if (c->client_shut)
		return;
	/* One record at a time, as OpenSSL sends them anyway.  A record
	 * that blocks (WANT_WRITE) stays first in src, so the bufferevent's
	 * retry starts with the same bytes and at least as many of them, as
	 * SSL_write requires (with SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER). */
	while (evbuffer_peek(src, -1, NULL, &v, 1) > 0) {
		n = v.iov_len > EDGE_TLS_RECORD ? EDGE_TLS_RECORD : (int)v.iov_len;
		ERR_clear_error();
		if ((r = SSL_write(c->ssl, v.iov_base, n)) <= 0)
			break;
		evbuffer_drain(src, (size_t)r);
	}
}

static void
pump(struct edge_conn *c, struct bufferevent *from, struct bufferevent *to)
{
	struct evbuffer *out = bufferevent_get_output(to);
	struct evbuffer *in = bufferevent_get_input(from);

	write_now(c, to, in);
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) >= EDGE_HIGH_WATER) {
		/* The reader of 'to' is slower than the writer of 'from':
		 * stop reading until 'to' has drained to half. */
		set_reading(c, from, 0);
		if (from == c->client)
			c->client_paused = 1;
		else
			c->target_paused = 1;
		bufferevent_setwatermark(to, EV_WRITE, EDGE_HIGH_WATER / 2, 0);
	}
}

/* libevent writes at most 16 KB per write callback by default; a bulk
 * transfer then costs one loop turn per 16 KB.  Larger bites keep the loop
 * overhead per byte low (the watermarks still bound the memory).  Reads
 * stay at one TLS record: SSL_read never returns more, and a larger limit
 * only makes libevent reserve (malloc) that much for every record. */
static void
tune(struct bufferevent *bev)
{
	bufferevent_set_max_single_read(bev, EDGE_TLS_RECORD);
	bufferevent_set_max_single_write(bev, EDGE_IO_CHUNK);
}

static void
send_page(struct edge_conn *c, int status, const char *reason, const char *body)
{
	evbuffer_add_printf(bufferevent_get_output(c->client),
	    "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n%s",
	    status, reason, strlen(body), body);
}

static void
target_failed(struct edge_conn *c, const char *why)
{
	log_warn("tunnel %s: target %s:%u unreachable (%s), closing connection from %s",
	    c->tunnel->hostname, c->tunnel->target_host, c->tunnel->target_port, why, c->peer);
	if (c->http) {
		send_page(c, 502, "Bad Gateway", "502 Bad Gateway: the tunnel's target is not answering\n");
		close_after_flush(c);
		return;
	}
	conn_free(c);
}

/* The connect-token response check: find the status line of the response
 * to the checked request, add Set-Cookie after it, and learn whether an
 * upgrade was accepted.  Returns 0 when done, 1 to wait, -1 if closed. */
static int
response_step(struct edge_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->target);
	struct evbuffer *out = bufferevent_get_output(c->client);
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
			pump(c, c->client, c->target);
		} else {
			/* The container said no to the upgrade but might read
			 * a next request on this connection, unchecked: end
			 * the request stream here instead. */
			c->discard_client = 1;
			evbuffer_drain(bufferevent_get_input(c->client),
			    evbuffer_get_length(bufferevent_get_input(c->client)));
			if (!c->target_shut)
				shut_target(c);
		}
	}
	return 0;
}

static void
client_eof(struct edge_conn *c)
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
		pump(c, c->client, c->target);
	/* A TLS bufferevent stops writing on EOF; keep it writing the
	 * other direction (half-close). */
	bufferevent_enable(c->client, EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(c->target)) == 0 && !c->target_shut &&
	    !c->upgrade)
		shut_target(c);
	maybe_done(c);
}

static void
target_eof(struct edge_conn *c)
{
	c->target_eof = 1;
	if (c->watch_status && response_step(c) < 0)
		return;
	pump(c, c->target, c->client);
	if (evbuffer_get_length(bufferevent_get_output(c->client)) == 0 && !c->client_shut)
		shut_client(c);
	if (c->upgrade && !c->target_shut)
		shut_target(c);   /* no 101 ever came */
	maybe_done(c);
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct edge_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	enum gate_result r;
	char *head = NULL, *cookie = NULL;
	size_t len = 0;
	int upgrade = 0;

	touch(c);
	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_CONNECTING:
		return;   /* kept, bounded by the read watermark */
	case CONN_CLOSING:
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	case CONN_HEAD:
		r = edge_gate_check(c->edge, c->tunnel, in, &head, &len, &upgrade, &cookie);
		if (r == GATE_WAIT)
			return;
		if (r == GATE_DENY) {
			evbuffer_add(bufferevent_get_output(c->client), head, len);
			free(head);
			close_after_flush(c);
			return;
		}
		c->pending = head;
		c->pending_len = len;
		c->upgrade = upgrade;
		c->cookie = cookie;
		c->watch_status = upgrade || cookie != NULL;
		connect_target(c);
		return;
	case CONN_RELAY:
		break;
	}
	if (c->discard_client) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (!c->upgrade)
		pump(c, c->client, c->target);
}

static void
target_read(struct bufferevent *bev, void *arg)
{
	struct edge_conn *c = arg;

	(void)bev;
	touch(c);
	if (c->watch_status && response_step(c) != 0)
		return;
	pump(c, c->target, c->client);
}

/* The output of 'to' drained below its low watermark. */
static void
drained(struct edge_conn *c, struct bufferevent *to)
{
	struct bufferevent *from = to == c->client ? c->target : c->client;
	int *paused = to == c->client ? &c->target_paused : &c->client_paused;

	if (*paused) {
		*paused = 0;
		bufferevent_setwatermark(to, EV_WRITE, 0, 0);
		set_reading(c, from, 1);
	}
}

static void
client_write(struct bufferevent *bev, void *arg)
{
	struct edge_conn *c = arg;

	if (c->state == CONN_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(c);
		return;
	}
	if (c->target == NULL)
		return;
	drained(c, c->client);
	if (c->target_eof && !c->client_shut &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		shut_client(c);
		maybe_done(c);
	}
}

static void
target_write(struct bufferevent *bev, void *arg)
{
	struct edge_conn *c = arg;

	drained(c, c->target);
	if (c->client_eof && !c->target_shut && !c->upgrade &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		shut_target(c);
		maybe_done(c);
	}
}

/* The target socket is readable.  libevent 2.1's bufferevent reads at
 * most 4 KB per wake-up (EVBUFFER_MAX_READ), so a bulk response became 4 KB
 * TLS records, each with its own read, write and epoll_ctl calls.  One
 * read of up to EDGE_IO_CHUNK into the edge's scratch buffer, then a copy
 * sized to what came, keeps records full and allocations small. */
static void
target_readable(evutil_socket_t fd, short what, void *arg)
{
	struct edge_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(c->target);
	size_t room = EDGE_IO_CHUNK, held = evbuffer_get_length(in);
	ssize_t n;

	(void)what;
	/* Bytes held back while a response head is incomplete count
	 * against the high-water mark like queued output does. */
	if (held >= EDGE_HIGH_WATER)
		return;
	if (room > EDGE_HIGH_WATER - held)
		room = EDGE_HIGH_WATER - held;
	n = read(fd, c->edge->scratch, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		log_debug("tunnel %s: target error (%s), closing %s", c->tunnel->hostname,
		    strerror(errno), c->peer);
		conn_free(c);
		return;
	}
	if (n == 0) {
		event_del(c->target_rd);
		target_eof(c);
		return;
	}
	evbuffer_add(in, c->edge->scratch, (size_t)n);
	target_read(c->target, c);
}

static void
target_connected(struct edge_conn *c)
{
	c->state = CONN_RELAY;
	set_deadline(c, NULL, 0);
	touch(c);
	c->target_rd = event_new(c->edge->base, bufferevent_getfd(c->target), EV_READ | EV_PERSIST,
	    target_readable, c);
	if (c->target_rd == NULL) {
		conn_free(c);
		return;
	}
	if (c->pending != NULL) {
		evbuffer_add(bufferevent_get_output(c->target), c->pending, c->pending_len);
		free(c->pending);
		c->pending = NULL;
	}
	/* The bufferevent only writes; target_rd reads. */
	bufferevent_disable(c->target, EV_READ);
	bufferevent_enable(c->target, EV_WRITE);
	set_reading(c, c->target, 1);
	bufferevent_enable(c->client, EV_READ | EV_WRITE);
	if (!c->upgrade)
		pump(c, c->client, c->target);
	if (c->client_eof)
		client_eof(c);
}

static void
target_event(struct bufferevent *bev, short what, void *arg)
{
	struct edge_conn *c = arg;
	int err = EVUTIL_SOCKET_ERROR();
	const char *why;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		target_connected(c);
		return;
	}
	if (c->state == CONN_CONNECTING) {
		if (c->in_connect) {
			c->connect_failed = 1;
			return;
		}
		why = bufferevent_socket_get_dns_error(c->target) != 0
		    ? evutil_gai_strerror(bufferevent_socket_get_dns_error(c->target))
		    : evutil_socket_error_to_string(err);
		target_failed(c, why);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		target_eof(c);
		return;
	}
	log_debug("tunnel %s: target error (%s), closing %s", c->tunnel->hostname,
	    evutil_socket_error_to_string(err), c->peer);
	conn_free(c);
}

static void
connect_target(struct edge_conn *c)
{
	struct edge_tunnel *t = c->tunnel;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss), rc;
	char addr[NAMES_MAX + 16];

	c->state = CONN_CONNECTING;
	set_deadline(c, "target connect", c->edge->cfg.handshake_ms);
	c->target = bufferevent_socket_new(c->edge->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->target == NULL) {
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->target, target_read, target_write, target_event, c);
	bufferevent_setwatermark(c->target, EV_READ, 0, EDGE_HIGH_WATER);
	tune(c->target);
	c->in_connect = 1;
	snprintf(addr, sizeof(addr), netaddr_ip_family(t->target_host) == 6 ? "[%s]:%u" : "%s:%u",
	    t->target_host, t->target_port);
	if (netaddr_ip_family(t->target_host) != 0 &&
	    evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) == 0)
		rc = bufferevent_socket_connect(c->target, (struct sockaddr *)&ss, sslen);
	else
		rc = bufferevent_socket_connect_hostname(c->target, c->edge->dns, AF_UNSPEC,
		    t->target_host, t->target_port);
	c->in_connect = 0;
	if (rc != 0 || c->connect_failed)
		target_failed(c, "connect failed");
}

static void
handshake_done(struct edge_conn *c)
{
	const unsigned char *alpn = NULL;
	unsigned int alen = 0;

	SSL_get0_alpn_selected(c->ssl, &alpn, &alen);
	c->http = alen == 8 && memcmp(alpn, "http/1.1", 8) == 0;
	if (c->tunnel->connect_token) {
		c->http = 1;
		c->state = CONN_HEAD;
		/* The whole head within head_ms: slowloris gets cut off. */
		set_deadline(c, "request head", c->edge->cfg.head_ms);
		if (evbuffer_get_length(bufferevent_get_input(c->client)) > 0)
			client_read(c->client, c);
		return;
	}
	connect_target(c);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct edge_conn *c = arg;
	unsigned long err;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		handshake_done(c);
		return;
	}
	/* With dirty shutdowns allowed, libevent also reports a failed
	 * write (EPIPE, ECONNRESET) as EOF.  That is no half-close: the
	 * client can take no more bytes, and writing on would spin on the
	 * dead socket until the idle timeout. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_WRITING)) {
		client_eof(c);
		return;
	}
	if (c->state == CONN_HANDSHAKE) {
		while ((err = bufferevent_get_openssl_error(bev)) != 0)
			log_debug("%s: TLS handshake failed: %s", c->peer, ERR_reason_error_string(err));
	}
	conn_free(c);
}

static struct edge_conn *
conn_new(struct edge *e, const struct sockaddr *sa)
{
	struct edge_conn *c = calloc(1, sizeof(*c));
	char ip[INET6_ADDRSTRLEN];

	if (c == NULL)
		return NULL;
	c->edge = e;
	if ((c->timer = evtimer_new(e->base, timer_cb, c)) == NULL) {
		free(c);
		return NULL;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		evutil_inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;
		evutil_inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "%s:%u", ip, ntohs(s4->sin_port));
	}
	c->next = e->conns;
	if (e->conns != NULL)
		e->conns->prev = c;
	e->conns = c;
	e->nconns++;
	touch(c);
	return c;
}

void
edge_conn_accept(struct edge *e, evutil_socket_t fd, const struct sockaddr *sa,
                 struct edge_tunnel *tcp_tunnel)
{
	struct edge_conn *c;

	if (e->draining || (e->cfg.max_conns > 0 && e->nconns >= e->cfg.max_conns)) {
		if (!e->draining)
			log_warn("connection limit (%d) reached, refusing a connection",
			    e->cfg.max_conns);
		evutil_closesocket(fd);
		return;
	}
	if ((c = conn_new(e, sa)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if (tcp_tunnel != NULL) {
		if (edge_conn_bind(c, tcp_tunnel) != BURROW_OK) {
			log_warn("tunnel %s: connection limit (%d) reached, %s refused",
			    tcp_tunnel->hostname, e->cfg.max_conns_per_tunnel, c->peer);
			evutil_closesocket(fd);
			conn_free(c);
			return;
		}
		c->client = bufferevent_socket_new(e->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (c->client == NULL) {
			evutil_closesocket(fd);
			conn_free(c);
			return;
		}
	} else {
		if ((c->ssl = SSL_new(e->default_ctx)) == NULL) {
			evutil_closesocket(fd);
			conn_free(c);
			return;
		}
		SSL_set_app_data(c->ssl, c);
		/* write_now() may leave a blocked record's bytes for the
		 * bufferevent to retry from another address. */
		SSL_set_mode(c->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		c->client = bufferevent_openssl_socket_new(e->base, fd, c->ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->client == NULL) {
			evutil_closesocket(fd);
			conn_free(c);
			return;
		}
		/* A client that closes without close_notify has still ended
		 * its stream; most HTTP clients do exactly that. */
		bufferevent_openssl_set_allow_dirty_shutdown(c->client, 1);
	}
	bufferevent_setcb(c->client, client_read, client_write, client_event, c);
	bufferevent_setwatermark(c->client, EV_READ, 0, EDGE_HIGH_WATER);
	tune(c->client);
	bufferevent_enable(c->client, EV_READ | EV_WRITE);
	if (tcp_tunnel != NULL) {
		connect_target(c);
		return;
	}
	c->state = CONN_HANDSHAKE;
	set_deadline(c, "TLS handshake", e->cfg.handshake_ms);
}
