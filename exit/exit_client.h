/*
 * exit_client.h: the configuration a connected workload is handed.
 */
#ifndef BURROW_EXIT_CLIENT_H
#define BURROW_EXIT_CLIENT_H

#include <jansson.h>

#include "db/store_proxy.h"

/* The client configuration of peer on ip as JSON: proxy, workspace, ip,
 * addresses, server_public_key, endpoint, allowed_ips, persistent_keepalive.
 * Returns a new reference, or NULL when out of memory. */
json_t *exit_client_json(const struct store_proxy_ip *ip, const struct store_proxy_peer *peer);

#endif
