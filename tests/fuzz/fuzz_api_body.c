/*
 * fuzz_api_body.c: burrow-api's request-body parsers (api/body.c) on
 * arbitrary bytes.  The first byte picks the parser; whatever one accepts
 * must hold the promises api.h makes about its fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api.h"
#include "common/error.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* jansson seeds its hash from /dev/urandom otherwise: make check needs
	 * the same coverage on every run. */
	json_object_seed(1);
	return 0;
}

static void
check_tunnel(const char *body, size_t len)
{
	struct api_tunnel_req r;
	char err[256];

	if (api_body_tunnel(body, len, &r, err, sizeof(err)) != BURROW_OK)
		return;
	if (r.target_port == 0 || !netaddr_host_valid(r.target_host) ||
	    (r.sandbox[0] != '\0' && !api_sandbox_valid(r.sandbox)) ||
	    r.lease_seconds < 0 || r.lease_seconds > API_LEASE_MAX ||
	    (unsigned)r.kind > STORE_TUNNEL_TCP ||
	    (r.connect_token && r.kind == STORE_TUNNEL_TCP) ||
	    strlen(r.domain) > NAMES_MAX)
		abort();
}

static void
check_lease(const char *body, size_t len)
{
	char err[256];
	long lease;

	if (api_body_lease(body, len, &lease, err, sizeof(err)) == BURROW_OK &&
	    (lease < 1 || lease > API_LEASE_MAX))
		abort();
}

static void
check_token(const char *body, size_t len)
{
	struct api_token_req r;
	char err[256];

	if (api_body_token(body, len, &r, err, sizeof(err)) != BURROW_OK)
		return;
	if (r.ttl_seconds < 1 || r.ttl_seconds > API_TTL_MAX ||
	    strlen(r.metadata) > TOKEN_METADATA_MAX || r.metadata[0] != '{')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: check_tunnel(body, size - 1); break;
	case 1: check_lease(body, size - 1); break;
	default: check_token(body, size - 1); break;
	}
	return 0;
}
