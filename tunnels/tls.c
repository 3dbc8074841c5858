/*
 * tls.c: TLS for the edge.  Every listener shares one default SSL_CTX whose
 * client_hello callback reads the SNI, finds the tunnel and switches the
 * connection to its zone's SSL_CTX before OpenSSL picks a certificate.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "common/log.h"
#include "tunnels/edge.h"
#include "tunnels/sni.h"

static const unsigned char sid_ctx[] = "burrow-edge";

/* ALPN (RFC 7301): h2 tunnels offer h2 then http/1.1; tls tunnels carry
 * HTTP/1.1 (or anything without ALPN); token tunnels are read as HTTP/1.1
 * by the gate, so they never negotiate h2. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
            const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char h2[] = "\x02h2\x08http/1.1";
	static const unsigned char h1[] = "\x08http/1.1";
	struct edge_conn *c = SSL_get_app_data(ssl);
	const unsigned char *prefs = h1;
	unsigned int plen = sizeof(h1) - 1;
	unsigned char *sel;

	(void)arg;
	if (c != NULL && edge_conn_offer_h2(c)) {
		prefs = h2;
		plen = sizeof(h2) - 1;
	}
	if (SSL_select_next_proto(&sel, outlen, prefs, plen, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int
refuse(SSL *ssl, int *al, const char *host, const char *why)
{
	struct edge_conn *c = SSL_get_app_data(ssl);

	log_info("tls %s: SNI '%s' refused: %s", c != NULL ? edge_conn_peer(c) : "?", host, why);
	*al = SSL_AD_UNRECOGNIZED_NAME;
	return SSL_CLIENT_HELLO_ERROR;
}

static int
client_hello(SSL *ssl, int *al, void *arg)
{
	struct edge *e = arg;
	struct edge_conn *c = SSL_get_app_data(ssl);
	char host[NAMES_MAX + 1];
	const unsigned char *ext;
	struct edge_tunnel *t;
	size_t len;
	SSL_CTX *ctx;

	if (c == NULL)
		return refuse(ssl, al, "", "no connection");
	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len))
		return refuse(ssl, al, "", "no server_name");
	if (sni_parse(ext, len, host) != BURROW_OK)
		return refuse(ssl, al, "", "malformed server_name");
	t = edge_index_lookup_fresh(e, host);
	if (t == NULL || t->kind == STORE_TUNNEL_TCP)
		return refuse(ssl, al, host, "no such tunnel");
	if ((ctx = edge_index_zone_ctx(e, t->zone)) == NULL)
		return refuse(ssl, al, host, "zone has no certificate");
	if (edge_conn_bind(c, t) != BURROW_OK) {
		log_warn("tunnel %s: connection limit (%d) reached, %s refused", t->hostname,
		    e->cfg.max_conns_per_tunnel, edge_conn_peer(c));
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (SSL_set_SSL_CTX(ssl, ctx) == NULL) {
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

static SSL_CTX *
base_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	/* TLS 1.2 and 1.3 only; no renegotiation (a cheap CPU DoS). */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	return ctx;
}

SSL_CTX *
edge_tls_default_ctx(struct edge *e)
{
	SSL_CTX *ctx = base_ctx();

	if (ctx == NULL) {
		log_error("tls: SSL_CTX_new failed");
		return NULL;
	}
	SSL_CTX_set_client_hello_cb(ctx, client_hello, e);
	return ctx;
}

static void
log_ssl(const char *zone, const char *what)
{
	char buf[256];
	unsigned long err = ERR_get_error();

	ERR_error_string_n(err, buf, sizeof(buf));
	log_error("zone %s: %s: %s", zone, what, err != 0 ? buf : "unknown error");
	ERR_clear_error();
}

SSL_CTX *
edge_tls_zone_ctx(struct edge *e, const char *zone, const char *chain_pem, const char *key_pem)
{
	SSL_CTX *ctx = NULL, *ret = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;

	(void)e;
	if ((ctx = base_ctx()) == NULL) {
		log_ssl(zone, "SSL_CTX_new");
		goto out;
	}
	if ((bio = BIO_new_mem_buf(chain_pem, -1)) == NULL)
		goto out;
	if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		log_ssl(zone, "no certificate in chain");
		goto out;
	}
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		log_ssl(zone, "certificate refused");
		goto out;
	}
	X509_free(x);
	/* The rest of the chain, intermediates in order. */
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			log_ssl(zone, "chain certificate refused");
			goto out;
		}
		x = NULL;
	}
	ERR_clear_error();   /* the loop ends on "no start line" */
	BIO_free(bio);
	if ((bio = BIO_new_mem_buf(key_pem, -1)) == NULL)
		goto out;
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		log_ssl(zone, "private key unreadable");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		log_ssl(zone, "key does not match certificate");
		goto out;
	}
	ret = ctx;
	ctx = NULL;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	BIO_free(bio);
	SSL_CTX_free(ctx);
	return ret;
}
