#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/opts.h"

static const struct {
	const char *suffix;
	long ms;
} units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

int
opts_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	/* strtoul alone takes " 12", "+12" and "-1" (as ULONG_MAX). */
	if (s == NULL || *s < '0' || *s > '9')
		return BURROW_ERR_INVALID;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return BURROW_ERR_INVALID;
	*out = v;
	return BURROW_OK;
}

int
opts_parse_duration(const char *s, enum opts_unit unit, long min, long max, long *out)
{
	char num[24];
	size_t ndig, i;
	unsigned long n;
	long factor = unit, ms;

	if (s == NULL)
		return BURROW_ERR_INVALID;
	ndig = strspn(s, "0123456789");
	if (ndig == 0 || ndig >= sizeof(num))
		return BURROW_ERR_INVALID;
	memcpy(num, s, ndig);
	num[ndig] = '\0';
	if (s[ndig] != '\0') {
		for (i = 0; i < NUNITS && strcmp(s + ndig, units[i].suffix) != 0; i++)
			;
		if (i == NUNITS)
			return BURROW_ERR_INVALID;
		factor = units[i].ms;
	}
	if (opts_parse_uint(num, 0, (unsigned long)(LONG_MAX / factor), &n) != BURROW_OK)
		return BURROW_ERR_INVALID;
	ms = (long)n * factor;
	if (ms % unit != 0 || ms / unit < min || ms / unit > max)
		return BURROW_ERR_INVALID;
	*out = ms / unit;
	return BURROW_OK;
}

void
opts_format_duration(long d, enum opts_unit unit, char *out, size_t outsz)
{
	long ms = d * (long)unit;
	size_t i = NUNITS - 1;

	while (i > 0 && (ms == 0 ? units[i].ms != (long)unit : ms % units[i].ms != 0))
		i--;
	snprintf(out, outsz, "%ld%s", ms / units[i].ms, units[i].suffix);
}

/* host (without brackets) must be an IP literal of the family the
 * brackets say: "[1.2.3.4]" is not an address. */
static int
ip_literal(const char *host, int bracketed)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET6, host, buf) == 1)
		return 1;
	return !bracketed && inet_pton(AF_INET, host, buf) == 1;
}

int
opts_parse_addr_port(const char *s, uint16_t default_port, char *host, size_t hostsz,
                     uint16_t *port)
{
	const char *colon, *p = NULL;
	unsigned long v = default_port;
	int bracketed = 0;
	size_t n;

	if (s == NULL)
		return BURROW_ERR_INVALID;
	colon = strrchr(s, ':');
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return BURROW_ERR_INVALID;
		n = (size_t)(close - s - 1);
		p = close[1] == ':' ? close + 2 : NULL;
		s++;
		bracketed = 1;
	} else if (colon != NULL && strchr(s, ':') == colon) {
		n = (size_t)(colon - s);    /* one colon: IPv4:PORT */
		p = colon + 1;
	} else {
		n = strlen(s);              /* no colon, or a bare IPv6 literal */
	}
	if (n == 0 || n >= hostsz)
		return BURROW_ERR_INVALID;
	if ((p == NULL && default_port == 0) ||
	    (p != NULL && opts_parse_uint(p, 1, 65535, &v) != BURROW_OK))
		return BURROW_ERR_INVALID;
	memcpy(host, s, n);
	host[n] = '\0';
	if (!ip_literal(host, bracketed))
		return BURROW_ERR_INVALID;
	*port = (uint16_t)v;
	return BURROW_OK;
}

int
opts_bad(const char *opt, const char *arg, const char *what)
{
	if (arg == NULL)
		fprintf(stderr, "%s: %s needs a value: want %s\n", program_invocation_short_name,
		    opt, what);
	else
		fprintf(stderr, "%s: %s '%s': want %s\n", program_invocation_short_name, opt,
		    arg, what);
	return BURROW_ERR_INVALID;
}

int
opts_int(const char *opt, const char *arg, int min, int max, int *out)
{
	char what[80];
	unsigned long v;

	/* Every integer option Burrow has is a count or a size: never negative. */
	if (min < 0 || opts_parse_uint(arg, (unsigned long)min, (unsigned long)max, &v) !=
	    BURROW_OK) {
		snprintf(what, sizeof(what), "an integer from %d to %d", min, max);
		return opts_bad(opt, arg, what);
	}
	*out = (int)v;
	return BURROW_OK;
}

int
opts_duration(const char *opt, const char *arg, enum opts_unit unit, int min, int max,
              int *out)
{
	char what[160], lo[24], hi[24];
	long v;

	if (opts_parse_duration(arg, unit, min, max, &v) != BURROW_OK) {
		opts_format_duration(min, unit, lo, sizeof(lo));
		opts_format_duration(max, unit, hi, sizeof(hi));
		snprintf(what, sizeof(what), "a duration from %s to %s (a number of %s, or "
		    "with a unit: %s)", lo, hi, unit == OPTS_MS ? "milliseconds" : "seconds",
		    unit == OPTS_MS ? "500ms, 30s, 5m, 1h" : "30s, 5m, 1h, 1d");
		return opts_bad(opt, arg, what);
	}
	*out = (int)v;
	return BURROW_OK;
}

int
opts_port(const char *opt, const char *arg, uint16_t *out)
{
	unsigned long v;

	if (opts_parse_uint(arg, 1, 65535, &v) != BURROW_OK)
		return opts_bad(opt, arg, "a port from 1 to 65535");
	*out = (uint16_t)v;
	return BURROW_OK;
}

int
opts_addr_port(const char *opt, const char *arg, uint16_t default_port, char *host,
               size_t hostsz, uint16_t *port)
{
	if (opts_parse_addr_port(arg, default_port, host, hostsz, port) != BURROW_OK)
		return opts_bad(opt, arg, default_port != 0 ?
		    "an IP address, optionally with a port (ADDR, ADDR:PORT, [V6]:PORT)" :
		    "an IP address and a port (ADDR:PORT or [V6]:PORT)");
	return BURROW_OK;
}
