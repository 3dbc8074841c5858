/*
 * client.c: the client side of an edge connection (see conn.h): its one
 * edge-triggered event, the TLS handshake, reads, writes (at once, or from
 * cout), and EOF.  TLS goes through tls_io.c; tcp tunnels use the socket
 * directly, with the same readiness flags (c->tio.readable, .writable).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "common/log.h"
#include "tunnels/conn.h"

static int
blocked(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

int
client_can_read(const struct edge_conn *c)
{
	if (c->rd_want == EV_WRITE)
		return c->tio.writable;
	return c->tio.readable || (c->ssl != NULL && SSL_has_pending(c->ssl));
}

int
client_can_write(const struct edge_conn *c)
{
	return c->wr_want == EV_READ ? c->tio.readable : c->tio.writable;
}

void
client_again(struct edge_conn *c)
{
	event_active(c->client_ev, EV_READ, 1);
}

enum tls_io_status
client_read(struct edge_conn *c, unsigned char *buf, size_t len, size_t *got)
{
	enum tls_io_status st;
	ssize_t n;

	*got = 0;
	if (c->ssl != NULL) {
		st = tls_io_read(&c->tio, buf, len, got);
		c->rd_want = st == TLS_IO_WANT_WRITE ? EV_WRITE : EV_READ;
	} else if ((n = recv(c->fd, buf, len, 0)) > 0) {
		*got = (size_t)n;
		/* A short read drained the socket: the next byte brings an
		 * edge (a FIN behind it does not: tls_io.h). */
		c->tio.readable = *got == len || c->tio.fin;
		st = c->tio.readable ? TLS_IO_OK : TLS_IO_WANT_READ;
	} else if (n == 0) {
		c->tio.readable = 0;
		st = TLS_IO_EOF;
	} else {
		c->tio.readable = errno == EINTR;
		st = blocked(errno) ? TLS_IO_WANT_READ : TLS_IO_ERROR;
	}
	if (*got > 0) {
		metrics_add(&c->edge->stats.bytes_to_target, *got);
		conn_touch(c);
	}
	return st;
}

enum tls_io_status
client_fill(struct edge_conn *c)
{
	struct evbuffer_iovec v;
	enum tls_io_status st = TLS_IO_WANT_READ;
	size_t held, got;

	/* Bytes queued for the target count too: a slow target pauses the
	 * client here as on the raw path. */
	while (client_can_read(c) &&
	    (held = evbuffer_get_length(c->cin) + relay_to_target_pending(c)) < EDGE_HIGH_WATER) {
		if (evbuffer_reserve_space(c->cin, (ev_ssize_t)(EDGE_HIGH_WATER - held), &v, 1) < 1)
			return TLS_IO_ERROR;
		if (v.iov_len > EDGE_HIGH_WATER - held)
			v.iov_len = EDGE_HIGH_WATER - held;
		st = client_read(c, v.iov_base, v.iov_len, &got);
		v.iov_len = got;
		evbuffer_commit_space(c->cin, &v, 1);
		if (st != TLS_IO_OK)
			break;
	}
	return st;
}

/* Writes cout until it is empty or the socket blocks: the status. */
static enum tls_io_status
write_queue(struct edge_conn *c)
{
	enum tls_io_status st = TLS_IO_OK;
	int n;

	if (c->ssl != NULL) {
		st = tls_io_write_buffer(&c->tio, c->cout);
		c->wr_want = st == TLS_IO_WANT_READ ? EV_READ : EV_WRITE;
		return st;
	}
	while (evbuffer_get_length(c->cout) > 0) {
		if ((n = evbuffer_write(c->cout, c->fd)) >= 0)
			continue;
		c->tio.writable = errno == EINTR;
		st = blocked(errno) ? TLS_IO_WANT_WRITE : TLS_IO_ERROR;
		break;
	}
	return st;
}

/* Writes n bytes of p, *done of them; the status. */
static enum tls_io_status
write_now(struct edge_conn *c, const unsigned char *p, size_t n, size_t *done)
{
	enum tls_io_status st;
	ssize_t w;

	if (c->ssl != NULL) {
		st = tls_io_write(&c->tio, p, n, done);
		c->wr_want = st == TLS_IO_WANT_READ ? EV_READ : EV_WRITE;
		return st;
	}
	*done = 0;
	while (*done < n) {
		if ((w = send(c->fd, p + *done, n - *done, MSG_NOSIGNAL)) < 0) {
			c->tio.writable = errno == EINTR;
			return blocked(errno) ? TLS_IO_WANT_WRITE : TLS_IO_ERROR;
		}
		*done += (size_t)w;
	}
	return TLS_IO_OK;
}

