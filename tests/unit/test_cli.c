/* Unit tests: CLI argument handling, exit statuses, store left unchanged. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"

static char db_path[128];
static char dir[64];

/* Runs one verb group with stdout and stderr silenced; returns its status. */
static int
run(int (*cmd)(int, char **), ...)
{
	char *argv[32];
	int argc = 0, saved_out, saved_err, null_fd, rc;
	va_list ap;

	va_start(ap, cmd);
	while (argc < 30 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc++] = "--db";
	argv[argc++] = db_path;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	null_fd = open("/dev/null", O_WRONLY);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	rc = cmd(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(null_fd);
	return rc;
}

static int
tunnel_count_cb(const struct store_tunnel *t, void *ctx)
{
	(void)t;
	(*(int *)ctx)++;
	return 0;
}

static int
tunnels(void)
{
	struct store *s = NULL;
	int n = 0;

	if (store_open(db_path, 0, &s, NULL, 0) != BURROW_OK)
		return -1;
	store_tunnel_list(s, 0, tunnel_count_cb, &n);
	store_close(s);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/burrow-cli.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/burrow.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_missing_store(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_tunnel, "tunnel", "list", NULL), CLI_FAILURE);
	assert_int_equal(access(db_path, F_OK), -1);
}

static void
test_init_and_create(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_init, "init", NULL), CLI_OK);
	assert_int_equal(run(cmd_init, "init", "--json", NULL), CLI_OK);
	assert_int_equal(run(cmd_init, "init", "--zone", "other.example.com", NULL), CLI_FAILURE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--target", "10.0.0.5:8000",
	    "--json", NULL), CLI_OK);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--kind", "tcp", "--target",
	    "10.0.0.5:22", NULL), CLI_OK);
	assert_int_equal(tunnels(), 2);
}

static void
test_bad_arguments(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_init, "init", NULL), CLI_OK);
	assert_int_equal(run(cmd_init, "init", "--zone", "bad..zone", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_init, "init", "--edge-ipv4", "::1", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_init, "init", "--tcp-ports", "9-1", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_init, "init", "stray", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--target", "10.0.0.5:0", NULL),
	    CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--target", "10.0.0.5:70000", NULL),
	    CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--target", "10.0.0.5:80",
	    "--kind", "udp", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--target", "10.0.0.5:80",
	    "--zone", "unknown.example.com", NULL), CLI_FAILURE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--target", "10.0.0.5:80",
	    "--frobnicate", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "explode", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "show", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "rm", "nope.w.modal.host", NULL), CLI_FAILURE);
	assert_int_equal(tunnels(), 0);
}

static void
test_domains_records_edges(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_init, "init", NULL), CLI_OK);
	assert_int_equal(run(cmd_domain, "domain", "add", "sandbox.example.com", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_domain, "domain", "add", "sandbox.example.com", "--workspace",
	    "ws", NULL), CLI_OK);
	assert_int_equal(run(cmd_domain, "domain", "add", "sandbox.example.com", "--workspace",
	    "ws", NULL), CLI_FAILURE);
	assert_int_equal(run(cmd_domain, "domain", "add", "in..valid", "--workspace", "ws", NULL),
	    CLI_USAGE);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--target", "10.0.0.5:80", "--zone",
	    "sandbox.example.com", NULL), CLI_FAILURE);
	assert_int_equal(run(cmd_domain, "domain", "mark", "sandbox.example.com", "delegated",
	    NULL), CLI_OK);
	assert_int_equal(run(cmd_tunnel, "tunnel", "create", "--target", "10.0.0.5:80", "--zone",
	    "sandbox.example.com", NULL), CLI_OK);
	assert_int_equal(run(cmd_domain, "domain", "list", "--json", NULL), CLI_OK);
	assert_int_equal(run(cmd_record, "record", "add", "w.modal.host", "CAA", "0", "issue",
	    "\"letsencrypt.org\"", NULL), CLI_OK);
	assert_int_equal(run(cmd_record, "record", "add", "w.modal.host", "TXT", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_record, "record", "add", "w.modal.host", "A", "1.2.3", NULL),
	    CLI_USAGE);
	assert_int_equal(run(cmd_record, "record", "add", "w.modal.host", "TXT", "--ttl", "-1",
	    "x", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_record, "record", "rm", "w.modal.host", "CAA", NULL), CLI_OK);
	assert_int_equal(run(cmd_record, "record", "rm", "w.modal.host", "CAA", NULL), CLI_FAILURE);
	assert_int_equal(run(cmd_edge, "edge", "add", "192.0.2.1", NULL), CLI_OK);
	assert_int_equal(run(cmd_edge, "edge", "add", "192.0.2.1", NULL), CLI_FAILURE);
	assert_int_equal(run(cmd_edge, "edge", "add", "192.0.2", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_edge, "edge", "rm", "192.0.2.1", NULL), CLI_OK);
	assert_int_equal(run(cmd_edge, "edge", "list", "--json", NULL), CLI_OK);
}

