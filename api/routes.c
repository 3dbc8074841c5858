/*
 * routes.c: burrow-api's routes over the store, free of sockets (api.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/api.h"
#include "api/api_json.h"
#include "common/error.h"
#include "db/store_apikey.h"

static const char *
code_of(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "too_large";
	case 429: return "limit";
	default: return "unavailable";
	}
}

int
api_reply_json(struct api_reply *reply, int status, json_t *j)
{
	reply->status = status;
	free(reply->body);
	reply->body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return reply->body != NULL ? BURROW_OK : BURROW_ERR_NOMEM;
}

int
api_reply_error(struct api_reply *reply, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reply->reason, sizeof(reply->reason), fmt, ap);
	va_end(ap);
	return api_reply_json(reply, status, json_pack("{s:{s:s, s:s}}", "error", "code",
	    code_of(status), "message", reply->reason));
}

int
api_status_of(int err)
{
	switch (err) {
	case BURROW_ERR_INVALID: return 400;
	case BURROW_ERR_NOTFOUND: return 404;
	case BURROW_ERR_EXISTS:
	case BURROW_ERR_REFUSED: return 409;
	case BURROW_ERR_LIMIT: return 429;
	default: return 503;
	}
}

/* A failed store call: its message, with the status its code maps to. */
static int
store_error(struct api *a, struct api_reply *reply, int rc)
{
	return api_reply_error(reply, api_status_of(rc), "%s", store_errmsg(a->store));
}

int
api_own_tunnel(struct api *a, const char *workspace, const char *hostname, int64_t now,
           struct store_tunnel *t, struct api_reply *reply, int *found)
{
	int rc = store_tunnel_get(a->store, hostname, t);

	*found = 0;
	if (rc == BURROW_OK && (strcmp(t->workspace, workspace) != 0 ||
	    store_tunnel_expired(t, now)))
		rc = BURROW_ERR_NOTFOUND;
	if (rc == BURROW_ERR_NOTFOUND)
		return api_reply_error(reply, 404, "no tunnel %s", hostname);
	if (rc != BURROW_OK)
		return store_error(a, reply, rc);
	*found = 1;
	return BURROW_OK;
}

/* The zone a create names: "" is the base zone; a domain must be a
 * custom domain of this workspace (404 otherwise) and delegated (409). */
static int
check_domain(struct api *a, const char *workspace, const char *domain,
             struct api_reply *reply, int *refused)
{
	struct store_zone z;
	int rc;

	*refused = 0;
	if (domain[0] == '\0')
		return BURROW_OK;
	rc = store_zone_get(a->store, domain, &z);
	if (rc == BURROW_ERR_NOTFOUND || (rc == BURROW_OK && (z.kind != STORE_ZONE_CUSTOM ||
	    strcmp(z.workspace, workspace) != 0))) {
		*refused = 1;
		return api_reply_error(reply, 404, "no domain %s in workspace %s", domain,
		    workspace);
	}
	if (rc != BURROW_OK) {
		*refused = 1;
		return store_error(a, reply, rc);
	}
	if (strcmp(z.state, "delegated") != 0) {
		*refused = 1;
		return api_reply_error(reply, 409, "domain %s is %s, not delegated: tunnels "
		    "need a verified delegation (burrow domain verify)", domain, z.state);
	}
	return BURROW_OK;
}

static int
tunnel_create(struct api *a, const char *workspace, const struct api_request *req,
              struct api_reply *reply)
{
	struct api_tunnel_req tr;
	struct store_tunnel_spec spec;
	struct store_tunnel_place place = { NULL, a->tunnel_limit };
	struct store_tunnel t;
	char err[256];
	int rc, created = 0, refused;

	rc = api_body_tunnel(req->body, req->len, &tr, err, sizeof(err));
	if (rc == BURROW_ERR_LIMIT)
		return api_reply_error(reply, 413, "%s", err);
	if (rc != BURROW_OK)
		return rc == BURROW_ERR_NOMEM ? rc : api_reply_error(reply, 400, "%s", err);
	if ((rc = check_domain(a, workspace, tr.domain, reply, &refused)) != BURROW_OK ||
	    refused)
		return rc;
	memset(&spec, 0, sizeof(spec));
	spec.zone = tr.domain[0] != '\0' ? tr.domain : NULL;
	spec.target_host = tr.target_host;
	spec.target_port = tr.target_port;
	spec.kind = tr.kind;
	spec.connect_token = tr.connect_token;
	spec.workspace = workspace;
	spec.expires_at = tr.lease_seconds != 0 ? req->now + tr.lease_seconds : 0;
	place.sandbox = tr.sandbox;
	rc = store_tunnel_put(a->store, &spec, &place, req->now, &t, &created);
	if (rc != BURROW_OK)
		return store_error(a, reply, rc);
	return api_reply_json(reply, created ? 201 : 200, api_tunnel_json(a->store, &t));
}

struct list_ctx {
	struct store *store;
	json_t *array;
};

