/*
 * body.c: request bodies of burrow-api, parsed by pure functions (api.h).
 * Every byte is the client's: jansson parses (duplicate keys refused), and
 * each field is checked for its type and range before anything uses it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/error.h"

static int
fail(char *err, size_t errsz, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return rc;
}

int
api_sandbox_valid(const char *name)
{
	size_t i, n;

	if (name == NULL || (n = strlen(name)) == 0 || n > API_SANDBOX_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && strchr("._-", name[i]) == NULL)
			return 0;
	return 1;
}

/* The body as a JSON object; an empty body is {} when empty_ok. */
static int
load_object(const char *body, size_t len, int empty_ok, json_t **out, char *err,
            size_t errsz)
{
	json_error_t jerr;

	*out = NULL;
	if (len > API_BODY_MAX)
		return fail(err, errsz, BURROW_ERR_LIMIT, "the body is over %d bytes",
		    API_BODY_MAX);
	if (len == 0 && empty_ok)
		return (*out = json_object()) != NULL ? BURROW_OK : BURROW_ERR_NOMEM;
	/* JSON_DISABLE_EOF_CHECK off: trailing bytes after the object fail. */
	*out = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL)
		return fail(err, errsz, BURROW_ERR_INVALID, "malformed JSON at byte %d: %s",
		    jerr.position, jerr.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return fail(err, errsz, BURROW_ERR_INVALID, "the body must be a JSON object");
	}
	return BURROW_OK;
}

/* Refuses any key of obj not in allowed (NULL terminated): a misspelt
 * field must not silently mean its default. */
static int
only_known(json_t *obj, const char *const *allowed, char *err, size_t errsz)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v) {
		for (i = 0; allowed[i] != NULL && strcmp(allowed[i], key) != 0; i++)
			;
		if (allowed[i] == NULL)
			return fail(err, errsz, BURROW_ERR_INVALID, "unknown field '%.64s'", key);
	}
	return BURROW_OK;
}

/* An optional integer field in [min, max] into *out (untouched if absent). */
static int
get_long(json_t *obj, const char *name, long min, long max, long *out, char *err,
         size_t errsz)
{
	json_t *v = json_object_get(obj, name);
	json_int_t n;

	if (v == NULL)
		return BURROW_OK;
	if (!json_is_integer(v) || (n = json_integer_value(v)) < min || n > max)
		return fail(err, errsz, BURROW_ERR_INVALID, "%s must be an integer from %ld to %ld",
		    name, min, max);
	*out = (long)n;
	return BURROW_OK;
}

/* An optional string field of at most max bytes into out (size max + 1). */
static int
get_string(json_t *obj, const char *name, char *out, size_t max, char *err, size_t errsz)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL)
		return BURROW_OK;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return fail(err, errsz, BURROW_ERR_INVALID, "%s must be a string of at most %zu "
		    "characters", name, max);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return BURROW_OK;
}

static int
tunnel_target(json_t *obj, struct api_tunnel_req *out, char *err, size_t errsz)
{
	struct netaddr_hostport hp;
	char target[NETADDR_HOST_MAX + 16] = "";
	int rc;

	if (json_object_get(obj, "target") == NULL)
		return fail(err, errsz, BURROW_ERR_INVALID, "target (\"HOST:PORT\") is required");
	if ((rc = get_string(obj, "target", target, sizeof(target) - 1, err, errsz)) != BURROW_OK)
		return rc;
	if (netaddr_parse_hostport(target, &hp) != BURROW_OK || !netaddr_host_valid(hp.host))
		return fail(err, errsz, BURROW_ERR_INVALID,
		    "target must be HOST:PORT with a port from 1 to 65535");
	memcpy(out->target_host, hp.host, sizeof(out->target_host));
	out->target_port = hp.port;
	return BURROW_OK;
}

