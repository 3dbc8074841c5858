/*
 * secondaries.c: the secondaries table (re-read from the store every second)
 * and the NOTIFY messages sent to them; see server_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "common/log.h"
#include "db/store_secondary.h"
#include "dns/notify.h"
#include "dns/server_internal.h"

void
server_zone_text(const struct dns_zone *z, char *out, size_t outsz)
{
	ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, z->name_len, z->name);
	char *str = rdf != NULL ? ldns_rdf2str(rdf) : NULL;

	snprintf(out, outsz, "%s", str != NULL ? str : "?");
	free(str);
	ldns_rdf_deep_free(rdf);
}

/* RFC 1996 3.5: tell every secondary (or only sec, if not NULL: one just
 * added) of each zone whose serial moved since the last NOTIFY (all zones
 * if all).  Runs in the first thread, the only one that changes the index,
 * so reading serials needs no lock. */
void
secondaries_notify(struct dns_server *srv, const struct xfr_secondary *sec, int all)
{
	char text[DNS_NAME_MAX * 4 + 2];

	if (srv->notify == NULL)
		return;
	for (struct dns_zone *z = zone_index_zones(srv->idx); z != NULL; z = z->next) {
		if (!all && z->notified_serial == z->serial)
			continue;
		z->notified_serial = z->serial;
		server_zone_text(z, text, sizeof(text));
		for (int i = 0; i < srv->acl.n; i++) {
			const struct xfr_secondary *to = sec != NULL ? sec : &srv->acl.sec[i];
			if (notify_sender_queue(srv->notify, to, z->name, z->name_len, text,
			    z->serial) != BURROW_OK)
				log_error("NOTIFY %s to %s: cannot queue", text, to->address);
			if (sec != NULL)
				break;
		}
	}
}

static int
collect_secondary(const struct store_secondary *row, void *ctx)
{
	struct xfr_acl *acl = ctx;
	struct xfr_secondary *sec, *n;

	if ((n = realloc(acl->sec, (size_t)(acl->n + 1) * sizeof(*n))) == NULL)
		return BURROW_ERR_NOMEM;
	acl->sec = n;
	sec = &acl->sec[acl->n];
	memset(sec, 0, sizeof(*sec));
	snprintf(sec->address, sizeof(sec->address), "%s", row->address);
	sec->port = row->port;
	snprintf(sec->key_name, sizeof(sec->key_name), "%s", row->key.name);
	if (tsig_key_init(&sec->key, row->key.name, row->key.algorithm, row->key.secret)
	    != BURROW_OK) {
		log_error("secondary %s: TSIG key %s (%s) unusable; skipped", row->address,
		    row->key.name, row->key.algorithm);
		return 0;
	}
	acl->n++;
	return 0;
}

static int
same_secondary(const struct xfr_secondary *a, const struct xfr_secondary *b)
{
	return strcmp(a->address, b->address) == 0 && a->port == b->port &&
	    memcmp(&a->key, &b->key, sizeof(a->key)) == 0;
}

/* Re-reads the secondaries; swaps them in (with every reader locked out)
 * if they changed, and notifies the new ones of every zone. */
void
secondaries_reload(struct dns_server *srv)
{
	struct xfr_acl fresh = { NULL, 0 }, old;
	int i, j, changed;

	if (store_secondary_list(srv->store, collect_secondary, &fresh) != BURROW_OK) {
		log_error("secondaries: %s", store_errmsg(srv->store));
		xfr_acl_clear(&fresh);
		return;
	}
	changed = fresh.n != srv->acl.n;
	for (i = 0; i < fresh.n && !changed; i++)
		changed = !same_secondary(&fresh.sec[i], &srv->acl.sec[i]);
	if (!changed) {
		xfr_acl_clear(&fresh);
		return;
	}
	server_lock_all(srv);
	old = srv->acl;
	srv->acl = fresh;
	server_unlock_all(srv);
	for (i = 0; i < srv->acl.n; i++) {
		int known = 0;
		for (j = 0; j < old.n && !known; j++)
			known = same_secondary(&srv->acl.sec[i], &old.sec[j]);
		if (!known) {
			log_info("secondary %s port %u (key %s): transfers allowed, notifying",
			    srv->acl.sec[i].address, (unsigned)srv->acl.sec[i].port,
			    srv->acl.sec[i].key_name);
			secondaries_notify(srv, &srv->acl.sec[i], 1);
		}
	}
	log_info("%d secondaries", srv->acl.n);
	xfr_acl_clear(&old);
}

void
secondaries_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	secondaries_reload(arg);
}
