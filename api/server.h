/*
 * server.h: burrow-api's evhttp server; it only moves bytes between
 * sockets and api_handle() (api.h).
 */
#ifndef BURROW_API_SERVER_H
#define BURROW_API_SERVER_H

#include <openssl/ssl.h>

#include "api/api.h"

struct event_base;
struct api_server;

/* Serves a on listen ("ADDR:PORT", numeric) in base; with tls (not NULL,
 * taken over, freed with the server) every connection is TLS.  Returns the
 * server (api_server_free) or NULL (logged). */
struct api_server *api_server_start(struct event_base *base, struct api *a,
                                    const char *listen, SSL_CTX *tls);

/* New connections use tls (taken over; open ones keep the old context). */
void api_server_set_tls(struct api_server *srv, SSL_CTX *tls);

/* Closes the listener and every connection; NULL is fine. */
void api_server_free(struct api_server *srv);

#endif
