/*
 * proxies.c: proxies (exit pools) and their static IPs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "common/netaddr.h"
#include "db/internal.h"
#include "db/proxy_internal.h"
#include "db/store_proxy.h"

#define DEFAULT_POOL4 "10.128.0.0/16"
#define DEFAULT_PREFIX4 "24"
#define DEFAULT_POOL6 "fd62:7572:726f:77::/64"
#define DEFAULT_PORTS "51820-52819"
#define BLOCK_PREFIX6 112

int
store_proxy_plan_limit(const char *plan)
{
	if (plan != NULL && strcmp(plan, "team") == 0)
		return 1;
	if (plan != NULL && strcmp(plan, "enterprise") == 0)
		return 3;
	return BURROW_ERR_INVALID;
}

/* Proxy and workspace names: what a person types and a log line can show
 * unquoted. */
static int
name_valid(const char *s)
{
	size_t i, n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > STORE_PROXY_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

#define PROXY_COLUMNS \
	"p.id, p.name, p.workspace, p.plan, p.created_at, " \
	"(SELECT count(*) FROM proxy_ips i WHERE i.proxy_id = p.id), " \
	"(SELECT count(*) FROM proxy_peers e JOIN proxy_ips i ON e.proxy_ip_id = i.id " \
	" WHERE i.proxy_id = p.id)"

static void
proxy_from_row(struct db_stmt *stmt, struct store_proxy *p)
{
	memset(p, 0, sizeof(*p));
	p->id = db_column_int64(stmt, 0);
	store_column_text(stmt, 1, p->name, sizeof(p->name));
	store_column_text(stmt, 2, p->workspace, sizeof(p->workspace));
	store_column_text(stmt, 3, p->plan, sizeof(p->plan));
	p->created_at = db_column_int64(stmt, 4);
	p->ip_count = db_column_int(stmt, 5);
	p->peer_count = db_column_int(stmt, 6);
}

/* Without a workspace a name may match proxies of several workspaces: the
 * first row goes to out and a second one is counted, so it can be refused. */
struct proxy_pick {
	struct store_proxy *out;
	int found;
};

static int
pick_proxy(struct db_stmt *stmt, void *arg)
{
	struct proxy_pick *pick = arg;

	if (pick->found++ == 0)
		proxy_from_row(stmt, pick->out);
	return pick->found > 1;
}

int
store_proxy_get(struct store *s, const char *name, const char *workspace,
                struct store_proxy *out)
{
	static const char sql[] =
	    "SELECT " PROXY_COLUMNS " FROM proxies p "
	    "WHERE p.name = ?1 AND (CAST(?2 AS TEXT) IS NULL OR p.workspace = ?2) ORDER BY p.id";
	struct proxy_pick pick = { out, 0 };
	struct db_stmt *stmt;
	int rc;

	if (!name_valid(name))
		return store_fail(s, BURROW_ERR_INVALID, "invalid proxy name '%s'",
		    name != NULL ? name : "");
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, name);
	if (workspace != NULL)
		db_bind_text(stmt, 2, workspace);
	if ((rc = store_each_row(s, stmt, pick_proxy, &pick, "read proxy")) < 0)
		return rc;
	if (pick.found == 0)
		return workspace != NULL
		    ? store_fail(s, BURROW_ERR_NOTFOUND, "no proxy %s in workspace %s",
		        name, workspace)
		    : store_fail(s, BURROW_ERR_NOTFOUND, "no proxy %s", name);
	if (pick.found > 1)
		return store_fail(s, BURROW_ERR_INVALID,
		    "proxy name %s is used by several workspaces: name the workspace", name);
	return BURROW_OK;
}

static int
count_proxies(struct store *s, const char *workspace, int *n)
{
	static const char sql[] = "SELECT count(*) FROM proxies WHERE workspace = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, workspace);
	rc = db_step(stmt);
	*n = db_column_int(stmt, 0);
	db_reset(stmt);
	return rc == DB_ROW ? BURROW_OK : store_sql_error(s, rc, "count proxies");
}

