/*
 * tunnels.c: tunnels with their random hostnames and public TCP ports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/error.h"
#include "common/netaddr.h"
#include "db/internal.h"

/* A collision among 36^14 labels is all but impossible; a few retries cover
 * a broken RNG being reported instead of looping forever. */
#define NAME_ATTEMPTS 8
#define PORT_RANDOM_ATTEMPTS 32

static const char *const kind_names[] = { "tls", "h2", "tcp" };

const char *
store_tunnel_kind_name(enum store_tunnel_kind kind)
{
	return (unsigned)kind < 3 ? kind_names[kind] : "?";
}

int
store_tunnel_kind_parse(const char *name, enum store_tunnel_kind *kind)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (name != NULL && strcmp(name, kind_names[i]) == 0) {
			*kind = (enum store_tunnel_kind)i;
			return BURROW_OK;
		}
	}
	return BURROW_ERR_INVALID;
}

#define TUNNEL_COLUMNS \
	"t.id, t.hostname, t.zone_id, z.name, t.target_host, t.target_port, " \
	"t.kind, coalesce(t.public_port, 0), t.connect_token, t.workspace, " \
	"t.created_at, t.expires_at, t.sandbox"

static void
tunnel_from_row(struct db_stmt *stmt, struct store_tunnel *t)
{
	char kind[8];

	memset(t, 0, sizeof(*t));
	t->id = db_column_int64(stmt, 0);
	store_column_text(stmt, 1, t->hostname, sizeof(t->hostname));
	t->zone_id = db_column_int64(stmt, 2);
	store_column_text(stmt, 3, t->zone, sizeof(t->zone));
	store_column_text(stmt, 4, t->target_host, sizeof(t->target_host));
	t->target_port = (uint16_t)db_column_int(stmt, 5);
	store_column_text(stmt, 6, kind, sizeof(kind));
	if (store_tunnel_kind_parse(kind, &t->kind) != BURROW_OK)
		t->kind = STORE_TUNNEL_TLS;
	t->public_port = (uint16_t)db_column_int(stmt, 7);
	t->connect_token = db_column_int(stmt, 8);
	store_column_text(stmt, 9, t->workspace, sizeof(t->workspace));
	t->created_at = db_column_int64(stmt, 10);
	t->expires_at = db_column_int64(stmt, 11);
	store_column_text(stmt, 12, t->sandbox, sizeof(t->sandbox));
}

int
store_tunnel_expired(const struct store_tunnel *t, int64_t now)
{
	return t->expires_at != 0 && t->expires_at <= now;
}

static int
port_taken(struct store *s, unsigned port, int *taken)
{
	static const char sql[] = "SELECT 1 FROM tunnels WHERE public_port = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, (int)port);
	rc = db_step(stmt);
	db_reset(stmt);
	if (rc != DB_ROW && rc != DB_DONE)
		return store_sql_error(s, rc, "check port");
	*taken = rc == DB_ROW;
	return BURROW_OK;
}

/* Picks a free public port at random from the configured range, falling back
 * to a scan so a nearly full range still finds its last free ports.
 * Only in a write transaction, so the pick cannot race another writer. */
static int
pick_port(struct store *s, uint16_t *out)
{
	char range[32];
	uint16_t lo, hi;
	uint32_t r, span, i;
	int rc, taken = 1;

	if ((rc = store_setting_get(s, STORE_SETTING_TCP_PORT_RANGE, "20000-29999", range,
	    sizeof(range))) != BURROW_OK)
		return rc;
	if (netaddr_parse_port_range(range, &lo, &hi) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "bad tcp_port_range '%s'", range);
	span = (uint32_t)hi - lo + 1;
	for (i = 0; i < PORT_RANDOM_ATTEMPTS && taken; i++) {
		if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
			return store_fail(s, BURROW_ERR_CRYPTO, "RAND_bytes failed");
		*out = (uint16_t)(lo + r % span);
		if ((rc = port_taken(s, *out, &taken)) != BURROW_OK)
			return rc;
	}
	for (i = 0; i < span && taken; i++) {
		*out = (uint16_t)(lo + i);
		if ((rc = port_taken(s, *out, &taken)) != BURROW_OK)
			return rc;
	}
	return taken ? store_fail(s, BURROW_ERR_FULL, "no free port in %s", range) : BURROW_OK;
}

