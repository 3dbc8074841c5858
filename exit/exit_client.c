/*
 * exit_client.c: rendering a workload's WireGuard client configuration.
 */
#include <stdio.h>

#include "exit/exit_client.h"

json_t *
exit_client_json(const struct store_proxy_ip *ip, const struct store_proxy_peer *peer)
{
	char a4[64], a6[80], endpoint[80];

	snprintf(a4, sizeof(a4), "%s/32", peer->address4);
	snprintf(a6, sizeof(a6), "%s/128", peer->address6);
	snprintf(endpoint, sizeof(endpoint), ip->family == 6 ? "[%s]:%u" : "%s:%u",
	    ip->address, ip->listen_port);
	/* All of both families goes into the tunnel: the exit drops what its
	 * static IP cannot carry rather than let it leave from elsewhere. */
	return json_pack("{s:s, s:s, s:s, s:[s,s], s:s, s:s, s:[s,s], s:i}",
	    "proxy", ip->proxy, "workspace", ip->workspace, "ip", ip->address,
	    "addresses", a4, a6, "server_public_key", ip->public_key,
	    "endpoint", endpoint, "allowed_ips", "0.0.0.0/0", "::/0",
	    "persistent_keepalive", STORE_PROXY_KEEPALIVE);
}
