/*
 * cmd_zone.c: burrow zone list|show and burrow domain add|list|show|rm.
 * Zones are everything we serve; domains are the customers' zones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/netaddr.h"
#include "domains/delegation.h"

#define ZONE_LIST_SYNOPSIS "burrow zone list [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow zone list --json")
#define ZONE_SHOW_SYNOPSIS "burrow zone show ZONE [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow zone show w.modal.host")
#define DOMAIN_ADD_SYNOPSIS "burrow domain add NAME --workspace W [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow domain add sandbox.example.com --workspace acme")
#define DOMAIN_LIST_SYNOPSIS "burrow domain list [--workspace W] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow domain list --workspace acme --json")
#define DOMAIN_SHOW_SYNOPSIS "burrow domain show NAME [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow domain show sandbox.example.com")
#define DOMAIN_RM_SYNOPSIS "burrow domain rm NAME [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow domain rm sandbox.example.com")
#define DOMAIN_VERIFY_SYNOPSIS \
	"burrow domain verify (NAME | --all) [--root IP] [--port PORT] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow domain verify sandbox.example.com --root 198.41.0.4")
#define DOMAIN_MARK_SYNOPSIS \
	"burrow domain mark NAME delegated|undelegated [--reason TEXT] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow domain mark sandbox.example.com undelegated --reason \"NS moved away\"")

enum { OPT_WORKSPACE = CLI_OPT_FIRST_VERB, OPT_REASON, OPT_ROOT, OPT_PORT, OPT_ALL };

struct zone_args {
	const char *workspace;
	const char *reason;
	const char *root;
	const char *port;
	int all;
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct zone_args *a = ctx;

	switch (opt) {
	case OPT_WORKSPACE: a->workspace = arg; break;
	case OPT_REASON:    a->reason = arg; break;
	case OPT_ROOT:      a->root = arg; break;
	case OPT_PORT:      a->port = arg; break;
	case OPT_ALL:       a->all = 1; break;
	default:            return cli_usage("unexpected option");
	}
	return CLI_OK;
}

static int
collect_ns(const char *host, void *ctx)
{
	return json_array_append_new(ctx, json_string(host)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static json_t *
zone_json(struct store *s, const struct store_zone *z)
{
	char checked[32];
	json_t *ns = json_array();

	if (ns == NULL || store_zone_ns_list(s, z->id, collect_ns, ns) != BURROW_OK) {
		json_decref(ns);
		return NULL;
	}
	cli_format_time(z->checked_at, checked, sizeof(checked));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}",
	    "name", z->name, "kind", z->kind == STORE_ZONE_BASE ? "base" : "custom",
	    "workspace", z->workspace, "state", z->state, "reason", z->reason,
	    "checked_at", checked, "serial", (json_int_t)z->serial, "ns", ns);
}

static void
zone_print(const struct store_zone *z)
{
	printf("%-40s %-6s %-10s serial %-10u %s%s%s\n", z->name,
	    z->kind == STORE_ZONE_BASE ? "base" : "custom", z->state, z->serial,
	    z->workspace, z->reason[0] != '\0' ? " " : "", z->reason);
}

struct list_ctx {
	struct store *s;
	json_t *array;
	const char *workspace;
	int only_custom;
};

static int
list_one(const struct store_zone *z, void *ctx)
{
	struct list_ctx *l = ctx;

	if (l->only_custom && z->kind != STORE_ZONE_CUSTOM)
		return 0;
	if (l->workspace != NULL && strcmp(l->workspace, z->workspace) != 0)
		return 0;
	if (l->array == NULL) {
		zone_print(z);
		return 0;
	}
	return json_array_append_new(l->array, zone_json(l->s, z)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
walk_zones(struct store *s, json_t *array, void *ctx)
{
	struct list_ctx *l = ctx;

	l->array = array;
	return store_zone_list(s, list_one, l);
}

static int
list_zones(int argc, char **argv, const char *synopsis, int only_custom)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "workspace", required_argument, NULL, OPT_WORKSPACE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct zone_args a = { 0 };
	struct list_ctx l = { NULL, NULL, NULL, only_custom };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, opts, synopsis, &c, on_option, &a, 0, &s)) != CLI_OK)
		return rc;
	l.s = s;
	l.workspace = a.workspace;
	rc = cli_list(s, &c, walk_zones, &l);
	store_close(s);
	return rc;
}

static int
show_zone(int argc, char **argv, const char *synopsis)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_common c = { 0 };
	struct zone_args a = { 0 };
	struct store_zone z;
	struct store *s = NULL;
	char canon[NAMES_MAX + 1];
	int rc;

	if ((rc = cli_start(argc, argv, opts, synopsis, &c, on_option, &a, 1, &s)) != CLI_OK)
		return rc;
	if (names_canonical(argv[optind], 0, canon) != BURROW_OK)
		rc = cli_usage("invalid zone name '%s'", argv[optind]);
	else if ((rc = store_zone_get(s, canon, &z)) != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(zone_json(s, &z));
	else
		zone_print(&z);
	store_close(s);
	return rc;
}

static int
zone_list(int argc, char **argv)
{
	return list_zones(argc, argv, ZONE_LIST_SYNOPSIS, 0);
}

static int
zone_show(int argc, char **argv)
{
	return show_zone(argc, argv, ZONE_SHOW_SYNOPSIS);
}

int
cmd_zone(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "list", zone_list, ZONE_LIST_SYNOPSIS },
		{ "show", zone_show, ZONE_SHOW_SYNOPSIS },
		{ "export", cmd_zone_export, ZONE_EXPORT_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow zone");
}

static int
domain_add(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "workspace", required_argument, NULL, OPT_WORKSPACE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct zone_args a = { 0 };
	struct store_zone z;
	struct store *s = NULL;
	char canon[NAMES_MAX + 1];
	int rc;

	if ((rc = cli_parse(argc, argv, opts, DOMAIN_ADD_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if (argc - optind != 1)
		return cli_usage("usage: %s", DOMAIN_ADD_SYNOPSIS);
	if (names_canonical(argv[optind], 0, canon) != BURROW_OK)
		return cli_usage("invalid domain name '%s'", argv[optind]);
	if (a.workspace == NULL || a.workspace[0] == '\0')
		return cli_usage("--workspace W is required; usage: %s", DOMAIN_ADD_SYNOPSIS);
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		return rc;
	rc = store_domain_add(s, canon, a.workspace, &z);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(zone_json(s, &z));
	else
		printf("added %s for workspace %s: %s until its parent delegates it to "
		    "our nameservers\n", z.name, z.workspace, z.state);
	store_close(s);
	return rc;
}

static int
domain_list(int argc, char **argv)
{
	return list_zones(argc, argv, DOMAIN_LIST_SYNOPSIS, 1);
}

static int
domain_show(int argc, char **argv)
{
	return show_zone(argc, argv, DOMAIN_SHOW_SYNOPSIS);
}

static int
domain_rm(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_common c = { 0 };
	struct zone_args a = { 0 };
	struct store *s = NULL;
	char canon[NAMES_MAX + 1];
	int rc;

	if ((rc = cli_start(argc, argv, opts, DOMAIN_RM_SYNOPSIS, &c, on_option, &a, 1, &s)) != CLI_OK)
		return rc;
	if (names_canonical(argv[optind], 0, canon) != BURROW_OK)
		rc = cli_usage("invalid domain name '%s'", argv[optind]);
	else if ((rc = store_domain_remove(s, canon)) != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:b}", "name", canon, "removed", 1));
	else
		printf("removed %s\n", canon);
	store_close(s);
	return rc;
}

#define VERIFY_MAX_NS 16
#define VERIFY_TIMEOUT_MS 2000

struct ns_names {
	char host[VERIFY_MAX_NS][NAMES_MAX + 1];
	const char *ptr[VERIFY_MAX_NS];
	int count;
};

static int
keep_ns(const char *host, void *ctx)
{
	struct ns_names *n = ctx;

	if (n->count == VERIFY_MAX_NS)
		return 0;
	snprintf(n->host[n->count], NAMES_MAX + 1, "%s", host);
	n->ptr[n->count] = n->host[n->count];
	n->count++;
	return 0;
}

/* Where the walk starts and which port every server listens on: options,
 * else the store's settings, else a.root-servers.net on port 53. */
