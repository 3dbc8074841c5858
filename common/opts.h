/*
 * opts.h: option values as typed on command lines, parsed one way for every
 * program: integers in a range, ports, durations ("30s", "5m", "1h") and
 * addresses ("ADDR", "ADDR:PORT", "[V6]:PORT").
 *
 * Two layers.  opts_parse_*() are pure: BURROW_OK or BURROW_ERR_INVALID,
 * nothing printed.  opts_int(), opts_duration(), opts_port() and
 * opts_addr_port() parse the value of one option and, when it is bad, print
 * one line "PROG: --OPT 'VALUE': want WHAT" on stderr (PROG is the
 * program's name) and return BURROW_ERR_INVALID; the caller exits 2 (a
 * daemon) or returns its usage status (a CLI verb).
 */
#ifndef BURROW_OPTS_H
#define BURROW_OPTS_H

#include <stddef.h>
#include <stdint.h>

/* The unit of a bare number in a duration option, and of its bounds and
 * result: "--poll-ms 250" is 250 ms, "--tcp-idle 30" 30 s. */
enum opts_unit { OPTS_MS = 1, OPTS_S = 1000 };

/* A decimal integer in [min, max]: digits only (no sign, space or "0x").
 * Returns BURROW_OK or BURROW_ERR_INVALID (out untouched). */
int opts_parse_uint(const char *s, unsigned long min, unsigned long max,
                    unsigned long *out);

/* A duration in [min, max] of unit: digits, then optionally one of ms, s,
 * m, h, d ("1500ms", "90s", "15m", "1h", "7d"); a bare number is in unit.
 * Under OPTS_S a value that is not whole seconds ("1500ms") is invalid.
 * Returns BURROW_OK or BURROW_ERR_INVALID (out untouched). */
int opts_parse_duration(const char *s, enum opts_unit unit, long min, long max,
                        long *out);

/* "ADDR:PORT", "[V6]:PORT", or (when default_port is not 0) a bare "ADDR",
 * "V6" or "[V6]" that takes default_port.  ADDR is an IP literal (checked
 * with inet_pton); host gets it without brackets.  Returns BURROW_OK or
 * BURROW_ERR_INVALID. */
int opts_parse_addr_port(const char *s, uint16_t default_port, char *host,
                         size_t hostsz, uint16_t *port);

/* Formats d (in unit) with the largest unit that divides it ("10ms", "1h",
 * "90s") into out. */
void opts_format_duration(long d, enum opts_unit unit, char *out, size_t outsz);

/* The reporting layer (see the top of this file).  opt is the option as
 * the user types it ("--threads"); arg may be NULL (reported as missing). */
int opts_int(const char *opt, const char *arg, int min, int max, int *out);
int opts_duration(const char *opt, const char *arg, enum opts_unit unit, int min, int max,
                  int *out);
int opts_port(const char *opt, const char *arg, uint16_t *out);
int opts_addr_port(const char *opt, const char *arg, uint16_t default_port, char *host,
                   size_t hostsz, uint16_t *port);

/* Prints "PROG: OPT 'ARG': want WHAT" on stderr and returns
 * BURROW_ERR_INVALID: for a value the caller checks itself. */
int opts_bad(const char *opt, const char *arg, const char *what);

#endif
