/*
 * Unit tests: base64url, JWK thumbprints, JWS signatures (ES256 with the
 * R||S conversion, HS256 for EAB), key change and DNS-01 values, against the
 * fixed vectors of RFC 4648, RFC 7515, RFC 7638 and RFC 8555.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>

#include "acme/acme.h"
#include "common/base64.h"
#include "common/error.h"

/* RFC 7515 appendix A.3: the ES256 example key and signature. */
#define A3_X "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
#define A3_Y "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
#define A3_D "jpsQnnGQmL-YBIffH1136cLyG5_9cJrMU1H3D9ogWQ4"
#define A3_INPUT "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAs" \
	"DQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define A3_SIG "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQ" \
	"xfKTUJqPP3-Kg6NU1Q"

/* RFC 7638 section 3.1: the RSA example key and its thumbprint. */
#define R7638_N "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFF" \
	"xuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w" \
	"6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n" \
	"91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44" \
	"-csFCur-kEgU8awapJzKnqDKgw"
#define R7638_THUMB "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static uint8_t *
b64d(const char *in, size_t *len)
{
	uint8_t *out;

	assert_int_equal(acme_b64_decode(in, &out, len), BURROW_OK);
	return out;
}

/* The RFC 7515 A.3 key as an EVP_PKEY (with the private part). */
static EVP_PKEY *
a3_key(void)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	uint8_t pub[65], *x, *y, *d;
	size_t xl, yl, dl;
	BIGNUM *priv;

	x = b64d(A3_X, &xl);
	y = b64d(A3_Y, &yl);
	d = b64d(A3_D, &dl);
	pub[0] = 4;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	priv = BN_bin2bn(d, (int)dl, NULL);
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(priv);
	free(x);
	free(y);
	free(d);
	return key;
}

/* Verifies a raw R||S ES256 signature over input (via its DER form). */
static int
es256_verify(EVP_PKEY *key, const char *input, const uint8_t raw[64])
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int len, ok;

	ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
	len = i2d_ECDSA_SIG(sig, &der);
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, der, (size_t)len, (const unsigned char *)input,
	    strlen(input)) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return ok;
}

static void
test_base64url_rfc4648(void **state)
{
	/* RFC 4648 section 10, in the URL alphabet without padding. */
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE",
		"Zm9vYmFy" };
	uint8_t *dec, bin[2] = { 0xfb, 0xff };
	size_t i, len;
	char *enc;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		enc = acme_b64(in[i], strlen(in[i]));
		assert_string_equal(enc, out[i]);
		free(enc);
		dec = b64d(out[i], &len);
		assert_int_equal(len, strlen(in[i]));
		assert_memory_equal(dec, in[i], len);
		free(dec);
	}
	enc = acme_b64(bin, 2);
	assert_string_equal(enc, "-_8");
	free(enc);
	assert_int_equal(acme_b64_decode("Zm9v+", &dec, &len), BURROW_ERR_INVALID);
	assert_int_equal(acme_b64_decode("Zm9/", &dec, &len), BURROW_ERR_INVALID);
	assert_int_equal(acme_b64_decode("Z", &dec, &len), BURROW_ERR_INVALID);
	assert_int_equal(acme_b64_decode("Zm 9", &dec, &len), BURROW_ERR_INVALID);
	/* JWS forbids padding (RFC 7515 section 2). */
	assert_int_equal(acme_b64_decode("Zm8=", &dec, &len), BURROW_ERR_INVALID);
}