static int
tunnel_fields(json_t *obj, struct api_tunnel_req *out, char *err, size_t errsz)
{
	char kind[8] = "tls", domain[NAMES_MAX + 1] = "";
	json_t *ct = json_object_get(obj, "connect_token");
	int rc;

	if ((rc = tunnel_target(obj, out, err, errsz)) != BURROW_OK ||
	    (rc = get_string(obj, "sandbox", out->sandbox, API_SANDBOX_MAX, err, errsz)) != BURROW_OK ||
	    (rc = get_string(obj, "kind", kind, sizeof(kind) - 1, err, errsz)) != BURROW_OK ||
	    (rc = get_string(obj, "domain", domain, NAMES_MAX, err, errsz)) != BURROW_OK ||
	    (rc = get_long(obj, "lease_seconds", 1, API_LEASE_MAX, &out->lease_seconds, err,
	    errsz)) != BURROW_OK)
		return rc;
	if (json_object_get(obj, "sandbox") != NULL && !api_sandbox_valid(out->sandbox))
		return fail(err, errsz, BURROW_ERR_INVALID,
		    "sandbox must be 1-63 characters of A-Z a-z 0-9 . _ -");
	if (store_tunnel_kind_parse(kind, &out->kind) != BURROW_OK)
		return fail(err, errsz, BURROW_ERR_INVALID, "kind must be tls, h2 or tcp");
	if (domain[0] != '\0' && names_canonical(domain, 0, out->domain) != BURROW_OK)
		return fail(err, errsz, BURROW_ERR_INVALID, "domain is not a valid DNS name");
	if (ct != NULL && !json_is_boolean(ct))
		return fail(err, errsz, BURROW_ERR_INVALID, "connect_token must be true or false");
	out->connect_token = json_is_true(ct);
	/* The edge checks tokens in HTTP requests; a tcp tunnel's bytes are
	 * never read, so a token would protect nothing. */
	if (out->connect_token && out->kind == STORE_TUNNEL_TCP)
		return fail(err, errsz, BURROW_ERR_INVALID,
		    "connect_token needs an HTTP tunnel (tls or h2), not tcp");
	return BURROW_OK;
}

int
api_body_tunnel(const char *body, size_t len, struct api_tunnel_req *out, char *err,
                size_t errsz)
{
	static const char *const allowed[] = { "sandbox", "target", "kind", "domain",
		"connect_token", "lease_seconds", NULL };
	json_t *obj = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = load_object(body, len, 0, &obj, err, errsz)) != BURROW_OK)
		return rc;
	if ((rc = only_known(obj, allowed, err, errsz)) == BURROW_OK)
		rc = tunnel_fields(obj, out, err, errsz);
	json_decref(obj);
	return rc;
}

int
api_body_lease(const char *body, size_t len, long *out, char *err, size_t errsz)
{
	static const char *const allowed[] = { "lease_seconds", NULL };
	json_t *obj = NULL;
	int rc;

	*out = 0;
	if ((rc = load_object(body, len, 0, &obj, err, errsz)) != BURROW_OK)
		return rc;
	if ((rc = only_known(obj, allowed, err, errsz)) == BURROW_OK &&
	    (rc = get_long(obj, "lease_seconds", 1, API_LEASE_MAX, out, err, errsz)) ==
	    BURROW_OK && *out == 0)
		rc = fail(err, errsz, BURROW_ERR_INVALID, "lease_seconds is required");
	json_decref(obj);
	return rc;
}

static int
token_metadata(json_t *obj, struct api_token_req *out, char *err, size_t errsz)
{
	json_t *m = json_object_get(obj, "user_metadata");
	char *text;
	int rc;

	if (m != NULL && !json_is_object(m))
		return fail(err, errsz, BURROW_ERR_INVALID, "user_metadata must be an object");
	if (m == NULL)
		return token_metadata_canonical(NULL, out->metadata);
	if ((text = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return BURROW_ERR_NOMEM;
	rc = token_metadata_canonical(text, out->metadata);
	free(text);
	if (rc == BURROW_ERR_LIMIT)
		return fail(err, errsz, BURROW_ERR_INVALID,
		    "user_metadata must serialize to fewer than 512 characters");
	if (rc != BURROW_OK)
		return fail(err, errsz, BURROW_ERR_INVALID, "user_metadata is not a JSON object");
	return BURROW_OK;
}

int
api_body_token(const char *body, size_t len, struct api_token_req *out, char *err,
               size_t errsz)
{
	static const char *const allowed[] = { "user_metadata", "ttl_seconds", NULL };
	json_t *obj = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->ttl_seconds = API_TTL_DEFAULT;
	if ((rc = load_object(body, len, 1, &obj, err, errsz)) != BURROW_OK)
		return rc;
	if ((rc = only_known(obj, allowed, err, errsz)) == BURROW_OK &&
	    (rc = get_long(obj, "ttl_seconds", 1, API_TTL_MAX, &out->ttl_seconds, err,
	    errsz)) == BURROW_OK)
		rc = token_metadata(obj, out, err, errsz);
	json_decref(obj);
	return rc;
}
