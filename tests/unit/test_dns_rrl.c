/*
 * test_dns_rrl.c: response rate limiting with an injected clock, the CIDR
 * parser it exempts with, and the classes dns_answer_at() reports.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "common/error.h"
#include "common/netaddr.h"
#include "dns/answer.h"
#include "dns/rrl.h"
#include "dns/zone_index.h"

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	return ss;
}

static struct rrl_class
cls_of(enum rrl_kind kind, const char *wire, uint16_t qtype)
{
	struct rrl_class c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.qtype = qtype;
	c.name_len = (uint8_t)(strlen(wire) + 1);
	memcpy(c.name, wire, c.name_len);
	c.head_len = (uint16_t)(DNS_HEADER_LEN + c.name_len + 4);
	return c;
}

static struct rrl *
table(uint32_t rate, uint32_t slip, size_t buckets)
{
	struct rrl_config cfg;
	struct rrl *r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.rate = rate;
	cfg.slip = slip;
	cfg.buckets = buckets;
	r = rrl_new(&cfg);
	assert_non_null(r);
	return r;
}

/* Sends n responses of cls from who at now; counts the verdicts. */
static void
burst(struct rrl *r, const char *who, const struct rrl_class *cls, uint32_t now, int n,
      int counts[3])
{
	struct sockaddr_storage ss = addr(who);

	for (int i = 0; i < n; i++)
		counts[rrl_decide(r, (struct sockaddr *)&ss, cls, now)]++;
}

static void
rate_per_second_and_slip(void **state)
{
	struct rrl *r = table(5, 2, 0);
	struct rrl_class c = cls_of(RRL_POSITIVE, "\3www\7example\4test", DNS_TYPE_A);
	struct sockaddr_storage ss = addr("192.0.2.7");
	int v[3] = { 0 };

	(void)state;
	burst(r, "192.0.2.7", &c, 1000, 5, v);
	assert_int_equal(v[RRL_ANSWER], 5);
	/* Over the limit: drop, slip, drop, slip... (every 2nd truncated). */
	assert_int_equal(rrl_decide(r, (struct sockaddr *)&ss, &c, 1000), RRL_DROP);
	assert_int_equal(rrl_decide(r, (struct sockaddr *)&ss, &c, 1000), RRL_SLIP);
	assert_int_equal(rrl_decide(r, (struct sockaddr *)&ss, &c, 1000), RRL_DROP);
	assert_int_equal(rrl_decide(r, (struct sockaddr *)&ss, &c, 1000), RRL_SLIP);
	/* The next second: a full budget again, and no more. */
	memset(v, 0, sizeof(v));
	burst(r, "192.0.2.7", &c, 1001, 7, v);
	assert_int_equal(v[RRL_ANSWER], 5);
	assert_int_equal(v[RRL_DROP] + v[RRL_SLIP], 2);
	/* A clock that steps back starts a new second too, never stalls. */
	memset(v, 0, sizeof(v));
	burst(r, "192.0.2.7", &c, 900, 5, v);
	assert_int_equal(v[RRL_ANSWER], 5);
	rrl_free(r);
}

static void
slip_zero_and_one(void **state)
{
	struct rrl_class c = cls_of(RRL_NXDOMAIN, "\7example\4test", 0);
	struct rrl *none = table(1, 0, 0), *all = table(1, 1, 0);
	int v[3] = { 0 }, w[3] = { 0 };

	(void)state;
	burst(none, "198.51.100.1", &c, 5, 11, v);
	assert_int_equal(v[RRL_ANSWER], 1);
	assert_int_equal(v[RRL_DROP], 10);      /* slip 0: nothing truncated */
	burst(all, "198.51.100.1", &c, 5, 11, w);
	assert_int_equal(w[RRL_ANSWER], 1);
	assert_int_equal(w[RRL_SLIP], 10);      /* slip 1: every one truncated */
	rrl_free(none);
	rrl_free(all);
}

