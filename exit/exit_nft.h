/*
 * exit_nft.h: the nftables ruleset of an exit node, as a pure function.
 *
 * One table holds everything Burrow does on the node, replaced as a whole in
 * one nft transaction, so a reconcile never leaves half a policy in place:
 *   forward:     MSS clamping, source checks, per-peer outbound policy
 *                (block_network, outbound_cidr_allowlist), no traffic
 *                between workloads and none of a family the IP cannot SNAT;
 *   input:       workloads cannot reach the exit node itself;
 *   postrouting: each IP's peer blocks SNATed to that static IP.
 */
#ifndef BURROW_EXIT_NFT_H
#define BURROW_EXIT_NFT_H

#include <stddef.h>

#include "exit/exit_state.h"

/* The nft -f script that replaces table "inet TABLE" with the rules for the
 * IPs of st; ifprefix names every Burrow interface (a wildcard match).
 * Returns a malloc'd string (caller frees) or NULL when out of memory or
 * when a stored allowlist entry is not a CIDR. */
char *exit_nft_render(const char *table, const char *ifprefix, const struct exit_state *st);

/* The script that removes table "inet TABLE" (and creates nothing). */
char *exit_nft_render_delete(const char *table);

#endif
