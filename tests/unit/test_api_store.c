/* Unit tests: the store side of burrow-api (sandboxes, leases, limits,
 * reaping, API keys and the migration of exit tokens) and its routes
 * (api_handle) over a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/api.h"
#include "common/error.h"
#include "db/store.h"
#include "db/store_apikey.h"
#include "tests/unit/store_target.h"

#define NOW 1700000000

struct fixture {
	char dir[64];
	char path[512];
	struct store *s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_init_params p;
	const char *ns[] = { "ns1.modal.host" };

	strcpy(f->dir, "/tmp/burrow-unit.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (test_store_target(f->dir, "burrow.db", f->path, sizeof(f->path)) != 0)
		return -1;
	if (store_open(f->path, STORE_CREATE, &f->s, NULL, 0) != BURROW_OK)
		return -1;
	memset(&p, 0, sizeof(p));
	p.zone = "w.modal.host";
	p.ns = ns;
	p.ns_count = 1;
	p.edge_ipv4 = "192.0.2.1";
	p.tcp_port_min = 20000;
	p.tcp_port_max = 20009;
	if (store_init(f->s, &p) != BURROW_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int
put(struct store *s, const char *ws, const char *sandbox, const char *host, uint16_t port,
    int64_t expires, int limit, struct store_tunnel *t, int *created)
{
	struct store_tunnel_spec spec;
	struct store_tunnel_place place = { sandbox, limit };

	memset(&spec, 0, sizeof(spec));
	spec.target_host = host;
	spec.target_port = port;
	spec.workspace = ws;
	spec.expires_at = expires;
	return store_tunnel_put(s, &spec, &place, NOW, t, created);
}

static int64_t
changes(struct store *s)
{
	int64_t seq = -1;

	assert_int_equal(store_change_max(s, &seq), BURROW_OK);
	return seq;
}

static int
count(const struct store_tunnel *t, void *ctx)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static int
listed(struct store *s, const char *ws, const char *sandbox, int64_t now)
{
	int n = 0;

	assert_int_equal(store_tunnel_list_workspace(s, ws, sandbox, now, count, &n), BURROW_OK);
	return n;
}

static void
test_idempotent_put(void **state)
{
	struct fixture *f = *state;
	struct store_tunnel a, b;
	struct store_tunnel_spec spec;
	struct store_tunnel_place place = { "sb", 0 };
	int created = -1;
	int64_t seq;

	assert_int_equal(put(f->s, "ws", "sb", "10.0.0.5", 80, NOW + 60, 0, &a, &created),
	    BURROW_OK);
	assert_int_equal(created, 1);
	assert_string_equal(a.sandbox, "sb");
	assert_int_equal(a.expires_at, NOW + 60);
	seq = changes(f->s);
	assert_int_equal(put(f->s, "ws", "sb", "10.0.0.5", 80, NOW + 60, 0, &b, &created),
	    BURROW_OK);
	assert_int_equal(created, 0);
	assert_string_equal(a.hostname, b.hostname);
	assert_int_equal(changes(f->s), seq);
	/* Another kind for the same target is a conflict, and writes nothing. */
	memset(&spec, 0, sizeof(spec));
	spec.target_host = "10.0.0.5";
	spec.target_port = 80;
	spec.kind = STORE_TUNNEL_H2;
	spec.workspace = "ws";
	assert_int_equal(store_tunnel_put(f->s, &spec, &place, NOW, &b, &created),
	    BURROW_ERR_EXISTS);
	assert_int_equal(changes(f->s), seq);
	/* Another workspace, sandbox or port: new tunnels. */
	assert_int_equal(put(f->s, "ws2", "sb", "10.0.0.5", 80, 0, 0, &b, &created), BURROW_OK);
	assert_int_equal(created, 1);
	assert_int_equal(put(f->s, "ws", "sb2", "10.0.0.5", 80, 0, 0, &b, &created), BURROW_OK);
	assert_int_equal(created, 1);
	assert_int_equal(put(f->s, "ws", "sb", "10.0.0.5", 81, 0, 0, &b, &created), BURROW_OK);
	assert_int_equal(created, 1);
	/* An expired one is replaced by a fresh tunnel. */
	assert_int_equal(put(f->s, "ws", "old", "10.0.0.7", 80, NOW - 1, 0, &a, &created),
	    BURROW_OK);
	assert_int_equal(put(f->s, "ws", "old", "10.0.0.7", 80, NOW + 9, 0, &b, &created),
	    BURROW_OK);
	assert_int_equal(created, 1);
	assert_string_not_equal(a.hostname, b.hostname);
	assert_int_equal(store_tunnel_get(f->s, a.hostname, &a), BURROW_ERR_NOTFOUND);
	/* A sandbox needs a workspace. */
	assert_int_equal(put(f->s, NULL, "sb", "10.0.0.5", 80, 0, 0, &b, &created),
	    BURROW_ERR_INVALID);
}

