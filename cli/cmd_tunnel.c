/*
 * cmd_tunnel.c: burrow tunnel create|list|show|rm|reap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_json.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/netaddr.h"

#define CREATE_SYNOPSIS \
	"burrow tunnel create --target HOST:PORT [--kind tls|h2|tcp] [--zone ZONE] " \
	"[--workspace W] [--connect-token] [--sandbox S] [--lease-seconds N] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow tunnel create --target 10.0.0.5:8000 --kind h2 --sandbox sb-1 --lease-seconds 60 --json")
#define LIST_SYNOPSIS "burrow tunnel list [--zone ZONE] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow tunnel list --zone w.modal.host --json")
#define SHOW_SYNOPSIS "burrow tunnel show HOSTNAME [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow tunnel show wtqcahqwhd4tu0.w.modal.host")
#define RM_SYNOPSIS "burrow tunnel rm HOSTNAME [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow tunnel rm wtqcahqwhd4tu0.w.modal.host")
#define REAP_SYNOPSIS "burrow tunnel reap [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow tunnel reap --json")

/* A lease longer than a year is a tunnel that should not have one. */
#define LEASE_MAX (366UL * 86400)

enum { OPT_TARGET = CLI_OPT_FIRST_VERB, OPT_KIND, OPT_ZONE, OPT_WORKSPACE, OPT_CONNECT_TOKEN,
       OPT_SANDBOX, OPT_LEASE };

struct tunnel_args {
	const char *target, *kind, *zone, *workspace, *sandbox, *lease;
	int connect_token;
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct tunnel_args *a = ctx;

	switch (opt) {
	case OPT_TARGET:    a->target = arg; break;
	case OPT_KIND:      a->kind = arg; break;
	case OPT_ZONE:      a->zone = arg; break;
	case OPT_WORKSPACE: a->workspace = arg; break;
	case OPT_CONNECT_TOKEN: a->connect_token = 1; break;
	case OPT_SANDBOX:   a->sandbox = arg; break;
	case OPT_LEASE:     a->lease = arg; break;
	default:            return cli_usage("unexpected option");
	}
	return CLI_OK;
}

static void
tunnel_print(struct store *s, const struct store_tunnel *t)
{
	char url[NAMES_MAX + 32], target[NAMES_MAX + 16];

	api_tunnel_url(t, api_tunnel_port(s, t), url, sizeof(url));
	api_tunnel_target(t, target, sizeof(target));
	printf("%-40s %-4s %-48s -> %s%s%s%s\n", t->hostname, store_tunnel_kind_name(t->kind),
	    url, target, t->connect_token ? " (connect token)" : "",
	    t->sandbox[0] != '\0' ? " sandbox " : "", t->sandbox);
}

