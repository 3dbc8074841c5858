/* Unit tests: random labels, host-name checks, host:port parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/names.h"
#include "common/netaddr.h"

#define DRAWS 100000

static int
cmp_labels(const void *a, const void *b)
{
	return memcmp(a, b, NAMES_LABEL_LEN + 1);
}

static void
test_label_alphabet_length_unique(void **state)
{
	char (*labels)[NAMES_LABEL_LEN + 1] = malloc((size_t)DRAWS * sizeof(*labels));
	unsigned long counts[36] = { 0 };
	unsigned long expected = (unsigned long)DRAWS * NAMES_LABEL_LEN / 36;
	int i, j;

	(void)state;
	assert_non_null(labels);
	for (i = 0; i < DRAWS; i++) {
		assert_int_equal(names_random_label(labels[i]), BURROW_OK);
		assert_int_equal(strlen(labels[i]), NAMES_LABEL_LEN);
		for (j = 0; j < NAMES_LABEL_LEN; j++) {
			char c = labels[i][j];
			assert_true((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
			counts[c >= 'a' ? c - 'a' : 26 + c - '0']++;
		}
	}
	/* Each character within 3% of its share: a modulo bias of 256 % 36
	 * would put the first four letters about 14% high. */
	for (j = 0; j < 36; j++) {
		assert_true(counts[j] > expected * 97 / 100);
		assert_true(counts[j] < expected * 103 / 100);
	}
	qsort(labels, DRAWS, sizeof(*labels), cmp_labels);
	for (i = 1; i < DRAWS; i++)
		assert_int_not_equal(memcmp(labels[i - 1], labels[i], NAMES_LABEL_LEN), 0);
	free(labels);
}

static void
test_canonical(void **state)
{
	char out[NAMES_MAX + 1];
	char long_label[80];

	(void)state;
	assert_int_equal(names_canonical("W.Modal.Host.", 0, out), BURROW_OK);
	assert_string_equal(out, "w.modal.host");
	assert_int_equal(names_canonical("sandbox.example.com", 0, out), BURROW_OK);
	assert_int_equal(names_canonical("_acme-challenge.w.modal.host", 1, out), BURROW_OK);
	assert_int_equal(names_canonical("_acme-challenge.w.modal.host", 0, out), BURROW_ERR_INVALID);
	assert_int_equal(names_canonical("localhost", 0, out), BURROW_ERR_INVALID);
	assert_int_equal(names_canonical("", 0, out), BURROW_ERR_INVALID);
	assert_int_equal(names_canonical("a..b", 0, out), BURROW_ERR_INVALID);
	assert_int_equal(names_canonical("-a.b", 0, out), BURROW_ERR_INVALID);
	assert_int_equal(names_canonical("a-.b", 0, out), BURROW_ERR_INVALID);
	assert_int_equal(names_canonical("a b.c", 0, out), BURROW_ERR_INVALID);
	assert_int_equal(names_canonical("a.b\\.c", 0, out), BURROW_ERR_INVALID);
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".com");
	assert_int_equal(names_canonical(long_label, 0, out), BURROW_ERR_INVALID);
	/* 63 characters is the longest label RFC 1035 allows. */
	assert_int_equal(names_canonical(long_label + 1, 0, out), BURROW_OK);
	assert_int_equal(names_canonical(NULL, 0, out), BURROW_ERR_INVALID);
}

static void
test_in_zone(void **state)
{
	(void)state;
	assert_true(names_in_zone("w.modal.host", "w.modal.host"));
	assert_true(names_in_zone("abc.w.modal.host", "w.modal.host"));
	assert_false(names_in_zone("xw.modal.host", "w.modal.host"));
	assert_false(names_in_zone("modal.host", "w.modal.host"));
}

static void
test_hostport(void **state)
{
	struct netaddr_hostport hp;
	uint16_t lo, hi;

	(void)state;
	assert_int_equal(netaddr_parse_hostport("10.0.0.5:8000", &hp), BURROW_OK);
	assert_string_equal(hp.host, "10.0.0.5");
	assert_int_equal(hp.port, 8000);
	assert_int_equal(netaddr_parse_hostport("[2001:db8::1]:443", &hp), BURROW_OK);
	assert_string_equal(hp.host, "2001:db8::1");
	assert_int_equal(netaddr_parse_hostport("Backend.Example.COM:65535", &hp), BURROW_OK);
	assert_string_equal(hp.host, "backend.example.com");
	assert_int_equal(netaddr_parse_hostport("localhost:1", &hp), BURROW_OK);
	assert_int_equal(netaddr_parse_hostport("10.0.0.5:0", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_hostport("10.0.0.5:70000", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_hostport("10.0.0.5:", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_hostport("10.0.0.5:80x", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_hostport("10.0.0.5", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_hostport("2001:db8::1:80", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_hostport("[10.0.0.1]:80", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_hostport("bad_host.com:80", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_hostport(":80", &hp), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_port_range("20000-29999", &lo, &hi), BURROW_OK);
	assert_int_equal(lo, 20000);
	assert_int_equal(hi, 29999);
	assert_int_equal(netaddr_parse_port_range("3-2", &lo, &hi), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_port_range("0-2", &lo, &hi), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_port_range("5", &lo, &hi), BURROW_ERR_INVALID);
}

static void
test_listen(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(netaddr_parse_listen("127.0.0.1:5353", &ss, &len), BURROW_OK);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(netaddr_parse_listen("[::1]:53", &ss, &len), BURROW_OK);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(netaddr_parse_listen("localhost:53", &ss, &len), BURROW_ERR_INVALID);
	assert_int_equal(netaddr_parse_listen("127.0.0.1:99999", &ss, &len), BURROW_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_alphabet_length_unique),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_in_zone),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
