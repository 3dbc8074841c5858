/*
 * zone_index.h: the in-memory data burrow-dns answers from.
 *
 * A hash of owner names (lower-case wire form) to nodes; each node holds its
 * RRsets already in wire form, built by ldns when the data changes, so a
 * query is answered by copying bytes.  Each RR body is stored without its
 * owner; names inside RDATA (NS, SOA, MX) are compressed against the zone
 * apex, which is always a suffix of the query name in the packet, so one
 * fix-up per pointer adapts them to the query (see answer.c).
 *
 * Tunnel names share their zone's edge RRsets (A/AAAA of every edge), so a
 * tunnel costs one node.  A name that only exists because a name below it
 * has data is an empty non-terminal: NODATA, not NXDOMAIN (RFC 8020).
 *
 * Not thread-safe: the server serialises writers against readers.
 */
#ifndef BURROW_DNS_ZONE_INDEX_H
#define BURROW_DNS_ZONE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "dns/wire.h"

/* A pointer to write at body offset pos of RR number rr: it points at the
 * zone apex's suffix that starts add bytes into the apex name. */
struct dns_fixup {
	uint16_t rr, pos, add;
};

struct dns_rrset {
	struct dns_rrset *next;     /* a node's RRsets, by type */
	uint16_t type;
	uint16_t rr_count;
	uint16_t nfix;
	uint16_t ntargets;          /* NS/MX targets for additional processing */
	uint32_t len;               /* bytes in body */
	uint32_t min_ttl;
	const struct dns_fixup *fix;
	const uint8_t *targets;     /* ntargets lower-case wire names */
	const uint8_t *body;        /* per RR: TYPE CLASS TTL RDLENGTH RDATA */
};

struct dns_node;

struct dns_zone {
	struct dns_zone *next;
	int64_t id;
	struct dns_node *apex;
	uint8_t name[DNS_NAME_MAX];  /* lower-case wire form */
	size_t name_len;
	uint32_t ttl, minimum, serial;
	char soa_text[2 * DNS_NAME_MAX + 96]; /* "MNAME RNAME" and timers, no serial */
	struct dns_rrset *soa;      /* SOA with the zone TTL (answers) */
	struct dns_rrset *soa_neg;  /* TTL min(TTL, MINIMUM) (RFC 2308 3, 5) */
	struct dns_rrset *ns;       /* the apex NS RRset; may be NULL */
	struct dns_rrset *edge_a, *edge_aaaa; /* what tunnel names resolve to */
	uint32_t notified_serial;   /* last serial sent in NOTIFY (server.c) */
};

struct dns_node {
	struct dns_node *next;      /* hash chain */
	struct dns_zone *zone;
	struct dns_rrset *rrsets;   /* own records, sorted by type */
	uint32_t hash;
	uint32_t children;          /* descendants with data (ENT detection) */
	uint32_t expires;           /* tunnel lease end, Unix seconds; 0: none */
	uint8_t tunnel;
	uint8_t name_len;
	uint8_t name[];             /* lower-case wire form */
};

struct zone_index;

/* Parameters of a zone; names in presentation form without the final dot. */
struct zone_index_zone_params {
	int64_t id;
	const char *name;
	uint32_t ttl;
	const char *mname, *rname;
	uint32_t refresh, retry, expire, minimum, serial;
	const char *const *ns;      /* NS host names */
	int ns_count;
};

/* An empty index; NULL on allocation failure.  Free with zone_index_free(). */
struct zone_index *zone_index_new(void);
void zone_index_free(struct zone_index *idx);

/* Adds the zone or replaces its SOA and NS data (its names stay).
 * Errors: BURROW_ERR_INVALID (a name ldns rejects), BURROW_ERR_NOMEM. */
int zone_index_zone_set(struct zone_index *idx, const struct zone_index_zone_params *p);

/* Sets a zone's SOA serial (RFC 1982 arithmetic is the reader's business). */
int zone_index_zone_serial(struct zone_index *idx, struct dns_zone *z, uint32_t serial);

