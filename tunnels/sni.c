/*
 * sni.c: the host_name of a server_name extension.  OpenSSL parses the rest
 * of the ClientHello; only this list is left to us in the client_hello
 * callback, before OpenSSL's own SNI processing has run.
 */
#include <string.h>

#include "common/error.h"
#include "tunnels/sni.h"

int
sni_parse(const unsigned char *ext, size_t len, char out[NAMES_MAX + 1])
{
	char name[NAMES_MAX + 1];
	size_t list, off = 2, n;

	if (len < 2)
		return BURROW_ERR_INVALID;
	list = (size_t)ext[0] << 8 | ext[1];
	if (list != len - 2)
		return BURROW_ERR_INVALID;
	while (off + 3 <= len) {
		unsigned type = ext[off];
		n = (size_t)ext[off + 1] << 8 | ext[off + 2];
		off += 3;
		if (n > len - off)
			return BURROW_ERR_INVALID;
		/* "The ServerNameList MUST NOT contain more than one name of the
		 * same name_type": the first host_name is the one. */
		if (type == 0) {
			if (n == 0 || n > NAMES_MAX || memchr(ext + off, '\0', n) != NULL)
				return BURROW_ERR_INVALID;
			memcpy(name, ext + off, n);
			name[n] = '\0';
			return names_canonical(name, 0, out) == BURROW_OK ? BURROW_OK
			    : BURROW_ERR_INVALID;
		}
		off += n;
	}
	return off == len ? BURROW_ERR_NOTFOUND : BURROW_ERR_INVALID;
}
