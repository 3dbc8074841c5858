/*
 * acme_main.c: bin/burrow-acme, the command line around acme.h.
 *
 *   burrow-acme [options] issue ZONE...     one-shot, zones in parallel
 *   burrow-acme [options] run [--once] [--metrics ADDR:PORT]   the renewal daemon
 *   burrow-acme [options] account           register (or find) the account
 *   burrow-acme [options] key-rollover      change the account key
 *   burrow-acme [options] revoke ZONE       revoke the zone's certificate
 *
 * Options go before or after the verb ("--" ends them).  A malformed
 * command line is one line on stderr and exit 2; once the log is open (--log
 * FILE) every failure goes through it, so the file has them all.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "acme/acme.h"
#include "common/error.h"
#include "common/log.h"
#include "common/names.h"
#include "common/opts.h"
#include "common/version.h"
#include "db/store.h"

struct main_opts {
	struct acme_run_opts run;
	char db_path[4096];
	char directory[2048], ca_bundle[4096], dns[128];
	int json;
	const char *log_path;
	enum log_level level;
};

#define USAGE \
	"usage: burrow-acme [--db PATH] [--directory URL] [--ca-bundle FILE]\n" \
	"                   [--dns ADDR:PORT] [--dns-timeout S] [--contact mailto:...]\n" \
	"                   [--eab-kid KID --eab-hmac-key KEY] [--key-type ecdsa|rsa]\n" \
	"                   [--jobs N] [--json] [--log FILE] [--verbose] [--version]\n" \
	"                   issue ZONE... | run [--interval S] [--once] [--metrics ADDR:PORT] |\n" \
	"                   account | key-rollover | revoke ZONE\n" \
	"  options go before or after the verb; --db defaults to $BURROW_DB, else ./burrow.db;\n" \
	"  times in seconds or with a unit (30s, 5m, 1h)\n" \
	"examples:\n" \
	"  burrow-acme issue w.modal.host --directory https://acme-v02.api.letsencrypt.org/directory\n" \
	"  burrow-acme run --interval 5m --log /var/log/burrow/burrow-acme.log\n" \
	"  burrow-acme account --contact mailto:ops@example.com\n" \
	"  burrow-acme key-rollover\n" \
	"  burrow-acme revoke w.modal.host\n"

static void
usage(void)
{
	fputs(USAGE, stderr);
	exit(2);
}

/* Checks the verb and its operand count before anything starts: one line
 * on stderr and BURROW_ERR_INVALID for a malformed command line. */
static int
check_verb(const char *cmd, int nargs)
{
	static const struct {
		const char *name, *operands;
		int min, max;
	} verbs[] = {
		{ "issue", " ZONE...", 1, 1 << 20 }, { "revoke", " ZONE", 1, 1 },
		{ "run", "", 0, 0 }, { "account", "", 0, 0 }, { "key-rollover", "", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(cmd, verbs[i].name) != 0)
			continue;
		if (nargs >= verbs[i].min && nargs <= verbs[i].max)
			return BURROW_OK;
		fprintf(stderr, "burrow-acme: usage: burrow-acme [options] %s%s (see --help)\n",
		    cmd, verbs[i].operands);
		return BURROW_ERR_INVALID;
	}
	fprintf(stderr, "burrow-acme: no command '%s': want issue, run, account, key-rollover "
	    "or revoke (see --help)\n", cmd);
	return BURROW_ERR_INVALID;
}

/* Progress lines on stdout: "ZONE: event detail" or one JSON object each. */
static void
print_progress(void *ctx, const char *zone, const char *event, const char *detail)
{
	const struct main_opts *m = ctx;
	json_t *o;
	char *text;

	if (m->json) {
		o = json_pack("{s:s, s:s, s:s}", "zone", zone, "event", event, "detail", detail);
		if (o != NULL && (text = json_dumps(o, JSON_COMPACT)) != NULL) {
			printf("%s\n", text);
			free(text);
		}
		json_decref(o);
	} else {
		printf("%s: %s%s%s\n", zone, event, detail[0] ? " " : "", detail);
	}
	fflush(stdout);
}

/* Fills what the command line left out from the store's settings (the
 * values the last run used), so `burrow-acme run` needs no repetition. */
