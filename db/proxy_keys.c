/*
 * proxy_keys.c: WireGuard keys (X25519 through OpenSSL, base64 through
 * common/base64) and the CIDR arithmetic behind peer-address blocks.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/base64.h"
#include "common/error.h"
#include "db/proxy_internal.h"
#include "db/store_proxy.h"

int
store_proxy_key_decode(const char *key, unsigned char raw[32])
{
	size_t n;

	/* 32 bytes are 43 base64 characters and one '='; base64_decode()
	 * refuses the non-canonical spellings of the same key. */
	if (key == NULL || strlen(key) != STORE_WG_KEY_LEN ||
	    base64_decode(key, STORE_WG_KEY_LEN, raw, 32, &n) != BURROW_OK || n != 32)
		return BURROW_ERR_INVALID;
	return BURROW_OK;
}

int
store_proxy_key_valid(const char *key)
{
	unsigned char raw[32];

	return store_proxy_key_decode(key, raw) == BURROW_OK;
}

static int
encode_key(const unsigned char raw[32], char out[STORE_WG_KEY_LEN + 1])
{
	size_t n;

	return base64_encode(raw, 32, out, STORE_WG_KEY_LEN + 1, &n) == BURROW_OK &&
	    n == STORE_WG_KEY_LEN ? BURROW_OK : BURROW_ERR_CRYPTO;
}

/* The raw public half of pkey into out (base64). */
static int
export_public(EVP_PKEY *pkey, char out[STORE_WG_KEY_LEN + 1])
{
	unsigned char raw[32];
	size_t len = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != 32)
		return BURROW_ERR_CRYPTO;
	return encode_key(raw, out);
}

int
store_proxy_keypair(char priv[STORE_WG_KEY_LEN + 1], char pub[STORE_WG_KEY_LEN + 1])
{
	EVP_PKEY *pkey = NULL;
	unsigned char raw[32];
	size_t len = sizeof(raw);
	int rc = BURROW_ERR_CRYPTO;

	/* OpenSSL clamps X25519 scalars as RFC 7748 section 5 and WireGuard
	 * expect, so the raw private key is usable by wg as it is. */
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL)
		goto out;
	if (EVP_PKEY_get_raw_private_key(pkey, raw, &len) != 1 || len != 32)
		goto out;
	if ((rc = encode_key(raw, priv)) != BURROW_OK)
		goto out;
	rc = export_public(pkey, pub);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	EVP_PKEY_free(pkey);
	return rc;
}

int
store_proxy_public_key(const char *priv, char pub[STORE_WG_KEY_LEN + 1])
{
	EVP_PKEY *pkey = NULL;
	unsigned char raw[32];
	int rc = BURROW_ERR_INVALID;

	if (store_proxy_key_decode(priv, raw) != BURROW_OK)
		goto out;
	rc = BURROW_ERR_CRYPTO;
	if ((pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, raw, 32)) == NULL)
		goto out;
	rc = export_public(pkey, pub);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	EVP_PKEY_free(pkey);
	return rc;
}

/* ---- CIDR arithmetic ---- */

static int
addr_len(int family)
{
	return family == 4 ? 4 : 16;
}

static unsigned __int128
addr_load(const struct netaddr_cidr *c)
{
	unsigned __int128 v = 0;
	int i;

	for (i = 0; i < addr_len(c->family); i++)
		v = (v << 8) | c->addr[i];
	return v;
}

static void
addr_store(struct netaddr_cidr *c, unsigned __int128 v)
{
	int i;

	for (i = addr_len(c->family) - 1; i >= 0; i--) {
		c->addr[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

/* The mask of the host part of a prefix of length prefix in bits bits. */
static unsigned __int128
host_mask(int bits, int prefix)
{
	int hostbits = bits - prefix;

	if (hostbits <= 0)
		return 0;
	if (hostbits >= 128)
		return ~(unsigned __int128)0;
	return ((unsigned __int128)1 << hostbits) - 1;
}

void
proxy_cidr_format(const struct netaddr_cidr *c, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
	snprintf(out, outsz, "%s/%d", a, c->prefix);
}

int
proxy_cidr_host(const struct netaddr_cidr *c, uint64_t offset, char *out, size_t outsz)
{
	struct netaddr_cidr h = *c;
	int bits = c->family == 4 ? 32 : 128;

	if ((unsigned __int128)offset > host_mask(bits, c->prefix))
		return BURROW_ERR_INVALID;
	addr_store(&h, addr_load(c) + offset);
	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, h.addr, out, (socklen_t)outsz);
	return BURROW_OK;
}

int
proxy_cidr_block(const struct netaddr_cidr *pool, int block_prefix, uint64_t index,
                 struct netaddr_cidr *out)
{
	int bits = pool->family == 4 ? 32 : 128;
	int shift = bits - block_prefix;

	if (block_prefix < pool->prefix || block_prefix > bits)
		return BURROW_ERR_FULL;
	/* index must fit in the bits between the two prefixes */
	if (block_prefix - pool->prefix < 64 &&
	    index >= ((uint64_t)1 << (block_prefix - pool->prefix)))
		return BURROW_ERR_FULL;
	*out = *pool;
	out->prefix = block_prefix;
	addr_store(out, addr_load(pool) + ((unsigned __int128)index << shift));
	return BURROW_OK;
}

int
store_proxy_cidr_list_canonical(const char *in, char *out, size_t outsz)
{
	char item[64], one[64];
	struct netaddr_cidr c;
	size_t used = 0, n;
	const char *p = in != NULL ? in : "";
	int len;

	out[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", ");
		if (n >= sizeof(item))
			return BURROW_ERR_INVALID;
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		if (netaddr_cidr_parse(item, &c) != BURROW_OK)
			return BURROW_ERR_INVALID;
		proxy_cidr_format(&c, one, sizeof(one));
		len = snprintf(out + used, outsz - used, "%s%s", used ? "," : "", one);
		if (len < 0 || (size_t)len >= outsz - used)
			return BURROW_ERR_INVALID;
		used += (size_t)len;
	}
	return BURROW_OK;
}

static int
gateway(const char *cidr, char *out, size_t outsz)
{
	struct netaddr_cidr c;
	char host[64];

	if (netaddr_cidr_parse(cidr, &c) != BURROW_OK ||
	    proxy_cidr_host(&c, 1, host, sizeof(host)) != BURROW_OK)
		return BURROW_ERR_INVALID;
	snprintf(out, outsz, "%s/%d", host, c.prefix);
	return BURROW_OK;
}

int
store_proxy_ip_gateways(const struct store_proxy_ip *ip, char gw4[64], char gw6[80])
{
	if (gateway(ip->peer_cidr4, gw4, 64) != BURROW_OK ||
	    gateway(ip->peer_cidr6, gw6, 80) != BURROW_OK)
		return BURROW_ERR_INVALID;
	return BURROW_OK;
}
