/* Unit tests: proxies in the store (plan and IP limits, keys, peer blocks,
 * connect/disconnect, expiry, API tokens). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/error.h"
#include "db/store.h"
#include "db/store_apikey.h"
#include "db/store_proxy.h"
#include "tests/unit/store_target.h"

struct fixture {
	char dir[64];
	char path[512];
	struct store *s;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/burrow-unit.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (test_store_target(f->dir, "burrow.db", f->path, sizeof(f->path)) != 0)
		return -1;
	if (store_open(f->path, STORE_CREATE, &f->s, NULL, 0) != BURROW_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
fresh_key(char pub[STORE_WG_KEY_LEN + 1])
{
	char priv[STORE_WG_KEY_LEN + 1];

	assert_int_equal(store_proxy_keypair(priv, pub), BURROW_OK);
}

static int
count_proxies(const struct store_proxy *p, void *ctx)
{
	(void)p;
	(*(int *)ctx)++;
	return 0;
}

static void
test_plan_limits(void **state)
{
	struct fixture *f = *state;
	struct store_proxy p;
	int n = 0;

	assert_int_equal(store_proxy_plan_limit("team"), 1);
	assert_int_equal(store_proxy_plan_limit("enterprise"), 3);
	assert_int_equal(store_proxy_plan_limit("free"), BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_create(f->s, "a", "ws", "team", &p), BURROW_OK);
	assert_string_equal(p.name, "a");
	assert_string_equal(p.plan, "team");
	assert_int_equal(store_proxy_create(f->s, "b", "ws", "team", NULL), BURROW_ERR_LIMIT);
	assert_non_null(strstr(store_errmsg(f->s), "team plan allows 1"));
	assert_int_equal(store_proxy_create(f->s, "a", "ws", "enterprise", NULL), BURROW_ERR_EXISTS);
	assert_int_equal(store_proxy_create(f->s, "b", "ws", "enterprise", NULL), BURROW_OK);
	assert_int_equal(store_proxy_create(f->s, "c", "ws", "enterprise", NULL), BURROW_OK);
	assert_int_equal(store_proxy_create(f->s, "d", "ws", "enterprise", NULL), BURROW_ERR_LIMIT);
	/* Same name in another workspace is another proxy. */
	assert_int_equal(store_proxy_create(f->s, "a", "other", "team", NULL), BURROW_OK);
	assert_int_equal(store_proxy_get(f->s, "a", NULL, &p), BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_get(f->s, "a", "other", &p), BURROW_OK);
	assert_int_equal(store_proxy_create(f->s, "bad name", "ws2", "team", NULL), BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_create(f->s, "x", "", "team", NULL), BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_create(f->s, "x", "ws3", "gold", NULL), BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_list(f->s, NULL, count_proxies, &n), BURROW_OK);
	assert_int_equal(n, 4);
	assert_int_equal(store_proxy_remove(f->s, "c", "ws"), BURROW_OK);
	assert_int_equal(store_proxy_remove(f->s, "c", "ws"), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_proxy_create(f->s, "d", "ws", "enterprise", NULL), BURROW_OK);
}