static void
netblocks(void **state)
{
	struct rrl *r = table(3, 0, 0);
	struct rrl_class c = cls_of(RRL_NXDOMAIN, "\7example\4test", 0);
	int v[3] = { 0 };

	(void)state;
	/* 127.0.0.1 and 127.0.0.2 are one /24: one budget. */
	burst(r, "127.0.0.1", &c, 7, 2, v);
	burst(r, "127.0.0.2", &c, 7, 2, v);
	assert_int_equal(v[RRL_ANSWER], 3);
	/* 127.1.0.1 is another /24; an IPv4-mapped address is its IPv4. */
	memset(v, 0, sizeof(v));
	burst(r, "127.1.0.1", &c, 7, 2, v);
	burst(r, "::ffff:127.1.0.9", &c, 7, 2, v);
	assert_int_equal(v[RRL_ANSWER], 3);
	/* IPv6: a /56 is one client; the next /56 is another. */
	memset(v, 0, sizeof(v));
	burst(r, "2001:db8:0:ab::1", &c, 7, 2, v);
	burst(r, "2001:db8:0:ff:1::2", &c, 7, 2, v);
	assert_int_equal(v[RRL_ANSWER], 3);
	memset(v, 0, sizeof(v));
	burst(r, "2001:db8:0:100::1", &c, 7, 3, v);
	assert_int_equal(v[RRL_ANSWER], 3);
	rrl_free(r);
}

static void
classes_are_separate(void **state)
{
	struct rrl *r = table(2, 0, 0);
	struct rrl_class a = cls_of(RRL_POSITIVE, "\1a\7example\4test", DNS_TYPE_A);
	struct rrl_class aaaa = cls_of(RRL_POSITIVE, "\1a\7example\4test", DNS_TYPE_AAAA);
	struct rrl_class b = cls_of(RRL_POSITIVE, "\1b\7example\4test", DNS_TYPE_A);
	struct rrl_class nx = cls_of(RRL_NXDOMAIN, "\7example\4test", 0);
	struct rrl_class nodata = cls_of(RRL_NODATA, "\7example\4test", 0);
	struct rrl_class nx2 = cls_of(RRL_NXDOMAIN, "\7example\4test", DNS_TYPE_TXT);
	int v[3] = { 0 };

	(void)state;
	burst(r, "203.0.113.5", &a, 1, 3, v);
	burst(r, "203.0.113.5", &aaaa, 1, 3, v);
	burst(r, "203.0.113.5", &b, 1, 3, v);
	burst(r, "203.0.113.5", &nx, 1, 3, v);
	burst(r, "203.0.113.5", &nodata, 1, 3, v);
	assert_int_equal(v[RRL_ANSWER], 10);    /* 2 of each of 5 classes */
	/* The query type does not split a negative class. */
	memset(v, 0, sizeof(v));
	burst(r, "203.0.113.5", &nx2, 1, 1, v);
	assert_int_equal(v[RRL_DROP], 1);
	rrl_free(r);
}

static void
exempt_blocks(void **state)
{
	struct rrl_config cfg;
	struct rrl_class c = cls_of(RRL_NXDOMAIN, "\7example\4test", 0);
	struct rrl *r;
	int v[3] = { 0 };

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.rate = 1;
	assert_int_equal(netaddr_cidr_parse("10.1.0.0/16", &cfg.exempt[0]), BURROW_OK);
	assert_int_equal(netaddr_cidr_parse("2001:db8::/32", &cfg.exempt[1]), BURROW_OK);
	cfg.nexempt = 2;
	assert_non_null(r = rrl_new(&cfg));
	burst(r, "10.1.200.3", &c, 1, 50, v);
	burst(r, "2001:db8:1::1", &c, 1, 50, v);
	assert_int_equal(v[RRL_ANSWER], 100);
	burst(r, "10.2.0.1", &c, 1, 2, v);
	assert_int_equal(v[RRL_ANSWER], 101);
	rrl_free(r);
	cfg.rate = 0;                           /* off: no table at all */
	assert_null(rrl_new(&cfg));
}

/* A flood from random addresses and names only evicts buckets: the table
 * stays the size it was made, and a steady flood is still limited. */
static void
bounded_under_random_flood(void **state)
{
	struct rrl *r = table(10, 0, 1024);
	struct rrl_class victim = cls_of(RRL_NXDOMAIN, "\7example\4test", 0);
	struct sockaddr_in sin;
	struct sockaddr_storage v = addr("192.0.2.1");
	int limited = 0;
	uint32_t x = 12345;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	for (int i = 0; i < 200000; i++) {
		struct rrl_class c = cls_of(RRL_POSITIVE, "\1x\7example\4test", 0);
		x = x * 1103515245u + 12345u;
		sin.sin_addr.s_addr = x;
		c.name[1] = (uint8_t)('a' + (x >> 27));
		rrl_decide(r, (struct sockaddr *)&sin, &c, 50);
		/* One victim flow among them: 1 in 100 packets. */
		if (i % 100 == 0)
			limited += rrl_decide(r, (struct sockaddr *)&v, &victim, 50) != RRL_ANSWER;
	}
	/* 2000 victim responses in the second, 10 allowed; evictions may
	 * hand back a few budgets, never most of them. */
	assert_true(limited > 1500);
	rrl_free(r);
}

