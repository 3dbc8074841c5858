/*
 * cmd_tsig.c: burrow tsig add|list|rm, keys for zone transfers and NOTIFY.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "db/store_tsig.h"

#define ADD_SYNOPSIS "burrow tsig add NAME [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow tsig add xfr")
#define LIST_SYNOPSIS "burrow tsig list [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow tsig list --json")
#define RM_SYNOPSIS "burrow tsig rm NAME [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow tsig rm xfr")

static const struct option tsig_options[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

/* The forms operators paste: dig's -y and the NSD and Knot key clauses. */
static json_t *
tsig_json(const struct store_tsig *k)
{
	char dig[sizeof(k->algorithm) + sizeof(k->name) + sizeof(k->secret) + 2];

	snprintf(dig, sizeof(dig), "%s:%s:%s", k->algorithm, k->name, k->secret);
	return json_pack("{s:s, s:s, s:s, s:s}", "name", k->name, "algorithm", k->algorithm,
	    "secret", k->secret, "dig", dig);
}

static void
tsig_print(const struct store_tsig *k)
{
	printf("key %s\n", k->name);
	printf("  dig -y %s:%s:%s\n", k->algorithm, k->name, k->secret);
	printf("  nsd.conf:  key: { name: \"%s\" algorithm: %s secret: \"%s\" }\n",
	    k->name, k->algorithm, k->secret);
	printf("  knot.conf: key: [ { id: %s, algorithm: %s, secret: %s } ]\n",
	    k->name, k->algorithm, k->secret);
}

static int
tsig_add(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct store_tsig k;
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, tsig_options, ADD_SYNOPSIS, &c, NULL, NULL, 1, &s)) != CLI_OK)
		return rc;
	rc = store_tsig_add(s, argv[optind], &k);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(tsig_json(&k));
	else
		tsig_print(&k);
	store_close(s);
	return rc;
}

static int
list_one(const struct store_tsig *k, void *ctx)
{
	json_t *array = ctx;

	if (array == NULL) {
		printf("%-40s %s\n", k->name, k->algorithm);
		return 0;
	}
	return json_array_append_new(array, tsig_json(k)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
walk_keys(struct store *s, json_t *array, void *ctx)
{
	(void)ctx;
	return store_tsig_list(s, list_one, array);
}

static int
tsig_list(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, tsig_options, LIST_SYNOPSIS, &c, NULL, NULL, 0, &s)) != CLI_OK)
		return rc;
	rc = cli_list(s, &c, walk_keys, NULL);
	store_close(s);
	return rc;
}

static int
tsig_rm(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, tsig_options, RM_SYNOPSIS, &c, NULL, NULL, 1, &s)) != CLI_OK)
		return rc;
	rc = store_tsig_remove(s, argv[optind]);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:b}", "name", argv[optind], "removed", 1));
	else
		printf("removed key %s\n", argv[optind]);
	store_close(s);
	return rc;
}

int
cmd_tsig(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "add", tsig_add, ADD_SYNOPSIS },
		{ "list", tsig_list, LIST_SYNOPSIS },
		{ "rm", tsig_rm, RM_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow tsig");
}
