/*
 * tunnel_json.c: a tunnel as JSON (api_json.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_json.h"
#include "common/error.h"
#include "common/netaddr.h"

void
api_format_time(int64_t t, char *out, size_t outsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, outsz, "-");
		return;
	}
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

unsigned
api_tunnel_port(struct store *s, const struct store_tunnel *t)
{
	char value[16], *end;
	unsigned long port;

	if (t->kind == STORE_TUNNEL_TCP)
		return t->public_port;
	if (store_setting_get(s, "edge_tls_port", "443", value, sizeof(value)) != BURROW_OK)
		return 443;
	port = strtoul(value, &end, 10);
	return *end == '\0' && port >= 1 && port <= 65535 ? (unsigned)port : 443;
}

void
api_tunnel_url(const struct store_tunnel *t, unsigned port, char *out, size_t outsz)
{
	if (t->kind == STORE_TUNNEL_TCP)
		snprintf(out, outsz, "%s:%u", t->hostname, port);
	else if (port == 443)
		snprintf(out, outsz, "https://%s", t->hostname);
	else
		snprintf(out, outsz, "https://%s:%u", t->hostname, port);
}

void
api_tunnel_target(const struct store_tunnel *t, char *out, size_t outsz)
{
	if (netaddr_ip_family(t->target_host) == 6)
		snprintf(out, outsz, "[%s]:%u", t->target_host, t->target_port);
	else
		snprintf(out, outsz, "%s:%u", t->target_host, t->target_port);
}

json_t *
api_tunnel_json(struct store *s, const struct store_tunnel *t)
{
	char url[NAMES_MAX + 32], target[NAMES_MAX + 16], created[32], expires[32];
	unsigned port = api_tunnel_port(s, t);

	api_tunnel_url(t, port, url, sizeof(url));
	api_tunnel_target(t, target, sizeof(target));
	api_format_time(t->created_at, created, sizeof(created));
	api_format_time(t->expires_at, expires, sizeof(expires));
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:b, s:s, s:s, s:s, s:o}",
	    "hostname", t->hostname, "url", url, "kind", store_tunnel_kind_name(t->kind),
	    "target", target, "port", (int)port, "zone", t->zone,
	    "connect_token", t->connect_token, "workspace", t->workspace,
	    "created_at", created, "sandbox", t->sandbox,
	    "expires_at", t->expires_at != 0 ? json_string(expires) : json_null());
}
