/*
 * server.c: UDP and TCP transport for burrow-dns; see server.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/error.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "db/store_watch.h"
#include "dns/answer.h"
#include "dns/catalog.h"
#include "dns/ixfr_journal.h"
#include "dns/notify.h"
#include "dns/server_internal.h"
#include "dns/xfr.h"

/* Stop reading a TCP client that does not read its answers (RFC 7766 6.2.3
 * allows the server to protect itself). */
#define TCP_OUT_HIGH (256 * 1024)
#define UDP_RCVBUF (4 * 1024 * 1024)
/* How often the secondaries table is re-read (it is a handful of rows). */
#define SECONDARIES_POLL_MS 1000

static void
log_note(const char *note)
{
	if (note[0] != '-')
		log_info("%s", note);
}

/* The worker's clock for leases and RRL, in Unix seconds: libevent's time
 * of this loop iteration, so no system call per query. */
static uint64_t
loop_seconds(struct dns_worker *w)
{
	struct timeval tv;

	event_base_gettimeofday_cached(w->base, &tv);
	return (uint64_t)tv.tv_sec;
}

/* ---- UDP ---- */

/* Sends the m replies of a batch read at t0 (server_now_ns).  sendmmsg() may take
 * fewer than m: the rest is sent again.  A reply that cannot be sent now
 * (a full socket buffer) is dropped and counted: the client retries
 * (RFC 1035 4.2.1), and a worker never blocks. */
static void
udp_send(struct dns_worker *w, int fd, int m, uint64_t t0)
{
	int sent = 0, k;

	while (sent < m) {
		k = sendmmsg(fd, w->out_msg + sent, (unsigned)(m - sent), MSG_DONTWAIT);
		if (k > 0) {
			for (int i = sent; i < sent + k; i++)
				dns_stats_answer(&w->stats, DNS_UDP,
				    w->out_msg[i].msg_hdr.msg_iov->iov_base,
				    w->out_msg[i].msg_hdr.msg_iov->iov_len);
			sent += k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno != ECONNREFUSED)
			log_error("UDP send: %s", strerror(errno));
		/* This reply failed on its own (its address, say): skip it. */
		dns_stats_add(&w->stats.dropped[DNS_UDP], 1);
		sent++;
	}
	if (sent < m)
		dns_stats_add(&w->stats.dropped[DNS_UDP], (uint64_t)(m - sent));
	if (m > 0)
		dns_stats_latency(&w->stats, server_now_ns() - t0, (uint64_t)m);
}

