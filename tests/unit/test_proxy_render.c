/* Unit tests: what the exit agent writes for wg(8) and nft(8), how it reads
 * `wg show dump`, and the HTTP API's refusals (no sockets involved). */
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
#include "db/store_proxy.h"
#include "exit/exit_api.h"
#include "exit/exit_nft.h"
#include "exit/exit_state.h"
#include "exit/wg_conf.h"

#define K1 "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
#define K2 "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="
#define PRIV "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="

static void
sample(struct exit_state *st, struct exit_ip *e, struct store_proxy_peer peers[2])
{
	memset(st, 0, sizeof(*st));
	memset(e, 0, sizeof(*e));
	memset(peers, 0, 2 * sizeof(peers[0]));
	strcpy(e->ifname, "bwx7");
	strcpy(e->private_key, PRIV);
	strcpy(e->ip.address, "192.0.2.10");
	e->ip.family = 4;
	e->ip.listen_port = 51820;
	strcpy(e->ip.peer_cidr4, "10.128.0.0/24");
	strcpy(e->ip.peer_cidr6, "fd62:7572:726f:77::/112");
	strcpy(peers[0].public_key, K1);
	strcpy(peers[0].address4, "10.128.0.2");
	strcpy(peers[0].address6, "fd62:7572:726f:77::2");
	strcpy(peers[0].cidr_allowlist, "198.51.100.0/25,2001:db8::/32");
	strcpy(peers[1].public_key, K2);
	strcpy(peers[1].address4, "10.128.0.3");
	strcpy(peers[1].address6, "fd62:7572:726f:77::3");
	peers[1].block_network = 1;
	e->peers = peers;
	e->npeers = 2;
	st->ips = e;
	st->n = 1;
}

static void
test_wg_conf(void **state)
{
	struct exit_state st;
	struct exit_ip e;
	struct store_proxy_peer peers[2];
	char *text;

	(void)state;
	sample(&st, &e, peers);
	text = wg_conf_render(&e);
	assert_non_null(text);
	assert_string_equal(text,
	    "[Interface]\nPrivateKey = " PRIV "\nListenPort = 51820\n"
	    "\n[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.128.0.2/32, fd62:7572:726f:77::2/128\n"
	    "\n[Peer]\nPublicKey = " K2 "\nAllowedIPs = 10.128.0.3/32, fd62:7572:726f:77::3/128\n");
	free(text);
}

static void
test_nft(void **state)
{
	struct exit_state st;
	struct exit_ip e;
	struct store_proxy_peer peers[2];
	char *text;

	(void)state;
	sample(&st, &e, peers);
	text = exit_nft_render("burrow_exit", "bwx", &st);
	assert_non_null(text);
	assert_non_null(strstr(text, "table inet burrow_exit\ndelete table inet burrow_exit\n"));
	assert_non_null(strstr(text, "ip saddr 10.128.0.0/24 oifname != \"bwx7\" snat ip to 192.0.2.10"));
	assert_non_null(strstr(text, "iifname \"bwx7\" tcp flags syn tcp option maxseg size set rt mtu"));
	assert_non_null(strstr(text, "iifname \"bwx7\" oifname \"bwx*\" drop"));
	assert_non_null(strstr(text, "iifname \"bwx7\" ip saddr != 10.128.0.0/24 drop"));
	assert_non_null(strstr(text, "iifname \"bwx7\" meta nfproto ipv6 drop"));
	assert_non_null(strstr(text,
	    "iifname \"bwx7\" ip saddr 10.128.0.2 ip daddr != { 198.51.100.0/25 } drop"));
	assert_non_null(strstr(text,
	    "iifname \"bwx7\" ip6 saddr fd62:7572:726f:77::2 ip6 daddr != { 2001:db8::/32 } drop"));
	assert_non_null(strstr(text, "iifname \"bwx7\" ip saddr 10.128.0.3 drop"));
	assert_non_null(strstr(text, "iifname \"bwx7\" ip6 saddr fd62:7572:726f:77::3 drop"));
	assert_non_null(strstr(text, "chain input {"));
	free(text);
	/* An IPv4-only allowlist allows no IPv6 at all. */
	strcpy(peers[0].cidr_allowlist, "198.51.100.0/25");
	text = exit_nft_render("t", "bwx", &st);
	assert_non_null(strstr(text, "ip6 saddr fd62:7572:726f:77::2 drop"));
	free(text);
	/* An IPv6 static IP SNATs the IPv6 block and drops IPv4. */
	strcpy(e.ip.address, "2001:db8::10");
	e.ip.family = 6;
	text = exit_nft_render("t", "bwx", &st);
	assert_non_null(strstr(text, "ip6 saddr fd62:7572:726f:77::/112 oifname != \"bwx7\" "
	    "snat ip6 to 2001:db8::10"));
	assert_non_null(strstr(text, "meta nfproto ipv4 drop"));
	free(text);
	/* A corrupted stored allowlist renders nothing rather than a hole. */
	strcpy(peers[0].cidr_allowlist, "198.51.100.0/25,}; accept");
	assert_null(exit_nft_render("t", "bwx", &st));
	text = exit_nft_render_delete("t");
	assert_string_equal(text, "table inet t\ndelete table inet t\n");
	free(text);
}

