/*
 * index_load.c: store -> zone index, in full at start and then by change log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "dns/index_load.h"

int
index_record_rr(const struct store_record *r, ldns_rr_list *list)
{
	char line[sizeof(r->rdata) + NAMES_MAX + 64];
	ldns_rr *rr = NULL;

	snprintf(line, sizeof(line), "%s. %u IN %s %s", r->name, r->ttl, r->type, r->rdata);
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK)
		return BURROW_ERR_INVALID;
	if (!ldns_rr_list_push_rr(list, rr)) {
		ldns_rr_free(rr);
		return BURROW_ERR_NOMEM;
	}
	return BURROW_OK;
}

/* ---- edges ---- */

struct edge_list {
	char addr[64][48];
	const char *ptr[64];
	int n;
};

static int
collect_edge(const struct store_edge *e, void *ctx)
{
	struct edge_list *l = ctx;

	if (l->n < 64) {
		snprintf(l->addr[l->n], sizeof(l->addr[0]), "%s", e->address);
		l->ptr[l->n] = l->addr[l->n];
		l->n++;
	}
	return 0;
}

static int
load_edges(struct store *s, struct zone_index *idx)
{
	struct edge_list *l = calloc(1, sizeof(*l));
	int rc;

	if (l == NULL)
		return BURROW_ERR_NOMEM;
	if ((rc = store_edge_list(s, collect_edge, l)) == BURROW_OK)
		rc = zone_index_edges_set(idx, l->ptr, l->n);
	free(l);
	return rc;
}

/* ---- zones ---- */

struct ns_list {
	char host[16][NAMES_MAX + 1];
	const char *ptr[16];
	int n;
};

static int
collect_ns(const char *host, void *ctx)
{
	struct ns_list *l = ctx;

	if (l->n < 16) {
		snprintf(l->host[l->n], sizeof(l->host[0]), "%s", host);
		l->ptr[l->n] = l->host[l->n];
		l->n++;
	}
	return 0;
}

static int
put_zone(struct store *s, struct zone_index *idx, const struct store_zone *z)
{
	struct zone_index_zone_params p;
	struct ns_list *l = calloc(1, sizeof(*l));
	int rc;

	if (l == NULL)
		return BURROW_ERR_NOMEM;
	if ((rc = store_zone_ns_list(s, z->id, collect_ns, l)) == BURROW_OK) {
		p.id = z->id;
		p.name = z->name;
		p.ttl = z->ttl;
		p.mname = z->soa_mname;
		p.rname = z->soa_rname;
		p.refresh = z->soa_refresh;
		p.retry = z->soa_retry;
		p.expire = z->soa_expire;
		p.minimum = z->soa_minimum;
		p.serial = z->serial;
		p.ns = l->ptr;
		p.ns_count = l->n;
		rc = zone_index_zone_set(idx, &p);
		if (rc != BURROW_OK)
			log_error("zone %s: cannot build SOA/NS: %s", z->name, burrow_strerror(rc));
	}
	free(l);
	return rc;
}

struct zones_ctx {
	struct store *s;
	struct zone_index *idx;
	struct store_zone *zones;
	int n, cap;
};

static int
collect_zone(const struct store_zone *z, void *ctx)
{
	struct zones_ctx *c = ctx;

	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 16;
		struct store_zone *nz = realloc(c->zones, (size_t)cap * sizeof(*nz));
		if (nz == NULL)
			return BURROW_ERR_NOMEM;
		c->zones = nz;
		c->cap = cap;
	}
	c->zones[c->n++] = *z;
	return 0;
}

/* ---- tunnels and records ---- */

struct names_ctx {
	struct zone_index *idx;
	int64_t only_zone;           /* 0: any */
	char name[NAMES_MAX + 1];    /* records being grouped */
	int64_t zone_id;
	ldns_rr_list *rrs;
	int rc;
};

static int
load_tunnel(const struct store_tunnel *t, void *ctx)
{
	struct names_ctx *c = ctx;
	struct dns_zone *z = zone_index_zone_by_id(c->idx, t->zone_id);
	int rc;

	if (z == NULL)
		return 0;
	if ((rc = zone_index_name_set(c->idx, z, t->hostname, 1, NULL)) == BURROW_ERR_NOMEM)
		return rc;
	if (rc != BURROW_OK)
		log_error("tunnel %s: not served: %s", t->hostname, burrow_strerror(rc));
	else if (t->expires_at != 0)
		zone_index_lease_set(c->idx, z, t->hostname, t->expires_at);
	return 0;
}

