/*
 * exit_tls.c: loading the API's certificate and key under a fixed policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/tls_policy.h"
#include "exit/exit_tls.h"

/* OpenSSL's first queued reason, for an error line. */
static const char *
ssl_reason(char *buf, size_t bufsz)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, bufsz, "unknown error");
	else
		ERR_error_string_n(e, buf, bufsz);
	ERR_clear_error();
	return buf;
}

/* Reads the private key from key after checking, on the open file itself
 * (no window between the check and the read), that only its owner can reach
 * it.  A symbolic link is followed: certbot's live/ keys are links. */
static EVP_PKEY *
read_private_key(const char *key, char *err, size_t errsz)
{
	char why[256];
	struct stat st;
	EVP_PKEY *pkey = NULL;
	FILE *f = NULL;
	int fd = open(key, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errsz, "cannot open --tls-key %s: %s", key, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "--tls-key %s is not a regular file", key);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errsz, "--tls-key %s is mode %04o: a private key must not be "
		    "reachable by group or others (chmod 600 %s)", key,
		    (unsigned)(st.st_mode & 07777), key);
		goto out;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errsz, "cannot read --tls-key %s: %s", key, strerror(errno));
		goto out;
	}
	fd = -1;
	if ((pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL)
		snprintf(err, errsz, "--tls-key %s: no PEM private key (%s)", key,
		    ssl_reason(why, sizeof(why)));
out:
	if (f != NULL)
		fclose(f);
	if (fd >= 0)
		close(fd);
	return pkey;
}

SSL_CTX *
exit_tls_ctx_new(const char *cert, const char *key, char *err, size_t errsz)
{
	char why[256];
	SSL_CTX *ctx = NULL, *ret = NULL;
	EVP_PKEY *pkey = NULL;

	if ((pkey = read_private_key(key, err, errsz)) == NULL)
		goto out;
	if ((ctx = tls_policy_server_ctx()) == NULL) {
		snprintf(err, errsz, "cannot set up TLS: %s", ssl_reason(why, sizeof(why)));
		goto out;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errsz, "--tls-cert %s: %s", cert, ssl_reason(why, sizeof(why)));
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errsz, "--tls-key %s does not match --tls-cert %s (%s)", key,
		    cert, ssl_reason(why, sizeof(why)));
		goto out;
	}
	ret = ctx;
	ctx = NULL;
out:
	EVP_PKEY_free(pkey);
	SSL_CTX_free(ctx);
	return ret;
}