static int
verify_params(struct store *s, const struct zone_args *a, char *root, size_t rootsz,
              unsigned long *port)
{
	char value[16];
	uint16_t p;

	if (a->root != NULL)
		snprintf(root, rootsz, "%s", a->root);
	else if (store_setting_get(s, "delegation_root", "198.41.0.4", root, rootsz) != BURROW_OK)
		return cli_store_error(s, BURROW_ERR_IO);
	if (netaddr_ip_family(root) == 0)
		return cli_usage("--root must be an IP address, not '%s'", root);
	if (a->port != NULL) {
		if (opts_port("--port", a->port, &p) != BURROW_OK)
			return CLI_USAGE;
		*port = p;
		return CLI_OK;
	}
	if (store_setting_get(s, "delegation_port", "53", value, sizeof(value)) != BURROW_OK)
		return cli_store_error(s, BURROW_ERR_IO);
	if (opts_parse_uint(value, 1, 65535, port) != BURROW_OK)
		return cli_usage("the stored delegation_port '%s' is not a port", value);
	return CLI_OK;
}

/* Checks one domain and stores the result; *result (caller's) says what
 * was found.  CLI_OK only for a verified delegation. */
static int
verify_zone(struct store *s, const struct zone_args *a, const struct store_zone *z,
            json_t **result)
{
	struct delegation_params p;
	struct delegation_result r;
	struct ns_names ns = { .count = 0 };
	char root[64];
	unsigned long port;
	const char *state;
	int rc;

	if ((rc = verify_params(s, a, root, sizeof(root), &port)) != CLI_OK)
		return rc;
	if ((rc = store_zone_ns_list(s, z->id, keep_ns, &ns)) != BURROW_OK)
		return cli_store_error(s, rc);
	p.name = z->name;
	p.ns = ns.ptr;
	p.ns_count = ns.count;
	p.root = root;
	p.port = (uint16_t)port;
	p.timeout_ms = VERIFY_TIMEOUT_MS;
	if ((rc = delegation_check(&p, &r)) != BURROW_OK) {
		*result = json_pack("{s:s, s:s, s:s}", "name", z->name, "state", z->state,
		    "error", r.reason);
		return cli_fail("cannot verify %s: %s", z->name, r.reason);
	}
	state = delegation_state_name(r.state);
	if ((rc = store_domain_set_state(s, z->name, state, r.reason)) != BURROW_OK)
		return cli_store_error(s, rc);
	*result = json_pack("{s:s, s:s, s:s}", "name", z->name, "state", state,
	    "reason", r.reason);
	return r.state == DELEGATION_DELEGATED ? CLI_OK : CLI_FAILURE;
}

