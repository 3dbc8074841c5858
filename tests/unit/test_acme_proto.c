/*
 * Unit tests: the ACME documents (directory, problem, order, authorization),
 * retry and backoff rules, renewal windows (RFC 9773, with its CertID
 * example), the DNS answer check, the CSR and the chain checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ldns/ldns.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "common/error.h"

#define S(x) x, strlen(x)

static void
test_directory(void **state)
{
	struct acme_directory d;
	const char *pebble = "{\"keyChange\":\"https://p/rollover-account-key\","
	    "\"meta\":{\"externalAccountRequired\":true,\"termsOfService\":\"data:text/plain,x\"},"
	    "\"newAccount\":\"https://p/sign-me-up\",\"newNonce\":\"https://p/nonce-plz\","
	    "\"newOrder\":\"https://p/order-plz\",\"revokeCert\":\"https://p/revoke-cert\"}";

	(void)state;
	assert_int_equal(acme_directory_parse(S(pebble), &d), BURROW_OK);
	assert_string_equal(d.new_nonce, "https://p/nonce-plz");
	assert_string_equal(d.key_change, "https://p/rollover-account-key");
	assert_null(d.renewal_info);
	assert_true(d.eab_required);
	acme_directory_clear(&d);
	assert_int_equal(acme_directory_parse(S("{\"newNonce\":\"x\",\"newAccount\":\"y\","
	    "\"newOrder\":\"z\",\"renewalInfo\":\"https://ca/ari\"}"), &d), BURROW_OK);
	assert_string_equal(d.renewal_info, "https://ca/ari");
	assert_false(d.eab_required);
	acme_directory_clear(&d);
	assert_int_equal(acme_directory_parse(S("{\"newNonce\":\"x\"}"), &d), BURROW_ERR_PROTO);
	assert_int_equal(acme_directory_parse(S("<html>"), &d), BURROW_ERR_PROTO);
	assert_int_equal(acme_directory_parse(S("[1]"), &d), BURROW_ERR_PROTO);
}

static void
test_problem_and_retry(void **state)
{
	struct acme_problem p;
	unsigned s;

	(void)state;
	acme_problem_parse(S("{\"type\":\"urn:ietf:params:acme:error:badNonce\","
	    "\"detail\":\"JWS has an invalid anti-replay nonce\",\"status\":400}"), &p);
	assert_string_equal(p.type, "badNonce");
	assert_string_equal(p.detail, "JWS has an invalid anti-replay nonce");
	assert_int_equal(acme_retry_kind(400, &p), ACME_RETRY_NONCE);
	acme_problem_parse(S("{\"type\":\"urn:ietf:params:acme:error:rateLimited\","
	    "\"detail\":\"slow\\ndown\"}"), &p);
	assert_int_equal(acme_retry_kind(429, &p), ACME_RETRY_LATER);
	assert_string_equal(p.detail, "slow down");  /* one line */
	acme_problem_parse(S("{\"type\":\"urn:ietf:params:acme:error:unauthorized\","
	    "\"detail\":\"no\"}"), &p);
	assert_int_equal(acme_retry_kind(403, &p), ACME_RETRY_NO);
	acme_problem_parse(S("Bad Gateway\r\n"), &p);
	assert_string_equal(p.type, "");
	assert_int_equal(acme_retry_kind(502, &p), ACME_RETRY_LATER);
	acme_problem_parse(NULL, 0, &p);
	assert_string_equal(p.detail, "");
	/* Retry-After: seconds or an HTTP date (RFC 9110 10.2.3). */
	assert_int_equal(acme_retry_after("120", 0, &s), BURROW_OK);
	assert_int_equal(s, 120);
	assert_int_equal(acme_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111700, &s),
	    BURROW_OK);
	assert_int_equal(s, 77);
	assert_int_equal(acme_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800, &s),
	    BURROW_OK);
	assert_int_equal(s, 0);
	assert_int_equal(acme_retry_after("", 0, &s), BURROW_ERR_INVALID);
	assert_int_equal(acme_retry_after("12x", 0, &s), BURROW_ERR_INVALID);
	assert_int_equal(acme_retry_after("soon", 0, &s), BURROW_ERR_INVALID);
	/* Backoff: doubling from 100 ms, bounded; Retry-After wins, bounded. */
	assert_int_equal(acme_backoff_ms(0, 0), 100);
	assert_int_equal(acme_backoff_ms(3, 0), 800);
	assert_int_equal(acme_backoff_ms(30, 0), ACME_BACKOFF_MAX_MS);
	assert_int_equal(acme_backoff_ms(0, 3), 3000);
	assert_int_equal(acme_backoff_ms(0, 86400), ACME_BACKOFF_MAX_MS);
}

