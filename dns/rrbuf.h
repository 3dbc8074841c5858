/*
 * rrbuf.h: resource records in uncompressed wire form, one after another,
 * as zone transfers and the IXFR journal need them: the zone index's
 * prebuilt RRsets (owner-less, names compressed against the apex) expanded
 * into whole records that can be copied into any message.
 */
#ifndef BURROW_DNS_RRBUF_H
#define BURROW_DNS_RRBUF_H

#include <stddef.h>
#include <stdint.h>

#include "dns/zone_index.h"

struct rrbuf {
	uint8_t *data;        /* owned; free with rrbuf_clear() */
	size_t len, cap;
	uint32_t count;       /* records */
	int failed;           /* an allocation failed: contents incomplete */
};

/* Frees the contents and empties b (b itself is the caller's). */
void rrbuf_clear(struct rrbuf *b);

/* Appends the bytes of another buffer's records. */
void rrbuf_append(struct rrbuf *b, const uint8_t *rrs, size_t len, uint32_t count);

/* Appends every RR of r owned by node of zone z. */
void rrbuf_put_rrset(struct rrbuf *b, const struct dns_zone *z, const struct dns_node *node,
                     const struct dns_rrset *r);

/* Appends what node serves except the SOA: its own RRsets, the apex NS set,
 * a tunnel's edge addresses (as export.c prints them). */
void rrbuf_put_node(struct rrbuf *b, const struct dns_zone *z, const struct dns_node *node);

/* Appends the zone's SOA record. */
void rrbuf_put_soa(struct rrbuf *b, const struct dns_zone *z);

/* Appends the zone's whole content for AXFR (RFC 5936 2.2): SOA, every
 * record of every name, SOA again.  Walks the whole index. */
void rrbuf_put_zone(struct rrbuf *b, const struct zone_index *idx, const struct dns_zone *z);

/* Length of the record at rr (inside a valid rrbuf). */
size_t rrbuf_rr_len(const uint8_t *rr);

#endif
