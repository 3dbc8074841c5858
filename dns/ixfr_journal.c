/*
 * ixfr_journal.c: per-serial differences of each zone; see ixfr_journal.h.
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "dns/ixfr_journal.h"

struct entry {
	struct entry *next;         /* oldest first, all zones */
	int64_t zone_id;
	uint32_t from, to;
	struct rrbuf soa_old, soa_new, del, add;
	size_t bytes;
};

/* A name captured before the batch changed it. */
struct noted {
	const struct dns_zone *zone;   /* valid during the batch only */
	int64_t zone_id;
	uint8_t name[DNS_NAME_MAX];
	size_t name_len;
	struct rrbuf before;
};

struct zone_before {
	int64_t id;
	uint32_t serial;
	struct rrbuf soa;
};

struct ixfr_journal {
	struct entry *head, *tail;
	size_t nentries, bytes, max_bytes;
	/* the batch in progress */
	int active, all;
	struct zone_before *zones;
	size_t nzones;
	struct noted *names;
	size_t nnames, cap_names;
};

struct ixfr_journal *
ixfr_journal_new(size_t max_bytes)
{
	struct ixfr_journal *j = calloc(1, sizeof(*j));

	if (j != NULL)
		j->max_bytes = max_bytes;
	return j;
}

static void
entry_free(struct entry *e)
{
	rrbuf_clear(&e->soa_old);
	rrbuf_clear(&e->soa_new);
	rrbuf_clear(&e->del);
	rrbuf_clear(&e->add);
	free(e);
}

/* Drops entries of zone_id (every zone if 0). */
static void
drop_zone(struct ixfr_journal *j, int64_t zone_id, int all)
{
	struct entry **pp = &j->head, *prev = NULL;

	while (*pp != NULL) {
		struct entry *e = *pp;
		if (all || e->zone_id == zone_id) {
			*pp = e->next;
			j->bytes -= e->bytes;
			j->nentries--;
			entry_free(e);
		} else {
			prev = e;
			pp = &e->next;
		}
	}
	j->tail = prev;
}

static void
batch_clear(struct ixfr_journal *j)
{
	for (size_t i = 0; i < j->nzones; i++)
		rrbuf_clear(&j->zones[i].soa);
	for (size_t i = 0; i < j->nnames; i++)
		rrbuf_clear(&j->names[i].before);
	free(j->zones);
	free(j->names);
	j->zones = NULL;
	j->names = NULL;
	j->nzones = j->nnames = j->cap_names = 0;
	j->active = j->all = 0;
}

void
ixfr_journal_free(struct ixfr_journal *j)
{
	if (j == NULL)
		return;
	batch_clear(j);
	drop_zone(j, 0, 1);
	free(j);
}

size_t
ixfr_journal_entries(const struct ixfr_journal *j)
{
	return j->nentries;
}

size_t
ixfr_journal_bytes(const struct ixfr_journal *j)
{
	return j->bytes;
}

int
ixfr_journal_begin(struct ixfr_journal *j, const struct zone_index *idx)
{
	size_t n = 0;

	batch_clear(j);
	for (const struct dns_zone *z = zone_index_zones(idx); z != NULL; z = z->next)
		n++;
	if (n > 0 && (j->zones = calloc(n, sizeof(*j->zones))) == NULL)
		return BURROW_ERR_NOMEM;
	for (const struct dns_zone *z = zone_index_zones(idx); z != NULL; z = z->next) {
		struct zone_before *zb = &j->zones[j->nzones++];
		zb->id = z->id;
		zb->serial = z->serial;
		rrbuf_put_soa(&zb->soa, z);
	}
	j->active = 1;
	return BURROW_OK;
}

void
ixfr_journal_note(struct ixfr_journal *j, const struct zone_index *idx,
                  const struct dns_zone *z, const char *name)
{
	ldns_rdf *d = NULL;
	const struct dns_node *node;
	struct noted *nt;

	if (!j->active || j->all)
		return;
	if (ldns_str2rdf_dname(&d, name) != LDNS_STATUS_OK) {
		j->all = 1;   /* cannot tell what changed: no IXFR for it */
		return;
	}
	ldns_dname2canonical(d);
	for (size_t i = 0; i < j->nnames; i++) {
		if (j->names[i].zone_id == z->id && j->names[i].name_len == ldns_rdf_size(d) &&
		    memcmp(j->names[i].name, ldns_rdf_data(d), ldns_rdf_size(d)) == 0) {
			ldns_rdf_deep_free(d);
			return;
		}
	}
	if (j->nnames == j->cap_names) {
		size_t cap = j->cap_names ? j->cap_names * 2 : 64;
		struct noted *nn = realloc(j->names, cap * sizeof(*nn));
		if (nn == NULL) {
			j->all = 1;
			ldns_rdf_deep_free(d);
			return;
		}
		j->names = nn;
		j->cap_names = cap;
	}
	nt = &j->names[j->nnames++];
	memset(nt, 0, sizeof(*nt));
	nt->zone = z;
	nt->zone_id = z->id;
	nt->name_len = ldns_rdf_size(d);
	memcpy(nt->name, ldns_rdf_data(d), nt->name_len);
	ldns_rdf_deep_free(d);
	node = zone_index_lookup(idx, nt->name, nt->name_len);
	if (node != NULL && node->zone == z)
		rrbuf_put_node(&nt->before, z, node);
	if (nt->before.failed)
		j->all = 1;
}

