#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/names.h"
#include "common/netaddr.h"

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return BURROW_ERR_INVALID;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return BURROW_ERR_INVALID;
	*port = (uint16_t)v;
	return BURROW_OK;
}

int
netaddr_ip_family(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, s, buf) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return 6;
	return 0;
}

int
netaddr_ip_canonical(const char *in, int *family, char *out, size_t outsz)
{
	unsigned char buf[sizeof(struct in6_addr)];
	int af, fam;

	if (in == NULL || (fam = netaddr_ip_family(in)) == 0)
		return BURROW_ERR_INVALID;
	af = fam == 4 ? AF_INET : AF_INET6;
	if (inet_pton(af, in, buf) != 1 || inet_ntop(af, buf, out, (socklen_t)outsz) == NULL)
		return BURROW_ERR_INVALID;
	if (family != NULL)
		*family = fam;
	return BURROW_OK;
}

/* Splits in into host (brackets removed) and the port text after it. */
static int
split_hostport(const char *in, char *host, size_t hostsz, const char **port)
{
	const char *colon;
	size_t hlen;

	if (in[0] == '[') {
		const char *close = strchr(in, ']');
		if (close == NULL || close[1] != ':')
			return BURROW_ERR_INVALID;
		hlen = (size_t)(close - in - 1);
		if (hlen == 0 || hlen >= hostsz)
			return BURROW_ERR_INVALID;
		memcpy(host, in + 1, hlen);
		host[hlen] = '\0';
		*port = close + 2;
		return netaddr_ip_family(host) == 6 ? BURROW_OK : BURROW_ERR_INVALID;
	}
	colon = strrchr(in, ':');
	if (colon == NULL || strchr(in, ':') != colon)
		return BURROW_ERR_INVALID;
	hlen = (size_t)(colon - in);
	if (hlen == 0 || hlen >= hostsz)
		return BURROW_ERR_INVALID;
	memcpy(host, in, hlen);
	host[hlen] = '\0';
	*port = colon + 1;
	return BURROW_OK;
}

int
netaddr_parse_hostport(const char *in, struct netaddr_hostport *out)
{
	char canon[NAMES_MAX + 1];
	const char *port;
	int rc;

	if (in == NULL)
		return BURROW_ERR_INVALID;
	rc = split_hostport(in, out->host, sizeof(out->host), &port);
	if (rc != BURROW_OK)
		return rc;
	if (parse_port(port, &out->port) != BURROW_OK)
		return BURROW_ERR_INVALID;
	if (!netaddr_host_valid(out->host))
		return BURROW_ERR_INVALID;
	if (netaddr_ip_family(out->host) == 0 && strcmp(out->host, "localhost") != 0) {
		names_canonical(out->host, 0, canon);
		memcpy(out->host, canon, strlen(canon) + 1);
	}
	return BURROW_OK;
}

int
netaddr_host_valid(const char *host)
{
	char canon[NAMES_MAX + 1];

	/* Single-label "localhost" is fine as a target; other hosts need a
	 * fully qualified name so a target never depends on a search list. */
	return netaddr_ip_family(host) != 0 || strcmp(host, "localhost") == 0 ||
	    names_canonical(host, 0, canon) == BURROW_OK;
}

int
netaddr_parse_listen(const char *in, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port;
	uint16_t portnum;
	int rc = BURROW_ERR_INVALID;

	if (in == NULL || split_hostport(in, host, sizeof(host), &port) != BURROW_OK)
		return BURROW_ERR_INVALID;
	if (parse_port(port, &portnum) != BURROW_OK && strcmp(port, "0") != 0)
		return BURROW_ERR_INVALID;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
		goto out;
	if (res->ai_addrlen > sizeof(*ss))
		goto out;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	rc = BURROW_OK;
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

int
netaddr_parse_port_range(const char *in, uint16_t *lo, uint16_t *hi)
{
	char buf[16];
	char *dash;

	if (in == NULL || strlen(in) >= sizeof(buf))
		return BURROW_ERR_INVALID;
	strcpy(buf, in);
	dash = strchr(buf, '-');
	if (dash == NULL)
		return BURROW_ERR_INVALID;
	*dash = '\0';
	if (parse_port(buf, lo) != BURROW_OK || parse_port(dash + 1, hi) != BURROW_OK)
		return BURROW_ERR_INVALID;
	return *lo <= *hi ? BURROW_OK : BURROW_ERR_INVALID;
}

/* ---- address blocks ---- */

/* The bits of byte i of an address that a prefix of prefix bits covers. */
static uint8_t
prefix_mask(int prefix, int i)
{
	int bits = prefix - 8 * i;

	if (bits >= 8)
		return 0xff;
	if (bits <= 0)
		return 0;
	return (uint8_t)(0xff << (8 - bits));
}

int
netaddr_cidr_parse(const char *in, struct netaddr_cidr *out)
{
	char buf[INET6_ADDRSTRLEN + 5], *slash, *end;
	int nbytes;
	long len;

	if (in == NULL || strlen(in) >= sizeof(buf))
		return BURROW_ERR_INVALID;
	memcpy(buf, in, strlen(in) + 1);
	memset(out, 0, sizeof(*out));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = 6;
	else
		return BURROW_ERR_INVALID;
	nbytes = out->family == 4 ? 4 : 16;
	out->prefix = 8 * nbytes;
	if (slash != NULL) {
		/* Digits only: strtol would take "+8", " 8" or "0x8". */
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
			return BURROW_ERR_INVALID;
		len = strtol(slash + 1, &end, 10);
		if (*end != '\0' || len > 8 * nbytes)
			return BURROW_ERR_INVALID;
		out->prefix = (int)len;
	}
	for (int i = 0; i < nbytes; i++)
		if (out->addr[i] & ~prefix_mask(out->prefix, i))
			return BURROW_ERR_INVALID;
	return BURROW_OK;
}

int
netaddr_cidr_contains(const struct netaddr_cidr *c, const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a;
	int family, nbytes;

	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		family = 4;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		family = 6;
		if (c->family == 4 && memcmp(a, mapped, sizeof(mapped)) == 0) {
			a += sizeof(mapped);
			family = 4;
		}
	} else {
		return 0;
	}
	if (family != c->family)
		return 0;
	nbytes = family == 4 ? 4 : 16;
	for (int i = 0; i < nbytes && 8 * i < c->prefix; i++)
		if ((a[i] & prefix_mask(c->prefix, i)) != c->addr[i])
			return 0;
	return 1;
}
