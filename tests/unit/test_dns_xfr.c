/*
 * test_dns_xfr.c: TSIG (checked against ldns in both directions), the IXFR
 * journal, the catalog zone, xfr_handle()'s access rules and which answers
 * to a NOTIFY end its retries (notify_check()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "common/error.h"
#include "dns/catalog.h"
#include "dns/ixfr_journal.h"
#include "dns/notify.h"
#include "dns/tsig.h"
#include "dns/xfr.h"

#define SECRET "bJ6HUMS/DFo3IFMsFgmWl5L2kqWLNWvBwWR1YLOIW58="

static size_t
query_wire(const char *name, ldns_rr_type type, uint8_t *out, ldns_pkt **pp)
{
	ldns_pkt *p = NULL;
	uint8_t *w = NULL;
	size_t n;

	assert_int_equal(ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, 0),
	    LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 4242);
	if (pp != NULL) {
		assert_int_equal(ldns_pkt_tsig_sign(p, "xfr.key.", SECRET, 300, "hmac-sha256.",
		    NULL), LDNS_STATUS_OK);
	}
	assert_int_equal(ldns_pkt2wire(&w, p, &n), LDNS_STATUS_OK);
	memcpy(out, w, n);
	free(w);
	if (pp != NULL)
		*pp = p;
	else
		ldns_pkt_free(p);
	return n;
}

static void
tsig_against_ldns(void **state)
{
	struct tsig_key k, other;
	struct tsig_rr t;
	uint8_t msg[1024], mac[TSIG_MAC_MAX];
	ldns_pkt *signed_by_ldns = NULL, *mine = NULL;
	size_t n, len;
	uint64_t now = (uint64_t)time(NULL);

	(void)state;
	assert_int_equal(tsig_key_init(&k, "xfr.key", "hmac-sha256", SECRET), BURROW_OK);
	assert_int_equal(k.secret_len, 32);
	assert_int_equal(tsig_key_init(&other, "xfr.key", "hmac-md5", SECRET), BURROW_ERR_INVALID);
	assert_int_equal(tsig_key_init(&other, "xfr.key", "hmac-sha256", "not base64!"),
	    BURROW_ERR_INVALID);

	/* ldns signs, we verify. */
	n = query_wire("w.example.test.", LDNS_RR_TYPE_AXFR, msg, &signed_by_ldns);
	assert_int_equal(tsig_find(msg, n, &t), BURROW_OK);
	assert_int_equal(tsig_verify(msg, n, &t, &k, NULL, 0, 0, now), TSIG_OK);
	assert_int_equal(tsig_verify(msg, n, &t, &k, NULL, 0, 0, now + 1000), TSIG_BADTIME);
	assert_int_equal(tsig_key_init(&other, "other.key", "hmac-sha256", SECRET), BURROW_OK);
	assert_int_equal(tsig_verify(msg, n, &t, &other, NULL, 0, 0, now), TSIG_BADKEY);
	msg[13] ^= 1;   /* a bit of the question */
	assert_int_equal(tsig_verify(msg, n, &t, &k, NULL, 0, 0, now), TSIG_BADSIG);
	msg[13] ^= 1;

	/* We sign a response, ldns verifies it against the request MAC. */
	len = t.rr_off;
	memcpy(msg + 2, "\x84\x00", 2);
	dns_put16(msg + 10, 0);
	assert_int_equal(tsig_sign(msg, len, sizeof(msg), &n, &k, t.mac, t.mac_len, 0, now,
	    TSIG_OK, NULL, 0, mac), BURROW_OK);
	assert_int_equal(ldns_wire2pkt(&mine, msg, n), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tsig_verify(mine, msg, n, "xfr.key.", SECRET,
	    ldns_rr_rdf(ldns_pkt_tsig(signed_by_ldns), 3)));
	ldns_pkt_free(mine);
	ldns_pkt_free(signed_by_ldns);

	/* Malformed: TSIG not last, truncated. */
	assert_int_equal(tsig_find(msg, n - 1, &t), BURROW_ERR_PROTO);
	assert_int_equal(tsig_find(msg, 5, &t), BURROW_ERR_PROTO);
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

