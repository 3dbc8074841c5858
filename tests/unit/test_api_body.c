/* Unit tests: burrow-api's request-body parsers (api/body.c). */
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

static int
tunnel(const char *body, struct api_tunnel_req *r)
{
	char err[256];

	return api_body_tunnel(body, strlen(body), r, err, sizeof(err));
}

static void
test_tunnel_ok(void **state)
{
	struct api_tunnel_req r;

	(void)state;
	assert_int_equal(tunnel("{\"sandbox\": \"sb-1\", \"target\": \"10.0.0.5:8000\", "
	    "\"kind\": \"h2\", \"domain\": \"Sandbox.Example.COM.\", \"connect_token\": true, "
	    "\"lease_seconds\": 60}", &r), BURROW_OK);
	assert_string_equal(r.sandbox, "sb-1");
	assert_string_equal(r.target_host, "10.0.0.5");
	assert_int_equal(r.target_port, 8000);
	assert_int_equal(r.kind, STORE_TUNNEL_H2);
	assert_string_equal(r.domain, "sandbox.example.com");
	assert_int_equal(r.connect_token, 1);
	assert_int_equal(r.lease_seconds, 60);
	assert_int_equal(tunnel("{\"target\": \"[2001:db8::1]:443\"}", &r), BURROW_OK);
	assert_string_equal(r.target_host, "2001:db8::1");
	assert_int_equal(r.kind, STORE_TUNNEL_TLS);
	assert_string_equal(r.sandbox, "");
	assert_string_equal(r.domain, "");
	assert_int_equal(r.lease_seconds, 0);
}

static void
test_tunnel_refused(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "null", "{\"target\": \"10.0.0.5:80\"} x",
		"{\"sandbox\": \"sb\"}",
		"{\"target\": \"10.0.0.5:0\"}", "{\"target\": \"10.0.0.5:70000\"}",
		"{\"target\": \"10.0.0.5\"}", "{\"target\": \"no such:80\"}",
		"{\"target\": 80}", "{\"target\": \"a\\u0000b:80\"}",
		"{\"target\": \"10.0.0.5:80\", \"target\": \"10.0.0.6:80\"}",
		"{\"target\": \"10.0.0.5:80\", \"extra\": 1}",
		"{\"target\": \"10.0.0.5:80\", \"kind\": \"udp\"}",
		"{\"target\": \"10.0.0.5:80\", \"kind\": \"tcp\", \"connect_token\": true}",
		"{\"target\": \"10.0.0.5:80\", \"connect_token\": 1}",
		"{\"target\": \"10.0.0.5:80\", \"lease_seconds\": 0}",
		"{\"target\": \"10.0.0.5:80\", \"lease_seconds\": 1.5}",
		"{\"target\": \"10.0.0.5:80\", \"lease_seconds\": 99999999999}",
		"{\"target\": \"10.0.0.5:80\", \"sandbox\": \"\"}",
		"{\"target\": \"10.0.0.5:80\", \"sandbox\": \"a b\"}",
		"{\"target\": \"10.0.0.5:80\", \"domain\": \"-bad-.example\"}",
		NULL,
	};
	struct api_tunnel_req r;
	char err[256];
	int i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		assert_int_equal(api_body_tunnel(bad[i], strlen(bad[i]), &r, err, sizeof(err)),
		    BURROW_ERR_INVALID);
		assert_true(err[0] != '\0');
	}
}

static void
test_too_large(void **state)
{
	struct api_tunnel_req r;
	char err[256], *big = malloc(API_BODY_MAX + 2);
	long lease;

	(void)state;
	memset(big, ' ', API_BODY_MAX + 1);
	big[API_BODY_MAX + 1] = '\0';
	assert_int_equal(api_body_tunnel(big, API_BODY_MAX + 1, &r, err, sizeof(err)),
	    BURROW_ERR_LIMIT);
	assert_int_equal(api_body_lease(big, API_BODY_MAX + 1, &lease, err, sizeof(err)),
	    BURROW_ERR_LIMIT);
	free(big);
}

static void
test_lease(void **state)
{
	char err[256];
	long lease;

	(void)state;
	assert_int_equal(api_body_lease("{\"lease_seconds\": 60}", 21, &lease, err,
	    sizeof(err)), BURROW_OK);
	assert_int_equal(lease, 60);
	assert_int_equal(api_body_lease("{}", 2, &lease, err, sizeof(err)), BURROW_ERR_INVALID);
	assert_int_equal(api_body_lease("", 0, &lease, err, sizeof(err)), BURROW_ERR_INVALID);
	assert_int_equal(api_body_lease("{\"lease_seconds\": -5}", 21, &lease, err,
	    sizeof(err)), BURROW_ERR_INVALID);
}

static void
test_token(void **state)
{
	struct api_token_req r;
	char err[256], big[700];
	const char *b = "{\"user_metadata\": {\"user\": \"ada\", \"n\": 1}, \"ttl_seconds\": 90}";

	(void)state;
	assert_int_equal(api_body_token(b, strlen(b), &r, err, sizeof(err)), BURROW_OK);
	assert_string_equal(r.metadata, "{\"user\":\"ada\",\"n\":1}");
	assert_int_equal(r.ttl_seconds, 90);
	assert_int_equal(api_body_token("", 0, &r, err, sizeof(err)), BURROW_OK);
	assert_string_equal(r.metadata, "{}");
	assert_int_equal(r.ttl_seconds, API_TTL_DEFAULT);
	assert_int_equal(api_body_token("{\"user_metadata\": []}", 21, &r, err, sizeof(err)),
	    BURROW_ERR_INVALID);
	assert_int_equal(api_body_token("{\"ttl\": 5}", 10, &r, err, sizeof(err)),
	    BURROW_ERR_INVALID);
	snprintf(big, sizeof(big), "{\"user_metadata\": {\"k\": \"%0520d\"}}", 0);
	assert_int_equal(api_body_token(big, strlen(big), &r, err, sizeof(err)),
	    BURROW_ERR_INVALID);
}

static void
test_sandbox_names(void **state)
{
	char long_name[80];

	(void)state;
	assert_true(api_sandbox_valid("sb-1"));
	assert_true(api_sandbox_valid("A.b_C-9"));
	assert_false(api_sandbox_valid(""));
	assert_false(api_sandbox_valid("a/b"));
	assert_false(api_sandbox_valid("a%20b"));
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	assert_false(api_sandbox_valid(long_name));
	long_name[63] = '\0';
	assert_true(api_sandbox_valid(long_name));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnel_ok),
		cmocka_unit_test(test_tunnel_refused),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_sandbox_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
