/*
 * fuzz_edge_http_head.c: the edge's request-head parser, token lookup and
 * rewrite, and the response status reader, on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tunnels/http_head.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h;
	struct http_span tok;
	size_t n, line_end, head_end;
	char *out;
	int status;

	if (http_head_parse((const char *)data, size, &h) == BURROW_OK) {
		if (h.len > size)
			abort();
		(void)http_head_token(&h, &tok);
		if (tok.p != NULL && (tok.p < (const char *)data ||
		    tok.p + tok.len > (const char *)data + size))
			abort();
		out = malloc(h.len + 256);
		if (out != NULL && http_head_rewrite(&h, "{\"u\":1}", out, h.len + 256, &n) == BURROW_OK) {
			/* The rewritten head must itself be well formed (it may
			 * pass our field-count limit by the two it adds). */
			struct http_head again;
			int rc = http_head_parse(out, n, &again);
			if (rc == BURROW_ERR_PROTO || rc == BURROW_ERR_BUSY ||
			    (rc == BURROW_OK && again.len != n))
				abort();
		}
		free(out);
	}
	(void)http_response_status((const char *)data, size, &status, &line_end, &head_end);
	return 0;
}