static void
journal_diff(void **state)
{
	struct zone_index *idx = small_index();
	struct dns_zone *z = zone_index_zone_by_id(idx, 5);
	struct ixfr_journal *j = ixfr_journal_new(1 << 20);
	struct rrbuf out = { NULL, 0, 0, 0, 0 };

	(void)state;
	assert_non_null(j);
	assert_int_equal(zone_index_name_set(idx, z, "old.example.test", 1, NULL), 0);
	/* serial 42 -> 50: old goes, new comes. */
	assert_int_equal(ixfr_journal_begin(j, idx), BURROW_OK);
	ixfr_journal_note(j, idx, z, "old.example.test");
	ixfr_journal_note(j, idx, z, "new.example.test");
	assert_int_equal(zone_index_name_set(idx, z, "old.example.test", 0, NULL), 0);
	assert_int_equal(zone_index_name_set(idx, z, "new.example.test", 1, NULL), 0);
	assert_int_equal(zone_index_zone_serial(idx, z, 50), 0);
	ixfr_journal_commit(j, idx, BURROW_OK);
	assert_int_equal(ixfr_journal_entries(j), 1);
	assert_int_equal(ixfr_journal_answer(j, z, 42, &out), BURROW_OK);
	/* SOA 50, SOA 42, -old A, SOA 50, +new A, SOA 50 */
	assert_int_equal(out.count, 6);
	rrbuf_clear(&out);
	assert_int_equal(ixfr_journal_answer(j, z, 41, &out), BURROW_ERR_NOTFOUND);
	rrbuf_clear(&out);
	/* An edge change drops the history: whole-zone answers only. */
	assert_int_equal(ixfr_journal_begin(j, idx), BURROW_OK);
	ixfr_journal_note_all(j);
	assert_int_equal(zone_index_zone_serial(idx, z, 51), 0);
	ixfr_journal_commit(j, idx, BURROW_OK);
	assert_int_equal(ixfr_journal_entries(j), 0);
	assert_int_equal(ixfr_journal_answer(j, z, 50, &out), BURROW_ERR_NOTFOUND);
	rrbuf_clear(&out);
	ixfr_journal_free(j);
	zone_index_free(idx);
}

static void
catalog_members_follow_zones(void **state)
{
	struct zone_index *idx = small_index();
	struct catalog *c = catalog_new(idx, CATALOG_DEFAULT_NAME, 7);
	static const uint8_t member[] = "\x02z5\x05zones\x07" "catalog\x06" "burrow\x07invalid";
	const struct dns_node *n;
	int changed;

	(void)state;
	assert_non_null(c);
	assert_int_equal(catalog_sync(c, idx, 8, NULL, &changed), BURROW_OK);
	assert_true(changed);
	assert_int_equal(catalog_members(c), 1);
	n = zone_index_lookup(idx, member, sizeof(member));
	assert_non_null(n);
	assert_non_null(zone_index_rrset(n, 12 /* PTR */));
	assert_int_equal(zone_index_zone_by_id(idx, CATALOG_ZONE_ID)->serial, 8);
	assert_int_equal(catalog_sync(c, idx, 9, NULL, &changed), BURROW_OK);
	assert_false(changed);
	zone_index_zone_remove(idx, 5);
	assert_int_equal(catalog_sync(c, idx, 10, NULL, &changed), BURROW_OK);
	assert_true(changed);
	assert_int_equal(catalog_members(c), 0);
	assert_null(zone_index_lookup(idx, member, sizeof(member)));
	catalog_free(c);
	zone_index_free(idx);
}

