/*
 * client.c: the client side of an edge connection (see conn.h): the TLS
 * handshake, reads into cin, writes from cout, and which readiness to wait
 * for.  TLS goes through tls_io.c; tcp tunnels use the socket directly.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "common/log.h"
#include "tunnels/conn.h"
#include "tunnels/tls_io.h"

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
void
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

void
client_shut(struct edge_conn *c)
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

/* Writes the client's output until it is empty or the socket blocks.
 * A failed write (EPIPE, ECONNRESET) ends the connection: the client can
 * take no more bytes, and retrying would spin until the idle timeout. */
void
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
	relay_client_wrote(c);
	client_arm(c);
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
		conn_set_deadline(c, "request head", c->edge->cfg.head_ms);
		return;   /* client_io reads the head next */
	}
	target_connect(c);
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
		conn_touch(c);
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
			relay_client_read(c);
		if (st == TLS_IO_EOF) {
			if (!c->dead)
				relay_client_eof(c);
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
void
client_io(evutil_socket_t fd, short what, void *arg)
{
	struct edge_conn *c = arg;

	(void)fd;
	conn_hold(c);
	if (c->state == CONN_HANDSHAKE && client_handshake(c) != 0)
		goto out;
	if (evbuffer_get_length(c->cout) > 0 && (what & c->wr_want))
		client_flush(c);
	if ((what & c->rd_want) || c->rd_more)
		client_read_some(c);
out:
	client_arm(c);
	conn_release(c);
}
