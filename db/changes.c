/*
 * changes.c: reading the change log that triggers fill on every write.
 */
#include "common/error.h"
#include "db/internal.h"

int
store_change_max(struct store *s, int64_t *seq)
{
	static const char sql[] = "SELECT coalesce(max(seq), 0) FROM changes";

	return store_scalar_int64(s, sql, seq, "read change log");
}

struct change_walk {
	store_change_cb cb;
	void *ctx;
};

static int
change_row(struct db_stmt *stmt, void *arg)
{
	const struct change_walk *w = arg;
	struct store_change c;

	c.seq = db_column_int64(stmt, 0);
	c.zone_id = db_column_int64(stmt, 1);
	store_column_text(stmt, 2, c.name, sizeof(c.name));
	store_column_text(stmt, 3, c.op, sizeof(c.op));
	return w->cb(&c, w->ctx);
}

int
store_change_since(struct store *s, int64_t after, store_change_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT seq, coalesce(zone_id, 0), name, op FROM changes "
	    "WHERE seq > ? ORDER BY seq";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct change_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, after);
	return store_each_row(s, stmt, change_row, &w, "read change log");
}
