/*
 * exit_api.h: the exit agent's HTTP API.
 *
 *   POST /connect     {"proxy": NAME, "public_key": KEY,
 *                      "block_network": false, "outbound_cidr_allowlist": [CIDR...]}
 *                     -> 200 with the client configuration (exit_client.h)
 *   POST /disconnect  {"proxy": NAME, "public_key": KEY} -> 200 {}
 *
 * Every request carries "Authorization: Bearer TOKEN", a token from
 * `burrow proxy token create --workspace W`; it reaches only W's proxies.
 * Errors are JSON {"error": reason} with 400, 401, 404, 405, 409 or 503.
 */
#ifndef BURROW_EXIT_API_H
#define BURROW_EXIT_API_H

#include <stddef.h>

#include "exit/exit_agent.h"

struct exit_api_reply {
	int status;       /* HTTP status */
	char *body;       /* JSON, malloc'd; caller frees */
};

/* Handles one request, free of sockets: method ("POST"), path, the
 * Authorization header (may be NULL) and the body.  A successful connect or
 * disconnect reconciles the node before replying, so the peer is live when
 * the client gets its configuration.  Returns BURROW_OK with *reply filled,
 * or BURROW_ERR_NOMEM. */
int exit_api_handle(struct exit_agent *a, const char *method, const char *path,
                    const char *authorization, const char *body, size_t len,
                    struct exit_api_reply *reply);

struct evhttp;
struct event_base;

/* Binds the API on listen ("ADDR:PORT") in base.  Returns the server (the
 * caller frees it with evhttp_free) or NULL (logged). */
struct evhttp *exit_api_start(struct event_base *base, struct exit_agent *a,
                              const char *listen);

#endif
