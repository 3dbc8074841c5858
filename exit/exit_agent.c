/*
 * exit_agent.c: reconciling an exit node with the store.
 */
#include <ctype.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "common/log.h"
#include "db/store.h"
#include "db/store_proxy.h"
#include "exit/exit_agent.h"
#include "exit/exit_exec.h"
#include "exit/exit_nft.h"
#include "exit/exit_state.h"
#include "exit/wg_conf.h"

static int
write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = BURROW_OK;

	if (fd < 0)
		return BURROW_ERR_IO;
	if (write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		rc = BURROW_ERR_IO;
	close(fd);
	return rc;
}

/* Creates the interface: kernel WireGuard if the module loads, else
 * wireguard-go, which puts itself in the background and leaves a UAPI
 * socket that wg(8) talks to.  Both outlive the agent, so traffic keeps
 * flowing while the agent restarts. */
static int
create_iface(const char *ifname)
{
	const char *kernel[] = { "ip", "link", "add", ifname, "type", "wireguard", NULL };
	const char *user[] = { "wireguard-go", ifname, NULL };

	if (exit_run(kernel, NULL, 0, NULL, NULL, 1) == BURROW_OK) {
		log_info("%s: created (kernel WireGuard)", ifname);
		return BURROW_OK;
	}
	/* Quiet: wireguard-go prints a banner about the kernel module. */
	if (exit_run(user, NULL, 0, NULL, NULL, 1) != BURROW_OK ||
	    if_nametoindex(ifname) == 0) {
		log_error("%s: cannot create a WireGuard interface (no kernel module, "
		    "and 'wireguard-go %s' failed)", ifname, ifname);
		return BURROW_ERR_IO;
	}
	log_info("%s: created (wireguard-go)", ifname);
	return BURROW_OK;
}

static int
configure_iface(const struct exit_ip *e)
{
	char gw4[64], gw6[80], mtu[16];
	const char *sync[] = { "wg", "syncconf", e->ifname, "/dev/stdin", NULL };
	const char *addr4[] = { "ip", "-4", "address", "replace", gw4, "dev", e->ifname, NULL };
	const char *addr6[] = { "ip", "-6", "address", "replace", gw6, "dev", e->ifname,
	    "nodad", NULL };
	const char *up[] = { "ip", "link", "set", e->ifname, "mtu", mtu, "up", NULL };
	char *conf;
	int rc;

	if (store_proxy_ip_gateways(&e->ip, gw4, gw6) != BURROW_OK) {
		log_error("%s: bad peer blocks %s %s", e->ifname, e->ip.peer_cidr4,
		    e->ip.peer_cidr6);
		return BURROW_ERR_INVALID;
	}
	snprintf(mtu, sizeof(mtu), "%d", EXIT_TUNNEL_MTU);
	if (if_nametoindex(e->ifname) == 0 && (rc = create_iface(e->ifname)) != BURROW_OK)
		return rc;
	if ((conf = wg_conf_render(e)) == NULL)
		return BURROW_ERR_NOMEM;
	/* The private key reaches wg on a pipe, never on a command line. */
	rc = exit_run(sync, conf, strlen(conf), NULL, NULL, 0);
	OPENSSL_cleanse(conf, strlen(conf));
	free(conf);
	if (rc != BURROW_OK)
		return rc;
	if ((rc = exit_run(addr4, NULL, 0, NULL, NULL, 0)) != BURROW_OK ||
	    (rc = exit_run(addr6, NULL, 0, NULL, NULL, 0)) != BURROW_OK ||
	    (rc = exit_run(up, NULL, 0, NULL, NULL, 0)) != BURROW_OK)
		return rc;
	return BURROW_OK;
}

/* True if name is PREFIX followed by digits only: one of ours. */
static int
is_ours(const char *prefix, const char *name)
{
	size_t n = strlen(prefix);
	const char *p;

	if (strncmp(name, prefix, n) != 0 || name[n] == '\0')
		return 0;
	for (p = name + n; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return 1;
}

/* Deletes our interfaces whose IP left the store (or this node). */
static int
remove_stale(struct exit_agent *a, const struct exit_state *st)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	size_t k;
	int rc = BURROW_OK, wanted;

	if (ifs == NULL)
		return BURROW_ERR_IO;
	for (i = ifs; i->if_index != 0 && i->if_name != NULL; i++) {
		if (!is_ours(a->cfg.ifprefix, i->if_name))
			continue;
		wanted = 0;
		for (k = 0; k < st->n && !wanted; k++)
			wanted = strcmp(st->ips[k].ifname, i->if_name) == 0;
		if (!wanted) {
			const char *del[] = { "ip", "link", "del", i->if_name, NULL };
			if (exit_run(del, NULL, 0, NULL, NULL, 0) != BURROW_OK)
				rc = BURROW_ERR_IO;
			else
				log_info("%s: removed", i->if_name);
		}
	}
	if_freenameindex(ifs);
	return rc;
}

