/*
 * test_edge_tickets.c: the edge's session tickets (tunnels/tls.c) with
 * real OpenSSL handshakes in memory: the way burrow-edge routes (a default
 * context whose client_hello callback switches to a zone context), tickets
 * sealed with the current key, still opened after one and two rotations,
 * refused after three; a ticket of one zone does not resume on another
 * zone's context; a dropped key is cleansed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* The statics under test (tickets_*, base_ctx, zone_sid_ctx, ticket_cb). */
#include "tunnels/tls.c"

struct world {
	struct edge_tls *t;
	SSL_CTX *def, *zone_a, *zone_b, *client;
	X509 *cert;
};

static struct world w;

/* A zone context (the edge's policy) with a self-signed P-256 certificate
 * for name, made in memory, and the ticket keys. */
static SSL_CTX *
zone(const char *name)
{
	SSL_CTX *ctx = base_ctx();
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
	    (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	assert_true(zone_sid_ctx(ctx, name, x));
	assert_int_equal(SSL_CTX_set_ex_data(ctx, tls_ex_index, w.t), 1);
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
}

/* As client_hello in tls.c: switch to the zone context (here the one the
 * test put in app data) before OpenSSL looks at the session. */
static int
switch_ctx(SSL *ssl, int *al, void *arg)
{
	(void)al;
	(void)arg;
	return SSL_set_SSL_CTX(ssl, SSL_get_app_data(ssl)) != NULL ? SSL_CLIENT_HELLO_SUCCESS :
	    SSL_CLIENT_HELLO_ERROR;
}

static int
setup(void **state)
{
	(void)state;
	memset(&w, 0, sizeof(w));
	tls_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	assert_true(tls_ex_index >= 0);
	assert_non_null(w.t = tickets_new(NULL));
	assert_non_null(w.def = base_ctx());
	SSL_CTX_set_client_hello_cb(w.def, switch_ctx, NULL);
	assert_int_equal(SSL_CTX_set_ex_data(w.def, tls_ex_index, w.t), 1);
	assert_int_equal(SSL_CTX_set_tlsext_ticket_key_evp_cb(w.def, ticket_cb), 1);
	w.zone_a = zone("a.test");
	w.zone_b = zone("b.test");
	assert_non_null(w.client = SSL_CTX_new(TLS_client_method()));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	SSL_CTX_free(w.def);
	SSL_CTX_free(w.zone_a);
	SSL_CTX_free(w.zone_b);
	SSL_CTX_free(w.client);
	tickets_free(w.t);
	return 0;
}

/* One handshake to zone (through the default context), offering a copy of
 * sess (an OpenSSL client marks a session it used or replaced unresumable);
 * returns the client's new session (caller frees), *reused set. */
static SSL_SESSION *
handshake(SSL_CTX *zone_ctx, int version, SSL_SESSION *sess, int *reused)
{
	SSL *s = SSL_new(w.def), *c = SSL_new(w.client);
	BIO *sb, *cb;
	SSL_SESSION *out, *offer = NULL;
	unsigned char byte;
	int i, sdone = 0, cdone = 0;

	assert_non_null(s);
	assert_non_null(c);
	assert_int_equal(BIO_new_bio_pair(&sb, 0, &cb, 0), 1);
	SSL_set_bio(s, sb, sb);
	SSL_set_bio(c, cb, cb);
	SSL_set_app_data(s, zone_ctx);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	SSL_set_min_proto_version(c, version);
	SSL_set_max_proto_version(c, version);
	if (sess != NULL) {
		assert_non_null(offer = SSL_SESSION_dup(sess));
		assert_int_equal(SSL_set_session(c, offer), 1);
	}
	for (i = 0; i < 100 && !(sdone && cdone); i++) {
		if (!cdone)
			cdone = SSL_do_handshake(c) == 1;
		if (!sdone)
			sdone = SSL_do_handshake(s) == 1;
	}
	assert_true(sdone && cdone);
	/* TLS 1.3 tickets come after the handshake: let the client read them. */
	assert_true(SSL_read(c, &byte, 1) <= 0);
	*reused = SSL_session_reused(s);
	assert_int_equal(SSL_session_reused(c), *reused);
	assert_non_null(out = SSL_get1_session(c));
	/* A connection freed without a shutdown marks its session unresumable. */
	SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_set_shutdown(s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(s);
	SSL_free(c);
	SSL_SESSION_free(offer);
	ERR_clear_error();
	return out;
}

static void
test_rotation(void **state, int version)
{
	SSL_SESSION *first, *next;
	int reused, i;

	(void)state;
	first = handshake(w.zone_a, version, NULL, &reused);
	assert_false(reused);
	assert_true(SSL_SESSION_has_ticket(first));
	assert_int_equal(SSL_SESSION_get_ticket_lifetime_hint(first), TICKET_LIFETIME_S);
	/* The key that sealed first opens it as the current key and after one
	 * and two rotations (TICKET_KEYS - 1), not after the third. */
	for (i = 0; i < TICKET_KEYS; i++) {
		next = handshake(w.zone_a, version, first, &reused);
		if (!reused)
			fail_msg("not resumed after %d rotations", i);
		SSL_SESSION_free(next);
		tickets_rotate(w.t);
	}
	next = handshake(w.zone_a, version, first, &reused);
	assert_false(reused);   /* its key is gone */
	SSL_SESSION_free(next);
	SSL_SESSION_free(first);
}

static void
test_rotation_tls12(void **state)
{
	test_rotation(state, TLS1_2_VERSION);
}

static void
test_rotation_tls13(void **state)
{
	test_rotation(state, TLS1_3_VERSION);
}

static void
test_other_zone(void **state)
{
	SSL_SESSION *a, *next;
	int reused, v;

	(void)state;
	for (v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		a = handshake(w.zone_a, v, NULL, &reused);
		next = handshake(w.zone_b, v, a, &reused);
		assert_false(reused);
		SSL_SESSION_free(next);
		next = handshake(w.zone_a, v, a, &reused);
		assert_true(reused);
		SSL_SESSION_free(next);
		SSL_SESSION_free(a);
	}
}

static void
test_keys(void **state)
{
	struct ticket_key old = w.t->keys[0];
	unsigned char name[TICKET_NAME_LEN];
	int current = -1, i, j;

	(void)state;
	assert_true(old.live);
	assert_ptr_equal(tickets_find(w.t, old.name, &current), &w.t->keys[0]);
	assert_true(current);
	tickets_rotate(w.t);
	assert_ptr_equal(tickets_find(w.t, old.name, &current), &w.t->keys[1]);
	assert_false(current);
	for (i = 1; i < TICKET_KEYS; i++)
		tickets_rotate(w.t);
	assert_null(tickets_find(w.t, old.name, &current));
	/* Nothing of the dropped key is left in the ring. */
	for (i = 0; i < TICKET_KEYS; i++) {
		assert_true(w.t->keys[i].live);
		assert_memory_not_equal(w.t->keys[i].aes, old.aes, sizeof(old.aes));
		assert_memory_not_equal(w.t->keys[i].hmac, old.hmac, sizeof(old.hmac));
		for (j = 0; j < i; j++)
			assert_memory_not_equal(w.t->keys[i].name, w.t->keys[j].name, TICKET_NAME_LEN);
	}
	memset(name, 0, sizeof(name));
	assert_null(tickets_find(w.t, name, &current));
	OPENSSL_cleanse(&old, sizeof(old));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rotation_tls12, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_tls13, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
