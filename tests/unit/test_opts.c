/* Unit tests: option values (common/opts.h): integers, durations, addresses,
 * and the one line a bad value prints. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/opts.h"
#include "common/version.h"

static void
test_uint(void **state)
{
	unsigned long v = 7;

	(void)state;
	assert_int_equal(opts_parse_uint("0", 0, 10, &v), BURROW_OK);
	assert_int_equal(v, 0);
	assert_int_equal(opts_parse_uint("10", 0, 10, &v), BURROW_OK);
	assert_int_equal(v, 10);
	assert_int_equal(opts_parse_uint("007", 0, 10, &v), BURROW_OK);
	assert_int_equal(v, 7);
	v = 99;
	/* Out of range, signs, spaces, hex, trailing bytes, empty: refused and
	 * out untouched (the old atoi() calls took "8x" as 8 and "x" as 0). */
	const char *bad[] = { "11", "-1", "+1", " 1", "1 ", "0x1", "8x", "x", "", "1.5",
	    "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(opts_parse_uint(bad[i], 0, 10, &v), BURROW_ERR_INVALID);
	assert_int_equal(opts_parse_uint(NULL, 0, 10, &v), BURROW_ERR_INVALID);
	assert_int_equal(opts_parse_uint("0", 1, 10, &v), BURROW_ERR_INVALID);
	assert_int_equal(v, 99);
	assert_int_equal(opts_parse_uint("18446744073709551615", 0, ULONG_MAX, &v), BURROW_OK);
	assert_true(v == ULONG_MAX);
}

static void
test_duration(void **state)
{
	long v = -1;

	(void)state;
	assert_int_equal(opts_parse_duration("250", OPTS_MS, 1, 60000, &v), BURROW_OK);
	assert_int_equal(v, 250);
	assert_int_equal(opts_parse_duration("2s", OPTS_MS, 1, 60000, &v), BURROW_OK);
	assert_int_equal(v, 2000);
	assert_int_equal(opts_parse_duration("1m", OPTS_MS, 1, 60000, &v), BURROW_OK);
	assert_int_equal(v, 60000);
	assert_int_equal(opts_parse_duration("1500ms", OPTS_MS, 1, 60000, &v), BURROW_OK);
	assert_int_equal(v, 1500);
	assert_int_equal(opts_parse_duration("30", OPTS_S, 1, 3600, &v), BURROW_OK);
	assert_int_equal(v, 30);
	assert_int_equal(opts_parse_duration("1h", OPTS_S, 1, 3600, &v), BURROW_OK);
	assert_int_equal(v, 3600);
	assert_int_equal(opts_parse_duration("7d", OPTS_S, 1, 366 * 86400, &v), BURROW_OK);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(opts_parse_duration("2000ms", OPTS_S, 1, 3600, &v), BURROW_OK);
	assert_int_equal(v, 2);
	assert_int_equal(opts_parse_duration("0", OPTS_MS, 0, 10, &v), BURROW_OK);
	assert_int_equal(v, 0);
	v = -1;
	const char *bad[] = { "", "s", "1x", "1hh", "1 h", "-1s", "+1", "1.5h", "h1",
	    "1H", "99999999999999999999d", "61m" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(opts_parse_duration(bad[i], OPTS_MS, 1, 3600000, &v),
		    BURROW_ERR_INVALID);
	/* Not whole seconds where the option counts seconds. */
	assert_int_equal(opts_parse_duration("1500ms", OPTS_S, 1, 3600, &v), BURROW_ERR_INVALID);
	assert_int_equal(opts_parse_duration("0s", OPTS_S, 1, 3600, &v), BURROW_ERR_INVALID);
	assert_int_equal(opts_parse_duration("2h", OPTS_S, 1, 3600, &v), BURROW_ERR_INVALID);
	assert_int_equal(opts_parse_duration(NULL, OPTS_S, 1, 3600, &v), BURROW_ERR_INVALID);
	assert_int_equal(v, -1);
}

static void
test_format_duration(void **state)
{
	char buf[24];

	(void)state;
	opts_format_duration(10, OPTS_MS, buf, sizeof(buf));
	assert_string_equal(buf, "10ms");
	opts_format_duration(3600000, OPTS_MS, buf, sizeof(buf));
	assert_string_equal(buf, "1h");
	opts_format_duration(86400000, OPTS_MS, buf, sizeof(buf));
	assert_string_equal(buf, "1d");
	opts_format_duration(90, OPTS_S, buf, sizeof(buf));
	assert_string_equal(buf, "90s");
	opts_format_duration(0, OPTS_MS, buf, sizeof(buf));
	assert_string_equal(buf, "0ms");
	opts_format_duration(0, OPTS_S, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
}

static void
test_addr_port(void **state)
{
	char host[64];
	uint16_t port = 0;

	(void)state;
	assert_int_equal(opts_parse_addr_port("127.0.0.1:8443", 0, host, sizeof(host), &port),
	    BURROW_OK);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8443);
	assert_int_equal(opts_parse_addr_port("[::1]:53", 0, host, sizeof(host), &port),
	    BURROW_OK);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 53);
	/* A bare address takes the default port, when there is one. */
	assert_int_equal(opts_parse_addr_port("0.0.0.0", 443, host, sizeof(host), &port),
	    BURROW_OK);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 443);
	assert_int_equal(opts_parse_addr_port("::", 443, host, sizeof(host), &port), BURROW_OK);
	assert_string_equal(host, "::");
	assert_int_equal(opts_parse_addr_port("[2001:db8::1]", 53, host, sizeof(host), &port),
	    BURROW_OK);
	assert_string_equal(host, "2001:db8::1");
	assert_int_equal(port, 53);
	port = 7;
	const char *bad[] = { "127.0.0.1", "[::1]", "127.0.0.1:", "127.0.0.1:0",
	    "127.0.0.1:65536", "127.0.0.1:x", ":53", "[]:53", "[::1:53", "[1.2.3.4]:53",
	    "example.com:53", "1.2.3:53", "[::1]x", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(opts_parse_addr_port(bad[i], 0, host, sizeof(host), &port),
		    BURROW_ERR_INVALID);
	assert_int_equal(opts_parse_addr_port("example.com", 53, host, sizeof(host), &port),
	    BURROW_ERR_INVALID);
	assert_int_equal(opts_parse_addr_port("127.0.0.1:53", 0, host, 4, &port),
	    BURROW_ERR_INVALID);
	assert_int_equal(port, 7);
}