static void
transfer_rules(void **state)
{
	struct zone_index *idx = small_index();
	struct xfr_secondary sec;
	struct xfr_acl acl = { &sec, 1 };
	struct xfr_ctx ctx = { idx, NULL, &acl, (uint64_t)time(NULL) };
	struct sockaddr_in from = { 0 }, stranger = { 0 };
	struct xfr_stream *s = NULL;
	uint8_t q[1024], *out = malloc(DNS_MSG_MAX);
	char note[160];
	ldns_pkt *p = NULL;
	size_t n, len, total = 0;

	(void)state;
	memset(&sec, 0, sizeof(sec));
	snprintf(sec.address, sizeof(sec.address), "127.0.0.1");
	assert_int_equal(tsig_key_init(&sec.key, "xfr.key", "hmac-sha256", SECRET), BURROW_OK);
	from.sin_family = stranger.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.2", &stranger.sin_addr);

	/* Unsigned: REFUSED. */
	n = query_wire("example.test.", LDNS_RR_TYPE_AXFR, q, NULL);
	len = xfr_handle(&ctx, q, n, DNS_TCP, (struct sockaddr *)&from, out, DNS_MSG_MAX, &s,
	    note, sizeof(note));
	assert_null(s);
	assert_true(len >= 12);
	assert_int_equal(out[3] & 0x0F, DNS_RCODE_REFUSED);
	/* Signed, from another address: REFUSED. */
	n = query_wire("example.test.", LDNS_RR_TYPE_AXFR, q, &p);
	ldns_pkt_free(p);
	len = xfr_handle(&ctx, q, n, DNS_TCP, (struct sockaddr *)&stranger, out, DNS_MSG_MAX, &s,
	    note, sizeof(note));
	assert_null(s);
	assert_int_equal(out[3] & 0x0F, DNS_RCODE_REFUSED);
	/* Signed, from the secondary: a stream of SOA, NS, SOA. */
	len = xfr_handle(&ctx, q, n, DNS_TCP, (struct sockaddr *)&from, out, DNS_MSG_MAX, &s,
	    note, sizeof(note));
	assert_int_equal(len, 0);
	assert_non_null(s);
	while ((len = xfr_stream_next(s, ctx.now, out, DNS_MSG_MAX)) > 0) {
		ldns_pkt *r = NULL;
		assert_int_equal(ldns_wire2pkt(&r, out, len), LDNS_STATUS_OK);
		total += ldns_pkt_ancount(r);
		ldns_pkt_free(r);
	}
	assert_int_equal(total, 3);
	xfr_stream_free(s);
	/* Bad signature: NOTAUTH. */
	q[14] ^= 0x01;   /* a letter of the question */
	len = xfr_handle(&ctx, q, n, DNS_TCP, (struct sockaddr *)&from, out, DNS_MSG_MAX, &s,
	    note, sizeof(note));
	assert_null(s);
	assert_int_equal(out[3] & 0x0F, DNS_RCODE_NOTAUTH);
	free(out);
	zone_index_free(idx);
}

/* A secondary's answer to the NOTIFY q (qlen bytes without its TSIG):
 * the same header and question with QR and rcode, signed with k over
 * req_mac at time now, or unsigned if k is NULL.  Returns its length. */
static size_t
notify_answer(const uint8_t *q, size_t qlen, int rcode, const struct tsig_key *k,
              const uint8_t *req_mac, uint64_t now, uint8_t *out, size_t cap)
{
	uint8_t mac[TSIG_MAC_MAX];
	size_t n = qlen;

	memcpy(out, q, qlen);
	dns_put16(out + 2, (uint16_t)(DNS_FLAG_QR | DNS_OPCODE_NOTIFY << 11 | DNS_FLAG_AA |
	    rcode));
	dns_put16(out + 10, 0);
	if (k != NULL)
		assert_int_equal(tsig_sign(out, qlen, cap, &n, k, req_mac, TSIG_MAC_SHA256, 0,
		    now, TSIG_OK, NULL, 0, mac), BURROW_OK);
	return n;
}

/* RFC 8945 5.4: to a signed NOTIFY only an answer signed with the same key
 * over the NOTIFY's MAC counts; anything else must not stop the retries. */
