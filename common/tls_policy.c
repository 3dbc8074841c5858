/*
 * tls_policy.c: the TLS server policy (see tls_policy.h).
 */
#include "common/tls_policy.h"

/* TLS 1.2 suites in the server's order: forward secrecy and AEAD only
 * (RFC 5289, RFC 7905; no CBC, so nothing for Lucky13), AES-128-GCM first
 * (cheapest with AES-NI), ChaCha20 moved up for clients that prefer it
 * (SSL_OP_PRIORITIZE_CHACHA: phones without AES instructions).  TLS 1.3's
 * suites are all AEAD (RFC 8446 section 9.1): OpenSSL's defaults. */
static const char tls12_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char groups[] = "X25519:P-256:P-384";

SSL_CTX *
tls_policy_server_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	/* No renegotiation (a cheap CPU DoS); no compression (CRIME).  The
	 * server's order picks the suite and, in TLS 1.2, the curve: every
	 * suite offered is AEAD, so the order only matters for speed. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, groups) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
