/*
 * certs.c: issued certificates.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "db/internal.h"
#include "db/store_cert.h"

#define CERT_COLUMNS \
	"c.id, c.zone_id, z.name, c.names, c.key_type, c.serial, c.not_before, " \
	"c.not_after, c.renew_after, c.revoked_at, c.created_at"

void
store_cert_clear(struct store_cert *c)
{
	if (c == NULL)
		return;
	free(c->chain_pem);
	free(c->key_pem);
	c->chain_pem = NULL;
	c->key_pem = NULL;
}

static void
cert_from_row(struct db_stmt *stmt, struct store_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->id = db_column_int64(stmt, 0);
	c->zone_id = db_column_int64(stmt, 1);
	store_column_text(stmt, 2, c->zone, sizeof(c->zone));
	store_column_text(stmt, 3, c->names, sizeof(c->names));
	store_column_text(stmt, 4, c->key_type, sizeof(c->key_type));
	store_column_text(stmt, 5, c->serial, sizeof(c->serial));
	c->not_before = db_column_int64(stmt, 6);
	c->not_after = db_column_int64(stmt, 7);
	c->renew_after = db_column_int64(stmt, 8);
	c->revoked_at = db_column_int64(stmt, 9);
	c->created_at = db_column_int64(stmt, 10);
}

int
store_cert_insert(struct store *s, int64_t zone_id, struct store_cert *c)
{
	static const char sql[] =
	    "INSERT INTO certificates(zone_id, names, chain_pem, key_pem, key_type, "
	    "serial, not_before, not_after, renew_after, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, zone_id);
	db_bind_text(stmt, 2, c->names);
	db_bind_text(stmt, 3, c->chain_pem);
	db_bind_text(stmt, 4, c->key_pem);
	db_bind_text(stmt, 5, c->key_type[0] != '\0' ? c->key_type : "ecdsa");
	db_bind_text(stmt, 6, c->serial);
	db_bind_int64(stmt, 7, c->not_before);
	db_bind_int64(stmt, 8, c->not_after);
	db_bind_int64(stmt, 9, c->renew_after);
	db_bind_int64(stmt, 10, (int64_t)time(NULL));
	if ((rc = store_step_id(s, stmt, "insert certificate", &c->id)) != BURROW_OK)
		return rc;
	c->zone_id = zone_id;
	return BURROW_OK;
}

int
store_cert_add(struct store *s, const char *zone, struct store_cert *c)
{
	struct store_zone z;
	int rc;

	if (c->chain_pem == NULL || c->key_pem == NULL || c->chain_pem[0] == '\0' ||
	    c->key_pem[0] == '\0')
		return store_fail(s, BURROW_ERR_INVALID, "certificate without chain or key");
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_zone_get(s, zone, &z)) == BURROW_OK)
		rc = store_cert_insert(s, z.id, c);
	return store_end(s, rc);
}

int
store_cert_current(struct store *s, const char *zone, struct store_cert *out)
{
	static const char sql[] =
	    "SELECT " CERT_COLUMNS ", c.chain_pem, c.key_pem FROM certificates c "
	    "JOIN zones z ON z.id = c.zone_id "
	    "WHERE z.name = ? AND c.revoked_at = 0 ORDER BY c.not_after DESC, c.id DESC LIMIT 1";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, zone);
	if ((rc = store_step_row(s, stmt, "read certificate",
	    "no certificate for %s", zone)) != BURROW_OK)
		return rc;
	cert_from_row(stmt, out);
	out->chain_pem = store_column_dup(stmt, 11);
	out->key_pem = store_column_dup(stmt, 12);
	rc = out->chain_pem != NULL && out->key_pem != NULL ? BURROW_OK
	    : BURROW_ERR_NOMEM;
	if (rc != BURROW_OK)
		store_cert_clear(out);
	db_reset(stmt);
	return rc;
}

struct cert_walk {
	store_cert_cb cb;
	void *ctx;
};

static int
cert_row(struct db_stmt *stmt, void *arg)
{
	const struct cert_walk *w = arg;
	struct store_cert c;

	cert_from_row(stmt, &c);
	return w->cb(&c, w->ctx);
}

int
store_cert_list(struct store *s, int only_current, store_cert_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT " CERT_COLUMNS " FROM certificates c JOIN zones z ON z.id = c.zone_id "
	    "WHERE ?1 = 0 OR c.id = (SELECT c2.id FROM certificates c2 "
	    "  WHERE c2.zone_id = c.zone_id AND c2.revoked_at = 0 "
	    "  ORDER BY c2.not_after DESC, c2.id DESC LIMIT 1) "
	    "ORDER BY z.name, c.not_after DESC, c.id DESC";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct cert_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, only_current ? 1 : 0);
	return store_each_row(s, stmt, cert_row, &w, "list certificates");
}

int
store_cert_mark_revoked(struct store *s, int64_t id)
{
	static const char sql[] =
	    "UPDATE certificates SET revoked_at = ? WHERE id = ? AND revoked_at = 0";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, (int64_t)time(NULL));
	db_bind_int64(stmt, 2, id);
	return store_change_one(s, stmt, "write", "no unrevoked certificate %lld",
	    (long long)id);
}
