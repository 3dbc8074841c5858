/*
 * fixed_rand.h: for fuzz targets only.  fixed_rand_install() makes OpenSSL's
 * RAND_bytes() return a fixed stream in this process, so a per-process random
 * seed (zone_index's hash seed) cannot change which paths an input covers:
 * with a fixed libFuzzer -seed, `make check` then runs the same inputs on
 * every clone (tests/fuzz/README).  Call it before the code under test first
 * asks for random bytes.
 */
#ifndef BURROW_FUZZ_FIXED_RAND_H
#define BURROW_FUZZ_FIXED_RAND_H

#include <stdint.h>
#include <stdlib.h>

#include <openssl/rand.h>

/* splitmix64: any fixed sequence will do; this one is short and well mixed. */
static int
fixed_rand_bytes(unsigned char *buf, int num)
{
	static uint64_t state = 0x9e3779b97f4a7c15u;

	for (int i = 0; i < num; i++) {
		uint64_t z = (state += 0x9e3779b97f4a7c15u);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 1;
}

static int
fixed_rand_status(void)
{
	return 1;
}

/* RAND_set_rand_method() is deprecated in OpenSSL 3 but is still the one call
 * that replaces RAND_bytes() for the whole process without a provider. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void
fixed_rand_install(void)
{
	static const RAND_METHOD fixed = {
		NULL, fixed_rand_bytes, NULL, NULL, fixed_rand_bytes, fixed_rand_status,
	};

	if (RAND_set_rand_method(&fixed) != 1)
		abort();
}
#pragma GCC diagnostic pop

#endif
