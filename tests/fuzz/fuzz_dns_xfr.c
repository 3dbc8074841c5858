/*
 * fuzz_dns_xfr.c: libFuzzer target for the transfer path: tsig_find() and
 * tsig_verify() on any bytes, then xfr_handle() (TSIG checks, the IXFR SOA
 * parser, access rules) over a small zone with one secondary, over UDP and
 * TCP, draining any stream.  Every message produced must parse with ldns.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/answer.h"
#include "dns/tsig.h"
#include "dns/xfr.h"
#include "tests/fuzz/fixed_rand.h"

static struct zone_index *idx;
static struct ixfr_journal *journal;
static struct xfr_secondary sec;
static uint8_t out[DNS_MSG_MAX];

static void
setup(void)
{
	static const char *const ns[] = { "ns1.w.example.test" };
	static const char *const edges[] = { "192.0.2.10", "2001:db8::10" };
	struct zone_index_zone_params p = {
		1, "w.example.test", 60, "ns1.w.example.test", "hostmaster.w.example.test",
		3600, 600, 1209600, 30, 7, ns, 1,
	};
	struct dns_zone *z;

	fixed_rand_install();
	if ((idx = zone_index_new()) == NULL || zone_index_zone_set(idx, &p) != 0 ||
	    zone_index_edges_set(idx, edges, 2) != 0 || (journal = ixfr_journal_new(1 << 20)) == NULL)
		abort();
	z = zone_index_zone_by_id(idx, 1);
	if (zone_index_name_set(idx, z, "abcdefghijklmn.w.example.test", 1, NULL) != 0)
		abort();
	snprintf(sec.address, sizeof(sec.address), "127.0.0.1");
	if (tsig_key_init(&sec.key, "xfr", "hmac-sha256",
	    "bJ6HUMS/DFo3IFMsFgmWl5L2kqWLNWvBwWR1YLOIW58=") != 0)
		abort();
}

static void
check(const uint8_t *msg, size_t len)
{
	ldns_pkt *pkt = NULL;

	if (len == 0)
		return;
	if (len > DNS_MSG_MAX || ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(pkt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xfr_acl acl = { &sec, 1 };
	struct xfr_ctx ctx = { NULL, NULL, &acl, 1700000000 };
	struct sockaddr_in from;
	struct xfr_stream *s = NULL;
	struct tsig_rr t;
	char note[160];
	size_t len;

	if (idx == NULL)
		setup();
	ctx.idx = idx;
	ctx.journal = journal;
	if (tsig_find(data, size, &t) == 0)
		(void)tsig_verify(data, size, &t, &sec.key, NULL, 0, 0, ctx.now);
	memset(&from, 0, sizeof(from));
	from.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
	for (int tr = 0; tr < 2; tr++) {
		enum dns_transport transport = tr ? DNS_TCP : DNS_UDP;
		len = dns_answer(idx, data, size, transport, out, tr ? DNS_MSG_MAX : DNS_EDNS_SIZE);
		if (len != DNS_ANSWER_XFR)
			continue;
		len = xfr_handle(&ctx, data, size, transport, (struct sockaddr *)&from, out,
		    tr ? DNS_MSG_MAX : DNS_EDNS_SIZE, &s, note, sizeof(note));
		if (!tr && len > DNS_EDNS_SIZE)
			abort();
		check(out, len);
		while (s != NULL && (len = xfr_stream_next(s, ctx.now, out, DNS_MSG_MAX)) > 0)
			check(out, len);
		xfr_stream_free(s);
		s = NULL;
	}
	return 0;
}
