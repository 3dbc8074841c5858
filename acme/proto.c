/*
 * proto.c: the ACME documents (RFC 8555 section 7.1) as plain structs, and
 * the retry rules, with no I/O so they can be unit tested and fuzzed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acme/acme.h"
#include "common/error.h"

static char *
dup_member(json_t *obj, const char *name)
{
	const char *v = json_string_value(json_object_get(obj, name));

	return v != NULL ? strdup(v) : NULL;
}

static void
copy_member(json_t *obj, const char *name, char *out, size_t outsz)
{
	const char *v = json_string_value(json_object_get(obj, name));

	snprintf(out, outsz, "%s", v != NULL ? v : "");
}

void
acme_directory_clear(struct acme_directory *d)
{
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->renewal_info);
	free(d->terms);
	memset(d, 0, sizeof(*d));
}

int
acme_directory_parse(const char *body, size_t len, struct acme_directory *d)
{
	json_t *root, *meta;
	int rc = BURROW_ERR_PROTO;

	memset(d, 0, sizeof(*d));
	if ((root = json_loadb(body, len, 0, NULL)) == NULL || !json_is_object(root))
		goto out;
	d->new_nonce = dup_member(root, "newNonce");
	d->new_account = dup_member(root, "newAccount");
	d->new_order = dup_member(root, "newOrder");
	d->revoke_cert = dup_member(root, "revokeCert");
	d->key_change = dup_member(root, "keyChange");
	d->renewal_info = dup_member(root, "renewalInfo");
	if ((meta = json_object_get(root, "meta")) != NULL) {
		d->terms = dup_member(meta, "termsOfService");
		d->eab_required = json_is_true(json_object_get(meta, "externalAccountRequired"));
	}
	if (d->new_nonce == NULL || d->new_account == NULL || d->new_order == NULL)
		goto out;
	rc = BURROW_OK;
out:
	if (rc != BURROW_OK)
		acme_directory_clear(d);
	json_decref(root);
	return rc;
}

void
acme_problem_parse(const char *body, size_t len, struct acme_problem *p)
{
	static const char prefix[] = "urn:ietf:params:acme:error:";
	json_t *root = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	const char *type;
	size_t i, n;

	memset(p, 0, sizeof(*p));
	if (root != NULL && json_is_object(root) &&
	    (type = json_string_value(json_object_get(root, "type"))) != NULL) {
		if (strncmp(type, prefix, sizeof(prefix) - 1) == 0)
			type += sizeof(prefix) - 1;
		snprintf(p->type, sizeof(p->type), "%s", type);
		copy_member(root, "detail", p->detail, sizeof(p->detail));
	} else if (body != NULL) {
		/* Not a problem document: keep a printable excerpt for the log. */
		n = len < sizeof(p->detail) - 1 ? len : sizeof(p->detail) - 1;
		for (i = 0; i < n; i++)
			p->detail[i] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
		p->detail[n] = '\0';
	}
	/* One line per error: no newline from the server survives. */
	for (i = 0; p->detail[i] != '\0'; i++)
		if (p->detail[i] == '\n' || p->detail[i] == '\r')
			p->detail[i] = ' ';
	json_decref(root);
}

enum acme_retry
acme_retry_kind(long http_status, const struct acme_problem *p)
{
	if (strcmp(p->type, "badNonce") == 0)
		return ACME_RETRY_NONCE;
	if (strcmp(p->type, "rateLimited") == 0 || http_status == 429 ||
	    (http_status >= 500 && http_status <= 599))
		return ACME_RETRY_LATER;
	return ACME_RETRY_NO;
}

int
acme_retry_after(const char *value, time_t now, unsigned *seconds)
{
	struct tm tm;
	const char *end;
	char *num_end;
	unsigned long v;
	time_t t;

	while (*value == ' ' || *value == '\t')
		value++;
	if (*value >= '0' && *value <= '9') {
		v = strtoul(value, &num_end, 10);
		while (*num_end == ' ' || *num_end == '\t' || *num_end == '\r' ||
		    *num_end == '\n')
			num_end++;
		if (*num_end != '\0' || v > 86400UL * 365)
			return BURROW_ERR_INVALID;
		*seconds = (unsigned)v;
		return BURROW_OK;
	}
	/* IMF-fixdate, RFC 9110 5.6.7: "Sun, 06 Nov 1994 08:49:37 GMT". */
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm)) == NULL)
		return BURROW_ERR_INVALID;
	t = timegm(&tm);
	*seconds = t > now ? (unsigned)(t - now < 86400L * 365 ? t - now : 86400L * 365) : 0;
	return BURROW_OK;
}

unsigned
acme_backoff_ms(unsigned attempt, unsigned retry_after_s)
{
	unsigned ms;

	if (retry_after_s > 0)
		return retry_after_s >= ACME_BACKOFF_MAX_MS / 1000 ? ACME_BACKOFF_MAX_MS
		    : retry_after_s * 1000;
	ms = attempt >= 10 ? ACME_BACKOFF_MAX_MS : 100u << attempt;
	return ms > ACME_BACKOFF_MAX_MS ? ACME_BACKOFF_MAX_MS : ms;
}

