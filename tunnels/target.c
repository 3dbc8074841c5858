/*
 * target.c: the target side of an edge connection (see conn.h): connecting
 * (by address, or by name through evdns), reading in large chunks, writing
 * through the bufferevent, and failures.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/netaddr.h"
#include "tunnels/conn.h"

/* The read event goes before the bufferevent closes the socket it watches. */
void
target_drop(struct edge_conn *c)
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

void
target_set_reading(struct edge_conn *c, int on)
{
	if (c->target_rd == NULL)
		return;
	if (on && !c->target_eof)
		event_add(c->target_rd, NULL);
	else
		event_del(c->target_rd);
}

void
target_shut(struct edge_conn *c)
{
	c->target_shut = 1;
	shutdown(bufferevent_getfd(c->target), SHUT_WR);
}

/* Writes what it can of src to the target at once, when nothing is queued
 * for it.  Queueing first would cost a loop turn and two epoll_ctl calls per
 * request (the bufferevent arms its write event, then disarms it once
 * written); most of the time the socket takes everything right away.
 * Anything left, or any error, stays in src for the bufferevent, which
 * retries and reports errors as usual. */
void
target_write_now(struct edge_conn *c, struct evbuffer *src)
{
	if (evbuffer_get_length(bufferevent_get_output(c->target)) != 0 ||
	    c->state != CONN_RELAY || c->target_shut)
		return;
	evbuffer_write(src, bufferevent_getfd(c->target));
}

void
target_failed(struct edge_conn *c, const char *why)
{
	log_warn("tunnel %s: target %s:%u unreachable (%s), closing connection from %s",
	    c->tunnel->hostname, c->tunnel->target_host, c->tunnel->target_port, why, c->peer);
	if (c->http) {
		conn_send_page(c, 502, "Bad Gateway", "502 Bad Gateway: the tunnel's target is not answering\n");
		conn_close_after_flush(c);
		return;
	}
	conn_free(c);
}

static void
target_write(struct bufferevent *bev, void *arg)
{
	struct edge_conn *c = arg;

	conn_hold(c);
	/* Drained to its low watermark: resume reading the client. */
	if (c->client_paused) {
		c->client_paused = 0;
		bufferevent_setwatermark(c->target, EV_WRITE, 0, 0);
		client_arm(c);
	}
	if (c->client_eof && !c->target_shut && !c->upgrade &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
		target_shut(c);
		relay_maybe_done(c);
	}
	conn_release(c);
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
	conn_hold(c);
	if (n == 0) {
		event_del(c->target_rd);
		relay_target_eof(c);
	} else {
		evbuffer_add(in, c->edge->scratch, (size_t)n);
		relay_target_read(c);
	}
	conn_release(c);
}

static void
target_connected(struct edge_conn *c)
{
	c->state = CONN_RELAY;
	conn_set_deadline(c, NULL, 0);
	conn_touch(c);
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
	target_set_reading(c, 1);
	if (!c->upgrade)
		relay_pump(c, 1);
	client_arm(c);
	if (c->client_eof)
		relay_client_eof(c);
}

static void
target_event(struct bufferevent *bev, short what, void *arg)
{
	struct edge_conn *c = arg;
	int err = EVUTIL_SOCKET_ERROR();
	const char *why;

	(void)bev;
	conn_hold(c);
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
		relay_target_eof(c);
	} else {
		log_debug("tunnel %s: target error (%s), closing %s", c->tunnel->hostname,
		    evutil_socket_error_to_string(err), c->peer);
		conn_free(c);
	}
	conn_release(c);
}

void
target_connect(struct edge_conn *c)
{
	struct edge_tunnel *t = c->tunnel;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss), rc;
	char addr[NAMES_MAX + 16];

	c->state = CONN_CONNECTING;
	conn_set_deadline(c, "target connect", c->edge->cfg.handshake_ms);
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
