/*
 * gate.c: connect tokens at the edge.  A tunnel created with
 * --connect-token only lets through requests that carry a valid token for
 * it (Authorization: Bearer, the _modal_connect_token query parameter or
 * cookie).  The container then sees X-Verified-User-Data with the token's
 * metadata, which no client can set: any client copy is removed.
 *
 * The key cache (edge_gate_refresh_keys, edge_gate_find_key) reads the
 * store; the gate itself (gate_next, see gate.h) is pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "db/store_secret.h"
#include "tunnels/edge.h"
#include "tunnels/gate.h"
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

const struct token_key *
edge_gate_find_key(const char *kid, void *ctx)
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
			log_outage_fail(&e->log_keys, "connect-token keys not read: %s; retrying",
			    store_errmsg(e->store));
	}
	return NULL;
}

/* ---- the gate ---- */

void
gate_init(struct gate *g, const char *hostname, token_key_lookup lookup, void *ctx)
{
	memset(g, 0, sizeof(*g));
	g->hostname = hostname;
	g->lookup = lookup;
	g->lookup_ctx = ctx;
	g->state = GATE_AT_HEAD;
}

void
gate_upgrade_answered(struct gate *g, int switched)
{
	if (g->state == GATE_HELD)
		g->state = switched ? GATE_SWITCHED : GATE_ENDED;
}

void
gate_end(struct gate *g)
{
	if (g->state != GATE_SWITCHED)
		g->state = GATE_ENDED;
}

static enum gate_action
deny(struct gate *g, struct gate_out *out, int status, const char *code, const char *reason,
     const char *body)
{
	char *p = NULL;
	const char *phrase = status == 401 ? "Unauthorized" : status == 431
	    ? "Request Header Fields Too Large" : status == 503 ? "Service Unavailable"
	    : "Bad Request";
	int n = asprintf(&p,
	    "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n%s\r\n%s",
	    status, phrase, strlen(body),
	    status == 401 ? "WWW-Authenticate: Bearer realm=\"connect-token\"\r\n" : "", body);

	g->state = GATE_ENDED;
	out->data = n < 0 ? NULL : p;
	out->len = n < 0 ? 0 : (size_t)n;
	out->status = status;
	out->reason = reason;
	out->code = code;
	return GATE_DENY;
}

/* Only WebSocket may follow a 101 (RFC 6455 4.1): h2c or any other
 * protocol would carry requests we could not check. */
static int
upgrade_allowed(const struct http_head *h)
{
	return h->upgrade && http_name_is(h->upgrade_value.p, h->upgrade_value.len, "websocket");
}

/* The refusal's class, for burrow_edge_gate_refusals_total{reason}. */
static const char *
verify_code(int rc)
{
	return rc == BURROW_ERR_LIMIT ? "token_expired" : rc == BURROW_ERR_NOTFOUND
	    ? "token_unknown_key" : rc == BURROW_ERR_REFUSED ? "token_bad_signature"
	    : "token_malformed";
}

static const char *
verify_error(int rc)
{
	return rc == BURROW_ERR_LIMIT ? "connect token refused: expired"
	    : rc == BURROW_ERR_NOTFOUND ? "connect token refused: unknown key"
	    : rc == BURROW_ERR_REFUSED ? "connect token refused: bad signature or host"
	    : "connect token refused: malformed";
}

/* The head is good: the rewritten copy, the Set-Cookie line for a token
 * that came in the URL, and what the stream expects next. */
static enum gate_action
pass(struct gate *g, const struct http_head *h, enum http_token_source src,
     struct http_span tok, const struct token_claims *claims, int64_t now,
     struct gate_out *out)
{
	size_t outsz = h->len + strlen(claims->metadata) + 64;
	struct http_head again;