static void
test_ip_limits_and_keys(void **state)
{
	struct fixture *f = *state;
	struct store_proxy_ip_spec spec = { 0 };
	struct store_proxy_ip ip, first;
	char addr[32], priv[STORE_WG_KEY_LEN + 1], pub[STORE_WG_KEY_LEN + 1];
	int i;

	assert_int_equal(store_proxy_create(f->s, "p", "ws", "team", NULL), BURROW_OK);
	spec.address = "192.0.2.10";
	assert_int_equal(store_proxy_ip_add(f->s, "nosuch", NULL, &spec, NULL), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_proxy_ip_add(f->s, "p", NULL, &spec, &first), BURROW_OK);
	assert_string_equal(first.address, "192.0.2.10");
	assert_int_equal(first.family, 4);
	assert_int_equal(first.listen_port, 51820);
	assert_string_equal(first.peer_cidr4, "10.128.0.0/24");
	assert_string_equal(first.peer_cidr6, "fd62:7572:726f:77::/112");
	assert_true(store_proxy_key_valid(first.public_key));
	/* The stored private key is the one behind the public key. */
	assert_int_equal(store_proxy_ip_private_key(f->s, first.id, priv), BURROW_OK);
	assert_int_equal(store_proxy_public_key(priv, pub), BURROW_OK);
	assert_string_equal(pub, first.public_key);
	assert_int_equal(store_proxy_ip_add(f->s, "p", NULL, &spec, NULL), BURROW_ERR_EXISTS);
	spec.address = "2001:DB8:0::10"; /* canonicalised */
	assert_int_equal(store_proxy_ip_add(f->s, "p", NULL, &spec, &ip), BURROW_OK);
	assert_string_equal(ip.address, "2001:db8::10");
	assert_int_equal(ip.family, 6);
	assert_int_equal(ip.listen_port, 51821);
	assert_string_equal(ip.peer_cidr4, "10.128.1.0/24");
	assert_string_equal(ip.peer_cidr6, "fd62:7572:726f:77::1:0/112");
	assert_string_not_equal(ip.public_key, first.public_key);
	for (i = 0; i < 3; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i + 1);
		spec.address = addr;
		assert_int_equal(store_proxy_ip_add(f->s, "p", NULL, &spec, NULL), BURROW_OK);
	}
	spec.address = "198.51.100.99";
	assert_int_equal(store_proxy_ip_add(f->s, "p", NULL, &spec, NULL), BURROW_ERR_LIMIT);
	spec.address = "not-an-ip";
	assert_int_equal(store_proxy_ip_add(f->s, "p", NULL, &spec, NULL), BURROW_ERR_INVALID);
	spec.address = "192.0.2.0/24";
	assert_int_equal(store_proxy_ip_add(f->s, "p", NULL, &spec, NULL), BURROW_ERR_INVALID);
	/* Removing one frees its slot; the freed block is reused first. */
	assert_int_equal(store_proxy_ip_remove(f->s, "p", NULL, "2001:db8::10"), BURROW_OK);
	assert_int_equal(store_proxy_ip_remove(f->s, "p", NULL, "2001:db8::10"), BURROW_ERR_NOTFOUND);
	spec.address = "198.51.100.99";
	assert_int_equal(store_proxy_ip_add(f->s, "p", NULL, &spec, &ip), BURROW_OK);
	assert_string_equal(ip.peer_cidr4, "10.128.1.0/24");
	assert_int_equal(ip.listen_port, 51821);
}