/* A failed write (EPIPE, ECONNRESET) ends the connection: the client can
 * take no more bytes, and retrying would spin until the idle timeout. */
static int
write_failed(struct edge_conn *c, enum tls_io_status st)
{
	if (st != TLS_IO_ERROR && st != TLS_IO_EOF)
		return 0;
	log_debug("%s: client write failed, closing", c->peer);
	conn_free(c);
	return 1;
}

int
client_write_through(struct edge_conn *c, const unsigned char *p, size_t n, size_t *done)
{
	*done = 0;
	if (c->dead || c->client_shut)
		return -1;
	if (evbuffer_get_length(c->cout) > 0 || !client_can_write(c))
		return 0;
	return write_failed(c, write_now(c, p, n, done)) ? -1 : 0;
}

int
client_send(struct edge_conn *c, const unsigned char *p, size_t n)
{
	size_t done = 0;

	if (client_write_through(c, p, n, &done) != 0)
		return -1;
	if (done == n)
		return 0;
	/* What the socket did not take waits, the blocked record first
	 * (tls_io_write: it is offered again as it was). */
	if (relay_queue(c->cout, p + done, n - done) != 0) {
		conn_free(c);
		return -1;
	}
	if (done == 0 && client_can_write(c) && write_failed(c, write_queue(c)))
		return -1;
	return 0;
}

int
client_push(struct edge_conn *c)
{
	if (c->dead || c->client_shut)
		return -1;
	if (evbuffer_get_length(c->cout) > 0 && client_can_write(c) &&
	    write_failed(c, write_queue(c)))
		return -1;
	return 0;
}

void
client_flush(struct edge_conn *c)
{
	if (c->state == CONN_HANDSHAKE || client_push(c) != 0)
		return;
	relay_client_wrote(c);
}

void
client_shut(struct edge_conn *c)
{
	c->client_shut = 1;
	if (c->ssl != NULL) {
		/* close_notify: the TLS way to say EOF (RFC 8446 6.1); the
		 * client may keep sending until its own close_notify. */
		tls_io_shutdown(&c->tio);
	} else {
		shutdown(c->fd, SHUT_WR);
		c->tio.fin = 1;   /* the client's FIN now comes as a hang-up */
	}
}

static void
handshake_done(struct edge_conn *c)
{
	const unsigned char *alpn = NULL;
	unsigned int alen = 0;

	metrics_add(SSL_session_reused(c->ssl) ? &c->edge->stats.tls_resumed :
	    &c->edge->stats.tls_ok, 1);
	SSL_get0_alpn_selected(c->ssl, &alpn, &alen);
	c->http = alen == 8 && memcmp(alpn, "http/1.1", 8) == 0;
	if (c->tunnel->connect_token) {
		c->http = 1;
		c->state = CONN_HEAD;
		/* The whole head within head_ms: slowloris gets cut off. */
		conn_set_deadline(c, "request head", c->edge->cfg.head_ms);
		return;   /* client_event reads the head next */
	}
	target_connect(c);
}

/* One handshake step, if what it waits for has come; 0 once the handshake
 * is complete. */
static int
client_handshake(struct edge_conn *c)
{
	enum tls_io_status st;
	unsigned long err;

	if (!(c->hs_want == EV_READ ? c->tio.readable : c->tio.writable))
		return -1;
	st = tls_io_handshake(&c->tio);
	if (st == TLS_IO_OK) {
		/* Read-ahead may have taken the first request along with the
		 * client's Finished: SSL_has_pending says so (client_can_read). */
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

/* The client socket is readable or writable (edge-triggered: once per
 * change).  Handshake, then what waits for the client, then what the
 * client sent; a TLS step blocked on the other readiness runs too. */
void
client_event(evutil_socket_t fd, short what, void *arg)
{
	struct edge_conn *c = arg;

	(void)fd;
	conn_hold(c);
	if (what & EV_READ)
		c->tio.readable = 1;
	if (what & EV_WRITE)
		c->tio.writable = 1;
	if (what & EV_CLOSED)
		c->tio.fin = 1;
	if (c->state == CONN_HANDSHAKE && client_handshake(c) != 0)
		goto out;
	client_flush(c);
	if (!c->dead)
		relay_from_client(c);
out:
	conn_release(c);
}
