/*
 * Unit tests: the Prometheus text exposition of common/metrics.c (HELP and
 * TYPE lines, label-value and HELP escaping, numbers), counters, the
 * fixed-bucket histogram (cumulative buckets, +Inf, _sum, _count), the
 * process families, and GET /metrics over evhttp against a real socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/error.h"
#include "common/metrics.h"
#include "common/version.h"

/* The buffer's contents as a NUL-terminated string (owned by the caller). */
static char *
text(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_copyout(b, s, n);
	s[n] = '\0';
	return s;
}

static void
test_family_and_escaping(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct metrics_out o = { .buf = b };
	struct metrics_label l[] = { { "zone", "a\"b\\c\nd" }, { "kind", "tls" } };
	char *s;

	(void)state;
	metrics_family(&o, "x_total", METRICS_COUNTER, "Help with \\ and\nnewline \"quoted\".");
	metrics_sample_u64(&o, l, 2, 18446744073709551615ULL);
	metrics_sample_u64(&o, NULL, 0, 0);
	s = text(b);
	assert_string_equal(s,
	    "# HELP x_total Help with \\\\ and\\nnewline \"quoted\".\n"
	    "# TYPE x_total counter\n"
	    "x_total{zone=\"a\\\"b\\\\c\\nd\",kind=\"tls\"} 18446744073709551615\n"
	    "x_total 0\n");
	assert_int_equal(o.err, BURROW_OK);
	free(s);
	evbuffer_free(b);
}

static void
test_numbers(void **state)
{
	struct evbuffer *b = evbuffer_new();
	struct metrics_out o = { .buf = b };
	char *s;

	(void)state;
	metrics_family(&o, "g", METRICS_GAUGE, "h");
	metrics_sample(&o, NULL, 0, 0.1);
	metrics_sample(&o, NULL, 0, 1e300 * 1e300);
	metrics_sample(&o, NULL, 0, -1.0 / 3.0);
	metrics_sample(&o, NULL, 0, 1234567.0);
	metrics_sample_i64(&o, NULL, 0, -42);
	s = text(b);
	assert_string_equal(s, "# HELP g h\n# TYPE g gauge\n"
	    "g 0.1\ng +Inf\ng -0.33333333333333331\ng 1234567\ng -42\n");
	free(s);
	evbuffer_free(b);
}

static void
test_counter(void **state)
{
	struct metrics_counter c = { 0 };

	(void)state;
	metrics_add(&c, 5);
	metrics_add(&c, 7);
	metrics_add_shared(&c, 3);
	assert_int_equal(metrics_get(&c), 15);
}

static void
test_histogram(void **state)
{
	static const uint64_t bounds[] = { 100, 1000, 10000 };
	static const uint64_t bad[] = { 10, 10 };
	struct metrics_histogram h;
	struct evbuffer *b = evbuffer_new();
	struct metrics_out o = { .buf = b };
	struct metrics_label l[] = { { "transport", "udp" } };
	char *s;

	(void)state;
	assert_int_equal(metrics_histogram_init(&h, bad, 2, 1), BURROW_ERR_INVALID);
	assert_int_equal(metrics_histogram_init(&h, bounds, 3, 1e6), BURROW_OK);
	metrics_observe(&h, 50);      /* le 100 */
	metrics_observe(&h, 100);     /* le 100: bounds are inclusive */
	metrics_observe(&h, 101);     /* le 1000 */
	metrics_observe(&h, 20000);   /* +Inf */
	metrics_family(&o, "lat_seconds", METRICS_HISTOGRAM, "Latency.");
	metrics_sample_histogram(&o, l, 1, &h);
	s = text(b);
	assert_string_equal(s,
	    "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
	    "lat_seconds_bucket{transport=\"udp\",le=\"0.0001\"} 2\n"
	    "lat_seconds_bucket{transport=\"udp\",le=\"0.001\"} 3\n"
	    "lat_seconds_bucket{transport=\"udp\",le=\"0.01\"} 3\n"
	    "lat_seconds_bucket{transport=\"udp\",le=\"+Inf\"} 4\n"
	    "lat_seconds_sum{transport=\"udp\"} 0.020251\n"
	    "lat_seconds_count{transport=\"udp\"} 4\n");
	free(s);
	evbuffer_free(b);
}

