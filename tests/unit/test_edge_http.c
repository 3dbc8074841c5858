/*
 * test_edge_http.c: the request-head parser, token lookup and rewrite, the
 * body framer, the response parser and tracker, the SNI extension parser
 * and the hash table.
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
#include "tunnels/http_body.h"
#include "tunnels/http_head.h"
#include "tunnels/http_track.h"
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
	/* Persistent: the client's Connection goes, none is forced. */
	assert_string_equal(out, "GET /p?a=1&b=2 HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\n"
	    "X-Verified-User-Data: {\"u\":1}\r\n\r\n");
	assert_int_equal(http_head_rewrite(&h, "{}", out, 40, &n), BURROW_ERR_LIMIT);

	assert_int_equal(parse(c, &h), BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_COOKIE);
	assert_memory_equal(tok.p, "CT", 2);
	assert_int_equal(http_head_rewrite(&h, "{}", out, sizeof(out), &n), BURROW_OK);
	out[n] = '\0';
	assert_string_equal(out, "GET /p HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2\r\n"
	    "X-Verified-User-Data: {}\r\n\r\n");

	assert_int_equal(parse(b, &h), BURROW_OK);
	assert_true(h.upgrade);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_HEADER);
	assert_memory_equal(tok.p, "BT", 2);
	assert_int_equal(http_head_rewrite(&h, "{}", out, sizeof(out), &n), BURROW_OK);
	out[n] = '\0';
	assert_string_equal(out, "GET / HTTP/1.1\r\nhost: h\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nX-Verified-User-Data: {}\r\n\r\n");
	assert_true(http_name_is(h.upgrade_value.p, h.upgrade_value.len, "websocket"));

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

/* Rewrites s (which must parse) with metadata {} into out. */
static void
rewrite(const char *s, char *out, size_t outsz)
{
	struct http_head h;
	size_t n;

	assert_int_equal(parse(s, &h), BURROW_OK);
	assert_int_equal(http_head_rewrite(&h, "{}", out, outsz - 1, &n), BURROW_OK);
	out[n] = '\0';
}

static void
test_targets(void **state)
{
	static const char *bad[] = {
		"G ?_modal_connect_token=2 HTTP/1.1\r\nHost:\r\n\r\n", /* the fuzz crash */
		"GET ?a=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET * HTTP/1.1\r\nHost: h\r\n\r\n",                 /* * is for OPTIONS */
		"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",          /* authority-form */
		"GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET 1http://h/ HTTP/1.1\r\nHost: h\r\n\r\n",
	};
	struct http_head h;
	char out[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &h), BURROW_ERR_PROTO);
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &h), BURROW_OK);
	rewrite("GET http://h/x?_modal_connect_token=t HTTP/1.1\r\nHost: h\r\n\r\n", out,
	    sizeof(out));
	assert_string_equal(out, "GET http://h/x HTTP/1.1\r\nHost: h\r\nX-Verified-User-Data: {}\r\n\r\n");
	rewrite("GET http://h?_modal_connect_token=t&a HTTP/1.1\r\nHost: h\r\n\r\n", out,
	    sizeof(out));
	assert_string_equal(out, "GET http://h?a HTTP/1.1\r\nHost: h\r\nX-Verified-User-Data: {}\r\n\r\n");
	rewrite("GET /?_modal_connect_token=t HTTP/1.1\r\nHost: h\r\n\r\n", out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: h\r\nX-Verified-User-Data: {}\r\n\r\n");
}

static void
test_identity_lookalikes(void **state)
{
	char out[1024];

	(void)state;
	assert_true(http_name_is_identity("X_Verified_User_Data", 20));
	assert_true(http_name_is_identity("x-verified_user-DATA", 20));
	assert_false(http_name_is_identity("x-verified-user-dat", 19));
	assert_false(http_name_is_identity("x-verified-user-datas", 21));
	rewrite("GET / HTTP/1.1\r\nHost: h\r\nX_Verified_User_Data: a\r\nx-verified_user-data: b\r\n"
	    "X-VERIFIED-USER-DATA: c\r\nX-Verified-User-Datum: d\r\n\r\n", out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: h\r\nX-Verified-User-Datum: d\r\n"
	    "X-Verified-User-Data: {}\r\n\r\n");
	/* Naming it in Connection cannot make a proxy inside the container
	 * drop ours: the client's Connection never reaches it. */
	rewrite("GET / HTTP/1.1\r\nHost: h\r\nConnection: x-verified-user-data, close\r\n"
	    "Keep-Alive: 5\r\n\r\n", out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
	    "X-Verified-User-Data: {}\r\n\r\n");
}