static void
udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct dns_worker *w = arg;
	int rounds, n, m, i;
	uint64_t t0, now = loop_seconds(w);
	struct rrl_class cls;
	enum rrl_verdict v;

	(void)what;
	/* Several batches per wake-up, so a busy socket does not pay for an
	 * epoll round trip per packet; bounded so other sockets get a turn.
	 * The lock is taken per batch: a change swap waits for one batch at
	 * most, not eight. */
	for (rounds = 0; rounds < 8; rounds++) {
		for (i = 0; i < UDP_BATCH; i++) {
			w->in_iov[i].iov_base = w->in[i];
			w->in_iov[i].iov_len = UDP_IN_MAX;
			memset(&w->in_msg[i].msg_hdr, 0, sizeof(w->in_msg[i].msg_hdr));
			w->in_msg[i].msg_hdr.msg_name = &w->addr[i];
			w->in_msg[i].msg_hdr.msg_namelen = sizeof(w->addr[i]);
			w->in_msg[i].msg_hdr.msg_iov = &w->in_iov[i];
			w->in_msg[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, w->in_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_error("UDP receive: %s", strerror(errno));
			break;
		}
		t0 = server_now_ns();
		pthread_mutex_lock(&w->lock);
		/* Parse the batch and prefetch its lookups first: the misses of
		 * a large index then overlap (answer.h, dns_answer_prepare). */
		for (i = 0; i < n; i++)
			dns_answer_prepare(w->srv->idx, w->in[i], w->in_msg[i].msg_len, &w->prep[i]);
		for (i = 0; i < n; i++)
			dns_answer_prefetch(w->srv->idx, &w->prep[i]);
		for (i = 0, m = 0; i < n; i++) {
			size_t len = dns_answer_prepared(w->srv->idx, &w->prep[i], w->in[i], DNS_UDP,
			    now, w->out[m], sizeof(w->out[m]), w->rrl != NULL ? &cls : NULL);
			if (len == DNS_ANSWER_XFR) {
				struct xfr_ctx ctx = { w->srv->idx, w->srv->journal, &w->srv->acl,
				    (uint64_t)time(NULL) };
				struct xfr_stream *st = NULL;
				char note[160];
				len = xfr_handle(&ctx, w->in[i], w->in_msg[i].msg_len, DNS_UDP,
				    (struct sockaddr *)&w->addr[i], w->out[m], sizeof(w->out[m]),
				    &st, note, sizeof(note));
				xfr_stream_free(st);   /* never over UDP */
				log_note(note);
			}
			/* Response rate limiting (rrl.h): UDP only. */
			len = rrl_apply(w->rrl, (struct sockaddr *)&w->addr[i], &cls, (uint32_t)now,
			    w->out[m], len, &v);
			if (v != RRL_ANSWER)
				dns_stats_add(v == RRL_DROP ? &w->stats.rrl_dropped
				    : &w->stats.rrl_slipped, 1);
			if (len == 0) {
				dns_stats_add(&w->stats.dropped[DNS_UDP], 1);
				continue;
			}
			w->out_iov[m].iov_base = w->out[m];
			w->out_iov[m].iov_len = len;
			memset(&w->out_msg[m].msg_hdr, 0, sizeof(w->out_msg[m].msg_hdr));
			w->out_msg[m].msg_hdr.msg_name = &w->addr[i];
			w->out_msg[m].msg_hdr.msg_namelen = w->in_msg[i].msg_hdr.msg_namelen;
			w->out_msg[m].msg_hdr.msg_iov = &w->out_iov[m];
			w->out_msg[m].msg_hdr.msg_iovlen = 1;
			m++;
		}
		pthread_mutex_unlock(&w->lock);
		udp_send(w, fd, m, t0);
		if (n < UDP_BATCH)
			break;
	}
}

/* ---- TCP (RFC 7766) ---- */

static void
conn_unlink(struct tcp_conn *c)
{
	struct dns_worker *w = c->w;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		w->tail = c->prev;
	c->prev = c->next = NULL;
}

static void
conn_append(struct tcp_conn *c)
{
	struct dns_worker *w = c->w;

	c->prev = w->tail;
	c->next = NULL;
	if (w->tail != NULL)
		w->tail->next = c;
	else
		w->head = c;
	w->tail = c;
}

static void
conn_free(struct tcp_conn *c)
{
	conn_unlink(c);
	c->w->nconn--;
	bufferevent_free(c->bev);
	xfr_stream_free(c->xfr);
	free(c);
}

/* Queues messages of the transfer in progress until the output buffer is
 * full; ends the transfer after its last message.  Returns 1 while the
 * transfer goes on. */
static int
xfr_pump(struct tcp_conn *c)
{
	struct dns_worker *w = c->w;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	uint64_t now = (uint64_t)time(NULL);

	while (c->xfr != NULL && evbuffer_get_length(out) < TCP_OUT_HIGH) {
		size_t len = xfr_stream_next(c->xfr, now, w->tcp_buf + 2, DNS_MSG_MAX);
		if (len == 0) {
			uint32_t records, messages;
			xfr_stream_stats(c->xfr, &records, &messages);
			log_info("%s (sent %u records in %u messages)", c->xfr_note, records,
			    messages);
			xfr_stream_free(c->xfr);
			c->xfr = NULL;
			break;
		}
		dns_put16(w->tcp_buf, (uint16_t)len);
		evbuffer_add(out, w->tcp_buf, 2 + len);
	}
	return c->xfr != NULL;
}

