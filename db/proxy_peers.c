/*
 * proxy_peers.c: workloads connected to a proxy and the change sequence exit
 * agents follow (their API keys: apikeys.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/error.h"
#include "db/proxy_internal.h"

#define PEER_COLUMNS \
	"e.id, e.proxy_ip_id, e.public_key, e.host, e.address4, e.address6, " \
	"e.block_network, e.cidr_allowlist, e.created_at, e.updated_at"
/* The same columns for RETURNING, where a table alias is not allowed. */
#define PEER_RETURNING \
	"id, proxy_ip_id, public_key, host, address4, address6, " \
	"block_network, cidr_allowlist, created_at, updated_at"

static void
peer_from_row(struct db_stmt *stmt, struct store_proxy_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->id = db_column_int64(stmt, 0);
	p->proxy_ip_id = db_column_int64(stmt, 1);
	store_column_text(stmt, 2, p->public_key, sizeof(p->public_key));
	p->host = db_column_int(stmt, 3);
	store_column_text(stmt, 4, p->address4, sizeof(p->address4));
	store_column_text(stmt, 5, p->address6, sizeof(p->address6));
	p->block_network = db_column_int(stmt, 6);
	store_column_text(stmt, 7, p->cidr_allowlist, sizeof(p->cidr_allowlist));
	p->created_at = db_column_int64(stmt, 8);
	p->updated_at = db_column_int64(stmt, 9);
}

static int
ip_by_id(struct store *s, int64_t id, struct store_proxy_ip *out)
{
	static const char sql[] =
	    "SELECT " IP_COLUMNS " FROM proxy_ips i JOIN proxies p ON p.id = i.proxy_id "
	    "WHERE i.id = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, id);
	if ((rc = store_step_row(s, stmt, "read proxy IP", "no proxy IP")) != BURROW_OK)
		return rc;
	proxy_ip_from_row(stmt, out);
	db_reset(stmt);
	return BURROW_OK;
}

/* The peer with this key on any IP of the proxy; *found 0 if none. */
static int
find_peer(struct store *s, int64_t proxy_id, const char *key,
          struct store_proxy_peer *out, int *found)
{
	static const char sql[] =
	    "SELECT " PEER_COLUMNS " FROM proxy_peers e "
	    "JOIN proxy_ips i ON i.id = e.proxy_ip_id "
	    "WHERE i.proxy_id = ? AND e.public_key = ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, proxy_id);
	db_bind_text(stmt, 2, key);
	rc = db_step(stmt);
	if (rc == DB_ROW)
		peer_from_row(stmt, out);
	db_reset(stmt);
	if (rc != DB_ROW && rc != DB_DONE)
		return store_sql_error(s, rc, "read peer");
	*found = rc == DB_ROW;
	return BURROW_OK;
}

struct ip_set {
	struct store_proxy_ip ips[STORE_PROXY_IPS_MAX];
	int n;
};

static int
collect_ip(const struct store_proxy_ip *ip, void *ctx)
{
	struct ip_set *set = ctx;

	if (set->n < STORE_PROXY_IPS_MAX)
		set->ips[set->n++] = *ip;
	return 0;
}

/* Hosts come in ascending order: *want moves past each taken one and stops
 * at the first gap. */
static int
next_host(struct db_stmt *stmt, void *arg)
{
	int *want = arg;

	if (db_column_int(stmt, 0) != *want)
		return 1;
	(*want)++;
	return 0;
}

/* The lowest free host number of ip's blocks into *host: 1 is the exit's
 * own tunnel address, and the last address of the IPv4 block is left out
 * as a broadcast address would be.  BURROW_ERR_FULL if none. */
static int
free_host(struct store *s, const struct store_proxy_ip *ip, int *host)
{
	static const char sql[] =
	    "SELECT host FROM proxy_peers WHERE proxy_ip_id = ? ORDER BY host";
	struct netaddr_cidr c;
	struct db_stmt *stmt;
	int rc, want = 2, last;

	if (netaddr_cidr_parse(ip->peer_cidr4, &c) != BURROW_OK || c.prefix > 30)
		return store_fail(s, BURROW_ERR_INVALID, "bad peer block %s", ip->peer_cidr4);
	last = (1 << (32 - c.prefix)) - 2;
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, ip->id);
	if ((rc = store_each_row(s, stmt, next_host, &want, "read peer hosts")) < 0)
		return rc;
	if (want > last)
		return BURROW_ERR_FULL;
	*host = want;
	return BURROW_OK;
}