static void
test_repeated_tokens(void **state)
{
	struct http_head h;
	struct http_span tok;
	char out[1024];

	(void)state;
	/* The same token twice: verified once, both copies removed. */
	assert_int_equal(parse("GET /?_modal_connect_token=a&x=1&_modal_connect_token=a HTTP/1.1\r\n"
	    "Host: h\r\n\r\n", &h), BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_QUERY);
	assert_memory_equal(tok.p, "a", 1);
	rewrite("GET /?_modal_connect_token=a&x=1&_modal_connect_token=a HTTP/1.1\r\nHost: h\r\n\r\n",
	    out, sizeof(out));
	assert_string_equal(out, "GET /?x=1 HTTP/1.1\r\nHost: h\r\nX-Verified-User-Data: {}\r\n\r\n");
	/* Two different ones in one place: nobody can say which is meant. */
	assert_int_equal(parse("GET /?_modal_connect_token=a&_modal_connect_token=b HTTP/1.1\r\n"
	    "Host: h\r\n\r\n", &h), BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_CONFLICT);
	assert_null(tok.p);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\nCookie: _modal_connect_token=a\r\n"
	    "Cookie: x=1; _modal_connect_token=b\r\n\r\n", &h), BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_CONFLICT);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer a\r\n"
	    "Authorization: Bearer b\r\n\r\n", &h), BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_CONFLICT);
	/* A fresh URL token wins over an old cookie; both are removed. */
	assert_int_equal(parse("GET /?_modal_connect_token=new HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: _modal_connect_token=old; k=v\r\n\r\n", &h), BURROW_OK);
	assert_int_equal(http_head_token(&h, &tok), HTTP_TOKEN_QUERY);
	assert_memory_equal(tok.p, "new", 3);
	rewrite("GET /?_modal_connect_token=new HTTP/1.1\r\nHost: h\r\n"
	    "Cookie: _modal_connect_token=old; k=v; _modal_connect_token=x\r\n\r\n", out, sizeof(out));
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: h\r\nCookie: k=v\r\n"
	    "X-Verified-User-Data: {}\r\n\r\n");
	/* A parameter named like the token without a value is one too. */
	rewrite("GET /?_modal_connect_token&b HTTP/1.1\r\nHost: h\r\n\r\n", out, sizeof(out));
	assert_string_equal(out, "GET /?b HTTP/1.1\r\nHost: h\r\nX-Verified-User-Data: {}\r\n\r\n");
}

static void
test_framing(void **state)
{
	static const char *bad[] = {
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456789\r\n\r\n",
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: a\r\nUpgrade: b\r\nConnection: upgrade\r\n\r\n",
	};
	struct http_head h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &h), BURROW_ERR_PROTO);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n", &h),
	    BURROW_OK);
	assert_int_equal(h.body, HTTP_BODY_CHUNKED);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n", &h), BURROW_OK);
	assert_int_equal(h.body, HTTP_BODY_LENGTH);
	assert_int_equal(h.content_length, 12);
	assert_false(h.close);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &h), BURROW_OK);
	assert_int_equal(h.body, HTTP_BODY_NONE);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &h), BURROW_OK);
	assert_true(h.close);
	assert_int_equal(parse("HEAD / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", &h), BURROW_OK);
	assert_true(h.close);
	assert_true(h.is_head);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n\r\n", &h), BURROW_OK);
	assert_true(h.upgrade_asked);
	assert_false(h.upgrade);
}

/* Runs a body through the framer fed in pieces of step bytes (the pending
 * part shown again with more, as the relay does); returns the bytes it
 * took as body, or -1 if it refused them. */
static long
frame(const char *s, size_t len, enum http_body_kind kind, uint64_t cl, size_t step)
{
	struct http_body b;
	size_t have = 0, used = 0, n;

	http_body_start(&b, kind, cl, 1);
	while (!http_body_done(&b)) {
		switch (http_body_next(&b, s + used, have - used, &n)) {
		case HTTP_BODY_MOVE:
			used += n;
			continue;
		case HTTP_BODY_NEED:
			if (have == len)
				return -2;   /* incomplete */
			have = have + step > len ? len : have + step;
			continue;
		case HTTP_BODY_DONE:
			break;
		case HTTP_BODY_BAD:
			return -1;
		}
		break;
	}
	return (long)used;
}