static void
tcp_read(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct dns_worker *w = c->w;
	struct evbuffer *in = bufferevent_get_input(bev), *out = bufferevent_get_output(bev);
	uint8_t lenbuf[2];
	uint64_t t0 = server_now_ns(), answered = 0;

	/* Most recently active goes last: the first is the one to evict. */
	conn_unlink(c);
	conn_append(c);
	pthread_mutex_lock(&w->lock);
	/* Every complete message in the buffer: clients may pipeline
	 * (RFC 7766 6.2.1.1); answers go out in the order they were read. */
	while (evbuffer_get_length(in) >= 2) {
		size_t msglen, len;
		const uint8_t *msg;

		evbuffer_copyout(in, lenbuf, 2);
		msglen = dns_get16(lenbuf);
		if (evbuffer_get_length(in) < 2 + msglen)
			break;
		if ((msg = evbuffer_pullup(in, (ev_ssize_t)(2 + msglen))) == NULL)
			break;
		len = dns_answer_at(w->srv->idx, msg + 2, msglen, DNS_TCP, loop_seconds(w),
		    w->tcp_buf + 2, DNS_MSG_MAX, NULL);
		if (len == DNS_ANSWER_XFR) {
			struct xfr_ctx ctx = { w->srv->idx, w->srv->journal, &w->srv->acl,
			    (uint64_t)time(NULL) };
			len = xfr_handle(&ctx, msg + 2, msglen, DNS_TCP,
			    (struct sockaddr *)&c->peer, w->tcp_buf + 2, DNS_MSG_MAX, &c->xfr,
			    c->xfr_note, sizeof(c->xfr_note));
			if (c->xfr == NULL)
				log_note(c->xfr_note);
		}
		evbuffer_drain(in, 2 + msglen);
		/* A transfer streams from its snapshot; later queries on this
		 * connection wait until it is sent (RFC 7766 6.2.1.1 lets the
		 * server answer in order). */
		if (c->xfr != NULL) {
			dns_stats_add(&w->stats.queries[DNS_TCP][DNS_RCODE_NOERROR], 1);
			answered++;
			if (xfr_pump(c)) {
				bufferevent_disable(bev, EV_READ);
				break;
			}
			continue;
		}
		dns_stats_answer(&w->stats, DNS_TCP, w->tcp_buf + 2, len);
		if (len == 0)
			continue;
		answered++;
		dns_put16(w->tcp_buf, (uint16_t)len);
		evbuffer_add(out, w->tcp_buf, 2 + len);
		if (evbuffer_get_length(out) > TCP_OUT_HIGH) {
			bufferevent_disable(bev, EV_READ);
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (answered > 0)
		dns_stats_latency(&w->stats, server_now_ns() - t0, answered);
}

static void
tcp_write(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;

	/* Called when the output buffer has drained. */
	if (c->xfr != NULL && xfr_pump(c))
		return;
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (c->closing) {
		conn_free(c);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		tcp_read(bev, c);
	}
}

static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    (evbuffer_get_length(bufferevent_get_output(bev)) > 0 || c->xfr != NULL)) {
		/* Half-closed after its queries: flush the answers first. */
		c->closing = 1;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	/* EOF, error or idle timeout (RFC 7766 6.2.3). */
	conn_free(c);
}

static void
tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
           int salen, void *arg)
{
	struct dns_worker *w = arg;
	struct tcp_conn *c;
	struct timeval idle;

	(void)l;
	/* At the cap, the least recently active connection makes room, so
	 * a flood of idle connections cannot lock out new clients
	 * (RFC 7766 6.2.2). */
	if (w->nconn >= w->srv->cfg.tcp_max && w->head != NULL)
		conn_free(w->head);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->w = w;
	if (salen > 0 && (size_t)salen <= sizeof(c->peer))
		memcpy(&c->peer, sa, (size_t)salen);
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	idle.tv_sec = w->srv->cfg.tcp_idle_ms / 1000;
	idle.tv_usec = (w->srv->cfg.tcp_idle_ms % 1000) * 1000;
	bufferevent_setcb(c->bev, tcp_read, tcp_write, tcp_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	w->nconn++;
	conn_append(c);
}

/* ---- sockets ---- */

static int
open_udp(const struct sockaddr_storage *ss, socklen_t len, int reuseport)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1, rcvbuf = UDP_RCVBUF;

	if (fd < 0)
		return -1;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	/* Room for a stall (a preempted worker, a change swap) at full rate:
	 * the default ~200 KB holds a few hundred queries, a few ms' worth.
	 * Past net.core.rmem_max only with CAP_NET_ADMIN (FORCE). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Steers every packet of fd's SO_REUSEPORT group to the socket of the CPU
 * that received it (classic BPF, A = cpu % n: the group's sockets are the
 * workers' in bind order).  The kernel's own choice hashes the 4-tuple, so
 * a few client flows (a benchmark, a handful of big resolvers) can land on
 * one worker and leave the others idle; by CPU, the spread follows the
 * NIC's receive queues (RSS) or the senders' CPUs on loopback. */
static int
steer_by_cpu(int fd, int n)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU)),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(code) / sizeof(code[0])), code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

