/*
 * tls.c: TLS for the edge.  Every listener shares one default SSL_CTX whose
 * client_hello callback reads the SNI, finds the tunnel and switches the
 * connection to its zone's SSL_CTX before OpenSSL picks a certificate.
 *
 * Policy (one base_ctx() for the default and every zone context, because
 * after SSL_set_SSL_CTX OpenSSL reads some settings from the connection's
 * copy of the default context and others from the zone context): Mozilla's
 * "intermediate" profile without DHE: TLS 1.2 and 1.3 only, AEAD suites
 * only (TLS 1.2: ECDHE-ECDSA/RSA with AES-GCM or ChaCha20-Poly1305; the
 * TLS 1.3 defaults), X25519 then P-256 then P-384, no renegotiation, no
 * compression.
 *
 * Session resumption is by ticket only (no server-side session cache):
 * the keys are random, in memory, and rotate every TICKET_ROTATE_S.  Two
 * OpenSSL rules shape the code (ssl/t1_lib.c tls_decrypt_ticket,
 * ssl/statem/statem_srvr.c, ssl/ssl_sess.c ssl_get_prev_session, 3.0):
 *   - tickets are sealed and opened by the connection's session_ctx, which
 *     is the context SSL_new had (the default one), never the zone context
 *     SSL_set_SSL_CTX switched to: the ticket callback, the session
 *     timeout and the cache mode are set on the default context;
 *   - a decrypted session resumes only if its session id context equals
 *     the connection's.  OpenSSL does not compare the SNI with the
 *     session's (TLS 1.2 only notes the mismatch, TLS 1.3 keeps no SNI in
 *     the session), so the session id context is what keeps a ticket from
 *     one zone off another zone's tunnels: each zone context gets its own,
 *     a digest of the zone and its certificate, and SSL_set_SSL_CTX hands
 *     it to the connection (it inherits the new context's id when the
 *     connection still had the old context's).
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "common/log.h"
#include "common/tls_policy.h"
#include "tunnels/conn.h"
#include "tunnels/sni.h"

/* The default context's id; zone contexts have their own (zone_sid_ctx). */
static const unsigned char sid_ctx[] = "burrow-edge";


/* A new encryption key every hour; the TICKET_KEYS - 1 before it still
 * decrypt.  The session timeout (the ticket lifetime hint, and what OpenSSL
 * checks on resumption) is what the oldest key has left, so every ticket
 * can be opened for all of its lifetime and none for longer than
 * TICKET_KEYS * TICKET_ROTATE_S after it was issued. */
#define TICKET_ROTATE_S 3600
#define TICKET_KEYS 3
#define TICKET_LIFETIME_S ((TICKET_KEYS - 1) * TICKET_ROTATE_S)
#define TICKET_NAME_LEN 16   /* key_name[16] of the ticket key callback */
#define TICKET_AES_LEN 32    /* AES-256-CBC, as OpenSSL's own tickets */
#define TICKET_HMAC_LEN 32   /* HMAC-SHA256 over the encrypted ticket */

struct ticket_key {
	unsigned char name[TICKET_NAME_LEN];
	unsigned char aes[TICKET_AES_LEN];
	unsigned char hmac[TICKET_HMAC_LEN];
	int live;
};

struct edge_tls {
	struct ticket_key keys[TICKET_KEYS];   /* [0] seals, all open */
	EVP_CIPHER *aes;                       /* fetched once, not per ticket */
	OSSL_PARAM mac_params[2];
	struct event *rotate_ev;
};