/* What the verb of a dispatch test was handed, joined by spaces. */
static char seen[256];

static int
record_verb(int argc, char **argv)
{
	seen[0] = '\0';
	for (int i = 0; i < argc; i++)
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s",
		    i > 0 ? " " : "", argv[i]);
	return CLI_OK;
}

static const struct cli_verb dispatch_table[] = {
	{ "a", record_verb, "burrow a" CLI_EXAMPLE("burrow a") },
	{ "b", record_verb, "burrow b" CLI_EXAMPLE("burrow b") },
	{ NULL, NULL, NULL },
};

/* Dispatches argv (NULL-terminated, after "burrow") with output silenced;
 * returns the status and leaves what the verb saw in seen. */
static int
dispatch(const char *first, ...)
{
	char *argv[16] = { "burrow" };
	int argc = 1, saved_out, saved_err, null_fd, rc;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	strcpy(seen, "(none)");
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	null_fd = open("/dev/null", O_WRONLY);
	dup2(null_fd, 1);
	dup2(null_fd, 2);
	rc = cli_dispatch(dispatch_table, argc, argv, "burrow");
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(null_fd);
	return rc;
}

static void
test_dispatch_options_around_the_verb(void **state)
{
	(void)state;
	/* Options before the verb follow its name, in their order. */
	assert_int_equal(dispatch("--db", "x", "a", "y", NULL), CLI_OK);
	assert_string_equal(seen, "a --db x y");
	assert_int_equal(dispatch("a", "--db", "x", NULL), CLI_OK);
	assert_string_equal(seen, "a --db x");
	assert_int_equal(dispatch("--json", "--db=x", "b", "--zone", "z", NULL), CLI_OK);
	assert_string_equal(seen, "b --json --db=x --zone z");
	/* --db always takes a value, even one named like a verb. */
	assert_int_equal(dispatch("--db", "a", "b", NULL), CLI_OK);
	assert_string_equal(seen, "b --db a");
	/* Another --opt WORD: WORD is its value unless it names a verb. */
	assert_int_equal(dispatch("--zone", "z", "a", NULL), CLI_OK);
	assert_string_equal(seen, "a --zone z");
	assert_int_equal(dispatch("--all", "a", "z", NULL), CLI_OK);
	assert_string_equal(seen, "a --all z");
	/* "--" ends options: the verb gets it, so what follows stays operands. */
	assert_int_equal(dispatch("--db", "x", "--", "a", "-weird", NULL), CLI_OK);
	assert_string_equal(seen, "a --db x -- -weird");
	assert_int_equal(dispatch("a", "--", "--db", NULL), CLI_OK);
	assert_string_equal(seen, "a -- --db");
	/* No verb, an unknown one, or an operand before it: usage. */
	assert_int_equal(dispatch(NULL), CLI_USAGE);
	assert_int_equal(dispatch("--db", "x", NULL), CLI_USAGE);
	assert_int_equal(dispatch("c", NULL), CLI_USAGE);
	assert_int_equal(dispatch("y", "a", NULL), CLI_USAGE);
	assert_int_equal(dispatch("--", "--db", "a", NULL), CLI_USAGE);
	assert_string_equal(seen, "(none)");
	/* --help and help list the verbs; --version prints it; neither runs one. */
	assert_int_equal(dispatch("--help", NULL), CLI_OK);
	assert_int_equal(dispatch("help", NULL), CLI_OK);
	assert_int_equal(dispatch("--version", "a", NULL), CLI_OK);
	assert_string_equal(seen, "(none)");
	/* A verb's --help is the verb's to answer. */
	assert_int_equal(dispatch("a", "--help", NULL), CLI_OK);
	assert_string_equal(seen, "a --help");
}

/* A bad value is the verb's usage status, the store untouched. */
static void
test_bad_values(void **state)
{
	(void)state;
	assert_int_equal(run(cmd_init, "init", NULL), CLI_OK);
	assert_int_equal(run(cmd_init, "init", "--tls-port", "0", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_init, "init", "--tls-port", "8443x", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_record, "record", "add", "w.modal.host", "TXT", "--ttl", "-1",
	    "x", NULL), CLI_USAGE);
	assert_int_equal(run(cmd_record, "record", "add", "w.modal.host", "TXT", "--ttl", "5m",
	    "x", NULL), CLI_OK);
	assert_int_equal(run(cmd_secondary, "secondary", "add", "192.0.2.1:0", "--key", "k",
	    NULL), CLI_USAGE);
	assert_int_equal(run(cmd_domain, "domain", "add", "x.example.com", "--workspace", "w",
	    NULL), CLI_OK);
	assert_int_equal(run(cmd_domain, "domain", "verify", "x.example.com", "--port", "99999",
	    NULL), CLI_USAGE);
	assert_int_equal(tunnels(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_and_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_domains_records_edges, setup, teardown),
		cmocka_unit_test(test_dispatch_options_around_the_verb),
		cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
