/*
 * commands.h: the verb groups of bin/burrow, one file each (cli/cmd_*.c).
 * Each takes argv with argv[0] = its own name.
 */
#ifndef BURROW_CLI_COMMANDS_H
#define BURROW_CLI_COMMANDS_H

/* burrow init (cli/cmd_init.c); also the top-level usage's line for it. */
#define INIT_SYNOPSIS \
	"burrow init [--zone ZONE] [--ns HOST,...] [--edge-ipv4 IP] [--edge-ipv6 IP] " \
	"[--tcp-ports LO-HI] [--tls-port PORT] [--db PATH] [--json]"
int cmd_init(int argc, char **argv);
int cmd_tunnel(int argc, char **argv);
int cmd_zone(int argc, char **argv);
int cmd_domain(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_edge(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_tsig(int argc, char **argv);
int cmd_secondary(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_proxy(int argc, char **argv);
int cmd_apikey(int argc, char **argv);

/* burrow zone export ZONE (cli/cmd_export.c). */
#define ZONE_EXPORT_SYNOPSIS "burrow zone export ZONE [--db PATH]"
int cmd_zone_export(int argc, char **argv);

#endif