static void
slip_write_keeps_question(void **state)
{
	uint8_t resp[64] = { 0x12, 0x34, 0x84, 0x00, 0, 1, 0, 2, 0, 1, 0, 1 };
	struct rrl_class c = cls_of(RRL_POSITIVE, "\1a\2bc", DNS_TYPE_A);
	struct rrl_class bare = cls_of(RRL_ERROR, "", 0);
	struct rrl *r = table(1, 1, 0), *r2;
	struct sockaddr_storage ss = addr("192.0.2.9");
	enum rrl_verdict v;
	size_t n;

	(void)state;
	memcpy(resp + 12, "\1a\2bc\0\0\1\0\1", 10);
	n = rrl_slip_write(resp, sizeof(resp), &c);
	assert_int_equal(n, 22);
	assert_int_equal(resp[2] & 0x02, 0x02);                     /* TC */
	assert_int_equal(dns_get16(resp + 4), 1);                    /* the question */
	assert_int_equal(dns_get16(resp + 6) | dns_get16(resp + 8) | dns_get16(resp + 10), 0);
	bare.head_len = DNS_HEADER_LEN;
	assert_int_equal(rrl_slip_write(resp, sizeof(resp), &bare), DNS_HEADER_LEN);
	assert_int_equal(dns_get16(resp + 4), 0);
	/* rrl_apply: the first answered whole, the next slipped, NULL is off. */
	assert_int_equal(rrl_apply(r, (struct sockaddr *)&ss, &c, 3, resp, 40, &v), 40);
	assert_int_equal(v, RRL_ANSWER);
	assert_int_equal(rrl_apply(r, (struct sockaddr *)&ss, &c, 3, resp, 40, &v), 22);
	assert_int_equal(v, RRL_SLIP);
	assert_int_equal(rrl_apply(NULL, (struct sockaddr *)&ss, &c, 3, resp, 40, &v), 40);
	assert_int_equal(v, RRL_ANSWER);
	r2 = table(1, 0, 0);
	assert_int_equal(rrl_apply(r2, (struct sockaddr *)&ss, &c, 3, resp, 40, &v), 40);
	assert_int_equal(rrl_apply(r2, (struct sockaddr *)&ss, &c, 3, resp, 40, &v), 0);
	assert_int_equal(v, RRL_DROP);
	rrl_free(r2);
	rrl_free(r);
}