/* Hands the grouped records of c->name to the index. */
static int
flush_records(struct names_ctx *c)
{
	struct dns_zone *z;
	int rc = BURROW_OK;

	if (c->name[0] == '\0')
		return BURROW_OK;
	if ((z = zone_index_zone_by_id(c->idx, c->zone_id)) != NULL) {
		rc = zone_index_name_set(c->idx, z, c->name, -1, c->rrs);
		if (rc != BURROW_OK && rc != BURROW_ERR_NOMEM) {
			log_error("records of %s: not served: %s", c->name, burrow_strerror(rc));
			rc = BURROW_OK;
		}
	}
	while (ldns_rr_list_rr_count(c->rrs) > 0)
		ldns_rr_free(ldns_rr_list_pop_rr(c->rrs));
	c->name[0] = '\0';
	return rc;
}

static int
load_record(const struct store_record *r, void *ctx)
{
	struct names_ctx *c = ctx;
	int rc;

	if (c->name[0] != '\0' && (strcmp(c->name, r->name) != 0 || c->zone_id != r->zone_id))
		if ((rc = flush_records(c)) != BURROW_OK)
			return rc;
	snprintf(c->name, sizeof(c->name), "%s", r->name);
	c->zone_id = r->zone_id;
	if ((rc = index_record_rr(r, c->rrs)) == BURROW_ERR_NOMEM)
		return rc;
	if (rc != BURROW_OK)
		log_error("record %s %s %s: not served: invalid", r->name, r->type, r->rdata);
	return 0;
}

/* Loads the tunnels and records of zone_id (0: all zones). */
static int
load_names(struct store *s, struct zone_index *idx, int64_t zone_id)
{
	struct names_ctx c = { idx, zone_id, "", 0, NULL, 0 };
	int64_t tunnels;
	int rc;

	/* Sized once: a million names would otherwise rehash ten times. */
	if ((rc = store_tunnel_count(s, zone_id, &tunnels)) != BURROW_OK)
		return rc;
	if ((rc = zone_index_reserve(idx, (size_t)tunnels)) != BURROW_OK)
		return rc;
	if ((c.rrs = ldns_rr_list_new()) == NULL)
		return BURROW_ERR_NOMEM;
	if ((rc = store_tunnel_list(s, zone_id, load_tunnel, &c)) == BURROW_OK &&
	    (rc = store_record_list(s, zone_id, NULL, load_record, &c)) == BURROW_OK)
		rc = flush_records(&c);
	ldns_rr_list_deep_free(c.rrs);
	return rc;
}

int
index_load_all(struct store *s, struct zone_index *idx, int64_t *seq)
{
	struct zones_ctx zc = { s, idx, NULL, 0, 0 };
	int64_t at;
	int rc;

	/* Read the log position first: anything written meanwhile is applied
	 * again by the next index_load_changes(), which is idempotent. */
	if ((rc = store_change_max(s, &at)) != BURROW_OK)
		goto out;
	if ((rc = load_edges(s, idx)) != BURROW_OK)
		goto out;
	if ((rc = store_zone_list(s, collect_zone, &zc)) != BURROW_OK)
		goto out;
	for (int i = 0; i < zc.n; i++)
		if ((rc = put_zone(s, idx, &zc.zones[i])) == BURROW_ERR_NOMEM)
			goto out;
	if ((rc = load_names(s, idx, 0)) != BURROW_OK)
		goto out;
	*seq = at;
out:
	free(zc.zones);
	return rc;
}

int
index_load_zone(struct store *s, struct zone_index *idx, const char *zone)
{
	struct store_zone z;
	int rc;

	if ((rc = store_zone_get(s, zone, &z)) != BURROW_OK ||
	    (rc = load_edges(s, idx)) != BURROW_OK ||
	    (rc = put_zone(s, idx, &z)) != BURROW_OK)
		return rc;
	return load_names(s, idx, z.id);
}

/* ---- incremental ---- */

struct change_set {
	struct store_change *c;
	int n, cap;
};