static void
test_keys(void **state)
{
	char priv[STORE_WG_KEY_LEN + 1], pub[STORE_WG_KEY_LEN + 1];
	unsigned char raw[32];

	(void)state;
	/* RFC 7748 section 6.1 test vector (Alice), in base64. */
	assert_int_equal(store_proxy_public_key("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=",
	    pub), BURROW_OK);
	assert_string_equal(pub, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
	assert_int_equal(store_proxy_keypair(priv, pub), BURROW_OK);
	assert_true(store_proxy_key_valid(pub));
	assert_true(store_proxy_key_valid(priv));
	assert_false(store_proxy_key_valid(""));
	assert_false(store_proxy_key_valid(NULL));
	assert_false(store_proxy_key_valid("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo"));
	assert_false(store_proxy_key_valid("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTm=="));
	assert_false(store_proxy_key_valid("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTm*="));
	/* Non-canonical: the last character carries bits that do not exist. */
	assert_false(store_proxy_key_valid("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp="));
	assert_int_equal(store_proxy_key_decode("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=",
	    raw), BURROW_OK);
	assert_int_equal(raw[0], 0x85);
	assert_int_equal(raw[31], 0x6a);
}

static void
test_connect(void **state)
{
	struct fixture *f = *state;
	struct store_proxy_ip_spec spec = { 0 };
	struct store_proxy_ip ip, ip2, a, b;
	struct store_proxy_peer peer, again;
	struct store_proxy_policy pol = { 0, NULL };
	char k1[STORE_WG_KEY_LEN + 1], k2[STORE_WG_KEY_LEN + 1], k[STORE_WG_KEY_LEN + 1];
	int i, hits_a = 0, hits_b = 0;
	int64_t seq1, seq2;

	assert_int_equal(store_proxy_create(f->s, "p", "ws", "team", NULL), BURROW_OK);
	fresh_key(k1);
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k1, NULL, NULL, NULL),
	    BURROW_ERR_REFUSED);
	spec.address = "192.0.2.10";
	spec.peer_cidr4 = "10.99.0.0/29"; /* hosts 2..6: five peers */
	assert_int_equal(store_proxy_ip_add(f->s, "p", "ws", &spec, &a), BURROW_OK);
	spec.address = "192.0.2.11";
	spec.peer_cidr4 = NULL;
	assert_int_equal(store_proxy_ip_add(f->s, "p", "ws", &spec, &b), BURROW_OK);
	assert_int_equal(store_proxy_change_max(f->s, &seq1), BURROW_OK);
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k1, &pol, &ip, &peer), BURROW_OK);
	assert_int_equal(store_proxy_change_max(f->s, &seq2), BURROW_OK);
	assert_true(seq2 > seq1);
	assert_int_equal(peer.host, 2);
	assert_true(ip.id == a.id || ip.id == b.id);
	/* A known key gets its old IP and address back, with the new policy. */
	pol.block_network = 1;
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k1, &pol, &ip2, &again), BURROW_OK);
	assert_int_equal(ip2.id, ip.id);
	assert_string_equal(again.address4, peer.address4);
	assert_string_equal(again.address6, peer.address6);
	assert_int_equal(again.block_network, 1);
	/* Random pick: over 40 connects both IPs are chosen (all on one IP
	 * has probability 2^-39) until a's small block fills; then b only. */
	pol.block_network = 0;
	for (i = 0; i < 40; i++) {
		fresh_key(k);
		assert_int_equal(store_proxy_connect(f->s, "p", "ws", k, &pol, &ip, &peer),
		    BURROW_OK);
		if (ip.id == a.id)
			hits_a++;
		else
			hits_b++;
	}
	assert_true(hits_a >= 4 && hits_b > 0);
	assert_true(hits_a + (a.id == ip2.id) <= 5);
	/* Disconnect frees the address at once: the next peer on a reuses it. */
	assert_int_equal(store_proxy_disconnect(f->s, "p", "ws", k1), BURROW_OK);
	assert_int_equal(store_proxy_disconnect(f->s, "p", "ws", k1), BURROW_ERR_NOTFOUND);
	fresh_key(k2);
	assert_int_equal(store_proxy_disconnect(f->s, "p", "ws", k2), BURROW_ERR_NOTFOUND);
	assert_int_equal(store_proxy_disconnect(f->s, "p", "ws", "junk"), BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_connect(f->s, "nosuch", "ws", k2, &pol, NULL, NULL),
	    BURROW_ERR_NOTFOUND);
	assert_int_equal(store_proxy_connect(f->s, "p", "other", k2, &pol, NULL, NULL),
	    BURROW_ERR_NOTFOUND);
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", "bad", &pol, NULL, NULL),
	    BURROW_ERR_INVALID);
	pol.cidr_allowlist = "198.51.100.0/25, 10.0.0.0/33";
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k2, &pol, NULL, NULL),
	    BURROW_ERR_INVALID);
	pol.cidr_allowlist = "198.51.100.1/25";
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k2, &pol, NULL, NULL),
	    BURROW_ERR_INVALID);
	pol.cidr_allowlist = " 198.51.100.0/25,2001:DB8::/32 ";
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k2, &pol, &ip, &peer), BURROW_OK);
	assert_string_equal(peer.cidr_allowlist, "198.51.100.0/25,2001:db8::/32");
}

static void
test_full_block(void **state)
{
	struct fixture *f = *state;
	struct store_proxy_ip_spec spec = { 0 };
	struct store_proxy_peer peer;
	char k[STORE_WG_KEY_LEN + 1];

	assert_int_equal(store_proxy_create(f->s, "p", "ws", "team", NULL), BURROW_OK);
	spec.address = "192.0.2.10";
	spec.peer_cidr4 = "10.99.0.0/30"; /* one peer: host 2 */
	assert_int_equal(store_proxy_ip_add(f->s, "p", "ws", &spec, NULL), BURROW_OK);
	fresh_key(k);
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k, NULL, NULL, &peer), BURROW_OK);
	assert_string_equal(peer.address4, "10.99.0.2");
	assert_string_equal(peer.address6, "fd62:7572:726f:77::2");
	fresh_key(k);
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k, NULL, NULL, NULL), BURROW_ERR_FULL);
	assert_non_null(strstr(store_errmsg(f->s), "full"));
	spec.peer_cidr4 = "10.99.0.0/31";
	spec.address = "192.0.2.12";
	assert_int_equal(store_proxy_ip_add(f->s, "p", "ws", &spec, NULL), BURROW_ERR_INVALID);
	spec.peer_cidr4 = "10.99.0.0/30";
	assert_int_equal(store_proxy_ip_add(f->s, "p", "ws", &spec, NULL), BURROW_ERR_EXISTS);
}