int
store_proxy_create(struct store *s, const char *name, const char *workspace,
                   const char *plan, struct store_proxy *out)
{
	static const char sql[] =
	    "INSERT INTO proxies(name, workspace, plan, created_at) VALUES (?, ?, ?, ?)";
	struct db_stmt *stmt;
	int rc, limit, n;

	if (!name_valid(name))
		return store_fail(s, BURROW_ERR_INVALID,
		    "invalid proxy name '%s' (1-63 of A-Z a-z 0-9 . _ -)", name != NULL ? name : "");
	if (!name_valid(workspace))
		return store_fail(s, BURROW_ERR_INVALID, "invalid workspace '%s'",
		    workspace != NULL ? workspace : "");
	if ((limit = store_proxy_plan_limit(plan)) < 0)
		return store_fail(s, BURROW_ERR_INVALID,
		    "unknown plan '%s' (team or enterprise)", plan != NULL ? plan : "");
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = count_proxies(s, workspace, &n)) != BURROW_OK)
		goto out;
	if (n >= limit) {
		rc = store_fail(s, BURROW_ERR_LIMIT,
		    "workspace %s already has %d prox%s: the %s plan allows %d",
		    workspace, n, n == 1 ? "y" : "ies", plan, limit);
		goto out;
	}
	if ((stmt = store_stmt(s, sql)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	db_bind_text(stmt, 1, name);
	db_bind_text(stmt, 2, workspace);
	db_bind_text(stmt, 3, plan);
	db_bind_int64(stmt, 4, (int64_t)time(NULL));
	if ((rc = store_step_done(s, stmt, "insert proxy")) != BURROW_OK) {
		if (rc == BURROW_ERR_EXISTS)
			rc = store_fail(s, BURROW_ERR_EXISTS,
			    "proxy %s already exists in workspace %s", name, workspace);
		goto out;
	}
	if (out != NULL)
		rc = store_proxy_get(s, name, workspace, out);
out:
	return store_end(s, rc);
}

int
store_proxy_remove(struct store *s, const char *name, const char *workspace)
{
	static const char sql[] = "DELETE FROM proxies WHERE id = ?";
	struct store_proxy p;
	struct db_stmt *stmt;
	int rc;

	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_proxy_get(s, name, workspace, &p)) != BURROW_OK)
		goto out;
	if ((stmt = store_stmt(s, sql)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	db_bind_int64(stmt, 1, p.id);
	rc = store_step_done(s, stmt, "delete proxy");
out:
	return store_end(s, rc);
}

struct proxy_walk {
	store_proxy_cb cb;
	void *ctx;
};

static int
proxy_row(struct db_stmt *stmt, void *arg)
{
	const struct proxy_walk *w = arg;
	struct store_proxy p;

	proxy_from_row(stmt, &p);
	return w->cb(&p, w->ctx);
}

int
store_proxy_list(struct store *s, const char *workspace, store_proxy_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT " PROXY_COLUMNS " FROM proxies p "
	    "WHERE CAST(?1 AS TEXT) IS NULL OR p.workspace = ?1 ORDER BY p.name, p.workspace";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct proxy_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	if (workspace != NULL)
		db_bind_text(stmt, 1, workspace);
	return store_each_row(s, stmt, proxy_row, &w, "list proxies");
}

/* ---- static IPs ---- */

void
proxy_ip_from_row(struct db_stmt *stmt, struct store_proxy_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->id = db_column_int64(stmt, 0);
	ip->proxy_id = db_column_int64(stmt, 1);
	store_column_text(stmt, 2, ip->proxy, sizeof(ip->proxy));
	store_column_text(stmt, 3, ip->workspace, sizeof(ip->workspace));
	store_column_text(stmt, 4, ip->address, sizeof(ip->address));
	ip->family = netaddr_ip_family(ip->address);
	store_column_text(stmt, 5, ip->node, sizeof(ip->node));
	store_column_text(stmt, 6, ip->public_key, sizeof(ip->public_key));
	ip->listen_port = (uint16_t)db_column_int(stmt, 7);
	store_column_text(stmt, 8, ip->peer_cidr4, sizeof(ip->peer_cidr4));
	store_column_text(stmt, 9, ip->peer_cidr6, sizeof(ip->peer_cidr6));
	ip->created_at = db_column_int64(stmt, 10);
	ip->peer_count = db_column_int(stmt, 11);
}

struct ip_walk {
	store_proxy_ip_cb cb;
	void *ctx;
};

static int
ip_row(struct db_stmt *stmt, void *arg)
{
	const struct ip_walk *w = arg;
	struct store_proxy_ip ip;

	proxy_ip_from_row(stmt, &ip);
	return w->cb(&ip, w->ctx);
}

int
store_proxy_ip_list(struct store *s, int64_t proxy_id, const char *node,
                    store_proxy_ip_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT " IP_COLUMNS " FROM proxy_ips i JOIN proxies p ON p.id = i.proxy_id "
	    "WHERE (?1 = 0 OR i.proxy_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR i.node = ?2) "
	    "ORDER BY i.id";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct ip_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, proxy_id);
	if (node != NULL)
		db_bind_text(stmt, 2, node);
	return store_each_row(s, stmt, ip_row, &w, "list proxy IPs");
}

