/*
 * token.c: connect-token signing and verification (see token.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"
#include "common/error.h"
#include "tunnels/token.h"

#define MAC_LEN 32
#define PAYLOAD_MAX 1024

int
token_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static int
kid_valid(const char *kid, size_t len)
{
	size_t i;

	if (len == 0 || len > TOKEN_KID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (kid[i] == '.' || !token_char((unsigned char)kid[i]))
			return 0;
	return 1;
}

int
token_metadata_canonical(const char *json, char out[TOKEN_METADATA_MAX + 1])
{
	json_error_t jerr;
	json_t *v = NULL;
	char *s = NULL;
	int rc = BURROW_ERR_INVALID;

	if (json == NULL || json[0] == '\0')
		json = "{}";
	if ((v = json_loads(json, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(v))
		goto out;
	if ((s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if (strlen(s) > TOKEN_METADATA_MAX) {
		rc = BURROW_ERR_LIMIT;
		goto out;
	}
	memcpy(out, s, strlen(s) + 1);
	rc = BURROW_OK;
out:
	free(s);
	json_decref(v);
	return rc;
}

static int
mac(const struct token_key *key, const char *msg, size_t len, unsigned char out[MAC_LEN])
{
	unsigned int n = 0;

	if (HMAC(EVP_sha256(), key->secret, (int)key->len, (const unsigned char *)msg, len,
	    out, &n) == NULL || n != MAC_LEN)
		return BURROW_ERR_CRYPTO;
	return BURROW_OK;
}

int
token_create(const struct token_key *key, const char *host, int64_t expires,
             const char *metadata, char *out, size_t outsz)
{
	char payload_b64[BASE64URL_LEN(PAYLOAD_MAX) + 1];
	char mac_b64[BASE64URL_LEN(MAC_LEN) + 1];
	unsigned char sig[MAC_LEN];
	json_t *obj = NULL, *md = NULL;
	char *payload = NULL;
	size_t n, plen;
	int rc = BURROW_ERR_INVALID;

	if (!kid_valid(key->id, strlen(key->id)) || key->len == 0 || host == NULL ||
	    host[0] == '\0' || strlen(host) > NAMES_MAX)
		goto out;
	if ((md = json_loads(metadata != NULL ? metadata : "{}", 0, NULL)) == NULL ||
	    !json_is_object(md))
		goto out;
	obj = json_pack("{s:s, s:I, s:O}", "h", host, "e", (json_int_t)expires, "m", md);
	if (obj == NULL || (payload = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	plen = strlen(payload);
	if (plen > PAYLOAD_MAX) {
		rc = BURROW_ERR_LIMIT;
		goto out;
	}
	if ((rc = base64url_encode(payload, plen, payload_b64, sizeof(payload_b64), NULL)) != BURROW_OK)
		goto out;
	n = (size_t)snprintf(out, outsz, "%s.%s", key->id, payload_b64);
	if (n >= outsz) {
		rc = BURROW_ERR_LIMIT;
		goto out;
	}
	if ((rc = mac(key, out, n, sig)) != BURROW_OK)
		goto out;
	if ((rc = base64url_encode(sig, sizeof(sig), mac_b64, sizeof(mac_b64), NULL)) != BURROW_OK)
		goto out;
	if ((size_t)snprintf(out + n, outsz - n, ".%s", mac_b64) >= outsz - n) {
		rc = BURROW_ERR_LIMIT;
		goto out;
	}
	rc = BURROW_OK;
out:
	if (rc != BURROW_OK && outsz > 0)
		out[0] = '\0';
	free(payload);
	json_decref(obj);
	json_decref(md);
	return rc;
}

/* Reads the claims from the verified payload JSON. */
static int
claims_from_json(const unsigned char *payload, size_t len, struct token_claims *out)
{
	json_t *v, *h, *e, *m;
	char *md = NULL;
	int rc = BURROW_ERR_INVALID;

	if ((v = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return BURROW_ERR_INVALID;
	h = json_object_get(v, "h");
	e = json_object_get(v, "e");
	m = json_object_get(v, "m");
	if (!json_is_string(h) || !json_is_integer(e) || !json_is_object(m) ||
	    json_string_length(h) > NAMES_MAX)
		goto out;
	if ((md = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)) == NULL ||
	    strlen(md) > TOKEN_METADATA_MAX)
		goto out;
	memcpy(out->host, json_string_value(h), json_string_length(h) + 1);
	out->expires = (int64_t)json_integer_value(e);
	memcpy(out->metadata, md, strlen(md) + 1);
	rc = BURROW_OK;
out:
	free(md);
	json_decref(v);
	return rc;
}

int
token_verify(const char *tok, size_t len, token_key_lookup lookup, void *ctx,
             int64_t now, struct token_claims *out)
{
	unsigned char want[MAC_LEN], got[MAC_LEN + 3];
	unsigned char payload[PAYLOAD_MAX + 3];
	char kid[TOKEN_KID_MAX + 1];
	const struct token_key *key;
	const char *dot1, *dot2;
	size_t n, plen;
	int rc;

	if (tok == NULL || len == 0 || len > TOKEN_MAX)
		return BURROW_ERR_INVALID;
	if ((dot1 = memchr(tok, '.', len)) == NULL)
		return BURROW_ERR_INVALID;
	if ((dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok))) == NULL)
		return BURROW_ERR_INVALID;
	if (!kid_valid(tok, (size_t)(dot1 - tok)))
		return BURROW_ERR_INVALID;
	memcpy(kid, tok, (size_t)(dot1 - tok));
	kid[dot1 - tok] = '\0';
	rc = base64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - tok), got, sizeof(got), &n);
	if (rc != BURROW_OK || n != MAC_LEN)
		return BURROW_ERR_INVALID;
	if ((key = lookup(kid, ctx)) == NULL)
		return BURROW_ERR_NOTFOUND;
	if ((rc = mac(key, tok, (size_t)(dot2 - tok), want)) != BURROW_OK)
		return rc;
	/* Constant time, so the time taken says nothing about how many
	 * leading bytes of a forged MAC were right. */
	if (CRYPTO_memcmp(want, got, MAC_LEN) != 0)
		return BURROW_ERR_REFUSED;
	rc = base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload, sizeof(payload), &plen);
	if (rc != BURROW_OK)
		return BURROW_ERR_INVALID;
	if ((rc = claims_from_json(payload, plen, out)) != BURROW_OK)
		return rc;
	if (out->expires <= now)
		return BURROW_ERR_LIMIT;
	return BURROW_OK;
}
