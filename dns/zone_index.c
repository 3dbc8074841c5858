/*
 * zone_index.c: names to prebuilt RRsets; see zone_index.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/error.h"
#include "dns/zone_index.h"

struct zone_index {
	struct dns_node **buckets;
	size_t nbuckets;            /* a power of two */
	size_t count;
	uint32_t seed;
	struct dns_zone *zones;
	char **edges;               /* edge address literals */
	int nedges;
};

/* FNV-1a with a per-process seed.  Keys are names the operator created, so
 * clients cannot choose collisions; the seed is cheap insurance anyway. */
static uint32_t
hash_name(uint32_t seed, const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= name[i];
		h *= 16777619u;
	}
	return h;
}

struct zone_index *
zone_index_new(void)
{
	struct zone_index *idx = calloc(1, sizeof(*idx));

	if (idx == NULL)
		return NULL;
	idx->nbuckets = 1024;
	if ((idx->buckets = calloc(idx->nbuckets, sizeof(*idx->buckets))) == NULL) {
		free(idx);
		return NULL;
	}
	if (RAND_bytes((unsigned char *)&idx->seed, sizeof(idx->seed)) != 1)
		idx->seed = 0x9e3779b9u;
	return idx;
}

static void
rrset_free_list(struct dns_rrset *r)
{
	while (r != NULL) {
		struct dns_rrset *next = r->next;
		free(r);
		r = next;
	}
}

static void
zone_free(struct dns_zone *z)
{
	if (z == NULL)
		return;
	free(z->soa);
	free(z->soa_neg);
	free(z->ns);
	free(z->edge_a);
	free(z->edge_aaaa);
	free(z);
}

static void
edges_free(struct zone_index *idx)
{
	for (int i = 0; i < idx->nedges; i++)
		free(idx->edges[i]);
	free(idx->edges);
	idx->edges = NULL;
	idx->nedges = 0;
}

void
zone_index_free(struct zone_index *idx)
{
	if (idx == NULL)
		return;
	for (size_t b = 0; b < idx->nbuckets; b++) {
		struct dns_node *n = idx->buckets[b];
		while (n != NULL) {
			struct dns_node *next = n->next;
			rrset_free_list(n->rrsets);
			free(n);
			n = next;
		}
	}
	free(idx->buckets);
	while (idx->zones != NULL) {
		struct dns_zone *next = idx->zones->next;
		zone_free(idx->zones);
		idx->zones = next;
	}
	edges_free(idx);
	free(idx);
}

void
zone_index_walk(const struct zone_index *idx, zone_index_walk_cb cb, void *ctx)
{
	for (size_t b = 0; b < idx->nbuckets; b++)
		for (const struct dns_node *n = idx->buckets[b]; n != NULL; n = n->next)
			cb(n, ctx);
}

size_t
zone_index_count(const struct zone_index *idx)
{
	return idx->count;
}

struct dns_zone *
zone_index_zones(const struct zone_index *idx)
{
	return idx->zones;
}

struct dns_zone *
zone_index_zone_by_id(const struct zone_index *idx, int64_t id)
{
	for (struct dns_zone *z = idx->zones; z != NULL; z = z->next)
		if (z->id == id)
			return z;
	return NULL;
}

int
zone_index_in_zone(const uint8_t *name, size_t len, const struct dns_zone *z)
{
	size_t off = 0;

	/* Walk label boundaries: the zone must match a whole suffix. */
	while (len - off > z->name_len && name[off] != 0)
		off += 1 + (size_t)name[off];
	return len - off == z->name_len && memcmp(name + off, z->name, z->name_len) == 0;
}

/* ---- hash table ---- */