/* SSL_CTX ex_data slot holding the struct edge_tls on every context. */
static int tls_ex_index = -1;

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
refuse(SSL *ssl, int *al, const char *host, enum edge_sni_refusal r, const char *why)
{
	struct edge_conn *c = SSL_get_app_data(ssl);

	if (c != NULL) {
		metrics_add(&c->edge->stats.sni_refused[r], 1);
		conn_set_result(c, EDGE_RESULT_UNKNOWN_SNI);
	}
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
		return refuse(ssl, al, "", EDGE_SNI_MISSING, "no connection");
	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len))
		return refuse(ssl, al, "", EDGE_SNI_MISSING, "no server_name");
	if (sni_parse(ext, len, host) != BURROW_OK)
		return refuse(ssl, al, "", EDGE_SNI_MALFORMED, "malformed server_name");
	t = edge_index_lookup_fresh(e, host);
	if (t == NULL || t->kind == STORE_TUNNEL_TCP)
		return refuse(ssl, al, host, EDGE_SNI_NO_TUNNEL, "no such tunnel");
	if ((ctx = edge_index_zone_ctx(e, t->zone)) == NULL)
		return refuse(ssl, al, host, EDGE_SNI_NO_CERTIFICATE,
		    "zone has no certificate");
	if (edge_conn_bind(c, t) != BURROW_OK) {
		log_warn("tunnel %s: connection limit (%d) reached, %s refused", t->hostname,
		    e->cfg.max_conns_per_tunnel, edge_conn_peer(c));
		conn_set_result(c, EDGE_RESULT_LIMIT);
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
	SSL_CTX *ctx = tls_policy_server_ctx();

	if (ctx == NULL)
		return NULL;
	/* Tickets only: a server-side cache would keep sessions past the
	 * ticket keys' rotation, and flushes it on every 255th handshake. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_timeout(ctx, TICKET_LIFETIME_S);
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
		ERR_clear_error();
		return NULL;
	}
	SSL_CTX_set_client_hello_cb(ctx, client_hello, e);
	return ctx;
}

/* Fills k with a new key; 0 if the RNG failed (k is then cleansed). */
static int
ticket_key_new(struct ticket_key *k)
{
	k->live = RAND_bytes(k->name, sizeof(k->name)) == 1 &&
	    RAND_priv_bytes(k->aes, sizeof(k->aes)) == 1 &&
	    RAND_priv_bytes(k->hmac, sizeof(k->hmac)) == 1;
	if (!k->live)
		OPENSSL_cleanse(k, sizeof(*k));
	return k->live;
}

/* Drops the oldest key, shifts the others down and puts a new one first.
 * Without a new key (RNG failure) no ticket is issued until the next
 * rotation; the older keys still open theirs. */
static void
tickets_rotate(struct edge_tls *t)
{
	struct ticket_key fresh;

	ticket_key_new(&fresh);
	OPENSSL_cleanse(&t->keys[TICKET_KEYS - 1], sizeof(t->keys[0]));
	memmove(&t->keys[1], &t->keys[0], (TICKET_KEYS - 1) * sizeof(t->keys[0]));
	memcpy(&t->keys[0], &fresh, sizeof(fresh));
	OPENSSL_cleanse(&fresh, sizeof(fresh));
	if (!t->keys[0].live) {
		log_error("tls: no new session ticket key (RNG failure): no tickets for %d s",
		    TICKET_ROTATE_S);
		ERR_clear_error();
	}
}

/* The key named name, or NULL (unknown or rotated out).  *current: it is
 * the one that seals new tickets. */
static const struct ticket_key *
tickets_find(const struct edge_tls *t, const unsigned char *name, int *current)
{
	int i;

	for (i = 0; i < TICKET_KEYS; i++) {
		if (t->keys[i].live &&
		    CRYPTO_memcmp(t->keys[i].name, name, TICKET_NAME_LEN) == 0) {
			*current = i == 0;
			return &t->keys[i];
		}
	}
	return NULL;
}

/* The ticket key callback's work (SSL_CTX_set_tlsext_ticket_key_evp_cb(3)):
 * enc: name the current key, draw an IV, key both contexts; 1, or 0 for no
 * ticket.  !enc: find the key by name; 1, 2 (valid but sealed by an older
 * key: OpenSSL issues a fresh ticket), or 0 (unknown: full handshake). */
static int
tickets_crypt(struct edge_tls *t, unsigned char *name, unsigned char *iv,
              EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	const struct ticket_key *k;
	int current = 1;

	if (t == NULL)
		return 0;
	if (enc) {
		k = &t->keys[0];
		if (!k->live)
			return 0;
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(t->aes)) != 1)
			return -1;
		memcpy(name, k->name, TICKET_NAME_LEN);
		if (EVP_EncryptInit_ex2(cctx, t->aes, k->aes, iv, NULL) != 1)
			return -1;
	} else {
		if ((k = tickets_find(t, name, &current)) == NULL)
			return 0;
		if (EVP_DecryptInit_ex2(cctx, t->aes, k->aes, iv, NULL) != 1)
			return -1;
	}
	if (EVP_MAC_init(hctx, k->hmac, sizeof(k->hmac), t->mac_params) != 1)
		return -1;
	return current ? 1 : 2;
}