static void
test_limit(void **state)
{
	struct fixture *f = *state;
	struct store_tunnel t;
	int64_t seq;

	assert_int_equal(put(f->s, "ws", "a", "10.0.0.5", 80, 0, 2, &t, NULL), BURROW_OK);
	assert_int_equal(put(f->s, "ws", "b", "10.0.0.5", 80, 0, 2, &t, NULL), BURROW_OK);
	seq = changes(f->s);
	assert_int_equal(put(f->s, "ws", "c", "10.0.0.5", 80, 0, 2, &t, NULL), BURROW_ERR_LIMIT);
	assert_int_equal(changes(f->s), seq);
	/* The retry of an existing one is not a new tunnel. */
	assert_int_equal(put(f->s, "ws", "a", "10.0.0.5", 80, 0, 2, &t, NULL), BURROW_OK);
	assert_int_equal(put(f->s, "other", "c", "10.0.0.5", 80, 0, 2, &t, NULL), BURROW_OK);
}

static void
test_renew_remove_reap(void **state)
{
	struct fixture *f = *state;
	struct store_tunnel t, forever;
	int n = -1;
	int64_t seq;

	assert_int_equal(put(f->s, "ws", "sb", "10.0.0.5", 80, NOW + 10, 0, &t, NULL), BURROW_OK);
	assert_int_equal(put(f->s, "ws", "sb", "10.0.0.5", 81, NOW + 10, 0, &t, NULL), BURROW_OK);
	assert_int_equal(put(f->s, "ws", "sb", "10.0.0.5", 82, 0, 0, &forever, NULL), BURROW_OK);
	assert_int_equal(listed(f->s, "ws", "sb", NOW), 3);
	assert_int_equal(listed(f->s, "ws", NULL, NOW + 10), 1);
	/* Renewal: every live leased tunnel, each update logged. */
	seq = changes(f->s);
	assert_int_equal(store_tunnel_renew(f->s, "ws", "sb", NOW, NOW + 100, &n), BURROW_OK);
	assert_int_equal(n, 2);
	assert_int_equal(changes(f->s), seq + 2);
	assert_int_equal(store_tunnel_get(f->s, t.hostname, &t), BURROW_OK);
	assert_int_equal(t.expires_at, NOW + 100);
	assert_int_equal(store_tunnel_get(f->s, forever.hostname, &forever), BURROW_OK);
	assert_int_equal(forever.expires_at, 0);
	assert_int_equal(store_tunnel_renew(f->s, "other", "sb", NOW, NOW + 100, &n),
	    BURROW_ERR_NOTFOUND);
	assert_int_equal(store_tunnel_renew(f->s, "ws", "sb", NOW, NOW, &n), BURROW_ERR_INVALID);
	/* Expired rows are not renewed, but reaped. */
	assert_int_equal(store_tunnel_renew(f->s, "ws", "sb", NOW + 100, NOW + 200, &n),
	    BURROW_ERR_NOTFOUND);
	assert_int_equal(store_tunnel_reap(f->s, NOW + 99, &n), BURROW_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_tunnel_reap(f->s, NOW + 100, &n), BURROW_OK);
	assert_int_equal(n, 2);
	assert_int_equal(listed(f->s, "ws", "sb", NOW + 1000), 1);
	/* Only the owner removes; then the sandbox. */
	assert_int_equal(store_tunnel_remove_in(f->s, "other", forever.hostname),
	    BURROW_ERR_NOTFOUND);
	assert_int_equal(store_tunnel_remove_sandbox(f->s, "other", "sb", &n), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_tunnel_remove_sandbox(f->s, "ws", "sb", &n), BURROW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_tunnel_get(f->s, forever.hostname, &forever), BURROW_ERR_NOTFOUND);
}

