/*
 * test_dns_stats.c: the stats snapshot (dns/stats.h, dns_server_stats and
 * dns_server_zones in dns/server.h): latency buckets, per-worker counters
 * summed, and a real two-thread burrow-dns on a loopback port counting the
 * answers it sends by RCODE and following a tunnel created in the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "common/error.h"
#include "db/store.h"
#include "dns/index_load.h"
#include "dns/server.h"
#include "dns/stats.h"

#define ZONE "w.stats.test"
#define WAIT_SECONDS 60

static void
buckets(void **state)
{
	(void)state;
	assert_int_equal(dns_stats_bucket(0), 0);
	assert_int_equal(dns_stats_bucket(10000), 0);
	assert_int_equal(dns_stats_bucket(11000), 1);
	assert_int_equal(dns_stats_bucket(5000000), 8);
	assert_int_equal(dns_stats_bucket(5001000), 9);
	assert_int_equal(dns_stats_bucket(UINT64_MAX), DNS_STATS_LAT_BUCKETS - 1);
	for (int i = 1; i < DNS_STATS_LAT_BUCKETS - 1; i++)
		assert_true(dns_stats_latency_us[i] > dns_stats_latency_us[i - 1]);
}

static void
sum_of_workers(void **state)
{
	struct dns_worker_stats a, b;
	struct dns_stats out;
	uint8_t nx[12] = { 0, 1, 0x84, 0x03 }, ok[12] = { 0, 2, 0x84, 0x00 };

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&out, 0, sizeof(out));
	dns_stats_answer(&a, DNS_UDP, nx, sizeof(nx));
	dns_stats_answer(&a, DNS_UDP, ok, sizeof(ok));
	dns_stats_answer(&b, DNS_UDP, ok, sizeof(ok));
	dns_stats_answer(&b, DNS_TCP, ok, sizeof(ok));
	dns_stats_answer(&b, DNS_TCP, NULL, 0);
	dns_stats_latency(&a, 20000, 2);
	dns_stats_latency(&b, 20000000, 3);
	dns_stats_add(&b.rrl_dropped, 5);
	dns_stats_add(&a.rrl_slipped, 7);
	dns_stats_sum(&out, &a);
	dns_stats_sum(&out, &b);
	assert_int_equal(out.queries[DNS_UDP][DNS_RCODE_NOERROR], 2);
	assert_int_equal(out.queries[DNS_UDP][DNS_RCODE_NXDOMAIN], 1);
	assert_int_equal(out.queries[DNS_TCP][DNS_RCODE_NOERROR], 1);
	assert_int_equal(out.dropped[DNS_TCP], 1);
	assert_int_equal(out.latency[1], 2);
	assert_int_equal(out.latency[10], 3);
	assert_int_equal(out.rrl_dropped, 5);
	assert_int_equal(out.rrl_slipped, 7);
}

/* ---- a real server ---- */

struct fixture {
	char dir[64], path[128], listen[32];
	struct store *w;
	struct dns_server *srv;
	pthread_t thread;
	int rc;
	char names[3][NAMES_MAX + 1];
};

static void *
run(void *arg)
{
	struct fixture *fx = arg;

	fx->rc = dns_server_run(fx->srv);
	return NULL;
}