void
ixfr_journal_note_all(struct ixfr_journal *j)
{
	j->all = 1;
}

/* Appends to out each record of a that is not in b. */
static void
subtract(struct rrbuf *out, const struct rrbuf *a, const struct rrbuf *b)
{
	for (size_t i = 0; i < a->len;) {
		size_t la = rrbuf_rr_len(a->data + i);
		int found = 0;
		for (size_t k = 0; k < b->len && !found;) {
			size_t lb = rrbuf_rr_len(b->data + k);
			found = la == lb && memcmp(a->data + i, b->data + k, la) == 0;
			k += lb;
		}
		if (!found)
			rrbuf_append(out, a->data + i, la, 1);
		i += la;
	}
}

static void
trim(struct ixfr_journal *j)
{
	while (j->head != NULL && j->bytes > j->max_bytes) {
		struct entry *e = j->head;
		j->head = e->next;
		if (j->head == NULL)
			j->tail = NULL;
		j->bytes -= e->bytes;
		j->nentries--;
		entry_free(e);
	}
}

static void
commit_zone(struct ixfr_journal *j, const struct zone_index *idx, const struct dns_zone *z,
            struct zone_before *zb)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		drop_zone(j, z->id, 0);
		return;
	}
	e->zone_id = z->id;
	e->from = zb->serial;
	e->to = z->serial;
	rrbuf_append(&e->soa_old, zb->soa.data, zb->soa.len, zb->soa.count);
	rrbuf_put_soa(&e->soa_new, z);
	for (size_t i = 0; i < j->nnames; i++) {
		struct noted *nt = &j->names[i];
		const struct dns_node *node;
		struct rrbuf after = { NULL, 0, 0, 0, 0 };

		if (nt->zone_id != z->id)
			continue;
		node = zone_index_lookup(idx, nt->name, nt->name_len);
		if (node != NULL && node->zone == z)
			rrbuf_put_node(&after, z, node);
		subtract(&e->del, &nt->before, &after);
		subtract(&e->add, &after, &nt->before);
		if (after.failed)
			e->add.failed = 1;
		rrbuf_clear(&after);
	}
	if (e->soa_old.failed || e->soa_new.failed || e->del.failed || e->add.failed ||
	    e->soa_old.count != 1) {
		entry_free(e);
		drop_zone(j, z->id, 0);
		return;
	}
	e->bytes = sizeof(*e) + e->soa_old.len + e->soa_new.len + e->del.len + e->add.len;
	if (j->tail != NULL)
		j->tail->next = e;
	else
		j->head = e;
	j->tail = e;
	j->nentries++;
	j->bytes += e->bytes;
}

void
ixfr_journal_commit(struct ixfr_journal *j, const struct zone_index *idx, int err)
{
	if (!j->active)
		return;
	if (err != 0 || j->all) {
		drop_zone(j, 0, 1);
		batch_clear(j);
		return;
	}
	/* Zones gone since begin lose their history. */
	for (size_t i = 0; i < j->nzones; i++)
		if (zone_index_zone_by_id(idx, j->zones[i].id) == NULL)
			drop_zone(j, j->zones[i].id, 0);
	for (const struct dns_zone *z = zone_index_zones(idx); z != NULL; z = z->next) {
		struct zone_before *zb = NULL;
		for (size_t i = 0; i < j->nzones && zb == NULL; i++)
			if (j->zones[i].id == z->id)
				zb = &j->zones[i];
		if (zb == NULL || zb->serial == z->serial)
			continue;   /* new zone (no history) or unchanged */
		commit_zone(j, idx, z, zb);
	}
	trim(j);
	batch_clear(j);
}

int
ixfr_journal_answer(const struct ixfr_journal *j, const struct dns_zone *z,
                    uint32_t from, struct rrbuf *out)
{
	const struct entry *e, *start = NULL;
	uint32_t at = from;

	for (e = j->head; e != NULL && start == NULL; e = e->next)
		if (e->zone_id == z->id && e->from == from)
			start = e;
	if (start == NULL)
		return BURROW_ERR_NOTFOUND;
	/* The chain from `from` must reach the current serial unbroken. */
	for (e = start; e != NULL; e = e->next) {
		if (e->zone_id != z->id)
			continue;
		if (e->from != at)
			return BURROW_ERR_NOTFOUND;
		at = e->to;
	}
	if (at != z->serial)
		return BURROW_ERR_NOTFOUND;
	rrbuf_put_soa(out, z);
	for (e = start; e != NULL; e = e->next) {
		if (e->zone_id != z->id)
			continue;
		rrbuf_append(out, e->soa_old.data, e->soa_old.len, e->soa_old.count);
		rrbuf_append(out, e->del.data, e->del.len, e->del.count);
		rrbuf_append(out, e->soa_new.data, e->soa_new.len, e->soa_new.count);
		rrbuf_append(out, e->add.data, e->add.len, e->add.count);
	}
	rrbuf_put_soa(out, z);
	return out->failed ? BURROW_ERR_NOMEM : BURROW_OK;
}
