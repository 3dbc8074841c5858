/*
 * export.h: a zone of the store in RFC 1035 master-file format (section 5),
 * so NSD or Knot can serve exactly what burrow-dns serves.
 */
#ifndef BURROW_DNS_EXPORT_H
#define BURROW_DNS_EXPORT_H

#include <stdio.h>

#include "db/store.h"

/* Writes zone (canonical name) to out: SOA first, then NS, then every name
 * in the order of its wire form.  The records are those of burrow-dns's own
 * index (built by the same loader), printed by ldns, so the two never
 * disagree.  Errors: BURROW_ERR_NOTFOUND (no such zone), BURROW_ERR_IO,
 * BURROW_ERR_NOMEM. */
int zone_export(struct store *s, const char *zone, FILE *out);

#endif