static void
print_result(json_t *result)
{
	const char *reason = json_string_value(json_object_get(result, "reason"));

	if (reason != NULL)
		printf("%s: %s\n", json_string_value(json_object_get(result, "name")), reason);
}

static int
collect_custom(const struct store_zone *z, void *ctx)
{
	if (z->kind != STORE_ZONE_CUSTOM)
		return 0;
	return json_array_append_new(ctx, json_string(z->name)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

/* Verifies each name in names (a JSON array of strings), one line or one
 * object each; CLI_OK only if every one is delegated. */
static int
verify_names(struct store *s, const struct cli_common *c, const struct zone_args *a,
             json_t *names)
{
	json_t *results = json_array(), *result;
	struct store_zone z;
	size_t i;
	int rc, worst = CLI_OK;

	for (i = 0; results != NULL && i < json_array_size(names); i++) {
		const char *name = json_string_value(json_array_get(names, i));

		result = NULL;
		if ((rc = store_zone_get(s, name, &z)) != BURROW_OK)
			rc = cli_store_error(s, rc);
		else if (z.kind != STORE_ZONE_CUSTOM)
			rc = cli_fail("%s is the base zone, not a customer domain", name);
		else
			rc = verify_zone(s, a, &z, &result);
		if (rc > worst)
			worst = rc;
		if (result == NULL)
			continue;
		if (!c->json)
			print_result(result);
		json_array_append_new(results, result);
	}
	if (results == NULL)
		return cli_fail("out of memory");
	if (c->json && (a->all || json_array_size(results) > 0))
		cli_print_json(a->all ? json_incref(results)
		    : json_incref(json_array_get(results, 0)));
	json_decref(results);
	return worst;
}

/* Asks the parent zone whether NAME is delegated to our NS set and stores
 * the answer; exit 0 only when it is. */
static int
domain_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "all", no_argument, NULL, OPT_ALL },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct zone_args a = { 0 };
	struct store *s = NULL;
	char canon[NAMES_MAX + 1];
	json_t *names = NULL;
	int rc;

	if ((rc = cli_parse(argc, argv, opts, DOMAIN_VERIFY_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if (argc - optind != (a.all ? 0 : 1))
		return cli_usage("usage: %s", DOMAIN_VERIFY_SYNOPSIS);
	if (!a.all && names_canonical(argv[optind], 0, canon) != BURROW_OK)
		return cli_usage("invalid domain name '%s'", argv[optind]);
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		return rc;
	if ((names = json_array()) == NULL) {
		rc = cli_fail("out of memory");
		goto out;
	}
	rc = a.all ? store_zone_list(s, collect_custom, names)
	    : json_array_append_new(names, json_string(canon));
	rc = rc == 0 ? verify_names(s, &c, &a, names) : cli_store_error(s, rc);
out:
	json_decref(names);
	store_close(s);
	return rc;
}

/* An operator's override of the delegation check, for a delegation verified
 * by other means (or withdrawn): tunnels need 'delegated'. */
static int
domain_mark(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "reason", required_argument, NULL, OPT_REASON },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct zone_args a = { 0 };
	struct store *s = NULL;
	char canon[NAMES_MAX + 1];
	const char *state;
	int rc;

	if ((rc = cli_parse(argc, argv, opts, DOMAIN_MARK_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if (argc - optind != 2)
		return cli_usage("usage: %s", DOMAIN_MARK_SYNOPSIS);
	state = argv[optind + 1];
	if (strcmp(state, "delegated") != 0 && strcmp(state, "undelegated") != 0)
		return cli_usage("state must be delegated or undelegated, not '%s'", state);
	if (names_canonical(argv[optind], 0, canon) != BURROW_OK)
		return cli_usage("invalid domain name '%s'", argv[optind]);
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		return rc;
	rc = store_domain_set_state(s, canon, state,
	    a.reason != NULL ? a.reason : "set by operator");
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:s}", "name", canon, "state", state));
	else
		printf("%s is now %s\n", canon, state);
	store_close(s);
	return rc;
}

int
cmd_domain(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "add", domain_add, DOMAIN_ADD_SYNOPSIS },
		{ "list", domain_list, DOMAIN_LIST_SYNOPSIS },
		{ "show", domain_show, DOMAIN_SHOW_SYNOPSIS },
		{ "rm", domain_rm, DOMAIN_RM_SYNOPSIS },
		{ "verify", domain_verify, DOMAIN_VERIFY_SYNOPSIS },
		{ "mark", domain_mark, DOMAIN_MARK_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow domain");
}
