/*
 * http_tls.c: an evhttp server over TLS (http_tls.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/error.h"
#include "common/http_tls.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/tls_policy.h"

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
http_tls_ctx_new(const char *cert, const char *key, char *err, size_t errsz)
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

int
http_tls_listen_loopback(const char *listen)
{
	struct sockaddr_storage ss;
	const struct in6_addr *a6;
	socklen_t len;

	if (netaddr_parse_listen(listen, &ss, &len) != BURROW_OK)
		return BURROW_ERR_INVALID;
	if (ss.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	a6 = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

int
http_tls_request_secure(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;

	return bev != NULL && bufferevent_openssl_get_ssl(bev) != NULL;
}

/* evhttp's bufferevent callback: every accepted connection starts a TLS
 * handshake.  On failure (NULL) see http_tls_request_secure(). */
static struct bufferevent *
tls_bev(struct event_base *base, void *arg)
{
	SSL_CTX **ctx = arg;
	SSL *ssl = SSL_new(*ctx);

	if (ssl == NULL)
		return NULL;
	/* With BEV_OPT_CLOSE_ON_FREE the bufferevent frees ssl, even when
	 * bufferevent_openssl_socket_new fails. */
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE);
}

int
http_tls_bind(struct evhttp *http, struct event_base *base, const char *listen)
{
	struct sockaddr_storage ss;
	struct evconnlistener *l;
	socklen_t len;
	int one = 1;

	if (netaddr_parse_listen(listen, &ss, &len) != BURROW_OK) {
		log_error("bad --listen address '%s' (numeric ADDR:PORT)", listen);
		return BURROW_ERR_INVALID;
	}
	l = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, -1, (struct sockaddr *)&ss, (int)len);
	if (l == NULL) {
		log_error("cannot listen on %s: %s", listen, strerror(errno));
		return BURROW_ERR_IO;
	}
	/* Accepted sockets inherit TCP_NODELAY (Linux): a TLS reply goes out as
	 * several small records, and Nagle's algorithm against the client's
	 * delayed ACK would hold the last one back for 40 ms. */
	setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (evhttp_bind_listener(http, l) == NULL) {
		evconnlistener_free(l);
		return BURROW_ERR_NOMEM;
	}
	return BURROW_OK;
}

void
http_tls_serve(struct evhttp *http, SSL_CTX **ctx)
{
	evhttp_set_bevcb(http, tls_bev, ctx);
}

const char *
http_tls_method_name(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "OTHER";
	}
}

int
http_tls_check_listen(const char *program, const char *listen, int tls, const char *hint)
{
	int loopback = http_tls_listen_loopback(listen);

	if (loopback < 0) {
		fprintf(stderr, "%s: bad --listen address '%s' (numeric ADDR:PORT)\n", program,
		    listen);
		return 2;
	}
	if (!loopback && !tls) {
		fprintf(stderr, "%s: --listen %s is not loopback: give --tls-cert and --tls-key%s\n",
		    program, listen, hint);
		return 2;
	}
	return 0;
}