static struct dns_node *
node_find(const struct zone_index *idx, const uint8_t *name, size_t len, uint32_t h)
{
	struct dns_node *n = idx->buckets[h & (idx->nbuckets - 1)];

	for (; n != NULL; n = n->next)
		if (n->hash == h && n->name_len == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

const struct dns_node *
zone_index_lookup(const struct zone_index *idx, const uint8_t *name, size_t len)
{
	return node_find(idx, name, len, hash_name(idx->seed, name, len));
}

uint32_t
zone_index_hash(const struct zone_index *idx, const uint8_t *name, size_t len)
{
	return hash_name(idx->seed, name, len);
}

const struct dns_node *
zone_index_lookup_hashed(const struct zone_index *idx, const uint8_t *name, size_t len,
                         uint32_t h)
{
	return node_find(idx, name, len, h);
}

void
zone_index_prefetch_bucket(const struct zone_index *idx, uint32_t h)
{
	__builtin_prefetch(&idx->buckets[h & (idx->nbuckets - 1)]);
}

void
zone_index_prefetch_node(const struct zone_index *idx, uint32_t h)
{
	const struct dns_node *n = idx->buckets[h & (idx->nbuckets - 1)];

	/* node_find() reads hash and name_len, then the name, which may
	 * run into the next cache line. */
	if (n != NULL) {
		__builtin_prefetch(n);
		__builtin_prefetch((const char *)n + 64);
	}
}

/* Rehashes into nb buckets (a power of two, larger than now). */
static int
rehash(struct zone_index *idx, size_t nb)
{
	struct dns_node **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return BURROW_ERR_NOMEM;
	for (size_t i = 0; i < idx->nbuckets; i++) {
		struct dns_node *n = idx->buckets[i];
		while (n != NULL) {
			struct dns_node *next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(idx->buckets);
	idx->buckets = b;
	idx->nbuckets = nb;
	return BURROW_OK;
}

int
zone_index_reserve(struct zone_index *idx, size_t names)
{
	size_t want = idx->count + names, nb = idx->nbuckets;

	/* At most one name per bucket on average, as node_insert() keeps it. */
	while (nb < want && nb <= SIZE_MAX / 4)
		nb *= 2;
	return nb == idx->nbuckets ? BURROW_OK : rehash(idx, nb);
}

/* Adds the node for name, whose hash is h and which is not in the index. */
static struct dns_node *
node_insert(struct zone_index *idx, struct dns_zone *z, const uint8_t *name, size_t len,
            uint32_t h)
{
	struct dns_node *n;

	if (idx->count >= idx->nbuckets && rehash(idx, idx->nbuckets * 2) != BURROW_OK)
		return NULL;
	if ((n = calloc(1, sizeof(*n) + len)) == NULL)
		return NULL;
	n->zone = z;
	n->hash = h;
	n->name_len = (uint8_t)len;
	memcpy(n->name, name, len);
	n->next = idx->buckets[h & (idx->nbuckets - 1)];
	idx->buckets[h & (idx->nbuckets - 1)] = n;
	idx->count++;
	return n;
}

static struct dns_node *
node_get(struct zone_index *idx, struct dns_zone *z, const uint8_t *name, size_t len)
{
	uint32_t h = hash_name(idx->seed, name, len);
	struct dns_node *n = node_find(idx, name, len, h);

	return n != NULL ? n : node_insert(idx, z, name, len, h);
}

static void
node_delete(struct zone_index *idx, struct dns_node *node)
{
	struct dns_node **pp = &idx->buckets[node->hash & (idx->nbuckets - 1)];

	for (; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			rrset_free_list(node->rrsets);
			free(node);
			idx->count--;
			return;
		}
	}
}

/* ---- building RRsets in wire form ---- */

/* RFC 3597 4: only the RFC 1035 types may have RDATA names compressed. */
static int
compressible(ldns_rr_type t)
{
	return t == LDNS_RR_TYPE_NS || t == LDNS_RR_TYPE_SOA || t == LDNS_RR_TYPE_MX;
}

struct builder {
	ldns_buffer *body;
	struct dns_fixup fix[64];
	int nfix;
	ldns_buffer *targets;
	int ntargets;
	uint32_t min_ttl;
};

/* ldns_buffer_write*() do not grow the buffer: reserve first.  A failed
 * reservation leaves the buffer's status set, checked once per RR. */
static void
bwrite(ldns_buffer *b, const void *data, size_t n)
{
	if (ldns_buffer_reserve(b, n))
		ldns_buffer_write(b, data, n);
}

static void
bwrite_u8(ldns_buffer *b, uint8_t v)
{
	bwrite(b, &v, 1);
}

static void
bwrite_u16(ldns_buffer *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	bwrite(b, x, 2);
}

static void
bwrite_u32(ldns_buffer *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	bwrite(b, x, 4);
}

/* Writes name (wire, any case) into the body, compressed against the zone
 * apex when allowed: the labels not shared with the apex, then a pointer to
 * the longest shared suffix (fixed up per query, see answer.c). */
static void
put_name(struct builder *b, const struct dns_zone *z, const uint8_t *name, size_t len,
         uint16_t rr, size_t rr_start, int compress)
{
	size_t off = 0;

	while (compress && off < len && name[off] != 0) {
		size_t suffix = len - off, zoff, p = 0, i;

		if (suffix <= z->name_len) {
			zoff = z->name_len - suffix;
			while (p < zoff)
				p += 1 + (size_t)z->name[p];
			for (i = 0; p == zoff && i < suffix; i++) {
				uint8_t c = name[off + i];
				if (c >= 'A' && c <= 'Z')
					c += 32;
				if (c != z->name[zoff + i])
					break;
			}
			if (p == zoff && i == suffix &&
			    b->nfix < (int)(sizeof(b->fix) / sizeof(b->fix[0]))) {
				bwrite(b->body, name, off);
				b->fix[b->nfix].rr = rr;
				b->fix[b->nfix].pos =
				    (uint16_t)(ldns_buffer_position(b->body) - rr_start);
				b->fix[b->nfix].add = (uint16_t)zoff;
				b->nfix++;
				bwrite_u16(b->body, 0xC000);
				return;
			}
		}
		off += 1 + (size_t)name[off];
	}
	bwrite(b->body, name, len);
}

static void
put_target(struct builder *b, const ldns_rdf *rdf)
{
	const uint8_t *d = ldns_rdf_data(rdf);
	size_t len = ldns_rdf_size(rdf);

	for (size_t i = 0; i < len; i++) {
		uint8_t c = d[i];
		bwrite_u8(b->targets, (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c);
	}
	b->ntargets++;
}

/* Appends one RR's body (no owner) to the builder. */
static int
put_rr(struct builder *b, const struct dns_zone *z, const ldns_rr *rr, uint16_t index)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	size_t start = ldns_buffer_position(b->body), rdlen_at;

	bwrite_u16(b->body, (uint16_t)type);
	bwrite_u16(b->body, (uint16_t)ldns_rr_get_class(rr));
	bwrite_u32(b->body, ldns_rr_ttl(rr));
	if (ldns_rr_ttl(rr) < b->min_ttl)
		b->min_ttl = ldns_rr_ttl(rr);
	rdlen_at = ldns_buffer_position(b->body);
	bwrite_u16(b->body, 0);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME) {
			put_name(b, z, ldns_rdf_data(rdf), ldns_rdf_size(rdf), index, start,
			    compressible(type));
			/* NS and MX (RFC 1035 3.3.11, 3.3.9) and SRV targets
			 * (RFC 2782) get their addresses in the additional
			 * section, as NSD adds them. */
			if (type == LDNS_RR_TYPE_NS || type == LDNS_RR_TYPE_MX ||
			    type == LDNS_RR_TYPE_SRV)
				put_target(b, rdf);
		} else {
			bwrite(b->body, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
		}
	}
	if (ldns_buffer_status(b->body) != LDNS_STATUS_OK)
		return BURROW_ERR_NOMEM;
	ldns_buffer_write_u16_at(b->body, rdlen_at,
	    (uint16_t)(ldns_buffer_position(b->body) - rdlen_at - 2));
	return BURROW_OK;
}

/* Builds one RRset from rrs[0..n) (same type).  NULL on failure. */
static struct dns_rrset *
rrset_build(const struct dns_zone *z, ldns_rr *const *rrs, size_t n)
{
	struct builder b = { NULL, { { 0, 0, 0 } }, 0, NULL, 0, UINT32_MAX };
	struct dns_rrset *r = NULL;
	size_t blen, tlen, size;
	uint8_t *p;

	if (n == 0 || n > UINT16_MAX)
		return NULL;
	if ((b.body = ldns_buffer_new(256)) == NULL || (b.targets = ldns_buffer_new(64)) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (put_rr(&b, z, rrs[i], (uint16_t)i) != BURROW_OK)
			goto out;
	if (ldns_buffer_status(b.targets) != LDNS_STATUS_OK)
		goto out;
	blen = ldns_buffer_position(b.body);
	tlen = ldns_buffer_position(b.targets);
	if (blen > DNS_MSG_MAX)
		goto out;
	size = sizeof(*r) + (size_t)b.nfix * sizeof(struct dns_fixup) + tlen + blen;
	if ((r = calloc(1, size)) == NULL)
		goto out;
	p = (uint8_t *)(r + 1);
	r->type = (uint16_t)ldns_rr_get_type(rrs[0]);
	r->rr_count = (uint16_t)n;
	r->nfix = (uint16_t)b.nfix;
	r->ntargets = (uint16_t)b.ntargets;
	r->len = (uint32_t)blen;
	r->min_ttl = b.min_ttl;
	memcpy(p, b.fix, (size_t)b.nfix * sizeof(struct dns_fixup));
	r->fix = (const struct dns_fixup *)p;
	p += (size_t)b.nfix * sizeof(struct dns_fixup);
	memcpy(p, ldns_buffer_begin(b.targets), tlen);
	r->targets = p;
	p += tlen;
	memcpy(p, ldns_buffer_begin(b.body), blen);
	r->body = p;
out:
	ldns_buffer_free(b.body);
	ldns_buffer_free(b.targets);
	return r;
}

/* Builds an RRset from presentation lines "TYPE RDATA" at the zone apex
 * with the given TTL. */
static struct dns_rrset *
rrset_from_text(const struct dns_zone *z, const char *apex, uint32_t ttl,
                const char *const *lines, int n)
{
	ldns_rr *rrs[64] = { NULL };
	struct dns_rrset *r = NULL;
	char buf[1200];
	int i, built = 0;

	if (n <= 0 || n > 64)
		return NULL;
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s. %u IN %s", apex, ttl, lines[i]);
		if (ldns_rr_new_frm_str(&rrs[i], buf, 0, NULL, NULL) != LDNS_STATUS_OK)
			goto out;
		built++;
	}
	r = rrset_build(z, rrs, (size_t)n);
out:
	for (i = 0; i < built; i++)
		ldns_rr_free(rrs[i]);
	return r;
}

/* ---- zones ---- */

static int
build_soa(struct dns_zone *z, const char *apex)
{
	char line[sizeof(z->soa_text) + 32];
	const char *lines[1] = { line };
	struct dns_rrset *soa, *neg;

	snprintf(line, sizeof(line), "SOA %s", z->soa_text);
	/* The serial goes in the middle of the SOA text. */
	{
		char mname[DNS_NAME_MAX + 2], rname[DNS_NAME_MAX + 2];
		unsigned refresh, retry, expire, minimum;
		if (sscanf(z->soa_text, "%256s %256s %u %u %u %u", mname, rname,
		    &refresh, &retry, &expire, &minimum) != 6)
			return BURROW_ERR_INVALID;
		snprintf(line, sizeof(line), "SOA %s %s %u %u %u %u %u", mname, rname,
		    z->serial, refresh, retry, expire, minimum);
	}
	soa = rrset_from_text(z, apex, z->ttl, lines, 1);
	/* RFC 2308 3: the SOA of a negative answer has TTL min(TTL, MINIMUM). */
	neg = rrset_from_text(z, apex, z->ttl < z->minimum ? z->ttl : z->minimum, lines, 1);
	if (soa == NULL || neg == NULL) {
		free(soa);
		free(neg);
		return BURROW_ERR_INVALID;
	}
	free(z->soa);
	free(z->soa_neg);
	z->soa = soa;
	z->soa_neg = neg;
	return BURROW_OK;
}

/* The apex name in presentation form (for ldns), into out. */
static void
apex_text(const struct dns_zone *z, char *out, size_t outsz)
{
	ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, z->name_len, z->name);
	char *s = rdf != NULL ? ldns_rdf2str(rdf) : NULL;
	size_t n;

	snprintf(out, outsz, "%s", s != NULL ? s : ".");
	n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	free(s);
	ldns_rdf_deep_free(rdf);
}

static int
build_edges(const struct zone_index *idx, struct dns_zone *z)
{
	const char *a[64], *aaaa[64];
	char la[64][64], laaaa[64][80], apex[DNS_NAME_MAX * 4 + 2];
	int na = 0, naaaa = 0;

	apex_text(z, apex, sizeof(apex));
	for (int i = 0; i < idx->nedges; i++) {
		if (strchr(idx->edges[i], ':') != NULL && naaaa < 64) {
			snprintf(laaaa[naaaa], sizeof(laaaa[0]), "AAAA %s", idx->edges[i]);
			aaaa[naaaa] = laaaa[naaaa];
			naaaa++;
		} else if (strchr(idx->edges[i], ':') == NULL && na < 64) {
			snprintf(la[na], sizeof(la[0]), "A %s", idx->edges[i]);
			a[na] = la[na];
			na++;
		}
	}
	free(z->edge_a);
	free(z->edge_aaaa);
	z->edge_a = na > 0 ? rrset_from_text(z, apex, z->ttl, a, na) : NULL;
	z->edge_aaaa = naaaa > 0 ? rrset_from_text(z, apex, z->ttl, aaaa, naaaa) : NULL;
	return (na > 0 && z->edge_a == NULL) || (naaaa > 0 && z->edge_aaaa == NULL)
	    ? BURROW_ERR_INVALID : BURROW_OK;
}

int
zone_index_zone_set(struct zone_index *idx, const struct zone_index_zone_params *p)
{
	struct dns_zone *z = zone_index_zone_by_id(idx, p->id), *fresh = NULL;
	ldns_rdf *apex = NULL;
	const char *lines[16];
	char nsl[16][DNS_NAME_MAX + 8];
	int rc = BURROW_ERR_INVALID, n = p->ns_count > 16 ? 16 : p->ns_count;

	if (ldns_str2rdf_dname(&apex, p->name) != LDNS_STATUS_OK)
		goto out;
	ldns_dname2canonical(apex);
	if (z != NULL && (ldns_rdf_size(apex) != z->name_len ||
	    memcmp(ldns_rdf_data(apex), z->name, z->name_len) != 0)) {
		/* A zone's name never changes in the store; treat it as new. */
		zone_index_zone_remove(idx, p->id);
		z = NULL;
	}
	if (z == NULL) {
		if ((z = fresh = calloc(1, sizeof(*z))) == NULL) {
			rc = BURROW_ERR_NOMEM;
			goto out;
		}
		z->id = p->id;
		z->name_len = ldns_rdf_size(apex);
		memcpy(z->name, ldns_rdf_data(apex), z->name_len);
	}
	z->ttl = p->ttl;
	z->minimum = p->minimum;
	z->serial = p->serial;
	snprintf(z->soa_text, sizeof(z->soa_text), "%s. %s. %u %u %u %u", p->mname,
	    p->rname, p->refresh, p->retry, p->expire, p->minimum);
	if ((rc = build_soa(z, p->name)) != BURROW_OK)
		goto out;
	for (int i = 0; i < n; i++) {
		snprintf(nsl[i], sizeof(nsl[i]), "NS %s.", p->ns[i]);
		lines[i] = nsl[i];
	}
	free(z->ns);
	z->ns = n > 0 ? rrset_from_text(z, p->name, p->ttl, lines, n) : NULL;
	if (n > 0 && z->ns == NULL) {
		rc = BURROW_ERR_INVALID;
		goto out;
	}
	if ((rc = build_edges(idx, z)) != BURROW_OK)
		goto out;
	if (fresh != NULL) {
		if ((z->apex = node_get(idx, z, z->name, z->name_len)) == NULL) {
			rc = BURROW_ERR_NOMEM;
			goto out;
		}
		z->next = idx->zones;
		idx->zones = z;
		fresh = NULL;
	}
	rc = BURROW_OK;
out:
	zone_free(fresh);
	ldns_rdf_deep_free(apex);
	return rc;
}

int
zone_index_zone_serial(struct zone_index *idx, struct dns_zone *z, uint32_t serial)
{
	char apex[DNS_NAME_MAX * 4 + 2];

	(void)idx;
	if (z->serial == serial && z->soa != NULL)
		return BURROW_OK;
	z->serial = serial;
	apex_text(z, apex, sizeof(apex));
	return build_soa(z, apex);
}

void
zone_index_zone_remove(struct zone_index *idx, int64_t id)
{
	struct dns_zone **pp = &idx->zones, *z;

	while (*pp != NULL && (*pp)->id != id)
		pp = &(*pp)->next;
	if ((z = *pp) == NULL)
		return;
	*pp = z->next;
	for (size_t b = 0; b < idx->nbuckets; b++) {
		struct dns_node **np = &idx->buckets[b];
		while (*np != NULL) {
			struct dns_node *n = *np;
			if (n->zone == z) {
				*np = n->next;
				rrset_free_list(n->rrsets);
				free(n);
				idx->count--;
			} else {
				np = &n->next;
			}
		}
	}
	zone_free(z);
}

int
zone_index_edges_set(struct zone_index *idx, const char *const *addrs, int count)
{
	int rc = BURROW_OK;

	edges_free(idx);
	if (count > 0 && (idx->edges = calloc((size_t)count, sizeof(char *))) == NULL)
		return BURROW_ERR_NOMEM;
	for (int i = 0; i < count; i++) {
		if ((idx->edges[i] = strdup(addrs[i])) == NULL)
			return BURROW_ERR_NOMEM;
		idx->nedges++;
	}
	for (struct dns_zone *z = idx->zones; z != NULL; z = z->next)
		if (build_edges(idx, z) != BURROW_OK)
			rc = BURROW_ERR_INVALID;
	return rc;
}

/* ---- names ---- */

static int
has_data(const struct dns_node *n)
{
	return n->tunnel || n->rrsets != NULL || n == n->zone->apex;
}

/* Adds delta to the descendant count of every name strictly between name
 * and its zone apex, creating or deleting empty non-terminals. */
static int
adjust_ancestors(struct zone_index *idx, struct dns_zone *z, const uint8_t *name,
                 size_t len, int delta)
{
	size_t off = 1 + (size_t)name[0];

	while (len - off > z->name_len) {
		struct dns_node *a;
		if (delta > 0) {
			if ((a = node_get(idx, z, name + off, len - off)) == NULL)
				return BURROW_ERR_NOMEM;
			a->children++;
		} else {
			a = node_find(idx, name + off, len - off,
			    hash_name(idx->seed, name + off, len - off));
			if (a != NULL) {
				a->children--;
				if (a->children == 0 && !has_data(a))
					node_delete(idx, a);
			}
		}
		off += 1 + (size_t)name[off];
	}
	return BURROW_OK;
}

static int
cmp_type(const void *a, const void *b)
{
	ldns_rr_type ta = ldns_rr_get_type(*(ldns_rr *const *)a);
	ldns_rr_type tb = ldns_rr_get_type(*(ldns_rr *const *)b);

	return ta < tb ? -1 : ta > tb;
}

/* Groups records by type into a list of RRsets; *out NULL for none. */
static int
build_rrsets(const struct dns_zone *z, const ldns_rr_list *records, struct dns_rrset **out)
{
	size_t n = ldns_rr_list_rr_count(records), i, j;
	ldns_rr **rrs = NULL;
	struct dns_rrset *head = NULL, **tail = &head;
	int rc = BURROW_OK;

	*out = NULL;
	if (n == 0)
		return BURROW_OK;
	if ((rrs = malloc(n * sizeof(*rrs))) == NULL)
		return BURROW_ERR_NOMEM;
	for (i = 0; i < n; i++)
		rrs[i] = ldns_rr_list_rr(records, i);
	/* Stable enough: same-type RRs keep store order within the qsort
	 * only loosely, which DNS does not care about (RFC 2181 5). */
	qsort(rrs, n, sizeof(*rrs), cmp_type);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && ldns_rr_get_type(rrs[j]) == ldns_rr_get_type(rrs[i]); j++)
			;
		if ((*tail = rrset_build(z, rrs + i, j - i)) == NULL) {
			rc = BURROW_ERR_INVALID;
			break;
		}
		tail = &(*tail)->next;
	}
	free(rrs);
	if (rc != BURROW_OK)
		rrset_free_list(head);
	else
		*out = head;
	return rc;
}

