/*
 * acme.c: ACME accounts and orders.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "db/internal.h"
#include "db/store_acme.h"

void
store_acme_account_clear(struct store_acme_account *a)
{
	if (a == NULL)
		return;
	free(a->key_pem);
	free(a->next_key_pem);
	a->key_pem = a->next_key_pem = NULL;
}

int
store_acme_account_get(struct store *s, const char *directory_url,
                       struct store_acme_account *out)
{
	static const char sql[] =
	    "SELECT id, directory_url, kid, contact, key_pem, next_key_pem, created_at "
	    "FROM acme_accounts WHERE directory_url = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, directory_url);
	if ((rc = store_step_row(s, stmt, "read ACME account", "no ACME account for %s",
	    directory_url)) != BURROW_OK)
		return rc;
	out->id = db_column_int64(stmt, 0);
	store_column_text(stmt, 1, out->directory_url, sizeof(out->directory_url));
	store_column_text(stmt, 2, out->kid, sizeof(out->kid));
	store_column_text(stmt, 3, out->contact, sizeof(out->contact));
	out->key_pem = store_column_dup(stmt, 4);
	out->next_key_pem = store_column_dup(stmt, 5);
	out->created_at = db_column_int64(stmt, 6);
	db_reset(stmt);
	rc = out->key_pem != NULL && out->next_key_pem != NULL ? BURROW_OK : BURROW_ERR_NOMEM;
	if (rc != BURROW_OK)
		store_acme_account_clear(out);
	return rc;
}

int
store_acme_account_add(struct store *s, const char *directory_url, const char *key_pem,
                       struct store_acme_account *out)
{
	static const char sql[] =
	    "INSERT INTO acme_accounts(directory_url, key_pem, created_at) VALUES (?, ?, ?)";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, directory_url);
	db_bind_text(stmt, 2, key_pem);
	db_bind_int64(stmt, 3, (int64_t)time(NULL));
	if ((rc = store_step_done(s, stmt, "insert ACME account")) != BURROW_OK)
		return rc;
	return store_acme_account_get(s, directory_url, out);
}

/* An UPDATE of one row by id; a missing row is named by what. */
static int
exec_update(struct store *s, struct db_stmt *stmt, const char *what)
{
	return store_change_one(s, stmt, what, "%s: no such row", what);
}

int
store_acme_account_set_kid(struct store *s, int64_t id, const char *kid,
                           const char *contact)
{
	static const char sql[] =
	    "UPDATE acme_accounts SET kid = ?, contact = ? WHERE id = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, kid);
	db_bind_text(stmt, 2, contact != NULL ? contact : "");
	db_bind_int64(stmt, 3, id);
	return exec_update(s, stmt, "update ACME account");
}

int
store_acme_account_set_next_key(struct store *s, int64_t id, const char *pem)
{
	static const char sql[] = "UPDATE acme_accounts SET next_key_pem = ? WHERE id = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, pem != NULL ? pem : "");
	db_bind_int64(stmt, 2, id);
	return exec_update(s, stmt, "update ACME account key");
}

int
store_acme_account_commit_key(struct store *s, int64_t id)
{
	static const char sql[] =
	    "UPDATE acme_accounts SET key_pem = next_key_pem, next_key_pem = '' "
	    "WHERE id = ? AND next_key_pem <> ''";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, id);
	return exec_update(s, stmt, "commit ACME account key");
}

void
store_acme_order_clear(struct store_acme_order *o)
{
	if (o == NULL)
		return;
	free(o->key_pem);
	free(o->state_json);
	o->key_pem = o->state_json = NULL;
}

int
store_acme_order_open(struct store *s, const char *zone, struct store_acme_order *out)
{
	static const char sql[] =
	    "SELECT o.id, o.zone_id, o.account_id, z.name, o.order_url, o.status, o.step, "
	    "o.key_type, o.error, o.key_pem, o.state_json, o.created_at, o.updated_at "
	    "FROM acme_orders o JOIN zones z ON z.id = o.zone_id "
	    "WHERE z.name = ? AND o.status NOT IN ('done', 'failed') "
	    "ORDER BY o.id DESC LIMIT 1";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, zone);
	if ((rc = store_step_row(s, stmt, "read ACME order",
	    "no open order for %s", zone)) != BURROW_OK)
		return rc;
	out->id = db_column_int64(stmt, 0);
	out->zone_id = db_column_int64(stmt, 1);
	out->account_id = db_column_int64(stmt, 2);
	store_column_text(stmt, 3, out->zone, sizeof(out->zone));
	store_column_text(stmt, 4, out->order_url, sizeof(out->order_url));
	store_column_text(stmt, 5, out->status, sizeof(out->status));
	store_column_text(stmt, 6, out->step, sizeof(out->step));
	store_column_text(stmt, 7, out->key_type, sizeof(out->key_type));
	store_column_text(stmt, 8, out->error, sizeof(out->error));
	out->key_pem = store_column_dup(stmt, 9);
	out->state_json = store_column_dup(stmt, 10);
	out->created_at = db_column_int64(stmt, 11);
	out->updated_at = db_column_int64(stmt, 12);
	rc = out->key_pem != NULL && out->state_json != NULL ? BURROW_OK
	    : BURROW_ERR_NOMEM;
	if (rc != BURROW_OK)
		store_acme_order_clear(out);
	db_reset(stmt);
	return rc;
}

