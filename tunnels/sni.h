/*
 * sni.h: the server_name extension of a ClientHello (RFC 6066 section 3),
 * as OpenSSL's client_hello callback hands it over raw.
 */
#ifndef BURROW_SNI_H
#define BURROW_SNI_H

#include <stddef.h>

#include "common/names.h"

/* Reads the host_name entry of the extension body ext (len bytes) into out,
 * canonical (lower case, no final dot).  Returns BURROW_OK,
 * BURROW_ERR_NOTFOUND (no host_name entry) or BURROW_ERR_INVALID. */
int sni_parse(const unsigned char *ext, size_t len, char out[NAMES_MAX + 1]);

#endif
