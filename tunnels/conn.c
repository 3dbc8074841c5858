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
 * The client socket is driven directly: two events on its fd, an input and
 * an output evbuffer, and tls_io.c for TLS (no bufferevent: libevent 2.1's
 * reads at most 4 KB at a time and its TLS filter reads each record in two
 * calls).  The target is a bufferevent that only connects and writes;
 * target_rd reads it.
 *
 * Every event callback holds the connection (hold/release): conn_free()
 * inside one only marks it dead, and the memory goes when the outermost
 * callback returns, so deep call chains never touch freed memory.
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
#include <openssl/err.h>

#include "common/error.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "tunnels/edge.h"
#include "tunnels/http_head.h"
#include "tunnels/tls_io.h"

enum conn_state { CONN_HANDSHAKE, CONN_HEAD, CONN_CONNECTING, CONN_RELAY, CONN_CLOSING };

struct edge_conn {
	struct edge *edge;
	struct edge_tunnel *tunnel;      /* referenced; NULL before SNI */
	struct bufferevent *target;
	/* Reads the target socket in place of the bufferevent, whose reads
	 * libevent 2.1 caps at 4 KB (evbuffer_read): see target_readable. */
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

static void conn_free(struct edge_conn *c);
static void drop_target(struct edge_conn *c);
static void connect_target(struct edge_conn *c);
static void pump(struct edge_conn *c, int from_client);
static void client_arm(struct edge_conn *c);
static void client_flush(struct edge_conn *c);

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
/* hold/release bracket every event callback: see the top of the file. */
static void
hold(struct edge_conn *c)
{
	c->busy++;
}

static void destroy(struct edge_conn *c);

static void
release(struct edge_conn *c)
{
	if (--c->busy == 0 && c->dead)
		destroy(c);
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
	if (c->dead)
		return;
	c->dead = 1;
	if (c->busy == 0)
		destroy(c);
}

static void
destroy(struct edge_conn *c)
{
	struct edge *e = c->edge;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->client_rd != NULL)
		event_free(c->client_rd);
	if (c->client_wr != NULL)
		event_free(c->client_wr);
	SSL_free(c->ssl);
	if (c->fd >= 0)
		evutil_closesocket(c->fd);
	if (c->cin != NULL)
		evbuffer_free(c->cin);
	if (c->cout != NULL)
		evbuffer_free(c->cout);
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
		destroy(e->conns);
}

