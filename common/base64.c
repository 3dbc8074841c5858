/*
 * base64.c: base64url (RFC 4648 section 5) and padded standard base64
 * (section 4) on top of EVP_EncodeBlock and EVP_DecodeBlock, which speak
 * the standard alphabet with padding.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/base64.h"
#include "common/error.h"

int
base64url_encode(const void *in, size_t len, char *out, size_t outsz, size_t *outlen)
{
	size_t n, i;

	if (BASE64URL_LEN(len) + 1 > outsz || len > 0x3fffffff)
		return BURROW_ERR_LIMIT;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	if (outlen != NULL)
		*outlen = n;
	return BURROW_OK;
}

int
base64url_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
                 size_t *outlen)
{
	unsigned char *tmp = NULL;
	size_t padded, i, pad;
	int n, rc = BURROW_ERR_INVALID;

	/* A remainder of one character cannot encode a whole byte. */
	if (len % 4 == 1 || len > 0x3fffffff)
		return BURROW_ERR_INVALID;
	pad = (4 - len % 4) % 4;
	padded = len + pad;
	if (padded / 4 * 3 - pad > outsz)
		return BURROW_ERR_LIMIT;
	if ((tmp = malloc(padded + padded / 4 * 3 + 1)) == NULL)
		return BURROW_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		char c = in[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			goto out;
		tmp[i] = (unsigned char)c;
	}
	memset(tmp + len, '=', pad);
	/* EVP_DecodeBlock counts padding as zero bytes: drop them after. */
	n = EVP_DecodeBlock(tmp + padded, tmp, (int)padded);
	if (n < 0 || (size_t)n < pad)
		goto out;
	memcpy(out, tmp + padded, (size_t)n - pad);
	*outlen = (size_t)n - pad;
	rc = BURROW_OK;
out:
	free(tmp);
	return rc;
}

int
base64_encode(const void *in, size_t len, char *out, size_t outsz, size_t *outlen)
{
	int n;

	if (BASE64_LEN(len) + 1 > outsz || len > 0x3fffffff)
		return BURROW_ERR_LIMIT;
	n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	if (outlen != NULL)
		*outlen = (size_t)n;
	return BURROW_OK;
}

int
base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
              size_t *outlen)
{
	unsigned char *tmp = NULL;
	char *check = NULL;
	size_t pad = 0, n;
	int got, rc = BURROW_ERR_INVALID;

	if (len == 0 || len % 4 != 0 || len > 0x3fffffff)
		return BURROW_ERR_INVALID;
	while (pad < 2 && in[len - 1 - pad] == '=')
		pad++;
	if (len / 4 * 3 - pad > outsz)
		return BURROW_ERR_LIMIT;
	if ((tmp = malloc(len / 4 * 3 + 1)) == NULL || (check = malloc(len + 1)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	/* EVP_DecodeBlock counts padding as zero bytes and skips blanks;
	 * encoding the bytes again and comparing refuses every other
	 * spelling. */
	got = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len);
	if (got < 0 || (size_t)got != len / 4 * 3)
		goto out;
	n = (size_t)got - pad;
	EVP_EncodeBlock((unsigned char *)check, tmp, (int)n);
	if (memcmp(check, in, len) != 0)
		goto out;
	memcpy(out, tmp, n);
	*outlen = n;
	rc = BURROW_OK;
out:
	if (tmp != NULL)
		OPENSSL_cleanse(tmp, len / 4 * 3 + 1);   /* secrets pass through */
	free(tmp);
	free(check);
	return rc;
}
