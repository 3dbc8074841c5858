/*
 * index_load.h: filling the zone index from the store and keeping it in step
 * through the change log (db/store.h), so no query ever waits on SQL.
 */
#ifndef BURROW_DNS_INDEX_LOAD_H
#define BURROW_DNS_INDEX_LOAD_H

#include <stdint.h>

#include <ldns/ldns.h>

#include "db/store.h"
#include "dns/zone_index.h"

/* Loads every zone, edge, tunnel and record into the empty index idx and
 * sets *seq to the change-log position it reflects.
 * Errors: those of the store (BURROW_ERR_IO, ...), BURROW_ERR_NOMEM. */
int index_load_all(struct store *s, struct zone_index *idx, int64_t *seq);

/* Loads one zone (by name, canonical) with its names and the edges into
 * the empty index idx.  Errors: BURROW_ERR_NOTFOUND, or as index_load_all(). */
int index_load_zone(struct store *s, struct zone_index *idx, const char *zone);

/* Applies the changes logged after *seq (re-reading only the names they
 * list), advances *seq and sets *applied to the number of changes read.
 * Errors: as index_load_all(); on error idx may be partly updated and *seq
 * is unchanged, so the next call retries. */
int index_load_changes(struct store *s, struct zone_index *idx, int64_t *seq,
                       int *applied);

/* Who wants to know what index_load_changes_observed() is about to change
 * (the IXFR journal): name() before a name of zone z is re-read, all()
 * when a change touches every zone (edge addresses).  Either may be NULL. */
struct index_load_observer {
	void (*name)(void *ctx, const struct dns_zone *z, const char *name);
	void (*all)(void *ctx);
	void *ctx;
};

/* index_load_changes(), telling obs (may be NULL) before each change. */
int index_load_changes_observed(struct store *s, struct zone_index *idx, int64_t *seq,
                                int *applied, const struct index_load_observer *obs);

/* Appends to list the RR of one stored record ("name ttl IN type rdata"
 * parsed by ldns).  Errors: BURROW_ERR_INVALID, BURROW_ERR_NOMEM. */
int index_record_rr(const struct store_record *r, ldns_rr_list *list);

#endif