/* One request's retry budgets: badNonce (RFC 8555 6.5) and the backoff kinds
 * are counted apart, so neither exhausts the other. */
static void
test_retry_budget(void **state)
{
	struct acme_retry_budget b = { 0, 0 };
	struct acme_problem p;
	unsigned i;

	(void)state;
	for (i = 0; i < ACME_NONCE_RETRIES; i++)
		assert_true(acme_retry_take(&b, ACME_RETRY_NONCE));
	assert_false(acme_retry_take(&b, ACME_RETRY_NONCE));
	/* 200 badNonce answers left the whole rate-limit/5xx budget. */
	for (i = 0; i < ACME_LATER_RETRIES; i++)
		assert_true(acme_retry_take(&b, ACME_RETRY_LATER));
	assert_false(acme_retry_take(&b, ACME_RETRY_LATER));
	assert_false(acme_retry_take(&b, ACME_RETRY_TRANSPORT));
	/* ... and the other way round; transport failures get half. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < ACME_LATER_RETRIES / 2; i++)
		assert_true(acme_retry_take(&b, ACME_RETRY_TRANSPORT));
	assert_false(acme_retry_take(&b, ACME_RETRY_TRANSPORT));
	for (i = 0; i < ACME_NONCE_RETRIES; i++)
		assert_true(acme_retry_take(&b, ACME_RETRY_NONCE));
	assert_false(acme_retry_take(&b, ACME_RETRY_NONCE));
	/* Interleaved: a rate limit between rejected nonces changes nothing. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < ACME_NONCE_RETRIES; i++) {
		assert_true(acme_retry_take(&b, ACME_RETRY_NONCE));
		if (i < ACME_LATER_RETRIES)
			assert_true(acme_retry_take(&b, ACME_RETRY_LATER));
	}
	assert_false(acme_retry_take(&b, ACME_RETRY_NONCE));
	assert_false(acme_retry_take(&b, ACME_RETRY_LATER));
	memset(&b, 0, sizeof(b));
	assert_false(acme_retry_take(&b, ACME_RETRY_NO));
	assert_int_equal(b.nonce + b.later, 0);
	/* badNonce is badNonce whatever the status says. */
	acme_problem_parse(S("{\"type\":\"urn:ietf:params:acme:error:badNonce\"}"), &p);
	assert_int_equal(acme_retry_kind(500, &p), ACME_RETRY_NONCE);
}

