/*
 * server_internal.h: what server.c (sockets and loops), follow.c (the
 * change-log follower) and secondaries.c (the secondaries table and NOTIFY)
 * share; nothing outside them includes it.
 */
#ifndef BURROW_DNS_SERVER_INTERNAL_H
#define BURROW_DNS_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"
#include "db/store.h"
#include "dns/answer.h"
#include "dns/server.h"
#include "dns/stats.h"
#include "dns/xfr.h"

#define UDP_BATCH 32
#define UDP_IN_MAX 4096

struct dns_worker;

struct tcp_conn {
	struct tcp_conn *prev, *next;   /* the worker's list, least recently active first */
	struct dns_worker *w;
	struct bufferevent *bev;
	int closing;                    /* the client sent EOF: close once flushed */
	struct xfr_stream *xfr;         /* a transfer being sent */
	char xfr_note[160];
	struct sockaddr_storage peer;
};

struct dns_worker {
	struct dns_server *srv;
	int n;
	pthread_t thread;
	int started;
	struct event_base *base;
	pthread_mutex_t lock;           /* held while answering from the index */
	int udp_fd[DNS_SERVER_LISTEN_MAX];
	struct event *udp_ev[DNS_SERVER_LISTEN_MAX];
	struct evconnlistener *tcp[DNS_SERVER_LISTEN_MAX];
	int nsock;
	int stop_pipe[2];
	struct event *stop_ev;
	struct tcp_conn *head, *tail;
	int nconn;
	/* UDP batch buffers */
	struct mmsghdr in_msg[UDP_BATCH], out_msg[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
	struct sockaddr_storage addr[UDP_BATCH];
	uint8_t in[UDP_BATCH][UDP_IN_MAX];
	uint8_t out[UDP_BATCH][DNS_EDNS_SIZE];
	struct dns_prepared prep[UDP_BATCH];  /* the batch's queries, parsed ahead */
	uint8_t tcp_buf[2 + DNS_MSG_MAX];
	struct dns_worker_stats stats;  /* written by this worker only (stats.h) */
	struct rrl *rrl;                /* this worker's RRL table; NULL: off */
};

/* What the change follower publishes for other threads (dns_server_zones):
 * each zone's serial, swapped in under lock after every change. */
struct zone_serials {
	pthread_mutex_t lock;
	struct dns_zone_serial *z;
	size_t n;
};

struct dns_server {
	struct dns_server_config cfg;
	struct store *store;
	struct zone_index *idx;
	int64_t seq;
	struct dns_worker *w;
	int nw;
	struct store_watch *watch;      /* runs follow_changes() on store writes */
	struct event *sig_term, *sig_int, *sig_hup, *sec_ev;
	int failed;
	struct ixfr_journal *journal;
	struct catalog *catalog;
	struct xfr_acl acl;             /* read under a worker lock */
	struct notify_sender *notify;
	/* The follower's figures for dns_server_stats(), relaxed stores. */
	_Atomic int64_t stat_store_seq, stat_applied_seq;
	_Atomic uint64_t stat_names;
	_Atomic uint64_t stat_swaps, stat_swap_ns, stat_swap_max_ns;
	struct zone_serials *serials;
	struct log_outage store_outage; /* the follower's store reads (first thread) */
};

/* CLOCK_MONOTONIC in nanoseconds (latency and lock-out figures). */
static inline uint64_t
server_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Locks out every reader (all workers' locks, in order) so the first
 * thread can change the index or the ACL; unlock in reverse. */
void server_lock_all(struct dns_server *srv);
void server_unlock_all(struct dns_server *srv);

/* Publishes the index's zone serials, name count and seq for the stats
 * readers (first thread, after every change).  Errors: BURROW_ERR_NOMEM
 * (the previous list stays). */
int follow_publish(struct dns_server *srv);

/* The store watch's reader (first thread): reads new change-log entries
 * and applies them to the index, journal and catalog a chunk at a time
 * under server_lock_all(), then notifies.  Returns 1 if changes
 * were applied, 0 if there were none, or a negative error (logged). */
int follow_changes(void *arg);

/* Re-reads the secondaries; swaps them in if they changed and notifies the
 * new ones of every zone.  First thread only; errors are logged. */
void secondaries_reload(struct dns_server *srv);

/* A libevent timer callback (arg: the server) that runs secondaries_reload. */
void secondaries_poll(evutil_socket_t fd, short what, void *arg);

/* z's name in presentation form with the final dot ("?" if ldns fails). */
void server_zone_text(const struct dns_zone *z, char *out, size_t outsz);

/* RFC 1996 3.5: queues NOTIFY to every secondary (or only sec, if not NULL)
 * of each zone whose serial moved since the last one (all zones if all). */
void secondaries_notify(struct dns_server *srv, const struct xfr_secondary *sec, int all);

#endif
