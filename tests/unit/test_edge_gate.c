/*
 * test_edge_gate.c: the connect-token gate (gate.h) over whole client
 * byte streams: keep-alive and pipelined requests, bodies by length and
 * chunked, upgrades, every refusal, and the same verdict however the
 * stream is split into reads.  Every stream the gate lets through is read
 * back as the container would read it: each head must parse and carry
 * exactly one X-Verified-User-Data, ours.
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
#include "tunnels/gate.h"
#include "tunnels/http_body.h"
#include "tunnels/http_head.h"

#define HOST "abc.w.modal.host"
#define NOW 1000
#define MD "{\"user\":\"u1\"}"

static struct token_key key = { "key1", "0123456789abcdef0123456789abcdef", 32 };
static char tok[TOKEN_MAX + 1], tok_b[TOKEN_MAX + 1], expired[TOKEN_MAX + 1],
    other_host[TOKEN_MAX + 1];

static const struct token_key *
lookup(const char *kid, void *ctx)
{
	(void)ctx;
	return strcmp(kid, key.id) == 0 ? &key : NULL;
}

static int
setup(void **state)
{
	(void)state;
	if (token_create(&key, HOST, NOW + 3600, MD, tok, sizeof(tok)) != BURROW_OK ||
	    token_create(&key, HOST, NOW + 3600, "{\"user\":\"u2\"}", tok_b, sizeof(tok_b)) != BURROW_OK ||
	    token_create(&key, HOST, NOW - 1, MD, expired, sizeof(expired)) != BURROW_OK ||
	    token_create(&key, "zzz.w.modal.host", NOW + 3600, MD, other_host,
	    sizeof(other_host)) != BURROW_OK)
		return -1;
	return 0;
}

/* What came out of one run of the gate over a stream. */
struct run {
	char *fwd;                 /* bytes for the container */
	size_t fwdlen;
	char *page;                /* our refusal, or NULL */
	int status;
	const char *reason;
	int passes, cookies;
	enum gate_state end;
};

static void
run_free(struct run *r)
{
	free(r->fwd);
	free(r->page);
	memset(r, 0, sizeof(*r));
}

static void
emit(struct run *r, const char *p, size_t n)
{
	r->fwd = realloc(r->fwd, r->fwdlen + n + 1);
	assert_non_null(r->fwd);
	memcpy(r->fwd + r->fwdlen, p, n);
	r->fwdlen += n;
	r->fwd[r->fwdlen] = '\0';
}

/* One gate step on s[*off..have); 0 to go on, 1 to wait for more, 2 at the
 * end.  answer: what the upgrade's response says (-1: it has not come). */
static int
step(struct gate *g, const char *s, size_t *off, size_t have, int answer, struct run *r)
{
	struct gate_out out;

	switch (gate_next(g, s + *off, have - *off, NOW, &out)) {
	case GATE_WAIT:
		return 1;
	case GATE_HOLD:
		if (answer < 0)
			return 1;
		gate_upgrade_answered(g, answer);
		return 0;
	case GATE_FORWARD:
		emit(r, s + *off, out.used);
		*off += out.used;
		break;
	case GATE_PASS:
		emit(r, out.data, out.len);
		free(out.data);
		r->cookies += out.req.cookie != NULL;
		free(out.req.cookie);
		r->passes++;
		*off += out.used;
		break;
	case GATE_DENY:
		r->page = out.data;
		r->status = out.status;
		r->reason = out.reason;
		return 2;
	case GATE_DISCARD:
		*off += out.used;
		break;
	}
	return *off == have ? 1 : 0;
}

/* Feeds s to a fresh gate: the first `first` bytes, then `chunk` bytes at
 * a time (0: all the rest at once). */
static void
run(const char *s, size_t len, size_t first, size_t chunk, int answer, struct run *r)
{
	struct gate g;
	size_t off = 0, have = first < len ? first : len;
	int st;

	memset(r, 0, sizeof(*r));
	emit(r, "", 0);
	gate_init(&g, HOST, lookup, NULL);
	for (;;) {
		while ((st = step(&g, s, &off, have, answer, r)) == 0)
			;
		if (st == 2 || have == len)
			break;
		have = chunk == 0 || have + chunk > len ? len : have + chunk;
	}
	r->end = g.state;
}

