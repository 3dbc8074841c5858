/*
 * store_proxy.h: WireGuard exit pools ("proxies") in the store.
 *
 * A proxy belongs to one workspace and has 1 to STORE_PROXY_IPS_MAX static
 * egress IPs.  Each IP has its own X25519 key pair, UDP listen port and a
 * block of tunnel addresses (IPv4 and IPv6 ULA); each connected workload is a
 * peer of one IP, holding one host number of that IP's blocks.  Exit agents
 * follow store_proxy_change_max() and reconcile when it moves.
 *
 * Errors follow store.h: BURROW_OK or a negative code, store_errmsg() says
 * which name, limit or value was wrong.  Every write is one transaction.
 */
#ifndef BURROW_STORE_PROXY_H
#define BURROW_STORE_PROXY_H

#include <stdint.h>

struct store;

#define STORE_PROXY_IPS_MAX 5
#define STORE_PROXY_NAME_MAX 63
#define STORE_WG_KEY_LEN 44       /* base64 of 32 bytes, with one '=' */
#define STORE_PROXY_ALLOWLIST_MAX 1024
#define STORE_PROXY_KEEPALIVE 25  /* seconds, sent to clients */

/* Settings (store_setting_get) that shape new IPs; defaults in brackets. */
#define STORE_PROXY_SETTING_POOL4 "proxy.peer_pool4"   /* [10.128.0.0/16] */
#define STORE_PROXY_SETTING_PREFIX4 "proxy.peer_prefix4" /* [24] */
#define STORE_PROXY_SETTING_POOL6 "proxy.peer_pool6"   /* [fd62:7572:726f:77::/64] */
#define STORE_PROXY_SETTING_PORTS "proxy.port_range"   /* [51820-52819] */

struct store_proxy {
	int64_t id;
	char name[STORE_PROXY_NAME_MAX + 1];
	char workspace[STORE_PROXY_NAME_MAX + 1];
	char plan[16];          /* team, enterprise */
	int64_t created_at;
	int ip_count;
	int peer_count;
};

struct store_proxy_ip {
	int64_t id;
	int64_t proxy_id;
	char proxy[STORE_PROXY_NAME_MAX + 1];
	char workspace[STORE_PROXY_NAME_MAX + 1];
	char address[48];       /* canonical static egress IP */
	int family;             /* 4 or 6 */
	char node[STORE_PROXY_NAME_MAX + 1];
	char public_key[STORE_WG_KEY_LEN + 1];
	uint16_t listen_port;
	char peer_cidr4[48];    /* network/prefix; host 1 is the exit's side */
	char peer_cidr6[64];
	int64_t created_at;
	int peer_count;
};

struct store_proxy_peer {
	int64_t id;
	int64_t proxy_ip_id;
	char public_key[STORE_WG_KEY_LEN + 1];
	int host;
	char address4[48];      /* bare address, the peer's /32 */
	char address6[64];      /* bare address, the peer's /128 */
	int block_network;
	char cidr_allowlist[STORE_PROXY_ALLOWLIST_MAX]; /* "a/n,b/m"; "" = any */
	int64_t created_at;
	int64_t updated_at;     /* last connect */
};

/* Outbound policy a workload carries (the sandbox's block_network and
 * outbound_cidr_allowlist); enforced by the exit agent. */
struct store_proxy_policy {
	int block_network;
	const char *cidr_allowlist; /* comma separated CIDRs, NULL or "" = any */
};

/* Proxies a workspace may have on a plan: team 1, enterprise 3.
 * Returns the limit, or BURROW_ERR_INVALID for an unknown plan name. */
int store_proxy_plan_limit(const char *plan);

/* Creates a proxy.  Errors: BURROW_ERR_INVALID (name, workspace or plan),
 * BURROW_ERR_EXISTS (same name in the workspace), BURROW_ERR_LIMIT (the
 * workspace already has as many proxies as the plan allows). */
int store_proxy_create(struct store *s, const char *name, const char *workspace,
                       const char *plan, struct store_proxy *out);

/* Finds a proxy by name, in workspace (NULL: any workspace, but then a name
 * used by two workspaces is BURROW_ERR_INVALID, asking for the workspace).
 * BURROW_ERR_NOTFOUND if none. */
int store_proxy_get(struct store *s, const char *name, const char *workspace,
                    struct store_proxy *out);

/* Removes a proxy with its IPs and peers.  BURROW_ERR_NOTFOUND if absent. */
int store_proxy_remove(struct store *s, const char *name, const char *workspace);

/* Calls cb for each proxy (of workspace, or all if NULL) in name order; a
 * non-zero return from cb stops the walk and is returned. */
typedef int (*store_proxy_cb)(const struct store_proxy *p, void *ctx);
int store_proxy_list(struct store *s, const char *workspace, store_proxy_cb cb, void *ctx);

struct store_proxy_ip_spec {
	const char *address;    /* static IPv4 or IPv6 literal */
	const char *node;       /* exit node hosting it; NULL = "" */
	const char *peer_cidr4; /* NULL: the next free block of the pool */
	uint16_t listen_port;   /* 0: the lowest free port of the range */
};

