/*
 * test_edge_tls_io.c: the edge's non-blocking TLS driver over a real
 * socketpair, against an OpenSSL client: several records arriving at once
 * all come out of one tls_io_read (read-ahead must not strand a record in
 * OpenSSL's buffer), large writes go out whole, a record blocked in a
 * write from one buffer goes out from another (the edge's write-through),
 * the readiness flags follow what the socket did, both EOF kinds are EOF.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tunnels/tls_io.h"

struct pair {
	SSL_CTX *sctx, *cctx;
	SSL *server, *client;
	struct tls_io io;   /* the server's driver */
	int fd[2];
};

/* A self-signed P-256 certificate, made in memory. */
static SSL_CTX *
server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	assert_non_null(ctx);
	assert_non_null(key);
	assert_non_null(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"tls-io.test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

/* Runs both handshakes, one step each in turn, until both are done. */
static void
pair_open(struct pair *p)
{
	int sdone = 0, cdone = 0, i, r;

	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd), 0);
	for (i = 0; i < 2; i++)
		fcntl(p->fd[i], F_SETFL, fcntl(p->fd[i], F_GETFL) | O_NONBLOCK);
	p->sctx = server_ctx();
	p->cctx = SSL_CTX_new(TLS_client_method());
	p->server = SSL_new(p->sctx);
	p->client = SSL_new(p->cctx);
	assert_int_equal(tls_io_init(&p->io, p->server, p->fd[0]), 0);
	SSL_set_fd(p->client, p->fd[1]);
	SSL_set_accept_state(p->server);
	SSL_set_connect_state(p->client);
	for (i = 0; i < 100 && !(sdone && cdone); i++) {
		if (!cdone) {
			ERR_clear_error();
			r = SSL_do_handshake(p->client);
			cdone = r == 1;
			if (!cdone)
				assert_int_equal(SSL_get_error(p->client, r), SSL_ERROR_WANT_READ);
		}
		if (!sdone) {
			enum tls_io_status st = tls_io_handshake(&p->io);
			sdone = st == TLS_IO_OK;
			if (!sdone)
				assert_int_equal(st, TLS_IO_WANT_READ);
		}
	}
	assert_true(sdone && cdone);
}

static void
pair_close(struct pair *p)
{
	SSL_free(p->server);
	SSL_free(p->client);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
	if (p->fd[0] >= 0)
		close(p->fd[0]);
	if (p->fd[1] >= 0)
		close(p->fd[1]);
}

/* The client's bytes, drained from its socket as far as they go. */
static size_t
client_read_all(struct pair *p, unsigned char *buf, size_t len)
{
	size_t got = 0, n;

	while (got < len && SSL_read_ex(p->client, buf + got, len - got, &n) == 1)
		got += n;
	ERR_clear_error();
	return got;
}

static void
test_records_at_once(void **state)
{
	unsigned char buf[64], peek;
	struct pair p;
	size_t got = 0, more;
	enum tls_io_status st;

	(void)state;
	pair_open(&p);
	/* Three records in the socket before the server looks: one
	 * read(2) with read-ahead takes them all into OpenSSL's buffer. */
	assert_int_equal(SSL_write(p.client, "GET ", 4), 4);
	assert_int_equal(SSL_write(p.client, "/ HTTP/1.1\r\n", 12), 12);
	assert_int_equal(SSL_write(p.client, "\r\n", 2), 2);
	do {
		st = tls_io_read(&p.io, buf + got, sizeof(buf) - got, &more);
		got += more;
	} while (st == TLS_IO_OK);
	assert_int_equal(st, TLS_IO_WANT_READ);
	assert_false(p.io.readable);
	assert_int_equal(got, 18);
	assert_memory_equal(buf, "GET / HTTP/1.1\r\n\r\n", 18);
	/* Nothing left anywhere: not in the socket, not in OpenSSL. */
	assert_int_equal(recv(p.fd[0], &peek, 1, MSG_PEEK), -1);
	assert_false(SSL_has_pending(p.server));
	pair_close(&p);
}

static void
test_small_room(void **state)
{
	unsigned char buf[4];
	struct pair p;
	size_t got;

	(void)state;
	pair_open(&p);
	assert_int_equal(SSL_write(p.client, "abcdef", 6), 6);
	/* A full buffer is OK (come back with room), the rest follows. */
	assert_int_equal(tls_io_read(&p.io, buf, 4, &got), TLS_IO_OK);
	assert_int_equal(got, 4);
	assert_true(SSL_has_pending(p.server));
	assert_int_equal(tls_io_read(&p.io, buf, 4, &got), TLS_IO_WANT_READ);
	assert_int_equal(got, 2);
	assert_memory_equal(buf, "ef", 2);
	pair_close(&p);
}

