/*
 * cmd_apikey.c: burrow apikey create|list|rm, the workspace keys burrow-api
 * and the exit agent's API take as "Authorization: Bearer KEY".
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "db/store_apikey.h"

#define CREATE_SYNOPSIS "burrow apikey create --workspace W [--db PATH] [--json]"
#define LIST_SYNOPSIS "burrow apikey list [--workspace W] [--db PATH] [--json]"
#define RM_SYNOPSIS "burrow apikey rm KEY_ID | --workspace W [--db PATH] [--json]"

enum { OPT_WORKSPACE = CLI_OPT_FIRST_VERB };

struct apikey_args {
	const char *workspace;
};

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	{ "workspace", required_argument, NULL, OPT_WORKSPACE },
	{ NULL, 0, NULL, 0 },
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct apikey_args *a = ctx;

	if (opt != OPT_WORKSPACE)
		return cli_usage("unexpected option");
	a->workspace = arg;
	return CLI_OK;
}

static int
apikey_create(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct apikey_args a = { 0 };
	struct store_apikey k;
	char key[STORE_APIKEY_LEN + 1];
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, opts, CREATE_SYNOPSIS, &c, on_option, &a, 0, &s)) != CLI_OK)
		return rc;
	if (!store_apikey_workspace_valid(a.workspace)) {
		store_close(s);
		return cli_usage("--workspace W (1-63 printable characters) is required; usage: %s",
		    CREATE_SYNOPSIS);
	}
	rc = store_apikey_create(s, a.workspace, key, &k);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:s, s:s}", "workspace", k.workspace,
		    "key", key, "key_id", k.key_id));
	else
		printf("%s\n", key);
	OPENSSL_cleanse(key, sizeof(key));
	store_close(s);
	return rc;
}

static int
list_one(const struct store_apikey *k, void *ctx)
{
	json_t *array = ctx;
	char created[32];

	cli_format_time(k->created_at, created, sizeof(created));
	if (array != NULL)
		json_array_append_new(array, json_pack("{s:s, s:s, s:s}", "key_id", k->key_id,
		    "workspace", k->workspace, "created_at", created));
	else
		printf("%-12s %-32s %s\n", k->key_id, k->workspace, created);
	return 0;
}

static int
walk_keys(struct store *s, json_t *array, void *ctx)
{
	const struct apikey_args *a = ctx;

	return store_apikey_list(s, a->workspace, list_one, array);
}

static int
apikey_list(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct apikey_args a = { 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, opts, LIST_SYNOPSIS, &c, on_option, &a, 0, &s)) != CLI_OK)
		return rc;
	rc = cli_list(s, &c, walk_keys, &a);
	store_close(s);
	return rc;
}

static int
apikey_rm(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct apikey_args a = { 0 };
	struct store *s = NULL;
	int rc, n = 1;

	if ((rc = cli_parse(argc, argv, opts, RM_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if ((argc - optind == 1) == (a.workspace != NULL))
		return cli_usage("give a KEY_ID or --workspace W; usage: %s", RM_SYNOPSIS);
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		return rc;
	rc = a.workspace != NULL ? store_apikey_revoke(s, a.workspace, &n)
	    : store_apikey_remove(s, argv[optind]);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:i}", "removed", n));
	else
		printf("removed %d key%s\n", n, n == 1 ? "" : "s");
	store_close(s);
	return rc;
}

int
cmd_apikey(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "create", apikey_create, CREATE_SYNOPSIS },
		{ "list", apikey_list, LIST_SYNOPSIS },
		{ "rm", apikey_rm, RM_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow apikey");
}