static int
apply_nft(struct exit_agent *a, const struct exit_state *st)
{
	const char *nft[] = { "nft", "-f", "-", NULL };
	char *text = exit_nft_render(a->cfg.nft_table, a->cfg.ifprefix, st);
	int rc;

	if (text == NULL) {
		log_error("cannot render the nftables ruleset");
		return BURROW_ERR_NOMEM;
	}
	if (a->nft_applied != NULL && strcmp(a->nft_applied, text) == 0) {
		free(text);
		return BURROW_OK;
	}
	if ((rc = exit_run(nft, text, strlen(text), NULL, NULL, 0)) != BURROW_OK) {
		free(text);
		return rc;
	}
	free(a->nft_applied);
	a->nft_applied = text;
	return BURROW_OK;
}

int
exit_agent_reconcile(struct exit_agent *a)
{
	struct exit_state st;
	int64_t seq;
	size_t i, peers = 0;
	int rc, ret = BURROW_OK;

	if ((rc = store_proxy_change_max(a->store, &seq)) != BURROW_OK ||
	    (rc = exit_state_load(a->store, a->cfg.node, a->cfg.ifprefix, &st)) != BURROW_OK) {
		log_error("reading the store: %s", store_errmsg(a->store));
		return rc;
	}
	/* An exit node forwards; in a fresh network namespace both are off. */
	if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1") != BURROW_OK ||
	    write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1") != BURROW_OK)
		log_warn("cannot enable IP forwarding");
	for (i = 0; i < st.n; i++) {
		if ((rc = configure_iface(&st.ips[i])) != BURROW_OK && ret == BURROW_OK)
			ret = rc;
		peers += st.ips[i].npeers;
	}
	if ((rc = remove_stale(a, &st)) != BURROW_OK && ret == BURROW_OK)
		ret = rc;
	if ((rc = apply_nft(a, &st)) != BURROW_OK && ret == BURROW_OK)
		ret = rc;
	if (ret == BURROW_OK) {
		if (!a->synced || a->seq != seq)
			log_info("reconciled change %lld: %zu IPs, %zu peers", (long long)seq,
			    st.n, peers);
		a->seq = seq;
		a->synced = 1;
	} else {
		a->synced = 0;
	}
	exit_state_clear(&st);
	return ret;
}

int
exit_agent_poll(struct exit_agent *a)
{
	int64_t seq;
	int rc;

	if ((rc = store_proxy_change_max(a->store, &seq)) != BURROW_OK)
		return rc;
	if (a->synced && seq == a->seq)
		return 0;
	return (rc = exit_agent_reconcile(a)) == BURROW_OK ? 1 : rc;
}

static int64_t
handshake_of(const struct wg_dump *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->npeers; i++)
		if (strcmp(d->peers[i].public_key, key) == 0)
			return d->peers[i].latest_handshake;
	return 0;
}

int
exit_agent_expire(struct exit_agent *a, time_t now, int *expired)
{
	struct exit_state st;
	struct wg_dump dump;
	char *text;
	size_t len, i, k;
	int rc, removed, n = 0;

	if (expired != NULL)
		*expired = 0;
	if ((rc = exit_state_load(a->store, a->cfg.node, a->cfg.ifprefix, &st)) != BURROW_OK)
		return rc;
	for (i = 0; i < st.n; i++) {
		const struct exit_ip *e = &st.ips[i];
		const char *show[] = { "wg", "show", e->ifname, "dump", NULL };

		if (e->npeers == 0)
			continue;
		if (exit_run(show, NULL, 0, &text, &len, 0) != BURROW_OK)
			continue;
		rc = wg_dump_parse(text, len, &dump);
		OPENSSL_cleanse(text, len); /* the dump starts with the private key */
		free(text);
		if (rc != BURROW_OK) {
			log_error("%s: cannot parse wg show dump", e->ifname);
			continue;
		}
		for (k = 0; k < e->npeers; k++) {
			const struct store_proxy_peer *p = &e->peers[k];
			int64_t last = handshake_of(&dump, p->public_key);
			if (last < p->updated_at)
				last = p->updated_at;
			if ((int64_t)now - last < a->cfg.idle_timeout)
				continue;
			/* updated_at as the bound: a reconnect since we read
			 * the row keeps the peer. */
			if (store_proxy_peer_expire(a->store, e->ip.id, p->public_key,
			    p->updated_at, &removed) == BURROW_OK && removed) {
				log_info("%s: expired idle peer %s (%s)", e->ifname,
				    p->public_key, p->address4);
				n++;
			}
		}
		wg_dump_clear(&dump);
	}
	exit_state_clear(&st);
	if (expired != NULL)
		*expired = n;
	return n > 0 ? exit_agent_reconcile(a) : BURROW_OK;
}

void
exit_agent_clear(struct exit_agent *a)
{
	free(a->nft_applied);
	a->nft_applied = NULL;
}
