/*
 * edges.c: the edge addresses every tunnel name resolves to.
 */
#include <stdio.h>
#include <time.h>

#include "common/error.h"
#include "common/netaddr.h"
#include "db/internal.h"

int
store_edge_add(struct store *s, const char *address)
{
	static const char sql[] =
	    "INSERT INTO edges(address, family, created_at) VALUES (?, ?, ?)";
	struct db_stmt *stmt;
	char canon[48];
	int family, rc;

	if (netaddr_ip_canonical(address, &family, canon, sizeof(canon)) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "'%s' is not an IP address",
		    address != NULL ? address : "");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, canon);
	db_bind_int64(stmt, 2, family);
	db_bind_int64(stmt, 3, (int64_t)time(NULL));
	if ((rc = store_step_done(s, stmt, "insert edge")) != BURROW_OK &&
	    rc == BURROW_ERR_EXISTS)
		rc = store_fail(s, BURROW_ERR_EXISTS, "edge %s already exists", canon);
	return rc;
}

int
store_edge_remove(struct store *s, const char *address)
{
	static const char sql[] = "DELETE FROM edges WHERE address = ?";
	struct db_stmt *stmt;
	char canon[48];
	int family;

	if (netaddr_ip_canonical(address, &family, canon, sizeof(canon)) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "'%s' is not an IP address",
		    address != NULL ? address : "");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, canon);
	return store_change_one(s, stmt, "write", "no edge %s", canon);
}

struct edge_walk {
	store_edge_cb cb;
	void *ctx;
};

static int
edge_row(struct db_stmt *stmt, void *arg)
{
	const struct edge_walk *w = arg;
	struct store_edge e;

	e.id = db_column_int64(stmt, 0);
	store_column_text(stmt, 1, e.address, sizeof(e.address));
	e.family = db_column_int(stmt, 2);
	return w->cb(&e, w->ctx);
}

int
store_edge_list(struct store *s, store_edge_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT id, address, family FROM edges ORDER BY family, id";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct edge_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	return store_each_row(s, stmt, edge_row, &w, "list edges");
}
