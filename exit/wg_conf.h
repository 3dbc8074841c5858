/*
 * wg_conf.h: the text wg(8) reads and writes, as pure functions.
 *
 * The agent configures each interface with `wg syncconf IF /dev/stdin`
 * (one path for kernel WireGuard, spoken over netlink, and for wireguard-go,
 * spoken over its UAPI socket; syncconf changes only what differs, so live
 * sessions survive a reconcile) and reads handshake times from
 * `wg show IF dump`.
 */
#ifndef BURROW_WG_CONF_H
#define BURROW_WG_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "exit/exit_state.h"

/* The configuration file of e for `wg syncconf`: [Interface] with the
 * private key and listen port, one [Peer] per peer allowed its /32 and /128.
 * Returns a malloc'd string (caller frees, after wiping: it holds the key)
 * or NULL when out of memory. */
char *wg_conf_render(const struct exit_ip *e);

struct wg_dump_peer {
	char public_key[STORE_WG_KEY_LEN + 1];
	int64_t latest_handshake;   /* seconds since the epoch, 0: never */
	uint64_t rx_bytes, tx_bytes;
};

struct wg_dump {
	char public_key[STORE_WG_KEY_LEN + 1];
	uint16_t listen_port;
	struct wg_dump_peer *peers; /* owned: wg_dump_clear() */
	size_t npeers;
};

/* Parses the output of `wg show IF dump` (wg(8): one tab-separated line for
 * the interface, then one per peer).  Errors: BURROW_ERR_PROTO (malformed),
 * BURROW_ERR_NOMEM.  On error *out holds nothing to free. */
int wg_dump_parse(const char *buf, size_t len, struct wg_dump *out);

/* Frees the peers of d; NULL and an empty dump are fine. */
void wg_dump_clear(struct wg_dump *d);

#endif
