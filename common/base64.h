/*
 * base64.h: base64url without padding (RFC 4648 section 5), over OpenSSL's
 * EVP encoder.  The one place for base64 in Burrow.
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

#endif
