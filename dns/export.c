/*
 * export.c: printing a zone from the zone index; see export.h.
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "dns/export.h"
#include "dns/index_load.h"
#include "dns/zone_index.h"

struct collect {
	const struct dns_zone *zone;
	const struct dns_node **nodes;
	size_t n, cap;
	int rc;
};

static void
collect_node(const struct dns_node *node, void *ctx)
{
	struct collect *c = ctx;

	if (node->zone != c->zone || c->rc != BURROW_OK)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		const struct dns_node **nn = realloc(c->nodes, cap * sizeof(*nn));
		if (nn == NULL) {
			c->rc = BURROW_ERR_NOMEM;
			return;
		}
		c->nodes = nn;
		c->cap = cap;
	}
	c->nodes[c->n++] = node;
}

static int
cmp_node(const void *a, const void *b)
{
	const struct dns_node *x = *(const struct dns_node *const *)a;
	const struct dns_node *y = *(const struct dns_node *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int d = memcmp(x->name, y->name, n);

	return d != 0 ? d : (int)x->name_len - (int)y->name_len;
}

/* Rebuilds each RR as wire data (the apex name after a 12-byte blank
 * header, as in a response, so the prebuilt compression pointers can point
 * at it) and lets ldns parse and print it. */
static int
print_rrset(FILE *out, const struct dns_zone *z, const struct dns_node *node,
            const struct dns_rrset *r)
{
	static uint8_t buf[DNS_NAME_MAX * 2 + DNS_MSG_MAX];
	size_t off = 0;
	int fi = 0;

	if (r == NULL)
		return BURROW_OK;
	memset(buf, 0, DNS_HEADER_LEN);
	memcpy(buf + DNS_HEADER_LEN, z->name, z->name_len);
	for (uint16_t i = 0; i < r->rr_count; i++) {
		size_t start = DNS_HEADER_LEN + z->name_len, pos = start, rrlen, p = start;
		ldns_rr *rr = NULL;

		memcpy(buf + pos, node->name, node->name_len);
		pos += node->name_len;
		rrlen = 10 + (size_t)dns_get16(r->body + off + 8);
		memcpy(buf + pos, r->body + off, rrlen);
		for (; fi < r->nfix && r->fix[fi].rr == i; fi++)
			dns_put16(buf + pos + r->fix[fi].pos, (uint16_t)(0xC000 | (DNS_HEADER_LEN + r->fix[fi].add)));
		pos += rrlen;
		off += rrlen;
		if (ldns_wire2rr(&rr, buf, pos, &p, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
			return BURROW_ERR_INVALID;
		ldns_rr_print(out, rr);
		ldns_rr_free(rr);
	}
	return BURROW_OK;
}

static int
print_node(FILE *out, const struct dns_zone *z, const struct dns_node *n)
{
	const struct dns_rrset *r;
	int rc = BURROW_OK;

	if (n == z->apex) {
		if ((rc = print_rrset(out, z, n, z->soa)) != BURROW_OK ||
		    (rc = print_rrset(out, z, n, z->ns)) != BURROW_OK)
			return rc;
	}
	for (r = n->rrsets; r != NULL && rc == BURROW_OK; r = r->next)
		rc = print_rrset(out, z, n, r);
	/* A tunnel's edge addresses, unless the name has records of its own
	 * of that type (they take precedence, see zone_index_rrset()). */
	if (rc == BURROW_OK && n->tunnel) {
		if (zone_index_rrset(n, DNS_TYPE_A) == z->edge_a)
			rc = print_rrset(out, z, n, z->edge_a);
		if (rc == BURROW_OK && zone_index_rrset(n, DNS_TYPE_AAAA) == z->edge_aaaa)
			rc = print_rrset(out, z, n, z->edge_aaaa);
	}
	return rc;
}

int
zone_export(struct store *s, const char *zone, FILE *out)
{
	struct zone_index *idx = zone_index_new();
	struct collect c = { NULL, NULL, 0, 0, BURROW_OK };
	int rc;

	if (idx == NULL)
		return BURROW_ERR_NOMEM;
	if ((rc = index_load_zone(s, idx, zone)) != BURROW_OK)
		goto out;
	c.zone = zone_index_zones(idx);
	zone_index_walk(idx, collect_node, &c);
	if ((rc = c.rc) != BURROW_OK)
		goto out;
	qsort(c.nodes, c.n, sizeof(*c.nodes), cmp_node);
	fprintf(out, "; zone %s, serial %u, exported by burrow\n", zone, c.zone->serial);
	/* The apex first: a master file starts with its SOA (RFC 1035 5.2). */
	if ((rc = print_node(out, c.zone, c.zone->apex)) != BURROW_OK)
		goto out;
	for (size_t i = 0; i < c.n && rc == BURROW_OK; i++)
		if (c.nodes[i] != c.zone->apex)
			rc = print_node(out, c.zone, c.nodes[i]);
	if (rc == BURROW_OK && (fflush(out) != 0 || ferror(out)))
		rc = BURROW_ERR_IO;
out:
	free(c.nodes);
	zone_index_free(idx);
	return rc;
}