static int
collect_peer(const struct store_proxy_peer *p, void *ctx)
{
	*(struct store_proxy_peer *)ctx = *p;
	return 0;
}

static void
test_expire(void **state)
{
	struct fixture *f = *state;
	struct store_proxy_ip_spec spec = { .address = "192.0.2.10" };
	struct store_proxy_ip ip;
	struct store_proxy_peer peer, listed;
	char k[STORE_WG_KEY_LEN + 1];
	int removed;

	assert_int_equal(store_proxy_create(f->s, "p", "ws", "team", NULL), BURROW_OK);
	assert_int_equal(store_proxy_ip_add(f->s, "p", "ws", &spec, NULL), BURROW_OK);
	fresh_key(k);
	assert_int_equal(store_proxy_connect(f->s, "p", "ws", k, NULL, &ip, &peer), BURROW_OK);
	/* A peer that reconnected after the agent looked is kept. */
	assert_int_equal(store_proxy_peer_expire(f->s, ip.id, k, peer.updated_at - 1, &removed),
	    BURROW_OK);
	assert_int_equal(removed, 0);
	memset(&listed, 0, sizeof(listed));
	assert_int_equal(store_proxy_peer_list(f->s, ip.id, collect_peer, &listed), BURROW_OK);
	assert_string_equal(listed.public_key, k);
	assert_int_equal(store_proxy_peer_expire(f->s, ip.id, k, peer.updated_at, &removed),
	    BURROW_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(store_proxy_disconnect(f->s, "p", "ws", k), BURROW_ERR_NOTFOUND);
}

static void
test_tokens(void **state)
{
	struct fixture *f = *state;
	char t1[65], t2[65], ws[STORE_PROXY_NAME_MAX + 1];
	int n;

	assert_int_equal(store_proxy_token_create(f->s, "ws", t1), BURROW_OK);
	assert_int_equal(strlen(t1), STORE_APIKEY_LEN);
	assert_int_equal(store_proxy_token_create(f->s, "other", t2), BURROW_OK);
	assert_string_not_equal(t1, t2);
	assert_int_equal(store_proxy_token_check(f->s, t1, ws), BURROW_OK);
	assert_string_equal(ws, "ws");
	assert_int_equal(store_proxy_token_check(f->s, t2, ws), BURROW_OK);
	assert_string_equal(ws, "other");
	t1[0] = t1[0] == 'a' ? 'b' : 'a';
	assert_int_equal(store_proxy_token_check(f->s, t1, ws), BURROW_ERR_REFUSED);
	assert_int_equal(store_proxy_token_check(f->s, "short", ws), BURROW_ERR_REFUSED);
	assert_int_equal(store_proxy_token_check(f->s, NULL, ws), BURROW_ERR_REFUSED);
	assert_int_equal(store_proxy_token_create(f->s, "", t1), BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_token_revoke(f->s, "other", &n), BURROW_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_proxy_token_check(f->s, t2, ws), BURROW_ERR_REFUSED);
}

static void
test_cidr_list(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(store_proxy_cidr_list_canonical("", out, sizeof(out)), BURROW_OK);
	assert_string_equal(out, "");
	assert_int_equal(store_proxy_cidr_list_canonical(NULL, out, sizeof(out)), BURROW_OK);
	assert_int_equal(store_proxy_cidr_list_canonical("10.0.0.1", out, sizeof(out)), BURROW_OK);
	assert_string_equal(out, "10.0.0.1/32");
	assert_int_equal(store_proxy_cidr_list_canonical("0.0.0.0/0,::/0", out, sizeof(out)),
	    BURROW_OK);
	assert_string_equal(out, "0.0.0.0/0,::/0");
	assert_int_equal(store_proxy_cidr_list_canonical("10.0.0.0/", out, sizeof(out)),
	    BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_cidr_list_canonical("10.0.0.0/-1", out, sizeof(out)),
	    BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_cidr_list_canonical("::/129", out, sizeof(out)),
	    BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_cidr_list_canonical("10.0.0.0/8;drop", out, sizeof(out)),
	    BURROW_ERR_INVALID);
	assert_int_equal(store_proxy_cidr_list_canonical("10.0.0.0/8 10.1.0.0/16", out, 12),
	    BURROW_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plan_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ip_limits_and_keys, setup, teardown),
		cmocka_unit_test(test_keys),
		cmocka_unit_test_setup_teardown(test_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test(test_cidr_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
