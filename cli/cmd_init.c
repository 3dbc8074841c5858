/*
 * cmd_init.c: burrow init, creating a store with its base zone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "common/netaddr.h"

#define INIT_MAX_NS 8

enum { OPT_ZONE = CLI_OPT_FIRST_VERB, OPT_NS, OPT_EDGE4, OPT_EDGE6, OPT_PORTS, OPT_TLS_PORT };

struct init_args {
	const char *zone, *ns, *edge4, *edge6, *ports, *tls_port;
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct init_args *a = ctx;

	switch (opt) {
	case OPT_ZONE:  a->zone = arg; break;
	case OPT_NS:    a->ns = arg; break;
	case OPT_EDGE4: a->edge4 = arg; break;
	case OPT_EDGE6: a->edge6 = arg; break;
	case OPT_PORTS: a->ports = arg; break;
	case OPT_TLS_PORT: a->tls_port = arg; break;
	default:        return cli_usage("usage: %s", INIT_SYNOPSIS);
	}
	return CLI_OK;
}

/* w-ns-a..d under the zone's parent (w.modal.host -> w-ns-a.modal.host), as
 * the platform names its nameservers; under the zone itself when it has no
 * parent below a TLD. */
static void
default_ns(const char *zone, char ns[][NAMES_MAX + 1], int *count)
{
	const char *parent = strchr(zone, '.');
	int i;

	if (parent == NULL || strchr(parent + 1, '.') == NULL)
		parent = zone;
	else
		parent++;
	for (i = 0; i < 4; i++)
		snprintf(ns[i], NAMES_MAX + 1, "w-ns-%c.%.*s", 'a' + i, NAMES_MAX - 7, parent);
	*count = 4;
}

static int
split_ns(const char *list, char ns[][NAMES_MAX + 1], int *count)
{
	const char *p = list;
	size_t len;

	*count = 0;
	while (*p != '\0') {
		len = strcspn(p, ",");
		if (*count == INIT_MAX_NS || len == 0 || len > NAMES_MAX)
			return BURROW_ERR_INVALID;
		memcpy(ns[*count], p, len);
		ns[*count][len] = '\0';
		(*count)++;
		p += len;
		if (*p == ',')
			p++;
	}
	return *count > 0 ? BURROW_OK : BURROW_ERR_INVALID;
}

static int
collect_ns(const char *host, void *ctx)
{
	json_array_append_new(ctx, json_string(host));
	return 0;
}

static int
collect_edge(const struct store_edge *e, void *ctx)
{
	json_array_append_new(ctx, json_string(e->address));
	return 0;
}

/* A store left more open than 0600 (made by hand, restored from a backup)
 * exposes every private key; store_open's warning sends the operator here.
 * *was gets the earlier mode bits, 0 if the files were private already. */
static int
make_private(const struct cli_common *c, unsigned *was)
{
	int changed, rc = store_make_private(c->db, &changed, was);

	if (rc == BURROW_ERR_IO)
		return cli_fail("cannot make %s mode 0600: %s", c->db, strerror(errno));
	if (changed > 0 && !c->json)
		printf("store %s was mode %04o: now 0600\n", c->db, *was);
	return CLI_OK;
}

