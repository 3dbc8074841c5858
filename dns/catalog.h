/*
 * catalog.h: the catalog zone (RFC 9432, schema version 2) listing every
 * zone burrow-dns serves, so secondaries that consume catalogs (Knot's
 * catalog-role: interpret, BIND's catalog-zones) pick up new customer
 * domains without being reconfigured.
 *
 * The catalog lives in the zone index like any zone (store id
 * CATALOG_ZONE_ID), so it is answered, transferred (AXFR/IXFR) and
 * notified the same way.  Its records:
 *   <catalog>               SOA, NS invalid.
 *   version.<catalog>       TXT "2"
 *   z<ID>.zones.<catalog>   PTR <member zone>.   (ID: the zone's store id,
 *                            so a zone removed and added again gets a new
 *                            member label, RFC 9432 5.2)
 */
#ifndef BURROW_DNS_CATALOG_H
#define BURROW_DNS_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "dns/index_load.h"
#include "dns/zone_index.h"

#define CATALOG_DEFAULT_NAME "catalog.burrow.invalid"
#define CATALOG_ZONE_ID (-1)

struct catalog;

/* Adds the catalog zone name (presentation form) to idx with the given
 * serial.  NULL on failure (bad name, allocation); free with
 * catalog_free() (NULL is fine), which leaves idx alone. */
struct catalog *catalog_new(struct zone_index *idx, const char *name, uint32_t serial);
void catalog_free(struct catalog *c);

/* Makes the catalog list exactly the zones of idx; obs (may be NULL) hears
 * of each member name before it changes.  If the list changed, the
 * catalog's serial becomes serial and *changed is set.
 * Errors: BURROW_ERR_NOMEM, BURROW_ERR_INVALID. */
int catalog_sync(struct catalog *c, struct zone_index *idx, uint32_t serial,
                 const struct index_load_observer *obs, int *changed);

/* Number of member zones listed. */
size_t catalog_members(const struct catalog *c);

#endif
