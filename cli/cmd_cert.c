/*
 * cmd_cert.c: burrow cert list|show|import|revoke, the certificates the edge
 * serves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "acme/acme.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "common/certinfo.h"
#include "common/error.h"
#include "db/store_cert.h"

#define LIST_SYNOPSIS "burrow cert list [--all] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow cert list --all --json")
#define SHOW_SYNOPSIS "burrow cert show ZONE [--pem] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow cert show w.modal.host --pem")
#define IMPORT_SYNOPSIS \
	"burrow cert import ZONE --chain FILE --key FILE [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow cert import w.modal.host --chain fullchain.pem --key privkey.pem")
#define REVOKE_SYNOPSIS \
	"burrow cert revoke ZONE [--directory URL] [--ca-bundle FILE] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow cert revoke w.modal.host")
#define CERT_FILE_MAX (1 << 20)

enum { OPT_ALL = CLI_OPT_FIRST_VERB, OPT_PEM, OPT_CHAIN, OPT_KEY, OPT_DIRECTORY,
       OPT_CA_BUNDLE };

struct cert_args {
	int all, pem;
	const char *chain, *key, *directory, *ca_bundle;
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct cert_args *a = ctx;

	switch (opt) {
	case OPT_ALL:   a->all = 1; break;
	case OPT_PEM:   a->pem = 1; break;
	case OPT_CHAIN: a->chain = arg; break;
	case OPT_KEY:   a->key = arg; break;
	case OPT_DIRECTORY: a->directory = arg; break;
	case OPT_CA_BUNDLE: a->ca_bundle = arg; break;
	default:        return cli_usage("unexpected option");
	}
	return CLI_OK;
}

static json_t *
cert_json(const struct store_cert *c)
{
	char nb[32], na[32], ra[32], rv[32];

	cli_format_time(c->not_before, nb, sizeof(nb));
	cli_format_time(c->not_after, na, sizeof(na));
	cli_format_time(c->renew_after, ra, sizeof(ra));
	cli_format_time(c->revoked_at, rv, sizeof(rv));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "id", (json_int_t)c->id, "zone", c->zone, "names", c->names,
	    "key_type", c->key_type, "serial", c->serial, "not_before", nb,
	    "not_after", na, "renew_after", ra, "revoked_at", rv);
}

static void
cert_print(const struct store_cert *c)
{
	char na[32];

	cli_format_time(c->not_after, na, sizeof(na));
	printf("%-5lld %-40s %-6s expires %s%s  %s\n", (long long)c->id, c->zone,
	    c->key_type, na, c->revoked_at != 0 ? " (revoked)" : "", c->names);
}

static int
list_one(const struct store_cert *c, void *ctx)
{
	json_t *array = ctx;

	if (array == NULL) {
		cert_print(c);
		return 0;
	}
	return json_array_append_new(array, cert_json(c)) == 0 ? 0 : BURROW_ERR_NOMEM;
}

static int
walk_certs(struct store *s, json_t *array, void *ctx)
{
	const struct cert_args *a = ctx;

	return store_cert_list(s, !a->all, list_one, array);
}

static int
cert_list(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "all", no_argument, NULL, OPT_ALL },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct cert_args a = { 0 };
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, opts, LIST_SYNOPSIS, &c, on_option, &a, 0, &s)) != CLI_OK)
		return rc;
	rc = cli_list(s, &c, walk_certs, &a);
	store_close(s);
	return rc;
}

static int
cert_show(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "pem", no_argument, NULL, OPT_PEM },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct cert_args a = { 0 };
	struct store_cert cert = { 0 };
	struct store *s = NULL;
	char zone[NAMES_MAX + 1];
	int rc;

	if ((rc = cli_start(argc, argv, opts, SHOW_SYNOPSIS, &c, on_option, &a, 1, &s)) != CLI_OK)
		return rc;
	if (names_canonical(argv[optind], 0, zone) != BURROW_OK)
		rc = cli_usage("invalid zone name '%s'", argv[optind]);
	else if ((rc = store_cert_current(s, zone, &cert)) != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (a.pem)
		fputs(cert.chain_pem, stdout);
	else if (c.json)
		rc = cli_print_json(cert_json(&cert));
	else
		cert_print(&cert);
	store_cert_clear(&cert);
	store_close(s);
	return rc;
}

/* Reads a whole small file into a new NUL-terminated string. */
static int
read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;
	int rc = BURROW_ERR_IO;

	*out = NULL;
	if (f == NULL)
		return cli_fail("cannot open %s: %s", path, strerror(errno));
	if ((buf = malloc(CERT_FILE_MAX + 1)) == NULL) {
		rc = cli_fail("out of memory");
		goto out;
	}
	n = fread(buf, 1, CERT_FILE_MAX + 1, f);
	if (ferror(f) || n > CERT_FILE_MAX) {
		rc = cli_fail("cannot read %s: %s", path, n > CERT_FILE_MAX ? "too large" : "I/O error");
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	rc = CLI_OK;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int
import(struct store *s, const struct cli_common *c, const char *zone, char *chain, char *key)
{
	struct store_cert cert;
	struct certinfo info;
	char wildcard[NAMES_MAX + 3];
	int rc;

	if (certinfo_read(chain, key, &info) != BURROW_OK)
		return cli_usage("the chain is not PEM certificates or the key does not match its leaf");
	snprintf(wildcard, sizeof(wildcard), "x.%s", zone);
	if (!certinfo_covers(info.names, zone) && !certinfo_covers(info.names, wildcard))
		return cli_usage("the certificate (%s) covers neither %s nor *.%s", info.names,
		    zone, zone);
	memset(&cert, 0, sizeof(cert));
	snprintf(cert.names, sizeof(cert.names), "%s", info.names);
	snprintf(cert.key_type, sizeof(cert.key_type), "%s", info.key_type);
	snprintf(cert.serial, sizeof(cert.serial), "%s", info.serial);
	cert.not_before = info.not_before;
	cert.not_after = info.not_after;
	/* Renew at two thirds of the lifetime, as for ACME certificates. */
	cert.renew_after = info.not_before + (info.not_after - info.not_before) * 2 / 3;
	cert.chain_pem = chain;
	cert.key_pem = key;
	if ((rc = store_cert_add(s, zone, &cert)) != BURROW_OK)
		return cli_store_error(s, rc);
	snprintf(cert.zone, sizeof(cert.zone), "%s", zone);
	if (c->json)
		return cli_print_json(cert_json(&cert));
	cert_print(&cert);
	return CLI_OK;
}

static int
cert_import(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "chain", required_argument, NULL, OPT_CHAIN },
		{ "key", required_argument, NULL, OPT_KEY },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct cert_args a = { 0 };
	struct store *s = NULL;
	char zone[NAMES_MAX + 1], *chain = NULL, *key = NULL;
	int rc;

	if ((rc = cli_parse(argc, argv, opts, IMPORT_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if (argc - optind != 1 || a.chain == NULL || a.key == NULL)
		return cli_usage("usage: %s", IMPORT_SYNOPSIS);
	if (names_canonical(argv[optind], 0, zone) != BURROW_OK)
		return cli_usage("invalid zone name '%s'", argv[optind]);
	if ((rc = read_file(a.chain, &chain)) != CLI_OK ||
	    (rc = read_file(a.key, &key)) != CLI_OK)
		goto out;
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		goto out;
	rc = import(s, &c, zone, chain, key);
out:
	if (key != NULL)
		OPENSSL_cleanse(key, strlen(key));
	free(chain);
	free(key);
	store_close(s);
	return rc;
}

/* Revokes at the CA with the ACME account that burrow-acme keeps in the
 * store; directory and CA bundle default to the ones burrow-acme last used. */
static int
cert_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "directory", required_argument, NULL, OPT_DIRECTORY },
		{ "ca-bundle", required_argument, NULL, OPT_CA_BUNDLE },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct cert_args a = { 0 };
	struct store *s = NULL;
	char zone[NAMES_MAX + 1], dir[2048], ca[4096], err[1024];
	int rc;

	if ((rc = cli_start(argc, argv, opts, REVOKE_SYNOPSIS, &c, on_option, &a, 1, &s)) != CLI_OK)
		return rc;
	if (names_canonical(argv[optind], 0, zone) != BURROW_OK) {
		rc = cli_usage("invalid zone name '%s'", argv[optind]);
		goto out;
	}
	if (a.directory != NULL)
		snprintf(dir, sizeof(dir), "%s", a.directory);
	else
		store_setting_get(s, "acme.directory", "", dir, sizeof(dir));
	if (a.ca_bundle != NULL)
		snprintf(ca, sizeof(ca), "%s", a.ca_bundle);
	else
		store_setting_get(s, "acme.ca_bundle", "", ca, sizeof(ca));
	if (dir[0] == '\0') {
		rc = cli_usage("no --directory given and burrow-acme has not run yet");
		goto out;
	}
	if (acme_revoke_zone(s, zone, dir, ca[0] != '\0' ? ca : NULL, err, sizeof(err)) != BURROW_OK) {
		rc = cli_fail("%s: %s", zone, err);
		goto out;
	}
	if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:b}", "zone", zone, "revoked", 1));
	else
		printf("%s: certificate revoked\n", zone);
out:
	store_close(s);
	return rc;
}

int
cmd_cert(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "list", cert_list, LIST_SYNOPSIS },
		{ "show", cert_show, SHOW_SYNOPSIS },
		{ "import", cert_import, IMPORT_SYNOPSIS },
		{ "revoke", cert_revoke, REVOKE_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow cert");
}