static int
list_one(const struct store_tunnel *t, void *arg)
{
	struct list_ctx *l = arg;

	return json_array_append_new(l->array, api_tunnel_json(l->store, t)) == 0 ? 0
	    : BURROW_ERR_NOMEM;
}

/* The value of ?sandbox= (decoded by libevent) into out, "" if absent. */
static int
query_sandbox(const char *query, char *out, size_t outsz)
{
	struct evkeyvalq q;
	struct evkeyval *kv;
	int rc = BURROW_OK;

	out[0] = '\0';
	if (query == NULL || query[0] == '\0')
		return BURROW_OK;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) != 0)
		return BURROW_ERR_INVALID;
	TAILQ_FOREACH(kv, &q, next) {
		if (strcmp(kv->key, "sandbox") != 0 || !api_sandbox_valid(kv->value) ||
		    out[0] != '\0') {
			rc = BURROW_ERR_INVALID;
			break;
		}
		snprintf(out, outsz, "%s", kv->value);
	}
	evhttp_clear_headers(&q);
	return rc;
}

static int
tunnel_list(struct api *a, const char *workspace, const struct api_request *req,
            struct api_reply *reply)
{
	struct list_ctx l = { a->store, json_array() };
	char sandbox[API_SANDBOX_MAX + 1];
	int rc;

	if (l.array == NULL)
		return BURROW_ERR_NOMEM;
	if (query_sandbox(req->query, sandbox, sizeof(sandbox)) != BURROW_OK) {
		json_decref(l.array);
		return api_reply_error(reply, 400, "the only query is sandbox=NAME");
	}
	rc = store_tunnel_list_workspace(a->store, workspace, sandbox[0] != '\0' ? sandbox
	    : NULL, req->now, list_one, &l);
	if (rc != BURROW_OK) {
		json_decref(l.array);
		return rc == BURROW_ERR_NOMEM ? rc : store_error(a, reply, rc);
	}
	return api_reply_json(reply, 200, json_pack("{s:o}", "tunnels", l.array));
}

struct domain_ctx {
	const char *workspace;
	json_t *array;
};