static int
resolve_zone(struct store *s, const char *zone, struct store_zone *z)
{
	char canon[NAMES_MAX + 1];
	int rc;

	if (zone == NULL)
		return store_zone_base(s, z);
	if (names_canonical(zone, 0, canon) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "invalid zone name '%s'", zone);
	rc = store_zone_get(s, canon, z);
	if (rc != BURROW_OK)
		return rc;
	if (z->kind == STORE_ZONE_CUSTOM && strcmp(z->state, "delegated") != 0)
		return store_fail(s, BURROW_ERR_REFUSED,
		    "domain %s is %s, not delegated: tunnels need a verified delegation",
		    z->name, z->state);
	return BURROW_OK;
}

/* Inserts one tunnel under a fresh label; *collided if the name or the
 * port was taken.  ON CONFLICT DO NOTHING rather than a failed insert: on
 * PostgreSQL a failed statement ends the transaction, and the caller
 * retries inside it. */
static int
insert_tunnel(struct store *s, const struct store_tunnel_spec *spec,
              const char *sandbox, const struct store_zone *z, uint16_t port,
              char *hostname, int *collided)
{
	static const char sql[] =
	    "INSERT INTO tunnels(hostname, zone_id, target_host, target_port, kind, "
	    "public_port, connect_token, workspace, created_at, expires_at, sandbox) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id";
	char label[NAMES_LABEL_LEN + 1];
	struct db_stmt *stmt;
	int rc;

	*collided = 0;
	if (names_random_label(label) != BURROW_OK)
		return store_fail(s, BURROW_ERR_CRYPTO, "RAND_bytes failed");
	if ((size_t)snprintf(hostname, NAMES_MAX + 1, "%s.%s", label, z->name) > NAMES_MAX)
		return store_fail(s, BURROW_ERR_INVALID, "zone name too long for a tunnel");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, hostname);
	db_bind_int64(stmt, 2, z->id);
	db_bind_text(stmt, 3, spec->target_host);
	db_bind_int64(stmt, 4, spec->target_port);
	db_bind_text(stmt, 5, kind_names[spec->kind]);
	if (spec->kind == STORE_TUNNEL_TCP)
		db_bind_int64(stmt, 6, port);
	else
		db_bind_null(stmt, 6);
	db_bind_int64(stmt, 7, spec->connect_token ? 1 : 0);
	db_bind_text(stmt, 8, spec->workspace != NULL ? spec->workspace : "");
	db_bind_int64(stmt, 9, (int64_t)time(NULL));
	db_bind_int64(stmt, 10, spec->expires_at);
	db_bind_text(stmt, 11, sandbox);
	rc = db_step(stmt);
	db_reset(stmt);
	if (rc == DB_ROW)
		return BURROW_OK;
	if (rc == DB_DONE) {
		*collided = 1;
		return BURROW_OK;
	}
	return store_sql_error(s, rc, "insert tunnel");
}

static int
check_spec(struct store *s, const struct store_tunnel_spec *spec)
{
	if ((unsigned)spec->kind > STORE_TUNNEL_TCP)
		return store_fail(s, BURROW_ERR_INVALID, "unknown tunnel kind");
	if (spec->target_port == 0)
		return store_fail(s, BURROW_ERR_INVALID, "target port must be 1-65535");
	if (spec->target_host == NULL || !netaddr_host_valid(spec->target_host))
		return store_fail(s, BURROW_ERR_INVALID, "invalid target host '%s'",
		    spec->target_host != NULL ? spec->target_host : "");
	if (spec->workspace != NULL && strlen(spec->workspace) >= 64)
		return store_fail(s, BURROW_ERR_INVALID, "workspace name too long");
	if (spec->expires_at < 0)
		return store_fail(s, BURROW_ERR_INVALID, "negative expiry");
	/* Connect tokens are checked in HTTP requests; a tcp tunnel carries
	 * raw bytes the edge never reads, so the token would protect nothing. */
	if (spec->kind == STORE_TUNNEL_TCP && spec->connect_token)
		return store_fail(s, BURROW_ERR_INVALID,
		    "connect tokens need an HTTP tunnel (tls or h2), not tcp");
	return BURROW_OK;
}

