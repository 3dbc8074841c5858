/*
 * wg_conf.c: rendering wg(8) configuration and parsing `wg show dump`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "exit/wg_conf.h"

char *
wg_conf_render(const struct exit_ip *e)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	fprintf(f, "[Interface]\nPrivateKey = %s\nListenPort = %u\n",
	    e->private_key, e->ip.listen_port);
	for (i = 0; i < e->npeers; i++) {
		const struct store_proxy_peer *p = &e->peers[i];
		/* One /32 and one /128 per peer: WireGuard's cryptokey routing
		 * then drops any packet a peer sends from another address, so
		 * the per-peer nftables policy can trust the source address. */
		fprintf(f, "\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32, %s/128\n",
		    p->public_key, p->address4, p->address6);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Splits line (modified in place) at tabs into at most max fields. */
static size_t
split_tabs(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		fields[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return p == NULL ? n : max + 1;
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return BURROW_ERR_PROTO;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' ? BURROW_OK : BURROW_ERR_PROTO;
}

static int
copy_key(const char *s, char out[STORE_WG_KEY_LEN + 1])
{
	if (!store_proxy_key_valid(s))
		return BURROW_ERR_PROTO;
	memcpy(out, s, STORE_WG_KEY_LEN + 1);
	return BURROW_OK;
}

static int
parse_interface(char *line, struct wg_dump *out)
{
	char *f[4];
	uint64_t port;

	/* private-key public-key listen-port fwmark; an interface without a
	 * private key shows "(none)" for both keys. */
	if (split_tabs(line, f, 4) != 4 || parse_u64(f[2], &port) != BURROW_OK ||
	    port > 65535)
		return BURROW_ERR_PROTO;
	if (strcmp(f[1], "(none)") == 0)
		out->public_key[0] = '\0';
	else if (copy_key(f[1], out->public_key) != BURROW_OK)
		return BURROW_ERR_PROTO;
	out->listen_port = (uint16_t)port;
	return BURROW_OK;
}

static int
parse_peer(char *line, struct wg_dump_peer *p)
{
	char *f[8];
	uint64_t hs;

	/* public-key preshared-key endpoint allowed-ips latest-handshake
	 * transfer-rx transfer-tx persistent-keepalive */
	if (split_tabs(line, f, 8) != 8 || copy_key(f[0], p->public_key) != BURROW_OK ||
	    parse_u64(f[4], &hs) != BURROW_OK || hs > INT64_MAX ||
	    parse_u64(f[5], &p->rx_bytes) != BURROW_OK ||
	    parse_u64(f[6], &p->tx_bytes) != BURROW_OK)
		return BURROW_ERR_PROTO;
	p->latest_handshake = (int64_t)hs;
	return BURROW_OK;
}

int
wg_dump_parse(const char *buf, size_t len, struct wg_dump *out)
{
	char *copy, *line, *next;
	size_t cap = 0;
	int rc = BURROW_ERR_PROTO, first = 1;

	memset(out, 0, sizeof(*out));
	if (memchr(buf, '\0', len) != NULL)
		return BURROW_ERR_PROTO;
	if ((copy = malloc(len + 1)) == NULL)
		return BURROW_ERR_NOMEM;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	for (line = copy; *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (first) {
			if ((rc = parse_interface(line, out)) != BURROW_OK)
				goto out;
			first = 0;
			continue;
		}
		if (out->npeers == cap) {
			struct wg_dump_peer *peers;
			cap = cap ? cap * 2 : 16;
			if ((peers = realloc(out->peers, cap * sizeof(*peers))) == NULL) {
				rc = BURROW_ERR_NOMEM;
				goto out;
			}
			out->peers = peers;
		}
		if ((rc = parse_peer(line, &out->peers[out->npeers])) != BURROW_OK)
			goto out;
		out->npeers++;
	}
	rc = first ? BURROW_ERR_PROTO : BURROW_OK;
out:
	free(copy);
	if (rc != BURROW_OK)
		wg_dump_clear(out);
	return rc;
}

void
wg_dump_clear(struct wg_dump *d)
{
	if (d == NULL)
		return;
	free(d->peers);
	d->peers = NULL;
	d->npeers = 0;
}
