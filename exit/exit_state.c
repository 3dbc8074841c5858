/*
 * exit_state.c: reading an exit node's desired state from the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "exit/exit_state.h"

struct load_ctx {
	struct exit_state *st;
	const char *ifprefix;
	int err;
};

static int
add_ip(const struct store_proxy_ip *ip, void *arg)
{
	struct load_ctx *ctx = arg;
	struct exit_state *st = ctx->st;
	struct exit_ip *e;
	int len;

	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 8;
		struct exit_ip *ips = realloc(st->ips, cap * sizeof(*ips));
		if (ips == NULL)
			return ctx->err = BURROW_ERR_NOMEM;
		st->ips = ips;
		st->cap = cap;
	}
	e = &st->ips[st->n];
	memset(e, 0, sizeof(*e));
	e->ip = *ip;
	len = snprintf(e->ifname, sizeof(e->ifname), "%s%lld", ctx->ifprefix,
	    (long long)ip->id);
	if (len < 0 || (size_t)len >= sizeof(e->ifname))
		return ctx->err = BURROW_ERR_INVALID;
	st->n++;
	return 0;
}

static int
add_peer(const struct store_proxy_peer *p, void *arg)
{
	struct exit_ip *e = arg;

	if (e->npeers == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct store_proxy_peer *peers = realloc(e->peers, cap * sizeof(*peers));
		if (peers == NULL)
			return BURROW_ERR_NOMEM;
		e->peers = peers;
		e->cap = cap;
	}
	e->peers[e->npeers++] = *p;
	return 0;
}

int
exit_state_load(struct store *s, const char *node, const char *ifprefix,
                struct exit_state *out)
{
	struct load_ctx ctx = { .st = out, .ifprefix = ifprefix, .err = BURROW_OK };
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_proxy_ip_list(s, 0, node, add_ip, &ctx);
	if (rc == BURROW_OK)
		rc = ctx.err;
	for (i = 0; rc == BURROW_OK && i < out->n; i++) {
		struct exit_ip *e = &out->ips[i];
		if ((rc = store_proxy_ip_private_key(s, e->ip.id, e->private_key)) == BURROW_OK)
			rc = store_proxy_peer_list(s, e->ip.id, add_peer, e);
	}
	if (rc != BURROW_OK)
		exit_state_clear(out);
	return rc;
}

void
exit_state_clear(struct exit_state *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		OPENSSL_cleanse(st->ips[i].private_key, sizeof(st->ips[i].private_key));
		free(st->ips[i].peers);
	}
	free(st->ips);
	memset(st, 0, sizeof(*st));
}
