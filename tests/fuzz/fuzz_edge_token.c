/*
 * fuzz_edge_token.c: connect-token verification (and base64url decoding)
 * on arbitrary input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/error.h"
#include "tunnels/token.h"

static struct token_key key = { "fuzzkey", "0123456789abcdef0123456789abcdef", 32 };

static const struct token_key *
lookup(const char *kid, void *ctx)
{
	(void)ctx;
	return strcmp(kid, key.id) == 0 ? &key : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_claims c;
	unsigned char bin[4096];
	size_t n;

	(void)token_verify((const char *)data, size, lookup, NULL, 1000, &c);
	if (base64url_decode((const char *)data, size, bin, sizeof(bin), &n) == BURROW_OK &&
	    n > sizeof(bin))
		abort();
	return 0;
}
