/*
 * cmd_export.c: burrow zone export ZONE, the zone in master-file format
 * (the logic lives in dns/export.c, next to what burrow-dns serves).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "dns/export.h"

static int
no_option(int opt, const char *arg, void *ctx)
{
	(void)opt;
	(void)arg;
	(void)ctx;
	return cli_usage("unexpected option");
}

int
cmd_zone_export(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_common c = { 0 };
	struct store *s = NULL;
	char canon[NAMES_MAX + 1];
	int rc;

	if ((rc = cli_start(argc, argv, opts, ZONE_EXPORT_SYNOPSIS, &c, no_option, NULL, 1,
	    &s)) != CLI_OK)
		return rc;
	if (names_canonical(argv[optind], 0, canon) != BURROW_OK)
		rc = cli_usage("invalid zone name '%s'", argv[optind]);
	else if ((rc = zone_export(s, canon, stdout)) == BURROW_ERR_NOTFOUND)
		rc = cli_fail("no zone %s", canon);
	else if (rc != BURROW_OK)
		rc = cli_fail("exporting %s: %s", canon, burrow_strerror(rc));
	store_close(s);
	return rc;
}
