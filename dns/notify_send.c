/*
 * notify_send.c: the NOTIFY sender of burrow-dns; see notify.h.  The event
 * callbacks only move bytes: notify_build() and notify_check() decide.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/error.h"
#include "common/log.h"
#include "dns/notify.h"

#define NOTIFY_TRIES 5
#define NOTIFY_FIRST_RETRY_MS 1000
#define NOTIFY_TICK_MS 100

struct pending {
	struct pending *next;
	struct sockaddr_storage to;
	socklen_t to_len;
	char peer[64];
	struct tsig_key key;
	uint8_t zone[DNS_NAME_MAX];
	size_t zlen;
	char zone_text[DNS_NAME_MAX * 4 + 2];
	uint32_t serial;
	uint16_t id;
	uint8_t mac[TSIG_MAC_MAX];
	int is_signed;                /* key set: only a signed answer counts */
	int tries;
	unsigned ignored;             /* answers refused for their TSIG */
	int64_t due_ms;
	int64_t first_ms;
};

struct notify_sender {
	int fd4, fd6;
	struct event *ev4, *ev6, *tick;
	struct pending *head;
	size_t n;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
send_one(struct notify_sender *ns, struct pending *p)
{
	uint8_t buf[DNS_NAME_MAX + 16 + TSIG_RR_MAX];
	size_t len;
	int fd = p->to.ss_family == AF_INET6 ? ns->fd6 : ns->fd4;

	/* A fresh ID per try (RFC 5452-style unpredictability). */
	if (RAND_bytes((unsigned char *)&p->id, sizeof(p->id)) != 1)
		p->id = (uint16_t)(p->id * 31 + 7);
	len = notify_build(buf, sizeof(buf), p->id, p->zone, p->zlen,
	    p->is_signed ? &p->key : NULL, (uint64_t)time(NULL), p->mac);
	p->tries++;
	p->due_ms = now_ms() + ((int64_t)NOTIFY_FIRST_RETRY_MS << (p->tries - 1));
	if (len == 0 || fd < 0)
		return;
	if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&p->to, p->to_len) < 0)
		log_debug("NOTIFY %s to %s: %s", p->zone_text, p->peer, strerror(errno));
}

