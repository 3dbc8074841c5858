/*
 * tls_io.c: the non-blocking TLS driver (see tls_io.h).  Every SSL_* call
 * is preceded by ERR_clear_error(): SSL_get_error() reads the thread's
 * error queue, and a stale entry would turn a WANT_READ into a failure.
 */
#include <errno.h>

#include <openssl/err.h>

#include "tunnels/tls_io.h"

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

void
tls_io_setup(SSL *ssl)
{
	/* A retried SSL_write gets the same bytes, but evbuffer_pullup may
	 * have moved them; partial writes let a large buffer go out as the
	 * records that fit instead of all or nothing. */
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* With read-ahead OpenSSL reads whatever the socket holds, not a
	 * 5-byte header and then the body; tls_io_read drains what it
	 * buffered, so no record waits for a readiness that never comes. */
	SSL_set_read_ahead(ssl, 1);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
}

enum tls_io_status
tls_io_handshake(SSL *ssl)
{
	int r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(ssl)) == 1)
		return TLS_IO_OK;
	return status(ssl, r);
}

enum tls_io_status
tls_io_read(SSL *ssl, unsigned char *buf, size_t len, size_t *got)
{
	size_t n;
	int r;

	*got = 0;
	while (*got < len) {
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_read_ex(ssl, buf + *got, len - *got, &n)) != 1)
			return status(ssl, r);
		*got += n;
		/* Nothing buffered, decoded or not: stop here rather than
		 * spend a read(2) on EAGAIN.  The socket's readiness (level-
		 * triggered) reports anything that is still in it. */
		if (!SSL_has_pending(ssl))
			return TLS_IO_WANT_READ;
	}
	return TLS_IO_OK;
}

enum tls_io_status
tls_io_write(SSL *ssl, struct evbuffer *out)
{
	struct evbuffer_iovec v;
	size_t len, n;
	void *p;
	int r;

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
		ERR_clear_error();
		errno = 0;
		if ((r = SSL_write_ex(ssl, p, n, &n)) != 1)
			return status(ssl, r);
		evbuffer_drain(out, n);
	}
	return TLS_IO_OK;
}

void
tls_io_shutdown(SSL *ssl)
{
	ERR_clear_error();
	SSL_shutdown(ssl);
	ERR_clear_error();
}