/* The workspace's tunnel count against its limit, inside the transaction. */
static int
check_limit(struct store *s, const struct store_tunnel_spec *spec, int max)
{
	static const char sql[] = "SELECT count(*) FROM tunnels WHERE workspace = ?";
	struct db_stmt *stmt;
	int64_t n = 0;
	int rc;

	if (max <= 0)
		return BURROW_OK;
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, spec->workspace != NULL ? spec->workspace : "");
	rc = db_step(stmt);
	if (rc == DB_ROW)
		n = db_column_int64(stmt, 0);
	db_reset(stmt);
	if (rc != DB_ROW)
		return store_sql_error(s, rc, "count tunnels");
	if (n >= max)
		return store_fail(s, BURROW_ERR_LIMIT, "workspace %s has %lld tunnels, its limit",
		    spec->workspace != NULL ? spec->workspace : "", (long long)n);
	return BURROW_OK;
}

/* The sandbox's tunnel to the spec's target, if any: *found is 1 and *t
 * holds it. */
static int
find_sandbox_target(struct store *s, const struct store_tunnel_spec *spec,
                    const char *sandbox, struct store_tunnel *t, int *found)
{
	static const char sql[] =
	    "SELECT " TUNNEL_COLUMNS " FROM tunnels t JOIN zones z ON z.id = t.zone_id "
	    "WHERE t.workspace = ? AND t.sandbox = ? AND t.target_host = ? "
	    "AND t.target_port = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	*found = 0;
	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, spec->workspace);
	db_bind_text(stmt, 2, sandbox);
	db_bind_text(stmt, 3, spec->target_host);
	db_bind_int64(stmt, 4, spec->target_port);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		tunnel_from_row(stmt, t);
		*found = 1;
	}
	db_reset(stmt);
	return rc == DB_ROW || rc == DB_DONE ? BURROW_OK
	    : store_sql_error(s, rc, "find sandbox tunnel");
}

/* A retried create: the live tunnel it made before is the answer, one that
 * asked for something else a conflict, an expired one goes first. */
static int
reuse_existing(struct store *s, const struct store_tunnel_spec *spec, const char *sandbox,
               const struct store_zone *z, int64_t now, struct store_tunnel *t,
               int *reused)
{
	int rc, found;

	*reused = 0;
	if (sandbox[0] == '\0')
		return BURROW_OK;
	if ((rc = find_sandbox_target(s, spec, sandbox, t, &found)) != BURROW_OK || !found)
		return rc;
	if (store_tunnel_expired(t, now))
		return store_tunnel_remove(s, t->hostname);
	if (t->kind != spec->kind || t->zone_id != z->id ||
	    t->connect_token != (spec->connect_token ? 1 : 0))
		return store_fail(s, BURROW_ERR_EXISTS,
		    "sandbox %s already has tunnel %s to this target with other settings",
		    sandbox, t->hostname);
	*reused = 1;
	return BURROW_OK;
}

static int
check_place(struct store *s, const struct store_tunnel_spec *spec, const char *sandbox)
{
	if (sandbox[0] != '\0' && (spec->workspace == NULL || spec->workspace[0] == '\0'))
		return store_fail(s, BURROW_ERR_INVALID, "a sandbox needs a workspace");
	if (strlen(sandbox) >= 64)
		return store_fail(s, BURROW_ERR_INVALID, "sandbox name too long");
	return BURROW_OK;
}