int
store_proxy_ip_private_key(struct store *s, int64_t ip_id, char out[STORE_WG_KEY_LEN + 1])
{
	static const char sql[] = "SELECT private_key FROM proxy_ips WHERE id = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, ip_id);
	if ((rc = store_step_row(s, stmt, "read private key",
	    "no proxy IP %lld", (long long)ip_id)) != BURROW_OK)
		return rc;
	store_column_text(stmt, 0, out, STORE_WG_KEY_LEN + 1);
	db_reset(stmt);
	return BURROW_OK;
}

/* 1 if the query (one text or int parameter) returns a row. */
static int
exists_text(struct store *s, const char *sql, const char *text, int *found)
{
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_text(stmt, 1, text);
	rc = db_step(stmt);
	db_reset(stmt);
	if (rc != DB_ROW && rc != DB_DONE)
		return store_sql_error(s, rc, "check proxy IP");
	*found = rc == DB_ROW;
	return BURROW_OK;
}

static const char sql_cidr4_used[] = "SELECT 1 FROM proxy_ips WHERE peer_cidr4 = ?";
static const char sql_cidr6_used[] = "SELECT 1 FROM proxy_ips WHERE peer_cidr6 = ?";
static const char sql_port_used[] = "SELECT 1 FROM proxy_ips WHERE listen_port = CAST(?1 AS INTEGER)";

/* The first block index whose IPv4 block (unless fixed4) and IPv6 block are
 * both unused; the blocks go to cidr4/cidr6. */