static void
test_order_and_authz(void **state)
{
	struct acme_order o;
	struct acme_authz a;
	const char *order = "{\"status\":\"pending\",\"expires\":\"2030-01-01T00:00:00Z\","
	    "\"identifiers\":[{\"type\":\"dns\",\"value\":\"z.test\"},{\"type\":\"dns\","
	    "\"value\":\"*.z.test\"}],\"finalize\":\"https://p/finalize/1\","
	    "\"authorizations\":[\"https://p/authz/a\",\"https://p/authz/b\"]}";
	const char *authz = "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"z.test\"},\"wildcard\":true,\"challenges\":["
	    "{\"type\":\"http-01\",\"url\":\"https://p/c/1\",\"token\":\"aaa\",\"status\":\"pending\"},"
	    "{\"type\":\"dns-01\",\"url\":\"https://p/c/2\",\"token\":\"bbb\",\"status\":\"pending\"}]}";
	const char *invalid = "{\"status\":\"invalid\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"z.test\"},\"challenges\":[{\"type\":\"dns-01\",\"url\":\"u\","
	    "\"token\":\"t\",\"status\":\"invalid\",\"error\":{\"type\":"
	    "\"urn:ietf:params:acme:error:unauthorized\",\"detail\":\"Incorrect TXT record\"}}]}";

	(void)state;
	assert_int_equal(acme_order_parse(S(order), &o), BURROW_OK);
	assert_int_equal(o.status, ACME_ST_PENDING);
	assert_int_equal(o.nauthz, 2);
	assert_string_equal(o.authz[1], "https://p/authz/b");
	assert_string_equal(o.finalize, "https://p/finalize/1");
	assert_null(o.certificate);
	acme_order_clear(&o);
	assert_int_equal(acme_order_parse(S("{\"status\":\"valid\",\"authorizations\":[],"
	    "\"finalize\":\"f\",\"certificate\":\"https://p/cert/1\"}"), &o), BURROW_OK);
	assert_string_equal(o.certificate, "https://p/cert/1");
	acme_order_clear(&o);
	assert_int_equal(acme_order_parse(S("{\"status\":\"invalid\",\"authorizations\":[],"
	    "\"finalize\":\"f\",\"error\":{\"type\":\"urn:ietf:params:acme:error:"
	    "rejectedIdentifier\",\"detail\":\"nope\"}}"), &o), BURROW_OK);
	assert_string_equal(o.error, "rejectedIdentifier: nope");
	acme_order_clear(&o);
	assert_int_equal(acme_order_parse(S("{\"status\":\"bogus\",\"authorizations\":[],"
	    "\"finalize\":\"f\"}"), &o), BURROW_ERR_PROTO);
	assert_int_equal(acme_order_parse(S("{\"status\":\"ready\",\"authorizations\":[1],"
	    "\"finalize\":\"f\"}"), &o), BURROW_ERR_PROTO);
	assert_int_equal(acme_order_parse(S("{\"status\":\"ready\",\"authorizations\":[]}"), &o),
	    BURROW_ERR_PROTO);
	/* RFC 8555 7.1.6: what each status leads to. */
	assert_int_equal(acme_order_next(ACME_ST_PENDING), ACME_DO_AUTHORIZE);
	assert_int_equal(acme_order_next(ACME_ST_READY), ACME_DO_FINALIZE);
	assert_int_equal(acme_order_next(ACME_ST_PROCESSING), ACME_DO_POLL);
	assert_int_equal(acme_order_next(ACME_ST_VALID), ACME_DO_DOWNLOAD);
	assert_int_equal(acme_order_next(ACME_ST_INVALID), ACME_DO_FAIL);
	assert_int_equal(acme_order_next(ACME_ST_UNKNOWN), ACME_DO_FAIL);

	assert_int_equal(acme_authz_parse(S(authz), &a), BURROW_OK);
	assert_true(a.wildcard);
	assert_string_equal(a.identifier, "z.test");
	assert_string_equal(a.chall_url, "https://p/c/2");
	assert_string_equal(a.token, "bbb");
	assert_int_equal(a.chall_status, ACME_ST_PENDING);
	assert_int_equal(acme_authz_parse(S(invalid), &a), BURROW_OK);
	assert_int_equal(a.status, ACME_ST_INVALID);
	assert_string_equal(a.error, "unauthorized: Incorrect TXT record");
	assert_int_equal(acme_authz_parse(S("{\"status\":\"pending\",\"identifier\":{},"
	    "\"challenges\":[{\"type\":\"http-01\",\"url\":\"u\",\"token\":\"t\"}]}"), &a),
	    BURROW_ERR_PROTO);
	assert_int_equal(acme_authz_parse(S("{}"), &a), BURROW_ERR_PROTO);
}

/* A certificate for names signed by key (self-signed), with optional
 * serial and authority key id, for the ARI and chain tests. */
static X509 *
make_cert(EVP_PKEY *key, const char *san, long serial, const uint8_t *akid, size_t akidlen)
{
	X509 *x = X509_new();
	X509_EXTENSION *ext;
	AUTHORITY_KEYID *ak;
	ASN1_INTEGER *sn = ASN1_INTEGER_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set_uint64(sn, (uint64_t)serial);
	X509_set_serialNumber(x, sn);
	ASN1_INTEGER_free(sn);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 90L * 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (san != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (akid != NULL) {
		ak = AUTHORITY_KEYID_new();
		ak->keyid = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(ak->keyid, akid, (int)akidlen);
		X509_add1_ext_i2d(x, NID_authority_key_identifier, ak, 0, 0);
		AUTHORITY_KEYID_free(ak);
	}
	X509_sign(x, key, EVP_sha256());
	return x;
}

static char *
cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m;
	char *out;

	PEM_write_bio_X509(b, x);
	BIO_get_mem_ptr(b, &m);
	out = strndup(m->data, m->length);
	BIO_free(b);
	return out;
}

