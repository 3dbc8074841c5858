/*
 * fuzz_edge_http_head.c: the edge's request-head parser, token lookup and
 * rewrite, the response head and trailer parsers, the body framer and the
 * response tracker, on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tunnels/http_body.h"
#include "tunnels/http_head.h"
#include "tunnels/http_track.h"

#define MD "{\"u\":1}"

/* The rewritten head must read back, by the same rules, as a head with
 * no token, exactly one identity field (ours) and the same framing; only
 * the limits may be crossed by the fields we add. */
static void
check_rewrite(const struct http_head *h)
{
	struct http_head again;
	struct http_span tok;
	size_t n, outsz = h->len + 256;
	char *out = malloc(outsz);
	int rc, i, ids = 0;

	if (out == NULL || http_head_rewrite(h, MD, out, outsz, &n) != BURROW_OK) {
		free(out);
		return;
	}
	rc = http_head_parse(out, n, &again);
	if (rc == BURROW_ERR_LIMIT) {
		free(out);
		return;
	}
	if (rc != BURROW_OK || again.len != n)
		abort();
	for (i = 0; i < again.nheaders; i++) {
		const struct http_header *f = &again.headers[i];
		if (!http_name_is_identity(f->name.p, f->name.len))
			continue;
		if (f->value.len != strlen(MD) || memcmp(f->value.p, MD, f->value.len) != 0)
			abort();
		ids++;
	}
	if (ids != 1 || http_head_token(&again, &tok) != HTTP_TOKEN_NONE ||
	    again.body != h->body || again.content_length != h->content_length ||
	    again.upgrade != h->upgrade || again.is_head != h->is_head ||
	    (!h->upgrade && again.close != h->close))
		abort();
	free(out);
}

/* The body framer and the tracker never claim bytes they were not shown. */
static void
frame_all(const uint8_t *data, size_t size)
{
	struct http_body b;
	struct http_track t;
	struct http_track_out o;
	struct gate_request r;
	size_t off = 0, n;
	int i, steps = 0;

	http_body_start(&b, size > 0 && (data[0] & 1) ? HTTP_BODY_CHUNKED : HTTP_BODY_LENGTH,
	    size, 1);
	while (off < size && http_body_next(&b, (const char *)data + off, size - off, &n) ==
	    HTTP_BODY_MOVE) {
		if (n == 0 || n > size - off)
			abort();
		off += n;
	}
	http_track_init(&t);
	for (i = 0; i < 4; i++) {
		memset(&r, 0, sizeof(r));
		r.is_head = size > 1 && (data[1] >> i & 1);
		r.upgrade = size > 2 && (data[2] >> i & 1);
		r.close = size > 3 && (data[3] >> i & 1);
		if (http_track_push(&t, &r) != BURROW_OK)
			abort();
	}
	for (off = 0; off <= size && steps++ < 10000;) {
		enum http_track_action a = http_track_next(&t, (const char *)data + off, size - off, &o);
		if (a == HTTP_TRACK_WAIT || a == HTTP_TRACK_BAD || a == HTTP_TRACK_DISCARD)
			break;
		if (o.used > size - off || o.line_end > o.used)
			abort();
		free(o.cookie);
		free(o.local);
		off += o.used;
	}
	http_track_free(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h;
	struct http_response resp;
	struct http_span tok;
	size_t line_end, head_end, n;
	int status;

	if (http_head_parse((const char *)data, size, &h) == BURROW_OK) {
		if (h.len > size)
			abort();
		(void)http_head_token(&h, &tok);
		if (tok.p != NULL && (tok.p < (const char *)data ||
		    tok.p + tok.len > (const char *)data + size))
			abort();
		check_rewrite(&h);
	}
	(void)http_response_status((const char *)data, size, &status, &line_end, &head_end);
	if (http_response_parse((const char *)data, size, &resp) == BURROW_OK &&
	    (resp.len > size || resp.line_end > resp.len))
		abort();
	if (http_trailer_parse((const char *)data, size, 1, &n) == BURROW_OK && n > size)
		abort();
	frame_all(data, size);
	return 0;
}