static void
test_body(void **state)
{
	static const char ch[] = "5;ext=\"q v\"\r\nhello\r\n0A\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nGET";
	static const char *bad[] = {
		"5\nhello\r\n0\r\n\r\n",             /* bare LF */
		"5\r\nhello\n0\r\n\r\n",
		"5\r\nhelloXY0\r\n\r\n",             /* no CRLF after the data */
		"x\r\n",
		"-5\r\n",
		"5 x\r\n",
		"5;a\rb\r\n",                        /* stray CR in an extension */
		"10000000000000\r\n",                /* over HTTP_CHUNK_MAX */
		"ffffffffffffffffff1\r\n",           /* would overflow 64 bits */
		"0\r\nX-Verified-User-Data: forged\r\n\r\n",
		"0\r\nx_verified_user_data: forged\r\n\r\n",
		"0\r\nContent-Length: 5\r\n\r\n",
		"0\r\nX-T: 1\r\n folded\r\n\r\n",    /* obs-fold in a trailer */
		"0\r\nX-T: 1\n\r\n",
	};
	size_t step, i;

	(void)state;
	/* Every piece size gives the same answer: the body ends before "GET". */
	for (step = 1; step <= sizeof(ch); step++)
		assert_int_equal(frame(ch, sizeof(ch) - 1, HTTP_BODY_CHUNKED, 0, step),
		    sizeof(ch) - 4);
	assert_int_equal(frame("0\r\n\r\n", 5, HTTP_BODY_CHUNKED, 0, 1), 5);
	assert_int_equal(frame("0000000000000000001\r\nx\r\n0\r\n\r\n", 29, HTTP_BODY_CHUNKED, 0, 3),
	    29);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(frame(bad[i], strlen(bad[i]), HTTP_BODY_CHUNKED, 0, 1), -1);
	assert_int_equal(frame("hello world", 11, HTTP_BODY_LENGTH, 5, 2), 5);
	assert_int_equal(frame("hel", 3, HTTP_BODY_LENGTH, 5, 2), -2);
}

static void
test_response_parse(void **state)
{
	struct http_response r;
	const char *s;

	(void)state;
	s = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
	assert_int_equal(http_response_parse(s, strlen(s), &r), BURROW_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body, HTTP_BODY_LENGTH);
	assert_int_equal(r.len, strlen(s) - 3);
	assert_false(r.close);
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
	assert_int_equal(http_response_parse(s, strlen(s), &r), BURROW_OK);
	assert_int_equal(r.body, HTTP_BODY_CHUNKED);
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
	assert_int_equal(http_response_parse(s, strlen(s), &r), BURROW_OK);
	assert_int_equal(r.body, HTTP_BODY_CLOSE);
	s = "HTTP/1.1 200 OK\r\n\r\n";
	assert_int_equal(http_response_parse(s, strlen(s), &r), BURROW_OK);
	assert_int_equal(r.body, HTTP_BODY_CLOSE);
	s = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(http_response_parse(s, strlen(s), &r), BURROW_OK);
	assert_true(r.close);
	s = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(http_response_parse(s, strlen(s), &r), BURROW_OK);
	assert_false(r.close);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
	assert_int_equal(http_response_parse(s, strlen(s), &r), BURROW_ERR_PROTO);
	s = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n";
	assert_int_equal(http_response_parse(s, strlen(s), &r), BURROW_ERR_BUSY);
}

/* The tracker fed a whole response stream at once; the bytes it would
 * send to the client in out (cookies inserted), its last action returned. */
