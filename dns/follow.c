/*
 * follow.c: follows the store's change log into the zone index, the IXFR
 * journal and the catalog zone; see server_internal.h.
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

/* The store watch's reader (first thread): a cheap max(seq) first, so a
 * wake-up with nothing new never takes the workers' locks.  Returns 1 if
 * changes were applied, 0 if there were none, or an error. */
int
follow_changes(void *arg)
{
	struct dns_server *srv = arg;
	struct index_load_observer obs = { journal_name, journal_all, srv };
	int64_t max;
	int applied = 0, rc, changed = 0;

	if ((rc = store_change_max(srv->store, &max)) != BURROW_OK) {
		log_error("change log: %s", store_errmsg(srv->store));
		return rc;
	}
	atomic_store_explicit(&srv->stat_store_seq, max, memory_order_relaxed);
	if (max <= srv->seq)
		return 0;
	server_lock_all(srv);
	if (ixfr_journal_begin(srv->journal, srv->idx) != BURROW_OK)
		ixfr_journal_note_all(srv->journal);
	rc = index_load_changes_observed(srv->store, srv->idx, &srv->seq, &applied, &obs);
	/* New and removed zones change the catalog, with the same serial. */
	if (rc == BURROW_OK && srv->catalog != NULL)
		rc = catalog_sync(srv->catalog, srv->idx, (uint32_t)srv->seq, &obs, &changed);
	ixfr_journal_commit(srv->journal, srv->idx, rc);
	server_unlock_all(srv);
	if (rc != BURROW_OK)
		log_error("applying changes after %lld: %s (%s); retrying",
		    (long long)srv->seq, burrow_strerror(rc), store_errmsg(srv->store));
	if (follow_publish(srv) != BURROW_OK)
		log_error("zone serials for the stats: out of memory");
	secondaries_notify(srv, NULL, 0);
	return rc != BURROW_OK ? rc : applied > 0;
}
