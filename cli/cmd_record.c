/*
 * cmd_record.c: burrow record add|list|rm, the extra records of a zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"

#define ADD_SYNOPSIS \
	"burrow record add NAME TYPE [--ttl SECONDS] DATA... [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow record add w.modal.host TXT --ttl 300 \"v=spf1 -all\"")
#define LIST_SYNOPSIS "burrow record list [--zone ZONE] [--name NAME] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow record list --zone w.modal.host --json")
#define RM_SYNOPSIS "burrow record rm (ID | NAME TYPE [DATA...]) [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow record rm w.modal.host TXT")
#define RECORD_DEFAULT_TTL 60

enum { OPT_TTL = CLI_OPT_FIRST_VERB, OPT_ZONE, OPT_NAME };

struct record_args {
	const char *ttl, *zone, *name;
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct record_args *a = ctx;

	switch (opt) {
	case OPT_TTL:  a->ttl = arg; break;
	case OPT_ZONE: a->zone = arg; break;
	case OPT_NAME: a->name = arg; break;
	default:       return cli_usage("unexpected option");
	}
	return CLI_OK;
}

static json_t *
record_json(const struct store_record *r)
{
	return json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)r->id,
	    "name", r->name, "type", r->type, "ttl", (json_int_t)r->ttl, "data", r->rdata);
}

static void
record_print(const struct store_record *r)
{
	printf("%-6lld %s. %u IN %s %s\n", (long long)r->id, r->name, r->ttl, r->type, r->rdata);
}

/* Joins argv[from..argc) with spaces: the record data as typed. */
static char *
join_args(int argc, char **argv, int from)
{
	size_t len = 1;
	char *out;
	int i;

	for (i = from; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((out = malloc(len)) == NULL)
		return NULL;
	out[0] = '\0';
	for (i = from; i < argc; i++) {
		if (i > from)
			strcat(out, " ");
		strcat(out, argv[i]);
	}
	return out;
}

static int
record_add(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct record_args a = { 0 };
	struct store_record r;
	struct store *s = NULL;
	int ttl = RECORD_DEFAULT_TTL;
	char *data = NULL;
	int rc;

	if ((rc = cli_parse(argc, argv, opts, ADD_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if (argc - optind < 3)
		return cli_usage("usage: %s", ADD_SYNOPSIS);
	if (a.ttl != NULL &&
	    opts_duration("--ttl", a.ttl, OPTS_S, 0, 2147483647, &ttl) != BURROW_OK)
		return CLI_USAGE;
	if ((data = join_args(argc, argv, optind + 2)) == NULL)
		return cli_fail("out of memory");
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		goto out;
	rc = store_record_add(s, argv[optind], argv[optind + 1], (uint32_t)ttl, data, &r);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(record_json(&r));
	else
		record_print(&r);
out:
	free(data);
	store_close(s);
	return rc;
}

struct list_ctx {
	json_t *array;
	int64_t zone_id;
	const char *name;
};

static int
list_one(const struct store_record *r, void *ctx)
{
	struct list_ctx *l = ctx;

	if (l->array == NULL) {
		record_print(r);
		return 0;
	}
	return json_array_append_new(l->array, record_json(r)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
walk_records(struct store *s, json_t *array, void *ctx)
{
	struct list_ctx *l = ctx;

	l->array = array;
	return store_record_list(s, l->zone_id, l->name, list_one, l);
}

static int
record_list(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "name", required_argument, NULL, OPT_NAME },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct record_args a = { 0 };
	struct list_ctx l = { NULL, 0, NULL };
	struct store_zone z = { 0 };
	struct store *s = NULL;
	char name[NAMES_MAX + 1];
	int rc;

	if ((rc = cli_start(argc, argv, opts, LIST_SYNOPSIS, &c, on_option, &a, 0, &s)) != CLI_OK)
		return rc;
	if (a.name != NULL && names_canonical(a.name, 1, name) != BURROW_OK) {
		rc = cli_usage("invalid name '%s'", a.name);
		goto out;
	}
	if (a.zone != NULL && (rc = store_zone_get(s, a.zone, &z)) != BURROW_OK) {
		rc = cli_store_error(s, rc);
		goto out;
	}
	l.zone_id = z.id;
	l.name = a.name != NULL ? name : NULL;
	rc = cli_list(s, &c, walk_records, &l);
out:
	store_close(s);
	return rc;
}

static int
record_rm(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_common c = { 0 };
	struct store *s = NULL;
	unsigned long id;
	char *data = NULL;
	int rc, nargs, removed = 1;

	if ((rc = cli_parse(argc, argv, opts, RM_SYNOPSIS, &c, NULL, NULL)) != CLI_OK)
		return rc;
	nargs = argc - optind;
	if (nargs == 1 && opts_parse_uint(argv[optind], 1, 0x7fffffffUL, &id) != BURROW_OK)
		return cli_usage("'%s' is not a record id; usage: %s", argv[optind], RM_SYNOPSIS);
	if (nargs < 1)
		return cli_usage("usage: %s", RM_SYNOPSIS);
	if (nargs > 2 && (data = join_args(argc, argv, optind + 2)) == NULL)
		return cli_fail("out of memory");
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		goto out;
	if (nargs == 1)
		rc = store_record_remove(s, (int64_t)id);
	else
		rc = store_record_remove_match(s, argv[optind], argv[optind + 1], data, &removed);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:i}", "removed", removed));
	else
		printf("removed %d record(s)\n", removed);
out:
	free(data);
	store_close(s);
	return rc;
}

int
cmd_record(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "add", record_add, ADD_SYNOPSIS },
		{ "list", record_list, LIST_SYNOPSIS },
		{ "rm", record_rm, RM_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow record");
}
