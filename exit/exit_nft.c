/*
 * exit_nft.c: rendering the exit node's nftables ruleset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/netaddr.h"
#include "exit/exit_nft.h"

/* Writes "{ a, b }" of the allowlist entries of one family (4 or 6) to f;
 * *count gets how many.  Entries were canonicalised by the store. */
static int
allow_set(FILE *f, const char *list, int family, int *count)
{
	char item[64], addr[64];
	const char *p = list;
	size_t n;

	*count = 0;
	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(item))
			return BURROW_ERR_INVALID;
		memcpy(item, p, n);
		item[n] = '\0';
		p += n + (p[n] == ',');
		memcpy(addr, item, n + 1);
		*strchrnul(addr, '/') = '\0';
		if (netaddr_ip_family(addr) == 0)
			return BURROW_ERR_INVALID;
		if (netaddr_ip_family(addr) != family)
			continue;
		if (f != NULL)
			fprintf(f, "%s%s", *count ? ", " : "{ ", item);
		(*count)++;
	}
	if (f != NULL && *count)
		fputs(" }", f);
	return BURROW_OK;
}

/* The outbound policy of one peer for one family. */
static int
peer_policy(FILE *f, const struct exit_ip *e, const struct store_proxy_peer *p, int family)
{
	const char *proto = family == 4 ? "ip" : "ip6";
	const char *addr = family == 4 ? p->address4 : p->address6;
	int count;

	if (p->block_network) {
		fprintf(f, "\t\tiifname \"%s\" %s saddr %s drop\n", e->ifname, proto, addr);
		return BURROW_OK;
	}
	if (p->cidr_allowlist[0] == '\0')
		return BURROW_OK;
	if (allow_set(NULL, p->cidr_allowlist, family, &count) != BURROW_OK)
		return BURROW_ERR_INVALID;
	if (count == 0) {
		/* An allowlist with nothing of this family allows none of it. */
		fprintf(f, "\t\tiifname \"%s\" %s saddr %s drop\n", e->ifname, proto, addr);
		return BURROW_OK;
	}
	fprintf(f, "\t\tiifname \"%s\" %s saddr %s %s daddr != ", e->ifname, proto, addr, proto);
	allow_set(f, p->cidr_allowlist, family, &count);
	fputs(" drop\n", f);
	return BURROW_OK;
}

static int
forward_rules(FILE *f, const char *ifprefix, const struct exit_ip *e)
{
	size_t i;
	int rc;

	/* Clamp the MSS to the route MTU both ways: the tunnel's 1420-byte
	 * MTU is lower than the target's path, and PMTU discovery through
	 * NAT is unreliable (ICMP filtered on the way). */
	fprintf(f, "\t\tiifname \"%s\" tcp flags syn tcp option maxseg size set rt mtu\n",
	    e->ifname);
	fprintf(f, "\t\toifname \"%s\" tcp flags syn tcp option maxseg size set rt mtu\n",
	    e->ifname);
	/* Workloads are isolated from each other, within and across proxies. */
	fprintf(f, "\t\tiifname \"%s\" oifname \"%s*\" drop\n", e->ifname, ifprefix);
	/* Only the IP's blocks may leave its interface (WireGuard's allowed
	 * IPs already hold each peer to its own addresses). */
	fprintf(f, "\t\tiifname \"%s\" ip saddr != %s drop\n", e->ifname, e->ip.peer_cidr4);
	fprintf(f, "\t\tiifname \"%s\" ip6 saddr != %s drop\n", e->ifname, e->ip.peer_cidr6);
	/* A family the static IP cannot SNAT must not leave from the node's
	 * own address: the customer allow-lists only the static IP. */
	fprintf(f, "\t\tiifname \"%s\" meta nfproto %s drop\n", e->ifname,
	    e->ip.family == 4 ? "ipv6" : "ipv4");
	for (i = 0; i < e->npeers; i++) {
		if ((rc = peer_policy(f, e, &e->peers[i], 4)) != BURROW_OK ||
		    (rc = peer_policy(f, e, &e->peers[i], 6)) != BURROW_OK)
			return rc;
	}
	return BURROW_OK;
}

char *
exit_nft_render(const char *table, const char *ifprefix, const struct exit_state *st)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);
	int rc = BURROW_OK;

	if (f == NULL)
		return NULL;
	/* Create-then-delete makes the delete valid on a node where the table
	 * does not exist yet; nft applies the whole script atomically. */
	fprintf(f, "table inet %s\ndelete table inet %s\ntable inet %s {\n", table, table, table);
	fputs("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n", f);
	for (i = 0; i < st->n && rc == BURROW_OK; i++)
		rc = forward_rules(f, ifprefix, &st->ips[i]);
	fputs("\t}\n", f);
	fputs("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n", f);
	for (i = 0; i < st->n; i++)
		fprintf(f, "\t\tiifname \"%s\" drop\n", st->ips[i].ifname);
	fputs("\t}\n", f);
	fputs("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; "
	    "policy accept;\n", f);
	for (i = 0; i < st->n; i++) {
		const struct exit_ip *e = &st->ips[i];
		if (e->ip.family == 4)
			fprintf(f, "\t\tip saddr %s oifname != \"%s\" snat ip to %s\n",
			    e->ip.peer_cidr4, e->ifname, e->ip.address);
		else
			fprintf(f, "\t\tip6 saddr %s oifname != \"%s\" snat ip6 to %s\n",
			    e->ip.peer_cidr6, e->ifname, e->ip.address);
	}
	fputs("\t}\n}\n", f);
	if (fclose(f) != 0 || rc != BURROW_OK) {
		free(text);
		return NULL;
	}
	return text;
}

char *
exit_nft_render_delete(const char *table)
{
	char *text = NULL;

	if (asprintf(&text, "table inet %s\ndelete table inet %s\n", table, table) < 0)
		return NULL;
	return text;
}