static int
insert_peer(struct store *s, const struct store_proxy_ip *ip, const char *key, int host,
            int block, const char *allow, struct store_proxy_peer *out)
{
	static const char sql[] =
	    "INSERT INTO proxy_peers(proxy_ip_id, public_key, host, address4, address6, "
	    "block_network, cidr_allowlist, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?8) RETURNING " PEER_RETURNING;
	struct netaddr_cidr c4, c6;
	char a4[64], a6[64];
	struct db_stmt *stmt;
	int rc;

	if (netaddr_cidr_parse(ip->peer_cidr4, &c4) != BURROW_OK ||
	    netaddr_cidr_parse(ip->peer_cidr6, &c6) != BURROW_OK ||
	    proxy_cidr_host(&c4, (uint64_t)host, a4, sizeof(a4)) != BURROW_OK ||
	    proxy_cidr_host(&c6, (uint64_t)host, a6, sizeof(a6)) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID, "bad peer blocks of %s", ip->address);
	if ((stmt = store_stmt(s, sql)) == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, ip->id);
	db_bind_text(stmt, 2, key);
	db_bind_int64(stmt, 3, host);
	db_bind_text(stmt, 4, a4);
	db_bind_text(stmt, 5, a6);
	db_bind_int64(stmt, 6, block);
	db_bind_text(stmt, 7, allow);
	db_bind_int64(stmt, 8, (int64_t)time(NULL));
	rc = db_step(stmt);
	if (rc == DB_ROW)
		peer_from_row(stmt, out);
	db_reset(stmt);
	return rc == DB_ROW ? BURROW_OK : store_sql_error(s, rc, "insert peer");
}

static int
update_peer(struct store *s, struct store_proxy_peer *p, int block, const char *allow)
{
	static const char sql[] =
	    "UPDATE proxy_peers SET block_network = ?, cidr_allowlist = ?, updated_at = ? "
	    "WHERE id = ? RETURNING " PEER_RETURNING;
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, block);
	db_bind_text(stmt, 2, allow);
	db_bind_int64(stmt, 3, (int64_t)time(NULL));
	db_bind_int64(stmt, 4, p->id);
	rc = db_step(stmt);
	if (rc == DB_ROW)
		peer_from_row(stmt, p);
	db_reset(stmt);
	return rc == DB_ROW ? BURROW_OK : store_sql_error(s, rc, "update peer");
}

/* Picks an IP at random, then walks on from it while blocks are full, so a
 * busy IP never refuses a workload another IP of the proxy could take. */
static int
place_peer(struct store *s, const struct store_proxy *p, const char *key, int block,
           const char *allow, struct store_proxy_ip *ip, struct store_proxy_peer *peer)
{
	struct ip_set set = { .n = 0 };
	uint32_t r;
	int rc, k, host = 0;

	if ((rc = store_proxy_ip_list(s, p->id, NULL, collect_ip, &set)) != BURROW_OK)
		return rc;
	if (set.n == 0)
		return store_fail(s, BURROW_ERR_REFUSED,
		    "proxy %s has no IP yet: add one with 'burrow proxy add-ip'", p->name);
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		return store_fail(s, BURROW_ERR_CRYPTO, "RAND_bytes failed");
	/* r % n for n <= 5 is biased by under 2^-29: immaterial for spreading. */
	for (k = 0; k < set.n; k++) {
		*ip = set.ips[(r + (uint32_t)k) % (uint32_t)set.n];
		rc = free_host(s, ip, &host);
		if (rc == BURROW_ERR_FULL)
			continue;
		if (rc != BURROW_OK)
			return rc;
		return insert_peer(s, ip, key, host, block, allow, peer);
	}
	return store_fail(s, BURROW_ERR_FULL,
	    "every peer block of proxy %s is full (%d IPs): add an IP", p->name, set.n);
}

int
store_proxy_connect(struct store *s, const char *proxy, const char *workspace,
                    const char *public_key, const struct store_proxy_policy *pol,
                    struct store_proxy_ip *ip_out, struct store_proxy_peer *peer_out)
{
	char allow[STORE_PROXY_ALLOWLIST_MAX];
	struct store_proxy p;
	struct store_proxy_ip ip;
	struct store_proxy_peer peer;
	int rc, found, block = pol != NULL && pol->block_network;

