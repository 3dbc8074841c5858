/*
 * base64.c: base64url over OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/base64.h"
#include "common/error.h"

char *
base64url_encode(const void *data, size_t len)
{
	char *out;
	size_t i, n;

	if (len > (size_t)1 << 28)
		return NULL;
	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	/* RFC 7515 section 2: the URL-safe alphabet with the padding removed. */
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

int
base64url_decode(const char *in, uint8_t **out, size_t *outlen)
{
	char *std = NULL;
	uint8_t *buf = NULL;
	size_t len, i, padded, pad;
	int n, rc = BURROW_ERR_INVALID;

	*out = NULL;
	*outlen = 0;
	len = strlen(in);
	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1 || len > (size_t)1 << 28)
		goto out;
	padded = (len + 3) / 4 * 4;
	pad = padded - len;
	if ((std = malloc(padded + 1)) == NULL ||
	    (buf = malloc(padded / 4 * 3 + 1)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			goto out;
		std[i] = c;
	}
	memset(std + len, '=', pad);
	std[padded] = '\0';
	n = padded == 0 ? 0 : EVP_DecodeBlock(buf, (unsigned char *)std, (int)padded);
	if (n < 0 || (size_t)n < pad)
		goto out;
	*outlen = (size_t)n - pad;
	buf[*outlen] = '\0';
	*out = buf;
	buf = NULL;
	rc = BURROW_OK;
out:
	free(std);
	free(buf);
	return rc;
}
