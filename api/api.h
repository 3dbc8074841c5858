/*
 * api.h: burrow-api, the platform's HTTP/JSON control API (docs/api.md).
 *
 * Three layers, each in its own file: request bodies parsed by pure
 * functions (body.c, fuzzed), routes over the store free of sockets
 * (routes.c, tokens.c), and the evhttp server that only moves bytes
 * (server.c).  A request acts inside the workspace of its
 * "Authorization: Bearer KEY" (store_apikey.h); another workspace's tunnel
 * is 404 for every verb.
 */
#ifndef BURROW_API_H
#define BURROW_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/names.h"
#include "common/netaddr.h"
#include "db/store.h"
#include "tunnels/token.h"

#define API_VERSION "1"
/* Bodies larger than this are 413 too_large. */
#define API_BODY_MAX 65536
#define API_SANDBOX_MAX 63
/* Leases and connect tokens last at most a year. */
#define API_LEASE_MAX (366L * 86400)
#define API_TTL_MAX (366L * 86400)
#define API_TTL_DEFAULT 3600

/* ---- request bodies (body.c): pure, no store, no clock ---- */

struct api_tunnel_req {
	char sandbox[API_SANDBOX_MAX + 1];    /* "" if none given */
	char target_host[NETADDR_HOST_MAX + 1];
	uint16_t target_port;
	enum store_tunnel_kind kind;
	char domain[NAMES_MAX + 1];           /* canonical; "" for the base zone */
	int connect_token;
	long lease_seconds;                   /* 0: no lease */
};

struct api_token_req {
	char metadata[TOKEN_METADATA_MAX + 1]; /* compact JSON object */
	long ttl_seconds;
};

/* 1 if name is a sandbox name: 1-63 of [A-Za-z0-9._-]. */
int api_sandbox_valid(const char *name);

/* Parses the body of POST /v1/tunnels ({"sandbox", "target", "kind",
 * "domain", "connect_token", "lease_seconds"}; target is required, unknown
 * fields are refused).  len bytes of body, not NUL terminated.  Returns
 * BURROW_OK, BURROW_ERR_INVALID or BURROW_ERR_LIMIT (over API_BODY_MAX),
 * with err (size errsz) saying what is wrong. */
int api_body_tunnel(const char *body, size_t len, struct api_tunnel_req *out,
                    char *err, size_t errsz);

/* Parses {"lease_seconds": N} (required, 1 to API_LEASE_MAX) into *out. */
int api_body_lease(const char *body, size_t len, long *out, char *err, size_t errsz);

/* Parses {"user_metadata": {...}, "ttl_seconds": N} (both optional: {} and
 * API_TTL_DEFAULT); an empty body is {}.  The metadata's compact form must
 * be under 512 characters, as for burrow token create. */
int api_body_token(const char *body, size_t len, struct api_token_req *out,
                   char *err, size_t errsz);

/* ---- routes (routes.c): the API over the store, no sockets ---- */

struct api {
	struct store *store;       /* borrowed */
	int tunnel_limit;          /* tunnels per workspace, 0: none */
};

struct api_request {
	const char *method;        /* "GET", "POST", "DELETE", ... */
	const char *path;          /* "/v1/tunnels/..." without the query */
	const char *query;         /* may be NULL */
	const char *authorization; /* the header, may be NULL */
	const char *body;
	size_t len;
	int64_t now;               /* unix seconds */
};

struct api_reply {
	int status;                /* HTTP status */
	char *body;                /* JSON text, malloc'd (caller frees); NULL for 204 */
	char workspace[64];        /* who asked, "" before authentication */
	char reason[256];          /* an error's message, for the log */
};

/* Answers one request.  Returns BURROW_OK with *reply filled (any status),
 * or BURROW_ERR_NOMEM.  The key is never copied into the reply. */
int api_handle(struct api *a, const struct api_request *req, struct api_reply *reply);

/* The error shape {"error": {"code": CODE, "message": ...}} for status
 * into reply (tokens.c and routes.c share it).  Returns BURROW_OK or
 * BURROW_ERR_NOMEM. */
int api_reply_error(struct api_reply *reply, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* reply gets status and j (taken over; NULL is out of memory). */
int api_reply_json(struct api_reply *reply, int status, json_t *j);

/* The status a store error maps to (400, 404, 409, 429, 503). */
int api_status_of(int err);

/* The live tunnel hostname of workspace into *t and *found = 1; else
 * *found = 0 and reply is 404 (whoever holds it: a key learns nothing of
 * other workspaces) or 503.  Returns BURROW_OK or BURROW_ERR_NOMEM. */
int api_own_tunnel(struct api *a, const char *workspace, const char *hostname, int64_t now,
                   struct store_tunnel *t, struct api_reply *reply, int *found);

/* POST /v1/tunnels/{hostname}/tokens for workspace (tokens.c). */
int api_token_mint(struct api *a, const char *workspace, const char *hostname,
                   const struct api_request *req, struct api_reply *reply);

#endif
