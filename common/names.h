/*
 * names.h: random tunnel labels and checks on the names people type.
 */
#ifndef BURROW_NAMES_H
#define BURROW_NAMES_H

#include <stddef.h>

#define NAMES_LABEL_LEN 14 /* 36^14, about 72 bits */
#define NAMES_MAX 254      /* presentation form, without the final dot */

/* Fills out with NAMES_LABEL_LEN characters of [a-z0-9] and a NUL, drawn
 * from OpenSSL's RAND_bytes by rejection sampling (no modulo bias).
 * Returns BURROW_OK or BURROW_ERR_CRYPTO if the RNG fails. */
int names_random_label(char out[NAMES_LABEL_LEN + 1]);

/* Canonicalises a host name typed by a person into out (lower case, no final
 * dot): labels of 1-63 letters, digits and hyphens, not starting or ending
 * with a hyphen, at least two labels, at most NAMES_MAX characters; a label
 * may also be "_acme-challenge" style (leading underscore) when allow_underscore.
 * Returns BURROW_OK or BURROW_ERR_INVALID. */
int names_canonical(const char *in, int allow_underscore, char out[NAMES_MAX + 1]);

/* True if name equals zone or lies below it (both canonical). */
int names_in_zone(const char *name, const char *zone);

#endif
