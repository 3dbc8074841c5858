/*
 * records.c: extra resource records (ACME TXT, CAA, ...) kept in
 * presentation form, checked by ldns before they are stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ldns/ldns.h>

#include "common/error.h"
#include "db/internal.h"

/* Types an operator may add; the rest (SOA, NS, the tunnels' A/AAAA) are
 * derived from zones, edges and tunnels. */
static const char *const allowed_types[] = {
	"TXT", "CAA", "A", "AAAA", "MX", "SRV", NULL
};

static int
type_allowed(const char *type, char *upper, size_t uppersz)
{
	size_t i;

	for (i = 0; allowed_types[i] != NULL; i++) {
		if (strcasecmp(type, allowed_types[i]) == 0) {
			snprintf(upper, uppersz, "%s", allowed_types[i]);
			return 1;
		}
	}
	return 0;
}

/* Parses "name ttl IN type rdata" with ldns and writes the canonical rdata
 * text (as ldns prints it) to out. */
static int
canonical_rdata(struct store *s, const char *name, const char *type,
                uint32_t ttl, const char *rdata, char *out, size_t outsz)
{
	ldns_rr *rr = NULL;
	ldns_buffer *buf = NULL;
	char *line = NULL;
	size_t i;
	int rc = BURROW_ERR_INVALID;

	if (asprintf(&line, "%s. %u IN %s %s", name, ttl, type, rdata) < 0) {
		line = NULL;
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK ||
	    ldns_rr_rd_count(rr) == 0) {
		rc = store_fail(s, BURROW_ERR_INVALID, "invalid %s data '%s'", type, rdata);
		goto out;
	}
	if ((buf = ldns_buffer_new(256)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (i > 0)
			ldns_buffer_printf(buf, " ");
		ldns_rdf2buffer_str(buf, ldns_rr_rdf(rr, i));
	}
	if (ldns_buffer_status(buf) != LDNS_STATUS_OK ||
	    ldns_buffer_position(buf) >= outsz) {
		rc = store_fail(s, BURROW_ERR_INVALID, "%s data too long", type);
		goto out;
	}
	memcpy(out, ldns_buffer_begin(buf), ldns_buffer_position(buf));
	out[ldns_buffer_position(buf)] = '\0';
	rc = BURROW_OK;
out:
	free(line);
	ldns_rr_free(rr);
	ldns_buffer_free(buf);
	return rc;
}

static void
record_from_row(struct db_stmt *stmt, struct store_record *r)
{
	r->id = db_column_int64(stmt, 0);
	r->zone_id = db_column_int64(stmt, 1);
	store_column_text(stmt, 2, r->name, sizeof(r->name));
	store_column_text(stmt, 3, r->type, sizeof(r->type));
	r->ttl = (uint32_t)db_column_int64(stmt, 4);
	store_column_text(stmt, 5, r->rdata, sizeof(r->rdata));
}

static int
insert_record(struct store *s, struct store_record *r)
{
	static const char sql[] =
	    "INSERT INTO records(zone_id, name, type, ttl, rdata, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, r->zone_id);
	db_bind_text(stmt, 2, r->name);
	db_bind_text(stmt, 3, r->type);
	db_bind_int64(stmt, 4, r->ttl);
	db_bind_text(stmt, 5, r->rdata);
	db_bind_int64(stmt, 6, (int64_t)time(NULL));
	if ((rc = store_step_id(s, stmt, "insert record", &r->id)) != BURROW_OK &&
	    rc == BURROW_ERR_EXISTS)
		rc = store_fail(s, BURROW_ERR_EXISTS, "%s %s %s already exists",
		    r->name, r->type, r->rdata);
	return rc;
}

int
store_record_add(struct store *s, const char *name, const char *type,
                 uint32_t ttl, const char *rdata, struct store_record *out)
{
	struct store_record r;
	struct store_zone z;
	int rc;

	memset(&r, 0, sizeof(r));
	if (names_canonical(name, 1, r.name) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "invalid record name '%s'", name);
	if (type == NULL || !type_allowed(type, r.type, sizeof(r.type)))
		return store_fail(s, BURROW_ERR_INVALID,
		    "record type '%s' not supported (TXT, CAA, A, AAAA, MX, SRV)",
		    type != NULL ? type : "");
	if (ttl > 2147483647u)
		return store_fail(s, BURROW_ERR_INVALID, "TTL out of range");
	r.ttl = ttl;
	if (rdata == NULL || (rc = canonical_rdata(s, r.name, r.type, ttl, rdata,
	    r.rdata, sizeof(r.rdata))) != BURROW_OK)
		return rdata == NULL ? store_fail(s, BURROW_ERR_INVALID, "missing data") : rc;
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_zone_for_name(s, r.name, &z)) != BURROW_OK) {
		rc = store_fail(s, BURROW_ERR_NOTFOUND, "%s is in none of our zones", r.name);
		goto out;
	}
	r.zone_id = z.id;
	if ((rc = insert_record(s, &r)) != BURROW_OK)
		goto out;
out:
	if ((rc = store_end(s, rc)) == BURROW_OK && out != NULL)
		*out = r;
	return rc;
}

int
store_record_remove(struct store *s, int64_t id)
{
	static const char sql[] = "DELETE FROM records WHERE id = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, id);
	return store_change_one(s, stmt, "write", "no record with id %lld", (long long)id);
}

int
store_record_remove_match(struct store *s, const char *name, const char *type,
                          const char *rdata, int *removed)
{
	static const char sql[] =
	    "DELETE FROM records WHERE name = ?1 AND type = ?2 AND (CAST(?3 AS TEXT) IS NULL OR rdata = ?3)";
	char canon[NAMES_MAX + 1], upper[16], data[4096];
	struct db_stmt *stmt;
	int rc, n;

	if (names_canonical(name, 1, canon) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "invalid record name '%s'", name);
	if (type == NULL || !type_allowed(type, upper, sizeof(upper)))
		return store_fail(s, BURROW_ERR_INVALID, "record type '%s' not supported",
		    type != NULL ? type : "");
	if (rdata != NULL && (rc = canonical_rdata(s, canon, upper, 0, rdata, data,
	    sizeof(data))) != BURROW_OK)
		return rc;
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, canon);
	db_bind_text(stmt, 2, upper);
	if (rdata != NULL)
		db_bind_text(stmt, 3, data);
	if ((rc = store_step_done(s, stmt, "delete record")) != BURROW_OK)
		return rc;
	n = s->eng->changes(s);
	if (removed != NULL)
		*removed = n;
	return n == 0 ? store_fail(s, BURROW_ERR_NOTFOUND, "no %s record at %s", upper, canon)
	    : BURROW_OK;
}

struct record_walk {
	store_record_cb cb;
	void *ctx;
};

static int
record_row(struct db_stmt *stmt, void *arg)
{
	const struct record_walk *w = arg;
	struct store_record r;

	record_from_row(stmt, &r);
	return w->cb(&r, w->ctx);
}

int
store_record_list(struct store *s, int64_t zone_id, const char *name,
                  store_record_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT id, zone_id, name, type, ttl, rdata FROM records "
	    "WHERE (?1 = 0 OR zone_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR name = ?2) "
	    "ORDER BY name, type, id";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct record_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, zone_id);
	if (name != NULL)
		db_bind_text(stmt, 2, name);
	return store_each_row(s, stmt, record_row, &w, "list records");
}
