/*
 * base64.h: base64url without padding (RFC 4648 section 5) and standard
 * base64 with padding (section 4: TSIG secrets, WireGuard keys), over
 * OpenSSL's EVP encoder.  The one place for base64 in Burrow.
 */
#ifndef BURROW_BASE64_H
#define BURROW_BASE64_H

#include <stddef.h>

/* Characters base64url_encode() writes for len bytes, without the NUL. */
#define BASE64URL_LEN(len) ((((len) + 2) / 3) * 4)

/* Encodes len bytes of in as unpadded base64url into out (size outsz, NUL
 * terminated); *outlen (may be NULL) gets the length without the NUL.
 * Returns BURROW_OK, or BURROW_ERR_LIMIT if out is too small. */
int base64url_encode(const void *in, size_t len, char *out, size_t outsz,
                     size_t *outlen);

/* Decodes len characters of unpadded base64url into out (size outsz);
 * *outlen gets the byte count.  Padding, '+', '/' and any other character
 * outside the url alphabet are refused.
 * Returns BURROW_OK, BURROW_ERR_INVALID or BURROW_ERR_LIMIT (out too small). */
int base64url_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
                     size_t *outlen);

/* Characters base64_encode() writes for len bytes, without the NUL. */
#define BASE64_LEN(len) ((((len) + 2) / 3) * 4)

/* Encodes len bytes of in as padded standard base64 into out (size outsz,
 * NUL terminated); *outlen (may be NULL) gets the length without the NUL.
 * Returns BURROW_OK, or BURROW_ERR_LIMIT if out is too small. */
int base64_encode(const void *in, size_t len, char *out, size_t outsz, size_t *outlen);

/* Decodes len characters of padded standard base64 into out (size
 * outsz); *outlen gets the byte count.  Only the canonical spelling is
 * accepted (length a multiple of 4, padding only at the end, unused bits
 * zero): one key, one text.  Returns BURROW_OK, BURROW_ERR_INVALID or
 * BURROW_ERR_LIMIT (out too small). */
int base64_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
                  size_t *outlen);

#endif
