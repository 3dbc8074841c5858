/*
 * zones.c: the base zone, customer domains and their NS sets.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/netaddr.h"
#include "db/internal.h"

static const char *const zone_kind_names[] = { "base", "custom" };

void
store_zone_from_row(struct db_stmt *stmt, struct store_zone *z)
{
	char kind[16];

	memset(z, 0, sizeof(*z));
	z->id = db_column_int64(stmt, 0);
	store_column_text(stmt, 1, z->name, sizeof(z->name));
	store_column_text(stmt, 2, kind, sizeof(kind));
	z->kind = strcmp(kind, "base") == 0 ? STORE_ZONE_BASE : STORE_ZONE_CUSTOM;
	store_column_text(stmt, 3, z->workspace, sizeof(z->workspace));
	store_column_text(stmt, 4, z->state, sizeof(z->state));
	store_column_text(stmt, 5, z->reason, sizeof(z->reason));
	z->checked_at = db_column_int64(stmt, 6);
	z->ttl = (uint32_t)db_column_int64(stmt, 7);
	store_column_text(stmt, 8, z->soa_mname, sizeof(z->soa_mname));
	store_column_text(stmt, 9, z->soa_rname, sizeof(z->soa_rname));
	z->soa_refresh = (uint32_t)db_column_int64(stmt, 10);
	z->soa_retry = (uint32_t)db_column_int64(stmt, 11);
	z->soa_expire = (uint32_t)db_column_int64(stmt, 12);
	z->soa_minimum = (uint32_t)db_column_int64(stmt, 13);
	z->created_at = db_column_int64(stmt, 14);
	/* RFC 1982 serial arithmetic wraps, so the low 32 bits suffice. */
	z->serial = (uint32_t)db_column_int64(stmt, 15);
}

/* Steps a SELECT of one zone row into out. */
static int
zone_one(struct store *s, struct db_stmt *stmt, struct store_zone *out, const char *what)
{
	int rc;

	if ((rc = store_step_row(s, stmt, "read zone", "no zone %s", what)) != BURROW_OK)
		return rc;
	store_zone_from_row(stmt, out);
	db_reset(stmt);
	return BURROW_OK;
}

int
store_zone_get(struct store *s, const char *name, struct store_zone *out)
{
	static const char sql[] =
	    "SELECT " STORE_ZONE_COLUMNS " FROM zones z WHERE z.name = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, name);
	return zone_one(s, stmt, out, name);
}

int
store_zone_base(struct store *s, struct store_zone *out)
{
	static const char sql[] =
	    "SELECT " STORE_ZONE_COLUMNS " FROM zones z WHERE z.kind = 'base'";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	return zone_one(s, stmt, out, "(base zone; run 'burrow init')");
}

int
store_zone_for_name(struct store *s, const char *name, struct store_zone *out)
{
	/* The longest zone name that is a suffix of name on a label boundary. */
	static const char sql[] =
	    "SELECT " STORE_ZONE_COLUMNS " FROM zones z "
	    "WHERE ?1 = z.name OR (length(?1) > length(z.name) AND "
	    "substr(?1, length(?1) - length(z.name)) = '.' || z.name) "
	    "ORDER BY length(z.name) DESC LIMIT 1";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, name);
	return zone_one(s, stmt, out, name);
}

struct zone_walk {
	store_zone_cb cb;
	void *ctx;
};

static int
zone_row(struct db_stmt *stmt, void *arg)
{
	const struct zone_walk *w = arg;
	struct store_zone z;

	store_zone_from_row(stmt, &z);
	return w->cb(&z, w->ctx);
}

int
store_zone_list(struct store *s, store_zone_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT " STORE_ZONE_COLUMNS " FROM zones z ORDER BY z.name";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct zone_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	return store_each_row(s, stmt, zone_row, &w, "list zones");
}

struct name_walk {
	store_name_cb cb;
	void *ctx;
};

static int
name_row(struct db_stmt *stmt, void *arg)
{
	const struct name_walk *w = arg;
	char host[NAMES_MAX + 1];

	store_column_text(stmt, 0, host, sizeof(host));
	return w->cb(host, w->ctx);
}

int
store_zone_ns_list(struct store *s, int64_t zone_id, store_name_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT host FROM zone_ns WHERE zone_id = ? ORDER BY position, host";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct name_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, zone_id);
	return store_each_row(s, stmt, name_row, &w, "list NS");
}

