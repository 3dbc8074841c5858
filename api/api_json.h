/*
 * api_json.h: the JSON form of a tunnel, one writer for `burrow tunnel
 * create --json` and burrow-api's answers.
 */
#ifndef BURROW_API_JSON_H
#define BURROW_API_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/store.h"

/* The edge's public port for t: its own for tcp, edge_tls_port else. */
unsigned api_tunnel_port(struct store *s, const struct store_tunnel *t);

/* The URL of t on port (api_tunnel_port), e.g. "https://H:8443" or, for
 * tcp, "H:PORT", into out. */
void api_tunnel_url(const struct store_tunnel *t, unsigned port, char *out, size_t outsz);

/* The target as "HOST:PORT" ("[V6]:PORT") into out. */
void api_tunnel_target(const struct store_tunnel *t, char *out, size_t outsz);

/* t as {"hostname", "url", "kind", "target", "port", "zone",
 * "connect_token", "workspace", "created_at", "sandbox", "expires_at"}
 * (times as RFC 3339 UTC, expires_at null for never).  A new reference, or
 * NULL when out of memory. */
json_t *api_tunnel_json(struct store *s, const struct store_tunnel *t);

/* Unix time t as "2026-01-02T03:04:05Z" into out; "-" for 0. */
void api_format_time(int64_t t, char *out, size_t outsz);

#endif
