/*
 * cmd_proxy.c: burrow proxy create|add-ip|rm-ip|list|show|rm|connect|
 * disconnect|token: WireGuard exit pools with static egress IPs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "db/store_proxy.h"
#include "exit/exit_client.h"

#define WS "[--workspace W] [--db PATH] [--json]"
#define CREATE_SYNOPSIS "burrow proxy create NAME --workspace W [--plan team|enterprise] " \
	"[--db PATH] [--json]" \
	CLI_EXAMPLE("burrow proxy create corp-egress --workspace acme --plan team")
#define ADDIP_SYNOPSIS "burrow proxy add-ip NAME IP [--node NODE] [--peer-cidr4 CIDR] " \
	"[--port N] " WS \
	CLI_EXAMPLE("burrow proxy add-ip corp-egress 192.0.2.10 --node exit-1 --workspace acme")
#define RMIP_SYNOPSIS "burrow proxy rm-ip NAME IP " WS \
	CLI_EXAMPLE("burrow proxy rm-ip corp-egress 192.0.2.10 --workspace acme")
#define LIST_SYNOPSIS "burrow proxy list " WS \
	CLI_EXAMPLE("burrow proxy list --workspace acme --json")
#define SHOW_SYNOPSIS "burrow proxy show NAME " WS \
	CLI_EXAMPLE("burrow proxy show corp-egress --workspace acme")
#define RM_SYNOPSIS "burrow proxy rm NAME " WS \
	CLI_EXAMPLE("burrow proxy rm corp-egress --workspace acme")
#define CONNECT_SYNOPSIS "burrow proxy connect NAME --public-key KEY [--block-network] " \
	"[--allow CIDR,...] " WS \
	CLI_EXAMPLE("burrow proxy connect corp-egress --public-key WORKLOAD_PUBKEY --workspace acme")
#define DISCONNECT_SYNOPSIS "burrow proxy disconnect NAME --public-key KEY " WS \
	CLI_EXAMPLE("burrow proxy disconnect corp-egress --public-key WORKLOAD_PUBKEY --workspace acme")
#define TOKEN_SYNOPSIS "burrow proxy token create|revoke --workspace W [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow proxy token create --workspace acme")

enum {
	OPT_WORKSPACE = CLI_OPT_FIRST_VERB, OPT_PLAN, OPT_NODE, OPT_CIDR4, OPT_PORT,
	OPT_KEY, OPT_BLOCK, OPT_ALLOW,
};

struct proxy_args {
	const char *workspace, *plan, *node, *cidr4, *port, *key, *allow;
	int block;
};

static const struct option proxy_options[] = {
	CLI_COMMON_OPTIONS,
	{ "workspace", required_argument, NULL, OPT_WORKSPACE },
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "peer-cidr4", required_argument, NULL, OPT_CIDR4 },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "public-key", required_argument, NULL, OPT_KEY },
	{ "block-network", no_argument, NULL, OPT_BLOCK },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ NULL, 0, NULL, 0 },
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct proxy_args *a = ctx;

	switch (opt) {
	case OPT_WORKSPACE: a->workspace = arg; break;
	case OPT_PLAN:      a->plan = arg; break;
	case OPT_NODE:      a->node = arg; break;
	case OPT_CIDR4:     a->cidr4 = arg; break;
	case OPT_PORT:      a->port = arg; break;
	case OPT_KEY:       a->key = arg; break;
	case OPT_BLOCK:     a->block = 1; break;
	case OPT_ALLOW:     a->allow = arg; break;
	default:            return cli_usage("unexpected option");
	}
	return CLI_OK;
}

static json_t *
proxy_json(const struct store_proxy *p)
{
	char created[32];

	cli_format_time(p->created_at, created, sizeof(created));
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "name", p->name,
	    "workspace", p->workspace, "plan", p->plan, "ips", p->ip_count,
	    "peers", p->peer_count, "created_at", created);
}

/* The private key is never part of it: it lives only in the store. */
static json_t *
ip_json(const struct store_proxy_ip *ip)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:i}", "address", ip->address,
	    "node", ip->node, "public_key", ip->public_key, "listen_port", ip->listen_port,
	    "peer_cidr4", ip->peer_cidr4, "peer_cidr6", ip->peer_cidr6,
	    "peers", ip->peer_count);
}

