/*
 * follow.c: follows the store's change log into the zone index, the IXFR
 * journal and the catalog zone, reading ahead and swapping in under the
 * workers' locks a chunk at a time; see server_internal.h.
 */
#include <stdlib.h>

#include "common/error.h"
#include "common/log.h"
#include "dns/catalog.h"
#include "dns/index_load.h"
#include "dns/ixfr_journal.h"
#include "dns/server_internal.h"

static void
journal_name(void *ctx, const struct dns_zone *z, const char *name)
{
	struct dns_server *srv = ctx;

	ixfr_journal_note(srv->journal, srv->idx, z, name);
}

static void
journal_all(void *ctx)
{
	struct dns_server *srv = ctx;

	ixfr_journal_note_all(srv->journal);
}

int
follow_publish(struct dns_server *srv)
{
	struct zone_serials *p = srv->serials;
	struct dns_zone_serial *fresh, *old;
	size_t n = 0, i = 0;

	for (struct dns_zone *z = zone_index_zones(srv->idx); z != NULL; z = z->next)
		n++;
	if ((fresh = calloc(n > 0 ? n : 1, sizeof(*fresh))) == NULL)
		return BURROW_ERR_NOMEM;
	for (struct dns_zone *z = zone_index_zones(srv->idx); z != NULL; z = z->next, i++) {
		server_zone_text(z, fresh[i].name, sizeof(fresh[i].name));
		fresh[i].serial = z->serial;
	}
	pthread_mutex_lock(&p->lock);
	old = p->z;
	p->z = fresh;
	p->n = n;
	pthread_mutex_unlock(&p->lock);
	free(old);
	atomic_store_explicit(&srv->stat_applied_seq, srv->seq, memory_order_relaxed);
	atomic_store_explicit(&srv->stat_names, zone_index_count(srv->idx), memory_order_relaxed);
	return BURROW_OK;
}

/* Changes swapped in per lock: bounds how long a worker waits (a chunk
 * of new tunnels is a few hundred µs of index work), while a bulk import
 * still becomes a few IXFR deltas rather than one per change. */
#define FOLLOW_CHUNK 64

static void
count_swap(struct dns_server *srv, uint64_t ns)
{
	/* The first thread is the only writer of these (stats.h). */
	dns_stats_add(&srv->stat_swaps, 1);
	dns_stats_add(&srv->stat_swap_ns, ns);
	if (ns > atomic_load_explicit(&srv->stat_swap_max_ns, memory_order_relaxed))
		atomic_store_explicit(&srv->stat_swap_max_ns, ns, memory_order_relaxed);
}

/* Swaps the chunk b last read into the index, journal and catalog with
 * every worker locked out.  The SQL happened before, in _read(). */
static int
swap_chunk(struct dns_server *srv, struct index_load_batch *b, int *applied)
{
	struct index_load_observer obs = { journal_name, journal_all, srv };
	uint64_t t0 = server_now_ns();
	int rc, changed = 0;

	server_lock_all(srv);
	if (ixfr_journal_begin(srv->journal, srv->idx) != BURROW_OK)
		ixfr_journal_note_all(srv->journal);
	rc = index_load_batch_apply(srv->store, srv->idx, b, &srv->seq, applied, &obs);
	/* New and removed zones change the catalog, with the same serial. */
	if (rc == BURROW_OK && srv->catalog != NULL)
		rc = catalog_sync(srv->catalog, srv->idx, (uint32_t)srv->seq, &obs, &changed);
	ixfr_journal_commit(srv->journal, srv->idx, rc);
	server_unlock_all(srv);
	count_swap(srv, server_now_ns() - t0);
	return rc;
}

/* The store watch's reader (first thread): a cheap max(seq) first, so a
 * wake-up with nothing new never takes the workers' locks.  Returns 1 if
 * changes were applied, 0 if there were none, or an error. */
int
follow_changes(void *arg)
{
	struct dns_server *srv = arg;
	struct index_load_batch *b = NULL;
	int64_t max;
	int applied = 0, total = 0, rc;

	/* A store that is away fails every read until it is back: one
	 * line when that starts, one when it ends (log.h). */
	if ((rc = store_change_max(srv->store, &max)) != BURROW_OK) {
		log_outage_fail(&srv->store_outage, "change log: %s; retrying",
		    store_errmsg(srv->store));
		return rc;
	}
	atomic_store_explicit(&srv->stat_store_seq, max, memory_order_relaxed);
	if (max <= srv->seq) {
		log_outage_ok(&srv->store_outage, "change log");
		return 0;
	}
	rc = index_load_batch_new(srv->store, srv->seq, &b);
	while (rc == BURROW_OK && !index_load_batch_done(b)) {
		if ((rc = index_load_batch_read(srv->store, srv->idx, b, FOLLOW_CHUNK)) != BURROW_OK)
			break;
		rc = swap_chunk(srv, b, &applied);
		total += applied;
	}
	index_load_batch_free(b);
	if (rc != BURROW_OK)
		log_outage_fail(&srv->store_outage, "applying changes after %lld: %s (%s); retrying",
		    (long long)srv->seq, burrow_strerror(rc), store_errmsg(srv->store));
	else
		log_outage_ok(&srv->store_outage, "change log");
	if (total > 0 && follow_publish(srv) != BURROW_OK)
		log_error("zone serials for the stats: out of memory");
	secondaries_notify(srv, NULL, 0);
	return rc != BURROW_OK ? rc : total > 0;
}
