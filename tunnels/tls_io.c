/*
 * tls_io.c: the non-blocking TLS driver (see tls_io.h).  Every SSL_* call
 * is preceded by ERR_clear_error(): SSL_get_error() reads the thread's
 * error queue, and a stale entry would turn a WANT_READ into a failure.
 */
#include <errno.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "common/error.h"
#include "tunnels/tls_io.h"

/* ---- the socket BIO ---- */

static int
bio_read(BIO *b, char *buf, int len)
{
	struct tls_io *io = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = recv(io->fd, buf, (size_t)len, 0);
	if (n > 0) {
		/* Short: the socket is drained and the next byte brings an
		 * edge, unless a FIN waits behind these bytes. */
		if (n < len && !io->fin)
			io->readable = 0;
		return (int)n;
	}
	io->readable = n < 0 && errno == EINTR;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)n;
}

static int
bio_write(BIO *b, const char *buf, int len)
{
	struct tls_io *io = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	/* MSG_NOSIGNAL: a vanished peer is an EPIPE, not a signal. */
	n = send(io->fd, buf, (size_t)len, MSG_NOSIGNAL | (io->more ? MSG_MORE : 0));
	if (n >= 0) {
		if (n < len)
			io->writable = 0;
		return (int)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		io->writable = errno == EINTR;
		BIO_set_retry_write(b);
	}
	return -1;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_io *io = BIO_get_data(b);

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;   /* every write goes straight to the socket */
	case BIO_C_GET_FD:
		if (ptr != NULL)
			*(int *)ptr = io->fd;
		return io->fd;
	default:
		return 0;
	}
}

/* One method for every connection, made on first use (the edge is one
 * thread). */
static BIO_METHOD *
bio_method(void)
{
	static BIO_METHOD *m;

	if (m != NULL)
		return m;
	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
	    "burrow tls_io socket");
	if (m == NULL)
		return NULL;
	if (BIO_meth_set_read(m, bio_read) != 1 || BIO_meth_set_write(m, bio_write) != 1 ||
	    BIO_meth_set_ctrl(m, bio_ctrl) != 1) {
		BIO_meth_free(m);
		m = NULL;
	}
	return m;
}

int
tls_io_init(struct tls_io *io, SSL *ssl, int fd)
{
	BIO_METHOD *m = bio_method();
	BIO *b;

	io->ssl = ssl;
	io->fd = fd;
	io->readable = io->writable = 1;
	io->more = 0;
	if (m == NULL || (b = BIO_new(m)) == NULL)
		return BURROW_ERR_NOMEM;
	BIO_set_data(b, io);
	BIO_set_init(b, 1);
	SSL_set_bio(ssl, b, b);
	/* A retried SSL_write gets the same bytes, but they may have moved
	 * (from the edge's scratch buffer into the queue); partial writes
	 * let a large buffer go out as the records that fit.  Released
	 * buffers: an idle connection holds no 17 KB record buffers. */
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_RELEASE_BUFFERS);
	/* With read-ahead OpenSSL reads whatever the socket holds, not a
	 * 5-byte header and then the body; tls_io_read drains what it
	 * buffered, so no record waits for a readiness that never comes. */
	SSL_set_read_ahead(ssl, 1);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	return BURROW_OK;
}

/* ---- the steps ---- */

/* Maps the result r of an SSL_* call to a status. */
static enum tls_io_status
status(SSL *ssl, int r)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_IO_EOF;
	case SSL_ERROR_SYSCALL:
		/* r == 0 with an empty queue: TCP EOF without close_notify
		 * (only without SSL_OP_IGNORE_UNEXPECTED_EOF). */
		if (ERR_peek_error() == 0 && errno == 0)
			return TLS_IO_EOF;
		return TLS_IO_ERROR;
	default:
		return TLS_IO_ERROR;
	}
}

enum tls_io_status
tls_io_handshake(struct tls_io *io)
{
	int r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(io->ssl)) == 1)
		return TLS_IO_OK;
	return status(io->ssl, r);
}

enum tls_io_status
tls_io_read(struct tls_io *io, unsigned char *buf, size_t len, size_t *got)
{
	size_t n;
	int r;

	*got = 0;
	while (*got < len) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_read_ex(io->ssl, buf + *got, len - *got, &n)) != 1)
			return status(io->ssl, r);
		*got += n;
		/* Nothing buffered, decoded or not, and the socket drained:
		 * stop here rather than spend a read(2) on EAGAIN. */
		if (!io->readable && !SSL_has_pending(io->ssl))
			return TLS_IO_WANT_READ;
	}
	return TLS_IO_OK;
}

/* One record of n bytes at p; more: others follow in this batch. */
static enum tls_io_status
write_record(struct tls_io *io, const void *p, size_t n, int more, size_t *done)
{
	int r;

	ERR_clear_error();
	errno = 0;
	io->more = more != 0;
	r = SSL_write_ex(io->ssl, p, n, done);
	io->more = 0;
	return r == 1 ? TLS_IO_OK : status(io->ssl, r);
}

enum tls_io_status
tls_io_write(struct tls_io *io, const unsigned char *p, size_t len, size_t *done)
{
	enum tls_io_status st;
	size_t n, w;

	*done = 0;
	while (*done < len) {
		n = len - *done > TLS_IO_RECORD ? TLS_IO_RECORD : len - *done;
		if ((st = write_record(io, p + *done, n, *done + n < len, &w)) != TLS_IO_OK)
			return st;
		*done += w;
	}
	return TLS_IO_OK;
}

enum tls_io_status
tls_io_write_buffer(struct tls_io *io, struct evbuffer *out)
{
	struct evbuffer_iovec v;
	enum tls_io_status st;
	size_t len, n;
	void *p;

	while ((len = evbuffer_get_length(out)) > 0) {
		/* Full records: a first chain shorter than a record is
		 * joined with what follows.  A blocked record is retried with
		 * the same bytes first and at least as many (SSL_write(3)). */
		n = len > TLS_IO_RECORD ? TLS_IO_RECORD : len;
		if (evbuffer_peek(out, -1, NULL, &v, 1) < 1)
			return TLS_IO_ERROR;
		if (v.iov_len >= n)
			p = v.iov_base;
		else if ((p = evbuffer_pullup(out, (ev_ssize_t)n)) == NULL)
			return TLS_IO_ERROR;
		if ((st = write_record(io, p, n, len > n, &n)) != TLS_IO_OK)
			return st;
		evbuffer_drain(out, n);
	}
	return TLS_IO_OK;
}

void
tls_io_shutdown(struct tls_io *io)
{
	ERR_clear_error();
	SSL_shutdown(io->ssl);
	ERR_clear_error();
}