static int
collect_change(const struct store_change *ch, void *ctx)
{
	struct change_set *cs = ctx;

	if (cs->n == cs->cap) {
		int cap = cs->cap ? cs->cap * 2 : 64;
		struct store_change *nc = realloc(cs->c, (size_t)cap * sizeof(*nc));
		if (nc == NULL)
			return BURROW_ERR_NOMEM;
		cs->c = nc;
		cs->cap = cap;
	}
	cs->c[cs->n++] = *ch;
	return 0;
}

/* Reads what one name of zone z serves (no change to the index): *tunnel,
 * its lease end *expires and its records, appended to rrs. */
static int
read_name(struct store *s, struct zone_index *idx, const struct dns_zone *z, const char *name,
          int *tunnel, int64_t *expires, ldns_rr_list *rrs)
{
	struct names_ctx c = { idx, z->id, "", z->id, rrs, 0 };
	struct store_tunnel t;
	int rc;

	rc = store_tunnel_get(s, name, &t);
	if (rc != BURROW_OK && rc != BURROW_ERR_NOTFOUND)
		return rc;
	*tunnel = rc == BURROW_OK && t.zone_id == z->id;
	*expires = *tunnel ? t.expires_at : 0;
	return store_record_list(s, z->id, name, load_record, &c);
}

/* Hands what read_name() found to the index. */
static int
apply_name(struct zone_index *idx, struct dns_zone *z, const char *name, int tunnel,
           int64_t expires, const ldns_rr_list *rrs)
{
	/* An empty list clears the records; the tunnel flag is set too. */
	int rc = zone_index_name_set(idx, z, name, tunnel, rrs);

	/* The lease as of this read (renewals also come by apply_lease()). */
	if (rc == BURROW_OK && tunnel)
		rc = zone_index_lease_set(idx, z, name, expires);
	if (rc != BURROW_OK && rc != BURROW_ERR_NOMEM) {
		log_error("%s: not served: %s", name, burrow_strerror(rc));
		rc = BURROW_OK;
	}
	return rc;
}

/* Re-reads what one name of zone z serves: tunnel and records. */
static int
reload_name(struct store *s, struct zone_index *idx, struct dns_zone *z, const char *name)
{
	ldns_rr_list *rrs = ldns_rr_list_new();
	int64_t expires = 0;
	int rc, tunnel = 0;

	if (rrs == NULL)
		return BURROW_ERR_NOMEM;
	if ((rc = read_name(s, idx, z, name, &tunnel, &expires, rrs)) == BURROW_OK)
		rc = apply_name(idx, z, name, tunnel, expires, rrs);
	ldns_rr_list_deep_free(rrs);
	return rc;
}

/* A change to a zone row (or its NS set): re-read it, or drop it. */
static int
reload_zone(struct store *s, struct zone_index *idx, int64_t id, const char *name)
{
	struct store_zone z;
	int rc = store_zone_get(s, name, &z), fresh;

	if (rc == BURROW_ERR_NOTFOUND || (rc == BURROW_OK && z.id != id)) {
		zone_index_zone_remove(idx, id);
		return rc == BURROW_OK ? reload_zone(s, idx, z.id, name) : BURROW_OK;
	}
	if (rc != BURROW_OK)
		return rc;
	fresh = zone_index_zone_by_id(idx, id) == NULL;
	if ((rc = put_zone(s, idx, &z)) != BURROW_OK)
		return rc == BURROW_ERR_NOMEM ? rc : BURROW_OK;
	return fresh ? load_names(s, idx, id) : BURROW_OK;
}

int
index_load_changes(struct store *s, struct zone_index *idx, int64_t *seq, int *applied)
{
	return index_load_changes_observed(s, idx, seq, applied, NULL);
}

int
index_load_changes_observed(struct store *s, struct zone_index *idx, int64_t *seq,
                            int *applied, const struct index_load_observer *obs)
{
	struct index_load_batch *b = NULL;
	int rc;

	*applied = 0;
	if ((rc = index_load_batch_new(s, *seq, &b)) != BURROW_OK || index_load_batch_done(b))
		goto out;
	if ((rc = index_load_batch_read(s, idx, b, INT32_MAX)) == BURROW_OK)
		rc = index_load_batch_apply(s, idx, b, seq, applied, obs);
out:
	index_load_batch_free(b);
	return rc;
}

/* ---- read ahead, apply under the caller's lock ---- */

enum ahead_kind {
	AHEAD_SKIP,    /* listed again later in the chunk: applied there */
	AHEAD_EDGES,   /* the edge addresses (every zone) */
	AHEAD_ZONE,    /* a zone row or a name of an unknown zone: read when applied */
	AHEAD_NAME,    /* a name of a known zone, its data read ahead */
	AHEAD_LEASE,   /* a renewal (op 'lease') there: only its lease read ahead */
};