/* A UDP port free a moment ago (the server binds UDP and TCP on it). */
static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
setup(void **state)
{
	static const char *const ns[] = { "ns-a.stats.example" };
	struct store_init_params p = { ZONE, ns, 1, "192.0.2.1", NULL, 20000, 20999 };
	struct store_tunnel_spec spec = { NULL, "10.0.0.1", 8080, STORE_TUNNEL_TLS, 0, "t", 0 };
	struct dns_server_config cfg = { { NULL }, 1, 2, 16, 10000, 50, NULL, 1 << 20,
	    DNS_UDP_STEER_CPU, { 0 } };
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct store *r = NULL;
	struct zone_index *idx = NULL;
	struct store_tunnel t;
	int64_t seq = 0;

	if (fx == NULL)
		return -1;
	strcpy(fx->dir, "/tmp/burrow-dnsstats.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/burrow.db", fx->dir);
	if (store_open(fx->path, STORE_CREATE, &fx->w, NULL, 0) != BURROW_OK ||
	    store_init(fx->w, &p) != BURROW_OK)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (store_tunnel_create(fx->w, &spec, &t) != BURROW_OK)
			return -1;
		snprintf(fx->names[i], sizeof(fx->names[i]), "%s", t.hostname);
	}
	snprintf(fx->listen, sizeof(fx->listen), "127.0.0.1:%d", free_port());
	cfg.listen[0] = fx->listen;
	if (store_open(fx->path, STORE_READONLY, &r, NULL, 0) != BURROW_OK ||
	    (idx = zone_index_new()) == NULL || index_load_all(r, idx, &seq) != BURROW_OK)
		return -1;
	if ((fx->srv = dns_server_new(&cfg, r, idx, seq)) == NULL)
		return -1;
	if (pthread_create(&fx->thread, NULL, run, fx) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[160];

	/* The server's first loop owns SIGTERM (libevent's handler). */
	kill(getpid(), SIGTERM);
	pthread_join(fx->thread, NULL);
	assert_int_equal(fx->rc, BURROW_OK);
	dns_server_free(fx->srv);
	store_close(fx->w);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* Sends a query for name over UDP and returns the response's RCODE. */
static int
ask(const struct fixture *fx, const char *name)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { 2, 0 };
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL, buf[1500];
	size_t n;
	ssize_t got = -1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)atoi(strchr(fx->listen, ':') + 1));
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    0), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&wire, q, &n), LDNS_STATUS_OK);
	/* Retried: the server may not be reading yet. */
	for (int i = 0; i < WAIT_SECONDS / 2 && got < 12; i++) {
		assert_true(sendto(fd, wire, n, 0, (struct sockaddr *)&sa, sizeof(sa)) ==
		    (ssize_t)n);
		got = recv(fd, buf, sizeof(buf), 0);
	}
	free(wire);
	ldns_pkt_free(q);
	close(fd);
	assert_true(got >= 12);
	return buf[3] & 0x0F;
}

static uint64_t
total(const uint64_t *v, int n)
{
	uint64_t s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}

static void
counts_answers_and_follows(void **state)
{
	struct fixture *fx = *state;
	struct store_tunnel_spec spec = { NULL, "10.0.0.1", 8080, STORE_TUNNEL_TLS, 0, "t", 0 };
	struct store_tunnel t;
	struct dns_zone_serial *z = NULL;
	struct dns_stats st;
	uint32_t serial0;
	uint64_t names0;
	size_t nz = 0;
	int nx = 0, ok = 0, i;

	dns_server_stats(fx->srv, &st);
	assert_int_equal(st.workers, 2);
	assert_int_equal(st.names >= 4, 1);    /* apex and three tunnels */
	assert_int_equal(st.lag, 0);
	names0 = st.names;
	assert_int_equal(dns_server_zones(fx->srv, &z, &nz), BURROW_OK);
	assert_int_equal(nz, 1);
	assert_string_equal(z[0].name, ZONE ".");
	serial0 = z[0].serial;
	free(z);

	for (i = 0; i < 20; i++) {
		char name[NAMES_MAX + 16];
		if (i % 4 == 3) {
			snprintf(name, sizeof(name), "nope%d." ZONE, i);
			nx += ask(fx, name) == DNS_RCODE_NXDOMAIN;
		} else {
			ok += ask(fx, fx->names[i % 3]) == DNS_RCODE_NOERROR;
		}
	}
	assert_int_equal(nx, 5);
	assert_int_equal(ok, 15);
	dns_server_stats(fx->srv, &st);
	/* Retries (a reply lost before the loop ran) may add answers. */
	assert_true(st.queries[DNS_UDP][DNS_RCODE_NOERROR] >= 15);
	assert_true(st.queries[DNS_UDP][DNS_RCODE_NXDOMAIN] >= 5);
	assert_int_equal(total(st.queries[DNS_TCP], DNS_STATS_RCODES), 0);
	assert_int_equal(total(st.latency, DNS_STATS_LAT_BUCKETS),
	    total(st.queries[DNS_UDP], DNS_STATS_RCODES) + st.dropped[DNS_UDP]);

	/* A new tunnel: the follower applies it and publishes the serial. */
	assert_int_equal(store_tunnel_create(fx->w, &spec, &t), BURROW_OK);
	for (i = 0; i < WAIT_SECONDS * 10; i++) {
		dns_server_stats(fx->srv, &st);
		if (st.names > names0 && st.lag == 0 && st.applied_seq == st.store_seq)
			break;
		usleep(100000);
	}
	assert_true(st.names > names0);
	assert_int_equal(st.lag, 0);
	assert_int_equal(ask(fx, t.hostname), DNS_RCODE_NOERROR);
	assert_int_equal(dns_server_zones(fx->srv, &z, &nz), BURROW_OK);
	assert_int_equal(nz, 1);
	assert_true(z[0].serial != serial0);
	assert_int_equal(z[0].serial, (uint32_t)st.applied_seq);
	free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets),
		cmocka_unit_test(sum_of_workers),
		cmocka_unit_test_setup_teardown(counts_answers_and_follows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
