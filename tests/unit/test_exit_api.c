/* Unit tests: which listen addresses count as loopback for burrow-exit's
 * API (off loopback it needs TLS), and the TLS key file checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/http_tls.h"
#include "exit/exit_api.h"
#include "exit/exit_tls.h"

static void
test_loopback(void **state)
{
	(void)state;
	assert_int_equal(http_tls_listen_loopback("127.0.0.1:8470"), 1);
	assert_int_equal(http_tls_listen_loopback("127.45.6.7:1"), 1);
	assert_int_equal(http_tls_listen_loopback("[::1]:8470"), 1);
	assert_int_equal(http_tls_listen_loopback("[::ffff:127.0.0.1]:8470"), 1);
	assert_int_equal(http_tls_listen_loopback("0.0.0.0:8470"), 0);
	assert_int_equal(http_tls_listen_loopback("[::]:8470"), 0);
	assert_int_equal(http_tls_listen_loopback("192.0.2.1:8470"), 0);
	assert_int_equal(http_tls_listen_loopback("128.0.0.1:8470"), 0);
	assert_int_equal(http_tls_listen_loopback("[::2]:8470"), 0);
	assert_int_equal(http_tls_listen_loopback("[::ffff:10.0.0.1]:8470"), 0);
	assert_int_equal(http_tls_listen_loopback("localhost:8470"), BURROW_ERR_INVALID);
	assert_int_equal(http_tls_listen_loopback("127.0.0.1"), BURROW_ERR_INVALID);
	assert_int_equal(http_tls_listen_loopback("127.0.0.1:99999"), BURROW_ERR_INVALID);
	assert_int_equal(http_tls_listen_loopback("::1:8470"), BURROW_ERR_INVALID);
}

/* The mode is checked before the key is read, so any content will do. */
static void
test_key_mode(void **state)
{
	char dir[] = "/tmp/burrow-unit.XXXXXX", key[64], missing[64], err[512];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	assert_non_null(f = fopen(key, "w"));
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(chmod(key, 0644), 0);
	assert_null(exit_tls_ctx_new("/nonexistent.pem", key, err, sizeof(err)));
	assert_non_null(strstr(err, key));
	assert_non_null(strstr(err, "is mode 0644"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(chmod(key, 0604), 0);
	assert_null(exit_tls_ctx_new("/nonexistent.pem", key, err, sizeof(err)));
	assert_non_null(strstr(err, "is mode 0604"));
	/* Private now: the next complaint is the content. */
	assert_int_equal(chmod(key, 0600), 0);
	assert_null(exit_tls_ctx_new("/nonexistent.pem", key, err, sizeof(err)));
	assert_non_null(strstr(err, "no PEM private key"));
	snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
	assert_null(exit_tls_ctx_new("/nonexistent.pem", missing, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open --tls-key"));
	assert_int_equal(unlink(key), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_key_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
