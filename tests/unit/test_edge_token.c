/*
 * test_edge_token.c: base64url, the connect-token codec and the signing
 * keys in the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/base64.h"
#include "common/error.h"
#include "db/store.h"
#include "db/store_secret.h"
#include "tunnels/token.h"

static struct token_key k1 = { "key1", "0123456789abcdef0123456789abcdef", 32 };
static struct token_key k2 = { "key2", "fedcba9876543210fedcba9876543210", 32 };

static const struct token_key *
lookup(const char *kid, void *ctx)
{
	(void)ctx;
	if (strcmp(kid, k1.id) == 0)
		return &k1;
	if (strcmp(kid, k2.id) == 0)
		return &k2;
	return NULL;
}

static void
test_base64url(void **state)
{
	/* RFC 4648 section 10 vectors, url alphabet, no padding. */
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	unsigned char bin[16], all[256];
	char txt[400];
	size_t n, i;

	(void)state;
	for (i = 0; i < 7; i++) {
		assert_int_equal(base64url_encode(in[i], strlen(in[i]), txt, sizeof(txt), &n), BURROW_OK);
		assert_string_equal(txt, out[i]);
		assert_int_equal(base64url_decode(out[i], strlen(out[i]), bin, sizeof(bin), &n), BURROW_OK);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(bin, in[i], n);
	}
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	assert_int_equal(base64url_encode(all, sizeof(all), txt, sizeof(txt), &n), BURROW_OK);
	assert_null(strchr(txt, '+'));
	assert_null(strchr(txt, '/'));
	assert_null(strchr(txt, '='));
	assert_int_equal(base64url_decode(txt, n, all, sizeof(all), &n), BURROW_OK);
	for (i = 0; i < 256; i++)
		assert_int_equal(all[i], i);
	assert_int_equal(base64url_decode("Zm9v+A", 6, bin, sizeof(bin), &n), BURROW_ERR_INVALID);
	assert_int_equal(base64url_decode("Zm9v=", 5, bin, sizeof(bin), &n), BURROW_ERR_INVALID);
	assert_int_equal(base64url_decode("Z", 1, bin, sizeof(bin), &n), BURROW_ERR_INVALID);
	assert_int_equal(base64url_decode("Zm9vYmFy", 8, bin, 3, &n), BURROW_ERR_LIMIT);
	assert_int_equal(base64url_encode("foobar", 6, txt, 8, &n), BURROW_ERR_LIMIT);
}

static void
test_metadata(void **state)
{
	char out[TOKEN_METADATA_MAX + 1], big[700];

	(void)state;
	assert_int_equal(token_metadata_canonical(NULL, out), BURROW_OK);
	assert_string_equal(out, "{}");
	assert_int_equal(token_metadata_canonical("{ \"a\" : 1, \"b\": [true] }", out), BURROW_OK);
	assert_string_equal(out, "{\"a\":1,\"b\":[true]}");
	assert_int_equal(token_metadata_canonical("[1]", out), BURROW_ERR_INVALID);
	assert_int_equal(token_metadata_canonical("\"s\"", out), BURROW_ERR_INVALID);
	assert_int_equal(token_metadata_canonical("{", out), BURROW_ERR_INVALID);
	assert_int_equal(token_metadata_canonical("{\"a\":1,\"a\":2}", out), BURROW_ERR_INVALID);
	/* 511 characters serialized is the largest allowed. */
	snprintf(big, sizeof(big), "{\"k\":\"%0*d\"}", 511 - 8, 0);
	assert_int_equal(strlen(big), 511);
	assert_int_equal(token_metadata_canonical(big, out), BURROW_OK);
	snprintf(big, sizeof(big), "{\"k\":\"%0*d\"}", 512 - 8, 0);
	assert_int_equal(token_metadata_canonical(big, out), BURROW_ERR_LIMIT);
}

static void
test_roundtrip(void **state)
{
	struct token_claims c;
	char tok[TOKEN_MAX + 1];
	size_t i;

	(void)state;
	assert_int_equal(token_create(&k1, "abc.w.modal.host", 2000, "{\"user_id\":\"foo\"}", tok,
	    sizeof(tok)), BURROW_OK);
	assert_int_equal(strncmp(tok, "key1.", 5), 0);
	for (i = 0; tok[i] != '\0'; i++)
		assert_true(token_char((unsigned char)tok[i]));
	assert_int_equal(token_verify(tok, strlen(tok), lookup, NULL, 1999, &c), BURROW_OK);
	assert_string_equal(c.host, "abc.w.modal.host");
	assert_int_equal(c.expires, 2000);
	assert_string_equal(c.metadata, "{\"user_id\":\"foo\"}");
	/* Expired at and after its expiry. */
	assert_int_equal(token_verify(tok, strlen(tok), lookup, NULL, 2000, &c), BURROW_ERR_LIMIT);
	/* Rotated keys: a token of either key verifies. */
	assert_int_equal(token_create(&k2, "abc.w.modal.host", 2000, NULL, tok, sizeof(tok)), BURROW_OK);
	assert_int_equal(token_verify(tok, strlen(tok), lookup, NULL, 1000, &c), BURROW_OK);
	assert_string_equal(c.metadata, "{}");
	/* Too small a buffer is an error, not a truncated token. */
	assert_int_equal(token_create(&k1, "abc.w.modal.host", 2000, NULL, tok, 20), BURROW_ERR_LIMIT);
	assert_string_equal(tok, "");
}