/* Runs fn with stderr in a file; returns what it wrote. */
static char *
captured_stderr(int (*fn)(void), int *rc)
{
	static char buf[512];
	char path[] = "/tmp/test_opts.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	assert_true(fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	*rc = fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static int
bad_int(void)
{
	int v = 5;

	return opts_int("--threads", "0", 1, 256, &v) + (v == 5 ? 0 : 100);
}

static int
bad_duration(void)
{
	int v = 5;

	return opts_duration("--idle-timeout", "5x", OPTS_MS, 10, 86400000, &v);
}

static int
missing_port(void)
{
	uint16_t p;

	return opts_port("--tls-port", NULL, &p);
}

static int
good_values(void)
{
	int a, b;
	uint16_t p, q;
	char host[64];

	if (opts_int("--jobs", "8", 1, 256, &a) != BURROW_OK ||
	    opts_duration("--interval", "2m", OPTS_S, 1, 86400, &b) != BURROW_OK ||
	    opts_port("--tls-port", "8443", &p) != BURROW_OK ||
	    opts_addr_port("--listen", "[::1]", 443, host, sizeof(host), &q) != BURROW_OK)
		return -100;
	return a == 8 && b == 120 && p == 8443 && q == 443 ? 0 : -101;
}

static void
test_reports_one_line(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = captured_stderr(bad_int, &rc);
	assert_int_equal(rc, BURROW_ERR_INVALID);
	assert_string_equal(out, "test_opts: --threads '0': want an integer from 1 to 256\n");
	out = captured_stderr(bad_duration, &rc);
	assert_int_equal(rc, BURROW_ERR_INVALID);
	assert_non_null(strstr(out, "--idle-timeout '5x': want a duration from 10ms to 1d"));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	out = captured_stderr(missing_port, &rc);
	assert_int_equal(rc, BURROW_ERR_INVALID);
	assert_string_equal(out, "test_opts: --tls-port needs a value: want a port from 1 to 65535\n");
	/* Good values print nothing. */
	out = captured_stderr(good_values, &rc);
	assert_int_equal(rc, BURROW_OK);
	assert_string_equal(out, "");
}

static void
test_version(void **state)
{
	(void)state;
	assert_non_null(burrow_version());
	assert_true(strlen(burrow_version()) > 0);
	assert_null(strchr(burrow_version(), ' '));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_addr_port),
		cmocka_unit_test(test_reports_one_line),
		cmocka_unit_test(test_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
