/*
 * fuzz_edge_gate.c: the connect-token gate over a whole client stream.
 *
 * Input: one byte of options (how the upgrade is answered, how the stream
 * is cut into reads), then the stream, in which "@T" stands for a valid
 * token for the tunnel (so mutations reach the code after verification).
 * The stream goes through a gate whole and through a second gate in reads
 * of varying sizes; both must send the container the same bytes and end
 * the same way.  Those bytes are then read as the container would: every
 * head parses, carries no token and exactly one X-Verified-User-Data, ours.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tunnels/gate.h"
#include "tunnels/http_body.h"
#include "tunnels/http_head.h"

#define HOST "abc.w.modal.host"
#define MD "{\"u\":\"fuzz\"}"
#define NOW 1000

static struct token_key key = { "k1", "0123456789abcdef0123456789abcdef", 32 };
static char tok[TOKEN_MAX + 1];

static const struct token_key *
lookup(const char *kid, void *ctx)
{
	(void)ctx;
	return strcmp(kid, key.id) == 0 ? &key : NULL;
}

struct result {
	char *fwd;
	size_t len, size;
	int status, passes;
	enum gate_state end;
};

static void
emit(struct result *r, const char *p, size_t n)
{
	if (r->len + n > r->size) {
		r->size = (r->len + n) * 2 + 64;
		if ((r->fwd = realloc(r->fwd, r->size)) == NULL)
			abort();
	}
	memcpy(r->fwd + r->len, p, n);
	r->len += n;
}

/* Runs s through a fresh gate, cut into reads as cuts says (0: whole). */
static void
run(const char *s, size_t len, unsigned cuts, int answer, struct result *r)
{
	struct gate g;
	struct gate_out out;
	size_t off = 0, have = 0, step = 1 + (cuts & 7) * 3;
	int done = 0;

	memset(r, 0, sizeof(*r));
	gate_init(&g, HOST, lookup, NULL);
	while (!done) {
		have = cuts == 0 || have + step > len ? len : have + step;
		step = step * 2 + 1;
		for (;;) {
			enum gate_action a = gate_next(&g, s + off, have - off, NOW, &out);
			if (a == GATE_WAIT || (a == GATE_HOLD && answer < 0))
				break;
			if (a == GATE_HOLD) {
				gate_upgrade_answered(&g, answer);
				continue;
			}
			if (out.used > have - off)
				abort();
			if (a == GATE_FORWARD)
				emit(r, s + off, out.used);
			if (a == GATE_PASS) {
				emit(r, out.data, out.len);
				r->passes++;
			}
			free(out.data);
			free(out.req.cookie);
			if (a == GATE_DENY) {
				r->status = out.status;
				done = 1;
				break;
			}
			off += out.used;
			if (off == have && a != GATE_PASS)
				break;
		}
		if (have == len)
			done = 1;
	}
	r->end = g.state;
}

/* The container's reading of what the gate sent. */
static void
container_reads(const struct result *r)
{
	struct http_head h;
	struct http_body b;
	struct http_span t;
	size_t off = 0, n;
	int i, ids, heads = 0;

	while (off < r->len) {
		if (http_head_parse(r->fwd + off, r->len - off, &h) != BURROW_OK)
			abort();
		for (i = 0, ids = 0; i < h.nheaders; i++) {
			const struct http_header *f = &h.headers[i];
			if (!http_name_is_identity(f->name.p, f->name.len))
				continue;
			if (f->value.len != strlen(MD) || memcmp(f->value.p, MD, f->value.len) != 0)
				abort();
			ids++;
		}
		if (ids != 1 || http_head_token(&h, &t) != HTTP_TOKEN_NONE)
			abort();
		heads++;
		off += h.len;
		if (h.upgrade)
			return;   /* WebSocket bytes follow, if it switched */
		http_body_start(&b, h.body, h.content_length, 1);
		while (!http_body_done(&b) && off < r->len) {
			if (http_body_next(&b, r->fwd + off, r->len - off, &n) != HTTP_BODY_MOVE)
				abort();
			off += n;
		}
	}
	if (heads != r->passes)
		abort();
}

/* The stream with every "@T" replaced by the token. */
static char *
expand(const uint8_t *data, size_t size, size_t *len)
{
	size_t i, tl = strlen(tok), n = 0;
	char *s = malloc(size * (tl + 1) + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < size; i++) {
		if (data[i] == '@' && i + 1 < size && data[i + 1] == 'T') {
			memcpy(s + n, tok, tl);
			n += tl;
			i++;
		} else {
			s[n++] = (char)data[i];
		}
	}
	*len = n;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, cut;
	size_t len;
	char *s;
	int answer;

	if (tok[0] == '\0' && token_create(&key, HOST, NOW + 60, MD, tok, sizeof(tok)) != BURROW_OK)
		abort();
	if (size < 1)
		return 0;
	answer = (data[0] & 0x30) == 0 ? -1 : (data[0] & 0x30) == 0x10 ? 0 : 1;
	s = expand(data + 1, size - 1, &len);
	run(s, len, 0, answer, &whole);
	run(s, len, 1u + (data[0] & 0x0f), answer, &cut);
	if (whole.len != cut.len || (whole.len > 0 && memcmp(whole.fwd, cut.fwd, whole.len) != 0) ||
	    whole.status != cut.status || whole.passes != cut.passes || whole.end != cut.end)
		abort();
	if (whole.end != GATE_SWITCHED)
		container_reads(&whole);
	free(whole.fwd);
	free(cut.fwd);
	free(s);
	return 0;
}
