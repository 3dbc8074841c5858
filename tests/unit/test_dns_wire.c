/*
 * test_dns_wire.c: the query parser and the answer path over a small index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "dns/zone_index.h"

static size_t
make_query(uint8_t *buf, const char *name, uint16_t type, uint16_t flags, int edns)
{
	ldns_rdf *d = NULL;
	size_t n = 12;

	memset(buf, 0, 12);
	dns_put16(buf, 0xbeef);
	dns_put16(buf + 2, flags);
	dns_put16(buf + 4, 1);
	assert_int_equal(ldns_str2rdf_dname(&d, name), LDNS_STATUS_OK);
	memcpy(buf + n, ldns_rdf_data(d), ldns_rdf_size(d));
	n += ldns_rdf_size(d);
	ldns_rdf_deep_free(d);
	dns_put16(buf + n, type);
	dns_put16(buf + n + 2, 1);
	n += 4;
	if (edns) {
		static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
		memcpy(buf + n, opt, sizeof(opt));
		n += sizeof(opt);
		dns_put16(buf + 10, 1);
	}
	return n;
}

static void
parse_ok(void **state)
{
	uint8_t buf[512];
	struct dns_query q;
	size_t n = make_query(buf, "AbC.Example.TEST", DNS_TYPE_AAAA, 0x0100, 1);

	(void)state;
	assert_int_equal(dns_query_parse(buf, n, &q), DNS_PARSE_OK);
	assert_int_equal(q.id, 0xbeef);
	assert_int_equal(q.qtype, DNS_TYPE_AAAA);
	assert_int_equal(q.labels, 3);
	assert_memory_equal(q.lname, "\3abc\7example\4test", 18);
	assert_int_equal(q.edns, DNS_EDNS_OK);
	assert_int_equal(q.edns_size, 1232);
}

static void
parse_bad(void **state)
{
	uint8_t buf[600];
	struct dns_query q;
	size_t n = make_query(buf, "a.example.test", 1, 0x0100, 0);

	(void)state;
	/* Every prefix of a valid query: dropped or FORMERR, never OK. */
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(dns_query_parse(buf, i, &q), DNS_PARSE_OK);
	assert_int_equal(dns_query_parse(buf, 11, &q), DNS_PARSE_DROP);
	buf[2] |= 0x80;    /* QR */
	assert_int_equal(dns_query_parse(buf, n, &q), DNS_PARSE_DROP);
	buf[2] &= 0x7f;
	buf[12] = 0xc0;    /* a pointer in the question */
	buf[13] = 12;
	assert_int_equal(dns_query_parse(buf, n, &q), DNS_PARSE_FORMERR);
	n = make_query(buf, "a.example.test", 1, 0x2800, 0);
	assert_int_equal(dns_query_parse(buf, n, &q), DNS_PARSE_NOTIMP);
	/* An unknown opcode is NOTIMP even with no question (NSD); NOTIFY
	 * without one is a FORMERR. */
	memset(buf, 0, 12);
	dns_put16(buf + 2, 15 << 11);
	assert_int_equal(dns_query_parse(buf, 12, &q), DNS_PARSE_NOTIMP);
	dns_put16(buf + 2, DNS_OPCODE_NOTIFY << 11);
	assert_int_equal(dns_query_parse(buf, 12, &q), DNS_PARSE_FORMERR);
	n = make_query(buf, "a.example.test", 1, 0x0100, 0);
	dns_put16(buf + 4, 2);
	assert_int_equal(dns_query_parse(buf, n, &q), DNS_PARSE_FORMERR_BARE);
	/* A 256-byte name. */
	memset(buf, 0, 12);
	dns_put16(buf + 4, 1);
	for (int l = 0; l < 4; l++) {
		buf[12 + l * 64] = 63;
		memset(buf + 13 + l * 64, 'a', 63);
	}
	buf[12 + 256] = 0;
	memset(buf + 12 + 257, 0, 4);
	assert_int_equal(dns_query_parse(buf, 12 + 261, &q), DNS_PARSE_FORMERR);
}

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
	return idx;
}

