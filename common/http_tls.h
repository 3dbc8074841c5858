/*
 * http_tls.h: serving an evhttp API over TLS under the one policy
 * (common/tls_policy.h): the certificate and key files, the loopback rule,
 * the listener, the per-connection TLS bufferevent.  burrow-exit's API and
 * burrow-api share it.
 */
#ifndef BURROW_HTTP_TLS_H
#define BURROW_HTTP_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct event_base;
struct evhttp;
struct evhttp_request;

/* A server context from a PEM certificate chain (leaf first) and its PEM
 * private key, with the TLS policy applied.  The key file must not be
 * reachable by group or others (as OpenSSH insists for its keys).  Returns
 * the context (the caller's, SSL_CTX_free) or NULL with err (size errsz)
 * saying in one line what is wrong and with which file. */
SSL_CTX *http_tls_ctx_new(const char *cert, const char *key, char *err, size_t errsz);

/* 1 if listen ("ADDR:PORT", numeric) is a loopback address (127.0.0.0/8,
 * ::1, or 127.0.0.0/8 mapped into IPv6), 0 if not (0.0.0.0 and :: are not),
 * BURROW_ERR_INVALID if it is not a numeric ADDR:PORT. */
int http_tls_listen_loopback(const char *listen);

/* Binds http to listen in base, with TCP_NODELAY on accepted sockets.
 * BURROW_OK, BURROW_ERR_INVALID (address), BURROW_ERR_IO (bind; logged),
 * BURROW_ERR_NOMEM. */
int http_tls_bind(struct evhttp *http, struct event_base *base, const char *listen);

/* Every connection http accepts from now on starts a TLS handshake with
 * *ctx, read at each accept (so the owner may swap it, e.g. on SIGHUP).
 * ctx must outlive http. */
void http_tls_serve(struct evhttp *http, SSL_CTX **ctx);

/* The request's method as text ("GET", "POST", "DELETE", "PUT", "PATCH"),
 * "OTHER" for the rest. */
const char *http_tls_method_name(struct evhttp_request *req);

/* The rule for an API that takes bearer secrets: off loopback, TLS (tls
 * set) or nothing.  Returns 0 if listen may be used; else prints one line
 * "PROGRAM: ..." on stderr (a bad address, or not loopback without TLS,
 * followed by hint, "" for none) and returns 2, the exit code. */
int http_tls_check_listen(const char *program, const char *listen, int tls, const char *hint);

/* 1 if req came over TLS.  libevent serves a connection in clear text when
 * the bufferevent callback fails, so a TLS server checks each request. */
int http_tls_request_secure(struct evhttp_request *req);

#endif