int
store_tunnel_put(struct store *s, const struct store_tunnel_spec *spec,
                 const struct store_tunnel_place *place, int64_t now,
                 struct store_tunnel *out, int *created)
{
	const char *sandbox = place != NULL && place->sandbox != NULL ? place->sandbox : "";
	int max = place != NULL ? place->max_per_workspace : 0;
	struct store_zone z;
	struct store_tunnel old;
	char hostname[NAMES_MAX + 1];
	uint16_t port = 0;
	int rc, attempt, collided = 1, reused = 0;

	if ((rc = check_spec(s, spec)) != BURROW_OK ||
	    (rc = check_place(s, spec, sandbox)) != BURROW_OK)
		return rc;
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = resolve_zone(s, spec->zone, &z)) != BURROW_OK)
		goto out;
	if ((rc = reuse_existing(s, spec, sandbox, &z, now, &old, &reused)) != BURROW_OK || reused)
		goto out;
	if ((rc = check_limit(s, spec, max)) != BURROW_OK)
		goto out;
	/* Writers hold the store's writer lock (engine.h), so the pick sees
	 * every committed port; the unique constraints still have the last
	 * word, and a collision (name or port) picks both again. */
	for (attempt = 0; attempt < NAME_ATTEMPTS && collided; attempt++) {
		if (spec->kind == STORE_TUNNEL_TCP && (rc = pick_port(s, &port)) != BURROW_OK)
			goto out;
		if ((rc = insert_tunnel(s, spec, sandbox, &z, port, hostname, &collided)) != BURROW_OK)
			goto out;
	}
	if (collided)
		rc = store_fail(s, BURROW_ERR_FULL, "no unique hostname after %d tries",
		    NAME_ATTEMPTS);
out:
	if ((rc = store_end(s, rc)) != BURROW_OK)
		return rc;
	if (created != NULL)
		*created = !reused;
	if (reused) {
		if (out != NULL)
			*out = old;
		return BURROW_OK;
	}
	return out != NULL ? store_tunnel_get(s, hostname, out) : BURROW_OK;
}

int
store_tunnel_create(struct store *s, const struct store_tunnel_spec *spec,
                    struct store_tunnel *out)
{
	return store_tunnel_put(s, spec, NULL, (int64_t)time(NULL), out, NULL);
}

int
store_tunnel_get(struct store *s, const char *hostname, struct store_tunnel *out)
{
	static const char sql[] =
	    "SELECT " TUNNEL_COLUMNS " FROM tunnels t JOIN zones z ON z.id = t.zone_id "
	    "WHERE t.hostname = lower(?)";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, hostname);
	if ((rc = store_step_row(s, stmt, "read tunnel", "no tunnel %s", hostname)) != BURROW_OK)
		return rc;
	tunnel_from_row(stmt, out);
	db_reset(stmt);
	return BURROW_OK;
}

int
store_tunnel_remove(struct store *s, const char *hostname)
{
	static const char sql[] = "DELETE FROM tunnels WHERE hostname = lower(?)";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, hostname);
	return store_change_one(s, stmt, "write", "no tunnel %s", hostname);
}

struct tunnel_walk {
	store_tunnel_cb cb;
	void *ctx;
};

static int
tunnel_row(struct db_stmt *stmt, void *arg)
{
	const struct tunnel_walk *w = arg;
	struct store_tunnel t;

	tunnel_from_row(stmt, &t);
	return w->cb(&t, w->ctx);
}

int
store_tunnel_list(struct store *s, int64_t zone_id, store_tunnel_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT " TUNNEL_COLUMNS " FROM tunnels t JOIN zones z ON z.id = t.zone_id "
	    "WHERE ?1 = 0 OR t.zone_id = ?1 ORDER BY t.id";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct tunnel_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, zone_id);
	return store_each_row(s, stmt, tunnel_row, &w, "list tunnels");
}