static json_t *
peer_json(const struct store_proxy_peer *p)
{
	char updated[32];

	cli_format_time(p->updated_at, updated, sizeof(updated));
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:s}", "public_key", p->public_key,
	    "address4", p->address4, "address6", p->address6,
	    "block_network", p->block_network, "outbound_cidr_allowlist", p->cidr_allowlist,
	    "connected_at", updated);
}

static int
begin(int argc, char **argv, const char *synopsis, int nargs, struct cli_common *c,
      struct proxy_args *a, struct store **s)
{
	memset(a, 0, sizeof(*a));
	return cli_start(argc, argv, proxy_options, synopsis, c, on_option, a, nargs, s);
}

static int
finish(struct store *s, int rc)
{
	if (rc < 0)
		rc = cli_store_error(s, rc);
	store_close(s);
	return rc;
}

static int
proxy_create(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store_proxy p;
	struct store *s = NULL;
	int rc;

	if ((rc = begin(argc, argv, CREATE_SYNOPSIS, 1, &c, &a, &s)) != CLI_OK)
		return rc;
	if (a.workspace == NULL) {
		store_close(s);
		return cli_usage("--workspace is required; usage: %s", CREATE_SYNOPSIS);
	}
	rc = store_proxy_create(s, argv[optind], a.workspace, a.plan != NULL ? a.plan : "team",
	    &p);
	if (rc == BURROW_OK && c.json)
		rc = cli_print_json(proxy_json(&p));
	else if (rc == BURROW_OK)
		printf("created proxy %s in workspace %s (plan %s)\n", p.name, p.workspace, p.plan);
	return finish(s, rc);
}

static int
proxy_add_ip(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store_proxy_ip_spec spec = { 0 };
	struct store_proxy_ip ip;
	struct store *s = NULL;
	uint16_t port = 0;
	int rc;

	if ((rc = begin(argc, argv, ADDIP_SYNOPSIS, 2, &c, &a, &s)) != CLI_OK)
		return rc;
	if (a.port != NULL && opts_port("--port", a.port, &port) != BURROW_OK) {
		store_close(s);
		return CLI_USAGE;
	}
	spec.address = argv[optind + 1];
	spec.node = a.node;
	spec.peer_cidr4 = a.cidr4;
	spec.listen_port = (uint16_t)port;
	rc = store_proxy_ip_add(s, argv[optind], a.workspace, &spec, &ip);
	if (rc == BURROW_OK && c.json)
		rc = cli_print_json(ip_json(&ip));
	else if (rc == BURROW_OK)
		printf("added %s to proxy %s: port %u, peers %s %s, public key %s\n",
		    ip.address, ip.proxy, ip.listen_port, ip.peer_cidr4, ip.peer_cidr6,
		    ip.public_key);
	return finish(s, rc);
}

static int
proxy_rm_ip(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store *s = NULL;
	int rc;

	if ((rc = begin(argc, argv, RMIP_SYNOPSIS, 2, &c, &a, &s)) != CLI_OK)
		return rc;
	rc = store_proxy_ip_remove(s, argv[optind], a.workspace, argv[optind + 1]);
	if (rc == BURROW_OK && c.json)
		rc = cli_print_json(json_pack("{s:s, s:s, s:b}", "proxy", argv[optind],
		    "address", argv[optind + 1], "removed", 1));
	else if (rc == BURROW_OK)
		printf("removed %s from proxy %s\n", argv[optind + 1], argv[optind]);
	return finish(s, rc);
}

