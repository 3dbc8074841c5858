/*
 * exit_state.h: what an exit node should host, as read from the store.
 *
 * One struct exit_ip per static IP of this node: its WireGuard interface,
 * private key and connected peers.  The renderers (wg_conf.h, exit_nft.h)
 * turn a set of them into text for wg(8) and nft(8); the agent applies it.
 */
#ifndef BURROW_EXIT_STATE_H
#define BURROW_EXIT_STATE_H

#include <net/if.h>
#include <stddef.h>

#include "db/store_proxy.h"

struct exit_ip {
	struct store_proxy_ip ip;
	char ifname[IFNAMSIZ];
	char private_key[STORE_WG_KEY_LEN + 1];
	struct store_proxy_peer *peers;  /* owned; host order */
	size_t npeers, cap;
};

struct exit_state {
	struct exit_ip *ips;             /* owned */
	size_t n, cap;
};

/* Reads every IP of node (and its private key and peers) from the store,
 * naming interfaces ifprefix + IP id.  On success *out is filled and owned by
 * the caller (exit_state_clear()).  Errors: store codes, BURROW_ERR_NOMEM,
 * BURROW_ERR_INVALID (interface name too long). */
int exit_state_load(struct store *s, const char *node, const char *ifprefix,
                    struct exit_state *out);

/* Frees what exit_state_load() filled (and wipes the keys); keeps st usable. */
void exit_state_clear(struct exit_state *st);

#endif