/* The container's reading of fwd: every head parses, has exactly one
 * identity field (any spelling), ours, and no token.  Returns the number
 * of heads. */
static int
container_reads(const struct run *r, const char *md)
{
	struct http_head h;
	struct http_body b;
	size_t off = 0, n;
	int heads = 0, i, ids;

	while (off < r->fwdlen) {
		assert_int_equal(http_head_parse(r->fwd + off, r->fwdlen - off, &h), BURROW_OK);
		for (i = 0, ids = 0; i < h.nheaders; i++) {
			if (!http_name_is_identity(h.headers[i].name.p, h.headers[i].name.len))
				continue;
			ids++;
			assert_int_equal(h.headers[i].value.len, strlen(md));
			assert_memory_equal(h.headers[i].value.p, md, strlen(md));
		}
		assert_int_equal(ids, 1);
		assert_null(memmem(r->fwd + off, h.len, "_modal_connect_token", 20));
		assert_null(memmem(r->fwd + off, h.len, tok, strlen(tok)));
		heads++;
		off += h.len;
		if (h.upgrade)
			break;   /* then WebSocket bytes */
		http_body_start(&b, h.body, h.content_length, 1);
		while (!http_body_done(&b) && off < r->fwdlen) {
			assert_int_equal(http_body_next(&b, r->fwd + off, r->fwdlen - off, &n),
			    HTTP_BODY_MOVE);
			off += n;
		}
	}
	return heads;
}

/* The same result for the stream whole, split once at every byte, and fed
 * one byte at a time. */
static void
same_every_split(const char *s, int answer)
{
	struct run whole, part;
	size_t len = strlen(s), k;

	run(s, len, len, 0, answer, &whole);
	for (k = 0; k <= len + 1; k++) {
		run(s, len, k <= len ? k : 1, k <= len ? 0 : 1, answer, &part);
		assert_int_equal(part.fwdlen, whole.fwdlen);
		assert_memory_equal(part.fwd, whole.fwd, whole.fwdlen);
		assert_int_equal(part.status, whole.status);
		assert_int_equal(part.passes, whole.passes);
		assert_int_equal(part.end, whole.end);
		run_free(&part);
	}
	run_free(&whole);
}

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	assert_true(vasprintf(&s, f, ap) >= 0);
	va_end(ap);
	return s;
}

static void
test_pass_rewrite(void **state)
{
	struct run r;
	char *s = fmt("GET /p?_modal_connect_token=%s&a=1 HTTP/1.1\r\nHost: h\r\n"
	    "X_Verified_User_Data: forged\r\nx-verified-user-data: forged\r\n\r\n", tok);

	(void)state;
	run(s, strlen(s), strlen(s), 0, -1, &r);
	assert_int_equal(r.passes, 1);
	assert_int_equal(r.cookies, 1);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.fwd, "GET /p?a=1 HTTP/1.1\r\nHost: h\r\nX-Verified-User-Data: " MD
	    "\r\n\r\n");
	assert_int_equal(r.end, GATE_AT_HEAD);
	assert_int_equal(container_reads(&r, MD), 1);
	run_free(&r);
	free(s);
}

static void
test_refusals(void **state)
{
	struct {
		const char *fmt;
		int status;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 401 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n", -1 },  /* expired */
		{ "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n", -2 },  /* other host */
		{ "G ?_modal_connect_token=2 HTTP/1.1\r\nHost:\r\n\r\n", 400 },           /* fuzz crash */
		{ "GET /?_modal_connect_token=%s&_modal_connect_token=x HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n"
		  "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nAuthorization: Bearer %s\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket, h2c\r\nConnection: Upgrade\r\n"
		  "Authorization: Bearer %s\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nAuthorization: Bearer %s\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
		  "Content-Length: 3\r\nAuthorization: Bearer %s\r\n\r\nabc", 400 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
		  "Authorization: Bearer %s\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n"
		  "Authorization: Bearer %s\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
		  "Authorization: Bearer %s\r\n\r\n", 400 },
		{ "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, identity\r\n"
		  "Authorization: Bearer %s\r\n\r\n", 400 },
		{ "CONNECT h:443 HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n", 400 },
	};
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *t = cases[i].status == -1 ? expired : cases[i].status == -2 ? other_host : tok;
		char *s = fmt(cases[i].fmt, t);
		run(s, strlen(s), strlen(s), 0, 1, &r);
		assert_int_equal(r.passes, 0);
		assert_int_equal(r.fwdlen, 0);
		assert_int_equal(r.status, cases[i].status < 0 ? 401 : cases[i].status);
		assert_non_null(r.page);
		assert_non_null(strstr(r.page, "Connection: close\r\n"));
		assert_int_equal(r.end, GATE_ENDED);
		if (cases[i].status == -1)
			assert_non_null(strstr(r.reason, "expired"));
		run_free(&r);
		free(s);
	}
}

