/*
 * server.c: the evhttp side of burrow-api (server.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api/metrics.h"
#include "api/server.h"
#include "common/error.h"
#include "common/http_tls.h"
#include "common/log.h"

/* evhttp answers a larger body itself (413, not our JSON shape); between
 * API_BODY_MAX and this the parser answers 413 too_large. */
#define SERVER_MAX_BODY (4 * API_BODY_MAX)
#define SERVER_MAX_HEADERS 16384
/* A client that stalls a read or write this long is dropped. */
#define SERVER_TIMEOUT_S 10

struct api_server {
	struct evhttp *http;
	struct api *api;     /* borrowed */
	SSL_CTX *tls;        /* owned; NULL: clear text */
};


/* One line per refusal: who, what, why.  Never the key. */
static void
log_refusal(struct evhttp_request *req, const char *method, const char *path,
            const struct api_reply *reply)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *host = NULL, reason[256], where[128], ws[64];
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	log_printable(reply->reason, reason, sizeof(reason));
	log_printable(path, where, sizeof(where));
	log_printable(reply->workspace, ws, sizeof(ws));
	log_info("api: %d for %s %s from %s port %u%s%s: %s", reply->status, method, where,
	    host != NULL ? host : "?", (unsigned)port, ws[0] != '\0' ? " workspace " : "", ws,
	    reason);
}

static void
send_reply(struct evhttp_request *req, const struct api_reply *reply)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evhttp_request_get_output_buffer(req);

	if (reply->status == 401)
		evhttp_add_header(headers, "WWW-Authenticate", "Bearer realm=\"burrow-api\"");
	evhttp_add_header(headers, "Cache-Control", "no-store");
	if (reply->body != NULL) {
		evhttp_add_header(headers, "Content-Type", "application/json");
		evbuffer_add(out, reply->body, strlen(reply->body));
		evbuffer_add(out, "\n", 1);
	}
	evhttp_send_reply(req, reply->status, NULL, NULL);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct api_server *srv = arg;
	struct api_reply reply;
	struct api_request r;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	unsigned char *body;

	if (srv->tls != NULL && !http_tls_request_secure(req)) {
		log_error("api: a connection without TLS on the TLS listener; refused");
		evhttp_send_error(req, 503, "TLS unavailable");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.method = http_tls_method_name(req);
	r.path = path != NULL && path[0] != '\0' ? path : "/";
	r.query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	r.authorization = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	r.len = evbuffer_get_length(in);
	body = evbuffer_pullup(in, -1);
	r.body = body != NULL ? (const char *)body : "";
	r.now = (int64_t)time(NULL);
	if (api_handle(srv->api, &r, &reply) != BURROW_OK) {
		free(reply.body);
		api_stats_request(srv->api->stats, r.method, 500);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	api_stats_request(srv->api->stats, r.method, reply.status);
	if (reply.status >= 400)
		log_refusal(req, r.method, r.path, &reply);
	send_reply(req, &reply);
	free(reply.body);
}

struct api_server *
api_server_start(struct event_base *base, struct api *a, const char *listen, SSL_CTX *tls)
{
	struct api_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL || (srv->http = evhttp_new(base)) == NULL) {
		SSL_CTX_free(tls);
		free(srv);
		return NULL;
	}
	srv->api = a;
	evhttp_set_max_body_size(srv->http, SERVER_MAX_BODY);
	evhttp_set_max_headers_size(srv->http, SERVER_MAX_HEADERS);
	evhttp_set_timeout(srv->http, SERVER_TIMEOUT_S);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(srv->http, on_request, srv);
	api_server_set_tls(srv, tls);
	if (http_tls_bind(srv->http, base, listen) != BURROW_OK) {
		api_server_free(srv);
		return NULL;
	}
	return srv;
}

void
api_server_set_tls(struct api_server *srv, SSL_CTX *tls)
{
	if (tls == NULL)
		return;
	SSL_CTX_free(srv->tls);
	srv->tls = tls;
	http_tls_serve(srv->http, &srv->tls);
}

void
api_server_free(struct api_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->http != NULL)
		evhttp_free(srv->http);
	SSL_CTX_free(srv->tls);
	free(srv);
}
