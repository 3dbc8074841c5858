/*
 * tls_io.h: a small non-blocking TLS driver over an SSL* attached to a
 * non-blocking socket (SSL_set_fd).  It performs one step of the handshake,
 * reading or writing and says what the socket must become (readable or
 * writable) before the next step can progress; the caller owns the socket,
 * its events and its buffers.  conn.c uses it in place of libevent's
 * bufferevent_openssl, which reads every record in two calls (header, then
 * body) and cannot be used with read-ahead (it never looks at records that
 * OpenSSL has buffered but not decoded).
 */
#ifndef BURROW_TLS_IO_H
#define BURROW_TLS_IO_H

#include <stddef.h>

#include <event2/buffer.h>
#include <openssl/ssl.h>

/* The largest TLS plaintext record (RFC 8446 5.1). */
#define TLS_IO_RECORD 16384

enum tls_io_status {
	TLS_IO_OK,          /* done: handshake complete, output empty, buffer full */
	TLS_IO_WANT_READ,   /* blocked until the socket is readable */
	TLS_IO_WANT_WRITE,  /* blocked until the socket is writable */
	TLS_IO_EOF,         /* the peer ended its stream (close_notify or FIN) */
	TLS_IO_ERROR,       /* fatal; the OpenSSL error queue says why */
};

/* Sets the modes the driver relies on: read-ahead (one read(2) per record
 * or more), partial writes, retries from a moved buffer, and an EOF without
 * close_notify read as EOF (most HTTP clients close that way). */
void tls_io_setup(SSL *ssl);

/* One handshake step. */
enum tls_io_status tls_io_handshake(SSL *ssl);

/* Decrypts into buf (len bytes of room), *got bytes.  Returns WANT_READ
 * once OpenSSL holds no more buffered input (the socket may still hold
 * some: level-triggered readiness reports it), WANT_WRITE, OK when buf is
 * full (call again when there is room), EOF or ERROR (*got may be > 0 with
 * either: deliver those bytes first). */
enum tls_io_status tls_io_read(SSL *ssl, unsigned char *buf, size_t len, size_t *got);

/* Writes out as full records, draining what was sent, until out is empty
 * (OK) or the socket blocks (WANT_*).  ERROR: the peer is gone. */
enum tls_io_status tls_io_write(SSL *ssl, struct evbuffer *out);

/* Sends close_notify (RFC 8446 6.1), best effort: our half of the stream is
 * over; the peer may go on sending until its own close_notify. */
void tls_io_shutdown(SSL *ssl);

#endif