static int
insert_zone(struct store *s, const char *name, enum store_zone_kind kind,
            const char *workspace, const char *state, const char *mname,
            int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO zones(name, kind, workspace, state, soa_mname, soa_rname, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
	struct db_stmt *stmt = store_stmt(s, sql);
	char rname[NAMES_MAX + 1];
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	/* hostmaster.<zone>, shortened if the zone name is already long. */
	if ((size_t)snprintf(rname, sizeof(rname), "hostmaster.%s", name) >= sizeof(rname))
		snprintf(rname, sizeof(rname), "%s", name);
	db_bind_text(stmt, 1, name);
	db_bind_text(stmt, 2, zone_kind_names[kind]);
	db_bind_text(stmt, 3, workspace != NULL ? workspace : "");
	db_bind_text(stmt, 4, state);
	db_bind_text(stmt, 5, mname);
	db_bind_text(stmt, 6, rname);
	db_bind_int64(stmt, 7, (int64_t)time(NULL));
	if ((rc = store_step_id(s, stmt, "insert zone", id)) != BURROW_OK)
		return rc == BURROW_ERR_EXISTS
		    ? store_fail(s, BURROW_ERR_EXISTS, "zone %s already exists", name) : rc;
	return BURROW_OK;
}

static int
insert_ns(struct store *s, int64_t zone_id, int position, const char *host)
{
	static const char sql[] =
	    "INSERT INTO zone_ns(zone_id, position, host) VALUES (?, ?, ?)";
	struct db_stmt *stmt = store_stmt(s, sql);
	char canon[NAMES_MAX + 1];
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	if (names_canonical(host, 0, canon) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "invalid NS host name '%s'", host);
	db_bind_int64(stmt, 1, zone_id);
	db_bind_int64(stmt, 2, position);
	db_bind_text(stmt, 3, canon);
	if ((rc = store_step_done(s, stmt, "insert NS")) != BURROW_OK &&
	    rc == BURROW_ERR_EXISTS)
		rc = store_fail(s, BURROW_ERR_INVALID, "NS host %s listed twice", canon);
	return rc;
}

static int
init_settings(struct store *s, const struct store_init_params *p)
{
	char range[32];

	snprintf(range, sizeof(range), "%u-%u", p->tcp_port_min, p->tcp_port_max);
	return store_setting_set(s, STORE_SETTING_TCP_PORT_RANGE, range);
}

static int
init_edge(struct store *s, const char *address, int family)
{
	int rc;

	if (address == NULL)
		return BURROW_OK;
	if (netaddr_ip_family(address) != family)
		return store_fail(s, BURROW_ERR_INVALID, "'%s' is not an IPv%d address",
		    address, family);
	rc = store_edge_add(s, address);
	return rc == BURROW_ERR_EXISTS ? BURROW_OK : rc;
}

/* Only in a transaction: the first initialisation of a store. */
static int
init_base(struct store *s, const struct store_init_params *p)
{
	int64_t id;
	int i, rc;

	if (p->ns_count < 1)
		return store_fail(s, BURROW_ERR_INVALID, "a zone needs at least one NS host");
	if (p->tcp_port_min < 1 || p->tcp_port_min > p->tcp_port_max)
		return store_fail(s, BURROW_ERR_INVALID, "invalid tcp port range");
	if ((rc = insert_zone(s, p->zone, STORE_ZONE_BASE, "", "active", p->ns[0], &id)) != BURROW_OK)
		return rc;
	for (i = 0; i < p->ns_count; i++)
		if ((rc = insert_ns(s, id, i, p->ns[i])) != BURROW_OK)
			return rc;
	if ((rc = init_edge(s, p->edge_ipv4, 4)) != BURROW_OK ||
	    (rc = init_edge(s, p->edge_ipv6, 6)) != BURROW_OK)
		return rc;
	return init_settings(s, p);
}

int
store_init(struct store *s, const struct store_init_params *p)
{
	struct store_zone base;
	char canon[NAMES_MAX + 1];
	int rc;

	if (names_canonical(p->zone, 0, canon) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "invalid zone name '%s'", p->zone);
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	rc = store_zone_base(s, &base);
	if (rc == BURROW_OK) {
		/* Idempotent: a second init of the same zone changes nothing. */
		rc = strcmp(base.name, canon) == 0 ? BURROW_OK
		    : store_fail(s, BURROW_ERR_EXISTS,
		        "store already serves base zone %s", base.name);
	} else if (rc == BURROW_ERR_NOTFOUND) {
		struct store_init_params canon_p = *p;
		canon_p.zone = canon;
		rc = init_base(s, &canon_p);
	}
	return store_end(s, rc);
}

/* Refuses a name that equals, contains or lies inside an existing zone. */
static int
check_overlap(struct store *s, const char *name)
{
	static const char sql[] =
	    "SELECT name FROM zones WHERE name = ?1 "
	    "OR (length(?1) > length(name) AND substr(?1, length(?1) - length(name)) = '.' || name) "
	    "OR (length(name) > length(?1) AND substr(name, length(name) - length(?1)) = '.' || ?1) "
	    "LIMIT 1";
	struct db_stmt *stmt = store_stmt(s, sql);
	char other[NAMES_MAX + 1];
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, name);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_column_text(stmt, 0, other, sizeof(other));
		rc = strcmp(other, name) == 0
		    ? store_fail(s, BURROW_ERR_EXISTS, "domain %s is already registered", name)
		    : store_fail(s, BURROW_ERR_REFUSED, "domain %s overlaps zone %s", name, other);
	} else {
		rc = rc == DB_DONE ? BURROW_OK : store_sql_error(s, rc, "check overlap");
	}
	db_reset(stmt);
	return rc;
}

