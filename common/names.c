#include <ctype.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/error.h"
#include "common/names.h"

static const char label_alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

int
names_random_label(char out[NAMES_LABEL_LEN + 1])
{
	/* 252 = 7 * 36: bytes at or above it would favour the first letters. */
	unsigned char pool[32];
	size_t have = 0, used = sizeof(pool);

	while (have < NAMES_LABEL_LEN) {
		if (used == sizeof(pool)) {
			if (RAND_bytes(pool, sizeof(pool)) != 1)
				return BURROW_ERR_CRYPTO;
			used = 0;
		}
		if (pool[used] < 252)
			out[have++] = label_alphabet[pool[used] % 36];
		used++;
	}
	out[NAMES_LABEL_LEN] = '\0';
	return BURROW_OK;
}

static int
label_valid(const char *label, size_t len, int allow_underscore)
{
	size_t i;

	if (len == 0 || len > 63)
		return 0;
	if (label[0] == '-' || label[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)label[i];
		if (isalnum(c) || c == '-')
			continue;
		if (c == '_' && i == 0 && allow_underscore)
			continue;
		return 0;
	}
	return 1;
}

int
names_canonical(const char *in, int allow_underscore, char out[NAMES_MAX + 1])
{
	size_t len, i, start = 0, labels = 0;

	if (in == NULL)
		return BURROW_ERR_INVALID;
	len = strlen(in);
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > NAMES_MAX)
		return BURROW_ERR_INVALID;
	for (i = 0; i <= len; i++) {
		if (i < len && in[i] != '.')
			continue;
		if (!label_valid(in + start, i - start, allow_underscore))
			return BURROW_ERR_INVALID;
		labels++;
		start = i + 1;
	}
	if (labels < 2)
		return BURROW_ERR_INVALID;
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[len] = '\0';
	return BURROW_OK;
}

int
names_in_zone(const char *name, const char *zone)
{
	size_t nlen = strlen(name), zlen = strlen(zone);

	if (nlen == zlen)
		return strcmp(name, zone) == 0;
	if (nlen < zlen + 1)
		return 0;
	return name[nlen - zlen - 1] == '.' && strcmp(name + nlen - zlen, zone) == 0;
}
