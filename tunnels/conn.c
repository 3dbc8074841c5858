/*
 * conn.c: the lifecycle of an edge connection (see conn.h): accept, binding
 * to a tunnel, hold/release, the idle timer and deadlines, error pages, and
 * the deferred free.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "tunnels/conn.h"

const char *
edge_conn_peer(const struct edge_conn *c)
{
	return c->peer;
}

int
edge_conn_offer_h2(const struct edge_conn *c)
{
	return c->tunnel != NULL && c->tunnel->kind == STORE_TUNNEL_H2 && !c->tunnel->connect_token;
}

int
edge_conn_bind(struct edge_conn *c, struct edge_tunnel *t)
{
	if (c->tunnel != NULL)
		return c->tunnel == t ? BURROW_OK : BURROW_ERR_INVALID;
	if (c->edge->cfg.max_conns_per_tunnel > 0 && t->conns >= c->edge->cfg.max_conns_per_tunnel)
		return BURROW_ERR_LIMIT;
	c->tunnel = t;
	edge_tunnel_ref(t);
	t->conns++;
	return BURROW_OK;
}

static void
now(struct edge_conn *c, struct timeval *tv)
{
	event_base_gettimeofday_cached(c->edge->base, tv);
}

static void
arm_timer(struct edge_conn *c)
{
	struct timeval tv, next, delay;
	int idle = c->edge->cfg.idle_ms;

	now(c, &tv);
	next = c->last;
	next.tv_sec += idle / 1000;
	next.tv_usec += (idle % 1000) * 1000;
	if (next.tv_usec >= 1000000) {
		next.tv_sec++;
		next.tv_usec -= 1000000;
	}
	if (c->deadline_what != NULL && timercmp(&c->deadline, &next, <))
		next = c->deadline;
	if (timercmp(&next, &tv, >))
		timersub(&next, &tv, &delay);
	else
		delay.tv_sec = 0, delay.tv_usec = 1000;
	evtimer_add(c->timer, &delay);
}

void
conn_set_deadline(struct edge_conn *c, const char *what, int ms)
{
	struct timeval tv, add = { ms / 1000, (ms % 1000) * 1000 };

	c->deadline_what = what;
	if (what == NULL)
		return;
	now(c, &tv);
	timeradd(&tv, &add, &c->deadline);
	arm_timer(c);
}

void
conn_touch(struct edge_conn *c)
{
	now(c, &c->last);
}

/* hold/release bracket every event callback: see conn.h. */
void
conn_hold(struct edge_conn *c)
{
	c->busy++;
}

void
conn_set_result(struct edge_conn *c, enum edge_result r)
{
	if (c->result == EDGE_RESULT_NONE)
		c->result = r;
}

/* The connection ends: counted by tunnel kind and how it ended. */
static void
count_end(struct edge_conn *c)
{
	struct edge_stats *st = &c->edge->stats;
	int kind = c->tunnel != NULL ? (int)c->tunnel->kind : EDGE_KIND_NONE;

	if (c->ssl != NULL && c->state == CONN_HANDSHAKE) {
		metrics_add(&st->tls_failed, 1);
		conn_set_result(c, EDGE_RESULT_TLS_FAILED);
	}
	conn_set_result(c, c->state == CONN_RELAY || c->state == CONN_CLOSING ? EDGE_RESULT_OK :
	    EDGE_RESULT_ABORTED);
	metrics_add(&st->conns[kind][c->result], 1);
}

static void
destroy(struct edge_conn *c)
{
	struct edge *e = c->edge;

	count_end(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		e->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->client_ev != NULL)
		event_free(c->client_ev);
	SSL_free(c->ssl);
	if (c->fd >= 0)
		evutil_closesocket(c->fd);
	target_drop(c);
	if (c->cin != NULL)
		evbuffer_free(c->cin);
	if (c->cout != NULL)
		evbuffer_free(c->cout);
	if (c->tin != NULL)
		evbuffer_free(c->tin);
	if (c->tout != NULL)
		evbuffer_free(c->tout);
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->tunnel != NULL) {
		c->tunnel->conns--;
		edge_tunnel_unref(c->tunnel);
	}
	http_relay_free(c);
	free(c->pending);
	free(c);
	if (--e->nconns == 0 && e->draining)
		event_base_loopexit(e->base, NULL);
}

void
conn_release(struct edge_conn *c)
{
	if (--c->busy == 0 && c->dead)
		destroy(c);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct edge_conn *c = arg;
	struct timeval tv, idle_end, idle = { c->edge->cfg.idle_ms / 1000,
	    (c->edge->cfg.idle_ms % 1000) * 1000 };

	(void)fd;
	(void)what;
	now(c, &tv);
	if (c->deadline_what != NULL && timercmp(&tv, &c->deadline, >=)) {
		log_info("%s%s%s: %s timeout, closing", c->peer, c->tunnel != NULL ? " on " : "",
		    c->tunnel != NULL ? c->tunnel->hostname : "", c->deadline_what);
		conn_set_result(c, c->state == CONN_HANDSHAKE ? EDGE_RESULT_TLS_FAILED :
		    EDGE_RESULT_TIMEOUT);
		conn_free(c);
		return;
	}
	timeradd(&c->last, &idle, &idle_end);
	if (timercmp(&tv, &idle_end, >=)) {
		log_debug("%s: idle, closing", c->peer);
		conn_free(c);
		return;
	}
	arm_timer(c);
}

