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

/* The change log read ahead, so that a caller holding readers out (the
 * server's change follower) does its SQL first and only changes the index
 * under its lock, a bounded chunk at a time:
 *   index_load_batch_new(s, seq, &b);              every change after seq
 *   while (!index_load_batch_done(b)) {
 *           index_load_batch_read(s, idx, b, 64);   next chunk's rows, idx untouched
 *           lock; index_load_batch_apply(...); unlock;
 *   }
 *   index_load_batch_free(b);
 * Changes to zone rows and edges (rare) are still read in _apply().  Only
 * the caller changes idx in between (it is read without a lock). */
struct index_load_batch;

/* Reads the change log after seq into *out (free with
 * index_load_batch_free).  Errors: those of the store, BURROW_ERR_NOMEM. */
int index_load_batch_new(struct store *s, int64_t seq, struct index_load_batch **out);

/* True when every change of b has been read (nothing left to read). */
int index_load_batch_done(const struct index_load_batch *b);

/* Reads the data of the next max changes of b (those of a known zone's
 * names; the rest when applied) without changing idx.  Errors: as
 * index_load_all(); the chunk is then not to be applied. */
int index_load_batch_read(struct store *s, struct zone_index *idx, struct index_load_batch *b,
                          int max);

/* Applies the chunk last read, telling obs (may be NULL) before each
 * change; sets the SOA serials, advances *seq past the chunk and sets
 * *applied to its size.  Errors: as index_load_changes(). */
int index_load_batch_apply(struct store *s, struct zone_index *idx, struct index_load_batch *b,
                           int64_t *seq, int *applied, const struct index_load_observer *obs);

void index_load_batch_free(struct index_load_batch *b);

/* Appends to list the RR of one stored record ("name ttl IN type rdata"
 * parsed by ldns).  Errors: BURROW_ERR_INVALID, BURROW_ERR_NOMEM. */
int index_record_rr(const struct store_record *r, ldns_rr_list *list);

#endif