	if (!store_proxy_key_valid(public_key))
		return store_fail(s, BURROW_ERR_INVALID,
		    "'%s' is not a WireGuard public key (base64 of 32 bytes)",
		    public_key != NULL ? public_key : "");
	if (store_proxy_cidr_list_canonical(pol != NULL ? pol->cidr_allowlist : NULL, allow,
	    sizeof(allow)) != BURROW_OK)
		return store_fail(s, BURROW_ERR_INVALID,
		    "outbound CIDR allowlist '%s' is not a list of networks",
		    pol->cidr_allowlist);
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_proxy_get(s, proxy, workspace, &p)) != BURROW_OK)
		goto out;
	if ((rc = find_peer(s, p.id, public_key, &peer, &found)) != BURROW_OK)
		goto out;
	if (found) {
		if ((rc = update_peer(s, &peer, block, allow)) != BURROW_OK ||
		    (rc = ip_by_id(s, peer.proxy_ip_id, &ip)) != BURROW_OK)
			goto out;
	} else {
		rc = place_peer(s, &p, public_key, block, allow, &ip, &peer);
	}
out:
	if ((rc = store_end(s, rc)) != BURROW_OK)
		return rc;
	if (ip_out != NULL)
		*ip_out = ip;
	if (peer_out != NULL)
		*peer_out = peer;
	return BURROW_OK;
}

int
store_proxy_disconnect(struct store *s, const char *proxy, const char *workspace,
                       const char *public_key)
{
	static const char sql[] = "DELETE FROM proxy_peers WHERE id = ?";
	struct store_proxy p;
	struct store_proxy_peer peer;
	struct db_stmt *stmt;
	int rc, found;

	if (!store_proxy_key_valid(public_key))
		return store_fail(s, BURROW_ERR_INVALID,
		    "'%s' is not a WireGuard public key (base64 of 32 bytes)",
		    public_key != NULL ? public_key : "");
	if ((rc = store_begin(s)) != BURROW_OK)
		return rc;
	if ((rc = store_proxy_get(s, proxy, workspace, &p)) != BURROW_OK ||
	    (rc = find_peer(s, p.id, public_key, &peer, &found)) != BURROW_OK)
		goto out;
	if (!found) {
		rc = store_fail(s, BURROW_ERR_NOTFOUND, "key %s is not connected to proxy %s",
		    public_key, p.name);
		goto out;
	}
	if ((stmt = store_stmt(s, sql)) == NULL) {
		rc = BURROW_ERR_IO;
		goto out;
	}
	db_bind_int64(stmt, 1, peer.id);
	rc = store_step_done(s, stmt, "delete peer");
out:
	return store_end(s, rc);
}

struct peer_walk {
	store_proxy_peer_cb cb;
	void *ctx;
};

static int
peer_row(struct db_stmt *stmt, void *arg)
{
	const struct peer_walk *w = arg;
	struct store_proxy_peer p;

	peer_from_row(stmt, &p);
	return w->cb(&p, w->ctx);
}

int
store_proxy_peer_list(struct store *s, int64_t ip_id, store_proxy_peer_cb cb, void *ctx)
{
	static const char sql[] =
	    "SELECT " PEER_COLUMNS " FROM proxy_peers e WHERE e.proxy_ip_id = ? ORDER BY e.host";
	struct db_stmt *stmt = store_stmt(s, sql);
	struct peer_walk w = { cb, ctx };

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, ip_id);
	return store_each_row(s, stmt, peer_row, &w, "list peers");
}

int
store_proxy_peer_expire(struct store *s, int64_t ip_id, const char *public_key,
                        int64_t connected_before, int *removed)
{
	static const char sql[] =
	    "DELETE FROM proxy_peers WHERE proxy_ip_id = ? AND public_key = ? "
	    "AND updated_at <= ?";
	struct db_stmt *stmt = store_stmt(s, sql);
	int rc;

	if (stmt == NULL)
		return BURROW_ERR_IO;
	db_bind_int64(stmt, 1, ip_id);
	db_bind_text(stmt, 2, public_key);
	db_bind_int64(stmt, 3, connected_before);
	if ((rc = store_step_done(s, stmt, "expire peer")) != BURROW_OK)
		return rc;
	if (removed != NULL)
		*removed = s->eng->changes(s) > 0;
	return BURROW_OK;
}

int
store_proxy_change_max(struct store *s, int64_t *seq)
{
	static const char sql[] = "SELECT coalesce(max(seq), 0) FROM proxy_changes";

	return store_scalar_int64(s, sql, seq, "read proxy changes");
}