static void
cidr_parse(void **state)
{
	struct netaddr_cidr c;
	struct sockaddr_storage in = addr("192.168.7.200"), out = addr("192.168.8.1");
	struct sockaddr_storage six = addr("fd00::1");

	(void)state;
	assert_int_equal(netaddr_cidr_parse("192.168.0.0/21", &c), BURROW_OK);
	assert_int_equal(c.family, 4);
	assert_int_equal(c.prefix, 21);
	assert_true(netaddr_cidr_contains(&c, (struct sockaddr *)&in));
	assert_false(netaddr_cidr_contains(&c, (struct sockaddr *)&out));
	assert_false(netaddr_cidr_contains(&c, (struct sockaddr *)&six));
	assert_int_equal(netaddr_cidr_parse("192.168.7.200", &c), BURROW_OK);
	assert_int_equal(c.prefix, 32);
	assert_true(netaddr_cidr_contains(&c, (struct sockaddr *)&in));
	assert_int_equal(netaddr_cidr_parse("0.0.0.0/0", &c), BURROW_OK);
	assert_true(netaddr_cidr_contains(&c, (struct sockaddr *)&out));
	assert_int_equal(netaddr_cidr_parse("fd00::/8", &c), BURROW_OK);
	assert_true(netaddr_cidr_contains(&c, (struct sockaddr *)&six));
	assert_false(netaddr_cidr_contains(&c, (struct sockaddr *)&in));
	static const char *const bad[] = {
		"", "/24", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/+8",
		"10.0.0.0/08x", "10.0.0.0/0008", "fd00::/129", "fd00::1/64", "example.com/24",
		"10.0.0.0/24/1", "10.0.0.0 /24",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(netaddr_cidr_parse(bad[i], &c), BURROW_ERR_INVALID);
}

/* ---- the classes dns_answer_at() reports ---- */

static struct zone_index *
small_index(void)
{
	static const char *const ns[] = { "ns1.example.test" };
	static const char *const edges[] = { "192.0.2.1" };
	struct zone_index_zone_params p = {
		5, "example.test", 60, "ns1.example.test", "hostmaster.example.test",
		3600, 600, 1209600, 30, 42, ns, 1,
	};
	struct zone_index *idx = zone_index_new();

	assert_non_null(idx);
	assert_int_equal(zone_index_zone_set(idx, &p), 0);
	assert_int_equal(zone_index_edges_set(idx, edges, 1), 0);
	assert_int_equal(zone_index_name_set(idx, zone_index_zone_by_id(idx, 5),
	    "tun.example.test", 1, NULL), 0);
	return idx;
}

static size_t
make_query(uint8_t *buf, const char *name, uint16_t type, uint16_t qclass)
{
	ldns_rdf *d = NULL;
	size_t n = 12;

	memset(buf, 0, 12);
	dns_put16(buf, 0xbeef);
	dns_put16(buf + 2, 0x0100);
	dns_put16(buf + 4, 1);
	assert_int_equal(ldns_str2rdf_dname(&d, name), LDNS_STATUS_OK);
	memcpy(buf + n, ldns_rdf_data(d), ldns_rdf_size(d));
	n += ldns_rdf_size(d);
	ldns_rdf_deep_free(d);
	dns_put16(buf + n, type);
	dns_put16(buf + n + 2, qclass);
	return n + 4;
}

static struct rrl_class
class_of(const struct zone_index *idx, const char *name, uint16_t type, uint16_t qclass)
{
	uint8_t q[300], out[DNS_EDNS_SIZE];
	size_t n = make_query(q, name, type, qclass);
	struct rrl_class c;

	memset(&c, 0xee, sizeof(c));
	assert_true(dns_answer_at(idx, q, n, DNS_UDP, 1000, out, sizeof(out), &c) > 0);
	return c;
}

static void
answer_classes(void **state)
{
	struct zone_index *idx = small_index();
	struct rrl_class c;

	(void)state;
	/* Case does not make a new class (0x20 randomisation). */
	c = class_of(idx, "TUN.example.test", DNS_TYPE_A, 1);
	assert_int_equal(c.kind, RRL_POSITIVE);
	assert_int_equal(c.qtype, DNS_TYPE_A);
	assert_int_equal(c.name_len, 18);
	assert_memory_equal(c.name, "\3tun\7example\4test", 18);
	assert_int_equal(c.head_len, 12 + 18 + 4);
	/* NODATA and NXDOMAIN: the zone apex, whatever the name. */
	c = class_of(idx, "tun.example.test", DNS_TYPE_TXT, 1);
	assert_int_equal(c.kind, RRL_NODATA);
	assert_memory_equal(c.name, "\7example\4test", 14);
	c = class_of(idx, "x7q2.example.test", DNS_TYPE_A, 1);
	assert_int_equal(c.kind, RRL_NXDOMAIN);
	assert_int_equal(c.name_len, 14);
	assert_memory_equal(c.name, "\7example\4test", 14);
	/* Not ours, or a class we refuse: an error, named by the root. */
	c = class_of(idx, "example.org", DNS_TYPE_A, 1);
	assert_int_equal(c.kind, RRL_ERROR);
	assert_int_equal(c.name_len, 1);
	c = class_of(idx, "tun.example.test", DNS_TYPE_A, 4);
	assert_int_equal(c.kind, RRL_ERROR);
	assert_int_equal(c.head_len, DNS_HEADER_LEN);   /* REFUSED without question */
	zone_index_free(idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rate_per_second_and_slip),
		cmocka_unit_test(slip_zero_and_one),
		cmocka_unit_test(netblocks),
		cmocka_unit_test(classes_are_separate),
		cmocka_unit_test(exempt_blocks),
		cmocka_unit_test(bounded_under_random_flood),
		cmocka_unit_test(slip_write_keeps_question),
		cmocka_unit_test(cidr_parse),
		cmocka_unit_test(answer_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
