/*
 * base64.h: base64url (RFC 4648 section 5) without padding, the encoding JWS
 * (RFC 7515 section 2) and ACME (RFC 8555 section 6.1) use everywhere.
 * The one place in Burrow that translates OpenSSL's base64 to the URL form.
 */
#ifndef BURROW_BASE64_H
#define BURROW_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encodes len bytes as base64url without '=' padding.  Returns a NUL
 * terminated string the caller frees, or NULL when out of memory. */
char *base64url_encode(const void *data, size_t len);

/* Decodes base64url text (padding tolerated, no white space).  On success
 * *out (caller frees) holds *outlen bytes plus a NUL after them.
 * Errors: BURROW_ERR_INVALID (bad character or length), BURROW_ERR_NOMEM. */
int base64url_decode(const char *in, uint8_t **out, size_t *outlen);

#endif