struct ahead {
	enum ahead_kind kind;
	int tunnel;
	int64_t expires;           /* the tunnel's lease end (0: none) */
	ldns_rr_list *rrs;
};

struct index_load_batch {
	struct change_set cs;
	int next;              /* first change of the chunk that was read */
	int n;                 /* changes in that chunk */
	struct ahead *a;       /* n of them */
};

int
index_load_batch_new(struct store *s, int64_t seq, struct index_load_batch **out)
{
	struct index_load_batch *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (b == NULL)
		return BURROW_ERR_NOMEM;
	if ((rc = store_change_since(s, seq, collect_change, &b->cs)) != BURROW_OK) {
		index_load_batch_free(b);
		return rc;
	}
	*out = b;
	return BURROW_OK;
}

int
index_load_batch_done(const struct index_load_batch *b)
{
	return b->next + b->n >= b->cs.n;
}

static void
chunk_clear(struct index_load_batch *b)
{
	for (int i = 0; i < b->n; i++)
		ldns_rr_list_deep_free(b->a[i].rrs);
	free(b->a);
	b->a = NULL;
	b->next += b->n;
	b->n = 0;
}

void
index_load_batch_free(struct index_load_batch *b)
{
	if (b == NULL)
		return;
	chunk_clear(b);
	free(b->cs.c);
	free(b);
}

/* The apex of z in presentation form without the final dot. */
static void
apex_text(const struct dns_zone *z, char *out, size_t outsz)
{
	ldns_rdf *r = ldns_dname_new_frm_data((uint16_t)z->name_len, z->name);
	char *str = r != NULL ? ldns_rdf2str(r) : NULL;
	size_t n;

	snprintf(out, outsz, "%s", str != NULL ? str : "");
	n = strlen(out);
	if (n > 0 && out[n - 1] == '.')
		out[n - 1] = '\0';
	free(str);
	ldns_rdf_deep_free(r);
}

/* A renewal: the change log's op 'lease' (schema version 7), which only
 * moved a tunnel's expires_at.  It is not zone content: no serial, no IXFR
 * delta, no NOTIFY; the answers follow it through the node's lease. */
static int
is_lease(const struct store_change *ch)
{
	return strcmp(ch->op, "lease") == 0;
}

/* Reads the lease of the tunnel behind renewal ch of zone z.  Only the
 * lease: content re-read here (a row deleted since the log was read) would
 * change the zone without a serial; its own change row will bring it. */
static int
read_lease(struct store *s, const struct dns_zone *z, const struct store_change *ch,
           struct ahead *a)
{
	struct store_tunnel t;
	int rc = store_tunnel_get(s, ch->name, &t);

	if (rc != BURROW_OK)
		return rc == BURROW_ERR_NOTFOUND ? BURROW_OK : rc;
	a->tunnel = t.zone_id == z->id;
	a->expires = t.expires_at;
	return BURROW_OK;
}

/* Classifies change i of the chunk and reads a plain name's data. */
static int
read_ahead(struct store *s, struct zone_index *idx, struct index_load_batch *b, int i)
{
	const struct store_change *ch = &b->cs.c[b->next + i];
	struct ahead *a = &b->a[i];
	char apex[NAMES_MAX + 2];
	struct dns_zone *z;

	/* A name listed again later is re-read once, at its last change; a
	 * later renewal only re-reads the lease, so it does not stand in for
	 * an earlier content change. */
	for (int j = i + 1; b->n <= 256 && j < b->n; j++) {
		const struct store_change *later = &b->cs.c[b->next + j];
		if (ch->zone_id != 0 && later->zone_id == ch->zone_id &&
		    strcmp(later->name, ch->name) == 0 && (is_lease(ch) || !is_lease(later))) {
			a->kind = AHEAD_SKIP;
			return BURROW_OK;
		}
	}
	if (ch->zone_id == 0) {
		a->kind = AHEAD_EDGES;
		return BURROW_OK;
	}
	a->kind = AHEAD_ZONE;
	if ((z = zone_index_zone_by_id(idx, ch->zone_id)) == NULL)
		return BURROW_OK;
	apex_text(z, apex, sizeof(apex));
	if (strcmp(apex, ch->name) == 0)
		return BURROW_OK;
	if (is_lease(ch)) {
		a->kind = AHEAD_LEASE;
		return read_lease(s, z, ch, a);
	}
	a->kind = AHEAD_NAME;
	if ((a->rrs = ldns_rr_list_new()) == NULL)
		return BURROW_ERR_NOMEM;
	return read_name(s, idx, z, ch->name, &a->tunnel, &a->expires, a->rrs);
}

