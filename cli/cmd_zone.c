/*
 * cmd_zone.c: burrow zone list|show and burrow domain add|list|show|rm.
 * Zones are everything we serve; domains are the customers' zones.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"

#define ZONE_LIST_SYNOPSIS "burrow zone list [--db PATH] [--json]"
#define ZONE_SHOW_SYNOPSIS "burrow zone show ZONE [--db PATH] [--json]"
#define DOMAIN_ADD_SYNOPSIS "burrow domain add NAME --workspace W [--db PATH] [--json]"
#define DOMAIN_LIST_SYNOPSIS "burrow domain list [--workspace W] [--db PATH] [--json]"
#define DOMAIN_SHOW_SYNOPSIS "burrow domain show NAME [--db PATH] [--json]"
#define DOMAIN_RM_SYNOPSIS "burrow domain rm NAME [--db PATH] [--json]"
#define DOMAIN_MARK_SYNOPSIS \
	"burrow domain mark NAME delegated|undelegated [--reason TEXT] [--db PATH] [--json]"

enum { OPT_WORKSPACE = CLI_OPT_FIRST_VERB, OPT_REASON };

struct zone_args {
	const char *workspace;
	const char *reason;
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct zone_args *a = ctx;

	if (opt == OPT_WORKSPACE)
		a->workspace = arg;
	else if (opt == OPT_REASON)
		a->reason = arg;
	else
		return cli_usage("unexpected option");
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
	if (c.json && (l.array = json_array()) == NULL) {
		store_close(s);
		return cli_fail("out of memory");
	}
	rc = store_zone_list(s, list_one, &l);
	if (rc != BURROW_OK) {
		json_decref(l.array);
		rc = cli_store_error(s, rc);
	} else if (c.json) {
		rc = cli_print_json(l.array);
	}
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
		{ "mark", domain_mark, DOMAIN_MARK_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow domain");
}