static void
notify_answers(void **state)
{
	static const uint8_t zone[] = "\001w\007example\004test";
	struct tsig_key k, other_name, other_secret;
	struct tsig_rr t;
	uint8_t q[512], a[512], mac[TSIG_MAC_MAX], other_mac[TSIG_MAC_MAX];
	uint64_t now = (uint64_t)time(NULL);
	size_t qn, qlen = DNS_HEADER_LEN + sizeof(zone) + 4, n;
	const char *why;
	int rcode;

	(void)state;
	assert_int_equal(tsig_key_init(&k, "xfr.key", "hmac-sha256", SECRET), BURROW_OK);
	assert_int_equal(tsig_key_init(&other_name, "other.key", "hmac-sha256", SECRET),
	    BURROW_OK);
	assert_int_equal(tsig_key_init(&other_secret, "xfr.key", "hmac-sha256",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), BURROW_OK);
	qn = notify_build(q, sizeof(q), 4242, zone, sizeof(zone), &k, now, mac);
	assert_true(qn > qlen);
	assert_int_equal(tsig_find(q, qn, &t), BURROW_OK);
	assert_int_equal(t.rr_off, qlen);

	/* Signed with the key over our MAC: the answer, rcode and all. */
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &k, mac, now, a, sizeof(a));
	rcode = -1;
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_OK);
	assert_int_equal(rcode, DNS_RCODE_NOERROR);
	assert_null(why);
	n = notify_answer(q, qlen, DNS_RCODE_NOTAUTH, &k, mac, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_OK);
	assert_int_equal(rcode, DNS_RCODE_NOTAUTH);
	/* ... but not to another NOTIFY id, nor when it is no NOTIFY answer. */
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &k, mac, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 4243, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_PROTO);
	a[2] &= (uint8_t)~(DNS_OPCODE_MASK >> 8);   /* opcode QUERY */
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_PROTO);
	memcpy(a, q, qn);                            /* our own NOTIFY, QR clear */
	assert_int_equal(notify_check(a, qn, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_PROTO);
	assert_int_equal(notify_check(a, 11, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_PROTO);

	/* Unsigned NOERROR: what a spoofer sends.  Not an answer. */
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, NULL, NULL, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_CRYPTO);
	assert_string_equal(why, "unsigned");
	assert_int_equal(rcode, DNS_RCODE_NOERROR);
	/* The unsigned TSIG of a BADKEY error (RFC 8945 5.3.2): anyone's. */
	memcpy(a, q, qlen);
	dns_put16(a + 2, (uint16_t)(DNS_FLAG_QR | DNS_OPCODE_NOTIFY << 11 | DNS_RCODE_NOTAUTH));
	dns_put16(a + 10, 0);
	assert_int_equal(tsig_append_error(a, qlen, sizeof(a), &n, &t, TSIG_BADKEY), BURROW_OK);
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_CRYPTO);
	assert_string_equal(why, "unsigned TSIG error BADKEY");
	/* Another key's name; the right name with another secret; a MAC
	 * bit flipped; a good MAC over another NOTIFY's MAC; too old. */
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &other_name, mac, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_CRYPTO);
	assert_string_equal(why, "signed with another key");
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &other_secret, mac, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_CRYPTO);
	assert_string_equal(why, "wrong MAC");
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &k, mac, now, a, sizeof(a));
	a[n - 6 - TSIG_MAC_SHA256] ^= 0x80;          /* first MAC byte */
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_CRYPTO);
	assert_string_equal(why, "wrong MAC");
	memcpy(other_mac, mac, sizeof(mac));
	other_mac[0] ^= 1;
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &k, other_mac, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_CRYPTO);
	assert_string_equal(why, "wrong MAC");
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &k, mac, now - 1000, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode, &why),
	    BURROW_ERR_CRYPTO);
	assert_string_equal(why, "signed outside the time window");
	/* A malformed TSIG (cut short) is no answer at all. */
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &k, mac, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n - 1, 4242, &k, mac, TSIG_MAC_SHA256, now, &rcode,
	    &why), BURROW_ERR_PROTO);

	/* An unsigned NOTIFY (no key) takes an unsigned answer, as before. */
	qn = notify_build(q, sizeof(q), 7, zone, sizeof(zone), NULL, now, mac);
	assert_int_equal(qn, qlen);
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, NULL, NULL, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 7, NULL, NULL, 0, now, &rcode, &why), BURROW_OK);
	assert_null(why);
	n = notify_answer(q, qlen, DNS_RCODE_NOERROR, &k, mac, now, a, sizeof(a));
	assert_int_equal(notify_check(a, n, 7, NULL, NULL, 0, now, &rcode, &why),
	    BURROW_ERR_CRYPTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tsig_against_ldns),
		cmocka_unit_test(journal_diff),
		cmocka_unit_test(catalog_members_follow_zones),
		cmocka_unit_test(transfer_rules),
		cmocka_unit_test(notify_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
