/*
 * catalog.c: the RFC 9432 catalog zone in the zone index; see catalog.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "dns/catalog.h"

struct member {
	int64_t id;
	char zone[DNS_NAME_MAX * 4 + 2];    /* presentation form, no final dot */
};

struct catalog {
	char name[DNS_NAME_MAX * 4 + 2];
	struct member *m;
	size_t n, cap;
};

/* Presentation form of a wire name, without the final dot. */
static void
name_text(const uint8_t *wire, size_t len, char *out, size_t outsz)
{
	ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, wire);
	char *s = rdf != NULL ? ldns_rdf2str(rdf) : NULL;
	size_t n;

	snprintf(out, outsz, "%s", s != NULL ? s : "");
	n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	free(s);
	ldns_rdf_deep_free(rdf);
}

/* Sets owner to the one record "TYPE RDATA" (or removes it: line NULL). */
static int
set_name(struct zone_index *idx, struct dns_zone *z, const char *owner, const char *line,
         const struct index_load_observer *obs)
{
	ldns_rr_list *l = ldns_rr_list_new();
	char buf[DNS_NAME_MAX * 8 + 64];
	ldns_rr *rr = NULL;
	int rc = BURROW_ERR_NOMEM;

	if (l == NULL)
		return rc;
	if (obs != NULL && obs->name != NULL)
		obs->name(obs->ctx, z, owner);
	if (line != NULL) {
		snprintf(buf, sizeof(buf), "%s. 0 IN %s", owner, line);
		if (ldns_rr_new_frm_str(&rr, buf, 0, NULL, NULL) != LDNS_STATUS_OK) {
			rc = BURROW_ERR_INVALID;
			goto out;
		}
		if (!ldns_rr_list_push_rr(l, rr)) {
			ldns_rr_free(rr);
			goto out;
		}
	}
	rc = zone_index_name_set(idx, z, owner, 0, l);
out:
	ldns_rr_list_deep_free(l);
	return rc;
}

struct catalog *
catalog_new(struct zone_index *idx, const char *name, uint32_t serial)
{
	static const char *const ns[] = { "invalid" };
	struct catalog *c = calloc(1, sizeof(*c));
	/* RFC 9432 4.1: SOA and NS (invalid.) only to make it a zone; the
	 * timers drive secondaries that missed a NOTIFY. */
	struct zone_index_zone_params p = {
		CATALOG_ZONE_ID, name, 0, "invalid", "invalid", 60, 30, 2419200, 0, serial, ns, 1,
	};
	char owner[sizeof(c->name) + 16];
	struct dns_zone *z;

	if (c == NULL)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (zone_index_zone_set(idx, &p) != BURROW_OK ||
	    (z = zone_index_zone_by_id(idx, CATALOG_ZONE_ID)) == NULL)
		goto fail;
	/* RFC 9432 4.2.1: the schema version. */
	snprintf(owner, sizeof(owner), "version.%s", name);
	if (set_name(idx, z, owner, "TXT \"2\"", NULL) != BURROW_OK)
		goto fail;
	return c;
fail:
	zone_index_zone_remove(idx, CATALOG_ZONE_ID);
	free(c);
	return NULL;
}

void
catalog_free(struct catalog *c)
{
	if (c == NULL)
		return;
	free(c->m);
	free(c);
}

size_t
catalog_members(const struct catalog *c)
{
	return c->n;
}

static void
member_owner(const struct catalog *c, int64_t id, char *out, size_t outsz)
{
	snprintf(out, outsz, "z%lld.zones.%s", (long long)id, c->name);
}

int
catalog_sync(struct catalog *c, struct zone_index *idx, uint32_t serial,
             const struct index_load_observer *obs, int *changed)
{
	struct dns_zone *cz = zone_index_zone_by_id(idx, CATALOG_ZONE_ID);
	char owner[sizeof(c->name) + 32], line[DNS_NAME_MAX * 4 + 16];
	int rc = BURROW_OK;

	*changed = 0;
	if (cz == NULL)
		return BURROW_ERR_INVALID;
	/* Members whose zone is gone (or was replaced under the same id). */
	for (size_t i = 0; i < c->n;) {
		struct dns_zone *z = zone_index_zone_by_id(idx, c->m[i].id);
		char now[sizeof(c->m[i].zone)];
		if (z != NULL)
			name_text(z->name, z->name_len, now, sizeof(now));
		if (z != NULL && strcmp(now, c->m[i].zone) == 0) {
			i++;
			continue;
		}
		member_owner(c, c->m[i].id, owner, sizeof(owner));
		if ((rc = set_name(idx, cz, owner, NULL, obs)) != BURROW_OK)
			return rc;
		c->m[i] = c->m[--c->n];
		*changed = 1;
	}
	/* New zones. */
	for (struct dns_zone *z = zone_index_zones(idx); z != NULL; z = z->next) {
		int known = z->id == CATALOG_ZONE_ID;
		for (size_t i = 0; i < c->n && !known; i++)
			known = c->m[i].id == z->id;
		if (known)
			continue;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 16;
			struct member *nm = realloc(c->m, cap * sizeof(*nm));
			if (nm == NULL)
				return BURROW_ERR_NOMEM;
			c->m = nm;
			c->cap = cap;
		}
		c->m[c->n].id = z->id;
		name_text(z->name, z->name_len, c->m[c->n].zone, sizeof(c->m[c->n].zone));
		member_owner(c, z->id, owner, sizeof(owner));
		snprintf(line, sizeof(line), "PTR %s.", c->m[c->n].zone);
		if ((rc = set_name(idx, cz, owner, line, obs)) != BURROW_OK)
			return rc;
		c->n++;
		*changed = 1;
	}
	if (*changed)
		rc = zone_index_zone_serial(idx, cz, serial);
	return rc;
}
