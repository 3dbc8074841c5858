/*
 * main.c: bin/burrow, the operator CLI.  Each verb group lives in its own
 * cli/cmd_*.c; this file only dispatches.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/commands.h"

static const struct cli_verb verbs[] = {
	{ "init", cmd_init, INIT_SYNOPSIS },
	{ "tunnel", cmd_tunnel, "burrow tunnel create|list|show|rm|reap ..." },
	{ "zone", cmd_zone, "burrow zone list|show ..." },
	{ "domain", cmd_domain, "burrow domain add|list|show|rm ..." },
	{ "record", cmd_record, "burrow record add|list|rm ..." },
	{ "edge", cmd_edge, "burrow edge add|list|rm ..." },
	{ "cert", cmd_cert, "burrow cert list|show|import|revoke ..." },
	{ "tsig", cmd_tsig, "burrow tsig add|list|rm ..." },
	{ "secondary", cmd_secondary, "burrow secondary add|list|rm ..." },
	{ "token", cmd_token, "burrow token create|rotate ..." },
	{ "proxy", cmd_proxy, "burrow proxy create|add-ip|rm-ip|list|show|rm|connect|disconnect|token ..." },
	{ "apikey", cmd_apikey, "burrow apikey create|list|rm ..." },
	{ NULL, NULL, NULL },
};

int
main(int argc, char **argv)
{
	return cli_dispatch(verbs, argc, argv, "burrow");
}
