/*
 * exit_agent.h: the exit-node agent (bin/burrow-exit).
 *
 * The agent makes the node match the store: for each static IP hosted here
 * a WireGuard interface (kernel module where it exists, else wireguard-go)
 * with the IP's key, port, tunnel addresses and peers, and one nftables
 * table with SNAT, MSS clamping and the peers' outbound policy.  It follows
 * the store's proxy change sequence, so a restart (or a lost interface)
 * is repaired from the store, and it expires peers that stop handshaking.
 */
#ifndef BURROW_EXIT_AGENT_H
#define BURROW_EXIT_AGENT_H

#include <stdint.h>
#include <time.h>

struct store;
struct event_base;
struct evhttp;

#define EXIT_TUNNEL_MTU 1420 /* WireGuard's default over a 1500-byte path */

struct exit_agent_config {
	const char *node;       /* "" hosts the IPs added without --node */
	const char *ifprefix;   /* interfaces are PREFIX<ip id> */
	const char *nft_table;  /* table inet NAME */
	int idle_timeout;       /* seconds without a handshake before expiry */
	int expire_interval;    /* seconds between expiry checks */
	int poll_ms;            /* store polling period */
};

struct exit_agent {
	struct exit_agent_config cfg;
	struct store *store;         /* borrowed */
	int64_t seq;                 /* change sequence last applied */
	int synced;                  /* seq is meaningful */
	char *nft_applied;           /* the ruleset in force, owned */
};

/* Makes the node match the store now: interfaces, peers, addresses,
 * nftables.  Returns BURROW_OK, or the first error (logged); the next call
 * retries everything. */
int exit_agent_reconcile(struct exit_agent *a);

/* Reconciles if the store changed since the last success (or it failed):
 * the reader of the store watch (db/store_watch.h).  Returns 1 if it
 * reconciled, 0 if nothing had changed, or the error (logged). */
int exit_agent_poll(struct exit_agent *a);

/* Removes from the store the peers with no handshake (and no connect) for
 * idle_timeout seconds as of now, then reconciles if any went.  *expired
 * (may be NULL) gets how many. */
int exit_agent_expire(struct exit_agent *a, time_t now, int *expired);

/* Frees what the agent owns (not the store). */
void exit_agent_clear(struct exit_agent *a);

#endif
