/*
 * secondaries.c: the secondary nameservers of burrow-dns.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/netaddr.h"
#include "db/internal.h"
#include "db/store_secondary.h"

int
store_secondary_add(struct store *s, const char *address, uint16_t port,
                    const char *key_name, struct store_secondary *out)
{
	static const char sql[] =
	    "INSERT INTO secondaries(address, port, key_name, created_at) VALUES (?, ?, ?, ?) "
	    "RETURNING id";
	struct store_secondary sec;
	struct db_stmt *stmt;
	int rc;

	memset(&sec, 0, sizeof(sec));
	if (netaddr_ip_canonical(address, NULL, sec.address, sizeof(sec.address)) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "'%s' is not an IP address",
		    address != NULL ? address : "");
	if (port == 0)
		return store_fail(s, BURROW_ERR_INVALID, "port 0 is not a port");
	/* The key must exist now; the foreign key keeps it from going away. */
	if ((rc = store_tsig_get(s, key_name, &sec.key)) != BURROW_OK)
		return rc;
	sec.port = port;
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, sec.address);
	db_bind_int64(stmt, 2, port);
	db_bind_text(stmt, 3, sec.key.name);
	db_bind_int64(stmt, 4, (int64_t)time(NULL));
	if ((rc = store_step_id(s, stmt, "insert secondary", &sec.id)) != BURROW_OK)
		return rc == BURROW_ERR_EXISTS
		    ? store_fail(s, BURROW_ERR_EXISTS, "secondary %s port %u already exists",
		        sec.address, (unsigned)port)
		    : rc;
	if (out != NULL)
		*out = sec;
	return BURROW_OK;
}

int
store_secondary_remove(struct store *s, const char *address, uint16_t port)
{
	static const char sql[] = "DELETE FROM secondaries WHERE address = ? AND port = ?";
	struct db_stmt *stmt;
	char canon[48];

	if (netaddr_ip_canonical(address, NULL, canon, sizeof(canon)) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "'%s' is not an IP address",
		    address != NULL ? address : "");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, canon);
	db_bind_int64(stmt, 2, port);
	return store_change_one(s, stmt, "write", "no secondary %s port %u", canon,
	    (unsigned)port);
}

struct secondary_walk {
	store_secondary_cb cb;
	void *ctx;
};

static int
secondary_row(struct db_stmt *stmt, void *arg)
{
	const struct secondary_walk *w = arg;
	struct store_secondary sec;

	memset(&sec, 0, sizeof(sec));
	sec.id = db_column_int64(stmt, 0);
	store_column_text(stmt, 1, sec.address, sizeof(sec.address));
	sec.port = (uint16_t)db_column_int(stmt, 2);
	store_column_text(stmt, 3, sec.key.name, sizeof(sec.key.name));
	store_column_text(stmt, 4, sec.key.algorithm, sizeof(sec.key.algorithm));
	store_column_text(stmt, 5, sec.key.secret, sizeof(sec.key.secret));
	return w->cb(&sec, w->ctx);
}

int
store_secondary_list(struct store *s, store_secondary_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT s.id, s.address, s.port, k.name, k.algorithm, k.secret "
	    "FROM secondaries s JOIN tsig_keys k ON k.name = s.key_name "
	    "ORDER BY s.address, s.port";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct secondary_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	return store_each_row(s, stmt, secondary_row, &w, "list secondaries");
}