void
conn_free(struct edge_conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	if (c->busy == 0)
		destroy(c);
}

/* Also the spare pipes: this runs last, from edge_free (and at the drain
 * timeout, just before the loop ends). */
void
edge_conn_close_all(struct edge *e)
{
	while (e->conns != NULL)
		destroy(e->conns);
	splice_pool_free(e);
}

/* Sends what is queued for the client, then closes. */
void
conn_close_after_flush(struct edge_conn *c)
{
	c->state = CONN_CLOSING;
	target_drop(c);
	if (evbuffer_get_length(c->cout) == 0) {
		conn_free(c);
		return;
	}
	conn_set_deadline(c, "error response", c->edge->cfg.handshake_ms);
	client_flush(c);
}

void
conn_send_page(struct edge_conn *c, int status, const char *reason, const char *body)
{
	evbuffer_add_printf(c->cout,
	    "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n%s",
	    status, reason, strlen(body), body);
}

static struct edge_conn *
conn_new(struct edge *e, evutil_socket_t fd, const struct sockaddr *sa)
{
	struct edge_conn *c = calloc(1, sizeof(*c));
	char ip[INET6_ADDRSTRLEN];

	if (c == NULL) {
		evutil_closesocket(fd);
		return NULL;
	}
	c->edge = e;
	c->fd = fd;
	c->tfd = -1;
	/* Readiness comes from the events (the first one at once if the
	 * client has already sent something). */
	c->tio.fd = fd;
	c->tio.writable = 1;
	c->hs_want = c->rd_want = EV_READ;
	c->wr_want = EV_WRITE;
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		evutil_inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;
		evutil_inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(c->peer, sizeof(c->peer), "%s:%u", ip, ntohs(s4->sin_port));
	}
	c->next = e->conns;
	if (e->conns != NULL)
		e->conns->prev = c;
	e->conns = c;
	e->nconns++;
	conn_touch(c);
	c->timer = evtimer_new(e->base, timer_cb, c);
	/* Edge-triggered, read and write: registered once for the
	 * connection's life (conn.h). */
	c->client_ev = event_new(e->base, fd, EV_READ | EV_WRITE | EV_CLOSED | EV_ET | EV_PERSIST,
	    client_event, c);
	c->cin = evbuffer_new();
	c->cout = evbuffer_new();
	if (c->timer == NULL || c->client_ev == NULL || c->cin == NULL || c->cout == NULL) {
		destroy(c);
		return NULL;
	}
	return c;
}

void
edge_conn_accept(struct edge *e, evutil_socket_t fd, const struct sockaddr *sa,
                 struct edge_tunnel *tcp_tunnel)
{
	struct edge_conn *c;

	if (e->draining || (e->cfg.max_conns > 0 && e->nconns >= e->cfg.max_conns)) {
		metrics_add(&e->stats.conns[tcp_tunnel != NULL ? (int)tcp_tunnel->kind :
		    EDGE_KIND_NONE][EDGE_RESULT_LIMIT], 1);
		if (!e->draining)
			log_warn("connection limit (%d) reached, refusing a connection",
			    e->cfg.max_conns);
		evutil_closesocket(fd);
		return;
	}
	if ((c = conn_new(e, fd, sa)) == NULL)
		return;
	conn_hold(c);
	if (tcp_tunnel != NULL) {
		if (event_add(c->client_ev, NULL) != 0) {
			conn_free(c);
			goto out;
		}
		if (edge_conn_bind(c, tcp_tunnel) != BURROW_OK) {
			log_warn("tunnel %s: connection limit (%d) reached, %s refused",
			    tcp_tunnel->hostname, e->cfg.max_conns_per_tunnel, c->peer);
			conn_set_result(c, EDGE_RESULT_LIMIT);
			conn_free(c);
		} else {
			target_connect(c);
		}
		goto out;
	}
	if ((c->ssl = SSL_new(e->default_ctx)) == NULL ||
	    tls_io_init(&c->tio, c->ssl, fd) != BURROW_OK) {
		conn_free(c);
		goto out;
	}
	SSL_set_app_data(c->ssl, c);
	SSL_set_accept_state(c->ssl);
	c->state = CONN_HANDSHAKE;
	conn_set_deadline(c, "TLS handshake", e->cfg.handshake_ms);
	/* The TLS listeners accept once the ClientHello is in
	 * (TCP_DEFER_ACCEPT, listen.c), so registering reports it at once.
	 * Not handshaking here: the listener accepts until the queue is
	 * empty, and a handshake per accept would keep every other
	 * connection waiting while clients keep connecting. */
	if (event_add(c->client_ev, NULL) != 0)
		conn_free(c);
out:
	conn_release(c);
}