struct ns_copy {
	struct store *s;
	int64_t zone_id;
	int position;
	char first[NAMES_MAX + 1];
};

static int
copy_ns(const char *host, void *ctx)
{
	struct ns_copy *c = ctx;

	if (c->position == 0)
		snprintf(c->first, sizeof(c->first), "%s", host);
	return insert_ns(c->s, c->zone_id, c->position++, host);
}

static int
domain_add_locked(struct store *s, const char *name, const char *workspace)
{
	static const char sql_mname[] =
	    "UPDATE zones SET soa_mname = ? WHERE id = ?";
	struct store_zone base;
	struct ns_copy copy = { s, 0, 0, "" };
	struct db_stmt *stmt;
	int rc;

	if ((rc = store_zone_base(s, &base)) != BURROW_OK)
		return rc;
	if ((rc = check_overlap(s, name)) != BURROW_OK)
		return rc;
	if ((rc = insert_zone(s, name, STORE_ZONE_CUSTOM, workspace, "pending",
	    base.soa_mname, &copy.zone_id)) != BURROW_OK)
		return rc;
	/* Customers delegate to the base zone's nameservers (w-ns-a..d). */
	if ((rc = store_zone_ns_list(s, base.id, copy_ns, &copy)) != BURROW_OK)
		return rc;
	if ((stmt = store_stmt(s, sql_mname)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, copy.first);
	db_bind_int64(stmt, 2, copy.zone_id);
	return store_step_done(s, stmt, "set SOA MNAME");
}

int
store_domain_add(struct store *s, const char *name, const char *workspace,
                 struct store_zone *out)
{
	char canon[NAMES_MAX + 1];
	int rc;

	if (names_canonical(name, 0, canon) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "invalid domain name '%s'", name);
	if (workspace == NULL || workspace[0] == '\0' || strlen(workspace) >= 64)
		return store_fail(s, BURROW_ERR_INVALID, "a domain needs a workspace (1-63 chars)");
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_end(s, domain_add_locked(s, canon, workspace))) != BURROW_OK)
		return rc;
	return out != NULL ? store_zone_get(s, canon, out) : BURROW_OK;
}

int
store_domain_remove(struct store *s, const char *name)
{
	static const char sql_count[] =
	    "SELECT count(*) FROM tunnels WHERE zone_id = ?";
	static const char sql_del[] = "DELETE FROM zones WHERE id = ?";
	struct store_zone z;
	struct db_stmt *stmt;
	int rc, tunnels;

	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_zone_get(s, name, &z)) != BURROW_OK)
		goto out;
	if (z.kind == STORE_ZONE_BASE) {
		rc = store_fail(s, BURROW_ERR_REFUSED, "%s is the base zone, not a domain", name);
		goto out;
	}
	if ((stmt = store_stmt(s, sql_count)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	db_bind_int64(stmt, 1, z.id);
	tunnels = db_step(stmt) == DB_ROW ? db_column_int(stmt, 0) : -1;
	db_reset(stmt);
	if (tunnels != 0) {
		rc = store_fail(s, BURROW_ERR_REFUSED,
		    "domain %s still has %d tunnel(s); remove them first", name, tunnels);
		goto out;
	}
	if ((stmt = store_stmt(s, sql_del)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	db_bind_int64(stmt, 1, z.id);
	rc = store_step_done(s, stmt, "delete domain");
out:
	return store_end(s, rc);
}

int
store_domain_set_state(struct store *s, const char *name, const char *state,
                       const char *reason)
{
	static const char sql[] =
	    "UPDATE zones SET state = ?, reason = ?, checked_at = ? "
	    "WHERE name = ? AND kind = 'custom'";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, state);
	db_bind_text(stmt, 2, reason != NULL ? reason : "");
	db_bind_int64(stmt, 3, (int64_t)time(NULL));
	db_bind_text(stmt, 4, name);
	return store_change_one(s, stmt, "write", "no domain %s", name);
}
