/*
 * tls_policy.h: the one TLS server policy of every Burrow listener (the
 * edge's tunnels, the exit agent's API): Mozilla's "intermediate" profile.
 */
#ifndef BURROW_TLS_POLICY_H
#define BURROW_TLS_POLICY_H

#include <openssl/ssl.h>

/* A new server context with the policy applied: TLS 1.2 and 1.3 only, ECDHE
 * with AEAD suites only, X25519 then P-256 then P-384, the server's order,
 * no renegotiation, no compression.  NULL on failure (OpenSSL's error queue
 * says why); the caller frees it with SSL_CTX_free. */
SSL_CTX *tls_policy_server_ctx(void);

#endif
