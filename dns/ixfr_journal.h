/*
 * ixfr_journal.h: the in-memory history burrow-dns answers IXFR from
 * (RFC 1995).  Each time the change log is applied, the records of every
 * changed name are captured before and after; their difference becomes one
 * entry per zone whose serial moved (old SOA, deleted, new SOA, added).
 *
 * The journal starts empty with the daemon and is bounded: a secondary
 * whose serial it no longer covers gets the whole zone (RFC 1995 4).
 * Not thread-safe: the server changes it with every reader locked out.
 */
#ifndef BURROW_DNS_IXFR_JOURNAL_H
#define BURROW_DNS_IXFR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dns/rrbuf.h"
#include "dns/zone_index.h"

struct ixfr_journal;

/* An empty journal keeping at most max_bytes of history; NULL on
 * allocation failure.  Free with ixfr_journal_free() (NULL is fine). */
struct ixfr_journal *ixfr_journal_new(size_t max_bytes);
void ixfr_journal_free(struct ixfr_journal *j);

/* Starts a batch of changes to idx: remembers each zone's serial and SOA.
 * Errors: BURROW_ERR_NOMEM (the batch is then not journaled). */
int ixfr_journal_begin(struct ixfr_journal *j, const struct zone_index *idx);

/* Called before name (presentation form) of zone z changes: captures what
 * it serves now, once per batch. */
void ixfr_journal_note(struct ixfr_journal *j, const struct zone_index *idx,
                       const struct dns_zone *z, const char *name);

/* Called when a change touches every zone (edge addresses): the batch
 * cannot be described name by name, so every zone's history is dropped. */
void ixfr_journal_note_all(struct ixfr_journal *j);

/* Ends the batch: appends one entry per zone whose serial moved, drops
 * the history of zones that went away, trims to the size bound.  A failed
 * batch (err != BURROW_OK) drops every history instead. */
void ixfr_journal_commit(struct ixfr_journal *j, const struct zone_index *idx, int err);

/* Appends to out the IXFR answer records for zone z from serial `from` to
 * its current serial (RFC 1995 4: new SOA, then per step old SOA, deleted
 * RRs, new SOA, added RRs, then the new SOA again).
 * Errors: BURROW_ERR_NOTFOUND (history does not reach back to from),
 * BURROW_ERR_NOMEM. */
int ixfr_journal_answer(const struct ixfr_journal *j, const struct dns_zone *z,
                        uint32_t from, struct rrbuf *out);

/* Number of entries and bytes held (for logs and tests). */
size_t ixfr_journal_entries(const struct ixfr_journal *j);
size_t ixfr_journal_bytes(const struct ixfr_journal *j);

#endif