static const char *const status_names[] = {
	[ACME_ST_UNKNOWN] = "unknown", [ACME_ST_PENDING] = "pending",
	[ACME_ST_READY] = "ready", [ACME_ST_PROCESSING] = "processing",
	[ACME_ST_VALID] = "valid", [ACME_ST_INVALID] = "invalid",
	[ACME_ST_EXPIRED] = "expired", [ACME_ST_DEACTIVATED] = "deactivated",
	[ACME_ST_REVOKED] = "revoked",
};

enum acme_status
acme_status_parse(const char *s)
{
	size_t i;

	for (i = 1; s != NULL && i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0)
			return (enum acme_status)i;
	return ACME_ST_UNKNOWN;
}

const char *
acme_status_name(enum acme_status st)
{
	return (unsigned)st < sizeof(status_names) / sizeof(status_names[0])
	    ? status_names[st] : "unknown";
}

/* "type: detail" of an embedded problem object (order.error, challenge.error). */
static void
embedded_problem(json_t *err, char *out, size_t outsz)
{
	char *text;
	struct acme_problem p;

	out[0] = '\0';
	if (!json_is_object(err) || (text = json_dumps(err, JSON_COMPACT)) == NULL)
		return;
	acme_problem_parse(text, strlen(text), &p);
	free(text);
	snprintf(out, outsz, "%s: %s", p.type, p.detail);
}

void
acme_order_clear(struct acme_order *o)
{
	size_t i;

	for (i = 0; i < o->nauthz; i++)
		free(o->authz[i]);
	free(o->finalize);
	free(o->certificate);
	memset(o, 0, sizeof(*o));
}

int
acme_order_parse(const char *body, size_t len, struct acme_order *o)
{
	json_t *root, *authz, *v;
	size_t i;
	int rc = BURROW_ERR_PROTO;

	memset(o, 0, sizeof(*o));
	if ((root = json_loadb(body, len, 0, NULL)) == NULL || !json_is_object(root))
		goto out;
	o->status = acme_status_parse(json_string_value(json_object_get(root, "status")));
	authz = json_object_get(root, "authorizations");
	if (o->status == ACME_ST_UNKNOWN || !json_is_array(authz) ||
	    json_array_size(authz) > ACME_MAX_AUTHZ)
		goto out;
	json_array_foreach(authz, i, v) {
		if (!json_is_string(v))
			goto out;
		if ((o->authz[o->nauthz] = strdup(json_string_value(v))) == NULL)
			goto out;
		o->nauthz++;
	}
	o->finalize = dup_member(root, "finalize");
	o->certificate = dup_member(root, "certificate");
	embedded_problem(json_object_get(root, "error"), o->error, sizeof(o->error));
	if (o->finalize == NULL)
		goto out;
	rc = BURROW_OK;
out:
	if (rc != BURROW_OK)
		acme_order_clear(o);
	json_decref(root);
	return rc;
}

enum acme_action
acme_order_next(enum acme_status st)
{
	switch (st) {
	case ACME_ST_PENDING:    return ACME_DO_AUTHORIZE;
	case ACME_ST_READY:      return ACME_DO_FINALIZE;
	case ACME_ST_PROCESSING: return ACME_DO_POLL;
	case ACME_ST_VALID:      return ACME_DO_DOWNLOAD;
	default:                 return ACME_DO_FAIL;
	}
}

int
acme_authz_parse(const char *body, size_t len, struct acme_authz *a)
{
	json_t *root, *ident, *challs, *ch;
	const char *type;
	size_t i;
	int found = 0, rc = BURROW_ERR_PROTO;

	memset(a, 0, sizeof(*a));
	if ((root = json_loadb(body, len, 0, NULL)) == NULL || !json_is_object(root))
		goto out;
	a->status = acme_status_parse(json_string_value(json_object_get(root, "status")));
	ident = json_object_get(root, "identifier");
	challs = json_object_get(root, "challenges");
	if (a->status == ACME_ST_UNKNOWN || !json_is_object(ident) || !json_is_array(challs))
		goto out;
	copy_member(ident, "value", a->identifier, sizeof(a->identifier));
	a->wildcard = json_is_true(json_object_get(root, "wildcard"));
	json_array_foreach(challs, i, ch) {
		type = json_string_value(json_object_get(ch, "type"));
		if (type == NULL || strcmp(type, "dns-01") != 0)
			continue;
		a->chall_status = acme_status_parse(json_string_value(json_object_get(ch,
		    "status")));
		copy_member(ch, "url", a->chall_url, sizeof(a->chall_url));
		copy_member(ch, "token", a->token, sizeof(a->token));
		embedded_problem(json_object_get(ch, "error"), a->error, sizeof(a->error));
		found = a->chall_url[0] != '\0' && a->token[0] != '\0';
		break;
	}
	if (!found && a->status == ACME_ST_PENDING)
		goto out;
	rc = BURROW_OK;
out:
	json_decref(root);
	return rc;
}