int
store_tunnel_count(struct store *s, int64_t zone_id, int64_t *count)
{
	static const char sql[] = "SELECT count(*) FROM tunnels WHERE ?1 = 0 OR zone_id = ?1";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, zone_id);
	if ((rc = store_step_row(s, stmt, "count tunnels", "no count")) != BURROW_OK)
		return rc;
	*count = db_column_int64(stmt, 0);
	db_reset(stmt);
	return BURROW_OK;
}

int
store_tunnel_list_workspace(struct store *s, const char *workspace, const char *sandbox,
                            int64_t now, store_tunnel_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT " TUNNEL_COLUMNS " FROM tunnels t JOIN zones z ON z.id = t.zone_id "
	    "WHERE t.workspace = ?1 AND (CAST(?2 AS TEXT) IS NULL OR t.sandbox = ?2) "
	    "AND (t.expires_at = 0 OR t.expires_at > ?3) ORDER BY t.id";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct tunnel_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, workspace);
	if (sandbox != NULL)
		db_bind_text(stmt, 2, sandbox);
	db_bind_int64(stmt, 3, now);
	return store_each_row(s, stmt, tunnel_row, &w, "list tunnels");
}

int
store_tunnel_remove_in(struct store *s, const char *workspace, const char *hostname)
{
	static const char sql[] =
	    "DELETE FROM tunnels WHERE hostname = lower(?) AND workspace = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, hostname);
	db_bind_text(stmt, 2, workspace);
	return store_change_one(s, stmt, "remove tunnel", "no tunnel %s", hostname);
}

/* Steps a bound multi-row write; *count (may be NULL) gets the rows it
 * touched, and none is BURROW_ERR_NOTFOUND when missing is set. */
static int
write_many(struct store *s, struct db_stmt *stmt, const char *what, int *count,
           const char *missing, const char *name)
{
	int rc, n;

	if ((rc = store_step_done(s, stmt, what)) != BURROW_OK)
		return rc;
	n = s->eng->changes(s);
	if (count != NULL)
		*count = n;
	if (n == 0 && missing != NULL)
		return store_fail(s, BURROW_ERR_NOTFOUND, "%s %s", missing, name);
	return BURROW_OK;
}

int
store_tunnel_renew(struct store *s, const char *workspace, const char *sandbox,
                   int64_t now, int64_t expires_at, int *renewed)
{
	static const char sql[] =
	    "UPDATE tunnels SET expires_at = ?1 WHERE workspace = ?2 AND sandbox = ?3 "
	    "AND expires_at > ?4";
	struct db_stmt *stmt;

	if (expires_at <= now)
		return store_fail(s, BURROW_ERR_INVALID, "a lease must end in the future");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, expires_at);
	db_bind_text(stmt, 2, workspace);
	db_bind_text(stmt, 3, sandbox);
	db_bind_int64(stmt, 4, now);
	return write_many(s, stmt, "renew lease", renewed, "no live leased tunnel in sandbox",
	    sandbox);
}

int
store_tunnel_remove_sandbox(struct store *s, const char *workspace, const char *sandbox,
                            int *removed)
{
	static const char sql[] = "DELETE FROM tunnels WHERE workspace = ? AND sandbox = ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	if (sandbox == NULL || sandbox[0] == '\0')
		return store_fail(s, BURROW_ERR_INVALID, "empty sandbox name");
	db_bind_text(stmt, 1, workspace);
	db_bind_text(stmt, 2, sandbox);
	return write_many(s, stmt, "remove sandbox", removed, "no tunnel in sandbox", sandbox);
}

int
store_tunnel_reap(struct store *s, int64_t now, int *removed)
{
	static const char sql[] =
	    "DELETE FROM tunnels WHERE expires_at > 0 AND expires_at <= ?";
	struct db_stmt *stmt = store_stmt(s, sql);

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, now);
	return write_many(s, stmt, "reap tunnels", removed, NULL, NULL);
}