static void
test_dump(void **state)
{
	static const char dump[] =
	    PRIV "\t" K1 "\t51820\toff\n"
	    K1 "\t(none)\t192.0.2.2:49010\t10.128.0.2/32,fd62:7572:726f:77::2/128\t1700000000\t836\t684\toff\n"
	    K2 "\t(none)\t(none)\t10.128.0.3/32\t0\t0\t0\t25\n";
	struct wg_dump d;

	(void)state;
	assert_int_equal(wg_dump_parse(dump, strlen(dump), &d), BURROW_OK);
	assert_string_equal(d.public_key, K1);
	assert_int_equal(d.listen_port, 51820);
	assert_int_equal(d.npeers, 2);
	assert_string_equal(d.peers[0].public_key, K1);
	assert_int_equal(d.peers[0].latest_handshake, 1700000000);
	assert_int_equal(d.peers[0].rx_bytes, 836);
	assert_int_equal(d.peers[1].latest_handshake, 0);
	wg_dump_clear(&d);
	/* Interface only, no peers. */
	assert_int_equal(wg_dump_parse("(none)\t(none)\t0\toff\n", 20, &d), BURROW_OK);
	assert_int_equal(d.npeers, 0);
	wg_dump_clear(&d);
	assert_int_equal(wg_dump_parse("", 0, &d), BURROW_ERR_PROTO);
	assert_int_equal(wg_dump_parse("a\tb\n", 4, &d), BURROW_ERR_PROTO);
	assert_int_equal(wg_dump_parse(PRIV "\t" K1 "\t70000\toff\n",
	    strlen(PRIV "\t" K1 "\t70000\toff\n"), &d), BURROW_ERR_PROTO);
	assert_int_equal(wg_dump_parse(PRIV "\t" K1 "\t1\toff\nshort\tline\n",
	    strlen(PRIV "\t" K1 "\t1\toff\nshort\tline\n"), &d), BURROW_ERR_PROTO);
	assert_int_equal(wg_dump_parse("x\0y", 3, &d), BURROW_ERR_PROTO);
}

static void
test_api_refusals(void **state)
{
	struct exit_agent a;
	struct exit_api_reply r;
	struct store *s = NULL;
	char dir[] = "/tmp/burrow-unit.XXXXXX", path[128], token[65], auth[80], cmd[64];
	static const char body[] = "{\"proxy\":\"p\",\"public_key\":\"" K1 "\"}";

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.db", dir);
	assert_int_equal(store_open(path, STORE_CREATE, &s, NULL, 0), BURROW_OK);
	assert_int_equal(store_proxy_create(s, "p", "ws", "team", NULL), BURROW_OK);
	assert_int_equal(store_proxy_token_create(s, "ws", token), BURROW_OK);
	snprintf(auth, sizeof(auth), "Bearer %s", token);
	memset(&a, 0, sizeof(a));
	a.store = s;
#define CALL(m, p, au, b, want) do { \
	assert_int_equal(exit_api_handle(&a, m, p, au, b, strlen(b), &r), BURROW_OK); \
	assert_int_equal(r.status, want); \
	assert_non_null(strstr(r.body, "\"error\"")); \
	free(r.body); \
} while (0)
	CALL("POST", "/nope", auth, body, 404);
	CALL("GET", "/connect", auth, body, 405);
	CALL("POST", "/connect", NULL, body, 401);
	CALL("POST", "/connect", "Bearer 1234", body, 401);
	CALL("POST", "/connect", token, body, 401);
	CALL("POST", "/connect", auth, "[1]", 400);
	CALL("POST", "/connect", auth, "{\"proxy\":1}", 400);
	CALL("POST", "/connect", auth, "{\"proxy\":\"p\",\"public_key\":\"" K1 "\","
	    "\"block_network\":\"yes\"}", 400);
	CALL("POST", "/connect", auth, "{\"proxy\":\"p\",\"public_key\":\"" K1 "\","
	    "\"outbound_cidr_allowlist\":\"10.0.0.0/8\"}", 400);
	CALL("POST", "/connect", auth, "{\"proxy\":\"p\",\"public_key\":\"short\"}", 400);
	CALL("POST", "/connect", auth, "{\"proxy\":\"q\",\"public_key\":\"" K1 "\"}", 404);
	/* The proxy exists but has no IP yet. */
	CALL("POST", "/connect", auth, body, 409);
	CALL("POST", "/disconnect", auth, body, 404);
#undef CALL
	exit_agent_clear(&a);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wg_conf),
		cmocka_unit_test(test_nft),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_api_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
