/*
 * cli.h: what the verbs of bin/burrow share: options, the store, output.
 *
 * Exit status: 0 success, 1 failure (the store said no, a name is unknown),
 * 2 usage (bad arguments, malformed input).  Errors are one line on stderr.
 *
 * Options go before or after the verb: "burrow --db S tunnel list" and
 * "burrow tunnel list --db S" are the same command (cli_dispatch() hands
 * what precedes a verb's name to the verb, whose getopt_long permutes);
 * "--" ends the options.
 */
#ifndef BURROW_CLI_H
#define BURROW_CLI_H

#include <getopt.h>
#include <jansson.h>

#include "common/opts.h"
#include "db/store.h"

enum cli_status { CLI_OK = 0, CLI_FAILURE = 1, CLI_USAGE = 2 };

/* Options every verb takes; cli_parse() fills them. */
struct cli_common {
	const char *db;   /* --db, else $BURROW_DB, else ./burrow.db */
	int json;         /* --json */
};

/* getopt_long option codes for the common options. */
enum { CLI_OPT_DB = 1000, CLI_OPT_JSON, CLI_OPT_HELP, CLI_OPT_FIRST_VERB };

#define CLI_COMMON_OPTIONS                                     \
	{ "db", required_argument, NULL, CLI_OPT_DB },         \
	{ "json", no_argument, NULL, CLI_OPT_JSON },           \
	{ "help", no_argument, NULL, CLI_OPT_HELP }

/* A verb's synopsis is one line, then its example: --help prints both,
 * errors and listings only the first line.
 *   #define LIST_SYNOPSIS "burrow tunnel list [--zone ZONE]" \
 *           CLI_EXAMPLE("burrow tunnel list --zone w.modal.host") */
#define CLI_EXAMPLE(text) "\nexample: " text

/* One verb of the table in main.c: argv[0] is the verb's own name. */
struct cli_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
};

/* Runs the entry of table (ended by a NULL name) named by the first operand
 * of argv, passing it argv without the names before it: [name, the options
 * that preceded the name..., what followed it...].  Options before the name
 * are --db PATH, --json, any --opt=value and any --opt VALUE whose VALUE
 * names no entry.  --help (or "help") without a name prints the table's
 * synopses, --version the version; a missing or unknown name prints them
 * to stderr.  group names the caller in messages ("burrow tunnel"). */
int cli_dispatch(const struct cli_verb *table, int argc, char **argv,
                 const char *group);

/* Handles a common option code; returns 1 if it was one, else 0.  Sets
 * *help for --help. */
int cli_common_option(int opt, const char *arg, struct cli_common *c, int *help);

/* Parses argv with the given long options (which must include
 * CLI_COMMON_OPTIONS) and calls on_opt for every other option.  Returns
 * CLI_OK, or CLI_USAGE after printing the problem and the synopsis. */
typedef int (*cli_option_fn)(int opt, const char *arg, void *ctx);
int cli_parse(int argc, char **argv, const struct option *longopts,
              const char *synopsis, struct cli_common *c,
              cli_option_fn on_opt, void *ctx);

/* cli_parse(), then checks that exactly nargs operands follow the options
 * (argv[optind] is the first) and opens the existing store into *s. */
int cli_start(int argc, char **argv, const struct option *longopts,
              const char *synopsis, struct cli_common *c, cli_option_fn on_opt,
              void *ctx, int nargs, struct store **s);

/* Opens the store named by c (creating it if create).  On failure prints
 * the reason and returns CLI_FAILURE. */
int cli_open_store(const struct cli_common *c, int create, struct store **out);

/* Prints "burrow: <message>" to stderr and returns CLI_USAGE / CLI_FAILURE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a failed store call: its detail on stderr; CLI_USAGE for
 * BURROW_ERR_INVALID (the input was malformed), else CLI_FAILURE. */
int cli_store_error(struct store *s, int err);

/* Prints j as indented JSON with a newline and releases it (NULL: prints
 * nothing and returns CLI_FAILURE).  Returns CLI_OK. */
int cli_print_json(json_t *j);

/* A listing: walk(s, array, ctx) calls a store_*_list() whose callback
 * appends to array under --json, or prints a line when array is NULL. */
typedef int (*cli_walk_fn)(struct store *s, json_t *array, void *ctx);

/* Runs walk with a new array under --json and prints it; reports a store
 * error.  Returns a CLI status. */
int cli_list(struct store *s, const struct cli_common *c, cli_walk_fn walk, void *ctx);

/* Formats a Unix time as RFC 3339 UTC into out ("-" for 0). */
void cli_format_time(int64_t t, char *out, size_t outsz);

#endif
