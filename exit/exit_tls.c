/*
 * exit_tls.c: the API's certificate and key, loaded by common/http_tls.c.
 */
#include "common/http_tls.h"
#include "exit/exit_tls.h"

SSL_CTX *
exit_tls_ctx_new(const char *cert, const char *key, char *err, size_t errsz)
{
	return http_tls_ctx_new(cert, key, err, errsz);
}
