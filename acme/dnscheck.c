/*
 * dnscheck.c: before answering a DNS-01 challenge, ask burrow-dns itself
 * whether it serves the TXT values yet (it follows the store's change log
 * on a short timer), so the CA never looks before the record is there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>
#include <openssl/rand.h>

#include "acme/acme.h"
#include "common/error.h"
#include "common/netaddr.h"

/* True if rr's TXT rdata is exactly the single string value. */
static int
txt_equals(const ldns_rr *rr, const char *value)
{
	const ldns_rdf *rdf;
	size_t vlen = strlen(value);

	if (ldns_rr_rd_count(rr) != 1)
		return 0;
	rdf = ldns_rr_rdf(rr, 0);
	/* A TXT character-string is a length byte and that many bytes. */
	return ldns_rdf_size(rdf) == vlen + 1 && ldns_rdf_data(rdf)[0] == vlen &&
	    memcmp(ldns_rdf_data(rdf) + 1, value, vlen) == 0;
}

int
acme_dns_txt_present(const uint8_t *wire, size_t len, const char *name,
                     const char *const *values, size_t nvalues)
{
	ldns_pkt *pkt = NULL;
	ldns_rdf *owner = NULL;
	ldns_rr_list *answer;
	ldns_rr *rr;
	size_t i, j, found = 0;

	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return 0;
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR || !ldns_pkt_qr(pkt) ||
	    ldns_str2rdf_dname(&owner, name) != LDNS_STATUS_OK)
		goto out;
	answer = ldns_pkt_answer(pkt);
	for (i = 0; i < nvalues; i++) {
		for (j = 0; j < ldns_rr_list_rr_count(answer); j++) {
			rr = ldns_rr_list_rr(answer, j);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT &&
			    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0 &&
			    txt_equals(rr, values[i])) {
				found++;
				break;
			}
		}
	}
out:
	ldns_rdf_deep_free(owner);
	ldns_pkt_free(pkt);
	return nvalues > 0 && found == nvalues;
}

/* One UDP query; BURROW_OK if the answer holds every value. */
static int
ask(const struct sockaddr_storage *ss, socklen_t sslen, const char *name,
    const char *const *values, size_t nvalues)
{
	ldns_pkt *q = NULL;
	ldns_rdf *qname = NULL;
	ldns_buffer *buf = NULL;
	uint8_t *answer = NULL;
	size_t alen = 0;
	uint16_t id;
	struct timeval tv = { 0, 500000 };
	int rc = BURROW_ERR_NOTFOUND;

	if (ldns_str2rdf_dname(&qname, name) != LDNS_STATUS_OK)
		return BURROW_ERR_INVALID;
	if ((q = ldns_pkt_query_new(qname, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0)) == NULL) {
		ldns_rdf_deep_free(qname);
		return BURROW_ERR_NOMEM;
	}
	if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
		goto out;
	ldns_pkt_set_id(q, id);
	if ((buf = ldns_buffer_new(512)) == NULL || ldns_pkt2buffer_wire(buf, q) != LDNS_STATUS_OK)
		goto out;
	if (ldns_udp_send(&answer, buf, ss, sslen, tv, &alen) != LDNS_STATUS_OK ||
	    alen < 12)
		goto out;
	/* Only our own query's answer counts (RFC 5452 section 9.1). */
	if (((uint16_t)answer[0] << 8 | answer[1]) == id &&
	    acme_dns_txt_present(answer, alen, name, values, nvalues))
		rc = BURROW_OK;
out:
	free(answer);
	ldns_buffer_free(buf);
	ldns_pkt_free(q);
	return rc;
}

int
acme_dns_wait(const char *server, const char *name, const char *const *values,
              size_t nvalues, unsigned timeout_ms, atomic_int *stop, char *err,
              size_t errsz)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct timespec start, now, pause = { 0, 50 * 1000000L };
	long elapsed;

	if (netaddr_parse_listen(server, &ss, &sslen) != BURROW_OK) {
		snprintf(err, errsz, "DNS server '%s' is not ADDR:PORT", server);
		return BURROW_ERR_INVALID;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (ask(&ss, sslen, name, values, nvalues) == BURROW_OK)
			return BURROW_OK;
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000L +
		    (now.tv_nsec - start.tv_nsec) / 1000000L;
		if (elapsed >= (long)timeout_ms || (stop != NULL && atomic_load(stop))) {
			snprintf(err, errsz, "%s did not serve %s TXT within %u ms", server,
			    name, timeout_ms);
			return BURROW_ERR_BUSY;
		}
		nanosleep(&pause, NULL);
	}
}