static void
test_hs256_rfc7515_a1(void **state)
{
	static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
	uint8_t *k;
	size_t klen;
	char *sig, *p64;

	(void)state;
	p64 = acme_b64(header, strlen(header));
	assert_string_equal(p64, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
	free(p64);
	k = b64d("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUu"
	    "TwjAzZr1Z9CAow", &klen);
	sig = acme_hs256(k, klen, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
	    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19y"
	    "b290Ijp0cnVlfQ");
	assert_string_equal(sig, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	free(sig);
	free(k);
}

static void
test_es256_rfc7515_a3(void **state)
{
	EVP_PKEY *key = a3_key();
	uint8_t *raw, back[64];
	unsigned char *der = NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	json_t *jwk = acme_jwk(key);
	char *thumb;
	size_t len;
	int derlen;

	(void)state;
	/* The JWK of the example key has the example's coordinates. */
	assert_string_equal(json_string_value(json_object_get(jwk, "x")), A3_X);
	assert_string_equal(json_string_value(json_object_get(jwk, "y")), A3_Y);
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	assert_int_equal(json_object_size(jwk), 4);
	/* The RFC's R||S signature verifies, and its DER form converts back. */
	raw = b64d(A3_SIG, &len);
	assert_int_equal(len, 64);
	assert_true(es256_verify(key, A3_INPUT, raw));
	ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
	derlen = i2d_ECDSA_SIG(sig, &der);
	assert_int_equal(acme_ecdsa_der_to_raw(der, (size_t)derlen, back), BURROW_OK);
	assert_memory_equal(back, raw, 64);
	/* RFC 7638 thumbprint of this key (members sorted, no spaces). */
	thumb = acme_jwk_thumbprint(key);
	assert_string_equal(thumb, "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U");
	free(thumb);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	free(raw);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

/* R and S shorter than 32 bytes are left padded; 33-byte DER integers
 * (leading zero for the sign bit) lose the zero; garbage is refused. */
static void
test_der_to_raw_widths(void **state)
{
	uint8_t r[32], s[32], raw[64], bad[80];
	unsigned char *der = NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	int len;

	(void)state;
	memset(r, 0, sizeof(r));
	r[31] = 0x01;                    /* a one-byte R */
	memset(s, 0xff, sizeof(s));      /* high bit set: 33-byte DER integer */
	ECDSA_SIG_set0(sig, BN_bin2bn(r, 32, NULL), BN_bin2bn(s, 32, NULL));
	len = i2d_ECDSA_SIG(sig, &der);
	assert_int_equal(acme_ecdsa_der_to_raw(der, (size_t)len, raw), BURROW_OK);
	assert_memory_equal(raw, r, 32);
	assert_memory_equal(raw + 32, s, 32);
	memcpy(bad, der, (size_t)len);
	bad[len] = 0;                    /* trailing byte */
	assert_int_equal(acme_ecdsa_der_to_raw(bad, (size_t)len + 1, raw), BURROW_ERR_INVALID);
	assert_int_equal(acme_ecdsa_der_to_raw(der, (size_t)len - 1, raw), BURROW_ERR_INVALID);
	assert_int_equal(acme_ecdsa_der_to_raw((const uint8_t *)"\x30\x00", 2, raw),
	    BURROW_ERR_INVALID);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
}

static void
test_thumbprint_rfc7638(void **state)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;
	uint8_t *n;
	size_t nl;
	BIGNUM *bn_n, *bn_e;
	char *thumb, *txt;

	(void)state;
	n = b64d(R7638_N, &nl);
	bn_n = BN_bin2bn(n, (int)nl, NULL);
	bn_e = BN_new();
	BN_set_word(bn_e, 65537);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
	thumb = acme_jwk_thumbprint(key);
	assert_string_equal(thumb, R7638_THUMB);
	/* RFC 8555 8.4 over the RFC 8555 8.1 token and that thumbprint. */
	txt = acme_dns01_txt("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", thumb);
	assert_string_equal(txt, "ZTRx1Ckl1-tM05o5zaizTTA0yUy5AGereMgSNWC6Ll8");
	free(txt);
	/* A token outside base64url never reaches a TXT record. */
	assert_null(acme_dns01_txt("bad\"token", thumb));
	assert_null(acme_dns01_txt("", thumb));
	free(thumb);
	free(n);
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
}

/* Splits a flattened JWS and returns its decoded protected header. */
static json_t *
jws_parts(const char *text, char **input, uint8_t **sig, size_t *siglen, char **payload)
{
	json_t *jws = json_loads(text, 0, NULL), *prot;
	const char *p64, *pl64;
	uint8_t *ptext, *pl;
	size_t len;

	assert_non_null(jws);
	p64 = json_string_value(json_object_get(jws, "protected"));
	pl64 = json_string_value(json_object_get(jws, "payload"));
	assert_non_null(p64);
	assert_non_null(pl64);
	assert_int_equal(asprintf(input, "%s.%s", p64, pl64) > 0, 1);
	*sig = b64d(json_string_value(json_object_get(jws, "signature")), siglen);
	ptext = b64d(p64, &len);
	pl = b64d(pl64, &len);
	*payload = (char *)pl;
	prot = json_loads((char *)ptext, 0, NULL);
	free(ptext);
	json_decref(jws);
	return prot;
}

static void
test_jws_headers(void **state)
{
	EVP_PKEY *key = acme_key_new(ACME_KEY_EC);
	char *text, *input, *payload;
	uint8_t *sig;
	size_t siglen;
	json_t *prot;

	(void)state;
	/* newAccount: jwk, no kid (RFC 8555 6.2). */
	text = acme_jws(key, NULL, "nonce-1", "https://ca/new-acct", "{\"a\":1}");
	prot = jws_parts(text, &input, &sig, &siglen, &payload);
	assert_string_equal(json_string_value(json_object_get(prot, "alg")), "ES256");
	assert_string_equal(json_string_value(json_object_get(prot, "nonce")), "nonce-1");
	assert_string_equal(json_string_value(json_object_get(prot, "url")), "https://ca/new-acct");
	assert_non_null(json_object_get(prot, "jwk"));
	assert_null(json_object_get(prot, "kid"));
	assert_string_equal(payload, "{\"a\":1}");
	assert_int_equal(siglen, 64);
	assert_true(es256_verify(key, input, sig));
	assert_null(strchr(text, '='));
	json_decref(prot);
	free(text);
	free(input);
	free(sig);
	free(payload);
	/* Afterwards: kid, and POST-as-GET has the empty payload (6.3). */
	text = acme_jws(key, "https://ca/acct/1", "nonce-2", "https://ca/order/1", NULL);
	prot = jws_parts(text, &input, &sig, &siglen, &payload);
	assert_string_equal(json_string_value(json_object_get(prot, "kid")), "https://ca/acct/1");
	assert_null(json_object_get(prot, "jwk"));
	assert_string_equal(payload, "");
	assert_true(es256_verify(key, input, sig));
	json_decref(prot);
	free(text);
	free(input);
	free(sig);
	free(payload);
	EVP_PKEY_free(key);
}

static void
test_eab_and_key_change(void **state)
{
	static const char mac64[] = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
	EVP_PKEY *key = acme_key_new(ACME_KEY_EC), *next = acme_key_new(ACME_KEY_EC);
	json_t *eab = acme_eab(key, "kid-1", mac64, "https://ca/new-acct"), *prot, *jwk, *pl;
	char *text, *input, *payload, *expect, *canon;
	uint8_t *sig, *mac;
	size_t siglen, maclen;

	(void)state;
	/* RFC 8555 7.3.4: HS256 over the account JWK, kid and url only. */
	text = json_dumps(eab, JSON_COMPACT);
	prot = jws_parts(text, &input, &sig, &siglen, &payload);
	assert_string_equal(json_string_value(json_object_get(prot, "alg")), "HS256");
	assert_string_equal(json_string_value(json_object_get(prot, "kid")), "kid-1");
	assert_null(json_object_get(prot, "nonce"));
	jwk = acme_jwk(key);
	canon = json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(payload, canon);
	mac = b64d(mac64, &maclen);
	expect = acme_hs256(mac, maclen, input);
	free(text);
	text = acme_b64(sig, siglen);
	assert_string_equal(text, expect);
	assert_null(acme_eab(key, "kid-1", "not base64!", "https://ca/new-acct"));
	json_decref(prot);
	free(text);
	free(input);
	free(sig);
	free(payload);
	free(expect);
	free(mac);
	free(canon);
	/* RFC 8555 7.3.5: inner JWS by the new key, no nonce, names old key. */
	text = acme_key_change_inner(key, next, "https://ca/acct/1", "https://ca/key-change");
	prot = jws_parts(text, &input, &sig, &siglen, &payload);
	assert_null(json_object_get(prot, "nonce"));
	assert_string_equal(json_string_value(json_object_get(prot, "url")),
	    "https://ca/key-change");
	assert_true(es256_verify(next, input, sig));
	assert_false(es256_verify(key, input, sig));
	pl = json_loads(payload, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(pl, "account")),
	    "https://ca/acct/1");
	assert_true(json_equal(json_object_get(pl, "oldKey"), jwk));
	json_decref(pl);
	json_decref(prot);
	json_decref(jwk);
	json_decref(eab);
	free(text);
	free(input);
	free(sig);
	free(payload);
	EVP_PKEY_free(key);
	EVP_PKEY_free(next);
}

static void
test_key_pem_roundtrip(void **state)
{
	EVP_PKEY *k = acme_key_new(ACME_KEY_EC), *back;
	char *pem = acme_key_to_pem(k), *t1, *t2;

	(void)state;
	back = acme_key_from_pem(pem);
	assert_non_null(back);
	t1 = acme_jwk_thumbprint(k);
	t2 = acme_jwk_thumbprint(back);
	assert_string_equal(t1, t2);
	assert_null(acme_key_from_pem("-----BEGIN PRIVATE KEY-----\nxx\n"));
	free(t1);
	free(t2);
	free(pem);
	EVP_PKEY_free(k);
	EVP_PKEY_free(back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64url_rfc4648),
		cmocka_unit_test(test_hs256_rfc7515_a1),
		cmocka_unit_test(test_es256_rfc7515_a3),
		cmocka_unit_test(test_der_to_raw_widths),
		cmocka_unit_test(test_thumbprint_rfc7638),
		cmocka_unit_test(test_jws_headers),
		cmocka_unit_test(test_eab_and_key_change),
		cmocka_unit_test(test_key_pem_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
