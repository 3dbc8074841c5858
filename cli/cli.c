/*
 * cli.c: option parsing, store opening and output shared by every verb.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/error.h"
#include "common/version.h"

/* One line, whatever the message holds: a synopsis's example line or a
 * newline inside an argument never makes an error two lines. */
static void
vreport(const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "burrow: %.*s\n", (int)strcspn(line, "\n"), line);
}

int
cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	return CLI_FAILURE;
}

int
cli_store_error(struct store *s, int err)
{
	const char *detail = store_errmsg(s);

	if (detail == NULL || detail[0] == '\0')
		detail = burrow_strerror(err);
	return err == BURROW_ERR_INVALID ? cli_usage("%s", detail) : cli_fail("%s", detail);
}

int
cli_common_option(int opt, const char *arg, struct cli_common *c, int *help)
{
	switch (opt) {
	case CLI_OPT_DB:
		c->db = arg;
		return 1;
	case CLI_OPT_JSON:
		c->json = 1;
		return 1;
	case CLI_OPT_HELP:
		*help = 1;
		return 1;
	}
	return 0;
}

int
cli_parse(int argc, char **argv, const struct option *longopts,
          const char *synopsis, struct cli_common *c,
          cli_option_fn on_opt, void *ctx)
{
	int opt, help = 0, rc;

	if (c->db == NULL)
		c->db = getenv("BURROW_DB");
	if (c->db == NULL || c->db[0] == '\0')
		c->db = "burrow.db";
	/* "+" stops at the first operand only where a verb has sub-verbs;
	 * plain verbs permute so options may follow operands. */
	/* 0, not 1: GNU getopt then drops state left by an earlier parse. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			if (optopt != 0)
				return cli_usage("option needs a value or is unknown; usage: %s",
				    synopsis);
			return cli_usage("unknown option '%s'; usage: %s",
			    argv[optind - 1], synopsis);
		}
		if (cli_common_option(opt, optarg, c, &help))
			continue;
		if (on_opt == NULL)
			return cli_usage("usage: %s", synopsis);
		if ((rc = on_opt(opt, optarg, ctx)) != CLI_OK)
			return rc;
	}
	if (help) {
		printf("usage: %s\n", synopsis);
		exit(CLI_OK);
	}
	return CLI_OK;
}

int
cli_start(int argc, char **argv, const struct option *longopts, const char *synopsis,
          struct cli_common *c, cli_option_fn on_opt, void *ctx, int nargs,
          struct store **s)
{
	int rc = cli_parse(argc, argv, longopts, synopsis, c, on_opt, ctx);

	if (rc != CLI_OK)
		return rc;
	if (argc - optind != nargs)
		return cli_usage("usage: %s", synopsis);
	return cli_open_store(c, 0, s);
}

int
cli_open_store(const struct cli_common *c, int create, struct store **out)
{
	char err[600];
	int rc;

	rc = store_open(c->db, create ? STORE_CREATE : 0, out, err, sizeof(err));
	if (rc != BURROW_OK)
		return cli_fail("%s", err);
	return CLI_OK;
}

int
cli_print_json(json_t *j)
{
	if (j == NULL)
		return cli_fail("out of memory");
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
	return CLI_OK;
}

int
cli_list(struct store *s, const struct cli_common *c, cli_walk_fn walk, void *ctx)
{
	json_t *array = NULL;
	int rc;

	if (c->json && (array = json_array()) == NULL)
		return cli_fail("out of memory");
	if ((rc = walk(s, array, ctx)) != BURROW_OK) {
		json_decref(array);
		return cli_store_error(s, rc);
	}
	return c->json ? cli_print_json(array) : CLI_OK;
}

void
cli_format_time(int64_t t, char *out, size_t outsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, outsz, "-");
		return;
	}
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
print_synopses(FILE *f, const struct cli_verb *table)
{
	for (; table->name != NULL; table++)
		fprintf(f, "  %.*s\n", (int)strcspn(table->synopsis, "\n"), table->synopsis);
}

static const struct cli_verb *
verb_named(const struct cli_verb *table, const char *name)
{
	for (; table->name != NULL; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

/* The index of the verb's name in argv (argc if none): the first operand,
 * skipping options and their values.  *dashdash: a "--" came before it.
 * Only --db is known to take a value here; for any other "--opt WORD",
 * WORD is the verb if the table has it (a flag), else the option's value. */
static int
find_verb(const struct cli_verb *table, int argc, char **argv, int *help, int *version,
          int *dashdash)
{
	int i = 1;

	*help = *version = *dashdash = 0;
	while (i < argc) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			*dashdash = 1;
			return i + 1;
		}
		if (a[0] != '-' || a[1] == '\0')
			return i;
		if (strcmp(a, "--help") == 0)
			*help = 1;
		else if (strcmp(a, "--version") == 0)
			*version = 1;
		if (strcmp(a, "--db") == 0 ||
		    (a[1] == '-' && strchr(a, '=') == NULL && strcmp(a, "--json") != 0 &&
		    i + 1 < argc && argv[i + 1][0] != '-' && verb_named(table, argv[i + 1]) == NULL))
			i++;
		i++;
	}
	return argc;
}

/* The verb's argv: its name, what came before it, what came after it. */
static char **
verb_argv(int argc, char **argv, int at, int dashdash, int *n)
{
	char **out = calloc((size_t)argc + 1, sizeof(*out));
	int i, k = 0;

	if (out == NULL)
		return NULL;
	out[k++] = argv[at];
	for (i = 1; i < at - dashdash; i++)
		out[k++] = argv[i];
	if (dashdash)
		out[k++] = "--";
	for (i = at + 1; i < argc; i++)
		out[k++] = argv[i];
	*n = k;
	return out;
}

int
cli_dispatch(const struct cli_verb *table, int argc, char **argv, const char *group)
{
	const struct cli_verb *v = NULL;
	int help, version, dashdash, at, n, rc;
	char **vargv;

	at = find_verb(table, argc, argv, &help, &version, &dashdash);
	if (version) {
		burrow_version_print();
		return CLI_OK;
	}
	if ((at == argc && help) || (at < argc && strcmp(argv[at], "help") == 0)) {
		printf("usage:\n");
		print_synopses(stdout, table);
		return CLI_OK;
	}
	if (at < argc && (v = verb_named(table, argv[at])) == NULL)
		fprintf(stderr, "burrow: %s has no command '%s'\n", group, argv[at]);
	else if (at == argc)
		fprintf(stderr, "burrow: %s needs a command\n", group);
	if (v == NULL) {
		fprintf(stderr, "usage:\n");
		print_synopses(stderr, table);
		return CLI_USAGE;
	}
	if ((vargv = verb_argv(argc, argv, at, dashdash, &n)) == NULL)
		return cli_fail("out of memory");
	rc = v->run(n, vargv);
	free(vargv);
	return rc;
}