static enum http_track_action
track(struct http_track *t, const char *s, char *out, size_t *outlen)
{
	struct http_track_out o;
	enum http_track_action a, last = HTTP_TRACK_WAIT;
	size_t len = strlen(s), off = 0;

	*outlen = 0;
	for (;;) {
		a = http_track_next(t, s + off, len - off, &o);
		if (a == HTTP_TRACK_WAIT)
			return off == len ? last : a;   /* the last step that did something */
		if (a == HTTP_TRACK_BAD || a == HTTP_TRACK_DISCARD)
			return a;
		if (a == HTTP_TRACK_LOCAL) {
			memcpy(out + *outlen, o.local, o.local_len);
			*outlen += o.local_len;
			free(o.local);
			return a;
		}
		if (a == HTTP_TRACK_HEAD) {
			memcpy(out + *outlen, s + off, o.line_end);
			*outlen += o.line_end;
			if (o.cookie != NULL) {
				memcpy(out + *outlen, o.cookie, strlen(o.cookie));
				*outlen += strlen(o.cookie);
				free(o.cookie);
			}
			memcpy(out + *outlen, s + off + o.line_end, o.used - o.line_end);
		} else {
			memcpy(out + *outlen, s + off, o.used);
		}
		*outlen += a == HTTP_TRACK_HEAD ? o.used - o.line_end : o.used;
		off += o.used;
		last = a;
	}
}

static void
push(struct http_track *t, int is_head, int upgrade, int close, const char *cookie)
{
	struct gate_request r = { is_head, upgrade, close, cookie ? strdup(cookie) : NULL };

	assert_int_equal(http_track_push(t, &r), BURROW_OK);
}

static void
test_track(void **state)
{
	struct http_track t;
	char out[4096];
	size_t n;
	int i;

	(void)state;
	/* HEAD, then 100-continue + 200 with the cookie, then 204 and 304:
	 * each response framed by its request and status. */
	http_track_init(&t);
	push(&t, 1, 0, 0, NULL);
	push(&t, 0, 0, 0, "Set-Cookie: c=1\r\n");
	push(&t, 0, 0, 0, NULL);
	push(&t, 0, 0, 0, NULL);
	assert_int_equal(track(&t, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
	    "HTTP/1.1 304 Not Modified\r\n\r\n", out, &n), HTTP_TRACK_HEAD);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nSet-Cookie: c=1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
	    "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n");
	assert_int_equal(http_track_pending(&t), 0);
	/* Anything more is no response to a request. */
	assert_int_equal(track(&t, "HTTP/1.1 200 OK\r\n\r\n", out, &n), HTTP_TRACK_BAD);
	http_track_free(&t);

	/* 101 only for the upgrade request. */
	http_track_init(&t);
	push(&t, 0, 0, 0, NULL);
	assert_int_equal(track(&t, "HTTP/1.1 101 Switching Protocols\r\n\r\n", out, &n),
	    HTTP_TRACK_BAD);
	http_track_free(&t);
	http_track_init(&t);
	push(&t, 0, 1, 1, NULL);
	assert_int_equal(track(&t, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
	    "\x81\x02hi", out, &n), HTTP_TRACK_FORWARD);
	assert_int_equal(n, 60);
	http_track_free(&t);

	/* Our page goes after the response owed before it, then the end. */
	http_track_init(&t);
	push(&t, 0, 0, 0, NULL);
	assert_int_equal(http_track_push_local(&t, strdup("PAGE"), 4), BURROW_OK);
	assert_int_equal(track(&t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", out, &n),
	    HTTP_TRACK_LOCAL);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokPAGE");
	assert_true(http_track_ended(&t));
	http_track_free(&t);

	/* Connection: close, or a body until the close, ends the stream. */
	http_track_init(&t);
	push(&t, 0, 0, 0, NULL);
	push(&t, 0, 0, 0, NULL);
	assert_int_equal(track(&t, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
	    "junk", out, &n), HTTP_TRACK_DISCARD);
	assert_true(http_track_ended(&t));
	http_track_free(&t);
	http_track_init(&t);
	push(&t, 0, 0, 0, NULL);
	assert_int_equal(track(&t, "HTTP/1.1 200 OK\r\n\r\nall of it", out, &n), HTTP_TRACK_FORWARD);
	assert_true(http_track_eof_clean(&t));
	http_track_free(&t);

	/* The FIFO bound, with one slot kept for our page. */
	http_track_init(&t);
	for (i = 0; i < HTTP_TRACK_MAX - 1; i++)
		push(&t, 0, 0, 0, "c");
	assert_true(http_track_full(&t));
	assert_int_equal(http_track_push_local(&t, strdup("P"), 1), BURROW_OK);
	http_track_free(&t);
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
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_identity_lookalikes),
		cmocka_unit_test(test_repeated_tokens),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_response_parse),
		cmocka_unit_test(test_track),
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests_name("edge_http", tests, NULL, NULL);
}
