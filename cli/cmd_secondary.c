/*
 * cmd_secondary.c: burrow secondary add|list|rm, the nameservers (NSD, Knot,
 * BIND) that burrow-dns notifies and lets transfer every zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "db/store_secondary.h"

#define ADD_SYNOPSIS "burrow secondary add ADDR[:PORT] --key NAME [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow secondary add 192.0.2.53 --key xfr")
#define LIST_SYNOPSIS "burrow secondary list [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow secondary list --json")
#define RM_SYNOPSIS "burrow secondary rm ADDR[:PORT] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow secondary rm 192.0.2.53")
#define SECONDARY_DEFAULT_PORT 53

enum { OPT_KEY = CLI_OPT_FIRST_VERB };

static const struct option plain_options[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
static const struct option add_options[] = {
	CLI_COMMON_OPTIONS,
	{ "key", required_argument, NULL, OPT_KEY },
	{ NULL, 0, NULL, 0 },
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	if (opt != OPT_KEY)
		return cli_usage("unexpected option");
	*(const char **)ctx = arg;
	return CLI_OK;
}

/* Splits "1.2.3.4", "1.2.3.4:53", "::1" or "[::1]:53" into an address and
 * a port (53 if absent). */
static int
parse_target(const char *in, char *addr, size_t addrsz, uint16_t *port)
{
	return opts_parse_addr_port(in, SECONDARY_DEFAULT_PORT, addr, addrsz, port);
}

static json_t *
secondary_json(const struct store_secondary *sec)
{
	return json_pack("{s:s, s:i, s:s, s:s}", "address", sec->address, "port", (int)sec->port,
	    "key", sec->key.name, "algorithm", sec->key.algorithm);
}

static int
secondary_add(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct store_secondary sec;
	struct store *s = NULL;
	const char *key = NULL;
	char addr[64];
	uint16_t port;
	int rc;

	if ((rc = cli_start(argc, argv, add_options, ADD_SYNOPSIS, &c, on_option, &key, 1, &s))
	    != CLI_OK)
		return rc;
	if (key == NULL) {
		rc = cli_usage("--key NAME is required (create one with 'burrow tsig add NAME')");
		goto out;
	}
	if (parse_target(argv[optind], addr, sizeof(addr), &port) != BURROW_OK) {
		rc = cli_usage("'%s' is not ADDR[:PORT]", argv[optind]);
		goto out;
	}
	rc = store_secondary_add(s, addr, port, key, &sec);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(secondary_json(&sec));
	else
		printf("added secondary %s port %u (key %s)\n", sec.address, (unsigned)sec.port,
		    sec.key.name);
out:
	store_close(s);
	return rc;
}

static int
list_one(const struct store_secondary *sec, void *ctx)
{
	json_t *array = ctx;

	if (array == NULL) {
		printf("%-40s %-5u %s\n", sec->address, (unsigned)sec->port, sec->key.name);
		return 0;
	}
	return json_array_append_new(array, secondary_json(sec)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
walk_secondaries(struct store *s, json_t *array, void *ctx)
{
	(void)ctx;
	return store_secondary_list(s, list_one, array);
}

static int
secondary_list(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, plain_options, LIST_SYNOPSIS, &c, NULL, NULL, 0, &s))
	    != CLI_OK)
		return rc;
	rc = cli_list(s, &c, walk_secondaries, NULL);
	store_close(s);
	return rc;
}

static int
secondary_rm(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct store *s = NULL;
	char addr[64];
	uint16_t port;
	int rc;

	if ((rc = cli_start(argc, argv, plain_options, RM_SYNOPSIS, &c, NULL, NULL, 1, &s))
	    != CLI_OK)
		return rc;
	if (parse_target(argv[optind], addr, sizeof(addr), &port) != BURROW_OK) {
		rc = cli_usage("'%s' is not ADDR[:PORT]", argv[optind]);
		goto out;
	}
	rc = store_secondary_remove(s, addr, port);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:i, s:b}", "address", addr, "port", (int)port,
		    "removed", 1));
	else
		printf("removed secondary %s port %u\n", addr, (unsigned)port);
out:
	store_close(s);
	return rc;
}

int
cmd_secondary(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "add", secondary_add, ADD_SYNOPSIS },
		{ "list", secondary_list, LIST_SYNOPSIS },
		{ "rm", secondary_rm, RM_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow secondary");
}