/* Runs on the connection's zone context (tickets are sealed and opened
 * after client_hello switched to it); every context carries the keys.
 * A TLS 1.3 resumption always asks for a fresh ticket (2): clients use a
 * TLS 1.3 ticket once (RFC 8446 C.4), so without one a client that
 * reconnects, as wrk and OpenSSL's s_client -reconnect do, alternates full
 * and resumed handshakes. */
static int
ticket_cb(SSL *ssl, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *cctx,
          EVP_MAC_CTX *hctx, int enc)
{
	int rc = tickets_crypt(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ex_index), name,
	    iv, cctx, hctx, enc);

	if (!enc && rc == 1 && SSL_version(ssl) == TLS1_3_VERSION)
		rc = 2;
	return rc;
}

static void
rotate_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tickets_rotate(arg);
	log_debug("tls: session ticket keys rotated");
}

static void
tickets_free(struct edge_tls *t)
{
	if (t == NULL)
		return;
	if (t->rotate_ev != NULL)
		event_free(t->rotate_ev);
	EVP_CIPHER_free(t->aes);
	OPENSSL_secure_clear_free(t, sizeof(*t));
}

/* Keys (cleansed on free), cipher and timer; NULL on failure. */
static struct edge_tls *
tickets_new(struct event_base *base)
{
	struct edge_tls *t = OPENSSL_secure_zalloc(sizeof(*t));
	struct timeval tv = { TICKET_ROTATE_S, 0 };

	if (t == NULL)
		return NULL;
	t->mac_params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	t->mac_params[1] = OSSL_PARAM_construct_end();
	if ((t->aes = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL)) == NULL ||
	    !ticket_key_new(&t->keys[0]) ||
	    (base != NULL && ((t->rotate_ev = event_new(base, -1, EV_PERSIST, rotate_cb, t)) == NULL ||
	    event_add(t->rotate_ev, &tv) != 0))) {
		tickets_free(t);
		return NULL;
	}
	return t;
}

int
edge_tls_start(struct edge *e)
{
	if (tls_ex_index < 0 &&
	    (tls_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL)) < 0)
		goto fail;
	if ((e->tickets = tickets_new(e->base)) == NULL)
		goto fail;
	if (SSL_CTX_set_ex_data(e->default_ctx, tls_ex_index, e->tickets) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(e->default_ctx, ticket_cb) != 1)
		goto fail;
	return BURROW_OK;
fail:
	log_error("tls: session tickets could not be set up");
	ERR_clear_error();
	edge_tls_stop(e);
	return BURROW_ERR_CRYPTO;
}

void
edge_tls_stop(struct edge *e)
{
	if (e->default_ctx != NULL && tls_ex_index >= 0)
		SSL_CTX_set_ex_data(e->default_ctx, tls_ex_index, NULL);
	tickets_free(e->tickets);
	e->tickets = NULL;
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

/* Sets ctx's session id context to SHA-256(zone, 0, SHA-256(leaf DER)):
 * a session resumes only on the zone and certificate it was made with, so
 * a renewed certificate starts new sessions too.  0 on failure. */
static int
zone_sid_ctx(SSL_CTX *ctx, const char *zone, X509 *leaf)
{
	unsigned char cert_md[EVP_MAX_MD_SIZE], md[EVP_MAX_MD_SIZE];
	unsigned int cert_len = 0, len = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	ok = m != NULL && X509_digest(leaf, EVP_sha256(), cert_md, &cert_len) == 1 &&
	    EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(m, zone, strlen(zone) + 1) == 1 &&
	    EVP_DigestUpdate(m, cert_md, cert_len) == 1 &&
	    EVP_DigestFinal_ex(m, md, &len) == 1 && len <= SSL_MAX_SID_CTX_LENGTH &&
	    SSL_CTX_set_session_id_context(ctx, md, len) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

SSL_CTX *
edge_tls_zone_ctx(struct edge *e, const char *zone, const char *chain_pem, const char *key_pem)
{
	SSL_CTX *ctx = NULL, *ret = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;

	if ((ctx = base_ctx()) == NULL) {
		log_ssl(zone, "SSL_CTX_new");
		goto out;
	}
	/* The ticket keys, for ticket_cb (NULL before edge_tls_start). */
	if (tls_ex_index >= 0 && SSL_CTX_set_ex_data(ctx, tls_ex_index, e->tickets) != 1) {
		log_ssl(zone, "SSL_CTX_set_ex_data");
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
	if (!zone_sid_ctx(ctx, zone, x)) {
		log_ssl(zone, "session id context");
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