static void
test_tampering(void **state)
{
	struct token_claims c;
	char tok[TOKEN_MAX + 1], bad[TOKEN_MAX + 1];
	size_t i, n;
	int refused = 0;

	(void)state;
	assert_int_equal(token_create(&k1, "abc.w.modal.host", 2000, "{\"u\":1}", tok, sizeof(tok)),
	    BURROW_OK);
	n = strlen(tok);
	/* Every single-character change anywhere is refused. */
	for (i = 0; i < n; i++) {
		memcpy(bad, tok, n + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		if (token_verify(bad, n, lookup, NULL, 1000, &c) != BURROW_OK)
			refused++;
	}
	assert_int_equal(refused, (int)n);
	/* The same payload under the other key's id. */
	memcpy(bad, tok, n + 1);
	bad[3] = '2';
	assert_int_equal(token_verify(bad, n, lookup, NULL, 1000, &c), BURROW_ERR_REFUSED);
	bad[3] = '9';
	assert_int_equal(token_verify(bad, n, lookup, NULL, 1000, &c), BURROW_ERR_NOTFOUND);
	assert_int_equal(token_verify("", 0, lookup, NULL, 1000, &c), BURROW_ERR_INVALID);
	assert_int_equal(token_verify("a.b", 3, lookup, NULL, 1000, &c), BURROW_ERR_INVALID);
	assert_int_equal(token_verify("key1..", 6, lookup, NULL, 1000, &c), BURROW_ERR_INVALID);
	/* Truncated. */
	assert_int_not_equal(token_verify(tok, n - 1, lookup, NULL, 1000, &c), BURROW_OK);
}

static void
test_store_secrets(void **state)
{
	char path[] = "/tmp/burrow-test-secrets-XXXXXX";
	struct store_secret a, b, c;
	struct store *s = NULL;
	int64_t st1, st2, st3;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(store_open(path, STORE_CREATE, &s, NULL, 0), BURROW_OK);
	assert_int_equal(store_secret_current(s, STORE_SECRET_PURPOSE_TOKEN, &a), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_secret_stamp(s, STORE_SECRET_PURPOSE_TOKEN, &st1), BURROW_OK);
	assert_int_equal(store_secret_ensure(s, STORE_SECRET_PURPOSE_TOKEN, &a), BURROW_OK);
	assert_int_equal(a.len, STORE_SECRET_LEN);
	assert_int_equal(strlen(a.key_id), 14);
	assert_int_equal(store_secret_ensure(s, STORE_SECRET_PURPOSE_TOKEN, &b), BURROW_OK);
	assert_string_equal(a.key_id, b.key_id);
	assert_memory_equal(a.secret, b.secret, a.len);
	assert_int_equal(store_secret_stamp(s, STORE_SECRET_PURPOSE_TOKEN, &st2), BURROW_OK);
	assert_int_not_equal(st1, st2);
	assert_int_equal(store_secret_rotate(s, STORE_SECRET_PURPOSE_TOKEN, &c), BURROW_OK);
	assert_string_not_equal(a.key_id, c.key_id);
	assert_int_equal(store_secret_current(s, STORE_SECRET_PURPOSE_TOKEN, &b), BURROW_OK);
	assert_string_equal(b.key_id, c.key_id);
	assert_int_equal(store_secret_retire(s, c.key_id), BURROW_OK);
	assert_int_equal(store_secret_stamp(s, STORE_SECRET_PURPOSE_TOKEN, &st3), BURROW_OK);
	assert_int_not_equal(st2, st3);
	assert_int_equal(store_secret_current(s, STORE_SECRET_PURPOSE_TOKEN, &b), BURROW_OK);
	assert_string_equal(b.key_id, a.key_id);
	assert_int_equal(store_secret_retire(s, c.key_id), BURROW_ERR_NOTFOUND);
	store_close(s);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_store_secrets),
	};

	return cmocka_run_group_tests_name("edge_token", tests, NULL, NULL);
}