static void
test_renewal_info(void **state)
{
	/* RFC 9773 section 4.1's example: AKI keyIdentifier and serial. */
	static const uint8_t akid[] = { 0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1,
		0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4 };
	EVP_PKEY *key = acme_key_new(ACME_KEY_EC);
	X509 *x = make_cert(key, "DNS:z.test", 0x87654321L, akid, sizeof(akid));
	X509 *noaki = make_cert(key, "DNS:z.test", 1, NULL, 0);
	time_t start, end, t;
	char *id;

	(void)state;
	id = acme_ari_cert_id(x);
	assert_string_equal(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	free(id);
	assert_null(acme_ari_cert_id(noaki));
	assert_int_equal(acme_ari_parse(S("{\"suggestedWindow\":{\"start\":"
	    "\"2025-01-02T04:00:00Z\",\"end\":\"2025-01-03T04:00:00Z\"},"
	    "\"explanationURL\":\"https://ca/why\"}"), &start, &end), BURROW_OK);
	assert_int_equal(start, 1735790400);
	assert_int_equal(end, 1735790400 + 86400);
	assert_int_equal(acme_ari_parse(S("{\"suggestedWindow\":{\"start\":"
	    "\"2025-01-03T04:00:00Z\",\"end\":\"2025-01-02T04:00:00Z\"}}"), &start, &end),
	    BURROW_ERR_PROTO);
	assert_int_equal(acme_ari_parse(S("{}"), &start, &end), BURROW_ERR_PROTO);
	/* RFC 3339 with fractions and offsets. */
	assert_int_equal(acme_time_parse("2025-01-02T05:30:00.123+01:30", &t), BURROW_OK);
	assert_int_equal(t, 1735790400);
	assert_int_equal(acme_time_parse("2025-01-02", &t), BURROW_ERR_INVALID);
	assert_int_equal(acme_time_parse("2025-01-02T04:00:00Zjunk", &t), BURROW_ERR_INVALID);
	/* Inside the window, spread by the random input; else 2/3 of life. */
	assert_int_equal(acme_renew_at(0, 900, 1000, 2000, 0), 1000);
	assert_int_equal(acme_renew_at(0, 900, 1000, 2000, 999), 1999);
	assert_int_equal(acme_renew_at(0, 900, 1000, 2000, 1000), 1000);
	assert_true(acme_renew_at(0, 900, 1000, 2000, 0xffffffffu) < 2000);
	assert_int_equal(acme_renew_at(0, 900, 1500, 1500, 7), 1500);
	assert_int_equal(acme_renew_at(1000, 1000 + 90 * 86400, 0, 0, 12345),
	    1000 + 60 * 86400);
	X509_free(x);
	X509_free(noaki);
	EVP_PKEY_free(key);
}

static void
test_csr_and_chain(void **state)
{
	EVP_PKEY *key = acme_key_new(ACME_KEY_EC), *other = acme_key_new(ACME_KEY_EC);
	X509 *good = make_cert(key, "DNS:z.test,DNS:*.z.test", 7, NULL, 0);
	X509 *apex = make_cert(key, "DNS:z.test", 8, NULL, 0);
	char *csr64 = acme_csr(key, "z.test"), *pem = cert_pem(good), *pem2, *chain, err[256];
	struct acme_cert_info info;
	const unsigned char *p;
	uint8_t *der, *leaf;
	size_t len, leaflen;
	X509_REQ *req;
	EVP_PKEY *pub;
	GENERAL_NAMES *gens;
	STACK_OF(X509_EXTENSION) *exts;

	(void)state;
	/* The CSR carries both names and is signed by the certificate key. */
	assert_int_equal(acme_b64_decode(csr64, &der, &len), BURROW_OK);
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)len);
	assert_non_null(req);
	pub = X509_REQ_get_pubkey(req);
	assert_int_equal(EVP_PKEY_eq(pub, key), 1);
	assert_int_equal(X509_REQ_verify(req, pub), 1);
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(gens), 2);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	EVP_PKEY_free(pub);
	X509_REQ_free(req);
	free(der);
	free(csr64);
	/* RSA-2048 works as well (--key-type rsa). */
	pub = acme_key_new(ACME_KEY_RSA);
	csr64 = acme_csr(pub, "z.test");
	assert_non_null(csr64);
	free(csr64);
	EVP_PKEY_free(pub);

	/* Chain: leaf first, same key, both names. */
	pem2 = cert_pem(apex);
	assert_int_equal(asprintf(&chain, "%s%s", pem, pem2) > 0, 1);
	assert_int_equal(acme_chain_check(chain, key, "z.test", &info, err, sizeof(err)),
	    BURROW_OK);
	assert_string_equal(info.names, "z.test,*.z.test");
	assert_string_equal(info.serial, "07");
	assert_true(info.not_after - info.not_before == 90L * 86400);
	assert_int_equal(acme_chain_check(chain, other, "z.test", &info, err, sizeof(err)),
	    BURROW_ERR_PROTO);
	assert_non_null(strstr(err, "does not match"));
	assert_int_equal(acme_chain_check(pem2, key, "z.test", &info, err, sizeof(err)),
	    BURROW_ERR_PROTO);
	assert_int_equal(acme_chain_check("{\"type\":\"x\"}", key, "z.test", &info, err,
	    sizeof(err)), BURROW_ERR_PROTO);
	assert_int_equal(acme_chain_check(chain, key, "y.test", &info, err, sizeof(err)),
	    BURROW_ERR_PROTO);
	assert_int_equal(acme_chain_leaf_der(chain, &leaf, &leaflen), BURROW_OK);
	assert_int_equal(i2d_X509(good, NULL), (int)leaflen);
	free(leaf);
	free(chain);
	free(pem);
	free(pem2);
	X509_free(good);
	X509_free(apex);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