static int
domain_one(const struct store_zone *z, void *arg)
{
	const struct domain_ctx *d = arg;

	if (z->kind != STORE_ZONE_CUSTOM || strcmp(z->workspace, d->workspace) != 0)
		return 0;
	return json_array_append_new(d->array, json_pack("{s:s, s:s, s:s, s:b}", "name",
	    z->name, "state", z->state, "reason", z->reason, "delegated",
	    strcmp(z->state, "delegated") == 0)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
domain_list(struct api *a, const char *workspace, struct api_reply *reply)
{
	struct domain_ctx d = { workspace, json_array() };
	int rc;

	if (d.array == NULL)
		return BURROW_ERR_NOMEM;
	if ((rc = store_zone_list(a->store, domain_one, &d)) != BURROW_OK) {
		json_decref(d.array);
		return rc == BURROW_ERR_NOMEM ? rc : store_error(a, reply, rc);
	}
	return api_reply_json(reply, 200, json_pack("{s:o}", "domains", d.array));
}

static int
tunnel_one(struct api *a, const char *workspace, const char *method, const char *host,
           const struct api_request *req, struct api_reply *reply)
{
	struct store_tunnel t;
	int rc, found;

	if (strcmp(method, "GET") == 0) {
		if ((rc = api_own_tunnel(a, workspace, host, req->now, &t, reply, &found)) !=
		    BURROW_OK || !found)
			return rc;
		return api_reply_json(reply, 200, api_tunnel_json(a->store, &t));
	}
	if (strcmp(method, "DELETE") != 0)
		return api_reply_error(reply, 405, "use GET or DELETE on a tunnel");
	if ((rc = store_tunnel_remove_in(a->store, workspace, host)) != BURROW_OK)
		return store_error(a, reply, rc);
	reply->status = 204;
	return BURROW_OK;
}

static int
sandbox_lease(struct api *a, const char *workspace, const char *sandbox,
              const struct api_request *req, struct api_reply *reply)
{
	char err[256], exp[32];
	long lease;
	int rc, n = 0;

	rc = api_body_lease(req->body, req->len, &lease, err, sizeof(err));
	if (rc == BURROW_ERR_LIMIT)
		return api_reply_error(reply, 413, "%s", err);
	if (rc != BURROW_OK)
		return rc == BURROW_ERR_NOMEM ? rc : api_reply_error(reply, 400, "%s", err);
	rc = store_tunnel_renew(a->store, workspace, sandbox, req->now, req->now + lease, &n);
	if (rc != BURROW_OK)
		return store_error(a, reply, rc);
	api_format_time(req->now + lease, exp, sizeof(exp));
	return api_reply_json(reply, 200, json_pack("{s:s, s:i, s:s}", "sandbox", sandbox,
	    "renewed", n, "expires_at", exp));
}

static int
sandbox_route(struct api *a, const char *workspace, const char *method, const char *rest,
              const struct api_request *req, struct api_reply *reply)
{
	char sandbox[API_SANDBOX_MAX + 1];
	const char *slash = strchr(rest, '/');
	size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	int rc;

	if (n == 0 || n > API_SANDBOX_MAX)
		return api_reply_error(reply, 404, "no such route");
	memcpy(sandbox, rest, n);
	sandbox[n] = '\0';
	if (!api_sandbox_valid(sandbox))
		return api_reply_error(reply, 404, "no such route");
	if (slash != NULL && strcmp(slash, "/lease") == 0) {
		if (strcmp(method, "POST") != 0)
			return api_reply_error(reply, 405, "use POST on a lease");
		return sandbox_lease(a, workspace, sandbox, req, reply);
	}
	if (slash != NULL)
		return api_reply_error(reply, 404, "no such route");
	if (strcmp(method, "DELETE") != 0)
		return api_reply_error(reply, 405, "use DELETE on a sandbox");
	if ((rc = store_tunnel_remove_sandbox(a->store, workspace, sandbox, NULL)) != BURROW_OK)
		return store_error(a, reply, rc);
	reply->status = 204;
	return BURROW_OK;
}

/* /v1/tunnels/{hostname}[/tokens]: rest is what follows "/v1/tunnels/". */
static int
tunnel_route(struct api *a, const char *workspace, const char *method, const char *rest,
             const struct api_request *req, struct api_reply *reply)
{
	char host[NAMES_MAX + 1];
	const char *slash = strchr(rest, '/');
	size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	char raw[NAMES_MAX + 2];

	if (n == 0 || n > NAMES_MAX)
		return api_reply_error(reply, 404, "no such route");
	memcpy(raw, rest, n);
	raw[n] = '\0';
	if (names_canonical(raw, 0, host) != BURROW_OK)
		return api_reply_error(reply, 404, "no tunnel %.64s", raw);
	if (slash == NULL)
		return tunnel_one(a, workspace, method, host, req, reply);
	if (strcmp(slash, "/tokens") != 0)
		return api_reply_error(reply, 404, "no such route");
	if (strcmp(method, "POST") != 0)
		return api_reply_error(reply, 405, "use POST on tokens");
	return api_token_mint(a, workspace, host, req, reply);
}

/* "Authorization: Bearer KEY" (RFC 6750 section 2.1: the scheme is
 * case-insensitive) to its workspace. */
static int
authenticate(struct api *a, const struct api_request *req, struct api_reply *reply,
             int *ok)
{
	const char *auth = req->authorization;
	int rc;

	*ok = 0;
	if (auth == NULL)
		return api_reply_error(reply, 401, "missing Authorization: Bearer KEY");
	if (strncasecmp(auth, "Bearer ", 7) != 0)
		return api_reply_error(reply, 401, "Authorization is not 'Bearer KEY'");
	rc = store_apikey_check(a->store, auth + 7, reply->workspace);
	if (rc == BURROW_ERR_REFUSED)
		return api_reply_error(reply, 401, "unknown or revoked key");
	if (rc != BURROW_OK)
		return api_reply_error(reply, 503, "cannot check the key now");
	*ok = 1;
	return BURROW_OK;
}

static int
route(struct api *a, const struct api_request *req, struct api_reply *reply)
{
	const char *m = req->method, *p = req->path, *ws = reply->workspace;

	if (strcmp(p, "/v1/tunnels") == 0) {
		if (strcmp(m, "POST") == 0)
			return tunnel_create(a, ws, req, reply);
		if (strcmp(m, "GET") == 0)
			return tunnel_list(a, ws, req, reply);
		return api_reply_error(reply, 405, "use GET or POST on /v1/tunnels");
	}
	if (strncmp(p, "/v1/tunnels/", 12) == 0)
		return tunnel_route(a, ws, m, p + 12, req, reply);
	if (strncmp(p, "/v1/sandboxes/", 14) == 0)
		return sandbox_route(a, ws, m, p + 14, req, reply);
	if (strcmp(p, "/v1/domains") == 0) {
		if (strcmp(m, "GET") != 0)
			return api_reply_error(reply, 405, "use GET on /v1/domains");
		return domain_list(a, ws, reply);
	}
	return api_reply_error(reply, 404, "no such route");
}

int
api_handle(struct api *a, const struct api_request *req, struct api_reply *reply)
{
	int rc, ok;

	memset(reply, 0, sizeof(*reply));
	/* The version is public: a load balancer's health check has no key. */
	if (strcmp(req->path, "/v1/") == 0 || strcmp(req->path, "/v1") == 0) {
		if (strcmp(req->method, "GET") != 0)
			return api_reply_error(reply, 405, "use GET on /v1/");
		return api_reply_json(reply, 200, json_pack("{s:s, s:s}", "service",
		    "burrow-api", "version", API_VERSION));
	}
	if ((rc = authenticate(a, req, reply, &ok)) != BURROW_OK || !ok)
		return rc;
	return route(a, req, reply);
}
