/*
 * jws.c: account and certificate keys, JWK, and the JWS signatures ACME is
 * made of (RFC 7515, RFC 7518, RFC 7638, RFC 8555 section 6.2).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "acme/acme.h"
#include "common/base64.h"
#include "common/error.h"

char *
acme_b64(const void *data, size_t len)
{
	size_t sz;
	char *out;

	if (len > 0x3fffffff)
		return NULL;
	sz = BASE64URL_LEN(len) + 1;
	if ((out = malloc(sz)) == NULL)
		return NULL;
	if (base64url_encode(data, len, out, sz, NULL) != BURROW_OK) {
		free(out);
		return NULL;
	}
	return out;
}

int
acme_b64_decode(const char *in, uint8_t **out, size_t *outlen)
{
	size_t len = strlen(in), cap = len / 4 * 3 + 3;
	int rc;

	*outlen = 0;
	if ((*out = malloc(cap + 1)) == NULL)
		return BURROW_ERR_NOMEM;
	if ((rc = base64url_decode(in, len, *out, cap, outlen)) != BURROW_OK) {
		free(*out);
		*out = NULL;
		return rc == BURROW_ERR_NOMEM ? rc : BURROW_ERR_INVALID;
	}
	(*out)[*outlen] = '\0';
	return BURROW_OK;
}

EVP_PKEY *
acme_key_new(enum acme_key_type type)
{
	if (type == ACME_KEY_RSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

EVP_PKEY *
acme_key_from_pem(const char *pem)
{
	BIO *bio;
	EVP_PKEY *key;

	if (pem == NULL || (bio = BIO_new_mem_buf(pem, -1)) == NULL)
		return NULL;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return key;
}

char *
acme_key_to_pem(EVP_PKEY *key)
{
	BIO *bio;
	BUF_MEM *mem;
	char *out = NULL;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
		BIO_get_mem_ptr(bio, &mem);
		if ((out = malloc(mem->length + 1)) != NULL) {
			memcpy(out, mem->data, mem->length);
			out[mem->length] = '\0';
		}
	}
	BIO_free(bio);
	return out;
}

/* base64url of a big number, left padded to width bytes (0: minimal). */
static char *
bn_b64(const BIGNUM *bn, int width)
{
	unsigned char buf[1024];
	int n;

	if (width > (int)sizeof(buf) || BN_num_bytes(bn) > (int)sizeof(buf))
		return NULL;
	n = width > 0 ? BN_bn2binpad(bn, buf, width) : BN_bn2bin(bn, buf);
	if (n < 0)
		return NULL;
	return acme_b64(buf, (size_t)n);
}

static int
set_b64(json_t *obj, const char *member, const char *name, EVP_PKEY *key, int width)
{
	BIGNUM *bn = NULL;
	char *b64 = NULL;
	int rc = -1;

	if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || (b64 = bn_b64(bn, width)) == NULL)
		goto out;
	rc = json_object_set_new(obj, member, json_string(b64));
out:
	BN_free(bn);
	free(b64);
	return rc;
}

json_t *
acme_jwk(EVP_PKEY *key)
{
	char curve[32];
	json_t *jwk = json_object();
	int ok = 0;

	if (jwk == NULL)
		return NULL;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		/* RFC 7518 6.2.1: coordinates are the full field size (32 bytes). */
		ok = EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
		    curve, sizeof(curve), NULL) == 1 && strcmp(curve, "prime256v1") == 0 &&
		    json_object_set_new(jwk, "crv", json_string("P-256")) == 0 &&
		    json_object_set_new(jwk, "kty", json_string("EC")) == 0 &&
		    set_b64(jwk, "x", OSSL_PKEY_PARAM_EC_PUB_X, key, 32) == 0 &&
		    set_b64(jwk, "y", OSSL_PKEY_PARAM_EC_PUB_Y, key, 32) == 0;
	} else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		ok = set_b64(jwk, "e", OSSL_PKEY_PARAM_RSA_E, key, 0) == 0 &&
		    json_object_set_new(jwk, "kty", json_string("RSA")) == 0 &&
		    set_b64(jwk, "n", OSSL_PKEY_PARAM_RSA_N, key, 0) == 0;
	}
	if (!ok) {
		json_decref(jwk);
		return NULL;
	}
	return jwk;
}

/* RFC 7638 section 3: the required members, sorted, no white space. */
static char *
jwk_canonical(EVP_PKEY *key)
{
	json_t *jwk = acme_jwk(key);
	char *s;

	if (jwk == NULL)
		return NULL;
	s = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(jwk);
	return s;
}

static char *
sha256_b64(const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	if (SHA256(data, len, md) == NULL)
		return NULL;
	return acme_b64(md, sizeof(md));
}

char *
acme_jwk_thumbprint(EVP_PKEY *key)
{
	char *canon = jwk_canonical(key), *out;

	if (canon == NULL)
		return NULL;
	out = sha256_b64(canon, strlen(canon));
	free(canon);
	return out;
}

