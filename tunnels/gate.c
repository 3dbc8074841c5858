/*
 * gate.c: connect tokens at the edge.  A tunnel created with
 * --connect-token only lets through requests that carry a valid token for
 * it (Authorization: Bearer, the _modal_connect_token query parameter or
 * cookie).  The container then sees X-Verified-User-Data with the token's
 * metadata, which no client can set: any client copy is removed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "common/error.h"
#include "common/log.h"
#include "db/store_secret.h"
#include "tunnels/edge.h"
#include "tunnels/http_head.h"

static int
add_key(const struct store_secret *k, void *ctx)
{
	struct edge *e = ctx;
	struct token_key *tk;

	if (e->nkeys == EDGE_KEYS_MAX || k->len > TOKEN_SECRET_MAX)
		return 0;
	tk = &e->keys[e->nkeys++];
	snprintf(tk->id, sizeof(tk->id), "%s", k->key_id);
	memcpy(tk->secret, k->secret, k->len);
	tk->len = k->len;
	return 0;
}

int
edge_gate_refresh_keys(struct edge *e)
{
	int64_t stamp;
	int rc;

	if ((rc = store_secret_stamp(e->store, STORE_SECRET_PURPOSE_TOKEN, &stamp)) != BURROW_OK)
		return rc;
	if (stamp == e->keys_stamp && e->keys_loaded)
		return BURROW_OK;
	e->nkeys = 0;
	if ((rc = store_secret_list(e->store, STORE_SECRET_PURPOSE_TOKEN, add_key, e)) != BURROW_OK)
		return rc;
	e->keys_stamp = stamp;
	e->keys_loaded = 1;
	return BURROW_OK;
}

static const struct token_key *
find_key(const char *kid, void *ctx)
{
	struct edge *e = ctx;
	int i, pass, rc;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < e->nkeys; i++)
			if (strcmp(e->keys[i].id, kid) == 0)
				return &e->keys[i];
		/* A key made since the last poll: one small aggregate query
		 * tells whether there is anything new to read. */
		if (pass == 0 && (rc = edge_gate_refresh_keys(e)) != BURROW_OK)
			log_error("connect-token keys not read: %s", store_errmsg(e->store));
	}
	return NULL;
}

static enum gate_result
deny(char **out, size_t *outlen, int status, const char *reason, const char *body)
{
	char *p = NULL;
	int n = asprintf(&p,
	    "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n%s\r\n%s",
	    status, reason, strlen(body),
	    status == 401 ? "WWW-Authenticate: Bearer realm=\"connect-token\"\r\n" : "", body);

	*out = n < 0 ? NULL : p;
	*outlen = n < 0 ? 0 : (size_t)n;
	return GATE_DENY;
}

enum gate_result
edge_gate_check(struct edge *e, struct edge_tunnel *t, struct evbuffer *in, char **head,
                size_t *headlen, int *upgrade, char **cookie)
{
	struct http_head h;
	struct token_claims claims;
	struct http_span tok;
	enum http_token_source src;
	size_t len = evbuffer_get_length(in), outsz;
	const char *buf;
	char *out = NULL;
	time_t now = time(NULL);
	int rc;

	*head = NULL;
	*cookie = NULL;
	if (len > HTTP_HEAD_MAX + 1)
		len = HTTP_HEAD_MAX + 1;
	buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
	rc = http_head_parse(buf, len, &h);
	if (rc == BURROW_ERR_BUSY)
		return GATE_WAIT;
	if (rc == BURROW_ERR_LIMIT) {
		log_info("tunnel %s: request head over the size limits refused", t->hostname);
		return deny(head, headlen, 431, "Request Header Fields Too Large",
		    "request head too large\n");
	}
	if (rc != BURROW_OK) {
		log_info("tunnel %s: malformed request head refused", t->hostname);
		return deny(head, headlen, 400, "Bad Request", "malformed request\n");
	}
	if ((src = http_head_token(&h, &tok)) == HTTP_TOKEN_NONE) {
		log_info("tunnel %s: request without connect token refused", t->hostname);
		return deny(head, headlen, 401, "Unauthorized", "connect token required\n");
	}
	rc = token_verify(tok.p, tok.len, find_key, e, (int64_t)now, &claims);
	if (rc == BURROW_OK && strcmp(claims.host, t->hostname) != 0)
		rc = BURROW_ERR_REFUSED;
	if (rc != BURROW_OK) {
		log_info("tunnel %s: connect token refused: %s", t->hostname,
		    rc == BURROW_ERR_LIMIT ? "expired" : rc == BURROW_ERR_NOTFOUND
		    ? "unknown key" : rc == BURROW_ERR_REFUSED ? "bad signature or host"
		    : "malformed");
		return deny(head, headlen, 401, "Unauthorized",
		    rc == BURROW_ERR_LIMIT ? "connect token expired\n" : "invalid connect token\n");
	}
	/* Upgrades carry no body we would have to frame (RFC 9110 7.8). */
	if (h.upgrade && h.has_body)
		return deny(head, headlen, 400, "Bad Request", "upgrade with a body\n");
	outsz = h.len + strlen(claims.metadata) + 128;
	if ((out = malloc(outsz)) == NULL)
		return deny(head, headlen, 503, "Service Unavailable", "out of memory\n");
	if (http_head_rewrite(&h, claims.metadata, out, outsz, headlen) != BURROW_OK) {
		free(out);
		return deny(head, headlen, 431, "Request Header Fields Too Large",
		    "request head too large\n");
	}
	if (src == HTTP_TOKEN_QUERY) {
		long age = (long)(claims.expires - (int64_t)now);
		/* The token came in the URL: keep it as a cookie so the
		 * page's own later requests carry it (HttpOnly: scripts
		 * cannot read it; Secure: only over TLS). */
		if (asprintf(cookie, "Set-Cookie: %s=%.*s; Max-Age=%ld; Path=/; HttpOnly; "
		    "Secure; SameSite=Lax\r\n", HTTP_TOKEN_NAME, (int)tok.len, tok.p, age) < 0) {
			*cookie = NULL;
			free(out);
			return deny(head, headlen, 503, "Service Unavailable", "out of memory\n");
		}
	}
	*upgrade = h.upgrade;
	evbuffer_drain(in, h.len);
	*head = out;
	return GATE_PASS;
}