static int
report(struct store *s, const struct cli_common *c, unsigned was)
{
	struct store_zone z;
	json_t *ns = json_array(), *edges = json_array(), *j;
	char mode[8];
	size_t i;
	int rc;

	if ((rc = store_zone_base(s, &z)) != BURROW_OK ||
	    (rc = store_zone_ns_list(s, z.id, collect_ns, ns)) != BURROW_OK ||
	    (rc = store_edge_list(s, collect_edge, edges)) != BURROW_OK) {
		json_decref(ns);
		json_decref(edges);
		return cli_store_error(s, rc);
	}
	if (c->json) {
		j = json_pack("{s:s, s:s, s:o, s:o, s:i}", "db", c->db, "zone", z.name,
		    "ns", ns, "edges", edges, "schema_version", store_schema_version(s));
		snprintf(mode, sizeof(mode), "%04o", was);
		if (j != NULL && was != 0)
			json_object_set_new(j, "previous_mode", json_string(mode));
		return cli_print_json(j);
	}
	printf("store %s ready: zone %s, serial %u\n", c->db, z.name, z.serial);
	for (i = 0; i < json_array_size(ns); i++)
		printf("  NS   %s\n", json_string_value(json_array_get(ns, i)));
	for (i = 0; i < json_array_size(edges); i++)
		printf("  edge %s\n", json_string_value(json_array_get(edges, i)));
	json_decref(ns);
	json_decref(edges);
	return CLI_OK;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "zone", required_argument, NULL, OPT_ZONE },
		{ "ns", required_argument, NULL, OPT_NS },
		{ "edge-ipv4", required_argument, NULL, OPT_EDGE4 },
		{ "edge-ipv6", required_argument, NULL, OPT_EDGE6 },
		{ "tcp-ports", required_argument, NULL, OPT_PORTS },
		{ "tls-port", required_argument, NULL, OPT_TLS_PORT },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct init_args a = { "w.modal.host", NULL, "127.0.0.1", NULL, "20000-29999", NULL };
	char ns[INIT_MAX_NS][NAMES_MAX + 1], canon[NAMES_MAX + 1];
	const char *nsp[INIT_MAX_NS];
	struct store_init_params p;
	struct store *s = NULL;
	char tls_port_text[8];
	uint16_t tls_port = 0;
	unsigned was = 0;
	int i, count, rc;

	if ((rc = cli_parse(argc, argv, opts, INIT_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if (optind != argc)
		return cli_usage("unexpected argument '%s'; usage: %s", argv[optind], INIT_SYNOPSIS);
	if (names_canonical(a.zone, 0, canon) != BURROW_OK)
		return cli_usage("invalid zone name '%s'", a.zone);
	if (a.ns != NULL ? split_ns(a.ns, ns, &count) != BURROW_OK
	    : (default_ns(canon, ns, &count), 0))
		return cli_usage("invalid --ns list '%s' (1-%d host names, comma separated)",
		    a.ns, INIT_MAX_NS);
	if (a.edge4 != NULL && a.edge4[0] != '\0' && netaddr_ip_family(a.edge4) != 4)
		return cli_usage("--edge-ipv4: '%s' is not an IPv4 address", a.edge4);
	if (a.edge6 != NULL && netaddr_ip_family(a.edge6) != 6)
		return cli_usage("--edge-ipv6: '%s' is not an IPv6 address", a.edge6);
	memset(&p, 0, sizeof(p));
	if (netaddr_parse_port_range(a.ports, &p.tcp_port_min, &p.tcp_port_max) != BURROW_OK)
		return cli_usage("--tcp-ports: '%s' is not a range LO-HI of ports", a.ports);
	if (a.tls_port != NULL && opts_port("--tls-port", a.tls_port, &tls_port) != BURROW_OK)
		return CLI_USAGE;
	for (i = 0; i < count; i++)
		nsp[i] = ns[i];
	p.zone = canon;
	p.ns = nsp;
	p.ns_count = count;
	p.edge_ipv4 = a.edge4 != NULL && a.edge4[0] != '\0' ? a.edge4 : NULL;
	p.edge_ipv6 = a.edge6;
	/* Before opening, so the open does not warn about what init fixes. */
	if ((rc = make_private(&c, &was)) != CLI_OK ||
	    (rc = cli_open_store(&c, 1, &s)) != CLI_OK)
		return rc;
	rc = store_init(s, &p);
	/* The edge's public port, said once: tunnel URLs and burrow-edge read it. */
	snprintf(tls_port_text, sizeof(tls_port_text), "%u", tls_port);
	if (rc == BURROW_OK && a.tls_port != NULL)
		rc = store_setting_set(s, "edge_tls_port", tls_port_text);
	rc = rc == BURROW_OK ? report(s, &c, was) : cli_store_error(s, rc);
	store_close(s);
	return rc;
}