static void
drop(struct notify_sender *ns, struct pending *p)
{
	struct pending **pp = &ns->head;

	while (*pp != NULL && *pp != p)
		pp = &(*pp)->next;
	if (*pp == NULL)
		return;
	*pp = p->next;
	ns->n--;
	memset(&p->key, 0, sizeof(p->key));
	free(p);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct notify_sender *ns = arg;
	int64_t now = now_ms();
	struct pending *p, *next;

	(void)fd;
	(void)what;
	for (p = ns->head; p != NULL; p = next) {
		next = p->next;
		if (p->due_ms > now)
			continue;
		if (p->tries >= NOTIFY_TRIES) {
			log_warn("NOTIFY %s serial %u to %s: no %sanswer after %d tries (%u ignored)",
			    p->zone_text, p->serial, p->peer, p->is_signed ? "signed " : "", p->tries,
			    p->ignored);
			drop(ns, p);
			continue;
		}
		send_one(ns, p);
	}
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	{
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
}

/* An answer with our id whose TSIG is not acceptable: RFC 8945 5.4 says to
 * discard it, log, and wait for a signed one, so it does not end the
 * retries (whoever can spoof the secondary's address could otherwise stop
 * them).  One line per NOTIFY, however many such answers come: the log
 * grows no faster than the NOTIFYs we send. */
static void
ignore_answer(struct pending *p, int rcode, const char *why)
{
	if (p->ignored == 0)
		log_warn("NOTIFY %s serial %u to %s: ignored an answer (rcode %d, %s); "
		    "retrying until a signed one comes", p->zone_text, p->serial, p->peer,
		    rcode, why);
	if (p->ignored < UINT_MAX)
		p->ignored++;
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct notify_sender *ns = arg;
	uint8_t buf[4096];
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;

	(void)what;
	for (int i = 0; i < 64; i++) {
		struct pending *p;
		const char *why = NULL;
		int rcode = 0, rc = BURROW_ERR_PROTO;

		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		for (p = ns->head; p != NULL; p = p->next) {
			if (!same_addr(&from, &p->to))
				continue;
			rc = notify_check(buf, (size_t)n, p->id, p->is_signed ? &p->key : NULL, p->mac,
			    TSIG_MAC_SHA256, (uint64_t)time(NULL), &rcode, &why);
			if (rc != BURROW_ERR_PROTO)
				break;
		}
		if (p == NULL)
			continue;
		if (rc == BURROW_ERR_CRYPTO && p->is_signed) {
			ignore_answer(p, rcode, why);
			continue;
		}
		/* Any other answer ends the retries (signed by the secondary, or
		 * to an unsigned NOTIFY): an error answer such as REFUSED would
		 * not change on a retry. */
		if (rc == BURROW_OK && rcode == DNS_RCODE_NOERROR)
			log_info("NOTIFY %s serial %u to %s: acknowledged in %lld ms", p->zone_text,
			    p->serial, p->peer, (long long)(now_ms() - p->first_ms));
		else
			log_warn("NOTIFY %s serial %u to %s: answered with rcode %d%s%s", p->zone_text,
			    p->serial, p->peer, rcode, why != NULL ? ", " : "", why != NULL ? why : "");
		drop(ns, p);
	}
}

static int
open_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;

	if (fd >= 0 && family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	return fd;
}

struct notify_sender *
notify_sender_new(struct event_base *base)
{
	struct notify_sender *ns = calloc(1, sizeof(*ns));
	struct timeval tv = { 0, NOTIFY_TICK_MS * 1000 };

	if (ns == NULL)
		return NULL;
	ns->fd4 = open_socket(AF_INET);
	ns->fd6 = open_socket(AF_INET6);   /* may fail without IPv6 */
	if (ns->fd4 < 0) {
		log_error("NOTIFY socket: %s", strerror(errno));
		goto fail;
	}
	ns->ev4 = event_new(base, ns->fd4, EV_READ | EV_PERSIST, on_read, ns);
	if (ns->fd6 >= 0)
		ns->ev6 = event_new(base, ns->fd6, EV_READ | EV_PERSIST, on_read, ns);
	ns->tick = event_new(base, -1, EV_PERSIST, on_tick, ns);
	if (ns->ev4 == NULL || ns->tick == NULL || event_add(ns->ev4, NULL) != 0 ||
	    event_add(ns->tick, &tv) != 0 || (ns->ev6 != NULL && event_add(ns->ev6, NULL) != 0))
		goto fail;
	return ns;
fail:
	notify_sender_free(ns);
	return NULL;
}

void
notify_sender_free(struct notify_sender *ns)
{
	if (ns == NULL)
		return;
	while (ns->head != NULL)
		drop(ns, ns->head);
	if (ns->ev4 != NULL)
		event_free(ns->ev4);
	if (ns->ev6 != NULL)
		event_free(ns->ev6);
	if (ns->tick != NULL)
		event_free(ns->tick);
	if (ns->fd4 >= 0)
		close(ns->fd4);
	if (ns->fd6 >= 0)
		close(ns->fd6);
	free(ns);
}

size_t
notify_sender_pending(const struct notify_sender *ns)
{
	return ns->n;
}

int
notify_sender_queue(struct notify_sender *ns, const struct xfr_secondary *sec,
                    const uint8_t *zone, size_t zlen, const char *zone_text, uint32_t serial)
{
	struct sockaddr_storage to;
	socklen_t to_len;
	struct pending *p;

	memset(&to, 0, sizeof(to));
	if (strchr(sec->address, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&to;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(sec->port);
		if (inet_pton(AF_INET6, sec->address, &s6->sin6_addr) != 1)
			return BURROW_ERR_INVALID;
		to_len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&to;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(sec->port);
		if (inet_pton(AF_INET, sec->address, &s4->sin_addr) != 1)
			return BURROW_ERR_INVALID;
		to_len = sizeof(*s4);
	}
	if (zlen > DNS_NAME_MAX)
		return BURROW_ERR_INVALID;
	for (p = ns->head; p != NULL; p = p->next)
		if (same_addr(&p->to, &to) && p->zlen == zlen && memcmp(p->zone, zone, zlen) == 0)
			break;
	if (p == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return BURROW_ERR_NOMEM;
		p->to = to;
		p->to_len = to_len;
		memcpy(p->zone, zone, zlen);
		p->zlen = zlen;
		p->next = ns->head;
		ns->head = p;
		ns->n++;
	}
	snprintf(p->peer, sizeof(p->peer), "%s port %u", sec->address, (unsigned)sec->port);
	snprintf(p->zone_text, sizeof(p->zone_text), "%s", zone_text);
	p->key = sec->key;
	p->is_signed = sec->key.name_len > 0;
	p->serial = serial;
	p->tries = 0;
	p->ignored = 0;
	p->first_ms = now_ms();
	send_one(ns, p);
	return BURROW_OK;
}