/* Makes room for at least names more names without the table growing
 * while they are added (a full load knows its count: one rehash-free pass).
 * Errors: BURROW_ERR_NOMEM (the index is unchanged and still usable). */
int zone_index_reserve(struct zone_index *idx, size_t names);

/* Drops a zone and every name in it; unknown ids are ignored. */
void zone_index_zone_remove(struct zone_index *idx, int64_t id);

/* The zone with this store id, or NULL. */
struct dns_zone *zone_index_zone_by_id(const struct zone_index *idx, int64_t id);

/* The first zone (iterate with z->next). */
struct dns_zone *zone_index_zones(const struct zone_index *idx);

/* Replaces the edge addresses (IPv4/IPv6 literals) every tunnel name
 * resolves to.  Errors: BURROW_ERR_INVALID, BURROW_ERR_NOMEM. */
int zone_index_edges_set(struct zone_index *idx, const char *const *addrs, int count);

/* Sets what name (presentation form, inside zone z) serves: tunnel is 1 if
 * a tunnel uses it (0: none, -1: unchanged); records (owned by the caller,
 * may be NULL for "unchanged") replaces its own RRs, all owned by name.
 * Errors: BURROW_ERR_INVALID (name outside z), BURROW_ERR_NOMEM. */
int zone_index_name_set(struct zone_index *idx, struct dns_zone *z, const char *name,
                        int tunnel, const ldns_rr_list *records);

/* Sets the lease end of the tunnel name (presentation form, inside z):
 * expires_at as stored (Unix seconds, 0: never; clamped to 32 bits).  A
 * name that is not a tunnel is left alone.  Errors: BURROW_ERR_INVALID. */
int zone_index_lease_set(struct zone_index *idx, struct dns_zone *z, const char *name,
                         int64_t expires_at);

/* True if node is a tunnel name whose lease ended at or before now (Unix
 * seconds; 0 means "do not look at leases"). */
static inline int
zone_index_lease_over(const struct dns_node *node, uint64_t now)
{
	return node->tunnel && node->expires != 0 && now != 0 && now >= node->expires;
}

/* The node for a lower-case wire name, or NULL. */
const struct dns_node *zone_index_lookup(const struct zone_index *idx,
                                         const uint8_t *name, size_t len);

/* The hash of a lower-case wire name in this index, and zone_index_lookup()
 * given it, for a caller that hashed the name before. */
uint32_t zone_index_hash(const struct zone_index *idx, const uint8_t *name, size_t len);
const struct dns_node *zone_index_lookup_hashed(const struct zone_index *idx,
                                                const uint8_t *name, size_t len, uint32_t h);

/* Start loading what a lookup of hash h will read: first its bucket, then,
 * once that has arrived, the bucket's first node.  A worker issues these for
 * a whole batch of queries before answering any, so the cache misses of a
 * table far larger than the caches overlap instead of following each other.
 * Hints only: they change nothing and fail on nothing. */
void zone_index_prefetch_bucket(const struct zone_index *idx, uint32_t h);
void zone_index_prefetch_node(const struct zone_index *idx, uint32_t h);

/* The RRset of type at node (its own, else the zone's edge RRset for a
 * tunnel name, else SOA/NS at the apex), or NULL. */
const struct dns_rrset *zone_index_rrset(const struct dns_node *node, uint16_t type);

/* zone_index_rrset() at time now: a tunnel name whose lease is over keeps
 * only its own records (zone_index_lease_over()). */
const struct dns_rrset *zone_index_rrset_at(const struct dns_node *node, uint16_t type,
                                            uint64_t now);

/* Calls cb for every node (in no particular order); cb must not change idx. */
typedef void (*zone_index_walk_cb)(const struct dns_node *node, void *ctx);
void zone_index_walk(const struct zone_index *idx, zone_index_walk_cb cb, void *ctx);

/* Number of names (nodes) in the index. */
size_t zone_index_count(const struct zone_index *idx);

/* True if name (wire, lower case) equals zone or lies below it. */
int zone_index_in_zone(const uint8_t *name, size_t len, const struct dns_zone *z);

#endif
