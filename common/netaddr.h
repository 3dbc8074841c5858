/*
 * netaddr.h: "HOST:PORT" and "[V6]:PORT" as typed on command lines.
 */
#ifndef BURROW_NETADDR_H
#define BURROW_NETADDR_H

#include <stdint.h>
#include <sys/socket.h>

#define NETADDR_HOST_MAX 254

/* An address block: family 4 or 6, addr in network order with every bit
 * past prefix clear. */
struct netaddr_cidr {
	int family;
	int prefix;                      /* 0-32 or 0-128 */
	uint8_t addr[16];                /* 4 bytes used for IPv4 */
};

struct netaddr_hostport {
	char host[NETADDR_HOST_MAX + 1]; /* without brackets */
	uint16_t port;
};

/* Splits "host:port", "1.2.3.4:port" or "[v6]:port"; the port must be
 * 1-65535 and the host an IP literal or a valid host name.
 * Returns BURROW_OK or BURROW_ERR_INVALID. */
int netaddr_parse_hostport(const char *in, struct netaddr_hostport *out);

/* Parses a numeric "ADDR:PORT" / "[V6]:PORT" into a sockaddr for bind().
 * Returns BURROW_OK or BURROW_ERR_INVALID. */
int netaddr_parse_listen(const char *in, struct sockaddr_storage *ss, socklen_t *len);

/* True if host is an IP literal, "localhost" or a valid host name. */
int netaddr_host_valid(const char *host);

/* 4 or 6 if s is an IPv4 or IPv6 literal, else 0. */
int netaddr_ip_family(const char *s);

/* The canonical text (inet_ntop's) of the IP literal in, so "::0:1" and
 * "::1" compare equal, into out (size outsz; INET6_ADDRSTRLEN is enough);
 * *family (may be NULL) gets 4 or 6.  Returns BURROW_OK or
 * BURROW_ERR_INVALID (not an IP literal, or out too small). */
int netaddr_ip_canonical(const char *in, int *family, char *out, size_t outsz);

/* Parses a port range "LO-HI" (1 <= LO <= HI <= 65535).
 * Returns BURROW_OK or BURROW_ERR_INVALID. */
int netaddr_parse_port_range(const char *in, uint16_t *lo, uint16_t *hi);

/* Parses "ADDR/LEN" or a bare address (a block of one).  A host bit set
 * past LEN ("10.0.0.1/8") is refused: it is a typo more often than not.
 * Returns BURROW_OK or BURROW_ERR_INVALID. */
int netaddr_cidr_parse(const char *in, struct netaddr_cidr *out);

/* True if sa (AF_INET, or AF_INET6: an IPv4-mapped ::ffff:a.b.c.d counts
 * as its IPv4 address) lies inside c. */
int netaddr_cidr_contains(const struct netaddr_cidr *c, const struct sockaddr *sa);

#endif