static int
list_one(const struct store_proxy *p, void *ctx)
{
	json_t *array = ctx;

	if (array == NULL) {
		printf("%-24s %-20s %-10s %d IPs, %d peers\n", p->name, p->workspace, p->plan,
		    p->ip_count, p->peer_count);
		return 0;
	}
	return json_array_append_new(array, proxy_json(p)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
proxy_list(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store *s = NULL;
	json_t *array = NULL;
	int rc;

	if ((rc = begin(argc, argv, LIST_SYNOPSIS, 0, &c, &a, &s)) != CLI_OK)
		return rc;
	if (c.json && (array = json_array()) == NULL)
		return finish(s, BURROW_ERR_NOMEM);
	rc = store_proxy_list(s, a.workspace, list_one, array);
	if (rc == BURROW_OK && c.json)
		return finish(s, cli_print_json(array));
	json_decref(array);
	return finish(s, rc);
}

struct show_ctx {
	struct store *s;
	json_t *ips;     /* NULL: text */
	int err;
};

static int
show_peer(const struct store_proxy_peer *p, void *arg)
{
	json_t *peers = arg;

	if (peers == NULL) {
		printf("    peer %s %s %s%s%s%s\n", p->public_key, p->address4, p->address6,
		    p->block_network ? " block_network" : "",
		    p->cidr_allowlist[0] ? " allow " : "", p->cidr_allowlist);
		return 0;
	}
	return json_array_append_new(peers, peer_json(p)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
show_ip(const struct store_proxy_ip *ip, void *arg)
{
	struct show_ctx *ctx = arg;
	json_t *j, *peers;

	if (ctx->ips == NULL) {
		printf("  %s port %u node '%s' peers %s %s key %s\n", ip->address,
		    ip->listen_port, ip->node, ip->peer_cidr4, ip->peer_cidr6, ip->public_key);
		return store_proxy_peer_list(ctx->s, ip->id, show_peer, NULL);
	}
	if ((j = ip_json(ip)) == NULL || (peers = json_array()) == NULL ||
	    json_object_set_new(j, "peer_list", peers) != 0) {
		json_decref(j);
		return BURROW_ERR_NOMEM;
	}
	json_array_append_new(ctx->ips, j);
	return store_proxy_peer_list(ctx->s, ip->id, show_peer, peers);
}

static int
proxy_show(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store_proxy p;
	struct show_ctx ctx = { 0 };
	struct store *s = NULL;
	json_t *j = NULL;
	int rc;

	if ((rc = begin(argc, argv, SHOW_SYNOPSIS, 1, &c, &a, &s)) != CLI_OK)
		return rc;
	if ((rc = store_proxy_get(s, argv[optind], a.workspace, &p)) != BURROW_OK)
		return finish(s, rc);
	ctx.s = s;
	if (c.json) {
		if ((j = proxy_json(&p)) == NULL || (ctx.ips = json_array()) == NULL ||
		    json_object_set_new(j, "ip_list", ctx.ips) != 0) {
			json_decref(j);
			return finish(s, BURROW_ERR_NOMEM);
		}
	} else {
		printf("proxy %s workspace %s plan %s: %d IPs, %d peers\n", p.name, p.workspace,
		    p.plan, p.ip_count, p.peer_count);
	}
	rc = store_proxy_ip_list(s, p.id, NULL, show_ip, &ctx);
	if (rc == BURROW_OK && c.json)
		return finish(s, cli_print_json(j));
	json_decref(j);
	return finish(s, rc);
}

static int
proxy_rm(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store *s = NULL;
	int rc;

	if ((rc = begin(argc, argv, RM_SYNOPSIS, 1, &c, &a, &s)) != CLI_OK)
		return rc;
	rc = store_proxy_remove(s, argv[optind], a.workspace);
	if (rc == BURROW_OK && c.json)
		rc = cli_print_json(json_pack("{s:s, s:b}", "name", argv[optind], "removed", 1));
	else if (rc == BURROW_OK)
		printf("removed proxy %s\n", argv[optind]);
	return finish(s, rc);
}

static int
proxy_connect(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store_proxy_policy pol;
	struct store_proxy_ip ip;
	struct store_proxy_peer peer;
	struct store *s = NULL;
	int rc;

	if ((rc = begin(argc, argv, CONNECT_SYNOPSIS, 1, &c, &a, &s)) != CLI_OK)
		return rc;
	if (a.key == NULL) {
		store_close(s);
		return cli_usage("--public-key is required; usage: %s", CONNECT_SYNOPSIS);
	}
	pol.block_network = a.block;
	pol.cidr_allowlist = a.allow;
	rc = store_proxy_connect(s, argv[optind], a.workspace, a.key, &pol, &ip, &peer);
	if (rc == BURROW_OK && c.json) {
		rc = cli_print_json(exit_client_json(&ip, &peer));
	} else if (rc == BURROW_OK) {
		/* wg-quick form; the workload adds its own private key. */
		printf("# proxy %s (workspace %s) via %s\n[Interface]\n"
		    "Address = %s/32, %s/128\n\n[Peer]\nPublicKey = %s\n"
		    "Endpoint = %s%s%s:%u\nAllowedIPs = 0.0.0.0/0, ::/0\n"
		    "PersistentKeepalive = %d\n", ip.proxy, ip.workspace, ip.address,
		    peer.address4, peer.address6, ip.public_key, ip.family == 6 ? "[" : "",
		    ip.address, ip.family == 6 ? "]" : "", ip.listen_port,
		    STORE_PROXY_KEEPALIVE);
	}
	return finish(s, rc);
}

static int
proxy_disconnect(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store *s = NULL;
	int rc;

	if ((rc = begin(argc, argv, DISCONNECT_SYNOPSIS, 1, &c, &a, &s)) != CLI_OK)
		return rc;
	if (a.key == NULL) {
		store_close(s);
		return cli_usage("--public-key is required; usage: %s", DISCONNECT_SYNOPSIS);
	}
	rc = store_proxy_disconnect(s, argv[optind], a.workspace, a.key);
	if (rc == BURROW_OK && c.json)
		rc = cli_print_json(json_pack("{s:s, s:s, s:b}", "proxy", argv[optind],
		    "public_key", a.key, "disconnected", 1));
	else if (rc == BURROW_OK)
		printf("disconnected %s from proxy %s\n", a.key, argv[optind]);
	return finish(s, rc);
}

static int
proxy_token(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct proxy_args a;
	struct store *s = NULL;
	char token[65];
	int rc, n = 0, create;

	if ((rc = begin(argc, argv, TOKEN_SYNOPSIS, 1, &c, &a, &s)) != CLI_OK)
		return rc;
	create = strcmp(argv[optind], "create") == 0;
	if ((!create && strcmp(argv[optind], "revoke") != 0) || a.workspace == NULL) {
		store_close(s);
		return cli_usage("usage: %s", TOKEN_SYNOPSIS);
	}
	if (create)
		rc = store_proxy_token_create(s, a.workspace, token);
	else
		rc = store_proxy_token_revoke(s, a.workspace, &n);
	if (rc == BURROW_OK && create)
		rc = c.json ? cli_print_json(json_pack("{s:s, s:s}", "workspace", a.workspace,
		    "token", token)) : (printf("%s\n", token), CLI_OK);
	else if (rc == BURROW_OK)
		rc = c.json ? cli_print_json(json_pack("{s:s, s:i}", "workspace", a.workspace,
		    "revoked", n)) : (printf("revoked %d tokens\n", n), CLI_OK);
	return finish(s, rc);
}

int
cmd_proxy(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "create", proxy_create, CREATE_SYNOPSIS },
		{ "add-ip", proxy_add_ip, ADDIP_SYNOPSIS },
		{ "rm-ip", proxy_rm_ip, RMIP_SYNOPSIS },
		{ "list", proxy_list, LIST_SYNOPSIS },
		{ "show", proxy_show, SHOW_SYNOPSIS },
		{ "rm", proxy_rm, RM_SYNOPSIS },
		{ "connect", proxy_connect, CONNECT_SYNOPSIS },
		{ "disconnect", proxy_disconnect, DISCONNECT_SYNOPSIS },
		{ "token", proxy_token, TOKEN_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow proxy");
}
