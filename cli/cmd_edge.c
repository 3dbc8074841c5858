/*
 * cmd_edge.c: burrow edge add|list|rm, the addresses tunnel names resolve to.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"

#define ADD_SYNOPSIS "burrow edge add IP [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow edge add 192.0.2.1")
#define LIST_SYNOPSIS "burrow edge list [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow edge list --json")
#define RM_SYNOPSIS "burrow edge rm IP [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow edge rm 192.0.2.1")

static const struct option edge_options[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

/* add and rm: one address operand, one store call. */
static int
edge_change(int argc, char **argv, const char *synopsis,
            int (*change)(struct store *, const char *), const char *done)
{
	struct cli_common c = { 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, edge_options, synopsis, &c, NULL, NULL, 1, &s)) != CLI_OK)
		return rc;
	rc = change(s, argv[optind]);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:b}", "address", argv[optind], done, 1));
	else
		printf("%s %s\n", done, argv[optind]);
	store_close(s);
	return rc;
}

static int
edge_add(int argc, char **argv)
{
	return edge_change(argc, argv, ADD_SYNOPSIS, store_edge_add, "added");
}

static int
edge_rm(int argc, char **argv)
{
	return edge_change(argc, argv, RM_SYNOPSIS, store_edge_remove, "removed");
}

static int
list_one(const struct store_edge *e, void *ctx)
{
	json_t *array = ctx;

	if (array == NULL) {
		printf("%s\n", e->address);
		return 0;
	}
	return json_array_append_new(array, json_pack("{s:s, s:i}", "address", e->address,
	    "family", e->family)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
walk_edges(struct store *s, json_t *array, void *ctx)
{
	(void)ctx;
	return store_edge_list(s, list_one, array);
}

static int
edge_list(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, edge_options, LIST_SYNOPSIS, &c, NULL, NULL, 0, &s)) != CLI_OK)
		return rc;
	rc = cli_list(s, &c, walk_edges, NULL);
	store_close(s);
	return rc;
}

int
cmd_edge(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "add", edge_add, ADD_SYNOPSIS },
		{ "list", edge_list, LIST_SYNOPSIS },
		{ "rm", edge_rm, RM_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow edge");
}