static void
test_apikeys(void **state)
{
	struct fixture *f = *state;
	struct store_apikey k;
	char key[STORE_APIKEY_LEN + 1], other[STORE_APIKEY_LEN + 1], ws[64];
	int n;

	assert_int_equal(store_apikey_create(f->s, "ws", key, &k), BURROW_OK);
	assert_int_equal(strlen(key), STORE_APIKEY_LEN);
	assert_int_equal(strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_"), STORE_APIKEY_LEN);
	assert_int_equal(strlen(k.key_id), 12);
	assert_int_equal(store_apikey_create(f->s, "ws", other, NULL), BURROW_OK);
	assert_string_not_equal(key, other);
	assert_int_equal(store_apikey_check(f->s, key, ws), BURROW_OK);
	assert_string_equal(ws, "ws");
	key[5] = key[5] == 'A' ? 'B' : 'A';
	assert_int_equal(store_apikey_check(f->s, key, ws), BURROW_ERR_REFUSED);
	assert_int_equal(store_apikey_check(f->s, "", ws), BURROW_ERR_REFUSED);
	assert_int_equal(store_apikey_check(f->s, NULL, ws), BURROW_ERR_REFUSED);
	assert_int_equal(store_apikey_check(f->s, "a b c d e f g h i j k l m n o p q r", ws),
	    BURROW_ERR_REFUSED);
	assert_int_equal(store_apikey_create(f->s, "", key, NULL), BURROW_ERR_INVALID);
	assert_int_equal(store_apikey_create(f->s, "a b", key, NULL), BURROW_ERR_INVALID);
	assert_int_equal(store_apikey_remove(f->s, "XYZ"), BURROW_ERR_INVALID);
	assert_int_equal(store_apikey_remove(f->s, "000000000000"), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_apikey_remove(f->s, k.key_id), BURROW_OK);
	assert_int_equal(store_apikey_check(f->s, other, ws), BURROW_OK);
	assert_int_equal(store_apikey_revoke(f->s, "ws", &n), BURROW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_apikey_check(f->s, other, ws), BURROW_ERR_REFUSED);
}

/* A store at version 5 with an exit token: after the migration the same
 * token is an API key of its workspace. */
static void
test_exit_token_migrates(void **state)
{
	struct fixture *f = *state;
	const char *token = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	/* SHA-256 of the token's text, as version 4 stored it. */
	char sql[512], path[512], ws[64];
	struct store *old = NULL, *s = NULL;

	assert_int_equal(test_store_target(f->dir, "v5.db", path, sizeof(path)), 0);
	assert_int_equal(store_open_at_version(path, 5, &old), BURROW_OK);
	store_close(old);
	snprintf(sql, sizeof(sql), "INSERT INTO exit_api_tokens(workspace, token_hash, "
	    "created_at) VALUES ('acme', "
	    "'2a8abfa8cb9906290437854193ca6bca41d4d4e26d1d454bd66a35158095e737', 1)");
	assert_int_equal(test_sql(path, sql), 0);
	assert_int_equal(store_open(path, 0, &s, NULL, 0), BURROW_OK);
	assert_int_equal(store_apikey_check(s, token, ws), BURROW_OK);
	assert_string_equal(ws, "acme");
	store_close(s);
}

static int
handle(struct api *a, const char *method, const char *path, const char *key,
       const char *body, struct api_reply *r)
{
	char auth[128];
	struct api_request req;

	memset(&req, 0, sizeof(req));
	snprintf(auth, sizeof(auth), "Bearer %s", key != NULL ? key : "");
	req.method = method;
	req.path = path;
	req.authorization = key != NULL ? auth : NULL;
	req.body = body != NULL ? body : "";
	req.len = strlen(req.body);
	req.now = NOW;
	free(r->body);
	r->body = NULL;
	assert_int_equal(api_handle(a, &req, r), BURROW_OK);
	return r->status;
}

static void
test_routes(void **state)
{
	struct fixture *f = *state;
	struct api a = { f->s, 0 };
	struct api_reply r = { 0 };
	char key[STORE_APIKEY_LEN + 1], other[STORE_APIKEY_LEN + 1], path[128];
	json_t *j;
	int64_t seq;

	assert_int_equal(store_apikey_create(f->s, "acme", key, NULL), BURROW_OK);
	assert_int_equal(store_apikey_create(f->s, "other", other, NULL), BURROW_OK);
	assert_int_equal(handle(&a, "GET", "/v1/", NULL, NULL, &r), 200);
	assert_int_equal(handle(&a, "GET", "/v1/tunnels", NULL, NULL, &r), 401);
	assert_non_null(strstr(r.body, "\"unauthorized\""));
	assert_int_equal(handle(&a, "POST", "/v1/tunnels", key,
	    "{\"sandbox\": \"sb\", \"target\": \"10.0.0.5:80\", \"lease_seconds\": 30}", &r), 201);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	snprintf(path, sizeof(path), "/v1/tunnels/%s", json_string_value(json_object_get(j,
	    "hostname")));
	assert_string_equal(json_string_value(json_object_get(j, "sandbox")), "sb");
	json_decref(j);
	seq = changes(f->s);
	assert_int_equal(handle(&a, "GET", path, other, NULL, &r), 404);
	assert_int_equal(handle(&a, "DELETE", path, other, NULL, &r), 404);
	assert_int_equal(handle(&a, "POST", "/v1/tunnels", key, "{\"target\": \"x\"}", &r), 400);
	assert_non_null(strstr(r.body, "\"bad_request\""));
	assert_int_equal(changes(f->s), seq);
	assert_int_equal(handle(&a, "GET", path, key, NULL, &r), 200);
	assert_int_equal(handle(&a, "POST", "/v1/sandboxes/sb/lease", key,
	    "{\"lease_seconds\": 60}", &r), 200);
	assert_int_equal(handle(&a, "DELETE", "/v1/sandboxes/sb", key, NULL, &r), 204);
	assert_null(r.body);
	assert_int_equal(handle(&a, "GET", path, key, NULL, &r), 404);
	assert_int_equal(handle(&a, "GET", "/v1/sandboxes/a%2Fb", key, NULL, &r), 404);
	assert_int_equal(handle(&a, "PATCH", "/v1/tunnels", key, NULL, &r), 405);
	free(r.body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idempotent_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renew_remove_reap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apikeys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_token_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