static ldns_pkt *
ask(struct zone_index *idx, const char *name, uint16_t type)
{
	uint8_t q[512], out[DNS_MSG_MAX];
	size_t n = make_query(q, name, type, 0x0100, 1), len;
	ldns_pkt *pkt = NULL;

	len = dns_answer(idx, q, n, DNS_UDP, out, sizeof(out));
	assert_true(len > 12 && len <= DNS_EDNS_SIZE);
	assert_int_equal(ldns_wire2pkt(&pkt, out, len), LDNS_STATUS_OK);
	return pkt;
}

static void
index_ent_and_removal(void **state)
{
	struct zone_index *idx = small_index();
	struct dns_zone *z = zone_index_zone_by_id(idx, 5);
	ldns_pkt *p;
	char *owner;

	(void)state;
	assert_int_equal(zone_index_count(idx), 1);
	assert_int_equal(zone_index_name_set(idx, z, "t1.a.b.example.test", 1, NULL), 0);
	assert_int_equal(zone_index_count(idx), 4);          /* t1.a.b, a.b, b, apex */
	p = ask(idx, "b.example.test", DNS_TYPE_A);          /* empty non-terminal */
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(p), 0);
	assert_int_equal(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
	p = ask(idx, "T1.A.b.example.test", DNS_TYPE_A);
	assert_int_equal(ldns_pkt_ancount(p), 1);
	assert_true(ldns_pkt_aa(p));
	assert_false(ldns_pkt_ra(p));
	/* Case kept, owner compressed onto the question. */
	owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(p), 0)));
	assert_non_null(owner);
	assert_string_equal(owner, "T1.A.b.example.test.");
	free(owner);
	ldns_pkt_free(p);
	assert_int_equal(zone_index_name_set(idx, z, "t1.a.b.example.test", 0, NULL), 0);
	assert_int_equal(zone_index_count(idx), 1);          /* ENTs went with it */
	p = ask(idx, "b.example.test", DNS_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	p = ask(idx, "example.org", DNS_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	zone_index_zone_remove(idx, 5);
	assert_int_equal(zone_index_count(idx), 0);
	zone_index_free(idx);
}

/* Names added before and after a reserve (a rehash) are all found. */
static void
index_reserve_keeps_names(void **state)
{
	struct zone_index *idx = small_index();
	struct dns_zone *z = zone_index_zone_by_id(idx, 5);
	char name[64];
	ldns_pkt *p;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		if (i == 1000)
			assert_int_equal(zone_index_reserve(idx, 100000), 0);
		snprintf(name, sizeof(name), "t%d.example.test", i);
		assert_int_equal(zone_index_name_set(idx, z, name, 1, NULL), 0);
	}
	assert_int_equal(zone_index_reserve(idx, 0), 0);
	assert_int_equal(zone_index_count(idx), 3001);
	for (int i = 0; i < 3000; i += 999) {
		snprintf(name, sizeof(name), "T%d.example.test", i);
		p = ask(idx, name, DNS_TYPE_A);
		assert_int_equal(ldns_pkt_ancount(p), 1);
		ldns_pkt_free(p);
	}
	zone_index_free(idx);
}

static void
answer_soa_serial_and_negative_ttl(void **state)
{
	struct zone_index *idx = small_index();
	ldns_pkt *p;
	ldns_rr *soa;

	(void)state;
	assert_int_equal(zone_index_zone_serial(idx, zone_index_zone_by_id(idx, 5), 77), 0);
	p = ask(idx, "nope.example.test", DNS_TYPE_A);
	soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
	assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
	assert_int_equal(ldns_rr_ttl(soa), 30);
	assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)), 77);
	ldns_pkt_free(p);
	zone_index_free(idx);
}

static ldns_pkt *
ask_at(struct zone_index *idx, const char *name, uint16_t type, uint64_t now)
{
	uint8_t q[512], out[DNS_MSG_MAX];
	size_t n = make_query(q, name, type, 0x0100, 1), len;
	ldns_pkt *pkt = NULL;

	len = dns_answer_at(idx, q, n, DNS_UDP, now, out, sizeof(out), NULL);
	assert_true(len > 12 && len <= DNS_EDNS_SIZE);
	assert_int_equal(ldns_wire2pkt(&pkt, out, len), LDNS_STATUS_OK);
	return pkt;
}