static int
pick_blocks(struct store *s, const char *fixed4, char *cidr4, size_t sz4,
            char *cidr6, size_t sz6)
{
	char pool4s[64], pool6s[64], prefix4s[8];
	struct netaddr_cidr pool4, pool6, b;
	uint64_t i;
	int rc, used4, used6, prefix4;

	if ((rc = store_setting_get(s, STORE_PROXY_SETTING_POOL4, DEFAULT_POOL4, pool4s,
	    sizeof(pool4s))) != BURROW_OK ||
	    (rc = store_setting_get(s, STORE_PROXY_SETTING_PREFIX4, DEFAULT_PREFIX4, prefix4s,
	    sizeof(prefix4s))) != BURROW_OK ||
	    (rc = store_setting_get(s, STORE_PROXY_SETTING_POOL6, DEFAULT_POOL6, pool6s,
	    sizeof(pool6s))) != BURROW_OK)
		return rc;
	prefix4 = atoi(prefix4s);
	if (netaddr_cidr_parse(pool4s, &pool4) != BURROW_OK || pool4.family != 4 ||
	    prefix4 < pool4.prefix || prefix4 > 30)
		return store_fail(s, BURROW_ERR_INVALID, "bad IPv4 peer pool %s with /%s",
		    pool4s, prefix4s);
	if (netaddr_cidr_parse(pool6s, &pool6) != BURROW_OK || pool6.family != 6 ||
	    pool6.prefix > BLOCK_PREFIX6)
		return store_fail(s, BURROW_ERR_INVALID, "bad IPv6 peer pool %s", pool6s);
	for (i = 0;; i++) {
		used4 = 0;
		if (fixed4 != NULL) {
			snprintf(cidr4, sz4, "%s", fixed4);
		} else {
			if (proxy_cidr_block(&pool4, prefix4, i, &b) != BURROW_OK)
				return store_fail(s, BURROW_ERR_FULL,
				    "no free /%d left in the peer pool %s", prefix4, pool4s);
			proxy_cidr_format(&b, cidr4, sz4);
			if ((rc = exists_text(s, sql_cidr4_used, cidr4, &used4)) != BURROW_OK)
				return rc;
		}
		if (proxy_cidr_block(&pool6, BLOCK_PREFIX6, i, &b) != BURROW_OK)
			return store_fail(s, BURROW_ERR_FULL,
			    "no free /%d left in the peer pool %s", BLOCK_PREFIX6, pool6s);
		proxy_cidr_format(&b, cidr6, sz6);
		if ((rc = exists_text(s, sql_cidr6_used, cidr6, &used6)) != BURROW_OK)
			return rc;
		if (!used4 && !used6)
			return BURROW_OK;
	}
}

static int
pick_port(struct store *s, uint16_t *port)
{
	char range[32], num[8];
	uint16_t lo, hi;
	uint32_t p;
	int rc, used;

	if ((rc = store_setting_get(s, STORE_PROXY_SETTING_PORTS, DEFAULT_PORTS, range,
	    sizeof(range))) != BURROW_OK)
		return rc;
	if (netaddr_parse_port_range(range, &lo, &hi) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "bad proxy port range '%s'", range);
	for (p = lo; p <= hi; p++) {
		snprintf(num, sizeof(num), "%u", p);
		if ((rc = exists_text(s, sql_port_used, num, &used)) != BURROW_OK)
			return rc;
		if (!used) {
			*port = (uint16_t)p;
			return BURROW_OK;
		}
	}
	return store_fail(s, BURROW_ERR_FULL, "no free port in the proxy range %s", range);
}

static int
insert_ip(struct store *s, int64_t proxy_id, const char *address, const char *node,
          const char *priv, const char *pub, uint16_t port, const char *cidr4,
          const char *cidr6)
{
	static const char sql[] =
	    "INSERT INTO proxy_ips(proxy_id, address, node, private_key, public_key, "
	    "listen_port, peer_cidr4, peer_cidr6, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, proxy_id);
	db_bind_text(stmt, 2, address);
	db_bind_text(stmt, 3, node);
	db_bind_text(stmt, 4, priv);
	db_bind_text(stmt, 5, pub);
	db_bind_int64(stmt, 6, port);
	db_bind_text(stmt, 7, cidr4);
	db_bind_text(stmt, 8, cidr6);
	db_bind_int64(stmt, 9, (int64_t)time(NULL));
	if ((rc = store_step_done(s, stmt, "insert proxy IP")) != BURROW_OK &&
	    rc == BURROW_ERR_EXISTS)
		rc = store_fail(s, BURROW_ERR_EXISTS,
		    "address %s, port %u or block %s is already used by a proxy",
		    address, port, cidr4);
	return rc;
}

/* A single address in canonical text, so that "::1" and "0::1" name the
 * same row of proxy_ips. */
static int
canonical_address(struct store *s, const char *in, char *out, size_t outsz)
{
	if (netaddr_ip_canonical(in, NULL, out, outsz) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "'%s' is not an IP address",
		    in != NULL ? in : "");
	return BURROW_OK;
}

static const char sql_ip_by_address[] =
    "SELECT " IP_COLUMNS " FROM proxy_ips i JOIN proxies p ON p.id = i.proxy_id "
    "WHERE i.proxy_id = ? AND i.address = ?";

