/*
 * tokens.c: POST /v1/tunnels/{hostname}/tokens, a connect token signed with
 * the store's current token key, by the rules of `burrow token create`.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/api.h"
#include "api/api_json.h"
#include "common/error.h"
#include "db/store_secret.h"

/* Signs a token for t valid until expires into tok (size toksz). */
static int
sign(struct api *a, const struct store_tunnel *t, int64_t expires, const char *metadata,
     char *tok, size_t toksz)
{
	struct store_secret k;
	struct token_key key;
	int rc;

	memset(&key, 0, sizeof(key));
	if ((rc = store_secret_ensure(a->store, STORE_SECRET_PURPOSE_TOKEN, &k)) != BURROW_OK)
		goto out;
	snprintf(key.id, sizeof(key.id), "%s", k.key_id);
	memcpy(key.secret, k.secret, k.len);
	key.len = k.len;
	rc = token_create(&key, t->hostname, expires, metadata, tok, toksz);
out:
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_cleanse(&key, sizeof(key));
	return rc;
}

int
api_token_mint(struct api *a, const char *workspace, const char *hostname,
               const struct api_request *req, struct api_reply *reply)
{
	struct api_token_req tr;
	struct store_tunnel t;
	char err[256], tok[TOKEN_MAX + 1], url[NAMES_MAX + 32], exp[32];
	int64_t expires;
	int rc, found;

	rc = api_body_token(req->body, req->len, &tr, err, sizeof(err));
	if (rc == BURROW_ERR_LIMIT)
		return api_reply_error(reply, 413, "%s", err);
	if (rc != BURROW_OK)
		return rc == BURROW_ERR_NOMEM ? rc : api_reply_error(reply, 400, "%s", err);
	if ((rc = api_own_tunnel(a, workspace, hostname, req->now, &t, reply, &found)) !=
	    BURROW_OK || !found)
		return rc;
	/* A tcp row with a token is one the edge refuses to serve. */
	if (!t.connect_token || t.kind == STORE_TUNNEL_TCP)
		return api_reply_error(reply, 409, "tunnel %s was not created with "
		    "connect_token", hostname);
	expires = req->now + tr.ttl_seconds;
	if ((rc = sign(a, &t, expires, tr.metadata, tok, sizeof(tok))) != BURROW_OK)
		return api_reply_error(reply, 503, "cannot sign the token");
	api_tunnel_url(&t, api_tunnel_port(a->store, &t), url, sizeof(url));
	api_format_time(expires, exp, sizeof(exp));
	rc = api_reply_json(reply, 201, json_pack("{s:s, s:s, s:s, s:s}", "url", url,
	    "token", tok, "hostname", t.hostname, "expires_at", exp));
	OPENSSL_cleanse(tok, sizeof(tok));
	return rc;
}
