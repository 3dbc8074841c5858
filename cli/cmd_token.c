/*
 * cmd_token.c: burrow token create|rotate, connect tokens for tunnels made
 * with --connect-token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "common/error.h"
#include "db/store_secret.h"
#include "tunnels/token.h"

#define CREATE_SYNOPSIS \
	"burrow token create HOSTNAME [--user-metadata JSON] [--ttl 1h] [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow token create wtqcahqwhd4tu0.w.modal.host --user-metadata '{\"user\":\"x\"}' --ttl 15m")
#define ROTATE_SYNOPSIS "burrow token rotate [--db PATH] [--json]" \
	CLI_EXAMPLE("burrow token rotate")

/* The longest a token may live: a leaked one stays useful that long. */
#define TTL_MAX (366 * 86400)

enum { OPT_METADATA = CLI_OPT_FIRST_VERB, OPT_TTL };

struct token_args {
	const char *metadata, *ttl;
};

static int
on_option(int opt, const char *arg, void *ctx)
{
	struct token_args *a = ctx;

	switch (opt) {
	case OPT_METADATA: a->metadata = arg; break;
	case OPT_TTL:      a->ttl = arg; break;
	default:           return cli_usage("unexpected option");
	}
	return CLI_OK;
}

static void
tunnel_url(struct store *s, const char *host, char *out, size_t outsz)
{
	char port[16];

	if (store_setting_get(s, "edge_tls_port", "443", port, sizeof(port)) != BURROW_OK ||
	    strcmp(port, "443") == 0)
		snprintf(out, outsz, "https://%s", host);
	else
		snprintf(out, outsz, "https://%s:%s", host, port);
}

static int
token_create_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "user-metadata", required_argument, NULL, OPT_METADATA },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common c = { 0 };
	struct token_args a = { 0 };
	struct store_tunnel t;
	struct store_secret k;
	struct token_key key;
	char md[TOKEN_METADATA_MAX + 1], tok[TOKEN_MAX + 1], url[NAMES_MAX + 32], exp_s[32];
	struct store *s = NULL;
	int ttl = 3600;
	int64_t expires;
	int rc;

	memset(&k, 0, sizeof(k));
	memset(&key, 0, sizeof(key));
	if ((rc = cli_parse(argc, argv, opts, CREATE_SYNOPSIS, &c, on_option, &a)) != CLI_OK)
		return rc;
	if (argc - optind != 1)
		return cli_usage("usage: %s", CREATE_SYNOPSIS);
	/* "90s", "15m", "1h", "7d" or plain seconds. */
	if (a.ttl != NULL && opts_duration("--ttl", a.ttl, OPTS_S, 1, TTL_MAX, &ttl) != BURROW_OK)
		return CLI_USAGE;
	rc = token_metadata_canonical(a.metadata, md);
	if (rc == BURROW_ERR_LIMIT)
		return cli_usage("--user-metadata must serialize to fewer than 512 characters");
	if (rc != BURROW_OK)
		return cli_usage("--user-metadata must be a JSON object");
	if ((rc = cli_open_store(&c, 0, &s)) != CLI_OK)
		return rc;
	if ((rc = store_tunnel_get(s, argv[optind], &t)) != BURROW_OK) {
		rc = cli_store_error(s, rc);
		goto out;
	}
	if (!t.connect_token) {
		rc = cli_fail("tunnel %s was not created with --connect-token", t.hostname);
		goto out;
	}
	/* A row written by something other than this CLI: the edge does not
	 * serve it, so a token for it would open nothing. */
	if (t.kind == STORE_TUNNEL_TCP) {
		rc = cli_fail("tunnel %s is a tcp tunnel: connect tokens need tls or h2", t.hostname);
		goto out;
	}
	if ((rc = store_secret_ensure(s, STORE_SECRET_PURPOSE_TOKEN, &k)) != BURROW_OK) {
		rc = cli_store_error(s, rc);
		goto out;
	}
	snprintf(key.id, sizeof(key.id), "%s", k.key_id);
	memcpy(key.secret, k.secret, k.len);
	key.len = k.len;
	expires = (int64_t)time(NULL) + ttl;
	if (token_create(&key, t.hostname, expires, md, tok, sizeof(tok)) != BURROW_OK) {
		rc = cli_fail("cannot sign the token");
		goto out;
	}
	tunnel_url(s, t.hostname, url, sizeof(url));
	cli_format_time(expires, exp_s, sizeof(exp_s));
	if (c.json)
		rc = cli_print_json(json_pack("{s:s, s:s, s:s, s:s}", "url", url, "token", tok,
		    "hostname", t.hostname, "expires_at", exp_s));
	else
		printf("url   %s\ntoken %s\n", url, tok);
out:
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_cleanse(&key, sizeof(key));
	store_close(s);
	return rc;
}

static int
token_rotate_cmd(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_common c = { 0 };
	struct token_args a = { 0 };
	struct store_secret k;
	struct store *s = NULL;
	int rc;

	if ((rc = cli_start(argc, argv, opts, ROTATE_SYNOPSIS, &c, on_option, &a, 0, &s)) != CLI_OK)
		return rc;
	rc = store_secret_rotate(s, STORE_SECRET_PURPOSE_TOKEN, &k);
	if (rc != BURROW_OK)
		rc = cli_store_error(s, rc);
	else if (c.json)
		rc = cli_print_json(json_pack("{s:s}", "key_id", k.key_id));
	else
		printf("new signing key %s (older keys still verify)\n", k.key_id);
	OPENSSL_cleanse(&k, sizeof(k));
	store_close(s);
	return rc;
}

int
cmd_token(int argc, char **argv)
{
	static const struct cli_verb table[] = {
		{ "create", token_create_cmd, CREATE_SYNOPSIS },
		{ "rotate", token_rotate_cmd, ROTATE_SYNOPSIS },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(table, argc, argv, "burrow token");
}