	if ((out->data = malloc(outsz)) == NULL)
		return deny(g, out, 503, "no_memory", "out of memory", "out of memory\n");
	/* What the container gets must read, by our own rules, as exactly
	 * what we checked: the added fields can push a head over the limits
	 * (and a head we cannot re-read is not sent at all). */
	if (http_head_rewrite(h, claims->metadata, out->data, outsz, &out->len) != BURROW_OK ||
	    http_head_parse(out->data, out->len, &again) != BURROW_OK || again.len != out->len) {
		free(out->data);
		out->data = NULL;
		return deny(g, out, 431, "head_too_large",
		    "request head over the size limits once rewritten", "request head too large\n");
	}
	/* The token came in the URL: keep it as a cookie so the page's own
	 * later requests carry it (HttpOnly: scripts cannot read it; Secure:
	 * only over TLS). */
	if (src == HTTP_TOKEN_QUERY && asprintf(&out->req.cookie, "Set-Cookie: %s=%.*s; "
	    "Max-Age=%ld; Path=/; HttpOnly; Secure; SameSite=Lax\r\n", HTTP_TOKEN_NAME,
	    (int)tok.len, tok.p, (long)(claims->expires - now)) < 0) {
		out->req.cookie = NULL;
		free(out->data);
		out->data = NULL;
		return deny(g, out, 503, "no_memory", "out of memory", "out of memory\n");
	}
	out->used = h->len;
	out->req.is_head = h->is_head;
	out->req.upgrade = h->upgrade;
	out->req.close = h->close || h->upgrade;
	g->end_after_body = h->close;
	if (h->upgrade) {
		g->state = GATE_HELD;
	} else if (h->body != HTTP_BODY_NONE) {
		http_body_start(&g->body, h->body, h->content_length, 1);
		g->state = GATE_IN_BODY;
	} else {
		g->state = h->close ? GATE_ENDED : GATE_AT_HEAD;
	}
	return GATE_PASS;
}

static enum gate_action
check_head(struct gate *g, const char *buf, size_t len, int64_t now, struct gate_out *out)
{
	struct http_head h;
	struct http_span tok;
	struct token_claims claims;
	enum http_token_source src;
	int rc;

	rc = http_head_parse(buf, len > HTTP_HEAD_MAX + 1 ? HTTP_HEAD_MAX + 1 : len, &h);
	if (rc == BURROW_ERR_BUSY)
		return GATE_WAIT;
	if (rc == BURROW_ERR_LIMIT)
		return deny(g, out, 431, "head_too_large", "request head over the size limits refused",
		    "request head too large\n");
	if (rc != BURROW_OK)
		return deny(g, out, 400, "malformed_head", "malformed request head refused",
		    "malformed request\n");
	if (h.upgrade_asked && !upgrade_allowed(&h))
		return deny(g, out, 400, "bad_upgrade", "upgrade other than WebSocket refused",
		    "only WebSocket upgrades are allowed\n");
	/* Upgrades carry no body we would have to frame (RFC 9110 7.8). */
	if (h.upgrade && h.has_body)
		return deny(g, out, 400, "upgrade_body", "upgrade with a body refused",
		    "upgrade with a body\n");
	if ((src = http_head_token(&h, &tok)) == HTTP_TOKEN_NONE)
		return deny(g, out, 401, "no_token", "request without connect token refused",
		    "connect token required\n");
	if (src == HTTP_TOKEN_CONFLICT)
		return deny(g, out, 400, "two_tokens",
		    "request with two different connect tokens refused",
		    "conflicting connect tokens\n");
	rc = token_verify(tok.p, tok.len, g->lookup, g->lookup_ctx, now, &claims);
	if (rc == BURROW_OK && strcmp(claims.host, g->hostname) != 0)
		rc = BURROW_ERR_REFUSED;
	if (rc != BURROW_OK)
		return deny(g, out, 401, verify_code(rc), verify_error(rc),
		    rc == BURROW_ERR_LIMIT ? "connect token expired\n" : "invalid connect token\n");
	return pass(g, &h, src, tok, &claims, now, out);
}

static enum gate_action
body_step(struct gate *g, const char *buf, size_t len, struct gate_out *out)
{
	switch (http_body_next(&g->body, buf, len, &out->used)) {
	case HTTP_BODY_NEED:
		return GATE_WAIT;
	case HTTP_BODY_MOVE:
		if (http_body_done(&g->body))
			g->state = g->end_after_body ? GATE_ENDED : GATE_AT_HEAD;
		return GATE_FORWARD;
	case HTTP_BODY_DONE:      /* an empty body: nothing used */
		g->state = g->end_after_body ? GATE_ENDED : GATE_AT_HEAD;
		return GATE_FORWARD;
	case HTTP_BODY_BAD:
		break;
	}
	return deny(g, out, 400, "malformed_body", "malformed request body framing refused",
	    "malformed chunked body\n");
}

enum gate_action
gate_next(struct gate *g, const char *buf, size_t len, int64_t now, struct gate_out *out)
{
	memset(out, 0, sizeof(*out));
	switch (g->state) {
	case GATE_AT_HEAD:
		return len == 0 ? GATE_WAIT : check_head(g, buf, len, now, out);
	case GATE_IN_BODY:
		return body_step(g, buf, len, out);
	case GATE_HELD:
		return GATE_HOLD;
	case GATE_SWITCHED:
		out->used = len;
		return len == 0 ? GATE_WAIT : GATE_FORWARD;
	case GATE_ENDED:
		break;
	}
	out->used = len;
	return GATE_DISCARD;
}