int
acme_ecdsa_der_to_raw(const uint8_t *der, size_t derlen, uint8_t out[64])
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig;
	int rc = BURROW_ERR_INVALID;

	if (derlen > 256 || (sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		return BURROW_ERR_INVALID;
	if (p != der + derlen)
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	/* RFC 7518 3.4: R and S each as a 32-octet big-endian integer. */
	if (BN_num_bytes(r) > 32 || BN_num_bytes(s) > 32 ||
	    BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32)
		goto out;
	rc = BURROW_OK;
out:
	ECDSA_SIG_free(sig);
	return rc;
}

/* The base64url signature of input with key: ES256 (raw R||S) or RS256. */
static char *
sign_b64(EVP_PKEY *key, const char *input)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	uint8_t raw[64];
	size_t siglen = 0;
	char *out = NULL;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1 || (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1)
		goto out;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		if (acme_ecdsa_der_to_raw(sig, siglen, raw) != BURROW_OK)
			goto out;
		out = acme_b64(raw, sizeof(raw));
	} else {
		out = acme_b64(sig, siglen);
	}
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	return out;
}

char *
acme_hs256(const uint8_t *key, size_t keylen, const char *input)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)input,
	    strlen(input), md, &mdlen) == NULL)
		return NULL;
	return acme_b64(md, mdlen);
}

/* Builds {protected, payload, signature} from a protected header object
 * (consumed) and the payload text; sign is called on "P.P". */
static json_t *
jws_object(json_t *protected, const char *payload, EVP_PKEY *key,
           const uint8_t *mac, size_t maclen)
{
	char *ptext = NULL, *p64 = NULL, *pl64 = NULL, *input = NULL, *sig = NULL;
	json_t *out = NULL;

	if (protected == NULL ||
	    (ptext = json_dumps(protected, JSON_COMPACT)) == NULL ||
	    (p64 = acme_b64(ptext, strlen(ptext))) == NULL ||
	    (pl64 = acme_b64(payload, strlen(payload))) == NULL ||
	    asprintf(&input, "%s.%s", p64, pl64) < 0) {
		input = NULL;
		goto out;
	}
	sig = key != NULL ? sign_b64(key, input) : acme_hs256(mac, maclen, input);
	if (sig == NULL)
		goto out;
	out = json_pack("{s:s, s:s, s:s}", "protected", p64, "payload", pl64,
	    "signature", sig);
out:
	json_decref(protected);
	free(ptext);
	free(p64);
	free(pl64);
	free(input);
	free(sig);
	return out;
}

static const char *
jws_alg(EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC ? "ES256" : "RS256";
}

char *
acme_jws(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
         const char *payload)
{
	json_t *prot, *jws;
	char *out;

	if ((prot = json_pack("{s:s, s:s}", "alg", jws_alg(key), "url", url)) == NULL)
		return NULL;
	if (nonce != NULL)
		json_object_set_new(prot, "nonce", json_string(nonce));
	/* RFC 8555 6.2: "jwk" for newAccount (and revocation by certificate
	 * key), "kid" for every request once the account exists. */
	if (kid != NULL)
		json_object_set_new(prot, "kid", json_string(kid));
	else if (json_object_set_new(prot, "jwk", acme_jwk(key)) != 0) {
		json_decref(prot);
		return NULL;
	}
	if ((jws = jws_object(prot, payload != NULL ? payload : "", key, NULL, 0)) == NULL)
		return NULL;
	out = json_dumps(jws, JSON_COMPACT);
	json_decref(jws);
	return out;
}

json_t *
acme_eab(EVP_PKEY *account_key, const char *eab_kid, const char *mac_b64url,
         const char *url)
{
	uint8_t *mac = NULL;
	size_t maclen;
	char *jwk = NULL;
	json_t *prot, *out = NULL;

	if (acme_b64_decode(mac_b64url, &mac, &maclen) != BURROW_OK || maclen == 0)
		goto out;
	if ((jwk = jwk_canonical(account_key)) == NULL)
		goto out;
	prot = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", eab_kid, "url", url);
	out = jws_object(prot, jwk, NULL, mac, maclen);
out:
	free(mac);
	free(jwk);
	return out;
}

char *
acme_key_change_inner(EVP_PKEY *old_key, EVP_PKEY *new_key, const char *kid,
                      const char *url)
{
	json_t *prot, *payload, *jws = NULL;
	char *ptext = NULL, *out = NULL;

	/* RFC 8555 7.3.5: the inner JWS has "jwk" (the new key) and "url" but
	 * no nonce; its payload names the account and the old key. */
	payload = json_pack("{s:s, s:o}", "account", kid, "oldKey", acme_jwk(old_key));
	prot = json_pack("{s:s, s:o, s:s}", "alg", jws_alg(new_key), "jwk",
	    acme_jwk(new_key), "url", url);
	if (payload == NULL || prot == NULL ||
	    (ptext = json_dumps(payload, JSON_COMPACT)) == NULL) {
		json_decref(prot);
		goto out;
	}
	if ((jws = jws_object(prot, ptext, new_key, NULL, 0)) != NULL)
		out = json_dumps(jws, JSON_COMPACT);
out:
	json_decref(payload);
	json_decref(jws);
	free(ptext);
	return out;
}

char *
acme_dns01_txt(const char *token, const char *thumbprint)
{
	uint8_t *raw = NULL;
	size_t rawlen;
	char *keyauth = NULL, *out = NULL;

	/* RFC 8555 8.1: the token is base64url; refuse anything else so a
	 * hostile server cannot inject characters into a TXT record. */
	if (token[0] == '\0' || acme_b64_decode(token, &raw, &rawlen) != BURROW_OK)
		goto out;
	if (asprintf(&keyauth, "%s.%s", token, thumbprint) < 0) {
		keyauth = NULL;
		goto out;
	}
	out = sha256_b64(keyauth, strlen(keyauth));
out:
	free(raw);
	free(keyauth);
	return out;
}