int
zone_index_name_set(struct zone_index *idx, struct dns_zone *z, const char *name,
                    int tunnel, const ldns_rr_list *records)
{
	ldns_rdf *dname = NULL;
	struct dns_rrset *sets = NULL;
	struct dns_node *node;
	const uint8_t *w;
	size_t len;
	uint32_t h;
	int had, has, rc = BURROW_ERR_INVALID;

	if (ldns_str2rdf_dname(&dname, name) != LDNS_STATUS_OK)
		goto out;
	ldns_dname2canonical(dname);
	w = ldns_rdf_data(dname);
	len = ldns_rdf_size(dname);
	if (!zone_index_in_zone(w, len, z))
		goto out;
	if (records != NULL && (rc = build_rrsets(z, records, &sets)) != BURROW_OK)
		goto out;
	h = hash_name(idx->seed, w, len);
	if ((node = node_find(idx, w, len, h)) == NULL) {
		if ((records == NULL || sets == NULL) && tunnel <= 0) {
			rc = BURROW_OK;   /* nothing there, nothing to add */
			goto out;
		}
		if ((node = node_insert(idx, z, w, len, h)) == NULL) {
			rc = BURROW_ERR_NOMEM;
			goto out;
		}
	}
	had = has_data(node);
	if (records != NULL) {
		rrset_free_list(node->rrsets);
		node->rrsets = sets;
		sets = NULL;
	}
	if (tunnel >= 0 && node != z->apex)
		node->tunnel = (uint8_t)tunnel;
	if (!node->tunnel)
		node->expires = 0;
	has = has_data(node);
	rc = BURROW_OK;
	if (had != has)
		rc = adjust_ancestors(idx, z, w, len, has ? 1 : -1);
	if (!has && node->children == 0)
		node_delete(idx, node);
out:
	rrset_free_list(sets);
	ldns_rdf_deep_free(dname);
	return rc;
}