/* The UDP socket worker n reads for listen address i (see
 * enum dns_udp_steer in server.h); -1 with errno on failure. */
static int
worker_udp(struct dns_server *srv, int n, int i, const struct sockaddr_storage *ss,
           socklen_t len)
{
	enum dns_udp_steer steer = srv->cfg.udp_steer;
	int fd;

	if (srv->nw == 1)
		return open_udp(ss, len, 0);
	if (steer == DNS_UDP_STEER_SHARED)
		return n == 0 ? open_udp(ss, len, 0) : dup(srv->w[0].udp_fd[i]);
	if ((fd = open_udp(ss, len, 1)) < 0 || n != 0 || steer != DNS_UDP_STEER_CPU)
		return fd;
	/* Set once, on the group's first socket; until the others are bound
	 * an index past the group falls back to the hash. */
	if (steer_by_cpu(fd, srv->nw) != 0)
		log_error("UDP %s: cannot steer by CPU (%s); the kernel hashes flows",
		    srv->cfg.listen[i], strerror(errno));
	return fd;
}

static struct evconnlistener *
open_tcp(struct dns_worker *w, const struct sockaddr_storage *ss, socklen_t len,
         int reuseport)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;
	struct evconnlistener *l;

	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 256) != 0) {
		close(fd);
		return NULL;
	}
	l = evconnlistener_new(w->base, tcp_accept, w, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (l == NULL)
		close(fd);
	return l;
}

/* ---- lifecycle ---- */

void
server_lock_all(struct dns_server *srv)
{
	for (int i = 0; i < srv->nw; i++)
		pthread_mutex_lock(&srv->w[i].lock);
}