static int
defaults_from_store(struct main_opts *m)
{
	struct store *s = NULL;
	char err[256];

	if (store_open(m->db_path, 0, &s, err, sizeof(err)) != BURROW_OK) {
		log_error("cannot open the store %s: %s", m->db_path, err);
		return BURROW_ERR_IO;
	}
	if (m->directory[0] == '\0')
		store_setting_get(s, "acme.directory", "", m->directory, sizeof(m->directory));
	if (m->ca_bundle[0] == '\0')
		store_setting_get(s, "acme.ca_bundle", "", m->ca_bundle, sizeof(m->ca_bundle));
	if (m->dns[0] == '\0')
		store_setting_get(s, "acme.dns_server", "127.0.0.1:53", m->dns, sizeof(m->dns));
	else
		store_setting_set(s, "acme.dns_server", m->dns);
	store_close(s);
	if (m->directory[0] == '\0') {
		log_error("no --directory given and none remembered");
		return BURROW_ERR_INVALID;
	}
	return BURROW_OK;
}

static int
cmd_single(struct main_opts *m, const char *what, const char *zone)
{
	struct store *s = NULL;
	struct acme_client *c = NULL;
	char err[1024];
	int rc;

	if ((rc = store_open(m->db_path, 0, &s, err, sizeof(err))) != BURROW_OK) {
		log_error("cannot open the store: %s", err);
		return rc;
	}
	if (strcmp(what, "revoke") == 0) {
		if ((rc = acme_revoke_zone(s, zone, m->directory, m->run.ca_bundle, err,
		    sizeof(err))) == BURROW_OK)
			print_progress(m, zone, "revoked", "");
		else
			log_error("%s: %s", zone, err);
		goto out;
	}
	if ((c = acme_client_new(m->directory, m->run.ca_bundle)) == NULL) {
		rc = BURROW_ERR_NOMEM;
		goto out;
	}
	if ((rc = acme_client_directory(c)) != BURROW_OK ||
	    (rc = acme_client_account(c, s, &m->run.account)) != BURROW_OK) {
		log_error("%s", c->err);
		goto out;
	}
	if (strcmp(what, "key-rollover") == 0) {
		if ((rc = acme_client_key_change(c, s)) != BURROW_OK)
			log_error("key change: %s", c->err);
		else
			print_progress(m, "account", "key changed", c->kid);
	} else {
		print_progress(m, "account", "registered", c->kid);
	}
out:
	acme_client_free(c);
	store_close(s);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "directory", required_argument, NULL, 'D' },
		{ "ca-bundle", required_argument, NULL, 'C' },
		{ "dns", required_argument, NULL, 'n' },
		{ "dns-timeout", required_argument, NULL, 'T' },
		{ "contact", required_argument, NULL, 'c' },
		{ "eab-kid", required_argument, NULL, 'k' },
		{ "eab-hmac-key", required_argument, NULL, 'K' },
		{ "key-type", required_argument, NULL, 't' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "once", no_argument, NULL, 'o' },
		{ "metrics", required_argument, NULL, 'X' },
		{ "json", no_argument, NULL, 'J' },
		{ "log", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct acme_stats stats;
	struct main_opts m;
	char canon[NAMES_MAX + 1], **zones = NULL;
	const char *env, *cmd;
	char host[64], mhost[64];
	uint16_t port, mport;
	int ch, i, n, nzones = 0, rc = BURROW_ERR_INVALID;

	memset(&m, 0, sizeof(m));
	m.level = LOG_LEVEL_INFO;
	m.run.jobs = 8;
	m.run.interval_s = 60;
	m.run.issue.dns_timeout_ms = 30000;
	m.run.stats = &stats;
	env = getenv("BURROW_DB");
	snprintf(m.db_path, sizeof(m.db_path), "%s", env != NULL && *env ? env : "burrow.db");
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': snprintf(m.db_path, sizeof(m.db_path), "%s", optarg); break;
		case 'D': snprintf(m.directory, sizeof(m.directory), "%s", optarg); break;
		case 'C': snprintf(m.ca_bundle, sizeof(m.ca_bundle), "%s", optarg); break;
		case 'n':
			if (opts_addr_port("--dns", optarg, 0, host, sizeof(host), &port) != BURROW_OK)
				return 2;
			snprintf(m.dns, sizeof(m.dns), "%s", optarg);
			break;
		case 'T':
			if (opts_duration("--dns-timeout", optarg, OPTS_S, 1, 3600, &n) != BURROW_OK)
				return 2;
			m.run.issue.dns_timeout_ms = (unsigned)n * 1000;
			break;
		case 'c': m.run.account.contact = optarg; break;
		case 'k': m.run.account.eab_kid = optarg; break;
		case 'K': m.run.account.eab_mac = optarg; break;
		case 't':
			if (strcmp(optarg, "rsa") == 0)
				m.run.issue.key_type = ACME_KEY_RSA;
			else if (strcmp(optarg, "ecdsa") == 0 || strcmp(optarg, "ec") == 0)
				m.run.issue.key_type = ACME_KEY_EC;
			else
			{
				opts_bad("--key-type", optarg, "ecdsa or rsa");
				return 2;
			}
			break;
		case 'j':
			if (opts_int("--jobs", optarg, 1, 256, &n) != BURROW_OK)
				return 2;
			m.run.jobs = (unsigned)n;
			break;
		case 'i':
			if (opts_duration("--interval", optarg, OPTS_S, 1, 7 * 86400, &n) != BURROW_OK)
				return 2;
			m.run.interval_s = (unsigned)n;
			break;
		case 'o': m.run.once = 1; break;
		case 'X':
			if (opts_addr_port("--metrics", optarg, 0, mhost, sizeof(mhost),
			    &mport) != BURROW_OK)
				return 2;
			m.run.metrics_addr = optarg;
			break;
		case 'J': m.json = 1; break;
		case 'l': m.log_path = optarg; break;
		case 'v': m.level = LOG_LEVEL_DEBUG; break;
		case 'h': fputs(USAGE, stdout); return 0;
		case 'V': burrow_version_print(); return 0;
		default: usage();
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "burrow-acme: needs a command: issue, run, account, key-rollover "
		    "or revoke (see --help)\n");
		return 2;
	}
	if (check_verb(argv[optind], argc - optind - 1) != BURROW_OK)
		return 2;
	/* Zone names are part of the command line: malformed is exit 2. */
	for (i = optind + 1; i < argc; i++) {
		if (names_canonical(argv[i], 0, canon) != BURROW_OK) {
			fprintf(stderr, "burrow-acme: '%s' is not a zone name\n", argv[i]);
			return 2;
		}
	}
	if ((m.run.account.eab_kid == NULL) != (m.run.account.eab_mac == NULL)) {
		fprintf(stderr, "burrow-acme: --eab-kid and --eab-hmac-key go together\n");
		return 2;
	}
	cmd = argv[optind++];
	if (m.run.metrics_addr != NULL && strcmp(cmd, "run") != 0) {
		fprintf(stderr, "burrow-acme: --metrics is for the daemon (run)\n");
		return 2;
	}
	if (log_init("burrow-acme", m.log_path, m.level) != BURROW_OK) {
		fprintf(stderr, "burrow-acme: cannot open log %s\n", m.log_path);
		return 1;
	}
	if (defaults_from_store(&m) != BURROW_OK)
		return 1;
	m.run.db_path = m.db_path;
	m.run.directory_url = m.directory;
	m.run.ca_bundle = m.ca_bundle[0] != '\0' ? m.ca_bundle : NULL;
	m.run.issue.dns_server = m.dns;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("libcurl failed to start");
		return 1;
	}
	if (strcmp(cmd, "issue") == 0 || strcmp(cmd, "revoke") == 0) {
		n = argc - optind;
		if ((zones = calloc((size_t)n, sizeof(*zones))) == NULL)
			goto out;
		for (i = 0; i < n; i++, nzones++) {
			if (names_canonical(argv[optind + i], 0, canon) != BURROW_OK) {
				log_error("'%s' is not a zone name", argv[optind + i]);
				rc = BURROW_ERR_INVALID;
				goto out;
			}
			if ((zones[i] = strdup(canon)) == NULL)
				goto out;
		}
		m.run.issue.progress = print_progress;
		m.run.issue.progress_ctx = &m;
		if (strcmp(cmd, "revoke") == 0)
			rc = cmd_single(&m, cmd, zones[0]);
		else
			rc = acme_issue_zones(&m.run, (const char *const *)zones, (size_t)n);
	} else if (strcmp(cmd, "run") == 0) {
		rc = acme_daemon(&m.run);
	} else {
		rc = cmd_single(&m, cmd, NULL);   /* account, key-rollover */
	}
out:
	for (i = 0; i < nzones; i++)
		free(zones[i]);
	free(zones);
	curl_global_cleanup();
	return rc == BURROW_OK ? 0 : 1;
}
