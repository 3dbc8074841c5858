/*
 * fuzz_dns_query.c: libFuzzer target for burrow-dns's query path: the parser
 * (dns_query_parse) and the whole answer (dns_answer) over a small index
 * with tunnels, records, an empty non-terminal, compression fix-ups and a
 * truncating RRset.  Every response must fit its limit and parse with ldns.
 * The UDP answer is also made at a time when one tunnel's lease is over, and
 * then turned into its rate-limiting slip (rrl.h), which must parse too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/answer.h"
#include "dns/rrl.h"
#include "dns/wire.h"
#include "dns/zone_index.h"
#include "tests/fuzz/fixed_rand.h"

static struct zone_index *idx;
static uint8_t out[DNS_MSG_MAX];

static void
add(struct dns_zone *z, const char *name, int tunnel, const char *const *rrs, int n)
{
	ldns_rr_list *l = ldns_rr_list_new();

	for (int i = 0; i < n; i++) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL) != LDNS_STATUS_OK)
			abort();
		ldns_rr_list_push_rr(l, rr);
	}
	if (zone_index_name_set(idx, z, name, tunnel, n > 0 ? l : NULL) != 0)
		abort();
	ldns_rr_list_deep_free(l);
}

static void
setup(void)
{
	static const char *const ns[] = { "ns1.w.example.test", "w-ns-a.example.net" };
	static const char *const edges[] = { "192.0.2.10", "2001:db8::10" };
	struct zone_index_zone_params p = {
		1, "w.example.test", 60, "ns1.w.example.test", "hostmaster.w.example.test",
		3600, 600, 1209600, 30, 7, ns, 2,
	};
	const char *glue[] = { "ns1.w.example.test. 60 IN A 192.0.2.53",
		"ns1.w.example.test. 60 IN AAAA 2001:db8::53" };
	const char *txt[] = { "_acme-challenge.w.example.test. 60 IN TXT \"tok\"" };
	const char *mx[] = { "m.w.example.test. 60 IN MX 10 abcdefghijklmn.w.example.test.",
		"m.w.example.test. 60 IN MX 20 ns1.w.example.test." };
	const char *deep[] = { "a.b.w.example.test. 60 IN CAA 0 issue \"ca.example\"" };
	char big[12][400];
	const char *bigp[12];
	struct dns_zone *z;

	fixed_rand_install();
	if ((idx = zone_index_new()) == NULL || zone_index_zone_set(idx, &p) != 0 ||
	    zone_index_edges_set(idx, edges, 2) != 0)
		abort();
	z = zone_index_zone_by_id(idx, 1);
	add(z, "abcdefghijklmn.w.example.test", 1, NULL, 0);
	add(z, "leasedtunnel01.w.example.test", 1, NULL, 0);
	if (zone_index_lease_set(idx, z, "leasedtunnel01.w.example.test", 1000) != 0)
		abort();
	add(z, "ns1.w.example.test", -1, glue, 2);
	add(z, "_acme-challenge.w.example.test", -1, txt, 1);
	add(z, "m.w.example.test", -1, mx, 2);
	add(z, "a.b.w.example.test", -1, deep, 1);
	for (int i = 0; i < 12; i++) {
		snprintf(big[i], sizeof(big[i]), "big.w.example.test. 60 IN TXT \"%0200d\"", i);
		bigp[i] = big[i];
	}
	add(z, "big.w.example.test", -1, bigp, 12);
}

static void
check(const uint8_t *resp, size_t len, size_t limit)
{
	ldns_pkt *pkt = NULL;

	/* Transfers and signed queries go to xfr.c (fuzz_dns_xfr.c). */
	if (len == 0 || len == DNS_ANSWER_XFR)
		return;
	if (len > limit)
		abort();
	/* Whatever we send must be a well-formed DNS message. */
	if (ldns_wire2pkt(&pkt, resp, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(pkt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query q;
	struct rrl_class cls;
	size_t len;

	if (idx == NULL)
		setup();
	(void)dns_query_parse(data, size, &q);
	len = dns_answer(idx, data, size, DNS_UDP, out, DNS_EDNS_SIZE);
	check(out, len, DNS_EDNS_SIZE);
	len = dns_answer(idx, data, size, DNS_TCP, out, sizeof(out));
	check(out, len, sizeof(out));
	len = dns_answer_at(idx, data, size, DNS_UDP, 2000, out, DNS_EDNS_SIZE, &cls);
	check(out, len, DNS_EDNS_SIZE);
	if (len != 0 && len != DNS_ANSWER_XFR) {
		if (cls.name_len == 0 || cls.head_len > len)
			abort();
		len = rrl_slip_write(out, len, &cls);
		check(out, len, DNS_EDNS_SIZE);
		if (!(out[2] & (DNS_FLAG_TC >> 8)))
			abort();
	}
	return 0;
}
