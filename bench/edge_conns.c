/*
 * edge_conns.c: the connection holder for bench/edge_idle.sh.  Opens N
 * connections to a proxy (TLS with SNI, or plain TCP), then holds them in
 * one of three shapes until its stdin closes:
 *
 *   idle    handshake done, nothing sent: what a proxy keeps per idle
 *           connection (the client drops its own SSL object, keeping only
 *           the socket, so 10,000 of them cost the client little)
 *   slow    slowloris: a request head that never ends, one byte per
 *           connection every INTERVAL seconds
 *   stall   "GET PATH" sent, the response never read: the proxy relays
 *           until its buffers (and the kernel's) are full
 *
 *   edge_conns ADDR PORT SNI|- N idle|slow|stall [PATH|INTERVAL]
 *
 * Prints "ready N" once every connection is open (N may be less than asked
 * when the proxy refused some; the reason goes to stderr).  Sockets are
 * blocking with 10 s timeouts: one process, one connection at a time, no
 * event loop to get wrong.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum mode { MODE_IDLE, MODE_SLOW, MODE_STALL };

struct held {
	int fd;
	SSL *ssl;      /* NULL in idle mode and for plain TCP */
	size_t sent;   /* slowloris bytes so far */
};

static void
usage(void)
{
	fprintf(stderr, "usage: edge_conns ADDR PORT SNI|- N idle|slow|stall [PATH|INTERVAL]\n");
	exit(2);
}

static int
dial(const struct sockaddr_in *sa)
{
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes all of buf on h, through TLS when there is some.  0 or -1. */
static int
send_all(struct held *h, const char *buf, size_t len)
{
	size_t n;

	if (h->ssl != NULL)
		return SSL_write_ex(h->ssl, buf, len, &n) == 1 ? 0 : -1;
	while (len > 0) {
		ssize_t w = write(h->fd, buf, len);
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* One connection in the shape asked for.  0, or -1 with the reason on
 * stderr. */
static int
open_one(SSL_CTX *ctx, const struct sockaddr_in *sa, const char *sni, enum mode m,
         const char *path, struct held *h)
{
	char req[512];

	memset(h, 0, sizeof(*h));
	if ((h->fd = dial(sa)) < 0) {
		fprintf(stderr, "edge_conns: connect: %s\n", strerror(errno));
		return -1;
	}
	if (ctx != NULL) {
		if ((h->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(h->ssl, h->fd) != 1 ||
		    SSL_set_tlsext_host_name(h->ssl, sni) != 1 || SSL_connect(h->ssl) != 1) {
			fprintf(stderr, "edge_conns: TLS handshake failed\n");
			ERR_print_errors_fp(stderr);
			goto fail;
		}
	}
	if (m == MODE_IDLE) {
		/* No close_notify: SSL_free sends nothing, the socket stays. */
		SSL_free(h->ssl);
		h->ssl = NULL;
		return 0;
	}
	if (m == MODE_STALL) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path,
		    ctx != NULL ? sni : "bench");
		if (send_all(h, req, strlen(req)) != 0)
			goto fail;
	}
	return 0;
fail:
	SSL_free(h->ssl);
	close(h->fd);
	h->fd = -1;
	h->ssl = NULL;
	return -1;
}

/* The next byte of a head that never ends: a request line, then one
 * header that grows forever. */
static char
slow_byte(size_t i)
{
	static const char start[] = "GET /small HTTP/1.1\r\nX-Slow: ";

	return i < sizeof(start) - 1 ? start[i] : 'a';
}

/* Waits INTERVAL seconds or for stdin to close; 1 once it closed. */
static int
stdin_closed(int ms)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return read(0, &c, 1) <= 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct rlimit rl;
	SSL_CTX *ctx = NULL;
	struct held *h;
	enum mode m;
	const char *sni, *path = "/big";
	int n, i, got = 0, interval = 3;

	if (argc < 6 || argc > 7)
		usage();
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		usage();
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	sni = argv[3];
	n = atoi(argv[4]);
	if (n <= 0)
		usage();
	if (strcmp(argv[5], "idle") == 0)
		m = MODE_IDLE;
	else if (strcmp(argv[5], "slow") == 0)
		m = MODE_SLOW;
	else if (strcmp(argv[5], "stall") == 0)
		m = MODE_STALL;
	else
		usage();
	if (argc == 7) {
		if (m == MODE_SLOW)
			interval = atoi(argv[6]);
		else
			path = argv[6];
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 16) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (strcmp(sni, "-") != 0) {
		if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			return 1;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		/* Thousands of held SSL objects: no idle record buffers. */
		SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	}
	if ((h = calloc((size_t)n, sizeof(*h))) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if (open_one(ctx, &sa, sni, m, path, &h[got]) == 0)
			got++;
	printf("ready %d\n", got);
	fflush(stdout);
	for (;;) {
		if (stdin_closed(m == MODE_SLOW ? interval * 1000 : -1))
			break;
		if (m != MODE_SLOW)
			continue;
		for (i = 0; i < got; i++) {
			char b = slow_byte(h[i].sent);
			if (h[i].fd >= 0 && send_all(&h[i], &b, 1) == 0)
				h[i].sent++;
		}
	}
	for (i = 0; i < got; i++) {
		SSL_free(h[i].ssl);
		close(h[i].fd);
	}
	free(h);
	SSL_CTX_free(ctx);
	return 0;
}
