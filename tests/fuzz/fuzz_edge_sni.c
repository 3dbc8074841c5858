/*
 * fuzz_edge_sni.c: the server_name extension parser on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tunnels/sni.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[NAMES_MAX + 1];

	if (sni_parse(data, size, out) == BURROW_OK && strlen(out) > NAMES_MAX)
		abort();
	return 0;
}