static int
tunnel_create(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "workspace", required_argument, NULL, OPT_WORKSPACE },
		{ "connect-token", no_argument, NULL, OPT_CONNECT_TOKEN },
		{ "sandbox", required_argument, NULL, OPT_SANDBOX },
		{ "lease-seconds", required_argument, NULL, OPT_LEASE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct tunnel_args a = { 0 };
	unsigned long lease = 0;
	struct netaddr_hostport target;
	struct store_tunnel_spec spec;
	struct store_tunnel_place place = { NULL, 0 };
	struct store_tunnel t;
	struct store *s = NULL;
	int rc;

	memset(&spec, 0, sizeof(spec));
	if ((rc = cli_parse(argc, argv, opts, CREATE_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if (optind != argc)
		return cli_usage("unexpected argument '%s'; usage: %s", argv[optind], CREATE_SYNOPSIS);
	if (a.target == NULL)
		return cli_usage("--target HOST:PORT is required; usage: %s", CREATE_SYNOPSIS);
	if (netaddr_parse_hostport(a.target, &target) != BURROW_OK)
		return cli_usage("invalid --target '%s': want HOST:PORT with port 1-65535", a.target);
	if (a.kind != NULL && store_tunnel_kind_parse(a.kind, &spec.kind) != BURROW_OK)
		return cli_usage("invalid --kind '%s': want tls, h2 or tcp", a.kind);
	if (spec.kind == STORE_TUNNEL_TCP && a.connect_token)
		return cli_usage("--connect-token needs an HTTP tunnel (--kind tls or h2), not tcp");
	if (a.lease != NULL && opts_parse_uint(a.lease, 1, LEASE_MAX, &lease) != BURROW_OK)
		return cli_usage("invalid --lease-seconds '%s': want 1-%lu", a.lease, LEASE_MAX);
	if (a.sandbox != NULL && (a.sandbox[0] == '\0' || a.workspace == NULL))
		return cli_usage("--sandbox needs a name and --workspace");
	spec.zone = a.zone;
	place.sandbox = a.sandbox;
	spec.expires_at = lease != 0 ? (int64_t)time(NULL) + (int64_t)lease : 0;
	spec.target_host = target.host;
	spec.target_port = target.port;
	spec.workspace = a.workspace;
	spec.connect_token = a.connect_token;
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		return rc;
	rc = store_tunnel_put(s, &spec, &place, (int64_t)time(NULL), &t, NULL);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(api_tunnel_json(s, &t));
	else
		tunnel_print(s, &t);
	store_close(s);
	return rc;
}

struct list_ctx {
	struct store *s;
	json_t *array;
	int64_t zone_id;
};

static int
list_one(const struct store_tunnel *t, void *ctx)
{
	struct list_ctx *l = ctx;

	if (l->array != NULL)
		json_array_append_new(l->array, api_tunnel_json(l->s, t));
	else
		tunnel_print(l->s, t);
	return 0;
}

static int
walk_tunnels(struct store *s, json_t *array, void *ctx)
{
	struct list_ctx *l = ctx;

	l->array = array;
	return store_tunnel_list(s, l->zone_id, list_one, l);
}

static int
tunnel_list(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct tunnel_args a = { 0 };
	struct store_zone z = { 0 };
	struct list_ctx l = { NULL, NULL, 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, opts, LIST_SYNOPSIS, &c, on_option, &a, 0, &s)) != CLI_OK)
		return rc;
	l.s = s;
	if (a.zone != NULL && (rc = store_zone_get(s, a.zone, &z)) != BURROW_OK) {
		rc = cli_store_error(s, rc);
		goto out;
	}
	l.zone_id = z.id;
	rc = cli_list(s, &c, walk_tunnels, &l);
out:
	store_close(s);
	return rc;
}

static int
tunnel_show(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_common c = { 0 };
	struct tunnel_args a = { 0 };
	struct store_tunnel t;
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, opts, SHOW_SYNOPSIS, &c, on_option, &a, 1, &s)) != CLI_OK)
		return rc;
	rc = store_tunnel_get(s, argv[optind], &t);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(api_tunnel_json(s, &t));
	else
		tunnel_print(s, &t);
	store_close(s);
	return rc;
}

static int
tunnel_rm(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_common c = { 0 };
	struct tunnel_args a = { 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, opts, RM_SYNOPSIS, &c, on_option, &a, 1, &s)) != CLI_OK)
		return rc;
	rc = store_tunnel_remove(s, argv[optind]);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:b}", "hostname", argv[optind], "removed", 1));
	else
		printf("removed %s\n", argv[optind]);
	store_close(s);
	return rc;
}

static int
tunnel_reap(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_common c = { 0 };
	struct tunnel_args a = { 0 };
	struct store *s = NULL;
	int rc, n = 0;

	if ((rc = cli_start(argc, argv, opts, REAP_SYNOPSIS, &c, on_option, &a, 0, &s)) != CLI_OK)
		return rc;
	rc = store_tunnel_reap(s, (int64_t)time(NULL), &n);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:i}", "removed", n));
	else
		printf("removed %d expired tunnel%s\n", n, n == 1 ? "" : "s");
	store_close(s);
	return rc;
}

int
cmd_tunnel(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "create", tunnel_create, CREATE_SYNOPSIS },
		{ "list", tunnel_list, LIST_SYNOPSIS },
		{ "show", tunnel_show, SHOW_SYNOPSIS },
		{ "rm", tunnel_rm, RM_SYNOPSIS },
		{ "reap", tunnel_reap, REAP_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow tunnel");
}
