/*
 * answer.h: a query in, a response out, from the zone index alone.
 *
 * Pure: no sockets, no allocation, no clock (the caller passes the time);
 * safe to call from any thread that holds the index for reading.  Answers follow RFC 1034 4.3.2 the way
 * NSD does (same sections, same error codes), with minimal ANY answers
 * (RFC 8482) and EDNS(0) per RFC 6891.
 */
#ifndef BURROW_DNS_ANSWER_H
#define BURROW_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "dns/rrl.h"
#include "dns/wire.h"
#include "dns/zone_index.h"

/* Transport of a query: limits the response size. */
enum dns_transport { DNS_UDP, DNS_TCP };

/* dns_answer()'s result for a zone transfer or a TSIG-signed query: the
 * caller hands the packet to xfr_handle() (xfr.h). */
#define DNS_ANSWER_XFR ((size_t)-1)

/* Writes the response to the query pkt[0..len) into out (cap bytes, at least
 * DNS_MSG_MAX for TCP and DNS_EDNS_SIZE for UDP; smaller caps the answer)
 * and returns its length, 0 if the packet must be dropped without an
 * answer, or DNS_ANSWER_XFR.  Never reads past len. */
size_t dns_answer(const struct zone_index *idx, const uint8_t *pkt, size_t len,
                  enum dns_transport transport, uint8_t *out, size_t cap);

/* dns_answer() at time now (Unix seconds, the worker's cached clock): a
 * tunnel whose lease ended at or before now is answered as absent (0: leases
 * are not looked at, as in dns_answer()).  If cls is not NULL it is set to
 * the response's class for rate limiting (rrl.h), also for DNS_ANSWER_XFR
 * (whatever xfr_handle() answers is an error-class response). */
size_t dns_answer_at(const struct zone_index *idx, const uint8_t *pkt, size_t len,
                     enum dns_transport transport, uint64_t now, uint8_t *out, size_t cap,
                     struct rrl_class *cls);

/* dns_answer_at() in two steps, for a batch: dns_answer_prepare() parses
 * the query pkt[0..len) into *p and starts loading the index's bucket for
 * its name; dns_answer_prefetch() then starts loading the node; after both
 * have run over the whole batch, dns_answer_prepared() answers each query
 * as dns_answer_at() would (pkt and len as given to prepare).  A prepared
 * query is only good for the index it was prepared against, unchanged. */
struct dns_prepared {
	struct dns_query q;
	enum dns_parse_result pr;
	uint32_t hash;             /* zone_index_hash() of q.lname if pr is OK */
};
void dns_answer_prepare(const struct zone_index *idx, const uint8_t *pkt, size_t len,
                        struct dns_prepared *p);
void dns_answer_prefetch(const struct zone_index *idx, const struct dns_prepared *p);
size_t dns_answer_prepared(const struct zone_index *idx, const struct dns_prepared *p,
                           const uint8_t *pkt, enum dns_transport transport, uint64_t now,
                           uint8_t *out, size_t cap, struct rrl_class *cls);

#endif