int
store_acme_order_add(struct store *s, struct store_acme_order *o)
{
	static const char sql[] =
	    "INSERT INTO acme_orders(zone_id, account_id, order_url, status, step, key_type, "
	    "key_pem, state_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
	struct store_zone z;
	struct db_stmt *stmt;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if ((rc = store_zone_get(s, o->zone, &z)) != BURROW_OK)
		return rc;
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, z.id);
	db_bind_int64(stmt, 2, o->account_id);
	db_bind_text(stmt, 3, o->order_url);
	db_bind_text(stmt, 4, o->status);
	db_bind_text(stmt, 5, o->step);
	db_bind_text(stmt, 6, o->key_type[0] != '\0' ? o->key_type : "ecdsa");
	db_bind_text(stmt, 7, o->key_pem != NULL ? o->key_pem : "");
	db_bind_text(stmt, 8, o->state_json != NULL ? o->state_json : "{}");
	db_bind_int64(stmt, 9, now);
	db_bind_int64(stmt, 10, now);
	if ((rc = store_step_id(s, stmt, "insert ACME order", &o->id)) != BURROW_OK)
		return rc;
	o->zone_id = z.id;
	o->created_at = o->updated_at = now;
	return BURROW_OK;
}

int
store_acme_order_update(struct store *s, const struct store_acme_order *o)
{
	static const char sql[] =
	    "UPDATE acme_orders SET status = ?, step = ?, key_pem = ?, state_json = ?, "
	    "error = ?, updated_at = ? WHERE id = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, o->status);
	db_bind_text(stmt, 2, o->step);
	db_bind_text(stmt, 3, o->key_pem != NULL ? o->key_pem : "");
	db_bind_text(stmt, 4, o->state_json != NULL ? o->state_json : "{}");
	db_bind_text(stmt, 5, o->error);
	db_bind_int64(stmt, 6, (int64_t)time(NULL));
	db_bind_int64(stmt, 7, o->id);
	return exec_update(s, stmt, "update ACME order");
}

int
store_acme_order_fail(struct store *s, int64_t id, const char *error)
{
	static const char sql[] =
	    "UPDATE acme_orders SET status = 'failed', step = 'failed', error = ?, "
	    "key_pem = '', updated_at = ? WHERE id = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, error);
	db_bind_int64(stmt, 2, (int64_t)time(NULL));
	db_bind_int64(stmt, 3, id);
	return exec_update(s, stmt, "fail ACME order");
}

static int
delete_txt(struct store *s, int64_t zone_id, const char *name, const char *rdata)
{
	static const char sql[] =
	    "DELETE FROM records WHERE zone_id = ? AND name = ? AND type = 'TXT' AND rdata = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, zone_id);
	db_bind_text(stmt, 2, name);
	db_bind_text(stmt, 3, rdata);
	return store_step_done(s, stmt, "delete TXT record");
}

static int
order_zone(struct store *s, int64_t order_id, int64_t *zone_id)
{
	static const char sql[] = "SELECT zone_id FROM acme_orders WHERE id = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, order_id);
	if ((rc = store_step_row(s, stmt, "read ACME order", "no order %lld",
	    (long long)order_id)) != BURROW_OK)
		return rc;
	*zone_id = db_column_int64(stmt, 0);
	db_reset(stmt);
	return BURROW_OK;
}

int
store_acme_order_complete(struct store *s, int64_t order_id, struct store_cert *c,
                          const char *txt_name, const char *const *txt_rdata,
                          size_t ntxt)
{
	static const char sql_done[] =
	    "UPDATE acme_orders SET status = 'done', step = 'done', key_pem = '', "
	    "error = '', updated_at = ? WHERE id = ?";
	struct db_stmt *stmt;
	int64_t zone_id;
	size_t i;
	int rc;

	if (c->chain_pem == NULL || c->key_pem == NULL || c->chain_pem[0] == '\0' ||
	    c->key_pem[0] == '\0')
		return store_fail(s, BURROW_ERR_INVALID, "certificate without chain or key");
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = order_zone(s, order_id, &zone_id)) != BURROW_OK ||
	    (rc = store_cert_insert(s, zone_id, c)) != BURROW_OK)
		goto out;
	for (i = 0; i < ntxt; i++)
		if ((rc = delete_txt(s, zone_id, txt_name, txt_rdata[i])) != BURROW_OK)
			goto out;
	if ((stmt = store_stmt(s, sql_done)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	db_bind_int64(stmt, 1, (int64_t)time(NULL));
	db_bind_int64(stmt, 2, order_id);
	rc = exec_update(s, stmt, "finish ACME order");
out:
	return store_end(s, rc);
}

int
store_acme_cert_set_renew_after(struct store *s, int64_t cert_id, int64_t at)
{
	static const char sql[] =
	    "UPDATE certificates SET renew_after = ? WHERE id = ? AND renew_after <> ?1";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, at);
	db_bind_int64(stmt, 2, cert_id);
	return store_step_done(s, stmt, "set renew_after");
}
