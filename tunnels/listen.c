/*
 * listen.c: the sockets the edge accepts on.  One set of TLS listeners
 * serves every tls and h2 tunnel (routed by SNI); each tcp tunnel gets its
 * own public port on every tcp host, opened and closed as tunnels come
 * and go.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "tunnels/edge.h"

#define BACKLOG 1024

static void
tls_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
           void *arg)
{
	(void)l;
	(void)salen;
	edge_conn_accept(arg, fd, sa, NULL);
}

static void
tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
           void *arg)
{
	struct edge_tunnel *t = arg;

	(void)l;
	(void)salen;
	if (!edge_index_live(t->edge, t)) {
		evutil_closesocket(fd);   /* its lease ran out */
		return;
	}
	edge_conn_accept(t->edge, fd, sa, t);
}

/* Accept errors (EMFILE above all) must not spin or kill the loop. */
static void
accept_error(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	log_warn("accept failed: %s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static struct evconnlistener *
bind_one(struct edge *e, const char *addr, evconnlistener_cb cb, void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct evconnlistener *l;
	int one = 1;

	if (netaddr_parse_listen(addr, &ss, &len) != BURROW_OK) {
		log_error("listen address '%s' is not ADDR:PORT", addr);
		return NULL;
	}
	l = evconnlistener_new_bind(e->base, cb, arg,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, BACKLOG,
	    (struct sockaddr *)&ss, (int)len);
	if (l == NULL)
		return NULL;
	evconnlistener_set_error_cb(l, accept_error);
	/* Accepted sockets inherit TCP_NODELAY: without it the last
	 * segment of a response waits for the ACK of the one before, and
	 * the client delays that ACK by up to 40 ms. */
	setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return l;
}

int
edge_listen_tls(struct edge *e)
{
	int i, defer = e->cfg.handshake_ms / 1000 > 0 ? e->cfg.handshake_ms / 1000 : 1;

	for (i = 0; i < e->cfg.nlisten; i++) {
		e->tls[i] = bind_one(e, e->cfg.listen[i], tls_accept, e);
		if (e->tls[i] == NULL) {
			log_error("cannot listen on %s: %s", e->cfg.listen[i], strerror(errno));
			return BURROW_ERR_IO;
		}
		/* TLS clients speak first: accept once the ClientHello is in,
		 * so the handshake starts at once (conn.c) and a connection
		 * that never sends one waits in the kernel, not here. */
		setsockopt(evconnlistener_get_fd(e->tls[i]), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer,
		    sizeof(defer));
		e->ntls++;
		log_info("TLS listener on %s", e->cfg.listen[i]);
	}
	return BURROW_OK;
}

void
edge_listen_tcp_open(struct edge *e, struct edge_tunnel *t)
{
	char addr[NAMES_MAX + 16];
	int i;

	if (e->draining || t->public_port == 0 || !t->indexed)
		return;
	edge_listen_tcp_close(t);
	t->tcp_failed = 0;
	for (i = 0; i < e->cfg.ntcp_hosts; i++) {
		const char *h = e->cfg.tcp_hosts[i];
		snprintf(addr, sizeof(addr), strchr(h, ':') != NULL ? "[%s]:%u" : "%s:%u", h,
		    t->public_port);
		if ((t->tcp[t->ntcp] = bind_one(e, addr, tcp_accept, t)) == NULL) {
			/* Taken by someone else for now: retried on later polls. */
			log_error("tunnel %s: cannot listen on %s: %s", t->hostname, addr,
			    strerror(errno));
			t->tcp_failed = 1;
			continue;
		}
		t->ntcp++;
	}
	if (!t->tcp_failed)
		log_info("tunnel %s: tcp port %u -> %s:%u", t->hostname, t->public_port,
		    t->target_host, t->target_port);
}

void
edge_listen_tcp_close(struct edge_tunnel *t)
{
	int i;

	for (i = 0; i < t->ntcp; i++)
		evconnlistener_free(t->tcp[i]);
	t->ntcp = 0;
}

void
edge_listen_close_all(struct edge *e)
{
	int i;

	for (i = 0; i < e->ntls; i++)
		evconnlistener_free(e->tls[i]);
	e->ntls = 0;
}