/* Checks rcode and section counts of the answer to name/type at now. */
static void
expect(struct zone_index *idx, const char *name, uint16_t type, uint64_t now, int rcode,
       int an, int ns, int ar)
{
	ldns_pkt *p = ask_at(idx, name, type, now);

	assert_int_equal(ldns_pkt_get_rcode(p), rcode);
	assert_int_equal(ldns_pkt_ancount(p), an);
	assert_int_equal(ldns_pkt_nscount(p), ns);
	assert_int_equal(ldns_pkt_arcount(p), ar);     /* ldns keeps OPT apart */
	ldns_pkt_free(p);
}

static void
answer_lease(void **state)
{
	struct zone_index *idx = small_index();
	struct dns_zone *z = zone_index_zone_by_id(idx, 5);
	ldns_rr_list *l = ldns_rr_list_new();
	ldns_rr *rr = NULL;

	(void)state;
	assert_int_equal(zone_index_name_set(idx, z, "t1.example.test", 1, NULL), 0);
	assert_int_equal(zone_index_lease_set(idx, z, "t1.example.test", 1000), 0);
	/* Before the end: the edge address, NS in authority. */
	expect(idx, "t1.example.test", DNS_TYPE_A, 999, LDNS_RCODE_NOERROR, 1, 1, 0);
	/* At and after it: NXDOMAIN with the SOA, as a name never created. */
	expect(idx, "t1.example.test", DNS_TYPE_A, 1000, LDNS_RCODE_NXDOMAIN, 0, 1, 0);
	expect(idx, "T1.example.test", DNS_TYPE_ANY, 5000, LDNS_RCODE_NXDOMAIN, 0, 1, 0);
	expect(idx, "nope.example.test", DNS_TYPE_A, 1000, LDNS_RCODE_NXDOMAIN, 0, 1, 0);
	/* now 0 (dns_answer()): leases are not looked at. */
	expect(idx, "t1.example.test", DNS_TYPE_A, 0, LDNS_RCODE_NOERROR, 1, 1, 0);
	/* Renewal moves the end; 0 is "never". */
	assert_int_equal(zone_index_lease_set(idx, z, "t1.example.test", 2000), 0);
	expect(idx, "t1.example.test", DNS_TYPE_A, 1500, LDNS_RCODE_NOERROR, 1, 1, 0);
	assert_int_equal(zone_index_lease_set(idx, z, "t1.example.test", 0), 0);
	expect(idx, "t1.example.test", DNS_TYPE_A, 99999, LDNS_RCODE_NOERROR, 1, 1, 0);
	/* An MX pointing at an expired tunnel gets no additional address. */
	assert_int_equal(zone_index_lease_set(idx, z, "t1.example.test", 1000), 0);
	assert_int_equal(ldns_rr_new_frm_str(&rr, "m.example.test. 60 IN MX 10 t1.example.test.",
	    0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(l, rr);
	assert_int_equal(zone_index_name_set(idx, z, "m.example.test", -1, l), 0);
	expect(idx, "m.example.test", DNS_TYPE_MX, 999, LDNS_RCODE_NOERROR, 1, 1, 1);
	expect(idx, "m.example.test", DNS_TYPE_MX, 1000, LDNS_RCODE_NOERROR, 1, 1, 0);
	/* An expired tunnel with records of its own keeps them, not the edge. */
	assert_int_equal(zone_index_name_set(idx, z, "t1.example.test", -1, l), 0);
	expect(idx, "t1.example.test", DNS_TYPE_A, 1000, LDNS_RCODE_NOERROR, 0, 1, 0);
	expect(idx, "t1.example.test", DNS_TYPE_MX, 1000, LDNS_RCODE_NOERROR, 1, 1, 0);
	/* No longer a tunnel: the lease goes with it. */
	assert_int_equal(zone_index_name_set(idx, z, "t1.example.test", 0, NULL), 0);
	assert_int_equal(zone_index_name_set(idx, z, "t1.example.test", 1, NULL), 0);
	expect(idx, "t1.example.test", DNS_TYPE_A, 5000, LDNS_RCODE_NOERROR, 1, 1, 0);
	ldns_rr_list_deep_free(l);
	zone_index_free(idx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_ok),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(index_ent_and_removal),
		cmocka_unit_test(index_reserve_keeps_names),
		cmocka_unit_test(answer_soa_serial_and_negative_ttl),
		cmocka_unit_test(answer_lease),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