static void
test_histogram_raw_no_labels(void **state)
{
	static const double bounds[] = { 0.5, 1 };
	static const uint64_t counts[] = { 1, 0, 2 };
	struct evbuffer *b = evbuffer_new();
	struct metrics_out o = { .buf = b };
	char *s;

	(void)state;
	metrics_family(&o, "h", METRICS_HISTOGRAM, "x");
	metrics_sample_buckets(&o, NULL, 0, bounds, counts, 2, 7.25);
	s = text(b);
	assert_string_equal(s, "# HELP h x\n# TYPE h histogram\n"
	    "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 3\n"
	    "h_sum 7.25\nh_count 3\n");
	free(s);
	evbuffer_drain(b, evbuffer_get_length(b));
	metrics_sample_buckets(&o, NULL, 0, bounds, counts, 2, NAN);
	s = text(b);
	assert_string_equal(s, "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1\"} 1\n"
	    "h_bucket{le=\"+Inf\"} 3\nh_count 3\n");
	free(s);
	evbuffer_free(b);
}

static void
collect(struct metrics_out *o, void *arg)
{
	struct metrics_counter *c = arg;

	metrics_family(o, "burrow_test_things_total", METRICS_COUNTER, "Things.");
	metrics_sample_u64(o, NULL, 0, metrics_get(c));
}

static void
test_render(void **state)
{
	struct metrics *m = metrics_new("burrow-test");
	struct metrics_counter c = { 0 };
	struct evbuffer *b = evbuffer_new();
	char *s, build[256];

	(void)state;
	assert_non_null(m);
	metrics_add(&c, 9);
	assert_int_equal(metrics_add_collector(m, collect, &c), BURROW_OK);
	assert_int_equal(metrics_render(m, b), BURROW_OK);
	s = text(b);
	snprintf(build, sizeof(build), "\nburrow_build_info{program=\"burrow-test\","
	    "version=\"%s\"} 1\n", burrow_version());
	assert_non_null(strstr(s, build));
	assert_non_null(strstr(s, "# TYPE process_start_time_seconds gauge\n"));
	assert_non_null(strstr(s, "# TYPE burrow_uptime_seconds gauge\n"));
	assert_non_null(strstr(s, "\nburrow_test_things_total 9\n"));
	free(s);
	evbuffer_free(b);
	metrics_free(m);
}

/* Sends req to 127.0.0.1:port and returns the whole answer (owned). */
static char *
http(int port, const char *req)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char *out = calloc(1, 65536);
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_non_null(out);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	shutdown(fd, SHUT_WR);
	while (len < 65535 && (n = read(fd, out + len, 65535 - len)) > 0)
		len += (size_t)n;
	close(fd);
	return out;
}

/* The serving thread answers while this thread is a plain client. */
static void
test_http(void **state)
{
	struct metrics *m = metrics_new("burrow-test");
	struct metrics_counter c = { 0 };
	char *r;
	int port;

	(void)state;
	assert_int_equal(metrics_listen_thread(m, "not an address"), BURROW_ERR_INVALID);
	metrics_free(m);
	m = metrics_new("burrow-test");
	metrics_add_collector(m, collect, &c);
	assert_int_equal(metrics_listen_thread(m, "127.0.0.1:0"), BURROW_OK);
	assert_true((port = metrics_port(m)) > 0);
	r = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(r, "\nburrow_test_things_total 0\n"));
	free(r);
	r = http(port, "GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 404 ", 13) == 0);
	free(r);
	r = http(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 405 ", 13) == 0);
	assert_non_null(strstr(r, "Allow: GET, HEAD"));
	free(r);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_escaping),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_counter),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_raw_no_labels),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