/* A tokened request and, in the same write, one without a token that
 * forges the identity: the second never reaches the container. */
static void
test_pipelined_forgery(void **state)
{
	struct run r;
	char *s = fmt("GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: h\r\nX-Verified-User-Data: {\"user\":\"admin\"}\r\n\r\n", tok);

	(void)state;
	run(s, strlen(s), strlen(s), 0, -1, &r);
	assert_int_equal(r.passes, 1);
	assert_int_equal(r.status, 401);
	assert_null(strstr(r.fwd, "admin"));
	assert_null(strstr(r.fwd, "GET /b"));
	assert_int_equal(container_reads(&r, MD), 1);
	run_free(&r);
	same_every_split(s, -1);
	free(s);
}

/* Keep-alive: two tokened requests, each with its own identity. */
static void
test_keepalive(void **state)
{
	struct run r;
	char *s = fmt("GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: h\r\nCookie: _modal_connect_token=%s\r\n\r\n"
	    "GET /c HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n", tok, tok, tok_b);

	(void)state;
	run(s, strlen(s), strlen(s), 0, -1, &r);
	assert_int_equal(r.passes, 3);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.fwd, "GET /c HTTP/1.1\r\nHost: h\r\nX-Verified-User-Data: "
	    "{\"user\":\"u2\"}\r\n\r\n"));
	run_free(&r);
	same_every_split(s, -1);
	free(s);
}

/* Bodies are framed: what looks like a head inside one is data, and the
 * head after one is checked. */
static void
test_bodies(void **state)
{
	struct run r;
	char *s = fmt("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Authorization: Bearer %s\r\n\r\n"
	    "1c;name=\"v\"\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n\r\n0\r\nX-Sum: 1\r\n\r\n"
	    "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 28\r\nAuthorization: Bearer %s\r\n\r\n"
	    "GET /y HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET /z HTTP/1.1\r\nHost: h\r\n\r\n", tok, tok);

	(void)state;
	run(s, strlen(s), strlen(s), 0, -1, &r);
	assert_int_equal(r.passes, 2);
	assert_int_equal(r.status, 401);    /* /z has no token */
	assert_non_null(strstr(r.fwd, "GET /y"));   /* as body bytes */
	assert_null(strstr(r.fwd, "GET /z"));
	assert_int_equal(container_reads(&r, MD), 2);
	run_free(&r);
	same_every_split(s, -1);
	free(s);
}

static void
test_bad_bodies(void **state)
{
	static const char *bodies[] = {
		"10000000000000000\r\n",            /* chunk-size overflow */
		"5\nhello\r\n0\r\n\r\n",            /* bare LF */
		"0\r\nX-Verified-User-Data: {\"user\":\"admin\"}\r\n\r\n",
		"0\r\nX_VERIFIED_USER_DATA: x\r\n\r\n",
		"0\r\nX-A: 1\r\n x\r\n\r\n",        /* obs-fold */
	};
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char *s = fmt("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
		    "Authorization: Bearer %s\r\n\r\n%sGET / HTTP/1.1\r\nHost: h\r\n"
		    "Authorization: Bearer %s\r\n\r\n", tok, bodies[i], tok);
		run(s, strlen(s), strlen(s), 0, -1, &r);
		assert_int_equal(r.passes, 1);
		assert_int_equal(r.status, 400);
		assert_null(strstr(r.fwd, "admin"));
		assert_null(strstr(r.fwd, "X_VERIFIED"));
		run_free(&r);
		same_every_split(s, -1);
		free(s);
	}
}

