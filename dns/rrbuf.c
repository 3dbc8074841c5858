/*
 * rrbuf.c: expanding prebuilt RRsets into whole records; see rrbuf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/rrbuf.h"

void
rrbuf_clear(struct rrbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static uint8_t *
reserve(struct rrbuf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 1024;
		uint8_t *d;
		while (cap - b->len < n)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL) {
			b->failed = 1;
			return NULL;
		}
		b->data = d;
		b->cap = cap;
	}
	return b->data + b->len;
}

void
rrbuf_append(struct rrbuf *b, const uint8_t *rrs, size_t len, uint32_t count)
{
	uint8_t *p = reserve(b, len);

	if (p == NULL || len == 0)
		return;
	memcpy(p, rrs, len);
	b->len += len;
	b->count += count;
}

size_t
rrbuf_rr_len(const uint8_t *rr)
{
	size_t off = 0;

	while (rr[off] != 0)
		off += 1 + (size_t)rr[off];
	off++;
	return off + 10 + dns_get16(rr + off + 8);
}

void
rrbuf_put_rrset(struct rrbuf *b, const struct dns_zone *z, const struct dns_node *node,
                const struct dns_rrset *r)
{
	size_t off = 0;
	int fi = 0;

	if (r == NULL)
		return;
	for (uint16_t i = 0; i < r->rr_count; i++) {
		size_t rdlen = dns_get16(r->body + off + 8), rrlen = 10 + rdlen, pos = 0, rdlen_at;
		/* Each pointer becomes at most the whole apex name. */
		uint8_t *p = reserve(b, node->name_len + rrlen + (size_t)r->nfix * z->name_len);

		if (p == NULL)
			return;
		memcpy(p, node->name, node->name_len);
		pos = node->name_len;
		rdlen_at = pos + 8;
		memcpy(p + pos, r->body + off, 10);
		pos += 10;
		{
			size_t from = 10;
			for (; fi < r->nfix && r->fix[fi].rr == i; fi++) {
				size_t at = r->fix[fi].pos, add = r->fix[fi].add;
				memcpy(p + pos, r->body + off + from, at - from);
				pos += at - from;
				memcpy(p + pos, z->name + add, z->name_len - add);
				pos += z->name_len - add;
				from = at + 2;
			}
			memcpy(p + pos, r->body + off + from, rrlen - from);
			pos += rrlen - from;
		}
		dns_put16(p + rdlen_at, (uint16_t)(pos - node->name_len - 10));
		b->len += pos;
		b->count++;
		off += rrlen;
	}
}

void
rrbuf_put_node(struct rrbuf *b, const struct dns_zone *z, const struct dns_node *node)
{
	if (node == z->apex)
		rrbuf_put_rrset(b, z, node, z->ns);
	for (const struct dns_rrset *r = node->rrsets; r != NULL; r = r->next)
		if (r->type != DNS_TYPE_SOA)
			rrbuf_put_rrset(b, z, node, r);
	/* A tunnel's edge addresses, unless it has records of its own of
	 * that type (they take precedence, see zone_index_rrset()). */
	if (node->tunnel) {
		if (zone_index_rrset(node, DNS_TYPE_A) == z->edge_a)
			rrbuf_put_rrset(b, z, node, z->edge_a);
		if (zone_index_rrset(node, DNS_TYPE_AAAA) == z->edge_aaaa)
			rrbuf_put_rrset(b, z, node, z->edge_aaaa);
	}
}

void
rrbuf_put_soa(struct rrbuf *b, const struct dns_zone *z)
{
	rrbuf_put_rrset(b, z, z->apex, z->soa);
}

struct zone_walk {
	struct rrbuf *b;
	const struct dns_zone *z;
};

static void
walk_node(const struct dns_node *node, void *ctx)
{
	struct zone_walk *w = ctx;

	if (node->zone == w->z)
		rrbuf_put_node(w->b, w->z, node);
}

void
rrbuf_put_zone(struct rrbuf *b, const struct zone_index *idx, const struct dns_zone *z)
{
	struct zone_walk w = { b, z };

	rrbuf_put_soa(b, z);
	zone_index_walk(idx, walk_node, &w);
	rrbuf_put_soa(b, z);
}