void
server_unlock_all(struct dns_server *srv)
{
	for (int i = srv->nw - 1; i >= 0; i--)
		pthread_mutex_unlock(&srv->w[i].lock);
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct dns_worker *w = arg;
	char b[8];

	(void)what;
	while (read(fd, b, sizeof(b)) > 0)
		;
	event_base_loopbreak(w->base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct dns_server *srv = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (log_reopen() != BURROW_OK)
			log_error("cannot reopen the log file");
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	for (int i = 1; i < srv->nw; i++)
		if (write(srv->w[i].stop_pipe[1], "x", 1) < 0)
			log_error("stopping thread %d: %s", i, strerror(errno));
	event_base_loopbreak(srv->w[0].base);
}

static int
worker_init(struct dns_server *srv, struct dns_worker *w, int n)
{
	int reuse = srv->cfg.threads > 1;

	w->srv = srv;
	w->n = n;
	w->stop_pipe[0] = w->stop_pipe[1] = -1;
	for (int i = 0; i < DNS_SERVER_LISTEN_MAX; i++)
		w->udp_fd[i] = -1;
	pthread_mutex_init(&w->lock, NULL);
	if (srv->cfg.rrl.rate > 0 && (w->rrl = rrl_new(&srv->cfg.rrl)) == NULL)
		return BURROW_ERR_NOMEM;
	/* Two priorities: the store watch's deferred reads first (see
	 * db/store_watch.h), every other event at the default, 1. */
	if ((w->base = event_base_new()) == NULL || event_base_priority_init(w->base, 2) != 0)
		return BURROW_ERR_NOMEM;
	if (pipe2(w->stop_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return BURROW_ERR_IO;
	w->stop_ev = event_new(w->base, w->stop_pipe[0], EV_READ | EV_PERSIST, on_stop, w);
	if (w->stop_ev == NULL || event_add(w->stop_ev, NULL) != 0)
		return BURROW_ERR_NOMEM;
	for (int i = 0; i < srv->cfg.nlisten; i++) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (netaddr_parse_listen(srv->cfg.listen[i], &ss, &len) != BURROW_OK) {
			log_error("invalid listen address '%s' (want ADDR:PORT or [V6]:PORT)",
			    srv->cfg.listen[i]);
			return BURROW_ERR_INVALID;
		}
		if ((w->udp_fd[i] = worker_udp(srv, n, i, &ss, len)) < 0) {
			log_error("UDP %s: %s", srv->cfg.listen[i], strerror(errno));
			return BURROW_ERR_IO;
		}
		w->nsock = i + 1;
		w->udp_ev[i] = event_new(w->base, w->udp_fd[i], EV_READ | EV_PERSIST, udp_read, w);
		if (w->udp_ev[i] == NULL || event_add(w->udp_ev[i], NULL) != 0)
			return BURROW_ERR_NOMEM;
		if ((w->tcp[i] = open_tcp(w, &ss, len, reuse)) == NULL) {
			log_error("TCP %s: %s", srv->cfg.listen[i], strerror(errno));
			return BURROW_ERR_IO;
		}
	}
	return BURROW_OK;
}

static void
worker_fini(struct dns_worker *w)
{
	while (w->head != NULL)
		conn_free(w->head);
	for (int i = 0; i < DNS_SERVER_LISTEN_MAX; i++) {
		if (w->udp_ev[i] != NULL)
			event_free(w->udp_ev[i]);
		if (w->tcp[i] != NULL)
			evconnlistener_free(w->tcp[i]);
		if (w->udp_fd[i] >= 0)
			close(w->udp_fd[i]);
	}
	if (w->stop_ev != NULL)
		event_free(w->stop_ev);
	if (w->stop_pipe[0] >= 0)
		close(w->stop_pipe[0]);
	if (w->stop_pipe[1] >= 0)
		close(w->stop_pipe[1]);
	if (w->base != NULL)
		event_base_free(w->base);
	rrl_free(w->rrl);
	pthread_mutex_destroy(&w->lock);
}

struct dns_server *
dns_server_new(const struct dns_server_config *cfg, struct store *store,
               struct zone_index *idx, int64_t seq)
{
	struct dns_server *srv = calloc(1, sizeof(*srv));
	struct timeval tv;
	int i, rc;

	if (srv == NULL) {
		store_close(store);
		zone_index_free(idx);
		return NULL;
	}
	srv->cfg = *cfg;
	srv->store = store;
	srv->idx = idx;
	srv->seq = seq;
	srv->nw = cfg->threads > 0 ? cfg->threads : 1;
	if (srv->cfg.udp_steer == DNS_UDP_STEER_CPU && srv->nw > sysconf(_SC_NPROCESSORS_ONLN)) {
		/* cpu % threads would leave the extra workers without UDP. */
		log_info("%d threads on %ld CPUs: UDP spread by flow", srv->nw,
		    sysconf(_SC_NPROCESSORS_ONLN));
		srv->cfg.udp_steer = DNS_UDP_STEER_FLOW;
	}
	if ((srv->w = calloc((size_t)srv->nw, sizeof(*srv->w))) == NULL)
		goto fail;
	for (i = 0; i < srv->nw; i++)
		if (worker_init(srv, &srv->w[i], i) != BURROW_OK)
			goto fail;
	if ((srv->journal = ixfr_journal_new(cfg->journal_max)) == NULL)
		goto fail;
	if ((srv->serials = calloc(1, sizeof(*srv->serials))) == NULL)
		goto fail;
	pthread_mutex_init(&srv->serials->lock, NULL);
	atomic_store_explicit(&srv->stat_store_seq, seq, memory_order_relaxed);
	if (cfg->catalog != NULL) {
		int changed;
		if ((srv->catalog = catalog_new(idx, cfg->catalog, (uint32_t)seq)) == NULL ||
		    catalog_sync(srv->catalog, idx, (uint32_t)seq, NULL, &changed) != BURROW_OK) {
			log_error("catalog zone %s: cannot build it", cfg->catalog);
			goto fail;
		}
		log_info("catalog zone %s lists %zu zones", cfg->catalog,
		    catalog_members(srv->catalog));
	}
	if (follow_publish(srv) != BURROW_OK)
		goto fail;
	if ((srv->notify = notify_sender_new(srv->w[0].base)) == NULL)
		goto fail;
	/* Secondaries known at start are told of every zone: they may have
	 * missed changes while this server was down. */
	secondaries_reload(srv);
	srv->sec_ev = event_new(srv->w[0].base, -1, EV_PERSIST, secondaries_poll, srv);
	tv.tv_sec = SECONDARIES_POLL_MS / 1000;
	tv.tv_usec = (SECONDARIES_POLL_MS % 1000) * 1000;
	if (srv->sec_ev == NULL || event_add(srv->sec_ev, &tv) != 0)
		goto fail;
	if ((rc = store_watch_new(srv->w[0].base, srv->store, cfg->poll_ms, follow_changes, srv,
	    &srv->watch)) != BURROW_OK) {
		log_error("cannot follow the store: %s", burrow_strerror(rc));
		goto fail;
	}
	srv->sig_term = evsignal_new(srv->w[0].base, SIGTERM, on_signal, srv);
	srv->sig_int = evsignal_new(srv->w[0].base, SIGINT, on_signal, srv);
	srv->sig_hup = evsignal_new(srv->w[0].base, SIGHUP, on_signal, srv);
	if (srv->sig_term == NULL || srv->sig_int == NULL || srv->sig_hup == NULL ||
	    event_add(srv->sig_term, NULL) != 0 || event_add(srv->sig_int, NULL) != 0 ||
	    event_add(srv->sig_hup, NULL) != 0)
		goto fail;
	return srv;
fail:
	dns_server_free(srv);
	return NULL;
}

/* One line at exit: what the workers answered and how long changes kept
 * them waiting (the benchmarks read it). */
static void
log_stats(const struct dns_server *srv)
{
	struct dns_stats st;
	uint64_t q = 0;

	dns_server_stats(srv, &st);
	for (int t = 0; t < DNS_STATS_TRANSPORTS; t++)
		for (int r = 0; r < DNS_STATS_RCODES; r++)
			q += st.queries[t][r];
	log_info("answered %llu queries (%llu UDP unanswered); %llu change swaps locked "
	    "workers out %.1f ms in all, %.0f us at most", (unsigned long long)q,
	    (unsigned long long)st.dropped[DNS_UDP], (unsigned long long)st.swaps,
	    (double)st.swap_ns / 1e6, (double)st.swap_max_ns / 1e3);
}

static void *
worker_main(void *arg)
{
	struct dns_worker *w = arg;

	if (event_base_dispatch(w->base) < 0)
		w->srv->failed = 1;
	return NULL;
}

int
dns_server_run(struct dns_server *srv)
{
	sigset_t all, old;
	int i;

	/* Signals go to the first loop only: the other threads block them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 1; i < srv->nw; i++) {
		if (pthread_create(&srv->w[i].thread, NULL, worker_main, &srv->w[i]) != 0) {
			log_error("cannot start thread %d", i);
			srv->failed = 1;
			break;
		}
		srv->w[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!srv->failed && event_base_dispatch(srv->w[0].base) < 0)
		srv->failed = 1;
	for (i = 1; i < srv->nw; i++) {
		if (!srv->w[i].started)
			continue;
		if (write(srv->w[i].stop_pipe[1], "x", 1) < 0)
			log_error("stopping thread %d: %s", i, strerror(errno));
		pthread_join(srv->w[i].thread, NULL);
		srv->w[i].started = 0;
	}
	log_stats(srv);
	return srv->failed ? BURROW_ERR_IO : BURROW_OK;
}

void
dns_server_free(struct dns_server *srv)
{
	if (srv == NULL)
		return;
	store_watch_free(srv->watch);
	if (srv->sec_ev != NULL)
		event_free(srv->sec_ev);
	notify_sender_free(srv->notify);
	if (srv->sig_term != NULL)
		event_free(srv->sig_term);
	if (srv->sig_int != NULL)
		event_free(srv->sig_int);
	if (srv->sig_hup != NULL)
		event_free(srv->sig_hup);
	for (int i = 0; srv->w != NULL && i < srv->nw; i++)
		worker_fini(&srv->w[i]);
	free(srv->w);
	xfr_acl_clear(&srv->acl);
	ixfr_journal_free(srv->journal);
	catalog_free(srv->catalog);
	if (srv->serials != NULL) {
		pthread_mutex_destroy(&srv->serials->lock);
		free(srv->serials->z);
		free(srv->serials);
	}
	zone_index_free(srv->idx);
	store_close(srv->store);
	free(srv);
}
