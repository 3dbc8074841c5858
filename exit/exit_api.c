/*
 * exit_api.c: POST /connect and /disconnect with workspace bearer tokens.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "common/error.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "db/store.h"
#include "db/store_proxy.h"
#include "exit/exit_api.h"
#include "exit/exit_client.h"

#define API_MAX_BODY 16384

static int
reply_json(struct exit_api_reply *r, int status, json_t *j)
{
	r->status = status;
	r->body = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return r->body != NULL ? BURROW_OK : BURROW_ERR_NOMEM;
}

static int
reply_error(struct exit_api_reply *r, int status, const char *reason)
{
	return reply_json(r, status, json_pack("{s:s}", "error", reason));
}

static int
status_of(int err)
{
	switch (err) {
	case BURROW_ERR_INVALID: return 400;
	case BURROW_ERR_NOTFOUND: return 404;
	case BURROW_ERR_REFUSED:
	case BURROW_ERR_LIMIT: return 409;
	default: return 503;
	}
}

/* The outbound_cidr_allowlist array as "a,b" into out. */
static int
allowlist(json_t *arr, char *out, size_t outsz)
{
	size_t i, used = 0, n;
	json_t *v;

	out[0] = '\0';
	if (arr == NULL || json_is_null(arr))
		return BURROW_OK;
	if (!json_is_array(arr))
		return BURROW_ERR_INVALID;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v))
			return BURROW_ERR_INVALID;
		n = strlen(json_string_value(v));
		if (used + n + 2 > outsz)
			return BURROW_ERR_INVALID;
		if (used > 0)
			out[used++] = ',';
		memcpy(out + used, json_string_value(v), n + 1);
		used += n;
	}
	return BURROW_OK;
}

static int
handle(struct exit_agent *a, const char *workspace, int connect, json_t *req,
       struct exit_api_reply *r)
{
	char allow[STORE_PROXY_ALLOWLIST_MAX];
	struct store_proxy_policy pol = { 0, NULL };
	struct store_proxy_ip ip;
	struct store_proxy_peer peer;
	const char *proxy = json_string_value(json_object_get(req, "proxy"));
	const char *key = json_string_value(json_object_get(req, "public_key"));
	json_t *block = json_object_get(req, "block_network");
	int rc;

	if (proxy == NULL || key == NULL)
		return reply_error(r, 400, "proxy and public_key are required strings");
	if (block != NULL && !json_is_boolean(block))
		return reply_error(r, 400, "block_network must be true or false");
	if (allowlist(json_object_get(req, "outbound_cidr_allowlist"), allow,
	    sizeof(allow)) != BURROW_OK)
		return reply_error(r, 400, "outbound_cidr_allowlist must be a list of CIDRs");
	pol.block_network = json_is_true(block);
	pol.cidr_allowlist = allow;
	rc = connect
	    ? store_proxy_connect(a->store, proxy, workspace, key, &pol, &ip, &peer)
	    : store_proxy_disconnect(a->store, proxy, workspace, key);
	if (rc != BURROW_OK) {
		log_info("%s %s/%s refused: %s", connect ? "connect" : "disconnect",
		    workspace, proxy, store_errmsg(a->store));
		return reply_error(r, status_of(rc), store_errmsg(a->store));
	}
	/* A peer on another node is configured by that node's agent. */
	if (exit_agent_reconcile(a) != BURROW_OK)
		log_warn("reconcile after %s failed; retrying on the next poll",
		    connect ? "connect" : "disconnect");
	if (!connect)
		return reply_json(r, 200, json_object());
	log_info("connected %s to %s/%s via %s as %s", key, workspace, proxy, ip.address,
	    peer.address4);
	return reply_json(r, 200, exit_client_json(&ip, &peer));
}

int
exit_api_handle(struct exit_agent *a, const char *method, const char *path,
                const char *authorization, const char *body, size_t len,
                struct exit_api_reply *reply)
{
	char workspace[STORE_PROXY_NAME_MAX + 1];
	json_error_t jerr;
	json_t *req;
	int connect, rc;

	reply->body = NULL;
	if (strcmp(path, "/connect") == 0)
		connect = 1;
	else if (strcmp(path, "/disconnect") == 0)
		connect = 0;
	else
		return reply_error(reply, 404, "no such endpoint");
	if (strcmp(method, "POST") != 0)
		return reply_error(reply, 405, "use POST");
	/* RFC 6750 section 2.1: "Bearer" is case-insensitive, then one space. */
	if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0 ||
	    store_proxy_token_check(a->store, authorization + 7, workspace) != BURROW_OK)
		return reply_error(reply, 401, "missing or unknown bearer token");
	if ((req = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(req)) {
		json_decref(req);
		return reply_error(reply, 400, "body must be a JSON object");
	}
	rc = handle(a, workspace, connect, req, reply);
	json_decref(req);
	return rc;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct exit_agent *a = arg;
	struct exit_api_reply reply = { 0, NULL };
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *method;
	size_t len = evbuffer_get_length(in);
	unsigned char *body = evbuffer_pullup(in, -1);

	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_POST: method = "POST"; break;
	case EVHTTP_REQ_GET: method = "GET"; break;
	default: method = "OTHER"; break;
	}
	if (exit_api_handle(a, method, path != NULL ? path : "/",
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization"),
	    (const char *)(body != NULL ? body : (unsigned char *)""), len,
	    &reply) != BURROW_OK) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	if (reply.status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		    "Bearer realm=\"burrow-exit\"");
	evbuffer_add(out, reply.body, strlen(reply.body));
	evbuffer_add(out, "\n", 1);
	evhttp_send_reply(req, reply.status, reply.status == 200 ? "OK" : "Error", NULL);
	free(reply.body);
}

struct evhttp *
exit_api_start(struct event_base *base, struct exit_agent *a, const char *listen)
{
	struct netaddr_hostport hp;
	struct evhttp *http;

	if (netaddr_parse_hostport(listen, &hp) != BURROW_OK) {
		log_error("bad --listen address '%s' (ADDR:PORT)", listen);
		return NULL;
	}
	if ((http = evhttp_new(base)) == NULL)
		return NULL;
	evhttp_set_max_body_size(http, API_MAX_BODY);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
	evhttp_set_gencb(http, on_request, a);
	if (evhttp_bind_socket(http, hp.host, hp.port) != 0) {
		log_error("cannot listen on %s", listen);
		evhttp_free(http);
		return NULL;
	}
	return http;
}