static int
get_ip(struct store *s, int64_t proxy_id, const char *address, struct store_proxy_ip *out)
{
	struct db_stmt *stmt = store_stmt(s, sql_ip_by_address);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, proxy_id);
	db_bind_text(stmt, 2, address);
	if ((rc = store_step_row(s, stmt, "read proxy IP",
	    "proxy has no IP %s", address)) != BURROW_OK)
		return rc;
	proxy_ip_from_row(stmt, out);
	db_reset(stmt);
	return BURROW_OK;
}

int
store_proxy_ip_add(struct store *s, const char *proxy, const char *workspace,
                   const struct store_proxy_ip_spec *spec, struct store_proxy_ip *out)
{
	char priv[STORE_WG_KEY_LEN + 1] = "", pub[STORE_WG_KEY_LEN + 1];
	char address[48], cidr4[64], cidr6[64], fixed4[64];
	struct netaddr_cidr c;
	struct store_proxy p;
	struct store_proxy_ip ip;
	uint16_t port = spec->listen_port;
	const char *node = spec->node != NULL ? spec->node : "";
	int rc;

	if ((rc = canonical_address(s, spec->address, address, sizeof(address))) != BURROW_OK)
		return rc;
	if (node[0] != '\0' && !name_valid(node))
		return store_fail(s, BURROW_ERR_INVALID, "invalid node name '%s'", node);
	if (spec->peer_cidr4 != NULL) {
		if (netaddr_cidr_parse(spec->peer_cidr4, &c) != BURROW_OK || c.family != 4 ||
		    c.prefix < 16 || c.prefix > 30)
			return store_fail(s, BURROW_ERR_INVALID,
			    "peer block '%s' is not an IPv4 network of /16 to /30",
			    spec->peer_cidr4);
		proxy_cidr_format(&c, fixed4, sizeof(fixed4));
	}
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_proxy_get(s, proxy, workspace, &p)) != BURROW_OK)
		goto out;
	if (p.ip_count >= STORE_PROXY_IPS_MAX) {
		rc = store_fail(s, BURROW_ERR_LIMIT, "proxy %s already has %d IPs, the most allowed",
		    p.name, p.ip_count);
		goto out;
	}
	if ((rc = pick_blocks(s, spec->peer_cidr4 != NULL ? fixed4 : NULL, cidr4,
	    sizeof(cidr4), cidr6, sizeof(cidr6))) != BURROW_OK)
		goto out;
	if (port == 0 && (rc = pick_port(s, &port)) != BURROW_OK)
		goto out;
	if ((rc = store_proxy_keypair(priv, pub)) != BURROW_OK) {
		store_fail(s, rc, "cannot generate an X25519 key pair");
		goto out;
	}
	if ((rc = insert_ip(s, p.id, address, node, priv, pub, port, cidr4, cidr6)) != BURROW_OK)
		goto out;
	rc = get_ip(s, p.id, address, out != NULL ? out : &ip);
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	return store_end(s, rc);
}

int
store_proxy_ip_remove(struct store *s, const char *proxy, const char *workspace,
                      const char *address)
{
	static const char sql[] = "DELETE FROM proxy_ips WHERE id = ?";
	struct store_proxy p;
	struct store_proxy_ip ip;
	struct db_stmt *stmt;
	char canon[64];
	int rc;

	if ((rc = canonical_address(s, address, canon, sizeof(canon))) != BURROW_OK)
		return rc;
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_proxy_get(s, proxy, workspace, &p)) != BURROW_OK)
		goto out;
	if ((rc = get_ip(s, p.id, canon, &ip)) != BURROW_OK) {
		store_fail(s, rc, "proxy %s has no IP %s", p.name, canon);
		goto out;
	}
	if ((stmt = store_stmt(s, sql)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	db_bind_int64(stmt, 1, ip.id);
	rc = store_step_done(s, stmt, "delete proxy IP");
out:
	return store_end(s, rc);
}
