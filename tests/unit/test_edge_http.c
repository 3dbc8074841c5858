/*
 * test_edge_http.c: the request-head parser, token lookup and rewrite, the
 * response status reader, the SNI extension parser and the hash table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"
#include "tunnels/http_head.h"
#include "tunnels/sni.h"
#include "tunnels/table.h"

static int
parse(const char *s, struct http_head *h)
{
	return http_head_parse(s, strlen(s), h);
}

static void
test_parse(void **state)
{
	struct http_head h;
	const char *req = "GET /a?b=1 HTTP/1.1\r\nHost: x.y\r\nX-A:  v  \r\n\r\nBODY";

	(void)state;
	assert_int_equal(parse(req, &h), BURROW_OK);
	assert_int_equal(h.len, strlen(req) - 4);
	assert_int_equal(h.method.len, 3);
	assert_memory_equal(h.target.p, "/a?b=1", 6);
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.nheaders, 2);
	assert_int_equal(h.headers[1].value.len, 1);
	assert_memory_equal(h.headers[1].value.p, "v", 1);
	assert_false(h.upgrade);
	/* Every prefix of a complete head asks for more. */
	for (size_t i = 0; i < h.len; i++)
		assert_int_equal(http_head_parse(req, i, &h), BURROW_ERR_BUSY);
	assert_int_equal(parse("\r\nGET / HTTP/1.0\r\n\r\n", &h), BURROW_OK);
}

static void
test_parse_refuses(void **state)
{
	static const char *bad[] = {
		"GET / HTTP/1.1\nHost: a\n\n",                    /* bare LF */
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",             /* space before colon */
		"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",    /* obs-fold */
		"GET / HTTP/1.1\r\n\r\n",                         /* no Host */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",   /* two Hosts */
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
		"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
		"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
		"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
	};
	struct http_head h;
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &h), BURROW_ERR_PROTO);
	/* A request line over the limit, even unfinished. */
	big = malloc(HTTP_HEAD_MAX * 2);
	memset(big, 'a', HTTP_LINE_MAX + 10);
	memcpy(big, "GET /", 5);
	assert_int_equal(http_head_parse(big, HTTP_LINE_MAX + 10, &h), BURROW_ERR_LIMIT);
	/* Too many fields. */
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < HTTP_HEADERS_MAX; i++)
		strcat(big, "X: y\r\n");
	strcat(big, "\r\n");
	assert_int_equal(parse(big, &h), BURROW_ERR_LIMIT);
	free(big);
}

static void
test_token_and_rewrite(void **state)
{
	struct http_head h;
	struct http_span tok;
	char out[2048];
	size_t n;
	const char *q = "GET /p?a=1&_modal_connect_token=TOK&b=2 HTTP/1.1\r\nHost: h\r\n"
	    "X-Verified-User-Data: forged\r\nConnection: keep-alive\r\nCookie: a=1\r\n\r\n";
	const char *c = "GET /p HTTP/1.1\r\nHost: h\r\nCookie: a=1; _modal_connect_token=CT; b=2\r\n\r\n";
	const char *b = "GET /?_modal_connect_token=Q HTTP/1.1\r\nhost: h\r\nAuthorization: Bearer  BT\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\nx-verified-user-data: x\r\n\r\n";

	(void)state;
	assert_int_equal(parse(q, &h), BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_QUERY);
	assert_int_equal(tok.len, 3);
	assert_memory_equal(tok.p, "TOK", 3);
	assert_int_equal(http_head_rewrite(&h, "{\"u\":1}", out, sizeof(out), &n), BURROW_OK);
	out[n] = '\0';
	assert_string_equal(out, "GET /p?a=1&b=2 HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\n"
	    "Connection: close\r\nX-Verified-User-Data: {\"u\":1}\r\n\r\n");
	assert_int_equal(http_head_rewrite(&h, "{}", out, 40, &n), BURROW_ERR_LIMIT);

	assert_int_equal(parse(c, &h), BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_COOKIE);
	assert_memory_equal(tok.p, "CT", 2);
	assert_int_equal(http_head_rewrite(&h, "{}", out, sizeof(out), &n), BURROW_OK);
	out[n] = '\0';
	assert_string_equal(out, "GET /p HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2\r\n"
	    "Connection: close\r\nX-Verified-User-Data: {}\r\n\r\n");

	assert_int_equal(parse(b, &h), BURROW_OK);
	assert_true(h.upgrade);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_HEADER);
	assert_memory_equal(tok.p, "BT", 2);
	assert_int_equal(http_head_rewrite(&h, "{}", out, sizeof(out), &n), BURROW_OK);
	out[n] = '\0';
	assert_string_equal(out, "GET / HTTP/1.1\r\nhost: h\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nX-Verified-User-Data: {}\r\n\r\n");

	assert_int_equal(parse("GET /x?_modal_connect_tokenX=1 HTTP/1.1\r\nHost: h\r\n\r\n", &h),
	    BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_NONE);
}

static void
test_response_status(void **state)
{
	const char *r = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nxx";
	size_t line_end, head_end;
	int status;

	(void)state;
	assert_int_equal(http_response_status(r, strlen(r), &status, &line_end, &head_end), BURROW_OK);
	assert_int_equal(status, 101);
	assert_int_equal(line_end, 34);
	assert_int_equal(head_end, strlen(r) - 2);
	assert_int_equal(http_response_status(r, 10, &status, &line_end, NULL), BURROW_ERR_BUSY);
	assert_int_equal(http_response_status("SSH-2.0\r\n", 9, &status, &line_end, NULL),
	    BURROW_ERR_PROTO);
}

static void
test_sni(void **state)
{
	static const unsigned char ok[] = { 0, 11, 0, 0, 8, 'A', '.', 'e', 'x', 'a', 'm', 'p', 'l' };
	static const unsigned char other[] = { 0, 5, 1, 0, 2, 'x', 'y' };
	static const unsigned char bad_len[] = { 0, 12, 0, 0, 8, 'a', '.', 'b', 'c', 'd', 'e', 'f', 'g' };
	static const unsigned char nul[] = { 0, 6, 0, 0, 3, 'a', 0, 'b' };
	char out[NAMES_MAX + 1];

	(void)state;
	assert_int_equal(sni_parse(ok, sizeof(ok), out), BURROW_OK);
	assert_string_equal(out, "a.exampl");
	assert_int_equal(sni_parse(other, sizeof(other), out), BURROW_ERR_NOTFOUND);
	assert_int_equal(sni_parse(bad_len, sizeof(bad_len), out), BURROW_ERR_INVALID);
	assert_int_equal(sni_parse(nul, sizeof(nul), out), BURROW_ERR_INVALID);
	assert_int_equal(sni_parse(ok, 1, out), BURROW_ERR_INVALID);
}

static void
test_table(void **state)
{
	struct table *t = table_new();
	char key[32];
	void *old;
	int i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(table_put(t, key, (void *)(intptr_t)(i + 1), &old), BURROW_OK);
		assert_null(old);
	}
	assert_int_equal(table_count(t), 1000);
	assert_int_equal((intptr_t)table_get(t, "k500"), 501);
	assert_int_equal(table_put(t, "k500", (void *)7, &old), BURROW_OK);
	assert_int_equal((intptr_t)old, 501);
	assert_int_equal((intptr_t)table_remove(t, "k500"), 7);
	assert_null(table_get(t, "k500"));
	assert_null(table_remove(t, "nope"));
	assert_int_equal(table_count(t), 999);
	table_free(t, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_token_and_rewrite),
		cmocka_unit_test(test_response_status),
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("edge_http", tests, NULL, NULL);
}