/* Adds a static IP with a fresh X25519 key pair (OpenSSL), a listen port and
 * peer blocks.  Errors: BURROW_ERR_NOTFOUND (proxy), BURROW_ERR_INVALID (not
 * an IP, bad CIDR), BURROW_ERR_EXISTS (address, port or block in use),
 * BURROW_ERR_LIMIT (already STORE_PROXY_IPS_MAX), BURROW_ERR_FULL (pool or
 * port range exhausted), BURROW_ERR_CRYPTO (key generation). */
int store_proxy_ip_add(struct store *s, const char *proxy, const char *workspace,
                       const struct store_proxy_ip_spec *spec,
                       struct store_proxy_ip *out);

/* Removes a static IP of a proxy and its peers.  BURROW_ERR_NOTFOUND if the
 * proxy or the IP (of that proxy) is absent. */
int store_proxy_ip_remove(struct store *s, const char *proxy, const char *workspace,
                          const char *address);

/* Calls cb for each IP of proxy_id (0: every proxy) hosted on node (NULL:
 * any node), in id order. */
typedef int (*store_proxy_ip_cb)(const struct store_proxy_ip *ip, void *ctx);
int store_proxy_ip_list(struct store *s, int64_t proxy_id, const char *node,
                        store_proxy_ip_cb cb, void *ctx);

/* Copies the base64 private key of IP ip_id into out.  For the exit agent
 * only; nothing prints it.  BURROW_ERR_NOTFOUND if absent. */
int store_proxy_ip_private_key(struct store *s, int64_t ip_id,
                               char out[STORE_WG_KEY_LEN + 1]);

/* Connects a workload: a key already connected to the proxy keeps its IP and
 * address (its policy is replaced); otherwise one of the proxy's IPs is
 * picked at random (another if that IP's block is full) and the lowest free
 * host of its blocks is assigned.  ip_out and peer_out may be NULL.
 * Errors: BURROW_ERR_NOTFOUND (proxy), BURROW_ERR_INVALID (key or policy),
 * BURROW_ERR_REFUSED (proxy has no IP), BURROW_ERR_FULL (every block full). */
int store_proxy_connect(struct store *s, const char *proxy, const char *workspace,
                        const char *public_key, const struct store_proxy_policy *pol,
                        struct store_proxy_ip *ip_out,
                        struct store_proxy_peer *peer_out);

/* Disconnects a workload, freeing its address at once.
 * Errors: BURROW_ERR_NOTFOUND (proxy, or key not connected to it),
 * BURROW_ERR_INVALID (key). */
int store_proxy_disconnect(struct store *s, const char *proxy, const char *workspace,
                           const char *public_key);

/* Calls cb for each peer of IP ip_id in host order. */
typedef int (*store_proxy_peer_cb)(const struct store_proxy_peer *p, void *ctx);
int store_proxy_peer_list(struct store *s, int64_t ip_id, store_proxy_peer_cb cb,
                          void *ctx);

/* Removes an idle peer of IP ip_id, unless it reconnected after
 * connected_before (so a connect racing the agent's decision wins).
 * *removed (may be NULL) is 1 if a row went.  BURROW_OK either way. */
int store_proxy_peer_expire(struct store *s, int64_t ip_id, const char *public_key,
                            int64_t connected_before, int *removed);

/* The newest proxy change sequence, 0 if none. */
int store_proxy_change_max(struct store *s, int64_t *seq);

/* The exit agent's bearer tokens are the workspace's API keys
 * (store_apikey.h): one table, one check.  These are store_apikey_create(),
 * store_apikey_check() and store_apikey_revoke() under their older names;
 * out gets the key (STORE_APIKEY_LEN characters, shown once). */
int store_proxy_token_create(struct store *s, const char *workspace, char out[65]);
int store_proxy_token_check(struct store *s, const char *token,
                            char workspace[STORE_PROXY_NAME_MAX + 1]);
int store_proxy_token_revoke(struct store *s, const char *workspace, int *removed);

/* True if key is the canonical base64 of a 32-byte WireGuard key. */
int store_proxy_key_valid(const char *key);

/* Decodes a valid key into raw.  BURROW_ERR_INVALID if not valid. */
int store_proxy_key_decode(const char *key, unsigned char raw[32]);

/* A fresh X25519 key pair from OpenSSL, both base64.
 * Returns BURROW_OK or BURROW_ERR_CRYPTO. */
int store_proxy_keypair(char priv[STORE_WG_KEY_LEN + 1], char pub[STORE_WG_KEY_LEN + 1]);

/* The public key (base64) of a base64 private key.
 * BURROW_ERR_INVALID or BURROW_ERR_CRYPTO on failure. */
int store_proxy_public_key(const char *priv, char pub[STORE_WG_KEY_LEN + 1]);

/* The exit's own tunnel addresses of ip (host 1 of each block, with the
 * block's prefix: "10.128.0.1/24", "fd62:...::1/112").
 * BURROW_ERR_INVALID if a stored block is malformed. */
int store_proxy_ip_gateways(const struct store_proxy_ip *ip, char gw4[64], char gw6[80]);

/* Canonicalises a comma separated CIDR list (host bits must be zero; spaces
 * allowed) into out.  BURROW_ERR_INVALID names nothing: callers report it. */
int store_proxy_cidr_list_canonical(const char *in, char *out, size_t outsz);

#endif
