/*
 * exit_tls.h: the TLS server context of the exit agent's HTTP API.
 *
 * The API carries long-lived workspace bearer tokens, so off loopback it is
 * served over TLS only (exit_main.c refuses clear text unless told).
 */
#ifndef BURROW_EXIT_TLS_H
#define BURROW_EXIT_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* A server context from a PEM certificate chain (leaf first) and its PEM
 * private key: TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers only.  The key
 * file must not be reachable by group or others (as OpenSSH insists for its
 * keys).  Returns the context (the caller's, SSL_CTX_free) or NULL with err
 * (size errsz) saying in one line what is wrong and with which file. */
SSL_CTX *exit_tls_ctx_new(const char *cert, const char *key, char *err, size_t errsz);

#endif
