/*
 * proxy_internal.h: address arithmetic shared by the proxy files of db/.
 */
#ifndef BURROW_DB_PROXY_INTERNAL_H
#define BURROW_DB_PROXY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"
#include "db/internal.h"
#include "db/store_proxy.h"

/* A static IP row: SELECT IP_COLUMNS FROM proxy_ips i JOIN proxies p. */
#define IP_COLUMNS \
	"i.id, i.proxy_id, p.name, p.workspace, i.address, i.node, i.public_key, " \
	"i.listen_port, i.peer_cidr4, i.peer_cidr6, i.created_at, " \
	"(SELECT count(*) FROM proxy_peers e WHERE e.proxy_ip_id = i.id)"
void proxy_ip_from_row(struct db_stmt *stmt, struct store_proxy_ip *ip);

/* Blocks are common/netaddr.h's struct netaddr_cidr, parsed (host bits
 * refused) by netaddr_cidr_parse(). */

/* "ADDR/PREFIX" into out. */
void proxy_cidr_format(const struct netaddr_cidr *c, char *out, size_t outsz);

/* The address of c's network plus offset (no prefix) into out.
 * BURROW_ERR_INVALID if that leaves the network. */
int proxy_cidr_host(const struct netaddr_cidr *c, uint64_t offset, char *out,
                    size_t outsz);

/* Block number index of prefix length block_prefix inside pool into out.
 * BURROW_ERR_FULL if the pool has no such block. */
int proxy_cidr_block(const struct netaddr_cidr *pool, int block_prefix,
                     uint64_t index, struct netaddr_cidr *out);

#endif