/* An answer packet for name with the given TXT strings, in wire form. */
static uint8_t *
answer_wire(const char *name, const char *const *txt, size_t n, ldns_pkt_rcode rcode,
            size_t *len)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *rr;
	uint8_t *wire = NULL;
	char line[512];
	size_t i;

	ldns_pkt_set_qr(pkt, 1);
	ldns_pkt_set_rcode(pkt, rcode);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s. 10 IN TXT \"%s\"", name, txt[i]);
		assert_int_equal(ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL), LDNS_STATUS_OK);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
	}
	assert_int_equal(ldns_pkt2wire(&wire, pkt, len), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return wire;
}

static void
test_dns_txt_present(void **state)
{
	static const char *const both[] = { "v1", "v2" };
	static const char *const one[] = { "v2" };
	static const char *const other[] = { "v3" };
	uint8_t *w;
	size_t len;

	(void)state;
	w = answer_wire("_acme-challenge.z.test", both, 2, LDNS_RCODE_NOERROR, &len);
	assert_true(acme_dns_txt_present(w, len, "_acme-challenge.z.test", both, 2));
	assert_true(acme_dns_txt_present(w, len, "_ACME-challenge.z.test.", one, 1));
	assert_false(acme_dns_txt_present(w, len, "_acme-challenge.z.test", other, 1));
	assert_false(acme_dns_txt_present(w, len, "_acme-challenge.y.test", one, 1));
	assert_false(acme_dns_txt_present(w, len / 2, "_acme-challenge.z.test", one, 1));
	free(w);
	w = answer_wire("_acme-challenge.z.test", one, 1, LDNS_RCODE_NOERROR, &len);
	assert_false(acme_dns_txt_present(w, len, "_acme-challenge.z.test", both, 2));
	free(w);
	w = answer_wire("_acme-challenge.z.test", both, 2, LDNS_RCODE_SERVFAIL, &len);
	assert_false(acme_dns_txt_present(w, len, "_acme-challenge.z.test", both, 2));
	free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_problem_and_retry),
		cmocka_unit_test(test_retry_budget),
		cmocka_unit_test(test_order_and_authz),
		cmocka_unit_test(test_renewal_info),
		cmocka_unit_test(test_csr_and_chain),
		cmocka_unit_test(test_dns_txt_present),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