/* Sends what is queued for the client, then closes. */
static void
close_after_flush(struct edge_conn *c)
{
	c->state = CONN_CLOSING;
	drop_target(c);
	if (evbuffer_get_length(c->cout) == 0) {
		conn_free(c);
		return;
	}
	set_deadline(c, "error response", c->edge->cfg.handshake_ms);
	client_flush(c);
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

static void
set_target_reading(struct edge_conn *c, int on)
{
	if (c->target_rd == NULL)
		return;
	if (on && !c->target_eof)
		event_add(c->target_rd, NULL);
	else
		event_del(c->target_rd);
}

/* Whether the client side should be read now.  The input is bounded like
 * the bufferevent's read watermark was: bytes held while connecting or
 * while a head is incomplete count against EDGE_HIGH_WATER. */
static int
client_reading(const struct edge_conn *c)
{
	return !c->dead && !c->client_eof && !c->client_paused && c->state != CONN_HANDSHAKE &&
	    c->state != CONN_CLOSING && evbuffer_get_length(c->cin) < EDGE_HIGH_WATER;
}

static void
toggle(struct event *ev, int *on, int want)
{
	if (want == *on)
		return;
	*on = want;
	if (want)
		event_add(ev, NULL);
	else
		event_del(ev);
}

/* Arms the client's events for what its blocked steps wait for.  Both stay
 * armed across wake-ups (EV_PERSIST): in the steady state of a keep-alive
 * connection this makes no epoll_ctl call at all. */
static void
client_arm(struct edge_conn *c)
{
	int rd = 0, wr = 0, reading = client_reading(c);

	if (c->dead)
		return;
	if (c->state == CONN_HANDSHAKE) {
		rd = c->hs_want == EV_READ;
		wr = c->hs_want == EV_WRITE;
	} else {
		if (reading) {
			rd |= c->rd_want == EV_READ;
			wr |= c->rd_want == EV_WRITE;
		}
		if (evbuffer_get_length(c->cout) > 0 && !c->client_shut) {
			rd |= c->wr_want == EV_READ;
			wr |= c->wr_want == EV_WRITE;
		}
	}
	toggle(c->client_rd, &c->rd_on, rd);
	toggle(c->client_wr, &c->wr_on, wr);
	/* A read stopped for want of room may have left decoded records in
	 * OpenSSL, which no readiness of the socket would report. */
	if (reading && c->rd_more)
		event_active(c->client_rd, EV_READ, 1);
}

static void
shut_client(struct edge_conn *c)
{
	c->client_shut = 1;
	if (c->ssl != NULL) {
		/* close_notify: the TLS way to say EOF (RFC 8446 6.1); the
		 * client may keep sending until its own close_notify. */
		tls_io_shutdown(c->ssl);
	} else {
		shutdown(c->fd, SHUT_WR);
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

/* The client's output shrank: resume the target at half the high-water
 * mark, finish a closing connection, relay the target's EOF once all its
 * bytes are out. */
static void
client_wrote(struct edge_conn *c)
{
	size_t left = evbuffer_get_length(c->cout);

	if (c->state == CONN_CLOSING) {
		if (left == 0)
			conn_free(c);
		return;
	}
	if (c->target_paused && left <= EDGE_HIGH_WATER / 2) {
		c->target_paused = 0;
		set_target_reading(c, 1);
	}
	if (left == 0 && c->target_eof && !c->client_shut && c->target != NULL) {
		shut_client(c);
		maybe_done(c);
	}
}

/* Writes the client's output until it is empty or the socket blocks.
 * A failed write (EPIPE, ECONNRESET) ends the connection: the client can
 * take no more bytes, and retrying would spin until the idle timeout. */
static void
client_flush(struct edge_conn *c)
{
	enum tls_io_status st = TLS_IO_OK;
	int n;

	if (c->dead || c->client_shut || c->state == CONN_HANDSHAKE)
		return;
	if (c->ssl != NULL) {
		st = tls_io_write(c->ssl, c->cout);
	} else {
		while (evbuffer_get_length(c->cout) > 0) {
			if ((n = evbuffer_write(c->cout, c->fd)) >= 0)
				continue;
			st = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
			    ? TLS_IO_WANT_WRITE : TLS_IO_ERROR;
			break;
		}
	}
	if (st == TLS_IO_ERROR || st == TLS_IO_EOF) {
		log_debug("%s: client write failed, closing", c->peer);
		conn_free(c);
		return;
	}
	c->wr_want = st == TLS_IO_WANT_READ ? EV_READ : EV_WRITE;
	client_wrote(c);
	client_arm(c);
}

/* Writes what it can of src to the target at once, when nothing is queued
 * for it.  Queueing first would cost a loop turn and two epoll_ctl calls per
 * request (the bufferevent arms its write event, then disarms it once
 * written); most of the time the socket takes everything right away.
 * Anything left, or any error, stays in src for the bufferevent, which
 * retries and reports errors as usual. */
static void
write_target_now(struct edge_conn *c, struct evbuffer *src)
{
	if (evbuffer_get_length(bufferevent_get_output(c->target)) != 0 ||
	    c->state != CONN_RELAY || c->target_shut)
		return;
	evbuffer_write(src, bufferevent_getfd(c->target));
}

/* Moves bytes from one side's input to the other side's output, and pauses
 * the reader of the first when the output reaches EDGE_HIGH_WATER: the
 * reader of 'to' is slower than the writer of 'from'. */
static void
pump(struct edge_conn *c, int from_client)
{
	struct evbuffer *in, *out;

	if (c->dead)
		return;
	if (from_client) {
		in = c->cin;
		out = bufferevent_get_output(c->target);
		write_target_now(c, in);
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
		set_target_reading(c, 0);
	}
}

static void
send_page(struct edge_conn *c, int status, const char *reason, const char *body)
{
	evbuffer_add_printf(c->cout,
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
			pump(c, 1);
		} else {
			/* The container said no to the upgrade but might read
			 * a next request on this connection, unchecked: end
			 * the request stream here instead. */
			c->discard_client = 1;
			evbuffer_drain(c->cin, evbuffer_get_length(c->cin));
			if (!c->target_shut)
				shut_target(c);
			client_arm(c);
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
		pump(c, 1);
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
	pump(c, 0);
	if (c->dead)
		return;
	if (evbuffer_get_length(c->cout) == 0 && !c->client_shut)
		shut_client(c);
	if (c->upgrade && !c->target_shut)
		shut_target(c);   /* no 101 ever came */
	maybe_done(c);
}

/* New bytes in the client's input. */
static void
client_read(struct edge_conn *c)
{
	enum gate_result r;
	char *head = NULL, *cookie = NULL;
	size_t len = 0;
	int upgrade = 0;

	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_CONNECTING:
		return;   /* kept, bounded by client_reading() */
	case CONN_CLOSING:
		evbuffer_drain(c->cin, evbuffer_get_length(c->cin));
		return;
	case CONN_HEAD:
		r = edge_gate_check(c->edge, c->tunnel, c->cin, &head, &len, &upgrade, &cookie);
		if (r == GATE_WAIT)
			return;
		if (r == GATE_DENY) {
			evbuffer_add(c->cout, head, len);
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
		evbuffer_drain(c->cin, evbuffer_get_length(c->cin));
		return;
	}
	if (!c->upgrade)
		pump(c, 1);
}

static void
target_read(struct edge_conn *c)
{
	touch(c);
	if (c->watch_status && response_step(c) != 0)
		return;
	pump(c, 0);
}

static void
target_write(struct bufferevent *bev, void *arg)
{
	struct edge_conn *c = arg;

	hold(c);
	/* Drained to its low watermark: resume reading the client. */
	if (c->client_paused) {
		c->client_paused = 0;
		bufferevent_setwatermark(c->target, EV_WRITE, 0, 0);
		client_arm(c);
	}
	if (c->client_eof && !c->target_shut && !c->upgrade &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		shut_target(c);
		maybe_done(c);
	}
	release(c);
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
	hold(c);
	if (n == 0) {
		event_del(c->target_rd);
		target_eof(c);
	} else {
		evbuffer_add(in, c->edge->scratch, (size_t)n);
		target_read(c);
	}
	release(c);
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
	set_target_reading(c, 1);
	if (!c->upgrade)
		pump(c, 1);
	client_arm(c);
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
	hold(c);
	if (what & BEV_EVENT_CONNECTED) {
		target_connected(c);
	} else if (c->state == CONN_CONNECTING) {
		if (c->in_connect) {
			c->connect_failed = 1;
		} else {
			why = bufferevent_socket_get_dns_error(c->target) != 0
			    ? evutil_gai_strerror(bufferevent_socket_get_dns_error(c->target))
			    : evutil_socket_error_to_string(err);
			target_failed(c, why);
		}
	} else if (what & BEV_EVENT_EOF) {
		target_eof(c);
	} else {
		log_debug("tunnel %s: target error (%s), closing %s", c->tunnel->hostname,
		    evutil_socket_error_to_string(err), c->peer);
		conn_free(c);
	}
	release(c);
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
	bufferevent_setcb(c->target, NULL, target_write, target_event, c);
	/* libevent writes at most 16 KB per write callback by default; larger
	 * bites keep the loop overhead per byte low (the high-water mark
	 * still bounds the memory). */
	bufferevent_set_max_single_write(c->target, EDGE_IO_CHUNK);
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
		return;   /* client_io reads the head next */
	}
	connect_target(c);
}

/* One handshake step; 0 once it is complete. */
static int
client_handshake(struct edge_conn *c)
{
	enum tls_io_status st = tls_io_handshake(c->ssl);
	unsigned long err;

	if (st == TLS_IO_OK) {
		/* Read-ahead may have taken the first request along with the
		 * client's Finished: read without waiting for readiness. */
		c->rd_more = 1;
		handshake_done(c);
		return 0;
	}
	if (st == TLS_IO_WANT_READ || st == TLS_IO_WANT_WRITE) {
		c->hs_want = st == TLS_IO_WANT_READ ? EV_READ : EV_WRITE;
		return -1;
	}
	while ((err = ERR_get_error()) != 0)
		log_debug("%s: TLS handshake failed: %s", c->peer, ERR_reason_error_string(err));
	conn_free(c);
	return -1;
}

/* Reads the client into cin: room for at most EDGE_IO_CHUNK at a time, up
 * to EDGE_HIGH_WATER held.  Returns the status of the last step. */
static enum tls_io_status
client_fill(struct edge_conn *c)
{
	size_t room = EDGE_HIGH_WATER - evbuffer_get_length(c->cin), got = 0;
	enum tls_io_status st;
	ssize_t n;

	if (room > EDGE_IO_CHUNK)
		room = EDGE_IO_CHUNK;
	if (c->ssl != NULL) {
		st = tls_io_read(c->ssl, c->edge->scratch, room, &got);
	} else if ((n = read(c->fd, c->edge->scratch, room)) > 0) {
		got = (size_t)n;
		/* A short read drained the socket; readiness reports more. */
		st = got < room ? TLS_IO_WANT_READ : TLS_IO_OK;
	} else if (n == 0) {
		st = TLS_IO_EOF;
	} else {
		st = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
		    ? TLS_IO_WANT_READ : TLS_IO_ERROR;
	}
	if (got > 0) {
		evbuffer_add(c->cin, c->edge->scratch, got);
		touch(c);
	}
	return st;
}

/* Reads and handles client bytes while there is room.  A few rounds at
 * most per wake-up, so one busy client cannot starve the others; rd_more
 * brings it back. */
static void
client_read_some(struct edge_conn *c)
{
	enum tls_io_status st;
	int rounds = 4;

	while (client_reading(c)) {
		st = client_fill(c);
		c->rd_more = st == TLS_IO_OK;
		c->rd_want = st == TLS_IO_WANT_WRITE ? EV_WRITE : EV_READ;
		if (evbuffer_get_length(c->cin) > 0)
			client_read(c);
		if (st == TLS_IO_EOF) {
			if (!c->dead)
				client_eof(c);
			return;
		}
		if (st == TLS_IO_ERROR) {
			log_debug("%s: client read failed, closing", c->peer);
			conn_free(c);
			return;
		}
		if (st != TLS_IO_OK || --rounds == 0)
			return;
	}
}

/* The client socket is readable or writable: handshake, then flush what
 * waits for the client, then read.  A step that blocked on the other
 * readiness (TLS may need to read to write, or the reverse) runs too. */
static void
client_io(evutil_socket_t fd, short what, void *arg)
{
	struct edge_conn *c = arg;

	(void)fd;
	hold(c);
	if (c->state == CONN_HANDSHAKE && client_handshake(c) != 0)
		goto out;
	if (evbuffer_get_length(c->cout) > 0 && (what & c->wr_want))
		client_flush(c);
	if ((what & c->rd_want) || c->rd_more)
		client_read_some(c);
out:
	client_arm(c);
	release(c);
}

static struct edge_conn *
conn_new(struct edge *e, evutil_socket_t fd, const struct sockaddr *sa)
{
	struct edge_conn *c = calloc(1, sizeof(*c));
	char ip[INET6_ADDRSTRLEN];

	if (c == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	c->edge = e;
	c->fd = fd;
	c->hs_want = c->rd_want = EV_READ;
	c->wr_want = EV_WRITE;
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
	c->timer = evtimer_new(e->base, timer_cb, c);
	c->client_rd = event_new(e->base, fd, EV_READ | EV_PERSIST, client_io, c);
	c->client_wr = event_new(e->base, fd, EV_WRITE | EV_PERSIST, client_io, c);
	c->cin = evbuffer_new();
	c->cout = evbuffer_new();
	if (c->timer == NULL || c->client_rd == NULL || c->client_wr == NULL || c->cin == NULL ||
	    c->cout == NULL) {
		destroy(c);
		return NULL;
	}
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
	if ((c = conn_new(e, fd, sa)) == NULL)
		return;
	hold(c);
	if (tcp_tunnel != NULL) {
		if (edge_conn_bind(c, tcp_tunnel) != BURROW_OK) {
			log_warn("tunnel %s: connection limit (%d) reached, %s refused",
			    tcp_tunnel->hostname, e->cfg.max_conns_per_tunnel, c->peer);
			conn_free(c);
		} else {
			connect_target(c);
		}
		goto out;
	}
	if ((c->ssl = SSL_new(e->default_ctx)) == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		conn_free(c);
		goto out;
	}
	SSL_set_app_data(c->ssl, c);
	tls_io_setup(c->ssl);
	SSL_set_accept_state(c->ssl);
	c->state = CONN_HANDSHAKE;
	set_deadline(c, "TLS handshake", e->cfg.handshake_ms);
out:
	client_arm(c);
	release(c);
}