int
index_load_batch_read(struct store *s, struct zone_index *idx, struct index_load_batch *b,
                      int max)
{
	int rc = BURROW_OK;

	chunk_clear(b);
	b->n = b->cs.n - b->next < max ? b->cs.n - b->next : max;
	if (b->n > 0 && (b->a = calloc((size_t)b->n, sizeof(*b->a))) == NULL) {
		b->n = 0;
		return BURROW_ERR_NOMEM;
	}
	for (int i = 0; i < b->n && rc == BURROW_OK; i++)
		rc = read_ahead(s, idx, b, i);
	return rc;
}

/* Hands a renewal's lease to the index: nothing else of the name, so the
 * IXFR journal has nothing to note. */
static int
apply_lease(struct zone_index *idx, struct dns_zone *z, const char *name, const struct ahead *a)
{
	int rc = a->tunnel ? zone_index_lease_set(idx, z, name, a->expires) : BURROW_OK;

	if (rc != BURROW_OK)
		log_error("%s: lease not applied: %s", name, burrow_strerror(rc));
	return BURROW_OK;
}

/* Applies change i of the chunk (telling obs first). */
static int
apply_one(struct store *s, struct zone_index *idx, struct index_load_batch *b, int i,
          const struct index_load_observer *obs)
{
	const struct store_change *ch = &b->cs.c[b->next + i];
	const struct ahead *a = &b->a[i];
	struct dns_zone *z = zone_index_zone_by_id(idx, ch->zone_id);
	int rc;

	if (a->kind == AHEAD_LEASE)
		return z != NULL ? apply_lease(idx, z, ch->name, a) : BURROW_OK;
	if (z != NULL && obs != NULL && obs->name != NULL)
		obs->name(obs->ctx, z, ch->name);
	if (a->kind == AHEAD_NAME)
		/* An earlier change of the chunk may have dropped the zone. */
		return z != NULL ? apply_name(idx, z, ch->name, a->tunnel, a->expires,
		    a->rrs) : BURROW_OK;
	if (z == NULL)
		return reload_zone(s, idx, ch->zone_id, ch->name);
	/* The apex: the zone row (SOA, NS) and the apex's own records. */
	rc = reload_zone(s, idx, ch->zone_id, ch->name);
	if (rc == BURROW_OK && (z = zone_index_zone_by_id(idx, ch->zone_id)) != NULL)
		rc = reload_name(s, idx, z, ch->name);
	return rc;
}

int
index_load_batch_apply(struct store *s, struct zone_index *idx, struct index_load_batch *b,
                       int64_t *seq, int *applied, const struct index_load_observer *obs)
{
	const struct store_change *c = b->cs.c + b->next;
	int rc = BURROW_OK, edges = 0;

	*applied = 0;
	if (b->n == 0)
		return BURROW_OK;
	for (int i = 0; i < b->n && rc == BURROW_OK; i++) {
		if (b->a[i].kind == AHEAD_SKIP)
			continue;
		if (b->a[i].kind == AHEAD_EDGES) {
			if (!edges && obs != NULL && obs->all != NULL)
				obs->all(obs->ctx);
			edges = 1;
			continue;
		}
		rc = apply_one(s, idx, b, i, obs);
	}
	if (rc == BURROW_OK && edges)
		rc = load_edges(s, idx);
	if (rc != BURROW_OK)
		return rc;
	/* SOA serials: the newest content change of each zone or of every
	 * zone (renewals are not content; the store's serial agrees). */
	for (struct dns_zone *z = zone_index_zones(idx); z != NULL; z = z->next) {
		for (int i = b->n - 1; i >= 0; i--) {
			if ((c[i].zone_id == 0 || c[i].zone_id == z->id) && !is_lease(&c[i])) {
				zone_index_zone_serial(idx, z, (uint32_t)c[i].seq);
				break;
			}
		}
	}
	*seq = c[b->n - 1].seq;
	*applied = b->n;
	return BURROW_OK;
}
