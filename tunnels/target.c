/*
 * target.c: the target side of an edge connection (see conn.h): connecting
 * (by address, or by name through evdns), its one edge-triggered event,
 * reads, writes (at once, or from tout), and failures.  TCP_NODELAY: a
 * request's last segment must not wait for the ACK of the one before.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/util.h>

#include "common/log.h"
#include "common/netaddr.h"
#include "tunnels/conn.h"

/* A name lookup in flight.  It outlives a connection that goes first
 * (c is then NULL): evdns calls back even after a cancel. */
struct target_lookup {
	struct edge_conn *c;
	struct evdns_getaddrinfo_request *req;
};

static int
blocked(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

void
target_drop(struct edge_conn *c)
{
	if (c->lookup != NULL) {
		c->lookup->c = NULL;
		if (c->lookup->req != NULL)
			evdns_getaddrinfo_cancel(c->lookup->req);
		c->lookup = NULL;
	}
	if (c->target_ev != NULL) {
		event_free(c->target_ev);
		c->target_ev = NULL;
	}
	if (c->tfd >= 0) {
		evutil_closesocket(c->tfd);
		c->tfd = -1;
	}
	splice_release(c);
}

void
target_shut(struct edge_conn *c)
{
	c->target_shut = 1;
	if (c->tfd >= 0)
		shutdown(c->tfd, SHUT_WR);
	/* From now on the target's FIN comes as a hang-up (EV_READ|EV_WRITE,
	 * no EV_CLOSED): read until the EOF itself (tls_io.h). */
	c->t_fin = 1;
}

void
target_again(struct edge_conn *c)
{
	if (c->target_ev != NULL)
		event_active(c->target_ev, EV_READ, 1);
}

void
target_failed(struct edge_conn *c, const char *why)
{
	log_warn("tunnel %s: target %s:%u unreachable (%s), closing connection from %s",
	    c->tunnel->hostname, c->tunnel->target_host, c->tunnel->target_port, why, c->peer);
	conn_set_result(c, EDGE_RESULT_TARGET_FAILED);
	if (c->http) {
		conn_send_page(c, 502, "Bad Gateway", "502 Bad Gateway: the tunnel's target is not answering\n");
		conn_close_after_flush(c);
		return;
	}
	conn_free(c);
}

static void
target_error(struct edge_conn *c, const char *what, int err)
{
	log_debug("tunnel %s: target %s failed (%s), closing %s", c->tunnel->hostname, what,
	    strerror(err), c->peer);
	conn_free(c);
}

enum tls_io_status
target_read(struct edge_conn *c, unsigned char *buf, size_t len, size_t *got)
{
	ssize_t n = recv(c->tfd, buf, len, 0);

	*got = 0;
	if (n > 0) {
		*got = (size_t)n;
		/* Short: drained, the next byte brings an edge (a FIN
		 * behind these bytes does not: tls_io.h). */
		c->t_readable = *got == len || c->t_fin;
		metrics_add(&c->edge->stats.bytes_to_client, *got);
		conn_touch(c);
		return c->t_readable ? TLS_IO_OK : TLS_IO_WANT_READ;
	}
	if (n == 0) {
		c->t_readable = 0;
		return TLS_IO_EOF;
	}
	c->t_readable = errno == EINTR;
	return blocked(errno) ? TLS_IO_WANT_READ : TLS_IO_ERROR;
}

enum tls_io_status
target_peek(struct edge_conn *c, unsigned char *buf, size_t len, size_t *got)
{
	ssize_t n = recv(c->tfd, buf, len, MSG_PEEK);

	*got = 0;
	if (n > 0) {
		*got = (size_t)n;
		return TLS_IO_OK;   /* readable until a discard takes it all */
	}
	if (n == 0) {
		c->t_readable = 0;
		return TLS_IO_EOF;
	}
	c->t_readable = errno == EINTR;
	return blocked(errno) ? TLS_IO_WANT_READ : TLS_IO_ERROR;
}

int
target_discard(struct edge_conn *c, size_t n)
{
	ssize_t r;

	if (n == 0)
		return 0;
	/* TCP honours MSG_TRUNC on receive: the bytes go, uncopied. */
	if ((r = recv(c->tfd, NULL, n, MSG_TRUNC)) < 0) {
		target_error(c, "read", errno);
		return -1;
	}
	metrics_add(&c->edge->stats.bytes_to_client, n);
	conn_touch(c);
	return 0;
}

enum tls_io_status
target_fill(struct edge_conn *c)
{
	struct evbuffer_iovec v;
	enum tls_io_status st = TLS_IO_WANT_READ;
	size_t held, got;

	while (c->t_readable &&
	    (held = evbuffer_get_length(c->tin) + relay_to_client_pending(c)) < EDGE_HIGH_WATER) {
		if (evbuffer_reserve_space(c->tin, (ev_ssize_t)(EDGE_HIGH_WATER - held), &v, 1) < 1)
			return TLS_IO_ERROR;
		if (v.iov_len > EDGE_HIGH_WATER - held)
			v.iov_len = EDGE_HIGH_WATER - held;
		st = target_read(c, v.iov_base, v.iov_len, &got);
		v.iov_len = got;
		evbuffer_commit_space(c->tin, &v, 1);
		if (st != TLS_IO_OK)
			break;
	}
	return st;
}

/* Writes tout until it is empty or the socket blocks.  -1 on a failed
 * write (the connection is freed). */
static int
write_queue(struct edge_conn *c)
{
	while (c->t_writable && evbuffer_get_length(c->tout) > 0) {
		if (evbuffer_write(c->tout, c->tfd) >= 0)
			continue;
		if (!blocked(errno)) {
			target_error(c, "write", errno);
			return -1;
		}
		c->t_writable = errno == EINTR;
	}
	return 0;
}

int
target_send(struct edge_conn *c, const unsigned char *p, size_t n)
{
	size_t done = 0;
	ssize_t w;

	if (c->dead || c->target_shut || c->tfd < 0)
		return -1;
	if (evbuffer_get_length(c->tout) == 0) {
		while (c->t_writable && done < n) {
			if ((w = send(c->tfd, p + done, n - done, MSG_NOSIGNAL)) >= 0) {
				done += (size_t)w;
			} else if (blocked(errno)) {
				c->t_writable = errno == EINTR;
			} else {
				target_error(c, "write", errno);
				return -1;
			}
		}
		if (done == n)
			return 0;
	}
	if (relay_queue(c->tout, p + done, n - done) != 0) {
		conn_free(c);
		return -1;
	}
	return write_queue(c);
}

int
target_send_buffer(struct edge_conn *c, struct evbuffer *src)
{
	if (c->dead || c->target_shut || c->tfd < 0)
		return -1;
	if (evbuffer_get_length(c->tout) == 0) {
		while (c->t_writable && evbuffer_get_length(src) > 0) {
			if (evbuffer_write(src, c->tfd) >= 0)
				continue;
			if (!blocked(errno)) {
				target_error(c, "write", errno);
				return -1;
			}
			c->t_writable = errno == EINTR;
		}
	}
	evbuffer_add_buffer(c->tout, src);
	return write_queue(c);
}

void
target_flush(struct edge_conn *c)
{
	if (c->dead || c->tfd < 0)
		return;
	if (write_queue(c) == 0)
		relay_target_wrote(c);
}

static int
established(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_ESTABLISHED;
}

/* The connect finished (the first writable edge): did it work? */
static void
target_connected(struct edge_conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->tfd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		target_failed(c, strerror(err));
		return;
	}
	c->state = CONN_RELAY;
	conn_set_deadline(c, NULL, 0);
	conn_touch(c);
	relay_start(c);
}

