/*
 * tls_io.h: a small non-blocking TLS driver over an SSL* on a non-blocking
 * socket, for edge-triggered readiness.  It performs one step of the
 * handshake, reading or writing, and keeps in struct tls_io what the socket
 * is known to be: readable until a read came back short (or EAGAIN),
 * writable until a write did.  The caller owns the socket, its events and
 * its buffers; on a readiness event it sets the flag again, and sets fin
 * once the event says the peer has closed (EV_CLOSED), or once it has shut
 * its own side of the socket (then the peer's FIN is reported as a hang-up,
 * which libevent passes on as plain EV_READ|EV_WRITE): the data before a
 * FIN comes back short, and the EOF only from the read after it, with no
 * edge in between.
 *
 * The SSL talks to the socket through the driver's own BIO: recv/send with
 * MSG_NOSIGNAL, and MSG_MORE on every record of a batch but the last, so a
 * run of 16 KB records leaves as full TCP segments (TCP_NODELAY is on, and
 * nothing is held back once the batch ends).  conn.c uses it in place of
 * libevent's bufferevent_openssl, which reads every record in two calls
 * (header, then body) and cannot be used with read-ahead.
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
	TLS_IO_ERROR,       /* fatal; the OpenSSL error queue or errno says why */
};

/* The driver's state for one connection, owned by the caller (it must
 * outlive the SSL). */
struct tls_io {
	SSL *ssl;
	int fd;
	unsigned readable : 1;   /* no read has come back short since the last event */
	unsigned writable : 1;   /* no write has blocked since the last event */
	unsigned fin : 1;        /* a FIN may be in: a short read is not the end */
	unsigned more : 1;       /* the record being written is not the batch's last */
};

/* Attaches ssl to the non-blocking socket fd through the driver's BIO and
 * sets the modes it relies on: read-ahead (one read(2) per record or more),
 * partial writes, retries from a moved buffer, record buffers released
 * while idle, and an EOF without close_notify read as EOF (most HTTP
 * clients close that way).  io starts readable and writable.  BURROW_OK or
 * BURROW_ERR_NOMEM; ssl keeps the BIO (SSL_free frees it). */
int tls_io_init(struct tls_io *io, SSL *ssl, int fd);

/* One handshake step. */
enum tls_io_status tls_io_handshake(struct tls_io *io);

/* Decrypts into buf (len bytes of room), *got bytes.  Returns WANT_READ
 * once OpenSSL holds no more input and the socket is drained (io->readable
 * is 0), WANT_WRITE, OK when buf is full (call again when there is room:
 * more may be buffered), EOF or ERROR (*got may be > 0 with either:
 * deliver those bytes first). */
enum tls_io_status tls_io_read(struct tls_io *io, unsigned char *buf, size_t len, size_t *got);

/* Writes len bytes of p as records of up to TLS_IO_RECORD, *done of them
 * sent, until all are (OK) or the socket blocks (WANT_*: the bytes from
 * p + *done on must be offered again, unchanged and at least a record's
 * worth or all of them, by this call or tls_io_write_buffer).  Every
 * record but the last goes with MSG_MORE.  ERROR: the peer is gone. */
enum tls_io_status tls_io_write(struct tls_io *io, const unsigned char *p, size_t len,
                                size_t *done);

/* The same for the bytes queued in out, drained as they are sent: full
 * records (a first chain shorter than a record is joined with what
 * follows). */
enum tls_io_status tls_io_write_buffer(struct tls_io *io, struct evbuffer *out);

/* Sends close_notify (RFC 8446 6.1), best effort: our half of the stream is
 * over; the peer may go on sending until its own close_notify. */
void tls_io_shutdown(struct tls_io *io);

#endif