int
zone_index_lease_set(struct zone_index *idx, struct dns_zone *z, const char *name,
                     int64_t expires_at)
{
	ldns_rdf *dname = NULL;
	struct dns_node *node;

	if (ldns_str2rdf_dname(&dname, name) != LDNS_STATUS_OK)
		return BURROW_ERR_INVALID;
	ldns_dname2canonical(dname);
	node = (struct dns_node *)zone_index_lookup(idx, ldns_rdf_data(dname),
	    ldns_rdf_size(dname));
	/* A negative time is long past; 2106 and later is "never" enough. */
	if (node != NULL && node->zone == z && node->tunnel)
		node->expires = expires_at == 0 ? 0 : expires_at < 0 ? 1
		    : expires_at > UINT32_MAX ? UINT32_MAX : (uint32_t)expires_at;
	ldns_rdf_deep_free(dname);
	return BURROW_OK;
}

const struct dns_rrset *
zone_index_rrset(const struct dns_node *node, uint16_t type)
{
	return zone_index_rrset_at(node, type, 0);
}

const struct dns_rrset *
zone_index_rrset_at(const struct dns_node *node, uint16_t type, uint64_t now)
{
	for (const struct dns_rrset *r = node->rrsets; r != NULL && r->type <= type; r = r->next)
		if (r->type == type)
			return r;
	if (node->tunnel && !zone_index_lease_over(node, now)) {
		if (type == DNS_TYPE_A)
			return node->zone->edge_a;
		if (type == DNS_TYPE_AAAA)
			return node->zone->edge_aaaa;
	}
	if (node == node->zone->apex) {
		if (type == DNS_TYPE_SOA)
			return node->zone->soa;
		if (type == DNS_TYPE_NS)
			return node->zone->ns;
	}
	return NULL;
}