static void
target_event(evutil_socket_t fd, short what, void *arg)
{
	struct edge_conn *c = arg;

	(void)fd;
	conn_hold(c);
	if (what & EV_READ)
		c->t_readable = 1;
	if (what & EV_WRITE)
		c->t_writable = 1;
	if (what & EV_CLOSED)
		c->t_fin = 1;
	if (c->state == CONN_CONNECTING) {
		if (what & EV_WRITE)
			target_connected(c);
		goto out;
	}
	target_flush(c);
	if (!c->dead)
		relay_from_target(c);
out:
	conn_release(c);
}

/* Opens the socket and starts the connect; the event reports its end. */
static void
start_connect(struct edge_conn *c, const struct sockaddr *sa, socklen_t salen)
{
	int one = 1, fd;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		target_failed(c, strerror(errno));
		return;
	}
	c->tfd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, sa, salen) != 0 && errno != EINPROGRESS) {
		target_failed(c, strerror(errno));
		return;
	}
	/* Registered once connect has begun: an unconnected socket polls
	 * as hung up. */
	c->target_ev = event_new(c->edge->base, fd,
	    EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST, target_event, c);
	if (c->target_ev == NULL || event_add(c->target_ev, NULL) != 0) {
		conn_free(c);
		return;
	}
	c->t_readable = 0;
	c->t_writable = 0;
	/* On loopback the handshake is often over before connect returns:
	 * go on at once rather than a loop turn later. */
	if (established(fd)) {
		c->t_writable = 1;
		target_connected(c);
	}
}

static void
lookup_done(int err, struct evutil_addrinfo *res, void *arg)
{
	struct target_lookup *l = arg;
	struct edge_conn *c = l->c;

	free(l);
	if (c == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	c->lookup = NULL;
	conn_hold(c);
	if (err != 0 || res == NULL)
		target_failed(c, evutil_gai_strerror(err != 0 ? err : EVUTIL_EAI_NONAME));
	else
		start_connect(c, res->ai_addr, (socklen_t)res->ai_addrlen);
	if (res != NULL)
		evutil_freeaddrinfo(res);
	conn_release(c);
}

/* A target given by name: resolved without blocking the loop. */
static void
lookup(struct edge_conn *c)
{
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct target_lookup *l = calloc(1, sizeof(*l));
	char port[8];

	if (l == NULL) {
		conn_free(c);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	snprintf(port, sizeof(port), "%u", c->tunnel->target_port);
	l->c = c;
	c->lookup = l;
	/* The callback may run before this returns (a hosts entry): then
	 * it has freed l and cleared c->lookup. */
	req = evdns_getaddrinfo(c->edge->dns, c->tunnel->target_host, port, &hints, lookup_done, l);
	if (c->lookup == l)
		l->req = req;
}

void
target_connect(struct edge_conn *c)
{
	struct edge_tunnel *t = c->tunnel;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char addr[NAMES_MAX + 16];

	c->state = CONN_CONNECTING;
	conn_set_deadline(c, "target connect", c->edge->cfg.handshake_ms);
	if ((c->tin == NULL && (c->tin = evbuffer_new()) == NULL) ||
	    (c->tout == NULL && (c->tout = evbuffer_new()) == NULL)) {
		conn_free(c);
		return;
	}
	snprintf(addr, sizeof(addr), netaddr_ip_family(t->target_host) == 6 ? "[%s]:%u" : "%s:%u",
	    t->target_host, t->target_port);
	if (netaddr_ip_family(t->target_host) != 0 &&
	    evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) == 0)
		start_connect(c, (struct sockaddr *)&ss, (socklen_t)sslen);
	else
		lookup(c);
}