static void
test_write_large(void **state)
{
	static unsigned char big[200000], back[200000];
	struct evbuffer *out = evbuffer_new();
	struct pair p;
	size_t i, got = 0;
	enum tls_io_status st;

	(void)state;
	pair_open(&p);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	/* In pieces shorter than a record: written as full records. */
	for (i = 0; i < sizeof(big); i += 1000)
		evbuffer_add(out, big + i, 1000);
	while ((st = tls_io_write_buffer(&p.io, out)) == TLS_IO_WANT_WRITE)
		got += client_read_all(&p, back + got, sizeof(back) - got);
	assert_int_equal(st, TLS_IO_OK);
	assert_int_equal(evbuffer_get_length(out), 0);
	got += client_read_all(&p, back + got, sizeof(back) - got);
	assert_int_equal(got, sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	evbuffer_free(out);
	pair_close(&p);
}

/* The edge writes a read of the target straight from its scratch buffer;
 * what the socket does not take, the blocked record first, moves to the
 * queue and is retried from there. */
static void
test_write_through_then_queue(void **state)
{
	static unsigned char big[300000], back[300000];
	struct evbuffer *out = evbuffer_new();
	struct pair p;
	size_t i, done, got = 0;
	enum tls_io_status st;

	(void)state;
	pair_open(&p);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 13 + 1);
	st = tls_io_write(&p.io, big, sizeof(big), &done);
	/* More than a socketpair holds: blocked, and the flag says so. */
	assert_int_equal(st, TLS_IO_WANT_WRITE);
	assert_false(p.io.writable);
	assert_true(done < sizeof(big));
	evbuffer_add(out, big + done, sizeof(big) - done);
	memset(big, 0, sizeof(big));   /* the first copy is gone */
	p.io.writable = 1;
	while ((st = tls_io_write_buffer(&p.io, out)) == TLS_IO_WANT_WRITE) {
		got += client_read_all(&p, back + got, sizeof(back) - got);
		p.io.writable = 1;
	}
	assert_int_equal(st, TLS_IO_OK);
	got += client_read_all(&p, back + got, sizeof(back) - got);
	assert_int_equal(got, sizeof(back));
	for (i = 0; i < sizeof(back); i++)
		if (back[i] != (unsigned char)(i * 13 + 1))
			fail_msg("byte %zu differs", i);
	evbuffer_free(out);
	pair_close(&p);
}

static void
test_eof(void **state)
{
	unsigned char buf[16];
	struct pair p;
	size_t got;

	(void)state;
	/* close_notify after data: the data, then EOF. */
	pair_open(&p);
	assert_int_equal(SSL_write(p.client, "bye", 3), 3);
	SSL_shutdown(p.client);
	/* Both records came in one read(2): the data and the EOF at once. */
	assert_int_equal(tls_io_read(&p.io, buf, sizeof(buf), &got), TLS_IO_EOF);
	assert_int_equal(got, 3);
	assert_memory_equal(buf, "bye", 3);
	/* Our close_notify may still go out: half-close. */
	tls_io_shutdown(&p.io);
	pair_close(&p);

	/* A TCP close without close_notify is an EOF too, not an error. */
	pair_open(&p);
	/* The session tickets first: a socket closed with unread bytes
	 * resets the connection instead (ECONNRESET, an error). */
	client_read_all(&p, buf, sizeof(buf));
	close(p.fd[1]);
	p.fd[1] = -1;
	assert_int_equal(tls_io_read(&p.io, buf, sizeof(buf), &got), TLS_IO_EOF);
	pair_close(&p);
}

static void
test_write_to_closed_peer(void **state)
{
	struct evbuffer *out = evbuffer_new();
	struct pair p;
	enum tls_io_status st;

	(void)state;
	pair_open(&p);
	close(p.fd[1]);
	p.fd[1] = -1;
	evbuffer_add(out, "x", 1);
	/* EPIPE is an error to close on, never a wait (it would spin). */
	st = tls_io_write_buffer(&p.io, out);
	assert_int_equal(st, TLS_IO_ERROR);
	evbuffer_free(out);
	pair_close(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_at_once),
		cmocka_unit_test(test_small_room),
		cmocka_unit_test(test_write_large),
		cmocka_unit_test(test_write_through_then_queue),
		cmocka_unit_test(test_eof),
		cmocka_unit_test(test_write_to_closed_peer),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