static void
test_limits(void **state)
{
	struct run r;
	char *big = malloc(HTTP_HEAD_MAX + 200), *s;
	size_t n;

	(void)state;
	/* Over the limit before the end of the head is even there. */
	n = (size_t)snprintf(big, 200, "GET / HTTP/1.1\r\nHost: h\r\n");
	while (n < HTTP_HEAD_MAX + 100) {
		memcpy(big + n, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 44);
		n += 44;
	}
	run(big, n, n, 0, -1, &r);
	assert_int_equal(r.status, 431);
	run_free(&r);
	run(big, n, 1000, 4096, -1, &r);
	assert_int_equal(r.status, 431);
	run_free(&r);
	free(big);
	/* Many requests pipelined: each one checked, no limit on the count
	 * here (the relay bounds how many wait for responses). */
	s = fmt("GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer %s\r\n\r\n", tok);
	n = strlen(s);
	big = malloc(n * 40 + 1);
	for (int i = 0; i < 40; i++)
		memcpy(big + i * n, s, n);
	run(big, n * 40, n * 40, 0, -1, &r);
	assert_int_equal(r.passes, 40);
	run_free(&r);
	free(big);
	free(s);
}

/* HTTP/1.0 and Connection: close end the request stream: the container
 * is told, and nothing after the request is sent on. */
static void
test_close(void **state)
{
	struct run r;
	char *s = fmt("GET / HTTP/1.0\r\nAuthorization: Bearer %s\r\nConnection: keep-alive\r\n\r\n"
	    "GET /x HTTP/1.0\r\nX-Verified-User-Data: forged\r\n\r\n", tok);

	(void)state;
	run(s, strlen(s), strlen(s), 0, -1, &r);
	assert_int_equal(r.passes, 1);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.end, GATE_ENDED);
	assert_string_equal(r.fwd, "GET / HTTP/1.0\r\nConnection: close\r\nX-Verified-User-Data: "
	    MD "\r\n\r\n");
	run_free(&r);
	same_every_split(s, -1);
	free(s);
	s = fmt("POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 2\r\n"
	    "Authorization: Bearer %s\r\n\r\nhiGET /x HTTP/1.1\r\n\r\n", tok);
	run(s, strlen(s), strlen(s), 0, -1, &r);
	assert_int_equal(r.passes, 1);
	assert_int_equal(r.end, GATE_ENDED);
	assert_int_equal(container_reads(&r, MD), 1);
	assert_null(strstr(r.fwd, "GET /x"));
	run_free(&r);
	free(s);
}

static void
test_expect_continue(void **state)
{
	struct run r;
	char *s = fmt("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n"
	    "Authorization: Bearer %s\r\n\r\nhello", tok);

	(void)state;
	run(s, strlen(s), strlen(s), 0, -1, &r);
	assert_int_equal(r.passes, 1);
	assert_non_null(strstr(r.fwd, "Expect: 100-continue\r\n"));
	assert_non_null(strstr(r.fwd, "\r\n\r\nhello"));
	assert_int_equal(r.end, GATE_AT_HEAD);
	run_free(&r);
	same_every_split(s, -1);
	free(s);
}

/* After a WebSocket upgrade request nothing moves until its response:
 * 101 lets the frames through raw, anything else ends the stream. */
static void
test_websocket(void **state)
{
	struct run r;
	char *s = fmt("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	    "Authorization: Bearer %s\r\n\r\nGET /evil HTTP/1.1\r\nHost: h\r\n\r\n", tok);

	(void)state;
	run(s, strlen(s), strlen(s), 0, -1, &r);
	assert_int_equal(r.passes, 1);
	assert_int_equal(r.end, GATE_HELD);
	assert_null(strstr(r.fwd, "/evil"));
	assert_non_null(strstr(r.fwd, "Connection: Upgrade\r\nX-Verified-User-Data: " MD));
	run_free(&r);
	run(s, strlen(s), strlen(s), 0, 1, &r);
	assert_int_equal(r.end, GATE_SWITCHED);
	assert_non_null(strstr(r.fwd, "\r\n\r\nGET /evil"));   /* WebSocket bytes now */
	run_free(&r);
	run(s, strlen(s), strlen(s), 0, 0, &r);
	assert_int_equal(r.end, GATE_ENDED);
	assert_null(strstr(r.fwd, "/evil"));
	assert_int_equal(r.status, 0);
	run_free(&r);
	same_every_split(s, -1);
	same_every_split(s, 0);
	same_every_split(s, 1);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_rewrite),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_pipelined_forgery),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_websocket),
	};

	return cmocka_run_group_tests_name("edge_gate", tests, setup, NULL);
}
